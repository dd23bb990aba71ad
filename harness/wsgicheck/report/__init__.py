"""Reports of a run, one small module per format.

Each format module registers a renderer with :func:`format`; a renderer takes the
:class:`~wsgicheck.runner.RunResult` and returns the report text. Adding a format is one
new module here and its name in ``_MODULES``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the runner (and Hypothesis) only when a report is rendered
    from ..runner import RunResult

__all__ = ["FILE_NAMES", "FORMATS", "Renderer", "format", "names", "render"]

Renderer = Callable[["RunResult", bool], str]
FORMATS: dict[str, Renderer] = {}
_MODULES = ("text", "json", "junit", "sarif", "html", "markdown")
#: The file each format is written to by ``check --report FORMAT --report-dir DIR``.
FILE_NAMES = {
    "text": "report.txt",
    "json": "report.json",
    "junit": "report.xml",
    "sarif": "report.sarif",
    "html": "report.html",
    "markdown": "report.md",
}


def format(name: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer as the format ``name``."""

    def register(renderer: Renderer) -> Renderer:
        FORMATS[name] = renderer
        return renderer

    return register


def _load() -> None:
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")


def names() -> list[str]:
    """The formats there are."""
    return list(_MODULES)


def render(result: RunResult, name: str, *, color: bool = False) -> str:
    """The report of ``result`` in format ``name``."""
    if name not in FORMATS:  # a format module imported alone registers only itself
        _load()
    return FORMATS[name](result, color)
