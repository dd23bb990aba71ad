"""One probe session's sending side: probe ids, requests that name their scenario, and the
record of what was sent and what came back.

Each :class:`Sent` pairs a request (the :class:`~wsgicheck.model.request.Request` the client
really sent, probe header included, so rules can compare the environ with it) with the
response as the raw client read it and the evidence only the client has (``extra``: a
``100 Continue`` seen, the server still answering afterwards...).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..drivers.rawclient import RawConnection, WireResponse
from ..model.extra import NOTHING, Extra
from ..model.request import Framing, Request
from .channel import Channel
from .scenarios import HEADER

__all__ = ["Sent", "Session"]


@dataclass(slots=True)
class Sent:
    """One probe request, and what the client saw of its answer."""

    probe_id: int
    scenario: str
    request: Request
    response: WireResponse | None = None
    #: Evidence only the client has, for the rules (see :mod:`wsgicheck.rules.server_probe`).
    extra: Extra = NOTHING
    #: The client hung up before the response ended (on purpose).
    client_gone: bool = False
    #: Drawn by Hypothesis (an echo request), rather than from the fixed corpus.
    generated: bool = False
    #: The scenario's argument (``"error"`` for ``close``...).
    arg: str = ""
    #: Sent behind another request on its connection: a server that closes after the first
    #: never sees it, and that is no problem of the probe's.
    follow_up: bool = False
    #: Sent in one write with another request on its connection, before any answer came:
    #: the answers must come in the order of the requests (RFC 9112 §9.3.2).
    pipelined: bool = False
    #: Seconds the client waited for the answer with the connection open while nothing at
    #: all came back (no head, no close): the server left it hanging.
    hung: float | None = None
    #: Seconds the client read a body that had no length and no chunks, waiting for the
    #: close that ends it, before it stopped with the connection still open.
    unended: float | None = None
    #: How the lines the app read from wsgi.input (and answered with) differ from the body
    #: sent, beyond reading on into the next request: bytes added or changed.
    lines_changed: str | None = None
    #: Of those, the bytes added after the whole body (a newline the body lacks): made up,
    #: not read past its end.
    lines_added: int = 0
    #: Sent for what the server does after it, never judged itself: a request HTTP forbids
    #: a client to send (both Content-Length and Transfer-Encoding), whose environ no rule
    #: of a valid request's may judge.
    unjudged: bool = False
    #: A request HTTP lets a server refuse (an obs-fold, RFC 9112 §5.2): its 4xx is no
    #: refusal of a valid request.
    refusable: bool = False
    #: The request sent before this one on its connection, whose answer came before this
    #: one was sent (not in one write with it): what a replay of this one sends first.
    after: Request | None = None


class Session:
    """Talks to one server under test on ``host:port``."""

    def __init__(self, host: str, port: int, channel: Channel, *, timeout: float) -> None:
        self.host = host
        self.port = port
        self.channel = channel
        self.timeout = timeout
        self.sent: list[Sent] = []
        #: The probe ids of requests never delivered: their connection was refused.
        self.refused: set[int] = set()
        #: How many of ``sent`` had been made when a connection was last asked for.
        self._asked = 0
        #: What the corpus learned about the server, for the report (key → description).
        self.observations: dict[str, str] = {}
        self._ids = itertools.count(1)

    def request(
        self,
        scenario: str,
        arg: str = "",
        *,
        method: str = "GET",
        target: str = "/",
        version: str = "1.1",
        headers: tuple[tuple[str, str], ...] = (),
        body: bytes = b"",
        framing: Framing | None = None,
        chunk_sizes: tuple[int, ...] = (),
        host: bool = True,
        follow_up: bool = False,
        pipelined: bool = False,
    ) -> Sent:
        """A new probe request for ``scenario`` (not sent yet), recorded in :attr:`sent`."""
        probe_id = next(self._ids)
        fields = [("Host", f"{self.host}:{self.port}")] if host else []
        fields += [*headers, (HEADER, f"{probe_id} {scenario}" + (f" {arg}" if arg else ""))]
        if framing is None:
            framing = Framing.CONTENT_LENGTH if body or method in ("POST", "PUT") else Framing.NONE
        request = Request(
            method=method,
            target=target,
            http_version=version,
            headers=tuple(fields),
            body=body,
            framing=framing,
            chunk_sizes=chunk_sizes,
        )
        sent = Sent(probe_id, scenario, request, arg=arg, follow_up=follow_up, pipelined=pipelined)
        self.sent.append(sent)
        return sent

    def tagged(self, request: Request) -> Sent:
        """A generated request, with the probe header added (scenario ``echo``)."""
        probe_id = next(self._ids)
        request = request.replace(headers=(*request.headers, (HEADER, f"{probe_id} echo")))
        sent = Sent(probe_id, "echo", request, generated=True)
        self.sent.append(sent)
        return sent

    @contextmanager
    def connection(self) -> Iterator[RawConnection]:
        """A fresh connection, closed afterwards whatever happens. A connection refused
        marks the requests made since the last one was asked for as never delivered
        (``refused``): the server cannot have died on them."""
        pending = self.sent[self._asked :]
        self._asked = len(self.sent)
        try:
            conn = RawConnection(self.host, self.port, self.timeout)
        except OSError:
            self.refused.update(each.probe_id for each in pending)
            raise
        try:
            yield conn
        finally:
            conn.close()

    def exchange(
        self, sent: Sent, *, drain: bool = False, timeout: float | None = None
    ) -> WireResponse | None:
        """Send ``sent`` on a connection of its own and read the answer."""
        with self.connection() as conn:
            if conn.send(sent.request.to_bytes()):
                sent.response = conn.read_response(
                    sent.request.method, drain=drain, timeout=timeout
                )
                waited = self.timeout if timeout is None else timeout
                # Hung: nothing came back, or a head that stopped coming, the connection
                # open (bytes that are no response are no hang).
                stalled = not conn.received or conn.head_stalled
                if sent.response is None and not conn.closed and stalled:
                    sent.hung = waited
                elif sent.response is not None and sent.response.stalled:
                    sent.unended = waited
        return sent.response

    def alive(self) -> bool:
        """Whether the server still answers a plain request (on a new connection)."""
        probe = self.request("echo")
        try:
            response = self.exchange(probe)
        except OSError:
            return False
        return response is not None and response.status == 200
