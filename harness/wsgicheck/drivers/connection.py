"""One HTTP/1.1 connection on a real socket: parse heads, serve exchanges through the core.

The socket transport adds only bytes and sockets to the core. A
:class:`~wsgicheck.drivers.sockets.Connection` holds the socket and the bytes received but not
yet parsed; :func:`parse_head` turns them into an h11 request (after the strict checks of
:mod:`wsgicheck.drivers.wire`); :func:`serve_exchange` runs one request through
:func:`~wsgicheck.core.environ.build_environ` and the core's
:class:`~wsgicheck.core.invoke.AppCall` with a body streamed from the socket
(:class:`~wsgicheck.drivers.socketio.SocketBody`) and a response streamed to it
(:class:`~wsgicheck.drivers.socketio.SocketSink`, framed by :mod:`wsgicheck.drivers.framing`).
Each request gets a fresh ``h11.Connection`` to read it (a plain head without a body,
:class:`Bodiless`, is read by :func:`~wsgicheck.drivers.wire.simple_head` instead), so every head
has passed the raw checks first, pipelined ones included. ``Connection``, ``Limits`` and the
two streams stay importable from here.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import h11

from ..core.environ import Refusal, ServerConfig, build_environ, request_problem
from ..core.invoke import AppCall, WSGIApp
from ..core.sink import http_date, send_refusal
from ..model.events import BODY_UNFINISHED, Location, RawEvent, raw_server_observed
from ..model.request import Framing, Request
from ..model.response import Response
from .framing import SendError
from .overtime import Overtime
from .socketio import SocketBody, SocketSink
from .sockets import REASONS, RECV_SIZE, Connection, Limits, RequestReader
from .wire import (
    ChunkLines,
    WireError,
    check_head,
    check_partial_head,
    find_head_end,
    for_h11,
    is_chunked,
    request_head,
    simple_head,
)

__all__ = [
    "After",
    "Bodiless",
    "Connection",
    "Limits",
    "RequestReader",
    "SendError",
    "SocketBody",
    "SocketSink",
    "answer_head",
    "body_unfinished",
    "error_answer",
    "error_response",
    "parse_head",
    "serve_exchange",
]


class After(enum.Enum):
    """What becomes of the connection once an exchange is served."""

    #: It carries the next request.
    KEEP = "keep"
    #: It closes, and the client knows it: the head said so, or the body was cut short.
    CLOSE = "close"
    #: It closes after a whole response whose head let the client reuse it (an unread body
    #: the server would not drain, an app that raised after its whole body): the client
    #: cannot know, so it is closed before the exchange is reported.
    CLOSE_UNANNOUNCED = "close unannounced"


class Bodiless:
    """The reader of a request with no body that :func:`~wsgicheck.drivers.wire.simple_head` read:
    it answers as an ``h11.Connection`` does after such a head (the end of the body, then
    a pause), and holds the bytes received after the head."""

    __slots__ = ("_ended", "client_is_waiting_for_100_continue", "trailing_data")

    they_are_waiting_for_100_continue = False  # a head with Expect goes to h11

    def __init__(self, rest: bytes) -> None:
        self._ended = False
        self.client_is_waiting_for_100_continue = False
        self.trailing_data = (rest, False)

    @property
    def their_state(self) -> object:
        return h11.DONE if self._ended else h11.SEND_BODY

    def next_event(self) -> object:
        if self._ended:
            return h11.PAUSED
        self._ended = True
        return h11.EndOfMessage()

    def receive_data(self, data: bytes) -> None:  # pragma: no cover - never needs data
        raise AssertionError("a request without a body reads no more data")


def parse_head(conn: Connection, limits: Limits) -> tuple[RequestReader, h11.Request] | None:
    """The next request on ``conn`` if its whole head has arrived, else None.

    Raises :class:`~wsgicheck.drivers.wire.WireError` (carrying the status to answer) for a
    head that must be refused. Bytes after the head go with the reader of the request.
    """
    buffer = conn.buffer
    while buffer[:2] == b"\r\n":  # RFC 9112 §2.2: ignore empty lines before a request
        del buffer[:2]
    end = find_head_end(buffer)
    if end < 0:
        check_partial_head(
            buffer,
            max_head=limits.max_head,
            max_target=limits.max_target,
            max_fields=limits.max_fields,
        )
        return None
    head = bytes(buffer[:end])
    check_head(
        head,
        max_head=limits.max_head,
        max_target=limits.max_target,
        max_fields=limits.max_fields,
        raw_latin1_targets=limits.raw_latin1_targets,
    )
    h11_head, conn.raw_target = for_h11(head)
    rest = bytes(buffer[end:])
    conn.buffer = bytearray()
    simple = simple_head(head) if conn.raw_target is None else None
    if simple is not None:
        conn.chunk_lines, conn.unchecked = None, b""
        return Bodiless(rest), simple
    parser = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_head)
    parser.receive_data(h11_head)
    try:
        event = parser.next_event()
    except h11.RemoteProtocolError as exc:
        raise WireError(str(exc), exc.error_status_hint) from exc
    if not isinstance(event, h11.Request):  # pragma: no cover - a checked head always parses
        raise WireError("could not parse the request head")
    if is_chunked(event):
        # Checked as the app reads: a bad line is the app's wsgi.input error and a 400.
        conn.chunk_lines, conn.unchecked = ChunkLines(limits.max_chunk_ext), rest
    else:
        conn.chunk_lines, conn.unchecked = None, b""
        if rest:  # b"" would tell h11 the stream ended
            parser.receive_data(rest)
    return parser, event


def error_answer(
    status: int, message: str, server_software: str
) -> tuple[str, list[tuple[str, str]], bytes]:
    """The reason, header fields and body of the server's own answer to a request refused
    before any app ran, or answered in the app's place; the answer closes the connection."""
    reason = REASONS.get(status, "Error")
    body = f"{status} {reason}\n\n{message}\n".encode("utf-8", "replace")
    fields = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Date", http_date()),
        ("Server", server_software),
        ("Connection", "close"),
    ]
    return reason, fields, body


def error_response(
    status: int, message: str, server_software: str, *, bodiless: bool = False
) -> bytes:
    """:func:`error_answer` as the bytes sent. ``bodiless``: to a HEAD, whose answer has
    the length a GET's would have and no body (RFC 9110 §9.3.2)."""
    reason, fields, body = error_answer(status, message, server_software)
    return answer_head(status, reason, fields) + (b"" if bodiless else body)


def answer_head(status: int, reason: str, fields: list[tuple[str, str]]) -> bytes:
    """The status line and header section of one of the server's own answers."""
    lines = "".join(f"{name}: {value}\r\n" for name, value in fields)
    return f"HTTP/1.1 {status} {reason}\r\n{lines}\r\n".encode("latin-1")


@dataclass(slots=True)
class InFlight:
    """An exchange a worker is running, as the watchdog sees it."""

    conn: Connection
    request: Request
    environ: dict[str, Any]
    log: list[RawEvent]
    #: The exchange's time limit, moved on while the app keeps working past it.
    overtime: Overtime
    #: Set by whoever reports the exchange first (the worker or the watchdog).
    reported: bool = False
    #: The request's Content-Length, and its body as read so far (for a chunked one).
    declared: int | None = None
    body: SocketBody | None = None
    #: The core's exchange: the watchdog tells it the client is gone when it takes over.
    exchange: AppCall | None = None

    @property
    def request_body_size(self) -> int:
        """The size of the request body, as far as the server knows it yet."""
        if self.declared is not None:
            return self.declared
        return self.body.size if self.body is not None else 0


def serve_exchange(
    app: WSGIApp,
    conn: Connection,
    parser: RequestReader,
    event: h11.Request,
    *,
    config: ServerConfig,
    limits: Limits,
    app_where: Location | None,
    track: Callable[[InFlight | None], None],
    started: float,
    record: bool = True,
) -> tuple[After, Response | None]:
    """Serve one request on ``conn``; return what becomes of the connection, and the record.

    The record is None when not asked for, or when the watchdog took the exchange over (it
    reports it instead).
    """
    request, declared = request_head(event, conn.raw_target)
    log: list[RawEvent] = []
    body = SocketBody(conn, parser, limits)
    sink = SocketSink(conn, parser, body, limits, request=event, declared=declared, digest=record)
    environ: dict[str, Any] | None = None
    errors = ""
    if declared is not None and limits.max_body is not None and declared > limits.max_body:
        refusal: Refusal | None = Refusal(
            413, "Content Too Large", "request body over the size limit", True
        )
    else:
        refusal = request_problem(request, config)
    if refusal is not None:
        try:
            send_refusal(refusal, sink, config, method=request.method)
            completed = not refusal.close
        except OSError:
            completed = False
    else:
        live = build_environ(
            request, config, body=body, log=log, remote=conn.remote, content_length=declared
        )
        environ = live.copy() if record else live
        # The trace keeps whole blocks as far as the record keeps the body, no further.
        exchange = AppCall(sink, log, config, request.method, keep=limits.capture_limit)
        overtime = Overtime(started, limits.exchange_timeout)
        flight = InFlight(
            conn, request, environ, log, overtime, declared=declared, body=body, exchange=exchange
        )
        track(flight)
        try:
            completed = exchange.run(app, live, app_where)
        finally:
            track(None)
        with conn.lock:  # the watchdog checks and sets it under the lock too
            if flight.reported:
                return After.CLOSE, None  # taken over: the watchdog reports it
            flight.reported = True
        if sink.replaced:
            log.append(raw_server_observed("body-error-answered", str(sink.status_code)))
        if record:
            errors = environ["wsgi.errors"].getvalue()
    keep = completed and body.error is None and not sink.replaced and sink.reusable
    # A request without Content-Length or Transfer-Encoding, or with a length of 0, has no
    # body (RFC 9112 §6.3): nothing to discard, and h11 need not be asked for its end.
    bodiless = request.framing is Framing.NONE or declared == 0
    keep = keep and (bodiless or _finish_body(parser, body, limits))
    if keep:
        after = After.KEEP
    elif sink.complete and not sink.close_announced:
        after = After.CLOSE_UNANNOUNCED
    else:
        after = After.CLOSE
    if not record:
        return after, None
    if body.unfinished:
        log.append(body_unfinished(body))
    if body.captured:
        request = request.replace(body=bytes(body.captured))
    return after, Response(
        request,
        sink.status_code,
        sink.reason,
        sink.wire_fields(),
        bytes(sink.captured),
        completed,
        environ,
        log,
        errors,
        request_body_size=declared if declared is not None else body.size,
        body_size=sink.size,
        body_digest=sink.digest.hexdigest() if sink.digest is not None else None,
    )


def body_unfinished(body: SocketBody) -> RawEvent:
    """The record that the request body did not arrive whole (the client closed or stalled
    early, a chunk was malformed, or the size limit was passed), with how much of it did:
    a trace that said "[50 bytes of body]" of a client that sent 5 and closed misled (an
    adversarial trial of 2026-12-07)."""
    return raw_server_observed(BODY_UNFINISHED, str(body.size))


def _finish_body(parser: RequestReader, body: SocketBody, limits: Limits) -> bool:
    """Discard what the app left of the request body; True if the connection can be reused."""
    if parser.their_state is h11.DONE:
        return True
    if parser.they_are_waiting_for_100_continue or parser.their_state is not h11.SEND_BODY:
        return False  # the client may or may not send the body now: framing is in doubt
    start = body.size
    try:
        while body.read_some(RECV_SIZE):
            if body.size - start > limits.drain_limit:
                return False
    except OSError:
        return False
    state: object = parser.their_state  # read_some moved it on; mypy cannot see that
    return state is h11.DONE
