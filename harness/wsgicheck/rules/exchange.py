"""What a rule sees: one exchange, with its trace sorted into the evidence rules ask for.

An :class:`Exchange` wraps a :class:`~wsgicheck.model.response.Response` record (the request, the
environ the server built, the trace, the response on the wire) and reads the trace once,
so that each rule asks a question instead of scanning events.

:attr:`Exchange.evidence` names what the exchange holds, from the list :data:`EVIDENCE`
(rules declare what they need from it, and the engine asks only the rules whose evidence is
there); facts several rules read are computed once and kept (:attr:`Exchange.facts`).

``source`` says where the evidence comes from: ``"memory"`` and ``"socket"`` are
wsgicheck's own transports, ``"validator"`` is :func:`wsgicheck.validator` wrapping an app
under somebody else's server (the response is then what the app produced, not what went
on the wire, and the server's side is that other server).
"""

from __future__ import annotations

from typing import Any

from ..core.head import Problem, head_problems
from ..model.events import (
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
from ..model.extra import NOTHING, Extra
from ..model.grammar import decimal
from ..model.request import Framing, Request
from ..model.response import Response
from . import views as _views
from .evidence_names import EVIDENCE, EVIDENCE_PREFIXES
from .views import environ_items, raw_view

__all__ = [
    "EVIDENCE",
    "EVIDENCE_PREFIXES",
    "SOURCES",
    "Exchange",
    "environ_items",
    "environ_of",
    "raw_view",
]

SOURCES = ("memory", "socket", "validator", "probe")


_KIND_EVIDENCE: dict[type[Event], str] = {
    StartResponseCalled: "start_response",
    Refused: "refused",
    AppReturned: "returned",
    AppRaised: "raised",
    Yielded: "yield",
    WriteCalled: "write",
    CloseCalled: "close",
    InputRead: "input",
    ErrorsWritten: "errors",
    StreamMisuse: "misuse",
    FileWrapperCalled: "file_wrapper",
    HeadersSent: "headers_sent",
    BodyTruncated: "truncated",
    BodyShort: "short",
    BodyLimitReached: "limit",
    ClientGone: "client_gone",
    TimedOut: "timed_out",
    Exhausted: "exhausted",
    ServerObserved: "observed",
}
#: How :meth:`Exchange._sort` files each kind of event: in a list (in order), as the last
#: event of its kind (or None), or as a flag (whether there is one).
_LISTS: dict[type, str] = {
    StartResponseCalled: "start_calls",
    Refused: "refused",
    AppRaised: "raised",
    Yielded: "yields",
    WriteCalled: "writes",
    CloseCalled: "closes",
    InputRead: "input_reads",
    ErrorsWritten: "errors_writes",
    StreamMisuse: "misuse",
    FileWrapperCalled: "file_wrapper_calls",
    ServerObserved: "observed",
}
_LAST: dict[type, str] = {
    AppReturned: "returned",
    HeadersSent: "headers_sent",
    BodyTruncated: "truncated",
    BodyShort: "short",
}
_FLAGS: dict[type, str] = {
    BodyLimitReached: "limit_reached",
    ClientGone: "client_gone",
    TimedOut: "timed_out",
    Exhausted: "exhausted",
}
_OWN_SOURCES = ("memory", "socket")


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
        extra: Extra | None = None,
        view: tuple[Any, ...] | None = None,
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
        #: Facts several rules read, computed by the first that asks (see server_evidence).
        self.facts: dict[str, Any] = {}
        if view is not None:
            # A raw view (:func:`raw_view`) the maker worked out: it stands for the record
            # view, and is remembered under it (no record view equals a raw one).
            self.facts["record_view"] = view
        self._history = history
        #: Facts that depend on the history too (the rules over a sequence): dropped when
        #: the history is replaced.
        self.sequence_facts: dict[str, Any] = {}
        #: Evidence gathered outside the trace (:mod:`wsgicheck.model.extra`).
        self.extra: Extra = extra if extra is not None else NOTHING
        self._evidence: frozenset[str] | None = None
        self._problems: list[list[Problem]] | None = None
        # The trace is sorted into the attributes below when one is first read (see
        # _Sorted): an exchange judged from the memo never builds its events.
        self._length = len(response.trace)

    #: What reading any of these sorts the trace (:meth:`_sort`; see :class:`_Sorted`).
    _SORTED = frozenset({*_LISTS.values(), *_LAST.values(), *_FLAGS.values(), "events", "_kinds"})
    events: tuple[Event, ...]
    start_calls: list[StartResponseCalled]
    refused: list[Refused]
    returned: AppReturned | None
    raised: list[AppRaised]
    yields: list[Yielded]
    writes: list[WriteCalled]
    closes: list[CloseCalled]
    input_reads: list[InputRead]
    errors_writes: list[ErrorsWritten]
    misuse: list[StreamMisuse]
    file_wrapper_calls: list[FileWrapperCalled]
    headers_sent: HeadersSent | None
    truncated: BodyTruncated | None
    short: BodyShort | None
    observed: list[ServerObserved]
    exhausted: bool
    limit_reached: bool
    client_gone: bool
    timed_out: bool
    _kinds: set[type]

    def _sort(self) -> None:
        """Sort the trace's events (as many as it held when the exchange was made)."""
        events = self.response.trace.upto(self._length)
        self.events = events
        lists: dict[str, list[Event]] = {name: [] for name in _LISTS.values()}
        last: dict[type, Event] = {}
        kinds: set[type] = set()
        for event in events:
            kind = type(event)
            kinds.add(kind)
            name = _LISTS.get(kind)
            if name is None:
                last[kind] = event
            else:
                lists[name].append(event)
        self.__dict__.update(lists)
        for kind, name in _LAST.items():
            setattr(self, name, last.get(kind))
        for kind, name in _FLAGS.items():
            setattr(self, name, kind in kinds)
        self._kinds = kinds

    # -- evidence ----------------------------------------------------------------------------

    @property
    def evidence(self) -> frozenset[str]:
        """The names (:data:`EVIDENCE`) of what this exchange holds, computed once."""
        if self._evidence is None:
            self._evidence = frozenset(self._gather())
        return self._evidence

    def _gather(self) -> set[str]:
        found = {_KIND_EVIDENCE[kind] for kind in self._kinds if kind in _KIND_EVIDENCE}
        source = self.source
        if self.environ is not None:
            found.add("environ")
            if source not in _OWN_SOURCES:
                found.add("inside")
        if self.previous is not None:
            found.add("previous")
        if source != "validator":
            found.add("wire")
        if source in _OWN_SOURCES:
            found.add("own")
        if self.extra:
            found.update("extra:" + key for key in self.extra.held())
        if self.refused:
            found.update("refused:" + event.rule for event in self.refused)
        if self.observed:
            found.update("observed:" + event.what for event in self.observed)
            if "observed:input-raised" in found:
                found.add("reads")
        if self.input_reads:
            found.add("reads")
        if self.start_calls:
            self._gather_calls(found)
        returned = self.returned
        if returned is not None:
            if not self.start_calls:
                found.add("sr-missing")
            if returned.length is not None:
                found.add("returned:len")
            if returned.has_close:
                found.add("returned:close")
            if returned.is_file:
                found.add("returned:file")
            if not returned.iterable or returned.type_name in ("str", "bytes", "bytearray"):
                found.add("returned:odd")
        self._gather_order(found)
        if self.request.framing is Framing.CHUNKED:
            found.add("request:chunked")
        response = self.response
        code = response.status_code
        if code in (204, 304):
            found.add("response:204-304")
        if self.request.method == "HEAD" or code in (204, 304) or 100 <= code < 200:
            found.add("response:no-body")
        if response.header("transfer-encoding") is not None:
            found.add("response:transfer-encoding")
        return found

    def _gather_order(self, found: set[str]) -> None:
        """Evidence in the order of the events: what came before start_response, blocks."""
        started = False
        blocks = 0
        for event in self.events:
            kind = type(event)
            if kind is StartResponseCalled:
                started = True
            elif kind is Yielded or kind is WriteCalled:
                value = event.value  # type: ignore[union-attr]
                if not started:
                    found.add("early-body")
                if type(value) is bytes:
                    if value:
                        blocks += 1
                elif kind is Yielded:
                    found.add("yield:not-bytes")
            elif kind is AppReturned and not started:
                found.add("returned:first")
        if blocks > 1:
            found.add("blocks>1")
            if blocks >= 64:
                found.add("blocks>=64")

    def _gather_calls(self, found: set[str]) -> None:
        calls = self.start_calls
        if len(calls) > 1:
            found.add("start_response:again")
        for call, problems in zip(calls, self.call_problems(), strict=True):
            if problems:
                found.add("head-problem")
                found.update("head:" + rule_id for rule_id, _ in problems)
            if call.keywords or call.positional not in (2, 3):
                found.add("sr-args")
            kind = call.exc_info_kind
            if kind != "absent":
                found.add("exc_info:" + kind)
                if kind == "exception" and call.headers_sent:
                    found.add("late-exc-info")
            if call.handling is not None:
                found.add("handling")
            headers = call.headers
            if isinstance(headers, list | tuple):
                for item in headers:
                    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
                        value = item[1]
                        if not str.isascii(value):
                            found.add("app-header:beyond-ascii")
                        if type(item) is tuple and type(value) is str and "\t" in value:
                            found.add("head:APP-HEADER-VALUE-NO-CONTROL")

    @property
    def environ_view(self) -> tuple[Any, ...] | None:
        """What a rule of the environ alone (``memo="environ"``) may read, as one value:
        the source, the environ's type, the request's head, the request body's size and the
        environ's items, each plain value as itself (with its type), a callable file
        wrapper by what its signature is a function of, and any other object by its type.
        None when that is not all such a rule could see: the app never ran, a key is not a
        str, a value the rules read is not plain, or a file wrapper's signature cannot be
        told cheaply. Computed once."""
        facts = self.facts
        if "environ_view" not in facts:
            facts["environ_view"] = self._environ_view()
        view: tuple[Any, ...] | None = facts["environ_view"]
        return view

    # Worked out in rules/views.py: a plain function bound as the method, no extra call.
    _environ_view = _views.environ_view

    @property
    def history(self) -> tuple[Exchange, ...]:
        """The exchanges the same app answered before this one, oldest first, that rules
        over a sequence (HEAD after GET, a conditional GET after the GET that taught the
        validator: :mod:`wsgicheck.rules.http_pairs`) compare it with."""
        return self._history

    @history.setter
    def history(self, earlier: tuple[Exchange, ...]) -> None:
        self._history = earlier
        self.sequence_facts = {}

    @property
    def record_view(self) -> tuple[Any, ...] | None:
        """Everything a rule can read of this exchange, as one value (``memo="exchange"``):
        the source, the environ type and view, the request's head and body size, the
        response as received, and the trace's records, every value of a built-in type
        (str, bytes, numbers, None, and tuples and lists of them). The view is of the
        exchange alone: ``history`` is not in it (the engine asks the rules over a sequence
        apart). None when that cannot be: no environ view, a value of the app's own type in
        the trace, a replayed exchange (``previous``) or extra evidence, or a body or error
        text past a few KiB. Computed once."""
        facts = self.facts
        if "record_view" not in facts:
            facts["record_view"] = self._record_view()
        view: tuple[Any, ...] | None = facts["record_view"]
        return view

    _record_view = _views.record_view

    def call_problems(self) -> list[list[Problem]]:
        """What is wrong with each start_response call's status and headers, in order."""
        if self._problems is None:
            self._problems = [head_problems(call.status, call.headers) for call in self.start_calls]
        return self._problems

    def problems_of(self, call: StartResponseCalled) -> list[Problem]:
        """The status and header problems of one of this exchange's start_response calls."""
        for each, problems in zip(self.start_calls, self.call_problems(), strict=True):
            if each is call:
                return problems
        return head_problems(call.status, call.headers)

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
    def app_finished(self) -> bool:
        """Whether the app gave its whole answer and nothing went wrong: its iterable was
        consumed, or it returned the server's own file wrapper, whose bytes are the
        server's to send (``validator`` hands that back unread: its status and fields are
        known, its body is not)."""
        if self.raised or self.refused or self.timed_out:
            return False
        return self.exhausted or bool(self.observations("file-wrapper-returned"))

    @property
    def accepted_call(self) -> StartResponseCalled | None:
        """The last start_response call the server accepted (its status went out)."""
        if not self.refused:
            return self.start_calls[-1] if self.start_calls else None
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
        facts = self.facts
        if "declared_length" not in facts:
            facts["declared_length"] = self._declared_length()
        length: int | None = facts["declared_length"]
        return length

    def _declared_length(self) -> int | None:
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
                and (length := decimal(item[1].strip())) is not None
            ):
                return length
        return None

    @property
    def produced(self) -> int:
        """Body bytes the app produced (yielded and written)."""
        facts = self.facts
        if "produced" not in facts:
            facts["produced"] = sum(block_size(event) for event, _ in self.body_blocks())
        produced: int = facts["produced"]
        return produced


class _Sorted:
    """An attribute :meth:`Exchange._sort` sets in the instance (which then hides this):
    the first read sorts the trace. No ``__getattr__`` on the class, so Python's fast
    paths for reading an instance's attributes are not lost on every other one."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, ex: Exchange | None, owner: type | None = None) -> Any:
        if ex is None:
            return self
        ex._sort()
        return ex.__dict__[self.name]


for _name in Exchange._SORTED:
    setattr(Exchange, _name, _Sorted(_name))


def environ_of(ex: Exchange) -> dict[str, Any]:
    """The environ of an exchange a rule knows has one (its ``needs`` or condition says so)."""
    assert ex.environ is not None
    return ex.environ
