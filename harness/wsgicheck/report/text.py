"""The text report: what a person at a terminal reads (coloured when it is a terminal)."""

from __future__ import annotations

from ..rules import Level
from ..runner import RunResult
from . import format
from .common import BINDING_TITLES, grouped, summary, verdict

_COLORS = {"pass": "32", "fail": "31", "warn": "33", "skip": "2", "title": "1", "dim": "2"}
_MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "skip": "·"}


def _paint(text: str, kind: str, color: bool) -> str:
    return f"\033[{_COLORS[kind]}m{text}\033[0m" if color else text


@format("text")
def render(run: RunResult, color: bool) -> str:
    options = run.options
    lines = [
        _paint(f"wsgicheck {run.target}", "title", color),
        f"  seed {run.seed} · profile {options.profile} · {run.examples} examples · "
        f"{run.duration:.1f}s · transports: {options.transports}"
        + (" · strict" if options.strict else ""),
        f"  paths tried: {', '.join(run.paths) or '-'}",
        "",
    ]
    for binding, results in grouped(run):
        lines.append(_paint(BINDING_TITLES[binding], "title", color))
        for result in results:
            kind = verdict(result, options.strict)
            count = f" ({len(result.findings)} findings)" if result.findings else ""
            skipped = " (no exchange gave evidence)" if kind == "skip" else ""
            lines.append(
                "  "
                + _paint(f"{_MARKS[kind]} {result.rule.id:<30}", kind, color)
                + f" {result.rule.level.value:<6} {result.rule.summary}{count}{skipped}"
            )
        lines.append("")
    for rule_id, failure in run.failures.items():
        rule = failure.rule
        kind = "fail" if rule.level is Level.MUST or options.strict else "warn"
        lines.append(_paint(f"{_MARKS[kind]} {rule_id} ({rule.level.value})", kind, color))
        lines.append(f"  {failure.finding.message}")
        if failure.finding.where is not None:
            lines.append(f"  at {failure.finding.where} in {failure.finding.where.function}()")
        lines.append(f"  PEP 3333, {rule.section}: {rule.pep}")
        lines.append(f"  smallest request ({failure.transport} transport):")
        raw = failure.reproducers.raw.decode("latin-1")
        lines.extend("    " + repr_line for repr_line in _raw_lines(raw))
        lines.append("  replay with curl (against `wsgicheck serve TARGET --port 8000`):")
        lines.append(f"    {failure.reproducers.curl}")
        lines.append("  replay in Python:")
        lines.extend(f"    {line}" for line in failure.reproducers.python.splitlines())
        lines.append("")
    for error in run.errors:
        lines.append(_paint(f"error: {error}", "fail", color))
    counts = summary(run)
    verdict_text = "FAILED" if run.failed() else "passed"
    lines.append(
        _paint(
            f"{verdict_text}: {counts.failed} rules failed, {counts.warned} warned, "
            f"{counts.passed} passed, {counts.skipped} skipped ({counts.total} rules)",
            "fail" if run.failed() else "pass",
            color,
        )
    )
    return "\n".join(lines) + "\n"


def _raw_lines(raw: str) -> list[str]:
    """The raw request, one line per HTTP line, with unprintable bytes escaped."""
    head, _, body = raw.partition("\r\n\r\n")
    lines = [repr(line)[1:-1] for line in head.split("\r\n")]
    lines.append("")
    if body:
        shown = repr(body[:200])[1:-1]
        lines.append(shown + ("..." if len(body) > 200 else ""))
    return lines
