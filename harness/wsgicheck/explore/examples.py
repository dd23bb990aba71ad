"""Exploring: the examples Hypothesis draws sent through the transports and judged.

One process's share of a run: the fixed examples of the corpus, lone requests and
sequences that learn from the answers, each replayed in memory and on the socket and
judged by every rule; the example database's replay; and each rule's example made the
simplest that still shows it. What they show goes into a :class:`~.collector.Collector`.
"""

from __future__ import annotations

import contextlib
import re
import sys
import unittest
import warnings
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import ExampleDatabase
from hypothesis.errors import Flaky, HypothesisWarning

from ..core.environ import ServerConfig
from ..model.errors import VALIDATOR_VERDICTS
from ..model.extra import ANSWERED, RAISED, SUCCEEDED
from ..model.grammar import SAFE_METHODS
from ..model.learned import relearned, sources
from ..model.options import RunOptions
from ..model.request import Request
from ..model.response import Response
from ..model.untrusted import show, shown_target
from ..results.reproduce import choices_unlike, target_choices
from ..results.scope import (
    TIMED_OUT,
    Answers,
    FirstAnswer,
    at_or_above,
    excluded,
    sendable,
    with_headers,
)
from ..rules import Exchange, Finding, Rule, judge
from ..rules.app_trap import own_errors, told
from ..rules.engine import HISTORY
from ..rules.harness_rules import outcome, worked
from ..rules.http_evidence import http_date
from ..rules.registry import byte_count
from . import hypothesis_hooks, strategies
from .collector import (
    SERVED,
    Again,
    Collector,
    Partial,
    RuleFailure,
    TimeOuts,
    failure_type,
    simplify_all,
)
from .corpus import corpus
from .explorer import MAX_STEPS, Explorer, Learned
from .replay import MemoryTransport, SocketTransport, TransportError, compare
from .sequences import Elsewhere, FollowUps, send_follow_ups

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    from builtins import BaseExceptionGroup
else:  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found]

#: The share of a run's examples spent on sequences of requests that learn from answers.
SEQUENCE_SHARE = 0.25
#: Hypothesis passes per run at most (each after the failures of the previous one).
MAX_PASSES = 6
#: Examples that shrinking may send beyond a process's own: its examples again, and at
#: least this many. Hypothesis shrinks a failure until it stops making progress, and one
#: met in a long sequence over slow pages sent 1,850 more on a 200-example run (a
#: logged-in Wagtail admin, 108 s in all). At the allowance the Hypothesis pass ends
#: (:class:`_AllowanceSpent`): what was kept stays the smallest (the minimiser still
#: simplifies it), and the report says so (:data:`SHRINK_NOTE`).
SHRINK_AT_LEAST = 100
#: The report's note on a run whose sends reached the allowance.
SHRINK_NOTE = (
    "shrinking reached its allowance (as many examples again as a process drew, at least "
    f"{SHRINK_AT_LEAST}) and stopped there: a failure's request may not be the simplest one"
)


def send_limit(examples: int) -> int:
    """The examples a process that draws ``examples`` sends at most, shrinking included."""
    return examples + max(examples, SHRINK_AT_LEAST)


class _AllowanceSpent(BaseException):
    """Ends a Hypothesis pass whose shrinking reached the allowance. Not an ``Exception``:
    Hypothesis would take one for a failure of the app's and shrink it too; this one it
    lets through, as it does Ctrl-C, and :func:`_hypothesis_run` catches it."""


#: Times the requests a finding over steady answers rests on must show it again, sent
#: again, before it is kept (see :meth:`Exploration.again`); a time the rule does not
#: apply (the GETs sent again disagree) tells nothing, and one where it applies and finds
#: otherwise drops it. On an app that compresses a small body at random, a chance finding
#: states the same again (the HEAD compressed where the GETs are not, say) one time in four
#: at most, a length padded at random almost never: eight times leaves about one run in
#: several thousand with a false one (sweep 16's app met one in five runs when twice was
#: asked, of any finding). A chance finding most often costs its first time; a rule that
#: breaks steadily costs eight times its requests, once.
SENT_AGAIN = 8
#: Times they are sent at most, to find those :data:`SENT_AGAIN` where the rule applies (a
#: real fault behind answers that vary at random needs more).
SENT_AGAIN_AT_MOST = 3 * SENT_AGAIN
#: Times they are sent at most where the rule applied again and showed the finding each
#: time: a fault the rule can judge only on some of the app's answers (Roundup's HEAD gives
#: the uncoded length while its GETs' coded lengths vary by a byte or two, and only two GETs
#: of one length let APP-CL-OF-GET judge it) showed 8 times in 24 only one run in two.
SENT_AGAIN_LONGEST = 8 * SENT_AGAIN
#: Where a finding's statement ends and what it was compared with, or its hints, begin
#: ("…says Content-Length 0; GET to the same target got 140 and 87 bytes: …").
_HINTS = re.compile(r";| \(")


def _statement(finding: Finding) -> str:
    """What a finding states of the exchange it names, to tell one the same again: its
    words up to what it was compared with (a length padded at random) or its hints."""
    return _HINTS.split(finding.message, maxsplit=1)[0]


#: Told of each request just before the app gets it: (request, server choices, transport).
OnExchange = Callable[[Request, ServerConfig, str], None]


#: How much of a target a note names: enough to send it again, as a finding's does.
_NOTED_TARGET = 240


def _answered_error(exchange: Exchange, config: ServerConfig) -> str:
    """A server error the app answered itself, told: the request, the server choices it
    was made under beyond ``serve``'s (a mount: Dash answers the path without it 200), the
    status, and the last line the app wrote to wsgi.errors (where a framework logs the
    traceback it caught)."""
    request, response = exchange.request, exchange.response
    target = shown_target(request.target, limit=_NOTED_TARGET)
    told_of = f"{show(request.method, limit=40)} {target}"
    if request.body:  # (one past max_read is what short reads need)
        told_of += f" with a body of {byte_count(len(request.body))}"
    choices = [*choices_unlike(config, SERVED), *target_choices([request])]
    if choices:
        told_of += f" under server choices {show(', '.join(choices))}"
    told_of += f" got {response.status_code}"
    lines = [line for line in response.errors.splitlines() if line.strip()]
    if lines:
        told_of += f" after it wrote to wsgi.errors: {show(lines[-1].strip(), limit=200)}"
    return told_of


def _with_prefix(request: Request, config: ServerConfig) -> Request:
    """The request with the drawn mount prefix in front of its (origin-form) target."""
    if config.script_name and request.target.startswith("/"):
        return request.replace(target=config.script_name + request.target)
    return request


def _follow_up(
    first: Exchange,
    transport: MemoryTransport | SocketTransport,
    config: ServerConfig,
    collector: Collector,
    on_exchange: OnExchange | None,
    source: str = "memory",
    before: tuple[Request, ...] = (),
    keep: frozenset[str] = frozenset(),
    choices: bool = True,
    elsewhere: Callable[[], Elsewhere] | None = None,
    again: Again | None = None,
    answers: Answers | None = None,
) -> None:
    """Ask the questions that follow ``first`` (HEAD, conditional GETs: :mod:`.sequences`)
    through ``transport`` and judge each beside it. Their findings are kept, never raised
    to Hypothesis: a target is asked once a run, so a replay while shrinking would not ask.
    Each is kept with the requests sent before it (``before`` ``first``'s, then ``first``
    and the questions before it), so its reproducer replays what it was judged beside.
    ``elsewhere`` tells what other targets taught, for the questions after an error;
    ``again`` sends a finding's requests again (:meth:`Exploration.again`); ``answers``
    counts the server errors the app answered them with itself, which no rule judges
    (None: another transport counts them)."""

    def send(request: Request) -> Response:
        if on_exchange is not None:
            on_exchange(request, config, source)
        return transport.exchange(request, config)

    # What other targets taught (``elsewhere``, worked out on demand) is read by the
    # questions after an error only.
    taught = elsewhere() if elsewhere is not None and first.response.status_code != 200 else None
    asked = send_follow_ups(
        send, first, source=source, keep=keep, choices=choices, elsewhere=taught or (None, None)
    )
    for later in asked:
        sent_before = (*before, *[earlier.request for earlier in later.history])
        collector.judge(later, later.request, config, source, sent_before, again)
        if answers is not None and not later.timed_out and outcome(later) == ANSWERED:
            answers.asked_errors += 1
            if answers.asked_error is None:
                answers.asked_error = _answered_error(later, config)


def _known(path: str, paths: list[str]) -> bool:
    """Whether ``path`` is one of the run's ``paths`` or lies under one but the root
    (``/items/zz`` under ``/items``): where the app's own views answer."""
    return any(
        at_or_above(known, path) if known.strip("/") else path.rstrip("/") == "" for known in paths
    )


def _segments_in_common(one: str, other: str) -> int:
    """How many leading path segments two targets share."""
    shared = 0
    segments = (target.partition("?")[0].split("/") for target in (one, other))
    for mine, theirs in zip(*segments, strict=False):
        if mine != theirs:
            break
        shared += 1
    return shared


def _elsewhere(learned: Learned, target: str) -> Elsewhere:
    """What the run learned at other targets than ``target``, for the questions after an
    error (:mod:`.sequences`): the ETag of the nearest one (the most path segments in
    common: ``/reports/q1`` for ``/reports/zz``), and the latest Last-Modified (an app that
    dates a whole table answers it 304 where the newest date is not older than its own)."""
    tags = [
        (_segments_in_common(target, where), -i, etag)
        for i, (where, (etag, _)) in enumerate(learned.validators.items())
        if etag is not None and where != target
    ]
    dates = [
        (date, modified)
        for where, (_, modified) in learned.validators.items()
        if where != target and (date := http_date(modified)) is not None
    ]
    return (max(tags)[2] if tags else None), (max(dates)[1] if dates else None)


def _judged(rule: Rule, exchange: Exchange) -> Finding | None:
    """``rule``'s first finding in ``exchange``, asked through the rule engine."""
    found = _verdict(rule, exchange)
    return found[0] if found else None


def _verdict(rule: Rule, exchange: Exchange) -> list[Finding] | None:
    """``rule``'s findings in ``exchange``, asked through the rule engine; None where it
    does not apply."""
    for _, found in judge(exchange, [rule]):
        return found
    return None


class Exploration:
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
        #: Exchanges that timed out when :meth:`again` sent requests again, with what the
        #: collector judges them by (request, config, transport, the requests before it),
        #: for :meth:`Examples.send` to judge once its own judging is done.
        self.timed_out_again: list[
            tuple[Exchange, Request, ServerConfig, str, tuple[Request, ...]]
        ] = []
        self.answers = Answers()
        self.first_answer: FirstAnswer | None = None
        #: Per path, the status of the first GET answered 2xx; and the latest request of an
        #: unsafe method answered 2xx, with its status (see :meth:`_watch_removal`).
        self.lived: dict[tuple[str, str], tuple[str, int]] = {}
        self.changed: tuple[Request, int, str] | None = None
        #: Sequences stop drawing once the examples reach this (see :func:`generate`).
        self.sequence_end = examples
        # Under --read-only, the safe methods alone, GET first (Hypothesis shrinks to it).
        methods = None
        if options.read_only:
            methods = [m for m in strategies.STANDARD_METHODS if sendable(m, read_only=True)]
        self.requests = strategies.requests(
            methods=methods, paths=paths, raw_bytes=options.raw_bytes
        )
        self.configs = strategies.server_configs(script_names=options.script_names, base=base)

    def tell(self, request: Request, config: ServerConfig, transport: str) -> None:
        if self.on_exchange is not None:
            self.on_exchange(request, config, transport)

    def answered(self, path: str, config: ServerConfig, transport: str, exchange: Exchange) -> None:
        """Count the answer to an example in the table of statuses per path, and how it
        tells of the app working (HARNESS-ALL-ERRORS)."""
        reply = exchange.response
        if exchange.timed_out:
            self.answers.add(path, TIMED_OUT)
            return
        self.answers.add(path, str(reply.status_code))
        self._watch_removal(config, reply)
        inner = [raised for raised in exchange.raised if raised.exc_type in VALIDATOR_VERDICTS]
        if inner:
            self.answers.inner_violations += 1
            if self.answers.inner_violation is None:
                self.answers.inner_violation = show(inner[0].message, limit=200)
        kind = outcome(exchange)
        if worked(exchange, kind):
            self.answers.succeeded += 1
        if kind not in (None, SUCCEEDED):
            self.answers.add_failed(kind, reply.status_code, path)
            if kind == RAISED and self.answers.raised is None:
                self.answers.raised = told(own_errors(exchange)[0])
            elif kind == ANSWERED and self.answers.answered_error is None:
                self.answers.answered_error = _answered_error(exchange, config)
            if kind in (RAISED, ANSWERED) and self.answers.first_failed is None:
                self.answers.first_failed = _as_first(reply, config, transport)
        if self.first_answer is None:
            self.first_answer = _as_first(reply, config, transport)

    def _watch_removal(self, config: ServerConfig, reply: Response) -> None:
        """Keep the first time a request target the app answered with 2xx to GET or HEAD
        answers 404 or 410 to either, under the same mount, after a request of an unsafe
        method to the path or a path above it succeeded (a DELETE of it, or of its
        collection): the run's own requests removed what it checks, and the verdicts on that
        path judge what is left. The whole target, query and all, and the mount: CherryPy
        answers 404 to a query its handler takes no argument for, which no request
        removed."""
        request, code = reply.request, reply.status_code
        method, seen = request.method, (config.script_name, request.target)
        # HEAD tells as GET does (a trial of 2026-12-07: DRF's user was asked for by HEAD
        # after its DELETE).
        if method in ("GET", "HEAD") and 200 <= code < 300:
            self.lived.setdefault(seen, (method, code))
        elif method not in SAFE_METHODS and 200 <= code < 300:
            self.changed = request, code, config.script_name
        elif (
            method in ("GET", "HEAD")
            and code in (404, 410)
            and seen in self.lived
            and self.changed is not None
            and self.changed[2] == config.script_name
            and at_or_above(self.changed[0].path, request.path)  # both as sent, mount and all
            and self.answers.removed is None
        ):
            unsafe, changed, _ = self.changed
            first_method, first_code = self.lived[seen]
            later = "" if method == first_method else f" to {method}"
            self.answers.removed = (
                f"{first_method} {shown_target(request.target)} got {first_code} at first "
                f"and {code}{later} after {show(unsafe.method, limit=40)} "
                f"{shown_target(unsafe.target)} got {changed}"
            )

    def replay_one(
        self,
        rule: Rule,
        request: Request,
        config: ServerConfig,
        before: tuple[Request, ...],
        how: str,
        beside: bool | None = None,
    ) -> Finding | None:
        """``rule``'s finding when ``request`` is sent again (after ``before``) by ``how``,
        judged beside the exchanges of ``before`` where ``beside`` says so (None: as the run
        judges a drawn example by ``how``)."""
        transport = self.memory if how == "memory" else self.wire
        if transport is None:
            return None
        earlier: list[Exchange] = []
        previous: Exchange | None = None
        # A learned field is made again from the answer its teacher gets here, as the
        # report's replays make it: a simpler sequence whose teacher's answer lacks it (a
        # target changed to one that 404s, where the run's had a Last-Modified) is one no
        # replay can send (an app trial of 2026-12-06: Wagtail's replays stopped there).
        taught = sources((*before, request))
        answers: list[Response] = []
        try:
            for each, found in zip(before, taught, strict=False):
                self.tell(each, config, how)
                sent = relearned(each, found, answers)
                if sent is None:
                    return None
                answers.append(transport.exchange(sent, config))
                earlier.append(Exchange(answers[-1], source=how))
                if each == request:
                    # The run gave a repeated request its earlier exchange (APP-REINVOKABLE
                    # compares the two answers).
                    previous = earlier[-1]
            self.tell(request, config, how)
            last = relearned(request, taught[-1], answers)
            if last is None:
                return None
            response = transport.exchange(last, config)
        except TransportError:
            return None
        # Judged as the run judged it: beside the earlier exchanges (a rule over a sequence
        # finds nothing on the last exchange alone), which a drawn example's socket
        # exchange has only when the socket is the run's one transport, and a follow-up's
        # has over either (``beside``).
        if beside is None:
            beside = how == "memory" or self.memory is None
        history = tuple(earlier[-HISTORY:]) if beside else ()
        exchange = Exchange(response, source=how, previous=previous, history=history)
        return None if exchange.timed_out else _judged(rule, exchange)

    def again(self, config: ServerConfig, how: str, timeouts: TimeOuts | None = None) -> Again:
        """Whether a rule's findings on an exchange sent by ``how`` show again when the
        requests of the exchanges they rest on (``Rule.steady``), then the exchange's own,
        are sent again: in :data:`SENT_AGAIN` of the times the rule applies, each with a
        finding that states the same (:func:`_statement`), and in none without (at most
        :data:`SENT_AGAIN_AT_MOST` times, :data:`SENT_AGAIN_LONGEST` once the rule has
        applied again, not past a time-out). So the answers compared were
        the app's steady ones, not a chance meeting of answers that vary at random. Each
        time is judged beside its own exchanges alone, as the finding was beside its
        history. ``timeouts`` counts its time-outs with the run's, and ends it once the run
        sends no more."""
        transport = self.memory if how == "memory" else self.wire

        def shows_again(rule: Rule, exchange: Exchange, findings: Sequence[Finding]) -> bool:
            assert rule.steady is not None
            assert transport is not None
            requests = [each.request for each in rule.steady(exchange)] + [exchange.request]
            wanted = {_statement(finding) for finding in findings}
            shown = 0
            for attempt in range(SENT_AGAIN_LONGEST):
                if attempt == SENT_AGAIN_AT_MOST and not shown:
                    return False  # never comparable again: no verdict
                judged = self._sent_again(transport, requests, config, how, timeouts)
                if judged is None:
                    return False  # no answer to compare: not shown
                verdict = _verdict(rule, judged)
                if verdict is None:
                    continue  # the rule does not apply: the app's answers disagreed
                if not wanted & {_statement(finding) for finding in verdict}:
                    return False
                shown += 1
                if shown == SENT_AGAIN:
                    return True
            return False

        return shows_again

    def _sent_again(
        self,
        transport: MemoryTransport | SocketTransport,
        requests: list[Request],
        config: ServerConfig,
        how: str,
        timeouts: TimeOuts | None,
    ) -> Exchange | None:
        """The last of ``requests``' exchanges when they are sent again, beside the others
        as its history; None at the first that times out (at one time limit: kept in
        :attr:`timed_out_again`, a hang the run met like any other), once the run sends no
        more, or when the transport fails."""
        earlier: list[Exchange] = []
        for place, request in enumerate(requests):
            if timeouts is not None and timeouts.skips(request):
                return None
            self.tell(request, config, how)
            try:
                response = transport.exchange(request, config)
            except TransportError:
                return None
            sent = Exchange(response, source=how)
            if timeouts is not None:
                timeouts.saw(request, sent.timed_out)
            if sent.timed_out:
                self.timed_out_again.append((sent, request, config, how, tuple(requests[:place])))
                return None
            earlier.append(sent)
        judged = earlier.pop()
        judged.history = tuple(earlier[-HISTORY:])
        return judged

    def close(self) -> None:
        if self.memory is not None:
            self.memory.close()
        if self.wire is not None:
            self.wire.close()


def _as_first(reply: Response, config: ServerConfig, transport: str) -> FirstAnswer:
    """An answer as the run keeps its first one (and the first the app failed on)."""
    return FirstAnswer(
        reply.request, config, transport, reply.status_code, reply.reason, reply.headers
    )


class Examples:
    """The two functions Hypothesis calls, a lone request's (:meth:`example`) and a
    sequence's (:meth:`sequence`), collecting into one collector. Each collector has its
    own follow-ups, so the database's replay never changes what the seeded draw sends."""

    def __init__(
        self,
        run: Exploration,
        collector: Collector,
        timeouts: TimeOuts,
        on_progress: Callable[[int, int], None] | None,
        *,
        shrinks: bool = True,
    ) -> None:
        self.run = run
        self.collector = collector
        self.timeouts = timeouts
        self.on_progress = on_progress
        self.followed = FollowUps()
        self.sequence_broke: list[str] = []
        #: Examples sent at most (see :data:`SHRINK_AT_LEAST`), and whether that stopped a
        #: pass.
        self.limit = send_limit(run.examples) if shrinks else None
        self.shrinking_stopped = False

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
        asks a first 200 to GET the questions that follow it
        (:mod:`wsgicheck.explore.sequences`).

        A request sent again to confirm a finding that timed out is judged after: a hang
        met only there was no finding before. Its findings are not the example's, whose
        request is another."""
        sent = self._send(request, config, before, earlier, previous, follow=follow)
        timed_out, self.run.timed_out_again = self.run.timed_out_again, []
        for exchange, again, again_config, how, again_before in timed_out:
            self.collector.judge(exchange, again, again_config, how, again_before)
        return sent

    def _send(
        self,
        request: Request,
        config: ServerConfig,
        before: tuple[Request, ...],
        earlier: Sequence[Exchange],
        previous: Exchange | None,
        *,
        follow: bool,
    ) -> tuple[Request, Exchange | None, list[Finding]]:
        run, collector = self.run, self.collector
        options = run.options
        if (
            self.timeouts.skips(request)
            or excluded(request.target, options.exclude_paths)
            or not sendable(request.method, read_only=options.read_only)
        ):
            return request, None, []
        if self.limit is not None and collector.examples >= self.limit:
            # Only shrinking comes this far: no pass draws anywhere near it.
            self.shrinking_stopped = True
            raise _AllowanceSpent
        collector.examples += 1
        if self.on_progress is not None:
            self.on_progress(collector.examples, run.examples)
        drawn = with_headers(request, options.headers)
        # The user's fields (-H) stay as given in the questions that follow too.
        keep = frozenset(name.lower() for name, _ in options.headers)
        request = _with_prefix(drawn, config)
        if request.learned:  # learned from requests as drawn: the sequence holds them as sent
            taught = [
                each
                if each.teacher is None
                else replace(
                    each,
                    teacher=_with_prefix(with_headers(each.teacher, run.options.headers), config),
                )
                for each in request.learned
            ]
            request = request.replace(learned=tuple(taught))
        known = _known(drawn.path, run.paths)  # its errors are asked about
        found: list[Finding] = []
        first: Exchange | None = None
        asked = False
        if run.memory is not None:
            first = self._in_memory(drawn, request, config, earlier, previous)
            in_memory = run.again(config, "memory", self.timeouts)
            found += collector.judge(first, request, config, "memory", before, in_memory)
            asked = follow and self.followed.wants(first, known=known)
            if asked:
                _follow_up(
                    first,
                    run.memory,
                    config,
                    collector,
                    run.on_exchange,
                    before=before,
                    keep=keep,
                    elsewhere=lambda: _elsewhere(run.learned, drawn.target),
                    again=in_memory,
                    answers=run.answers,
                )
        if run.wire is not None and not (first is not None and first.timed_out):
            # (The socket is not tried after a time-out in memory: it would cost another.)
            run.tell(request, config, "socket")
            try:
                response = run.wire.exchange(request, config)
            except TransportError as exc:
                run.errors.append(f"{request.method} {shown_target(request.target)}: {exc}")
                return request, first, found
            exchange = self._on_the_wire(drawn, request, response, config, earlier, previous, first)
            on_the_wire = run.again(config, "socket", self.timeouts)
            found += collector.judge(exchange, request, config, "socket", before, on_the_wire)
            if run.memory is None:  # the socket alone: its first 200 is the one followed up
                asked = follow and self.followed.wants(exchange, known=known)
            if asked and not exchange.timed_out:  # the same questions over the wire
                try:
                    _follow_up(
                        exchange,
                        run.wire,
                        config,
                        collector,
                        run.on_exchange,
                        "socket",
                        before,
                        keep,
                        # Asked in memory already: the choices ask the app, not the server.
                        choices=run.memory is None,
                        elsewhere=lambda: _elsewhere(run.learned, drawn.target),
                        again=on_the_wire,
                        answers=run.answers if run.memory is None else None,
                    )
                except TransportError as exc:
                    shown = shown_target(request.target)
                    run.errors.append(f"{request.method} {shown} (follow-up): {exc}")
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
        history = tuple(earlier[-HISTORY:])
        exchange = Exchange(response, source="memory", previous=previous, history=history)
        run.answered(drawn.path, config, "memory", exchange)
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
        exchange = Exchange(
            response,
            source="socket",
            previous=first or previous,
            history=() if first is not None else tuple(earlier[-HISTORY:]),
        )
        if first is None:
            run.answered(drawn.path, config, "socket", exchange)
        self.timeouts.saw(drawn, exchange.timed_out)
        if run.memory is not None and first is not None and not exchange.timed_out:
            # A timed-out exchange has no answer to compare; it is judged alone.
            exchange.extra = compare(
                run.memory, request, config, first.response, response, socket=run.wire
            )
        return exchange

    def example(self, request: Request, config: ServerConfig) -> None:
        _, _, found = self.send(request, config, follow=True)
        chosen = self.collector.pick(found)
        if chosen is not None:
            raise failure_type(chosen)(chosen)

    def sequence(self, data: st.DataObject, config: ServerConfig) -> None:
        """Requests that learn from the answers (:mod:`wsgicheck.explore.explorer`), one at a
        time until a rule breaks, the budget is spent, or the drawn length is reached."""
        run = self.run
        explorer = Explorer(
            run.paths, run.requests, learned=run.learned, read_only=run.options.read_only
        )
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
                if exchange is not None:
                    # Only what went out: one the run may not send (--exclude-path,
                    # --read-only) or did not (a target that timed out) is no request
                    # "before" a failure, for a replay to send.
                    sent.append(done)
                    exchanges.append(exchange)
                    same[request] = exchange
                    explorer.learned.learn(
                        done, exchange.response, prefix=config.script_name, teacher=request
                    )
                chosen = self.collector.pick(found)
                if chosen is not None:
                    self.sequence_broke.append(chosen)
                    raise failure_type(chosen)(chosen)

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
        key += "|read-only" if options.read_only else ""  # other methods drawn from one choice
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
        **hypothesis_hooks.fresh_draws(),
    )(test)
    hypothesis_hooks.use_seed(test, seed)
    try:
        with warnings.catch_warnings():
            # Hypothesis writes out the arguments of an example that failed, and warns on
            # stderr where a drawn megabyte makes them long: the app's output, as a report
            # shows it, is the app's alone.
            warnings.filterwarnings("ignore", "Generating overly large repr", HypothesisWarning)
            test()
    except (RuleFailure, _AllowanceSpent):
        pass
    except Flaky:
        # The app answered a replayed sequence differently (it keeps state, the
        # budget ran out mid-replay): what the examples showed is collected anyway.
        pass
    except BaseExceptionGroup as group:
        # Flaky among the failures: one of them no longer held when Hypothesis replayed it
        # last (the app changed its answer); what the examples showed is collected anyway.
        if any(not isinstance(exc, (RuleFailure, Flaky)) for exc in group.exceptions):
            raise


def replay_database(
    run: Exploration, rules: list[Rule], database: ExampleDatabase, *, target: str, seed: int
) -> Partial:
    """The database's examples alone (no generating, no shrinking: they were shrunk when
    found), into a collector of their own."""
    replayed, timeouts = Collector(rules, run.options.strict), TimeOuts()
    # No allowance: nothing is shrunk here, and an entry not replayed would be deleted.
    example, sequence = Examples(run, replayed, timeouts, None, shrinks=False).tests(target)
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
    simplify_all(replayed, run.replay_one, run.base, run.options, run.paths)
    return Partial(
        replayed.examples,
        replayed.applied,
        replayed.findings,
        replayed.smallest,
        [],
        run.paths,
        notes=timeouts.notes(),
        not_shown_again=replayed.not_shown_again,
    )


def generate(
    run: Exploration,
    examples: Examples,
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
    fixed = [
        (request, config)
        for request, config in corpus(
            run.paths, script_names=options.script_names, base=run.base, named=options.paths
        )
        if sendable(request.method, read_only=options.read_only)
    ]
    for request, config in fixed if options.corpus else []:
        if collector.examples >= budget or timeouts.stopped:
            break
        with contextlib.suppress(RuleFailure, _AllowanceSpent):
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
