"""What a rule's outcome means for a run, decided in one place.

A rule passed, was skipped (no exchange gave evidence for it), or was broken; a broken rule
fails the run when it is a MUST, only warns when it is a SHOULD (unless the run is strict),
and fails nothing when a baseline accepts it. :meth:`Verdict.of_rule` says which of the
three a rule's exchanges show, and :meth:`Verdict.for_broken` is the policy; the engine, the
runner, the validator, the pytest suite, the probe and every report ask them.
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
    def of_rule(cls, *, found: bool, applied: bool) -> Verdict:
        """A rule's status over some exchanges: FAIL when it found something, PASS when it
        applied to one at least, SKIP when none gave it evidence."""
        if found:
            return cls.FAIL
        return cls.PASS if applied else cls.SKIP

    @classmethod
    def for_broken(cls, level: Level, *, strict: bool, known: bool = False) -> Verdict:
        """The verdict on a broken rule of ``level``: KNOWN when a baseline accepts it, WARN
        for a SHOULD rule unless the run is ``strict``, else FAIL."""
        if known:
            return cls.KNOWN
        if level is Level.SHOULD and not strict:
            return cls.WARN
        return cls.FAIL
