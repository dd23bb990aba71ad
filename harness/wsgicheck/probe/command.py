"""``wsgicheck probe``: the subcommand's options and what it does with them.

Exit status as for ``check``: 0 when every server probed kept the MUST rules, 1 when one
broke a MUST rule, 2 for a usage error or a server that does not start (one line on
stderr). ``--all`` probes every known server that is installed and skips the others with
a note; a server that does not start is left out of the matrix with a note too.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from typing import TYPE_CHECKING, Any

from ..model.errors import UsageError, WsgicheckError
from ..model.outputs import planned_reports, write_whole
from .servers import KNOWN_SERVERS

if TYPE_CHECKING:
    from .result import ProbeOptions, ProbeResult

__all__ = ["add_parser", "run"]


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``probe`` to the ``wsgicheck`` subcommands."""
    probe: argparse.ArgumentParser = commands.add_parser(
        "probe",
        help="judge a real WSGI server against the SERVER and ENVIRON rules",
        description="Start SERVER on 127.0.0.1 with wsgicheck's probe app inside, send it a "
        "fixed corpus and generated requests over real sockets, stop it, and judge every "
        "SERVER and ENVIRON rule on what it did. SERVER is one of "
        f"{', '.join(KNOWN_SERVERS)}, or a command with {{app}}, {{host}}, {{port}} (and "
        "{python}). Exit status 0 when it keeps the MUST rules, 1 when not, 2 on errors.",
    )
    probe.add_argument("server", metavar="SERVER", nargs="?", help="a known name or a command")
    probe.add_argument("--all", action="store_true", help="every known server installed")
    probe.add_argument("--format", default="text", help="text, json, junit, sarif, html, markdown")
    probe.add_argument(
        "--matrix",
        choices=["markdown", "html"],
        help="write the servers × rules matrix instead (default: no matrix)",
    )
    probe.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here (default: stdout)"
    )
    probe.add_argument(
        "--report",
        action="extend",
        type=_formats,
        default=[],
        metavar="FORMATS",
        help="also write these reports (comma-separated) from the same run into --report-dir, "
        "as check does (default: none)",
    )
    probe.add_argument(
        "--report-dir", default=".", metavar="DIR", help="where --report writes, made if missing"
    )
    probe.add_argument("--examples", type=int, default=20, metavar="N", help="generated requests")
    probe.add_argument(
        "--seed", type=int, help="replay the same generated requests (default: a new seed)"
    )
    probe.add_argument(
        "--runs",
        type=int,
        default=1,
        metavar="N",
        help="probe N times with the same requests, a fresh server each time: a rule broken "
        "in some runs and not others is reported and marked unstable",
    )
    probe.add_argument(
        "--no-callables",
        dest="callables",
        action="store_false",
        help="skip restarting the server with the app as other kinds of callable "
        "(SRV-CALLABLE-OPAQUE is then skipped)",
    )
    probe.add_argument(
        "--timeout", type=float, default=5.0, metavar="SECONDS", help="limit of each read"
    )
    probe.add_argument(
        "--start-timeout",
        type=float,
        default=20.0,
        metavar="SECONDS",
        help="time the server has to start listening",
    )
    return probe


def run(args: argparse.Namespace) -> int:
    from .. import report
    from ..explore.signals import interrupts_held, terminate_as_interrupt
    from .matrix import build, to_html, to_markdown
    from .prober import probe
    from .report import MULTI_FORMATS, render
    from .result import ProbeOptions

    if args.all == (args.server is not None):
        raise UsageError("give one SERVER, or --all")
    if args.format not in report.names():
        raise UsageError(f"--format: one of {', '.join(report.names())}, not {args.format!r}")
    if args.all and args.matrix is None and args.format not in MULTI_FORMATS:
        raise UsageError(f"--all takes --format {' or '.join(MULTI_FORMATS)}, or --matrix")
    for name in args.report:
        if name not in report.names():
            raise UsageError(f"--report: one of {', '.join(report.names())}, not {name!r}")
        if args.all and name not in MULTI_FORMATS:
            raise UsageError(f"--all takes --report {' or '.join(MULTI_FORMATS)}, not {name!r}")
    try:
        options = ProbeOptions(
            examples=args.examples,
            seed=args.seed,
            timeout=args.timeout,
            start_timeout=args.start_timeout,
            callables=args.callables,
            runs=args.runs,
        )
    except ValueError as exc:  # "start_timeout: why": said as the option it came from
        name, _, why = str(exc).partition(": ")
        raise UsageError(f"--{name.replace('_', '-')}: {why}") from None
    # Every path checked before the run: a typo costs no probe (a trial of 2026-12-07 lost
    # a whole one to a bad --output).
    files = planned_reports(args.output, args.report_dir, args.report)
    # SIGTERM (timeout, a cancelled CI job) stops a probe as Ctrl-C does: the server under
    # test is stopped on the way out; left to its default, it ran on under init.
    with terminate_as_interrupt():
        results, left_out = _probe_all(options) if args.all else ([probe(args.server, options)], [])
    if args.matrix is not None:
        date = datetime.date.today().isoformat()
        matrix = build(results, left_out=left_out, date=date)
        text = to_markdown(matrix) if args.matrix == "markdown" else to_html(matrix)
    else:
        text = render(results, args.format, color=_color(args))
    if args.output is None:
        sys.stdout.write(text)
    else:
        write_whole(args.output, text, "--output", interrupts_held)
    for path, name in files:
        write_whole(path, render(results, name), "--report-dir", interrupts_held)
    return 1 if any(each.failed() for each in results) else 0


def _probe_all(options: ProbeOptions) -> tuple[list[ProbeResult], list[str]]:
    """Each known server installed, probed in turn; what was left out, and why."""
    from .prober import probe

    results: list[ProbeResult] = []
    left_out: list[str] = []
    for name, known in KNOWN_SERVERS.items():
        if not known.installed():
            left_out.append(f"{name}: not installed, skipped")
            print(f"wsgicheck: {name} is not installed; skipped", file=sys.stderr)
            continue
        try:
            results.append(probe(name, options))
        except WsgicheckError as exc:
            left_out.append(f"{name}: {exc}")
            print(f"wsgicheck: {name}: {exc}", file=sys.stderr)
    return results, left_out


def _color(args: argparse.Namespace) -> bool:
    return args.output is None and args.format == "text" and sys.stdout.isatty()


def _formats(text: str) -> list[str]:
    return [part.strip().lower() for part in text.split(",") if part.strip()]
