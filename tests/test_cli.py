"""The ``wsgicheck`` command: ``check`` and its formats, baselines, app coverage and CI output;
``rules``, ``explain`` and ``serve``; exit status 0 clean, 1 findings, 2 usage errors.

The console script runs in a subprocess where a fresh process matters (imports, app
coverage, environment variables, exit status); the rest calls ``main`` in-process. Runs
use few examples, no example database and fixed seeds.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest

import wsgicheck
from wsgicheck.cli import main
from wsgicheck.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
TIMEOUT = 120
FAST = ["--examples", "20", "--no-database", "--seed", "11"]

CLEAN = f"{FIXTURES / 'wsgiapp.py'}:app"
BROKEN = f"{FIXTURES / 'broken' / 'app_status_format.py'}:app"  # APP-STATUS-FORMAT, MUST
WARNED = f"{FIXTURES / 'broken' / 'app_avoid_write.py'}:app"  # APP-AVOID-WRITE, SHOULD
HIDDEN = f"{FIXTURES / 'hidden' / 'post_only.py'}:app"  # APP-HEADER-VALUE-NO-CONTROL


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "wsgicheck"]  # pragma: no cover - no console script here


def cli(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [*_command(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**environment, **(env or {})},
    )


def check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``wsgicheck check ARGS`` in-process: exit status, stdout, stderr."""
    status = main(["check", *args])
    out, err = capsys.readouterr()
    return status, out, err


def write_app(folder: Path, name: str, source: str) -> str:
    (folder / name).write_text(textwrap.dedent(source))
    return f"{folder / name}:app"


def last_line(text: str) -> str:
    return text.rstrip("\n").splitlines()[-1]


def one_line_error(err: str) -> None:
    assert err.startswith("wsgicheck: error: "), err
    assert err.endswith("\n"), err
    assert err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.fixture(autouse=True)
def _no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One working directory for the runs of this module: Hypothesis caches what it learns
    from the source it sees in ``.hypothesis/`` there, so only the first run pays for it."""
    return tmp_path_factory.mktemp("cli")


# -- the console script ------------------------------------------------------------------------


def test_clean_app_exits_0(workdir: Path) -> None:
    target = f"{os.path.relpath(FIXTURES / 'wsgiapp.py', workdir)}:app"  # from elsewhere
    result = cli(workdir, "check", target, *FAST)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].startswith("wsgicheck ")
    assert "Application" in lines
    assert "Server behaviour" in lines
    assert re.fullmatch(
        r"passed: 0 rules failed, 0 warned, \d+ passed, \d+ skipped \(\d+ rules\)", lines[-1]
    )


def test_broken_app_exits_1_with_the_failure(workdir: Path) -> None:
    result = cli(workdir, "check", BROKEN, *FAST)
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    assert "✗ APP-STATUS-FORMAT (MUST)" in result.stdout.splitlines()
    assert last_line(result.stdout).startswith("FAILED: 1 rule failed, ")


def test_a_run_that_judged_no_rule_exits_5(workdir: Path) -> None:
    """Every rule selected skipped (the bare app serves no range): no finding, and no pass
    either: exit status 5, as pytest's when it collected no test."""
    select = ["--select", "APP-IF-RANGE-MATCH,APP-206-CONTENT-RANGE"]
    result = cli(workdir, "check", CLEAN, *FAST, *select)
    assert result.returncode == 5, result.stderr
    assert result.stderr == ""
    assert last_line(result.stdout) == (
        "NOTHING JUDGED: 0 rules failed, 0 warned, 0 passed, 2 skipped (2 rules)"
    )


def test_python_dash_m_is_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wsgicheck", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0
    assert result.stdout == f"wsgicheck {wsgicheck.__version__}\n"


BAD_TARGETS = {
    "empty": ("", ""),
    "missing file": ("nowhere/app.py:app", ""),
    "directory": ("somedir/", ""),
    "missing module": ("wc_no_such_module:app", ""),
    "trailing colon": ("wc_good.py:", ""),
    "missing attribute": ("wc_good.py:nope", ""),
    "not callable": ("wc_good.py:VALUE", ""),
    "factory raises": ("wc_good.py:make()", ""),
    "import error inside": ("wc_bad_import.py:app", "import wc_not_installed\n"),
    "syntax error": ("wc_bad_syntax.py:app", "def app(:\n"),
    "raises at import": ("wc_bad_raise.py:app", "raise RuntimeError('boom\\nmore')\n"),
}


@pytest.mark.parametrize("case", sorted(BAD_TARGETS))
def test_bad_target_is_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    (tmp_path / "somedir").mkdir()
    (tmp_path / "wc_good.py").write_text(
        "VALUE = 1\n\ndef app(environ, start_response): ...\n\n"
        "def make():\n    raise LookupError('no settings')\n"
    )
    target, source = BAD_TARGETS[case]
    if source:
        (tmp_path / target.partition(":")[0]).write_text(source)
    result = cli(tmp_path, "check", target, "--no-database")
    assert result.returncode == 2
    assert result.stdout == ""
    one_line_error(result.stderr)


USAGE_ERRORS = {
    "unknown option": (["--no-such-option"], "unrecognized arguments: --no-such-option"),
    "unknown rule in --select": (["--select", "APP-NOPE"], "no rule matches 'APP-NOPE'"),
    "unknown rule in --ignore": (["--ignore", "XYZ-*"], "no rule matches 'XYZ-*'"),
    # (A README trial of 2026-12-07: a family's prefix without its -* said nothing more.)
    "a family without its -*": (
        ["--select", "app-status"],
        "--select: no rule matches 'APP-STATUS'; a prefix ends with -*: APP-STATUS-*",
    ),
    # The pattern was upper-cased first: the error named 'APP-\x1b[31M', never typed.
    "not a rule pattern": (["--select", "APP-\x1b[31m"], "'APP-\\x1b[31m' is no rule id"),
    # An empty report that exits 0 whatever the app does (audit of 2026-12-05).
    "every rule ignored": (["--ignore", "*"], "no rule is left to judge with (ignore *)"),
    "only the server's rules": (
        ["--select", "SRV-*,ENV-*"],
        "no rule of the app's is left to judge with (select SRV-*,ENV-*)",
    ),
    "none selected left": (
        ["--select", "SRV-*", "--ignore", "SRV-*,APP-*"],
        "no rule is left to judge with (select SRV-*, ignore SRV-*,APP-*)",
    ),
    "unknown format": (["--format", "yaml"], "--format: one of text, json, junit, sarif"),
    "bad profile": (["--profile", "huge"], "--profile: one of quick, default, thorough, not"),
    "not a number": (["--examples", "many"], "--examples: an integer, not 'many'"),
    "no jobs": (["--jobs", "0"], "--jobs/-j: at least 1, not 0"),
    "relative path": (["--path", "hello"], "--path: paths start with '/', not 'hello'"),
    # Paths are split at spaces: the second half said only "not 'b'".
    "a space in a path": (["--path", "/a b"], "not 'b' (a space separates paths: one within"),
    "a fragment": (["--path", "/a#top"], "--path: '/a#top' has a fragment, which no client"),
    # No request left to send: the run failed (exit 1) with no finding.
    "every path excluded": (["--exclude-path", "*"], "* excludes every path tried (/): no"),
    # A typed path is sent UTF-8 encoded: the same path excluded as typed was sent to.
    "a typed path excluded": (
        ["--path", "/café", "--exclude-path", "/café"],
        "/café excludes every path tried (/caf%C3%A9): no",
    ),
    # Sent in memory, refused over the socket under a mount (414): an error, exit 1.
    "a path too long": (["--path", "/" + "z" * 4096], "--path: a path of 4097 characters is"),
    # The server refused every request: HARNESS-ALL-REFUSED blamed the app.
    "a Host that is none": (["-H", "Host: a b"], "'Host: a b': not a host and optional port"),
    "missing baseline": (["--baseline", "absent.json"], "--baseline absent.json: cannot read"),
    "output in a missing folder": (["--output", "no/such/dir/r.txt"], "--output no/such/dir"),
}


@pytest.mark.parametrize("case", sorted(USAGE_ERRORS))
def test_usage_errors_exit_2_with_one_line(workdir: Path, case: str) -> None:
    args, expected = USAGE_ERRORS[case]
    result = cli(workdir, "check", CLEAN, *FAST, *args)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    one_line_error(result.stderr)
    assert expected in result.stderr


def _with_streams(cwd: Path, args: list[str], **streams: Any) -> tuple[int, str]:
    """``wsgicheck ARGS`` with stdout and stderr as given (None: closed); the exit status,
    and stderr when it was captured."""
    closed = [fd for fd, name in ((1, "stdout"), (2, "stderr")) if streams.get(name) is None]

    def close() -> None:
        for fd in closed:
            os.close(fd)

    done = subprocess.run(
        [*_command(), *args],
        cwd=cwd,
        stdout=streams.get("stdout") or subprocess.DEVNULL,
        stderr=streams.get("stderr") or subprocess.DEVNULL,
        preexec_fn=close,  # (the child only closes its descriptors)
        timeout=TIMEOUT,
        check=False,
    )
    return done.returncode, done.stderr.decode() if done.stderr else ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
def test_output_that_cannot_be_written_is_one_line_and_exit_2(workdir: Path) -> None:
    """stdout closed, or a full disk: a traceback, exit 1, as if the app had failed (an
    audit of 2026-12-06). With --output, a closed stdout or stderr costs nothing."""
    run = ["check", CLEAN, *FAST]
    for command in (run, ["probe", "wsgicheck", "--examples", "3"]):
        status, err = _with_streams(workdir, command, stderr=subprocess.PIPE)
        assert status == 2
        assert err.startswith("wsgicheck: error: standard output is closed: name a file for")
    for command in (run, ["rules"], ["explain", "APP-IF-RANGE"]):
        with open("/dev/full", "wb") as full:
            status, err = _with_streams(workdir, command, stdout=full, stderr=subprocess.PIPE)
        assert status == 2
        assert err == "wsgicheck: error: cannot write its output: No space left on device\n"
    report = workdir / "closed.json"
    for streams in ({}, {"stderr": subprocess.PIPE}):
        status, _ = _with_streams(
            workdir, [*run, "--format", "json", "--output", str(report)], **streams
        )
        assert status == 0
        assert json.loads(report.read_text())["failed"] is False
    with open(os.devnull, "wb") as sink:
        assert _with_streams(workdir, run, stdout=sink)[0] == 0  # stderr closed alone


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    result = cli(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "COMMAND" in result.stderr


# -- formats ------------------------------------------------------------------------------------

FORMATS = ["text", "json", "junit", "sarif", "html", "markdown"]


def _parse(name: str, text: str) -> Any:
    if name in ("json", "sarif"):
        return json.loads(text)
    if name == "junit":
        return ET.fromstring(text)
    return text


@pytest.mark.parametrize("name", FORMATS)
def test_every_format_to_a_file_and_its_exit_status(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / f"report.{name}"
    status, out, err = check(capsys, BROKEN, *FAST, "--format", name, "--output", str(output))
    assert (status, err) == (1, "")
    assert out.splitlines()[0] == "✗ APP-STATUS-FORMAT (MUST)"  # the terminal is told too
    assert last_line(out).startswith("FAILED: 1 rule failed")
    parsed = _parse(name, output.read_text(encoding="utf-8"))
    if name == "json":
        assert parsed["failed"] is True
    elif name == "sarif":
        assert [r["ruleId"] for r in parsed["runs"][0]["results"]] == ["APP-STATUS-FORMAT"]
    elif name == "junit":
        assert len(parsed.findall(".//testcase")) == len(REGISTRY)
        assert len(parsed.findall(".//failure")) == 1
    else:
        assert "APP-STATUS-FORMAT" in parsed


def test_clean_json_on_stdout_validates(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = check(capsys, CLEAN, *FAST, "--format", "json")
    assert (status, err) == (0, "")
    data = json.loads(out)
    schema_path = Path(wsgicheck.__file__).parent / "report" / "schema.json"
    jsonschema.validate(data, json.loads(schema_path.read_text()))
    assert data["failed"] is False
    assert data["summary"]["failed"] == 0
    assert data["target"] == CLEAN
    assert data["seed"] == 11


def test_should_findings_fail_only_when_strict(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, WARNED, *FAST)
    assert status == 0
    assert "! APP-AVOID-WRITE (SHOULD)" in out.splitlines()
    status, out, _ = check(capsys, WARNED, *FAST, "--strict")
    assert status == 1
    assert "✗ APP-AVOID-WRITE (SHOULD)" in out.splitlines()


def test_select_narrows_the_rules(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = check(capsys, BROKEN, *FAST, "--select", "app-status-*", "--format", "json")
    assert status == 1
    assert {each["rule"] for each in json.loads(out)["results"]} == {
        rule.id for rule in REGISTRY if rule.id.startswith("APP-STATUS-")
    }
    status, out, _ = check(capsys, BROKEN, *FAST, "--ignore", "APP-STATUS-FORMAT")
    assert status == 0


def test_all_findings_reaches_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    """``--all-findings`` (and only it) lists every finding: the counts add up to the
    rule's findings."""
    status, out, _ = check(capsys, BROKEN, *FAST, "--all-findings", "--format", "json")
    assert status == 1
    (entry,) = [each for each in json.loads(out)["results"] if each["findings"]]
    assert sum(each["count"] for each in entry["all_findings"]) == entry["findings"]
    status, out, _ = check(capsys, BROKEN, *FAST, "--format", "json")
    (entry,) = [each for each in json.loads(out)["results"] if each["findings"]]
    assert "all_findings" not in entry


# -- baselines ----------------------------------------------------------------------------------


def test_a_baseline_of_its_own_findings_passes_and_new_ones_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    status, out, _ = check(capsys, BROKEN, *FAST, "--write-baseline", str(baseline))
    assert status == 0  # what it wrote, it accepts
    assert "○ APP-STATUS-FORMAT" in out
    data = json.loads(baseline.read_text())
    assert data["version"] == 1
    (entry,) = data["findings"]
    assert entry["rule"] == "APP-STATUS-FORMAT"
    assert re.fullmatch("[0-9a-f]{16}", entry["fingerprint"])
    assert entry["location"].endswith("app_status_format.py:app")
    # Another seed, the same findings: still known.
    status, out, _ = check(
        capsys,
        BROKEN,
        "--examples",
        "20",
        "--no-database",
        "--seed",
        "5",
        "--baseline",
        str(baseline),
    )
    assert status == 0
    assert last_line(out).startswith("passed: 0 rules failed, 0 warned, 1 known, ")
    # Another app, another rule: new.
    status, out, _ = check(
        capsys,
        HIDDEN,
        "--profile",
        "quick",
        "--no-database",
        "--seed",
        "3",
        "--baseline",
        str(baseline),
    )
    assert status == 1
    assert "✗ APP-HEADER-VALUE-NO-CONTROL (MUST)" in out


SAME_RULE_ELSEWHERE = """
def app(environ, start_response):
    return reply(start_response)

def reply(start_response):
    start_response("200  OK", [("Content-Type", "text/plain")])
    return [b"x"]
"""


def test_a_fingerprint_accepts_one_place_and_a_bare_rule_every_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "baseline.json"
    check(capsys, BROKEN, *FAST, "--write-baseline", str(baseline))
    elsewhere = write_app(tmp_path, "wc_elsewhere.py", SAME_RULE_ELSEWHERE)
    status, out, _ = check(capsys, elsewhere, *FAST, "--baseline", str(baseline))
    assert status == 1  # the same rule, broken in another function
    baseline.write_text('{"version": 1, "findings": [{"rule": "APP-STATUS-FORMAT"}]}')
    status, out, _ = check(
        capsys, elsewhere, *FAST, "--baseline", str(baseline), "--format", "json"
    )
    assert status == 0
    data = json.loads(out)
    assert data["summary"]["known"] == 1
    assert data["failed"] is False


BAD_BASELINES = {
    "not JSON": ("{", "not JSON"),
    # json's RecursionError was a traceback and exit 1.
    "nested too deep": ("[" * 100_000 + "]" * 100_000, "nested too deep to read"),
    "not an object": ("[]", "expected a JSON object"),
    "no version": ('{"findings": []}', "'version' is missing (it is 1)"),
    "future version": ('{"version": 2, "findings": []}', "'version' must be 1, not 2"),
    "true for a version": ('{"version": true, "findings": []}', "'version' must be 1, not true"),
    "a version in a string": ('{"version": "1", "findings": []}', "'version' must be 1, not \"1\""),
    "unknown key": ('{"version": 1, "findings": [], "extra": 1}', "unknown key 'extra'"),
    "findings not a list": ('{"version": 1, "findings": {}}', "'findings' must be a list"),
    "entry not an object": ('{"version": 1, "findings": ["APP-X"]}', "findings[0] must be"),
    "no rule": ('{"version": 1, "findings": [{}]}', "findings[0]: 'rule' must be a rule id"),
    "unknown rule": ('{"version": 1, "findings": [{"rule": "APP-NOPE"}]}', "no rule 'APP-NOPE'"),
    "typo in a key": (
        '{"version": 1, "findings": [{"rule": "APP-STATUS-FORMAT", "fingerprnt": "x"}]}',
        "findings[0]: unknown key 'fingerprnt'",
    ),
    "bad fingerprint": (
        '{"version": 1, "findings": [{"rule": "APP-STATUS-FORMAT", "fingerprint": "XYZ"}]}',
        "'fingerprint' must be 16 lower-case hex digits",
    ),
    "bad target": ('{"version": 1, "target": 3, "findings": []}', "'target' must be a string"),
    "bad message": (
        '{"version": 1, "findings": [{"rule": "APP-STATUS-FORMAT", "message": 1}]}',
        "'message' must be a string",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BASELINES))
def test_a_bad_baseline_is_a_usage_error(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = BAD_BASELINES[case]
    path = tmp_path / "baseline.json"
    path.write_text(content)
    status, out, err = check(capsys, CLEAN, *FAST, "--baseline", str(path))
    assert (status, out) == (2, "")
    one_line_error(err)
    assert f"--baseline {path}: " in err
    assert expected in err


def test_write_baseline_into_a_missing_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = check(capsys, CLEAN, *FAST, "--write-baseline", str(tmp_path / "a" / "b"))
    assert status == 2
    one_line_error(err)


# -- app coverage -------------------------------------------------------------------------------

UNREACHABLE = """
import json


def app(environ, start_response):
    if environ.get("wsgicheck.never"):  # no request sets a dotted key
        body = json.dumps({"never": True}).encode()
        start_response("418 I'm a teapot", [("Content-Type", "application/json")])
        return [body]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"reached"]


def helper():
    return "module-level def runs; its body does not"
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_app_coverage_shows_the_lines_never_reached(workdir: Path, jobs: str) -> None:
    folder = workdir / f"cov{jobs}" / "app"
    folder.mkdir(parents=True)
    write_app(folder, "wc_cov.py", UNREACHABLE)
    (folder / "unused.py").write_text("X = 1\n")  # never imported: not listed
    target = f"cov{jobs}/app/wc_cov.py:app"
    report = f"cov{jobs}/report.json"
    args = [*FAST, "--app-coverage", "--jobs", jobs]
    result = cli(workdir, "check", target, *args, "--format", "json", "--output", report)
    assert result.returncode == 0, result.stderr
    coverage = json.loads((workdir / report).read_text())["app_coverage"]
    assert coverage["root"] == f"cov{jobs}/app"
    (file,) = coverage["files"]
    assert file["path"] == f"cov{jobs}/app/wc_cov.py"
    assert file["missing"] == [7, 8, 9, 15]
    assert file["statements"] == 10
    assert file["executed"] == 6
    assert coverage["percent"] == 60.0
    if jobs == "1":
        text = cli(workdir, "check", target, *args)
        assert text.returncode == 0, text.stderr
        line = r"^  cov1/app/wc_cov\.py +60\.0% +6/10 +never reached: 7-9, 15$"
        assert re.search(line, text.stdout, re.MULTILINE)


def test_app_coverage_of_a_module_target(workdir: Path) -> None:
    package = workdir / "wc_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    write_app(package, "web.py", UNREACHABLE)
    args = ["--app-coverage", "--format", "markdown"]
    result = cli(workdir, "check", "wc_pkg.web:app", *FAST, *args)
    assert result.returncode == 0, result.stderr
    assert "| `wc_pkg/web.py` | 6/10 | 60.0 | 7\\-9, 15 |" in result.stdout


# -- GitHub Actions -----------------------------------------------------------------------------


def test_github_actions_annotations_on_stdout(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ROOT)}
    result = cli(ROOT, "check", "fixtures/broken/app_status_format.py:app", *FAST, env=env)
    assert result.returncode == 1
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert line.startswith(
        "::error file=fixtures/broken/app_status_format.py,line=11,"
        "title=APP-STATUS-FORMAT (MUST)::status must be"
    )
    plain = cli(ROOT, "check", "fixtures/broken/app_status_format.py:app", *FAST)
    assert not [line for line in plain.stdout.splitlines() if line.startswith("::")]


def test_github_actions_annotations_leave_a_json_report_parseable(tmp_path: Path) -> None:
    env = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(ROOT)}
    result = cli(
        ROOT,
        "check",
        HIDDEN,
        "--profile",
        "quick",
        "--no-database",
        "--seed",
        "3",
        "--format",
        "json",
        env=env,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["failed"] is True
    (line,) = result.stderr.splitlines()
    assert line.startswith("::error file=fixtures/hidden/post_only.py,line=")
    assert "title=APP-HEADER-VALUE-NO-CONTROL (MUST)::" in line


def test_github_actions_warning_for_a_should_finding(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    status, out, _ = check(capsys, WARNED, *FAST)
    assert status == 0
    (line,) = [line for line in out.splitlines() if line.startswith("::")]
    assert line.startswith("::warning file=")
    assert ",title=APP-AVOID-WRITE (SHOULD)::" in line


# -- rules and explain --------------------------------------------------------------------------


def test_rules_lists_every_rule_grouped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    listed = re.findall(r"^  ([A-Z0-9-]+) +(MUST|SHOULD) +\S", out, re.MULTILINE)
    assert [rule_id for rule_id, _ in listed] == [
        rule.id
        for binding in ("app", "server", "environ")
        for rule in REGISTRY
        if rule.binding.value == binding
    ]
    assert out.splitlines()[0] == f"Application ({sum(r.binding.value == 'app' for r in REGISTRY)})"
    must = sum(rule.level.value == "MUST" for rule in REGISTRY)
    assert last_line(out).startswith(f"{len(REGISTRY)} rules ({must} MUST, ")


def test_rules_filters_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "app-status-*", "--level", "must"]) == 0
    out = capsys.readouterr().out
    ids = re.findall(r"^  ([A-Z0-9-]+) ", out, re.MULTILINE)
    assert ids
    assert all(each.startswith("APP-STATUS-") for each in ids)
    assert main(["rules", "APP-STATUS-FORMAT", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["id"] == "APP-STATUS-FORMAT"
    assert entry["level"] == "MUST"
    assert entry["pep"] == REGISTRY["APP-STATUS-FORMAT"].pep
    assert main(["rules", "NOPE-*"]) == 2
    one_line_error(capsys.readouterr().err)


def test_explain_prints_the_rule_the_pep_and_an_example(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["explain", "app-status-format"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "APP-STATUS-FORMAT (MUST, binds the app)"
    assert "PEP 3333, Specification Details; The start_response() Callable:" in lines
    assert "separated by a single space" in out
    assert "Example of a violation and its fix:" in lines
    assert '  fix:  start_response("200 OK", headers)' in lines
    assert lines[-1].startswith("A finding of this rule fails a run;")


def test_every_rule_can_be_explained(capsys: pytest.CaptureFixture[str]) -> None:
    for rule in REGISTRY:
        assert main(["explain", rule.id]) == 0
        out = capsys.readouterr().out
        assert out.startswith(f"{rule.id} ({rule.level.value}, ")
        assert f"{rule.citation}:" in out  # its own source, never a PEP citation for an RFC


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("STATUS", "did you mean APP-STATUS-"),
        ("APP-STATUS-FORMT", "did you mean APP-STATUS-FORMAT"),
        ("ZZZZ", "(see: wsgicheck rules)"),
        ("APP-NOPE", "(see: wsgicheck rules)"),
        ("APP-SR-ONC", "did you mean APP-SR-ONCE"),
    ],
)
def test_explain_an_unknown_rule(given: str, hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", given]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    one_line_error(err)
    assert hint in err


# -- serve --------------------------------------------------------------------------------------


@contextmanager
def served(target: str, cwd: Path, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``wsgicheck serve TARGET --port 0`` running in ``cwd``, and the URL its banner names
    (``http://127.0.0.1:PORT``, and the mount prefix)."""
    with subprocess.Popen(
        [*_command(), "serve", target, "--port", "0", *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        try:
            match = re.match(r"wsgicheck: serving .* on (http://127\.0\.0\.1:\d+\S*) ", banner)
            assert match, banner
            yield process, match.group(1)
        finally:  # a failed assertion must not leave Popen's exit waiting for it forever
            if process.poll() is None:
                process.kill()


def test_serve_traces_and_stops_on_sigterm(tmp_path: Path) -> None:
    with served(BROKEN, tmp_path) as (process, url):
        assert process.stdout is not None
        port = urlsplit(url).port
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/hello")
        response = connection.getresponse()
        response.read()
        connection.close()
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("! GET /hello: APP-STATUS-FORMAT"):
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=TIMEOUT)
    assert "> GET /hello HTTP/1.1" in lines
    assert rest.splitlines()[-1] == "wsgicheck: stopped"
    assert process.returncode == 0
    # The place once: the message names the line (at app_status_format.py:11), and the
    # full path was added after it all the same (a trial of 2026-12-06).
    flagged = [line for line in lines if line.startswith("! GET /hello: APP-STATUS-FORMAT")]
    assert flagged[-1].endswith(" at app_status_format.py:11"), flagged
    assert flagged[-1].count(" at ") == 1, flagged


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("/caf\xe9", "/caf%C3%A9"),
        ("/caf%C3%A9", "/caf%C3%A9"),
        # A byte of the command line that is no UTF-8 (once "surrogates not allowed").
        (os.fsdecode(b"/caf\xe9"), "/caf%E9"),
    ],
)
def test_serve_mounts_the_prefix_as_a_client_sends_it(
    tmp_path: Path, given: str, sent: str
) -> None:
    """``--script-name`` typed or percent-encoded: the app answers under it (SCRIPT_NAME is
    the bytes read as latin-1, as the path is), and the banner names the mount's URL.
    Typed, it once never matched: the prefix was compared with the path as given."""
    with served(CLEAN, tmp_path, "--script-name", given, "--quiet") as (process, url):
        assert url.endswith(":" + str(urlsplit(url).port) + sent), url
        answers = {}
        for path in (sent + "/", "/"):
            connection = http.client.HTTPConnection("127.0.0.1", urlsplit(url).port, timeout=30)
            connection.putrequest("GET", path, skip_accept_encoding=True)
            connection.endheaders()
            answers[path] = connection.getresponse().status
            connection.close()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    assert answers == {sent + "/": 200, "/": 404}


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("app/", "--script-name: must be '' or start with '/' and not end with '/': 'app/'"),
        ("/app%2F", "--script-name: must be '' or start with '/' and not end with '/': '/app/'"),
    ],
)
def test_serve_refuses_a_bad_prefix(tmp_path: Path, given: str, why: str) -> None:
    # (A subprocess: were the prefix taken, the server would serve until its timeout.)
    result = cli(tmp_path, "serve", CLEAN, "--port", "0", "--script-name", given)
    assert result.returncode == 2, result.stdout
    assert result.stdout == ""
    one_line_error(result.stderr)
    assert why in result.stderr


# -- main() in-process -------------------------------------------------------------------------


def test_main_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"wsgicheck {wsgicheck.__version__}\n"


def test_main_on_a_closed_pipe(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real pipe whose reader is gone: no traceback, exit status 1, later output dropped."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_end, "w")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    try:
        assert main(["check", CLEAN, *FAST]) == 1
        stdout.write("more output\n")
        stdout.flush()  # stdout now goes to devnull: no second error
    finally:
        stdout.close()


@pytest.mark.parametrize(("target", "status"), [(CLEAN, 0), (BROKEN, 1)])
def test_the_check_program_runs_exit_handlers_and_keeps_its_status(
    tmp_path: Path, target: str, status: int
) -> None:
    """``wsgicheck check`` as a program ends without the interpreter's teardown, but the
    exit handlers still run (coverage.py saves its data in one), its output is complete
    and its exit status is the run's."""
    marker = tmp_path / "exit-handler-ran"
    code = (
        "import atexit, os, sys\n"
        # Only the command's own process: its worker (forked) runs the handlers it inherits.
        "me = os.getpid()\n"
        f"atexit.register(lambda: os.getpid() == me and open({str(marker)!r}, 'w').close())\n"
        "from wsgicheck.cli import program\n"
        "program()\n"
    )
    done = _check_program(code, target, tmp_path)
    assert done.returncode == status, done.stderr
    assert json.loads(done.stdout)["failed"] is bool(status)
    assert marker.exists()


def test_the_check_program_waits_for_a_thread_left_running(tmp_path: Path) -> None:
    """A non-daemon thread still at work when ``check`` ends (one a plugin or the code
    around the program started) is waited for, as Python waits for it: no fast exit."""
    marker = tmp_path / "thread-finished"
    code = (
        "import threading, time\n"
        "import wsgicheck.cli\n"
        "ended = threading.Event()\n"
        "main = wsgicheck.cli.main\n"
        "def main_then_tell(argv):\n"
        "    try:\n        return main(argv)\n    finally:\n        ended.set()\n"
        "wsgicheck.cli.main = main_then_tell\n"
        # Still at work when the command is done: its write comes after.
        "def work():\n    ended.wait(60)\n    time.sleep(0.3)\n"
        f"    open({str(marker)!r}, 'w').close()\n"
        "threading.Thread(target=work).start()\n"
        "wsgicheck.cli.program()\n"
    )
    done = _check_program(code, CLEAN, tmp_path)
    assert done.returncode == 0, done.stderr
    assert marker.exists()


def _check_program(code: str, target: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """``code`` (which ends by running the program) as ``wsgicheck check TARGET``, in
    ``folder``."""
    return subprocess.run(
        [sys.executable, "-c", code, "check", target, *FAST, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        cwd=folder,
    )


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_terminal_gets_a_progress_bar_that_leaves_the_report_alone() -> None:
    """With stderr on a terminal, ``check`` draws a progress bar there, with the time spent
    and an estimate of the time left, and wipes it at the end; the report on stdout (a
    pipe) has none of it."""
    controller, terminal = os.openpty()
    try:
        done = subprocess.run(
            [
                *(sys.executable, "-m", "wsgicheck", "check"),
                str(ROOT / "fixtures" / "wsgiapp.py:app"),
                *("--profile", "quick", "--seed", "1", "--no-database"),
            ],
            stdout=subprocess.PIPE,
            stderr=terminal,
            timeout=120,
            cwd=ROOT,
        )
        os.close(terminal)
        terminal = -1
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    assert done.returncode == 0
    bar = rb"\r\[#* *\] (\d+)/50 examples \xc2\xb7 \d+:\d\d elapsed \xc2\xb7 about \d+:\d\d left"
    shown = [int(each) for each in re.findall(bar, drawn)]
    assert shown, drawn[:200]
    assert shown == sorted(shown)
    assert shown[-1] == 50
    # Wiped at the end: after the last bar, a carriage return, blanks, a carriage return.
    wipe = drawn.rsplit(b"left", 1)[1]
    assert re.fullmatch(rb"\r +\r", wipe), wipe
    assert b"\r" not in done.stdout
    assert done.stdout.splitlines()[-1].startswith(b"passed: 0 rules failed")


def test_failures_replayed_from_the_database_are_reported_apart(tmp_path: Path) -> None:
    """A seed's one example (the simplest request, a GET) misses the POST-only bug; the
    failure an earlier run saved still replays, and the reports say it was replayed."""
    from wsgicheck.report.text import REPLAYED_TITLE

    rule = "APP-HEADER-VALUE-NO-CONTROL"
    earlier = cli(tmp_path, "check", HIDDEN, "--no-corpus", "--examples", "60", "--seed", "11")
    assert earlier.returncode == 1, earlier.stderr
    one = ["--no-corpus", "--examples", "1", "--seed", "3"]
    alone = cli(tmp_path, "check", HIDDEN, *one, "--no-database")
    assert alone.returncode == 0, alone.stdout
    done = cli(tmp_path, "check", HIDDEN, *one, "--format", "json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    schema_path = Path(wsgicheck.__file__).parent / "report" / "schema.json"
    jsonschema.validate(report, json.loads(schema_path.read_text()))
    failed = [
        (entry["rule"], entry["replayed"]) for entry in report["results"] if "replayed" in entry
    ]
    assert failed == [(rule, True)]
    assert report["examples"] == 1
    assert report["replayed_examples"] > 0
    reports = ["--report", "markdown,html", "--report-dir", str(tmp_path)]
    text = cli(tmp_path, "check", HIDDEN, *one, *reports).stdout.splitlines()
    title = text.index(REPLAYED_TITLE)
    assert text[title + 2] == f"✗ {rule} (MUST)"
    for name in ("report.md", "report.html"):
        assert "replayed from the example database" in (tmp_path / name).read_text()


def test_body_limit_reads_larger_downloads(workdir: Path) -> None:
    """An adversarial trial of 2026-12-06: a correct 10 MiB download met HARNESS-BODY-LIMIT
    (and failed with --strict), its 8 MiB bound in no option and no document. --body-limit
    names it, in MiB, and the finding says how to raise it."""
    target = write_app(
        workdir,
        "bigdownload.py",
        """
        BODY = b"x" * (3 << 20)

        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "application/octet-stream"),
                                      ("Content-Length", str(len(BODY)))])
            return [BODY]
        """,
    )
    limited = cli(workdir, "check", target, *FAST, "--body-limit", "2", "--format", "json")
    entry = next(
        e for e in json.loads(limited.stdout)["results"] if e["rule"] == "HARNESS-BODY-LIMIT"
    )
    assert (entry["status"], entry["message"]) == (
        "fail",
        "the body went past the response body limit, 2 MiB (a longer download is no fault: "
        "raise the limit, --body-limit or body_limit in [tool.wsgicheck])",
    )
    assert cli(workdir, "check", target, *FAST, "--body-limit", "4").returncode == 0
    refused = cli(workdir, "check", target, "--body-limit", "0")
    assert refused.returncode == 2
    one_line_error(refused.stderr)


def test_serve_does_not_lay_a_client_broken_off_body_at_the_apps_door(tmp_path: Path) -> None:
    """An adversarial trial of 2026-12-07: a client that sent half its body and closed made
    serve print "app raised ConnectionClosed ... (app.py:2)", pointing at the app's line for
    what the client did. It says the server raised it into the app (h11 reads the close
    as a body cut short: a RequestBodyError)."""
    target = write_app(
        tmp_path,
        "reads.py",
        """
        def app(environ, start_response):
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [body]
        """,
    )
    with served(target, tmp_path) as (process, url):
        assert process.stdout is not None
        port = urlsplit(url).port
        assert port is not None
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\nhalf")
            sock.shutdown(socket.SHUT_WR)
            sock.recv(4096)
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("! POST /up: ") or len(lines) > 200:
                break
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=TIMEOUT)
    flagged = [line for line in lines if line.startswith("! POST /up: ")]
    assert flagged
    assert flagged[0].startswith(
        "! POST /up: RequestBodyError, raised into the app by the server (its wsgi.input, "
        "start_response or write()), went out of it: "
    )
    assert not any("app raised" in line for line in flagged)


def test_serve_lays_the_apps_own_exceptions_at_its_door() -> None:
    """A review of 2026-12-07: the AttributeError of a stream method PEP 3333 does not give
    and the TypeError of a factory given as the app were told as raised by the server."""
    from wsgicheck import Client
    from wsgicheck.cli_serve import _problems
    from wsgicheck.rules import Exchange

    def misusing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        environ["wsgi.input"].fileno()
        return []

    def factory() -> None:
        return None

    told = []
    for app in (misusing, factory):
        response = Client(app).get("/")  # type: ignore[arg-type]
        told += _problems(response, Exchange(response))
    assert [line.split(":")[0] for line in told] == [
        "app raised AttributeError",
        "the app could not be called with (environ, start_response)",
    ]
