"""The pytest plugin, exercised the way users meet it: pytest run in a subprocess.

What only a fresh process shows (exit status, the header, xdist, JUnit XML, the warnings
summary) runs in a subprocess; option parsing and collection, and the failure paths, run
in this process, which is quicker. Suite runs use the quick profile, fixed seeds and no
example database, and select a few rules where the test is about options, not verdicts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import wsgicheck.drivers.server

# Imported here, not first inside an in-process pytest run: pytester drops the modules a run
# imported when it ends, and a second copy of Hypothesis's internals breaks the next run.
import wsgicheck.explore.runner
import wsgicheck.explore.supervisor
from wsgicheck import WSGIWarning
from wsgicheck.rules import REGISTRY, Level
from wsgicheck.suite import SuiteWarning

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "wsgiapp.py"
TARGET = f"{SEED}:app"
BROKEN = f"{FIXTURES / 'broken' / 'app_sr_once.py'}:app"  # breaks APP-SR-ONCE, a MUST rule
BROKEN_RULE = "APP-SR-ONCE"
WARNED = f"{FIXTURES / 'broken' / 'app_avoid_write.py'}:app"  # APP-AVOID-WRITE, a SHOULD rule
TIMEOUT = 120
FAST = ("--wsgi-profile=quick", "--wsgi-seed=7", "--wsgi-database=off")
ALL_ITEMS = len(REGISTRY) + 1  # a rule each, and the run itself

USER_TESTS = """
from wsgicheck import Client


def test_hello(wsgi_client):
    assert isinstance(wsgi_client, Client)
    response = wsgi_client.get("/hello")
    assert response.status_code == 200
    assert response.text == "Hello world from a simple WSGI application!\\n"
    assert response.environ["PATH_INFO"] == "/hello"


def test_not_found(wsgi_client):
    assert wsgi_client.get("/nope").status_code == 404


def test_app_is_the_callable(wsgi_app):
    assert wsgi_app.__name__ == "app"
    assert wsgi_app.__module__ == "wsgiapp"


def test_app_is_shared_across_the_session(wsgi_app, wsgi_client):
    assert wsgi_client.app is wsgi_app
"""

HTTP_GET = """
import http.client
from urllib.parse import urlsplit


def get(url, path="/hello"):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()
"""


def assert_no_plugin_source(result: pytest.RunResult) -> None:
    """Errors from the plugin show the message, not a listing of the plugin's code."""
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "raise pytest.UsageError" not in output
    assert "plugin.py" not in output


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=TIMEOUT)


def outcomes(result: pytest.RunResult) -> dict[str, str]:
    """Each suite item's outcome, from ``-v`` output (``wsgicheck::ID PASSED``)."""
    found = re.findall(r"^wsgicheck::(\S+) (PASSED|FAILED|SKIPPED)", result.stdout.str(), re.M)
    return dict(found)


def junit(path: Path) -> dict[str, ET.Element]:
    """The suite's testcases in a JUnit XML file, by name."""
    cases = ET.parse(path).getroot().iter("testcase")
    return {case.get("name", ""): case for case in cases if case.get("classname") == "wsgicheck"}


def verdict(case: ET.Element) -> str:
    for kind in ("failure", "error", "skipped"):
        if case.find(kind) is not None:
            return kind
    return "passed"


# -- the conformance suite ----------------------------------------------------------------------


def test_suite_on_a_good_app_passes_with_no_test_file(pytester: pytest.Pytester) -> None:
    result = run(pytester, f"--wsgi-app={TARGET}", *FAST, "-v", "-rs")
    assert result.ret == pytest.ExitCode.OK
    verdicts = outcomes(result)
    assert set(verdicts) == {*REGISTRY.ids(), "run"}
    assert set(verdicts.values()) <= {"PASSED", "SKIPPED"}
    assert verdicts[BROKEN_RULE] == "PASSED"
    result.stdout.fnmatch_lines(
        [
            f"wsgicheck: app {TARGET}, profile quick, seed 7, transport both, database off",
            f"*collected {ALL_ITEMS} items",
            "*- wsgicheck -*",
            f"{TARGET}: 50 examples in *s (profile quick, seed 7), paths tried: /, /hello",
        ]
    )
    # A rule nothing gave evidence for is a real skip, with its reason.
    assert verdicts["APP-AVOID-WRITE"] == "SKIPPED"
    skipped = sum(outcome == "SKIPPED" for outcome in verdicts.values())
    result.stdout.fnmatch_lines(
        [
            "wsgicheck::APP-AVOID-WRITE SKIPPED (none of the 50 examples *",
            f"SKIPPED [[]{skipped}] *: none of the 50 examples gave evidence for this rule",
        ]
    )


def test_suite_on_a_broken_app_fails_that_rule_with_a_reproducer(pytester: pytest.Pytester) -> None:
    xml = pytester.path / "report.xml"
    result = run(pytester, f"--wsgi-app={BROKEN}", *FAST, "-v", f"--junitxml={xml}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    failed = {rule for rule, outcome in outcomes(result).items() if outcome == "FAILED"}
    assert failed == {BROKEN_RULE}
    result.stdout.fnmatch_lines(
        [
            f"*_ wsgicheck rule {BROKEN_RULE} _*",
            f"{BROKEN_RULE} (MUST, app): start_response('404 Not Found', ...) called again "
            "without exc_info at app_sr_once.py:13",
            "PEP 3333, The start_response() Callable:",
            "    More precisely, it is a fatal error to call start_response without the exc_info*",
            "The app's line responsible:",
            "    */fixtures/broken/app_sr_once.py:13, in app",
            '        start_response("404 Not Found", [("Content-Type", "text/plain")])',
            "Smallest request (* transport):",
            "    GET /* HTTP/1.1",
            "Reproduce with curl, against `wsgicheck serve * --port 8000`:",
            "    curl -v --path-as-is *http://127.0.0.1:8000/*",
            "Reproduce in Python (in memory, exactly):",
            f"    app = load_target('{BROKEN[:-4]}:app')",
            "Replay this run: --wsgi-seed=7 --wsgi-profile=quick",
            f"FAILED wsgicheck::{BROKEN_RULE} - {BROKEN_RULE} (MUST, app): *",
        ]
    )
    # --junitxml: a testcase per rule, the failure carrying the report.
    cases = junit(xml)
    assert set(cases) == {*REGISTRY.ids(), "run"}
    failed = {name for name, case in cases.items() if verdict(case) == "failure"}
    assert failed == {BROKEN_RULE}
    failure = cases[BROKEN_RULE].find("failure")
    assert failure is not None
    assert failure.get("message", "").startswith(f"{BROKEN_RULE} (MUST, app): ")
    assert "curl -v" in (failure.text or "")
    properties = {p.get("name"): p.get("value") for p in cases["run"].iter("property")}
    assert properties == {"wsgicheck_seed": "7", "wsgicheck_examples": "50"}


#: What pytest-django does to a test process, in miniature: a plugin blocks what the app
#: needs (its database) in the pytest process, for every test that did not ask for it.
BLOCKING_CONFTEST = """
import gate


def pytest_configure(config):
    gate.BLOCKED = True
"""
GATED_APP = """
import gate


def app(environ, start_response):
    if gate.BLOCKED:
        raise RuntimeError("Database access not allowed (the pytest process's blocker)")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def test_the_suite_runs_the_app_in_a_fresh_interpreter_not_a_fork_of_pytest(
    pytester: pytest.Pytester,
) -> None:
    """Audit of 2026-12-05: a worker forked from the pytest process inherited pytest-django's
    database blocker, and a Django app that `check` passes failed HARNESS-ALL-ERRORS under
    the suite; with a plugin that starts a thread (pytest-rerunfailures) the worker was
    spawned and it passed. The suite's workers are now always fresh interpreters."""
    pytester.makepyfile(gate="BLOCKED = False\n", gated=GATED_APP)
    pytester.makeconftest(BLOCKING_CONFTEST)
    result = run(pytester, "--wsgi-app=gated.py:app", *FAST, "-v")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    assert outcomes(result)["HARNESS-ALL-ERRORS"] == "PASSED"


NEEDY_APP = """
import gate

if not gate.BLOCKED:
    raise RuntimeError("settings are not configured: call settings.configure() first")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


@pytest.mark.parametrize("xdist", [False, True])
def test_an_app_only_the_pytest_process_can_load_is_said_once_in_a_line(
    pytester: pytest.Pytester, xdist: bool
) -> None:
    """Audit of 2026-12-05: settings made in conftest.py (pytest-django's documented
    settings.configure()) do not reach the suite's worker, which cannot load the app; each
    of the 158 items failed with the same 1,000-line traceback. Now the first item says
    why in a line, and each other one says so in a line; the session goes on, so the
    user's own tests still run (an ordering plugin may put them after the suite's)."""
    pytester.makepyfile(gate="BLOCKED = False\n", needy=NEEDY_APP)
    pytester.makepyfile(test_user="def test_own():\n    assert True\n")
    pytester.makeconftest(BLOCKING_CONFTEST)
    result = run(pytester, "--wsgi-app=needy.py:app", *FAST, *(["-n", "2"] if xdist else []))
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes() == {"failed": ALL_ITEMS, "passed": 1}
    # In full by the first suite item each worker ran, in a line by the rest.
    # (Counted at the start of a line: under CI=true pytest's summary lines are not cut,
    # and repeat it.)
    said = len(re.findall(r"^wsgicheck: importing .*\(the suite loads the app in a", output, re.M))
    earlier = re.findall(r"^the wsgicheck run failed earlier in this session: ", output, re.M)
    assert said == (2 if xdist else 1)
    assert len(earlier) == ALL_ITEMS - said
    assert "settings are not configured" in output


#: An app whose import takes a lock on a file that no second process may take (Zope's
#: ZODB, on Data.fs.lock), held while the process lives.
LOCKING_APP = """
import fcntl
import pathlib

_lock = open(pathlib.Path(__file__).with_name("data.lock"), "w")
fcntl.flock(_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_an_app_that_locks_a_file_on_import_is_loaded_once_by_the_suite(
    pytester: pytest.Pytester,
) -> None:
    """A trial of 2026-12-06: Zope takes its database's lock when imported. The plugin
    loaded the app in the pytest process (for the fixtures) and the suite in a worker, which
    could not take the lock. The pytest process now loads it only for a test that asks for
    it; where one does, the suite's message says why its worker could not."""
    pytester.makepyfile(locky=LOCKING_APP)
    alone = run(pytester, "--wsgi-app=locky.py:app", *FAST)
    assert alone.ret == pytest.ExitCode.OK, alone.stdout.str()
    pytester.makepyfile(test_uses="def test_uses(wsgi_app):\n    assert callable(wsgi_app)\n")
    both = run(pytester, "--wsgi-app=locky.py:app", *FAST)
    output = both.stdout.str() + both.stderr.str()
    assert both.ret == pytest.ExitCode.TESTS_FAILED
    assert "BlockingIOError" in output
    assert "where the pytest process has the app loaded too, for the wsgi_app fixture" in output


#: An app that ends its process, starts a thread that never ends, and writes terminal
#: escapes, all while it is imported (an adversarial trial of 2026-12-06).
IMPORT_EXIT_APP = "import os\nos._exit(0)\n"
IMPORT_THREAD_APP = """
import threading, time
threading.Thread(target=time.sleep, args=(3600,)).start()
print("\\x1b]0;PWNED\\x07\\x1b[31mred")


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_a_long_import_error_is_still_the_apps_refusal(pytester: pytest.Pytester) -> None:
    """The review of 2026-12-06: a refusal longer than the clean process's answer may be
    was dropped, and read as an import that ended the process; and the usage error quoted
    all 9,000 characters of the message."""
    pytester.makepyfile(longerr='raise RuntimeError("x" * 9000)\n')
    result = run(pytester, "--wsgi-app=longerr.py:app", *FAST)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --wsgi-app: importing 'longerr.py' failed: RuntimeError: xxx*"]
    )
    # One line, and not 9,000 characters of it: the message is cut, with a count.
    [line] = [each for each in result.stderr.lines if each.startswith("ERROR: ")]
    assert len(line) < 500
    assert "more characters cut]" in line


def test_an_app_hostile_at_import_neither_ends_nor_holds_nor_paints_pytest(
    pytester: pytest.Pytester,
) -> None:
    """The plugin loaded the app in pytest's process to check it: an app that ended its
    process there ended pytest's with exit status 0 and no output; one that started a thread
    that never ends kept pytest from exiting; what it printed reached the terminal raw. The
    check is made in a clean process now."""
    pytester.makepyfile(exits=IMPORT_EXIT_APP, holds=IMPORT_THREAD_APP)
    for suite in ([], ["--wsgi-no-suite"]):  # (the fixtures alone: the review of 2026-12-06)
        ended = run(pytester, "--wsgi-app=exits.py:app", *FAST, *suite)
        assert ended.ret == pytest.ExitCode.USAGE_ERROR
        ended.stderr.fnmatch_lines(
            ["ERROR: --wsgi-app: importing 'exits.py:app' ended the process"]
        )
    held = run(pytester, "--wsgi-app=holds.py:app", *FAST)  # (bounded: run's timeout)
    assert held.ret == pytest.ExitCode.OK, held.stdout.str()
    assert "\x1b" not in held.stdout.str() + held.stderr.str()


#: pytest-timeout's signal method in miniature: SIGALRM raises pytest's Failed (a
#: BaseException) in the item's own thread.
ALARM_CONFTEST = """
import signal

import pytest


def _timeout(signum, frame):
    pytest.fail("Timeout >1s", pytrace=False)


def pytest_runtest_setup(item):
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(1)


def pytest_runtest_teardown(item):
    signal.alarm(0)
"""
SLOW_APP = """
import time


def app(environ, start_response):
    time.sleep(30)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"late"]
"""


def test_a_run_a_timeout_plugin_ended_is_not_run_again_for_each_item(
    pytester: pytest.Pytester,
) -> None:
    """Audit of 2026-12-05: pytest-timeout (signal method) ends an item with pytest's
    Failed, a BaseException the suite did not keep, so each later item ran the whole
    exploration again and timed out in turn (56 items, 13 minutes). The first item fails
    with the timeout; the others say the run failed earlier, at once."""
    pytester.makepyfile(slow=SLOW_APP)
    pytester.makeconftest(ALARM_CONFTEST)
    select = "--wsgi-select=APP-YIELD-BYTES,APP-STATUS-STR,APP-SR-CALLED"
    result = run(pytester, "--wsgi-app=slow.py:app", *FAST, select, "-p", "no:randomly", "-rf")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert result.parseoutcomes()["failed"] == 4
    result.stdout.fnmatch_lines(["FAILED wsgicheck::* - Failed: Timeout >1s"])
    # The others in one line each (no traceback through the plugin's code).
    earlier = "the wsgicheck run failed earlier in this session: Failed: Timeout >1s"
    assert result.stdout.str().count(f"\n{earlier}\n") == 3
    assert "RunFailedEarlier" not in result.stdout.str()


def test_a_failure_of_a_sequence_lists_the_requests_before_the_one_judged(
    pytester: pytest.Pytester,
) -> None:
    head_like_get = f"{FIXTURES / 'broken' / 'app_head_like_get.py'}:app"
    args = (f"--wsgi-app={head_like_get}", *FAST, "--wsgi-select=APP-HEAD-LIKE-GET")
    result = run(pytester, *args, "--wsgi-strict")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "Sent after * earlier request* on the same app, in this order:",
            "    GET / HTTP/1.1",
            "    HEAD / HTTP/1.1",
            "Then the request judged beside them (* transport):",
            "    GET / HTTP/1.1",
            "Reproduce with curl, *",
        ]
    )


FLASK_CONTROL_HEADER = """
from flask import Flask, make_response

app = Flask(__name__)


@app.route("/")
def index():
    print("index asked", flush=True)
    response = make_response("hi")
    response.headers["X-Trace"] = "id\\x01 42"
    return response
"""


def test_a_finding_in_a_librarys_code_is_placed_at_the_app_as_check_places_it(
    pytester: pytest.Pytester,
) -> None:
    """Audit of 2026-12-05: the suite put a Flask app's finding at werkzeug/wrappers/
    response.py, where ``check`` names the app's definition; and the failure pointed to
    the app's output, which the suite never showed. Both are now as ``check`` has them."""
    pytester.makepyfile(flaskbad=FLASK_CONTROL_HEADER)
    select = "--wsgi-select=APP-HEADER-VALUE-NO-CONTROL"
    result = run(pytester, "--wsgi-app=flaskbad.py:app", *FAST, select)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    output = result.stdout.str()
    assert "site-packages" not in output
    result.stdout.fnmatch_lines(
        [
            "The app's line responsible:",
            "    flaskbad.py:3, in <module>",
            "        app = Flask(__name__)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*- wsgicheck -*",
            "*",
            "Output of the app (stdout and stderr): * bytes",
            "  | index asked",
        ]
    )


VENDORED = """
import sys


def respond(start_response):
    try:
        raise ValueError("x")
    except ValueError:
        info = sys.exc_info()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")], info)
    return [b"ok"]


class App:
    def __call__(self, environ, start_response):
        return respond(start_response)
"""
VENDOR_APP = """
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "vendor", "site-packages"))
import helper

app = helper.App()
"""


def test_a_should_finding_in_a_librarys_code_warns_at_the_app_and_says_so(
    pytester: pytest.Pytester,
) -> None:
    """Review of 2026-12-05: the SuiteWarning was placed at the app's definition, and its
    text still named the library's file; both name the app's line now, as ``check`` does."""
    vendor = pytester.path / "vendor" / "site-packages"
    vendor.mkdir(parents=True)
    (vendor / "helper.py").write_text(VENDORED, encoding="utf-8")
    pytester.makepyfile(vendored=VENDOR_APP)
    select = "--wsgi-select=APP-EXC-INFO-ONLY-IN-ERROR"
    result = run(pytester, "--wsgi-app=vendored.py:app", *FAST, select)
    assert result.ret == pytest.ExitCode.OK
    assert "site-packages" not in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*vendored.py:8: SuiteWarning: APP-EXC-INFO-ONLY-IN-ERROR: * (at *vendored.py:8)",
            "    app = helper.App()",
        ]
    )


PRINTING_GOOD_APP = """
def app(environ, start_response):
    print("served", flush=True)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def test_the_apps_output_is_shown_for_a_failing_suite_item_not_a_users_test(
    pytester: pytest.Pytester,
) -> None:
    """Review of 2026-12-05: the app's output was printed when any test failed; it is for
    the suite's failures, which may point to it."""
    pytester.makepyfile(printing=PRINTING_GOOD_APP, test_user="def test_own():\n    assert False\n")
    result = run(pytester, "--wsgi-app=printing.py:app", *FAST, "--wsgi-select=APP-SR-CALLED")
    assert result.parseoutcomes() == {"failed": 1, "passed": 2}
    assert "Output of the app" not in result.stdout.str()


RAISING_IN_COLOUR = """
def app(environ, start_response):
    raise ValueError("boom \\x1b[31mRED\\x1b[0m \\x1b]0;pwned\\x07")
"""


def test_a_warning_in_the_junit_report_holds_no_control_byte(pytester: pytest.Pytester) -> None:
    """Audit of 2026-12-05: the JUnit property of a SHOULD finding held the app's exception
    message raw (pytest wrote the ESC as #x1B); it is escaped as the terminal shows it."""
    pytester.makepyfile(colour=RAISING_IN_COLOUR)
    xml = pytester.path / "report.xml"
    args = ("--wsgi-app=colour.py:app", *FAST, "--wsgi-select=APP-TRAP-OWN-ERRORS")
    result = run(pytester, *args, f"--junitxml={xml}")
    assert result.ret == pytest.ExitCode.OK
    text = xml.read_text(encoding="utf-8")
    assert "\x1b" not in text
    assert "#x1B" not in text
    assert "\x07" not in text
    properties = {
        p.get("name"): p.get("value") for p in junit(xml)["APP-TRAP-OWN-ERRORS"].iter("property")
    }
    assert properties["wsgicheck_warning"] == (
        "APP-TRAP-OWN-ERRORS: ValueError escaped the application callable at colour.py:2: "
        "boom \\x1b[31mRED\\x1b[0m \\x1b]0;pwned\\x07"
    )


def test_a_should_rule_warns_and_passes_even_when_warnings_are_errors(
    pytester: pytest.Pytester,
) -> None:
    xml = pytester.path / "report.xml"
    args = (f"--wsgi-app={WARNED}", *FAST, "--wsgi-select=APP-AVOID-WRITE")
    result = run(pytester, *args, "-W", "error", f"--junitxml={xml}")
    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*warnings summary*",
            "wsgicheck::APP-AVOID-WRITE",
            "  */fixtures/broken/app_avoid_write.py:12: SuiteWarning: APP-AVOID-WRITE: *",
            '    write(b"Hello\\n")',
        ]
    )
    properties = {
        p.get("name"): p.get("value") for p in junit(xml)["APP-AVOID-WRITE"].iter("property")
    }
    assert properties["wsgicheck_warning"] == (
        "APP-AVOID-WRITE: write() used 1 time(s) at app_avoid_write.py:12"
    )
    strict = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args, "--wsgi-strict")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.assert_outcomes(passed=1, failed=1)
    strict.stdout.fnmatch_lines(
        ["APP-AVOID-WRITE (SHOULD, app): write() used 1 time(s) at app_avoid_write.py:12"]
    )


def test_user_tests_run_alongside_the_suite_and_it_can_be_turned_off(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    args = (f"--wsgi-app={TARGET}", *FAST, "--wsgi-select=APP-SR-*")
    both = run(pytester, *args)
    both.assert_outcomes(passed=4 + 4 + 1)
    only_users = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args, "--wsgi-no-suite")
    only_users.assert_outcomes(passed=4)
    only_users.stdout.fnmatch_lines([f"wsgicheck: app {TARGET} (suite off)"])


def test_every_option_has_an_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini(
        f"""
        [pytest]
        wsgi_app = {BROKEN}
        wsgi_profile = quick
        wsgi_seed = 99
        wsgi_strict = true
        wsgi_select = APP-SR-* APP-AVOID-WRITE
        wsgi_ignore = APP-SR-POSITIONAL
        wsgi_path = /hello /other /skipped/x
        wsgi_exclude_path = /skipped
        wsgi_header =
            X-Token: abc
        wsgi_transport = memory
        wsgi_database = db
        """
    )
    result = run(pytester, "-v")
    result.stdout.fnmatch_lines(
        [
            f"wsgicheck: app {BROKEN}, profile quick, seed 99, transport memory, strict, "
            f"database {pytester.path / 'db'}",
            "*paths tried: /, /hello, /other",
        ]
    )
    assert outcomes(result) == {
        "APP-SR-CALLED": "PASSED",
        "APP-SR-BEFORE-BODY": "PASSED",
        "APP-SR-ONCE": "FAILED",
        "APP-AVOID-WRITE": "SKIPPED",
        "run": "PASSED",
    }
    assert (pytester.path / "db").is_dir()
    pytester.makeini(f"[pytest]\nwsgi_app = {TARGET}\nwsgi_suite = false\n")
    pytester.makepyfile(test_user=USER_TESTS)
    fixtures_only = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    fixtures_only.assert_outcomes(passed=4)
    fixtures_only.stdout.fnmatch_lines([f"wsgicheck: app {TARGET} (suite off)"])


# -- options that need no run: collected in this process, which is quicker --------------------


def collect(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """``pytest --co`` in this process: the header and the items, without running them."""
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "--co", *args)


def collected(result: pytest.RunResult) -> list[str]:
    return re.findall(r"^\s*<(?:RuleItem|RunItem) (\S+)>", result.stdout.str(), re.M)


def test_options_win_over_ini_keys(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwsgi_app = wc_no_such_module:app\nwsgi_seed = 1\n")
    result = collect(pytester, f"--wsgi-app={TARGET}", "--wsgi-seed=2")
    result.stdout.fnmatch_lines([f"wsgicheck: app {TARGET}, profile default, seed 2, *"])


def test_select_and_ignore_take_ids_and_prefixes(pytester: pytest.Pytester) -> None:
    result = collect(
        pytester,
        f"--wsgi-app={TARGET}",
        "--wsgi-select=app-sr-*,ENV-CGI-STR",
        "--wsgi-select=HARNESS-*",
        "--wsgi-ignore=APP-SR-ONCE",
        "--wsgi-ignore=harness-body-limit",
    )
    expected = [
        each.id
        for each in REGISTRY.select(
            ["APP-SR-*", "ENV-CGI-STR", "HARNESS-*"], ["APP-SR-ONCE", "HARNESS-BODY-LIMIT"]
        )
    ]
    assert "APP-SR-CALLED" in expected
    assert "HARNESS-EXCHANGE-TIMEOUT" in expected
    assert collected(result) == [*expected, "run"]
    result.stdout.fnmatch_lines([f"*{len(expected) + 1} tests collected*"])


def test_markers_and_keywords_select_suite_items(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_plain():\n    pass\n")
    should_environ = [
        each.id
        for each in REGISTRY
        if each.level is Level.SHOULD and each.binding.value == "environ"
    ]
    assert should_environ
    by_keyword = collect(pytester, f"--wsgi-app={TARGET}", "-k", "SHOULD and environ")
    assert collected(by_keyword) == should_environ
    only_suite = collect(pytester, f"--wsgi-app={TARGET}", "-m", "wsgicheck", "--strict-markers")
    assert collected(only_suite) == [*REGISTRY.ids(), "run"]
    assert "test_plain" not in only_suite.stdout.str()
    not_suite = collect(pytester, f"--wsgi-app={TARGET}", "-m", "not wsgicheck")
    assert collected(not_suite) == []
    assert "<Function test_plain>" in not_suite.stdout.str()


def test_without_a_seed_one_is_drawn_and_printed(pytester: pytest.Pytester) -> None:
    seeds = []
    for _ in range(2):
        result = collect(pytester, f"--wsgi-app={TARGET}")
        match = re.search(r"^wsgicheck: app .*, seed (\d+), ", result.stdout.str(), re.M)
        assert match is not None
        seeds.append(int(match.group(1)))
    assert all(0 <= seed < 1 << 32 for seed in seeds)
    assert seeds[0] != seeds[1]


def test_the_default_database_is_under_the_rootdir(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    result = collect(pytester, f"--wsgi-app={TARGET}")
    result.stdout.fnmatch_lines([f"*, database {pytester.path / '.wsgicheck' / 'examples'}"])
    given = collect(pytester, f"--wsgi-app={TARGET}", "--wsgi-database=elsewhere")
    given.stdout.fnmatch_lines([f"*, database {pytester.path / 'elsewhere'}"])


def test_options_are_listed_in_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess("--help")
    result.stdout.fnmatch_lines(["wsgicheck: WSGI (PEP 3333) conformance:", "*--wsgi-app=TARGET*"])
    text = result.stdout.str()
    for name in ("app", "profile", "seed", "strict", "select", "ignore", "path", "transport",
                 "database"):  # fmt: skip
        assert f"--wsgi-{name}" in text
        assert re.search(rf"^  wsgi_{name} \(\w+\):", text, re.M), name
    assert "--wsgi-no-suite" in text
    assert re.search(r"^  wsgi_suite \(bool\):", text, re.M)


def test_suite_warnings_are_wsgi_warnings_that_xdist_can_rebuild() -> None:
    """pytest-xdist rebuilds a worker's warning on the controller from its text alone."""
    rebuilt = SuiteWarning(*SuiteWarning("APP-AVOID-WRITE: write() used 1 time(s)").args)
    assert isinstance(rebuilt, WSGIWarning)
    assert rebuilt.rule == "APP-AVOID-WRITE"
    assert str(rebuilt) == "APP-AVOID-WRITE: write() used 1 time(s)"


# -- pytest-xdist --------------------------------------------------------------------------------


GIVEN_TEST = """
from hypothesis import HealthCheck, given, settings
from wsgicheck.strategies import requests


# (Beside the suite's run on a busy machine, generation can be slow: not this test's point.)
@settings(max_examples=25, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(paths=["/", "/elsewhere"]))
def test_only_the_root_breaks(wsgi_app, sent):
    response = Client(wsgi_app).send(sent)
    assert response.environ["REQUEST_METHOD"] == sent.method
    assert (response.status_code == 500) == (response.environ["PATH_INFO"] == "/")
"""


def test_xdist_workers_share_one_run_and_give_complete_verdicts(
    pytester: pytest.Pytester,
) -> None:
    """With -n 2 the suite's items run on both workers, from one run explored in two shares
    (one per worker): every rule judged, the broken one failed, the seed the controller drew
    (and printed) used; a user's own tests, a @given one among them, run beside the suite
    with Hypothesis's plugin loaded."""
    runs = pytester.path / "runs.log"
    pytester.makeconftest(
        f"""
        import os

        import wsgicheck.explore.supervisor

        real_run = wsgicheck.explore.supervisor.supervise


        def counted_run(*args, **kwargs):
            with open({str(runs)!r}, "a") as log:
                log.write(os.environ.get("PYTEST_XDIST_WORKER", "-") + "\\n")
            return real_run(*args, **kwargs)


        wsgicheck.explore.supervisor.supervise = counted_run
        """
    )
    pytester.makepyfile(
        test_user="""
from wsgicheck import Client


def test_the_second_start_response_is_refused(wsgi_client):
    assert wsgi_client.get("/").status_code == 500
"""
        + GIVEN_TEST
    )
    xml = pytester.path / "report.xml"
    args = (f"--wsgi-app={BROKEN}", "--wsgi-profile=quick", "--wsgi-database=off")
    result = run(pytester, *args, f"--junitxml={xml}", "-n", "2", "-v")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["plugins: *hypothesis-*", "created: 2/2 workers", "*- wsgicheck -*"]
    )
    workers = set(re.findall(r"^\[(gw\d)\] .* wsgicheck::", result.stdout.str(), re.M))
    assert workers == {"gw0", "gw1"}
    assert sorted(runs.read_text().splitlines()) == ["gw0", "gw1"]
    cases = junit(xml)
    assert set(cases) == {*REGISTRY.ids(), "run"}
    assert {name for name, case in cases.items() if verdict(case) == "failure"} == {BROKEN_RULE}
    match = re.search(r"^wsgicheck: app .*, seed (\d+), ", result.stdout.str(), re.M)
    assert match is not None
    properties = {p.get("name"): p.get("value") for p in cases["run"].iter("property")}
    assert properties["wsgicheck_seed"] == match.group(1)
    users = [case for case in ET.parse(xml).getroot().iter("testcase")
             if case.get("classname") == "test_user"]  # fmt: skip
    assert sorted((case.get("name"), verdict(case)) for case in users) == [
        ("test_only_the_root_breaks", "passed"),
        ("test_the_second_start_response_is_refused", "passed"),
    ]


# -- fixtures -----------------------------------------------------------------------------------


def test_option_gives_the_fixtures_and_the_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=USER_TESTS
        + HTTP_GET
        + """
import pytest


def test_served(wsgi_server):
    assert urlsplit(wsgi_server.url).hostname == "127.0.0.1"
    assert get(wsgi_server.url) == (200, b"Hello world from a simple WSGI application!\\n")


@pytest.mark.wsgi_config(script_name="/mount", multiprocess=True)
def test_client_choices(wsgi_client):
    environ = wsgi_client.get("/mount/hello").environ
    assert (environ["SCRIPT_NAME"], environ["PATH_INFO"]) == ("/mount", "/hello")
    assert environ["wsgi.multiprocess"] is True


@pytest.mark.wsgi_config(script_name="/mount")
def test_server_choices(wsgi_server):
    assert get(wsgi_server.url, "/mount/hello")[0] == 200
    assert get(wsgi_server.url, "/hello")[0] == 404


def test_default_choices(wsgi_client):
    assert wsgi_client.get("/hello").environ["SCRIPT_NAME"] == ""


@pytest.mark.wsgi_config(no_such_choice=1)
def test_bad_choice(wsgi_client):
    pass
"""
    )
    result = run(pytester, "--wsgi-app", TARGET, "--wsgi-no-suite", "--strict-markers")
    result.assert_outcomes(passed=8, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"wsgicheck: app {TARGET} (suite off)",
            "E   pytest.UsageError: wsgi_config: *no_such_choice*",
        ]
    )
    assert_no_plugin_source(result)


def test_server_thread_errors_fail_the_test_that_caused_them(pytester: pytest.Pytester) -> None:
    """A failure of wsgicheck's own server code is re-raised in the test; the app's is not."""
    pytester.makepyfile(
        wc_raising="""
        def app(environ, start_response):
            if environ["PATH_INFO"] == "/boom":
                raise ValueError("the app's own bug")
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        """,
        test_user=HTTP_GET
        + """
import pytest


class InternalBug(RuntimeError):
    pass


def test_an_app_exception_is_a_500_not_an_error(wsgi_server):
    assert get(wsgi_server.url, "/boom")[0] == 500


def test_internal_failure(wsgi_server, monkeypatch):
    def broken(*args, **kwargs):
        raise InternalBug("a bug in wsgicheck's server")

    monkeypatch.setattr("wsgicheck.drivers.server.serve_exchange", broken)
    with pytest.raises(http.client.RemoteDisconnected):
        get(wsgi_server.url)


def test_after_it_the_next_server_is_clean(wsgi_server):
    assert get(wsgi_server.url) == (200, b"ok")
""",
    )
    result = run(pytester, "--wsgi-app=wc_raising:app", "--wsgi-no-suite", "-W", "error")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_internal_failure _*",
            "E       test_user.InternalBug: a bug in wsgicheck's server",
            "E       (raised in a thread of wsgicheck's live server, the wsgi_server fixture)",
            "FAILED test_user.py::test_internal_failure - test_user.InternalBug: *",
        ]
    )


def test_module_target_relative_to_the_rootdir(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        wc_userapp="""
        def make():
            def app(environ, start_response):
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [environ["SCRIPT_NAME"].encode() + b"|" + environ["PATH_INFO"].encode()]
            return app
        """,
        test_user="""
        def test_it(wsgi_client):
            assert wsgi_client.get("/x").body == b"|/x"
        """,
    )
    run(pytester, "--wsgi-app=wc_userapp:make()", "--wsgi-no-suite").assert_outcomes(passed=1)


def test_without_an_app_plain_tests_run_and_there_is_no_header(pytester: pytest.Pytester) -> None:
    """Every pytest run loads the plugin: without an app it must stay out of the way, and
    import none of the heavy modules (runner, rules, server, suite)."""
    pytester.makepyfile(
        test_user="""
import sys


def test_plain():
    heavy = [
        "wsgicheck.explore.runner", "wsgicheck.rules", "wsgicheck.drivers.server", "wsgicheck.suite"
    ]
    assert [name for name in heavy if name in sys.modules] == []
"""
    )
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "wsgicheck:" not in result.stdout.str()
    assert "wsgicheck::" not in result.stdout.str()


README_GIVEN = """
from hypothesis import given, settings

from wsgicheck import Client, validator
from wsgicheck.strategies import requests


@settings(max_examples=50)
@given(requests(paths=["/hello"]))
def test_never_a_server_error(wsgi_app, sent):
    assert Client(validator(wsgi_app)).send(sent).status_code < 500
"""


def test_the_readmes_given_example_passes_on_a_fresh_checkout(pytester: pytest.Pytester) -> None:
    """Audit of 2026-12-05: on a machine's first run (no .hypothesis folder, as in CI),
    st.text() built its codec's table in the first draw (about 2 s) and this test of the
    README's failed Hypothesis's too_slow health check. Its default settings, no database."""
    pytester.makepyfile(test_given=README_GIVEN)
    assert not (pytester.path / ".hypothesis").exists()
    result = run(pytester, f"--wsgi-app={TARGET}", "--wsgi-no-suite")
    result.assert_outcomes(passed=1)


def test_fixture_without_the_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        ["E   pytest.UsageError: the wsgi_app fixture needs --wsgi-app=module:callable"]
    )
    assert_no_plugin_source(result)


# -- usage errors: exit 4 and one line, before any test runs ------------------------------------


def test_a_bad_target_is_a_usage_error_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester, "--wsgi-app=wc_no_such_module:app")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.lines[0].startswith(
        "ERROR: --wsgi-app: no module named 'wc_no_such_module'"
    )
    assert [line for line in result.stderr.lines if line.strip()] == result.stderr.lines[:1]
    assert "collected" not in result.stdout.str()
    assert_no_plugin_source(result)


def test_a_bad_target_with_xdist_stops_before_workers_start(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--wsgi-app=wc_no_such_module:app", "-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "created:" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--wsgi-app=missing/app.py:app"], "--wsgi-app: cannot find file 'missing/app.py'*"),
        ([f"--wsgi-app={SEED}:nope"], "--wsgi-app: module 'wsgiapp' has no attribute 'nope'"),
        (["--wsgi-app=wc_brokenapp:app"], "--wsgi-app: importing 'wc_brokenapp' failed*"),
        ([f"--wsgi-app={TARGET}", "--wsgi-seed=x"], "--wsgi-seed: an integer, not 'x'"),
        ([f"--wsgi-app={TARGET}", "--wsgi-select=NOPE-*"], "--wsgi-select: no rule matches *"),
        ([f"--wsgi-app={TARGET}", "--wsgi-ignore=APP-X"], "--wsgi-ignore: no rule matches *"),
        (
            [f"--wsgi-app={TARGET}", "--wsgi-ignore=APP-CL"],
            "--wsgi-ignore: no rule matches 'APP-CL'; a prefix ends with -*: APP-CL-*",
        ),
        (
            [f"--wsgi-app={TARGET}", "--wsgi-ignore=*"],
            "--wsgi-select, --wsgi-ignore: no rule is left to judge with (ignore *)*",
        ),
        (
            [f"--wsgi-app={TARGET}", "--wsgi-timeout=-1"],
            "--wsgi-timeout: a number of seconds above 0, not '-1'",
        ),
        (
            [f"--wsgi-app={TARGET}", "--wsgi-exclude-path=/", "--wsgi-path=/hello"],
            "--wsgi-exclude-path: / excludes every path tried (/hello): no request would*",
        ),
        (
            [f"--wsgi-app={TARGET}", "--wsgi-database=redis://[::1"],
            "--wsgi-database: redis://[::1: not a URL (Invalid IPv6 URL)",
        ),
    ],
    ids=[
        "file",
        "attribute",
        "import",
        "seed",
        "select",
        "ignore",
        "family prefix",
        "nothing left",
        "timeout",
        "every path excluded",
        "database URL",
    ],
)
def test_bad_options_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makepyfile(wc_brokenapp="import wc_not_installed\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert_no_plugin_source(result)


@pytest.mark.parametrize(
    ("ini", "message"),
    [
        ("wsgi_profile = slow", "wsgi_profile: one of quick, default, thorough, not 'slow'"),
        ("wsgi_transport = pigeon", "wsgi_transport: one of both, memory, socket, not 'pigeon'"),
        ("wsgi_select = NOPE", "--wsgi-select: no rule matches 'NOPE'*"),
        ("wsgi_header = Host example.com", "--wsgi-header 'Host example.com': expected*"),
    ],
    ids=["profile", "transport", "select", "header"],
)
def test_bad_ini_values_are_usage_errors(pytester: pytest.Pytester, ini: str, message: str) -> None:
    pytester.makeini(f"[pytest]\nwsgi_app = {TARGET}\n{ini}\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_bad_ini_target_names_the_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwsgi_app = wc_no_such_module:app\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.stderr.fnmatch_lines(["ERROR: wsgi_app: no module named 'wc_no_such_module'*"])


# -- in this process: the suite and the fixtures, measured line by line ------------------------


def test_in_process_fixtures_and_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=USER_TESTS
        + """

def test_server(wsgi_server):
    assert wsgi_server.url.startswith("http://127.0.0.1:")
"""
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", f"--wsgi-app={TARGET}", "--wsgi-no-suite"
    )
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines([f"wsgicheck: app {TARGET} (suite off)"])


def test_in_process_suite(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        "-p",
        "no:cacheprovider",
        f"--wsgi-app={BROKEN}",
        *FAST,
        f"--wsgi-select={BROKEN_RULE},APP-SR-CALLED,APP-AVOID-WRITE",
    )
    result.assert_outcomes(passed=2, failed=1, skipped=1)
    result.stdout.fnmatch_lines([f"{BROKEN_RULE} (MUST, app): *"])


def test_harness_errors_fail_the_run_item(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exchanges wsgicheck could not complete are its own problem: the run item says so."""
    real_run = wsgicheck.explore.supervisor.supervise

    def run_with_an_error(*args: Any, **kwargs: Any) -> Any:
        result = real_run(*args, **kwargs)
        result.errors.append("GET /: the server sent no record of the exchange")
        return result

    monkeypatch.setattr(wsgicheck.explore.supervisor, "supervise", run_with_an_error)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", f"--wsgi-app={TARGET}", *FAST, "--wsgi-select=APP-SR-CALLED"
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ wsgicheck run _*",
            "the wsgicheck run could not judge the app (1 error):",
            "    GET /: the server sent no record of the exchange",
        ]
    )


def test_a_run_that_crashes_fails_every_item_once_in_full(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no sockets today")

    monkeypatch.setattr(wsgicheck.explore.supervisor, "supervise", crash)
    result = pytester.runpytest_inprocess(
        "-p", "no:cacheprovider", f"--wsgi-app={TARGET}", *FAST, "--wsgi-select=APP-SR-*"
    )
    result.assert_outcomes(failed=len(REGISTRY.select(["APP-SR-*"])) + 1)
    output = result.stdout.str()
    # The traceback once, in full; each other item in a line.
    assert len(re.findall(r"^E +OSError: no sockets today$", output, re.M)) == 1
    earlier = "the wsgicheck run failed earlier in this session: OSError: no sockets today"
    assert len(re.findall(f"^{earlier}$", output, re.M)) == len(REGISTRY.select(["APP-SR-*"]))


HOST_CHECKING = """
def app(environ, start_response):
    if environ.get("HTTP_HOST") != "example.com":
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"bad host"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


ALWAYS_LATE = """
import time

def app(environ, start_response):
    time.sleep(2)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"late"]
"""


def test_a_suite_whose_requests_all_time_out_fails(pytester: pytest.Pytester) -> None:
    """Every rule skipped for want of evidence is no pass: with HARNESS-EXCHANGE-TIMEOUT
    left out (--wsgi-select), a run whose every request timed out passed (an audit of
    2026-12-06). The run item fails and says why."""
    pytester.makepyfile(wc_always_late=ALWAYS_LATE)
    args = ("--wsgi-app=wc_always_late:app", *FAST, "--wsgi-timeout=0.3")
    result = run(
        pytester, *args, "--wsgi-select=APP-STATUS-FORMAT", "--wsgi-transport=memory", "-v"
    )
    assert result.ret == 1
    found = outcomes(result)
    assert found.pop("run") == "FAILED"
    assert set(found.values()) == {"SKIPPED"}
    result.stdout.fnmatch_lines(
        ["*only 0 of the 5 requests the run sent got an answer within the time limit (0.3 s)*"]
    )


def test_the_header_option_gets_the_suite_past_a_refusal(pytester: pytest.Pytester) -> None:
    """Without the Host the app serves, the run judged only a refusal and says so."""
    pytester.makepyfile(wc_hostapp=HOST_CHECKING)
    args = ("--wsgi-app=wc_hostapp:app", *FAST, "--wsgi-select=HARNESS-ALL-REFUSED")
    refused = run(pytester, *args, "-v")
    assert outcomes(refused)["HARNESS-ALL-REFUSED"] == "FAILED"
    refused.stdout.fnmatch_lines(["*-H 'Host: example.com'*"])
    served = run(pytester, *args, "-v", "--wsgi-header=Host: example.com")
    assert outcomes(served)["HARNESS-ALL-REFUSED"] == "PASSED"


HANGING = """
import time


def app(environ, start_response):
    if environ["PATH_INFO"] == "/slow":
        time.sleep(1000)
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b'<a href="/slow">slow</a>']
"""


@pytest.mark.parametrize("how", ["option", "variable"])
def test_the_time_limit_is_the_plugins_setting_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Audit of 2026-12-05: the plugin had no --wsgi-timeout and took no WSGICHECK_TIMEOUT
    (a bad one passed unseen): a hanging app cost 10 s an exchange whatever was asked."""
    pytester.makepyfile(wc_hanging=HANGING)
    args = ["--wsgi-app=wc_hanging:app", *FAST, "-p", "no:cacheprovider"]
    if how == "option":
        args.append("--wsgi-timeout=0.5")
    else:
        monkeypatch.setenv("WSGICHECK_TIMEOUT", "0.5")
    result = pytester.runpytest_inprocess(*args)
    assert result.parseoutcomes()["failed"] == 1  # the time-out's rule alone
    result.stdout.fnmatch_lines(["*HARNESS-EXCHANGE-TIMEOUT (MUST, app): the exchange ran past "
                                 "the time limit of 0.5 s and was abandoned*"])  # fmt: skip
    monkeypatch.setenv("WSGICHECK_TIMEOUT", "abc")
    refused = pytester.runpytest_inprocess("--wsgi-app=wc_hanging:app", "-p", "no:cacheprovider")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["ERROR: WSGICHECK_TIMEOUT: a number of seconds, not 'abc'"])


BIG_DOWNLOAD = """
BODY = b"x" * (3 << 20)


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]
"""


def test_the_body_limit_is_a_plugin_setting_too(pytester: pytest.Pytester) -> None:
    """A review of 2026-12-06: HARNESS-BODY-LIMIT told a pytest user to raise the limit with
    --body-limit, which pytest refused; the plugin had no such setting."""
    pytester.makepyfile(big=BIG_DOWNLOAD)
    strict = ("--wsgi-app=big.py:app", *FAST, "--wsgi-select=HARNESS-BODY-LIMIT", "--wsgi-strict")
    low = run(pytester, *strict, "--wsgi-body-limit=2")
    assert low.ret == 1
    low.stdout.fnmatch_lines(["*the body went past the response body limit, 2 MiB*"])
    assert run(pytester, *strict, "--wsgi-body-limit=4").ret == 0
    pytester.makeini("[pytest]\nwsgi_body_limit = 4\n")
    assert run(pytester, *strict).ret == 0
    refused = run(pytester, *strict, "--wsgi-body-limit=0")
    assert refused.ret == 4
    refused.stderr.fnmatch_lines(["*--wsgi-body-limit: at least 1, not 0*"])
