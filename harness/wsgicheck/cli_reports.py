"""``wsgicheck check``'s reports: rendered in each format asked for, and written to stdout,
``--output`` and ``--report-dir``, every path checked writable before the run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
from typing import TYPE_CHECKING, Any

from .model.errors import STDOUT_CLOSED, UsageError
from .model.outputs import report_paths, writable

if TYPE_CHECKING:
    from .results.run import RunResult


def render(
    args: argparse.Namespace, result: RunResult, *, color: bool, name: str | None = None
) -> str:
    """A report in format ``name`` (--format's by default); a text one at the verbosity
    -v or -q asks for."""
    from . import report
    from .report.text import layout

    name = name or args.format
    if name == "text":
        return layout(result, color, args.verbosity)
    return report.render(result, name, color=color)


def use_color(args: argparse.Namespace) -> bool:
    return (
        args.output is None
        and args.format == "text"
        and sys.stdout is not None
        and color_on(args, sys.stdout)
    )


def color_on(args: argparse.Namespace, stream: Any) -> bool:
    """Colour on a terminal; ``--no-color`` wins, then ``NO_COLOR`` (no-color.org) and
    ``FORCE_COLOR`` (force-color.org), each only when set to something."""
    if args.no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def report_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``--report``'s (path, format) pairs, and every output path checked writable: a typo
    in a path is a usage error now, not after the whole run."""
    if args.output:
        writable(args.output, "--output")
    elif sys.stdout is None:  # started with it closed (>&-): the report would go nowhere
        raise UsageError(STDOUT_CLOSED)
    return report_paths(args.report_dir, args.report) if args.report else []


def write_files(args: argparse.Namespace, files: list[tuple[str, str]], result: RunResult) -> None:
    for path, name in files:
        text = render(args, result, color=False, name=name)
        _write(path, text, "--report-dir")


def write_report(args: argparse.Namespace, text: str) -> None:
    if not args.output:
        sys.stdout.write(text)  # a failed write (a full disk) is cli.main's to tell
        return
    _write(args.output, text, "--output")


def _write(path: str, text: str, option: str) -> None:
    """Write a report file whole: Ctrl-C or SIGTERM (a cancelled job) while it is written is
    held until it is, then stops the command. Not for a FIFO or a device, whose open or
    write may wait on another process for as long as it likes."""
    from .explore.signals import interrupts_held

    held = interrupts_held() if _regular_or_new(path) else contextlib.nullcontext()
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
