"""Replaying one request through each transport, with time limits, and comparing them.

:class:`MemoryTransport` runs the app in a worker thread so that an app that hangs costs
the run one abandoned thread and a finding, never the run itself. :class:`SocketTransport`
sends the request's exact bytes to one live :class:`~wsgicheck.drivers.server.Server` over one
keep-alive connection and takes the server's record of the exchange. :func:`differences`
lists what the two disagree on (:func:`wsgicheck.explore.agreement.differences`, after what
``NORMALISED`` lets differ), less what :func:`app_variations` shows the app varies by itself
when the request is replayed.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from ..core.environ import ServerConfig
from ..core.invoke import WSGIApp
from ..drivers.client import Client
from ..drivers.overtime import STRETCH, Overtime
from ..drivers.rawclient import MAX_BODY, RawConnection
from ..drivers.server import Limits, Server
from ..model.events import RawEvent, TimedOut, raw_timed_out
from ..model.extra import Extra
from ..model.request import Request
from ..model.response import Response
from ..model.threads import own_thread
from . import agreement
from .agreement import Between, may_differ

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

#: What may differ between the transports for the same request, and why (the entries of the
#: one list, :data:`wsgicheck.explore.agreement.MAY_DIFFER`, that hold between them).
NORMALISED = may_differ(Between.TRANSPORTS)


def timed_out(response: Response) -> bool:
    """Whether the exchange was abandoned at its time limit."""
    return any(type(event) is TimedOut for event in response.trace)


class TransportError(Exception):
    """The socket transport could not complete an exchange (a wsgicheck problem)."""


class MemoryTransport:
    """Exchanges in memory, in a worker thread, abandoned past ``timeout`` seconds (while
    the app keeps working, later: :mod:`wsgicheck.drivers.overtime`)."""

    def __init__(self, app: WSGIApp, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self._jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._worker: threading.Thread | None = None

    def _start_worker(self) -> None:
        self._jobs = queue.SimpleQueue()
        self._worker = own_thread("memory", self._work, self._jobs)
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

    def exchange(
        self, request: Request, config: ServerConfig, remote: tuple[str, int] | None = None
    ) -> Response:
        """``request`` in memory; ``remote``, a client's address and port, as a socket's."""
        if self._worker is None or not self._worker.is_alive():
            self._start_worker()
        client = Client(self.app, config=config)
        if remote is not None:
            client.remote = remote
        pending = client.start(request)
        done: list[Any] = []
        finished = threading.Event()
        self._jobs.put((pending, done, finished))
        overtime = Overtime(time.monotonic(), self.timeout)
        while not finished.wait(max(0.0, overtime.next_look() - time.monotonic())):
            if overtime.over(time.monotonic(), pending.log):
                break
        else:
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
        self._records: queue.SimpleQueue[
            Response | tuple[tuple[str, int], int, str] | BaseException
        ] = queue.SimpleQueue()
        self.timeout = timeout
        #: The client reads a body that ends at the close up to the server's limit, and a
        #: margin (a review of 2026-12-06: cut at 8 MiB, a longer one read as the client
        #: leaving, and a raised --body-limit failed HARNESS-TRANSPORTS-AGREE).
        self._max_body = max(MAX_BODY, body_limit + (64 << 10))
        #: How long the client waits for an answer, and then for its record: the longest
        #: an exchange runs (the limit, stretched while the app works), and a margin.
        self._waited = timeout * STRETCH + 5
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
            on_reject=lambda remote, status, message: self._records.put((remote, status, message)),
            on_error=self._records.put,
        )
        self.server.start()
        self._conn: RawConnection | None = None
        #: The choices of the last exchange, as the runner drew them.
        self._drawn: ServerConfig | None = None

    @property
    def config(self) -> ServerConfig:
        return self.server.config

    def _connect(self) -> RawConnection:
        if self._conn is None:
            self._conn = RawConnection(
                self.server.host, self.server.port, self._waited, max_body=self._max_body
            )
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def exchange(self, request: Request, config: ServerConfig) -> Response:
        # One request at a time on one connection: the server takes the config the runner
        # drew for this example (its name and port stay its own).
        if config is not self._drawn:  # the same choices again (a follow-up): already set
            self._drawn = config
            self.server.config = replace(
                config,
                server_name=self.server.config.server_name,
                server_port=self.server.config.server_port,
            )
        conn = self._connect()
        if conn.peer_closed():
            self._drop()
            conn = self._connect()
        # A refusal is told by the client's address: one of another connection's is late
        # (what followed an earlier request on it, refused once that one was answered).
        local = tuple(conn.sock.getsockname()[:2])
        # Sent once, never retried: a retry could run the app twice for one example. No
        # response, or one cut short, and the connection is not used again.
        answer = conn.read_response(request.method) if conn.send(request.to_bytes()) else None
        if answer is None or not answer.reusable:
            self._drop()
        deadline = time.monotonic() + self._waited
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
                remote, status, message = record
                if tuple(remote[:2]) != local:
                    continue
                raise TransportError(f"the server refused the request: {status} {message}")
            if _same_request(record.request, request):
                # The record's request is the server's view of the head (its body cut at the
                # capture limit); the runner knows exactly what it sent.
                record.request = request
                return record
            # A record of an earlier exchange that arrived late: skip it.

    def close(self) -> None:
        self._drop()
        self.server.shutdown(timeout=2.0)


def _same_request(seen: Request, sent: Request) -> bool:
    return (seen.method, seen.target, seen.http_version) == (
        sent.method,
        sent.target,
        sent.http_version,
    ) and [(name.lower(), value.strip(" \t")) for name, value in seen.headers] == [
        (name.lower(), value.strip(" \t")) for name, value in sent.headers
    ]


def differences(memory: Response, wire: Response, *, app_varies: Iterable[str] = ()) -> list[str]:
    """What the two transports disagree on, after the normalisation of :data:`NORMALISED`,
    leaving out the aspects the app varies by itself (the keys of :func:`app_variations`)."""
    skipped = set(app_varies)
    found = agreement.differences(memory, wire, _SIDES)
    return [text for aspect, text in found.items() if aspect not in skipped]


#: Replays in memory of a request whose transports disagree, to see whether the app varies.
REPLAYS = 2
#: Replays at most while an aspect the transports disagree on is not explained: no replay
#: in memory has agreed on it with the socket's answer, nor (past :data:`REPLAYS`) a replay
#: over the socket with memory's first answer. (A method that is not safe is replayed over
#: the socket as in memory: what its replays change in the app, they changed before.)
#: An app may vary at random among a few answers: Django's GZipMiddleware pads each body it
#: compresses by a random length and sends it uncompressed when that is no smaller, so a
#: small JSON body went out coded 73% of the time, and replays in memory alone left the
#: socket's rarer answer unmet in about one run in twenty (sweep 16). Over the socket the
#: common answer comes back at once. Only a real difference of the transports, a wsgicheck
#: bug, costs all of them.
EXPLAIN_REPLAYS = 24
#: What an app can vary by itself over the socket too: its status, its fields, what it calls
#: (the environ is the server's, built by one core for both transports).
APP_ASPECTS = frozenset({"status", "header names", "trace"})


def compare(
    memory: MemoryTransport,
    request: Request,
    config: ServerConfig,
    first: Response,
    wire: Response,
    socket: SocketTransport | None = None,
) -> Extra:
    """The evidence of comparing the memory exchange ``first`` with the socket one ``wire``.

    ``transport_differences`` (HARNESS-TRANSPORTS-AGREE's); when there are some, the request
    is replayed in memory (up to :data:`EXPLAIN_REPLAYS` times while one is unexplained, not
    past a time-out) and ``app_varies`` (HARNESS-APP-VARIES's) lists what the app changed
    by itself there. A difference is left out where the app varies in it and one of its
    other answers agrees: a replay in memory with ``wire``, or, past :data:`REPLAYS`, a
    replay over ``socket`` with ``first`` (on the app's own aspects).
    """
    disagreed = agreement.differences(first, wire, _SIDES)
    if not disagreed:
        return Extra(transport_differences=())
    replays: list[Response] = []
    explained: set[str] = set()
    unanswered: tuple[str, ...] = ()
    while len(replays) < REPLAYS or (
        disagreed.keys() - explained and len(replays) < EXPLAIN_REPLAYS
    ):
        again = memory.exchange(request, config)
        if timed_out(again):
            # The app did not answer the same request again in time: it varies by itself
            # (what its first answers changed: a used token, a store grown slow), and where
            # it varies, the transports cannot be told from it.
            explained |= disagreed.keys() & APP_ASPECTS
            unanswered = ("the same request replayed in memory got no answer within the limit",)
            break
        replays.append(again)
        explained |= disagreed.keys() - agreement.differences(again, wire, _SIDES).keys()
        if "trace" in disagreed.keys() - explained and _reads_explain(first, replays, wire):
            explained.add("trace")
        if socket is None or len(replays) < REPLAYS or not disagreed.keys() - explained:
            continue
        try:
            over_socket = socket.exchange(request, config)
        except TransportError:
            socket = None  # the harness's own trouble: no more over the socket
            continue
        if timed_out(over_socket):
            socket = None
            continue
        agreeing = disagreed.keys() - agreement.differences(first, over_socket, _SIDES).keys()
        explained |= agreeing & APP_ASPECTS
    peer = _peer(wire) if disagreed.keys() - explained and _peer(first) is None else None
    by_peer: set[str] = set()
    if peer is not None:
        # Only a socket has a client port (REMOTE_PORT, a leeway of the environ's): an app
        # that answers the connection a request came on (a welcome on each one's first
        # request) answers the two transports apart, and no server is to blame. The same
        # request in memory from the socket's peer tells it, or from a port no connection
        # used, for an app that remembers the peers it met (an adversarial trial of
        # 2026-12-06 called it "a wsgicheck bug").
        for remote in (peer, (peer[0], next(_UNUSED_PORTS))):
            again = memory.exchange(request, config, remote=remote)
            if timed_out(again):
                break
            by_peer |= (
                disagreed.keys() - explained - agreement.differences(again, wire, _SIDES).keys()
            )
            if not disagreed.keys() - explained - by_peer:
                break
        explained |= by_peer
    varies = app_variations(first, *replays)
    # Explained over the socket and not in memory: the app's variation is the socket's
    # answer set beside memory's first (the rare one there, the common one here).
    # (What the peer explains is the environ's leeway, not the app varying.)
    shown = {aspect: disagreed[aspect] for aspect in explained - varies.keys() - by_peer}
    return Extra(
        transport_differences=tuple(differences(first, wire, app_varies=explained)),
        app_varies=(*varies.values(), *shown.values(), *unanswered),
    )


#: Client ports no connection is given (Linux hands out 32768-60999), down from the last.
_UNUSED_PORTS = itertools.cycle(range(65535, 61000, -1))


def _peer(response: Response) -> tuple[str, int] | None:
    """The client's address and port the environ gave the app, where it gave a port."""
    environ = response.environ or {}
    address, port = environ.get("REMOTE_ADDR"), environ.get("REMOTE_PORT")
    if not isinstance(address, str) or not isinstance(port, str) or not port.isdigit():
        return None
    return address, int(port)


_SIDES = ("in memory", "on a socket")


def _reads_explain(first: Response, replays: list[Response], wire: Response) -> bool:
    """Whether the socket's trace is one the app makes itself, but for how many times it
    reads: its answers in memory call the same things in the same order, each run of
    reads counted as one, and differ in how many times they read; and the socket's does
    the same. (A proxy reads its body until its backend answers: no two answers read
    alike, and none need meet the socket's read for read. An app that varies otherwise,
    in how many blocks it yields, say, excuses no read the socket lost.)"""
    answers = (first, *replays)
    loose = {tuple(agreement.trace_shape(each, reads_counted=False)) for each in answers}
    if len(loose) != 1:
        return False  # the app varies in more than its reads
    if len({tuple(agreement.trace_shape(each)) for each in answers}) == 1:
        return False  # the app reads alike each time: the transports must too
    return tuple(agreement.trace_shape(wire, reads_counted=False)) in loose


def app_variations(first: Response, *replays: Response) -> dict[str, str]:
    """What the app changes by itself: the aspects (``"status"``, ``"header names"``,
    ``"trace"``...) in which a replay of the same request in memory differs from the first
    exchange in memory, each with a description."""
    found: dict[str, str] = {}
    for again in replays:
        for aspect, text in agreement.differences(first, again, ("first", "when replayed")).items():
            found.setdefault(aspect, text)
    return found
