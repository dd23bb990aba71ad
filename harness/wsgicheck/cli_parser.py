"""The ``wsgicheck`` command line's parser: every command's arguments and their help.

Apart from the commands themselves, so that each command's module reads its arguments from
one definition; and what the command line left out, resolved from the settings.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import __version__, settings
from .model.errors import UsageError


class _Formatter(argparse.HelpFormatter):
    """Help where every option with a value says its default."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            "%(default)" in text
            or not action.option_strings
            or action.nargs == 0  # takes no value (-v): its default is no setting of it
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


#: TARGET, which ``app`` in [tool.wsgicheck] or WSGICHECK_APP may give instead.
_TARGET_HELP = (
    "module:callable or path/file.py:callable; without :callable, the module's application, "
    "else its app (default: app in [tool.wsgicheck] or WSGICHECK_APP)"
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


def build_parser() -> argparse.ArgumentParser:
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
        "1 on findings, 2 on usage errors, 5 when no rule was judged (each one skipped).",
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


def resolve_settings(args: argparse.Namespace, names: list[str]) -> None:
    """What the command line left out, from ``WSGICHECK_*``, then ``[tool.wsgicheck]`` in
    the nearest ``pyproject.toml``, then the defaults; ``args.sources`` says where from."""
    args.app = args.target
    args.sources = settings.resolve(args, names, settings.Sources())
    args.target = args.app
    if not args.target:
        raise UsageError(
            "give a TARGET (module:callable), or app in [tool.wsgicheck] or WSGICHECK_APP"
        )
