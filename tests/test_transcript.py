"""The curl-style transcript: request and response lines, and one line per trace event."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from wsgicheck.drivers.client import Client
from wsgicheck.model import events
from wsgicheck.model.events import (
    AppRaised,
    AppReturned,
    BodyLimitReached,
    BodyShort,
    BodyTruncated,
    ClientGone,
    CloseCalled,
    ErrorsWritten,
    Event,
    Exhausted,
    FileWrapperCalled,
    HeadersSent,
    InputRead,
    Location,
    Refused,
    ServerObserved,
    StartResponseCalled,
    StreamMisuse,
    TimedOut,
    WriteCalled,
    Yielded,
)
from wsgicheck.model.request import Framing, Request
from wsgicheck.model.response import Response
from wsgicheck.report.transcript import describe_event, format_exchange

HERE = Location("/srv/app.py", 12, "app")


def _hello(environ: dict[str, object], start_response):  # type: ignore[no-untyped-def]
    body = b"SECRET"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "6")])
    return [body]


def _echo(environ: dict[str, object], start_response):  # type: ignore[no-untyped-def]
    data = environ["wsgi.input"].read()  # type: ignore[attr-defined]
    environ["wsgi.errors"].write("got body\n")  # type: ignore[attr-defined]
    start_response("201 Created", [("Content-Type", "application/octet-stream")])
    yield data
    yield b""


def test_get_exchange_lines() -> None:
    response = Client(_hello).get("/hello?x=1")
    lines = format_exchange(response)
    assert lines[:4] == ["> GET /hello?x=1 HTTP/1.1", "> Host: localhost", ">", "< HTTP/1.1 200 OK"]
    head_end = lines.index("<")
    response_headers = lines[4:head_end]
    assert response_headers[:2] == ["< Content-Type: text/plain", "< Content-Length: 6"]
    assert any(line.startswith("< Date: ") for line in response_headers)
    assert any(line.startswith("< Server: wsgicheck/") for line in response_headers)
    assert lines[head_end + 1] == "< [6 bytes of body]"
    trace = lines[head_end + 2 :]
    assert trace == [f"* {describe_event(event)}" for event in response.trace]
    assert trace[0].startswith("* start_response('200 OK', [('Content-Type', 'text/plain'), ")
    assert trace[0].endswith(f"at {__file__}:{_hello.__code__.co_firstlineno + 2}")
    assert "* iterable yielded 6 bytes" in trace
    assert "* headers sent: 200 OK" in trace
    assert "SECRET" not in "\n".join(lines)  # bodies are summarised, never printed


def test_chunked_post_exchange_lines() -> None:
    response = Client(_echo).post("/echo", body=b"chunk" * 10, chunked=True, chunk_sizes=(7, 43))
    lines = format_exchange(response)
    request_end = lines.index(">")
    assert lines[:request_end] == [
        "> POST /echo HTTP/1.1",
        "> Host: localhost",
        "> Transfer-Encoding: chunked",
    ]
    assert lines[request_end + 1] == "> [50 bytes of body, chunked]"
    assert lines[request_end + 2] == "< HTTP/1.1 201 Created"
    first = _echo.__code__.co_firstlineno
    assert lines[lines.index("<") :] == [
        "<",
        "< [50 bytes of body]",
        f"* app returned generator, has close() at {__file__}:{first}",
        "* wsgi.input.read() -> 50 bytes",
        "* wsgi.errors.write('got body\\n')",
        "* start_response('201 Created', [('Content-Type', 'application/octet-stream')])"
        f" at {__file__}:{first + 3}",
        f"* iterable yielded 50 bytes at {__file__}:{first + 4}",
        "* headers sent: 201 Created",
        f"* iterable yielded 0 bytes at {__file__}:{first + 5}",
        "* iterable exhausted",
        "* close() called",
    ]


def test_content_length_post_names_its_framing() -> None:
    lines = format_exchange(Client(_echo).post("/", body=b"abc"))
    assert "> Content-Length: 3" in lines
    assert "> [3 bytes of body, content-length]" in lines


def test_without_trace_there_are_no_star_lines() -> None:
    lines = format_exchange(Client(_hello).get("/"), trace=False)
    assert lines[-1] == "< [6 bytes of body]"
    assert not any(line.startswith("*") for line in lines)


def test_aborted_response_says_so() -> None:
    def short(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Length", "10")])
        return [b"abc"]

    response = Client(short).get("/")
    lines = format_exchange(response)
    assert "< [3 bytes of body, response aborted]" in lines
    assert "* body ended after 3 of 10 declared bytes" in lines


# -- describe_event ---------------------------------------------------------------------------

#: One or more instances of every event class, each with the exact line describing it.
CASES: list[tuple[Event, str]] = [
    (
        StartResponseCalled("200 OK", [("A", "b")], None, "absent", 2, (), False, HERE),
        "start_response('200 OK', [('A', 'b')]) at /srv/app.py:12",
    ),
    (
        StartResponseCalled("500 Oops", [], "ValueError('x')", "exception", 3, (), True, None),
        "start_response('500 Oops', [], exc_info=ValueError('x'))",
    ),
    (
        Refused("start_response", "APP-STATUS-FORMAT: bad", "APP-STATUS-FORMAT"),
        "server refused start_response: APP-STATUS-FORMAT: bad",
    ),
    (
        AppReturned("list", 2, False, True, HERE),
        "app returned list, len()=2 at /srv/app.py:12",
    ),
    (AppReturned("generator", None, True, True, None), "app returned generator, has close()"),
    (
        AppRaised("call", "ValueError", "boom", HERE, False),
        "app raised ValueError: boom during call at /srv/app.py:12",
    ),
    (Yielded(b"abc", HERE), "iterable yielded 3 bytes at /srv/app.py:12"),
    (Yielded("text", None), "iterable yielded a str ('text')"),
    (WriteCalled(b"ab", HERE, False), "write() of 2 bytes at /srv/app.py:12"),
    (WriteCalled(b"", None, True), "write() of 0 bytes from inside the iterable"),
    (HeadersSent("404 Not Found", ()), "headers sent: 404 Not Found"),
    (CloseCalled(None), "close() called"),
    (Exhausted(), "iterable exhausted"),
    (
        ServerObserved("start_response-returned", "None"),
        "server: start_response-returned: None",
    ),
    (
        ServerObserved(events.BODY_UNFINISHED, "5"),
        "server: the request body broke off after 5 bytes",
    ),
    (CloseCalled("OSError: gone"), "close() called, raised OSError: gone"),
    (InputRead("read", None, 5, 5), "wsgi.input.read() -> 5 bytes"),
    (InputRead("read", -1, 0, 0), "wsgi.input.read() -> 0 bytes"),
    (InputRead("readline", 10, 4, None), "wsgi.input.readline(10) -> 4 bytes"),
    (ErrorsWritten("write", "oops\n"), "wsgi.errors.write('oops\\n')"),
    (ErrorsWritten("flush", None), "wsgi.errors.flush()"),
    (StreamMisuse("wsgi.input", "seek"), "wsgi.input.seek used (not a PEP 3333 method)"),
    (
        FileWrapperCalled("BufferedReader", True, 8192, HERE),
        "wsgi.file_wrapper(BufferedReader) at /srv/app.py:12",
    ),
    (BodyTruncated(5, 9), "body of 9 bytes cut to its Content-Length 5"),
    (BodyShort(10, 3), "body ended after 3 of 10 declared bytes"),
    (BodyLimitReached(1024), "stopped reading the body at the 1024-byte limit"),
    (ClientGone("BrokenPipeError: [Errno 32]"), "client went away: BrokenPipeError: [Errno 32]"),
    (
        TimedOut(2.5, False),
        "the app ran past the 2.5s exchange limit; the server answered 500",
    ),
    (
        TimedOut(10.0, True),
        "the app ran past the 10s exchange limit; the server aborted the response",
    ),
]


def _event_classes() -> list[type[Event]]:
    return list(events.EVENT_KINDS)


@pytest.mark.parametrize(("event", "line"), CASES, ids=lambda value: type(value).__name__)
def test_describe_event(event: Event, line: str) -> None:
    assert describe_event(event) == line


def test_every_event_class_has_a_case() -> None:
    covered = {type(event) for event, _ in CASES}
    assert set(_event_classes()) <= covered


def _sample(annotation: str, name: str) -> object:
    """A plausible value for a field, from its (string) annotation."""
    if "Location" in annotation:
        return HERE
    if name == "headers":
        return [("Content-Type", "text/plain")]
    if annotation.startswith("tuple"):
        return ("x",)
    if annotation.startswith("int"):
        return 7
    if annotation.startswith("float"):
        return 1.5
    if annotation == "bool":
        return True
    if annotation.startswith("str"):
        return f"{name}-value"
    return b"sample"


def _fields(cls: type[Event]) -> list[tuple[str, Any]]:
    """Each field's name and its annotation (a forward reference: its text)."""
    return list(cls.__annotations__.items())


def _samples(classes: Iterable[type[Event]]) -> list[Event]:
    return [
        cls(**{name: _sample(kind.__forward_arg__, name) for name, kind in _fields(cls)})
        for cls in classes
    ]


@pytest.mark.parametrize("event", _samples(_event_classes()), ids=lambda e: type(e).__name__)
def test_every_event_class_is_described_not_repr(event: Event) -> None:
    line = describe_event(event)
    assert line.strip()
    assert "\n" not in line
    assert line != repr(event)
    assert not line.startswith(type(event).__name__ + "(")


def test_every_event_kind_is_a_member_of_the_event_union() -> None:
    """An event class left out of ``Event`` would escape mypy's exhaustiveness check of
    ``describe_event``'s match (a kind the match misses is a missing return there)."""
    made = {
        value
        for value in vars(events).values()
        if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields")
    }
    assert made - {events.Location} == set(_event_classes())


def test_sizes_come_from_the_record_when_bodies_were_capped() -> None:
    """A server record may keep only the first bytes of each body; the sizes stay true."""
    request = Request(
        method="PUT",
        target="/upload",
        headers=(("Host", "example.test"),),
        body=b"x" * 10,
        framing=Framing.CONTENT_LENGTH,
    )
    response = Response(
        request,
        200,
        "OK",
        [("Content-Length", "5000")],
        b"y" * 10,
        True,
        {"CONTENT_LENGTH": "1000"},
        [],
        request_body_size=1000,
        body_size=5000,
    )
    assert format_exchange(response) == [
        "> PUT /upload HTTP/1.1",
        "> Host: example.test",
        "> Content-Length: 1000",
        ">",
        "> [1000 bytes of body, content-length]",
        "< HTTP/1.1 200 OK",
        "< Content-Length: 5000",
        "<",
        "< [5000 bytes of body]",
    ]


def test_empty_post_declares_length_zero_and_no_body_line() -> None:
    lines = format_exchange(Client(_hello).post("/"), trace=False)
    assert lines[:4] == ["> POST / HTTP/1.1", "> Host: localhost", "> Content-Length: 0", ">"]
    assert not any(line.startswith("> [") for line in lines)


def _sends_a_file(environ: dict[str, Any], start_response: Any) -> Any:
    import io

    start_response("200 OK", [("Content-Type", "text/plain")])
    return environ["wsgi.file_wrapper"](io.BytesIO(b"x" * 500))


def test_blocks_read_by_wsgichecks_own_file_wrapper_name_no_place() -> None:
    """The app's own yields say where; the blocks of the file wrapper wsgicheck offers are
    read in wsgicheck's code, which is no place of the app's (found under `serve`)."""
    trace = [line for line in format_exchange(Client(_sends_a_file).get("/")) if "yielded" in line]
    assert trace == ["* iterable yielded 500 bytes"]
    generator = [
        line for line in format_exchange(Client(_echo).post("/", body=b"abc")) if "yielded" in line
    ]
    assert all(f" at {__file__}:" in line for line in generator)
    assert len(generator) == 2
