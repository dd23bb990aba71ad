"""Environ rules on the CGI variables of the request line, the server and the URL: presence,
form, and agreement with the request.

Every rule reads ``ex.environ``, the environ as the server built it. Where the exchange knows
the request the client really sent (wsgicheck's own transports, a probe inside a real
server), the values are also compared with it; under :func:`wsgicheck.validator` the request
is only what the environ says, so those comparisons are skipped rather than made circular.

The variables the request's headers give, and every variable's type, are judged in
:mod:`.environ_headers`, with the helpers below. The ``wsgi.*`` keys and the environ object
itself are judged in :mod:`.environ_objects`;
whether ``wsgi.multithread``, ``multiprocess`` and ``run_once`` tell the truth, in
:mod:`.environ_probe` (``wsgicheck probe`` gathers the evidence).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

from ..model.grammar import DEFAULT_PORTS, is_token, normal_authority, remove_dot_segments
from ..model.grammar import absolute_uri_re as _absolute_re
from ..model.grammar import cgi_server_protocol_re as _protocol_re
from . import environ_objects as environ_objects  # registers the wsgi.* rules
from . import environ_probe as environ_probe  # registers the *-ACCURATE rules (probe)
from .exchange import Exchange, environ_of
from .registry import Binding, Finding, Level, Rule, rule

VARIABLES = "environ Variables"


def _has_environ(ex: Exchange) -> bool:
    return ex.environ is not None


def knows_request(ex: Exchange) -> bool:
    """Whether ``ex.request`` is what the client sent, not a guess made from the environ."""
    return ex.environ is not None and ex.source != "validator"


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
def target_parts(target: str) -> _Target | None:
    """The parts of ``target``; None for the asterisk and authority forms (no path)."""
    authority = None
    if not target.startswith("/"):
        match = _absolute_re.fullmatch(target)
        if match is None:
            return None
        authority, target = match["authority"] or None, match["rest"]
    path, _, query = target.partition("?")
    return _Target(authority, path or "/", query)


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
    env = environ_of(ex)
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
    elif knows_request(ex) and method != ex.request.method:
        # Told apart by case alone (netius upper-cases "purge"): a method is case-sensitive
        # (RFC 9110 §9.1), which a trial of 2026-12-06 found the PEP's words leave unsaid.
        case = (
            ": the method token is case-sensitive (RFC 9110 §9.1)"
            if method.upper() == ex.request.method.upper()
            else ""
        )
        yield self.finding(ex, f"REQUEST_METHOD is {method!r}; the client sent {ex.method!r}{case}")


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
    env = environ_of(ex)
    if "SERVER_NAME" not in env:
        yield self.finding(ex, "environ has no SERVER_NAME")
    elif _text(env, "SERVER_NAME") == "":
        yield self.finding(ex, "SERVER_NAME is empty")


@rule(
    "ENV-SERVER-PORT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="SERVER_PORT is present, not empty, and a decimal port number (on a Unix socket, "
    "which has none, any non-empty value)",
    pep="""SERVER_NAME and SERVER_PORT are required strings and must never be empty.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["SERVER_PORT"] = ""           # or no SERVER_PORT at all
fix:  environ["SERVER_PORT"] = str(port)""",
)
def server_port(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = environ_of(ex)
    port = _text(env, "SERVER_PORT")
    if "SERVER_PORT" not in env:
        yield self.finding(ex, "environ has no SERVER_PORT")
    elif port == "":
        yield self.finding(ex, "SERVER_PORT is empty")
    elif port is not None and not (port.isascii() and port.isdigit()) and not port.startswith("/"):
        # A server listening on a Unix socket has no TCP port to give (RFC 3875 §4.1.15
        # asks for one): waitress gives the socket's path, which the PEP's "must never be
        # empty" allows.
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
    env = environ_of(ex)
    protocol = _text(env, "SERVER_PROTOCOL")
    if "SERVER_PROTOCOL" not in env:
        yield self.finding(ex, "environ has no SERVER_PROTOCOL")
    elif protocol is None:
        return
    elif _protocol_re.fullmatch(protocol) is None:
        yield self.finding(ex, f"SERVER_PROTOCOL {protocol!r} is not a protocol version")
    elif knows_request(ex) and protocol != "HTTP/" + ex.request.http_version:
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
    name = _text(environ_of(ex), "SCRIPT_NAME")
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
    env = environ_of(ex)
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
    env = environ_of(ex)
    target = target_parts(ex.request.target)
    if target is None or ("QUERY_STRING" in env and _text(env, "QUERY_STRING") is None):
        return
    query = _text(env, "QUERY_STRING") or ""
    # A "#..." in a target is not part of the URI (RFC 9112 §3.2): dropping it is fine too.
    if query not in (target.query, target.query.partition("#")[0]):
        yield self.finding(ex, f"QUERY_STRING is {query!r}; the target's query is {target.query!r}")


def _merge_slashes(path: bytes) -> bytes:
    return re.sub(rb"//+", b"/", path)


def _decoded(raw_path: str) -> str:
    """A raw path percent-decoded to bytes, as latin-1 text (what PATH_INFO should hold)."""
    return unquote_to_bytes(raw_path.encode("latin-1")).decode("latin-1")


#: An encoded slash, as a server that keeps it encoded leaves it in PATH_INFO.
_SLASH_KEPT = re.compile(rb"%2[fF]")


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
        merged, undotted = _merge_slashes(path), remove_dot_segments(path)
        allowed |= {path, merged, undotted, remove_dot_segments(merged), _merge_slashes(undotted)}
    if b"/" in allowed:
        allowed.add(b"")  # the root: "http://host" and "http://host/" are the same URL
    return allowed


@rule(
    "ENV-URL-RECONSTRUCTABLE",
    level=Level.SHOULD,
    implied=True,
    binding=Binding.ENVIRON,
    section="URL Reconstruction",
    summary="the PEP's URL reconstruction gives the host the client asked for, and SCRIPT_NAME "
    "+ PATH_INFO its path decoded, as CGI's PATH_INFO is",
    source="RFC 3875 §4.1.5",
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
    env = environ_of(ex)
    target = target_parts(ex.request.target)
    scheme, name, port = (
        _text(env, key) for key in ("wsgi.url_scheme", "SERVER_NAME", "SERVER_PORT")
    )
    if target is None or scheme is None:
        return
    asked = target.authority or _single_header(ex, "Host")
    host = _text(env, "HTTP_HOST")
    if not host and name is not None and port is not None:
        host = name if port == DEFAULT_PORTS.get(scheme, "80") else f"{name}:{port}"
    # No host to rebuild (SERVER_PORT an int, say: ENV-CGI-STR's), the path still is judged
    # (Hypercorn 0.18 turns %E9 into U+FFFD and gives an int port).
    # An empty Host names no host (RFC 9112 §3.2: a target URI without an authority), and
    # the PEP's algorithm then takes SERVER_NAME, which is never empty: nothing to compare.
    if asked and host and normal_authority(host, scheme) != normal_authority(asked, scheme):
        yield self.finding(ex, f"the rebuilt URL has host {host!r}; the client asked {asked!r}")
    script, path = _text(env, "SCRIPT_NAME") or "", _text(env, "PATH_INFO") or ""
    try:
        rebuilt = (script + path).encode("latin-1")
    except UnicodeEncodeError:
        return  # ENV-STR-LATIN1
    if "%" not in target.path and rebuilt == target.path.encode("latin-1"):
        return  # the path as sent, with nothing to decode: the first of those allowed
    allowed = _paths_allowed(target.path)
    if rebuilt in allowed:
        return
    kept = len(_SLASH_KEPT.findall(rebuilt))
    if (
        kept
        and kept <= len(_SLASH_KEPT.findall(target.path.encode("latin-1")))
        and (_SLASH_KEPT.sub(b"/", rebuilt) in allowed)
    ):
        yield self.finding(
            ex,
            f"SCRIPT_NAME + PATH_INFO is {script + path!r}: the encoded slash of the target's "
            f"path {target.path!r} was kept encoded. CGI's PATH_INFO is decoded (RFC 3875 "
            '§4.1.5), and a server that will not decode an encoded "/" may refuse the request',
        )
        return
    yield self.finding(
        ex,
        f"SCRIPT_NAME + PATH_INFO is {script + path!r}; the target's path "
        f"{target.path!r} decodes to {_decoded(target.path)!r}",
    )
