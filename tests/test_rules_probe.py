"""The rules only a probe feeds (``rules/server_probe.py``), and the probe's evidence in
rules that other sources feed too: each fires on bad evidence, stays silent on good, and
is skipped (not applied) where the evidence is missing."""

from __future__ import annotations

import copy
import gc
import importlib
import io
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from wsgiref.util import FileWrapper

import pytest

from wsgicheck import Client, Framing, Request, Response
from wsgicheck.core.environ import ServerConfig, request_environ
from wsgicheck.drivers.rawclient import WireResponse
from wsgicheck.model.events import AppRaised, raw_event
from wsgicheck.model.extra import Answer, Expect, Extra, Together
from wsgicheck.probe.app import LIVE_RULES, make_app
from wsgicheck.probe.channel import Channel
from wsgicheck.probe.judge import (
    Judged,
    add_shared_evidence,
    probe_rules,
    records_by_id,
    to_exchange,
)
from wsgicheck.probe.scenario_base import CONDITIONAL_TAG, HEADER, SHORT_BODY
from wsgicheck.probe.session import Sent
from wsgicheck.rules import REGISTRY, Binding, Exchange


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
    assert message.startswith("100 Continue came, then no final response to an Expect")
    unanswered = Extra(expect=Expect(continued=False, version="HTTP/1.1"))
    [message] = judged("SRV-EXPECT-CONTINUE", silent, unanswered) or []
    assert message.startswith("no response came to an Expect: 100-continue request of 10")
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
    # A wrapper the app closed itself closed its file: the one left open is the server's
    # not calling close() (SRV-CLOSE-CALLED's); one that did not is this rule's finding.
    shown = Extra(filelike_closed=False, wrapper_closes_filelike=True)
    assert judged("SRV-FILE-WRAPPER-CLOSE", response, shown) == []
    early = Extra(file_wrapper_variant="early", wrapper_closes_filelike=False)
    assert judged("SRV-FILE-WRAPPER-CLOSE", response, early) == [
        "the app called the wrapper's close(), and the file-like object stayed open"
    ]


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
    then): no rule on the response's bytes judges it, as though 0 bytes were the body;
    SRV-PLAY-DUMB says the answer never came, and no more."""
    app_side = Client(two_blocks).get("/")
    nothing = copy.copy(app_side)  # the same trace; on the wire, nothing
    nothing.status_code, nothing.reason, nothing.headers = 0, "", []
    nothing.body, nothing.body_size, nothing.complete = b"", 0, False
    assert judged("SRV-BINARY-SAFE", app_side, Extra()) == []
    messages = judged(rule_id, nothing, Extra())
    if rule_id == "SRV-PLAY-DUMB":
        assert messages is not None
        assert [message.partition(", but ")[2] for message in messages] == [
            "no response reached the client: the server closed the connection without one, "
            "or sent nothing in the time the client waited"
        ]
        # Pipelined, it is SRV-RESPONSE-ORDER's (bjoern answers only the last request).
        pipelined = Extra(answer=Answer(asked=2, answered=3, answered_request="GET /pipelined/3"))
        # Nor where the client did not read on, or another rule owns the answer: a follow-up
        # behind an answer that closed (meinheld), after 100 Continue, after a half-close.
        for elsewhere in (
            pipelined,
            Extra(follow_up=True),
            Extra(after_close="closed"),
            Extra(expect=Expect(continued=True, version="HTTP/1.1")),
            Extra(input_blocked=False),
        ):
            assert judged(rule_id, nothing, elsewhere) is None, elsewhere
    else:
        assert messages is None


# -- foreign servers, as a probe sees them -------------------------------------------------------
#
# The probe app (``wsgicheck.probe.app``) run by a small server written here that behaves as a
# real one was seen to behave, and judged as the prober judges it: its record goes through
# the side channel, the wire is what a client would have read, and ``to_exchange`` makes
# the exchange. The validator inside cannot see the wire: for it the head "went out" when
# the app produced its first block, whatever the server did with it.

Wire = WireResponse | None
Server = Callable[[Any, dict[str, Any], list[str]], Wire]
DATE = ("Date", "Sun, 06 Nov 1994 08:49:37 GMT")


def _environ(request: Request) -> dict[str, Any]:
    environ, _ = request_environ(request, ServerConfig())
    environ["wsgi.input"] = io.BytesIO(request.body)
    environ["wsgi.errors"] = io.StringIO()
    return environ


def _finish(result: Any) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _head(status: str, headers: list[tuple[str, str]], body: bytes, **wire: Any) -> WireResponse:
    return WireResponse("HTTP/1.1", int(status[:3]), status[4:], [*headers, DATE], body, **wire)


def _ignored(data: bytes) -> None:
    """A write() callable (the scenarios here do not use it)."""


def answer_of(app: Any, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """The app run as a plain server runs it: the last status and headers it gave, its
    whole body, and its iterable closed."""
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return _ignored

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        _finish(result)
    return head[0], head[1], body


def buffering(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """eventlet 0.41 with a small body: the head waits in a buffer with the body until the
    app is done, so an exc_info given after the first block still replaces it, and an
    exception from the iteration is answered with a 500 of the server's own."""
    head: list[Any] = []
    body: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return body.append

    try:
        result = app(environ, start_response)
        try:
            body.extend(result)
        finally:
            _finish(result)
    except Exception:
        log.append(traceback.format_exc())
        note = b"Traceback (most recent call last): ...\n"
        fields = [("Content-Type", "text/plain"), ("Content-Length", str(len(note)))]
        return _head("500 Internal Server Error", [*fields, ("Connection", "close")], note)
    status, headers = head
    return _head(status, [*headers, ("Transfer-Encoding", "chunked")], b"".join(body))


def immediate(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """granian 2.8: the head goes out with the first block, and then a late exc_info is
    taken without a word; a field whose name is no token is dropped, a value beyond ASCII
    goes out as UTF-8, and a body short of the app's Content-Length is cut before any of it
    went out (the connection closed)."""
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if not head or exc_info is None:
            head[:] = [status, list(headers)]
        return _ignored

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        _finish(result)
    status, headers = head
    sent = [
        (name, value.encode("utf-8").decode("latin-1"))
        for name, value in headers
        if " " not in name
    ]
    declared = [int(value) for name, value in headers if name.lower() == "content-length"]
    if not declared:
        sent.append(("Transfer-Encoding", "chunked"))
    elif declared[0] > len(body):
        return _head(status, sent, b"", complete=False, closed=True)
    return _head(status, sent, body)


def dropping(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """uWSGI 2.0: an exception before the head went out is logged, with its traceback, and
    the connection closed without a response."""
    try:
        _finish(app(environ, lambda status, headers, exc_info=None: _ignored))
    except Exception:
        log.append(traceback.format_exc())
        return None
    raise AssertionError("the scenario was to raise")


def probed(tmp_path: Path, server: Server, scenario: str, arg: str = "") -> Exchange:
    """The probe's exchange for ``scenario`` on ``server`` (a channel of its own)."""
    folder = tmp_path / f"probe-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    channel = Channel(folder)
    value = f"1 {scenario}" + (f" {arg}" if arg else "")
    request = Request(headers=(("Host", "localhost"), (HEADER, value)))
    log: list[str] = []
    wire = server(make_app(channel), _environ(request), log)
    gc.collect()
    record = records_by_id(channel.records()).get(1)
    sent = Sent(1, scenario, request, response=wire, arg=arg)
    if wire is not None and wire.stalled:
        sent.unended = 5.0  # as Session.exchange says of a read that ran out of time
    return to_exchange(sent, record, "".join(log)).exchange


def server_findings(exchange: Exchange) -> dict[str, list[str]]:
    """Every SERVER rule that fired on the exchange, with its messages."""
    found: dict[str, list[str]] = {}
    for each in probe_rules():
        if each.binding is Binding.SERVER and each.id not in LIVE_RULES and each.applies(exchange):
            messages = [finding.message for finding in each.check(exchange)]
            if messages:
                found[each.id] = messages
    return found


def without(server: Server, name: str) -> Server:
    """``server``, with the field ``name`` left out of every response it sends."""

    def serve(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
        wire = server(app, environ, log)
        if wire is not None:
            wire.headers = [field for field in wire.headers if field[0].lower() != name]
        return wire

    return serve


def swallowing(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """A server that traps the app's exception and answers an empty 200, logging nothing."""
    try:
        _finish(app(environ, lambda status, headers, exc_info=None: _ignored))
    except Exception:
        return _head("200 OK", [("Content-Length", "0")], b"")
    raise AssertionError("the scenario was to raise")


@pytest.mark.parametrize(
    ("scenario", "arg"), [("exc-info", "after"), ("raise", "late"), ("close", "error")]
)
def test_a_server_still_holding_the_head_may_replace_it(
    tmp_path: Path, scenario: str, arg: str
) -> None:
    """FA4, eventlet 0.41: the first block sat in the server's buffer with the head when
    the app gave exc_info or raised, so the server could still replace the head (with the
    app's 500, or its own error answer). PEP 3333 asks start_response to raise only "if
    exc_info is provided, and the HTTP headers have already been sent"; the client's head
    shows they had not. Holding the block is SRV-UNBUFFERED-TX's finding, not these."""
    exchange = probed(tmp_path, buffering, scenario, arg)
    assert exchange.response.status_code == 500
    assert server_findings(exchange) == {}
    if scenario == "exc-info":
        assert not REGISTRY["SRV-EXC-INFO-RAISE"].applies(exchange)
    else:
        assert not REGISTRY["SRV-PLAY-DUMB"].applies(exchange)
        assert not REGISTRY["SRV-BINARY-SAFE"].applies(exchange)


def losing(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """granian 2.8.9, now and then: the app yields a block and then raises, and the server
    aborts with the head sent and none of the block (the connection closed)."""
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return _ignored

    result = app(environ, start_response)
    try:
        b"".join(result)
    except Exception:
        log.append(traceback.format_exc())
        chunked = [*head[1], ("Transfer-Encoding", "chunked")]
        return _head(head[0], chunked, b"", complete=False, closed=True)
    finally:
        _finish(result)
    raise AssertionError("the scenario was to raise")


def test_blocks_lost_with_a_response_aborted_on_the_apps_error_are_no_binary_question(
    tmp_path: Path,
) -> None:
    """Audit of 2026-12-05: granian aborted the response when the app raised after its
    first block, sometimes before that block went out. SRV-BINARY-SAFE (line endings kept)
    said "0 bytes of body were sent for the 35 the app produced"; no byte was altered."""
    exchange = probed(tmp_path, losing, "raise", "late")
    assert exchange.response.body_size == 0
    assert REGISTRY["SRV-BINARY-SAFE"].applies(exchange)
    assert server_findings(exchange) == {}


def replacing(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """aiohttp-wsgi 0.10: the whole response is held until the app is done, and a late
    exc_info replaces it, head and the blocks yielded before it."""
    head: list[Any] = []
    body: list[bytes] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        body.clear()  # the blocks of the replaced response go with its head
        return body.append

    result = app(environ, start_response)
    try:
        body.extend(result)
    finally:
        _finish(result)
    data = b"".join(body)
    return _head(head[0], [*head[1], ("Content-Length", str(len(data)))], data)


def test_a_late_exc_info_taken_by_a_server_that_held_everything_owes_no_earlier_block(
    tmp_path: Path,
) -> None:
    """The probe sweep of 2026-12-03 (aiohttp-wsgi): a server that held the first block may
    drop it with the head exc_info replaces; SRV-BINARY-SAFE asked for it anyway."""
    exchange = probed(tmp_path, replacing, "exc-info", "after")
    assert exchange.response.status_code == 500
    assert server_findings(exchange) == {}


def test_a_server_that_sent_the_head_must_refuse_a_late_exc_info(tmp_path: Path) -> None:
    """granian 2.8: the client got the first call's 200 and both blocks, so the head was
    out when start_response took exc_info and returned: a true SRV-EXC-INFO-RAISE."""
    exchange = probed(tmp_path, immediate, "exc-info", "after")
    assert exchange.response.status_code == 200
    assert server_findings(exchange) == {
        "SRV-EXC-INFO-RAISE": [
            "start_response returned normally for exc_info after the body had started"
        ]
    }


def test_a_body_short_of_the_apps_own_length_is_not_a_binary_safety_question(
    tmp_path: Path,
) -> None:
    """FA5, granian 2.8: the app declared 10 bytes and gave 4; granian closed the connection
    before sending any. The app's framing is wrong; what the server does then is
    SRV-CL-SHORT's (which it passes: it closed), not SRV-BINARY-SAFE's."""
    exchange = probed(tmp_path, immediate, "content-length", "short")
    assert exchange.response.body_size == 0
    assert server_findings(exchange) == {}
    assert not REGISTRY["SRV-BINARY-SAFE"].applies(exchange)
    assert REGISTRY["SRV-CL-SHORT"].applies(exchange)
    # Finished as if complete, it is one finding, SRV-CL-SHORT's.
    finished = copy.copy(exchange.response)
    finished.complete = True
    assert server_findings(Exchange(finished, source="probe")) == {
        "SRV-CL-SHORT": [
            "Content-Length was 10, 0 bytes were sent, and the response was finished as if complete"
        ]
    }


def test_play_dumb_leaves_fields_another_rule_owns(tmp_path: Path) -> None:
    """FA5, granian 2.8: a field name that is no token cannot go out as given (accepting it
    is SRV-CHECK-HEADERS-EARLY's), and a latin-1 value sent as UTF-8 is
    SRV-HEADERS-LATIN1's: one finding per fault, none of them SRV-PLAY-DUMB's."""
    invalid = probed(tmp_path, immediate, "bad-headers", "invalid")
    assert server_findings(invalid) == {
        "SRV-CHECK-HEADERS-EARLY": [
            "start_response accepted a bad call: header name is not an RFC 9110 token: 'X Bad Name'"
        ]
    }
    latin1 = probed(tmp_path, immediate, "latin1-header")
    assert server_findings(latin1) == {
        "SRV-HEADERS-LATIN1": [
            "the app's x-latin-1: 'café £ ÿ' was sent as b'caf\\xc3\\xa9 \\xc2\\xa3 \\xc3\\xbf' "
            "(encoded as UTF-8), not b'caf\\xe9 \\xa3 \\xff'"
        ]
    }


@pytest.mark.parametrize(
    ("scenario", "arg", "dropped", "message"),
    [
        ("bad-headers", "invalid", "content-type", "content-type: 'text/plain; charset=utf-8'"),
        ("latin1-header", "", "x-latin-1", "x-latin-1: 'café £ ÿ'"),
    ],
)
def test_play_dumb_still_judges_the_fields_it_owns(
    tmp_path: Path, scenario: str, arg: str, dropped: str, message: str
) -> None:
    """A valid field dropped beside an invalid one, and a latin-1 value not sent at all
    (SRV-HEADERS-LATIN1 judges only one sent changed), are still SRV-PLAY-DUMB's."""
    exchange = probed(tmp_path, without(immediate, dropped), scenario, arg)
    found = server_findings(exchange)
    assert found["SRV-PLAY-DUMB"] == [f"the app's {message} was not sent as given"]
    assert "SRV-HEADERS-LATIN1" not in found


def test_trap_log_takes_a_logged_exception_and_a_closed_connection(tmp_path: Path) -> None:
    """FA6, uWSGI 2.0: the app raised before its head; uWSGI logged the traceback and
    closed the connection without a response. PEP 3333 asks servers to "trap and log any
    exception that aborts an application"; an abort is an answer the rule allows."""
    exchange = probed(tmp_path, dropping, "raise", "early")
    assert exchange.response.status_code == 0
    assert REGISTRY["SRV-TRAP-LOG"].applies(exchange)
    assert server_findings(exchange) == {}
    quiet = replace(exchange.extra, server_log="GET / => generated 0 bytes (HTTP/1.1 500)\n")
    assert server_findings(Exchange(exchange.response, source="probe", extra=quiet)) == {
        "SRV-TRAP-LOG": [
            "the server's log does not mention the app's ProbeError (wsgicheck probe: raised "
            "before start_response)"
        ]
    }
    # Another of the probe's raises, logged, does not stand for this one (it names its own).
    other = replace(
        exchange.extra, server_log="ProbeError: wsgicheck probe: an error before any body"
    )
    assert server_findings(Exchange(exchange.response, source="probe", extra=other)) == {
        "SRV-TRAP-LOG": [
            "the server's log does not mention the app's ProbeError (wsgicheck probe: raised "
            "before start_response)"
        ]
    }


#: How Twisted's ``twist web --wsgi`` logs an app's exception when its output is no terminal:
#: a JSON line with the type and the frames, the value left out.
TWISTED_LOG = (
    '{"log_failure": {"type": {"__module__": "wsgicheck.probe.scenario_base", "__name__": '
    '"ProbeError"}, "value": {"unpersistable": true}, "frames": [["raising", '
    '"/x/wsgicheck/probe/scenarios_errors.py", 36, [], []]]}, "log_level": {"name": '
    '"critical"}, "log_format": "WSGI application error"}\n'
)


#: A JSON log that keeps messages in a form of its own, and names another raise of the type.
JSON_LOG = (
    '{"exc_type": "ProbeError", "exc_message": "wsgicheck probe: an error before any body"}\n'
)


@pytest.mark.parametrize(
    ("log", "keeps", "logged"),
    [
        (TWISTED_LOG, None, True),
        (TWISTED_LOG, False, True),
        # The type alone, where the log keeps other raises' messages: one of them.
        (TWISTED_LOG + "ProbeError: wsgicheck probe: an error before any body\n", None, False),
        (TWISTED_LOG + "ProbeError('wsgicheck probe: an error before any body')\n", None, False),
        # A form the log's text does not tell (a review of 2026-12-06): the probe's word,
        # that the log holds another raise's message, decides.
        (JSON_LOG, True, False),
        ("GET / 500\n", None, False),
    ],
    ids=["type-and-frames", "told-no-messages", "other-message", "other-repr", "json", "nothing"],
)
def test_trap_log_reads_a_log_that_keeps_no_message_by_the_type(
    tmp_path: Path, log: str, keeps: bool | None, logged: bool
) -> None:
    """A probe trial of 2026-12-06: Twisted logged every raise of the app, with its type and
    frames but without its message, and SRV-TRAP-LOG said its log did not mention them."""
    exchange = probed(tmp_path, dropping, "raise", "early")
    extra = replace(exchange.extra, server_log=log, server_log_keeps_messages=keeps)
    found = server_findings(Exchange(exchange.response, source="probe", extra=extra))
    expected = [
        "the server's log does not mention the app's ProbeError (wsgicheck probe: raised "
        "before start_response)"
    ]
    assert found == ({} if logged else {"SRV-TRAP-LOG": expected})


def test_the_probe_tells_the_rule_whether_the_log_keeps_messages() -> None:
    """The word is the run's: a log that holds the message of any raise keeps messages."""
    message = "wsgicheck probe: raised before start_response"
    raised = AppRaised("call", "ProbeError", message, None, headers_sent=False)

    def item(probe_id: int, log: str) -> Judged:
        request = Request(headers=(("Host", "localhost"),))
        response = Response(request, 500, "", [], b"", True, {}, [raw_event(raised)])
        exchange = Exchange(response, source="probe", extra=Extra(server_log=log))
        return Judged(Sent(probe_id, "raise", request), exchange, None, {})

    judged = [item(1, JSON_LOG), item(2, TWISTED_LOG)]
    add_shared_evidence(judged)
    assert [each.exchange.extra.server_log_keeps_messages for each in judged] == [False, False]
    told = JSON_LOG.replace("an error before any body", "raised before start_response")
    judged = [item(1, told)]
    add_shared_evidence(judged)
    assert judged[0].exchange.extra.server_log_keeps_messages is True


def test_trap_log_fires_on_a_failed_app_answered_as_a_success(tmp_path: Path) -> None:
    exchange = probed(tmp_path, swallowing, "raise", "early")
    assert server_findings(exchange) == {
        "SRV-TRAP-LOG": [
            "the app raised ProbeError before its head went "
            "out; the client got a 200, not a 5xx or an abort",
            "the server's log does not mention the app's ProbeError (wsgicheck probe: raised "
            "before start_response)",
        ]
    }


def unframed(close: bool, framing: tuple[str, str] | None = None) -> Server:
    """A server that sends the app's head as given (plus ``framing``, if any) and the body
    the app gave; with ``close`` False it keeps the connection open, so a client reading a
    body without a length waits until its time runs out (socketify 1.0 with an empty 200)."""

    def serve(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
        status, headers, body = answer_of(app, environ)
        delimited = close or framing is not None
        fields = [*headers, *([framing] if framing is not None else [])]
        return _head(status, fields, body, closed=close, stalled=not delimited)

    return serve


@pytest.mark.parametrize(("scenario", "arg"), [("binary", "nolength"), ("empty", "200-list-nocl")])
def test_a_body_without_length_on_a_connection_kept_open_has_no_end(
    tmp_path: Path, scenario: str, arg: str
) -> None:
    exchange = probed(tmp_path, unframed(close=False), scenario, arg)
    assert server_findings(exchange) == {
        "SRV-UNSIZED-DELIMITED": [
            "the 200 response to GET had no Content-Length and no chunks, so its body ends at "
            "the close, and the server kept the connection open for the 5 s the client waited "
            "once the app had given its whole body (a longer --timeout tells a slow close from "
            "none)"
        ]
    }


@pytest.mark.parametrize(
    "server",
    [
        unframed(close=True),
        unframed(close=False, framing=("Transfer-Encoding", "chunked")),
        unframed(close=False, framing=("Content-Length", "256")),
    ],
    ids=["closed", "chunked", "length-added"],
)
def test_a_body_without_length_ends_by_chunks_a_length_or_the_close(
    tmp_path: Path, server: Server
) -> None:
    exchange = probed(tmp_path, server, "binary", "nolength")
    assert "SRV-UNSIZED-DELIMITED" not in server_findings(exchange)
    assert not exchange.observations("no-end-kept-open")


def ascii_only(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """asgiref 3.13's WsgiToAsgi: start_response encodes each header as ASCII, so a valid
    latin-1 value raises UnicodeEncodeError into the app, and the server answers 500."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        for name, value in headers:
            name.encode("ascii"), value.encode("ascii")
        return _ignored

    try:
        _finish(app(environ, start_response))
    except UnicodeEncodeError:
        log.append(traceback.format_exc())
        return _head("500 Internal Server Error", [("Content-Length", "0")], b"")
    raise AssertionError("the scenario was to send a latin-1 value")


def test_a_start_response_that_refuses_a_latin1_value_is_found(tmp_path: Path) -> None:
    """From the probe sweep of 2026-12-03: the server's 500 is no answer of the app's, so
    SRV-HEADERS-LATIN1 used to stand aside; refusing the value is the fault."""
    exchange = probed(tmp_path, ascii_only, "latin1-header")
    assert exchange.response.status_code == 500
    assert server_findings(exchange) == {
        "SRV-HEADERS-LATIN1": [
            "start_response raised UnicodeEncodeError for a valid call whose x-latin-1 value "
            "holds latin-1 characters beyond ASCII (the server must take them as ISO-8859-1 "
            "bytes)"
        ]
    }


def first_block_length(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """rocket3 (2026): a body without the app's Content-Length gets one of the server's own,
    the length of the first block; the client reads that much."""
    blocks: list[bytes] = []
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return blocks.append

    result = app(environ, start_response)
    try:
        blocks.extend(result)
    finally:
        _finish(result)
    first = blocks[0]
    return _head(head[0], [*head[1], ("Content-Length", str(len(first)))], first)


@pytest.mark.parametrize(
    ("scenario", "arg", "added", "owed"), [("binary", "nolength", 260, 520), ("write", "", 22, 35)]
)
def test_a_length_the_server_added_too_short_is_named_as_such(
    tmp_path: Path, scenario: str, arg: str, added: int, owed: int
) -> None:
    """From the probe sweep of 2026-12-03: the findings said bytes were not sent, when the
    server had framed them out with a Content-Length of its own. A trial of 2026-12-07 (the
    same server, rocket3): the finding was still SRV-BINARY-SAFE's, a SHOULD about altered
    bytes, and after write() SRV-ITER-AFTER-WRITE's "the bytes yielded ... are not in the
    body sent". The fault is the body's end: SRV-UNSIZED-DELIMITED's, a MUST."""
    exchange = probed(tmp_path, first_block_length, scenario, arg)
    assert server_findings(exchange) == {
        "SRV-UNSIZED-DELIMITED": [
            f"the server added Content-Length: {added}, which frames {added} bytes of the "
            f"{owed} the app produced: a client reads no more of the body than that"
        ]
    }


def framing_what_is_left(keep: Any) -> Any:
    """A server that sends the blocks ``keep`` picks of the app's (write()s first, then
    the iterable's), under a Content-Length of its own that frames just those."""

    def server(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
        written: list[bytes] = []
        head: list[Any] = []

        def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            head[:] = [status, list(headers)]
            return written.append

        result = app(environ, start_response)
        try:
            blocks = [*written, *result]
        finally:
            _finish(result)
        body = b"".join(keep(blocks))
        return _head(head[0], [*head[1], ("Content-Length", str(len(body)))], body)

    return server


@pytest.mark.parametrize(
    ("scenario", "arg", "expected"),
    [
        (
            "write",
            "",
            {
                "SRV-WRITE-SEMANTICS": [
                    "the 22 bytes written at offset 0 are not in the body sent"
                ],
                "SRV-ITER-AFTER-WRITE": [
                    "the 13 bytes yielded after write(), owed at offset 22, are not in the body "
                    "sent"
                ],
            },
        ),
        (
            "binary",
            "nolength",
            {"SRV-BINARY-SAFE": ["body byte 1 is b'\\r'; the app yielded b'\\x01'"]},
        ),
    ],
)
def test_a_block_lost_and_the_rest_framed_is_no_short_frame(
    tmp_path: Path, scenario: str, arg: str, expected: dict[str, list[str]]
) -> None:
    """A review of 2026-12-07: a server that lost the app's first block and framed the rest
    with a length of its own was told as framing the body short (SRV-UNSIZED-DELIMITED),
    and the block lost went unreported. A frame cuts the app's body; this body is not the
    start of it."""
    exchange = probed(tmp_path, framing_what_is_left(lambda blocks: blocks[1:]), scenario, arg)
    assert server_findings(exchange) == expected


def snapshotting(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """granian 2.8: the status and headers are taken when the app returns, before the first
    step of its iterable; a start_response made on that step is left out (200, no fields)."""
    head: list[Any] = ["200 OK", []]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return _ignored

    result = app(environ, start_response)
    status, headers = head[0], list(head[1])  # taken now, before iterating
    try:
        body = b"".join(result)
    finally:
        _finish(result)
    return _head(status, [*headers, ("Content-Length", str(len(body)))], body)


def test_a_head_taken_before_the_first_step_is_caught(tmp_path: Path) -> None:
    """From the server check of 2026-12-04 (granian 2.8): an app that calls start_response
    on the first step of its iterable got 200 with none of its fields; SRV-NO-ASSUME-SR-CALLED
    asked only whether the result was iterated, and the missing field was a SHOULD of
    SRV-PLAY-DUMB's."""
    exchange = probed(tmp_path, snapshotting, "late-start")
    found = server_findings(exchange)
    assert sorted(found) == ["SRV-NO-ASSUME-SR-CALLED"], found
    [message] = found["SRV-NO-ASSUME-SR-CALLED"]
    assert message.startswith("the app called start_response('200 OK', ...) on the first step")
    assert message.endswith(
        "the client got 200 without content-type: the server sent a head it held before the call"
    )
    # A server that sends the head the call gave passes.
    assert "SRV-NO-ASSUME-SR-CALLED" not in server_findings(
        probed(tmp_path, immediate, "late-start")
    )


def sendfile(part: int) -> Server:
    """A server with wsgiref's file wrapper whose fast path sends 1/``part`` of the file
    (and keeps the connection)."""

    def serve(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
        environ["wsgi.file_wrapper"] = FileWrapper
        status, headers, body = answer_of(app, environ)
        return _head(status, headers, body[: len(body) // part], complete=False, closed=False)

    return serve


def test_a_file_wrapper_returned_is_no_short_body_of_the_apps(tmp_path: Path) -> None:
    """The trace holds nothing of a file wrapper's body (it produced 0 bytes, to the
    trace): SRV-CL-SHORT, about a body the app gave short, does not apply, whatever the
    server sent of the file."""
    rule = REGISTRY["SRV-CL-SHORT"]
    for server in (sendfile(1), sendfile(2)):
        exchange = probed(tmp_path, server, "file-wrapper", "file")
        assert exchange.observations("file-wrapper-returned")
        assert not rule.applies(exchange)


def test_a_head_taken_before_the_first_step_is_one_finding_with_a_late_exc_info_too(
    tmp_path: Path,
) -> None:
    """Audit of 2026-12-05 (granian 2.8.9): the exc-info scenario's generator calls
    start_response on its first step, and again with exc_info after its first block. The
    head held before the first call is SRV-NO-ASSUME-SR-CALLED's; the second call, too late
    to change the head, made it a SRV-PLAY-DUMB finding as well."""
    found = server_findings(probed(tmp_path, snapshotting, "exc-info", "after"))
    assert found == {
        "SRV-NO-ASSUME-SR-CALLED": [
            "the app called start_response('200 OK', ...) on the first step of its iterable; "
            "the client got 200 without content-type: the server sent a head it held before "
            "the call"
        ],
        "SRV-EXC-INFO-RAISE": [
            "start_response returned normally for exc_info after the body had started"
        ],
    }
    assert server_findings(probed(tmp_path, immediate, "exc-info", "after")) == {
        "SRV-EXC-INFO-RAISE": [
            "start_response returned normally for exc_info after the body had started"
        ]
    }


def test_both_lengths_close_judges_what_came_behind_such_a_request() -> None:
    """RFC 9112 §6.1: after answering a request with both Content-Length and
    Transfer-Encoding, the server closes the connection (waitress 3.0 answers the request
    behind; a probe trial of 2026-12-06)."""
    answered = Client(two_blocks).get("/after-both-lengths")
    assert judged("SRV-BOTH-LENGTHS-CLOSE", answered, Extra()) is None  # not looked at
    assert judged("SRV-BOTH-LENGTHS-CLOSE", answered, Extra(after_both_lengths="answered")) == [
        "this request came behind one that sent both Content-Length and Transfer-Encoding, "
        "and the server answered it (200) on the same connection, which it must close after "
        "its first answer: a front end that read the other length would have sent it "
        "another request (smuggling)"
    ]
    unanswered = Response(answered.request, 0, "", [], b"", False, None, [])
    closed = Extra(after_both_lengths="closed")
    assert judged("SRV-BOTH-LENGTHS-CLOSE", unanswered, closed) == []
    assert judged("SRV-BOTH-LENGTHS-CLOSE", unanswered, Extra(after_both_lengths="open")) == [
        "this request came behind one that sent both Content-Length and Transfer-Encoding, "
        "and the server kept the connection open, which it must close after answering that "
        "request"
    ]


def test_close_ends_connection_judges_what_came_behind_a_close() -> None:
    """RFC 9112 §9.6: after an answer that says Connection: close, the server closes and
    processes no request pipelined behind it (meinheld 1.0.2 answers it)."""
    answered = Client(two_blocks).get("/pipelined/2")
    assert judged("SRV-CLOSE-ENDS-CONNECTION", answered, Extra()) is None  # not looked at
    assert judged("SRV-CLOSE-ENDS-CONNECTION", answered, Extra(after_close="answered")) == [
        "this request came behind one whose answer said Connection: close, and the server "
        "answered it on the same connection: it processed a request it must not have"
    ]
    unanswered = Response(answered.request, 0, "", [], b"", False, None, [])
    assert judged("SRV-CLOSE-ENDS-CONNECTION", unanswered, Extra(after_close="closed")) == []
    assert judged("SRV-CLOSE-ENDS-CONNECTION", unanswered, Extra(after_close="open")) == [
        "after an answer that said Connection: close the server kept the connection open, "
        "with this request behind it"
    ]
    own = Extra(after_close="open", close_from_app=True)
    assert judged("SRV-CLOSE-ENDS-CONNECTION", unanswered, own) == [
        "after an answer that said Connection: close (the app's own Connection field, which "
        "the server sent on and so owns) the server kept the connection open, with this "
        "request behind it"
    ]
    # Closed, but the app ran for it first: processed all the same.
    ran = copy.copy(answered)  # the app's trace; on the wire, nothing
    ran.status_code, ran.reason, ran.headers = 0, "", []
    ran.body, ran.body_size, ran.complete = b"", 0, False
    assert judged("SRV-CLOSE-ENDS-CONNECTION", ran, Extra(after_close="closed")) == [
        "this request came behind one whose answer said Connection: close; the server "
        "closed the connection, but ran the app for it first"
    ]


# -- two requests at once, run one at a time ----------------------------------------------------


def _together_pair(tmp_path: Path, mode: str) -> list[Exchange]:
    """The ``together`` scenario's two requests (probe ids 1 and 2) through the real probe
    app, on a server that runs the app for both at once (``at-once``: two threads) or for
    one at a time (``serial``: one call, then the other, on the main thread; ``pool``: so,
    on one worker thread), in one process that says ``wsgi.multithread`` is True."""
    channel = Channel(tmp_path)
    app = make_app(channel)
    sents = [
        Sent(number, "together", Request(headers=((HEADER, f"{number} together {arg}"),)), arg=arg)
        for number, arg in ((1, "next"), (2, "previous"))
    ]

    def serve(sent: Sent) -> None:
        environ, _ = request_environ(sent.request, ServerConfig(multithread=True))
        environ["wsgi.input"] = io.BytesIO()
        environ["wsgi.errors"] = io.StringIO()
        status, headers, body = answer_of(app, environ)
        sent.response = _head(status, headers, body)

    def serve_all() -> None:
        for sent in sents:
            serve(sent)

    if mode == "serial":
        serve_all()
    else:
        threads = [threading.Thread(target=serve, args=(sent,)) for sent in sents]
        if mode == "pool":
            threads = [threading.Thread(target=serve_all)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    records = records_by_id(channel.records())
    judged = [to_exchange(sent, records.get(sent.probe_id), "") for sent in sents]
    add_shared_evidence(judged)
    return [each.exchange for each in judged]


ONE_AT_A_TIME = (
    "of two requests sent at once, the app held one for 2.5 s and the server ran the other "
    "only once it had ended: one request at a time, on the process's main thread; "
    "wsgi.multithread is True"
)


def test_multithread_true_on_a_server_that_runs_one_request_at_a_time_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's runserver --nothreading: wsgi.multithread True where the app is never
    invoked twice at once, on the main thread (PEP 3333: false otherwise)."""
    monkeypatch.delitem(sys.modules, "greenlet", raising=False)  # as in such a server
    rule = REGISTRY["ENV-MULTITHREAD-ACCURATE"]
    serial = _together_pair(tmp_path, "serial")
    assert [each.extra.together for each in serial] == [
        Together(overlapped=False, same_process=True, waited_alone=2.5)
    ] * 2
    assert [[finding.message for finding in rule.check(each)] for each in serial] == [
        [ONE_AT_A_TIME]
    ] * 2
    # Run at once, it says true rightly.
    (tmp_path / "at-once").mkdir()
    threaded = _together_pair(tmp_path / "at-once", "at-once")
    assert {each.extra.together for each in threaded} == {
        Together(overlapped=True, same_process=True)
    }
    assert [list(rule.check(each)) for each in threaded] == [[], []]


def test_one_at_a_time_on_a_worker_thread_is_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Audit of 2026-12-05: rocket3 with one thread to start and two at most ran two
    requests sent at once one after the other, on one worker thread; its pool grows only
    past two waiting connections, and six at once ran on two threads. A call off the main
    thread may be of such a pool: no evidence either way, so no verdict."""
    monkeypatch.delitem(sys.modules, "greenlet", raising=False)
    pooled = _together_pair(tmp_path, "pool")
    assert [each.extra.together for each in pooled] == [
        Together(overlapped=False, same_process=True)
    ] * 2
    assert not any(REGISTRY["ENV-MULTITHREAD-ACCURATE"].applies(each) for each in pooled)


def test_one_at_a_time_under_green_threads_is_not_judged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under greenlets the app's own blocking wait may be what held the other call back
    (eventlet without monkey patching): no evidence either way, so no verdict."""
    monkeypatch.setitem(sys.modules, "greenlet", importlib.import_module("greenlet"))
    serial = _together_pair(tmp_path, "serial")
    assert [each.extra.together for each in serial] == [
        Together(overlapped=False, same_process=True)
    ] * 2
    assert not any(REGISTRY["ENV-MULTITHREAD-ACCURATE"].applies(each) for each in serial)


@pytest.mark.parametrize(
    ("together", "applies"),
    [
        (Together(overlapped=False, same_process=True, waited_alone=2.5), True),
        # One after the other in two processes: a process model, not a thread question.
        (Together(overlapped=False, same_process=False, waited_alone=2.5), False),
        (Together(overlapped=False, same_process=True), False),
    ],
)
def test_one_at_a_time_is_judged_in_one_process_only(together: Together, applies: bool) -> None:
    from wsgicheck import ServerConfig as Config

    response = Client(ok, config=Config(multithread=False)).get("/")
    found = judged("ENV-MULTITHREAD-ACCURATE", response, Extra(together=together))
    assert found == ([] if applies else None)


# -- a 304's Content-Length, and a body cut by the app's exception --------------------------------


def _conditional_answer(
    tmp_path: Path, request: Request, length: str | None, of_200: int | None
) -> Exchange:
    """The conditional scenario's answer to ``request`` (probe 2), from the real probe app,
    as a server sent it that added ``length`` as its Content-Length (None: none), beside a
    200 to the GET of ``of_200`` bytes."""
    channel = Channel(tmp_path)
    status, headers, body = answer_of(make_app(channel), _environ(request))
    added = [] if length is None else [("Content-Length", length)]
    sent = Sent(2, "conditional", request, response=_head(status, [*headers, *added], body))
    sent.extra = Extra(length_of_200=of_200)
    return to_exchange(sent, records_by_id(channel.records()).get(2), "").exchange


def _not_modified(tmp_path: Path, length: str | None, of_200: int | None) -> Exchange:
    """The conditional scenario's 304 (see :func:`_conditional_answer`)."""
    fields = (("If-None-Match", CONDITIONAL_TAG), (HEADER, "2 conditional"))
    request = Request(headers=(("Host", "localhost"), *fields))
    return _conditional_answer(tmp_path, request, length, of_200)


@pytest.mark.parametrize(
    ("length", "of_200", "expected"),
    [
        (
            "0",
            36,
            [
                "the server added Content-Length: '0' to a 304 the app gave none; the 200 to the "
                "same request without its condition had 36 bytes"
            ],
        ),
        ("36", 36, []),  # the 200's length: RFC 9110 §8.6 allows it
        (None, 36, []),
        ("0", None, []),  # no 200 beside it: nothing to compare (not a pass of §8.6)
    ],
)
def test_a_304_may_carry_only_the_200s_content_length(
    tmp_path: Path, length: str | None, of_200: int | None, expected: list[str]
) -> None:
    """wsgiref (so Django's runserver and Bottle's default server) adds Content-Length: 0 to
    a 304 the app gave none, whatever the 200's length: RFC 9110 §8.6 allows only that."""
    exchange = _not_modified(tmp_path, length, of_200)
    assert exchange.response.status_code == 304
    assert server_findings(exchange) == ({"SRV-NO-BODY-HEAD-204-304": expected} if expected else {})


def _head_answered(tmp_path: Path, length: str | None, of_200: int | None) -> Exchange:
    """The conditional scenario's answer to HEAD, with no body and no Content-Length (see
    :func:`_conditional_answer`)."""
    request = Request(method="HEAD", headers=(("Host", "localhost"), (HEADER, "2 conditional")))
    exchange = _conditional_answer(tmp_path, request, length, of_200)
    sent = {name.lower() for name, _ in exchange.response.headers}
    assert (exchange.response.body, "content-length" in sent) == (b"", length is not None)
    return exchange


@pytest.mark.parametrize(
    ("length", "of_200", "expected"),
    [
        (
            "0",
            36,
            [
                "the server added Content-Length: '0' to a HEAD response the app gave none; the "
                "GET of the same target had 36 bytes"
            ],
        ),
        ("36", 36, []),  # the GET's length: RFC 9110 §8.6 allows it
        (None, 36, []),
        ("0", None, []),  # no GET beside it: nothing to compare
    ],
)
def test_a_head_may_carry_only_the_gets_content_length(
    tmp_path: Path, length: str | None, of_200: int | None, expected: list[str]
) -> None:
    """A trial of 2026-12-06: Tornado 6.6's WSGIContainer adds Content-Length: 0 to a HEAD
    the app answered with neither body nor length, where the GET has a body."""
    exchange = _head_answered(tmp_path, length, of_200)
    assert (exchange.method, exchange.response.status_code) == ("HEAD", 200)
    assert server_findings(exchange) == ({"SRV-NO-BODY-HEAD-204-304": expected} if expected else {})


def test_the_servers_own_answer_to_a_head_is_not_the_apps_framed(tmp_path: Path) -> None:
    """A trial of 2026-12-07: Hypercorn 0.18 fails on an app's empty body and answers the
    HEAD with a 500 of its own, Content-Length: 0. The finding said the server "added
    Content-Length: '0' to a HEAD response the app gave none": the 500 was no answer of the
    app's, and its failing is SRV-PLAY-DUMB's."""
    request = Request(method="HEAD", headers=(("Host", "localhost"), (HEADER, "2 conditional")))
    channel = Channel(tmp_path)
    status, _, _ = answer_of(make_app(channel), _environ(request))
    assert status.startswith("200 ")
    own = _head("500 Internal Server Error", [("Content-Length", "0")], b"")
    sent = Sent(2, "conditional", request, response=own)
    sent.extra = Extra(length_of_200=36)
    exchange = to_exchange(sent, records_by_id(channel.records()).get(2), "").exchange
    assert server_findings(exchange) == {
        "SRV-PLAY-DUMB": [
            "the app's status was 200; the client got 500, an answer of the server's own (the "
            "app's fields are not held to it)"
        ]
    }


def keeping(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """Django 5.2's threaded runserver: the app's head and blocks go out as they come; an
    exception in the iterable is logged, and the connection is kept for the next request,
    whose answer the client reads as the rest of a body short of its Content-Length."""
    head: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        head[:] = [status, list(headers)]
        return _ignored

    result = app(environ, start_response)
    blocks: list[bytes] = []
    try:
        blocks.extend(result)
    except Exception:
        log.append(traceback.format_exc())
    finally:
        _finish(result)
    return _head(head[0], head[1], b"".join(blocks), complete=False, closed=False)


def test_a_connection_kept_after_the_app_raised_inside_its_length_is_one_finding(
    tmp_path: Path,
) -> None:
    """The app declared 10 bytes, gave 4 and raised; the server logged it and went on with
    the connection: SRV-CL-SHORT's (the PEP's own words), not SRV-TRAP-LOG's too."""
    exchange = probed(tmp_path, keeping, "content-length", "short-raise")
    assert server_findings(exchange) == {
        "SRV-CL-SHORT": [
            "Content-Length was 10, 4 bytes were sent before the app raised ProbeError, and "
            "the response was finished as if complete"
        ]
    }
    # The body ended short with no exception: the message says nothing of one.
    plain = probed(tmp_path, keeping, "content-length", "short")
    assert server_findings(plain) == {
        "SRV-CL-SHORT": [
            "Content-Length was 10, 4 bytes were sent, and the response was finished as if complete"
        ]
    }


def rewriting(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """As :func:`keeping`, but the app's Content-Length replaced by the length of what it
    gave (fastwsgi 0.0.9)."""
    wire = keeping(app, environ, log)
    assert wire is not None
    framed = [item for item in wire.headers if item[0].lower() != "content-length"]
    wire.headers = [*framed, ("Content-Length", str(len(wire.body)))]
    wire.complete = True
    return wire


def test_a_short_body_whose_length_the_server_rewrote_says_both_lengths(tmp_path: Path) -> None:
    """A probe trial of 2026-12-06: fastwsgi sends Content-Length: 4 for the app's 10 and 4
    bytes, and keeps the connection; "Content-Length was 10" read as the wire's."""
    exchange = probed(tmp_path, rewriting, "content-length", "short")
    assert exchange.response.header("content-length") == "4"
    assert server_findings(exchange) == {
        "SRV-PLAY-DUMB": ["Content-Length [10] became [4] on the wire"],
        "SRV-CL-SHORT": [
            "Content-Length was 10, 4 bytes were sent, and the response was finished as if "
            "complete (the server sent Content-Length: 4 in place of the app's)"
        ],
    }


def chunking(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """As :func:`keeping`, but the app's Content-Length dropped, its blocks sent as chunks
    and the body ended with the last chunk, even where the app raised inside it."""
    wire = keeping(app, environ, log)
    assert wire is not None
    framed = [item for item in wire.headers if item[0].lower() != "content-length"]
    wire.headers = [*framed, ("Transfer-Encoding", "chunked")]
    wire.complete = True
    return wire


def test_a_cut_body_ended_by_the_last_chunk_is_still_trap_logs(tmp_path: Path) -> None:
    """Review of 2026-12-05: SRV-TRAP-LOG left every cut body under the app's own length
    to SRV-CL-SHORT, and one the server re-framed as chunks and ended with the last chunk
    was no longer told as the abort that did not happen."""
    exchange = probed(tmp_path, chunking, "content-length", "short-raise")
    assert exchange.response.body == SHORT_BODY
    assert server_findings(exchange) == {
        # The app's own length, not kept: the PEP's words for it hold all the same.
        "SRV-CL-SHORT": [
            "Content-Length was 10, 4 bytes were sent before the app raised ProbeError, and "
            "the response was finished as if complete"
        ],
        "SRV-TRAP-LOG": [
            "the app raised ProbeError after its head went out; the server logged it, and "
            "ended the cut body with the last chunk, so the client takes it for the whole "
            "one: the response was not aborted (an abort closes the connection before the "
            "body's end)"
        ],
    }


#: The answer a server sent to the request pipelined behind (the probe's echo).
NEXT_ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def running_on(app: Any, environ: dict[str, Any], log: list[str]) -> Wire:
    """netius 1.64: a body with no length and no chunks, then, on the same connection, the
    answer to the request pipelined behind it, which the client reads as more of the body
    (it ends only at the close)."""
    status, headers, body = answer_of(app, environ)
    unframed = [each for each in headers if each[0].lower() != "content-length"]
    return _head(status, unframed, body + NEXT_ANSWER, closed=True)


def test_a_body_run_into_the_next_answer_is_no_altered_body(tmp_path: Path) -> None:
    """A probe trial of 2026-12-06: netius sent the binary scenario's 35 bytes unframed and
    the next request's answer after them; SRV-BINARY-SAFE said "207 bytes of body were
    sent for the 35 the app produced", where every byte went as given."""
    exchange = probed(tmp_path, running_on, "binary", "nolength")
    assert exchange.response.body.endswith(NEXT_ANSWER)
    assert REGISTRY["SRV-BINARY-SAFE"].applies(exchange)
    assert server_findings(exchange) == {}  # (the missing end: SRV-UNSIZED-DELIMITED, elsewhere)
