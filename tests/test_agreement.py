"""The one list of what two exchanges of one request may differ in, and its comparison.

What holds between wsgicheck's two transports holds against another server too; what holds
only against another server (its name, its process model, its extensions) is a difference
between the transports. Real environs: built by the memory client for the same request.
"""

from __future__ import annotations

import io
from typing import Any

from wsgicheck import Client
from wsgicheck.explore.agreement import (
    ABSENT,
    MAY_DIFFER,
    Between,
    environ_differences,
    may_differ,
    normalised_environ,
    own_fields,
)
from wsgicheck.explore.replay import NORMALISED as REPLAY_NORMALISED
from wsgicheck.probe.differences import NORMALISED as PROBE_NORMALISED

TRANSPORTS, SERVERS = Between.TRANSPORTS, Between.SERVERS


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def environ() -> dict[str, Any]:
    response = Client(app).get("/x")
    assert response.environ is not None
    return dict(response.environ)


def test_the_two_comparisons_read_one_list() -> None:
    aspects = [leeway.aspect for leeway in MAY_DIFFER]
    assert len(aspects) == len(set(aspects))
    assert may_differ(TRANSPORTS) == REPLAY_NORMALISED
    assert all(
        leeway.between is TRANSPORTS for leeway in MAY_DIFFER if leeway.aspect in REPLAY_NORMALISED
    )
    # The probe's list is the environ part of the same entries, the transports' included.
    environ_entries = [leeway for leeway in MAY_DIFFER if leeway.part == "environ"]
    assert list(PROBE_NORMALISED) == [
        leeway.aspect.removeprefix("environ ") for leeway in environ_entries
    ]
    assert {leeway.between for leeway in environ_entries} == {TRANSPORTS, SERVERS}


def test_the_same_request_twice_agrees() -> None:
    assert environ_differences(environ(), environ(), TRANSPORTS) == {}
    assert environ_differences(environ(), environ(), SERVERS) == {}


def test_what_may_differ_between_the_transports() -> None:
    first, second = environ(), environ()
    second["REMOTE_PORT"] = "40000"
    second["wsgi.input"] = environ()["wsgi.input"]  # another object of the same class
    assert second["wsgi.input"] is not first["wsgi.input"]
    assert environ_differences(first, second, TRANSPORTS) == {}
    # Another class is a difference between the transports, not against another server.
    second["wsgi.errors"] = io.StringIO()
    found = environ_differences(first, second, TRANSPORTS)
    assert list(found) == ["wsgi.errors"]
    assert found["wsgi.errors"][1] == "'StringIO'"
    assert environ_differences(first, second, SERVERS) == {}


def test_what_may_differ_only_against_another_server() -> None:
    first, second = environ(), environ()
    second.update(
        {
            "SERVER_SOFTWARE": "gunicorn/23",
            "SERVER_NAME": "0.0.0.0",
            "REMOTE_ADDR": "10.0.0.1",
            "wsgi.multithread": True,
            "gunicorn.socket": object(),
            "HOME": "/root",
        }
    )
    second.pop("QUERY_STRING", None)
    first["QUERY_STRING"] = ""
    assert environ_differences(first, second, SERVERS, os_keys={"HOME"}) == {}
    # Between the transports each of them is a difference.
    assert set(environ_differences(first, second, TRANSPORTS)) == {
        "SERVER_SOFTWARE",
        "SERVER_NAME",
        "REMOTE_ADDR",
        "wsgi.multithread",
        "gunicorn.socket",
        "HOME",
        "QUERY_STRING",
    }


def test_a_key_one_side_lacks_is_absent_there() -> None:
    first, second = environ(), environ()
    second["HTTP_X_EXTRA"] = "1"
    assert environ_differences(first, second, SERVERS) == {"HTTP_X_EXTRA": (ABSENT, "'1'")}
    assert normalised_environ(second, SERVERS)["wsgi.input"] == "<present>"


def test_the_fields_a_transport_sets_for_itself() -> None:
    headers = [
        ("Content-Type", "text/plain"),
        ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("connection", "close"),
        ("Transfer-Encoding", "chunked"),
        ("Set-Cookie", "a=1"),
    ]
    assert own_fields(headers) == [("Content-Type", "text/plain"), ("Set-Cookie", "a=1")]
