"""Text the app or a network client controls, made safe to print anywhere: one line, bounded.

Status lines, headers, exception messages, type names, file and function names come from
the application; request targets and headers come from whoever connects to ``serve``. Any
of them may hold an escape sequence that recolours a terminal, a line break that starts a
``::error`` workflow command at column 0, a lone surrogate that no UTF-8 writer can encode,
or a megabyte of text. :func:`show` is the one way such a value reaches an output; each
format then adds only its own markup escaping (HTML, XML, Markdown) on top.

This module imports nothing of the package, so every layer can use it.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

__all__ = [
    "INVISIBLE",
    "LIMIT",
    "UNSAFE_PAST_C0",
    "as_sent",
    "class_name",
    "plain",
    "safe_repr",
    "show",
    "shown_target",
    "type_name",
    "written_lines",
]

#: How many characters of one value an output shows by default (marker included).
LIMIT = 1000

#: What a reader cannot see, or cannot tell from a plain space or from nothing: the no-break
#: and other spaces of Unicode (a raw byte 0xA0 in a request target is one), every format
#: character (the soft hyphen, zero-width characters, joiners and directional marks,
#: invisible operators, the tag characters, which can spell text no one sees), the blank
#: fillers that are letters (Hangul's, Khmer's inherent vowels, the Braille blank), the
#: variation selectors, and the unassigned code points a renderer must draw as nothing
#: (default ignorable: U+2065, U+FFF0-FFF8, the rest of U+E0000-E0FFF). A character
#: class's contents.
INVISIBLE = (
    "\xa0\xad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
    "\u1680\u17b4\u17b5\u180b-\u180f\u2000-\u200f\u202f\u205f-\u206f\u2800\u3000"
    "\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
#: The noncharacters: U+FDD0 to U+FDEF, and the last two code points of each plane (XML
#: cannot hold U+FFFE and U+FFFF, and HTML calls each a parse error: the Nu checker
#: failed a report with an app's U+10FFFF in it, a trial of 2026-12-07).
NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)
)
#: Besides the C0 controls (which each format escapes its own way): DEL, C1 controls (NEL
#: among them), the line and paragraph separators, bidirectional overrides and isolates
#: (which reorder what a reader sees), the byte-order mark, lone surrogates, the
#: noncharacters, and what is invisible. A character class's contents.
UNSAFE_PAST_C0 = (
    "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff" + NONCHARACTERS + INVISIBLE
)
# And the C0 controls (tab, CR and LF too).
_CONTROLS = "\x00-\x1f" + UNSAFE_PAST_C0
# Besides, what the GitHub Actions runner reads as a workflow command in any line printed
# in CI: ``::`` opening the line after leading white space (its first ``:`` is escaped),
# and the legacy ``##[`` anywhere (its first ``#`` is escaped).
_ESCAPED = re.compile(rf"(?P<lead>\A[^\S{_CONTROLS}]*):(?=:)|#(?=#\[)|[{_CONTROLS}]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
_MARKER = "… [{} more characters cut]"
#: The shortest bound :func:`show` accepts: room for the marker and some text.
_SHORTEST = 40


def _escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def _replace(match: re.Match[str]) -> str:
    lead = match.group("lead")
    return _escape(match.group()) if lead is None else lead + "\\x3a"


def plain(text: str) -> str:
    """``text`` as a plain ``str``: none of a subclass's own methods ever run on it after.

    An app may pass a ``str`` subclass whose ``__format__``, ``__eq__``, ``__hash__``,
    ``lower`` or ``__getitem__`` raise or hang; its characters, copied out, are safe.
    """
    return text if type(text) is str else str.__getitem__(text, slice(None))


def as_sent(text: str) -> str:
    """Text of the bytes a message carried (a request's target or head, one latin-1
    character a byte) with every byte past ASCII as a ``\\xNN`` escape: a raw byte 0xE9 and
    a UTF-8 "é" must not read alike, since only one of them reproduces what was seen. A
    character no byte carries (past latin-1) becomes its ``\\uNNNN``, and a backslash its
    ``\\x5c``, so that no text sent reads as an escape."""
    escaped = text.replace("\\", "\\x5c")
    return escaped.encode("latin-1", "backslashreplace").decode("ascii", "backslashreplace")


def type_name(value: object) -> str:
    """The qualified name of ``value``'s type, read without running any of its code."""
    return class_name(type(value))


def class_name(kind: type) -> str:
    """The qualified name of a class, read past any ``__qualname__`` its metaclass defines."""
    name = type.__dict__["__qualname__"].__get__(kind)
    return plain(name) if isinstance(name, str) else "?"


def show(value: object, *, limit: int = LIMIT) -> str:
    """``value`` as one line of safe text, at most ``limit`` characters long.

    A ``str`` is shown as it is, bytes as latin-1 (a byte per character, as HTTP carries
    them), anything else by :func:`safe_repr`. Control characters, line breaks, lone
    surrogates and invisible characters (:data:`INVISIBLE`) become visible escapes
    (``\\x1b``, ``\\n``, ``\\udcff``, ``\\xa0``), and so does what would
    open a GitHub Actions workflow command (``\\x3a:error``, ``\\x23#[``); text past the
    bound is cut with a marker saying how many characters went. Safe text comes back
    unchanged.
    """
    if limit < _SHORTEST:
        raise ValueError(f"limit must be at least {_SHORTEST}, not {limit}")
    if isinstance(value, str):
        text = plain(value)
    elif isinstance(value, bytes | bytearray):
        text = bytes(value[: limit + 1]).decode("latin-1")
        if len(value) > limit:  # keep the count of what was cut right
            return _cut(text, len(value), limit)
    else:
        text = safe_repr(value, limit=limit + 1)
    if len(text) <= limit:
        shown = _ESCAPED.sub(_replace, text)
        if len(shown) <= limit:
            return shown
    return _cut(text, len(text), limit)


def _cut(text: str, total: int, limit: int) -> str:
    """The first characters of ``text`` that fit ``limit`` once escaped, and the marker."""
    room = limit - len(_MARKER.format(total))
    head = text[:room]
    parts = []
    used = 0
    kept = 0
    for match in [*_ESCAPED.finditer(head), None]:
        start = len(head) if match is None else match.start()
        plain = head[kept:start]
        take = min(len(plain), room - used)
        parts.append(plain[:take])
        used += take
        kept += take
        if match is None or take < len(plain):
            break
        piece = _replace(match)
        if used + len(piece) > room:
            break
        parts.append(piece)
        used += len(piece)
        kept = match.end()
    return "".join(parts) + _MARKER.format(total - kept)


#: What stands for the middle of a target cut short.
_MIDDLE = "… [{} characters cut] …"
#: One character of escaped text: an escape (``\\xe9``, ``\\n``) or any other character.
_SHOWN_UNIT = re.compile(r"\\(?:x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8}|[tnr])|.", re.DOTALL)


def shown_target(target: str, *, limit: int = 80) -> str:
    """A request target as sent (:func:`as_sent`), as one line of safe text of at most
    ``limit`` characters, cut in its middle rather than at its end: a drawn target's end
    (a segment a run added to a path the user named, ``.../react.min.js/1\\xc3\\xa9``) is
    most often what the app answered, and the start says which path it was."""
    if limit < _SHORTEST:
        raise ValueError(f"limit must be at least {_SHORTEST}, not {limit}")
    units = _SHOWN_UNIT.findall(_ESCAPED.sub(_replace, as_sent(plain(target))))
    if sum(map(len, units)) <= limit:
        return "".join(units)
    room = limit - len(_MIDDLE.format(len(units)))
    head: list[str] = []
    for unit in units:
        if sum(map(len, head)) + len(unit) > room * 2 // 3:
            break
        head.append(unit)
    tail: list[str] = []
    for unit in reversed(units[len(head) :]):
        if sum(map(len, head)) + sum(map(len, tail)) + len(unit) > room:
            break
        tail.append(unit)
    cut = len(units) - len(head) - len(tail)
    return "".join(head) + _MIDDLE.format(cut) + "".join(reversed(tail))


def written_lines(text: str) -> list[str]:
    """The lines of what an app wrote, to show each with :func:`show`: split at line feeds
    alone, a CRLF's CR dropped with its LF. Any other line break (a bare CR redrawing a
    progress bar, a form feed, U+2028) stays in its line, where :func:`show` escapes it:
    ``str.splitlines`` would turn each into a line of its own, not as written."""
    if not text:
        return []
    lines = text.removesuffix("\n").split("\n")
    ended = len(lines) if text.endswith("\n") else len(lines) - 1  # those an LF followed
    return [line.removesuffix("\r") if at < ended else line for at, line in enumerate(lines)]


#: How many characters of an offending value a finding's message quotes.
QUOTE_LIMIT = 60


def quoted(value: object) -> str:
    """An offending value as a message quotes it: its ``repr`` by :func:`safe_repr` (none of
    the app's code runs), cut with ``...`` past :data:`QUOTE_LIMIT` characters, whatever its
    length (a status of 10 MB made messages six times its size: an adversarial trial of
    2026-12-06)."""
    text = safe_repr(value, limit=QUOTE_LIMIT + 1)
    return text if len(text) <= QUOTE_LIMIT else text[:QUOTE_LIMIT] + "..."


def safe_repr(value: object, *, limit: int = LIMIT) -> str:
    """A ``repr`` of ``value`` that runs none of the app's code, about ``limit`` long at most.

    Built-in scalars, strings, bytes and the built-in containers are written as ``repr``
    writes them (containers item by item, a few levels deep); any other object, whose own
    ``__repr__`` could raise, hang or lie, is shown by its type's name only.
    """
    out: list[str] = []
    _write(value, out, [max(limit, 0)], depth=0)
    return "".join(out)


_SCALARS = (bool, int, float, complex, type(None), type(Ellipsis))
#: The containers written item by item (exact types only: a subclass may override anything).
_OPEN: dict[type, tuple[str, str]] = {
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
    dict: ("{", "}"),
}


def _write(value: object, out: list[str], budget: list[int], depth: int) -> None:
    """Append the repr of ``value`` to ``out`` while ``budget[0]`` characters remain."""
    if budget[0] <= 0:
        return
    kind = type(value)
    if isinstance(value, str | bytes | bytearray) and kind in (str, bytes, bytearray):
        text = repr(value[: budget[0]])
    elif isinstance(value, int) and kind is int:
        try:
            text = repr(value)
        except ValueError:  # past the interpreter's limit on digits
            text = f"<int of {value.bit_length()} bits>"
    elif kind in _SCALARS:
        text = repr(value)
    elif kind is type:  # a class (not one of a metaclass of the app's): its name
        text = f"<class {class_name(value)!r}>"  # type: ignore[arg-type]
    elif isinstance(value, dict) and kind is dict:
        _items(list(islice(value.items(), budget[0])), _OPEN[dict], out, budget, depth, pairs=True)
        return
    elif isinstance(value, list | tuple | set | frozenset) and kind in _OPEN:
        _items(list(islice(value, budget[0])), _OPEN[kind], out, budget, depth, pairs=False)
        return
    else:
        text = f"<{type_name(value)} object>"
    if len(text) > budget[0]:  # cut where it shows: a string's quote no longer closes it
        text = text[: budget[0]] + _CUT
    out.append(text)
    budget[0] -= len(text)


#: What ends a value :func:`safe_repr` cut short (as it ends a container's items).
_CUT = "..."


def _items(
    items: list[Any],
    brackets: tuple[str, str],
    out: list[str],
    budget: list[int],
    depth: int,
    *,
    pairs: bool,
) -> None:
    opening, closing = brackets
    if depth >= 4:
        out.append(f"{opening}...{closing}")
        budget[0] -= 5
        return
    out.append(opening)
    budget[0] -= len(opening)
    for index, item in enumerate(items):
        if budget[0] <= 0:
            if not out[-1].endswith(_CUT):  # an item cut short says so already
                out.append(_CUT)
            return
        if index:
            out.append(", ")
            budget[0] -= 2
        if pairs:
            _write(item[0], out, budget, depth + 1)
            if out[-1].endswith(_CUT):  # the key was cut short: nothing follows it
                return
            out.append(": ")
            budget[0] -= 2
            item = item[1]
        if budget[0] <= 0:  # no room left for the item (or the value) after ", " or ": "
            if not out[-1].endswith(_CUT):
                out.append(_CUT)
            return
        _write(item, out, budget, depth + 1)
    if out[-1].endswith(_CUT):  # the last item was cut short: nothing closes
        return
    if brackets == _OPEN[tuple] and len(items) == 1:  # (x,), as repr writes it
        out.append(",")
    out.append(closing)
    budget[0] -= len(closing)
