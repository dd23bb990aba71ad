"""The boundary between the core and a transport, and the answers the server writes itself.

A transport needs these without the machinery of running an app (:mod:`.invoke`): the type
of a WSGI application, the :class:`ResponseSink` protocol it implements to receive a
response (and the core's two signals of what a sink's failure means), the ``Date`` field
value, and the plain-text answers the server writes itself: a refused request, a 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any, Protocol

from .environ import Refusal, ServerConfig

__all__ = [
    "ClientGone",
    "ResponseSink",
    "SinkFailed",
    "WSGIApp",
    "http_date",
    "plain_text",
    "send_refusal",
]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ResponseSink(Protocol):
    """Where the assembled response goes. Transports implement this; it moves bytes only.

    Any ``OSError`` raised here means the client has gone away; any other exception is a
    failure of the transport itself, which :func:`~wsgicheck.core.invoke.run_app` re-raises
    once the app is done.
    """

    def send_head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> None:
        """Send the status line and header section."""

    def send_body(self, data: bytes) -> None:
        """Send one non-empty block of body."""

    def finish(self) -> None:
        """The response is complete."""

    def abort(self) -> None:
        """The response cannot be completed; the connection must close."""


class ClientGone(Exception):
    """The core's signal that the sink reported the client gone (raised through app code by
    ``write``)."""


class SinkFailed(Exception):
    """The core's signal that the sink failed, wsgicheck's fault (raised through app code by
    ``write``)."""


_date_text = ""
_date_expires = 0.0


def http_date(_now: Callable[[], float] = time.time) -> str:
    """The current time as an RFC 9110 §5.6.7 IMF-fixdate, recomputed once a second."""
    global _date_text, _date_expires
    now = _now()
    if now >= _date_expires:
        second = int(now)
        _date_text = formatdate(second, usegmt=True)
        _date_expires = second + 1.0
    return _date_text


def plain_text(body: bytes) -> list[tuple[str, str]]:
    """The header fields of an answer the server writes itself (a refusal, a 500)."""
    return [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]


def send_refusal(
    refusal: Refusal, sink: ResponseSink, config: ServerConfig, *, method: str = "GET"
) -> None:
    """Answer a request the server refuses (see :func:`~wsgicheck.core.environ.request_problem`).

    The answer to a HEAD request has no body (RFC 9110 §9.3.2), refused or not.
    """
    body = f"{refusal.status} {refusal.reason}\n\n{refusal.message}\n".encode()
    headers = [
        *plain_text(body),
        ("Date", http_date()),
        ("Server", config.server_software),
    ]
    if refusal.close:
        headers.append(("Connection", "close"))
    sink.send_head(refusal.status, refusal.reason, headers)
    if method != "HEAD":
        sink.send_body(body)
    sink.finish()
