"""The import contract of the README's architecture section, enforced by import-linter.

The contract is written once, in ``[tool.importlinter]`` of pyproject.toml: the layers (every
module of the package placed, imports only pointing down), the report formats standing alone,
the probe's in-server side never importing its client side, and no import cycle. These tests
run ``lint-imports`` on this checkout, and check that the README's table lists the same layers
in the same order.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - depends on the interpreter
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
CONFIG: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: ``lint-imports``, run by the interpreter of the tests (whose bin folder may not be on PATH).
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"
CONTRACTS: list[dict[str, Any]] = CONFIG["tool"]["importlinter"]["contracts"]


def _package_layers() -> list[set[str]]:
    """The layers of the package's own contract, lowest first, each a set of module names."""
    (contract,) = [each for each in CONTRACTS if each.get("containers") == ["wsgicheck"]]
    return [set(re.split(r"\s*[:|]\s*", layer.strip())) for layer in reversed(contract["layers"])]


def test_the_import_contract_is_kept() -> None:
    """``lint-imports`` (the command of ``tox -e lint``) on this checkout: every contract kept."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "harness")}
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            LINT_IMPORTS,
            "--no-cache",
            "--config",
            str(ROOT / "pyproject.toml"),
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in run.stdout


def _readme_rows() -> list[tuple[str, set[str]]]:
    """The architecture table's rows: each layer's name, and the modules its second column
    names (a subpackage ``rules/`` as ``rules``; what follows it in parentheses is inside)."""
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Architecture", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in {"layer", "---"}:
            continue
        outside = re.sub(r"\([^)]*\)", "", cells[1])
        rows.append((cells[0], {name.rstrip("/") for name in re.findall(r"`([^`]+)`", outside)}))
    return rows


def test_the_readme_table_lists_the_contract_layers() -> None:
    """The README's table and the contract name the same layers, lowest first, and each
    row the modules of its layer (``__init__``, the package itself, in the front ends)."""
    rows = _readme_rows()
    layers = _package_layers()
    layers[-1].add("__init__")
    assert [modules for _, modules in rows] == layers, [name for name, _ in rows]
