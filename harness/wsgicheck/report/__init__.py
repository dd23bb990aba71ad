"""Reports of a run, one small module per format.

Each format module registers a renderer with :func:`format`; a renderer takes the
:class:`~wsgicheck.results.run.RunResult` and returns the report text. Adding a format is one
new module here and its name in :data:`wsgicheck.model.options.REPORT_FILES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..model.options import REPORT_FILES

if TYPE_CHECKING:  # the runner (and Hypothesis) only when a report is rendered
    from ..results.run import RunResult

__all__ = ["FILE_NAMES", "FORMATS", "Renderer", "format", "names", "render"]

Renderer = Callable[["RunResult", bool], str]
FORMATS: dict[str, Renderer] = {}
#: The file each format is written to by ``check --report FORMAT --report-dir DIR``.
FILE_NAMES = REPORT_FILES


def format(name: str) -> Callable[[Renderer], Renderer]:
    """Register a renderer as the format ``name``."""

    def register(renderer: Renderer) -> Renderer:
        FORMATS[name] = renderer
        return renderer

    return register


def _load() -> None:
    for module in REPORT_FILES:
        importlib.import_module(f"{__name__}.{module}")


def names() -> list[str]:
    """The formats there are."""
    return list(REPORT_FILES)


def render(result: RunResult, name: str, *, color: bool = False) -> str:
    """The report of ``result`` in format ``name``."""
    if name not in FORMATS:  # a format module imported alone registers only itself
        _load()
    return FORMATS[name](result, color)
