"""Evidence about an exchange that its trace does not hold, as one typed record.

The runner (the two transports compared, the statuses per path), the supervisor (the worker
died) and the probe (what only a raw client sees: a ``100 Continue``, a first block received,
the server still answering; and what spans exchanges) give an
:class:`~wsgicheck.rules.exchange.Exchange` its :attr:`~wsgicheck.rules.exchange.Exchange.extra`;
the rules read it by attribute, so that a misspelt name is a type error, not a rule that
silently never applies. A field left None is evidence not gathered; a rule declares the
fields it reads as ``needs=("extra:<field>",)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from .events import Location
from .request import Request

__all__ = ["EXTRA_NAMES", "NOTHING", "Answer", "Expect", "Extra", "Together"]


@dataclass(frozen=True, slots=True)
class Expect:
    """An ``Expect: 100-continue`` request whose body the probe's client held back."""

    #: A ``100 Continue`` came.
    continued: bool = False
    #: A final response came first, without waiting for the body.
    final_first: bool = False
    #: The app was already reading ``wsgi.input`` when the 100 came.
    app_reading: bool = False
    #: The HTTP version the server answered with, final or interim ("" when none came).
    version: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """Which request the response the client read for a request says it answers: the
    probe's echo answer names its request's probe id, so a server that answers pipelined
    requests out of order, or answers one in place of another, shows it."""

    #: The probe id of the request the client read the response for.
    asked: int
    #: The probe id the response names; None when no response came at all, the server
    #: keeping the connection open (a follow-up it dropped).
    answered: int | None
    #: That request's method and target (``"GET /pipelined/2"``), "" if the client sent
    #: no request with that id.
    answered_request: str = ""
    #: The requests sent in one write with the asked one, in order, it included: what a
    #: replay sends to show the fault.
    together: tuple[Request, ...] = ()
    #: Seconds the client waited for the dropped follow-up's answer (``answered`` None).
    waited: float = 0.0

    def read_instead(self) -> str:
        """``was the answer to probe 18 (GET /pipelined/2)``: the one wording of the
        finding and the probe's note."""
        named = f" ({self.answered_request})" if self.answered_request else ""
        return f"was the answer to probe {self.answered}{named}"


@dataclass(frozen=True, slots=True)
class Together:
    """Two requests the probe sent at once."""

    #: The app ran for both at the same time.
    overlapped: bool
    #: In one server process (so in two of its threads).
    same_process: bool
    #: Seconds one call waited in the app for the other, which the server ran only once it
    #: had ended, both on the process's main thread: the server runs the app one request
    #: at a time (None: not seen; on another thread, of a pool that may grow only under a
    #: backlog; or under green threads, where the app's blocking wait may have held the
    #: other back).
    waited_alone: float | None = None


#: How a failed answer of a run came about (:attr:`Extra.failed`): the app raised of
#: its own (a 5xx, or a response cut short), it answered the 5xx itself, or the server
#: answered in place of a response that broke PEP 3333 (which is that rule's finding, not a
#: failure of the app to work).
RAISED, ANSWERED, REPLACED = "raised", "answered", "replaced"
#: An answer of a run in which the app did its work (see ``rules.harness_rules.outcome``).
SUCCEEDED = "succeeded"


@dataclass(frozen=True, slots=True)
class Extra:
    """What an exchange's source knows beyond the trace (every field None: nothing)."""

    # -- the runner ---------------------------------------------------------------------------
    #: What the memory and socket transports disagreed on (HARNESS-TRANSPORTS-AGREE).
    transport_differences: tuple[str, ...] | None = None
    #: What the app changed by itself when the request was replayed (HARNESS-APP-VARIES).
    app_varies: tuple[str, ...] | None = None
    #: The run's statuses per path, path → status → count (HARNESS-ALL-REFUSED).
    answers: Mapping[str, Mapping[str, int]] | None = None
    #: How the run's failed answers came about, cause (:data:`RAISED` …) → count, how many
    #: answers were a success (``rules.harness_rules.outcome``), and what the app raised
    #: first, as APP-TRAP-OWN-ERRORS tells it (HARNESS-ALL-ERRORS).
    failed: Mapping[str, int] | None = None
    succeeded: int | None = None
    raised: str | None = None
    # -- the supervisor -----------------------------------------------------------------------
    #: How the worker process running the app died (HARNESS-WORKER-DIED).
    worker_died: str | None = None
    #: Where the app is defined, for that finding.
    app: Location | None = None
    # -- the probe's client -------------------------------------------------------------------
    #: The first block reached the client while the app waited before its next one.
    first_block_received: bool | None = None
    #: The client's view of an Expect: 100-continue exchange.
    expect: Expect | None = None
    #: The head came while the app, after start_response and an empty block, waited.
    head_before_body: bool | None = None
    #: Whose answer the response read for this request says it is (pipelined requests).
    answer: Answer | None = None
    #: On how many connections in a row (of two at most) the server closed after an
    #: HTTP/1.1 answer that did not say ``Connection: close``, before answering the request
    #: sent next: 2 is a server that does not keep connections (RFC 9112 §9.3); 0 one that
    #: kept the connection or said it would close it.
    closes_unannounced: int | None = None
    #: The probe sent the request behind another on its connection: its answer is read only
    #: when the first answer leaves the connection open (and judged by the rules of
    #: pipelining and keep-alive), so its absence says nothing by itself.
    follow_up: bool | None = None
    #: What came after an answer that said ``Connection: close``, on the connection that
    #: held this request pipelined behind it: "closed" (the server closed it), "answered"
    #: (this request got an answer: the server processed it) or "open" (neither, in the
    #: time the client waited). RFC 9112 §9.6.
    after_close: str | None = None
    #: The ``close`` that answer said was the app's own Connection field, sent on: the
    #: server that passes it on owns it (RFC 9112 §9.6).
    close_from_app: bool | None = None
    #: The same (``"closed"``, ``"answered"``, ``"open"``), after the answer to a request
    #: that sent both Content-Length and Transfer-Encoding, which the server must close the
    #: connection after (RFC 9112 §6.1), with this request pipelined behind it.
    after_both_lengths: str | None = None
    #: The client shut its side, no answer having come: the app's reads of wsgi.input
    #: returned only then (True), or before, the answer held up elsewhere (False).
    input_blocked: bool | None = None
    #: The length of the body the server sent in its 200 to the same request without its
    #: condition (a 304's) or to the same target's GET (a HEAD's): the one Content-Length
    #: either may carry (RFC 9110 §8.6).
    length_of_200: int | None = None
    #: The server still answered after the app raised.
    server_alive: bool | None = None
    #: How the server's process ended while this request waited for its answer ("exited
    #: with status 3", "was killed by SIGSEGV"): it died on the request.
    server_died: str | None = None
    #: The probe id of the request sent just before the one the server died on, when the
    #: client had left that one mid-way on purpose: the server may have died of it instead,
    #: on its way out when this request came, and nothing seen tells the two apart.
    died_after_left: int | None = None
    #: The probe gave up on the server after this many plans in a row that got no HTTP
    #: response at all (nothing, a close, or bytes that are no response): set on the
    #: requests of those plans (HARNESS-SERVER-ANSWERS).
    silent_plans: int | None = None
    #: The server's log, when the app raised.
    server_log: str | None = None
    #: Whether that log holds the message of any of the run's raises: one that holds none
    #: (Twisted's JSON log keeps the type and the frames) is read by the exception's type.
    server_log_keeps_messages: bool | None = None
    #: The probe app handed the server its list as a list, its blocks taken from the
    #: validator's iterable at once: the trace's asking for blocks is the probe's, not the
    #: server's (the wire shows what the server did with them).
    handed_as_list: bool | None = None
    #: The fields of the request sent folded over two lines (obs-fold, RFC 9112 §5.2),
    #: by name: the request records each as a server must read it, unfolded.
    folded: tuple[str, ...] | None = None
    #: The kind of callable the server was given the app as (function, class, partial...).
    callable_kind: str | None = None
    #: Why that server did not answer (it did not start, or the connection failed).
    callable_error: str | None = None
    #: The answer was the probe app's own (it names this request's probe id): the app ran,
    #: whether or not its record came home (pyruvate keeps an iterable it never closes
    #: until the next request, and its process may end before letting it go).
    callable_answered: bool | None = None
    #: The exception passed as exc_info outlived start_response and a garbage collection.
    exc_info_kept: bool | None = None
    #: What held it: a module attribute by its name (``sys.last_value``), else a type name.
    exc_info_holders: tuple[str, ...] | None = None
    #: How the app used wsgi.file_wrapper: "file", "nofileno", "offset" or "early".
    file_wrapper_variant: str | None = None
    #: The body a client should get for that variant.
    file_wrapper_expected: bytes | None = None
    #: The file-like object was closed once the server was done with the wrapper.
    filelike_closed: bool | None = None
    #: A wrapper the app made and closed itself (the ``early`` variant) closed its file-like
    #: object; given to every file-wrapper exchange of the probe.
    wrapper_closes_filelike: bool | None = None
    # -- the probe, across exchanges ----------------------------------------------------------
    #: How many requests the server process that ran this one served.
    process_requests: int | None = None
    #: This request and its partner, sent at once.
    together: Together | None = None

    def held(self) -> list[str]:
        """The names of the fields given (not None), as ``extra:<name>`` evidence names."""
        return [each.name for each in fields(self) if getattr(self, each.name) is not None]

    def __bool__(self) -> bool:
        """Whether any evidence was given (at once False for :data:`NOTHING`, the usual)."""
        return self is not NOTHING and self != NOTHING


#: No evidence beyond the trace: what wsgicheck's own transports give most exchanges.
NOTHING = Extra()
#: The names a rule may declare as ``extra:<name>``.
EXTRA_NAMES = frozenset(each.name for each in fields(Extra))
