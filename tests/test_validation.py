"""``wsgicheck.validator``: the ``on_exchange`` hook, and the file wrapper a server still
recognises as its own once the app has returned."""

from __future__ import annotations

import gc
import hashlib
import io
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from wsgicheck import WSGIViolation, WSGIWarning, validator
from wsgicheck.drivers import validation
from wsgicheck.drivers.validation import BODY_KEPT
from wsgicheck.model.events import (
    BLOCK_PREFIX,
    HELD_AT_EXIT,
    CloseCalled,
    WriteCalled,
    Yielded,
    block_size,
)
from wsgicheck.rules import Exchange


class ServerWrapper:
    """A server's own file wrapper type (gunicorn's is a class like this)."""

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike

    def __iter__(self) -> Any:
        return iter(lambda: self.filelike.read(8192), b"")


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return lambda data: None


def environ() -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.file_wrapper": ServerWrapper,
    }


class Closing:
    def __iter__(self) -> Any:
        yield b"x"

    def close(self) -> None:
        pass


def app_returning(result: Callable[[dict[str, Any]], Any]) -> Callable[..., Any]:
    def app(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200 OK", [("Content-Type", "text/plain")])
        return result(env)

    return app


def test_on_exchange_gets_each_ended_exchange() -> None:
    seen: list[Exchange] = []
    checked = validator(app_returning(lambda env: Closing()), collect=True, on_exchange=seen.append)
    result = checked(environ(), start_response)
    assert list(result) == [b"x"]
    assert seen == []  # not over yet
    result.close()
    assert len(seen) == 1
    assert [type(event) for event in seen[0].events][-1] is CloseCalled
    result.close()  # a second close() is news too (SRV-CLOSE-CALLED counts it)
    assert len(seen) == 2
    assert len(seen[1].closes) == 2


def test_on_exchange_gets_an_exchange_never_closed_at_garbage_collection() -> None:
    seen: list[Exchange] = []
    checked = validator(app_returning(lambda env: Closing()), collect=True, on_exchange=seen.append)
    result = checked(environ(), start_response)
    list(result)
    del result
    gc.collect()
    [exchange] = seen
    assert exchange.observations("never-closed")


def test_judge_unclosed_judges_the_iterables_the_server_still_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Audit of 2026-12-05: Twisted kept an iterable whose iteration raised alive to its
    exit, never closed, and the probe app's record of it never came (it is sent at close()
    or at garbage collection): SRV-CLOSE-CALLED passed. The probe app runs this at exit."""
    seen: list[Exchange] = []
    checked = validator(app_returning(lambda env: Closing()), collect=True, on_exchange=seen.append)
    held, closed = checked(environ(), start_response), checked(environ(), start_response)
    list(closed)
    closed.close()
    list(held)  # done with, and kept
    checked.judge_unclosed()  # within CLOSE_GRACE of its end: it may be closed yet
    assert len(seen) == 1
    monkeypatch.setattr(validation, "CLOSE_GRACE", 0.0)
    checked.judge_unclosed()
    assert len(seen) == 2  # the closed one, then the one still held
    assert [each.observations("never-closed") for each in seen[:1]] == [[]]
    assert [each.detail for each in seen[1].observations("never-closed")] == [HELD_AT_EXIT]
    [finding] = [each for each in checked.findings if each.rule == "SRV-CLOSE-CALLED"]
    assert finding.message == (
        "the iterable has close(); the server never called it (it still held the iterable "
        "when its process exited)"
    )
    checked.judge_unclosed()  # once only
    del held
    gc.collect()
    assert len(seen) == 2
    # Not collecting, nothing is kept to judge: the validator raises as the server goes.
    assert validator(app_returning(lambda env: Closing()))._unclosed is None


def test_judge_unclosed_leaves_an_iterable_still_being_served(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review of 2026-12-05: a server thread still iterating (or yet to begin) at the exit
    may close the iterable a moment later; judged then, it would be a false MUST."""
    monkeypatch.setattr(validation, "CLOSE_GRACE", 0.0)
    seen: list[Exchange] = []
    checked = validator(app_returning(lambda env: Closing()), collect=True, on_exchange=seen.append)
    untouched, begun = checked(environ(), start_response), checked(environ(), start_response)
    passing = iter(begun)
    assert next(passing) == b"x"  # the body's first block, not its end
    checked.judge_unclosed()
    assert seen == []
    assert (list(untouched), list(passing)) == ([b"x"], [])
    for each in (untouched, begun):
        each.close()
    assert [each.observations("never-closed") for each in seen] == [[], []]


NEVER_CLOSED_AT_EXIT = """
import time
from wsgiref.handlers import format_date_time
from wsgiref.util import setup_testing_defaults
from wsgicheck import validator

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2"),
                              ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
                              ("Date", format_date_time(time.time()))])
    return [b"ok"]

checked = validator(app)
kept = []
for extra in ({}, {"HTTP_IF_MODIFIED_SINCE": "Mon, 01 Jan 2024 00:00:00 GMT"}):
    environ = dict(extra)
    setup_testing_defaults(environ)
    result = checked(environ, lambda status, headers, exc_info=None: lambda data: None)
    kept.append((result, b"".join(result)))  # read whole, never closed, alive at the exit
print("done")
"""


def test_an_iterable_still_alive_at_the_interpreters_exit_is_left_alone(
    tmp_path: Path,
) -> None:
    """Judging an exchange while the interpreter tears itself down would fail on the way
    (the modules a rule needs are gone) and print an "Exception ignored" traceback."""
    script = tmp_path / "never_closed.py"
    script.write_text(NEVER_CLOSED_AT_EXIT)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "done\n", "")


class _ClosingWrapper(ServerWrapper):
    def close(self) -> None:
        self.filelike.close()


class _NoReadlines:
    """A middleware's wsgi.input without readlines() (Werkzeug's LintMiddleware's)."""

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self, size: int = -1) -> bytes:
        return b""

    def __iter__(self) -> Any:
        return iter(())


def test_a_violation_raised_for_a_returned_file_wrapper_closes_it() -> None:
    """A real-app trial of 2026-12-06: the validator raised as the app returned the
    server's file wrapper, which the server then never got to close, and the file stayed
    open."""
    env = {**environ(), "wsgi.file_wrapper": _ClosingWrapper, "wsgi.input": _NoReadlines()}
    opened = io.BytesIO(b"data")
    checked = validator(app_returning(lambda env: env["wsgi.file_wrapper"](opened, 4096)))
    with pytest.raises(WSGIViolation, match="ENV-INPUT-METHODS"):
        checked(env, start_response)
    assert opened.closed


def test_the_server_still_knows_its_file_wrapper() -> None:
    # gunicorn asks isinstance(result, environ["wsgi.file_wrapper"]) after the app returned,
    # on the environ it built (which the validator's guard now sits in).
    env = environ()
    seen: list[Exchange] = []
    checked = validator(
        app_returning(lambda env: env["wsgi.file_wrapper"](io.BytesIO(b"data"), 4096)),
        collect=True,
        on_exchange=seen.append,
    )
    result = checked(env, start_response)
    assert isinstance(result, ServerWrapper)  # handed back untouched
    assert isinstance(result, env["wsgi.file_wrapper"])
    assert not isinstance(object(), env["wsgi.file_wrapper"])
    assert issubclass(ServerWrapper, env["wsgi.file_wrapper"])
    assert list(result) == [b"data"]
    [exchange] = seen
    assert exchange.observations("file-wrapper-returned")
    assert len(exchange.file_wrapper_calls) == 1


class NotIterableWrapper:
    """A server's file wrapper that is no iterable (WebOb's test suite has such a fake)."""

    def __init__(self, filelike: Any, blksize: int = 8192) -> None:
        self.filelike = filelike


def test_a_file_wrapper_that_is_no_iterable_is_the_servers_fault_not_the_apps() -> None:
    """Validator audit of 2026-12-05 (WebOb's suite): the app returned what the server's
    wsgi.file_wrapper gave, as PEP 3333 says, and the validator raised APP-RETURN-ITERABLE
    at once; the server's SRV-FILE-WRAPPER-RETURNS-ITER came only with collect=True."""

    def served() -> dict[str, Any]:
        env: dict[str, Any] = {}
        setup_testing_defaults(env)
        env["wsgi.file_wrapper"] = NotIterableWrapper
        return env

    app = app_returning(lambda env: env["wsgi.file_wrapper"](io.BytesIO(b"data"), 4096))
    collecting = validator(app, collect=True)
    collecting(served(), start_response)
    assert [each.rule for each in collecting.findings] == [
        "SRV-FILE-WRAPPER-RETURNS-ITER",
        "SRV-FILE-WRAPPER-CLOSE",  # BytesIO has close(); the wrapper has none
    ]
    with pytest.raises(WSGIViolation) as raised:
        validator(app)(served(), start_response)
    assert str(raised.value) == (
        "SRV-FILE-WRAPPER-RETURNS-ITER: wsgi.file_wrapper returned a NotIterableWrapper, "
        "not an iterable"
    )


def test_a_wrapper_dropped_is_not_taken_for_what_the_app_returns() -> None:
    """Review of 2026-12-05: the wrappers the server gave were known by id() alone; one the
    app dropped freed its id for the next object, a non-iterable the app returned, which
    was then taken for the server's wrapper and not judged."""

    class NotIterable:
        def __init__(self) -> None:
            self.filelike = None

    def app(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200 OK", [("Content-Type", "text/plain")])
        wrapper = env["wsgi.file_wrapper"](io.BytesIO(b"data"))
        del wrapper
        return NotIterable()

    env: dict[str, Any] = {}
    setup_testing_defaults(env)
    env["wsgi.file_wrapper"] = ServerWrapper
    checked = validator(app, collect=True)
    checked(env, start_response)
    assert "APP-RETURN-ITERABLE" in {each.rule for each in checked.findings}


def test_a_wrapper_that_is_a_function_is_no_type_to_check_against() -> None:
    env = environ()
    env["wsgi.file_wrapper"] = lambda filelike, blksize=8192: iter([filelike.read()])
    checked = validator(
        app_returning(lambda env: env["wsgi.file_wrapper"](io.BytesIO(b"data"))), collect=True
    )
    result = checked(env, start_response)
    assert not isinstance(result, env["wsgi.file_wrapper"])
    assert not issubclass(list, env["wsgi.file_wrapper"])
    assert list(result) == [b"data"]


def test_a_long_body_costs_the_validator_a_prefix_a_block_and_a_digest() -> None:
    """Issue 11 §7: a streamed body is counted and digested, kept only up to BODY_KEPT."""
    block = 64 * 1024
    count = 1024  # 64 MiB

    def streaming(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        write = respond("200 OK", [("Content-Type", "application/octet-stream")])
        write(bytes([255]) * block)
        return (bytes([index % 251]) * block for index in range(count))

    seen: list[Exchange] = []
    checked = validator(streaming, collect=True, on_exchange=seen.append)
    result = checked(environ(), start_response)
    for _ in result:
        pass  # the server sends each block and keeps none
    result.close()
    [exchange] = seen
    response = exchange.response
    assert response.body_size == (count + 1) * block
    assert len(response.body) == BODY_KEPT
    blocks = [event.value for event in exchange.events if isinstance(event, Yielded | WriteCalled)]
    whole = BODY_KEPT // block
    assert [len(value) for value in blocks] == [block] * whole + [BLOCK_PREFIX] * (
        count + 1 - whole
    )
    assert sum(block_size(event) for event in exchange.writes + exchange.yields) == (
        response.body_size
    )
    hasher = hashlib.sha256()
    hasher.update(bytes([255]) * block)
    for index in range(count):
        hasher.update(bytes([index % 251]) * block)
    assert response.body_digest == hasher.hexdigest()
    app_rules = {finding.rule for finding in checked.findings if finding.rule.startswith("APP-")}
    assert app_rules == {"APP-AVOID-WRITE"}


def full_environ() -> dict[str, Any]:
    """An environ with every variable the PEP asks for (no finding about the server)."""
    env = environ()
    setup_testing_defaults(env)
    return env


class ClosingFails(Closing):
    def close(self) -> None:
        raise ValueError("close failed")


def test_an_error_of_the_apps_close_goes_on_unchanged_with_notes() -> None:
    checked = validator(app_returning(lambda env: ClosingFails()))
    result = checked(full_environ(), start_response)
    assert list(result) == [b"x"]
    with pytest.raises(ValueError, match="close failed") as raised:
        result.close()  # warnings are errors under this suite: still the app's ValueError
    notes = getattr(raised.value, "__notes__", [])
    assert [note.split(": ")[1] for note in notes] == ["APP-TRAP-OWN-ERRORS"]


def test_what_only_close_shows_is_warned_never_raised_from_close() -> None:
    checked = validator(app_returning(lambda env: Closing()))
    result = checked(full_environ(), start_response)
    list(result)
    result.close()
    with pytest.warns(WSGIWarning) as caught:
        result.close()  # a second close(): SRV-CLOSE-CALLED, a MUST, found in close()
    assert [warning.message.rule for warning in caught] == ["SRV-CLOSE-CALLED"]  # type: ignore[union-attr]
    assert [finding.rule for finding in checked.findings] == ["SRV-CLOSE-CALLED"]


def serve_closing_the_iterator(app: Callable[..., Any]) -> None:
    """A server that, as netius 1.x does, keeps ``iter(result)`` and closes that."""
    iterator = iter(app(full_environ(), start_response))
    for _ in iterator:
        pass
    if hasattr(iterator, "close"):
        iterator.close()


def test_a_server_closing_the_iterator_not_the_iterable_misses_close() -> None:
    checked = validator(app_returning(lambda env: Closing()), collect=True)
    serve_closing_the_iterator(checked)
    gc.collect()  # the iterable, never closed, is judged when it goes
    assert [(finding.rule, finding.message) for finding in checked.findings] == [
        (
            "SRV-CLOSE-CALLED",
            "the iterable has close(); the server never called it (it looked for close() on "
            "the iterator iter() gave, which is not the iterable)",
        )
    ]


def test_a_generator_is_its_own_iterator_so_closing_iter_of_it_closes_it() -> None:
    def generator(env: dict[str, Any]) -> Any:
        yield b"x"

    checked = validator(app_returning(generator), collect=True)
    serve_closing_the_iterator(checked)
    gc.collect()
    assert checked.findings == []


def test_the_end_of_the_body_raises_in_place_of_stop_iteration() -> None:
    def short(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return Closing()

    result = validator(short)(full_environ(), start_response)
    iterator = iter(result)
    assert next(iterator) == b"x"
    with pytest.raises(WSGIViolation) as raised:
        next(iterator)
    assert raised.value.rule == "APP-CL-ACCURATE"
    assert raised.value.__context__ is None  # not "during handling of StopIteration"
    result.close()  # judged already: nothing new, nothing raised


@pytest.mark.parametrize("server_write", [None, "raises"])
def test_a_write_the_server_could_not_take_sent_no_head(server_write: str | None) -> None:
    """A server whose start_response returns no write() (bjoern, pyruvate, granian), or
    whose write() raises, sent no head: the exchange is the server's own answer, and no
    server rule judges it as the app's response (found probing bjoern)."""
    from wsgicheck.rules.server_evidence import server_answered

    def failing(data: bytes) -> None:
        raise OSError("the connection is gone")

    def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None if server_write is None else failing

    def app(env: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
        start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])(b"abcd")
        return []

    seen: list[Exchange] = []
    checked = validator(app, collect=True, on_exchange=seen.append)
    with pytest.raises(TypeError if server_write is None else OSError):
        checked(environ(), respond)
    [exchange] = seen
    assert [raised.headers_sent for raised in exchange.raised] == [False]
    assert server_answered(exchange)


HELLO = b"hello, long enough\n"


def head_says_zero(env: dict[str, Any], start: Callable[..., Any]) -> list[bytes]:
    head = env["REQUEST_METHOD"] == "HEAD"
    length = 0 if head else len(HELLO)
    start("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(length))])
    return [] if head else [HELLO]


def test_a_violation_is_raised_once_though_its_exchange_is_never_closed() -> None:
    """Under Werkzeug's test client, a violation raised at the end of a body leaves that
    response unclosed. The exchange is kept as history when its body ends all the same,
    so a later GET of the same page is judged beside it, not beside the old HEAD again
    (a later test's correct GET failed for an earlier test's HEAD)."""
    from werkzeug.test import Client as WerkzeugClient

    client = WerkzeugClient(validator(head_says_zero))
    raised = []
    for method, path in [("GET", "/a"), ("HEAD", "/a"), ("GET", "/a"), ("GET", "/"), ("GET", "/a")]:
        response = client.open(path, method=method)
        try:
            response.get_data()
        except WSGIViolation as violation:
            raised.append((method, path, str(violation).partition(":")[0]))
            continue
        response.close()
    assert raised == [("GET", "/a", "APP-CL-OF-GET")]


def _gevent_like(result: Any) -> tuple[int, bytes]:
    """What gevent's pywsgi does with a result that has ``len()``: at the first write it
    counts the body's bytes with a second pass (``finalize_headers``), then sends on with
    the first. The Content-Length it would send, and the body."""
    length: int | None = None
    sent = []
    for block in result:
        if length is None:
            length = sum(len(each) for each in result)
        sent.append(block)
    getattr(result, "close", lambda: None)()
    return length or 0, b"".join(sent)


@pytest.mark.parametrize("kind", [list, tuple])
def test_a_list_the_app_returned_can_be_iterated_again(kind: type) -> None:
    """Under the validator, a server that iterates the app's list twice gets what it gets
    without it; only the first pass is recorded (the validator's one-pass wrapper once
    made gevent send half a body and SRV-BINARY-SAFE blame it)."""
    blocks = kind([b"a" * 130, b"b" * 130])
    seen: list[Exchange] = []
    plain = _gevent_like(app_returning(lambda env: blocks)(environ(), start_response))
    checked = validator(app_returning(lambda env: blocks), collect=True, on_exchange=seen.append)
    full = environ()
    setup_testing_defaults(full)
    assert _gevent_like(checked(full, start_response)) == plain == (260, b"a" * 130 + b"b" * 130)
    (exchange,) = seen
    assert [block_size(each) for each in exchange.yields] == [130, 130]
    assert exchange.exhausted
    assert checked.findings == []


def test_an_iterator_the_app_returned_is_one_pass_as_it_was() -> None:
    """A generator, or an iterable that is its own iterator, gives a second pass nothing,
    with the validator or without."""
    checked = validator(app_returning(lambda env: iter([b"a", b"b"])), collect=True)
    result = checked(environ(), start_response)
    assert list(result) == [b"a", b"b"]
    assert list(result) == []
    result.close()


def test_the_first_pass_to_take_a_block_is_the_recorded_one() -> None:
    """A server that calls iter() once to look, then iterates afresh, sends the whole body,
    and that pass is the one judged (a str block in it is found)."""
    seen: list[Exchange] = []
    checked = validator(
        app_returning(lambda env: [b"a", "b"]), collect=True, on_exchange=seen.append
    )
    full = environ()
    setup_testing_defaults(full)
    result = checked(full, start_response)
    iter(result)  # looked at, never read
    assert list(result) == [b"a", "b"]
    result.close()
    (exchange,) = seen
    assert [each.value for each in exchange.yields] == [b"a", "b"]
    assert exchange.exhausted
    assert {finding.rule for finding in checked.findings} == {"APP-YIELD-BYTES"}


class Blocks(list):  # type: ignore[type-arg]
    """A list of the app's own."""

    def close(self) -> None:
        pass


class SizedBlocks:
    """An iterable of the app's own with len() and close(), not its own iterator."""

    def __iter__(self) -> Any:
        yield b"a" * 130
        yield b"b" * 130

    def __len__(self) -> int:
        return 2

    def close(self) -> None:
        pass


@pytest.mark.parametrize("make", [lambda: Blocks([b"a" * 130, b"b" * 130]), SizedBlocks])
def test_a_sized_iterable_of_the_apps_own_is_iterated_again_as_without_the_validator(
    make: Callable[[], Any],
) -> None:
    """gevent counts a sized result with a second pass while the first sends (the review
    of 2026-12-03 saw 'clos' and 'ls1' sent under the validator): each iter() is a pass of
    its own, as on the app's own result, and only the first is recorded."""
    seen: list[Exchange] = []
    plain = _gevent_like(app_returning(lambda env: make())(environ(), start_response))
    checked = validator(app_returning(lambda env: make()), collect=True, on_exchange=seen.append)
    full = environ()
    setup_testing_defaults(full)
    assert _gevent_like(checked(full, start_response)) == plain == (260, b"a" * 130 + b"b" * 130)
    (exchange,) = seen
    assert [block_size(each) for each in exchange.yields] == [130, 130]
    assert checked.findings == []


@pytest.mark.parametrize(
    ("status", "field"),
    [("200 OK", (b"Content-Type", "text/plain")), ("405 Method Not Allowed", (b"Allow", "GET"))],
)
def test_a_header_item_that_is_no_pair_of_strings_is_one_finding(
    status: str, field: tuple[bytes, str]
) -> None:
    """Audit of 2026-12-05: a bytes name raised APP-HEADER-STR, and APP-CONTENT-TYPE warned
    besides that the 200 had no Content-Type, which it had named. A field the app gave in a
    form no rule reads is no missing field; ``check`` (whose server refuses the call) said
    the one finding already."""

    def app(env: dict[str, Any], respond: Callable[..., Any]) -> list[bytes]:
        respond(status, [field])
        return [b"x"]

    env = environ()
    setup_testing_defaults(env)
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        with pytest.raises(WSGIViolation, match=r"^APP-HEADER-STR: "):
            validator(app)(env, start_response)
    assert [str(each.message) for each in warned] == []


def served_environ() -> dict[str, Any]:
    env: dict[str, Any] = {}
    setup_testing_defaults(env)
    return env


class Recorded:
    """An iterable that notes whether it was closed."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks
        self.closed = False

    def __iter__(self) -> Any:
        return iter(self.blocks)

    def close(self) -> None:
        self.closed = True


def test_a_violation_the_app_caught_is_raised_as_it_returns() -> None:
    """Validator audit of 2026-12-05 (Bottle's suite): the app called start_response with
    an interim status, caught the violation it raised, and answered its own 500; the test
    saw only that 500, and the finding was kept in ``findings`` alone. It is raised again
    as the app returns, the app's iterable closed (no server gets it)."""
    answered: list[Recorded] = []

    def catch_all(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            start_response("100 Continue", [("Content-Type", "text/plain")])
            return [b""]
        except Exception:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
            answered.append(Recorded([b"Critical error while processing request"]))
            return answered[0]

    with pytest.raises(WSGIViolation) as raised:
        validator(catch_all)(served_environ(), start_response)
    assert str(raised.value).startswith("APP-STATUS-FINAL: status 100 is interim (1xx)")
    assert answered[0].closed
    # Collecting, nothing is raised into the app, nor out of it.
    collecting = validator(catch_all, collect=True)
    result = collecting(served_environ(), start_response)
    assert list(result) == [b""]
    assert [each.rule for each in collecting.findings] == ["APP-STATUS-FINAL"]


def test_a_violation_a_generator_caught_is_raised_in_place_of_its_end() -> None:
    def generator(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            start_response("200 OK", [("Content-Type", "text/plain"), ("Bad Name", "x")])
        except AssertionError:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
        yield b"the app's own error page"

    result = validator(generator)(served_environ(), start_response)
    iterator = iter(result)
    assert next(iterator) == b"the app's own error page"
    with pytest.raises(WSGIViolation) as raised:
        next(iterator)
    assert str(raised.value).startswith("APP-HEADER-NAME-TOKEN:")
    result.close()


def test_a_violation_the_app_let_through_is_raised_once() -> None:
    def letting_through(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("100 Continue", [("Content-Type", "text/plain")])
        return [b""]

    with pytest.raises(WSGIViolation) as raised:
        validator(letting_through)(served_environ(), start_response)
    assert str(raised.value).startswith("APP-STATUS-FINAL:")


def test_a_run_says_when_a_validator_inside_the_app_raised() -> None:
    """A real-app trial of 2026-12-06: check on an app wrapped in validator() passed, though
    the validator raised a MUST violation on every answer: each became a 500 that no rule
    judges (the validator's verdict, not the app's error). The run says so."""
    from wsgicheck.explore.runner import RunOptions, run

    def bad(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200OK", [("Content-Type", "text/plain")])
        return [b"x"]

    options = RunOptions(profile="quick", max_examples=10, seed=1, database=None)
    result = run(validator(bad), options, target="app")
    [note] = [each for each in result.notes if "wsgicheck.validator inside TARGET" in each]
    assert note.startswith(
        "a wsgicheck.validator inside TARGET raised a violation (or a warning the filters made "
        "an error) in at least "
    )
    assert " answer(s), the first: APP-STATUS-FORMAT: status must be " in note
    assert note.endswith(
        "each cut its answer short (a 500, or a response ended early once its head had gone "
        "out), and no rule of this run judges what it found: check the app it wraps, or make "
        "it validator(app, collect=True), to judge those rules here"
    )
    # Judged bare, the app fails the rule.
    assert "APP-STATUS-FORMAT" in run(bad, options, target="app").failures


def test_a_validators_warning_made_an_error_inside_the_app_is_no_error_of_the_apps() -> None:
    """A review of 2026-12-06: under warnings-as-errors, check on an app wrapped in
    validator() took the WSGIWarning it raised for a SHOULD for the app's own crash
    (APP-TRAP-OWN-ERRORS), where a WSGIViolation is the validator's verdict, said in a note."""
    from wsgicheck.explore.runner import RunOptions, run

    def writes(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200 OK", [("Content-Type", "text/plain")])(b"x")  # APP-AVOID-WRITE
        return []

    options = RunOptions(profile="quick", max_examples=10, seed=1, database=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        result = run(validator(writes), options, target="app")
    assert "APP-TRAP-OWN-ERRORS" not in result.failures
    [note] = [each for each in result.notes if "wsgicheck.validator inside TARGET" in each]
    assert " answer(s), the first: APP-AVOID-WRITE: " in note


def test_the_suite_says_it_once_for_all_its_shares() -> None:
    """Under pytest-xdist the run is done in shares; the note is made again from all their
    answers, as the one on the app's own 5xx is, not kept once per share (review)."""
    from wsgicheck.explore.runner import RunOptions, run
    from wsgicheck.suite_verdicts import Verdicts

    def bad(env: dict[str, Any], respond: Callable[..., Any]) -> Any:
        respond("200OK", [("Content-Type", "text/plain")])
        return [b"x"]

    app = validator(bad)
    parts = [
        Verdicts.of(run(app, RunOptions(max_examples=n, seed=n, database=None), target="app"))
        for n in (10, 15)
    ]
    merged = Verdicts.merge(parts, 1, "app")
    inner = [note for note in merged.all_notes if "validator inside TARGET" in note]
    assert len(inner) == 1
    count = sum(part.answers.inner_violations for part in parts if part.answers is not None)
    assert f" in at least {count} answer(s)," in inner[0]


def test_a_warning_is_placed_at_the_apps_line_never_in_wsgicheck() -> None:
    """A WSGIWarning read ``wsgicheck/drivers/validation_guards.py:100`` (a fixed
    ``stacklevel``): a line of wsgicheck's own, where a user looks for theirs (a trial of
    2026-12-06). It is placed at the line the finding names (here Werkzeug's, which ended
    the exchange), else outside wsgicheck."""
    from werkzeug.test import Client as WerkzeugClient

    def untyped(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])  # no Content-Type
        return [b"ok"]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        response = WerkzeugClient(validator(untyped)).get("/")
        response.close()
    assert [str(each.message).split(":")[0] for each in caught] == ["APP-CONTENT-TYPE"]
    own = str(Path(validation.__file__).resolve().parent.parent)
    assert not caught[0].filename.startswith(own)
    assert "werkzeug" in Path(caught[0].filename).parts  # (which of its files: its own way)


def test_a_warning_without_a_line_of_its_own_is_placed_at_the_caller() -> None:
    """A finding that names no line (the 200 that lacks a Content-Type, met by wsgicheck's
    own Client) is placed at the first frame outside wsgicheck: the test's call, not the
    frame above it (a review of 2026-12-06: one frame too far up)."""
    import inspect

    from wsgicheck import Client

    def untyped(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "2")])  # no Content-Type
        return [b"ok"]

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
        Client(validator(untyped)).get("/")
    placed = [(each.filename, each.lineno) for each in caught if each.category is WSGIWarning]
    assert placed == [(__file__, line)]


def _static_file(ignores_bad_dates: bool) -> Callable[..., Any]:
    """A static file served through the server's wsgi.file_wrapper, with a Last-Modified;
    an If-Modified-Since that is no date gets 400 unless ``ignores_bad_dates``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if since == "yesterday" and not ignores_bad_dates:
            start_response("400 Bad Request", [("Content-Type", "text/plain")])
            return [b"bad date"]
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/plain"),
                ("Content-Length", "5"),
                ("Last-Modified", "Sun, 06 Dec 2026 10:00:00 GMT"),
            ],
        )
        return environ["wsgi.file_wrapper"](io.BytesIO(b"hello"))

    return app


@pytest.mark.parametrize("ignores_bad_dates", [False, True])
def test_a_file_wrapper_answer_counts_as_whole_for_rules_of_status_and_fields(
    ignores_bad_dates: bool,
) -> None:
    """An app trial of 2026-12-06: under validator, Falcon's static route (the server's file
    wrapper, handed back unread) was never an answer in full, so the rules that need two
    steady 200s before judging a condition found nothing (APP-INVALID-DATE-IGNORED)."""
    from wsgicheck import Client, Request

    checked = validator(_static_file(ignores_bad_dates), collect=True)
    client = Client(checked)
    plain = Request(target="/static/hello.txt", headers=(("Host", "localhost"),))
    for request in (plain, plain, plain.replace(headers=(*plain.headers, IMS_YESTERDAY))):
        client.send(request)
    found = {each.rule for each in checked.findings}
    assert found == (set() if ignores_bad_dates else {"APP-INVALID-DATE-IGNORED"})


IMS_YESTERDAY = ("If-Modified-Since", "yesterday")


def test_the_server_may_close_its_own_input_stream_once_the_app_returned() -> None:
    """Probe trials of 2026-12-06: netius 1.64 closes environ["wsgi.input"] after each
    response, and when a client goes mid-body; the validator's guard refused it (as
    wsgiref.validate's does), and the AttributeError ended netius's process. Once the app
    has returned, a reach for the stream's other attributes while none of the app's code
    runs is the server's own, passed on; the app's (in its call, or a step of its
    iterable) is still refused and judged."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    checked = validator(app, collect=True)
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    stream = io.BytesIO(b"")
    environ["wsgi.input"] = stream
    result = checked(environ, _start_response)
    guard = environ["wsgi.input"]
    assert guard is not stream
    guard.close()  # the server's, before the body (netius, on a client gone): passed on
    assert stream.closed
    assert list(result) == [b"ok"]
    result.close()
    assert checked.findings == []

    def reading_late(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"ok"
        environ["wsgi.input"].close()  # the app's own, in a step of its iterable

    checked = validator(reading_late, collect=True)
    environ = {}
    setup_testing_defaults(environ)
    result = checked(environ, _start_response)
    with pytest.raises(AttributeError):
        list(result)
    result.close()
    assert [each.rule for each in checked.findings] == ["APP-STREAMS-NO-CLOSE"]

    def closing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].close()  # the app's: refused, as wsgiref.validate refuses it
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    checked = validator(closing, collect=True)
    environ = {}
    setup_testing_defaults(environ)
    with pytest.raises(AttributeError):
        checked(environ, _start_response)
    assert [each.rule for each in checked.findings] == ["APP-STREAMS-NO-CLOSE"]


def _start_response(*args: Any) -> Callable[[bytes], None]:
    """A server's start_response, which returns its write()."""
    return lambda data: None


def test_the_end_found_after_bytes_were_read_without_a_length_is_no_read_past() -> None:
    """The review of 2026-12-06: with no CONTENT_LENGTH, a read that found the end was
    taken for a read past none left even after the body's bytes had been read (a server
    that decodes a chunked body and leaves wsgi.input_terminated out)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        stream = environ["wsgi.input"]
        while stream.read(4096):
            pass
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    checked = validator(app, collect=True)
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"hello world")
    environ.pop("CONTENT_LENGTH", None)
    result = checked(environ, _start_response)
    assert list(result) == [b"ok"]
    result.close()
    assert checked.findings == []


class _ListReadInput:
    """A broken server's wsgi.input: read() gives a list (its lines are bytes)."""

    def __init__(self) -> None:
        self.data = io.BytesIO(b"one\ntwo\n")

    def read(self, size: int = -1) -> list[bytes]:
        return [self.data.read(size)]

    def readline(self, size: int = -1) -> bytes:
        return self.data.readline(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return self.data.readlines(hint)

    def __iter__(self) -> Any:
        return iter(self.data.readline, b"")


def test_a_read_that_gives_a_list_is_no_line_read() -> None:
    """The review of 2026-12-06: a read() that gave [b"one\\ntwo\\n"] was called a line read
    holding two lines (SRV-INPUT-LINES, and the first raise hid the real fault). Only
    readline, readlines and iteration give lines."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(REQUEST_METHOD="POST", CONTENT_LENGTH="8")
    environ["wsgi.input"] = _ListReadInput()
    body = validator(app)(environ, lambda status, headers, exc_info=None: lambda data: None)
    assert list(body) == [b"ok"]
    body.close()
