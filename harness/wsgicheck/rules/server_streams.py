"""Server rules on the streams it hands the app: wsgi.input and wsgi.errors.

Each read of ``wsgi.input`` is recorded with what was asked, what came back and how much of
the body was left (:class:`~wsgicheck.model.events.InputRead`), by wsgicheck's own stream or by the
validator's guard around a foreign server's; the rules compare the three.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import ErrorsWritten, InputRead
from ..model.grammar import decimal
from ..model.request import Framing
from ..model.untrusted import safe_repr
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, byte_count, rule
from .server_evidence import judgeable, observed_after

STREAMS = "Input and Error Streams"


def _no_size(read: InputRead) -> bool:
    """A read() or readline() with no size (None, or negative as the io module takes it)."""
    argument = read.argument
    return argument is None or (type(argument) is int and argument < 0)


def _asks(read: InputRead) -> bool:
    """Whether the read asked for anything (``read(0)`` asks for nothing)."""
    return read.method in ("readlines", "__next__") or read.argument != 0


def _raised(ex: Exchange, call: str) -> list[str]:
    """Details of the reads that raised TypeError, whose call started with ``call``."""
    return [
        seen.detail
        for seen in ex.observations("input-raised")
        if seen.detail.startswith(call) and seen.detail.endswith(": TypeError")
    ]


@rule(
    "SRV-INPUT-BYTES",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Unicode Issues",
    summary="everything read from wsgi.input is bytes",
    pep="""For values referred to in this specification as "bytestrings" (i.e., values read
    from wsgi.input, passed to write() or yielded by the application), the value must be
    of type bytes under Python 3""",
    applies=lambda ex: bool(ex.input_reads) or bool(ex.observations("input-returned")),
    needs=(),
    memo="exchange",
    finds=("observed:input-returned",),
    example="""
bad:  environ["wsgi.input"] = io.TextIOWrapper(sock.makefile("rb"))
fix:  environ["wsgi.input"] = sock.makefile("rb")   # bytes""",
)
def input_bytes(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("input-returned"):
        yield self.finding(ex, f"wsgi.input.{seen.detail}, not bytes")


@rule(
    "SRV-INPUT-EOF-AT-CL",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=STREAMS,
    summary="wsgi.input ends at CONTENT_LENGTH: a read never returns more than is left",
    pep="""The server is not required to read past the client's specified Content-Length,
    and should simulate an end-of-file condition if the application attempts to read past
    that point.""",
    applies=lambda ex: any(read.available is not None for read in ex.input_reads),
    needs=("input",),
    memo="exchange",
    example="""
bad:  environ["wsgi.input"] = sock.makefile("rb")    # read() runs into the next request
fix:  wrap it so reads stop at CONTENT_LENGTH bytes""",
)
def input_eof_at_cl(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Bytes a probe's client saw added after the whole body, and not the next request's,
    # were made up, not read past the end (SRV-INPUT-LINES's; a2wsgi ends a last line the
    # body left open with b"\n"): a line read past the end by no more than those is not
    # this rule's.
    made_up = max((int(seen.detail) for seen in ex.observations(LINES_ADDED)), default=0)
    for read in ex.input_reads:
        if read.available is None or read.available <= 0 or read.size <= read.available:
            continue
        if read.method in ("readlines", "__next__") and read.size - read.available <= made_up:
            continue
        yield self.finding(
            ex,
            f"wsgi.input.{read.method}({_argument(read)}) returned {read.size} bytes with "
            f"{read.available} left before CONTENT_LENGTH: "
            f"{byte_count(read.size - read.available)} past the end of the body",
        )
        return


def _argument(read: InputRead) -> str:
    return "" if read.argument is None else safe_repr(read.argument)


@rule(
    "SRV-INPUT-READ-NOARG",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=STREAMS,
    summary="wsgi.input.read() with no size returns the rest of the body",
    pep="""A server should allow read() to be called without an argument, and return the
    remainder of the client's input stream.""",
    applies=lambda ex: (
        any(read.method == "read" and _no_size(read) for read in ex.input_reads)
        or bool(_raised(ex, "read(None)"))
    ),
    needs=("reads",),
    memo="exchange",
    example="""
bad:  def read(self, size): ...                       # read() is a TypeError
fix:  def read(self, size=-1): ...                    # all that is left""",
)
def input_read_noarg(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for detail in _raised(ex, "read(None)"):
        yield self.finding(ex, f"wsgi.input.{detail}: read() needs a size on this server")
        return
    for read in ex.input_reads:
        if (
            read.method == "read"
            and _no_size(read)
            and read.available is not None
            and read.size < read.available
        ):
            yield self.finding(
                ex, f"wsgi.input.read() returned {read.size} bytes of the {read.available} left"
            )
            return


@rule(
    "SRV-INPUT-EMPTY-AT-EOF",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=STREAMS,
    summary="once wsgi.input is empty or exhausted, every read returns b''",
    pep="""A server should return empty bytestrings from any attempt to read from an empty
    or exhausted input stream.""",
    applies=lambda ex: bool(ex.input_reads),
    needs=("input",),
    memo="exchange",
    example="""
bad:  a stream that rewinds, or reads the next request, once the body is used up
fix:  return b"" from every read after the end""",
)
def input_empty_at_eof(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A probe knows more: extra.input_blocked says the app's reads returned only once
    # the client had shut its side of the connection. For a request without a body, that
    # is a read of an empty stream that waited instead of returning b"".
    if ex.extra.input_blocked is True and not ex.request.body:
        yield self.finding(
            ex,
            "a read of wsgi.input for a request with no body waited until the client shut "
            "its side of the connection, instead of returning b''",
        )
        return
    ended = False
    for read in ex.input_reads:
        if read.size > 0 and (ended or read.available == 0):
            yield self.finding(
                ex,
                f"wsgi.input.{read.method}({_argument(read)}) returned {read.size} bytes after "
                "the end of the body",
            )
            return
        if read.size == 0 and _asks(read) and not read.available:
            # A call that gave nothing with body left is no end of the stream (a broken
            # readlines() or iteration is SRV-INPUT-LINES'): later reads may still have it.
            ended = True


#: What a probe's client saw when the lines the app read from wsgi.input were not the body
#: it sent, nor the body with the next request after it (a ServerObserved event; its detail
#: says how they differ).
LINES_CHANGED = "input-lines-changed"
#: Of those, how many bytes came after the whole body (its detail: the number).
LINES_ADDED = "input-lines-added"
#: A line read held more than one line (its detail: which read, how many lines).
LINES_JOINED = "input-lines-joined"


def _lines_raised(ex: Exchange) -> list[str]:
    """Details of the calls of readlines() with no hint that raised."""
    return [
        seen.detail
        for seen in ex.observations("input-raised")
        if seen.detail.startswith("readlines(None): ")
    ]


@rule(
    "SRV-INPUT-LINES",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=STREAMS,
    summary="readlines() and iteration over wsgi.input give every line of the body, as sent",
    pep="""The input and error streams provided by the server must support the following
    methods: ... The semantics of each method are as documented in the Python Library
    Reference, except for these notes as listed in the table above""",
    covers=(),
    applies=lambda ex: (
        any(
            read.method in ("readlines", "__next__") and read.available is not None
            for read in ex.input_reads
        )
        or bool(ex.observations(LINES_CHANGED))
        or bool(ex.observations(LINES_JOINED))
        or bool(_lines_raised(ex))
    ),
    needs=("reads",),
    memo="exchange",
    example="""
bad:  def readlines(self, hint=0): ... self.readline(hint)   # readline(0) is b"": []
bad:  return [line + b"\\n" for line in data.split(b"\\n")]    # a newline the body lacks
bad:  def __iter__(self): return iter(self.read, b"")          # blocks, not lines
fix:  def readlines(self, hint=-1): return list(iter(self.readline, b""))""",
)
def input_lines(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # io.IOBase: readlines() with no hint reads to the end; iteration stops only at the end.
    # Reading past the end is SRV-INPUT-EOF-AT-CL's; this is stopping short of it, changing
    # the lines (seen by a probe's client, which knows the body), or failing to read them.
    for detail in _lines_raised(ex):
        yield self.finding(ex, f"wsgi.input.readlines() raised {detail.partition(': ')[2]}")
        return
    for seen in ex.observations(LINES_CHANGED):
        yield self.finding(ex, f"the lines read from wsgi.input were not the body: {seen.detail}")
        return
    for seen in ex.observations(LINES_JOINED):
        # io.IOBase: a line read stops at the first line break; iteration gives lines.
        yield self.finding(ex, f"a line read from wsgi.input was more than one line: {seen.detail}")
        return
    for read in ex.input_reads:
        if read.available is None or not read.available:
            continue
        whole = read.method == "readlines" and (
            read.argument is None or (type(read.argument) is int and read.argument <= 0)
        )
        if whole and read.size < read.available:
            yield self.finding(
                ex,
                f"wsgi.input.readlines() returned {read.size} bytes with {read.available} "
                "of the body left",
            )
            return
        if read.method == "__next__" and read.size == 0:
            yield self.finding(
                ex,
                f"iterating over wsgi.input stopped with {read.available} bytes of the body left",
            )
            return


@rule(
    "SRV-INPUT-READLINE-SIZE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=STREAMS,
    summary="wsgi.input.readline(size) returns at most size bytes",
    pep="""Servers should support the optional "size" argument to readline(), but as in WSGI
    1.0, they are allowed to omit support for it.""",
    applies=lambda ex: (
        any(
            read.method == "readline" and type(read.argument) is int and read.argument >= 0
            for read in ex.input_reads
        )
        or bool(_raised(ex, "readline("))
    ),
    needs=("reads",),
    memo="exchange",
    example="""
bad:  def readline(self): ...                 # readline(1024) is a TypeError
fix:  def readline(self, size=-1): ...""",
)
def input_readline_size(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for detail in _raised(ex, "readline("):
        if not detail.startswith("readline(None)"):
            yield self.finding(ex, f"wsgi.input.{detail}: readline() takes no size here")
            return
    for read in ex.input_reads:
        size = read.argument
        if read.method == "readline" and type(size) is int and 0 <= size < read.size:
            yield self.finding(ex, f"wsgi.input.readline({size}) returned {read.size} bytes")
            return


def _read_to_end(ex: Exchange) -> bool:
    return any(
        (read.method == "read" and _no_size(read)) or (read.size == 0 and _asks(read))
        for read in ex.input_reads
    )


@rule(
    "SRV-HANDLE-INBOUND-HOP",
    level=Level.MUST,
    binding=Binding.SERVER,
    # The PEP's "supported" leaves chunked to HTTP, which makes it so: "A recipient MUST be
    # able to parse and decode the chunked transfer coding" (RFC 9112 §7.1).
    section="Other HTTP Features; RFC 9112 §7.1",
    summary="a chunked request body reaches the app decoded",
    pep="""WSGI servers must handle any supported inbound "hop-by-hop" headers on their own,
    such as by decoding any inbound Transfer-Encoding, including chunked encoding if
    applicable.""",
    applies=lambda ex: (
        ex.request.framing is Framing.CHUNKED and judgeable(ex) and ex.environ is not None
    ),
    needs=("environ", "request:chunked"),
    memo="exchange",
    example="""
bad:  environ["wsgi.input"] = sock.makefile("rb")   # the app reads "5\\r\\nhello\\r\\n0\\r\\n..."
fix:  decode the chunked framing and give the app the payload (wsgi.input_terminated)""",
)
def handle_inbound_hop(self: Rule, ex: Exchange) -> Iterator[Finding]:
    decoded = ex.response.request_body_size
    assert ex.environ is not None
    length = ex.environ.get("CONTENT_LENGTH")
    if isinstance(length, str) and decimal(length) not in (None, decoded):
        yield self.finding(
            ex, f"CONTENT_LENGTH is {length} for a chunked body of {decoded} bytes decoded"
        )
        return
    total = sum(read.size for read in ex.input_reads)
    if total > decoded or (_read_to_end(ex) and total != decoded):
        yield self.finding(
            ex, f"the app read {total} bytes of a chunked body of {decoded} bytes decoded"
        )


def _all_text(event: ErrorsWritten) -> bool:
    values = event.value if event.method == "writelines" else [event.value]
    return isinstance(values, list) and all(isinstance(value, str) for value in values)


@rule(
    "SRV-ERRORS-UNICODE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section="environ Variables",
    summary="wsgi.errors takes any str without raising",
    pep="""On platforms where the str type is unicode, the error stream should accept and
    log arbitrary unicode without raising an error; it is allowed, however, to substitute
    characters that cannot be rendered in the stream's encoding.""",
    applies=lambda ex: any(
        event.method != "flush" and _all_text(event) for event in ex.errors_writes
    ),
    needs=("errors",),
    memo="exchange",
    finds=("observed:errors-raised",),
    example="""
bad:  environ["wsgi.errors"] = open("errors.log", "w", encoding="ascii")
fix:  open("errors.log", "w", encoding="utf-8", errors="backslashreplace")""",
)
def errors_unicode(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.errors_writes:
        if event.method == "flush" or not _all_text(event):
            continue
        seen = observed_after(ex, event, "errors-raised")
        if seen is not None:
            yield self.finding(ex, f"wsgi.errors.{seen.detail} for text the app wrote")
            return
