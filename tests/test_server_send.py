"""The socket server delivers every legal response head unchanged (issue 11 §1).

For every status and header list that passes the APP-* head rules, the response on the wire
parses (by h11 as a client and by ``http.client``) and its fields are the app's, up to the
optional whitespace around a value (RFC 9110 §5.5), under HTTP/1.0, HTTP/1.1 keep-alive and
``Connection: close``, with and without Content-Length. Hypothesis draws the heads from the
grammar's own regular expressions; real Django and Beaker apps set real cookies (both build
every ``Set-Cookie`` value with a leading space). A failure of the server itself while
sending is the harness's own error, never a client that went away. The ``serve`` trace
shows the head as it went on the wire.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from serverutil import TIMEOUT, Recorder, connect, parse_responses, read_until_closed
from wsgicheck.core.environ import ServerConfig, build_environ
from wsgicheck.core.head import headers_problems, status_problems
from wsgicheck.core.invoke import run_app
from wsgicheck.drivers.client import Client, MemorySink
from wsgicheck.drivers.connection import SendError
from wsgicheck.drivers.server import Limits, Server, live_server
from wsgicheck.explore.replay import MemoryTransport, SocketTransport, TransportError, differences
from wsgicheck.model import grammar
from wsgicheck.model.events import (
    BLOCK_PREFIX,
    AppRaised,
    ClientGone,
    RawEvent,
    Refused,
    Trace,
    Yielded,
    block_size,
)
from wsgicheck.model.request import Framing, Request
from wsgicheck.report.transcript import format_exchange
from wsgicheck.rules import Exchange as RuleExchange
from wsgicheck.rules import check_exchange

CURL = shutil.which("curl") or "/usr/bin/curl"
MIB = 1 << 20

#: How a test talks to the server: (HTTP version, Connection header or None).
MODES = {
    "http/1.0": ("1.0", None),
    "keep-alive": ("1.1", None),
    "close": ("1.1", "close"),
}


@dataclass
class Plan:
    """What :class:`PlannedApp` answers: a status, header list and body blocks."""

    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[bytes] = field(default_factory=list)
    generator: bool = False


class PlannedApp:
    """A WSGI app that sends whatever the test planned, as a list or a generator."""

    def __init__(self) -> None:
        self.plan = Plan()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        plan = self.plan
        start_response(plan.status, list(plan.headers))
        if plan.generator:
            return (block for block in plan.blocks)
        return list(plan.blocks)


def request_bytes(method: str, mode: str) -> bytes:
    version, connection = MODES[mode]
    lines = [f"{method} / HTTP/{version}", "Host: wsgicheck.test"]
    if connection is not None:
        lines.append(f"Connection: {connection}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Received:
    """One response as an h11 client read it, with the exact bytes it read."""

    status: int
    reason: str
    fields: list[tuple[str, str]]
    body: bytes
    raw: bytes


def read_response(sock: Any, client: h11.Connection) -> Received:
    """One whole response off ``sock``, parsed by ``client`` (bounded reads)."""
    raw = bytearray()
    body = bytearray()
    head: h11.Response | None = None
    for _ in range(10_000):
        event = client.next_event()
        if event is h11.NEED_DATA:
            data = sock.recv(65536)
            raw += data
            client.receive_data(data)
        elif isinstance(event, h11.Response):
            head = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            break
    assert head is not None, bytes(raw)
    fields = [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, value in head.headers.raw_items()
    ]
    return Received(
        head.status_code, head.reason.decode("latin-1"), fields, bytes(body), bytes(raw)
    )


def h11_client(method: str, mode: str) -> h11.Connection:
    """An h11 client in the state of having sent ``request_bytes(method, mode)``."""
    client = h11.Connection(h11.CLIENT)
    headers = [("Host", "wsgicheck.test")]
    connection = MODES[mode][1]
    if connection is not None:
        headers.append(("Connection", connection))
    client.send(h11.Request(method=method, target="/", headers=headers))
    client.send(h11.EndOfMessage())
    return client


def fetch(server: Server, method: str, mode: str) -> list[Received]:
    """The exchanges of one connection in ``mode``: two on a keep-alive one, else one."""
    received = []
    with connect(server) as sock:
        for _ in range(2 if mode == "keep-alive" else 1):
            client = h11_client(method, mode)
            sock.sendall(request_bytes(method, mode))
            received.append(read_response(sock, client))
            assert client.their_state in (h11.DONE, h11.MUST_CLOSE)
        if mode != "keep-alive":
            rest, closed = read_until_closed(sock)
            assert (rest, closed) == (b"", True)
    return received


SERVER_OWNED = frozenset({"transfer-encoding", "connection"})
SERVER_ADDS = frozenset({"date", "server", "content-length"})


def apps_fields(wire: list[tuple[str, str]], app: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The wire's fields without those the server adds: framing, and Date, Server and
    Content-Length where the app gave none."""
    given = {name.lower() for name, _ in app}
    owned = SERVER_OWNED | (SERVER_ADDS - given)
    return [(name, value) for name, value in wire if name.lower() not in owned]


def expected_fields(plan: Plan) -> list[tuple[str, str]]:
    """The app's fields as a recipient reads them: OWS trimmed; no Content-Length in a 204
    (RFC 9110 §8.6: the core drops it)."""
    no_length = plan.status.startswith("204")
    return [
        (name, value.strip(" \t"))
        for name, value in plan.headers
        if not (no_length and name.lower() == "content-length")
    ]


def expected_body(plan: Plan, method: str) -> bytes:
    if method == "HEAD" or plan.status[:3] in ("204", "304"):
        return b""
    return b"".join(plan.blocks)


def check_delivery(server: Server, recorder: Recorder, app: PlannedApp, method: str) -> None:
    """Every mode delivers the plan: h11 and http.client parse it, fields and body equal."""
    plan = app.plan
    for mode in MODES:
        before = len(recorder.records)
        received = fetch(server, method, mode)
        assert recorder.wait(records=before + len(received))
        records = recorder.records[before:]
        for got, record in zip(received, records, strict=True):
            assert (got.status, got.reason) == (int(plan.status[:3]), plan.status[4:])
            assert apps_fields(got.fields, plan.headers) == expected_fields(plan), mode
            assert got.body == expected_body(plan, method), mode
            (parsed,) = parse_responses(got.raw, [method])
            # http.client strips the reason as str: obs-text U+0085 and U+00A0 go too.
            assert (parsed.status, parsed.reason) == (got.status, got.reason.strip())
            assert parsed.headers == got.fields
            assert parsed.body == got.body
            # The record is the head as it went on the wire.
            assert record.headers == got.fields
            assert record.complete
            assert record.trace.of(ClientGone) == []


@pytest.fixture(scope="module")
def planned() -> Iterator[tuple[Server, Recorder, PlannedApp]]:
    app = PlannedApp()
    recorder = Recorder()
    with live_server(app, threads=2, on_error=pytest.fail, **recorder.options) as server:
        yield server, recorder, app


# -- the property ---------------------------------------------------------------------------------

_names = st.from_regex(grammar.TOKEN, fullmatch=True).filter(
    lambda name: (
        len(name) <= 40
        and name.lower() not in grammar.HOP_BY_HOP_HEADERS
        and name.lower() != "content-length"
    )
)
_ows = st.text(alphabet=" \t", max_size=3)
#: RFC 9110 §5.5 field values, with OWS around them as an app may leave it.
_values = st.tuples(
    _ows, st.from_regex(grammar.FIELD_VALUE, fullmatch=True).filter(lambda v: len(v) <= 200), _ows
).map("".join)
_reasons = st.from_regex(grammar.REASON_PHRASE, fullmatch=True).filter(
    lambda reason: len(reason) <= 60 and reason == reason.strip(" \t")
)


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    code = draw(st.sampled_from([200, 201, 204, 301, 304, 404, 500, 999]) | st.integers(200, 999))
    # The grammar's reason phrase allows HTAB; PEP 3333 (APP-STATUS-NO-CONTROL) does not.
    status = draw(_reasons.map(f"{code} {{}}".format).filter(lambda s: not status_problems(s)))
    headers = draw(st.lists(st.tuples(_names, _values), max_size=8))
    blocks = draw(st.lists(st.binary(max_size=64), max_size=4))
    if draw(st.booleans()):
        length = str(sum(map(len, blocks)))
        zeros = "0" * draw(st.integers(0, 3))
        value = draw(_ows) + zeros + length + draw(_ows)
        headers.insert(draw(st.integers(0, len(headers))), ("Content-Length", value))
    return Plan(status, headers, blocks, draw(st.booleans()))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), method=st.sampled_from(["GET", "HEAD"]))
def test_every_legal_head_is_delivered_unchanged(
    planned: tuple[Server, Recorder, PlannedApp], plan: Plan, method: str
) -> None:
    assert headers_problems(plan.headers) == []
    server, recorder, app = planned
    app.plan = plan
    check_delivery(server, recorder, app, method)


COOKIE = ("Set-Cookie", " name=value; Path=/")


@pytest.mark.parametrize("generator", [False, True], ids=["list", "generator"])
@pytest.mark.parametrize(
    "headers",
    [
        [("Content-Type", "text/plain"), COOKIE],
        [("Content-Type", "text/plain"), COOKIE, ("Content-Length", " 5 ")],
        [("X-Trailing", "value \t"), ("X-Blank", "  "), ("X-Inner", "a \t b")],
    ],
    ids=["cookie", "cookie-with-length", "ows"],
)
def test_values_with_ows_are_delivered(
    planned: tuple[Server, Recorder, PlannedApp],
    headers: list[tuple[str, str]],
    generator: bool,
) -> None:
    """The issue's case, each way a response gets framing fields rewritten."""
    server, recorder, app = planned
    app.plan = Plan("200 OK", headers, [b"hel", b"lo"], generator)
    check_delivery(server, recorder, app, "GET")


def test_the_cookie_goes_out_trimmed_on_a_raw_socket(
    planned: tuple[Server, Recorder, PlannedApp],
) -> None:
    server, _, app = planned
    app.plan = Plan("200 OK", [("Content-Type", "text/plain"), COOKIE], [b"hello"], True)
    with connect(server) as sock:
        sock.sendall(request_bytes("GET", "http/1.0"))
        data, closed = read_until_closed(sock)
    assert closed
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[2:3] == [b"Set-Cookie: name=value; Path=/"]
    assert body == b"hello"


def test_curl_gets_the_cookie_from_wsgicheck_serve(tmp_path: Path) -> None:
    """``wsgicheck serve`` on an app whose Set-Cookie starts with a space: curl gets it,
    over HTTP/1.0 and with Connection: close, and the trace shows the framing fields."""
    module = tmp_path / "cookieapp.py"
    module.write_text(
        textwrap.dedent(
            """
            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain"),
                                          ("Set-Cookie", " name=value; Path=/")])
                yield b"hello"
            """
        )
    )
    with Serve(tmp_path, "cookieapp:app") as serve:
        replies = [
            _curl(serve.url, *options) for options in (["-0"], ["-H", "Connection: close"], [])
        ]
        out, err = serve.stop()
    for done in replies:
        assert done.returncode == 0, done.stderr
        assert _fields(done.stdout, "set-cookie") == ["name=value; Path=/"]
        assert done.stdout.endswith("\r\n\r\nhello")
    heads = [_head(block) for block in out.split("\n\n") if block.startswith("> GET /")]
    assert heads == [
        ["Content-Type: text/plain", "Set-Cookie: name=value; Path=/", "Connection: close"],
        [
            "Content-Type: text/plain",
            "Set-Cookie: name=value; Path=/",
            "Transfer-Encoding: chunked",
            "Connection: close",
        ],
        [
            "Content-Type: text/plain",
            "Set-Cookie: name=value; Path=/",
            "Transfer-Encoding: chunked",
        ],
    ]
    assert "client went away" not in out
    assert err == ""


# -- real frameworks ------------------------------------------------------------------------------

DJANGO_APP = '''
"""A Django login-like page: session, CSRF and an explicit cookie, nothing on disk."""

import django
from django.conf import settings

settings.configure(
    SECRET_KEY="wsgicheck-test-not-secret",
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
    ],
    SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
    DATABASES={},
    USE_TZ=True,
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, StreamingHttpResponse  # noqa: E402
from django.middleware.csrf import get_token  # noqa: E402
from django.urls import path  # noqa: E402


def login(request):
    request.session["visits"] = request.session.get("visits", 0) + 1
    token = get_token(request)
    response = HttpResponse(f'<form method="post"><input name="csrf" value="{token}"></form>')
    response.set_cookie("theme", "dark", samesite="Lax")
    return response


def stream(request):
    response = StreamingHttpResponse(iter([b"one ", b"two"]), content_type="text/plain")
    response.set_cookie("theme", "light")
    return response


urlpatterns = [path("login", login), path("stream", stream)]
app = get_wsgi_application()
'''


@pytest.fixture(scope="module")
def django_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("django")
    directory = tmp_path_factory.mktemp("djangologin")
    (directory / "djangologin.py").write_text(DJANGO_APP)
    return directory


@pytest.mark.parametrize("mode", ["-0", "Connection: close", "keep-alive"])
def test_django_login_page_cookies_reach_curl(django_dir: Path, mode: str) -> None:
    options = {"-0": ["-0"], "Connection: close": ["-H", "Connection: close"]}.get(mode, [])
    with Serve(django_dir, "djangologin:app") as serve:
        login = _curl(serve.url + "login", *options)
        stream = _curl(serve.url + "stream", *options)
        out, err = serve.stop()
    assert login.returncode == 0, login.stderr
    cookies = sorted(line.split("=", 1)[0] for line in _fields(login.stdout, "set-cookie"))
    assert cookies == ["csrftoken", "sessionid", "theme"]
    assert login.stdout.endswith("></form>")
    assert stream.returncode == 0, stream.stderr
    assert [value.split(";")[0] for value in _fields(stream.stdout, "set-cookie")] == [
        "theme=light"
    ]
    assert stream.stdout.endswith("\r\n\r\none two")
    assert "client went away" not in out
    assert err == ""


def test_django_login_page_transports_agree(django_dir: Path) -> None:
    """``wsgicheck check`` runs the page through both transports: they agree."""
    done = subprocess.run(
        [
            *_command(),
            "check",
            "djangologin:app",
            *("--path", "/login", "--path", "/stream"),
            *("--profile", "quick", "--seed", "1", "--no-database", "--format", "json"),
        ],
        cwd=django_dir,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=_env(django_dir),
    )
    report = json.loads(done.stdout)
    assert (done.returncode, report["errors"]) == (0, []), done.stderr
    failed = [each["rule"] for each in report["results"] if each["findings"]]
    assert failed == []
    (agree,) = [each for each in report["results"] if each["rule"] == "HARNESS-TRANSPORTS-AGREE"]
    assert (agree["verdict"], agree["exchanges"]) == ("pass", report["examples"])


def _beaker_app() -> Any:
    beaker = pytest.importorskip("beaker.middleware")

    def inner(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        session = environ["beaker.session"]
        session["visits"] = session.get("visits", 0) + 1
        session.save()
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"visit %d" % session["visits"]

    options = {
        "session.type": "cookie",
        "session.key": "beaker.id",
        "session.validate_key": "wsgicheck-test-not-secret",
    }
    return beaker.SessionMiddleware(inner, options)


def test_beaker_session_cookie_is_delivered_in_every_mode() -> None:
    app = _beaker_app()
    recorder = Recorder()
    with live_server(app, threads=2, on_error=pytest.fail, **recorder.options) as server:
        for mode in MODES:
            for got in fetch(server, "GET", mode):
                cookies = [value for name, value in got.fields if name.lower() == "set-cookie"]
                assert len(cookies) == 1, mode
                assert cookies[0].startswith("beaker.id="), mode
                assert got.body == b"visit 1"
    assert recorder.wait(records=4)
    for record in recorder.records:
        (call,) = [event for event in record.trace if type(event).__name__ == "StartResponseCalled"]
        (given,) = [value for name, value in call.headers if name.lower() == "set-cookie"]
        assert given.startswith(" beaker.id=")  # what Beaker passed, with its space
        assert record.header("set-cookie") == given.strip()


# -- the server's own failures ------------------------------------------------------------------

#: A Content-Length of 21 digits: legal (RFC 9110 §8.6: 1*DIGIT), more than h11 will send.
HUGE = str(10**20)


def huge_length_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Length", HUGE)])
    return [b"short"]


def test_a_send_failure_is_the_servers_own_error() -> None:
    errors: list[BaseException] = []
    recorder = Recorder()
    with live_server(huge_length_app, on_error=errors.append, **recorder.options) as server:
        with connect(server) as sock:
            sock.sendall(request_bytes("GET", "keep-alive"))
            data, closed = read_until_closed(sock)
        assert (data, closed) == (b"", True)
    assert [type(error) for error in errors] == [SendError]
    assert "refused to send Response" in str(errors[0])
    assert "Content-Length" in str(errors[0])
    assert server.errors == errors
    assert recorder.records == []  # no record that would blame the client or the app


class BrokenSink(MemorySink):
    """A sink with a bug of its own (not a client gone): it raises in ``fails_in``."""

    def __init__(self, fails_in: str) -> None:
        self.fails_in = fails_in

    def _maybe_fail(self, where: str) -> None:
        if where == self.fails_in:
            raise RuntimeError(f"bug in {where}")

    def send_head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> None:
        self._maybe_fail("send_head")
        super().send_head(status_code, reason, headers)

    def send_body(self, data: bytes) -> None:
        self._maybe_fail("send_body")
        super().send_body(data)

    def finish(self) -> None:
        self._maybe_fail("finish")
        super().finish()


class Closing:
    """An iterable that counts its close() calls; through write() when ``writes``."""

    def __init__(self, start_response: Any, writes: bool) -> None:
        self.closed = 0
        write = start_response("200 OK", [("Set-Cookie", " a=b")])
        if writes:
            for _ in range(3):  # an app that swallows every error and writes on
                with contextlib.suppress(Exception):
                    write(b"w")

    def __iter__(self) -> Iterator[bytes]:
        yield b"one"
        yield b"two"

    def close(self) -> None:
        self.closed += 1


@pytest.mark.parametrize("writes", [False, True], ids=["iterable", "write"])
@pytest.mark.parametrize("fails_in", ["send_head", "send_body", "finish"])
def test_a_sink_failure_is_reraised_never_blamed_on_the_app_or_client(
    fails_in: str, writes: bool
) -> None:
    made: list[Closing] = []

    def app(environ: dict[str, Any], start_response: Any) -> Closing:
        made.append(Closing(start_response, writes))
        return made[0]

    log: list[RawEvent] = []
    config = ServerConfig()
    request = Request(headers=(("Host", "localhost"),))
    environ = build_environ(request, config, body=b"", log=log)
    sink = BrokenSink(fails_in)
    with pytest.raises(RuntimeError, match=f"^bug in {fails_in}$"):
        run_app(app, environ, sink, log, config)
    assert made[0].closed == 1
    kinds = {type(event) for event in Trace(log)}
    assert kinds.isdisjoint({ClientGone, AppRaised, Refused})
    assert (sink.aborted, sink.finished) == (True, False)


def test_leading_zeros_past_h11s_limit_are_sent_as_the_same_number(
    planned: tuple[Server, Recorder, PlannedApp],
) -> None:
    server, recorder, app = planned
    fields = [("Content-Length", "0" * 30 + "5"), ("Content-Type", "text/plain")]
    app.plan = Plan("200 OK", fields, [b"hello"], True)
    before = len(recorder.records)
    (got,) = fetch(server, "GET", "close")
    assert got.fields[0] == ("Content-Length", "5")
    assert got.body == b"hello"
    # The same number: no rule says the server changed the app's Content-Length.
    assert recorder.wait(records=before + 1)
    exchange = RuleExchange(recorder.records[before], source="socket")
    assert {finding.rule for finding in check_exchange(exchange)} == set()


def test_the_runner_reports_a_send_failure_as_its_own_error() -> None:
    wire = SocketTransport(huge_length_app, timeout=5.0, body_limit=1024)
    try:
        with pytest.raises(
            TransportError, match=r"wsgicheck's server failed: SendError: refused to send Response"
        ):
            wire.exchange(Request(method="GET", target="/", headers=(("Host", "x"),)), wire.config)
    finally:
        wire.close()


class _WritesInClose:
    def __init__(self, write: Any) -> None:
        self.write = write

    def __iter__(self) -> Iterator[bytes]:
        yield b"body"

    def close(self) -> None:
        self.write(b"late")


def _writes_in_close(environ: dict[str, Any], start_response: Any) -> _WritesInClose:
    return _WritesInClose(start_response("200 OK", [("Content-Type", "text/plain")]))


@pytest.mark.parametrize("transport", ["memory", "socket"])
def test_a_write_from_close_is_refused_not_a_server_failure(transport: str) -> None:
    """An adversarial trial of 2026-12-06: write() from the iterable's close(), after the
    response ended, went on to h11, which refused it, and each such request was told as
    "wsgicheck's server failed: SendError". It is refused to the app (APP-NO-WRITE-FROM-ITER
    names the write), and the answer stands as sent."""
    request = Request(method="GET", target="/", headers=(("Host", "x"),))
    if transport == "memory":
        memory = MemoryTransport(_writes_in_close, timeout=5.0)
        response = memory.exchange(request, ServerConfig())
    else:
        wire = SocketTransport(_writes_in_close, timeout=5.0, body_limit=1024)
        try:
            response = wire.exchange(request, wire.config)
        finally:
            wire.close()
    assert (response.status_code, response.body, response.complete) == (200, b"body", True)
    refused = [event for event in RuleExchange(response).refused if event.callable == "write"]
    assert [event.rule for event in refused] == ["APP-NO-WRITE-FROM-ITER"]
    found = {finding.rule for finding in check_exchange(RuleExchange(response, source=transport))}
    assert found == {"APP-NO-WRITE-FROM-ITER", "APP-AVOID-WRITE"}


def _unread(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def _raises_after_a_whole_body(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    yield b"ok"
    if environ["REQUEST_METHOD"] == "PUT":
        raise RuntimeError("after the whole body")


@pytest.mark.parametrize("app", [_unread, _raises_after_a_whole_body])
def test_the_runner_never_sends_into_a_connection_the_server_closes_unannounced(
    app: Any,
) -> None:
    """The 200 is whole and lets the client reuse the connection, but the server closes it:
    it would not drain an unread chunked body over its limit, or the app raised after its
    body. Its record is held back here, as a busy machine holds the server's thread, and the
    next request must still not go into that connection (it would get no answer and no
    record: the run's 'no record of the exchange')."""
    wire = SocketTransport(app, timeout=1.0, body_limit=1024)
    reported = wire.server.on_exchange
    assert reported is not None

    def slowly(record: Any) -> None:
        reported(record)
        time.sleep(0.3)  # the server's thread, descheduled after its report

    wire.server.on_exchange = slowly
    body = b"x" * (wire.server.limits.drain_limit + 1 if app is _unread else 1)
    put = Request(
        method="PUT",
        target="/",
        headers=(("Host", "x"),),
        body=body,
        framing=Framing.CHUNKED,
        chunk_sizes=(len(body),),
    )
    get = Request(method="GET", target="/", headers=(("Host", "x"),))
    try:
        for request in (put, get, put, get):
            assert wire.exchange(request, wire.config).body == b"ok"
    finally:
        wire.close()


def _breaks_off(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    yield b"ok"
    if environ["PATH_INFO"] == "/raise":
        raise RuntimeError("mid-body")


@pytest.mark.parametrize("path", ["/short", "/raise"])
def test_a_response_cut_short_is_reported_before_its_connection_closes(path: str) -> None:
    """The client knows it cannot reuse the connection, so nothing needs the close first:
    a client that reads until the close (curl) finds the trace of its exchange printed."""
    events: list[str] = []
    reported = live_server(_breaks_off, on_exchange=lambda record: events.append("report"))
    with reported as srv, connect(srv) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data, closed = read_until_closed(sock)
        events.append("closed")
    assert closed
    assert data.endswith(b"\r\n\r\nok")
    assert events == ["report", "closed"]


def test_serve_names_its_own_error(tmp_path: Path) -> None:
    (tmp_path / "hugeapp.py").write_text(
        textwrap.dedent(
            f"""
            def app(environ, start_response):
                start_response("200 OK", [("Content-Length", "{HUGE}")])
                return [b"short"]
            """
        )
    )
    with Serve(tmp_path, "hugeapp:app") as serve:
        done = _curl(serve.url)
        out, err = serve.stop()
    assert done.returncode == 52, done.stderr  # curl: empty reply
    assert "! wsgicheck's own error (a bug in wsgicheck, not in the app): SendError: " in err
    assert "client went away" not in out


# -- the transports agree on a streamed cookie ----------------------------------------------------


def test_memory_and_socket_agree_on_a_streamed_cookie() -> None:
    app = PlannedApp()
    app.plan = Plan("200 OK", [("Content-Type", "text/plain"), COOKIE], [b"a", b"b"], True)
    memory = MemoryTransport(app, timeout=5.0)
    wire = SocketTransport(app, timeout=5.0, body_limit=1024)
    try:
        for version, connection in MODES.values():
            headers: tuple[tuple[str, str], ...] = (("Host", "x"),)
            if connection is not None:
                headers += (("Connection", connection),)
            request = Request(method="GET", target="/", headers=headers, http_version=version)
            on_wire = wire.exchange(request, wire.config)
            assert differences(memory.exchange(request, wire.config), on_wire) == []
            framing = {name.lower(): value for name, value in on_wire.headers}
            assert framing.get("transfer-encoding") == (None if version == "1.0" else "chunked")
            assert on_wire.header("set-cookie") == "name=value; Path=/"
    finally:
        memory.close()
        wire.close()


def test_the_trace_shows_the_head_on_the_wire(
    planned: tuple[Server, Recorder, PlannedApp],
) -> None:
    server, recorder, app = planned
    app.plan = Plan("200 OK", [COOKIE], [b"x"], True)
    before = len(recorder.records)
    fetch(server, "GET", "close")
    assert recorder.wait(records=before + 1)
    lines = format_exchange(recorder.records[before], trace=False)
    head = lines[lines.index("< HTTP/1.1 200 OK") : lines.index("<")]
    assert [re.sub(r"^< Date: .*", "< Date: *", line) for line in head] == [
        "< HTTP/1.1 200 OK",
        "< Set-Cookie: name=value; Path=/",
        "< Date: *",
        "< Server: wsgicheck/0.1.0",
        "< Transfer-Encoding: chunked",
        "< Connection: close",
    ]


# -- helpers for the subprocess tests -------------------------------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wsgicheck"]


def _env(directory: Path) -> dict[str, str]:
    path = os.pathsep.join([str(directory), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


class Serve:
    """``wsgicheck serve TARGET`` on a free port, as a context manager; :meth:`stop` ends it
    and returns everything it printed (stdout, stderr)."""

    def __init__(self, directory: Path, target: str) -> None:
        self.process = subprocess.Popen(
            [*_command(), "serve", target, "--port", "0"],
            cwd=directory,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(directory),
        )
        self.url = ""

    def __enter__(self) -> Serve:
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()
        match = re.match(r"wsgicheck: serving .* on (http://127\.0\.0\.1:\d+) ", banner)
        if match is None:
            self.stop()
            pytest.fail(f"wsgicheck serve did not start: {banner!r}")
        self.url = match.group(1) + "/"
        return self

    def stop(self) -> tuple[str, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.communicate(timeout=TIMEOUT)

    def __exit__(self, *exc_info: object) -> None:
        if self.process.returncode is None:
            self.stop()


def _curl(url: str, *options: str) -> subprocess.CompletedProcess[str]:
    """curl's reply with its head (CRLFs kept: no newline translation)."""
    done = subprocess.run(
        [CURL, "-s", "-S", "-i", "--max-time", "10", *options, url],
        capture_output=True,
        timeout=15,
        check=False,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode("latin-1"), done.stderr.decode()
    )


def _fields(response: str, name: str) -> list[str]:
    head = response.split("\r\n\r\n", 1)[0]
    return [
        line.split(":", 1)[1].strip()
        for line in head.split("\r\n")[1:]
        if line.split(":", 1)[0].lower() == name
    ]


def _head(block: str) -> list[str]:
    """The response fields of one exchange in ``serve``'s trace, Date and Server left out."""
    return [
        line[2:]
        for line in block.splitlines()
        if line.startswith("< ")
        and ":" in line
        and not line.startswith(("< Date:", "< Server:", "< HTTP/"))
    ]


# -- bounded memory: the trace keeps sizes, not bodies (issue 11 §7) ------------------------------

BLOCK = 64 * 1024


def streaming_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    """``/N``: N blocks of 64 KiB, a new object each; ``?cl=M`` declares Content-Length M;
    ``?write`` sends the first block through write()."""
    count = int(environ["PATH_INFO"].strip("/") or 1)
    query = environ.get("QUERY_STRING", "")
    headers = [("Content-Type", "application/octet-stream")]
    if query.startswith("cl="):
        headers.append(("Content-Length", query[3:]))
    write = start_response("200 OK", headers)
    if query == "write":
        write(b"w" * BLOCK)
        count -= 1
    for index in range(count):
        yield bytes([index % 251]) * BLOCK


def _records(target: str, capture: int) -> list[Any]:
    recorder = Recorder()
    limits = Limits(capture_limit=capture)
    with live_server(streaming_app, limits=limits, on_error=pytest.fail, **recorder.options) as srv:
        with connect(srv) as sock:
            sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            read_until_closed(sock)
        assert recorder.wait(records=1)
    return recorder.records


def _digest(blocks: Iterable[bytes]) -> str:
    hasher = hashlib.sha256()
    for block in blocks:
        hasher.update(block)
    return hasher.hexdigest()


def test_a_64_mib_download_keeps_a_prefix_a_block_in_the_trace() -> None:
    (record,) = _records("/1024", capture=0)
    blocks = record.trace.of(Yielded)
    assert len(blocks) == 1024
    assert sum(block_size(event) for event in blocks) == 64 * MIB
    assert [event.value for event in blocks] == [
        bytes([index % 251]) * BLOCK_PREFIX for index in range(1024)
    ]
    assert record.body_size == 64 * MIB
    assert record.body == b""
    whole = (bytes([index % 251]) * BLOCK for index in range(1024))
    assert record.body_digest == _digest(whole)
    yields = [line for line in format_exchange(record) if line.startswith("* iterable yielded")]
    assert [line.split(" at ")[0] for line in yields] == ["* iterable yielded 65536 bytes"] * 1024


def test_blocks_are_kept_whole_up_to_the_capture_limit() -> None:
    (record,) = _records("/1024", capture=MIB)
    sizes = [len(event.value) for event in record.trace.of(Yielded)]  # type: ignore[arg-type]
    assert sizes == [BLOCK] * 16 + [BLOCK_PREFIX] * 1008
    assert record.body == b"".join(bytes([index]) * BLOCK for index in range(16))
    assert record.body_digest == _digest(bytes([index % 251]) * BLOCK for index in range(1024))


def test_a_body_digest_compares_two_transports_without_their_bodies() -> None:
    """The socket record keeps no body, the in-process one all of it: the digests agree."""
    (record,) = _records("/64", capture=0)
    memory = Client(streaming_app).get("/64")
    assert memory.body_size == record.body_size == 64 * BLOCK
    assert record.body == b""
    assert memory.body_digest == record.body_digest
    (other,) = _records("/63", capture=0)
    assert other.body_digest != record.body_digest


@pytest.mark.parametrize(
    ("target", "rules"),
    [
        ("/64", set()),
        (f"/64?cl={64 * BLOCK - 1}", {"APP-CL-ACCURATE"}),
        (f"/64?cl={64 * BLOCK + 5}", {"APP-CL-ACCURATE"}),
        ("/64?write", {"APP-AVOID-WRITE", "APP-NO-WRITE-FROM-ITER"}),
        ("/1?cl=10", {"APP-CL-ACCURATE"}),
    ],
    ids=["chunked", "overrun", "short", "write", "one-block-overrun"],
)
def test_the_verdicts_are_those_of_a_whole_trace(target: str, rules: set[str]) -> None:
    """The rules judge a trace of sizes as they judge one of whole blocks."""
    (summarised,) = _records(target, capture=0)
    (whole,) = _records(target, capture=8 * MIB)
    assert {len(event.value) for event in whole.trace.of(Yielded)} <= {0, BLOCK}  # type: ignore[arg-type]

    def verdicts(record: Any) -> list[tuple[str, str]]:
        return sorted(
            (f.rule, f.message) for f in check_exchange(RuleExchange(record, source="socket"))
        )

    assert verdicts(summarised) == verdicts(whole)
    assert {rule for rule, _ in verdicts(summarised)} == rules
    assert {len(event.value) for event in summarised.trace.of(Yielded)} <= {0, BLOCK_PREFIX}  # type: ignore[arg-type]
    assert summarised.body_digest == whole.body_digest
    assert whole.body_size == len(whole.body)  # kept whole: its digest is the body's own
    assert whole.body_digest == _digest([whole.body])


def _streams_24_mib(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    block = b"x" * (1 << 20)
    return (block for _ in range(24))


def test_a_body_ended_by_the_close_is_read_up_to_the_runs_body_limit() -> None:
    """A review of 2026-12-06: the socket transport's client read a body that ends at the
    close up to 8 MiB whatever the run's --body-limit, and left; a correct app streaming more
    then failed HARNESS-TRANSPORTS-AGREE ('a wsgicheck bug') once the limit was raised."""
    request = Request(target="/", http_version="1.0", headers=(("Host", "x"),))
    wire = SocketTransport(_streams_24_mib, timeout=5.0, body_limit=32 << 20)
    try:
        response = wire.exchange(request, wire.config)
    finally:
        wire.close()
    # (More than the kernel's buffers hold: a client that left is seen by the server.)
    assert (response.status_code, len(response.body), response.complete) == (200, 24 << 20, True)
    assert not RuleExchange(response).client_gone
