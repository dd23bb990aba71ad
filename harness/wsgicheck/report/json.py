"""The JSON report: the contract other tools rely on (schema: ``schema.json``)."""

from __future__ import annotations

import json as _json
from typing import Any

from ..runner import RunResult
from . import format
from .common import failure_data, summary, verdict

SCHEMA_VERSION = 1


def data(run: RunResult) -> dict[str, Any]:
    """The report as plain data."""
    counts = summary(run)
    results = []
    for result in run.results:
        entry: dict[str, Any] = {
            "rule": result.rule.id,
            "level": result.rule.level.value,
            "binding": result.rule.binding.value,
            "section": result.rule.section,
            "summary": result.rule.summary,
            "status": "fail" if result.status == "fail" else result.status,
            "verdict": verdict(result, run.options.strict),
            "exchanges": result.applied,
            "findings": len(result.findings),
            "message": "",
        }
        failure = run.failures.get(result.rule.id)
        if failure is not None:
            entry.update(failure_data(failure))
        results.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "target": run.target,
        "seed": run.seed,
        "profile": run.options.profile,
        "strict": run.options.strict,
        "transports": run.options.transports,
        "examples": run.examples,
        "duration_seconds": round(run.duration, 3),
        "paths": run.paths,
        "failed": run.failed(),
        "summary": {
            "passed": counts.passed,
            "failed": counts.failed,
            "warned": counts.warned,
            "skipped": counts.skipped,
        },
        "results": results,
        "errors": run.errors,
    }


@format("json")
def render(run: RunResult, color: bool) -> str:
    return _json.dumps(data(run), indent=2, ensure_ascii=False) + "\n"
