"""The fixed corpus: each plan sends one scenario's requests the way that shows most.

A plan is a function of the :class:`~.session.Session`; it sends requests (some on shared
connections, some pipelined, some with the body held back), reads the answers with the
raw client, and notes what only the client can see in ``Sent.extra`` and in the session's
``observations``. Generated requests (:func:`drawn_requests`) come on top, all answered by
the ``echo`` scenario.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings

from ..drivers.rawclient import RawConnection, WireResponse
from ..explore import hypothesis_hooks, strategies
from ..model.extra import Expect
from ..model.request import Framing, Request
from ..rules.registry import byte_count
from . import scenario_base
from .answers import answered_id
from .session import Sent, Session

__all__ = ["PLANS", "drawn_requests"]

#: Seconds the client waits for ``100 Continue`` before it sends the body anyway (RFC 9110
#: §10.1.1 lets it; curl waits one second).
CONTINUE_WAIT = 3.0
#: Seconds the client lets pass between a 100 Continue and the body it then sends.
CONTINUE_LATE = 0.2
#: Seconds an HTTP/1.0 client's Expect waits for the 100 Continue no server may send it
#: (the servers that do send it as the app reads, at once).
CONTINUE_OLD_WAIT = 1.0
#: Seconds the client waits, in the input scenarios, before it shuts its sending side: a
#: read() that wants the connection's end gets it then, and the probe goes on.
INPUT_WAIT = 1.0
#: Seconds the client waits for the rest of a body shorter than its Content-Length (or for
#: the answer to the request pipelined behind it).
SHORT_WAIT = 2.0
#: The argument of the echo request whose field value is folded over two lines, and the
#: field.
FOLDED = "obs-fold"
FOLDED_NAME = "X-Folded"
#: The argument of the echo request that says both Content-Length and Transfer-Encoding.
BOTH_LENGTHS = "both-lengths"
#: Seconds the client waits for the rest of that body sent alone before it sends the next
#: request on the connection: the head and the bytes the app gave come at once.
SHORT_ALONE_WAIT = 0.5
#: Seconds the client waits for the first block of the unbuffered scenario.
BLOCK_WAIT = scenario_base.BLOCK_WAIT + 2.0

INPUT_BODY = b"line one\nline two\nthe third line, longer than the others\nno newline at the end"
CLOSE = (("Connection", "close"),)
PADDING = (("X-Padding", "p" * 128),)

Plan = Callable[[Session], None]


def plain(session: Session) -> None:
    """Echo requests: GET, POST with a form, HTTP/1.0 without Host."""
    session.exchange(session.request("echo", target="/plain/path?q=1&x=%C3%A9"))
    session.exchange(
        session.request(
            "echo",
            method="POST",
            target="/form",
            headers=(("Content-Type", "application/x-www-form-urlencoded"),),
            body=b"name=wsgicheck&q=%C3%A9",
        )
    )
    old = session.request("echo", target="/http10", version="1.0", host=False)
    response = session.exchange(old)
    if response is not None:
        session.observations["HTTP/1.0 request answered with"] = response.version


#: Targets whose decoding servers disagree on, one oddity each so that a server refusing one
#: (with its own 400) still shows how it decodes the others.
ODD_TARGETS = (
    "/a%2Fb/c",  # an encoded slash inside a segment: PATH_INFO decodes it to "/"
    "/latin-1/%E9",  # a byte that is not UTF-8: PATH_INFO holds it as U+00E9
    "/utf-8/%C3%A9",  # UTF-8: PATH_INFO holds its two bytes as two latin-1 characters
    "/percent/%25/%2e/x",  # %25 decodes once, to "%"; an encoded dot segment stays a segment
    "//double//slashes/",
    "/nul/%00",  # a NUL byte: a server may refuse it; if it answers, PATH_INFO carries it
    "/query?a=%zz&b=%C3%A9&c=1+2&&",  # QUERY_STRING is the raw query, never decoded
)
#: Methods a server must pass on as sent: RFC 9110 method tokens are case-sensitive.
ODD_METHODS = ("PROPFIND", "purge", "M-SEARCH")


def odd_targets(session: Session) -> None:
    """Echo requests with targets, methods and header fields that servers treat differently."""
    for target in ODD_TARGETS:
        session.exchange(session.request("echo", target=target))
    for method in ODD_METHODS:
        session.exchange(session.request("echo", method=method, target="/method"))
    # Header fields: repeated (joined into one variable), oddly cased, and a proxy header a
    # server may drop from peers it does not trust.
    fields = (
        ("Accept", "text/plain"),
        ("accept", "text/html"),
        ("X-Forwarded-For", "192.0.2.1"),
        ("X-MiXeD-CaSe", "yes"),
    )
    session.exchange(session.request("echo", target="/headers", headers=fields))
    # Bytes past ASCII at both ends of a value (obs-text, which a recipient treats as opaque
    # data, RFC 9110 §5.5), alone: a server that strips Unicode whitespace from the value
    # read as latin-1 loses 0xA0 and 0x85 (gevent 26.9), and one that refuses the field
    # spoils no other. Drawn requests met it only for some seeds.
    obs_text = (("X-Obs-Text", "\xa0opaque\x85"),)
    session.exchange(session.request("echo", target="/headers/obs-text", headers=obs_text))
    # A value folded over two lines (obs-fold, RFC 9112 §5.2): a server replaces the fold
    # with spaces, or refuses the request with a 400; the app must never see the line break
    # (gevent 26.9, uWSGI 2.0 and Paste 3.10 hand it on, bjoern 3.2 drops the space, and
    # cheroot 11 keeps the second line alone: a probe trial of 2026-12-06).
    folded = session.request(
        "echo", FOLDED, target="/headers/obs-fold", headers=((FOLDED_NAME, "one two"),)
    )
    folded.refusable = True
    folded.extra = replace(folded.extra, folded=(FOLDED_NAME,))
    line = f"{FOLDED_NAME}: one two\r\n"
    folded.request = folded.request.replace(wire_edits=((line, line.replace(" two", "\r\n two")),))
    session.exchange(folded)


def keep_alive(session: Session) -> None:
    """Two requests, one after the other, on one connection; then two pipelined.

    A server that closes the connection after an HTTP/1.1 answer that did not say so is
    tried once more on a fresh connection: twice in a row, it does not keep connections,
    and owed each answer ``Connection: close`` (RFC 9112 §9.3; ``SRV-CLOSE-ANNOUNCED``).
    """
    first, second = _one_after_the_other(session, 1)
    if first.response is not None:
        session.observations["HTTP/1.1 request answered with"] = first.response.version
    story = _reuse_story(first.response, second.response)
    closes = _closed_unannounced(first, second)
    if closes:
        again, behind = _one_after_the_other(session, 3)
        if _closed_unannounced(again, behind):
            closes = 2
            story = "no (the server closes the connection after each response, unannounced)"
    if closes is not None:
        first.extra = replace(first.extra, closes_unannounced=closes)
    session.observations["keep-alive"] = story
    one = session.request("echo", target="/pipelined/1", pipelined=True)
    two = session.request("echo", target="/pipelined/2", follow_up=True, pipelined=True)
    _pipelined(session, one, two)
    session.observations["pipelining"] = _pipelining_story(one, two)


def _pipelined(session: Session, one: Sent, two: Sent) -> None:
    """Send ``one`` and ``two`` in one write, and read what the server does with each: an
    answer to ``one``, then, on a connection it keeps, one to ``two`` (nothing at all, with
    the connection open: it dropped it); after an answer to ``one`` that said ``close``,
    whether it answered ``two`` all the same, closed the connection, or kept it open (RFC
    9112 §9.6: after a ``close`` the server closes, and processes no request that came
    behind it on the connection)."""
    with session.connection() as conn:
        conn.send(one.request.to_bytes() + two.request.to_bytes())
        one.response = conn.read_response(one.request.method)
        if one.response is not None and one.response.stalled:
            one.unended = session.timeout
        if _stays_open(one.response):
            two.response = conn.read_response(two.request.method)
            if two.response is None and not conn.closed and not conn.buffer:
                two.hung = session.timeout  # kept open, and nothing came: dropped
        elif _says_close(one.response):
            two.extra = replace(two.extra, after_close=_came_behind(conn, two))


def _after_answer(session: Session, one: Sent, two: Sent) -> None:
    """Send ``one``, and ``two`` on the same connection once ``one``'s answer is in; after
    an answer that said ``Connection: close``, whether the server answered ``two`` all the
    same, closed the connection, or kept it open (RFC 9112 §9.6, as :func:`_pipelined`
    tells it of two requests in one write)."""
    with session.connection() as conn:
        conn.send(one.request.to_bytes())
        one.response = conn.read_response(one.request.method)
        if not _says_close(one.response):
            return
        two.after = one.request
        two.extra = replace(two.extra, after_close=_came_behind(conn, two, send=True))


def _came_behind(conn: RawConnection, behind: Sent, *, send: bool = False) -> str:
    """What became of ``behind`` on ``conn`` after an answer that owed the connection's
    close (``send``: it is sent now, else it went in the same write as the first):
    ``"answered"`` (the answer read as its response), ``"closed"``, or ``"open"`` (nothing
    came, and the connection was kept)."""
    late = None
    if not conn.closed and (not send or conn.send(behind.request.to_bytes())):
        late = conn.read_response(behind.request.method)
    behind.response = late
    return "answered" if late is not None else "closed" if conn.closed else "open"


def _one_after_the_other(session: Session, number: int) -> tuple[Sent, Sent]:
    """Two echo requests on one connection, the second sent once the first is answered,
    if the answer keeps the connection open. A second request that gets nothing back on a
    connection left open is noted (``Sent.hung``)."""
    first = session.request("echo", target=f"/keep-alive/{number}")
    second = session.request("echo", target=f"/keep-alive/{number + 1}", follow_up=True)
    with session.connection() as conn:
        conn.send(first.request.to_bytes())
        first.response = conn.read_response("GET")
        if _stays_open(first.response) and conn.send(second.request.to_bytes()):
            second.after = first.request
            second.response = conn.read_response("GET")
        kept = _stays_open(first.response) and not conn.closed and not conn.buffer
        if second.response is None and kept:
            second.hung = session.timeout  # nothing at all came back
    return first, second


def _closed_unannounced(first: Sent, second: Sent) -> int | None:
    """1 when the server closed the connection after a complete HTTP/1.1 answer that did
    not say ``close``, before answering the request sent next on it; 0 when it kept the
    connection or said it would close it; None when the answer tells nothing (none came, an
    HTTP/1.0 one, or one whose body the close ended)."""
    response = first.response
    if response is None or response.version != "HTTP/1.1" or not response.complete:
        return None
    if response.until_close:
        return None
    if _says_close(response):
        return 0
    return int(response.closed or (second.response is None and second.hung is None))


def _stays_open(response: WireResponse | None) -> bool:
    """Whether the server said it keeps the connection (RFC 9112 §9.3)."""
    if response is None or response.closed:
        return False
    tokens = response.connection_tokens
    if response.version == "HTTP/1.1":
        return "close" not in tokens
    return "keep-alive" in tokens


def _says_close(response: WireResponse | None) -> bool:
    """Whether a whole response said ``Connection: close`` (not ended by the close)."""
    return (
        response is not None
        and response.complete
        and not response.until_close
        and "close" in response.connection_tokens
    )


def _reuse_story(first: WireResponse | None, second: WireResponse | None) -> str:
    if second is not None:
        return "yes"
    if first is None:  # (an adversarial trial of 2026-12-07 read "closes after each" here)
        return "unknown (the first request got no response)"
    if not _stays_open(first):
        return "no (the server closes the connection after each response)"
    return "no (the second request got no answer)"


def _pipelining_story(one: Sent, two: Sent) -> str:
    """What the two pipelined requests got, each answer told by the probe id it names
    (see :mod:`.answers`)."""
    first, second = answered_id(one.response), answered_id(two.response)
    if first == two.probe_id:
        if second == one.probe_id:
            return "no (the answers came in the reverse order of the requests)"
        return "no (the first request got no answer of its own; the answer read was the second's)"
    if second is not None and second != two.probe_id:
        return "no (the answer read for the second request was not its own)"
    if two.extra.after_close == "answered":
        return "yes, though the first answer said Connection: close"
    return _reuse_story(one.response, two.response)


def closing(session: Session) -> None:
    """An iterable with close(): ended normally, by an exception, by the client leaving."""
    session.exchange(session.request("close", "normal"))
    session.exchange(session.request("close", "list"))
    failed = session.request("close", "error")
    session.exchange(failed)
    gone = session.request("close", "disconnect")
    with session.connection() as conn:
        conn.send(gone.request.to_bytes())
        conn.read_head()  # the head, if the server sends it before the app ends
    gone.client_gone = True
    session.channel.raise_flag(gone.probe_id, "client-gone")


def write(session: Session) -> None:
    """write(), then yielded blocks."""
    session.exchange(session.request("write"))
    session.exchange(session.request("write", version="1.0", host=False))


def input_stream(session: Session) -> None:
    """wsgi.input read every way, with the next request pipelined right after the body."""
    for mode in ("read", "read-past", "readline", "readlines", "iter", "sized"):
        sent = session.request("input", mode, method="POST", body=INPUT_BODY, pipelined=True)
        # Longer than the 100 bytes read-past asks for beyond the body: a stream that does
        # not stop at CONTENT_LENGTH reads into it at once, rather than wait for more.
        follow = session.request(
            "echo", target="/after-the-body", headers=PADDING, follow_up=True, pipelined=True
        )
        _until_answered(session, sent, follow)
        if mode in ("readlines", "iter"):
            sent.lines_changed, sent.lines_added = _lines_changed(sent, follow)
    _until_answered(session, session.request("input", "empty"))
    _until_answered(session, session.request("input", "empty-lines", method="POST"))
    sent = _chunked(session, (10, 20, len(INPUT_BODY) - 30))
    session.exchange(sent)
    if sent.response is not None:
        session.observations["chunked request body"] = _chunked_story(sent)
    session.exchange(_chunk_extension(session))
    session.exchange(_chunked_capitalised(session))


def _chunked(session: Session, sizes: tuple[int, ...], edit: tuple[str, str] | None = None) -> Sent:
    """A chunked POST of :data:`INPUT_BODY` in chunks of ``sizes`` (its head or framing
    changed by ``edit``), to the ``input`` scenario. Without ``wsgi.input_terminated`` the
    app reads as many bytes as the client sent on the wire: a server that decodes the
    body gives the payload, one that passes the framing through gives more, and one that
    lost the body gives nothing, which SRV-HANDLE-INBOUND-HOP tells apart. (An app that read
    only what CONTENT_LENGTH or ``wsgi.input_terminated`` allow would read nothing from a
    server that gives neither, which hid rocket3's faults from the rule: a trial of
    2026-12-07.)"""
    framing = sum(len(b"%x\r\n\r\n" % size) + size for size in sizes) + len(b"0\r\n\r\n")
    raw = framing + (len(edit[1]) - len(edit[0]) if edit else 0)
    sent = session.request(
        "input",
        f"chunked={raw}",
        method="POST",
        body=INPUT_BODY,
        framing=Framing.CHUNKED,
        chunk_sizes=sizes,
        headers=CLOSE,
    )
    if edit is not None:
        sent.request = sent.request.replace(wire_edits=(edit,))
    return sent


def _chunk_extension(session: Session) -> Sent:
    """A chunked POST whose first chunk carries an extension: "A recipient MUST ignore
    unrecognized chunk extensions" (RFC 9112 §7.1.1). The app reads the body decoded, the
    extension nowhere in it (SRV-HANDLE-INBOUND-HOP); a 4xx is a valid request refused
    (rocket3 gave the app an empty body)."""
    first = 10
    size_line = f"\r\n\r\n{first:x}\r\n"  # the end of the head, then the first size
    extended = f"\r\n\r\n{first:x};wsgicheck=ext\r\n"
    return _chunked(session, (first, len(INPUT_BODY) - first), (size_line, extended))


def _chunked_capitalised(session: Session) -> Sent:
    """A chunked POST that names its coding ``Chunked``: "All transfer-coding names are
    case-insensitive" (RFC 9112 §7). The app reads the body decoded (rocket3 passed the
    framing through)."""
    field = "Transfer-Encoding: chunked\r\n"
    return _chunked(session, (len(INPUT_BODY),), (field, field.replace("chunked", "Chunked")))


def _until_answered(session: Session, sent: Sent, follow: Sent | None = None) -> None:
    """Send ``sent`` (and ``follow`` right behind it); if no answer comes, the app may be
    waiting for the connection's end: shut the client's side and wait again. The exchange
    then notes ``input_blocked``: False here, and True once the app says its reads ended
    only after the client shut (:func:`~.judge.to_exchange`): a server that stalls on the
    answer (socketify) is not taken for a read that waited."""
    data = sent.request.to_bytes() + (follow.request.to_bytes() if follow else b"")
    with session.connection() as conn:
        conn.send(data)
        sent.response = conn.read_response(sent.request.method, timeout=INPUT_WAIT)
        if sent.response is None and not conn.closed:
            session.channel.raise_flag(sent.probe_id, scenario_base.CLIENT_SHUT)
            conn.shutdown_write()
            sent.response = conn.read_response(sent.request.method)
            sent.extra = replace(sent.extra, input_blocked=False)
        if follow is not None and _stays_open(sent.response):
            follow.response = conn.read_response(follow.request.method)


def _lines_changed(sent: Sent, follow: Sent) -> tuple[str | None, int]:
    """How the lines the app read (it answers with them) differ from the body sent, and how
    many bytes came after the whole body (made up, not the next request's); None and 0
    where they do not: the same bytes, the body cut short (SRV-INPUT-LINES sees that from
    the sizes), or the body and then the next request's bytes (read past the end:
    SRV-INPUT-EOF-AT-CL's)."""
    response = sent.response
    if response is None or response.status != 200 or not response.complete:
        return None, 0
    body, got = sent.request.body, response.body
    if body.startswith(got):
        return None, 0
    added = got[len(body) :]
    if got.startswith(body) and follow.request.to_bytes().startswith(added):
        return None, 0
    if got.startswith(body):
        said = f"{byte_count(len(added))} the body does not have came after it: {added[:20]!r}"
        return said, len(added)
    at = next(
        (index for index, (one, other) in enumerate(zip(body, got, strict=False)) if one != other),
        min(len(body), len(got)),
    )
    return (
        f"{len(got)} bytes for a body of {len(body)}, differing from byte {at} on: "
        f"{got[at : at + 20]!r} for {body[at : at + 20]!r}"
    ), 0


def _chunked_story(sent: Sent) -> str:
    assert sent.response is not None
    if sent.response.status != 200:
        return f"answered {sent.response.status}"
    read = sent.response.body
    if not sent.response.complete:
        # What came is the app's echo only as far as the server sent it: the rest is not
        # known (a review of 2026-12-07: a body the server cut short read as the app's).
        return f"not known: the server's answer broke off after {len(read)} bytes"
    if read == sent.request.body:
        return "decoded"
    if b"\r\n" in read:
        return "passed through with its chunk framing"
    if read and sent.request.body.startswith(read):
        # Decoded, but the stream gave less than the app asked for: a chunk per read
        # (rocket3) as well as a body cut short look so from here.
        return (
            f"decoded as far as the app's reads went: {len(read)} of "
            f"{len(sent.request.body)} bytes (the stream gave less than asked)"
        )
    if not read:
        return f"the app read 0 of {len(sent.request.body)} bytes"
    return f"the app read {len(read)} bytes, which are not the body's {len(sent.request.body)}"


def expect(session: Session) -> None:
    """Expect: 100-continue, the body held back until the 100 comes (or the wait ends);
    once with a body, once with an empty one, and once from an HTTP/1.0 client."""
    for body in (INPUT_BODY, b""):
        sent = session.request(
            "expect",
            method="POST",
            headers=(("Expect", "100-continue"),),
            body=body,
            framing=Framing.CONTENT_LENGTH,
        )
        evidence = _expect_exchange(session, sent)
        sent.extra = replace(sent.extra, expect=evidence)
        if not body:
            continue
        if evidence.continued:
            # The flag is looked at as the 100 arrives: it tells whether the app was reading
            # by then, not that its read sent the 100 (a server may send it at once).
            reading = (
                "the app was reading by then" if evidence.app_reading else "the app had not read"
            )
            story = f"100 Continue sent ({reading})"
        elif evidence.final_first:
            story = "answered at once, without the body"
        else:
            story = "no 100 Continue; the body was read when the client sent it unasked"
        session.observations["Expect: 100-continue"] = story
    # An HTTP/1.0 client's Expect, which the server MUST ignore: "a server MUST NOT send a
    # 1xx response to an HTTP/1.0 client" (RFC 9110 §15.2, §10.1.1; Werkzeug's development
    # server and cheroot send 100 Continue to it as the app reads, rocket3 at once).
    old_client = session.request(
        "expect",
        method="POST",
        version="1.0",
        headers=(("Expect", "100-continue"),),
        body=INPUT_BODY,
        framing=Framing.CONTENT_LENGTH,
    )
    old_client.extra = replace(old_client.extra, expect=_expect_exchange(session, old_client))


def _expect_exchange(session: Session, sent: Sent) -> Expect:
    head, _, body = sent.request.to_bytes().partition(b"\r\n\r\n")
    evidence = Expect()
    # An HTTP/1.0 server owes no 100 (PEP 3333): do not make the client wait long for one;
    # nor one asked as HTTP/1.0, which is owed none.
    old = session.observations.get("HTTP/1.1 request answered with") == "HTTP/1.0"
    if sent.request.http_version == "1.0":
        wait = CONTINUE_OLD_WAIT
    else:
        wait = CONTINUE_LATE if old else CONTINUE_WAIT
    with session.connection() as conn:
        conn.send(head + b"\r\n\r\n")
        first = conn.read_head(timeout=wait)
        evidence = replace(evidence, version=first.version if first is not None else "")
        if first is not None and first.status == 100:
            reading = session.channel.flag_raised(sent.probe_id, "reading")
            evidence = replace(evidence, continued=True, app_reading=reading)
            # Late, so that a read which does not wait for the body shows it.
            time.sleep(CONTINUE_LATE)
            conn.send(body)
            sent.response = conn.read_response("POST")
            if sent.response is not None:
                sent.response.interim.insert(0, 100)
        elif first is not None:
            # Answered without waiting for the body.
            evidence = replace(evidence, final_first=True)
            sent.response = conn.read_body(first, "POST")
        else:
            conn.send(body)
            sent.response = conn.read_response("POST")
    if sent.response is not None:
        evidence = replace(evidence, version=sent.response.version)
    return evidence


#: The short-body scenarios (the app gives less than its Content-Length: ``short`` ends its
#: body there, ``short-raise`` raises there), and the observation each one's story goes to.
SHORT_BODIES = {
    "short": "body shorter than Content-Length",
    "short-raise": "exception inside a body under its Content-Length",
}


def content_length(session: Session) -> None:
    """A body shorter than its Content-Length (ended, and cut by an exception), and one
    longer."""
    for arg in SHORT_BODIES:
        _short_body(session, arg)
    session.exchange(session.request("content-length", "long", headers=CLOSE), drain=True)
    session.exchange(session.request("content-length", "long-list", headers=CLOSE), drain=True)
    session.exchange(session.request("content-length", "long-write", headers=CLOSE), drain=True)


def _short_body(session: Session, arg: str) -> None:
    """A body shorter than its Content-Length (the ``arg`` of :data:`SHORT_BODIES`), with an
    echo request pipelined behind it: a server that closes the connection (SRV-CL-SHORT)
    never answers the second; one that keeps the connection answers it, its answer read as
    the rest of the first body. No idle timer of the server's decides it: the next request
    is there as the first one ends."""
    short = session.request("content-length", arg)
    follow = session.request("echo", target="/after-the-short-body", follow_up=True)
    with session.connection() as conn:
        if not conn.send(short.request.to_bytes() + follow.request.to_bytes()):
            return
        response = short.response = conn.read_response("GET", timeout=SHORT_WAIT)
        if response is None:
            # (Tornado's WSGIContainer, after the app raised: no byte, and no close.)
            silent = "closed" if conn.closed else f"left open, no answer in {SHORT_WAIT:g} s"
            session.observations[SHORT_BODIES[arg]] = f"connection {silent}"
            if not conn.closed and not conn.buffer:
                short.hung = SHORT_WAIT  # nothing at all came back: the client is left hanging
            return
        rest = response.body[len(scenario_base.SHORT_BODY) :] + conn.buffer
        if answered_id(response) == follow.probe_id:
            story = None  # the server answered the request behind it in its place (bjoern)
        elif response.status != 200:
            # The app's head never went out (eventlet holds a small one): no short body.
            story = f"the server answered {response.status} in the app's place"
        elif response.body.startswith(scenario_base.SHORT_BODY) and rest.startswith(b"HTTP/"):
            story = _kept_or_filled(conn, response, rest, follow)
        else:
            story = "connection closed" if response.closed else "connection left open"
    if story is None:
        story = "the request behind it was answered in its place; " + _short_body_alone(
            session, arg
        )
    session.observations[SHORT_BODIES[arg]] = story


def _kept_or_filled(conn: RawConnection, response: WireResponse, rest: bytes, follow: Sent) -> str:
    """A short body whose missing bytes were a response's head: the answer to the request
    behind it (the server went on with the connection as if the body were complete: it is
    read as that answer, and the body as cut), or one of the server's own (rocket3 and
    pyruvate write a 500 after the cut body, then close), which the client took for the
    rest of the body: left as read. What became of the connection, as a story."""
    cut, kept = response.body, conn.buffer
    conn.buffer = rest
    answer = conn.read_response("GET")
    if answered_id(answer) == follow.probe_id:
        response.body = scenario_base.SHORT_BODY
        response.complete = response.closed = False
        follow.response = answer
        return "connection kept: the request behind it was answered"
    response.body, conn.buffer = cut, kept
    return "the server wrote a response of its own into the cut body"


def _short_body_alone(session: Session, arg: str) -> str:
    """The short body again, for a server that answers only one of two requests sent in
    one write: alone, and the echo request sent on the same connection once the short
    body's bytes came (no pipelining, and no idle timer of the server's shorter than
    :data:`SHORT_ALONE_WAIT` decides it). What became of the connection, as a story."""
    short = session.request("content-length", arg)
    follow = session.request("echo", target="/after-the-short-body", follow_up=True)
    with session.connection() as conn:
        if not conn.send(short.request.to_bytes()):
            return "sent alone, it could not be sent"
        response = short.response = conn.read_response("GET", timeout=SHORT_ALONE_WAIT)
        if response is None:
            return "sent alone, it got no answer"
        if response.closed:
            return "sent alone: connection closed"
        if conn.send(follow.request.to_bytes()):
            follow.after = short.request
            follow.response = conn.read_response("GET")
        if answered_id(follow.response) == follow.probe_id:
            return "sent alone: connection kept, the request sent next on it was answered"
        if conn.closed:
            # Closed a moment after the short body, not at once: a close all the same.
            response.closed = True
            return "sent alone: connection closed"
        return "sent alone: connection left open"


def no_body(session: Session) -> None:
    """HEAD, a 204 and a 304 from an app that gives a body anyway (read until the server
    closes: whatever follows the head is on the wire)."""
    session.exchange(session.request("no-body", method="HEAD", headers=CLOSE), drain=True)
    for status in ("204", "304"):
        session.exchange(session.request("no-body", status, headers=CLOSE), drain=True)


def conditional(session: Session) -> None:
    """A GET, then the same GET with If-None-Match naming the scenario's tag (the one the
    200 carries), then a HEAD, each read until the server closes: a Content-Length the
    server gives the 304 or the HEAD must be the 200's length (RFC 9110 §8.6), which the
    exchange carries (``length_of_200``)."""
    first = session.request("conditional", target="/conditional")
    response = session.exchange(first)
    if response is None or response.status != 200 or not response.complete:
        return
    again = session.request(
        "conditional",
        target="/conditional",
        headers=(("If-None-Match", scenario_base.CONDITIONAL_TAG), *CLOSE),
    )
    again.extra = replace(again.extra, length_of_200=len(response.body))
    session.exchange(again, drain=True)
    # HEAD, which the app answers with neither body nor length (Tornado 6.6 adds
    # Content-Length: 0 there, the length of a GET with no body).
    head = session.request("conditional", target="/conditional", method="HEAD", headers=CLOSE)
    head.extra = replace(head.extra, length_of_200=len(response.body))
    session.exchange(head, drain=True)


#: The empty-body answers: (method, ``<status>-<list|blank>-<cl|nocl>``). The first three
#: are the correct no-body answers (HEAD with no Content-Length, a bare 204 and 304).
EMPTY_CASES = (
    ("HEAD", "200-list-nocl"),
    ("GET", "204-list-nocl"),
    ("GET", "304-list-nocl"),
    ("GET", "200-list-cl"),
    ("GET", "200-list-nocl"),
    ("GET", "200-blank-cl"),
    ("GET", "200-blank-nocl"),
    ("HEAD", "200-list-cl"),
    ("HEAD", "200-blank-cl"),
    ("HEAD", "200-blank-nocl"),
    ("GET", "304-list-cl"),
    ("GET", "304-blank-cl"),
    ("GET", "304-blank-nocl"),
    ("GET", "204-blank-nocl"),
)


def empty_bodies(session: Session) -> None:
    """Empty bodies ([] and [b""], with and without Content-Length: 0) to GET and HEAD,
    and bare 204 and 304 answers; read until the server closes. Then an empty 200 without
    Content-Length on a connection the client keeps: its end must still be found (a length,
    a last chunk or the close; socketify 1.0 sent none and kept the connection)."""
    for method, arg in EMPTY_CASES:
        session.exchange(session.request("empty", arg, method=method, headers=CLOSE), drain=True)
    session.exchange(session.request("empty", "200-list-nocl"))


def latin1_header(session: Session) -> None:
    """A response header value with latin-1 characters beyond ASCII."""
    session.exchange(session.request("latin1-header"))


#: Seconds the client lets pass, once the app is waiting after its empty block, for head
#: bytes already sent to arrive (on loopback they are there at once).
DEFER_GRACE = 0.3


def defer(session: Session) -> None:
    """The app called start_response and yielded b""; while it waits, has the head come?"""
    sent = session.request("defer")
    with session.connection() as conn:
        conn.send(sent.request.to_bytes())
        if session.channel.wait_for(sent.probe_id, "waiting", BLOCK_WAIT):
            sent.extra = replace(sent.extra, head_before_body=conn.wait_for(b"\n", DEFER_GRACE))
        session.channel.raise_flag(sent.probe_id, "looked")
        sent.response = conn.read_response("GET")


def bad_headers(session: Session) -> None:
    """Hop-by-hop headers, a header name with spaces and values holding CR LF, a bare LF or
    CR, or a NUL, passed to start_response.

    The hop-by-hop field is ``Connection: close``, and an echo request goes in the same
    write behind it: where the answer says ``close`` (the server passed it on, or said it
    itself), the server must not answer the request behind (RFC 9112 §9.6; bjoern 3.2 and
    cheroot 11 pass the app's ``close`` on and answer it)."""
    hop = session.request("bad-headers", "hop", pipelined=True)
    behind = session.request("echo", target="/after-close", follow_up=True, pipelined=True)
    _pipelined(session, hop, behind)
    if answered_id(hop.response) == behind.probe_id:
        # bjoern 3.2 answers only the last request of a write (SRV-RESPONSE-ORDER's fault),
        # so the app never saw the hop request: sent again alone, and the echo behind it
        # once its answer is in, what the server does with the app's close is judged still.
        hop = session.request("bad-headers", "hop")
        behind = session.request("echo", target="/after-close", follow_up=True)
        _after_answer(session, hop, behind)
    if behind.extra.after_close is not None:
        # A server author read the finding as the server's own choice to close (a probe
        # trial of 2026-12-06): it says whose close it was.
        behind.extra = replace(behind.extra, close_from_app=True)
    # The app's Transfer-Encoding over a body it did not chunk: alone on its connection,
    # which a server that passes the field on leaves with no framing to trust.
    session.exchange(session.request("bad-headers", "te", headers=CLOSE))
    session.exchange(session.request("bad-headers", "invalid"))
    # A value holding a field line (after CR LF, a bare LF, a bare CR) or a NUL: each alone
    # on its connection too, since a server that writes it out as given may break the
    # head's framing with it.
    for arg in ("split", "split-lf", "split-cr", "nul"):
        session.exchange(session.request("bad-headers", arg, headers=CLOSE))


def raising(session: Session) -> None:
    """The app raises before its head: does the server answer (or abort), and go on?"""
    _raise(session, "early")


def raising_late(session: Session) -> None:
    """The app raises after its head and a first block: how does the response end?"""
    late = _raise(session, "late")
    if late.response is not None:
        if late.response.status != 200:  # the app's 200 was held back (eventlet buffers it)
            story = f"head not sent yet: the server answered {late.response.status} instead"
        elif late.response.closed and not late.response.complete:
            story = "response cut short, connection closed"
        elif _framing(late.response) == "until the connection closes":
            story = "connection closed (a close-delimited body: the client cannot tell)"
        else:
            story = "response ended as if complete"
        session.observations["exception after the head"] = story


def _raise(session: Session, arg: str) -> Sent:
    """Send a request whose app raises, then a plain one on a new connection: whether the
    server still answers is the raising exchange's evidence (``server_alive``), even when
    the first one already met a dead server (a refused or reset connection)."""
    sent = session.request("raise", arg)
    with contextlib.suppress(OSError):  # the server may have died with the app's exception:
        session.exchange(sent)  # the next request tells
    sent.extra = replace(sent.extra, server_alive=session.alive())
    return sent


def exc_info(session: Session) -> None:
    """start_response with exc_info before the head went out, and after; then whether the
    server kept the exc_info it was given."""
    session.exchange(session.request("exc-info", "before"))
    session.exchange(session.request("exc-info", "after"))
    session.exchange(session.request("exc-ref"))


def binary(session: Session) -> None:
    """Every byte value, with and without Content-Length, to HTTP/1.1 and HTTP/1.0 (with
    and without Host)."""
    session.exchange(session.request("binary"))
    nolength = session.request("binary", "nolength")
    response = session.exchange(nolength)
    if response is not None:
        session.observations["body without Content-Length (HTTP/1.1)"] = _framing(response)
    old = session.request("binary", "nolength", version="1.0", host=False)
    response = session.exchange(old)
    if response is not None:
        session.observations["body without Content-Length (HTTP/1.0)"] = _framing(response)
    # HTTP/1.0 with Host too: a server that refuses one without (socketify) otherwise never
    # shows what it does with an HTTP/1.0 request (chunks, SERVER_PROTOCOL).
    session.exchange(session.request("binary", "nolength", version="1.0"))


def _framing(response: Any) -> str:
    if "chunked" in (response.header("transfer-encoding") or "").lower():
        return "chunked"
    if response.header("content-length") is not None:
        return "Content-Length added"
    return "until the connection closes"


def unbuffered(session: Session) -> None:
    """The app waits after its first block until the client says the block arrived."""
    sent = session.request("unbuffered")
    with session.connection() as conn:
        conn.send(sent.request.to_bytes())
        head = conn.read_head(timeout=BLOCK_WAIT)
        if head is None:
            return
        if conn.wait_for(scenario_base.FIRST_BLOCK, BLOCK_WAIT):
            session.channel.raise_flag(sent.probe_id, "first-block")
        sent.response = conn.read_body(head, "GET")


def file_wrapper(session: Session) -> None:
    """wsgi.file_wrapper with a real file, without fileno(), at an offset, and unused."""
    for variant in ("file", "nofileno", "offset", "early"):
        sent = session.request("file-wrapper", variant)
        session.exchange(sent)
        sent.extra = replace(sent.extra, file_wrapper_variant=variant)


def late_start(session: Session) -> None:
    """start_response called on the first next() of a generator."""
    session.exchange(session.request("late-start"))


def errors_unicode(session: Session) -> None:
    """Text beyond latin-1 to wsgi.errors."""
    session.exchange(session.request("errors-unicode"))


def together(session: Session) -> None:
    """Two requests at once, on two connections: may the app run twice at the same time?"""
    first = session.request("together", "next")
    second = session.request("together", "previous")
    with session.connection() as one, session.connection() as two:
        one.send(first.request.to_bytes())
        two.send(second.request.to_bytes())
        first.response = one.read_response("GET")
        # Hang up at once: a server that lingers on close (gunicorn waits for the client)
        # would otherwise hold the second request back.
        one.close()
        second.response = two.read_response("GET")
    both = (first.response, second.response)
    if all(response is not None and response.status == 200 for response in both):
        overlapped = any(b"together" in response.body for response in both if response)
        session.observations["two requests at once"] = (
            "run at the same time" if overlapped else "run one after the other"
        )


def both_lengths(session: Session) -> None:
    """A chunked POST that says Content-Length too, with an echo request behind it in the
    same write. RFC 9112 §6.1: a server may refuse it, or read it by its chunks alone, and
    either way MUST close the connection after its answer, since a front end that read the
    other length would have sent a different request behind it (request smuggling; gevent
    26.9 answers the request behind, a probe trial of 2026-12-06). The Content-Length is
    that of the chunked bytes, so both readings end the body at the same place. The POST
    itself is not judged (:attr:`Sent.unjudged`): HTTP forbids a client to send it, and
    PEP 3333's CONTENT_LENGTH holds "the contents of any Content-Length fields"."""
    first = session.request(
        "echo",
        BOTH_LENGTHS,
        method="POST",
        target="/framing/both-lengths",
        body=b"hello",
        framing=Framing.CHUNKED,
        pipelined=True,
    )
    first.unjudged = True
    chunks = len(first.request.to_bytes().partition(b"\r\n\r\n")[2])
    chunked = "Transfer-Encoding: chunked\r\n"
    both = f"{chunked}Content-Length: {chunks}\r\n"
    first.request = first.request.replace(wire_edits=((chunked, both),))
    behind = session.request("echo", target="/after-both-lengths", follow_up=True, pipelined=True)
    with session.connection() as conn:
        if not conn.send(first.request.to_bytes() + behind.request.to_bytes()):
            return
        first.response = conn.read_response("POST")
        if first.response is None or first.response.stalled:
            # No whole answer to it (the note names the request): the rule owes the
            # server's conduct after an answer, and the client waited once already.
            return
        behind.extra = replace(behind.extra, after_both_lengths=_came_behind(conn, behind))


#: The plans, in the order they run.
PLANS: tuple[Plan, ...] = (
    plain,
    odd_targets,
    keep_alive,
    closing,
    write,
    input_stream,
    expect,
    content_length,
    no_body,
    empty_bodies,
    conditional,
    latin1_header,
    defer,
    bad_headers,
    raising,
    raising_late,
    exc_info,
    binary,
    unbuffered,
    file_wrapper,
    late_start,
    errors_unicode,
    together,
    both_lengths,
)


def drawn_requests(count: int, seed: int) -> list[Request]:
    """``count`` requests from :func:`wsgicheck.strategies.requests`, the same for a seed."""
    if count <= 0:
        return []
    drawn: list[Request] = []
    strategy = strategies.requests(raw_bytes=False, max_body_size=4096, host="localhost")

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        **hypothesis_hooks.fresh_draws(),
    )
    @given(strategy)
    def collect(request: Request) -> None:
        drawn.append(request)

    hypothesis_hooks.use_seed(collect, seed)
    collect()
    return drawn[:count]
