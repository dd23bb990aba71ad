"""Harness errors: things wrong with how wsgicheck was asked to run, not with the app.

Findings about an application are values (see the trace and, later, the rules); these are
exceptions, kept in one family so the CLI can turn any of them into one line and exit 2.
:class:`FindingRaised` is the one exception here that reports an app, not wsgicheck's use: it
sits this low so the core can tell it from the app's own errors.
"""

from __future__ import annotations

__all__ = [
    "RAISED_FINDINGS",
    "STDOUT_CLOSED",
    "VALIDATOR_VERDICTS",
    "FindingRaised",
    "TargetError",
    "UsageError",
    "WarningRaised",
    "WsgicheckError",
]

#: Why a command that reports on stdout refuses to run with it closed (``>&-``) and no
#: ``--output``: the report would go nowhere.
STDOUT_CLOSED = "standard output is closed: name a file for the report with --output"


class WsgicheckError(Exception):
    """Base of every error about how wsgicheck itself was used."""


class TargetError(WsgicheckError):
    """A TARGET that does not name a loadable WSGI application."""


class UsageError(WsgicheckError):
    """A bad option or argument."""


class FindingRaised(AssertionError):
    """A rule's finding raised through the app (``wsgicheck.validator``'s ``WSGIViolation``).

    wsgicheck's own transports answer any other exception from the app with a 500; this one
    is the verdict the caller asked for, so ``Client`` raises it to the test as well.
    """


class WarningRaised(UserWarning):
    """A SHOULD finding's warning, which the warnings filters made an error (``-W error``),
    raised through the app (``wsgicheck.validator``'s ``WSGIWarning``): to ``Client`` a
    verdict the caller asked for, as :class:`FindingRaised` is, never the app's own 500."""


#: What a wrapped validator raises through the app that ``Client`` raises to the test.
RAISED_FINDINGS = (FindingRaised, WarningRaised)
#: Their names as a trace records an exception that escaped the app (``exc_type``): a
#: validator inside TARGET giving its verdict, never the app's own error.
VALIDATOR_VERDICTS = frozenset({"WSGIViolation", "WSGIWarning"})
