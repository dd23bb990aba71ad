"""The engine asks a rule only when the exchange holds its evidence, and finds exactly what
asking every rule finds (the legacy engine, :func:`~wsgicheck.rules.engine.judge_legacy`).

Compared exchange by exchange, as the list of rules that applied with each one's findings:
the same list means the same findings and the same pass/fail/skip verdicts. The exchanges
are every broken and good fixture's (an app, a broken server under the validator, a
record), then Hypothesis's: a fixture app, a drawn request and server choices, judged as
any source, with some of its trace events dropped (orders no real server records).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rulekit import (
    ROOT,
    STANDARD_REQUESTS,
    broken_fixtures,
    exchanges_of_app,
    findings_of,
    good_fixtures,
    load,
)
from wsgicheck import Client
from wsgicheck import strategies as wst
from wsgicheck.core.environ import ServerConfig
from wsgicheck.drivers import validation_call
from wsgicheck.model.events import raw_event
from wsgicheck.model.response import Response
from wsgicheck.rules import (
    REGISTRY,
    Exchange,
    Finding,
    Rule,
    check_exchange,
    engine,
    evaluate,
    in_sequence,
)
from wsgicheck.rules.engine import judge, judge_legacy
from wsgicheck.rules.exchange import SOURCES
from wsgicheck.rules.registry import Applies
from wsgicheck.rules.server_evidence import (
    body_allowed,
    declared_length,
    final_call,
    header_fields,
    judgeable,
    on_wire,
    server_answered,
)

SEEDS = [
    ROOT / "fixtures" / f"{name}.py" for name in ("wsgiapp", "flaskapp", "pyramidapp", "djangoapp")
]
FIXTURES = broken_fixtures() + good_fixtures() + SEEDS
APP_FIXTURES = [path for path in FIXTURES if hasattr(load(path), "app")]

Judged = list[tuple[str, list[Finding]]]


def _called(ex: Exchange) -> bool:
    return bool(ex.start_calls)


def _returned(ex: Exchange) -> bool:
    return ex.returned is not None


def _has_environ(ex: Exchange) -> bool:
    return ex.environ is not None


def _knows_request(ex: Exchange) -> bool:
    return ex.environ is not None and ex.source != "validator"


def _app_ran(ex: Exchange) -> bool:
    return ex.app_ran


def _writes(ex: Exchange) -> bool:
    return bool(ex.writes)


def _has(key: str) -> Applies:
    return lambda ex: ex.environ is not None and key in ex.environ


#: The ``applies`` each rule had before it declared its evidence (``needs``) instead, word
#: for word: the legacy engine asks these, so a ``needs`` that does not say what the old
#: predicate said shows as a difference. (Rules that kept their predicate are not here.)
ORIGINAL_APPLIES: dict[str, Applies] = {
    **dict.fromkeys(
        (
            "APP-STATUS-STR",
            "APP-STATUS-FORMAT",
            "APP-STATUS-NO-CONTROL",
            "APP-STATUS-FINAL",
            "APP-STATUS-HEADERS-LATIN1",
            "APP-HEADERS-LIST",
            "APP-HEADERS-TUPLES",
            "APP-HEADER-STR",
            "APP-HEADER-NAME-TOKEN",
            "APP-HEADER-VALUE-NO-CONTROL",
            "APP-NO-HOP-BY-HOP",
            "APP-NO-TRANSFER-ENCODING",
            "APP-CL-SYNTAX",
            "APP-SR-ONCE",
            "APP-EXC-INFO-TUPLE",
            "APP-EXC-INFO-ONLY-IN-ERROR",
        ),
        _called,
    ),
    **dict.fromkeys(("APP-SR-CALLED", "APP-RETURN-ITERABLE", "APP-NO-FILE-AS-ITERABLE"), _returned),
    **dict.fromkeys(
        (
            "APP-CALLABLE-TWO-POSITIONAL",
            "APP-STREAMS-ONLY-SPEC-METHODS",
            "APP-STREAMS-NO-CLOSE",
            "APP-TRAP-OWN-ERRORS",
            "HARNESS-EXCHANGE-TIMEOUT",
            "HARNESS-BODY-LIMIT",
        ),
        _app_ran,
    ),
    **dict.fromkeys(
        (
            "ENV-DICT-BUILTIN",
            "ENV-WSGI-VERSION",
            "ENV-URL-SCHEME",
            "ENV-INPUT-PRESENT",
            "ENV-ERRORS-PRESENT",
            "ENV-MULTITHREAD-PRESENT",
            "ENV-MULTIPROCESS-PRESENT",
            "ENV-RUN-ONCE-PRESENT",
            "ENV-EXT-VAR-NAMING",
            "ENV-REQUEST-METHOD",
            "ENV-SERVER-NAME",
            "ENV-SERVER-PORT",
            "ENV-SERVER-PROTOCOL",
            "ENV-SCRIPT-NAME",
            "ENV-PATH-INFO",
            "ENV-CONTENT-TYPE",
            "ENV-CONTENT-LENGTH",
            "ENV-HTTP-VARS",
            "ENV-MISSING-OMITTED",
            "ENV-CGI-STR",
            "ENV-STR-LATIN1",
        ),
        _has_environ,
    ),
    **dict.fromkeys(
        ("ENV-QUERY-STRING", "ENV-URL-RECONSTRUCTABLE", "ENV-EXTRA-CGI-VARS"), _knows_request
    ),
    **dict.fromkeys(("APP-WRITE-BYTES", "APP-NO-WRITE-FROM-ITER", "APP-AVOID-WRITE"), _writes),
    **dict.fromkeys(("ENV-ERRORS-METHODS", "ENV-ERRORS-TEXT"), _has("wsgi.errors")),
    "ENV-INPUT-METHODS": _has("wsgi.input"),
    "ENV-FILE-WRAPPER-SIGNATURE": _has("wsgi.file_wrapper"),
    "APP-REINVOKABLE": lambda ex: ex.previous is not None and ex.app_ran,
    "APP-NO-TRAP-SR-EXC": lambda ex: any(
        call.exc_info_kind == "exception" and call.headers_sent for call in ex.start_calls
    ),
    # Since 2026-12-04: a start_response from an except block, or nothing to judge.
    "APP-EXC-INFO-ON-ERROR": lambda ex: any(call.handling is not None for call in ex.start_calls),
    "APP-YIELD-BYTES": lambda ex: bool(ex.yields),
    "APP-LEN-ACCURATE": lambda ex: ex.returned is not None and ex.returned.length is not None,
    "APP-NO-BODY-FOR-STATUS": lambda ex: (
        ex.response.status_code in (204, 304) and bool(ex.start_calls)
    ),
    "APP-OWN-BUFFERING": lambda ex: len(ex.body_blocks()) > 1,
    "APP-INPUT-NO-READ-PAST-CL": lambda ex: (
        bool(ex.input_reads)
        and ex.environ is not None
        and not ex.environ.get("wsgi.input_terminated")
    ),
    "APP-ERRORS-WRITE-STR": lambda ex: bool(ex.errors_writes),
    "APP-ERRORS-NEWLINE": lambda ex: bool(ex.errors_writes),
    "APP-FILELIKE-READ": lambda ex: bool(ex.file_wrapper_calls),
    "ENV-RUN-ONCE-ACCURATE": lambda ex: (
        ex.environ is not None
        and isinstance(ex.extra.process_requests, int)
        and ex.extra.process_requests >= 2
    ),
    "HARNESS-TRANSPORTS-AGREE": lambda ex: ex.extra.transport_differences is not None,
    "HARNESS-APP-VARIES": lambda ex: (
        ex.extra.app_varies is not None and ex.method in ("GET", "HEAD", "OPTIONS", "TRACE")
    ),
    # Since 2026-12-04: only where the exchange shows whether the server stops.
    "SRV-CL-STOP-OR-RAISE": lambda ex: (
        judgeable(ex)
        and bool(declared := declared_length(final_call(ex)))
        and body_allowed(ex, final_call(ex))
        and not ex.limit_reached
        and (
            ex.produced > declared
            or (ex.produced == declared and not ex.exhausted and not ex.raised)
        )
    ),
    "SRV-INVOKE-POSITIONAL": lambda ex: ex.source not in ("memory", "socket") and ex.app_ran,
    "SRV-SR-RETURNS-WRITE": lambda ex: bool(ex.observations("start_response-returned")),
    "SRV-HEADER-CASE-INSENSITIVE": lambda ex: (
        on_wire(ex)
        and judgeable(ex)
        and not server_answered(ex)
        and any(
            name in ("content-length", "date", "server")
            for name, _ in header_fields(final_call(ex).headers if final_call(ex) else [])
        )
    ),
}


#: What the legacy engine asks of each rule: its old predicate; for a rule that kept its
#: predicate and declared evidence too, that predicate alone (without the evidence).
LEGACY: dict[str, Applies] = {
    each.id: ORIGINAL_APPLIES.get(each.id) or each.condition or each.applies for each in REGISTRY
}


def _ids(judged: Iterable[tuple[Rule, list[Finding]]]) -> Judged:
    return [(each.id, findings) for each, findings in judged]


def _copy(exchange: Exchange) -> Exchange:
    """The same evidence in a new exchange: nothing the first judging worked out is kept."""
    return Exchange(
        exchange.response,
        source=exchange.source,
        environ_type=exchange.environ_type,
        previous=exchange.previous,
        history=exchange.history,
        extra=exchange.extra,
    )


def assert_same(exchange: Exchange, rules: list[Rule] | None = None) -> Judged:
    """Both engines on ``exchange`` (each on an exchange of its own) agree; return it."""
    old = _ids(judge_legacy(_copy(exchange), rules, LEGACY))
    new = _ids(judge(exchange, rules))
    assert new == old
    assert check_exchange(_copy(exchange), rules) == [f for _, found in old for f in found]
    return new


class _Compared:
    """Stands in for the validator's check_exchange: both engines on each exchange it judges."""

    def __init__(self) -> None:
        self.exchanges = 0

    def __call__(self, exchange: Exchange, rules: Iterable[Rule] | None = None) -> list[Finding]:
        chosen = None if rules is None else list(rules)
        judged = assert_same(exchange, chosen)
        self.exchanges += 1
        return [finding for _, findings in judged for finding in findings]


@pytest.mark.parametrize("path", FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in FIXTURES])
def test_both_engines_agree_on_every_fixture(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = load(path, fresh=True)
    if hasattr(module, "record"):
        response, source, *rest = module.record()
        judged = assert_same(Exchange(response, source=source, extra=rest[0] if rest else None))
        assert judged  # a record is judged by some rule
    elif hasattr(module, "server"):
        compared = _Compared()
        monkeypatch.setattr(validation_call, "check_exchange", compared)
        findings_of(module)
        assert compared.exchanges > 0
    else:
        requests = getattr(module, "REQUESTS", STANDARD_REQUESTS)
        configs = [getattr(module, "CONFIG", None) or ServerConfig()]
        if path.parent.name != "broken":
            configs += [ServerConfig(script_name="/mount", file_wrapper=False, max_read=3)]
        for config in configs:
            exchanges = exchanges_of_app(module.app, requests, config)
            for exchange in exchanges:
                assert_same(exchange)
            # The verdicts over the run: the same rules pass, fail and skip.
            assert evaluate(exchanges) == _legacy_evaluate(exchanges)


def _alone(exchange: Exchange) -> Exchange:
    """The exchange's evidence in a new exchange with no earlier ones (no ``previous``, no
    ``history``): the engine may remember its verdicts by its record view."""
    return Exchange(exchange.response, source=exchange.source, environ_type=exchange.environ_type)


SEQUENCE_RULES = {each.id for each in REGISTRY if each.sequence}


@pytest.mark.parametrize(
    "path", APP_FIXTURES, ids=[f"{p.parent.name}/{p.stem}" for p in APP_FIXTURES]
)
def test_both_engines_agree_with_and_without_a_history(path: Path) -> None:
    # The same exchanges judged alone (their verdicts remembered by record view), then in
    # their order and in reverse (the rules over a sequence see other exchanges before
    # them, the remembered verdicts of the others still apply): both engines agree on each.
    module = _module(path)
    config = getattr(module, "CONFIG", None)
    exchanges = exchanges_of_app(module.app, getattr(module, "REQUESTS", STANDARD_REQUESTS), config)
    for exchange in exchanges:
        assert_same(_alone(exchange))
    in_order = in_sequence([_alone(each) for each in exchanges])
    found = {rule_id for each in in_order for rule_id, findings in assert_same(each) if findings}
    for each in in_sequence([_alone(each) for each in reversed(exchanges)]):
        assert_same(each)
    named = path.stem.upper().replace("_", "-")
    if path.parent.name == "broken" and named in SEQUENCE_RULES:
        assert named in found  # a pair the memo must not hide


class _Watched(Exchange):
    """An exchange that notes whether a rule read its history."""

    read = False

    @property
    def history(self) -> tuple[Exchange, ...]:
        self.read = True
        return self._history


def test_every_rule_that_reads_the_history_says_it_is_over_a_sequence() -> None:
    # The engine remembers the verdict of any other rule without the history: one that
    # read it undeclared would be judged on a stale one.
    readers = set()
    for path in APP_FIXTURES:
        module = _module(path)
        requests = getattr(module, "REQUESTS", STANDARD_REQUESTS)
        exchanges = exchanges_of_app(module.app, requests, getattr(module, "CONFIG", None))
        for index, exchange in enumerate(exchanges):
            for each in REGISTRY:
                watched = _Watched(exchange.response, history=tuple(exchanges[:index]))
                if LEGACY[each.id](watched):
                    list(each.check(watched))
                if watched.read:
                    readers.add(each.id)
    assert readers <= SEQUENCE_RULES
    # The fixtures' apps all send Last-Modified with a 2xx to If-Modified-Since: the rule
    # looks no further back than the response itself there.
    assert SEQUENCE_RULES - readers == {"APP-IF-MODIFIED-SINCE"}


def _legacy_evaluate(exchanges: list[Exchange]) -> list[Any]:
    from wsgicheck.rules import RuleResult

    results = []
    for each in REGISTRY:
        applied = 0
        findings: list[Finding] = []
        for exchange in exchanges:
            fresh = _copy(exchange)
            if LEGACY[each.id](fresh):
                applied += 1
                findings.extend(each.check(fresh))
        status = "fail" if findings else ("pass" if applied else "skip")
        results.append(RuleResult(each, status, tuple(findings), applied))
    return results


def _module(path: Path) -> ModuleType:
    # A fresh copy: a fixture with state (app_reinvokable's body, used up by its first
    # request) must not be spent for the other tests of this process.
    return load(path, fresh=True)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    path=st.sampled_from(APP_FIXTURES),
    request=wst.requests(),
    data=st.data(),
    source=st.sampled_from(SOURCES),
)
def test_both_engines_agree_on_generated_exchanges(
    path: Path, request: Any, data: st.DataObject, source: str
) -> None:
    module = _module(path)
    config = data.draw(wst.server_configs(base=getattr(module, "CONFIG", None)), label="config")
    # Which events to keep, drawn before the app runs: a draw sized by what the app did
    # would make Hypothesis's data depend on the app, and an app whose trace varies from
    # one run to the next (a close the garbage collector makes) then fails as flaky.
    kept = data.draw(st.lists(st.booleans(), min_size=MAX_EVENTS, max_size=MAX_EVENTS))
    response = Client(module.app, config=config).send(request)
    events = list(response.trace)
    shown = [keep for keep, _ in zip(kept, events, strict=False)]
    if not all(shown):
        # Events past MAX_EVENTS are all kept.
        response = response.replace(
            events=[e for i, e in enumerate(events) if i >= MAX_EVENTS or kept[i]]
        )
    assert_same(Exchange(response, source=source))


#: How many of an exchange's first events the test above may drop.
MAX_EVENTS = 48


def _with_environ(response: Response, **changes: object) -> Response:
    """``response`` as a server that built its environ with ``changes`` would record it."""
    assert response.environ is not None
    return Response(
        response.request,
        response.status_code,
        response.reason,
        response.headers,
        response.body,
        response.complete,
        {**response.environ, **changes},
        [raw_event(event) for event in response.trace],
        response.errors,
    )


def test_a_remembered_verdict_names_the_request_of_each_exchange() -> None:
    # Two requests alike but for their bodies' bytes have the same environ view: the
    # environ rules' verdict is remembered from the first, and its findings name each one.
    client = Client(load(ROOT / "fixtures" / "wsgiapp.py").app)
    responses = [
        _with_environ(client.post("/hello", body=body), SERVER_NAME="") for body in (b"ab", b"cd")
    ]
    exchanges = [Exchange(response) for response in responses]
    assert exchanges[0].environ_view == exchanges[1].environ_view is not None
    for exchange, response in zip(exchanges, responses, strict=True):
        judged = dict(assert_same(exchange))
        assert [finding.request for finding in judged["ENV-SERVER-NAME"]] == [response.request]
        assert response.request.body in (b"ab", b"cd")


def test_an_environ_view_keeps_what_the_rules_read_of_each_value() -> None:
    response = Client(load(ROOT / "fixtures" / "wsgiapp.py").app).get("/hello")
    view = Exchange(response).environ_view
    assert view is not None
    # A list where the PEP wants the tuple (1, 0): kept as the list it is.
    listed = Exchange(_with_environ(response, **{"wsgi.version": [1, 0]}))
    assert listed.environ_view not in (None, view)
    assert dict(assert_same(listed))["ENV-WSGI-VERSION"]
    # A str subclass is compared by its own __eq__: no view, every rule asked.
    subclassed = Exchange(_with_environ(response, REQUEST_METHOD=_Text("GET")))
    assert subclassed.environ_view is None
    assert_same(subclassed)


class _Text(str):
    """A str subclass: compared by its own __eq__, so not by its type alone."""


def _yielding(value: object) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[object]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [value]

    return app


def test_an_exchange_judged_again_is_judged_from_the_memo_with_its_own_request() -> None:
    # The app yields str: APP-YIELD-BYTES fires. Two requests alike but for their bodies'
    # bytes have one record view; the second is judged from the memo (its trace is never
    # sorted into events), and its findings name its own request.
    engine.forget()  # a run of exchanges that never repeated may have stopped remembering
    client = Client(_yielding("text"))
    exchanges = [Exchange(client.post("/", body=body)) for body in (b"ab", b"cd")]
    assert exchanges[0].record_view == exchanges[1].record_view is not None
    first = assert_same(exchanges[0])
    fresh = Exchange(exchanges[1].response)
    found = check_exchange(fresh)
    assert "events" not in vars(fresh)  # the memo answered: no rule read the trace
    assert [f.request for f in found] == [exchanges[1].request] * len(found)
    assert [(f.rule, f.message) for f in found] == [
        (f.rule, f.message) for _, findings in first for f in findings
    ]
    assert "APP-YIELD-BYTES" in {f.rule for f in found}
    assert_same(exchanges[1])


def test_values_equal_in_python_but_shown_differently_have_different_record_views() -> None:
    # True == 1 == 1.0, yet a rule names their types and quotes them: each is judged on
    # its own.
    views = set()
    for value, shown in ((True, "bool True"), (1, "int 1"), (1.0, "float 1.0")):
        exchange = Exchange(Client(_yielding(value)).get("/"))
        assert exchange.record_view is not None
        views.add(exchange.record_view)
        judged = dict(assert_same(exchange))
        assert [f.message for f in judged["APP-YIELD-BYTES"]] == [f"the iterable yielded {shown}"]
    assert len(views) == 3


def test_an_exchange_holding_the_apps_own_objects_has_no_record_view() -> None:
    exchange = Exchange(Client(_yielding(_Text("text"))).get("/"))
    assert exchange.record_view is None
    assert_same(exchange)


def test_file_wrappers_are_told_apart_by_their_signatures_in_the_environ_view() -> None:
    response = Client(load(ROOT / "fixtures" / "wsgiapp.py").app).get("/hello")
    exchanges = [
        Exchange(_with_environ(response, **{"wsgi.file_wrapper": wrapper}))
        for wrapper in (lambda filelike: filelike, lambda filelike, size=1: filelike)
    ]
    assert exchanges[0].environ_view != exchanges[1].environ_view
    found = [dict(assert_same(exchange)) for exchange in exchanges]
    assert [len(judged["ENV-FILE-WRAPPER-SIGNATURE"]) for judged in found] == [1, 0]
    # A wrapper made anew for each request (wsgicheck's own) is the same in every view.
    again = Exchange(Client(load(ROOT / "fixtures" / "wsgiapp.py").app).get("/hello"))
    assert again.environ_view == Exchange(response).environ_view is not None


class _Reader:
    """A wsgi.input with the PEP's read methods but no __iter__; its class decides them."""

    __slots__ = ()

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def readlines(self, hint: int = -1) -> list[bytes]:
        return []


def test_a_stream_class_judged_again_gets_the_same_findings() -> None:
    response = Client(load(ROOT / "fixtures" / "wsgiapp.py").app).get("/hello")
    for _ in range(3):
        exchange = Exchange(_with_environ(response, **{"wsgi.input": _Reader()}))
        assert [f.message for f in dict(assert_same(exchange))["ENV-INPUT-METHODS"]] == [
            "wsgi.input (_Reader) is not iterable (no __iter__)"
        ]


def test_a_stream_is_judged_by_its_class_only_while_it_holds_no_method_of_its_own() -> None:
    # io.BytesIO instances have a __dict__: one that holds its own read() (not callable
    # here) breaks ENV-INPUT-METHODS though plain ones, judged before it, do not.
    response = Client(load(ROOT / "fixtures" / "wsgiapp.py").app).get("/hello")
    plain = io.BytesIO()
    odd = io.BytesIO()
    odd.read = None  # type: ignore[assignment, method-assign]
    for stream, expected in ((plain, []), (odd, ["wsgi.input (BytesIO) has no read()"])):
        for _ in range(2):
            exchange = Exchange(_with_environ(response, **{"wsgi.input": stream}))
            found = dict(assert_same(exchange))["ENV-INPUT-METHODS"]
            assert [f.message for f in found] == expected
