"""HTTP and WSGI grammar, written once as commented regular expressions.

Every pattern here quotes the RFC production it implements. The request model, the core's
header checks, the rules and the Hypothesis strategies all reuse these strings, so there is a
single definition of what "a token" or "a field value" means in this project.
"""

from __future__ import annotations

import re

# RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
#                          "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
# RFC 9110 §5.6.2: token = 1*tchar
TOKEN = rf"{TCHAR}+"

# RFC 9110 §5.1: field-name = token
FIELD_NAME = TOKEN

# RFC 5234 B.1: VCHAR = %x21-7E; RFC 9110 §5.5: obs-text = %x80-FF
VCHAR = r"[\x21-\x7e]"
FIELD_VCHAR = r"[\x21-\x7e\x80-\xff]"
# RFC 9110 §5.5: field-value = *field-content
#                field-content = field-vchar [ 1*( SP / HTAB / field-vchar ) field-vchar ]
# Leading and trailing whitespace (OWS) is not part of the value.
FIELD_VALUE = rf"(?:{FIELD_VCHAR}(?:[ \t]*{FIELD_VCHAR})*)?"

# RFC 9110 §9.1: method = token
METHOD = TOKEN

# RFC 9112 §3.2: request-target = origin-form / absolute-form / authority-form / asterisk-form.
# A Request value may hold any visible ASCII or obs-text byte, so that a test can send what
# other servers get (raw latin-1 bytes: PEP 3333's latin-1 rule exists for servers that pass
# them through; a fragment). The socket server holds a target to the forms below.
REQUEST_TARGET = r"[\x21-\x7e\x80-\xff]+"

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
# RFC 9112 §3.2.3: authority-form = uri-host ":" port, for CONNECT only; RFC 9110 §9.3.6:
# "There are no default ports; a client MUST send a port number". RFC 3986 §3.2.2:
# host = IP-literal / IPv4address / reg-name, with reg-name = *( unreserved / pct-encoded /
# sub-delims ), kept as wide as that set ("%" alone included, as in ORIGIN_FORM), and
# IP-literal = "[" ( IPv6address / IPvFuture ) "]": the same set and ":" between brackets.
REG_NAME_CHAR = r"[A-Za-z0-9\-._~!$&'()*+,;=%]"
AUTHORITY_FORM = rf"(?P<host>\[(?:{REG_NAME_CHAR}|:)+\]|{REG_NAME_CHAR}+):(?P<port>[0-9]+)"

# RFC 9112 §3.2 and RFC 3986 §2: a request-target is a URI reference, US-ASCII only; an octet
# past 0x7F (RFC 9110 §5.5: obs-text = %x80-FF) is no URI character.
OBS_TEXT = r"[\x80-\xff]"

# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT; HTTP-name = %s"HTTP"
HTTP_VERSION = r"[0-9]\.[0-9]"
HTTP_VERSION_FIELD = rf"HTTP/{HTTP_VERSION}"

# PEP 3333, "The start_response() Callable": status is "999 Message here": a three-digit
# status code and a reason phrase separated by a single space, no surrounding whitespace.
# RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
REASON_PHRASE = r"[\t \x21-\x7e\x80-\xff]+"
STATUS = rf"(?P<code>[0-9]{{3}}) (?P<reason>{REASON_PHRASE})"

# RFC 9112 §7.1: chunk-size = 1*HEXDIG (only HEXDIG: no "0x", sign, "_" or space, all of
# which Python's int(text, 16) would take)
CHUNK_SIZE = r"[0-9A-Fa-f]+"
# RFC 9110 §5.6.3: OWS = *( SP / HTAB ); BWS = OWS
OWS = r"[ \t]*"
# RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
#                  qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
#                  quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
QUOTED_STRING = r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
# RFC 9112 §7.1.1: chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
#                  chunk-ext-name = token
#                  chunk-ext-val  = token / quoted-string
# So no whitespace after a chunk size unless ";" follows it, a ";" needs a name, and no
# control character (NUL, a bare CR) anywhere: h11 discards extensions unread.
CHUNK_EXT = rf"(?:{OWS};{OWS}{TOKEN}(?:{OWS}={OWS}(?:{TOKEN}|{QUOTED_STRING}))?)*"
# RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; last-chunk is the
# same line with a size of zeros. This is the line before the data.
CHUNK_LINE = rf"(?P<size>{CHUNK_SIZE})(?P<ext>{CHUNK_EXT})\r\n"
# RFC 9112 §5: field-line = field-name ":" OWS field-value OWS (no whitespace before ":").
FIELD_LINE = rf"(?P<name>{FIELD_NAME}):{OWS}(?P<value>{FIELD_VALUE}){OWS}"

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

token_re = re.compile(TOKEN)
field_value_re = re.compile(FIELD_VALUE)
request_target_re = re.compile(REQUEST_TARGET)
http_version_re = re.compile(HTTP_VERSION)
status_re = re.compile(STATUS)
chunk_size_re = re.compile(CHUNK_SIZE)
entity_tag_re = re.compile(ENTITY_TAG)
content_range_re = re.compile(CONTENT_RANGE)
authority_form_re = re.compile(AUTHORITY_FORM)
# The wire checks match raw bytes: the same patterns, as bytes patterns (every escape in them
# is ASCII text, so \x80-\xff still means those octets).
origin_form_bytes_re = re.compile(ORIGIN_FORM.encode("ascii"))
absolute_form_bytes_re = re.compile(ABSOLUTE_FORM.encode("ascii"))
authority_form_bytes_re = re.compile(AUTHORITY_FORM.encode("ascii"))
obs_text_bytes_re = re.compile(OBS_TEXT.encode("ascii"))
http_version_field_bytes_re = re.compile(HTTP_VERSION_FIELD.encode("ascii"))
chunk_line_bytes_re = re.compile(CHUNK_LINE.encode("ascii"))
method_bytes_re = re.compile(METHOD.encode("ascii"))
field_line_bytes_re = re.compile(FIELD_LINE.encode("ascii"))
# Control characters a status or header value must not carry (PEP 3333: "must not contain
# control characters"); HTAB is allowed inside field values by RFC 9110 §5.5.
control_chars_re = re.compile(r"[\x00-\x1f\x7f]")
value_control_chars_re = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


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
