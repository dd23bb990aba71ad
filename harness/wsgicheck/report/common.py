"""What every report format needs: counts, verdicts in order, failures as plain data."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

from ..events import Location
from ..request import Request
from ..rules import Binding, Level, RuleResult
from ..runner import Failure, RunResult

__all__ = ["BINDING_TITLES", "Summary", "failure_data", "grouped", "request_data", "summary"]

BINDING_TITLES = {
    Binding.APP: "Application",
    Binding.ENVIRON: "Environ (the server's side)",
    Binding.SERVER: "Server behaviour",
}


@dataclass(frozen=True, slots=True)
class Summary:
    passed: int
    failed: int
    warned: int
    skipped: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.warned + self.skipped


def verdict(result: RuleResult, strict: bool) -> str:
    """``pass``, ``fail``, ``warn`` (a SHOULD rule broken, not strict) or ``skip``."""
    if result.status == "fail" and result.rule.level is Level.SHOULD and not strict:
        return "warn"
    return result.status


def summary(run: RunResult) -> Summary:
    counts = {"pass": 0, "fail": 0, "warn": 0, "skip": 0}
    for result in run.results:
        counts[verdict(result, run.options.strict)] += 1
    return Summary(counts["pass"], counts["fail"], counts["warn"], counts["skip"])


def grouped(run: RunResult) -> list[tuple[Binding, list[RuleResult]]]:
    """Rule verdicts grouped by who the rule binds, in registry order."""
    groups: dict[Binding, list[RuleResult]] = {}
    for result in run.results:
        groups.setdefault(result.rule.binding, []).append(result)
    return [(binding, groups[binding]) for binding in Binding if binding in groups]


def request_data(request: Request) -> dict[str, Any]:
    """A request as JSON-safe data (text as latin-1 strings, the body as base64)."""
    return {
        "method": request.method,
        "target": request.target,
        "http_version": request.http_version,
        "headers": [list(pair) for pair in request.headers],
        "body_base64": base64.b64encode(request.body).decode("ascii"),
        "framing": request.framing.value,
        "chunk_sizes": list(request.chunk_sizes),
    }


def location_data(where: Location | None) -> dict[str, Any] | None:
    if where is None:
        return None
    return {"file": where.file, "line": where.line, "function": where.function}


def failure_data(failure: Failure) -> dict[str, Any]:
    """A failure's minimal example and reproducers as JSON-safe data."""
    config = failure.config
    return {
        "message": failure.finding.message,
        "location": location_data(failure.finding.where),
        "transport": failure.transport,
        "request": request_data(failure.request),
        "server_config": {
            "script_name": config.script_name,
            "multithread": config.multithread,
            "multiprocess": config.multiprocess,
            "file_wrapper": config.file_wrapper,
            "input_terminated_always": config.input_terminated_always,
            "empty_query_string": config.empty_query_string,
            "no_body_content_length": config.no_body_content_length,
            "max_read": config.max_read,
        },
        "raw": failure.reproducers.raw.decode("latin-1"),
        "curl": failure.reproducers.curl,
        "python": failure.reproducers.python,
    }
