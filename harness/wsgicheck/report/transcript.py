"""A ``curl -v``-style transcript of one exchange, with what the trace recorded.

``>`` lines are the request, ``<`` lines the response, ``*`` lines what the server observed
the application do. Bodies are summarised by size, never printed. The request came from
whoever connected and the response and events from the app, so every line passes through
:func:`~wsgicheck.model.untrusted.show` (and every app object through
:func:`~wsgicheck.model.untrusted.safe_repr`): no client or app can write a control sequence or a
line of its own into the terminal or log that shows the transcript.
"""

from __future__ import annotations

from ..model import events as ev
from ..model.locations import is_own
from ..model.request import Framing
from ..model.response import Response
from ..model.untrusted import as_sent, safe_repr, show, type_name

__all__ = ["describe_event", "format_exchange"]


def _at(where: ev.Location | None) -> str:
    """Where the app did it; nothing for wsgicheck's own code (the blocks of the file
    wrapper it offers are read there, not in the app)."""
    if where is None or is_own(where.file):
        return ""
    return f" at {show(where.file)}:{where.line}"


def _size(event: ev.Yielded | ev.WriteCalled) -> str:
    value = event.value
    if isinstance(value, bytes):
        return f"{ev.block_size(event)} bytes"
    return f"a {type_name(value)} ({safe_repr(value, limit=40)})"


def describe_event(event: ev.Event) -> str:
    """One line saying what an event records."""
    match event:
        case ev.StartResponseCalled():
            extra = f", exc_info={event.exc_info}" if event.exc_info_kind != "absent" else ""
            arguments = f"{safe_repr(event.status)}, {safe_repr(event.headers)}{extra}"
            return f"start_response({arguments}){_at(event.where)}"
        case ev.Refused():
            return f"server refused {event.callable}: {event.message}"
        case ev.AppReturned():
            length = f", len()={event.length}" if event.length is not None else ""
            close = ", has close()" if event.has_close else ""
            return f"app returned {event.type_name}{length}{close}{_at(event.where)}"
        case ev.AppRaised():
            where = _at(event.where)
            return f"app raised {event.exc_type}: {event.message} during {event.phase}{where}"
        case ev.Yielded():
            return f"iterable yielded {_size(event)}{_at(event.where)}"
        case ev.WriteCalled():
            when = " from inside the iterable" if event.during_iteration else ""
            return f"write() of {_size(event)}{when}{_at(event.where)}"
        case ev.HeadersSent():
            return f"headers sent: {show(event.status)}"
        case ev.CloseCalled():
            return "close() called" + (f", raised {event.error}" if event.error else "")
        case ev.InputRead():
            default = event.argument is None or safe_repr(event.argument) == "-1"
            arg = "" if default else safe_repr(event.argument)
            return f"wsgi.input.{event.method}({arg}) -> {event.size} bytes"
        case ev.ErrorsWritten():
            value = "" if event.value is None else safe_repr(event.value, limit=60)
            return f"wsgi.errors.{event.method}({value})"
        case ev.StreamMisuse():
            return f"{event.stream}.{event.attribute} used (not a PEP 3333 method)"
        case ev.FileWrapperCalled():
            return f"wsgi.file_wrapper({event.filelike_type}){_at(event.where)}"
        case ev.BodyTruncated():
            return f"body of {event.produced} bytes cut to its Content-Length {event.declared}"
        case ev.BodyShort():
            return f"body ended after {event.sent} of {event.declared} declared bytes"
        case ev.BodyLimitReached():
            return f"stopped reading the body at the {event.limit}-byte limit"
        case ev.Exhausted():
            return "iterable exhausted"
        case ev.ServerObserved(what=ev.BODY_UNFINISHED):
            return f"server: the request body broke off after {event.detail} bytes"
        case ev.ServerObserved():
            return f"server: {event.what}: {event.detail}"
        case ev.TimedOut():
            after = "aborted the response" if event.headers_sent else "answered 500"
            return f"the app ran past the {event.limit:g}s exchange limit; the server {after}"
        case ev.ClientGone():
            return f"client went away: {event.message}"


def format_exchange(response: Response, *, trace: bool = True) -> list[str]:
    """The transcript lines for one response, each safe to print as it is: what went over
    the wire with its bytes past ASCII escaped (:func:`as_sent`)."""
    request = response.request
    target = show(as_sent(request.target))
    lines = [f"> {show(as_sent(request.method))} {target} HTTP/{request.http_version}"]
    lines.extend(
        f"> {show(as_sent(name))}: {show(as_sent(value))}" for name, value in request.headers
    )
    if request.framing is Framing.CONTENT_LENGTH:
        declared = (response.environ or {}).get("CONTENT_LENGTH", response.request_body_size)
        lines.append(f"> Content-Length: {declared}")
    elif request.framing is Framing.CHUNKED:
        lines.append("> Transfer-Encoding: chunked")
    lines.append(">")
    arrived = _arrived(response)
    if arrived is not None:
        of = (
            f" of {response.request_body_size}" if request.framing is Framing.CONTENT_LENGTH else ""
        )
        lines.append(
            f"> [{show(arrived)}{of} bytes of body, {request.framing.value}, then no more]"
        )
    elif response.request_body_size:
        lines.append(f"> [{response.request_body_size} bytes of body, {request.framing.value}]")
    lines.append(f"< HTTP/1.1 {response.status_code} {show(as_sent(response.reason))}")
    lines.extend(
        f"< {show(as_sent(name))}: {show(as_sent(value))}" for name, value in response.headers
    )
    lines.append("<")
    state = "" if response.complete else ", response aborted"
    lines.append(f"< [{response.body_size} bytes of body{state}]")
    if trace:
        lines.extend(f"* {show(line)}" for line in _trace_lines(response))
    return lines


def _arrived(response: Response) -> str | None:
    """How much of the request body the server got, when not all of it did."""
    for event in response.trace:
        if type(event) is ev.ServerObserved and event.what == ev.BODY_UNFINISHED:
            return event.detail
    return None


def _trace_lines(response: Response) -> list[str]:
    """What each event of the trace records. Where the server replaced the app's answer by
    the 400 or 413 a bad request body is owed, the head the app's answer would have had
    never went out: it is shown so (an adversarial trial of 2026-12-07 read "headers sent:
    500" above a 400 on the wire)."""
    events = list(response.trace)
    replaced = any(
        type(event) is ev.ServerObserved and event.what == "body-error-answered" for event in events
    )
    return [
        f"headers not sent: {show(event.status)} (the server answered {response.status_code})"
        if replaced and type(event) is ev.HeadersSent
        else describe_event(event)
        for event in events
    ]
