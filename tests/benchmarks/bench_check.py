"""How long ``wsgicheck check`` takes on the bare app, per profile: medians of whole runs.

Run: ``python tests/benchmarks/bench_check.py [--runs N]``. Not part of the test suite.

Each run is the real command in a fresh process (``wsgicheck check fixtures/wsgiapp.py:app
--profile P --no-database --seed S``), so the figure includes start-up, discovery, both
transports and every rule: what a user waits for. The targets (issue 5) are under 3 s for
``quick`` and under 10 s for ``default`` on a 2-core machine. Beside the wall-clock figures,
the CPU time of the command and its worker (their rusage), per example: on a shared, busy
machine it moves far less than the wall clock does. ``--against HARNESS`` runs another
wsgicheck (a ``git archive`` of main's ``harness`` folder) in turn with this one, round by
round, so that the two are compared in the same run.

The ``floor`` row is what no single-process run can go under: a fresh interpreter that
imports what a run's worker draws with (Hypothesis, wsgicheck's strategies and the modules
of exploring, which a run imports too) and lets Hypothesis draw, with the run's own settings,
as many lone requests as the default run draws alone (its examples less the corpus's and
the share kept for sequences), sending none of them. The sequences' draws, the transports,
the rules and the report come on top of it. ``against / 3`` is what issue 13's "3x its
starting point" allows, when ``--against`` is that starting point.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TARGET = str(ROOT / "fixtures" / "wsgiapp.py") + ":app"


def one_run(profile: str, seed: int, harness: str | None = None) -> tuple[float, float, int]:
    """Wall-clock and CPU seconds of one check, and the examples it ran; ``harness`` is the
    folder to import wsgicheck from (None: as this process would)."""
    env = dict(os.environ)
    if harness is not None:
        env["PYTHONPATH"] = harness
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
        env=env,
    )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    if output.returncode not in (0, 1):
        raise RuntimeError(output.stderr)
    return elapsed, cpu, json.loads(output.stdout)["examples"]


#: Run in a fresh interpreter: Hypothesis drawing a run's lone requests, sending none (argv:
#: examples, seed). The strategies, settings and seeding are the run's own.
FLOOR = """
import sys
from hypothesis import Phase
from wsgicheck.core.environ import ServerConfig
from wsgicheck.explore import examples, strategies
from wsgicheck.explore.corpus import corpus
from wsgicheck.explore.server_choices import server_configs
from wsgicheck.model.options import RunOptions

total, seed = int(sys.argv[1]), int(sys.argv[2])
options, base, paths = RunOptions(profile="default"), ServerConfig(), ["/"]
left = total - len(corpus(paths, script_names=options.script_names, base=base))
lone = left - int(left * examples.SEQUENCE_SHARE)
drawn = (
    strategies.requests(paths=paths, raw_bytes=options.raw_bytes),
    server_configs(script_names=options.script_names, base=base),
)
examples._hypothesis_run(
    lambda request, config: None,
    drawn,
    max_examples=lone,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    seed=seed,
)
"""


def floor_run(examples: int, seed: int) -> float:
    """Wall-clock seconds of :data:`FLOOR` in a fresh interpreter, importing this tree."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "harness"))
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", FLOOR, str(examples), str(seed)],
        check=True,
        timeout=300,
        env=env,
    )
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--against",
        metavar="HARNESS",
        help="another wsgicheck's harness folder (a git archive of main, say), run in turn "
        "with this one in the same rounds: the ratio of the two is the figure to compare",
    )
    args = parser.parse_args(argv)
    print(
        f"{'profile':<18}{'median s':>10}{'min s':>8}{'max s':>8}{'examples':>10}{'ex/s':>8}"
        f"{'CPU s':>8}{'CPU ms/ex':>11}"
    )
    trees: dict[str, str | None] = {"": None}
    if args.against:
        trees = {" (this)": str(ROOT / "harness"), " (against)": args.against}
    for profile in ("quick", "default"):
        measured: dict[str, list[tuple[float, float, int]]] = {name: [] for name in trees}
        for seed in range(args.runs):
            order = list(trees) if seed % 2 == 0 else list(reversed(trees))
            for name in order:
                measured[name].append(one_run(profile, seed, trees[name]))
        for name, runs in measured.items():
            times = [elapsed for elapsed, _, _ in runs]
            median = statistics.median(times)
            cpu = statistics.median(cpu for _, cpu, _ in runs)
            examples = int(statistics.median(count for _, _, count in runs))
            print(
                f"{profile + name:<18}{median:>10.2f}{min(times):>8.2f}{max(times):>8.2f}"
                f"{examples:>10}{examples / median:>8.0f}{cpu:>8.2f}"
                f"{cpu / examples * 1e3:>11.2f}"
            )
        if profile == "default":
            examples = int(statistics.median(count for _, _, count in measured[next(iter(trees))]))
            floor = statistics.median(floor_run(examples, seed) for seed in range(args.runs))
            print(f"{'floor (Hypothesis)':<18}{floor:>10.2f}{'':>16}{examples:>10}")
            if args.against:
                against = statistics.median(elapsed for elapsed, _, _ in measured[" (against)"])
                print(f"{'against / 3':<18}{against / 3:>10.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
