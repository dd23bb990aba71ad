"""The rules only a probe feeds (``rules/server_probe.py``), and the probe's evidence in
rules that other sources feed too: each fires on bad evidence, stays silent on good, and
is skipped (not applied) where the evidence is missing."""

from __future__ import annotations

import copy
import io
from dataclasses import replace
from typing import Any

import pytest

from wsgicheck import Client, Framing, Request, Response
from wsgicheck.model.extra import Expect, Extra, Together
from wsgicheck.rules import REGISTRY, Exchange


def judged(rule_id: str, response: Response, extra: Extra) -> list[str] | None:
    """The rule's messages on the exchange, or None when it does not apply."""
    rule = REGISTRY[rule_id]
    exchange = Exchange(response, source="probe", extra=extra)
    if not rule.applies(exchange):
        return None
    return [finding.message for finding in rule.check(exchange)]


def two_blocks(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one"
    yield b"two"


def reader(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [data]


POST = Request(
    method="POST",
    headers=(("Host", "localhost"), ("Expect", "100-continue")),
    body=b"0123456789",
    framing=Framing.CONTENT_LENGTH,
)


@pytest.mark.parametrize(("received", "fires"), [(False, True), (True, False)])
def test_unbuffered_tx(received: bool, fires: bool) -> None:
    response = Client(two_blocks).get("/")
    messages = judged("SRV-UNBUFFERED-TX", response, Extra(first_block_received=received))
    assert messages is not None
    assert bool(messages) is fires
    assert judged("SRV-UNBUFFERED-TX", response, Extra()) is None


def test_defer_headers_from_outside() -> None:
    """The probe's client looked for the head while the app waited after an empty block."""
    response = Client(two_blocks).get("/")
    assert judged("SRV-DEFER-HEADERS", response, Extra(head_before_body=False)) == []
    [message] = judged("SRV-DEFER-HEADERS", response, Extra(head_before_body=True)) or []
    assert "received the response head" in message


def test_expect_continue_judges_http11_servers_only() -> None:
    response = Client(reader).send(POST)
    good = Expect(continued=True, final_first=False, version="HTTP/1.1")
    assert judged("SRV-EXPECT-CONTINUE", response, Extra(expect=good)) == []
    assert judged("SRV-EXPECT-NO-TIMEOUT-WAIT", response, Extra(expect=good)) == []
    assert judged("SRV-EXPECT-READ-BLOCKS", response, Extra(expect=good)) == []
    old = replace(good, version="HTTP/1.0")
    assert judged("SRV-EXPECT-CONTINUE", response, Extra(expect=old)) is None
    assert judged("SRV-EXPECT-NO-TIMEOUT-WAIT", response, Extra(expect=old)) is None


def test_expect_continue_fires_on_no_answer_and_on_a_short_body() -> None:
    evidence = Extra(expect=Expect(continued=True, final_first=False, version="HTTP/1.1"))
    silent = Response(POST, 0, "", [], b"", False, None, [])
    [message] = judged("SRV-EXPECT-CONTINUE", silent, evidence) or []
    assert "no response came" in message
    refused = Response(POST, 417, "Expectation Failed", [], b"", True, None, [])
    [message] = judged("SRV-EXPECT-CONTINUE", refused, evidence) or []
    assert "417" in message

    def lazy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read(3)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    [message] = judged("SRV-EXPECT-CONTINUE", Client(lazy).send(POST), evidence) or []
    assert "read 3 of the 10 bytes" in message


def test_expect_no_timeout_wait_fires_when_no_100_came() -> None:
    response = Client(reader).send(POST)
    waited = Expect(continued=False, final_first=False, version="HTTP/1.1")
    assert judged("SRV-EXPECT-NO-TIMEOUT-WAIT", response, Extra(expect=waited))
    answered = replace(waited, final_first=True)
    assert judged("SRV-EXPECT-NO-TIMEOUT-WAIT", response, Extra(expect=answered)) == []


def _file_app(filelike: Any, length: int | None = None) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        headers = [("Content-Type", "application/octet-stream")]
        if length is not None:
            headers.append(("Content-Length", str(length)))
        start_response("200 OK", headers)
        return environ["wsgi.file_wrapper"](filelike, 4096)

    return app


@pytest.mark.parametrize(
    ("rule", "variant"),
    [
        ("SRV-FILE-WRAPPER-FALLBACK", "nofileno"),
        ("SRV-FILE-WRAPPER-SEMANTICS", "offset"),
        ("SRV-FILE-WRAPPER-SEMANTICS", "file"),
        ("SRV-FILE-WRAPPER-NO-EARLY-TX", "early"),
    ],
)
def test_file_wrapper_rules_compare_the_body_with_the_bytes_owed(rule: str, variant: str) -> None:
    response = Client(_file_app(io.BytesIO(b"abcdefgh"))).get("/")
    owed = Extra(file_wrapper_variant=variant, file_wrapper_expected=b"abcdefgh")
    assert judged(rule, response, owed) == []
    wrong = replace(owed, file_wrapper_expected=b"abcdefgX")
    [message] = judged(rule, response, wrong) or []
    assert "byte 7" in message
    longer = replace(owed, file_wrapper_expected=b"abcdefgh!")
    [message] = judged(rule, response, longer) or []
    assert "8 bytes, not 9" in message
    assert judged(rule, response, Extra()) is None
    other = replace(owed, file_wrapper_variant="elsewhere")
    assert judged(rule, response, other) is None


def test_file_wrapper_rules_report_an_empty_body() -> None:
    response = Client(_file_app(io.BytesIO(b""))).get("/")
    owed = Extra(file_wrapper_variant="nofileno", file_wrapper_expected=b"data")
    [message] = judged("SRV-FILE-WRAPPER-FALLBACK", response, owed) or []
    assert "no body" in message


def test_file_wrapper_close_uses_the_probes_view_of_the_file() -> None:
    response = Client(_file_app(io.BytesIO(b"abc"))).get("/")
    assert judged("SRV-FILE-WRAPPER-CLOSE", response, Extra(filelike_closed=True)) == []
    [message] = judged("SRV-FILE-WRAPPER-CLOSE", response, Extra(filelike_closed=False)) or []
    assert "never closed" in message


def test_input_empty_at_eof_fires_on_a_read_that_waited_for_the_client() -> None:
    def read_all(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    response = Client(read_all).get("/")
    [message] = judged("SRV-INPUT-EMPTY-AT-EOF", response, Extra(input_blocked=True)) or []
    assert "waited" in message
    assert judged("SRV-INPUT-EMPTY-AT-EOF", response, Extra()) == []


def ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize(
    ("rule", "config", "extra", "fires"),
    [
        ("ENV-MULTITHREAD-ACCURATE", {"multithread": False}, (True, True), True),
        ("ENV-MULTITHREAD-ACCURATE", {"multithread": True}, (True, True), False),
        ("ENV-MULTIPROCESS-ACCURATE", {"multiprocess": False}, (True, False), True),
        ("ENV-MULTIPROCESS-ACCURATE", {"multiprocess": True}, (True, False), False),
    ],
)
def test_concurrency_flags_are_judged_on_two_requests_run_at_once(
    rule: str, config: dict[str, bool], extra: tuple[bool, bool], fires: bool
) -> None:
    from wsgicheck import ServerConfig

    response = Client(ok, config=ServerConfig(**config)).get("/")
    overlapped, same = extra
    evidence = Extra(together=Together(overlapped=overlapped, same_process=same))
    messages = judged(rule, response, evidence)
    assert messages is not None
    assert bool(messages) is fires
    # Run one after the other, they say nothing about the flags.
    apart = Extra(together=Together(overlapped=False, same_process=same))
    assert judged(rule, response, apart) is None


def test_run_once_is_judged_on_a_process_that_served_several_requests() -> None:
    from wsgicheck import ServerConfig

    once = Client(ok, config=ServerConfig(run_once=True)).get("/")
    assert judged("ENV-RUN-ONCE-ACCURATE", once, Extra(process_requests=2))
    assert judged("ENV-RUN-ONCE-ACCURATE", once, Extra(process_requests=1)) is None
    many = Client(ok).get("/")
    assert judged("ENV-RUN-ONCE-ACCURATE", many, Extra(process_requests=5)) == []


@pytest.mark.parametrize("kind", ["needs", "finds"])
def test_a_rule_names_only_fields_of_the_extra_record(kind: str) -> None:
    """A misspelt ``extra:<field>`` is refused when the rule is declared, not skipped later."""
    from wsgicheck.rules.registry import Binding, Level, rule

    declared: dict[str, Any] = {"needs": ("extra:first_block_recieved",)}
    if kind == "finds":
        declared = {"needs": (), "finds": ("extra:filelike_close",)}
    with pytest.raises(ValueError, match="names no field of Extra"):
        rule(
            "TEST-MISSPELT",
            level=Level.MUST,
            binding=Binding.SERVER,
            section="",
            summary="",
            pep="",
            **declared,
        )
    assert "TEST-MISSPELT" not in {each.id for each in REGISTRY}


def test_the_extra_record_names_the_evidence_it_holds() -> None:
    """Only the fields given (False and empty values included) become ``extra:`` evidence."""
    response = Client(ok).get("/")

    def extra_evidence(exchange: Exchange) -> set[str]:
        return {name for name in exchange.evidence if name.startswith("extra:")}

    given = Extra(server_alive=False, transport_differences=())
    held = extra_evidence(Exchange(response, source="probe", extra=given))
    assert held == {"extra:server_alive", "extra:transport_differences"}
    assert extra_evidence(Exchange(response, source="probe")) == set()
    assert bool(given) is True
    assert bool(Extra()) is False


@pytest.mark.parametrize("rule_id", ["SRV-BINARY-SAFE", "SRV-CL-SHORT", "SRV-PLAY-DUMB"])
def test_a_response_that_never_came_is_no_body_to_compare(rule_id: str) -> None:
    """A probed server that closed without a word after the app answered (granian, now and
    then): no rule on the response's bytes judges it, as though 0 bytes were the body."""
    app_side = Client(two_blocks).get("/")
    nothing = copy.copy(app_side)  # the same trace; on the wire, nothing
    nothing.status_code, nothing.reason, nothing.headers = 0, "", []
    nothing.body, nothing.body_size, nothing.complete = b"", 0, False
    assert judged("SRV-BINARY-SAFE", app_side, Extra()) == []
    assert judged(rule_id, nothing, Extra()) is None
