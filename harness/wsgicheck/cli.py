"""The ``wsgicheck`` command line.

Exit status: 0 clean, 1 the app did something wrong, 2 a usage error (bad TARGET, bad option),
always with one line on stderr for the last.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .client import Client
from .environ import ServerConfig
from .errors import WsgicheckError
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
    for event in response.trace:
        if isinstance(event, Refused):
            problems.append(f"server refused {event.callable}: {event.message}")
        elif isinstance(event, AppRaised):
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


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``wsgicheck`` console script."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "check":
            return _check(args)
    except WsgicheckError as exc:
        print(f"wsgicheck: error: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
