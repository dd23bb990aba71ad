"""The server conformance matrix: servers × rules, each cell one of
:data:`~.result.CELLS`.

Rows are the SERVER and ENVIRON rules in registry order, each with its level and the source
that level comes from (PEP 3333 or an RFC section); columns are the servers probed. A broken
MUST, a SHOULD not followed, "not applicable" and "not probed" have four marks and four
counts. Markdown for a README or a pull request, HTML for a page of its own. A failing cell
names its first finding (a footnote in Markdown, a tooltip and a list in HTML), after
"(broken in 1 of 2 runs)" when ``--runs`` showed the server breaks it only sometimes. Server names,
versions and findings pass through :func:`~wsgicheck.model.untrusted.show` before the markup's
own escaping.
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass, field

from ..model.untrusted import show
from ..rules import Binding
from .result import CELLS, ProbeResult

__all__ = ["Matrix", "build", "to_html", "to_markdown"]

_TITLES = {Binding.SERVER: "Server behaviour", Binding.ENVIRON: "The environ the server builds"}
_MARKS = {
    "pass": "✅ pass",
    "fail": "❌ MUST",
    "warn": "⚠️ SHOULD",
    "n/a": "— n/a",
    "not probed": "· not probed",
}
#: The summary table's headings, one per cell kind.
_COUNTS = {
    "pass": "pass",
    "fail": "MUST broken",
    "warn": "SHOULD not followed",
    "n/a": "n/a",
    "not probed": "not probed",
}
_CSS_CLASS = {"pass": "pass", "fail": "fail", "warn": "warn", "n/a": "skip", "not probed": "skip"}


@dataclass(frozen=True, slots=True)
class Column:
    server: str
    version: str
    how: str


@dataclass(slots=True)
class Row:
    rule: str
    level: str
    binding: Binding
    summary: str
    #: Where the rule and its level come from (``PEP 3333, <section>`` or an RFC section).
    source: str
    #: Server → one of :data:`~.result.CELLS`.
    cells: dict[str, str] = field(default_factory=dict)
    #: Server → the first finding's message, for failing cells.
    messages: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Matrix:
    columns: list[Column]
    rows: list[Row]
    #: Servers left out, and why (not installed, did not start).
    left_out: list[str] = field(default_factory=list)
    #: When it was measured (a date, as the caller gives it).
    date: str = ""

    def counts(self, server: str) -> dict[str, int]:
        tally = dict.fromkeys(CELLS, 0)
        for row in self.rows:
            tally[row.cells.get(server, "n/a")] += 1
        return tally


def build(
    results: list[ProbeResult], *, left_out: list[str] | None = None, date: str = ""
) -> Matrix:
    """The matrix of ``results`` (one column per server, in the order given)."""
    columns = [Column(each.server, each.version or "", each.how) for each in results]
    rows: dict[str, Row] = {}
    for each in results:
        cells = each.cells()
        for result in each.run.results:
            rule = result.rule
            row = rows.get(rule.id)
            if row is None:
                source = rule.source
                if source == "PEP 3333":
                    source = f"PEP 3333, {rule.section.split(';')[0]}"
                row = rows[rule.id] = Row(
                    rule.id, rule.level.value, rule.binding, rule.summary, source
                )
            row.cells[each.server] = cells[rule.id]
            if result.findings:
                unstable = each.unstable_note(rule.id)
                prefix = f"({unstable}) " if unstable else ""
                row.messages[each.server] = prefix + result.findings[0].message
    return Matrix(columns, list(rows.values()), list(left_out or []), date)


def _md(text: str) -> str:
    """Inline Markdown text: table pipes and markup characters escaped, one line."""
    out = []
    for char in show(text):
        if char in "\\`*_[]<>|#":
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _counted(cell: str) -> str:
    return f"{_MARKS[cell].split()[0]} {_COUNTS[cell]}"


def to_markdown(matrix: Matrix) -> str:
    """The matrix as GitHub-flavoured Markdown."""
    names = [column.server for column in matrix.columns]
    lines = []
    if matrix.date:
        lines += [f"Measured {_md(matrix.date)}.", ""]
    lines += [
        "| server | version | how it was run | "
        + " | ".join(_counted(cell) for cell in CELLS)
        + " |",
        "| --- | --- | --- |" + " --- |" * len(CELLS),
    ]
    for column in matrix.columns:
        tally = matrix.counts(column.server)
        lines.append(
            f"| {_md(column.server)} | {_md(column.version)} | {_md(column.how)} | "
            + " | ".join(str(tally[cell]) for cell in CELLS)
            + " |"
        )
    for note in matrix.left_out:
        lines.append(f"\n{_md(note)}")
    notes: list[str] = []
    for binding in (Binding.SERVER, Binding.ENVIRON):
        rows = [row for row in matrix.rows if row.binding is binding]
        if not rows:
            continue
        lines += ["", f"**{_TITLES[binding]}**", ""]
        lines.append("| rule | level | source | " + " | ".join(_md(name) for name in names) + " |")
        lines.append("| --- | --- | --- |" + " --- |" * len(names))
        for row in rows:
            cells = []
            for name in names:
                status = row.cells.get(name, "n/a")
                mark = _MARKS[status]
                if status in ("fail", "warn") and name in row.messages:
                    notes.append(f"{row.rule} on {name}: {row.messages[name]}")
                    mark += f" [{len(notes)}]"
                cells.append(mark)
            lines.append(
                f"| `{row.rule}` | {row.level} | {_md(row.source)} | " + " | ".join(cells) + " |"
            )
    if notes:
        lines += ["", "Findings (the first of each failing cell):", ""]
        lines += [f"{index}. {_md(note)}" for index, note in enumerate(notes, 1)]
    return "\n".join(lines) + "\n"


_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; margin-bottom: 2em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
td.pass { background: #e6f4ea; } td.fail { background: #fce8e6; }
td.warn { background: #fef7e0; } td.skip { color: #888; }
code { font-size: 0.95em; }
"""


def to_html(matrix: Matrix) -> str:
    """The matrix as one standalone HTML page."""

    def esc(text: str) -> str:
        return _html.escape(show(text))

    names = [column.server for column in matrix.columns]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>wsgicheck probe: server conformance matrix</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>Server conformance matrix (wsgicheck probe)</h1>",
    ]
    if matrix.date:
        out.append(f"<p>Measured {esc(matrix.date)}.</p>")
    out.append("<table><tr><th>server</th><th>version</th><th>how it was run</th>")
    out.extend(f"<th>{esc(_COUNTS[cell])}</th>" for cell in CELLS)
    out.append("</tr>")
    for column in matrix.columns:
        tally = matrix.counts(column.server)
        out.append(
            f"<tr><td>{esc(column.server)}</td><td>{esc(column.version)}</td>"
            f"<td>{esc(column.how)}</td>"
            + "".join(f"<td>{tally[cell]}</td>" for cell in CELLS)
            + "</tr>"
        )
    out.append("</table>")
    out.extend(f"<p>{esc(note)}</p>" for note in matrix.left_out)
    findings: list[str] = []
    for binding in (Binding.SERVER, Binding.ENVIRON):
        rows = [row for row in matrix.rows if row.binding is binding]
        if not rows:
            continue
        out.append(
            f"<h2>{esc(_TITLES[binding])}</h2><table><tr><th>rule</th><th>level</th><th>source</th>"
        )
        out.extend(f"<th>{esc(name)}</th>" for name in names)
        out.append("</tr>")
        for row in rows:
            out.append(
                f'<tr><td><code title="{esc(row.summary)}">{esc(row.rule)}</code></td>'
                f"<td>{esc(row.level)}</td><td>{esc(row.source)}</td>"
            )
            for name in names:
                status = row.cells.get(name, "n/a")
                message = row.messages.get(name, "")
                title = f' title="{esc(message)}"' if message else ""
                mark = _html.escape(_MARKS[status])  # the harness's own, "⚠️" and all
                out.append(f'<td class="{_CSS_CLASS[status]}"{title}>{mark}</td>')
                if message:
                    findings.append(
                        f"<li><code>{esc(row.rule)}</code> on {esc(name)}: {esc(message)}</li>"
                    )
            out.append("</tr>")
        out.append("</table>")
    if findings:
        out.append("<h2>Findings (the first of each failing cell)</h2><ol>")
        out.extend(findings)
        out.append("</ol>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
