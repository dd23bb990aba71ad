"""When an exchange past its time limit is abandoned: not while the app is still working.

A time limit alone judges the machine as much as the app. FastAPI behind a2wsgi reads a
64 KiB body one byte a read (the ``max_read=1`` server choice) through a thread hand-off
per read: 5 s on a quiet 2-core machine, 20 s on a loaded one, so the same seed ran past
10 s once in three runs. So an exchange past its limit is abandoned only when the app did
no work in the last :data:`GRACE` seconds before it, or once it has run :data:`STRETCH`
times the limit. Work is bytes moved: a read of ``wsgi.input`` that returned some, a block
or a ``write()`` of some that was not refused. An app that hangs, or loops on empty
blocks, on reads of an exhausted input, on ``start_response``, on refused writes or on
writes to ``wsgi.errors`` (a retry loop that logs each try), is still abandoned at the
limit, whatever the load (a grace period after it where the watcher first looks past it:
a limit under the socket server's tick of 0.25 s); one that streams without end, at the
stretch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import islice

from ..model.events import InputRead, RawEvent, Refused, WriteCalled, Yielded

__all__ = ["GRACE", "STRETCH", "Overtime", "moved", "worked"]

#: Seconds in which an app past its limit must have done something to be given more.
GRACE = 1.0
#: How many times its limit an exchange may run while the app keeps working.
STRETCH = 3.0


class Overtime:
    """One exchange's time limit, moved on while the app keeps working past it.

    The watcher asks :meth:`over` with the exchange's log (the core's raw events), at
    :meth:`next_look` at the latest (more often is fine): before the deadline, to mark
    where the log stood a grace period before it; at the deadline, to look for work since.
    """

    __slots__ = ("_grace", "_mark", "cap", "deadline")

    def __init__(self, started: float, limit: float) -> None:
        self.deadline = started + limit
        self.cap = started + limit * STRETCH
        # A short limit (a test's) gets a grace of half of it.
        self._grace = min(GRACE, limit / 2)
        #: The log's length a grace period before the deadline (None: not looked yet).
        self._mark: int | None = None

    def next_look(self) -> float:
        """When to look next: a grace period before the deadline, then at it."""
        return self.deadline if self._mark is not None else self.deadline - self._grace

    def over(self, now: float, log: Sequence[RawEvent]) -> bool:
        """Whether to abandon the exchange now, its app having made the events ``log``."""
        if now < self.deadline:
            if self._mark is None and now >= self.deadline - self._grace:
                self._mark = len(log)
            return False
        if now >= self.cap:
            return True
        end = len(log)  # the app may add to it meanwhile: the rest is looked at next time
        if self._mark is not None and not moved(islice(log, self._mark, end)):
            return True
        # Working, or not looked at in the grace period (a limit under the watcher's tick):
        # another grace period, within the stretch.
        self._mark = end
        self.deadline = min(now + self._grace, self.cap)
        return False


def moved(events: Iterable[RawEvent]) -> bool:
    """Whether ``events`` moved their exchange on: one of them :func:`worked`, a write not
    refused (the core records a write, then its refusal: a bytearray, a write past the
    Content-Length) among them."""
    written = False  # the last event was a write of bytes, not known refused yet
    for event in events:
        if written and event[0] is not Refused:
            return True
        written = worked(event)
        if written and event[0] is not WriteCalled:
            return True
    return False  # a write last, its fate not known yet: looked at no more (a rare loss)


def worked(event: RawEvent) -> bool:
    """Whether a raw event moved its exchange on: a block or ``write()`` of bytes, or a
    read of ``wsgi.input`` that returned some."""
    kind = event[0]
    if kind is Yielded or kind is WriteCalled:
        value, size = event[1], event[-1]
        if size is not None:
            return bool(size)
        # Read past a subclass's own __len__ (the app's code, not to run in the watcher).
        if isinstance(value, bytes):
            return bytes.__len__(value) > 0
        return isinstance(value, bytearray) and bytearray.__len__(value) > 0
    if kind is InputRead:
        return bool(event[3])
    return False
