"""Environ rules on the CGI variables: presence, type, form, and agreement with the request.

Every rule reads ``ex.environ``, the environ as the server built it. Where the exchange knows
the request the client really sent (wsgicheck's own transports, a probe inside a real
server), the values are also compared with it; under :func:`wsgicheck.validator` the request
is only what the environ says, so those comparisons are skipped rather than made circular.

The ``wsgi.*`` keys and the environ object itself are judged in :mod:`.environ_objects`;
whether ``wsgi.multithread``, ``multiprocess`` and ``run_once`` tell the truth, in
:mod:`.environ_probe` (``wsgicheck probe`` gathers the evidence).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

from ..grammar import HOP_BY_HOP_HEADERS, is_token
from ..grammar import absolute_uri_re as _absolute_re
from ..grammar import cgi_http_key_re as _http_key_re
from ..grammar import cgi_server_protocol_re as _protocol_re
from ..request import Framing
from . import environ_objects as environ_objects  # registers the wsgi.* rules
from . import environ_probe as environ_probe  # registers the *-ACCURATE rules (probe)
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, rule

VARIABLES = "environ Variables"
STRINGS = "A Note On String Types"

#: CGI variables that have no value unless something happened (a login, an ident lookup):
#: PEP 3333 wants them left out then. REMOTE_HOST is not here: CGI lets it be "" when the
#: name is unknown, and wsgiref (by the PEP's author) does just that.
_OMIT_WHEN_EMPTY = ("AUTH_TYPE", "REMOTE_USER", "REMOTE_IDENT")
#: The CGI/1.1 meta-variables (RFC 3875 §4.1) and the common extras servers derive from the
#: request. With HTTP_*, SSL_* and REDIRECT_* keys, they are what wsgiref.handlers transcodes
#: to "bytes as latin-1"; other undotted keys may be OS environment variables.
_REQUEST_VARIABLES = frozenset(
    {
        "AUTH_TYPE",
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "GATEWAY_INTERFACE",
        "HTTPS",
        "PATH_INFO",
        "PATH_TRANSLATED",
        "QUERY_STRING",
        "RAW_URI",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_IDENT",
        "REMOTE_PORT",
        "REMOTE_USER",
        "REQUEST_METHOD",
        "REQUEST_URI",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "wsgi.url_scheme",
    }
)
#: Keys that carry the request's framing and type: CGI gives them no HTTP_ name.
_NOT_HTTP = frozenset({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})


def _has_environ(ex: Exchange) -> bool:
    return ex.environ is not None


def _knows_request(ex: Exchange) -> bool:
    """Whether ``ex.request`` is what the client sent, not a guess made from the environ."""
    return ex.environ is not None and ex.source != "validator"


def _env(ex: Exchange) -> dict[str, Any]:
    assert ex.environ is not None
    return ex.environ


def _text(env: dict[str, Any], key: str) -> str | None:
    """``env[key]`` when it is a str; a missing or non-str value is other rules' business."""
    value = env.get(key)
    return value if type(value) is str else None


class _Target(NamedTuple):
    """A request-target in origin or absolute form, still percent-encoded."""

    #: The authority of an absolute-form target (RFC 9112 §3.2.2: it overrides Host).
    authority: str | None
    path: str
    query: str


@functools.lru_cache(maxsize=1024)
def _target(target: str) -> _Target | None:
    """The parts of ``target``; None for the asterisk and authority forms (no path)."""
    authority = None
    if not target.startswith("/"):
        match = _absolute_re.fullmatch(target)
        if match is None:
            return None
        authority, target = match["authority"] or None, match["rest"]
    path, _, query = target.partition("?")
    return _Target(authority, path or "/", query)


def _carries_request(key: str) -> bool:
    """Whether environ[key] is a string from the request or the server, not from the OS."""
    return key in _REQUEST_VARIABLES or key.startswith(("HTTP_", "SSL_", "REDIRECT_"))


def _single_header(ex: Exchange, name: str) -> str | None:
    values = ex.request.header_values(name)
    return values[0].strip(" \t") if len(values) == 1 else None


# -- the request line and the server --------------------------------------------------------------


@rule(
    "ENV-REQUEST-METHOD",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="REQUEST_METHOD is present, never empty, and is the method the client sent",
    pep="""REQUEST_METHOD The HTTP request method, such as "GET" or "POST". This cannot ever be
    an empty string, and so is always required.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["REQUEST_METHOD"] = ""        # or "GET" for a HEAD request
fix:  environ["REQUEST_METHOD"] = method    # as sent; unknown tokens such as "PROPFIND" too""",
)
def request_method(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Any token is a method (RFC 9110 §9.1): unknown ones are not findings.
    env = _env(ex)
    if "REQUEST_METHOD" not in env:
        yield self.finding(ex, "environ has no REQUEST_METHOD")
        return
    method = _text(env, "REQUEST_METHOD")
    if method is None:
        return
    if not method:
        yield self.finding(ex, "REQUEST_METHOD is empty")
    elif not is_token(method):
        yield self.finding(ex, f"REQUEST_METHOD {method!r} is not an HTTP method (a token)")
    elif _knows_request(ex) and method != ex.request.method:
        yield self.finding(ex, f"REQUEST_METHOD is {method!r}; the client sent {ex.method!r}")


@rule(
    "ENV-SERVER-NAME",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="SERVER_NAME is present and not empty",
    pep="""SERVER_NAME and SERVER_PORT are required strings and must never be empty.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["SERVER_NAME"] = ""           # e.g. listening on 0.0.0.0 with no name set
fix:  environ["SERVER_NAME"] = socket.getfqdn(host) or host""",
)
def server_name(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = _env(ex)
    if "SERVER_NAME" not in env:
        yield self.finding(ex, "environ has no SERVER_NAME")
    elif _text(env, "SERVER_NAME") == "":
        yield self.finding(ex, "SERVER_NAME is empty")


@rule(
    "ENV-SERVER-PORT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="SERVER_PORT is present, not empty, and a decimal port number",
    pep="""SERVER_NAME and SERVER_PORT are required strings and must never be empty.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["SERVER_PORT"] = ""           # or no SERVER_PORT at all
fix:  environ["SERVER_PORT"] = str(port)""",
)
def server_port(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = _env(ex)
    port = _text(env, "SERVER_PORT")
    if "SERVER_PORT" not in env:
        yield self.finding(ex, "environ has no SERVER_PORT")
    elif port == "":
        yield self.finding(ex, "SERVER_PORT is empty")
    elif port is not None and not (port.isascii() and port.isdigit()):
        yield self.finding(ex, f"SERVER_PORT {port!r} is not a port number")


@rule(
    "ENV-SERVER-PROTOCOL",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="SERVER_PROTOCOL is present and is the version the client used (not the reply's)",
    pep="""The following variables must be present, unless their value would be an empty
    string ... SERVER_PROTOCOL The version of the protocol the client used to send the
    request. Typically this will be something like "HTTP/1.0" or "HTTP/1.1" and may be used by
    the application to determine how to treat any HTTP request headers.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["SERVER_PROTOCOL"] = "HTTP/1.0"   # the server answers in 1.0, client sent 1.1
fix:  environ["SERVER_PROTOCOL"] = "HTTP/" + request_version""",
)
def server_protocol(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # CGI allows other protocols ("INCLUDED", token/1.0): only the form of one is required.
    env = _env(ex)
    protocol = _text(env, "SERVER_PROTOCOL")
    if "SERVER_PROTOCOL" not in env:
        yield self.finding(ex, "environ has no SERVER_PROTOCOL")
    elif protocol is None:
        return
    elif _protocol_re.fullmatch(protocol) is None:
        yield self.finding(ex, f"SERVER_PROTOCOL {protocol!r} is not a protocol version")
    elif _knows_request(ex) and protocol != "HTTP/" + ex.request.http_version:
        sent = "HTTP/" + ex.request.http_version
        yield self.finding(ex, f"SERVER_PROTOCOL is {protocol!r}; the client sent {sent}")


# -- the URL --------------------------------------------------------------------------------------


@rule(
    "ENV-SCRIPT-NAME",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary='SCRIPT_NAME is "" (app at the root) or a path starting with "/"',
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    SCRIPT_NAME The initial portion of the request URL's "path" that corresponds to the
    application object, so that the application knows its virtual "location". This may
    be an empty string, if the application corresponds to the "root" of the server.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["SCRIPT_NAME"] = "app"        # mount prefix configured without its slash
fix:  environ["SCRIPT_NAME"] = "/app"       # or "" at the server root""",
)
def script_name(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # "" is the root (not a finding); so, for wsgiref and WebTest, is "/", but CGI's grammar
    # ("" | "/" path) allows it: a doubled slash then shows in ENV-URL-RECONSTRUCTABLE.
    name = _text(_env(ex), "SCRIPT_NAME")
    if name and not name.startswith("/"):
        yield self.finding(ex, f'SCRIPT_NAME {name!r} does not start with "/"')


@rule(
    "ENV-PATH-INFO",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary='PATH_INFO is "" or starts with "/" ("*" for OPTIONS *)',
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    PATH_INFO The remainder of the request URL's "path", designating the virtual
    "location" of the request's target within the application. This may be an empty
    string, if the request URL targets the application root and does not have a trailing
    slash.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["PATH_INFO"] = path[len(prefix) + 1:]   # "/app/x" -> "x"
fix:  environ["PATH_INFO"] = path[len(prefix):]       # "/app/x" -> "/x\"""",
)
def path_info(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Whether the value is the request's path (decoded) is ENV-URL-RECONSTRUCTABLE's question.
    env = _env(ex)
    path = _text(env, "PATH_INFO")
    if not path or path.startswith("/"):
        return
    if path == "*" and env.get("REQUEST_METHOD") == "OPTIONS":
        return  # OPTIONS * (RFC 9112 §3.2.4): the asterisk is the whole target
    yield self.finding(ex, f'PATH_INFO {path!r} does not start with "/"')


@rule(
    "ENV-QUERY-STRING",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary='QUERY_STRING is what follows "?" in the target, as sent (not decoded); may be absent',
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    QUERY_STRING The portion of the request URL that follows the "?", if any. May be
    empty or absent.""",
    needs=("environ", "wire"),
    memo="environ",
    example="""
bad:  environ["QUERY_STRING"] = unquote(query)   # "a=1%26b=2" becomes "a=1&b=2"
fix:  environ["QUERY_STRING"] = query            # percent-escapes kept""",
)
def query_string(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Absent is the same as "" (wsgiref's warning about an absent QUERY_STRING is not PEP).
    env = _env(ex)
    target = _target(ex.request.target)
    if target is None or ("QUERY_STRING" in env and _text(env, "QUERY_STRING") is None):
        return
    query = _text(env, "QUERY_STRING") or ""
    # A "#..." in a target is not part of the URI (RFC 9112 §3.2): dropping it is fine too.
    if query not in (target.query, target.query.partition("#")[0]):
        yield self.finding(ex, f"QUERY_STRING is {query!r}; the target's query is {target.query!r}")


def _remove_dots(path: bytes) -> bytes:
    """RFC 3986 §5.2.4 remove_dot_segments, for a path starting with "/"."""
    if not path.startswith(b"/"):
        return path
    segments = path.split(b"/")[1:]
    kept: list[bytes] = []
    for segment in segments:
        if segment == b"..":
            if kept:
                kept.pop()
        elif segment != b".":
            kept.append(segment)
    if segments[-1] in (b".", b".."):
        kept.append(b"")
    return b"/" + b"/".join(kept)


def _merge_slashes(path: bytes) -> bytes:
    return re.sub(rb"//+", b"/", path)


def _decoded(raw_path: str) -> str:
    """A raw path percent-decoded to bytes, as latin-1 text (what PATH_INFO should hold)."""
    return unquote_to_bytes(raw_path.encode("latin-1")).decode("latin-1")


def _paths_allowed(raw_path: str) -> set[bytes]:
    """SCRIPT_NAME + PATH_INFO values (as bytes) a server may give for ``raw_path``.

    The path percent-decoded, as is or put in a canonical form (dot segments removed,
    slashes merged: "Server rewrite rules ... may have modified the client's originally
    requested URL to place it in a canonical form"), with or without a stray "#...".
    Leading slashes collapsed to one is a canonical form too: ``http.server`` (so wsgiref
    and Werkzeug) and waitress do it to a raw path, against open redirects (gh-87389).
    """
    allowed: set[bytes] = set()
    raws = {raw_path, raw_path.partition("#")[0] or "/"}
    raws |= {"/" + raw.lstrip("/") for raw in raws if raw.startswith("//")}
    for raw in raws:
        path = unquote_to_bytes(raw.encode("latin-1"))
        merged, undotted = _merge_slashes(path), _remove_dots(path)
        allowed |= {path, merged, undotted, _remove_dots(merged), _merge_slashes(undotted)}
    if b"/" in allowed:
        allowed.add(b"")  # the root: "http://host" and "http://host/" are the same URL
    return allowed


def _authority(host: str, scheme: str) -> str:
    """A host[:port] compared the way URIs are (RFC 3986 §6.2.3): case, default port."""
    host = host.strip(" \t").lower().removesuffix(":")
    default = {"http": ":80", "https": ":443"}.get(scheme.lower())
    return host.removesuffix(default) if default else host


@rule(
    "ENV-URL-RECONSTRUCTABLE",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section="URL Reconstruction",
    summary="the PEP's URL reconstruction gives the host and (decoded) path the client asked for",
    pep="""If an application wishes to reconstruct a request's complete URL, it may do so using
    the following algorithm ... Note that such a reconstructed URL may not be precisely the
    same URI as requested by the client. Server rewrite rules, for example, may have modified
    the client's originally requested URL to place it in a canonical form.""",
    covers=("ENV-URL-RECONSTRUCTABLE", "ENV-PATH-INFO"),
    needs=("environ", "wire"),
    memo="environ",
    example="""
bad:  environ["PATH_INFO"] = raw_path                     # "/a%20b" left encoded
fix:  environ["PATH_INFO"] = unquote_to_bytes(raw_path).decode("latin-1")   # "/a b\"""",
)
def url_reconstructable(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # The query is ENV-QUERY-STRING's (a MUST); the scheme cannot be told from the request.
    # Paths are compared decoded: quote() in the PEP's algorithm cannot restore "%2F".
    env = _env(ex)
    target = _target(ex.request.target)
    scheme, name, port = (
        _text(env, key) for key in ("wsgi.url_scheme", "SERVER_NAME", "SERVER_PORT")
    )
    if target is None or scheme is None or name is None or port is None:
        return
    asked = target.authority or _single_header(ex, "Host")
    if asked is not None:
        host = _text(env, "HTTP_HOST")
        if not host:
            default = "443" if scheme == "https" else "80"
            host = name if port == default else f"{name}:{port}"
        if _authority(host, scheme) != _authority(asked, scheme):
            yield self.finding(ex, f"the rebuilt URL has host {host!r}; the client asked {asked!r}")
    script, path = _text(env, "SCRIPT_NAME") or "", _text(env, "PATH_INFO") or ""
    try:
        rebuilt = (script + path).encode("latin-1")
    except UnicodeEncodeError:
        return  # ENV-STR-LATIN1
    if "%" not in target.path and rebuilt == target.path.encode("latin-1"):
        return  # the path as sent, with nothing to decode: the first of those allowed
    if rebuilt not in _paths_allowed(target.path):
        yield self.finding(
            ex,
            f"SCRIPT_NAME + PATH_INFO is {script + path!r}; the target's path "
            f"{target.path!r} decodes to {_decoded(target.path)!r}",
        )


# -- the request's headers ------------------------------------------------------------------------


@rule(
    "ENV-CONTENT-TYPE",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="Content-Type goes in CONTENT_TYPE (never HTTP_CONTENT_TYPE), as sent or absent",
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    CONTENT_TYPE The contents of any Content-Type fields in the HTTP request. May be
    empty or absent.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["CONTENT_TYPE"] = "text/plain"   # the client sent no Content-Type
fix:  if "content-type" in headers: environ["CONTENT_TYPE"] = headers["content-type"]""",
)
def content_type(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = _env(ex)
    if "HTTP_CONTENT_TYPE" in env:
        yield self.finding(ex, "HTTP_CONTENT_TYPE is set: CGI puts Content-Type in CONTENT_TYPE")
    value = env.get("CONTENT_TYPE")
    if not _knows_request(ex) or not (value is None or type(value) is str):
        return
    sent = ex.request.header_values("Content-Type")
    if not sent and value:
        yield self.finding(ex, f"CONTENT_TYPE is {value!r}; the request has no Content-Type")
    elif len(sent) == 1 and (value or "").strip(" \t") != sent[0].strip(" \t"):
        yield self.finding(ex, f"CONTENT_TYPE is {value!r}; the client sent {sent[0]!r}")


@rule(
    "ENV-CONTENT-LENGTH",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary='CONTENT_LENGTH is the request\'s Content-Length (digits), "" or absent; no HTTP_ twin',
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    CONTENT_LENGTH The contents of any Content-Length fields in the HTTP request. May be
    empty or absent.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["HTTP_CONTENT_LENGTH"] = "12"   # every header copied as HTTP_*
fix:  environ["CONTENT_LENGTH"] = "12"        # "" or absent when there is no body""",
)
def content_length(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = _env(ex)
    if "HTTP_CONTENT_LENGTH" in env:
        yield self.finding(ex, "HTTP_CONTENT_LENGTH is set: CGI puts it in CONTENT_LENGTH")
    value = env.get("CONTENT_LENGTH")
    if type(value) is not str and value is not None:
        return
    if value and not (value.isascii() and value.isdigit()):
        yield self.finding(ex, f"CONTENT_LENGTH {value!r} is not a decimal number")
        return
    if not _knows_request(ex):
        return
    length = int(value) if value else None
    size = ex.response.request_body_size
    framing = ex.request.framing
    if framing is Framing.CONTENT_LENGTH and length != size:
        yield self.finding(
            ex, f"CONTENT_LENGTH is {value!r}; the client sent Content-Length: {size}"
        )
    elif framing is Framing.NONE and length not in (None, 0):
        yield self.finding(ex, f"CONTENT_LENGTH is {value!r}; the request has no body")
    elif framing is Framing.CHUNKED and length not in (None, size):
        # A server that de-chunks the whole body may say how long it turned out to be.
        yield self.finding(ex, f"CONTENT_LENGTH is {value!r}; the chunked body was {size} bytes")


@rule(
    "ENV-HTTP-VARS",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="one HTTP_ key per request header (upper case, '-' as '_'), and none for others",
    pep="""HTTP_ Variables Variables corresponding to the client-supplied HTTP request headers
    (i.e., variables whose names begin with "HTTP_"). The presence or absence of these
    variables should correspond with the presence or absence of the appropriate HTTP header in
    the request.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["HTTP_" + name] = value          # "HTTP_X-Request-Id": the app looks for ..._ID
fix:  environ["HTTP_" + name.upper().replace("-", "_")] = value""",
)
def http_vars(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # A name holding "_" may be dropped (nginx, Apache, gunicorn do: X_Auth would pass for
    # X-Auth); hop-by-hop fields and Expect are the server's to consume. CONTENT_TYPE and
    # CONTENT_LENGTH are not HTTP_ keys (their HTTP_ twins are other rules' findings).
    env = _env(ex)
    present = set()
    for key in env:
        if isinstance(key, str) and key.startswith("HTTP_") and key not in _NOT_HTTP:
            if not (_http_key(key) if type(key) is str else _http_key_re.fullmatch(key)):
                yield self.finding(ex, f"{key!r} is no header's key (upper case, '-' as '_')")
            else:
                present.add(key)
    if not _knows_request(ex):
        return
    request = ex.request
    required, optional = _http_keys_expected(request.wire_headers, request.target)
    for key in sorted(required - present):
        yield self.finding(ex, f"{key} is missing; the request has that header")
    for key in sorted(present - required - optional):
        yield self.finding(ex, f"{key} is set; the request has no such header")


@functools.lru_cache(maxsize=1024)
def _http_key(key: str) -> bool:
    """Whether ``key`` is the CGI name of some header field."""
    return _http_key_re.fullmatch(key) is not None


@functools.lru_cache(maxsize=256)
def _http_keys_expected(
    wire_headers: tuple[tuple[str, str], ...], target: str
) -> tuple[frozenset[str], frozenset[str]]:
    """The HTTP_ keys a request's header fields call for: those required, those a server
    may leave out. Worked out once per header section (a test suite sends the same few)."""
    connection = {
        token.strip(" \t").lower()
        for name, value in wire_headers
        if name.lower() == "connection"
        for token in value.split(",")
    }
    required: set[str] = set()
    optional: set[str] = set()
    for name, _ in wire_headers:
        lower = name.lower()
        if lower in ("content-type", "content-length"):
            continue
        key = "HTTP_" + name.upper().replace("-", "_")
        droppable = "_" in name or lower in HOP_BY_HOP_HEADERS or lower in connection
        (optional if droppable or lower == "expect" else required).add(key)
    parts = _target(target)
    if parts is not None and parts.authority:
        optional.add("HTTP_HOST")  # RFC 9112 §3.2.2: the target's authority is the Host
    return frozenset(required), frozenset(optional)


@rule(
    "ENV-EXTRA-CGI-VARS",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="the server provides the other CGI variables it can, REMOTE_ADDR at least",
    pep="""A server or gateway should attempt to provide as many other CGI variables as are
    applicable.""",
    needs=("environ", "wire"),
    memo="environ",
    example="""
bad:  an environ with no REMOTE_ADDR
fix:  environ["REMOTE_ADDR"] = peer_address[0]""",
)
def extra_cgi_vars(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Judged only when the exchange came over a connection: a test client calling the app
    # through wsgicheck.validator has no peer, so REMOTE_ADDR is not "applicable" there.
    if "REMOTE_ADDR" not in _env(ex):
        yield self.finding(ex, "environ has no REMOTE_ADDR")


@rule(
    "ENV-MISSING-OMITTED",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="CGI variables with no value (REMOTE_USER with no login) are left out, not set to ''",
    pep="""Note: missing variables (such as REMOTE_USER when no authentication has occurred)
    should be left out of the environ dictionary.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["REMOTE_USER"] = user or ""
fix:  if user: environ["REMOTE_USER"] = user""",
)
def missing_omitted(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Only variables that have no value in many requests: QUERY_STRING, CONTENT_TYPE,
    # CONTENT_LENGTH, SCRIPT_NAME and PATH_INFO may be "" by the PEP's own words, and OS
    # environment variables (allowed) are nobody's business.
    env = _env(ex)
    for key in _OMIT_WHEN_EMPTY:
        if env.get(key, None) == "":
            yield self.finding(ex, f"{key} is set to '' instead of being left out")


# -- types and strings ----------------------------------------------------------------------------


@rule(
    "ENV-CGI-STR",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES + "; " + STRINGS,
    summary="every CGI variable present is a native str (not bytes, int or None)",
    pep="""Also note that CGI-defined variables must be native strings, if they are present at
    all. It is a violation of this specification for any CGI variable's value to be of any
    type other than str.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["PATH_INFO"] = raw_path              # bytes
fix:  environ["PATH_INFO"] = raw_path.decode("latin-1")""",
)
def cgi_str(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # CGI variables are the undotted keys (dotted ones are wsgi.* or server extensions).
    for key, value in _env(ex).items():
        if isinstance(key, str) and "." not in key and type(value) is not str:
            yield self.finding(ex, f"{key} is a {type(value).__name__}, not a str")


@rule(
    "ENV-STR-LATIN1",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section="Unicode Issues; " + STRINGS,
    summary="environ strings hold only U+0000-U+00FF: bytes decoded as latin-1, never UTF-8",
    pep="""all "strings" referred to in this specification must contain only code points
    representable in ISO-8859-1 encoding (\\u0000 through \\u00FF, inclusive). ... Similarly,
    servers and gateways must not supply strings to an application containing any other
    Unicode characters.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["PATH_INFO"] = unquote(raw_path)     # "/\\u2603" for /%E2%98%83
fix:  environ["PATH_INFO"] = unquote_to_bytes(raw_path).decode("latin-1")  # "/\\xe2\\x98\\x83\"""",
)
def str_latin1(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # The strings that carry the request and the server: OS environment variables copied in
    # (wsgiref does) keep the machine's text (a prompt, a home directory), as in wsgiref.
    for key, value in _env(ex).items():
        if (
            type(value) is str
            and not value.isascii()
            and isinstance(key, str)
            and _carries_request(key)
        ):
            wide = next((char for char in value if ord(char) > 0xFF), None)
            if wide is not None:
                yield self.finding(
                    ex, f"{key} holds {wide!r} (U+{ord(wide):04X}): decode bytes as latin-1"
                )
