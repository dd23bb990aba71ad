"""Per-request cost of ``wsgicheck.validator(app)`` against ``wsgiref.validate.validator(app)``.

Run: ``python tests/benchmarks/bench_validator.py [--rounds N]``. Not part of the test
suite: timings belong in a benchmark, never in an assertion. ``--instructions`` counts the
instructions per request instead, with valgrind's callgrind (Debian package ``valgrind``):
slow, but the same on a busy machine as on an idle one.

Every contender is driven the same way, as a server drives an app: a fresh environ from
``wsgiref.util.setup_testing_defaults``, the call, the iteration, ``close()``. Two
requests: a hello GET, and a 64 KiB POST whose body the app reads. Each round times every
contender once in a shuffled order, so machine noise falls on all of them alike; the
figures are medians over rounds, and each ratio is the median of the per-round ratios.

* floor: the bare app, unwrapped;
* wsgiref: ``wsgiref.validate.validator(app)``;
* wsgicheck: ``wsgicheck.validator(app)``, every rule;
* wsgicheck-cold: the same over 2,000 distinct paths in turn, so no verdict the engine
  remembers for a request it judged before applies (its memos hold fewer).
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator as wsgiref_validator

# This folder's own module (run as a script).
from timing import instruction_table, rounds, run_calls

BODY = bytes(range(256)) * 256  # 64 KiB


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The same app for every contender: reads the request body, answers a short one."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        environ["wsgi.input"].read(int(length))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [b"Hello world!"]


def _write(data: bytes) -> None:
    pass


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return _write


def serve(
    wrapped: Callable[..., Any], post: bool, paths: Iterator[str] | None = None
) -> Callable[[], object]:
    """One request as a server makes it: environ, call, iterate, close (to ``/hello``, or
    to each of ``paths`` in turn)."""

    def request() -> object:
        environ: dict[str, Any] = {}
        if post:
            environ["REQUEST_METHOD"] = "POST"
            environ["CONTENT_LENGTH"] = str(len(BODY))
            environ["CONTENT_TYPE"] = "application/octet-stream"
            environ["wsgi.input"] = io.BytesIO(BODY)
        setup_testing_defaults(environ)
        environ["PATH_INFO"] = "/hello" if paths is None else next(paths)
        result = wrapped(environ, start_response)
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return request


def contenders() -> dict[str, Callable[[], object]]:
    import wsgicheck

    wrappers = {
        "floor": app,
        "wsgiref": wsgiref_validator(app),
        "wsgicheck": wsgicheck.validator(app),
    }
    functions = {}
    for request, post in (("GET", False), ("POST 64K", True)):
        for name, wrapped in wrappers.items():
            functions[f"{request} {name}"] = serve(wrapped, post)
        paths = itertools.cycle([f"/hello/{n}" for n in range(2000)])
        functions[f"{request} wsgicheck-cold"] = serve(wrappers["wsgicheck"], post, paths)
    return functions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timing")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request with valgrind (callgrind) instead of timing",
    )
    parser.add_argument("--run", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # one contender N times, for --instructions
        warnings.simplefilter("ignore")
        run_calls(contenders()[args.run[0]], int(args.run[1]))
        return 0
    if args.instructions:
        instruction_table(__file__, ("GET", "POST 64K"))
        return 0
    functions = contenders()
    samples = rounds(functions, args.rounds, args.budget)
    print(f"{'contender':<24}{'median µs':>11}{'vs wsgiref.validate':>22}")
    for name in functions:
        request = name.rsplit(" ", 1)[0]
        times, peer = samples[name], samples[f"{request} wsgiref"]
        ratio = statistics.median(t / p for t, p in zip(times, peer, strict=True))
        print(f"{name:<24}{statistics.median(times) * 1e6:>11.1f}{ratio:>21.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
