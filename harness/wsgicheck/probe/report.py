"""Reports of a probe: the verdicts in any ``wsgicheck check`` format, plus the probe's own.

The verdicts are a run result (:attr:`ProbeResult.run`), rendered by
:mod:`wsgicheck.report`; the text report then adds what the probe learned about the
server (observations, environ differences, notes) and the JSON report adds them as data.
Formats that make one document per run (JUnit, SARIF, HTML, Markdown) take one server.
"""

from __future__ import annotations

import shlex
from typing import Any

from .. import report
from ..model.errors import UsageError
from ..model.request import Request
from ..model.untrusted import show
from ..report.common import dumps
from ..report.fold import fold_shell, wrap
from ..report.json import data as run_data
from ..results.reproduce import SERVE_AUTHORITY
from ..rules import Finding
from .differences import NORMALISED
from .result import ProbeResult
from .servers import PROBE_APP, command_line

__all__ = ["MULTI_FORMATS", "render"]

#: Formats that can hold several servers' probes in one document.
MULTI_FORMATS = ("text", "json")


def render(results: list[ProbeResult], name: str, *, color: bool = False) -> str:
    """The report of ``results`` (several only in :data:`MULTI_FORMATS`)."""
    if name == "json":
        # 2: the probe's notes moved from probe.notes to each probe's notes.
        document = {"schema_version": 2, "probes": [probe_data(each) for each in results]}
        return dumps(document)
    parts = []
    for each in results:
        text = report.render(each.run, name, color=color)
        if name == "text":
            # The summary line last, as in check's report, where a CI log's tail shows it
            # (a probe trial of 2026-12-06 found it above the probe's own sections).
            body, _, headline = _own_options(text, each).rstrip("\n").rpartition("\n")
            text = "\n".join([body, *_appendix(each), "", headline]) + "\n"
        parts.append(text)
    if name == "text" and len(results) > 1:
        parts.append(_overall(results))
    return "\n".join(parts)


def _overall(results: list[ProbeResult]) -> str:
    """The last line of a probe of several servers: each server's verdict at once (a trial
    of 2026-12-07 read the last server's "passed" above an exit status of 1)."""
    failed = [show(each.server) for each in results if each.failed()]
    if not failed:
        return f"passed: none of the {len(results)} servers failed\n"
    told = f"FAILED: {len(failed)} of {len(results)} servers failed ({', '.join(failed)})"
    return "\n".join(wrap(told)) + "\n"


def probe_data(result: ProbeResult) -> dict[str, Any]:
    """One probe as plain data: the run's JSON report, and the probe's own findings.

    Each result also lists every distinct finding (message and the raw request that showed
    it first), and its matrix cell; the probe's notes are the run's ``notes``. The options
    of ``wsgicheck check`` (``profile``, ``transports``, ``paths``) are none for a probe
    (None, None, empty), so they are left out and the probe's own options stand in their
    place.
    """
    document = run_data(result.run)
    for key in ("profile", "transports", "paths"):
        document.pop(key, None)
    # A probe's notes are its run's: where a reader of any JSON report looks for them.
    document["notes"] += [show(note) for note in result.notes]
    cells = result.cells()
    for entry, verdict in zip(document["results"], result.run.results, strict=True):
        entry["cell"] = cells[verdict.rule.id]
        entry["distinct_findings"] = _distinct(verdict.findings)
    options = result.options
    document["probe"] = {
        "options": None
        if options is None
        else {
            "examples": options.examples,
            "seed": result.run.seed,
            "timeout": options.timeout,
            "callables": options.callables,
            "runs": options.runs,
        },
        "not_probed": sorted(result.not_probed),
        "server": result.server,
        # What the server says of itself (its Server field, SERVER_SOFTWARE) is the
        # server's text: shown as every report shows it (an adversarial trial of
        # 2026-12-07 found raw ESC and U+202E here).
        "version": show(result.version) if result.version is not None else None,
        "how": result.how,
        "command": result.command,
        "observations": {key: show(value) for key, value in result.observations.items()},
        "environ_differences": {
            "compared": result.compared,
            "normalised": NORMALISED,
            "keys": [
                {
                    "key": each.key,
                    "requests": each.count,
                    "server": show(each.server),
                    "wsgicheck": show(each.wsgicheck),
                    "example_request": _raw(each.request),
                }
                for each in result.differences
            ],
        },
        "unstable": {
            rule: {"broken_in": broken, "runs": runs}
            for rule, (broken, runs) in result.unstable.items()
        },
    }
    return document


def _own_options(text: str, result: ProbeResult) -> str:
    """The text report with the probe's own options on the line of a run's (a probe has no
    profile and none of wsgicheck's transports: its requests and exchanges are counted)."""
    lines = text.split("\n")
    # The run's line follows the title, which a long command template wraps.
    at = next((index for index, line in enumerate(lines) if line.startswith("  seed ")), None)
    if at is not None:
        run, options = result.run, result.options
        parts = [f"  seed {run.seed}", f"{run.examples} exchanges", f"{run.duration:.1f}s"]
        if options is not None:
            parts.append(f"{options.examples} generated requests")
            parts.append("other callables: " + ("yes" if options.callables else "no"))
            if options.runs > 1:
                parts.append(f"{options.runs} runs")
        lines[at] = " · ".join(parts)
    return "\n".join(lines)


def _raw(request: Request) -> str:
    return request.to_text()


def _distinct(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    """Each distinct message once, with the first request that showed it."""
    seen: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.message not in seen:
            request = finding.request
            seen[finding.message] = {
                "message": show(finding.message),
                "request": _raw(request) if request is not None else None,
                "count": 0,
            }
        seen[finding.message]["count"] += 1
    return list(seen.values())


def _replays_need(result: ProbeResult) -> list[str]:
    """What the replays above need running: the server, with the probe app on port 8000;
    a command template's filled in, as a command the shell reads whole (its ``{host}`` and
    ``{port}`` were left for the reader to fill: a probe trial of 2026-12-06)."""
    later = (
        "Away from the probe the app does not wait for the prober's signals, so what a "
        "finding says of timing (the head sent before the first block, a client that hung "
        "up) shows only under wsgicheck probe."
    )
    host, port = SERVE_AUTHORITY.rsplit(":", 1)
    try:
        filled = shlex.join(command_line(result.server, host=host, port=port))
    except UsageError:  # a known server, by its name (no {app}, no {port})
        filled = None
    if filled is None:
        return wrap(
            f"The replays above send the raw request to {show(result.server)}: start it with "
            f"the probe app ({PROBE_APP}) on port 8000 first. {later}"
        )
    return [
        "The replays above send the raw request to port 8000: start the server there first,",
        f"with the probe app ({PROBE_APP}):",
        *fold_shell(show(filled), indent="  "),
        *wrap(later),
    ]


def _appendix(result: ProbeResult) -> list[str]:
    """What only a probe has to say, in lines that fit 100 columns as the run's report does."""
    version = f" {show(result.version)}" if result.version else ""
    if version and any(blank in result.server for blank in " \t"):
        # A command template: its version (the server's own word) set apart from it.
        version = f" ({version[1:]})"
    lines = [*wrap(f"Probe of {show(result.server)}{version}")]
    lines += [*wrap(f"run as: {show(result.how)}", indent="  "), "", "What the server does:"]
    width = max((len(show(key)) for key in result.observations), default=0)
    for key, value in result.observations.items():
        lines += wrap(f"{show(key):<{width}}  {show(value)}", indent="  ", more=" " * (width + 4))
    lines += ["", *_replays_need(result), ""]
    lines += [
        *wrap(
            f"Environ differences from wsgicheck's own core ({result.compared} requests "
            "compared; normalised: " + "; ".join(NORMALISED) + "):"
        ),
    ]
    if not result.differences:
        lines.append("  none")
    for each in result.differences:
        lines += wrap(
            f"{show(each.key)} ({each.count} of {result.compared}): "
            f"server {show(each.server, limit=120)}, wsgicheck {show(each.wsgicheck, limit=120)}",
            indent="  ",
        )
    lines += _more_findings(result)
    if result.notes:
        lines += ["", "Notes:"]
        for note in result.notes:
            lines += wrap(show(note), indent="  ")
    return lines


#: The distinct findings of one rule the text report lists beyond the one it shows.
MORE_SHOWN = 5


def _more_findings(result: ProbeResult) -> list[str]:
    """Each failing rule's other distinct findings, one line each: the report above shows
    one finding a rule, and a server may break a rule in several ways (wsgiref's obs-text
    and obs-fold under ENV-HTTP-VALUES), which only the JSON report listed."""
    lines: list[str] = []
    for each in result.run.results:
        failure = result.run.failures.get(each.rule.id)
        if failure is None:
            continue
        others = [
            entry["message"]
            for entry in _distinct(each.findings)
            if entry["message"] != failure.finding.message
        ]
        for message in others[:MORE_SHOWN]:
            lines += wrap(f"{each.rule.id}: {show(message)}", indent="  ", more="    ")
        if len(others) > MORE_SHOWN:
            lines.append(f"  {each.rule.id}: {len(others) - MORE_SHOWN} more (the JSON report)")
    if lines:
        lines = ["", "More findings of the rules above (each after the one shown there):", *lines]
    return lines
