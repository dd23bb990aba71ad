"""The text report: what a person at a terminal reads (coloured when it is a terminal).

Everything the app or the request supplied goes through :func:`~wsgicheck.untrusted.show`
first, so an app cannot move the cursor, recolour the terminal of the person reading its
report, or start a line of its own.
"""

from __future__ import annotations

import textwrap

from ..appcoverage import AppCoverage, line_ranges
from ..locations import relative_path
from ..runner import Failure, RunResult
from ..untrusted import show
from . import format
from .common import (
    ANSWERS_TITLE,
    BINDING_TITLES,
    REPRODUCER_LIMIT,
    answer_rows,
    failure_kind,
    grouped,
    headline,
    lines_of,
    output_lines,
    output_title,
    plural,
    raw_lines,
    source_line,
    verdict_of,
)

_COLORS = {
    "pass": "32",
    "fail": "31",
    "warn": "33",
    "known": "36",
    "skip": "2",
    "title": "1",
    "dim": "2",
}
_MARKS = {"pass": "✓", "fail": "✗", "warn": "!", "known": "○", "skip": "·"}
_LEGEND = (
    "✓ passed   ✗ failed   ! warned (SHOULD)   ○ known (in the baseline)   "
    "· skipped (no exchange gave evidence)"
)
_WIDTH = 100


def _paint(text: str, kind: str, color: bool) -> str:
    return f"\033[{_COLORS[kind]}m{text}\033[0m" if color else text


@format("text")
def render(run: RunResult, color: bool) -> str:
    """The report that fits a screen: passed and skipped rules counted per group."""
    return layout(run, color)


def layout(run: RunResult, color: bool, verbosity: int = 0) -> str:
    """The text report at a verbosity: -1 the failures and the summary line (``-q``), 0 a
    clean run on one screen (passed and skipped rules counted per group), 1 every rule on a
    line of its own (``-v``)."""
    if verbosity < 0:
        return brief(run, color)
    options = run.options
    lines = [
        _paint(f"wsgicheck {show(run.target)}", "title", color),
        f"  seed {run.seed} · profile {options.profile} · {run.examples} examples · "
        f"{run.duration:.1f}s · transports: {options.transports}"
        + (" · strict" if options.strict else ""),
        f"  paths tried: {show(', '.join(run.paths)) or '-'}",
        _paint(f"  {_LEGEND}", "dim", color),
        "",
    ]
    for binding, results in grouped(run):
        lines.append(_paint(BINDING_TITLES[binding], "title", color))
        counted = {"pass": 0, "skip": 0}
        for result in results:
            kind = verdict_of(run, result)
            if kind in counted and verbosity < 1:
                counted[kind] += 1
                continue
            count = f" ({plural(len(result.findings), 'finding')})" if result.findings else ""
            lines.append(
                "  "
                + _paint(f"{_MARKS[kind]} {result.rule.id:<30}", kind, color)
                + f" {result.rule.level.value:<6} {result.rule.summary}{count}"
            )
        tally = [
            _paint(f"{_MARKS[kind]} {number} {word}", kind, color)
            for kind, word in (("pass", "passed"), ("skip", "skipped"))
            if (number := counted[kind])
        ]
        if tally:
            lines.append("  " + "   ".join(tally))
        lines.append("")
    lines.extend(_answers(run, color, verbosity))
    known = []
    for failure in run.failures.values():
        if failure_kind(run, failure) == "known":
            known.append(failure)
        else:
            lines.extend(_failure(run, failure, color))
    if known:
        lines.append(_paint("Known findings (accepted by the baseline)", "title", color))
        for failure in known:
            where = _where(failure)
            lines.append(
                "  "
                + _paint(f"{_MARKS['known']} {failure.rule.id}", "known", color)
                + f" {show(failure.finding.message)}"
                + (f" (at {where})" if where else "")
            )
        lines.append("")
    if run.app_coverage is not None:
        lines.extend(_coverage(run.app_coverage, color))
    if run.app_output is not None:
        lines.append(_paint(output_title(run.app_output), "title", color))
        lines += [f"  │ {line}" for line in output_lines(run.app_output)]
        lines.append("")
    for error in run.errors:
        lines.append(_paint(f"error: {show(error)}", "fail", color))
    lines.extend(f"note: {show(note)}" for note in run.notes)
    lines.append(_closing(run, color))
    return "\n".join(lines) + "\n"


def brief(run: RunResult, color: bool) -> str:
    """The failures, errors and summary line alone: what a terminal gets when the reports go
    to files, so a CI log still says what broke."""
    lines: list[str] = []
    for failure in run.failures.values():
        if failure_kind(run, failure) != "known":
            lines.extend(_failure(run, failure, color))
    for error in run.errors:
        lines.append(_paint(f"error: {show(error)}", "fail", color))
    lines.append(_closing(run, color))
    return "\n".join(lines) + "\n"


def _where(failure: Failure) -> str:
    where = failure.finding.where
    return "" if where is None else f"{show(relative_path(where.file))}:{where.line}"


def _failure(run: RunResult, failure: Failure, color: bool) -> list[str]:
    rule = failure.rule
    kind = failure_kind(run, failure)
    lines = [
        _paint(f"{_MARKS[kind]} {rule.id} ({rule.level.value})", kind, color),
        f"  {show(failure.finding.message)}",
    ]
    where = failure.finding.where
    if where is not None:
        lines.append(f"  at {_where(failure)} in {show(where.function)}()")
        source = source_line(where)
        if source:
            lines.append(_paint(f"    {where.line} │ {show(source)}", "dim", color))
    lines.extend(
        textwrap.wrap(
            f"{rule.citation}: {rule.pep}",
            width=_WIDTH,
            initial_indent="  ",
            subsequent_indent="    ",
        )
    )
    if failure.before:
        count = plural(len(failure.before), "earlier request")
        lines.append(f"  sent after {count} on the same app, in this order:")
        for each in failure.before:
            lines.extend(
                f"    {line}".rstrip() for line in raw_lines(each.to_bytes().decode("latin-1"))
            )
    lines.append(f"  smallest request ({failure.transport} transport):")
    raw = failure.request.to_bytes().decode("latin-1")
    lines.extend(f"    {line}".rstrip() for line in raw_lines(raw))
    lines.append("  replay with curl (against `wsgicheck serve TARGET --port 8000`):")
    lines.append(f"    {show(failure.reproducers.curl, limit=REPRODUCER_LIMIT)}")
    lines.append("  replay in Python:")
    lines.extend(
        f"    {line}".rstrip()
        for line in lines_of(failure.reproducers.python.rstrip("\n"), limit=REPRODUCER_LIMIT)
    )
    lines.append("")
    return lines


def _answers(run: RunResult, color: bool, verbosity: int) -> list[str]:
    """The statuses per path: the few busiest paths, all of them (up to 40) with -v."""
    limit = 40 if verbosity > 0 else 8
    rows = [(show(path, limit=60), text) for path, text in answer_rows(run, limit)]
    if not rows:
        return []
    width = min(40, max(len(path) for path, _ in rows))
    lines = [_paint(ANSWERS_TITLE, "title", color)]
    lines += [f"  {path:<{width}}  {statuses}" for path, statuses in rows]
    return [*lines, ""]


def _coverage(measured: AppCoverage, color: bool) -> list[str]:
    lines = [
        _paint(
            f"App coverage: {measured.executed} of {plural(measured.statements, 'line')} "
            f"({measured.percent:.1f}%) of the app's files under "
            + show(relative_path(measured.root)),
            "title",
            color,
        )
    ]
    if not measured.files:
        lines.append("  no file of the app ran under measurement")
    width = max((len(show(relative_path(each.path))) for each in measured.files), default=0)
    for each in measured.files:
        missing = line_ranges(each.missing)
        lines.append(
            f"  {show(relative_path(each.path)):<{width}}  {each.percent:5.1f}%  "
            f"{len(each.executed)}/{len(each.statements)}"
            + (f"  never reached: {missing}" if missing else "")
        )
    lines.append("")
    return lines


def _closing(run: RunResult, color: bool) -> str:
    return _paint(headline(run), "fail" if run.failed() else "pass", color)
