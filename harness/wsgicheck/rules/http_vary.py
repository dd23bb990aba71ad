"""The HTTP rules on representations selected by a request field: an app that picks one
by a field says so in Vary (RFC 9110 §12.5.5), or a cache hands one client's representation
to another; and representations that differ in content coding do not share a strong ETag
(RFC 9110 §8.8.3, §8.8.1), or a cache or a ranged download takes the two for one.

The evidence is GETs to one target of two requests that differ in one field only, whose
200s differ in representation metadata (Content-Type, Content-Encoding, Content-Language):
the app selected by that field. The follow-up questions (:mod:`wsgicheck.explore.sequences`)
make such pairs: the plain GET, then the same with ``Accept-Encoding: gzip``, with another
media type and with another language asked for, each twice, then the plain GET again.

An app can also answer differently by itself (a counter, a clock, a setting changed while
it runs), and then two answers differ with nothing selected. So the pair is judged only
where it cannot be that: the request judged was sent before the other one and again after
it, and each was sent at least twice, every GET of it (and every HEAD, for Content-Type and
Content-Language) getting the same metadata. The RFC lets an origin supplant Vary with
Cache-Control: a response with a bare ``no-store``, ``no-cache`` or ``private`` needs no
Vary here. Nor does a difference in Authorization (the RFC's own example: a shared cache
reuses an answer to it only where the answer allows it, RFC 9111 §3.5), in the fields that
make the target (Host), frame a body, or hold for one connection only, or in the
conditions and ranges (they change the status, not the representation chosen).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.grammar import HOP_BY_HOP_HEADERS
from ..model.request import FRAMING_HEADERS
from ..model.untrusted import as_sent, show
from .exchange import Exchange
from .http_evidence import (
    CONDITIONS_AND_RANGE,
    Fields,
    app_field,
    app_list,
    app_status,
    content_coding,
    entity_tags,
    request_field,
    request_fields,
)
from .http_pairs import SAME_VALUE, SECTION, answered
from .registry import ORIGIN, Binding, Finding, Level, Rule, rule

#: Request fields whose difference is no selection the Vary field can name: the target's
#: authority, the framing of a body, the fields of one connection, credentials (RFC 9110
#: §12.5.5), the conditions and ranges the follow-ups add (those change the status, not
#: the representation chosen).
NOT_SELECTING = (
    CONDITIONS_AND_RANGE
    | FRAMING_HEADERS
    | HOP_BY_HOP_HEADERS
    | {"host", "authorization", "content-type"}
)

#: The methods whose answers show the representation chosen.
SAFE = ("GET", "HEAD")

#: Cache-Control directives that keep a response from being reused as it is for another
#: request: an origin may use them to supplant Vary (RFC 9110 §12.5.5).
SUPPLANTING = frozenset({"no-store", "no-cache", "private"})

#: A pair: the latest GET of the other request, the one field the two requests differ in,
#: the metadata that differs.
Pair = tuple[Exchange, str, list[str]]
#: Metadata a HEAD gives as GET does: a compression layer that skips HEAD (Paste's gzipper)
#: is APP-HEAD-LIKE-GET's finding, and its HEAD no evidence against the GET's coding.
_HEAD_AGREES_ON = ("content-type", "content-language")


def _metadata(ex: Exchange, names: tuple[str, ...] = SAME_VALUE) -> tuple[str | None, ...]:
    """The values of ``names`` in the response, compared without case or spaces (an app
    that selects nothing does not change ``charset=UTF-8`` into ``charset=utf-8``). Worked
    out once per exchange: every later exchange of a sequence reads it again."""
    key = "vary_metadata:" + ",".join(names)
    found: tuple[str | None, ...] | None = ex.facts.get(key)
    if found is None:
        values = (app_field(ex, name) for name in names)
        found = ex.facts[key] = tuple(
            None if value is None else "".join(value.lower().split()) for value in values
        )
    return found


def _usable(ex: Exchange) -> bool:
    """A GET answered 200 in full."""
    return ex.method == "GET" and app_status(ex) == 200 and answered(ex) and ex.iteration_finished


def _bears(ex: Exchange) -> bool:
    """Whether the history may change the verdict: ``ex`` is a usable GET, and the history
    holds a GET of the same request followed by a GET to the target with other fields (the
    order a pair needs). Kept narrow: where it holds, the engine judges every rule over a
    sequence beside the history, not from its memo."""
    if not _usable(ex):
        return False
    target, mine = ex.request.target, request_fields(ex)
    twin = False
    for each in ex.history:
        if each.method == "GET" and each.request.target == target:
            if request_fields(each) == mine:
                twin = True
            elif twin:
                return True
    return False


def selected_by(ex: Exchange) -> list[Pair]:
    """For a GET ``ex``: per field, the latest other request to the same target that
    differs from ``ex``'s in that selecting field only, with the same body, whose 200s
    differ in metadata from ``ex``'s, where both requests answer steadily and ``ex``'s was
    sent before the other and again after it. Worked out once per history."""
    facts = ex.sequence_facts
    if "selected_by" not in facts:
        facts["selected_by"] = _find_pairs(ex) if _bears(ex) else []
    found: list[Pair] = facts["selected_by"]
    return found


def _by_request(ex: Exchange) -> dict[Fields, list[Exchange]]:
    """Each request's exchanges (GET, HEAD) to ``ex``'s target with its body, by the
    request's fields, oldest first, ``ex`` last."""
    target, body = ex.request.target, ex.request.body
    sides: dict[Fields, list[Exchange]] = {}
    for each in (*ex.history, ex):
        request = each.request
        if request.target == target and request.body == body and each.method in SAFE:
            sides.setdefault(request_fields(each), []).append(each)
    return sides


def _find_pairs(ex: Exchange) -> list[Pair]:
    sides = _by_request(ex)
    mine = sides[request_fields(ex)]
    metadata = _steady(mine)
    if metadata is None:
        return []
    order = {id(each): at for at, each in enumerate(ex.history)}
    mine_first = order[id(next(each for each in mine if each.method == "GET"))]
    fields, pairs, seen = dict(request_fields(ex)), [], set()
    for key, theirs in reversed(sides.items()):
        other = _steady(theirs)
        if other is None:
            continue
        their_fields = dict(key)
        differing = {
            name
            for name in fields.keys() | their_fields.keys()
            if fields.get(name) != their_fields.get(name)
        }
        if len(differing) != 1 or differing & NOT_SELECTING:
            continue
        field = differing.pop()
        changed = [
            name for name, one, two in zip(SAME_VALUE, metadata, other, strict=True) if one != two
        ]
        gets = [each for each in theirs if each.method == "GET"]
        # This request before the other and again after it (this one is the latest).
        if changed and field not in seen and mine_first < order[id(gets[0])]:
            seen.add(field)
            pairs.append((gets[-1], field, changed))
    return pairs


def _sides(ex: Exchange) -> tuple[Exchange, ...]:
    """The rules' ``steady``: the exchanges a pair needs sent before ``ex`` again, oldest
    first (see :attr:`~wsgicheck.rules.registry.Rule.steady`): the first GET of ``ex``'s
    request and the last two of each other request, an app that compresses at random
    answering each request steadily by chance, now and then. (Not every exchange of the
    sides: those may be forty, each sent again several times.)"""
    sides = _by_request(ex)

    def gets(fields: Fields) -> list[Exchange]:
        return [each for each in sides[fields] if each.method == "GET" and each is not ex]

    chosen = gets(request_fields(ex))[:1]
    for other, _, _ in selected_by(ex):
        chosen += gets(request_fields(other))[-2:]
    order = {id(each): at for at, each in enumerate(ex.history)}
    return tuple(sorted(chosen, key=lambda each: order[id(each)]))


def _steady(side: list[Exchange]) -> tuple[str | None, ...] | None:
    """The metadata every GET of one request got, when it was sent twice or more and each
    GET got the same, and each HEAD of it the same Content-Type and Content-Language; else
    None (the answers show nothing selected)."""
    gets = [each for each in side if _usable(each)]
    if len(gets) < 2 or len(gets) != sum(1 for each in side if each.method == "GET"):
        return None
    metadata = _metadata(gets[0])
    if any(_metadata(each) != metadata for each in gets[1:]):
        return None
    agreed = _metadata(gets[0], _HEAD_AGREES_ON)
    heads = [each for each in side if each.method == "HEAD" and app_status(each) == 200]
    if any(answered(head) and _metadata(head, _HEAD_AGREES_ON) != agreed for head in heads):
        return None
    return metadata


def _covered(ex: Exchange, field: str) -> bool:
    """Whether the response's Vary names ``field`` (or is ``*``), or its Cache-Control
    keeps it from being reused as it is: ``no-store``, ``no-cache`` (reuse only after asking
    the app) or ``private`` (no shared cache), the directives §12.5.5 lets an origin use
    to supplant Vary."""
    listed = app_list(ex, "vary")
    # Only the bare directives: no-cache="Set-Cookie" or private="X" restrict the fields
    # they name, and the rest of the response is reused as it is.
    return field in listed or "*" in listed or bool(app_list(ex, "cache-control") & SUPPLANTING)


def _sent(ex: Exchange, field: str) -> str:
    value = request_field(ex, field)
    return f"{field.title()}: {show(value)}" if value is not None else f"no {field.title()}"


def _got(ex: Exchange, name: str) -> str:
    value = app_field(ex, name)
    if value is None:
        return f"no {name.title()}"
    shown = show(value)
    return f"{name.title()} " + (f'"{shown}"' if any(c in shown for c in " ,;") else shown)


#: Where the Vary: Accept-Encoding of a compressing app is most often lost.
_ONLY_COMPRESSED = (
    "; most often a compression layer that adds Vary only to the bodies it compresses: the "
    "uncompressed answer should name Accept-Encoding too"
)
_NOWHERE = (
    "; name Accept-Encoding in the Vary of every response that could have been compressed, "
    "compressed or not"
)


@rule(
    "APP-VARY-NAMES-FIELD",
    level=Level.SHOULD,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §12.5.5",
    summary="a response the app selected by a request field (Accept-Encoding, Accept, "
    "Accept-Language, Cookie ...) names that field in Vary",
    pep=ORIGIN,
    source="RFC 9110 §12.5.5",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=_bears,
    steady=_sides,
    # Judged at a request sent before another that differs from it in one field and again
    # after it, each sent twice or more and answered steadily.
    applies=lambda ex: bool(selected_by(ex)),
    example="""
bad:  if "gzip" in accept_encoding: headers.append(("Content-Encoding", "gzip"))
fix:  headers.append(("Vary", "Accept-Encoding")) on every response, compressed or not""",
)
def vary_names_field(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for other, field, changed in selected_by(ex):
        lacking = [each for each in (other, ex) if not _covered(each, field)]
        if not lacking:
            continue
        # The answer to the request that carries the field first (the gzip one, say).
        first, second = (other, ex) if request_field(other, field) is not None else (ex, other)
        if len(lacking) == 2:
            where, hint = "neither response names it in Vary", _NOWHERE
        else:
            where = f"the response with {_sent(lacking[0], field)} does not name it in Vary"
            plain = "content-encoding" in changed and not _coded(lacking[0])
            hint = _ONLY_COMPRESSED if plain else ""
        yield self.finding(
            ex,
            f"GET {show(as_sent(ex.request.target))} got {_got_all(first, changed)} with "
            f"{_sent(first, field)}, and {_got_all(second, changed)} with "
            f"{_sent(second, field)}: the app selects by {field.title()}, yet {where}, so a "
            "cache may give one client's answer to another"
            + (hint if field == "accept-encoding" else ""),
        )


def _got_all(ex: Exchange, names: list[str]) -> str:
    return " and ".join(_got(ex, name) for name in names)


def _coded(ex: Exchange) -> bool:
    return content_coding(ex) != "identity"


def _strong_tag(ex: Exchange) -> str | None:
    """The response's one strong entity-tag, as sent; None for none, a weak one or a list."""
    value = app_field(ex, "etag")
    tags = entity_tags(value) if value is not None else None
    if tags is None or len(tags) != 1 or tags[0][0]:
        return None
    return tags[0][1]


def _coding_pairs(ex: Exchange) -> list[Pair]:
    """The pairs whose answers differ in content coding: ``identity`` and none are one
    coding (the same bytes: RFC 9110 §8.8.1 lets representations with identical data share
    a strong tag)."""
    mine = content_coding(ex)
    return [pair for pair in selected_by(ex) if content_coding(pair[0]) != mine]


@rule(
    "APP-ETAG-PER-CODING",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §8.8.3, §8.8.1",
    summary="representations that differ in content coding (gzip and none) do not share a "
    "strong ETag",
    pep=ORIGIN,
    source="RFC 9110 §8.8.3, §8.8.1",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    sequence=_bears,
    steady=_sides,
    # The pairs APP-VARY-NAMES-FIELD judges, where the coding is what differs: each request
    # sent twice or more and answered steadily, so the tags are the app's choice; with an
    # ETag (a weak one passes: it is the fix), else there is no tag to tell apart.
    applies=lambda ex: app_field(ex, "etag") is not None and bool(_coding_pairs(ex)),
    example="""
bad:  gzip the body and keep the app's ETag: "v1" on both the gzip and the plain answer
fix:  ETag: "v1-gzip" on the gzip one (or make the tag weak, W/"v1", as Django does)""",
)
def etag_percontent_coding(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §8.8.3: an entity tag whose generation "does not satisfy all of the
    # characteristics of a strong validator (Section 8.8.1)", the origin server "MUST mark
    # the entity tag as weak"; §8.8.1: "if the origin server sends the same validator for a
    # representation with a gzip content coding applied as it does for a representation
    # with no content coding, then that validator is weak". §8.8.3.3 says why: "a strong
    # entity tag for a content-encoded representation has to be distinct from the entity
    # tag of an unencoded representation to prevent potential conflicts during cache updates
    # and range requests".
    mine = _strong_tag(ex)
    if mine is None:
        return
    for other, field, _ in _coding_pairs(ex):
        if _strong_tag(other) != mine:
            continue
        first, second = (other, ex) if request_field(other, field) is not None else (ex, other)
        yield self.finding(
            ex,
            f"GET {show(as_sent(ex.request.target))} got {_got(first, 'content-encoding')} with "
            f"{_sent(first, field)}, and {_got(second, 'content-encoding')} with "
            f"{_sent(second, field)}, both with the strong ETag {show(mine)}: one tag for two "
            "representations, so a cache may revalidate one with the other's tag and a "
            "Range with If-Range may join bytes of both; give the coded one its own tag "
            '("...-gzip") or make the tag weak (W/)',
        )
