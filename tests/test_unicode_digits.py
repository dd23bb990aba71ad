"""Digits that are not ASCII ("²", "٣"): ``str.isdigit()`` takes them and ``int()`` refuses
or reads them, so every number the harness reads from an app, a server or a client goes
through ``grammar.decimal``. Each value here once crashed the validator with a ValueError."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from wsgicheck import Client, validator
from wsgicheck.drivers.validation import WSGIViolation
from wsgicheck.model.grammar import decimal
from wsgicheck.probe.scenario_base import declared_length, parse_header


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12), ("007", 7), ("²", None), ("١٢", None), ("1²", None), ("", None), ("+1", None)],
)
def test_decimal_reads_ascii_digits_only(text: str, number: int | None) -> None:
    assert decimal(text) == number


def _app(status: str, headers: list[tuple[str, str]]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, headers)
        return [b"hello"]

    return app


def _serve(wrapped: Callable[..., Any], **environ_values: str) -> None:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO(), **environ_values}
    setup_testing_defaults(environ)
    result = wrapped(environ, lambda status, headers, exc_info=None: lambda data: None)
    try:
        list(result)
    finally:
        result.close()


@pytest.mark.parametrize(
    ("status", "headers", "rules"),
    [
        ("²00 OK", [("Content-Type", "text/plain")], {"APP-STATUS-FORMAT"}),
        ("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "²")], {"APP-CL-SYNTAX"}),
    ],
)
def test_the_validator_reports_an_apps_unicode_digits_as_a_violation(
    status: str, headers: list[tuple[str, str]], rules: set[str]
) -> None:
    checked = validator(_app(status, headers), collect=True)
    _serve(checked)
    # The test's own server takes the bad head without a word: SRV-CHECK-HEADERS-EARLY.
    assert {f.rule for f in checked.findings} == rules | {"SRV-CHECK-HEADERS-EARLY"}
    with pytest.raises(WSGIViolation) as raised:
        _serve(validator(_app(status, headers)))
    assert raised.value.rule in rules


def test_the_validator_reports_a_servers_unicode_content_length() -> None:
    checked = validator(_app("200 OK", [("Content-Type", "text/plain")]), collect=True)
    _serve(checked, CONTENT_LENGTH="²")
    assert {f.rule for f in checked.findings} == {"ENV-CONTENT-LENGTH"}


def test_the_probe_reads_no_unicode_digits_from_a_request() -> None:
    assert parse_header("² echo") is None
    assert parse_header("12 echo x") == (12, "echo", "x")
    assert declared_length({"CONTENT_LENGTH": "²"}) is None


def test_numbers_longer_than_int_reads_are_no_numbers() -> None:
    # int() refuses more than 4,300 digits (Python 3.11+): such a value is no number here.
    assert decimal("7" * 5000) is None
    assert decimal("0" * 5000 + "12") == 12
    assert decimal("7" * 4000) == int("7" * 4000)


@pytest.mark.parametrize("digits", ["1" * 5000, "0" * 5000 + "5"])
def test_an_apps_content_length_of_thousands_of_digits_is_a_finding(digits: str) -> None:
    headers = [("Content-Type", "text/plain"), ("Content-Length", digits)]
    checked = validator(_app("200 OK", headers), collect=True)
    _serve(checked)
    # Thousands of digits are refused (and the test's server takes them without a word,
    # SRV-CHECK-HEADERS-EARLY); a long run of zeros before a 5 is the body's length.
    refused = {"APP-CL-SYNTAX", "SRV-CHECK-HEADERS-EARLY"}
    assert {f.rule for f in checked.findings} == (refused if digits[0] == "1" else set())
    response = Client(_app("200 OK", headers)).get("/")
    assert response.status_code == 500 if digits[0] == "1" else 200


def test_a_servers_content_length_of_thousands_of_digits_is_a_finding() -> None:
    checked = validator(_app("200 OK", [("Content-Type", "text/plain")]), collect=True)
    _serve(checked, CONTENT_LENGTH="1" * 5000)
    assert {f.rule for f in checked.findings} == {"ENV-CONTENT-LENGTH"}
