"""The memo's views (rules/views.py): what is reused from the exchange before must still
stand for this exchange's values."""

from __future__ import annotations

import marshal
from typing import Any

from wsgicheck import Client
from wsgicheck.rules import Exchange
from wsgicheck.rules.views import environ_items


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def test_same_objects_mutated_value_marshals_anew() -> None:
    """An environ of the very same objects as the last one, one of them a list changed in
    between, is marshalled as it is now, not as it was."""
    shared = ["a"]
    environ: dict[str, Any] = {"REQUEST_METHOD": "GET", "x.list": shared}
    first = environ_items(environ)
    again = environ_items(environ)
    shared.append("b")
    changed = environ_items(environ)
    assert isinstance(first, tuple)
    assert isinstance(changed, tuple)
    assert first == again
    assert changed[0] == marshal.dumps({"REQUEST_METHOD": "GET", "x.list": ["a", "b"]}, 2)
    assert changed != first


def test_repeated_request_same_view_other_request_other_view() -> None:
    """The Client's repeated request reuses the environ's marshal (the same bytes object)
    and the exchanges' record views are equal; another target gives another view."""
    client = Client(_app)
    one = Exchange(client.get("/a"))
    two = Exchange(client.get("/a"))
    other = Exchange(client.get("/b"))
    assert one.environ_view is not None
    assert two.environ_view is not None
    assert one.environ_view[-1][0] is two.environ_view[-1][0]
    assert one.record_view == two.record_view
    assert one.record_view != other.record_view
    assert one.environ_view != other.environ_view
