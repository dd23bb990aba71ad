"""What ``serve`` prints: the app's output and the trace, each in whole lines.

``serve`` keeps the app in its own process (it is a development server), so the app's
``print()`` and wsgicheck's trace share a terminal, from several threads. While it serves
(:func:`app_output`), file descriptors 1 and 2 are pipes that wsgicheck reads: whatever
writes to them (``print()``, a logging handler made when the app was imported,
``os.write(1, ...)``, a child process) comes out a line at a time, made safe by
:func:`~wsgicheck.model.untrusted.show` and marked ``| ``, so no escape sequence reaches the
terminal and no line of the app's reads as a line of the trace. The trace goes to the real
streams. And ``sys.stdout`` and ``sys.stderr`` are :class:`WholeLines` streams: what a thread
writes is held until it ends a line, so two threads' halves never share a line.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading
from collections.abc import Iterator
from typing import TextIO

from ..model.untrusted import show

__all__ = ["APP_LINE", "WholeLines", "app_output"]


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


#: How a line the app wrote starts, in ``serve``'s output (the trace's start ``>``, ``<``,
#: ``*`` and ``!``).
APP_LINE = "| "
#: How long the end of serving waits for the last of the app's output (a process the app
#: started may hold the pipe open for ever).
_DRAIN_SECONDS = 2.0


@contextlib.contextmanager
def app_output(lock: threading.RLock) -> Iterator[tuple[TextIO, TextIO]]:
    """While it lasts, what is written to file descriptors 1 and 2 comes out on the real
    stdout and stderr as :data:`APP_LINE` lines made safe, under ``lock``; and
    ``sys.stdout`` and ``sys.stderr`` are :class:`WholeLines` streams. Gives the real stdout
    and stderr, for the trace and wsgicheck's own errors."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    real = [_reopened(fd, stream) for fd, stream in ((1, sys.stdout), (2, sys.stderr))]
    relays = []
    for fd, out in zip((1, 2), real, strict=True):
        read_end, write_end = os.pipe()
        os.dup2(write_end, fd)
        os.close(write_end)
        relay = threading.Thread(
            target=_relay, args=(read_end, out, lock), name=f"wsgicheck-output-{fd}", daemon=True
        )
        relay.start()
        relays.append((fd, relay))
    python_out, python_err = sys.stdout, sys.stderr
    whole = WholeLines(python_out, threading.RLock()), WholeLines(python_err, threading.RLock())
    sys.stdout, sys.stderr = whole
    try:
        yield real[0], real[1]
    finally:
        sys.stdout, sys.stderr = python_out, python_err
        for each in whole:
            each.finish()
        for stream in (python_out, python_err):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        for (fd, relay), out in zip(relays, real, strict=True):
            os.dup2(out.fileno(), fd)  # the pipe's last writer gone (unless a child holds it)
            relay.join(_DRAIN_SECONDS)


def _reopened(fd: int, stream: TextIO) -> TextIO:
    """A new text stream on a copy of ``fd``, as ``stream`` encodes, one line at a time."""
    return open(  # it lives as long as the process
        os.dup(fd),
        "w",
        encoding=getattr(stream, "encoding", None) or "utf-8",
        errors="backslashreplace",
        buffering=1,
    )


def _relay(read_end: int, out: TextIO, lock: threading.RLock) -> None:
    """Copy the pipe's lines to ``out``, each made safe and marked, until its writers close."""
    pending = b""
    with contextlib.suppress(OSError):
        while chunk := os.read(read_end, 65536):
            *lines, pending = (pending + chunk).split(b"\n")
            if lines:
                _write(out, lines, lock)
    if pending:
        _write(out, [pending], lock)
    os.close(read_end)


def _write(out: TextIO, lines: list[bytes], lock: threading.RLock) -> None:
    text = "".join(
        f"{APP_LINE}{show(line.decode('utf-8', 'backslashreplace'))}\n" for line in lines
    )
    with lock, contextlib.suppress(OSError, ValueError):
        out.write(text)
        out.flush()
