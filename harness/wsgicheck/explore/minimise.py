"""Smallest means smallest: the reported request is the simplest that still shows the finding.

Hypothesis shrinks what it drew, but a failure found early (in the fixed corpus, or kept as
the smallest seen) may still carry what it does not need: a junk Cookie, ``PUT`` where a
plain GET fails too, HTTP/1.0, a server choice away from the default, earlier requests of
its sequence. :func:`simplify` tries, in a bounded number of replays, each simpler version
of the failing request in turn (the default server choices, all or one by one; the target
``/``, or without its query, or without one of its parameters; the path with what RFC 3986
does not allow in it percent-encoded; GET; no body, or a short one; HTTP/1.1, in it and
the requests before it; each header field dropped, and each one only the requests before
it carry; a drawn hostile value halved; the path without one of its segments, or with one
halved) and keeps every change under which the same rule still breaks. A raw ``é`` in a
path is a request a server may refuse with 400 (RFC 9112 §3.2); ``%E9`` is a valid one, and
the server decodes it to the same PATH_INFO.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from ..core.environ import ServerConfig
from ..model.grammar import PCHAR_MARKS
from ..model.request import Framing, InvalidRequest, Request
from ..results.scope import at_or_above

__all__ = ["DRAWN_CHOICES", "MAX_TRIES", "simplify"]

#: The server choices the runner draws (:func:`wsgicheck.strategies.server_configs`).
DRAWN_CHOICES = (
    "script_name",
    "no_body_content_length",
    "empty_query_string",
    "multithread",
    "multiprocess",
    "file_wrapper",
    "input_terminated_always",
    "max_read",
)

#: What RFC 3986 lets a path hold unencoded: unreserved, sub-delims, ":", "@" (pchar, §3.3),
#: "/", and "%" where it starts an escape.
_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + PCHAR_MARKS + "/%")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
#: A well-formed UTF-8 sequence of two to four bytes, read as latin-1 (RFC 3629 §4, but
#: for the overlong and surrogate forms of three and four bytes, which change no cut).
_UTF8_SEQUENCE = re.compile(
    "[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)

#: One character of a path: a well-formed UTF-8 sequence, escaped or raw (as latin-1), an
#: escape, or any other character.
_PATH_UNIT = re.compile(
    "%[Cc][2-9A-Fa-f]%[89ABab][0-9A-Fa-f]|%[Dd][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]"
    "|%[Ee][0-9A-Fa-f](?:%[89ABab][0-9A-Fa-f]){2}|%[Ff][0-4](?:%[89ABab][0-9A-Fa-f]){3}"
    f"|{_UTF8_SEQUENCE.pattern}|%[0-9A-Fa-f]{{2}}|.",
    re.DOTALL,
)

#: Replays per finding at most.
MAX_TRIES = 24
#: Bytes of body a shortened body keeps: enough to read in several short reads.
_SHORT_BODY = 16
#: Fields a simpler request keeps: the user's (``-H``) and Host, which HTTP/1.1 needs.
_BODY_FIELDS = frozenset({"content-type", "expect"})

Example = tuple[Request, ServerConfig, tuple[Request, ...]]
#: Replays an example; whether the rule still breaks.
Attempt = Callable[[Request, ServerConfig, tuple[Request, ...]], bool]


def _variants(
    request: Request,
    config: ServerConfig,
    before: tuple[Request, ...],
    *,
    default: ServerConfig,
    keep: frozenset[str],
    whole: frozenset[str] = frozenset(),
) -> Iterator[tuple[Hashable, Example]]:
    """Simpler versions of one example, the biggest simplification first, each with what
    kind of simplification it is (a simplification that did not keep the finding is not
    tried again on the simpler examples that follow).

    The requests ``before`` it are kept, none dropped: what they set up in the app (a
    session) stays in the app the run drives, so a replay without them would pass here and
    fail on a fresh app, where the reproducer runs. They are made simpler only as a whole
    (a field dropped from each, HTTP/1.1 for all)."""
    plain = replace(config, **{name: getattr(default, name) for name in DRAWN_CHOICES})
    if plain != config:
        # Out of a mount, the requests leave its prefix behind: the app gets the same
        # PATH_INFO (WebOb's DirectoryApp's range faults showed under /app, and at /).
        moved = _unmounted(request, before, config.script_name, default.script_name)
        yield "config", (moved[0], plain, moved[1])
        # Then one at a time: a finding under short reads needs max_read, not the rest.
        for name in DRAWN_CHOICES:
            if getattr(config, name) != getattr(default, name):
                one = replace(config, **{name: getattr(default, name)})
                shown = moved if name == "script_name" else (request, before)
                yield ("choice", name), (shown[0], one, shown[1])
    target = request.target

    def retargeted(new: str) -> Example:
        # The requests before it to the same target go to the new one too: a finding judged
        # beside the same GET without its condition needs the two alike.
        earlier = tuple(
            _safe(each, target=new) if each.target == target else each for each in before
        )
        return _safe(request, target=new), config, earlier

    if target.startswith("/") and target != "/":
        yield "root", retargeted("/")
        path, mark, query = target.partition("?")
        if mark and path != "/":
            yield "no query", retargeted(path)
        # Then one parameter at a time: hgweb's error needs the ``z=%C3%A9`` of four.
        params = query.split("&")
        for index, param in enumerate(params if len(params) > 1 else ()):
            fewer = "&".join(params[:index] + params[index + 1 :])
            yield ("param", param), retargeted(f"{path}?{fewer}")
    encoded = _uri_target(target)
    if encoded != target:
        yield "encoded", retargeted(encoded)
    # GET * is no request (RFC 9112 §3.2.4: the asterisk-form is for OPTIONS only).
    if request.method != "GET" and target != "*":
        bare = tuple(pair for pair in request.headers if pair[0].lower() not in _BODY_FIELDS)
        yield "GET", (_safe(request, method="GET", headers=bare, body=b"", framing=Framing.NONE,
                            chunk_sizes=()), config, before)  # fmt: skip
    if request.body:
        yield "no body", (_safe(request, body=b"", chunk_sizes=()), config, before)
    if len(request.body) > _SHORT_BODY:
        shorter = _safe(request, body=request.body[:_SHORT_BODY], chunk_sizes=())
        yield "short body", (shorter, config, before)
    older = [each for each in (*before, request) if each.http_version != "1.1"]
    if older and (request not in older or len(older) > 1):
        # Every one at once: a sequence drawn in HTTP/1.0 needs 1.1 in none of its requests
        # (CherryPy's 406 before If-None-Match showed so in 1.1 throughout).
        earlier = tuple(_as_http11(each) for each in before)
        yield "HTTP/1.1 everywhere", (_as_http11(request), config, earlier)
    if request.http_version != "1.1":
        yield "HTTP/1.1", (_as_http11(request), config, before)
    if request.framing is Framing.CHUNKED:
        unchunked = _safe(request, framing=Framing.CONTENT_LENGTH, chunk_sizes=())
        yield "unchunked", (unchunked, config, before)
    learned = {each.name.lower() for sent in (*before, request) for each in sent.learned}
    droppable = [
        (index, field)
        for index, field in enumerate(request.headers)
        if (name := field[0].lower()) not in keep
        and not (name == "host" and request.http_version == "1.1")
    ]
    # First each field dropped from the requests before it too, where they carry it: a
    # finding judged beside the same GET without its condition (a 304's, a 206's) needs
    # the two alike, and a field dropped from the judged request alone loses it.
    for index, field in droppable:
        if field[0].lower() in learned or not any(field in each.headers for each in before):
            continue
        headers = request.headers[:index] + request.headers[index + 1 :]
        earlier = tuple(_without(each, field) for each in before)
        yield ("drop everywhere", field), (_safe(request, headers=headers), config, earlier)
    for index, field in droppable:
        headers = request.headers[:index] + request.headers[index + 1 :]
        yield ("drop", field), (_safe(request, headers=headers), config, before)
    # Then each field the requests before it carry and it does not (an If-Range a GET set
    # up the 206 with, which a plain Range sets up as well), from all of them at once.
    fields = dict.fromkeys(field for each in before for field in each.headers)
    for field in fields:
        name = field[0].lower()
        if field in request.headers or name in keep or name in learned or name == "host":
            continue
        earlier = tuple(_without(each, field) for each in before)
        yield ("drop before", field), (request, config, earlier)
    # A field the finding needs, whose value is drawn hostile (bytes past ASCII, controls):
    # its first or second half, in turn, down to what the finding needs (Isso's 500 needs
    # the "[" of an Origin, not the nine characters around it).
    for index, (name, value) in enumerate(request.headers):
        lowered = name.lower()
        if lowered in keep or lowered in _BODY_FIELDS or lowered == "host" or len(value) < 2:
            continue
        if value.isascii() and value.isprintable():
            continue
        half = _between_characters(value, len(value) // 2)
        if half is None:
            continue
        for part, cut in (("head", value[:half]), ("tail", value[half:])):
            headers = (*request.headers[:index], (name, cut), *request.headers[index + 1 :])
            kind = ("shorten", part, lowered, len(value))
            yield kind, (_safe(request, headers=headers), config, before)
    # Last, as a finding on a real path (a file's) spends a try on each: the path a segment
    # at a time, and a segment halved (Pyramid's URLDecodeError needs one "%E9" anywhere in
    # the path, not the segments around it).
    for path_kind, shorter_target in _shorter_paths(target, whole):
        yield path_kind, retargeted(shorter_target)


def _unmounted(
    request: Request, before: tuple[Request, ...], mount: str, default: str
) -> tuple[Request, tuple[Request, ...]]:
    """``request`` and the requests ``before`` it sent with the mount ``default`` in place
    of ``mount``: each target under ``mount`` with its prefix traded for ``default``'s (the
    same PATH_INFO), any other as it was."""

    def moved(each: Request) -> Request:
        path, mark, query = each.target.partition("?")
        if mount == default or not at_or_above(mount, path):
            return each
        return _safe(each, target=(default + path[len(mount) :] or "/") + mark + query)

    return moved(request), tuple(moved(each) for each in before)


def _whole_segments(target: str, paths: Sequence[str], mount: str) -> frozenset[str]:
    """The segments of ``target``'s path never cut in half: the mount's and those of the
    longest of the run's ``paths`` (the user's, the discovered) that it is or lies under.
    Half of one spells a path nobody named, which reads as a typo of the user's (a trial of
    2026-12-07: ``/api/v1/_openapi`` shown as ``/api/v/_openapi``, where any version
    answered the same 401); one left out whole is a shorter path. Worked out once, on the
    drawn target: once a segment is left out, the path lies under no known one."""
    path = target.partition("?")[0]
    whole: list[str] = []
    if mount and at_or_above(mount, path):
        whole += mount[1:].split("/")
        path = path[len(mount) :] or "/"
    known = [each.partition("?")[0].rstrip("/") for each in paths]
    under = [each for each in known if each and at_or_above(each, path)]
    if under:
        whole += max(under, key=len)[1:].split("/")
    return frozenset(whole)


def _shorter_paths(
    target: str, whole: frozenset[str] = frozenset()
) -> Iterator[tuple[Hashable, str]]:
    """``target`` with one segment of its path left out, each in turn, then with one
    segment (but those in ``whole``) cut to its first or its second half; the query
    kept. A cut falls between characters: an escape (``%E9``) or a UTF-8 sequence, escaped
    (``%C3%A9``) or raw, is one, since half of one is a byte no decoder takes, another bug
    than the one shown."""
    path, mark, query = target.partition("?")
    if not path.startswith("/"):
        return
    segments = path[1:].split("/")
    for index, segment in enumerate(segments if len(segments) > 1 else ()):
        fewer = segments[:index] + segments[index + 1 :]
        yield ("segment", index, segment), "/" + "/".join(fewer) + mark + query
    for index, segment in enumerate(segments):
        if segment in whole:
            continue
        units = _PATH_UNIT.findall(segment)
        half = len(units) // 2
        for part, cut in (("head", units[:half]), ("tail", units[half:])):
            if half:
                kept = [*segments[:index], "".join(cut), *segments[index + 1 :]]
                yield ("halve", index, segment, part), "/" + "/".join(kept) + mark + query


def _between_characters(value: str, index: int) -> int | None:
    """The cut of ``value`` (a field's bytes, as latin-1) nearest ``index`` that splits no
    well-formed UTF-8 sequence, None when there is none inside it. Half of an ``é`` is a
    byte no decoder takes: a cut there can make a different bug fail the same rule. A
    byte past ASCII that is no part of such a sequence (drawn bytes mostly are) is a
    character of its own."""
    inside = {
        at
        for sequence in _UTF8_SEQUENCE.finditer(value)
        for at in range(sequence.start() + 1, sequence.end())
    }
    for distance in range(len(value)):
        for at in (index - distance, index + distance):
            if 0 < at < len(value) and at not in inside:
                return at
    return None


def _uri_target(target: str) -> str:
    """An origin-form ``target`` with each character RFC 3986 does not allow in its path
    percent-encoded (a latin-1 character as its byte, as it went on the wire). The server
    decodes the path, so the app gets the same PATH_INFO; the query is left as it is (the
    app gets QUERY_STRING undecoded), and so is a path with a "%" that starts no escape
    (which no encoding makes valid without changing PATH_INFO)."""
    path, mark, query = target.partition("?")
    if not path.startswith("/") or _LONE_PERCENT.search(path):
        return target
    encoded = "".join(char if char in _PATH_CHARACTERS else f"%{ord(char):02X}" for char in path)
    return encoded + mark + query


def _relinked(example: Example, was: tuple[Request, ...]) -> Example:
    """``example`` with each value sent back learning from the request that took the place
    of the one that taught it (a request before it made HTTP/1.1, a field dropped): the
    replays find a teacher by what it sends, and would send the run's value again."""
    request, config, before = example
    moved = {old: new for old, new in zip(was, before, strict=True) if old is not new}
    if not moved:
        return example

    def relearned(each: Request) -> Request:
        if not any(learned.teacher in moved for learned in each.learned):
            return each
        taught = tuple(
            replace(learned, teacher=moved[learned.teacher])
            if learned.teacher in moved
            else learned
            for learned in each.learned
        )
        return each.replace(learned=taught)

    return relearned(request), config, tuple(relearned(each) for each in before)


def _as_http11(request: Request) -> Request:
    """``request`` in HTTP/1.1, with the Host it needs there."""
    if request.http_version == "1.1":
        return request
    headers = request.headers
    if not any(name.lower() == "host" for name, _ in headers):
        headers = (("Host", "localhost"), *headers)
    return _safe(request, http_version="1.1", headers=headers)


def _without(request: Request, field: tuple[str, str]) -> Request:
    """``request`` without the header ``field`` (its name and value), wherever it is."""
    return _safe(request, headers=tuple(each for each in request.headers if each != field))


def _safe(request: Request, **changes: Any) -> Request:
    """``request`` changed, or itself when the change makes no valid request."""
    try:
        return request.replace(**changes)
    except InvalidRequest:
        return request


def simplify(
    example: Example,
    attempt: Attempt,
    *,
    default: ServerConfig,
    keep: Sequence[str] = (),
    tries: int = MAX_TRIES,
    paths: Sequence[str] = (),
) -> Example:
    """The simplest version of ``example`` under which ``attempt`` still sees the rule break,
    within ``tries`` replays. Each accepted change is kept, and the search starts again
    from the simpler example (so a dropped header lets the next one be dropped too); a
    kind of change that lost the finding once is not tried again, so the replays go to
    the changes not yet tried. No segment of a path of ``paths`` (those the run knew the
    app to serve) that the target is or lies under is cut in half."""
    kept = frozenset(name.lower() for name in keep)
    whole = _whole_segments(example[0].target, paths, example[1].script_name)
    current = example
    seen = {current}
    lost: set[Hashable] = set()
    while tries > 0:
        for kind, changed in _variants(*current, default=default, keep=kept, whole=whole):
            variant = _relinked(changed, current[2])
            if variant in seen or kind in lost:
                continue
            seen.add(variant)
            tries -= 1
            if attempt(*variant):
                current = variant
                break
            lost.add(kind)
            if tries <= 0:
                break
        else:
            break
    return current
