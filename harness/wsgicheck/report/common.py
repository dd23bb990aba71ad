"""What every report format needs: counts, verdicts in order, failures as plain data."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from ..appcoverage import AppCoverage
from ..baseline import fingerprint
from ..events import Location
from ..locations import relative_path
from ..request import Request
from ..rules import Binding, Level, RuleResult
from ..runner import Failure, RunResult
from ..supervisor import CapturedOutput

__all__ = [
    "BINDING_TITLES",
    "VERDICT_TITLES",
    "Summary",
    "coverage_data",
    "failure_data",
    "failure_kind",
    "grouped",
    "headline",
    "location_data",
    "output_data",
    "output_title",
    "plural",
    "printable",
    "raw_lines",
    "request_data",
    "summary",
    "verdict",
    "verdict_of",
]

BINDING_TITLES = {
    Binding.APP: "Application",
    Binding.ENVIRON: "Environ (the server's side)",
    Binding.SERVER: "Server behaviour",
}


#: Each verdict, as the reports name it.
VERDICT_TITLES = {
    "pass": "passed",
    "fail": "failed",
    "warn": "warned",
    "known": "known",
    "skip": "skipped",
}


@dataclass(frozen=True, slots=True)
class Summary:
    passed: int
    failed: int
    warned: int
    skipped: int
    #: Failing rules a baseline accepts.
    known: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.warned + self.skipped + self.known


def verdict(result: RuleResult, strict: bool, known: frozenset[str] | None = None) -> str:
    """``pass``, ``fail``, ``warn`` (a SHOULD rule broken, not strict), ``known`` (broken,
    but every finding is in the baseline) or ``skip``."""
    if result.status != "fail":
        return result.status
    if known is not None and result.rule.id in known:
        return "known"
    if result.rule.level is Level.SHOULD and not strict:
        return "warn"
    return "fail"


def verdict_of(run: RunResult, result: RuleResult) -> str:
    return verdict(result, run.options.strict, run.known)


def failure_kind(run: RunResult, failure: Failure) -> str:
    """The verdict of a failure's rule: ``fail``, ``warn`` or ``known``."""
    if run.known is not None and failure.rule.id in run.known:
        return "known"
    if failure.rule.level is Level.SHOULD and not run.options.strict:
        return "warn"
    return "fail"


def summary(run: RunResult) -> Summary:
    counts = {"pass": 0, "fail": 0, "warn": 0, "skip": 0, "known": 0}
    for result in run.results:
        counts[verdict_of(run, result)] += 1
    return Summary(counts["pass"], counts["fail"], counts["warn"], counts["skip"], counts["known"])


def headline(run: RunResult) -> str:
    """``FAILED: 1 rule failed, 0 warned, 59 passed, 43 skipped (103 rules)``."""
    counts = summary(run)
    parts = [
        f"{plural(counts.failed, 'rule')} failed",
        f"{counts.warned} warned",
        *([f"{counts.known} known"] if counts.known else []),
        f"{counts.passed} passed",
        f"{counts.skipped} skipped",
    ]
    head = "FAILED" if run.failed() else "passed"
    return f"{head}: {', '.join(parts)} ({plural(counts.total, 'rule')})"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# C0 controls but tab and newline, DEL, C1 controls, and what XML 1.0 cannot hold.
_unprintable = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes: terminals, XML and HTML
    all misbehave on raw ones, and what an app sends may hold any."""
    return _unprintable.sub(_escape, text)


def raw_lines(raw: str, *, limit: int = 200) -> list[str]:
    """A raw request, one line per HTTP line, unprintable bytes escaped, the body cut."""
    head, _, body = raw.partition("\r\n\r\n")
    lines = [repr(line)[1:-1] for line in head.split("\r\n")]
    lines.append("")
    if body:
        lines.append(repr(body[:limit])[1:-1] + ("..." if len(body) > limit else ""))
    return lines


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
        "fingerprint": fingerprint(failure.finding),
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


def coverage_data(measured: AppCoverage | None) -> dict[str, Any] | None:
    """``--app-coverage`` as JSON-safe data (paths relative to the working directory)."""
    if measured is None:
        return None
    return {
        "root": relative_path(measured.root),
        "statements": measured.statements,
        "executed": measured.executed,
        "percent": measured.percent,
        "files": [
            {
                "path": relative_path(each.path),
                "statements": len(each.statements),
                "executed": len(each.executed),
                "percent": each.percent,
                "missing": list(each.missing),
            }
            for each in measured.files
        ],
    }


def output_title(captured: CapturedOutput) -> str:
    """``Output of the app (stdout and stderr): 70000 bytes, 4464 cut from the middle``."""
    cut = f", {captured.cut} cut from the middle" if captured.cut else ""
    return f"Output of the app (stdout and stderr): {plural(captured.size, 'byte')}{cut}"


def output_data(captured: CapturedOutput | None) -> dict[str, Any] | None:
    """What the app printed, as JSON-safe data; None when it printed nothing."""
    if captured is None:
        return None
    return {"text": captured.text, "bytes": captured.size, "cut": captured.cut}
