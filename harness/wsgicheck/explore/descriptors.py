"""The file descriptors a process that runs the app is left with.

A forked process holds every descriptor its parent held: in a worker, the run's own stdout
(where a JSON report is written), the other workers' pipes, the ends of its own pipes that
are the supervisor's. An app that writes to whatever it finds open (or reads from it) would
corrupt the report or steal the records. So the process that runs the app keeps fds 0 to 2
and the ends it uses; every other one is pointed at the null device rather than closed, so
that a number the app opens later is never closed under it by an object of the parent's
that still holds the old one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection

__all__ = ["keep_only", "quiet"]

#: Where to look for the numbers of the open descriptors: Linux, then the BSDs and macOS.
_LISTINGS = ("/proc/self/fd", "/dev/fd")
#: How many numbers to try where no listing exists (one fstat each: about 0.1 s for all).
_TRIED_AT_MOST = 1 << 16


def keep_only(keep: Collection[int]) -> None:
    """Point every open descriptor other than fds 0 to 2 and ``keep`` at the null device."""
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for fd in _open_descriptors(null):
            if fd > 2 and fd != null and fd not in keep:
                os.dup2(null, fd, inheritable=False)
    finally:
        os.close(null)


def quiet() -> None:
    """Point fds 0, 1 and 2 at the null device: what an app prints while it is loaded for a
    try is the run's output, not this."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def _open_descriptors(known: int) -> list[int]:
    """The numbers of this process's open descriptors, ``known`` (one of them) telling a
    whole listing from a partial one (FreeBSD's ``/dev/fd`` without fdescfs: 0 to 2)."""
    for listing in _LISTINGS:
        with contextlib.suppress(OSError):
            numbers = {int(name) for name in os.listdir(listing) if name.isdigit()}
            if known in numbers:
                # The listing's own descriptor is among them, and already closed.
                return [fd for fd in sorted(numbers) if _is_open(fd)]
    try:
        import resource
    except ImportError:  # no POSIX, no fork: a spawned process inherits nothing of this
        return []
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = _TRIED_AT_MOST if soft == resource.RLIM_INFINITY else min(soft, _TRIED_AT_MOST)
    return [fd for fd in range(limit) if _is_open(fd)]


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True
