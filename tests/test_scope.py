"""Pointing a run where the app lives: -H, --exclude-path, the statuses per path, and the
finding of a run that never got past the app's refusal (with a real Django project)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from wsgicheck import Request
from wsgicheck.explore.runner import RunOptions, discover, run
from wsgicheck.model.extra import ANSWERED, RAISED, REPLACED, Extra
from wsgicheck.model.response import Response
from wsgicheck.results.scope import (
    MAX_PATHS,
    OTHER_PATHS,
    Answers,
    excluded,
    parse_header,
    with_headers,
)
from wsgicheck.rules import REGISTRY, Exchange
from wsgicheck.rules.harness_rules import failure
from wsgicheck.settings import BY_NAME

ROOT = Path(__file__).resolve().parent.parent


def test_a_header_is_parsed_from_name_colon_value() -> None:
    assert parse_header("Host: example.com") == ("Host", "example.com")
    assert parse_header("X-Token:abc: def ") == ("X-Token", "abc: def")
    assert parse_header("Cookie:") == ("Cookie", "")


@pytest.mark.parametrize(
    "text", ["Host example.com", ": x", "Bad Name: x", "Content-Length: 5", "X: a\r\nY: b"]
)
def test_a_header_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected|not a header|set from|not a valid"):
        parse_header(text)


def test_the_users_fields_replace_drawn_ones_of_their_name() -> None:
    drawn = Request(headers=(("Host", "localhost"), ("cookie", "junk=1"), ("Accept", "*/*")))
    sent = with_headers(drawn, [("Host", "example.com"), ("Cookie", "sessionid=s")])
    assert sent.headers == (
        ("Accept", "*/*"),
        ("Host", "example.com"),
        ("Cookie", "sessionid=s"),
    )
    assert with_headers(drawn, []) is drawn


@pytest.mark.parametrize(
    ("target", "patterns", "expected"),
    [
        ("/logout", ["/logout"], True),
        ("/logout/all?x=1", ["/logout"], True),
        ("/logout/", ["/logout/"], True),
        ("/logouts", ["/logout"], False),
        ("/log%6Fut", ["/logout"], True),
        # A path typed with non-ASCII text is sent as a browser sends it, UTF-8 encoded.
        ("/caf%C3%A9/menu", ["/café"], True),
        ("/caf%C3%A9", ["/caf%C3%A9"], True),
        ("/caf\xc3\xa9", ["/café"], True),
        ("/caf%E9", ["/caf\xe9"], True),
        ("/caf%C3%A9s", ["/café"], False),
        ("/caf%FF", ["/café"], False),
        ("/日本/x", ["/日本"], True),
        ("/admin/users/1", ["/admin/*"], True),
        ("/admin", ["/admin/*"], False),
        ("/x/index.php", ["*.php"], True),
        ("/x/index.html", ["*.php", "/y"], False),
        # Dot-segments, encoded or not, as a browser and a router resolve them.
        ("/x/%2e%2e/admin/delete6", ["/admin"], True),
        ("/x/%2E%2E/admin", ["/admin/*"], False),
        ("/x/%2E%2E/admin/", ["/admin/*"], True),
        ("/x/./../admin", ["/admin"], True),
        ("/x/%2e%2e/administer", ["/admin"], False),
        # Slashes merged, as a server may (a review of 2026-12-06).
        ("//admin", ["/admin"], True),
        ("/x/..//admin/delete", ["/admin"], True),
        ("/anything", [], False),
        # Any case, and a segment's parameters dropped, as an app may route them (left in
        # the closing note of 2026-12-06).
        ("/ADMIN", ["/admin"], True),
        ("/Admin/Users", ["/admin/*"], True),
        ("/x", ["/X"], True),
        ("/admin;p", ["/admin"], True),
        ("/admin;jsessionid=1/delete", ["/admin"], True),
        ("/x;p/%2e%2e/admin", ["/admin"], True),
        ("/admins;p", ["/admin"], False),
        ("/CAF%C3%A9", ["/café"], True),
        # A glob's syntax as written, its letters in any case (a review of 2026-12-06:
        # lower-casing the pattern made [A-z], which holds "_", [a-z]).
        ("/x_", ["/x[A-z]"], True),
        ("/api/a", ["/api/[!A]"], True),
        ("/apix", ["/API/*"], False),
        ("/API/users/1", ["/api/*"], True),
        # The root alone, as a glob (a trial of 2026-12-06: a PUT / wiped Radicale's store).
        ("/", ["[/]"], True),
        ("/?x=1", ["[/]"], True),
        ("/alice/cal/", ["[/]"], False),
        # A glob matches the path with a slash after it too (a trial of 2026-12-07: the
        # run was not kept off Django's /en/admin/logout/ by '/*/admin/logout').
        ("/en/admin/logout/", ["/*/admin/logout"], True),
        ("/en/admin/logout/?next=/", ["/*/admin/logout"], True),
        ("/en/admin/logouts/", ["/*/admin/logout"], False),
        ("/en/admin/logout", ["/*/admin/logout/"], True),
        ("/en/admin/logouts", ["/*/admin/logout/"], False),
        ("/admin/", ["/admin/*"], True),
    ],
)
def test_excluded_paths_are_globs_or_prefixes_by_segment(
    target: str, patterns: list[str], expected: bool
) -> None:
    assert excluded(target, patterns) is expected


def test_the_answers_table_orders_paths_and_bounds_them() -> None:
    answers = Answers()
    answers.add("/", "200", 5)
    answers.add("/", "timeout")
    for index in range(MAX_PATHS + 3):
        answers.add(f"/p{index}", "404")
    assert answers.paths[OTHER_PATHS] == {"404": 4}
    rows = answers.rows(2)
    assert rows[0] == ("/", {"200": 5, "timeout": 1})
    assert rows[1] == ("/p0", {"404": 1})
    assert rows[2] == (OTHER_PATHS, {"404": MAX_PATHS + 2})
    other = Answers()
    other.merge(answers)
    other.merge(answers)
    assert other.total == 2 * answers.total == 2 * (MAX_PATHS + 3 + 6)


def _host_checking(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ.get("HTTP_HOST") != "example.com":
        start_response("400 Bad Request", [("Content-Type", "text/plain")])
        return [b"bad host"]
    start_response("200 OK", [("Content-Type", "text/html")])
    return [b'<a href="/private/x">x</a> <a href="/public">p</a>']


def test_a_run_refused_everywhere_fails_and_says_what_to_pass() -> None:
    result = run(_host_checking, RunOptions(database=None, seed=3, max_examples=30))
    assert set(result.failures) == {"HARNESS-ALL-REFUSED"}
    message = result.failures["HARNESS-ALL-REFUSED"].finding.message
    assert "got 400 Bad Request" in message
    assert "-H 'Host: example.com'" in message
    assert result.failed()
    assert {status for _, row in result.answers.rows() for status in row} == {"400"}


def _flask_crashing() -> Any:
    """A real Flask app whose one view raises: Flask answers 500 itself, and 200 to OPTIONS."""
    flask = pytest.importorskip("flask")
    app = flask.Flask("crashing")

    @app.route("/")
    def index() -> str:
        raise RuntimeError("the database is not reachable")

    return app.wsgi_app


def test_a_run_with_only_failures_fails_whoever_answered_the_500() -> None:
    """An app that raises on every request, and a framework that answers 500 to every one
    (its OPTIONS aside, which it answers by itself): no request succeeded, so the run
    judged only failures and fails, though APP-TRAP-OWN-ERRORS is a SHOULD."""

    def raising(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise LookupError("no such setting: DATABASE_URL")

    options = RunOptions(database=None, seed=3, max_examples=30)
    raised = run(raising, options)
    assert set(raised.failures) == {"APP-TRAP-OWN-ERRORS", "HARNESS-ALL-ERRORS"}
    assert raised.failed()
    message = raised.failures["HARNESS-ALL-ERRORS"].finding.message
    assert "the app raised (30 times), first: LookupError escaped the application" in message
    assert "DATABASE_URL" in message
    assert "each 2xx" not in message  # every answer was a 500
    answered = run(_flask_crashing(), options)
    assert set(answered.failures) == {"HARNESS-ALL-ERRORS"}
    message = answered.failures["HARNESS-ALL-ERRORS"].finding.message
    assert "the app answered the errors itself" in message
    server_errors = sum(row.get("500", 0) for row in answered.answers.paths.values())
    assert answered.answers.failed == {"answered": server_errors}
    assert answered.answers.succeeded == 0


def test_only_the_apps_own_failures_and_successes_count() -> None:
    """200s to OPTIONS alone are no success; a 500 the server answered in place of an
    invalid response is no failure of the app's; without the causes, every 5xx is."""
    answers = {"/": {"200": 3, "500": 10}, "/x": {"404": 2}}
    assert failure(answers, {RAISED: 10}, succeeded=0) == {"500": 10, "200": 3, "404": 2}
    assert failure(answers, {RAISED: 10}, succeeded=1) is None
    assert failure(answers, {REPLACED: 10}, succeeded=0) is None
    assert failure({"/": {"500": 4}}, None) is None  # too few to tell
    assert failure({"/": {"503": 5, "timeout": 9}}, None) == {"503": 5}
    assert failure({"/": {"404": 5}}, None) is None  # refusals: HARNESS-ALL-REFUSED's
    assert failure({"/": {"501": 3, "505": 3}}, None) is None  # refusals too
    assert failure({"/": {"501": 3, "502": 3}}, None) == {"501": 3, "502": 3}


def test_a_success_the_server_replaced_for_breaking_pep_3333_shows_the_app_working() -> None:
    """An app whose every 200 carries a control character in a field (the server answers
    500 in its place: that rule's finding) and that raises on one path besides: the rules
    saw its responses, so the run did not see only its failures (a trial of 2026-12-07 was
    told "none got a successful answer")."""

    def controlled(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/boom":
            raise RuntimeError("boom")
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Note", "a\x1bb")])
        return [b"ok"]

    options = RunOptions(database=None, seed=3, max_examples=30, paths=("/", "/boom"))
    result = run(controlled, options)
    assert set(result.failures) == {"APP-HEADER-VALUE-NO-CONTROL", "APP-TRAP-OWN-ERRORS"}
    # Each replaced 200 but those to OPTIONS (which frameworks answer by themselves).
    assert 0 < result.answers.succeeded < result.answers.failed[REPLACED]
    assert result.answers.failed[RAISED] > 0


def test_all_errors_is_shown_on_a_request_the_app_failed_on() -> None:
    """Tryton answers 405 to GET and raises on a POST (a trial of 2026-12-07): the finding
    was shown on "GET / -> 405", the run's first answer, which fails on nothing."""

    def rpc_only(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            start_response(
                "405 Method Not Allowed", [("Allow", "POST"), ("Content-Type", "text/plain")]
            )
            return [b"POST only"]
        raise ValueError("no JSON-RPC body")

    result = run(rpc_only, RunOptions(database=None, seed=3, max_examples=30))
    failure = result.failures["HARNESS-ALL-ERRORS"]
    assert failure.request.method not in ("GET", "HEAD")


def test_an_app_that_raises_after_its_first_block_fails_though_its_status_said_200() -> None:
    """The status went out before the app raised, so the client got a 200 cut short: no
    success. The message names what it raised though APP-TRAP-OWN-ERRORS, whose finding
    tells it too, is ignored."""

    def cut_short(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"first "
        raise ConnectionError("the upstream went away")

    options = RunOptions(database=None, seed=3, max_examples=20)
    result = run(cut_short, options)
    assert set(result.failures) == {"APP-TRAP-OWN-ERRORS", "HARNESS-ALL-ERRORS"}
    assert result.answers.succeeded == 0
    assert result.answers.failed == {RAISED: result.answers.total}
    ignoring = run(cut_short, replace(options, ignore=("APP-TRAP-OWN-ERRORS",)))
    assert set(ignoring.failures) == {"HARNESS-ALL-ERRORS"}
    message = ignoring.failures["HARNESS-ALL-ERRORS"].finding.message
    assert "the app raised (20 times), first: ConnectionError escaped the iteration" in message
    assert "the upstream went away" in message
    # The 200s it lists are told for what they were: cut short.
    assert (
        "(200 ×20; each 2xx or 304 here answered OPTIONS, or was cut short and the app raised)"
    ) in message


def test_a_body_the_server_cut_short_for_another_rule_is_still_a_success() -> None:
    """The app promised 10 bytes and sent 2: APP-CL-ACCURATE's finding, not a failure."""

    def short(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] != "GET":
            raise RuntimeError("only GET")
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
        return [b"ok"]

    result = run(short, RunOptions(database=None, seed=3, max_examples=30))
    assert set(result.failures) == {"APP-CL-ACCURATE", "APP-TRAP-OWN-ERRORS"}
    assert result.answers.succeeded >= 1


def test_an_app_that_raises_in_close_after_a_whole_response_did_its_work() -> None:
    class Closing(list[bytes]):
        def close(self) -> None:
            raise RuntimeError("the session could not be saved")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Closing([b"ok"])

    result = run(app, RunOptions(database=None, seed=3, max_examples=20))
    assert set(result.failures) == {"APP-TRAP-OWN-ERRORS"}
    assert result.answers.failed == {}


@pytest.mark.parametrize("status", ["501 Not Implemented", "505 HTTP Version Not Supported"])
def test_a_501_or_505_to_everything_is_a_refusal_not_a_failure(status: str) -> None:
    def refusing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain")])
        return [b"no"]

    result = run(refusing, RunOptions(database=None, seed=3, max_examples=20))
    assert set(result.failures) == {"HARNESS-ALL-REFUSED"}
    assert result.answers.failed == {}
    message = result.failures["HARNESS-ALL-REFUSED"].finding.message
    assert f"got {status}" in message


def test_answers_to_options_are_never_the_refusal_to_get_past() -> None:
    """A framework answers OPTIONS by itself while every view fails: those 200s are the most
    common status, but there is no refusal to point past."""
    extra = Extra(
        answers={"/": {"200": 20, "500": 5, "404": 2}},
        failed={ANSWERED: 5},
        succeeded=0,
    )
    message = _all_errors_message(extra)
    assert "most answers were" not in message
    assert "the app answered the errors itself" in message
    refused = replace(extra, answers={"/": {"404": 30, "200": 20, "500": 5}})
    assert "most answers were 404" in _all_errors_message(refused)
    # The note on 2xx answers is about the statuses listed, the five most common.
    past_the_list = replace(
        extra, answers={"/": {"500": 30, "404": 5, "403": 4, "401": 3, "400": 2, "204": 1}}
    )
    assert "(500 ×30, 404 ×5, 403 ×4, 401 ×3, 400 ×2, …): " in _all_errors_message(past_the_list)
    assert "(200 ×20, 500 ×5, 404 ×2; each 2xx or 304 here answered OPTIONS" in message


def _all_errors_message(extra: Extra) -> str:
    """HARNESS-ALL-ERRORS's one finding on a run whose answers ``extra`` tells (judged on a
    500 to GET /, the run's first answer)."""
    reply = Response(
        Request(method="GET", target="/"), 500, "Internal Server Error", [], b"", True, None, []
    )
    (found,) = REGISTRY["HARNESS-ALL-ERRORS"].check(Exchange(reply, extra=extra))
    return found.message


def test_404s_to_drawn_paths_are_no_refusal_where_the_app_fails_on_its_own() -> None:
    """A Flask app whose one view raises: the 404s to the drawn paths no app serves
    ("/aaaa…", "*") outnumber its 500s, but its path was served; "serves none of the paths
    tried: pass the ones it serves with --path" was false (a trial of 2026-12-06)."""
    extra = Extra(
        answers={
            "/": {"500": 55, "405": 45, "200": 5},
            "*": {"404": 20},
            "/aaaa": {"404": 54},
        },
        failed={ANSWERED: 55},
        succeeded=0,
    )
    message = _all_errors_message(extra)
    assert "most answers were" not in message
    # wsgi.errors is not shown as the app's output: the note quotes its last line.
    assert "the run's note names the first, with the last line the app wrote" in message


def test_nearly_every_answer_one_refusal_points_past_it_though_the_app_failed_elsewhere() -> None:
    """Pyramid's hello app: 404 to every path but the few drawn ones that are not UTF-8, on
    which it raised. Those paths got only 500s, yet getting past the 404 comes first (the
    README said so; the message said only "fix that, or give it what it needs to start")."""
    extra = Extra(
        answers={"/": {"404": 90}, "/aaaa": {"404": 97}, "/caf%E9": {"500": 13}},
        failed={RAISED: 13},
        succeeded=0,
    )
    message = _all_errors_message(extra)
    assert "most answers were 404: the app serves none of the paths tried" in message
    assert "give it what it needs to start" not in message


def test_refusals_with_a_crash_among_them_point_past_the_refusal_first() -> None:
    def unserved(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            raise UnicodeDecodeError("utf-8", b"\xae", 0, 1, "invalid start byte")
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    result = run(unserved, RunOptions(database=None, seed=3, max_examples=40))
    assert set(result.failures) == {"APP-TRAP-OWN-ERRORS", "HARNESS-ALL-ERRORS"}
    message = result.failures["HARNESS-ALL-ERRORS"].finding.message
    assert "most answers were 404: the app serves none of the paths tried" in message
    assert "and the app raised" in message


def test_a_500_the_server_answered_for_a_refused_response_is_not_the_apps_failure() -> None:
    """Every answer is the server's 500 in place of an invalid status: that is
    APP-STATUS-FORMAT's finding, and the run fails on it alone. The app's 200s (to all but
    OPTIONS) show it working."""

    def bad_status(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    result = run(bad_status, RunOptions(database=None, seed=3, max_examples=20))
    assert set(result.failures) == {"APP-STATUS-FORMAT"}
    assert result.answers.failed == {"replaced": result.answers.total}
    assert 0 < result.answers.succeeded < result.answers.total


def test_one_success_is_enough() -> None:
    def mostly_raising(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "GET" and environ["PATH_INFO"] == "/":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        raise RuntimeError("broken")

    result = run(mostly_raising, RunOptions(database=None, seed=3, max_examples=30))
    assert set(result.failures) == {"APP-TRAP-OWN-ERRORS"}
    assert result.answers.succeeded >= 1
    assert not result.failed()


def test_the_header_gets_past_it_and_excluded_paths_are_never_sent() -> None:
    options = RunOptions(
        database=None,
        seed=3,
        max_examples=40,
        headers=(("Host", "example.com"),),
        exclude_paths=("/private",),
    )

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        assert environ["HTTP_HOST"] == "example.com"
        return _host_checking(environ, start_response)

    result = run(app, options)
    assert result.failures == {}
    assert "/public" in result.paths
    assert not any(path.startswith("/private") for path in result.paths)
    assert not any(path.startswith("/private") for path in result.answers.paths)
    assert result.answers.paths["/"]["200"] >= 1
    assert discover(app, headers=[("Host", "example.com")], exclude=["/"]) == []


#: An app that asks for every method: a POST form on /, a 405 naming PUT and DELETE in Allow
#: on /item, validators to revalidate; it writes each method it gets to its own file.
INVITING_APP = """\
import os

LOG = os.environ["INVITING_APP_LOG"]
FORM = b'<form method="post" action="/item"><input name="q" value="1"></form><a href="/item">i</a>'


def app(environ, start_response):
    method = environ["REQUEST_METHOD"]
    with open(LOG, "a", encoding="latin-1") as log:
        log.write(method + "\\n")
    if environ["PATH_INFO"] == "/item" and method not in ("GET", "HEAD"):
        allow = ("Allow", "GET, HEAD, POST, PUT, DELETE")
        start_response("405 Method Not Allowed", [allow, ("Content-Length", "0")])
        return []
    body = FORM if environ["PATH_INFO"] == "/" else b"item"
    length = ("Content-Length", str(len(body)))
    start_response("200 OK", [("Content-Type", "text/html"), ("ETag", '"v1"'), length])
    return [body] if method != "HEAD" else []
"""


def _wsgicheck_check(
    cwd: Path, target: str, *options: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``wsgicheck check TARGET --no-database OPTIONS`` run in ``cwd``, which ends with
    exit status 0 or 1 (a verdict, not an error)."""
    done = subprocess.run(
        [sys.executable, "-m", "wsgicheck", "check", target, "--no-database", *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done


def _methods_sent(tmp_path: Path, *options: str) -> tuple[dict[str, Any], set[str]]:
    """A ``check`` of :data:`INVITING_APP`, and the methods the app got."""
    (tmp_path / "inviting.py").write_text(INVITING_APP, encoding="utf-8")
    log = tmp_path / f"methods{len(list(tmp_path.glob('methods*')))}.txt"
    drawn = ("--format", "json", "--seed", "3", "--examples", "150", *options)
    done = _wsgicheck_check(tmp_path, "inviting.py:app", *drawn, env={"INVITING_APP_LOG": str(log)})
    return json.loads(done.stdout), set(log.read_text(encoding="latin-1").split())


def test_read_only_sends_only_the_safe_methods(tmp_path: Path) -> None:
    # Without it, the run submits the form and sends what Allow names: the app invites them.
    report, methods = _methods_sent(tmp_path)
    assert report["read_only"] is False
    assert {"POST", "PUT", "DELETE"} <= methods
    report, methods = _methods_sent(tmp_path, "--read-only")
    assert report["read_only"] is True
    assert methods == {"GET", "HEAD", "OPTIONS", "TRACE"}


def test_an_app_that_takes_only_post_under_read_only_is_told_why_it_was_not_judged() -> None:
    """The review of 2026-12-06: the refusal's advice (-H, --path) could not help a run
    that --read-only kept from the one method the app takes."""

    def post_only(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] != "POST":
            start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
            return []
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]

    options = RunOptions(database=None, seed=3, max_examples=30, read_only=True)
    result = run(post_only, options)
    assert set(result.failures) == {"HARNESS-ALL-REFUSED"}
    message = result.failures["HARNESS-ALL-REFUSED"].finding.message
    assert "got 405 Method Not Allowed (Allow: POST)" in message
    assert "--read-only sends GET, HEAD, OPTIONS and TRACE alone" in message
    assert not run(post_only, replace(options, read_only=False)).failures


def test_read_only_is_shown_and_read_from_every_source(tmp_path: Path) -> None:
    (tmp_path / "inviting.py").write_text(INVITING_APP, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text("[tool.wsgicheck]\nread_only = true\n")
    log = {"INVITING_APP_LOG": str(tmp_path / "log.txt"), "COLUMNS": "100"}
    done = _wsgicheck_check(tmp_path, "inviting.py:app", env=log)
    assert " · read-only" in done.stdout.splitlines()[1]
    assert set((tmp_path / "log.txt").read_text().split()) <= {"GET", "HEAD", "OPTIONS", "TRACE"}


def _check(target: str, *options: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    quick = ("--format", "json", "--profile", "quick", "--seed", "3", *options)
    done = _wsgicheck_check(cwd, target, *quick)
    return done.returncode, json.loads(done.stdout)


def test_django_with_allowed_hosts_is_a_finding_until_given_its_host(tmp_path: Path) -> None:
    """The seed's Django project with ``ALLOWED_HOSTS = ["example.com"]``: Django answers
    every other Host with 400, and a run without -H judged only that."""
    project = tmp_path / "helloworld"
    shutil.copytree(ROOT / "fixtures" / "helloworld", project)
    settings = project / "helloworld" / "settings.py"
    text = settings.read_text()
    assert 'ALLOWED_HOSTS = ["*"]' in text
    settings.write_text(text.replace('ALLOWED_HOSTS = ["*"]', 'ALLOWED_HOSTS = ["example.com"]'))
    (tmp_path / "site_app.py").write_text(
        "import sys\nfrom pathlib import Path\n"
        "sys.path.insert(0, str(Path(__file__).resolve().parent / 'helloworld'))\n"
        "from helloworld.wsgi import application as app  # noqa: E402\n"
    )
    target = "site_app.py:app"
    status, report = _check(target, "--path", "/hello", cwd=tmp_path)
    failed = {entry["rule"]: entry for entry in report["results"] if entry["status"] == "fail"}
    assert (status, sorted(failed)) == (1, ["HARNESS-ALL-REFUSED"])
    assert "-H 'Host: example.com'" in failed["HARNESS-ALL-REFUSED"]["message"]
    assert {s for row in report["answers"] for s in row["statuses"]} == {"400"}
    status, report = _check(target, "--path", "/hello", "-H", "Host: example.com", cwd=tmp_path)
    failed = {entry["rule"]: entry for entry in report["results"] if entry["status"] == "fail"}
    assert (status, sorted(failed)) == (0, [])
    hello = next(row for row in report["answers"] if row["path"] == "/hello")
    assert hello["statuses"].get("200", 0) >= 1


def test_a_glob_may_start_with_any_of_its_characters() -> None:
    """'[/]' (the root alone) was refused: a glob had to start with '*'."""
    for pattern in ("[/]", "?", "*.php", "/admin"):
        assert BY_NAME["exclude_path"].kind([pattern]) == (pattern,)
    with pytest.raises(ValueError, match="a path"):
        BY_NAME["exclude_path"].kind(["logout"])


def test_a_bad_header_or_pattern_is_a_usage_error() -> None:
    for option in (["-H", "no colon"], ["--exclude-path", "logout"]):
        done = subprocess.run(
            [sys.executable, "-m", "wsgicheck", "check", "fixtures/wsgiapp.py:app", *option],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            check=False,
        )
        assert done.returncode == 2
        assert done.stderr.count("\n") == 1


def test_the_text_table_of_answers_lines_up_past_a_cut_path() -> None:
    # A path longer than the column is cut with a marker; the statuses still line up.
    from types import SimpleNamespace

    from wsgicheck.report.text import _answers

    answers = Answers()
    answers.add("/", "200", 9)
    answers.add("/" + "a" * 300, "404", 3)
    answers.add("/" + "é" * 50, "404", 2)
    lines = _answers(SimpleNamespace(answers=answers), color=False, verbosity=0)  # type: ignore[arg-type]
    rows = [line for line in lines[1:] if line]
    assert len(rows) == 3
    assert "more characters cut" in rows[1]
    assert len({line.index(" 200 ×" if "200" in line else " 404 ×") for line in rows}) == 1
    assert all(len(line) <= 100 for line in rows)
