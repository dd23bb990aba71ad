"""The layers of the README's architecture section, enforced: imports only point down.

Every module of the package is placed in a layer here, and may import (at module level or
inside a function) only from its own layer or lower ones. A new module must be placed; the
README's table must name every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "harness" / "wsgicheck"

#: Lowest first, as in the README. Module names are relative to the package; a name ending
#: in ``.*`` stands for every module of that subpackage.
LAYERS: list[tuple[str, set[str]]] = [
    (
        "grammar and values",
        {"untrusted", "grammar", "events", "errors", "request", "head", "streams"},
    ),
    ("request to environ", {"response", "environ", "wire"}),
    ("core", {"observe", "core", "target"}),
    ("transports", {"client", "connection", "framing", "poller", "server"}),
    ("rules", {"rules", "rules.*", "locations", "validation", "validation_guards"}),
    (
        "exploration",
        {
            "strategies",
            "corpus",
            "reproduce",
            "replay",
            "appcoverage",
            "runner",
            "supervisor",
            "shares",
            "exampledb",
            "baseline",
            "sequences",
            "scope",
            "vocabulary",
            "explorer",
            "minimise",
        },
    ),
    ("reports", {"report", "report.*", "transcript", "console"}),
    ("probe", {"probe", "probe.*"}),
    ("front ends", {"__init__", "__main__", "cli", "plugin", "suite", "settings"}),
]


def _module_name(path: Path) -> str:
    relative = path.relative_to(PACKAGE).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def _layer_of(module: str) -> int:
    for index, (_, members) in enumerate(LAYERS):
        if module in members:
            return index
        if any(member.endswith(".*") and module.startswith(member[:-1]) for member in members):
            return index
    raise LookupError(module)


def _imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, anywhere in it."""
    module = _module_name(path)
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    if module == "__init__":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wsgicheck."):
            found.add(node.module.removeprefix("wsgicheck."))  # type: ignore[union-attr]
    return {name for name in found if name and name != module and name != "__version__"}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[_module_name(path) for path in MODULES])
def test_imports_point_down(path: Path) -> None:
    module = _module_name(path)
    layer = _layer_of(module)
    upward = []
    for imported in sorted(_imports(path)):
        try:
            target = _layer_of(imported)
        except LookupError:
            target = _layer_of(imported.rsplit(".", 1)[0])  # ``from .x import name``
        if target > layer:
            upward.append(f"{imported} ({LAYERS[target][0]})")
    assert upward == [], f"{module} ({LAYERS[layer][0]}) imports upwards"


def test_every_layer_is_in_the_readme() -> None:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Architecture", 1)[1]
    for name, _ in LAYERS:
        assert f"| {name} |" in section
