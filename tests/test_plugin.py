"""The pytest plugin, exercised the way users meet it: pytest run in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

SEED = Path(__file__).resolve().parent.parent / "fixtures" / "wsgiapp.py"
TARGET = f"{SEED}:app"
TIMEOUT = 120

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


def assert_no_plugin_source(result: pytest.RunResult) -> None:
    """Errors from the fixture show the message, not a listing of the plugin's code."""
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "raise pytest.UsageError" not in output
    assert "plugin.py" not in output


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=TIMEOUT)


def test_option_gives_the_fixtures_and_the_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester, "--wsgi-app", TARGET)
    result.assert_outcomes(passed=4)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines([f"wsgicheck: app {TARGET}", "*4 passed*"])


def test_wsgi_server_serves_the_app_on_a_real_socket(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        import http.client
        from urllib.parse import urlsplit


        def test_served(wsgi_server):
            url = urlsplit(wsgi_server.url)
            assert url.hostname == "127.0.0.1"
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            try:
                connection.request("GET", "/hello")
                response = connection.getresponse()
                assert response.status == 200
                assert response.read() == b"Hello world from a simple WSGI application!\\n"
            finally:
                connection.close()
        """
    )
    run(pytester, f"--wsgi-app={TARGET}").assert_outcomes(passed=1)


def test_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini(f"[pytest]\nwsgi_app = {TARGET}\n")
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines([f"wsgicheck: app {TARGET}"])


def test_option_wins_over_the_ini_key(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nwsgi_app = wc_no_such_module:app\n")
    pytester.makepyfile(test_user=USER_TESTS)
    run(pytester, f"--wsgi-app={TARGET}").assert_outcomes(passed=4)


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
    run(pytester, "--wsgi-app=wc_userapp:make()").assert_outcomes(passed=1)


def test_without_an_app_plain_tests_run_and_there_is_no_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_plain():\n    assert True\n")
    result = run(pytester)
    result.assert_outcomes(passed=1)
    assert "wsgicheck:" not in result.stdout.str()


def test_option_is_listed_in_help(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(["wsgicheck: WSGI (PEP 3333) conformance:", "*--wsgi-app=TARGET*"])
    result.stdout.fnmatch_lines(["*wsgi_app (string):*"])


def test_fixture_without_the_option_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(
        ["E   pytest.UsageError: the wsgi_app fixture needs --wsgi-app=module:callable"]
    )
    assert_no_plugin_source(result)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("wc_no_such_module:app", "*--wsgi-app: no module named 'wc_no_such_module'*"),
        ("missing/app.py:app", "*--wsgi-app: cannot find file 'missing/app.py'*"),
        (f"{SEED}:nope", "*--wsgi-app: module 'wsgiapp' has no attribute 'nope'*"),
    ],
)
def test_bad_target_is_a_clear_error(pytester: pytest.Pytester, target: str, message: str) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = run(pytester, f"--wsgi-app={target}")
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines([message])
    assert_no_plugin_source(result)


def test_import_error_inside_the_app_is_reported(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        wc_brokenapp="import wc_not_installed\n",
        test_user="def test_it(wsgi_client):\n    pass\n",
    )
    result = run(pytester, "--wsgi-app=wc_brokenapp:app")
    result.assert_outcomes(errors=1)
    assert_no_plugin_source(result)
    result.stdout.fnmatch_lines(["*--wsgi-app: importing 'wc_brokenapp' failed*wc_not_installed*"])


# -- the same, in this process: pytest-cov does not follow pytest into a subprocess -----------


def test_in_process_fixtures_and_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=USER_TESTS
        + """

def test_server(wsgi_server):
    assert wsgi_server.url.startswith("http://127.0.0.1:")
"""
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", f"--wsgi-app={TARGET}")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines([f"wsgicheck: app {TARGET}"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "*the wsgi_app fixture needs --wsgi-app=module:callable*"),
        (("--wsgi-app=wc_no_such_module:app",), "*--wsgi-app: no module named*"),
    ],
    ids=["no-option", "bad-target"],
)
def test_in_process_errors(pytester: pytest.Pytester, args: tuple[str, ...], message: str) -> None:
    pytester.makepyfile(test_user="def test_it(wsgi_client):\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", *args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([message])
    assert_no_plugin_source(result)
