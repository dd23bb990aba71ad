"""The SARIF 2.1.0 report, for code-scanning tools (GitHub code scanning, IDE viewers).

Every rule the run judged is described in ``tool.driver.rules`` (its PEP text, and an
example of a violation and its fix as help, so nothing needs fetching); every failing rule
is a result placed on the user's line, with a path relative to the repository root
(``uriBaseId`` ``SRCROOT``: ``--source-root``, else the git top level), which code scanning
resolves paths against. A place in a library or outside the repository gives way to the
app's definition (:func:`~wsgicheck.report.common.repository_place`); only when that is
outside the repository too is the file given as an absolute ``file:`` URI. Findings the
baseline accepts carry ``baselineState: unchanged`` and an external suppression, so tools
hide them; new ones are ``baselineState: new``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..model.locations import repository_root
from ..model.untrusted import show
from ..results.baseline import fingerprint
from ..results.run import Failure, RunResult
from ..rules import Level, Rule
from ..rules.verdicts import Verdict
from . import format
from .common import (
    dumps,
    failure_kind,
    findings_by_path,
    interrupted_text,
    location_of,
    made_in,
    nothing_judged_text,
    other_places,
    repository_place,
)

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_BASE = "SRCROOT"


def _name(rule: Rule) -> str:
    """``APP-STATUS-FORMAT`` → ``AppStatusFormat`` (SARIF names are identifiers)."""
    return "".join(part.capitalize() for part in rule.id.split("-"))


def _level(rule: Rule) -> str:
    return "error" if rule.level is Level.MUST else "warning"


def _descriptor(rule: Rule) -> dict[str, Any]:
    text = [rule.summary, "", f"{rule.citation}:", rule.pep]
    markdown = [f"**{rule.summary}**", "", f"*{rule.citation}*:", "", f"> {rule.pep}"]
    if rule.example:
        text += ["", "Example:", rule.example]
        markdown += ["", "Example:", "", "```python", rule.example, "```"]
    text += ["", f"wsgicheck explain {rule.id}"]
    return {
        "id": rule.id,
        "name": _name(rule),
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.pep},
        "help": {"text": "\n".join(text), "markdown": "\n".join(markdown)},
        "defaultConfiguration": {"level": _level(rule)},
        "properties": {
            "level": rule.level.value,
            "implied": rule.implied,
            "binding": rule.binding.value,
            "section": rule.section,
            "tags": ["wsgi", "pep3333", rule.binding.value],
        },
    }


def _locations(run: RunResult, failure: Failure, root: Path) -> list[dict[str, Any]]:
    place = repository_place(run, failure, root)
    if place is not None:
        where, relative = place
        # A name's undecodable bytes (surrogate escapes) as the bytes they stand for.
        artifact = {"uri": quote(relative, errors="surrogateescape"), "uriBaseId": _BASE}
    else:
        found = location_of(run, failure) or run.app_location or run.subject
        if found is None:
            return []
        where = found
        path = Path(show(where.file))  # an app's file name may hold anything
        artifact = {"uri": path.as_uri() if path.is_absolute() else quote(path.as_posix())}
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {"startLine": max(where.line, 1)},
        }
    }
    if where.function != "<module>":  # a function's line, not a module's own
        location["logicalLocations"] = [{"name": show(where.function), "kind": "function"}]
    return [location]


def _result(run: RunResult, failure: Failure, index: int, root: Path) -> dict[str, Any]:
    rule = failure.rule
    made = made_in(run, failure)
    result: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": _level(rule),
        "kind": "fail",
        "message": {"text": show(f"{rule.id}: {failure.finding.message}")},
        "locations": _locations(run, failure, root),
        "partialFingerprints": {"wsgicheck/v1": fingerprint(failure.finding)},
        "properties": {
            "transport": failure.transport,
            "request": failure.request.to_text(),
            "before": [each.to_text() for each in failure.before],
            "fails_on_fresh_app": failure.fresh,
            "made_in": None
            if made is None
            else {"place": show(made[0]), "function": show(made[1])},
            "other_places": [
                {
                    "place": show(place.spelled),
                    "function": show(place.where.function),
                    "message": show(place.message),
                    "count": place.count,
                    "request": place.asked,
                    "server_choices": [show(choice) for choice in place.choices],
                }
                for place in other_places(run, failure)
            ],
            "findings_by_path": [
                {"path": show(path), "findings": count}
                for path, count in findings_by_path(run, failure.rule.id)
            ],
            "curl": failure.reproducers.curl,
            "python": failure.reproducers.python,
        },
    }
    if run.known is not None:
        known = failure_kind(run, failure) is Verdict.KNOWN
        result["baselineState"] = "unchanged" if known else "new"
        if known:
            result["suppressions"] = [
                {"kind": "external", "justification": "accepted by the wsgicheck baseline"}
            ]
    return result


def data(run: RunResult) -> dict[str, Any]:
    root = repository_root(run.source_root)
    cwd = Path.cwd().resolve()
    rules = [result.rule for result in run.results]
    index = {rule.id: position for position, rule in enumerate(rules)}
    results = [
        _result(run, failure, index[rule_id], root)
        for rule_id, failure in run.failures.items()
        if rule_id in index
    ]
    invocation: dict[str, Any] = {
        "executionSuccessful": not run.errors and not run.interrupted and not run.judged_nothing(),
        "workingDirectory": {"uri": cwd.as_uri()},
    }
    # The run's errors, its being cut short or judging nothing, and its notes (what it could
    # not judge: a pass may hide it).
    cut = [interrupted_text(run)] if run.interrupted else []
    cut += [nothing_judged_text(run)] if run.judged_nothing() else []
    notifications = [
        *({"level": "error", "message": {"text": text}} for text in cut),
        *({"level": "error", "message": {"text": show(error)}} for error in run.errors),
        *({"level": "note", "message": {"text": show(note)}} for note in run.notes),
    ]
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "wsgicheck",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {_BASE: {"uri": root.as_uri().rstrip("/") + "/"}},
                "invocations": [invocation],
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "target": show(run.target),
                    "seed": run.seed,
                    **({"profile": run.options.profile} if run.options.profile is not None else {}),
                    "examples": run.examples,
                    "strict": run.options.strict,
                    "read_only": run.options.read_only,
                },
            }
        ],
    }


@format("sarif")
def render(run: RunResult, color: bool) -> str:
    return dumps(data(run))
