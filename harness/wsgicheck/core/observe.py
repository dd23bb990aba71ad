"""Observing an application: the one place that records what it does into a trace.

Both ways wsgicheck watches an app go through here: its own core (the server of
:func:`~wsgicheck.core.invoke.run_app`, under :class:`~wsgicheck.Client` and the socket server) and
:func:`wsgicheck.validator` (middleware under somebody else's server). They differ in what
they do about a call (the core refuses a bad one, the validator passes it on to the server
and judges it); what they record of it, and how, is written once, here: the arguments of a
``start_response`` call (keywords too) and its ``exc_info``, what the app returned, an
exception that escaped it, a ``close()``, and where in the app's source each happened.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from types import CodeType, FrameType, GeneratorType, WrapperDescriptorType
from typing import Any

from ..model.events import (
    Location,
    RawEvent,
    is_library,
    raw_app_raised,
    raw_app_returned,
    raw_close_called,
    raw_start_response_called,
)
from ..model.locations import is_own, is_standard
from ..model.threads import own_thread
from ..model.untrusted import class_name, safe_repr, type_name
from .head import RefusedCall

__all__ = [
    "APP_STR_TIMEOUT",
    "START_RESPONSE_PARAMETERS",
    "bind_start_response",
    "caller",
    "describe",
    "exc_info_kind",
    "exception_message",
    "handling",
    "record_close",
    "record_raised",
    "record_return",
    "record_start_response",
    "reraise_interrupt",
    "yield_location",
]

#: The parameters of ``start_response``, in order (PEP 3333 has them passed positionally).
START_RESPONSE_PARAMETERS = ("status", "response_headers", "exc_info")


def yield_location(generator: Any) -> Location | None:
    """Where the innermost generator (following ``yield from``) is suspended.

    Only real generators are followed: what a generator delegates to may be any iterable of
    the app's, and a server may touch nothing of it but iteration (SRV-NO-OTHER-ITER-ATTRS).
    """
    while True:
        inner = generator.gi_yieldfrom
        if type(inner) is not GeneratorType or inner.gi_frame is None:
            break
        generator = inner
    frame = generator.gi_frame
    if frame is None:
        return None
    code = frame.f_code
    return _location((code.co_filename, frame.f_lineno, code.co_name))


def _location(where: tuple[str, int, str]) -> Location:
    """The :class:`Location` of a place, made once: an app records the same few lines on
    every request (a plain dict look-up costs less than making a NamedTuple each time)."""
    found = _LOCATIONS.get(where)
    if found is None:
        if len(_LOCATIONS) >= _LOCATIONS_KEPT:  # an app's places are few; the memory bounded
            _LOCATIONS.clear()
        found = _LOCATIONS[where] = Location(*where)
    return found


_LOCATIONS: dict[tuple[str, int, str], Location] = {}
_LOCATIONS_KEPT = 4096


def caller(frame: FrameType) -> Location:
    """Where ``frame`` is; if that is in a library (Werkzeug's ``Response.__call__`` calls
    ``start_response`` for a Flask app), the innermost frame of the user's code that led
    there (a middleware of theirs), when one is on the stack below the harness.

    For the user's own code this costs one cached look-up; a library's place with no user
    frame below it is resolved when a report is written
    (:func:`~wsgicheck.model.locations.user_location`).
    """
    return caller_and_via(frame)[0]


def call_site() -> Location | None:
    """:func:`caller`'s location of the code that called the function calling this one (a
    stream method's caller: the app's read); None where that call is its thread's first
    frame (a thread started on the method itself: a review of 2026-12-06)."""
    try:
        frame = sys._getframe(2)
    except ValueError:
        return None
    return caller(frame)


def caller_and_via(frame: FrameType) -> tuple[Location, Location | None]:
    """:func:`caller`'s location, and, when that is the user's line and the library
    function it called is a start_response of the library's own (``via``), that
    function's place: it passes on what it likes (Paste's TransLogger drops exc_info).
    A library function that takes the environ and start_response (Werkzeug's
    ``Response.__call__``) is the library answering, not a start_response: no ``via``."""
    code = frame.f_code
    if is_library(code.co_filename):
        called = frame  # the library frame the user's line called, once found
        outer = frame.f_back
        for _ in range(_STACK_WALK):
            if outer is None or is_own(outer.f_code.co_filename):
                break  # the harness called the app from here: nothing of the user's
            if not is_library(outer.f_code.co_filename):
                where = (outer.f_code.co_filename, outer.f_lineno, outer.f_code.co_name)
                via = None
                if _takes_start_response_arguments(called.f_code):
                    place = (called.f_code.co_filename, called.f_lineno, called.f_code.co_name)
                    via = _location(place)
                return _location(where), via
            called = outer
            outer = outer.f_back
    where = (code.co_filename, frame.f_lineno, code.co_name)
    return _LOCATIONS.get(where) or _location(where), None  # the look-up inline


def _takes_start_response_arguments(code: CodeType) -> bool:
    """Whether a function looks like a start_response: two positional parameters or more
    (``self`` aside), none of them the environ or a start_response of its own."""
    names = code.co_varnames[: code.co_argcount]
    if names[:1] in (("self",), ("cls",)):
        names = names[1:]
    return len(names) >= 2 and not {"environ", "start_response"} & set(names)


#: How many frames :func:`caller` looks through for the user's code (a deep framework).
_STACK_WALK = 64


def describe(exc: BaseException) -> tuple[str, str, Location | None]:
    """Type name, message and the innermost location of an exception in the user's code,
    or else in an installed package's (the framework's, or the app's own when it is
    installed: Isso's ``wsgi.py``, not the ``urllib`` it called), or else outside wsgicheck.

    The message is :func:`exception_message`'s, which a failing ``__str__`` cannot stop.
    """
    tb = exc.__traceback__
    where = package = user = None
    while tb is not None:
        code = tb.tb_frame.f_code
        file = code.co_filename
        if not is_own(file):
            where = Location(file, tb.tb_lineno, code.co_name)
            if not is_library(file):
                user = where
            elif not is_standard(file):
                package = where
        tb = tb.tb_next
    return class_name(type(exc)), exception_message(exc), user or package or where


#: Argument types whose text a built-in exception's ``__str__`` writes without running any
#: code of the app's (exact types only: a subclass may override ``__str__`` or ``__repr__``).
_PLAIN_ARGUMENTS = frozenset({str, bytes, int, float, bool, type(None)})


def exception_message(exc: BaseException) -> str:
    """The message of an exception the app raised or passed, as one ``str``.

    A built-in ``__str__`` over plain arguments is called (it runs none of the app's code);
    over other arguments (a ``str`` subclass whose ``__str__`` raises, say) it is not, and
    the arguments are written by :func:`~wsgicheck.model.untrusted.safe_repr`. An exception class
    of the app's own that defines ``__str__`` is asked for its message, as any server's
    error log would ask: if that raises, the message says so, and if it has not returned
    within :data:`APP_STR_TIMEOUT` it is left running in a thread of its own and the message
    says that instead, so no ``__str__`` can hang the core, ``Client`` or ``validator``.
    """
    kind = type(exc)
    args = _ARGS.__get__(exc)
    if _builtin_str(kind):
        if not all(type(arg) in _PLAIN_ARGUMENTS for arg in args):
            return safe_repr(args[0] if len(args) == 1 else args)
        return str(exc)  # Python's own __str__ over plain values: no code of the app's
    answer: list[object] = []

    def ask() -> None:
        try:
            answer.append(str(exc))
        except BaseException as failed:
            answer.append(failed)

    asking = own_thread("exception-str", ask)
    asking.start()
    asking.join(APP_STR_TIMEOUT)
    if not answer:
        return f"<str() of it did not return within {APP_STR_TIMEOUT:g} s>"
    message = answer[0]
    if isinstance(message, BaseException):
        return f"<str() of it raised {type_name(message)}>"
    return message if type(message) is str else safe_repr(args)


#: How long an exception class of the app's own may take to give its message.
APP_STR_TIMEOUT = 2.0


_ARGS = BaseException.__dict__["args"]


def _builtin_str(kind: type) -> bool:
    """Whether ``kind``'s ``__str__`` is one of Python's own (C code), not the app's."""
    for klass in type.__dict__["__mro__"].__get__(kind):
        found = type.__dict__["__dict__"].__get__(klass).get("__str__")
        if found is not None:
            return type(found) is WrapperDescriptorType
    return True  # pragma: no cover - object defines __str__


def exc_info_kind(exc_info: object) -> tuple[str, str | None]:
    """How ``start_response`` was given ``exc_info`` (see
    :attr:`~wsgicheck.model.events.StartResponseCalled.exc_info_kind`), and a short description."""
    if exc_info is None:
        return "absent", None
    if isinstance(exc_info, tuple):
        items = tuple.__getitem__(exc_info, slice(None))  # a subclass's own methods never run
        if len(items) == 3:
            kind, value, tb = items
            if kind is None and value is None and tb is None:
                return "empty", None
            if isinstance(value, BaseException) and isinstance(kind, type):
                return "exception", f"{class_name(kind)}: {exception_message(value)}"
    return "malformed", safe_repr(exc_info, limit=200)


def handling(outer: BaseException | None = None) -> str | None:
    """The type of the exception the caller is handling, if it called from an except block;
    None for ``outer``, the one being handled where the app was called (a middleware's
    fallback to an error page, a test calling a client in an except block): not the app's."""
    exc = sys.exc_info()[1]
    if exc is None or exc is outer:
        return None
    if type(exc) is RefusedCall:  # the harness's own, which a message must not pass as the app's
        return f"the RefusedCall start_response raised (its call broke {exc.rule})"
    return type(exc).__qualname__


def bind_start_response(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any, bool]:
    """The status, headers and ``exc_info`` of a ``start_response`` call, bound as Python
    would bind them to ``(status, response_headers, exc_info=None)`` (keywords too), and
    whether that binding succeeds (no fourth argument, no unknown keyword, none missing).
    What cannot be bound is None."""
    if not kwargs and 2 <= len(args) <= 3:  # the usual call
        return args[0], args[1], args[2] if len(args) == 3 else None, True
    params = dict(zip(START_RESPONSE_PARAMETERS, args, strict=False))
    params.update(kwargs)
    bound = (
        len(args) <= 3
        and set(params) <= set(START_RESPONSE_PARAMETERS)
        and "status" in params
        and "response_headers" in params
    )
    return params.get("status"), params.get("response_headers"), params.get("exc_info"), bound


def record_start_response(
    log: list[RawEvent],
    frame: FrameType,
    status: Any,
    headers: Any,
    exc_info: Any,
    positional: int,
    keywords: tuple[str, ...],
    headers_sent: bool,
    outer: BaseException | None,
) -> str:
    """Record a ``start_response`` call made from ``frame``; return its ``exc_info`` kind.

    ``headers`` is recorded as it is at the call: a list is copied, since the app may
    change its own list afterwards (static3 appends to a default argument's list on each
    request) and a server may change the one it was given (PEP 3333 lets it). ``outer`` is
    the exception being handled where the app was called, if any (see :func:`handling`).
    """
    kind, summary = ("absent", None) if exc_info is None else exc_info_kind(exc_info)
    where, via = caller_and_via(frame)
    log.append(
        raw_start_response_called(
            status,
            list(headers) if type(headers) is list else headers,
            summary,
            kind,
            positional,
            keywords,
            headers_sent,
            where,
            handling(outer),
            via,
        )
    )
    return kind


def record_raised(log: list[RawEvent], exc: BaseException, phase: str, headers_sent: bool) -> None:
    """Record an exception that escaped the app in ``phase`` (see :class:`AppRaised`)."""
    kind, message, where = describe(exc)
    log.append(raw_app_raised(phase, kind, message, where, headers_sent))


#: What a ``len()`` of the app's iterable raises to say it has none (as wsgiref reads it).
NO_LENGTH = (TypeError, AttributeError, NotImplementedError)


def record_return(
    log: list[RawEvent],
    result: Any,
    where: Location | None,
    failed: Callable[[BaseException, str], None],
) -> tuple[int | None, Callable[[], object] | None, bool, bool]:
    """Record what the app returned; return its ``len()`` (None if it has none), its
    ``close`` (None if none), whether it is iterable and whether it is a file object.

    Only what a server may ask of the object is asked: its ``len()`` and its ``close``
    attribute. Either may run code of the app's that raises: ``failed`` is told the
    exception and which (``"len"``, ``"close"``), and may raise it on. A ``len()`` that
    raises TypeError, AttributeError or NotImplementedError is no length, not an error:
    PEP 3333 asks a length to be accurate only "if a call to len(iterable) succeeds", and
    wsgiref's handler reads those three so (a proxy such as ``wrapt.ObjectProxy``, round an
    iterator in ddtrace's middleware, has ``__len__`` on its type and none behind it).
    """
    kind = type(result)
    if kind is list:  # the common answer: nothing of the app's to run
        log.append(raw_app_returned("list", len(result), False, True, where, False))
        return len(result), None, True, False
    length = None
    if hasattr(kind, "__len__"):
        try:
            length = len(result)
        except NO_LENGTH:
            length = None
        except BaseException as exc:
            failed(exc, "len")
    try:
        close = getattr(result, "close", None)
    except BaseException as exc:  # a __getattr__ of the app's that raises
        failed(exc, "close")
        close = None
    iterable = hasattr(kind, "__iter__") or hasattr(kind, "__getitem__")
    is_file = isinstance(result, io.IOBase) and _iterates_as_a_file(kind)
    log.append(raw_app_returned(kind.__name__, length, close is not None, iterable, where, is_file))
    return length, close, iterable, is_file


#: The modules of the standard library's file classes (the C ones, and their Python twins).
_IO_MODULES = frozenset({"io", "_io", "_pyio"})


def _iterates_as_a_file(kind: type) -> bool:
    """Whether a file class iterates as the standard library's files do, by lines: one of
    the app's own that defines ``__iter__`` or ``__next__`` is the "application-specific
    file wrapper class" PEP 3333 offers beside ``wsgi.file_wrapper`` (Zope's
    ``filestream_iterator``, an ``io.FileIO`` that yields 64 KiB blocks)."""
    for name in ("__iter__", "__next__"):
        owner = next((each for each in kind.__mro__ if name in vars(each)), None)
        if owner is not None and owner.__module__ not in _IO_MODULES:
            return False
    return True


def record_close(
    log: list[RawEvent], close: Callable[[], object], headers_sent: bool
) -> BaseException | None:
    """Call the iterable's ``close`` and record it; return what it raised (recorded too, as
    an :class:`AppRaised` of phase ``"close"``), or None."""
    try:
        close()
    except BaseException as exc:
        kind, message, where = describe(exc)
        log.append(raw_close_called(f"{kind}: {message}"))
        log.append(raw_app_raised("close", kind, message, where, headers_sent))
        return exc
    log.append(_CLOSED)
    return None


#: The record of a ``close()`` that returned (events are immutable: made once).
_CLOSED = raw_close_called(None)


def reraise_interrupt(exc: BaseException | None) -> None:
    """Ctrl-C in the main thread is the user's, not the app's: let it through."""
    if isinstance(exc, KeyboardInterrupt) and threading.current_thread() is (
        threading.main_thread()
    ):
        raise exc
