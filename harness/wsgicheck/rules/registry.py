"""The rule registry: stable ids, levels, PEP sections, and the checks behind them.

A rule is declared once, with the :func:`rule` decorator on its check function; the
decorator is the single source of truth for its metadata (id, level, who it binds, PEP
section, summary, the PEP passage, the catalogue rows it covers). Registering an id twice
fails at import. Checks are plain functions over an :class:`~wsgicheck.rules.exchange.Exchange`
that yield :class:`Finding` values; they never drive I/O.

A rule may declare the evidence it reads (``needs``: all of it must be in the exchange for
the rule to apply) and the evidence without which it cannot find anything (``finds``: one of
it must be there). The engine then calls it only when that evidence is there, so a rule with
nothing to look at costs nothing; the names are :data:`~wsgicheck.rules.exchange.EVIDENCE`.
A rule that declares neither is asked (``applies``, then ``check``) on every exchange.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..model.events import Location, is_library
from ..model.extra import EXTRA_NAMES
from ..model.untrusted import quoted, show
from .exchange import EVIDENCE, EVIDENCE_PREFIXES

if TYPE_CHECKING:
    from ..model.request import Request
    from .exchange import Exchange

__all__ = [
    "ORIGIN",
    "REGISTRY",
    "Binding",
    "DuplicateRule",
    "Finding",
    "Level",
    "Rule",
    "a_method",
    "at",
    "byte_count",
    "quoted",
    "rule",
]

#: PEP 3333's pointer to HTTP, which every rule from RFC 9110 and 9112 cites: the app is
#: the origin server, the server a gateway, and the RFCs say what each sends.
ORIGIN = """In a sense, a server should consider itself to be like an HTTP "gateway server",
    with the application being an HTTP "origin server"."""


def byte_count(size: int) -> str:
    """``1 byte``, ``0 bytes``, ``140 bytes``: a size as a message says it."""
    return f"{size} byte" if size == 1 else f"{size} bytes"


def a_method(method: str) -> str:
    """``a GET``, ``an OPTIONS``: a request by its method, as a message names it (shown
    with :func:`~wsgicheck.model.untrusted.show`: a drawn method is any token)."""
    return ("an " if method[:1].upper() in "AEIOU" else "a ") + show(method)


def at(where: Location | None) -> str:
    """`` at app.py:12``, the user's line a message names (the report gives the full
    path); "" when the trace has none, or only a library's."""
    if where is None or is_library(where.file):
        return ""
    return f" at {os.path.basename(where.file)}:{where.line}"


class Level(enum.Enum):
    """How binding a rule is. SHOULD findings are warnings unless run strictly."""

    MUST = "MUST"
    SHOULD = "SHOULD"


class Binding(enum.Enum):
    """Who a rule binds: the application, the server's behaviour, or the environ it builds."""

    APP = "app"
    SERVER = "server"
    ENVIRON = "environ"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One violation of one rule, in one exchange."""

    rule: str
    level: Level
    message: str
    section: str
    #: Where in the application (or server) it happened, when known.
    where: Location | None = None
    #: The request that showed it.
    request: Request | None = None
    #: The server choices it was made under beyond what plain ``wsgicheck serve`` makes
    #: (``name=value``; a run sets them): what its request alone would not show again
    #: without (``empty_query_string='omit'``, which only the Python replay makes; a mount,
    #: which ``serve --script-name`` makes).
    choices: tuple[str, ...] = ()


Check = Callable[["Exchange"], Iterable[Finding]]
Applies = Callable[["Exchange"], bool]
Steady = Callable[["Exchange"], Sequence["Exchange"]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """A PEP 3333 requirement wsgicheck checks."""

    id: str
    level: Level
    binding: Binding
    #: The PEP 3333 section(s) the rule comes from.
    section: str
    #: One line saying what the rule requires.
    summary: str
    #: The PEP's own words (a short quote).
    pep: str
    #: Rows of the PEP 3333 catalogue (``specs/pep3333-rules.md``) this rule checks.
    covers: tuple[str, ...]
    check: Check = field(repr=False, compare=False)
    #: Whether an exchange holds the evidence the rule needs; when no exchange does, the
    #: rule is reported as skipped rather than passed.
    applies: Applies = field(repr=False, compare=False)
    #: A short example of a violation and its fix, for ``wsgicheck explain``.
    example: str = ""
    #: Where the requirement and its level come from: ``"PEP 3333"`` (then ``pep`` is a
    #: quote that occurs word for word in the PEP), an RFC section (``"RFC 9110 §9.3.2"``:
    #: ``pep`` is the PEP passage that points to HTTP), or ``"wsgicheck"`` (a rule of the
    #: harness's own, no requirement of either).
    source: str = "PEP 3333"
    #: The evidence the rule reads, all of which an exchange must hold for the rule to apply
    #: (``applies`` checks it too); None when the rule declared none.
    needs: frozenset[str] | None = field(default=None, repr=False, compare=False)
    #: Evidence without which the check finds nothing (any one of it will do); None when
    #: the check has to run to tell.
    finds: frozenset[str] | None = field(default=None, repr=False, compare=False)
    #: What ``applies`` asks beyond ``needs`` (None: nothing more).
    condition: Applies | None = field(default=None, repr=False, compare=False)
    #: ``"environ"``: the verdict (applies, findings) depends only on
    #: :attr:`Exchange.environ_view <wsgicheck.rules.exchange.Exchange.environ_view>`;
    #: ``"exchange"``: only on :attr:`~wsgicheck.rules.exchange.Exchange.record_view` (the
    #: rule reads no object of the app's or the server's beyond its plain values). The
    #: engine reuses a verdict for the next exchange with the same view.
    memo: str | None = field(default=None, repr=False, compare=False)
    #: For a rule over a sequence (one that reads the exchange's ``history``): whether the
    #: history may bear on its verdict for an exchange. When it may not, the verdict is the
    #: one the rule gives the exchange alone (and a ``memo`` applies to that). None: the
    #: rule never reads the history.
    sequence: Applies | None = field(default=None, repr=False, compare=False)
    #: For a rule that compares answers the app is taken to give steadily (two GETs alike
    #: around a HEAD): the earlier exchanges a finding on the exchange rests on. An app that
    #: varies at random (a random padding that decides whether a body is compressed) meets
    #: such a comparison by chance, so a run sends their requests and the judged one again
    #: and keeps the finding only when it shows again (see
    #: :mod:`wsgicheck.explore.collector`). None: the rule's findings stand as judged.
    steady: Steady | None = field(default=None, repr=False, compare=False)
    #: The source states the requirement without a keyword at this level: it follows from
    #: the text ``pep`` quotes, or from the PEP's own example code (the catalogue,
    #: ``specs/pep3333-rules.md``, marks the row †), or, for a rule of HTTP's, from a
    #: definition in the RFC section it cites (``specs/traceability/extra.md`` marks its row
    #: †). Reports say so beside the level.
    implied: bool = False

    @property
    def level_shown(self) -> str:
        """The level as reports show it beside the rule: ``MUST``, or ``MUST, implied``
        where the quote has no such keyword (a reader checks the quote against it)."""
        return f"{self.level.value}, implied" if self.implied else self.level.value

    @property
    def citation(self) -> str:
        """Where the rule comes from, as reports cite it before its ``pep`` passage:
        ``PEP 3333, The start_response() Callable``, ``RFC 9110 §15.2; PEP 3333, ...`` or
        the harness's own section; never a PEP citation for what an RFC or wsgicheck asks."""
        if self.source == "PEP 3333":
            return f"PEP 3333, {self.section}"
        if self.source == "wsgicheck":
            return self.section
        pep_parts = [part for part in self.section.split("; ") if not part.startswith("RFC")]
        return f"{self.source}" + (f"; PEP 3333, {'; '.join(pep_parts)}" if pep_parts else "")

    def findings(self, exchange: Exchange) -> list[Finding]:
        """Run the check on one exchange."""
        return list(self.check(exchange))

    def finding(self, exchange: Exchange, message: str, where: Location | None = None) -> Finding:
        """A finding of this rule in ``exchange``."""
        return Finding(
            rule=self.id,
            level=self.level,
            message=message,
            section=self.section,
            where=where,
            request=exchange.request,
        )


class DuplicateRule(Exception):
    """Two rules registered under one id."""


class _Registry:
    """All registered rules, by id, in registration order."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, new: Rule) -> None:
        if new.id in self._rules:
            raise DuplicateRule(f"rule id {new.id!r} is registered twice")
        self._rules[new.id] = new

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __len__(self) -> int:
        return len(self._rules)

    def ids(self) -> list[str]:
        return list(self._rules)

    def select(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
        """The rules whose id matches ``select`` (all if empty) and not ``ignore``.

        Patterns are ids or prefixes ending in ``*`` (``APP-*``, ``ENV-CGI-*``).
        """
        chosen = list(select)
        dropped = list(ignore)
        return [
            each
            for each in self._rules.values()
            if (not chosen or _matches(each.id, chosen)) and not _matches(each.id, dropped)
        ]


def _matches(rule_id: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("*") and rule_id.startswith(pattern[:-1]):
            return True
        if rule_id == pattern:
            return True
    return False


REGISTRY = _Registry()


def _always(exchange: Exchange) -> bool:
    return True


def _evidence_names(names: Iterable[str] | None, rule_id: str) -> frozenset[str] | None:
    """``names`` as a set, each checked against the evidence an exchange can hold."""
    if names is None:
        return None
    chosen = frozenset(names)
    for name in chosen:
        if name not in EVIDENCE and not name.startswith(EVIDENCE_PREFIXES):
            raise ValueError(f"rule {rule_id}: unknown evidence {name!r}")
        if name.startswith("extra:") and name.removeprefix("extra:") not in EXTRA_NAMES:
            raise ValueError(f"rule {rule_id}: {name!r} names no field of Extra")
    return chosen


def _applies_with(needs: frozenset[str], condition: Applies | None) -> Applies:
    """``applies`` of a rule that declared ``needs``: the evidence is there, and the rest."""
    if condition is None:
        return lambda exchange: needs <= exchange.evidence
    return lambda exchange: needs <= exchange.evidence and condition(exchange)


def rule(
    id: str,
    *,
    level: Level,
    binding: Binding,
    section: str,
    summary: str,
    pep: str,
    covers: tuple[str, ...] | None = None,
    applies: Applies | None = None,
    example: str = "",
    source: str = "PEP 3333",
    needs: Iterable[str] | None = None,
    finds: Iterable[str] | None = None,
    memo: str | None = None,
    sequence: Applies | None = None,
    steady: Steady | None = None,
    implied: bool = False,
) -> Callable[[Callable[[Rule, Exchange], Iterable[Finding]]], Rule]:
    """Register a check as the rule ``id``; the decorated function becomes the :class:`Rule`.

    The check receives the rule itself (to build findings) and the exchange. ``needs`` and
    ``finds`` name evidence (see :class:`Rule`); with ``needs``, ``applies`` is only what
    the rule asks beyond it. ``memo`` says what view of the exchange the verdict depends
    on (see :attr:`Rule.memo`); ``sequence`` when the exchange's history bears on it (see
    :attr:`Rule.sequence`); ``steady`` what its findings take as the app's steady answers
    (see :attr:`Rule.steady`); ``implied`` when the source states no keyword for it (see
    :attr:`Rule.implied`).
    """
    needed = _evidence_names(needs, id)
    found = _evidence_names(finds, id)
    if needed is None and (found is not None or memo is not None):
        raise ValueError(f"rule {id}: finds= and memo= need needs= (the evidence it reads)")
    if memo not in (None, "environ", "exchange"):
        raise ValueError(f"rule {id}: memo={memo!r}, not 'environ' or 'exchange'")
    if sequence is not None and memo == "environ":
        raise ValueError(f"rule {id}: a rule over a sequence reads more than the environ")
    if steady is not None and sequence is None:
        raise ValueError(f"rule {id}: steady= names earlier exchanges; it needs sequence=")
    whole = applies or _always
    if needed is not None:
        whole = _applies_with(needed, applies)

    def register(check: Callable[[Rule, Exchange], Iterable[Finding]]) -> Rule:
        def bound(exchange: Exchange) -> Iterable[Finding]:
            return check(registered, exchange)

        registered = Rule(
            id=id,
            level=level,
            binding=binding,
            section=section,
            summary=summary,
            pep=" ".join(pep.split()),
            covers=covers if covers is not None else (id,),
            check=bound,
            applies=whole,
            example=example.strip("\n"),
            source=source,
            needs=needed,
            finds=found,
            condition=applies if needed is not None else None,
            memo=memo,
            sequence=sequence,
            steady=steady,
            implied=implied,
        )
        REGISTRY.add(registered)
        return registered

    return register
