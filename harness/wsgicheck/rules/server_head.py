"""Server rules on the response head it sends: what it adds, what it keeps, how it frames,
and how it answers for an app that failed.

They read the response as a client received it, so they judge wsgicheck's own transports
and a probe's client, not the validator (which never sees the wire).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator

from ..core.head import field_problems
from ..model.events import AppRaised, Exhausted, Location, StartResponseCalled
from ..model.grammar import NOT_IN_304, decimal
from ..model.grammar import imf_fixdate_re as IMF_FIXDATE_RE
from ..model.response import Response
from ..model.untrusted import plain, show
from .exchange import Exchange
from .registry import ORIGIN, Binding, Finding, Level, Rule, quoted, rule
from .server_evidence import (
    RAISED,
    UNCHUNKED,
    accepted_calls,
    app_fields,
    body_error_answer,
    call_outcomes,
    declared_on_wire,
    fields_before,
    final_call,
    final_length,
    header_fields,
    hop_by_hop,
    judgeable,
    late_call_unsent,
    observed_after,
    on_wire,
    problems_of,
    response_fields,
    server_answered,
    server_may_add,
    status_code,
)

SR = "The start_response() Callable"
OTHER = "Other HTTP Features"

#: Fields a server generates itself, and adds when the app gave none.
SERVER_FIELDS = ("content-length", "date", "server")


def _app_answer(ex: Exchange) -> bool:
    """The response a client received is the answer of the app that ran (not the server's)."""
    return on_wire(ex) and judgeable(ex) and not server_answered(ex)


def _answer_lost(ex: Exchange) -> bool:
    """The app answered well (one valid call, a body that fits its Content-Length and its
    status, its iterable run to the end, no exception) and no response reached the client,
    which waited for one: the server lost the answer. A server that died on the request is
    HARNESS-SERVER-DIED's; one that gave up on a body longer than its Content-Length is
    SRV-CL-STOP-OR-RAISE's."""
    extra = ex.extra
    if (
        ex.response.status_code != 0
        or extra.server_died is not None
        # A pipelined request's answer is SRV-RESPONSE-ORDER's (bjoern answers only the
        # last), and one behind a "close" SRV-CLOSE-ENDS-CONNECTION's; the client reads a
        # follow-up's answer only on a connection left open (meinheld closes after it).
        or extra.answer is not None
        or extra.after_close is not None
        or extra.follow_up
        # An answer owed after 100 Continue is SRV-EXPECT-CONTINUE's; a client that shut
        # its side may be taken for gone.
        or extra.expect is not None
        or extra.input_blocked is not None
        or ex.raised
        or "head-problem" in ex.evidence
        or not any(type(event) is Exhausted for event in ex.events)
    ):
        return False
    declared = final_length(ex)
    if declared is not None and ex.produced != declared:
        return False
    return not (ex.produced and status_code(final_call(ex)) in (204, 304))


def _number(value: str) -> int | str:
    """A Content-Length value as its number, or as given when it is not one."""
    number = decimal(value.strip(" \t"))
    return value if number is None else number


@rule(
    "SRV-ADD-REQUIRED-HEADERS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=SR + "; RFC 9110 §6.6.1",
    summary="the server adds the header fields HTTP requires and the app left out (Date)",
    pep="""if the application omits a header required by HTTP (or other relevant
    specifications that are in effect), the server or gateway must add it.""",
    # The app's answers only: a 400 the server sends for a request it never passed to the
    # app has no "application" that omitted anything (PEP 3333 speaks of the app's headers).
    applies=lambda ex: _app_answer(ex) and 200 <= ex.response.status_code < 500,
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  the app sent no Date, and neither did the server
fix:  add Date: <IMF-fixdate> when the app did not send one""",
)
def add_required_headers(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §6.6.1: an origin server with a clock must send Date in 2xx, 3xx and 4xx
    # responses (it may in 1xx and 5xx). Server is optional in HTTP: not required here.
    dates = [value for name, value in response_fields(ex) if name == "date"]
    if not dates:
        yield self.finding(ex, f"a {ex.response.status_code} response was sent without Date")
        return
    from_app = any(name == "date" for name, _ in app_fields(ex))
    if not from_app and not IMF_FIXDATE_RE.fullmatch(dates[0]):
        # The form is RFC 9110 §5.6.7's ("a sender MUST generate timestamps in the
        # IMF-fixdate format"), which the rule's citation of the Date field does not name
        # (a probe trial of 2026-12-06, fastwsgi's one-digit day).
        yield self.finding(
            ex,
            f"the Date the server added is not an IMF-fixdate (RFC 9110 §5.6.7): {dates[0]!r}",
        )


def _app_headers(ex: Exchange) -> object:
    call = final_call(ex)
    return call.headers if call is not None else []


def _latin1_refused(ex: Exchange) -> tuple[StartResponseCalled, str] | None:
    """A valid start_response call with latin-1 values beyond ASCII that the server refused
    (raised for), and what it raised; worked out once per exchange (applies and check)."""
    facts = ex.facts
    if "latin1_refused" not in facts:
        facts["latin1_refused"] = _find_latin1_refused(ex)
    found: tuple[StartResponseCalled, str] | None = facts["latin1_refused"]
    return found


def _find_latin1_refused(ex: Exchange) -> tuple[StartResponseCalled, str] | None:
    for call, outcome in call_outcomes(ex):
        if outcome != RAISED or problems_of(call, ex):
            continue
        fields = header_fields(call.headers)
        if not any(not value.isascii() for _, value in fields):
            continue
        raised = observed_after(ex, call, "start_response-raised")
        return call, raised.detail if raised is not None else "an error"
    return None


def _beyond_ascii(ex: Exchange) -> list[tuple[str, str]]:
    """The app's header fields whose value holds latin-1 characters past ASCII."""
    return [
        (name, value)
        for name, value in app_fields(ex)
        if not value.isascii() and all(ord(char) < 256 for char in value)
    ]


@rule(
    "SRV-HEADERS-LATIN1",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="A Note On String Types; Unicode Issues",
    summary="response header values go on the wire as ISO-8859-1 bytes, one byte a character",
    pep="""Do not be confused however: even if Python's str type is actually Unicode "under
    the hood", the content of native strings must still be translatable to bytes via the
    Latin-1 encoding!""",
    covers=(),
    applies=lambda ex: (
        (_app_answer(ex) and bool(_beyond_ascii(ex))) or _latin1_refused(ex) is not None
    ),
    needs=("wire", "environ", "app-header:beyond-ascii"),
    memo="exchange",
    example="""
bad:  sock.sendall(f"{name}: {value}\\r\\n".encode("utf-8"))   # é becomes two bytes
bad:  value.encode("ascii")   # in start_response: raises for the app's valid é
fix:  sock.sendall(f"{name}: {value}\\r\\n".encode("latin-1"))""",
)
def headers_latin1(self: Rule, ex: Exchange) -> Iterator[Finding]:
    refused = _latin1_refused(ex)
    if refused is not None:
        call, raised = refused
        names = [name for name, value in header_fields(call.headers) if not value.isascii()]
        yield self.finding(
            ex,
            f"start_response raised {raised} for a valid call whose {', '.join(names)} "
            "value holds latin-1 characters beyond ASCII (the server must take them as "
            "ISO-8859-1 bytes)",
            call.where,
        )
        return
    # The client reads the head as latin-1, so a value sent as ISO-8859-1 reads back as the
    # app gave it; one sent as UTF-8 reads back as two characters for each one past ASCII.
    sent = response_fields(ex)
    for name, value in _beyond_ascii(ex):
        values = [got for wire_name, got in sent if wire_name == name]
        if value in values or not values:
            continue  # a field not sent at all is SRV-PLAY-DUMB's
        got = values[0].encode("latin-1", "replace")
        how = "encoded as UTF-8" if got == value.encode("utf-8") else "not as ISO-8859-1"
        yield self.finding(
            ex,
            f"the app's {name}: {value!r} was sent as {got!r} ({how}), not "
            f"{value.encode('latin-1')!r}",
        )


@rule(
    "SRV-HEADER-CASE-INSENSITIVE",
    level=Level.MUST,
    implied=True,
    binding=Binding.SERVER,
    section=SR,
    summary="a field the app sent in any case is not sent a second time by the server",
    pep="""if the application omits a header required by HTTP (or other relevant specifications
    that are in effect), the server or gateway must add it. ... (A reminder for
    server/gateway authors: HTTP header names are case-insensitive, so be sure to take
    that into consideration when examining application-supplied headers!)""",
    applies=lambda ex: _app_answer(ex) and any(name in SERVER_FIELDS for name, _ in app_fields(ex)),
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  if "Date" not in dict(headers): headers.append(("Date", now))   # app sent "date"
fix:  if not any(name.lower() == "date" for name, _ in headers): ...""",
)
def header_case_insensitive(self: Rule, ex: Exchange) -> Iterator[Finding]:
    call = final_call(ex)
    assert call is not None
    app, wire = app_fields(ex), response_fields(ex)
    for name in SERVER_FIELDS:
        given = sum(1 for each, _ in app if each == name)
        sent = sum(1 for each, _ in wire if each == name) if given else 0
        if given and sent > given:
            spelled = {each.lower(): each for each in _names(call.headers)}
            yield self.finding(
                ex,
                f"the app sent {spelled.get(name, name)!r}; the response has {sent} {name} fields",
                call.where,
            )


def _names(headers: object) -> list[str]:
    """The header names as the app spelled them."""
    if not isinstance(headers, list | tuple):
        return []
    return [
        plain(item[0])
        for item in headers
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
    ]


#: Request fields that let a server transform the response itself (PEP 3333, "Other HTTP
#: Features": byte ranges, cache validation, re-encoding), with the statuses that show it did.
_PERMITTED = (
    (("range",), (206, 416)),
    (("if-none-match", "if-modified-since", "if-match", "if-unmodified-since"), (304, 412)),
)


def _transformed(ex: Exchange) -> bool:
    """The server used a permission to change the response (ranges, validation, encoding)."""
    asked = {name.lower() for name, _ in ex.request.headers}
    code = ex.response.status_code
    for names, statuses in _PERMITTED:
        if asked.intersection(names) and code in statuses:
            return True
    if "accept-encoding" in asked:
        app = dict(app_fields(ex)).get("content-encoding")
        return ex.response.header("content-encoding") != app
    return False


@rule(
    "SRV-PLAY-DUMB",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=OTHER,
    summary="the status and header fields the app gave reach the client unchanged",
    pep="""In general, servers and gateways should "play dumb" and allow the application
    complete control over its output. They should only make changes that do not alter the
    effective semantics of the application's response.""",
    # A head held before a start_response made on the first step of the iterable is
    # SRV-NO-ASSUME-SR-CALLED's (a MUST): one finding per fault.
    applies=lambda ex: (
        _app_answer(ex)
        and isinstance(_app_headers(ex), list)
        and ((ex.response.status_code != 0 and not _transformed(ex)) or _answer_lost(ex))
        and late_call_unsent(ex) is None
    ),
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  headers = [(n, v) for n, v in headers if n != "X-Trace"]; status = "200 OK"
fix:  send the app's status and fields; add only Date, Server and framing""",
)
def play_dumb(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # The body is SRV-BINARY-SAFE's (and SRV-WRITE-SEMANTICS'); a status the app replaced
    # with exc_info is SRV-EXC-INFO-REPLACE's.
    call = final_call(ex)
    assert call is not None
    if ex.response.status_code == 0:
        # Tornado's WSGIContainer closes the connection on a HEAD whose app gave a body.
        yield self.finding(
            ex,
            f"the app answered {call.status!r} and ran its iterable to the end without an "
            "error, but no response reached the client: the server closed the connection "
            "without one, or sent nothing in the time the client waited",
            call.where,
        )
        return
    code = status_code(call)
    sent = ex.response.status_code
    if (
        code is not None
        and sent != code
        and sent not in {status_code(each) for each in accepted_calls(ex)}
    ):
        if sent >= 500 > code:
            # An error answer of the server's own in place of the app's: its fields are the
            # server's too, and each of the app's "not sent" is this one finding again.
            yield self.finding(
                ex,
                f"the app's status was {code}; the client got {sent}, an answer of the "
                "server's own (the app's fields are not held to it)",
                call.where,
            )
            return
        yield self.finding(ex, f"the app's status was {code}; the client got {sent}", call.where)
    app = app_fields(ex)
    wire = response_fields(ex)
    if _sent_as_given(app, wire):
        return  # the common case, answered without counting
    broken = [field for field in app if _breaks_line(field) or _holds_nul(field)]
    if broken:
        # No value with a line break or a NUL can go as given: what became of it (split,
        # spaced, dropped) is SRV-NO-SPLIT-FIELDS' and SRV-NO-NUL-FIELDS'. The other fields
        # are still held to the rule.
        names = {name for name, _ in broken}
        made = {line for _, value in broken for line, _ in _field_lines(value)}
        app = [field for field in app if field[0] not in names]
        wire = [field for field in wire if field[0] not in names and field not in made]
    owned = _owned_elsewhere(ex, call)
    if owned:
        app = [field for field in app if field[0] not in owned]
        wire = [field for field in wire if field[0] not in owned]
    app_count, wire_count = Counter(app), Counter(wire)
    droppable = {304: _LEFT_OUT_OF_304, 204: _LEFT_OUT_OF_204}.get(sent, frozenset())
    names_sent = {name for name, _ in wire}
    for field, count in app_count.items():
        name, value = field
        if hop_by_hop(name) or name == "content-length":
            continue  # framing and connection are the server's
        if name in droppable and name not in names_sent:
            continue  # metadata a 304 need not carry, left out
        if wire_count[field] < count:
            yield self.finding(ex, f"the app's {name}: {value!r} was not sent as given")
            return
    # Compared as numbers: ``007`` sent as ``7`` is the same Content-Length (RFC 9110 §8.6).
    lengths = {_number(value) for name, value in wire if name == "content-length"}
    app_lengths = {_number(value) for name, value in app if name == "content-length"}
    if app_lengths and lengths and lengths != app_lengths:
        given, on_the_wire = sorted(app_lengths, key=str), sorted(lengths, key=str)
        yield self.finding(ex, f"Content-Length {given} became {on_the_wire} on the wire")
        return
    for field in wire_count:
        name, value = field
        # Date, Server and framing a server may add; a second one of the app's own is
        # SRV-HEADER-CASE-INSENSITIVE's; one of a call the app replaced with exc_info, which
        # the server kept (gunicorn 27, cheroot 11), SRV-EXC-INFO-REPLACE's.
        if (
            field not in app_count
            and not server_may_add(name)
            and field not in fields_before(ex, call)
        ):
            yield self.finding(ex, f"the server added {show(name)}: {quoted(value)}")
            return


#: What a server may leave out of a 304 (Apache drops it): the metadata §15.4.5 asks a 304
#: not to carry, and Last-Modified, which it allows only to guide cache updates.
_LEFT_OUT_OF_304 = NOT_IN_304 | {"last-modified"}
#: What a server may leave out of a 204 (Apache drops it): the Content-Type of content that
#: is not there. The rest of a 204's metadata describes the target's representation
#: (§15.3.5): dropping an ETag or a Last-Modified changes the answer.
_LEFT_OUT_OF_204 = frozenset({"content-type"})


def _owned_elsewhere(ex: Exchange, call: StartResponseCalled) -> set[str]:
    """Names of the app's fields whose fate another rule judges: one finding per fault.

    A field the app had no right to send (a name that is no token, a control character, a
    value beyond latin-1...) cannot go out as given; the server's fault was to accept it
    (SRV-CHECK-HEADERS-EARLY). A value beyond ASCII that went out under its name, changed,
    is SRV-HEADERS-LATIN1's.
    """
    items = call.headers if isinstance(call.headers, list | tuple) else ()
    owned = {
        str.lower(item[0])  # not a subclass's own lower()
        for item in items
        if isinstance(item, tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and field_problems(item)
    }
    sent = {name for name, _ in response_fields(ex)}
    owned.update(name for name, _ in _beyond_ascii(ex) if name in sent)
    return owned


def _sent_as_given(app: list[tuple[str, str]], wire: list[tuple[str, str]]) -> bool:
    """The app's fields went out first and in order, followed only by fields a server may
    add other than Content-Length: then nothing of the app's was dropped, changed or
    added to."""
    count = len(app)
    return wire[:count] == app and all(
        name != "content-length" and server_may_add(name) for name, _ in wire[count:]
    )


#: What a probe's client saw when the server neither answered nor closed the connection
#: while it waited (a ServerObserved event; its detail is the seconds waited).
NO_ANSWER = "no-answer"


def _framed_end(response: Response) -> str:
    """How a response that ended as complete said where its body ended ("with the last
    chunk", "at its Content-Length"); "" for one cut short, or ended by the close."""
    if not response.complete:
        return ""
    if "chunked" in (response.header("transfer-encoding") or "").lower():
        return "with the last chunk"
    if response.header("content-length") is not None:
        return "at its Content-Length"
    return ""


def _logged(ex: Exchange, raised: AppRaised) -> bool:
    """Whether the server's log, where a probe read it, tells of this exception: by its
    message where that is telling and the log keeps messages (each of the probe's raises
    says which it is, so another raise of the same type, logged, does not stand for this
    one), else by its type's name. The probe says whether the log keeps messages (it holds
    one of the run's); Twisted's JSON log keeps the type and the frames, never the message
    (a probe trial of 2026-12-06: it logged every raise, and was told it logged none).
    Without the probe's word, a log keeps them where one of the type ends a traceback
    (``Type: message``) or is a repr (``Type('message')``)."""
    log = ex.extra.server_log
    if not isinstance(log, str):
        return False
    message = raised.message
    name = raised.exc_type.rsplit(".", 1)[-1]
    telling = telling_message(message)
    if telling and message in log:
        return True
    keeps = ex.extra.server_log_keeps_messages
    if keeps is None:
        keeps = f"{name}: " in log or f"{name}(" in log
    return not (telling and keeps) and name in log


def telling_message(message: str) -> bool:
    """Whether an exception's message tells one raise from another in a log: printable
    ASCII, which every log keeps as it is, and long enough (a message of a few characters,
    "1", is in any log with a timestamp)."""
    return len(message) >= _TELLING and message.isascii() and message.isprintable()


#: The shortest exception message looked for in a server's log (else its type's name).
_TELLING = 8


@rule(
    "SRV-TRAP-LOG",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section="Error Handling",
    summary="an exception from the app is trapped, logged and answered (500, or an abort)",
    pep="""The server or gateway can then trap this (fatal) exception and abort the
    response. Servers should trap and log any exception that aborts an application or the
    iteration of its return value.""",
    applies=lambda ex: (
        on_wire(ex)
        and ex.app_ran
        and not ex.timed_out
        and not ex.client_gone
        and any(raised.phase in ("call", "iteration") for raised in ex.raised)
    ),
    needs=("wire", "environ", "raised"),
    memo="exchange",
    example="""
bad:  try: result = app(environ, start_response)
      except Exception: pass                            # a 200 with nothing, no log
fix:  except Exception: log it; send a 500, or abort (close the connection)""",
)
def trap_log(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A probe may add what the server's log said (extra.server_log) and whether the
    # server still answered afterwards (extra.server_alive). PEP 3333 asks the server to
    # "trap and log", not to answer: a 500 and a connection closed without a response (an
    # abort) both tell the client the request failed. A response below 500 tells it the
    # request succeeded, or failed by its own fault: the app's failure was swallowed.
    sent = ex.response.status_code
    for raised in ex.raised:
        if raised.phase not in ("call", "iteration"):
            continue
        if (
            not raised.headers_sent
            and 0 < sent < 500
            and ex.response.complete  # a head the server sent early, then cut: an abort
            and not body_error_answer(ex)
        ):
            yield self.finding(
                ex,
                f"the app raised {raised.exc_type} before its head went out; the client got "
                f"a {sent}, not a 5xx or an abort",
                raised.where,
            )
        framing = _framed_end(ex.response)
        declared = final_length(ex)
        whole = declared is not None and ex.produced >= declared  # all it said it would send
        # A body cut short of the app's own Content-Length, on a connection kept open, is
        # SRV-CL-SHORT's (the PEP's own words for it): one finding for one fault. One the
        # server filled up to that length (rocket3 writes its own 500 there) is this rule's.
        short = (
            framing == "at its Content-Length"
            and declared_on_wire(ex)
            and ex.response.body_size < (declared or 0)
        )
        if (
            raised.headers_sent
            and raised.phase == "iteration"
            and framing
            and not whole
            and not short
            and 0 < sent < 500
        ):
            # After the head the one abort left is closing the connection before the body's
            # end; a body ended by its framing reads as the whole one (mod_wsgi).
            logged = " logged it, and" if _logged(ex, raised) else ""
            yield self.finding(
                ex,
                f"the app raised {raised.exc_type} after its head went out; the server{logged} "
                f"ended the cut body {framing}, so the client takes it for the whole one: the "
                "response was not aborted (an abort closes the connection before the body's end)",
                raised.where,
            )
        if isinstance(ex.extra.server_log, str) and not _logged(ex, raised):
            told = f" ({show(raised.message, limit=80)})" if raised.message else ""
            yield self.finding(
                ex, f"the server's log does not mention the app's {raised.exc_type}{told}"
            )
    first = next(raised for raised in ex.raised if raised.phase in ("call", "iteration"))
    hung = ex.observations(NO_ANSWER)
    if hung and sent == 0:
        # Neither an answer nor an abort: the client is left waiting for ever.
        yield self.finding(
            ex,
            f"the app raised {first.exc_type}; the server neither answered nor closed "
            f"the connection in the {hung[0].detail}s the client waited: the client is left "
            "hanging",
            first.where,
        )
    if ex.extra.server_alive is False:
        yield self.finding(
            ex,
            f"after the app raised {first.exc_type}, the server answered no further "
            "request (its process died, or it stopped serving)",
        )


@rule(
    "SRV-CHUNKED-RFC",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Handling the Content-Length Header; RFC 9112 §6.1, §6.2, §7.1",
    summary="chunked responses go only to HTTP/1.1 clients, never with Content-Length, and "
    "their bodies are chunks",
    pep="""Note that the server must comply fully with RFC 2616 when doing this, or else
    fall back to one of the other strategies for dealing with the absence of
    Content-Length.""",
    # Chunked, or there is nothing to judge (another transfer coding alone: no pass).
    applies=lambda ex: (
        on_wire(ex) and "chunked" in (ex.response.header("transfer-encoding") or "").lower()
    ),
    needs=("wire", "response:transfer-encoding"),
    memo="exchange",
    example="""
bad:  HTTP/1.0 client -> "Transfer-Encoding: chunked" (it cannot decode it)
bad:  the app's own ("Transfer-Encoding", "chunked") sent on over the body as it gave it
fix:  to HTTP/1.0, send Content-Length or close the connection at the end""",
)
def chunked_rfc(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.request.http_version != "1.1":
        yield self.finding(ex, f"a chunked response to an HTTP/{ex.request.http_version} request")
    if ex.response.header("content-length") is not None:
        yield self.finding(ex, "a response with both Transfer-Encoding and Content-Length")
    for seen in ex.observations(UNCHUNKED):
        # RFC 9112 §7.1: a chunked body is chunks, a last chunk and CRLF; what came is not,
        # and a client cannot tell where it ends (the app's own field, passed on, did it).
        yield self.finding(
            ex,
            "the response says Transfer-Encoding: chunked, but its body is no chunked coding "
            f"(RFC 9112 §7.1): {seen.detail}",
        )


def _line_breaking(ex: Exchange) -> list[tuple[str, str]]:
    """The fields (lower-case name, value) of the app's final call whose value holds a CR or
    LF: the call the server took, which went out."""
    return [field for field in app_fields(ex) if _breaks_line(field)]


def _breaks_line(field: tuple[str, str]) -> bool:
    return "\r" in field[1] or "\n" in field[1]


def _holds_nul(field: tuple[str, str]) -> bool:
    return "\x00" in field[1]


def _final_where(ex: Exchange) -> Location | None:
    """Where the app made the call whose fields went out (a value's place in its code)."""
    call = final_call(ex)
    return call.where if call is not None else None


def _offered(ex: Exchange, kind: Callable[[tuple[str, str]], bool]) -> bool:
    """Whether any call of the app's, taken or refused, gave a field of ``kind`` (a value
    holding a line break, or a NUL). The values are read only for a call whose control
    characters the exchange's head problems (found once, for the APP rules) already name."""
    return any(
        any(rule_id == "APP-HEADER-VALUE-NO-CONTROL" for rule_id, _ in problems)
        and any(map(kind, header_fields(call.headers)))
        for call, problems in zip(ex.start_calls, ex.call_problems(), strict=True)
    )


#: RFC 9110 §5.5, the sentence SRV-NO-SPLIT-FIELDS and SRV-NO-NUL-FIELDS both apply: "a
#: recipient of CR, LF, or NUL within a field value MUST either reject the message or
#: replace each of those characters with SP before further processing or forwarding of that
#: message". The server forwards the app's answer (PEP 3333: the app is the origin server,
#: the server a gateway in front of it).
RFC_9110_5_5 = "RFC 9110 §5.5"


@rule(
    "SRV-NO-SPLIT-FIELDS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=OTHER + "; RFC 9110 §5.5; RFC 9112 §2.2",
    summary="a CR or LF in a header value the app gave never reaches the client as a line "
    "break: the server refuses the call, or sends each as a space",
    pep=ORIGIN,
    source=RFC_9110_5_5,
    covers=(),
    # The app offered such a value, and an answer came. A server that refused the call
    # (raised from start_response) sent nothing of it: a pass.
    applies=lambda ex: on_wire(ex) and ex.response.status_code != 0 and _offered(ex, _breaks_line),
    needs=("wire", "start_response"),
    memo="exchange",
    example="""
bad:  head += f"{name}: {value}\\r\\n"       # value "1\\r\\nSet-Cookie: session=x"
fix:  refuse CR, LF and NUL in start_response (or send each as a space)""",
)
def no_split_fields(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A field line of the value's own, received as a field of the response, shows the
    # server did neither (RFC_9110_5_5). A bare CR received raw in the value does too, and a
    # sender MUST NOT generate one (RFC 9112 §2.2): a client that ends a line at a CR reads
    # the rest as a field line of its own.
    where = _final_where(ex)
    given = Counter(app_fields(ex))
    received = Counter(response_fields(ex))
    for name, value in _line_breaking(ex):
        made_lines = _field_lines(value)
        for made, spelled in made_lines:
            # (Counted: the app may give a field of that name and value itself as well.)
            if received[made] > given[made]:
                yield self.finding(
                    ex,
                    f"the app's {show(name)} value {quoted(value)} went out with its line "
                    f"break: the client received {show(spelled)} as a field of its own "
                    "(response splitting)",
                    where,
                )
                break
        else:
            if any(got == name and "\r" in sent for got, sent in received):
                split = (
                    f"reads {show(made_lines[0][1])} as a field of its own"
                    if made_lines
                    else "splits the field there"
                )
                yield self.finding(
                    ex,
                    f"the app's {show(name)} value {quoted(value)} went out with a bare CR in "
                    "it, which a sender must not generate (RFC 9112 §2.2): a client that ends "
                    f"a line at a CR {split} (response splitting)",
                    where,
                )


@rule(
    "SRV-NO-NUL-FIELDS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=OTHER + "; RFC 9110 §5.5",
    summary="a NUL in a header value the app gave never reaches the client: the server "
    "refuses the call, or sends it as a space",
    pep=ORIGIN,
    source=RFC_9110_5_5,
    covers=(),
    applies=lambda ex: on_wire(ex) and ex.response.status_code != 0 and _offered(ex, _holds_nul),
    needs=("wire", "start_response"),
    memo="exchange",
    example="""
bad:  head += f"{name}: {value}\\r\\n"       # value "a\\x00b" sent with its NUL
fix:  refuse CR, LF and NUL in start_response (or send each as a space)""",
)
def no_nul_fields(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A NUL, read by a parser in C as the end of a string, cuts the value (or the head)
    # short for one client and not for another (RFC_9110_5_5: "invalid and dangerous").
    where = _final_where(ex)
    nul_names = {field[0] for field in app_fields(ex) if _holds_nul(field)}
    for name, value in response_fields(ex):
        if name in nul_names and "\x00" in value:
            yield self.finding(
                ex,
                f"the server sent the app's {show(name)} value {quoted(value)} with its NUL; "
                "RFC 9110 §5.5 has it refuse the value or send a space in its place",
                where,
            )
            break


def _field_lines(value: str) -> list[tuple[tuple[str, str], str]]:
    """The field lines a value's line breaks would make of it: each as :func:`header_fields`
    reads a received field (lower-case name, value), and its name as spelled."""
    lines = []
    for line in _LINE_BREAK.split(value)[1:]:
        name, colon, rest = line.partition(":")
        if colon and name.strip():
            lines.append(((name.strip().lower(), rest.strip(" \t")), name.strip()))
    return lines


_LINE_BREAK = re.compile(r"\r\n|\r|\n")
