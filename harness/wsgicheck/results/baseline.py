"""Baselines: findings a project has accepted, so CI fails only on new ones.

A framework adopting wsgicheck rarely fixes everything at once. ``--write-baseline FILE``
records what a run found; ``--baseline FILE`` then reports those findings as *known* and
fails only on the rest. The file is JSON, meant to be committed and reviewed::

    {
      "version": 1,
      "target": "myapp:app",
      "findings": [
        {"rule": "APP-AVOID-WRITE"},
        {"rule": "APP-STATUS-FORMAT", "fingerprint": "3f1c0a9be2d64417",
         "location": "myapp/views.py:index", "message": "..."}
      ]
    }

An entry with only ``rule`` accepts every finding of that rule. With a ``fingerprint`` it
accepts the findings made at one place: the rule, the file (as :func:`portable_path` spells
it) and the function, hashed. Line numbers are left out, so editing the code above a known
finding does not make it new. ``location``, ``message`` and ``note`` are for the reader.
A rule is *known* when every one of its findings in the run is accepted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.errors import UsageError
from ..model.locations import portable_path
from ..model.untrusted import show
from ..rules import REGISTRY, Finding
from .run import RunResult

__all__ = [
    "VERSION",
    "Baseline",
    "BaselineError",
    "Entry",
    "fingerprint",
    "from_run",
    "known_rules",
    "load",
    "write",
]

VERSION = 1
_TOP_KEYS = {"version", "tool", "target", "findings"}
_ENTRY_KEYS = {"rule", "fingerprint", "location", "message", "note"}
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


class BaselineError(UsageError):
    """A baseline file that cannot be read or does not follow the format."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """One accepted finding (``fingerprint`` None: every finding of the rule)."""

    rule: str
    fingerprint: str | None = None
    location: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    entries: tuple[Entry, ...]
    target: str | None = None

    def accepts(self, finding: Finding) -> bool:
        mark = fingerprint(finding)
        return any(
            entry.rule == finding.rule and entry.fingerprint in (None, mark)
            for entry in self.entries
        )


def fingerprint(finding: Finding) -> str:
    """Where a finding was made, hashed: rule, portable file path, function (no line)."""
    where = finding.where
    place = "" if where is None else f"{portable_path(where.file)}\0{where.function}"
    # surrogatepass: an app's file or function name may hold lone surrogates.
    key = f"{finding.rule}\0{place}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:16]


def _place(finding: Finding) -> str | None:
    where = finding.where
    return None if where is None else show(f"{portable_path(where.file)}:{where.function}")


def known_rules(run: RunResult, baseline: Baseline) -> frozenset[str]:
    """The failing rules all of whose findings ``baseline`` accepts."""
    return frozenset(
        result.rule.id
        for result in run.results
        if result.findings and all(baseline.accepts(each) for each in result.findings)
    )


def from_run(run: RunResult) -> Baseline:
    """A baseline accepting everything ``run`` found, one entry per rule and place."""
    entries: dict[tuple[str, str], Entry] = {}
    # The findings the report shows come first, so an entry's message is the one printed
    # for its place, not another of the same rule and function.
    shown = [failure.finding for failure in run.failures.values()]
    for finding in [*shown, *(each for result in run.results for each in result.findings)]:
        mark = fingerprint(finding)
        entries.setdefault(
            (finding.rule, mark),
            Entry(
                rule=finding.rule,
                fingerprint=mark,
                location=_place(finding),
                message=show(finding.message),
            ),
        )
    ordered = sorted(entries.values(), key=lambda e: (e.rule, e.location or "", e.fingerprint))
    return Baseline(entries=tuple(ordered), target=run.target)


def dumps(baseline: Baseline) -> str:
    findings: list[dict[str, Any]] = []
    for entry in baseline.entries:
        item: dict[str, Any] = {"rule": entry.rule}
        for key in ("fingerprint", "location", "message"):
            value = getattr(entry, key)
            if value is not None:
                item[key] = value
        findings.append(item)
    data: dict[str, Any] = {"version": VERSION, "tool": "wsgicheck"}
    if baseline.target is not None:
        data["target"] = baseline.target
    data["findings"] = findings
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def write(path: str, baseline: Baseline) -> None:
    try:
        Path(path).write_text(dumps(baseline), encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"--write-baseline {path}: {exc.strerror or exc}") from exc


def load(path: str) -> Baseline:
    """Read and validate a baseline file; every problem is one :class:`BaselineError` line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise BaselineError(f"--baseline {path}: cannot read it: {reason}") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise BaselineError(f"--baseline {path}: not JSON: {exc}") from exc
    except RecursionError:  # arrays nested deeper than the parser goes
        raise BaselineError(f"--baseline {path}: nested too deep to read") from None
    return parse(data, source=path)


def parse(data: object, *, source: str = "baseline") -> Baseline:
    def fail(message: str) -> BaselineError:
        return BaselineError(f"--baseline {source}: {message}")

    if not isinstance(data, dict):
        raise fail("expected a JSON object with 'version' and 'findings'")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise fail(f"unknown key {unknown[0]!r} (expected {', '.join(sorted(_TOP_KEYS))})")
    if "version" not in data:
        raise fail(f"'version' is missing (it is {VERSION})")
    version = data["version"]
    # (true == 1 in Python: a JSON true passed for 1, a README trial of 2026-12-07.)
    if type(version) is not int or version != VERSION:
        raise fail(f"'version' must be {VERSION}, not {json.dumps(version)}")
    target = data.get("target")
    if target is not None and not isinstance(target, str):
        raise fail("'target' must be a string")
    findings = data.get("findings")
    if not isinstance(findings, list):
        raise fail("'findings' must be a list")
    return Baseline(entries=tuple(_entries(findings, fail)), target=target)


def _entries(findings: list[Any], fail: Any) -> Iterable[Entry]:
    for index, item in enumerate(findings):
        where = f"findings[{index}]"
        if not isinstance(item, dict):
            raise fail(f"{where} must be an object with a 'rule'")
        unknown = sorted(set(item) - _ENTRY_KEYS)
        if unknown:
            raise fail(f"{where}: unknown key {unknown[0]!r}")
        rule = item.get("rule")
        if not isinstance(rule, str):
            raise fail(f"{where}: 'rule' must be a rule id")
        if rule not in REGISTRY:
            raise fail(f"{where}: no rule {rule!r} (see: wsgicheck rules)")
        mark = item.get("fingerprint")
        if mark is not None and (not isinstance(mark, str) or not _FINGERPRINT.fullmatch(mark)):
            raise fail(f"{where}: 'fingerprint' must be 16 lower-case hex digits")
        for key in ("location", "message", "note"):
            if key in item and not isinstance(item[key], str):
                raise fail(f"{where}: {key!r} must be a string")
        yield Entry(
            rule=rule, fingerprint=mark, location=item.get("location"), message=item.get("message")
        )
