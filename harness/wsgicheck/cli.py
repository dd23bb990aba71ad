"""The ``wsgicheck`` command line.

Exit status: 0 clean, 1 the app did something wrong, 2 a usage error (bad TARGET, bad option),
always with one line on stderr for the last.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from . import __version__
from .client import Client
from .environ import ServerConfig
from .errors import UsageError, WsgicheckError
from .events import AppRaised, Refused
from .response import Response
from .target import load_target
from .transcript import format_exchange

__all__ = ["main"]

DEFAULT_PATHS = ("/", "/hello")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wsgicheck", description="WSGI (PEP 3333) conformance harness and fake server."
    )
    parser.add_argument("--version", action="version", version=f"wsgicheck {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    check = commands.add_parser(
        "check",
        help="drive TARGET with requests and report what it did",
        description="Drive TARGET in memory with a fixed set of requests and print each "
        "exchange with what the trace recorded.",
    )
    check.add_argument("target", metavar="TARGET", help="module:callable or path/file.py:callable")
    check.add_argument(
        "--path",
        action="append",
        dest="paths",
        metavar="PATH",
        help="a path to exercise (repeatable; default: / and /hello)",
    )
    check.add_argument("--script-name", default="", help="mount the app under this prefix")
    check.add_argument("--quiet", "-q", action="store_true", help="print only the summary")
    serve = commands.add_parser(
        "serve",
        help="serve TARGET on a real socket, validating and tracing each exchange",
        description="Serve TARGET over HTTP/1.1 with every exchange printed like curl -v, "
        "with what the trace recorded. Ctrl-C stops it cleanly.",
    )
    serve.add_argument("target", metavar="TARGET", help="module:callable or path/file.py:callable")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (8000; 0 picks a free one)")
    serve.add_argument("--script-name", default="", help="mount the app under this prefix")
    serve.add_argument("--threads", type=int, default=8, help="worker threads (8)")
    serve.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    return parser


def _requests(client: Client, paths: Sequence[str]) -> list[Response]:
    """The fixed set of exchanges ``check`` runs for each path."""
    prefix = client.config.script_name
    responses = []
    for path in paths:
        target = prefix + path
        responses.append(client.get(target))
        responses.append(client.head(target))
        responses.append(client.get(target + "?q=1&empty=&pct=%25"))
        responses.append(client.post(target, form={"name": "wsgicheck"}))
        responses.append(client.post(target, body=b"chunk" * 10, chunked=True, chunk_sizes=(7, 43)))
    responses.append(client.get(prefix + "/caf\u00e9//x"))
    return responses


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


def _check(args: argparse.Namespace) -> int:
    app = load_target(args.target)
    client = Client(app, config=ServerConfig(script_name=args.script_name))
    responses = _requests(client, args.paths or DEFAULT_PATHS)
    failed = 0
    for response in responses:
        problems = _problems(response)
        failed += bool(problems)
        if not args.quiet:
            print("\n".join(format_exchange(response)))
            print()
        for problem in problems:
            print(f"! {response.request.method} {response.request.target}: {problem}")
    verdict = f"{failed} with problems" if failed else "no problems"
    print(f"{args.target}: {len(responses)} exchanges, {verdict}")
    return 1 if failed else 0


def _serve(args: argparse.Namespace) -> int:
    from .server import Server

    app = load_target(args.target)
    if args.threads < 1:
        raise UsageError("--threads must be at least 1")
    printing = threading.Lock()

    def show(response: Response) -> None:
        problems = _problems(response)
        lines = [] if args.quiet else [*format_exchange(response), ""]
        request = response.request
        lines.extend(f"! {request.method} {request.target}: {problem}" for problem in problems)
        if lines:
            with printing:
                print("\n".join(lines), flush=True)

    def rejected(remote: tuple[str, int], status: int, message: str) -> None:
        with printing:
            print(f"! {remote[0]}:{remote[1]}: refused with {status}: {message}", flush=True)

    try:
        server = Server(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            config=ServerConfig(script_name=args.script_name),
            on_exchange=show,
            on_reject=rejected,
        )
    except OSError as exc:
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {exc.strerror}") from exc
    print(f"wsgicheck: serving {args.target} on {server.url} (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    print("wsgicheck: stopped", flush=True)
    return 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wsgicheck`` console script."""
    args = _parser().parse_args(argv)
    try:
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
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
        if args.command == "check":
            return _check(args)
        if args.command == "serve":
            return _serve(args)
    except WsgicheckError as exc:
        print(f"wsgicheck: error: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
