"""The request value: validation, immutability, derived views and the exact wire bytes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from wsgicheck.model.request import FRAMING_HEADERS, Framing, InvalidRequest, Request

HOST = ("Host", "example.org")


def make(**fields: Any) -> Request:
    """A valid request with ``fields`` changed (a Host header unless headers are given)."""
    fields.setdefault("headers", (HOST,))
    return Request(**fields)


# -- validation ----------------------------------------------------------------------------------

# Each row is a set of constructor arguments no conforming HTTP/1.x client could send.
INVALID = [
    pytest.param({"method": ""}, id="method-empty"),
    pytest.param({"method": "GE T"}, id="method-space"),
    pytest.param({"method": "GET/"}, id="method-delimiter"),
    pytest.param({"method": "G\u00c9T"}, id="method-non-ascii"),
    pytest.param({"method": b"GET"}, id="method-bytes"),
    pytest.param({"target": ""}, id="target-empty"),
    pytest.param({"target": "/a b"}, id="target-space"),
    pytest.param({"target": "/a\tb"}, id="target-tab"),
    pytest.param({"target": "/a\x00"}, id="target-nul"),
    pytest.param({"target": "/a\x7f"}, id="target-del"),
    pytest.param({"target": "/a\r\nX: y"}, id="target-crlf-injection"),
    pytest.param({"target": "/caf\u0100"}, id="target-not-latin-1"),
    pytest.param({"target": "/\u20ac"}, id="target-euro-sign"),
    pytest.param({"target": b"/"}, id="target-bytes"),
    pytest.param({"http_version": "2.0"}, id="version-2.0"),
    pytest.param({"http_version": "0.9"}, id="version-0.9"),
    pytest.param({"http_version": "HTTP/1.1"}, id="version-with-name"),
    pytest.param({"http_version": "1.1 "}, id="version-trailing-space"),
    pytest.param({"headers": [HOST]}, id="headers-list"),
    pytest.param({"headers": (("Host",),)}, id="header-one-element"),
    pytest.param({"headers": (["Host", "h"],)}, id="header-pair-list"),
    pytest.param({"headers": (("", "v"),)}, id="header-name-empty"),
    pytest.param({"headers": (("X Y", "v"),)}, id="header-name-space"),
    pytest.param({"headers": (("X:Y", "v"),)}, id="header-name-colon"),
    pytest.param({"headers": (("X-Y ", "v"),)}, id="header-name-trailing-space"),
    pytest.param({"headers": (("X-\u00e9", "v"),)}, id="header-name-non-ascii"),
    pytest.param({"headers": ((b"X", "v"),)}, id="header-name-bytes"),
    pytest.param({"headers": (("X", "a\rb"),)}, id="header-value-cr"),
    pytest.param({"headers": (("X", "a\nb"),)}, id="header-value-lf"),
    pytest.param({"headers": (("X", "a\r\nY: b"),)}, id="header-value-crlf-injection"),
    pytest.param({"headers": (("X", "a\x00b"),)}, id="header-value-nul"),
    pytest.param({"headers": (("X", "a\x7fb"),)}, id="header-value-del"),
    pytest.param({"headers": (("X", "a\x01"),)}, id="header-value-control"),
    pytest.param({"headers": (("X", "\u0100"),)}, id="header-value-not-latin-1"),
    pytest.param({"headers": (("X", b"v"),)}, id="header-value-bytes"),
    pytest.param({"headers": (("Content-Length", "0"),)}, id="framing-content-length"),
    pytest.param({"headers": (("content-length", "0"),)}, id="framing-content-length-lower"),
    pytest.param({"headers": (("Transfer-Encoding", "chunked"),)}, id="framing-te"),
    pytest.param({"headers": (("TRANSFER-ENCODING", "chunked"),)}, id="framing-te-upper"),
    pytest.param({"body": "text", "framing": Framing.CONTENT_LENGTH}, id="body-str"),
    pytest.param({"body": bytearray(b"x"), "framing": Framing.CONTENT_LENGTH}, id="body-bytearray"),
    pytest.param({"framing": "chunked"}, id="framing-str"),
    pytest.param({"body": b"abc"}, id="body-without-framing"),
    pytest.param(
        {"http_version": "1.0", "body": b"abc", "framing": Framing.CHUNKED},
        id="chunked-http-1.0",
    ),
    pytest.param(
        {"body": b"abc", "framing": Framing.CHUNKED, "chunk_sizes": (1, 1)},
        id="chunk-sizes-short",
    ),
    pytest.param(
        {"body": b"abc", "framing": Framing.CHUNKED, "chunk_sizes": (2, 2)},
        id="chunk-sizes-long",
    ),
    pytest.param(
        {"body": b"abc", "framing": Framing.CHUNKED, "chunk_sizes": (3, 0)},
        id="chunk-sizes-zero",
    ),
    pytest.param(
        {"body": b"abc", "framing": Framing.CHUNKED, "chunk_sizes": (4, -1)},
        id="chunk-sizes-negative",
    ),
    pytest.param(
        {"framing": Framing.CHUNKED, "chunk_sizes": (1,)},
        id="chunk-sizes-empty-body",
    ),
    pytest.param(
        {"body": b"abc", "framing": Framing.CONTENT_LENGTH, "chunk_sizes": (3,)},
        id="chunk-sizes-not-chunked",
    ),
]


@pytest.mark.parametrize("fields", INVALID)
def test_invalid_request_is_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(InvalidRequest):
        make(**fields)


def test_invalid_request_is_a_value_error() -> None:
    assert issubclass(InvalidRequest, ValueError)


# Edge cases that look odd but are valid HTTP/1.x.
VALID = [
    pytest.param({}, id="defaults"),
    pytest.param({"method": "M-SEARCH"}, id="method-extension-token"),
    pytest.param({"method": "get"}, id="method-lower-case"),
    pytest.param({"target": "*", "method": "OPTIONS"}, id="asterisk-form"),
    pytest.param({"target": "http://h/p?q"}, id="absolute-form"),
    pytest.param({"target": "example.org:443", "method": "CONNECT"}, id="authority-form"),
    pytest.param({"target": "/caf\xe9"}, id="target-obs-text"),
    pytest.param({"target": "/a?b=%zz&c=\xff"}, id="target-odd-query"),
    pytest.param({"http_version": "1.0", "headers": ()}, id="http-1.0-no-host"),
    pytest.param({"headers": (("X", ""),)}, id="header-value-empty"),
    pytest.param({"headers": (("X", "  padded\t"),)}, id="header-value-ows"),
    pytest.param({"headers": (("X", "a \t b"),)}, id="header-value-inner-space"),
    pytest.param({"headers": (("X", "caf\xe9"),)}, id="header-value-obs-text"),
    pytest.param({"headers": (("X_Under", "v"),)}, id="header-name-underscore"),
    pytest.param({"headers": (HOST, HOST, ("host", "b"))}, id="header-repeats"),
    pytest.param({"framing": Framing.CONTENT_LENGTH}, id="content-length-empty-body"),
    pytest.param({"framing": Framing.CHUNKED}, id="chunked-empty-body"),
    pytest.param(
        {"body": b"abc", "framing": Framing.CHUNKED, "chunk_sizes": (1, 2)}, id="chunk-sizes"
    ),
    pytest.param(
        {"http_version": "1.0", "body": b"abc", "framing": Framing.CONTENT_LENGTH},
        id="http-1.0-body",
    ),
]


@pytest.mark.parametrize("fields", VALID)
def test_valid_request_is_accepted(fields: dict[str, Any]) -> None:
    request = make(**fields)
    for name, value in fields.items():
        assert getattr(request, name) == value


def test_defaults_are_a_bodiless_get_of_the_root() -> None:
    request = Request()
    assert (request.method, request.target, request.http_version) == ("GET", "/", "1.1")
    assert request.headers == ()
    assert request.body == b""
    assert request.framing is Framing.NONE
    assert request.chunk_sizes == ()


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Request("GET", "/")  # type: ignore[misc]


def test_framing_headers_constant() -> None:
    assert frozenset({"content-length", "transfer-encoding"}) == FRAMING_HEADERS


# -- immutability --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("method", "POST"),
        ("target", "/other"),
        ("http_version", "1.0"),
        ("headers", ()),
        ("body", b"x"),
        ("framing", Framing.CHUNKED),
        ("chunk_sizes", (1,)),
    ],
)
def test_fields_cannot_be_assigned(name: str, value: object) -> None:
    request = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(request, name, value)
    assert getattr(request, name) != value


def test_no_new_attributes() -> None:
    request = make()
    with pytest.raises((AttributeError, TypeError)):
        request.extra = 1  # type: ignore[attr-defined]


def test_requests_are_values() -> None:
    assert make(target="/a") == make(target="/a")
    assert hash(make(target="/a")) == hash(make(target="/a"))
    assert make(target="/a") != make(target="/b")
    assert make(headers=(("A", "1"), ("B", "2"))) != make(headers=(("B", "2"), ("A", "1")))


# -- wire bytes ----------------------------------------------------------------------------------

WIRE = [
    pytest.param(
        make(),
        b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n",
        id="none",
    ),
    pytest.param(
        make(method="OPTIONS", target="*", http_version="1.0", headers=()),
        b"OPTIONS * HTTP/1.0\r\n\r\n",
        id="no-headers",
    ),
    pytest.param(
        make(target="/caf\xe9?q=\xff", headers=(("x-Mixed-CASE", "caf\xe9"), ("X", ""))),
        b"GET /caf\xe9?q=\xff HTTP/1.1\r\nx-Mixed-CASE: caf\xe9\r\nX: \r\n\r\n",
        id="latin-1-bytes",
    ),
    pytest.param(
        make(method="POST", body=b"hello", framing=Framing.CONTENT_LENGTH),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n\r\nhello",
        id="content-length",
    ),
    pytest.param(
        make(method="POST", framing=Framing.CONTENT_LENGTH),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nContent-Length: 0\r\n\r\n",
        id="content-length-zero",
    ),
    pytest.param(
        make(method="PUT", body=b"\r\n\x00\xff", framing=Framing.CONTENT_LENGTH),
        b"PUT / HTTP/1.1\r\nHost: example.org\r\nContent-Length: 4\r\n\r\n\r\n\x00\xff",
        id="content-length-binary",
    ),
    pytest.param(
        make(method="POST", body=b"hello world", framing=Framing.CHUNKED),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"b\r\nhello world\r\n0\r\n\r\n",
        id="chunked-one-chunk",
    ),
    pytest.param(
        make(method="POST", body=b"hello world", framing=Framing.CHUNKED, chunk_sizes=(5, 1, 5)),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n",
        id="chunked-chunk-sizes",
    ),
    pytest.param(
        make(method="POST", body=b"x" * 26, framing=Framing.CHUNKED, chunk_sizes=(26,)),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1a\r\n" + b"x" * 26 + b"\r\n0\r\n\r\n",
        id="chunked-hex-size",
    ),
    pytest.param(
        make(method="POST", framing=Framing.CHUNKED),
        b"POST / HTTP/1.1\r\nHost: example.org\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        id="chunked-empty",
    ),
]


@pytest.mark.parametrize(("request_", "expected"), WIRE)
def test_to_bytes_is_the_exact_wire_form(request_: Request, expected: bytes) -> None:
    assert request_.to_bytes() == expected


def test_headers_keep_order_duplicates_and_case_on_the_wire() -> None:
    headers = (("B", "1"), ("a", "2"), ("B", "3"), ("Cookie", "x=1"), ("cookie", "y=2"))
    data = make(headers=headers).to_bytes()
    assert data == b"GET / HTTP/1.1\r\nB: 1\r\na: 2\r\nB: 3\r\nCookie: x=1\r\ncookie: y=2\r\n\r\n"


@pytest.mark.parametrize(
    ("framing", "body", "extra"),
    [
        (Framing.NONE, b"", ()),
        (Framing.CONTENT_LENGTH, b"", (("Content-Length", "0"),)),
        (Framing.CONTENT_LENGTH, b"abc", (("Content-Length", "3"),)),
        (Framing.CHUNKED, b"abc", (("Transfer-Encoding", "chunked"),)),
    ],
)
def test_wire_headers_append_the_framing_field(
    framing: Framing, body: bytes, extra: tuple[tuple[str, str], ...]
) -> None:
    headers = (HOST, ("X", "1"))
    request = make(headers=headers, body=body, framing=framing)
    assert request.wire_headers == (*headers, *extra)
    assert request.headers == headers


@pytest.mark.parametrize(
    ("body", "sizes", "chunks"),
    [
        (b"", (), []),
        (b"abc", (), [b"abc"]),
        (b"abc", (3,), [b"abc"]),
        (b"abcdef", (1, 2, 3), [b"a", b"bc", b"def"]),
    ],
)
def test_chunks(body: bytes, sizes: tuple[int, ...], chunks: list[bytes]) -> None:
    request = make(body=body, framing=Framing.CHUNKED, chunk_sizes=sizes)
    assert request.chunks() == chunks


# -- derived views -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        ("/", "/", ""),
        ("/a/b", "/a/b", ""),
        ("/a?", "/a", ""),
        ("/a?x=1", "/a", "x=1"),
        ("/a?x=1?y=2", "/a", "x=1?y=2"),
        ("/a%3Fb?c=%zz", "/a%3Fb", "c=%zz"),
        ("/caf%C3%A9?q=caf\xe9", "/caf%C3%A9", "q=caf\xe9"),
        ("*", "*", ""),
        ("http://h/p?q", "http://h/p", "q"),
    ],
)
def test_path_and_query_are_raw(target: str, path: str, query: str) -> None:
    request = make(target=target)
    assert (request.path, request.query) == (path, query)


def test_header_values_are_case_insensitive_and_ordered() -> None:
    request = make(headers=(("Accept", "a"), HOST, ("ACCEPT", "b"), ("accept", "c")))
    assert request.header_values("accept") == ["a", "b", "c"]
    assert request.header_values("Accept") == ["a", "b", "c"]
    assert request.header_values("Host") == ["example.org"]
    assert request.header_values("Missing") == []


def test_header_values_do_not_see_framing() -> None:
    request = make(body=b"abc", framing=Framing.CONTENT_LENGTH)
    assert request.header_values("Content-Length") == []


# -- replace -------------------------------------------------------------------------------------


def test_replace_returns_a_changed_copy() -> None:
    original = make(target="/a")
    changed = original.replace(target="/b", method="POST")
    assert (changed.target, changed.method) == ("/b", "POST")
    assert changed.headers == original.headers
    assert (original.target, original.method) == ("/a", "GET")


def test_replace_validates_again() -> None:
    original = make(method="POST", body=b"abc", framing=Framing.CONTENT_LENGTH)
    with pytest.raises(InvalidRequest):
        original.replace(framing=Framing.NONE)
    with pytest.raises(InvalidRequest):
        original.replace(target="/a b")
    with pytest.raises(InvalidRequest):
        original.replace(framing=Framing.CHUNKED, http_version="1.0")


def test_replace_with_no_changes_is_equal() -> None:
    request = make(body=b"ab", framing=Framing.CHUNKED, chunk_sizes=(1, 1))
    assert request.replace() == request


def test_replace_rejects_unknown_fields() -> None:
    with pytest.raises(TypeError):
        make().replace(verb="GET")


def test_a_bytes_target_is_refused_saying_a_request_holds_a_str() -> None:
    """From the app sweep of 2026-12-04: ``Request(target=b"/?@\\xa9")`` was refused as
    not "visible ASCII or latin-1 obs-text", which it is; a Request holds the str, and
    Client.request is what takes bytes."""
    with pytest.raises(InvalidRequest, match="target: must be a str"):
        Request(target=b"/?@\xa9")  # type: ignore[arg-type]
    assert Request(target=b"/?@\xa9".decode("latin-1")).target == "/?@\xa9"


def test_wire_edits_change_what_is_sent_and_shown_not_what_is_compared() -> None:
    """A probe's request no fields can spell (a re-trial of 2026-12-06: the replays of an
    obs-fold and of both lengths sent the request as read, which every server answers
    well): the edits go on the wire, in the report and in any copy; the request compares
    as the one a server must read."""
    read = Request(headers=(("Host", "h"), ("X-Folded", "one two")))
    folded = read.replace(wire_edits=(("X-Folded: one two\r\n", "X-Folded: one\r\n two\r\n"),))
    assert folded.to_bytes() == b"GET / HTTP/1.1\r\nHost: h\r\nX-Folded: one\r\n two\r\n\r\n"
    assert folded.to_text() == folded.to_bytes().decode("latin-1")
    assert folded == read
    assert folded.wire_headers == read.wire_headers
    moved = folded.replace(target="/x")
    assert moved.to_bytes() == b"GET /x HTTP/1.1\r\nHost: h\r\nX-Folded: one\r\n two\r\n\r\n"


def test_a_wire_edit_may_reach_past_the_head_into_the_chunk_framing() -> None:
    """The probe's chunk extension (RFC 9112 §7.1.1) is an edit of the first chunk's size
    line, which the body's framing writes, not the head."""
    body = b"0123456789abcdef"
    plain = Request(
        method="POST",
        headers=(("Host", "h"),),
        body=body,
        framing=Framing.CHUNKED,
        chunk_sizes=(10, 6),
    )
    extended = plain.replace(wire_edits=(("\r\n\r\na\r\n", "\r\n\r\na;ext=1\r\n"),))
    assert extended.to_bytes() == (
        b"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"a;ext=1\r\n0123456789\r\n6\r\nabcdef\r\n0\r\n\r\n"
    )
    assert extended.to_text() == extended.to_bytes().decode("latin-1")
    assert extended == plain
