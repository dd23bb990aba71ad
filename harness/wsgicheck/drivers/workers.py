"""The server's pool of worker threads, apart from HTTP: it runs whatever work it is given.

A fixed number of threads take work from one queue. The watchdog of
:class:`~wsgicheck.drivers.server.Server` writes off a worker stuck in an app; the pool then
starts another, so capacity stays the same, and the stuck one leaves when it comes back.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from ..model.threads import own_thread

__all__ = ["WorkerPool"]

W = TypeVar("W")


class WorkerPool(Generic[W]):
    """A fixed number of threads taking work from a queue; stuck ones are replaced."""

    def __init__(self, size: int, handle: Callable[[W], bool], name: str) -> None:
        self._queue: queue.SimpleQueue[W | None] = queue.SimpleQueue()
        self._handle = handle
        self._name = name
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        for _ in range(size):
            self._spawn()

    def _spawn(self) -> None:
        thread = own_thread(f"{self._name}-worker-{next(self._counter)}", self._run)
        self.threads.append(thread)
        thread.start()

    def _run(self) -> None:
        while True:
            work = self._queue.get()
            if work is None:
                return
            if self._handle(work):
                # This worker was written off as stuck and replaced; now it is spare. (Only
                # the stuck worker itself may leave: any other leaving would shrink the pool.)
                return

    def submit(self, work: W) -> None:
        self._queue.put(work)

    def replace_stuck(self) -> None:
        """A worker is stuck in an app: start another so capacity stays the same."""
        with self._lock:
            self.threads = [thread for thread in self.threads if thread.is_alive()]
            self._spawn()

    def stop(self, timeout: float) -> list[threading.Thread]:
        """Stop the workers; return those still running after ``timeout`` (stuck in apps)."""
        for _ in self.threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return [thread for thread in self.threads if thread.is_alive()]
