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
    args: argparse.Namespace, result: RunResult, *, color: bool, name: str | None = None
) -> str:
    """A report in format ``name`` (``--report``'s; --format's by default); a text one at
    the verbosity -v or -q asks for, but that -q quiets the terminal alone: a report
    written to a file (``--output``, ``--report``) keeps its head, with the seed to replay
    the run by (a trial of 2026-12-07)."""
    from . import report
    from .report.text import layout

    to_file = name is not None or bool(args.output)
    name = name or args.format
    if name == "text":
        return layout(result, color, max(args.verbosity, 0) if to_file else args.verbosity)
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
        text = render(args, result, color=False, name=name)
        write_whole(path, text, "--report-dir", interrupts_held)


def write_report(args: argparse.Namespace, text: str) -> None:
    from .explore.signals import interrupts_held

    if not args.output:
        sys.stdout.write(text)  # a failed write (a full disk) is cli.main's to tell
        return
    write_whole(args.output, text, "--output", interrupts_held)
