"""An app that answers the same request differently is told apart from a server difference.

When the memory and socket exchanges of one request differ, the runner replays it in
memory. If the app disagrees with itself, that is HARNESS-APP-VARIES, and the transport
comparison (HARNESS-TRANSPORTS-AGREE) leaves out what the app varies. Real apps: a Flask app
behind Flask-Limiter, and a counter that sets a cookie on a URL's first visit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import wsgicheck.drivers.connection
from rulekit import load
from wsgicheck import Client
from wsgicheck.core.environ import ServerConfig
from wsgicheck.explore.replay import (
    EXPLAIN_REPLAYS,
    MemoryTransport,
    app_variations,
    compare,
    differences,
)
from wsgicheck.explore.runner import RunOptions, run
from wsgicheck.rules import Exchange, check_exchange

ROOT = Path(__file__).resolve().parent.parent
VARYING = ROOT / "fixtures" / "varying"
CONFIG = ServerConfig()


def options(**changes: Any) -> RunOptions:
    return RunOptions(**{"database": None, "seed": 2, "max_examples": 40, **changes})


@pytest.mark.parametrize("name", ["ratelimited", "counter"])
def test_an_app_that_varies_is_its_own_finding_not_the_servers(name: str) -> None:
    app = load(VARYING / f"{name}.py", fresh=True).app
    result = run(app, options(), target=name)
    assert result.errors == []
    assert set(result.failures) == {"HARNESS-APP-VARIES"}
    assert not result.failed()  # a SHOULD: it is the app's own behaviour, not a violation
    agree = next(r for r in result.results if r.rule.id == "HARNESS-TRANSPORTS-AGREE")
    assert agree.status == "pass"


def test_the_rate_limited_app_varies_its_status() -> None:
    app = load(VARYING / "ratelimited.py", fresh=True).app
    client = Client(app)
    first, second, third = (client.get("/x") for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [200, 200, 429]
    varies = app_variations(second, third)
    assert set(varies) == {"status"}
    assert differences(second, third, app_varies=varies) == []


def test_a_real_transport_difference_is_still_blamed_on_the_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deterministic app, a socket transport that builds another environ: the replay in
    memory agrees with the first exchange, so the difference is the server's."""
    build = wsgicheck.drivers.connection.build_environ

    def altered(*args: Any, **kwargs: Any) -> dict[str, Any]:
        environ = build(*args, **kwargs)
        environ["wsgi.run_once"] = True
        return environ

    monkeypatch.setattr(wsgicheck.drivers.connection, "build_environ", altered)
    app = load(ROOT / "fixtures" / "wsgiapp.py").app
    result = run(app, options(max_examples=10), target="wsgiapp")
    assert set(result.failures) == {"HARNESS-TRANSPORTS-AGREE"}
    assert "wsgi.run_once" in result.failures["HARNESS-TRANSPORTS-AGREE"].finding.message
    varies = next(r for r in result.results if r.rule.id == "HARNESS-APP-VARIES")
    assert varies.status == "pass"  # replayed, and the app answered the same


def test_an_app_that_varies_does_not_hide_a_server_difference_it_cannot_explain() -> None:
    """Memory 200, replays 429 (the app varies its status), socket 500: no answer of the app's
    own was a 500, so the status difference is still the server's."""
    app = load(VARYING / "ratelimited.py", fresh=True).app
    memory = MemoryTransport(app, timeout=10.0)
    request = Client(app).build_request("GET", "/y")
    first = memory.exchange(request, CONFIG)
    assert first.status_code == 200
    memory.exchange(request, CONFIG)  # the second of the two allowed
    socket_side = first.replace(status_code=500)  # what a broken server would have answered
    evidence = compare(memory, request, CONFIG, first, socket_side)
    assert evidence.app_varies == ("status 200 first, 429 when replayed",)
    assert evidence.transport_differences == ("status 200 in memory, 500 on a socket",)
    explained = compare(memory, request, CONFIG, first, first.replace(status_code=429))
    assert explained.transport_differences == ()


def test_an_app_that_varies_at_random_is_replayed_until_one_of_its_answers_explains() -> None:
    """Django's GZipMiddleware sends a small body uncoded when its random padding makes it no
    smaller (27% of the time on a small JSON body): two coded replays beside an uncoded
    socket answer are no difference of wsgicheck's transports. Here the sixth replay is
    the first answer of the socket's kind."""
    calls = [0]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls[0] += 1
        fields = [("Content-Type", "text/plain")]
        if calls[0] % 7:  # the 7th, 14th... call is uncoded
            fields.append(("Content-Encoding", "gzip"))
        start_response("200 OK", fields)
        return [b"x"]

    memory = MemoryTransport(app, timeout=10.0)
    request = Client(app).build_request("GET", "/")
    first = memory.exchange(request, CONFIG)
    uncoded = first.replace(
        headers=[(k, v) for k, v in first.headers if k.lower() != "content-encoding"]
    )
    evidence = compare(memory, request, CONFIG, first, uncoded)
    assert evidence.transport_differences == ()
    assert evidence.app_varies == ("response header names differ: ['content-encoding']",)
    assert calls[0] == 7  # the first exchange and six replays


def test_a_real_difference_of_the_transports_costs_every_replay() -> None:
    """A deterministic app whose socket answer differs (what a wsgicheck bug would show) is
    replayed EXPLAIN_REPLAYS times before the difference stands."""
    calls = [0]

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        calls[0] += 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x"]

    memory = MemoryTransport(app, timeout=10.0)
    request = Client(app).build_request("GET", "/")
    first = memory.exchange(request, CONFIG)
    evidence = compare(memory, request, CONFIG, first, first.replace(status_code=500))
    assert evidence.transport_differences == ("status 200 in memory, 500 on a socket",)
    assert evidence.app_varies == ()
    assert calls[0] == 1 + EXPLAIN_REPLAYS


def test_an_answer_from_the_app_s_cache_is_named() -> None:
    """A cache in the app (Django's cache_page, say) adds Age to the answers it keeps: the
    first answer lacks it, the next has it."""
    kept: dict[str, bytes] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        fields = [("Content-Type", "text/plain")]
        if path in kept:
            fields.append(("Age", "0"))
        body = kept.setdefault(path, b"hello\n")
        start_response("200 OK", fields)
        return [body]

    client = Client(app)
    varies = app_variations(client.get("/x"), client.get("/x"))
    assert varies == {
        "header names": "response header names differ: ['age'] (Age: one of the answers came "
        "from a cache the app keeps)"
    }


def test_an_unsafe_request_answered_otherwise_when_replayed_is_no_finding() -> None:
    """A PUT that created a resource (201) replaces it when replayed (204), as RFC 9110
    §9.3.4 says it must: the replay shows the app changed, and nothing to report."""
    store: dict[str, bytes] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        existed = environ["PATH_INFO"] in store
        store[environ["PATH_INFO"]] = b"x"
        start_response("204 No Content" if existed else "201 Created", [])
        return []

    memory = MemoryTransport(app, timeout=10.0)
    results = {}
    for method in ("PUT", "GET"):
        store.clear()
        request = Client(app).build_request(method, "/doc")
        first = memory.exchange(request, CONFIG)
        socket_side = first.replace(status_code=204)  # the second answer, over the socket
        evidence = compare(memory, request, CONFIG, first, socket_side)
        assert evidence.app_varies is not None
        assert evidence.app_varies[0] == "status 201 first, 204 when replayed"
        exchange = Exchange(first, extra=evidence)
        results[method] = {f.rule for f in check_exchange(exchange) if f.rule.startswith("HARNESS")}
    assert results == {"PUT": set(), "GET": {"HARNESS-APP-VARIES"}}
