"""The JSON report: the contract other tools rely on (schema: ``schema.json``)."""

from __future__ import annotations

from typing import Any

from ..model.untrusted import show
from ..results.run import RunResult
from . import format
from .common import (
    answers_data,
    coverage_data,
    dumps,
    every_finding,
    failure_data,
    findings_by_path,
    location_data,
    location_of,
    made_at,
    other_places,
    output_data,
    summary,
    verdict_of,
)

SCHEMA_VERSION = 1


def data(run: RunResult) -> dict[str, Any]:
    """The report as plain data."""
    counts = summary(run)
    results = []
    for result in run.results:
        entry: dict[str, Any] = {
            "rule": result.rule.id,
            "level": result.rule.level.value,
            "implied": result.rule.implied,
            "binding": result.rule.binding.value,
            "section": result.rule.section,
            "summary": result.rule.summary,
            "status": result.status,
            "verdict": verdict_of(run, result),
            "exchanges": result.applied,
            "findings": len(result.findings),
            "message": "",
        }
        failure = run.failures.get(result.rule.id)
        if failure is not None:
            entry.update(
                failure_data(
                    failure,
                    location_of(run, failure),
                    other_places(run, failure),
                    made_at(run, failure),
                ),
                replayed=failure.replayed,
                findings_by_path=[
                    {"path": show(path), "findings": count}
                    for path, count in findings_by_path(run, result.rule.id)
                ],
            )
            if run.all_findings:
                entry["all_findings"] = [
                    {
                        "request": each.asked,
                        "server_choices": [show(choice) for choice in each.choices],
                        "message": show(each.message),
                        "count": each.count,
                    }
                    for each in every_finding(run, result.rule.id)
                ]
        results.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "target": show(run.target),
        "seed": run.seed,
        "profile": run.options.profile,
        "strict": run.options.strict,
        "read_only": run.options.read_only,
        "transports": run.options.transports,
        "examples": run.examples,
        "replayed_examples": run.replayed_examples,
        "duration_seconds": round(run.duration, 3),
        "paths": [show(path) for path in run.paths],
        "failed": run.failed(),
        "interrupted": run.interrupted,
        "judged_nothing": run.judged_nothing(),
        "notes": [show(note) for note in run.notes],
        "answers": answers_data(run),
        "summary": {
            "passed": counts.passed,
            "failed": counts.failed,
            "warned": counts.warned,
            "skipped": counts.skipped,
            "known": counts.known,
        },
        "results": results,
        "errors": [show(error) for error in run.errors],
        "app": location_data(run.app_location),
        "app_coverage": coverage_data(run.app_coverage),
        "app_output": output_data(run.app_output),
    }


@format("json")
def render(run: RunResult, color: bool) -> str:
    return dumps(data(run))
