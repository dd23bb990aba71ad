"""The real socket server: HTTP/1.1 on loopback, on the shared core.

Shape (the waitress model, done with a selector and h11):

* one **selector thread** owns every idle connection: it accepts, reads request heads as
  they trickle in, checks them (:func:`~wsgicheck.drivers.connection.parse_head`), answers malformed
  ones itself, and drops connections that idle or dawdle past their deadline (slowloris);
* a bounded **pool of worker threads** runs exchanges: a worker owns its connection from a
  complete head to the end of the response (streaming the body both ways), serves any
  pipelined requests already received, in order, and hands the connection back;
* a **watchdog** (the selector thread again) answers for an app that runs past the exchange
  limit, records it, and replaces the stuck worker so the server keeps serving.

CONNECT is refused with 501 before any app runs, and the connection closed: a 2xx would
turn the connection into a tunnel (RFC 9110 §9.3.6), and PEP 3333 gives an app no socket
to drive one (:func:`~wsgicheck.core.environ.request_problem`).

:class:`Server` is also a context manager that serves from background threads: the live
server of the test fixtures and of the differential runner.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import h11

from ..core.environ import ServerConfig
from ..core.invoke import WSGIApp
from ..model.events import raw_client_gone, raw_timed_out
from ..model.response import Response
from ..model.threads import own_thread
from .connection import (
    After,
    Connection,
    InFlight,
    Limits,
    RequestReader,
    answer_head,
    body_unfinished,
    error_answer,
    error_response,
    parse_head,
    serve_exchange,
)
from .poller import make_poller
from .target import app_location
from .wire import WireError
from .workers import WorkerPool

__all__ = ["Limits", "Server", "live_server"]

#: Why an exchange past its limit while the app waited on the client for its body ended:
#: the 408's text, and the ClientGone event of its record.
SLOW_BODY = "the client did not send the rest of its request body in time"

#: How often the selector thread looks at deadlines when nothing else wakes it.
TICK = 0.25

Work = tuple[Connection, RequestReader, h11.Request]


class Server:
    """A validating HTTP/1.1 server for one WSGI app, on the shared core.

    ``on_exchange`` is called (from a worker thread) with a
    :class:`~wsgicheck.model.response.Response` record of every exchange that reached the app or
    was refused after parsing; bodies in records are cut at ``limits.capture_limit`` bytes.
    ``on_reject`` is called with the client address, status and reason for every request
    refused before it could be parsed (a malformed head, a timeout).

    An exception in wsgicheck's own serving code (never the app's: the core turns those into
    a 500 or an aborted response) is kept in :attr:`errors`, the connection is closed and the
    thread keeps serving; ``on_error`` is called with it, or, without one,
    :func:`threading.excepthook` reports it as if the thread had died of it.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 8,
        config: ServerConfig | None = None,
        limits: Limits | None = None,
        on_exchange: Callable[[Response], None] | None = None,
        on_reject: Callable[[tuple[str, int], int, str], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        poller: str = "auto",
    ) -> None:
        if threads < 1:
            raise ValueError("threads: at least 1")
        self.app = app
        self.limits = limits or Limits()
        self.threads = threads
        self.on_exchange = on_exchange
        self.on_reject = on_reject
        self.on_error = on_error
        #: wsgicheck-internal failures met by the server's threads, oldest first.
        self.errors: list[BaseException] = []
        self._app_where = app_location(app)
        self._listener = socket.create_server((host, port), backlog=1024)
        self._listener.setblocking(False)
        bound_host, bound_port = self._listener.getsockname()[:2]
        self.host, self.port = bound_host, bound_port
        self.config = replace(
            config or ServerConfig(),
            server_name=bound_host,
            server_port=str(bound_port),
            multithread=threads > 1,
        )
        self._poller = make_poller(self._listener, poller)
        self._in_flight: dict[int, InFlight] = {}
        self._in_flight_lock = threading.Condition()
        self._accepting = True
        self._running = False
        self._loop_thread: threading.Thread | None = None
        self._pool: WorkerPool[Work] | None = None
        # Blocking sockets with kernel timeouts: Python polls before every call on a
        # socket with a Python-level timeout, which would double the syscalls per request.
        seconds = self.limits.io_timeout
        self._timeval = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
        self.stuck_threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        """``http://host:port``, the address clients use."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Server:
        """Start serving from background threads; return self."""
        if self._running:
            raise RuntimeError("server already started")
        self._running = True
        self._pool = WorkerPool(self.threads, self._guarded_work, str(self.port))
        self._loop_thread = own_thread(f"{self.port}-selector", self._guarded_loop)
        self._loop_thread.start()
        return self

    def shutdown(self, timeout: float = 5.0) -> None:
        """Stop gracefully: no new connections, in-flight exchanges finish, threads end.

        Exchanges still running after ``timeout`` (an app that hangs) are abandoned; their
        threads are listed in :attr:`stuck_threads`.
        """
        if not self._running:
            return
        deadline = time.monotonic() + timeout
        self._accepting = False
        self._wake()
        with self._in_flight_lock:
            self._in_flight_lock.wait_for(
                lambda: not self._in_flight, timeout=max(0.0, deadline - time.monotonic())
            )
        self._running = False
        self._wake()
        if self._loop_thread is not None:
            self._loop_thread.join(max(0.1, deadline - time.monotonic()))
        if self._pool is not None:
            self.stuck_threads = self._pool.stop(max(0.1, deadline - time.monotonic()))
        self._poller.close()

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), then shut down gracefully."""
        self.start()
        try:
            while self._loop_thread is not None and self._loop_thread.is_alive():
                self._loop_thread.join(0.5)
        finally:
            self.shutdown()

    def __enter__(self) -> Server:
        return self if self._running else self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- wsgicheck's own failures ---------------------------------------------------------------

    def _internal_error(self, exc: BaseException) -> None:
        """Keep a failure of the server's own code and report it to whoever listens."""
        self.errors.append(exc)
        if self.on_error is not None:
            with contextlib.suppress(Exception):
                self.on_error(exc)
            return
        args = (type(exc), exc, exc.__traceback__, threading.current_thread())
        threading.excepthook(threading.ExceptHookArgs(args))

    def _guarded_work(self, work: Work) -> bool:
        """:meth:`_work`, but a failure closes the connection, not the worker: whatever its
        kind (a SystemExit or KeyboardInterrupt from the app that got past the core too)."""
        try:
            return self._work(work)
        except BaseException as exc:
            self._internal_error(exc)
            self._drop(work[0])
            return False

    def _guarded_loop(self) -> None:
        """:meth:`_loop`; if it fails, nothing accepts or watches connections any more, so
        the listener and the idle connections are closed rather than left to hang clients."""
        try:
            self._loop()
        except Exception as exc:
            self._internal_error(exc)
            with contextlib.suppress(Exception):
                self._poller.stop_listening()
            self._listener.close()
            with contextlib.suppress(Exception):
                self._close_idle()

    # -- the selector thread --------------------------------------------------------------------

    def _wake(self) -> None:
        self._poller.wake()

    def _loop(self) -> None:
        poller = self._poller
        listening = True
        while self._running:
            if listening and not self._accepting:
                listening = False
                poller.stop_listening()
                self._listener.close()
                self._close_idle()
            accept, ready = poller.poll(TICK)
            if accept and listening:
                self._accept()
            for conn in ready:
                try:
                    self._readable(conn)
                except Exception as exc:  # ours, not the app's: drop the connection, go on
                    self._internal_error(exc)
                    self._drop(conn)
            self._expire(time.monotonic())
        if listening:
            poller.stop_listening()
            self._listener.close()
        self._close_idle()

    def _accept(self) -> None:
        for _ in range(64):
            try:
                sock, address = self._listener.accept()
            except OSError:  # BlockingIOError when there is none left
                return
            try:
                self._prepare(sock)
            except OSError:
                sock.close()
                continue
            conn = Connection(sock, (address[0], address[1]))
            conn.deadline = time.monotonic() + self.limits.header_timeout
            self._poller.watch(conn)

    def _prepare(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, self._timeval)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, self._timeval)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _readable(self, conn: Connection) -> None:
        """A watched connection has bytes (or its end): read them, serve a complete head."""
        try:
            data = conn.sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            self._drop(conn)
            return
        if not conn.buffer:
            # The first byte of a request: it now has header_timeout to arrive whole.
            conn.deadline = time.monotonic() + self.limits.header_timeout
        conn.buffer += data
        self._try_dispatch(conn)

    def _try_dispatch(self, conn: Connection) -> None:
        try:
            parsed = parse_head(conn, self.limits)
        except WireError as exc:
            self._reject(conn, exc.status, str(exc))
            return
        if parsed is None:
            self._poller.rearm(conn)
            return
        assert self._pool is not None
        self._pool.submit((conn, *parsed))

    def _reject(self, conn: Connection, status: int, message: str) -> None:
        """Answer a request refused before parsing completed, and close (framing in doubt)."""
        with contextlib.suppress(OSError):
            conn.sock.setblocking(True)
            conn.sock.settimeout(1.0)
            conn.sock.sendall(error_response(status, message, self.config.server_software))
        self._report_rejection(conn, status, message)
        self._drop(conn)

    def _report_rejection(self, conn: Connection, status: int, message: str) -> None:
        if self.on_reject is not None:
            with contextlib.suppress(Exception):
                self.on_reject(conn.remote, status, message)

    def _drop(self, conn: Connection) -> None:
        self._poller.forget(conn)
        conn.close()

    def _close_idle(self) -> None:
        for conn in self._poller.watched():
            self._drop(conn)

    def _expire(self, now: float) -> None:
        for conn in self._poller.watched():
            if now >= conn.deadline:
                if conn.buffer:
                    self._reject(conn, 408, "the request head did not arrive in time")
                else:
                    self._drop(conn)  # idle keep-alive connection: close quietly
        late = [
            flight
            for flight in list(self._in_flight.values())
            if flight.overtime.over(now, flight.log)
        ]
        for flight in late:
            self._take_over(flight)

    def _take_over(self, flight: InFlight) -> None:
        """An exchange ran past its limit: answer for it, record it, replace the worker.

        Where the app was waiting in a read of ``wsgi.input`` for the rest of a body the
        client was slow to send, the client is answered 408 and the app is not blamed (an
        adversarial trial of 2026-12-07: a body sent a byte every 5 s got a 500 and
        HARNESS-EXCHANGE-TIMEOUT, a rule of the app's). Otherwise the app is late: a 500,
        and a TimedOut event in its record."""
        conn = flight.conn
        with conn.lock:
            if conn.taken_over or flight.reported:
                return
            conn.taken_over = True
            flight.reported = True
            if flight.exchange is not None:
                # The app goes on in its worker: its next block or write() finds the client
                # gone, so an endless run of empty blocks stops too.
                flight.exchange.abandon()
            headers_sent = conn.head_sent
            if conn.awaiting_body:
                status, told = 408, SLOW_BODY
                flight.log.append(raw_client_gone(SLOW_BODY))
                if flight.body is not None:
                    flight.log.append(body_unfinished(flight.body))
            else:
                status, told = 500, "the application did not answer in time"
                flight.log.append(raw_timed_out(self.limits.exchange_timeout, headers_sent))
            # The record shows the answer as it went out, its fields and body too (none where
            # the send failed: a review of 2026-12-07); to a HEAD, the head alone.
            fields: list[tuple[str, str]] = []
            reason, body = "", b""
            if not headers_sent:
                reason, fields, body = error_answer(status, told, "wsgicheck")
                if flight.request.method == "HEAD":
                    body = b""
                try:
                    conn.sock.sendall(answer_head(status, reason, fields) + body)
                except OSError:
                    fields, body = [], b""  # nothing went out (the client reset, say)
            sent = bool(fields)
        self._drop(conn)
        with self._in_flight_lock:
            self._in_flight.pop(id(conn), None)
            self._in_flight_lock.notify_all()
        assert self._pool is not None
        self._pool.replace_stuck()
        if self.on_exchange is not None:
            record = Response(
                flight.request,
                0 if headers_sent else status,
                reason,
                fields,
                body,
                sent,
                flight.environ,
                list(flight.log),  # the stuck worker may still add to its own
                "",
                request_body_size=flight.request_body_size,
            )
            with contextlib.suppress(Exception):
                self.on_exchange(record)

    # -- the workers ----------------------------------------------------------------------------

    def _track(self, conn: Connection) -> Callable[[InFlight | None], None]:
        """What a worker calls as an exchange starts (with it) and ends (with None).

        Plain dict operations (atomic under the GIL) on the hot path; the condition is
        notified only when :meth:`shutdown` waits for in-flight exchanges to end.
        """
        key = id(conn)
        in_flight = self._in_flight

        def track(flight: InFlight | None) -> None:
            if flight is not None:
                in_flight[key] = flight
                return
            in_flight.pop(key, None)
            if not self._accepting:
                with self._in_flight_lock:
                    self._in_flight_lock.notify_all()

        return track

    def _work(self, work: Work) -> bool:
        """Serve a connection's requests; True if the watchdog wrote this worker off."""
        conn, parser, event = work
        track = self._track(conn)
        while True:
            after, record = serve_exchange(
                self.app,
                conn,
                parser,
                event,
                config=self.config,
                limits=self.limits,
                app_where=self._app_where,
                track=track,
                started=time.monotonic(),
                record=self.on_exchange is not None,
            )
            closing = after is not After.KEEP or not self._accepting or conn.taken_over
            if closing and after is not After.CLOSE:
                # The response's head let the client reuse the connection (a shutdown closes
                # one kept, too): closed before the record goes out, so that a client waiting
                # for the record (the runner's socket transport) finds it closed, and never
                # sends its next request into it.
                self._drop(conn)
            if record is not None and self.on_exchange is not None:
                # Otherwise reported before the close, so that a client that reads until
                # the close (curl, on Connection: close) sees the trace of its exchange
                # before it can send another.
                with contextlib.suppress(Exception):
                    self.on_exchange(record)
            if closing:
                if not conn.closed:
                    self._drop(conn)
                return conn.taken_over
            conn.buffer = bytearray(parser.trailing_data[0])
            _read_ready(conn)
            try:
                parsed = parse_head(conn, self.limits) if conn.buffer else None
            except WireError as exc:
                # Told as any refused request is (a pipelined one went unsaid in serve's
                # trace: an adversarial trial of 2026-12-07).
                with contextlib.suppress(OSError):
                    conn.sock.sendall(
                        error_response(exc.status, str(exc), self.config.server_software)
                    )
                self._report_rejection(conn, exc.status, str(exc))
                self._drop(conn)
                return False
            if parsed is None:
                break
            # The next request has already arrived (pipelined, or a quick client): serve it
            # now, in order, without a trip through the selector thread.
            parser, event = parsed
        now = time.monotonic()
        conn.deadline = now + (
            self.limits.header_timeout if conn.buffer else self.limits.keepalive_timeout
        )
        # A shutdown sweeping idle connections may close this one as it is re-armed.
        with contextlib.suppress(OSError, ValueError):
            self._poller.rearm(conn)
        if self._shutting_down():
            # The selector thread's last sweep may already have run, so a connection handed
            # back now would never be closed. Close it here.
            self._drop(conn)
        return False

    def _shutting_down(self) -> bool:
        """Whether :meth:`shutdown` has begun (read afresh: it runs in another thread)."""
        return not self._accepting


def _read_ready(conn: Connection) -> None:
    """Take whatever the client has already sent, without waiting."""
    flags = getattr(socket, "MSG_DONTWAIT", 0)
    if not flags:
        return
    with contextlib.suppress(OSError):
        data = conn.sock.recv(65536, flags)
        if data:
            conn.buffer += data


@contextlib.contextmanager
def live_server(app: WSGIApp, **options: Any) -> Iterator[Server]:
    """Serve ``app`` on a free loopback port in background threads for the ``with`` block.

    Yields the started :class:`Server` (``server.url``); stops it gracefully on exit.
    Options are those of :class:`Server`.
    """
    server = Server(app, **options)
    server.start()
    try:
        yield server
    finally:
        server.shutdown()
