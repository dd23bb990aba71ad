"""Server rules on the calling protocol: invoking the app, start_response, the iterable.

Most of this is seen from inside, by :func:`wsgicheck.validator` under a foreign server
(each call of the app followed by what the server did with it); wsgicheck's own core
records the same, so its transports are judged by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..events import (
    AppRaised,
    AppReturned,
    Exhausted,
    HeadersSent,
    Refused,
    StartResponseCalled,
    WriteCalled,
    Yielded,
)
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, rule
from .server_evidence import (
    HOP_RULES,
    OWN_SOURCES,
    RAISED,
    RETURNED,
    call_outcomes,
    declared_length,
    final_call,
    iter_late_exc_info,
    judgeable,
    observed_after,
    on_wire,
    problems_of,
    server_answered,
    status_code,
)

DETAILS = "Specification Details"
SR = "The start_response() Callable"
FILES = "Optional Platform-Specific File Handling"


def _seen_from_inside(ex: Exchange) -> bool:
    """The app ran under a server that wsgicheck watched from inside (validator or probe)."""
    return ex.source not in OWN_SOURCES and ex.app_ran


def _over(ex: Exchange) -> bool:
    """The exchange has ended: the record is final, or the server closed or dropped it."""
    return (
        ex.source in OWN_SOURCES
        or bool(ex.closes)
        or bool(ex.observations("never-closed"))
        or ex.source == "probe"
    )


@rule(
    "SRV-INVOKE-POSITIONAL",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS,
    summary="the server calls the application with two positional arguments",
    pep="""A server or gateway must invoke the application object using positional (not
    keyword) arguments.""",
    needs=("inside",),
    memo="exchange",
    finds=("observed:app-called",),
    example="""
bad:  result = application(environ=environ, start_response=start_response)
fix:  result = application(environ, start_response)""",
)
def invoke_positional(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("app-called"):
        yield self.finding(ex, f"the server called the application with {seen.detail}")


def _valid_call(ex: Exchange, call: StartResponseCalled, first: bool) -> bool:
    """A call the PEP says the server must accept: right shape, right values, right time."""
    if call.keywords or call.positional not in (2, 3) or problems_of(call, ex):
        return False
    if call.exc_info_kind == "absent":
        return first
    return call.exc_info_kind == "exception" and not call.headers_sent


@rule(
    "SRV-SR-SIGNATURE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS + "; " + SR,
    summary="start_response takes (status, response_headers) and an optional exc_info",
    pep="""The start_response parameter is a callable accepting two required positional
    arguments, and one optional argument.""",
    applies=lambda ex: any(outcome is not None for _, outcome in call_outcomes(ex)),
    needs=("start_response",),
    memo="exchange",
    finds=("observed:start_response-raised",),
    example="""
bad:  def start_response(status, headers): ...
fix:  def start_response(status, headers, exc_info=None): ...""",
)
def sr_signature(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for index, (call, outcome) in enumerate(call_outcomes(ex)):
        if outcome != RAISED or not _valid_call(ex, call, index == 0):
            continue
        raised = observed_after(ex, call, "start_response-raised")
        if raised is not None and raised.detail == "TypeError":
            yield self.finding(
                ex,
                f"start_response raised TypeError for a valid call with {call.positional} "
                "positional arguments",
                call.where,
            )


@rule(
    "SRV-SR-RETURNS-WRITE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS + "; " + SR,
    summary="start_response returns the write(body_data) callable",
    pep="""The start_response callable must return a write(body_data) callable that takes
    one positional parameter: a bytestring to be written as part of the HTTP response
    body.""",
    needs=("observed:start_response-returned",),
    memo="exchange",
    example="""
bad:  def start_response(status, headers, exc_info=None): self.status = status
fix:  ...; return self.write""",
)
def sr_returns_write(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("start_response-returned"):
        if seen.detail != "callable":
            yield self.finding(ex, f"start_response returned {seen.detail}, not a callable")


@rule(
    "SRV-CLOSE-CALLED",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS,
    summary="the server calls the iterable's close() exactly once, on every path",
    pep="""If the iterable returned by the application has a close() method, the server or
    gateway must call that method upon completion of the current request, whether the
    request was completed normally, or terminated early due to an application error during
    iteration or an early disconnect of the browser.""",
    applies=lambda ex: (
        ex.returned is not None
        and ex.returned.has_close
        and not ex.timed_out
        and _over(ex)
        and not ex.observations("file-wrapper-returned")
    ),
    needs=("returned", "returned:close"),
    memo="exchange",
    example="""
bad:  for block in result: send(block)          # and never result.close()
fix:  try: for block in result: send(block)
      finally: if hasattr(result, "close"): result.close()""",
)
def close_called(self: Rule, ex: Exchange) -> Iterator[Finding]:
    count = len(ex.closes)
    if count == 0:
        yield self.finding(ex, "the iterable has close(); the server never called it")
    elif count > 1:
        yield self.finding(ex, f"the server called close() {count} times")


def _iterated(ex: Exchange) -> bool:
    """Whether the server asked the iterable for anything after the app returned."""
    returned = False
    for event in ex.events:
        if isinstance(event, AppReturned):
            returned = True
        elif returned and isinstance(event, Yielded | StartResponseCalled | WriteCalled):
            return True
    return ex.exhausted or any(raised.phase == "iteration" for raised in ex.raised)


def _returned_before_start(ex: Exchange) -> bool:
    for event in ex.events:
        if isinstance(event, StartResponseCalled):
            return False
        if isinstance(event, AppReturned):
            return True
    return False


@rule(
    "SRV-NO-ASSUME-SR-CALLED",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS,
    summary="the server iterates the result even if start_response was not called yet",
    pep="""However, this invocation may be performed by the iterable's first iteration, so
    servers must not assume that start_response() has been called before they begin
    iterating over the iterable.""",
    applies=lambda ex: (
        ex.returned is not None
        and judgeable(ex)
        and _over(ex)
        and _returned_before_start(ex)
        and not ex.observations("file-wrapper-returned")
    ),
    needs=("returned", "environ", "returned:first"),
    memo="exchange",
    example="""
bad:  result = app(environ, start_response); send_head(self.status)   # None yet
fix:  send the head when the first non-empty block arrives""",
)
def no_assume_sr_called(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if not _iterated(ex):
        yield self.finding(
            ex,
            "the app returned before calling start_response, and the server never iterated "
            "its result (a generator calls start_response on its first step)",
        )


@rule(
    "SRV-NO-OTHER-ITER-ATTRS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=DETAILS,
    summary="the server uses only iteration, close() and len() of the app's iterable",
    pep="""Finally, servers and gateways must not directly use any other attributes of the
    iterable returned by the application, unless it is an instance of a type specific to
    that server or gateway, such as a "file wrapper" returned by wsgi.file_wrapper""",
    applies=lambda ex: _seen_from_inside(ex) and ex.returned is not None,
    needs=("inside", "returned"),
    memo="exchange",
    finds=("observed:iterable-attribute",),
    example="""
bad:  if hasattr(result, "fileno"): sendfile(result.fileno())
fix:  if isinstance(result, MyFileWrapper): sendfile(result.filelike.fileno())""",
)
def no_other_iter_attrs(self: Rule, ex: Exchange) -> Iterator[Finding]:
    names = sorted({seen.detail for seen in ex.observations("iterable-attribute")})
    if names:
        yield self.finding(ex, f"the server reached for {', '.join(names)} on the iterable")


@rule(
    "SRV-DEFER-HEADERS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=SR,
    summary="the head goes out only with the first non-empty block, write() or the end",
    pep="""However, the start_response callable must not actually transmit the response
    headers. Instead, it must store them for the server or gateway to transmit only after
    the first iteration of the application return value that yields a non-empty bytestring,
    or upon the application's first invocation of the write() callable.""",
    # Evidence from inside (wsgicheck's own core records when the head went out) or from
    # outside: a probe's client looks for head bytes while the app, after start_response and
    # an empty block, waits (extra.head_before_body).
    applies=lambda ex: (
        (ex.headers_sent is not None or isinstance(ex.extra.head_before_body, bool))
        and judgeable(ex)
    ),
    needs=(),
    memo="exchange",
    example="""
bad:  def start_response(status, headers, exc_info=None): sock.sendall(head(status, headers))
fix:  store them; send them with the first non-empty block, on write(), or at the end""",
)
def defer_headers(self: Rule, ex: Exchange) -> Iterator[Finding]:
    early = ex.extra.head_before_body
    if isinstance(early, bool):
        if early:
            yield self.finding(
                ex,
                "the client received the response head while the app, having called "
                "start_response and yielded only b'', waited before its first non-empty block",
            )
        return
    last_call: StartResponseCalled | None = None
    for event in ex.events:
        if isinstance(event, StartResponseCalled):
            last_call = event
        elif isinstance(event, HeadersSent):
            # "The only possible exception to this rule is ... a Content-Length of zero."
            if declared_length(last_call) != 0:
                yield self.finding(
                    ex, "the response head went out before any body, write() or the end"
                )
            return
        elif _head_may_go(event):
            return


def _head_may_go(event: object) -> bool:
    """An event after which the head may be sent: a block, a write, the end, a failure."""
    if isinstance(event, Yielded):
        return type(event.value) is not bytes or bool(event.value)
    if isinstance(event, Refused):
        return event.callable != "start_response"
    return isinstance(event, WriteCalled | Exhausted | AppRaised)


def _problem_calls(ex: Exchange, hop: bool) -> Iterator[tuple[StartResponseCalled, list[str]]]:
    """Accepted calls with header problems: hop-by-hop ones, or all the others."""
    for call, outcome in call_outcomes(ex):
        if outcome != RETURNED:
            continue
        messages = [
            message for rule_id, message in problems_of(call, ex) if (rule_id in HOP_RULES) == hop
        ]
        if messages:
            yield call, messages


def _has_problem_call(ex: Exchange, hop: bool) -> bool:
    return any(
        outcome is not None
        and any((rule_id in HOP_RULES) == hop for rule_id, _ in problems_of(call, ex))
        for call, outcome in call_outcomes(ex)
    )


@rule(
    "SRV-CHECK-HEADERS-EARLY",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="start_response raises for an invalid status or header, while the app runs",
    pep="""Servers should check for errors in the headers at the time start_response is
    called, so that an error can be raised while the application is still running.""",
    applies=lambda ex: _has_problem_call(ex, hop=False),
    needs=("head-problem",),
    memo="exchange",
    example="""
bad:  start_response("200 OK", [("X Bad", "1")]) returns; the server fails while sending
fix:  validate status and headers in start_response and raise there""",
)
def check_headers_early(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, messages in _problem_calls(ex, hop=False):
        yield self.finding(ex, f"start_response accepted a bad call: {messages[0]}", call.where)


@rule(
    "SRV-REJECT-HOP-BY-HOP",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="start_response raises when the app passes a hop-by-hop header",
    pep="""a server or gateway should consider it a fatal error for an application to
    attempt sending them, and raise an error if they are supplied to start_response().""",
    applies=lambda ex: _has_problem_call(ex, hop=True),
    needs=("head-problem",),
    memo="exchange",
    example="""
bad:  start_response("200 OK", [("Connection", "close")]) returns normally
fix:  raise from start_response: hop-by-hop headers are the server's""",
)
def reject_hop_by_hop(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, messages in _problem_calls(ex, hop=True):
        yield self.finding(ex, f"start_response accepted {messages[0]}", call.where)


def _replacing_calls(ex: Exchange) -> list[tuple[StartResponseCalled, str | None]]:
    """Calls after the first, with exc_info, before the head went out, otherwise valid."""
    return [
        (call, outcome)
        for call, outcome in call_outcomes(ex)[1:]
        if call.exc_info_kind in ("exception", "empty")
        and not call.headers_sent
        and not call.keywords
        and call.positional == 3
        and not problems_of(call, ex)
    ]


@rule(
    "SRV-EXC-INFO-REPLACE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="with exc_info before the head went out, start_response replaces status and headers",
    pep="""If exc_info is supplied, and no HTTP headers have been output yet, start_response
    should replace the currently-stored HTTP response headers with the newly-supplied
    ones""",
    applies=lambda ex: any(outcome is not None for _, outcome in _replacing_calls(ex)),
    needs=("start_response:again",),
    memo="exchange",
    example="""
bad:  if self.status is not None: raise AssertionError("headers already set")
fix:  if exc_info and not self.headers_sent: replace the stored status and headers""",
)
def exc_info_replace(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, outcome in _replacing_calls(ex):
        if outcome == RAISED:
            yield self.finding(
                ex, "start_response raised for exc_info although no head had gone out", call.where
            )
    final = final_call(ex)
    code = status_code(final)
    if (
        on_wire(ex)
        and judgeable(ex)
        and not server_answered(ex)
        and any(call is final for call, _ in _replacing_calls(ex))
        and code is not None
        and ex.response.status_code not in (0, code)
    ):
        yield self.finding(
            ex,
            f"the app replaced its status with {code} (exc_info); the client got "
            f"{ex.response.status_code}",
            final.where if final is not None else None,
        )


@rule(
    "SRV-EXC-INFO-RAISE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=SR,
    summary="with exc_info after the head went out, start_response raises",
    pep="""However, if exc_info is provided, and the HTTP headers have already been sent,
    start_response must raise an error, and should re-raise using the exc_info tuple.""",
    applies=lambda ex: any(outcome is not None for _, outcome in iter_late_exc_info(ex)),
    needs=("late-exc-info",),
    memo="exchange",
    example="""
bad:  if exc_info: self.status = status    # the head is already out: too late
fix:  if exc_info and self.headers_sent: raise exc_info[1].with_traceback(exc_info[2])""",
)
def exc_info_raise(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, outcome in iter_late_exc_info(ex):
        if outcome == RETURNED:
            yield self.finding(
                ex,
                "start_response returned normally for exc_info after the body had started",
                call.where,
            )


@rule(
    "SRV-EXC-INFO-RERAISE-ORIGINAL",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="the error start_response raises for a late exc_info is the app's own",
    pep="""start_response must raise an error, and should re-raise using the exc_info tuple.
    That is:: raise exc_info[1].with_traceback(exc_info[2])""",
    applies=lambda ex: any(
        observed_after(ex, call, "exc_info-reraised") is not None
        for call, _ in iter_late_exc_info(ex)
    ),
    needs=("late-exc-info", "observed:exc_info-reraised"),
    memo="exchange",
    example="""
bad:  if exc_info and self.headers_sent: raise RuntimeError("headers already sent")
fix:  if exc_info and self.headers_sent: raise exc_info[1].with_traceback(exc_info[2])""",
)
def exc_info_reraise_original(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, _ in iter_late_exc_info(ex):
        seen = observed_after(ex, call, "exc_info-reraised")
        if seen is not None and seen.detail != "original":
            raised = observed_after(ex, call, "start_response-raised")
            kind = raised.detail if raised is not None else "another exception"
            yield self.finding(
                ex, f"start_response raised {kind}, not the exception in exc_info", call.where
            )


@rule(
    "SRV-FILE-WRAPPER-RETURNS-ITER",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="wsgi.file_wrapper(filelike) returns an iterable",
    pep="""The callable must return an iterable object, and must not perform any data
    transmission until and unless the server/gateway actually receives the iterable as a
    return value from the application.""",
    applies=lambda ex: bool(ex.file_wrapper_calls),
    needs=("file_wrapper",),
    memo="exchange",
    finds=("observed:file-wrapper-not-iterable",),
    example="""
bad:  def file_wrapper(filelike, blksize=8192): return SendfileJob(filelike)   # no __iter__
fix:  give it __iter__ (reading blksize at a time) and use sendfile when it comes back""",
)
def file_wrapper_returns_iter(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("file-wrapper-not-iterable"):
        yield self.finding(ex, f"wsgi.file_wrapper returned a {seen.detail}, not an iterable")


@rule(
    "SRV-FILE-WRAPPER-CLOSE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="for a file-like object with close(), the file wrapper's iterable has close()",
    pep="""It may have a close() method, and if so, the iterable returned by
    wsgi.file_wrapper must have a close() method that invokes the original file-like
    object's close() method.""",
    applies=lambda ex: any(call.has_read for call in ex.file_wrapper_calls),
    needs=("file_wrapper",),
    memo="exchange",
    finds=("observed:file-wrapper-no-close", "extra:filelike_closed"),
    example="""
bad:  class FileWrapper: def __iter__(self): ...            # no close()
fix:  def close(self): self.filelike.close()""",
)
def file_wrapper_close(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("file-wrapper-no-close"):
        yield self.finding(
            ex, f"the file-like object has close(); the {seen.detail} the wrapper gave has none"
        )
    # A probe also sees whether the file-like object was closed once the server was done
    # with the wrapper the app returned (extra.filelike_closed).
    if ex.extra.filelike_closed is False:
        yield self.finding(
            ex,
            "the file-like object was never closed: the server did not close the wrapper, "
            "or the wrapper's close() does not close the object",
        )
