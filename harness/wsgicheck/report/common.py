"""What every report format needs: counts, verdicts in order, failures as plain data."""

from __future__ import annotations

import base64
import json
import linecache
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..model.events import Location
from ..model.locations import portable_path, relative_path, user_location
from ..model.request import Request
from ..model.untrusted import LIMIT, UNSAFE_PAST_C0, as_sent, plain, show, written_lines
from ..results.appcoverage import AppCoverage
from ..results.baseline import fingerprint
from ..results.reproduce import needs_raw_targets, target_choices
from ..results.run import CapturedOutput, Failure, RunResult
from ..results.scope import OTHER_PATHS, statuses_text
from ..rules import Binding, Finding, RuleResult
from ..rules.verdicts import Verdict

__all__ = [
    "ANSWERS_TITLE",
    "BINDING_TITLES",
    "OTHER_PLACES_SHOWN",
    "REPRODUCER_LIMIT",
    "VERDICT_TITLES",
    "OtherPlace",
    "Summary",
    "answer_rows",
    "answers_data",
    "coverage_data",
    "dumps",
    "examples_sent",
    "failure_data",
    "failure_kind",
    "grouped",
    "headline",
    "in_repository",
    "lines_of",
    "location_data",
    "location_of",
    "made_at",
    "made_in",
    "more_places",
    "other_places",
    "output_data",
    "output_lines",
    "output_title",
    "plural",
    "raw_lines",
    "repository_place",
    "request_data",
    "sent_text",
    "source_line",
    "spelled",
    "summary",
    "verdict_of",
]

BINDING_TITLES = {
    Binding.APP: "Application",
    Binding.ENVIRON: "Environ (the server's side)",
    Binding.SERVER: "Server behaviour",
}


#: Each verdict, as the reports name it.
VERDICT_TITLES = {
    Verdict.PASS: "passed",
    Verdict.FAIL: "failed",
    Verdict.WARN: "warned",
    Verdict.KNOWN: "known",
    Verdict.SKIP: "skipped",
}


@dataclass(frozen=True, slots=True)
class Summary:
    passed: int
    failed: int
    warned: int
    skipped: int
    #: Failing rules a baseline accepts.
    known: int = 0

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.warned + self.skipped + self.known


def verdict_of(run: RunResult, result: RuleResult) -> Verdict:
    """A rule's verdict over the run: pass, skip (no evidence), or the run's verdict on it
    broken (fail, warn, known)."""
    if result.status != Verdict.FAIL:
        return Verdict(result.status)
    return run.broken(result.rule)


def failure_kind(run: RunResult, failure: Failure) -> Verdict:
    """The verdict of a failure's rule: fail, warn or known."""
    return run.broken(failure.rule)


def summary(run: RunResult) -> Summary:
    counts = dict.fromkeys(Verdict, 0)
    for result in run.results:
        counts[verdict_of(run, result)] += 1
    return Summary(
        counts[Verdict.PASS],
        counts[Verdict.FAIL],
        counts[Verdict.WARN],
        counts[Verdict.SKIP],
        counts[Verdict.KNOWN],
    )


def run_verdict(run: RunResult) -> Verdict:
    """How a report marks the whole run: failed; doubtful (cut short, or no rule judged),
    which is no pass whatever it met; or passed."""
    if run.failed():
        return Verdict.FAIL
    if run.interrupted or run.judged_nothing():
        return Verdict.WARN
    return Verdict.PASS


def headline(run: RunResult) -> str:
    """``FAILED: 1 rule failed, 0 warned, 59 passed, 43 skipped (103 rules)``."""
    counts = summary(run)
    parts = [
        f"{plural(counts.failed, 'rule')} failed",
        f"{counts.warned} warned",
        *([f"{counts.known} known"] if counts.known else []),
        f"{counts.passed} passed",
        f"{counts.skipped} skipped",
    ]
    head = "FAILED" if run.failed() else "NOTHING JUDGED" if run.judged_nothing() else "passed"
    if run.interrupted:  # a partial run is never shown as a clean one, nor said to pass
        verdict = "failed" if run.failed() else "partial"
        head = f"INTERRUPTED (stopped after {plural(run.examples, 'example')}), {verdict}"
    return f"{head}: {', '.join(parts)} ({plural(counts.total, 'rule')})"


def interrupted_text(run: RunResult) -> str:
    """What a report says of a run cut short (Ctrl-C, SIGTERM), where it has no headline to
    say it in (a JUnit error, a SARIF notification): a pass there is no clean one."""
    return (
        f"the run was interrupted after {plural(run.examples, 'example')}: its verdicts are "
        "partial, and a rule that passed or skipped may not have met what the rest would send"
    )


def nothing_judged_text(run: RunResult) -> str:
    """What a report says of a run that judged no rule, where it has no headline to say it
    in (a JUnit error, a SARIF notification), and under the headline where it has one."""
    return (
        f"no rule was judged: each of the {plural(len(run.results), 'rule')} run was skipped, "
        f"none having met its evidence in {plural(run.examples, 'example')}, so the run says "
        "nothing of the app; name paths it serves with --path, or select rules its answers "
        "bear on"
    )


#: How a report marks a failure only the replay of the example database found.
REPLAYED = "replayed from the example database"


def capital(text: str) -> str:
    """``text`` with its first letter made upper case, as a heading starts."""
    return text[:1].upper() + text[1:]


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def examples_sent(run: RunResult) -> str:
    """:func:`sent_text` for a run (the count alone for one cut short by Ctrl-C)."""
    return sent_text(run.examples, None if run.interrupted else run.options.examples)


def sent_text(sent: int, asked: int | None) -> str:
    """``400 examples (200 asked, 200 more shrinking failures)``: the examples a run sent,
    and, past the number ``asked`` for (the profile's, or ``--examples``), the ones that
    only shrinking a failure sent (a trial took 400 under the default profile for a
    miscount)."""
    if asked is None or sent <= asked:
        return plural(sent, "example")
    return f"{sent} examples ({asked} asked, {sent - asked} more shrinking failures)"


#: How long a line of a reproducer may be: the harness builds them from its own requests,
#: and cutting one shorter would leave a command that no longer replays.
REPRODUCER_LIMIT = 64 * 1024


def lines_of(text: str, *, limit: int = LIMIT) -> list[str]:
    """Multi-line text (a reproducer, a source excerpt), each line made safe by :func:`show`."""
    return [show(line, limit=limit) for line in text.split("\n")]


def source_line(where: Location) -> str:
    """The app's source line at ``where``, stripped, or "" when it cannot be read.

    A code object's file name is the app's to choose: it may hold a NUL or a lone surrogate
    that the file system refuses, which must cost a report its excerpt, not its life.
    """
    try:
        return linecache.getline(where.file, where.line).strip()
    except (OSError, ValueError):  # UnicodeEncodeError is a ValueError
        return ""


def raw_lines(raw: str, *, limit: int = 200) -> list[str]:
    """A raw request, one line per HTTP line, unprintable bytes and bytes past ASCII
    escaped, the body cut.

    The request's own CRLFs start lines here, so a leading ``:`` (which no header name has)
    is escaped too: a line of a report printed in CI must not read as a workflow command.
    """
    head, _, body = raw.partition("\r\n\r\n")
    lines = [show(as_sent(line)) for line in head.split("\r\n")]
    lines.append("")
    if body:
        lines.append(show(as_sent(body), limit=max(limit, 40)))
    return [re.sub(r"\A:", r"\\x3a", line) for line in lines]


_JSON_UNSAFE = re.compile(f"[{UNSAFE_PAST_C0}]|#(?=#\\[)")


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells a character past the BMP as its UTF-16 surrogates
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def dumps(document: object) -> str:
    """``document`` as indented JSON text that holds no raw control character.

    ``json`` escapes C0 controls itself; what else :func:`show` escapes (DEL, C1 controls,
    line separators, bidirectional overrides, lone surrogates, which no UTF-8 writer can
    encode, and invisible characters) is written as ``\\uXXXX`` escapes too, and so is the
    ``#`` opening ``##[``, which the GitHub Actions runner reads as a command anywhere in a
    line. The data stays exactly the same.
    """
    text = json.dumps(document, indent=2, ensure_ascii=False)
    return _JSON_UNSAFE.sub(_json_escape, text) + "\n"


def grouped(run: RunResult) -> list[tuple[Binding, list[RuleResult]]]:
    """Rule verdicts grouped by who the rule binds, in registry order."""
    groups: dict[Binding, list[RuleResult]] = {}
    for result in run.results:
        groups.setdefault(result.rule.binding, []).append(result)
    return [(binding, groups[binding]) for binding in Binding if binding in groups]


def request_data(request: Request) -> dict[str, Any]:
    """A request as JSON-safe data (text as latin-1 strings, the body as base64)."""
    return {
        "method": request.method,
        "target": request.target,
        "http_version": request.http_version,
        "headers": [list(pair) for pair in request.headers],
        "body_base64": base64.b64encode(request.body).decode("ascii"),
        "framing": request.framing.value,
        "chunk_sizes": list(request.chunk_sizes),
    }


def location_of(run: RunResult, failure: Failure) -> Location | None:
    """Where a report puts a failure: its place in the user's code, or else (the place is
    in Flask, say) the app's definition; never a library's file."""
    return user_location(failure.finding.where, run.app_location)


def made_in(run: RunResult, failure: Failure) -> tuple[str, str] | None:
    """:func:`made_at` as a report shows it: ``file:line`` (:func:`spelled`) and the
    function, unescaped; None where there is none."""
    made = made_at(run, failure)
    return None if made is None else (spelled(made), made.called)


def made_at(run: RunResult, failure: Failure) -> Location | None:
    """Where a library made the failure's finding, when :func:`location_of` shows it on the
    user's line instead (Trac's ``write()`` calls in its ``trac/web/api.py``, shown on the
    line that imports Trac's app): a place to look, named beside the user's; else None."""
    where = failure.finding.where
    return None if where is None or where == location_of(run, failure) else where


def asked(request: Request | None) -> str | None:
    """``GET /x``: the method and target of the request that showed a finding, as sent (a
    byte past ASCII as its ``\\xNN``: a raw 0xE9 and a UTF-8 "é" differ, and only one
    replays the finding; each writer escapes the rest), or None."""
    if request is None:
        return None
    return f"{as_sent(request.method)} {as_sent(request.target)}"


@dataclass(frozen=True, slots=True)
class OtherPlace:
    """Another place where the same rule broke (in the user's code or a library's): the
    message of its simplest finding (the fewest server choices, then the smallest
    request: no minimiser ran there), how many findings it made there, and the request
    that showed it (None when the finding names none): where to start looking, since
    alone, without the requests before it or the server choices it was drawn with, it may
    not show again."""

    where: Location
    message: str
    count: int
    request: Request | None = None
    #: The server choices that finding was made under beyond plain ``serve``'s (and
    #: ``raw_latin1_targets=True`` for a raw byte in its target, which ``serve`` refuses).
    choices: tuple[str, ...] = ()

    @property
    def asked(self) -> str | None:
        return asked(self.request)

    def aside(self, escape: Callable[[str], str]) -> str:
        """`` (N findings, the simplest on GET /x)`` after the message: how many there were,
        where several, and the request that showed the simplest, its method and target
        escaped by ``escape`` (each writer's own), and the server choices it needs beyond
        ``serve``'s (`` under server choices empty_query_string='omit'``); nothing when
        none of it is known."""
        parts = [plural(self.count, "finding")] if self.count > 1 else []
        if self.asked is not None:
            # A line each: a long target cut (a trial of 2026-12-06 met a 1,000-character
            # one, printed whole, where the status table cuts at 32).
            asked = escape(show(self.asked, limit=ASKED_SHOWN))
            parts.append(f"the simplest on {asked}" if parts else f"on {asked}")
            if self.choices:
                parts[-1] += f" under server choices {escape(', '.join(self.choices))}"
        return f" ({', '.join(parts)})" if parts else ""

    @property
    def spelled(self) -> str:
        """``file:line`` as a report shows it (:func:`spelled`)."""
        return spelled(self.where)


def spelled(where: Location) -> str:
    """``file:line`` as a report shows a place: relative to the working directory, or to
    the ``sys.path`` entry holding it (``xandikos/webdav.py:382``)."""
    return f"{portable_path(where.file)}:{where.line}"


#: Other places a report lists under a failure, at most.
OTHER_PLACES_SHOWN = 10
#: Characters of the method and target an other place's simplest finding was made on.
ASKED_SHOWN = 100
#: Characters of a path tried that a failure's findings were on: whole, as the user gave it
#: or the run found it (a trial of 2026-12-08 met two of pypicloud's static paths cut at 60
#: to the same text).
PATH_SHOWN = 200


def findings_by_path(run: RunResult, rule_id: str) -> list[tuple[str, int]]:
    """The paths the run tried (``run.paths``) where rule ``rule_id`` made findings, each
    with how many, in the order tried: a report shows one smallest example per rule, and
    which of the user's pages share the fault would go unseen (trial 5 of 2026-12-07 found
    a second Django view's only by running it alone). Requests to other targets (drawn
    ones) are not counted; nothing where the run tried one path."""
    if len(run.paths) < 2:
        return []
    counts = dict.fromkeys(run.paths, 0)
    for result in run.results:
        if result.rule.id != rule_id:
            continue
        for finding in result.findings:
            request = finding.request
            if request is not None and request.target in counts:
                counts[request.target] += 1
    return [(path, count) for path, count in counts.items() if count]


def by_path_text(
    run: RunResult, failure: Failure, escape: Callable[[str], str] = plain
) -> str | None:
    """:func:`findings_by_path` as every report says it ("findings on the paths tried: /a
    ×8 · /b ×4"), each path shown (:data:`PATH_SHOWN`) and escaped by ``escape`` (a
    writer's own, on each path: one on the whole line would cut it at its own limit);
    None where it names none."""
    counted = findings_by_path(run, failure.rule.id)
    if not counted:
        return None
    spelled = " · ".join(
        f"{escape(show(path, limit=PATH_SHOWN))} ×{count}" for path, count in counted
    )
    return f"findings on the paths tried: {spelled}"


def other_places(run: RunResult, failure: Failure) -> list[OtherPlace]:
    """The places other than the failure's own where its rule's findings were made (a
    second bug under the same rule, at another line), each once with its simplest
    finding (:func:`_simpler`), in the order met: a
    report shows one smallest example per rule, and these would go unseen. The places are
    where each finding was made, a library's line included: a framework app's errors all
    map to the app's definition in the user's code, and would all look like one."""
    shown = failure.finding.where
    mine = None if shown is None else (shown.file, shown.line)
    places: dict[tuple[str, int], tuple[Location, Finding, int]] = {}
    for result in run.results:
        if result.rule.id != failure.rule.id:
            continue
        for finding in result.findings:
            where = finding.where
            if where is None or (where.file, where.line) == mine:
                continue
            _, simplest, count = places.get((where.file, where.line), (where, finding, 0))
            if _simpler(finding) < _simpler(simplest):
                simplest = finding
            places[where.file, where.line] = (where, simplest, count + 1)
    found = [
        OtherPlace(where, simplest.message, count, simplest.request, _needed_choices(simplest))
        for where, simplest, count in places.values()
    ]
    # The places with most findings first: what OTHER_PLACES_SHOWN leaves out is the rarest.
    return sorted(found, key=lambda place: (-place.count, place.where.file, place.where.line))


@dataclass(frozen=True, slots=True)
class DistinctFinding:
    """A rule's findings that said the same of the same request (``--all-findings``): the
    message, the method and target (:func:`asked`), the server choices beyond ``serve``'s,
    and how many there were."""

    message: str
    asked: str | None
    choices: tuple[str, ...]
    count: int

    def told(self, escape: Callable[[str], str]) -> str:
        """``GET /x ×3: message``, each part escaped by ``escape`` (each writer's own)."""
        head = "" if self.asked is None else escape(show(self.asked, limit=ASKED_SHOWN))
        if self.choices:
            head += f" under server choices {escape(', '.join(self.choices))}"
        head += f" ×{self.count}" if self.count > 1 else ""
        return f"{head.strip()}: {escape(self.message)}" if head else escape(self.message)


def every_finding(run: RunResult, rule_id: str) -> list[DistinctFinding]:
    """Every distinct finding of ``rule_id``, in the order met, when the run was asked to
    list them (``--all-findings``; else none): a report shows one smallest example per rule,
    and a user triaging a framework wants each page and question that broke it."""
    if not run.all_findings:
        return []
    counted: dict[tuple[str | None, tuple[str, ...], str], int] = {}
    for result in run.results:
        if result.rule.id != rule_id:
            continue
        for finding in result.findings:
            key = (asked(finding.request), _needed_choices(finding), finding.message)
            counted[key] = counted.get(key, 0) + 1
    return [
        DistinctFinding(message, method_and_target, choices, count)
        for (method_and_target, choices, message), count in counted.items()
    ]


def every_finding_heading(every: list[DistinctFinding]) -> str:
    """What the list of every finding is titled: ``every finding (104, 3 distinct)``."""
    total = sum(each.count for each in every)
    return f"every finding ({total}, {len(every)} distinct)"


def _needed_choices(finding: Finding) -> tuple[str, ...]:
    """The server choices ``finding`` was made under beyond plain ``serve``'s, with the one
    a raw byte in its target needs (``serve`` refuses it)."""
    return (*finding.choices, *target_choices([finding.request]))


def _simpler(finding: Finding) -> tuple[int, int]:
    """How far a finding's request is from a plain one, to show the simplest a place met:
    the server choices it needs beyond ``serve``'s (a raw byte in the target is one), then
    its size."""
    request = finding.request
    if request is None:
        return (len(finding.choices) + 1, 0)
    size = len(request.target) + len(request.body)
    size += sum(len(name) + len(value) for name, value in request.headers)
    return (len(finding.choices) + len(target_choices([request])), size)


def more_places(others: list[OtherPlace]) -> str | None:
    """The line after the places a report lists, when it left some out."""
    left = len(others) - OTHER_PLACES_SHOWN
    return f"… and {left} more (see --format json)" if left > 0 else None


def repository_place(run: RunResult, failure: Failure, root: Path) -> tuple[Location, str] | None:
    """Where a code-scanning report puts a failure, and that file's path relative to the
    repository ``root``: :func:`location_of`'s place, or the app's definition when that
    place is outside the repository (a file GitHub could not show), or a probe's server;
    None when none is inside it."""
    for where in (location_of(run, failure), run.app_location, run.subject):
        if where is not None and (inside := in_repository(where.file, root)) is not None:
            return where, inside
    return None


def in_repository(file: str, root: Path) -> str | None:
    """``file``'s path relative to the repository ``root``, or None when it is outside. The
    file is looked for by its own name (an escaped one, with an ideographic space in it,
    names no file), and so named: each writer escapes it its own way (SARIF's URI
    percent-encodes it, an annotation shows it)."""
    name = plain(file)
    try:
        os.fsencode(name)  # a name no file system holds (a lone surrogate) is no file
        return Path(name).resolve().relative_to(root).as_posix()
    except (ValueError, OSError, RuntimeError):
        return None


def location_data(where: Location | None) -> dict[str, Any] | None:
    if where is None:
        return None
    return {"file": show(where.file), "line": where.line, "function": show(where.function)}


def failure_data(
    failure: Failure,
    where: Location | None,
    others: list[OtherPlace] | None = None,
    made: Location | None = None,
) -> dict[str, Any]:
    """A failure's place (``where``, from :func:`location_of`; ``made``, from
    :func:`made_at`), the rule's other places (``others``, from :func:`other_places`),
    minimal example and reproducers as JSON-safe data."""
    config = failure.config
    return {
        "message": show(failure.finding.message),
        "location": location_data(where),
        "made_at": location_data(made),
        "other_places": [
            {
                "location": location_data(each.where),
                "message": show(each.message),
                "count": each.count,
                "request": each.asked,
                "server_choices": [show(choice) for choice in each.choices],
            }
            for each in others or []
        ],
        "fingerprint": fingerprint(failure.finding),
        "transport": failure.transport,
        "request": request_data(failure.request),
        "before": [request_data(each) for each in failure.before],
        "fails_on_fresh_app": failure.fresh,
        "server_config": {
            "script_name": config.script_name,
            "multithread": config.multithread,
            "multiprocess": config.multiprocess,
            "file_wrapper": config.file_wrapper,
            "input_terminated_always": config.input_terminated_always,
            "empty_query_string": config.empty_query_string,
            "no_body_content_length": config.no_body_content_length,
            "max_read": config.max_read,
        },
        # The server's own choices (Limits) the failure needs beyond serve's, apart from
        # the environ's: each keeps the keyword arguments of its class.
        "limits": {"raw_latin1_targets": needs_raw_targets([failure.request, *failure.before])},
        "raw": failure.reproducers.raw.decode("latin-1"),
        "curl": failure.reproducers.curl,
        "python": failure.reproducers.python,
    }


def coverage_data(measured: AppCoverage | None) -> dict[str, Any] | None:
    """``--app-coverage`` as JSON-safe data (paths relative to the working directory)."""
    if measured is None:
        return None
    return {
        "root": show(relative_path(measured.root)),
        "statements": measured.statements,
        "executed": measured.executed,
        "percent": measured.percent,
        "files": [
            {
                "path": show(relative_path(each.path)),
                "statements": len(each.statements),
                "executed": len(each.executed),
                "percent": each.percent,
                "missing": list(each.missing),
            }
            for each in measured.files
        ],
    }


def output_title(captured: CapturedOutput) -> str:
    """``Output of the app (stdout and stderr): 70000 bytes, 4464 cut from the middle``."""
    cut = f", {captured.cut} cut from the middle" if captured.cut else ""
    return f"Output of the app (stdout and stderr): {plural(captured.size, 'byte')}{cut}"


def output_lines(captured: CapturedOutput) -> list[str]:
    """What the app printed, a line at a time (:func:`written_lines`), each made safe by
    :func:`show`."""
    return [show(line) for line in written_lines(captured.text)]


def output_data(captured: CapturedOutput | None) -> dict[str, Any] | None:
    """What the app printed, as JSON-safe data; None when it printed nothing."""
    if captured is None:
        return None
    return {"text": captured.text, "bytes": captured.size, "cut": captured.cut}


#: The title of the table of statuses per path, in every format that shows it. The table
#: counts the drawn requests, not the questions that follow an answer (HEAD, conditional and
#: ranged GETs): HARNESS-ALL-REFUSED reads it, and a 304 a finding quotes may not be in it.
ANSWERS_TITLE = "What the app answered to the drawn requests (statuses per path)"


def answer_rows(run: RunResult, limit: int) -> list[tuple[str, str]]:
    """The table of statuses per path as (path, ``"200 ×36 · 404 ×2"``) text pairs, the paths
    with most answers first, at most ``limit`` rows and one for the rest. The paths are as
    sent, each byte past ASCII escaped (:func:`~wsgicheck.model.untrusted.as_sent`): each
    format makes them safe its own way."""
    return [(as_sent(path), statuses_text(row)) for path, row in run.answers.rows(limit)]


def answers_data(run: RunResult) -> list[dict[str, Any]]:
    """The table of statuses per path as JSON-safe data; the row of the paths past the
    table's limit has the path null. A path is given whole, as a request's target is:
    :func:`dumps` escapes what needs it, and a path cut for a reader is no path."""
    return [
        {"path": None if path == OTHER_PATHS else path, "statuses": row}
        for path, row in run.answers.rows()
    ]
