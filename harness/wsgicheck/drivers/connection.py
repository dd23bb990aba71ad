"""One HTTP/1.1 connection on a real socket: parse heads, serve exchanges through the core.

The socket transport adds only bytes and sockets to the core. A :class:`Connection` holds the
socket and the bytes received but not yet parsed; :func:`parse_head` turns them into an h11
request (after the strict checks of :mod:`wsgicheck.drivers.wire`); :func:`serve_exchange` runs one
request through :func:`~wsgicheck.core.environ.build_environ` and the core's
:class:`~wsgicheck.core.invoke.AppCall` with a body streamed from the socket (:class:`SocketBody`)
and a response streamed to it (:class:`SocketSink`, framed by :mod:`wsgicheck.drivers.framing`).
Each request gets a fresh ``h11.Connection`` to read it (a plain head without a body,
:class:`Bodiless`, is read by :func:`~wsgicheck.drivers.wire.simple_head` instead), so every head
has passed the raw checks first, pipelined ones included.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import h11

from ..core.environ import Refusal, ServerConfig, build_environ, request_problem
from ..core.invoke import AppCall, WSGIApp
from ..core.sink import http_date, send_refusal
from ..model.events import Location, RawEvent, raw_server_observed
from ..model.request import Framing, Request
from ..model.response import Response, body_hasher
from .framing import ResponseFraming, SendError, client_keep_alive
from .wire import (
    MAX_CHUNK_EXT,
    MAX_FIELDS,
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
    "Bodiless",
    "Connection",
    "Limits",
    "RequestReader",
    "SendError",
    "SocketBody",
    "SocketSink",
    "parse_head",
    "serve_exchange",
]

RECV_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The server's limits and timeouts (seconds), all configurable."""

    #: Largest request head (request line and header fields): beyond it, 431.
    max_head: int = 64 * 1024
    #: Longest request-target: beyond it, 414.
    max_target: int = 8 * 1024
    #: Most header fields in a request head: beyond it, 431.
    max_fields: int = MAX_FIELDS
    #: Most bytes of chunk extensions on one chunk-size line: beyond it, 400.
    max_chunk_ext: int = MAX_CHUNK_EXT
    #: A server choice, not a limit: take raw octets 0x80-0xFF in a request-target (as
    #: gunicorn, waitress and wsgiref do) instead of refusing them with 400 as RFC 9112 §3.2
    #: and RFC 3986 §2 have it. Off by default and in ``wsgicheck serve``; the runner's
    #: socket transport turns it on to show an app raw latin-1 bytes in PATH_INFO.
    raw_latin1_targets: bool = False
    #: Largest request body: a larger Content-Length, or a chunked body growing past it, 413.
    max_body: int | None = 1 << 30
    #: Time to receive a whole request head once it has begun (slowloris defence).
    header_timeout: float = 10.0
    #: Time a keep-alive connection may sit idle between requests.
    keepalive_timeout: float = 15.0
    #: Time any single socket read or write may block while an exchange runs.
    io_timeout: float = 30.0
    #: Time an application may take for one exchange before the server answers for it.
    exchange_timeout: float = 30.0
    #: Unread request body the server will discard to keep a connection alive.
    drain_limit: int = 1 << 20
    #: Bytes of each request and response body kept in exchange records.
    capture_limit: int = 0


class ConnectionClosed(ConnectionError):
    """The client closed the connection or the socket failed."""


class RequestBodyError(ConnectionError):
    """The request body could not be read: malformed framing, or over the size limit.

    Raised into the application from ``wsgi.input``; ``status`` is what the server answers.
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class Connection:
    """A client socket and what has been received on it but not yet parsed."""

    __slots__ = (
        "buffer",
        "chunk_lines",
        "closed",
        "deadline",
        "head_sent",
        "idle",
        "lock",
        "raw_target",
        "remote",
        "sock",
        "taken_over",
        "unchecked",
    )

    def __init__(self, sock: socket.socket, remote: tuple[str, int]) -> None:
        self.sock = sock
        self.remote = remote
        self.buffer = bytearray()
        #: When the selector gives up on this idle or half-sent connection (monotonic).
        self.deadline = 0.0
        #: Serialises writes between the worker and the watchdog.
        self.lock = threading.Lock()
        self.taken_over = False
        self.head_sent = False
        self.closed = False
        #: Whether the poller is watching it for a request (not a worker serving it).
        self.idle = False
        #: The raw target of the request being served, when h11 was given a stand-in.
        self.raw_target: str | None = None
        #: For a chunked request: the checker of its chunk lines, and the bytes received
        #: after its head, which h11 gets only once they have passed it (in SocketBody).
        self.chunk_lines: ChunkLines | None = None
        self.unchecked = b""

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class RequestReader(Protocol):
    """What the server reads a request's body and its state through: an ``h11.Connection``,
    or a :class:`Bodiless` reader for a request that has no body."""

    client_is_waiting_for_100_continue: bool

    @property
    def they_are_waiting_for_100_continue(self) -> bool: ...

    @property
    def their_state(self) -> object: ...

    @property
    def trailing_data(self) -> tuple[bytes, bool]: ...

    def next_event(self) -> object: ...

    def receive_data(self, data: bytes) -> None: ...


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


def error_response(status: int, message: str, server_software: str) -> bytes:
    """A complete response for a request refused before any app ran; it closes the connection."""
    reason = _REASONS.get(status, "Error")
    body = f"{status} {reason}\n\n{message}\n".encode("utf-8", "replace")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Date: {http_date()}\r\n"
        f"Server: {server_software}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode("latin-1") + body


_REASONS = {
    400: "Bad Request",
    404: "Not Found",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    505: "HTTP Version Not Supported",
}


class SocketBody:
    """``wsgi.input``'s source: the request body, read from the socket through h11.

    The first read answers ``Expect: 100-continue`` (PEP 3333: send 100 when the app first
    reads, so an app that answers without reading never makes the client send its body).
    """

    __slots__ = (
        "_capture",
        "_conn",
        "_limits",
        "_lines",
        "_parser",
        "_pending",
        "_unchecked",
        "captured",
        "error",
        "size",
    )

    def __init__(self, conn: Connection, parser: RequestReader, limits: Limits) -> None:
        self._conn = conn
        self._parser = parser
        self._limits = limits
        self._pending = b""
        # A chunked body reaches h11 only through its ChunkLines check.
        self._lines, self._unchecked = conn.chunk_lines, conn.unchecked
        conn.chunk_lines, conn.unchecked = None, b""
        self._capture = limits.capture_limit
        self.captured = bytearray()
        self.size = 0
        self.error: RequestBodyError | None = None

    def read_some(self, limit: int) -> bytes:
        if self._pending:
            data, self._pending = self._pending[:limit], self._pending[limit:]
            return data
        if self.error is not None:
            raise self.error
        parser = self._parser
        if parser.they_are_waiting_for_100_continue:
            _send_continue(self._conn, parser)
        while True:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as exc:
                self.error = RequestBodyError(f"malformed request body: {exc}", 400)
                raise self.error from exc
            if type(event) is h11.Data:
                data = bytes(event.data)
                self.size += len(data)
                max_body = self._limits.max_body
                if max_body is not None and self.size > max_body:
                    self.error = RequestBodyError("request body over the size limit", 413)
                    raise self.error
                if len(self.captured) < self._capture:
                    self.captured += data[: self._capture - len(self.captured)]
                if len(data) > limit:
                    data, self._pending = data[:limit], data[limit:]
                return data
            if type(event) is h11.EndOfMessage:
                return b""
            if event is h11.NEED_DATA:
                lines = self._lines
                if lines is not None and lines.error is not None:
                    # h11 has every good chunk before the bad line; now the app has them too.
                    status = lines.error.status
                    self.error = RequestBodyError(f"malformed request body: {lines.error}", status)
                    raise self.error
                data, self._unchecked = self._unchecked or _recv(self._conn), b""
                passed = data if lines is None else lines.feed(data)
                if passed or not data:  # b"" from the socket is the client's end of stream
                    parser.receive_data(passed)
                continue
            raise ConnectionClosed(f"unexpected {event!r} while reading the body")


def _recv(conn: Connection) -> bytes:
    """One read from the socket; ``b""`` at the client's end of stream."""
    try:
        return conn.sock.recv(RECV_SIZE)
    except (TimeoutError, OSError) as exc:
        raise ConnectionClosed(f"reading the request failed: {exc}") from exc


def _write(conn: Connection, parts: list[bytes], *, head: bool = False) -> None:
    """Write ``parts``, unless the watchdog took the exchange over; small ones in one call."""
    with conn.lock:
        if conn.taken_over:
            raise ConnectionClosed("the server already answered: the exchange timed out")
        if head:
            conn.head_sent = True
        if len(parts) == 1:
            conn.sock.sendall(parts[0])
        elif sum(map(len, parts)) <= COALESCE:
            conn.sock.sendall(b"".join(parts))
        else:
            for part in parts:
                conn.sock.sendall(part)


#: Below this many bytes, a response head and body block go out in one write.
COALESCE = 16 * 1024


def _send_continue(conn: Connection, parser: RequestReader) -> None:
    """Send the interim 100 (Continue) the client waits for before it sends its body."""
    parser.client_is_waiting_for_100_continue = False
    _write(conn, [CONTINUE])


#: The interim response to ``Expect: 100-continue`` (RFC 9110 §15.2.1), as h11 writes it.
CONTINUE = b"HTTP/1.1 100 \r\n\r\n"


class SocketSink:
    """The core's :class:`~wsgicheck.core.sink.ResponseSink` for a socket, framed by
    :class:`~wsgicheck.drivers.framing.ResponseFraming`.

    The head is written together with the first body block (or the end of the message), so
    a small response is one write: headers still go out no earlier and no later than the
    core sends that block, as PEP 3333 requires.

    When the request body turned out to be malformed or too large before the head went out,
    the app's answer, whatever it is, is replaced by the 400 or 413 the client is owed, and
    the connection closes: a request with bad framing is never served.
    """

    __slots__ = (
        "_body",
        "_capture",
        "_conn",
        "_framing",
        "_head",
        "_parser",
        "captured",
        "digest",
        "headers",
        "reason",
        "replaced",
        "size",
        "status_code",
        "wire_head",
    )

    def __init__(
        self,
        conn: Connection,
        parser: RequestReader,
        body: SocketBody,
        limits: Limits,
        *,
        request: h11.Request,
        digest: bool = True,
    ) -> None:
        self._conn = conn
        self._parser = parser
        self._body = body
        self._capture = limits.capture_limit
        version = request.http_version
        self._framing = ResponseFraming(
            method=request.method,
            http_version=version,
            keep_alive=client_keep_alive(
                version, [v for n, v in request.headers if n == b"connection"]
            ),
        )
        self._head: list[bytes] = []
        #: The running digest of every body byte sent, so the record need not keep them
        #: (None when no record is made: hashing costs about as much as sending).
        self.digest = body_hasher() if digest else None
        #: True when the app's answer was replaced by the error the client is owed.
        self.replaced = False
        self.captured = bytearray()
        self.size = 0
        self.status_code = 0
        self.reason = ""
        self.headers: list[tuple[str, str]] = []
        #: The status line and header section exactly as serialised for the wire.
        self.wire_head = b""

    @property
    def reusable(self) -> bool:
        """Whether the response went out whole and the connection may carry another."""
        return self._framing.reusable

    def _serialise_head(
        self, status_code: int, reason: str, headers: list[tuple[str, str]]
    ) -> None:
        self.status_code, self.reason, self.headers = status_code, reason, headers
        self.wire_head = self._framing.head(status_code, reason, headers)
        # The response is on its way: the client waits for no 100 (Continue) any more.
        self._parser.client_is_waiting_for_100_continue = False

    def send_head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> None:
        error = self._body.error
        if error is not None:
            self.replaced = True
            text = f"{error.status} {_REASONS[error.status]}\n\n{error}\n".encode()
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(text))),
                # RFC 9110 §6.6.1: an origin server with a clock sends Date on a 4xx.
                ("Date", http_date()),
                ("Connection", "close"),
            ]
            self._serialise_head(error.status, _REASONS[error.status], headers)
            parts = [self.wire_head, *self._framing.data(text), *self._framing.end()]
            _write(self._conn, parts, head=True)
            return
        if self._parser.they_are_waiting_for_100_continue:
            # Answering before the app read the body: the client may send it now or never,
            # so the connection cannot be reused (RFC 9110 §10.1.1). Say so.
            headers = [*headers, ("Connection", "close")]
        # Serialised now, written with the first block.
        self._serialise_head(status_code, reason, headers)
        self._head = [self.wire_head]

    def wire_fields(self) -> list[tuple[str, str]]:
        """The header fields as they went on the wire, framing fields added included
        (the app's fields when no head was serialised)."""
        if not self.wire_head:
            return self.headers
        lines = self.wire_head.decode("latin-1").split("\r\n")[1:-2]
        return [(name, value) for name, _, value in (line.partition(": ") for line in lines)]

    def _flush(self, parts: list[bytes]) -> None:
        head = self._head
        if head:
            self._head = []
            _write(self._conn, head + parts, head=True)
        elif parts:
            _write(self._conn, parts)

    def send_body(self, data: bytes) -> None:
        if self.replaced:
            return
        self.size += len(data)
        if self.digest is not None:
            self.digest.update(data)
        if len(self.captured) < self._capture:
            self.captured += data[: self._capture - len(self.captured)]
        self._flush(self._framing.data(data))

    def finish(self) -> None:
        if self.replaced:
            return
        self._flush(self._framing.end())

    def abort(self) -> None:
        with contextlib.suppress(OSError):
            self._flush([])
        self._framing.fail()


@dataclass(slots=True)
class InFlight:
    """An exchange a worker is running, as the watchdog sees it."""

    conn: Connection
    request: Request
    environ: dict[str, Any]
    log: list[RawEvent]
    deadline: float
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
    deadline: float,
    record: bool = True,
) -> tuple[bool, Response | None]:
    """Serve one request on ``conn``; return (keep the connection open, the record).

    The record is None when not asked for, or when the watchdog took the exchange over (it
    reports it instead).
    """
    request, declared = request_head(event, conn.raw_target)
    log: list[RawEvent] = []
    body = SocketBody(conn, parser, limits)
    sink = SocketSink(conn, parser, body, limits, request=event, digest=record)
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
        flight = InFlight(
            conn, request, environ, log, deadline, declared=declared, body=body, exchange=exchange
        )
        track(flight)
        try:
            completed = exchange.run(app, live, app_where)
        finally:
            track(None)
        if flight.reported:
            return False, None
        flight.reported = True
        if sink.replaced:
            log.append(raw_server_observed("body-error-answered", str(sink.status_code)))
        if record:
            errors = environ["wsgi.errors"].getvalue()
    keep = completed and body.error is None and not sink.replaced
    # A request without Content-Length or Transfer-Encoding, or with a length of 0, has no
    # body (RFC 9112 §6.3): nothing to discard, and h11 need not be asked for its end.
    bodiless = request.framing is Framing.NONE or declared == 0
    keep = keep and sink.reusable and (bodiless or _finish_body(parser, body, limits))
    if not record:
        return keep, None
    if body.captured:
        request = request.replace(body=bytes(body.captured))
    return keep, Response(
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
