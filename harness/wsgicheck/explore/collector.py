"""What a share of a run's examples showed, rule by rule, kept to be merged.

Apart from the exploring that fills it and the merging that reads it, so both sides (and
the supervisor, which carries partial results between processes) share one definition: the
smallest example kept per rule (made the simplest that still shows it), the time-outs that
write paths off, the exception each failing rule raises to Hypothesis, and one process's
partial result.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, NamedTuple

from ..core.environ import ServerConfig
from ..model.events import Location
from ..model.options import RunOptions
from ..model.request import Request
from ..results.reproduce import choices_unlike, needs_raw_targets
from ..results.run import simplified
from ..results.scope import Answers, FirstAnswer
from ..rules import REGISTRY, Exchange, Finding, Rule, is_failure, judge
from .minimise import DRAWN_CHOICES, simplify
from .strategies import STANDARD_METHODS

if TYPE_CHECKING:
    from ..results.appcoverage import AppCoverage

#: Rules whose failures are kept as found, not shrunk: each attempt to shrink a time-out
#: would cost a whole time limit.
TIMEOUT_RULE = "HARNESS-EXCHANGE-TIMEOUT"
#: The rule a worker's death is reported under (see :mod:`.supervisor`).
DEATH_RULE = "HARNESS-WORKER-DIED"
#: The rule whose finding is that a request sent again got another answer: its replays
#: send it twice.
APP_VARIES_RULE = "HARNESS-APP-VARIES"
NOT_SHRUNK = frozenset({TIMEOUT_RULE})
#: Rules whose first example is the one kept, not the smallest: an app call abandoned at its
#: time limit runs on (a thread cannot be stopped), so a later request may time out only
#: for waiting behind it (a lock it holds), and the smallest time-out may be innocent (a
#: trial of 2026-12-07: Roundup's report showed a GET that answers in 0.03 s, behind a
#: POST that took a minute).
FIRST_KEPT = frozenset({TIMEOUT_RULE})
#: Time-outs in a row on one path after which the run sends that path no more requests,
#: and in a row on any paths after which it sends none at all: each costs a whole time
#: limit, and an app that hangs on every request would otherwise cost one per example.
PATH_TIMEOUTS = 3
RUN_TIMEOUTS = 5
#: Time-outs in all, in a row or not, on one path and over the run, after which the same
#: holds: an app that hangs on every other request never times out twice in a row, and
#: cost about 200 time limits (an adversarial trial of 2026-12-06).
PATH_TIMEOUTS_IN_ALL = 2 * PATH_TIMEOUTS
RUN_TIMEOUTS_IN_ALL = 2 * RUN_TIMEOUTS


#: Findings of a rule over steady answers (``Rule.steady``) shown again, after which the
#: rule's later findings are kept as judged: the app has shown the rule breaks steadily
#: (each showing is :data:`~wsgicheck.explore.examples.SENT_AGAIN` times over), and an app
#: slow to answer would pay again for each.
SHOWN_AGAIN_ENOUGH = 1


#: Whether a rule's findings on an exchange show again when the requests they rest on are
#: sent again (:meth:`wsgicheck.explore.examples.Exploration.again`).
Again = Callable[[Rule, Exchange, Sequence[Finding]], bool]


class RuleFailure(Exception):
    """Raised to Hypothesis for one failing rule; each rule gets its own subclass."""


_FAILURE_TYPES: dict[str, type[RuleFailure]] = {}


def failure_type(rule_id: str) -> type[RuleFailure]:
    kind = _FAILURE_TYPES.get(rule_id)
    if kind is None:
        name = "Broke_" + rule_id.replace("-", "_")
        kind = _FAILURE_TYPES[rule_id] = type(name, (RuleFailure,), {})
    return kind


class Kept(NamedTuple):
    """The smallest example of a rule seen so far."""

    #: How big it is (see :func:`example_size`): the smaller, the better.
    size: tuple[int, ...]
    finding: Finding
    request: Request
    config: ServerConfig
    transport: str
    #: The requests sent before it in its sequence (none for a lone one).
    before: tuple[Request, ...] = ()
    #: Which of ``before`` the finding compares the judged answer with (its rule's
    #: ``steady``: the GETs around a 304, say), by position: what a shorter reproducer
    #: keeps first (:mod:`wsgicheck.explore.confirm`). Empty where that is not known.
    rests_on: tuple[int, ...] = ()
    #: Judged beside the exchanges of ``before`` (a follow-up's, over either transport),
    #: not alone: its replays are judged so too.
    beside: bool = False
    #: When it was judged (``time.monotonic()``, one clock for every process of a run):
    #: which came first, for a rule of :data:`FIRST_KEPT`.
    seen_at: float = 0.0


#: What ``wsgicheck serve`` makes: a finding made under other choices names them.
SERVED = ServerConfig(multithread=True)


def example_size(
    request: Request, config: ServerConfig, before: Sequence[Request] = ()
) -> tuple[int, ...]:
    """How big an example is, to keep the simplest one per rule: the fewest requests before
    it in its sequence, then the fewest server choices away from what ``serve`` makes (the
    ones a finding names; a raw byte past ASCII in a target is one: ``serve`` and most
    servers refuse it with 400, so its curl replay shows nothing), then a GET before
    another standard method before any other, then HTTP/1.1, then the fewest header
    fields, then the shortest request. (A trial of 2026-12-07: Moto's APP-TRAP-OWN-ERRORS
    was shown on a GET whose query held a raw 0x80, over the plain HEAD / it raised on 42
    times; that HEAD was made under ``serve``'s own threads, counted then as a choice.)"""
    unusual = sum(getattr(config, name) != getattr(SERVED, name) for name in DRAWN_CHOICES)
    unusual += needs_raw_targets([request, *before])
    method = 0 if request.method == "GET" else 1 if request.method in STANDARD_METHODS else 2
    old = int(request.http_version != "1.1")
    size = len(request.to_bytes())
    return (len(before), unusual, method, old, len(request.headers), size)


#: How many of :func:`example_size`'s first parts make an example better in kind (fewer
#: requests before it, fewer server choices, a more usual method), worth showing again
#: past :data:`SHOWN_AGAIN_ENOUGH` to stand in for the one kept (a trial of 2026-12-07:
#: Moto's APP-TRAP-OWN-ERRORS stayed on a raw-byte GET, shown again first, over the plain
#: HEAD judged later, unchecked).
_KIND = 3


class TimeOuts:
    """Time-outs in a row, per path and over the run, and the paths written off."""

    def __init__(self) -> None:
        self.in_a_row: dict[str, int] = {}
        self.run_in_a_row = 0
        self.in_all: dict[str, int] = {}
        self.run_in_all = 0
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
        self.in_all[path] = self.in_all.get(path, 0) + 1
        self.run_in_all += 1
        off = self.in_a_row[path] >= PATH_TIMEOUTS or self.in_all[path] >= PATH_TIMEOUTS_IN_ALL
        if off and path not in self.written_off:
            self.written_off.append(path)
        if self.run_in_a_row >= RUN_TIMEOUTS or self.run_in_all >= RUN_TIMEOUTS_IN_ALL:
            self.stopped = True

    def notes(self) -> list[str]:
        """What the run left out, and why, for the time-out finding."""
        notes = [
            f"{self._how_many(self.in_a_row.get(path, 0), self.in_all.get(path, 0), PATH_TIMEOUTS)}"
            f" on {path}: the run sent it no more requests"
            for path in self.written_off
        ]
        if self.stopped:
            told = self._how_many(self.run_in_a_row, self.run_in_all, RUN_TIMEOUTS)
            notes.append(f"{told}: the run sent no more requests")
        return notes

    @staticmethod
    def _how_many(in_a_row: int, in_all: int, bound: int) -> str:
        """The bound that was met: ``3 time-outs in a row``, or ``6 time-outs in all``."""
        if in_a_row >= bound:
            return f"{bound} time-outs in a row"
        return f"{in_all} time-outs in all"


def _positions(rule: Rule, exchange: Exchange, before: tuple[Request, ...]) -> tuple[int, ...]:
    """Where in ``before`` the exchanges ``rule``'s finding on ``exchange`` rests on were
    sent (see :attr:`Kept.rests_on`): the exchange's history is the last of ``before``, in
    order; empty where the rule compares none, or the two do not line up."""
    if rule.steady is None:
        return ()
    history = exchange.history
    offset = len(before) - len(history)
    if offset < 0:
        return ()
    places = {id(earlier): offset + index for index, earlier in enumerate(history)}
    positions = sorted({places.get(id(each), -1) for each in rule.steady(exchange)})
    if not positions or positions[0] < 0:
        return ()
    if any(before[at] != history[at - offset].request for at in positions):
        return ()
    return tuple(positions)


class Collector:
    """What the examples showed, rule by rule."""

    def __init__(self, rules: list[Rule], strict: bool) -> None:
        self.rules = rules
        #: Every rule, in the registry's order: the engine is then asked for all of them
        #: (None), which spares it keying its plans by the list of ids on each exchange.
        self.every = rules == list(REGISTRY)
        self.strict = strict
        self.applied = {each.id: 0 for each in rules}
        self.findings: dict[str, list[Finding]] = {each.id: [] for each in rules}
        self.smallest: dict[str, Kept] = {}
        self.raised: dict[str, int] = {}
        self.shrunk: set[str] = set()
        self.examples = 0
        #: The example (counted from 1) at which each rule first broke.
        self.first_found: dict[str, int] = {}
        #: Per rule over steady answers, its findings shown again when sent again, and
        #: those not shown again (left out: the app's answers vary).
        self.shown_again: dict[str, int] = {}
        self.not_shown_again: dict[str, LeftOut] = {}
        #: Per rule, the size of the last example better in kind shown again past its
        #: showings (:meth:`_better`).
        self._better_tried: dict[str, tuple[int, ...]] = {}
        #: The choices of each server configuration beyond plain ``serve``'s (see
        #: :attr:`Finding.choices <wsgicheck.rules.registry.Finding.choices>`).
        self._unserved: dict[ServerConfig, tuple[str, ...]] = {}

    def judge(
        self,
        exchange: Exchange,
        request: Request,
        config: ServerConfig,
        transport: str,
        before: tuple[Request, ...] = (),
        again: Again | None = None,
    ) -> list[Finding]:
        """The findings on ``exchange``, recorded. ``again`` tells whether a rule's findings
        show again when the requests they rest on (``Rule.steady``) are sent again: those of
        such a rule that do not are left out (counted in ``not_shown_again``), a chance
        meeting of answers that vary at random."""
        found = []
        every = self.every and len(REGISTRY) == len(self.rules)  # no rule added since
        for each, findings in judge(exchange, None if every else self.rules):
            self.applied[each.id] += 1
            if not findings:
                continue
            size = example_size(request, config, before)
            kept = self.smallest.get(each.id)
            steady = self._steady(each, exchange, findings, again)
            if steady is False and again is not None and self._better(each.id, size, kept):
                # Past the rule's showings, an example better in kind than the one kept is
                # shown again all the same, to stand in for it where it shows; where it does
                # not, it counts as judged, as any other would (and none as big is tried).
                self._better_tried[each.id] = size
                if again(each, exchange, findings):
                    self.shown_again[each.id] += 1
                    steady = True
            if steady is None:
                add_left_out(self.not_shown_again, each.id, len(findings), findings[0].message)
                continue
            choices = self._choices(config)
            if choices:
                findings = [replace(finding, choices=choices) for finding in findings]
            for finding in findings:
                self.first_found.setdefault(each.id, self.examples)
                found.append(finding)
                self.findings[each.id].append(finding)
                # One kept as judged, unchecked, never stands in for one shown again.
                if kept is None or (steady and size <= kept.size and each.id not in FIRST_KEPT):
                    rests_on = _positions(each, exchange, before)
                    self.smallest[each.id] = Kept(
                        size,
                        finding,
                        request,
                        config,
                        transport,
                        before,
                        rests_on,
                        beside=bool(exchange.history),
                        seen_at=time.monotonic(),
                    )
                    kept = self.smallest[each.id]
        return found

    def _choices(self, config: ServerConfig) -> tuple[str, ...]:
        unserved = self._unserved.get(config)
        if unserved is None:
            unserved = self._unserved[config] = tuple(choices_unlike(config, SERVED))
        return unserved

    def _steady(
        self, rule: Rule, exchange: Exchange, findings: list[Finding], again: Again | None
    ) -> bool | None:
        """Whether ``rule``'s ``findings`` on ``exchange`` stand: True when they need no
        showing again (the rule takes no answers as steady) or showed again; False when
        they stand as judged, unchecked (the rule has shown again before, in this process);
        None when they did not show again."""
        if again is None or rule.steady is None or not rule.steady(exchange):
            return True
        shown = self.shown_again.get(rule.id, 0)
        if shown >= SHOWN_AGAIN_ENOUGH:
            return False
        if not again(rule, exchange, findings):
            return None
        self.shown_again[rule.id] = shown + 1
        return True

    def _better(self, rule_id: str, size: tuple[int, ...], kept: Kept | None) -> bool:
        """Whether an example of ``size`` is better in kind (:data:`_KIND`) than the one
        kept for the rule and than any such tried before: each try is of a smaller kind,
        so they are few."""
        if kept is None or rule_id in FIRST_KEPT:
            return False
        bound = min(kept.size[:_KIND], self._better_tried.get(rule_id, kept.size)[:_KIND])
        return size[:_KIND] < bound

    def pick(self, findings: list[Finding]) -> str | None:
        """The failing rule to report to Hypothesis: the one reported least so far.

        Rules already shrunk in an earlier pass are not reported again (see ``explore_share``).
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


class LeftOut(NamedTuple):
    """A rule's findings left out for not showing again: how many, and the first's message
    (what a user checks by hand)."""

    total: int
    first: str


def add_left_out(table: dict[str, LeftOut], rule_id: str, count: int, first: str) -> None:
    """Count ``count`` more findings of ``rule_id`` left out; ``first`` is the first's
    message where the rule had none left out yet."""
    before = table.get(rule_id, LeftOut(0, first))
    table[rule_id] = LeftOut(before.total + count, before.first)


@dataclass(slots=True)
class Partial:
    """What one process's share of a run found (picklable, to merge across processes)."""

    examples: int
    applied: dict[str, int]
    findings: dict[str, list[Finding]]
    smallest: dict[str, Kept]
    errors: list[str]
    paths: list[str]
    app_location: Location | None = None
    app_coverage: AppCoverage | None = None
    #: What the run left out, and why (paths written off after time-outs).
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False
    #: What replaying the example database showed (see ``explore_share``), when it did.
    replay: Partial | None = None
    answers: Answers = field(default_factory=Answers)
    first_found: dict[str, int] = field(default_factory=dict)
    first_answer: FirstAnswer | None = None
    #: Whether the shrinking of a failure was stopped at the examples' allowance.
    shrinking_stopped: bool = False
    #: Per rule over steady answers, the findings left out: not shown again when their
    #: requests were sent again.
    not_shown_again: dict[str, LeftOut] = field(default_factory=dict)
    #: The threads the app left running that would keep a process from ending (see
    #: :func:`~wsgicheck.drivers.target.lingering_threads`): its Python replays end the
    #: process themselves. Told by a worker, a process of the app's own.
    lingering: tuple[str, ...] = ()


def simplify_all(
    collector: Collector,
    replay_one: ReplayOne,
    base: ServerConfig,
    options: RunOptions,
    paths: Sequence[str] = (),
) -> None:
    """Make each rule's smallest example the simplest that still shows it
    (:mod:`wsgicheck.explore.minimise`), by replaying simpler versions of it, a bounded
    number; no segment of ``paths``, those the run knew the app to serve, is cut in half."""
    for rule_id in sorted(collector.smallest):
        if not simplified(REGISTRY[rule_id]):
            continue  # the runner's own rules: their evidence is more than one exchange
        kept = collector.smallest[rule_id]
        example = (kept.request, kept.config, kept.before)
        found: list[Finding] = []
        simpler = simplify(
            example,
            _attempt(replay_one, REGISTRY[rule_id], kept.transport, found, kept.beside),
            default=base,
            keep=[name for name, _ in options.headers],
            paths=paths,
        )
        if simpler != example and found:
            request, config, before = simpler
            size = example_size(request, config, before)
            collector.smallest[rule_id] = kept._replace(
                size=size, finding=found[-1], request=request, config=config, before=before
            )


#: Replays an example (``before`` it, then the request) by a transport: the rule's finding,
#: None where it shows none; the last argument, whether the replay is judged beside the
#: requests before it (None: as the run judges a drawn example by that transport).
ReplayOne = Callable[
    [Rule, Request, ServerConfig, tuple[Request, ...], str, "bool | None"], "Finding | None"
]


def _attempt(
    replay_one: ReplayOne, rule: Rule, how: str, found: list[Finding], beside: bool
) -> Callable[[Request, ServerConfig, tuple[Request, ...]], bool]:
    """Whether ``rule`` still breaks on a replayed example; its findings go to ``found``."""

    def attempt(request: Request, config: ServerConfig, before: tuple[Request, ...]) -> bool:
        again = replay_one(rule, request, config, before, how, beside)
        if again is not None:
            found.append(again)
        return again is not None

    return attempt
