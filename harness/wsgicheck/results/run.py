"""What a run found, as values: every report, the baseline and the probe read these.

A run result is made by the runner (or, for a server, by the probe) and read by the rest;
this module imports neither of them, nor Hypothesis, h11 or a transport, so rendering or
comparing a result loads none of the engine (``tests/test_architecture.py`` checks both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..core.environ import ServerConfig
from ..model.events import Location
from ..model.options import RunOptions
from ..model.request import Request
from ..rules import Finding, Rule, RuleResult
from ..rules.verdicts import Verdict
from .appcoverage import AppCoverage
from .reproduce import Reproducers, check_command
from .scope import Answers, FirstAnswer

__all__ = [
    "NOT_FRESH",
    "CapturedOutput",
    "Failure",
    "RunResult",
    "request_heading",
    "sequence_heading",
]


@dataclass(frozen=True, slots=True)
class CapturedOutput:
    """What the app wrote to its stdout and stderr (fds 1 and 2), bounded."""

    #: The first and last bytes, decoded as UTF-8 (bad bytes replaced), with a line in
    #: their middle saying how much was cut.
    text: str
    #: Bytes written in all.
    size: int
    #: Bytes left out of ``text``.
    cut: int


@dataclass(frozen=True, slots=True)
class Failure:
    """The smallest example seen that breaks one rule, and how to replay it."""

    rule: Rule
    finding: Finding
    request: Request
    config: ServerConfig
    transport: str
    reproducers: Reproducers
    #: Found by replaying the example database, not by the seeded draw (which found no
    #: failure of this rule): a past run's failure that still fails.
    replayed: bool = False
    #: The requests sent before it, in order, on the same app: a finding of a sequence
    #: shows only after them (an ETag learned, a cookie set). Empty for a lone request.
    before: tuple[Request, ...] = ()
    #: Whether it failed again when replayed (with ``before``) on the app loaded afresh, as
    #: the Python replay runs it; None when that was not tried or could not be told.
    fresh: bool | None = None
    #: Which of ``before`` the finding compares the judged answer with, by position (the
    #: collector's ``Kept.rests_on``): what the confirming process keeps first.
    rests_on: tuple[int, ...] = ()

    @property
    def before_heading(self) -> str:
        """How reports introduce the requests before it (:func:`sequence_heading`)."""
        return sequence_heading(self.before, self.request)

    @property
    def heading(self) -> str:
        """How reports title its request (:func:`request_heading`)."""
        return request_heading(
            self.transport, self.before, self.request, simplified=simplified(self.rule)
        )


def simplified(rule: Rule) -> bool:
    """Whether a run makes a failure of ``rule`` as simple as it allows: not for wsgicheck's
    own rules (HARNESS-*), whose evidence is more than one exchange, or costs a time limit
    a try (a time-out)."""
    return rule.source != "wsgicheck"


def sequence_heading(before: tuple[Request, ...], request: Request) -> str:
    """How reports introduce the requests a finding of a sequence was judged after, or the
    one call of its own request that a finding needs before it (a fresh app shows it on
    the second call only: the first left something in the app)."""
    if before == (request,):
        return "sent twice on the same app, the finding on the second call; the first"
    count = f"{len(before)} earlier request" + ("" if len(before) == 1 else "s")
    return f"sent after {count} on the same app, in this order"


#: What reports say of a failure that did not show again on the app loaded afresh.
NOT_FRESH = (
    "replayed on the app loaded afresh (in memory, as the Python replay runs it), this did "
    "not fail: the finding may depend on what earlier requests of the run left in the app "
    "(a cache, a session, a list shared by every call), on data they changed where a fresh "
    "app finds it too (a row a DELETE removed from a database: the run's notes name a path "
    "that stopped answering, where a later request saw it gone), on the transport, or on "
    "chance, so the replays below may pass"
)


def request_heading(
    transport: str, before: tuple[Request, ...], request: Request, *, simplified: bool = True
) -> str:
    """How reports title the request a finding was judged on: the smallest one seen, or,
    at the end of a sequence (HEAD then GET, a 304 then GET), the last, judged beside the
    ones listed before it (the finding may be about one of those: a 304 that lacks what
    this GET's 200 has). A finding of wsgicheck's own rules (HARNESS-*) is not
    ``simplified``: a time-out's each try would cost a time limit; it is the request met."""
    if before == (request,):
        return f"then the second, judged ({transport} transport)"
    if before:
        return f"then the request judged beside them ({transport} transport)"
    if not simplified:
        return f"the request ({transport} transport; as met, not made simpler)"
    return f"smallest request ({transport} transport)"


@dataclass(slots=True)
class RunResult:
    """Everything a report needs."""

    target: str
    seed: int
    options: RunOptions
    examples: int
    duration: float
    paths: list[str]
    results: list[RuleResult]
    failures: dict[str, Failure]
    errors: list[str] = field(default_factory=list)
    #: With a baseline (``--baseline``), the failing rules it accepts: reported, but they
    #: fail nothing. None when the run had no baseline.
    known: frozenset[str] | None = None
    #: The lines of the app the run executed (``--app-coverage``), when measured.
    app_coverage: AppCoverage | None = None
    #: Where the application callable is defined, when its source can be found.
    app_location: Location | None = None
    #: The run was stopped by Ctrl-C or SIGTERM: the results are of the examples run until
    #: then.
    interrupted: bool = False
    #: What the run left out, and why (paths given up after time-outs, in a row or in
    #: all); the time-out finding says it too.
    notes: list[str] = field(default_factory=list)
    #: What the app wrote to its stdout and stderr (when it ran in a supervised worker).
    app_output: CapturedOutput | None = None
    #: The folder report paths are relative to (``--source-root``); None: the git top
    #: level of the working directory, else the working directory.
    source_root: str | None = None
    #: Examples replayed from the example database, apart from ``examples`` (the seeded
    #: draw's): the seeded draw is the same whatever the database holds.
    replayed_examples: int = 0
    #: The statuses the app answered the examples with, per path.
    answers: Answers = field(default_factory=Answers)
    #: The first example the app answered (the whole-run rules' evidence, with ``answers``).
    first_answer: FirstAnswer | None = None
    #: The example at which each failing rule first broke (of the first process that saw
    #: it): how long the run took to find it.
    first_found: dict[str, int] = field(default_factory=dict)
    #: What the findings are about where none has a place of its own: a probe's, the
    #: server's file (SARIF gives every result a place, as GitHub needs).
    subject: Location | None = None
    #: The command that runs this again with the same requests, when not ``wsgicheck check
    #: TARGET --seed SEED`` (a probe's is ``wsgicheck probe SERVER --seed SEED``).
    command: str | None = None
    #: List every distinct finding under each failure (``--all-findings``): a report shows
    #: one smallest example per rule (trial 6 of 2026-12-07 asked for the rest).
    all_findings: bool = False
    #: The threads the app left running that would keep a Python replay's process from
    #: ending (told by the run's workers: see ``Partial.lingering``).
    lingering: tuple[str, ...] = ()

    @property
    def replay(self) -> str:
        """The command that runs this again with the same requests."""
        if self.command is not None:
            return self.command
        return check_command(self.target, ["--seed", str(self.seed)])

    def broken(self, rule: Rule) -> Verdict:
        """This run's verdict on ``rule``, found broken: fail, warn or known."""
        known = self.known is not None and rule.id in self.known
        return Verdict.for_broken(rule.level, strict=self.options.strict, known=known)

    def failed(self) -> bool:
        """Whether the run fails: a new MUST finding, or a new SHOULD one when strict."""
        return any(
            self.broken(failure.rule) is Verdict.FAIL for failure in self.failures.values()
        ) or bool(self.errors)

    def judged_nothing(self) -> bool:
        """Whether the run, finished and with no error, judged no rule at all: every one it
        ran was skipped for want of evidence. Its report is empty of verdicts, and no pass
        (a ``--select`` of rules the app's answers never bear on, a trial's ``check`` of
        WhiteNoise with two Range rules on a path it does not serve)."""
        return (
            not self.interrupted
            and not self.errors
            and bool(self.results)
            and all(result.status == Verdict.SKIP for result in self.results)
        )
