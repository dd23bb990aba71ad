"""``wsgi.input``, ``wsgi.errors`` and ``wsgi.file_wrapper``, as guard proxies that record.

Each stream offers exactly the methods PEP 3333 gives it ("Input and Error Streams") with the
semantics of the Python library reference, and appends a trace event for every call. Reaching
for anything else is recorded as :class:`~wsgicheck.model.events.StreamMisuse` and raises
``AttributeError``, as it would on a server whose stream lacks that method.

:class:`StreamGuard` is what every stream wsgicheck hands an app has in common: the core's own
streams here, and :func:`wsgicheck.validator`'s guards over a server's streams
(:mod:`wsgicheck.drivers.validation_guards`), which record the same events the same way.

The body is bytes in memory (the memory transport) or comes from a :class:`BodySource` (the
HTTP parser, for the socket transport). Either way ``wsgi.input`` never reads past the body: at
its end every read returns ``b""``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar, Protocol

from ..model.events import (
    Location,
    RawEvent,
    caller_location,
    raw_errors_written,
    raw_file_wrapper_called,
    raw_input_read,
    raw_server_observed,
    raw_stream_misuse,
)
from ..model.untrusted import safe_repr
from .observe import call_site

__all__ = [
    "BodySource",
    "ErrorStream",
    "FileWrapper",
    "InputStream",
    "StreamGuard",
    "file_wrapper_called",
    "file_wrapper_for",
]

DEFAULT_BLOCK_SIZE = 8192


class BodySource(Protocol):
    """Where ``wsgi.input`` gets the request body from."""

    def read_some(self, limit: int) -> bytes:
        """Return between 1 and ``limit`` body bytes, or ``b""`` once the body has ended."""
        ...


def _size_argument(name: str, value: object) -> int:
    """PEP 3333 sizes: ``None`` or a negative number means "no limit"."""
    if value is None:
        return -1
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, not {type(value).__name__}")
    return value


class StreamGuard:
    """A ``wsgi.input`` or ``wsgi.errors`` as an app sees it: its calls recorded in ``log``,
    and any attribute PEP 3333 does not give the stream refused.

    A reach for such an attribute is recorded as :class:`StreamMisuse` and raises
    ``AttributeError``, as on a server whose stream lacks it (a ``hasattr`` probe, such as
    Werkzeug's for ``readinto``, then takes its portable path). A subclass that must do
    more about it (the validator judges the call) extends :meth:`_misuse`.
    """

    __slots__ = ("_log",)
    #: The environ key of the stream: ``"wsgi.input"`` or ``"wsgi.errors"``.
    key: ClassVar[str] = ""

    def __init__(self, log: list[RawEvent]) -> None:
        self._log = log

    def _misuse(self, name: str) -> AttributeError:
        """Record the reach for ``name``; the error to raise for it."""
        self._log.append(raw_stream_misuse(self.key, name))
        shown = safe_repr(name)
        return AttributeError(f"{self.key} has no attribute {shown} (PEP 3333 gives it none)")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # Python's own probes (copy, pickle): not the app's reach
            raise AttributeError(name)
        raise self._misuse(name)


class InputStream(StreamGuard):
    """``wsgi.input``: ``read``, ``readline``, ``readlines`` and iteration over the body.

    ``max_read`` makes ``read(n)`` return at most that many bytes: the short reads a server
    may give (a socket file in non-blocking mode does), so an application that assumes
    ``read(n)`` returns ``n`` bytes is found out. Everything else keeps the library
    semantics PEP 3333 names: ``read()`` returns all the rest, ``readline()`` a whole line.
    """

    __slots__ = ("_buffer", "_consumed", "_eof", "_length", "_max_read", "_pos", "_source")
    key = "wsgi.input"

    def __init__(
        self,
        source: BodySource | bytes,
        log: list[RawEvent],
        length: int | None,
        max_read: int | None = None,
    ) -> None:
        self._log = log  # StreamGuard's, set here without a call: one is made per request
        self._length = length
        self._max_read = max_read
        self._consumed = 0
        # The body not yet read is ``_buffer[_pos:]``: a read moves ``_pos`` and copies only
        # what it returns, so an app that reads a large body two bytes at a time (a server
        # choice) costs what the bytes cost, not the buffer again on every read.
        self._pos = 0
        if type(source) is bytes:
            # A body already in memory: nothing to pull, the buffer is the whole body.
            self._source: BodySource | None = None
            self._buffer = source if length is None or len(source) <= length else source[:length]
            self._eof = True
        else:
            self._source = source  # type: ignore[assignment]
            self._buffer = b""
            self._eof = False

    # -- internals -----------------------------------------------------------------------------

    def _pending(self) -> int:
        """Bytes in the buffer not yet read."""
        return len(self._buffer) - self._pos

    def _unread(self) -> bytes:
        """The bytes in the buffer not yet read (the buffer itself when none was)."""
        return self._buffer[self._pos :] if self._pos else self._buffer

    def _available(self) -> int | None:
        if self._length is not None:
            return self._length - self._consumed
        if self._eof:
            return self._pending()
        return None

    def _fill(self, limit: int) -> bool:
        """Pull up to ``limit`` more bytes into the buffer; False at the end of the body."""
        if self._eof or self._source is None:
            return False
        if self._length is not None:
            # Never past the declared length, whatever the source would give.
            limit = min(limit, self._length - self._consumed - self._pending())
            if limit <= 0:
                self._eof = True
                return False
        try:
            data = self._source.read_some(limit)
        except Exception as exc:
            # The body failed on the server's side (a framing error, a client gone): what
            # escapes the app then is the server's raising, not the app's own error.
            self._log.append(raw_server_observed("input-raised", f"read: {type(exc).__qualname__}"))
            raise
        if not data:
            self._eof = True
            return False
        if len(data) > limit:
            data = data[:limit]
        rest = self._unread()
        self._buffer, self._pos = (rest + data if rest else data), 0
        return True

    def _take(self, count: int) -> bytes:
        buffer, start = self._buffer, self._pos
        end = start + count
        if end >= len(buffer):
            data = buffer[start:] if start else buffer
            self._buffer, self._pos = b"", 0
        else:
            data = buffer[start:end]
            self._pos = end
        self._consumed += len(data)
        return data

    def _untake(self, chunks: list[bytes]) -> None:
        """Put what a read took back in front of the buffer, when a fill after it raised
        (the client went away): the app that catches the error and reads again gets
        those bytes, as it would have had the read not begun."""
        data = b"".join(chunks)
        if data:
            self._buffer, self._pos = data + self._unread(), 0
            self._consumed -= len(data)

    def _take_all(self) -> bytes:
        """The rest of the body, pulled a block at a time and joined once."""
        chunks = [self._take(self._pending())]
        try:
            while self._fill(1 << 16):
                chunks.append(self._take(self._pending()))
        except BaseException:
            self._untake(chunks)
            raise
        return b"".join(chunks)

    def _read(self, size: int) -> bytes:
        if size < 0:
            return self._take_all()
        cap = self._max_read
        if cap is not None:
            size = min(size, cap)
        if size == 0:
            return b""
        # Short reads are exactly max_read bytes (or what is left): the same whatever the
        # source delivers at a time, so both transports give the app the same reads.
        pending = self._pending()
        if pending >= size or self._eof:
            return self._take(size)
        chunks = [self._take(pending)]
        wanted = size - pending
        try:
            while wanted > 0 and self._fill(wanted):  # a fill brings at most what is wanted
                chunk = self._take(self._pending())
                chunks.append(chunk)
                wanted -= len(chunk)
        except BaseException:
            self._untake(chunks)
            raise
        return b"".join(chunks)

    def _readline(self, size: int) -> bytes:
        searched = 0  # bytes of the pending buffer known to hold no newline
        while True:
            start = self._pos
            end = self._buffer.find(b"\n", start + searched) + 1
            if end:
                line = end - start
                return self._take(line if size < 0 else min(line, size))
            pending = self._pending()
            if 0 <= size <= pending:
                return self._take(size)
            searched = pending
            if not self._fill(DEFAULT_BLOCK_SIZE):
                return self._take(pending)

    # -- PEP 3333 methods ----------------------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when ``size`` is omitted or negative)."""
        if self._source is None and self._max_read is None and type(size) is int:
            # A body in memory, whole reads: what _available, _read and _take do, inline
            # (an app reads its body this way on every request of a test suite).
            buffer, start = self._buffer, self._pos
            pending = len(buffer) - start
            length = self._length
            left = pending if length is None else length - self._consumed
            if size < 0 or size >= pending:
                data = buffer[start:] if start else buffer
                self._buffer, self._pos = b"", 0
            else:
                data = buffer[start : start + size]
                self._pos = start + size
            self._consumed += len(data)
            self._log.append(raw_input_read("read", size, len(data), left, False, call_site()))
            return data
        available = self._available()
        data = self._read(_size_argument("read() size", size))
        where = call_site()
        self._log.append(raw_input_read("read", size, len(data), available, False, where))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, or at most ``size`` bytes of it."""
        available = self._available()
        data = self._readline(_size_argument("readline() size", size))
        ended = data.endswith(b"\n")
        where = call_site()
        self._log.append(raw_input_read("readline", size, len(data), available, ended, where))
        return data

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        """Read lines until the end, or until their total length reaches ``hint``."""
        available = self._available()
        limit = _size_argument("readlines() hint", hint)
        lines: list[bytes] = []
        total = 0
        while line := self._readline(-1):
            lines.append(line)
            total += len(line)
            if 0 < limit <= total:
                break
        where = call_site()
        self._log.append(raw_input_read("readlines", hint, total, available, False, where))
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        available = self._available()
        line = self._readline(-1)
        ended = line.endswith(b"\n")
        where = call_site()
        self._log.append(raw_input_read("__next__", None, len(line), available, ended, where))
        if not line:
            raise StopIteration
        return line

    def __enter__(self) -> InputStream:
        # ``with environ["wsgi.input"]`` closes the stream at the end of the block: record
        # it as the close() PEP 3333 forbids, and let the app go on (a file would allow it).
        self._log.append(raw_stream_misuse(self.key, "close"))
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class ErrorStream(StreamGuard):
    """``wsgi.errors``: a text stream that captures what the application logs."""

    __slots__ = ("parts",)
    key = "wsgi.errors"

    def __init__(self, log: list[RawEvent]) -> None:
        self._log = log
        self.parts: list[str] = []

    def write(self, text: str) -> int:
        self._log.append(raw_errors_written("write", text))
        if not isinstance(text, str):
            raise TypeError(f"wsgi.errors.write() takes str, not {type(text).__name__}")
        self.parts.append(text)
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        items = list(lines)
        self._log.append(raw_errors_written("writelines", items))
        for text in items:
            if not isinstance(text, str):
                raise TypeError(f"wsgi.errors.writelines() takes str, not {type(text).__name__}")
        self.parts.extend(items)

    def flush(self) -> None:
        self._log.append(raw_errors_written("flush", None))

    def getvalue(self) -> str:
        """Everything written so far."""
        return "".join(self.parts) if self.parts else ""

    def __enter__(self) -> ErrorStream:
        self._log.append(raw_stream_misuse(self.key, "close"))  # as for wsgi.input
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None


class FileWrapper:
    """The iterable ``wsgi.file_wrapper`` returns: ``read(block_size)`` until ``b""``.

    Its ``close()`` closes the file-like object, as PEP 3333 requires when it has one.
    """

    __slots__ = ("block_size", "filelike")

    def __init__(self, filelike: Any, block_size: int = DEFAULT_BLOCK_SIZE) -> None:
        self.filelike = filelike
        self.block_size = block_size

    def __iter__(self) -> Iterator[bytes]:
        read = self.filelike.read
        while block := read(self.block_size):
            yield block

    def close(self) -> None:
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()


def file_wrapper_for(log: list[RawEvent]) -> Callable[..., FileWrapper]:
    """A ``wsgi.file_wrapper`` callable that records each call in ``log``."""

    def file_wrapper(filelike: Any, block_size: int = DEFAULT_BLOCK_SIZE) -> FileWrapper:
        file_wrapper_called(log, filelike, block_size, caller_location(1))
        return FileWrapper(filelike, block_size)

    return file_wrapper


def file_wrapper_called(
    log: list[RawEvent], filelike: Any, block_size: object, where: Location
) -> None:
    """Record a call of ``wsgi.file_wrapper`` (the core's own, or a server's the validator
    passes the call on to) from ``where``."""
    log.append(
        raw_file_wrapper_called(
            type(filelike).__name__,
            callable(getattr(filelike, "read", None)),
            block_size,
            where,
        )
    )
