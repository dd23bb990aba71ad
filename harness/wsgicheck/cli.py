"""The ``wsgicheck`` command line: ``check``, ``serve``, ``rules``, ``explain``, ``probe``.

Exit status: 0 clean, 1 the app broke rules, 2 a usage error (bad TARGET, bad option),
the last always with one line on stderr; 130 when interrupted (Ctrl-C), with one line too.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import errno
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from .cli_check import INTERRUPTED, run_check
from .cli_parser import build_parser
from .cli_rules import run_explain, run_rules
from .cli_serve import run_serve
from .drivers.target import lingering_threads
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
    _fill_closed_streams()
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
        _silence_stdout()
        return 1
    except OSError as exc:
        if exc.errno not in _OUTPUT_FAILURES:
            raise
        # A full disk, a failing device: what was to be printed is lost, so say so once.
        print(f"wsgicheck: error: cannot write its output: {exc.strerror}", file=sys.stderr)
        _silence_stdout()
        return 2
    return status


#: Why writing to stdout fails, other than a reader gone away.
_OUTPUT_FAILURES = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG})


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail again."""
    if sys.stdout is None:  # closed from the start: nothing to flush
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fill_closed_streams() -> None:
    """Started with stdout or stderr closed (``>&-``, ``2>&-``): /dev/null takes the
    descriptor, so that no file or socket opened later gets its number and what is written
    there, and ``sys.stderr`` writes to it (what it says is lost; nothing fails on it).
    ``sys.stdout`` stays None: ``check`` then asks for ``--output`` (a report due there
    would be lost), and what the other commands print goes nowhere."""
    for fd in (1, 2):
        try:
            os.fstat(fd)
        except OSError:
            opened = os.open(os.devnull, os.O_WRONLY)
            if opened != fd:  # a lower one was closed too, and took it: move it
                os.dup2(opened, fd)
                os.close(opened)
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process


def program() -> NoReturn:
    """The ``wsgicheck`` console script (and ``python -m wsgicheck``): :func:`main`, then
    the exit. After ``check``, when no other thread is left to finish (the app's own
    non-daemon threads and pools are waited for, as Python waits for them), the exit
    handlers run (coverage.py saves its data in one) and the interpreter's teardown of
    Hypothesis and the rest does not: a tenth of a second of every run, as in a worker."""
    argv = sys.argv[1:]
    status = main(argv)
    if argv[:1] == ["check"] and not lingering_threads():
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # None when started with it closed (>&-)
                with contextlib.suppress(OSError):  # what failed has been said
                    stream.flush()
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
