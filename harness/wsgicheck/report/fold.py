"""Lines that fit a terminal's 100 columns, and reproducers that still run once folded.

Prose wraps at spaces (a word longer than a line is cut). A shell command is folded at its
words with `` \\`` continuations, and a word too long for a line is cut where the shell
joins it back (outside quotes, or by closing and reopening single quotes). A line of
Python is folded inside its string literals, which Python joins back when they sit side
by side in brackets (where every long literal of a reproducer is). Raw HTTP is display
only (the exact bytes are in the JSON report): it is cut with its continuation indented.
"""

from __future__ import annotations

import io
import re
import textwrap
import tokenize

__all__ = ["WIDTH", "fold_http", "fold_python", "fold_shell", "wrap"]

WIDTH = 100


def wrap(text: str, *, indent: str = "", more: str | None = None, width: int = WIDTH) -> list[str]:
    """``text`` as lines of at most ``width``, the first after ``indent``, the others after
    ``more`` (two spaces deeper than ``indent`` unless given)."""
    more = indent + "  " if more is None else more
    wrapper = _Wrapper(
        width=width - _room_for_escape(text),
        initial_indent=indent,
        subsequent_indent=more,
        break_on_hyphens=False,
        drop_whitespace=True,
    )
    return [_no_command(line) for line in wrapper.wrap(text)] or [indent.rstrip()]


#: The start of an escape :func:`~wsgicheck.model.untrusted.show` wrote, cut short at the
#: end of a piece (``\x9`` of ``\x9b``).
_cut_escape_re = re.compile(r"\\(?:x[0-9a-f]?|u[0-9a-f]{0,3}|U[0-9a-f]{0,7})?\Z")


def _whole_escapes(piece: str, end: int) -> int:
    """Where to cut ``piece`` at ``end`` or before, so that no escape is split across two
    lines (a trial of 2026-12-07 read ``\\x9b`` wrapped as ``\\x9`` and ``b``)."""
    cut = _cut_escape_re.search(piece, 0, end)
    return cut.start() if cut is not None and cut.start() > 0 else end


class _Wrapper(textwrap.TextWrapper):
    """textwrap's, cutting a word longer than a line where no escape is split."""

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        chunk = reversed_chunks[-1]
        room = width - cur_len if width >= 1 else 1  # as textwrap's own
        cut = _cut_escape_re.search(chunk, 0, room)
        if cut is not None and cut.start() == 0 and cur_line:
            return  # an escape opens the word where this line ends: the word starts the next
        end = _whole_escapes(chunk, room)
        cur_line.append(chunk[:end])
        reversed_chunks[-1] = chunk[end:]


def fold_http(line: str, *, indent: str, width: int = WIDTH) -> list[str]:
    """One line of a raw HTTP message, cut into pieces that fit; the pieces after the first
    indented two more spaces."""
    room = width - len(indent)
    if len(line) <= room:
        return [indent + line]
    # (A character a line at least, however narrow: each cut must move on.)
    pieces = [line[: (end := _whole_escapes(line, max(room, 1)))]]
    room = max(room - 2 - _room_for_escape(line), 1)
    rest = line[end:]
    while rest:
        end = _whole_escapes(rest, room) if len(rest) > room else len(rest)
        pieces.append(rest[:end])
        rest = rest[end:]
    return [indent + pieces[0]] + [_no_command(indent + "  " + piece) for piece in pieces[1:]]


#: A line that opens with ``::`` (after white space) reads as a workflow command in CI.
_command_re = re.compile(r"\A(\s*):(?=:)")


def _room_for_escape(text: str) -> int:
    """Columns to keep free on each line for :func:`_no_command`'s escape."""
    return 3 if "::" in text else 0


def _no_command(line: str) -> str:
    """A display line that cannot read as a workflow command: a cut or a wrap can start a
    line with the ``::`` that :func:`~wsgicheck.model.untrusted.show` let through mid-line, and
    its first ``:`` is then shown as ``\\x3a`` (as ``show`` does at a line's start)."""
    return _command_re.sub(r"\1\\x3a", line)


_word_re = re.compile(r"""(?:[^\s'"\\]+|\\.|'[^']*'|"(?:[^"\\]|\\.)*"|\$'(?:[^'\\]|\\.)*')+""")


def fold_shell(command: str, *, indent: str, width: int = WIDTH) -> list[str]:
    """A shell command as lines of at most ``width`` that the shell reads as the same
    command: words joined by `` \\`` line ends, the lines after the first indented."""
    words = _word_re.findall(command)
    if " ".join(words) != command:  # not words one space apart: left as it is
        return [indent + command]
    width -= 1 if "::" in command else 0  # room for the escape of a line's leading ':'
    more = indent + "  "
    lines: list[str] = []
    current = indent
    for word in words:
        if current.strip() and len(current) + 1 + len(word) + 2 > width:
            lines.append(current + " \\")
            current = more
        if len(current) + len(word) + 2 > width:
            pieces = _cut_word(word, width - len(current) - 2, width - 2)
            if pieces is not None:
                lines.append(current + (" " if current.strip() else "") + pieces[0] + "\\")
                lines.extend(piece + "\\" for piece in pieces[1:-1])
                current = pieces[-1]
                continue
        current += (" " if current.strip() else "") + word
    lines.append(current)
    # A line opening with ``::`` reads as a workflow command in CI; it opens a word or a
    # piece of one outside quotes, where ``\:`` is the same ':' to the shell.
    return [lines[0], *(_command_re.sub(r"\1\\:", line) for line in lines[1:])]


#: The parts of a shell word: (how the part opens, its body, how it closes); a cut between
#: two characters of a body closes the part and opens it again on the next line.
_parts_re = re.compile(
    r"""(?P<plain>(?:[^\s'"\\$]|\\.)+)|'(?P<single>[^']*)'|"(?P<double>(?:[^"\\]|\\.)*)"|"""
    r"""\$'(?P<ansi>(?:[^'\\]|\\.)*)'""",
    re.S,
)
_QUOTES = {"plain": ("", ""), "single": ("'", "'"), "double": ('"', '"'), "ansi": ("$'", "'")}
#: What cannot be cut: an escape (``\x41``, ``\101``, ``\n``) or one character.
_atom_re = re.compile(r"\\(?:x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)|.", re.S)


def _cut_word(word: str, first: int, room: int) -> list[str] | None:
    """A word cut into pieces (the first of at most ``first`` characters, then ``room``)
    that a shell joins back when each but the last ends in a backslash-newline and the
    next starts its line: each piece closes the quotes it opened. None for a word made
    of anything but plain, quoted, double-quoted and ``$'...'`` parts."""
    atoms: list[tuple[str, str]] = []  # (kind, atom)
    end = 0
    for match in _parts_re.finditer(word):
        if match.start() != end:
            return None
        end = match.end()
        kind = match.lastgroup or "plain"
        atoms += [(kind, atom) for atom in _atom_re.findall(match.group(kind))]
        if not match.group(kind):
            atoms.append((kind, ""))  # an empty '' is a part of its own
    if end != len(word):
        return None
    pieces: list[str] = []
    limit, piece, kind_open = max(first, 8), "", ""
    for kind, atom in atoms:
        opens, closes = _QUOTES[kind]
        closing = _QUOTES[kind_open][1] if kind_open else ""
        grows = len(atom) if kind == kind_open else len(closing) + len(opens) + len(atom)
        if piece and len(piece) + grows + len(closes) > limit:  # cut here
            pieces.append(piece + closing)
            piece, kind_open, limit, closing = "", "", room, ""
        if kind != kind_open:
            piece += closing + opens
            kind_open = kind
        piece += atom
    pieces.append(piece + (_QUOTES[kind_open][1] if kind_open else ""))
    return pieces


#: What a literal is not cut inside: an escape, one character, or a line's CR LF (a probe
#: trial of 2026-12-06 read a request cut between its "\\r" and its "\\n").
_escape_re = re.compile(
    r"\\r\\n|\\(?:x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|N\{[^}]*\}|.)|.", re.S
)


def fold_python(
    line: str, *, indent: str, width: int = WIDTH, depth: int = 0, continued: bool = False
) -> list[str]:
    """A line of a Python reproducer, its long string literals cut into literals side by
    side (which Python joins inside brackets), one a line, aligned where the first began;
    a literal that starts too far right starts a line of its own. ``depth``: how many
    brackets are open where the line starts; ``continued``: the line continues another
    (a literal of its own then starts where it does, not deeper)."""
    if len(indent) + len(line) <= width:
        return [indent + line]
    tokens = []
    try:  # a bracket left open at the end of the line: the tokens before it still count
        for token in tokenize.generate_tokens(io.StringIO(line.lstrip()).readline):
            tokens.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass
    indent += line[: len(line) - len(line.lstrip())]
    line = line.lstrip()
    strings = [t for t in tokens if t.type == tokenize.STRING and t.start[0] == 1]
    if not strings:
        return _at_a_comma(line, tokens, indent=indent, width=width, depth=depth)
    # The first literal that crosses the edge: what is before it fits.
    literal = next(
        (t for t in strings if len(indent) + t.end[1] >= width),  # (room for a comma)
        max(strings, key=lambda t: t.end[1] - t.start[1]),
    )
    start, end = literal.start[1], literal.end[1]
    head, text, tail = line[:start], line[start:end], line[end:]
    match = re.fullmatch(r"([rRbBuU]{0,2})(['\"])(.*)\2", text, re.S)
    if match is None or "r" in match.group(1).lower():
        return [indent + line]
    prefix, quote, body = match.groups()
    column = len(indent) + len(head)
    opened = depth + sum(
        (t.string in "([{") - (t.string in ")]}")
        for t in tokens
        if t.type == tokenize.OP and t.end[1] <= start
    )
    if column > width // 2 and opened > 0 and head.strip():
        if len(indent) + len(head.rstrip()) > width:  # what is before it does not fit
            return _at_a_comma(line, tokens, indent=indent, width=width, depth=depth)
        # Too far right to fold well: the literal starts a line of its own (the bracket
        # it is in lets the line break there).
        deeper = len(indent) + (0 if continued else 4)
        again = fold_python(
            " " * deeper + text + tail, indent="", width=width, depth=opened, continued=True
        )
        return [indent + head.rstrip(), *again]
    wrapped = opened == 0
    if wrapped:
        # Literals side by side are joined only inside brackets: outside any, the folded
        # literal goes in parentheses of its own, one piece a line below the statement.
        column = len(indent) + 4
    atoms = _escape_re.findall(body)
    room = max(width - column - len(prefix) - 2, 8)
    # What the last piece's line ends with, past its literal: the brackets closed and a
    # comma right after it (the review of 2026-12-06 found a folded line at 101 columns).
    found = _CLOSING.match(tail)
    closing = len(found.group()) if found is not None and not wrapped else 0
    pieces: list[str] = []
    current = ""
    for index, atom in enumerate(atoms):
        last = index == len(atoms) - 1
        if current and len(current) + len(atom) + (closing if last else 0) > room:
            pieces.append(current)
            current = ""
        current += atom
    pieces.append(current)
    if len(pieces) == 1 and not (wrapped and head.strip()):
        # The longest literal fits: nothing to fold, a comma may break. (Outside brackets,
        # after ``request = ``, it fits on a line of its own below, in parentheses.)
        return _at_a_comma(line, tokens, indent=indent, width=width, depth=depth)
    literals = [f"{prefix}{quote}{piece}{quote}" for piece in pieces]
    if wrapped:
        lines = [indent + head + "("]
        lines += [" " * column + each for each in literals]
        lines.append(indent + ")" + tail)
        return lines
    lines = [indent + head + literals[0]]
    lines += [" " * column + each for each in literals[1:]]
    lines[-1] += tail
    if len(lines[-1]) > width:  # another long literal after this one
        lines[-1:] = fold_python(lines[-1], indent="", width=width, depth=opened, continued=True)
    return lines


#: The brackets closed, and a comma, right after a literal.
_CLOSING = re.compile(r"[)\]}]*,?")


def _at_a_comma(
    line: str, tokens: list[tokenize.TokenInfo], *, indent: str, width: int, depth: int
) -> list[str]:
    """``line`` (no literal to fold) broken after a comma inside brackets, the last that
    fits of those in the fewest brackets, the rest aligned after the bracket it is in
    (``headers=(('Host', 'x'), ('If-Range', moved(d, -1))),`` after its first item, not
    inside ``moved``); as it is where there is none."""
    open_at: list[int] = []  # the columns of the brackets opened on the line, still open
    outer = depth  # brackets opened before the line, still open
    best: tuple[int, int, int] | None = None  # (brackets open, end of the comma, column)
    for token in tokens:
        if token.start[0] != 1:
            break
        if token.type != tokenize.OP:
            continue
        if token.string in "([{":
            open_at.append(token.start[1])
        elif token.string in ")]}":
            if open_at:
                open_at.pop()
            else:
                outer = max(outer - 1, 0)
        elif (
            token.string == ","
            and (open_at or outer)  # a line may break inside brackets only
            and len(indent) + token.end[1] <= width
            and token.end[1] < len(line.rstrip())
        ):
            found = (len(open_at) + outer, token.end[1], open_at[-1] + 1 if open_at else 4)
            if best is None or found[0] <= best[0]:
                best = found
    if best is None:
        return [indent + line]
    opened, end, column = best
    rest = line[end:].lstrip()
    more = fold_python(" " * column + rest, indent=indent, width=width, depth=opened)
    return [indent + line[:end], *more]
