"""Differential test: the same raw request bytes to ``wsgiref.simple_server`` and to wsgicheck.

wsgiref runs as a real server on 127.0.0.1 and answers with the CGI keys of the environ its app
saw (and the body the app read). wsgicheck parses the same bytes (``parse_request``) and builds
its environ (``build_environ``). The two must agree except for the differences the README lists
("Differences from wsgiref.simple_server"); each one is a row of ``DIFFERENCES`` below, which
checks that wsgiref shows exactly the documented behaviour before it is set aside.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from wsgiref.handlers import BaseHandler
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

import pytest

from wsgicheck.core.environ import ServerConfig, build_environ, request_problem
from wsgicheck.drivers.wire import parse_request
from wsgicheck.model.request import Framing, Request

README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "Differences from `wsgiref.simple_server`"
TIMEOUT = 5.0
MAX_RESPONSE = 1 << 20


# -- what an app sees, on either side ------------------------------------------------------------


@dataclass
class Observed:
    """The CGI keys of an environ (no "." in the name, a str value) and the body read."""

    cgi: dict[str, str]
    body: bytes


def observe(environ: dict[str, Any]) -> Observed:
    """What the probe app records: CGI keys, and the body read as an app is told to read it."""
    cgi = {key: value for key, value in environ.items() if "." not in key and type(value) is str}
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH", "")
    if length:
        body = stream.read(int(length))
    elif "chunked" in environ.get("HTTP_TRANSFER_ENCODING", ""):
        body = stream.read()  # wsgiref gives no length: read to the end of the connection
    else:
        body = b""
    return Observed(cgi, body)


def probe_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    seen = observe(environ)
    data = json.dumps({"cgi": seen.cgi, "body": seen.body.decode("latin-1")}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


# -- wsgiref, a real server on loopback ----------------------------------------------------------


class QuietHandler(WSGIRequestHandler):
    timeout = TIMEOUT  # a stuck exchange ends instead of hanging serve_forever and shutdown

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def wsgiref_server() -> Iterator[WSGIServer]:
    server = WSGIServer(("127.0.0.1", 0), QuietHandler)
    server.set_app(probe_app)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
        assert not thread.is_alive(), "wsgiref server thread did not stop"


def send(port: int, raw: bytes) -> bytes:
    """Send ``raw``, half-close, and read the response until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        parts: list[bytes] = []
        received = 0
        while received <= MAX_RESPONSE:
            part = sock.recv(65536)
            if not part:
                break
            parts.append(part)
            received += len(part)
        else:
            pytest.fail("wsgiref's response is too large")
    return b"".join(parts)


def via_wsgiref(server: WSGIServer, raw: bytes) -> Observed:
    response = send(server.server_port, raw)
    head, _, body = response.partition(b"\r\n\r\n")
    status_line = head.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1:2] == [b"200"], response[:500]
    data = json.loads(body)
    return Observed(data["cgi"], data["body"].encode("latin-1"))


def config_like(server: WSGIServer) -> ServerConfig:
    """wsgicheck configured as wsgiref presents itself (its server choices, not differences)."""
    return ServerConfig(
        server_name=server.server_name,
        server_port=str(server.server_port),
        server_software=QuietHandler.server_version,
        no_body_content_length="empty",
    )


def via_wsgicheck(server: WSGIServer, raw: bytes) -> tuple[Request, Observed]:
    # wsgiref passes raw latin-1 bytes in a target through; wsgicheck's server does when told.
    request = parse_request(raw, raw_latin1_targets=True)
    config = config_like(server)
    assert request_problem(request, config) is None
    environ = build_environ(request, config, body=request.body, log=[], remote=("127.0.0.1", None))
    return request, observe(environ)


# -- the documented differences ------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One README row: when it applies, and how to turn wsgiref's answer into wsgicheck's.

    ``reconcile`` first asserts that wsgiref shows exactly the documented behaviour, so an
    exclusion can never hide a different difference.
    """

    row: str  # the first cell of the README table row, verbatim
    applies: Callable[[Request], bool]
    reconcile: Callable[[Request, Observed, Observed], None]


def wsgiref_key(name: str) -> str:
    return "HTTP_" + name.replace("-", "_").upper()


def header_keys(request: Request) -> list[str]:
    """The HTTP_ keys wsgiref makes for ``request``'s fields, in first-seen order."""
    keys = [wsgiref_key(name) for name, _ in request.headers if name.lower() != "content-type"]
    return list(dict.fromkeys(keys))


def fields_for(request: Request, key: str, *, underscores: bool) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in request.headers
        if wsgiref_key(name) == key and (underscores or "_" not in name)
    ]


def no_content_type(request: Request, theirs: Observed, ours: Observed) -> None:
    assert theirs.cgi.pop("CONTENT_TYPE") == "text/plain"


def underscore_names(request: Request, theirs: Observed, ours: Observed) -> None:
    for key in header_keys(request):
        every = fields_for(request, key, underscores=True)
        if not any("_" in name for name, _ in every):
            continue
        assert theirs.cgi[key] == ",".join(value for _, value in every)
        kept = fields_for(request, key, underscores=False)
        if kept:
            theirs.cgi[key] = ",".join(value for _, value in kept)
        else:
            del theirs.cgi[key]


def repeated_fields(request: Request, theirs: Observed, ours: Observed) -> None:
    for key in header_keys(request):
        values = [value for _, value in fields_for(request, key, underscores=False)]
        if len(values) > 1:
            assert theirs.cgi[key] == ",".join(values)
            theirs.cgi[key] = ("; " if key == "HTTP_COOKIE" else ", ").join(values)


def remote_host(request: Request, theirs: Observed, ours: Observed) -> None:
    assert theirs.cgi.pop("REMOTE_HOST") == ""


def chunked_body(request: Request, theirs: Observed, ours: Observed) -> None:
    raw = request.to_bytes()
    assert theirs.body == raw[raw.index(b"\r\n\r\n") + 4 :], "wsgiref passes the framing raw"
    theirs.body = request.body
    assert theirs.cgi.pop("CONTENT_LENGTH") == ""


def absolute_form(request: Request, theirs: Observed, ours: Observed) -> None:
    assert theirs.cgi["PATH_INFO"] == unquote(request.path, "latin-1")
    theirs.cgi["PATH_INFO"] = unquote(urlsplit(request.target).path or "/", "latin-1")


def os_environment(request: Request, theirs: Observed, ours: Observed) -> None:
    for key, value in BaseHandler.os_environ.items():
        if key not in ours.cgi and theirs.cgi.get(key) == value:
            del theirs.cgi[key]


def leading_slashes(request: Request, theirs: Observed, ours: Observed) -> None:
    path = ours.cgi["PATH_INFO"]
    assert theirs.cgi["PATH_INFO"] == "/" + path.lstrip("/")
    theirs.cgi["PATH_INFO"] = path


def content_type_ows(request: Request, theirs: Observed, ours: Observed) -> None:
    # The parsed request no longer has the whitespace (h11 strips it, as RFC 9110 says), so
    # this row is recognised by wsgiref's answer: the same value plus trailing whitespace.
    value = theirs.cgi.get("CONTENT_TYPE", "")
    if value != value.rstrip(" \t"):
        assert value.rstrip(" \t") == ours.cgi["CONTENT_TYPE"]
        theirs.cgi["CONTENT_TYPE"] = value.rstrip(" \t")


def cgi_named_headers(request: Request, theirs: Observed, ours: Observed) -> None:
    for name, value in request.headers:
        key = name.replace("-", "_").upper()
        if key in CGI_NAMES:
            assert wsgiref_key(name) not in theirs.cgi
            theirs.cgi[wsgiref_key(name)] = value.strip(" \t")


#: CGI keys wsgiref sets before it copies headers; a header that maps onto one is skipped.
CGI_NAMES = {
    "SERVER_NAME", "GATEWAY_INTERFACE", "SERVER_PORT", "REMOTE_HOST", "CONTENT_LENGTH",
    "SCRIPT_NAME", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "REQUEST_METHOD", "PATH_INFO",
    "QUERY_STRING", "REMOTE_ADDR", "CONTENT_TYPE",
}  # fmt: skip


def has_cgi_named_header(request: Request) -> bool:
    return any(
        name.replace("-", "_").upper() in CGI_NAMES - {"CONTENT_TYPE", "CONTENT_LENGTH"}
        for name, _ in request.headers
    )


def has_underscore_name(request: Request) -> bool:
    return any("_" in name for name, _ in request.headers)


def has_repeats(request: Request) -> bool:
    keys = [wsgiref_key(name) for name, _ in request.headers if "_" not in name]
    return len(keys) != len(set(keys))


# In the README's order; applied in this order (underscores before repeats, so that a header
# dropped for its "_" is not counted as a repeat).
DIFFERENCES = [
    Difference(
        "`CONTENT_TYPE` without a Content-Type header",
        lambda request: not request.header_values("Content-Type"),
        no_content_type,
    ),
    Difference("a header named `X_Foo`", has_underscore_name, underscore_names),
    Difference("repeated header fields", has_repeats, repeated_fields),
    Difference("`REMOTE_HOST`", lambda request: True, remote_host),
    Difference(
        "chunked request body", lambda request: request.framing is Framing.CHUNKED, chunked_body
    ),
    Difference(
        "absolute-form target `http://h/p`",
        lambda request: request.target[0] not in "/*",
        absolute_form,
    ),
    Difference("OS environment variables", lambda request: True, os_environment),
    Difference(
        "a path starting with `//`",
        lambda request: request.target.startswith("//"),
        leading_slashes,
    ),
    Difference(
        "trailing whitespace after a Content-Type value",
        lambda request: bool(request.header_values("Content-Type")),
        content_type_ows,
    ),
    Difference(
        "a header named like a CGI variable (`Script-Name`)",
        has_cgi_named_header,
        cgi_named_headers,
    ),
]


def readme_rows() -> list[str]:
    """The first cells of the README's table of differences from wsgiref."""
    section = README.read_text(encoding="utf-8").split(SECTION, 1)[1]
    rows: list[str] = []
    for line in section.splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append(line.split("|")[1].strip())
    return rows[2:]  # past the header row and the separator


# -- the requests --------------------------------------------------------------------------------


def raw(*lines: str, body: bytes = b"") -> bytes:
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


HOST = "Host: example.org"

CASES = [
    pytest.param(raw("GET / HTTP/1.1", HOST), id="plain-get"),
    pytest.param(raw("GET /hello/world HTTP/1.1", HOST, "Accept: */*"), id="plain-path"),
    pytest.param(
        raw("GET /search?q=a+b&x=%zz&y=%C3%A9&z=/?&&;=&%=%25 HTTP/1.1", HOST), id="odd-query"
    ),
    pytest.param(raw("GET /a? HTTP/1.1", HOST), id="empty-query"),
    pytest.param(raw("GET /a%20b/100%25/%zz%/nul%00 HTTP/1.1", HOST), id="percent-encoded"),
    pytest.param(raw("GET /caf%C3%A9/%E9t%E9 HTTP/1.1", HOST), id="percent-non-ascii"),
    pytest.param(raw("GET /a%2Fb%3F HTTP/1.1", HOST), id="percent-slash-qmark"),
    pytest.param(raw("GET /a/../b/./c HTTP/1.1", HOST), id="dot-segments"),
    pytest.param(raw("GET /a//b HTTP/1.1", HOST), id="inner-double-slash"),
    pytest.param(
        raw("GET // HTTP/1.1", HOST),
        id="double-slash",
    ),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "Accept: a/b", "Accept: c/d", "Cookie: a=1", "Cookie: b=2"),
        id="repeated-headers",
    ),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "X-Tag: a", "x-tag: b", "X-TAG: c"), id="repeats-cased"
    ),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "X-Pad:   v  w  ", "X-Latin: caf\xe9", "X-Empty:"),
        id="header-values",
    ),
    pytest.param(raw("GET / HTTP/1.1", HOST, "X_Auth: evil"), id="underscore-alone"),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "X_Auth: evil", "X-Auth: good", "X-Other: o"),
        id="underscore-spoof",
    ),
    pytest.param(
        raw(
            "POST /form HTTP/1.1",
            HOST,
            "Content-Type: application/x-www-form-urlencoded",
            "Content-Length: 12",
            body=b"a=1&b=%C3%A9",
        ),
        id="post-form",
    ),
    pytest.param(
        raw("POST / HTTP/1.1", HOST, "Content-Type: application/json", "Content-Length: 0"),
        id="post-empty-body",
    ),
    pytest.param(
        raw("PUT /bin HTTP/1.1", HOST, "Content-Length: 256", body=bytes(range(256))),
        id="put-binary-no-type",
    ),
    pytest.param(
        raw(
            "POST /c HTTP/1.1", HOST, "Transfer-Encoding: chunked", body=b"5\r\nhello\r\n0\r\n\r\n"
        ),
        id="post-chunked",
    ),
    pytest.param(raw("GET /old HTTP/1.0"), id="http-1.0"),
    pytest.param(
        raw("POST /old HTTP/1.0", "Content-Type: text/plain", "Content-Length: 3", body=b"abc"),
        id="http-1.0-post",
    ),
    pytest.param(raw("OPTIONS * HTTP/1.1", HOST), id="options-asterisk"),
    pytest.param(raw("GET http://example.org/p%20q?x=1 HTTP/1.1", HOST), id="absolute-form"),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "Content-Type: text/plain  "),
        id="content-type-trailing-ows",
    ),
    pytest.param(
        raw("GET / HTTP/1.1", HOST, "Script-Name: /x", "Remote-Addr: 10.0.0.1"),
        id="header-named-like-cgi-key",
    ),
    pytest.param(raw("GET /caf\xe9/%C3%A9?q=\xff HTTP/1.1", HOST), id="raw-latin-1-target"),
]


@pytest.mark.parametrize("data", CASES)
def test_same_environ_as_wsgiref(wsgiref_server: WSGIServer, data: bytes) -> None:
    request, ours = via_wsgicheck(wsgiref_server, data)
    theirs = via_wsgiref(wsgiref_server, data)
    for difference in DIFFERENCES:
        if difference.applies(request):
            difference.reconcile(request, theirs, ours)
    assert theirs.cgi == ours.cgi
    assert theirs.body == ours.body == request.body


def test_underscore_header_difference_is_exactly_the_documented_one(
    wsgiref_server: WSGIServer,
) -> None:
    """wsgiref lets ``X_Auth`` join (or pass for) ``X-Auth``; wsgicheck drops it."""
    spoof = raw("GET / HTTP/1.1", HOST, "X_Auth: evil", "X-Auth: good")
    alone = raw("GET / HTTP/1.1", HOST, "X_Auth: evil")
    assert via_wsgiref(wsgiref_server, spoof).cgi["HTTP_X_AUTH"] == "evil,good"
    assert via_wsgiref(wsgiref_server, alone).cgi["HTTP_X_AUTH"] == "evil"
    assert via_wsgicheck(wsgiref_server, spoof)[1].cgi["HTTP_X_AUTH"] == "good"
    assert "HTTP_X_AUTH" not in via_wsgicheck(wsgiref_server, alone)[1].cgi


def test_differences_are_the_readme_table() -> None:
    assert sorted(difference.row for difference in DIFFERENCES) == sorted(readme_rows())


def test_every_difference_is_exercised() -> None:
    requests = [
        parse_request(case.values[0], raw_latin1_targets=True) for case in CASES if not case.marks
    ]
    for difference in DIFFERENCES:
        assert any(difference.applies(request) for request in requests), difference.row
