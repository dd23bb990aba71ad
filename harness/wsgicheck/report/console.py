"""What ``serve`` prints: the app's output and the trace, each in whole lines, the app's
made safe.

``serve`` keeps the app in its own process (it is a development server), so the app's
``print()`` and wsgicheck's trace share a terminal, from several threads. From before the
app is imported until serving ends (:func:`app_output`), ``sys.stdout`` and ``sys.stderr``
are :class:`WholeLines` streams: what a thread writes is held until it ends a line, then
written made safe by :func:`~wsgicheck.model.untrusted.show` and marked ``| ``, under the
lock the trace is printed under. So no escape sequence of the app's reaches the terminal, no
line of the app's reads as a line of the trace, and two threads' halves never share a line.
A logging handler the app makes when imported holds these streams too. What goes around
Python's streams, ``os.write(1, ...)`` or a child process's output, is not held: it is the
process's own, and a crash's last words (faulthandler's dump) must reach the terminal even
when nothing of wsgicheck's runs any more.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import sys
import threading
from collections.abc import Iterator
from typing import Any, TextIO

from ..model.untrusted import LIMIT, show, written_lines

__all__ = ["APP_LINE", "WholeLines", "app_output"]

#: How a line the app wrote starts, in ``serve``'s output (the trace's start ``>``, ``<``,
#: ``*`` and ``!``).
APP_LINE = "| "
#: How much of a line a thread may write before its end: past it, what it holds goes out as
#: a line (cut by :func:`show`), so an app that never ends its line holds little.
_HELD_AT_MOST = 4 * LIMIT


class WholeLines(io.TextIOBase):
    """A text stream that passes on only whole lines, each made safe and marked with
    :data:`APP_LINE`, each batch under ``lock``."""

    def __init__(self, stream: TextIO, lock: threading.RLock) -> None:
        super().__init__()
        self.stream = stream
        self.lock = lock
        #: What each thread wrote since its last newline.
        self._pending: dict[int, str] = {}
        self._buffer: _BytesToLines | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        key = threading.get_ident()
        held = self._pending.pop(key, "") + text
        lines, newline, rest = held.rpartition("\n")
        if len(rest) > _HELD_AT_MOST:  # no end of line in sight: out it goes, cut
            lines, newline, rest = held, "\n", ""
        if rest:
            self._pending[key] = rest
        if newline:
            self._emit(written_lines(lines + newline))
        return len(text)

    def _emit(self, lines: list[str]) -> None:
        text = "".join(f"{APP_LINE}{show(line)}\n" for line in lines)
        with self.lock, contextlib.suppress(OSError, ValueError):
            self.stream.write(text)
            self.stream.flush()

    def flush(self) -> None:
        """Flush the lines written so far; a line not ended yet waits for its end."""
        with self.lock, contextlib.suppress(OSError, ValueError):
            self.stream.flush()

    def finish(self) -> None:
        """Write what no newline ended (at the end of serving)."""
        for key in list(self._pending):
            self._emit(written_lines(self._pending.pop(key)))

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        # Not a terminal: what is written here is escaped, so a library that would colour
        # its lines for a terminal should not (its escape sequences would show as text).
        return False

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding

    @property
    def buffer(self) -> io.RawIOBase:
        """The binary side, as a real ``sys.stdout`` has one (Mercurial writes through it,
        and reads it as it is imported): bytes go into the same lines."""
        if self._buffer is None:
            self._buffer = _BytesToLines(self)
        return self._buffer


class _BytesToLines(io.RawIOBase):
    """The ``buffer`` of a :class:`WholeLines`: bytes decoded as UTF-8 (a bad byte kept as
    an escape, a character split between writes joined), written as text."""

    def __init__(self, lines: WholeLines) -> None:
        super().__init__()
        self._lines = lines
        self._decoder = codecs.getincrementaldecoder("utf-8")("backslashreplace")

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._lines.write(self._decoder.decode(chunk))
        return len(chunk)

    def flush(self) -> None:
        self._lines.flush()


@contextlib.contextmanager
def app_output(lock: threading.RLock) -> Iterator[tuple[TextIO | None, TextIO | None]]:
    """``sys.stdout`` and ``sys.stderr`` as :class:`WholeLines` streams while it lasts (a
    closed one, None, stays None). Gives the real ones, for the trace and wsgicheck's own
    words, printed under ``lock``."""
    real_out, real_err = sys.stdout, sys.stderr
    held = [WholeLines(each, lock) if each is not None else None for each in (real_out, real_err)]
    sys.stdout, sys.stderr = held
    try:
        yield real_out, real_err
    finally:
        sys.stdout, sys.stderr = real_out, real_err
        for each in held:
            if each is not None:
                each.finish()
