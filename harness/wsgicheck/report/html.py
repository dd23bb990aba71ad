"""The HTML report: one self-contained file to attach to a CI run or mail to a colleague.

No scripts, no fonts, no images, no links to fetch: inline CSS, and ``<details>`` for the
failures, so it reads the same from a CI artifact, offline, or with JavaScript off. Every
string from the app or the request is made safe by :func:`~wsgicheck.model.untrusted.show` (its
control characters shown, its length bounded), then escaped as HTML.
"""

from __future__ import annotations

import html

from .. import __version__
from ..model.locations import relative_path
from ..model.untrusted import LIMIT, show
from ..results.appcoverage import AppCoverage, line_ranges
from ..results.run import NOT_FRESH, Failure, RunResult
from ..rules.verdicts import Verdict
from . import common, format

_MARKS = {
    Verdict.PASS: "✓",
    Verdict.FAIL: "✗",
    Verdict.WARN: "!",
    Verdict.KNOWN: "○",
    Verdict.SKIP: "–",
}
#: The order of the rule table's columns.
_COLUMNS = (Verdict.PASS, Verdict.FAIL, Verdict.WARN, Verdict.KNOWN, Verdict.SKIP)

_CSS = """
:root { color-scheme: light dark; --fg: #1d2125; --muted: #5f6b76; --line: #d5dbe1;
  --bg: #ffffff; --panel: #f5f7f9; --pass: #1a7f37; --fail: #cf222e; --warn: #9a6700;
  --known: #0969da; --skip: #8c959f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1;
  --line: #30363d; --bg: #0d1117; --panel: #161b22; --pass: #3fb950; --fail: #f85149;
  --warn: #d29922; --known: #58a6ff; --skip: #6e7681; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 78rem; padding: 1.5rem; font: 15px/1.5 system-ui,
  -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; word-break: break-all; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .6rem .8rem; overflow-x: auto; white-space: pre; margin: .25rem 0 .75rem; }
.meta { color: var(--muted); margin: 0; }
.verdict { font-weight: 600; font-size: 1.1rem; }
.counts { list-style: none; padding: 0; display: flex; gap: .5rem; flex-wrap: wrap; }
.counts li { border: 1px solid var(--line); border-radius: 999px; padding: .1rem .7rem; }
.pass { color: var(--pass); } .fail { color: var(--fail); } .warn { color: var(--warn); }
.known { color: var(--known); } .skip { color: var(--skip); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left;
  vertical-align: top; }
th.num { text-align: right; }
thead th { font-size: .8rem; text-transform: uppercase; color: var(--muted); }
td.cell { text-align: center; width: 3.2rem; font-weight: 700; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th code { white-space: nowrap; }
td code { overflow-wrap: anywhere; }
tr.v-fail th, tr.v-fail th a { color: var(--fail); } tr.v-warn th { color: var(--warn); }
tr.v-known th { color: var(--known); } tr.v-skip { color: var(--muted); }
details { border: 1px solid var(--line); border-left: 4px solid var(--fail);
  border-radius: 6px; margin: .6rem 0; padding: .4rem .8rem; }
details.f-warn { border-left-color: var(--warn); }
details.f-known { border-left-color: var(--known); }
summary { cursor: pointer; font-weight: 600; }
summary .message { font-weight: 400; }
blockquote { margin: .5rem 0; padding: .1rem .8rem; border-left: 3px solid var(--line);
  color: var(--muted); }
.missing { font-family: ui-monospace, monospace; font-size: 13px; }
footer { margin-top: 2rem; color: var(--muted); font-size: .85rem; }
"""


def _e(text: str, *, limit: int = LIMIT) -> str:
    """Escaped for HTML text and attribute values, control characters shown."""
    return html.escape(show(text, limit=limit), quote=True)


def _against(text: str) -> str:
    """Where a replay goes, its `code` spans as ``<code>``."""
    parts = text.split("`")
    return "".join(
        f"<code>{_e(part)}</code>" if index % 2 else _e(part) for index, part in enumerate(parts)
    )


def _pre(lines: list[str]) -> str:
    """Lines already made safe, escaped for the inside of a ``<pre>``."""
    return "\n".join(html.escape(line, quote=True) for line in lines)


@format("html")
def render(run: RunResult, color: bool) -> str:
    counts = common.summary(run)
    shade = common.run_verdict(run).value
    options = run.options
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>wsgicheck: {_e(run.target)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>wsgicheck <code>{_e(run.target)}</code></h1>",
        f'<p class="meta">seed {run.seed} · '
        + (f"profile {_e(options.profile)} · " if options.profile is not None else "")
        + f"{common.examples_sent(run)} · {run.duration:.1f}s"
        + (f" · transports {_e(options.transports)}" if options.transports is not None else "")
        + f"{' · strict' if options.strict else ''}"
        + f"{' · read-only' if options.read_only else ''}</p>",
        # (A probe tries no paths of an app's: its requests are its own.)
        *([f'<p class="meta">paths tried: {_e(", ".join(run.paths))}</p>'] if run.paths else []),
        f'<p id="verdict" class="verdict {shade}">{_e(common.headline(run))}</p>',
        *(
            [f'<p class="meta">{_e(common.nothing_judged_text(run))}</p>']
            if run.judged_nothing()
            else []
        ),
        '<ul class="counts">',
        *(
            f'<li class="{name}">{number} {common.VERDICT_TITLES[name]}</li>'
            for name, number in (
                (Verdict.FAIL, counts.failed),
                (Verdict.WARN, counts.warned),
                (Verdict.KNOWN, counts.known),
                (Verdict.PASS, counts.passed),
                (Verdict.SKIP, counts.skipped),
            )
            if number or name is not Verdict.KNOWN
        ),
        "</ul>",
        "</header>",
        "<main>",
        *_failures(run),
        *_answers(run),
        *_coverage(run.app_coverage),
        *_matrix(run),
        *_output(run),
        *_errors(run),
        *_notes(run),
        "</main>",
        f"<footer>wsgicheck {_e(__version__)} · replay this run: <code>{_e(run.replay)}"
        "</code></footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _matrix(run: RunResult) -> list[str]:
    columns = [name for name in _COLUMNS if name is not Verdict.KNOWN or run.known is not None]
    parts = ['<section id="matrix">', "<h2>Rules</h2>"]
    for binding, results in common.grouped(run):
        parts += [
            f'<table class="matrix" id="matrix-{binding.value}">',
            f"<caption>{_e(common.BINDING_TITLES[binding])}</caption>",
            "<thead><tr><th>Rule</th><th>Level</th>"
            + "".join(f"<th>{common.VERDICT_TITLES[name]}</th>" for name in columns)
            + '<th class="num">Exchanges</th><th class="num">Findings</th>'
            "<th>What it requires</th></tr></thead>",
            "<tbody>",
        ]
        for result in results:
            kind = common.verdict_of(run, result)
            rule_id = _e(result.rule.id)
            name = (
                f'<a href="#failure-{rule_id}">{rule_id}</a>'
                if result.rule.id in run.failures
                else rule_id
            )
            cells = "".join(
                f'<td class="cell {column}">{_MARKS[column]}</td>'
                if column == kind
                else '<td class="cell"></td>'
                for column in columns
            )
            parts.append(
                f'<tr class="v-{kind}" data-rule="{rule_id}" data-verdict="{kind}">'
                f'<th scope="row"><code>{name}</code></th><td>{result.rule.level.value}</td>'
                f'{cells}<td class="num">{result.applied}</td>'
                f'<td class="num">{len(result.findings)}</td><td>{_e(result.rule.summary)}</td>'
                "</tr>"
            )
        parts += ["</tbody>", "</table>"]
    parts.append("</section>")
    return parts


def _failures(run: RunResult) -> list[str]:
    if not run.failures:
        return []
    parts = ['<section id="failures">', "<h2>Failures</h2>"]
    for rule_id, failure in run.failures.items():
        parts += _failure(run, rule_id, failure)
    parts.append("</section>")
    return parts


def _failure(run: RunResult, rule_id: str, failure: Failure) -> list[str]:
    rule = failure.rule
    kind = common.failure_kind(run, failure)
    where = common.location_of(run, failure)
    parts = [
        f'<details class="failure f-{kind}" id="failure-{_e(rule_id)}">',
        f'<summary><span class="{kind}">{_MARKS[kind]} <code>{_e(rule_id)}</code></span> '
        f"({rule.level_shown}{', known' if kind is Verdict.KNOWN else ''}"
        f"{f', {common.REPLAYED}' if failure.replayed else ''}) "
        f'<span class="message">{_e(failure.finding.message)}</span></summary>',
    ]
    if where is not None:
        parts.append(
            f"<p>at <code>{_e(relative_path(where.file))}:{where.line}</code> "
            f"in <code>{_e(where.called)}</code></p>"
        )
        source = common.source_line(where)
        if source:
            parts.append(f'<pre class="source">{where.line} │ {_e(source.strip())}</pre>')
    made = common.made_in(run, failure)
    if made is not None:
        parts.append(
            f"<p>made in <code>{_e(made[0])}</code> in <code>{_e(made[1])}</code>, "
            "a library's code</p>"
        )
    by_path = common.by_path_text(run, failure, _e)
    if by_path is not None:
        parts.append(f'<p class="by-path">{by_path}</p>')
    others = common.other_places(run, failure)
    if others:
        parts.append(f"<p>also at {common.plural(len(others), 'other place')}:</p><ul>")
        for each in others[: common.OTHER_PLACES_SHOWN]:
            parts.append(
                f"<li><code>{_e(each.spelled)}</code> in "
                f"<code>{_e(each.where.called)}</code>: {_e(each.message)}"
                f"{each.aside(lambda asked: f'<code>{_e(asked)}</code>')}</li>"
            )
        more = common.more_places(others)
        if more is not None:
            parts.append(f"<li>{_e(more)}</li>")
        parts.append("</ul>")
    every = common.every_finding(run, failure.rule.id)
    if every:
        parts.append(f'<p>{_e(common.every_finding_heading(every))}:</p><ul class="every">')
        parts += [f"<li>{each.told(_e)}</li>" for each in every]
        parts.append("</ul>")
    parts.append(f"<blockquote><p><em>{_e(rule.citation)}</em>: {_e(rule.pep)}</p></blockquote>")
    if failure.before:
        parts.append(f"<h3>{_e(common.capital(failure.before_heading))}</h3>")
        parts += [
            f'<pre class="raw">{_pre(common.raw_lines(each.to_text()))}</pre>'
            for each in failure.before
        ]
    parts += [
        f"<h3>{_e(common.capital(failure.heading))}</h3>",
        f'<pre class="raw">{_pre(common.raw_lines(failure.request.to_text()))}</pre>',
        *(
            [f"<p><strong>{_e(common.capital(NOT_FRESH))}.</strong></p>"]
            if failure.fresh is False
            else []
        ),
        "<h3>Replay with curl</h3>",
        f"<p>against {_against(failure.reproducers.against)}:</p>",
        f'<pre class="curl">{_e(failure.reproducers.curl, limit=common.REPRODUCER_LIMIT)}</pre>',
        "<h3>Replay in Python</h3>",
        f'<pre class="python">'
        f"{_pre(common.lines_of(failure.reproducers.python, limit=common.REPRODUCER_LIMIT))}</pre>",
        "</details>",
    ]
    return parts


def _answers(run: RunResult) -> list[str]:
    rows = common.answer_rows(run, 40)
    if not rows:
        return []
    return [
        '<section id="answers">',
        f"<h2>{_e(common.ANSWERS_TITLE)}</h2>",
        "<table><thead><tr><th>Path</th><th>Statuses</th></tr></thead><tbody>",
        *(f"<tr><td><code>{_e(path)}</code></td><td>{_e(text)}</td></tr>" for path, text in rows),
        "</tbody></table>",
        "</section>",
    ]


def _coverage(measured: AppCoverage | None) -> list[str]:
    if measured is None:
        return []
    parts = [
        '<section id="app-coverage">',
        "<h2>App coverage</h2>",
        f"<p>{measured.executed} of {common.plural(measured.statements, 'line')} "
        f"({measured.percent:.1f}%) of the app's files under "
        f"<code>{_e(relative_path(measured.root))}</code> ran.</p>",
        '<table><thead><tr><th>File</th><th class="num">Lines run</th><th class="num">%</th>'
        "<th>Never reached</th></tr></thead><tbody>",
    ]
    for each in measured.files:
        parts.append(
            f"<tr><td><code>{_e(relative_path(each.path))}</code></td>"
            f'<td class="num">{len(each.executed)}/{len(each.statements)}</td>'
            f'<td class="num">{each.percent:.1f}</td>'
            f'<td class="missing">{_e(line_ranges(each.missing))}</td></tr>'
        )
    parts += ["</tbody></table>", "</section>"]
    return parts


def _output(run: RunResult) -> list[str]:
    if run.app_output is None:
        return []
    return [
        '<section id="app-output">',
        f"<h2>{_e(common.output_title(run.app_output))}</h2>",
        f"<pre>{_pre(common.output_lines(run.app_output))}</pre>",
        "</section>",
    ]


def _notes(run: RunResult) -> list[str]:
    """What the run could not judge, or judged only in part: a pass may hide it."""
    if not run.notes:
        return []
    items = "".join(f"<li>{_e(note)}</li>" for note in run.notes)
    return ['<section id="notes">', "<h2>Notes</h2>", f"<ul>{items}</ul>", "</section>"]


def _errors(run: RunResult) -> list[str]:
    if not run.errors:
        return []
    items = "".join(f"<li>{_e(error)}</li>" for error in run.errors)
    return [
        '<section id="errors">',
        "<h2>Errors of wsgicheck</h2>",
        f"<ul>{items}</ul>",
        "</section>",
    ]
