"""The README's comparison with the anchors is what ``specs/compare.py`` prints, and sound."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from wsgicheck.rules import REGISTRY

SPECS = Path(__file__).resolve().parent.parent / "specs"


def _compare() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_specs_compare", SPECS / "compare.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


compare = _compare()


def test_the_readme_table_is_the_scripts_output() -> None:
    readme = compare.README.read_text(encoding="utf-8")
    assert compare.readme_part(readme) == compare.render(), (
        "README.md is stale: run `python specs/compare.py --write`"
    )


def test_the_counts_agree_with_the_catalogues_headline() -> None:
    rows = compare.rows()
    assert len(rows) == 144
    assert sum(1 for row in rows if row.level == "MUST") == 90
    checked = [sum(1 for row in rows if row.anchors[i] in compare.CHECKS) for i in range(3)]
    assert checked == [41, 33, 40]
    assert sum(1 for row in rows if not any(v in compare.CHECKS for v in row.anchors)) == 101


def test_every_rule_the_table_names_is_registered() -> None:
    named = {rule for row in compare.rows() for rule in row.rules}
    assert named
    assert sorted(named - set(REGISTRY.ids())) == []


def test_write_replaces_only_the_generated_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{compare.BEGIN}\nold table\n{compare.END}\noutro\n", "utf-8")
    monkeypatch.setattr(compare, "README", readme)
    assert compare.main(["--write"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith(f"intro\n{compare.BEGIN}\n")
    assert text.endswith(f"{compare.END}\noutro\n")
    assert compare.readme_part(text) == compare.render()


def test_without_options_it_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert compare.main([]) == 0
    assert capsys.readouterr().out == compare.render()
