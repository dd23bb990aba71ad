"""Every request the socket server must refuse, over raw sockets.

Each malformed or smuggling-shaped request gets the status RFC 9110/9112 name for it and a
closed connection (framing is in doubt), and whatever follows it on the connection (here, a
smuggled ``GET /smuggled``) never reaches the application.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from serverutil import (
    TIMEOUT,
    Recorder,
    connect,
    exchange,
    parse_responses,
    read_until_closed,
    wait_for,
)
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import Server, live_server

MAX_HEAD = 4096
MAX_TARGET = 1024
MAX_BODY = 1000
LIMITS = Limits(
    max_head=MAX_HEAD,
    max_target=MAX_TARGET,
    max_body=MAX_BODY,
    header_timeout=2.0,
    keepalive_timeout=5.0,
)

#: Appended to every refused request: the server must never serve it.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
HOST = b"Host: x\r\n"


class SeenApp:
    """Reads the whole body and records every path it was called for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            self.paths.append(environ["PATH_INFO"])
        if environ["PATH_INFO"] != "/noread":
            try:
                environ["wsgi.input"].read()
            except Exception as exc:
                with self.lock:
                    self.errors.append(type(exc).__name__)
                raise
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]


@pytest.fixture
def app() -> SeenApp:
    return SeenApp()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(app: SeenApp, recorder: Recorder) -> Iterator[Server]:
    with live_server(app, threads=4, limits=LIMITS, **recorder.options) as srv:
        yield srv


def refused(server: Server, data: bytes) -> tuple[int, dict[str, str]]:
    """Send ``data`` + a smuggled request; the one response's status and headers."""
    raw, closed = exchange(server, data + SMUGGLED)
    assert closed, "the server must close the connection after a refusal"
    responses = parse_responses(raw)
    assert len(responses) == 1, raw
    response = responses[0]
    headers = {name.lower(): value for name, value in response.headers}
    assert headers.get("connection") == "close"
    assert "date" in headers
    return response.status, headers


# -- refused as soon as the head is read: the app never runs -----------------------------------

#: (id, request bytes, status): each one answered by the server itself.
HEAD_REJECTIONS = [
    # RFC 9112 §6.3: Content-Length with Transfer-Encoding is the classic CL.TE / TE.CL smuggle.
    (
        "cl-and-te",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\n",
        400,
    ),
    (
        "te-and-cl",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
        b"0\r\n\r\n",
        400,
    ),
    # RFC 9112 §6.3 item 5: differing Content-Length values.
    (
        "cl-differing",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        400,
    ),
    ("cl-differing-list", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 4\r\n\r\nabcd", 400),
    # RFC 9110 §8.6: Content-Length = 1*DIGIT.
    ("cl-plus", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc", 400),
    ("cl-minus", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -3\r\n\r\nabc", 400),
    ("cl-hex", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc", 400),
    ("cl-empty", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\nabc", 400),
    ("cl-words", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: three\r\n\r\nabc", 400),
    ("cl-inner-space", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\nabc", 400),
    ("cl-huge", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 30 + b"\r\n\r\n", 400),
    # RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0; an unknown coding is 501.
    (
        "te-http10",
        b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        400,
    ),
    ("te-gzip", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc", 501),
    (
        "te-gzip-chunked",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    (
        "te-chunked-gzip",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        501,
    ),
    ("te-identity", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n", 501),
    (
        "te-twice",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        501,
    ),
    (
        "te-space-before-colon",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    # RFC 9112 §5.2: obs-fold.
    ("obs-fold-space", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n two\r\n\r\n", 400),
    ("obs-fold-tab", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: one\r\n\ttwo\r\n\r\n", 400),
    (
        "obs-fold-te",
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    ("space-before-first-field", b"GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400),
    # RFC 9112 §2.2: bare CR and bare LF.
    ("bare-lf-everywhere", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    ("bare-lf-in-field", b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n", 400),
    ("bare-cr-in-field", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400),
    ("bare-cr-line-end", b"GET / HTTP/1.1\rHost: x\r\n\r\n", 400),
    # RFC 9110 §5.5: NUL and other control characters.
    ("nul-in-field", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("nul-in-target", b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("nul-in-method", b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("ctl-in-field", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    ("del-in-field", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n", 400),
    ("escape-in-field", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \x1b[31m\r\n\r\n", 400),
    # RFC 9112 §3: the request line.
    ("http09", b"GET /\r\n\r\n", 400),
    ("two-spaces", b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("tab-separator", b"GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("space-in-target", b"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bad-method", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("lowercase-http", b"GET / http/1.1\r\nHost: x\r\n\r\n", 400),
    ("malformed-version", b"GET / HTTP/1.1x\r\nHost: x\r\n\r\n", 400),
    ("not-http", b"GET / HTTX/1.1\r\nHost: x\r\n\r\n", 400),
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    # RFC 9110 §2.5 / RFC 9112 §2.3: an unsupported major or minor version is 505.
    ("http2", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("http12", b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", 505),
    ("http3", b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505),
    # RFC 9110 §5.1, RFC 9112 §5.1: field names are tokens, no space before the colon.
    ("space-before-colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("field-without-colon", b"GET / HTTP/1.1\r\nHost: x\r\nBogus\r\n\r\n", 400),
    ("empty-field-name", b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400),
    ("bad-field-name", b"GET / HTTP/1.1\r\nHost: x\r\nX(A): v\r\n\r\n", 400),
    # Limits: 431 for the header section, 414 for the target.
    ("head-too-large", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * MAX_HEAD + b"\r\n\r\n", 431),
    (
        "many-fields",
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: aaaaaaaaaaaaaaaa\r\n" * 300 + b"\r\n",
        431,
    ),
    ("target-too-long", b"GET /" + b"a" * (MAX_TARGET + 1) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
]


@pytest.mark.parametrize(
    ("data", "status"),
    [pytest.param(data, status, id=name) for name, data, status in HEAD_REJECTIONS],
)
def test_head_rejection(
    server: Server, app: SeenApp, recorder: Recorder, data: bytes, status: int
) -> None:
    got, _ = refused(server, data)
    assert got == status
    assert app.paths == []
    assert recorder.wait(rejects=1)
    ((address, reported, message),) = recorder.rejects
    assert address[0] == "127.0.0.1"
    assert reported == status
    assert message


# -- refused after parsing, before the app: answered through the core, app never runs ----------

REQUEST_REJECTIONS = [
    # RFC 9112 §3.2: exactly one Host in HTTP/1.1, and a valid one.
    ("no-host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("two-hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("two-hosts-same", b"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
    ("host-with-path", b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    ("host-with-userinfo", b"GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
    ("relative-target", b"GET a HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("asterisk-not-options", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    # A declared body over the limit is refused before anyone reads it: 413.
    (
        "body-too-large",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1)
        + b"a" * (MAX_BODY + 1),
        413,
    ),
]


@pytest.mark.parametrize(
    ("data", "status"),
    [pytest.param(data, status, id=name) for name, data, status in REQUEST_REJECTIONS],
)
def test_request_rejection(
    server: Server, app: SeenApp, recorder: Recorder, data: bytes, status: int
) -> None:
    got, _ = refused(server, data)
    assert got == status
    assert app.paths == []
    # h11 itself refuses some of these (Host), the core the rest: either way it is reported.
    assert wait_for(lambda: len(recorder.records) + len(recorder.rejects) == 1)
    for record in recorder.records:
        assert record.status_code == status
        assert record.environ is None
    for _, reported, _ in recorder.rejects:
        assert reported == status


# -- refused while the app reads the body: the client gets the 4xx it is owed ------------------

BODY_REJECTIONS = [
    # RFC 9112 §7.1: chunk-size = 1*HEXDIG, then CRLF; chunk-data then CRLF.
    ("chunk-size-not-hex", b"zz\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-negative", b"-3\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-0x", b"0x3\r\nabc\r\n0\r\n\r\n", 400),
    # What int(size, 16) would take, and the one parser (grammar.chunk_size) refuses.
    ("chunk-size-0x10", b"0x10\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", 400),
    ("chunk-size-plus-sign", b"+a\r\n" + b"a" * 10 + b"\r\n0\r\n\r\n", 400),
    ("chunk-size-underscore", b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", 400),
    ("chunk-size-17-digits", b"0" * 16 + b"3\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-overflow", b"f" * 21 + b"\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-bare-lf", b"3\nabc\r\n0\r\n\r\n", 400),
    ("chunk-size-empty", b"\r\nabc\r\n0\r\n\r\n", 400),
    ("chunk-data-too-long", b"3\r\nabcX\r\n0\r\n\r\n", 400),
    ("chunk-data-no-crlf", b"3\r\nabc0\r\n\r\n", 400),
    # RFC 9112 §7.1.2: trailer fields follow field syntax.
    ("bad-trailer", b"3\r\nabc\r\n0\r\nBogus trailer\r\n\r\n", 400),
    # RFC 9112 §2.2 and §5.2: h11 takes a bare LF and unfolds an obs-fold there (an
    # adversarial trial of 2026-12-07).
    ("trailer-bare-lf", b"3\r\nabc\r\n0\r\nX: y\n\r\n", 400),
    ("trailer-ends-bare-lf", b"3\r\nabc\r\n0\r\nX: y\r\n\n", 400),
    ("trailer-obs-fold", b"3\r\nabc\r\n0\r\nX: y\r\n z\r\n\r\n", 400),
    ("trailer-bare-cr", b"3\r\nabc\r\n0\r\nX: y\rz\r\n\r\n", 400),
    # A chunked body that grows past the limit: 413.
    (
        "chunked-too-large",
        b"%x\r\n" % (MAX_BODY + 1) + b"a" * (MAX_BODY + 1) + b"\r\n0\r\n\r\n",
        413,
    ),
    (
        "chunked-too-large-in-pieces",
        b"".join(b"64\r\n" + b"a" * 100 + b"\r\n" for _ in range(11)) + b"0\r\n\r\n",
        413,
    ),
]

CHUNKED_HEAD = b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


@pytest.mark.parametrize(
    ("body", "status"),
    [pytest.param(body, status, id=name) for name, body, status in BODY_REJECTIONS],
)
def test_body_rejection(
    server: Server, app: SeenApp, recorder: Recorder, body: bytes, status: int
) -> None:
    got, _ = refused(server, CHUNKED_HEAD + body)
    assert got == status
    assert app.paths == ["/read"]
    assert app.errors == ["RequestBodyError"]
    assert recorder.wait(records=1)
    assert recorder.records[0].status_code == status


def test_bad_chunk_after_an_answer_without_reading_closes(server: Server, app: SeenApp) -> None:
    # The app answered without reading; the server finds the bad framing while draining
    # the body to reuse the connection, so it closes instead: the smuggled request dies.
    head = b"POST /noread HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data, closed = exchange(server, head + b"zz\r\nabc\r\n0\r\n\r\n" + SMUGGLED)
    assert closed
    assert [r.status for r in parse_responses(data)] == [200]
    assert app.paths == ["/noread"]


def test_a_request_behind_a_trailer_section_ended_by_a_bare_lf_is_never_served(
    server: Server, app: SeenApp
) -> None:
    """An adversarial trial of 2026-12-07: ``0 CRLF X: y LF LF`` and the request behind it
    got 200 and 200; a proxy that reads the bare LF otherwise frames that request as this
    body's. Refused, and the connection closed."""
    head = b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    data, closed = exchange(server, head + b"5\r\nhello\r\n0\r\nX: y\n\n" + SMUGGLED)
    assert closed
    assert [r.status for r in parse_responses(data)] == [400]
    assert app.paths == ["/read"]


def test_a_trailer_section_of_good_fields_is_taken(server: Server, app: SeenApp) -> None:
    head = b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = b"3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-B:\t2 \r\n\r\n"
    data, _ = exchange(
        server, head + body + b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert [r.status for r in parse_responses(data)] == [200, 200]
    assert app.paths == ["/read", "/after"]


def test_content_length_body_shorter_than_declared(server: Server, app: SeenApp) -> None:
    # The client half-closes before the body is complete: no second request is served.
    data, closed = exchange(
        server,
        b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nshort",
        half_close=True,
    )
    assert closed
    # RFC 9112 §8: an incomplete message may be answered with an error before closing.
    assert [r.status for r in parse_responses(data)] == [400]
    assert app.paths == ["/read"]


def test_content_length_smuggle_is_treated_as_body(server: Server, app: SeenApp) -> None:
    # With a valid Content-Length, what looks like a request inside the body is body.
    inner = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    data, _ = exchange(
        server,
        b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(inner)
        + inner
        + b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert [r.status for r in parse_responses(data)] == [200, 200]
    assert app.paths == ["/read", "/after"]


# -- pipelined and partial heads ---------------------------------------------------------------


def test_pipelined_good_then_bad(server: Server, app: SeenApp, recorder: Recorder) -> None:
    data, closed = exchange(
        server,
        b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /second HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n" + SMUGGLED,
    )
    assert closed
    responses = parse_responses(data)
    assert [r.status for r in responses] == [200, 400]
    assert responses[1].header("Connection") == "close"
    assert app.paths == ["/first"]
    # Reported as a request refused alone is (serve's trace said nothing of it).
    assert recorder.wait(rejects=1)
    assert [status for _, status, _ in recorder.rejects] == [400]


@pytest.mark.parametrize(
    ("partial", "status"),
    [
        pytest.param(b"GET /" + b"a" * (MAX_TARGET + 100), 414, id="target"),
        pytest.param(
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * (MAX_HEAD + 10), 431, id="head"
        ),
        pytest.param(b"GET / HTTP/1.1\r\nHost: x\nX-A", 400, id="bare-lf"),
        pytest.param(b"GET / HTTP/1.1\r\nHost: \x00", 400, id="nul"),
    ],
)
def test_refused_before_the_head_is_complete(
    server: Server, app: SeenApp, partial: bytes, status: int
) -> None:
    # The head never ends; the server must not wait for it to know it is bad.
    with connect(server) as sock:
        sock.sendall(partial)
        data, closed = read_until_closed(sock, timeout=TIMEOUT)
    assert closed
    assert [r.status for r in parse_responses(data)] == [status]
    assert app.paths == []


def test_server_keeps_serving_after_every_rejection(server: Server, app: SeenApp) -> None:
    for _, data, _ in HEAD_REJECTIONS + REQUEST_REJECTIONS:
        exchange(server, data)
    response, closed = exchange(
        server, b"GET /alive HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert closed
    assert [r.status for r in parse_responses(response)] == [200]
    assert app.paths == ["/alive"]
