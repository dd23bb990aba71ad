"""The ``wsgicheck`` command: the real console script in a subprocess, and ``main`` in-process."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import wsgicheck
from wsgicheck.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TIMEOUT = 60

#: Exchanges ``check`` runs: five per path, plus one non-ASCII target.
PER_PATH = 5


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "wsgicheck"]  # pragma: no cover - no console script here


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def seed_target(cwd: Path) -> str:
    """The bare seed app as a path relative to ``cwd``, which is not the repository."""
    return f"{os.path.relpath(FIXTURES / 'wsgiapp.py', cwd)}:app"


def write_app(folder: Path, name: str, source: str) -> str:
    (folder / name).write_text(textwrap.dedent(source))
    return f"{name}:app"


def summary(stdout: str) -> str:
    return stdout.rstrip("\n").splitlines()[-1]


# -- the console script ---------------------------------------------------------------------


def test_check_seed_app(tmp_path: Path) -> None:
    target = seed_target(tmp_path)
    result = run(tmp_path, "check", target)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert "> GET /hello HTTP/1.1" in lines
    assert "> HEAD /hello HTTP/1.1" in lines
    assert "> POST /hello HTTP/1.1" in lines
    assert "< HTTP/1.1 200 OK" in lines
    assert "< HTTP/1.1 404 Not Found" in lines  # the non-ASCII path
    assert "> GET /caf%C3%A9//x HTTP/1.1" in lines
    trace = [line for line in lines if line.startswith("* ")]
    assert any(line.startswith("* start_response('200 OK', ") for line in trace)
    assert "* headers sent: 200 OK" in trace
    assert not any(line.startswith("!") for line in lines)
    exchanges = 2 * PER_PATH + 1
    assert summary(result.stdout) == f"{target}: {exchanges} exchanges, no problems"
    assert lines.count("> Host: localhost") == exchanges


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wsgicheck", "check", seed_target(tmp_path), "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("11 exchanges, no problems\n")


def test_quiet_prints_only_the_summary(tmp_path: Path) -> None:
    target = seed_target(tmp_path)
    for flag in ("--quiet", "-q"):
        result = run(tmp_path, "check", target, flag)
        assert result.returncode == 0, result.stderr
        assert result.stdout == f"{target}: 11 exchanges, no problems\n"


def test_path_selects_what_is_exercised(tmp_path: Path) -> None:
    result = run(tmp_path, "check", seed_target(tmp_path), "--path", "/a", "--path", "/b/c")
    assert result.returncode == 0, result.stderr
    request_lines = [
        line for line in result.stdout.splitlines() if line.startswith("> ") and " HTTP/" in line
    ]
    assert request_lines == [
        "> GET /a HTTP/1.1",
        "> HEAD /a HTTP/1.1",
        "> GET /a?q=1&empty=&pct=%25 HTTP/1.1",
        "> POST /a HTTP/1.1",
        "> POST /a HTTP/1.1",
        "> GET /b/c HTTP/1.1",
        "> HEAD /b/c HTTP/1.1",
        "> GET /b/c?q=1&empty=&pct=%25 HTTP/1.1",
        "> POST /b/c HTTP/1.1",
        "> POST /b/c HTTP/1.1",
        "> GET /caf%C3%A9//x HTTP/1.1",
    ]
    assert "/hello" not in result.stdout
    assert "> [50 bytes of body, chunked]" in result.stdout
    assert "> Content-Type: application/x-www-form-urlencoded" in result.stdout


SCRIPT_NAME_APP = """
def app(environ, start_response):
    seen = environ["SCRIPT_NAME"] + "|" + environ["PATH_INFO"]
    status = "200 OK" if environ["SCRIPT_NAME"] == "/prefix" else "500 Internal Server Error"
    start_response(status, [("X-Seen", seen), ("Content-Length", "0")])
    return []
"""


def test_script_name_mounts_the_app(tmp_path: Path) -> None:
    target = write_app(tmp_path, "wc_mounted.py", SCRIPT_NAME_APP)
    result = run(tmp_path, "check", target, "--script-name", "/prefix", "--path", "/hello")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "> GET /prefix/hello HTTP/1.1" in lines
    assert "< X-Seen: /prefix|/hello" in lines
    assert "< HTTP/1.1 500 Internal Server Error" not in lines
    assert lines.count("< HTTP/1.1 200 OK") == PER_PATH + 1


def test_without_script_name_the_app_sees_none(tmp_path: Path) -> None:
    target = write_app(tmp_path, "wc_unmounted.py", SCRIPT_NAME_APP)
    result = run(tmp_path, "check", target, "--path", "/hello")
    assert "< X-Seen: |/hello" in result.stdout.splitlines()


BROKEN_APPS = {
    "APP-YIELD-BYTES": """
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return ["a str, not bytes"]
        """,
    "APP-SR-CALLED": """
        def app(environ, start_response):
            return []
        """,
    "APP-SR-BEFORE-BODY": """
        def app(environ, start_response):
            return [b"never started"]
        """,
    "APP-STATUS-FORMAT": """
        def app(environ, start_response):
            start_response("OK", [])
            return [b"x"]
        """,
}


@pytest.mark.parametrize("rule", sorted(BROKEN_APPS))
def test_broken_app_exits_1_naming_the_rule(tmp_path: Path, rule: str) -> None:
    target = write_app(tmp_path, "wc_broken.py", BROKEN_APPS[rule])
    result = run(tmp_path, "check", target)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr == ""
    problems = [line for line in result.stdout.splitlines() if line.startswith("!")]
    assert len(problems) >= 11  # one per exchange at least; a refusal may also raise
    assert all(re.match(rf"! (GET|HEAD|POST) /\S*: .*\b{rule}\b", line) for line in problems)
    assert "< HTTP/1.1 500 Internal Server Error" in result.stdout
    assert summary(result.stdout) == f"{target}: 11 exchanges, 11 with problems"
    quiet = run(tmp_path, "check", target, "--quiet")
    assert quiet.returncode == 1
    assert quiet.stdout.splitlines() == [*problems, summary(result.stdout)]


def test_app_that_raises_is_a_problem_with_its_line(tmp_path: Path) -> None:
    target = write_app(
        tmp_path,
        "wc_raising.py",
        """
        def app(environ, start_response):
            if environ["REQUEST_METHOD"] == "POST":
                raise ValueError("posts are not welcome")
            start_response("204 No Content", [])
            return []
        """,
    )
    result = run(tmp_path, "check", target, "--quiet")
    assert result.returncode == 1
    problems = result.stdout.splitlines()[:-1]
    assert len(problems) == 4  # two POSTs for each default path
    for line in problems:
        assert line.startswith("! POST /")
        assert "app raised ValueError: posts are not welcome" in line
        assert f"{tmp_path / 'wc_raising.py'}:4" in line
    assert summary(result.stdout).endswith("11 exchanges, 4 with problems")


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
    result = run(tmp_path, "check", target)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("wsgicheck: error: ")
    assert result.stderr.endswith("\n")
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_import_error_message_names_the_missing_dependency(tmp_path: Path) -> None:
    (tmp_path / "wc_needs.py").write_text("import wc_not_installed\n")
    result = run(tmp_path, "check", "wc_needs:app")
    assert result.returncode == 2
    assert "wc_not_installed" in result.stderr
    assert f"{tmp_path / 'wc_needs.py'}:1" in result.stderr


def test_version(tmp_path: Path) -> None:
    result = run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout == f"wsgicheck {wsgicheck.__version__}\n"


def test_no_command_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: wsgicheck" in result.stderr
    assert "COMMAND" in result.stderr


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = run(tmp_path, "check", seed_target(tmp_path), "--no-such-option")
    assert result.returncode == 2
    assert result.stdout == ""
    assert "unrecognized arguments: --no-such-option" in result.stderr


def test_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """``wsgicheck check ... | head -1``: no BrokenPipeError traceback, exit status 1."""
    paths = [arg for i in range(100) for arg in ("--path", f"/p{i}")]  # far past a pipe buffer
    with subprocess.Popen(
        [*_command(), "check", seed_target(tmp_path), *paths],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        assert process.stdout.readline() == b"> GET /p0 HTTP/1.1\n"
        process.stdout.close()
        status = process.wait(timeout=TIMEOUT)
        stderr = process.stderr.read().decode()
    assert stderr == ""
    assert status == 1


# -- main() in-process ------------------------------------------------------------------------


def test_main_check(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"{FIXTURES / 'wsgiapp.py'}:app"
    assert main(["check", target, "--path", "/hello"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "> GET /hello HTTP/1.1" in out.splitlines()
    assert summary(out) == f"{target}: 6 exchanges, no problems"


def test_main_quiet_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_app(tmp_path, "wc_inproc_broken.py", BROKEN_APPS["APP-SR-CALLED"])
    target = f"{tmp_path / 'wc_inproc_broken.py'}:app"
    try:
        assert main(["check", target, "-q", "--path", "/"]) == 1
    finally:
        sys.modules.pop("wc_inproc_broken", None)
        sys.path.remove(str(tmp_path))
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == PER_PATH + 2
    assert all("APP-SR-CALLED" in line for line in lines[:-1])


def test_main_reports_an_app_that_raises(capsys: pytest.CaptureFixture[str]) -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        raise LookupError("no route")

    module = type(sys)("wc_inproc_raising")
    module.app = app  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        assert main(["check", "wc_inproc_raising:app", "--quiet", "--path", "/"]) == 1
    finally:
        del sys.modules[module.__name__]
    lines = capsys.readouterr().out.splitlines()
    line = app.__code__.co_firstlineno + 1
    assert lines[0] == f"! GET /: app raised LookupError: no route ({__file__}:{line})"
    assert lines[-1] == "wc_inproc_raising:app: 6 exchanges, 6 with problems"


def test_main_bad_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "absent.py")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("wsgicheck: error: cannot find file")
    assert err.count("\n") == 1


def test_main_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"wsgicheck {wsgicheck.__version__}\n"


@pytest.mark.parametrize("quiet", [True, False], ids=["at-flush", "while-printing"])
def test_main_on_a_closed_pipe(monkeypatch: pytest.MonkeyPatch, quiet: bool) -> None:
    """A real pipe whose reader is gone: the error comes at the final flush or mid-output."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(write_end, "w")), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stdout)
    argv = ["check", f"{FIXTURES / 'wsgiapp.py'}:app"]
    if quiet:
        argv.append("--quiet")
    else:
        argv += [arg for i in range(50) for arg in ("--path", f"/p{i}")]
    try:
        assert main(argv) == 1
        stdout.write("more output\n")
        stdout.flush()  # stdout now goes to devnull: no second error
    finally:
        stdout.close()
