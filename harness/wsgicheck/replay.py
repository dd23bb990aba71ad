"""Replaying one request through each transport, with time limits, and comparing them.

:class:`MemoryTransport` runs the app in a worker thread so that an app that hangs costs
the run one abandoned thread and a finding, never the run itself. :class:`SocketTransport`
sends the request's exact bytes to one live :class:`~wsgicheck.server.Server` over one
keep-alive connection and takes the server's record of the exchange. :func:`differences`
lists what the two disagree on, after the normalisation documented in ``NORMALISED``, less
what :func:`app_variations` shows the app varies by itself when the request is replayed.
"""

from __future__ import annotations

import contextlib
import queue
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from .client import Client
from .core import WSGIApp
from .environ import ServerConfig
from .events import InputRead, RawEvent, TimedOut, raw_timed_out
from .request import Request
from .response import Response
from .server import Limits, Server

__all__ = [
    "NORMALISED",
    "MemoryTransport",
    "SocketTransport",
    "TransportError",
    "app_variations",
    "compare",
    "differences",
    "timed_out",
]

#: What may differ between the transports for the same request, and why.
NORMALISED = {
    "environ REMOTE_PORT": "only a socket has a client port",
    "environ wsgi.input, wsgi.errors, wsgi.file_wrapper": (
        "the objects differ; their types must not"
    ),
    "response header Date": "the two exchanges happen at different times",
    "response header Connection": "the socket server adds Connection: close when it must close",
    "response header Transfer-Encoding": "only a socket frames a body of unknown length",
    "response body and header values": (
        "an app may answer the same request differently each time (a token, a timestamp); "
        "the status, the header names and the trace's shape must agree"
    ),
    "trace InputRead.available for a chunked body": (
        "unknown on a socket until the body ends; known at once in memory"
    ),
    "what the app varies by itself": (
        "when the transports differ, the request is replayed in memory; what the app answers "
        "differently there (a rate limiter's status, a cookie set once) is the app's "
        "(HARNESS-APP-VARIES), not the server's"
    ),
}


def timed_out(response: Response) -> bool:
    """Whether the exchange was abandoned at its time limit."""
    return any(type(event) is TimedOut for event in response.trace)


class TransportError(Exception):
    """The socket transport could not complete an exchange (a wsgicheck problem)."""


class MemoryTransport:
    """Exchanges in memory, in a worker thread, abandoned past ``timeout`` seconds."""

    def __init__(self, app: WSGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None

    def _start_worker(self) -> None:
        self._jobs = queue.SimpleQueue()
        self._worker = threading.Thread(
            target=self._work, args=(self._jobs,), name="wsgicheck-memory", daemon=True
        )
        self._worker.start()

    @staticmethod
    def _work(jobs: queue.SimpleQueue[Any]) -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            pending, done, finished = job
            try:
                done.append(pending.run())
            except BaseException as exc:  # pragma: no cover - the core never raises
                done.append(exc)
            finished.set()

    def exchange(self, request: Request, config: ServerConfig) -> Response:
        if self._worker is None or not self._worker.is_alive():
            self._start_worker()
        pending = Client(self.app, config=config).start(request)
        done: list[Any] = []
        finished = threading.Event()
        self._jobs.put((pending, done, finished))
        if finished.wait(self.timeout):
            result = done[0]
            if isinstance(result, BaseException):  # pragma: no cover
                raise result
            return result  # type: ignore[no-any-return]
        # The app hangs: leave it its thread (told the client is gone, so an app that goes
        # on producing stops at its next block), record what it did until now and the
        # environ it received, and carry on with a new thread.
        head_sent = pending.head_sent
        pending.abandon()
        self._jobs.put(None)  # the old thread ends once the app lets go of it
        self._worker = None
        log: list[RawEvent] = [*pending.log, raw_timed_out(self.timeout, head_sent)]
        return Response(request, 0, "", [], b"", False, pending.environ, log, pending.errors())

    def close(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)


class SocketTransport:
    """Exchanges over a real socket with one live server, keep-alive reused.

    ``raw_latin1_targets`` is the server's choice of that name (:class:`Limits`): with it, a
    target with raw latin-1 bytes reaches the app, as it does in memory, instead of a 400.
    """

    def __init__(
        self, app: WSGIApp, timeout: float, body_limit: int, *, raw_latin1_targets: bool = False
    ) -> None:
        self._records: queue.SimpleQueue[Response | tuple[int, str] | BaseException] = (
            queue.SimpleQueue()
        )
        self.timeout = timeout
        self.server = Server(
            app,
            threads=4,
            limits=Limits(
                exchange_timeout=timeout,
                io_timeout=timeout + 5,
                capture_limit=body_limit,
                header_timeout=timeout + 5,
                raw_latin1_targets=raw_latin1_targets,
            ),
            on_exchange=self._records.put,
            on_reject=lambda remote, status, message: self._records.put((status, message)),
            on_error=self._records.put,
        )
        self.server.start()
        self._sock: socket.socket | None = None

    @property
    def config(self) -> ServerConfig:
        return self.server.config

    def _connect(self) -> socket.socket:
        if self._sock is None:
            self._sock = socket.create_connection(
                (self.server.host, self.server.port), timeout=self.timeout + 5
            )
        return self._sock

    def _drop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
            self._sock = None

    def exchange(self, request: Request, config: ServerConfig) -> Response:
        # One request at a time on one connection: the server takes the config the runner
        # drew for this example (its name and port stay its own).
        self.server.config = replace(
            config,
            server_name=self.server.config.server_name,
            server_port=self.server.config.server_port,
        )
        sock = self._connect()
        if _closed_by_peer(sock):
            self._drop()
            sock = self._connect()
        # Sent once, never retried: a retry could run the app twice for one example.
        try:
            sock.sendall(request.to_bytes())
            keep = _read_response(sock, request.method)
        except (ConnectionError, TimeoutError, OSError):
            keep = False  # the server aborted the response or closed the connection
        if not keep:
            self._drop()
        deadline = time.monotonic() + self.timeout + 5
        while True:
            try:
                record = self._records.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TransportError("the server sent no record of the exchange") from None
            if isinstance(record, BaseException):
                raise TransportError(
                    f"wsgicheck's server failed: {type(record).__name__}: {record}"
                ) from record
            if isinstance(record, tuple):
                raise TransportError(f"the server refused the request: {record[0]} {record[1]}")
            if _same_request(record.request, request):
                # The record's request is the server's view of the head (its body cut at the
                # capture limit); the runner knows exactly what it sent.
                record.request = request
                return record
            # A record of an earlier exchange that arrived late: skip it.

    def close(self) -> None:
        self._drop()
        self.server.shutdown(timeout=2.0)


def _closed_by_peer(sock: socket.socket) -> bool:
    """Whether the server has closed this idle keep-alive connection."""
    timeout = sock.gettimeout()
    try:
        sock.setblocking(False)
        return sock.recv(1, socket.MSG_PEEK) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        sock.settimeout(timeout)


def _same_request(seen: Request, sent: Request) -> bool:
    return (seen.method, seen.target, seen.http_version) == (
        sent.method,
        sent.target,
        sent.http_version,
    ) and [(name.lower(), value.strip(" \t")) for name, value in seen.headers] == [
        (name.lower(), value.strip(" \t")) for name, value in sent.headers
    ]


def _read_response(sock: socket.socket, method: str) -> bool:
    """Read one whole response (skipping 1xx); return whether the connection stays open."""
    reader = _Reader(sock)
    while True:
        status_line = reader.line()
        status = int(status_line.split(b" ", 2)[1])
        headers: dict[bytes, list[bytes]] = {}
        while line := reader.line():
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
        if status >= 200:
            break
    version = status_line[:8]
    connection = b",".join(headers.get(b"connection", [])).lower()
    keep = (version == b"HTTP/1.1" and b"close" not in connection) or (
        version == b"HTTP/1.0" and b"keep-alive" in connection
    )
    if method == "HEAD" or status in (204, 304):
        return keep
    if b"chunked" in b",".join(headers.get(b"transfer-encoding", [])).lower():
        while True:
            size = int(reader.line().split(b";")[0], 16)
            if size == 0:
                while reader.line():
                    pass
                return keep
            reader.exactly(size + 2)
    if b"content-length" in headers:
        reader.exactly(int(headers[b"content-length"][0]))
        return keep
    reader.until_close()
    return False


class _Reader:
    """Buffered reads from a socket: lines and exact sizes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.buffer += data

    def line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._more()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def exactly(self, size: int) -> None:
        while len(self.buffer) < size:
            self._more()
        self.buffer = self.buffer[size:]

    def until_close(self) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                self.buffer = b""
                self._more()


def differences(memory: Response, wire: Response, *, app_varies: Iterable[str] = ()) -> list[str]:
    """What the two transports disagree on, after the normalisation of :data:`NORMALISED`,
    leaving out the aspects the app varies by itself (the keys of :func:`app_variations`)."""
    skipped = set(app_varies)
    found = _compare(memory, wire, _SIDES)
    return [text for aspect, text in found.items() if aspect not in skipped]


#: Replays in memory of a request whose transports disagree, to see whether the app varies.
REPLAYS = 2


def compare(
    memory: MemoryTransport, request: Request, config: ServerConfig, first: Response, wire: Response
) -> dict[str, list[str]]:
    """The evidence of comparing the memory exchange ``first`` with the socket one ``wire``.

    ``transport_differences`` (HARNESS-TRANSPORTS-AGREE's); when there are some, the request
    is replayed in memory (up to :data:`REPLAYS` times, not past a time-out) and
    ``app_varies`` (HARNESS-APP-VARIES's) lists what the app changed by itself, which the
    transport differences then leave out.
    """
    if not differences(first, wire):
        return {"transport_differences": []}
    replays = []
    for _ in range(REPLAYS):
        again = memory.exchange(request, config)
        if timed_out(again):
            break
        replays.append(again)
    varies = app_variations(first, *replays)
    # An aspect the app varies explains a transport difference only where one of its own
    # answers in memory agrees with the socket's: memory 200, replays 429, socket 500 is
    # still a server difference.
    explained = [
        aspect
        for aspect in varies
        if any(aspect not in _compare(again, wire, _SIDES) for again in replays)
    ]
    return {
        "transport_differences": differences(first, wire, app_varies=explained),
        "app_varies": list(varies.values()),
    }


_SIDES = ("in memory", "on a socket")


def app_variations(first: Response, *replays: Response) -> dict[str, str]:
    """What the app changes by itself: the aspects (``"status"``, ``"header names"``,
    ``"trace"``...) in which a replay of the same request in memory differs from the first
    exchange in memory, each with a description."""
    found: dict[str, str] = {}
    for again in replays:
        for aspect, text in _compare(first, again, ("first", "when replayed")).items():
            found.setdefault(aspect, text)
    return found


def _compare(first: Response, second: Response, sides: tuple[str, str]) -> dict[str, str]:
    """What two exchanges of one request disagree on, by aspect, after NORMALISED."""
    one, two = sides
    found = {}
    if first.status_code != second.status_code:
        found["status"] = f"status {first.status_code} {one}, {second.status_code} {two}"
    found.update(_environ_differences(first.environ, second.environ, sides))
    names = {name.lower() for name, _ in first.headers} - _SERVER_OWNED
    other = {name.lower() for name, _ in second.headers} - _SERVER_OWNED
    if names != other:
        found["header names"] = f"response header names differ: {sorted(names ^ other)}"
    shape = _trace_shape(first)
    other_shape = _trace_shape(second)
    if shape != other_shape:
        found["trace"] = f"traces differ: {shape} {one}, {other_shape} {two}"
    return found


#: Response fields a transport sets for itself (see :data:`NORMALISED`).
_SERVER_OWNED = frozenset({"date", "connection", "transfer-encoding"})


def _environ_differences(
    first: dict[str, Any] | None, second: dict[str, Any] | None, sides: tuple[str, str]
) -> dict[str, str]:
    if first is None or second is None:
        return {} if first is second else {"app ran": "the app ran in one exchange only"}
    found = {}
    objects = {"wsgi.input", "wsgi.errors", "wsgi.file_wrapper"}
    for key in sorted(set(first) | set(second)):
        if key == "REMOTE_PORT":
            continue
        mine, theirs = first.get(key, "<absent>"), second.get(key, "<absent>")
        if key in objects:
            mine, theirs = type(mine).__name__, type(theirs).__name__
        if mine != theirs:
            found[f"environ {key}"] = f"environ {key}: {mine!r} {sides[0]}, {theirs!r} {sides[1]}"
    return found


def _trace_shape(response: Response) -> list[str]:
    """The trace as a list of event kinds (and the sizes that must agree)."""
    shape = []
    for event in response.trace:
        kind = type(event).__name__
        if isinstance(event, InputRead):
            kind += f"({event.method},{event.size})"
        shape.append(kind)
    return shape
