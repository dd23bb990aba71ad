"""Where a command writes its reports: ``--output`` and ``--report-dir``, each path checked
writable before the run, so that a typo in one is a usage error at once and not after a
whole run (``check`` and ``probe`` both)."""

from __future__ import annotations

import os
from collections.abc import Iterable

from .errors import UsageError
from .options import REPORT_FILES

__all__ = ["report_paths", "writable"]


def writable(path: str, option: str) -> None:
    """Raise a :class:`UsageError` naming ``option`` unless a file can be written at
    ``path``."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        problem = "is a directory"
    elif not os.path.isdir(folder):
        problem = "no such directory"
    elif not os.access(path if os.path.exists(path) else folder, os.W_OK):
        problem = "permission denied"
    else:
        return
    raise UsageError(f"{option} {path}: {problem}")


def report_paths(report_dir: str, names: Iterable[str]) -> list[tuple[str, str]]:
    """The (path, format) pairs ``--report`` writes in ``report_dir`` (made if missing),
    each format once in the order given, every path checked writable."""
    try:
        os.makedirs(report_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir {report_dir}: {exc.strerror or exc}") from exc
    files = [(os.path.join(report_dir, REPORT_FILES[name]), name) for name in dict.fromkeys(names)]
    for path, _ in files:
        writable(path, "--report-dir")
    return files
