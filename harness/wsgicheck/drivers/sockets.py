"""A client connection's socket side: its state, the server's limits, and its one locked write.

Shared by the head parser and exchange loop (:mod:`.connection`), the streams an exchange
reads and writes (:mod:`.socketio`), the poller and the server: the pieces that know
what a connection holds, and how bytes go in and out of its socket, and nothing of HTTP
beyond the reason phrases of the errors the server answers itself.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Protocol

from .wire import MAX_CHUNK_EXT, MAX_FIELDS, MAX_HEAD, MAX_TARGET, ChunkLines

__all__ = [
    "COALESCE",
    "CONTINUE",
    "REASONS",
    "RECV_SIZE",
    "Connection",
    "ConnectionClosed",
    "Limits",
    "RequestBodyError",
    "RequestReader",
    "recv_some",
    "send_continue",
    "write_parts",
]

RECV_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The server's limits and timeouts (seconds), all configurable."""

    #: Largest request head (request line and header fields): beyond it, 431.
    max_head: int = MAX_HEAD
    #: Longest request-target: beyond it, 414.
    max_target: int = MAX_TARGET
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
        "awaiting_body",
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
        #: A read of the app's wsgi.input waits on the client for more of its body: an
        #: exchange past its limit then is the client's slowness, not the app's.
        self.awaiting_body = False

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


REASONS = {
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


def recv_some(conn: Connection) -> bytes:
    """One read from the socket; ``b""`` at the client's end of stream."""
    try:
        return conn.sock.recv(RECV_SIZE)
    except (TimeoutError, OSError) as exc:
        raise ConnectionClosed(f"reading the request failed: {exc}") from exc


def write_parts(conn: Connection, parts: list[bytes], *, head: bool = False) -> None:
    """Write ``parts``, unless the watchdog took the exchange over; small ones in one call."""
    with conn.lock:
        if conn.taken_over:
            raise ConnectionClosed("the server already answered: the exchange ran past its limit")
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


def send_continue(conn: Connection, parser: RequestReader) -> None:
    """Send the interim 100 (Continue) the client waits for before it sends its body."""
    parser.client_is_waiting_for_100_continue = False
    write_parts(conn, [CONTINUE])


#: The interim response to ``Expect: 100-continue`` (RFC 9110 §15.2.1), as h11 writes it.
CONTINUE = b"HTTP/1.1 100 \r\n\r\n"
