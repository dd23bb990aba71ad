"""The memory transport: requests go straight into the core, with no bytes or sockets.

``Client(app).get("/hello")`` builds a :class:`~wsgicheck.model.request.Request`, runs it through
exactly the code the socket server uses (:func:`~wsgicheck.core.environ.build_environ`'s halves,
:func:`~wsgicheck.core.invoke.run_app`), and returns a
:class:`~wsgicheck.model.response.Response` with
the environ the app saw and the trace of what it did.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from ..core.environ import (
    Refusal,
    ServerConfig,
    add_streams,
    request_environ,
    request_problem,
)
from ..core.invoke import AppCall, WSGIApp
from ..core.sink import send_refusal
from ..model.errors import FindingRaised, WarningRaised
from ..model.events import RawEvent
from ..model.request import Framing, Request
from ..model.response import Response
from .target import app_location

__all__ = ["Client", "MemorySink", "PendingExchange", "encode_target"]

HeadersArg = Mapping[str, str] | Iterable[tuple[str, str]] | None

# Characters a client may put in a request-target unescaped (RFC 3986 §2: unreserved,
# sub-delims, ":", "@", "/", "?", and "%" for escapes already present).
_TARGET_SAFE = "/?:@!$&'()*+,;=-._~%[]"
_PLAIN_CACHE_SIZE = 1024


def encode_target(target: str | bytes) -> str:
    """The request-target a browser would send for ``target``.

    ``bytes`` are sent exactly as given (latin-1 view). Text loses its fragment (a browser
    never sends what follows ``#``), keeps visible ASCII as is and percent-encodes anything
    else as UTF-8, so ``"/café"`` is sent as ``"/caf%C3%A9"`` and a control character as
    its escape.
    """
    if isinstance(target, bytes):
        return target.decode("latin-1")
    target = target.partition("#")[0]
    if target.isascii() and target.isprintable() and " " not in target:
        return target
    return quote(target, safe=_TARGET_SAFE)


class MemorySink:
    """Collects the response in memory (the memory transport's :class:`ResponseSink`)."""

    # Class-level initial state: a sink is made per request, so its creation sets nothing.
    status_code = 0
    reason = ""
    headers: list[tuple[str, str]] = []  # noqa: RUF012 - replaced, never mutated
    body = b""
    parts: list[bytes] | None = None
    finished = False
    aborted = False
    #: Set when the caller gave up on the exchange: the client is gone (an ``OSError``).
    gone = False

    def send_head(self, status_code: int, reason: str, headers: list[tuple[str, str]]) -> None:
        if self.gone:
            raise ConnectionAbortedError("the caller gave up on this exchange")
        self.status_code, self.reason, self.headers = status_code, reason, headers

    def send_body(self, data: bytes) -> None:
        if self.gone:
            raise ConnectionAbortedError("the caller gave up on this exchange")
        if self.parts is not None:
            self.parts.append(data)
        elif self.body:
            self.parts = [self.body, data]
        else:
            self.body = data

    def collected(self) -> bytes:
        """The body received so far."""
        return b"".join(self.parts) if self.parts is not None else self.body

    def finish(self) -> None:
        self.finished = True

    def abort(self) -> None:
        self.aborted = True


class Client:
    """Drive a WSGI application in memory: no bytes, no sockets, the same core as the server.

    ``host`` is sent as the Host header unless a request sets its own; ``config`` holds the
    server-side choices (mount prefix, flags, short reads...).
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        config: ServerConfig | None = None,
        script_name: str | None = None,
        host: str | None = None,
        remote_addr: str = "127.0.0.1",
    ) -> None:
        config = config or ServerConfig()
        if script_name is not None:
            config = replace(config, script_name=script_name)
        self.app = app
        self.config = config
        port = config.server_port
        self.host = host or (config.server_name if port == "80" else f"{config.server_name}:{port}")
        self.remote: tuple[str, int | None] = (remote_addr, None)
        self._app_where = app_location(app)
        self._plain_requests: dict[tuple[object, ...], Request] = {}
        #: What :meth:`_prepared` worked out last (the same request is sent again and
        #: again: see :meth:`_plain`).
        self._last: _Prepared = (None, None, None, None, {}, None)

    # -- building requests --------------------------------------------------------------------

    def build_request(
        self,
        method: str,
        target: str | bytes,
        *,
        headers: HeadersArg = None,
        body: bytes | str = b"",
        json: Any = None,
        form: Mapping[str, str] | None = None,
        chunked: bool = False,
        chunk_sizes: tuple[int, ...] = (),
        http_version: str = "1.1",
    ) -> Request:
        """The :class:`Request` that :meth:`request` would send, without sending it."""
        pairs = list(headers.items() if isinstance(headers, Mapping) else headers or ())
        if json is not None:
            body = _json.dumps(json).encode()
            pairs.append(("Content-Type", "application/json"))
        elif form is not None:
            body = urlencode(form).encode()
            pairs.append(("Content-Type", "application/x-www-form-urlencoded"))
        if isinstance(body, str):
            body = body.encode()
        declared = None
        fields: list[tuple[str, str]] = []
        for name, value in pairs:
            lower = name.lower()
            if lower == "content-length":
                declared = value.strip()
            elif lower == "transfer-encoding":
                if value.strip().lower() != "chunked":
                    raise ValueError(f"unsupported Transfer-Encoding {value!r}; only chunked")
                chunked = True
            else:
                fields.append((name, value))
        if declared is not None and declared != str(len(body)):
            raise ValueError(f"Content-Length {declared} does not match a {len(body)}-byte body")
        if not any(name.lower() == "host" for name, _ in fields) and http_version == "1.1":
            fields.insert(0, ("Host", self.host))
        if chunked:
            framing = Framing.CHUNKED
        elif body or declared is not None or method in ("POST", "PUT", "PATCH"):
            framing = Framing.CONTENT_LENGTH
        else:
            framing = Framing.NONE
        return Request(
            method=method,
            target=encode_target(target),
            http_version=http_version,
            headers=tuple(fields),
            body=body,
            framing=framing,
            chunk_sizes=chunk_sizes,
        )

    # -- sending --------------------------------------------------------------------------------

    def request(self, method: str, target: str | bytes, **options: Any) -> Response:
        """Send one request; ``options`` are those of :meth:`build_request`."""
        return self.send(self._built(method, target, options))

    def _built(self, method: str, target: str | bytes, options: dict[str, Any]) -> Request:
        """:meth:`build_request`'s request, reused for the same plain options (headers and a
        body) the next time, as :meth:`_plain` reuses bodiless ones: building and checking
        a request costs more than running a small app."""
        key = _options_key(method, target, options)
        request = self._plain_requests.get(key) if key is not None else None
        if request is None:
            request = self.build_request(method, target, **options)
            if key is not None:
                if len(self._plain_requests) >= _PLAIN_CACHE_SIZE:
                    self._plain_requests.clear()
                self._plain_requests[key] = request
        return request

    def _plain(self, method: str, target: str | bytes) -> Request:
        """A bodiless request with default headers: the common case, built cheaply.

        Requests are immutable values, so the one built for a (method, target) is reused
        the next time (a test suite asks for the same few URLs over and over).
        """
        key = (method, target)
        request = self._plain_requests.get(key)
        if request is None:
            request = self.build_request(method, target)
            if len(self._plain_requests) >= _PLAIN_CACHE_SIZE:
                self._plain_requests.clear()
            self._plain_requests[key] = request
        return request

    def _prepared(self, request: Request) -> _Prepared:
        """The request, config and remote address, :func:`request_problem` of them and,
        if there is none, :func:`request_environ`'s environ (not to be changed: copy it)
        and body length. For the last request again, what it had: all three are immutable
        values, and the answers functions of them."""
        last = self._last
        config, remote = self.config, self.remote
        if last[0] is not request or last[1] is not config or last[2] is not remote:
            refusal = request_problem(request, config)
            environ, length = (
                ({}, None)
                if refusal is not None
                else request_environ(request, config, remote=remote)
            )
            last = self._last = (request, config, remote, refusal, environ, length)
        return last

    def get(self, target: str | bytes = "/", **options: Any) -> Response:
        if not options:
            return self.send(self._plain("GET", target))
        return self.send(self._built("GET", target, options))

    def head(self, target: str | bytes = "/", **options: Any) -> Response:
        if not options:
            return self.send(self._plain("HEAD", target))
        return self.send(self._built("HEAD", target, options))

    def post(self, target: str | bytes = "/", **options: Any) -> Response:
        return self.send(self._built("POST", target, options))

    def put(self, target: str | bytes = "/", **options: Any) -> Response:
        return self.send(self._built("PUT", target, options))

    def patch(self, target: str | bytes = "/", **options: Any) -> Response:
        return self.send(self._built("PATCH", target, options))

    def delete(self, target: str | bytes = "/", **options: Any) -> Response:
        return self.send(self._built("DELETE", target, options))

    def options(self, target: str | bytes = "*", **options: Any) -> Response:
        return self.send(self._built("OPTIONS", target, options))

    def send(self, request: Request) -> Response:
        """Run ``request`` through the core and return what came back.

        A finding that a wrapped ``wsgicheck.validator`` raised through the app is raised
        here once the exchange has ended, as ``wsgiref.validate``'s assertions reach a test,
        not answered as a 500 whose body names it.
        """
        pending = self.start(request)
        response = pending.run()
        if pending.finding is not None:
            raise pending.finding
        return response

    def start(self, request: Request) -> PendingExchange:
        """Build the environ for ``request``, ready for :meth:`PendingExchange.run`.

        A caller that may give up on a hanging app (the runner's memory transport) runs it
        in another thread and keeps, from here, the environ the app received and its trace.
        """
        return PendingExchange(self, request)


def _options_key(
    method: str, target: str | bytes, options: dict[str, Any]
) -> tuple[object, ...] | None:
    """What a request built with ``options`` is a function of, when they are only headers
    and a body of plain values; None otherwise (JSON, a form, framing choices)."""
    if not _OPTION_NAMES.issuperset(options):
        return None
    headers = options.get("headers")
    body = options.get("body", b"")
    if type(body) not in (bytes, str):
        return None
    if type(headers) is dict:  # the usual call: names and values checked in C
        if not {*map(type, headers), *map(type, headers.values())} <= _STR:
            return None
        return (method, target, tuple(headers.items()), body)
    try:
        pairs = tuple(
            (name, value)
            for name, value in (headers.items() if isinstance(headers, Mapping) else headers or ())
        )
        if not all(type(part) is str for pair in pairs for part in pair):
            return None
    except (TypeError, ValueError):
        return None
    return (method, target, pairs, body)


_OPTION_NAMES = frozenset({"headers", "body"})
#: What :meth:`Client._prepared` answers: the request, config and remote address it was
#: for, the refusal, and the environ without streams and the body length.
_Prepared = tuple[
    Request | None,
    ServerConfig | None,
    tuple[str, int | None] | None,
    Refusal | None,
    dict[str, Any],
    int | None,
]
_STR = frozenset({str})


class PendingExchange:
    """One request through the memory transport: its environ built, the app not yet run.

    ``environ`` (a copy, taken before the app could change it) and ``log`` are readable
    from another thread while :meth:`run` runs; :meth:`abandon` tells the core the client
    has gone, so an app that goes on producing stops at its next block.
    """

    __slots__ = ("_client", "_exchange", "_live", "_sink", "environ", "log", "refusal", "request")

    def __init__(self, client: Client, request: Request) -> None:
        self._client = client
        self.request = request
        self.log: list[RawEvent] = []
        self._sink = MemorySink()
        self._exchange = AppCall(self._sink, self.log, client.config, request.method)
        _, _, _, self.refusal, environ, length = client._prepared(request)
        self._live: dict[str, Any] | None = None
        #: The environ as the app received it; None when the server refused the request.
        self.environ: dict[str, Any] | None = None
        if self.refusal is None:
            # build_environ's environ, of which all but the streams is the request's
            self._live = add_streams(environ.copy(), client.config, request.body, self.log, length)
            self.environ = self._live.copy()

    def run(self) -> Response:
        """Run the app (or answer the refusal) and return what came back."""
        client, sink, environ = self._client, self._sink, self.environ
        errors = ""
        if self._live is None:
            assert self.refusal is not None
            send_refusal(self.refusal, sink, client.config, method=self.request.method)
        else:
            self._exchange.run(client.app, self._live, client._app_where)
            errors = self.errors()
        return Response(
            self.request,
            sink.status_code,
            sink.reason,
            sink.headers,
            sink.collected(),
            sink.finished and not sink.aborted,
            environ,
            self.log,
            errors,
        )

    def errors(self) -> str:
        """What the app wrote to ``wsgi.errors`` so far."""
        return "" if self.environ is None else self.environ["wsgi.errors"].getvalue()

    @property
    def finding(self) -> FindingRaised | WarningRaised | None:
        """The first validator finding the app raised, if any (the core answered it 500):
        a violation, or a warning the filters made an error."""
        return self._exchange.finding

    @property
    def head_sent(self) -> bool:
        """Whether the response head has gone out (to the memory sink)."""
        return self._exchange.head_sent

    def abandon(self) -> None:
        """The caller gave up: the app's next block or ``write()`` finds the client gone."""
        self._sink.gone = True
        self._exchange.abandon()
