"""Whose answer a response is (``probe/answers.py``) and ``SRV-RESPONSE-ORDER``: the echo
answer names its probe id, a response read for one request that names another is that
other's, and the rule fires on it; a server answering in order passes, one that closes
after each response is not judged. The last tests run the corpus's pipelined plans over
real sockets against a tiny loopback server made to answer like bjoern 3.2.2."""

from __future__ import annotations

import io
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from wsgiref.handlers import SimpleHandler

import pytest

from wsgicheck import Client, Framing, Request
from wsgicheck.drivers.rawclient import WireResponse
from wsgicheck.model.extra import Answer, Extra
from wsgicheck.probe import corpus, prober
from wsgicheck.probe.answers import answered_id, attribute, writes
from wsgicheck.probe.app import make_app
from wsgicheck.probe.channel import Channel
from wsgicheck.probe.judge import Record, judge, records_by_id, to_exchange
from wsgicheck.probe.result import ProbeOptions
from wsgicheck.probe.scenario_base import ANSWER_HEADER, HEADER
from wsgicheck.probe.session import Sent, Session
from wsgicheck.results.reproduce import probe_reproducers
from wsgicheck.rules import REGISTRY, Exchange

RULE = REGISTRY["SRV-RESPONSE-ORDER"]


def echo_answer(probe_id: int | None) -> WireResponse:
    """An answer as the client reads it; ``probe_id`` is the one it names (None: none)."""
    headers = [("Content-Length", "22")]
    if probe_id is not None:
        headers.append((ANSWER_HEADER, str(probe_id)))
    return WireResponse("HTTP/1.1", 200, "OK", headers, b"wsgicheck probe: echo\n")


def sent(probe_id: int, target: str, **fields: Any) -> Sent:
    headers = (("Host", "localhost"), (HEADER, f"{probe_id} echo"))
    return Sent(probe_id, "echo", Request(target=target, headers=headers), **fields)


def pair() -> tuple[Sent, Sent]:
    """Two echo requests pipelined in one write, as the corpus sends them."""
    return (
        sent(17, "/pipelined/1", pipelined=True),
        sent(18, "/pipelined/2", pipelined=True, follow_up=True),
    )


# -- the rule ------------------------------------------------------------------------------------


def ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def verdict_on(answer: Answer | None) -> list[str] | None:
    """The rule's messages on GET /pipelined/1 (probe 17), None when it does not apply."""
    first, _ = pair()
    response = Client(ok).send(first.request)
    exchange = Exchange(response, source="probe", extra=Extra(answer=answer))
    if not RULE.applies(exchange):
        return None
    return [finding.message for finding in RULE.check(exchange)]


def test_the_rule_fires_on_an_answer_read_for_another_request_and_names_both() -> None:
    answer = Answer(asked=17, answered=18, answered_request="GET /pipelined/2")
    assert verdict_on(answer) == [
        "the response read for probe 17 (GET /pipelined/1) was the answer to probe 18 "
        "(GET /pipelined/2), sent after it on the same connection: the client takes one "
        "request's answer for another's"
    ]
    earlier = Answer(asked=17, answered=16, answered_request="GET /pipelined/0")
    [message] = verdict_on(earlier) or []
    assert "probe 16 (GET /pipelined/0), sent before it" in message


def test_the_rule_fires_on_a_pipelined_follow_up_dropped_on_an_open_connection() -> None:
    dropped = Answer(asked=17, answered=None, waited=1.5)
    assert verdict_on(dropped) == [
        "probe 17 (GET /pipelined/1) was sent in one write behind another request, which was "
        "answered; the server kept the connection open and sent nothing more in the 1.5s the "
        "client waited: the request was dropped, and the client is left hanging"
    ]


def test_the_rule_passes_an_own_answer_and_skips_without_evidence() -> None:
    assert verdict_on(Answer(asked=17, answered=17, answered_request="GET /pipelined/1")) == []
    assert verdict_on(None) is None


def test_the_rule_cites_rfc_9112() -> None:
    assert RULE.source == "RFC 9112 §9.3.2"
    assert RULE.citation == "RFC 9112 §9.3.2; PEP 3333, Other HTTP Features"
    assert RULE.level.value == "MUST"


# -- whose answer --------------------------------------------------------------------------------


def test_the_echo_answer_names_its_probe_id() -> None:
    assert answered_id(echo_answer(7)) == 7
    assert answered_id(echo_answer(None)) is None
    assert answered_id(None) is None
    odd = WireResponse("HTTP/1.1", 200, "OK", [(ANSWER_HEADER, "seven")])
    assert answered_id(odd) is None


def test_only_the_second_answered_gives_the_first_the_evidence_and_the_second_its_answer() -> None:
    """bjoern 3.2.2: the one answer on the wire is the second's, read for the first."""
    first, second = pair()
    answer = echo_answer(18)
    first.response = answer
    second.hung = 1.5  # nothing more came when the client read on for the second
    attribute([first, second])
    assert second.hung is None  # its answer had come, read for the first
    assert first.extra.answer == Answer(
        asked=17,
        answered=18,
        answered_request="GET /pipelined/2",
        together=(first.request, second.request),  # what a replay sends in one write
    )
    assert first.response is None  # it got no answer of its own
    assert second.response is answer
    assert second.extra.answer is None


def test_answers_in_order_give_the_follow_up_a_passing_verdict() -> None:
    first, second = pair()
    first.response, second.response = echo_answer(17), echo_answer(18)
    attribute([first, second])
    assert first.extra.answer is None
    assert second.extra.answer == Answer(
        asked=18,
        answered=18,
        answered_request="GET /pipelined/2",
        together=(first.request, second.request),
    )


def test_answers_in_the_reverse_order_go_back_to_their_requests() -> None:
    first, second = pair()
    one, two = echo_answer(17), echo_answer(18)
    first.response, second.response = two, one
    attribute([first, second])
    assert (first.extra.answer and first.extra.answer.answered) == 18
    assert (second.extra.answer and second.extra.answer.answered) == 17
    assert (first.response, second.response) == (one, two)


def test_a_server_that_closes_after_each_response_gives_no_evidence() -> None:
    first, second = pair()
    first.response = echo_answer(17)
    attribute([first, second])
    assert first.extra.answer is None
    assert second.extra.answer is None
    assert first.response is not None


def test_a_follow_up_dropped_on_a_connection_kept_open_gets_the_evidence() -> None:
    """rocket3: the first answered, the connection kept open, nothing more came."""
    first, second = pair()
    first.response = echo_answer(17)
    second.hung = 1.5
    attribute([first, second])
    assert first.extra.answer is None
    assert second.extra.answer == Answer(
        asked=18, answered=None, together=(first.request, second.request), waited=1.5
    )
    # The probe's notes leave it to the rule's finding.
    assert prober._doubts(second, None) == []


def test_a_follow_up_unanswered_but_not_left_hanging_gets_none() -> None:
    """No answer and no wait recorded (the server closed, or the first got no answer):
    not a dropped request."""
    first, second = pair()
    first.response = echo_answer(17)
    attribute([first, second])
    assert second.extra.answer is None
    alone = sent(30, "/plain", hung=1.5)
    attribute([alone])
    assert alone.extra.answer is None


def test_an_answer_swapped_between_two_connections_is_not_this_rules() -> None:
    """Requests sent one per connection whose answers name each other: no pipelining, so
    RFC 9112 §9.3.2 (order on one connection) is not what they show."""
    one, two = sent(1, "/a"), sent(2, "/b")
    one.response, two.response = echo_answer(2), echo_answer(1)
    attribute([one, two])
    assert [one.extra.answer, two.extra.answer] == [None, None]


def test_a_request_answered_alone_or_one_after_the_other_gives_no_evidence() -> None:
    alone = sent(1, "/plain")
    keep, again = sent(2, "/keep-alive/1"), sent(3, "/keep-alive/2", follow_up=True)
    alone.response, keep.response, again.response = echo_answer(1), echo_answer(2), echo_answer(3)
    attribute([alone, keep, again])
    assert [each.extra.answer for each in (alone, keep, again)] == [None, None, None]


def test_a_body_reading_request_answered_by_the_echo_behind_it() -> None:
    """input_stream: the input scenario names no id; the echo behind it does."""
    body = Sent(
        24,
        "input",
        Request(method="POST", body=b"x", framing=Framing.CONTENT_LENGTH),
        pipelined=True,
    )
    follow = sent(25, "/after-the-body", pipelined=True, follow_up=True)
    body.response = echo_answer(25)
    attribute([body, follow])
    assert body.extra.answer == Answer(
        asked=24,
        answered=25,
        answered_request="GET /after-the-body",
        together=(body.request, follow.request),
    )
    own = echo_answer(None)
    body.response, follow.response, body.extra = own, echo_answer(25), Extra()
    follow.extra = Extra()
    attribute([body, follow])
    assert body.extra.answer is None
    assert body.response is own
    assert follow.extra.answer == Answer(
        asked=25,
        answered=25,
        answered_request="GET /after-the-body",
        together=(body.request, follow.request),
    )


def test_the_note_says_whose_answer_was_read() -> None:
    first, second = pair()
    first.response = echo_answer(18)
    attribute([first, second])
    assert prober._doubts(first, None) == [
        "probe 17 (echo): the response read for it was the answer to probe 18 (GET /pipelined/2)"
    ]
    assert prober._doubts(second, Record(exchange={})) == []


# -- over real sockets ---------------------------------------------------------------------------


def _split(buffer: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The complete requests (head, body) at the start of ``buffer``, and the rest."""
    requests = []
    for _ in range(64):
        head, found, rest = buffer.partition(b"\r\n\r\n")
        if not found:
            break
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        if len(rest) < length:
            break
        requests.append((head, rest[:length]))
        buffer = rest[length:]
    return requests, buffer


def _environ(head: bytes, port: int) -> dict[str, Any]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    path, _, query = target.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(port),
        "SERVER_PROTOCOL": version,
    }
    for line in lines[1:]:
        name, _, value = line.partition(":")
        key = name.strip().upper().replace("-", "_")
        key = key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}"
        environ[key] = value.strip()
    return environ


def _short(answer: bytes) -> bool:
    """Whether ``answer``'s body is shorter than its Content-Length."""
    head, _, body = answer.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) < int(value.strip())
    return False


#: The answer rocket3 writes after a body the app's exception cut (then it closes).
OWN_500 = b"HTTP/1.1 500 Server Error\r\nContent-Length: 12\r\n\r\nServer Error"


class PipelineServer:
    """A loopback HTTP/1.1 server, a thread per connection, that answers as ``mode`` says:
    ``last-only`` (bjoern 3.2.2: of the requests that came in one write, only the last;
    ``last-only-slow-close`` closes 0.8 s after a body short of its Content-Length;
    ``last-only-passing-close`` sends the app's ``Connection: close`` on, as bjoern does,
    and keeps the connection),
    ``stall`` (socketify 0.0.31 on a short answer: half a head, the rest only once the
    client shut its side),
    ``first-only`` (rocket3: only the first, keeping the connection), ``in-order`` (each,
    in order), ``close`` (the first, then it closes), ``hang-up`` (``close`` without
    saying so: uWSGI's ``--http-socket``), ``filled`` (rocket3 and pyruvate after the
    app raised inside its Content-Length: a 500 of its own after the cut body, then it
    closes), ``replaced`` (eventlet: the 500 in place of the app's answer, then it closes)
    or ``silent`` (Tornado's WSGIContainer after that exception: nothing, no close). Every
    loop is bounded; the handler is wsgiref's."""

    def __init__(self, app: Any, mode: str) -> None:
        self.app = app
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def accept(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self.serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            conn.settimeout(5.0)
            for _ in range(64):
                try:
                    data = conn.recv(65536)
                    # What else the client wrote at once (one write may come in two reads).
                    while select.select([conn], [], [], 0.1)[0] and (more := conn.recv(65536)):
                        data += more
                except OSError:
                    return
                if not data:
                    return
                requests, buffer = _split(buffer + data)
                if self.mode.startswith("last-only"):
                    requests = requests[-1:]
                elif self.mode == "first-only":
                    requests = requests[:1]
                for head, body in requests:
                    answer = self.answer(head, body)
                    if self.mode == "stall":
                        # Half a head, the rest only once the client shut its side.
                        conn.sendall(answer[:10])
                        while conn.recv(65536):
                            pass
                        conn.sendall(answer[10:])
                        return
                    if self.mode in ("filled", "replaced", "silent") and _short(answer):
                        if self.mode != "silent":
                            own = answer + OWN_500 if self.mode == "filled" else OWN_500
                            conn.sendall(own)
                            return
                        time.sleep(corpus.SHORT_WAIT + 0.5)  # then it lets go
                        return
                    conn.sendall(answer)
                    if self.mode in ("close", "hang-up"):
                        return
                    if self.mode == "last-only-slow-close" and _short(answer):
                        time.sleep(0.8)  # then it closes, later than the client's first wait
                        return

    def answer(self, head: bytes, body: bytes) -> bytes:
        out = io.BytesIO()
        handler = SimpleHandler(
            io.BytesIO(body), out, io.StringIO(), _environ(head, self.port), multithread=True
        )
        handler.http_version = "1.1"
        passed_on: list[str] = []
        handler.run(self._passing_close(passed_on))
        data = out.getvalue()
        if self.mode == "close" or passed_on:
            data = data.replace(b"\r\n", b"\r\nConnection: close\r\n", 1)
        return data

    def _passing_close(self, passed_on: list[str]) -> Any:
        """The app, whose Connection field wsgiref refuses: under ``last-only-passing-close``
        it is taken from the call and noted in ``passed_on``, for the head to carry."""
        if self.mode != "last-only-passing-close":
            return self.app

        def app(environ: dict[str, Any], start_response: Any) -> Any:
            def passing(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
                kept = [(name, value) for name, value in headers if name.lower() != "connection"]
                passed_on.extend(value for name, value in headers if (name, value) not in kept)
                return start_response(status, kept, *exc_info)

            return self.app(environ, passing)

        return app


@contextmanager
def serving(app: Any, mode: str) -> Iterator[PipelineServer]:
    server = PipelineServer(app, mode)
    thread = threading.Thread(target=server.accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        thread.join(5.0)
        server.listener.close()
        for each in server.threads:
            each.join(5.0)


REPLAYS: dict[str, bytes] = {}


def probed(tmp_path: Path, mode: str, rule: Any = RULE) -> tuple[Session, list[str], list[str]]:
    """The pipelined plans against a server answering as ``mode`` says: the session, the
    rule's verdict and messages, and the notes the prober would write (and in ``REPLAYS``,
    the raw bytes the report's replay of a failure sends)."""
    channel = Channel(tmp_path)
    with serving(make_app(channel), mode) as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        corpus.keep_alive(session)
        body = session.request("input", "read", method="POST", body=b"x=1", pipelined=True)
        follow = session.request("echo", target="/after-the-body", follow_up=True, pipelined=True)
        corpus._until_answered(session, body, follow)
    attribute(session.sent)
    records = records_by_id(channel.records())
    judged = [to_exchange(each, records.get(each.probe_id), "") for each in session.sent]
    [result], errors = judge(judged, [rule])
    assert errors == []
    notes = [
        note for each in session.sent for note in prober._doubts(each, records.get(each.probe_id))
    ]
    messages = [finding.message for finding in result.findings]
    run = prober._as_run(
        mode, 1, ProbeOptions(), judged, [result], 0.0, "127.0.0.1:1", writes(session.sent)
    )
    REPLAYS.clear()
    REPLAYS.update({rule: failure.reproducers.raw for rule, failure in run.failures.items()})
    return session, [str(result.status), *messages], notes


def test_a_server_answering_only_the_last_pipelined_request_is_caught(tmp_path: Path) -> None:
    session, verdict, notes = probed(tmp_path, "last-only")
    assert session.observations["pipelining"] == (
        "no (the first request got no answer of its own; the answer read was the second's)"
    )
    assert session.observations["keep-alive"] == "yes"
    ids = {each.request.target: each.probe_id for each in session.sent}
    one, two, body, follow = (
        ids["/pipelined/1"],
        ids["/pipelined/2"],
        ids["/"],
        ids["/after-the-body"],
    )
    tail = "on the same connection: the client takes one request's answer for another's"
    assert verdict == [
        "fail",
        f"the response read for probe {one} (GET /pipelined/1) was the answer to probe {two} "
        f"(GET /pipelined/2), sent after it {tail}",
        f"the response read for probe {body} (POST /) was the answer to probe {follow} "
        f"(GET /after-the-body), sent after it {tail}",
    ]
    assert f"probe {one} (echo): the response read for it was the answer to probe {two}" in (
        " ".join(notes)
    )
    # The replay sends what went in one write, as the probe did: curl cannot show it.
    replay = REPLAYS["SRV-RESPONSE-ORDER"]
    assert replay.startswith(b"GET /pipelined/1 HTTP/1.1\r\n")
    assert replay.count(b" HTTP/1.1\r\n") == 2
    assert b"GET /pipelined/2 HTTP/1.1\r\n" in replay
    # Each answer went to the request it names: the second's to the second.
    by_id = {each.probe_id: each for each in session.sent}
    assert by_id[one].response is None
    assert answered_id(by_id[two].response) == two


def test_a_server_answering_in_order_passes(tmp_path: Path) -> None:
    session, verdict, notes = probed(tmp_path, "in-order")
    assert session.observations["pipelining"] == "yes"
    assert verdict == ["pass"]
    assert notes == []


def test_a_server_dropping_what_came_behind_the_first_pipelined_request_is_caught(
    tmp_path: Path,
) -> None:
    """rocket3 3.x: of two requests in one write it answers the first, keeps the
    connection and never answers the second."""
    session, verdict, notes = probed(tmp_path, "first-only")
    assert session.observations["pipelining"] == "no (the second request got no answer)"
    two = next(each for each in session.sent if each.request.target == "/pipelined/2")
    assert verdict == [
        "fail",
        f"probe {two.probe_id} (GET /pipelined/2) was sent in one write behind another "
        "request, which was answered; the server kept the connection open and sent nothing "
        "more in the 1.5s the client waited: the request was dropped, and the client is "
        "left hanging",
    ]
    assert notes == []
    # The replay sends both in one write: the second is what goes unanswered.
    replay = REPLAYS["SRV-RESPONSE-ORDER"]
    assert replay.startswith(b"GET /pipelined/1 HTTP/1.1\r\n")
    assert b"GET /pipelined/2 HTTP/1.1\r\n" in replay


def test_a_server_closing_after_each_response_is_not_judged(tmp_path: Path) -> None:
    session, verdict, _ = probed(tmp_path, "close")
    assert session.observations["pipelining"] == (
        "no (the server closes the connection after each response)"
    )
    assert verdict == ["skip"]


@pytest.mark.parametrize("mode", ["last-only", "first-only", "in-order"])
def test_the_tiny_server_serves_one_request_at_a_time_correctly(tmp_path: Path, mode: str) -> None:
    """The misbehaviour is pipelining alone: one request per write gets its own answer."""
    channel = Channel(tmp_path)
    with serving(make_app(channel), mode) as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        plain = session.request("echo", target="/plain")
        session.exchange(plain)
    assert answered_id(plain.response) == plain.probe_id


def test_a_servers_own_5xx_to_a_valid_request_is_no_refusal() -> None:
    """From the probe sweep of 2026-12-03: asgiref under uvicorn answered a kept-alive
    request with a 500 of its own, listed as a valid request 'refused'; a 4xx is a refusal,
    a 5xx the server failing on a request it could have served."""
    from wsgicheck.probe.session import Sent

    def echo(probe_id: int, status: int, target: str) -> Any:
        request = Request(target=target, headers=(("Host", "localhost"),))
        sent = Sent(probe_id, "echo", request, response=WireResponse("HTTP/1.1", status, "", []))
        return to_exchange(sent, None, "")

    seen = prober._observed([echo(1, 400, "/a"), echo(2, 500, "/b"), echo(3, 503, "/c")])
    assert seen[prober.REFUSED] == "1 (first: 400 for 'GET /a HTTP/1.1')"
    assert seen[prober.FAILED] == "2 (first: 500 for 'GET /b HTTP/1.1')"
    # A refused request says how its body went: a HEAD with one, which gevent 26.9
    # refuses, read as a refused HEAD alone (a probe trial of 2026-12-06).
    head = Request(
        method="HEAD",
        target="//?a=1",
        headers=(("Host", "localhost"),),
        body=b"xyz",
        framing=Framing.CONTENT_LENGTH,
    )
    refused = Sent(4, "echo", head, response=WireResponse("HTTP/1.1", 400, "", []))
    seen = prober._observed([to_exchange(refused, None, "")])
    assert seen[prober.REFUSED] == "1 (first: 400 for 'HEAD //?a=1 HTTP/1.1, a body of 3 bytes')"
    # A head no fields spell says how it went (a review of 2026-12-06: an unanswered POST
    # with both lengths was named without its Content-Length).
    chunked = "Transfer-Encoding: chunked\r\n"
    both = Request(
        method="POST",
        headers=(("Host", "localhost"),),
        body=b"hello",
        framing=Framing.CHUNKED,
        wire_edits=((chunked, chunked + "Content-Length: 15\r\n"),),
    )
    assert prober._asked(both) == (
        "POST / HTTP/1.1, a chunked body of 5 bytes, sent as Transfer-Encoding: chunked\r\n"
        "Content-Length: 15"
    )


# -- a connection closed without Connection: close ---------------------------------------------

ANNOUNCED = REGISTRY["SRV-CLOSE-ANNOUNCED"]


def test_a_server_closing_after_each_response_without_saying_so_is_caught(
    tmp_path: Path,
) -> None:
    """uWSGI 2.0 with --http-socket: HTTP/1.1 answers, no Connection: close, and the
    connection closed after each; RFC 9112 §9.3 makes the close option a MUST then. Tried
    on a second connection before it is judged."""
    session, verdict, notes = probed(tmp_path, "hang-up", ANNOUNCED)
    assert session.observations["keep-alive"] == (
        "no (the server closes the connection after each response, unannounced)"
    )
    first = next(each for each in session.sent if each.request.target == "/keep-alive/1")
    assert verdict == [
        "fail",
        "the server closed the connection after this HTTP/1.1 response, which did not say "
        "Connection: close, before answering the request sent next on it (2 connections in "
        "a row): a client takes such a connection as open, and its next request on it goes "
        "unanswered",
    ]
    assert first.extra.closes_unannounced == 2
    # Tried again on a fresh connection before it was judged.
    targets = [each.request.target for each in session.sent]
    assert targets[:4] == ["/keep-alive/1", "/keep-alive/2", "/keep-alive/3", "/keep-alive/4"]
    assert notes == []


@pytest.mark.parametrize("mode", ["close", "in-order", "first-only"])
def test_servers_that_say_close_or_keep_the_connection_pass(tmp_path: Path, mode: str) -> None:
    session, verdict, _ = probed(tmp_path, mode, ANNOUNCED)
    assert verdict == ["pass"]
    judged = [each.extra.closes_unannounced for each in session.sent]
    assert judged == [0] + [None] * (len(judged) - 1)  # the first keep-alive request
    assert "/keep-alive/3" not in [each.request.target for each in session.sent]


# -- a body shorter than its Content-Length ------------------------------------------------------

SHORT = REGISTRY["SRV-CL-SHORT"]


def short_body(tmp_path: Path, mode: str, arg: str = "short") -> tuple[str, list[str], int]:
    """The short-body plan (``arg``: the body ended short, or cut by the app's exception)
    against a server answering as ``mode`` says: what the probe says became of the
    connection, the rule's verdict and messages, and how many times the app gave the short
    body."""
    channel = Channel(tmp_path)
    with serving(make_app(channel), mode) as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        corpus._short_body(session, arg)
    attribute(session.sent)
    records = records_by_id(channel.records())
    judged = [to_exchange(each, records.get(each.probe_id), "") for each in session.sent]
    [result], errors = judge(judged, [SHORT])
    assert errors == []
    gave = sum(1 for each in judged if SHORT.applies(each.exchange))
    story = session.observations[corpus.SHORT_BODIES[arg]]
    return story, [str(result.status), *(each.message for each in result.findings)], gave


def test_a_short_body_answered_in_place_of_is_sent_again_alone(tmp_path: Path) -> None:
    """Audit of 2026-12-05: bjoern 3.2.2 answers only the last of two requests sent in one
    write, so the app never gave the short body, and SRV-CL-SHORT passed on the exchanges
    it had. The probe now sends it alone, then the next request once its bytes came."""
    story, verdict, gave = short_body(tmp_path, "last-only")
    assert story == (
        "the request behind it was answered in its place; sent alone: connection kept, the "
        "request sent next on it was answered"
    )
    assert verdict == [
        "fail",
        "Content-Length was 10, 4 bytes were sent, and the response was finished as if complete",
    ]
    assert gave == 1


@pytest.mark.parametrize("arg", ["short", "short-raise"])
@pytest.mark.parametrize(
    ("mode", "story", "verdict"),
    [
        ("in-order", "connection kept: the request behind it was answered", "fail"),
        ("close", "connection closed", "pass"),
    ],
)
def test_a_short_body_answered_in_its_turn_is_sent_once(
    tmp_path: Path, mode: str, story: str, verdict: str, arg: str
) -> None:
    """Ended short, or cut by the app's exception (Django's threaded runserver kept the
    connection after both): one request each, judged the same way."""
    told, judged, gave = short_body(tmp_path, mode, arg)
    assert (told, judged[0], gave) == (story, verdict, 1)
    raised = " before the app raised ProbeError" if arg == "short-raise" else ""
    found = [
        f"Content-Length was 10, 4 bytes were sent{raised}, and the response was finished as "
        "if complete"
    ]
    assert judged[1:] == (found if verdict == "fail" else [])


def test_a_short_body_sent_alone_and_closed_a_moment_later_passes(tmp_path: Path) -> None:
    """Review of 2026-12-05: the short body sent alone was judged on its first 0.5 s, so a
    server that closes, but 0.8 s later, failed; the close seen when the next request
    went unanswered now counts."""
    story, verdict, gave = short_body(tmp_path, "last-only-slow-close")
    assert story == (
        "the request behind it was answered in its place; sent alone: connection closed"
    )
    assert (verdict, gave) == (["pass"], 1)


def test_a_cut_body_the_server_fills_with_an_answer_of_its_own_is_no_kept_connection(
    tmp_path: Path,
) -> None:
    """Audit of 2026-12-05: rocket3 and pyruvate write a 500 of their own after the body
    the app's exception cut short of its Content-Length, then close. The probe read that
    500's head as the answer to the request behind, and said the connection was kept: a
    false SRV-CL-SHORT. The client takes the 500's first bytes for the rest of the body,
    as complete: SRV-TRAP-LOG's (an abort closes before the body's end)."""
    channel = Channel(tmp_path)
    with serving(make_app(channel), "filled") as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        corpus._short_body(session, "short-raise")
    attribute(session.sent)
    assert session.observations[corpus.SHORT_BODIES["short-raise"]] == (
        "the server wrote a response of its own into the cut body"
    )
    records = records_by_id(channel.records())
    log = (
        "Traceback ... ProbeError: wsgicheck probe: raised inside a body shorter than its "
        "Content-Length"
    )
    judged = [to_exchange(each, records.get(each.probe_id), log) for each in session.sent]
    results, errors = judge(judged, [SHORT, REGISTRY["SRV-TRAP-LOG"]])
    assert errors == []
    assert {
        each.rule.id: [str(each.status), *(f.message for f in each.findings)] for each in results
    } == {
        "SRV-CL-SHORT": ["pass"],
        "SRV-TRAP-LOG": [
            "fail",  # (a SHOULD: the run warns of it)
            "the app raised ProbeError after its head went out; the server logged it, and ended "
            "the cut body at its Content-Length, so the client takes it for the whole one: the "
            "response was not aborted (an abort closes the connection before the body's end)",
        ],
    }


@pytest.mark.parametrize(
    ("mode", "story"),
    [
        ("replaced", "the server answered 500 in the app's place"),
        ("silent", "connection left open, no answer in 2 s"),
    ],
)
def test_a_short_body_never_given_is_said_so(tmp_path: Path, mode: str, story: str) -> None:
    """Audit of 2026-12-05: eventlet held the app's head and answered 500, closing; the
    story said the connection was "left open". Tornado's WSGIContainer sent nothing and
    kept the connection: no story at all. Neither is a verdict of SRV-CL-SHORT's."""
    told, verdict, gave = short_body(tmp_path, mode, "short-raise")
    assert (told, verdict, gave) == (story, ["skip"], 0)


def test_no_short_body_is_no_verdict_on_the_rule() -> None:
    """SRV-CL-SHORT judges only a body the app gave short of its Content-Length: one given
    whole passes nothing."""

    def sized(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    assert not SHORT.applies(Exchange(Client(sized).get("/")))


# -- a read that waited for the client, and an answer that did ---------------------------------


def test_an_answer_held_up_is_no_read_that_waited(tmp_path: Path) -> None:
    """Probe audit of 2026-12-05 (socketify): the answer to the empty-body input scenario
    stalled after half a head until the client shut its side, and SRV-INPUT-EMPTY-AT-EOF
    said a read had waited for that, where the app's reads had returned at once. The app
    now says whether its reads ended after the client shut."""
    rule = REGISTRY["SRV-INPUT-EMPTY-AT-EOF"]
    channel = Channel(tmp_path)
    with serving(make_app(channel), "stall") as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        corpus._until_answered(session, session.request("input", "empty"))
    records = records_by_id(channel.records())
    [sent] = session.sent
    exchange = to_exchange(sent, records.get(sent.probe_id), "").exchange
    assert exchange.extra.input_blocked is False  # shut, but the reads had returned
    assert rule.applies(exchange)
    assert [finding.message for finding in rule.check(exchange)] == []


def test_reads_that_ended_after_the_client_shut_are_a_read_that_waited() -> None:
    """What the app says of its reads decides: ended after the client shut (Paste 3.10's
    readlines() on Content-Length 0 waits for the connection's end), the read waited."""
    shut = sent(40, "/input", extra=Extra(input_blocked=False))
    for said, blocked in ((True, True), (False, False)):
        record = Record(exchange=None, notes={"reads_ended_after_shut": said})
        assert to_exchange(shut, record, "").exchange.extra.input_blocked is blocked
    # A request whose client never shut keeps no such evidence, whatever the note says.
    plain = sent(41, "/input")
    record = Record(exchange=None, notes={"reads_ended_after_shut": True})
    assert to_exchange(plain, record, "").exchange.extra.input_blocked is None


HOP_RULES = [REGISTRY["SRV-REJECT-HOP-BY-HOP"], REGISTRY["SRV-CLOSE-ENDS-CONNECTION"]]


def test_a_hop_request_answered_in_place_of_is_sent_again_alone(tmp_path: Path) -> None:
    """bjoern 3.2.2 answers only the last request of a write, so the app never saw the hop
    request sent with an echo behind it, and SRV-REJECT-HOP-BY-HOP and
    SRV-CLOSE-ENDS-CONNECTION had no evidence (left in the closing note of 2026-12-06). It
    is sent again alone, and the echo once its answer is in; the replay does the same."""
    channel = Channel(tmp_path)
    with serving(make_app(channel), "last-only-passing-close") as server:
        session = Session("127.0.0.1", server.port, channel, timeout=1.5)
        corpus.bad_headers(session)
        attribute(session.sent)
        records = records_by_id(channel.records())
        judged = [to_exchange(each, records.get(each.probe_id), "") for each in session.sent]
        results, errors = judge(judged, HOP_RULES)
        assert errors == []
        assert [(str(each.status), [f.message for f in each.findings]) for each in results] == [
            (
                "fail",  # a SHOULD: warned in a report, "fail" as a status
                [
                    "start_response accepted the header, though Connection is hop-by-hop: the "
                    "server owns it (the app gave 'close')"
                ],
            ),
            (
                "fail",
                [
                    "this request came behind one whose answer said Connection: close (the "
                    "app's own Connection field, which the server sent on and so owns), and "
                    "the server answered it on the same connection: it processed a request it "
                    "must not have"
                ],
            ),
        ]
        [behind] = [each for each in session.sent if each.after is not None]
        assert behind.request.target == "/after-close"
        assert behind.after is not None
        assert b" bad-headers hop" in behind.after.to_bytes()
        # The Python replay sends the hop request, reads its answer, then sends the echo on
        # the same connection: both answers come back from a server that keeps it.
        authority = f"127.0.0.1:{server.port}"
        python = probe_reproducers(
            behind.request, "wsgicheck.probe.app:app", authority, after=behind.after
        ).python
        script = python.replace("8000", str(server.port))
        shown = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        ).stdout
        assert shown.count("HTTP/1.1 200 OK") == 2, shown
        assert "start_response accepted the header" in shown
        assert "Connection: close" in shown


@pytest.mark.parametrize(
    ("make", "edited"),
    [
        ("_chunk_extension", b"\r\n\r\na;wsgicheck=ext\r\n"),
        ("_chunked_capitalised", b"\r\nTransfer-Encoding: Chunked\r\n"),
    ],
)
def test_the_chunked_variants_are_valid_http_whose_body_is_the_input_body(
    tmp_path: Path, make: str, edited: bytes
) -> None:
    """The probe's chunk extension and its coding named ``Chunked``: a server that parses
    HTTP (h11 here) reads the body sent, decoded, the extension nowhere in it (RFC 9112
    §7.1.1, §7). The app is told to read as many bytes as went on the wire after the head."""
    import h11

    session = Session("127.0.0.1", 1, Channel(tmp_path), timeout=1.0)
    sent = getattr(corpus, make)(session)
    wire = sent.request.to_bytes()
    assert edited in wire
    body_on_wire = wire.partition(b"\r\n\r\n")[2]
    assert sent.arg == f"chunked={len(body_on_wire)}"
    server = h11.Connection(h11.SERVER)
    server.receive_data(wire)
    events = []
    for _ in range(16):
        event = server.next_event()
        if event is h11.NEED_DATA or isinstance(event, h11.EndOfMessage):
            break
        events.append(event)
    body = b"".join(bytes(each.data) for each in events if isinstance(each, h11.Data))
    assert body == corpus.INPUT_BODY == sent.request.body
