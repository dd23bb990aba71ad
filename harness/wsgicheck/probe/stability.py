"""Probing more than once (``wsgicheck probe --runs N``): one verdict per rule, and the
rules a server broke only sometimes, marked.

Each run starts the server afresh and sends it the same requests (one seed). A server that
answers them the same way gives the same verdicts; one that does not (a race in its
threads, a timing it depends on) breaks some rules in one run and keeps them in the next.
Such a rule is reported broken, with the findings of a run that broke it (the violation did
happen), and marked unstable with how many of the runs that judged it broke it, so a reader
knows a rerun may not show it. A run that gave a rule no evidence does not count for it.
What the server did besides the verdicts (its habits, the environ differences, the
exchanges listed) is the first run's; the notes say which runs each one came from.
"""

from __future__ import annotations

from dataclasses import replace

from ..rules.verdicts import Verdict
from .result import ProbeResult, broken_in

__all__ = ["merge_runs"]


def merge_runs(runs: list[ProbeResult], lost: list[str] | None = None) -> ProbeResult:
    """The first run, with each rule broken in a later run (and not the first) taken from
    that run, :attr:`~.result.ProbeResult.unstable` set, and the notes of every run;
    ``lost`` says why a run asked for gave no result. One run is returned as it is."""
    first = runs[0]
    if len(runs) == 1 and not lost:
        return first
    broken: dict[str, list[int]] = {}
    judged: dict[str, int] = {}
    for index, each in enumerate(runs):
        for result in each.run.results:
            if result.status != Verdict.SKIP:
                judged[result.rule.id] = judged.get(result.rule.id, 0) + 1
            if result.status == Verdict.FAIL:
                broken.setdefault(result.rule.id, []).append(index)
    unstable = {
        rule: (len(indexes), judged[rule])
        for rule, indexes in broken.items()
        if len(indexes) < judged[rule]
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
    notes = _notes(runs) + list(lost or [])
    notes += [
        f"{rule}: {broken_in(count, total)} that judged it, with the same "
        "requests; the server does not answer them the same way each time, so a rerun may "
        "not show it"
        for rule, (count, total) in unstable.items()
    ]
    run = replace(
        first.run,
        results=results,
        failures=failures,
        examples=sum(each.run.examples for each in runs),
        duration=sum(each.run.duration for each in runs),
    )
    return replace(first, run=run, notes=notes, unstable=unstable)


def _notes(runs: list[ProbeResult]) -> list[str]:
    """Every run's notes once, in order; one that not every run had says which did."""
    seen: dict[str, list[int]] = {}
    for number, each in enumerate(runs, 1):
        for note in each.notes:
            numbers = seen.setdefault(note, [])
            if number not in numbers:
                numbers.append(number)
    out = []
    for note, numbers in seen.items():
        if len(numbers) == len(runs):
            out.append(note)
        else:
            label = "run" if len(numbers) == 1 else "runs"
            out.append(f"{label} {', '.join(map(str, numbers))}: {note}")
    return out
