"""``wsgicheck check``: the options of a run, the run in worker processes, its reports and
baseline, and the state folder (``.wsgicheck/``) it keeps its example database in.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from . import settings
from .cli_parser import resolve_settings
from .cli_progress import Progress
from .cli_reports import color_on, render, report_files, use_color, write_files, write_report
from .cli_rules import wrap_text
from .model.errors import TargetError, UsageError

if TYPE_CHECKING:
    from .model.options import RunOptions
    from .results.run import RunResult


#: The exit status of a run that judged no rule (every one skipped): no pass, and no
#: finding either (as pytest's 5 says it collected no test).
NOTHING_JUDGED = 5
#: What Ctrl-C prints (exit status 130, as a shell reports SIGINT).
INTERRUPTED = "wsgicheck: interrupted"


#: The folder of wsgicheck's state in the working directory (example database, caches).
STATE = ".wsgicheck"


def _make_state_folder() -> None:
    """Make ``.wsgicheck/`` with a ``.gitignore`` of ``*`` in it, when wsgicheck makes the
    folder (as pytest's cache and Hypothesis's database do): its files stay out of commits."""
    if os.path.isdir(STATE):
        return  # the user's: left as it is
    try:
        os.makedirs(STATE)
        with open(os.path.join(STATE, ".gitignore"), "w", encoding="utf-8") as stream:
            stream.write("# made by wsgicheck: its example database and caches\n*\n")
    except OSError:
        return  # a read-only working directory: the run goes on without saved state


def _hypothesis_home() -> str:
    """Where Hypothesis keeps its files (its constants cache): under ``.wsgicheck/`` with ours.

    Only for the command line: a library caller or a pytest run keeps its own setting, and
    so does anyone who sets ``HYPOTHESIS_STORAGE_DIRECTORY``.
    """
    return os.path.abspath(os.path.join(STATE, "hypothesis"))


def run_check(args: argparse.Namespace) -> int:
    from .explore.signals import interrupts_held, terminate_as_interrupt
    from .explore.supervisor import supervise

    resolve_settings(
        args, [each.name for each in settings.SETTINGS if each.flags or each.name == "app"]
    )
    baseline = None
    if args.baseline:
        from .results import baseline as baselines

        baseline = baselines.load(args.baseline)
    if args.source_root is not None and not os.path.isdir(args.source_root):
        raise UsageError(f"--source-root {args.source_root}: not a directory")
    options = _options(args)
    files = report_files(args)  # before the run: a bad path costs no run
    if options.database is not None:
        from .explore.exampledb import DatabaseError, check

        try:
            check(options.database)  # before the run too: a Redis server out of reach
        except DatabaseError as exc:
            raise UsageError(f"--database {exc}") from None
    _make_state_folder()
    progress = Progress() if sys.stderr.isatty() else None
    # The app runs in worker processes (wsgicheck.explore.supervisor), never in this one: this
    # one's working directory stays where check was started, and --output, --baseline
    # and .wsgicheck/ are read and written there whatever the app does.
    with terminate_as_interrupt():
        try:
            result = supervise(
                args.target,
                options,
                jobs=args.jobs,
                app_coverage=args.app_coverage,
                on_progress=progress,
                hypothesis_home=_hypothesis_home(),
            )
        except TargetError as exc:
            source = args.sources.get("app", "TARGET")
            if source == "TARGET":
                raise
            # Given by WSGICHECK_APP or the file: the command line shows no TARGET.
            raise TargetError(f"{source} ({args.target}): {exc}") from None
        if progress is not None:
            progress.done()
        result.source_root = args.source_root
        result.all_findings = args.all_findings
        result.command = _replay(args, result.seed)
        if result.interrupted:
            # Ctrl-C: what ran so far, to the report asked for, and 130; the terminal gets
            # the failures and the summary line, which says the run was cut short (else a
            # CI log said only "interrupted" where the report failed the app). A second
            # Ctrl-C, or the SIGTERM a cancelled job sends after it, waits for it.
            with interrupts_held(again=False):
                print(INTERRUPTED, file=sys.stderr)
                if args.output or args.format != "text":
                    write_report(args, render(args, result, color=False))
                write_files(args, files, result)
                _tell_terminal(args, files, result, always=args.format == "text")
                return 130
    if args.write_baseline:
        from .results import baseline as baselines

        baseline = baselines.from_run(result)
        baselines.write(args.write_baseline, baseline)
    if baseline is not None:
        from .results.baseline import known_rules

        result.known = known_rules(result, baseline)
    write_report(args, render(args, result, color=use_color(args)))
    write_files(args, files, result)
    _tell_terminal(args, files, result)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from .report.github import workflow_commands

        # On stdout, unless stdout carries a report a program will parse (the runner reads
        # workflow commands from stderr too).
        machine = args.output is None and args.format != "text"
        stream = sys.stderr if machine else sys.stdout
        for line in workflow_commands(result):
            print(line, file=stream)
    if result.failed():
        return 1
    return NOTHING_JUDGED if result.judged_nothing() else 0


def _replay(args: argparse.Namespace, seed: int) -> str:
    """The command that runs this check again with the same requests: each option not at
    its default, or given anywhere (one set back to its default over ``[tool.wsgicheck]``
    must be said, as the replay reads the same file)."""
    from .results.reproduce import check_command

    values = {}
    for name in settings.REPLAYED:
        setting = settings.BY_NAME[name]
        value = getattr(args, setting.dest)
        if args.sources.get(name, "default") != "default" or value != setting.default:
            values[name] = value
    values["seed"] = seed
    return check_command(args.target, settings.replay_arguments(values))


def _tell_terminal(
    args: argparse.Namespace,
    files: list[tuple[str, str]],
    result: RunResult,
    *,
    always: bool = False,
) -> None:
    """Where the reports went to files (or a program reads stdout), the terminal still gets
    the failures and the summary line, on stdout when it is free; with ``always`` (a run cut
    short, whose text report is written nowhere) there too."""
    to_files = args.output or (files and args.format != "text")
    if not (to_files or always):
        return
    from .report.text import brief

    # (stderr where stdout was closed, >&-, or carries a report; nothing where both were.)
    free = args.output or args.format == "text"
    streams = [sys.stdout, sys.stderr] if free else [sys.stderr]
    stream = next((each for each in streams if each is not None), None)
    if stream is None:
        return
    if files:
        listed = f"reports: {', '.join(path for path, _ in files)}"
        print("\n".join(wrap_text(listed, "", "  ", width=100)), file=stream)
    stream.write(brief(result, color=color_on(args, stream)))


def _options(args: argparse.Namespace) -> RunOptions:
    from .model.options import RunOptions

    for name in ("select", "ignore"):
        for pattern in getattr(args, name):
            if problem := settings.no_rule_matches(pattern):
                raise UsageError(f"{args.sources[name]}: {problem}")
    if problem := settings.rule_choice_problem(args.select, args.ignore):
        raise UsageError(problem)
    if problem := settings.exclusion_problem(args.path, args.exclude_path):
        raise UsageError(f"{args.sources['exclude_path']}: {problem}")
    from .results.scope import parse_header

    headers = []
    for text in args.header:
        try:
            headers.append(parse_header(text))
        except ValueError as exc:
            raise UsageError(f"{args.sources['header']}: {exc}") from None
    return RunOptions(
        headers=tuple(headers),
        exclude_paths=tuple(args.exclude_path),
        read_only=args.read_only,
        profile=args.profile,
        max_examples=args.examples,
        seed=args.seed,
        paths=tuple(args.path),
        select=tuple(args.select),
        ignore=tuple(args.ignore),
        strict=args.strict,
        transports=args.transport,
        database=None if args.database.lower() in settings.OFF else args.database,
        timeout=args.timeout,
        body_limit=args.body_limit << 20,
        corpus=args.corpus,
    )
