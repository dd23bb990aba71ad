"""Running rules over exchanges: findings per exchange, verdicts per rule.

A rule *passes* when it applied to at least one exchange and found nothing, *fails* when it
found something, and is *skipped* when no exchange held the evidence it needs (a rule about
``write()`` on an app that never calls it). SHOULD-level findings are warnings, and fail a
run only when it is strict.

A rule that declared its evidence (``needs``, ``finds``) is asked only when the exchange
holds it: the engine reads :attr:`Exchange.evidence` once, and keeps, for each set of
evidence it has met, the plan of which rules to ask (exchanges of one app mostly hold the
same evidence). Rules that judge the environ alone (``memo="environ"``) are asked once per
distinct :attr:`Exchange.environ_view`: a test suite's requests mostly repeat. A rule that
declared nothing is asked on every exchange, as the legacy engine (:func:`judge_legacy`)
asks every rule; the two give the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from .exchange import Exchange
from .registry import REGISTRY, Applies, Check, Finding, Level, Rule

__all__ = [
    "RuleResult",
    "check_exchange",
    "evaluate",
    "is_failure",
    "judge",
    "judge_legacy",
]

#: What the engine does with a rule on one set of evidence: ask its condition (beyond the
#: evidence; None: it applies), then run its check (None: it can find nothing there). A
#: remembered rule's check is :data:`_REMEMBERED`: its verdict comes from the memo.
_Step = tuple[Rule, Applies | None, Check | None]
_PLAN_LIMIT = 256
_MEMO_LIMIT = 1024
#: A verdict: the findings of a rule that applied, None for one that did not.
_Verdicts = dict[str, tuple[Finding, ...] | None]


def _remembered(exchange: Exchange) -> Iterable[Finding]:
    raise AssertionError("a remembered rule is judged through the memo")  # pragma: no cover


_REMEMBERED: Check = _remembered


class _Plan:
    """The steps for some rules on some evidence, and the rules among them remembered."""

    __slots__ = ("group", "ids", "steps")

    def __init__(self, steps: list[_Step], group: list[_Step]) -> None:
        self.steps = steps
        self.group = group
        self.ids = tuple(each.id for each, _, _ in group)


_plans: dict[tuple[frozenset[str], tuple[str, ...] | int], _Plan] = {}
_memo: dict[tuple[object, ...], _Verdicts] = {}


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
    return finding.level is Level.MUST or strict


def _plan(evidence: frozenset[str], rules: Sequence[Rule], key: tuple[str, ...] | int) -> _Plan:
    """The plan for ``rules`` on an exchange holding ``evidence``, kept for the next one."""
    steps: list[_Step] = []
    group: list[_Step] = []
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
                group.append(step)
                steps.append((each, None, _REMEMBERED))
    if len(_plans) >= _PLAN_LIMIT:
        _plans.clear()
    plan = _plans[(evidence, key)] = _Plan(steps, group)
    return plan


def _plan_for(exchange: Exchange, rules: Iterable[Rule] | None) -> _Plan:
    evidence = exchange.evidence
    if rules is None:
        key: tuple[str, ...] | int = len(REGISTRY)  # rules are only ever added
        plan = _plans.get((evidence, key))
        return plan if plan is not None else _plan(evidence, list(REGISTRY), key)
    chosen = rules if isinstance(rules, list | tuple) else list(rules)
    key = tuple([each.id for each in chosen])
    plan = _plans.get((evidence, key))
    return plan if plan is not None else _plan(evidence, chosen, key)


def _verdicts(exchange: Exchange, plan: _Plan) -> _Verdicts:
    """The verdicts of the plan's remembered rules: from the memo when an exchange with the
    same environ view was judged by them before."""
    view = exchange.environ_view
    key = (plan.ids, view)
    if view is not None:
        known = _memo.get(key)
        if known is not None:
            return _for(exchange, known)
    verdicts: _Verdicts = {}
    for each, condition, check in plan.group:
        if condition is None or condition(exchange):
            verdicts[each.id] = tuple(check(exchange)) if check is not None else ()
        else:
            verdicts[each.id] = None
    if view is not None:
        if len(_memo) >= _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = verdicts
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
    plan = _plan_for(exchange, rules)
    verdicts = _verdicts(exchange, plan) if plan.group else {}
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
    plan = _plan_for(exchange, rules)
    verdicts = _verdicts(exchange, plan) if plan.group else {}
    findings: list[Finding] = []
    for each, condition, check in plan.steps:
        if check is _REMEMBERED:
            found = verdicts[each.id]
            if found:
                findings.extend(found)
        elif check is not None and (condition is None or condition(exchange)):
            findings.extend(check(exchange))
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
        status = "fail" if findings else ("pass" if applied[each.id] else "skip")
        results.append(RuleResult(each, status, tuple(findings), applied[each.id]))
    return results
