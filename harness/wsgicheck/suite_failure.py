"""What a failing rule's item of the suite shows: the rule, the PEP's words, the app's line,
the smallest request, and how to replay it, in plain text for pytest's report.
"""

from __future__ import annotations

import linecache
import os
import textwrap
from typing import TYPE_CHECKING

from .core.environ import ServerConfig
from .model.events import Location
from .model.locations import user_location
from .model.untrusted import show
from .report.common import capital
from .results.reproduce import choices_unlike, serve_command
from .results.run import NOT_FRESH, request_heading, sequence_heading, simplified
from .rules import Rule

if TYPE_CHECKING:
    from .plugin import Settings
    from .suite_verdicts import RuleOutcome, Verdicts


def failure_text(rule: Rule, verdict: RuleOutcome, verdicts: Verdicts, settings: Settings) -> str:
    """What a failing rule's item shows: the rule, the PEP's words, the app's line, the
    smallest request, and how to replay it."""
    assert verdict.example is not None
    example = verdict.example
    finding = example.finding
    lines = [
        f"{rule.id} ({rule.level_shown}, {rule.binding.value}): {show(finding.message)}",
        "",
        f"Rule: {rule.summary}",
        f"{rule.citation}:",
        *textwrap.wrap(rule.pep, 92, initial_indent="    ", subsequent_indent="    "),
    ]
    where = user_location(finding.where, verdicts.app_location)  # never a library's file
    if where is not None:
        lines += ["", "The app's line responsible:", *_source(where)]
    choices = choices_unlike(example.config, ServerConfig())
    if example.before:
        lines += ["", f"{capital(sequence_heading(example.before, example.request))}:"]
        for each in example.before:
            lines += [f"    {line}" for line in _raw(each.to_text().encode("latin-1", "replace"))]
            lines.append("")
    heading = request_heading(
        example.transport, example.before, example.request, simplified=simplified(rule)
    )
    lines += ["", f"{capital(heading)}:"]
    lines += [
        f"    {line}" for line in _raw(example.request.to_text().encode("latin-1", "replace"))
    ]
    if choices:
        lines.append(f"  under these server choices: {', '.join(choices)}")
    if example.fresh is False:
        lines += ["", *textwrap.wrap(capital(NOT_FRESH) + ".", 92)]
    lines += [
        "",
        f"Seen {verdict.found} time(s) in the {verdict.applied} exchanges the rule applied to.",
    ]
    others = [pair for pair in verdict.messages if pair[0] != finding.message]
    if others:
        lines.append("Also seen:")
        lines += [f"  - {show(message)}" + (f" ({_path(w)})" if w else "") for message, w in others]
    lines += [
        "",
        "Reproduce with curl, against "
        + serve_command(settings.target, example.config, [*example.before, example.request])
        + ":",
        f"    {example.reproducers.curl}",
        "",
        "Reproduce in Python (in memory, exactly):",
        *[f"    {line}".rstrip() for line in example.reproducers.python.splitlines()],
        "",
        f"Replay this run: --wsgi-seed={verdicts.seed} --wsgi-profile={settings.profile}"
        + (f" -n {verdicts.shares[0].count}" if len(verdicts.shares) > 1 else ""),
    ]
    return "\n".join(lines)


def _path(where: Location) -> str:
    try:
        shown = os.path.relpath(where.file)
    except ValueError:  # pragma: no cover - another drive, on Windows
        shown = where.file
    return f"{show(where.file if shown.startswith('..') else shown)}:{where.line}"


def _source(where: Location) -> list[str]:
    try:
        line = show(linecache.getline(where.file, where.line).strip())
    except (OSError, ValueError):  # a file name the file system refuses (a NUL...)
        line = ""
    shown = [f"    {_path(where)}, in {show(where.function)}"]
    return [*shown, f"        {line}"] if line else shown


def _raw(data: bytes) -> list[str]:
    """The request as sent, a line per header line, escaped where not printable."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = [_printable(line) for line in head.split(b"\r\n")]
    if body:
        more = "..." if len(body) > 64 else ""
        lines.append(f"[{len(body)} bytes of body: {body[:64]!r}{more}]")
    return lines


def _printable(line: bytes) -> str:
    text = line.decode("latin-1")
    if text.isprintable() and text.isascii():
        return text
    return "".join(c if c.isascii() and c.isprintable() else f"\\x{ord(c):02x}" for c in text)
