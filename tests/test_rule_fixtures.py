"""Every rule fires on its broken fixture, and on it no other MUST rule does."""

from __future__ import annotations

from pathlib import Path

import pytest

from rulekit import broken_fixtures, findings_of, load
from wsgicheck.rules import REGISTRY, Level

FIXTURES = broken_fixtures()


def fixture_name(rule_id: str) -> str:
    return rule_id.lower().replace("-", "_") + ".py"


@pytest.mark.parametrize("path", FIXTURES, ids=[path.stem for path in FIXTURES])
def test_the_fixture_trips_its_rule_and_no_other_must_rule(path: Path) -> None:
    module = load(path, fresh=True)  # a fixture with state starts from scratch
    assert module.RULE in REGISTRY, f"{path.name} names an unknown rule {module.RULE}"
    assert path.name == fixture_name(module.RULE)
    assert module.__doc__, f"{path.name} must say what it breaks"
    findings = findings_of(module)
    fired = {finding.rule for finding in findings}
    assert module.RULE in fired, f"{module.RULE} did not fire; fired: {sorted(fired)}"
    # ALSO: the MUST rules a fixture cannot help tripping (a server that accepts a hop-by-hop
    # header can only be shown with an app that passes one). Each must fire too.
    also = set(getattr(module, "ALSO", ()))
    assert also <= fired, f"{path.name}: ALSO rules {sorted(also - fired)} did not fire"
    expected = {module.RULE, *also}
    others = sorted({f.rule for f in findings if f.level is Level.MUST and f.rule not in expected})
    assert others == [], f"{path.name} also trips MUST rules {others}"


def test_every_rule_has_a_broken_fixture() -> None:
    present = {path.name for path in FIXTURES}
    missing = [each.id for each in REGISTRY if fixture_name(each.id) not in present]
    assert missing == []
