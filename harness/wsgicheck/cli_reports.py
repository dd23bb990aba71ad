"""``wsgicheck check``'s reports: rendered in each format asked for, and written to stdout,
``--output`` and ``--report-dir``, every path checked writable before the run.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from .model.outputs import planned_reports, write_whole

if TYPE_CHECKING:
    from .results.run import RunResult


def render(
    args: argparse.Namespace,
    result: RunResult,
    *,
    color: bool,
    name: str | None = None,
    verbosity: int | None = None,
) -> str:
    """A report in format ``name`` (--format's by default); a text one at ``verbosity``,
    by default the one -v or -q asks for (-q quiets the terminal alone: ``--output``'s file
    keeps its head and counts)."""
    from . import report
    from .report.text import layout

    name = name or args.format
    if verbosity is None:
        verbosity = max(args.verbosity, 0) if args.output else args.verbosity
    if name == "text":
        return layout(result, color, verbosity)
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
    """``--report``'s (path, format) pairs, every output path checked writable: a typo in a
    path is a usage error now, not after the whole run."""
    return planned_reports(args.output, args.report_dir, args.report)


def write_files(args: argparse.Namespace, files: list[tuple[str, str]], result: RunResult) -> None:
    from .explore.signals import interrupts_held

    for path, name in files:
        # -q quiets the terminal, not a report kept in a file: a text one without its head
        # had no seed to replay the run by (a trial of 2026-12-07).
        text = render(args, result, color=False, name=name, verbosity=max(args.verbosity, 0))
        write_whole(path, text, "--report-dir", interrupts_held)


def write_report(args: argparse.Namespace, text: str) -> None:
    from .explore.signals import interrupts_held

    if not args.output:
        sys.stdout.write(text)  # a failed write (a full disk) is cli.main's to tell
        return
    write_whole(args.output, text, "--output", interrupts_held)
