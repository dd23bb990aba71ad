"""The probe app's scenarios: small WSGI apps, each showing one thing a server does.

A request names its scenario in the ``X-Wsgicheck-Probe`` header (``"<id> <scenario>
[<arg>]"``). Some scenarios break application rules on purpose (a hop-by-hop header, a body
longer than its Content-Length): the point is what the *server* does then. Every wait is
bounded, so a server that misbehaves costs the probe seconds, never a hang.

The constants they share with the prober, which knows what each scenario should produce
(the bytes of a file, the blocks of a body), live in :mod:`.scenario_base`, with the
context every scenario sees.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ..drivers.validation_guards import server_object
from ..model.untrusted import safe_repr
from ..rules.environ_headers import REQUEST_VARIABLES
from .scenario_base import (
    ANSWER_HEADER,
    BINARY_BODY,
    BLOCK_WAIT,
    CALLABLE_KINDS,
    CLIENT_SHUT,
    CONDITIONAL_BODY,
    CONDITIONAL_TAG,
    DISCONNECT_BLOCK,
    DISCONNECT_BLOCKS,
    FILE_DATA,
    FILE_LENGTH,
    FILE_OFFSET,
    FIRST_BLOCK,
    HANGUP_WAIT,
    HEADER,
    MAX_READS,
    OTHER_BODY,
    SECOND_BLOCK,
    SHORT_BODY,
    SHORT_LENGTH,
    TEXT,
    TOGETHER_WAIT,
    UNICODE_ERRORS_TEXT,
    Context,
    ProbeError,
    Scenario,
    declared_length,
    length_field,
    parse_header,
    read_body,
)
from .scenarios_errors import bad_headers, exc_info, exc_ref, raising

__all__ = [
    "ANSWER_HEADER",
    "BINARY_BODY",
    "CALLABLE_KINDS",
    "DEFER_BODY",
    "FILE_DATA",
    "HANDED_AS_LIST",
    "HEADER",
    "LATIN1_VALUE",
    "SCENARIOS",
    "Context",
    "ProbeError",
    "expected_file_body",
    "parse_header",
]


#: The body of the echo scenario: a response that carries it came from the probe app.
ECHO_BODY = b"wsgicheck probe: echo\n"


def echo(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Read the body and answer, naming the request answered (its probe id); the environ
    the server built travels in the record."""
    read_body(environ)
    answer = (ANSWER_HEADER, str(ctx.probe_id))
    # Run by hand (a replay of a probe's request: no prober to send the record to), the
    # environ is the evidence an ENV finding's replay looks for: the body shows it.
    body = ECHO_BODY if ctx.channel is not None else ECHO_BODY + environ_text(environ)
    start_response("200 OK", [TEXT, length_field(body), answer])
    return [body]


def environ_text(environ: dict[str, Any]) -> bytes:
    """The environ as the replay's answer shows it: a line a key, its value's repr (its type
    where that is not str), escaped as the reports escape; for the streams and the file
    wrapper, the server's own objects, not the validator's guards around them. Keys of the
    server's process environment (wsgiref copies all of it, re-encoding some values) are
    left out but for the CGI variables a server sets from the request: they are no part of
    the request, and may be secrets."""
    lines = ["the environ the server built:"]
    hidden = 0
    for key, value in sorted(environ.items(), key=lambda item: str(item[0])):
        if isinstance(key, str) and key in os.environ and key not in REQUEST_VARIABLES:
            hidden += 1
            continue
        value = server_object(value)
        kind = "" if type(value) is str else f" ({type(value).__name__})"
        lines.append(f"{safe_repr(key)}: {safe_repr(value)}{kind}")
    if hidden:
        lines.append(f"({hidden} keys of the server's process environment left out)")
    return ("\n".join(lines) + "\n").encode()


class _ClosingBody:
    """An iterable with close(): the blocks, then (if asked) an exception or a wait."""

    def __init__(self, ctx: Context, blocks: list[bytes], fail: bool, hangup: bool) -> None:
        self.ctx = ctx
        self.blocks = blocks
        self.fail = fail
        self.hangup = hangup

    def __iter__(self) -> Iterator[bytes]:
        yield from self.blocks
        if self.fail:
            raise ProbeError("wsgicheck probe: raised during iteration, after the first block")
        if self.hangup:
            # Go on only once the client has hung up, so the writes below meet a closed
            # connection; a server may stop asking at any point (and must still close()).
            self.ctx.wait_for("client-gone", HANGUP_WAIT)
            for _ in range(DISCONNECT_BLOCKS):
                yield DISCONNECT_BLOCK

    def close(self) -> None:
        """Exists; the validator around the scenario records each call."""


class _ClosingList(list[bytes]):
    """A list with close(): the server gets it as a list (see :data:`HANDED_AS_LIST`)."""

    def close(self) -> None:
        """Exists; the validator around the scenario records each call."""


def closing(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """An iterable with close(), ended normally, by an exception, or by the client leaving;
    or (``list``) a list with close()."""
    read_body(environ)
    mode = ctx.arg or "normal"
    headers = [TEXT]
    blocks = [b"closing body: block one\n", b"block two\n"]
    if mode in ("normal", "list"):
        headers.append(("Content-Length", str(sum(map(len, blocks)))))
    start_response("200 OK", headers)
    if mode == "list":
        return _ClosingList(blocks)
    if mode != "normal":
        blocks = blocks[:1]
    return _ClosingBody(ctx, blocks, fail=mode == "error", hangup=mode == "disconnect")


def write(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """write() first, then blocks yielded: both must go out, in order."""
    read_body(environ)
    send = start_response("200 OK", [TEXT])
    send(b"written with write(); ")
    return [b"then yielded\n"]


def input_stream(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Read wsgi.input one way (``arg``), then answer with what was read."""
    stream = environ["wsgi.input"]
    length = declared_length(environ) or 0
    mode = ctx.arg
    got: list[bytes] = []
    if mode == "read":
        got += [stream.read(), stream.read()]
    elif mode == "read-past":
        got += [stream.read(length + 100), stream.read(10)]
    elif mode == "readline":
        for _ in range(MAX_READS):
            line = stream.readline(5)
            got.append(line)
            if not line:
                break
    elif mode == "readlines":
        got += stream.readlines()
        got.append(stream.read(1))
    elif mode == "iter":
        for count, line in enumerate(stream):
            got.append(line)
            if count >= MAX_READS:
                break
    elif mode == "empty":
        got += [stream.read(), stream.read(10), stream.readline()]
    elif mode == "empty-lines":
        got += stream.readlines()
    elif mode == "sized":
        total = 0
        for _ in range(MAX_READS):
            if total >= length:
                break
            data = stream.read(7)
            if not data:
                break
            got.append(data)
            total += len(data)
        got.append(stream.read(7))
    elif mode.startswith("chunked"):
        # A chunked body: to the end if the server says the stream ends there, else as
        # many bytes as the client sent on the wire (a server that passes the framing
        # through has exactly that many; one that decodes it ends sooner).
        if environ.get("wsgi.input_terminated"):
            for _ in range(MAX_READS):
                data = stream.read(65536)
                if not data:
                    break
                got.append(data)
        else:
            raw = int(mode.partition("=")[2] or 0)
            got.append(stream.read(raw))
    body = b"".join(piece for piece in got if isinstance(piece, bytes))
    ctx.note("input_read", len(body))
    # Whether the reads returned only once the client had shut its side (it does so where
    # no answer came): they waited for the connection's end.
    ctx.note("reads_ended_after_shut", ctx.flag_raised(CLIENT_SHUT))
    start_response("200 OK", [TEXT, length_field(body)])
    return [body]


def expect(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Say when the first read starts (the prober compares with when 100 Continue came)."""
    ctx.raise_flag("reading")
    total = read_body(environ)
    body = b"read %d bytes\n" % total
    start_response("200 OK", [TEXT, length_field(body)])
    return [body]


def content_length(
    ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """A body shorter (``short``; ``short-raise``, cut by the app's exception) or longer
    (``long``, ``long-write``; ``long-list``, handed to the server as a list) than its
    Content-Length."""
    read_body(environ)
    if ctx.arg in ("short", "short-raise"):
        start_response("200 OK", [TEXT, ("Content-Length", str(SHORT_LENGTH))])
        return _short_then_raise() if ctx.arg == "short-raise" else [SHORT_BODY]
    if ctx.arg == "long-write":
        send = start_response("200 OK", [TEXT, ("Content-Length", "4")])
        send(b"abcd")
        try:
            send(b"efgh")
        except Exception:
            ctx.note("write_refused", True)
        return []
    start_response("200 OK", [TEXT, ("Content-Length", "4")])
    return [b"abcd", b"efgh", b"ij"]


def _short_then_raise() -> Iterator[bytes]:
    yield SHORT_BODY
    raise ProbeError("wsgicheck probe: raised inside a body shorter than its Content-Length")


#: The scenarios (name, arg) whose list the probe app hands the server as a list, not as the
#: validator's iterable around it: a server may take a list's blocks by a path of its own
#: (Granian 2.8 sends them all past the Content-Length, and never closes a list subclass).
HANDED_AS_LIST = frozenset({("content-length", "long-list"), ("close", "list")})


#: The statuses the no-body scenarios answer with, by ``arg``.
_STATUSES = {"200": "200 OK", "204": "204 No Content", "304": "304 Not Modified"}


def no_body(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A body the app gives where HTTP allows none (a HEAD request, a 204 or 304: ``arg``):
    the app is wrong, and the server must keep the connection's framing anyway."""
    read_body(environ)
    body = b"a body that must not be sent\n"
    start_response(_STATUSES.get(ctx.arg, "200 OK"), [TEXT, length_field(body)])
    return [body]


def conditional(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A representation with an entity tag: its 200, or, to If-None-Match naming the tag, a
    304 with no body and no Content-Length (RFC 9110 §13.1.2); to HEAD, a 200 with neither.
    A length the 304 or the HEAD carries is the server's, and only the GET's 200's may be
    it (§8.6)."""
    read_body(environ)
    tag = ("ETag", CONDITIONAL_TAG)
    if environ.get("HTTP_IF_NONE_MATCH") == CONDITIONAL_TAG:
        start_response("304 Not Modified", [tag])
        return []
    if environ.get("REQUEST_METHOD") == "HEAD":
        # No body and no Content-Length, as many apps answer HEAD: a length the server
        # adds can only be the GET's (§8.6), which it cannot know.
        start_response("200 OK", [TEXT, tag])
        return []
    start_response("200 OK", [TEXT, tag, length_field(CONDITIONAL_BODY)])
    return [CONDITIONAL_BODY]


def empty(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """An empty body, as ``arg`` = ``<status>-<list|blank>-<cl|nocl>`` says: ``[]`` or
    ``[b""]``, with ``Content-Length: 0`` or none. A correct answer to HEAD, and a correct
    204 or 304: whatever the server adds past the head is its own."""
    read_body(environ)
    status, _, rest = ctx.arg.partition("-")
    shape, _, length = rest.partition("-")
    headers = [TEXT]
    if length == "cl":
        headers.append(("Content-Length", "0"))
    start_response(_STATUSES.get(status, "200 OK"), headers)
    return [b""] if shape == "blank" else []


#: A header value with latin-1 characters beyond ASCII (é, £, ÿ): ISO-8859-1 on the wire.
LATIN1_VALUE = "caf\xe9 \xa3 \xff"


def latin1_header(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A response header whose value holds latin-1 characters beyond ASCII."""
    read_body(environ)
    body = b"a header value beyond ASCII\n"
    start_response("200 OK", [TEXT, ("X-Latin-1", LATIN1_VALUE), length_field(body)])
    return [body]


#: The body of the deferred-headers scenario.
DEFER_BODY = b"the first non-empty block\n"


def defer(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response, then an empty block, then a wait until the client has looked for
    the head: it must not have come yet (PEP 3333: the head goes with the first non-empty
    block)."""
    read_body(environ)
    start_response("200 OK", [TEXT, length_field(DEFER_BODY)])
    return _deferred(ctx)


def _deferred(ctx: Context) -> Iterator[bytes]:
    yield b""
    ctx.raise_flag("waiting")
    ctx.note("looked", ctx.wait_for("looked", BLOCK_WAIT))
    yield DEFER_BODY


def binary(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Every byte value, with a Content-Length or without (``nolength``)."""
    read_body(environ)
    headers = [("Content-Type", "application/octet-stream")]
    if ctx.arg != "nolength":
        headers.append(length_field(BINARY_BODY))
    start_response("200 OK", headers)
    half = len(BINARY_BODY) // 2
    return [BINARY_BODY[:half], BINARY_BODY[half:]]


def unbuffered(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Yield a block, then wait until the client says it arrived before yielding the next."""
    read_body(environ)
    start_response("200 OK", [TEXT, ("Content-Length", str(len(FIRST_BLOCK + SECOND_BLOCK)))])
    return _two_blocks(ctx)


def _two_blocks(ctx: Context) -> Iterator[bytes]:
    yield FIRST_BLOCK
    ctx.note("first_block_received", ctx.wait_for("first-block", BLOCK_WAIT))
    yield SECOND_BLOCK


class _ProbeFile:
    """A file-like object with read() and close() (which it reports), and no fileno()."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close(), as the PEP has it
        self._file.write(FILE_DATA)
        self._file.seek(0)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def close(self) -> None:
        self._ctx.note("filelike_closed", True)
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed


class _ProbeRealFile(_ProbeFile):
    """The same, with fileno(), seek() and tell(): a real file a server may sendfile()."""

    def fileno(self) -> int:
        return self._file.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


def expected_file_body(variant: str) -> bytes:
    """The body a client should receive in file-wrapper scenario ``variant``."""
    if variant == "offset":
        return FILE_DATA[FILE_OFFSET : FILE_OFFSET + FILE_LENGTH]
    if variant == "early":
        return OTHER_BODY
    return FILE_DATA


def file_wrapper(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """wsgi.file_wrapper with a real file (``file``), an object without fileno()
    (``nofileno``), a file at an offset with a shorter Content-Length (``offset``), or a
    wrapper made and not returned (``early``)."""
    read_body(environ)
    variant = ctx.arg or "file"
    wrap = environ.get("wsgi.file_wrapper")
    filelike = _ProbeFile(ctx) if variant == "nofileno" else _ProbeRealFile(ctx)
    headers = [("Content-Type", "application/octet-stream")]
    if variant == "offset":
        filelike.seek(FILE_OFFSET)  # type: ignore[attr-defined]
        headers.append(("Content-Length", str(FILE_LENGTH)))
    elif variant == "early":
        headers.append(length_field(OTHER_BODY))
    else:
        headers.append(length_field(FILE_DATA))
    ctx.note("file_wrapper", wrap is not None)
    # The key there, holding None (socketify 0.0.31): not offered, and not as PEP 3333 says
    # to leave it out (ENV-FILE-WRAPPER-SIGNATURE's); the behaviour table says which.
    ctx.note("file_wrapper_none", wrap is None and "wsgi.file_wrapper" in environ)
    if wrap is None:
        start_response("200 OK", headers)
        body = expected_file_body(variant)
        filelike.close()
        return [body]
    if variant == "early":
        # Made and never returned: nothing of the file may be sent. Closed by the app, it
        # shows whether its close() closes the file (SRV-FILE-WRAPPER-CLOSE), apart from
        # whether a server calls it on a wrapper returned (SRV-CLOSE-CALLED).
        wrapper = wrap(filelike, 4096)
        close = getattr(wrapper, "close", None)
        if callable(close):
            try:
                close()
            except Exception as exc:  # the server's wrapper: no verdict from it, no error
                ctx.note("wrapper_close_raised", type(exc).__name__)
            else:
                ctx.note("wrapper_closes_filelike", filelike.closed)
        filelike.close()
        start_response("200 OK", headers)
        return [OTHER_BODY]
    start_response("200 OK", headers)
    return wrap(filelike, 4096)


def late_start(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A generator: start_response is called only on the server's first next()."""
    read_body(environ)
    return _late_start(start_response)


def _late_start(start_response: Callable[..., Any]) -> Iterator[bytes]:
    body = b"start_response was called on the first next()\n"
    start_response("200 OK", [TEXT, length_field(body)])
    yield body


def errors_unicode(
    ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """Write text beyond latin-1 to wsgi.errors (a server should log it, not raise)."""
    read_body(environ)
    errors = environ["wsgi.errors"]
    try:
        errors.write(UNICODE_ERRORS_TEXT)
        errors.flush()
    except Exception as exc:
        ctx.note("errors_raised", type(exc).__name__)
    body = b"wrote to wsgi.errors\n"
    start_response("200 OK", [TEXT, length_field(body)])
    return [body]


def together(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """One of two requests sent at once (its partner is the ``next`` or ``previous`` probe
    id): note whether the partner was running while this one was (the app was invoked
    twice at the same time), waiting a bounded time for it; else whether this call waited
    the whole time alone, or found the partner done (a server that runs one at a time
    shows one of each), and on which thread. A call on the process's main thread is of a
    server that serves there, one request at a time; one on another thread may be of a
    pool that grows only under a backlog (rocket3: past two waiting connections). Under
    green threads (greenlet loaded) the wait, blocking, may be what kept the partner out:
    noted too."""
    read_body(environ)
    partner = ctx.probe_id + (1 if ctx.arg == "next" else -1)
    ctx.raise_flag("running")
    overlapped = False
    channel = ctx.channel
    deadline = time.monotonic() + TOGETHER_WAIT
    while channel is not None and time.monotonic() < deadline:
        if channel.flag_raised(partner, "running"):
            overlapped = True
            break
        if channel.flag_raised(partner, "done"):
            ctx.note("partner_done", True)  # it ran, and finished, before this call
            break
        time.sleep(0.01)
    else:
        if channel is not None:
            ctx.note("waited_alone", TOGETHER_WAIT)  # its whole bound
    ctx.note("overlapped", overlapped)
    ctx.note("green_threads", "greenlet" in sys.modules)
    ctx.note("main_thread", threading.current_thread() is threading.main_thread())
    ctx.lower_flag("running")
    ctx.raise_flag("done")
    body = b"ran together\n" if overlapped else b"ran alone\n"
    start_response("200 OK", [TEXT, length_field(body)])
    return [body]


#: Scenario name → the scenario; an unknown name is answered by ``echo``.
SCENARIOS: dict[str, Scenario] = {
    "echo": echo,
    "close": closing,
    "write": write,
    "input": input_stream,
    "expect": expect,
    "content-length": content_length,
    "no-body": no_body,
    "empty": empty,
    "conditional": conditional,
    "latin1-header": latin1_header,
    "defer": defer,
    "bad-headers": bad_headers,
    "raise": raising,
    "exc-info": exc_info,
    "exc-ref": exc_ref,
    "binary": binary,
    "unbuffered": unbuffered,
    "file-wrapper": file_wrapper,
    "late-start": late_start,
    "errors-unicode": errors_unicode,
    "together": together,
}
