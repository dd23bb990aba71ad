"""Bytes → Request: the HTTP/1.1 parsing side, done by h11.

h11 does the framing and grammar checks (RFC 9112); this module turns what it parsed into
a :class:`~wsgicheck.model.request.Request`, the value every transport hands to the core. The
socket server feeds h11 incrementally and uses :func:`request_from_h11`; tests and tools
that hold a whole request in memory use :func:`parse_request`.
"""

from __future__ import annotations

import h11

from ..model import grammar
from ..model.request import FRAMING_HEADERS, Framing, Request

__all__ = [
    "ChunkLines",
    "WireError",
    "check_head",
    "check_partial_head",
    "find_head_end",
    "for_h11",
    "is_chunked",
    "parse_request",
    "request_from_h11",
    "request_head",
    "simple_head",
]


class WireError(ValueError):
    """Bytes that are not one complete, well-formed HTTP/1.x request."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        #: The status a server answers this with (h11's ``error_status_hint``).
        self.status = status


def request_from_h11(
    event: h11.Request,
    body: bytes,
    chunk_sizes: tuple[int, ...] = (),
    *,
    target: str | None = None,
) -> Request:
    """The Request for an h11 request event and its (decoded) body.

    Header names keep the case the client sent (h11's ``raw_items``); the framing fields
    become :attr:`Request.framing`. h11 has already enforced RFC 9112's grammar and framing
    rules, so the result is validated once more only by the Request constructor.
    ``target`` replaces the event's target when :func:`for_h11` had to stand in for it.
    """
    headers, framing, _ = _fields(event)
    return Request(
        method=event.method.decode("latin-1"),
        target=event.target.decode("latin-1") if target is None else target,
        http_version=event.http_version.decode("latin-1"),
        headers=tuple(headers),
        body=body,
        framing=framing,
        chunk_sizes=chunk_sizes if framing is Framing.CHUNKED and body else (),
    )


def _fields(
    event: h11.Request,
) -> tuple[list[tuple[str, str]], Framing, int | None]:
    """The end-to-end header fields, the framing and the declared Content-Length."""
    headers = []
    framing = Framing.NONE
    length = None
    for raw_name, raw_value in event.headers.raw_items():
        name = raw_name.decode("latin-1")
        lower = name.lower()
        if lower in FRAMING_HEADERS:
            if lower == "transfer-encoding":
                framing = Framing.CHUNKED
            else:
                length = int(raw_value)
                if framing is Framing.NONE:
                    framing = Framing.CONTENT_LENGTH
            continue
        headers.append((name, raw_value.decode("latin-1")))
    return headers, framing, length


def request_head(event: h11.Request, target: str | None) -> tuple[Request, int | None]:
    """The Request (with an empty body) for a head the server checked, and its length.

    The socket server streams the body to the app, so the value holds the head only; the
    head passed :func:`check_head` and h11, which are stricter than the Request's own
    checks, so it is not validated again.
    """
    headers, framing, length = _fields(event)
    request = Request._trusted(
        method=event.method.decode("latin-1"),
        target=event.target.decode("latin-1") if target is None else target,
        http_version=event.http_version.decode("latin-1"),
        headers=tuple(headers),
        body=b"",
        framing=framing,
    )
    return request, length


#: Default limits on a request, as the socket server applies them.
MAX_HEAD = 64 * 1024
MAX_TARGET = 8 * 1024
#: The longest path a run sends as it was given or linked: half the limit, which leaves room
#: for a mount prefix and a query the run puts around it (beyond, 414 over the socket).
LONGEST_PATH = MAX_TARGET // 2
#: Header fields in one request head: more is a 431, like an oversized head.
MAX_FIELDS = 100
#: Bytes of chunk extensions on one chunk-size line.
MAX_CHUNK_EXT = 4 * 1024


def parse_request(data: bytes, *, raw_latin1_targets: bool = False) -> Request:
    """Parse exactly one complete request from ``data``; raise :class:`WireError` if not.

    As strict as the socket server with its default limits: the head passes
    :func:`check_head` before h11 sees it, and a chunked body passes :class:`ChunkLines`.
    ``raw_latin1_targets`` is the server's choice of the same name
    (:class:`~wsgicheck.drivers.connection.Limits`).
    """
    end = find_head_end(data)
    if end < 0:
        check_partial_head(data, max_head=MAX_HEAD, max_target=MAX_TARGET)
        raise WireError("incomplete request: no blank line ends the header section")
    check_head(
        data[:end], max_head=MAX_HEAD, max_target=MAX_TARGET, raw_latin1_targets=raw_latin1_targets
    )
    head, target = for_h11(data[:end])
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(head)
    body: list[bytes] = []
    sizes: list[int] = []
    try:
        request = connection.next_event()
        if not isinstance(request, h11.Request):  # pragma: no cover - a checked head parses
            raise WireError("could not parse the request head")
        rest = data[end:]
        if is_chunked(request):
            lines = ChunkLines()
            rest = lines.feed(rest)
            if lines.error is not None:
                raise lines.error
        if rest:  # b"" would tell h11 the stream ended
            connection.receive_data(rest)
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Data):
                body.append(event.data)
                if event.chunk_start or not sizes:
                    sizes.append(0)
                sizes[-1] += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
            elif event is h11.NEED_DATA:
                raise WireError("incomplete request: the data ends before the message does")
            else:  # pragma: no cover - h11 yields nothing else for a server before EOM
                raise WireError(f"unexpected HTTP event {event!r}")
    except h11.RemoteProtocolError as exc:
        raise WireError(str(exc), exc.error_status_hint) from exc
    if connection.trailing_data[0]:
        raise WireError("extra bytes after the end of the request")
    chunks = tuple(size for size in sizes if size)
    if len(chunks) == 1:
        chunks = ()  # one chunk of the whole body: the Request's default
    return request_from_h11(request, b"".join(body), chunks, target=target)


# -- the strict front door: raw checks on a request head before h11 sees it -----------------
#
# h11 is deliberately lenient in places (it accepts bare LF line endings, unfolds obs-fold,
# lets Transfer-Encoding win over Content-Length, and skips chunk extensions unread). A
# server that sits in front of other software must not be: every one of these shapes has
# been used to smuggle requests past a proxy. RFC 9112 lets a server reject each of them;
# wsgicheck does, with the status the RFC names, and closes the connection (framing is in
# doubt). ChunkLines, at the end of this module, does the same for a chunked body.

_SUPPORTED_VERSIONS = (b"HTTP/1.1", b"HTTP/1.0")


def find_head_end(buffer: bytes | bytearray) -> int:
    """The index just past the blank line ending the header section, or -1 if not there."""
    end = buffer.find(b"\r\n\r\n")
    return -1 if end < 0 else end + 4


def check_partial_head(
    buffer: bytes | bytearray, *, max_head: int, max_target: int, max_fields: int = MAX_FIELDS
) -> None:
    """Reject a head that is already too long or malformed before it is complete."""
    line_end = buffer.find(b"\r\n")
    first_line = len(buffer) if line_end < 0 else line_end
    if first_line > max_target + 32:
        raise WireError("request-target too long (RFC 9112 §3)", 414)
    if len(buffer) > max_head:
        raise WireError("request header section too large", 431)
    # RFC 9110 §5.5 makes control characters invalid in field values; in the request line
    # nothing but SP separates. CR and LF are checked as CRLF pairs below.
    control = grammar.head_control_bytes_re.search(buffer)
    if control is not None:
        raise WireError(f"control character {control.group()!r} in the request head")
    lf = buffer.count(b"\n")
    crlf = buffer.count(b"\r\n")
    # Every CRLF ends a line: the request line, a field line, or the final blank line.
    if crlf - 1 - buffer.endswith(b"\r\n\r\n") > max_fields:
        raise WireError(f"more than {max_fields} header fields (RFC 6585 §5)", 431)
    if lf != crlf:
        raise WireError("bare LF in the request head (RFC 9112 §2.2)")
    cr = buffer.count(b"\r")
    if cr > crlf + (1 if buffer.endswith(b"\r") else 0):
        raise WireError("bare CR in the request head (RFC 9112 §2.2)")


def check_head(
    head: bytes,
    *,
    max_head: int,
    max_target: int,
    max_fields: int = MAX_FIELDS,
    raw_latin1_targets: bool = False,
) -> None:
    """Raise :class:`WireError` with the right status for a head h11 must not see.

    ``head`` is one complete request head, up to and including the blank line.
    ``raw_latin1_targets`` lets octets 0x80-0xFF through in the request-target (see
    :class:`~wsgicheck.drivers.connection.Limits`); by default they are refused.
    """
    check_partial_head(head, max_head=max_head, max_target=max_target, max_fields=max_fields)
    line_end = head.find(b"\r\n")
    request_line = head[:line_end]
    parts = request_line.split(b" ")
    if len(parts) != 3 or not all(parts):
        raise WireError("malformed request line (RFC 9112 §3)")
    target = parts[1]
    if len(target) > max_target:
        raise WireError("request-target too long (RFC 9112 §3)", 414)
    if not raw_latin1_targets and grammar.obs_text_bytes_re.search(target) is not None:
        raise WireError("non-ASCII byte in the request-target (RFC 9112 §3.2, RFC 3986 §2)")
    if parts[0] == b"CONNECT":
        # Well-formed, it is still not served: environ.request_problem answers it with 501.
        if grammar.authority_form_bytes_re.fullmatch(target) is None:
            raise WireError("CONNECT takes the authority-form host:port only (RFC 9112 §3.2.3)")
    elif target == b"*":
        if parts[0] != b"OPTIONS":
            raise WireError("the asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)")
    else:
        form = (
            grammar.origin_form_bytes_re if target[:1] == b"/" else grammar.absolute_form_bytes_re
        )
        if form.fullmatch(target) is None:
            if b"#" in target:
                raise WireError("a fragment in the request-target (RFC 9112 §3.2)")
            if b"@" in target:
                raise WireError("userinfo in the request-target (an error, RFC 9110 §4.2.4)")
            if grammar.authority_form_bytes_re.fullmatch(target) is not None:
                raise WireError("the authority-form is only for CONNECT (RFC 9112 §3.2.3)")
            raise WireError(
                "request-target not in origin, absolute or asterisk form, or with an empty "
                "host (RFC 9112 §3.2, RFC 9110 §4.2.1)"
            )
    version = parts[2]
    if version not in _SUPPORTED_VERSIONS:
        if grammar.http_version_bytes_re.fullmatch(version) is not None:
            raise WireError(f"HTTP version {version.decode('latin-1')} not supported", 505)
        raise WireError("malformed HTTP version in the request line (RFC 9112 §2.3)")
    fields = head[line_end:]
    if b"\r\n " in fields or b"\r\n\t" in fields:
        raise WireError("obsolete line folding in a header (RFC 9112 §5.2)")
    lower = fields.lower()
    if b"\r\ntransfer-encoding:" in lower:
        if b"\r\ncontent-length:" in lower:
            raise WireError("both Content-Length and Transfer-Encoding (RFC 9112 §6.3)")
        if version == b"HTTP/1.0":
            raise WireError("Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1)")


def for_h11(head: bytes) -> tuple[bytes, str | None]:
    """The head as h11 will take it, and the original target if it had to change.

    h11 accepts only visible ASCII in a request-target, but some servers (gunicorn,
    waitress, wsgiref) pass raw obs-text bytes through, and PEP 3333's latin-1 rule exists
    for them. When the server is told to take them too (``raw_latin1_targets``), such a
    target goes to h11 percent-encoded; the request keeps the bytes as sent.
    """
    line_end = head.find(b"\r\n")
    method, target, version = head[:line_end].split(b" ")
    if grammar.obs_text_bytes_re.search(target) is None:
        return head, None
    encoded = grammar.obs_text_bytes_re.sub(lambda match: b"%%%02X" % match.group()[0], target)
    return b" ".join((method, encoded, version)) + head[line_end:], target.decode("latin-1")


#: Fields that send a request through h11 whole: they frame a body or ask for a 100.
_H11_FIELDS = frozenset({b"content-length", b"transfer-encoding", b"expect"})


def simple_head(head: bytes) -> h11.Request | None:
    """The request of a head that passed :func:`check_head` and announces no body and no
    ``Expect``, read without h11's connection state machine; None for any other head.

    A small exchange spends more in that machinery than in anything else, and most requests
    are this simple. Only what h11 itself accepts is accepted, and read as h11 reads it
    (``tests/test_wire.py`` compares the two on generated heads): the field-line grammar
    here is narrower than h11's, and a head outside it, or with a missing or repeated Host,
    goes to h11 as every other head does, which reads it or refuses it with its own status.
    """
    lines = head[:-4].split(b"\r\n")
    method, target, version = lines[0].split(b" ")
    if (
        grammar.method_bytes_re.fullmatch(method) is None
        or grammar.vchars_bytes_re.fullmatch(target) is None
    ):
        return None
    fields = []
    hosts = 0
    for line in lines[1:]:
        match = grammar.field_line_bytes_re.fullmatch(line)
        if match is None:
            return None
        name = match["name"]
        lower = name.lower()
        if lower in _H11_FIELDS:
            return None
        hosts += lower == b"host"
        fields.append((name, match["value"]))
    if hosts > 1 or (hosts == 0 and version == b"HTTP/1.1"):
        return None
    try:
        return h11.Request(
            method=method, target=target, http_version=version[5:], headers=fields, _parsed=True
        )
    except h11.LocalProtocolError:  # pragma: no cover - the checks above are h11's own
        return None


def is_chunked(event: h11.Request) -> bool:
    """Whether h11 will read this request's body as chunked (it allows no other coding)."""
    return any(name == b"transfer-encoding" for name, _ in event.headers)


class ChunkLines:
    """The chunk-size lines of one chunked body, checked before h11 reads them.

    h11 reads ``chunk-size`` loosely (whitespace after it, and any bytes at all after a
    ``;``, which it discards unread), and a proxy in front may read the same line otherwise:
    a request smuggled behind it. Every byte of the body passes :meth:`feed` before h11 gets
    it. Each line before a chunk's data must be ``chunk-size [ chunk-ext ] CRLF`` exactly
    (RFC 9112 §7.1, :data:`~wsgicheck.model.grammar.CHUNK_LINE`) with at most ``max_ext`` bytes of
    extensions; h11 gets the line only once it is whole and checked, as ``chunk-size CRLF``
    (the extensions it would discard, and the ``BWS`` before them that it would refuse). The
    data and its CRLF go to h11 as they are, and it checks them. Each line of the trailer
    section is checked here too, as a field line ending in CRLF (RFC 9112 §7.1.2, §5,
    §2.2): h11 takes a bare LF and unfolds an obs-fold there, and a proxy that reads the
    section otherwise frames the request after it otherwise (an adversarial trial of
    2026-12-07 had ``serve`` answer a request smuggled behind ``0 CRLF X: y LF LF``).
    """

    __slots__ = ("_line", "_max_ext", "_remaining", "done", "ended", "error")

    def __init__(self, max_ext: int = MAX_CHUNK_EXT) -> None:
        self._max_ext = max_ext
        self._line = bytearray()
        #: Bytes of chunk data and its CRLF still to pass before the next size line.
        self._remaining = 0
        #: The last chunk's line has been checked: the rest is the trailer section's.
        self.done = False
        #: The trailer section's empty line has been checked: the rest is not this body's.
        self.ended = False
        #: What is wrong with the line that stopped the body, once one did.
        self.error: WireError | None = None

    def feed(self, data: bytes) -> bytes:
        """What h11 may read of the body so far, given its next bytes ``data``.

        A line not yet ended is held back. At a line that breaks the grammar, :attr:`error`
        is set and nothing from there on passes; the good chunks before it still reach the
        app, and the error is raised when it reads on.
        """
        if self.error is not None:
            return b""
        out: list[bytes] = []
        start, end = 0, len(data)
        while start < end:
            if self.ended:
                out.append(data[start:])
                break
            if self._remaining:
                step = min(self._remaining, end - start)
                out.append(data[start : start + step])
                start += step
                self._remaining -= step
                continue
            newline = data.find(b"\n", start)
            stop = end if newline < 0 else newline + 1
            self._line += data[start:stop]
            start = stop
            try:
                # A size h11 takes has at most 20 digits; the rest of the line is extensions.
                if not self.done and len(self._line) > self._max_ext + 22:
                    raise WireError(f"chunk extensions longer than {self._max_ext} bytes")
                if self.done and len(self._line) > MAX_HEAD:
                    raise WireError(f"a trailer line longer than {MAX_HEAD} bytes")
                if newline >= 0:
                    out.append(self._end_trailer_line() if self.done else self._end_line())
            except WireError as exc:
                self.error = exc
                break
        return out[0] if len(out) == 1 else b"".join(out)

    def _end_trailer_line(self) -> bytes:
        """Check a line of the trailer section just completed: a field line, or the empty
        line that ends it, each ending in CRLF; the line as h11 gets it."""
        line = bytes(self._line)
        self._line.clear()
        if not line.endswith(b"\r\n") or b"\r" in line[:-2]:
            raise WireError(f"a trailer line {line[:80]!r} not ended by CRLF (RFC 9112 §2.2)")
        if line == b"\r\n":
            self.ended = True
        elif line[:1] in (b" ", b"\t"):
            raise WireError(f"an obs-fold in the trailer section {line[:80]!r} (RFC 9112 §5.2)")
        elif grammar.field_line_bytes_re.fullmatch(line[:-2]) is None:
            raise WireError(f"a malformed trailer field line {line[:80]!r} (RFC 9112 §5)")
        return line

    def _end_line(self) -> bytes:
        """Check the line just completed; the line as h11 gets it."""
        line = bytes(self._line)
        self._line.clear()
        match = grammar.chunk_line_bytes_re.fullmatch(line)
        if match is None:
            raise WireError(f"malformed chunk-size line {line[:80]!r} (RFC 9112 §7.1)")
        if len(match["ext"]) > self._max_ext:
            raise WireError(f"chunk extensions longer than {self._max_ext} bytes")
        size = grammar.chunk_size(match["size"])
        assert size is not None  # the line matched, its size with it
        if size:
            self._remaining = size + 2
        else:
            self.done = True
        return match["size"] + b"\r\n"
