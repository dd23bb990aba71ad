"""Request → environ: the one function every transport uses to build what the app sees.

Werkzeug builds its environ in two places that disagree; this module exists so that wsgicheck
has exactly one. :func:`build_environ` turns a :class:`~wsgicheck.model.request.Request` and a
:class:`ServerConfig` into a PEP 3333 environ; :func:`request_problem` says when a request must
be refused before any app runs (the server's HTTP duties, RFC 9112 §3.2).

Every string in the environ is a native ``str`` holding latin-1 ("bytes as unicode", PEP 3333
"Unicode Issues"): a path sent as ``/caf%C3%A9`` becomes ``PATH_INFO == "/caf\\xc3\\xa9"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple
from urllib.parse import unquote_to_bytes

from ..model import grammar
from ..model.events import RawEvent
from ..model.request import Framing, Request
from .streams import BodySource, ErrorStream, InputStream, file_wrapper_for

__all__ = [
    "Refusal",
    "ServerConfig",
    "add_streams",
    "build_environ",
    "environ_key",
    "request_environ",
    "request_problem",
    "split_target",
]

VERSION = "0.1.0"

_valid_hosts: set[str] = set()
_HOST_NAMES = frozenset({"Host", "host", "HOST"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    """The server's side of the environ, including every choice PEP 3333 leaves open.

    A conformant application must work under any of these choices; the strategies draw them
    so that an app that only works under one server's habits is found.
    """

    #: Mount prefix: ``""`` (the server root) or ``"/prefix"`` without a trailing slash.
    script_name: str = ""
    server_name: str = "localhost"
    server_port: str = "80"
    url_scheme: str = "http"
    server_software: str = f"wsgicheck/{VERSION}"
    multithread: bool = False
    multiprocess: bool = False
    run_once: bool = False
    #: Offer ``wsgi.file_wrapper`` (it is optional in PEP 3333).
    file_wrapper: bool = True
    #: Set ``wsgi.input_terminated`` on every request, not only chunked ones.
    input_terminated_always: bool = True
    #: QUERY_STRING when the target has none: ``""`` or left out.
    empty_query_string: Literal["empty", "omit"] = "empty"
    #: CONTENT_LENGTH when the request has no body framing: left out or ``""``.
    no_body_content_length: Literal["omit", "empty"] = "omit"
    #: Cap every ``wsgi.input`` read at this many bytes (a server's "short reads").
    max_read: int | None = None
    #: Stop taking an app's response body past this many bytes (for apps that never end).
    response_body_limit: int | None = None
    #: The environ keys that do not depend on the request, built once.
    _template: dict[str, Any] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        name = self.script_name
        if name and (not name.startswith("/") or name.endswith("/")):
            raise ValueError(
                f"script_name: must be '' or start with '/' and not end with '/': {name!r}"
            )
        try:  # paths arrive as bytes decoded as latin-1, and are compared with it so
            name.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"script_name: must be a native string (ISO-8859-1 code points), not {name!r}"
            ) from None
        if not self.server_name:
            raise ValueError("server_name: must not be empty (PEP 3333)")
        if not (self.server_port.isascii() and self.server_port.isdigit()):
            raise ValueError(f"server_port: must be decimal digits, not {self.server_port!r}")
        if self.max_read is not None and self.max_read < 1:
            raise ValueError("max_read: must be at least 1")
        template = {
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SCRIPT_NAME": self.script_name,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_SOFTWARE": self.server_software,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": self.url_scheme,
            "wsgi.multithread": self.multithread,
            "wsgi.multiprocess": self.multiprocess,
            "wsgi.run_once": self.run_once,
        }
        if self.empty_query_string == "empty":
            template["QUERY_STRING"] = ""
        if self.input_terminated_always:
            template["wsgi.input_terminated"] = True
        object.__setattr__(self, "_template", template)


class Refusal(NamedTuple):
    """A request the server answers itself, without calling the application."""

    status: int
    reason: str
    message: str
    #: Whether the connection must close after the answer (framing or state in doubt).
    close: bool


def split_target(target: str) -> tuple[str, str]:
    """The raw path and raw query of a request-target (origin, absolute or asterisk form)."""
    if not target.startswith("/"):
        match = grammar.absolute_form_re.fullmatch(target)
        if match is not None:
            target = match["rest"] or "/"
            if target.startswith("?"):
                target = "/" + target
    path, _, query = target.partition("?")
    return path, query


def _decode_path(raw_path: str) -> str:
    if "%" not in raw_path:
        return raw_path
    # Encode as latin-1 first: given a str, unquote_to_bytes would encode it as UTF-8 and
    # turn a raw obs-text byte such as "\xe9" into two bytes.
    return unquote_to_bytes(raw_path.encode("latin-1")).decode("latin-1")


def _mount(path: str, script_name: str) -> str | None:
    """PATH_INFO for ``path`` under the mount prefix, or None if it lies outside it."""
    if not script_name:
        return path
    if path == script_name:
        return ""
    if path.startswith(script_name) and path[len(script_name)] == "/":
        return path[len(script_name) :]
    return None


_CONNECT_FORM = "CONNECT takes the authority-form host:port only (RFC 9112 §3.2.3)"
_CONNECT_TUNNEL = "CONNECT asks for a tunnel, which a WSGI application cannot provide"


def request_problem(request: Request, config: ServerConfig) -> Refusal | None:
    """Why the server must answer ``request`` itself (a 4xx, or 501 for CONNECT), or None to
    run the app."""
    hosts = []
    for name, value in request.headers:
        if name in _HOST_NAMES or name.lower() == "host":
            hosts.append(value)
    if len(hosts) > 1:
        return Refusal(400, "Bad Request", "more than one Host header (RFC 9112 §3.2)", True)
    if not hosts and request.http_version == "1.1":
        return Refusal(400, "Bad Request", "HTTP/1.1 request without Host (RFC 9112 §3.2)", True)
    if hosts and hosts[0] not in _valid_hosts:
        if grammar.host_re.fullmatch(hosts[0].strip(" \t")) is None:
            return Refusal(400, "Bad Request", f"invalid Host header: {hosts[0]!r}", True)
        if len(_valid_hosts) > 1024:
            _valid_hosts.clear()
        _valid_hosts.add(hosts[0])
    target = request.target
    if request.method == "CONNECT":
        if grammar.authority_form_re.fullmatch(target) is None:
            return Refusal(400, "Bad Request", _CONNECT_FORM, True)
        # RFC 9110 §9.3.6: a 2xx turns the connection into a tunnel, which a WSGI app cannot
        # drive (PEP 3333 gives it no socket), so the method is not implemented (§15.6.2).
        # Closed: a client may already be sending tunnel bytes after the head.
        return Refusal(501, "Not Implemented", _CONNECT_TUNNEL, True)
    if target.startswith("/") and not config.script_name:
        return None
    if target == "*":
        if request.method != "OPTIONS":
            return Refusal(400, "Bad Request", "asterisk-form is for OPTIONS only", True)
        return None
    if not target.startswith("/") and grammar.absolute_form_re.fullmatch(target) is None:
        return Refusal(
            400, "Bad Request", f"request-target is not origin or absolute form: {target!r}", True
        )
    path = _decode_path(split_target(target)[0])
    if _mount(path, config.script_name) is None:
        return Refusal(
            404, "Not Found", f"{path!r} is outside the mount prefix {config.script_name!r}", False
        )
    return None


def build_environ(
    request: Request,
    config: ServerConfig,
    *,
    body: BodySource | bytes,
    log: list[RawEvent],
    remote: tuple[str, int | None] | None = None,
    content_length: int | None = None,
) -> dict[str, Any]:
    """The PEP 3333 environ for ``request``, with guarded streams that record into ``log``.

    ``body`` is the request body in memory, or a source the socket transport streams it
    from; then ``content_length`` is the length the client declared (``request.body`` is
    not read). Call :func:`request_problem` first: a request it refuses has no environ.
    """
    environ, length = request_environ(request, config, remote=remote, content_length=content_length)
    return add_streams(environ, config, body, log, length)


def request_environ(
    request: Request,
    config: ServerConfig,
    *,
    remote: tuple[str, int | None] | None = None,
    content_length: int | None = None,
) -> tuple[dict[str, Any], int | None]:
    """:func:`build_environ`'s environ without the streams, and the body length
    ``wsgi.input`` gets (None: until the chunked body ends). A function of the arguments
    alone: a caller sending the same request again may keep it and copy it."""
    environ = config._template.copy()
    target = request.target
    authority = None
    if "?" in target or not target.startswith("/"):
        raw_path, query = split_target(target)
        if query:
            environ["QUERY_STRING"] = query
        if not target.startswith("/"):
            match = grammar.absolute_form_re.fullmatch(target)
            authority = match["authority"] if match is not None else None
    else:
        raw_path = target
    if raw_path == "*":
        environ["SCRIPT_NAME"], path_info = "", "*"
    elif config.script_name:
        path_info = _mount(_decode_path(raw_path), config.script_name) or ""
    else:
        path_info = raw_path if "%" not in raw_path else _decode_path(raw_path)
    environ["REQUEST_METHOD"] = request.method
    environ["PATH_INFO"] = path_info
    environ["SERVER_PROTOCOL"] = "HTTP/" + request.http_version
    if remote is not None:
        environ["REMOTE_ADDR"] = remote[0]
        if remote[1] is not None:
            environ["REMOTE_PORT"] = str(remote[1])
    framing = request.framing
    length: int | None
    if framing is Framing.NONE:
        length = 0
        if config.no_body_content_length == "empty":
            environ["CONTENT_LENGTH"] = ""
    elif framing is Framing.CONTENT_LENGTH:
        length = len(request.body) if content_length is None else content_length
        environ["CONTENT_LENGTH"] = str(length)
    else:
        length = None
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
        environ["wsgi.input_terminated"] = True
    keys = _environ_keys
    for name, value in request.headers:
        key = keys.get(name) or environ_key(name)
        if key is None:
            continue
        value = value.strip(" \t")
        previous = environ.get(key)
        if previous is not None:
            # RFC 9110 §5.3: a recipient may combine repeated fields with ", ". Cookie is
            # the exception: its pairs are separated by "; " (RFC 6265 §5.4, RFC 9113 §8.2.3).
            value = previous + ("; " if key == "HTTP_COOKIE" else ", ") + value
        environ[key] = value
    if authority:
        # RFC 9112 §3.2.2: with an absolute-form target the server must ignore Host and use
        # the target's authority, so that URL reconstruction (PEP 3333) gives the URL asked.
        environ["HTTP_HOST"] = authority
    return environ, length


def add_streams(
    environ: dict[str, Any],
    config: ServerConfig,
    body: BodySource | bytes,
    log: list[RawEvent],
    length: int | None,
) -> dict[str, Any]:
    """Put the guarded streams (and the file wrapper) that record into ``log`` in
    ``environ`` (from :func:`request_environ`); returns ``environ``."""
    environ["wsgi.input"] = InputStream(body, log, length, config.max_read)
    environ["wsgi.errors"] = ErrorStream(log)
    if config.file_wrapper:
        environ["wsgi.file_wrapper"] = file_wrapper_for(log)
    return environ


_environ_keys: dict[str, str | None] = {}


def environ_key(name: str) -> str | None:
    """The CGI key for header ``name``: ``HTTP_`` + upper case with ``_`` for ``-``.

    Content-Type maps to CONTENT_TYPE (CGI has no HTTP_CONTENT_TYPE). A name containing
    ``_`` maps to None: CGI turns ``-`` into ``_``, so ``X_Auth`` would pass for ``X-Auth``;
    it is dropped (as nginx, Apache and gunicorn do) rather than let one header impersonate
    another.
    """
    key = _environ_keys.get(name)
    if key is None and name not in _environ_keys:
        if "_" not in name:
            key = name.upper().replace("-", "_")
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
        if len(_environ_keys) > 4096:
            _environ_keys.clear()
        _environ_keys[name] = key
    return key
