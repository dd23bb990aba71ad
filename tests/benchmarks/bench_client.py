"""Per-request cost of ``Client(app).get`` against its peers, as ratios from one run.

Run: ``python tests/benchmarks/bench_client.py [--rounds N]``. Not part of the test suite:
timings belong in a benchmark, never in an assertion.

Each round times every contender once (a few thousand requests each) in a shuffled order,
so machine noise falls on all of them alike; the figures are medians over rounds, and each
ratio is the median of the per-round ratios.

* floor: a direct call of the app with an environ built fresh by
  ``wsgiref.util.setup_testing_defaults`` and a do-nothing ``start_response``;
* wsgicheck: ``Client(app).get("/hello")``, trace recorded;
* wsgicheck-cold: the same over 2,000 distinct targets in turn, so the client never reuses
  a request value it built before (its cache holds 1,024);
* werkzeug: ``werkzeug.test.Client(app).get("/hello")``;
* webtest: ``webtest.TestApp(app).get("/hello")`` (its lint on, the default).
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

from timing import rounds  # this folder's own module (run as a script)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The bare app: the same for every contender."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world!"]


def contenders() -> dict[str, Callable[[], object]]:
    import webtest
    import werkzeug.test

    from wsgicheck import Client

    def floor() -> object:
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        environ["PATH_INFO"] = "/hello"
        result = app(environ, lambda status, headers, exc_info=None: None)
        return b"".join(result)

    client = Client(app)
    cold_client = Client(app)
    cold_targets = itertools.cycle([f"/hello/{n}" for n in range(2000)])
    werkzeug_client = werkzeug.test.Client(app)
    webtest_app = webtest.TestApp(app)
    return {
        "floor": floor,
        "wsgicheck": lambda: client.get("/hello"),
        "wsgicheck-cold": lambda: cold_client.get(next(cold_targets)),
        "werkzeug": lambda: werkzeug_client.get("/hello"),
        "webtest": lambda: webtest_app.get("/hello"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--budget", type=float, default=0.2, help="seconds per timing")
    args = parser.parse_args(argv)
    functions = contenders()
    samples = rounds(functions, args.rounds, args.budget, batch=50)
    floor = samples["floor"]
    ours = samples["wsgicheck"]
    print(f"{'contender':<16}{'median µs':>11}{'vs floor':>10}{'wsgicheck faster by':>22}")
    for name in functions:
        times = samples[name]
        vs_floor = statistics.median(t / f for t, f in zip(times, floor, strict=True))
        faster = statistics.median(t / o for t, o in zip(times, ours, strict=True))
        print(f"{name:<16}{statistics.median(times) * 1e6:>11.2f}{vs_floor:>9.2f}x{faster:>21.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
