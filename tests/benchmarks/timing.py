"""The timing loop the in-process benchmarks share: shuffled rounds, seconds per call; and
the count of instructions per call, which machine load does not move.

Each round times every contender once in a new order, so machine noise falls on all of them
alike; callers take medians over rounds and ratios per round.
"""

from __future__ import annotations

import gc
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence


def per_call(function: Callable[[], object], budget: float, batch: int = 20) -> float:
    """Seconds per call, timing as many calls (in batches) as fit in about ``budget`` s."""
    calls = 0
    start = time.perf_counter()
    deadline = start + budget
    while True:
        for _ in range(batch):
            function()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            return (now - start) / calls


def rounds(
    functions: Mapping[str, Callable[[], object]], count: int, budget: float, batch: int = 20
) -> dict[str, list[float]]:
    """Seconds per call of each contender, one sample per round, after a warm-up that also
    shows every contender runs."""
    for function in functions.values():
        per_call(function, 0.05, batch)
    samples: dict[str, list[float]] = {name: [] for name in functions}
    names = list(functions)
    for _ in range(count):
        random.shuffle(names)
        for name in names:
            samples[name].append(per_call(functions[name], budget, batch))
    return samples


def instructions(script: str, name: str, warm: int = 200, counted: int = 1000) -> float:
    """Instructions per call of the contender ``name``, counted by valgrind's callgrind
    (Debian package ``valgrind``) running ``script --run NAME N``: a run of ``warm +
    counted`` calls less a run of ``warm`` (start-up and warm-up cancel out). Slow, but
    the same on a busy machine as on an idle one, where the clock is not."""
    totals = []
    for calls in (warm, warm + counted):
        with tempfile.TemporaryDirectory() as folder:
            out = os.path.join(folder, "callgrind.out")
            subprocess.run(
                [
                    *("valgrind", "--tool=callgrind", "-q", f"--callgrind-out-file={out}"),
                    *(sys.executable, script, "--run", name, str(calls)),
                ],
                check=True,
                capture_output=True,
            )
            with open(out, encoding="utf-8") as report:
                totals.append(int(re.findall(r"^summary: (\d+)", report.read(), re.M)[-1]))
    return (totals[1] - totals[0]) / counted


def instruction_table(script: str, requests: Sequence[str], peer: str = "wsgiref") -> None:
    """Count (:func:`instructions`) and print, for each of ``requests``, the instructions
    per request of ``peer`` and of ``wsgicheck`` (the contenders "REQUEST peer" and
    "REQUEST wsgicheck" of ``script``), and their ratio."""
    names = [f"{request} {who}" for request in requests for who in (peer, "wsgicheck")]
    counts = {name: instructions(script, name) for name in names}
    width = max(map(len, names)) + 4
    print(f"{'contender':<{width}}{'instructions':>13}{'vs ' + peer:>14}")
    for name, count in counts.items():
        base = counts[f"{name.rsplit(' ', 1)[0]} {peer}"]
        print(f"{name:<{width}}{count:>13,.0f}{count / base:>13.2f}x")


def run_calls(function: Callable[[], object], count: int) -> None:
    """Call ``function`` ``count`` times, for :func:`instructions` to count (``--run``):
    what the process made before is frozen first, so that a full garbage collection that
    falls in one count and not the other (millions of instructions for the modules'
    objects) does not move the difference."""
    gc.collect()
    gc.freeze()
    for _ in range(count):
        function()
