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
# Servers see raw bytes; we accept any visible ASCII or obs-text byte (raw latin-1 bytes pass
# through gunicorn, waitress and wsgiref, and PEP 3333's latin-1 rule exists for them), and
# leave the finer split to the environ builder.
REQUEST_TARGET = r"[\x21-\x7e\x80-\xff]+"

# RFC 9112 §2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT
HTTP_VERSION = r"[0-9]\.[0-9]"

# PEP 3333, "The start_response() Callable": status is "999 Message here": a three-digit
# status code and a reason phrase separated by a single space, no surrounding whitespace.
# RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ).
REASON_PHRASE = r"[\t \x21-\x7e\x80-\xff]+"
STATUS = rf"(?P<code>[0-9]{{3}}) (?P<reason>{REASON_PHRASE})"

# RFC 9112 §7.1: chunk-size = 1*HEXDIG
CHUNK_SIZE = r"[0-9A-Fa-f]+"

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

token_re = re.compile(TOKEN)
field_value_re = re.compile(FIELD_VALUE)
request_target_re = re.compile(REQUEST_TARGET)
http_version_re = re.compile(HTTP_VERSION)
status_re = re.compile(STATUS)
chunk_size_re = re.compile(CHUNK_SIZE)
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
