"""Ending what an app started, wherever it went.

The processes wsgicheck runs an app in each lead a session, killed with the session at the
end. A process the app starts can leave it (``setsid()``, ``setpgid(0, 0)``, or
``subprocess.Popen(..., process_group=0)``), and a kill of the session misses it. Where the
system tells the tree of processes (Linux's ``/proc``), every descendant is found by its
parent and killed with its own group; and the worker process adopts the orphans among them
(a child subreaper), so that none drops out of the tree when the process that started it
ends first.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

__all__ = [
    "adopt_orphans",
    "descendants",
    "end_descendants",
    "kill_session",
    "kill_tree",
    "running",
]

#: How many times the sweep of a process's descendants looks again (those it killed may
#: have had children of their own, adopted meanwhile), and how long it waits between.
SWEEPS = 50
SWEEP_PAUSE = 0.01
#: Linux's prctl option that makes a process the parent of its descendants' orphans.
_PR_SET_CHILD_SUBREAPER = 36


def kill_session(pid: int | None) -> None:
    """SIGKILL the group a process leads (its session's, for a session leader), with
    whatever the app started in it, and the process itself, should it not lead one."""
    if pid is None:  # never started: there is nothing to kill (and 0 would be us)
        return
    for kill in (os.killpg, os.kill):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            kill(pid, signal.SIGKILL)


def kill_tree(pid: int | None) -> None:
    """SIGKILL ``pid``'s session and every process below it, each with its group (the tree
    is read first: once a parent is killed, its children are no longer below it)."""
    if pid is None:
        return
    below = descendants(pid)
    kill_session(pid)
    for each in below:
        kill_session(each)


def adopt_orphans() -> None:
    """Make this process the parent of its descendants' orphans (Linux; elsewhere an
    orphan goes to init as before, and only the session kill reaches it)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def end_descendants() -> None:
    """Kill every process below this one and reap those that become its children, until
    none is left (bounded)."""
    for _ in range(SWEEPS):
        below = descendants(os.getpid())
        if not below:
            return
        for each in below:
            kill_session(each)
        time.sleep(SWEEP_PAUSE)
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass


def descendants(pid: int) -> list[int]:
    """The processes below ``pid``, by their parents as ``/proc`` tells them (none where it
    does not)."""
    children: dict[int, list[int]] = {}
    try:
        names = os.listdir("/proc")
    except OSError:
        return []
    for name in names:
        if not name.isdigit():
            continue
        try:
            fields = _stat(int(name))
        except OSError:
            continue
        if len(fields) > 1:
            children.setdefault(int(fields[1]), []).append(int(name))
    found: list[int] = []
    waiting = [pid]
    while waiting:
        for child in children.get(waiting.pop(), []):
            if child not in found:
                found.append(child)
                waiting.append(child)
    return found


def running(pid: int) -> bool:
    """Whether process ``pid`` runs: a zombie, which its new parent has yet to reap, does not
    (where ``/proc`` tells)."""
    try:
        return _stat(pid)[:1] != [b"Z"]
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _stat(pid: int) -> list[bytes]:
    """The fields of ``/proc/PID/stat`` after the name (which is in brackets and may hold
    anything): its state, its parent's pid, ..."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        return stat.read().rpartition(b")")[2].split()
