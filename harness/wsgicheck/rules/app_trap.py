"""Application rule on errors: an exception that escapes the app is a finding, not a 500.

Like a fuzzer's server-error check: whatever escapes the application callable, its
iterable's ``__iter__``/``__next__`` or ``close()`` is reported with its type and the
innermost app frame, ``SystemExit`` and ``KeyboardInterrupt`` included (in a server's
worker thread they end the thread, in its main thread the server). An error the server
raised into the app (a refused ``start_response`` or ``write()``, the re-raise of a late
``exc_info``) is not the app's: the PEP has it propagate, and another rule judges the call.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.errors import VALIDATOR_VERDICTS
from ..model.events import AppRaised, InputRead, is_library
from ..model.grammar import decimal
from ..model.locations import portable_path
from ..model.untrusted import show
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, at, rule

#: What each phase of :class:`~wsgicheck.model.events.AppRaised` names.
PHASES = {
    "call": "the application callable",
    "iteration": "the iteration of its return value",
    "close": "its iterable's close()",
    "attribute": "a look-up on its iterable (close, len)",
}
#: What wsgicheck's core raises into an app for a call it refuses.
_REFUSALS = frozenset({"RefusedCall", "TypeError"})


def raised_by_the_server(ex: Exchange) -> set[str]:
    """The types of exception the server's own objects raised into the app in ``ex``:
    start_response, write(), wsgi.input (a body the client broke off) and wsgi.errors, and
    the refusals of a call wsgicheck's core refused."""
    kinds = {event.detail for event in ex.observations("start_response-raised")}
    kinds |= {event.detail for event in ex.observations("write-raised")}
    for what in ("input-raised", "errors-raised"):  # "read(None): TypeError"
        kinds |= {event.detail.rpartition(": ")[2] for event in ex.observations(what)}
    if any(event.callable in ("start_response", "write") for event in ex.refused):
        kinds |= _REFUSALS
    return kinds


def refused_signature(raised: AppRaised) -> bool:
    """Whether ``raised`` is the call itself failing on the app's signature (no frame of
    the app on its traceback: APP-CALLABLE-TWO-POSITIONAL's finding)."""
    return raised.phase == "call" and raised.exc_type == "TypeError" and raised.where is None


def _not_the_apps(ex: Exchange, raised: AppRaised) -> bool:
    """Whether ``raised`` is what the server raised into the app, the call itself failing
    on the app's signature, or a misused stream's AttributeError (each another rule's)."""
    if refused_signature(raised):
        return True
    if raised.exc_type in VALIDATOR_VERDICTS:  # wsgicheck.validator's verdict, not an error
        return True
    kinds = raised_by_the_server(ex)
    if ex.misuse:  # a stream method PEP 3333 does not give (APP-STREAMS-ONLY-SPEC-METHODS)
        kinds.add("AttributeError")
    return raised.exc_type in kinds


def own_errors(ex: Exchange) -> list[AppRaised]:
    """The exceptions that escaped the app of its own, not those the server raised into it
    (or its refused signature): what APP-TRAP-OWN-ERRORS reports."""
    return [raised for raised in ex.raised if not _not_the_apps(ex, raised)]


@rule(
    "APP-TRAP-OWN-ERRORS",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="Error Handling",
    summary="no exception escapes the app, its iterable or close(): the app answers its errors",
    pep="""In general, applications should try to trap their own, internal errors, and
    display a helpful message in the browser.""",
    needs=("environ",),
    memo="exchange",
    finds=("raised",),
    example="""
bad:  def app(environ, start_response): return [DB[environ["PATH_INFO"]]]  # KeyError
fix:  catch it and answer 404 (or 500 with exc_info=sys.exc_info() and a helpful page)""",
)
def trap_own_errors(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for raised in own_errors(ex):
        yield self.finding(ex, told(raised) + _after_short_read(ex, raised), raised.where)


def _after_short_read(ex: Exchange, raised: AppRaised) -> str:
    """What to add when the app raised with its body unread after a read of wsgi.input that
    gave less than it asked for and than was left (wsgicheck's ``max_read`` choice, or a
    real server's chunk per read): a library that takes such a read for the body's end or
    a client gone (WebOb's DisconnectionError) raises for a client that sent everything."""
    short: InputRead | None = None
    last: InputRead | None = None
    for event in ex.events:
        if event is raised:
            break
        if isinstance(event, InputRead):
            last = event
            asked = event.argument
            left = event.available
            if (
                event.method == "read"
                and isinstance(asked, int)
                and left is not None
                and event.size < min(asked, left)
            ):
                short = short or event
    if short is None or last is None or last.available is None or last.available <= last.size:
        return ""
    # Only against a length the app was given: with no CONTENT_LENGTH (a chunked body) a
    # library has no count to take a short read as falling short of, and an exception then
    # is about the missing length (Spyne 2.14's stream_factory compares None with an int; a
    # trial of 2026-12-07 found the finding blaming the short read).
    length = decimal(str(ex.environ.get("CONTENT_LENGTH", ""))) if ex.environ else None
    if length is None:
        return ""
    said = (
        f"; before it, wsgi.input.read({short.argument}) returned {short.size} of the "
        f"{short.available} bytes left, a short read PEP 3333 allows (the input stream's "
        "methods have the semantics the Python Library Reference documents, where read(size) "
        "returns at most size bytes; a server that fills every read hides it); the rest was "
        "never read"
    )
    # The request as the server received it: a client that went away mid-body (under the
    # validator, or serve) has sent less than its Content-Length, and is not told otherwise.
    if len(ex.request.body) >= length:
        said += ", and the client sent the whole body"
    return said


def _library_at(raised: AppRaised) -> str:
    """Where in a library an exception with no frame of the user's was raised: the report
    places such a finding at the app's definition, and the message keeps the line."""
    place = raised.where
    if place is None or not is_library(place.file) or place.file.startswith("<"):
        return ""
    return " from " + show(f"{portable_path(place.file)}:{place.line} in {place.called}")


def told(raised: AppRaised) -> str:
    """An exception that escaped the app, as a finding tells it: its type, where, why."""
    where = PHASES.get(raised.phase, raised.phase)
    message = f"{raised.exc_type} escaped {where}{at(raised.where) or _library_at(raised)}"
    if raised.message:  # the app's text: escaped here, so a reproducer's print() is safe too
        message += f": {show(raised.message, limit=200)}"
    return message
