"""The ``wsgicheck`` command line: ``check``, ``serve``, ``rules``, ``explain``, ``probe``.

Exit status: 0 clean, 1 the app broke rules, 2 a usage error (bad TARGET, bad option),
the last always with one line on stderr; 130 when interrupted (Ctrl-C), with one line too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import __version__, settings, untrusted
from .environ import ServerConfig
from .errors import UsageError, WsgicheckError
from .events import AppRaised, Refused
from .response import Response
from .target import load_target
from .transcript import format_exchange

if TYPE_CHECKING:
    from .options import RunOptions
    from .results import RunResult

__all__ = ["main"]

#: What Ctrl-C prints (exit status 130, as a shell reports SIGINT).
INTERRUPTED = "wsgicheck: interrupted"


class _Formatter(argparse.HelpFormatter):
    """Help where every option with a value says its default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or not action.option_strings
            or default is None
            or default is argparse.SUPPRESS
            or isinstance(default, bool)  # a flag: off unless given
            or default in ([], "")
        ):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit status 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)  # the subcommands' parsers too
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:
        # "--examples: at least 1, not 0", as the other usage errors name their option.
        raise UsageError(message.removeprefix("argument "))


def _ids(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def _formats(text: str) -> list[str]:
    return [part.strip().lower() for part in text.split(",") if part.strip()]


#: TARGET, which ``app`` in [tool.wsgicheck] or WSGICHECK_APP may give instead.
_TARGET_HELP = (
    "module:callable or path/file.py:callable (default: app in [tool.wsgicheck] or WSGICHECK_APP)"
)


def _setting_type(setting: settings.Setting) -> Any:
    """argparse's ``type`` for a setting: its own parser, its message on a bad value."""

    def parse(text: str) -> Any:
        try:
            return setting.kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = setting.name
    return parse


def _add_settings(command: argparse.ArgumentParser) -> None:
    """``check``'s options from the table of settings (:mod:`wsgicheck.settings`). Each
    defaults to None here: what the command line leaves out, the environment, the file or
    the table's default gives (:func:`wsgicheck.settings.resolve`)."""
    for each in settings.SETTINGS:
        if not each.flags:
            continue
        if isinstance(each.kind, settings.Flag):
            command.add_argument(
                *each.flags, dest=each.dest, action=argparse.BooleanOptionalAction,
                default=None, help=each.described(),
            )  # fmt: skip
            continue
        command.add_argument(
            *each.flags, dest=each.dest, type=_setting_type(each), default=None,
            action="extend" if each.repeated else "store", metavar=each.metavar,
            help=each.described(),
        )  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wsgicheck", description="WSGI (PEP 3333) conformance harness and fake server."
    )
    parser.add_argument("--version", action="version", version=f"wsgicheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    check = commands.add_parser(
        "check",
        help="check TARGET against every PEP 3333 rule with generated requests",
        description="Drive TARGET with generated requests through both transports, judge "
        "every exchange against the PEP 3333 rules, and report. Exit status 0 when clean, "
        "1 on findings, 2 on usage errors.",
    )
    check.add_argument("target", metavar="TARGET", nargs="?", help=_TARGET_HELP)
    check.add_argument(
        "--output", "-o", metavar="FILE", help="write the report here (default: stdout)"
    )
    _add_settings(check)
    check.add_argument(
        "--no-database",
        dest="database",
        action="store_const",
        const="off",
        help="do not replay nor save examples (as --database off)",
    )
    check.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    verbosity = check.add_mutually_exclusive_group()
    verbosity.add_argument(
        "--verbose",
        "-v",
        dest="verbosity",
        action="store_const",
        const=1,
        default=0,
        help="the text report lists every rule, passed and skipped ones too",
    )
    verbosity.add_argument(
        "--quiet",
        "-q",
        dest="verbosity",
        action="store_const",
        const=-1,
        help="the text report gives the failures and the summary line only",
    )
    check.add_argument(
        "--write-baseline",
        metavar="FILE",
        help="write this run's findings to FILE as a baseline and accept them (default: none)",
    )

    serve = commands.add_parser(
        "serve",
        help="serve TARGET on a real socket, validating and tracing each exchange",
        description="Serve TARGET over HTTP/1.1 with every exchange printed like curl -v, "
        "with what the trace recorded. Ctrl-C stops it cleanly.",
    )
    serve.add_argument("target", metavar="TARGET", nargs="?", help=_TARGET_HELP)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port, 0 to 65535 (0: a free one)")
    serve.add_argument(
        "--script-name", default="", help="mount the app under this prefix (default: none)"
    )
    serve.add_argument("--threads", type=int, default=8, help="worker threads")
    serve.add_argument("--quiet", "-q", action="store_true", help="print only problems")

    rules = commands.add_parser(
        "rules",
        help="list the rules",
        description="List the rules, grouped by who they bind: id, level, summary.",
    )
    rules.add_argument(
        "patterns",
        nargs="*",
        metavar="PATTERN",
        help="only rules matching these ids or prefixes (APP-*, ENV-CGI-*)",
    )
    rules.add_argument(
        "--level", choices=["MUST", "SHOULD"], type=str.upper, help="one level (default: both)"
    )
    rules.add_argument("--json", action="store_true", help="the catalogue as JSON")
    explain = commands.add_parser(
        "explain",
        help="explain a rule",
        description="Print a rule, its PEP text, and an example of a violation and its fix.",
    )
    explain.add_argument("rule", metavar="RULE_ID")
    from .probe.command import add_parser as add_probe  # its own module: wsgicheck.probe

    add_probe(commands)
    return parser


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


# -- check ---------------------------------------------------------------------------------------


def _resolve(args: argparse.Namespace, names: list[str]) -> None:
    """What the command line left out, from ``WSGICHECK_*``, then ``[tool.wsgicheck]`` in
    the nearest ``pyproject.toml``, then the defaults; ``args.sources`` says where from."""
    args.app = args.target
    args.sources = settings.resolve(args, names, settings.Sources())
    args.target = args.app
    if not args.target:
        raise UsageError(
            "give a TARGET (module:callable), or app in [tool.wsgicheck] or WSGICHECK_APP"
        )


def _check(args: argparse.Namespace) -> int:
    from .supervisor import supervise

    _resolve(args, [each.name for each in settings.SETTINGS if each.flags or each.name == "app"])
    baseline = None
    if args.baseline:
        from . import baseline as baselines

        baseline = baselines.load(args.baseline)
    if args.source_root is not None and not os.path.isdir(args.source_root):
        raise UsageError(f"--source-root {args.source_root}: not a directory")
    options = _options(args)
    files = _report_files(args)  # before the run: a bad path costs no run
    if options.database is not None:
        from .exampledb import DatabaseError, check

        try:
            check(options.database)  # before the run too: a Redis server out of reach
        except DatabaseError as exc:
            raise UsageError(f"--database {exc}") from None
    _make_state_folder()
    progress = _Progress() if sys.stderr.isatty() else None
    # The app runs in worker processes (wsgicheck.supervisor), never in this one: this
    # one's working directory stays where check was started, and --output, --baseline
    # and .wsgicheck/ are read and written there whatever the app does.
    result = supervise(
        args.target,
        options,
        jobs=args.jobs,
        app_coverage=args.app_coverage,
        on_progress=progress,
        hypothesis_home=_hypothesis_home(),
    )
    if progress is not None:
        progress.done()
    result.source_root = args.source_root
    if result.interrupted:
        # Ctrl-C: what ran so far, to the report asked for (not to a terminal), and 130.
        print(INTERRUPTED, file=sys.stderr)
        if args.output or args.format != "text":
            _write_report(args, _render(args, result, color=False))
        _write_files(args, files, result)
        return 130
    if args.write_baseline:
        from . import baseline as baselines

        baseline = baselines.from_run(result)
        baselines.write(args.write_baseline, baseline)
    if baseline is not None:
        from .baseline import known_rules

        result.known = known_rules(result, baseline)
    _write_report(args, _render(args, result, color=_color(args)))
    _write_files(args, files, result)
    if args.output or (files and args.format != "text"):
        # The reports went to files (or a program reads stdout): the terminal still gets
        # the failures and the summary line, on stdout when it is free.
        from .report.text import brief

        stream = sys.stdout if args.output else sys.stderr
        if files:
            listed = f"reports: {', '.join(path for path, _ in files)}"
            print("\n".join(_wrap(listed, "", "  ", width=100)), file=stream)
        stream.write(brief(result, color=_color_on(args, stream)))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        from .report.github import workflow_commands

        # On stdout, unless stdout carries a report a program will parse (the runner reads
        # workflow commands from stderr too).
        machine = args.output is None and args.format != "text"
        stream = sys.stderr if machine else sys.stdout
        for line in workflow_commands(result):
            print(line, file=stream)
    return 1 if result.failed() else 0


def _options(args: argparse.Namespace) -> RunOptions:
    from .options import RunOptions
    from .rules import REGISTRY

    for name in ("select", "ignore"):
        for pattern in getattr(args, name):
            if not REGISTRY.select([pattern]):
                source = args.sources[name]
                raise UsageError(f"{source}: no rule matches {pattern!r} (see: wsgicheck rules)")
    from .scope import parse_header

    headers = []
    for text in args.header:
        try:
            headers.append(parse_header(text))
        except ValueError as exc:
            raise UsageError(f"{args.sources['header']}: {exc}") from None
    return RunOptions(
        headers=tuple(headers),
        exclude_paths=tuple(args.exclude_path),
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
        corpus=args.corpus,
    )


def _render(
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


def _color(args: argparse.Namespace) -> bool:
    return args.output is None and args.format == "text" and _color_on(args, sys.stdout)


def _color_on(args: argparse.Namespace, stream: Any) -> bool:
    """Colour on a terminal; ``--no-color`` wins, then ``NO_COLOR`` (no-color.org) and
    ``FORCE_COLOR`` (force-color.org), each only when set to something."""
    if args.no_color or os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or stream.isatty()


def _report_files(args: argparse.Namespace) -> list[tuple[str, str]]:
    """``--report``'s (path, format) pairs, and every output path checked writable: a typo
    in a path is a usage error now, not after the whole run."""
    from .report import FILE_NAMES

    if args.output:
        _writable(args.output, "--output")
    if not args.report:
        return []
    try:
        os.makedirs(args.report_dir, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir {args.report_dir}: {exc.strerror or exc}") from exc
    names = dict.fromkeys(args.report)  # once each, in the order given
    files = [(os.path.join(args.report_dir, FILE_NAMES[name]), name) for name in names]
    for path, _ in files:
        _writable(path, "--report-dir")
    return files


def _writable(path: str, option: str) -> None:
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


def _write_files(args: argparse.Namespace, files: list[tuple[str, str]], result: RunResult) -> None:
    for path, name in files:
        text = _render(args, result, color=False, name=name)
        _write(path, text, "--report-dir")


def _write_report(args: argparse.Namespace, text: str) -> None:
    if not args.output:
        sys.stdout.write(text)
        return
    _write(args.output, text, "--output")


def _write(path: str, text: str, option: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as stream:
            stream.write(text)
    except OSError as exc:
        raise UsageError(f"{option} {path}: {exc.strerror or exc}") from exc


class _Progress:
    """A one-line progress bar on stderr, for terminals: examples run, time spent, and an
    estimate of the time left (from the pace so far)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.started = clock()
        self.shown = ""

    def __call__(self, done: int, total: int) -> None:
        percent = min(100, done * 100 // max(total, 1))
        elapsed = self.clock() - self.started
        left = elapsed * (total - done) / done if 0 < done < total else 0.0
        bar = "#" * (percent // 4)
        line = f"[{bar:<25}] {done}/{total} examples · {_clock(elapsed)} elapsed"
        line += f" · about {_clock(left)} left" if done else ""
        if line != self.shown:
            sys.stderr.write("\r" + line.ljust(len(self.shown)))
            sys.stderr.flush()
            self.shown = line

    def done(self) -> None:
        sys.stderr.write("\r" + " " * len(self.shown) + "\r")
        sys.stderr.flush()


def _clock(seconds: float) -> str:
    """``1:05`` for 65 seconds (``1:01:05`` past an hour)."""
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


# -- serve ---------------------------------------------------------------------------------------


def _problems(response: Response) -> list[str]:
    problems = []
    refused = False
    for event in response.trace:
        if isinstance(event, Refused):
            refused = True
            problems.append(f"server refused {event.callable}: {event.message}")
        elif isinstance(event, AppRaised):
            if refused and event.exc_type == "RefusedCall":
                continue  # the refusal escaping the app: already reported
            problems.append(f"app raised {event.exc_type}: {event.message} ({event.where})")
    return problems


def _serve(args: argparse.Namespace) -> int:
    from .rules import Exchange, check_exchange
    from .server import Server

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, not {args.port}")
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, not {args.threads}")
    _resolve(args, ["app"])
    app = load_target(args.target)
    printing = threading.RLock()
    trace = sys.stdout  # while serving, the app's prints go through console.whole_lines

    def show(response: Response) -> None:
        findings = check_exchange(Exchange(response, source="socket"))
        lines = [] if args.quiet else [*format_exchange(response), ""]
        request = response.request
        where = f"{request.method} {request.target}"
        problems = [
            *_problems(response),
            *(
                f"{finding.rule} ({finding.level.value}): {finding.message}"
                + (f" at {finding.where.file}:{finding.where.line}" if finding.where else "")
                for finding in findings
            ),
        ]
        lines.extend(untrusted.show(f"! {where}: {problem}") for problem in problems)
        if lines:
            with printing:
                print("\n".join(lines), file=trace, flush=True)

    def rejected(remote: tuple[str, int], status: int, message: str) -> None:
        with printing:
            line = f"! {remote[0]}:{remote[1]}: refused with {status}: {message}"
            print(untrusted.show(line), file=trace, flush=True)

    def failed(exc: BaseException) -> None:
        # Not the app's fault nor the client's: say so, with where it happened.
        lines = traceback.format_exception(exc)
        with printing:
            print(
                f"! wsgicheck's own error (a bug in wsgicheck, not in the app): "
                f"{untrusted.show(type(exc).__name__)}: {untrusted.show(exc)}\n"
                + "".join(lines).rstrip(),
                file=sys.stderr,
                flush=True,
            )

    try:
        server = Server(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            config=ServerConfig(script_name=args.script_name),
            on_exchange=show,
            on_reject=rejected,
            on_error=failed,
        )
    except OSError as exc:
        reason = exc.strerror or exc  # a socket the app replaced may give no strerror
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {reason}") from exc
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    print(f"wsgicheck: serving {args.target} on {server.url} (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    from .console import whole_lines

    with contextlib.suppress(KeyboardInterrupt), whole_lines(printing):
        server.serve_forever()
    print("wsgicheck: stopped", flush=True)
    if any(
        thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
        for thread in threading.enumerate()
    ):
        # A thread the app started would keep the interpreter waiting at exit: the server
        # has stopped, so go now (Ctrl-C stops serve, whatever the app left running).
        sys.stderr.flush()
        os._exit(0)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# -- rules and explain ----------------------------------------------------------------------------


def _rules(args: argparse.Namespace) -> int:
    from .report.common import BINDING_TITLES
    from .rules import REGISTRY, Binding

    for pattern in args.patterns:
        if not REGISTRY.select([pattern.upper()]):
            raise UsageError(f"no rule matches {pattern!r}")
    chosen = [
        each
        for each in REGISTRY.select([pattern.upper() for pattern in args.patterns])
        if args.level is None or each.level.value == args.level
    ]
    if args.json:
        import json

        catalogue = [
            {
                "id": each.id,
                "level": each.level.value,
                "binding": each.binding.value,
                "section": each.section,
                "summary": each.summary,
                "pep": each.pep,
                "covers": list(each.covers),
                "example": each.example,
            }
            for each in chosen
        ]
        print(json.dumps(catalogue, indent=2, ensure_ascii=False))
        return 0
    width = max((len(each.id) for each in chosen), default=0)
    for binding in Binding:
        group = [each for each in chosen if each.binding is binding]
        if not group:
            continue
        print(f"{BINDING_TITLES[binding]} ({len(group)})")
        for each in group:
            head = f"  {each.id:<{width}}  {each.level.value:<6}  "
            print("\n".join(_wrap(each.summary, head, " " * len(head), width=100)))
        print()
    must = sum(each.level.value == "MUST" for each in chosen)
    print(
        f"{len(chosen)} rules ({must} MUST, {len(chosen) - must} SHOULD). "
        "`wsgicheck explain RULE_ID` shows one in full."
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    import difflib

    from .rules import REGISTRY
    from .rules.verdicts import Verdict

    rule_id = args.rule.strip().upper()
    if rule_id not in REGISTRY:
        ids = REGISTRY.ids()
        close = [each for each in ids if rule_id and rule_id in each]
        close += [
            each for each in difflib.get_close_matches(rule_id, ids, n=3) if each not in close
        ]
        hint = f"; did you mean {', '.join(close[:3])}?" if close else " (see: wsgicheck rules)"
        raise UsageError(f"no rule {args.rule!r}{hint}")
    each = REGISTRY[rule_id]
    lines = [
        f"{each.id} ({each.level.value}, binds the {each.binding.value})",
        "",
        *_wrap(each.summary, "  "),
        "",
        f"{each.citation}:",
        *_wrap(each.pep, "  "),
    ]
    if each.example:
        lines += ["", "Example of a violation and its fix:"]
        lines += ["  " + line for line in each.example.splitlines()]
    if each.covers:
        lines += ["", f"Catalogue rows (specs/): {', '.join(each.covers)}"]
    fails = Verdict.for_broken(each.level, strict=False) is Verdict.FAIL
    level = "fails a run" if fails else "warns (fails a run only with --strict)"
    lines += [
        "",
        *_wrap(f"A finding of this rule {level}; select it alone with --select {each.id}.", ""),
    ]
    print("\n".join(lines))
    return 0


def _wrap(text: str, indent: str, more: str | None = None, width: int = 92) -> list[str]:
    import textwrap

    more = indent if more is None else more
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=more)


# -- entry ---------------------------------------------------------------------------------------


def _probe(args: argparse.Namespace) -> int:
    from .probe.command import run

    return run(args)


_COMMANDS = {
    "check": _check,
    "serve": _serve,
    "rules": _rules,
    "explain": _explain,
    "probe": _probe,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wsgicheck`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # a bare ``wsgicheck``: what it can do, and exit status 2 as for a usage error
        _parser().print_help(sys.stderr)
        return 2
    try:
        try:
            args = _parser().parse_args(argv)
        except UsageError as exc:
            print(f"wsgicheck: error: {untrusted.show(str(exc))}", file=sys.stderr)
            return 2
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``wsgicheck check ... | head``): stop quietly, as the Python
        # docs advise for SIGPIPE, pointing stdout at devnull so the flush at exit is silent.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 1
    return status


def _run(args: argparse.Namespace) -> int:
    try:
        return _COMMANDS[args.command](args)
    except WsgicheckError as exc:
        print(f"wsgicheck: error: {untrusted.show(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
