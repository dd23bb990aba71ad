"""Launchers for servers that have no command line of their own.

``python -m wsgicheck.probe.launch NAME HOST PORT APP`` serves ``APP`` (``module:callable``)
with ``wsgiref.simple_server`` or Werkzeug's development server, as their documentation
shows them started; it runs until it is terminated (SIGTERM exits cleanly).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..drivers.target import load_target

__all__ = ["LAUNCHERS", "main"]


def _wsgiref(host: str, port: int, app: Any) -> None:
    from wsgiref.simple_server import make_server

    with make_server(host, port, app) as server:
        server.serve_forever()


def _werkzeug(host: str, port: int, app: Any) -> None:
    from werkzeug.serving import run_simple

    # threaded=True is what `flask run` uses; it also makes the server speak HTTP/1.1.
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


LAUNCHERS: dict[str, Callable[[str, int, Any], None]] = {
    "wsgiref": _wsgiref,
    "werkzeug": _werkzeug,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 4 or args[0] not in LAUNCHERS or not args[2].isdigit():
        print(
            f"usage: python -m wsgicheck.probe.launch {{{','.join(LAUNCHERS)}}} HOST PORT APP",
            file=sys.stderr,
        )
        return 2
    name, host, port, spec = args
    # SIGTERM ends the server as Ctrl-C would: exit handlers run (and records still due at
    # garbage collection get written) instead of the process vanishing mid-step.
    signal.signal(signal.SIGTERM, _terminate)
    LAUNCHERS[name](host, int(port), load_target(spec))
    return 0


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(0)


if __name__ == "__main__":  # pragma: no cover - run as a server process
    sys.exit(main())
