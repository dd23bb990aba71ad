"""The replays of a finding whose requests send back validators an earlier answer gave
(:mod:`wsgicheck.results.reproduce`) read them from the answers they get: an app reset since
the run (WsgiDAV over a folder made anew, Kinto started again) gives new ones, and a replay
that sent the run's would ask it another question, and pass.

The app is real, and so are its resets: it keeps its validators in a file beside it, as
WsgiDAV's ETag holds a file's inode and mtime; the tests write a new generation into that
file between the run and the replays. The run (``supervise``) is real, and so are the
replays: the Python one in an interpreter of its own, the curl one against ``wsgicheck
serve`` on 127.0.0.1.
"""

from __future__ import annotations

import ast
import json
import shutil
import socket
import subprocess
import sys
import threading
from email.utils import formatdate
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rulekit import python_replay
from test_cli import CLEAN, FAST, TIMEOUT, cli, served, write_app
from wsgicheck.core.environ import ServerConfig
from wsgicheck.explore.supervisor import supervise
from wsgicheck.model.options import RunOptions
from wsgicheck.model.request import Framing, From, LearnedField, Request
from wsgicheck.results.reproduce import (
    LONGEST_RUN,
    REPEATED_FROM,
    SERVE_URL,
    _request_lines,
    body_source,
    probe_reproducers,
    reproducers,
)
from wsgicheck.results.run import RunResult

#: The validators of generation N (in the file ``generation`` beside the app, written with
#: a random N when missing): ETag "gN", Last-Modified three days later each generation. At
#: ``/``, a 304 with a body to an If-None-Match that matches the ETag
#: (APP-NO-BODY-FOR-STATUS); at ``/dated`` (Last-Modified alone), a 206 to an If-Range date
#: at or after Last-Modified, where only the exact date holds (APP-IF-RANGE, WebOb 1.8's).
RESET_APP = """
    import pathlib
    import random
    from email.utils import formatdate, parsedate_to_datetime

    STATE = pathlib.Path(__file__).with_name("generation")
    if not STATE.exists():
        STATE.write_text(str(random.randrange(1000)))
    GENERATION = int(STATE.read_text())
    TAG = f'"g{GENERATION}"'
    SINCE = 1_600_000_000 + GENERATION * 3 * 86400
    MODIFIED = formatdate(SINCE, usegmt=True)

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        if path == "/":
            if environ.get("HTTP_IF_NONE_MATCH") == TAG:
                start_response("304 Not Modified", [("ETag", TAG)])
                return [b"hello"]
            start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", TAG)])
            return [b"hello"]
        if path == "/dated":
            fields = [("Content-Type", "text/plain"), ("Last-Modified", MODIFIED)]
            try:
                since = parsedate_to_datetime(environ.get("HTTP_IF_RANGE", "")).timestamp()
            except (TypeError, ValueError):
                since = None
            if environ.get("HTTP_RANGE") == "bytes=0-0" and since is not None and since >= SINCE:
                fields += [("Content-Range", "bytes 0-0/5")]
                start_response("206 Partial Content", fields)
                return [b"h"]
            start_response("200 OK", [*fields, ("Accept-Ranges", "bytes")])
            return [b"hello"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"none"]
"""
RULES = ("APP-NO-BODY-FOR-STATUS", "APP-IF-RANGE")
OPTIONS = RunOptions(max_examples=40, seed=3, database=None, paths=("/dated",), select=RULES)


def _run(tmp_path: Path) -> tuple[str, RunResult, int]:
    """The app's spec, the run's result, and the generation the run saw."""
    spec = write_app(tmp_path, "reset.py", RESET_APP)
    result = supervise(spec, OPTIONS)
    return spec, result, int((tmp_path / "generation").read_text())


def _reset(tmp_path: Path, generation: int) -> int:
    """A new generation for the app (a new ETag, a Last-Modified three days later)."""
    (tmp_path / "generation").write_text(str(generation + 1))
    return generation + 1


def test_the_run_keeps_the_get_whose_answer_the_finding_sends_back(tmp_path: Path) -> None:
    """Each finding is sent after the one GET that taught its validator, and fails on a
    fresh app (the same generation: the confirming process loads it from the same file)."""
    _, result, generation = _run(tmp_path)
    assert sorted(result.failures) == sorted(RULES)
    for rule_id, target in zip(RULES, ("/", "/dated"), strict=True):
        failure = result.failures[rule_id]
        assert failure.fresh is True, rule_id
        assert [(each.method, each.target) for each in failure.before] == [("GET", target)]
        assert failure.before[0].header_values("if-none-match") == []
    sent = result.failures["APP-NO-BODY-FOR-STATUS"].request.header_values("if-none-match")
    assert sent == [f'"g{generation}"']


def test_the_python_replay_fails_on_an_app_reset_since_the_run(tmp_path: Path) -> None:
    """Run on a new generation, in an interpreter of its own, each Python replay still shows
    its finding: it sends back the validators this generation gives, changed as the run
    changed them (the If-Range a day after the Last-Modified)."""
    _, result, generation = _run(tmp_path)
    _reset(tmp_path, generation)
    for rule_id in RULES:
        replay = python_replay(result.failures[rule_id].reproducers.python, tmp_path, TIMEOUT)
        assert replay.returncode == 0, replay.stderr
        assert [line.split(" ", 1)[0] for line in replay.stdout.splitlines()] == [rule_id]


def _serve(
    tmp_path: Path, spec: str, curl: str
) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """How the curl replay ``curl`` ran against ``wsgicheck serve`` (on the port it picked,
    where the replay names port 8000), and the trace ``serve`` printed meanwhile."""
    with served(spec, tmp_path) as (server, url):
        done = subprocess.run(
            ["bash", "-c", curl.replace(SERVE_URL, url)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        server.terminate()
        trace, _ = server.communicate(timeout=TIMEOUT)
    return done, trace.splitlines()


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.skipif(shutil.which("python3") is None, reason="the replay moves dates with python3")
def test_the_curl_replay_fails_against_serve_on_an_app_reset_since_the_run(
    tmp_path: Path,
) -> None:
    """Pasted into bash against ``wsgicheck serve`` on a new generation, each curl replay
    reads the validators from the GET it sends first, and ``serve`` flags the finding on
    the request that sends them back."""
    spec, result, generation = _run(tmp_path)
    now = _reset(tmp_path, generation)
    day_after = formatdate(1_600_000_000 + now * 3 * 86400 + 86400, usegmt=True)
    for rule_id, target, sent in (
        ("APP-NO-BODY-FOR-STATUS", "/", f'> If-None-Match: "g{now}"'),
        ("APP-IF-RANGE", "/dated", f"> If-Range: {day_after}"),
    ):
        done, trace = _serve(tmp_path, spec, result.failures[rule_id].reproducers.curl)
        assert done.returncode == 0, done.stderr
        flagged = [line.split(" (", 1)[0] for line in trace if line.startswith("! ")]
        assert flagged == [f"! GET {target}: {rule_id}"], trace
        assert sent in trace


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_curl_replay_of_a_head_with_a_body_says_how_curl_ends(tmp_path: Path) -> None:
    """An app trial of 2026-12-07: the replay of a HEAD with a body always ended "curl:
    (28) Operation timed out", though ``serve`` showed the finding; nothing said to expect
    it. The note beside the command now says so, and it is what curl does."""
    request = Request(
        method="HEAD", headers=(("Host", "localhost"),), body=b"x=1", framing=Framing.CONTENT_LENGTH
    )
    made = reproducers(request, ServerConfig(), "app.py:app")
    assert made.against.endswith(
        "; curl, sending a HEAD with a body, waits after the head for any body the answer's "
        'Content-Length announces, and then ends at --max-time with exit 28 ("Operation '
        'timed out")'
    )
    done, trace = _serve(tmp_path, CLEAN, made.curl)
    assert done.returncode == 28, done.stderr
    assert "< HTTP/1.1 200 OK" in trace
    plain = reproducers(
        Request(method="HEAD", headers=(("Host", "localhost"),)), ServerConfig(), ""
    )
    assert "exit 28" not in plain.against


def test_a_validator_no_replayed_answer_gave_is_sent_as_the_run_sent_it() -> None:
    """A field taught by an answer the replay does not ask for (another target's) is sent
    as the run sent it, and both replays say so, in one line."""
    told = LearnedField(name="If-None-Match", value='"v1"', teacher=None, parts=('"v1"',))
    host = (("Host", "localhost"),)
    request = Request(headers=(*host, ("If-None-Match", '"v1"')), learned=(told,))
    replays = reproducers(request, ServerConfig(multithread=True), "app:app", (Request(),))
    note = "If-None-Match: sent as in the run, learned from an answer not replayed here"
    assert replays.against.endswith(f"; {note}")
    assert f"# {note}." in replays.python.splitlines()
    assert "-H 'If-None-Match: \"v1\"'" in replays.curl
    assert "('If-None-Match', '\"v1\"')" in replays.python
    # Taught by the request before it, the same field is read from that request's answer.
    taught = LearnedField(
        name="If-None-Match", value='"v1"', teacher=Request(), parts=(From("etag", "stale"),)
    )
    replays = reproducers(
        request.replace(learned=(taught,)), ServerConfig(multithread=True), "app:app", (Request(),)
    )
    assert replays.against == "`wsgicheck serve TARGET --port 8000`"
    assert "('If-None-Match', stale(etag))" in replays.python
    assert "from wsgicheck.model.learned import stale" in replays.python.splitlines()
    assert '-H "If-None-Match: ${tag%?}-stale\\""' in replays.curl


NO_VALIDATORS = """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"no tag here"]
"""


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_a_replay_whose_answer_gives_no_validator_stops_and_says_so(tmp_path: Path) -> None:
    """Review of 2026-12-05: against an app that gives no ETag (one changed since the run),
    the Python replay died of an AttributeError in ``stale(None)``, and the curl one sent
    ``If-None-Match: -stale"``. Both stop at the answer now, saying what it lacked."""
    spec = write_app(tmp_path, "untagged.py", NO_VALIDATORS)
    teacher = Request(headers=(("Host", "localhost"),))
    taught = LearnedField(
        name="If-None-Match", value='"v1-stale"', teacher=teacher, parts=(From("etag", "stale"),)
    )
    request = Request(
        headers=(("Host", "localhost"), ("If-None-Match", '"v1-stale"')), learned=(taught,)
    )
    replays = reproducers(request, ServerConfig(multithread=True), spec, (teacher,))
    python = python_replay(replays.python, tmp_path, TIMEOUT)
    assert python.returncode == 1
    assert python.stderr.strip().splitlines()[-1] == "AssertionError: the answer gave no ETag"
    curl, trace = _serve(tmp_path, spec, replays.curl)
    assert curl.returncode != 0
    assert curl.stderr.strip().endswith("the answer gave no ETag")
    assert "If-None-Match" not in trace  # the second request was never sent


#: Answers 304 only to an If-Modified-Since that is its Last-Modified as it wrote it
#: (Quixote 3.8 compares the text): the same instant in an obsolete form gets 200.
AS_TEXT = """
    from email.utils import formatdate

    MODIFIED = formatdate(1_600_000_000, usegmt=True)

    def app(environ, start_response):
        fields = [("Content-Type", "text/plain"), ("Last-Modified", MODIFIED)]
        if environ.get("HTTP_IF_MODIFIED_SINCE") == MODIFIED:
            start_response("304 Not Modified", fields[1:])
            return []
        start_response("200 OK", fields)
        return [b"hello"]
"""


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.skipif(shutil.which("python3") is None, reason="the replay restates with python3")
def test_a_date_sent_back_in_an_obsolete_form_is_restated_by_both_replays(
    tmp_path: Path,
) -> None:
    """The app sweep of 2026-12-05: a question sends the Last-Modified back in the asctime
    form; each replay writes it so from the answer it gets (the shell's ``restated``, the
    Python replay's :func:`~wsgicheck.model.learned.restated`), and shows the fault."""
    spec = write_app(tmp_path, "as_text.py", AS_TEXT)
    host = (("Host", "localhost"),)
    asctime = "Sun Sep 13 12:26:40 2020"
    taught = LearnedField(
        name="If-Modified-Since",
        value=asctime,
        teacher=Request(headers=host),
        parts=(From("last-modified", "asctime"),),
    )
    request = Request(headers=(*host, ("If-Modified-Since", asctime)), learned=(taught,))
    replays = reproducers(request, ServerConfig(multithread=True), spec, (Request(headers=host),))
    assert "from wsgicheck.model.learned import restated" in replays.python.splitlines()
    python = python_replay(replays.python, tmp_path, TIMEOUT)
    assert python.returncode == 0, python.stderr
    assert [line.split(" ", 1)[0] for line in python.stdout.splitlines()] == [
        "APP-IF-MODIFIED-SINCE"
    ]
    curl, trace = _serve(tmp_path, spec, replays.curl)
    assert curl.returncode == 0, curl.stderr
    assert f"If-Modified-Since: {asctime}" in "\n".join(trace)


@settings(max_examples=200, deadline=None)
@given(
    run=st.binary(min_size=1, max_size=LONGEST_RUN),
    length=st.integers(0, 5000),
    tail=st.binary(max_size=3),
)
def test_a_body_is_written_as_python_that_makes_it_again(
    run: bytes, length: int, tail: bytes
) -> None:
    """A long body that repeats a run is written as the run repeated, so a replay of a
    megabyte fits a line; any body's source evaluates to the body itself."""
    body = (run * (length // len(run) + 1))[:length] + tail
    source = body_source(body)
    assert eval(source) == body  # the source is this module's own output
    if not tail and length >= REPEATED_FROM:
        assert len(source) < 4 * LONGEST_RUN + 60


def test_a_raw_byte_of_a_target_is_written_as_its_escape() -> None:
    """A target's raw byte 0xC3 is the latin-1 character 'Ã': the replay printed it so,
    which reads as mojibake beside the report's ``\\xc3`` (a trial of 2026-12-06). The
    source is ASCII, and makes the same request again."""
    request = Request(
        target="/a?%F0%9F%98%80['\xc3",
        headers=(("Host", "localhost"), ("X-Name", "K\xf6ln")),
    )
    lines = _request_lines(request)
    assert all(line.isascii() for line in lines)
    assert '    target="/a?%F0%9F%98%80[\'\\xc3",' in lines
    made = eval("Request(" + "".join(lines) + ")")  # the module's own output
    assert made == request


def _answer_at_eof(listener: socket.socket, got: list[bytes]) -> None:
    """Accept one connection, read until the client shuts its side (bounded), and answer
    with a count of the bytes read: a server whose app's read waits past the body."""
    conn, _ = listener.accept()
    with conn:
        conn.settimeout(10)
        data = b""
        for _ in range(64):
            more = conn.recv(65536)
            if not more:
                break
            data += more
        got.append(data)
        body = b"%d" % len(data)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


def test_a_probe_replay_sends_a_write_whole_and_shuts_its_side_as_the_probe_did() -> None:
    """A probe trial of 2026-12-06: the replay of SRV-INPUT-EOF-AT-CL sent the body alone,
    where the probe sent the next request in the same write, and waited out its time where
    the probe shut its side of the connection: it showed nothing."""
    body = Request(
        method="POST",
        headers=(("Host", "127.0.0.1:1"),),
        body=b"line\n",
        framing=Framing.CONTENT_LENGTH,
    )
    behind = Request(target="/after-the-body", headers=(("Host", "127.0.0.1:1"),))
    made = probe_reproducers(
        body, "wsgicheck.probe.app:app", "127.0.0.1:1", (body, behind), shut=True
    )
    assert "shut the client's side when no answer comes" in made.against
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        got: list[bytes] = []
        thread = threading.Thread(target=_answer_at_eof, args=(listener, got), daemon=True)
        thread.start()
        script = made.python.replace("8000", str(port))
        shown = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        )
        thread.join(10)
    assert got == [made.raw.replace(b"8000", str(port).encode())]
    assert b"GET /after-the-body HTTP/1.1" in got[0]
    assert "the client shuts its side" in shown.stdout
    assert f"Content-Length: {len(str(len(got[0])))}" in shown.stdout


#: An app that starts a thread Python waits for at exit at import (as calibre-web's
#: scheduler is), named with a str subclass of its own (which ``Thread`` keeps as it is),
#: and a second one when its first request comes, on whatever thread calls it; each waits
#: 60 s at most. It sends no Content-Type (APP-CONTENT-TYPE, a SHOULD).
LINGERING_APP = """
    import threading


    def _name():
        class Name(str):  # local: no pickle can name it
            def __str__(self):
                return self

        return Name("scheduler\\x1b[31m")


    threading.Thread(target=threading.Event().wait, args=(60,), name=_name()).start()
    STARTED = []


    def app(environ, start_response):
        if not STARTED:
            STARTED.append(threading.Thread(target=threading.Event().wait, args=(60,), name="lazy"))
            STARTED[0].start()
        start_response("200 OK", [("Content-Length", "2")])
        return [b"hi"]
"""


def test_the_python_replay_of_an_app_that_leaves_threads_running_ends(tmp_path: Path) -> None:
    """The app's threads would keep the replay's interpreter waiting at exit, 60 s here and
    for ever in calibre-web: the replay ends its process itself once it has printed, and
    says why, naming the threads as safe text. The one started on the run's first request
    counts too, though it ran on a daemon thread of wsgicheck's and inherited the flag (a
    review of 2026-12-07: its replay, which calls the app on its main thread, hung); the
    name of the app's own str subclass travels as plain text (it broke the worker)."""
    target = write_app(tmp_path, "lingering.py", LINGERING_APP)
    done = cli(tmp_path, "check", target, *FAST, "--format", "json")
    assert done.returncode == 0, done.stderr
    (shown,) = [each for each in json.loads(done.stdout)["results"] if each["status"] == "fail"]
    assert shown["rule"] == "APP-CONTENT-TYPE"
    assert shown["python"].splitlines()[:3] == ["import os", "import sys", ""]
    assert shown["python"].splitlines()[-5:] == [
        "# The app leaves threads running, which Python waits for at exit: the replay",
        "# ends its process itself (leave these lines out of a test). The threads:",
        "# 'scheduler\\x1b[31m', 'lazy'",
        "sys.stdout.flush()",
        "os._exit(0)",
    ]
    replay = python_replay(shown["python"], tmp_path, TIMEOUT)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout == f"APP-CONTENT-TYPE {shown['message']}\n"


def test_a_python_replay_names_two_lingering_threads_at_most() -> None:
    """Past two, the rest are counted; each is quoted as safe text (a comma in a name does
    not run two together), and a long one cut."""
    names = ("b\n, c", "c" * 80, "d", "e")
    snippet = reproducers(Request(), ServerConfig(), "app.py:app", lingering=names).python
    said = snippet.splitlines()[-3]
    assert said == f"# 'b\\n, c', '{'c' * 59}... and 2 more"
    ast.parse(snippet)


def test_a_python_replay_of_an_app_that_leaves_no_thread_ends_as_python_does() -> None:
    snippet = reproducers(Request(), ServerConfig(), "app.py:app").python
    assert "os" not in {
        line.split()[-1] for line in snippet.splitlines() if line.startswith("import")
    }
    assert "_exit" not in snippet
