"""``wsgicheck check``'s progress bar on a terminal: examples run, time spent, time left."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


class Progress:
    """A one-line progress bar on stderr, for terminals: examples run, time spent, and an
    estimate of the time left (from the pace so far)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.shown = ""

    def __call__(self, done: int, total: int) -> None:
        percent = min(100, done * 100 // max(total, 1))
        elapsed = self.clock() - self.started
        left = elapsed * (total - done) / done if 0 < done < total else 0.0
        bar = "#" * (percent // 4)
        line = f"[{bar:<25}] {done}/{total} examples · {_clock(elapsed)} elapsed"
        line += f" · about {_clock(left)} left" if done else ""
        if line != self.shown:
            sys.stderr.write("\r" + line.ljust(len(self.shown)))
            sys.stderr.flush()
            self.shown = line

    def done(self) -> None:
        sys.stderr.write("\r" + " " * len(self.shown) + "\r")
        sys.stderr.flush()


def _clock(seconds: float) -> str:
    """``1:05`` for 65 seconds (``1:01:05`` past an hour)."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
