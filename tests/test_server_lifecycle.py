"""The socket server under stress: timeouts, hung and broken apps, concurrency, shutdown.

Timeouts are small here (half a second) so the suite stays fast; every wait is bounded, and
every app that blocks waits on an event the test sets before it ends, so no thread outlives it.
"""

from __future__ import annotations

import itertools
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from serverutil import (
    LOOPBACK,
    TIMEOUT,
    Reader,
    Recorder,
    connect,
    exchange,
    is_closed,
    parse_responses,
    read_until,
    read_until_closed,
    wait_for,
)
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import SLOW_BODY, Server, live_server
from wsgicheck.model.events import (
    BODY_UNFINISHED,
    AppRaised,
    ClientGone,
    CloseCalled,
    Refused,
    ServerObserved,
    TimedOut,
)
from wsgicheck.rules import Exchange, check_exchange

SHORT = 0.5
LIMITS = Limits(
    header_timeout=SHORT, keepalive_timeout=SHORT, exchange_timeout=SHORT, io_timeout=5.0
)
OK = b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


class Broken:
    """Apps that misbehave in every way PEP 3333 lets an app misbehave, by path."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.closed = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ["PATH_INFO"]
        handler = getattr(self, "app_" + path.strip("/").replace("-", "_"), None)
        if handler is None:
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "3")])
            return [b"ok\n"]
        return handler(start_response)

    # -- hanging --------------------------------------------------------------------------------

    def app_hang(self, start_response: Any) -> list[bytes]:
        self.started.set()
        self.release.wait(TIMEOUT * 2)
        start_response("200 OK", [("Content-Length", "4")])
        return [b"late"]

    def app_hang_after_headers(self, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._hang_after_first()

    def _hang_after_first(self) -> Iterator[bytes]:
        yield b"first block\n"
        self.release.wait(TIMEOUT * 2)
        yield b"too late\n"

    def app_slow(self, start_response: Any) -> list[bytes]:
        self.started.set()
        self.release.wait(TIMEOUT)
        start_response("200 OK", [("Content-Length", "9")])
        return [b"finished\n"]

    def app_endless(self, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return self._endless()

    def _endless(self) -> Iterator[bytes]:
        try:
            for _ in range(100_000):
                yield b"x" * 65536
        finally:
            self.closed.set()

    # -- failing --------------------------------------------------------------------------------

    def app_raise_before(self, start_response: Any) -> list[bytes]:
        raise RuntimeError("boom before start_response")

    def app_raise_before_body(self, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._raise_first()

    def _raise_first(self) -> Iterator[bytes]:
        raise RuntimeError("boom in the iterable")
        yield b""  # pragma: no cover - makes this a generator

    def app_raise_after_headers(self, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._raise_second()

    def _raise_second(self) -> Iterator[bytes]:
        yield b"first block\n"
        raise RuntimeError("boom after the headers")

    def app_system_exit(self, start_response: Any) -> list[bytes]:
        raise SystemExit(3)

    def app_returns_int(self, start_response: Any) -> int:
        start_response("200 OK", [])
        return 42

    def app_returns_none(self, start_response: Any) -> None:
        start_response("200 OK", [])

    def app_returns_str(self, start_response: Any) -> str:
        start_response("200 OK", [])
        return "a str, not bytes"

    def app_yields_str(self, start_response: Any) -> list[str]:
        start_response("200 OK", [])
        return ["one", "two"]

    def app_start_response_twice(self, start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        start_response("404 Not Found", [])
        return [b"unreachable"]

    def app_no_start_response(self, start_response: Any) -> list[bytes]:
        return [b"body without a status"]

    def app_bad_status(self, start_response: Any) -> list[bytes]:
        start_response("200", [])
        return [b"x"]

    def app_hop_by_hop(self, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Connection", "close")])
        return [b"x"]

    def app_short_body(self, start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "100")])
        return [b"only ten.."]

    def app_exc_info_after_headers(self, start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._exc_info_late(start_response)

    def _exc_info_late(self, start_response: Any) -> Iterator[bytes]:
        yield b"first block\n"
        try:
            raise ValueError("late failure")
        except ValueError:
            import sys

            start_response("500 Internal Server Error", [], sys.exc_info())
        yield b"unreachable"

    def app_close_raises(self, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Length", "3")])
        return _CloseRaises()


class _CloseRaises:
    def __iter__(self) -> Iterator[bytes]:
        yield b"ok\n"

    def close(self) -> None:
        raise RuntimeError("boom in close()")


@pytest.fixture
def app() -> Iterator[Broken]:
    broken = Broken()
    yield broken
    broken.release.set()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(app: Broken, recorder: Recorder) -> Iterator[Server]:
    with live_server(app, threads=2, limits=LIMITS, **recorder.options) as srv:
        try:
            yield srv
        finally:
            app.release.set()


def still_serves(server: Server) -> None:
    data, closed = exchange(server, OK)
    assert closed
    assert [(r.status, r.body) for r in parse_responses(data)] == [(200, b"ok\n")]


def refused_connection(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=1.0):
            return False
    except OSError:
        return True


def server_threads(port: int) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"wsgicheck-{port}-")]


# -- slow clients ------------------------------------------------------------------------------


def test_slowloris_is_dropped_while_others_are_served(server: Server, recorder: Recorder) -> None:
    with connect(server) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        dropped = False
        served = 0
        for _ in range(40):  # up to 4 s of trickling, one header byte every 0.1 s
            try:
                slow.sendall(b"X")
            except OSError:
                dropped = True
                break
            still_serves(server)
            served += 1
            time.sleep(0.1)
            if recorder.rejects:
                dropped = True
                break
        data, closed = read_until_closed(slow)
    assert dropped
    assert closed
    assert served >= 1
    assert [r.status for r in parse_responses(data)] in ([408], [])
    assert recorder.wait(rejects=1)
    assert recorder.rejects[0][1] == 408


def test_connection_that_never_sends_is_dropped(server: Server) -> None:
    with connect(server) as idle:
        data, closed = read_until_closed(idle, timeout=TIMEOUT)
        assert closed
        assert data == b""
    still_serves(server)


def test_idle_keep_alive_is_dropped_quietly(server: Server) -> None:
    with connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reader.response().status == 200
        reader.close()
        assert is_closed(sock, TIMEOUT)


def test_busy_keep_alive_connection_is_not_dropped(server: Server) -> None:
    # Requests come more often than the keep-alive limit: the connection stays up.
    with connect(server) as sock:
        reader = Reader(sock)
        for _ in range(6):
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            assert reader.response().body == b"ok\n"
            time.sleep(SHORT / 3)
        reader.close()


# -- hung apps ---------------------------------------------------------------------------------


def test_hung_app_gets_500_and_the_server_keeps_serving(app: Broken, recorder: Recorder) -> None:
    # One worker only: the stuck one must be replaced for the next request to be served.
    with live_server(app, threads=1, limits=LIMITS, **recorder.options) as srv:
        try:
            data, closed = exchange(srv, b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            assert closed
            (answer,) = parse_responses(data)
            assert answer.status == 500
            assert recorder.wait(records=1)
            record = recorder.records[0]
            # The record is the 500 as it went out (it had no fields and no body before).
            assert (record.status_code, record.headers, record.body) == (
                500,
                answer.headers,
                answer.body,
            )
            assert record.complete
            (timed_out,) = record.trace.of(TimedOut)
            assert timed_out.limit == SHORT
            assert timed_out.headers_sent is False
            still_serves(srv)
            still_serves(srv)
        finally:
            app.release.set()


def test_the_servers_own_answer_to_a_head_has_no_body(recorder: Recorder) -> None:
    """A review of 2026-12-07: the watchdog's 500 to a hung HEAD, and its 408 to a HEAD
    whose body came too slowly, went out with a body; once the record showed it, a server
    rule (SRV-NO-BODY-HEAD-204-304) fired on wsgicheck's own answer."""
    release = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/read":
            environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        else:
            release.wait(TIMEOUT * 2)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return []

    with live_server(app, threads=1, limits=LIMITS, **recorder.options) as srv:
        try:
            for request in (
                b"HEAD /hang HTTP/1.1\r\nHost: x\r\n\r\n",
                b"HEAD /read HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab",
            ):
                with connect(srv) as sock:
                    sock.sendall(request)
                    data, closed = read_until_closed(sock)
                assert closed
                head, _, body = data.partition(b"\r\n\r\n")
                assert head.startswith((b"HTTP/1.1 500 ", b"HTTP/1.1 408 ")), data
                assert b"Content-Length: " in head
                assert body == b""
        finally:
            release.set()
        assert recorder.wait(records=2)
    assert sorted(record.status_code for record in recorder.records) == [408, 500]
    for record in recorder.records:
        assert (record.body, record.complete) == (b"", True)
        found = {finding.rule for finding in check_exchange(Exchange(record, source="socket"))}
        assert found <= {"HARNESS-EXCHANGE-TIMEOUT"}


def test_a_servers_answer_that_could_not_be_sent_is_not_recorded_as_sent(
    app: Broken, recorder: Recorder
) -> None:
    """A review of 2026-12-07: the client reset its connection before the watchdog's 500;
    the record still showed the 500's fields and body, as if they had gone out."""
    with live_server(app, threads=1, limits=LIMITS, **recorder.options) as srv:
        try:
            sock = connect(srv)
            sock.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            time.sleep(SHORT / 5)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # a reset: the 500 finds the connection gone
            assert recorder.wait(records=1)
        finally:
            app.release.set()
    record = recorder.records[0]
    assert (record.status_code, record.headers, record.body, record.complete) == (
        500,
        [],
        b"",
        False,
    )


def test_app_hung_after_headers_is_aborted(server: Server, app: Broken, recorder: Recorder) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /hang-after-headers HTTP/1.1\r\nHost: x\r\n\r\n")
        data, closed = read_until_closed(sock)
    assert closed
    assert data.startswith(b"HTTP/1.1 200 ")
    assert b"first block\n" in data
    assert not data.endswith(b"0\r\n\r\n")  # the chunked body never ended: aborted
    assert recorder.wait(records=1)
    (timed_out,) = recorder.records[0].trace.of(TimedOut)
    assert timed_out.headers_sent is True
    still_serves(server)


# -- broken apps -------------------------------------------------------------------------------

#: Path → what the server does: answer 500 (and keep the connection), or abort the response.
BROKEN = [
    ("/raise-before", 500, AppRaised),
    ("/raise-before-body", 500, AppRaised),
    ("/system-exit", 500, AppRaised),
    ("/returns-int", 500, AppRaised),
    ("/returns-none", 500, AppRaised),
    ("/returns-str", 500, Refused),
    ("/yields-str", 500, Refused),
    ("/start-response-twice", 500, Refused),
    ("/no-start-response", 500, Refused),
    ("/bad-status", 500, Refused),
    ("/hop-by-hop", 500, Refused),
]


@pytest.mark.parametrize(("path", "status", "event"), BROKEN)
def test_broken_app_gets_500_and_keep_alive_goes_on(
    server: Server, recorder: Recorder, path: str, status: int, event: type
) -> None:
    with connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
        response = reader.response()
        assert response.status == status
        assert response.header("Content-Length") == str(len(response.body))
        sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert reader.response().body == b"ok\n"
        reader.close()
    assert recorder.wait(records=2)
    first = recorder.records[0]
    assert first.status_code == status
    assert first.trace.of(event)


@pytest.mark.parametrize("path", ["/raise-after-headers", "/short-body", "/exc-info-after-headers"])
def test_broken_app_after_headers_is_aborted(server: Server, recorder: Recorder, path: str) -> None:
    data, closed = exchange(server, b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    assert closed
    assert data.startswith(b"HTTP/1.1 200 ")
    assert not data.endswith(b"0\r\n\r\n")
    assert recorder.wait(records=1)
    assert recorder.records[0].complete is False
    still_serves(server)


def test_close_that_raises_is_recorded(server: Server, recorder: Recorder) -> None:
    data, _ = exchange(
        server, b"GET /close-raises HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert [r.body for r in parse_responses(data)] == [b"ok\n"]
    assert recorder.wait(records=1)
    trace = recorder.records[0].trace
    assert [event.error for event in trace.of(CloseCalled)] == ["RuntimeError: boom in close()"]
    assert [event.phase for event in trace.of(AppRaised)] == ["close"]
    still_serves(server)


def test_client_gone_mid_response_closes_the_iterable(
    server: Server, app: Broken, recorder: Recorder
) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        assert len(read_until(sock, b"x" * 1000)) >= 1000
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    assert app.closed.wait(TIMEOUT)
    assert recorder.wait(records=1)
    record = recorder.records[0]
    assert record.trace.of(ClientGone)
    assert record.trace.of(CloseCalled)
    still_serves(server)


def test_on_exchange_that_raises_does_not_stop_the_server(app: Broken) -> None:
    def explode(record: object) -> None:
        raise RuntimeError("observer bug")

    with live_server(app, threads=1, limits=LIMITS, on_exchange=explode, on_reject=explode) as srv:
        still_serves(srv)
        exchange(srv, b"BAD\r\n\r\n")
        still_serves(srv)


def test_a_failure_of_the_servers_own_code_is_kept_and_serving_goes_on(
    app: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not the app's exception (that is a 500): wsgicheck's. The connection closes, the
    worker survives, and the failure goes to on_error and :attr:`Server.errors`."""
    import wsgicheck.drivers.server

    real = wsgicheck.drivers.server.serve_exchange
    calls = itertools.count()

    def serve_once_broken(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 0:
            raise LookupError("wsgicheck bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(wsgicheck.drivers.server, "serve_exchange", serve_once_broken)
    seen: list[BaseException] = []
    with live_server(app, threads=1, limits=LIMITS, on_error=seen.append) as srv:
        assert exchange(srv, OK) == (b"", True)
        still_serves(srv)
    assert [type(each) for each in seen] == [LookupError]
    assert srv.errors == seen


def test_without_on_error_the_thread_excepthook_reports_it(
    app: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wsgicheck.drivers.server

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise LookupError("wsgicheck bug")

    hooked: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(wsgicheck.drivers.server, "serve_exchange", broken)
    monkeypatch.setattr(threading, "excepthook", hooked.append)
    with live_server(app, threads=1, limits=LIMITS) as srv:
        assert exchange(srv, OK) == (b"", True)
    assert [type(args.exc_value) for args in hooked] == [LookupError]
    assert hooked[0].thread is not None
    assert hooked[0].thread.name.startswith("wsgicheck-")
    assert srv.errors == [hooked[0].exc_value]


def test_a_failure_handling_one_connection_drops_only_that_one(
    app: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    import wsgicheck.drivers.server

    real = wsgicheck.drivers.server.parse_head
    calls = itertools.count()

    def parse_once_broken(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 0:
            raise LookupError("wsgicheck bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(wsgicheck.drivers.server, "parse_head", parse_once_broken)
    seen: list[BaseException] = []
    with live_server(app, threads=1, limits=LIMITS, on_error=seen.append) as srv:
        assert exchange(srv, OK) == (b"", True)
        still_serves(srv)
    assert [type(each) for each in seen] == [LookupError]


def test_a_failure_of_the_selector_loop_closes_the_listener(
    app: Broken, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing would accept connections after it, so none may be left waiting."""

    def broken(self: Server, now: float) -> None:
        raise LookupError("wsgicheck bug")

    monkeypatch.setattr(Server, "_expire", broken)
    seen: list[BaseException] = []
    with live_server(app, threads=1, limits=LIMITS, on_error=seen.append) as srv:
        assert wait_for(lambda: bool(seen))
        assert wait_for(lambda: refused_connection(srv.port))
    assert [type(each) for each in seen] == [LookupError]


# -- concurrency -------------------------------------------------------------------------------


def test_200_concurrent_keep_alive_connections() -> None:
    def echo_port(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["REMOTE_PORT"].encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    limits = Limits(header_timeout=10.0, keepalive_timeout=30.0)
    with live_server(echo_port, threads=8, limits=limits) as srv:
        sockets = [connect(srv) for _ in range(200)]
        readers = [Reader(sock) for sock in sockets]
        try:
            for round_ in range(2):
                for sock in sockets:
                    sock.sendall(b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % round_)
                for sock, reader in zip(sockets, readers, strict=True):
                    response = reader.response()
                    assert response.status == 200
                    # Same connection both rounds: the server saw this socket's own port.
                    assert response.body == str(sock.getsockname()[1]).encode()
        finally:
            for reader, sock in zip(readers, sockets, strict=True):
                reader.close()
                sock.close()


def test_a_slow_exchange_does_not_block_others(app: Broken) -> None:
    limits = Limits(exchange_timeout=10.0)
    with live_server(app, threads=4, limits=limits) as srv:
        try:
            with connect(srv) as slow:
                slow.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                assert app.started.wait(TIMEOUT)
                for _ in range(5):
                    still_serves(srv)
                app.release.set()
                data, _ = read_until_closed(slow)
            assert parse_responses(data)[0].body == b"finished\n"
        finally:
            app.release.set()


# -- shutdown ----------------------------------------------------------------------------------


def test_graceful_shutdown_finishes_in_flight_exchanges(app: Broken) -> None:
    server = Server(app, threads=4, limits=Limits(exchange_timeout=10.0)).start()
    port = server.port
    stopper = threading.Thread(target=server.shutdown, kwargs={"timeout": 10.0})
    try:
        idle = connect(server)
        idle_reader = Reader(idle)
        idle.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        assert idle_reader.response().status == 200
        busy = connect(server)
        busy.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        assert app.started.wait(TIMEOUT)
        stopper.start()
        # Listeners close and idle connections go at once; the busy one is left to finish.
        assert wait_for(lambda: refused_connection(port))
        assert is_closed(idle)
        assert stopper.is_alive()
        app.release.set()
        data, closed = read_until_closed(busy)
        assert closed
        assert [(r.status, r.body) for r in parse_responses(data)] == [(200, b"finished\n")]
        stopper.join(TIMEOUT)
        assert not stopper.is_alive()
        assert wait_for(lambda: not server_threads(port))
        assert server.stuck_threads == []
        assert refused_connection(port)
        idle_reader.close()
        idle.close()
        busy.close()
    finally:
        app.release.set()
        server.shutdown()


def test_shutdown_closes_every_kept_alive_connection() -> None:
    # Repeated: a worker handing its connection back as the selector stops is a race (it
    # leaked a socket about once in 300 shutdowns); this catches a gross regression only.
    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        return [b"hi"]

    for _ in range(20):
        server = Server(hello, threads=2).start()
        with connect(server) as sock:
            reader = Reader(sock)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert reader.response().body == b"hi"
            server.shutdown()
            assert is_closed(sock, 2.0)
            reader.close()
        assert not server_threads(server.port)


def test_shutdown_gives_up_on_a_hung_app(app: Broken) -> None:
    server = Server(app, threads=2, limits=Limits(exchange_timeout=30.0)).start()
    port = server.port
    try:
        with connect(server) as sock:
            sock.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
            assert app.started.wait(TIMEOUT)
            started = time.monotonic()
            server.shutdown(timeout=SHORT)
            assert time.monotonic() - started < TIMEOUT
            assert len(server.stuck_threads) == 1
            assert refused_connection(port)
    finally:
        app.release.set()
    for thread in server.stuck_threads:
        thread.join(TIMEOUT)
    assert not server_threads(port)


def test_server_as_context_manager_and_misuse(app: Broken) -> None:
    with pytest.raises(ValueError, match="threads"):
        Server(app, threads=0)
    with Server(app, threads=1, limits=LIMITS) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        with pytest.raises(RuntimeError):
            server.start()
        still_serves(server)
    port = server.port
    assert refused_connection(port)
    assert wait_for(lambda: not server_threads(port))
    server.shutdown()  # a second shutdown is harmless


def test_a_client_slow_to_send_its_body_gets_408_and_the_app_is_not_blamed(
    recorder: Recorder,
) -> None:
    """An adversarial trial of 2026-12-07: a client that sent its body a byte every 5 s got
    a 500, and serve's trace blamed the app (HARNESS-EXCHANGE-TIMEOUT, a rule of the
    app's): it had only waited in wsgi.input.read() for the client. It is a 408 now, and
    the record says the client did not send in time."""

    def reading(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n" + body]

    with live_server(reading, threads=1, limits=LIMITS, **recorder.options) as srv:
        with connect(srv) as sock:
            sock.sendall(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n\r\nab")
            data, closed = read_until_closed(sock)
        assert closed
        assert [r.status for r in parse_responses(data)] == [408]
        assert recorder.wait(records=1)
        record = recorder.records[0]
        assert record.status_code == 408
        assert record.trace.of(TimedOut) == []
        # (Then the app's read fails on the closed connection, and its answer finds the
        # exchange answered: the client is gone.)
        assert record.trace.of(ClientGone)[0].message == SLOW_BODY
        unfinished = [e for e in record.trace.of(ServerObserved) if e.what == BODY_UNFINISHED]
        assert [event.detail for event in unfinished] == ["2"]
        assert [finding.rule for finding in check_exchange(Exchange(record))] == []
        data, closed = exchange(srv, OK)
        assert [r.status for r in parse_responses(data)] == [200]
