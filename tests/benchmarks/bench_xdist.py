"""How the plugin's suite scales with pytest-xdist: examples per wall-clock second, -n 1 and -n 2.

Run: ``python tests/benchmarks/bench_xdist.py [--rounds N] [--profile P]``. Not part of the
test suite.

Each round runs the real ``pytest -n 1`` and ``pytest -n 2`` (interleaved, so both meet the
same load) with ``--wsgi-app`` on the bare app, a fixed seed and no example database, in an
empty folder. Two rates are printed, medians over the rounds: examples per second of the
whole pytest process (start-up, worker start, collection, the run, the report), and of the
exploration alone (the examples over the slowest share's time, from the suite's summary),
and the median of each round's own -n 2 over -n 1 ratio.
The target (issue 15) is about twice the examples per second at -n 2 on two cores.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = str(ROOT / "fixtures" / "wsgiapp.py") + ":app"
SUMMARY = re.compile(r"^\S+: (\d+) examples in ([\d.]+)s \(profile", re.M)


def one_run(workers: int, profile: str, seed: int, folder: Path) -> tuple[float, int, float]:
    """Wall-clock seconds of one pytest run, the examples it explored, and the seconds the
    exploration took (its slowest share)."""
    started = time.perf_counter()
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-n",
            str(workers),
            f"--wsgi-app={TARGET}",
            f"--wsgi-profile={profile}",
            f"--wsgi-seed={seed}",
            "--wsgi-database=off",
            "-q",
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    match = SUMMARY.search(output.stdout)
    if output.returncode != 0 or match is None:
        raise RuntimeError(output.stdout[-2000:] + output.stderr[-2000:])
    return elapsed, int(match.group(1)), float(match.group(2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", default="thorough", choices=["quick", "default", "thorough"])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    whole: dict[int, list[float]] = {1: [], 2: []}
    explored: dict[int, list[float]] = {1: [], 2: []}
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    with tempfile.TemporaryDirectory(prefix="bench-xdist-") as folder:
        (Path(folder) / "pytest.ini").write_text("[pytest]\n")  # not the project's config
        for round_ in range(args.rounds):
            for workers in (1, 2):
                elapsed, examples, exploring = one_run(
                    workers, args.profile, args.seed, Path(folder)
                )
                whole[workers].append(examples / elapsed)
                explored[workers].append(examples / exploring)
                print(
                    f"round {round_ + 1} -n {workers}: {examples} examples, {elapsed:.1f}s "
                    f"wall clock, {exploring:.1f}s exploring",
                    flush=True,
                )
    # A shared machine's other work takes cores from both: the ratio says less when it is high.
    print("load average (1, 5, 15 min): {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    # The paired ratio (each round's -n 2 over its own -n 1, which ran just before it) drifts
    # less with the machine's load than the ratio of the medians.
    print(f"{'':<22}{'-n 1 ex/s':>11}{'-n 2 ex/s':>11}{'ratio':>8}{'paired':>8}")
    for name, rates in (("whole pytest run", whole), ("exploration alone", explored)):
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        paired = statistics.median(b / a for a, b in zip(rates[1], rates[2], strict=True))
        print(f"{name:<22}{one:>11.1f}{two:>11.1f}{two / one:>8.2f}{paired:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
