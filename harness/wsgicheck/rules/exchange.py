"""What a rule sees: one exchange, with its trace sorted into the evidence rules ask for.

An :class:`Exchange` wraps a :class:`~wsgicheck.response.Response` record (the request, the
environ the server built, the trace, the response on the wire) and reads the trace once,
so that each rule asks a question instead of scanning events.

``source`` says where the evidence comes from: ``"memory"`` and ``"socket"`` are
wsgicheck's own transports, ``"validator"`` is :func:`wsgicheck.validator` wrapping an app
under somebody else's server (the response is then what the app produced, not what went
on the wire, and the server's side is that other server).
"""

from __future__ import annotations

from typing import Any

from ..events import (
    AppRaised,
    AppReturned,
    BodyLimitReached,
    BodyShort,
    BodyTruncated,
    ClientGone,
    CloseCalled,
    ErrorsWritten,
    Event,
    Exhausted,
    FileWrapperCalled,
    HeadersSent,
    InputRead,
    Refused,
    ServerObserved,
    StartResponseCalled,
    StreamMisuse,
    TimedOut,
    WriteCalled,
    Yielded,
    block_size,
)
from ..request import Request
from ..response import Response

__all__ = ["SOURCES", "Exchange"]

SOURCES = ("memory", "socket", "validator", "probe")


class Exchange:
    """One request and everything observed while answering it."""

    def __init__(
        self,
        response: Response,
        *,
        source: str = "memory",
        environ_type: type | None = None,
        previous: Exchange | None = None,
        history: tuple[Exchange, ...] = (),
        extra: dict[str, Any] | None = None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source: one of {SOURCES}, not {source!r}")
        self.response = response
        self.source = source
        self.request: Request = response.request
        #: The environ the server built (None when it refused the request itself).
        self.environ = response.environ
        #: The type of the environ object the app received (a dict for wsgicheck's servers).
        self.environ_type = environ_type if environ_type is not None else dict
        #: An earlier exchange of the same request, when the runner replayed it.
        self.previous = previous
        #: The exchanges the same app answered before this one, oldest first, that rules
        #: over a sequence (HEAD after GET, a conditional GET after the GET that taught the
        #: validator: :mod:`wsgicheck.rules.http_pairs`) compare it with.
        self.history = history
        #: Evidence gathered outside the trace (the validator's view of a foreign server).
        self.extra: dict[str, Any] = extra or {}
        self.events: tuple[Event, ...] = tuple(response.trace)
        self.start_calls: list[StartResponseCalled] = []
        self.refused: list[Refused] = []
        self.returned: AppReturned | None = None
        self.raised: list[AppRaised] = []
        self.yields: list[Yielded] = []
        self.writes: list[WriteCalled] = []
        self.closes: list[CloseCalled] = []
        self.input_reads: list[InputRead] = []
        self.errors_writes: list[ErrorsWritten] = []
        self.misuse: list[StreamMisuse] = []
        self.file_wrapper_calls: list[FileWrapperCalled] = []
        self.headers_sent: HeadersSent | None = None
        self.truncated: BodyTruncated | None = None
        self.short: BodyShort | None = None
        self.observed: list[ServerObserved] = []
        self.exhausted = False
        self.limit_reached = False
        self.client_gone = False
        self.timed_out = False
        for event in self.events:
            kind = type(event)
            if kind is StartResponseCalled:
                self.start_calls.append(event)  # type: ignore[arg-type]
            elif kind is Yielded:
                self.yields.append(event)  # type: ignore[arg-type]
            elif kind is WriteCalled:
                self.writes.append(event)  # type: ignore[arg-type]
            elif kind is Refused:
                self.refused.append(event)  # type: ignore[arg-type]
            elif kind is AppReturned:
                self.returned = event  # type: ignore[assignment]
            elif kind is AppRaised:
                self.raised.append(event)  # type: ignore[arg-type]
            elif kind is CloseCalled:
                self.closes.append(event)  # type: ignore[arg-type]
            elif kind is InputRead:
                self.input_reads.append(event)  # type: ignore[arg-type]
            elif kind is ErrorsWritten:
                self.errors_writes.append(event)  # type: ignore[arg-type]
            elif kind is StreamMisuse:
                self.misuse.append(event)  # type: ignore[arg-type]
            elif kind is FileWrapperCalled:
                self.file_wrapper_calls.append(event)  # type: ignore[arg-type]
            elif kind is HeadersSent:
                self.headers_sent = event  # type: ignore[assignment]
            elif kind is BodyTruncated:
                self.truncated = event  # type: ignore[assignment]
            elif kind is BodyShort:
                self.short = event  # type: ignore[assignment]
            elif kind is BodyLimitReached:
                self.limit_reached = True
            elif kind is ClientGone:
                self.client_gone = True
            elif kind is TimedOut:
                self.timed_out = True
            elif kind is Exhausted:
                self.exhausted = True
            elif kind is ServerObserved:
                self.observed.append(event)  # type: ignore[arg-type]

    # -- questions rules ask -----------------------------------------------------------------

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def app_ran(self) -> bool:
        """Whether the application was called at all (the server may refuse a request)."""
        return self.environ is not None

    def refusals(self, rule_id: str) -> list[Refused]:
        """The server's refusals of the app's calls that name ``rule_id``."""
        return [event for event in self.refused if event.rule == rule_id]

    def body_blocks(self) -> list[tuple[Yielded | WriteCalled, bytes]]:
        """The non-empty bytes blocks the app produced, yielded or written, in order.

        A trace may keep a block as its first byte only: its length is ``block_size(event)``.
        """
        blocks: list[tuple[Yielded | WriteCalled, bytes]] = []
        for event in self.events:
            if isinstance(event, Yielded | WriteCalled):
                value = event.value
                if type(value) is bytes and value:
                    blocks.append((event, value))
        return blocks

    def response_header(self, name: str) -> str | None:
        """The first value of ``name`` in the response as the client got it."""
        return self.response.header(name)

    @property
    def iteration_finished(self) -> bool:
        """Whether the whole iterable was consumed and nothing went wrong on the way."""
        return self.exhausted and not self.raised and not self.refused and not self.timed_out

    @property
    def accepted_call(self) -> StartResponseCalled | None:
        """The last start_response call the server accepted (its status went out)."""
        accepted = last = None
        for event in self.events:
            if isinstance(event, StartResponseCalled):
                if last is not None:
                    accepted = last
                last = event
            elif isinstance(event, Refused) and event.callable == "start_response":
                last = None  # a refusal is recorded right after the call it refuses
        return last if last is not None else accepted

    def observations(self, what: str) -> list[ServerObserved]:
        """What :func:`wsgicheck.validator` saw the server do, of one kind."""
        return [event for event in self.observed if event.what == what]

    @property
    def declared_length(self) -> int | None:
        """The Content-Length the app declared in its final start_response call."""
        call = self.accepted_call
        if call is None or not isinstance(call.headers, list | tuple):
            return None
        for item in call.headers:
            if (
                isinstance(item, tuple)
                and len(item) == 2
                and isinstance(item[0], str)
                and item[0].lower() == "content-length"
                and isinstance(item[1], str)
                and item[1].strip().isdigit()
            ):
                return int(item[1])
        return None

    @property
    def produced(self) -> int:
        """Body bytes the app produced (yielded and written)."""
        return sum(block_size(event) for event, _ in self.body_blocks())
