"""HTTP rules that compare a response with an earlier one to the same target (RFC 9110).

An :class:`~wsgicheck.rules.exchange.Exchange` carries ``history``: the exchanges the same
app answered before it (:func:`wsgicheck.rules.check_sequence` links them). A rule here
finds its counterpart there — the GET a HEAD should agree with, the 200 a 304 stands for,
the ETag or Last-Modified the app gave the target — and applies only when it has one, so a
run without such pairs skips it.

HEAD and the app's body: RFC 9110 §9.3.2 says "the server MUST NOT send content" in answer
to HEAD. Under WSGI that server is the gateway, which drops whatever the app yields
(``SRV-NO-BODY-DROP`` checks it does); PEP 3333 says nothing of HEAD, and the RFC calls
generating and discarding the content for HEAD only less preferable than minor header
differences, without a requirement. Django and wsgiref-era apps do produce it. So no rule
here flags an app for producing a body to HEAD: it would be a requirement neither source
makes.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..untrusted import show
from .exchange import Exchange
from .http_evidence import (
    CONDITIONAL_FIELDS,
    app_field,
    app_fields,
    app_status,
    entity_tags,
    http_date,
    request_field,
    weak_match,
)
from .registry import Binding, Finding, Level, Rule, rule
from .server_evidence import declared_length, final_call

ORIGIN = """In a sense, a server should consider itself to be like an HTTP "gateway server",
    with the application being an HTTP "origin server"."""
SECTION = "Other HTTP Features"

#: Fields a HEAD response may lack though GET has them: RFC 9110 §9.3.2 lets a server omit
#: "header fields for which a value is determined only while generating the content" and
#: names Content-Length and Vary; an ETag or digest computed over the content is the same
#: kind. Date is a clock reading, not a property of the resource.
MAY_LACK_IN_HEAD = frozenset(
    {"content-length", "vary", "etag", "content-md5", "content-digest", "repr-digest", "date"}
)
#: Fields a HEAD response may have though GET lacks them: a Content-Length (§8.6 allows one;
#: ``APP-CL-OF-GET`` checks its value), and Date.
MAY_ADD_IN_HEAD = frozenset({"content-length", "date"})
#: Representation metadata whose values must agree too (RFC 9110 §8.3-§8.5): the same
#: representation is described. Validators may change between two requests.
SAME_VALUE = ("content-type", "content-encoding", "content-language")


def _request_key(ex: Exchange, ignore: frozenset[str]) -> tuple[str, list[tuple[str, str]]]:
    fields = sorted((name.lower(), value) for name, value in ex.request.headers)
    return ex.request.target, [field for field in fields if field[0] not in ignore]


def counterpart(
    ex: Exchange, method: str = "GET", ignore: frozenset[str] = CONDITIONAL_FIELDS
) -> Exchange | None:
    """The latest earlier exchange that sent ``method`` to the same target with the same
    fields (less ``ignore``), and that the app answered in full."""
    key = _request_key(ex, ignore)
    for earlier in reversed(ex.history):
        if (
            earlier.method == method
            and app_status(earlier) is not None
            and earlier.iteration_finished
            and _request_key(earlier, ignore) == key
        ):
            return earlier
    return None


def _answered(ex: Exchange) -> bool:
    return app_status(ex) is not None and not ex.timed_out and not ex.raised


def _head_pair(ex: Exchange) -> Exchange | None:
    if ex.method != "HEAD" or not _answered(ex):
        return None
    return counterpart(ex, "GET", frozenset())


@rule(
    "APP-HEAD-LIKE-GET",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §9.3.2",
    summary="HEAD gets the status and header fields GET to the same target gets "
    "(less those known only from the content: Content-Length, Vary, ETag)",
    pep=ORIGIN,
    source="RFC 9110 §9.3.2",
    covers=(),
    applies=lambda ex: _head_pair(ex) is not None,
    example="""
bad:  if method == "HEAD": start_response("200 OK", [])   # GET has Content-Type
fix:  build the same response for HEAD and GET; the server sends HEAD's head only""",
)
def head_like_get(self: Rule, ex: Exchange) -> Iterator[Finding]:
    get = _head_pair(ex)
    assert get is not None
    head_code, get_code = app_status(ex), app_status(get)
    if head_code != get_code:
        yield self.finding(ex, f"HEAD got {head_code}; GET to the same target got {get_code}")
        return
    head_fields, get_fields = app_fields(ex) or [], app_fields(get) or []
    head_names = {name for name, _ in head_fields}
    get_names = {name for name, _ in get_fields}
    lacking = sorted(get_names - head_names - MAY_LACK_IN_HEAD)
    adding = sorted(head_names - get_names - MAY_ADD_IN_HEAD)
    if lacking:
        yield self.finding(ex, f"HEAD lacks {', '.join(lacking)}, which GET has")
    if adding:
        yield self.finding(ex, f"HEAD has {', '.join(adding)}, which GET lacks")
    for name in SAME_VALUE:
        head_value, get_value = app_field(ex, name), app_field(get, name)
        if name in head_names and name in get_names and head_value != get_value:
            yield self.finding(
                ex, f"HEAD's {name} is {show(head_value)}; GET's is {show(get_value)}"
            )


def _length_pair(ex: Exchange) -> Exchange | None:
    """The GET whose content length a HEAD's or a 304's Content-Length must equal."""
    if not _answered(ex) or declared_length(final_call(ex)) is None:
        return None
    code = app_status(ex)
    if ex.method == "HEAD":
        get = counterpart(ex, "GET", frozenset())
        return get if get is not None and app_status(get) == code else None
    if ex.method == "GET" and code == 304:
        get = counterpart(ex, "GET")
        return get if get is not None and app_status(get) == 200 else None
    return None


@rule(
    "APP-CL-OF-GET",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.6",
    summary="a Content-Length in a HEAD response or a 304 is the length of the content "
    "GET gets (or none is sent)",
    pep=ORIGIN,
    source="RFC 9110 §8.6",
    covers=(),
    applies=lambda ex: _length_pair(ex) is not None,
    example="""
bad:  HEAD / -> "Content-Length: 0" while GET / has 1234 bytes
fix:  send the GET's Content-Length, or none""",
)
def cl_of_get(self: Rule, ex: Exchange) -> Iterator[Finding]:
    get = _length_pair(ex)
    assert get is not None
    declared = declared_length(final_call(ex))
    if declared != get.produced:
        what = "HEAD response" if ex.method == "HEAD" else "304 response"
        yield self.finding(
            ex,
            f"a {what} says Content-Length {declared}; GET to the same target got "
            f"{get.produced} bytes",
        )


def _current_tag(ex: Exchange) -> tuple[bool, str] | None:
    """The entity-tag the app gives the target: in this response, else in the GET before."""
    for source in (ex, counterpart(ex)):
        if source is None:
            continue
        tags = entity_tags(app_field(source, "etag") or "")
        if tags is not None and len(tags) == 1:
            return tags[0]
    return None


def _successful(ex: Exchange) -> bool:
    code = app_status(ex)
    return _answered(ex) and code is not None and 200 <= code < 300


@rule(
    "APP-IF-NONE-MATCH",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.2, §13.2.1",
    summary="a request whose If-None-Match lists the ETag the app gives the target (or is "
    "*) gets 304 (GET, HEAD) or 412, not a 2xx",
    pep=ORIGIN,
    source="RFC 9110 §13.1.2, §13.2.1",
    covers=(),
    applies=lambda ex: request_field(ex, "if-none-match") is not None and _successful(ex),
    example="""
bad:  GET / with If-None-Match: "v1" -> 200 with ETag: "v1" and the whole body again
fix:  compare (weakly) and answer 304 Not Modified with the ETag and no body""",
)
def if_none_match(self: Rule, ex: Exchange) -> Iterator[Finding]:
    value = request_field(ex, "if-none-match") or ""
    current = _current_tag(ex)
    if current is None:
        return  # the app advertises no validator for this target: nothing to hold it to
    listed = entity_tags(value)
    star = value.strip(" \t") == "*"
    if not star and not (listed and any(weak_match(tag, current) for tag in listed)):
        return
    wanted = "304" if ex.method in ("GET", "HEAD") else "412"
    yield self.finding(
        ex,
        f"If-None-Match {show(value)} matches the target's ETag {show(current[1])}; the app "
        f"answered {app_status(ex)} with {ex.produced} bytes instead of {wanted}",
    )


def _since_case(ex: Exchange) -> bool:
    return (
        ex.method in ("GET", "HEAD")
        and request_field(ex, "if-modified-since") is not None
        and request_field(ex, "if-none-match") is None
        and _successful(ex)
    )


@rule(
    "APP-IF-MODIFIED-SINCE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.3",
    summary="a GET or HEAD whose If-Modified-Since is at or after the target's Last-Modified "
    "gets 304, not a 2xx",
    pep=ORIGIN,
    source="RFC 9110 §13.1.3",
    covers=(),
    applies=_since_case,
    example="""
bad:  If-Modified-Since equal to the Last-Modified the app sent -> 200 and the whole body
fix:  answer 304 when Last-Modified <= If-Modified-Since""",
)
def if_modified_since(self: Rule, ex: Exchange) -> Iterator[Finding]:
    since = http_date(request_field(ex, "if-modified-since"))
    if since is None:
        return  # §13.1.3: a recipient ignores a value that is not a valid HTTP-date
    modified = http_date(app_field(ex, "last-modified"))
    if modified is None and (get := counterpart(ex)) is not None:
        modified = http_date(app_field(get, "last-modified"))
    now = http_date(ex.response.header("date"))
    # A date after the response's own Date is in the origin's future: left unjudged.
    if modified is None or now is None or since > now or modified > since:
        return
    yield self.finding(
        ex,
        f"Last-Modified {modified:%a, %d %b %Y %H:%M:%S} GMT is not after If-Modified-Since; "
        f"the app answered {app_status(ex)} with {ex.produced} bytes instead of 304",
    )
