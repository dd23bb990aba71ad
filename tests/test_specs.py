"""specs/ and the rule registry agree, both ways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsgicheck.rules import REGISTRY

SPECS = Path(__file__).resolve().parent.parent / "specs"
CATALOGUE = SPECS / "pep3333-rules.md"
TRACE = SPECS / "traceability"

_row_re = re.compile(r"^\| `([A-Z0-9-]+)` \| ([^|]+) \|")
_how_re = re.compile(r"^(rule|probe|obsolete|paper: .+|permission: .+)$")


def catalogue_ids() -> list[str]:
    """The ids of the catalogue's rule tables (the rows with a level in column 2)."""
    ids = []
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = _row_re.match(line)
        if match and re.search(r"MUST|SHOULD|MAY", match.group(2)):
            ids.append(match.group(1))
    return ids


def trace_rows() -> list[tuple[str, str, str, list[str], str]]:
    """(file, catalogue id or '—', level, rule ids, how) for every traceability row."""
    rows = []
    for path in sorted(TRACE.glob("*.md")):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        table = [line for line in lines if line.startswith("|")][2:]
        for line in table:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            assert len(cells) == 4, f"{path.name}: {line}"
            catalogue, level, rules, how = cells
            ids = re.findall(r"`([A-Z0-9-]+)`", rules)
            rows.append((path.name, catalogue.strip("`"), level, ids, how))
    return rows


def test_the_catalogue_has_its_170_rows() -> None:
    ids = catalogue_ids()
    assert len(ids) == 170
    assert len(set(ids)) == 170


def test_every_catalogue_row_is_traced_exactly_once() -> None:
    traced = [row[1] for row in trace_rows() if row[1] != "—"]
    duplicates = sorted({each for each in traced if traced.count(each) > 1})
    assert duplicates == []
    assert sorted(set(catalogue_ids()) - set(traced)) == []
    assert sorted(set(traced) - set(catalogue_ids())) == []


@pytest.mark.parametrize("row", trace_rows(), ids=lambda row: f"{row[0]}:{row[1]}")
def test_each_row_is_well_formed(row: tuple[str, str, str, list[str], str]) -> None:
    _, catalogue, _, ids, how = row
    assert _how_re.match(how), f"{catalogue}: unknown 'how' {how!r}"
    unknown = [each for each in ids if each not in REGISTRY]
    assert unknown == [], f"{catalogue} names unregistered rules"
    if how == "rule":
        assert ids, f"{catalogue} says 'rule' but names none"
    else:
        assert not ids or how == "probe", f"{catalogue} names rules but says {how!r}"


def test_every_registered_rule_is_traced() -> None:
    named = {each for row in trace_rows() for each in row[3]}
    assert sorted(set(REGISTRY.ids()) - named) == []


def test_each_rules_covers_matches_the_rows_naming_it() -> None:
    naming: dict[str, set[str]] = {each: set() for each in REGISTRY.ids()}
    for _, catalogue, _, ids, _ in trace_rows():
        for each in ids:
            if catalogue != "—" and each in naming:
                naming[each].add(catalogue)
    mismatched = {
        each.id: (sorted(each.covers), sorted(naming[each.id]))
        for each in REGISTRY
        if set(each.covers) != naming[each.id]
    }
    assert mismatched == {}
