"""The two streams of one exchange on a socket, as the core's AppCall is given them.

The request body is read through h11 (:class:`SocketBody`, which answers
``Expect: 100-continue``) and the response written framed (:class:`SocketSink`). They live
apart from :mod:`.connection`, which parses heads and runs the exchange, so each reads alone.
"""

from __future__ import annotations

import contextlib

import h11

from ..core.sink import http_date
from ..model.response import body_hasher
from .framing import ResponseFraming, client_keep_alive
from .sockets import (
    REASONS,
    Connection,
    ConnectionClosed,
    Limits,
    RequestBodyError,
    RequestReader,
    recv_some,
    send_continue,
    write_parts,
)

__all__ = ["SocketBody", "SocketSink"]


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
        "broke_off",
        "captured",
        "error",
        "size",
    )

    def __init__(self, conn: Connection, parser: RequestReader, limits: Limits) -> None:
        self._conn = conn
        self._parser = parser
        self._limits = limits
        self._pending: memoryview | bytes = b""
        # A chunked body reaches h11 only through its ChunkLines check.
        self._lines, self._unchecked = conn.chunk_lines, conn.unchecked
        conn.chunk_lines, conn.unchecked = None, b""
        self._capture = limits.capture_limit
        self.captured = bytearray()
        self.size = 0
        self.error: RequestBodyError | None = None
        #: A read of the socket failed before the body's end (the client reset, or stalled
        #: past the read's time limit).
        self.broke_off = False

    @property
    def unfinished(self) -> bool:
        """Whether the body did not arrive whole: malformed, too large, or broken off."""
        return self.error is not None or self.broke_off

    def read_some(self, limit: int) -> bytes:
        pending = self._pending
        if pending:
            # A view: what is left is not copied again on each read (an app reading a
            # large body two bytes at a time would copy it over and over).
            self._pending = pending[limit:]
            return bytes(pending[:limit])
        if self.error is not None:
            raise self.error
        parser = self._parser
        if parser.they_are_waiting_for_100_continue:
            send_continue(self._conn, parser)
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
                    self._pending = memoryview(data)[limit:]
                    return data[:limit]
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
                data, self._unchecked = self._unchecked or self._receive(), b""
                passed = data if lines is None else lines.feed(data)
                if passed or not data:  # b"" from the socket is the client's end of stream
                    parser.receive_data(passed)
                continue
            raise ConnectionClosed(f"unexpected {event!r} while reading the body")

    def _receive(self) -> bytes:
        """One read of the body from the socket, the connection marked as waiting on the
        client meanwhile (see ``Server._take_over``)."""
        conn = self._conn
        conn.awaiting_body = True
        try:
            return recv_some(conn)
        except OSError:
            self.broke_off = True
            raise
        finally:
            conn.awaiting_body = False


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
        "_declared",
        "_drain_limit",
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
        declared: int | None = None,
        digest: bool = True,
    ) -> None:
        self._conn = conn
        self._declared = declared
        self._drain_limit = limits.drain_limit
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

    @property
    def close_announced(self) -> bool:
        """Whether the client was told the connection closes after this response."""
        return self._framing.close_announced

    @property
    def complete(self) -> bool:
        """Whether the response went out whole: a client may take the connection as
        reusable unless it was told otherwise."""
        return self._framing.complete

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
            text = f"{error.status} {REASONS[error.status]}\n\n{error}\n".encode()
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(text))),
                # RFC 9110 §6.6.1: an origin server with a clock sends Date on a 4xx.
                ("Date", http_date()),
                ("Connection", "close"),
            ]
            self._serialise_head(error.status, REASONS[error.status], headers)
            # A HEAD's answer has no body (RFC 9110 §9.3.2): its framing refuses one.
            body = [] if self._framing.bodiless else self._framing.data(text)
            if body:  # the record shows what went out: this body, not the app's
                self.size = len(text)
                if self.digest is not None:
                    self.digest.update(text)
                self.captured += text[: self._capture]
            parts = [self.wire_head, *body, *self._framing.end()]
            write_parts(self._conn, parts, head=True)
            return
        if self._parser.they_are_waiting_for_100_continue or self._unread_over_drain_limit():
            # Answering before the app read the body, the client may send it now or never
            # (RFC 9110 §10.1.1); with more left unread than the server will discard, the
            # connection closes after the response. Either way it cannot be reused: say so
            # (RFC 9112 §9.6), so a client does not send its next request into a closing one.
            headers = [*headers, ("Connection", "close")]
        # Serialised now, written with the first block.
        self._serialise_head(status_code, reason, headers)
        self._head = [self.wire_head]

    def _unread_over_drain_limit(self) -> bool:
        """Whether the request declared more body than the app read and the server will
        discard (a chunked body's rest is unknown until drained: the server closes after)."""
        return self._declared is not None and self._declared - self._body.size > self._drain_limit

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
            write_parts(self._conn, head + parts, head=True)
        elif parts:
            write_parts(self._conn, parts)

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
