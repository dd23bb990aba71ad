"""The probe app's scenarios: small WSGI apps, each showing one thing a server does.

A request names its scenario in the ``X-Wsgicheck-Probe`` header (``"<id> <scenario>
[<arg>]"``). Some scenarios break application rules on purpose (a hop-by-hop header, a body
longer than its Content-Length): the point is what the *server* does then. Every wait is
bounded, so a server that misbehaves costs the probe seconds, never a hang.

The constants here are shared with the prober, which knows what each scenario should
produce (the bytes of a file, the blocks of a body).
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .channel import Channel

__all__ = [
    "BINARY_BODY",
    "CALLABLE_KINDS",
    "DEFER_BODY",
    "FILE_DATA",
    "HEADER",
    "LATIN1_VALUE",
    "SCENARIOS",
    "Context",
    "ProbeError",
    "expected_file_body",
    "parse_header",
]

#: The probe app as other kinds of callable: kind → its name in ``wsgicheck.probe.app``.
CALLABLE_KINDS = {
    "function": "as_function",
    "class": "AppClass",
    "bound method": "as_method",
    "functools.partial": "as_partial",
}

#: The request header naming the probe id and scenario, and its environ key.
HEADER = "X-Wsgicheck-Probe"
ENVIRON_KEY = "HTTP_X_WSGICHECK_PROBE"

#: Every byte value, and line endings of every kind: a body a server must not touch.
BINARY_BODY = bytes(range(256)) + b"\r\n\n\r\x00\r\r\n" + bytes(range(255, -1, -1))
#: The bytes of the file behind ``wsgi.file_wrapper``.
FILE_DATA = b"".join(b"%04d:file-wrapper-data\n" % index for index in range(64))
#: Where the ``offset`` file-wrapper scenario seeks to, and the Content-Length it declares.
FILE_OFFSET = 100
FILE_LENGTH = 50
#: The body the ``early`` file-wrapper scenario returns instead of its wrapper.
OTHER_BODY = b"the app returned this body, not the file\n"
#: The two blocks of the unbuffered-transmission scenario.
FIRST_BLOCK = b"first block, to arrive before the app yields the second\n"
SECOND_BLOCK = b"second block\n"
#: What the client-disconnect scenario yields once the client is gone.
DISCONNECT_BLOCKS = 32
DISCONNECT_BLOCK = b"z" * 65536
#: App-side waits (seconds): for the client to confirm the first block, and to hang up.
BLOCK_WAIT = 3.0
HANGUP_WAIT = 6.0
#: Text for wsgi.errors no latin-1 stream could encode.
UNICODE_ERRORS_TEXT = "wsgicheck probe: text beyond latin-1: \u2603 \U0001f600 \u0394\n"
#: How long each of two requests sent together waits to see the other one running.
TOGETHER_WAIT = 2.5
#: Upper bounds on the reading loops (a stream that never ends cannot spin forever).
MAX_READS = 4096


class ProbeError(Exception):
    """The exception the probe app raises on purpose (its name is looked for in server logs)."""


def parse_header(value: object) -> tuple[int, str, str] | None:
    """``(id, scenario, arg)`` from the probe header's value, or None if it is not one."""
    if not isinstance(value, str):
        return None
    parts = value.split()
    if len(parts) not in (2, 3) or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[1], parts[2] if len(parts) == 3 else ""


@dataclass
class Context:
    """One probe request, as its scenario sees it."""

    probe_id: int
    scenario: str
    arg: str
    channel: Channel | None

    def note(self, key: str, value: object) -> None:
        """Send the prober one observation of this request (JSON-safe ``value``)."""
        if self.channel is not None:
            self.channel.send({"id": self.probe_id, "note": {key: value}})

    def wait_for(self, flag: str, timeout: float) -> bool:
        """Wait for the prober's flag; False at once when there is no prober."""
        if self.channel is None:
            return False
        return self.channel.wait_for(self.probe_id, flag, timeout)

    def raise_flag(self, flag: str) -> None:
        if self.channel is not None:
            self.channel.raise_flag(self.probe_id, flag)

    def lower_flag(self, flag: str) -> None:
        if self.channel is not None:
            self.channel.lower_flag(self.probe_id, flag)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
Scenario = Callable[[Context, dict[str, Any], Callable[..., Any]], Any]

TEXT = ("Content-Type", "text/plain; charset=utf-8")


def _length(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


def _declared(environ: dict[str, Any]) -> int | None:
    value = environ.get("CONTENT_LENGTH")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def read_body(environ: dict[str, Any]) -> int:
    """Read the body as a conformant app does: CONTENT_LENGTH bytes, or to the end when the
    server says the stream ends (``wsgi.input_terminated``), else nothing. The bytes read."""
    stream = environ["wsgi.input"]
    length = _declared(environ)
    total = 0
    for _ in range(MAX_READS):
        if length is not None:
            if total >= length:
                break
            data = stream.read(min(length - total, 65536))
        elif environ.get("wsgi.input_terminated"):
            data = stream.read(65536)
        else:
            break
        if not data:
            break
        total += len(data)
    return total


def echo(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Read the body and answer; the environ the server built travels in the record."""
    read_body(environ)
    body = b"wsgicheck probe: echo\n"
    start_response("200 OK", [TEXT, _length(body)])
    return [body]


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


def closing(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """An iterable with close(), ended normally, by an exception, or by the client leaving."""
    read_body(environ)
    mode = ctx.arg or "normal"
    headers = [TEXT]
    blocks = [b"closing body: block one\n", b"block two\n"]
    if mode == "normal":
        headers.append(("Content-Length", str(sum(map(len, blocks)))))
    start_response("200 OK", headers)
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
    length = _declared(environ) or 0
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
    start_response("200 OK", [TEXT, _length(body)])
    return [body]


def expect(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Say when the first read starts (the prober compares with when 100 Continue came)."""
    ctx.raise_flag("reading")
    total = read_body(environ)
    body = b"read %d bytes\n" % total
    start_response("200 OK", [TEXT, _length(body)])
    return [body]


def content_length(
    ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """A body shorter (``short``) or longer (``long``, ``long-write``) than its Content-Length."""
    read_body(environ)
    if ctx.arg == "short":
        start_response("200 OK", [TEXT, ("Content-Length", "10")])
        return [b"abcd"]
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


#: The statuses the no-body scenarios answer with, by ``arg``.
_STATUSES = {"200": "200 OK", "204": "204 No Content", "304": "304 Not Modified"}


def no_body(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A body the app gives where HTTP allows none (a HEAD request, a 204 or 304: ``arg``):
    the app is wrong, and the server must keep the connection's framing anyway."""
    read_body(environ)
    body = b"a body that must not be sent\n"
    start_response(_STATUSES.get(ctx.arg, "200 OK"), [TEXT, _length(body)])
    return [body]


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
    start_response("200 OK", [TEXT, ("X-Latin-1", LATIN1_VALUE), _length(body)])
    return [body]


#: The body of the deferred-headers scenario.
DEFER_BODY = b"the first non-empty block\n"


def defer(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response, then an empty block, then a wait until the client has looked for
    the head: it must not have come yet (PEP 3333: the head goes with the first non-empty
    block)."""
    read_body(environ)
    start_response("200 OK", [TEXT, _length(DEFER_BODY)])
    return _deferred(ctx)


def _deferred(ctx: Context) -> Iterator[bytes]:
    yield b""
    ctx.raise_flag("waiting")
    ctx.note("looked", ctx.wait_for("looked", BLOCK_WAIT))
    yield DEFER_BODY


def bad_headers(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Pass a hop-by-hop header (``hop``) or an invalid one (``invalid``): does it raise?"""
    read_body(environ)
    bad = ("Connection", "close") if ctx.arg == "hop" else ("X Bad Name", "1")
    try:
        start_response("200 OK", [TEXT, bad])
    except Exception:
        ctx.note("start_response_raised", True)
        body = b"start_response refused the header\n"
        start_response("500 Internal Server Error", [TEXT, _length(body)], sys.exc_info())
        return [body]
    ctx.note("start_response_raised", False)
    return [b"start_response accepted the header\n"]


def raising(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Raise before the head (``early``) or after the first block went out (``late``)."""
    read_body(environ)
    if ctx.arg == "early":
        raise ProbeError("wsgicheck probe: raised before start_response")
    start_response("200 OK", [TEXT])
    return _late_raise()


def _late_raise() -> Iterator[bytes]:
    yield b"the first block, then an exception\n"
    raise ProbeError("wsgicheck probe: raised after the head went out")


def exc_info(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response with exc_info before the head went out (``before``) or after."""
    read_body(environ)
    if ctx.arg == "before":
        start_response("200 OK", [TEXT])
        try:
            raise ProbeError("wsgicheck probe: an error before any body")
        except ProbeError:
            body = b"the app replaced its 200 with this 500\n"
            start_response("500 Internal Server Error", [TEXT, _length(body)], sys.exc_info())
        return [body]
    return _exc_info_after(start_response)


def _exc_info_after(start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [TEXT])
    yield b"the first block; then exc_info, too late\n"
    try:
        raise ProbeError("wsgicheck probe: an error after the head went out")
    except ProbeError:
        # The server must raise here; the app lets it propagate, as the PEP says.
        start_response("500 Internal Server Error", [TEXT], sys.exc_info())
    yield b"start_response returned: the server accepted exc_info after the head\n"


def exc_ref(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response with exc_info replaces a 200; once it has returned and the app has left
    its except block, nothing but the server can still hold the exception: a garbage
    collection then tells whether the server kept exc_info (and with it the traceback and
    every frame on it)."""
    read_body(environ)
    start_response("200 OK", [TEXT])
    body = b"the app replaced its 200 with this 500\n"
    try:
        ref = _replace_with_exc_info(start_response, [TEXT, _length(body)])
    except ProbeError:
        ctx.note("exc_info_raised", True)  # the server re-raised: nothing to judge here
        return [body]
    gc.collect()
    kept = ref()
    ctx.note("exc_info_kept", kept is not None)
    if kept is not None:
        holders = sorted({type(each).__name__ for each in gc.get_referrers(kept)} - {"frame"})
        ctx.note("exc_info_holders", holders)
    del kept
    return [body]


def _replace_with_exc_info(
    start_response: Callable[..., Any], headers: list[tuple[str, str]]
) -> weakref.ref[ProbeError]:
    """Raise, pass ``sys.exc_info()`` to start_response, and keep only a weak reference (no
    name in this frame binds the exception once the except block ends)."""
    try:
        raise ProbeError("wsgicheck probe: an error whose exc_info the server must not keep")
    except ProbeError as exc:
        ref = weakref.ref(exc)
        start_response("500 Internal Server Error", headers, sys.exc_info())
    return ref


def binary(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Every byte value, with a Content-Length or without (``nolength``)."""
    read_body(environ)
    headers = [("Content-Type", "application/octet-stream")]
    if ctx.arg != "nolength":
        headers.append(_length(BINARY_BODY))
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
        headers.append(_length(OTHER_BODY))
    else:
        headers.append(_length(FILE_DATA))
    ctx.note("file_wrapper", wrap is not None)
    if wrap is None:
        start_response("200 OK", headers)
        body = expected_file_body(variant)
        filelike.close()
        return [body]
    if variant == "early":
        wrap(filelike, 4096)  # made and never returned: nothing of the file may be sent
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
    start_response("200 OK", [TEXT, _length(body)])
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
    start_response("200 OK", [TEXT, _length(body)])
    return [body]


def together(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """One of two requests sent at once (its partner is the ``next`` or ``previous`` probe
    id): note whether the partner was running while this one was (the app was invoked
    twice at the same time), waiting a bounded time for it."""
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
            break  # a server that runs one at a time: the partner already finished
        time.sleep(0.01)
    ctx.note("overlapped", overlapped)
    ctx.lower_flag("running")
    ctx.raise_flag("done")
    body = b"ran together\n" if overlapped else b"ran alone\n"
    start_response("200 OK", [TEXT, _length(body)])
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
