"""``wsgi.input``, ``wsgi.errors`` and ``wsgi.file_wrapper`` (PEP 3333, "Input and Error Streams").

The streams are used directly, with a plain list as the trace log, and read back through
:class:`~wsgicheck.model.events.Trace` so the assertions see the events exactly as rules will.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgicheck.core.streams import ErrorStream, FileWrapper, InputStream, file_wrapper_for
from wsgicheck.model.events import (
    ErrorsWritten,
    FileWrapperCalled,
    InputRead,
    Location,
    RawEvent,
    StreamMisuse,
    Trace,
)

BODY = b"first line\nsecond line\nthird\n"


class ChunkSource:
    """A :class:`~wsgicheck.core.streams.BodySource` handing out ``data`` in pieces of ``piece``.

    ``data`` may be longer than the length the stream is told: a source that would give
    more than the body (a pipelined next request, say). ``requests`` records each limit asked.
    """

    def __init__(self, data: bytes, piece: int = 3) -> None:
        self.data = data
        self.piece = piece
        self.requests: list[int] = []

    def read_some(self, limit: int) -> bytes:
        self.requests.append(limit)
        data, self.data = self.data[: min(limit, self.piece)], self.data[min(limit, self.piece) :]
        return data


class GreedySource:
    """A source that ignores ``limit`` and returns everything it has at once."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read_some(self, limit: int) -> bytes:
        data, self.data = self.data, b""
        return data


def make_input(
    source: Any = BODY, length: int | None = -1, max_read: int | None = None
) -> tuple[InputStream, list[RawEvent]]:
    """An InputStream over ``source``; ``length`` -1 means "the length of the bytes"."""
    log: list[RawEvent] = []
    if length == -1:
        length = len(source) if isinstance(source, bytes) else None
    return InputStream(source, log, length, max_read), log


def reads(log: list[RawEvent]) -> list[InputRead]:
    return Trace(log).of(InputRead)


SOURCES = [
    pytest.param(lambda: BODY, len(BODY), id="bytes"),
    pytest.param(lambda: ChunkSource(BODY), len(BODY), id="source-with-length"),
    pytest.param(lambda: ChunkSource(BODY), None, id="source-no-length"),
]


#: One call on ``wsgi.input``: its method and size (None: no argument).
_CALLS = st.tuples(st.sampled_from(["read", "readline"]), st.one_of(st.none(), st.integers(-1, 40)))


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=120).map(lambda data: data.replace(b"a", b"\n")),
    kind=st.sampled_from(["bytes", "chunks"]),
    piece=st.integers(1, 17),
    framed=st.booleans(),
    max_read=st.one_of(st.none(), st.integers(1, 9)),
    calls=st.lists(_CALLS, max_size=30),
)
def test_any_mix_of_reads_returns_the_body_in_order_as_a_file_would(
    body: bytes,
    kind: str,
    piece: int,
    framed: bool,
    max_read: int | None,
    calls: list[tuple[str, int | None]],
) -> None:
    """The stream keeps a read position in its buffer rather than copying what is left on
    every read (which made a 1 MB body read two bytes at a time cost seconds, reported as
    the app's time-out): whatever the source's pieces and the short-read cap, each call
    returns what ``io.BytesIO`` returns, but a sized read capped at ``max_read``."""
    source: Any = {"bytes": body, "chunks": ChunkSource(body, piece)}
    length = None if kind == "chunks" and not framed else len(body)
    stream, _ = make_input(source[kind], length, max_read)
    model = io.BytesIO(body)
    for method, size in calls:
        if method == "read":
            got = stream.read() if size is None else stream.read(size)
            capped = size if size is None or size < 0 or max_read is None else min(size, max_read)
            expected = model.read() if capped is None else model.read(capped)
        else:
            got = stream.readline() if size is None else stream.readline(size)
            expected = model.readline() if size is None else model.readline(size)
        assert got == expected, (method, size)
    assert stream.read() == model.read()


# -- read -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "length"), SOURCES)
@pytest.mark.parametrize("args", [(), (-1,), (None,), (-7,)], ids=["none", "-1", "None", "-7"])
def test_read_without_a_size_returns_the_whole_body_then_empty(
    factory: Any, length: int | None, args: tuple[Any, ...]
) -> None:
    stream, log = make_input(factory(), length)
    data = stream.read(*args)
    assert type(data) is bytes
    assert data == BODY
    assert stream.read(*args) == b""
    assert stream.read(5) == b""
    first = reads(log)[0]
    assert (first.method, first.size) == ("read", len(BODY))
    assert first.argument == (args[0] if args else -1)


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_read_n_smaller_than_the_body_returns_n_bytes_in_order(
    factory: Any, length: int | None
) -> None:
    stream, log = make_input(factory(), length)
    parts = [stream.read(4) for _ in range(len(BODY) // 4)]
    assert all(type(part) is bytes and len(part) == 4 for part in parts)
    rest = stream.read(4)
    assert 0 < len(rest) <= 4
    assert b"".join(parts) + rest == BODY
    assert stream.read(4) == b""
    assert [event.size for event in reads(log)][-1] == 0


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_read_n_larger_than_the_body_returns_the_body(factory: Any, length: int | None) -> None:
    stream, log = make_input(factory(), length)
    assert stream.read(len(BODY) * 10) == BODY
    assert stream.read(len(BODY) * 10) == b""
    assert [(e.argument, e.size) for e in reads(log)] == [
        (len(BODY) * 10, len(BODY)),
        (len(BODY) * 10, 0),
    ]


def test_read_zero_returns_empty_bytes_without_consuming() -> None:
    stream, log = make_input()
    assert stream.read(0) == b""
    assert stream.read() == BODY
    assert reads(log)[0].size == 0


@pytest.mark.parametrize("length", [0, None], ids=["length-0", "unknown-length"])
def test_an_empty_body_reads_as_empty_bytes_everywhere(length: int | None) -> None:
    for source in (b"", ChunkSource(b"")):
        stream, _ = make_input(source, length)
        assert stream.read() == b""
        assert stream.read(10) == b""
        assert stream.readline() == b""
        assert stream.readline(4) == b""
        assert stream.readlines() == []
        assert list(stream) == []


# -- readline ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_readline_returns_one_line_with_its_newline(factory: Any, length: int | None) -> None:
    stream, log = make_input(factory(), length)
    assert stream.readline() == b"first line\n"
    assert stream.readline(-1) == b"second line\n"
    assert stream.readline(None) == b"third\n"
    assert stream.readline() == b""
    assert [(e.method, e.argument, e.size) for e in reads(log)] == [
        ("readline", -1, 11),
        ("readline", -1, 12),
        ("readline", None, 6),
        ("readline", -1, 0),
    ]


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_readline_with_a_size_on_a_long_line_returns_at_most_size(
    factory: Any, length: int | None
) -> None:
    stream, _ = make_input(factory(), length)
    assert stream.readline(5) == b"first"
    assert stream.readline(5) == b" line"
    assert stream.readline(5) == b"\n"
    assert stream.readline(100) == b"second line\n"
    assert stream.readline(0) == b""
    assert stream.readline() == b"third\n"


def test_readline_returns_a_last_line_without_newline() -> None:
    stream, _ = make_input(b"a\nno newline")
    assert stream.readline() == b"a\n"
    assert stream.readline() == b"no newline"
    assert stream.readline() == b""


# -- readlines and iteration ------------------------------------------------------------------


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_readlines_returns_every_line(factory: Any, length: int | None) -> None:
    stream, log = make_input(factory(), length)
    lines = stream.readlines()
    assert lines == [b"first line\n", b"second line\n", b"third\n"]
    assert all(type(line) is bytes for line in lines)
    assert stream.readlines() == []
    event = reads(log)[0]
    assert (event.method, event.argument, event.size) == ("readlines", -1, len(BODY))


@pytest.mark.parametrize(
    ("hint", "expected"),
    [
        (1, [b"first line\n"]),
        (11, [b"first line\n"]),
        (12, [b"first line\n", b"second line\n"]),
        (0, [b"first line\n", b"second line\n", b"third\n"]),
        (None, [b"first line\n", b"second line\n", b"third\n"]),
    ],
)
def test_readlines_stops_once_the_hint_is_reached(hint: int | None, expected: list[bytes]) -> None:
    stream, log = make_input()
    assert stream.readlines(hint) == expected
    assert b"".join(expected) + stream.read() == BODY
    assert reads(log)[0].argument == hint


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_iteration_yields_lines_and_records_each_step(factory: Any, length: int | None) -> None:
    stream, log = make_input(factory(), length)
    assert iter(stream) is stream
    assert list(stream) == [b"first line\n", b"second line\n", b"third\n"]
    assert [(e.method, e.argument, e.size) for e in reads(log)] == [
        ("__next__", None, 11),
        ("__next__", None, 12),
        ("__next__", None, 6),
        ("__next__", None, 0),
    ]


# -- the length is a hard end -----------------------------------------------------------------


@pytest.mark.parametrize("make_source", [ChunkSource, GreedySource])
def test_never_reads_past_the_declared_length(make_source: Any) -> None:
    """A source holding more than the body (the next request on the connection) stays unread."""
    source = make_source(b"hello" + b"GET /next HTTP/1.1\r\n\r\n")
    stream, _ = make_input(source, 5)
    assert stream.read() == b"hello"
    assert stream.read() == b""
    assert stream.readline() == b""
    assert list(stream) == []
    if isinstance(source, ChunkSource):
        assert all(limit <= 5 for limit in source.requests)
        assert source.data.startswith(b"GET /next")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.read(100),
        lambda s: s.readline(),
        lambda s: s.readline(100),
        lambda s: b"".join(s.readlines()),
        lambda s: b"".join(s),
    ],
    ids=["read-n", "readline", "readline-n", "readlines", "iter"],
)
@pytest.mark.parametrize("make_source", [ChunkSource, GreedySource])
def test_no_method_returns_bytes_beyond_the_length(call: Any, make_source: Any) -> None:
    stream, _ = make_input(make_source(b"abc\ndef\nMORE\n"), 6)
    got = call(stream)
    while part := stream.read(1):
        got += part
    assert b"abc\ndef\nMORE".startswith(got)
    assert len(got) <= 6


def test_bytes_longer_than_the_length_are_cut_at_the_length() -> None:
    stream, _ = make_input(b"hello world", 5)
    assert stream.read() == b"hello"
    assert stream.read() == b""


def test_available_counts_down_the_unread_body() -> None:
    stream, log = make_input(b"abcdefgh")
    stream.read(3)
    stream.readline()
    stream.read()
    assert [e.available for e in reads(log)] == [8, 5, 0]


def test_available_is_unknown_until_an_unframed_source_ends() -> None:
    stream, log = make_input(ChunkSource(b"abcdef"), None)
    stream.read(2)
    stream.read()
    stream.read()
    assert [e.available for e in reads(log)] == [None, None, 0]


# -- short reads ------------------------------------------------------------------------------


@pytest.mark.parametrize("max_read", [1, 2, 5])
@pytest.mark.parametrize(
    "call",
    [lambda s: s.read(4), lambda s: s.read(1000)],
    ids=["read-4", "read-1000"],
)
@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_short_reads_cap_sized_reads_and_never_return_empty_early(
    factory: Any, length: int | None, max_read: int, call: Any
) -> None:
    stream, log = make_input(factory(), length, max_read)
    got = b""
    while got != BODY:
        part = call(stream)
        assert type(part) is bytes
        assert 0 < len(part) <= max_read, f"after {len(got)} of {len(BODY)} bytes"
        got += part
    assert call(stream) == b""
    sizes = [event.size for event in reads(log)]
    assert all(0 < size <= max_read for size in sizes[:-1])
    assert sizes[-1] == 0


@pytest.mark.parametrize(
    "call",
    [lambda s: s.read(), lambda s: s.read(-1), lambda s: s.read(None)],
    ids=["read", "read-1", "read-None"],
)
@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_short_reads_leave_read_all_whole(factory: Any, length: int | None, call: Any) -> None:
    """PEP 3333 keeps the library semantics: ``read()`` returns everything left."""
    stream, _ = make_input(factory(), length, 2)
    assert call(stream) == BODY
    assert call(stream) == b""


@pytest.mark.parametrize(("factory", "length"), SOURCES)
def test_short_reads_leave_lines_whole(factory: Any, length: int | None) -> None:
    stream, _ = make_input(factory(), length, 2)
    lines = [stream.readline(), *list(stream)]
    assert b"".join(lines) == BODY
    assert all(line.endswith(b"\n") for line in lines[:-1])
    assert lines == BODY.splitlines(keepends=True)


def test_short_reads_keep_readlines_complete() -> None:
    stream, _ = make_input(BODY, max_read=2)
    assert b"".join(stream.readlines()) == BODY


# -- size arguments ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["5", 2.0, b"1", True, [3]])
@pytest.mark.parametrize("method", ["read", "readline", "readlines"])
def test_a_size_that_is_not_an_int_raises_type_error(method: str, bad: object) -> None:
    stream, _ = make_input()
    with pytest.raises(TypeError):
        getattr(stream, method)(bad)
    assert stream.read() == BODY


# -- misuse -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["seek", "close", "tell", "fileno", "write", "read1"])
def test_input_attributes_outside_the_pep_raise_and_are_recorded(name: str) -> None:
    stream, log = make_input()
    with pytest.raises(AttributeError):
        getattr(stream, name)
    assert Trace(log).of(StreamMisuse) == [StreamMisuse(stream="wsgi.input", attribute=name)]
    assert not hasattr(stream, "__len__")
    assert len(Trace(log).of(StreamMisuse)) == 1  # dunder probes are not misuse


# -- wsgi.errors ------------------------------------------------------------------------------


def test_error_stream_records_write_writelines_and_flush() -> None:
    log: list[RawEvent] = []
    errors = ErrorStream(log)
    assert errors.write("one\n") == 4
    errors.writelines(["two\n", "three\n"])
    errors.writelines(line for line in ["four\n"])
    errors.flush()
    assert errors.getvalue() == "one\ntwo\nthree\nfour\n"
    assert list(Trace(log)) == [
        ErrorsWritten(method="write", value="one\n"),
        ErrorsWritten(method="writelines", value=["two\n", "three\n"]),
        ErrorsWritten(method="writelines", value=["four\n"]),
        ErrorsWritten(method="flush", value=None),
    ]


def test_error_stream_getvalue_is_empty_before_any_write() -> None:
    assert ErrorStream([]).getvalue() == ""


def test_error_stream_write_of_bytes_is_recorded_then_refused() -> None:
    log: list[RawEvent] = []
    errors = ErrorStream(log)
    with pytest.raises(TypeError):
        errors.write(b"bytes\n")  # type: ignore[arg-type]
    assert list(Trace(log)) == [ErrorsWritten(method="write", value=b"bytes\n")]
    assert errors.getvalue() == ""


def test_error_stream_writelines_with_bytes_is_recorded_then_refused() -> None:
    log: list[RawEvent] = []
    errors = ErrorStream(log)
    with pytest.raises(TypeError):
        errors.writelines(["ok\n", b"bytes\n"])  # type: ignore[list-item]
    assert list(Trace(log)) == [ErrorsWritten(method="writelines", value=["ok\n", b"bytes\n"])]
    assert errors.getvalue() == ""


@pytest.mark.parametrize("name", ["close", "seek", "getvalues", "encoding"])
def test_error_stream_attributes_outside_the_pep_raise_and_are_recorded(name: str) -> None:
    log: list[RawEvent] = []
    errors = ErrorStream(log)
    with pytest.raises(AttributeError):
        getattr(errors, name)
    assert Trace(log).of(StreamMisuse) == [StreamMisuse(stream="wsgi.errors", attribute=name)]


# -- wsgi.file_wrapper ------------------------------------------------------------------------


def test_file_wrapper_iterates_blocks_of_block_size() -> None:
    wrapper = FileWrapper(io.BytesIO(b"abcdefghij"), 4)
    assert list(wrapper) == [b"abcd", b"efgh", b"ij"]


def test_file_wrapper_default_block_size_reads_a_small_file_in_one_block() -> None:
    assert list(FileWrapper(io.BytesIO(b"abc"))) == [b"abc"]


def test_file_wrapper_close_closes_the_file() -> None:
    filelike = io.BytesIO(b"abc")
    wrapper = FileWrapper(filelike)
    wrapper.close()
    assert filelike.closed


def test_the_file_is_closed_by_the_wrapper_not_by_an_iterator_over_it() -> None:
    """PEP 3333 asks the file_wrapper's iterable for a close() that closes the file, and
    promises nothing of ``iter(wrapper)`` (the iterator of the PEP's own sample wrapper has
    no close()). Whoever wraps the wrapper must close the wrapper: Werkzeug's range support
    closes ``iter(wrapper)`` instead, which leaves the file open here, as under the PEP's
    sample; wsgiref's, gunicorn's and waitress's wrappers happen to be their own iterators."""
    filelike = io.BytesIO(b"abcdef")
    wrapper = FileWrapper(filelike, 2)
    blocks = iter(wrapper)
    assert next(blocks) == b"ab"
    blocks.close()  # type: ignore[attr-defined]
    assert not filelike.closed
    wrapper.close()
    assert filelike.closed


def test_file_wrapper_close_without_a_close_method_is_fine() -> None:
    class ReadOnly:
        def read(self, size: int = -1) -> bytes:
            return b""

    FileWrapper(ReadOnly()).close()


def test_file_wrapper_for_records_each_call_with_its_caller() -> None:
    log: list[RawEvent] = []
    file_wrapper = file_wrapper_for(log)
    wrapper = file_wrapper(io.BytesIO(b"data"), 2)
    line = test_file_wrapper_for_records_each_call_with_its_caller.__code__.co_firstlineno + 3
    assert isinstance(wrapper, FileWrapper)
    assert list(wrapper) == [b"da", b"ta"]
    file_wrapper(object())
    events = Trace(log).of(FileWrapperCalled)
    assert [(e.filelike_type, e.has_read, e.block_size) for e in events] == [
        ("BytesIO", True, 2),
        ("object", False, 8192),
    ]
    assert events[0].where is not None
    assert events[0].where.file == __file__
    assert events[0].where.line == line
    assert events[0].where.function == "test_file_wrapper_for_records_each_call_with_its_caller"


# -- one family: the core's streams and the validator's guards record alike ------------------


def _stream_user(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Reads its body by each PEP method, logs, and probes for a method the PEP does not give."""
    stream = environ["wsgi.input"]
    stream.read(6)
    stream.readline()
    stream.readlines()
    hasattr(stream, "readinto")
    errors = environ["wsgi.errors"]
    errors.write("one\n")
    errors.writelines(["two\n"])
    errors.flush()
    hasattr(errors, "buffer")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _stream_events(events: list[RawEvent]) -> list[RawEvent]:
    return [each for each in events if type(each) in (InputRead, ErrorsWritten, StreamMisuse)]


def test_the_core_and_the_validator_record_the_streams_alike() -> None:
    """The same app, once under wsgicheck's own server (its streams) and once wrapped by
    ``validator`` under wsgiref's (its guards over wsgiref's streams): the same stream events."""
    from wsgiref.util import setup_testing_defaults

    from wsgicheck import Client, validator
    from wsgicheck.core.streams import StreamGuard
    from wsgicheck.drivers.validation_guards import ErrorsGuard, InputGuard

    own = Client(_stream_user).post("/", body=BODY)
    seen: list[Any] = []
    wrapped = validator(_stream_user, collect=True, on_exchange=seen.append)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "CONTENT_LENGTH": str(len(BODY)),
        "wsgi.input": io.BytesIO(BODY),
        "wsgi.errors": io.StringIO(),
    }
    setup_testing_defaults(environ)
    result = wrapped(environ, lambda status, headers, exc_info=None: None)
    assert type(environ["wsgi.input"]) is InputGuard
    assert type(environ["wsgi.errors"]) is ErrorsGuard
    for kind in (InputStream, ErrorStream, InputGuard, ErrorsGuard):
        assert issubclass(kind, StreamGuard)
    list(result)
    result.close()  # type: ignore[attr-defined]
    (exchange,) = seen
    line = _stream_user.__code__.co_firstlineno + 3  # where each read is, each its own line
    expected = [
        InputRead("read", 6, 6, len(BODY), where=Location(__file__, line, "_stream_user")),
        InputRead(
            "readline",
            -1,
            5,
            len(BODY) - 6,
            ended_line=True,
            where=Location(__file__, line + 1, "_stream_user"),
        ),
        InputRead(
            "readlines",
            -1,
            len(BODY) - 11,
            len(BODY) - 11,
            where=Location(__file__, line + 2, "_stream_user"),
        ),
        StreamMisuse("wsgi.input", "readinto"),
        ErrorsWritten("write", "one\n"),
        ErrorsWritten("writelines", ["two\n"]),
        ErrorsWritten("flush", None),
        StreamMisuse("wsgi.errors", "buffer"),
    ]
    assert _stream_events(list(own.trace)) == expected
    assert _stream_events(list(exchange.response.trace)) == [
        # The validator records the argument the app passed (None when it passed none).
        each._replace(argument=None) if type(each) is InputRead and each.argument == -1 else each
        for each in expected
    ]


class FailingSource:
    """Hands out ``data`` a piece at a time, then raises (a client gone mid-body)."""

    def __init__(self, data: bytes, piece: int) -> None:
        self.data, self.piece = data, piece

    def read_some(self, limit: int) -> bytes:
        if not self.data:
            raise ConnectionResetError("client gone")
        data, self.data = self.data[: min(limit, self.piece)], self.data[min(limit, self.piece) :]
        return data


@pytest.mark.parametrize("size", [10, -1], ids=["sized", "all"])
def test_a_read_the_source_fails_under_loses_none_of_what_came(size: int) -> None:
    """Review of 2026-12-05: a read that had taken the buffered bytes lost them when a fill
    after them raised; an app that catches the error and reads again gets them, as before
    the stream kept a read position."""
    stream, log = make_input(FailingSource(b"abcd", 2), length=10)
    with pytest.raises(ConnectionResetError):
        stream.read(size)
    assert stream.read(4) == b"abcd"
    last = reads(log)[-1]
    assert (last.size, last.available) == (4, 10)


def test_a_read_that_is_its_threads_first_frame_is_recorded_without_a_place() -> None:
    """A review of 2026-12-06: a thread started on ``wsgi.input.read`` itself has no frame
    above the read, and looking for the app's place there raised (ValueError), after the
    bytes were taken: they were lost, and no read was recorded. Both families of streams;
    a raise in the thread would fail this test too (pytest's unraisable hook)."""
    import _thread

    from wsgicheck import Client, validator

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        stream = environ["wsgi.input"]
        _thread.start_new_thread(stream.read, (3,))
        for _ in range(200):  # bounded: until the thread has read
            if _consumed(stream):
                break
            time.sleep(0.01)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    response = Client(app).post("/", body=BODY)
    reads = [(each.size, each.where) for each in response.trace if type(each) is InputRead]
    assert reads[0] == (3, None)
    checked: list[Any] = []
    response = Client(validator(app, collect=True, on_exchange=checked.append)).post("/", body=BODY)
    (exchange,) = checked
    reads = [(each.size, each.where) for each in exchange.response.trace if type(each) is InputRead]
    assert reads[0] == (3, None)


def _consumed(stream: Any) -> bool:
    """Whether the thread's read of 3 bytes is done (the stream's own count, or the guard's)."""
    return int(getattr(stream, "_consumed", 0)) >= 3
