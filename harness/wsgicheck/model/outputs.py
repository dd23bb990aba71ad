"""Where a command writes its reports: ``--output`` and ``--report-dir``, each path checked
writable before the run, so that a typo in one is a usage error at once and not after a
whole run, and each file written whole (``check`` and ``probe`` both)."""

from __future__ import annotations

import contextlib
import os
import stat
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager

from .errors import STDOUT_CLOSED, UsageError
from .options import REPORT_FILES

__all__ = ["planned_reports", "report_paths", "writable", "write_whole"]


def planned_reports(
    output: str | None, report_dir: str, names: Iterable[str] | None
) -> list[tuple[str, str]]:
    """``--report``'s (path, format) pairs, with ``--output`` and each of them checked
    writable, or stdout open when there is no ``--output``: all before the run."""
    # The report folder first, made if missing: ``--output`` may name a file in it.
    files = report_paths(report_dir, names) if names else []
    if output is not None:
        writable(output, "--output")
    elif sys.stdout is None:  # started with it closed (>&-): the report would go nowhere
        raise UsageError(STDOUT_CLOSED)
    for path, name in files:
        if output is not None and _same_file(output, path):
            # One would be written over the other, and a report lost without a word.
            raise UsageError(
                f"--output {output} is the file --report writes its {name} report to "
                f"({REPORT_FILES[name]} in --report-dir {report_dir}): name another"
            )
    return files


def _same_file(one: str, other: str) -> bool:
    """Whether two paths name one file: the same file where both exist, else the same
    path once links and dots are resolved."""
    with contextlib.suppress(OSError):
        return os.path.samefile(one, other)
    return os.path.realpath(one) == os.path.realpath(other)


def write_whole(
    path: str, text: str, option: str, hold: Callable[[], AbstractContextManager[None]]
) -> None:
    """Write a report file whole: ``hold`` holds Ctrl-C and SIGTERM (a cancelled job) back
    while it is written (a signal between the open and the write left a completed run's
    report empty). Not for a FIFO or a device, whose open or write may wait on another
    process for as long as it likes."""
    held = hold() if _regular_or_new(path) else contextlib.nullcontext()
    try:
        with held, open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from exc


def _regular_or_new(path: str) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


def writable(path: str, option: str) -> None:
    """Raise a :class:`UsageError` naming ``option`` unless a file can be written at
    ``path``."""
    if not path:  # (probe wrote to it after the whole run, and failed there: a review)
        raise UsageError(f"{option}: an empty path names no file")
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
    if os.path.exists(report_dir) and not os.path.isdir(report_dir):
        raise UsageError(f"--report-dir {report_dir}: is a file, not a directory")
    try:
        os.makedirs(report_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir {report_dir}: {exc.strerror or exc}") from exc
    files = [(os.path.join(report_dir, REPORT_FILES[name]), name) for name in dict.fromkeys(names)]
    for path, _ in files:
        writable(path, "--report-dir")
    return files
