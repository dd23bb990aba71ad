"""What the suite's run found, rule by rule, as plain values that pickle.

Apart from the pytest side (:mod:`wsgicheck.suite`): these values cross processes (the
shares of pytest-xdist's workers, merged into one) and need neither pytest nor the rules'
objects, which do not pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .core.environ import ServerConfig
from .model.events import Location
from .model.request import Request
from .results.reproduce import Reproducers
from .rules import Finding
from .rules.verdicts import Verdict

if TYPE_CHECKING:
    from .explore.runner import RunResult


#: Distinct finding messages kept per rule, besides the smallest example.
MESSAGES_KEPT = 5


@dataclass(frozen=True, slots=True)
class Example:
    """The smallest request seen breaking a rule, and how to replay it."""

    finding: Finding
    request: Request
    config: ServerConfig
    transport: str
    reproducers: Reproducers
    #: The requests sent before it on the same app, when it ends a sequence.
    before: tuple[Request, ...] = ()
    #: Whether it failed again on the app loaded afresh (see ``Failure.fresh``).
    fresh: bool | None = None


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """One rule over the run: its status (``pass``, ``fail`` or ``skip``) and evidence."""

    status: str
    #: Exchanges the rule applied to, and findings over all of them.
    applied: int
    found: int
    #: A few distinct messages (with where), for rules that broke in more than one way.
    messages: tuple[tuple[str, Location | None], ...]
    example: Example | None


@dataclass(frozen=True, slots=True)
class Explored:
    """What one share of a run done by pytest-xdist's workers explored, and who did it."""

    index: int
    count: int
    seed: int
    examples: int
    duration: float
    #: The xdist worker that explored it (``gw0``...).
    worker: str


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What the session's run found, rule by rule (rules themselves do not pickle)."""

    seed: int
    examples: int
    duration: float
    paths: tuple[str, ...]
    errors: tuple[str, ...]
    rules: dict[str, RuleOutcome]
    #: The shares the run was done in, under pytest-xdist (none otherwise).
    shares: tuple[Explored, ...] = ()

    @classmethod
    def of(cls, result: RunResult) -> Verdicts:
        rules = {}
        for each in result.results:
            messages = dict.fromkeys((f.message, f.where) for f in each.findings)
            failure = result.failures.get(each.rule.id)
            example = None
            if failure is not None:
                example = Example(
                    failure.finding,
                    failure.request,
                    failure.config,
                    failure.transport,
                    failure.reproducers,
                    failure.before,
                    failure.fresh,
                )
            rules[each.rule.id] = RuleOutcome(
                each.status,
                each.applied,
                len(each.findings),
                tuple(messages)[:MESSAGES_KEPT],
                example,
            )
        return cls(
            result.seed,
            result.examples,
            result.duration,
            tuple(result.paths),
            tuple(result.errors),
            rules,
        )

    @classmethod
    def merge(cls, parts: list[Verdicts], seed: int) -> Verdicts:
        """A run done in shares (one each, in share order): for each rule the union of the
        shares' findings and the smallest example of all (the first on a tie, as the runner
        keeps it), so whichever share found a failure, every item sees it."""
        from .explore.collector import example_size

        rules = {}
        for rule_id in parts[0].rules:
            each = [part.rules[rule_id] for part in parts]
            found = sum(verdict.found for verdict in each)
            applied = sum(verdict.applied for verdict in each)
            messages = dict.fromkeys(pair for verdict in each for pair in verdict.messages)
            examples = [verdict.example for verdict in each if verdict.example is not None]
            rules[rule_id] = RuleOutcome(
                Verdict.of_rule(found=bool(found), applied=bool(applied)),
                applied,
                found,
                tuple(messages)[:MESSAGES_KEPT],
                min(examples, key=lambda e: example_size(e.request, e.config), default=None),
            )
        return cls(
            seed,
            sum(part.examples for part in parts),
            max(part.duration for part in parts),  # side by side: the wall-clock time
            tuple(dict.fromkeys(path for part in parts for path in part.paths)),
            tuple(error for part in parts for error in part.errors),
            rules,
            tuple(share for part in parts for share in part.shares),
        )
