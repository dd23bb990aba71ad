"""Signals: those an app may send the process above it, which that process ignores, and
those a user sends wsgicheck (Ctrl-C, SIGTERM), which stop it with its cleanup done.

An app's reload or shutdown route signals its parent (gunicorn's master) or itself. The
processes wsgicheck runs an app under (the worker, and the clean process the fresh-app
tries fork from) must survive what it sends: they catch or ignore every signal that would
end or stop them. SIGKILL and SIGSTOP cannot be caught. The processes wsgicheck starts
(workers, the server ``probe`` judges) run in sessions of their own, so SIGTERM is made
an interrupt and held back while they are stopped: left to its default, it ended
wsgicheck alone, and they ran on under init.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["catch_all", "interrupts_held", "name", "put_back", "terminate_as_interrupt"]

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


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (what ``timeout``, a cancelled CI job and ``kill`` send) stops a run as
    Ctrl-C does: the workers are stopped, their sessions killed, and what they found so far
    reported (``wsgicheck check`` runs :func:`supervise` inside it). Left to its default,
    it ended this process alone, and each worker, in a session of its own, ran on under
    init. Only where nobody else handles SIGTERM, and only in the main thread (where Python
    runs handlers); put back afterwards."""
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield
        return
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def interrupts_held(*, again: bool = True) -> Iterator[None]:
    """Ctrl-C and SIGTERM held back while the workers are ended: a cancelled CI job sends
    SIGINT, then SIGTERM, and the second, raised in the middle of the cleanup, left the
    sessions not yet killed running. One that came is raised once the cleanup is done
    (``again``), or dropped. Held inside a hold, it is the outer one's."""
    if threading.current_thread() is not threading.main_thread() or _holding:
        yield
        return
    came: list[int] = []
    # One this process ignores (a background job's SIGINT) stays ignored.
    held = [
        each for each in (signal.SIGINT, signal.SIGTERM) if signal.getsignal(each) != signal.SIG_IGN
    ]
    previous = {
        each: signal.signal(each, lambda signum, frame: came.append(signum)) for each in held
    }
    _holding.append(True)
    try:
        yield
    finally:
        _holding.pop()
        for each, handler in previous.items():
            signal.signal(each, handler)
    if came and again:
        raise KeyboardInterrupt


#: Not empty while :func:`interrupts_held` holds (in the main thread).
_holding: list[bool] = []
