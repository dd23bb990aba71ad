"""A server that refuses what the app gave and answers an error of its own, as a probe sees
it: the fault was the app's, so the server's 500 is no change to the app's answer.

hypercorn 0.18 answers ``500`` with an empty body when start_response took a field name that
is no token; fastwsgi 0.0.9 logs the error and answers its own ``500`` when the app's body
runs past its Content-Length. Neither is SRV-PLAY-DUMB (the status the app gave did not
reach the client), SRV-BINARY-SAFE (its bytes did not) or SRV-CL-SHORT (0 of the declared
bytes, "finished as if complete"): PEP 3333 asks for no more bytes than the header allows,
and an error answer sends none. What remains is the server's true fault, taking the call
(SRV-CHECK-HEADERS-EARLY) or asking for more blocks (SRV-CL-STOP-OR-RAISE).
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

from test_rules_probe import Wire, _finish, _head, answer_of, probed, server_findings


def _error_answer() -> Wire:
    return _head("500 Internal Server Error", [("Content-Length", "0")], b"")


def refusing_bad_heads(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """hypercorn 0.18: the head is checked when it is to be sent, and a bad one answered
    with a 500 of the server's own."""
    status, headers, body = answer_of(app, environ)
    if any(" " in name for name, _ in headers):
        log.append("ValueError: invalid header name\n")
        return _error_answer()
    return _head(status, headers, body)


def refusing_long_bodies(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """fastwsgi 0.0.9: the whole body is gathered, and one longer than the app's
    Content-Length answered with a 500 of the server's own."""
    head: list[Any] = []
    written: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return written.append

    result = app(environ, start_response)
    try:
        body = b"".join(written) + b"".join(result)
    finally:
        _finish(result)
    status, headers = head
    declared = [int(value) for name, value in headers if name.lower() == "content-length"]
    if declared and len(body) > declared[0]:
        log.append("".join(traceback.format_stack(limit=1)) + "response longer than declared\n")
        return _error_answer()
    return _head(status, headers, body)


def test_a_500_of_the_servers_own_for_a_bad_head_is_no_change_to_the_answer(
    tmp_path: Path,
) -> None:
    exchange = probed(tmp_path, refusing_bad_heads, "bad-headers", "invalid")
    assert exchange.response.status_code == 500
    assert server_findings(exchange) == {
        "SRV-CHECK-HEADERS-EARLY": [
            "start_response accepted a bad call: header name is not an RFC 9110 token: 'X Bad Name'"
        ]
    }


def test_a_500_of_the_servers_own_for_a_body_past_its_length_is_no_short_body(
    tmp_path: Path,
) -> None:
    exchange = probed(tmp_path, refusing_long_bodies, "content-length", "long")
    assert exchange.response.status_code == 500
    assert server_findings(exchange) == {
        "SRV-CL-STOP-OR-RAISE": [
            "the server went on asking for blocks after the 4 bytes of Content-Length were in "
            "and the body had overrun them"
        ]
    }


def test_a_500_for_an_answer_the_server_had_no_reason_to_refuse_is_still_play_dumbs(
    tmp_path: Path,
) -> None:
    """An app's valid 200 turned into a 500 (hypercorn does it for an app that returns
    ``[]``) is still a changed answer: one finding, not one more for each of the app's
    fields the server's own answer lacks (a trial of 2026-12-07 counted them as faults)."""

    def failing(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
        _finish(app(environ, lambda status, headers, exc_info=None: lambda data: None))
        return _error_answer()

    exchange = probed(tmp_path, failing, "echo")
    assert server_findings(exchange)["SRV-PLAY-DUMB"] == [
        "the app's status was 200; the client got 500, an answer of the server's own (the "
        "app's fields are not held to it)"
    ]
