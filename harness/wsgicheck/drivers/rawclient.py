"""The one HTTP/1.x response reader: raw bytes on a socket, every read against a deadline.

``wsgicheck probe`` reads the server under test with it, and the socket transport of a run
(:class:`wsgicheck.explore.replay.SocketTransport`) reads wsgicheck's own server. It reads responses
the way a careful client does, but leniently (the server is under test): interim 1xx
responses are kept apart, the body is read by its framing (HEAD, 1xx/204/304, chunked,
Content-Length, or until close), and it notes whether the body ended as its framing said and
whether the server closed the connection. The status line's version and code and every
chunk size are read by :mod:`wsgicheck.model.grammar` (the reason phrase as sent: RFC 9112 §4 has a
client ignore it). It never raises for what a server sends: a missing response is ``None``.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass, field

from ..model import grammar

__all__ = ["RawConnection", "WireResponse"]

#: A line of a response head longer than this, or than the body a connection reads at most
#: where that is more, is not one (a server gone wrong). An app's 1 MB header field went
#: whole through the in-memory transport and was cut here, and the run called the app
#: varying (an adversarial trial of 2026-12-06): the line limit follows the body's.
MAX_HEAD = 256 * 1024
#: Bytes of body kept at most (the rest is counted).
MAX_BODY = 8 << 20
#: Header fields of one response head read at most: past them it is no response.
MAX_FIELDS = 1000


@dataclass(slots=True)
class WireResponse:
    """One response as the client received it."""

    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    #: The body ended where its framing said (a close-delimited body: at the close).
    complete: bool = True
    #: The server closed the connection (after or during this response).
    closed: bool = False
    #: The read ran out of time with the body unfinished and the connection open.
    stalled: bool = False
    #: Status codes of the interim (1xx) responses that came before it.
    interim: list[int] = field(default_factory=list)
    #: Bytes that came after the body's framing ended (a HEAD body, bytes past the length).
    excess: bytes = b""
    #: The body had no length and no chunks: it ended (or was cut at MAX_BODY) at the close.
    until_close: bool = False
    #: The head said chunked, and the body was no chunked coding: the bytes that came, and
    #: what should have been there ("a chunk's size", "the CRLF after a chunk"); what
    #: follows them is kept as it came.
    chunks_broken: tuple[bytes, str] | None = None

    def header(self, name: str) -> str | None:
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return None

    @property
    def connection_tokens(self) -> set[str]:
        """The options of the response's ``Connection`` fields, lower-cased."""
        return {
            token.strip().lower()
            for key, value in self.headers
            if key.lower() == "connection"
            for token in value.split(",")
        }

    @property
    def reusable(self) -> bool:
        """Whether the connection may carry the next request (RFC 9112 §9.3): the body ended
        by its framing with the connection open, and the version and ``Connection`` field
        keep it open (HTTP/1.1 unless ``close``; HTTP/1.0 only with ``keep-alive``)."""
        if self.closed or self.stalled or self.until_close or not self.complete:
            return False
        tokens = self.connection_tokens
        if self.version == "HTTP/1.1":
            return "close" not in tokens
        return self.version == "HTTP/1.0" and "keep-alive" in tokens


class _Gone(Exception):
    """The server closed the connection."""


class _Unchunked(_Gone):
    """A chunked body's framing broke: nothing after it can be trusted, as after a close.
    Its arguments: what came, and what should have been there."""


class _Late(Exception):
    """The deadline passed."""


class _TooMuch(_Late):
    """The server sent more than a connection reads (an endless body, a flood of header
    lines): the client stops reading, as it would at its deadline. An adversarial trial
    of 2026-12-07 had a probe of servers that sent endless bodies hold 4 GB."""


class RawConnection:
    """One client connection to the server under test."""

    def __init__(self, host: str, port: int, timeout: float, *, max_body: int = MAX_BODY) -> None:
        self.timeout = timeout
        #: Bytes of a body that ends at the close read at most (a run's --body-limit, where
        #: the server under test is wsgicheck's own and sends that much).
        self.max_body = max_body
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buffer = b""
        self.closed = False
        #: Bytes received on the connection in all: none is a server that kept silent.
        self.received = 0
        #: A response head stopped coming before it ended, the connection open, until the
        #: deadline: the server stalled in it (as good as silent to the client).
        self.head_stalled = False

    # -- sending ---------------------------------------------------------------------------

    def send(self, data: bytes) -> bool:
        """Send ``data``; False if the server has closed the connection."""
        try:
            self.sock.settimeout(self.timeout)  # a read may have left a nearly spent one
            self.sock.sendall(data)
        except OSError:
            self.closed = True
            return False
        return True

    def shutdown_write(self) -> None:
        """Say the client will send nothing more (EOF on the server's side)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        self.closed = True

    def peer_closed(self) -> bool:
        """Whether the server has closed this idle connection (nothing is read from it)."""
        if self.closed or self.buffer:
            return self.closed
        try:
            self.sock.setblocking(False)
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            self.sock.settimeout(self.timeout)

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ---------------------------------------------------------------------------

    def _more(self, deadline: float) -> None:
        if self.closed:
            raise _Gone
        if len(self.buffer) > self.max_body + MAX_HEAD:
            raise _TooMuch
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _Late
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise _Late from None
        except OSError:
            self.closed = True
            raise _Gone from None
        if not data:
            self.closed = True
            raise _Gone
        self.received += len(data)
        self.buffer += data

    def _line(self, deadline: float) -> bytes:
        searched = 0  # (what was searched is not searched again: a long line costs linear)
        while (end := self.buffer.find(b"\n", searched)) < 0:
            if len(self.buffer) > max(MAX_HEAD, self.max_body):
                raise _Gone
            searched = len(self.buffer)
            self._more(deadline)
        line, self.buffer = self.buffer[:end], self.buffer[end + 1 :]
        return line.rstrip(b"\r")

    def _exactly(self, size: int, deadline: float) -> bytes:
        while len(self.buffer) < size:
            self._more(deadline)
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def wait_for(self, marker: bytes, timeout: float) -> bool:
        """Whether ``marker`` arrives within ``timeout`` seconds (it stays unread)."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(_Gone, _Late):
            while marker not in self.buffer:
                self._more(deadline)
        return marker in self.buffer

    def read_head(self, timeout: float | None = None) -> WireResponse | None:
        """The next response head (status line and fields), interim ones included."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        try:
            line = self._line(deadline)
            while not line and self.buffer:  # stray blank lines between responses
                line = self._line(deadline)
            version, _, rest = line.partition(b" ")
            code, _, reason = rest.partition(b" ")
            headers: list[tuple[str, str]] = []
            while True:
                field_line = self._line(deadline)
                if not field_line:
                    break
                if len(headers) >= MAX_FIELDS:
                    raise _TooMuch
                name, _, value = field_line.decode("latin-1").partition(":")
                headers.append((name.strip(), value.strip(" \t")))
        except _TooMuch:
            return None
        except _Late:
            self.head_stalled = True
            return None
        except _Gone:
            return None
        if (
            grammar.http_version_bytes_re.fullmatch(version) is None
            or grammar.status_code_bytes_re.fullmatch(code) is None
        ):
            return None
        return WireResponse(version.decode(), int(code), reason.decode("latin-1"), headers)

    def read_response(
        self, method: str, *, timeout: float | None = None, drain: bool = False
    ) -> WireResponse | None:
        """The next final response, its body read by its framing.

        ``drain`` reads on until the server closes, keeping what follows the body as
        :attr:`WireResponse.excess` (for a request sent with ``Connection: close``).
        """
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        interim: list[int] = []
        while True:
            head = self.read_head(max(0.0, deadline - time.monotonic()))
            if head is None:
                return None
            if 100 <= head.status < 200 and head.status != 101:
                interim.append(head.status)
                continue
            break
        head.interim = interim
        return self.read_body(
            head, method, timeout=max(0.0, deadline - time.monotonic()), drain=drain
        )

    def read_body(
        self, head: WireResponse, method: str, *, timeout: float | None = None, drain: bool = False
    ) -> WireResponse:
        """Read the body of a response whose head :meth:`read_head` returned."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        self._body(head, method, deadline)
        if drain and not head.closed:
            try:
                while True:
                    self._more(deadline)
            except _Gone:
                head.closed = True
            except _Late:
                head.stalled = True
            head.excess += self.buffer
            self.buffer = b""
        return head

    def _body(self, response: WireResponse, method: str, deadline: float) -> None:
        status = response.status
        if method == "HEAD" or status in (204, 304) or status < 200:
            return
        coding = (response.header("transfer-encoding") or "").lower()
        length = response.header("content-length")
        self._partial = b""
        try:
            if "chunked" in coding:
                response.body = self._chunked(deadline)
            elif length is not None and (size := grammar.content_length(length)) is not None:
                response.body = self._exactly(size, deadline)
            else:
                response.body = self._until_close(deadline)
                response.closed = self.closed
                response.until_close = True
        except (_Gone, _Late) as stop:
            response.closed = isinstance(stop, _Gone)
            response.stalled = isinstance(stop, _Late)
            if isinstance(stop, _Unchunked):
                response.chunks_broken = stop.args
            response.complete = False
            response.body, self.buffer = self._partial + self.buffer, b""

    #: The decoded chunks of a chunked body so far (what is kept if it stops).
    _partial = b""

    def _chunked(self, deadline: float) -> bytes:
        while True:
            line = self._line(deadline)
            size = grammar.chunk_size(line.partition(b";")[0].rstrip(b" \t"))
            if size is None:
                raise _Unchunked(line, "a chunk's size")
            if size == 0:
                while self._line(deadline):
                    pass  # trailers
                body, self._partial = self._partial, b""
                return body
            if len(self._partial) + size > self.max_body:
                raise _TooMuch
            self._partial += self._exactly(size, deadline)
            if (ending := self._exactly(2, deadline)) != b"\r\n":
                raise _Unchunked(ending, "the CRLF after a chunk")

    def _until_close(self, deadline: float) -> bytes:
        try:
            while len(self.buffer) < self.max_body:
                self._more(deadline)
        except _Gone:
            pass
        body, self.buffer = self.buffer, b""
        return body
