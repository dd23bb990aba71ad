"""Application rules on the streams: wsgi.input, wsgi.errors and wsgi.file_wrapper."""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import ErrorsWritten
from ..model.untrusted import plain, type_name
from .exchange import Exchange, environ_of
from .registry import Binding, Finding, Level, Rule, at, quoted, rule

STREAMS = "Input and Error Streams"


def _written(event: ErrorsWritten) -> list[object]:
    """What one call on wsgi.errors wrote: nothing for flush, each line for writelines."""
    if event.method == "flush":
        return []
    if event.method == "writelines" and isinstance(event.value, list):
        return event.value
    return [event.value]


@rule(
    "APP-INPUT-NO-READ-PAST-CL",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=STREAMS,
    summary="the app does not ask wsgi.input for more than CONTENT_LENGTH bytes",
    pep="""The server is not required to read past the client's specified Content-Length,
    and should simulate an end-of-file condition if the application attempts to read past
    that point. The application should not attempt to read more data than is specified by
    the CONTENT_LENGTH variable.""",
    applies=lambda ex: not environ_of(ex).get("wsgi.input_terminated"),
    needs=("input", "environ"),
    memo="exchange",
    example="""
bad:  body = environ["wsgi.input"].read(65536)
fix:  length = int(environ.get("CONTENT_LENGTH") or 0)
      body = environ["wsgi.input"].read(length)""",
)
def input_no_read_past_cl(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Without wsgi.input_terminated, a server may hand the app the raw socket: a read past
    # CONTENT_LENGTH then blocks until the client gives up. read() with no size is allowed
    # (PEP 3333 note 1 asks servers to support it), so only sized reads count. A readline's
    # size is a cap on the line, not a wish for that many bytes: one that stopped at a line
    # break inside the body read no further on a socket either (the stdlib cgi module's
    # readline(65536) on a multipart body, which PEP 3333 names as the reason for the size).
    short: tuple[int, int] | None = None  # (size, got) of a read for all left that got less
    for read in ex.input_reads:
        size = read.argument
        if read.available is None or size is None or not isinstance(size, int) or size < 0:
            continue
        if read.method == "readline" and read.ended_line and read.size <= read.available:
            continue
        if read.method in ("read", "readline") and size > read.available:
            left = f"with {read.available} bytes of body left"
            if environ_of(ex).get("CONTENT_LENGTH") in (None, "") and not read.available:
                # Roundup's FieldStorage on a bodiless TRACE: it hangs under wsgiref.
                left = (
                    "with no CONTENT_LENGTH, a body of none to read, and no "
                    "wsgi.input_terminated (a server may give the socket itself, where the "
                    "read waits for the client)"
                )
            told = _after_short_read(short, size) if short is not None else ""
            yield self.finding(ex, f"wsgi.input.{read.method}({size}) {left}{told}", read.where)
            return
        # A read for all that was left, which got less (Trac reads CONTENT_LENGTH at once).
        if short is None and read.method == "read" and read.size < read.available <= size:
            short = (size, read.size)


def _after_short_read(short: tuple[int, int], asked: int) -> str:
    """What APP-INPUT-NO-READ-PAST-CL says of the short read before the read past the body:
    asked for again whole (Trac: it took one read for all of it), or for another size (a
    count of what is left gone wrong: Webware 3.1 takes away characters, not bytes)."""
    size, got = short
    first = f", after a read({size}) got {got} bytes (a short read, which a stream may give)"
    if asked == size:
        return f"{first}: one read of CONTENT_LENGTH bytes is not sure to get them all"
    return f"{first}: the app's count of the bytes still to read was wrong"


@rule(
    "APP-STREAMS-ONLY-SPEC-METHODS",
    level=Level.MUST,
    binding=Binding.APP,
    section=STREAMS,
    summary="the app uses only read/readline/readlines/iteration on wsgi.input, "
    "write/writelines/flush on wsgi.errors",
    pep="""Applications conforming to this specification must not use any other methods or
    attributes of the input or errors objects.""",
    needs=("environ",),
    memo="exchange",
    finds=("misuse",),
    example="""
bad:  environ["wsgi.input"].seek(0)
fix:  body = environ["wsgi.input"].read(length); work on the bytes""",
)
def streams_only_spec_methods(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # wsgicheck's streams (and the validator's guards) have only the PEP's methods, so
    # reaching for another one fails with AttributeError. Looking one up is not a
    # violation in itself: Werkzeug probes ``hasattr(stream, "readinto")`` and falls back
    # to read() when it is missing. The app breaks the rule when it depended on it: the
    # AttributeError escaped.
    for misuse in ex.misuse:
        if misuse.attribute == "close":
            continue
        quoted = f"'{misuse.attribute}'"
        if any(
            raised.exc_type == "AttributeError" and quoted in raised.message for raised in ex.raised
        ):
            yield self.finding(
                ex, f"{misuse.stream}.{misuse.attribute} used: the app failed without it"
            )


@rule(
    "APP-STREAMS-NO-CLOSE",
    level=Level.MUST,
    binding=Binding.APP,
    section=STREAMS,
    summary="the app never closes wsgi.input or wsgi.errors",
    pep="""In particular, applications must not attempt to close these streams, even if they
    possess close() methods.""",
    needs=("environ",),
    memo="exchange",
    finds=("misuse",),
    example="""
bad:  with environ["wsgi.input"] as stream: ...
fix:  stream = environ["wsgi.input"]; data = stream.read(length)""",
)
def streams_no_close(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for misuse in ex.misuse:
        if misuse.attribute == "close":
            yield self.finding(ex, f"{misuse.stream}.close() called")


@rule(
    "APP-ERRORS-WRITE-STR",
    level=Level.MUST,
    binding=Binding.APP,
    section=STREAMS + "; A Note On String Types",
    summary="wsgi.errors.write() and writelines() are given str",
    pep="""write(str) errors writelines(seq) errors""",
    needs=("errors",),
    memo="exchange",
    example="""
bad:  environ["wsgi.errors"].write(b"oops\\n")
fix:  environ["wsgi.errors"].write("oops\\n")""",
)
def errors_write_str(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.errors_writes:
        for value in _written(event):
            if not isinstance(value, str):
                yield self.finding(
                    ex, f"wsgi.errors.{event.method}() got {type_name(value)} {quoted(value)}"
                )
                return


@rule(
    "APP-ERRORS-NEWLINE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="environ Variables",
    summary="text written to wsgi.errors ends lines with \\n, not \\r\\n",
    pep="""This should be a "text mode" stream; i.e., applications should use "\\n" as a line
    ending, and assume that it will be converted to the correct line ending by the
    server/gateway.""",
    needs=("errors",),
    memo="exchange",
    example="""
bad:  environ["wsgi.errors"].write("oops\\r\\n")
fix:  environ["wsgi.errors"].write("oops\\n")""",
)
def errors_newline(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.errors_writes:
        for value in _written(event):
            if isinstance(value, str) and "\r\n" in plain(value):
                yield self.finding(ex, "wsgi.errors got '\\r\\n'")
                return


@rule(
    "APP-FILELIKE-READ",
    level=Level.MUST,
    binding=Binding.APP,
    section="Optional Platform-Specific File Handling",
    summary="what the app passes to wsgi.file_wrapper has a read() method",
    pep="""To be considered "file-like", the object supplied by the application must have a
    read() method that takes an optional size argument.""",
    needs=("file_wrapper",),
    memo="exchange",
    example="""
bad:  environ["wsgi.file_wrapper"](b"bytes")
fix:  environ["wsgi.file_wrapper"](io.BytesIO(b"bytes"))""",
)
def filelike_read(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.file_wrapper_calls:
        if not call.has_read:
            yield self.finding(
                ex,
                f"wsgi.file_wrapper got a {call.filelike_type} without read(){at(call.where)}",
                call.where,
            )
