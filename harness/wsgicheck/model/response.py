"""The response value: what the client received, with the environ and trace behind it."""

from __future__ import annotations

import hashlib
import json as _json
from collections.abc import Iterable
from typing import Any

from .events import Event, RawEvent, Trace, raw_event
from .grammar import media_type_parameter
from .request import Request

__all__ = ["Response", "body_hasher"]


def body_hasher() -> hashlib._Hash:
    """The running digest of a response body: fed every block, kept instead of the body.

    SHA-256: wide enough that two transports' bodies with the same digest are the same
    body, and with the SHA extensions of current x86 and ARM CPUs (OpenSSL uses them) about
    three times as fast as BLAKE2b, the next candidate, which CPython computes in plain C.
    """
    return hashlib.sha256()


class Response:
    """One exchange as the client saw it, plus what the server observed.

    ``environ`` is the environ as the server built it, before the app could change it;
    ``None`` when the server answered without calling the app (a 400 for a request with
    no Host, say). ``complete`` is False when the response was aborted mid-body.
    ``trace`` is what the application did. ``errors`` is everything it wrote to
    ``wsgi.errors``.

    A server record may keep only the first bytes of each body (its capture limit);
    ``request_body_size`` and ``body_size`` are then the full sizes, and ``body_digest``
    (:func:`body_hasher`'s hex digest of the whole body) still compares two bodies.

    A record to read, not to change. It is a plain slotted class rather than a frozen
    dataclass because one is made per request and freezing would cost each a few
    microseconds; the trace is built from the core's raw records on first use.
    """

    __slots__ = (
        "_digest",
        "_log",
        "_trace",
        "body",
        "body_size",
        "complete",
        "environ",
        "errors",
        "headers",
        "reason",
        "request",
        "request_body_size",
        "status_code",
    )

    def __init__(
        self,
        request: Request,
        status_code: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        complete: bool,
        environ: dict[str, Any] | None,
        log: list[RawEvent],
        errors: str = "",
        *,
        request_body_size: int | None = None,
        body_size: int | None = None,
        body_digest: str | None = None,
    ) -> None:
        self.request = request
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.body = body
        self.complete = complete
        self.environ = environ
        self.errors = errors
        self._log = log
        self._trace: Trace | None = None
        self.request_body_size = (
            len(request.body) if request_body_size is None else (request_body_size)
        )
        self.body_size = len(body) if body_size is None else body_size
        self._digest = body_digest

    @property
    def body_digest(self) -> str | None:
        """The hex digest of the whole body the client received; None if unknown (a record
        that kept only part of the body and was given no digest)."""
        if self._digest is None and len(self.body) == self.body_size:
            hasher = body_hasher()
            hasher.update(self.body)
            self._digest = hasher.hexdigest()
        return self._digest

    #: What :meth:`replace` may change: what the client received.
    _REPLACEABLE = frozenset({"status_code", "reason", "headers", "body", "complete"})

    def replace(self, events: Iterable[Event] | None = None, **changes: Any) -> Response:
        """This exchange as a server behaving differently would have recorded it: the same
        request and environ, with ``changes`` to what the client received (``status_code``,
        ``reason``, ``headers``, ``body``, ``complete``) and, if given, other ``events``.
        For showing a server rule what a broken server does."""
        unknown = set(changes) - self._REPLACEABLE
        if unknown:
            raise TypeError(f"Response.replace: cannot change {', '.join(sorted(unknown))}")
        values = {name: getattr(self, name) for name in self._REPLACEABLE} | changes
        kept = self.trace if events is None else events
        return Response(
            self.request,
            values["status_code"],
            values["reason"],
            values["headers"],
            values["body"],
            values["complete"],
            self.environ,
            [raw_event(event) for event in kept],
            self.errors,
            request_body_size=self.request_body_size,
        )

    @property
    def trace(self) -> Trace:
        """The events the server recorded while the application ran."""
        if self._trace is None:
            self._trace = Trace(self._log)
        return self._trace

    @property
    def status(self) -> str:
        """The status line's code and reason, as ``start_response`` takes it."""
        return f"{self.status_code} {self.reason}"

    def header(self, name: str, default: str | None = None) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``default``."""
        lower = name.lower()
        for key, value in self.headers:
            if key.lower() == lower:
                return value
        return default

    @property
    def charset(self) -> str:
        """The charset named in Content-Type, or utf-8."""
        return media_type_parameter(self.header("content-type") or "", "charset") or "utf-8"

    @property
    def text(self) -> str:
        """The body decoded with :attr:`charset` (undecodable bytes replaced)."""
        try:
            return self.body.decode(self.charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return (
            f"<Response {self.status_code} {self.reason!r} for {self.request.method} "
            f"{self.request.target} ({len(self.body)} bytes)>"
        )
