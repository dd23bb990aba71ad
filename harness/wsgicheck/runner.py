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
from typing import TYPE_CHECKING, Any, NamedTuple

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import Flaky

from . import hypothesis_hooks, strategies
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


class _Kept(NamedTuple):
    """The smallest example of a rule seen so far."""

    #: How big it is (see :func:`_size`): the smaller, the better.
    size: tuple[int, ...]
    finding: Finding
    request: Request
    config: ServerConfig
    transport: str
    #: The requests sent before it in its sequence (none for a lone one).
    before: tuple[Request, ...] = ()


class _FirstAnswer(NamedTuple):
    """The first example the app answered, to show when every answer was the same refusal."""

    request: Request
    config: ServerConfig
    transport: str
    status: int
    reason: str
    headers: list[tuple[str, str]]


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
                if kept is None or size <= kept.size:
                    self.smallest[each.id] = _Kept(
                        size, finding, request, config, transport, before
                    )
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
    first_answer: _FirstAnswer | None = None


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
    hypothesis_hooks.ignore_constants_of(
        module
        for module in list(sys.modules.values())
        if os.path.abspath(getattr(module, "__file__", None) or os.sep).startswith(home)
    )
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


def _judged(rule: Rule, exchange: Exchange) -> Finding | None:
    """``rule``'s first finding in ``exchange``, asked through the rule engine."""
    for _, found in judge(exchange, [rule]):
        return found[0] if found else None
    return None


class _Exploration:
    """What one process's share of a run works with: the app behind its transports, the
    paths and what discovery learned, and what the answers showed besides the rules
    (errors, the table of statuses per path, the first answer)."""

    def __init__(
        self,
        options: RunOptions,
        *,
        examples: int,
        memory: MemoryTransport | None,
        wire: SocketTransport | None,
        base: ServerConfig,
        paths: list[str],
        learned: Learned,
        on_exchange: OnExchange | None,
    ) -> None:
        self.options = options
        self.examples = examples
        self.memory = memory
        self.wire = wire
        self.base = base
        self.paths = paths
        self.learned = learned
        self.on_exchange = on_exchange
        self.errors: list[str] = []
        self.answers = Answers()
        self.first_answer: _FirstAnswer | None = None
        #: Sequences stop drawing once the examples reach this (see :func:`_generate`).
        self.sequence_end = examples
        self.requests = strategies.requests(paths=paths, raw_bytes=options.raw_bytes)
        self.configs = strategies.server_configs(script_names=options.script_names, base=base)

    def tell(self, request: Request, config: ServerConfig, transport: str) -> None:
        if self.on_exchange is not None:
            self.on_exchange(request, config, transport)

    def answered(self, path: str, config: ServerConfig, transport: str, reply: Response) -> None:
        """Count the answer to an example in the table of statuses per path."""
        late = timed_out(reply)
        self.answers.add(path, TIMED_OUT if late else str(reply.status_code))
        if self.first_answer is None and not late:
            self.first_answer = _FirstAnswer(
                reply.request, config, transport, reply.status_code, reply.reason, reply.headers
            )

    def replay_one(
        self,
        rule: Rule,
        request: Request,
        config: ServerConfig,
        before: tuple[Request, ...],
        how: str,
    ) -> Finding | None:
        """``rule``'s finding when ``request`` is sent again (after ``before``) by ``how``."""
        transport = self.memory if how == "memory" else self.wire
        if transport is None:
            return None
        try:
            for each in (*before, request):
                self.tell(each, config, how)
                response = transport.exchange(each, config)
        except TransportError:
            return None
        exchange = Exchange(response, source=how)
        return None if exchange.timed_out else _judged(rule, exchange)

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()
        if self.wire is not None:
            self.wire.close()


class _Examples:
    """The two functions Hypothesis calls, a lone request's (:meth:`example`) and a
    sequence's (:meth:`sequence`), collecting into one collector. Each collector has its
    own follow-ups, so the database's replay never changes what the seeded draw sends."""

    def __init__(
        self,
        run: _Exploration,
        collector: _Collector,
        timeouts: _TimeOuts,
        on_progress: Callable[[int, int], None] | None,
    ) -> None:
        self.run = run
        self.collector = collector
        self.timeouts = timeouts
        self.on_progress = on_progress
        self.followed = FollowUps()
        self.sequence_broke: list[str] = []

    def send(
        self,
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
        run, collector = self.run, self.collector
        if self.timeouts.skips(request) or excluded(request.target, run.options.exclude_paths):
            return request, None, []
        collector.examples += 1
        if self.on_progress is not None:
            self.on_progress(collector.examples, run.examples)
        drawn = with_headers(request, run.options.headers)
        request = _with_prefix(drawn, config)
        found: list[Finding] = []
        first: Exchange | None = None
        asked = False
        if run.memory is not None:
            first = self._in_memory(drawn, request, config, earlier, previous)
            found += collector.judge(first, request, config, "memory", before)
            asked = follow and self.followed.wants(first)
            if asked:
                _follow_up(first, run.memory, config, collector, run.on_exchange)
        if run.wire is not None and not (first is not None and first.timed_out):
            # (The socket is not tried after a time-out in memory: it would cost another.)
            run.tell(request, config, "socket")
            try:
                response = run.wire.exchange(request, config)
            except TransportError as exc:
                run.errors.append(f"{request.method} {request.target}: {exc}")
                return request, first, found
            exchange = self._on_the_wire(drawn, request, response, config, earlier, previous, first)
            found += collector.judge(exchange, request, config, "socket", before)
            if asked and not exchange.timed_out:  # the same questions over the wire
                try:
                    _follow_up(exchange, run.wire, config, collector, run.on_exchange, "socket")
                except TransportError as exc:
                    run.errors.append(f"{request.method} {request.target} (follow-up): {exc}")
            first = first or exchange
        return request, first, found

    def _in_memory(
        self,
        drawn: Request,
        request: Request,
        config: ServerConfig,
        earlier: Sequence[Exchange],
        previous: Exchange | None,
    ) -> Exchange:
        """The in-memory transport's exchange of the example (``drawn`` as drawn, ``request``
        as sent)."""
        run = self.run
        assert run.memory is not None
        run.tell(request, config, "memory")
        response = run.memory.exchange(request, config)
        run.answered(drawn.path, config, "memory", response)
        history = tuple(earlier[-HISTORY:])
        exchange = Exchange(response, source="memory", previous=previous, history=history)
        self.timeouts.saw(drawn, exchange.timed_out)
        return exchange

    def _on_the_wire(
        self,
        drawn: Request,
        request: Request,
        response: Response,
        config: ServerConfig,
        earlier: Sequence[Exchange],
        previous: Exchange | None,
        first: Exchange | None,
    ) -> Exchange:
        """The socket transport's exchange of the example, compared with ``first`` (its
        in-memory exchange, if any)."""
        run = self.run
        if first is None:
            run.answered(drawn.path, config, "socket", response)
        exchange = Exchange(
            response,
            source="socket",
            previous=first or previous,
            history=() if first is not None else tuple(earlier[-HISTORY:]),
        )
        self.timeouts.saw(drawn, exchange.timed_out)
        if run.memory is not None and first is not None and not exchange.timed_out:
            # A timed-out exchange has no answer to compare; it is judged alone.
            exchange.extra = compare(run.memory, request, config, first.response, response)
        return exchange

    def example(self, request: Request, config: ServerConfig) -> None:
        _, _, found = self.send(request, config, follow=True)
        chosen = self.collector.pick(found)
        if chosen is not None:
            raise _failure_type(chosen)(chosen)

    def sequence(self, data: st.DataObject, config: ServerConfig) -> None:
        """Requests that learn from the answers (:mod:`wsgicheck.explorer`), one at a
        time until a rule breaks, the budget is spent, or the drawn length is reached."""
        run = self.run
        explorer = Explorer(run.paths, run.requests, learned=run.learned)
        sent: list[Request] = []
        exchanges: list[Exchange] = []
        same: dict[Request, Exchange] = {}
        for _ in range(data.draw(st.integers(1, MAX_STEPS), label="steps")):
            # The budget ends a sequence, until one breaks a rule: then Hypothesis
            # replays it to shrink it, and a replay must send the same requests.
            if self.collector.examples >= run.sequence_end and not self.sequence_broke:
                return
            _, steps = explorer.next(data.draw)
            for request in steps:
                done, exchange, found = self.send(
                    request, config, tuple(sent), exchanges, previous=same.get(request)
                )
                sent.append(done)
                if exchange is not None:
                    exchanges.append(exchange)
                    same[request] = exchange
                    explorer.learned.learn(
                        done, exchange.response, prefix=config.script_name, teacher=request
                    )
                chosen = self.collector.pick(found)
                if chosen is not None:
                    self.sequence_broke.append(chosen)
                    raise _failure_type(chosen)(chosen)

    def tests(self, target: str) -> tuple[Callable[..., None], Callable[..., None]]:
        """:meth:`example` and :meth:`sequence` as the functions Hypothesis runs, keyed in
        its database by this target and these options too (Hypothesis keys it by the test
        function's source)."""
        options = self.run.options

        def example(request: Request, config: ServerConfig) -> None:
            self.example(request, config)

        def sequence(data: st.DataObject, config: ServerConfig) -> None:
            self.sequence(data, config)

        key = f"{target}|{options.transports}|{options.script_names}|{options.raw_bytes}"
        hypothesis_hooks.add_to_database_key(example, key.encode())
        hypothesis_hooks.add_to_database_key(sequence, (key + "|sequences").encode())
        return example, sequence


def _hypothesis_run(
    function: Callable[..., None],
    drawn: tuple[st.SearchStrategy[Any], ...],
    *,
    max_examples: int,
    database: ExampleDatabase | None,
    phases: list[Phase],
    seed: int,
) -> None:
    """Let Hypothesis run ``function`` on what it draws from ``drawn``; the rules' failures
    it raises end the pass (the collector has kept them)."""
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
    hypothesis_hooks.use_seed(test, seed)
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


def _replay_database(
    run: _Exploration, rules: list[Rule], database: ExampleDatabase, *, target: str, seed: int
) -> _Partial:
    """The database's examples alone (no generating, no shrinking: they were shrunk when
    found), into a collector of their own."""
    replayed, timeouts = _Collector(rules, run.options.strict), _TimeOuts()
    example, sequence = _Examples(run, replayed, timeouts, None).tests(target)
    replays: list[tuple[Callable[..., None], tuple[st.SearchStrategy[Any], ...]]] = [
        (example, (run.requests, run.configs)),
        (sequence, (st.data(), run.configs)),
    ]
    for function, drawn in replays:
        with contextlib.suppress(unittest.SkipTest):  # raised when it holds none
            _hypothesis_run(
                function,
                drawn,
                max_examples=run.examples,
                database=database,
                phases=[Phase.reuse],
                seed=seed,
            )
    _simplify_all(replayed, run.replay_one, run.base, run.options)
    return _Partial(
        replayed.examples,
        replayed.applied,
        replayed.findings,
        replayed.smallest,
        [],
        run.paths,
        notes=timeouts.notes(),
    )


def _generate(
    run: _Exploration,
    examples: _Examples,
    database: ExampleDatabase | None,
    *,
    target: str,
    seed: int,
) -> None:
    """The seeded draw: the fixed examples of the corpus first, then lone requests,
    sequences that learn from the answers (a share of what the corpus left), and lone
    requests again, so that each kind of bug is met early.

    Hypothesis stops generating once it has a failure to shrink, so each kind is a few
    passes: each shrinks the failures it finds (and saves them in the database), and the
    next (a new seed, those rules no longer raised) spends the rest of its budget."""
    options, collector, timeouts = run.options, examples.collector, examples.timeouts
    budget = run.examples
    example, sequence = examples.tests(target)
    # The fixed examples first: every common request shape, under each server choice.
    fixed = corpus(run.paths, script_names=options.script_names, base=run.base)
    for request, config in fixed if options.corpus else []:
        if collector.examples >= budget or timeouts.stopped:
            break
        with contextlib.suppress(_RuleFailure):
            example(request, config)
    lone = (example, (run.requests, run.configs))
    phases: list[tuple[Callable[..., None], tuple[st.SearchStrategy[Any], ...], int, int]]
    phases = [(*lone, budget, 1)]
    reserved = int((budget - collector.examples) * SEQUENCE_SHARE)
    if options.sequences and reserved > 0:
        first = collector.examples + reserved
        run.sequence_end = first + reserved
        phases = [
            (*lone, first, 1),
            (sequence, (st.data(), run.configs), run.sequence_end, MAX_STEPS // 2),
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
        _hypothesis_run(
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
    run = _Exploration(
        options,
        examples=examples,
        memory=memory,
        wire=wire,
        base=base,
        paths=paths,
        learned=learned,
        on_exchange=on_exchange,
    )
    interrupted = False
    replay: _Partial | None = None
    timeouts = _TimeOuts()
    try:
        database = open_database(options.database) if options.database is not None else None
        if database is not None:
            replay = _replay_database(run, rules, database, target=target, seed=seed)
        drawing = _Examples(run, collector, timeouts, on_progress)
        _generate(run, drawing, database, target=target, seed=seed)
        _simplify_all(collector, run.replay_one, base, options)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: what ran so far is the result
    finally:
        run.close()
    return _Partial(
        collector.examples,
        collector.applied,
        collector.findings,
        collector.smallest,
        run.errors,
        paths,
        app_location(app, target),
        notes=timeouts.notes(),
        interrupted=interrupted,
        replay=replay,
        answers=run.answers,
        first_answer=run.first_answer,
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
        kept = collector.smallest[rule_id]
        example = (kept.request, kept.config, kept.before)
        found: list[Finding] = []
        simpler = simplify(
            example,
            _attempt(replay_one, REGISTRY[rule_id], kept.transport, found),
            default=base,
            keep=[name for name, _ in options.headers],
        )
        if simpler != example and found:
            request, config, before = simpler
            size = _size(request, config, before)
            collector.smallest[rule_id] = _Kept(
                size, found[-1], request, config, kept.transport, before
            )


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
            verdict = judged[each.id]
            findings += (verdict.finding,) if verdict is not None else ()
        status = "fail" if findings else ("pass" if applied else "skip")
        results.append(RuleResult(each, status, findings, applied))
    smallest = {rule_id: kept for rule_id, kept in judged.items() if kept is not None}
    for rule_id, kept in _smallest(partials).items():
        if rule_id not in smallest or kept.size < smallest[rule_id].size:
            smallest[rule_id] = kept
    replayed = {k: v for k, v in _smallest(replays).items() if k not in smallest}
    notes = [note for part in counted for note in part.notes]
    for table in (smallest, replayed):
        if notes and TIMEOUT_RULE in table:
            kept = table[TIMEOUT_RULE]
            message = "; ".join([kept.finding.message, *notes])
            table[TIMEOUT_RULE] = kept._replace(finding=replace(kept.finding, message=message))
    failures = {
        rule_id: Failure(
            REGISTRY[rule_id],
            kept.finding,
            kept.request,
            kept.config,
            kept.transport,
            reproducers(kept.request, kept.config, target, kept.before),
            before=kept.before,
            replayed=rule_id in replayed,
        )
        for rule_id, kept in sorted({**smallest, **replayed}.items())
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
            if rule_id not in smallest or kept.size < smallest[rule_id].size:
                smallest[rule_id] = kept
    return smallest


def _judge_answers(
    partials: list[_Partial], answers: Answers, rules: list[Rule]
) -> dict[str, _Kept | None]:
    """The rules over the whole run's answers (HARNESS-ALL-REFUSED), through the rule
    engine: judged once, on the first example the app answered, with the table of statuses
    per path as evidence. Each judged rule's failing example, None where it passed."""
    first = next((part.first_answer for part in partials if part.first_answer), None)
    if first is None:
        return {}
    reply = Response(first.request, first.status, first.reason, first.headers, b"", True, None, [])
    exchange = Exchange(reply, source=first.transport, extra=Extra(answers=answers.paths))
    size = _size(first.request, first.config)
    return {
        each.id: _Kept(size, found[0], first.request, first.config, first.transport)
        if found
        else None
        for each, found in judge(exchange, [each for each in rules if each.id in RUN_RULES])
    }


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
