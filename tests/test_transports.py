"""The same request through both transports gives the same environ and the same response.

Each request is built once by :meth:`wsgicheck.Client.build_request`; the memory transport
runs it with :meth:`Client.send`, and its exact bytes (:meth:`Request.to_bytes`) go to the
live server over a socket, recorded with ``on_exchange``. The two must agree on everything
but what the one list of what may differ allows between them
(``wsgicheck.explore.agreement.MAY_DIFFER``; DESIGN.md, "One core"); this app is deterministic, so
its header values and body must agree too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from serverutil import Reader, Recorder, connect
from wsgicheck import Client, Request, ServerConfig
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import Server, live_server
from wsgicheck.explore import agreement
from wsgicheck.explore.agreement import Between
from wsgicheck.model.response import Response

TRANSPORTS = Between.TRANSPORTS


def report_app(environ: dict[str, Any], start_response: Any) -> Any:
    """Reports its environ (as the transports compare it) and its body; a few paths answer
    differently."""
    path = environ["PATH_INFO"]
    body = environ["wsgi.input"].read()
    if path == "/fail":
        raise RuntimeError("the app failed")
    if path == "/stream":
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("X-Multi", "1"), ("X-Multi", "2")]
        )
        return _stream(body)
    cgi = agreement.normalised_environ(environ, Between.TRANSPORTS)
    payload = json.dumps({"environ": cgi, "body": body.decode("latin-1")}, sort_keys=True)
    start_response(
        "201 Created Here",
        [("Content-Type", "application/json"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
    )
    return [payload.encode()]


def _stream(body: bytes) -> Iterator[bytes]:
    yield b"first;"
    yield b""
    yield b"echo:" + body
    yield b";last"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder) -> Iterator[Server]:
    # Raw latin-1 targets reach the app in memory; this server is told to take them too.
    limits = Limits(capture_limit=1 << 20, header_timeout=2.0, raw_latin1_targets=True)
    with live_server(report_app, threads=4, limits=limits, on_exchange=recorder.on_exchange) as srv:
        yield srv


@pytest.fixture
def mounted(recorder: Recorder) -> Iterator[Server]:
    limits = Limits(capture_limit=1 << 20, header_timeout=2.0)
    config = ServerConfig(script_name="/mount")
    with live_server(
        report_app, config=config, limits=limits, on_exchange=recorder.on_exchange
    ) as srv:
        yield srv


def over_the_wire(server: Server, recorder: Recorder, request: Request) -> tuple[Any, Response]:
    """Send ``request`` to the server; what the client parsed, and the server's record."""
    before = len(recorder.records)
    with connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(request.to_bytes())
        parsed = reader.response(request.method)
        reader.close()
    assert recorder.wait(records=before + 1)
    return parsed, recorder.records[before]


def assert_same(server: Server, recorder: Recorder, request: Request) -> Response:
    """Run ``request`` through both transports and compare everything comparable."""
    memory = Client(report_app, config=server.config).send(request)
    wire, record = over_the_wire(server, recorder, request)
    # The request the server parsed is the request the client built (chunk boundaries and
    # the optional whitespace around field values do not survive parsing: RFC 9110 §5.5).
    assert record.request.replace(chunk_sizes=()) == request.replace(
        chunk_sizes=(), headers=tuple((name, value.strip(" \t")) for name, value in request.headers)
    )
    # The comparison a run makes (HARNESS-TRANSPORTS-AGREE): status, environ, header names,
    # the trace's shape.
    assert agreement.differences(memory, record, ("in memory", "on a socket")) == {}
    # The environ the app saw.
    if record.environ is not None:
        assert memory.environ is not None
        assert agreement.environ_differences(record.environ, memory.environ, TRANSPORTS) == {}
        assert record.environ.keys() - memory.environ.keys() == {"REMOTE_PORT"}
        assert type(record.environ["wsgi.input"]) is type(memory.environ["wsgi.input"])
    # What the app did, event by event (locations and read sizes aside).
    assert [type(e).__name__ for e in record.trace] == [type(e).__name__ for e in memory.trace]
    # What the client received.
    assert (wire.status, wire.reason) == (memory.status_code, memory.reason)
    assert wire.body == memory.body
    assert agreement.own_fields(wire.headers) == agreement.own_fields(memory.headers)
    # What the server recorded it sent.
    assert (record.status_code, record.reason, record.body) == (
        memory.status_code,
        memory.reason,
        memory.body,
    )
    assert agreement.own_fields(record.headers) == agreement.own_fields(memory.headers)
    assert record.complete == memory.complete
    return memory


def build(server: Server, method: str, target: str | bytes, **options: Any) -> Request:
    return Client(report_app, config=server.config).build_request(method, target, **options)


CASES = [
    pytest.param("GET", "/echo?a=1&b=%20&c&d=%C3%A9", {}, id="get-with-query"),
    pytest.param("GET", "/café/ü?q=ß", {}, id="non-ascii-path"),
    pytest.param("GET", "/a%2Fb/%25/%7e", {}, id="escaped-path"),
    pytest.param("GET", b"/caf\xe9?x=\xff", {}, id="raw-latin1-target"),
    pytest.param(
        "POST",
        "/form",
        {"body": b"name=value&x=%C3%A9", "headers": [("Content-Type", "text/plain")]},
        id="post-with-body",
    ),
    pytest.param("POST", "/empty", {}, id="post-empty-body"),
    pytest.param(
        "PUT",
        "/chunked",
        {"body": b"0123456789", "chunked": True, "chunk_sizes": (3, 5, 2)},
        id="chunked-post",
    ),
    pytest.param("HEAD", "/echo", {}, id="head"),
    pytest.param("GET", "/old", {"http_version": "1.0"}, id="http-1.0"),
    pytest.param(
        "POST", "/old-post", {"http_version": "1.0", "body": b"abc"}, id="http-1.0-with-body"
    ),
    pytest.param(
        "GET",
        "/repeat",
        {
            "headers": [
                ("X-Multi", "a"),
                ("Accept", "text/plain"),
                ("x-multi", "b"),
                ("Cookie", "a=1"),
                ("Cookie", "b=2"),
                ("X-Spaced", "  padded value\t"),
                ("X_Underscore", "dropped"),
            ]
        },
        id="repeated-headers",
    ),
    pytest.param(
        "POST",
        "/expect",
        {"body": b"hello", "headers": [("Expect", "100-continue")]},
        id="expect-100-continue",
    ),
    pytest.param("OPTIONS", "*", {}, id="asterisk-form"),
    pytest.param("GET", "/stream", {}, id="streamed-response"),
    pytest.param("POST", "/stream", {"body": b"data"}, id="streamed-echo"),
    pytest.param("HEAD", "/stream", {}, id="head-of-stream"),
    pytest.param("GET", "/stream", {"http_version": "1.0"}, id="streamed-http-1.0"),
    pytest.param("GET", "/fail", {}, id="app-fails"),
    pytest.param("DELETE", "/thing", {"headers": [("Host", "example.org")]}, id="other-host"),
]


@pytest.mark.parametrize(("method", "target", "options"), CASES)
def test_same_environ_and_response(
    server: Server, recorder: Recorder, method: str, target: str | bytes, options: dict[str, Any]
) -> None:
    assert_same(server, recorder, build(server, method, target, **options))


def test_absolute_form_target(server: Server, recorder: Recorder) -> None:
    target = f"http://127.0.0.1:{server.port}/abs?x=1"
    memory = assert_same(server, recorder, build(server, "GET", target))
    assert memory.environ is not None
    assert (memory.environ["PATH_INFO"], memory.environ["QUERY_STRING"]) == ("/abs", "x=1")


def test_the_environ_really_is_the_same(server: Server, recorder: Recorder) -> None:
    # A sanity check on the comparison itself: the values behind it are the expected ones.
    memory = assert_same(server, recorder, build(server, "GET", "/café?q=1"))
    environ = memory.environ
    assert environ is not None
    assert environ["PATH_INFO"] == "/caf\xc3\xa9"
    assert environ["SERVER_NAME"] == "127.0.0.1"
    assert environ["SERVER_PORT"] == str(server.port)
    assert environ["HTTP_HOST"] == f"127.0.0.1:{server.port}"
    assert environ["wsgi.multithread"] is True
    assert memory.status_code == 201


@pytest.mark.parametrize(
    ("target", "status"),
    [
        pytest.param("/mount", 201, id="prefix-itself"),
        pytest.param("/mount/inner?q", 201, id="inside"),
        pytest.param("/mountain", 404, id="lookalike"),
        pytest.param("/other", 404, id="outside"),
    ],
)
def test_same_under_a_mount_prefix(
    mounted: Server, recorder: Recorder, target: str, status: int
) -> None:
    memory = assert_same(mounted, recorder, build(mounted, "GET", target))
    assert memory.status_code == status
    if memory.environ is not None:
        assert memory.environ["SCRIPT_NAME"] == "/mount"


def test_the_socket_transport_tells_a_refusal_of_its_own_request_and_skips_a_late_one() -> None:
    """A refusal is the request's own where it came on that request's connection; one of an
    earlier connection (bytes an app wrote into the client's socket after its request,
    refused once the server had answered that one) is late, and skipped: taken for the
    next request, it failed HARNESS-TRANSPORTS-AGREE (a review of 2026-12-07)."""
    from wsgicheck.explore.replay import SocketTransport, TransportError

    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    wire = SocketTransport(hello, timeout=10.0, body_limit=1 << 16)
    try:
        wire._records.put((("127.0.0.1", 1), 400, "a late refusal of another connection"))
        answered = wire.exchange(Request(headers=(("Host", "localhost"),)), ServerConfig())
        assert (answered.status_code, answered.body) == (200, b"hello")
        refused = Request(target="/caf\xe9", headers=(("Host", "localhost"),))
        with pytest.raises(TransportError, match="the server refused the request: 400 "):
            wire.exchange(refused, ServerConfig())
    finally:
        wire.close()
