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
#: Seconds the clean process has to come up and answer a try that loads nothing.
START_BOUND = 60.0
#: Bytes of an answer: the refusal's message, cut.
_ANSWER_AT_MOST = 8 << 10
_ALIVE, _LOADED, _REFUSED = b"alive", b"loaded", b"refused:"


class LoadFailed(TargetError):
    """The clean process did not load the app. ``ended`` when the import ended the process
    or ran past its time: the app's own doing, so a bad TARGET. Otherwise it refused (an
    import error, no such callable: what pytest's own process may still load, set up as
    its conftest.py sets it up), or the clean process itself could not run (a script that
    calls ``pytest.main`` with no ``if __name__ == "__main__":`` guard, which spawning runs
    again), which says nothing of the app."""

    def __init__(self, message: str, *, ended: bool) -> None:
        super().__init__(message)
        self.ended = ended


def try_load(spec: str, bound: float = IMPORT_BOUND) -> None:
    """Load ``spec`` in a clean process; raise :class:`LoadFailed` saying what went wrong."""
    with FreshProcesses(_ANSWER_AT_MOST) as processes:
        if processes.run(_alive, (), START_BOUND) != _ALIVE:
            raise LoadFailed("wsgicheck's clean process did not start", ended=False)
        started = time.monotonic()
        answer = processes.run(_load, (spec,), bound)
    if answer == _LOADED:
        return
    if answer.startswith(_REFUSED):
        raise LoadFailed(answer[len(_REFUSED) :].decode("utf-8", "replace"), ended=False)
    if time.monotonic() - started < bound:
        raise LoadFailed(f"importing {spec!r} ended the process", ended=True)
    raise LoadFailed(f"importing {spec!r} did not end within {bound:g} s", ended=True)


def _alive() -> bytes:
    """In the trying process: nothing but the answer (the clean process runs)."""
    return _ALIVE


def _load(spec: str) -> bytes:
    """In the trying process: load the app, and say whether it loaded."""
    try:
        load_target(spec)
    except TargetError as exc:
        told = str(exc).encode("utf-8", "replace")
        return _REFUSED + told[: _ANSWER_AT_MOST - len(_REFUSED)]
    return _LOADED
