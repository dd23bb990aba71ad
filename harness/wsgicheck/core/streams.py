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

    __slots__ = ("_buffer", "_consumed", "_eof", "_length", "_max_read", "_source")
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

    def _available(self) -> int | None:
        if self._length is not None:
            return self._length - self._consumed
        if self._eof:
            return len(self._buffer)
        return None

    def _fill(self, limit: int) -> bool:
        """Pull more body into the buffer; False at the end of the body."""
        if self._eof or self._source is None:
            return False
        if self._length is not None:
            # Never past the declared length, whatever the source would give.
            limit = min(limit, self._length - self._consumed - len(self._buffer))
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
        self._buffer = self._buffer + data if self._buffer else data
        return True

    def _take(self, count: int) -> bytes:
        buffer = self._buffer
        if count >= len(buffer):
            self._buffer = b""
            self._consumed += len(buffer)
            return buffer
        data = buffer[:count]
        self._buffer = buffer[count:]
        self._consumed += len(data)
        return data

    def _read(self, size: int) -> bytes:
        if size < 0:
            while self._fill(1 << 16):
                pass
            return self._take(len(self._buffer))
        cap = self._max_read
        if cap is not None:
            size = min(size, cap)
        if size == 0:
            return b""
        # Short reads are exactly max_read bytes (or what is left): the same whatever the
        # source delivers at a time, so both transports give the app the same reads.
        while len(self._buffer) < size and self._fill(size - len(self._buffer)):
            pass
        return self._take(size)

    def _readline(self, size: int) -> bytes:
        while True:
            end = self._buffer.find(b"\n") + 1
            if end:
                return self._take(end if size < 0 else min(end, size))
            if 0 <= size <= len(self._buffer):
                return self._take(size)
            if not self._fill(DEFAULT_BLOCK_SIZE):
                return self._take(len(self._buffer))

    # -- PEP 3333 methods ----------------------------------------------------------------------

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when ``size`` is omitted or negative)."""
        if self._source is None and self._max_read is None and type(size) is int:
            # A body in memory, whole reads: what _available, _read and _take do, inline
            # (an app reads its body this way on every request of a test suite).
            buffer = self._buffer
            length = self._length
            left = len(buffer) if length is None else length - self._consumed
            if size < 0 or size >= len(buffer):
                data, self._buffer = buffer, b""
            else:
                data, self._buffer = buffer[:size], buffer[size:]
            self._consumed += len(data)
            self._log.append(raw_input_read("read", size, len(data), left))
            return data
        available = self._available()
        data = self._read(_size_argument("read() size", size))
        self._log.append(raw_input_read("read", size, len(data), available))
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Read one line, or at most ``size`` bytes of it."""
        available = self._available()
        data = self._readline(_size_argument("readline() size", size))
        ended = data.endswith(b"\n")
        self._log.append(raw_input_read("readline", size, len(data), available, ended))
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
        self._log.append(raw_input_read("readlines", hint, total, available))
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        available = self._available()
        line = self._readline(-1)
        ended = line.endswith(b"\n")
        self._log.append(raw_input_read("__next__", None, len(line), available, ended))
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
