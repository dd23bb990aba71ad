"""The command line keeps the conventions of terminal tools: ``NO_COLOR`` and ``FORCE_COLOR``,
usage for a bare ``wsgicheck``, one line and exit status 2 for any out-of-range option, every
option's default in ``--help``, and a ``.wsgicheck/`` that git ignores.

Colour is seen through a real pseudo-terminal; the rest through the console script.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import select
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

from test_cli import BROKEN, CLEAN, TIMEOUT, _command, cli, one_line_error
from wsgicheck.cli_parser import build_parser
from wsgicheck.rules import REGISTRY

ONE_RULE = ["--examples", "5", "--no-database", "--seed", "1", "--select", "APP-STATUS-FORMAT"]
ESCAPE = b"\033["


def _environment(extra: dict[str, str]) -> dict[str, str]:
    drop = {"NO_COLOR", "FORCE_COLOR", "GITHUB_ACTIONS"}
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **extra}


def _on_a_terminal(cwd: Path, args: list[str], extra: dict[str, str]) -> tuple[int, bytes]:
    """``wsgicheck ARGS`` with stdout on a pseudo-terminal: exit status, what it drew."""
    controller, terminal = os.openpty()
    drawn = b""
    try:
        process = subprocess.Popen(
            [*_command(), *args],
            cwd=cwd,
            stdout=terminal,
            stderr=subprocess.DEVNULL,
            env=_environment(extra),
        )
        os.close(terminal)
        terminal = -1
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:  # read as it comes: a full terminal would block it
            ready, _, _ = select.select([controller], [], [], 1.0)
            if not ready:
                continue
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the other end is closed and drained
                break
            if not chunk:
                break
            drawn += chunk
        status = process.wait(timeout=TIMEOUT)
    finally:
        if terminal != -1:
            os.close(terminal)
        os.close(controller)
    return status, drawn


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conventions")


# -- colour ---------------------------------------------------------------------------------------


TERMINAL_CASES = {
    "a terminal": ({}, [], True),
    "NO_COLOR": ({"NO_COLOR": "1"}, [], False),
    "NO_COLOR empty counts as unset": ({"NO_COLOR": ""}, [], True),
    "--no-color": ({}, ["--no-color"], False),
    "NO_COLOR beats FORCE_COLOR": ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
}


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
@pytest.mark.parametrize("case", sorted(TERMINAL_CASES))
def test_colour_on_a_terminal(workdir: Path, case: str) -> None:
    extra, flags, coloured = TERMINAL_CASES[case]
    status, drawn = _on_a_terminal(workdir, ["check", BROKEN, *ONE_RULE, *flags], extra)
    assert status == 1, drawn[-300:]
    assert b"APP-STATUS-FORMAT" in drawn
    assert (ESCAPE in drawn) is coloured


PIPE_CASES = {
    "a pipe": ({}, [], False),
    "FORCE_COLOR": ({"FORCE_COLOR": "1"}, [], True),
    "FORCE_COLOR empty counts as unset": ({"FORCE_COLOR": ""}, [], False),
    "--no-color beats FORCE_COLOR": ({"FORCE_COLOR": "1"}, ["--no-color"], False),
    "json is never coloured": ({"FORCE_COLOR": "1"}, ["--format", "json"], False),
}


@pytest.mark.parametrize("case", sorted(PIPE_CASES))
def test_colour_on_a_pipe(workdir: Path, case: str) -> None:
    extra, flags, coloured = PIPE_CASES[case]
    done = subprocess.run(
        [*_command(), "check", BROKEN, *ONE_RULE, *flags],
        cwd=workdir,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        env=_environment(extra),
    )
    assert done.returncode == 1, done.stderr
    assert b"APP-STATUS-FORMAT" in done.stdout
    assert (ESCAPE in done.stdout) is coloured


# -- usage ----------------------------------------------------------------------------------------


def test_a_bare_wsgicheck_prints_usage_and_the_commands(tmp_path: Path) -> None:
    """Exit status 2, as for any usage error; the help on stderr."""
    done = cli(tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: wsgicheck ")
    listed = set(re.findall(r"^    (\w+) ", done.stderr, re.MULTILINE))
    assert listed == {"check", "serve", "rules", "explain", "probe"}


OUT_OF_RANGE = [
    ["serve", CLEAN, "--port", "70000"],
    ["serve", CLEAN, "--port", "-1"],
    ["serve", CLEAN, "--threads", "0"],
    ["check", CLEAN, "--jobs", "0"],
    ["check", CLEAN, "--examples", "0"],
    ["check", CLEAN, "--timeout", "0"],
    ["probe", "wsgiref", "--examples", "-1"],
    ["probe", "wsgiref", "--start-timeout", "0"],
    ["probe", "wsgiref", "--timeout", "-1"],
]


@pytest.mark.parametrize("args", OUT_OF_RANGE, ids=lambda args: " ".join([args[0], *args[2:]]))
def test_an_out_of_range_option_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    done = cli(tmp_path, *args)
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    one_line_error(done.stderr)
    assert args[2] in done.stderr  # the line names the option


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [commands] = [
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    ]
    return dict(commands.choices)


@pytest.mark.parametrize("command", sorted(_commands()))
def test_every_option_with_a_value_says_its_default(command: str) -> None:
    parser = _commands()[command]
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue  # an argument, or a flag (off unless given), --help, --version
        shown = formatter._expand_help(action)
        assert "default:" in shown, (action.option_strings, shown)


def test_format_lists_its_choices(capsys: pytest.CaptureFixture[str]) -> None:
    from wsgicheck import report

    shown = " ".join(_commands()["check"].format_help().split())
    assert f"one of {', '.join(report.names())} (default: text)" in shown
    assert f"--report-dir, each one of {', '.join(report.names())} (default: none)" in shown


# -- .wsgicheck/ ----------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, timeout=TIMEOUT, check=True
    )
    return done.stdout


def test_the_state_folder_it_makes_is_ignored_by_git(tmp_path: Path) -> None:
    """A failing run saves its examples in .wsgicheck/examples; git sees none of it."""
    _git(tmp_path, "init", "-q")
    done = cli(tmp_path, "check", BROKEN, "--examples", "10", "--no-corpus", "--seed", "1")
    assert done.returncode == 1, done.stderr
    assert (tmp_path / ".wsgicheck" / "examples").is_dir()
    assert (tmp_path / ".wsgicheck" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert _git(tmp_path, "status", "--porcelain", "--untracked-files=all") == ""


def test_a_state_folder_of_the_users_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / ".wsgicheck").mkdir()
    done = cli(tmp_path, "check", CLEAN, *ONE_RULE)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".wsgicheck" / ".gitignore").exists()


# -- a clean run fits a screen --------------------------------------------------------------------

TALLY = re.compile(r"  (?:✓ (\d+) passed)?(?:   )?(?:· (\d+) skipped)?")
SUMMARY = re.compile(
    r"passed: 0 rules failed, 0 warned, (\d+) passed, (\d+) skipped \((\d+) rules\)"
)
FEW = ["--examples", "10", "--no-database", "--seed", "1"]


def test_a_clean_run_counts_passed_and_skipped_rules_per_group(workdir: Path) -> None:
    done = cli(workdir, "check", CLEAN, *FEW)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    summary = SUMMARY.fullmatch(lines[-1])
    assert summary, lines[-1]
    passed, skipped, total = (int(each) for each in summary.groups())
    body = lines[lines.index("") :]  # after the head and its legend
    tallies = [TALLY.fullmatch(line) for line in body if line.startswith(("  ✓ ", "  · "))]
    assert len(tallies) == 3  # one per group: the app, the server, the environ
    assert all(tallies), lines
    assert sum(int(each[1] or 0) for each in tallies if each) == passed
    assert sum(int(each[2] or 0) for each in tallies if each) == skipped
    assert not any(rule.id in done.stdout for rule in REGISTRY)
    assert len(lines) < 25  # a screen
    assert total == len(REGISTRY)


def test_verbose_lists_every_rule(workdir: Path) -> None:
    done = cli(workdir, "check", CLEAN, *FEW, "-v")
    assert done.returncode == 0, done.stderr
    ids = re.findall(r"^  [✓·] ([A-Z][A-Z0-9-]+) ", done.stdout, re.MULTILINE)
    assert sorted(ids) == sorted(rule.id for rule in REGISTRY)


def test_quiet_gives_the_failures_and_the_summary(workdir: Path) -> None:
    done = cli(workdir, "check", BROKEN, *FEW, "-q")
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "✗ APP-STATUS-FORMAT (MUST)"
    assert lines[-1].startswith("FAILED: 1 rule failed")
    assert [line for line in lines if line.startswith("✗ ")] == ["✗ APP-STATUS-FORMAT (MUST)"]
    clean = cli(workdir, "check", CLEAN, *FEW, "--quiet")
    assert clean.returncode == 0, clean.stderr
    assert len(clean.stdout.splitlines()) == 1
    assert SUMMARY.fullmatch(clean.stdout.rstrip("\n"))


def test_verbose_and_quiet_together_is_a_usage_error(tmp_path: Path) -> None:
    done = cli(tmp_path, "check", CLEAN, "-v", "-q")
    assert done.returncode == 2
    one_line_error(done.stderr)


# -- lines fit 100 columns ------------------------------------------------------------------------

LONG_PATH = "/" + "long-segment/" * 12 + "end"
LONG_PATH_APP = """
def app(environ, start_response):
    # APP-STATUS-FORMAT, but only on the long path: the smallest request is a long one.
    path = environ["PATH_INFO"]
    status = "200  OK" if path == "/" + "long-segment/" * 12 + "end" else "200 OK"
    start_response(status, [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def _block(lines: list[str], start: str, end: str | tuple[str, ...]) -> list[str]:
    first = lines.index(start) + 1
    return lines[first : next(i for i in range(first, len(lines)) if lines[i].startswith(end))]


def test_every_line_fits_100_columns_and_the_reproducers_still_run(tmp_path: Path) -> None:
    """A clean run and a failing one whose TARGET, request and reproducers are all longer
    than a line: every line of the output fits, and the folded curl and Python say what
    the unfolded ones (in the JSON report of the same run) say."""
    clean = cli(tmp_path, "check", CLEAN, *FEW, "-v")
    assert clean.returncode == 0, clean.stderr
    folder = tmp_path / ("a-folder-with-a-long-name-" * 3)
    folder.mkdir()
    (folder / "long_path_app.py").write_text(LONG_PATH_APP)
    target = f"{folder / 'long_path_app.py'}:app"
    args = ["--examples", "60", "--no-database", "--seed", "1", "--path", LONG_PATH]
    args += ["--report", "json", "--report-dir", str(tmp_path)]
    failing = cli(tmp_path, "check", target, *args)
    assert failing.returncode == 1, failing.stderr
    for done in (
        clean,
        failing,
        cli(tmp_path, "rules"),
        cli(tmp_path, "explain", "APP-AVOID-WRITE"),
    ):
        assert done.returncode in (0, 1), done.stderr
        for line in (done.stdout + done.stderr).splitlines():
            assert len(line) <= 100, line
    lines = failing.stdout.splitlines()
    assert len(lines[0]) > 90  # the TARGET was wrapped, not cut
    [entry] = [e for e in json.loads((tmp_path / "report.json").read_text())["results"]
               if e["status"] == "fail"]  # fmt: skip
    assert entry["rule"] == "APP-STATUS-FORMAT"
    assert LONG_PATH in entry["curl"]
    curl = _block(
        lines, "  replay with curl (against `wsgicheck serve TARGET --port 8000`):", "  r"
    )
    assert len(curl) > 1
    assert _shell_words("\n".join(curl)) == _shell_words(entry["curl"])
    # To the notes (the table's 5xx are the server's), or the summary line.
    python = _block(lines, "  replay in Python:", ("note:", "FAILED"))
    folded = textwrap.dedent("\n".join(python)).strip()
    assert len(folded.splitlines()) > len(entry["python"].strip().splitlines())
    assert ast.dump(ast.parse(folded)) == ast.dump(ast.parse(entry["python"]))


def _shell_words(command: str) -> list[str]:
    """The words bash makes of a command (curl's arguments), by running it."""
    done = subprocess.run(
        ["bash", "-c", "curl() { printf '%s\\0' \"$@\"; }\n" + command],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=True,
    )
    return done.stdout.split("\0")[:-1]
