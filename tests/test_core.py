"""Running an application and assembling its response (PEP 3333, the server side).

Each test drives one small app through :class:`wsgicheck.Client` (or :func:`run_app` with a
sink of its own) and checks one behaviour: what the client received, and what the trace says
the app did. Assertions name rule ids and event fields, never message wording.
"""

from __future__ import annotations

import inspect
import re
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from wsgicheck import Client, RefusedCall, Request, ServerConfig, validator
from wsgicheck.core.environ import build_environ
from wsgicheck.core.invoke import AppCall, run_app
from wsgicheck.drivers.client import MemorySink
from wsgicheck.model.events import (
    AppRaised,
    AppReturned,
    BodyLimitReached,
    BodyShort,
    BodyTruncated,
    ClientGone,
    CloseCalled,
    HeadersSent,
    RawEvent,
    Refused,
    StartResponseCalled,
    Trace,
    WriteCalled,
    Yielded,
)
from wsgicheck.model.response import Response
from wsgicheck.rules import Exchange, check_exchange

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], None]]
TEXT = [("Content-Type", "text/plain")]


def get(app: Callable[..., Any], **config: Any) -> Response:
    return Client(app, config=ServerConfig(**config)).get("/")


def rules(response: Response) -> list[str]:
    return [event.rule for event in response.trace.of(Refused)]


def kinds(trace: Trace) -> list[str]:
    return [type(event).__name__ for event in trace]


def line_of(function: Callable[..., Any], text: str) -> int:
    """The line number of the first line of ``function``'s source that contains ``text``."""
    lines, first = inspect.getsourcelines(function)
    for offset, line in enumerate(lines):
        if text in line:
            return first + offset
    raise AssertionError(f"{text!r} not in {function.__name__}")


class Body:
    """An iterable with ``close()`` that counts how it was used.

    ``fail_at`` raises ``RuntimeError`` instead of yielding block number ``fail_at``;
    ``close_error`` is raised from ``close()``.
    """

    def __init__(
        self,
        blocks: list[bytes],
        *,
        fail_at: int | None = None,
        close_error: BaseException | None = None,
    ) -> None:
        self.blocks = blocks
        self.fail_at = fail_at
        self.close_error = close_error
        self.served = 0
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, block in enumerate(self.blocks):
            if index == self.fail_at:
                raise RuntimeError("failed while iterating")
            self.served += 1
            yield block

    def close(self) -> None:
        self.closed += 1
        if self.close_error is not None:
            raise self.close_error


def body_app(body: Body, headers: list[tuple[str, str]] | None = None) -> Callable[..., Any]:
    def app(environ: Environ, start_response: StartResponse) -> Body:
        start_response("200 OK", list(TEXT if headers is None else headers))
        return body

    return app


# -- start_response and when the head goes out -----------------------------------------------


def test_headers_wait_for_the_first_non_empty_block_so_exc_info_can_replace_them() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b""
        try:
            raise ValueError("found late")
        except ValueError:
            start_response("500 Internal Server Error", TEXT, sys.exc_info())
        yield b""
        yield b"failed"

    response = get(app)
    assert (response.status_code, response.body) == (500, b"failed")
    assert response.complete
    assert [e.status for e in response.trace.of(HeadersSent)] == ["500 Internal Server Error"]
    calls = response.trace.of(StartResponseCalled)
    assert [(c.exc_info_kind, c.headers_sent) for c in calls] == [
        ("absent", False),
        ("exception", False),
    ]
    assert rules(response) == []
    names = kinds(response.trace)
    # with the last (first non-empty) block, after which the iterable ends and is closed
    assert names[names.index("HeadersSent") :] == ["HeadersSent", "Exhausted", "CloseCalled"]


def test_empty_writes_do_not_send_the_head_either() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        write(b"")
        try:
            raise ValueError("found late")
        except ValueError:
            start_response("503 Service Unavailable", TEXT, sys.exc_info())
        return [b"later"]

    response = get(app)
    assert (response.status_code, response.body) == (503, b"later")
    assert rules(response) == []


def test_an_empty_body_sends_the_head_when_the_iterable_ends() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b""

    response = get(app)
    assert (response.status_code, response.body, response.complete) == (200, b"", True)
    assert response.header("Content-Length") == "0"
    assert kinds(response.trace)[-3:] == ["Exhausted", "HeadersSent", "CloseCalled"]


def test_start_response_returns_a_write_callable() -> None:
    seen: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        seen.append(callable(write))
        return [b"ok"]

    assert get(app).body == b"ok"
    assert seen == [True]


def test_a_second_start_response_without_exc_info_is_refused_inside_the_app() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", TEXT)
        try:
            start_response("404 Not Found", TEXT)
        except RefusedCall as exc:
            seen.append(exc.rule)
        return [b"first status stands"]

    response = get(app)
    assert seen == ["APP-SR-ONCE"]
    assert (response.status_code, response.body) == (200, b"first status stands")
    refused = response.trace.of(Refused)
    assert [(r.callable, r.rule) for r in refused] == [("start_response", "APP-SR-ONCE")]


def test_a_second_call_is_refused_even_when_the_first_one_was_refused() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        for status in ("200  OK", "200 OK"):
            try:
                start_response(status, TEXT)
            except RefusedCall as exc:
                seen.append(exc.rule)
        return [b"x"]

    response = get(app)
    assert seen == ["APP-STATUS-FORMAT", "APP-SR-ONCE"]
    assert rules(response)[:2] == seen
    assert response.status_code == 500  # no call succeeded, so there is no status to send


def test_an_uncaught_refusal_becomes_a_500_naming_the_refused_call() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [("Connection", "close")])
        return [b"never"]

    response = get(app)
    assert response.status_code == 500
    assert rules(response) == ["APP-NO-HOP-BY-HOP"]
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.exc_type, raised.headers_sent) == ("call", "RefusedCall", False)


def test_exc_info_after_the_head_went_out_reraises_the_original_exception() -> None:
    seen: dict[str, BaseException] = {}
    body_closed: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        try:
            yield b"partial"
            raise KeyError("late")
        except KeyError as exc:
            seen["original"] = exc
            try:
                start_response("500 Internal Server Error", TEXT, sys.exc_info())
            except BaseException as raised:
                seen["raised"] = raised
                raise
        finally:
            body_closed.append(True)

    response = get(app)
    assert seen["raised"] is seen["original"]
    assert (response.status_code, response.body) == (200, b"partial")
    assert not response.complete
    late_call = response.trace.of(StartResponseCalled)[1]
    assert (late_call.exc_info_kind, late_call.headers_sent) == ("exception", True)
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.exc_type, raised.headers_sent) == ("iteration", "KeyError", True)
    assert rules(response) == []
    assert body_closed == [True]


def test_malformed_exc_info_is_refused() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        try:
            start_response("200 OK", TEXT, ("not", "an exc_info"))
        except RefusedCall as exc:
            seen.append(exc.rule)
            raise
        return [b"x"]

    response = get(app)
    assert seen == ["APP-EXC-INFO-TUPLE"]
    assert response.trace.of(StartResponseCalled)[0].exc_info_kind == "malformed"
    assert response.status_code == 500


def test_start_response_keywords_are_accepted_and_recorded() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response(status="200 OK", response_headers=TEXT)
        return [b"x"]

    response = get(app)
    assert (response.status_code, response.body) == (200, b"x")
    [call] = response.trace.of(StartResponseCalled)
    assert (call.positional, set(call.keywords)) == (0, {"status", "response_headers"})


def test_start_response_with_impossible_arguments_raises_type_error() -> None:
    seen: list[type[BaseException]] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        try:
            start_response("200 OK")
        except TypeError as exc:
            seen.append(type(exc))
            raise
        return [b"x"]

    response = get(app)
    assert seen == [TypeError]
    assert rules(response) == ["APP-SR-POSITIONAL"]
    assert response.status_code == 500


# -- write() ----------------------------------------------------------------------------------


def test_write_before_start_response_is_refused() -> None:
    log: list[RawEvent] = []
    sink = MemorySink()
    exchange = AppCall(sink, log, ServerConfig(), "GET")
    with pytest.raises(RefusedCall) as info:
        exchange.write(b"too early")
    assert info.value.rule == "APP-SR-BEFORE-BODY"
    assert kinds(Trace(log)) == ["WriteCalled", "Refused"]
    assert Trace(log).of(Refused)[0].callable == "write"
    assert (sink.status_code, sink.collected()) == (0, b"")


def test_write_sends_the_head_at_once_and_then_the_data() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        write(b"hello ")
        write(b"world")
        return [b"!"]

    response = get(app)
    assert (response.status_code, response.body, response.complete) == (200, b"hello world!", True)
    assert response.header("Content-Length") is None  # the length was unknown at the first write
    assert kinds(response.trace)[:4] == [
        "StartResponseCalled",
        "WriteCalled",
        "HeadersSent",
        "WriteCalled",
    ]


@pytest.mark.parametrize("value", ["text", bytearray(b"x"), memoryview(b"x"), None])
def test_write_of_anything_but_bytes_is_refused(value: object) -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        try:
            write(value)
        except RefusedCall as exc:
            seen.append(exc.rule)
        return [b"after"]

    response = get(app)
    assert seen == ["APP-WRITE-BYTES"]
    assert response.body == b"after"


def test_write_called_from_the_iterable_is_recorded_as_during_iteration() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", TEXT)
        write(b"a")

        def body() -> Iterator[bytes]:
            write(b"b")
            yield b"c"

        return body()

    response = get(app)
    assert response.body == b"abc"
    writes = response.trace.of(WriteCalled)
    assert [(w.value, w.during_iteration) for w in writes] == [(b"a", False), (b"b", True)]


def test_write_past_the_content_length_raises_and_sends_no_more() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", [*TEXT, ("Content-Length", "5")])
        write(b"abc")
        for data in (b"defgh", b"i"):
            try:
                write(data)
            except RefusedCall as exc:
                seen.append(exc.rule)
        return []

    response = get(app)
    assert seen == ["APP-CL-ACCURATE", "APP-CL-ACCURATE"]
    assert response.body == b"abcde"
    assert [(r.callable, r.rule) for r in response.trace.of(Refused)] == [
        ("write", "APP-CL-ACCURATE"),
        ("write", "APP-CL-ACCURATE"),
    ]
    assert response.trace.of(BodyTruncated) == [BodyTruncated(declared=5, produced=8)]


# -- close() exactly once ---------------------------------------------------------------------


class GoneSink(MemorySink):
    """A sink whose client hangs up: ``send_head``, ``send_body`` or ``finish`` fails."""

    def __init__(self, fails_in: str) -> None:
        self.fails_in = fails_in

    def send_head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> None:
        if self.fails_in == "send_head":
            raise ConnectionResetError(104, "Connection reset by peer")
        super().send_head(status_code, reason, headers)

    def send_body(self, data: bytes) -> None:
        if self.fails_in == "send_body":
            raise BrokenPipeError(32, "Broken pipe")
        super().send_body(data)

    def finish(self) -> None:
        if self.fails_in == "finish":
            raise BrokenPipeError(32, "Broken pipe")
        super().finish()


def run_with_sink(app: Callable[..., Any], sink: MemorySink) -> tuple[bool, Trace]:
    log: list[RawEvent] = []
    config = ServerConfig()
    environ = build_environ(Request(headers=(("Host", "localhost"),)), config, body=b"", log=log)
    completed = run_app(app, environ, sink, log, config)
    return completed, Trace(log)


@pytest.mark.parametrize(
    ("make_body", "headers"),
    [
        pytest.param(lambda: Body([b"a", b"b", b"c"]), None, id="normal-end"),
        pytest.param(lambda: Body([], fail_at=0), None, id="raise-before-head"),
        pytest.param(lambda: Body([b"a", b"b"], fail_at=1), None, id="raise-after-head"),
        pytest.param(
            lambda: Body([b"ab", b"cd", b"ef"]),
            [("Content-Length", "2")],
            id="content-length-reached",
        ),
        pytest.param(
            lambda: Body([b"a"], close_error=RuntimeError("close failed")), None, id="close-raises"
        ),
        pytest.param(lambda: Body([b"a", 3]), None, id="not-bytes"),  # type: ignore[list-item]
    ],
)
def test_close_is_called_exactly_once(make_body: Callable[[], Body], headers: Any) -> None:
    body = make_body()
    response = get(body_app(body, headers))
    assert body.closed == 1
    assert len(response.trace.of(CloseCalled)) == 1
    assert kinds(response.trace)[-1] in ("CloseCalled", "AppRaised")


def test_close_is_called_once_when_content_length_stops_the_iteration() -> None:
    body = Body([b"ab", b"cd", b"ef"])
    response = get(body_app(body, [("Content-Length", "3")]))
    assert (response.body, response.complete) == (b"abc", True)
    assert body.served == 2  # the third block was never asked for
    assert body.closed == 1


@pytest.mark.parametrize("fails_in", ["send_head", "send_body", "finish"])
def test_close_is_called_once_when_the_client_is_gone(fails_in: str) -> None:
    body = Body([b"first", b"second", b"third"])
    sink = GoneSink(fails_in)
    completed, trace = run_with_sink(body_app(body), sink)
    assert not completed
    assert body.closed == 1
    assert len(trace.of(CloseCalled)) == 1
    assert len(trace.of(ClientGone)) == 1
    assert trace.of(AppRaised) == []  # the client left; the app did nothing wrong
    if fails_in == "finish":
        assert body.served == 3
    else:
        assert body.served == 1  # nothing more was pulled for a client that left
        assert sink.aborted


def test_a_client_gone_during_write_stops_the_app_without_blaming_it() -> None:
    writes: list[bytes] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        for data in (b"one", b"two"):
            writes.append(data)
            write(data)
        return [b"never"]

    sink = GoneSink("send_body")
    completed, trace = run_with_sink(app, sink)
    assert not completed
    assert sink.aborted
    assert writes == [b"one"]
    assert len(trace.of(ClientGone)) == 1
    assert trace.of(AppRaised) == []


def test_an_app_raising_in_close_is_recorded_and_the_response_stands() -> None:
    body = Body([b"whole body"], close_error=RuntimeError("close failed"))
    response = get(body_app(body))
    assert (response.status_code, response.body, response.complete) == (200, b"whole body", True)
    [close] = response.trace.of(CloseCalled)
    assert close.error is not None
    assert close.error.startswith("RuntimeError")
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.exc_type, raised.headers_sent) == ("close", "RuntimeError", True)


def test_a_generator_is_closed_when_iteration_stops_early() -> None:
    finally_ran: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Length", "2")])
        try:
            while True:
                yield b"xx"
        finally:
            finally_ran.append(True)

    response = get(app)
    assert (response.body, response.complete) == (b"xx", True)
    assert finally_ran == [True]
    assert response.trace.of(CloseCalled) == [CloseCalled(error=None)]


# -- Content-Length ---------------------------------------------------------------------------


def test_more_body_than_the_content_length_is_cut_and_iteration_stops() -> None:
    body = Body([b"0123456789", b"never sent"])
    response = get(body_app(body, [("Content-Length", "5")]))
    assert response.body == b"01234"
    assert response.header("Content-Length") == "5"
    assert response.complete
    assert response.trace.of(BodyTruncated) == [BodyTruncated(declared=5, produced=10)]
    assert body.served == 1


def test_a_body_shorter_than_the_content_length_aborts_the_response() -> None:
    response = get(body_app(Body([b"ab"]), [("Content-Length", "10")]))
    assert response.body == b"ab"
    assert not response.complete
    assert response.trace.of(BodyShort) == [BodyShort(declared=10, sent=2)]


def test_an_exact_body_is_complete_with_no_framing_events() -> None:
    response = get(body_app(Body([b"abc", b"de"]), [("Content-Length", "5")]))
    assert (response.body, response.complete) == (b"abcde", True)
    assert response.trace.of(BodyTruncated) == response.trace.of(BodyShort) == []


@pytest.mark.parametrize(
    ("result", "length"),
    [
        ([b"hello"], "5"),
        ([], "0"),
        ([b""], "0"),
        ([b"hel", b"lo"], None),
        ((b"hello",), "5"),  # a one-element sequence has a known length too
    ],
)
def test_the_server_adds_content_length_when_the_body_length_is_known(
    result: Any, length: str | None
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> Any:
        start_response("200 OK", TEXT)
        return result

    response = get(app)
    assert response.header("Content-Length") == length
    assert response.complete


def test_no_content_length_is_added_for_a_generator() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b"hello"

    response = get(app)
    assert response.header("Content-Length") is None
    assert (response.body, response.complete) == (b"hello", True)


# -- responses without a body -----------------------------------------------------------------


def test_head_runs_the_app_sends_no_body_and_keeps_content_length() -> None:
    body = Body([b"hello"])
    response = Client(body_app(body, [*TEXT, ("Content-Length", "5")])).head("/")
    assert (response.status_code, response.body, response.complete) == (200, b"", True)
    assert response.header("Content-Length") == "5"
    assert body.served == 1
    assert body.closed == 1
    assert response.trace.of(BodyTruncated) == response.trace.of(BodyShort) == []


def test_head_announces_the_length_of_a_one_block_body() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", TEXT)
        return [b"hello"]

    response = Client(app).head("/")
    assert (response.body, response.header("Content-Length")) == (b"", "5")


def test_head_with_a_streamed_body_has_no_body_and_no_invented_length() -> None:
    response = Client(body_app(Body([b"a", b"b", b"c"]))).head("/")
    assert (response.body, response.complete) == (b"", True)
    assert response.header("Content-Length") is None


@pytest.mark.parametrize("status", ["204 No Content", "304 Not Modified"])
@pytest.mark.parametrize("result", [[], [b"ignored"]], ids=["empty", "with-body"])
def test_204_and_304_carry_no_body_and_no_invented_content_length(
    status: str, result: list[bytes]
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response(status, [])
        return result

    response = get(app)
    assert response.status == status
    assert (response.body, response.complete) == (b"", True)
    assert response.header("Content-Length") is None


# -- the app fails ----------------------------------------------------------------------------


def test_an_app_raising_before_the_head_gets_a_500_with_a_body() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", TEXT)
        raise ValueError("broken")

    response = get(app)
    assert response.status_code == 500
    assert response.body
    assert response.header("Content-Length") == str(len(response.body))
    assert response.complete
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.exc_type, raised.headers_sent) == ("call", "ValueError", False)
    assert raised.where is not None
    assert (raised.where.file, raised.where.line) == (__file__, line_of(app, "raise ValueError"))


def test_an_iterable_raising_before_its_first_block_gets_a_500() -> None:
    body = Body([b"never"], fail_at=0)
    response = get(body_app(body))
    assert response.status_code == 500
    assert response.complete
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.exc_type, raised.headers_sent) == (
        "iteration",
        "RuntimeError",
        False,
    )


def test_an_iterable_raising_after_the_head_aborts_the_response() -> None:
    body = Body([b"first", b"second"], fail_at=1)
    response = get(body_app(body))
    assert (response.status_code, response.body) == (200, b"first")
    assert not response.complete
    [raised] = response.trace.of(AppRaised)
    assert (raised.phase, raised.headers_sent) == ("iteration", True)


@pytest.mark.parametrize("exception", [SystemExit(3), GeneratorExit(), MemoryError()])
def test_base_exceptions_from_the_app_become_a_500_and_do_not_escape(
    exception: BaseException,
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise exception

    response = get(app)
    assert response.status_code == 500
    assert response.trace.of(AppRaised)[0].exc_type == type(exception).__name__


@pytest.mark.parametrize(
    "block", ["text", bytearray(b"x"), memoryview(b"x"), 7, None], ids=lambda b: type(b).__name__
)
def test_a_block_that_is_not_bytes_gets_a_500(block: object) -> None:
    response = get(body_app(Body([block])))  # type: ignore[list-item]
    assert response.status_code == 500
    assert [(r.callable, r.rule) for r in response.trace.of(Refused)] == [
        ("iterable", "APP-YIELD-BYTES")
    ]
    assert response.trace.of(Yielded)[0].value == block


def test_a_block_that_is_not_bytes_after_the_head_aborts_the_response() -> None:
    response = get(body_app(Body([b"good", "bad"])))  # type: ignore[list-item]
    assert (response.status_code, response.body, response.complete) == (200, b"good", False)
    assert rules(response) == ["APP-YIELD-BYTES"]


def test_an_app_that_never_calls_start_response_gets_a_500() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        return []

    response = get(app)
    assert response.status_code == 500
    assert rules(response) == ["APP-SR-CALLED"]


def test_yielding_before_start_response_gets_a_500() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b"body"
        start_response("200 OK", TEXT)
        yield b"late"

    response = get(app)
    assert response.status_code == 500
    assert rules(response) == ["APP-SR-BEFORE-BODY"]


def test_an_empty_block_may_come_before_start_response() -> None:
    # A buffering middleware yields b"" for each inner block (PEP 3333 "Middleware Handling
    # of Block Boundaries") and can call start_response only once it has the whole body.
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b""
        start_response("200 OK", TEXT)
        yield b"late"

    response = get(app)
    assert response.status_code == 200
    assert response.body == b"late"
    assert rules(response) == []


def test_a_generator_may_call_start_response_on_its_first_step() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("201 Created", TEXT)
        yield b"made"

    response = get(app)
    assert (response.status, response.body, response.complete) == ("201 Created", b"made", True)
    assert rules(response) == []
    assert kinds(response.trace)[:2] == ["AppReturned", "StartResponseCalled"]


def test_keyboard_interrupt_in_a_worker_thread_does_not_escape() -> None:
    outcome: dict[str, Any] = {}

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        raise KeyboardInterrupt

    def worker() -> None:
        try:
            outcome["response"] = Client(app).get("/")
        except BaseException as exc:  # what must not happen
            outcome["escaped"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    assert not thread.is_alive()
    assert "escaped" not in outcome
    response = outcome["response"]
    assert response.status_code == 500
    assert response.trace.of(AppRaised)[0].exc_type == "KeyboardInterrupt"


def test_keyboard_interrupt_mid_body_in_a_worker_thread_aborts_and_closes() -> None:
    outcome: dict[str, Any] = {}
    closed: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        try:
            yield b"part"
            raise KeyboardInterrupt
        finally:
            closed.append(True)

    def worker() -> None:
        try:
            outcome["response"] = Client(app).get("/")
        except BaseException as exc:
            outcome["escaped"] = exc

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(60)
    assert "escaped" not in outcome
    assert not outcome["response"].complete
    assert closed == [True]


def test_keyboard_interrupt_in_the_main_thread_is_the_users_and_propagates() -> None:
    assert threading.current_thread() is threading.main_thread()
    closed: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        try:
            yield b"part"
            raise KeyboardInterrupt
        finally:
            closed.append(True)

    with pytest.raises(KeyboardInterrupt):
        get(app)
    assert closed == [True]


# -- server headers ---------------------------------------------------------------------------


IMF_FIXDATE = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d\d:\d\d:\d\d GMT"
)


def test_the_server_adds_date_and_server() -> None:
    response = get(body_app(Body([b"x"])))
    assert IMF_FIXDATE.fullmatch(response.header("Date") or "")
    assert response.header("Server") == ServerConfig().server_software


@pytest.mark.parametrize(("date", "server"), [("Date", "Server"), ("date", "SERVER")])
def test_date_and_server_from_the_app_are_kept_and_not_doubled(date: str, server: str) -> None:
    headers = [(date, "Thu, 01 Jan 2037 00:00:00 GMT"), (server, "mine/1.0")]
    response = get(body_app(Body([b"x"]), headers))
    sent = [name.lower() for name, _ in response.headers]
    assert sent.count("date") == 1
    assert sent.count("server") == 1
    assert response.header("Date") == "Thu, 01 Jan 2037 00:00:00 GMT"
    assert response.header("Server") == "mine/1.0"


def test_the_apps_header_list_is_never_changed_by_the_server() -> None:
    headers = [("Content-Type", "text/plain")]

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", headers)
        return [b"x"]

    client = Client(app)
    for _ in range(2):
        response = client.get("/")
        assert [name for name, _ in response.headers].count("Date") == 1
    assert headers == [("Content-Type", "text/plain")]


# -- limits and recorded facts ----------------------------------------------------------------


@pytest.mark.parametrize("block_size", [10, 7, 1000])
def test_response_body_limit_stops_an_endless_generator(block_size: int) -> None:
    closed: list[bool] = []

    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        try:
            while True:
                yield b"x" * block_size
        finally:
            closed.append(True)

    response = get(app, response_body_limit=100)
    assert response.body == b"x" * 100
    assert not response.complete
    assert response.trace.of(BodyLimitReached) == [BodyLimitReached(limit=100)]
    assert closed == [True]


def test_a_body_of_exactly_the_limit_is_complete() -> None:
    response = get(body_app(Body([b"x" * 50, b"y" * 50])), response_body_limit=100)
    assert (len(response.body), response.complete) == (100, True)
    assert response.trace.of(BodyLimitReached) == []


def test_write_past_the_body_limit_is_refused() -> None:
    seen: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        try:
            while True:
                write(b"x" * 30)
        except RefusedCall as exc:
            seen.append(exc.rule)
        return []

    response = get(app, response_body_limit=100)
    assert seen == ["HARNESS-BODY-LIMIT"]
    assert response.body == b"x" * 100
    assert not response.complete


def test_a_lying_len_is_recorded_in_app_returned() -> None:
    class Lying:
        def __len__(self) -> int:
            return 3

        def __iter__(self) -> Iterator[bytes]:
            return iter([b"a", b"b"])

    def app(environ: Environ, start_response: StartResponse) -> Lying:
        start_response("200 OK", TEXT)
        return Lying()

    response = get(app)
    assert response.body == b"ab"
    [returned] = response.trace.of(AppReturned)
    assert (returned.type_name, returned.length, returned.has_close) == ("Lying", 3, False)
    assert len(response.trace.of(Yielded)) == 2


@pytest.mark.parametrize(
    ("raised", "an_error"),
    [
        # PEP 3333: "If a call to len(iterable) succeeds"; wsgiref's handler reads these
        # three as no length (ddtrace's wrapt proxy round an iterator raises TypeError).
        (TypeError, False),
        (AttributeError, False),
        (NotImplementedError, False),
        (ValueError, True),  # the app's own error: wsgiref's handler fails on it too
    ],
)
def test_a_len_that_raises_is_recorded_as_unknown(raised: type, an_error: bool) -> None:
    class Broken:
        def __len__(self) -> int:
            raise raised("no length")

        def __iter__(self) -> Iterator[bytes]:
            return iter([b"a"])

    def app(environ: Environ, start_response: StartResponse) -> Broken:
        start_response("200 OK", TEXT)
        return Broken()

    response = get(app)
    assert response.body == b"a"
    assert response.trace.of(AppReturned)[0].length is None
    found = {finding.rule for finding in check_exchange(Exchange(response))}
    assert found == ({"APP-TRAP-OWN-ERRORS"} if an_error else set())


def test_locations_point_at_the_apps_own_lines() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        write = start_response("200 OK", TEXT)
        write(b"written")
        return body(write)

    def body(write: Callable[[bytes], None]) -> Iterator[bytes]:
        yield b"yielded"
        write(b"from the iterable")

    response = get(app)
    [call] = response.trace.of(StartResponseCalled)
    writes = response.trace.of(WriteCalled)
    [yielded] = response.trace.of(Yielded)
    [returned] = response.trace.of(AppReturned)
    where = {
        "start_response": call.where,
        "write": writes[0].where,
        "yield": yielded.where,
        "late write": writes[1].where,
        "app": returned.where,
    }
    assert all(w is not None and w.file == __file__ for w in where.values())
    assert {name: w.line for name, w in where.items()} == {  # type: ignore[union-attr]
        "start_response": line_of(app, "start_response("),
        "write": line_of(app, "write(b"),
        "yield": line_of(body, "yield"),
        "late write": line_of(body, "write(b"),
        "app": app.__code__.co_firstlineno,
    }
    assert (call.where.function, yielded.where.function) == ("app", "body")  # type: ignore[union-attr]


def test_an_app_is_called_once_per_request_and_may_be_called_again() -> None:
    calls: list[str] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        calls.append(environ["PATH_INFO"])
        start_response("200 OK", TEXT)
        return [environ["PATH_INFO"].encode("latin-1")]

    client = Client(app)
    assert [client.get(path).body for path in ("/a", "/b")] == [b"/a", b"/b"]
    assert calls == ["/a", "/b"]


@pytest.mark.parametrize("validated", [False, True], ids=["core", "validator"])
def test_the_server_touches_nothing_of_what_a_generator_delegates_to_but_iteration(
    validated: bool,
) -> None:
    """Finding where a generator yielded follows ``yield from`` into real generators only:
    an iterable of the app's behind it is iterated, never inspected (SRV-NO-OTHER-ITER-ATTRS;
    the probe found this with the app given as a class). The validator, which locates the
    app's yields itself, holds to the same."""
    touched: list[str] = []

    class Delegate:
        def __init__(self) -> None:
            self.blocks = iter([b"one", b"two"])

        def __iter__(self) -> Delegate:
            return self

        def __next__(self) -> bytes:
            return next(self.blocks)

        def __getattr__(self, name: str) -> Any:
            touched.append(name)
            raise AttributeError(name)

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])

        def body() -> Any:
            yield from Delegate()

        return body()

    response = Client(validator(app, collect=True) if validated else app).get("/")
    assert response.body == b"onetwo"
    assert touched == []
    if validated:
        return
    yields = [event for event in response.trace if type(event).__name__ == "Yielded"]
    assert len(yields) == 2
    assert all(event.where is not None and event.where.function == "body" for event in yields)
