"""Running rules over exchanges: findings per exchange, verdicts per rule.

A rule *passes* when it applied to at least one exchange and found nothing, *fails* when it
found something, and is *skipped* when no exchange held the evidence it needs (a rule about
``write()`` on an app that never calls it). SHOULD-level findings are warnings, and fail a
run only when it is strict.

A rule that declared its evidence (``needs``, ``finds``) is asked only when the exchange
holds it: the engine reads :attr:`Exchange.evidence` once, and keeps, for each set of
evidence it has met, the plan of which rules to ask (exchanges of one app mostly hold the
same evidence). Rules whose verdict depends on a plain view of the exchange (``memo``) are
asked once per distinct view (:attr:`Exchange.record_view`, or for the rules of the environ
alone :attr:`Exchange.environ_view`): a test suite's requests mostly repeat, and so do the
exchanges that answer them. A rule over a sequence (``sequence``) says when the exchange's
``history`` may bear on its verdict: when it may not, the verdict is the exchange's alone
and is remembered with the rest; when it may, the rule is asked again (the others' verdicts
are still remembered). A rule that declared nothing
is asked on every exchange, as the legacy engine (:func:`judge_legacy`) asks every rule;
the two give the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .exchange import Exchange
from .registry import REGISTRY, Applies, Check, Finding, Rule
from .verdicts import Verdict

__all__ = [
    "HISTORY",
    "RuleResult",
    "check_exchange",
    "check_sequence",
    "evaluate",
    "in_sequence",
    "is_failure",
    "judge",
    "judge_legacy",
]

#: How many earlier exchanges each one of a sequence keeps as its ``history``: rules over
#: pairs look back for the GET a HEAD or a conditional GET follows, never further. More
#: than the questions asked after one GET (56 at most), so the last of them still sees it.
HISTORY = 64

#: What the engine does with a rule on one set of evidence: ask its condition (beyond the
#: evidence; None: it applies), then run its check (None: it can find nothing there). A
#: remembered rule's check is :data:`_REMEMBERED`: its verdict comes from the memo.
_Step = tuple[Rule, Applies | None, Check | None]
_PLAN_LIMIT = 256
_MEMO_LIMIT = 1024
#: Record views hold up to a few KiB of bodies each: fewer of them are kept.
_JUDGED_LIMIT = 256
#: Facts (:attr:`Exchange.facts`) that are a function of the record view, handed on to the
#: next exchange with that view: a later exchange reads them in its history.
_VIEW_FACTS = ("app_status", "compared_at")
#: After this many exchanges in a row that no remembered verdict answered, the views are
#: worked out for one exchange in :data:`_PROBE` only: a run whose exchanges never repeat
#: stops paying for them (they cost as much as several rules), and one whose exchanges
#: start repeating again is noticed. Which exchanges get views changes no verdict.
_COLD_AFTER = 64
_PROBE = 16
#: A verdict: the findings of a rule that applied, None for one that did not.
_Verdicts = dict[str, tuple[Finding, ...] | None]


def _remembered(exchange: Exchange) -> Iterable[Finding]:
    raise AssertionError("a remembered rule is judged through the memo")  # pragma: no cover


_REMEMBERED: Check = _remembered


class _Plan:
    """The steps for some rules on some evidence, and the rules among them remembered:
    by environ view (``environ``) and by record view (``exchange``, with the former;
    ``sequence``, the rules over a sequence, only for an exchange that is not paired).
    ``live`` are the steps that may find something and are never remembered."""

    __slots__ = ("bearing", "environ", "environ_ids", "exchange", "live", "sequence", "steps")

    def __init__(
        self,
        steps: list[_Step],
        environ: list[_Step],
        exchange: list[_Step],
        sequence: list[_Step],
    ) -> None:
        self.steps = steps
        self.environ = environ
        self.exchange = exchange
        self.sequence = sequence
        #: Whether an exchange's history bears on the rules over a sequence: each test once.
        self.bearing = list(
            dict.fromkeys(step[0].sequence for step in sequence if step[0].sequence)
        )
        self.environ_ids = tuple(each.id for each, _, _ in environ)
        self.live = [step for step in steps if step[2] is not None and step[2] is not _REMEMBERED]


_plans: dict[tuple[frozenset[str], tuple[str, ...] | int], _Plan] = {}
_memo: dict[tuple[object, ...], _Verdicts] = {}
#: What was judged of an exchange, by the rules' key and its record view.
_judged: dict[tuple[object, ...], _Judged] = {}
#: How many exchanges in a row no remembered verdict answered (see :data:`_COLD_AFTER`).
_unanswered = 0


@dataclass(frozen=True, slots=True)
class RuleResult:
    """The verdict of one rule over a set of exchanges."""

    rule: Rule
    #: ``"pass"``, ``"fail"`` or ``"skip"``.
    status: str
    findings: tuple[Finding, ...]
    #: How many exchanges the rule applied to.
    applied: int


def is_failure(finding: Finding, *, strict: bool = False) -> bool:
    """Whether a finding fails a run: every MUST one, and SHOULD ones when strict."""
    return Verdict.for_broken(finding.level, strict=strict) is Verdict.FAIL


def _plan(evidence: frozenset[str], rules: Sequence[Rule], key: tuple[str, ...] | int) -> _Plan:
    """The plan for ``rules`` on an exchange holding ``evidence``, kept for the next one."""
    steps: list[_Step] = []
    groups: dict[str, list[_Step]] = {"environ": [], "exchange": [], "sequence": []}
    for each in rules:
        needs = each.needs
        if needs is None:
            steps.append((each, each.applies, each.check))
        elif needs <= evidence:
            finds = each.finds
            runs = finds is None or not finds.isdisjoint(evidence)
            step = (each, each.condition, each.check if runs else None)
            if each.memo is None:
                steps.append(step)
            else:
                groups["sequence" if each.sequence is not None else each.memo].append(step)
                steps.append((each, None, _REMEMBERED))
    if len(_plans) >= _PLAN_LIMIT:
        _plans.clear()
    plan = _plans[(evidence, key)] = _Plan(
        steps, groups["environ"], groups["exchange"], groups["sequence"]
    )
    return plan


def _rules_key(rules: Iterable[Rule] | None) -> tuple[Sequence[Rule] | None, tuple[str, ...] | int]:
    """The rules to plan for, and the key their plans are kept under."""
    if rules is None:
        return None, len(REGISTRY)  # rules are only ever added
    chosen = rules if isinstance(rules, list | tuple) else list(rules)
    return chosen, tuple([each.id for each in chosen])


def _paired(exchange: Exchange, plan: _Plan) -> bool:
    """Whether the exchange's history may bear on a rule over a sequence in ``plan``."""
    return bool(exchange.history) and any(bears(exchange) for bears in plan.bearing)


class _Judged:
    """What the engine keeps of an exchange judged, for the next with its record view: the
    plan, the verdicts remembered (and whether they found anything), and the verdicts of
    the rules over a sequence on the exchange alone (once an exchange alone asked them)."""

    __slots__ = ("alone", "facts", "found", "found_alone", "plan", "verdicts", "with_alone")

    def __init__(self, plan: _Plan, verdicts: _Verdicts) -> None:
        self.plan = plan
        self.verdicts = verdicts
        self.found = any(verdicts.values())
        self.alone: _Verdicts | None = None
        #: The verdicts with ``alone``'s, and whether ``alone`` found anything (once set).
        self.with_alone: _Verdicts = verdicts
        self.found_alone = False
        #: The :data:`_VIEW_FACTS` an exchange with the view worked out.
        self.facts: dict[str, object] = {}


def _judgement(exchange: Exchange, rules: Iterable[Rule] | None) -> tuple[_Plan, _Verdicts, bool]:
    """The plan for ``exchange``, the verdicts of its remembered rules, and whether those
    found anything.

    An exchange with a record view that was judged before (by these rules) has all three
    from the memo: neither its evidence nor any remembered rule is looked at again, but
    for the rules over a sequence when its history bears on them.
    """
    global _unanswered
    chosen, key = _rules_key(rules)
    viewing = viewed()
    view = exchange.record_view if viewing else None
    known = None if view is None else _judged.get((key, view))
    fresh = known is None
    answered = not fresh
    if known is None:
        evidence = exchange.evidence
        kept = _plans.get((evidence, key))
        plan = (
            kept
            if kept is not None
            else _plan(evidence, list(REGISTRY) if chosen is None else chosen, key)
        )
        environ = exchange.environ_view if viewing else None
        if environ is not None:
            verdicts, answered = _remember(exchange, plan.environ, (plan.environ_ids, environ))
        else:
            verdicts = _ask(exchange, plan.environ)
        if plan.exchange:
            verdicts = verdicts | _ask(exchange, plan.exchange)
        known = _Judged(plan, verdicts)
        if view is not None:
            if len(_judged) >= _JUDGED_LIMIT:
                _judged.clear()
            _judged[(key, view)] = known
    _unanswered = 0 if answered else _unanswered + 1
    plan, verdicts, found = known.plan, known.verdicts, known.found
    if not fresh:
        exchange.facts.update(known.facts)
        if found:
            verdicts = _for(exchange, verdicts)
    ran = fresh  # whether a rule ran here (only then may the exchange have new facts)
    if plan.sequence:
        if _paired(exchange, plan):
            asked = _ask(exchange, plan.sequence)
            verdicts = verdicts | asked
            found = found or any(asked.values())
            ran = True
        else:
            if known.alone is None:
                known.alone = _ask(exchange, plan.sequence)
                known.with_alone = known.verdicts | known.alone
                known.found_alone = any(known.alone.values())
                ran = True
            found = found or known.found_alone
            verdicts = _for(exchange, known.with_alone) if found else known.with_alone
    if ran and view is not None and len(known.facts) < len(_VIEW_FACTS):
        facts = exchange.facts
        known.facts.update((name, facts[name]) for name in _VIEW_FACTS if name in facts)
    return plan, verdicts, found


def viewed() -> bool:
    """Whether the next exchange's views will be worked out (and its verdicts remembered):
    not in a run of exchanges that never repeat (see :data:`_COLD_AFTER`), so a caller that
    would work out a view for :func:`check_exchange` can spare it too."""
    return _unanswered < _COLD_AFTER or _unanswered % _PROBE == 0


def _remember(
    exchange: Exchange, group: list[_Step], key: tuple[object, ...]
) -> tuple[_Verdicts, bool]:
    """The verdicts of ``group`` for the view ``key``, and whether they were remembered."""
    known = _memo.get(key)
    if known is not None:
        return _for(exchange, known), True
    verdicts = _ask(exchange, group)
    if len(_memo) >= _MEMO_LIMIT:
        _memo.clear()
    _memo[key] = verdicts
    return verdicts, False


def forget() -> None:
    """Drop every remembered verdict, and look for repeated exchanges afresh."""
    global _unanswered
    _memo.clear()
    _judged.clear()
    _unanswered = 0


def _ask(exchange: Exchange, group: list[_Step]) -> _Verdicts:
    """The verdicts of ``group`` on ``exchange``, each rule asked."""
    verdicts: _Verdicts = {}
    for each, condition, check in group:
        if condition is None or condition(exchange):
            verdicts[each.id] = tuple(check(exchange)) if check is not None else ()
        else:
            verdicts[each.id] = None
    return verdicts


def _for(exchange: Exchange, verdicts: _Verdicts) -> _Verdicts:
    """Remembered verdicts, their findings made this exchange's (they name its request)."""
    if not any(verdicts.values()):
        return verdicts
    request = exchange.request
    return {
        rule_id: None
        if found is None
        else tuple(
            each if each.request is request else replace(each, request=request) for each in found
        )
        for rule_id, found in verdicts.items()
    }


def judge(
    exchange: Exchange, rules: Iterable[Rule] | None = None
) -> list[tuple[Rule, list[Finding]]]:
    """The rules (all registered ones by default) that apply to ``exchange``, each with its
    findings, in order; rules are asked only when the exchange holds their evidence."""
    plan, verdicts, _ = _judgement(exchange, rules)
    judged: list[tuple[Rule, list[Finding]]] = []
    for each, condition, check in plan.steps:
        if check is _REMEMBERED:
            found = verdicts[each.id]
            if found is not None:
                judged.append((each, list(found)))
        elif condition is None or condition(exchange):
            judged.append((each, list(check(exchange)) if check is not None else []))
    return judged


def judge_legacy(
    exchange: Exchange,
    rules: Iterable[Rule] | None = None,
    predicates: Mapping[str, Applies] | None = None,
) -> list[tuple[Rule, list[Finding]]]:
    """What :func:`judge` answers, found by asking every rule's ``applies`` and ``check``
    (the engine before rules declared their evidence, kept to compare the two).

    ``predicates`` replaces the ``applies`` of the rules it names (by id): a test gives
    the predicates rules had before they declared their evidence.
    """
    chosen = predicates or {}
    judged: list[tuple[Rule, list[Finding]]] = []
    for each in REGISTRY if rules is None else rules:
        if chosen.get(each.id, each.applies)(exchange):
            judged.append((each, list(each.check(exchange))))
    return judged


def check_exchange(exchange: Exchange, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every finding of ``rules`` (all registered rules by default) in one exchange."""
    plan, verdicts, found = _judgement(exchange, rules)
    findings: list[Finding] = []
    if not found:  # no remembered finding to put in its place
        for _, condition, check in plan.live:
            if condition is None or condition(exchange):
                findings.extend(check(exchange))  # type: ignore[misc]
        return findings
    for each, condition, check in plan.steps:
        if check is _REMEMBERED:
            remembered = verdicts[each.id]
            if remembered:
                findings.extend(remembered)
        elif check is not None and (condition is None or condition(exchange)):
            findings.extend(check(exchange))
    return findings


def in_sequence(exchanges: Sequence[Exchange]) -> Sequence[Exchange]:
    """Link exchanges one app answered in this order: each gets the ones before it (up to
    :data:`HISTORY`) as its ``history``, for the rules over pairs
    (:mod:`wsgicheck.rules.http_pairs`). Returns ``exchanges``."""
    for index, exchange in enumerate(exchanges):
        exchange.history = tuple(exchanges[max(0, index - HISTORY) : index])
    return exchanges


def check_sequence(
    exchanges: Sequence[Exchange], rules: Iterable[Rule] | None = None
) -> list[Finding]:
    """Every finding in exchanges one app answered in this order, each judged with those
    before it: a HEAD beside the GET before it, a conditional GET beside the GET that gave
    the validator."""
    findings: list[Finding] = []
    for exchange in in_sequence(exchanges):
        findings.extend(check_exchange(exchange, rules))
    return findings


def evaluate(
    exchanges: Sequence[Exchange], rules: Iterable[Rule] | None = None
) -> list[RuleResult]:
    """The verdict of each rule over all ``exchanges``, in registry order."""
    chosen = list(REGISTRY if rules is None else rules)
    applied = {each.id: 0 for each in chosen}
    found: dict[str, list[Finding]] = {each.id: [] for each in chosen}
    for exchange in exchanges:
        for each, findings in judge(exchange, chosen):
            applied[each.id] += 1
            found[each.id].extend(findings)
    results = []
    for each in chosen:
        findings = found[each.id]
        status = Verdict.of_rule(found=bool(findings), applied=bool(applied[each.id]))
        results.append(RuleResult(each, status, tuple(findings), applied[each.id]))
    return results
