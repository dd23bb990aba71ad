"""A response's framing on the wire: its head as sent, and the bytes of each body block.

The socket server parses requests with h11 and writes responses with this module. It makes
h11's own choices for a server, byte for byte (``tests/test_framing.py`` sends the same
responses through both and compares), without h11's per-event state machine, which cost
more than the rest of a small exchange put together:

* HEAD is answered with the fields a GET would get, and no body; 204 and 304 have no body;
* a Content-Length is kept (repeats of the same value collapsed into the first); without
  one, an HTTP/1.1 client gets ``Transfer-Encoding: chunked`` and an HTTP/1.0 client a body
  delimited by the end of the connection;
* ``Connection: close`` is added when the client asked for it or speaks HTTP/1.0, or the
  body ends with the connection; a head that says it itself (a refusal) closes as well.

The fields are the ones the core accepted (:func:`wsgicheck.core.head.check_headers`: tokens,
latin-1 values without control characters, no hop-by-hop field), with each value's
surrounding whitespace dropped (RFC 9110 §5.5); the server's own heads are of that kind too.
"""

from __future__ import annotations

__all__ = ["CONTENT_LENGTH_MAX_DIGITS", "ResponseFraming", "SendError", "client_keep_alive"]

#: The longest Content-Length h11 sends or reads (``h11._headers.CONTENT_LENGTH_MAX_DIGITS``);
#: the server keeps to it so that an h11 client can read every response.
CONTENT_LENGTH_MAX_DIGITS = 20


class SendError(RuntimeError):
    """The server could not put a response the core accepted on the wire.

    A failure of wsgicheck itself, never of the client: it is not an ``OSError``, so the
    core does not take it for a client that went away; it reaches
    :class:`~wsgicheck.drivers.server.Server`, which reports it as its own error.
    """


def client_keep_alive(http_version: bytes, connection: list[bytes]) -> bool:
    """Whether the client lets the connection be reused after this exchange: HTTP/1.1 and
    no ``close`` among the tokens of its ``Connection`` fields (``connection``, their values)."""
    if http_version < b"1.1":
        return False
    return not any(
        token.strip().lower() == b"close" for value in connection for token in value.split(b",")
    )


# How the body of a response is framed.
_LENGTH, _CHUNKED, _UNTIL_CLOSE = 0, 1, 2


class ResponseFraming:
    """One response on a connection: :meth:`head`, then :meth:`data` per block, :meth:`end`.

    Each returns the bytes to write. Anything out of order, or a body that does not fit the
    framing chosen, raises :class:`SendError` and leaves the framing failed, as after
    :meth:`fail` (an aborted response): nothing more may be sent on it.
    """

    __slots__ = (
        "_bodiless",
        "_framing",
        "_headed",
        "_http_version",
        "_keep_alive",
        "_method",
        "_remaining",
        "_state",
    )

    def __init__(self, *, method: bytes, http_version: bytes, keep_alive: bool) -> None:
        self._method = method
        self._http_version = http_version
        #: Whether the connection may be reused once the response is complete.
        self._keep_alive = keep_alive
        self._framing = _LENGTH
        self._remaining = 0
        self._state = "head"  # then "body" (or "tunnel"), "done" or "failed"
        #: Whether a head was made (it goes out with the first block, or when aborted).
        self._headed = False
        self._bodiless = False

    @property
    def reusable(self) -> bool:
        """Whether the response is complete and the connection may carry another."""
        return self._state == "done" and self._keep_alive

    @property
    def complete(self) -> bool:
        """Whether the client has the whole response: its body ended as the framing says,
        or every byte its Content-Length declared went out (the app raised after its last
        block, and the response was aborted only after that)."""
        if self._state == "done":
            return True
        return self._headed and self._framing == _LENGTH and self._remaining == 0

    @property
    def bodiless(self) -> bool:
        """Whether the response carries no body (to HEAD, a 204 or 304), once its head is made."""
        return self._bodiless

    @property
    def close_announced(self) -> bool:
        """Whether the client knows the connection ends with this response: its head says
        close (the client's or the server's wish), or HTTP/1.0 without keep-alive."""
        return not self._keep_alive

    def fail(self) -> None:
        """The response was aborted: nothing more is sent."""
        self._state = "failed"

    def _refuse(self, message: str) -> SendError:
        if self._state == "tunnel":
            message += ": a 2xx answer to CONNECT made the connection a tunnel"
        self._state = "failed"
        return SendError(message)

    def head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
        """The status line and header section, framing fields added as needed."""
        if self._state != "head":
            raise self._refuse(f"cannot send a response head now ({self._state})")
        fields: list[tuple[bytes, bytes, bytes]] = []
        length: bytes | None = None
        connection: list[bytes] = []
        for name, value in headers:
            raw_name = name.encode("latin-1")
            lower = raw_name.lower()
            raw_value = value.strip(" \t").encode("latin-1")
            if lower == b"content-length":
                if len(raw_value) > CONTENT_LENGTH_MAX_DIGITS:
                    # The same number without leading zeros, if it fits.
                    raw_value = raw_value.lstrip(b"0") or b"0"
                if not raw_value.isdigit() or len(raw_value) > CONTENT_LENGTH_MAX_DIGITS:
                    raise self._refuse(
                        "refused to send Response: bad Content-Length (more than "
                        f"{CONTENT_LENGTH_MAX_DIGITS} digits, more than h11 sends or reads)"
                    )
                if length is not None:
                    if raw_value != length:
                        raise self._refuse("refused to send Response: conflicting Content-Length")
                    continue
                length = raw_value
            elif lower == b"transfer-encoding":
                raise self._refuse("refused to send Response: Transfer-Encoding is the server's")
            elif lower == b"connection":
                connection.append(raw_value)
            fields.append((raw_name, lower, raw_value))
        closes = False
        tunnel = self._method == b"CONNECT" and status_code < 300
        no_body = status_code in (204, 304) or tunnel
        if not no_body and length is None:
            # A body of unknown length (HEAD: the one a GET would have).
            if self._http_version < b"1.1":
                closes = self._method != b"HEAD"
            else:
                fields.append((b"Transfer-Encoding", b"transfer-encoding", b"chunked"))
        if not self._keep_alive or closes:
            tokens = {
                token.strip().lower()
                for value in connection
                for token in value.split(b",")
                if token.strip()
            }
            tokens.discard(b"keep-alive")
            tokens.add(b"close")
            fields = [field for field in fields if field[1] != b"connection"]
            fields += [(b"Connection", b"connection", token) for token in sorted(tokens)]
        elif not client_keep_alive(b"1.1", connection):
            self._keep_alive = False  # the server's own head says close
        self._bodiless = no_body or self._method == b"HEAD"
        if self._bodiless:
            self._framing, self._remaining = _LENGTH, 0
        elif length is not None:
            self._framing, self._remaining = _LENGTH, int(length)
        else:
            self._framing = _UNTIL_CLOSE if closes else _CHUNKED
        if closes:
            self._keep_alive = False
        self._headed = True
        # A 2xx answer to CONNECT turns the connection into a tunnel (RFC 9110 §9.3.6), which
        # a WSGI response cannot carry: h11 sends the head, then refuses everything after it.
        self._state = "tunnel" if tunnel else "body"
        lines = [b"HTTP/1.1 %d %s\r\n" % (status_code, reason.encode("latin-1"))]
        # h11 writes a Host field first (it would matter for a request).
        lines += [b"%s: %s\r\n" % (raw, value) for raw, lower, value in fields if lower == b"host"]
        lines += [b"%s: %s\r\n" % (raw, value) for raw, lower, value in fields if lower != b"host"]
        lines.append(b"\r\n")
        return b"".join(lines)

    def data(self, data: bytes) -> list[bytes]:
        """The bytes that carry one block of body (the block itself passed through)."""
        if self._state != "body":
            raise self._refuse(f"cannot send body data now ({self._state})")
        framing = self._framing
        if framing == _LENGTH:
            self._remaining -= len(data)
            if self._remaining < 0:
                raise self._refuse("refused to send Data: more than the declared Content-Length")
            return [data]
        if framing == _CHUNKED:
            return [b"%x\r\n" % len(data), data, b"\r\n"] if data else []
        return [data]

    def end(self) -> list[bytes]:
        """The bytes that end the body; the response is then complete."""
        if self._state != "body":
            raise self._refuse(f"cannot end the response now ({self._state})")
        if self._framing == _LENGTH and self._remaining:
            raise self._refuse("refused to end the response: less than the declared Content-Length")
        self._state = "done"
        return [b"0\r\n\r\n"] if self._framing == _CHUNKED else []
