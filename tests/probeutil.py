"""What the tests of ``wsgicheck probe`` read of a probe's result."""

from __future__ import annotations

from wsgicheck.probe import ProbeResult


def messages(result: ProbeResult, rule: str) -> list[str]:
    """What ``rule`` found on the probed server, finding by finding."""
    return [
        finding.message
        for each in result.run.results
        if each.rule.id == rule
        for finding in each.findings
    ]
