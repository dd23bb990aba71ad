"""HTTP rules on the preconditions that guard a method: If-Match, If-Unmodified-Since and
If-Range (RFC 9110 §13.1.1, §13.1.4, §13.1.5), and a 304 to an If-None-Match that does not
match (§13.1.2, §13.1.3), judged beside what the app gave the target.

Each condition is judged against the validator the app advertised for the target (in the
response itself, else in the plain GET before it: :func:`~.http_pairs.counterpart`), and
only as far as RFC 9110 §13.2.2 lets it decide the answer: If-Match first, If-Unmodified-
Since only without If-Match, If-Range last and only with Range on a GET.

RFC 9110 asks every origin server to evaluate If-Match and If-Unmodified-Since; many real
ones do not (Werkzeug ignores If-Unmodified-Since, WhiteNoise both), and for a GET the
harm is small. A finding here is for an app that does evaluate the condition and gets it
wrong, so a 2xx to a condition that fails is judged only where the app answered 412 to the
same condition on the same target elsewhere in the sequence; a 412 to a condition that
holds is judged where the plain GET got a 2xx and the validator is steady (the 412 gives
it, or two plain GETs before it agree: :func:`steady`). State-changing methods are not judged:
the RFC lets a 2xx answer a failed condition when the change "appears to have already been
applied", which no outside observer can tell. For If-Range the 206 (or 416) itself shows
the app processes ranges, and an origin that does MUST evaluate If-Range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from ..model.events import AppRaised
from ..model.grammar import (
    PRECONDITIONS_IGNORED,
    SAFE_METHODS,
    imf_fixdate,
    is_http_date,
    obs_date_re,
)
from ..model.request import Framing
from ..model.untrusted import show
from .app_trap import own_errors, told
from .exchange import Exchange
from .http_evidence import (
    CONDITIONAL_FIELDS,
    CONDITIONS_AND_RANGE,
    PRECONDITIONS,
    answered_with,
    app_field,
    app_status,
    carries_conditions,
    coded_note,
    comes_before_conditions,
    content_coding,
    date_as_sent,
    entity_tags,
    history_bears_on,
    http_date,
    last_plain_gets,
    plain_gets,
    read_date,
    request_field,
    request_fields,
    request_key,
    settled,
    strong_match,
    tag_text,
    weak_match,
)
from .http_pairs import (
    REFUSALS,
    SECTION,
    answered,
    counterpart,
    current_tag,
    if_match_holds,
    none_match_refused,
    of_target,
    plain_get,
    range_first,
    refused_for,
)
from .registry import ORIGIN, Binding, Finding, Level, Rule, a_method, quoted, rule

SAFE = ("GET", "HEAD")


def current_modified(ex: Exchange) -> datetime | None:
    """The Last-Modified the app gives the target: in this response, else in the plain GET."""
    return of_target(ex, lambda source: http_date(app_field(source, "last-modified")))


def _successful(code: int | None) -> bool:
    return code is not None and 200 <= code < 300


def steady(ex: Exchange, name: str) -> bool:
    """Whether validator ``name`` is known to be the app's current one: this response
    gives it, or the last two plain GETs of the target gave the same. An app whose
    validator changes with every answer (a page with a fresh token in it) rightly refuses
    the one it gave a moment ago, and is not judged on it."""
    if app_field(ex, name) is not None:
        return True
    plain = [
        app_field(each, name)
        for each in plain_gets(ex)
        if each.app_finished and _successful(app_status(each))
    ]
    return len(plain) >= 2 and plain[0] == plain[1]


def _settled_etag(ex: Exchange) -> str | None:
    """The ETag the last two plain GETs of the target gave alike, both answered 2xx in full
    since the last unsafe request: the target's, whatever a later 304 says."""
    return settled(ex, lambda each: app_field(each, "etag"), _successful, body=False)


def evaluates(ex: Exchange, field: str, unless: str | None = None) -> bool:
    """Whether the app showed it evaluates ``field`` on this target: it answered 412 to a
    request carrying it (and not ``unless``), this one or an earlier one."""
    key = request_key(ex, CONDITIONS_AND_RANGE)
    return any(
        app_status(each) == 412
        and request_field(each, field) is not None
        and (unless is None or request_field(each, unless) is None)
        and request_key(each, CONDITIONS_AND_RANGE) == key
        for each in (*ex.history, ex)
    )


def _if_match_verdict(ex: Exchange) -> str | None:
    """APP-IF-MATCH's verdict: the finding's message, "" where the app did right, None
    where there is nothing to judge (the If-Match cannot be evaluated; a 412 to one that
    holds with no steady tag to hold it to; a 2xx to one that fails from an app never
    seen to evaluate If-Match on the target; any other status)."""
    held = if_match_holds(ex)
    if held is None:
        return None
    holds, why = held
    code = app_status(ex)
    value = show(request_field(ex, "if-match"))
    star = request_field(ex, "if-match") == "*"
    if holds:
        if _successful(code):
            return ""
        # Refused though it holds (a 412; Kinto 26.5's 400 to a list: a trial of
        # 2026-12-07), where nothing else in the request may be the cause, no unsafe
        # request came since the plain GET, and the tag it holds against is steady.
        if refused_for(ex, "if-match", "if-unmodified-since") and (star or steady(ex, "etag")):
            return f"If-Match {value} holds ({why}); the app {answered_with(ex, code)}"
        return None
    if code == 412:
        return ""
    if not evaluates(ex, "if-match"):
        return None
    told = f"If-Match {value} fails ({why}); the app, which answers 412 to a failing If-Match "
    if _successful(code):
        return f"{told}on this target, {answered_with(ex, code)}" + range_first(ex)
    if refused_for(ex, "if-match", "if-unmodified-since"):  # a 400 or 422 (Kinto's to a weak tag)
        return f"{told}on this target, {answered_with(ex, code)} instead of 412"
    return None


@rule(
    "APP-IF-MATCH",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.1, §13.2.2",
    summary="an app that evaluates If-Match answers a GET or HEAD whose If-Match fails "
    "(strong comparison) with 412, and does not refuse one that holds (or is * on an "
    "existing target)",
    pep=ORIGIN,
    source="RFC 9110 §13.1.1, §13.2.2",
    covers=(),
    needs=(),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: (
        ex.method in SAFE
        and request_field(ex, "if-match") is not None
        and answered(ex)
        and _if_match_verdict(ex) is not None
    ),
    example="""
bad:  If-Match: W/"v1" (the tag the app gave) -> 200; weak tags never match strongly
fix:  compare strongly; answer 412 Precondition Failed when no listed tag matches""",
)
def if_match(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if message := _if_match_verdict(ex):
        yield self.finding(ex, message)


def _if_unmodified_since_verdict(ex: Exchange) -> str | None:
    """APP-IF-UNMODIFIED-SINCE's verdict, as :func:`_if_match_verdict` gives one: None
    where there is nothing to judge (§13.1.4: the field is ignored when it is no HTTP-date
    or the target has no modification date; a 412 with no steady date to hold it to; a
    2xx to one that fails from an app never seen to evaluate it; any other status)."""
    since = http_date(request_field(ex, "if-unmodified-since"))
    modified = current_modified(ex)
    if since is None or modified is None:
        return None
    code = app_status(ex)
    stamp = f"Last-Modified {imf_fixdate(modified)}"
    if modified <= since and code == 412:
        if plain_get(ex) is None or not steady(ex, "last-modified"):
            return None
        return (
            f"{stamp} is not after If-Unmodified-Since "
            f"{date_as_sent(ex, 'if-unmodified-since')}, so it holds; the app answered 412"
        )
    if modified <= since:
        return "" if _successful(code) else None
    if code == 412:
        return ""
    if not _successful(code) or not evaluates(ex, "if-unmodified-since", unless="if-match"):
        return None
    return (
        f"{stamp} is after If-Unmodified-Since {date_as_sent(ex, 'if-unmodified-since')}, so "
        "it fails; the app, which answers 412 "
        f"to a failing one on this target, {answered_with(ex, code)}" + range_first(ex)
    )


@rule(
    "APP-IF-UNMODIFIED-SINCE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.4, §13.2.2",
    summary="an app that evaluates If-Unmodified-Since answers a GET or HEAD without "
    "If-Match whose date is before the target's Last-Modified with 412, and does not refuse "
    "one at or after it",
    pep=ORIGIN,
    source="RFC 9110 §13.1.4, §13.2.2",
    covers=(),
    needs=(),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: (
        ex.method in SAFE
        and request_field(ex, "if-unmodified-since") is not None
        and request_field(ex, "if-match") is None  # §13.1.4: If-Match takes its place
        and answered(ex)
        and _if_unmodified_since_verdict(ex) is not None
    ),
    example="""
bad:  if last_modified >= since: return precondition_failed()   # equal dates hold
fix:  fail only when Last-Modified is after If-Unmodified-Since""",
)
def if_unmodified_since(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if message := _if_unmodified_since_verdict(ex):
        yield self.finding(ex, message)


def _none_match_miss(ex: Exchange) -> str | None:
    """APP-IF-NONE-MATCH-MISS's verdict on a 304: the finding's message, "" where a listed
    tag matches (the 304 is right), None where there is nothing to hold the list to ("*",
    a value that lists no entity-tag, no steady ETag, or one sent twice: APP-SINGLE-FIELDS's)."""
    value = request_field(ex, "if-none-match") or ""
    listed = entity_tags(value)
    # The target's ETag as sent: this response's, else (not for a HEAD, as
    # APP-IF-NONE-MATCH has it: an ETag may be known only from the content) the plain GET's.
    # A 304 to a GET whose ETag is not the one the plain GETs settled on is no evidence of
    # the target's: Roundup 2.6 matches a stale tag by its prefix and sends it back.
    # One plain GET that gave another tag leaves it open which is the target's.
    raw = own = app_field(ex, "etag")
    if ex.method == "GET":
        latest = plain_get(ex)
        plain = app_field(latest, "etag") if latest is not None else None
        raw = _settled_etag(ex) or own or plain
        if raw == own and plain not in (None, own):
            return None
    told = f" (its 304 says {show(own)})" if own is not None and own != raw else ""
    if raw is None and listed and _untagged(ex):
        return (
            f"If-None-Match {show(value)} lists tags, and the target has none for them to "
            f"match (the plain GETs before it carried no ETag), yet the app answered 304"
            f"{_ignored_since(ex)}: a client holding another copy is told to keep it"
        )
    if listed is None or raw is None or not steady(ex, "etag"):
        return None
    tags = entity_tags(raw)
    if tags is not None:
        if len(tags) != 1:
            return None
        if any(weak_match(tag, tags[0]) for tag in listed):
            return ""
        shown = tag_text(tags[0])
    else:
        # An ETag that is no entity-tag (APP-ETAG-SYNTAX's): its text, bare, against each
        # listed opaque-tag's, as a client that quoted it would send it.
        bare = raw.removeprefix("W/").strip('"')
        if any(tag[1][1:-1] == bare for tag in listed):
            return ""
        shown = raw
    return (
        f"If-None-Match {show(value)} lists no tag matching the target's ETag {show(shown)}"
        f"{told}, yet the app answered 304{_ignored_since(ex)}{_if_match_aside(ex)}: a client "
        "holding the stale copy is told to keep it"
    )


def _none_match_refused(ex: Exchange) -> str | None:
    """APP-IF-NONE-MATCH-MISS's verdict on a refusal (:func:`none_match_refused`): the
    message where no listed tag matches the target's settled ETag, or the target has none,
    so the field is true (RFC 9110 §13.1.2) and the request is answered as without it;
    None otherwise ("*", a value that lists no entity-tag, a tag that matches, which is
    APP-IF-NONE-MATCH's, an ETag the plain GETs did not settle on). Kinto 26.5 answers a
    stale tag, or a list, with 400 (a trial of 2026-12-07)."""
    value = request_field(ex, "if-none-match") or ""
    listed = entity_tags(value)
    if not listed:
        return None
    settled_tag = _settled_etag(ex)
    if settled_tag is None:
        if not _untagged(ex):
            return None
        why = "the target has no ETag for them to match (the plain GETs before it carried none)"
    else:
        tags = entity_tags(settled_tag)
        if tags is None or len(tags) != 1 or any(weak_match(tag, tags[0]) for tag in listed):
            return None
        why = f"none matches the target's ETag {show(tag_text(tags[0]))}"
    return (
        f"If-None-Match {show(value)} lists tags, and {why}: the condition is true (RFC 9110 "
        f"§13.1.2), and the request is answered as without it, which got a 2xx; the app "
        f"{answered_with(ex, app_status(ex))}"
    )


def _untagged(ex: Exchange) -> bool:
    """Whether the GET ``ex`` (a 304 with no ETag) asks of a target that has no entity-tag:
    the last two plain GETs of its request got a 200 with none, and no answer on the target
    before it gave one, so no listed tag can match (RFC 9110 §13.1.2: If-None-Match is then
    true)."""
    if ex.method != "GET":
        return False
    untagged = settled(
        ex, lambda each: app_field(each, "etag") is None, lambda code: code == 200, body=False
    )
    if untagged is not True:
        return False
    # Nor any other answer on the target (a HEAD, a 304) gave one: an app may tag those
    # alone, and a client may list that tag.
    target = ex.request.target
    return not any(
        each.request.target == target and app_field(each, "etag") is not None for each in ex.history
    )


def _ignored_since(ex: Exchange) -> str:
    """What a 304 to an If-None-Match that holds shows of its If-Modified-Since: that the
    date alone would have given the 304, where it would (it is to be ignored there)."""
    since = request_field(ex, "if-modified-since")
    date = read_date(since)
    modified = of_target(ex, lambda source: read_date(app_field(source, "last-modified")))
    if date is None or modified is None or modified > date:
        return ""
    return (
        f"; its If-Modified-Since {show(since)}, which alone would give 304, is ignored "
        "beside If-None-Match (§13.1.3)"
    )


def _if_match_aside(ex: Exchange) -> str:
    """What a 304 to an If-None-Match that holds shows of an If-Match beside it: none comes
    of it (a trial of 2026-12-08: Werkzeug answered ``If-Match: *`` with ``If-None-Match:
    ""`` 304, and the message named the If-None-Match alone)."""
    value = request_field(ex, "if-match")
    if value is None:
        return ""
    return (
        f"; its If-Match {show(value)}, evaluated first, gives no 304 either: a 304 comes of "
        "If-None-Match or If-Modified-Since alone (§13.2.2)"
    )


@rule(
    "APP-IF-NONE-MATCH-MISS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.2, §13.1.3, §13.2.2",
    summary="a GET or HEAD whose If-None-Match lists no tag matching the target's ETag gets "
    "no 304, whatever its If-Modified-Since says, and is not refused (400, 412, 422) where "
    "the request gets a 2xx without it",
    pep=ORIGIN,
    source="RFC 9110 §13.1.2, §13.1.3, §13.2.2",
    covers=(),
    needs=(),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: (
        ex.method in SAFE
        and request_field(ex, "if-none-match") is not None
        and answered(ex)
        and _none_match_verdict(ex) is not None
    ),
    example="""
bad:  if since >= last_modified: return not_modified()   # before If-None-Match is read
fix:  with If-None-Match present, compare entity-tags only: If-Modified-Since is ignored""",
)
def if_none_match_miss(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if message := _none_match_verdict(ex):
        yield self.finding(ex, message)


def _none_match_verdict(ex: Exchange) -> str | None:
    """APP-IF-NONE-MATCH-MISS's verdict on a 304 (:func:`_none_match_miss`) or a refusal
    (:func:`_none_match_refused`); None on any other answer."""
    if app_status(ex) == 304:
        return _none_match_miss(ex)
    return _none_match_refused(ex) if none_match_refused(ex) else None


def _ranged(ex: Exchange) -> bool:
    return (
        ex.method == "GET"
        and request_field(ex, "range") is not None
        and request_field(ex, "if-range") is not None
        and answered(ex)
    )


def _if_range_verdict(ex: Exchange) -> str | None:
    """Why the request's If-Range fails against the validator the app gives the target
    (RFC 9110 §13.1.5: an entity-tag must match strongly, a date exactly), "" when it
    holds, or None when that cannot be told: no validator to compare, several tags, a
    value that is neither, or a date equal to Last-Modified (it holds only if the origin
    deems the date strong)."""
    value = request_field(ex, "if-range") or ""
    tags = entity_tags(value)
    if tags is not None:
        current = current_tag(ex)
        if len(tags) != 1 or current is None:
            return None
        if strong_match(tags[0], current):
            return ""
        why = f"If-Range {show(value)} is no strong match for the ETag {show(tag_text(current))}"
        if tags[0][0] and tags[0][1] == current[1]:
            why += " (a weak tag never is: a client must not send one there, §13.1.5)"
        return why
    date, modified = http_date(value), current_modified(ex)
    if date is None or modified is None or date == modified:
        return None
    return f"If-Range {show(value)} is not the target's Last-Modified"


@rule(
    "APP-IF-RANGE",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.5, §13.2.2",
    summary="a Range request whose If-Range does not match the target's validator gets the "
    "full representation (200), not 206 or 416",
    pep=ORIGIN,
    source="RFC 9110 §13.1.5, §13.2.2",
    covers=(),
    needs=(),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: (
        _ranged(ex) and app_status(ex) in (206, 416) and _if_range_verdict(ex) is not None
    ),
    example="""
bad:  Range: bytes=100- with If-Range: "v1" -> 206 of "v2": the client splices in new bytes
fix:  when If-Range does not match, ignore Range and send 200 with the whole content""",
)
def if_range(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if why := _if_range_verdict(ex):
        yield self.finding(
            ex,
            f"{why}; the app answered {app_status(ex)} to the Range instead of ignoring it "
            "and sending the whole representation"
            + (coded_note(ex, _CODED_TAG) if _tag_given_uncoded(ex) else ""),
        )


#: Why a coded 206 does not match the If-Range it answers, when the If-Range is the tag of
#: the uncoded representation (Flask-Compress 1.25).
_CODED_TAG = (
    "a compression layer that codes the range after the app checked If-Range, and gives the "
    "coded content another ETag, as Flask-Compress does, answers this way"
)


def _tag_given_uncoded(ex: Exchange) -> bool:
    """Whether the If-Range's one tag is the strong ETag an earlier GET of the target got
    with no content coding: the app's own check then held, and a coding after it changed
    the tag. A tag the app never gave (CherryPy 18, which reads no If-Range, answers a stale
    one with a coded 206 too) leaves the coding blameless, and the note unsaid."""
    tags = entity_tags(request_field(ex, "if-range") or "")
    if tags is None or len(tags) != 1:
        return False
    for earlier in ex.history:
        if (
            earlier.method == "GET"
            and earlier.request.target == ex.request.target
            and _successful(app_status(earlier))
            and content_coding(earlier) == "identity"
        ):
            given = entity_tags(app_field(earlier, "etag") or "")
            if given is not None and len(given) == 1 and strong_match(tags[0], given[0]):
                return True
    return False


def _matching_case(ex: Exchange) -> Exchange | None:
    """For a ranged GET with If-Range answered 200: the same request without If-Range
    answered 206 before it, when no other condition could explain the 200."""
    if not _ranged(ex) or not _successful(app_status(ex)) or app_status(ex) == 206:
        return None
    if any(request_field(ex, name) for name in CONDITIONAL_FIELDS - {"if-range"}):
        return None
    earlier = counterpart(ex, "GET", frozenset({"if-range"}), plain=True)
    return earlier if earlier is not None and app_status(earlier) == 206 else None


def _matching_tags(
    ex: Exchange,
) -> tuple[tuple[bool, str], tuple[bool, str], tuple[bool, str]] | None:
    """For :func:`_matching_case`'s 200: the If-Range's one tag, the 206's ETag and this
    answer's own (the 206's where it gives none); None where there is no tag to compare (a
    date, several tags, an answer without an ETag)."""
    ranged = _matching_case(ex)
    if ranged is None:
        return None
    tags = entity_tags(request_field(ex, "if-range") or "")
    given = entity_tags(app_field(ranged, "etag") or "")
    own_field = app_field(ex, "etag")
    own = entity_tags(own_field) if own_field is not None else given
    if not tags or not given or not own or len(tags) != 1:
        return None
    return tags[0], given[0], own[0]


@rule(
    "APP-IF-RANGE-MATCH",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.5",
    summary="a Range request whose If-Range strongly matches the target's ETag gets the 206 "
    "the same Range gets without If-Range",
    pep=ORIGIN,
    source="RFC 9110 §13.1.5",
    covers=(),
    needs=(),
    memo="exchange",
    sequence=history_bears_on,
    applies=lambda ex: _matching_tags(ex) is not None,
    example="""
bad:  if "HTTP_IF_RANGE" in environ: send the whole file   # even when the tag matches
fix:  compare the If-Range tag strongly with the ETag; when it matches, honour Range""",
)
def if_range_match(self: Rule, ex: Exchange) -> Iterator[Finding]:
    found = _matching_tags(ex)
    assert found is not None
    tag, given, own = found
    if strong_match(tag, given) and strong_match(tag, own):
        yield self.finding(
            ex,
            f"If-Range {show(tag_text(tag))} strongly matches the target's ETag; the same "
            f"Range without it got 206; the app {answered_with(ex, app_status(ex))}",
        )


def _bracketed(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    """For a plain GET ``ex`` (no condition, no Range) answered a redirect or a client error
    (:func:`~.http_evidence.comes_before_conditions`): the plain GET of the same request
    before it that got the same status, and the GETs and HEADs between the two that carry
    a precondition, when there are some and no request of an unsafe method came since the
    first. The error the app gives before and after them is the one it gives steadily: an
    app whose answer changed between (a test that wrote the database, a rate limiter's
    window) gets no verdict. Worked out once per history."""
    facts = ex.sequence_facts
    if "conditions_bracketed" not in facts:
        facts["conditions_bracketed"] = _find_bracketed(ex)
    found: tuple[Exchange, list[Exchange]] | None = facts["conditions_bracketed"]
    return found


def _closes(ex: Exchange) -> bool:
    """Whether ``ex`` may close a bracket: a plain GET the app answered with a redirect or
    a client error."""
    return (
        ex.method == "GET"
        and comes_before_conditions(app_status(ex))
        and answered(ex)
        and not carries_conditions(ex.request)
    )


def _find_bracketed(ex: Exchange) -> tuple[Exchange, list[Exchange]] | None:
    if not _closes(ex):
        return None
    code = app_status(ex)
    key = request_key(ex, frozenset())
    between: list[Exchange] = []
    for earlier in reversed(ex.history):
        if earlier.method not in SAFE_METHODS:
            return None
        if request_key(earlier, CONDITIONS_AND_RANGE) != key:
            continue
        if earlier.method == "GET" and not carries_conditions(earlier.request):
            steady = answered(earlier) and app_status(earlier) == code
            return (earlier, between[::-1]) if steady and between else None
        if (
            earlier.method in SAFE
            and answered(earlier)
            and carries_conditions(earlier.request, PRECONDITIONS)
        ):
            between.append(earlier)
    return None


def _sent(ex: Exchange, names: frozenset[str]) -> list[str]:
    """The request's fields named in ``names`` (lower-case), as sent: ``If-Match: *``."""
    return [
        f"{show(name)}: {show(value)}"
        for name, value in ex.request.headers
        if name.lower() in names
    ]


def _ignored_findings(ex: Exchange) -> list[str]:
    """APP-ERRORS-BEFORE-CONDITIONS's messages: one for each conditional GET or HEAD
    between the two plain GETs of :func:`_bracketed` that got 304 or 412."""
    bracket = _bracketed(ex)
    if bracket is None:
        return []
    code = app_status(ex)
    messages = []
    for each in bracket[1]:
        answer = app_status(each)
        if answer not in (304, 412):
            continue
        fields = "; ".join(_sent(each, PRECONDITIONS))
        said = (
            "a 304 says the answer would have been a 200 but for the condition"
            if answer == 304
            else f"a 412 says a condition failed, where the target answers {code} whatever "
            "the conditions"
        )
        messages.append(
            f"the app answered {answer} to {a_method(each.method)} with {fields}, between two "
            f"GETs of the same request without conditions that got {code}: the conditions are "
            f"to be ignored and the {code} given ({said})"
        )
    return messages


@rule(
    "APP-ERRORS-BEFORE-CONDITIONS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.2.1",
    summary="a GET or HEAD whose conditions would otherwise be answered with a redirect or "
    "a client error gets that answer, not 304 or 412: the conditions are ignored",
    pep=ORIGIN,
    source="RFC 9110 §13.2.1",
    covers=(),
    needs=(),
    memo="exchange",
    # A plain GET answered an error is judged beside its history too (the conditional
    # exchanges before it may have got a 412, which history_bears_on does not look for).
    sequence=lambda ex: history_bears_on(ex) or (bool(ex.history) and _closes(ex)),
    # Judged at the plain GET after the conditional ones, once the app has shown it gives
    # the same error before and after them; the finding names the conditional request.
    applies=lambda ex: _bracketed(ex) is not None,
    example="""
bad:  if environ.get("HTTP_IF_NONE_MATCH") == repo_etag: return not_modified()  # any path
fix:  find the target first (404, redirect, 400); evaluate conditions only on what exists""",
)
def errors_before_conditions(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for message in _ignored_findings(ex):
        yield self.finding(ex, message)


def _unconditional(ex: Exchange) -> bool:
    """A GET or HEAD that carries no precondition at all: its 304 is APP-304-UNCONDITIONAL's
    (RFC 9110 defines what a 304 means, and says no MUST of answering one unasked)."""
    return ex.method in SAFE and not _sent(ex, CONDITIONAL_FIELDS)


def _not_modified_without_cause(ex: Exchange) -> str | None:
    """APP-304-CONDITIONAL's verdict on a 304 to a request with a precondition, or to
    another method: the finding's message when the request is no GET or HEAD, or carries
    neither If-None-Match nor If-Modified-Since; "" otherwise (whether the condition was
    false is the other rules' to judge)."""
    if ex.method in SAFE and any(
        request_field(ex, name) is not None for name in ("if-none-match", "if-modified-since")
    ):
        return ""
    sent = _sent(ex, CONDITIONAL_FIELDS)
    method = a_method(ex.method)
    if ex.method not in SAFE:
        if ex.method in PRECONDITIONS_IGNORED:
            why = f"a server ignores the preconditions of {method} (RFC 9110 §13.2.1)"
            if request_field(ex, "if-modified-since") is not None:
                why += ", and If-Modified-Since on any method but GET and HEAD (§13.1.3)"
        elif request_field(ex, "if-none-match") is not None:
            why = "another method whose precondition fails gets 412 (RFC 9110 §13.2.2)"
        elif request_field(ex, "if-modified-since") is not None:
            why = "another method ignores If-Modified-Since (RFC 9110 §13.1.3)"
        else:
            # (A trial of 2026-12-06 read "it says" as unclear: the 304 is what says so.)
            why = "a 304 tells a client that its stored copy of a GET's answer still serves"
        return (
            f"the app answered 304 to {method} with {'; '.join(sent) or 'no condition'}: "
            f"only a GET or HEAD is answered 304; {why}"
        )
    return (
        f"the app answered 304 to {method} with {'; '.join(sent)} and neither If-None-Match "
        "nor If-Modified-Since: 304 says one of those two evaluated false; a failing If-Match "
        "or If-Unmodified-Since gets 412, and one that holds the 200"
    )


@rule(
    "APP-304-CONDITIONAL",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.2.2, §13.2.1, §13.1.2, §13.1.3, §15.4.5",
    summary="a 304 answers only a GET or HEAD that carries If-None-Match or If-Modified-Since",
    pep=ORIGIN,
    source="RFC 9110 §13.2.2, §13.2.1, §13.1.2, §13.1.3, §15.4.5",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    # A GET or HEAD with no precondition at all is APP-304-UNCONDITIONAL's (a SHOULD).
    applies=lambda ex: app_status(ex) == 304 and answered(ex) and not _unconditional(ex),
    example="""
bad:  if not if_match.is_strong(etag): return not_modified()   # If-Match: * -> 304
fix:  a failing If-Match gets 412; 304 is only for If-None-Match and If-Modified-Since""",
)
def not_modified_conditional(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if message := _not_modified_without_cause(ex):
        yield self.finding(ex, message)


@rule(
    "APP-304-UNCONDITIONAL",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15.4.5",
    summary="a 304 answers a GET or HEAD that carries a precondition",
    pep=ORIGIN,
    source="RFC 9110 §15.4.5",
    implied=True,  # the 304's definition; no keyword
    covers=(),
    needs=("start_response",),
    memo="exchange",
    applies=lambda ex: app_status(ex) == 304 and answered(ex) and ex.method in SAFE,
    example="""
bad:  return not_modified()                       # whatever the request asked
fix:  answer 304 only where If-None-Match or If-Modified-Since evaluated false""",
)
def not_modified_unconditional(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.4.5: a 304 "indicates that a conditional GET or HEAD request has been
    # received" and would have got a 200 but for the condition; a client that asked none
    # holds no copy to reuse, and gets no content. No MUST says so: a SHOULD here.
    if _unconditional(ex):
        yield self.finding(
            ex,
            f"the app answered 304 to {a_method(ex.method)} that carries no condition: a 304 "
            "says an If-None-Match or If-Modified-Since evaluated false, and a client that "
            "sent neither has no stored copy to use in its place",
        )


def _well_formed(name: str, value: str) -> bool:
    """Whether precondition ``name`` (lower-case) holds what its grammar allows: ``*`` or
    entity-tags for If-Match and If-None-Match, an HTTP-date for the date fields, one
    entity-tag or one HTTP-date for If-Range (RFC 9110 §13.1.5: no ``*``, no list). A
    field that breaks its grammar may be refused as a malformed request (a 400) whatever
    the method."""
    text = value.strip(" \t")
    tags = entity_tags(text)
    if name in ("if-match", "if-none-match"):
        return text == "*" or tags is not None
    return is_http_date(text) or (name == "if-range" and tags is not None and len(tags) == 1)


def _due(ex: Exchange) -> Exchange | None:
    """For a CONNECT, OPTIONS or TRACE the app answered that carries preconditions (and no
    Range or WebDAV If, which RFC 4918 §10.4 lets fail for any method): the same request
    without them (method, version, target and other fields; no unsafe request between but
    itself, a CONNECT), answered with a 2xx or an error that comes before preconditions,
    whose answer is the one due once they are ignored; None otherwise. Kept in ``facts``:
    ``applies`` and the check both ask."""
    facts = ex.facts
    if "conditions_ignored_due" not in facts:
        facts["conditions_ignored_due"] = _find_due(ex)
    found: Exchange | None = facts["conditions_ignored_due"]
    return found


def _find_due(ex: Exchange) -> Exchange | None:
    if ex.method not in PRECONDITIONS_IGNORED or not answered(ex):
        return None
    present = [name for name, _ in request_fields(ex) if name in CONDITIONS_AND_RANGE]
    if not present or "range" in present or request_field(ex, "if") is not None:
        return None
    plain = counterpart(ex, ex.method, CONDITIONS_AND_RANGE, plain=True, since_change=True)
    if plain is None or plain.request.http_version != ex.request.http_version:
        return None
    before = app_status(plain) if answered(plain) else None
    # A 2xx, or a redirect or client error that comes before any precondition (a 405 to a
    # TRACE: Django's condition decorator on a class-based view answers it 412 with
    # If-None-Match *); not a 5xx or a 429, which come and go.
    return plain if _successful(before) or comes_before_conditions(before) else None


def _refused_for_conditions(ex: Exchange, due: Exchange) -> bool:
    """Whether ``ex`` got 412 (its conditions evaluated), or 400 or 422 with no content
    and every one well-formed (refused for them: a malformed field may be refused as a
    malformed request, whatever the method), where ``due``, the request without them, got
    another answer."""
    code = app_status(ex)
    if code == app_status(due):
        return False  # the answer without them, whatever it is
    if code == 412:
        return True
    if code not in REFUSALS or _with_content(ex) or _with_content(due):
        return False  # (content the key does not compare may be what was refused)
    present = [item for item in request_fields(ex) if item[0] in CONDITIONAL_FIELDS]
    # (Field lines of one name are one list, RFC 9110 §5.3; two dates are no HTTP-date.)
    return all(_well_formed(name, ", ".join(values)) for name, values in present)


def _with_content(ex: Exchange) -> bool:
    """Whether ``ex``'s request has content: bytes, chunked framing, or under ``validator``
    (which sees the length, not the bytes) a CONTENT_LENGTH, which it reads as none where
    it is 0. ``Content-Length: 0`` is none: a 400 or 422 to a conditional OPTIONS sent so
    was not judged."""
    request = ex.request
    if request.body or request.framing is Framing.CHUNKED:
        return True
    return request.framing is Framing.CONTENT_LENGTH and ex.source == "validator"


@rule(
    "APP-METHOD-IGNORES-CONDITIONS",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.2.1",
    summary="an OPTIONS, TRACE or CONNECT gets the answer it gets without its preconditions "
    "(a 2xx, a 405): not a 412, nor a 400 or 422 for a well-formed one",
    pep=ORIGIN,
    source="RFC 9110 §13.2.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    # An answer that ignored them is judged (and passes) too: "skipped" would say the run
    # never asked. A 304 to one of them is APP-304-CONDITIONAL's, and no pass here.
    applies=lambda ex: _due(ex) is not None and app_status(ex) != 304,
    example="""
bad:  @condition(etag_func=tag) over a view of any method: TRACE, If-None-Match: * -> 412
fix:  @require_http_methods(["GET", "HEAD"]) outside it: TRACE gets its 405 first""",
)
def method_ignores_conditions(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §13.2.1: "a server MUST ignore the conditional request header fields defined
    # by this specification when received with a request method that does not involve the
    # selection or modification of a selected representation, such as CONNECT, OPTIONS, or
    # TRACE." Judged beside the same request without them: its 2xx is the answer due.
    due = _due(ex)
    assert due is not None  # applies asks it
    if not _refused_for_conditions(ex, due):
        return
    before = app_status(due)
    fields = _sent(ex, CONDITIONAL_FIELDS)
    code = app_status(ex)
    read = "evaluated them" if code == 412 else "refused the request for them"
    yield self.finding(
        ex,
        f"the app answered {code} to {a_method(ex.method)} with {'; '.join(fields)}, where the "
        f"same request without {'it' if len(fields) == 1 else 'them'} got {before}: a server "
        f"ignores the preconditions of {a_method(ex.method)} (RFC 9110 §13.2.1), and the app "
        f"{read}",
    )


#: The date preconditions a recipient MUST ignore when they hold no HTTP-date.
_DATE_CONDITIONS = {"if-modified-since": "§13.1.3", "if-unmodified-since": "§13.1.4"}
#: The answers that show the field was read rather than ignored: the condition evaluated
#: (304, 412), the request refused for it (400, 422), or the reading failed (500). Not a
#: 429 or a 503: a rate limit or an outage answers the same GET without the field so too,
#: and only the GETs before it were seen.
_NOT_IGNORED = frozenset({304, 400, 412, 422, 500})


def _lone_date_condition(ex: Exchange) -> tuple[str, str] | None:
    """For a GET whose one precondition (and no Range) is If-Modified-Since or
    If-Unmodified-Since: the field's name and its value; None otherwise."""
    if ex.method != "GET":
        return None
    # One look at the request's fields (kept for the exchange, which other rules read too).
    present = [name for name, _ in request_fields(ex) if name in CONDITIONS_AND_RANGE]
    if len(present) != 1 or present[0] not in _DATE_CONDITIONS:
        return None
    return present[0], request_field(ex, present[0]) or ""


def _no_date(ex: Exchange) -> tuple[str, str] | None:
    """:func:`_lone_date_condition`, where the field holds no HTTP-date: in none of RFC 9110
    §5.6.7's three forms (a value of their shape is left alone, a leap second's :60 or a
    30 February that a lenient recipient reads as 1 March: §5.6.7 encourages robust
    parsing), nor a date a lenient recipient reads (a "-0000" zone)."""
    found = _lone_date_condition(ex)
    if found is None:
        return None
    return None if is_http_date(found[1]) or read_date(found[1]) else found


def _beside_steady_200s(ex: Exchange, *, raised: bool = False) -> bool:
    """The app answered ``ex`` (with ``raised``, or raised in its place), and the last two
    plain GETs of its request got 200: the answer the same GET gets without its one date
    condition."""
    done = answered(ex) or (raised and bool(_escaped(ex)))
    return done and settled(ex, app_status, lambda code: code == 200, body=False) == 200


def _escaped(ex: Exchange) -> list[AppRaised]:
    """The exceptions of the app's own that ended ``ex`` in place of an answer (none where
    it answered, or ran out of time)."""
    return [] if answered(ex) or ex.timed_out else own_errors(ex)


def _no_date_case(ex: Exchange) -> bool:
    return _no_date(ex) is not None and _beside_steady_200s(ex, raised=True)


def _failure_rests_on(ex: Exchange) -> tuple[Exchange, ...]:
    """APP-INVALID-DATE-IGNORED's ``steady``: where the app failed on the request (a 500,
    an exception), the two plain GETs it is judged beside, which a run sends again with it
    before the finding is kept: a backend that fails at random fails there by chance too
    (a review of 2026-12-08: a 500 on every seventh request was read as the date read).
    None for a 304, 400, 412 or 422, which come of the field alone."""
    if not _escaped(ex) and app_status(ex) != 500:
        return ()
    return tuple(reversed(last_plain_gets(ex)))


@rule(
    "APP-INVALID-DATE-IGNORED",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §13.1.3, §13.1.4",
    summary="an If-Modified-Since or If-Unmodified-Since that is no HTTP-date is ignored: "
    "no 304, 412, 400 or 500, nor an exception, where the GET without it gets 200",
    pep=ORIGIN,
    source="RFC 9110 §13.1.3, §13.1.4",
    covers=(),
    needs=("environ",),  # (not start_response: an exception raised before it counts)
    memo="exchange",
    sequence=history_bears_on,
    steady=_failure_rests_on,
    applies=_no_date_case,
    example="""
bad:  If-Modified-Since: yesterday -> 400 Bad Request (Paste's FileApp), or a 304
fix:  a value that does not parse as an HTTP-date is ignored: answer as without it""",
)
def invalid_date_ignored(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §13.1.3: "A recipient MUST ignore the If-Modified-Since header field if the
    # received field value is not a valid HTTP-date, the field value has more than one
    # member, or if the request method is neither GET nor HEAD"; §13.1.4 likewise for
    # If-Unmodified-Since. Judged beside two plain GETs that got 200: the answer to the
    # same request without the field.
    found = _no_date(ex)
    assert found is not None
    name, value = found
    code = app_status(ex)
    # An exception it raised, or a 500 it answered, comes of reading the field too (a trial
    # of 2026-12-08: Kallithea's TurboGears statics let WebOb's HTTPBadRequest escape to
    # If-Modified-Since: yesterday).
    escaped = _escaped(ex)
    # (A run keeps a finding on a failure only where it shows again: _failure_rests_on.)
    did = f"raised ({told(escaped[0])})" if escaped else f"answered {code}"
    if escaped or code in _NOT_IGNORED:
        yield self.finding(
            ex,
            f"{name.title()} {quoted(value)} is no HTTP-date, which a recipient MUST ignore "
            f"(RFC 9110 {_DATE_CONDITIONS[name]}); the app {did} where the same GET without it "
            "gets 200",
        )


#: The answers that refuse a request for what a field holds: not understood (400), or
#: understood and refused (422). Not a 429 or a 503, which come whatever the request says.
_REFUSED = frozenset({400, 422})


def _obs_date(ex: Exchange) -> tuple[str, str] | None:
    """:func:`_lone_date_condition`, where the field holds an HTTP-date in one of the two
    obsolete forms (rfc850-date, asctime-date: RFC 9110 §5.6.7) that names a second that
    was (a leap second's :60 included), which `check` sends the Last-Modified it learned in
    (:func:`wsgicheck.model.learned.restated`). A 30 February is left alone: a recipient
    may refuse it as no date, or read it leniently."""
    found = _lone_date_condition(ex)
    if found is None or not obs_date_re.fullmatch(text := found[1].strip(" \t")):
        return None
    # parsedate refuses second 60, which the grammar has (second = 2DIGIT): read it as 59.
    readable = read_date(text) or read_date(_LEAP_SECOND.sub(r"\1:59", text, count=1))
    return found if readable is not None else None


#: The seconds of a time-of-day (hour ":" minute ":" second) when they are 60.
_LEAP_SECOND = re.compile(r"\b([0-9]{2}:[0-9]{2}):60\b")


def _obs_date_case(ex: Exchange) -> bool:
    return _obs_date(ex) is not None and _beside_steady_200s(ex)


@rule(
    "APP-OBS-DATE-ACCEPTED",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §5.6.7",
    summary="an If-Modified-Since or If-Unmodified-Since in an obsolete HTTP-date form "
    "(rfc850, asctime) is read as a date: no 400 or 422 where the GET without it gets 200",
    pep=ORIGIN,
    source="RFC 9110 §5.6.7",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=history_bears_on,
    applies=_obs_date_case,
    example="""
bad:  If-Modified-Since: Monday, 01-Jan-24 00:00:00 GMT -> 400 (Falcon 4.4's
      req.if_modified_since reads the IMF-fixdate form alone)
fix:  read all three forms (email.utils.parsedate_to_datetime does), then compare""",
)
def obs_date_accepted(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §5.6.7: "A recipient that parses a timestamp value in an HTTP field MUST
    # accept all three HTTP-date formats." Judged beside two plain GETs that got 200: the
    # answer to the same request without the field. One read as no date, and so ignored,
    # is APP-IF-MODIFIED-SINCE's (a 200 where 304 is due).
    found = _obs_date(ex)
    assert found is not None
    name, value = found
    code = app_status(ex)
    if code in _REFUSED:
        yield self.finding(
            ex,
            f"{name.title()} {quoted(value)} is an HTTP-date in an obsolete form, which a "
            f"recipient MUST accept (RFC 9110 §5.6.7); the app answered {code} where the same "
            "GET without it gets 200",
        )
