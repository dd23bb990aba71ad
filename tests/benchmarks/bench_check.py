"""How long ``wsgicheck check`` takes on the bare app, per profile: medians of whole runs.

Run: ``python tests/benchmarks/bench_check.py [--runs N]``. Not part of the test suite.

Each run is the real command in a fresh process (``wsgicheck check fixtures/wsgiapp.py:app
--profile P --no-database --seed S``), so the figure includes start-up, discovery, both
transports and every rule: what a user waits for. The targets (issue 5) are under 3 s for
``quick`` and under 10 s for ``default`` on a 2-core machine. Beside the wall-clock figures,
the CPU time of the command and its worker (their rusage), per example: on a shared, busy
machine it moves far less than the wall clock does.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = str(ROOT / "fixtures" / "wsgiapp.py") + ":app"


def one_run(profile: str, seed: int) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds of one check, and the examples it ran."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    output = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsgicheck",
            "check",
            TARGET,
            "--profile",
            profile,
            "--no-database",
            "--seed",
            str(seed),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if output.returncode not in (0, 1):
        raise RuntimeError(output.stderr)
    return elapsed, cpu, json.loads(output.stdout)["examples"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print(
        f"{'profile':<10}{'median s':>10}{'min s':>8}{'max s':>8}{'examples':>10}{'ex/s':>8}"
        f"{'CPU s':>8}{'CPU ms/ex':>11}"
    )
    for profile in ("quick", "default"):
        times, cpus, counts = [], [], []
        for seed in range(args.runs):
            elapsed, cpu, examples = one_run(profile, seed)
            times.append(elapsed)
            cpus.append(cpu)
            counts.append(examples)
        median = statistics.median(times)
        cpu = statistics.median(cpus)
        examples = int(statistics.median(counts))
        print(
            f"{profile:<10}{median:>10.2f}{min(times):>8.2f}{max(times):>8.2f}"
            f"{examples:>10}{examples / median:>8.0f}{cpu:>8.2f}{cpu / examples * 1e3:>11.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
