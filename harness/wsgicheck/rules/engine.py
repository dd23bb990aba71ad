"""Running rules over exchanges: findings per exchange, verdicts per rule.

A rule *passes* when it applied to at least one exchange and found nothing, *fails* when it
found something, and is *skipped* when no exchange held the evidence it needs (a rule about
``write()`` on an app that never calls it). SHOULD-level findings are warnings, and fail a
run only when it is strict.

A rule that declared its evidence (``needs``, ``finds``) is asked only when the exchange
holds it: the engine reads :attr:`Exchange.evidence` once, and keeps, for each set of
evidence it has met, the plan of which rules to ask (exchanges of one app mostly hold the
same evidence). A rule that declared nothing is asked on every exchange, as the legacy
engine (:func:`judge_legacy`) asks every rule; the two give the same findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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

#: What the engine does with a rule on one set of evidence: ask its ``applies`` (or only
#: its condition beyond the evidence, or nothing: it applies), then run its check or not.
_Step = tuple[Rule, Applies | None, Check | None]
_PLAN_LIMIT = 256
_plans: dict[tuple[frozenset[str], tuple[str, ...] | int], list[_Step]] = {}


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


def _plan(
    evidence: frozenset[str], rules: Sequence[Rule], key: tuple[str, ...] | int
) -> list[_Step]:
    """The steps for ``rules`` on an exchange holding ``evidence``, kept for the next one."""
    steps: list[_Step] = []
    for each in rules:
        needs = each.needs
        if needs is None:
            steps.append((each, each.applies, each.check))
        elif needs <= evidence:
            finds = each.finds
            runs = finds is None or not finds.isdisjoint(evidence)
            steps.append((each, each.condition, each.check if runs else None))
    if len(_plans) >= _PLAN_LIMIT:
        _plans.clear()
    _plans[(evidence, key)] = steps
    return steps


def _steps(exchange: Exchange, rules: Iterable[Rule] | None) -> list[_Step]:
    evidence = exchange.evidence
    if rules is None:
        key: tuple[str, ...] | int = len(REGISTRY)  # rules are only ever added
        steps = _plans.get((evidence, key))
        return steps if steps is not None else _plan(evidence, list(REGISTRY), key)
    chosen = rules if isinstance(rules, list | tuple) else list(rules)
    key = tuple([each.id for each in chosen])
    steps = _plans.get((evidence, key))
    return steps if steps is not None else _plan(evidence, chosen, key)


def judge(
    exchange: Exchange, rules: Iterable[Rule] | None = None
) -> list[tuple[Rule, list[Finding]]]:
    """The rules (all registered ones by default) that apply to ``exchange``, each with its
    findings, in order; rules are asked only when the exchange holds their evidence."""
    judged: list[tuple[Rule, list[Finding]]] = []
    for each, condition, check in _steps(exchange, rules):
        if condition is not None and not condition(exchange):
            continue
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
    findings: list[Finding] = []
    for _, condition, check in _steps(exchange, rules):
        if check is not None and (condition is None or condition(exchange)):
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
