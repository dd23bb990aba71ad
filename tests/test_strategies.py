"""The strategies draw valid requests and server choices, and say which argument is bad."""

from __future__ import annotations

from collections import Counter
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from wsgicheck import Client, Framing, Request, ServerConfig
from wsgicheck import strategies as wst
from wsgicheck.core.environ import request_problem
from wsgicheck.drivers.wire import parse_request
from wsgicheck.explore.pieces import TEXT, picks, pieces, rolls
from wsgicheck.explore.strategies import chunk_sizes

QUICK = settings(max_examples=100, suppress_health_check=list(HealthCheck), deadline=None)


@QUICK
@given(wst.requests())
def test_every_request_is_valid_and_survives_the_wire(request: Request) -> None:
    """What the strategy draws parses back to itself and no server must refuse it."""
    assert parse_request(request.to_bytes()) == _without_ows(request)
    assert request_problem(request, ServerConfig()) is None


def _without_ows(request: Request) -> Request:
    headers = tuple((name, value.strip(" \t")) for name, value in request.headers)
    return request.replace(headers=headers)


@QUICK
@given(wst.requests(methods=["GET", "DELETE"], paths=["/api/items"], http_versions=["1.1"]))
def test_requests_can_be_narrowed(request: Request) -> None:
    assert request.method in {"GET", "DELETE"}
    assert request.http_version == "1.1"
    assert request.header_values("Host") == ["localhost"]


@QUICK
@given(wst.targets(prefix="/mount", paths=["/a"]))
def test_targets_stay_under_a_prefix(target: str) -> None:
    assert target.startswith(("/mount/", "/mount?")) or target == "/mount"


@QUICK
@given(wst.targets(paths=["/graphql?query=%7Bhello%7D"]))
def test_a_known_path_with_a_query_keeps_it_whole(target: str) -> None:
    """From the app sweep of 2026-12-03: a drawn query went after the known one with a
    second '?' (``?query=%7Bhello%7D?page=2``), and a drawn segment after its query."""
    path, _, query = target.partition("?")
    if path == "/graphql" or path.startswith("/graphql/"):
        assert query == "query=%7Bhello%7D" or query.startswith("query=%7Bhello%7D&")


def test_a_known_path_with_a_query_gets_segments_and_queries_in_their_places() -> None:
    known = "/graphql?query=%7Bhello%7D"
    # Found at all: a drawn query joined after the known one, a segment before it.
    find(wst.targets(paths=[known]), lambda t: t.startswith(known + "&"), settings=QUICK)
    deeper = find(wst.targets(paths=[known]), lambda t: t.startswith("/graphql/"), settings=QUICK)
    assert "?query=%7Bhello%7D" in deeper  # the known query kept after the segment


@QUICK
@given(wst.targets(raw_bytes=True, max_length=64))
def test_targets_respect_their_length(target: str) -> None:
    assert len(target) <= 64
    assert target.startswith("/")


@QUICK
@given(wst.header_fields(underscores=False))
def test_header_fields_without_underscores(fields: tuple[tuple[str, str], ...]) -> None:
    assert all("_" not in name for name, _ in fields)
    assert all(
        name.lower() not in ("host", "content-length", "transfer-encoding") for name, _ in fields
    )


def _sample(
    strategy: st.SearchStrategy[Any], count: int = 300, seed: int | None = None
) -> list[Any]:
    drawn: list[Any] = []

    @settings(max_examples=count, suppress_health_check=list(HealthCheck), database=None)
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    (collect if seed is None else hypothesis.seed(seed)(collect))()
    return drawn


def test_requests_draw_every_kind_of_request() -> None:
    # 600 draws: each kind below is rare on purpose (hostile draws must not crowd out the
    # plain ones), and the pool Hypothesis mixes in depends on the modules a process loaded.
    drawn = _sample(wst.requests(paths=["/hello"]), count=600)
    methods = Counter(request.method for request in drawn)
    framings = Counter(request.framing for request in drawn)
    assert {"GET", "HEAD", "POST"} <= set(methods)
    assert any(method not in wst.STANDARD_METHODS for method in methods)
    assert set(framings) == {Framing.NONE, Framing.CONTENT_LENGTH, Framing.CHUNKED}
    assert any(request.http_version == "1.0" for request in drawn)
    assert any(len(request.body) > 4096 for request in drawn)
    assert any(len(request.chunk_sizes) > 1 for request in drawn)
    assert any(request.header_values("Expect") for request in drawn)
    assert any("?" in request.target for request in drawn)
    assert any("%" in request.target for request in drawn)
    assert any(request.target.startswith("/hello") for request in drawn)
    assert any(request.target == "*" for request in drawn)
    names = [name.lower() for request in drawn for name, _ in request.headers]
    assert any(names.count(name) > 1 for name in set(names))


def test_the_kinds_where_bugs_hide_are_drawn_often_not_just_once() -> None:
    """Floors of about half the measured share (of 1,000 draws, a fixed seed): a change that
    makes a kind rare (a cookie of one pair only, strong tags only) fails here, where "any"
    would still pass on one draw."""
    drawn = _sample(wst.requests(paths=["/hello"]), count=1000, seed=7)

    def share(test: Any, among: list[Request] | None = None) -> float:
        pool = drawn if among is None else among
        return sum(1 for request in pool if test(request)) / len(pool)

    def field(name: str) -> Any:
        return lambda request: request.header_values(name)

    cookies = [request for request in drawn if request.header_values("Cookie")]
    tagged = [
        request
        for request in drawn
        if request.header_values("If-None-Match") or request.header_values("If-Match")
    ]
    queried = [request for request in drawn if "?" in request.target]
    shares = {
        "Cookie, two pairs or more": share(
            lambda r: any("; " in value for value in r.header_values("Cookie")), cookies
        ),
        "a weak entity-tag": share(
            lambda r: any(
                'W/"' in value
                for value in (*r.header_values("If-None-Match"), *r.header_values("If-Match"))
            ),
            tagged,
        ),
        "a query with &": share(lambda r: "&" in r.target.partition("?")[2], queried),
        "a query with =": share(lambda r: "=" in r.target.partition("?")[2], queried),
        "Range": share(field("Range")),
        "If-None-Match": share(field("If-None-Match")),
        "a body over 4 KiB": share(lambda r: len(r.body) > 4096),
        "HTTP/1.0": share(lambda r: r.http_version == "1.0"),
    }
    floors = {
        "Cookie, two pairs or more": 0.10,
        "a weak entity-tag": 0.20,
        "a query with &": 0.12,
        "a query with =": 0.20,
        "Range": 0.04,
        "If-None-Match": 0.04,
        "a body over 4 KiB": 0.015,
        "HTTP/1.0": 0.15,
    }
    assert {kind: share for kind, share in shares.items() if share < floors[kind]} == {}


def test_server_configs_draw_every_choice() -> None:
    drawn = _sample(wst.server_configs(script_names=("", "/app")), 200)
    assert {config.script_name for config in drawn} == {"", "/app"}
    assert {config.file_wrapper for config in drawn} == {True, False}
    assert {config.input_terminated_always for config in drawn} == {True, False}
    assert {config.no_body_content_length for config in drawn} == {"omit", "empty"}
    assert any(config.max_read is not None for config in drawn)
    assert any(config.multithread for config in drawn)


@QUICK
@given(wst.requests(paths=["/"]), wst.server_configs())
def test_a_conformant_app_survives_any_request_under_any_server(
    request: Request, config: ServerConfig
) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        # Reads until the body ends: a server may give short reads.
        stream = environ["wsgi.input"]
        left = int(environ.get("CONTENT_LENGTH") or 0)
        parts = []
        if environ.get("CONTENT_LENGTH"):
            while left and (part := stream.read(left)):
                parts.append(part)
                left -= len(part)
        else:
            parts.append(stream.read())
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [b"".join(parts)]

    if config.script_name and request.target.startswith("/"):
        request = request.replace(target=config.script_name + request.target)
    response = Client(app, config=config).send(request)
    assert response.status_code == 200
    if request.method != "HEAD":
        assert response.body == request.body


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: wst.requests(methods=["BAD METHOD"]), "methods"),
        (lambda: wst.requests(methods=[]), "methods"),
        (lambda: wst.requests(http_versions=["2.0"]), "http_versions"),
        (lambda: wst.requests(host=""), "host"),
        (lambda: wst.targets(prefix="app"), "prefix"),
        (lambda: wst.targets(prefix="/app/"), "prefix"),
        (lambda: wst.targets(paths=["relative"]), "paths"),
        (lambda: wst.targets(max_length=3), "max_length"),
        (lambda: wst.header_fields(max_size=-1), "max_size"),
        (lambda: wst.bodies(max_size=True), "max_size"),
        (lambda: wst.server_configs(script_names=["app"]), "script_names"),
    ],
)
def test_a_bad_argument_is_named(call: Any, name: str) -> None:
    with pytest.raises(InvalidArgument, match=name):
        call()


def test_methods_can_leave_out_extension_methods() -> None:
    assert set(_sample(wst.methods(extension=False), 100)) <= set(wst.STANDARD_METHODS)


def test_a_strategy_for_methods_is_used_as_is() -> None:
    drawn = _sample(wst.requests(methods=st.just("PROPFIND")), 60)
    assert {request.method for request in drawn} == {"PROPFIND"}


def test_rolls_are_one_choice_each_die_alike_and_shrink_to_zero() -> None:
    """Every face of every die comes up (an integer with the rolls as digits would nearly
    always leave its high digits 0), and a shrunk draw rolls 0 on every die."""
    sides = [2, 3, 16, 5]
    drawn = _sample(rolls(sides), 300)
    for index, die in enumerate(sides):
        assert {roll[index] for roll in drawn} == set(range(die))
    assert find(rolls(sides), lambda _: True) == (0, 0, 0, 0)


def test_picks_and_pieces_draw_what_they_are_given() -> None:
    assert set(_sample(picks(["a", "bc"], 3), 100)) >= {(), ("a",), ("bc",)}
    texts = _sample(pieces(["%20", "x"], 4, min_size=1), 100)
    assert all(text and text.replace("%20", "").strip("x") == "" for text in texts)
    assert find(pieces(["%20", "x"], 4, min_size=1), lambda _: True) in ("x", "%20")


@pytest.mark.parametrize("size", [2, 3, 100, 65536])
def test_chunk_sizes_cut_the_whole_body(size: int) -> None:
    for cuts in [(), (0,), (1,), (0, 1, 2, 63), (5, 5, 40)]:
        chunks = chunk_sizes(cuts, size)
        assert sum(chunks) == size
        assert all(chunk > 0 for chunk in chunks)
        assert len(chunks) <= len(set(cuts)) + 1


def test_chunk_sizes_cut_where_they_say() -> None:
    assert chunk_sizes((), 100) == (100,)
    assert chunk_sizes((0, 1), 100) == (1, 98, 1)  # one byte in, one byte short of the end
    assert chunk_sizes((32,), 100) == (50, 50)  # half way
    assert chunk_sizes((5, 5), 64) == (5, 59)
    assert chunk_sizes((7,), 1) == ()


def test_the_text_alphabet_is_what_st_text_draws_by_default() -> None:
    """``pieces.TEXT`` stands in for ``st.text()``'s default alphabet (without building its
    codec's table): the same characters, hence the same draws for a seed."""
    default = st.characters(codec="utf-8").wrapped_strategy.intervals  # type: ignore[attr-defined]
    assert TEXT.wrapped_strategy.intervals == default  # type: ignore[attr-defined]
