"""HTTP rules that compare a response with an earlier one to the same target (RFC 9110).

An :class:`~wsgicheck.rules.exchange.Exchange` carries ``history``: the exchanges the same
app answered before it (:func:`wsgicheck.rules.check_sequence` links them). A rule here
finds its counterpart there — the GET a HEAD should agree with, the 200 a 304 stands for,
the ETag or Last-Modified the app gave the target — and applies only when it has one, so a
run without such pairs skips it.

A HEAD, or a 304's Content-Length, is judged at the next GET of the same request, and only
when that GET got the same answer as the one before the HEAD: GET, HEAD, GET. An app that
answers GET differently each time (a counter, a rate limiter, a first-visit cookie) varies
by itself, and whatever HEAD got is no evidence against it.

HEAD and the app's body: RFC 9110 §9.3.2 says "the server MUST NOT send content" in answer
to HEAD. Under WSGI that server is the gateway, which drops whatever the app yields
(``SRV-NO-BODY-DROP`` checks it does); PEP 3333 says nothing of HEAD, and the RFC calls
generating and discarding the content for HEAD only less preferable than minor header
differences, without a requirement. Django and wsgiref-era apps do produce it. So no rule
here flags an app for producing a body to HEAD: it would be a requirement neither source
makes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import NamedTuple, TypeVar

from ..model.grammar import CHANGING_METHODS, SAFE_METHODS, imf_fixdate, is_http_date
from ..model.untrusted import show
from .exchange import Exchange
from .http_evidence import (
    CONDITIONAL_FIELDS,
    CONDITIONS_AND_RANGE,
    answered_with,
    app_field,
    app_fields,
    app_list,
    app_status,
    by_django,
    date_as_sent,
    entity_tags,
    history_bears_on,
    http_date,
    plain_gets,
    request_field,
    request_key,
    strong_match,
    tag_text,
    weak_match,
)
from .registry import ORIGIN, Binding, Finding, Level, Rule, rule
from .server_evidence import declared_length, final_call

T = TypeVar("T")

SECTION = "Other HTTP Features"

#: Fields that describe the exchange, not the representation: Date is a clock reading, and
#: Set-Cookie follows the client's session (a first visit, an expired session), so either
#: may come with one request and not the next.
OF_THE_EXCHANGE = frozenset({"date", "set-cookie"})
#: Fields a HEAD response may lack though GET has them: RFC 9110 §9.3.2 lets a server omit
#: "header fields for which a value is determined only while generating the content" and
#: names Content-Length and Vary; an ETag or digest computed over the content is the same
#: kind.
MAY_LACK_IN_HEAD = OF_THE_EXCHANGE | {
    "content-length",
    "vary",
    "etag",
    "content-md5",
    "content-digest",
    "repr-digest",
}
#: Fields a HEAD response may have though GET lacks them: a Content-Length (§8.6 allows one;
#: ``APP-CL-OF-GET`` checks its value).
MAY_ADD_IN_HEAD = OF_THE_EXCHANGE | {"content-length"}
#: Representation metadata whose values must agree too (RFC 9110 §8.3-§8.5): the same
#: representation is described. Validators may change between two requests.
SAME_VALUE = ("content-type", "content-encoding", "content-language")


def counterpart(
    ex: Exchange,
    method: str = "GET",
    ignore: frozenset[str] = CONDITIONAL_FIELDS,
    *,
    plain: bool = False,
    since_change: bool = False,
) -> Exchange | None:
    """The latest earlier exchange that sent ``method`` to the same target with the same
    fields (less ``ignore``; with ``plain``, carrying none of them), and that the app
    answered in full; with ``since_change``, sent after the last request of another unsafe
    method (RFC 9110 §9.2.1: a PUT may have changed the target) than the one found."""
    key = request_key(ex, ignore)
    for earlier in reversed(ex.history):
        if (
            earlier.method == method
            and app_status(earlier) is not None
            and earlier.iteration_finished
            and request_key(earlier, ignore) == key
            and (not plain or request_key(earlier, frozenset()) == key)
        ):
            return earlier
        if since_change and earlier.method not in SAFE_METHODS:
            return None
    return None


def answered(ex: Exchange) -> bool:
    """The app answered: it accepted a status, did not raise, and did not run out of time."""
    return app_status(ex) is not None and not ex.timed_out and not ex.raised


def _names(ex: Exchange) -> set[str]:
    return {name for name, _ in app_fields(ex)}


def _spelled(ex: Exchange, names: list[str]) -> str:
    """``names`` (lower-case), joined, each as the app spelled it in ``ex`` (``Vary``)."""
    call = final_call(ex)
    headers = call.headers if call is not None else []
    sent: dict[str, str] = {}
    for item in headers if isinstance(headers, list | tuple) else []:
        if isinstance(item, tuple) and item and isinstance(item[0], str):
            sent.setdefault(item[0].lower(), item[0])
    return ", ".join(sent.get(name, name) for name in names)


def _same_answer(one: Exchange, other: Exchange) -> bool:
    """Whether two GETs of one request got the same status, field names (Date aside) and
    representation metadata: the app does not vary by itself in what a HEAD or a 304 is
    compared on. (The content length is asked apart: a compressed page padded at random,
    as Django's GZipMiddleware pads it, has another length each time, and its 304 may
    still lack the fields its 200 has.)"""
    return (
        app_status(one) == app_status(other)
        and _names(one) - OF_THE_EXCHANGE == _names(other) - OF_THE_EXCHANGE
        and all(app_field(one, name) == app_field(other, name) for name in SAME_VALUE)
    )


def _bracket(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """For a GET ``ex``: the GET of the same request before it and the exchanges to the
    same target between the two, when there are some and both GETs got the same answer.
    What lies between (a HEAD, a 304, a 206) is then compared with a GET answer the app
    gives steadily; an app that varies by itself (a counter, a rate limiter) gets no verdict.
    A GET repeated with nothing to its target between (the usual case) costs no comparison.

    Four rules ask it, each in ``applies`` and ``check``: worked out once per history
    (kept in ``sequence_facts``, which a new history empties)."""
    facts = ex.sequence_facts
    if "bracket" not in facts:
        facts["bracket"] = _find_bracket(ex)
    found: tuple[Exchange, list[Exchange]] | None = facts["bracket"]
    return found


def _find_bracket(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    if ex.method != "GET" or not answered(ex) or not ex.iteration_finished:
        return None
    target = ex.request.target
    # The latest exchange to the target first: a GET repeated with nothing between (a test
    # suite's, under the validator) is told without a pass over the whole history.
    last = next((each for each in reversed(ex.history) if each.request.target == target), None)
    if last is None:
        return None
    if (
        last.method == "GET"
        and last.request.headers == ex.request.headers
        and answered(last)
        and last.iteration_finished
    ):
        return None  # the GET it repeats comes last: nothing lies between
    same = [each for each in ex.history if each.request.target == target]
    get = counterpart(ex, "GET", frozenset())
    if get is None:
        return None
    index = max(i for i, each in enumerate(same) if each is get)
    between = [each for each in same[index + 1 :] if answered(each)]
    return (get, between) if between and _same_answer(get, ex) else None


def _between(
    ex: Exchange, wanted: Callable[[Exchange, Exchange], bool]
) -> tuple[Exchange, list[Exchange]] | None:
    """The steady GET of ``ex``'s request (:func:`_bracket`) and the exchanges between it
    and ``ex`` that ``wanted(each, get)`` picks, when there are some."""
    bracket = _bracket(ex)
    if bracket is None:
        return None
    get, between = bracket
    cases = [each for each in between if wanted(each, get)]
    return (get, cases) if cases else None


def _rests_on(
    cases: Callable[[Exchange], tuple[Exchange, list[Exchange]] | None],
) -> Callable[[Exchange], tuple[Exchange, ...]]:
    """A rule's ``steady``: the steady GET and the exchanges ``cases`` compares with it,
    sent again before a finding is kept (see :attr:`~wsgicheck.rules.registry.Rule.steady`):
    two GETs alike around a HEAD say the app answers steadily only when that is not
    chance."""

    def rested_on(ex: Exchange) -> tuple[Exchange, ...]:
        found = cases(ex)
        return () if found is None else (found[0], *found[1])

    return rested_on


def _head_of(each: Exchange, get: Exchange) -> bool:
    """Whether ``each`` is a HEAD of ``get``'s request: the same fields, and the same
    CONTENT_LENGTH given the app (WebTest's HEAD carries "0" where its GET carries none,
    and an app that echoes its environ then answers the two with bodies of two lengths)."""
    return (
        each.method == "HEAD"
        and request_key(each, frozenset()) == request_key(get, frozenset())
        and _length_given(each) == _length_given(get)
    )


def _length_given(ex: Exchange) -> object:
    """The CONTENT_LENGTH in the app's environ, if it was a string (None otherwise)."""
    environ = ex.environ if isinstance(ex.environ, dict) else {}
    value = dict.get(environ, "CONTENT_LENGTH")
    return value if type(value) is str else None


def _heads(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """The steady GET and the HEADs of its request between it and ``ex``."""
    return _between(ex, _head_of)


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
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    steady=_rests_on(_heads),
    # Judged at a second GET, once the app has shown it answers GET the same way twice;
    # the finding names the HEAD.
    applies=lambda ex: _heads(ex) is not None,
    example="""
bad:  if method == "HEAD": start_response("200 OK", [])   # GET has Content-Type
fix:  build the same response for HEAD and GET; the server sends HEAD's head only""",
)
def head_like_get(self: Rule, ex: Exchange) -> Iterator[Finding]:
    pair = _heads(ex)
    assert pair is not None
    get, heads = pair
    for head in heads:
        yield from _head_differences(self, head, get)


def _head_differences(self: Rule, head: Exchange, get: Exchange) -> Iterator[Finding]:
    head_code, get_code = app_status(head), app_status(get)
    asked = _described(head)
    if head_code != get_code:
        yield self.finding(head, f"{asked} got {head_code}; GET to the same target got {get_code}")
        return
    head_names, get_names = _names(head), _names(get)
    lacking = sorted(get_names - head_names - MAY_LACK_IN_HEAD)
    adding = sorted(head_names - get_names - MAY_ADD_IN_HEAD)
    # "the field(s)": Moto spells its fields in lower case, and "lacks server, status" read
    # as the status code (a trial of 2026-12-07).
    if lacking:
        fields = f"the field{'s' if len(lacking) > 1 else ''} {_spelled(get, lacking)}"
        yield self.finding(head, f"{asked} lacks {fields}, which GET has")
    if adding:
        fields = f"the field{'s' if len(adding) > 1 else ''} {_spelled(head, adding)}"
        yield self.finding(head, f"{asked} has {fields}, which GET lacks")
    for name in SAME_VALUE:
        head_value, get_value = app_field(head, name), app_field(get, name)
        if name in head_names and name in get_names and head_value != get_value:
            yield self.finding(
                head, f"{asked} gives {name} {show(head_value)}; GET gives {show(get_value)}"
            )


def _length_cases(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """The steady GET, and the HEAD responses and 304s of its request (conditions aside)
    between it and ``ex`` that declare a Content-Length: each, where the two GETs got
    content of one length; where their lengths differ (a compression layer's random
    padding, Django's), those that declare 0 while both GETs got content, a length no GET
    would have had (sweep 17: Django's 304s, gzip accepted)."""
    found = _between(ex, _declares_length)
    if found is None:
        return None
    get, cases = found
    if get.produced != ex.produced:
        if not (get.produced and ex.produced):
            return None
        cases = [each for each in cases if declared_length(final_call(each)) == 0]
    return (get, cases) if cases else None


def _declares_length(each: Exchange, get: Exchange) -> bool:
    """Whether ``each`` is a HEAD answered as ``get`` was, or a 304 standing for it, with a
    Content-Length: what APP-CL-OF-GET compares with the GET's content."""
    if declared_length(final_call(each)) is None:
        return False
    same_head = _head_of(each, get) and app_status(each) == app_status(get)
    return same_head or _not_modified_of(each, get)


def _not_modified_of(each: Exchange, get: Exchange) -> bool:
    """Whether ``each`` is a 304 to ``get``'s request with conditions added, ``get`` a 200:
    the 200 the 304 stands for."""
    return (
        each.method == "GET"
        and app_status(each) == 304
        and app_status(get) == 200
        and request_key(each, CONDITIONAL_FIELDS) == request_key(get, CONDITIONAL_FIELDS)
    )


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
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    steady=_rests_on(_length_cases),
    # Judged, like APP-HEAD-LIKE-GET, at a second GET that got the same answer as the
    # first: every length declared where the two got content of one length, else a 0.
    applies=lambda ex: _length_cases(ex) is not None,
    example="""
bad:  HEAD / -> "Content-Length: 0" while GET / has 1234 bytes
fix:  send the GET's Content-Length, or none""",
)
def cl_of_get(self: Rule, ex: Exchange) -> Iterator[Finding]:
    found = _length_cases(ex)
    assert found is not None
    get, cases = found
    got = f"{get.produced}" if get.produced == ex.produced else f"{get.produced} and {ex.produced}"
    for case in cases:
        declared = declared_length(final_call(case))
        if declared != get.produced:
            not_modified = case.method != "HEAD"
            what = f"the {'304' if not_modified else 'response'} to {_described(case)}"
            yield self.finding(
                case,
                f"{what} says Content-Length {declared}; GET to the same target got "
                f"{got} bytes"
                + (
                    (_EMPTY_304_DJANGO if by_django(case) else _EMPTY_304)
                    if not_modified and not declared
                    else _other_coding(case, get)
                ),
            )


def _other_coding(head: Exchange, get: Exchange) -> str:
    """`` (GET's content is gzip-coded; the HEAD response says identity: the length of
    other bytes)``: why a HEAD's length is another's, when the two name other content
    codings (Roundup's HEAD gives the uncoded length and no Content-Encoding, where its GET
    is gzip); else nothing."""
    if head.method != "HEAD":
        return ""
    codings = [app_field(each, "content-encoding") or "identity" for each in (get, head)]
    if codings[0].lower() == codings[1].lower():
        return ""
    return (
        f" (GET's content is {show(codings[0])}-coded; the HEAD response says "
        f"{show(codings[1])}: the length of other bytes)"
    )


#: Why a 304 says Content-Length 0, most often; with Django's words when Django made the
#: response (seen with Django 5.2), since a plain app's author has no CommonMiddleware.
_EMPTY_304 = (
    ": 0 is most often the 304's own empty body, counted by the app or by a layer that sets "
    "the field from the body it sees; send the GET's length or no Content-Length in a 304"
)
_EMPTY_304_DJANGO = (
    ": 0 is most often the 304's own empty body, counted by the app or a layer that sets the "
    "field from the body it sees (as Django's CommonMiddleware does for a 304 that a view or "
    "a ConditionalGetMiddleware listed after it made); send the GET's length or no "
    "Content-Length in a 304"
)


#: The fields a 304 (RFC 9110 §15.4.5) and a 206 (§15.3.7) must carry when the 200 to the
#: same request would; Date too, which the server adds under WSGI (SRV-ADD-REQUIRED-HEADERS).
KEPT_FROM_200 = ("cache-control", "content-location", "etag", "expires", "vary")


def _not_modified_cases(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """The steady 200 to GET, and the 304s to its request with conditions added between it
    and ``ex``."""
    return _between(ex, _not_modified_of)


def _keeps_something(
    cases_of: Callable[[Exchange], tuple[Exchange, list[Exchange]] | None],
) -> Callable[[Exchange], bool]:
    """The ``applies`` of a rule on the fields a 304 or a 206 keeps from the 200: judged, like
    APP-HEAD-LIKE-GET, at a second GET that got the same answer as the first, whose 200
    carries one of :data:`KEPT_FROM_200` at least (else there is nothing to keep)."""

    def applies(ex: Exchange) -> bool:
        found = cases_of(ex)
        return found is not None and any(
            app_field(found[0], name) is not None for name in KEPT_FROM_200
        )

    return applies


def _lacking(get: Exchange, cases: list[Exchange]) -> Iterator[tuple[Exchange, list[str]]]:
    """Each case, with the fields of :data:`KEPT_FROM_200` the 200 ``get`` has and it lacks."""
    kept = [name for name in KEPT_FROM_200 if app_field(get, name) is not None]
    for case in cases:
        yield case, [name for name in kept if app_field(case, name) is None]


@rule(
    "APP-304-KEEPS-FIELDS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.4.5",
    summary="a 304 carries the Cache-Control, Content-Location, ETag, Expires and Vary "
    "fields the 200 to the same request carries, and the same ETag",
    pep=ORIGIN,
    source="RFC 9110 §15.4.5",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    steady=_rests_on(_not_modified_cases),
    applies=_keeps_something(_not_modified_cases),
    example="""
bad:  200 with "Vary: Accept-Encoding"; the 304 to its If-None-Match has only ETag
fix:  copy Cache-Control, Content-Location, ETag, Expires and Vary into the 304""",
)
def not_modified_keeps_fields(self: Rule, ex: Exchange) -> Iterator[Finding]:
    found = _not_modified_cases(ex)
    assert found is not None
    get, cases = found
    for case, lacking in _lacking(get, cases):
        if lacking:
            yield self.finding(
                case,
                f"the 304 to {_described(case)} lacks {_spelled(get, lacking)}, which the 200 to "
                "the same request has"
                + (
                    (_VARY_DROPPED_DJANGO if by_django(case) else _VARY_DROPPED)
                    if "vary" in lacking and _varies_by_coding(get)
                    else ""
                ),
            )
        # "would have been sent in a 200": the 200's own ETag, by which a cache finds the
        # stored response the 304 freshens (RFC 9111 §4.3.4), when the GETs before and after
        # gave the same (a page with a fresh CSRF token in it has a new tag each time, and
        # its 304 rightly names the newest). Roundup 2.6 sends back the client's stale tag.
        tag, sent = app_field(get, "etag"), app_field(case, "etag")
        if tag is not None and sent not in (None, tag) and app_field(ex, "etag") == tag:
            yield self.finding(
                case,
                f"the 304 to {_described(case)} has ETag {show(sent)} where the 200 to the "
                f"same request has {show(tag)}: a cache finds the stored 200 the 304 "
                "freshens by its tag"
                + (
                    (_WEAKENED_DJANGO if by_django(case) else _WEAKENED)
                    if tag == f"W/{sent}"
                    else ""
                ),
            )


#: Why a 304's tag is the strong form of its 200's weak one, most often; Django's case by
#: name when Django made the response (seen with Django 5.2).
_WEAKENED = (
    "; a compression layer that weakens the tag of the bodies it codes and leaves a 304's "
    "empty one alone does this: weaken the 304's tag too"
)
_WEAKENED_DJANGO = (
    "; Django's GZipMiddleware weakens the tag of the bodies it compresses and leaves a 304's "
    "empty one alone (listed before ConditionalGetMiddleware, as Django's documentation "
    "orders them): weaken the 304's tag too"
)


def _varies_by_coding(get: Exchange) -> bool:
    """Whether the 200's Vary names Accept-Encoding (as a compression layer's does)."""
    return "accept-encoding" in app_list(get, "vary")


#: Why a 304 lacks the 200's Vary: Accept-Encoding, most often; Django's case by name when
#: Django made the response (seen with Django 5.2).
_VARY_DROPPED = (
    "; a Vary: Accept-Encoding missing from a 304 is most often a compression layer's, which "
    "adds it only to the bodies it sees: add the Vary to the 304 too"
)
_VARY_DROPPED_DJANGO = (
    "; a Vary: Accept-Encoding missing from a 304 is most often a compression layer's, which "
    "adds it only to the bodies it sees (Django's GZipMiddleware leaves a body under 200 "
    "bytes alone, Vary and all, and a 304's is empty, whether a view made it or a "
    "ConditionalGetMiddleware listed after it): add the Vary to the 304 too"
)


def _partial_of(each: Exchange, get: Exchange) -> bool:
    """Whether ``each`` is a 206 to ``get``'s request with a Range (and conditions) added,
    ``get`` a 200: the 200 the range is cut from."""
    return (
        each.method == "GET"
        and app_status(each) == 206
        and app_status(get) == 200
        and request_key(each, CONDITIONS_AND_RANGE) == request_key(get, CONDITIONS_AND_RANGE)
    )


def _partial_cases(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """The steady 200 to GET, and the 206s to its request with a Range added between it
    and ``ex``."""
    return _between(ex, _partial_of)


@rule(
    "APP-206-KEEPS-FIELDS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.3.7",
    summary="a 206 carries the Cache-Control, Content-Location, ETag, Expires and Vary "
    "fields the 200 to the same request carries",
    pep=ORIGIN,
    source="RFC 9110 §15.3.7",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    steady=_rests_on(_partial_cases),
    applies=_keeps_something(_partial_cases),
    example="""
bad:  200 with ETag: "v1" and Cache-Control; the 206 to Range: bytes=0-0 has Content-Range only
fix:  send the 200's Cache-Control, Content-Location, ETag, Expires and Vary with the 206""",
)
def partial_keeps_fields(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.3.7: "A server that generates a 206 response MUST generate the following
    # header fields, in addition to those required in the subsections below, if the field
    # would have been sent in a 200 (OK) response to the same request: Date, Cache-Control,
    # ETag, Expires, Content-Location, and Vary." A client joins ranges by their ETag, and
    # a cache stores a 206 by the others.
    found = _partial_cases(ex)
    assert found is not None
    for case, lacking in _lacking(*found):
        if lacking:
            yield self.finding(
                case,
                f"the 206 to {_described(case)} lacks {_spelled(found[0], lacking)}, which the "
                "200 to "
                "the same request without Range has",
            )


#: The fields a sequence's requests to one target differ by (see
#: :mod:`wsgicheck.explore.sequences`): what tells a finding's request from the others.
_TELLING = CONDITIONS_AND_RANGE | {"accept-encoding"}


def _described(ex: Exchange) -> str:
    """The request, by its method and the fields that tell it from the others of its
    sequence (``GET with If-None-Match: "v1"``, ``HEAD with Accept-Encoding: gzip``)."""
    fields = [
        f"{name}: {show(value)}" for name, value in ex.request.headers if name.lower() in _TELLING
    ]
    return ex.method + (" with " + ", ".join(fields) if fields else "")


def _tag_sources(ex: Exchange) -> tuple[Exchange | None, ...]:
    """Where the target's current entity-tag is read: this response, else the GET before.

    Not the GET's for a HEAD: an ETag is known only from the content, so a HEAD answered
    without one (Django's ConditionalGetMiddleware tags GET only) has no validator to hold
    its If-None-Match to, as APP-HEAD-LIKE-GET leaves ETag out of what HEAD must repeat.
    Not this response's for another method: the ETag of a 201 to ``PUT`` with
    ``If-None-Match: *`` tags what the request made, not what the target held before it
    (RFC 9110 §13.1.2's own use of ``*``: create only if nothing is there). For it, the
    latest plain GET with no unsafe request since (a DELETE between leaves nothing for
    ``*`` to match), its fields those of the request less the ones that describe its
    content (Kinto 26.5 answers a PATCH with its record's tag 200: a trial of 2026-12-07)."""
    if ex.method == "HEAD":
        return (ex,)
    if ex.method == "GET":
        return (ex, counterpart(ex, plain=True))
    latest = next(plain_gets(ex, since_change=True, ignore=_CONTENT_FIELDS), None)
    # A 2xx alone shows a current representation: Django's ConditionalGetMiddleware tags a
    # 404 page too (the review of 2026-12-07).
    return (latest if latest is not None and _successful(latest) else None,)


#: The request fields that describe its content, not the representation it is about: the
#: representation metadata of :data:`SAME_VALUE`, which a PUT or PATCH carries and the GET
#: that tagged its target does not (framing, Content-Length and Transfer-Encoding, is no
#: field of a Request).
_CONTENT_FIELDS = frozenset(SAME_VALUE)


def _current_tag(ex: Exchange) -> tuple[bool, str] | None:
    """The entity-tag the app gives the target (see :func:`_tag_sources`)."""
    for source in _tag_sources(ex):
        if source is None:
            continue
        tags = entity_tags(app_field(source, "etag") or "")
        if tags is not None and len(tags) == 1:
            return tags[0]
    return None


def plain_get(ex: Exchange) -> Exchange | None:
    """The latest earlier GET of the target without conditions or Range, if it got a 2xx:
    the target has a current representation."""
    get = counterpart(ex, "GET", CONDITIONS_AND_RANGE, plain=True)
    code = None if get is None else app_status(get)
    return get if code is not None and 200 <= code < 300 else None


def of_target(ex: Exchange, read: Callable[[Exchange], T | None]) -> T | None:
    """What ``read`` finds in this response, else in the plain GET of the target."""
    for source in (ex, plain_get(ex)):
        if source is not None and (found := read(source)) is not None:
            return found
    return None


def _one_tag(source: Exchange) -> tuple[bool, str] | None:
    tags = entity_tags(app_field(source, "etag") or "")
    return tags[0] if tags is not None and len(tags) == 1 else None


def current_tag(ex: Exchange) -> tuple[bool, str] | None:
    """The entity-tag the app gives the target: in this response, else in the plain GET."""
    return of_target(ex, _one_tag)


def if_match_holds(
    ex: Exchange, tag_of: Callable[[Exchange], tuple[bool, str] | None] = current_tag
) -> tuple[bool, str] | None:
    """Whether the request's If-Match holds (RFC 9110 §13.1.1: ``*`` when the target has a
    representation, else a listed tag strongly matching the current one, as ``tag_of``
    reads it), and why; None when it cannot be told."""
    value = request_field(ex, "if-match") or ""
    if value.strip(" \t") == "*":
        return (True, "the target has a representation") if plain_get(ex) else None
    listed, current = entity_tags(value), tag_of(ex)
    if listed is None or current is None:
        return None
    if any(strong_match(tag, current) for tag in listed):
        return True, f"it strongly matches the target's ETag {show(tag_text(current))}"
    return False, f"no listed tag strongly matches the target's ETag {show(tag_text(current))}"


#: What a ranged request differs from the same request without its Range by.
_RANGE = frozenset({"range"})


def range_first(ex: Exchange) -> str:
    """What a 206 shows when the same request without its Range got the 304 or 412 the
    precondition called for: the app serves the Range first (Werkzeug's
    ``make_conditional`` does). "" otherwise: an app that never evaluates the precondition
    has no order to get wrong."""
    if app_status(ex) != 206 or request_field(ex, "range") is None:
        return ""
    key = request_key(ex, _RANGE)
    codes: list[int] = []
    for earlier in ex.history:
        code = app_status(earlier)
        if (
            code in (304, 412)
            and code not in codes
            and earlier.method == ex.method
            and request_field(earlier, "range") is None
            and request_key(earlier, _RANGE) == key
        ):
            codes.append(code)
    if not codes:
        return ""
    return (
        f"; without the Range the same request got {' or '.join(map(str, codes))}: the app "
        "serves the Range first, where RFC 9110 §13.2.2 evaluates the precondition before it"
    )


def _successful(ex: Exchange) -> bool:
    code = app_status(ex)
    return answered(ex) and code is not None and 200 <= code < 300


#: Answers that refuse a request for a precondition it carries: a 412, or the field read
#: as malformed (400, 422). Not a 429 or a 503: those come whatever the request says.
REFUSALS = frozenset({400, 412, 422})


#: The methods APP-IF-NONE-MATCH judges: GET and HEAD (304) and those that change the
#: target (412).
PRECONDITIONS_JUDGED = frozenset({"GET", "HEAD"}) | CHANGING_METHODS


def _none_match_answer(ex: Exchange) -> bool:
    """Whether ``ex``'s answer is one a request whose If-None-Match evaluates false must not
    get: a 2xx (the field ignored), or a refusal (:func:`none_match_refused`)."""
    return _successful(ex) or none_match_refused(ex)


def none_match_refused(ex: Exchange) -> bool:
    """Whether ``ex`` was refused for its If-None-Match (:func:`refused_for`): the field
    read, and not evaluated as §13.1.2 has it, whether it matches or not."""
    return refused_for(ex, "if-none-match", "if-modified-since")


def refused_for(ex: Exchange, field: str, ignored_date: str) -> bool:
    """Whether ``ex``, a GET, was refused (:data:`REFUSALS`) for ``field``: it carries no
    other condition, Range or WebDAV If but a valid HTTP-date in ``ignored_date``, the date
    field RFC 9110 §13.2.2 has ignored beside ``field`` (If-Modified-Since beside
    If-None-Match, If-Unmodified-Since beside If-Match: neither can be the cause), and the
    same GET without them got a 2xx since the last unsafe request (§13.2.1: a request that
    fails without its conditions has none evaluated; a DELETE between may have made the
    refusal the target's answer). A GET alone: a HEAD is judged beside GETs, and an app that
    refuses every HEAD (§9.1's fault, not a precondition's) would be taken for one that
    misreads the field."""
    if ex.method != "GET" or app_status(ex) not in REFUSALS or not answered(ex):
        return False
    date = request_field(ex, ignored_date)
    beside = {ignored_date} if date is not None and is_http_date(date) else set()
    others = (CONDITIONS_AND_RANGE | _WEBDAV_IF) - {field} - beside
    if any(request_field(ex, name) is not None for name in others):
        return False
    plain = next(plain_gets(ex, since_change=True), None)
    return plain is not None and _successful(plain)


#: WebDAV's precondition field (RFC 4918 §10.4), whose failure is a 412 too.
_WEBDAV_IF = frozenset({"if"})


@rule(
    "APP-IF-NONE-MATCH",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.2, §13.2.1",
    summary="on a target the app gives an ETag, a request whose If-None-Match lists it (or "
    "is *) gets 304 (GET, HEAD) or 412 (POST, PUT, PATCH, DELETE): not a 2xx, and for GET "
    "not a 412 or a refusal where the request gets a 2xx without it",
    pep=ORIGIN,
    source="RFC 9110 §13.1.2, §13.2.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    # A 304 or 412 is judged (and passes) too: a run of an app that evaluates the field
    # right says so, where "skipped" would say it was never asked.
    # GET, HEAD and the methods that change the target alone: a server MUST ignore the
    # preconditions of CONNECT, OPTIONS and TRACE (§13.2.1: a 200 to an OPTIONS with
    # If-None-Match * is what they call for), and what an unregistered method (M-SEARCH)
    # selects or changes is not known.
    applies=lambda ex: (
        ex.method in PRECONDITIONS_JUDGED
        and request_field(ex, "if-none-match") is not None
        and (_called_for(ex) or _none_match_answer(ex))
        and _none_match_tag(ex) is not None
    ),
    example="""
bad:  GET / with If-None-Match: "v1" -> 200 with ETag: "v1" and the whole body again
fix:  compare (weakly) and answer 304 Not Modified with the ETag and no body""",
)
def if_none_match(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if not _none_match_answer(ex):
        return  # the 304 or 412 the field called for
    value = request_field(ex, "if-none-match") or ""
    star = value.strip(" \t") == "*"
    current = _current_tag(ex)
    tag = _none_match_tag(ex)
    assert tag is not None  # applies asks it
    listed = entity_tags(value)
    if not star and not (
        current is not None and listed and any(weak_match(each, current) for each in listed)
    ):
        return
    wanted = "304" if ex.method in ("GET", "HEAD") else "412"
    # "*" matches whatever representation the target has (a trial of 2026-12-07 read
    # "matches the target's ETag" as a comparison of tags).
    matched = (
        f"* matches any current representation, and the target has one (ETag {show(tag)})"
        if star
        else f"{show(value)} matches the target's ETag {show(tag)}"
    )
    yield self.finding(
        ex,
        f"If-None-Match {matched}; the app {answered_with(ex, app_status(ex))} instead of "
        f"{wanted}" + range_first(ex) + _beside_if_match(ex),
    )


def _beside_if_match(ex: Exchange) -> str:
    """What a 2xx shows where If-Match came with the If-None-Match: the app let the one
    that holds decide (Werkzeug's ``is_resource_modified`` does), where RFC 9110 §13.2.2
    evaluates If-None-Match after it. Said only for a 2xx: a 412 is If-Match's own."""
    match = request_field(ex, "if-match")
    # The target's tag as this rule reads it (a 201's to a PUT tags what the PUT made).
    held = None if match is None else if_match_holds(ex, _current_tag)
    if held is None or not held[0] or not _successful(ex):
        return ""  # (a false one owed a 412 first: APP-IF-MATCH's)
    return (
        f"; beside it, If-Match {show(match)} holds, and RFC 9110 §13.2.2 then evaluates "
        "If-None-Match, which is false"
    )


def _called_for(ex: Exchange) -> bool:
    """Whether the app answered what a false If-None-Match calls for: 304 to GET or HEAD,
    412 to another method (a 304 to a PUT is APP-304-CONDITIONAL's, and no pass here)."""
    return answered(ex) and app_status(ex) == (304 if ex.method in ("GET", "HEAD") else 412)


def _none_match_tag(ex: Exchange) -> str | None:
    """The target's ETag an If-None-Match is held to, as the message names it; None where
    the app advertises no validator for the target (nothing to hold it to: no evidence).
    "*" matches whatever the current representation is: an ETag the app gives in a form
    that does not parse (Bottle's unquoted one) still says it has validators."""
    current = _current_tag(ex)
    if current is not None:
        return tag_text(current)
    if (request_field(ex, "if-none-match") or "").strip(" \t") == "*":
        return _any_tag(ex)
    return None


def _any_tag(ex: Exchange) -> str | None:
    """The ETag field the app gives the target, as sent, parsed or not (read where
    :func:`_current_tag` reads it)."""
    for source in _tag_sources(ex):
        if source is not None and (raw := app_field(source, "etag")) is not None:
            return raw
    return None


#: How near the origin's clock a 304's Last-Modified is taken as stamped "now".
_STAMPED_NOW = timedelta(seconds=2)


class _SinceDates(NamedTuple):
    """What APP-IF-MODIFIED-SINCE compares: the request's date, the origin's clock, the
    answer's own Last-Modified and the GET's (looked for only where it is needed: the
    history costs)."""

    since: datetime
    now: datetime
    own: datetime | None
    steady: datetime | None


def _since_dates(ex: Exchange) -> _SinceDates | None:
    """The dates to judge, or None where there is nothing to judge: a date that is not
    one (§13.1.3: a recipient ignores it), one in the origin's future, no Last-Modified.
    The origin's clock is the response's Date, or, where none can be read (the validator
    sees the app's fields, and the server adds Date after it), the clock now, as the
    exchange is judged at its end."""
    value = request_field(ex, "if-modified-since")
    # A value in none of the three forms (a zone offset, sent back from the app's own
    # Last-Modified) is one the app MUST ignore (§13.1.3): no 304 is due to it.
    since = http_date(value) if value is not None and is_http_date(value) else None
    if since is None:
        return None
    now = http_date(ex.response.header("date")) or datetime.now(timezone.utc)
    if since > now:
        return None
    own = http_date(app_field(ex, "last-modified"))
    steady = None
    if (app_status(ex) == 304 or own is None) and (get := counterpart(ex, plain=True)) is not None:
        steady = http_date(app_field(get, "last-modified"))
    if own is None and steady is None:
        return None
    return _SinceDates(since, now, own, steady)


def _since_case(ex: Exchange) -> bool:
    return (
        ex.method in ("GET", "HEAD")
        and request_field(ex, "if-modified-since") is not None
        and request_field(ex, "if-none-match") is None
        and (_successful(ex) or (answered(ex) and app_status(ex) == 304))
        and _since_dates(ex) is not None
    )


@rule(
    "APP-IF-MODIFIED-SINCE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.3",
    summary="a GET or HEAD whose If-Modified-Since is at or after the target's Last-Modified "
    "gets 304, not a 2xx; one before it gets no 304",
    pep=ORIGIN,
    source="RFC 9110 §13.1.3",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    applies=_since_case,
    example="""
bad:  If-Modified-Since equal to the Last-Modified the app sent -> 200 and the whole body
      (or: any If-Modified-Since -> 304, a day before the Last-Modified too)
fix:  answer 304 when Last-Modified <= If-Modified-Since, and only then""",
)
def if_modified_since(self: Rule, ex: Exchange) -> Iterator[Finding]:
    dates = _since_dates(ex)
    if dates is None:
        return
    since, now, own, steady = dates
    if app_status(ex) == 304:
        # §13.1.3: the condition is false (304) only when the representation was not
        # modified after the date; a 304 to an earlier date tells a cache to keep a copy
        # older than the Last-Modified the app gives (httpbin's /cache answers any date so).
        # Its own date, but one stamped "now" on every answer (a middleware's) moves on
        # between the GET and the 304 when the representation did not: the earlier of the
        # two then. A date well before now is the representation's (it may have changed).
        modified = own
        if steady is not None and (own is None or abs(now - own) <= _STAMPED_NOW):
            modified = steady if own is None else min(own, steady)
        if modified is not None and modified > since:
            told = date_as_sent(ex, "if-modified-since")
            yield self.finding(
                ex,
                f"the app answered 304 to If-Modified-Since {told}, before its Last-Modified "
                f"{imf_fixdate(modified)}: the representation was modified "
                "since, so the answer is the whole of it (200)",
            )
        return
    modified = own or steady
    if modified is None or modified > since:
        return
    yield self.finding(
        ex,
        f"Last-Modified {imf_fixdate(modified)} is not after If-Modified-Since "
        f"{date_as_sent(ex, 'if-modified-since')}; the app {answered_with(ex, app_status(ex))} "
        "instead of 304" + range_first(ex),
    )
