"""Running rules over exchanges: findings per exchange, verdicts per rule.

A rule *passes* when it applied to at least one exchange and found nothing, *fails* when it
found something, and is *skipped* when no exchange held the evidence it needs (a rule about
``write()`` on an app that never calls it). SHOULD-level findings are warnings, and fail a
run only when it is strict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .exchange import Exchange
from .registry import REGISTRY, Finding, Level, Rule

__all__ = [
    "HISTORY",
    "RuleResult",
    "check_exchange",
    "check_sequence",
    "evaluate",
    "in_sequence",
    "is_failure",
]

#: How many earlier exchanges each one of a sequence keeps as its ``history``: rules over
#: pairs look back for the GET a HEAD or a conditional GET follows, never further.
HISTORY = 32


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


def check_exchange(exchange: Exchange, rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Every finding of ``rules`` (all registered rules by default) in one exchange."""
    findings: list[Finding] = []
    for each in REGISTRY if rules is None else rules:
        if each.applies(exchange):
            findings.extend(each.check(exchange))
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
    results = []
    for each in REGISTRY if rules is None else rules:
        applied = 0
        findings: list[Finding] = []
        for exchange in exchanges:
            if each.applies(exchange):
                applied += 1
                findings.extend(each.check(exchange))
        status = "fail" if findings else ("pass" if applied else "skip")
        results.append(RuleResult(each, status, tuple(findings), applied))
    return results
