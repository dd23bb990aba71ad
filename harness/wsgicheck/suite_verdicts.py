"""What the suite's run found, rule by rule, as plain values that pickle.

Apart from the pytest side (:mod:`wsgicheck.suite`): these values cross processes (the
shares of pytest-xdist's workers, merged into one) and need neither pytest nor the rules'
objects, which do not pickle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .core.environ import ServerConfig
from .explore.merge import inner_validator_note, judge_run_rules, own_errors_note
from .model.events import Location
from .model.request import Request
from .results.reproduce import Reproducers, reproducers
from .results.run import CapturedOutput
from .results.scope import Answers, FirstAnswer
from .rules import REGISTRY, Finding
from .rules.harness_rules import RUN_RULES
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
    #: Where the application callable is defined: a finding in a library's file is shown
    #: there, as ``check`` shows it.
    app_location: Location | None = None
    #: What the run left out or could not judge, as ``check`` notes it, less the note on
    #: the app's own server errors, which :attr:`all_notes` makes from all the answers.
    notes: tuple[str, ...] = ()
    #: What the app printed in its worker(s).
    app_output: CapturedOutput | None = None
    #: The whole-run rules' evidence (HARNESS-ALL-ERRORS, -ALL-REFUSED): the statuses per
    #: path and the first answer, so that shares are judged on all their answers together.
    answers: Answers | None = None
    first_answer: FirstAnswer | None = None
    #: The threads the app left running (``RunResult.lingering``): the Python replays of
    #: the whole-run rules, made again from all the shares, end their process past them.
    lingering: tuple[str, ...] = ()

    @classmethod
    def of(cls, result: RunResult) -> Verdicts:
        own = own_errors_note(result.answers)
        inner = inner_validator_note(result.answers)
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
            app_location=result.app_location,
            # The notes on the app's own 5xx and on a validator inside it are made again from
            # all the answers (see all_notes).
            notes=tuple(note for note in result.notes if note not in (own, inner)),
            app_output=result.app_output,
            answers=result.answers,
            first_answer=result.first_answer,
            lingering=result.lingering,
        )

    @property
    def all_notes(self) -> list[str]:
        """The notes, and those on the app's own server errors and on a validator inside it,
        over all the answers."""
        if self.answers is None:
            return list(self.notes)
        made = (own_errors_note(self.answers), inner_validator_note(self.answers))
        return [*self.notes, *(note for note in made if note)]

    @classmethod
    def merge(cls, parts: list[Verdicts], seed: int, target: str) -> Verdicts:
        """A run done in shares (one each, in share order): for each rule the union of the
        shares' findings and the smallest example of all (the first on a tie, as the runner
        keeps it), so whichever share found a failure, every item sees it; the whole-run
        rules judged again on every share's answers, as ``check --jobs`` judges them."""
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
        answers, first = Answers(), None
        for part in parts:
            if part.answers is not None:
                answers.merge(part.answers)
            first = first or part.first_answer
        lingering = tuple(dict.fromkeys(name for part in parts for name in part.lingering))
        rules.update(_judged_again(first, answers, rules, target, lingering))
        return cls(
            seed,
            sum(part.examples for part in parts),
            max(part.duration for part in parts),  # side by side: the wall-clock time
            tuple(dict.fromkeys(path for part in parts for path in part.paths)),
            tuple(error for part in parts for error in part.errors),
            rules,
            tuple(share for part in parts for share in part.shares),
            next((part.app_location for part in parts if part.app_location), None),
            tuple(dict.fromkeys(note for part in parts for note in part.notes)),
            _joined([part.app_output for part in parts]),
            answers,
            first,
            lingering,
        )


def _judged_again(
    first: FirstAnswer | None,
    answers: Answers,
    rules: dict[str, RuleOutcome],
    target: str,
    lingering: tuple[str, ...],
) -> dict[str, RuleOutcome]:
    """The whole-run rules over all the shares' answers: a share that got no success while
    another did is no run that got none (the union of their findings said it was)."""
    judged = judge_run_rules(first, answers, [REGISTRY[i] for i in sorted(RUN_RULES & set(rules))])
    again = {}
    for rule_id, kept in judged.items():
        if kept is None:
            again[rule_id] = RuleOutcome(Verdict.PASS, 1, 0, (), None)
            continue
        finding = kept.finding
        example = Example(
            finding,
            kept.request,
            kept.config,
            kept.transport,
            reproducers(kept.request, kept.config, target, kept.before, lingering=lingering),
            kept.before,
        )
        again[rule_id] = RuleOutcome(
            Verdict.FAIL, 1, 1, ((finding.message, finding.where),), example
        )
    return again


def _joined(outputs: list[CapturedOutput | None]) -> CapturedOutput | None:
    """The shares' outputs as one, each under a line naming its share."""
    found = [(index, each) for index, each in enumerate(outputs) if each is not None]
    if not found or len(outputs) == 1:
        return found[0][1] if found else None
    text = "\n".join(f"[share {index + 1}]\n{each.text}" for index, each in found)
    return CapturedOutput(
        text, sum(each.size for _, each in found), sum(each.cut for _, each in found)
    )
