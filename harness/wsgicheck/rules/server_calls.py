"""Server rules on the calling protocol: invoking the app, start_response, the iterable.

What start_response checks and does with exc_info is judged in :mod:`.server_start_response`,
and wsgi.file_wrapper in :mod:`.server_file_wrapper`.

Most of this is seen from inside, by :func:`wsgicheck.validator` under a foreign server
(each call of the app followed by what the server did with it); wsgicheck's own core
records the same, so its transports are judged by the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import (
    HELD_AT_EXIT,
    AppRaised,
    AppReturned,
    Exhausted,
    HeadersSent,
    Refused,
    StartResponseCalled,
    WriteCalled,
    Yielded,
)
from ..model.untrusted import show, shown_target
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, quoted, rule
from .server_evidence import (
    OWN_SOURCES,
    RAISED,
    call_outcomes,
    declared_length,
    judgeable,
    late_call_unsent,
    observed_after,
    problems_of,
    returned_before_start,
)

DETAILS = "Specification Details"
SR = "The start_response() Callable"


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
    # The server's own file wrapper, returned, is seen from outside only (a probe): by
    # whether its file was closed, where a wrapper the app closed itself closed its file.
    applies=lambda ex: (
        ex.returned is not None
        and ex.returned.has_close
        and not ex.timed_out
        and _over(ex)
        and (not ex.observations("file-wrapper-returned") or _wrapper_close_seen(ex))
    ),
    needs=("returned", "returned:close"),
    memo="exchange",
    example="""
bad:  for block in result: send(block)          # and never result.close()
fix:  try: for block in result: send(block)
      finally: if hasattr(result, "close"): result.close()""",
)
def close_called(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.observations("file-wrapper-returned"):
        if ex.extra.filelike_closed is False:
            yield self.finding(
                ex,
                "the iterable is the server's own wsgi.file_wrapper, whose close() closes "
                "its file (one the app closed itself did), and this one's file was never "
                "closed: the server never called close()",
            )
        return
    count = len(ex.closes)
    if count == 0:
        elsewhere = any(seen.detail == "close" for seen in ex.observations("iterator-attribute"))
        held = any(seen.detail == HELD_AT_EXIT for seen in ex.observations("never-closed"))
        after = [seen.detail for seen in ex.observations("never-closed-after")]
        yield self.finding(
            ex,
            "the iterable has close(); the server never called it"
            + (" (it still held the iterable when its process exited)" if held else "")
            + (
                f" (the iterable of {ex.method} {shown_target(ex.request.target, limit=60)}, which "
                f"had raised wsgicheck.validator's {show(after[0])} to it: PEP 3333 owes "
                "close() to a request terminated early by an error during iteration too)"
                if after
                else ""
            )
            + (
                " (it looked for close() on the iterator iter() gave, which is not the iterable)"
                if elsewhere
                else ""
            ),
        )
    elif count > 1:
        yield self.finding(ex, f"the server called close() {count} times")


def _wrapper_close_seen(ex: Exchange) -> bool:
    """Whether a probe saw what became of a returned file wrapper's file, the server's
    wrapper shown to close its file when closed."""
    extra = ex.extra
    return extra.filelike_closed is not None and extra.wrapper_closes_filelike is True


def _iterated(ex: Exchange) -> bool:
    """Whether the server asked the iterable for anything after the app returned."""
    returned = False
    for event in ex.events:
        if isinstance(event, AppReturned):
            returned = True
        elif returned and isinstance(event, Yielded | StartResponseCalled | WriteCalled):
            return True
    return ex.exhausted or any(raised.phase == "iteration" for raised in ex.raised)


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
        and returned_before_start(ex)
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
    elif (unsent := late_call_unsent(ex)) is not None:
        call, got = unsent
        yield self.finding(
            ex,
            f"the app called start_response({quoted(call.status)}, ...) on the first step of "
            f"its iterable; the client got {got}: the server sent a head it held before the call",
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
