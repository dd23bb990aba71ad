"""The ``wsgicheck`` command line: ``check``, ``serve``, ``rules``, ``explain``, ``probe``.

Exit status: 0 clean, 1 the app broke rules, 2 a usage error (bad TARGET, bad option),
the last always with one line on stderr; 130 when interrupted (Ctrl-C), with one line too.
"""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
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
    """The ``wsgicheck`` command line (``argv``: ``sys.argv[1:]`` by default); its exit
    status. The console script is :func:`program`."""
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
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
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


def program() -> NoReturn:
    """The ``wsgicheck`` console script (and ``python -m wsgicheck``): :func:`main`, then
    the exit. After ``check``, when no other thread is left to finish (the app's own
    non-daemon threads and pools are waited for, as Python waits for them), the exit
    handlers run (coverage.py saves its data in one) and the interpreter's teardown of
    Hypothesis and the rest does not: a tenth of a second of every run, as in a worker."""
    argv = sys.argv[1:]
    status = main(argv)
    if argv[:1] == ["check"] and not [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon
    ]:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    sys.exit(status)


def _run(args: argparse.Namespace) -> int:
    try:
        return _COMMANDS[args.command](args)
    except WsgicheckError as exc:
        print(f"wsgicheck: error: {untrusted.show(str(exc))}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
