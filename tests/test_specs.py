"""specs/ and the rule registry agree, both ways."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wsgicheck.rules import REGISTRY, Rule

SPECS = Path(__file__).resolve().parent.parent / "specs"
CATALOGUE = SPECS / "pep3333-rules.md"
#: The PEP's own text (reStructuredText, as published in the peps repository).
PEP = SPECS / "pep-3333.rst"
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


def pep_as_read() -> str:
    """The PEP's words as a reader sees them: inline markup (``literal``, **must**,
    *emphasis*, :rfc:`2616`, `Section`_) reduced to its text, whitespace collapsed."""
    text = PEP.read_text(encoding="utf-8")
    text = re.sub(r":rfc:`(\d+)`", r"RFC \1", text)
    text = re.sub(r"``(.+?)``", r"\1", text, flags=re.S)
    text = re.sub(r"`([^`<]+?)`_", r"\1", text)
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text, flags=re.S)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*", r"\1", text, flags=re.S)
    return " ".join(text.split())


QUOTING = [each for each in REGISTRY if each.source != "wsgicheck"]


@pytest.mark.parametrize("rule", QUOTING, ids=[each.id for each in QUOTING])
def test_every_pep_quote_occurs_word_for_word_in_the_pep(rule: Rule) -> None:
    """A rule's ``pep`` is a quote: each part between "..." occurs in the PEP, in order."""
    text = pep_as_read()
    position = 0
    for part in (piece.strip() for piece in rule.pep.split("...")):
        if not part:
            continue
        found = text.find(part, position)
        assert found >= 0, f"{rule.id}: not in PEP 3333 after offset {position}: {part!r}"
        position = found + len(part)


def test_every_rule_names_its_source() -> None:
    """PEP 3333, an RFC 9110/9112 section (or CGI's, RFC 3875, which the PEP's environ
    follows), or wsgicheck's own (the HARNESS rules only)."""
    rfc = r"RFC (911[02]|3875) §[0-9.]+(, §[0-9.]+)*"
    source_re = re.compile(rf"PEP 3333|{rfc}(; {rfc})*")
    wrong = {
        each.id: each.source
        for each in REGISTRY
        if not source_re.fullmatch(each.source)
        and not (each.source == "wsgicheck" and each.id.startswith("HARNESS-"))
    }
    assert wrong == {}


def test_reports_cite_each_rule_by_its_own_source() -> None:
    """No report calls a requirement of an RFC or of wsgicheck a PEP 3333 one."""
    cited = {each.id: each.citation for each in REGISTRY}
    assert cited["APP-STATUS-FORMAT"].startswith("PEP 3333, ")
    assert cited["APP-STATUS-FINAL"] == (
        "RFC 9110 §15, §15.2; PEP 3333, The start_response() Callable"
    )
    assert cited["HARNESS-TRANSPORTS-AGREE"] == "wsgicheck: one core, two transports"
    for rule in REGISTRY:
        assert cited[rule.id].startswith(rule.source.split(" §")[0]), rule.id


def catalogue_levels() -> dict[str, str]:
    """Each catalogue row's level column (``MUST``, ``MUST †`` ...), by id."""
    levels = {}
    for line in CATALOGUE.read_text(encoding="utf-8").splitlines():
        match = _row_re.match(line)
        if match and re.search(r"MUST|SHOULD|MAY", match.group(2)):
            levels[match.group(1)] = match.group(2).strip()
    return levels


def test_a_rule_is_implied_exactly_when_every_row_it_covers_is() -> None:
    # The catalogue marks with a dagger a requirement the PEP states without a keyword:
    # a report shows such a rule's level as "MUST, implied", so a reader who checks the
    # quote for the word MUST is told why it is not there.
    levels = catalogue_levels()
    # A rule of HTTP's covers no catalogue row: its own row in the traceability tables
    # (catalogue "—") carries the dagger, where the RFC section states no keyword.
    own_rows = {each: level for _, row, level, ids, _ in trace_rows() if row == "—" for each in ids}

    def implied(rule: Rule) -> bool:
        """Every row the rule covers at its own level is marked with a dagger (a rule may
        cover rows of other levels besides: those do not give it its level)."""
        if not rule.covers:
            return own_rows.get(rule.id, "").endswith("†")
        own = [
            levels[row]
            for row in rule.covers
            if levels.get(row, "").split()[:1] == [rule.level.value]
        ]
        return bool(own) and all(level.endswith("†") for level in own)

    daggered = {each.id for each in REGISTRY if implied(each)}
    assert {each.id for each in REGISTRY if each.implied} == daggered
    assert daggered  # the catalogue has such rows, and rules that check them


def test_explain_says_when_a_rule_is_implied(capsys: pytest.CaptureFixture[str]) -> None:
    from wsgicheck.cli import main

    assert main(["explain", "APP-CL-ACCURATE"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "APP-CL-ACCURATE (MUST, implied, binds the app)"
    assert any(line.startswith("Implied: the text states no MUST") for line in lines)
    assert main(["explain", "APP-SR-ONCE"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "APP-SR-ONCE (MUST, binds the app)"
    assert not any(line.startswith("Implied:") for line in lines)
    # A rule of HTTP's whose section states no keyword (a status code's definition).
    assert main(["explain", "APP-416-SATISFIABLE"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "APP-416-SATISFIABLE (MUST, implied, binds the app)"
    assert any(
        line.startswith("Implied: RFC 9110 §15.5.17, §14.1.2 states no MUST") for line in lines
    )


@pytest.mark.parametrize("rule", list(REGISTRY), ids=[each.id for each in REGISTRY])
def test_every_example_line_is_labelled(rule: Rule) -> None:
    """An example is lines of ``bad:``, ``fix:`` or ``seen:`` (and their indented
    continuations): a ``\\n`` written unescaped in its source breaks a line in the middle
    of code (SRV-INPUT-LINES printed ``b"`` and ``"`` on lines of their own)."""
    for line in rule.example.splitlines():
        assert line.startswith(("bad:", "fix:", "seen:", " ")), f"{rule.id}: {line!r}"
