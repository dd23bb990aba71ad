"""The socket server is as strict as RFC 9112 where it is strict, over raw sockets.

Each class of request that parser test corpora of other servers refuse gets its status, a
closed connection (framing is in doubt) and no answer from the application; a request
smuggled behind it (``GET /smuggled``) is never served. Beside each refusal, the nearest
legal shape is served, so a check that refused everything would fail here too.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverutil import (
    Recorder,
    connect,
    exchange,
    parse_responses,
    read_until_closed,
)
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import Server, live_server
from wsgicheck.drivers.wire import (
    MAX_CHUNK_EXT,
    MAX_FIELDS,
    ChunkLines,
    WireError,
    parse_request,
)
from wsgicheck.model import grammar
from wsgicheck.model.events import BODY_UNFINISHED
from wsgicheck.model.response import body_hasher
from wsgicheck.report.transcript import format_exchange
from wsgicheck.rules import Exchange, check_exchange

LIMITS = Limits(header_timeout=2.0, keepalive_timeout=5.0, exchange_timeout=10.0)
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNKED_HEAD = b"POST /read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"


class App:
    """Reads the whole body, records what it saw, answers ``ok:`` and the body."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.seen: list[dict[str, str]] = []
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self.lock:
            self.paths.append(environ["PATH_INFO"])
            self.seen.append(
                {
                    key: environ[key]
                    for key in ("PATH_INFO", "QUERY_STRING", "HTTP_HOST")
                    if key in environ
                }
            )
        try:
            body = environ["wsgi.input"].read()
        except Exception as exc:
            with self.lock:
                self.errors.append(type(exc).__name__)
            raise
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok:" + body]


@pytest.fixture
def app() -> App:
    return App()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(app: App, recorder: Recorder) -> Iterator[Server]:
    with live_server(app, threads=2, limits=LIMITS, **recorder.options) as srv:
        yield srv


def refused(server: Server, data: bytes) -> int:
    """Send ``data`` and a smuggled request: the one response's status, the connection closed."""
    raw, closed = exchange(server, data + SMUGGLED)
    assert closed, "the server must close the connection after a refusal"
    responses = parse_responses(raw)
    assert len(responses) == 1, raw
    assert responses[0].header("Connection") == "close"
    assert not responses[0].body.startswith(b"ok:")
    return responses[0].status


def served(server: Server, data: bytes) -> bytes:
    """Send ``data`` (which asks to close): the body of the one 200 response."""
    raw, closed = exchange(server, data)
    assert closed
    responses = parse_responses(raw)
    assert [response.status for response in responses] == [200], raw
    return responses[0].body


def get(target: bytes, *fields: bytes, version: bytes = b"HTTP/1.1") -> bytes:
    lines = [b"GET " + target + b" " + version, b"Host: x", *fields, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


# -- the request-target: no fragment, no userinfo (RFC 9112 §3.2, RFC 9110 §4.2.4) ----------

BAD_TARGETS = [
    pytest.param(b"/a#b", id="fragment"),
    pytest.param(b"/a?q=1#frag", id="fragment-after-query"),
    pytest.param(b"/#", id="empty-fragment"),
    pytest.param(b"/a?q=#", id="hash-in-query"),
    pytest.param(b"http://x/p#f", id="absolute-form-fragment"),
    pytest.param(b"http://user:pass@x/", id="userinfo"),
    pytest.param(b"http://user@x/p?q", id="userinfo-no-password"),
    pytest.param(b"http://@x/", id="empty-userinfo"),
    pytest.param(b"HTTPS://u@x:443", id="userinfo-https-no-path"),
    pytest.param(b"http:///x", id="empty-host"),
    pytest.param(b"http://", id="no-authority"),
    pytest.param(b"http://:80/x", id="port-without-host"),
    pytest.param(b"*", id="asterisk-not-options"),
]


RAW_TARGETS = [
    pytest.param(b"/caf\xe9", id="path"),
    pytest.param(b"/?q=\xff", id="query"),
    pytest.param(b"/\xc3\xa9", id="utf-8-bytes"),
    pytest.param(b"http://x/\x80", id="absolute-form"),
]


@pytest.mark.parametrize("target", BAD_TARGETS + RAW_TARGETS)
def test_target_refused_before_the_app(
    server: Server, app: App, recorder: Recorder, target: bytes
) -> None:
    # A fragment, userinfo, no host, "*" for GET, raw non-ASCII octets (RFC 9112 §3.2, RFC
    # 3986 §2): refused at the front door, before h11, as a rejection with no exchange record.
    assert refused(server, get(target)) == 400
    assert app.paths == []
    assert recorder.wait(rejects=1)
    assert [status for _, status, _ in recorder.rejects] == [400]
    assert recorder.records == []


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_parse_request_refuses_the_same_targets(target: bytes) -> None:
    with pytest.raises(WireError) as info:
        parse_request(get(target))
    assert info.value.status == 400


@pytest.mark.parametrize(
    ("target", "seen"),
    [
        pytest.param(b"/a@b:c", {"PATH_INFO": "/a@b:c", "QUERY_STRING": ""}, id="at-in-path"),
        pytest.param(b"/?u=a@b", {"PATH_INFO": "/", "QUERY_STRING": "u=a@b"}, id="at-in-query"),
        pytest.param(b"/%23x", {"PATH_INFO": "/#x", "QUERY_STRING": ""}, id="encoded-hash"),
        pytest.param(
            b"http://h:81/p?q",
            {"PATH_INFO": "/p", "QUERY_STRING": "q", "HTTP_HOST": "h:81"},
            id="absolute-form",
        ),
        pytest.param(
            b"http://h/a@b", {"PATH_INFO": "/a@b", "QUERY_STRING": "", "HTTP_HOST": "h"}, id="at"
        ),
    ],
)
def test_nearest_legal_targets_are_served(
    server: Server, app: App, target: bytes, seen: dict[str, str]
) -> None:
    assert served(server, get(target)) == b"ok:"
    assert app.seen == [{"HTTP_HOST": "x", **seen}]


# -- raw non-ASCII octets in the target: only by an explicit server choice ---------------------


def test_raw_latin1_targets_is_an_explicit_server_choice(app: App) -> None:
    assert Limits().raw_latin1_targets is False
    limits = Limits(header_timeout=2.0, raw_latin1_targets=True)
    with live_server(app, threads=1, limits=limits) as srv:
        assert served(srv, get(b"/caf\xe9?q=\xff")) == b"ok:"
    assert app.seen == [{"PATH_INFO": "/caf\xe9", "QUERY_STRING": "q=\xff", "HTTP_HOST": "x"}]


def test_percent_encoded_non_ascii_is_served(server: Server, app: App) -> None:
    assert served(server, get(b"/caf%C3%A9")) == b"ok:"
    assert app.paths == ["/caf\xc3\xa9"]


def test_parse_request_refuses_raw_non_ascii_unless_told() -> None:
    data = b"GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n"
    with pytest.raises(WireError) as info:
        parse_request(data)
    assert info.value.status == 400
    assert parse_request(data, raw_latin1_targets=True).target == "/caf\xe9"


# -- the HTTP-version token: HTTP/DIGIT.DIGIT (RFC 9112 §2.3) -------------------------------


@pytest.mark.parametrize(
    ("version", "status"),
    [
        pytest.param(b"HTTP/111", 400, id="three-digits"),
        pytest.param(b"HTTP/1.11", 400, id="two-digit-minor"),
        pytest.param(b"HTTP/11.1", 400, id="two-digit-major"),
        pytest.param(b"HTTP/1.a", 400, id="letter-minor"),
        pytest.param(b"HTTP/1,1", 400, id="comma"),
        pytest.param(b"HTTP/\xb9.1", 400, id="superscript-digit"),
        pytest.param(b"HTTP/1.2", 505, id="well-formed-1.2"),
        pytest.param(b"HTTP/9.9", 505, id="well-formed-9.9"),
    ],
)
def test_http_version_token(
    server: Server, app: App, recorder: Recorder, version: bytes, status: int
) -> None:
    assert refused(server, get(b"/", version=version)) == status
    assert app.paths == []
    assert recorder.wait(rejects=1)
    assert [reported for _, reported, _ in recorder.rejects] == [status]


# -- CONNECT and the authority-form (RFC 9112 §3.2.3, RFC 9110 §9.3.6) ---------------------


def request_line(method: bytes, target: bytes) -> bytes:
    return method + b" " + target + b" HTTP/1.1\r\nHost: x:443\r\n\r\n"


NOT_AUTHORITY_FORM = [
    pytest.param(b"/", id="origin-form"),
    pytest.param(b"/x:443", id="origin-form-with-port"),
    pytest.param(b"*", id="asterisk"),
    pytest.param(b"http://x:443/", id="absolute-form"),
    pytest.param(b"x", id="no-port"),
    pytest.param(b"x:", id="empty-port"),
    pytest.param(b":443", id="no-host"),
    pytest.param(b"x:https", id="port-not-digits"),
    pytest.param(b"u@x:443", id="userinfo"),
    pytest.param(b"x:443/p", id="path"),
    pytest.param(b"[::1]", id="ipv6-no-port"),
]


@pytest.mark.parametrize("target", NOT_AUTHORITY_FORM)
def test_connect_takes_the_authority_form_only(
    server: Server, app: App, recorder: Recorder, target: bytes
) -> None:
    # CONNECT / once passed: an app's 2xx then made the connection a tunnel after the head,
    # and the server reported its own SendError. Now: 400 at the front door, no app.
    assert refused(server, request_line(b"CONNECT", target)) == 400
    assert app.paths == []
    assert recorder.wait(rejects=1)
    assert [status for _, status, _ in recorder.rejects] == [400]
    assert recorder.records == []
    with pytest.raises(WireError) as info:
        parse_request(request_line(b"CONNECT", target))
    assert info.value.status == 400


@pytest.mark.parametrize("method", [b"GET", b"POST", b"OPTIONS", b"connect", b"CONNECTX"])
def test_the_authority_form_is_for_connect_only(
    server: Server, app: App, recorder: Recorder, method: bytes
) -> None:
    assert refused(server, request_line(method, b"x:443")) == 400
    assert app.paths == []
    assert recorder.wait(rejects=1)
    assert [status for _, status, _ in recorder.rejects] == [400]
    with pytest.raises(WireError) as info:
        parse_request(request_line(method, b"x:443"))
    assert info.value.status == 400


@pytest.mark.parametrize(
    "target", [b"x:443", b"127.0.0.1:1", b"[::1]:8080", b"[v1.fe]:0", b"a%41-b.c_d~:65535"]
)
def test_connect_is_not_implemented(app: App, target: bytes) -> None:
    # A WSGI app cannot drive a tunnel: 501 before the app runs, and the connection closes
    # (what follows the head, here a request, would be tunnel bytes, never a request).
    recorder = Recorder()
    errors: list[BaseException] = []
    with live_server(
        app, threads=1, limits=LIMITS, on_error=errors.append, **recorder.options
    ) as srv:
        assert refused(srv, request_line(b"CONNECT", target)) == 501
        assert recorder.wait(records=1)
    assert app.paths == []
    assert errors == []
    assert recorder.rejects == []
    [record] = recorder.records
    assert (record.request.method, record.request.target) == ("CONNECT", target.decode())
    assert (record.status_code, record.environ) == (501, None)
    assert ("Connection", "close") in record.headers
    findings = check_exchange(Exchange(record, source="socket"))
    assert {finding.rule for finding in findings} == set()


def test_connect_with_a_body_is_not_implemented(app: App) -> None:
    # Through h11 this time (a Content-Length sends the head past the plain-head reader).
    data = b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\nContent-Length: 3\r\n\r\nabc"
    with live_server(app, threads=1, limits=LIMITS) as srv:
        assert refused(srv, data) == 501
    assert app.paths == []


# -- the number of header fields (431, like an oversized head; RFC 6585 §5) -----------------


def fields(count: int) -> list[bytes]:
    """``count`` header fields with Host: the request's Host and Connection, then fillers."""
    return [b"X-F%d: v" % index for index in range(count - 2)]


def test_header_fields_up_to_the_limit_are_served(server: Server, app: App) -> None:
    assert served(server, get(b"/", *fields(MAX_FIELDS))) == b"ok:"
    assert app.paths == ["/"]


def test_one_header_field_too_many_is_431(server: Server, app: App, recorder: Recorder) -> None:
    assert MAX_FIELDS == 100
    assert refused(server, get(b"/", *fields(MAX_FIELDS + 1))) == 431
    assert app.paths == []
    assert recorder.wait(rejects=1)
    assert [status for _, status, _ in recorder.rejects] == [431]


def test_header_field_limit_is_configurable(app: App) -> None:
    limits = Limits(header_timeout=2.0, max_fields=5)
    with live_server(app, threads=1, limits=limits) as srv:
        assert served(srv, get(b"/five", *fields(5))) == b"ok:"
        assert refused(srv, get(b"/six", *fields(6))) == 431
    assert app.paths == ["/five"]


def test_too_many_fields_refused_before_the_head_ends(app: App) -> None:
    # The head never ends: the count alone is enough to answer.
    limits = Limits(header_timeout=10.0, max_fields=5)
    with live_server(app, threads=1, limits=limits) as srv, connect(srv) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-A: a\r\n" * 5)
        data, closed = read_until_closed(sock)
    assert closed
    assert [response.status for response in parse_responses(data)] == [431]
    assert app.paths == []


# -- chunk-size lines: chunk-size [ chunk-ext ] CRLF exactly (RFC 9112 §7.1, §7.1.1) --------

BAD_CHUNK_LINES = [
    # The size: HEXDIG only, nothing around it.
    pytest.param(b"3 \r\nabc\r\n0\r\n\r\n", id="space-after-size"),
    pytest.param(b"3\t\r\nabc\r\n0\r\n\r\n", id="tab-after-size"),
    pytest.param(b" 3\r\nabc\r\n0\r\n\r\n", id="space-before-size"),
    pytest.param(b"+3\r\nabc\r\n0\r\n\r\n", id="plus-sign"),
    pytest.param(b"0x3\r\nabc\r\n0\r\n\r\n", id="0x-prefix"),
    pytest.param(b"1_0\r\n" + b"a" * 16 + b"\r\n0\r\n\r\n", id="underscore"),
    pytest.param(b"\xd9\xa3\r\nabc\r\n0\r\n\r\n", id="arabic-indic-digit"),
    pytest.param(b"3\r\nabc\r\n0 \r\n\r\n", id="space-after-last-chunk-size"),
    # The extensions: ";" then a token name, "=" then a token or a quoted string.
    pytest.param(b"3;\r\nabc\r\n0\r\n\r\n", id="semicolon-no-name"),
    pytest.param(b"3;=v\r\nabc\r\n0\r\n\r\n", id="no-name-before-equals"),
    pytest.param(b"3;a=\r\nabc\r\n0\r\n\r\n", id="equals-no-value"),
    pytest.param(b"3;a b\r\nabc\r\n0\r\n\r\n", id="space-inside-name"),
    pytest.param(b"3;a=b c\r\nabc\r\n0\r\n\r\n", id="space-inside-value"),
    pytest.param(b"3;a=(b)\r\nabc\r\n0\r\n\r\n", id="value-not-token"),
    pytest.param(b'3;a="b\r\nabc\r\n0\r\n\r\n', id="unclosed-quote"),
    pytest.param(b"3;a \r\nabc\r\n0\r\n\r\n", id="space-after-name"),
    pytest.param(b"3;a=b;\r\nabc\r\n0\r\n\r\n", id="trailing-semicolon"),
    # No control characters anywhere in the line.
    pytest.param(b"3;a\x00\r\nabc\r\n0\r\n\r\n", id="nul-in-name"),
    pytest.param(b"3;a=b\x00c\r\nabc\r\n0\r\n\r\n", id="nul-in-value"),
    pytest.param(b'3;a="b\x00"\r\nabc\r\n0\r\n\r\n', id="nul-in-quoted"),
    pytest.param(b'3;a="b\x01"\r\nabc\r\n0\r\n\r\n', id="ctl-in-quoted"),
    pytest.param(b'3;a="b\x7f"\r\nabc\r\n0\r\n\r\n', id="del-in-quoted"),
    pytest.param(b"3;a\rb\r\nabc\r\n0\r\n\r\n", id="bare-cr"),
    pytest.param(b"3;a\nabc\r\n0\r\n\r\n", id="bare-lf-after-ext"),
    pytest.param(b"3\r\nabc\r\n0;a\x00\r\n\r\n", id="nul-in-last-chunk"),
    pytest.param(b"3\r\nabc\r\n0;\r\n\r\n", id="last-chunk-semicolon-no-name"),
    # The extensions of one chunk are bounded.
    pytest.param(b"3;" + b"a" * MAX_CHUNK_EXT + b"\r\nabc\r\n0\r\n\r\n", id="ext-too-long"),
    pytest.param(b"3" + b";a" * 10_000 + b"\r\nabc\r\n0\r\n\r\n", id="many-exts"),
    pytest.param(b"3;a=" + b"b" * 100_000, id="endless-ext"),
]


@pytest.mark.parametrize("body", BAD_CHUNK_LINES)
def test_bad_chunk_line_refused(server: Server, app: App, recorder: Recorder, body: bytes) -> None:
    assert refused(server, CHUNKED_HEAD + body) == 400
    # The app ran and read: wsgi.input raised, and its answer never went out.
    assert app.paths == ["/read"]
    assert app.errors == ["RequestBodyError"]
    assert recorder.wait(records=1)
    assert [record.status_code for record in recorder.records] == [400]


GOOD_CHUNK_LINES = [
    pytest.param(b"3;a\r\nabc\r\n0\r\n\r\n", id="name"),
    pytest.param(b"3;a=b\r\nabc\r\n0\r\n\r\n", id="name-value"),
    pytest.param(b"3;a;b=c;d\r\nabc\r\n0\r\n\r\n", id="several"),
    pytest.param(b'3 ; a = "q \\" x"\r\nabc\r\n0\r\n\r\n', id="bws-and-quoted-pair"),
    pytest.param(b"3\t;\ta\r\nabc\r\n0\r\n\r\n", id="tab-bws"),
    pytest.param(b'3;a="\xe9\t"\r\nabc\r\n0\r\n\r\n', id="obs-text-in-quoted"),
    pytest.param(b"0003;a=!#$%&'*+-.^_`|~\r\nabc\r\n000;z\r\n\r\n", id="zeros-and-tchars"),
    pytest.param(b"3;" + b"a" * (MAX_CHUNK_EXT - 1) + b"\r\nabc\r\n0\r\n\r\n", id="ext-at-limit"),
    pytest.param(b"1;x\r\na\r\n2;y\r\nbc\r\n0;z\r\nX-T: v\r\n\r\n", id="every-chunk-and-trailer"),
]


@pytest.mark.parametrize("body", GOOD_CHUNK_LINES)
def test_good_chunk_lines_are_served(server: Server, app: App, body: bytes) -> None:
    head = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
    assert served(server, head + body) == b"ok:abc"
    assert app.errors == []


def test_chunk_ext_limit_is_configurable(app: App) -> None:
    limits = Limits(header_timeout=2.0, max_chunk_ext=4)
    with live_server(app, threads=1, limits=limits) as srv:
        head = CHUNKED_HEAD.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n")
        assert served(srv, head + b"3;a=b\r\nabc\r\n0\r\n\r\n") == b"ok:abc"
        assert refused(srv, CHUNKED_HEAD + b"3;a=bc\r\nabc\r\n0\r\n\r\n") == 400
    assert app.errors == ["RequestBodyError"]


def test_framing_error_after_good_chunks_raises_in_wsgi_input() -> None:
    """The app gets the good chunks, then wsgi.input raises; the client gets the 400."""
    got: list[bytes] = []
    errors: list[str] = []

    def streaming(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        try:
            for _ in range(100):
                block = stream.read(2)
                if not block:
                    break
                got.append(block)
        except Exception as exc:
            errors.append(type(exc).__name__)
            raise
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok:" + b"".join(got)]

    body = b"4\r\nabcd\r\n2 \r\nef\r\n0\r\n\r\n"
    with live_server(streaming, threads=1, limits=LIMITS) as srv:
        assert refused(srv, CHUNKED_HEAD + body) == 400
    assert errors == ["RequestBodyError"]
    assert b"".join(got) == b"abcd"


@pytest.mark.parametrize("status", ["200 OK", "404 Not Found", "503 Busy"])
def test_an_app_that_catches_the_framing_error_is_not_answered_for(status: str) -> None:
    # Whatever the app answers after wsgi.input raised, the client gets the 400 it is owed,
    # nothing behind the bad body is read as a request, and the rules know the server spoke.
    paths: list[str] = []
    recorder = Recorder()

    def catching(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        paths.append(environ["PATH_INFO"])
        with contextlib.suppress(OSError):
            environ["wsgi.input"].read()
        start_response(status, [("Content-Type", "text/plain")])
        return [b"ok:caught"]

    with live_server(catching, threads=1, limits=LIMITS, **recorder.options) as srv:
        assert refused(srv, CHUNKED_HEAD + b"3;a\x00\r\nabc\r\n0\r\n\r\n") == 400
        assert recorder.wait(records=1)
    assert paths == ["/read"]
    exchange_ = Exchange(recorder.records[0], source="socket")
    assert [event.detail for event in exchange_.observations("body-error-answered")] == ["400"]
    assert {finding.rule for finding in check_exchange(exchange_)} == set()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        pytest.param(b"3;a\x00\r\nabc\r\n0\r\n\r\n", 400, id="bad-chunk-line"),
        pytest.param(b"9\r\n123456789\r\n0\r\n\r\n", 413, id="over-the-limit"),
    ],
)
def test_a_body_error_escaping_the_app_is_not_blamed_on_it(body: bytes, status: int) -> None:
    # The client's bad body makes wsgi.input raise; the app lets it escape. The server answers
    # for it, and no rule calls the server's own raising the app's error (APP-TRAP-OWN-ERRORS).
    recorder = Recorder()
    limits = Limits(header_timeout=2.0, keepalive_timeout=5.0, exchange_timeout=10.0, max_body=8)
    with live_server(App(), threads=1, limits=limits, **recorder.options) as srv:
        assert refused(srv, CHUNKED_HEAD + body) == status
        assert recorder.wait(records=1)
    exchange_ = Exchange(recorder.records[0], source="socket")
    assert [event.exc_type for event in exchange_.raised] == ["RequestBodyError"]
    assert {finding.rule for finding in check_exchange(exchange_)} == set()


def test_a_head_with_a_malformed_chunked_body_gets_its_400_without_a_body(
    server: Server, recorder: Recorder
) -> None:
    """The 400 that replaces the app's answer has no body for HEAD (RFC 9110 §9.3.2): it
    used to be written as one, which the framing refused: no answer, no record."""
    head = CHUNKED_HEAD.replace(b"POST", b"HEAD")
    raw, closed = exchange(server, head + b"zz\r\nabc\r\n0\r\n\r\n" + SMUGGLED)
    assert closed
    (response,) = parse_responses(raw, ["HEAD"])
    assert (response.status, response.body) == (400, b"")
    assert response.header("Connection") == "close"
    assert recorder.wait(records=1)
    assert server.errors == []


def test_bad_chunk_line_found_while_draining_closes(app: App) -> None:
    # The app answers without reading; the server checks the lines as it drains the body
    # to reuse the connection, finds a bad one and closes: the smuggled request dies.
    head = CHUNKED_HEAD.replace(b"/read", b"/noread")

    def answer_first(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        app.paths.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Length", "2")])
        return [b"no"]

    with live_server(answer_first, threads=1, limits=LIMITS) as srv:
        data, closed = exchange(srv, head + b"3;\x00\r\nabc\r\n0\r\n\r\n" + SMUGGLED)
    assert closed
    assert [response.status for response in parse_responses(data)] == [200]
    assert app.paths == ["/noread"]


def test_pipelined_after_a_checked_chunked_body(server: Server, app: App) -> None:
    # The check stops at the last chunk: the trailer and the next request are h11's.
    data, closed = exchange(
        server,
        CHUNKED_HEAD + b"2;a=b\r\nhi\r\n0;z\r\nX-Trailer: t\r\n\r\n" + get(b"/second"),
    )
    assert closed
    responses = parse_responses(data)
    assert [(r.status, r.body) for r in responses] == [(200, b"ok:hi"), (200, b"ok:")]
    assert app.paths == ["/read", "/second"]


def test_bad_chunk_line_split_across_writes(server: Server, app: App) -> None:
    with connect(server) as sock:
        sock.sendall(CHUNKED_HEAD + b"3;a=")
        sock.sendall(b"b\x00\r\nabc\r\n0\r\n\r\n" + SMUGGLED)
        data, closed = read_until_closed(sock)
    assert closed
    assert [response.status for response in parse_responses(data)] == [400]
    assert app.paths == ["/read"]


# -- ChunkLines, the sans-IO check itself ------------------------------------------------------


@pytest.mark.parametrize("body", [p.values[0] for p in GOOD_CHUNK_LINES])
def test_chunk_lines_accept_in_any_pieces(body: bytes) -> None:
    whole = ChunkLines()
    passed = whole.feed(body)
    bytewise = ChunkLines()
    pieces = [bytewise.feed(body[index : index + 1]) for index in range(len(body))]
    assert (whole.done, whole.error, bytewise.done, bytewise.error) == (True, None, True, None)
    assert b"".join(pieces) == passed


def test_chunk_lines_hand_h11_the_bare_size() -> None:
    # h11 would refuse BWS before ";" (RFC 9112 §7.1.1 allows it) and discard the rest.
    lines = ChunkLines()
    passed = lines.feed(b'3 ; a = "q;\\"" ;b\r\nabc\r\n0;c=d\r\nX-T: v\r\n\r\n')
    assert passed == b"3\r\nabc\r\n0\r\nX-T: v\r\n\r\n"


@pytest.mark.parametrize("body", [p.values[0] for p in BAD_CHUNK_LINES])
def test_chunk_lines_refuse_in_any_pieces(body: bytes) -> None:
    whole = ChunkLines()
    passed = whole.feed(body)
    assert whole.error is not None
    # What passes is the good chunks before the bad line, and nothing after it.
    bytewise = ChunkLines()
    pieces = [bytewise.feed(body[index : index + 1]) for index in range(len(body))]
    assert bytewise.error is not None
    assert str(bytewise.error) == str(whole.error)
    assert b"".join(pieces) == passed
    assert body.startswith(passed)
    assert bytewise.feed(b"0\r\n\r\n") == b""


def test_chunk_lines_skip_data_that_looks_like_a_line() -> None:
    lines = ChunkLines()
    data = b"5\r\n;\x00\r\n0\r\n"
    assert lines.feed(data) == data
    assert not lines.done  # ";\x00\r\n0" was chunk data; the next line is still to come
    rest = b"0\r\nX: y\r\n\r\nGET / HTTP/1.1\r\n"
    assert lines.feed(rest) == rest  # the trailer section, then what is not this body's
    assert (lines.done, lines.ended, lines.error) == (True, True, None)


def test_chunk_lines_check_each_line_of_the_trailer_section() -> None:
    """A NUL, a bare LF, an obs-fold: each stops the body at its line (h11 took the last
    two; an adversarial trial of 2026-12-07)."""
    for line in (b"X: y\x00z\r\n", b"X: y\n", b"X: y\r\n z\r\n"):
        lines = ChunkLines()
        assert lines.feed(b"3\r\nabc\r\n0\r\n" + line + b"\r\n") == b"3\r\nabc\r\n0\r\n" + (
            b"X: y\r\n" if line.startswith(b"X: y\r\n ") else b""
        )
        assert lines.error is not None, line


def test_chunk_lines_pass_the_good_chunks_before_a_bad_line() -> None:
    lines = ChunkLines()
    assert lines.feed(b"2\r\nab\r\n3;") == b"2\r\nab\r\n"  # "3;" waits for its end
    assert lines.feed(b"x\r\nabc\r\n") == b"3\r\nabc\r\n"
    assert lines.feed(b"1 \r\nz\r\n0\r\n\r\n") == b""
    assert lines.error is not None
    assert lines.error.status == 400


def test_parse_request_checks_chunk_lines() -> None:
    head = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    assert parse_request(head + b"3;a=b\r\nabc\r\n0\r\n\r\n").body == b"abc"
    with pytest.raises(WireError) as info:
        parse_request(head + b"3;a=b c\r\nabc\r\n0\r\n\r\n")
    assert info.value.status == 400


# The grammar is the one in grammar.py: whatever it generates passes, and a control
# character anywhere in the extensions does not.
chunk_exts = st.from_regex(grammar.CHUNK_EXT.encode("ascii"), fullmatch=True).filter(
    lambda ext: len(ext) <= MAX_CHUNK_EXT
)
PARSE_HEAD = b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"


@given(chunk_exts, chunk_exts, st.binary(min_size=1, max_size=40))
def test_every_grammatical_chunk_line_is_taken(ext: bytes, last: bytes, data: bytes) -> None:
    body = b"%X%s\r\n%s\r\n0%s\r\n\r\n" % (len(data), ext, data, last)
    assert parse_request(PARSE_HEAD + body).body == data


@given(
    chunk_exts,
    st.sampled_from([bytes([code]) for code in [*range(0x09), *range(0x0A, 0x20), 0x7F]]),
    st.data(),
)
def test_a_control_character_in_chunk_extensions_is_refused(
    ext: bytes, control: bytes, data: st.DataObject
) -> None:
    where = data.draw(st.integers(0, len(ext)))
    line = b"3" + ext[:where] + control + ext[where:] + b"\r\n"
    with pytest.raises(WireError):
        parse_request(PARSE_HEAD + line + b"abc\r\n0\r\n\r\n")


def test_a_body_cut_short_is_shown_as_it_arrived() -> None:
    """An adversarial trial of 2026-12-07: a client that declared 50 bytes, sent 5 and
    closed, was traced as "[50 bytes of body]", and the 400 that replaced the app's answer
    as "[0 bytes of body]" under "headers sent: 500". The record says what arrived and
    what went out."""
    recorder = Recorder()
    with live_server(App(), threads=1, limits=LIMITS, **recorder.options) as srv:
        data, closed = exchange(
            srv,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhello",
            half_close=True,
        )
        assert closed
        assert recorder.wait(records=1)
    (answer,) = parse_responses(data)
    record = recorder.records[0]
    hasher = body_hasher()
    hasher.update(answer.body)
    assert (record.status_code, record.body_size) == (400, len(answer.body))
    assert record.body_digest == hasher.hexdigest()
    lines = format_exchange(record)
    assert "> [5 of 50 bytes of body, content-length, then no more]" in lines
    assert f"< [{len(answer.body)} bytes of body]" in lines
    assert "* headers not sent: 500 Internal Server Error (the server answered 400)" in lines
    assert "* server: the request body broke off after 5 bytes" in lines
    assert not any(line.startswith("* headers sent") for line in lines)


def test_a_body_cut_short_that_the_app_never_read_is_recorded() -> None:
    """The app answered without reading; the server found the body cut short as it
    discarded the rest: the record says so, and the connection closed."""
    recorder = Recorder()

    def answering(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    with live_server(answering, threads=1, limits=LIMITS, **recorder.options) as srv:
        data, closed = exchange(srv, CHUNKED_HEAD + b"5\r\nhello\r\nzz\r\n", half_close=True)
        assert closed
        assert recorder.wait(records=1)
    assert [response.status for response in parse_responses(data)] == [200]
    exchange_ = Exchange(recorder.records[0], source="socket")
    assert [event.detail for event in exchange_.observations(BODY_UNFINISHED)] == ["5"]
    assert "> [5 bytes of body, chunked, then no more]" in format_exchange(exchange_.response)
    assert [finding.rule for finding in check_exchange(exchange_)] == []


def test_a_body_broken_off_by_a_reset_is_recorded() -> None:
    """A review of 2026-12-07: a client that sent 5 of 50 bytes and reset the connection
    (not a clean close) was still traced as "[50 bytes of body]"."""
    recorder = Recorder()
    with live_server(App(), threads=1, limits=LIMITS, **recorder.options) as srv:
        sock = connect(srv)
        sock.sendall(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhello")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        assert recorder.wait(records=1)
    exchange_ = Exchange(recorder.records[0], source="socket")
    assert [event.detail for event in exchange_.observations(BODY_UNFINISHED)] == ["5"]
    lines = format_exchange(exchange_.response)
    assert "> [5 of 50 bytes of body, content-length, then no more]" in lines
