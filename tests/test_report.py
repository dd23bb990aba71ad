"""Report formats, rendered from real runs: what each must contain, and what it must escape.

The runs are made once per module (in memory, few examples, fixed seeds); a "nasty" app puts
markup, Markdown, XML and control characters into what the reports show.
"""

from __future__ import annotations

import dataclasses
import html.parser
import importlib.resources
import itertools
import json
import re
import wsgiref.validate
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from headless import chromium
from wsgicheck import Limits, Request, ServerConfig, report
from wsgicheck.explore.runner import RunOptions, RunResult, run
from wsgicheck.model.events import Location
from wsgicheck.report.common import (
    ANSWERS_TITLE,
    OtherPlace,
    asked,
    grouped,
    in_repository,
    location_of,
    made_at,
    other_places,
)
from wsgicheck.report.github import escape_data, escape_property, workflow_commands
from wsgicheck.report.markdown import BUDGET, OUTPUT_SHOWN, md
from wsgicheck.report.text import _answer_row
from wsgicheck.results.appcoverage import AppCoverage, FileCoverage, line_ranges
from wsgicheck.results.baseline import Baseline, Entry, fingerprint, from_run, known_rules
from wsgicheck.results.reproduce import reproducers, serve_command, target_choices
from wsgicheck.results.run import CapturedOutput
from wsgicheck.results.scope import Answers
from wsgicheck.rules import REGISTRY, Level
from wsgicheck.rules.verdicts import Verdict
from wsgicheck.target import load_target

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
FORMATS = ["text", "json", "junit", "sarif", "html", "markdown"]

NASTY = "<script>alert('@admin #1')</script> | `x` ]]> </details> &amp; *bold* [l](u)"


def nasty_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200  " + NASTY, [("Content-Type", "text/plain")])  # two spaces
    return [b"ok\n"]


NASTY_LINE = nasty_app.__code__.co_firstlineno + 1


def _run(app: Any, target: str, seed: int = 7, **options: Any) -> RunResult:
    settings = {"profile": "quick", "max_examples": 20, "seed": seed, "database": None}
    return run(app, RunOptions(**{**settings, **options}), target=target)


def _fixture(name: str) -> tuple[Any, str]:
    target = f"{FIXTURES / name}:app"
    return load_target(target), target


@pytest.fixture(scope="module")
def clean() -> RunResult:
    return _run(*_fixture("wsgiapp.py"))


@pytest.fixture(scope="module")
def broken() -> RunResult:
    return _run(*_fixture("broken/app_status_format.py"))


@pytest.fixture(scope="module")
def warned() -> RunResult:
    return _run(*_fixture("broken/app_avoid_write.py"))


@pytest.fixture(scope="module")
def nasty() -> RunResult:
    result = _run(nasty_app, "tests/test_report.py:nasty_app")
    # A message holding raw control characters too, as a rule quoting app bytes might.
    failure = result.failures["APP-STATUS-FORMAT"]
    finding = dataclasses.replace(failure.finding, message="raw \x00\x1b[31m\x7f " + NASTY)
    result.failures["APP-STATUS-FORMAT"] = dataclasses.replace(failure, finding=finding)
    return result


def _with(result: RunResult, **changes: Any) -> RunResult:
    return dataclasses.replace(result, **changes)


def _coverage() -> AppCoverage:
    return AppCoverage(
        root=str(FIXTURES),
        files=(
            FileCoverage(
                path=str(FIXTURES / "wsgiapp.py"), statements=(1, 2, 3, 5, 6, 7), executed=(1, 2)
            ),
        ),
    )


# -- every format -----------------------------------------------------------------------------


def test_the_formats() -> None:
    assert report.names() == FORMATS


@pytest.mark.parametrize(
    ("level", "strict", "known", "expected"),
    [
        (Level.MUST, False, False, Verdict.FAIL),
        (Level.MUST, True, False, Verdict.FAIL),
        (Level.SHOULD, False, False, Verdict.WARN),
        (Level.SHOULD, True, False, Verdict.FAIL),
        (Level.MUST, False, True, Verdict.KNOWN),
        (Level.MUST, True, True, Verdict.KNOWN),
        (Level.SHOULD, False, True, Verdict.KNOWN),
        (Level.SHOULD, True, True, Verdict.KNOWN),
    ],
)
def test_the_verdict_on_a_broken_rule(
    level: Level, strict: bool, known: bool, expected: Verdict
) -> None:
    assert Verdict.for_broken(level, strict=strict, known=known) is expected


def test_the_status_of_a_rule_over_its_exchanges() -> None:
    table = {
        (found, applied): Verdict.of_rule(found=found, applied=applied)
        for found in (False, True)
        for applied in (False, True)
    }
    assert table == {
        (False, False): Verdict.SKIP,
        (False, True): Verdict.PASS,
        (True, False): Verdict.FAIL,
        (True, True): Verdict.FAIL,
    }


def test_verdicts_are_the_words_the_reports_print() -> None:
    assert [str(each) for each in Verdict] == ["pass", "fail", "warn", "known", "skip"]
    assert json.dumps([f"{Verdict.WARN}", Verdict.SKIP]) == '["warn", "skip"]'


def test_a_run_no_profile_sized_claims_no_profile_and_no_transports(clean: RunResult) -> None:
    """A probe's result: its examples are its own option, its requests went to a server."""
    unsized = RunOptions(profile=None, max_examples=clean.examples, transports=None)
    result = dataclasses.replace(clean, options=unsized)
    for name in ("text", "junit", "sarif", "html", "markdown"):
        assert "profile" in report.render(clean, name)
        out = report.render(result, name)
        assert "profile" not in out
        assert "quick" not in out
    for name in ("text", "junit", "html", "markdown"):  # SARIF's rule texts name transports
        assert "transports" not in report.render(result, name)


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_renders_each_kind_of_run(
    name: str, clean: RunResult, broken: RunResult, warned: RunResult, nasty: RunResult
) -> None:
    for result in (clean, broken, warned, nasty, _with(broken, app_coverage=_coverage())):
        text = report.render(result, name)
        assert text.endswith("\n")
        assert "\x00" not in text
        assert "\x1b" not in text


# -- text ---------------------------------------------------------------------------------------


def test_text_shows_the_failure_with_its_source_line(
    broken: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    text = report.render(broken, "text")
    assert "✗ APP-STATUS-FORMAT (MUST)" in text
    assert "  at fixtures/broken/app_status_format.py:11 in app()" in text
    assert '11 │ start_response("200  OK", [("Content-Type", "text/plain")])' in text
    assert "  smallest request (" in text
    assert "    curl -v --path-as-is " in text
    assert text.splitlines()[-1].startswith("FAILED: 1 rule failed, 0 warned, ")


def test_the_header_tells_the_examples_shrinking_sent_past_those_asked(clean: RunResult) -> None:
    """A real-app trial of 2026-12-06 read "profile default · 400 examples" as a miscount:
    the 200 past the profile's were shrinking a failure."""
    asked = clean.options.examples
    assert f"· {asked} examples ·" in report.render(clean, "text")
    more = _with(clean, examples=asked + 25)
    said = f"{asked + 25} examples ({asked} asked, 25 more shrinking failures)"
    assert f"· {said} ·" in report.render(more, "text")
    assert said in report.render(more, "html")
    assert json.loads(report.render(more, "json"))["examples"] == asked + 25
    stopped = _with(more, interrupted=True)  # Ctrl-C: the count alone
    assert f"· {asked + 25} examples ·" in report.render(stopped, "text")


def test_every_format_carries_the_runs_notes(clean: RunResult) -> None:
    """A run's notes say what it could not judge (a pass may hide it: a validator inside
    TARGET, shrinking stopped, a path that never answered 2xx); a review of 2026-12-06 found
    them in the text and JSON reports only."""
    noted = _with(clean, notes=["shown <b>escaped</b> | `x` *y*"])
    assert "note: shown <b>escaped</b> | `x` *y*" in report.render(noted, "text")
    assert json.loads(report.render(noted, "json"))["notes"] == noted.notes
    assert "- note: shown &lt;b&gt;escaped&lt;/b&gt; \\| \\`x\\` \\*y\\*" in report.render(
        noted, "markdown"
    )
    assert "<li>shown &lt;b&gt;escaped&lt;/b&gt; | `x` *y*</li>" in report.render(noted, "html")
    suites = _junit(noted).findall("testsuite")
    assert all(
        suite.find("properties/property[@name='note_1']").get("value") == noted.notes[0]  # type: ignore[union-attr]
        for suite in suites
    )
    sarif = json.loads(report.render(noted, "sarif"))
    [invocation] = sarif["runs"][0]["invocations"]
    assert invocation["toolExecutionNotifications"] == [
        {"level": "note", "message": {"text": noted.notes[0]}}
    ]
    assert "note" not in report.render(clean, "markdown")


def test_text_clean_run_ends_passed(clean: RunResult) -> None:
    last = report.render(clean, "text").splitlines()[-1]
    assert re.fullmatch(
        r"passed: 0 rules failed, 0 warned, \d+ passed, \d+ skipped \(\d+ rules\)", last
    )


def test_text_colour_only_when_asked(broken: RunResult) -> None:
    assert "\x1b[" not in report.render(broken, "text", color=False)
    assert "\x1b[31m" in report.render(broken, "text", color=True)


def test_text_shows_control_characters_escaped(nasty: RunResult) -> None:
    text = report.render(nasty, "text", color=True)
    assert "raw \\x00\\x1b[31m\\x7f <script>" in text


def test_text_known_findings_are_listed_apart(broken: RunResult) -> None:
    text = report.render(_with(broken, known=frozenset({"APP-STATUS-FORMAT"})), "text")
    assert "Known findings (accepted by the baseline)" in text
    assert "✗ APP-STATUS-FORMAT (MUST)" not in text
    assert text.splitlines()[-1].startswith("passed: 0 rules failed, 0 warned, 1 known, ")


def test_text_shows_app_coverage(clean: RunResult) -> None:
    text = report.render(_with(clean, app_coverage=_coverage()), "text")
    assert "App coverage: 2 of 6 lines (33.3%)" in text
    assert re.search(r"wsgiapp\.py +33\.3% +2/6 +never reached: 3, 5-7", text)


# -- JSON ---------------------------------------------------------------------------------------


def _schema() -> dict[str, Any]:
    source = importlib.resources.files("wsgicheck.report").joinpath("schema.json")
    return json.loads(source.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(_schema())


def test_json_validates_against_the_schema(
    clean: RunResult, broken: RunResult, warned: RunResult, nasty: RunResult
) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    runs = [
        clean,
        broken,
        warned,
        nasty,
        _with(broken, known=frozenset({"APP-STATUS-FORMAT"}), app_coverage=_coverage()),
        _with(clean, errors=["GET /: the socket closed"]),
    ]
    for result in runs:
        validator.validate(json.loads(report.render(result, "json")))


def test_json_carries_the_failure_and_its_reproducers(broken: RunResult) -> None:
    data = json.loads(report.render(broken, "json"))
    assert data["failed"] is True
    assert data["summary"]["failed"] == 1
    (entry,) = [each for each in data["results"] if each["status"] == "fail"]
    assert entry["rule"] == "APP-STATUS-FORMAT"
    assert entry["location"]["line"] == 11
    assert entry["raw"].startswith(("GET ", "HEAD ", "POST ", "PUT ", "OPTIONS ", "DELETE "))
    assert entry["curl"].startswith("curl ")
    assert re.fullmatch("[0-9a-f]{16}", entry["fingerprint"])
    assert data["app"]["function"] == "app"
    assert data["app_coverage"] is None
    # The environ's choices, as ServerConfig takes them, and the server's, as Limits does.
    made = ServerConfig(**entry["server_config"])
    config = broken.failures["APP-STATUS-FORMAT"].config
    assert {name: getattr(made, name) for name in entry["server_config"]} == {
        name: getattr(config, name) for name in entry["server_config"]
    }
    assert entry["limits"] == {"raw_latin1_targets": False}


def test_json_names_the_raw_targets_a_failure_needs(broken: RunResult) -> None:
    """A request (or one before it) with a raw byte in its target shows only on a server
    made with Limits(raw_latin1_targets=True): the JSON says so, as the text does."""
    failure = broken.failures["APP-STATUS-FORMAT"]
    for changes in (
        {"request": Request(target="/caf\xe9")},
        {"before": (Request(target="/\xa0"),)},
    ):
        failures = {**broken.failures, "APP-STATUS-FORMAT": dataclasses.replace(failure, **changes)}
        data = json.loads(report.render(_with(broken, failures=failures), "json"))
        (entry,) = [each for each in data["results"] if each["status"] == "fail"]
        assert entry["limits"] == {"raw_latin1_targets": True}
        Limits(**entry["limits"])  # the keyword arguments of the class it names


def two_bugs_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["REQUEST_METHOD"] == "DELETE":
        raise KeyError("bug one")
    if environ["REQUEST_METHOD"] == "PUT":
        raise ValueError("bug two")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


TWO_BUGS_LINES = {
    two_bugs_app.__code__.co_firstlineno + 2,
    two_bugs_app.__code__.co_firstlineno + 4,
}


def _choices(finding: Any) -> int:
    """The server choices beyond serve's a finding needs (a raw byte in its target is one)."""
    return len(finding.choices) + len(target_choices([finding.request]))


def _size(request: Request | None) -> int:
    assert request is not None
    fields = sum(len(name) + len(value) for name, value in request.headers)
    return len(request.target) + len(request.body) + fields


def test_every_place_a_rule_broke_is_named_not_only_the_example_shown() -> None:
    """Two bugs under one rule at two lines (the sweep of 2026-12-03: Xandikos's chunked
    upload hid behind another error): the failure shows one, and lists the other place."""
    result = _run(two_bugs_app, "tests/test_report.py:two_bugs_app", max_examples=60)
    failure = result.failures["APP-TRAP-OWN-ERRORS"]
    data = json.loads(report.render(result, "json"))
    (entry,) = [each for each in data["results"] if each["rule"] == "APP-TRAP-OWN-ERRORS"]
    (other,) = entry["other_places"]
    assert {entry["location"]["line"], other["location"]["line"]} == TWO_BUGS_LINES
    shown = "bug one" if entry["location"]["line"] == min(TWO_BUGS_LINES) else "bug two"
    hidden = "bug two" if shown == "bug one" else "bug one"
    assert shown in failure.finding.message
    assert hidden in other["message"]
    (judged,) = [each for each in result.results if each.rule.id == "APP-TRAP-OWN-ERRORS"]
    assert other["count"] == sum(hidden in each.message for each in judged.findings)
    # The other place names the request that showed its simplest finding, to send it again.
    met = [each for each in judged.findings if hidden in each.message]
    simplest = min(met, key=lambda each: (_choices(each), _size(each.request)))
    assert simplest.request is not None
    method = "PUT" if hidden == "bug two" else "DELETE"
    assert simplest.request.method == method
    assert other["request"] == f"{method} {simplest.request.target}"  # no body: it stays small
    assert len(other["server_choices"]) == _choices(simplest)
    aside = f"({other['count']} findings, the simplest on " if other["count"] > 1 else "(on "
    text = report.render(result, "text")
    assert f"test_report.py:{other['location']['line']} in two_bugs_app(): " in text
    assert "also at 1 other place:" in text
    assert aside + method + " " in " ".join(line.strip() for line in text.splitlines())
    markdown = report.render(result, "markdown")
    assert f"test_report.py:{other['location']['line']}` in `two_bugs_app()`" in markdown
    assert "Also at 1 other place:" in markdown
    assert aside + "`" + method + " " in markdown
    html = report.render(result, "html")
    assert "also at 1 other place:" in html
    assert aside + "<code>" + method + " " in html
    # One baseline entry for the function (no line in a fingerprint), worded as the report,
    # whichever of the function's findings the report shows.
    (accepted,) = from_run(result).entries
    assert accepted.message == failure.finding.message
    other_finding = next(each for each in judged.findings if hidden in each.message)
    swapped = {"APP-TRAP-OWN-ERRORS": dataclasses.replace(failure, finding=other_finding)}
    (accepted,) = from_run(_with(result, failures=swapped)).entries
    assert accepted.message == other_finding.message
    assert "also at 1 other place:" in report.render(result, "junit")
    sarif = json.loads(report.render(result, "sarif"))
    (shown,) = sarif["runs"][0]["results"]
    (place,) = shown["properties"]["other_places"]
    assert place["count"] == other["count"]
    assert place["request"] == other["request"]


def test_a_raw_byte_in_a_target_is_a_server_choice_serve_does_not_make() -> None:
    """App sweep of 2026-12-05: an "also at" request with a raw 0xA0 in its target, which
    ``wsgicheck serve`` refuses with a 400, was listed as if serve would show it; so was a
    failure's own curl replay. Both now name the choice ``check`` made and serve does not."""
    result = _run(two_bugs_app, "tests/test_report.py:two_bugs_app", max_examples=60)
    failure = result.failures["APP-TRAP-OWN-ERRORS"]
    (judged,) = [each for each in result.results if each.rule.id == "APP-TRAP-OWN-ERRORS"]
    shown = failure.finding.where
    assert shown is not None
    raw = Request(method="PUT", target="/z\xa0a", headers=(("Host", "localhost"),))
    findings = tuple(
        each
        if each.where == shown or each.request is None
        else dataclasses.replace(each, request=raw)
        for each in judged.findings
    )
    results = [
        dataclasses.replace(each, findings=findings) if each is judged else each
        for each in result.results
    ]
    data = json.loads(report.render(_with(result, results=results), "json"))
    (entry,) = [each for each in data["results"] if each["rule"] == "APP-TRAP-OWN-ERRORS"]
    (other,) = entry["other_places"]
    # Named as a Limits choice (a trial of 2026-12-08 tried ServerConfig(raw_latin1_targets=True)).
    assert other["server_choices"] == ["raw_latin1_targets=True (Limits)"]
    # The byte as sent: "/z\xa0a" read as a no-break space would be another request.
    assert other["request"] == "PUT /z\\xa0a"
    against = serve_command("TARGET", ServerConfig(multithread=True), [raw])
    assert against == (
        "`wsgicheck serve TARGET --port 8000`, which does not make this run's server choices "
        "raw_latin1_targets=True (Limits): the Python replay does"
    )
    assert reproducers(raw, ServerConfig(multithread=True), "app.py:app").against == against
    assert serve_command("TARGET", ServerConfig(multithread=True), [Request(target="/%A0")]) == (
        "`wsgicheck serve TARGET --port 8000`"
    )


def omitted_query_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["REQUEST_METHOD"] == "DELETE":
        raise KeyError("bug one")
    query = environ["QUERY_STRING"]  # Spyne 2.14: a KeyError where a server omits it
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [query.encode("latin-1")]


def test_another_place_names_the_server_choices_its_request_needs() -> None:
    """Sweep 15: Spyne's KeyError on an omitted QUERY_STRING was listed under "also at" with
    its request alone, which ``wsgicheck serve`` (it always sets the key) answers 200."""
    result = _run(omitted_query_app, "tests/test_report.py:omitted_query_app", max_examples=80)
    failure = result.failures["APP-TRAP-OWN-ERRORS"]
    assert "bug one" in failure.finding.message  # the simplest: no server choice needed
    data = json.loads(report.render(result, "json"))
    (entry,) = [each for each in data["results"] if each["rule"] == "APP-TRAP-OWN-ERRORS"]
    (other,) = entry["other_places"]
    assert "QUERY_STRING" in other["message"]
    assert "empty_query_string='omit'" in other["server_choices"]
    (judged,) = [each for each in result.results if each.rule.id == "APP-TRAP-OWN-ERRORS"]
    omitted = [each for each in judged.findings if "QUERY_STRING" in each.message]
    assert all("empty_query_string='omit'" in each.choices for each in omitted)
    text = " ".join(line.strip() for line in report.render(result, "text").splitlines())
    assert f" under server choices {', '.join(other['server_choices'])})" in text
    sarif = json.loads(report.render(result, "sarif"))
    (place,) = sarif["runs"][0]["results"][0]["properties"]["other_places"]
    assert place["server_choices"] == other["server_choices"]


def _inner_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["REQUEST_METHOD"] == "DELETE":
        start_response("200OK", [("Content-Type", "text/plain")])  # no space: check_status
    elif environ["REQUEST_METHOD"] == "PUT":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Status", "x")])
    else:
        start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


#: An app whose errors are all raised in a library (wsgiref.validate's checks, at two lines).
library_bugs_app = wsgiref.validate.validator(_inner_app)


def test_places_inside_libraries_are_told_apart() -> None:
    """Errors raised in library code all map to the app's definition in the user's code; the
    places listed are where they were made (Xandikos's chunked-upload ValueError hid behind
    its KeyError that way)."""
    result = _run(library_bugs_app, "tests/test_report.py:library_bugs_app", max_examples=60)
    failure = result.failures["APP-TRAP-OWN-ERRORS"]
    (judged,) = [each for each in result.results if each.rule.id == "APP-TRAP-OWN-ERRORS"]
    made = {(each.where.file, each.where.line) for each in judged.findings if each.where}
    inside = {place for place in made if Path(place[0]).as_posix().endswith("wsgiref/validate.py")}
    assert inside, "the run met no error raised inside wsgiref.validate"
    assert failure.finding.where is not None
    shown = (failure.finding.where.file, failure.finding.where.line)
    data = json.loads(report.render(result, "json"))
    (entry,) = [each for each in data["results"] if each["rule"] == "APP-TRAP-OWN-ERRORS"]
    listed = {
        (each["location"]["file"], each["location"]["line"]) for each in entry["other_places"]
    }
    assert listed == made - {shown}
    text = report.render(result, "text")
    for _, line in inside - {shown}:
        assert f"wsgiref/validate.py:{line} in " in text


LIBRARY_APP = """\
def app(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"one")
    return [b"two"]
"""


def test_the_library_line_behind_the_users_is_named_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real-app trial of 2026-12-06: Trac's write() calls, made in its ``api.py``, were
    shown on the user's line that imports Trac's app, and that library line was named
    nowhere (a rarer one was, among the other places). It is named beside the user's."""
    library = tmp_path / "lib" / "site-packages"
    library.mkdir(parents=True)
    (library / "writer_lib_report.py").write_text(LIBRARY_APP)
    (tmp_path / "userwriter_report.py").write_text("from writer_lib_report import app\n")
    monkeypatch.syspath_prepend(str(library))
    target = f"{tmp_path / 'userwriter_report.py'}:app"
    result = _run(load_target(target), target, select=("APP-AVOID-WRITE",))
    failure = result.failures["APP-AVOID-WRITE"]
    made = str(library / "writer_lib_report.py")
    assert failure.finding.where is not None
    assert (failure.finding.where.file, failure.finding.where.line) == (made, 3)
    assert location_of(result, failure) == Location(
        str(tmp_path / "userwriter_report.py"), 1, "<module>"
    )
    # Named beside the user's line, not as another place (a GitHub annotation on each
    # other place says the example shown is elsewhere: review of 2026-12-06).
    assert made_at(result, failure) == failure.finding.where
    assert other_places(result, failure) == []
    assert "(made in writer_lib_report.py:3 in app(), a library's code)" in report.render(
        result, "text"
    )
    data = json.loads(report.render(result, "json"))
    (entry,) = [each for each in data["results"] if each["rule"] == "APP-AVOID-WRITE"]
    assert (entry["made_at"]["file"], entry["made_at"]["line"]) == (made, 3)
    assert entry["other_places"] == []
    # And in every other format (review of 2026-12-06: four named it nowhere).
    assert "Made in `writer_lib_report.py:3` in `app()`, a library's code." in report.render(
        result, "markdown"
    )
    assert (
        "<p>made in <code>writer_lib_report.py:3</code> in <code>app()</code>, a library's "
        "code</p>" in report.render(result, "html")
    )
    assert "made in: writer_lib_report.py:3 in app() (a library's code)" in report.render(
        result, "junit"
    )
    sarif = json.loads(report.render(result, "sarif"))
    [found] = sarif["runs"][0]["results"]
    assert found["properties"]["made_in"] == {
        "place": "writer_lib_report.py:3",
        "function": "app()",
    }


def test_a_long_list_of_other_places_is_cut_and_says_so(broken: RunResult) -> None:
    failure = broken.failures["APP-STATUS-FORMAT"]
    assert failure.finding.where is not None
    many = tuple(
        dataclasses.replace(failure.finding, where=failure.finding.where._replace(line=100 + index))
        for index in range(12)
    )
    results = [
        dataclasses.replace(each, findings=many) if each.rule.id == failure.rule.id else each
        for each in broken.results
    ]
    result = _with(broken, results=results)
    (entry,) = [
        each for each in json.loads(report.render(result, "json"))["results"] if each["findings"]
    ]
    assert [place["location"]["line"] for place in entry["other_places"]] == list(range(100, 112))
    for name in ("text", "markdown", "html", "junit"):
        rendered = report.render(result, name)
        assert "12 other places" in rendered, name
        assert "… and 2 more" in rendered, name
        assert ":109" in rendered, name
        assert ":110" not in rendered, name


def test_a_rule_broken_at_one_place_lists_no_other(broken: RunResult) -> None:
    data = json.loads(report.render(broken, "json"))
    (entry,) = [each for each in data["results"] if each["status"] == "fail"]
    assert entry["other_places"] == []
    assert "other place" not in report.render(broken, "text")


def test_json_known_verdict_and_coverage(broken: RunResult) -> None:
    result = _with(broken, known=frozenset({"APP-STATUS-FORMAT"}), app_coverage=_coverage())
    data = json.loads(report.render(result, "json"))
    assert data["failed"] is False
    assert data["summary"]["known"] == 1
    assert data["summary"]["failed"] == 0
    (entry,) = [each for each in data["results"] if each["status"] == "fail"]
    assert entry["verdict"] == "known"
    (file,) = data["app_coverage"]["files"]
    assert file["missing"] == [3, 5, 6, 7]
    assert file["percent"] == 33.3


def test_a_failure_names_the_paths_tried_where_its_rule_found_something(broken: RunResult) -> None:
    """Trial 5 of 2026-12-07: a second Django view's fault showed only when its path was run
    alone; the report named one example per rule and no path beside it."""
    (result,) = [each for each in broken.results if each.rule.id == "APP-STATUS-FORMAT"]
    on_root = sum(1 for f in result.findings if f.request is not None and f.request.target == "/")
    assert on_root > 0
    tried = _with(broken, paths=["/", "/never-asked"])
    text = report.render(tried, "text")
    assert f"  findings on the paths tried: / ×{on_root}\n" in text
    (entry,) = [
        each for each in json.loads(report.render(tried, "json"))["results"] if each["findings"]
    ]
    assert entry["findings_by_path"] == [{"path": "/", "findings": on_root}]
    jsonschema.Draft202012Validator(_schema()).validate(json.loads(report.render(tried, "json")))
    # Every report says it (the paths escaped as each format escapes).
    assert f"\nFindings on the paths tried: `/` ×{on_root}.\n" in report.render(tried, "markdown")
    told = f'<p class="by-path">findings on the paths tried: / ×{on_root}</p>'
    assert told in report.render(tried, "html")
    (sarif_result,) = json.loads(report.render(tried, "sarif"))["runs"][0]["results"]
    assert sarif_result["properties"]["findings_by_path"] == [{"path": "/", "findings": on_root}]
    # One path tried: the example names it.
    alone = _with(broken, paths=["/"])
    for name in ("text", "markdown", "html"):
        assert "indings on the paths tried" not in report.render(alone, name), name
    (entry,) = [
        each for each in json.loads(report.render(alone, "json"))["results"] if each["findings"]
    ]
    assert entry["findings_by_path"] == []


def test_the_paths_tried_are_named_whole() -> None:
    """Trial 7 (pypicloud): two static paths tried, cut at 60 characters, read the same;
    and Markdown and HTML cut the line at their own limit (a review of 2026-12-08: six
    paths of 180 characters lost the sixth)."""
    stem = "/static/1.3.12/js/lib/angularjs/1.8.2/" + "d" * 130 + "/"
    paths = tuple(stem + name for name in ("animate", "sanitize", "route", "aria", "i18n", "x"))
    result = _run(*_fixture("broken/app_status_format.py"), paths=paths)
    assert set(result.paths) >= set(paths)
    (findings,) = [each for each in result.results if each.rule.id == "APP-STATUS-FORMAT"]
    counts = dict.fromkeys(paths, 0)
    for finding in findings.findings:
        if finding.request is not None and finding.request.target in counts:
            counts[finding.request.target] += 1
    assert all(counts.values())
    lines = report.render(result, "text").splitlines()
    (start,) = [at for at, each in enumerate(lines) if "findings on the paths tried: " in each]
    told = [lines[start]]
    told += itertools.takewhile(lambda line: line.startswith("    "), lines[start + 1 :])
    # (Text wraps a path longer than a line: compared without the spaces wrapping took.)
    spelled = "".join(line.strip() for line in told).replace(" ", "")
    markdown = report.render(result, "markdown")
    page = report.render(result, "html")
    for path, count in counts.items():
        assert f"{path}×{count}" in spelled, spelled
        assert f"`{path}` ×{count}" in markdown
        assert f"{path} ×{count}" in page


def test_all_findings_lists_each_distinct_finding_with_its_count(broken: RunResult) -> None:
    """Trial 6 of 2026-12-07 asked for every finding, not only the smallest: with
    ``--all-findings`` each report lists them, counted, and the counts add up to the rule's
    findings; without it, none lists them."""
    (result,) = [each for each in broken.results if each.rule.id == "APP-STATUS-FORMAT"]
    listed = _with(broken, all_findings=True)
    data = json.loads(report.render(listed, "json"))
    jsonschema.Draft202012Validator(_schema()).validate(data)
    (entry,) = [each for each in data["results"] if each["findings"]]
    every = entry["all_findings"]
    expected: dict[tuple[str | None, tuple[str, ...], str], int] = {}
    for f in result.findings:
        key = (asked(f.request), (*f.choices, *target_choices([f.request])), f.message)
        expected[key] = expected.get(key, 0) + 1
    assert len(expected) > 1
    assert {
        (each["request"], tuple(each["server_choices"]), each["message"]): each["count"]
        for each in every
    } == expected
    assert len(every) == len(expected)
    heading = f"every finding ({len(result.findings)}, {len(every)} distinct)"
    text = report.render(listed, "text")
    assert f"  {heading}:\n" in text
    first = every[0]
    count = f" ×{first['count']}" if first["count"] > 1 else ""
    assert f"\n    {first['request']}{count}: status must be" in text
    assert f"\nEvery finding ({len(result.findings)}, {len(every)} distinct):\n" in (
        report.render(listed, "markdown")
    )
    assert f"<p>{heading}:</p>" in report.render(listed, "html")
    for name in ("text", "markdown", "html", "json"):
        assert "very finding" not in report.render(broken, name), name
        assert "all_findings" not in report.render(broken, name), name


def test_json_and_sarif_say_which_levels_are_implied(broken: RunResult) -> None:
    """A trial of 2026-12-07: the text said "MUST, implied" where JSON said "MUST" alone."""
    implied = {result.rule.id for result in broken.results if result.rule.implied}
    assert "APP-CL-ACCURATE" in implied
    assert "APP-STATUS-FORMAT" not in implied
    data = json.loads(report.render(broken, "json"))
    assert {each["rule"] for each in data["results"] if each["implied"]} == implied
    rules = _sarif(broken)["runs"][0]["tool"]["driver"]["rules"]
    assert {rule["id"] for rule in rules if rule["properties"]["implied"]} == implied


# -- JUnit --------------------------------------------------------------------------------------


def _junit(result: RunResult) -> ET.Element:
    return ET.fromstring(report.render(result, "junit"))


def test_junit_has_one_testcase_per_rule_grouped_by_binding(broken: RunResult) -> None:
    root = _junit(broken)
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert sorted(case.get("name") or "" for case in cases) == sorted(
        result.rule.id for result in broken.results
    )
    assert {suite.get("name") for suite in root.findall("testsuite")} == {
        f"wsgicheck.{result.rule.binding.value}" for result in broken.results
    }
    for suite in root.findall("testsuite"):
        assert int(suite.get("tests") or -1) == len(suite.findall("testcase"))
    assert int(root.get("tests") or -1) == len(cases)


def test_junit_failure_carries_message_section_location_and_reproducers(
    broken: RunResult,
) -> None:
    root = _junit(broken)
    failures = root.findall(".//testcase/failure")
    assert len(failures) == 1
    assert root.get("failures") == "1"
    failure = failures[0]
    assert (failure.get("message") or "").startswith("APP-STATUS-FORMAT: ")
    assert failure.get("type") == "MUST"
    body = failure.text or ""
    assert "PEP 3333, Specification Details" in body
    assert "app_status_format.py:11 in app()" in body
    assert "curl -v --path-as-is" in body
    assert "client.send(Request(" in body
    skipped = root.findall(".//testcase/skipped")
    assert len(skipped) == sum(result.status == "skip" for result in broken.results)
    assert sum(int(suite.get("skipped") or 0) for suite in root) == len(skipped)
    # Not on <testsuites>: the usual JUnit schema (junit-10.xsd) refuses it there.
    assert sorted(root.attrib) == ["errors", "failures", "name", "tests", "time"]


def test_junit_should_findings_fail_only_when_strict(warned: RunResult) -> None:
    case = _junit(warned).find(".//testcase[@name='APP-AVOID-WRITE']")
    assert case is not None
    assert case.find("failure") is None
    out = case.find("system-out")
    assert out is not None
    assert (out.text or "").startswith("warning (a SHOULD rule")
    strict = _with(warned, options=dataclasses.replace(warned.options, strict=True))
    case = _junit(strict).find(".//testcase[@name='APP-AVOID-WRITE']")
    assert case is not None
    assert case.find("failure") is not None


def test_junit_known_findings_pass_and_errors_are_errors(broken: RunResult) -> None:
    result = _with(broken, known=frozenset({"APP-STATUS-FORMAT"}), errors=["boom <&>"])
    root = _junit(result)
    case = root.find(".//testcase[@name='APP-STATUS-FORMAT']")
    assert case is not None
    assert case.find("failure") is None
    assert "accepted by the baseline" in (case.findtext("system-out") or "")
    error = root.find("./testsuite[@name='wsgicheck.harness']/testcase/error")
    assert error is not None
    assert error.text == "boom <&>"
    assert root.get("errors") == "1"


def test_junit_escapes_what_the_app_sent(nasty: RunResult) -> None:
    root = _junit(nasty)  # parses: no raw control characters, markup escaped
    failure = root.find(".//testcase[@name='APP-STATUS-FORMAT']/failure")
    assert failure is not None
    assert "raw \\x00\\x1b[31m\\x7f <script>alert('@admin #1')</script>" in (
        failure.get("message") or ""
    )


# -- SARIF --------------------------------------------------------------------------------------

_LEVELS = {"none", "note", "warning", "error"}
_BASELINE_STATES = {"new", "unchanged", "updated", "absent"}


def _message(value: Any, where: str) -> None:
    assert isinstance(value, dict), where
    assert isinstance(value.get("text"), str) or isinstance(value.get("id"), str), where


def check_sarif(log: dict[str, Any]) -> None:
    """The properties SARIF 2.1.0 requires (sections 3.13-3.52 of the OASIS spec), by hand."""
    assert log["version"] == "2.1.0"
    assert isinstance(log["runs"], list)
    assert log["runs"]
    for run_ in log["runs"]:
        driver = run_["tool"]["driver"]
        assert isinstance(driver["name"], str)
        assert driver["name"]
        rules = driver.get("rules", [])
        ids = [rule["id"] for rule in rules]
        assert len(ids) == len(set(ids)), "rule ids are unique"
        for rule in rules:
            assert isinstance(rule["id"], str)
            for key in ("shortDescription", "fullDescription", "help"):
                if key in rule:
                    assert isinstance(rule[key]["text"], str), key
            level = rule.get("defaultConfiguration", {}).get("level", "warning")
            assert level in _LEVELS
            assert isinstance(rule.get("properties", {}), dict)
        bases = run_.get("originalUriBaseIds", {})
        for base in bases.values():
            assert base["uri"].endswith("/")
        for result in run_.get("results", []):
            _message(result["message"], "result.message")
            assert result.get("level", "warning") in _LEVELS
            assert result["ruleId"] in ids
            if "ruleIndex" in result:
                assert ids[result["ruleIndex"]] == result["ruleId"]
            if "baselineState" in result:
                assert result["baselineState"] in _BASELINE_STATES
            for suppression in result.get("suppressions", []):
                assert suppression["kind"] in {"inSource", "external"}
            for location in result.get("locations", []):
                physical = location["physicalLocation"]
                artifact = physical["artifactLocation"]
                assert isinstance(artifact["uri"], str)
                if "uriBaseId" in artifact:
                    assert artifact["uriBaseId"] in bases
                line = physical["region"]["startLine"]
                assert isinstance(line, int)
                assert line >= 1
            for value in result.get("partialFingerprints", {}).values():
                assert isinstance(value, str)


def _sarif(result: RunResult) -> dict[str, Any]:
    return json.loads(report.render(result, "sarif"))  # type: ignore[no-any-return]


def test_sarif_is_structurally_valid(
    clean: RunResult, broken: RunResult, warned: RunResult, nasty: RunResult
) -> None:
    for result in (clean, broken, warned, nasty, _with(broken, known=frozenset())):
        check_sarif(_sarif(result))


def test_sarif_describes_every_rule(broken: RunResult) -> None:
    rules = _sarif(broken)["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["id"] for rule in rules] == [result.rule.id for result in broken.results]
    by_id = {rule["id"]: rule for rule in rules}
    rule = by_id["APP-STATUS-FORMAT"]
    assert rule["name"] == "AppStatusFormat"
    assert rule["fullDescription"]["text"] == REGISTRY["APP-STATUS-FORMAT"].pep
    assert 'start_response("200  OK", headers)' in rule["help"]["text"]
    assert "helpUri" not in rule
    assert rule["properties"]["level"] == "MUST"
    assert rule["properties"]["binding"] == "app"
    assert rule["properties"]["section"].startswith("Specification Details")
    assert by_id["APP-AVOID-WRITE"]["defaultConfiguration"]["level"] == "warning"


def test_sarif_puts_the_finding_on_the_apps_line(
    broken: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    (result,) = _sarif(broken)["runs"][0]["results"]
    assert result["ruleId"] == "APP-STATUS-FORMAT"
    assert result["level"] == "error"
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"] == {
        "uri": "fixtures/broken/app_status_format.py",
        "uriBaseId": "SRCROOT",
    }
    assert physical["region"] == {"startLine": 11}
    assert result["locations"][0]["logicalLocations"] == [{"name": "app", "kind": "function"}]
    assert "baselineState" not in result


def test_sarif_names_a_function_but_not_a_modules_own_line(broken: RunResult) -> None:
    """A lambda is a function ("<lambda>", as a traceback names it); the line that binds an
    app at module level (Flask(...)) is none."""
    lines = {"<lambda>": [{"name": "<lambda>", "kind": "function"}], "<module>": None}
    for function, logical in lines.items():
        (failure,) = broken.failures.values()
        assert failure.finding.where is not None
        where = failure.finding.where._replace(function=function)
        moved = dataclasses.replace(
            failure, finding=dataclasses.replace(failure.finding, where=where)
        )
        log = json.loads(report.render(_with(broken, failures={failure.rule.id: moved}), "sarif"))
        (result,) = log["runs"][0]["results"]
        assert result["locations"][0].get("logicalLocations") == logical
        text = report.render(_with(broken, failures={failure.rule.id: moved}), "text")
        assert f" in {function}\n" in text
        assert f"{function}()" not in text


def test_sarif_outside_the_repository_uses_a_file_uri(
    broken: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no git checkout here: the working directory is the root
    (result,) = _sarif(broken)["runs"][0]["results"]
    uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (FIXTURES / "broken" / "app_status_format.py").as_uri()
    # --source-root puts it back in the repository.
    log = json.loads(report.render(_with(broken, source_root=str(FIXTURES)), "sarif"))
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "broken/app_status_format.py",
        "uriBaseId": "SRCROOT",
    }
    assert log["runs"][0]["originalUriBaseIds"] == {"SRCROOT": {"uri": FIXTURES.as_uri() + "/"}}


def test_sarif_marks_warnings_and_baseline_states(warned: RunResult, broken: RunResult) -> None:
    (result,) = _sarif(warned)["runs"][0]["results"]
    assert result["level"] == "warning"
    (new,) = _sarif(_with(broken, known=frozenset()))["runs"][0]["results"]
    assert new["baselineState"] == "new"
    assert "suppressions" not in new
    (old,) = _sarif(_with(broken, known=frozenset({"APP-STATUS-FORMAT"})))["runs"][0]["results"]
    assert old["baselineState"] == "unchanged"
    assert old["suppressions"][0]["kind"] == "external"


# -- Markdown -----------------------------------------------------------------------------------


def test_markdown_summary_table_and_details(broken: RunResult) -> None:
    text = report.render(broken, "markdown")
    lines = text.splitlines()
    assert lines[0].startswith("### ❌ wsgicheck FAILED")
    row = next(line for line in lines if line.startswith("| ❌ |"))
    assert "`APP-STATUS-FORMAT`" in row
    assert "| MUST |" in row
    assert "app_status_format.py:11`" in row
    assert "<summary>❌ <code>APP-STATUS-FORMAT</code>: " in text
    assert "```http\n" in text
    assert "```sh\ncurl -v" in text
    assert "```python\n" in text
    # The failure's details, and the statuses per path (every request got a 500).
    assert text.count("<details>") == text.count("</details>") == 2
    assert f"<summary>{ANSWERS_TITLE}</summary>" in text
    assert "| `/` | 500 ×" in text


def test_markdown_clean_run_has_no_table(clean: RunResult) -> None:
    text = report.render(clean, "markdown")
    assert text.startswith("### ✅ wsgicheck passed")
    assert "| Rule |" not in text


def test_markdown_escapes_what_the_app_sent(nasty: RunResult) -> None:
    text = report.render(nasty, "markdown")
    assert "<script>" not in text.replace("```", "")  # only inside code blocks, if at all
    row = next(line for line in text.splitlines() if line.startswith("| ❌ |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 6  # five cells: the app's | is escaped
    assert "@admin" not in row
    assert "&#64;admin" in row
    assert "&#35;1" in row
    summary = next(line for line in text.splitlines() if line.startswith("<summary>"))
    assert "&lt;script&gt;" in summary
    assert "&lt;/details&gt;" in summary
    assert text.count("<details>") == text.count("</details>")


def test_markdown_escape_helper() -> None:
    assert md("a|b") == "a\\|b"
    assert md("<b>&") == "&lt;b&gt;&amp;"
    assert md("@you #3") == "&#64;you &#35;3"
    assert md("*x* _y_ `z`") == "\\*x\\* \\_y\\_ \\`z\\`"
    assert md("two\nlines\x1b") == "two\\\\nlines\\\\x1b"


def test_markdown_keeps_under_the_comment_limit(broken: RunResult) -> None:
    failure = broken.failures["APP-STATUS-FORMAT"]
    failures = {}
    for index in range(40):
        rule_id = f"APP-STATUS-FORMAT-{index}"
        big = dataclasses.replace(failure.finding, message="x" * 3000)
        failures[rule_id] = dataclasses.replace(failure, finding=big)
    text = report.render(_with(broken, failures=failures), "markdown")
    assert len(text) < BUDGET + 5000
    assert "more failures not shown here" in text


def test_markdown_shows_the_last_whole_lines_of_the_apps_output(clean: RunResult) -> None:
    # Cut at a character count, the tail began inside an escape ("x1b]8;;", its backslash
    # gone): whole lines only, and the note says how many.
    lines = [f"line {index} \x1b]8;;" + "y" * 60 for index in range(100)]
    text = "\n".join(lines) + "\n"
    output = CapturedOutput(text, len(text.encode()), 0)
    shown = report.render(_with(clean, app_output=output), "markdown")
    block = shown.split("```\n")[1].split("\n```")[0].splitlines()
    assert block[-1] == "line 99 \\x1b]8;;" + "y" * 60
    assert all(line.startswith("line ") for line in block)
    assert f"(the last {len(block)} of 100 lines)</summary>" in shown
    assert sum(len(line) + 1 for line in block) <= OUTPUT_SHOWN


@pytest.mark.parametrize("form", ["text", "markdown", "html"])
def test_the_apps_output_is_split_at_line_feeds_alone(clean: RunResult, form: str) -> None:
    # A progress bar redrawn with a bare CR, a form feed and U+2028 stay in their line,
    # escaped, as written; a CRLF ends its line as an LF does.
    text = "50%\r100%\r\nnext\x0cpage\u2028more\r\n"
    output = CapturedOutput(text, len(text.encode()), 0)
    shown = report.render(_with(clean, app_output=output), form)
    assert "50%\\r100%" in shown
    assert "next\\x0cpage\\u2028more" in shown
    assert "more\\r" not in shown


def test_markdown_coverage_and_known(broken: RunResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = _with(broken, known=frozenset({"APP-STATUS-FORMAT"}), app_coverage=_coverage())
    text = report.render(result, "markdown")
    assert text.startswith("### ✅ wsgicheck passed")
    assert "1 known finding (accepted by the baseline)" in text
    assert "| `fixtures/wsgiapp.py` | 2/6 | 33.3 | 3, 5\\-7 |" in text


# -- HTML ---------------------------------------------------------------------------------------


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def test_html_is_self_contained(broken: RunResult) -> None:
    text = report.render(_with(broken, app_coverage=_coverage()), "html")
    tags = _tags(text)
    names = {tag for tag, _ in tags}
    assert not names & {"script", "link", "img", "iframe", "object", "embed"}
    for _, attrs in tags:
        assert "src" not in attrs
        assert not (attrs.get("href") or "#").startswith(("http:", "https:", "//"))
    assert "@import" not in text
    assert "url(" not in text
    assert text.startswith("<!DOCTYPE html>")


def test_html_has_the_matrix_and_the_failure_details(broken: RunResult) -> None:
    tags = _tags(report.render(broken, "html"))
    rows = [attrs for tag, attrs in tags if tag == "tr" and "data-rule" in attrs]
    in_order = [result.rule.id for _, results in grouped(broken) for result in results]
    assert [row["data-rule"] for row in rows] == in_order
    verdicts = {row["data-rule"]: row["data-verdict"] for row in rows}
    assert verdicts["APP-STATUS-FORMAT"] == "fail"
    ids = [attrs.get("id") for tag, attrs in tags if tag == "details"]
    assert ids == ["failure-APP-STATUS-FORMAT"]


def test_html_escapes_what_the_app_sent(nasty: RunResult) -> None:
    text = report.render(nasty, "html")
    assert "<script" not in text
    assert "&lt;script&gt;alert(&#x27;@admin #1&#x27;)&lt;/script&gt;" in text
    assert "raw \\x00\\x1b[31m\\x7f" in text


def test_html_renders_in_headless_chromium(broken: RunResult, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(report.render(_with(broken, app_coverage=_coverage()), "html"))
    dom = chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    tags = _tags(dom)
    tables = [attrs.get("id") for tag, attrs in tags if tag == "table"]
    assert {"matrix-app", "matrix-server", "matrix-environ"} <= set(tables)
    rows = [attrs["data-rule"] for tag, attrs in tags if tag == "tr" and "data-rule" in attrs]
    assert len(rows) == len(broken.results)
    assert '<details class="failure f-fail" id="failure-APP-STATUS-FORMAT">' in dom
    assert "curl -v --path-as-is" in dom
    assert 'id="app-coverage"' in dom
    shot = tmp_path / "report.png"
    chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 10_000


def test_html_keeps_a_long_path_inside_the_page(broken: RunResult, tmp_path: Path) -> None:
    """A drawn path of a thousand characters breaks inside its cell: the statuses beside it
    stay on the page (it pushed them a page's width off to the right)."""
    answers = Answers()
    answers.add("/" + "a" * 1000, "404", 7)
    answers.add("/", "200", 3)
    page = tmp_path / "report.html"
    measured = "<script>document.body.dataset.width = document.documentElement.scrollWidth</script>"
    text = report.render(_with(broken, answers=answers), "html")
    page.write_text(text.replace("</body>", measured + "</body>"))
    dom = chromium(tmp_path, "--window-size=1280,1000", "--dump-dom", page.as_uri()).stdout
    [width] = re.findall(r'data-width="(\d+)"', dom)
    assert int(width) <= 1280


def test_every_line_of_a_text_report_fits_100_columns(broken: RunResult) -> None:
    """The app sweep of 2026-12-04 found lines of 118 to 288 characters: a path's statuses
    (Kinto's), the heading of the curl replay under a mount prefix, and a Python replay's
    Client line with many server choices (Radicale's). Each now breaks, and still says
    all it said; the Python replay still compiles."""
    failure = broken.failures["APP-STATUS-FORMAT"]
    config = ServerConfig(
        script_name="/app",
        multiprocess=True,
        file_wrapper=False,
        input_terminated_always=False,
        empty_query_string="absent",
    )
    again = reproducers(failure.request, config, "apps/radicale_app.py:app")
    long_against = again.against + ", said again" * 6
    again = dataclasses.replace(again, against=long_against)
    shown = dataclasses.replace(failure, config=config, reproducers=again)
    answers = Answers()
    statuses = ["200", "301", "302", "304", "307", "400", "403", "404", "405", "412", "500"]
    for index, status in enumerate(statuses):
        answers.add("/v1/buckets/b1/collections/c1/records", status, 10 + index)
    result = _with(broken, failures={"APP-STATUS-FORMAT": shown}, answers=answers)
    text = report.render(result, "text")
    assert max(len(line) for line in text.splitlines()) <= 100
    joined = " ".join(line.strip() for line in text.splitlines())
    told = " · ".join(f"{status} ×{10 + index}" for index, status in enumerate(statuses))
    assert told in joined
    assert "said again, said again" in joined
    compile(again.python, "<replay>", "exec")
    assert "    script_name='/app'," in again.python.splitlines()  # one choice a line
    assert max(len(line) for line in again.python.splitlines()) <= 100


@pytest.mark.parametrize("path_width", range(0, 61, 3))
def test_a_row_of_statuses_is_cut_between_two_of_them(path_width: int) -> None:
    lead = f"  {'/' * path_width}  "
    statuses = " · ".join(f"{code} ×{code - 190}" for code in range(200, 230))
    lines = _answer_row(lead, statuses)
    assert max(len(line) for line in lines) <= 100
    assert all(line.startswith(" " * len(lead)) for line in lines[1:])
    assert " ".join(line[len(lead) :] for line in lines) == statuses


# -- GitHub annotations ------------------------------------------------------------------------


def test_annotation_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_workflow_commands_for_findings(
    broken: RunResult, warned: RunResult, nasty: RunResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    (line,) = workflow_commands(broken)
    assert line.startswith(
        "::error file=fixtures/broken/app_status_format.py,line=11,"
        "title=APP-STATUS-FORMAT (MUST)::status must"
    )
    assert "\n" not in line
    assert "%0AReplay: wsgicheck check " in line
    (line,) = workflow_commands(warned)
    assert line.startswith("::warning file=fixtures/broken/app_avoid_write.py,line=")
    (line,) = workflow_commands(nasty)
    assert f"file=tests/test_report.py,line={NASTY_LINE}," in line
    assert workflow_commands(_with(broken, known=frozenset({"APP-STATUS-FORMAT"}))) == []
    # A line break in an error's text is shown, not passed on: it ends no command line.
    assert workflow_commands(_with(broken, failures={}, errors=["a\nb"])) == [
        "::error title=wsgicheck::a\\nb"
    ]


def test_workflow_commands_annotate_a_rules_other_places_in_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A second bug under one rule gets its own annotation on its own line (a library's
    line, which GitHub could not show, gets none)."""
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    result = _run(two_bugs_app, "tests/test_report.py:two_bugs_app", max_examples=60)
    lines = workflow_commands(result)
    assert [line.split("::")[1].split(",")[:2] for line in lines] == [
        ["warning file=tests/test_report.py", f"line={line}"]
        for line in (
            result.failures["APP-TRAP-OWN-ERRORS"].finding.where.line,  # type: ignore[union-attr]
            *(TWO_BUGS_LINES - {result.failures["APP-TRAP-OWN-ERRORS"].finding.where.line}),  # type: ignore[union-attr]
        )
    ]
    assert " here; the report's example of this rule is another place's" in lines[1]


def test_workflow_command_paths_follow_the_source_root(
    broken: RunResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no git checkout here: the working directory is the root
    (line,) = workflow_commands(_with(broken, source_root=str(FIXTURES)))
    assert line.startswith("::error file=broken/app_status_format.py,line=11,")
    (line,) = workflow_commands(broken, workspace=str(FIXTURES / "broken"))
    assert line.startswith("::error file=app_status_format.py,line=11,")
    # Outside the root: GitHub could show no file, so the annotation names none.
    (line,) = workflow_commands(broken)
    assert line.startswith("::error title=APP-STATUS-FORMAT (MUST)::")


# -- baselines and coverage values --------------------------------------------------------------


def test_known_rules_need_every_finding_accepted(broken: RunResult) -> None:
    (result,) = [each for each in broken.results if each.rule.id == "APP-STATUS-FORMAT"]
    (mark,) = {fingerprint(each) for each in result.findings}
    rule_only = Baseline(entries=(Entry(rule="APP-STATUS-FORMAT"),))
    exact = Baseline(entries=(Entry(rule="APP-STATUS-FORMAT", fingerprint=mark),))
    elsewhere = Baseline(entries=(Entry(rule="APP-STATUS-FORMAT", fingerprint="0" * 16),))
    other_rule = Baseline(entries=(Entry(rule="APP-STATUS-STR"),))
    assert known_rules(broken, rule_only) == {"APP-STATUS-FORMAT"}
    assert known_rules(broken, exact) == {"APP-STATUS-FORMAT"}
    assert known_rules(broken, elsewhere) == frozenset()
    assert known_rules(broken, other_rule) == frozenset()


def test_line_ranges_and_merge() -> None:
    assert line_ranges([9, 1, 2, 3, 7, 10]) == "1-3, 7, 9-10"
    assert line_ranges([]) == ""
    one = _coverage()
    path = one.files[0].path
    other = AppCoverage(
        root=one.root,
        files=(
            FileCoverage(path=path, statements=(1, 2, 3, 5, 6, 7), executed=(3, 5)),
            FileCoverage(path="/elsewhere.py", statements=(1,), executed=(1,)),
        ),
    )
    merged = one.merge(other)
    assert [each.path for each in merged.files] == sorted([path, "/elsewhere.py"])
    mine = next(each for each in merged.files if each.path == path)
    assert mine.executed == (1, 2, 3, 5)
    assert mine.missing == (6, 7)
    assert merged.statements == 7
    assert merged.executed == 5
    assert merged.percent == 71.4


def test_the_curl_replay_says_which_server_choices_serve_does_not_make() -> None:
    """A finding under short reads (max_read) cannot show against `wsgicheck serve`: the
    report says so beside the curl replay, and mounts serve where the run mounted the app."""
    assert serve_command("app.py:app", ServerConfig(multithread=True)) == (
        "`wsgicheck serve app.py:app --port 8000`"
    )
    short = ServerConfig(max_read=7, script_name="/app")
    assert serve_command("app.py:app", short) == (
        "`wsgicheck serve app.py:app --port 8000 --script-name /app --threads 1`, which does "
        "not make this run's server choices max_read=7: the Python replay does"
    )
    # The app sweep of 2026-12-05: serve makes multithread=False with one thread (Quixote's
    # QWIP refuses a threaded server), which the hint said it could not.
    assert serve_command("app.py:app", ServerConfig(multithread=False)) == (
        "`wsgicheck serve app.py:app --port 8000 --threads 1`"
    )
    replays = reproducers(Request(target="/app/x"), short, "app.py:app")
    assert replays.against == serve_command("TARGET", short)


def test_the_json_answers_give_each_path_whole() -> None:
    """From the app sweep of 2026-12-03: a path longer than a text report shows was cut in
    the JSON too, with the reader's '… [N more characters cut]' in the data."""
    long_path = "/" + "a" * 3000

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no\n"]

    result = _run(app, "long:app", paths=(long_path,))
    data = json.loads(report.render(result, "json"))
    paths = [row["path"] for row in data["answers"]]
    assert long_path in paths
    assert not any(path and "characters cut" in path for path in paths)


def test_a_repository_whose_path_holds_an_ideographic_space_is_found(tmp_path: Path) -> None:
    """Review of 2026-12-04: the file was looked for by its escaped name, which names no
    file when the repository's own path holds a character :func:`show` escapes. The path
    comes back as it is: SARIF percent-encodes it, an annotation escapes it."""
    root = (tmp_path / "リポジトリ\u3000one").resolve()
    (root / "web").mkdir(parents=True)
    (root / "web" / "app.py").write_text("app = None\n")
    assert in_repository(str(root / "web" / "app.py"), root) == "web/app.py"
    assert in_repository(str(root / "web" / "a\u200bpp.py"), root) == "web/a\u200bpp.py"
    assert in_repository(str(tmp_path / "elsewhere.py"), root) is None


def test_a_file_name_no_file_system_holds_is_placed_nowhere(tmp_path: Path) -> None:
    """A lone surrogate (an app's forged co_filename) names no file; an undecodable byte
    (a surrogate escape, as os.fsdecode gives it) does, and SARIF sends its byte."""
    assert in_repository(str(tmp_path / "a\ud800.py"), tmp_path) is None
    assert in_repository(str(tmp_path / "a\udc80.py"), tmp_path) == "a\udc80.py"


def test_the_simplest_finding_of_a_place_has_the_fewest_choices_then_the_smallest_request() -> None:
    """Hand-picked, beside the run above: a raw byte in the target is a choice too."""
    from wsgicheck.report.common import _simpler
    from wsgicheck.rules import Finding, Level

    def finding(target: str, *choices: str, fields: int = 0) -> Finding:
        headers = tuple((f"X-{n}", "v") for n in range(fields))
        request = Request(target=target, headers=headers)
        return Finding(
            rule="R", level=Level.MUST, message="m", section="s", request=request, choices=choices
        )

    met = [
        finding("/" + "a" * 40, "script_name='/app'"),
        finding("/\xe9"),  # raw_latin1_targets=True
        finding("/" + "b" * 40),
        finding("/c", fields=3),
        finding("/d"),
    ]
    ordered = sorted(met, key=_simpler)
    assert [each.request.target for each in ordered if each.request] == [
        "/d",
        "/c",
        "/" + "b" * 40,
        "/\xe9",  # one choice each, then the smaller
        "/" + "a" * 40,
    ]


def test_an_interrupted_run_is_no_pass_in_any_report(clean: RunResult) -> None:
    """An adversarial trial of 2026-12-06: a run cut short by Ctrl-C wrote a JUnit file with
    no failure and no error, a SARIF run whose execution succeeded, and a Markdown heading
    with the pass icon. Each now says the run was interrupted, as the JSON and text do."""
    cut = _with(clean, interrupted=True)
    told = (
        f"the run was interrupted after {cut.examples} examples: its verdicts are partial, and "
        "a rule that passed or skipped may not have met what the rest would send"
    )
    junit = ET.fromstring(report.render(cut, "junit"))
    assert junit.get("errors") == "1"
    [error] = junit.iter("error")
    assert (error.get("type"), error.get("message")) == ("Interrupted", told)
    sarif = json.loads(report.render(cut, "sarif"))
    [invocation] = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0] == {
        "level": "error",
        "message": {"text": told},
    }
    heading = report.render(cut, "markdown").splitlines()[0]
    assert heading.startswith("### ⚠️ wsgicheck INTERRUPTED \\(stopped after ")
    # The same run, whole: a pass everywhere.
    assert ET.fromstring(report.render(clean, "junit")).get("errors") == "0"
    assert report.render(clean, "markdown").startswith("### ✅ wsgicheck passed")


def test_a_run_that_judged_no_rule_is_no_pass_in_any_report(clean: RunResult) -> None:
    """An app trial of 2026-12-06: ``--select`` of two Range rules on an app that serves no
    range ended "passed: ... 0 passed, 2 skipped" with exit status 0, a report with no
    verdict in it. Every report now says no rule was judged, and none reads as a pass."""
    skipped = [
        dataclasses.replace(each, status=Verdict.SKIP.value, findings=(), applied=0)
        for each in clean.results[:2]
    ]
    empty = _with(clean, results=skipped, failures={})
    assert empty.judged_nothing()
    assert not clean.judged_nothing()
    told = (
        f"no rule was judged: each of the 2 rules run was skipped, none having met its "
        f"evidence in {empty.examples} examples, so the run says nothing of the app; name "
        "paths it serves with --path, or select rules its answers bear on"
    )
    text = report.render(empty, "text").splitlines()
    assert text[-1] == "NOTHING JUDGED: 0 rules failed, 0 warned, 0 passed, 2 skipped (2 rules)"
    assert " ".join(line.strip() for line in text[-4:-1]) == f"note: {told}"
    assert json.loads(report.render(empty, "json"))["judged_nothing"] is True
    assert json.loads(report.render(clean, "json"))["judged_nothing"] is False
    junit = ET.fromstring(report.render(empty, "junit"))
    assert junit.get("errors") == "1"
    [error] = junit.iter("error")
    assert (error.get("type"), error.get("message")) == ("NothingJudged", told)
    sarif = json.loads(report.render(empty, "sarif"))
    [invocation] = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    assert invocation["toolExecutionNotifications"][0] == {
        "level": "error",
        "message": {"text": told},
    }
    heading = report.render(empty, "markdown").splitlines()[0]
    assert heading == (
        "### ⚠️ wsgicheck NOTHING JUDGED\\: 0 rules failed, 0 warned, 0 passed, 2 skipped "
        "\\(2 rules\\)"
    )
    page = report.render(empty, "html")
    assert '<p id="verdict" class="verdict warn">NOTHING JUDGED: ' in page
    assert f'<p class="meta">{told}</p>' in page
    assert workflow_commands(empty)[-1] == f"::error title=wsgicheck::{told}"
    # A run of no rule at all (none selected) is no run that judged nothing.
    assert not _with(clean, results=[], failures={}).judged_nothing()


def test_an_other_place_cuts_a_long_target() -> None:
    """A trial of 2026-12-06 (Zope): an other place's simplest finding, on a target of about
    1,000 characters, was printed whole under the failure."""
    request = Request(target="/" + "a" * 1000)
    place = OtherPlace(Location("app.py", 3, "app"), "a message", 2, request)
    aside = place.aside(str)
    assert aside.startswith(" (2 findings, the simplest on GET /aaa")
    assert aside.endswith(" more characters cut])")
    assert len(aside) < 150
    short = OtherPlace(Location("app.py", 3, "app"), "a message", 1, Request(target="/x"))
    assert short.aside(str) == " (on GET /x)"
