"""Probing more than once (``wsgicheck probe --runs N``): one verdict per rule, and the
rules a server broke only sometimes, marked.

Each run starts the server afresh and sends it the same requests (one seed). A server that
answers them the same way gives the same verdicts; one that does not (a race in its
threads, a timing it depends on) breaks some rules in one run and not in the next. Such a
rule is reported broken, with the findings of a run that broke it (the violation did
happen), and marked unstable with how many runs broke it, so a reader knows a rerun may not
show it. A rule that passed in one run and had no evidence in another is not unstable: the
evidence, not the verdict, differed.
"""

from __future__ import annotations

from dataclasses import replace

from ..rules.verdicts import Verdict
from .result import ProbeResult

__all__ = ["merge_runs"]


def merge_runs(runs: list[ProbeResult]) -> ProbeResult:
    """The first run, with each rule broken in some other run taken from that run, and
    :attr:`~.result.ProbeResult.unstable` set. One run is returned as it is."""
    first = runs[0]
    if len(runs) == 1:
        return first
    broken: dict[str, list[int]] = {}
    for index, each in enumerate(runs):
        for result in each.run.results:
            if result.status == Verdict.FAIL:
                broken.setdefault(result.rule.id, []).append(index)
    unstable = {
        rule: (len(indexes), len(runs))
        for rule, indexes in broken.items()
        if len(indexes) < len(runs)
    }
    results, failures = [], dict(first.run.failures)
    for result in first.run.results:
        rule = result.rule.id
        source = broken.get(rule, [0])[0]
        if source != 0:
            other = runs[source].run
            result = next(each for each in other.results if each.rule.id == rule)
            if rule in other.failures:
                failures[rule] = other.failures[rule]
        results.append(result)
    notes = list(first.notes)
    for number, each in enumerate(runs[1:], 2):
        notes += [f"run {number}: {note}" for note in each.notes if note not in first.notes]
    notes += [
        f"{rule}: broken in {count} of {total} runs with the same requests; the server does "
        "not answer them the same way each time, so a rerun may not show it"
        for rule, (count, total) in unstable.items()
    ]
    duration = sum(each.run.duration for each in runs)
    run = replace(first.run, results=results, failures=failures, duration=duration)
    return replace(first, run=run, notes=notes, unstable=unstable)
