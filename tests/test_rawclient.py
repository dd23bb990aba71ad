"""The one response reader (``wsgicheck.drivers.rawclient``) on canned answers over a real socket.

A listener on 127.0.0.1 sends fixed bytes and closes (or not); the reader must frame the body
as RFC 9112 §6.3 says, read chunk sizes as ``grammar.chunk_size`` does, and say whether the
connection may carry the next request.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from serverutil import LOOPBACK, TIMEOUT
from wsgicheck.drivers.rawclient import MAX_BODY, MAX_HEAD, RawConnection, WireResponse

Read = Callable[..., WireResponse | None]


class OneConnection:
    """A server on loopback that accepts one connection and answers it (``_answer``) in a
    thread of its own."""

    def __init__(self) -> None:
        self.listener = socket.create_server((LOOPBACK, 0))
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        sock, _ = self.listener.accept()
        with sock:
            sock.settimeout(TIMEOUT)
            self._answer(sock)

    def _answer(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        self.thread.join(TIMEOUT)
        self.listener.close()


class Canned(OneConnection):
    """Reads the request head, sends ``answer``, maybe closes."""

    def __init__(self, answer: bytes, *, close: bool) -> None:
        self.answer = answer
        self.close = close
        self.done = threading.Event()
        super().__init__()

    def _answer(self, sock: socket.socket) -> None:
        data = b""
        for _ in range(100):
            if b"\r\n\r\n" in data:
                break
            data += sock.recv(4096)
        sock.sendall(self.answer)
        if not self.close:
            self.done.wait(TIMEOUT)

    def finish(self) -> None:
        self.done.set()
        super().finish()


@pytest.fixture
def read() -> Iterator[Read]:
    servers: list[Canned] = []

    def run(answer: bytes, *, close: bool = False, method: str = "GET") -> WireResponse | None:
        server = Canned(answer, close=close)
        servers.append(server)
        with RawConnection(LOOPBACK, server.port, timeout=1.0) as conn:
            conn.send(f"{method} / HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            return conn.read_response(method)

    yield run
    for server in servers:
        server.finish()


def test_a_chunked_body_is_read_and_the_connection_kept(read: Read) -> None:
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n0\r\n\r\n"
    got = read(answer)
    assert got is not None
    assert (got.status, got.reason, got.body, got.complete, got.reusable) == (
        200,
        "OK",
        b"abc",
        True,
        True,
    )


@pytest.mark.parametrize("size", [b"0x3", b"+3", b"0_3", b" 3"])
def test_a_chunk_size_only_int_would_take_breaks_the_body(read: Read, size: bytes) -> None:
    # RFC 9112 §7.1: chunk-size = 1*HEXDIG. int(size, 16) reads each of these as 3.
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\nabc\r\n0\r\n\r\n"
    )
    got = read(answer)
    assert got is not None
    # The framing is broken: the rest is kept as it came, not decoded as chunks.
    assert (got.status, got.body, got.complete, got.reusable) == (
        200,
        b"abc\r\n0\r\n\r\n",
        False,
        False,
    )


@pytest.mark.parametrize(
    ("answer", "close", "reusable"),
    [
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", False, True, id="length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n",
            False,
            False,
            id="connection-close",
        ),
        pytest.param(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False, False, id="1.0"),
        pytest.param(
            b"HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n",
            False,
            True,
            id="1.0-keep-alive",
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\nuntil close", True, False, id="until-close"),
        pytest.param(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nhi", True, False, id="short"),
    ],
)
def test_whether_the_connection_carries_the_next_request(
    read: Read, answer: bytes, close: bool, reusable: bool
) -> None:
    got = read(answer, close=close)
    assert got is not None
    assert got.reusable is reusable


@pytest.mark.parametrize(
    "line", [b"HTTP/1.1 2000 OK", b"HTTP/1.1 \xd9\xa2\xd9\xa0\xd9\xa0 OK", b"ICY 200 OK", b"junk"]
)
def test_no_status_line_no_response(read: Read, line: bytes) -> None:
    # RFC 9112 §4: HTTP-version SP status-code (3DIGIT) SP; the reason is not checked.
    assert read(line + b"\r\nContent-Length: 0\r\n\r\n", close=True) is None


def test_the_reason_phrase_is_taken_as_sent(read: Read) -> None:
    got = read(b"HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n")
    assert got is not None
    assert (got.status, got.reason) == (404, "")


@pytest.mark.parametrize("length", ["\xb2", "+2", "0x2", "2 2"])
def test_a_content_length_that_is_no_number_leaves_the_body_to_the_close(
    read: Read, length: str
) -> None:
    # RFC 9110 §8.6: Content-Length = 1*DIGIT; "²".isdigit() is true and int("²") fails.
    head = f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n\r\n".encode("latin-1")
    got = read(head + b"hi", close=True)
    assert got is not None
    assert (got.body, got.until_close, got.reusable) == (b"hi", True, False)


def test_a_head_line_as_long_as_a_body_may_be_is_read_whole(read: Read) -> None:
    """An adversarial trial of 2026-12-06: an app's 1 MB header field went whole through the
    in-memory transport and was cut at 256 KiB here, and the run called the app varying. A
    line of the head is read up to the body's limit (8 MiB); past it, no response."""
    big = b"a" * (1 << 20)
    response = read(b"HTTP/1.1 200 OK\r\nX-Big: " + big + b"\r\nContent-Length: 2\r\n\r\nok")
    assert response is not None
    assert response.header("x-big") == big.decode()
    assert response.body == b"ok"
    huge = b"a" * ((8 << 20) + (1 << 20))
    assert read(b"HTTP/1.1 200 OK\r\nX-Big: " + huge + b"\r\n\r\n", close=True) is None


@pytest.mark.parametrize(
    ("body", "broken"),
    [
        (b"not chunks\r\n", (b"not chunks", "a chunk's size")),
        (b"3\r\nabcXY0\r\n\r\n", (b"XY", "the CRLF after a chunk")),
    ],
)
def test_a_body_that_is_no_chunked_coding_says_where_it_broke(
    read: Read, body: bytes, broken: tuple[bytes, str]
) -> None:
    """A server that passes the app's own Transfer-Encoding on over its raw body (a probe
    trial of 2026-12-06): what came where the framing should be, for SRV-CHUNKED-RFC."""
    got = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body, close=True)
    assert got is not None
    assert got.chunks_broken == broken
    assert (got.complete, got.reusable) == (False, False)


class Flooding(OneConnection):
    """Reads the request head, sends ``head`` and then ``unit`` over and over, until the
    client stops reading (64 MiB at most: every loop is bounded)."""

    def __init__(self, head: bytes, unit: bytes) -> None:
        self.head, self.unit = head, unit
        super().__init__()

    def _answer(self, sock: socket.socket) -> None:
        sock.recv(4096)
        block = self.unit * max(1, 65536 // len(self.unit))
        try:
            sock.sendall(self.head)
            for _ in range((64 << 20) // len(block)):
                sock.sendall(block)
        except OSError:
            pass  # the client stopped reading and closed


@pytest.mark.parametrize(
    ("head", "unit"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n", b"x"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"1000\r\n" + b"x" * 4096 + b"\r\n",
        ),
        (b"HTTP/1.1 200 OK\r\n", b"X-Flood: 1\r\n"),
    ],
    ids=["content-length", "chunked", "header-lines"],
)
def test_a_server_that_never_stops_sending_is_read_so_far(head: bytes, unit: bytes) -> None:
    """An adversarial trial of 2026-12-07: a probe of servers that sent endless bodies held
    4 GB and took minutes, and 5 s of header lines took 600 MB. The client reads a body up
    to what it keeps, and a head up to MAX_FIELDS fields, then stops as at its deadline."""
    server = Flooding(head, unit)
    try:
        with RawConnection(LOOPBACK, server.port, timeout=30.0) as conn:
            conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            response = conn.read_response("GET")
    finally:
        server.finish()
    if unit.startswith(b"X-Flood"):
        assert response is None  # no head ends: no response
        return
    assert response is not None
    assert (response.complete, response.stalled) == (False, True)
    assert MAX_BODY - len(unit) <= len(response.body) <= MAX_BODY + MAX_HEAD + 65536
