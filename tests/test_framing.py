"""The server's response framing makes h11's choices, byte for byte.

:mod:`wsgicheck.drivers.framing` writes responses without h11's state machine; here the same
request and response go through h11's own server connection too, and the bytes on the
wire, whether the connection may be reused, and every refusal must agree.
"""

from __future__ import annotations

from typing import Any

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgicheck.drivers.framing import ResponseFraming, SendError, client_keep_alive

METHODS = (b"GET", b"HEAD", b"POST", b"DELETE", b"CONNECT")
#: What a client's Connection fields may say (none, one, or two fields).
CONNECTIONS: tuple[tuple[bytes, ...], ...] = (
    (),
    (b"close",),
    (b"keep-alive",),
    (b"Keep-Alive, Close",),
    (b"upgrade", b"close"),
    (b"foo",),
)
STATUSES = ((200, "OK"), (201, "Created"), (204, "No Content"), (304, "Not Modified"),
            (404, "Not Found"), (500, "Internal Server Error"))  # fmt: skip
#: Fields the core lets through (the server's own Connection: close among them).
FIELDS = (
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Set-Cookie", " a=b; Path=/"),
    ("X-Tab", "\tv\t"),
    ("X-Empty", ""),
    ("host", "example.org"),
    ("Date", "Tue, 24 Nov 2026 10:04:51 GMT"),
    ("Connection", "close"),
    ("X-Latin", "caf\xe9"),
)


def h11_reference(
    method: bytes,
    version: bytes,
    connection: tuple[bytes, ...],
    status: tuple[int, str],
    headers: list[tuple[str, str]],
    blocks: list[bytes],
) -> tuple[bytes, bool] | str:
    """What h11 sends for this exchange and whether it may go on; or h11's refusal."""
    server = h11.Connection(h11.SERVER)
    fields = b"".join(b"Connection: %s\r\n" % value for value in connection)
    server.receive_data(b"%s / HTTP/%s\r\nHost: x\r\n%s\r\n" % (method, version, fields))
    assert type(server.next_event()) is h11.Request
    # As the socket server gave h11 a head: each value without its OWS, and a Content-Length
    # of more digits than h11 takes without its leading zeros.
    given = []
    for name, value in headers:
        value = value.strip(" \t")
        if name.lower() == "content-length" and len(value) > 20:
            value = value.lstrip("0") or "0"
        given.append((name.encode("latin-1"), value.encode("latin-1")))
    out: list[bytes] = []
    try:
        response = h11.Response(
            status_code=status[0], reason=status[1].encode(), headers=given, _parsed=True
        )
        for event in (response, *(h11.Data(data=block) for block in blocks), h11.EndOfMessage()):
            out += server.send_with_data_passthrough(event) or []
    except h11.LocalProtocolError:
        return "refused"
    return b"".join(out), server.our_state is h11.DONE


def ours(
    method: bytes,
    version: bytes,
    connection: tuple[bytes, ...],
    status: tuple[int, str],
    headers: list[tuple[str, str]],
    blocks: list[bytes],
) -> tuple[bytes, bool] | str:
    framing = ResponseFraming(
        method=method,
        http_version=version,
        keep_alive=client_keep_alive(version, list(connection)),
    )
    try:
        out = [framing.head(status[0], status[1], headers)]
        for block in blocks:
            out += framing.data(block)
        out += framing.end()
    except SendError:
        return "refused"
    return b"".join(out), framing.reusable


@st.composite
def exchanges(draw: Any) -> tuple[Any, ...]:
    method = draw(st.sampled_from(METHODS))
    version = draw(st.sampled_from((b"1.1", b"1.0")))
    connection = draw(st.sampled_from(CONNECTIONS))
    status = draw(st.sampled_from(STATUSES))
    headers = list(draw(st.lists(st.sampled_from(FIELDS), max_size=4)))
    blocks = draw(st.lists(st.binary(min_size=1, max_size=5), max_size=3))
    size = sum(map(len, blocks))
    length = draw(st.sampled_from(("none", "exact", "zeros", "twice", "short", "long", "huge")))
    if length != "none":
        value = {
            "exact": str(size),
            "zeros": "0" * 25 + str(size),
            "twice": str(size),
            "short": str(size + 1),
            "long": str(max(size - 1, 0)),
            "huge": str(10**20 + size),
        }[length]
        headers.insert(draw(st.integers(0, len(headers))), ("Content-Length", value))
        if length == "twice":
            headers.append(("content-length", " " + value))
    if status[0] in (204, 304) or method == b"HEAD" or (method == b"CONNECT" and status[0] < 300):
        blocks = draw(st.sampled_from(([], blocks)))  # a body here is refused by both
    return method, version, connection, status, headers, blocks


@settings(max_examples=400, deadline=None)
@given(exchanges())
def test_the_same_bytes_and_keep_alive_as_h11(exchange: tuple[Any, ...]) -> None:
    assert ours(*exchange) == h11_reference(*exchange)


@pytest.mark.parametrize(
    ("version", "connection", "keep"),
    [
        (b"1.1", [], True),
        (b"1.1", [b"keep-alive"], True),
        (b"1.1", [b"Keep-Alive, CLOSE"], False),
        (b"1.1", [b"upgrade", b" close "], False),
        (b"1.0", [], False),
        (b"1.0", [b"keep-alive"], False),
    ],
)
def test_client_keep_alive_as_h11_reads_it(
    version: bytes, connection: list[bytes], keep: bool
) -> None:
    assert client_keep_alive(version, connection) is keep


def test_nothing_is_sent_out_of_order_or_after_a_failure() -> None:
    framing = ResponseFraming(method=b"GET", http_version=b"1.1", keep_alive=True)
    with pytest.raises(SendError):
        framing.data(b"x")  # no head yet
    framing = ResponseFraming(method=b"GET", http_version=b"1.1", keep_alive=True)
    framing.head(200, "OK", [("Content-Length", "1")])
    framing.fail()  # an aborted response
    with pytest.raises(SendError):
        framing.end()
    assert not framing.reusable
