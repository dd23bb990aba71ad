"""The questions a client asks after an answer: HEAD beside a GET, the GET again with what
it taught (its ETag, its Last-Modified) as every precondition, with gzip accepted, asking
for another media type and language, a byte range with and without If-Range, and plain;
and after a redirect or a client error, the GET again with conditions it must ignore.

A 200 to GET teaches validators; real clients then revalidate, compress and ask for
ranges, and that is where apps and middleware stacks break (a 304 that carries a gzip body,
a HEAD that describes another representation). :func:`follow_ups` builds those requests;
:func:`send_follow_ups` sends them and returns their exchanges linked after the GET, so
the rules over pairs (:mod:`wsgicheck.rules.http_pairs`) judge each beside it;
:func:`ask_about` does the whole sequence through a :class:`~wsgicheck.drivers.client.Client`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeAlias

from ..drivers.client import Client
from ..model.grammar import decimal
from ..model.learned import made, moved
from ..model.request import Framing, From, InvalidRequest, LearnedField, Request
from ..model.response import Response
from ..rules import Exchange
from ..rules.engine import HISTORY
from ..rules.http_evidence import (
    CONDITIONS_AND_RANGE,
    app_status,
    carries_conditions,
    comes_before_conditions,
    entity_tags,
)
from .vocabulary import HTTP_DATES

__all__ = ["Elsewhere", "FollowUps", "ask_about", "follow_ups", "plain_get", "send_follow_ups"]

#: A date long before any representation a run meets (the one RFC 9110 gives as its
#: example): an If-Unmodified-Since that fails wherever the target gives a Last-Modified.
_LONG_AGO = HTTP_DATES[0]
#: What other targets of the app taught: an ETag and a Last-Modified, either None.
Elsewhere: TypeAlias = tuple[str | None, str | None]
#: A field's value: text; or what it is made of, validators of the answer to the GET
#: (:class:`~wsgicheck.model.request.From`) and text, so that a replay makes it again from
#: its own answer (:mod:`wsgicheck.model.learned`); text alone there: another target taught it.
Value: TypeAlias = str | tuple[str | From, ...]
#: The follow-ups to send, each a method and the fields to set.
Wanted: TypeAlias = list[tuple[str, tuple[tuple[str, Value], ...]]]


def follow_ups(
    request: Request,
    response: Response,
    keep: frozenset[str] = frozenset(),
    *,
    choices: bool = True,
    elsewhere: Elsewhere = (None, None),
) -> list[Request]:
    """The requests that follow a 200 to ``request`` (a GET), in the order to send them:
    HEAD to the same target; the GET with If-None-Match set to the ETag and with
    If-Modified-Since set to the Last-Modified it got; If-None-Match ``*`` and as a list;
    a HEAD with the first of those conditions;
    the GET again, which the rules over pairs need to tell an app's HEAD from an app that
    varies; a stale If-None-Match beside the Last-Modified (:func:`_stale_beside_date`);
    when the GET did not send ``Accept-Encoding``, a GET and a HEAD with
    ``Accept-Encoding: gzip``, the first of those conditions with it, the gzip GET
    again, and a GET with ``gzip;q=0``; twice each, a GET asking for another media type
    and for another language (:func:`_other_choices`), then the GET once more; If-Match
    and If-Unmodified-Since (:func:`_preconditions`); an OPTIONS and a TRACE plain and with
    preconditions (:func:`_ignored_by_method`; the plain TRACE alone where the GET got no
    validator); and
    ``Range: bytes=0-0`` when the answer said ``Accept-Ranges: bytes`` or carried a
    validator (:func:`_may_ask_ranges`), then with If-Range (:func:`_if_ranges`), then
    with the preconditions a range must not skip (:func:`_beside_range`),
    then ranges it cannot satisfy (:func:`_unsatisfiable`), one whose last-pos is past the
    end (:func:`_past_the_end`), one that ends inside it (:func:`_inside`), ``BYTES=0-0``
    (the unit in capitals), ``items=0-0`` (a
    unit to ignore), ``bytes=0-`` with gzip and deflate accepted, and the GET once more.
    After a redirect or a client error the app gave, :func:`_ignored_conditions` (with
    ``elsewhere``, what other targets taught); after another 2xx (a 204), the GET with
    ``Accept-Encoding: gzip`` when it did not send one.
    None for anything else; a value the app sent that no client could send back is left
    out, and so is a question that would change a field named in ``keep`` (lower-case: the
    fields the user set with ``-H``, which every request carries as given). Without
    ``choices`` the other media type and language, and the questions after an error, are
    not asked: they ask the app, not the server, and a run with both transports asks them
    in memory only."""
    if request.method != "GET":
        return []
    if _another_success(response.status_code) and response.environ is not None:
        # Another success, with no body or not the representation (201, 204): asked once
        # more with gzip accepted, for a compression layer that answers a 204 otherwise
        # when it may code (Paste's gzipper: Content-Length: 0, APP-CL-FORBIDDEN).
        if request.header_values("accept-encoding"):
            return []
        return _built(request, response, [("GET", (("Accept-Encoding", "gzip"),))], keep)
    if response.status_code != 200:
        # (An error the server gave itself, the app never called, is no app's answer.)
        if not choices or response.environ is None:
            return []
        if not comes_before_conditions(response.status_code):
            return []
        own = response.header("etag")
        return _built(request, response, _ignored_conditions(request, own, elsewhere), keep)
    wanted: Wanted = [("HEAD", ())]
    conditions: list[tuple[str, Value]] = [
        (name, (From(learned),))
        for name, learned in (("If-None-Match", "etag"), ("If-Modified-Since", "last-modified"))
        if response.header(learned) is not None
    ]
    wanted += [("GET", (condition,)) for condition in conditions]
    wanted += [("GET", (condition,)) for condition in _if_none_matches(response)]
    # The first of them to HEAD too: RFC 9110 §13.1.2 and §13.1.3 answer a HEAD as a GET.
    wanted += [("HEAD", (conditions[0],))] if conditions else []
    # The GET again: HEAD and 304s are judged against a GET answer the app gives steadily,
    # and a 412 to a condition that holds against a validator the app gives steadily.
    wanted.append(("GET", ()))
    # After it: a 304 without an ETag of its own is judged beside two GETs that agree.
    wanted += [("GET", pair) for pair in _stale_beside_date(response)]
    if not request.header_values("accept-encoding"):
        # gzip accepted: a GET, a HEAD and a revalidation judged beside the gzip GET again,
        # for a compression layer that answers them otherwise (one that skips HEAD, say).
        gzip = ("Accept-Encoding", "gzip")
        wanted += [("GET", (gzip,)), ("HEAD", (gzip,))]
        wanted += [("GET", (conditions[0], gzip))] if conditions else []
        wanted.append(("GET", (gzip,)))
        # gzip refused: a layer that looks for the word alone codes it all the same
        # (prometheus_client, Django's GZipMiddleware: APP-CODING-ACCEPTED).
        wanted.append(("GET", (("Accept-Encoding", "gzip;q=0"),)))
    # Another media type and another language, each asked for twice, then the plain GET
    # again: an app that selects by them (or by gzip) answers the plain GET as before, and
    # APP-VARY-NAMES-FIELD judges there.
    if choices:
        wanted += [("GET", (choice,)) for choice in _other_choices(response) for _ in range(2)]
        wanted.append(("GET", ()))
    wanted += [("GET", (condition,)) for condition in _preconditions(response)]
    wanted += [("GET", pair) for pair in _both_tags(response)]
    wanted += _ignored_by_method(response)
    if _may_ask_ranges(response):
        wanted += [("GET", (("Range", "bytes=0-0"), *extra)) for extra in _if_ranges(response)]
        wanted += [("GET", (("Range", "bytes=0-0"), each)) for each in _beside_range(response)]
        wanted += [("GET", (("Range", each),)) for each in _unsatisfiable(response)]
        wanted += [("GET", (("Range", each),)) for each in _past_the_end(response)]
        wanted += [("GET", (("Range", each),)) for each in _inside(response)]
        # The unit in capitals: range units are case-insensitive (RFC 9110 §14.1), and an
        # app that compares it with "bytes=" refuses it (Bottle 0.13's static_file: 416).
        wanted.append(("GET", (("Range", "BYTES=0-0"),)))
        # A unit it does not know, to be ignored (RFC 9110 §14.2): Bottle's static_file and
        # Werkzeug's make_conditional answer it 416 (APP-RANGE-UNIT-IGNORED).
        wanted.append(("GET", (("Range", "items=0-0"),)))
        if not request.header_values("accept-encoding"):
            # The whole of it as a range, codings accepted: a compression layer that codes
            # a 206 after the app cut it (Flask-Compress with deflate) is past its minimum
            # size here, where bytes=0-0 never is.
            wanted.append(("GET", (("Range", "bytes=0-"), ("Accept-Encoding", "gzip, deflate"))))
        # The GET again: the 206s are judged beside a 200 the app gives steadily
        # (APP-206-KEEPS-FIELDS).
        wanted.append(("GET", ()))
    return _built(request, response, wanted, keep)


def _ignored_by_method(response: Response) -> Wanted:
    """OPTIONS and TRACE, each plain (the answer due) and then with the preconditions RFC
    9110 §13.2.1 has them ignore, as the validators the GET got allow: If-Modified-Since
    the Last-Modified to OPTIONS (Django's static.serve answers any method 304 to it),
    If-None-Match ``*`` to both (Falcon 4.4's static route: 304; CherryPy 18's
    ``tools.etags`` and Django 5.2's ``condition`` decorator: 412), and to TRACE a stale
    If-Match and an If-Unmodified-Since long ago (those two evaluate them for any method:
    412). Where the GET got no validator, the plain TRACE alone: a 405 to it lists the
    methods the target supports, GET among them (APP-405-ALLOW-LISTS-GET; a trial of
    2026-12-08: Tryton's router answers TRACE / with ``Allow: OPTIONS`` under the static
    layer that answers GET /)."""
    tag = response.header("etag") is not None
    modified = response.header("last-modified") is not None
    if not (tag or modified):
        return [("TRACE", ())]
    star = ("If-None-Match", "*")
    options: Wanted = [("OPTIONS", ())]
    options += [("OPTIONS", (("If-Modified-Since", _DATE),))] if modified else []
    options += [("OPTIONS", (star,))] if tag else []
    trace: Wanted = [("TRACE", ())]
    trace += [("TRACE", (star,))] if tag else []
    # (A stale tag is made of one that parses: "*" alone for one that does not.)
    trace += [("TRACE", (("If-Match", _STALE),))] if _learned(response)[0] else []
    trace += [("TRACE", (("If-Unmodified-Since", _LONG_AGO),))] if modified else []
    return options + trace


def _another_success(status: int) -> bool:
    """201 to 205 (a 204): no representation to ask about, but a compression layer to, with
    gzip accepted (see :func:`follow_ups`); a 206 is a range's."""
    return 200 < status < 206


def plain_get(request: Request, keep: frozenset[str] = frozenset()) -> Request:
    """``request`` as the plain GET a follow-up starts from: no body, and without the
    fields a follow-up sets itself (conditions and Range), but those named in ``keep``
    (the user's)."""
    dropped = CONDITIONS_AND_RANGE - keep
    fields = tuple(item for item in request.headers if item[0].lower() not in dropped)
    return request.replace(
        method="GET", headers=fields, body=b"", framing=Framing.NONE, chunk_sizes=(), learned=()
    )


def _built(
    request: Request, response: Response, wanted: Wanted, keep: frozenset[str]
) -> list[Request]:
    """The ``wanted`` (method, fields) as requests: ``request`` (a GET) with no body, with
    its conditions and Range dropped and the fields added (made from ``response``, the
    answer to it, and recorded as learned), but none that would change a field named in
    ``keep``, and none that is no valid request."""
    base = plain_get(request, keep)
    out = []
    for method, extra in wanted:
        names = {name.lower() for name, _ in extra}
        if names & keep:
            continue
        kept = tuple(item for item in base.headers if item[0].lower() not in names)
        sent, learned = [], []
        for name, value in extra:
            text = value if isinstance(value, str) else made(value, response.header)
            if text is None:
                break  # a date a day past the last the calendar has, say
            sent.append((name, text))
            if not isinstance(value, str):
                taught = any(isinstance(part, From) for part in value)
                teacher = request if taught else None
                learned.append(LearnedField(name=name, value=text, teacher=teacher, parts=value))
        else:
            try:
                headers = kept + tuple(sent)
                out.append(base.replace(method=method, headers=headers, learned=tuple(learned)))
            except InvalidRequest:
                continue  # an ETag with a CR in it, say: APP-HEADER-VALUE-NO-CONTROL's finding
    return out


def _ignored_conditions(request: Request, own: str | None, elsewhere: Elsewhere) -> Wanted:
    """After a redirect or a client error to a GET (``request``): one precondition each,
    which RFC 9110 §13.2.1 has the app ignore there, between two plain GETs (the rule
    judges at the second, where the app shows it gives the same error before and after
    them; ``request`` is the first, unless it carried conditions): If-None-Match ``*``,
    then the ETag the error itself gave (``own``: a cache that stored the 404 revalidates
    it so) and the one ``elsewhere`` names (an app whose tag is global, as hgweb's is,
    answers them 304 on any path), If-Modified-Since the date ``elsewhere`` names,
    If-Match ``*`` (false where nothing exists: Django's ``condition`` decorator answers
    412 before its view's 404) and an If-Unmodified-Since long ago."""
    tag, modified = elsewhere
    wanted: Wanted = [] if not carries_conditions(request) else [("GET", ())]
    wanted.append(("GET", (("If-None-Match", "*"),)))
    for each in dict.fromkeys((own, tag)):
        if each is not None and each.strip() != "*":
            value: Value = (From("etag"),) if each == own else (each,)
            wanted.append(("GET", (("If-None-Match", value),)))
    if modified is not None:
        wanted.append(("GET", (("If-Modified-Since", (modified,)),)))
    wanted.append(("GET", (("If-Match", "*"),)))
    wanted.append(("GET", (("If-Unmodified-Since", _LONG_AGO),)))
    wanted.append(("GET", ()))
    return wanted


def _may_ask_ranges(response: Response) -> bool:
    """Whether to ask for byte ranges: the answer said ``Accept-Ranges: bytes``, or it did
    not say ``none`` and carries a validator and a body of two bytes or more, as a file's
    answer does. A client may ask
    whatever the answer said (RFC 9110 §14.3), and whitenoise serves ranges without a word
    of it; an app that serves none answers 200, which is always allowed."""
    said = (response.header("accept-ranges") or "").strip().lower()
    if said:
        return said == "bytes"
    validated = response.header("etag") is not None or response.header("last-modified") is not None
    return validated and response.body_size > 1


def _unsatisfiable(response: Response) -> list[str]:
    """Byte ranges no representation of the answer's length satisfies (RFC 9110 §14.1.2):
    one starting at its length, and a suffix of none. A 416 with ``Content-Range: bytes
    */N`` or a 200 answer them; a 206 cannot (a Content-Range from the length to one byte
    before it is no range), and an app that raises on them fails."""
    length = _length(response)
    return [f"bytes={length}-", "bytes=-0"] if length else []


def _length(response: Response) -> int:
    """The length of the answer's representation: its Content-Length, else its body's."""
    length = decimal(response.header("content-length") or "")
    return len(response.body) if length is None else length


def _past_the_end(response: Response) -> list[str]:
    """Byte ranges past the representation's end that it satisfies all the same: from the
    second byte to one past the last, its last-pos read as "the remainder" (RFC 9110
    §14.1.2), as a client that asks for a block at the end of a file sends it; and a suffix
    one byte longer than the representation, which is the whole of it (§14.1.2). An app
    that refuses any last-pos at or past the length (httpbin's ``/range``: 416 to
    ``bytes=1000-2000`` of 1024 bytes), or a suffix longer than it (WebOb 1.8's static
    files: 416 to ``bytes=-951`` of 950), answers 416."""
    length = _length(response)
    return [f"bytes=1-{length}", f"bytes=-{length + 1}"] if length > 1 else []


def _inside(response: Response) -> list[str]:
    """A range that starts at the first byte and ends before the last, two bytes long where
    ``bytes=0-0`` asks one: an app that seeks to the start and never cuts at the end
    (WhiteNoise 5.3, which answers ``bytes=0-0`` 416) sends the rest of the file under
    ``Content-Length: 2``, and only a range with an end inside shows it. Then the last byte
    alone, a suffix-range: an app that reads the suffix-length as a last-pos (Paste 3.10's
    ``FileApp``: ``bytes 0-1``) sends another part (APP-206-RANGE-ASKED). Then two ranges
    with a gap between them, which one part may join but not run past (Paste's ``FileApp``
    sends the whole file: a trial of 2026-12-07)."""
    return ["bytes=0-1", "bytes=-1", "bytes=0-0,2-2"] if _length(response) > 2 else []


def _other_choices(response: Response) -> list[tuple[str, str]]:
    """An Accept for another media type than the answer's (HTML for JSON, else JSON) and
    an Accept-Language for another language (German, else English)."""
    kind = (response.header("content-type") or "").partition(";")[0].strip().lower()
    language = (response.header("content-language") or "").strip().lower()
    return [
        ("Accept", "text/html" if kind == "application/json" else "application/json"),
        ("Accept-Language", "en" if language.startswith("de") else "de"),
    ]


def _learned(response: Response) -> tuple[tuple[bool, str] | None, str | None, str | None]:
    """The response's one entity-tag, its Last-Modified, and a date a day before that."""
    tags = entity_tags(response.header("etag") or "")
    modified = response.header("last-modified")
    return (
        (tags[0] if tags is not None and len(tags) == 1 else None),
        modified,
        None if modified is None else moved(modified, -1),
    )


#: The learned ETag, sent back as it came, and changed (:mod:`wsgicheck.model.learned`).
_TAG, _STALE = (From("etag"),), (From("etag", "stale"),)
#: The learned Last-Modified, and a day before it.
_DATE, _DAY_BEFORE = (From("last-modified"),), (From("last-modified", "day before"),)


def _if_none_matches(response: Response) -> list[tuple[str, Value]]:
    """If-None-Match ``*`` (for any ETag the answer gave, one that does not parse too:
    ``*`` matches whatever the tag), then a list holding a stale tag and the learned one
    with its weakness flipped (the weak comparison matches it)."""
    tag = _learned(response)[0]
    star: list[tuple[str, Value]] = (
        [("If-None-Match", "*")] if response.header("etag") is not None else []
    )
    if tag is None:
        return star
    flipped = From("etag", "strong" if tag[0] else "weak")
    return [*star, ("If-None-Match", (*_STALE, ", ", flipped))]


def _stale_beside_date(response: Response) -> list[tuple[tuple[str, Value], ...]]:
    """If-None-Match with a stale tag beside If-Modified-Since with the learned date: the
    answer is the whole representation, since RFC 9110 §13.1.3 ignores If-Modified-Since
    beside If-None-Match; an app that reads the date first answers 304. Asked of a target
    with no ETag too, where no tag can match (WebOb 1.8's static files answer it 304)."""
    tag, modified, _ = _learned(response)
    if modified is None:
        return []
    # An ETag that is no entity-tag (APP-ETAG-SYNTAX's), or none, gets a stale tag that is
    # one: there is no tag to make it from.
    stale: Value = _STALE if tag is not None else '"wsgicheck-stale"'
    return [(("If-None-Match", stale), ("If-Modified-Since", _DATE))]


#: The obsolete forms of an HTTP-date (:func:`wsgicheck.model.learned.restated`).
_OBSOLETE = ("rfc850", "asctime")


def _preconditions(response: Response) -> list[tuple[str, Value]]:
    """One field each, in this order: If-Match with a stale tag, then with the learned one
    (a 412 shows the app evaluates If-Match; the learned tag, if weak, must then fail too:
    strong comparison), a strong one sent back weak (it must fail: WsgiDAV compares
    weakly), and ``*`` (it holds on a target that has a representation: Werkzeug's
    ``make_conditional`` answers 412); If-Unmodified-Since a day before Last-Modified,
    then equal to it and a day after it (the same way); If-Modified-Since a day before
    Last-Modified (modified since: no 304), then the Last-Modified in the two obsolete
    forms a recipient MUST read as well (RFC 9110 §5.6.7: Quixote's 304 compares the text),
    then no date at all in each date field (``yesterday``, which it MUST ignore, §13.1.3
    and §13.1.4: static3 raises on it)."""
    tag, modified, before = _learned(response)
    out: list[tuple[str, Value]] = []
    if tag is not None:
        out += [("If-Match", _STALE), ("If-Match", _TAG)]
        if not tag[0]:
            out.append(("If-Match", (From("etag", "weak"),)))
    # With either validator: "*" holds wherever the target has a representation (Django
    # 5.2 answers it 412 where there is no ETag, its static.serve's files).
    if tag is not None or modified is not None:
        out.append(("If-Match", "*"))
    if before is not None and modified is not None:
        out += [("If-Unmodified-Since", _DAY_BEFORE), ("If-Unmodified-Since", _DATE)]
        # A day after it holds too (CherryPy 18.10 compares the text: 412).
        out.append(("If-Unmodified-Since", (From("last-modified", "day after"),)))
        out.append(("If-Modified-Since", _DAY_BEFORE))
        out += [("If-Modified-Since", (From("last-modified", form),)) for form in _OBSOLETE]
    if modified is not None:
        # Whatever the Last-Modified says (Paste's is written "-0000", no date to move):
        # no date, which both date conditions MUST ignore (CherryPy answers its 412).
        out += [("If-Modified-Since", "yesterday"), ("If-Unmodified-Since", "yesterday")]
    return out


def _if_ranges(response: Response) -> list[tuple[tuple[str, Value], ...]]:
    """The If-Range fields to send beside a byte range: none (the plain range), then the
    learned strong tag (should give 206), a stale one and the learned one sent back weak
    (both must give 200); without a strong tag, a date a day before Last-Modified and one a
    day after it (both must give 200: only an exact match holds, RFC 9110 §13.1.5, where
    WebOb 1.8 takes any date not before it). A client must not send a weak tag in If-Range
    (§13.1.5), and a weak tag never matches strongly: Werkzeug 3.1 serves the range on it."""
    tag, _, before = _learned(response)
    out: list[tuple[tuple[str, Value], ...]] = [()]
    if tag is not None and not tag[0]:
        out += [
            (("If-Range", (From("etag", "strong"),)),),
            (("If-Range", _STALE),),
            (("If-Range", (From("etag", "weak"),)),),
        ]
    elif before is not None:
        after = (From("last-modified", "day after"),)
        out += [(("If-Range", _DAY_BEFORE),), (("If-Range", after),)]
    return out


def _beside_range(response: Response) -> list[tuple[str, Value]]:
    """The preconditions to send beside a byte range: If-None-Match with the learned tag
    (must give 304, not 206), If-Match with a stale one (must give 412) and
    If-Modified-Since with the learned date (304 again). RFC 9110 §13.2.2 evaluates them
    before the range; an app that serves the range first (Werkzeug's ``make_conditional``
    does) answers 206 to all three."""
    tag, modified, _ = _learned(response)
    out: list[tuple[str, Value]] = []
    if tag is not None:
        out += [("If-None-Match", _TAG), ("If-Match", _STALE)]
    if modified is not None:
        out.append(("If-Modified-Since", _DATE))
    return out


def _both_tags(response: Response) -> list[tuple[tuple[str, Value], ...]]:
    """If-Match and If-None-Match both with the learned strong tag: If-Match holds, then
    If-None-Match fails, so a GET gets 304 (RFC 9110 §13.2.2, steps 1 and 3). Werkzeug's
    ``is_resource_modified`` lets If-Match decide alone and answers 200."""
    tag = _learned(response)[0]
    if tag is None or tag[0]:
        return []  # none, or weak: If-Match compares strongly, fails, and 412 is due
    return [(("If-Match", _TAG), ("If-None-Match", _TAG))]


def send_follow_ups(
    send: Callable[[Request], Response],
    first: Exchange,
    *,
    source: str = "memory",
    keep: frozenset[str] = frozenset(),
    choices: bool = True,
    elsewhere: Elsewhere = (None, None),
) -> list[Exchange]:
    """Send the :func:`follow_ups` of ``first`` with ``send`` (one transport's exchange);
    their exchanges, each with ``first`` and the follow-ups before it as ``history``."""
    linked = [first]
    questions = follow_ups(
        first.request, first.response, keep, choices=choices, elsewhere=elsewhere
    )
    for request in questions:
        later = Exchange(send(request), source=source)
        later.history = tuple(linked[-HISTORY:])
        linked.append(later)
        if later.timed_out:
            break  # an app that hangs here would hang on every other one too
    return linked[1:]


def ask_about(
    client: Client,
    target: str = "/",
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> list[Exchange]:
    """GET ``target`` through ``client``, then its follow-ups: every exchange, linked, for
    :func:`wsgicheck.rules.check_exchange` to judge one by one."""
    first = Exchange(client.request("GET", target, headers=headers))
    return [first, *send_follow_ups(client.send, first)]


class FollowUps:
    """Which GETs of a run get follow-ups, so the questions cost a run a bounded number of
    exchanges: the first answered 200 (or another 2xx, a 204) to each target, up to
    ``limit`` targets; and the
    first the app answered a redirect or a client error on each path, up to ``errors``
    paths, of which only the first of each status unless the path is one the run knows or
    lies under one (a path the user named or discovery found: an app's own 404 for a
    missing item is not its router's for a path it has no view for)."""

    def __init__(self, limit: int = 64, errors: int = 8) -> None:
        self.limit = limit
        self.errors = errors
        self._asked: set[str] = set()
        self._others_asked: set[str] = set()
        self._errors_asked: set[str] = set()
        self._error_statuses: set[int] = set()

    def wants(self, first: Exchange, *, known: bool = False) -> bool:
        """Whether to follow ``first`` up (and, if so, remember its target as asked);
        ``known``: its path is one of the run's paths, or under one."""
        target = first.request.target
        if first.method != "GET" or first.timed_out:
            return False
        status = first.response.status_code
        if status == 200 or _another_success(status):
            # Another 2xx (a 204) is asked one question, which leaves a 200 to the same
            # target later its own: each is counted apart.
            asked = self._asked if status == 200 else self._others_asked
            if (
                "limit" in first.evidence  # a body cut off at the limit: nothing to compare
                or target in asked
                or len(asked) >= self.limit
            ):
                return False
            asked.add(target)
            return True
        code, path = app_status(first), first.request.path  # the app's own answer
        if (
            code is None
            or not comes_before_conditions(code)
            or path in self._errors_asked
            or len(self._errors_asked) >= self.errors
            or (code in self._error_statuses and not known)
        ):
            return False
        self._errors_asked.add(path)
        self._error_statuses.add(code)
        return True
