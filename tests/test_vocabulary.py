"""The request vocabulary with meaning: every kind of value is reachable, bodies say what they
are, and the hostile draws are still there beside them."""

from __future__ import annotations

import json
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from wsgicheck import strategies as wst
from wsgicheck.drivers.wire import parse_request
from wsgicheck.explore import vocabulary
from wsgicheck.model import grammar
from wsgicheck.model.request import Request

SETTINGS = settings(max_examples=150, database=None, suppress_health_check=list(HealthCheck))
_SAMPLES: dict[str, list[Any]] = {}


def sample(name: str, strategy: st.SearchStrategy[Any], count: int = 600) -> list[Any]:
    """``count`` values drawn as a run draws them, deterministically, shrinking nothing."""
    if name not in _SAMPLES:
        values: list[Any] = []

        @settings(
            max_examples=count,
            database=None,
            derandomize=True,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(strategy)
        def draw(value: Any) -> None:
            values.append(value)

        draw()
        _SAMPLES[name] = values
    return _SAMPLES[name]


def test_every_kind_of_range_is_drawn() -> None:
    drawn = sample("ranges", vocabulary.ranges(), 300)
    kinds = {
        "suffix": lambda v: v.startswith("bytes=-") and v[7:].isdigit(),
        "open": lambda v: v.startswith("bytes=") and v.endswith("-") and v[6:-1].isdigit(),
        "multiple": lambda v: v.startswith("bytes=") and v.count(",") >= 1,
        "unsatisfiable": lambda v: v == "bytes=999999999-",
        "malformed": lambda v: v in ("bytes=5-2", "bytes=abc", "items=0-1"),
    }
    missing = [kind for kind, check in kinds.items() if not any(map(check, drawn))]
    assert missing == []


def test_accept_encoding_has_codings_and_q_values() -> None:
    drawn = sample("codings", vocabulary.accept_encodings(), 300)
    assert {"gzip", "br", "identity", "*;q=0"} <= set(drawn)
    assert any(v.count(",") >= 2 and ";q=0." in v for v in drawn)


def test_fields_are_valid_and_each_name_once() -> None:
    for fields in sample("fields", vocabulary.http_fields()):
        _valid_once(fields)


def _valid_once(fields: tuple[tuple[str, str], ...]) -> None:
    names = [name.lower() for name, _ in fields]
    assert len(names) == len(set(names))
    for name, value in fields:
        assert grammar.is_token(name)
        assert grammar.is_field_value(value)


@SETTINGS
@given(vocabulary.payloads())
def test_a_body_is_what_its_content_type_says(payload: tuple[str | None, bytes]) -> None:
    content_type, body = payload
    if content_type == "application/json":
        json.loads(body)
    elif content_type == "application/x-www-form-urlencoded":
        parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=bool(body))
    elif content_type is not None and content_type.startswith("multipart/form-data"):
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        assert message.is_multipart() or body.endswith(b"--\r\n")
    elif content_type == "text/plain; charset=utf-8":
        body.decode("utf-8")
    assert len(body) <= 64 * 1024


def test_bodies_of_every_size_class_are_drawn() -> None:
    drawn = sample("payloads", vocabulary.payloads(max_size=2 * vocabulary.LARGE), 1000)
    for low in (0, 1, 4097, 65536, vocabulary.LARGE):
        assert any(len(body) >= low for _, body in drawn), low
    assert all(t == "application/octet-stream" for t, body in drawn if len(body) > 65537)


def _fields(request: Request) -> set[str]:
    return {name.lower() for name, _ in request.headers}


def test_requests_mix_meaningful_and_hostile_fields() -> None:
    drawn = sample("requests", wst.requests(paths=["/hello"]))
    for name in ("range", "accept-encoding", "if-none-match", "authorization", "cookie"):
        assert any(name in _fields(r) for r in drawn), name
    known = {"host", "content-type", "expect", "connection", "cookie"}
    meaningful = {
        n.lower() for fields in sample("fields", vocabulary.http_fields()) for n, _ in fields
    }
    hostile = [r for r in drawn if _fields(r) - known - meaningful]
    assert len(hostile) >= len(drawn) // 5
    assert any(
        v.startswith("multipart/") and b"Content-Disposition: form-data" in r.body
        for r in drawn
        for v in r.header_values("content-type")
    )
    assert any(
        r.header_values("Accept-Encoding") and r.header_values("If-None-Match") for r in drawn
    )


@SETTINGS
@given(wst.requests(paths=["/hello"]))
def test_every_request_parses_back_from_its_bytes(request: Request) -> None:
    parsed = parse_request(request.to_bytes())
    assert parsed.method == request.method
    assert parsed.body == request.body


def test_the_old_generator_stays_callable_and_means_nothing() -> None:
    drawn = sample("old", wst.requests(meaningful=False), 300)
    assert not any(r.header_values("Range") or r.header_values("If-Match") for r in drawn)
    assert max(len(r.body) for r in drawn) <= 64 * 1024


def test_a_multipart_name_with_a_quote_or_line_break_is_escaped_as_browsers_do() -> None:
    body = vocabulary.multipart({"a\nb": "1", 'q"x': "2", "c\r": "3"}, "x")
    message = BytesParser(policy=HTTP).parsebytes(
        b'Content-Type: multipart/form-data; boundary="x"\r\n\r\n' + body
    )
    parts = list(message.iter_parts())
    assert [part.get_param("name", header="content-disposition") for part in parts] == [
        "a%0D%0Ab",
        "q%22x",
        "c%0D%0A",
    ]
    assert [part.get_payload(decode=True) for part in parts] == [b"1", b"2", b"3"]
