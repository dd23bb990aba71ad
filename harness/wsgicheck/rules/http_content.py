"""HTTP rules on one response's content and the fields that describe it (RFC 9110).

PEP 3333 makes the application the HTTP "origin server" and the WSGI server a gateway, so
what RFC 9110 asks of an origin server's response binds the app; each rule's level is the
RFC's own. Content-Length against the bytes produced is ``APP-CL-ACCURATE``'s (a coded
body's length is that of the coded bytes, which the app produced) and a 204 or 304 with a
body is ``APP-NO-BODY-FOR-STATUS``'s; they are not repeated here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import NamedTuple

from ..model.grammar import (
    NOT_IN_304,
    TOKEN,
    URI_CHARS,
    coding_weight_re,
    content_length,
    content_range_re,
    control_chars_re,
    decimal,
    entity_tag_re,
    imf_fixdate_re,
    is_token,
    media_type_parameter,
    media_type_re,
    normal_authority,
    obs_date_re,
    uri_reference_re,
)
from ..model.untrusted import show, shown_target
from .exchange import Exchange
from .http_evidence import (
    CONDITIONAL_FIELDS,
    REGISTERED_CODINGS,
    app_body,
    app_field,
    app_fields,
    app_list,
    app_status,
    by_django,
    coded_note,
    codes_nothing,
    coding_name,
    content_codings,
    decodable_content,
    fields_readable,
    gmt_spelled,
    has_content,
    history_bears_on,
    http_date,
    plain_gets,
    request_field,
    settled,
    undo_codings,
)
from .registry import ORIGIN, Binding, Finding, Level, Rule, byte_count, quoted, rule
from .server_evidence import declared_length, final_call

SECTION = "Other HTTP Features"


def _responded(ex: Exchange) -> bool:
    return app_status(ex) is not None


def _no_bytes(ex: Exchange, code: int) -> bool:
    """A response not known to carry a byte of content, other than a 200 to GET or HEAD:
    the app's body ran to its end empty, or, for HEAD, whose content is its GET's and
    unknown here, it declares no Content-Length above 0 (WhiteNoise's HEAD 416 declares
    none; its GET is empty).
    RFC 9110 §8.3 excuses a sender where "the intended media type of the enclosed
    representation is unknown", and wsgicheck reads zero bytes of a status message so (an
    empty 201 to MKCOL, a redirect, a 405, an answer to OPTIONS, whose content §9.3.7 gives
    "if any"); by the letter of §6.4.1 they are content "of zero length". A 200 to GET is
    the target's representation (§6.4.2), an empty file whose type the app knows, and is
    asked all the same."""
    if code == 200 and ex.method in ("GET", "HEAD"):
        return False
    if ex.method == "HEAD":
        return declared_length(final_call(ex)) in (None, 0)
    return ex.iteration_finished and (ex.produced == 0 or codes_nothing(ex))


@rule(
    "APP-CONTENT-TYPE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.3, §8.3.1, §6.4.1",
    summary="a response with content names its media type in Content-Type (content: a "
    "byte or more; a 200 to GET, even empty; a HEAD response, as its GET's)",
    pep=ORIGIN,
    source="RFC 9110 §8.3, §8.3.1, §6.4.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: (
        (code := app_status(ex)) is not None
        and (
            has_content(ex, code)
            or (ex.method == "HEAD" and code >= 200 and code not in (204, 205, 304))
        )
        and not _no_bytes(ex, code)
        and fields_readable(ex)
    ),
    example="""
bad:  start_response("200 OK", [("Content-Length", "5")]); return [b"hello"]
fix:  start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])""",
)
def content_type(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §6.4.1: every response but to HEAD, 1xx, 204 and 304 has content, "although
    # that content might be of zero length"; a response of zero bytes is not asked (see
    # _no_bytes), where wsgiref.validate asserts one anyway. A HEAD response should carry
    # the fields its GET would (§9.3.2), so it is asked the same.
    # A value that is no media type (Klaus's empty "Content-Type:" on a file it cannot type)
    # types nothing either: the recipient sniffs, as with none. Each field is judged alone:
    # two of them are APP-SINGLE-FIELDS's finding.
    values = [value for name, value in app_fields(ex) if name == "content-type"]
    untyped = [value for value in values if media_type_re.fullmatch(value.strip(" \t")) is None]
    if values and not untyped:
        return
    what = "HEAD response" if ex.method == "HEAD" else f"{app_status(ex)} response"
    finished = ex.method != "HEAD" and ex.iteration_finished
    size = f" with {byte_count(ex.produced)} of content" if finished else ""
    if not values:
        yield self.finding(ex, f"a {what}{size} has no Content-Type")
    else:
        yield self.finding(
            ex,
            f"a {what}{size} has Content-Type {quoted(untyped[0])}, which names no media type "
            "(type/subtype, then any ;parameters: RFC 9110 §8.3.1)",
        )


@rule(
    "APP-405-ALLOW",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.5.6",
    # (Judged: that Allow is there. Which methods it lists is not judged: a trial of
    # 2026-12-06 read the summary as a check of the list.)
    summary="a 405 (Method Not Allowed) carries an Allow field (for the methods the target "
    "supports; the list itself is not judged)",
    pep=ORIGIN,
    source="RFC 9110 §15.5.6",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) == 405 and fields_readable(ex),
    example="""
bad:  start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
fix:  start_response("405 Method Not Allowed", [("Allow", "GET, HEAD"), ("Content-Type", ...)])""",
)
def allow_in_405(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405
    # response containing a list of the target resource's currently supported methods." An
    # empty Allow is a list (§10.2.1: the resource allows no method); a missing one is not.
    if app_field(ex, "allow") is None:
        yield self.finding(ex, f"the 405 to method {show(ex.method)} has no Allow field")


def _allow_without_get(ex: Exchange) -> tuple[str, Exchange] | None:
    """For a 405 to a method other than GET and HEAD whose Allow lists some methods: the
    Allow, and the latest GET of the same request (the same target and other fields, no
    conditions or Range) since the last unsafe one, where the app answered that GET with a
    2xx; None otherwise. An empty Allow is left alone: the resource may have been disabled
    since (RFC 9110 §10.2.1)."""
    if ex.method in ("GET", "HEAD") or app_status(ex) != 405 or not fields_readable(ex):
        return None
    allow = app_field(ex, "allow")
    if allow is None or not app_list(ex, "allow", fold=False):
        return None
    get = next(plain_gets(ex, since_change=True), None)
    status = app_status(get) if get is not None and not get.raised else None
    if get is None or status is None or not 200 <= status < 300:
        return None
    return allow, get


@rule(
    "APP-405-ALLOW-LISTS-GET",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.5.6, §10.2.1",
    summary="a 405's Allow lists GET where a GET of the same target (the same fields) got a "
    "2xx: it lists the methods the target supports",
    pep=ORIGIN,
    source="RFC 9110 §15.5.6, §10.2.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    # Any history may hold the GET it is judged beside (a review of 2026-12-08: with
    # history_bears_on, a verdict made beside a GET was kept for the same 405 alone).
    sequence=lambda ex: bool(ex.history),
    applies=lambda ex: _allow_without_get(ex) is not None,
    example="""
bad:  TRACE / -> 405, Allow: OPTIONS   # the API's router; a static layer above answers GET /
fix:  the layer that answers the 405 lists every method the target answers: GET, HEAD, OPTIONS""",
)
def allow_lists_get(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405
    # response containing a list of the target resource's currently supported methods."
    # A GET of the same request that just got a 2xx is one of them (methods are
    # case-sensitive, §9.1: "get" is another method).
    found = _allow_without_get(ex)
    assert found is not None
    allow, get = found
    if "GET" not in app_list(ex, "allow", fold=False):
        yield self.finding(
            ex,
            f"the app answered {show(ex.method, limit=40)} {shown_target(ex.request.target)} "
            f"with 405 and Allow: {show(allow)}, where a GET of it with the same fields got "
            f"{app_status(get)}: GET is a method the target supports, and a 405's Allow lists "
            "them all (RFC 9110 §15.5.6)",
        )


#: A challenge's start: its auth-scheme, a token, then a space, a comma or the end, never
#: "=" (``realm="api"`` alone is a parameter with no scheme: a review of 2026-12-07).
_CHALLENGE_START = re.compile(rf"[ \t,]*{TOKEN}(?:[ \t,]|$)")


@rule(
    "APP-401-CHALLENGE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.5.2, §11.6.1",
    summary="a 401 (Unauthorized) carries a WWW-Authenticate field with at least one "
    "challenge (an auth-scheme first)",
    pep=ORIGIN,
    source="RFC 9110 §15.5.2, §11.6.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) == 401 and fields_readable(ex),
    example="""
bad:  start_response("401 Unauthorized", [("Content-Type", "application/json")])
      (a token API's "log in first", or Flask's abort(401))
fix:  start_response("401 Unauthorized", [("WWW-Authenticate", 'Bearer realm="api"'), ...])
      or, where no HTTP authentication scheme applies (a login form), 403 or a redirect""",
)
def challenge_in_401(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.5.2: "The server generating a 401 response MUST send a WWW-Authenticate
    # header field (Section 11.6.1) containing at least one challenge applicable to the
    # target resource." A challenge is an auth-scheme (a token), then parameters (§11.3).
    value = app_field(ex, "www-authenticate")
    if value is None:
        yield self.finding(
            ex,
            f"the 401 to {show(ex.method)} {shown_target(ex.request.target)} has no "
            "WWW-Authenticate field: a client cannot tell how to authenticate",
        )
    elif _CHALLENGE_START.match(value) is None:
        yield self.finding(
            ex,
            f"the 401's WWW-Authenticate {quoted(value)} holds no challenge: one starts with "
            "its auth-scheme, a token (Basic, Bearer)",
        )


#: The redirections RFC 9110 asks a Location of ("The server SHOULD generate a Location header
#: field"), each with its section. A 303's URI is "indicated by" one with no keyword, a 300
#: asks one only for a preferred choice, and a 304 sends no one anywhere.
REDIRECTS = {301: "§15.4.2", 302: "§15.4.3", 307: "§15.4.8", 308: "§15.4.9"}


@rule(
    "APP-REDIRECT-LOCATION",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.4.2, §15.4.3, §15.4.8, §15.4.9",
    summary="a 301, 302, 307 or 308 redirection carries a Location field: the URI to go to",
    pep=ORIGIN,
    source="RFC 9110 §15.4.2, §15.4.3, §15.4.8, §15.4.9",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) in REDIRECTS and fields_readable(ex),
    example="""
bad:  start_response("302 Found", [("Content-Type", "text/html")])
fix:  start_response("302 Found", [("Location", "/login?next=%2Fcart"), ...])""",
)
def location_of_redirect(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if app_field(ex, "location") is None:
        code = app_status(ex)
        assert code is not None  # applies() saw it
        yield self.finding(
            ex,
            f"the {code} to {show(ex.method)} {shown_target(ex.request.target)} has no "
            f"Location field: a client is sent elsewhere with nowhere to go "
            f"(RFC 9110 {REDIRECTS[code]})",
        )


def _utf8_as_latin1(value: str) -> bool:
    """Whether ``value``'s characters past ASCII are UTF-8 bytes read as latin-1, as
    PATH_INFO holds a path (``/cafÃ©``): quoting them as text would encode them twice."""
    try:
        value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return False
    return True


def _relays_the_client(ex: Exchange, value: str) -> bool:
    """Whether ``value``, a Location that is no URI reference, is one but for a request field
    the client sent that is none either, which it holds: a line of it, or the environ's
    ``HTTP_`` value for it (its lines joined), or a Host that is no authority, in the
    authority's place, as URIs compare it (RFC 3986 §6.2.3: in lower case, and without its
    port where that is the default, which an app drops: :func:`normal_authority`). An app
    that redirects back to a Referer, or builds an absolute URI from the Host, passes on
    the client's fault (a review of 2026-12-07: Bottle, Flask and Pyramid on a drawn
    Referer; WebOb on ``Host: x|y:80``).
    A fault of the app's own beside it is still its own."""
    sent = [each for _, each in ex.request.headers]
    if isinstance(ex.environ, dict):
        sent += [
            each
            for key, each in ex.environ.items()
            if isinstance(key, str) and key.startswith("HTTP_") and isinstance(each, str)
        ]
    if any(
        each
        and each in value
        and uri_reference_re.fullmatch(each) is None
        and uri_reference_re.fullmatch(value.replace(each, "x")) is not None
        for each in sent
    ):
        return True
    lowered = value.lower()
    for name, host in ex.request.headers:
        if name.lower() != "host" or uri_reference_re.fullmatch("//" + host) is not None:
            continue
        forms = {host.lower(), normal_authority(host, "http"), normal_authority(host, "https")}
        for form in forms - {""}:
            for found in re.finditer(f"//{re.escape(form)}(?=[/?#:]|$)", lowered):
                rest = f"{lowered[: found.start()]}//x{lowered[found.end() :]}"
                if uri_reference_re.fullmatch(rest) is not None:
                    return True
    return False


def _uri_fault(value: str) -> str:
    """What keeps ``value`` (ASCII and latin-1 text with no control character) from being a
    URI-reference, as a message says it: the first character no URI holds, else the rest."""
    for index, char in enumerate(value):
        if char == "%" and not re.fullmatch(r"[0-9A-Fa-f]{2}", value[index + 1 : index + 3]):
            return "holds a '%' that two hex digits do not follow (a '%' itself is sent as %25)"
        if char == " ":
            return "holds a space, which a URI carries as %20"
        if char > "~":
            return f"holds {quoted(char)}, which is not ASCII: a URI carries it " + (
                "percent-encoded (its bytes as latin-1 text spell UTF-8, as PATH_INFO holds "
                "them: quote(text.encode('latin-1')))"
                if _utf8_as_latin1(value)
                else "percent-encoded (urllib.parse.quote)"
            )
        if char not in URI_CHARS and char != "%":
            return f"holds {quoted(char)}, which a URI carries only as %{ord(char):02X}"
    if value.count("#") > 1:
        return "holds a second '#', which a fragment carries only as %23"
    return (
        "has a ':' in its first segment that ends no scheme (a letter, then letters, digits, "
        "'+', '-' or '.'): a relative path that holds one starts with './'"
    )


@rule(
    "APP-LOCATION-SYNTAX",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §10.2.2, §2.2",
    summary="a Location is a URI reference (RFC 3986): no spaces, no characters beyond ASCII, "
    "a '%' only before two hex digits",
    pep=ORIGIN,
    source="RFC 9110 §10.2.2, §2.2",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    # Judged where the request's own target is a URI reference: an app that passes on what
    # the client spelled wrong relays the client's fault (Django 5.2's LocaleMiddleware,
    # under django-cms 5.1, answers GET /?% with Location: /en/?%, a trial of 2026-12-07);
    # so is a Location that holds a request field that is none (:func:`_relays_the_client`).
    applies=lambda ex: (
        app_field(ex, "location") is not None
        and uri_reference_re.fullmatch(ex.request.target) is not None
    ),
    example="""
bad:  ("Location", environ["PATH_INFO"] + "/")           # /a b/, /cafÃ©/: raw text
fix:  ("Location", quote(environ["PATH_INFO"].encode("latin-1")) + "/")""",
)
def location_syntax(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for name, value in app_fields(ex):  # values without the OWS round them
        if name != "location" or uri_reference_re.fullmatch(value) is not None:
            continue
        if control_chars_re.search(value) or max(value) > "\xff":
            continue  # APP-HEADER-VALUE-NO-CONTROL's, APP-STATUS-HEADERS-LATIN1's
        if _relays_the_client(ex, value):
            continue
        yield self.finding(
            ex,
            f"Location {quoted(value)} is not a URI reference: it {_uri_fault(value)}; "
            "clients repair such a value each in its own way, or refuse it",
        )


#: Response fields whose definition is one value, not a list (RFC 9110 §5.3: a sender MUST
#: NOT send such a field twice): each with the section defining it. Content-Length repeated
#: with values that disagree (or are no number) is APP-CL-SYNTAX's; repeated with one value,
#: this rule's (a recipient may reject it: Netty does). Set-Cookie is §5.3's own exception.
SINGLE_FIELDS = {
    "age": "RFC 9111 §5.1",
    "content-length": "RFC 9110 §8.6",
    "content-location": "RFC 9110 §8.7",
    "content-range": "RFC 9110 §14.4",
    "content-type": "RFC 9110 §8.3",
    "date": "RFC 9110 §6.6.1",
    "etag": "RFC 9110 §8.8.3",
    "expires": "RFC 9111 §5.3",
    "last-modified": "RFC 9110 §8.8.2",
    "location": "RFC 9110 §10.2.2",
    "retry-after": "RFC 9110 §10.2.3",
}


@rule(
    "APP-SINGLE-FIELDS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §5.3",
    summary="a field defined as one value (Content-Type, Location, ETag, Last-Modified, "
    "Expires, Date...) is sent at most once",
    pep=ORIGIN,
    source="RFC 9110 §5.3",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=_responded,
    example="""
bad:  def not_found(environ, start_response, headers=[]):      # a list shared by every call
          headers.append(("Content-Type", "text/plain"))      # one more on every 404
fix:  headers = [("Content-Type", "text/plain")]               # a new list each time""",
)
def single_fields(self: Rule, ex: Exchange) -> Iterator[Finding]:
    fields = app_fields(ex)
    counts = Counter(name for name, _ in fields if name in SINGLE_FIELDS)
    if counts["content-length"] > 1:
        lengths = {content_length(value) for name, value in fields if name == "content-length"}
        if len(lengths) > 1 or None in lengths:
            del counts["content-length"]  # APP-CL-SYNTAX's: the values disagree
    repeated = sorted(name for name, count in counts.items() if count > 1)
    if repeated:
        sent = ", ".join(f"{name} ×{counts[name]}" for name in repeated)
        defined = ", ".join(sorted({SINGLE_FIELDS[name] for name in repeated}))
        others = [name for name in repeated if name != "content-length"]
        consequence = ", and a client may take either" if others else ""
        if len(others) < len(repeated):
            consequence += ", and a recipient may reject a repeated Content-Length as invalid"
        yield self.finding(
            ex, f"the response sends {sent}: each is defined as one value ({defined}){consequence}"
        )


#: Response fields whose value is an HTTP-date (RFC 9110 §5.6.7; Retry-After only when it
#: is not a number of seconds), as a message names them.
DATE_FIELDS = {
    "date": "Date",
    "expires": "Expires",
    "last-modified": "Last-Modified",
    "retry-after": "Retry-After",
}


#: An IMF-fixdate, as a message shows what to send.
_FIXDATE = "'Sun, 06 Nov 1994 08:49:37 GMT'"


def _date_fault(name: str, value: str) -> str | None:
    """What is wrong with ``value`` as field ``name``'s HTTP-date, or None if nothing."""
    if name == "retry-after" and decimal(value) is not None:
        return None  # delay-seconds
    if imf_fixdate_re.fullmatch(value) is not None:
        # A leap second (23:59:60) is one (§5.6.7); Python's datetime has none.
        checked = value.replace(":60 GMT", ":59 GMT") if value.endswith(":60 GMT") else value
        return None if http_date(checked) is not None else "is no calendar date"
    if (spelled := gmt_spelled(value)) is not None and imf_fixdate_re.fullmatch(spelled):
        cause = (
            "email.utils.formatdate() writes without usegmt=True"
            if value.endswith("-0000")
            else "email.utils.format_datetime() and strftime('%z') write for UTC"
        )
        return f"ends in {value[-5:]} where an HTTP-date says GMT, as {cause}"
    if obs_date_re.fullmatch(value) is not None:
        return f"is an obsolete form, which recipients accept; a sender MUST send {_FIXDATE}"
    if name == "expires":
        return (
            "is not an HTTP-date: a cache takes it as already expired (RFC 9111 §5.3), but "
            f"a sender MUST send a date ({_FIXDATE}; one in the past will do)"
        )
    if name == "retry-after":
        return (
            "is neither delay-seconds, a whole number of seconds (RFC 9110 §10.2.3), nor an "
            f"HTTP-date as {_FIXDATE}"
        )
    return f"is not an HTTP-date, which reads {_FIXDATE}"


@rule(
    "APP-HTTP-DATE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §5.6.7",
    summary="the dates an app sends (Date, Last-Modified, Expires, Retry-After) are "
    "IMF-fixdates, in GMT: Sun, 06 Nov 1994 08:49:37 GMT",
    pep=ORIGIN,
    source="RFC 9110 §5.6.7",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: any(name in DATE_FIELDS for name, _ in app_fields(ex)),
    example="""
bad:  ("Last-Modified", email.utils.formatdate(mtime))     # '... 08:49:37 -0000'
fix:  ("Last-Modified", email.utils.formatdate(mtime, usegmt=True))   # '... 08:49:37 GMT'""",
)
def http_dates(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for name, value in app_fields(ex):  # values without the OWS round them
        if name in DATE_FIELDS:
            fault = _date_fault(name, value)
            if fault is not None:
                yield self.finding(
                    ex,
                    f"{DATE_FIELDS[name]} {show(value)} {fault} (RFC 9110 §5.6.7)",
                )


def _tag_fault(value: str) -> str:
    """How an ETag value that is not an entity-tag is wrong, with the entity-tag it may
    have meant when there is one."""
    if value.startswith("w/"):
        return "spells W/ in lower case, and the weak prefix is case-sensitive" + _meant(
            "W/", value[2:]
        )
    if value.startswith("W/") and value[2:3] in (" ", "\t"):
        return "has a space after W/, which an entity-tag has none of" + _meant(
            "W/", value[2:].lstrip(" \t")
        )
    weak, opaque = ("W/", value[2:]) if value.startswith("W/") else ("", value)
    if opaque and '"' not in opaque.strip("'") and not opaque.startswith('"'):
        return "has no double quotes round its opaque tag" + _meant(weak, opaque)
    if len(opaque) >= 2 and opaque.startswith('"') and opaque.endswith('"'):
        return "holds a character an opaque tag cannot (a space, a double quote, a control)"
    return 'is no opaque tag in double quotes ("v1"), with W/ before it if weak'


def _meant(weak: str, opaque: str) -> str:
    """ ": W/"v1"", the entity-tag ``weak`` and ``opaque`` make, quoted if need be; "" when
    even that is none."""
    for candidate in (f"{weak}{opaque}", f'{weak}"{opaque.strip(chr(39))}"'):
        if entity_tag_re.fullmatch(candidate) is not None:
            return f": {show(candidate)}"
    return ""


@rule(
    "APP-ETAG-SYNTAX",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.8.3, §2.2",
    summary="an ETag is one entity-tag: an opaque tag in double quotes, with W/ before it "
    'if weak ("v1", W/"v1")',
    pep=ORIGIN,
    source="RFC 9110 §8.8.3, §2.2",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_field(ex, "etag") is not None,
    example="""
bad:  ("ETag", str(os.stat(path).st_mtime))        # 1733215200.25: no quotes
fix:  ("ETag", f'"{os.stat(path).st_mtime}"')     # the same, in double quotes""",
)
def etag_syntax(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for name, value in app_fields(ex):  # values without the OWS round them
        if name == "etag" and entity_tag_re.fullmatch(value) is None:
            shown = show(value) or "(empty)"
            yield self.finding(
                ex,
                f"ETag {shown} is not an entity-tag: it {_tag_fault(value)}; a client or cache "
                "that parses entity-tags cannot revalidate with it",
            )


#: Response fields whose value is a list (RFC 9110 §5.6.1) of elements that hold no comma
#: and no quote, so that a split at each comma is exact, as a message names them.
LIST_FIELDS = {
    "accept-ranges": "Accept-Ranges",  # 1#range-unit (§14.3)
    "allow": "Allow",  # #method (§10.2.1)
    "content-encoding": "Content-Encoding",  # #content-coding (§8.4)
    "content-language": "Content-Language",  # #language-tag (§8.5)
    "vary": "Vary",  # #( "*" / field-name ) (§12.5.5)
}


def _empty_elements(value: str) -> bool:
    """Whether a list field's value has an element that is empty (a comma at either end,
    or two with only OWS between them). An empty value is an empty list, not an element."""
    return "," in value and any(not each.strip(" \t") for each in value.split(","))


@rule(
    "APP-LIST-ELEMENTS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §5.6.1.1",
    summary="a list field (Vary, Allow, Content-Encoding, Content-Language, Accept-Ranges) "
    "has no empty element: no comma at either end or two in a row",
    pep=ORIGIN,
    source="RFC 9110 §5.6.1.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: any(name in LIST_FIELDS for name, _ in app_fields(ex)),
    example="""
bad:  ("Vary", ", Cookie")     # Django: patch_vary_headers(response, []) left Vary "" and
                              # SessionMiddleware's patch_vary_headers() added ", Cookie"
fix:  ("Vary", "Cookie")      # leave Vary out rather than empty, or drop empty elements""",
)
def list_elements(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for name, value in app_fields(ex):  # values without the OWS round them
        if name in LIST_FIELDS and _empty_elements(value):
            yield self.finding(
                ex,
                f"{LIST_FIELDS[name]} {quoted(value)} has an empty list element, which a "
                "sender MUST NOT generate (RFC 9110 §5.6.1.1; a recipient ignores a few)",
            )


@rule(
    "APP-304-METADATA",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.4.5",
    summary="a 304 carries no representation metadata beyond the fields RFC 9110 lists "
    "(no Content-Type, Content-Encoding or Content-Language)",
    pep=ORIGIN,
    source="RFC 9110 §15.4.5",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) == 304,
    example="""
bad:  start_response("304 Not Modified", [("Content-Type", "text/css"), ("ETag", tag)])
fix:  start_response("304 Not Modified", [("ETag", tag)])""",
)
def no_metadata_in_304(self: Rule, ex: Exchange) -> Iterator[Finding]:
    present = sorted({name for name, _ in app_fields(ex) if name in NOT_IN_304})
    if present:
        yield self.finding(ex, f"a 304 response carries {', '.join(present)}")


def _length_forbidden(ex: Exchange) -> str | None:
    """What response ``ex`` is, where RFC 9110 §8.6 forbids it a Content-Length: a 204, or
    a 2xx to CONNECT (a 1xx never reaches an app's final status); None elsewhere."""
    code = app_status(ex)
    if code == 204:
        return "a 204 response"
    if ex.method == "CONNECT" and code is not None and 200 <= code < 300:
        return f"a {code} response to CONNECT"
    return None


@rule(
    "APP-CL-FORBIDDEN",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.6",
    summary="a 204, or a 2xx to CONNECT, carries no Content-Length (not even 0)",
    pep=ORIGIN,
    source="RFC 9110 §8.6",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: _length_forbidden(ex) is not None,
    example="""
bad:  start_response("204 No Content", [("Content-Length", "0")])
fix:  start_response("204 No Content", [])""",
)
def content_length_forbidden(self: Rule, ex: Exchange) -> Iterator[Finding]:
    value = app_field(ex, "content-length")
    if value is not None:
        yield self.finding(
            ex,
            f"{_length_forbidden(ex)} carries Content-Length {quoted(value)}; a server that "
            "passes the app's fields on sends it, and a client may wait for that many bytes "
            "of content or refuse the response"
            + (_COUNTED_BY_DJANGO if value.strip() == "0" and by_django(ex) else ""),
        )


#: Why Django's 204 says Content-Length 0 (seen with Django 5.2 and REST framework).
_COUNTED_BY_DJANGO = (
    " (Django's CommonMiddleware sets it from the empty body of every response not "
    "streamed: a middleware listed before it can delete it from a 204)"
)


#: What keeps a Content-Range from stating a range it can be held to, as messages say it.
_NOT_RANGE_RESP = "not a range-resp"
_INVALID_RANGE = "invalid (RFC 9110 §14.4)"


class _RangeResp(NamedTuple):
    """A Content-Range's range-resp (RFC 9110 §14.4), read."""

    unit: str  # lower-case
    first: int
    last: int
    complete: int | None  # None for "*"


def _range_resp(value: str) -> _RangeResp | str:
    """``value``'s range-resp, or what is wrong with it: :data:`_NOT_RANGE_RESP` (another
    form, ``*/N`` included), or :data:`_INVALID_RANGE` (§14.4 makes a last-pos before its
    first-pos, or a complete length not past the last-pos, an invalid value)."""
    match = content_range_re.fullmatch(value)
    if match is None or match.group("first") is None:
        return _NOT_RANGE_RESP
    first, last = int(match.group("first")), int(match.group("last"))
    complete = None if match.group("complete") == "*" else int(match.group("complete"))
    if last < first or (complete is not None and complete <= last):
        return _INVALID_RANGE
    return _RangeResp(match.group("unit").lower(), first, last, complete)


@rule(
    "APP-206-CONTENT-RANGE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.3.7, §14.4",
    summary="a single-part 206 has a valid Content-Range whose range is the body's length; "
    "a multipart one has none in its header, and each of its parts has one, for its own length",
    pep=ORIGIN,
    source="RFC 9110 §15.3.7, §14.4",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) == 206 and ex.method != "HEAD" and ex.iteration_finished,
    example="""
bad:  206 with "Content-Range: bytes 0-99/1000" and 1000 bytes of body
fix:  send body[0:100], or a 200 with the whole body""",
)
def partial_content_range(self: Rule, ex: Exchange) -> Iterator[Finding]:
    value = app_field(ex, "content-range")
    media = (app_field(ex, "content-type") or "").split(";")[0].strip().lower()
    if media == "multipart/byteranges":
        if value is not None:
            yield self.finding(ex, "a multipart/byteranges 206 has a Content-Range field")
        yield from (self.finding(ex, told) for told in _parts_misranged(ex))
        return
    if value is None:
        yield self.finding(ex, "a single-part 206 response has no Content-Range")
        return
    stated = _range_resp(value)
    if stated == _NOT_RANGE_RESP:
        yield self.finding(ex, f"a 206 has Content-Range {show(value)}, {_NOT_RANGE_RESP}")
    elif isinstance(stated, str):
        yield self.finding(ex, f"Content-Range {show(value)} is {stated}")
    elif stated.unit == "bytes" and ex.produced != stated.last - stated.first + 1:
        yield self.finding(
            ex,
            f"Content-Range {show(value)} announces {stated.last - stated.first + 1} bytes; "
            f"the app produced {ex.produced}" + coded_note(ex, _CODED_RANGE),
        )


def _byteranges_parts(body: bytes, boundary: bytes) -> list[tuple[bytes, bytes]] | None:
    """The parts of a multipart body (RFC 2046 §5.1.1), each as its head and its content;
    None where the body is not one: no delimiter, no close delimiter, a part with no blank
    line after its head. Strict: lines end in CRLF, and the CRLF before a delimiter is the
    delimiter's."""
    chunks = (b"\r\n" + body).split(b"\r\n--" + boundary)
    parts: list[tuple[bytes, bytes]] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            return parts
        padding, newline, rest = chunk.partition(b"\r\n")
        if not newline or padding.strip(b" \t"):
            return None
        if rest.startswith(b"\r\n"):
            parts.append((b"", rest[2:]))
            continue
        head, blank, content = rest.partition(b"\r\n\r\n")
        if not blank:
            return None
        parts.append((head, content))
    return None


def _parts_misranged(ex: Exchange) -> Iterator[str]:
    """What is wrong with the Content-Range of each part of a multipart/byteranges 206 (RFC
    9110 §14.6: each part carries its own; §14.4: a valid one), as messages say it; nothing
    where the body is not known whole, is coded, or is no multipart body at all (CherryPy
    18.10 answers bytes=-0,0-1 with a part "bytes 1000-999/1000" and no data: a trial of
    2026-12-07)."""
    boundary = media_type_parameter(app_field(ex, "content-type") or "", "boundary")
    body = app_body(ex) if boundary and not content_codings(ex) else None
    parts = _byteranges_parts(body, boundary.encode("latin-1")) if body and boundary else None
    for number, (head, content) in enumerate(parts or [], start=1):
        fields = [line.partition(b":") for line in head.split(b"\r\n")]
        ranges = [
            value.decode("latin-1").strip(" \t")
            for name, _, value in fields
            if name.strip().lower() == b"content-range"
        ]
        if not ranges:
            yield f"part {number} of the multipart/byteranges 206 has no Content-Range"
            continue
        stated = _range_resp(ranges[0])
        said = f"part {number} of the multipart/byteranges 206 has Content-Range {show(ranges[0])}"
        if stated == _NOT_RANGE_RESP:
            yield f"{said}, {_NOT_RANGE_RESP}"
        elif isinstance(stated, str):
            yield f"{said}, which is {stated}"
        elif stated.unit == "bytes" and len(content) != stated.last - stated.first + 1:
            size = stated.last - stated.first + 1
            yield (
                f"{said}, which announces {byte_count(size)}; the part holds "
                f"{byte_count(len(content))}"
            )


#: Why a coded 206's body is not the range it states, most often (Flask-Compress 1.25, and
#: Django 5.2's GZipMiddleware in front of WhiteNoise: neither looks at the status).
_CODED_RANGE = (
    "a compression layer that codes the range after the app cut it, as Flask-Compress and "
    "Django's GZipMiddleware do, leaves the uncoded Content-Range on the coded bytes"
)


def _byte_range(ranges: str) -> tuple[int | None, int] | None:
    """``ranges``, a Range field value of one byte range, as (first-pos, last-pos) of an
    int-range (last-pos -1 when open) or (None, suffix-length) of a suffix-range; None for
    any other value: a set of ranges may be refused as too many, and what does not parse
    is no range request. Strict where the grammar is: no whitespace around the range-spec,
    and no empty list element (which a recipient ought to ignore, but a strict one may
    refuse)."""
    unit, equals, spec = ranges.partition("=")
    if not equals or unit.lower() != "bytes" or spec != spec.strip(" \t,") or "," in spec:
        return None
    return _range_spec(spec)


def _byte_ranges(ranges: str) -> list[tuple[int | None, int]] | None:
    """``ranges``, a Range field value of one or more byte ranges, each as
    :func:`_byte_range` gives it; None for any other value (an empty list element
    included: a recipient ought to ignore it, but a strict one may refuse it)."""
    unit, equals, specs = ranges.partition("=")
    if not equals or unit.lower() != "bytes" or specs != specs.strip(" \t"):
        return None  # OWS only round a comma (RFC 9110 §5.6.1)
    parsed = [_range_spec(each.strip(" \t")) for each in specs.split(",")]
    return [each for each in parsed if each is not None] if None not in parsed else None


def _range_spec(spec: str) -> tuple[int | None, int] | None:
    """One range-spec with no whitespace round it, as :func:`_byte_range` gives it."""
    first, dash, last = spec.partition("-")
    if not dash:
        return None
    if not first:
        suffix = decimal(last)
        return None if suffix is None else (None, suffix)
    start, end = decimal(first), decimal(last) if last else None
    if start is None or (last and (end is None or end < start)):
        return None  # an invalid range-spec
    return start, -1 if end is None else end


def _satisfiable(spec: tuple[int | None, int], length: int) -> bool:
    """Whether a :func:`_byte_range` is satisfiable for a representation of ``length``
    bytes (RFC 9110 §14.1.2: an int-range whose first-pos is less than the length, or a
    suffix-range with a non-zero suffix-length)."""
    start, last = spec
    return last > 0 if start is None else start < length


def _part_sent(
    ex: Exchange,
) -> tuple[str, list[tuple[int | None, int]], str, int, int, int | None] | None:
    """For a single-part 206 to a GET with one Range field of byte ranges: the field, its
    :func:`_byte_ranges`, the 206's Content-Range, the first and last byte it names, and
    the complete length it states (None for ``*``); None where the 206 is multipart or its
    Content-Range is no valid byte range (APP-206-CONTENT-RANGE's), or the request asked
    for anything else."""
    if ex.method != "GET" or app_status(ex) != 206:
        return None
    fields = [value for name, value in ex.request.headers if name.lower() == "range"]
    specs = _byte_ranges(fields[0]) if len(fields) == 1 else None
    stated = app_field(ex, "content-range")
    if specs is None or stated is None:
        return None
    read = _range_resp(stated)
    if isinstance(read, str) or read.unit != "bytes":
        return None
    return fields[0], specs, stated, read.first, read.last, read.complete


def _asked_part(spec: tuple[int | None, int], length: int) -> tuple[int, int] | None:
    """The first and last byte a :func:`_byte_range` selects from a representation of
    ``length`` bytes, as RFC 9110 §14.1.2 reads it (a last-pos at or past the end is the
    remainder; a suffix longer than the representation is all of it); None when it selects
    none (it is not satisfiable)."""
    if not _satisfiable(spec, length):
        return None
    start, last = spec
    if start is None:
        return max(0, length - last), length - 1
    return start, length - 1 if last < 0 or last >= length else last


@rule(
    "APP-206-RANGE-ASKED",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §14.2, §15.3.7, §14.1.2",
    summary="a 206's part starts and ends on bytes the ranges asked for select, as RFC 9110 "
    "reads them against the length its Content-Range states (a part of them may be sent, and "
    "one part may join several), and answers no ranges that length cannot satisfy",
    pep=ORIGIN,
    source="RFC 9110 §14.2, §15.3.7, §14.1.2",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: _part_sent(ex) is not None,
    example="""
bad:  Range: bytes=-1 (the last byte) -> 206 with "Content-Range: bytes 0-1/23"
      (the suffix-length read as a last-pos: `begin = 0` where it was empty)
fix:  206 with "Content-Range: bytes 22-22/23" and that byte""",
)
def part_as_asked(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §14.2: the server "SHOULD send a 206 (Partial Content) response with content
    # containing one or more partial representations that correspond to the satisfiable
    # range-spec(s) requested", and a 416 where the ranges-specifier is unsatisfiable.
    # §15.3.7 lets it send "only a subset of the data requested": less is no fault; and
    # §15.3.7.2 lets it join ranges with a small gap between them into one part: a single
    # part to several ranges is judged by its ends, each a byte one of them selects (Paste
    # 3.10 answers bytes=0-1,5-6 with the whole file: a trial of 2026-12-07). How large a
    # gap may be joined is not judged.
    found = _part_sent(ex)
    assert found is not None
    ranges, specs, stated, first, last, length = found
    several = len(specs) > 1
    if length is None:
        # No complete length: only int-ranges can be judged, by their first-pos and their
        # last-pos (the representation may end before it).
        spans = [(start, end) for start, end in specs if start is not None]
        if len(spans) == len(specs) and not all(
            any(start <= each and (end < 0 or each <= end) for start, end in spans)
            for each in (first, last)
        ):
            yield self.finding(
                ex,
                f"the app answered Range {show(ranges)} with Content-Range {show(stated)}, "
                f"bytes outside the {'ranges' if several else 'range'} asked for",
            )
        return
    asked = [part for spec in specs if (part := _asked_part(spec, length)) is not None]
    if not asked:
        yield self.finding(
            ex,
            f"the app answered Range {show(ranges)} with a 206 (Content-Range {show(stated)}), "
            f"but no byte of a representation of {length} bytes satisfies "
            f"{'those ranges' if several else 'that range'} (RFC 9110 §14.1.2): a 416 or a "
            "200 answers it",
        )
        return
    if all(any(low <= end <= high for low, high in asked) for end in (first, last)):
        return
    if several:
        selected = " and ".join(f"{low}-{high}" for low, high in sorted(set(asked)))
        told = (
            f"those ranges select bytes {selected} (RFC 9110 §14.1.2), and the 206's part "
            "starts or ends on a byte none of them selects (one part may join them, "
            "§15.3.7.2)"
        )
    else:
        low, high = asked[0]
        told = (
            f"that range is bytes {low}-{high} (RFC 9110 §14.1.2), and the 206 sends bytes "
            "outside it"
        )
    yield self.finding(
        ex,
        f"the app answered Range {show(ranges)} with Content-Range {show(stated)}; of a "
        f"representation of {length} bytes {told}",
    )


def _refusal(ex: Exchange) -> tuple[str, tuple[int | None, int], int, str] | None:
    """For a 416 to a GET with one Range field of one byte range (no If-Range: that is
    APP-IF-RANGE's): the field, its :func:`_byte_range`, the representation's length, and
    where that length comes from. The length is the one the 416 states (``Content-Range:
    bytes */N``, not 0); for a 416 that states none, the one a plain GET of the same
    request got twice running before it (:func:`_steady_length`): Bottle 0.13 answers 416
    with no Content-Range to a range unit it reads case-sensitively (``BYTES=0-0``, which
    §14.1 makes the same unit)."""
    if ex.method != "GET" or app_status(ex) != 416 or request_field(ex, "if-range") is not None:
        return None
    fields = [value for name, value in ex.request.headers if name.lower() == "range"]
    spec = _byte_range(fields[0]) if len(fields) == 1 else None
    if spec is None:
        return None  # not one byte range: nothing to judge either way
    stated = app_field(ex, "content-range")
    if stated is None:
        steady = _steady_length(ex)
        whence = "the length of the two plain GETs before it"
        return None if steady is None else (fields[0], spec, steady, whence)
    match = content_range_re.fullmatch(stated)
    if match is None or match.group("unit").lower() != "bytes":
        return None
    length = decimal(match.group("unsatisfied") or "")
    # An empty representation is not judged: only a suffix-range satisfies it (§14.1.2),
    # and a 416 to that is a corner too fine to fail an app on.
    return (fields[0], spec, length, "the length its Content-Range states") if length else None


def _steady_length(ex: Exchange) -> int | None:
    """The content length the last two plain GETs of ``ex``'s request gave alike
    (:func:`settled`), both answered 200, when it is not zero."""
    length = settled(ex, lambda each: each.produced, lambda code: code == 200)
    return length if length else None


@rule(
    "APP-416-SATISFIABLE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.5.17, §14.1.2",
    summary="no 416 to a single byte range that the representation's length satisfies: the "
    "length the 416 states, else the one plain GETs got (a 416 says no range can be served)",
    pep=ORIGIN,
    source="RFC 9110 §15.5.17, §14.1.2",
    implied=True,  # the 416's definition: "none of the requested ranges are satisfiable"
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: _refusal(ex) is not None,
    example="""
bad:  Range: bytes=0-0 on a 4800-byte file -> 416, "Content-Range: bytes */4800"
      (a one-byte range refused: `if start >= end` where `start > end` was meant)
fix:  206 with "Content-Range: bytes 0-0/4800" and that byte, or ignore Range: 200""",
)
def satisfiable_range_refused(self: Rule, ex: Exchange) -> Iterator[Finding]:
    found = _refusal(ex)
    assert found is not None
    ranges, spec, length, whence = found
    if _satisfiable(spec, length):
        yield self.finding(
            ex,
            f"the app answered 416 to Range {show(ranges)}, which a representation of "
            f"{length} bytes ({whence}) satisfies; send that range in a 206, or ignore Range "
            "and send 200",
        )


def _byte_range_refused(ex: Exchange) -> bool:
    """A 416 to a GET with a Range field in the bytes unit (RFC 9110 §14.2 defines range
    handling for GET alone)."""
    if ex.method != "GET" or app_status(ex) != 416:
        return False
    ranges = request_field(ex, "range")
    return ranges is not None and _range_unit(ranges) == "bytes"


def _range_unit(ranges: str) -> str:
    """The unit a Range value names, lower-case (RFC 9110 §14.1: units ignore case)."""
    return ranges.partition("=")[0].strip(" \t").lower()


@rule(
    "APP-416-CONTENT-RANGE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.5.17, §14.4",
    summary="a 416 to a byte-range GET states the representation's length: "
    "Content-Range: bytes */length",
    pep=ORIGIN,
    source="RFC 9110 §15.5.17, §14.4",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=_byte_range_refused,
    example="""
bad:  Range: bytes=500- on 100 bytes -> 416 with no Content-Range
fix:  416 with "Content-Range: bytes */100": the client learns what it may ask for""",
)
def refused_range_length(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.5.17: "A server that generates a 416 response to a byte-range request
    # SHOULD generate a Content-Range header field specifying the current length of the
    # selected representation."
    ranges = show(request_field(ex, "range") or "")
    value = app_field(ex, "content-range")
    if value is None:
        yield self.finding(ex, f"the app answered 416 to Range {ranges} with no Content-Range")
        return
    match = content_range_re.fullmatch(value)
    if (
        match is None
        or match.group("unsatisfied") is None
        or match.group("unit").lower() != "bytes"
    ):
        yield self.finding(
            ex,
            f"the app answered 416 to Range {ranges} with Content-Range {show(value)}, "
            "not bytes */length",
        )


def _decode(codings: list[str], body: bytes) -> str | None:
    """Undo ``codings`` (applied in order) on ``body``: None if it decodes, else what failed."""
    undone = undo_codings(codings, body)
    return undone if isinstance(undone, str) else None


@rule(
    "APP-CONTENT-CODING",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.4, §8.4.1",
    summary="content whose Content-Encoding says gzip or deflate decodes as that coding",
    pep=ORIGIN,
    source="RFC 9110 §8.4, §8.4.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: (
        (code := app_status(ex)) is not None
        and has_content(ex, code)
        and code != 206
        and app_field(ex, "content-encoding") is not None
        and decodable_content(ex) is not None
    ),
    example="""
bad:  [("Content-Encoding", "gzip")] and the body zlib.compress(data)   # zlib, not gzip
fix:  gzip.compress(data) for gzip; zlib.compress(data) for deflate""",
)
def content_coding(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # §8.4: the field says which codings "have been applied to the representation"; content
    # that is not in them is mislabelled, and a client cannot read it.
    found = decodable_content(ex)
    assert found is not None  # applies asks it
    codings, body = found
    value = app_field(ex, "content-encoding") or ""
    problem = _decode(codings, body)
    if problem is not None:
        yield self.finding(
            ex,
            f"{len(body)} bytes labelled Content-Encoding {show(value)} do not decode: {problem}",
        )


def _weights(value: str) -> dict[str, float] | None:
    """Each coding an Accept-Encoding value names, with its weight (1 where it gives none);
    None where there is nothing to judge by: an element that is not ``coding [;q=qvalue]``,
    a coding named twice at weights that disagree (``gzip;q=0, gzip``: the RFC does not say
    which counts, and Werkzeug takes the highest where WebOb takes the first), or an empty
    value (the SHOULD of RFC 9110 §12.5.3 is about a non-empty field)."""
    weights: dict[str, float] = {}
    for element in value.split(","):
        if not element.strip(" \t"):
            continue  # RFC 9110 §5.6.1: empty list elements do not count
        match = coding_weight_re.fullmatch(element.strip(" \t"))
        if match is None:
            return None
        weight = float(match["q"] or 1)
        if weights.setdefault(coding_name(match["coding"]), weight) != weight:
            return None
    return weights or None


def _accepts(weights: dict[str, float], coding: str) -> bool:
    """Whether an Accept-Encoding of ``weights`` accepts ``coding`` (RFC 9110 §12.5.3): a
    coding it names, at a weight above 0; one it does not name, as ``*`` says (none: not
    accepted). ``identity``, the content uncoded, is accepted unless named at 0 (or ``*``
    is, without it)."""
    if coding in weights:
        return weights[coding] > 0
    if "*" in weights:
        return weights["*"] > 0
    return coding == "identity"


def _judged_weights(ex: Exchange) -> dict[str, float] | None:
    """The request's Accept-Encoding weights (every field of it), where the rule can judge
    by them: they parse, and they accept the content uncoded (where they do not, any coding
    will do and none is asked of the app)."""
    value = request_field(ex, "accept-encoding")
    weights = None if value is None else _weights(value)
    return weights if weights is not None and _accepts(weights, "identity") else None


@rule(
    "APP-CODING-ACCEPTED",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §12.5.3",
    summary="content is left uncoded, not coded in a coding its request refuses, where the "
    "request's Accept-Encoding takes it so",
    pep=ORIGIN,
    source="RFC 9110 §12.5.3",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: (
        (code := app_status(ex)) is not None
        and has_content(ex, code)
        and bool(content_codings(ex))
        and _judged_weights(ex) is not None
    ),
    example="""
bad:  if "gzip" in environ.get("HTTP_ACCEPT_ENCODING", ""): body = gzip.compress(body)
fix:  read the q-values: "gzip;q=0" refuses gzip, and "br" does not ask for it""",
)
def coding_accepted(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # §12.5.3: "If a non-empty Accept-Encoding header field is present in a request and none
    # of the available representations for the response have a content coding that is
    # listed as acceptable, the origin server SHOULD send a response without any content
    # coding unless the identity coding is indicated as unacceptable."
    weights = _judged_weights(ex)
    assert weights is not None  # applies asks it
    given = app_field(ex, "content-encoding") or ""
    refused = [coding for coding in content_codings(ex) if not _accepts(weights, coding)]
    if refused:
        value = request_field(ex, "accept-encoding") or ""
        # Quoted: a coding named "None" (Wagtail's str(None)) reads as no coding else, and
        # said to be none the registry knows (a trial of 2026-12-07 took 'None' for the
        # harness's own).
        unknown = (
            f"; {quoted(refused[0])} is no registered content coding (RFC 9110 §16.6.1), and "
            "content sent uncoded carries no Content-Encoding"
            if refused[0] not in REGISTERED_CODINGS
            else ""
        )
        yield self.finding(
            ex,
            f"Accept-Encoding {quoted(value)} does not accept {quoted(refused[0])}; the app "
            f"answered {app_status(ex)} with Content-Encoding {quoted(given)}, where the "
            f"content uncoded was acceptable{unknown}",
        )


def _unit_verdict(ex: Exchange) -> tuple[str, bool, str] | None:
    """For a GET with one Range field in a unit other than bytes (and no If-Range: that is
    APP-IF-RANGE's), answered 206 or 416, or 400 where the same request without its Range
    got 200 (Starlette 1.10's StaticFiles refuses the unit): the field, and what the app
    said of the unit; None where it said nothing, but of a 400. A Content-Range tells (in
    bytes, it read the field as a byte range; in the field's unit, it understands it), else
    an Accept-Ranges (the response's own, else the last plain GET's of the same request)
    that lists the unit or leaves it out: the field, whether the app understands the unit,
    and the field it said so in."""
    code = app_status(ex)
    if ex.method != "GET" or code not in (206, 400, 416):
        return None
    fields = [value for name, value in ex.request.headers if name.lower() == "range"]
    if len(fields) != 1 or request_field(ex, "if-range") is not None:
        return None
    unit = _range_unit(fields[0])
    if unit == "bytes" or not is_token(unit):
        return None
    stated = app_field(ex, "content-range")
    if stated is not None and code != 400:
        said = stated.strip(" \t").partition(" ")[0].lower()
        return fields[0], said != "bytes", f"Content-Range: {show(stated)}"
    plain = next(plain_gets(ex, since_change=True), None)
    steady = plain is not None and app_status(plain) == 200
    if code == 400 and (
        not steady or any(request_field(ex, name) is not None for name in CONDITIONAL_FIELDS)
    ):
        # A 400 the request gets whatever its Range says, or one a condition beside it
        # may have caused (Paste's to If-Modified-Since: yesterday): the plain GET differs
        # from it by its conditions too.
        return None
    accepted = app_field(ex, "accept-ranges")
    if accepted is None:
        if plain is None or not steady:
            return None
        accepted = app_field(plain, "accept-ranges")
        if accepted is None:
            # Nothing said of its units, but a 400 answers a Range in none it understands
            # either (one it understands gets 206 or 416): a trial of 2026-12-08 met
            # bepasty's REST download refusing items=0-1 so.
            return (fields[0], False, "nothing of its units") if code == 400 else None
        # Said in the plain GET's 200, not in this answer (a trial of 2026-12-07 read "it
        # said Accept-Ranges: bytes" of a 416 that carried none).
        understood = unit in {each.strip(" \t").lower() for each in accepted.split(",")}
        return fields[0], understood, f"Accept-Ranges: {show(accepted)} in its 200 to the GET"
    understood = unit in {each.strip(" \t").lower() for each in accepted.split(",")}
    return fields[0], understood, f"Accept-Ranges: {show(accepted)}"


@rule(
    "APP-RANGE-UNIT-IGNORED",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §14.2",
    summary="a Range in a unit the app does not understand is ignored (the whole "
    "representation), not answered 206, 416 or 400",
    pep=ORIGIN,
    source="RFC 9110 §14.2",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    # Judged where the app said which units it understands (Content-Range, Accept-Ranges).
    applies=lambda ex: _unit_verdict(ex) is not None,
    example="""
bad:  if not header.startswith("bytes="): return HTTPError(416)   # Range: items=0-1
fix:  if not header.startswith("bytes="): ignore Range, serve the whole file (200)""",
)
def range_unit_ignored(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §14.2: "An origin server MUST ignore a Range header field that contains a
    # range unit it does not understand."
    found = _unit_verdict(ex)
    assert found is not None
    ranges, understood, said = found
    if not understood:
        yield self.finding(
            ex,
            f"the app answered {app_status(ex)} to Range {show(ranges)}, in a unit it does not "
            f"understand (it said {said}): a Range in an unknown unit is ignored, and the "
            "whole representation sent",
        )
