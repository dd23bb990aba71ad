"""Environ rules on the CGI variables the request's headers give, and on every variable's
type: ``CONTENT_TYPE``, ``CONTENT_LENGTH``, the ``HTTP_*`` variables, variables no header
asked for, empty ones that should be left out, and native strings holding latin-1 only.

The request line, the server and the URL's variables are judged in :mod:`.environ_rules`,
whose helpers these rules share; importing it first also registers its rules before these,
in the catalogue's order.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator

from ..model.grammar import HOP_BY_HOP_HEADERS, LIST_REQUEST_FIELDS, decimal
from ..model.grammar import cgi_http_key_re as _http_key_re
from ..model.request import Framing
from ..model.untrusted import show
from .environ_objects import is_cgi_name
from .environ_rules import VARIABLES, knows_request, target_parts
from .exchange import Exchange, environ_of
from .registry import Binding, Finding, Level, Rule, quoted, rule

STRINGS = "A Note On String Types"

#: CGI variables that have no value unless something happened (a login, an ident lookup):
#: PEP 3333 wants them left out then. REMOTE_HOST is not here: CGI lets it be "" when the
#: name is unknown, and wsgiref (by the PEP's author) does just that.
_OMIT_WHEN_EMPTY = ("AUTH_TYPE", "REMOTE_USER", "REMOTE_IDENT")
#: The CGI/1.1 meta-variables (RFC 3875 §4.1) and the common extras servers derive from the
#: request. With HTTP_*, SSL_* and REDIRECT_* keys, they are what wsgiref.handlers transcodes
#: to "bytes as latin-1"; other undotted keys may be OS environment variables.
REQUEST_VARIABLES = frozenset(
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
#: Field names every server maps to an HTTP_ key; one with "_" or another mark a server
#: may drop (Apache keeps letters, digits and "-" only).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9-]+")


def _carries_request(key: str) -> bool:
    """Whether environ[key] is a string from the request or the server, not from the OS."""
    return key in REQUEST_VARIABLES or key.startswith(("HTTP_", "SSL_", "REDIRECT_"))


@rule(
    "ENV-CONTENT-TYPE",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="CONTENT_TYPE is the request's Content-Type, as sent, or empty or absent",
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
    # An HTTP_CONTENT_TYPE beside it is ENV-HTTP-VARS's: CGI asks a server only that it
    # "SHOULD remove" the field (RFC 3875 §4.1.18), where wsgiref.validate asserts it.
    env = environ_of(ex)
    value = env.get("CONTENT_TYPE")
    if not knows_request(ex) or not (value is None or type(value) is str):
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
    summary='CONTENT_LENGTH is the request\'s Content-Length (digits), or "" or absent',
    pep="""The following variables must be present, unless their value would be an empty
    string, in which case they may be omitted, except as otherwise noted below. ...
    CONTENT_LENGTH The contents of any Content-Length fields in the HTTP request. May be
    empty or absent.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["CONTENT_LENGTH"] = str(len(chunk))   # one chunk of a chunked body
fix:  environ["CONTENT_LENGTH"] = "12"              # "" or absent when there is no body""",
)
def content_length(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = environ_of(ex)  # an HTTP_CONTENT_LENGTH beside it is ENV-HTTP-VARS's, as above
    value = env.get("CONTENT_LENGTH")
    if type(value) is not str and value is not None:
        return
    length = decimal(value) if value else None
    if value and length is None:
        yield self.finding(ex, f"CONTENT_LENGTH {value!r} is not a decimal number")
        return
    if not knows_request(ex):
        return
    size = ex.response.request_body_size
    framing = ex.request.framing
    shown = "absent" if value is None else repr(value)
    # "" or absent says there is no body, as Content-Length: 0 does (the PEP: "May be empty
    # or absent"); for a body of some length, only its length will do.
    if framing is Framing.CONTENT_LENGTH and (length or 0) != size:
        yield self.finding(ex, f"CONTENT_LENGTH is {shown}; the client sent Content-Length: {size}")
    elif framing is Framing.NONE and length not in (None, 0):
        yield self.finding(ex, f"CONTENT_LENGTH is {shown}; the request has no body")
    elif framing is Framing.CHUNKED and length not in (None, size):
        # A server that de-chunks the whole body may say how long it turned out to be.
        yield self.finding(ex, f"CONTENT_LENGTH is {shown}; the chunked body was {size} bytes")


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
    # X-Auth), as may one with any character but letters, digits and "-" (Apache drops
    # "X-Plus+Sign"; RFC 3875 §4.1.18: "The server is not required to create
    # meta-variables for all the header fields that it receives"); hop-by-hop fields and
    # Expect are the server's to consume. Content-Type and Content-Length have CGI
    # variables of their own, and the same section asks their HTTP_ keys away.
    env = environ_of(ex)
    for key in sorted(_NOT_HTTP.intersection(env)):
        name = "CONTENT_TYPE" if key == "HTTP_CONTENT_TYPE" else "CONTENT_LENGTH"
        yield self.finding(
            ex,
            f"{key} is set: CGI has it in {name} and asks a server to leave it out of the "
            'HTTP_ variables (RFC 3875 §4.1.18: it "SHOULD remove" such a field); '
            "wsgiref.validate refuses the key",
        )
    present = set()
    for key in env:
        if isinstance(key, str) and key.startswith("HTTP_") and key not in _NOT_HTTP:
            if not (_http_key(key) if type(key) is str else _http_key_re.fullmatch(key)):
                yield self.finding(ex, f"{key!r} is no header's key (upper case, '-' as '_')")
            else:
                present.add(key)
    if not knows_request(ex):
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
    connection = _connection_options(wire_headers)
    required: set[str] = set()
    optional: set[str] = set()
    for name, _ in wire_headers:
        lower = name.lower()
        if lower in ("content-type", "content-length"):
            continue
        key = _cgi_key(name)
        droppable = not _PLAIN_NAME.fullmatch(name) or lower in HOP_BY_HOP_HEADERS
        droppable = droppable or lower in connection
        (optional if droppable or lower == "expect" else required).add(key)
    parts = target_parts(target)
    if parts is not None and parts.authority:
        optional.add("HTTP_HOST")  # RFC 9112 §3.2.2: the target's authority is the Host
    return frozenset(required), frozenset(optional)


def _connection_options(wire_headers: tuple[tuple[str, str], ...]) -> set[str]:
    """The field names the request's Connection lists, lower-case: hop-by-hop, the
    server's to consume (RFC 9110 §7.6.1)."""
    return {
        token.strip(" \t").lower()
        for name, value in wire_headers
        if name.lower() == "connection"
        for token in value.split(",")
    }


def _cgi_key(name: str) -> str:
    """A field's CGI variable (RFC 3875 §4.1.18): upper case, "-" as "_", after "HTTP_"."""
    return "HTTP_" + name.upper().replace("-", "_")


@rule(
    "ENV-HTTP-VALUES",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="an HTTP_ variable holds its field's value; a list field sent twice, both joined",
    pep="""The environ dictionary is required to contain these CGI environment variables, as
    defined by the Common Gateway Interface specification""",
    source="RFC 3875 §4.1.18",
    covers=(),
    needs=("environ", "wire"),
    memo="environ",
    example="""
bad:  environ[key] = environ.get(key, "") + value  # Accept twice: "text/plaintext/html"
fix:  environ[key] = f"{environ[key]}, {value}" if key in environ else value""",
)
def http_values(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # CGI: the value "presented as sent by the client, or ... rewritten in ways which do
    # not change its semantics", and fields sent on several lines rewritten "as a single
    # value having the same semantics". Compared as list elements, so a server may join
    # with "," or ", " and trim what RFC 9110 §5.6.1 lets a recipient ignore. A field the
    # server may drop or rewrite (hop-by-hop, Expect, Host, a name with "_") is not judged,
    # nor one sent twice that is no list (RFC 9110 §5.3 forbids it): those are the
    # client's fault, whatever the server keeps of them.
    env = environ_of(ex)
    for key, (name, values) in _judged_fields(ex.request.wire_headers).items():
        value = env.get(key)
        if type(value) is not str:
            continue
        if len(values) == 1 and value == values[0].strip(" \t"):
            continue  # as sent: the common case, without splitting the list
        if "\r" in value or "\n" in value:
            # No field value holds a line break (RFC 9110 §5.5): one folded over two lines
            # (obs-fold) is unfolded with spaces or refused (RFC 9112 §5.2), never passed on.
            yield self.finding(
                ex,
                f"{key} is {value!r}: a line break of the request's head, passed on (an "
                "obs-fold, which RFC 9112 §5.2 has a server replace with spaces, or refuse "
                "with a 400)",
            )
            continue
        if _elements(value) == _elements(",".join(values)):
            continue
        if not value.isascii() and max(value) > "\xff":
            continue  # decoded as UTF-8 beyond U+00FF: ENV-STR-LATIN1's finding
        sent = " and ".join(repr(each) for each in values)
        lines = "field lines" if len(values) > 1 else "field line"
        if name in (ex.extra.folded or ()):
            lines = "field, sent folded over two lines (an obs-fold, RFC 9112 §5.2), unfolded"
        hint = _misread(value, values)
        yield self.finding(ex, f"{key} is {value!r}; the request's {name} {lines}: {sent}{hint}")


@functools.lru_cache(maxsize=256)
def _judged_fields(
    wire_headers: tuple[tuple[str, str], ...],
) -> dict[str, tuple[str, list[str]]]:
    """The HTTP_ keys whose values a server must keep, each with its field's name and the
    values of its field lines, in order. Worked out once per header section."""
    fields: dict[str, tuple[str, list[str]]] = {}
    skipped = {"host", "expect", "content-type", "content-length", *HOP_BY_HOP_HEADERS}
    skipped.update(_connection_options(wire_headers))
    ambiguous = set()  # X_A may be dropped, or kept as HTTP_X_A beside X-A's value
    for name, value in wire_headers:
        lower = name.lower()
        key = _cgi_key(name)
        if "_" in name:
            ambiguous.add(key)
        elif lower not in skipped:
            fields.setdefault(key, (name, []))[1].append(value)
    return {
        key: field
        for key, field in fields.items()
        if key not in ambiguous and (len(field[1]) == 1 or field[0].lower() in LIST_REQUEST_FIELDS)
    }


_BLANKS = re.compile(r"[ \t\r\n]+")


def _elements(value: str) -> list[str]:
    """A field value's list elements as a recipient reads them: split at commas, blanks
    at each end trimmed and runs of them inside made one space (an obs-fold), empty
    elements left out (RFC 9110 §5.6.1)."""
    return [
        each for each in (_BLANKS.sub(" ", part).strip(" ") for part in value.split(",")) if each
    ]


def _misread(value: str, values: list[str]) -> str:
    """What a wrong value says of the server's mistake, when it is a common one."""
    joined = "".join(values)
    if len(values) > 1 and value == joined:
        return " (joined with nothing between them)"
    if value in values:
        return " (only one of them kept)" if len(values) > 1 else ""
    try:
        utf8 = ",".join(values).encode("latin-1").decode("utf-8")
    except UnicodeError:
        return ""
    if _elements(value) == _elements(utf8):
        return " (decoded as UTF-8; PEP 3333 wants the bytes decoded as latin-1)"
    return ""


@rule(
    "ENV-EXTRA-CGI-VARS",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES + "; RFC 3875 §4.1.8",
    summary="the server provides the other CGI variables it can, REMOTE_ADDR at least, and "
    "REMOTE_ADDR is the client's address",
    pep="""A server or gateway should attempt to provide as many other CGI variables as are
    applicable.""",
    needs=("environ", "wire"),
    # The exchange, not the environ alone: where REMOTE_ADDR came from is read from the
    # request's forwarding fields.
    memo="exchange",
    example="""
bad:  an environ with no REMOTE_ADDR, or REMOTE_ADDR = f"{host}:{port}"
fix:  environ["REMOTE_ADDR"] = peer_address[0]""",
)
def extra_cgi_vars(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Judged only when the exchange came over a connection: a test client calling the app
    # through wsgicheck.validator has no peer, so REMOTE_ADDR is not "applicable" there.
    env = environ_of(ex)
    if "REMOTE_ADDR" not in env:
        yield self.finding(ex, "environ has no REMOTE_ADDR")
        return
    address = env["REMOTE_ADDR"]
    if type(address) is not str or not address:
        return
    parsed = _parsed_address(address)
    if parsed is None:
        # RFC 3875 §4.1.8: "the network address of the client", an IPv4 or IPv6 address
        # (fastwsgi 0.0.9 gives "127.0.0.1:24296", the port byte-swapped and glued on; a
        # probe trial of 2026-12-06). Another type is ENV-CGI-STR's; '' is left alone (a
        # server on a Unix socket has no network address to give).
        yield self.finding(
            ex,
            f"REMOTE_ADDR is {quoted(address)}: not an IPv4 or IPv6 address (RFC 3875 §4.1.8)"
            + _forwarded_from(ex, address),
        )
    elif not parsed.is_loopback and (came_from := _forwarded_from(ex, address)):
        # A forwarding field's address, where every client of wsgicheck's (and the probe's)
        # connects from loopback: not "the network address of the client sending the
        # request to the server" (RFC 3875 §4.1.8). A review of 2026-12-07: a server that
        # trusts X-Forwarded-For passed, since the probe's value is a valid address.
        yield self.finding(
            ex,
            f"REMOTE_ADDR is {quoted(address)}, not the address of the client that sent the "
            f"request (RFC 3875 §4.1.8){came_from}; behind a proxy that sets the field, that "
            "may be meant",
        )


#: Request fields a server may be set to take the client's address from (behind a proxy).
FORWARDING_FIELDS = ("x-forwarded-for", "forwarded", "x-real-ip")


def _forwarded_from(ex: Exchange, address: str) -> str:
    """Where REMOTE_ADDR came from, when one of the addresses a forwarding field of the
    request names is it: a trial of 2026-12-07 found uvicorn taking it from
    X-Forwarded-For (it trusts the field from 127.0.0.1 by default), and the finding did
    not say so."""
    for name, value in ex.request.headers:
        if name.lower() in FORWARDING_FIELDS and address in _forwarded_addresses(name, value):
            return (
                f" (it is from the request's {show(name)} field, {quoted(value)}: the server "
                "took the client's address from a field any client can send)"
            )
    return ""


def _forwarded_addresses(name: str, value: str) -> list[str]:
    """The client addresses a forwarding field names, as a server would take them: the
    elements of X-Forwarded-For (and X-Real-IP), the ``for=`` of Forwarded (RFC 7239 §4,
    its quotes, brackets and port taken off)."""
    if name.lower() != "forwarded":
        return [element.strip(" \t") for element in value.split(",")]
    found = []
    for element in value.split(","):
        for pair in element.split(";"):
            key, _, node = pair.strip(" \t").partition("=")
            if key.lower() != "for":
                continue
            node = node.strip('"')
            if node.startswith("["):
                found.append(node[1:].partition("]")[0])
            else:
                found.append(node.partition(":")[0])
    return found


def _parsed_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``text`` as an IPv4 or IPv6 address (a zone kept), or None if it is none."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


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
    env = environ_of(ex)
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
    for key, value in environ_of(ex).items():
        if type(value) is not str and is_cgi_name(key):
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
    for key, value in environ_of(ex).items():
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
