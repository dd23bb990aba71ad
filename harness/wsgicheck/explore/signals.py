"""The signals an app may send the process above it, which that process ignores.

An app's reload or shutdown route signals its parent (gunicorn's master) or itself. The
processes wsgicheck runs an app under (the worker, and the clean process the fresh-app
tries fork from) must survive what it sends: they catch or ignore every signal that would
end or stop them. SIGKILL and SIGSTOP cannot be caught.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable
from typing import Any

__all__ = ["catch_all", "name", "put_back"]

#: Signals whose default is to go on, and those no process can catch.
_LEFT_ALONE = frozenset(
    getattr(signal, each)
    for each in ("SIGKILL", "SIGSTOP", "SIGCHLD", "SIGCONT", "SIGWINCH", "SIGURG")
    if hasattr(signal, each)
)


def catch_all(handler: Callable[[int, Any], Any] | int) -> dict[int, Any]:
    """Set ``handler`` (a function, or ``signal.SIG_IGN``) for every signal that would end or
    stop this process; what each signal had before, to put back in a child."""
    kept: dict[int, Any] = {}
    for each in signal.valid_signals() - _LEFT_ALONE:
        with contextlib.suppress(OSError, ValueError):  # those the C library keeps
            kept[each] = signal.signal(each, handler)
    return kept


def put_back(kept: dict[int, Any]) -> None:
    """Give each signal back what :func:`catch_all` found (None: a handler not set from
    Python, left as it is)."""
    for each, handler in kept.items():
        if handler is not None:
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(each, handler)


def name(signum: int) -> str:
    """``SIGHUP``; ``signal 40`` for a real-time signal, which has no name of its own."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
