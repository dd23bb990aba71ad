"""What ``serve`` prints: the app's output and the trace, each in whole lines.

``serve`` keeps the app in its own process (it is a development server), so the app's
``print()`` and wsgicheck's trace share stdout and stderr, from several threads. While it
serves, ``sys.stdout`` and ``sys.stderr`` are :class:`WholeLines` streams: what a thread
writes is held until it ends a line, then written, with every complete line, under the
lock the trace is printed under. An app's line and the trace can then follow each other,
but never share a line. (Writes to the file descriptors themselves, ``os.write(1, ...)``,
go around Python's streams and are not held.)
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

__all__ = ["WholeLines", "whole_lines"]


class WholeLines(io.TextIOBase):
    """A text stream that passes on only whole lines, each batch under ``lock``."""

    def __init__(self, stream: TextIO, lock: threading.RLock) -> None:
        super().__init__()
        self.stream = stream
        self.lock = lock
        #: What each thread wrote since its last newline.
        self._pending: dict[int, str] = {}

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        key = threading.get_ident()
        held = self._pending.pop(key, "") + text
        lines, newline, rest = held.rpartition("\n")
        if rest:
            self._pending[key] = rest
        if newline:
            with self.lock:
                self.stream.write(lines + newline)
                self.stream.flush()
        return len(text)

    def flush(self) -> None:
        """Flush the lines written so far; a line not ended yet waits for its end."""
        with self.lock:
            self.stream.flush()

    def finish(self) -> None:
        """Write what no newline ended (at the end of serving)."""
        with self.lock:
            for key in list(self._pending):
                self.stream.write(self._pending.pop(key) + "\n")
            self.stream.flush()

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding


@contextlib.contextmanager
def whole_lines(lock: threading.RLock) -> Iterator[TextIO]:
    """``sys.stdout`` and ``sys.stderr`` as :class:`WholeLines` streams while it lasts.

    Gives the real stdout, for the trace to be printed to under ``lock``.
    """
    real_out, real_err = sys.stdout, sys.stderr
    out, err = WholeLines(real_out, lock), WholeLines(real_err, lock)
    sys.stdout, sys.stderr = out, err
    try:
        yield real_out
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        out.finish()
        err.finish()
