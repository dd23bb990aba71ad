"""Harness errors: things wrong with how wsgicheck was asked to run, not with the app.

Findings about an application are values (see the trace and, later, the rules); these are
exceptions, kept in one family so the CLI can turn any of them into one line and exit 2.
"""

from __future__ import annotations

__all__ = ["TargetError", "UsageError", "WsgicheckError"]


class WsgicheckError(Exception):
    """Base of every error about how wsgicheck itself was used."""


class TargetError(WsgicheckError):
    """A TARGET that does not name a loadable WSGI application."""


class UsageError(WsgicheckError):
    """A bad option or argument."""
