"""``check --report FORMATS --report-dir DIR``: several reports from one run, the terminal
still told what broke when reports go to files, and output paths checked before the run.

Through the console script in a subprocess (exit status, stdout and stderr apart), with a
broken fixture app and few examples.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import IO, Any

import pytest

from test_cli import (
    BROKEN,
    CLEAN,
    FIXTURES,
    TIMEOUT,
    _command,
    cli,
    last_line,
    one_line_error,
    write_app,
)
from wsgicheck.explore.signals import interrupts_held
from wsgicheck.model import outputs
from wsgicheck.model.untrusted import show
from wsgicheck.results.reproduce import shell_word
from wsgicheck.rules import REGISTRY

FAST = ["--examples", "20", "--no-database", "--seed", "3"]
ALL = "json,junit,sarif,html,markdown,text"
FAILURE = "✗ APP-STATUS-FORMAT (MUST)"
HEADLINE = "FAILED: 1 rule failed"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One working directory for the runs here (Hypothesis caches what it learns there)."""
    return tmp_path_factory.mktemp("reports")


def test_every_format_from_one_run(workdir: Path) -> None:
    """Six reports and JSON on stdout from one run: stdout is byte for byte report.json
    (a second run would differ in its duration), and the summary goes to stderr."""
    done = cli(
        workdir,
        "check",
        BROKEN,
        *FAST,
        *("--report", ALL, "--report-dir", "one", "--format", "json"),
    )
    assert done.returncode == 1, done.stderr
    folder = workdir / "one"
    names = {path.name for path in folder.iterdir()}
    assert names == {
        "report.json",
        "report.xml",
        "report.sarif",
        "report.html",
        "report.md",
        "report.txt",
    }
    read = {name: (folder / name).read_text(encoding="utf-8") for name in names}
    assert done.stdout == read["report.json"]
    data = json.loads(read["report.json"])
    failed = {each["rule"] for each in data["results"] if each["verdict"] == "fail"}
    assert failed == {"APP-STATUS-FORMAT"}
    junit = ET.fromstring(read["report.xml"])
    assert len(junit.findall(".//testcase")) == len(REGISTRY)
    assert [each.get("name") for each in junit.iterfind(".//testcase[failure]")] == [
        "APP-STATUS-FORMAT"
    ]
    sarif = json.loads(read["report.sarif"])
    assert [each["ruleId"] for each in sarif["runs"][0]["results"]] == ["APP-STATUS-FORMAT"]
    assert read["report.html"].startswith("<!DOCTYPE html>")
    assert "APP-STATUS-FORMAT" in read["report.html"]
    assert "APP-STATUS-FORMAT" in read["report.md"]
    assert "\033[" not in read["report.txt"]  # files are never coloured
    assert last_line(read["report.txt"]).startswith(HEADLINE)
    # stdout carries JSON, so the terminal's summary is on stderr: which files, the
    # failure, the summary line; not the passed rules.
    err = done.stderr.splitlines()
    order = ["report.json", "report.xml", "report.sarif", "report.html", "report.md", "report.txt"]
    # The list of files wraps at 100 columns, continued on indented lines.
    listed = err[: err.index(FAILURE)]
    assert all(len(line) <= 100 for line in listed)
    assert " ".join(line.strip() for line in listed) == "reports: " + ", ".join(
        str(Path("one", name)) for name in order
    )
    assert err[-1].startswith(HEADLINE)
    assert "✓" not in done.stderr


def test_a_report_named_twice_is_written_once(workdir: Path) -> None:
    done = cli(workdir, "check", BROKEN, *FAST, "--report", "json,JSON", "--report", "json")
    assert done.returncode == 1, done.stderr
    assert (workdir / "report.json").is_file()  # --report-dir defaults to here
    # The text report is on stdout, as without --report; nothing else is said.
    assert FAILURE in done.stdout
    assert "✓ " in done.stdout
    assert last_line(done.stdout).startswith(HEADLINE)
    assert done.stderr == ""


@pytest.mark.parametrize("name", ["text", "json"])
def test_output_to_a_file_still_tells_the_terminal(workdir: Path, name: str) -> None:
    """Before, ``-o`` made the run silent: a CI log showed nothing of what broke."""
    report = workdir / f"out.{name}"
    done = cli(workdir, "check", BROKEN, *FAST, "--format", name, "--output", str(report))
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == FAILURE
    assert lines[-1].startswith(HEADLINE)
    assert "✓" not in done.stdout
    assert "reports:" not in done.stdout
    if name == "json":
        assert json.loads(report.read_text(encoding="utf-8"))["failed"] is True
    else:
        assert "✓ " in report.read_text(encoding="utf-8")  # the full report went to the file


def test_a_clean_run_with_a_report_file(workdir: Path) -> None:
    done = cli(workdir, "check", CLEAN, *FAST, "--report", "junit", "--report-dir", "clean")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert last_line(done.stdout).startswith("passed: 0 rules failed")
    junit = ET.fromstring((workdir / "clean" / "report.xml").read_text(encoding="utf-8"))
    assert junit.findall(".//failure") == []


def test_the_whole_runs_replay_is_quoted_and_sends_the_same_requests(tmp_path: Path) -> None:
    """A trial of 2026-12-07: JUnit's, HTML's and the annotations' "replay the whole run"
    was ``wsgicheck check TARGET --seed N``, unquoted: pasted, a folder named ``$(touch
    PWNED)`` ran the touch; and it left out ``--path``, so a run that failed only on the
    path it named passed when replayed. It is quoted and names the run's options."""
    folder = tmp_path / "my app $(touch PWNED)"
    folder.mkdir()
    target = write_app(
        folder,
        "a.py",
        """
        def app(environ, start_response):
            status = "200  OK" if environ["PATH_INFO"] == "/q" else "200 OK"
            start_response(status, [("Content-Type", "text/plain")])
            return [b"ok"]
        """,
    )
    asked = ["--examples", "20", "--no-database", "--path", "/q", "-H", "X-A: it's $(id)"]
    done = cli(tmp_path, "check", target, *asked, "--seed", "3", "--format", "junit", "-o", "r.xml")
    assert done.returncode == 1, done.stderr
    junit = ET.fromstring((tmp_path / "r.xml").read_text(encoding="utf-8"))
    texts = "\n".join(each.text or "" for each in junit.iter())
    [replay] = set(re.findall(r"replay the whole run: (.*)", texts))
    assert shlex.split(replay) == [
        "wsgicheck", "check", target, "--examples", "20", "--path", "/q",
        "--header", "X-A: it's $(id)", "--seed", "3",
    ]  # fmt: skip
    script = Path(_command()[0])
    path = f"{script.parent}{os.pathsep}{os.environ['PATH']}"
    again = subprocess.run(
        ["bash", "-c", replay], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT,
        env={**os.environ, "PATH": path}, check=False,
    )  # fmt: skip
    assert again.returncode == 1, again.stderr
    assert last_line(again.stdout).startswith("FAILED: 1 rule failed")
    assert list(tmp_path.rglob("PWNED")) == []


def test_the_replay_says_what_a_settings_file_would_change_and_no_dash_reads_as_an_option(
    tmp_path: Path,
) -> None:
    """Review of 2026-12-07: an option set back to its default over ``[tool.wsgicheck]``
    was left out of the replay, which read the file again (``--no-strict`` replayed as
    strict); a TARGET from the file starting with a dash read as an option when pasted; a
    value starting with one too."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.wsgicheck]\napp = "-odd.py:app"\nstrict = true\n', encoding="utf-8"
    )
    write_app(
        tmp_path,
        "-odd.py",
        """
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"ok"
            environ["wsgi.errors"].write(b"bytes")  # APP-ERRORS-WRITE-STR, a MUST
        """,
    )
    asked = ["--no-strict", "--examples", "20", "--no-database", "-H", "-X: y", "--seed", "3"]
    done = cli(tmp_path, "check", *asked, "--format", "junit", "-o", "r.xml")
    assert done.returncode == 1, done.stderr
    junit = ET.fromstring((tmp_path / "r.xml").read_text(encoding="utf-8"))
    texts = "\n".join(each.text or "" for each in junit.iter())
    [replay] = set(re.findall(r"replay the whole run: (.*)", texts))
    assert shlex.split(replay) == [
        "wsgicheck", "check", "./-odd.py:app", "--examples", "20", "--header=-X: y",
        "--no-strict", "--seed", "3",
    ]  # fmt: skip


def test_a_replays_words_read_the_same_in_every_report() -> None:
    """Review of 2026-12-07: reports show a line break, an undecodable byte or a
    bidirectional control escaped, and inside shell quotes that escape named another file.
    Such a word is written ``$'...'``, byte by byte, which the shell turns back."""
    for word in ["dir\nx/app.py:app", "caf\udce9.py:app", "a\u202eyp.py:app", "##[x] it's"]:
        quoted = shell_word(word)
        assert quoted.startswith("$'")
        assert show(quoted, limit=1000) == quoted
        printed = subprocess.run(
            ["bash", "-c", f"printf %s {quoted}"], capture_output=True, timeout=TIMEOUT, check=True
        )
        assert printed.stdout == word.encode("utf-8", "surrogateescape")
    assert shell_word("café.py:app") == "'café.py:app'"


BAD_PATHS = {
    "output in a missing folder": (["--output", "missing/r.json"], "--output missing/r.json"),
    "output is a folder": (["--output", "folder"], "--output folder: is a directory"),
    # (Review of 2026-12-07: probe ran the whole probe, then failed to write to it.)
    "output is empty": (["--output", ""], "--output: an empty path names no file"),
    "report dir is a file": (
        ["--report", "json", "--report-dir", "file"],
        "--report-dir file: is a file, not a directory",
    ),
    # (A trial of 2026-12-07: the JSON report was written over the text one, without a word.)
    "output is a report's file": (
        ["--output", "./out/report.json", "--report", "text,json", "--report-dir", "out"],
        "--output ./out/report.json is the file --report writes its json report to "
        "(report.json in --report-dir out): name another",
    ),
    "report file is a folder": (
        ["--report", "html", "--report-dir", "nested"],
        "--report-dir nested/report.html: is a directory",
    ),
    "unknown report format": (["--report", "json,yaml"], "--report: one of text, json"),
}


@pytest.mark.parametrize("case", sorted(BAD_PATHS))
def test_bad_output_paths_stop_before_the_run(tmp_path: Path, case: str) -> None:
    """One line, exit 2, and the app never even imported."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    (tmp_path / "nested" / "report.html").mkdir(parents=True)
    target = write_app(
        tmp_path,
        "marked.py",
        """
        import pathlib
        pathlib.Path("imported").touch()

        def app(environ, start_response):
            start_response("200 OK", [])
            return [b""]
        """,
    )
    args, expected = BAD_PATHS[case]
    done = cli(tmp_path, "check", target, *FAST, *args)
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    one_line_error(done.stderr)
    assert expected in done.stderr
    assert not (tmp_path / "imported").exists()


#: A server command that leaves a mark where it is started: a probe that ran started it.
MARKING_SERVER = (
    "{python} -c \"import pathlib; pathlib.Path('started').touch()\" {host} {port} {app}"
)


@pytest.mark.parametrize("case", sorted(BAD_PATHS))
def test_bad_output_paths_stop_the_probe_before_it_runs(tmp_path: Path, case: str) -> None:
    """A trial of 2026-12-07: ``probe -o /no/such/dir/x.json`` ran the whole probe (14 s)
    and only then said so. It is checked first now, as check's paths are, and ``probe``
    takes ``--report`` and ``--report-dir`` as check does."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("")
    (tmp_path / "nested" / "report.html").mkdir(parents=True)
    args, expected = BAD_PATHS[case]
    done = cli(tmp_path, "probe", MARKING_SERVER, "--examples", "0", *args)
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    one_line_error(done.stderr)
    assert expected in done.stderr
    assert not (tmp_path / "started").exists()


def test_probe_writes_each_report_asked_for(tmp_path: Path) -> None:
    """``--report`` on a probe: the same run in each format, beside the one on stdout."""
    done = cli(
        tmp_path, "probe", "wsgicheck", "--examples", "0", "--no-callables",
        "--report", "json,markdown", "--report", "sarif", "--report-dir", "out",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Probe of wsgicheck" in done.stdout
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == [
        "report.json",
        "report.md",
        "report.sarif",
    ]
    [probe] = json.loads((tmp_path / "out" / "report.json").read_text())["probes"]
    assert probe["probe"]["server"] == "wsgicheck"


def test_a_text_report_file_follows_the_verbosity_but_for_quiet(workdir: Path) -> None:
    """-v adds to a text report file; -q quiets the terminal alone (a trial of 2026-12-07:
    the file kept the summary line only, with no seed to replay the run by)."""
    done = cli(workdir, "check", CLEAN, *FAST, "-q", "--report", "text", "--report-dir", "v")
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.splitlines()) == 1  # -q: the summary line alone
    kept = (workdir / "v" / "report.txt").read_text(encoding="utf-8").splitlines()
    assert re.match(r"  seed \d+ · ", kept[1]), kept[:3]
    assert kept[-1] == done.stdout.splitlines()[0]
    # --output's file too (a review of 2026-12-07 found it still quiet).
    done = cli(workdir, "check", CLEAN, *FAST, "-q", "--output", "out.txt")
    assert done.returncode == 0, done.stderr
    output = (workdir / "out.txt").read_text(encoding="utf-8").splitlines()
    assert [line.partition(" examples · ")[0] for line in output] == [
        line.partition(" examples · ")[0] for line in kept
    ]  # (the same but for the time it took)
    done = cli(workdir, "check", CLEAN, *FAST, "-v", "--report", "text", "--report-dir", "v")
    assert done.returncode == 0, done.stderr
    text = (workdir / "v" / "report.txt").read_text(encoding="utf-8")
    assert all(f" {rule.id} " in text for rule in REGISTRY)


def test_a_finding_of_a_sequence_shows_its_requests_in_order(workdir: Path) -> None:
    """HEAD judged beside GET: every report lists the earlier requests, then the request
    judged on its own (not the whole sequence run together as one request's body)."""
    target = f"{FIXTURES / 'broken' / 'app_head_like_get.py'}:app"
    done = cli(
        workdir,
        "check",
        target,
        *FAST,
        "--report",
        "junit,html,markdown,text",
        "--report-dir",
        "seq",
    )
    assert done.returncode == 0, done.stderr  # a SHOULD: warned, not failed
    folder = workdir / "seq"
    for name in ("report.xml", "report.html", "report.md", "report.txt"):
        text = (folder / name).read_text(encoding="utf-8")
        earlier = re.search(r"[Ss]ent after \d+ earlier requests? on the same app", text)
        assert earlier is not None, name
        judged = text.index("hen the request judged")  # "Then" in the titled formats
        assert earlier.start() < judged, name
        # The request judged is shown alone: no CRLF of a following request escaped in it.
        assert "HTTP/1.1\\r\\n" not in text, name


def _opened_then_terminated(path: str, *args: Any, **kwargs: Any) -> IO[str]:
    """Opens ``path``, then sends this process SIGTERM, as a cancelled job does."""
    stream: IO[str] = open(path, *args, **kwargs)  # noqa: SIM115 - the caller closes it
    os.kill(os.getpid(), signal.SIGTERM)
    return stream


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "existing file"])
def test_a_report_file_is_written_whole_whatever_comes_while_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    """A SIGTERM (``check`` turns it into Ctrl-C) between the file's open and its write left
    it empty: a completed run's report lost. It is held until the file is whole."""
    report = tmp_path / "report.json"
    if existing:
        report.write_text("the last run's")
    text = json.dumps({"findings": list(range(100_000))})
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    monkeypatch.setattr(outputs, "open", _opened_then_terminated, raising=False)
    try:
        with pytest.raises(KeyboardInterrupt):
            outputs.write_whole(str(report), text, "--output", interrupts_held)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert report.read_text() == text


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _opened_then_interrupted(path: str, *args: Any, **kwargs: Any) -> IO[str]:
    """Opens ``path``, then sends this process SIGINT."""
    stream: IO[str] = open(path, *args, **kwargs)  # noqa: SIM115 - the caller closes it
    os.kill(os.getpid(), signal.SIGINT)
    return stream


def test_a_signal_the_command_ignores_stays_ignored_while_a_report_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of 2026-12-06: a background job (`check ... &` in a script) has SIGINT
    ignored; the hold put a handler of its own over that, and a SIGINT sent to the job's
    group stopped the command with its other reports unwritten."""
    report = tmp_path / "report.json"
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    monkeypatch.setattr(outputs, "open", _opened_then_interrupted, raising=False)
    try:
        outputs.write_whole(str(report), "whole", "--output", interrupts_held)
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert report.read_text() == "whole"


def test_the_readmes_json_snippet_is_the_runs_own(tmp_path: Path) -> None:
    """A trial of 2026-12-07: the README's JSON snippet said ``"skipped": 100`` where the
    run said 101, stale since a rule was added. The head of the object is the run's."""
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    command = "$ wsgicheck check fixtures/broken/app_status_format.py:app --seed 1 --format json"
    snippet = readme[readme.index(command) + len(command) :]
    summary = json.loads(re.search(r'"summary": (\{[^}]*\})', snippet).group(1))  # type: ignore[union-attr]
    done = cli(
        FIXTURES.parent, "check", "fixtures/broken/app_status_format.py:app", "--seed", "1",
        "--format", "json", "--no-database",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["summary"] == summary


@pytest.mark.parametrize(
    ("target", "status"),
    [("fixtures/wsgiapp.py:app", 0), ("fixtures/broken/app_status_format.py:app", 1)],
)
def test_the_readmes_text_reports_are_the_runs_own(target: str, status: int) -> None:
    """A README trial of 2026-12-07: the good app's block said ``43 skipped`` where the run
    said 45, stale since two rules were added. Each block is the run's, but its duration."""
    readme = (FIXTURES.parent / "README.md").read_text(encoding="utf-8")
    command = f"$ wsgicheck check {target} --seed 1\n"
    block = readme[readme.index(command) + len(command) :].split("\n$ echo $?", 1)[0]
    done = cli(FIXTURES.parent, "check", target, "--seed", "1", "--no-database")
    assert done.returncode == status, done.stderr
    timed = re.compile(r" · [0-9.]+s · ")
    assert timed.sub(" · ", done.stdout.rstrip("\n")) == timed.sub(" · ", block)
