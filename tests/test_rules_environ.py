"""The ENVIRON rules, one table row per environ: which rules fire, and which must stay quiet.

Each row starts from wsgicheck's own environ for a request (known to pass every rule) and
changes a few keys, as a broken server would. Rows assert the exact set of rule ids that
fire, never messages. The quiet rows include the false positives of wsgiref.validate,
Werkzeug's lint and WebTest's lint that the catalogue lists.
"""

from __future__ import annotations

import io
import re
import sys
from collections import UserDict
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsgicheck import strategies
from wsgicheck.core.environ import ServerConfig, build_environ, request_problem
from wsgicheck.drivers.validation import validator
from wsgicheck.model.request import Framing, Request
from wsgicheck.model.response import Response
from wsgicheck.rules import REGISTRY, Binding, Exchange, Level, check_exchange, evaluate

ENV_RULES = [each for each in REGISTRY if each.binding is Binding.ENVIRON]
HOST = ("Host", "localhost")
DELETE = object()  # a change meaning "remove this key"
REMOTE = ("192.0.2.7", 40000)
TWO_ACCEPTS = Request(target="/", headers=(HOST, ("Accept", "text/plain"), ("Accept", "text/html")))


def req(target: str = "/", *headers: tuple[str, str], **fields: Any) -> Request:
    """A request for ``target`` with a Host header (none for HTTP/1.0), then ``headers``."""
    host = () if fields.get("http_version") == "1.0" else (HOST,)
    return Request(target=target, headers=(*host, *headers), **fields)


def exchange(
    changes: dict[Any, Any] | None = None,
    request: Request | None = None,
    *,
    config: ServerConfig | None = None,
    source: str = "memory",
    environ_type: type = dict,
    remote: tuple[str, int | None] | None = REMOTE,
) -> Exchange:
    """The exchange of ``request``, with wsgicheck's environ for it changed by ``changes``."""
    request = request or req()
    config = config or ServerConfig()
    assert request_problem(request, config) is None
    environ = build_environ(request, config, body=request.body, log=[], remote=remote)
    for key, value in (changes or {}).items():
        if value is DELETE:
            del environ[key]
        else:
            environ[key] = value
    response = Response(request, 200, "OK", [], b"", True, environ, [])
    return Exchange(response, source=source, environ_type=environ_type)


def fired(ex: Exchange) -> set[str]:
    return {finding.rule for finding in check_exchange(ex, ENV_RULES)}


def test_the_environ_rules_are_the_catalogues() -> None:
    ids = {each.id for each in ENV_RULES}
    # 28, the three *-ACCURATE rules only `wsgicheck probe` feeds (environ_probe.py), and
    # ENV-HTTP-VALUES from the CGI specification the PEP defers to.
    assert len(ids) == 32
    must = {each.id for each in ENV_RULES if each.level is Level.MUST}
    assert len(must) == 23
    assert all(each.pep and each.summary and each.example for each in ENV_RULES)


# -- wsgicheck's own environ passes every rule, whatever the server's choices ------------------


CONFIGS = [
    ServerConfig(),
    ServerConfig(script_name="/app", empty_query_string="omit", no_body_content_length="empty"),
    ServerConfig(url_scheme="https", server_port="443", file_wrapper=False),
    ServerConfig(server_name="srv", server_port="8080", input_terminated_always=False),
    ServerConfig(multithread=True, multiprocess=True, run_once=True, max_read=1),
]

OWN_REQUESTS = [
    req("/"),
    req("/a%20b/c%2Fd?x=%25&y=1"),
    req("/caf%C3%A9/\xe9"),
    req("/a/../b//c?#frag"),
    req("/x", ("X-A", "1"), ("X_B", "2"), ("Cookie", "a=1"), ("Cookie", "b=2")),
    Request(target="/x", headers=(("Host", "Example.COM:80"),)),
    req("/x", ("Expect", "100-continue"), ("Connection", "keep-alive, X-Hop"), ("X-Hop", "1")),
    req("/x", ("Content-Type", "")),
    req("/x", ("X.Foo!", "dotted names are tokens too")),
    req(
        "/p",
        ("Content-Type", "text/plain"),
        method="POST",
        body=b"abc",
        framing=Framing.CONTENT_LENGTH,
    ),
    req("/p", method="PUT", body=b"abc", framing=Framing.CHUNKED, chunk_sizes=(1, 2)),
    req("/p", method="POST", framing=Framing.CONTENT_LENGTH),
    req("/x", method="PROPFIND"),
    req("/x", method="HEAD", http_version="1.0"),
    req("http://example.com:8080/abs?q", http_version="1.0"),
    req("http://other.example/abs"),
    req("*", method="OPTIONS"),
]


def _mounted(request: Request, config: ServerConfig) -> Request:
    """``request`` under the config's mount prefix (after the authority of an absolute URL)."""
    match = re.fullmatch(r"([a-z]+://[^/]*)?(/.*)", request.target)
    if not config.script_name or match is None:
        return request
    authority, path = match.groups()
    return request.replace(target=(authority or "") + config.script_name + path)


@pytest.mark.parametrize("config", CONFIGS, ids=[f"config{n}" for n in range(len(CONFIGS))])
@pytest.mark.parametrize("request_", OWN_REQUESTS, ids=lambda r: f"{r.method} {r.target}")
def test_wsgichecks_own_environ_passes_every_rule(config: ServerConfig, request_: Request) -> None:
    assert fired(exchange(request=_mounted(request_, config), config=config)) == set()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), strategies.server_configs())
def test_any_generated_request_passes_every_rule(data: st.DataObject, config: ServerConfig) -> None:
    request = data.draw(strategies.requests(prefix=config.script_name, raw_bytes=True))
    if request_problem(request, config) is None:
        assert fired(exchange(request=request, config=config)) == set()


# -- rows: broken environs and the rules they trip --------------------------------------------


class OnlyRead:
    def read(self, size: int = -1) -> bytes:
        return b""


class NoSizeRead(OnlyRead):
    def read(self) -> bytes:  # type: ignore[override]
        return b""

    def readline(self) -> bytes:
        return b""

    def readlines(self) -> list[bytes]:
        return []

    def __iter__(self) -> Iterator[bytes]:
        return iter([])


class NotIterable(OnlyRead):
    """Like cheroot's ChunkedRFile: every method but __iter__."""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []


class IterNone(NotIterable):
    __iter__ = None  # Python's way of saying "not iterable"


class WriteOnly:
    def write(self, text: str) -> int:
        return len(text)


class LogStream(io.RawIOBase):
    """Like gunicorn's WSGIErrorsWrapper: an io.RawIOBase subclass whose write() takes str."""

    def write(self, data: Any) -> int:
        return len(data)


class FileWrapper:
    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike


def one_arg_wrapper(filelike: Any) -> Iterator[bytes]:
    return iter([])


def two_arg_wrapper(filelike: Any, blksize: int) -> Iterator[bytes]:
    return iter([])


POST = req(
    "/p", ("Content-Type", "text/plain"), method="POST", body=b"abc", framing=Framing.CONTENT_LENGTH
)
CHUNKED = req("/p", method="POST", body=b"abcde", framing=Framing.CHUNKED)
EMPTY_POST = req("/p", method="POST", body=b"", framing=Framing.CONTENT_LENGTH)
HEAD = req("/", method="HEAD")
OPTIONS = req("*", method="OPTIONS")
HTTP10 = req("/", http_version="1.0")

#: (expected rule ids, changes to the environ, request); memory source, request known.
BROKEN: list[Any] = [
    # ENV-DICT-BUILTIN is in its own test (the environ's type, not its keys).
    ({"ENV-REQUEST-METHOD"}, {"REQUEST_METHOD": DELETE}, None),
    ({"ENV-REQUEST-METHOD"}, {"REQUEST_METHOD": ""}, None),
    ({"ENV-REQUEST-METHOD"}, {"REQUEST_METHOD": "GET /"}, None),
    ({"ENV-REQUEST-METHOD"}, {"REQUEST_METHOD": "GET"}, HEAD),
    ({"ENV-SCRIPT-NAME", "ENV-URL-RECONSTRUCTABLE"}, {"SCRIPT_NAME": "app"}, None),
    ({"ENV-PATH-INFO", "ENV-URL-RECONSTRUCTABLE"}, {"PATH_INFO": "x"}, req("/x")),
    ({"ENV-PATH-INFO", "ENV-URL-RECONSTRUCTABLE"}, {"PATH_INFO": "*"}, None),
    ({"ENV-QUERY-STRING"}, {"QUERY_STRING": "a=1&b=2"}, req("/?a=1%26b=2")),
    ({"ENV-QUERY-STRING"}, {"QUERY_STRING": DELETE}, req("/?a=1")),
    ({"ENV-QUERY-STRING"}, {"QUERY_STRING": "?a=1"}, req("/?a=1")),
    ({"ENV-HTTP-VARS"}, {"HTTP_CONTENT_TYPE": "text/plain"}, POST),
    ({"ENV-CONTENT-TYPE"}, {"CONTENT_TYPE": "text/plain"}, None),  # wsgiref.simple_server
    ({"ENV-CONTENT-TYPE"}, {"CONTENT_TYPE": "text/html"}, POST),
    ({"ENV-HTTP-VARS"}, {"HTTP_CONTENT_LENGTH": "3"}, POST),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": "three"}, POST),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": "-1"}, None),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": "5"}, POST),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": DELETE}, POST),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": "4"}, CHUNKED),
    ({"ENV-CONTENT-LENGTH"}, {"CONTENT_LENGTH": "7"}, None),
    ({"ENV-SERVER-NAME"}, {"SERVER_NAME": DELETE}, None),
    ({"ENV-SERVER-NAME"}, {"SERVER_NAME": ""}, None),
    ({"ENV-SERVER-PORT"}, {"SERVER_PORT": DELETE}, None),
    ({"ENV-SERVER-PORT"}, {"SERVER_PORT": ""}, None),
    ({"ENV-SERVER-PORT"}, {"SERVER_PORT": "http"}, None),
    ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": DELETE}, None),
    ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": ""}, None),
    ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": "HTTP 1.1"}, None),
    ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": "HTTP/1.0"}, None),
    ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": "HTTP/1.1"}, HTTP10),
    ({"ENV-HTTP-VARS"}, {"HTTP_USER_AGENT": DELETE}, req("/", ("User-Agent", "x"))),
    ({"ENV-HTTP-VARS"}, {"HTTP_PROXY": "http://evil:8080"}, None),  # httpoxy
    (
        {"ENV-HTTP-VARS"},
        {"HTTP_user_agent": "x", "HTTP_USER_AGENT": DELETE},
        req("/", ("User-Agent", "x")),
    ),
    ({"ENV-HTTP-VARS"}, {"HTTP_X-FOO": "1"}, None),
    ({"ENV-HTTP-VARS"}, {"HTTP_": "1"}, None),
    (
        {"ENV-HTTP-VARS", "ENV-URL-RECONSTRUCTABLE"},
        {"HTTP_HOST": DELETE, "SERVER_NAME": "10.0.0.1"},
        None,
    ),
    # Accept twice: joined with nothing between (bjoern), or only the last kept.
    ({"ENV-HTTP-VALUES"}, {"HTTP_ACCEPT": "text/plaintext/html"}, TWO_ACCEPTS),
    ({"ENV-HTTP-VALUES"}, {"HTTP_ACCEPT": "text/html"}, TWO_ACCEPTS),
    ({"ENV-HTTP-VALUES"}, {"HTTP_ACCEPT": "text/plain"}, TWO_ACCEPTS),
    ({"ENV-HTTP-VALUES"}, {"HTTP_USER_AGENT": ""}, req("/", ("User-Agent", "caf\xc3\xa9"))),
    ({"ENV-HTTP-VALUES"}, {"HTTP_USER_AGENT": "y"}, req("/", ("User-Agent", "x"))),
    ({"ENV-EXTRA-CGI-VARS"}, {"REMOTE_ADDR": DELETE}, None),
    # fastwsgi 0.0.9: the peer's port, byte-swapped, glued on (a probe trial of 2026-12-06).
    ({"ENV-EXTRA-CGI-VARS"}, {"REMOTE_ADDR": "127.0.0.1:24296"}, None),
    ({"ENV-EXTRA-CGI-VARS"}, {"REMOTE_ADDR": "localhost"}, None),
    ({"ENV-MISSING-OMITTED"}, {"REMOTE_USER": ""}, None),
    ({"ENV-MISSING-OMITTED"}, {"AUTH_TYPE": ""}, None),
    ({"ENV-CGI-STR"}, {"PATH_INFO": b"/"}, None),
    ({"ENV-CGI-STR"}, {"SERVER_PORT": 80}, None),
    ({"ENV-CGI-STR"}, {"REMOTE_PORT": 40000}, None),
    ({"ENV-CGI-STR"}, {"CONTENT_LENGTH": 3}, POST),
    ({"ENV-CGI-STR"}, {"SOME_OS_VAR": None}, None),
    ({"ENV-STR-LATIN1"}, {"PATH_INFO": "/snow\u2603"}, req("/snow%E2%98%83")),
    ({"ENV-STR-LATIN1"}, {"HTTP_X_NAME": "\u0100"}, req("/", ("X-Name", "\xc4\x80"))),
    ({"ENV-STR-LATIN1"}, {"SSL_CLIENT_S_DN_CN": "\u7528\u6237"}, None),
    ({"ENV-STR-LATIN1"}, {"REQUEST_URI": "/snow\u2603"}, None),
    ({"ENV-STR-LATIN1", "ENV-URL-SCHEME"}, {"wsgi.url_scheme": "htt\u03c1"}, None),
    ({"ENV-WSGI-VERSION"}, {"wsgi.version": DELETE}, None),
    ({"ENV-WSGI-VERSION"}, {"wsgi.version": [1, 0]}, None),
    ({"ENV-WSGI-VERSION"}, {"wsgi.version": (1, 1)}, None),
    ({"ENV-WSGI-VERSION"}, {"wsgi.version": "1.0"}, None),
    ({"ENV-URL-SCHEME"}, {"wsgi.url_scheme": DELETE}, None),
    ({"ENV-URL-SCHEME"}, {"wsgi.url_scheme": b"http"}, None),
    ({"ENV-URL-SCHEME"}, {"wsgi.url_scheme": ""}, None),
    ({"ENV-URL-SCHEME"}, {"wsgi.url_scheme": "http://"}, None),
    ({"ENV-INPUT-PRESENT"}, {"wsgi.input": DELETE}, None),
    ({"ENV-INPUT-METHODS"}, {"wsgi.input": OnlyRead()}, None),
    ({"ENV-INPUT-METHODS"}, {"wsgi.input": NoSizeRead()}, None),
    ({"ENV-INPUT-METHODS"}, {"wsgi.input": NotIterable()}, None),
    ({"ENV-INPUT-METHODS"}, {"wsgi.input": IterNone()}, None),
    ({"ENV-INPUT-METHODS"}, {"wsgi.input": None}, None),
    ({"ENV-ERRORS-PRESENT"}, {"wsgi.errors": DELETE}, None),
    ({"ENV-ERRORS-METHODS"}, {"wsgi.errors": WriteOnly()}, None),
    ({"ENV-ERRORS-TEXT"}, {"wsgi.errors": io.BytesIO()}, None),
    ({"ENV-ERRORS-TEXT"}, {"wsgi.errors": io.BufferedWriter(io.BytesIO())}, None),
    ({"ENV-MULTITHREAD-PRESENT"}, {"wsgi.multithread": DELETE}, None),
    ({"ENV-MULTIPROCESS-PRESENT"}, {"wsgi.multiprocess": DELETE}, None),
    ({"ENV-RUN-ONCE-PRESENT"}, {"wsgi.run_once": DELETE}, None),
    ({"ENV-FILE-WRAPPER-SIGNATURE"}, {"wsgi.file_wrapper": True}, None),
    ({"ENV-FILE-WRAPPER-SIGNATURE"}, {"wsgi.file_wrapper": one_arg_wrapper}, None),
    ({"ENV-FILE-WRAPPER-SIGNATURE"}, {"wsgi.file_wrapper": two_arg_wrapper}, None),
    ({"ENV-EXT-VAR-NAMING"}, {"MyServer.Connection": object()}, None),
    ({"ENV-EXT-VAR-NAMING"}, {"myserver-socket.fd": 3}, None),
    ({"ENV-EXT-VAR-NAMING"}, {b"PATH_INFO": b"/"}, None),
    # eventlet's own key, unprefixed: named as no CGI variable is, so not ENV-CGI-STR's.
    ({"ENV-EXT-VAR-NAMING"}, {"headers_raw": (("Host", "localhost"),)}, None),
    ({"ENV-EXT-VAR-NAMING"}, {"Socket": object()}, None),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"PATH_INFO": "/a%20b"}, req("/a%20b")),  # not decoded
    # Hypercorn 0.18: an int SERVER_PORT, and %E9 made U+FFFD's UTF-8 bytes; the path is
    # judged though no host can be rebuilt from the port (probe audit of 2026-12-05).
    (
        {"ENV-CGI-STR", "ENV-URL-RECONSTRUCTABLE"},
        {"SERVER_PORT": 80, "PATH_INFO": "/caf\xef\xbf\xbd"},
        req("/caf%E9"),
    ),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"PATH_INFO": "/a "}, req("/a%2520")),  # decoded twice
    ({"ENV-URL-RECONSTRUCTABLE"}, {"PATH_INFO": "/caf\xc3\xa9"}, req("/caf%E9")),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"HTTP_HOST": "internal:8080"}, None),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"SCRIPT_NAME": "/app/", "PATH_INFO": "/x"}, req("/app/x")),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"SCRIPT_NAME": "/", "PATH_INFO": "/x"}, req("/x")),
    ({"ENV-URL-RECONSTRUCTABLE"}, {"HTTP_HOST": "localhost"}, req("http://example.com/")),
]


def test_an_empty_host_is_no_host_to_rebuild() -> None:
    """``Host:`` with no value (RFC 9112 §3.2: a target URI without an authority) names no
    host: the PEP's algorithm takes SERVER_NAME then, which is never empty, and no server
    could pass a comparison with ''. The host asked is still compared when there is one."""
    empty = Request(target="/", headers=(("Host", ""),))
    assert fired(exchange(None, empty)) == set()
    asked = Request(target="/", headers=(("Host", "example.com"),))
    assert fired(exchange({"HTTP_HOST": "", "SERVER_NAME": "other"}, asked)) == {
        "ENV-URL-RECONSTRUCTABLE"
    }


@pytest.mark.parametrize(
    ("value", "request_", "message"),
    [
        (
            "text/plaintext/html",
            TWO_ACCEPTS,
            "HTTP_ACCEPT is 'text/plaintext/html'; the request's Accept field lines: "
            "'text/plain' and 'text/html' (joined with nothing between them)",
        ),
        (
            "text/html",
            TWO_ACCEPTS,
            "HTTP_ACCEPT is 'text/html'; the request's Accept field lines: 'text/plain' and "
            "'text/html' (only one of them kept)",
        ),
        (
            "caf\xe9",
            req("/", ("Accept", "caf\xc3\xa9")),
            "HTTP_ACCEPT is 'caf\xe9'; the request's Accept field line: 'caf\xc3\xa9' (decoded as "
            "UTF-8; PEP 3333 wants the bytes decoded as latin-1)",
        ),
        ("", req("/", ("Accept", "x")), "HTTP_ACCEPT is ''; the request's Accept field line: 'x'"),
        # An obs-fold handed on as it came (gevent 26.9, uWSGI 2.0, Paste 3.10; a probe
        # trial of 2026-12-06), though the values compare alike as lists.
        (
            "one\r\n two",
            req("/", ("Accept", "one two")),
            "HTTP_ACCEPT is 'one\\r\\n two': a line break of the request's head, passed on (an "
            "obs-fold, which RFC 9112 §5.2 has a server replace with spaces, or refuse with a 400)",
        ),
    ],
)
def test_a_changed_http_value_says_what_was_sent(
    value: str, request_: Request, message: str
) -> None:
    ex = exchange({"HTTP_ACCEPT": value}, request_)
    found = [each for each in check_exchange(ex, ENV_RULES) if each.rule == "ENV-HTTP-VALUES"]
    assert [each.message for each in found] == [message]


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        (
            "/a%2Fb/c",
            "/a%2Fb/c",
            "SCRIPT_NAME + PATH_INFO is '/a%2Fb/c': the encoded slash of the target's path "
            "'/a%2Fb/c' was kept encoded. CGI's PATH_INFO is decoded (RFC 3875 §4.1.5), and a "
            'server that will not decode an encoded "/" may refuse the request',
        ),
        # A slash the client sent plain, encoded by the server: no slash was kept encoded.
        (
            "/a%2Fb",
            "/a/b",
            "SCRIPT_NAME + PATH_INFO is '/a%2Fb'; the target's path '/a/b' decodes to '/a/b'",
        ),
        # Kept encoded beside another fault: the whole difference is shown.
        (
            "/a%2Fb/%E9",
            "/a%2Fb/%E9",
            "SCRIPT_NAME + PATH_INFO is '/a%2Fb/%E9'; the target's path '/a%2Fb/%E9' decodes to "
            "'/a/b/\xe9'",
        ),
    ],
)
def test_an_encoded_slash_kept_encoded_is_said_so(path: str, target: str, message: str) -> None:
    """Audit of 2026-12-05 (rocket3, socketify): the CGI basis of the decoded path, and a
    slash kept encoded told apart from a path that is not decoded at all."""
    found = check_exchange(exchange({"PATH_INFO": path}, req(target)), ENV_RULES)
    assert [each.message for each in found if each.rule == "ENV-URL-RECONSTRUCTABLE"] == [message]
    assert REGISTRY["ENV-URL-RECONSTRUCTABLE"].citation.startswith("RFC 3875 §4.1.5; PEP 3333")


@pytest.mark.parametrize(
    ("address", "request_", "message"),
    [
        (
            "\xed",
            req("/", ("X-Forwarded-For", "\xed")),
            "REMOTE_ADDR is '\xed': not an IPv4 or IPv6 address (RFC 3875 §4.1.8) (it is from "
            "the request's X-Forwarded-For field, '\xed': the server took the client's address "
            "from a field any client can send)",
        ),
        (
            "localhost",
            None,
            "REMOTE_ADDR is 'localhost': not an IPv4 or IPv6 address (RFC 3875 §4.1.8)",
        ),
        # A digit of the field's address is no address taken from it (review of 2026-12-07).
        (
            "2",
            req("/", ("X-Forwarded-For", "192.0.2.1")),
            "REMOTE_ADDR is '2': not an IPv4 or IPv6 address (RFC 3875 §4.1.8)",
        ),
        # A valid address from the field, where the client connected from loopback.
        (
            "192.0.2.1",
            req("/", ("X-Forwarded-For", "198.51.100.7, 192.0.2.1")),
            "REMOTE_ADDR is '192.0.2.1', not the address of the client that sent the request "
            "(RFC 3875 §4.1.8) (it is from the request's X-Forwarded-For field, '198.51.100.7, "
            "192.0.2.1': the server took the client's address from a field any client can "
            "send); behind a proxy that sets the field, that may be meant",
        ),
        (
            "2001:db8::1",
            req("/", ("Forwarded", 'for="[2001:db8::1]:4711";proto=http')),
            "REMOTE_ADDR is '2001:db8::1', not the address of the client that sent the request "
            "(RFC 3875 §4.1.8) (it is from the request's Forwarded field, "
            "'for=\"[2001:db8::1]:4711\";proto=http': the server took the client's address "
            "from a field any client can send); behind a proxy that sets the field, that may be "
            "meant",
        ),
        # The loopback address a client connects from, though a field names it too.
        ("127.0.0.1", req("/", ("X-Forwarded-For", "127.0.0.1")), None),
    ],
)
def test_a_remote_addr_from_a_forwarding_field_is_said_so(
    address: str, request_: Request | None, message: str | None
) -> None:
    """A trial of 2026-12-07: uvicorn (which trusts X-Forwarded-For from 127.0.0.1 by
    default) gave the probe's field value as REMOTE_ADDR, and the finding did not say where
    the value came from."""
    found = check_exchange(exchange({"REMOTE_ADDR": address}, request_), ENV_RULES)
    told = [each.message for each in found if each.rule == "ENV-EXTRA-CGI-VARS"]
    assert told == ([message] if message else [])


def _changes_id(changes: dict[Any, Any], request: Request | None) -> str:
    """A stable test id: the keys changed, and the request when it is not the default."""
    target = f" {request.method} {request.target}" if request else ""
    return f"{','.join(sorted(map(str, changes)))}{target}"


def _row_id(row: Any) -> str:
    expected, changes, request = row
    return f"{'+'.join(sorted(expected))}:{_changes_id(changes, request)}"


@pytest.mark.parametrize(("expected", "changes", "request_"), BROKEN, ids=map(_row_id, BROKEN))
def test_a_broken_environ_trips_its_rules(
    expected: set[str], changes: dict[Any, Any], request_: Request | None
) -> None:
    assert fired(exchange(changes, request_)) == expected


def test_the_messages_name_an_absent_content_length_and_an_unprefixed_key() -> None:
    found = check_exchange(exchange({"CONTENT_LENGTH": DELETE, "headers_raw": ()}, POST), ENV_RULES)
    assert sorted((each.rule, each.message) for each in found) == [
        ("ENV-CONTENT-LENGTH", "CONTENT_LENGTH is absent; the client sent Content-Length: 3"),
        (
            "ENV-EXT-VAR-NAMING",
            "'headers_raw' holds a tuple: a server's own key is named after the server, as "
            "myserver.headers_raw",
        ),
    ]


@pytest.mark.parametrize(
    "kind", [UserDict, type("Environ", (dict,), {})], ids=["UserDict", "dict-subclass"]
)
def test_an_environ_that_is_not_a_dict_trips_env_dict_builtin(kind: type) -> None:
    assert fired(exchange(environ_type=kind)) == {"ENV-DICT-BUILTIN"}


#: (changes, request): environs PEP 3333 allows, each a false positive somewhere.
QUIET: list[Any] = [
    ({"QUERY_STRING": DELETE}, None),  # wsgiref and WebTest warn; the PEP: "empty or absent"
    ({"QUERY_STRING": DELETE}, req("/?")),
    ({"QUERY_STRING": "a=1"}, req("/?a=1#frag")),
    ({"wsgi.url_scheme": "ws"}, None),  # wsgiref and WebTest want http or https
    ({"wsgi.url_scheme": "HTTPS"}, None),
    ({"wsgi.url_scheme": "svn+ssh"}, None),
    ({"SCRIPT_NAME": ""}, None),
    ({"SCRIPT_NAME": DELETE}, None),
    ({"REQUEST_METHOD": "PROPFIND"}, req("/", method="PROPFIND")),  # unknown method: fine
    ({"REQUEST_METHOD": "M-SEARCH"}, req("/", method="M-SEARCH")),
    ({"PATH_INFO": "*"}, OPTIONS),  # OPTIONS *
    ({"PATH_INFO": ""}, OPTIONS),
    ({"CONTENT_LENGTH": ""}, None),  # "May be empty or absent"
    ({"CONTENT_LENGTH": ""}, EMPTY_POST),  # Content-Length: 0 is no body, as "" says
    ({"CONTENT_LENGTH": DELETE}, EMPTY_POST),
    ({"lowercase_os_var": "1"}, None),  # an OS variable: a str, whatever its name
    ({"REMOTE_ADDR": "::1"}, None),  # IPv6
    ({"REMOTE_ADDR": "fe80::1%eth0"}, None),  # with its zone
    ({"REMOTE_ADDR": ""}, None),  # a Unix socket: no network address to give
    ({"CONTENT_LENGTH": "0"}, None),
    ({"CONTENT_LENGTH": "5"}, CHUNKED),  # a server that de-chunked the body says how long
    ({"CONTENT_LENGTH": "003"}, POST),
    ({"CONTENT_TYPE": ""}, None),
    ({"CONTENT_TYPE": " text/plain "}, POST),
    ({}, req("/", ("X_B", "1"))),  # a name with "_" may be dropped...
    ({"HTTP_X_B": "1"}, req("/", ("X_B", "1"))),  # ...or kept
    (
        {"HTTP_CONNECTION": DELETE, "HTTP_TE": DELETE},
        req("/", ("Connection", "TE"), ("TE", "trailers")),
    ),
    ({"HTTP_X_HOP": DELETE}, req("/", ("Connection", "X-Hop"), ("X-Hop", "1"))),
    ({"HTTP_EXPECT": DELETE}, req("/", ("Expect", "100-continue"))),
    ({"HTTP_TRANSFER_ENCODING": DELETE}, CHUNKED),
    ({"HTTP_HOST": "example.com"}, req("http://example.com/", http_version="1.0")),
    ({"HTTP_HOST": "localhost:80"}, None),  # the default port is the same URL
    ({"HTTP_HOST": "LOCALHOST"}, None),
    ({"HTTP_X.FOO": "1"}, req("/", ("X.Foo", "1"))),
    ({"REMOTE_HOST": ""}, None),  # CGI lets it be "" (wsgiref.simple_server does)
    ({"REMOTE_USER": "alice", "AUTH_TYPE": "Basic"}, None),
    ({"SOME_OS_VAR": ""}, None),
    ({"PROMPT": "\u276f ", "HOME": "/home/\u7528\u6237"}, None),  # OS variables keep their text
    ({"PATH_INFO": "/b"}, req("/a/../b")),  # canonical form: "rewrite rules"
    ({"PATH_INFO": "/a/b"}, req("//a///b")),
    ({"PATH_INFO": "/a///b"}, req("//a///b")),  # only the leading slashes (http.server)
    ({"PATH_INFO": ""}, req("/")),  # http://host and http://host/ are one URL
    ({"PATH_INFO": "/caf\xe9"}, req("/caf\xe9")),
    ({"PATH_INFO": "/a/b"}, req("/a%2Fb")),
    ({"SCRIPT_NAME": "/app", "PATH_INFO": ""}, req("/app")),
    ({"SCRIPT_NAME": "/app", "PATH_INFO": "/"}, req("/app/")),
    ({"SERVER_NAME": "10.0.0.1"}, HTTP10),  # no Host: nothing to compare with
    ({"SERVER_PROTOCOL": "HTTP/1.0"}, HTTP10),
    ({"wsgi.version": (1, 0)}, None),
    ({"wsgi.multithread": 0, "wsgi.multiprocess": "yes", "wsgi.run_once": None}, None),
    ({"wsgi.input": io.BytesIO()}, None),
    ({"wsgi.input": io.BufferedReader(io.BytesIO())}, None),
    ({"wsgi.errors": io.StringIO()}, None),
    ({"wsgi.errors": sys.stderr}, None),
    ({"wsgi.errors": LogStream()}, None),  # gunicorn's: binary by type, takes str
    ({"wsgi.file_wrapper": DELETE}, None),
    ({"wsgi.file_wrapper": FileWrapper}, None),  # a class, as in wsgiref and gunicorn
    ({"wsgi.file_wrapper": partial(FileWrapper)}, None),
    ({"wsgi.file_wrapper": lambda filelike, *args: iter([])}, None),
    ({"wsgi.input_terminated": True, "wsgi.early_hints": print}, None),
    # The forms of one value CGI allows: joined with "," or ", ", blanks trimmed.
    ({"HTTP_ACCEPT": "text/plain,text/html"}, TWO_ACCEPTS),
    ({"HTTP_ACCEPT": "text/plain ,\ttext/html "}, TWO_ACCEPTS),
    ({"HTTP_ACCEPT": "text/plain, , text/html"}, TWO_ACCEPTS),
    # Sent twice but no list: the client's fault (RFC 9110 §5.3; RFC 6265 §5.4 for Cookie).
    ({"HTTP_COOKIE": "b=2"}, req("/", ("Cookie", "a=1"), ("Cookie", "b=2"))),
    ({"HTTP_X_TRACE": "2"}, req("/", ("X-Trace", "1"), ("X-Trace", "2"))),
    # Apache keeps letters, digits and "-" in a name: the others' fields it may drop.
    ({"HTTP_X_PLUS+SIGN": DELETE, "HTTP_$X": DELETE}, req("/", ("X-Plus+Sign", "1"), ("$X", "2"))),
    # A name with "_" may be dropped or kept; a hop-by-hop field is the server's.
    ({"HTTP_X_A": "other"}, req("/", ("X-A", "1"), ("X_A", "2"))),
    ({"HTTP_CONNECTION": "close"}, req("/", ("Connection", "keep-alive"))),
    # waitress on a Unix socket, which has no TCP port: the socket's path (validator audit
    # of 2026-12-05); the PEP asks only that SERVER_PORT never be empty.
    ({"SERVER_PORT": "/run/app.sock"}, None),
    ({"gunicorn.socket": object(), "werkzeug.request": None, "paste.testing": True}, None),
    ({"mod_wsgi.process_group": "", "webob._parsed_query_vars": ()}, None),
    ({"x-wsgiorg.fdevent.readable": print, "uwsgi.version": b"2.0"}, None),
]


@pytest.mark.parametrize(("changes", "request_"), QUIET, ids=[_changes_id(*row) for row in QUIET])
def test_an_environ_the_pep_allows_trips_nothing(
    changes: dict[Any, Any], request_: Request | None
) -> None:
    assert fired(exchange(changes, request_)) == set()


# -- without the real request (wsgicheck.validator under another server) ------------------------

#: Rows that need the request the client sent: under the validator they stay quiet.
NEEDS_REQUEST: list[Any] = [
    ({"REQUEST_METHOD": "GET"}, HEAD),
    ({"SERVER_PROTOCOL": "HTTP/1.0"}, None),
    ({"QUERY_STRING": "a=1&b=2"}, req("/?a=1%26b=2")),
    ({"CONTENT_TYPE": "text/plain"}, None),
    ({"CONTENT_LENGTH": "5"}, POST),
    ({"HTTP_USER_AGENT": DELETE}, req("/", ("User-Agent", "x"))),
    ({"HTTP_ACCEPT": "text/plaintext/html"}, TWO_ACCEPTS),
    ({"REMOTE_ADDR": DELETE}, None),
    ({"PATH_INFO": "/a%20b"}, req("/a%20b")),
    ({"HTTP_HOST": "internal:8080"}, None),
    ({"SCRIPT_NAME": "/", "PATH_INFO": "/x"}, req("/x")),
]


@pytest.mark.parametrize(
    ("changes", "request_"), NEEDS_REQUEST, ids=[_changes_id(*row) for row in NEEDS_REQUEST]
)
def test_under_the_validator_comparisons_with_the_request_are_skipped(
    changes: dict[Any, Any], request_: Request | None
) -> None:
    ex = exchange(changes, request_, source="validator")
    assert fired(ex) == set()
    assert fired(exchange(changes, request_)) != set()


def test_under_the_validator_the_request_only_rules_report_skip() -> None:
    results = {
        result.rule.id: result.status
        for result in evaluate([exchange(source="validator")], ENV_RULES)
    }
    skipped = {rule_id for rule_id, status in results.items() if status == "skip"}
    probe_only = {"ENV-MULTITHREAD-ACCURATE", "ENV-MULTIPROCESS-ACCURATE", "ENV-RUN-ONCE-ACCURATE"}
    assert skipped == {
        "ENV-QUERY-STRING",
        "ENV-EXTRA-CGI-VARS",
        "ENV-HTTP-VALUES",
        "ENV-URL-RECONSTRUCTABLE",
        *probe_only,
    }
    assert set(results.values()) == {"pass", "skip"}


@pytest.mark.parametrize(
    ("expected", "changes"),
    [
        ({"ENV-HTTP-VARS"}, {"HTTP_user-agent": "x"}),
        ({"ENV-HTTP-VARS"}, {"HTTP_CONTENT_TYPE": "text/plain"}),
        ({"ENV-REQUEST-METHOD"}, {"REQUEST_METHOD": ""}),
        ({"ENV-SERVER-PROTOCOL"}, {"SERVER_PROTOCOL": "HTTP/1.1\r"}),
    ],
)
def test_under_the_validator_environ_only_checks_still_run(
    expected: set[str], changes: dict[str, Any]
) -> None:
    assert fired(exchange(changes, source="validator")) == expected


def test_no_environ_no_environ_rule() -> None:
    response = Response(req(), 400, "Bad Request", [], b"", True, None, [])
    assert not any(each.applies(Exchange(response)) for each in ENV_RULES)


# -- through wsgicheck.validator, under callers that are not wsgicheck -------------------------


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def minimal_environ(**changes: Any) -> dict[str, Any]:
    """What a hand-rolled test client builds: only the keys PEP 3333 requires."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(changes)
    return environ


def validated(environ: Any) -> set[str]:
    """The rules wsgicheck.validator reports for one call of ``hello`` on ``environ``."""
    checked = validator(hello, collect=True, select=["ENV-*"])
    result = checked(environ, lambda status, headers, exc_info=None: lambda data: None)
    list(result)
    result.close()
    return {finding.rule for finding in checked.findings}


def test_the_validator_finds_nothing_in_a_minimal_environ() -> None:
    assert validated(minimal_environ()) == set()


@pytest.mark.parametrize(
    ("expected", "environ"),
    [
        ({"ENV-DICT-BUILTIN"}, UserDict(minimal_environ())),
        ({"ENV-CGI-STR"}, minimal_environ(PATH_INFO=b"/")),
        ({"ENV-STR-LATIN1"}, minimal_environ(PATH_INFO="/\u2603")),
        (
            {"ENV-SERVER-PROTOCOL"},
            {k: v for k, v in minimal_environ().items() if k != "SERVER_PROTOCOL"},
        ),
        ({"ENV-ERRORS-TEXT"}, minimal_environ(**{"wsgi.errors": io.BytesIO()})),
    ],
    ids=["UserDict", "bytes", "not-latin-1", "no-protocol", "binary-errors"],
)
def test_the_validator_reports_a_broken_callers_environ(expected: set[str], environ: Any) -> None:
    assert validated(environ) == expected


def test_werkzeug_and_webtest_clients_trip_no_environ_rule() -> None:
    """Wrapping an app for an existing test suite must not warn about the test client."""
    webtest = pytest.importorskip("webtest")
    werkzeug_test = pytest.importorskip("werkzeug.test")
    checked = validator(hello, collect=True, select=["ENV-*"])
    app = webtest.TestApp(checked)
    app.get("/a%20b?x=1", headers={"X-Foo": "1"})
    app.post("/p", {"a": "b"})
    client = werkzeug_test.Client(checked)
    client.get("/caf%C3%A9?y=%20")
    client.post("/p", data={"a": "b"})
    assert checked.findings == []


def test_a_method_upper_cased_is_told_as_case_sensitive() -> None:
    """A probe trial of 2026-12-06: netius upper-cases "purge"; the PEP's words say nothing
    of case, RFC 9110 §9.1 does."""
    purge = req("/", method="purge")
    found = [
        each.message
        for each in check_exchange(exchange({"REQUEST_METHOD": "PURGE"}, purge), ENV_RULES)
    ]
    assert found == [
        "REQUEST_METHOD is 'PURGE'; the client sent 'purge': the method token is "
        "case-sensitive (RFC 9110 §9.1)"
    ]
    # Another method altogether says no more than that.
    other = check_exchange(exchange({"REQUEST_METHOD": "GET"}, HEAD), ENV_RULES)
    assert [each.message for each in other] == ["REQUEST_METHOD is 'GET'; the client sent 'HEAD'"]
