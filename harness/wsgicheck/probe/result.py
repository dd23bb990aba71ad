"""What one probe of one server found: verdicts shaped as a run, plus what only a probe has.

The verdicts are a :class:`~wsgicheck.results.run.RunResult` (with no profile and none of
wsgicheck's transports in its options), so every ``--format`` of
``wsgicheck check`` renders them as they are; the observations (how the server framed,
kept connections, called ``close()``...), the environ differences from wsgicheck's own
core, and the notes on what could not be probed travel beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results.run import RunResult
from ..rules import Exchange
from ..rules.verdicts import Verdict
from .differences import Difference

__all__ = ["CELLS", "ProbeOptions", "ProbeResult", "broken_in"]

#: What a probe can say of one rule on one server, in the order a matrix counts them: it
#: passed; a MUST was broken; a SHOULD was not followed; the probe tried and the server gave
#: no evidence (no file wrapper offered, an HTTP/1.0 server and Expect); the probe did not
#: try (an option left it out).
CELLS = ("pass", "fail", "warn", "n/a", "not probed")


def broken_in(broken: int, runs: int) -> str:
    """How often ``--runs`` saw a rule broken: the one wording of the matrix and the notes."""
    return f"broken in {broken} of {runs} runs"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeOptions:
    """How a probe runs. Every wait is bounded by one of these."""

    #: Generated requests (``wsgicheck.strategies.requests()``) on top of the corpus.
    examples: int = 20
    #: None picks one at random (the result says which).
    seed: int | None = None
    #: Seconds any one read from the server may take.
    timeout: float = 5.0
    #: Seconds the server has to start listening.
    start_timeout: float = 20.0
    #: Seconds the server has to exit after SIGTERM, before SIGKILL.
    stop_timeout: float = 5.0
    host: str = "127.0.0.1"
    #: Also start the server once per other kind of callable (function, class, bound
    #: method, ``functools.partial``), one request each (``SRV-CALLABLE-OPAQUE``).
    callables: bool = True
    #: Times to probe with the same requests (a fresh server each time): a rule broken in
    #: some runs and not others is reported, and marked unstable.
    runs: int = 1

    def __post_init__(self) -> None:
        if self.examples < 0:
            raise ValueError("examples: must be 0 or more")
        if self.runs < 1:
            raise ValueError("runs: must be 1 or more")
        for name in ("timeout", "start_timeout", "stop_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be more than 0 seconds")


@dataclass(slots=True)
class ProbeResult:
    """One server, probed."""

    #: The known name, or the command template as given.
    server: str
    command: list[str]
    #: The server's version (its distribution's, or Python's for wsgiref), if known.
    version: str | None
    #: How the server was run.
    how: str
    run: RunResult
    #: What the probe learned about the server's habits (name → description).
    observations: dict[str, str] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    #: How many requests were compared with wsgicheck's own core.
    compared: int = 0
    #: What got in the way (no record for a request, a rule that could not run...).
    notes: list[str] = field(default_factory=list)
    #: Every exchange judged, as the rules saw it (``source="probe"``).
    exchanges: list[Exchange] = field(default_factory=list)
    #: The options the probe ran with.
    options: ProbeOptions | None = None
    #: Rules the probe did not try on this server (an option left their requests out).
    not_probed: frozenset[str] = frozenset()
    #: With ``runs`` above 1, the rules broken in some runs and not in others: rule id →
    #: (runs that broke it, runs).
    unstable: dict[str, tuple[int, int]] = field(default_factory=dict)

    def unstable_note(self, rule: str) -> str | None:
        """``broken in 1 of 2 runs`` for a rule the server broke only sometimes, else None."""
        if rule not in self.unstable:
            return None
        return broken_in(*self.unstable[rule])

    def failed(self) -> bool:
        """Whether the server broke a MUST rule."""
        return self.run.failed()

    def verdicts(self) -> dict[str, str]:
        """Rule id → ``pass``, ``fail`` or ``skip`` (not applicable)."""
        return {result.rule.id: result.status for result in self.run.results}

    def cells(self) -> dict[str, str]:
        """Rule id → one of :data:`CELLS`."""
        out = {}
        for result in self.run.results:
            if result.status == Verdict.FAIL:
                cell = Verdict.for_broken(result.rule.level, strict=False).value
            elif result.status == Verdict.SKIP:
                cell = "not probed" if result.rule.id in self.not_probed else "n/a"
            else:
                cell = Verdict.PASS.value
            out[result.rule.id] = cell
        return out
