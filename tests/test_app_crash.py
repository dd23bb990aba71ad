"""An exception escaping the app is a finding (APP-TRAP-OWN-ERRORS), whatever it is.

From the callable, the iterable's ``__iter__``/``__next__``, ``close()`` or a look-up on the
iterable; ``SystemExit``, ``KeyboardInterrupt`` and other ``BaseException`` subclasses too.
The finding names the type and the innermost app frame; the run keeps the smallest request.
Hostile objects (an exception whose ``__str__`` raises or hangs, an iterable whose
``__getattr__`` raises) are recorded and never crash the core, ``Client`` or the validator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import wsgicheck
from test_cli import cli
from wsgicheck import Client
from wsgicheck.explore.runner import RunOptions, run
from wsgicheck.model.response import Response
from wsgicheck.rules import Exchange, check_exchange

RULE = "APP-TRAP-OWN-ERRORS"
HERE = Path(__file__).read_text().splitlines()


def line_of(marker: str) -> int:
    """The line of this file that ends with ``# <marker>``."""
    return next(i for i, text in enumerate(HERE, 1) if text.rstrip().endswith(f"# {marker}"))


class Boom(BaseException):
    """A BaseException of the app's own, neither Exception nor SystemExit."""


KINDS: list[type[BaseException]] = [
    ValueError,
    SystemExit,
    KeyboardInterrupt,
    GeneratorExit,
    MemoryError,
    Boom,
]


def raising_call(kind: type[BaseException]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise kind("from the call")  # call

    return app


class _Iterable:
    def __init__(self, kind: type[BaseException], where: str) -> None:
        self.kind = kind
        self.where = where

    def __iter__(self) -> Iterator[bytes]:
        if self.where == "__iter__":
            raise self.kind("from __iter__")  # __iter__
        return self

    def __next__(self) -> bytes:
        raise self.kind("from __next__")  # __next__

    def close(self) -> None:
        if self.where == "close":
            raise self.kind("from close")  # close


def raising_iterable(kind: type[BaseException], where: str) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        if where == "close":
            return _Closing(kind)
        return _Iterable(kind, where)

    return app


class _Closing(_Iterable):
    def __init__(self, kind: type[BaseException]) -> None:
        super().__init__(kind, "close")

    def __iter__(self) -> Iterator[bytes]:
        return iter([b"ok"])


def in_a_thread(call: Callable[[], Response]) -> Response:
    """Run ``call`` off the main thread: there, a KeyboardInterrupt is the app's, not Ctrl-C."""
    done: list[Response] = []
    worker = threading.Thread(target=lambda: done.append(call()))
    worker.start()
    worker.join(30)
    assert done, "the core let the app's exception escape"
    return done[0]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
@pytest.mark.parametrize("where", ["call", "__iter__", "__next__", "close"])
def test_an_escaping_exception_is_one_finding_at_the_apps_frame(
    kind: type[BaseException], where: str
) -> None:
    app = raising_call(kind) if where == "call" else raising_iterable(kind, where)
    response = in_a_thread(lambda: Client(app).get("/"))
    findings = check_exchange(Exchange(response))
    assert [finding.rule for finding in findings] == [RULE]
    (finding,) = findings
    assert finding.message.startswith(kind.__name__ + " escaped")
    assert finding.where is not None
    assert (Path(finding.where.file).name, finding.where.line) == (
        Path(__file__).name,
        line_of(where),
    )


@pytest.mark.parametrize("kind", [SystemExit, KeyboardInterrupt, Boom], ids=lambda k: k.__name__)
def test_a_run_reports_base_exceptions_and_only_them(kind: type[BaseException]) -> None:
    result = run(raising_call(kind), RunOptions(database=None, seed=5, max_examples=10))
    assert set(result.failures) == {RULE, "HARNESS-ALL-ERRORS"}
    assert result.errors == []
    # APP-TRAP-OWN-ERRORS is a SHOULD, but a run in which every request raised saw nothing
    # else: it fails, and says what the app raised.
    assert result.failed()
    message = result.failures["HARNESS-ALL-ERRORS"].finding.message
    assert f"the app raised (10 times), first: {kind.__name__} escaped" in message


def test_the_run_keeps_the_smallest_request_that_crashes_the_app() -> None:
    def post_crashes(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            raise KeyError("the form")
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    options = RunOptions(database=None, seed=5, max_examples=60, strict=True)
    result = run(post_crashes, options)
    assert set(result.failures) == {RULE}
    failure = result.failures[RULE]
    assert failure.request.method == "POST"
    assert failure.finding.message.startswith("KeyError escaped the application callable")
    replayed = Client(post_crashes, config=failure.config).send(failure.request)
    assert {finding.rule for finding in check_exchange(Exchange(replayed))} == {RULE}


#: An app that raises SystemExit on every request but GET, which it answers.
EXITS = """def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "GET":
        raise SystemExit
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_check_warns_of_an_app_that_raises_system_exit_and_fails_it_when_strict(
    tmp_path: Path,
) -> None:
    (tmp_path / "exits.py").write_text(EXITS)
    plain = cli(tmp_path, "check", "exits.py:app", "--no-database", "--examples", "10")
    strict = cli(tmp_path, "check", "exits.py:app", "--no-database", "--examples", "10", "--strict")
    assert (plain.returncode, strict.returncode) == (0, 1)
    for done in (plain, strict):
        assert f"{RULE} (SHOULD)" in done.stdout
        assert "SystemExit escaped the application callable" in done.stdout
        assert "at exits.py:3 in app()" in done.stdout
        assert "HARNESS-ALL-ERRORS" not in done.stdout


def test_check_fails_an_app_that_raises_on_every_request(tmp_path: Path) -> None:
    """APP-TRAP-OWN-ERRORS is a SHOULD; a run in which every request raised still fails,
    and names what the app raised and where."""
    (tmp_path / "always.py").write_text(ALWAYS)
    done = cli(tmp_path, "check", "always.py:app", "--no-database", "--examples", "10")
    assert done.returncode == 1
    assert "✗ HARNESS-ALL-ERRORS (MUST)" in done.stdout
    assert "none of the 10 requests the app answered got a successful answer" in done.stdout
    assert "(500 ×10)" in done.stdout
    assert (
        "the app raised (10 times), first: ZeroDivisionError escaped the application"
        in " ".join(done.stdout.split())
    )


#: An app that raises on every request.
ALWAYS = "def app(environ, start_response):\n    return [str(1 // 0).encode()]\n"


# -- hostile objects --------------------------------------------------------------------------


class StrRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message for you")


class GetattrRaises:
    """An iterable whose look-up of any other attribute (close, for one) raises."""

    def __iter__(self) -> Iterator[bytes]:
        return iter([b"ok"])

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"no {name} here")  # getattr


def str_raises(environ: dict[str, Any], start_response: Any) -> Any:
    raise StrRaises


def getattr_raises(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return GetattrRaises()


def test_an_exception_whose_str_raises_is_recorded() -> None:
    response = Client(str_raises).get("/")
    assert response.status_code == 500
    (finding,) = check_exchange(Exchange(response))
    assert finding.rule == RULE
    assert finding.message.startswith("StrRaises escaped the application callable")


def test_an_iterable_whose_getattr_raises_is_recorded_and_still_served() -> None:
    response = Client(getattr_raises).get("/")
    assert (response.status_code, response.body, response.complete) == (200, b"ok", True)
    (finding,) = check_exchange(Exchange(response))
    assert finding.rule == RULE
    assert finding.where is not None
    assert finding.where.line == line_of("getattr")


@pytest.mark.parametrize("app", [str_raises, getattr_raises], ids=lambda app: app.__name__)
def test_the_validator_records_hostile_objects_without_crashing(app: Any) -> None:
    checked = wsgicheck.validator(app, collect=True)
    response = Client(checked).get("/")
    assert response.status_code in (200, 500)
    assert RULE in {finding.rule for finding in checked.findings}


def test_an_exception_whose_str_hangs_costs_the_exchange_not_the_run() -> None:
    release = threading.Event()

    class StrHangs(Exception):
        def __str__(self) -> str:
            release.wait(30)
            return "late"

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise StrHangs

    options = RunOptions(database=None, seed=5, max_examples=5, timeout=0.3)
    try:
        result = run(app, options)
    finally:
        release.set()
    assert set(result.failures) == {"HARNESS-EXCHANGE-TIMEOUT"}
    assert result.errors == []


@pytest.mark.parametrize(
    ("where", "status"), [("__iter__", 500), ("__next__", 500), ("close", 200)]
)
def test_the_validator_reports_what_escapes_the_iterable_as_the_core_does(
    where: str, status: int
) -> None:
    app = raising_iterable(ValueError, where)
    checked = wsgicheck.validator(app, collect=True)
    assert Client(checked).get("/").status_code == status  # the core's answer for it
    assert [finding.rule for finding in checked.findings] == [RULE]
    assert checked.findings[0].where is not None
    assert checked.findings[0].where.line == line_of(where)


def test_a_validator_verdict_escaping_the_app_is_not_the_apps_error() -> None:
    def two_spaces(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200  OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    client = Client(wsgicheck.validator(two_spaces))
    with pytest.raises(wsgicheck.WSGIViolation) as raised:  # Client.send gives it to the test
        client.get("/")
    assert raised.value.rule == "APP-STATUS-FORMAT"
    pending = client.start(client.build_request("GET", "/"))
    response = pending.run()  # what the core made of it: a 500, like any error
    assert response.status_code == 500
    assert isinstance(pending.finding, wsgicheck.WSGIViolation)
    # The violation is the validator's verdict on APP-STATUS-FORMAT, raised through the
    # app: nothing the core could see of it is the app's own error (APP-TRAP-OWN-ERRORS).
    assert {finding.rule for finding in check_exchange(Exchange(response))} == set()


def test_an_exception_whose_str_hangs_never_hangs_client_or_validator() -> None:
    release = threading.Event()

    class StrHangs(Exception):
        def __str__(self) -> str:
            release.wait(60)
            return "late"

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        raise StrHangs  # call

    try:
        plain = in_a_thread(lambda: Client(app).get("/"))
        checked = wsgicheck.validator(app, collect=True)
        wrapped = in_a_thread(lambda: Client(checked).get("/"))
    finally:
        release.set()
    assert plain.status_code == wrapped.status_code == 500
    (finding,) = check_exchange(Exchange(plain))
    assert finding.rule == RULE
    line = app.__code__.co_firstlineno + 1
    assert finding.message == (
        f"{StrHangs.__qualname__} escaped the application callable at test_app_crash.py:{line}: "
        "<str() of it did not return within 2 s>"
    )
    assert [each.rule for each in checked.findings] == [RULE]


# -- an error after a short read of wsgi.input ---------------------------------------------------


def reading_once(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Takes a short read for a client gone, as WebOb's DisconnectionError does."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    data = environ["wsgi.input"].read(length)
    if len(data) < length:
        raise ValueError("the client disconnected")  # short-read
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [data]


def reading_all(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Reads to the end, then fails of its own."""
    stream, left, parts = environ["wsgi.input"], int(environ.get("CONTENT_LENGTH") or 0), []
    for _ in range(1000):
        if left <= 0 or not (part := stream.read(left)):
            break
        parts.append(part)
        left -= len(part)
    raise KeyError("after the body")  # read-all


def own_error(app: Any, max_read: int | None) -> list[str]:
    config = wsgicheck.ServerConfig(max_read=max_read)
    response = Client(app, config=config).post("/", body=b"sixteen bytes!!!")
    return [f.message for f in check_exchange(Exchange(response)) if f.rule == RULE]


def test_an_error_after_a_short_read_says_the_client_sent_the_whole_body() -> None:
    """From the app sweep of 2026-12-03: WebOb (Pecan, TurboGears) raises
    DisconnectionError when read(n) returns less than n, and the finding repeated 'The
    client disconnected' of a client that had sent everything."""
    assert own_error(reading_once, None) == []
    assert own_error(reading_once, 7) == [
        "ValueError escaped the application callable at "
        f"{Path(__file__).name}:{line_of('short-read')}: the client "
        "disconnected; before it, wsgi.input.read(16) returned 7 of the 16 bytes left, a "
        "short read PEP 3333 allows (the input stream's methods have the semantics the Python "
        "Library Reference documents, where read(size) returns at most size bytes; a server "
        "that fills every read hides it); the rest was never read, and the client sent the "
        "whole body"
    ]
    # A short read the app went past says nothing of its error.
    [message] = own_error(reading_all, 7)
    assert message.endswith(f":{line_of('read-all')}: 'after the body'")


def test_an_error_raised_in_a_library_keeps_its_line_in_the_message(tmp_path: Path) -> None:
    """From the app sweep of 2026-12-03: a2wsgi raised UnicodeEncodeError in its own
    build_scope(), with no frame of the user's; the report placed the finding at the app's
    definition and the library's line was nowhere. The message now keeps it."""
    import sys

    folder = tmp_path / "site-packages"
    folder.mkdir()
    (folder / "strictlib.py").write_text(
        "def wrap(app):\n"
        "    def strict(environ, start_response):\n"
        "        environ['QUERY_STRING'].encode('ascii')\n"
        "        return app(environ, start_response)\n"
        "    return strict\n"
    )
    sys.path.insert(0, str(folder))
    try:
        import strictlib  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(folder))

    def inner(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok\n"]

    request = wsgicheck.Request(target="/?q=\xa9", headers=(("Host", "localhost"),))
    response = Client(strictlib.wrap(inner)).send(request)  # a raw latin-1 byte
    [message] = [f.message for f in check_exchange(Exchange(response)) if f.rule == RULE]
    place = wsgicheck.model.locations.portable_path(str(folder / "strictlib.py"))
    assert message.startswith(
        f"UnicodeEncodeError escaped the application callable from {place}:3 in strict(): "
    )


def test_a_client_gone_mid_body_is_not_said_to_have_sent_it_all() -> None:
    """From the review of 2026-12-03: under the validator a client that really went away
    after 7 of 16 bytes was told 'the client sent the whole body'."""
    import io
    import warnings
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD="POST", CONTENT_LENGTH="16", **{"wsgi.input": io.BytesIO(b"seven b")}
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="the client disconnected"):
            wsgicheck.validator(reading_once)(environ, lambda *args: None)
    [message] = [str(w.message) for w in caught if "APP-TRAP-OWN-ERRORS" in str(w.message)]
    assert "a short read PEP 3333 allows" in message
    assert "the client sent the whole body" not in message


def wanting_a_length(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Reads a block, then compares the length it was given with a number (Spyne 2.14's
    stream_factory), which fails where CONTENT_LENGTH is absent."""
    environ["wsgi.input"].read(65536)
    length = environ.get("CONTENT_LENGTH")
    if length is None:
        raise TypeError("'>=' not supported between instances of 'NoneType' and 'int'")  # none
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def test_a_short_read_of_a_body_with_no_length_is_not_blamed() -> None:
    """A trial of 2026-12-07 (Spyne): on a chunked body, with no CONTENT_LENGTH, the app's
    exception came with "a short read PEP 3333 allows" beside it, though it was about the
    length missing. A body with no length to fall short of gets no such remark."""
    config = wsgicheck.ServerConfig(max_read=6)
    response = Client(wanting_a_length, config=config).post("/", body=b"x" * 40, chunked=True)
    assert response.environ is not None
    assert "CONTENT_LENGTH" not in response.environ
    [message] = [f.message for f in check_exchange(Exchange(response)) if f.rule == RULE]
    assert message == (
        f"TypeError escaped the application callable at {Path(__file__).name}:"
        f"{line_of('none')}: '>=' not supported between instances of "
        "'NoneType' and 'int'"
    )


def colourful(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise ValueError("bad \x1b[31mred\x07 bell\n" + "x" * 300)  # colourful


def test_the_apps_exception_text_is_escaped_in_the_message_a_reproducer_prints() -> None:
    """Audit of 2026-12-05: the Python reproducer prints finding.message as it is, and
    APP-TRAP-OWN-ERRORS put the exception's text in raw (the reports escape at output; a
    user's print() does not). The message holds it escaped and bounded now."""
    [message] = own_error(colourful, None)
    assert message.startswith(
        f"ValueError escaped the application callable at {Path(__file__).name}:"
        f"{line_of('colourful')}: bad \\x1b[31mred\\x07 bell\\n"
    )
    assert not any(ord(char) < 0x20 for char in message)
    assert message.endswith("more characters cut]")
