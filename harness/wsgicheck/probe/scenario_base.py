"""What every probe scenario works with, and what the prober shares with them.

The request header that names a scenario, the bodies scenarios produce and the waits they
keep (the prober knows what each should produce), the context a scenario sees, and reading
a request body as a conformant app does. Apart from the scenarios themselves
(:mod:`.scenarios`), so both sides of the probe read these from one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..model.grammar import decimal
from .channel import Channel

#: The probe app as other kinds of callable: kind → its name in ``wsgicheck.probe.app``.
#: Lower-case names, all alike: socketify 0.0.31's command line lower-cases the whole
#: ``module:name``, and ``AppClass`` failed SRV-CALLABLE-OPAQUE for its spelling alone.
CALLABLE_KINDS = {
    "function": "as_function",
    "class": "as_class",
    "bound method": "as_method",
    "functools.partial": "as_partial",
}

#: The request header naming the probe id and scenario, and its environ key.
HEADER = "X-Wsgicheck-Probe"
ENVIRON_KEY = "HTTP_X_WSGICHECK_PROBE"
#: The response header in which the echo scenario names the probe id it answers: the
#: client can tell whose answer it read (pipelined requests answered out of order).
ANSWER_HEADER = "X-Wsgicheck-Probe-Answer"
#: The flag the prober raises before it shuts its side of a connection that got no answer.
CLIENT_SHUT = "client-shut"

#: Every byte value, and line endings of every kind: a body a server must not touch.
BINARY_BODY = bytes(range(256)) + b"\r\n\n\r\x00\r\r\n" + bytes(range(255, -1, -1))
#: The bytes of the file behind ``wsgi.file_wrapper``.
FILE_DATA = b"".join(b"%04d:file-wrapper-data\n" % index for index in range(64))
#: Where the ``offset`` file-wrapper scenario seeks to, and the Content-Length it declares.
FILE_OFFSET = 100
FILE_LENGTH = 50
#: The body the ``early`` file-wrapper scenario returns instead of its wrapper.
OTHER_BODY = b"the app returned this body, not the file\n"
#: The body of the short content-length scenario, and the Content-Length it declares.
SHORT_BODY = b"abcd"
SHORT_LENGTH = 10
#: The conditional scenario's representation: its entity tag, and the body of its 200.
CONDITIONAL_TAG = '"wsgicheck-probe"'
CONDITIONAL_BODY = b"the representation a 304 stands for\n"
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
    number = decimal(parts[0]) if len(parts) in (2, 3) else None
    if number is None:
        return None
    return number, parts[1], parts[2] if len(parts) == 3 else ""


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

    def flag_raised(self, flag: str) -> bool:
        """Whether the prober has raised ``flag``; False when there is no prober."""
        return self.channel is not None and self.channel.flag_raised(self.probe_id, flag)

    def raise_flag(self, flag: str) -> None:
        if self.channel is not None:
            self.channel.raise_flag(self.probe_id, flag)

    def lower_flag(self, flag: str) -> None:
        if self.channel is not None:
            self.channel.lower_flag(self.probe_id, flag)


WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]
Scenario = Callable[[Context, dict[str, Any], Callable[..., Any]], Any]

TEXT = ("Content-Type", "text/plain; charset=utf-8")


def length_field(body: bytes) -> tuple[str, str]:
    return ("Content-Length", str(len(body)))


def declared_length(environ: dict[str, Any]) -> int | None:
    """CONTENT_LENGTH as a number of bytes. A server that gives it as an int (pyruvate) is
    ``ENV-CGI-STR``'s finding; the probe app still reads that many, so that no rule about
    the body (an Expect: 100-continue one, say) blames the server for bytes it never read."""
    value = environ.get("CONTENT_LENGTH")
    if type(value) is int and value >= 0:
        return value
    return decimal(value) if isinstance(value, str) else None


def read_body(environ: dict[str, Any]) -> int:
    """Read the body as a conformant app does: CONTENT_LENGTH bytes, or to the end when the
    server says the stream ends (``wsgi.input_terminated``), else nothing. The bytes read."""
    stream = environ["wsgi.input"]
    length = declared_length(environ)
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
