"""The trace: small immutable records of what an application did during one exchange.

The core observes the application through guard proxies and appends one record per thing it
did: ``start_response`` called with these arguments from this line, a block yielded, ``write``
called, ``close`` called, ``wsgi.input`` read, ``wsgi.errors`` written. Rules judge the trace
afterwards; nothing here decides whether an event is a violation.

Recording happens on every request, so it has to be cheap, and a field added to an event
has to be checked everywhere one is recorded. Each event is a :class:`~typing.NamedTuple`;
what the core appends is its raw record, the plain tuple ``(EventClass, *fields)``, made by
the event's typed maker (``raw_yielded(value, where)`` for :class:`Yielded`: the class's own
parameters, so mypy checks every field at every call, at the cost of a plain tuple).
:class:`Trace` makes the events from the records when somebody reads them. Two events of
different kinds are never equal, whatever their fields (:func:`_event`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple, ParamSpec, TypeAlias, TypeVar, overload

from .locations import Location, caller_location, is_library
from .untrusted import safe_repr

__all__ = [
    "BLOCK_PREFIX",
    "BODY_UNFINISHED",
    "DROPPED",
    "EVENT_KINDS",
    "HELD_AT_EXIT",
    "AppRaised",
    "AppReturned",
    "BodyLimitReached",
    "BodyShort",
    "BodyTruncated",
    "ClientGone",
    "CloseCalled",
    "ErrorsWritten",
    "Event",
    "Exhausted",
    "FileWrapperCalled",
    "HeadersSent",
    "InputRead",
    "Location",
    "RawEvent",
    "Refused",
    "ServerObserved",
    "StartResponseCalled",
    "StreamMisuse",
    "TimedOut",
    "Trace",
    "WriteCalled",
    "Yielded",
    "block_size",
    "caller_location",
    "is_library",
    "raw_app_raised",
    "raw_app_returned",
    "raw_body_limit_reached",
    "raw_body_short",
    "raw_body_truncated",
    "raw_client_gone",
    "raw_close_called",
    "raw_errors_written",
    "raw_event",
    "raw_exhausted",
    "raw_file_wrapper_called",
    "raw_headers_sent",
    "raw_input_read",
    "raw_refused",
    "raw_server_observed",
    "raw_start_response_called",
    "raw_stream_misuse",
    "raw_timed_out",
    "raw_write_called",
    "raw_yielded",
]


#: Bytes of a body block a trace keeps once past its capture limit (with the block's size):
#: enough to recognise the block, never the whole of a long body.
BLOCK_PREFIX = 64


def _field_repr(value: object) -> str:
    return repr(value) if type(value) is Location else safe_repr(value)


_T = TypeVar("_T", bound=type)


def _event(kind: _T) -> _T:
    """Make a NamedTuple class an event: equal only to an event of its own kind with equal
    fields (a tuple would equal any tuple of the same values), hashed likewise, and shown
    by :func:`~wsgicheck.model.untrusted.safe_repr`, which runs none of the app's code."""

    def __eq__(self: tuple[object, ...], other: object) -> bool:
        return type(other) is type(self) and tuple.__eq__(self, other)

    def __ne__(self: tuple[object, ...], other: object) -> bool:
        return not __eq__(self, other)

    def __hash__(self: tuple[object, ...]) -> int:
        return hash((type(self), tuple(self)))

    def __repr__(self: tuple[object, ...]) -> str:
        # The fields hold the app's own objects (a str subclass whose __repr__ raises or
        # hangs, say): each is shown by safe_repr.
        names: tuple[str, ...] = type(self)._fields  # type: ignore[attr-defined]
        shown = ", ".join(
            f"{name}={_field_repr(value)}" for name, value in zip(names, self, strict=True)
        )
        return f"{type(self).__name__}({shown})"

    for method in (__eq__, __ne__, __hash__, __repr__):
        setattr(kind, method.__name__, method)
    return kind


@_event
class StartResponseCalled(NamedTuple):
    """The application called ``start_response``; arguments recorded as given."""

    status: object
    headers: object
    #: ``None`` when no exc_info was passed (or it was ``None``), else a short description.
    exc_info: str | None
    #: ``"absent"``, ``"exception"`` (a real ``sys.exc_info()`` triple), ``"empty"`` (the
    #: ``(None, None, None)`` triple) or ``"malformed"`` (anything else). The triple itself is
    #: not kept: holding a traceback would create the reference cycle PEP 3333 warns about.
    exc_info_kind: str
    #: How many positional arguments were passed, and the names of any keyword arguments.
    positional: int
    keywords: tuple[str, ...]
    #: Whether a response head had already gone to the client when this call was made.
    headers_sent: bool
    where: Location | None
    #: The type of the exception being handled where the call was made (it was made from
    #: an ``except`` block), or None.
    handling: str | None = None
    #: When ``where`` is the user's line and a library's function made the call from it (a
    #: middleware's own start_response), that library frame's place; else None.
    via: Location | None = None


@_event
class Refused(NamedTuple):
    """The server raised from ``start_response`` or ``write`` because the call was invalid."""

    callable: str
    message: str
    #: Id of the PEP 3333 rule the call broke.
    rule: str


@_event
class AppReturned(NamedTuple):
    """The application callable returned; what kind of object came back."""

    type_name: str
    #: ``len(result)`` if the object supports it (and it did not raise), else ``None``.
    length: int | None
    has_close: bool
    iterable: bool
    where: Location | None
    #: Whether it is a file object (``io.IOBase``), which PEP 3333 advises against returning.
    is_file: bool = False


@_event
class AppRaised(NamedTuple):
    """An exception escaped the application: from the call, the iteration, or ``close()``."""

    phase: str
    exc_type: str
    message: str
    where: Location | None
    #: Whether a response head had already gone to the client.
    headers_sent: bool


@_event
class Yielded(NamedTuple):
    """The returned iterable produced one block (the object itself, bytes or not).

    A trace may keep only the first :data:`BLOCK_PREFIX` bytes of a bytes block (the socket
    server and :func:`wsgicheck.validator` keep whole blocks only up to a capture limit, so
    a long body costs no memory): ``size`` is then the block's length, and the response
    record's ``body_digest`` stands for the whole body. :func:`block_size` reads either.
    """

    value: object
    where: Location | None
    #: The block's length when ``value`` is only its prefix, else None.
    size: int | None = None


@_event
class Exhausted(NamedTuple):
    """The returned iterable ran to its end (the server took every block)."""


#: How a ``never-closed`` observation says the server left the app's iterable unclosed: it
#: let the iterable go, or its process was exiting and still held it (the probe app judges
#: those as its server exits: Twisted's log can keep the iterable alive to the end).
DROPPED = "dropped"
HELD_AT_EXIT = "held at exit"
#: The :class:`ServerObserved` of a request body that did not arrive whole.
BODY_UNFINISHED = "body-unfinished"


@_event
class ServerObserved(NamedTuple):
    """Something a server did, seen from inside by :func:`wsgicheck.validator`.

    ``what`` names the observation, ``detail`` says what was seen:

    * ``start_response-returned`` (``"callable"`` or the type returned),
      ``start_response-raised`` (the exception type), and after a raise for a real
      ``exc_info``, ``exc_info-reraised`` (``"original"`` or ``"another"``). Each follows the
      :class:`StartResponseCalled` it answers. wsgicheck's own core records the raise for a
      late ``exc_info`` the same way; its other refusals are :class:`Refused` events.
    * ``write-raised``, ``errors-raised`` (``"write: UnicodeEncodeError"``), ``input-raised``
      (``"read(None): TypeError"``; wsgicheck's own ``wsgi.input`` records it too when its
      body source fails: a malformed body, a client gone), ``input-returned`` (a read gave
      something not bytes), ``input-lines-joined`` (a line read, of ``readline``,
      ``readlines`` or iteration, held a line break before its end: more than one line).
    * ``app-called`` (the server called the app with keywords), ``iterable-attribute`` (it
      reached for another attribute of the app's iterable), ``iterator-attribute`` (it reached
      for an attribute of the iterator ``iter()`` gave, which is not the iterable: the
      ``close`` it owes the iterable, say), ``never-closed`` (:data:`DROPPED` or
      :data:`HELD_AT_EXIT`), and beside it ``never-closed-after`` (the rule of the
      validator's violation the iteration had raised to the server, which then let go).
    * ``file-wrapper-returned``, ``file-wrapper-not-iterable``, ``file-wrapper-no-close``.
    * ``body-error-answered`` (the status): wsgicheck's socket server found the request body
      malformed or too large while the app read it, and sent that 400 or 413 instead of
      the app's answer.
    * :data:`BODY_UNFINISHED` (how many bytes did arrive): wsgicheck's socket server did
      not get the whole request body: the client closed or stalled, a chunk was malformed,
      or the body passed the size limit.
    * Seen from outside by a probe's client, and added to the probe app's record:
      ``no-answer`` (a wait that ended with nothing read and the connection still open:
      the client was left hanging), ``input-lines-changed`` (the lines the app read
      from ``wsgi.input`` are not the body the client sent) and ``no-end-kept-open`` (a
      body with no Content-Length and no chunks, whose end is the close, and the server
      kept the connection open: the client's read for the end ran out of time).
    """

    what: str
    detail: str


@_event
class WriteCalled(NamedTuple):
    """The application called the ``write`` callable returned by ``start_response``."""

    value: object
    where: Location | None
    #: True when called after the application callable had returned (from the iterable).
    during_iteration: bool
    #: The data's length when ``value`` is only its prefix, as for :class:`Yielded`.
    size: int | None = None


@_event
class HeadersSent(NamedTuple):
    """The response head went out: the status and header fields the client receives."""

    status: str
    headers: tuple[tuple[str, str], ...]


@_event
class CloseCalled(NamedTuple):
    """The server called the iterable's ``close()``; ``error`` is set if it raised."""

    error: str | None


@_event
class InputRead(NamedTuple):
    """The application read ``wsgi.input`` by ``method`` with ``argument``."""

    method: str
    #: The size or hint the application passed (``None`` when it passed none).
    argument: object
    #: Bytes returned by this call (for ``readlines``, in all lines together).
    size: int
    #: Body bytes still unread when the call was made; ``None`` when the length is unknown
    #: (a chunked body not yet read to its end).
    available: int | None
    #: Whether a line read (``readline``, iteration) returned bytes that end with a line
    #: break: it stopped at the end of a line, where a raw socket would stop too.
    ended_line: bool = False
    #: The line of the app's (or of the library it called) that read: where a finding on
    #: the read points.
    where: Location | None = None


@_event
class ErrorsWritten(NamedTuple):
    """The application called ``write``, ``writelines`` or ``flush`` on ``wsgi.errors``."""

    method: str
    value: object


@_event
class StreamMisuse(NamedTuple):
    """The application reached for an attribute PEP 3333 does not give a stream."""

    stream: str
    attribute: str


@_event
class FileWrapperCalled(NamedTuple):
    """The application called ``wsgi.file_wrapper``."""

    filelike_type: str
    has_read: bool
    block_size: object
    where: Location | None


@_event
class BodyTruncated(NamedTuple):
    """The application produced more than its Content-Length; the excess was not sent."""

    declared: int
    produced: int


@_event
class BodyShort(NamedTuple):
    """The body ended before the Content-Length the application declared."""

    declared: int
    sent: int


@_event
class BodyLimitReached(NamedTuple):
    """The server stopped reading an application body at its configured size limit."""

    limit: int


@_event
class TimedOut(NamedTuple):
    """The application ran past the server's per-exchange time limit; the server answered."""

    limit: float
    #: Whether the response head had gone out (then the response was aborted, else a 500).
    headers_sent: bool


@_event
class ClientGone(NamedTuple):
    """The client went away while the response was being sent."""

    message: str


#: Any trace event (``isinstance(x, Event)`` asks whether ``x`` is one).
Event: TypeAlias = (
    StartResponseCalled
    | Refused
    | AppReturned
    | AppRaised
    | Yielded
    | Exhausted
    | ServerObserved
    | WriteCalled
    | HeadersSent
    | CloseCalled
    | InputRead
    | ErrorsWritten
    | StreamMisuse
    | FileWrapperCalled
    | BodyTruncated
    | BodyShort
    | BodyLimitReached
    | TimedOut
    | ClientGone
)

#: The event kinds, each once.
EVENT_KINDS: tuple[type[Event], ...] = Event.__args__


def block_size(event: Yielded | WriteCalled) -> int:
    """The length of the bytes block a :class:`Yielded` or :class:`WriteCalled` records."""
    if event.size is not None:
        return event.size
    value = event.value
    if isinstance(value, bytes):  # bytes' own length: a subclass's __len__ is the app's code
        return bytes.__len__(value)
    return len(value)  # type: ignore[arg-type]


E = TypeVar("E", bound=Event)
P = ParamSpec("P")

#: What the core appends: the event class followed by its field values, in field order.
RawEvent = tuple[Any, ...]


def raw_event(event: Event) -> RawEvent:
    """An event back as the core records it: its class, then its fields in order."""
    return (type(event), *event)


def _maker(kind: Callable[P, Event]) -> Callable[P, RawEvent]:
    """The typed maker of ``kind``'s raw records: a function with the event's own parameters
    (names, order, defaults) that returns ``(kind, *fields)``. A plain Python function, so a
    call costs about what building the tuple by hand does; mypy checks it as the class."""
    event: Any = kind
    names: tuple[str, ...] = event._fields
    defaults: dict[str, object] = event._field_defaults
    parameters = ", ".join(f"{name}=_{name}" if name in defaults else name for name in names)
    fields = "".join(f" {name}," for name in names)
    namespace: dict[str, object] = {"_kind": event, **{f"_{k}": v for k, v in defaults.items()}}
    exec(f"def raw_{event.__name__}({parameters}):\n    return (_kind,{fields})\n", namespace)
    made = namespace[f"raw_{event.__name__}"]
    return made  # type: ignore[return-value]


raw_start_response_called = _maker(StartResponseCalled)
raw_refused = _maker(Refused)
raw_app_returned = _maker(AppReturned)
raw_app_raised = _maker(AppRaised)
raw_yielded = _maker(Yielded)
raw_exhausted = _maker(Exhausted)
raw_server_observed = _maker(ServerObserved)
raw_write_called = _maker(WriteCalled)
raw_headers_sent = _maker(HeadersSent)
raw_close_called = _maker(CloseCalled)
raw_input_read = _maker(InputRead)
raw_errors_written = _maker(ErrorsWritten)
raw_stream_misuse = _maker(StreamMisuse)
raw_file_wrapper_called = _maker(FileWrapperCalled)
raw_body_truncated = _maker(BodyTruncated)
raw_body_short = _maker(BodyShort)
raw_body_limit_reached = _maker(BodyLimitReached)
raw_timed_out = _maker(TimedOut)
raw_client_gone = _maker(ClientGone)


class Trace(Sequence[Event]):
    """The ordered events of one exchange, made from the raw records as they are read (the
    list of records may still grow while the app runs in another thread)."""

    __slots__ = ("_events", "_raw")

    def __init__(self, raw: list[RawEvent]) -> None:
        self._raw = raw
        self._events: list[Event] = []

    @classmethod
    def of_events(cls, events: Iterable[Event]) -> Trace:
        """A trace of events already made (for tests and for traces read back from JSON)."""
        built = list(events)
        trace = cls([raw_event(event) for event in built])
        trace._events = built
        return trace

    @property
    def records(self) -> list[RawEvent]:
        """The raw records the events are made from: each event's class, then its fields."""
        return self._raw

    def _built(self) -> list[Event]:
        built = self._events
        if len(built) < len(self._raw):  # records appended since: make their events once
            built.extend(record[0](*record[1:]) for record in self._raw[len(built) :])
        return built

    @property
    def events(self) -> tuple[Event, ...]:
        return tuple(self._built())

    def upto(self, length: int) -> tuple[Event, ...]:
        """The first ``length`` events (those there were when a reader took its count)."""
        return self.events[:length]

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Event]: ...
    def __getitem__(self, index: int | slice) -> Event | Sequence[Event]:
        if isinstance(index, slice):
            return tuple(self._built()[index])
        return self._built()[index]

    def __len__(self) -> int:
        return len(self._raw)

    def __iter__(self) -> Iterator[Event]:
        return iter(self.events)

    def of(self, kind: type[E]) -> list[E]:
        """The events of one type, in order."""
        return [event for event in self._built() if type(event) is kind]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trace):
            return self.events == other.events
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Trace({list(self.events)!r})"
