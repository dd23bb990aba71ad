"""GitHub Actions workflow annotations: findings shown on the app's lines in a pull request.

Printed (besides the report) when ``GITHUB_ACTIONS=true``: ``::error`` for a finding that
fails the run, ``::warning`` for a SHOULD finding that does not; findings the baseline
accepts are left out. What the app supplied is first made one line by
:func:`~wsgicheck.model.untrusted.show`, then every value is escaped as the Actions toolkit does
(``%``, CR and LF in the message; also ``:`` and ``,`` in properties), so an app's text can
neither end the command early nor start another.
"""

from __future__ import annotations

from ..model.locations import repository_root
from ..model.untrusted import show
from ..results.run import RunResult
from ..rules.verdicts import Verdict
from .common import (
    OTHER_PLACES_SHOWN,
    REPRODUCER_LIMIT,
    failure_kind,
    in_repository,
    nothing_judged_text,
    other_places,
    plural,
    repository_place,
)

__all__ = ["escape_data", "escape_property", "workflow_commands"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, properties: dict[str, str], message: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' if props else ''}{props}::{escape_data(message)}"


def workflow_commands(run: RunResult, *, workspace: str | None = None) -> list[str]:
    """One workflow command per new finding, and one per harness error.

    Paths are relative to the repository root, which is what GitHub resolves them
    against: ``workspace`` when given, else ``--source-root``, else the git top level of
    the working directory. A place outside it gives way to the app's definition, as in
    the SARIF report; failing that, the annotation names no file.
    """
    root = repository_root(workspace or run.source_root)
    lines = []
    for failure in run.failures.values():
        kind = failure_kind(run, failure)
        if kind is Verdict.KNOWN:
            continue
        rule = failure.rule
        properties: dict[str, str] = {}
        place = repository_place(run, failure, root)
        if place is not None:
            where, relative = place
            properties["file"] = show(relative)
            properties["line"] = str(max(where.line, 1))
        properties["title"] = f"{rule.id} ({rule.level_shown})"
        message = (
            f"{show(failure.finding.message)}\n"
            f"{rule.citation}: {rule.summary}.\n"
            f"Replay: {show(run.replay, limit=REPRODUCER_LIMIT)}; "
            f"wsgicheck explain {rule.id}"
        )
        name = "error" if kind is Verdict.FAIL else "warning"
        lines.append(_command(name, properties, message))
        # The rule's other places in the repository, each on its own line (a second bug).
        for other in other_places(run, failure)[:OTHER_PLACES_SHOWN]:
            inside = in_repository(other.where.file, root)
            if inside is None:
                continue  # a library's line: GitHub could not show it
            lines.append(
                _command(
                    name,
                    {
                        "file": show(inside),
                        "line": str(max(other.where.line, 1)),
                        "title": f"{rule.id} ({rule.level_shown})",
                    },
                    f"{show(other.message)}\n"
                    f"{rule.citation}: {rule.summary} ({plural(other.count, 'finding')} here; "
                    "the report's example of this rule is another place's).",
                )
            )
    lines.extend(_command("error", {"title": "wsgicheck"}, show(error)) for error in run.errors)
    if run.judged_nothing():
        lines.append(_command("error", {"title": "wsgicheck"}, nothing_judged_text(run)))
    return lines
