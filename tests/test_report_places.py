"""Findings land on the user's lines, in reports that real consumers accept.

A Flask app in a temporary git repository is checked from a subfolder, as CI runs it: SARIF
paths and GitHub annotations are relative to the repository's top level (or to
``--source-root``), and a finding made inside Flask or Werkzeug is placed on the user's
code, never in site-packages. The SARIF files are then validated by Microsoft's SARIF
Multitool (with GitHub's ingestion rules), the JUnit files read by ``junitparser``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from junitparser import Failure, JUnitXml

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300

#: The app under test: Flask's own start_response call carries a bad header (to GET), and
#: a middleware of the user's turns the body into str.
APP = """\
from flask import Flask, Response, request

app = Flask(__name__)


@app.before_request  # every path and method: no 404 or 405 page of Flask's
def hello():
    response = Response("hello")
    if request.method == "GET":  # the server refuses the call: no body, no str blocks
        response.headers["X-Bad"] = "a\\x01b"
    return response


class StrBody:
    def __init__(self, inner):
        self.inner = inner

    def __call__(self, environ, start_response):
        for block in self.inner(environ, start_response):
            yield block.decode()


wrapped = StrBody(app.wsgi_app)
"""
APP_LINE = 3  # app = Flask(__name__)
MIDDLEWARE_LINE = 19  # the middleware's frame below Werkzeug's start_response call
YIELD_LINE = 20  # yield block.decode()

CHECK = [
    "check",
    "--examples",
    "10",
    "--no-database",
    "--seed",
    "5",
    "--transport",
    "memory",
    "--select",
    "APP-HEADER-VALUE-NO-CONTROL,APP-YIELD-BYTES",
    "--report",
    "sarif,junit",
]


@dataclass(frozen=True)
class Checked:
    """One ``wsgicheck check`` run in the repository's subfolder, and what it wrote."""

    done: subprocess.CompletedProcess[str]
    sarif: Path
    junit: Path

    def log(self) -> dict[str, Any]:
        return json.loads(self.sarif.read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    def places(self) -> dict[str, tuple[dict[str, Any], int]]:
        """Each result's artifact location and start line, by rule id."""
        found = {}
        for result in self.log()["runs"][0]["results"]:
            (location,) = result["locations"]
            physical = location["physicalLocation"]
            found[result["ruleId"]] = (
                physical["artifactLocation"],
                physical["region"]["startLine"],
            )
        return found


def _wsgicheck(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "wsgicheck"]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    return subprocess.run(
        [*command, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env={**environment, "GITHUB_ACTIONS": "true", "NO_COLOR": "1"},
    )


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    top = tmp_path_factory.mktemp("repository")
    subprocess.run(["git", "init", "-q", str(top)], check=True, timeout=60)
    (top / "web").mkdir()
    (top / "web" / "fapp.py").write_text(APP, encoding="utf-8")
    return top


def _run(repository: Path, name: str, target: str, *more: str) -> Checked:
    out = repository.parent / f"reports-{name}"
    done = _wsgicheck(repository / "web", *CHECK, "--report-dir", str(out), *more, target)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    return Checked(done, out / "report.sarif", out / "report.xml")


@pytest.fixture(scope="module")
def flask_run(repository: Path) -> Checked:
    """The Flask object itself, checked from the subfolder ``web``."""
    return _run(repository, "flask", "fapp:app")


@pytest.fixture(scope="module")
def middleware_run(repository: Path) -> Checked:
    """The user's middleware around Flask, with ``--source-root`` the subfolder."""
    return _run(repository, "middleware", "fapp:wrapped", "--source-root", ".")


def test_sarif_paths_are_relative_to_the_git_top_level_from_a_subfolder(
    repository: Path, flask_run: Checked
) -> None:
    run = flask_run.log()["runs"][0]
    assert run["originalUriBaseIds"] == {"SRCROOT": {"uri": repository.resolve().as_uri() + "/"}}
    # Werkzeug called start_response with nothing of the user's below it: the finding is
    # placed on the line that binds TARGET, never in site-packages.
    assert flask_run.places() == {
        "APP-HEADER-VALUE-NO-CONTROL": ({"uri": "web/fapp.py", "uriBaseId": "SRCROOT"}, APP_LINE)
    }
    annotations = [line for line in flask_run.done.stdout.splitlines() if line.startswith("::")]
    assert [line.split("::")[1] for line in annotations] == [
        f"error file=web/fapp.py,line={APP_LINE},title=APP-HEADER-VALUE-NO-CONTROL (MUST)"
    ]
    assert "site-packages" not in flask_run.sarif.read_text(encoding="utf-8")
    assert f"at fapp.py:{APP_LINE} in <module>" in flask_run.done.stdout


def test_source_root_and_a_middleware_of_the_users(middleware_run: Checked) -> None:
    base = {"uri": "fapp.py", "uriBaseId": "SRCROOT"}
    assert middleware_run.places() == {
        # Werkzeug's start_response call, placed on the user's frame below it.
        "APP-HEADER-VALUE-NO-CONTROL": (base, MIDDLEWARE_LINE),
        "APP-YIELD-BYTES": (base, YIELD_LINE),
    }
    messages = {
        result["ruleId"]: result["message"]["text"]
        for result in middleware_run.log()["runs"][0]["results"]
    }
    assert messages == {
        "APP-HEADER-VALUE-NO-CONTROL": (
            "APP-HEADER-VALUE-NO-CONTROL: header X-Bad has control characters: 'a\\x01b' "
            f"at fapp.py:{MIDDLEWARE_LINE}"
        ),
        "APP-YIELD-BYTES": (
            f"APP-YIELD-BYTES: the iterable yielded str 'hello' at fapp.py:{YIELD_LINE}"
        ),
    }


def test_source_root_must_be_a_folder(repository: Path) -> None:
    done = _wsgicheck(repository, "check", "--source-root", "no/such/dir", "web/fapp.py:app")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith("--source-root no/such/dir: not a directory")


# -- real consumers ---------------------------------------------------------------------------

NODE_PACKAGE = ROOT / ".ci" / "node" / "node_modules" / "@microsoft" / "sarif-multitool"


def _multitool() -> str:
    """The SARIF Multitool's own executable, which ``.ci/run`` installs under ``.ci/node``.

    Its ``bin.js`` wrapper passes the arguments through a shell (where ``;`` in
    ``--rule-kind "Sarif;Gh"`` ends the command), so the executable is run directly.
    """
    node = shutil.which("node")
    if node is not None and NODE_PACKAGE.is_dir():
        done = subprocess.run(
            [node, "-p", f"require({json.dumps(str(NODE_PACKAGE))})"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        path = done.stdout.strip()
        if done.returncode == 0 and os.access(path, os.X_OK):
            return path
    if os.environ.get("CI"):
        pytest.fail("the SARIF Multitool is not installed (.ci/run installs it into .ci/node)")
    pytest.skip("the SARIF Multitool is not installed (see .ci/run: npm install --prefix .ci/node)")


def test_sarif_passes_the_multitool_with_githubs_rules(
    flask_run: Checked, middleware_run: Checked, tmp_path: Path
) -> None:
    tool = _multitool()
    output = tmp_path / "validation.sarif"
    done = subprocess.run(
        [
            tool,
            "validate",
            "--rule-kind",
            "Sarif;Gh",
            "--output",
            str(output),
            str(flask_run.sarif),
            str(middleware_run.sarif),
        ],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # The exit status says only that the tool ran: what it found is in its own log.
    (run,) = json.loads(output.read_text(encoding="utf-8-sig"))["runs"]
    assert run["invocations"][0]["executionSuccessful"] is True
    found = {
        (
            result["ruleId"],
            result.get("level", "warning"),
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        )
        for result in run.get("results", [])
    }
    # Nothing but SARIF2005's advice to name a home page (wsgicheck has none to name),
    # once for each of the two files, which shows both were read.
    assert found == {
        ("SARIF2005", "warning", checked.sarif.as_uri()) for checked in (flask_run, middleware_run)
    }, done.stdout[-3000:]


def test_junit_is_read_by_junitparser(flask_run: Checked, middleware_run: Checked) -> None:
    for checked, failing in [
        (flask_run, {"APP-HEADER-VALUE-NO-CONTROL"}),
        (middleware_run, {"APP-HEADER-VALUE-NO-CONTROL", "APP-YIELD-BYTES"}),
    ]:
        xml = JUnitXml.fromfile(str(checked.junit))
        cases = [case for suite in xml for case in suite]
        failed = {
            case.name: [each for each in case.result if isinstance(each, Failure)]
            for case in cases
            if any(isinstance(each, Failure) for each in case.result)
        }
        assert set(failed) == failing
        assert {case.name for case in cases} == {
            "APP-HEADER-VALUE-NO-CONTROL",
            "APP-YIELD-BYTES",
        }
        for name, (failure, *rest) in failed.items():
            assert rest == []
            assert name in (failure.text or "")


#: A server of the repository's own, for ``wsgicheck probe`` to judge (wsgiref's).
SERVER = """\
import importlib
import sys
from wsgiref.simple_server import make_server

host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
module, _, name = target.partition(":")
make_server(host, port, getattr(importlib.import_module(module), name)).serve_forever()
"""


def test_a_probes_sarif_puts_each_result_at_the_servers_file(
    repository: Path, tmp_path: Path
) -> None:
    """A trial of 2026-12-07: a probe's results had ``"locations": []``, which GitHub's
    ingestion refuses (the Multitool's GitHub rules failed every one). Each is at the
    server's file: here a script of the repository's, by its path there."""
    (repository / "web" / "serve.py").write_text(SERVER, encoding="utf-8")
    done = _wsgicheck(
        repository,
        "probe",
        "{python} web/serve.py {host} {port} {app}",
        "--examples", "0", "--no-callables", "--seed", "3",
        "--report", "sarif", "--report-dir", str(tmp_path),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr[-3000:]  # wsgiref breaks rules
    sarif = tmp_path / "report.sarif"
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    assert results
    assert {
        json.dumps(result["locations"][0]["physicalLocation"]["artifactLocation"])
        for result in results
    } == {json.dumps({"uri": "web/serve.py", "uriBaseId": "SRCROOT"})}
    output = tmp_path / "validation.sarif"
    checked = subprocess.run(
        [_multitool(), "validate", "--rule-kind", "Sarif;Gh", "--output", str(output), str(sarif)],
        capture_output=True, text=True, timeout=TIMEOUT, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    (run,) = json.loads(output.read_text(encoding="utf-8-sig"))["runs"]
    found = {(each["ruleId"], each.get("level", "warning")) for each in run.get("results", [])}
    assert found == {("SARIF2005", "warning")}
