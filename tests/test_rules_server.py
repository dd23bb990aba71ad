"""The server rules: each passes, fails and stays out of it where it should.

Three kinds of evidence feed them, and each is used here: wsgicheck's own transports (the
memory :class:`~wsgicheck.Client` and the live socket server), :func:`wsgicheck.validator`
inside a broken server (a middleware playing server), and records of what a broken server
put on the wire (a real exchange, doctored). Tests assert on rule ids and verdicts, never on
wording.
"""

from __future__ import annotations

import contextlib
import gc
import http.client
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import wsgicheck.drivers.validation as validation
import wsgicheck.drivers.validation_call as validation_call
from serverutil import Reader, Recorder, connect
from wsgicheck import Client, Request, Response
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import live_server
from wsgicheck.model.events import (
    Event,
    HeadersSent,
    InputRead,
    ServerObserved,
    StartResponseCalled,
)
from wsgicheck.model.extra import Extra
from wsgicheck.rules import REGISTRY, Binding, Exchange, Finding, check_exchange, evaluate

App = Callable[[dict[str, Any], Any], Any]
Server = Callable[[App], App]
TEXT = [("Content-Type", "text/plain")]


# -- helpers ------------------------------------------------------------------------------------


def verdict(rule_id: str, exchanges: list[Exchange]) -> str:
    """``"pass"``, ``"fail"`` or ``"skip"``: the rule's verdict over ``exchanges``."""
    return evaluate(exchanges, [REGISTRY[rule_id]])[0].status


def memory(app: App, method: str = "GET", target: str = "/", **options: Any) -> Exchange:
    return Exchange(Client(app).request(method, target, **options))


def doctored(real: Response, events: list[Event] | None = None, **changes: Any) -> Exchange:
    """``real`` as a broken server would have recorded it (source "socket")."""
    return Exchange(real.replace(events, **changes), source="socket")


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> list[Exchange]:
    """The exchanges the validator judges with every rule (at close, GC, or app failure)."""
    exchanges: list[Exchange] = []
    original = check_exchange

    def recording(exchange: Exchange, rules: Any = None) -> list[Finding]:
        if rules is None or len(rules) > len(validation.CALL_RULES):
            exchanges.append(exchange)
        return original(exchange, rules)

    monkeypatch.setattr(validation_call, "check_exchange", recording)
    return exchanges


def under(server: Server, inner: App, *requests: dict[str, Any]) -> list[Finding]:
    """Run ``inner`` in a validator under the broken ``server``; every finding."""
    checked = validation.validator(inner, collect=True)
    client = Client(server(checked))
    for request in requests or ({"method": "GET", "target": "/"},):
        client.request(**request)
    gc.collect()
    return list(checked.findings)


def passthrough(app: App) -> App:
    """A server that adds nothing: wsgicheck's own core does the work."""
    return app


def fired(findings: list[Finding]) -> set[str]:
    return {finding.rule for finding in findings}


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [*TEXT, ("Content-Length", "13")])
    return [b"Hello world!\n"]


def generator_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    yield b"Hello "
    yield b"world!\n"


def late_exc_info_app(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    yield b"first part\n"
    try:
        raise ValueError("the second part failed")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
        raise


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read()
    start_response("200 OK", TEXT)
    return [b"got:" + body]


POST: dict[str, Any] = {"method": "POST", "target": "/", "body": b"name=wsgicheck"}


# -- invoking the app, start_response -----------------------------------------------------------


def test_invoke_positional(judged: list[Exchange]) -> None:
    under(passthrough, hello)
    assert verdict("SRV-INVOKE-POSITIONAL", judged) == "pass"

    def keywords(app: App) -> App:
        return lambda environ, start_response: app(
            environ=environ,  # type: ignore[call-arg]
            start_response=start_response,
        )

    assert "SRV-INVOKE-POSITIONAL" in fired(under(keywords, hello))
    assert verdict("SRV-INVOKE-POSITIONAL", [memory(hello)]) == "skip"


def test_the_validator_still_refuses_what_no_app_could_take() -> None:
    checked = validation.validator(hello, collect=True)
    with pytest.raises(TypeError):
        checked({}, lambda *args: None, "third")
    with pytest.raises(TypeError):
        checked(environ={}, respond=None)
    with pytest.raises(TypeError):
        checked({}, lambda *args: None, environ={})


def three_positional(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", TEXT, None)
    return [b"Hello\n"]


def test_sr_signature(judged: list[Exchange]) -> None:
    under(passthrough, three_positional)
    assert verdict("SRV-SR-SIGNATURE", judged) == "pass"

    def two_only(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            return app(environ, lambda status, headers: start_response(status, headers))

        return broken

    assert "SRV-SR-SIGNATURE" in fired(under(two_only, three_positional))
    assert verdict("SRV-SR-SIGNATURE", [memory(three_positional)]) == "pass"


def test_sr_signature_is_only_about_type_errors_on_valid_calls() -> None:
    def picky(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            def start(status: str, headers: Any, exc_info: Any = None) -> Any:
                raise ValueError("no")

            return app(environ, start)

        return broken

    assert "SRV-SR-SIGNATURE" not in fired(under(picky, hello))


def test_sr_returns_write(judged: list[Exchange]) -> None:
    under(passthrough, hello)
    assert verdict("SRV-SR-RETURNS-WRITE", judged) == "pass"

    def returns_none(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            def start(status: str, headers: Any, exc_info: Any = None) -> None:
                start_response(status, headers, exc_info)

            return app(environ, start)

        return broken

    assert "SRV-SR-RETURNS-WRITE" in fired(under(returns_none, hello))


# -- the iterable and close() -------------------------------------------------------------------


def test_close_called_once_passes(judged: list[Exchange]) -> None:
    under(passthrough, generator_app)
    assert verdict("SRV-CLOSE-CALLED", judged) == "pass"
    assert verdict("SRV-CLOSE-CALLED", [memory(generator_app)]) == "pass"


def test_close_never_called_or_twice_fails() -> None:
    def never(app: App) -> App:
        return lambda environ, start_response: list(app(environ, start_response))

    def twice(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            result = app(environ, start_response)
            body = list(result)
            result.close()
            result.close()
            return body

        return broken

    assert "SRV-CLOSE-CALLED" in fired(under(never, generator_app))
    assert "SRV-CLOSE-CALLED" in fired(under(twice, generator_app))


def test_close_called_does_not_apply_without_close() -> None:
    assert verdict("SRV-CLOSE-CALLED", [memory(hello)]) == "skip"


def test_close_called_on_the_error_path_in_memory() -> None:
    def fails(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b"part"
        raise RuntimeError("mid-body")

    assert verdict("SRV-CLOSE-CALLED", [memory(fails)]) == "pass"


def impatient(app: App) -> App:
    """A server that gives up when start_response was not called by the time app returned."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        started: list[str] = []

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            started.append(status)
            return start_response(status, headers, exc_info)

        result = app(environ, start)
        if not started:
            result.close()
            start_response("500 Internal Server Error", TEXT)
            return [b"no response"]
        return result

    return broken


def test_no_assume_sr_called(judged: list[Exchange]) -> None:
    under(passthrough, generator_app)
    assert verdict("SRV-NO-ASSUME-SR-CALLED", judged) == "pass"
    assert verdict("SRV-NO-ASSUME-SR-CALLED", [memory(generator_app)]) == "pass"
    assert verdict("SRV-NO-ASSUME-SR-CALLED", [memory(hello)]) == "skip"
    assert "SRV-NO-ASSUME-SR-CALLED" in fired(under(impatient, generator_app))


def test_no_other_iter_attrs(judged: list[Exchange]) -> None:
    def sized_probe(app: App) -> App:
        def server(environ: dict[str, Any], start_response: Any) -> Any:
            result = app(environ, start_response)
            hasattr(result, "__len__")  # dunders are the iteration protocol's: allowed
            return result

        return server

    under(sized_probe, generator_app)
    assert verdict("SRV-NO-OTHER-ITER-ATTRS", judged) == "pass"

    def fileno_probe(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            result = app(environ, start_response)
            getattr(result, "fileno", None)
            return result

        return broken

    assert "SRV-NO-OTHER-ITER-ATTRS" in fired(under(fileno_probe, generator_app))
    assert verdict("SRV-NO-OTHER-ITER-ATTRS", [memory(generator_app)]) == "skip"


# -- the head -----------------------------------------------------------------------------------


def _head_first(real: Response) -> list[Event]:
    events = [event for event in real.trace if not isinstance(event, HeadersSent)]
    at = next(i for i, event in enumerate(events) if isinstance(event, StartResponseCalled))
    events.insert(at + 1, real.trace.of(HeadersSent)[0])
    return events


def test_defer_headers() -> None:
    real = Client(generator_app).get("/")
    assert verdict("SRV-DEFER-HEADERS", [Exchange(real)]) == "pass"
    assert verdict("SRV-DEFER-HEADERS", [doctored(real, _head_first(real))]) == "fail"


def test_defer_headers_allows_an_early_content_length_zero() -> None:
    def empty(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Length", "0")])
        return []

    real = Client(empty).get("/")
    assert verdict("SRV-DEFER-HEADERS", [doctored(real, _head_first(real))]) == "pass"


def test_defer_headers_needs_the_head_in_the_trace(judged: list[Exchange]) -> None:
    under(passthrough, hello)
    assert verdict("SRV-DEFER-HEADERS", judged) == "skip"


def bad_name(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    try:
        start_response("200 OK", [*TEXT, ("X Bad", "1")])
    except Exception:
        start_response("200 OK", TEXT, sys.exc_info())
    return [b"Hello\n"]


def hop(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    try:
        start_response("200 OK", [*TEXT, ("Connection", "close")])
    except Exception:
        start_response("200 OK", TEXT, sys.exc_info())
    return [b"Hello\n"]


def storing(app: App) -> App:
    """A server that checks nothing in start_response and filters the headers when sending."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        stored: list[Any] = []

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            stored[:] = [status, headers]
            return lambda data: None

        result = app(environ, start)
        body = b"".join(result)
        result.close()
        start_response(stored[0], TEXT)
        return [body]

    return broken


def test_check_headers_early() -> None:
    assert verdict("SRV-CHECK-HEADERS-EARLY", [memory(bad_name)]) == "pass"
    assert verdict("SRV-CHECK-HEADERS-EARLY", [memory(hello)]) == "skip"
    assert "SRV-CHECK-HEADERS-EARLY" in fired(under(storing, bad_name))
    assert "SRV-CHECK-HEADERS-EARLY" not in fired(under(storing, hop))


def test_reject_hop_by_hop() -> None:
    assert verdict("SRV-REJECT-HOP-BY-HOP", [memory(hop)]) == "pass"
    assert "SRV-REJECT-HOP-BY-HOP" in fired(under(storing, hop))
    assert "SRV-REJECT-HOP-BY-HOP" not in fired(under(storing, bad_name))


def replacing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", TEXT)
    try:
        raise ValueError("rendering failed")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
        return [b"Sorry.\n"]


def once_only(app: App) -> App:
    """A server whose start_response refuses a second call, exc_info or not."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        started: list[str] = []

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            if started:
                raise AssertionError("start_response called twice")
            started.append(status)
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return broken


def test_exc_info_replace() -> None:
    real = Client(replacing).get("/")
    assert real.status_code == 500
    assert verdict("SRV-EXC-INFO-REPLACE", [Exchange(real)]) == "pass"
    assert verdict("SRV-EXC-INFO-REPLACE", [memory(hello)]) == "skip"
    kept_200 = doctored(real, status_code=200, reason="OK")
    assert verdict("SRV-EXC-INFO-REPLACE", [kept_200]) == "fail"
    # The status the app replaced is this rule's, not SRV-PLAY-DUMB's.
    assert verdict("SRV-PLAY-DUMB", [kept_200]) == "pass"
    assert "SRV-EXC-INFO-REPLACE" in fired(under(once_only, replacing))


def replacing_fields(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [*TEXT, ("X-Old", "the 200's"), ("Content-Length", "2")])
    try:
        raise ValueError("rendering failed")
    except ValueError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
        return [b"Sorry.\n"]


def test_exc_info_replace_drops_the_replaced_fields() -> None:
    """Audit of 2026-12-05: gunicorn 27's start_response keeps the fields of the call
    exc_info replaces and adds the new ones (two Content-Types); only the status was
    compared. A field the server may send of its own (Content-Length, for the 500's body)
    is no sign of a kept call, unless the final call names it too."""
    real = Client(replacing_fields).get("/")
    assert verdict("SRV-EXC-INFO-REPLACE", [Exchange(real)]) == "pass"
    own = doctored(real, headers=[*real.headers, ("Content-Length", "2")])
    assert verdict("SRV-EXC-INFO-REPLACE", [own]) == "pass"
    for kept, message in (
        ([("X-Old", "the 200's")], "x-old: the 200's"),
        ([("Content-Type", "text/plain")], "content-type: text/plain"),
        (  # the field the final call lacks first: it tells more
            [("Content-Type", "text/plain"), ("X-Old", "the 200's")],
            "x-old: the 200's from an earlier call, and 1 more such field(s)",
        ),
    ):
        ex = doctored(real, headers=[*kept, *real.headers])
        # One finding for one fault: a kept field is no field the server added.
        assert verdict("SRV-PLAY-DUMB", [ex]) == "pass"
        (finding,) = [f for f in check_exchange(ex) if f.rule == "SRV-EXC-INFO-REPLACE"]
        assert finding.message.startswith(
            "the app replaced its headers (exc_info); the client still got "
        )
        assert message in finding.message, finding.message


def silent(app: App) -> App:
    """A server whose start_response ignores a late exc_info."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        write: list[Any] = []

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            if not write:
                write.append(start_response(status, headers, exc_info))
            return write[0]

        return app(environ, start)

    return broken


def own_error(app: App) -> App:
    """A server that raises its own error for a late exc_info."""

    def broken(environ: dict[str, Any], start_response: Any) -> Any:
        write: list[Any] = []

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            if write:
                raise RuntimeError("headers already sent")
            write.append(start_response(status, headers, exc_info))
            return write[0]

        return app(environ, start)

    return broken


def test_exc_info_raise_and_reraise_original(judged: list[Exchange]) -> None:
    own = memory(late_exc_info_app)
    assert verdict("SRV-EXC-INFO-RAISE", [own]) == "pass"
    assert verdict("SRV-EXC-INFO-RERAISE-ORIGINAL", [own]) == "pass"
    under(passthrough, late_exc_info_app)
    assert verdict("SRV-EXC-INFO-RAISE", judged) == "pass"
    assert verdict("SRV-EXC-INFO-RERAISE-ORIGINAL", judged) == "pass"
    assert verdict("SRV-EXC-INFO-RAISE", [memory(hello)]) == "skip"
    silently = fired(under(silent, late_exc_info_app))
    assert "SRV-EXC-INFO-RAISE" in silently
    assert "APP-NO-TRAP-SR-EXC" not in silently
    other = fired(under(own_error, late_exc_info_app))
    assert "SRV-EXC-INFO-RERAISE-ORIGINAL" in other
    assert "SRV-EXC-INFO-RAISE" not in other


# -- wsgi.file_wrapper --------------------------------------------------------------------------


def file_app(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT)
    return environ["wsgi.file_wrapper"](io.BytesIO(b"Hello world!\n"), 4)


def with_wrapper(wrapper: Any) -> Server:
    def server(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            environ["wsgi.file_wrapper"] = wrapper
            return app(environ, start_response)

        return broken

    return server


class NoIter:
    def __init__(self, filelike: Any, block_size: int = 8192) -> None:
        self.filelike = filelike

    def close(self) -> None:
        self.filelike.close()


class NoClose:
    def __init__(self, filelike: Any, block_size: int = 8192) -> None:
        self.filelike = filelike

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.filelike.read(4), b"")


def discards(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.file_wrapper"](io.BytesIO(b"x"))
    start_response("200 OK", TEXT)
    return [b"x"]


def test_file_wrapper_rules(judged: list[Exchange]) -> None:
    own = memory(file_app)
    assert own.response.body == b"Hello world!\n"
    for rule_id in ("SRV-FILE-WRAPPER-RETURNS-ITER", "SRV-FILE-WRAPPER-CLOSE"):
        assert verdict(rule_id, [own]) == "pass"
        assert verdict(rule_id, [memory(hello)]) == "skip"
    under(passthrough, file_app)
    assert verdict("SRV-FILE-WRAPPER-CLOSE", judged) == "pass"
    assert "SRV-FILE-WRAPPER-RETURNS-ITER" in fired(under(with_wrapper(NoIter), discards))
    assert "SRV-FILE-WRAPPER-CLOSE" in fired(under(with_wrapper(NoClose), file_app))


# -- wsgi.input and wsgi.errors -----------------------------------------------------------------


def replaced_input(make: Callable[[bytes], Any]) -> Server:
    def server(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            environ["wsgi.input"] = make(environ["wsgi.input"].read(length))
            return app(environ, start_response)

        return broken

    return server


def reads_five(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read(5)
    start_response("200 OK", TEXT)
    return [b"ok"]


def test_input_bytes(judged: list[Exchange]) -> None:
    assert verdict("SRV-INPUT-BYTES", [memory(echo_app, **POST)]) == "pass"
    under(passthrough, echo_app, POST)
    assert verdict("SRV-INPUT-BYTES", judged) == "pass"
    text = replaced_input(lambda data: io.StringIO(data.decode("latin-1")))
    assert "SRV-INPUT-BYTES" in fired(under(text, reads_five, POST))


def greedy(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(1000)
    start_response("200 OK", TEXT)
    return [body]


def test_input_eof_at_cl() -> None:
    assert verdict("SRV-INPUT-EOF-AT-CL", [memory(greedy, **POST)]) == "pass"
    assert verdict("SRV-INPUT-EOF-AT-CL", [memory(hello)]) == "skip"
    pipelined = replaced_input(lambda data: io.BytesIO(data + b"GET /next HTTP/1.1\r\n\r\n"))
    assert "SRV-INPUT-EOF-AT-CL" in fired(under(pipelined, greedy, POST))


@pytest.mark.parametrize(
    ("read", "added", "expected"),
    [
        (InputRead("readlines", None, 4, 3), "1", "pass"),  # a2wsgi's newline, made up
        (InputRead("readlines", None, 43, 3), "1", "fail"),  # 39 bytes more than made up
        (InputRead("read", None, 4, 3), "1", "fail"),  # read() gave more: not lines
        (InputRead("readlines", None, 4, 3), None, "fail"),  # nothing seen made up
    ],
)
def test_eof_at_cl_leaves_out_only_the_bytes_a_probe_saw_made_up(
    read: InputRead, added: str | None, expected: str
) -> None:
    """Review of 2026-12-05: the bytes a probe's client saw added after the whole body (not
    the next request's) are SRV-INPUT-LINES's; a lines read past the end by more than those
    is still this rule's."""
    real = Client(echo_app).request("POST", "/", body=b"a\nb")
    events = [event for event in real.trace if not isinstance(event, InputRead)]
    events.append(read)
    if added is not None:
        events.append(ServerObserved("input-lines-changed", "1 byte the body does not have"))
        events.append(ServerObserved("input-lines-added", added))
    assert verdict("SRV-INPUT-EOF-AT-CL", [doctored(real, events)]) == expected


class SizedInput:
    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def read(self, size: int) -> bytes:
        return self.stream.read(size)


class ShortInput:
    """read() with no size gives only a few bytes: not "the remainder"."""

    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(3 if size < 0 else size)


def test_input_read_noarg() -> None:
    assert verdict("SRV-INPUT-READ-NOARG", [memory(echo_app, **POST)]) == "pass"
    assert verdict("SRV-INPUT-READ-NOARG", [memory(hello)]) == "skip"
    assert "SRV-INPUT-READ-NOARG" in fired(under(replaced_input(SizedInput), echo_app, POST))
    assert "SRV-INPUT-READ-NOARG" in fired(under(replaced_input(ShortInput), echo_app, POST))


class Rewinding:
    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        if self.stream.tell() == len(self.stream.getvalue()):
            self.stream.seek(0)
        return self.stream.read(size)


def read_twice(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    stream = environ["wsgi.input"]
    first = stream.read()
    second = stream.read(10)
    start_response("200 OK", TEXT)
    return [first + second]


def test_input_empty_at_eof() -> None:
    assert verdict("SRV-INPUT-EMPTY-AT-EOF", [memory(read_twice, **POST)]) == "pass"
    chunked = memory(read_twice, "POST", "/", body=b"a\nb\n", chunked=True)
    assert verdict("SRV-INPUT-EMPTY-AT-EOF", [chunked]) == "pass"
    assert "SRV-INPUT-EMPTY-AT-EOF" in fired(under(replaced_input(Rewinding), read_twice, POST))


class IgnoresSize:
    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def readline(self, size: int = -1) -> bytes:
        return self.stream.readline()


def first_line(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    first = environ["wsgi.input"].readline(4)
    start_response("200 OK", TEXT)
    return [first]


def test_input_readline_size() -> None:
    assert verdict("SRV-INPUT-READLINE-SIZE", [memory(first_line, **POST)]) == "pass"
    assert verdict("SRV-INPUT-READLINE-SIZE", [memory(echo_app, **POST)]) == "skip"
    broken = under(replaced_input(IgnoresSize), first_line, POST)
    assert "SRV-INPUT-READLINE-SIZE" in fired(broken)
    no_size = under(replaced_input(SizedInput), first_line, POST)  # no readline at all
    assert "SRV-INPUT-READLINE-SIZE" not in fired(no_size)


def test_handle_inbound_hop() -> None:
    real = Client(echo_app).request("POST", "/", body=b"hello world", chunked=True)
    assert real.body == b"got:hello world"
    assert verdict("SRV-HANDLE-INBOUND-HOP", [Exchange(real)]) == "pass"
    assert verdict("SRV-HANDLE-INBOUND-HOP", [memory(echo_app, **POST)]) == "skip"
    framed = [
        InputRead(event.method, event.argument, 21, None) if isinstance(event, InputRead) else event
        for event in real.trace
    ]
    assert verdict("SRV-HANDLE-INBOUND-HOP", [doctored(real, framed)]) == "fail"
    assert real.environ is not None
    real.environ["CONTENT_LENGTH"] = "21"
    assert verdict("SRV-HANDLE-INBOUND-HOP", [doctored(real)]) == "fail"


class AsciiErrors:
    def write(self, text: str) -> None:
        text.encode("ascii")

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


def logs(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.errors"].write("Zoë ☃\n")
    start_response("200 OK", TEXT)
    return [b"ok"]


def test_errors_unicode(judged: list[Exchange]) -> None:
    assert verdict("SRV-ERRORS-UNICODE", [memory(logs)]) == "pass"
    assert verdict("SRV-ERRORS-UNICODE", [memory(hello)]) == "skip"
    under(passthrough, logs)
    assert verdict("SRV-ERRORS-UNICODE", judged) == "pass"

    def ascii_errors(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            environ["wsgi.errors"] = AsciiErrors()
            return app(environ, start_response)

        return broken

    assert "SRV-ERRORS-UNICODE" in fired(under(ascii_errors, logs))


# -- the response on the wire -------------------------------------------------------------------


def test_add_required_headers() -> None:
    real = Client(hello).get("/")
    assert verdict("SRV-ADD-REQUIRED-HEADERS", [Exchange(real)]) == "pass"
    no_date = [(n, v) for n, v in real.headers if n != "Date"]
    assert verdict("SRV-ADD-REQUIRED-HEADERS", [doctored(real, headers=no_date)]) == "fail"
    bad_date = [*no_date, ("Date", "Sun, 6 Dec 2026 21:47:14 GMT")]  # fastwsgi's one digit
    assert verdict("SRV-ADD-REQUIRED-HEADERS", [doctored(real, headers=bad_date)]) == "fail"
    [found] = check_exchange(
        doctored(real, headers=bad_date), [REGISTRY["SRV-ADD-REQUIRED-HEADERS"]]
    )
    # The form's own section named (a probe trial of 2026-12-06).
    assert found.message == (
        "the Date the server added is not an IMF-fixdate (RFC 9110 §5.6.7): "
        "'Sun, 6 Dec 2026 21:47:14 GMT'"
    )
    failed = doctored(real, status_code=503, reason="Busy", headers=no_date)
    assert verdict("SRV-ADD-REQUIRED-HEADERS", [failed]) == "skip"
    # The server's own 400 for a request the app never saw is not the app's answer.
    refused = Response(Request(method="purge"), 400, "Bad Request", [], b"", True, None, [])
    assert verdict("SRV-ADD-REQUIRED-HEADERS", [Exchange(refused, source="probe")]) == "skip"


def test_add_required_headers_leaves_the_apps_own_date_alone() -> None:
    def dated(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [*TEXT, ("Date", "Thu, 01 Jan 2026 00:00:00 GMT")])
        return [b"x"]

    assert verdict("SRV-ADD-REQUIRED-HEADERS", [memory(dated)]) == "pass"


def lower_case(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response(
        "200 OK",
        [("content-type", "text/plain"), ("content-length", "2"), ("date", "whenever")],
    )
    return [b"ok"]


def test_header_case_insensitive() -> None:
    real = Client(lower_case).get("/")
    assert verdict("SRV-HEADER-CASE-INSENSITIVE", [Exchange(real)]) == "pass"
    assert verdict("SRV-HEADER-CASE-INSENSITIVE", [memory(generator_app)]) == "skip"
    twice = doctored(real, headers=[*real.headers, ("Content-Length", "2")])
    assert verdict("SRV-HEADER-CASE-INSENSITIVE", [twice]) == "fail"


def overrun(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [*TEXT, ("Content-Length", "5")])
    yield b"Hello"
    yield b", world"
    yield b" and more"


def test_cl_no_excess() -> None:
    own = memory(overrun)
    assert own.response.body == b"Hello"
    assert verdict("SRV-CL-NO-EXCESS", [own]) == "pass"
    assert verdict("SRV-CL-NO-EXCESS", [memory(generator_app)]) == "skip"
    real = Client(hello).get("/")
    assert verdict("SRV-CL-NO-EXCESS", [doctored(real, body=real.body + b"\r\n")]) == "fail"


def writes_past(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    write = start_response("200 OK", [*TEXT, ("Content-Length", "5")])
    write(b"Hello")
    with contextlib.suppress(Exception):  # wsgicheck refuses it (SRV-CL-STOP-OR-RAISE)
        write(b", world")
    return []


def test_cl_stop_or_raise_in_memory() -> None:
    assert verdict("SRV-CL-STOP-OR-RAISE", [memory(overrun)]) == "pass"
    assert verdict("SRV-CL-STOP-OR-RAISE", [memory(writes_past)]) == "pass"
    assert verdict("SRV-CL-STOP-OR-RAISE", [memory(generator_app)]) == "skip"

    # A body that ends at its length by itself shows nothing of the server (audit of
    # 2026-12-04: it was counted a pass).
    def exact(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [*TEXT, ("Content-Length", "5")])
        return [b"Hello"]

    assert verdict("SRV-CL-STOP-OR-RAISE", [memory(exact)]) == "skip"


def taking(extra_blocks: int) -> Server:
    """A server that takes ``extra_blocks`` blocks past the Content-Length."""

    def server(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            result = app(environ, start_response)
            iterator = iter(result)
            blocks = [next(iterator)]
            blocks += [next(iterator) for _ in range(extra_blocks)]
            result.close()
            return [b"".join(blocks)[:5]]

        return broken

    return server


def test_cl_stop_or_raise_allows_one_look_past_the_end(judged: list[Exchange]) -> None:
    under(taking(1), overrun)
    assert verdict("SRV-CL-STOP-OR-RAISE", judged) == "pass"
    judged.clear()
    under(taking(2), overrun)
    assert verdict("SRV-CL-STOP-OR-RAISE", judged) == "fail"


def test_cl_stop_or_raise_on_a_write_past_the_length() -> None:
    def lenient(app: App) -> App:
        def broken(environ: dict[str, Any], start_response: Any) -> Any:
            written: list[bytes] = []

            def start(status: str, headers: Any, exc_info: Any = None) -> Any:
                start_response(status, headers, exc_info)
                return written.append

            result = app(environ, start)
            result.close()
            return [b"".join(written)[:5]]

        return broken

    assert "SRV-CL-STOP-OR-RAISE" in fired(under(lenient, writes_past))


def short(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [*TEXT, ("Content-Length", "13")])
    yield b"Hello "
    raise RuntimeError("the rest failed")


def test_cl_short() -> None:
    real = Client(short).get("/")
    assert not real.complete
    assert verdict("SRV-CL-SHORT", [Exchange(real)]) == "pass"
    assert verdict("SRV-CL-SHORT", [doctored(real, complete=True)]) == "fail"


def write_then_yield(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    write = start_response("200 OK", TEXT)
    write(b"Hello, ")
    return [b"world!\n"]


def test_write_semantics_and_iter_after_write() -> None:
    real = Client(write_then_yield).get("/")
    assert real.body == b"Hello, world!\n"
    for rule_id in ("SRV-WRITE-SEMANTICS", "SRV-ITER-AFTER-WRITE"):
        assert verdict(rule_id, [Exchange(real)]) == "pass"
        assert verdict(rule_id, [memory(hello)]) == "skip"
    lost_write = doctored(real, body=b"world!\n")
    assert verdict("SRV-WRITE-SEMANTICS", [lost_write]) == "fail"
    lost_yield = doctored(real, body=b"Hello, ")
    assert verdict("SRV-WRITE-SEMANTICS", [lost_yield]) == "pass"
    assert verdict("SRV-ITER-AFTER-WRITE", [lost_yield]) == "fail"
    swapped = doctored(real, body=b"world!\nHello, ")
    assert verdict("SRV-WRITE-SEMANTICS", [swapped]) == "fail"


def test_body_rules_read_only_what_was_captured() -> None:
    real = Client(write_then_yield).get("/")
    cut = doctored(real, body=b"Hel")
    assert verdict("SRV-WRITE-SEMANTICS", [cut]) == "fail"  # 3 bytes sent in all
    response = cut.response
    response.body_size = len(b"Hello, world!\n")  # 3 bytes kept of the 14 sent
    assert verdict("SRV-WRITE-SEMANTICS", [Exchange(response, source="socket")]) == "pass"


ALL_BYTES = bytes(range(256)) + b"\r\n\n\r"


def binary(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    yield ALL_BYTES[:100]
    yield ALL_BYTES[100:]


def test_binary_safe() -> None:
    real = Client(binary).get("/")
    assert real.body == ALL_BYTES
    assert verdict("SRV-BINARY-SAFE", [Exchange(real)]) == "pass"
    assert verdict("SRV-BINARY-SAFE", [memory(write_then_yield)]) == "skip"
    crlf = doctored(real, body=real.body.replace(b"\n", b"\r\n"))
    assert verdict("SRV-BINARY-SAFE", [crlf]) == "fail"
    assert verdict("SRV-BINARY-SAFE", [doctored(real, body=real.body[:-1])]) == "fail"


def test_binary_safe_lets_a_server_append_an_error_note() -> None:
    real = Client(short).get("/")
    noted = doctored(real, body=real.body + b"\n[error: the response failed]\n")
    assert verdict("SRV-BINARY-SAFE", [noted]) == "pass"


def created(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("201 Created", [("Content-Type", "application/json"), ("X-Id", "7")])
    return [b"{}"]


def test_play_dumb() -> None:
    real = Client(created).get("/")
    assert verdict("SRV-PLAY-DUMB", [Exchange(real)]) == "pass"
    dropped = [(n, v) for n, v in real.headers if n != "X-Id"]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=dropped)]) == "fail"
    assert verdict("SRV-PLAY-DUMB", [doctored(real, status_code=200, reason="OK")]) == "fail"
    added = [*real.headers, ("Cache-Control", "no-store")]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=added)]) == "fail"
    framing = [*real.headers, ("Connection", "close"), ("Via", "1.1 proxy")]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=framing)]) == "pass"


def appending(
    environ: dict[str, Any],
    start_response: Any,
    headers: list[tuple[str, str]] = [],  # noqa: B006
) -> list[bytes]:
    """static3 0.7's 404, in its manner: one default list, appended to on every request."""
    headers.append(("Content-Type", "text/plain"))
    start_response("404 Not Found", headers)
    return [b"Not found"]


@pytest.mark.parametrize("transport", ["memory", "validator"])
def test_the_fields_an_app_gave_are_the_ones_it_gave_then(transport: str) -> None:
    """An app that changes its header list after the call (static3's shared default list)
    gave what the list held at the call: an exchange judged after the next request is not
    told it gave more fields than were sent (a false SRV-PLAY-DUMB on wsgicheck's own
    server, and APP-SINGLE-FIELDS counted twice; app sweep of 2026-12-05)."""
    appending.__defaults__ = ([],)
    if transport == "memory":
        client = Client(appending)
        first = Exchange(client.get("/static/nope.txt"))
        client.get("/static/nope.txt")
        assert verdict("SRV-PLAY-DUMB", [first]) == "pass"
        assert [f.rule for f in check_exchange(first)] == []
    else:
        checked = validation.validator(appending, collect=True)
        client = Client(checked)
        client.get("/static/nope.txt")
        client.get("/static/nope.txt")
        # The second request's list held two (a true finding), the first's one.
        assert [(f.rule, f.message) for f in checked.findings] == [
            (
                "APP-SINGLE-FIELDS",
                "the response sends content-type ×2: each is defined as one value (RFC 9110 "
                "§8.3), and a client may take either",
            )
        ]


def not_modified(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    fields = [("Content-Type", "text/plain"), ("ETag", '"v1"'), ("X-Id", "7")]
    start_response(
        "304 Not Modified", [*fields, ("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")]
    )
    return []


def no_content_with_body(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", TEXT)
    return [b"a body that must not be sent"]


def test_play_dumb_fails_an_answer_the_client_never_got() -> None:
    """The app answered and ran its iterable to the end, and no response came at all
    (Tornado's WSGIContainer on a HEAD whose app gave a body): the server lost it."""
    head = Client(hello).head("/")
    lost = doctored(head, status_code=0, reason="", headers=[], body=b"", complete=False)
    [finding] = check_exchange(lost, [REGISTRY["SRV-PLAY-DUMB"]])
    assert finding.message == (
        "the app answered '200 OK' and ran its iterable to the end without an error, but no "
        "response reached the client: the server closed the connection without one, or sent "
        "nothing in the time the client waited"
    )
    # An app that raised is SRV-TRAP-LOG's (an abort is allowed there); a server that died
    # on the request is HARNESS-SERVER-DIED's.
    raised = Client(raises).get("/")
    aborted = doctored(raised, status_code=0, reason="", headers=[], body=b"", complete=False)
    assert verdict("SRV-PLAY-DUMB", [aborted]) == "skip"
    died = Exchange(lost.response, source="probe", extra=Extra(server_died="exited with status 1"))
    assert verdict("SRV-PLAY-DUMB", [died]) == "skip"
    # An app that broke its own framing (a body past its Content-Length, one on a 204)
    # left the server no answer to give as it was: those rules judge it.
    for broken in (short, no_content_with_body):
        real = Client(broken).get("/")
        gone = doctored(real, status_code=0, reason="", headers=[], body=b"", complete=False)
        assert verdict("SRV-PLAY-DUMB", [gone]) == "skip", broken.__name__


def test_play_dumb_lets_a_server_leave_out_metadata_of_no_content() -> None:
    # Apache drops Content-Type from 204 and 304 answers; RFC 9110 §15.4.5 asks a 304 to
    # carry no representation metadata beyond ETag, Vary and the caching fields.
    real = Client(not_modified).get("/")
    assert verdict("SRV-PLAY-DUMB", [Exchange(real)]) == "pass"
    kept = [(n, v) for n, v in real.headers if n not in ("Content-Type", "Last-Modified")]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=kept)]) == "pass"
    for gone in ("ETag", "X-Id"):
        dropped = [(n, v) for n, v in real.headers if n != gone]
        assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=dropped)]) == "fail", gone
    changed = [(n, "text/html" if n == "Content-Type" else v) for n, v in real.headers]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=changed)]) == "fail"


def updated(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [("Content-Type", "text/plain"), ("ETag", '"v2"')])
    return []


def test_play_dumb_holds_a_204_to_its_metadata() -> None:
    # RFC 9110 §15.3.5: a 204's metadata describes the target's representation after the
    # action: dropping its ETag changes what the client is told. Its Content-Type, of
    # content that is not there, a server may drop (Apache under mod_wsgi does), but not
    # change.
    real = Client(updated).get("/")
    assert verdict("SRV-PLAY-DUMB", [Exchange(real)]) == "pass"
    for gone, expected in (("ETag", "fail"), ("Content-Type", "pass")):
        dropped = [(n, v) for n, v in real.headers if n != gone]
        assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=dropped)]) == expected, gone
    changed = [(n, "text/html" if n == "Content-Type" else v) for n, v in real.headers]
    assert verdict("SRV-PLAY-DUMB", [doctored(real, headers=changed)]) == "fail"


def test_play_dumb_leaves_permitted_transformations_alone() -> None:
    real = Client(hello).request("GET", "/", headers={"Range": "bytes=0-4"})
    ranged = doctored(
        real,
        status_code=206,
        reason="Partial Content",
        headers=[*TEXT, ("Content-Range", "bytes 0-4/13"), ("Content-Length", "5")],
        body=b"Hello",
    )
    assert verdict("SRV-PLAY-DUMB", [ranged]) == "skip"


def raises(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("the database is down")


def raises_one(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("1")


def raises_accented(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    raise RuntimeError("café is closed")


def test_trap_log() -> None:
    real = Client(raises).get("/")
    assert real.status_code == 500
    assert verdict("SRV-TRAP-LOG", [Exchange(real)]) == "pass"
    assert verdict("SRV-TRAP-LOG", [memory(short)]) == "pass"
    assert verdict("SRV-TRAP-LOG", [memory(hello)]) == "skip"
    swallowed = doctored(real, status_code=200, reason="OK", body=b"")
    assert verdict("SRV-TRAP-LOG", [swallowed]) == "fail"
    # No response at all, the connection closed: an abort, which PEP 3333 allows ("trap
    # and log"; the server "can then trap this (fatal) exception and abort the response").
    dropped = doctored(real, status_code=0, reason="", headers=[], body=b"", complete=False)
    assert verdict("SRV-TRAP-LOG", [dropped]) == "pass"
    # A head the server sent early (uvicorn 0.55 sends it before the app's first block):
    # the 200 then closed before its last chunk is an abort too, and told as one.
    chunked = [("Content-Type", "text/plain"), ("Transfer-Encoding", "chunked")]
    cut = doctored(real, status_code=200, reason="OK", headers=chunked, body=b"", complete=False)
    assert verdict("SRV-TRAP-LOG", [cut]) == "pass"
    forbidden = doctored(real, status_code=403, reason="Forbidden")
    assert verdict("SRV-TRAP-LOG", [forbidden]) == "fail"


def late_raiser(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    yield b"the first half, "
    raise RuntimeError("the second half failed")


def whole_then_raises(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", [*TEXT, ("Content-Length", "10")])
    yield b"0123456789"
    raise RuntimeError("after the whole body")


def test_trap_log_fails_a_cut_body_ended_as_if_whole() -> None:
    """After the head, the one abort left is closing the connection before the body's end:
    a chunked body ended with its last chunk reads as whole (mod_wsgi 6.1)."""
    real = Client(late_raiser).get("/")
    chunked = [*real.headers, ("Transfer-Encoding", "chunked")]
    aborted = doctored(real, headers=chunked, complete=False)
    assert verdict("SRV-TRAP-LOG", [aborted]) == "pass"
    ended = doctored(real, headers=chunked, complete=True)
    [finding] = check_exchange(ended, [REGISTRY["SRV-TRAP-LOG"]])
    assert finding.message == (
        "the app raised RuntimeError after its head went out; the server ended the cut body "
        "with the last chunk, so the client takes it for the whole one: the response was not "
        "aborted (an abort closes the connection before the body's end)"
    )
    # mod_wsgi logs it (a trial of 2026-12-06): trapped and logged, and not aborted.
    log = "RuntimeError: the second half failed"
    told = Exchange(ended.response, source="socket", extra=Extra(server_log=log))
    [finding] = check_exchange(told, [REGISTRY["SRV-TRAP-LOG"]])
    assert finding.message.startswith(
        "the app raised RuntimeError after its head went out; the server logged it, and ended "
        "the cut body with the last chunk"
    )
    # A log of another RuntimeError is not this one's: not said to be logged, and missed.
    other = Exchange(ended.response, source="socket", extra=Extra(server_log="RuntimeError: x"))
    assert [finding.message for finding in check_exchange(other, [REGISTRY["SRV-TRAP-LOG"]])] == [
        "the app raised RuntimeError after its head went out; the server ended the cut body "
        "with the last chunk, so the client takes it for the whole one: the response was not "
        "aborted (an abort closes the connection before the body's end)",
        "the server's log does not mention the app's RuntimeError (the second half failed)",
    ]
    # Ended by the close (no framing): the client cannot tell, and nothing better exists.
    assert verdict("SRV-TRAP-LOG", [doctored(real, complete=True)]) == "pass"
    # Every byte of its Content-Length sent before the exception: the body was whole.
    whole = Client(whole_then_raises).get("/")
    assert verdict("SRV-TRAP-LOG", [doctored(whole, complete=True)]) == "pass"
    # A Content-Length the server worked out from the cut body: no abort either.
    counted = [*real.headers, ("Content-Length", "16")]
    assert verdict("SRV-TRAP-LOG", [doctored(real, headers=counted, complete=True)]) == "fail"


def test_trap_log_reads_a_probes_log_and_liveness() -> None:
    response = Client(raises).get("/")
    told = "RuntimeError: the database is down"
    logged = Exchange(response, source="probe", extra=Extra(server_log=told))
    assert verdict("SRV-TRAP-LOG", [logged]) == "pass"
    quiet = Exchange(response, source="probe", extra=Extra(server_log="GET / 500"))
    assert verdict("SRV-TRAP-LOG", [quiet]) == "fail"
    # Another RuntimeError's message: not this one's.
    other = Exchange(response, source="probe", extra=Extra(server_log="RuntimeError: disk full"))
    assert verdict("SRV-TRAP-LOG", [other]) == "fail"
    # A message of a character is in any log with a number in it: its type's name is looked
    # for instead (a review of 2026-12-06).
    short = Client(raises_one).get("/")
    stamped = Extra(server_log="GET / 500 in 1 ms")
    assert verdict("SRV-TRAP-LOG", [Exchange(short, source="probe", extra=stamped)]) == "fail"
    # A message past ASCII a log may escape ("caf\\xe9"): its type's name tells of it.
    accented = Client(raises_accented).get("/")
    escaped = Extra(server_log="RuntimeError: caf\\xe9 is closed")
    assert verdict("SRV-TRAP-LOG", [Exchange(accented, source="probe", extra=escaped)]) == "pass"
    dead = Exchange(response, source="probe", extra=Extra(server_alive=False))
    assert verdict("SRV-TRAP-LOG", [dead]) == "fail"


def no_content(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [("Content-Length", "0")])
    return []


def quiet(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A correct answer with no body and no Content-Length (to HEAD, say)."""
    start_response("200 OK", TEXT)
    return []


def bare_204(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("204 No Content", [])
    return [b""]


def test_no_body_for_head_204_304_judges_what_the_server_added() -> None:
    head = Client(quiet).head("/")
    assert verdict("SRV-NO-BODY-HEAD-204-304", [Exchange(head)]) == "pass"
    assert verdict("SRV-NO-BODY-DROP", [Exchange(head)]) == "skip"
    assert verdict("SRV-NO-BODY-HEAD-204-304", [memory(bare_204)]) == "pass"
    assert verdict("SRV-NO-BODY-HEAD-204-304", [memory(hello)]) == "skip"
    terminated = doctored(head, body=b"0\r\n\r\n")
    assert verdict("SRV-NO-BODY-HEAD-204-304", [terminated]) == "fail"
    real = Client(bare_204).get("/")
    with_length = doctored(real, headers=[*real.headers, ("Content-Length", "0")])
    assert verdict("SRV-NO-BODY-HEAD-204-304", [with_length]) == "fail"
    chunked = doctored(real, headers=[*real.headers, ("Transfer-Encoding", "chunked")])
    assert verdict("SRV-NO-BODY-HEAD-204-304", [chunked]) == "fail"


def test_no_body_drop_judges_a_body_the_app_gave() -> None:
    head = Client(hello).head("/")
    assert verdict("SRV-NO-BODY-DROP", [Exchange(head)]) == "pass"
    assert verdict("SRV-NO-BODY-HEAD-204-304", [Exchange(head)]) == "skip"
    assert verdict("SRV-NO-BODY-DROP", [doctored(head, body=b"Hello world!\n")]) == "fail"
    # The app's Content-Length on a 204 is the app's mistake; the server drops it.
    assert verdict("SRV-NO-BODY-DROP", [memory(no_content)]) == "pass"
    real = Client(no_content).get("/")
    # The app's own Content-Length passed on as given: a server that plays dumb may, and
    # no client misreads a 204 by it (RFC 9112 §6.3) (hypercorn, a2wsgi).
    kept = doctored(real, headers=[*real.headers, ("Content-Length", "0")])
    assert verdict("SRV-NO-BODY-DROP", [kept]) == "pass"
    # Changed by the server, or added: the message says which.
    rules = [REGISTRY["SRV-NO-BODY-DROP"]]
    changed = doctored(real, headers=[*real.headers, ("Content-Length", "7")])
    [rewritten] = check_exchange(changed, rules)
    assert (
        rewritten.message
        == "the app gave '0', and the server sent Content-Length: '7' in a 204 response"
    )
    added = doctored(real, headers=[*real.headers, ("Transfer-Encoding", "chunked")])
    [own] = check_exchange(added, rules)
    assert own.message == "the server added Transfer-Encoding: 'chunked' in a 204 response"


def latin1_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [*TEXT, ("X-Name", "caf\xe9")])
    return [b"x"]


def test_headers_latin1() -> None:
    real = Client(latin1_app).get("/")
    assert verdict("SRV-HEADERS-LATIN1", [Exchange(real)]) == "pass"
    assert verdict("SRV-HEADERS-LATIN1", [memory(hello)]) == "skip"
    as_utf8 = [(n, "caf\xc3\xa9" if n == "X-Name" else v) for n, v in real.headers]
    [finding] = check_exchange(doctored(real, headers=as_utf8), [REGISTRY["SRV-HEADERS-LATIN1"]])
    assert "(encoded as UTF-8)" in finding.message


def lines(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    stream = environ["wsgi.input"]
    first = stream.readline()
    rest = stream.readlines()
    start_response("200 OK", TEXT)
    return [first, *rest]


def iterated(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    got = list(environ["wsgi.input"])
    start_response("200 OK", TEXT)
    return got


def test_input_lines_fires_when_readlines_or_iteration_stops_short() -> None:
    post = {"method": "POST", "target": "/", "body": b"one\ntwo\nthree"}
    for app in (lines, iterated):
        real = Client(app).request(**post)
        assert verdict("SRV-INPUT-LINES", [Exchange(real)]) == "pass", app.__name__
    real = Client(lines).request(**post)
    short = [
        event._replace(size=0)
        if isinstance(event, InputRead) and event.method == "readlines"
        else event
        for event in real.trace
    ]
    assert verdict("SRV-INPUT-LINES", [doctored(real, short)]) == "fail"


def test_a_refused_head_request_gets_no_body() -> None:
    refused = Client(hello).request("HEAD", "/", headers={"Host": "a b"})
    assert refused.status_code == 400
    assert refused.body == b""
    assert verdict("SRV-NO-BODY-HEAD-204-304", [Exchange(refused)]) == "pass"


def test_chunked_rfc() -> None:
    old = Client(generator_app).request("GET", "/", http_version="1.0")
    assert verdict("SRV-CHUNKED-RFC", [Exchange(old)]) == "skip"
    chunked = [*old.headers, ("Transfer-Encoding", "chunked")]
    assert verdict("SRV-CHUNKED-RFC", [doctored(old, headers=chunked)]) == "fail"
    new = Client(generator_app).get("/")
    fine = [*new.headers, ("Transfer-Encoding", "chunked")]
    assert verdict("SRV-CHUNKED-RFC", [doctored(new, headers=fine)]) == "pass"
    both = [*fine, ("Content-Length", "13")]
    assert verdict("SRV-CHUNKED-RFC", [doctored(new, headers=both)]) == "fail"
    # Another transfer coding alone is nothing to judge, not a pass (audit of 2026-12-04).
    coded = [*new.headers, ("Transfer-Encoding", "gzip")]
    assert verdict("SRV-CHUNKED-RFC", [doctored(new, headers=coded)]) == "skip"


# -- wsgicheck's own transports keep every server rule ----------------------------------------


def streaming(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    start_response("200 OK", TEXT)
    for number in range(5):
        yield b"line %d\n" % number
        yield b""


def exc_info_early(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", TEXT)
    try:
        raise KeyError("missing")
    except KeyError:
        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    return [b"error page\n"]


class Closing:
    """An iterable with close()."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.blocks)

    def close(self) -> None:
        self.blocks = []


def closing(environ: dict[str, Any], start_response: Any) -> Closing:
    start_response("200 OK", TEXT)
    return Closing([b"Hello ", b"world!\n"])


def upload(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    stream = environ["wsgi.input"]
    lines = [stream.readline(4), stream.read()]
    start_response("200 OK", TEXT)
    return [b"|".join(lines)]


GET: dict[str, Any] = {"method": "GET", "target": "/"}
#: (app, request, rules that must apply to it: a clean verdict is no skip)
OWN_CASES: dict[str, tuple[App, dict[str, Any], tuple[str, ...]]] = {
    "plain": (hello, GET, ("SRV-CL-NO-EXCESS", "SRV-PLAY-DUMB", "SRV-ADD-REQUIRED-HEADERS")),
    "streaming": (streaming, GET, ("SRV-BINARY-SAFE", "SRV-DEFER-HEADERS")),
    "write": (write_then_yield, GET, ("SRV-WRITE-SEMANTICS", "SRV-ITER-AFTER-WRITE")),
    "exc_info": (exc_info_early, GET, ("SRV-EXC-INFO-REPLACE",)),
    "late exc_info": (late_exc_info_app, GET, ("SRV-EXC-INFO-RAISE", "SRV-TRAP-LOG")),
    "head": (hello, {"method": "HEAD", "target": "/"}, ("SRV-NO-BODY-DROP",)),
    "quiet head": (quiet, {"method": "HEAD", "target": "/"}, ("SRV-NO-BODY-HEAD-204-304",)),
    "204": (no_content, GET, ("SRV-NO-BODY-DROP",)),
    "bare 204": (bare_204, GET, ("SRV-NO-BODY-HEAD-204-304",)),
    "latin-1 header": (latin1_app, GET, ("SRV-HEADERS-LATIN1",)),
    "lines": (lines, {"method": "POST", "target": "/", "body": b"a\nb\nc"}, ("SRV-INPUT-LINES",)),
    "iterated": (
        iterated,
        {"method": "POST", "target": "/", "body": b"a\nb\nc"},
        ("SRV-INPUT-LINES",),
    ),
    "chunked upload": (
        upload,
        {"method": "POST", "target": "/", "body": b"one\ntwo\n", "chunked": True},
        ("SRV-HANDLE-INBOUND-HOP", "SRV-INPUT-READLINE-SIZE", "SRV-INPUT-READ-NOARG"),
    ),
    "close": (closing, GET, ("SRV-CLOSE-CALLED",)),
    "fails": (raises, GET, ("SRV-TRAP-LOG",)),
}
SERVER_RULES = [each for each in REGISTRY if each.binding is Binding.SERVER]


def assert_clean(exchange: Exchange, must_apply: tuple[str, ...]) -> None:
    assert sorted(fired(check_exchange(exchange, SERVER_RULES))) == []
    for rule_id in must_apply:
        assert REGISTRY[rule_id].applies(exchange), rule_id


@pytest.mark.parametrize("name", list(OWN_CASES))
def test_the_memory_transport_keeps_every_server_rule(name: str) -> None:
    app, request, must_apply = OWN_CASES[name]
    assert_clean(Exchange(Client(app).request(**request)), must_apply)


def test_the_socket_transport_keeps_every_server_rule() -> None:
    recorder = Recorder()
    limits = Limits(capture_limit=1 << 20, exchange_timeout=5.0)
    for name, (app, options, must_apply) in OWN_CASES.items():
        with live_server(app, threads=2, limits=limits, on_exchange=recorder.on_exchange) as srv:
            before = len(recorder.records)
            request = Client(app, config=srv.config).build_request(**options)
            with connect(srv) as sock:
                reader = Reader(sock)
                sock.sendall(request.to_bytes())
                # A response the server aborted (the app failed mid-body) does not parse.
                with contextlib.suppress(http.client.HTTPException):
                    reader.response(request.method)
                reader.close()
            assert recorder.wait(records=before + 1), name
            record = recorder.records[before]
        assert_clean(Exchange(record, source="socket"), must_apply)


@pytest.mark.parametrize("name", list(OWN_CASES))
def test_the_validator_sees_no_server_finding_in_wsgichecks_core(name: str) -> None:
    app, request, _ = OWN_CASES[name]
    assert sorted(rule for rule in fired(under(passthrough, app, request)) if "SRV" in rule) == []


def test_every_server_rule_has_its_metadata() -> None:
    for each in SERVER_RULES:
        assert each.section, each.id
        assert each.summary, each.id
        assert each.pep, each.id
        if each.id.startswith("SRV-"):
            assert each.example, each.id


# -- SRV-NO-SPLIT-FIELDS -------------------------------------------------------------------------


def _line_broken(
    value: str, received: list[tuple[str, str]], left_out: tuple[str, ...] = ("X-Split",)
) -> Exchange:
    """An exchange whose app gave Content-Type and X-Split ``value``, and whose client
    received the fields of a plain answer but those ``left_out``, then ``received``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Split", "one")])
        return [b"hello\n"]

    real = Client(app).get("/")
    events = [
        event._replace(headers=[("Content-Type", "text/plain"), ("X-Split", value)])
        if isinstance(event, StartResponseCalled)
        else event
        for event in real.trace
    ]
    kept = [(name, field) for name, field in real.headers if name not in left_out]
    return Exchange(real.replace(events, headers=[*kept, *received]), source="socket")


def _split(value: str, received: list[tuple[str, str]]) -> list[str]:
    """SRV-NO-SPLIT-FIELDS' messages on :func:`_line_broken`'s exchange."""
    exchange = _line_broken(value, received)
    rule = REGISTRY["SRV-NO-SPLIT-FIELDS"]
    assert rule.applies(exchange)
    return [finding.message for finding in rule.check(exchange)]


@pytest.mark.parametrize(
    ("value", "received", "expected"),
    [
        # A field the app gave too, received a second time from the value: still a split.
        (
            "one\r\nContent-Type: text/html",
            [("X-Split", "one"), ("Content-Type", "text/html")],
            "the app's x-split value 'one\\r\\nContent-Type: text/html' went out with its line "
            "break: the client received Content-Type as a field of its own (response splitting)",
        ),
        # A bare LF, read by a client as a line end.
        (
            "one\nX-Injected: yes",
            [("X-Split", "one"), ("X-Injected", "yes")],
            "the app's x-split value 'one\\nX-Injected: yes' went out with its line break: the "
            "client received X-Injected as a field of its own (response splitting)",
        ),
        # A bare CR sent raw (a client that reads only LF as a line end sees one field).
        (
            "one\rX-Injected: yes",
            [("X-Split", "one\rX-Injected: yes")],
            "the app's x-split value 'one\\rX-Injected: yes' went out with a bare CR in it, "
            "which a sender must not generate (RFC 9112 §2.2): a client that ends a line at a "
            "CR reads X-Injected as a field of its own (response splitting)",
        ),
        (
            "one\rtwo",
            [("X-Split", "one\rtwo")],
            "the app's x-split value 'one\\rtwo' went out with a bare CR in it, which a sender "
            "must not generate (RFC 9112 §2.2): a client that ends a line at a CR splits the "
            "field there (response splitting)",
        ),
        # Each CR and LF sent as a space (RFC 9110 §5.5 allows it), or the field dropped.
        ("one\r\nX-Injected: yes", [("X-Split", "one  X-Injected: yes")], None),
        ("one\rX-Injected: yes", [("X-Split", "one X-Injected: yes")], None),
        ("one\r\nX-Injected: yes", [], None),
    ],
)
def test_no_split_fields(value: str, received: list[tuple[str, str]], expected: str | None) -> None:
    assert _split(value, received) == ([expected] if expected else [])


def test_play_dumb_still_holds_the_other_fields_beside_a_line_break() -> None:
    """Review of 2026-12-07: SRV-PLAY-DUMB left every field alone once one value held a
    line break, so a server that sent the break as a space but dropped Content-Type passed."""
    rule = REGISTRY["SRV-PLAY-DUMB"]
    spaced = [("X-Split", "one  two: 2")]
    exchange = _line_broken("one\r\ntwo: 2", spaced, ("X-Split", "Content-Type"))
    assert [f.message for f in rule.check(exchange)] == [
        "the app's content-type: 'text/plain' was not sent as given"
    ]
    whole = _line_broken(
        "one\r\ntwo: 2", [("Content-Type", "text/plain"), *spaced], ("X-Split", "Content-Type")
    )
    assert [f.message for f in rule.check(whole)] == []


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (
            [("X-Split", "one\x00two")],
            "the server sent the app's x-split value 'one\\x00two' with its NUL; RFC 9110 §5.5 "
            "has it refuse the value or send a space in its place",
        ),
        # Sent as a space (RFC 9110 §5.5 allows it), or the field dropped.
        ([("X-Split", "one two")], None),
        ([], None),
    ],
)
def test_no_nul_fields(received: list[tuple[str, str]], expected: str | None) -> None:
    exchange = _line_broken("one\x00two", received)
    rule = REGISTRY["SRV-NO-NUL-FIELDS"]
    assert rule.applies(exchange)
    assert not REGISTRY["SRV-NO-SPLIT-FIELDS"].applies(exchange)
    assert [finding.message for finding in rule.check(exchange)] == ([expected] if expected else [])
    # What became of the value is this rule's, not SRV-PLAY-DUMB's.
    assert [finding.message for finding in REGISTRY["SRV-PLAY-DUMB"].check(exchange)] == []
