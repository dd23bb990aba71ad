"""Strategies that draw much in one Hypothesis choice.

Hypothesis spends about 70 µs on each choice it makes (its record, its tree of what was
tried, its mutations), whatever the choice draws. A list of pieces costs it one choice and
a span for every element; one string of stand-in characters, one for each possible piece,
costs it one, and still shrinks (to fewer pieces, and to simpler ones). The request
strategies draw paths, queries, header names and cookie pairs this way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from hypothesis import strategies as st

__all__ = ["TEXT", "picks", "pieces", "rolls"]

T = TypeVar("T")

#: Every character UTF-8 can encode (all but the surrogates): what ``st.text()`` draws by
#: default, the same draws, without the table of the codec it builds for that on a machine's
#: first run (about 2 s, in the first draw: a ``@given`` test of the user's failed its
#: ``too_slow`` health check on a fresh checkout; the categories' table takes 0.4 s).
TEXT = st.characters(exclude_categories=["Cs"])
#: The first private-use character (U+E000): the stand-ins are never real text.
_FIRST = 0xE000


def _stand_ins(choices: Sequence[object]) -> list[str]:
    """One private-use character for each choice: an alphabet Hypothesis draws a whole
    string of in one choice."""
    return [chr(_FIRST + index) for index in range(len(choices))]


def pieces(choices: list[str], max_size: int, *, min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings made of the given pieces (which may be longer than one character).

    Drawn as one string of stand-ins, one character a piece, then expanded: one choice for
    Hypothesis, where a list of pieces costs it one (and a span) for every piece."""
    alphabet: list[str] = []
    stand_ins: dict[int, str] = {}
    for piece in dict.fromkeys(choices):
        if len(piece) != 1:
            stand_ins[_FIRST + len(stand_ins)] = piece  # a private-use character
            piece = chr(_FIRST + len(stand_ins) - 1)
        alphabet.append(piece)
    text = st.text(alphabet=st.sampled_from(alphabet), min_size=min_size, max_size=max_size)
    return text.map(lambda drawn: drawn.translate(stand_ins)) if stand_ins else text


def picks(
    choices: Sequence[T], max_size: int, *, min_size: int = 0
) -> st.SearchStrategy[tuple[T, ...]]:
    """Tuples of ``choices`` (repeats allowed), in one Hypothesis choice: a string of
    stand-ins, read back as the choices they stand for (see :func:`pieces`)."""
    items = list(choices)
    text = st.text(
        alphabet=st.sampled_from(_stand_ins(items)), min_size=min_size, max_size=max_size
    )
    return text.map(lambda drawn: tuple(items[ord(char) - _FIRST] for char in drawn))


def rolls(sides: Sequence[int]) -> st.SearchStrategy[tuple[int, ...]]:
    """A roll of each die, ``sides[i]`` the sides of the ``i``-th, in one Hypothesis choice:
    a string with a character a die, read back as each character's place in the alphabet
    modulo its die's sides.

    Not one integer with the rolls as its digits: Hypothesis draws small integers far more
    often than large ones, so the high digits would nearly always be 0. It draws each
    character of a string alike, and shrinks each towards the first (every roll towards 0).
    """
    faces = math.lcm(*sides) if sides else 1
    alphabet = st.sampled_from(_stand_ins(range(faces)))
    text = st.text(alphabet=alphabet, min_size=len(sides), max_size=len(sides))
    return text.map(
        lambda drawn: tuple(
            (ord(char) - _FIRST) % die for char, die in zip(drawn, sides, strict=True)
        )
    )
