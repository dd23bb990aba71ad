"""Whether a TARGET loads, tried in a clean process: the pytest plugin's early check of
``--wsgi-app``.

The plugin used to load the app in pytest's own process to make a bad TARGET a one-line
usage error before any test ran. An app that ended its process while it was imported then
ended pytest's, with exit status 0, no output and no report; one that started a thread that
never ends kept pytest from exiting after the run; and what it printed while it was imported
reached the terminal raw (an adversarial trial of 2026-12-06). Tried here instead, in a
child of a clean interpreter (:class:`~.fresh.FreshProcesses`: its output goes nowhere, and
it is killed once it answers), the app is loaded in pytest's process only when a test asks
for it.
"""

from __future__ import annotations

import time

from ..drivers.target import load_target
from ..model.errors import TargetError
from .fresh import FreshProcesses

__all__ = ["IMPORT_BOUND", "LoadFailed", "try_load"]

#: Seconds an import of the app may take in the clean process.
IMPORT_BOUND = 120.0
#: Bytes of an answer: the refusal's message, cut.
_ANSWER_AT_MOST = 8 << 10
_LOADED, _REFUSED = b"loaded", b"refused:"


class LoadFailed(TargetError):
    """The clean process could not load the app: ``refused`` when it said why (an import
    error, no such callable: what pytest's own process may still load, set up as its
    conftest.py sets it up), else it ended or ran out of time."""

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


def try_load(spec: str, bound: float = IMPORT_BOUND) -> None:
    """Load ``spec`` in a clean process; raise :class:`LoadFailed` saying what went wrong."""
    started = time.monotonic()
    with FreshProcesses(_ANSWER_AT_MOST) as processes:
        answer = processes.run(_load, (spec,), bound)
    if answer == _LOADED:
        return
    if answer.startswith(_REFUSED):
        raise LoadFailed(answer[len(_REFUSED) :].decode("utf-8", "replace"), refused=True)
    if time.monotonic() - started < bound:
        raise LoadFailed(f"importing {spec!r} ended the process", refused=False)
    raise LoadFailed(f"importing {spec!r} did not end within {bound:g} s", refused=False)


def _load(spec: str) -> bytes:
    """In the trying process: load the app, and say whether it loaded."""
    try:
        load_target(spec)
    except TargetError as exc:
        return _REFUSED + str(exc).encode("utf-8", "replace")[:_ANSWER_AT_MOST]
    return _LOADED
