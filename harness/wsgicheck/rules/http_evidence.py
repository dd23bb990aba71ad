"""What the HTTP rules read of an exchange: the app's own status, fields and whole body,
and what ties it to the exchanges before it (the same request less its conditions,
whether its history can change a verdict).

The rules from RFC 9110 judge the application (PEP 3333 makes it the "origin server"), so
they read what the app passed to ``start_response`` and what it produced, not what the
server put on the wire. A body counts only when the trace kept every block whole and the
app's iterable ran to its end: a rule that needs the bytes skips otherwise.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import PurePath
from typing import TypeVar

from ..model.grammar import SAFE_METHODS, entity_tag_re, http_date, imf_fixdate
from ..model.request import Request
from ..model.untrusted import show
from .exchange import Exchange
from .registry import byte_count, quoted
from .server_evidence import app_fields, final_call, status_code

__all__ = [
    "CONDITIONAL_FIELDS",
    "CONDITIONS_AND_RANGE",
    "PRECONDITIONS",
    "Fields",
    "answered_with",
    "app_body",
    "app_field",
    "app_fields",
    "app_list",
    "app_status",
    "carries_conditions",
    "coded_note",
    "coding_name",
    "comes_before_conditions",
    "compared_at",
    "conditional",
    "content_coding",
    "content_codings",
    "date_as_sent",
    "entity_tags",
    "fields_readable",
    "gmt_spelled",
    "grouped_fields",
    "has_content",
    "history_bears_on",
    "http_date",
    "last_plain_gets",
    "plain_gets",
    "read_date",
    "request_context",
    "request_field",
    "request_fields",
    "request_key",
    "settled",
    "strong_match",
    "tag_text",
    "weak_match",
]

#: The request fields that make a request conditional (RFC 9110 §13.1).
CONDITIONAL_FIELDS = frozenset(
    {"if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"}
)

#: The conditions RFC 9110 §13.2.1 has a server ignore on a redirect or a failure
#: (If-Range is §13.1.5's own: it only decides whether a Range is served).
PRECONDITIONS = CONDITIONAL_FIELDS - {"if-range"}
#: The 3xx and 4xx statuses that do not come before the preconditions: those that answer
#: them (304, 412), the one that asks for them (428 Precondition Required), and those that
#: come and go with time or load, not with the request (408, 425, 429).
_NOT_BEFORE_CONDITIONS = frozenset({304, 412, 428, 408, 425, 429})


def comes_before_conditions(code: int | None) -> bool:
    """Whether ``code`` is a redirect or a client error that RFC 9110 §13.2.1 puts before
    the preconditions ("redirects and failures that can be detected before significant
    processing occurs"): a 3xx or 4xx but :data:`_NOT_BEFORE_CONDITIONS`. A 5xx is not
    taken: a failure met while the answer was being made may come after them."""
    return code is not None and 300 <= code < 500 and code not in _NOT_BEFORE_CONDITIONS


def by_django(ex: Exchange) -> bool:
    """Whether Django's handler gave the response (its start_response call is in Django):
    a message may then name the Django layer that most often causes what it found."""
    call = final_call(ex)
    where = call.where if call is not None else None
    return where is not None and "django" in PurePath(where.file).parts


def app_field(ex: Exchange, name: str) -> str | None:
    """Every value of field ``name`` the app gave, joined with ", " (RFC 9110 §5.3), or None."""
    values = [value for key, value in app_fields(ex) if key == name]
    return ", ".join(values) if values else None


def fields_readable(ex: Exchange) -> bool:
    """Whether every item of the app's header list is a pair of strings: where one is not
    (``(b"Content-Type", ...)``, APP-HEADER-STR's finding, which only ``validator`` lets
    through), a field the rules over HTTP find missing may be that item."""
    call = final_call(ex)
    headers = call.headers if call is not None else []
    return isinstance(headers, list | tuple) and len(app_fields(ex)) == len(headers)


def app_list(ex: Exchange, name: str, *, fold: bool = True) -> set[str]:
    """The items of the app's list field ``name`` (RFC 9110 §5.6.1: Vary, Cache-Control),
    every field line's, lower-case (``fold``; not for Allow: methods are case-sensitive,
    §9.1); empty without one."""
    items = (item.strip() for item in (app_field(ex, name) or "").split(","))
    return {item.lower() if fold else item for item in items if item}


def app_status(ex: Exchange) -> int | None:
    """The status code of the app's final accepted call, computed once."""
    facts = ex.facts
    if "app_status" not in facts:
        facts["app_status"] = status_code(final_call(ex))
    code: int | None = facts["app_status"]
    return code


def answered_with(ex: Exchange, code: int | None) -> str:
    """``answered 200 with 1650 bytes``: the app's answer as a message gives it; to a HEAD,
    without the bytes its body had, which a server drops (a trial of 2026-12-07 read "200
    with 1650 bytes" to a HEAD as the body sent)."""
    if ex.method == "HEAD":
        return f"answered {code} to the HEAD"
    return f"answered {code} with {byte_count(ex.produced)}"


def request_field(ex: Exchange, name: str) -> str | None:
    """Every value of request field ``name``, joined with ", ", or None."""
    values = [value for key, value in ex.request.headers if key.lower() == name]
    return ", ".join(values) if values else None


#: A request's fields by lower-case name, each with its values in order, sorted by name.
Fields = tuple[tuple[str, tuple[str, ...]], ...]


def request_fields(ex: Exchange) -> Fields:
    """The request's :func:`grouped_fields`, worked out once per exchange."""
    facts = ex.facts
    found: Fields | None = facts.get("request_fields")
    if found is None:
        found = facts["request_fields"] = grouped_fields(ex.request)
    return found


def grouped_fields(request: Request) -> Fields:
    """The request's fields by lower-case name, each with its values in the order sent
    (RFC 9110 §5.3: that order is significant), sorted by name: what tells two requests to
    one target apart."""
    grouped: dict[str, list[str]] = {}
    for name, value in request.headers:
        grouped.setdefault(name.lower(), []).append(value)
    return tuple(sorted((name, tuple(values)) for name, values in grouped.items()))


#: What a conditional or ranged request differs from the plain one to its target by.
CONDITIONS_AND_RANGE = CONDITIONAL_FIELDS | {"range"}


def plain_gets(
    ex: Exchange, *, since_change: bool = False, ignore: frozenset[str] = frozenset()
) -> Iterator[Exchange]:
    """The earlier GETs of ``ex``'s request without its conditions and Range (the same
    target and other fields, none of those, nor of ``ignore``), newest first: what a
    conditional or ranged request is judged beside. With ``since_change``, only those sent
    after the last request of a method that is not safe (RFC 9110 §9.2.1: a PUT may have
    changed the representation)."""
    key = request_key(ex, CONDITIONS_AND_RANGE | ignore)
    for earlier in reversed(ex.history):
        if since_change and earlier.method not in SAFE_METHODS:
            return
        if earlier.method == "GET" and request_key(earlier, frozenset()) == key:
            yield earlier


T = TypeVar("T")


def last_plain_gets(ex: Exchange) -> list[Exchange]:
    """The last two :func:`plain_gets` of ``ex``'s request since the last unsafe request,
    newest first (fewer where there are fewer): what :func:`settled` reads the app's steady
    answer from."""
    return list(islice(plain_gets(ex, since_change=True), 2))


def settled(
    ex: Exchange,
    read: Callable[[Exchange], T | None],
    answered: Callable[[int | None], bool],
    *,
    body: bool = True,
) -> T | None:
    """What ``read`` finds alike in the last two :func:`plain_gets` of ``ex``'s request
    since the last unsafe request, both answered in full with a status ``answered`` takes:
    the app's representation, which does not vary by itself between requests; else None.
    Without ``body`` (``read`` looks at the status and fields alone), an answer whose body
    the server sends from its own file wrapper counts as whole (:attr:`Exchange.app_finished`:
    a static file under ``validator``, an app trial of 2026-12-06)."""
    plain = last_plain_gets(ex)
    if len(plain) < 2 or not all(
        (each.iteration_finished if body else each.app_finished) and answered(app_status(each))
        for each in plain
    ):
        return None
    first, second = (read(each) for each in plain)
    return first if first == second else None


def history_bears_on(ex: Exchange) -> bool:
    """Whether the history may change a verdict of an HTTP rule over a sequence (in
    :mod:`.http_pairs`, :mod:`.http_preconditions`, and ``APP-416-SATISFIABLE``): the
    request carries a condition or a Range (those rules apply only then), or an earlier
    exchange to the target is a HEAD or a GET answered 304 (what a GET is compared with).
    Otherwise each verdict is the exchange's alone."""
    compared_at(ex)  # worked out for every exchange: a later one reads it
    history = ex.history
    if not history:
        return False
    if conditional(ex):
        return True
    target = ex.request.target
    known = [each.facts.get("compared_at", _UNKNOWN) for each in history]
    if target in known:
        return True
    return _UNKNOWN in known and any(compared_at(each) == target for each in history)


def conditional(ex: Exchange) -> bool:
    """Whether the request carries a condition or a Range: the rules over a sequence then
    compare it with any earlier exchange to its target."""
    return carries_conditions(ex.request)


def carries_conditions(request: Request, names: frozenset[str] = CONDITIONS_AND_RANGE) -> bool:
    """Whether ``request`` carries a field of ``names``: by default a condition or a Range."""
    return any(str.lower(name) in names for name, _ in request.headers)


_UNKNOWN = object()


def compared_at(ex: Exchange) -> str | None:
    """The target of a HEAD, or of a GET answered 304: an exchange a later GET to the
    target is compared with (None for any other). Kept in ``facts["compared_at"]``."""
    facts = ex.facts
    if "compared_at" not in facts:
        method = ex.request.method
        compared = method == "HEAD" or (method == "GET" and app_status(ex) == 304)
        facts["compared_at"] = ex.request.target if compared else None
    target: str | None = facts["compared_at"]
    return target


def request_key(ex: Exchange, ignore: frozenset[str]) -> tuple[object, ...]:
    """What makes two requests the same to the app: the target, the request's fields
    (:func:`request_fields`) less ``ignore``, and the :func:`request_context`."""
    fields = tuple(field for field in request_fields(ex) if field[0] not in ignore)
    return ex.request.target, fields, request_context(ex)


#: The environ's keys, besides the request line and fields, that tell two requests apart
#: to an app: the scheme it came by (an app that redirects http to https) and the user the
#: server authenticated (a 401 before login, a page after).
_CONTEXT_KEYS = ("wsgi.url_scheme", "REMOTE_USER")


def request_context(ex: Exchange) -> tuple[str | None, ...]:
    """The :data:`_CONTEXT_KEYS` of the request's environ (str values only: an app's
    object is never compared), worked out once per exchange."""
    facts = ex.facts
    found: tuple[str | None, ...] | None = facts.get("request_context")
    if found is None:
        environ = ex.environ if isinstance(ex.environ, dict) else {}
        values = (dict.get(environ, key) for key in _CONTEXT_KEYS)
        found = facts["request_context"] = tuple(
            value if type(value) is str else None for value in values
        )
    return found


def app_body(ex: Exchange) -> bytes | None:
    """The whole body the app produced, or None when it is not known whole (a block kept
    only in part, an iterable that did not finish)."""
    if not ex.iteration_finished:
        return None
    blocks = ex.body_blocks()
    if any(event.size is not None for event, _ in blocks):
        return None
    return b"".join(value for _, value in blocks)


def has_content(ex: Exchange, code: int) -> bool:
    """Whether a response with ``code`` to this request has content, zero-length included
    (RFC 9110 §6.4.1: all but responses to HEAD, 1xx, 204, 304 and a 2xx to CONNECT, which
    opens a tunnel; §15.3.6: a 205 has none)."""
    if ex.method == "CONNECT" and 200 <= code < 300:
        return False
    return ex.method != "HEAD" and code >= 200 and code not in (204, 205, 304)


#: RFC 9110 §8.4.1.3, §8.4.1.1: the old names a recipient takes as the codings' own.
_SAME_CODING = {"x-gzip": "gzip", "x-compress": "compress"}
#: The content codings IANA's registry lists (RFC 9110 §16.6.1), by :func:`coding_name`.
REGISTERED_CODINGS = frozenset(
    {"aes128gcm", "br", "compress", "dcb", "dcz", "deflate", "exi", "gzip", "identity"}
    | {"pack200-gzip", "zstd"}
)


def coding_name(text: str) -> str:
    """A content coding as named in a field, lower-case, its old name as the coding's own."""
    name = text.strip(" \t").lower()
    return _SAME_CODING.get(name, name)


def content_codings(ex: Exchange) -> list[str]:
    """The codings the app's Content-Encoding names, in order, identity aside (each by
    :func:`coding_name`)."""
    given = app_field(ex, "content-encoding") or ""
    names = [coding_name(part) for part in given.split(",") if part.strip(" \t")]
    return [name for name in names if name != "identity"]


def content_coding(ex: Exchange) -> str:
    """The app's Content-Encoding, lower-case and without spaces; ``identity`` for none
    (the same bytes: RFC 9110 §8.4)."""
    return "".join((app_field(ex, "content-encoding") or "identity").lower().split())


#: Decoded bytes a coding check reads at most: enough to find a corrupt stream, bounded so
#: that a compressed bomb costs nothing.
DECODE_LIMIT = 1 << 22


def undo_codings(codings: list[str], body: bytes) -> bytes | str:
    """``body`` with ``codings`` (applied in order) undone, its first :data:`DECODE_LIMIT`
    bytes at least; or, where it does not decode, what failed."""
    data = body
    for coding in reversed(codings):
        # gzip: RFC 1952 members, one after another; deflate: the zlib format (RFC 1950),
        # RFC 9110 §8.4.1.2 (a raw deflate stream is the non-conformant variant it names).
        wbits = 16 + zlib.MAX_WBITS if coding == "gzip" else zlib.MAX_WBITS
        out = bytearray()
        rest = data
        while True:
            decoder = zlib.decompressobj(wbits)
            try:
                out += decoder.decompress(rest, DECODE_LIMIT - len(out))
            except zlib.error as exc:
                return f"{coding}: {exc}"
            if len(out) >= DECODE_LIMIT:
                return bytes(out)  # nothing wrong so far; the rest is not read
            if not decoder.eof:
                return f"{coding}: the stream ends early"
            rest = decoder.unused_data
            if not rest or wbits == zlib.MAX_WBITS:
                break
        if rest:
            return f"{coding}: {len(rest)} bytes follow the end of the stream"
        data = bytes(out)
    return data


def decodable_content(ex: Exchange) -> tuple[list[str], bytes] | None:
    """The codings the app applied (identity aside) and its content, where
    :func:`undo_codings` can undo them; None where there is nothing to judge: zero-length
    content (it decodes to nothing whatever its label, as clients read it), only identity,
    or a coding it cannot undo (br, zstd...)."""
    codings = content_codings(ex)
    if not codings or any(coding not in ("gzip", "deflate") for coding in codings):
        return None
    body = app_body(ex)  # joined only where there is a coding to undo
    return (codings, body) if body else None


#: Bytes of coded content worth decoding to see whether it codes nothing (a gzip member
#: of nothing is 20 bytes, and Django's GZipMiddleware pads its header with up to 100
#: bytes of file name against BREACH).
SMALL_CODED = 1024


def codes_nothing(ex: Exchange) -> bool:
    """Whether the content is a coding of nothing: a compression layer that codes every
    stream (Django's GZipMiddleware behind WhiteNoise's empty 405) sends twenty bytes that
    decode to no representation at all, whose media type no one knows."""
    if ex.produced > SMALL_CODED:
        return False
    found = decodable_content(ex)
    return found is not None and undo_codings(*found) == b""


def coded_note(ex: Exchange, cause: str) -> str:
    """`` (the 206 has Content-Encoding: gzip: <cause>)``: a note for a finding on a 206
    with a content coding, whose usual ``cause`` is a compression layer in front of the app
    that codes the range after the app served it; "" for any other answer."""
    if app_status(ex) != 206 or content_coding(ex) == "identity":
        return ""
    coding = (app_field(ex, "content-encoding") or "").strip()
    return f" (the 206 has Content-Encoding: {show(coding)}: most often {cause})"


def entity_tags(value: str) -> list[tuple[bool, str]] | None:
    """The (weak, opaque-tag) pairs of a ``#entity-tag`` list (RFC 9110 §8.8.3, §5.6.1);
    None when the value is not one (``*`` included: the caller asks for it by name)."""
    tags: list[tuple[bool, str]] = []
    position = 0
    text = value.strip(" \t")
    while position < len(text):
        match = entity_tag_re.match(text, position)
        if match is None:
            return None
        tags.append((match.group("weak") is not None, match.group("opaque")))
        position = match.end()
        rest = text[position:].lstrip(" \t")
        if rest and not rest.startswith(","):
            return None
        position = len(text) - len(rest.lstrip(", \t")) if rest else len(text)
    return tags or None


def tag_text(tag: tuple[bool, str]) -> str:
    """An :func:`entity_tags` pair written as the field has it: ``W/"v1"`` or ``"v1"``."""
    return f"W/{tag[1]}" if tag[0] else tag[1]


def gmt_spelled(value: str) -> str | None:
    """``value`` with its "-0000" or "+0000" zone spelled GMT, as HTTP spells UTC; None
    when it ends in neither (``email.utils.formatdate()`` writes "-0000" without
    ``usegmt``)."""
    return f"{value[:-5]}GMT" if value.endswith(("-0000", "+0000")) else None


def date_as_sent(ex: Exchange, name: str) -> str:
    """The request's date field ``name`` as a message quotes it: the date as read, as an
    IMF-fixdate, and as sent where that differs (an obsolete form, RFC 9110 §5.6.7, which a
    recipient must read all the same). Empty where the field holds no HTTP-date."""
    sent = (request_field(ex, name) or "").strip(" \t")
    date = http_date(sent)
    if date is None:
        return ""
    told = imf_fixdate(date)
    return told if sent == told else f"{told} (sent as {quoted(sent)})"


def read_date(value: str | None) -> datetime | None:
    """A date as a lenient recipient reads it: an :func:`http_date`, or one whose zone is
    "-0000" or "+0000" taken as GMT."""
    date = http_date(value)
    if date is None and value is not None and (spelled := gmt_spelled(value.strip(" \t"))):
        date = http_date(spelled)
    return date


def weak_match(one: tuple[bool, str], other: tuple[bool, str]) -> bool:
    """RFC 9110 §8.8.3.2: two entity-tags are weakly equivalent when their opaque-tags match
    character by character, whether either or both are weak."""
    return one[1] == other[1]


def strong_match(one: tuple[bool, str], other: tuple[bool, str]) -> bool:
    """RFC 9110 §8.8.3.2: two entity-tags are strongly equivalent when neither is weak and
    their opaque-tags match character by character."""
    return not one[0] and not other[0] and one[1] == other[1]
