"""Per-request cost of judging one exchange with every rule, beside ``wsgiref.validate``.

Run: ``python tests/benchmarks/bench_rules.py [--rounds N]``. Not part of the test suite:
timings belong in a benchmark, never in an assertion. ``--instructions`` counts the
instructions per request instead, with valgrind's callgrind (Debian package ``valgrind``):
slow, but the same on a busy machine as on an idle one.

Each round times every contender once in a shuffled order, so machine noise falls on all of
them alike; the figures are medians over rounds, and each ratio is the median of the
per-round ratios. Two requests, each against the same app (it reads any request body whole):
a hello ``GET`` and a 64 KiB ``POST``. For each:

* floor: a direct call of the app with an environ built the way wsgiref's own tests build
  one (``wsgiref.util.setup_testing_defaults``), iterated and closed;
* wsgiref: the same, with the app wrapped in ``wsgiref.validate.validator`` (the peer);
* wsgicheck: ``Client(app)`` sends the request and every registered rule judges the
  exchange (``check_exchange(Exchange(response))``), what ``wsgicheck check`` does per
  example;
* wsgicheck-cold: the same over 2,000 distinct targets in turn, so no verdict the engine
  remembers for a request it judged before applies (its memos hold fewer);
* client-only: ``Client(app)`` alone, to show how much of the above is the transport.
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import validator

# This folder's own module (run as a script).
from timing import instruction_table, rounds, run_calls

BODY = bytes(range(256)) * 256  # 64 KiB


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The bare app: the same for every contender; it reads the request body whole."""
    length = environ.get("CONTENT_LENGTH")
    if length:
        environ["wsgi.input"].read(int(length))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "12")])
    return [b"Hello world!"]


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return lambda data: None


def direct(
    wsgi_app: Callable[..., Iterable[bytes]], method: str, body: bytes
) -> Callable[[], object]:
    """Call ``wsgi_app`` as wsgiref's tests do: a testing-defaults environ, iterate, close."""

    def call() -> object:
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ["PATH_INFO"] = "/hello"
        environ["QUERY_STRING"] = ""
        environ["REQUEST_METHOD"] = method
        if body:
            environ["CONTENT_LENGTH"] = str(len(body))
            environ["CONTENT_TYPE"] = "application/octet-stream"
            environ["wsgi.input"] = io.BytesIO(body)
        result = wsgi_app(environ, _start_response)
        try:
            return b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    return call


def contenders() -> dict[str, Callable[[], object]]:
    from wsgicheck import Client
    from wsgicheck.rules import Exchange, check_exchange

    client = Client(app)
    checked_app = validator(app)

    def judged(send: Callable[[], Any]) -> Callable[[], object]:
        def call() -> object:
            findings = check_exchange(Exchange(send()))
            assert not findings, findings
            return findings

        return call

    def get() -> Any:
        return client.get("/hello")

    cold_client = Client(app)
    targets = itertools.cycle([f"/hello/{n}" for n in range(2000)])

    def get_cold() -> Any:
        return cold_client.get(next(targets))

    def post_cold() -> Any:
        return cold_client.post(
            next(targets), body=BODY, headers={"Content-Type": "application/octet-stream"}
        )

    def post() -> Any:
        return client.post(
            "/hello", body=BODY, headers={"Content-Type": "application/octet-stream"}
        )

    return {
        "GET floor": direct(app, "GET", b""),
        "GET wsgiref": direct(checked_app, "GET", b""),
        "GET wsgicheck": judged(get),
        "GET wsgicheck-cold": judged(get_cold),
        "GET client-only": get,
        "POST floor": direct(app, "POST", BODY),
        "POST wsgiref": direct(checked_app, "POST", BODY),
        "POST wsgicheck": judged(post),
        "POST wsgicheck-cold": judged(post_cold),
        "POST client-only": post,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--budget", type=float, default=0.15, help="seconds per timing")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per request with valgrind (callgrind) instead of timing",
    )
    parser.add_argument("--run", nargs=2, metavar=("CONTENDER", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.run:  # one contender N times, for --instructions
        run_calls(contenders()[args.run[0]], int(args.run[1]))
        return 0
    if args.instructions:
        instruction_table(__file__, ("GET", "POST"))
        return 0
    functions = contenders()
    samples = rounds(functions, args.rounds, args.budget)
    print(f"{'contender':<20}{'median µs':>11}{'vs floor':>10}{'vs wsgiref':>12}")
    for name in functions:
        method = name.split()[0]
        times = samples[name]
        floor = samples[f"{method} floor"]
        peer = samples[f"{method} wsgiref"]
        vs_floor = statistics.median(t / f for t, f in zip(times, floor, strict=True))
        vs_peer = statistics.median(t / p for t, p in zip(times, peer, strict=True))
        print(
            f"{name:<20}{statistics.median(times) * 1e6:>11.2f}{vs_floor:>9.2f}x{vs_peer:>11.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
