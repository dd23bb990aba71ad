"""The app runs apart from the reporter: whatever it does, ``check`` reports it truthfully.

Each test writes a misbehaving app, runs the console script on it in a subprocess (with a
time limit: a run that hangs fails the test), and reads the report. ``check`` runs the app
in a worker process (``wsgicheck.explore.supervisor``); these are the things an app can do to the
process it runs in, and what the report and the exit status say about each.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import wsgicheck
from test_untrusted import RAW_CONTROL
from wsgicheck.explore import supervisor
from wsgicheck.explore.runner import RunOptions
from wsgicheck.explore.supervisor import CAPTURE_LIMIT, supervise
from wsgicheck.model.untrusted import show

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads(
    (Path(wsgicheck.__file__).parent / "report" / "schema.json").read_text(encoding="utf-8")
)
TIMEOUT = 120
FAST = ["--examples", "10", "--no-database", "--seed", "3"]

#: A conformant app, for the tests whose misbehaviour is beside the answer.
GOOD = """
def app(environ, start_response):
    body = b"hello\\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
"""


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "wsgicheck"]  # pragma: no cover - no console script here


def check(cwd: Path, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [*_command(), "check", target, *FAST, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
        env=environment,
    )


def write_app(folder: Path, source: str, name: str = "app.py") -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))
    return f"{folder / name}:app"


def report(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON report on stdout, checked against the schema."""
    data: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(data, SCHEMA)
    return data


def failing(data: dict[str, Any]) -> set[str]:
    return {each["rule"] for each in data["results"] if each["status"] == "fail"}


def gone(pid: int) -> bool:
    """Whether no process ``pid`` is left (a zombie counts as left until it is reaped)."""
    for _ in range(50):  # its new parent (init) reaps it soon after it is killed
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


# -- the worker dies -----------------------------------------------------------------------------


def test_os_exit_0_is_a_finding_naming_the_last_request(tmp_path: Path) -> None:
    target = f"{ROOT / 'fixtures' / 'broken' / 'harness_worker_died.py'}:dying_app"
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 1, result.stderr
    assert result.stderr == ""
    data = report(result)
    assert failing(data) == {"HARNESS-WORKER-DIED"}
    died = next(each for each in data["results"] if each["rule"] == "HARNESS-WORKER-DIED")
    assert died["request"]["method"] == "GET"
    assert died["request"]["target"] == "/"
    assert "exited with status 0" in died["message"]
    assert "GET /" in died["message"]
    assert data["failed"] is True


def test_a_segfault_names_the_request_that_caused_it(tmp_path: Path) -> None:
    target = write_app(
        tmp_path / "segv",
        """
        import os, signal

        def app(environ, start_response):
            if environ["PATH_INFO"] == "/crash":
                os.kill(os.getpid(), signal.SIGSEGV)
            start_response("200 OK", [("Content-Type", "text/html")])
            return [b'<a href="/crash">crash</a>']
        """,
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 1, result.stderr
    data = report(result)
    assert failing(data) == {"HARNESS-WORKER-DIED"}
    died = next(each for each in data["results"] if each["rule"] == "HARNESS-WORKER-DIED")
    assert died["request"]["target"] == "/crash"
    assert "killed by SIGSEGV" in died["message"]


def test_os_exit_while_importing_is_a_target_error(tmp_path: Path) -> None:
    target = write_app(tmp_path / "atimport", "import os\nos._exit(3)\n")
    result = check(tmp_path, target)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("wsgicheck: error: importing ")
    assert result.stderr.rstrip("\n").endswith("ended the process: exited with status 3")


def test_sys_exit_in_a_thread_ends_only_that_thread(tmp_path: Path) -> None:
    target = write_app(
        tmp_path / "threadexit",
        "import sys, threading\n"
        + GOOD.replace(
            "    body =", "    threading.Thread(target=sys.exit, args=(3,)).start()\n    body ="
        ),
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 0, result.stdout
    data = report(result)
    assert failing(data) == set()
    assert data["examples"] == 10


# -- output ---------------------------------------------------------------------------------------


def test_what_the_app_prints_is_captured_and_the_json_on_stdout_stays_json(
    tmp_path: Path,
) -> None:
    target = write_app(
        tmp_path / "noisy",
        """
        import os, sys

        print("printed at import")
        print("to stderr at import", file=sys.stderr)

        def app(environ, start_response):
            print("printed by the app")
            os.write(1, b"written to fd 1\\n")
            os.write(2, b"written to fd 2\\n")
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        """,
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 0, result.stdout
    assert result.stderr == ""
    data = report(result)
    output = data["app_output"]
    lines = output["text"].splitlines()
    assert lines[:2] == ["printed at import", "to stderr at import"]
    for line in ("printed by the app", "written to fd 1", "written to fd 2"):
        assert line in lines
    assert output["bytes"] == len(output["text"].encode())
    assert output["cut"] == 0


SCRIBBLING = """
import fcntl, os, stat

def app(environ, start_response):
    # Into every descriptor above 2 that it can write to: pipes, or everything else.
    for fd in range(3, 1024):
        try:
            if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDONLY:
                continue
            if stat.S_ISFIFO(os.fstat(fd).st_mode) == PIPES:
                os.write(fd, b"\\x00JUNK\\x1b[31m")
        except OSError:
            continue
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def _check_into_files(tmp_path: Path, target: str) -> tuple[int, bytes, bytes]:
    """A check whose stdout and stderr are files, as in ``> report.json``."""
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = subprocess.run(
            [*_command(), "check", target, *FAST, "--format", "json"],
            cwd=tmp_path,
            stdout=stdout,
            stderr=stderr,
            timeout=TIMEOUT,
            check=False,
        ).returncode
    return code, out.read_bytes(), err.read_bytes()


def test_an_app_that_writes_to_every_file_it_finds_open_leaves_the_report_whole(
    tmp_path: Path,
) -> None:
    """The worker was a fork of the run's process, holding a copy of its stdout: the app's
    bytes went into the JSON report written there."""
    target = write_app(tmp_path / "files", "PIPES = False" + SCRIBBLING)
    code, out, err = _check_into_files(tmp_path, target)
    assert (code, err) == (0, b"")
    assert b"JUNK" not in out
    data: dict[str, Any] = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert failing(data) == set()
    assert data["examples"] == 10


def test_an_app_that_writes_into_the_workers_pipe_is_a_finding_that_says_so(
    tmp_path: Path,
) -> None:
    """Its bytes in the pipe the worker sends its records into: a length that never came in
    full kept the run waiting, and the worker's end was reported as an exit."""
    target = write_app(tmp_path / "pipes", "PIPES = True" + SCRIBBLING)
    code, out, err = _check_into_files(tmp_path, target)
    assert (code, err) == (1, b"")
    assert b"JUNK" not in out
    data: dict[str, Any] = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert failing(data) == {"HARNESS-WORKER-DIED"}
    died = next(each for each in data["results"] if each["rule"] == "HARNESS-WORKER-DIED")
    assert "sent wsgicheck bytes that are not its records" in died["message"]


def test_the_output_kept_is_bounded_and_says_how_much_was_cut(tmp_path: Path) -> None:
    size = 3 * CAPTURE_LIMIT
    target = write_app(
        tmp_path / "flood",
        f'import os\nos.write(1, b"first line\\n" + b"x" * {size} + b"\\nlast line\\n")\n' + GOOD,
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 0, result.stdout
    output = report(result)["app_output"]
    assert output["bytes"] == size + len("first line\n\nlast line\n")
    assert output["cut"] == output["bytes"] - CAPTURE_LIMIT
    assert output["text"].startswith("first line\n")
    assert output["text"].endswith("\nlast line\n")
    assert f"[... {output['cut']} bytes cut ...]" in output["text"]


def test_the_text_report_shows_the_output(tmp_path: Path) -> None:
    target = write_app(tmp_path / "hello", f"print('hello \\x1b[31m there')\n{GOOD}")
    result = check(tmp_path, target)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    title = "Output of the app (stdout and stderr): 18 bytes"
    assert lines[lines.index(title) + 1] == "  │ hello \\x1b[31m there"


def test_the_text_report_shows_the_first_and_last_lines_of_a_long_output(tmp_path: Path) -> None:
    """Django under DEBUG logs every 404: 940 lines of it followed the findings on the
    terminal (a trial of 2026-12-06). The JSON report keeps them all."""
    target = write_app(tmp_path / "chatty", f"for n in range(100):\n    print('line', n)\n{GOOD}")
    result = check(tmp_path, target)
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    start = lines.index("Output of the app (stdout and stderr): 790 bytes") + 1
    shown = lines[start : lines.index("", start)]
    assert shown == [
        *(f"  │ line {n}" for n in range(20)),
        "  │ [... 60 more lines: the JSON and HTML reports show them all ...]",
        *(f"  │ line {n}" for n in range(80, 100)),
    ]


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("html", "<pre>&lt;b&gt;hello\\x1b[31m&lt;/b&gt;</pre>"),
        ("markdown", "```\n<b>hello\\x1b[31m</b>\n```"),
    ],
)
def test_html_and_markdown_show_the_output_escaped(tmp_path: Path, name: str, shown: str) -> None:
    target = write_app(tmp_path / name, f"print('<b>hello\\x1b[31m</b>')\n{GOOD}")
    result = check(tmp_path, target, "--format", name)
    assert result.returncode == 0, result.stdout
    assert "Output of the app (stdout and stderr): 18 bytes" in result.stdout
    assert shown in result.stdout


# -- the worker's surroundings --------------------------------------------------------------------


def test_chdir_in_the_app_moves_neither_output_nor_state(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Two spaces in the status: a failure, which Hypothesis keeps in .wsgicheck/examples.
    broken = GOOD.replace("200 OK", "200  OK")
    target = write_app(tmp_path / "wanderer", f"import os\nos.chdir({str(elsewhere)!r})\n{broken}")
    invoked = tmp_path / "here"
    invoked.mkdir()
    # Generated examples (no corpus), so Hypothesis has a failure to save.
    args = ["--examples", "10", "--no-corpus", "--format", "json", "-o", "out.json"]
    result = subprocess.run(
        [*_command(), "check", target, *args],
        cwd=invoked,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1].startswith("FAILED: 1 rule failed")  # the summary
    data = json.loads((invoked / "out.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert failing(data) == {"APP-STATUS-FORMAT"}
    assert list(elsewhere.iterdir()) == []
    assert any((invoked / ".wsgicheck" / "examples").iterdir())


def test_a_forked_process_does_not_outlive_the_run(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    target = write_app(
        tmp_path / "forker",
        f"""
        import os, time

        forked = False

        def app(environ, start_response):
            global forked
            if not forked:
                forked = True
                pid = os.fork()
                if pid == 0:
                    time.sleep(3600)
                    os._exit(0)
                with open({str(pids)!r}, "a") as out:
                    out.write(f"{{pid}}\\n")
            body = b"hello\\n"
            start_response("200 OK", [("Content-Type", "text/plain"),
                                      ("Content-Length", str(len(body)))])
            return [body]
        """,
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 0, result.stdout
    assert failing(report(result)) == set()
    forked = [int(line) for line in pids.read_text().split()]
    assert len(forked) == 1
    assert gone(forked[0])


CONTENT_TYPE = repr(("Content-Type", "text/plain"))
#: Ways a process the app starts leaves the worker's session or process group.
LEAVING = {
    "fork, setsid": "pid = os.fork()\nif pid == 0:\n    os.setsid()\n    time.sleep(3600)",
    "fork, setpgid": "pid = os.fork()\nif pid == 0:\n    os.setpgid(0, 0)\n    time.sleep(3600)",
    "Popen, process_group": (
        "import subprocess\npid = subprocess.Popen(['sleep', '3600'], process_group=0).pid"
    ),
}


@pytest.mark.parametrize("how", LEAVING)
@pytest.mark.parametrize("when", ["import", "request", "import, with a finding"])
def test_a_process_that_left_the_session_does_not_outlive_the_run(
    tmp_path: Path, how: str, when: str
) -> None:
    """Review of 2026-12-06: the end of a run killed the worker's session, which such a
    process is no longer in. A forked one held the worker's sentinel, and the run waited
    for it (an hour here); a started one was left running. With a finding, each try on the
    app loaded afresh starts one too."""
    finding = when.endswith("finding")
    pids = tmp_path / "pids"
    source = "\n".join(
        [
            "import os, time",
            "",
            "def start():",
            textwrap.indent(LEAVING[how], "    "),
            "    if pid:",
            f"        with open({str(pids)!r}, 'a') as out:",
            "            out.write(f'{pid}\\n')",
            "",
            f"if {when.startswith('import')!r}:",
            "    start()",
            "started = []",
            "",
            "def app(environ, start_response):",
            f"    if not started and {when == 'request'!r}:",
            "        started.append(True)",
            "        start()",
            f"    start_response('200 OK', [{'' if finding else CONTENT_TYPE}])",
            "    return [b'ok']",
        ]
    )
    target = write_app(tmp_path / "leaver", source)
    result = check(tmp_path, target, "--format", "json")
    data = report(result)
    # APP-CONTENT-TYPE is a SHOULD: a warning (exit 0), confirmed on the app afresh.
    assert (result.returncode, failing(data)) == (0, {"APP-CONTENT-TYPE"} if finding else set())
    started = [int(line) for line in pids.read_text().split()]
    assert len(started) > 1 if finding else len(started) == 1
    assert all(gone(pid) for pid in started)


def test_a_thread_that_never_ends_does_not_keep_check_waiting(tmp_path: Path) -> None:
    target = write_app(
        tmp_path / "sleeper",
        "import threading, time\n"
        "threading.Thread(target=time.sleep, args=(3600,), daemon=False).start()\n" + GOOD,
    )
    result = check(tmp_path, target, "--format", "json")
    assert result.returncode == 0, result.stdout
    assert failing(report(result)) == set()


def _clean_run_over_a_socket(tmp_path: Path, target: str, *args: str) -> dict[str, Any]:
    """A check of ``target`` that finds nothing, fails nowhere, and judged socket exchanges."""
    result = check(tmp_path, target, "--format", "json", *args)
    assert result.returncode == 0, result.stdout
    data = report(result)
    assert failing(data) == set()
    assert data["errors"] == []
    # Server rules judge what went over the socket: they had exchanges to judge.
    server = [each for each in data["results"] if each["binding"] == "server"]
    assert any(each["status"] == "pass" for each in server)
    return data


def test_patching_socket_and_time_at_import_leaves_the_transport_working(tmp_path: Path) -> None:
    patches = """
        import socket, threading, time

        # Set for logging: not a green-thread patch, which would leave the others alone.
        threading.excepthook = lambda args: None

        class NoSocket:
            def __init__(self, *args, **kwargs):
                raise OSError("no sockets here")

        socket.socket = NoSocket
        time.monotonic = lambda: 0.0
    """
    target = write_app(tmp_path / "patcher", textwrap.dedent(patches) + GOOD)
    data = _clean_run_over_a_socket(tmp_path, target, "--transport", "socket")
    assert (
        "wsgicheck: the app replaced socket.socket, time.monotonic" in (data["app_output"]["text"])
    )


def test_an_app_that_empties_sys_path_at_import_leaves_the_transport_working(
    tmp_path: Path,
) -> None:
    """An adversarial trial of 2026-12-06: an app that set sys.path to one missing folder at
    import broke the socket client in its process (the idna codec, imported when first
    used, could not be found), and the report put the worker's death on the app's request.
    The folders it took off are put back after its own, and the run says so."""
    target = write_app(tmp_path / "emptier", 'import sys\nsys.path[:] = ["/nonexistent"]\n' + GOOD)
    data = _clean_run_over_a_socket(tmp_path, target)
    assert re.search(
        r"wsgicheck: the app took \d+ folder\(s\) off sys.path while it was imported",
        data["app_output"]["text"],
    )


#: A sys.stderr whose every write raises: the note of what was put back goes around it.
RAISING_STDERR = """
class _Deaf:
    def write(self, text):
        raise OSError("no stderr here")
    def flush(self):
        pass

sys.stderr = _Deaf()
"""


@pytest.mark.parametrize("stderr", ["", RAISING_STDERR], ids=["stderr", "raising-stderr"])
def test_an_app_that_lowers_the_recursion_limit_at_import_leaves_the_run_working(
    tmp_path: Path, stderr: str
) -> None:
    """Left in the closing note of 2026-12-06: an app that set the recursion limit to 60 at
    import broke the harness's own calls, and the report said the worker "exited with
    status 0 while the app answered GET /" (HARNESS-WORKER-DIED). The limit is put back,
    and the run says so: on fd 2 itself, which an app's sys.stderr that raises cannot stop
    (a review of 2026-12-06: the note killed the worker then)."""
    shallow = "import sys\nsys.setrecursionlimit(60)\n" + stderr
    target = write_app(tmp_path / "shallow", shallow + GOOD)
    data = _clean_run_over_a_socket(tmp_path, target)
    assert re.search(
        r"wsgicheck: the app set the recursion limit to 60 while it was imported; wsgicheck "
        r"put back \d+, which its own calls need",
        data["app_output"]["text"],
    )


PATCHING_APP = """
import socket, time

def app(environ, start_response):
    socket.socket = None
    socket.create_connection = None
    time.monotonic = lambda: 0.0
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def test_patching_socket_and_time_while_answering_leaves_the_transport_working(
    tmp_path: Path,
) -> None:
    target = write_app(tmp_path / "patching", PATCHING_APP)
    data = _clean_run_over_a_socket(tmp_path, target)
    said = "wsgicheck: the app replaced socket.socket, socket.create_connection, time.monotonic"
    assert data["app_output"]["text"].splitlines() == [
        f"{said} while it answered a request; wsgicheck put them back for its own transport"
    ]


GEVENT_APP = """
from gevent import monkey

monkey.patch_all()

import time
import urllib.request

from gevent.pywsgi import WSGIServer


def backend(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"from the backend"]


BACKEND = WSGIServer(("127.0.0.1", 0), backend, log=None)
BACKEND.start()


def app(environ, start_response):
    url = f"http://127.0.0.1:{BACKEND.server_port}/"
    body = urllib.request.urlopen(url, timeout=30).read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def slow_app(environ, start_response):
    time.sleep(3600)  # gevent's sleep: a green thread that waits
    return app(environ, start_response)
"""


def test_an_app_on_green_threads_keeps_them_and_its_time_limit(tmp_path: Path) -> None:
    """App sweep of 2026-12-05 (pywb): an app that calls gevent's patch_all and fetches
    from a gevent server in its own process. The worker put back the blocking socket and
    left threading patched: the app waited on a real socket for a green server that never
    ran, the time limit (a green thread too) never fired, and the run ended in a false
    HARNESS-WORKER-DIED. Where threading is replaced too, nothing is put back."""
    target = write_app(tmp_path / "green", GEVENT_APP)
    data = _clean_run_over_a_socket(tmp_path, target)
    assert data["app_output"]["text"].splitlines() == [
        "wsgicheck: the app replaced threading functions while it was imported (a "
        "whole-process patch for green threads, as gevent's patch_all); wsgicheck runs its "
        "transports on the app's patches"
    ]
    slow = check(
        tmp_path, target.replace(":app", ":slow_app"), "--format", "json", "--timeout", "1"
    )
    assert slow.returncode == 1, slow.stdout
    assert failing(report(slow)) == {"HARNESS-EXCHANGE-TIMEOUT"}


EQUAL_CLOCK_APP = """
import time

class Clock:
    # Equal to anything: what was replaced is told by identity, never by ==, which is
    # the app's code (and may say what it likes).
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __call__(self):
        return 0.0

def app(environ, start_response):
    time.monotonic = Clock()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def test_a_replacement_that_claims_to_equal_the_original_is_put_back(tmp_path: Path) -> None:
    target = write_app(tmp_path / "equal_clock", EQUAL_CLOCK_APP)
    data = _clean_run_over_a_socket(tmp_path, target)
    said = "wsgicheck: the app replaced time.monotonic"
    assert data["app_output"]["text"].splitlines() == [
        f"{said} while it answered a request; wsgicheck put them back for its own transport"
    ]


TZSET_APP = """
import time

def app(environ, start_response):
    time.tzset()  # as time.strptime does: time.tzname and time.timezone are bound anew
    time.tzname = tuple(time.tzname)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def test_the_data_of_time_rebound_by_the_app_is_no_replacement(tmp_path: Path) -> None:
    """Only the functions the transport calls are guarded: an app that parses a date
    (``time.strptime`` calls ``time.tzset()``) is not said to have replaced anything."""
    target = write_app(tmp_path / "tzset", TZSET_APP)
    data = _clean_run_over_a_socket(tmp_path, target)
    assert data["app_output"] is None


@pytest.mark.parametrize("name", ["html", "json"])
def test_a_module_beside_the_app_does_not_shadow_the_standard_library(
    tmp_path: Path, name: str
) -> None:
    folder = tmp_path / f"shadow_{name}"
    target = write_app(folder, GOOD)
    (folder / f"{name}.py").write_text(f"raise ImportError('the {name}.py beside the app')\n")
    result = check(tmp_path, target, "--format", name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    if name == "html":
        assert result.stdout.startswith("<!DOCTYPE html>")
    else:
        assert report(result)["failed"] is False


def signalled_while_the_app_waits(
    tmp_path: Path, sent: signal.Signals, *, pytest: bool = False, at_import: str = "pass"
) -> tuple[bool, int, str]:
    """``check`` (or the pytest suite) on an app that waits an hour (having run
    ``at_import`` when imported), sent ``sent`` once the worker has imported it: whether the
    worker was gone as soon as the command ended (waited for alone: a worker left running
    holds the pipes), the exit status, and what the command printed (stderr; stdout for
    pytest)."""
    pids = tmp_path / "pids"
    target = write_app(
        tmp_path / "slow",
        f"""
        import os, time

        {at_import}

        def app(environ, start_response):
            # Called in a worker alone (pytest imports the app too, for its fixtures).
            with open({str(pids)!r}, "a") as out:
                out.write(f"{{os.getpid()}}\\n")
            time.sleep(3600)
        """,
    )
    command = [*_command(), "check", target, *FAST]
    if pytest:
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
        command += [f"--wsgi-app={target}", "--wsgi-database=off", "--wsgi-seed=3"]
    process = subprocess.Popen(
        command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        workers: list[int] = []
        for _ in range(600):  # until a worker has called the app
            workers = [int(each) for each in pids.read_text().split()] if pids.exists() else []
            if workers:
                break
            time.sleep(0.1)
        process.send_signal(sent)
        process.wait(TIMEOUT)
        ended = all(gone(worker) for worker in workers)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(TIMEOUT)
    return ended, process.returncode, (out if pytest else err).decode()


def test_the_worker_process_group_is_killed_even_on_ctrl_c(tmp_path: Path) -> None:
    ended, status, err = signalled_while_the_app_waits(tmp_path, signal.SIGINT)
    assert ended
    assert (status, err.splitlines()[-1]) == (130, "wsgicheck: interrupted")


def test_ctrl_c_stops_an_app_that_left_the_session(tmp_path: Path) -> None:
    """Review of 2026-12-05: the app's process, a child of the worker process now, can
    leave its session; Ctrl-C, sent to the session, no longer reached it (no report, and
    the run waited, then left it running). It is stopped and killed by its pid."""
    ended, status, err = signalled_while_the_app_waits(
        tmp_path, signal.SIGINT, at_import="os.setsid()"
    )
    assert ended
    assert (status, err.splitlines()[-1]) == (130, "wsgicheck: interrupted")


OWN_HANDLER = """
import os, signal, time

signal.signal(signal.SIGINT, lambda signum, frame: print("the app's handler"))
ANSWERED = []

def app(environ, start_response):
    if len(ANSWERED) == 3:  # the fourth request waits
        with open({pids!r}, "a") as out:
            out.write(f"{{os.getpid()}}\\n")
        time.sleep(3600)
    ANSWERED.append(1)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]
"""


def _ctrl_c_once(
    command: list[str], cwd: Path, ready: Callable[[], bool]
) -> tuple[int, bytes, bytes]:
    """Run ``command`` in ``cwd``, send it Ctrl-C once ``ready()`` (looked at for a minute
    at most), and give its exit status and what it wrote to stdout and stderr."""
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        for _ in range(600):
            if ready():
                break
            time.sleep(0.1)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        process.kill()
        process.wait(TIMEOUT)
    return process.returncode, out, err


def test_ctrl_c_stops_an_app_that_set_its_own_sigint_handler(tmp_path: Path) -> None:
    """The app's handler, set at import, took the worker's Ctrl-C: the run waited its grace
    of 10 s, then killed the worker, and wrote no report."""
    pids = tmp_path / "pids"
    target = write_app(tmp_path / "own", OWN_HANDLER.format(pids=str(pids)))
    status, out, err = _ctrl_c_once(
        [*_command(), "check", target, *FAST, "--format", "json"],
        tmp_path,
        lambda: pids.exists() and bool(pids.read_text().strip()),  # the app waits
    )
    assert (status, err.decode().splitlines()) == (130, ["wsgicheck: interrupted"])
    data = json.loads(out)
    assert data["interrupted"] is True
    assert data["examples"] >= 1  # the requests answered before the one that waits
    assert data["app_output"]["text"].splitlines() == [
        "wsgicheck: the app set its own SIGINT handler while it was imported; wsgicheck put "
        "its own back, so that Ctrl-C stops the run",
    ]
    assert gone(int(pids.read_text()))


def test_ctrl_c_while_the_app_imports_still_writes_every_report(tmp_path: Path) -> None:
    """Left in the closing note of 2026-12-06: Ctrl-C before any worker had sent its
    examples (the app still importing) wrote no report, and a JUnit file an earlier run
    left in --report-dir stayed there, read by CI as this run's. Each report now says the
    run was cut short after no example."""
    started = tmp_path / "started"
    target = write_app(
        tmp_path / "importing",
        f"""
        import time

        open({str(started)!r}, "w").close()
        time.sleep(3600)
        """,
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "report.xml").write_text("<testsuites/> left by an earlier run\n")
    reporting = ["--format", "json", "--report", "junit", "--report-dir", str(reports)]
    status, out, err = _ctrl_c_once(
        [*_command(), "check", target, *FAST, *reporting], tmp_path, started.exists
    )
    assert (status, err.decode().splitlines()[0]) == (130, "wsgicheck: interrupted")
    data = json.loads(out)
    assert (data["interrupted"], data["examples"]) == (True, 0)
    junit = (reports / "report.xml").read_text()
    assert junit.startswith("<?xml")
    assert 'type="Interrupted"' in junit


def test_sigterm_stops_the_run_and_its_worker_as_ctrl_c_does(tmp_path: Path) -> None:
    """App sweep of 2026-12-05: SIGTERM (what ``timeout`` and a cancelled CI job send)
    ended the supervisor alone, and the worker, in a session of its own, ran on under init.
    It now stops the run as Ctrl-C does: the worker's session killed, what ran reported."""
    ended, status, err = signalled_while_the_app_waits(tmp_path, signal.SIGTERM)
    assert ended
    assert (status, err.splitlines()[-1]) == (130, "wsgicheck: interrupted")


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM])
def test_the_pytest_suite_stops_on_ctrl_c_and_sigterm_and_passes_nothing(
    tmp_path: Path, sent: signal.Signals
) -> None:
    """Review of 2026-12-05: under --wsgi-app, a run cut short by Ctrl-C came back as a
    partial result nobody read as such, and pytest went on to pass the rules on it (exit
    0). It now stops as pytest does on Ctrl-C (exit 2), the worker ended; SIGTERM too."""
    ended, status, out = signalled_while_the_app_waits(tmp_path, sent, pytest=True)
    assert ended
    assert status == 2, out
    assert " passed" not in out.splitlines()[-1]


#: An app that signals a process when it answers ``/signal``: its parent (under a server,
#: the process that started it: a reload or shutdown route) or its own.
SIGNALLING = """
import os, signal

def app(environ, start_response):
    if environ["PATH_INFO"] == "/signal":
        os.kill(os.{whom}(), signal.{name})
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


@pytest.mark.parametrize(
    ("whom", "name", "told"),
    [
        ("getppid", "SIGTERM", "to its parent process"),
        ("getppid", "SIGHUP", "to its parent process"),
        ("getppid", "SIGINT", "to its parent process"),
        ("getppid", "SIGUSR1", "to its parent process"),
        ("getpid", "SIGINT", "to its own process"),
    ],
)
def test_a_signal_the_app_sends_is_said_and_ignored(
    tmp_path: Path, whom: str, name: str, told: str
) -> None:
    """Hostile-app audit of 2026-12-05: a signal an app sent to its parent reached the
    supervisor, which it ended with no report (exit 129 for SIGHUP) or stopped as if
    Ctrl-C had been pressed; SIGINT to its own process stopped the run as Ctrl-C. The app
    now runs in a child of the worker process, which ignores what it is sent, and the
    worker stops on SIGINT only when the supervisor asked it to. The run goes on, and the
    app's output says what it did, once."""
    target = write_app(tmp_path / name, SIGNALLING.format(whom=whom, name=name))
    result = check(tmp_path, target, "--format", "json", "--path", "/signal")
    assert (result.returncode, result.stderr) == (0, "")
    data = report(result)
    assert (data["examples"], data["interrupted"], failing(data)) == (10, False, set())
    said = [line for line in data["app_output"]["text"].splitlines() if name in line]
    assert len(said) == 1, said  # the app sent it on each of its answers to /signal
    assert said[0].startswith(f"wsgicheck: the app sent {name} {told} ")
    assert said[0].endswith("; wsgicheck ignored it")


def test_a_signal_is_said_whatever_the_app_made_of_its_streams(tmp_path: Path) -> None:
    """Review of 2026-12-05: the handler printed to ``sys.stderr``, which the app had
    closed, and the worker failed with a ValueError; and a real-time signal, which has no
    name of its own, ended the worker process's handler."""
    source = SIGNALLING.format(whom="getpid", name="SIGINT").replace(
        "os.kill(os.getpid(), signal.SIGINT)",
        "import sys; sys.stderr.close(); os.kill(os.getpid(), signal.SIGINT); "
        "os.kill(os.getppid(), signal.SIGRTMIN + 6)",
    )
    target = write_app(tmp_path / "streams", source)
    result = check(tmp_path, target, "--format", "json", "--path", "/signal")
    assert (result.returncode, result.stderr) == (0, "")
    data = report(result)
    assert (data["examples"], data["interrupted"], failing(data)) == (10, False, set())
    said = [line for line in data["app_output"]["text"].splitlines() if "wsgicheck:" in line]
    assert sorted(line.split(" to ")[0] for line in said) == [
        "wsgicheck: the app sent SIGINT",  # each from its own process: in either order
        f"wsgicheck: the app sent signal {signal.SIGRTMIN + 6}",
    ]


#: An app that signals its parent at its first ``/signal`` request and exits with status 3
#: at its second.
SIGNAL_THEN_EXIT = """
import os, signal

signalled = []

def app(environ, start_response):
    if environ["PATH_INFO"] == "/signal":
        if signalled:
            os._exit(3)
        signalled.append(True)
        os.kill(os.getppid(), signal.{name})
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


@pytest.mark.parametrize(
    ("name", "told"),
    [
        # Review of 2026-12-05: the worker process, stopped by the app, could not reap the
        # app's process when it exited: the run waited out the silence limit (63 s here)
        # and reported a silent worker. It is sent SIGCONT once it has been silent.
        ("SIGSTOP", "exited with status 3"),
        # The worker's death was read from the worker process alone: "killed by SIGKILL
        # (the OOM killer sends it too)", of an app that killed its parent, exited later.
        (
            "SIGKILL",
            "was killed by SIGKILL (an app may send it to its parent process), and the app's "
            "process, which ran on, then ended before it sent its results",
        ),
    ],
)
def test_an_app_that_signals_its_parent_then_exits_is_reported_as_it_ended(
    tmp_path: Path, name: str, told: str
) -> None:
    target = write_app(tmp_path / "signal-then-exit", SIGNAL_THEN_EXIT.format(name=name))
    result = check(
        tmp_path,
        target,
        "--format",
        "json",
        "--path",
        "/signal",
        "--timeout",
        "1",
        "--examples",
        "60",
    )
    assert result.returncode == 1, result.stderr
    data = report(result)
    assert failing(data) == {"HARNESS-WORKER-DIED"}
    died = next(each for each in data["results"] if each["rule"] == "HARNESS-WORKER-DIED")
    assert died["message"].startswith(
        f"the worker process running the app {told} while the app answered GET /signal"
    )


def test_an_app_that_kills_its_parent_leaves_the_run_whole(tmp_path: Path) -> None:
    """SIGKILL cannot be ignored: it ends the worker process, not the supervisor, and the
    app's process runs its share to the end."""
    target = write_app(tmp_path / "kill", SIGNALLING.format(whom="getppid", name="SIGKILL"))
    result = check(tmp_path, target, "--format", "json", "--path", "/signal")
    assert (result.returncode, result.stderr) == (0, "")
    data = report(result)
    assert (data["examples"], data["interrupted"], failing(data)) == (10, False, set())


RUNNING_ON = """
import os, signal, time

answered = []

def app(environ, start_response):
    answered.append(1)
    if len(answered) == 3:
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(0.5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_the_results_of_an_app_that_outlived_its_worker_process_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review of 2026-12-06: the supervisor read the pipe, then asked whether the app's
    process still ran. Results sent, and the process ended, between the two were left
    unread, and the run reported the worker dead. The gap is stretched here, as a busy
    machine may stretch it."""
    running = supervisor.running

    def slowly_running(pid: int) -> bool:
        time.sleep(0.3)
        return running(pid)

    monkeypatch.setattr(supervisor, "running", slowly_running)
    target = write_app(tmp_path / "running-on", RUNNING_ON)
    result = supervise(target, RunOptions(max_examples=40, seed=1, database=None))
    assert (set(result.failures), result.examples) == (set(), 40)


# -- jobs -----------------------------------------------------------------------------------------


def test_jobs_share_the_examples_across_worker_processes() -> None:
    target = str(ROOT / "fixtures" / "hidden" / "query_only.py") + ":app"
    result = supervise(target, RunOptions(max_examples=120, seed=5, database=None), jobs=2)
    assert "APP-SR-ONCE" in result.failures
    assert result.examples >= 120
    assert result.errors == []


def test_the_pytest_suite_runs_the_app_in_a_worker_too(tmp_path: Path) -> None:
    """An app that ends its process fails its rule's item; pytest itself carries on."""
    target = f"{ROOT / 'fixtures' / 'broken' / 'harness_worker_died.py'}:dying_app"
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            f"--wsgi-app={target}",
            "--wsgi-profile=quick",
            "--wsgi-database=off",
            "--wsgi-seed=3",
            "--wsgi-select=HARNESS-*",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    failed = sorted(
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("FAILED ")
    )
    assert failed == ["wsgicheck::HARNESS-WORKER-DIED"]
    # test_nothing and the run item pass; the other HARNESS rules have no evidence.
    assert result.stdout.splitlines()[-1].startswith("1 failed, 2 passed, ")


# -- serve: the app in-process, but it survives and its output stays in whole lines ---------------


def _serving(
    target: str, cwd: Path, *options: str
) -> tuple[subprocess.Popen[bytes], int, list[str]]:
    """``wsgicheck serve TARGET`` on a free port, the port it printed, and the lines of its
    stdout up to that one (what the app printed when imported)."""
    process = subprocess.Popen(
        [*_command(), "serve", target, "--port", "0", *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    head: list[str] = []
    for _ in range(100):  # bounded: the banner comes once the app is imported
        head.append(process.stdout.readline().decode("utf-8"))
        if head[-1].startswith("wsgicheck: serving ") or not head[-1]:
            break
    return process, int(head[-1].split("http://127.0.0.1:")[1].split()[0]), head


def _get(port: int, path: str = "/") -> int:
    """The status of a GET of ``path`` on a fresh connection."""
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


SERVE_APP = """
import sys
import time


class Custom(BaseException):
    pass


KINDS = {
    "exit": lambda: SystemExit(3),
    "interrupt": KeyboardInterrupt,
    "generatorexit": GeneratorExit,
    "custom": lambda: Custom("custom"),
}


class Raising:
    def __init__(self, exc, where):
        self.exc, self.where = exc, where

    def __iter__(self):
        if self.where == "iter":
            raise self.exc
        return iter([b"x"])

    def __len__(self):
        if self.where == "len":
            raise self.exc
        return 1

    def close(self):
        if self.where == "close":
            raise self.exc


def app(environ, start_response):
    where, _, kind = environ["PATH_INFO"].strip("/").partition("/")
    if where == "call":
        raise KINDS[kind]()
    start_response("200 OK", [("Content-Type", "text/plain")])
    if where in ("iter", "len", "close"):
        return Raising(KINDS[kind](), where)
    sys.stdout.write("app says ")  # half a line, then the rest later
    sys.stdout.flush()
    time.sleep(0.01)
    print("hello")
    return [b"ok\\n"]
"""


def test_serve_survives_every_exception_kind_and_keeps_output_lines_whole(
    tmp_path: Path,
) -> None:
    import http.client

    target = write_app(tmp_path / "serve", SERVE_APP)
    process, port, _ = _serving(target, tmp_path, "--threads", "2")
    try:
        statuses = {}
        for where in ("call", "iter", "len", "close"):
            for kind in ("exit", "interrupt", "generatorexit", "custom"):
                try:
                    statuses[f"{where}/{kind}"] = _get(port, f"/{where}/{kind}")
                except (http.client.HTTPException, OSError):
                    statuses[f"{where}/{kind}"] = 0  # dropped, but the server lives on
        for _ in range(10):  # more requests than threads: none was lost
            assert _get(port) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        raw_out, raw_err = process.communicate(timeout=TIMEOUT)
    out, err = raw_out.decode("utf-8"), raw_err.decode("utf-8")
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert {k: v for k, v in statuses.items() if k.startswith("call/")} == {
        f"call/{kind}": 500 for kind in ("exit", "interrupt", "generatorexit", "custom")
    }
    said = [line for line in out.splitlines() if "app says" in line]
    assert said == ["| app says hello"] * 10


#: An app that writes what no terminal should see raw through Python's streams: print(), a
#: logging handler made at import (it holds the stream sys.stderr was then), a line that would
#: read as a finding of the trace, one that never ends; whether they are a terminal; and a
#: write to the file descriptor itself, which is the process's own.
PRINTING_APP = """
import logging, os, sys

EVIL = "\\x1b[2J\\x07\\rOK\\x1b]8;;http://evil.example/\\x1b\\\\go\\x1b]8;;\\x1b\\\\\\n::error::pwned"
logging.basicConfig(stream=sys.stderr, format="%(message)s")
print("imported")


def app(environ, start_response):
    print("print", EVIL)
    sys.stderr.write("stderr " + EVIL + "\\n")
    logging.getLogger("app").error("logged %s", EVIL)
    print("! GET /: APP-FAKE (MUST): not a finding")
    print("a terminal:", sys.stdout.isatty(), sys.stderr.isatty())
    sys.stdout.write("y" * 100_000)  # and no end of line, ever
    os.write(1, b"the process's own\\n")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def _served_once(target: str, tmp_path: Path) -> tuple[str, str]:
    """``serve TARGET`` answering one GET of / with 200, stopped by SIGTERM (exit 0): what
    it printed on stdout and stderr."""
    process, port, head = _serving(target, tmp_path)
    try:
        assert _get(port) == 200
    finally:
        process.send_signal(signal.SIGTERM)
        raw_out, raw_err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 0, raw_err
    return "".join(head) + raw_out.decode("utf-8"), raw_err.decode("utf-8")


def test_serve_shows_what_the_app_writes_marked_and_made_safe(tmp_path: Path) -> None:
    """Audit of 2026-12-05: serve passed the app's output to the terminal raw. Every line
    the app writes through Python's streams comes out as a "| " line, escaped and cut; the
    trace's lines alone start otherwise; a line that never ends is held no longer than 4,000
    characters."""
    target = write_app(tmp_path / "printing", PRINTING_APP)
    out, err = _served_once(target, tmp_path)
    for text in (out, err):
        assert not RAW_CONTROL.search(text), RAW_CONTROL.findall(text)
        assert not [line for line in text.splitlines() if line.startswith("::")]
    evil = "\\x1b[2J\\x07\\rOK\\x1b]8;;http://evil.example/\\x1b\\go\\x1b]8;;\\x1b\\"
    app_lines = [line for line in out.splitlines() if line.startswith("| ")]
    assert app_lines == [
        "| imported",
        f"| print {evil}",
        "| \\x3a:error::pwned",
        "| ! GET /: APP-FAKE (MUST): not a finding",
        "| a terminal: False False",
        f"| {show('y' * 100_000)}",  # held no longer: out at once, cut
    ]
    assert "the process's own" in out.splitlines()
    assert err.splitlines() == [
        f"| stderr {evil}",
        "| \\x3a:error::pwned",
        f"| logged {evil}",
        "| \\x3a:error::pwned",
    ]
    assert [line for line in out.splitlines() if line.startswith("!")] == []


BYTES_APP = """
import sys

OUT = sys.stdout.buffer  # as Mercurial's procutil takes it, while it is imported


def app(environ, start_response):
    OUT.write(b"bytes \\x1b[31mred caf\\xc3")
    OUT.write(b"\\xa9 \\xff\\n")  # a character split between writes, and a bad byte
    OUT.flush()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_serve_takes_an_app_that_writes_bytes_to_sys_stdout_buffer(tmp_path: Path) -> None:
    """Reproducer audit of 2026-12-05: serve could not load Mercurial's hgweb ('WholeLines'
    object has no attribute 'buffer'), where check could. The bytes go into the same
    escaped lines, decoded as UTF-8."""
    target = write_app(tmp_path / "bytes", BYTES_APP)
    out, _ = _served_once(target, tmp_path)
    assert not RAW_CONTROL.search(out)
    assert [line for line in out.splitlines() if line.startswith("| ")] == [
        "| bytes \\x1b[31mred caf\xe9 \\xff"
    ]


THREAD_APP = """
import threading, time

def _forever():
    while True:
        time.sleep(1)

def app(environ, start_response):
    threading.Thread(target=_forever).start()  # not a daemon: it would block the exit
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_serve_stops_on_ctrl_c_whatever_threads_the_app_left(tmp_path: Path) -> None:
    target = write_app(tmp_path / "threads", THREAD_APP)
    process, port, _ = _serving(target, tmp_path)
    try:
        assert _get(port) == 200
        process.send_signal(signal.SIGINT)
        out, err = (each.decode("utf-8") for each in process.communicate(timeout=TIMEOUT))
    finally:
        if process.poll() is None:  # pragma: no cover - only when the test fails
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert out.splitlines()[-1] == "wsgicheck: stopped"
    assert "Traceback" not in err


def test_a_line_never_ended_is_held_no_longer_than_four_thousand_characters() -> None:
    """An app that writes and never ends its line holds a bounded amount in serve: past
    4,000 characters what a thread holds goes out as a line, made safe and cut."""
    import io
    import threading

    from wsgicheck.report.console import WholeLines

    out = io.StringIO()
    stream = WholeLines(out, threading.RLock())
    for _ in range(10):
        stream.write("z" * 1000)
    assert out.getvalue() == f"| {show('z' * 5000)}\n" * 2
    stream.write("\x1b[31mend")
    stream.finish()
    assert out.getvalue().splitlines()[-1] == "| \\x1b[31mend"
    assert not stream.isatty()  # escaped text: no library should colour it for a terminal


def test_serve_splits_the_apps_lines_at_line_feeds_alone() -> None:
    """A progress bar redrawn with a bare CR stays one line, its CR escaped; a CRLF ends a
    line as an LF does (as every report shows the app's output: ``written_lines``)."""
    import io
    import threading

    from wsgicheck.report.console import WholeLines

    out = io.StringIO()
    stream = WholeLines(out, threading.RLock())
    stream.write("50%\r100%\r\nnext\x0cpage\n")
    stream.write("left\r")
    stream.finish()
    assert out.getvalue().splitlines() == ["| 50%\\r100%", "| next\\x0cpage", "| left\\r"]


def test_a_second_interrupt_while_the_workers_end_keeps_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C, then another (or the SIGTERM a cancelled job sends after it) while the
    workers were being ended: held through the cleanup and raised after it, the second
    lost the partial report the first was for (a full run under load, 2026-12-06)."""
    target = write_app(tmp_path / "plain", GOOD)
    real_end = supervisor._Worker.end
    ends: list[None] = []

    def end(self: Any) -> None:
        if not ends:  # the second Ctrl-C, in the middle of the cleanup
            os.kill(os.getpid(), signal.SIGINT)
        ends.append(None)
        real_end(self)

    def progress(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt  # the first: what _watch meets on Ctrl-C

    monkeypatch.setattr(supervisor._Worker, "end", end)
    # The worker's grace after the first Ctrl-C, made long: on a machine loaded with other
    # work the worker once took more than the 10 s a user waits to send what it had, and
    # its share was then lost by the timing, not by the second interrupt (a fresh-clone CI
    # run of 2026-12-07, beside two other checks).
    monkeypatch.setattr(supervisor, "INTERRUPT_GRACE", 120.0)
    try:
        result = supervise(target, RunOptions(database=None, seed=1), on_progress=progress)
    except KeyboardInterrupt:
        pytest.fail("the second interrupt escaped: the partial report was lost")
    assert ends
    assert result.interrupted is True
    assert 0 < result.examples < 200
