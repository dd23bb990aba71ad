"""The ``wsgicheck`` command line: ``check``, ``serve``, ``rules``, ``explain``, ``probe``.

Exit status: 0 clean, 1 the app broke rules, 2 a usage error (bad TARGET, bad option),
the last always with one line on stderr; 130 when interrupted (Ctrl-C), with one line too.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .cli_check import INTERRUPTED, run_check
from .cli_parser import build_parser
from .cli_rules import run_explain, run_rules
from .cli_serve import run_serve
from .model import untrusted
from .model.errors import UsageError, WsgicheckError

__all__ = ["main"]


def _probe(args: argparse.Namespace) -> int:
    from .probe.command import run

    return run(args)


_COMMANDS = {
    "check": run_check,
    "serve": run_serve,
    "rules": run_rules,
    "explain": run_explain,
    "probe": _probe,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wsgicheck`` console script."""
    program = argv is None  # run as the wsgicheck program, not called in-process
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv:  # a bare ``wsgicheck``: what it can do, and exit status 2 as for a usage error
        build_parser().print_help(sys.stderr)
        return 2
    try:
        try:
            args = build_parser().parse_args(argv)
        except UsageError as exc:
            print(f"wsgicheck: error: {untrusted.show(str(exc))}", file=sys.stderr)
            return 2
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        if program and args.command == "check":
            _leave(status)
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


def _leave(status: int) -> NoReturn:
    """End the ``wsgicheck check`` program now that its reports are written: the exit
    handlers run (coverage.py saves its data in one), the interpreter's teardown of
    Hypothesis and the rest does not (a tenth of a second of every run), as in a worker."""
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


def _run(args: argparse.Namespace) -> int:
    try:
        return _COMMANDS[args.command](args)
    except WsgicheckError as exc:
        print(f"wsgicheck: error: {untrusted.show(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
