"""Helpers for the socket-server tests: raw sockets on loopback, response parsing, recording.

Every socket has a timeout and every loop is bounded in count and time, so a broken server
fails a test rather than hanging the suite.
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.client import HTTPResponse
from typing import Any

from wsgicheck.drivers.server import Server
from wsgicheck.model.response import Response

LOOPBACK = "127.0.0.1"
#: The longest any single network wait in these tests may take (seconds).
TIMEOUT = 5.0


def connect(server: Server, timeout: float = TIMEOUT) -> socket.socket:
    """A client socket connected to ``server``, with a timeout on every operation."""
    return socket.create_connection((LOOPBACK, server.port), timeout=timeout)


def read_until_closed(sock: socket.socket, timeout: float = TIMEOUT) -> tuple[bytes, bool]:
    """Everything the server sends until it closes; (data, True) or (data, False) on timeout."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    for _ in range(100_000):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), False
        sock.settimeout(remaining)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            return b"".join(chunks), False
        except ConnectionResetError:
            return b"".join(chunks), True
        if not data:
            return b"".join(chunks), True
        chunks.append(data)
    return b"".join(chunks), False  # pragma: no cover - 6 GB without an end


def read_until(sock: socket.socket, marker: bytes, timeout: float = TIMEOUT) -> bytes:
    """Read until ``marker`` has arrived (or the server closes, or time runs out)."""
    data = b""
    deadline = time.monotonic() + timeout
    for _ in range(100_000):
        if marker in data:
            return data
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            break
        if not chunk:
            break
        data += chunk
    return data


def nothing_arrives(sock: socket.socket, wait: float) -> bool:
    """True if the server neither sends anything nor closes within ``wait`` seconds."""
    sock.settimeout(wait)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except TimeoutError:
        return True
    finally:
        sock.settimeout(TIMEOUT)
    return False


def exchange(
    server: Server, data: bytes, *, half_close: bool = False, timeout: float = TIMEOUT
) -> tuple[bytes, bool]:
    """Send ``data`` on a fresh connection; return what came back and whether it closed."""
    with connect(server, timeout) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock, timeout)


@dataclass
class Parsed:
    """One response as parsed off the wire."""

    status: int
    reason: str
    version: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    def json(self) -> Any:
        return json.loads(self.body)


class _KeepOpen(io.BufferedReader):
    """A buffered stream ``HTTPResponse`` cannot close: the next response is read from it."""

    def close(self) -> None:
        pass

    def really_close(self) -> None:
        super().close()


class _Shim:
    """Lets ``http.client.HTTPResponse`` read from a buffered stream we keep between calls."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self.stream = stream

    def makefile(self, mode: str) -> io.BufferedIOBase:
        return self.stream


def _parse_one(stream: io.BufferedIOBase, method: str) -> Parsed:
    response = HTTPResponse(_Shim(stream), method=method)  # type: ignore[arg-type]
    response.begin()
    body = response.read()
    parsed = Parsed(response.status, response.reason, response.version, response.getheaders(), body)
    return parsed


def parse_responses(data: bytes, methods: list[str] | None = None) -> list[Parsed]:
    """Every response in ``data`` (interim 1xx skipped), in order; ``methods`` for HEADs."""
    stream = _KeepOpen(io.BytesIO(data))  # type: ignore[arg-type]
    out: list[Parsed] = []
    for index in range(1000):
        if not stream.peek(1):
            break
        method = methods[index] if methods and index < len(methods) else "GET"
        out.append(_parse_one(stream, method))
    return out


def statuses(data: bytes, methods: list[str] | None = None) -> list[int]:
    return [parsed.status for parsed in parse_responses(data, methods)]


class Reader:
    """Reads responses one at a time off a live keep-alive socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.stream = _KeepOpen(socket.SocketIO(sock, "rb"))

    def response(self, method: str = "GET") -> Parsed:
        return _parse_one(self.stream, method)

    def close(self) -> None:
        self.stream.really_close()


def is_closed(sock: socket.socket, timeout: float = TIMEOUT) -> bool:
    """True once the server has closed ``sock`` (EOF or reset) within ``timeout``."""
    rest, closed = read_until_closed(sock, timeout)
    return closed and not rest


class Recorder:
    """Collects ``on_exchange`` records and ``on_reject`` calls from server threads."""

    def __init__(self) -> None:
        self.records: list[Response] = []
        self.rejects: list[tuple[tuple[str, int], int, str]] = []
        self._cond = threading.Condition()

    def on_exchange(self, record: Response) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def on_reject(self, remote: tuple[str, int], status: int, message: str) -> None:
        with self._cond:
            self.rejects.append((remote, status, message))
            self._cond.notify_all()

    def wait(self, records: int = 0, rejects: int = 0, timeout: float = TIMEOUT) -> bool:
        """Wait until at least this many records and rejections arrived."""
        with self._cond:
            return self._cond.wait_for(
                lambda: len(self.records) >= records and len(self.rejects) >= rejects,
                timeout=timeout,
            )

    @property
    def options(self) -> dict[str, Callable[..., None]]:
        return {"on_exchange": self.on_exchange, "on_reject": self.on_reject}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blocks(total: int, size: int) -> Iterator[bytes]:
    """``total`` bytes of a repeatable pattern in blocks of ``size``."""
    pattern = bytes(range(256)) * (size // 256 + 1)
    sent = 0
    index = 0
    while sent < total:
        n = min(size, total - sent)
        # Vary each block so a reordered or repeated block changes the hash.
        block = bytes([index % 251]) + pattern[1:n]
        yield block
        sent += n
        index += 1


def pattern_sha(total: int, size: int) -> str:
    digest = hashlib.sha256()
    for block in blocks(total, size):
        digest.update(block)
    return digest.hexdigest()


def wait_for(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


#: A wsgi.input for server scripts the probe tests run as subprocesses: read() and readline()
#: stop at CONTENT_LENGTH; each script subclasses it with the readlines() and iteration it
#: gets wrong. Pasted into the script's source (a subprocess cannot import the tests).
BOUNDED_INPUT_SOURCE = """
class BoundedInput:
    def __init__(self, raw, length):
        self.raw = raw
        self.left = length

    def read(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.raw.read(size) if size else b""
        self.left -= len(data)
        return data

    def readline(self, size=-1):
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.raw.readline(size) if size else b""
        self.left -= len(data)
        return data
"""
