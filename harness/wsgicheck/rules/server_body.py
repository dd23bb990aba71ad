"""Server rules on the body it sends: Content-Length, write(), bytes as given, no body where
HTTP forbids one.

They compare what the app produced (the trace) with what went on the wire (the response),
so they judge wsgicheck's own transports and a probe's client, not the validator, which
never sees the wire. The body owed is computed once (:func:`owed_segments`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import WriteCalled, Yielded, block_size
from ..model.grammar import decimal
from ..model.response import Response
from ..model.untrusted import show
from .exchange import Exchange
from .registry import ORIGIN, Binding, Finding, Level, Rule, byte_count, quoted, rule
from .server_evidence import (
    UNCHUNKED,
    Segment,
    app_fields,
    body_allowed,
    declared_on_wire,
    final_call,
    final_length,
    judgeable,
    on_wire,
    owed_segments,
    raised_after_head,
    response_fields,
    sent_holds,
    server_answered,
    status_code,
    write_raised,
)

CL = "Handling the Content-Length Header"
WRITE = "The write() Callable"

#: What a probe's client saw when a body without a length or chunks never ended: the server
#: kept the connection open (a :class:`~wsgicheck.model.events.ServerObserved` ``what``).
UNDELIMITED = "no-end-kept-open"


@rule(
    "SRV-CL-NO-EXCESS",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=CL,
    summary="no more body is sent than the app's Content-Length allows",
    pep="""If the application supplies a Content-Length header, the server should not transmit
    more bytes to the client than the header allows""",
    applies=declared_on_wire,
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  for block in result: sock.sendall(block)       # past Content-Length: 5
fix:  send at most Content-Length bytes, then stop iterating""",
)
def cl_no_excess(self: Rule, ex: Exchange) -> Iterator[Finding]:
    declared = final_length(ex)
    assert declared is not None
    if ex.response.body_size > declared:
        yield self.finding(
            ex, f"Content-Length was {declared}; {ex.response.body_size} bytes of body were sent"
        )


def _tells_a_stop(ex: Exchange) -> bool:
    """Whether the exchange shows if the server stops at the length: the app produced past
    it, or the server left the iterable unfinished once the length was in. A body that
    ended at or before its length, by itself, shows nothing (no pass)."""
    declared = final_length(ex) or 0
    stopped = ex.produced == declared and not ex.exhausted and not ex.raised
    return ex.produced > declared or stopped


@rule(
    "SRV-CL-STOP-OR-RAISE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=CL,
    summary="once Content-Length bytes are in, the server stops iterating and refuses write()",
    pep="""... and should stop iterating over the response when enough data has been sent,
    or raise an error if the application tries to write() past that point.""",
    applies=lambda ex: (
        judgeable(ex)
        and bool(final_length(ex))
        and body_allowed(ex, final_call(ex))
        and not ex.limit_reached
        and not ex.extra.handed_as_list  # the probe, not the server, asked for its blocks
        and _tells_a_stop(ex)
    ),
    needs=("environ",),
    memo="exchange",
    example="""
bad:  for block in result: send(block[: room])       # keeps asking for blocks
fix:  stop (and close) once Content-Length bytes went out; raise from a write() past it""",
)
def cl_stop_or_raise(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # One more block may be asked for once the length is reached: it shows whether the body
    # ends there (a server may look, to report an app that overruns). Asking again after a
    # block that overran is iterating on past the point.
    declared = final_length(ex)
    assert declared is not None
    if ex.produced <= declared:
        return  # no block came once the length was in: the common case, without a walk
    produced = 0
    overran = False
    for index, event in enumerate(ex.events):
        if not isinstance(event, Yielded | WriteCalled):
            continue
        data = event.value
        if type(data) is not bytes or not data:
            continue
        if produced >= declared:
            if isinstance(event, Yielded):
                if overran:
                    yield self.finding(
                        ex,
                        f"the server went on asking for blocks after the {declared} bytes of "
                        "Content-Length were in and the body had overrun them",
                        event.where,
                    )
                    return
                overran = True
                continue
            if write_raised(ex, index) is None:
                yield self.finding(
                    ex,
                    f"write() past the {declared} bytes of Content-Length returned normally",
                    event.where,
                )
                return
        produced += block_size(event)


@rule(
    "SRV-UNSIZED-DELIMITED",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=CL + "; RFC 9112 §6.3, §9.3",
    summary="a body without the app's Content-Length still has an end the client can find: "
    "chunks, a Content-Length the server worked out, or the connection closed after it",
    pep="""If the application does not supply a Content-Length header, a server or gateway
    may choose one of several approaches to handling it. The simplest of these is to close
    the client connection when the response is completed. ... the server may use chunked
    encoding to send a chunk for each write() call or bytestring yielded by the iterable,
    thus generating a Content-Length header for each chunk. This allows the server to keep
    the client connection alive, if it wishes to do so. Note that the server must comply
    fully with RFC 2616 when doing this, or else fall back to one of the other strategies
    for dealing with the absence of Content-Length.""",
    # The catalogue row of that "must": chunks done right are SRV-CHUNKED-RFC's; no chunks,
    # no length and no close is falling back to none of the strategies.
    covers=("SRV-CHUNKED-RFC",),
    # A probe's client alone reads another server's responses to their end and says when
    # it could not find one; wsgicheck's own server sends a length or chunks, or closes.
    applies=lambda ex: ex.source == "probe" and judgeable(ex) and not server_answered(ex),
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  sock.sendall(head_without_length + body)     # and wait for the next request
bad:  head["Content-Length"] = len(first_block)    # and the app yields more blocks
fix:  add Content-Length, send chunks (HTTP/1.1), or close the connection after the body""",
)
def unsized_delimited(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A length of the server's own that ends the body before the app's last byte: the
    # client reads no further (RFC 9112 §6.3), and what the server sends after it is read
    # as the next response (rocket3 2026 takes the length of the first block).
    short = _own_length_short(ex)
    if short is not None:
        added, owed = short
        yield self.finding(
            ex,
            f"the server added Content-Length: {added}, which frames {added} bytes of the "
            f"{owed} the app produced: a client reads no more of the body than that",
        )
        return
    # RFC 9112 §6.3: a response with neither Content-Length nor chunked coding ends where the
    # server closes the connection; §9.3: to stay open, a message needs a length of its own.
    # Judged once the app had given everything (its iterable ended): the server held the
    # whole body and still neither delimited it nor closed.
    seen = ex.observations(UNDELIMITED)
    if not seen or not ex.exhausted:
        return
    yield self.finding(
        ex,
        f"the {ex.response.status_code} response to {ex.method} had no Content-Length and no "
        f"chunks, so its body ends at the close, and the server kept the connection open for "
        f"the {seen[0].detail} s the client waited once the app had given its whole body "
        "(a longer --timeout tells a slow close from none)",
    )


@rule(
    "SRV-CL-SHORT",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=CL,
    summary="a body shorter than its Content-Length ends with the connection closed",
    pep="""(Of course, if the application does not provide enough data to meet its stated
    Content-Length, the server should close the connection and log or otherwise report the
    error.)""",
    # Judged only where the app gave less than it declared: a server that never met such a
    # body (bjoern answered the request pipelined behind it in its place) has not passed.
    # The server's own file wrapper returned holds the body out of the trace's sight: what
    # the server sends of it is SRV-FILE-WRAPPER-SEMANTICS'.
    applies=lambda ex: (
        declared_on_wire(ex)
        and ex.response.status_code != 0  # nothing came: no body to judge (the hang is
        # SRV-TRAP-LOG's)
        and ex.produced < (final_length(ex) or 0)
        and not ex.observations("file-wrapper-returned")
    ),
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  the app said Content-Length: 10 and gave 4 bytes; the server keeps the connection
fix:  close the connection (the client cannot tell where the next response starts)""",
)
def cl_short(self: Rule, ex: Exchange) -> Iterator[Finding]:
    declared = final_length(ex)
    assert declared is not None
    sent = ex.response.body_size
    if sent < declared and ex.response.complete:
        raised = next((each for each in ex.raised if each.phase == "iteration"), None)
        cut = "" if raised is None else f" before the app raised {raised.exc_type}"
        # A server that wrote a length of its own over the app's (fastwsgi: 4 for the 4
        # bytes it got) finished a whole response, and the app's number reads as the
        # wire's (a probe trial of 2026-12-06): both are said.
        on_wire = ex.response.header("content-length")
        own = (
            f" (the server sent Content-Length: {show(on_wire, limit=40)} in place of the app's)"
            if on_wire is not None and decimal(on_wire.strip(" \t")) != declared
            else ""
        )
        yield self.finding(
            ex,
            f"Content-Length was {declared}, {sent} bytes were sent{cut}, and the response "
            f"was finished as if complete{own}",
        )


def _fell_short(ex: Exchange) -> bool:
    """The app ended its body, without an error, short of its own Content-Length."""
    declared = final_length(ex)
    return (
        declared is not None
        and ex.produced < declared
        and not any(raised.phase != "close" for raised in ex.raised)
    )


def _writes(ex: Exchange) -> bool:
    return any(type(event.value) is bytes and event.value for event in ex.writes)


def _segments(ex: Exchange, kind: str) -> list[Segment]:
    return [segment for segment in owed_segments(ex) or () if segment.kind == kind]


def _size_wrong(ex: Exchange, segments: list[Segment]) -> str | None:
    """Why the body sent is not as long as the body owed, or None.

    Bytes past the app's own Content-Length are SRV-CL-NO-EXCESS's finding, not this one.
    """
    owed = segments[-1].end if segments else 0
    sent = ex.response.body_size
    declared = final_length(ex)
    past_length = declared is not None and sent > declared
    if _own_length_short(ex) is not None:
        return None  # the server framed the body short: SRV-UNSIZED-DELIMITED's finding
    if sent > owed and _unframed(ex) and ex.response.body[owed:].startswith(b"HTTP/"):
        # No length and no chunks: the body ends at the close, and the server answered the
        # request behind it on the connection first (netius 1.64), which the client read
        # as more of this body. Every byte the app gave went as given: the missing end is
        # SRV-UNSIZED-DELIMITED's (a probe trial of 2026-12-06 found it told as an altered
        # body).
        return None
    if sent < owed or (sent > owed and not raised_after_head(ex) and not past_length):
        return f"{sent} bytes of body were sent for the {owed} the app produced"
    return None


def _unframed(ex: Exchange) -> bool:
    """The response on the wire had neither Content-Length nor Transfer-Encoding."""
    return not any(
        name in ("content-length", "transfer-encoding") for name, _ in response_fields(ex)
    )


def _own_length_short(ex: Exchange) -> tuple[int, int] | None:
    """``(added, owed)`` when the app gave no Content-Length and the server framed the body
    with one of its own, ``added``, shorter than the ``owed`` bytes the app produced: the
    client reads that much, whatever else the server wrote. The bytes framed out are the
    framing's fault, not the body's. A body from the server's file wrapper is judged by the
    file wrapper's rules (SRV-FILE-WRAPPER-FALLBACK: a wrapper that sent nothing). Found
    once per exchange: four rules ask, the write() rules once for each block."""
    facts = ex.facts
    if "own_length_short" not in facts:
        facts["own_length_short"] = _find_own_length_short(ex)
    short: tuple[int, int] | None = facts["own_length_short"]
    return short


def _find_own_length_short(ex: Exchange) -> tuple[int, int] | None:
    if final_length(ex) is not None or not on_wire(ex) or ex.file_wrapper_calls:
        return None
    values = [value for name, value in response_fields(ex) if name == "content-length"]
    added = decimal(values[0].strip(" \t")) if len(values) == 1 else None
    if added is None or added != ex.response.body_size:
        return None
    segments = owed_segments(ex) or []
    owed = segments[-1].end if segments else 0
    if added >= owed or not _starts_as_owed(ex, segments, added):
        return None  # not short; or bytes lost or changed before the end, which is no frame
    return added, owed


def _starts_as_owed(ex: Exchange, segments: list[Segment], size: int) -> bool:
    """Whether the body sent is the first ``size`` bytes the app produced, as far as the
    trace and the record kept them: a frame cut the app's body there, rather than a block
    lost (a review of 2026-12-07: a server that dropped the write() data and framed the
    rest was told as framing it short, and SRV-WRITE-SEMANTICS was silenced)."""
    sent = ex.response.body
    for segment in segments:
        if segment.start >= size:
            return True
        got = sent[segment.start : segment.start + len(segment.data)]
        if not segment.data.startswith(got[: min(len(got), size - segment.start)]):
            return False
    return True


def _framed_out(ex: Exchange, segment: Segment) -> bool:
    """The segment ends past a length of the server's own that framed the body short."""
    short = _own_length_short(ex)
    return short is not None and segment.end > short[0]


@rule(
    "SRV-WRITE-SEMANTICS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=WRITE,
    summary="data passed to write() is sent, in order, exactly as if it had been yielded",
    pep="""a bytestring to be written as part of the HTTP response body, that is treated
    exactly as though it had been yielded by the output iterable. In other words, before
    write() returns, it must guarantee that the passed-in bytestring was either
    completely sent to the client, or that it is buffered for transmission while the
    application proceeds onward.""",
    applies=lambda ex: _writes(ex) and owed_segments(ex) is not None,
    needs=("write", "wire", "environ"),
    memo="exchange",
    example="""
bad:  def write(data): self.buffer.append(data)      # and the buffer is never sent
fix:  def write(data): self.send(data)               # sent (or queued) before returning""",
)
def write_semantics(self: Rule, ex: Exchange) -> Iterator[Finding]:
    segments = owed_segments(ex) or []
    for segment in segments:
        if segment.kind == "write" and not sent_holds(ex, segment) and not _framed_out(ex, segment):
            yield self.finding(
                ex,
                f"the {segment.size} bytes written at offset {segment.start} are not in "
                "the body sent",
            )
            return
    if not _segments(ex, "yield"):
        problem = _size_wrong(ex, segments)
        if problem:
            yield self.finding(ex, problem)


@rule(
    "SRV-ITER-AFTER-WRITE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=WRITE,
    summary="blocks yielded by an app that used write() are sent too, after the written data",
    pep="""... if it does yield non-empty bytestrings, that output must be treated normally
    by the server or gateway (i.e., it must be sent or queued immediately).""",
    applies=lambda ex: _writes(ex) and bool(_segments(ex, "yield")),
    needs=("write", "wire", "environ"),
    memo="exchange",
    example="""
bad:  if self.used_write: return      # ignores what the iterable yields
fix:  send the yielded blocks after everything passed to write()""",
)
def iter_after_write(self: Rule, ex: Exchange) -> Iterator[Finding]:
    segments = owed_segments(ex) or []
    for segment in segments:
        if segment.kind == "yield" and not sent_holds(ex, segment) and not _framed_out(ex, segment):
            yield self.finding(
                ex,
                f"the {segment.size} bytes yielded after write(), owed at offset "
                f"{segment.start}, are not in the body sent",
            )
            return
    problem = _size_wrong(ex, segments)
    if problem:
        yield self.finding(ex, problem)


@rule(
    "SRV-BINARY-SAFE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section="Specification Details",
    summary="the body sent is the bytes the app yielded, unchanged",
    pep="""The server or gateway should treat the yielded bytestrings as binary byte
    sequences: in particular, it should ensure that line endings are not altered.""",
    # A body the app itself ended short of its Content-Length has no right ending: the
    # server should close the connection (SRV-CL-SHORT), and is not judged here on it.
    # A body the client could not frame (the app's Transfer-Encoding passed on over its raw
    # bytes) was sent, not altered: SRV-CHUNKED-RFC's finding.
    applies=lambda ex: (
        not _writes(ex)
        and owed_segments(ex) is not None
        and not _fell_short(ex)
        and not ex.observations(UNCHUNKED)
    ),
    needs=("wire", "environ"),
    memo="exchange",
    example="""
bad:  sock.makefile("w", newline="\\r\\n").write(block.decode("latin-1"))
fix:  sock.sendall(block)""",
)
def binary_safe(self: Rule, ex: Exchange) -> Iterator[Finding]:
    segments = owed_segments(ex) or []
    sent = ex.response.body
    # Segment by segment, as far as both the trace and the record kept the bytes.
    for segment in segments:
        got = sent[segment.start : segment.start + len(segment.data)]
        if segment.data.startswith(got):
            continue  # as far as both kept it, the same bytes
        for index, (expected, byte) in enumerate(zip(segment.data, got, strict=False)):
            if expected != byte:
                yield self.finding(
                    ex,
                    f"body byte {segment.start + index} is {bytes([byte])!r}; "
                    f"the app yielded {bytes([expected])!r}",
                )
                return
    if raised_after_head(ex) and ex.response.body_size < (segments[-1].end if segments else 0):
        # The app failed mid-body, and the server cut the response short: blocks it had not
        # sent yet may go with it (granian, at random), which alters no byte it did send.
        return
    problem = _size_wrong(ex, segments)
    if problem:
        yield self.finding(ex, problem)


#: Statuses whose responses never carry content (RFC 9110 §15.3.5, §15.4.5).
NO_CONTENT = (204, 304)


def _no_body_expected(ex: Exchange) -> bool:
    code = ex.response.status_code
    return ex.method == "HEAD" or code in NO_CONTENT or 100 <= code < 200


def _no_body_case(ex: Exchange) -> bool:
    """A response a client received where HTTP allows no content."""
    return (
        on_wire(ex)
        and ex.response.status_code != 0
        and not ex.timed_out
        and (_no_body_expected(ex))
    )


#: Framing fields a 1xx or 204 response must not carry (RFC 9110 §8.6, RFC 9112 §6.1).
_FRAMING = ("content-length", "transfer-encoding")


def _app_framing(ex: Exchange) -> set[str]:
    """The framing fields the app itself gave (lower-case names)."""
    return {name for name, _ in app_fields(ex)} & set(_FRAMING)


def _app_gave_body(ex: Exchange) -> bool:
    """The app produced body bytes, or a 204's framing field, where HTTP allows none."""
    produced = any(type(event.value) is bytes and event.value for event in ex.yields) or any(
        type(event.value) is bytes and event.value for event in ex.writes
    )
    code = ex.response.status_code
    return produced or ((code == 204 or 100 <= code < 200) and bool(_app_framing(ex)))


def _framing_sent(response: Response) -> list[str]:
    """The framing fields a 1xx or 204 response went out with (RFC 9110 §8.6, §15.3.5)."""
    code = response.status_code
    if not (code == 204 or 100 <= code < 200):
        return []
    return [
        name
        for name in ("Content-Length", "Transfer-Encoding")
        if response.header(name) is not None
    ]


def _what(ex: Exchange) -> str:
    return "HEAD request" if ex.method == "HEAD" else f"{ex.response.status_code} response"


@rule(
    "SRV-NO-BODY-HEAD-204-304",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Other HTTP Features; RFC 9110 §9.3.2, §8.6, §15.3.5, §15.4.5; RFC 9112 §6.1",
    summary="to HEAD, and in a 1xx, 204 or 304, the server adds no content, no chunk framing, "
    "(1xx, 204) no Content-Length or Transfer-Encoding of its own, and (304, HEAD) no "
    "Content-Length but the GET's 200's",
    pep=ORIGIN,
    source="RFC 9110 §9.3.2, §8.6, §15.3.5, §15.4.5; RFC 9112 §6.1",
    covers=(),
    # The app gave nothing there (a correct answer): whatever follows the head is the
    # server's. An app that gave a body is SRV-NO-BODY-DROP's.
    applies=lambda ex: _no_body_case(ex) and not _app_gave_body(ex),
    needs=("wire", "response:no-body"),
    memo="exchange",
    example="""
bad:  HEAD / -> "Transfer-Encoding: chunked", then "0\\r\\n\\r\\n" on the wire
fix:  send the head only (the Content-Length a GET would have may stay)""",
)
def no_body_head_204_304(self: Rule, ex: Exchange) -> Iterator[Finding]:
    response = ex.response
    code = response.status_code
    if response.body_size:
        shown = response.body[:16]
        yield self.finding(
            ex,
            f"{response.body_size} bytes ({shown!r}...) followed the head of a {_what(ex)} "
            "for which the app gave no body",
        )
    for name in _framing_sent(response):
        yield self.finding(ex, f"the server sent a {code} response with {name}")
    added = response.header("content-length")
    whole = ex.extra.length_of_200
    if (
        (code == 304 or ex.method == "HEAD")
        and added is not None
        and whole is not None
        # A 304, whoever made it; else the app's answer, that the server framed: not an
        # error of the server's own (Hypercorn 0.18 sends a 500 with Content-Length: 0
        # for an empty body, SRV-PLAY-DUMB's).
        and (code == 304 or status_code(final_call(ex)) == code)
        and "content-length" not in dict(app_fields(ex))
        and decimal(added.strip()) != whole
    ):
        # RFC 9110 §8.6: a 304's or a HEAD's Content-Length may only be what the GET's 200
        # would have sent; a server that cannot know it adds none.
        what, told = (
            ("304", "the 200 to the same request without its condition")
            if code == 304
            else ("HEAD response", "the GET of the same target")
        )
        yield self.finding(
            ex,
            f"the server added Content-Length: {quoted(added)} to a {what} the app gave none; "
            f"{told} had {byte_count(whole)}",
        )


@rule(
    "SRV-NO-BODY-DROP",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Other HTTP Features; RFC 9110 §9.3.2, §8.6, §15.3.5, §15.4.5; RFC 9112 §6.3",
    # The framing fields too: a server that dropped the body but rewrote the app's
    # Content-Length of a 204 (fastwsgi: 29 to 0) read as a misfiled finding under a summary
    # of the body alone (a probe trial of 2026-12-06).
    summary="a body the app gave to HEAD or with a 1xx, 204 or 304 is not sent (the client "
    "would read it as the next response), and a 1xx or 204 carries no framing field but the "
    "app's own",
    pep=ORIGIN,
    source="RFC 9110 §9.3.2, §8.6, §15.3.5, §15.4.5; RFC 9112 §6.3",
    covers=(),
    applies=lambda ex: _no_body_case(ex) and _app_gave_body(ex),
    needs=("wire", "response:no-body"),
    memo="exchange",
    example="""
bad:  HEAD / -> the app yields b"hello", and "hello" follows the head on the wire
fix:  iterate (and close) the app's body, but send none of it""",
)
def no_body_drop(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # The app is wrong (APP-NO-BODY-FOR-STATUS); the server still owns the connection, and
    # RFC 9112 §6.3 ends these responses at the head: bytes after it start the next one.
    response = ex.response
    code = response.status_code
    if response.body_size:
        yield self.finding(
            ex,
            f"{response.body_size} bytes of the app's body were sent after the head of a "
            f"{_what(ex)}",
        )
    given = dict(app_fields(ex))
    for name in _framing_sent(response):
        sent = response.header(name)
        mine = given.get(name.lower())
        if mine is not None and mine.strip() == (sent or "").strip():
            # The app's own field, passed on as given: a server that plays dumb (PEP 3333,
            # Other HTTP Features) may; RFC 9112 §6.3 ends the response at the head
            # whatever it says, so no client misreads it.
            continue
        whose = (
            "the server added" if mine is None else f"the app gave {mine!r}, and the server sent"
        )
        yield self.finding(ex, f"{whose} {name}: {sent!r} in a {code} response")
