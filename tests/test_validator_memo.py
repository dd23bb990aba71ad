"""The validator's remembered verdicts: a request judged again gets the verdict it got."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

from wsgicheck import validator
from wsgicheck.rules import engine


class _Text(str):
    """A str of the app's own type: it has no raw view, so it is judged afresh."""


def _yielding(value: object) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[object]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [value]

    return app


def _write(data: bytes) -> None:
    pass


def _serve(wrapped: Callable[..., Any]) -> None:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    result = wrapped(environ, lambda status, headers, exc_info=None: _write)
    try:
        list(result)
    finally:
        result.close()


def test_values_equal_in_python_get_their_own_verdicts_each_time() -> None:
    # True == 1 == 1.0, but the findings name their types: the views the validator keys
    # the engine's memo by keep them apart, on the first request and on the repeats.
    engine.forget()
    cases = (
        (True, "bool True"),
        (1, "int 1"),
        (1.0, "float 1.0"),
        (_Text("a"), "_Text <_Text object>"),
    )
    for _ in range(3):
        for value, shown in cases:
            checked = validator(_yielding(value), collect=True)
            _serve(checked)
            _serve(checked)
            messages = [f.message for f in checked.findings if f.rule == "APP-YIELD-BYTES"]
            assert messages == [f"the iterable yielded {shown}"] * 2


def test_a_good_request_repeated_finds_nothing_each_time() -> None:
    engine.forget()
    checked = validator(_yielding(b"hello"), collect=True)
    for _ in range(40):  # more than the history of 32 the rules over pairs look back on
        _serve(checked)
    assert checked.findings == []
