"""Request → environ (PEP 3333 "environ Variables", CGI 1.1) and the requests a server refuses.

Most tests here are tables: a request and the environ keys it must (or must not) produce.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsgicheck.core.environ import ServerConfig, build_environ, environ_key, request_problem
from wsgicheck.model.request import Framing, Request

HOST = ("Host", "example.org")
ABSENT = object()  # an expected value meaning "this key must not be in the environ"


def request(target: str = "/", *headers: tuple[str, str], **fields: Any) -> Request:
    """A request for ``target`` with a Host header first, then ``headers``."""
    host = () if fields.get("http_version") == "1.0" else (HOST,)
    return Request(target=target, headers=(*host, *headers), **fields)


def post(body: bytes, *headers: tuple[str, str], **fields: Any) -> Request:
    fields.setdefault("framing", Framing.CONTENT_LENGTH)
    return request("/", *headers, method="POST", body=body, **fields)


def environ_of(
    req: Request,
    config: ServerConfig | None = None,
    remote: tuple[str, int | None] | None = ("192.0.2.1", 40000),
) -> dict[str, Any]:
    config = config or ServerConfig()
    assert request_problem(req, config) is None, "the table's requests must be servable"
    return build_environ(req, config, body=req.body, log=[], remote=remote)


def check(environ: Mapping[str, Any], expected: Mapping[str, object]) -> None:
    """Every expected key has exactly its value (and type); ABSENT keys are missing."""
    for key, value in expected.items():
        if value is ABSENT:
            assert key not in environ, f"{key} should be absent, is {environ[key]!r}"
        else:
            assert key in environ, f"{key} missing"
            assert environ[key] == value, f"{key}: {environ[key]!r} != {value!r}"
            assert type(environ[key]) is type(value), key


def http_keys(environ: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in environ.items() if key.startswith("HTTP_")}


# -- the table -----------------------------------------------------------------------------------

CASES = [
    # Paths: CGI PATH_INFO is percent-decoded, then held as latin-1 ("bytes as unicode").
    pytest.param(request("/"), {"PATH_INFO": "/", "SCRIPT_NAME": ""}, id="root"),
    pytest.param(request("/a/b"), {"PATH_INFO": "/a/b"}, id="plain-path"),
    pytest.param(request("/a%20b"), {"PATH_INFO": "/a b"}, id="percent-space"),
    pytest.param(request("/caf%C3%A9"), {"PATH_INFO": "/caf\xc3\xa9"}, id="percent-utf8"),
    pytest.param(request("/caf%c3%a9"), {"PATH_INFO": "/caf\xc3\xa9"}, id="percent-lower-hex"),
    pytest.param(request("/%E9t%E9"), {"PATH_INFO": "/\xe9t\xe9"}, id="percent-latin-1"),
    pytest.param(request("/a%2Fb"), {"PATH_INFO": "/a/b"}, id="percent-slash"),
    pytest.param(request("/a%3Fb"), {"PATH_INFO": "/a?b", "QUERY_STRING": ""}, id="percent-qmark"),
    pytest.param(request("/100%25"), {"PATH_INFO": "/100%"}, id="percent-percent"),
    pytest.param(request("/a%zz%4"), {"PATH_INFO": "/a%zz%4"}, id="percent-malformed-kept"),
    pytest.param(request("/caf\xe9"), {"PATH_INFO": "/caf\xe9"}, id="raw-latin-1-byte"),
    pytest.param(
        request("/caf\xe9/%C3%A9"),
        {"PATH_INFO": "/caf\xe9/\xc3\xa9"},
        id="raw-latin-1-byte-and-percent",
    ),
    pytest.param(
        request("/caf\xe9/%41?x", ("X", "1")),
        {"PATH_INFO": "/caf\xe9/A", "QUERY_STRING": "x"},
        id="raw-latin-1-byte-percent-query",
    ),
    pytest.param(
        request("/\xff?\xfe"), {"PATH_INFO": "/\xff", "QUERY_STRING": "\xfe"}, id="raw-ff"
    ),
    pytest.param(request("//"), {"PATH_INFO": "//"}, id="double-slash"),
    pytest.param(request("//a//b/"), {"PATH_INFO": "//a//b/"}, id="double-slashes-kept"),
    pytest.param(request("/a/../b"), {"PATH_INFO": "/a/../b"}, id="dot-dot-not-normalised"),
    pytest.param(request("/a/./b"), {"PATH_INFO": "/a/./b"}, id="dot-not-normalised"),
    pytest.param(request("/a/%2e%2e/b"), {"PATH_INFO": "/a/../b"}, id="encoded-dot-dot"),
    pytest.param(
        request("*", method="OPTIONS"),
        {"PATH_INFO": "*", "SCRIPT_NAME": "", "REQUEST_METHOD": "OPTIONS", "QUERY_STRING": ""},
        id="asterisk-form",
    ),
    pytest.param(
        request("http://h/p?q"), {"PATH_INFO": "/p", "QUERY_STRING": "q"}, id="absolute-form"
    ),
    pytest.param(
        request("HTTP://h:8080/a%20b"),
        {"PATH_INFO": "/a b", "QUERY_STRING": ""},
        id="absolute-form-upper-scheme-port",
    ),
    pytest.param(request("http://h"), {"PATH_INFO": "/"}, id="absolute-form-no-path"),
    pytest.param(
        request("https://h?x=1"), {"PATH_INFO": "/", "QUERY_STRING": "x=1"}, id="absolute-no-path-q"
    ),
    # Queries: QUERY_STRING is everything after the first "?", never decoded.
    pytest.param(
        request("/s?a=%zz&b=%C3%A9+c&d=/?e"),
        {"PATH_INFO": "/s", "QUERY_STRING": "a=%zz&b=%C3%A9+c&d=/?e"},
        id="query-raw",
    ),
    pytest.param(request("/a?"), {"PATH_INFO": "/a", "QUERY_STRING": ""}, id="query-empty"),
    pytest.param(request("/a??"), {"QUERY_STRING": "?"}, id="query-just-qmark"),
    pytest.param(request("/a?%"), {"QUERY_STRING": "%"}, id="query-lone-percent"),
    pytest.param(request("/?q=caf\xe9"), {"QUERY_STRING": "q=caf\xe9"}, id="query-raw-latin-1"),
    pytest.param(request("/a"), {"QUERY_STRING": ""}, id="query-absent"),
    # Header fields → HTTP_ keys (RFC 9110 §5.3 for repeats).
    pytest.param(request("/"), {"HTTP_HOST": "example.org"}, id="host"),
    pytest.param(
        request("/", ("Accept", "a/b"), ("Accept", "c/d")),
        {"HTTP_ACCEPT": "a/b, c/d"},
        id="repeated-joined-comma-space",
    ),
    pytest.param(
        request("/", ("Cookie", "a=1"), ("Cookie", "b=2"), ("Cookie", "c=3")),
        {"HTTP_COOKIE": "a=1; b=2; c=3"},
        id="cookie-joined-semicolon",
    ),
    pytest.param(
        request("/", ("X-Tag", "a"), ("x-tag", "b"), ("X-TAG", "c")),
        {"HTTP_X_TAG": "a, b, c"},
        id="repeats-differently-cased",
    ),
    pytest.param(
        request("/", ("X-Tag", "a"), ("Other", "o"), ("X-Tag", "b")),
        {"HTTP_X_TAG": "a, b", "HTTP_OTHER": "o"},
        id="repeats-interleaved",
    ),
    pytest.param(
        request("/", ("x-lower-case", "v"), ("X-MiXeD", "w")),
        {"HTTP_X_LOWER_CASE": "v", "HTTP_X_MIXED": "w"},
        id="name-case-folded",
    ),
    pytest.param(
        request("/", ("X_Auth", "evil"), ("X-Auth", "good")),
        {"HTTP_X_AUTH": "good"},
        id="underscore-cannot-spoof-dash",
    ),
    pytest.param(
        request("/", ("X-Auth", "good"), ("X_Auth", "evil")),
        {"HTTP_X_AUTH": "good"},
        id="underscore-after-dash-dropped",
    ),
    pytest.param(
        request("/", ("X_Auth", "evil")), {"HTTP_X_AUTH": ABSENT}, id="underscore-alone-dropped"
    ),
    pytest.param(
        request("/", ("Content_Type", "text/evil")),
        {"CONTENT_TYPE": ABSENT, "HTTP_CONTENT_TYPE": ABSENT},
        id="underscore-content-type-dropped",
    ),
    pytest.param(
        request("/", ("Content-Type", "text/html; charset=utf-8")),
        {"CONTENT_TYPE": "text/html; charset=utf-8", "HTTP_CONTENT_TYPE": ABSENT},
        id="content-type",
    ),
    pytest.param(
        request("/", ("content-TYPE", "a/b")),
        {"CONTENT_TYPE": "a/b", "HTTP_CONTENT_TYPE": ABSENT},
        id="content-type-any-case",
    ),
    pytest.param(
        request("/", ("X-Pad", "  v  "), ("X-Tab", "\tv \t w\t")),
        {"HTTP_X_PAD": "v", "HTTP_X_TAB": "v \t w"},
        id="ows-stripped",
    ),
    pytest.param(
        request("/", ("X-Pad", " a "), ("X-Pad", "\tb\t")), {"HTTP_X_PAD": "a, b"}, id="ows-repeats"
    ),
    pytest.param(request("/", ("X-Empty", "")), {"HTTP_X_EMPTY": ""}, id="empty-value-present"),
    pytest.param(
        request("/", ("X-Latin", "caf\xe9 \xff")), {"HTTP_X_LATIN": "caf\xe9 \xff"}, id="obs-text"
    ),
    # Bodies and framing.
    pytest.param(
        request("/"),
        {"CONTENT_LENGTH": ABSENT, "HTTP_CONTENT_LENGTH": ABSENT, "HTTP_TRANSFER_ENCODING": ABSENT},
        id="no-body",
    ),
    pytest.param(
        post(b"", ("Content-Type", "text/plain")),
        {"CONTENT_LENGTH": "0", "HTTP_CONTENT_LENGTH": ABSENT, "CONTENT_TYPE": "text/plain"},
        id="empty-body-content-length-0",
    ),
    pytest.param(
        post(b"hello", ("Content-Type", "application/x-www-form-urlencoded")),
        {
            "REQUEST_METHOD": "POST",
            "CONTENT_LENGTH": "5",
            "HTTP_CONTENT_LENGTH": ABSENT,
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "HTTP_CONTENT_TYPE": ABSENT,
            "wsgi.input_terminated": True,
        },
        id="content-length-body",
    ),
    pytest.param(
        post(b"hello world", framing=Framing.CHUNKED, chunk_sizes=(5, 6)),
        {
            "CONTENT_LENGTH": ABSENT,
            "HTTP_CONTENT_LENGTH": ABSENT,
            "HTTP_TRANSFER_ENCODING": "chunked",
            "wsgi.input_terminated": True,
        },
        id="chunked-body",
    ),
    pytest.param(
        post(b"", framing=Framing.CHUNKED),
        {"CONTENT_LENGTH": ABSENT, "HTTP_TRANSFER_ENCODING": "chunked"},
        id="chunked-empty-body",
    ),
    # Request line.
    pytest.param(
        request("/", http_version="1.0"),
        {"SERVER_PROTOCOL": "HTTP/1.0", "HTTP_HOST": ABSENT},
        id="http-1.0",
    ),
    pytest.param(request("/"), {"SERVER_PROTOCOL": "HTTP/1.1"}, id="http-1.1"),
    pytest.param(request("/", method="M-SEARCH"), {"REQUEST_METHOD": "M-SEARCH"}, id="method"),
    pytest.param(request("/", method="get"), {"REQUEST_METHOD": "get"}, id="method-case-kept"),
]


@pytest.mark.parametrize(("req", "expected"), CASES)
def test_environ(req: Request, expected: dict[str, object]) -> None:
    check(environ_of(req), expected)


@pytest.mark.parametrize("req", [case.values[0] for case in CASES], ids=[c.id for c in CASES])
def test_http_keys_correspond_to_the_headers_sent(req: Request) -> None:
    """PEP 3333: HTTP_ variables are present exactly when the matching header is."""
    environ = environ_of(req)
    expected = {
        "HTTP_" + name.upper().replace("-", "_")
        for name, _ in req.headers
        if "_" not in name and name.lower() != "content-type"
    }
    if req.framing is Framing.CHUNKED:
        expected.add("HTTP_TRANSFER_ENCODING")
    assert set(http_keys(environ)) == expected


# -- required keys and their types ---------------------------------------------------------------

CGI_REQUIRED = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "SERVER_NAME", "SERVER_PORT")
CGI_REQUIRED += ("SERVER_PROTOCOL",)
WSGI_REQUIRED = ("wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors")
WSGI_REQUIRED += ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once")

CONFIGS = [
    pytest.param(ServerConfig(), id="default"),
    pytest.param(
        ServerConfig(
            empty_query_string="omit",
            no_body_content_length="empty",
            file_wrapper=False,
            input_terminated_always=False,
            multithread=True,
            multiprocess=True,
            run_once=True,
            url_scheme="https",
            server_name="caf\xe9.example",
            server_port="8443",
        ),
        id="every-choice-flipped",
    ),
]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("req", [case.values[0] for case in CASES], ids=[c.id for c in CASES])
def test_required_keys_and_types(req: Request, config: ServerConfig) -> None:
    environ = environ_of(req, config)
    for key in CGI_REQUIRED + WSGI_REQUIRED:
        assert key in environ, key
    assert environ["REQUEST_METHOD"], "REQUEST_METHOD is never empty"
    assert environ["SERVER_NAME"], "SERVER_NAME is never empty"
    assert environ["SERVER_PORT"], "SERVER_PORT is never empty"
    for key, value in environ.items():
        if "." in key:
            continue
        # PEP 3333: every CGI variable is a native str, and holds only latin-1 code points.
        assert type(value) is str, f"{key} is {type(value).__name__}"
        value.encode("latin-1")
    assert type(environ["wsgi.version"]) is tuple
    assert environ["wsgi.version"] == (1, 0)
    assert type(environ["wsgi.url_scheme"]) is str
    for flag in ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"):
        assert type(environ[flag]) is bool, flag
    if "wsgi.input_terminated" in environ:
        assert environ["wsgi.input_terminated"] is True
    for method in ("read", "readline", "readlines", "__iter__"):
        assert callable(getattr(environ["wsgi.input"], method)), method
    for method in ("write", "writelines", "flush"):
        assert callable(getattr(environ["wsgi.errors"], method)), method
    if "wsgi.file_wrapper" in environ:
        assert callable(environ["wsgi.file_wrapper"])


@pytest.mark.parametrize(
    "req",
    [
        request("/"),
        post(b"hello"),
        post(b""),
        post(b"hello world", framing=Framing.CHUNKED, chunk_sizes=(3, 8)),
        post(b"line1\nline2\n", framing=Framing.CHUNKED),
        post(b"x" * 100_000),
    ],
    ids=["none", "content-length", "empty", "chunked", "chunked-lines", "large"],
)
def test_wsgi_input_gives_exactly_the_body(req: Request) -> None:
    stream = environ_of(req)["wsgi.input"]
    assert stream.read() == req.body
    assert stream.read() == b""
    assert stream.read(10) == b""


def test_wsgi_errors_collects_text() -> None:
    errors = environ_of(request("/"))["wsgi.errors"]
    errors.write("one\n")
    errors.writelines(["two\n", "caf\u20ac\n"])
    errors.flush()
    assert errors.getvalue() == "one\ntwo\ncaf\u20ac\n"


def test_remote_address() -> None:
    check(environ_of(request("/")), {"REMOTE_ADDR": "192.0.2.1", "REMOTE_PORT": "40000"})
    check(environ_of(request("/"), remote=("::1", None)), {"REMOTE_ADDR": "::1"})
    check(environ_of(request("/"), remote=("::1", None)), {"REMOTE_PORT": ABSENT})
    check(environ_of(request("/"), remote=None), {"REMOTE_ADDR": ABSENT, "REMOTE_PORT": ABSENT})


def test_environ_is_fresh_each_time() -> None:
    """An app that mutates its environ must not change the next request's."""
    config = ServerConfig(script_name="/app")
    first = environ_of(request("/app/x"), config)
    first["SCRIPT_NAME"] = "/changed"
    first["QUERY_STRING"] = "changed"
    first["wsgi.version"] = (9, 9)
    second = environ_of(request("/app/y"), config)
    check(second, {"SCRIPT_NAME": "/app", "QUERY_STRING": "", "wsgi.version": (1, 0)})
    assert second["wsgi.input"] is not first["wsgi.input"]
    assert second["wsgi.errors"] is not first["wsgi.errors"]


# Origin-form targets: visible ASCII, raw obs-text, and percent escapes (valid or not).
origin_targets = st.lists(
    st.one_of(
        st.from_regex(r"[\x21-\x7e\x80-\xff]", fullmatch=True),
        st.from_regex(r"%[0-9A-Fa-f]{2}", fullmatch=True),
        st.just("%"),
    ),
    max_size=20,
).map(lambda parts: "/" + "".join(parts))


@given(origin_targets)
def test_path_info_is_the_cgi_decoding_of_the_path(target: str) -> None:
    """PATH_INFO is the path percent-decoded byte for byte, held as latin-1 (as CGI does)."""
    req = request(target)
    environ = environ_of(req)
    path, _, query = target.partition("?")
    assert environ["PATH_INFO"] == unquote(path, encoding="latin-1", errors="strict")
    assert environ["QUERY_STRING"] == query


def test_absolute_form_host_comes_from_the_target() -> None:
    """RFC 9112 §3.2.2: an origin server must ignore Host for an absolute-form target."""
    environ = environ_of(request("http://origin.example:8080/p"))
    check(environ, {"HTTP_HOST": "origin.example:8080"})


# -- ServerConfig choices ------------------------------------------------------------------------

MOUNT = ServerConfig(script_name="/app")

CONFIG_CASES = [
    pytest.param(
        MOUNT, request("/app/x/y"), {"SCRIPT_NAME": "/app", "PATH_INFO": "/x/y"}, id="mount"
    ),
    pytest.param(
        MOUNT, request("/app"), {"SCRIPT_NAME": "/app", "PATH_INFO": ""}, id="mount-exact"
    ),
    pytest.param(
        MOUNT, request("/app/"), {"SCRIPT_NAME": "/app", "PATH_INFO": "/"}, id="mount-slash"
    ),
    pytest.param(
        MOUNT,
        request("/app?x=1"),
        {"SCRIPT_NAME": "/app", "PATH_INFO": "", "QUERY_STRING": "x=1"},
        id="mount-exact-query",
    ),
    pytest.param(
        MOUNT,
        request("/app/caf%C3%A9"),
        {"SCRIPT_NAME": "/app", "PATH_INFO": "/caf\xc3\xa9"},
        id="mount-percent-path",
    ),
    pytest.param(
        MOUNT,
        request("/app/caf\xe9%20x"),
        {"SCRIPT_NAME": "/app", "PATH_INFO": "/caf\xe9 x"},
        id="mount-raw-latin-1-and-percent",
    ),
    pytest.param(
        MOUNT,
        request("/%61pp/x"),
        {"SCRIPT_NAME": "/app", "PATH_INFO": "/x"},
        id="mount-matched-after-decoding",
    ),
    pytest.param(
        MOUNT,
        request("http://h/app/x?q"),
        {"SCRIPT_NAME": "/app", "PATH_INFO": "/x", "QUERY_STRING": "q"},
        id="mount-absolute-form",
    ),
    pytest.param(
        ServerConfig(script_name="/a/b"),
        request("/a/b/c"),
        {"SCRIPT_NAME": "/a/b", "PATH_INFO": "/c"},
        id="mount-two-segments",
    ),
    pytest.param(
        ServerConfig(empty_query_string="omit"),
        request("/a"),
        {"QUERY_STRING": ABSENT},
        id="omit-query-none",
    ),
    pytest.param(
        ServerConfig(empty_query_string="omit"),
        request("/a?"),
        {"QUERY_STRING": ABSENT},
        id="omit-query-empty",
    ),
    pytest.param(
        ServerConfig(empty_query_string="omit"),
        request("/a?x"),
        {"QUERY_STRING": "x"},
        id="omit-query-present",
    ),
    pytest.param(
        ServerConfig(no_body_content_length="empty"),
        request("/"),
        {"CONTENT_LENGTH": ""},
        id="content-length-empty-no-body",
    ),
    pytest.param(
        ServerConfig(no_body_content_length="empty"),
        post(b"abc"),
        {"CONTENT_LENGTH": "3"},
        id="content-length-empty-with-body",
    ),
    pytest.param(
        ServerConfig(no_body_content_length="empty"),
        post(b"abc", framing=Framing.CHUNKED),
        {"CONTENT_LENGTH": ABSENT},
        id="content-length-empty-chunked",
    ),
    pytest.param(
        ServerConfig(file_wrapper=False), request("/"), {"wsgi.file_wrapper": ABSENT}, id="no-fw"
    ),
    pytest.param(
        ServerConfig(input_terminated_always=False),
        request("/"),
        {"wsgi.input_terminated": ABSENT},
        id="input-terminated-no-body",
    ),
    pytest.param(
        ServerConfig(input_terminated_always=False),
        post(b"abc"),
        {"wsgi.input_terminated": ABSENT},
        id="input-terminated-content-length",
    ),
    pytest.param(
        ServerConfig(input_terminated_always=False),
        post(b"abc", framing=Framing.CHUNKED),
        {"wsgi.input_terminated": True},
        id="input-terminated-chunked",
    ),
    pytest.param(
        ServerConfig(),
        request("/"),
        {
            "wsgi.input_terminated": True,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "wsgi.url_scheme": "http",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "QUERY_STRING": "",
        },
        id="defaults",
    ),
    pytest.param(
        ServerConfig(multithread=True, multiprocess=False, run_once=True),
        request("/"),
        {"wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": True},
        id="flags-thread",
    ),
    pytest.param(
        ServerConfig(multithread=False, multiprocess=True),
        request("/"),
        {"wsgi.multithread": False, "wsgi.multiprocess": True},
        id="flags-process",
    ),
    pytest.param(
        ServerConfig(url_scheme="https", server_name="srv", server_port="8443"),
        request("/"),
        {"wsgi.url_scheme": "https", "SERVER_NAME": "srv", "SERVER_PORT": "8443"},
        id="scheme-name-port",
    ),
    pytest.param(
        ServerConfig(server_software="probe/1"),
        request("/"),
        {"SERVER_SOFTWARE": "probe/1"},
        id="server-software",
    ),
]


@pytest.mark.parametrize(("config", "req", "expected"), CONFIG_CASES)
def test_server_config_choices(
    config: ServerConfig, req: Request, expected: dict[str, object]
) -> None:
    check(environ_of(req, config), expected)


def test_file_wrapper_offered_by_default() -> None:
    wrapper = environ_of(request("/"))["wsgi.file_wrapper"]

    class Source:
        def __init__(self) -> None:
            self.parts = [b"ab", b"c", b""]
            self.closed = False

        def read(self, size: int) -> bytes:
            return self.parts.pop(0)

        def close(self) -> None:
            self.closed = True

    source = Source()
    wrapped = wrapper(source, 4)
    assert list(wrapped) == [b"ab", b"c"]
    wrapped.close()
    assert source.closed


def test_short_reads() -> None:
    """``max_read`` caps ``read(n)``; ``read()`` still returns all the rest (PEP 3333)."""
    stream = environ_of(post(b"abcdef\nxyz"), ServerConfig(max_read=2))["wsgi.input"]
    assert stream.read(10) == b"ab"
    assert stream.read(3) == b"cd"
    assert stream.read() == b"ef\nxyz"
    assert stream.read() == b""


def test_dataclasses_replace_rebuilds_the_template() -> None:
    config = dataclasses.replace(ServerConfig(), script_name="/m", empty_query_string="omit")
    check(environ_of(request("/m/x"), config), {"SCRIPT_NAME": "/m", "QUERY_STRING": ABSENT})


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"script_name": "app"}, id="script-name-no-slash"),
        pytest.param({"script_name": "/app/"}, id="script-name-trailing-slash"),
        pytest.param({"script_name": "/"}, id="script-name-root-slash"),
        pytest.param({"script_name": "/\u20ac"}, id="script-name-not-latin-1"),
        pytest.param({"server_name": ""}, id="server-name-empty"),
        pytest.param({"server_port": ""}, id="server-port-empty"),
        pytest.param({"server_port": "http"}, id="server-port-name"),
        pytest.param({"server_port": "-1"}, id="server-port-negative"),
        pytest.param({"server_port": " 80"}, id="server-port-space"),
        pytest.param({"server_port": "\u0668\u0660"}, id="server-port-arabic-indic-digits"),
        pytest.param({"server_port": "\xb2"}, id="server-port-superscript"),
        pytest.param({"max_read": 0}, id="max-read-zero"),
        pytest.param({"max_read": -1}, id="max-read-negative"),
    ],
)
def test_server_config_validation(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(changes))):
        ServerConfig(**changes)


def test_server_config_is_frozen() -> None:
    config = ServerConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.script_name = "/x"  # type: ignore[misc]


# -- environ_key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Host", "HTTP_HOST"),
        ("x-forwarded-for", "HTTP_X_FORWARDED_FOR"),
        ("Content-Type", "CONTENT_TYPE"),
        ("CONTENT-TYPE", "CONTENT_TYPE"),
        ("X_Auth", None),
        ("_", None),
        ("Content_Type", None),
        ("X.Dotted", "HTTP_X.DOTTED"),
    ],
)
def test_environ_key(name: str, key: str | None) -> None:
    assert environ_key(name) == key
    assert environ_key(name) == key  # the cached answer agrees


# -- requests the server refuses -----------------------------------------------------------------

REFUSALS = [
    pytest.param(Request(target="/"), ServerConfig(), 400, True, id="http-1.1-without-host"),
    pytest.param(request("/", HOST), ServerConfig(), 400, True, id="two-hosts"),
    pytest.param(request("/", ("host", "other")), ServerConfig(), 400, True, id="two-hosts-cased"),
    pytest.param(
        Request(http_version="1.0", headers=(HOST, HOST)), ServerConfig(), 400, True, id="1.0-two"
    ),
    pytest.param(Request(headers=(("Host", "a b"),)), ServerConfig(), 400, True, id="host-space"),
    pytest.param(Request(headers=(("Host", "a/b"),)), ServerConfig(), 400, True, id="host-path"),
    pytest.param(
        Request(headers=(("Host", "u@h"),)), ServerConfig(), 400, True, id="host-userinfo"
    ),
    pytest.param(Request(headers=(("Host", "h?q"),)), ServerConfig(), 400, True, id="host-query"),
    pytest.param(
        Request(headers=(("Host", "h#f"),)), ServerConfig(), 400, True, id="host-fragment"
    ),
    pytest.param(Request(headers=(("Host", "a\\b"),)), ServerConfig(), 400, True, id="host-bslash"),
    pytest.param(request("*"), ServerConfig(), 400, True, id="get-asterisk"),
    pytest.param(request("*", method="POST"), MOUNT, 400, True, id="post-asterisk-mounted"),
    pytest.param(
        request("example.org:443", method="CONNECT"), ServerConfig(), 501, True, id="connect"
    ),
    pytest.param(request("[::1]:8080", method="CONNECT"), MOUNT, 501, True, id="connect-ipv6"),
    pytest.param(request("/", method="CONNECT"), ServerConfig(), 400, True, id="connect-origin"),
    pytest.param(request("*", method="CONNECT"), ServerConfig(), 400, True, id="connect-asterisk"),
    pytest.param(
        request("http://h:443/", method="CONNECT"), ServerConfig(), 400, True, id="connect-absolute"
    ),
    pytest.param(
        request("example.org", method="CONNECT"), ServerConfig(), 400, True, id="connect-no-port"
    ),
    pytest.param(request("example.org:443"), ServerConfig(), 400, True, id="get-authority-form"),
    pytest.param(request("example.org"), ServerConfig(), 400, True, id="bare-host-target"),
    pytest.param(request("ftp://h/p"), ServerConfig(), 400, True, id="absolute-other-scheme"),
    pytest.param(request("http:/p"), ServerConfig(), 400, True, id="absolute-one-slash"),
    pytest.param(request("/apple"), MOUNT, 404, False, id="outside-mount-prefix-of-name"),
    pytest.param(request("/"), MOUNT, 404, False, id="outside-mount-root"),
    pytest.param(request("/ap"), MOUNT, 404, False, id="outside-mount-shorter"),
    pytest.param(request("/other/app"), MOUNT, 404, False, id="outside-mount-elsewhere"),
    pytest.param(request("http://h/apple"), MOUNT, 404, False, id="outside-mount-absolute"),
]


@pytest.mark.parametrize(("req", "config", "status", "close"), REFUSALS)
def test_request_problem_refuses(
    req: Request, config: ServerConfig, status: int, close: bool
) -> None:
    refusal = request_problem(req, config)
    assert refusal is not None
    assert (refusal.status, refusal.close) == (status, close)
    assert refusal.reason == {400: "Bad Request", 404: "Not Found", 501: "Not Implemented"}[status]
    assert refusal.message
    # The same request is refused the same way again (nothing invalid is cached as valid).
    assert request_problem(req, config) == refusal


ACCEPTED = [
    pytest.param(Request(http_version="1.0"), ServerConfig(), id="http-1.0-without-host"),
    pytest.param(request("/"), ServerConfig(), id="http-1.1-with-host"),
    pytest.param(Request(headers=(("hOsT", "h"),)), ServerConfig(), id="host-any-case"),
    pytest.param(Request(headers=(("Host", "h:8080"),)), ServerConfig(), id="host-port"),
    pytest.param(Request(headers=(("Host", "[::1]:80"),)), ServerConfig(), id="host-ipv6"),
    pytest.param(Request(headers=(("Host", " h\t"),)), ServerConfig(), id="host-ows"),
    pytest.param(Request(headers=(("Host", ""),)), ServerConfig(), id="host-empty"),
    pytest.param(request("*", method="OPTIONS"), ServerConfig(), id="options-asterisk"),
    pytest.param(request("*", method="OPTIONS"), MOUNT, id="options-asterisk-mounted"),
    pytest.param(request("http://h/p"), ServerConfig(), id="absolute-form"),
    pytest.param(request("https://h"), ServerConfig(), id="absolute-form-https-no-path"),
    pytest.param(request("/app"), MOUNT, id="mount-exact"),
    pytest.param(request("/app/"), MOUNT, id="mount-slash"),
    pytest.param(request("/app?q"), MOUNT, id="mount-query"),
    pytest.param(request("/%61pp/x"), MOUNT, id="mount-encoded"),
    pytest.param(request("//a"), ServerConfig(), id="double-slash"),
]


@pytest.mark.parametrize(("req", "config"), ACCEPTED)
def test_request_problem_accepts(req: Request, config: ServerConfig) -> None:
    assert request_problem(req, config) is None
    assert request_problem(req, config) is None


def test_caches_stay_correct_when_they_overflow() -> None:
    """The memo tables behind Host validation and header keys are bounded, never wrong."""
    for number in range(1100):
        assert request_problem(Request(headers=(("Host", f"h{number}"),)), ServerConfig()) is None
    bad = request_problem(Request(headers=(("Host", "bad host"),)), ServerConfig())
    assert bad is not None
    assert bad.status == 400
    assert request_problem(Request(headers=(("Host", "h0"),)), ServerConfig()) is None
    for number in range(4200):
        assert environ_key(f"X-Name-{number}") == f"HTTP_X_NAME_{number}"
        assert environ_key(f"X_Name_{number}") is None
    assert environ_key("Content-Type") == "CONTENT_TYPE"
    check(environ_of(request("/", ("X-Name-1", "v"))), {"HTTP_X_NAME_1": "v"})
