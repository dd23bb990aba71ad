"""The JUnit XML report, for CI systems that show test results (Jenkins, GitLab, Azure...).

One ``testcase`` per rule, one ``testsuite`` per binding. A failing rule is a ``failure``
carrying the message, PEP section, location and reproducers; a skipped rule is
``skipped``. SHOULD findings fail only when the run is strict; otherwise, like findings
the baseline accepts, they are passing cases whose ``system-out`` says what was found, so
CI stays green and the finding stays visible. What the app supplied goes through
:func:`~wsgicheck.model.untrusted.show` (control characters, which XML 1.0 cannot hold at all,
shown as ``\\xNN``), a line at a time; ElementTree then escapes markup.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from ..model.locations import relative_path
from ..model.untrusted import show
from ..results.run import NOT_FRESH, Failure, RunResult
from ..rules.verdicts import Verdict
from . import format
from .common import (
    OTHER_PLACES_SHOWN,
    REPRODUCER_LIMIT,
    failure_kind,
    grouped,
    interrupted_text,
    lines_of,
    location_of,
    made_in,
    more_places,
    nothing_judged_text,
    other_places,
    plural,
    raw_lines,
    verdict_of,
)


def _details(run: RunResult, failure: Failure) -> str:
    rule = failure.rule
    where = location_of(run, failure)
    lines = [
        show(failure.finding.message),
        "",
        f"rule: {rule.id} ({rule.level_shown}, binds the {rule.binding.value})",
        f"{rule.citation}: {rule.pep}",
    ]
    if where is not None:
        file, called = show(relative_path(where.file)), show(where.called)
        lines.append(f"at: {file}:{where.line} in {called}")
    made = made_in(run, failure)
    if made is not None:
        lines.append(f"made in: {show(made[0])} in {show(made[1])} (a library's code)")
    others = other_places(run, failure)
    if others:
        lines.append(f"also at {plural(len(others), 'other place')}:")
        for place in others[:OTHER_PLACES_SHOWN]:
            lines.append(
                f"  {show(place.spelled)} in {show(place.where.called)}: "
                f"{show(place.message)}{place.aside(show)}"
            )
        more = more_places(others)
        if more is not None:
            lines.append(f"  {more}")
    lines.append("")
    if failure.before:
        lines.append(f"{failure.before_heading}:")
        for each in failure.before:
            lines += raw_lines(each.to_text())
    lines += [
        f"{failure.heading}:",
        *raw_lines(failure.request.to_text()),
        *([f"{NOT_FRESH}."] if failure.fresh is False else []),
        f"replay with curl (against {show(failure.reproducers.against)}):",
        show(failure.reproducers.curl, limit=REPRODUCER_LIMIT),
        "",
        "replay in Python:",
        *lines_of(failure.reproducers.python, limit=REPRODUCER_LIMIT),
        "",
        f"replay the whole run: {show(run.replay, limit=REPRODUCER_LIMIT)}",
    ]
    return "\n".join(lines)


@format("junit")
def render(run: RunResult, color: bool) -> str:
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    root = ET.Element("testsuites", name="wsgicheck", time=f"{run.duration:.3f}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for binding, results in grouped(run):
        suite_name = f"wsgicheck.{binding.value}"
        suite = ET.SubElement(root, "testsuite", name=suite_name, timestamp=stamp)
        suite.set("hostname", socket.gethostname())
        _properties(suite, run)
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for result in results:
            counts["tests"] += 1
            case = ET.SubElement(
                suite, "testcase", name=result.rule.id, classname=suite_name, time="0"
            )
            kind = verdict_of(run, result)
            failure = run.failures.get(result.rule.id)
            if kind is Verdict.SKIP:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message="no exchange gave evidence for this rule")
            elif failure is None:
                continue
            elif kind is Verdict.FAIL:
                counts["failures"] += 1
                element = ET.SubElement(
                    case,
                    "failure",
                    message=f"{result.rule.id}: {show(failure.finding.message)}",
                    type=result.rule.level.value,
                )
                element.text = _details(run, failure)
            else:
                label = {Verdict.WARN: "warning (a SHOULD rule; fails only with --strict)"}.get(
                    failure_kind(run, failure), "known finding, accepted by the baseline"
                )
                out = ET.SubElement(case, "system-out")
                out.text = f"{label}\n\n{_details(run, failure)}"
        _counts(suite, counts, totals)
    if run.errors or run.interrupted or run.judged_nothing():
        # An error a CI reads: a run that could not finish, was cut short, or judged no rule
        # is no pass.
        suite = ET.SubElement(root, "testsuite", name="wsgicheck.harness", timestamp=stamp)
        case = ET.SubElement(suite, "testcase", name="run", classname="wsgicheck.harness")
        case.set("time", "0")
        told = [interrupted_text(run)] if run.interrupted else []
        if run.errors:
            error_type, message = "HarnessError", "wsgicheck could not complete the run"
        elif told:
            error_type, message = "Interrupted", told[0]
        else:
            error_type, message = "NothingJudged", nothing_judged_text(run)
            told = [message]
        error = ET.SubElement(case, "error", message=message)
        error.set("type", error_type)
        error.text = "\n".join([*told, *(show(each) for each in run.errors)])
        _counts(suite, {"tests": 1, "failures": 0, "errors": 1, "skipped": 0}, totals)
    for key, value in totals.items():
        # The usual JUnit schema (Ant's, Jenkins's junit-10.xsd) counts no skipped tests
        # on <testsuites>: each <testsuite> says its own.
        if key != "skipped":
            root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _counts(suite: ET.Element, counts: dict[str, int], totals: dict[str, int]) -> None:
    for key, value in counts.items():
        suite.set(key, str(value))
        totals[key] += value
    suite.set("time", "0")


def _properties(suite: ET.Element, run: RunResult) -> None:
    properties = ET.SubElement(suite, "properties")
    values = {
        "target": run.target,
        "seed": str(run.seed),
        "profile": run.options.profile,
        "examples": str(run.examples),
        "transports": run.options.transports,
        "strict": str(run.options.strict).lower(),
        "read_only": str(run.options.read_only).lower(),
    }
    for name, value in values.items():
        if value is not None:  # a probe has no profile and none of wsgicheck's transports
            ET.SubElement(properties, "property", name=name, value=show(value))
    for number, note in enumerate(run.notes, 1):  # what the run could not judge
        ET.SubElement(properties, "property", name=f"note_{number}", value=show(note))
