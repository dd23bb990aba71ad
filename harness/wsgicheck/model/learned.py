"""Validators sent back: how the harness changes an ETag or Last-Modified it learned, and
how a replay makes a learned field again from the answer it gets.

A run sends an app's validators back (If-None-Match with the ETag a GET got, If-Range with
a stale one, If-Unmodified-Since a day before Last-Modified). A fresh app gives other ones
(WsgiDAV's ETag holds the file's inode and mtime, Kinto's its start time), so a replay
that sent the run's would ask another question. These functions make the value the run
sends, and again the value a replay sends (the confirming process, the Python reproducer,
which imports them): one definition, so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone

from .grammar import entity_tag_re, http_date, imf_fixdate
from .request import From, LearnedField, Request
from .response import Response

__all__ = [
    "CHANGES",
    "made",
    "moved",
    "relearned",
    "replay",
    "restated",
    "sources",
    "stale",
    "strong",
    "untaught",
    "weak",
]


def strong(etag: str) -> str:
    """The opaque-tag of ``etag``, quotes kept: the tag sent back strong."""
    text = etag.strip(" \t")
    match = entity_tag_re.match(text)
    return text if match is None else match.group("opaque")


def weak(etag: str) -> str:
    """``etag`` sent back weak."""
    return f"W/{strong(etag)}"


def stale(etag: str) -> str:
    """A strong tag that is not ``etag`` (nor its weak twin)."""
    return f'{strong(etag)[:-1]}-stale"'


def moved(date: str, days: int) -> str | None:
    """The HTTP-date ``days`` after the one ``date`` states, None when it states none."""
    parsed = http_date(date)
    if parsed is None:
        return None
    try:
        later = parsed + timedelta(days=days)
    except OverflowError:  # past the calendar's first or last day
        return None
    return imf_fixdate(later)


def _two_digits_read_back(year: int) -> bool:
    """Whether ``year`` written with two digits reads back as itself both ways a recipient
    may read it: RFC 9110 §5.6.7's (a year more than 50 years ahead is the century before)
    and Python's ``parsedate``'s (69 to 99 in the 1900s, as most libraries do). They part
    for 1969 to 1976 today (the epoch's 1970 is 2070 by the RFC), and neither reads one
    before 1969 or after 2068."""
    short = year % 100
    by_python = (1900 if short > 68 else 2000) + short
    ahead = 2000 + short
    by_rfc = ahead if ahead <= datetime.now(timezone.utc).year + 50 else ahead - 100
    return by_python == by_rfc == year


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def restated(date: str, form: str) -> str | None:
    """The HTTP-date ``date`` states, written in the obsolete ``form``, ``"rfc850"``
    (``Sunday, 06-Nov-94 08:49:37 GMT``) or ``"asctime"`` (``Sun Nov  6 08:49:37 1994``),
    which a recipient MUST read as well (RFC 9110 §5.6.7); None when it states none, or,
    for rfc850, when its year written with two digits reads back as another
    (:func:`_two_digits_read_back`)."""
    parsed = http_date(date)
    if parsed is None or (form == "rfc850" and not _two_digits_read_back(parsed.year)):
        return None
    day, month = _DAY_NAMES[parsed.weekday()], _MONTHS[parsed.month - 1]
    clock = f"{parsed.hour:02}:{parsed.minute:02}:{parsed.second:02}"
    if form == "rfc850":
        return f"{day}, {parsed.day:02}-{month}-{parsed.year % 100:02} {clock} GMT"
    return f"{day[:3]} {month} {parsed.day:>2} {clock} {parsed.year}"


#: The changes a learned validator goes through (:attr:`From.change`), by name.
CHANGES: dict[str, Callable[[str], str | None]] = {
    "": lambda value: value,
    "strong": strong,
    "weak": weak,
    "stale": stale,
    "day before": lambda date: moved(date, -1),
    "day after": lambda date: moved(date, 1),
    "rfc850": lambda date: restated(date, "rfc850"),
    "asctime": lambda date: restated(date, "asctime"),
}


def made(parts: tuple[str | From, ...], read: Callable[[str], str | None]) -> str | None:
    """``parts`` joined, each :class:`From` read with ``read`` (an answer's ``header``)
    and changed; None when the answer lacks the validator or the change cannot be made (a
    Last-Modified that is no date)."""
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
            continue
        value = read(part.field)
        changed = None if value is None else CHANGES[part.change](value)
        if changed is None:
            return None
        out.append(changed)
    return "".join(out)


def sources(sequence: Sequence[Request]) -> list[dict[int, tuple[LearnedField, int]]]:
    """For each request of ``sequence``, its learned fields whose teacher is among the
    requests before it, by index in its headers: the field, and the position of the latest
    such request (whose answer a replay reads)."""
    out = []
    for position, request in enumerate(sequence):
        found: dict[int, tuple[LearnedField, int]] = {}
        for learned in request.learned:
            index = next(
                (
                    index
                    for index, pair in enumerate(request.headers)
                    if pair == (learned.name, learned.value) and index not in found
                ),
                None,
            )
            teacher = next(
                (at for at in range(position - 1, -1, -1) if sequence[at] == learned.teacher),
                None,
            )
            if index is not None and teacher is not None:
                found[index] = (learned, teacher)
        out.append(found)
    return out


def untaught(sequence: Sequence[Request]) -> list[LearnedField]:
    """The learned fields of ``sequence`` a replay sends as the run did: their teacher is
    none of the requests before them (or unknown: another target's answer)."""
    taught = sources(sequence)
    return [
        learned
        for request, found in zip(sequence, taught, strict=True)
        for learned in request.learned
        if (learned.name, learned.value) in request.headers
        and all(each is not learned for each, _ in found.values())
    ]


def relearned(
    request: Request, found: dict[int, tuple[LearnedField, int]], answers: Sequence[Response]
) -> Request | None:
    """``request`` with each learned field of ``found`` (its :func:`sources`) made again
    from the answer its teacher got (``answers``, by position); None when that answer
    lacks what it learned."""
    if not found:
        return request
    headers = list(request.headers)
    for index, (learned, teacher) in found.items():
        value = made(learned.parts, answers[teacher].header)
        if value is None:
            return None
        headers[index] = (learned.name, value)
    return request.replace(headers=tuple(headers))


def replay(send: Callable[[Request], Response], sequence: Sequence[Request]) -> list[Response]:
    """The answers to ``sequence`` sent in order with ``send``, each learned field made
    again from the answer its teacher got here (ValueError when that answer lacks it)."""
    answers: list[Response] = []
    for request, found in zip(sequence, sources(sequence), strict=True):
        sent = relearned(request, found, answers)
        if sent is None:
            raise ValueError(f"an answer that taught {request.method} {request.target} lacks it")
        answers.append(send(sent))
    return answers
