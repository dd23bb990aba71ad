"""Bytes → Request: ``parse_request`` on raw bytes, and the round trip through ``to_bytes``."""

from __future__ import annotations

import itertools

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgicheck.drivers.wire import (
    MAX_HEAD,
    MAX_TARGET,
    WireError,
    check_head,
    parse_request,
    simple_head,
)
from wsgicheck.model import grammar
from wsgicheck.model.request import FRAMING_HEADERS, Framing, Request

HOST = ("Host", "example.org")


def head(*lines: str) -> bytes:
    """A request head from its lines (request line first), CRLF-terminated."""
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def wire_error(data: bytes) -> WireError:
    with pytest.raises(WireError) as info:
        parse_request(data)
    return info.value


# -- what the parser keeps -----------------------------------------------------------------------


def test_simple_get() -> None:
    request = parse_request(head("GET /a?b=c HTTP/1.1", "Host: example.org"))
    assert request == Request(method="GET", target="/a?b=c", headers=(HOST,))


def test_header_case_order_and_repeats_kept() -> None:
    data = head("GET / HTTP/1.1", "hOsT: h", "X-MiXeD: 1", "accept: a", "ACCEPT: b", "X-MiXeD: 2")
    request = parse_request(data)
    assert request.headers == (
        ("hOsT", "h"),
        ("X-MiXeD", "1"),
        ("accept", "a"),
        ("ACCEPT", "b"),
        ("X-MiXeD", "2"),
    )


def test_ows_around_values_is_not_part_of_them() -> None:
    request = parse_request(head("GET / HTTP/1.1", "Host:example.org", "X:  \tv w \t", "Y:"))
    assert request.headers == (HOST, ("X", "v w"), ("Y", ""))


def test_obs_text_in_values_is_latin_1() -> None:
    request = parse_request(head("GET / HTTP/1.1", "Host: h", "X: caf\xe9 \xff"))
    assert request.header_values("X") == ["caf\xe9 \xff"]


@pytest.mark.parametrize(
    ("target", "version"),
    [
        ("/", "1.1"),
        ("/caf%C3%A9?q=%zz&r=/?", "1.1"),
        ("*", "1.1"),
        ("http://h/p?q", "1.1"),
        ("//a/../b", "1.0"),
    ],
)
def test_request_line_kept_raw(target: str, version: str) -> None:
    request = parse_request(head(f"OPTIONS {target} HTTP/{version}", "Host: h"))
    assert (request.method, request.target, request.http_version) == ("OPTIONS", target, version)


def test_obs_text_target_kept_as_sent() -> None:
    """h11 takes only visible ASCII; raw latin-1 bytes, when the server is told to take
    them, still reach the Request unchanged (by default they are refused: test_server_strict).
    """
    data = b"GET /caf\xe9/%C3%A9?q=\xff HTTP/1.1\r\nHost: h\r\n\r\n"
    request = parse_request(data, raw_latin1_targets=True)
    assert request.target == "/caf\xe9/%C3%A9?q=\xff"
    assert (request.path, request.query) == ("/caf\xe9/%C3%A9", "q=\xff")


def test_http_1_0_without_host() -> None:
    request = parse_request(head("GET / HTTP/1.0"))
    assert request == Request(http_version="1.0")


@pytest.mark.parametrize("name", ["Content-Length", "content-length", "CONTENT-LENGTH"])
def test_content_length_becomes_framing(name: str) -> None:
    data = head("POST /f HTTP/1.1", "Host: example.org", f"{name}: 5", "X: 1") + b"hello"
    request = parse_request(data)
    assert request.framing is Framing.CONTENT_LENGTH
    assert request.body == b"hello"
    assert request.headers == (HOST, ("X", "1"))
    assert request.chunk_sizes == ()


def test_content_length_zero() -> None:
    request = parse_request(head("POST / HTTP/1.1", "Host: example.org", "Content-Length: 0"))
    assert (request.framing, request.body) == (Framing.CONTENT_LENGTH, b"")


def test_repeated_identical_content_length_is_one() -> None:
    data = head("POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Content-Length: 3") + b"abc"
    request = parse_request(data)
    assert (request.framing, request.body) == (Framing.CONTENT_LENGTH, b"abc")


@pytest.mark.parametrize("name", ["Transfer-Encoding", "transfer-encoding"])
def test_chunked_body_decoded_with_chunk_sizes(name: str) -> None:
    data = head("POST / HTTP/1.1", "Host: example.org", f"{name}: chunked")
    data += b"5\r\nhello\r\n1\r\n \r\nA\r\nworld12345\r\n0\r\n\r\n"
    request = parse_request(data)
    assert request.framing is Framing.CHUNKED
    assert request.body == b"hello world12345"
    assert request.chunk_sizes == (5, 1, 10)
    assert request.headers == (HOST,)


def test_chunk_extensions_and_trailers_are_accepted() -> None:
    data = head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked")
    data += b"3;name=value\r\nabc\r\n2;x\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
    request = parse_request(data)
    assert (request.body, request.chunk_sizes) == (b"abcde", (3, 2))


def test_chunked_empty_body() -> None:
    data = head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"0\r\n\r\n"
    request = parse_request(data)
    assert (request.framing, request.body, request.chunk_sizes) == (Framing.CHUNKED, b"", ())


def test_binary_body() -> None:
    body = bytes(range(256))
    data = head("PUT / HTTP/1.1", "Host: h", "Content-Length: 256") + body
    assert parse_request(data).body == body


# -- what the parser refuses ---------------------------------------------------------------------

INCOMPLETE = [
    pytest.param(b"", id="nothing"),
    pytest.param(b"GET / HTTP/1.1", id="request-line-only"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\n", id="no-blank-line"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\n\r", id="half-blank-line"),
    pytest.param(head("POST / HTTP/1.1", "Host: h", "Content-Length: 5") + b"abc", id="short-body"),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"5\r\nhel",
        id="short-chunk",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"3\r\nabc\r\n",
        id="no-last-chunk",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"0\r\n",
        id="no-final-crlf",
    ),
]


@pytest.mark.parametrize("data", INCOMPLETE)
def test_incomplete_data(data: bytes) -> None:
    assert wire_error(data).status == 400


EXTRA = [
    pytest.param(head("GET / HTTP/1.1", "Host: h") + b"x", id="one-byte"),
    pytest.param(head("GET / HTTP/1.1", "Host: h") * 2, id="pipelined-request"),
    pytest.param(head("GET / HTTP/1.1", "Host: h") + b"\r\n", id="stray-crlf"),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Content-Length: 3") + b"abcdef", id="longer-body"
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"0\r\n\r\nGET",
        id="after-last-chunk",
    ),
]


@pytest.mark.parametrize("data", EXTRA)
def test_extra_trailing_bytes(data: bytes) -> None:
    assert wire_error(data).status == 400


MALFORMED = [
    # Request line (RFC 9112 §3).
    pytest.param(b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400, id="two-spaces"),
    pytest.param(b"GET /\r\nHost: h\r\n\r\n", 400, id="no-version"),
    pytest.param(b"GET / HTTP/1.1 x\r\nHost: h\r\n\r\n", 400, id="four-parts"),
    pytest.param(b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400, id="method-not-token"),
    pytest.param(b"GET / HTTP/1\r\nHost: h\r\n\r\n", 400, id="version-no-minor"),
    pytest.param(b"GET / http/1.1\r\nHost: h\r\n\r\n", 400, id="version-lower-case"),
    pytest.param(b"GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, id="version-2.0"),
    pytest.param(b"GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505, id="version-0.9"),
    pytest.param(b"GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n", 400, id="target-del"),
    pytest.param(b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: h\r\n\r\n", 414, id="long-target"),
    pytest.param(
        b"GET /" + b"a" * MAX_TARGET + b" HTTP/1.1\r\nHost: h\r\n\r\n",
        414,
        id="target-just-too-long",
    ),
    # Line endings (RFC 9112 §2.2).
    pytest.param(b"GET / HTTP/1.1\nHost: h\n\n", 400, id="bare-lf"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400, id="bare-cr"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\x00\r\n\r\n", 400, id="nul"),
    # Header fields (RFC 9110 §5, RFC 9112 §5).
    pytest.param(b"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400, id="space-before-colon"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX-Y\r\n\r\n", 400, id="no-colon"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n", 400, id="empty-name"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX(Y: v\r\n\r\n", 400, id="name-not-token"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400, id="obs-fold"),
    pytest.param(b"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400, id="leading-space-line"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX: \x0bv\r\n\r\n", 400, id="value-vt"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x01b\r\n\r\n", 400, id="value-ctl"),
    pytest.param(b"GET / HTTP/1.1\r\nHost: h\r\nX: a\x7fb\r\n\r\n", 400, id="value-del"),
    pytest.param(
        b"GET / HTTP/1.1\r\n" + b"X: " + b"v" * 70_000 + b"\r\n\r\n", 431, id="head-too-large"
    ),
    # Host (RFC 9112 §3.2).
    pytest.param(b"GET / HTTP/1.1\r\n\r\n", 400, id="http-1.1-no-host"),
    # Framing (RFC 9112 §6).
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Content-Length: abc"), 400, id="content-length-word"
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Content-Length: -1"), 400, id="content-length-negative"
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Content-Length: 4") + b"abcd",
        400,
        id="content-length-conflict",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Content-Length: 3", "Transfer-Encoding: chunked")
        + b"3\r\nabc\r\n0\r\n\r\n",
        400,
        id="content-length-and-chunked",
    ),
    pytest.param(
        head("POST / HTTP/1.0", "Transfer-Encoding: chunked") + b"3\r\nabc\r\n0\r\n\r\n",
        400,
        id="chunked-in-http-1.0",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: gzip, chunked"),
        501,
        id="unknown-transfer-coding",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"zz\r\nabc\r\n",
        400,
        id="chunk-size-not-hex",
    ),
    pytest.param(
        head("POST / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked") + b"3\r\nabcX\r\n",
        400,
        id="chunk-data-too-long",
    ),
]


@pytest.mark.parametrize(("data", "status"), MALFORMED)
def test_malformed_request(data: bytes, status: int) -> None:
    error = wire_error(data)
    assert error.status == status
    assert str(error)


def test_wire_error_is_a_value_error_defaulting_to_400() -> None:
    assert issubclass(WireError, ValueError)
    assert WireError("x").status == 400
    assert WireError("x", 505).status == 505


# -- round trip ----------------------------------------------------------------------------------

ROUND_TRIP = [
    pytest.param(Request(headers=(HOST,)), id="get"),
    pytest.param(Request(http_version="1.0"), id="http-1.0-bare"),
    pytest.param(Request(target="/caf\xe9?\xff=%", headers=(HOST,)), id="obs-text-target"),
    pytest.param(Request(method="OPTIONS", target="*", headers=(HOST,)), id="options-asterisk"),
    pytest.param(
        Request(target="http://h:8080/p%20q?x=%zz&y=/?", headers=(("Host", "h:8080"),)),
        id="absolute-form",
    ),
    pytest.param(
        Request(
            target="/caf%C3%A9",
            headers=(
                ("host", "h"),
                ("Cookie", "a=1"),
                ("cookie", "b=2"),
                ("X_Under", "u"),
                ("X-Latin", "caf\xe9"),
                ("X-Empty", ""),
                ("X-Inner", "a \t b"),
            ),
        ),
        id="headers",
    ),
    pytest.param(
        Request(
            method="POST",
            headers=(HOST, ("Content-Type", "text/plain")),
            body=b"hello",
            framing=Framing.CONTENT_LENGTH,
        ),
        id="content-length",
    ),
    pytest.param(
        Request(method="POST", headers=(HOST,), framing=Framing.CONTENT_LENGTH),
        id="content-length-0",
    ),
    pytest.param(
        Request(
            method="PUT",
            http_version="1.0",
            body=b"\r\n\r\n\x00\xff",
            framing=Framing.CONTENT_LENGTH,
        ),
        id="http-1.0-binary-body",
    ),
    pytest.param(
        Request(
            method="POST",
            headers=(HOST,),
            body=b"x" * 300,
            framing=Framing.CHUNKED,
            chunk_sizes=(1, 255, 44),
        ),
        id="chunked",
    ),
    pytest.param(
        Request(method="POST", headers=(HOST,), framing=Framing.CHUNKED), id="chunked-empty"
    ),
]


@pytest.mark.parametrize("request_", ROUND_TRIP)
def test_round_trip(request_: Request) -> None:
    assert parse_request(request_.to_bytes(), raw_latin1_targets=True) == request_


def test_round_trip_single_chunk_default() -> None:
    """``chunk_sizes=()`` means one chunk; a single chunk parses back to that default."""
    sent = Request(method="POST", headers=(HOST,), body=b"abc", framing=Framing.CHUNKED)
    parsed = parse_request(sent.to_bytes())
    assert parsed.chunks() == sent.chunks() == [b"abc"]
    assert parsed.to_bytes() == sent.to_bytes()
    assert parsed == sent
    explicit = sent.replace(chunk_sizes=(3,))
    assert parse_request(explicit.to_bytes()) == sent


# Hypothesis: requests built from the project's grammar, limited to what survives the wire
# unchanged (no OWS around field values: it is not part of the value, RFC 9110 §5.5).
tokens = st.from_regex(grammar.TOKEN, fullmatch=True)
field_names = tokens.filter(lambda name: name.lower() not in FRAMING_HEADERS | {"host"})
field_values = st.from_regex(grammar.FIELD_VALUE, fullmatch=True)
targets = st.one_of(
    st.from_regex(r"/[\x21\x22\x24-\x7e\x80-\xff]*", fullmatch=True),  # no "#": no fragment
    st.just("*"),
    st.from_regex(r"http://[a-z0-9.]+(:[0-9]{1,5})?(/[\x21\x22\x24-\x7e]*)?", fullmatch=True),
)


@st.composite
def requests(draw: st.DrawFn) -> Request:
    version = draw(st.sampled_from(["1.1", "1.0"]))
    headers = draw(st.lists(st.tuples(field_names, field_values), max_size=6))
    if version == "1.1" or draw(st.booleans()):
        headers.insert(draw(st.integers(0, len(headers))), ("Host", "example.org"))
    framings = [Framing.NONE, Framing.CONTENT_LENGTH]
    if version == "1.1":
        framings.append(Framing.CHUNKED)
    framing = draw(st.sampled_from(framings))
    body = b"" if framing is Framing.NONE else draw(st.binary(max_size=300))
    sizes: tuple[int, ...] = ()
    if framing is Framing.CHUNKED and body:
        cuts = draw(st.lists(st.integers(1, len(body) - 1), unique=True)) if len(body) > 1 else []
        edges = [0, *sorted(cuts), len(body)]
        sizes = tuple(b - a for a, b in itertools.pairwise(edges))
    target = draw(targets)
    return Request(
        # The asterisk-form is OPTIONS's alone (RFC 9112 §3.2.4).
        method="OPTIONS" if target == "*" else draw(tokens),
        target=target,
        http_version=version,
        headers=tuple(headers),
        body=body,
        framing=framing,
        chunk_sizes=sizes,
    )


@given(requests())
def test_round_trip_property(request_: Request) -> None:
    data = request_.to_bytes()
    assert parse_request(data, raw_latin1_targets=True) == request_
    # A request cut short anywhere is incomplete, never a different request.
    assert wire_error(data[: len(data) // 2]).status == 400


# -- simple_head: the server's reading of a plain head, beside h11's ------------------------------

#: Request-line parts and field lines, good ones and near misses of every kind.
SIMPLE_METHODS = (b"GET", b"HEAD", b"POST", b"OPTIONS", b"M-SEARCH", b"get", b"G@T", b"G\xc9T")
SIMPLE_TARGETS = (b"/", b"/a?b=c", b"/%zz", b"http://x/y", b"*", b"/caf\xe9", b"/a\x7f")
SIMPLE_LINES = (
    b"Host: x",
    b"host:x",
    b"HOST:  example.org:8080 ",
    b"Host : x",
    b"X-A: \tv  v\t",
    b"X-B:",
    b"X-C: caf\xe9",
    b"X-D: a\x01b",
    b"X-E: \xff",
    b"X-F: a\x00",
    b"Bad Name: x",
    b": empty name",
    b"NoColon",
    b"User-Agent: curl/8.5.0",
    b"Accept: */*",
    b"Connection: close",
    b"Content-Length: 0",
    b"Content-Length: 5",
    b"Transfer-Encoding: chunked",
    b"Expect: 100-continue",
)


def _read_by_h11(head: bytes) -> h11.Request | None:
    parser = h11.Connection(h11.SERVER)
    parser.receive_data(head)
    try:
        event = parser.next_event()
    except h11.RemoteProtocolError:
        return None
    assert isinstance(event, h11.Request)
    return event


@settings(max_examples=500)
@given(
    st.sampled_from(SIMPLE_METHODS),
    st.sampled_from(SIMPLE_TARGETS),
    st.sampled_from((b"HTTP/1.1", b"HTTP/1.0")),
    st.lists(st.sampled_from(SIMPLE_LINES), max_size=5),
)
def test_simple_head_reads_only_what_h11_reads_and_as_h11_does(
    method: bytes, target: bytes, version: bytes, lines: list[bytes]
) -> None:
    head = b" ".join((method, target, version)) + b"\r\n"
    head += b"".join(line + b"\r\n" for line in lines) + b"\r\n"
    try:
        check_head(head, max_head=MAX_HEAD, max_target=MAX_TARGET, raw_latin1_targets=True)
    except WireError:
        return  # refused before h11 or simple_head is asked
    ours = simple_head(head)
    if ours is None:
        return  # h11 reads it, as it reads every other head
    theirs = _read_by_h11(head)
    assert theirs is not None, "simple_head took a head h11 refuses"
    assert (ours.method, ours.target, ours.http_version) == (
        theirs.method,
        theirs.target,
        theirs.http_version,
    )
    assert ours.headers.raw_items() == theirs.headers.raw_items()
    assert list(ours.headers) == list(theirs.headers)


@pytest.mark.parametrize(
    "head",
    [
        b"GET /hello HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
        b"HEAD /a?b=c HTTP/1.0\r\n\r\n",
        b"DELETE http://x/y HTTP/1.1\r\nhost: x\r\nConnection: close\r\n\r\n",
    ],
)
def test_plain_heads_are_read_without_h11s_machinery(head: bytes) -> None:
    ours = simple_head(head)
    assert ours is not None
    theirs = _read_by_h11(head)
    assert theirs is not None
    assert ours.headers.raw_items() == theirs.headers.raw_items()


@pytest.mark.parametrize(
    "head",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",  # a body's framing
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n",  # a 100 to send
        b"GET / HTTP/1.1\r\n\r\n",  # no Host: h11 refuses it, with its own status
        b"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
    ],
)
def test_other_heads_go_to_h11(head: bytes) -> None:
    assert simple_head(head) is None
