"""What the server and the app see of each other through ``wsgicheck.validator``.

The returned iterable (as the server sees it), ``wsgi.input``, ``wsgi.errors`` and
``wsgi.file_wrapper`` (as the app sees them): recording proxies that append to the log of
the :class:`~wsgicheck.drivers.validation_call.Invocation` they belong to, and ask it to judge.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from ..core.observe import call_site, record_close, record_raised, yield_location
from ..core.streams import StreamGuard
from ..model.events import (
    DROPPED,
    Location,
    raw_errors_written,
    raw_exhausted,
    raw_input_read,
    raw_server_observed,
    raw_yielded,
)
from ..model.untrusted import safe_repr

if TYPE_CHECKING:
    from .validation_call import Invocation

__all__ = [
    "ErrorsGuard",
    "FileWrapperGuard",
    "InputGuard",
    "ServerIterable",
    "SizedServerIterable",
    "server_object",
]


def server_object(value: Any) -> Any:
    """The server's own object behind a guard of the validator's (a stream, the file
    wrapper), or ``value`` itself."""
    if isinstance(value, _ServerStreamGuard):
        return value._stream
    if isinstance(value, FileWrapperGuard):
        return value._server_wrapper
    return value


class FileWrapperGuard:
    """``wsgi.file_wrapper`` as the app sees it: each call recorded.

    To the server it is still its own wrapper type: the guard sits in the environ dict the
    server built, and a server may look there again once the app has returned (gunicorn
    asks ``isinstance(result, environ["wsgi.file_wrapper"])`` to take its sendfile path),
    so ``isinstance`` and ``issubclass`` answer as for the server's wrapper.
    """

    def __init__(self, invocation: Invocation, server_wrapper: Callable[..., Any]) -> None:
        self._invocation = invocation
        self._server_wrapper = server_wrapper

    def __call__(self, filelike: Any, *args: Any) -> Any:
        return self._invocation.wrap_file(self._server_wrapper, filelike, args)

    def __instancecheck__(self, instance: object) -> bool:
        kind = self._server_wrapper
        return isinstance(kind, type) and isinstance(instance, kind)

    def __subclasscheck__(self, subclass: type) -> bool:
        kind = self._server_wrapper
        return isinstance(kind, type) and issubclass(subclass, kind)


class ServerIterable:
    """The app's iterable, as the server sees it: every block and close() recorded."""

    def __init__(self, invocation: Invocation, result: Any) -> None:
        self._invocation = invocation
        self._result = result
        self._iterator: Iterator[Any] | None = None
        self._generator = False

    def __iter__(self) -> Iterator[Any]:
        # As the app's own result would answer: itself when it is an iterator (a generator),
        # else an iterator that is not the iterable, so a server that closes what iter()
        # gave it instead of the iterable misses close() here as it would without us.
        if hasattr(type(self._result), "__next__"):
            return self
        return _Pass(self)

    def __next__(self) -> Any:
        invocation = self._invocation
        invocation.in_app = True
        try:
            if self._iterator is None:  # the app's __iter__ is the app's code too
                self._iterator = iter(self._result)
                self._generator = type(self._iterator) is GeneratorType
            block = next(self._iterator, _END)
        except BaseException as exc:
            invocation.in_app = False
            invocation.iteration_ended = time.monotonic()
            record_raised(invocation.log, exc, "iteration", invocation.body_started)
            invocation.failed(exc)
            raise
        invocation.in_app = False
        if block is _END:
            invocation.iteration_ended = time.monotonic()
            invocation.log.append(raw_exhausted())
            try:
                if not invocation.owner.collect:
                    # The last moment a server handles an error well: judge all, raise here.
                    invocation.judge(invocation.owner.rules)
            finally:
                invocation.keep()  # after the judgement, which reads the history before it
            if invocation.violation is not None:
                # Raised into the iterable (a generator's start_response), which caught it
                # and went on: it goes to the server now, in place of the end.
                raise invocation.violation
            raise StopIteration
        location = yield_location(self._iterator) if self._generator else None
        value, size = invocation.kept(block)
        invocation.log.append(raw_yielded(value, location, size))
        if type(block) is not bytes or (block and invocation.status is None):
            invocation.judge_call()
        invocation.count_body(block)
        return block

    def close(self) -> None:
        invocation = self._invocation
        again = invocation.finished
        # What is judged here is never raised: a server's handler may break on an error
        # from close() (wsgiref's sends a second response). It is warned, and noted on the
        # exception the server is handling, if any (it may be closing on an app's error).
        carrier = sys.exc_info()[1]
        try:
            failed = record_close(invocation.log, self._close_result, invocation.body_started)
            if failed is not None:
                carrier = failed
                raise failed
        finally:
            if again:
                # The server closed it twice: judge again so SRV-CLOSE-CALLED counts both.
                try:
                    invocation.judge(invocation.owner.rules, raising=False, carrier=carrier)
                finally:
                    invocation.ended()
            else:
                invocation.finish(carrier)

    def _close_result(self) -> None:
        """Close the app's iterable, if it has a ``close`` (the look-up is the app's code)."""
        invocation = self._invocation
        invocation.in_app = True
        try:
            close = getattr(self._result, "close", None)
            if close is not None:
                close()
        finally:
            invocation.in_app = False

    def __getattr__(self, name: str) -> Any:
        # Iteration, close() and len() are all a server may use (PEP 3333): anything else it
        # reaches for is recorded (SRV-NO-OTHER-ITER-ATTRS) and, as on a plain iterable, absent.
        if name.startswith("__") or name in _ITERABLE_SLOTS:
            raise AttributeError(name)
        self._invocation.log.append(raw_server_observed("iterable-attribute", name))
        shown = safe_repr(name)
        raise AttributeError(f"the application's iterable has no attribute {shown} for servers")

    def __del__(self) -> None:
        # A server that never calls close(): judge the exchange now (SRV-CLOSE-CALLED fires
        # if the app's iterable had a close()).
        invocation = self._invocation
        if invocation.finished:
            return
        if sys.is_finalizing():  # the modules a rule runs on may be gone
            invocation.finished = True
            return
        invocation.never_closed(DROPPED)


#: What ``next()`` gives back for an iterator that has ended.
_END: Any = object()

_ITERABLE_SLOTS = frozenset({"_invocation", "_result", "_iterator", "_generator"})


class SizedServerIterable(ServerIterable):
    """An iterable whose ``len()`` the server can still see (PEP 3333 lets it use it).

    Some servers iterate such a result twice: gevent's pywsgi, given a result with
    ``len()``, counts its bytes with a second pass while the first is sending. Each
    ``iter()`` is a pass of its own, as on the app's own result (see :class:`_Pass`)."""

    def __len__(self) -> int:
        return len(self._result)


class _Pass:
    """What ``iter()`` gives for an app's iterable that is not its own iterator, as the
    app's own ``iter()`` would: a pass of its own, and no ``close()``.

    The first pass to take a block is the recorded one (the iterable's); a later pass
    iterates the app's result afresh, as it would without the validator (gevent counts a
    sized result's bytes with a second pass while the first is sending; one shared pass
    would send the blocks the count did not take, and blame the server). A server reaching
    for an attribute here (the ``close`` it owes the iterable) is recorded for
    SRV-CLOSE-CALLED to name."""

    __slots__ = ("_iterable", "_source")

    def __init__(self, iterable: ServerIterable) -> None:
        self._iterable = iterable
        self._source: Iterator[Any] | None = None

    def __iter__(self) -> _Pass:
        return self

    def __next__(self) -> Any:
        source = self._source
        if source is None:
            iterable = self._iterable
            recorded = iterable._iterator is None
            source = self._source = iterable if recorded else iter(iterable._result)
        return next(source)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("__"):
            self._iterable._invocation.log.append(raw_server_observed("iterator-attribute", name))
        raise AttributeError(name)


class _ServerStreamGuard(StreamGuard):
    """A server's stream seen through the validator: recorded as the core records its own
    (:class:`~wsgicheck.core.streams.StreamGuard`); a reach for an attribute PEP 3333 does not
    give it is judged at once, and refused as ``wsgiref.validate`` refuses it."""

    def __init__(self, invocation: Invocation, stream: Any) -> None:
        self._log = invocation.log  # StreamGuard's, set without a call: two per request
        self._invocation = invocation
        self._stream = stream

    def _misuse(self, name: str) -> AttributeError:
        error = super()._misuse(name)
        self._invocation.judge_call()
        self._invocation.refused(error)
        return error

    def __getattr__(self, name: str) -> Any:
        invocation = vars(self).get("_invocation")  # (not set yet: no recursion)
        servers = (
            invocation is not None
            and not invocation.in_app
            and (invocation.returned or invocation.finished)
        )
        if servers and not name.startswith("__"):
            # The app has returned and none of its code runs now (no call, iteration step
            # or close() of its iterable): a reach is the server's own, for its own stream
            # in the environ it reads back (netius 1.64 closes wsgi.input after each
            # response, and on a client gone mid-body; the guard's AttributeError ended its
            # process, as wsgiref.validate's does, and a probe of it judged nothing: trials
            # of 2026-12-06). Passed on, not judged.
            return getattr(self._stream, name)
        return super().__getattr__(name)


def _lines_in(data: bytes) -> int:
    """How many lines ``data`` holds: one, and one more per line break before its end."""
    return 1 + data.count(b"\n", 0, len(data) - 1)


class InputGuard(_ServerStreamGuard):
    """``wsgi.input`` seen through the validator: each call recorded, types checked."""

    key = "wsgi.input"

    def __init__(self, invocation: Invocation, stream: Any, length: int | None) -> None:
        self._log = invocation.log  # as _ServerStreamGuard's, without the calls
        self._invocation = invocation
        self._stream = stream
        self._length = length
        self._consumed = 0
        self._available_before: int | None = None

    def _available(self) -> int | None:
        return None if self._length is None else max(0, self._length - self._consumed)

    def _left(self, data: object) -> int | None:
        """The bytes left before the read just made. Without CONTENT_LENGTH that is not
        known, unless the read found the end at once (``b""``): then none were left, as the
        core knows of a body with no length (APP-INPUT-NO-READ-PAST-CL: Roundup's readline
        on a bodiless TRACE, which waits for the client on a server that gives the socket)."""
        available = self._available_before
        if available is None and not self._consumed and type(data) is bytes and not data:
            return 0  # (after bytes were read, the end says nothing of what the read asked)
        return available

    def _record(self, method: str, argument: object, data: Any, where: Location | None) -> None:
        """A read by the app at ``where``, of ``data``."""
        available = self._left(data)
        if type(data) is bytes:  # what nearly every read gives: no list, no other type
            self._consumed += len(data)
            ended = method != "read" and data.endswith(b"\n")
            self._log.append(raw_input_read(method, argument, len(data), available, ended, where))
            if method != "read" and _lines_in(data) > 1:
                self._joined(method, data)
            return
        size = sum(map(_size, data)) if isinstance(data, list) else _size(data)
        self._consumed += size  # a list, or not bytes: no line is judged ended
        self._log.append(raw_input_read(method, argument, size, available, False, where))
        returned = [data] if not isinstance(data, list) else data
        if any(type(piece) is not bytes for piece in returned):
            self._log.append(
                raw_server_observed("input-returned", f"{method}() gave {type(data).__name__}")
            )
        joined = (piece for piece in returned if type(piece) is bytes and _lines_in(piece) > 1)
        if method != "read" and (first := next(joined, None)) is not None:
            self._joined(method, first)

    def _joined(self, method: str, line: bytes) -> None:
        """A line read that holds more than one line (eventlet 0.41 iterates over its input
        by read(), the whole body one item: a probe trial of 2026-12-06)."""
        call = "an item of iteration" if method == "__next__" else f"a line of {method}()"
        self._log.append(
            raw_server_observed(
                "input-lines-joined",
                f"{call} held {_lines_in(line)} lines in {len(line)} bytes, {line[:30]!r}",
            )
        )

    def _call(self, method: str, args: tuple[Any, ...]) -> Any:
        """Call the server's ``method``; a raise is recorded (``"read(None): TypeError"``)."""
        self._available_before = self._available()
        try:
            return getattr(self._stream, method)(*args)
        except BaseException as exc:
            self._raised(method, args, exc)
            raise

    def _raised(self, method: str, args: tuple[Any, ...], exc: BaseException) -> None:
        call = f"{method}({safe_repr(args[0] if args else None)})"
        self._log.append(raw_server_observed("input-raised", f"{call}: {type(exc).__qualname__}"))

    def read(self, *args: Any) -> Any:
        # _call without its getattr: read() is the call nearly every app makes.
        self._available_before = self._available()
        try:
            data = self._stream.read(*args)
        except BaseException as exc:
            self._raised("read", args, exc)
            raise
        where = call_site()
        if type(data) is bytes:  # _record's common case, inline
            self._consumed += len(data)
            argument = args[0] if args else None
            available = self._available_before if data else self._left(data)
            self._log.append(raw_input_read("read", argument, len(data), available, False, where))
        else:
            self._record("read", args[0] if args else None, data, where)
        return data

    def readline(self, *args: Any) -> Any:
        data = self._call("readline", args)
        self._record("readline", args[0] if args else None, data, call_site())
        return data

    def readlines(self, *args: Any) -> Any:
        data = self._call("readlines", args)
        where = call_site()
        self._record("readlines", args[0] if args else None, list(data), where)
        return data

    def __iter__(self) -> Iterator[Any]:
        # The server's own iteration, not its readline(): a stream may stop read() and
        # readline() at CONTENT_LENGTH and still iterate on into the next request.
        try:
            lines = iter(self._stream)
        except TypeError:  # not iterable (ENV-INPUT-METHODS): its lines, as before
            lines = iter(self._stream.readline, b"")
        while True:
            self._available_before = self._available()
            line = next(lines, b"")
            self._record("__next__", None, line, call_site())
            if not line:
                return
            yield line


class ErrorsGuard(_ServerStreamGuard):
    """``wsgi.errors`` seen through the validator."""

    key = "wsgi.errors"

    def write(self, text: Any) -> Any:
        self._log.append(raw_errors_written("write", text))
        if type(text) is not str:
            self._invocation.judge_call()
        return self._call("write", text)

    def writelines(self, lines: Iterable[Any]) -> Any:
        items = list(lines)
        self._log.append(raw_errors_written("writelines", items))
        self._invocation.judge_call()
        return self._call("writelines", items)

    def _call(self, method: str, argument: Any) -> Any:
        """Pass a write on; a raise is recorded for SRV-ERRORS-UNICODE."""
        try:
            return getattr(self._stream, method)(argument)
        except BaseException as exc:
            self._log.append(
                raw_server_observed("errors-raised", f"{method}: {type(exc).__qualname__}")
            )
            raise

    def flush(self) -> Any:
        self._log.append(raw_errors_written("flush", None))
        return self._stream.flush()


def _size(data: object) -> int:
    """The length of what a read returned, whatever the server returned."""
    try:
        return len(data)  # type: ignore[arg-type]
    except TypeError:
        return 0
