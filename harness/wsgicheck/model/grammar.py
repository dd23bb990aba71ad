"""HTTP, CGI and WSGI grammar, written once as commented regular expressions.

Every pattern quotes the production it implements (RFC 9110, RFC 9112, RFC 3986, RFC 3875,
PEP 3333), in the manner of h11's ``_abnf.py``: the checks (the request model, the core's
status and header checks, the wire checks, the environ, the rules, the response reader) and
the Hypothesis strategies all take their patterns and character sets from here, so there is a
single definition of what "a token" or "a chunk size" means in this project.
``tests/test_grammar.py`` holds each pattern to examples of its production.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime

# -- characters ---------------------------------------------------------------------------------

# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TCHAR = f"[{re.escape(TCHARS)}]"
# RFC 5234 B.1: VCHAR = %x21-7E; RFC 9110 §5.5: obs-text = %x80-FF
VCHAR = r"[\x21-\x7e]"
OBS_TEXT = r"[\x80-\xff]"
# RFC 9110 §5.5: field-vchar = VCHAR / obs-text
FIELD_VCHARS = "".join(map(chr, [*range(0x21, 0x7F), *range(0x80, 0x100)]))
FIELD_VCHAR = r"[\x21-\x7e\x80-\xff]"
# RFC 3986 §2.3, §2.2: the marks of unreserved and sub-delims, and ":" / "@", which a path
# segment holds unescaped (pchar = unreserved / pct-encoded / sub-delims / ":" / "@").
PCHAR_MARKS = "-._~!$&'()*+,;=:@"
# RFC 9110 §5.6.3: OWS = *( SP / HTAB ); BWS = OWS
OWS = r"[ \t]*"

# -- tokens, fields ----------------------------------------------------------------------------

# RFC 9110 §5.6.2: token = 1*tchar
TOKEN = rf"{TCHAR}+"
# RFC 9110 §5.1: field-name = token
FIELD_NAME = TOKEN
# RFC 9110 §5.5: field-value = *field-content
#                field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
# Leading and trailing whitespace (OWS) is not part of the value.
FIELD_VALUE = rf"(?:{FIELD_VCHAR}(?:[ \t]*{FIELD_VCHAR})*)?"
# RFC 9112 §5: field-line = field-name ":" OWS field-value OWS (no whitespace before ":").
FIELD_LINE = rf"(?P<name>{FIELD_NAME}):{OWS}(?P<value>{FIELD_VALUE}){OWS}"
# RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
#                  qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
#                  quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'

# Control characters. PEP 3333: a status or header "must not contain control characters";
# RFC 9110 §5.5 lets HTAB into a field value; a request head's lines end in CRLF, checked as
# pairs (RFC 9112 §2.2), so CR and LF are not counted among its controls.
CONTROL = r"[\x00-\x1f\x7f]"
VALUE_CONTROL = r"[\x00-\x08\x0a-\x1f\x7f]"
HEAD_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

# -- request line --------------------------------------------------------------------------------

# RFC 9110 §9.1: method = token
METHOD = TOKEN
# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT; HTTP-name = %s"HTTP"
HTTP_VERSION = r"HTTP/(?P<major>[0-9])\.(?P<minor>[0-9])"

# RFC 9112 §3.2: request-target = origin-form / absolute-form / authority-form / asterisk-form.
# A Request value may hold any visible ASCII or obs-text byte, so that a test can send what
# other servers get (raw latin-1 bytes: PEP 3333's latin-1 rule exists for servers that pass
# them through; a fragment). The socket server holds a target to the forms below.
REQUEST_TARGET = rf"{FIELD_VCHAR}+"
# RFC 9112 §3.2.1: origin-form = absolute-path [ "?" query ]; RFC 3986 §3.3, §3.4: neither
# a segment nor the query holds "#" (the fragment stays with the client, RFC 9110 §7.1). The
# rest of each character set is left as wide as REQUEST_TARGET, as servers accept "%zz".
ORIGIN_FORM = r"/[^#]*"
# RFC 9110 §4.2.1: http-URI = "http" "://" authority path-abempty [ "?" query ], and the same
# for https (§4.2.2). RFC 3986 §3.2: authority = [ userinfo "@" ] host [ ":" port ], but
# RFC 9110 §4.2.4 deprecates userinfo in these URIs and has a recipient treat it as an error;
# Host is uri-host [ ":" port ] (§7.2). So the authority of an absolute-form target
# (RFC 9112 §3.2.2) holds no "@", and the target no fragment. "A sender MUST NOT generate an
# "http" URI with an empty host identifier" and a recipient rejects one (RFC 9110 §4.2.1):
# the authority starts with its host, never with ":" or nothing.
ABSOLUTE_FORM = r"(?i:(?P<scheme>https?))://(?P<authority>[^/?#@:][^/?#@]*)(?P<rest>[/?][^#]*)?"
# RFC 3986 §3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
SCHEME = r"[A-Za-z][A-Za-z0-9+\-.]*"
# RFC 3986 §4.3: absolute-URI = scheme ":" hier-part [ "?" query ], hier-part = "//" authority
# path-abempty / ...: any scheme, split into its authority and the rest (path and query), as
# a recipient reads a target that another server was sent. Not a check: ABSOLUTE_FORM is.
ABSOLUTE_URI = rf"{SCHEME}://(?P<authority>[^/?#]*)(?P<rest>(?s:.)*)"
# RFC 9112 §3.2.3: authority-form = uri-host ":" port, for CONNECT only; RFC 9110 §9.3.6:
# "There are no default ports; a client MUST send a port number". RFC 3986 §3.2.2:
# host = IP-literal / IPv4address / reg-name, with reg-name = *( unreserved / pct-encoded /
# sub-delims ), kept as wide as that set ("%" alone included, as in ORIGIN_FORM), and
# IP-literal = "[" ( IPv6address / IPvFuture ) "]": the same set and ":" between brackets.
REG_NAME_CHAR = r"[A-Za-z0-9\-._~!$&'()*+,;=%]"
AUTHORITY_FORM = rf"(?P<host>\[(?:{REG_NAME_CHAR}|:)+\]|{REG_NAME_CHAR}+):(?P<port>[0-9]+)"
# RFC 9110 §7.2: Host = uri-host [ ":" port ]. Only what cannot be part of an authority at all
# is refused (whitespace, the path, query and fragment delimiters, userinfo's "@", "\").
HOST = r"[^\s/?#@\\]*"

# RFC 9110 §10.2.2: Location = URI-reference; RFC 3986 §4.1: URI-reference = URI /
# relative-ref. Its characters (§2): unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~",
# gen-delims = ":" / "/" / "?" / "#" / "[" / "]" / "@", sub-delims, and "%" only in
# pct-encoded = "%" HEXDIG HEXDIG; "#" once, before the fragment. A ":" before any "/", "?"
# or "#" ends a scheme (§4.2: the first segment of a relative path holds none). Wider than
# §3.2.2 on "[" and "]", which it keeps for an IP-literal: Django's iri_to_uri leaves them in
# a query, and browsers and the WHATWG URL standard take them there.
URI_CHARS = string.ascii_letters + string.digits + PCHAR_MARKS + "/?#[]"
_URI_PART = rf"(?:[{re.escape(URI_CHARS.replace('#', ''))}]|%[0-9A-Fa-f]{{2}})*"
URI_REFERENCE = rf"(?:{SCHEME}:|(?![^/?#]*:)){_URI_PART}(?:#{_URI_PART})?"

# -- status line and status ------------------------------------------------------------------

# RFC 9110 §15: status-code = 3DIGIT
STATUS_CODE = r"[0-9]{3}"
# RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
#              reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
REASON_PHRASE = r"[\t \x21-\x7e\x80-\xff]+"
# PEP 3333, "The start_response() Callable": status is "999 Message here": a three-digit
# status code and a reason phrase separated by a single space, no surrounding whitespace
# (control characters and the latin-1 rule are checked on their own: APP-STATUS-NO-CONTROL,
# APP-STATUS-HEADERS-LATIN1). RFC 9110 §15: a status code is 100 to 599. The reason phrase
# may be empty ("200 "): the PEP points to RFC 2616 §6.1.1, where Reason-Phrase is
# *<TEXT>, and RFC 9112 §4 makes it optional after the SP; wsgiref.validate, waitress and
# cheroot take it, and web.py's static files are served so.
_EDGE = r"[^ \t\r\n\x0b\x0c]"
WSGI_STATUS = rf"(?P<code>[1-9][0-9]{{2}}) (?P<reason>(?:{_EDGE}(?:(?s:.)*{_EDGE})?)?)"

# -- chunked coding ----------------------------------------------------------------------------

# RFC 9112 §7.1: chunk-size = 1*HEXDIG (only HEXDIG: no "0x", sign, "_" or space, all of
# which Python's int(text, 16) would take). Bounded: 16 digits hold any size up to 2**64 - 1.
CHUNK_SIZE_DIGITS = 16
CHUNK_SIZE = rf"[0-9A-Fa-f]{{1,{CHUNK_SIZE_DIGITS}}}"
# RFC 9112 §7.1.1: chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
#                  chunk-ext-name = token
#                  chunk-ext-val  = token / quoted-string
# So no whitespace after a chunk size unless ";" follows it, a ";" needs a name, and no
# control character (NUL, a bare CR) anywhere: h11 discards extensions unread.
CHUNK_EXT = rf"(?:{OWS};{OWS}{TOKEN}(?:{OWS}={OWS}(?:{TOKEN}|{QUOTED_STRING}))?)*"
# RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk is the
# same line with a size of zeros. This is the line before the data.
CHUNK_LINE = rf"(?P<size>{CHUNK_SIZE})(?P<ext>{CHUNK_EXT})\r\n"

# -- field values ------------------------------------------------------------------------------

# RFC 9110 §8.6: Content-Length = 1*DIGIT (ASCII digits: str.isdigit() also takes "²" and
# "٣", which int() then refuses or reads)
CONTENT_LENGTH = r"[0-9]+"

#: The methods RFC 9110 §9.2.1 defines as safe: a client asks nothing to change by them.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
#: The methods whose preconditions a server MUST ignore (RFC 9110 §13.2.1): they neither
#: select nor change a representation, "such as CONNECT, OPTIONS, or TRACE".
PRECONDITIONS_IGNORED = frozenset({"CONNECT", "OPTIONS", "TRACE"})
#: The methods RFC 9110 §9.3 (and RFC 5789's PATCH) define to change the target's state:
#: a false If-None-Match or If-Match is answered 412 there (§13.1.1, §13.1.2).
CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# PEP 3333 names the hop-by-hop headers by reference to RFC 2616 §13.5.1; RFC 9110 §7.6.1
# adds that any header listed in Connection is hop-by-hop too. Lower-case.
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
#: Representation metadata (RFC 9110 §8) a 304 has no reason to carry, lower-case: §15.4.5
#: lists the fields it does carry (Content-Location, Date, ETag, Vary, Cache-Control,
#: Expires) and allows others only to guide cache updates, as Last-Modified may;
#: Content-Length is §8.6's.
NOT_IN_304 = frozenset({"content-type", "content-encoding", "content-language"})

#: Request fields defined as comma-separated lists (``#rule``), lower-case: RFC 9110
#: §12.5.1-4 (Accept, -Charset, -Encoding, -Language), §8.4-5 (Content-Encoding,
#: -Language), §13.1.1-2 (If-Match, If-None-Match); RFC 9111 §5.2 and §5.4 (Cache-Control,
#: Pragma); RFC 7240 §2 (Prefer). Only these may come on several lines, to be joined with
#: commas (RFC 9110 §5.3); another field sent twice is the client's fault.
LIST_REQUEST_FIELDS = frozenset(
    {
        "accept",
        "accept-charset",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-encoding",
        "content-language",
        "if-match",
        "if-none-match",
        "pragma",
        "prefer",
    }
)
# RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; weak = %s"W/"
#                  opaque-tag = DQUOTE *etagc DQUOTE; etagc = %x21 / %x23-7E / obs-text
ENTITY_TAG = r'(?P<weak>W/)?(?P<opaque>"[\x21\x23-\x7e\x80-\xff]*")'
# RFC 9110 §14.4: Content-Range = range-unit SP ( range-resp / unsatisfied-range )
#                 range-resp = incl-range "/" ( complete-length / "*" )
#                 incl-range = first-pos "-" last-pos; unsatisfied-range = "*/" complete-length
#                 first-pos, last-pos, complete-length = 1*DIGIT; range-unit = token
CONTENT_RANGE = (
    rf"(?P<unit>{TOKEN}) (?:(?P<first>[0-9]+)-(?P<last>[0-9]+)/(?P<complete>[0-9]+|\*)"
    r"|\*/(?P<unsatisfied>[0-9]+))"
)
# RFC 9110 §8.3.1: media-type = type "/" subtype parameters; type = token; subtype = token
# §5.6.6: parameters = *( OWS ";" OWS [ parameter ] ). What names the type, the parameters
# after it unread: a parameter the grammar refuses (CherryPy's unquoted multipart boundary
# of "=" signs) leaves the type named.
MEDIA_TYPE = rf"{TOKEN}/{TOKEN}(?:{OWS};.*)?"
# RFC 9110 §12.5.3: Accept-Encoding = #( codings [ weight ] ); codings = content-coding /
#                  "identity" / "*"; content-coding = token
# §12.4.2: weight = OWS ";" OWS "q=" qvalue
#          qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); "q" is case-insensitive
CODING_WEIGHT = (
    rf"(?P<coding>{TOKEN})(?:{OWS};{OWS}[qQ]=(?P<q>0(?:\.[0-9]{{0,3}})?|1(?:\.0{{0,3}})?))?"
)
# RFC 9110 §5.6.7: IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT, the only form a
# sender may generate; date1 = day SP month SP year (2DIGIT, month name, 4DIGIT).
IMF_FIXDATE = (
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"[0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
)
# RFC 9110 §5.6.7: obs-date = rfc850-date / asctime-date, forms a recipient accepts and a
# sender never generates. rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT, with
# date2 = day "-" month "-" 2DIGIT; asctime-date = day-name SP date3 SP time-of-day SP year,
# with date3 = month SP ( 2DIGIT / ( SP DIGIT ) ).
OBS_DATE = (
    r"(?:(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), [0-9]{2}-"
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT"
    r"|(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"(?:[0-9]{2}| [0-9]) [0-9]{2}:[0-9]{2}:[0-9]{2} [0-9]{4})"
)

# -- CGI and WSGI names ------------------------------------------------------------------------

# RFC 3875 §4.1.18: a header's meta-variable is "HTTP_" + its field-name upper-cased, with
# "-" replaced by "_": so the characters of an upper-cased token, less "-".
CGI_HTTP_KEY = f"HTTP_[{re.escape(''.join(sorted(set(TCHARS.upper()) - {'-'})))}]+"
# RFC 3875 §4.1.16: SERVER_PROTOCOL = HTTP-Version | "INCLUDED" | extension-version, where
# extension-version = protocol [ "/" 1*digit "." 1*digit ] and protocol = token. "HTTP/2"
# (RFC 9113 spelling) is let through as well.
CGI_SERVER_PROTOCOL = rf"{TOKEN}(?:/[0-9]+(?:\.[0-9]+)?)?"
# PEP 3333, "Specification Details": a server's extension variables are named with
# "only lower-case letters, numbers, dots, and underscores" and a prefix unique to it.
WSGI_EXTENSION_NAME = r"[a-z0-9_]+\.[a-z0-9_.]+"

# -- compiled ----------------------------------------------------------------------------------

token_re = re.compile(TOKEN)
field_value_re = re.compile(FIELD_VALUE)
request_target_re = re.compile(REQUEST_TARGET)
authority_form_re = re.compile(AUTHORITY_FORM)
absolute_form_re = re.compile(ABSOLUTE_FORM)
absolute_uri_re = re.compile(ABSOLUTE_URI)
scheme_re = re.compile(SCHEME)
uri_reference_re = re.compile(URI_REFERENCE)
host_re = re.compile(HOST)
wsgi_status_re = re.compile(WSGI_STATUS)
content_length_re = re.compile(CONTENT_LENGTH)
entity_tag_re = re.compile(ENTITY_TAG)
content_range_re = re.compile(CONTENT_RANGE)
media_type_re = re.compile(MEDIA_TYPE)
coding_weight_re = re.compile(CODING_WEIGHT)
imf_fixdate_re = re.compile(IMF_FIXDATE)
obs_date_re = re.compile(OBS_DATE)
cgi_http_key_re = re.compile(CGI_HTTP_KEY)
cgi_server_protocol_re = re.compile(CGI_SERVER_PROTOCOL)
wsgi_extension_name_re = re.compile(WSGI_EXTENSION_NAME)
control_chars_re = re.compile(CONTROL)
value_control_chars_re = re.compile(VALUE_CONTROL)
# The wire checks and the response reader match raw bytes: the same patterns, as bytes
# patterns (every escape in them is ASCII text, so \x80-\xff still means those octets).
origin_form_bytes_re = re.compile(ORIGIN_FORM.encode("ascii"))
absolute_form_bytes_re = re.compile(ABSOLUTE_FORM.encode("ascii"))
authority_form_bytes_re = re.compile(AUTHORITY_FORM.encode("ascii"))
obs_text_bytes_re = re.compile(OBS_TEXT.encode("ascii"))
vchars_bytes_re = re.compile(rf"{VCHAR}+".encode("ascii"))
http_version_bytes_re = re.compile(HTTP_VERSION.encode("ascii"))
method_bytes_re = re.compile(METHOD.encode("ascii"))
field_line_bytes_re = re.compile(FIELD_LINE.encode("ascii"))
head_control_bytes_re = re.compile(HEAD_CONTROL.encode("ascii"))
chunk_size_bytes_re = re.compile(CHUNK_SIZE.encode("ascii"))
chunk_line_bytes_re = re.compile(CHUNK_LINE.encode("ascii"))
status_code_bytes_re = re.compile(STATUS_CODE.encode("ascii"))


def http_date(value: str | None) -> datetime | None:
    """An HTTP-date (RFC 9110 §5.6.7) as an aware datetime in UTC (a zone offset, which
    parses, too: the messages print it as GMT), or None if it is not one.

    The asctime form (``Sun Nov  6 08:49:37 1994``) states no zone and is GMT by
    definition: ``parsedate_to_datetime`` gives it naive, and it counts all the same (a
    recipient "MUST accept all three HTTP-date formats"); any other date without a zone
    is none."""
    if value is None or value.count(",") > 1:  # more than one date: a list is no HTTP-date
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is not None:
        return parsed.astimezone(timezone.utc)
    if obs_date_re.fullmatch(value.strip(" \t")) is not None:  # the asctime form
        return parsed.replace(tzinfo=timezone.utc)
    return None


def is_http_date(value: str) -> bool:
    """True when ``value`` (OWS around it dropped) is in one of RFC 9110 §5.6.7's three forms,
    the day named or not: what a recipient MUST accept, and what it MUST ignore a date
    condition for not being (a zone offset, which :func:`http_date` reads, is none)."""
    text = value.strip(" \t")
    return imf_fixdate_re.fullmatch(text) is not None or obs_date_re.fullmatch(text) is not None


def imf_fixdate(date: datetime) -> str:
    """``date`` (aware) as an IMF-fixdate, the one form a sender generates (RFC 9110
    §5.6.7): English names whatever the locale, as ``strftime("%a")`` would not give."""
    return format_datetime(date.astimezone(timezone.utc), usegmt=True)


def is_token(text: str) -> bool:
    """True when ``text`` is an RFC 9110 token (a valid method or field name)."""
    return token_re.fullmatch(text) is not None


def is_field_value(text: str) -> bool:
    """True when ``text`` is a valid RFC 9110 field value with no surrounding whitespace."""
    return field_value_re.fullmatch(text) is not None


def is_latin1(text: str) -> bool:
    """True when every code point is in U+0000..U+00FF, PEP 3333's "bytes as unicode"."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


#: The port a URI of each scheme means when it names none (RFC 9110 §4.2.1, §4.2.2).
def media_type_parameter(content_type: str, name: str) -> str | None:
    """The value of parameter ``name`` (lower-case) of a Content-Type, its quotes removed,
    or None (RFC 9110 §5.6.6: parameter names are case-insensitive). Read leniently, as a
    recipient does: CherryPy's multipart boundary of unquoted "=" signs is still read."""
    for parameter in content_type.split(";")[1:]:
        key, _, value = parameter.partition("=")
        value = value.strip(" \t").strip('"')
        if key.strip(" \t").lower() == name and value:
            return value
    return None


DEFAULT_PORTS = {"http": "80", "https": "443"}


def normal_authority(host: str, scheme: str) -> str:
    """A host[:port] compared the way URIs are (RFC 3986 §6.2.3): case, default port."""
    host = host.strip(" \t").lower().removesuffix(":")
    default = DEFAULT_PORTS.get(scheme.lower())
    return host.removesuffix(":" + default) if default else host


#: The most significant digits a number read here may have: ``int()`` converts no more
#: than 4,300 (Python 3.11+, against quadratic time), and no length needs a tenth of them.
MAX_DIGITS = 4000


def decimal(text: str) -> int | None:
    """The number ``text`` spells in ASCII digits (1*DIGIT), or None: ``str.isdigit()``
    also takes "²" and "٣", which ``int()`` then refuses or reads, and ``int()`` refuses
    more than 4,300 digits (None past :data:`MAX_DIGITS` significant ones)."""
    if not (text.isascii() and text.isdigit()):
        return None
    significant = text.lstrip("0")
    return int(significant or "0") if len(significant) <= MAX_DIGITS else None


def content_length(value: str) -> int | None:
    """The number a Content-Length field value states (OWS around it dropped), or None
    (as for more than :data:`MAX_DIGITS` significant digits)."""
    text = value.strip(" \t")
    return decimal(text) if content_length_re.fullmatch(text) is not None else None


def chunk_size(text: bytes) -> int | None:
    """The value of an RFC 9112 §7.1 chunk-size, or None when ``text`` is not one.

    The one parser of chunk sizes: HEXDIG only and at most :data:`CHUNK_SIZE_DIGITS` of
    them, where ``int(text, 16)`` would also take ``0x10``, ``+a``, ``1_0`` and spaces.
    """
    if chunk_size_bytes_re.fullmatch(text) is None:
        return None
    return int(text, 16)


def remove_dot_segments(path: bytes) -> bytes:
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
