"""What the tests of ``wsgicheck probe`` read of a probe's result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wsgicheck.probe import ProbeOptions, ProbeResult, prober


def probe_script(folder: Path, source: str, **options: Any) -> ProbeResult:
    """Probe a server written for one test: ``source`` run as ``SCRIPT HOST PORT APP``,
    with no generated request unless ``options`` say otherwise."""
    script = folder / "server_under_test.py"
    script.write_text(source, encoding="utf-8")
    template = f"{{python}} {script} {{host}} {{port}} {{app}}"
    return prober.probe(template, ProbeOptions(**{"examples": 0, **options}))


def messages(result: ProbeResult, rule: str) -> list[str]:
    """What ``rule`` found on the probed server, finding by finding."""
    return [
        finding.message
        for each in result.run.results
        if each.rule.id == rule
        for finding in each.findings
    ]
