"""The request value: one HTTP/1.x request exactly as a client sends it.

A :class:`Request` is immutable and always well formed (the constructor validates it against
the grammar in :mod:`wsgicheck.model.grammar`), so every transport can trust
it. The end-to-end header
fields are kept as an ordered tuple of ``(name, value)`` pairs with duplicates and case intact;
the message framing (Content-Length, chunked, none) is held apart in :attr:`Request.framing`
and turned into its header only on the wire, so a request cannot contradict its own framing.
Strings are native ``str`` holding latin-1 ("bytes as unicode"), as PEP 3333 does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

from . import grammar

__all__ = ["FRAMING_HEADERS", "Framing", "From", "InvalidRequest", "LearnedField", "Request"]

#: Header fields that carry message framing; they live in :attr:`Request.framing`.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding"})

SUPPORTED_VERSIONS = ("1.0", "1.1")


class InvalidRequest(ValueError):
    """A request value that no conforming HTTP/1.x client could send."""


class Framing(enum.Enum):
    """How the request body is delimited on the wire (RFC 9112 §6)."""

    #: No body and no framing header at all (typical GET).
    NONE = "none"
    #: ``Content-Length: N`` followed by exactly N bytes (N may be 0).
    CONTENT_LENGTH = "content-length"
    #: ``Transfer-Encoding: chunked`` (HTTP/1.1 only).
    CHUNKED = "chunked"


class From(NamedTuple):
    """A validator of an earlier answer (``field``, lower-case: ``etag`` or
    ``last-modified``), changed as :data:`wsgicheck.model.learned.CHANGES` names it."""

    field: str
    change: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LearnedField:
    """Where a request field's value came from: the answer to an earlier request of its
    sequence (``teacher``), its ``parts`` joined; None for an answer no replay of the
    sequence asks for (another target's). A fresh app gives new validators (WsgiDAV's ETag
    holds the file's inode, Kinto's its start time), so a replay makes the value again."""

    name: str
    #: The value as the run sent it.
    value: str
    teacher: Request | None
    #: Literal text and validators of the teacher's answer (:class:`From`), in order.
    parts: tuple[str | From, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """An HTTP/1.x request as sent: method, target, version, header fields, body, framing."""

    method: str = "GET"
    #: The request-target exactly as sent (RFC 9112 §3.2), latin-1 text, not decoded.
    target: str = "/"
    #: ``"1.1"`` or ``"1.0"``.
    http_version: str = "1.1"
    #: End-to-end header fields in order, duplicates and case kept. No framing fields.
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    framing: Framing = Framing.NONE
    #: For chunked framing, the size of each chunk on the wire; empty means one chunk.
    chunk_sizes: tuple[int, ...] = field(default=())
    #: The fields whose values an earlier answer taught, for replays to make again
    #: (:mod:`wsgicheck.model.learned`); no part of what is sent, compared or shown.
    learned: tuple[LearnedField, ...] = field(default=(), compare=False, repr=False)
    #: Edits of the message as sent, each (text, the text sent in its place), made once in
    #: order: a probe's request that no fields can spell (a value folded over two lines,
    #: both Content-Length and Transfer-Encoding, a chunk extension), recorded as a server
    #: must read it and shown and replayed as it went. No part of what is compared.
    wire_edits: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        _validate(self)
        if len(self.chunk_sizes) == 1:
            # One chunk of the whole body is what () means: keep one spelling of it.
            object.__setattr__(self, "chunk_sizes", ())

    @classmethod
    def _trusted(cls, **fields: Any) -> Request:
        """Build without validating, for heads that passed stricter checks already.

        The socket server's heads have been through :func:`wsgicheck.drivers.wire.check_head` and
        h11; validating them again would cost every request a few microseconds.
        """
        self = object.__new__(cls)
        for name, value in fields.items():
            object.__setattr__(self, name, value)
        if "chunk_sizes" not in fields:
            object.__setattr__(self, "chunk_sizes", ())
        if "learned" not in fields:
            object.__setattr__(self, "learned", ())
        if "wire_edits" not in fields:
            object.__setattr__(self, "wire_edits", ())
        return self

    # -- derived views -------------------------------------------------------------------------

    @property
    def path(self) -> str:
        """The raw (still percent-encoded) path part of the target, before any ``?``."""
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        """The raw query string after the first ``?``, or ``""``."""
        return self.target.partition("?")[2]

    def header_values(self, name: str) -> list[str]:
        """All values of header ``name`` (case-insensitive), in the order sent."""
        lower = name.lower()
        return [value for key, value in self.headers if key.lower() == lower]

    @property
    def wire_headers(self) -> tuple[tuple[str, str], ...]:
        """The header section as it goes on the wire: the fields, then the framing field."""
        if self.framing is Framing.CONTENT_LENGTH:
            return (*self.headers, ("Content-Length", str(len(self.body))))
        if self.framing is Framing.CHUNKED:
            return (*self.headers, ("Transfer-Encoding", "chunked"))
        return self.headers

    def chunks(self) -> list[bytes]:
        """The body split as it is sent in chunked framing (no empty chunks)."""
        if not self.body:
            return []
        sizes = self.chunk_sizes or (len(self.body),)
        out, offset = [], 0
        for size in sizes:
            out.append(self.body[offset : offset + size])
            offset += size
        return out

    def to_bytes(self) -> bytes:
        """Serialise to the exact bytes a client puts on the wire."""
        if self.wire_edits:
            return self.to_text().encode("latin-1")
        return self._head().encode("latin-1") + self._framed_body()

    def to_text(self) -> str:
        """The wire form as text (the body read as latin-1), for reports.

        A request rebuilt from a server's environ (the validator) holds whatever text that
        server put there, which may be no latin-1 a wire can carry: a report shows it all
        the same rather than failing on it.
        """
        text = self._head() + self._framed_body().decode("latin-1")
        for old, sent in self.wire_edits:
            text = text.replace(old, sent, 1)
        return text

    def _head(self) -> str:
        lines = [f"{self.method} {self.target} HTTP/{self.http_version}"]
        lines.extend(f"{name}: {value}" for name, value in self.wire_headers)
        return "\r\n".join(lines) + "\r\n\r\n"

    def _framed_body(self) -> bytes:
        if self.framing is Framing.CHUNKED:
            parts = [b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in self.chunks()]
            return b"".join([*parts, b"0\r\n\r\n"])
        return self.body

    def replace(self, **changes: Any) -> Request:
        """A copy with some fields changed (validated again)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Request(**values)


def _validate(request: Request) -> None:
    """Reject anything a conforming HTTP/1.x client could not send."""
    if not isinstance(request.method, str) or not grammar.is_token(request.method):
        raise InvalidRequest(f"method: not an RFC 9110 token: {request.method!r}")
    target = request.target
    if not isinstance(target, str):
        # Client.request takes bytes and decodes them as latin-1; a Request holds the str.
        raise InvalidRequest(
            f"target: must be a str (bytes decoded as latin-1, as Client.request does): {target!r}"
        )
    if grammar.request_target_re.fullmatch(target) is None:
        raise InvalidRequest(
            f"target: must be visible ASCII or latin-1 obs-text, no spaces: {target!r}"
        )
    if request.http_version not in SUPPORTED_VERSIONS:
        raise InvalidRequest(f"http_version: must be one of {SUPPORTED_VERSIONS}")
    if not isinstance(request.headers, tuple):
        raise InvalidRequest("headers: must be a tuple of (name, value) pairs")
    for pair in request.headers:
        _validate_header(pair)
    if not isinstance(request.body, bytes):
        raise InvalidRequest(f"body: must be bytes, not {type(request.body).__name__}")
    if not isinstance(request.framing, Framing):
        raise InvalidRequest(f"framing: must be a Framing, not {request.framing!r}")
    if request.framing is Framing.NONE and request.body:
        raise InvalidRequest("framing: a body needs Content-Length or chunked framing")
    if request.framing is Framing.CHUNKED:
        if request.http_version != "1.1":
            raise InvalidRequest("framing: chunked needs HTTP/1.1 (RFC 9112 §6.1)")
        sizes = request.chunk_sizes
        if sizes and (any(size <= 0 for size in sizes) or sum(sizes) != len(request.body)):
            raise InvalidRequest("chunk_sizes: must be positive and add up to len(body)")
    elif request.chunk_sizes:
        raise InvalidRequest("chunk_sizes: only meaningful with chunked framing")


def _validate_header(pair: object) -> None:
    if not (isinstance(pair, tuple) and len(pair) == 2):
        raise InvalidRequest(f"headers: each field must be a (name, value) tuple: {pair!r}")
    name, value = pair
    if not isinstance(name, str) or not grammar.is_token(name):
        raise InvalidRequest(f"headers: field name is not an RFC 9110 token: {name!r}")
    if name.lower() in FRAMING_HEADERS:
        raise InvalidRequest(f"headers: {name} is framing; set Request.framing instead")
    if not isinstance(value, str) or not grammar.is_field_value(value.strip(" \t")):
        raise InvalidRequest(f"headers: invalid value for {name}: {value!r}")
