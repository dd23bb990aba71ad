"""What a server refuses from ``start_response``: the status and header checks.

PEP 3333 makes a bad status or header a fatal error, and recommends the server check "when
start_response is called, so that an error can be raised while the application is still
running". :func:`check_status` and :func:`check_headers` do that and raise
:class:`RefusedCall` naming the broken rule.

Both run on every request, so valid values are remembered (bounded caches): an app that sends
``"200 OK"`` and ``("Content-Type", "text/plain")`` each time pays for one dict lookup.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..model import grammar
from ..model.untrusted import QUOTE_LIMIT, quoted, safe_repr, show, type_name

__all__ = [
    "HeadFacts",
    "Problem",
    "RefusedCall",
    "check_headers",
    "check_status",
    "field_problems",
    "head_problems",
    "headers_problems",
    "status_problems",
]

_CACHE_LIMIT = 4096
_valid_statuses: dict[str, tuple[int, str]] = {}
#: Valid (name, value) header tuples, mapped to the lower-cased name.
_valid_fields: dict[tuple[str, str], str] = {}


class RefusedCall(RuntimeError):
    """Raised into the application when it calls ``start_response`` or ``write`` wrongly.

    PEP 3333 calls these "fatal errors"; the server raises from the call so the mistake
    surfaces inside the app, at the line that made it. ``rule`` names the broken rule.
    """

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(f"{rule}: {message}")
        self.rule = rule


class HeadFacts(NamedTuple):
    """What the server needs to know about a valid header list (returned as a plain tuple)."""

    headers: list[tuple[str, str]]
    content_length: int | None
    has_date: bool
    has_server: bool


def check_status(status: object) -> tuple[int, str]:
    """The (code, reason) of a valid status string; raise :class:`RefusedCall` otherwise."""
    if type(status) is str:
        known = _valid_statuses.get(status)
        if known is not None:
            return known
    result = _check_status(status)
    if len(_valid_statuses) >= _CACHE_LIMIT:
        _valid_statuses.clear()
    _valid_statuses[status] = result  # type: ignore[index]
    return result


def _check_status(status: object) -> tuple[int, str]:
    problems = status_problems(status)
    if problems:
        raise RefusedCall(*problems[0])
    assert isinstance(status, str)
    return int(status[:3]), status[4:]


#: A broken requirement: (rule id, message).
Problem = tuple[str, str]


def _quoted_controls(text: str, controls: re.Pattern[str]) -> str:
    """``text`` quoted, and its first control character named where the quote is cut
    before it (a trial of 2026-12-07 read a Location cut after a byte 0x92, a character
    the rule does not count, with the 0x14 it does out of sight)."""
    shown = quoted(text)
    first = controls.search(text)
    # (Sought in the quote itself: how far a repr's escapes reach depends on the quotes the
    # whole value holds, a review of 2026-12-07.)
    if first is None or not shown.endswith("...") or safe_repr(first.group())[1:-1] in shown:
        return shown
    where = f"character {first.end()} of {len(text)}"
    return f"{shown} (the first, {safe_repr(first.group())}, is {where})"


def status_problems(status: object) -> list[Problem]:
    """Every rule ``status`` breaks (empty for a valid status), each checked on its own."""
    if type(status) is not str:
        return [("APP-STATUS-STR", f"status must be str, not {type_name(status)}")]
    problems = []
    if grammar.control_chars_re.search(status):
        problems.append(
            (
                "APP-STATUS-NO-CONTROL",
                "status has control characters: "
                + _quoted_controls(status, grammar.control_chars_re),
            )
        )
    if not grammar.is_latin1(status):
        problems.append(("APP-STATUS-HEADERS-LATIN1", f"status is not latin-1: {quoted(status)}"))
    form = grammar.wsgi_status_re.fullmatch(status)
    if form is None:
        problems.append(
            (
                "APP-STATUS-FORMAT",
                f"status must be a 3-digit code, one space and a reason (if any), like '200 OK': "
                f"{quoted(status)}",
            )
        )
    elif not 100 <= int(form["code"]) <= 599:
        # RFC 9110 §15: "Values outside the range 100..599 are invalid." (A trial of
        # 2026-12-06: "999 Weird" went out as it was, and the run passed.)
        problems.append(
            (
                "APP-STATUS-FINAL",
                f"status {status[:3]} is outside 100-599, the range of HTTP status codes "
                "(RFC 9110 §15)",
            )
        )
    elif int(form["code"]) < 200:
        problems.append(
            (
                "APP-STATUS-FINAL",
                f"status {status[:3]} is interim (1xx); a WSGI app can only send a final response",
            )
        )
    return problems


def check_headers(headers: object) -> HeadFacts:
    """Validate ``response_headers``; raise :class:`RefusedCall` naming the first bad field."""
    if type(headers) is not list:
        raise RefusedCall(
            "APP-HEADERS-LIST", f"response_headers must be a list, not {type_name(headers)}"
        )
    length: int | None = None
    has_date = has_server = False
    for item in headers:
        # Only a pair of exact strings is looked up: hashing a tuple hashes its items, and
        # a subclass's __hash__ or __eq__ is the app's code.
        if type(item) is tuple and len(item) == 2 and type(item[0]) is type(item[1]) is str:
            lower = _valid_fields.get(item)
        else:
            lower = None
        if lower is None:
            lower = _check_field(item)
        if lower == "content-length":
            declared = grammar.content_length(item[1])  # valid, so a number
            if length is not None and declared != length:
                raise RefusedCall("APP-CL-SYNTAX", "two Content-Length headers that disagree")
            length = declared
        elif lower == "date":
            has_date = True
        elif lower == "server":
            has_server = True
    return list(headers), length, has_date, has_server  # type: ignore[return-value]


def _check_field(item: object) -> str:
    """Validate one header field and remember it; return its lower-cased name."""
    problems = field_problems(item)
    if problems:
        raise RefusedCall(*problems[0])
    assert isinstance(item, tuple)
    lower: str = item[0].lower()
    if len(_valid_fields) >= _CACHE_LIMIT:
        _valid_fields.clear()
    _valid_fields[item] = lower
    return lower


def field_problems(item: object) -> list[Problem]:
    """Every rule one ``(name, value)`` header item breaks, each checked on its own."""
    if type(item) is not tuple or len(item) != 2:
        return [
            ("APP-HEADERS-TUPLES", f"each header must be a (name, value) tuple: {safe_repr(item)}")
        ]
    name, value = item
    if type(name) is not str or type(value) is not str:
        return [("APP-HEADER-STR", f"header name and value must be str: {safe_repr(item)}")]
    problems = []
    if grammar.token_re.fullmatch(name) is None:
        if grammar.is_latin1(name):
            problems.append(
                ("APP-HEADER-NAME-TOKEN", f"header name is not an RFC 9110 token: {quoted(name)}")
            )
        else:
            problems.append(
                ("APP-STATUS-HEADERS-LATIN1", f"header name is not latin-1: {quoted(name)}")
            )
    if grammar.value_control_chars_re.search(value):
        problems.append(
            (
                "APP-HEADER-VALUE-NO-CONTROL",
                f"header {_named(name)} has control characters: "
                + _quoted_controls(value, grammar.value_control_chars_re),
            )
        )
    if not grammar.is_latin1(value):
        problems.append(
            (
                "APP-STATUS-HEADERS-LATIN1",
                f"header {_named(name)} value is not latin-1: {quoted(value)}",
            )
        )
    lower = name.lower()
    if lower in grammar.HOP_BY_HOP_HEADERS:
        rule = "APP-NO-TRANSFER-ENCODING" if lower == "transfer-encoding" else "APP-NO-HOP-BY-HOP"
        sent = safe_repr(value, limit=80)
        problems.append(
            (rule, f"{_named(name)} is hop-by-hop: the server owns it (the app gave {sent})")
        )
    elif lower == "content-length" and grammar.content_length(value) is None:
        if grammar.content_length_re.fullmatch(value.strip(" \t")):
            message = f"Content-Length has more than {grammar.MAX_DIGITS} digits"
        else:
            message = f"Content-Length is not a number: {quoted(value)}"
        problems.append(("APP-CL-SYNTAX", message))
    return problems


def _named(name: str) -> str:
    """A header's name as a message names it: as it is, escaped and cut to a quote's
    length (a name of escapes is four times as long shown)."""
    return show(name, limit=QUOTE_LIMIT)


def headers_problems(headers: object) -> list[Problem]:
    """Every rule a ``response_headers`` argument breaks, item by item."""
    problems: list[Problem] = []
    if type(headers) is not list:
        problems.append(
            (
                "APP-HEADERS-LIST",
                f"response_headers must be a list, not {type_name(headers)}",
            )
        )
        if not isinstance(headers, list | tuple):
            return problems
    lengths = set()
    for item in headers:
        found = field_problems(item)
        problems.extend(found)
        if not found and item[0].lower() == "content-length":
            lengths.add(grammar.content_length(item[1]))
    if len(lengths) > 1:
        problems.append(("APP-CL-SYNTAX", "two Content-Length headers that disagree"))
    return problems


def head_problems(status: object, headers: object) -> list[Problem]:
    """:func:`status_problems` and :func:`headers_problems` of one call, in that order.

    A status and fields the server accepted before are answered from its caches of valid
    values, so judging a valid call costs a few look-ups.
    """
    if type(status) is str and status in _valid_statuses and type(headers) is list:
        lengths = set()
        for item in headers:
            if not (
                type(item) is tuple and len(item) == 2 and type(item[0]) is type(item[1]) is str
            ):
                break
            lower = _valid_fields.get(item)
            if lower is None:
                break
            if lower == "content-length":
                lengths.add(grammar.content_length(item[1]))
        else:
            if len(lengths) <= 1:
                return []
    return status_problems(status) + headers_problems(headers)
