"""What the server rules read from an exchange, whoever recorded it.

Evidence about a server comes from three places, and a server rule reads whichever the
exchange holds rather than asking where it came from:

* wsgicheck's own transports (source ``"memory"`` or ``"socket"``): the core's trace, with
  :class:`~wsgicheck.model.events.HeadersSent` and the response as it was sent;
* :func:`wsgicheck.validator` inside somebody else's server (``"validator"``): the app's
  calls, each followed by what the server did with it
  (:class:`~wsgicheck.model.events.ServerObserved`); the response is what the *app* produced;
* a probe (``"probe"``): the same observations, plus the response a client received.

So "on the wire" means any source but ``"validator"``, and a call's outcome is read from the
event that follows it.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..core.head import headers_problems, status_problems
from ..model.events import (
    AppReturned,
    BodyLimitReached,
    BodyTruncated,
    ClientGone,
    Event,
    HeadersSent,
    Refused,
    ServerObserved,
    StartResponseCalled,
    WriteCalled,
    Yielded,
    block_size,
)
from ..model.grammar import HOP_BY_HOP_HEADERS, decimal
from ..model.untrusted import plain, show
from .exchange import Exchange

__all__ = [
    "HOP_RULES",
    "OWN_SOURCES",
    "RAISED",
    "RETURNED",
    "UNCHUNKED",
    "Segment",
    "accepted_calls",
    "app_fields",
    "body_allowed",
    "body_error_answer",
    "call_outcomes",
    "declared_length",
    "final_call",
    "final_length",
    "head_out_before",
    "header_fields",
    "hop_by_hop",
    "iter_late_exc_info",
    "judgeable",
    "observed_after",
    "on_wire",
    "owed_segments",
    "problems_of",
    "raised_after_head",
    "response_fields",
    "sent_holds",
    "server_answered",
    "status_code",
    "write_raised",
]

RAISED = "raised"
RETURNED = "returned"

#: Sources whose record says what wsgicheck's own core did (every raise is in the trace).
OWN_SOURCES = ("memory", "socket")
#: Rules of the header checks that name a hop-by-hop header (SRV-REJECT-HOP-BY-HOP's).
HOP_RULES = ("APP-NO-HOP-BY-HOP", "APP-NO-TRANSFER-ENCODING")
#: What a probe's client saw when an answer said chunked and its body was no chunked
#: coding (a ServerObserved event; its detail says what came, and what should have).
UNCHUNKED = "chunked-unframed"


def on_wire(ex: Exchange) -> bool:
    """Whether ``ex.response`` is what a client received (not what the app produced)."""
    return ex.source != "validator"


def judgeable(ex: Exchange) -> bool:
    """The app ran, and the exchange was not cut short by the time limit or the client."""
    return ex.app_ran and not ex.timed_out and not ex.client_gone


def observed_after(ex: Exchange, event: Event, what: str) -> ServerObserved | None:
    """The observation ``what`` right after ``event`` (the server's answer to that call)."""
    events = ex.events
    for index, each in enumerate(events):
        if each is event:
            following = events[index + 1 : index + 3]
            for later in following:
                if isinstance(later, ServerObserved) and later.what == what:
                    return later
            return None
    return None


def call_outcomes(ex: Exchange) -> tuple[tuple[StartResponseCalled, str | None], ...]:
    """Each start_response call with what the server did: ``RAISED``, ``RETURNED`` or None.

    The outcome is the event right after the call: a :class:`Refused` from wsgicheck's core,
    or a ``start_response-*`` observation from the validator. wsgicheck's core records every
    raise, so there no event means it returned; elsewhere it means nobody saw. Computed once
    per exchange.
    """
    known: tuple[tuple[StartResponseCalled, str | None], ...] | None = ex.facts.get("outcomes")
    if known is not None:
        return known
    default = RETURNED if ex.source in OWN_SOURCES else None
    outcomes: list[tuple[StartResponseCalled, str | None]] = []
    events = ex.events
    if ex.start_calls:
        for index, event in enumerate(events):
            if type(event) is not StartResponseCalled:
                continue
            outcome = default
            following = events[index + 1] if index + 1 < len(events) else None
            if isinstance(following, Refused) and following.callable == "start_response":
                outcome = RAISED
            elif isinstance(following, ServerObserved):
                if following.what == "start_response-raised":
                    outcome = RAISED
                elif following.what == "start_response-returned":
                    outcome = RETURNED
            outcomes.append((event, outcome))
    ex.facts["outcomes"] = result = tuple(outcomes)
    return result


def accepted_calls(ex: Exchange) -> list[StartResponseCalled]:
    """The calls the server did not refuse, in order."""
    return [call for call, outcome in call_outcomes(ex) if outcome != RAISED]


def final_call(ex: Exchange) -> StartResponseCalled | None:
    """The last call the server accepted: the status and headers that should go out."""
    facts = ex.facts
    if "final" not in facts:
        calls = accepted_calls(ex)
        facts["final"] = calls[-1] if calls else None
    final: StartResponseCalled | None = facts["final"]
    return final


def status_code(call: StartResponseCalled | None) -> int | None:
    status = call.status if call is not None else None
    return decimal(plain(status)[:3]) if isinstance(status, str) else None


def header_fields(headers: object) -> list[tuple[str, str]]:
    """The well-formed ``(name, value)`` pairs of a header list, names lower-cased."""
    if not isinstance(headers, list | tuple):
        return []
    return [
        (str.lower(item[0]), str.strip(item[1], " \t"))  # str's own: never a subclass's
        for item in headers
        if isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and isinstance(item[1], str)
    ]


def fields_before(ex: Exchange, final: StartResponseCalled) -> list[tuple[str, str]]:
    """:func:`header_fields` of every start_response call before ``final``, in order (what
    a call with exc_info replaced, or one the server refused)."""
    found: list[tuple[str, str]] = []
    for call, _ in call_outcomes(ex):
        if call is final:
            break
        found += header_fields(call.headers)
    return found


def declared_length(call: StartResponseCalled | None) -> int | None:
    """The Content-Length a call declared, if it declared a number."""
    if call is None:
        return None
    for name, value in header_fields(call.headers):
        if name == "content-length" and (length := decimal(value)) is not None:
            return length
    return None


def final_length(ex: Exchange) -> int | None:
    """:func:`declared_length` of the final call, computed once."""
    facts = ex.facts
    if "final_length" not in facts:
        facts["final_length"] = declared_length(final_call(ex))
    length: int | None = facts["final_length"]
    return length


def declared_on_wire(ex: Exchange) -> bool:
    """An app's response with a body and a declared length, as a client received it."""
    facts = ex.facts
    known: bool | None = facts.get("declared_on_wire")
    if known is None:
        known = facts["declared_on_wire"] = (
            on_wire(ex)
            and judgeable(ex)
            and not server_answered(ex)
            and final_length(ex) is not None
            and body_allowed(ex, final_call(ex))
        )
    return known


def problems_of(call: StartResponseCalled, ex: Exchange | None = None) -> list[tuple[str, str]]:
    """What is wrong with a call's status and headers (the APP rules' problems); ``ex``, the
    exchange the call belongs to, keeps them."""
    if ex is not None:
        return ex.problems_of(call)
    return status_problems(call.status) + headers_problems(call.headers)


def response_fields(ex: Exchange) -> list[tuple[str, str]]:
    """:func:`header_fields` of the response as received, computed once."""
    facts = ex.facts
    fields: list[tuple[str, str]] | None = facts.get("response_fields")
    if fields is None:
        fields = facts["response_fields"] = header_fields(ex.response.headers)
    return fields


def app_fields(ex: Exchange) -> list[tuple[str, str]]:
    """:func:`header_fields` of the headers of the final call (none without one), once."""
    facts = ex.facts
    fields: list[tuple[str, str]] | None = facts.get("app_fields")
    if fields is None:
        call = final_call(ex)
        fields = facts["app_fields"] = header_fields(call.headers if call is not None else [])
    return fields


def body_allowed(ex: Exchange, call: StartResponseCalled | None) -> bool:
    """Whether HTTP lets this response carry a body (not HEAD, 1xx, 204 or 304)."""
    code = status_code(call)
    return ex.method != "HEAD" and code is not None and code >= 200 and code not in (204, 304)


def body_error_answer(ex: Exchange) -> bool:
    """The server replaced the app's answer by the 400/413 a malformed or oversized request
    body is owed (RFC 9110 lets any server): wsgicheck's socket server says so in the trace;
    another server is taken to have done it when the app's 5xx became a 400/413 and a close.
    """
    if ex.observed and ex.observations("body-error-answered"):
        return True
    if ex.response.status_code not in (400, 413):
        return False
    code = status_code(final_call(ex))
    return (
        code is not None
        and code >= 500
        and (ex.response.header("connection") or "").lower() == "close"
    )


def server_answered(ex: Exchange) -> bool:
    """Whether the response is the server's own answer rather than the app's.

    That is the case when the app failed before its head could go out (the server owes a
    500), broke a rule the server cannot work around, ran out of time, or never ran.
    Computed once per exchange.
    """
    facts = ex.facts
    answered: bool | None = facts.get("server_answered")
    if answered is None:
        answered = facts["server_answered"] = _server_answered(ex)
    return answered


def _server_answered(ex: Exchange) -> bool:
    if not ex.app_ran or ex.timed_out or final_call(ex) is None:
        return True
    if any(raised.phase != "close" and not raised.headers_sent for raised in ex.raised):
        return True
    if _error_head(ex):
        return True
    if any(refused.callable == "iterable" for refused in ex.refused):
        return True
    return body_error_answer(ex) or _refused_on_the_wire(ex)


def _refused_on_the_wire(ex: Exchange) -> bool:
    """On a probe's wire, a 5xx the app did not give, in place of a response the server may
    refuse: a head that broke a check, or a body longer than its Content-Length. The server
    answered with an error of its own (hypercorn, fastwsgi); its fault, if any, was to take
    the call (SRV-CHECK-HEADERS-EARLY) or to iterate on (SRV-CL-STOP-OR-RAISE)."""
    if not _app_view(ex) or not 500 <= ex.response.status_code <= 599:
        return False
    if ex.response.status_code == status_code(final_call(ex)):
        return False
    declared = final_length(ex)
    return "head-problem" in ex.evidence or (declared is not None and ex.produced > declared)


#: What a server records between a write() and its refusal of it.
_SERVER_SIDE = (BodyTruncated, BodyLimitReached, HeadersSent, ClientGone)


def write_raised(ex: Exchange, index: int) -> Refused | ServerObserved | None:
    """How the server raised from the write() at ``events[index]``, or None if it did not."""
    for later in ex.events[index + 1 :]:
        if isinstance(later, Refused) and later.callable == "write":
            return later
        if isinstance(later, ServerObserved) and later.what == "write-raised":
            return later
        if not isinstance(later, _SERVER_SIDE):
            return None
    return None


class Segment:
    """One block of body the app handed over, and where it belongs in the body sent.

    ``data`` is the block as far as the trace kept it (maybe its first byte only); ``size``
    is its length.
    """

    __slots__ = ("data", "kind", "size", "start")

    def __init__(self, kind: str, start: int, data: bytes, size: int) -> None:
        self.kind = kind
        self.start = start
        self.data = data
        self.size = size

    @property
    def end(self) -> int:
        return self.start + self.size


def owed_segments(ex: Exchange) -> list[Segment] | None:
    """The body the client is owed for what the app produced, block by block.

    Blocks are cut at the declared Content-Length. None when it cannot be told: the response
    is not one a client received (or none came), it has no body by HTTP, the server answered
    for the app, a block was not bytes, a write's fate is unknown, or the body came from the
    server's file wrapper. Computed once per exchange (the list is not to be changed).
    """
    facts = ex.facts
    if "owed" not in facts:
        facts["owed"] = _owed_segments(ex)
    owed: list[Segment] | None = facts["owed"]
    return owed


def _owed_segments(ex: Exchange) -> list[Segment] | None:
    if not on_wire(ex) or not judgeable(ex) or ex.limit_reached or server_answered(ex):
        return None
    if ex.response.status_code == 0:
        return None  # no response came (a probed server closed): no bytes to compare
    if ex.observations("file-wrapper-returned"):
        return None  # the server's own file wrapper made the body: the trace holds none of it
    call = final_call(ex)
    if not body_allowed(ex, call) or _len_lied(ex) or _replaced_after_blocks(ex):
        return None
    limit = declared_length(call)
    segments: list[Segment] = []
    offset = 0
    events = ex.events
    for index, event in enumerate(events):
        if isinstance(event, Yielded):
            kind = "yield"
        elif isinstance(event, WriteCalled):
            kind = "write"
            answer = write_raised(ex, index)
            if isinstance(answer, ServerObserved):
                return None  # a foreign server raised: what it sent is unknown
            if answer is not None and answer.rule != "APP-CL-ACCURATE":
                continue  # refused before anything was sent
        else:
            continue
        data = event.value
        if type(data) is not bytes:
            return None
        size = block_size(event)
        if limit is not None:
            size = min(size, max(0, limit - offset))
            data = data[:size]
        if size:
            segments.append(Segment(kind, offset, data, size))
            offset += size
    return segments


def _replaced_after_blocks(ex: Exchange) -> bool:
    """The server took a start_response with exc_info after the app had given body bytes
    (it still held them, head and all): it may send them under the new head or drop them
    with the old one (PEP 3333 lets it replace the head, and says nothing of those blocks),
    so the body owed cannot be told."""
    taken = [
        call
        for call, outcome in call_outcomes(ex)
        if call.exc_info is not None and outcome == RETURNED
    ]
    if not taken:
        return False
    produced = False
    for event in ex.events:
        if isinstance(event, Yielded | WriteCalled):
            produced = produced or (type(event.value) is bytes and bool(event.value))
        elif produced and any(event is call for call in taken):
            return True
    return False


def _len_lied(ex: Exchange) -> bool:
    """The app's iterable gave a wrong len(), which a server may rely on (APP-LEN-ACCURATE)."""
    returned = ex.returned
    return returned is not None and returned.length is not None and len(ex.yields) > returned.length


def sent_holds(ex: Exchange, segment: Segment) -> bool:
    """Whether the body sent holds ``segment`` at its place (as far as it was captured)."""
    response = ex.response
    if response.body_size < segment.end:
        return False
    visible = response.body[segment.start : segment.start + len(segment.data)]
    return visible == segment.data[: len(visible)]


def hop_by_hop(name: str) -> bool:
    return name in HOP_BY_HOP_HEADERS or name == "transfer-encoding"


#: End-to-end fields a server may add of its own accord, whatever the app said.
SERVER_MAY_ADD = frozenset({"content-length", "date", "server", "via"})


def server_may_add(name: str) -> bool:
    """Whether a server may send the field ``name`` (lower-case) though the app did not
    give it: framing and connection fields, Date, Server, Via, Content-Length."""
    return hop_by_hop(name) or name in SERVER_MAY_ADD


def raised_after_head(ex: Exchange) -> bool:
    """The app failed after its head went out (a server may then append an error note)."""
    return any(raised.phase != "close" and raised.headers_sent for raised in ex.raised)


def _app_view(ex: Exchange) -> bool:
    """A record from inside somebody else's server whose response a client received (a
    probe's): there an event's ``headers_sent`` says only that the app had produced body.

    PEP 3333 has the head transmitted "only after the first iteration of the application
    return value that yields a non-empty bytestring": not before, and not necessarily at
    once. A server that still holds it (eventlet buffers a small body) may replace it; the
    head the client got tells.
    """
    return on_wire(ex) and ex.source not in OWN_SOURCES


def _error_head(ex: Exchange) -> bool:
    """The app failed after producing body, and the client's head is not the app's: the
    server still held the head and answered with its own (the error answer it may send
    while no HTTP headers have been output)."""
    if not _app_view(ex) or ex.response.status_code == 0:
        return False
    if not any(raised.phase != "close" and raised.headers_sent for raised in ex.raised):
        return False
    return ex.response.status_code != status_code(final_call(ex))


def head_out_before(ex: Exchange, call: StartResponseCalled) -> bool:
    """Whether the response head had gone to the client when the app made ``call``.

    wsgicheck's own core records it (the call's ``headers_sent``); so, as far as anyone
    can, does the validator. On a probe's wire it shows when the client got the status of
    an earlier call, not the one ``call`` gave: a head held until then would have been
    replaced (PEP 3333: "If exc_info is supplied, and no HTTP headers have been output yet,
    start_response should replace the currently-stored HTTP response headers").
    """
    if not call.headers_sent:
        return False
    if not _app_view(ex):
        return True
    got = ex.response.status_code
    earlier: set[int | None] = set()
    for each, outcome in call_outcomes(ex):
        if each is call:
            break
        if outcome != RAISED:
            earlier.add(status_code(each))
    return got != 0 and got in earlier and got != status_code(call)


def iter_late_exc_info(ex: Exchange) -> Iterator[tuple[StartResponseCalled, str | None]]:
    """Calls with a real exc_info made after the head went out, with their outcomes."""
    for call, outcome in call_outcomes(ex):
        if call.exc_info_kind == "exception" and head_out_before(ex, call):
            yield call, outcome


def returned_before_start(ex: Exchange) -> bool:
    """Whether the app returned its iterable before calling start_response (a generator
    calls it on its first step)."""
    for event in ex.events:
        if isinstance(event, StartResponseCalled):
            return False
        if isinstance(event, AppReturned):
            return True
    return False


def late_call_unsent(ex: Exchange) -> tuple[StartResponseCalled, str] | None:
    """When the app's one start_response call before its first block came on the first
    step of its iterable and the head the client got is not that call's (another status,
    or fields of the call missing): the call, and what the client got (``200 without
    content-type``). A server that took the status and headers before iterating (granian
    2.8) assumed the call had been made: SRV-NO-ASSUME-SR-CALLED's finding, and no
    SRV-PLAY-DUMB one. A call after the first block (exc_info, too late to change the
    head) does not change whose head was due. Worked out once per exchange."""
    facts = ex.facts
    if "late_call_unsent" not in facts:
        facts["late_call_unsent"] = _late_call_unsent(ex)
    found: tuple[StartResponseCalled, str] | None = facts["late_call_unsent"]
    return found


def _late_call_unsent(ex: Exchange) -> tuple[StartResponseCalled, str] | None:
    if "wire" not in ex.evidence or ex.raised or not ex.iteration_finished:
        return None
    if not returned_before_start(ex):
        return None
    call = _head_call(ex)
    sent = ex.response.status_code
    if call is None or status_code(call) is None or not sent:
        return None
    on_wire = {name for name, _ in response_fields(ex)}

    def missing(each: StartResponseCalled) -> list[str]:
        # What frames the message and what holds for one connection are the server's to set.
        return sorted(
            name
            for name in {name for name, _ in header_fields(each.headers)} - on_wire
            if name != "content-length" and not hop_by_hop(name)
        )

    # A server still holding the head may let a later call with exc_info replace it.
    if any(status_code(each) == sent and not missing(each) for each in ex.start_calls):
        return None
    left_out = missing(call)
    got = f"{sent}" + (f" without {', '.join(show(name) for name in left_out)}" if left_out else "")
    return call, got


def _head_call(ex: Exchange) -> StartResponseCalled | None:
    """The app's one start_response call before its first non-empty block: the head due
    to the client. None when it made none, or several, before that block."""
    blocks = ex.body_blocks()
    first_block = blocks[0][0] if blocks else None
    found: StartResponseCalled | None = None
    for event in ex.events:
        if event is first_block:
            break
        if isinstance(event, StartResponseCalled):
            if found is not None:
                return None
            found = event
    return found
