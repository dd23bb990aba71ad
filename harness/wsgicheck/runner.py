"""The runner: generated requests through both transports, every rule, shrunk failures.

:func:`run` learns paths worth trying from the app's first answers, then lets Hypothesis
draw (request, server configuration) pairs. Each pair is replayed in memory and on a live
socket server; every rule judges both exchanges, and the transports are compared. Whenever
an example breaks a rule, the runner raises a failure of that rule's own type, so
Hypothesis shrinks it and keeps looking for other failures; for every rule that failed, the
smallest example seen is kept with reproducers (raw HTTP, curl, and a Python snippet).

Runs are deterministic for a given seed, whatever Hypothesis's example database (a directory
by default) holds: its past failures replay first, apart, and are reported as replayed.
"""

from __future__ import annotations

import contextlib
import os
import random
import sys
import time
import unittest
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import Flaky

from . import strategies
from .client import Client
from .core import WSGIApp
from .corpus import corpus
from .environ import ServerConfig
from .events import Location
from .exampledb import open_database, redis_url
from .explorer import MAX_STEPS, Explorer, Learned, links_in
from .extra import Extra
from .minimise import DRAWN_CHOICES, simplify
from .options import PROFILES, RunOptions
from .replay import (
    NORMALISED,
    MemoryTransport,
    SocketTransport,
    TransportError,
    compare,
    timed_out,
)
from .reproduce import reproducers
from .request import Request
from .response import Response
from .results import Failure, RunResult
from .rules import REGISTRY, Exchange, Finding, Rule, RuleResult, is_failure, judge
from .rules.engine import HISTORY
from .scope import TIMED_OUT, Answers, excluded, with_headers
from .sequences import FollowUps, send_follow_ups
from .strategies import STANDARD_METHODS
from .target import app_location

if TYPE_CHECKING:
    from .appcoverage import AppCoverage

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    from builtins import BaseExceptionGroup
else:  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found]

__all__ = [
    "NORMALISED",
    "PROFILES",
    "Failure",
    "Interrupted",
    "RunOptions",
    "RunResult",
    "discover",
    "run",
]

#: Rules whose failures are kept as found, not shrunk: each attempt to shrink a time-out
#: would cost a whole time limit.
TIMEOUT_RULE = "HARNESS-EXCHANGE-TIMEOUT"
NOT_SHRUNK = frozenset({TIMEOUT_RULE})
#: Time-outs in a row on one path after which the run sends that path no more requests,
#: and in a row on any paths after which it sends none at all: each costs a whole time
#: limit, and an app that hangs on every request would otherwise cost one per example.
PATH_TIMEOUTS = 3
RUN_TIMEOUTS = 5
#: Rules judged once over a whole run, on the table of answers (not per exchange).
RUN_RULES = frozenset({"HARNESS-ALL-REFUSED"})
#: The share of a run's examples spent on sequences of requests that learn from answers.
SEQUENCE_SHARE = 0.25
#: Hypothesis passes per run at most (each after the failures of the previous one).
MAX_PASSES = 6

#: Told of each request just before the app gets it: (request, server choices, transport).
OnExchange = Callable[[Request, ServerConfig, str], None]


# -- discovering paths --------------------------------------------------------------------------


def discover(
    app: WSGIApp,
    seeds: Sequence[str] = (),
    *,
    limit: int = 24,
    timeout: float = 10.0,
    body_limit: int = 8 << 20,
    on_exchange: OnExchange | None = None,
    headers: Sequence[tuple[str, str]] = (),
    exclude: Sequence[str] = (),
    learned: Learned | None = None,
) -> list[str]:
    """Paths worth trying: ``/``, the seeds, and what the app's answers link to.

    Follows links in HTML (``href``, ``src``, form ``action``) and ``Location`` and
    ``Content-Location`` headers, on the same origin only, breadth first, at most
    ``limit`` paths. The app runs as in the rest of the run: in a worker thread, with the
    time and body limits, so a hostile app cannot stop the run here either.
    ``on_exchange`` hears of each request just before the app gets it; ``headers`` go on
    every request, and paths ``exclude`` matches are neither requested nor returned.
    ``learned`` takes what the answers teach (validators, cookies, forms), for sequences.
    """
    transport = MemoryTransport(app, timeout)
    config = ServerConfig(response_body_limit=body_limit)
    client = Client(app, config=config)
    queue = ["/", *seeds]
    found: list[str] = []
    in_a_row = 0
    try:
        while queue and len(found) < limit and in_a_row < PATH_TIMEOUTS:
            path = queue.pop(0)
            if path in found or excluded(path, exclude):
                continue
            found.append(path)
            request = with_headers(client.build_request("GET", path), headers)
            if on_exchange is not None:
                on_exchange(request, config, "memory")
            response = transport.exchange(request, config)
            in_a_row = in_a_row + 1 if timed_out(response) else 0
            if response.environ is None or not response.complete:
                continue
            if learned is not None:
                learned.learn(request, response)
            for candidate in links_in(response, path):
                if candidate not in found and candidate not in queue:
                    queue.append(candidate)
    finally:
        transport.close()
    return found


# -- the run ------------------------------------------------------------------------------------


class _RuleFailure(Exception):
    """Raised to Hypothesis for one failing rule; each rule gets its own subclass."""


_FAILURE_TYPES: dict[str, type[_RuleFailure]] = {}


def _failure_type(rule_id: str) -> type[_RuleFailure]:
    kind = _FAILURE_TYPES.get(rule_id)
    if kind is None:
        name = "Broke_" + rule_id.replace("-", "_")
        kind = _FAILURE_TYPES[rule_id] = type(name, (_RuleFailure,), {})
    return kind


#: The smallest example of a rule: its size, the finding, the request, the server choices,
#: the transport, and the requests sent before it in its sequence (none for a lone one).
_Kept = tuple[tuple[int, ...], Finding, Request, ServerConfig, str, tuple[Request, ...]]

_DEFAULT_CONFIG = ServerConfig()


def _size(
    request: Request, config: ServerConfig, before: Sequence[Request] = ()
) -> tuple[int, ...]:
    """How big an example is, to keep the simplest one per rule: the fewest requests before
    it in its sequence, then the fewest server choices away from the default, then a GET
    before another standard method before any other, then HTTP/1.1, then the fewest header
    fields, then the shortest request."""
    unusual = sum(getattr(config, name) != getattr(_DEFAULT_CONFIG, name) for name in DRAWN_CHOICES)
    method = 0 if request.method == "GET" else 1 if request.method in STANDARD_METHODS else 2
    old = int(request.http_version != "1.1")
    size = len(request.to_bytes())
    return (len(before), unusual, method, old, len(request.headers), size)


class _TimeOuts:
    """Time-outs in a row, per path and over the run, and the paths written off."""

    def __init__(self) -> None:
        self.in_a_row: dict[str, int] = {}
        self.run_in_a_row = 0
        self.written_off: list[str] = []
        self.stopped = False

    @staticmethod
    def path(request: Request) -> str:
        return request.target.partition("?")[0]

    def skips(self, request: Request) -> bool:
        """Whether the run sends no more requests like this one."""
        return self.stopped or self.path(request) in self.written_off

    def saw(self, request: Request, timed_out: bool) -> None:
        path = self.path(request)
        if not timed_out:
            self.in_a_row[path] = self.run_in_a_row = 0
            return
        self.in_a_row[path] = self.in_a_row.get(path, 0) + 1
        self.run_in_a_row += 1
        if self.in_a_row[path] >= PATH_TIMEOUTS and path not in self.written_off:
            self.written_off.append(path)
        if self.run_in_a_row >= RUN_TIMEOUTS:
            self.stopped = True

    def notes(self) -> list[str]:
        """What the run left out, and why, for the time-out finding."""
        notes = [
            f"{PATH_TIMEOUTS} time-outs in a row on {path}: the run sent it no more requests"
            for path in self.written_off
        ]
        if self.stopped:
            notes.append(f"{RUN_TIMEOUTS} time-outs in a row: the run sent no more requests")
        return notes


class _Collector:
    """What the examples showed, rule by rule."""

    def __init__(self, rules: list[Rule], strict: bool) -> None:
        self.rules = rules
        self.strict = strict
        self.applied = {each.id: 0 for each in rules}
        self.findings: dict[str, list[Finding]] = {each.id: [] for each in rules}
        self.smallest: dict[str, _Kept] = {}
        self.raised: dict[str, int] = {}
        self.shrunk: set[str] = set()
        self.examples = 0
        #: The example (counted from 1) at which each rule first broke.
        self.first_found: dict[str, int] = {}

    def judge(
        self,
        exchange: Exchange,
        request: Request,
        config: ServerConfig,
        transport: str,
        before: tuple[Request, ...] = (),
    ) -> list[Finding]:
        found = []
        for each, findings in judge(exchange, self.rules):
            self.applied[each.id] += 1
            for finding in findings:
                self.first_found.setdefault(each.id, self.examples)
                found.append(finding)
                self.findings[each.id].append(finding)
                size = _size(request, config, before)
                kept = self.smallest.get(each.id)
                if kept is None or size <= kept[0]:
                    self.smallest[each.id] = (size, finding, request, config, transport, before)
        return found

    def pick(self, findings: list[Finding]) -> str | None:
        """The failing rule to report to Hypothesis: the one reported least so far.

        Rules already shrunk in an earlier pass are not reported again (see ``_explore``).
        """
        failing = sorted(
            {f.rule for f in findings if is_failure(f, strict=self.strict)}
            - self.shrunk
            - NOT_SHRUNK
        )
        if not failing:
            return None
        chosen = min(failing, key=lambda rule_id: (self.raised.get(rule_id, 0), rule_id))
        self.raised[chosen] = self.raised.get(chosen, 0) + 1
        return chosen


def _with_prefix(request: Request, config: ServerConfig) -> Request:
    """The request with the drawn mount prefix in front of its (origin-form) target."""
    if config.script_name and request.target.startswith("/"):
        return request.replace(target=config.script_name + request.target)
    return request


@dataclass(slots=True)
class _Partial:
    """What one process's share of a run found (picklable, to merge across processes)."""

    examples: int
    applied: dict[str, int]
    findings: dict[str, list[Finding]]
    smallest: dict[str, _Kept]
    errors: list[str]
    paths: list[str]
    app_location: Location | None = None
    app_coverage: AppCoverage | None = None
    #: What the run left out, and why (paths written off after time-outs).
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    #: What replaying the example database showed (see ``_explore``), when it did.
    replay: _Partial | None = None
    answers: Answers = field(default_factory=Answers)
    first_found: dict[str, int] = field(default_factory=dict)
    #: The first example the app answered: (request, server choices, transport, status
    #: code, reason, header fields), to show when every answer was the same refusal.
    first_answer: tuple[Request, ServerConfig, str, int, str, list[tuple[str, str]]] | None = None


_OWN_MODULES_LOADED = False
#: wsgicheck's modules that only pytest runs: they import it.
PYTEST_MODULES = frozenset({"wsgicheck.plugin", "wsgicheck.suite"})


def _load_own_modules() -> None:
    """Import every wsgicheck module, once, before drawing anything.

    Hypothesis mixes constants from the source of every local module loaded so far into
    what it draws, and a wsgicheck checkout is local code to it (an installed one is not).
    Each module is marked as already read, so its constants are left out wherever wsgicheck
    lives: a seed then draws the same requests whatever the caller imported before the run
    (a report format, ``--baseline``, the pytest plugin) and whatever wsgicheck's own source
    says; the app's constants still count.

    The pytest side (:data:`PYTEST_MODULES`) is left out unless pytest is running: it
    imports pytest (about a tenth of a second in each worker of ``wsgicheck check``), and
    no run loads it, so unloaded it adds no constants either.
    """
    global _OWN_MODULES_LOADED
    if _OWN_MODULES_LOADED:
        return
    import importlib
    import pkgutil

    try:
        from hypothesis.internal.conjecture import providers

        seen: set[int] = providers._seen_modules
    except (ImportError, AttributeError):  # pragma: no cover - another Hypothesis
        seen = set()
    package = sys.modules[__name__.rpartition(".")[0]]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", lambda _: None):
        if info.name.endswith("__main__"):
            continue
        if info.name in PYTEST_MODULES and "pytest" not in sys.modules:
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # pragma: no cover - a module that cannot load here draws nothing
            continue
    # Every module from wsgicheck's directory, ``__main__`` too under ``python -m``.
    home = os.path.dirname(os.path.abspath(__file__)) + os.sep
    for module in list(sys.modules.values()):
        if os.path.abspath(getattr(module, "__file__", None) or os.sep).startswith(home):
            seen.add(id(module))
    _OWN_MODULES_LOADED = True


def _follow_up(
    first: Exchange,
    transport: MemoryTransport | SocketTransport,
    config: ServerConfig,
    collector: _Collector,
    on_exchange: OnExchange | None,
    source: str = "memory",
) -> None:
    """Ask the questions that follow ``first`` (HEAD, conditional GETs: :mod:`.sequences`)
    through ``transport`` and judge each beside it. Their findings are kept, never raised
    to Hypothesis: a target is asked once a run, so a replay while shrinking would not ask."""

    def send(request: Request) -> Response:
        if on_exchange is not None:
            on_exchange(request, config, source)
        return transport.exchange(request, config)

    for later in send_follow_ups(send, first, source=source):
        collector.judge(later, later.request, config, source)


def _explore(
    app: WSGIApp,
    options: RunOptions,
    *,
    seed: int,
    examples: int,
    target: str,
    on_progress: Callable[[int, int], None] | None,
    on_exchange: OnExchange | None = None,
) -> _Partial:
    """Run ``examples`` examples with ``seed`` and collect what they show.

    Two phases that share nothing but the app: the example database's failures are
    replayed first, on their own (``replay`` in the result), then the seeded draw runs
    with the database written to but never read, so a seed draws the same requests
    whatever the database holds. ``on_exchange`` hears of each request just before the
    app gets it (with the server choices and the transport), so that whoever watches
    knows the last one if the process dies (see :mod:`wsgicheck.supervisor`).
    """
    rules = REGISTRY.select(options.select, options.ignore)
    _load_own_modules()
    collector = _Collector(rules, options.strict)
    # The socket server starts before the app first runs: nothing the app does to the
    # modules it is built from (a patched socket.socket) can stop it starting.
    wire = (
        SocketTransport(
            app, options.timeout, options.body_limit, raw_latin1_targets=options.raw_bytes
        )
        if options.transports != "memory"
        else None
    )
    learned = Learned()
    try:
        paths = discover(
            app,
            options.paths,
            timeout=options.timeout,
            body_limit=options.body_limit,
            on_exchange=on_exchange,
            headers=options.headers,
            exclude=options.exclude_paths,
            learned=learned,
        )
    except KeyboardInterrupt:  # Ctrl-C before the first example: an empty result
        if wire is not None:
            wire.close()
        empty = _Partial(
            0, collector.applied, collector.findings, {}, [], [], app_location(app, target)
        )
        empty.interrupted = True
        return empty
    memory = MemoryTransport(app, options.timeout) if options.transports != "socket" else None
    base = wire.config if wire is not None else ServerConfig()
    base = replace(base, response_body_limit=options.body_limit)
    errors: list[str] = []
    interrupted = False
    answers = Answers()
    first_answer: list[tuple[Request, ServerConfig, str, int, str, list[tuple[str, str]]]] = []

    def answered(path: str, config: ServerConfig, transport: str, reply: Response) -> None:
        """Count the answer to an example in the table of statuses per path."""
        late = timed_out(reply)
        answers.add(path, TIMED_OUT if late else str(reply.status_code))
        request = reply.request
        if not first_answer and not late:
            first_answer.append(
                (request, config, transport, reply.status_code, reply.reason, reply.headers)
            )

    def replay_one(
        rule: Rule, request: Request, config: ServerConfig, before: tuple[Request, ...], how: str
    ) -> Finding | None:
        """``rule``'s finding when ``request`` is sent again (after ``before``) by ``how``."""
        transport = memory if how == "memory" else wire
        if transport is None:
            return None
        try:
            for each in (*before, request):
                if on_exchange is not None:
                    on_exchange(each, config, how)
                response = transport.exchange(each, config)
        except TransportError:
            return None
        exchange = Exchange(response, source=how)
        if exchange.timed_out or not rule.applies(exchange):
            return None
        found = rule.findings(exchange)
        return found[0] if found else None

    sequence_end = [examples]

    def explorer(
        collector: _Collector,
        timeouts: _TimeOuts,
        on_progress: Callable[[int, int], None] | None,
    ) -> tuple[Callable[..., None], Callable[..., None]]:
        """The two functions Hypothesis calls, a lone request's and a sequence's,
        collecting into ``collector``. Each pair has its own follow-ups, so the database's
        replay never changes what the seeded draw sends."""
        followed = FollowUps()
        sequence_broke: list[str] = []

        def send(
            request: Request,
            config: ServerConfig,
            before: tuple[Request, ...] = (),
            earlier: Sequence[Exchange] = (),
            previous: Exchange | None = None,
            *,
            follow: bool = False,
        ) -> tuple[Request, Exchange | None, list[Finding]]:
            """One example through the transports, judged: the request as sent, the first
            exchange (to learn from), and the findings. ``before`` are the requests sent
            before it in its sequence, ``earlier`` their exchanges (the first exchange's
            ``history``), ``previous`` an earlier exchange of the same request; ``follow``
            asks a first 200 to GET the questions that follow it (:mod:`wsgicheck.sequences`)."""
            if timeouts.skips(request) or excluded(request.target, options.exclude_paths):
                return request, None, []
            collector.examples += 1
            if on_progress is not None:
                on_progress(collector.examples, examples)
            request = with_headers(request, options.headers)
            drawn = request
            request = _with_prefix(request, config)
            history = tuple(earlier[-HISTORY:])
            found: list[Finding] = []
            first: Exchange | None = None
            mem_response: Response | None = None
            asked = False
            if memory is not None:
                if on_exchange is not None:
                    on_exchange(request, config, "memory")
                mem_response = memory.exchange(request, config)
                answered(drawn.path, config, "memory", mem_response)
                first = Exchange(mem_response, source="memory", previous=previous, history=history)
                found += collector.judge(first, request, config, "memory", before)
                timeouts.saw(drawn, first.timed_out)
                asked = follow and followed.wants(first)
                if asked:
                    _follow_up(first, memory, config, collector, on_exchange)
            if wire is not None and not (first is not None and first.timed_out):
                # (The socket is not tried after a time-out in memory: it would cost another.)
                if on_exchange is not None:
                    on_exchange(request, config, "socket")
                try:
                    response = wire.exchange(request, config)
                except TransportError as exc:
                    errors.append(f"{request.method} {request.target}: {exc}")
                    return request, first, found
                if mem_response is None:
                    answered(drawn.path, config, "socket", response)
                exchange = Exchange(
                    response,
                    source="socket",
                    previous=first or previous,
                    history=() if first is not None else history,
                )
                timeouts.saw(drawn, exchange.timed_out)
                if memory is not None and mem_response is not None and not exchange.timed_out:
                    # A timed-out exchange has no answer to compare; it is judged alone.
                    exchange.extra = compare(memory, request, config, mem_response, response)
                found += collector.judge(exchange, request, config, "socket", before)
                if asked and not exchange.timed_out:  # the same questions over the wire
                    try:
                        _follow_up(exchange, wire, config, collector, on_exchange, "socket")
                    except TransportError as exc:
                        errors.append(f"{request.method} {request.target} (follow-up): {exc}")
                first = first or exchange
            return request, first, found

        def example(request: Request, config: ServerConfig) -> None:
            _, _, found = send(request, config, follow=True)
            chosen = collector.pick(found)
            if chosen is not None:
                raise _failure_type(chosen)(chosen)

        def sequence(data: st.DataObject, config: ServerConfig) -> None:
            """Requests that learn from the answers (:mod:`wsgicheck.explorer`), one at a
            time until a rule breaks, the budget is spent, or the drawn length is reached."""
            explorer = Explorer(paths, requests, learned=learned)
            sent: list[Request] = []
            exchanges: list[Exchange] = []
            same: dict[Request, Exchange] = {}
            for _ in range(data.draw(st.integers(1, MAX_STEPS), label="steps")):
                # The budget ends a sequence, until one breaks a rule: then Hypothesis
                # replays it to shrink it, and a replay must send the same requests.
                if collector.examples >= sequence_end[0] and not sequence_broke:
                    return
                _, steps = explorer.next(data.draw)
                for request in steps:
                    done, exchange, found = send(
                        request, config, tuple(sent), exchanges, previous=same.get(request)
                    )
                    sent.append(done)
                    if exchange is not None:
                        exchanges.append(exchange)
                        same[request] = exchange
                        explorer.learned.learn(
                            done, exchange.response, prefix=config.script_name, teacher=request
                        )
                    chosen = collector.pick(found)
                    if chosen is not None:
                        sequence_broke.append(chosen)
                        raise _failure_type(chosen)(chosen)

        # Examples in the database belong to this target and these options (Hypothesis
        # keys its database by the test function's source, to which this is added).
        key = f"{target}|{options.transports}|{options.script_names}|{options.raw_bytes}"
        example._hypothesis_internal_add_digest = key.encode()  # type: ignore[attr-defined]
        sequence._hypothesis_internal_add_digest = (key + "|sequences").encode()  # type: ignore[attr-defined]
        return example, sequence

    def hypothesis_run(
        function: Callable[..., None],
        drawn: tuple[st.SearchStrategy[Any], ...],
        *,
        max_examples: int,
        database: ExampleDatabase | None,
        phases: list[Phase],
        seed: int,
    ) -> None:
        test = given(*drawn)(function)
        test = settings(
            max_examples=max_examples,
            database=database,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            phases=phases,
            report_multiple_bugs=True,
            print_blob=False,
        )(test)
        # hypothesis.seed() would also switch the database off; a seeded run that still
        # saves its failures sets the seed Hypothesis reads, and nothing else.
        test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]
        try:
            test()
        except _RuleFailure:
            pass
        except Flaky:
            # The app answered a replayed sequence differently (it keeps state, the
            # budget ran out mid-replay): what the examples showed is collected anyway.
            pass
        except BaseExceptionGroup as group:
            if any(not isinstance(exc, _RuleFailure) for exc in group.exceptions):
                raise

    database: ExampleDatabase | None = None
    if options.database is not None:
        database = open_database(options.database)
    requests = strategies.requests(paths=paths, raw_bytes=options.raw_bytes)
    configs = strategies.server_configs(script_names=options.script_names, base=base)
    replay: _Partial | None = None
    timeouts = _TimeOuts()
    try:
        if database is not None:
            # The database's examples alone (no generating, no shrinking: they were shrunk
            # when found), into a collector of their own.
            replayed, replay_timeouts = _Collector(rules, options.strict), _TimeOuts()
            replay_example, replay_sequence = explorer(replayed, replay_timeouts, None)
            replays: list[tuple[Callable[..., None], tuple[st.SearchStrategy[Any], ...]]] = [
                (replay_example, (requests, configs)),
                (replay_sequence, (st.data(), configs)),
            ]
            for function, drawn in replays:
                with contextlib.suppress(unittest.SkipTest):  # raised when it holds none
                    hypothesis_run(
                        function,
                        drawn,
                        max_examples=examples,
                        database=database,
                        phases=[Phase.reuse],
                        seed=seed,
                    )
            _simplify_all(replayed, replay_one, base, options)
            replay = _Partial(
                replayed.examples,
                replayed.applied,
                replayed.findings,
                replayed.smallest,
                [],
                paths,
                notes=replay_timeouts.notes(),
            )
        example, sequence = explorer(collector, timeouts, on_progress)
        # The fixed examples first: every common request shape, under each server choice.
        fixed = corpus(paths, script_names=options.script_names, base=base)
        for request, config in fixed if options.corpus else []:
            if collector.examples >= examples or timeouts.stopped:
                break
            with contextlib.suppress(_RuleFailure):
                example(request, config)
        # Lone requests, then sequences that learn from the answers (a share of what the
        # corpus left), then lone requests again: each kind of bug is met early. Hypothesis
        # stops generating once it has a failure to shrink, so each kind is a few passes:
        # each shrinks the failures it finds (and saves them in the database), and the
        # next (a new seed, those rules no longer raised) spends the rest of its budget.
        phases: list[tuple[Callable[..., None], tuple[st.SearchStrategy[Any], ...], int, int]]
        phases = [(example, (requests, configs), examples, 1)]
        reserved = int((examples - collector.examples) * SEQUENCE_SHARE)
        if options.sequences and reserved > 0:
            first = collector.examples + reserved
            sequence_end[0] = first + reserved
            phases = [
                (example, (requests, configs), first, 1),
                (sequence, (st.data(), configs), sequence_end[0], MAX_STEPS // 2),
                *phases,
            ]
        plan = [
            (index, attempt, *phase)
            for index, phase in enumerate(phases)
            for attempt in range(MAX_PASSES)
        ]
        stalled: set[int] = set()
        for index, attempt, function, drawn, end, per_case in plan:
            remaining = end - collector.examples
            if remaining <= 0 or timeouts.stopped or index in stalled:
                continue
            before = collector.examples
            hypothesis_run(
                function,
                drawn,
                max_examples=max(1, -(-remaining // per_case)),
                database=database,
                phases=[Phase.explicit, Phase.generate, Phase.shrink],
                seed=(seed + attempt + index * MAX_PASSES) % (1 << 32),
            )
            collector.shrunk |= set(collector.raised)
            if collector.examples == before:
                stalled.add(index)
        _simplify_all(collector, replay_one, base, options)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: what ran so far is the result
    finally:
        if memory is not None:
            memory.close()
        if wire is not None:
            wire.close()
    return _Partial(
        collector.examples,
        collector.applied,
        collector.findings,
        collector.smallest,
        errors,
        paths,
        app_location(app, target),
        notes=timeouts.notes(),
        interrupted=interrupted,
        replay=replay,
        answers=answers,
        first_answer=first_answer[0] if first_answer else None,
        first_found=collector.first_found,
    )


def _simplify_all(
    collector: _Collector,
    replay_one: Callable[[Rule, Request, ServerConfig, tuple[Request, ...], str], Finding | None],
    base: ServerConfig,
    options: RunOptions,
) -> None:
    """Make each rule's smallest example the simplest that still shows it
    (:mod:`wsgicheck.minimise`), by replaying simpler versions of it, a bounded number."""
    for rule_id in sorted(collector.smallest):
        if rule_id.startswith("HARNESS-") or rule_id in NOT_SHRUNK:
            continue  # the runner's own rules: their evidence is more than one exchange
        _, _, request, config, how, before = collector.smallest[rule_id]
        found: list[Finding] = []
        simpler = simplify(
            (request, config, before),
            _attempt(replay_one, REGISTRY[rule_id], how, found),
            default=base,
            keep=[name for name, _ in options.headers],
        )
        if simpler != (request, config, before) and found:
            request, config, before = simpler
            kept = (_size(request, config, before), found[-1], request, config, how, before)
            collector.smallest[rule_id] = kept


def _attempt(
    replay_one: Callable[[Rule, Request, ServerConfig, tuple[Request, ...], str], Finding | None],
    rule: Rule,
    how: str,
    found: list[Finding],
) -> Callable[[Request, ServerConfig, tuple[Request, ...]], bool]:
    """Whether ``rule`` still breaks on a replayed example; its findings go to ``found``."""

    def attempt(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        again = replay_one(rule, request, config, before, how)
        if again is not None:
            found.append(again)
        return again is not None

    return attempt


def _merge(
    partials: list[_Partial], options: RunOptions, *, seed: int, target: str, started: float
) -> RunResult:
    rules = REGISTRY.select(options.select, options.ignore)
    # The database's replays count in the verdicts; a failure is reported as replayed
    # only for a rule the seeded draw found no failure of.
    replays = [part.replay for part in partials if part.replay is not None]
    counted = [*partials, *replays]
    answers = Answers()
    for part in partials:
        answers.merge(part.answers)
    judged = _judge_answers(partials, answers, rules)
    results = []
    for each in rules:
        findings = tuple(f for part in counted for f in part.findings.get(each.id, []))
        applied = sum(part.applied.get(each.id, 0) for part in counted)
        if each.id in judged:
            applied += 1
            verdict = judged[each.id][1]
            findings += (verdict,) if verdict is not None else ()
        status = "fail" if findings else ("pass" if applied else "skip")
        results.append(RuleResult(each, status, findings, applied))
    smallest: dict[str, _Kept] = {}
    for rule_id, (size, verdict, *rest) in judged.items():
        if verdict is not None:
            smallest[rule_id] = (size, verdict, *rest, ())  # type: ignore[assignment]
    for rule_id, kept in _smallest(partials).items():
        if rule_id not in smallest or kept[0] < smallest[rule_id][0]:
            smallest[rule_id] = kept
    replayed = {k: v for k, v in _smallest(replays).items() if k not in smallest}
    notes = [note for part in counted for note in part.notes]
    for table in (smallest, replayed):
        if notes and TIMEOUT_RULE in table:
            size, finding, *rest = table[TIMEOUT_RULE]
            message = "; ".join([finding.message, *notes])
            table[TIMEOUT_RULE] = (size, replace(finding, message=message), *rest)  # type: ignore[assignment]
    failures = {
        rule_id: Failure(
            REGISTRY[rule_id],
            finding,
            request,
            config,
            transport,
            reproducers(request, config, target, before),
            before=before,
            replayed=rule_id in replayed,
        )
        for rule_id, (_, finding, request, config, transport, before) in sorted(
            {**smallest, **replayed}.items()
        )
    }
    paths = list(dict.fromkeys(path for part in partials for path in part.paths))
    measured = [part.app_coverage for part in partials if part.app_coverage is not None]
    app_coverage = measured[0] if measured else None
    for more in measured[1:]:
        app_coverage = more if app_coverage is None else app_coverage.merge(more)
    return RunResult(
        target=target,
        seed=seed,
        options=options,
        examples=sum(part.examples for part in partials),
        duration=time.monotonic() - started,
        paths=paths,
        results=results,
        failures=failures,
        errors=[error for part in partials for error in part.errors],
        app_coverage=app_coverage,
        app_location=next((p.app_location for p in partials if p.app_location), None),
        interrupted=any(part.interrupted for part in partials),
        notes=notes,
        replayed_examples=sum(part.examples for part in replays),
        answers=answers,
        first_found={
            rule_id: min(p.first_found[rule_id] for p in partials if rule_id in p.first_found)
            for rule_id in {rule_id for p in partials for rule_id in p.first_found}
        },
    )


def _smallest(partials: list[_Partial]) -> dict[str, _Kept]:
    """The smallest example of each failing rule over ``partials``."""
    smallest: dict[str, _Kept] = {}
    for part in partials:
        for rule_id, kept in part.smallest.items():
            if rule_id not in smallest or kept[0] < smallest[rule_id][0]:
                smallest[rule_id] = kept
    return smallest


def _judge_answers(
    partials: list[_Partial], answers: Answers, rules: list[Rule]
) -> dict[str, tuple[tuple[int, ...], Finding | None, Request, ServerConfig, str]]:
    """The rules over the whole run's answers (HARNESS-ALL-REFUSED): judged once, on the
    first example the app answered, with the table of statuses per path as evidence."""
    first = next((part.first_answer for part in partials if part.first_answer), None)
    if first is None:
        return {}
    request, config, transport, status, reason, headers = first
    reply = Response(request, status, reason, headers, b"", True, None, [])
    exchange = Exchange(reply, source=transport, extra=Extra(answers=answers.paths))
    judged: dict[str, tuple[tuple[int, ...], Finding | None, Request, ServerConfig, str]] = {}
    for each in rules:
        if each.id in RUN_RULES and each.applies(exchange):
            found = each.findings(exchange)
            judged[each.id] = (_size(request, config), found[0] if found else None, *first[:3])
    return judged


def run(
    app: WSGIApp,
    options: RunOptions | None = None,
    *,
    target: str = "<app>",
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Drive ``app`` with generated requests and judge every exchange (in this process).

    Ctrl-C raises :class:`Interrupted`, a ``KeyboardInterrupt`` that carries the result of
    the examples run until then.
    """
    options = options or RunOptions()
    started = time.monotonic()
    seed = options.seed if options.seed is not None else random.randrange(1 << 32)
    partial = _explore(
        app,
        options,
        seed=seed,
        examples=options.examples,
        target=target,
        on_progress=on_progress,
    )
    result = _merge([partial], options, seed=seed, target=target, started=started)
    if result.interrupted:
        raise Interrupted(result)
    return result


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; ``result`` holds what the examples run until then showed.

    Still a ``KeyboardInterrupt``: a caller that does not look for it stops as usual.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__("interrupted")
        self.result = result


def database_path(options: RunOptions) -> Path | None:
    """Where the example database lives, if it is a folder."""
    if options.database is None or redis_url(options.database) is not None:
        return None
    return Path(options.database)
