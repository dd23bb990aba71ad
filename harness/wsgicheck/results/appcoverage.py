"""``--app-coverage``: which lines of the app's own modules the generated requests ran.

A clean report means little if the requests never reached most of the app. coverage.py
measures, from before TARGET is imported (so module-level lines count) until the run ends,
in every thread (the transports run the app in worker threads). "The app's own modules"
are the files under :func:`~wsgicheck.target.source_root` that ran at all, less the
standard library, installed packages and wsgicheck itself; files that never ran are not
listed, so a project folder full of unrelated scripts does not drown the report.
"""

from __future__ import annotations

import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..drivers.target import source_root
from ..model.errors import UsageError

__all__ = ["AppCoverage", "FileCoverage", "Measurement", "line_ranges"]

# Warnings about what was not measured: the report shows what was.
_QUIET = ["no-data-collected", "module-not-measured", "module-not-imported", "already-imported"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCoverage:
    """One source file: the lines that can run and those that did."""

    path: str
    statements: tuple[int, ...]
    executed: tuple[int, ...]

    @property
    def missing(self) -> tuple[int, ...]:
        ran = set(self.executed)
        return tuple(line for line in self.statements if line not in ran)

    @property
    def percent(self) -> float:
        return _percent(len(self.executed), len(self.statements))


@dataclass(frozen=True, slots=True, kw_only=True)
class AppCoverage:
    """The app's files the run executed, by path."""

    root: str
    files: tuple[FileCoverage, ...]

    @property
    def statements(self) -> int:
        return sum(len(each.statements) for each in self.files)

    @property
    def executed(self) -> int:
        return sum(len(each.executed) for each in self.files)

    @property
    def percent(self) -> float:
        return _percent(self.executed, self.statements)

    def merge(self, other: AppCoverage) -> AppCoverage:
        """Both measurements together (one per process of a ``--jobs`` run)."""
        files = {each.path: each for each in self.files}
        for each in other.files:
            mine = files.get(each.path)
            if mine is None:
                files[each.path] = each
            else:
                executed = tuple(sorted(set(mine.executed) | set(each.executed)))
                files[each.path] = FileCoverage(
                    path=each.path, statements=mine.statements, executed=executed
                )
        return AppCoverage(root=self.root, files=tuple(files[key] for key in sorted(files)))


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def line_ranges(lines: Iterable[int]) -> str:
    """``1-3, 7, 9-10``: line numbers as a person reads them."""
    spans: list[list[int]] = []
    for line in sorted(lines):
        if spans and line == spans[-1][1] + 1:
            spans[-1][1] = line
        else:
            spans.append([line, line])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


class Measurement:
    """coverage.py around the import and the run of one TARGET."""

    def __init__(self, spec: str) -> None:
        try:
            import coverage
        except ImportError as exc:  # pragma: no cover - coverage is a dependency
            raise UsageError("--app-coverage needs coverage.py: pip install 'coverage>=7'") from exc
        root = source_root(spec)
        self.root = root if root is not None else Path.cwd().resolve()
        # Creating a Coverage object tells one that coverage.py started by itself in this
        # process (``patch = subprocess``: wsgicheck run under someone's ``coverage run``)
        # not to save its data. Ours measures the app; theirs should still measure the rest.
        auto: Any = getattr(coverage.process_startup, "coverage", None)
        saves = getattr(auto, "_auto_save", None)
        self._coverage: Any = coverage.Coverage(
            data_file=None,
            config_file=False,  # the project's own [tool.coverage] is about its tests
            source=[str(self.root)],
            omit=_omitted(self.root),
            branch=False,
            concurrency=["thread"],
        )
        self._coverage.set_option("run:disable_warnings", _QUIET)
        if saves is not None:
            auto._auto_save = saves
        self._started = False

    def start(self) -> None:
        self._coverage.start()
        self._started = True

    def stop(self) -> AppCoverage:
        """Stop measuring (once) and say what ran."""
        if self._started:
            self._coverage.stop()
            self._started = False
        data = self._coverage.get_data()
        files = []
        for name in sorted(data.measured_files()):
            try:
                _, statements, _, missing, _ = self._coverage.analysis2(name)
            except Exception:  # pragma: no cover - a file that vanished or is not Python
                continue
            absent = set(missing)
            if absent.issuperset(statements):
                continue  # never imported: not part of what this run could reach
            files.append(
                FileCoverage(
                    path=name,
                    statements=tuple(statements),
                    executed=tuple(line for line in statements if line not in absent),
                )
            )
        return AppCoverage(root=str(self.root), files=tuple(files))


def _omitted(root: Path) -> list[str]:
    """wsgicheck itself, the standard library and installed packages (unless the app is one)."""
    folders = {str(Path(__file__).resolve().parent.parent)}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        folder = Path(sysconfig.get_path(name)).resolve()
        if folder != root and folder not in root.parents:
            folders.add(str(folder))
    return [f"{folder}/*" for folder in sorted(folders)]
