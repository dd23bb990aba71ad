"""What a rule's outcome means for a run, decided in one place.

A rule passed, was skipped (no exchange gave evidence for it), or was broken; a broken rule
fails the run when it is a MUST, only warns when it is a SHOULD (unless the run is strict),
and fails nothing when a baseline accepts it. :meth:`Verdict.for_broken` is that policy;
the runner, the validator, the pytest suite, the probe and every report ask it.
"""

from __future__ import annotations

from enum import Enum

from .registry import Level

__all__ = ["Verdict"]


class Verdict(str, Enum):
    """A rule's verdict over a run; the values are the words the reports print."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    KNOWN = "known"
    SKIP = "skip"

    def __str__(self) -> str:  # the word, on every Python (3.11 changed str() of mixins)
        return self.value

    @classmethod
    def for_broken(cls, level: Level, *, strict: bool, known: bool = False) -> Verdict:
        """The verdict on a broken rule of ``level``: KNOWN when a baseline accepts it, WARN
        for a SHOULD rule unless the run is ``strict``, else FAIL."""
        if known:
            return cls.KNOWN
        if level is Level.SHOULD and not strict:
            return cls.WARN
        return cls.FAIL
