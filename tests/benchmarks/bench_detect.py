"""Time to detect: how many examples each generator needs to find each hidden bug.

Run: ``python tests/benchmarks/bench_detect.py [--seeds N] [--budget N]``. Not part of the
test suite; under two minutes with the defaults.

For every app in ``fixtures/hidden/`` (a bug behind one kind of request), the runner is run
with the fixed corpus off, in memory, with today's generator (the request vocabulary with
meaning and sequences that learn from the answers) and beside it the generator of
wsgicheck 0.x (``strategies.requests(meaningful=False)``, no sequences), each over several
seeds. The table gives the median example at which the app's rule first broke (``-`` when a
seed never found it within the budget) and how many seeds found it within each profile's
budget. Then the cost of an example on the bare app, for each generator.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "harness"))

# The module the runner draws from (wsgicheck.strategies only re-exports it: a request
# strategy replaced there would never be drawn).
from wsgicheck.explore import strategies  # noqa: E402
from wsgicheck.explore.runner import PROFILES, RunOptions, run  # noqa: E402
from wsgicheck.target import load_target  # noqa: E402

HIDDEN = sorted((ROOT / "fixtures" / "hidden").glob("*.py"))
GENERATORS = ("today", "0.x")


@contextmanager
def generator(name: str) -> Iterator[bool]:
    """Today's requests, or 0.x's (the old strategy is kept callable for this comparison);
    yields whether sequences run."""
    if name == "today":
        yield True
        return
    original = strategies.requests
    strategies.requests = functools.partial(original, meaningful=False)  # type: ignore[assignment]
    try:
        yield False
    finally:
        strategies.requests = original  # type: ignore[assignment]


def detect(path: Path, name: str, seed: int, budget: int) -> int | None:
    """The example at which the fixture's rule first broke, or None."""
    app = load_target(f"{path}:app")
    expected = sys.modules[app.__module__].EXPECTED
    with generator(name) as sequences:
        options = RunOptions(
            database=None,
            seed=seed,
            max_examples=budget,
            corpus=False,
            transports="memory",
            sequences=sequences,
            select=(expected,),
        )
        result = run(app, options, target=path.stem)
    return result.first_found.get(expected)


def cost(name: str, examples: int = 300) -> float:
    """Milliseconds per example on the bare app, memory and socket, every rule."""
    app = load_target(str(ROOT / "fixtures" / "wsgiapp.py") + ":app")
    with generator(name) as sequences:
        options = RunOptions(database=None, seed=1, max_examples=examples, sequences=sequences)
        started = time.perf_counter()
        result = run(app, options)
    return (time.perf_counter() - started) * 1000 / result.examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--budget", type=int, default=PROFILES["default"])
    parser.add_argument("--only", nargs="*", default=[], help="these hidden apps (stems)")
    parser.add_argument("--no-cost", action="store_true", help="skip the cost per example")
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    print(f"examples to first detection, median of {args.seeds} seeds, budget {args.budget}")
    print("(found: seeds that found it within the quick / default profile's examples)\n")
    print("| hidden bug | today | found | 0.x | found |")
    print("| --- | --- | --- | --- | --- |")
    for path in HIDDEN:
        if args.only and path.stem not in args.only:
            continue
        cells = []
        for name in GENERATORS:
            hits = [detect(path, name, seed, args.budget) for seed in seeds]
            found = sorted(hit for hit in hits if hit is not None)
            # A seed that never found it counts as past the budget.
            median = statistics.median([*found, *[args.budget + 1] * (len(hits) - len(found))])
            shown = "-" if median > args.budget else f"{median:g}"
            within = [sum(hit <= PROFILES[p] for hit in found) for p in ("quick", "default")]
            cells += [shown, f"{within[0]}/{within[1]} of {len(hits)}"]
        print(f"| {path.stem} | " + " | ".join(cells) + " |")
    print()
    for name in GENERATORS if not args.no_cost else ():
        print(f"cost per example ({name}, bare app, both transports): {cost(name):.2f} ms")


if __name__ == "__main__":
    main()
