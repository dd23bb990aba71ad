"""Smallest means smallest: a reported request keeps only what its finding needs."""

from __future__ import annotations

from typing import Any

from wsgicheck import Framing, Request, ServerConfig
from wsgicheck.explore.minimise import simplify
from wsgicheck.explore.runner import RunOptions, run

BASE = ServerConfig()


def test_only_what_the_finding_needs_is_kept() -> None:
    drawn = Request(
        method="PUT",
        target="/x",
        http_version="1.0",
        headers=(("Cookie", "junk=1"), ("X-Debug", "on"), ("Accept", "*/*")),
        body=b"data",
        framing=Framing.CONTENT_LENGTH,
    )
    config = ServerConfig(max_read=3, script_name="/app", multithread=True)
    tries: list[Request] = []

    def breaks(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        tries.append(request)
        return request.target == "/x" and bool(request.header_values("X-Debug"))

    request, config, before = simplify((drawn, config, ()), breaks, default=BASE, keep=["Accept"])
    assert request == Request(
        target="/x", headers=(("Host", "localhost"), ("X-Debug", "on"), ("Accept", "*/*"))
    )
    assert (config, before) == (BASE, ())
    assert len(tries) <= 24


def test_the_tries_are_bounded_and_the_earlier_requests_kept() -> None:
    earlier = (Request(headers=(("Host", "h"),)),)
    drawn = Request(headers=tuple((f"X-{n}", "v") for n in range(40)))
    calls = []

    def never(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        calls.append(before)
        return False

    assert simplify((drawn, BASE, earlier), never, default=BASE, tries=10) == (
        drawn,
        BASE,
        earlier,
    )
    assert len(calls) == 10
    assert set(calls) == {earlier}


def test_a_run_reports_a_plain_get_when_one_shows_the_bug() -> None:
    """The app breaks a rule whenever a Cookie is sent: the request reported is a GET over
    HTTP/1.1 with Host and one Cookie, whatever the example that first showed it."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if "HTTP_COOKIE" in environ:
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-Bad", "a\x01")])
        else:
            start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    result = run(app, RunOptions(database=None, seed=2))
    failure = result.failures["APP-HEADER-VALUE-NO-CONTROL"]
    request = failure.request
    assert (request.method, request.http_version, request.body) == ("GET", "1.1", b"")
    assert [name.lower() for name, _ in request.headers] in (["host", "cookie"], ["cookie", "host"])
    assert failure.config.max_read is None
    assert failure.config.script_name == ""


def test_a_target_a_server_may_refuse_is_reported_percent_encoded() -> None:
    """A raw "é" or '"' in a path is no valid request-target (RFC 9112 §3.2: a server may
    answer 400); percent-encoded, the server decodes the same PATH_INFO, and the finding
    holds. The query is left alone: the app gets it undecoded."""
    drawn = Request(target='/caf\xe9/"x"?q=\xe9')
    tries: list[str] = []

    def breaks(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        tries.append(request.target)
        return "\xe9" in request.target or "%E9" in request.target

    request, _, _ = simplify((drawn, BASE, ()), breaks, default=BASE)
    assert request.target == "/caf%E9/%22x%22?q=\xe9"
    assert tries[0] == request.target  # tried first: every other variant keeps it

    def only_raw(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        return request.target.startswith("/caf\xe9")  # an app that breaks on the raw byte

    assert simplify((drawn, BASE, ()), only_raw, default=BASE)[0].target == drawn.target


def test_a_target_with_nothing_to_encode_or_a_lone_percent_is_kept() -> None:
    everything = [
        "/a%zz\xe9",  # a "%" that starts no escape: no encoding keeps PATH_INFO
        "/a/b?x=1&y=%41",
        "*",
        "http://example.com/\xe9",
    ]
    for target in everything:
        kept = simplify((Request(target=target), BASE, ()), lambda *_: True, default=BASE)
        assert kept[0].target == target
