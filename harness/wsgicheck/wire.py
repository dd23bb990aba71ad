"""Bytes → Request: the HTTP/1.1 parsing side, done by h11.

h11 does the framing and grammar checks (RFC 9112); this module turns what it parsed into
a :class:`~wsgicheck.request.Request`, the value every transport hands to the core. The
socket server feeds h11 incrementally and uses :func:`request_from_h11`; tests and tools
that hold a whole request in memory use :func:`parse_request`.
"""

from __future__ import annotations

import h11

from .request import FRAMING_HEADERS, Framing, Request

__all__ = ["WireError", "parse_request", "request_from_h11"]


class WireError(ValueError):
    """Bytes that are not one complete, well-formed HTTP/1.x request."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        #: The status a server answers this with (h11's ``error_status_hint``).
        self.status = status


def request_from_h11(event: h11.Request, body: bytes, chunk_sizes: tuple[int, ...] = ()) -> Request:
    """The Request for an h11 request event and its (decoded) body.

    Header names keep the case the client sent (h11's ``raw_items``); the framing fields
    become :attr:`Request.framing`. h11 has already enforced RFC 9112's grammar and framing
    rules, so the result is validated once more only by the Request constructor.
    """
    headers = []
    framing = Framing.NONE
    for raw_name, raw_value in event.headers.raw_items():
        name = raw_name.decode("latin-1")
        lower = name.lower()
        if lower in FRAMING_HEADERS:
            if lower == "transfer-encoding":
                framing = Framing.CHUNKED
            elif framing is Framing.NONE:
                framing = Framing.CONTENT_LENGTH
            continue
        headers.append((name, raw_value.decode("latin-1")))
    return Request(
        method=event.method.decode("latin-1"),
        target=event.target.decode("latin-1"),
        http_version=event.http_version.decode("latin-1"),
        headers=tuple(headers),
        body=body,
        framing=framing,
        chunk_sizes=chunk_sizes if framing is Framing.CHUNKED and body else (),
    )


def parse_request(data: bytes) -> Request:
    """Parse exactly one complete request from ``data``; raise :class:`WireError` if not."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(data)
    body: list[bytes] = []
    sizes: list[int] = []
    request: h11.Request | None = None
    try:
        while True:
            event = connection.next_event()
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
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
    assert request is not None
    return request_from_h11(request, b"".join(body), tuple(size for size in sizes if size))
