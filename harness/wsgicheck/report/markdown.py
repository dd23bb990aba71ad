"""The Markdown report, for pull-request comments (GitHub-flavoured Markdown).

A summary line, a table of the rules that failed or warned, and each failure's details
collapsed. What the app or the request supplied is made one safe line by
:func:`~wsgicheck.model.untrusted.show`, then escaped: Markdown punctuation is
backslashed, ``& < >`` become entities (an app's ``<script>`` or ``</details>`` stays
text), ``@`` and ``#`` become entities (no mentions or issue links pinged from a report),
and code blocks use a fence longer than any run of backticks inside them. GitHub cuts
comments at 65,536 characters, so details past a budget are left to the other formats.
"""

from __future__ import annotations

import re

from ..model.events import Location
from ..model.locations import relative_path
from ..model.untrusted import show
from ..results.appcoverage import AppCoverage, line_ranges
from ..results.run import NOT_FRESH, Failure, RunResult
from ..rules.verdicts import Verdict
from . import common, format

_ICONS = {Verdict.FAIL: "❌", Verdict.WARN: "⚠️", Verdict.KNOWN: "🔵", Verdict.PASS: "✅"}
#: GitHub's limit is 65,536 characters a comment; leave room for what a CI job adds.
BUDGET = 60_000
#: Characters of the app's output a comment shows at most (its last whole lines: where a
#: crash is).
OUTPUT_SHOWN = 2000

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "@": "&#64;", "#": "&#35;"}
_HTML_ENTITIES = {**_ENTITIES, "'": "&#39;"}
_BACKSLASHED = set("\\`*_{}[]()+-.!|~:")


def md(text: str) -> str:
    """``text`` as literal Markdown inline text (table cells included), on one line."""
    out = []
    for char in show(text):
        if char in _ENTITIES:
            out.append(_ENTITIES[char])
        elif char in _BACKSLASHED:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _html(text: str) -> str:
    """``text`` inside raw HTML (``<summary>``), where Markdown is not parsed."""
    return "".join(_HTML_ENTITIES.get(char, char) for char in show(text))


def code(text: str, lang: str = "") -> list[str]:
    """A fenced code block holding ``text`` a line at a time, each made safe by ``show``."""
    return _fence(common.lines_of(text, limit=common.REPRODUCER_LIMIT), lang)


def _fence(lines: list[str], lang: str) -> list[str]:
    """A fenced code block of lines already made safe, its fence longer than any inside."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *lines, fence]


def _inline_code(text: str, *, cell: bool = False) -> str:
    """A code span; in a table ``cell``, with ``|`` escaped as GFM tables require."""
    value = show(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    ticks = "`" * (longest + 1)
    if cell:
        value = value.replace("|", "\\|")
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{pad}{value}{pad}{ticks}"


def _short(text: str) -> str:
    """A message short enough for a table cell or a summary line, saying what was cut."""
    return show(text, limit=300)


def _where(where: Location | None, *, cell: bool = False) -> str:
    if where is None:
        return ""
    return _inline_code(f"{relative_path(where.file)}:{where.line}", cell=cell)


@format("markdown")
def render(run: RunResult, color: bool) -> str:
    icon = _ICONS[common.run_verdict(run)]
    options = run.options
    lines = [
        f"### {icon} wsgicheck {md(common.headline(run))}",
        "",
        f"{_inline_code(run.target)} · seed {run.seed} · "
        + (f"profile {md(options.profile)} · " if options.profile is not None else "")
        + f"{common.examples_sent(run)}"
        + (f" · transports {md(options.transports)}" if options.transports is not None else "")
        + (" · strict" if options.strict else "")
        + (" · read-only" if options.read_only else ""),
        "",
    ]
    shown = [f for f in run.failures.values() if common.failure_kind(run, f) is not Verdict.KNOWN]
    known = [f for f in run.failures.values() if common.failure_kind(run, f) is Verdict.KNOWN]
    if shown:
        lines += _table(run, shown)
    for error in run.errors:
        lines.append(f"- ❗ wsgicheck error: {md(error)}")
    if run.errors:
        lines.append("")
    # What the run could not judge: a pass may hide it (every format says them).
    lines += [*(f"- note: {md(note)}" for note in run.notes), *([""] if run.notes else [])]
    details = [_details(run, failure, python=True) for failure in shown]
    size = sum(len(line) + 1 for line in lines)
    kept = 0
    for full, failure in zip(details, shown, strict=True):
        block = full if size + len(full) <= BUDGET else _details(run, failure, python=False)
        if size + len(block) > BUDGET:
            break
        lines.append(block)
        size += len(block)
        kept += 1
    if kept < len(shown):
        lines += [
            f"*{common.plural(len(shown) - kept, 'more failure')} not shown here (comment size "
            "limit): see the `--format html` or `--format json` report.*",
            "",
        ]
    if known:
        lines += [
            "<details>",
            f"<summary>🔵 {common.plural(len(known), 'known finding')} (accepted by the baseline)"
            "</summary>",
            "",
            *_table(run, known),
            "</details>",
            "",
        ]
    if run.answers.paths:
        lines += [
            "<details>",
            f"<summary>{_html(common.ANSWERS_TITLE)}</summary>",
            "",
            "| Path | Statuses |",
            "| --- | --- |",
            *(
                f"| {_inline_code(path, cell=True)} | {md(text)} |"
                for path, text in common.answer_rows(run, 20)
            ),
            "</details>",
            "",
        ]
    if run.app_coverage is not None:
        lines += _coverage(run.app_coverage)
    if run.app_output is not None:
        printed = common.output_lines(run.app_output)
        last = _last_lines(printed, OUTPUT_SHOWN)
        note = f" (the last {len(last)} of {len(printed)} lines)" if last != printed else ""
        lines += [
            "<details>",
            f"<summary>{_html(common.output_title(run.app_output))}{note}</summary>",
            "",
            *code("\n".join(last)),
            "</details>",
            "",
        ]
    return "\n".join(lines).rstrip("\n") + "\n"


def _last_lines(lines: list[str], budget: int) -> list[str]:
    """The last of ``lines`` that fit ``budget`` characters, whole (a line cut at its start
    could begin inside one of its escapes); at least the last one, which :func:`show` keeps
    under :data:`~wsgicheck.model.untrusted.LIMIT`."""
    kept: list[str] = []
    for line in reversed(lines):
        budget -= len(line) + 1
        if kept and budget < 0:
            break
        kept.append(line)
    return kept[::-1]


def _table(run: RunResult, failures: list[Failure]) -> list[str]:
    lines = ["| | Rule | Level | Finding | Where |", "| --- | --- | --- | --- | --- |"]
    for failure in failures:
        kind = common.failure_kind(run, failure)
        lines.append(
            f"| {_ICONS[kind]} | {_inline_code(failure.rule.id, cell=True)} "
            f"| {failure.rule.level.value} | {md(_short(failure.finding.message))} "
            f"| {_where(common.location_of(run, failure), cell=True)} |"
        )
    lines.append("")
    return lines


def _details(run: RunResult, failure: Failure, *, python: bool) -> str:
    rule = failure.rule
    kind = common.failure_kind(run, failure)
    lines = [
        "<details>",
        f"<summary>{_ICONS[kind]} <code>{_html(rule.id)}</code>: "
        f"{_html(_short(failure.finding.message))}"
        f"{f' ({common.REPLAYED})' if failure.replayed else ''}</summary>",
        "",
        f"> *{md(rule.citation)}*: {md(rule.pep)}",
        "",
    ]
    if _short(failure.finding.message) != show(failure.finding.message):
        lines += [md(failure.finding.message), ""]
    where = common.location_of(run, failure)
    if where is not None:
        lines += [f"At {_where(where)} in {_inline_code(where.called)}.", ""]
    made = common.made_in(run, failure)
    if made is not None:
        spelled, called = (_inline_code(each) for each in made)
        lines += [f"Made in {spelled} in {called}, a library's code.", ""]
    by_path = common.by_path_text(run, failure, _inline_code)
    if by_path is not None:
        lines += [f"{common.capital(by_path)}.", ""]
    others = common.other_places(run, failure)
    if others:
        lines += [f"Also at {common.plural(len(others), 'other place')}:", ""]
        for place in others[: common.OTHER_PLACES_SHOWN]:
            lines.append(
                f"- {_inline_code(place.spelled)} in {_inline_code(place.where.called)}: "
                f"{md(_short(place.message))}{place.aside(_inline_code)}"
            )
        more = common.more_places(others)
        if more is not None:
            lines.append(f"- {md(more)}")
        lines.append("")
    every = common.every_finding(run, failure.rule.id)
    if every:
        lines += [f"{common.capital(common.every_finding_heading(every))}:", ""]
        lines += [f"- {each.told(md)}" for each in every]
        lines.append("")
    if failure.before:
        lines += [f"{common.capital(failure.before_heading)}:", ""]
        for each in failure.before:
            lines += [*_fence(common.raw_lines(each.to_text()), "http"), ""]
    lines += [
        f"{common.capital(md(failure.heading))}:",
        "",
        *_fence(common.raw_lines(failure.request.to_text()), "http"),
        "",
        *([f"**{common.capital(NOT_FRESH)}.**", ""] if failure.fresh is False else []),
        f"Replay with curl (against {show(failure.reproducers.against)}):",
        "",
        *_fence([show(failure.reproducers.curl, limit=common.REPRODUCER_LIMIT)], "sh"),
        "",
    ]
    if python:
        lines += ["Replay in Python:", "", *code(failure.reproducers.python, "python"), ""]
    lines += ["</details>", ""]
    return "\n".join(lines) + "\n"


def _coverage(measured: AppCoverage) -> list[str]:
    lines = [
        f"**App coverage**: {measured.executed} of {common.plural(measured.statements, 'line')} "
        f"({measured.percent:.1f}%) of the app's files ran.",
        "",
        "| File | Lines run | % | Never reached |",
        "| --- | --- | ---: | --- |",
    ]
    for each in measured.files:
        lines.append(
            f"| {_inline_code(relative_path(each.path), cell=True)} | {len(each.executed)}/"
            f"{len(each.statements)} | {each.percent:.1f} | {md(line_ranges(each.missing))} |"
        )
    lines.append("")
    return lines
