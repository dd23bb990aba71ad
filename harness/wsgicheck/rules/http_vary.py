"""The HTTP rule on Vary (RFC 9110 §12.5.5): an app that picks the representation by a
request field says so, or a cache hands one client's representation to another.

The evidence is two GETs to one target whose requests differ in one field only and whose
200s differ in representation metadata (Content-Type, Content-Encoding, Content-Language):
the app selected by that field. The follow-up questions (:mod:`wsgicheck.explore.sequences`)
make such a pair: the plain GET, then the same with ``Accept-Encoding: gzip``.

An app can vary by itself (a counter, a clock), and then two answers differ with nothing
selected. So the pair is judged only where each side is steady: the same request, sent
twice, got the same metadata both times. The RFC lets an origin supplant Vary with
Cache-Control: a response with ``no-store``, ``no-cache`` or ``private`` needs no Vary
here. Nor does a difference in Authorization, since a shared cache does not reuse an
answer to it (the RFC's own example), nor in the fields that make the target (Host) or
frame the body.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.untrusted import show
from .exchange import Exchange
from .http_evidence import app_field, app_status
from .http_pairs import CONDITIONS_AND_RANGE, ORIGIN, SAME_VALUE, SECTION
from .registry import Binding, Finding, Level, Rule, rule

#: Request fields whose difference is no selection the Vary field can name: the target's
#: authority, the framing of a body, credentials (RFC 9110 §12.5.5), the conditions and
#: ranges the follow-ups add (those change the status, not the representation chosen).
NOT_SELECTING = CONDITIONS_AND_RANGE | {
    "host",
    "authorization",
    "content-length",
    "content-type",
    "transfer-encoding",
}

#: Cache-Control directives that keep a response from being reused as it is for another
#: request: an origin may use them to supplant Vary (RFC 9110 §12.5.5).
SUPPLANTING = frozenset({"no-store", "no-cache", "private"})

#: A pair: the other GET, the one field the requests differ in, the metadata that differs.
Pair = tuple[Exchange, str, list[str]]


#: A request's fields by lower-case name, each with its values in order, sorted by name.
Fields = tuple[tuple[str, tuple[str, ...]], ...]


def _fields(ex: Exchange) -> dict[str, tuple[str, ...]]:
    """The request's fields by lower-case name, each with its values in order."""
    return dict(request_fields(ex))


def request_fields(ex: Exchange) -> Fields:
    """The request's fields by lower-case name, each with its values in order, sorted: two
    GETs to one target with different ones may show a selection. Worked out once."""
    facts = ex.facts
    found: Fields | None = facts.get("request_fields")
    if found is None:
        grouped: dict[str, list[str]] = {}
        for name, value in ex.request.headers:
            grouped.setdefault(name.lower(), []).append(value)
        found = facts["request_fields"] = tuple(
            sorted((name, tuple(values)) for name, values in grouped.items())
        )
    return found


def _metadata(ex: Exchange) -> tuple[str | None, ...]:
    return tuple(app_field(ex, name) for name in SAME_VALUE)


def _usable(ex: Exchange) -> bool:
    """A GET answered 200 in full, not in time-out, without raising."""
    return (
        ex.method == "GET"
        and app_status(ex) == 200
        and ex.iteration_finished
        and not ex.timed_out
        and not ex.raised
    )


def _bears(ex: Exchange) -> bool:
    """Whether the history may change the verdict: ``ex`` is a usable GET and an earlier
    GET went to its target."""
    target = ex.request.target
    return _usable(ex) and any(
        each.method == "GET" and each.request.target == target for each in ex.history
    )


def selected_by(ex: Exchange) -> Pair | None:
    """For a steady GET ``ex``: the latest earlier steady GET to the same target whose
    request differs from ``ex``'s in one selecting field only, with the same body, and
    whose 200 differs in metadata. Worked out once per history."""
    facts = ex.sequence_facts
    if "selected_by" not in facts:
        facts["selected_by"] = _find_pair(ex) if _bears(ex) else None
    found: Pair | None = facts["selected_by"]
    return found


def _find_pair(ex: Exchange) -> Pair | None:
    target, body = ex.request.target, ex.request.body
    mine, metadata = _fields(ex), _metadata(ex)
    earlier = [
        each
        for each in ex.history
        if each.request.target == target and each.request.body == body and _usable(each)
    ]
    by_request: dict[Fields, list[Exchange]] = {}
    for each in earlier:
        by_request.setdefault(request_fields(each), []).append(each)
    again = by_request.get(request_fields(ex), [])
    if not any(_metadata(each) == metadata for each in again):
        return None  # not steady: this request's answer is not known to repeat
    for each in reversed(earlier):
        theirs = _fields(each)
        differing = {
            name for name in mine.keys() | theirs.keys() if mine.get(name) != theirs.get(name)
        }
        if len(differing) != 1 or differing & NOT_SELECTING:
            continue
        other = _metadata(each)
        changed = [
            name for name, one, two in zip(SAME_VALUE, metadata, other, strict=True) if one != two
        ]
        same_request = by_request[request_fields(each)]
        steady = sum(1 for twin in same_request if _metadata(twin) == other) >= 2
        if changed and steady:
            return each, differing.pop(), changed
    return None


def _covered(ex: Exchange, field: str) -> bool:
    """Whether the response's Vary names ``field`` (or is ``*``), or its Cache-Control
    keeps it from being reused as it is: ``no-store``, ``no-cache`` (reuse only after asking
    the app) or ``private`` (no shared cache), the directives §12.5.5 lets an origin use
    to supplant Vary."""
    listed = {item.strip().lower() for item in (app_field(ex, "vary") or "").split(",")}
    # Only the bare directives: no-cache="Set-Cookie" or private="X" restrict the fields
    # they name, and the rest of the response is reused as it is.
    directives = {
        item.strip().lower() for item in (app_field(ex, "cache-control") or "").split(",")
    }
    return field in listed or "*" in listed or bool(directives & SUPPLANTING)


def _sent(ex: Exchange, field: str) -> str:
    values = [value for name, value in ex.request.headers if name.lower() == field]
    return f"{field.title()}: {show(', '.join(values))}" if values else f"no {field.title()}"


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
    # Judged at the second of two GETs of one request, beside two of another that differs
    # from it in one field: both sides then answer steadily.
    applies=lambda ex: selected_by(ex) is not None,
    example="""
bad:  if "gzip" in accept_encoding: headers.append(("Content-Encoding", "gzip"))
fix:  headers.append(("Vary", "Accept-Encoding")) on every response, compressed or not""",
)
def vary_names_field(self: Rule, ex: Exchange) -> Iterator[Finding]:
    pair = selected_by(ex)
    assert pair is not None
    other, field, changed = pair
    lacking = [each for each in (other, ex) if not _covered(each, field)]
    if not lacking:
        return
    shown = field.title()
    got = " and ".join(f"{_got(ex, name)}" for name in changed)
    got_other = " and ".join(f"{_got(other, name)}" for name in changed)
    if len(lacking) == 2:
        where, hint = "neither response names it in Vary", _NOWHERE
    else:
        plain = lacking[0] if "content-encoding" in changed and not _coded(lacking[0]) else None
        where = f"the response with {_sent(lacking[0], field)} does not name it in Vary"
        hint = _ONLY_COMPRESSED if plain is not None else ""
    yield self.finding(
        ex,
        f"GET {show(ex.request.target)} got {got} with {_sent(ex, field)}, and {got_other} "
        f"with {_sent(other, field)}: the app selects by {shown}, yet {where}, so a cache "
        "may give one client's answer to another" + (hint if field == "accept-encoding" else ""),
    )


def _coded(ex: Exchange) -> bool:
    return (app_field(ex, "content-encoding") or "identity").strip().lower() != "identity"
