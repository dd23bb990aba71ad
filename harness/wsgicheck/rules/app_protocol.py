"""Application rules on the calling protocol: the callable, start_response and exc_info.

What the application returns and writes is judged in :mod:`.app_response_body`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import StartResponseCalled, WriteCalled, Yielded
from ..model.grammar import SAFE_METHODS
from ..model.locations import portable_path
from ..model.untrusted import plain, show
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, at, quoted, rule

SR = "The start_response() Callable"


def _called(ex: Exchange) -> bool:
    return bool(ex.start_calls)


def _returned(ex: Exchange) -> bool:
    return ex.returned is not None


@rule(
    "APP-CALLABLE-TWO-POSITIONAL",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details",
    summary="the application accepts two positional arguments (environ, start_response)",
    pep="""The application object must accept two positional arguments. For the sake of
    illustration, we have named them environ and start_response, but they are not required
    to have these names.""",
    needs=("environ",),
    memo="exchange",
    finds=("raised",),
    example="""
bad:  def app(environ): ...                      # or: def app(*, environ, start_response)
fix:  def app(environ, start_response): ...""",
)
def callable_two_positional(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for raised in ex.raised:
        # A TypeError raised by the call itself (no frame of the app on the traceback)
        # means the app could not take the two arguments.
        if raised.phase == "call" and raised.exc_type == "TypeError" and raised.where is None:
            failed = show(raised.message, limit=200)
            # A callable of no arguments is most often the factory that makes the app.
            # Its qualified name (Factory.make), which TARGET names it by; none for a
            # function defined inside another, which TARGET cannot name.
            name, called, _ = raised.message.partition("() takes 0 positional arguments")
            nameable = all(part.isidentifier() for part in name.split("."))
            factory = (
                f"; if it makes the app (a factory), name it with () in TARGET: module:{name}()"
                if called and nameable
                else ""
            )
            yield self.finding(ex, f"calling the app with two arguments failed: {failed}{factory}")


@rule(
    "APP-REINVOKABLE",
    level=Level.MUST,
    binding=Binding.APP,
    section="The Application/Framework Side",
    summary="the application can be called again for the same request",
    pep="""Application objects must be able to be invoked more than once, as virtually all
    servers/gateways (other than CGI) will make such repeated requests.""",
    # A safe method's (RFC 9110 §9.2.1), with no request of another method between the two:
    # a second DELETE that finds nothing left is the app's state, no call it cannot take.
    applies=lambda ex: ex.method in SAFE_METHODS and _unchanged_since(ex, ex.previous),
    needs=("previous", "environ"),
    memo="exchange",
    example="""
bad:  body = iter([b"hi"]) at module level, returned by every call (empty the second time)
fix:  build the response inside the call""",
)
def reinvokable(self: Rule, ex: Exchange) -> Iterator[Finding]:
    first = ex.previous
    assert first is not None
    if not first.raised and ex.raised and ex.raised[0].phase == "call":
        raised = ex.raised[0]
        yield self.finding(
            ex,
            f"the same request worked the first time and raised {raised.exc_type} the next",
            raised.where,
        )
    elif (
        first.iteration_finished
        and ex.iteration_finished
        and first.response.status_code == ex.response.status_code
        and _body(first)
        and not _body(ex)
        and ex.method != "HEAD"
    ):
        yield self.finding(ex, "the same request got a body the first time and none the next")


def _body(ex: Exchange) -> bytes:
    return b"".join(block for _, block in ex.body_blocks())


def _unchanged_since(ex: Exchange, first: Exchange | None) -> bool:
    """Whether no request of a method that is not safe came between ``first`` and ``ex``
    (the two transports' exchanges of one example have none between them)."""
    for earlier in reversed(ex.history):
        if earlier is first:
            return True
        if earlier.method not in SAFE_METHODS:
            return False
    return True


@rule(
    "APP-SR-POSITIONAL",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details; " + SR,
    summary="start_response is called with positional arguments only (2 or 3 of them)",
    pep="""The start_response parameter is a callable accepting two required positional
    arguments, and one optional argument. ... start_response(status, response_headers)""",
    applies=lambda ex: bool(ex.start_calls or ex.refusals("APP-SR-POSITIONAL")),
    needs=(),
    memo="exchange",
    finds=("sr-args", "refused:APP-SR-POSITIONAL"),
    example="""
bad:  start_response(status="200 OK", response_headers=headers)
fix:  start_response("200 OK", headers)""",
)
def sr_positional(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        if call.keywords or call.positional not in (2, 3):
            keywords = f" and keywords {', '.join(call.keywords)}" if call.keywords else ""
            yield self.finding(
                ex,
                f"called with {call.positional} positional arguments{keywords}{at(call.where)}",
                call.where,
            )
    # Arguments a server cannot even bind (four of them, an unknown keyword) are refused
    # before the call is recorded as one.
    for refusal in ex.refusals(self.id):
        yield self.finding(ex, f"start_response could not take its arguments: {refusal.message}")


@rule(
    "APP-SR-CALLED",
    level=Level.MUST,
    implied=True,
    binding=Binding.APP,
    section="Specification Details",
    summary="the application calls start_response for every request, even with no body",
    pep="""the application must invoke the start_response() callable before the iterable yields
    its first body bytestring, so that the server can send the headers before any body
    content.""",
    needs=("returned",),
    memo="exchange",
    finds=("sr-missing",),
    example="""
bad:  def app(environ, start_response): return []
fix:  start_response("204 No Content", []); return []""",
)
def sr_called(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Only an iterable that ran to its end shows start_response was never coming: a server
    # that stopped early (another violation, or its own choice) cannot tell.
    if not ex.start_calls and ex.exhausted and not ex.raised and not ex.client_gone:
        yield self.finding(
            ex,
            "the app returned its iterable and it ended without start_response()"
            + at(ex.returned.where if ex.returned else None),
            ex.returned.where if ex.returned else None,
        )


@rule(
    "APP-SR-BEFORE-BODY",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details",
    summary="start_response is called before the first body bytes are produced",
    pep="""the application must invoke the start_response() callable before the iterable yields
    its first body bytestring, so that the server can send the headers before any body
    content. However, this invocation may be performed by the iterable's first iteration""",
    applies=lambda ex: bool(ex.yields or ex.writes),
    needs=(),
    memo="exchange",
    finds=("early-body",),
    example="""
bad:  def app(environ, start_response): yield b"hi"; start_response("200 OK", [])
fix:  start_response first, then yield""",
)
def sr_before_body(self: Rule, ex: Exchange) -> Iterator[Finding]:
    started = False
    for event in ex.events:
        if isinstance(event, StartResponseCalled):
            started = True
        elif (
            isinstance(event, Yielded | WriteCalled)
            and not started
            and (isinstance(event, WriteCalled) or event.value)
        ):
            value = quoted(event.value)
            what = f"write({value}) was called"
            if isinstance(event, Yielded):
                what = f"the block {value} came"
            yield self.finding(ex, f"{what} before start_response(){at(event.where)}", event.where)
            return


@rule(
    "APP-SR-ONCE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SR,
    summary="start_response is called again only with exc_info, from an error handler",
    pep="""More precisely, it is a fatal error to call start_response without the exc_info
    argument if start_response has already been called within the current invocation of
    the application.""",
    needs=("start_response",),
    memo="exchange",
    finds=("start_response:again",),
    example="""
bad:  start_response("200 OK", h); ...; start_response("500 Oops", h)
fix:  except Exception: start_response("500 Oops", h, sys.exc_info())""",
)
def sr_once(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls[1:]:
        if call.exc_info_kind == "absent":
            yield self.finding(
                ex,
                f"start_response({quoted(call.status)}, ...) called again without exc_info"
                + at(call.where)
                + _through(call, "exc_info"),
                call.where,
            )
        elif call.exc_info_kind == "empty" and call.headers_sent:
            yield self.finding(
                ex,
                f"start_response({quoted(call.status)}, ...) called after the headers were sent"
                + at(call.where),
                call.where,
            )


def _through(call: StartResponseCalled, argument: str) -> str:
    """What to add when a library's function between the user's line and the server made
    the call (a middleware's own start_response): it may have passed on less than it got."""
    via = call.via
    if via is None:
        return ""
    place = show(f"{portable_path(via.file)}:{via.line} in {via.called}")
    return (
        f"; the call reached the server through {place}, a library's start_response "
        f"between this line and the server: if this line passes {argument}, that function "
        "dropped it"
    )


@rule(
    "APP-EXC-INFO-TUPLE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SR,
    summary="exc_info, when given, is a sys.exc_info() triple",
    pep="""The exc_info argument, if supplied, must be a Python sys.exc_info() tuple.""",
    needs=("start_response",),
    memo="exchange",
    finds=("exc_info:malformed",),
    example="""
bad:  start_response("500 Oops", h, exc)          # the exception, not the triple
fix:  start_response("500 Oops", h, sys.exc_info())""",
)
def exc_info_tuple(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        if call.exc_info_kind == "malformed":
            yield self.finding(
                ex, f"exc_info is not a triple: {call.exc_info}{at(call.where)}", call.where
            )


@rule(
    "APP-EXC-INFO-ONLY-IN-ERROR",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SR,
    summary="exc_info is passed only from an error handler, with a real exception",
    pep="""This argument should be supplied by the application only if start_response is
    being called by an error handler.""",
    needs=("start_response",),
    memo="exchange",
    finds=("exc_info:empty", "exc_info:exception"),
    example="""
bad:  start_response("200 OK", h, sys.exc_info())   # outside any except block
fix:  start_response("200 OK", h)""",
)
def exc_info_only_in_error(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        if call.exc_info_kind == "empty":
            yield self.finding(
                ex, f"exc_info passed with no exception in it{at(call.where)}", call.where
            )
        elif (
            call.exc_info_kind == "exception"
            and call.handling is None
            and not _error_status(call.status)
        ):
            # A real triple kept from an earlier except block is still an error handler's
            # (Bottle stores sys.exc_info() and starts its 500 later): only a non-error
            # status shows the exc_info does not belong to the response.
            yield self.finding(
                ex,
                "exc_info passed outside an error handler, with status "
                f"{quoted(call.status)}{at(call.where)}",
                call.where,
            )


def _error_status(status: object) -> bool:
    return isinstance(status, str) and plain(status)[:1] in ("4", "5")


@rule(
    "APP-EXC-INFO-ON-ERROR",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="Error Handling",
    summary="an error response started from an except block passes exc_info",
    pep="""These techniques will work as long as application authors: 1. Always provide
    exc_info when beginning an error response""",
    # Started from an except block, or there is nothing to judge (not a pass).
    needs=("start_response", "handling"),
    memo="exchange",
    example="""
bad:  except Exception: start_response("500 Oops", h)
fix:  except Exception: start_response("500 Oops", h, sys.exc_info())""",
)
def exc_info_on_error(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        if (
            call.exc_info_kind == "absent"
            and call.handling is not None
            and isinstance(call.status, str)
            and call.status[:1] == "5"
        ):
            yield self.finding(
                ex,
                f"a {call.status[:3]} started while handling {call.handling}, without exc_info"
                + at(call.where),
                call.where,
            )


@rule(
    "APP-NO-TRAP-SR-EXC",
    level=Level.MUST,
    binding=Binding.APP,
    section=SR + "; Error Handling",
    summary="the exception start_response re-raises for a late exc_info propagates",
    pep="""However, if exc_info is provided, and the HTTP headers have already been sent,
    start_response must raise an error ... The application must not trap any exceptions
    raised by start_response, if it called start_response with exc_info.""",
    needs=("late-exc-info",),
    memo="exchange",
    example="""
bad:  try: start_response("500 Oops", h, sys.exc_info())
      except Exception: pass
fix:  let it propagate: the server aborts the response""",
)
def no_trap_sr_exc(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.source == "validator" and not ex.observations("start_response-raised"):
        return  # that server did not raise (its own fault): there was nothing to trap
    if not ex.raised:
        late = next(
            call
            for call in ex.start_calls
            if call.exc_info_kind == "exception" and call.headers_sent
        )
        yield self.finding(
            ex,
            f"start_response re-raised the error, and the app swallowed it{at(late.where)}",
            late.where,
        )
