"""``wsgicheck probe`` against real servers from PyPI, on loopback, as subprocesses.

Each server is probed once (a few generated requests on top of the corpus) and checked for
a handful of its documented behaviours; wsgicheck's own server must pass every SERVER and
ENVIRON rule. The process tests check that no server outlives its probe, whatever happens.
All waits are bounded by the probe's own time limits.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from probeutil import messages, probe_script
from serverutil import BOUNDED_INPUT_SOURCE
from test_rules_probe import reader
from wsgicheck.cli import main
from wsgicheck.drivers.server import live_server
from wsgicheck.model.options import RunOptions
from wsgicheck.model.request import Framing, Request
from wsgicheck.probe import ProbeOptions, ProbeResult, prober
from wsgicheck.probe import report as probe_report
from wsgicheck.probe.command import KNOWN_SERVERS
from wsgicheck.probe.matrix import build, to_html, to_markdown
from wsgicheck.probe.process import ServerProcess, ServerStartError, free_port
from wsgicheck.probe.report import probe_data, render
from wsgicheck.probe.scenarios import HEADER
from wsgicheck.probe.servers import KnownServer, resolve, server_file
from wsgicheck.probe.session import Sent
from wsgicheck.probe.stability import merge_runs
from wsgicheck.results.reproduce import probe_reproducers
from wsgicheck.results.run import RunResult
from wsgicheck.rules import REGISTRY, Binding, Exchange, Finding, RuleResult, check_exchange

#: Few generated requests: the corpus carries the scenarios; these keep the tests quick.
OPTIONS = ProbeOptions(examples=3, seed=20261124)


@functools.cache
def probed(server: str) -> ProbeResult:
    """The probe of ``server`` (once per test process)."""
    return prober.probe(server, OPTIONS)


def scenario(result: ProbeResult, name: str, arg: str = "") -> Exchange:
    """The first exchange of scenario ``name`` (with ``arg``)."""
    for exchange in result.exchanges:
        value = exchange.request.header_values(HEADER)
        if value and value[0].split()[1:] == ([name, arg] if arg else [name]):
            return exchange
    raise AssertionError(f"no exchange of {name} {arg}")


def verdict(result: ProbeResult, rule: str) -> str:
    return result.verdicts()[rule]


def processes_with(marker: str) -> list[int]:
    """Live processes whose command line holds ``marker`` (zombies are not alive)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def assert_closed_on_every_path(result: ProbeResult) -> None:
    for path in ("a normal end", "an exception in the iterable", "the client hung up"):
        key = f"close() after {path}"
        assert result.observations[key] == "called once", (key, result.observations[key])
    assert verdict(result, "SRV-CLOSE-CALLED") == "pass"


# -- the servers ---------------------------------------------------------------------------------


def test_wsgiref_speaks_http10_and_passes_chunked_bodies_through() -> None:
    result = probed("wsgiref")
    # wsgiref.simple_server is an HTTP/1.0 server (WSGIRequestHandler's protocol_version),
    # and its Server header names the interpreter: "WSGIServer/0.2 CPython/3.x.y".
    echo = scenario(result, "echo")
    assert echo.response.header("Server").endswith(f"Python/{platform.python_version()}")
    assert result.observations["HTTP/1.1 request answered with"] == "HTTP/1.0"
    assert result.observations["keep-alive"].startswith("no")
    # It closes after each response: the order of pipelined answers is not judged.
    assert verdict(result, "SRV-RESPONSE-ORDER") == "skip"
    # HTTP/1.0, so the Expect/Continue duty is not its (PEP 3333 says so).
    assert verdict(result, "SRV-EXPECT-CONTINUE") == "skip"
    # Nor does it send an HTTP/1.0 client a 100 Continue (RFC 9110 §15.2).
    assert verdict(result, "SRV-NO-1XX-TO-HTTP10") == "pass"
    # It does not decode a chunked request body: the app reads the chunk framing.
    assert result.observations["chunked request body"] == "passed through with its chunk framing"
    assert verdict(result, "SRV-HANDLE-INBOUND-HOP") == "fail"
    # It invents CONTENT_TYPE "text/plain" for a request that sent none (the README's
    # differential table).
    assert verdict(result, "ENV-CONTENT-TYPE") == "fail"
    assert any(each.key == "CONTENT_TYPE" for each in result.differences)
    # It strips a field value read as latin-1 of Unicode whitespace, obs-text bytes 0xA0 and
    # 0x85 among it (RFC 9110 §5.5: opaque data): the corpus sends them whatever the seed.
    # And it hands on a value folded over two lines with its line break (RFC 9112 §5.2).
    assert messages(result, "ENV-HTTP-VALUES") == [
        "HTTP_X_OBS_TEXT is 'opaque'; the request's X-Obs-Text field line: "
        + repr("\xa0opaque\x85"),
        "HTTP_X_FOLDED is 'one\\r\\n two': a line break of the request's head, passed on (an "
        "obs-fold, which RFC 9112 §5.2 has a server replace with spaces, or refuse with a 400)",
    ]
    # The text report shows the first; the second is among the appendix's other findings.
    appendix = probe_report._appendix(result)
    more = appendix.index("More findings of the rules above (each after the one shown there):")
    listed = " ".join(line.strip() for line in appendix[more:])
    assert "ENV-HTTP-VALUES: HTTP_X_FOLDED is 'one\\r\\n two': a line break" in listed
    assert "ENV-HTTP-VALUES: HTTP_X_OBS_TEXT" not in listed  # the one shown above
    assert_closed_on_every_path(result)
    assert result.observations["wsgi.file_wrapper"] == "offered"
    assert verdict(result, "SRV-FILE-WRAPPER-FALLBACK") == "pass"
    # It adds Content-Length: 0 to a bare 204 (RFC 9110 §8.6: a server MUST NOT), and to a
    # 304 whose 200 has a body and a HEAD whose GET has one (§8.6: only the GET's 200's length
    # may stand there), and sends the head on the app's first block even when it is empty.
    assert set(messages(result, "SRV-NO-BODY-HEAD-204-304")) == {
        "the server sent a 204 response with Content-Length",
        "the server added Content-Length: '0' to a 304 the app gave none; the 200 to the same "
        "request without its condition had 36 bytes",
        "the server added Content-Length: '0' to a HEAD response the app gave none; the GET of "
        "the same target had 36 bytes",
    }
    # Every connection closes after its answer, a short body's and a raising app's too.
    assert result.observations["body shorter than Content-Length"] == "connection closed"
    assert result.observations["exception inside a body under its Content-Length"] == (
        "connection closed"
    )
    # One request at a time, and it says so: simple_server passes multithread=False.
    assert result.observations["two requests at once"] == "run one after the other"
    assert result.observations["wsgi.multithread"] == "False"
    assert verdict(result, "ENV-MULTITHREAD-ACCURATE") == "pass"
    assert verdict(result, "SRV-DEFER-HEADERS") == "fail"


def test_waitress_keeps_connections_and_decodes_chunked_bodies() -> None:
    result = probed("waitress")
    assert result.observations["HTTP/1.1 request answered with"] == "HTTP/1.1"
    # Waitress keeps HTTP/1.1 connections open and serves pipelined requests in order.
    assert result.observations["keep-alive"] == "yes"
    assert result.observations["pipelining"] == "yes"
    assert verdict(result, "SRV-RESPONSE-ORDER") == "pass"
    assert result.observations["chunked request body"] == "decoded"
    assert verdict(result, "SRV-HANDLE-INBOUND-HOP") == "pass"
    # A thread pool in one process.
    assert result.observations["wsgi.multithread"] == "True"
    assert result.observations["wsgi.multiprocess"] == "False"
    assert result.observations["two requests at once"] == "run at the same time"
    assert verdict(result, "ENV-MULTITHREAD-ACCURATE") == "pass"
    assert result.observations["SERVER_SOFTWARE"] == "waitress"
    # It drops X-Forwarded-For from peers it does not trust (clear_untrusted_proxy_headers).
    assert any("HTTP_X_FORWARDED_FOR" in each for each in messages(result, "ENV-HTTP-VARS"))
    assert result.observations["wsgi.file_wrapper"] == "offered"
    assert_closed_on_every_path(result)
    # To HEAD, with no body from the app, it sends a chunked body's last chunk anyway.
    assert set(messages(result, "SRV-NO-BODY-HEAD-204-304")) == {
        "5 bytes (b'0\\r\\n\\r\\n'...) followed the head of a HEAD request for which the app "
        "gave no body"
    }
    # It keeps the connection after a request that said both Content-Length and
    # Transfer-Encoding, and answers the request behind (RFC 9112 §6.1: it must close).
    assert messages(result, "SRV-BOTH-LENGTHS-CLOSE") == [
        "this request came behind one that sent both Content-Length and Transfer-Encoding, "
        "and the server answered it (200) on the same connection, which it must close after "
        "its first answer: a front end that read the other length would have sent it "
        "another request (smuggling)"
    ]
    # Its replay sends what the probe sent, both lengths, the request behind in one write
    # (a re-trial of 2026-12-06: it sent a plain chunked POST, which any server may answer
    # and keep going after), and says curl cannot.
    replays = result.run.failures["SRV-BOTH-LENGTHS-CLOSE"].reproducers
    assert (
        b"Transfer-Encoding: chunked\r\nContent-Length: 15\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        b"GET /after-both-lengths HTTP/1.1\r\n"
    ) in replays.raw
    assert replays.against.endswith(
        "only the raw bytes send the head as the probe did, which curl cannot spell"
    )
    # The folded value goes as it went, in the report and in the replays.
    assert (
        b"\r\nX-Folded: one\r\n two\r\n" in scenario(result, "echo", "obs-fold").request.to_bytes()
    )


def test_gunicorn_sync_worker_closes_each_connection_and_leaves_no_process() -> None:
    result = probed("gunicorn")
    assert result.observations["SERVER_SOFTWARE"].startswith("gunicorn/")
    # The sync worker does not support persistent connections: every response closes.
    assert result.observations["keep-alive"].startswith("no")
    assert scenario(result, "echo").response.header("Connection") == "close"
    assert verdict(result, "SRV-RESPONSE-ORDER") == "skip"
    # One sync worker: neither threads nor several processes, one request at a time.
    assert result.observations["wsgi.multithread"] == "False"
    assert result.observations["wsgi.multiprocess"] == "False"
    assert result.observations["two requests at once"] == "run one after the other"
    assert verdict(result, "ENV-MULTITHREAD-ACCURATE") == "pass"
    assert verdict(result, "ENV-RUN-ONCE-ACCURATE") == "pass"
    assert result.observations["chunked request body"] == "decoded"
    # It refuses a lower-case method (a valid token) with a 400 of its own, without Date;
    # the app never saw it, so SRV-ADD-REQUIRED-HEADERS (the app's answers) does not judge it.
    assert (
        "first: 400 for 'purge /method HTTP/1.1'"
        in (result.observations["valid requests refused without running the app"])
    )
    assert verdict(result, "SRV-ADD-REQUIRED-HEADERS") == "pass"
    assert verdict(result, "SRV-BOTH-LENGTHS-CLOSE") == "pass"
    assert_closed_on_every_path(result)
    # The probe app's file wrappers are gunicorn's own: it takes its sendfile path.
    assert verdict(result, "SRV-FILE-WRAPPER-SEMANTICS") == "pass"
    # Master and worker are gone (their command line holds the address the probe chose).
    bind = result.command[result.command.index("--bind") + 1]
    assert processes_with(f"--bind {bind}") == []


def test_werkzeug_dev_server() -> None:
    result = probed("werkzeug")
    assert result.observations["SERVER_SOFTWARE"].startswith("Werkzeug/")
    # run_simple(threaded=True), as `flask run`: HTTP/1.1 and a thread per request.
    assert result.observations["HTTP/1.1 request answered with"] == "HTTP/1.1"
    assert result.observations["wsgi.multithread"] == "True"
    # Werkzeug decodes chunked request bodies and sets wsgi.input_terminated.
    assert result.observations["chunked request body"] == "decoded"
    # It offers no wsgi.file_wrapper, so the file-wrapper rules do not apply.
    assert result.observations["wsgi.file_wrapper"] == "not offered"
    assert verdict(result, "SRV-FILE-WRAPPER-FALLBACK") == "skip"
    # It decodes the path as UTF-8, so a byte that is not UTF-8 arrives as U+FFFD.
    found = messages(result, "ENV-URL-RECONSTRUCTABLE")
    assert any("is '/latin-1/\xef\xbf\xbd'" in each for each in found), found
    # It sends 100 Continue to an HTTP/1.0 client's Expect, as the app reads (a probe
    # trial of 2026-12-07, by hand): RFC 9110 §15.2 forbids any 1xx to such a client.
    assert messages(result, "SRV-NO-1XX-TO-HTTP10") == [
        "the server sent 100 Continue to an HTTP/1.0 request's Expect, which it must ignore: "
        "an HTTP/1.0 client reads the 100 as its answer"
    ]
    # The PEP's Expect/Continue rules judge its HTTP/1.1 requests, not that one.
    assert verdict(result, "SRV-EXPECT-CONTINUE") == "pass"
    assert_closed_on_every_path(result)


def test_cheroot() -> None:
    result = probed("cheroot")
    assert result.observations["SERVER_SOFTWARE"].startswith("Cheroot/")
    assert result.observations["keep-alive"] == "yes"
    assert result.observations["pipelining"] == "yes"
    assert verdict(result, "SRV-RESPONSE-ORDER") == "pass"
    # It leaves an encoded slash encoded in PATH_INFO.
    found = messages(result, "ENV-URL-RECONSTRUCTABLE")
    assert any("is '/a%2Fb/c'" in each for each in found), found
    assert result.observations["chunked request body"] == "decoded"
    # Its readlines() passes the hint 0 to readline(), which gives b"": nothing at all; and
    # iteration reads the connection on, into the request pipelined behind the body.
    assert set(messages(result, "SRV-INPUT-LINES")) == {
        "wsgi.input.readlines() returned 0 bytes with 78 of the body left"
    }
    assert set(messages(result, "SRV-INPUT-EOF-AT-CL")) == {
        "wsgi.input.__next__() returned 51 bytes with 21 left before CONTENT_LENGTH: 30 bytes "
        "past the end of the body"
    }
    # After a request that said both lengths, it reads on and answers the request behind
    # (RFC 9112 §6.1: it must close the connection).
    assert messages(result, "SRV-BOTH-LENGTHS-CLOSE") == [
        "this request came behind one that sent both Content-Length and Transfer-Encoding, "
        "and the server answered it (200) on the same connection, which it must close after "
        "its first answer: a front end that read the other length would have sent it "
        "another request (smuggling)"
    ]
    # A value folded over two lines keeps its second line alone (a probe trial of
    # 2026-12-06): RFC 9112 §5.2 has the fold replaced with spaces, or the request refused.
    assert messages(result, "ENV-HTTP-VALUES") == [
        "HTTP_X_FOLDED is 'two'; the request's X-Folded field, sent folded over two lines (an "
        "obs-fold, RFC 9112 §5.2), unfolded: 'one two'"
    ]
    assert_closed_on_every_path(result)


def test_wsgicheck_own_server_passes_every_server_and_environ_rule() -> None:
    result = probed("wsgicheck")
    failing = {
        rule: [finding.message for finding in each.findings]
        for each in result.run.results
        for rule in [each.rule.id]
        if each.status == "fail"
    }
    assert failing == {}
    assert result.notes == []
    applied = [each for each in result.run.results if each.status == "pass"]
    assert len(applied) >= 60
    assert {each.rule.binding for each in result.run.results} == {
        Binding.SERVER,
        Binding.ENVIRON,
    }
    assert result.observations["keep-alive"] == "yes"
    assert result.observations["Expect: 100-continue"].startswith("100 Continue sent")
    assert verdict(result, "SRV-UNBUFFERED-TX") == "pass"


# -- the matrix and the command ------------------------------------------------------------------


def test_a_text_report_of_several_servers_ends_with_each_ones_verdict() -> None:
    """A trial of 2026-12-07: ``probe --all`` ended with the last server's "passed" line
    above an exit status of 1, five of six servers having failed."""
    failing, passing = probed("wsgiref"), probed("wsgicheck")
    assert failing.failed()
    assert not passing.failed()
    text = render([failing, passing], "text")
    assert text.endswith("\nFAILED: 1 of 2 servers failed (wsgiref)\n")
    assert render([passing, passing], "text").endswith("\npassed: none of the 2 servers failed\n")
    assert "servers failed" not in render([failing], "text")  # one server: its own line


def test_the_matrix_has_a_column_per_server_and_a_row_per_rule() -> None:
    results = [probed("wsgicheck"), probed("gunicorn")]
    matrix = build(results, left_out=["cheroot: not installed, skipped"], date="2026-11-24")
    assert [column.server for column in matrix.columns] == ["wsgicheck", "gunicorn"]
    ids = [row.rule for row in matrix.rows]
    assert "SRV-CLOSE-CALLED" in ids
    assert "ENV-CGI-STR" in ids
    # No app rule, and of the harness's own only the server's death and its silence.
    assert [rule for rule in ids if rule.startswith(("APP-", "HARNESS-"))] == [
        "HARNESS-SERVER-DIED",
        "HARNESS-SERVER-ANSWERS",
    ]
    markdown = to_markdown(matrix)
    assert (
        "| `SRV-CLOSE-CALLED` | MUST | PEP 3333, Specification Details | ✅ pass | ✅ pass |"
        in (markdown)
    )
    assert "| ✅ pass | ❌ MUST broken | ⚠️ SHOULD not followed | — n/a | · not probed |" in markdown
    assert "cheroot: not installed, skipped" in markdown
    assert "Measured 2026-11-24." in markdown
    page = to_html(matrix)
    assert page.startswith("<!DOCTYPE html>")
    assert '<td class="pass">' in page
    assert "\\ufe0f" not in page  # the harness's own marks, not escaped as an app's text
    assert matrix.counts("wsgicheck")["fail"] == 0


def test_cli_probe_json_report(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["probe", "wsgicheck", "--format", "json", "--examples", "2", "--seed", "1"])
    out = capsys.readouterr().out
    assert status == 0
    document = json.loads(out)
    [entry] = document["probes"]
    assert entry["probe"]["server"] == "wsgicheck"
    assert entry["failed"] is False
    assert {item["status"] for item in entry["results"]} <= {"pass", "skip"}
    assert entry["probe"]["observations"]["keep-alive"] == "yes"
    callable_opaque = [each for each in entry["results"] if each["rule"] == "SRV-CALLABLE-OPAQUE"]
    assert callable_opaque[0]["status"] == "pass"
    # No run profile the probe never used; its own options instead.
    assert "profile" not in entry
    assert entry["probe"]["options"] == {
        "examples": 2,
        "seed": 1,
        "timeout": 5.0,
        "callables": True,
        "runs": 1,
    }
    # --no-callables leaves the restarts out, so the rule has nothing to judge.
    status = main(["probe", "wsgicheck", "--format", "json", "--examples", "0", "--no-callables"])
    [entry] = json.loads(capsys.readouterr().out)["probes"]
    assert status == 0
    verdicts = {each["rule"]: each["status"] for each in entry["results"]}
    assert verdicts["SRV-CALLABLE-OPAQUE"] == "skip"
    cells = {each["rule"]: each["cell"] for each in entry["results"]}
    assert cells["SRV-CALLABLE-OPAQUE"] == "not probed"
    assert entry["probe"]["not_probed"] == ["SRV-CALLABLE-OPAQUE"]


def test_cli_probe_text_and_matrix_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "matrix.html"
    status = main(["probe", "wsgicheck", "--matrix", "html", "-o", str(page), "--examples", "0"])
    assert status == 0
    assert "SRV-CLOSE-CALLED" in page.read_text(encoding="utf-8")
    status = main(["probe", "wsgicheck", "--examples", "0"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Probe of wsgicheck" in out
    assert "What the server does:" in out
    # Every line fits 100 columns, the probe's own sections too (as the run's report does).
    assert max(len(line) for line in out.splitlines()) <= 100
    # Its own options, not a run profile or transports it never used.
    assert "0 generated requests · other callables: yes" in out.splitlines()[1]
    assert "profile" not in out


def test_cli_probe_all_skips_servers_not_installed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = KnownServer(
        name="nosuch",
        command="{python} -m nosuch_server_module {host} {port} {app}",
        module="nosuch_server_module",
        distribution="nosuch-server",
        how="not a server",
    )
    servers = {"nosuch": missing, "wsgicheck": KNOWN_SERVERS["wsgicheck"]}
    monkeypatch.setattr("wsgicheck.probe.command.KNOWN_SERVERS", servers)
    status = main(["probe", "--all", "--matrix", "markdown", "--examples", "0"])
    captured = capsys.readouterr()
    assert status == 0
    assert "nosuch: not installed, skipped" in captured.out
    assert "| wsgicheck |" in captured.out
    assert "nosuch is not installed" in captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["probe"], "give one SERVER, or --all"),
        (["probe", "nosuch"], "unknown server 'nosuch'"),
        (["probe", "{python} -m x {port}"], "has no {app}: it needs {app} and {port}"),
        (["probe", "{python} -m x {app}"], "has no {port}: it needs"),
        (["probe", "{python} -m x {host}"], "has no {app} nor {port}: it needs"),
        (["probe", "{python} {app} {port} {nope}"], "unknown field {nope} (the fields are"),
        # A shell's ${HOME}, or a brace of its own: say how a brace is written.
        (["probe", "sh -c 'x ${HOME}' {app} {port}"], "is written {{ or }})"),
        (["probe", "x {0} {app} {port}"], "'{0}' is no template (Replacement index 0"),
        (["probe", "--all", "--format", "junit"], "--all takes --format"),
        (["probe", "wsgicheck", "--format", "nope"], "--format: one of"),
        (["probe", "wsgicheck", "--timeout", "0"], "timeout"),
        (["probe", "wsgicheck", "--runs", "0"], "--runs: must be 1 or more"),
    ],
)
def test_cli_probe_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


# -- custom commands, and servers that do not start ------------------------------------------


def test_a_command_template_is_probed_like_a_known_server() -> None:
    template = "{python} -m wsgicheck serve {app} --host={host} --port={port} --quiet"
    result = prober.probe(template, ProbeOptions(examples=0))
    assert result.server == template
    assert result.command[0] == sys.executable
    assert result.command[-2].startswith("--port=")
    assert result.observations["SERVER_SOFTWARE"].startswith("wsgicheck/")
    assert not result.failed()
    # A trial of 2026-12-06: a matrix named the run's port, and no version (mod_wsgi's
    # SERVER_SOFTWARE names Apache's and its own).
    assert result.how == "python -m wsgicheck serve APP --host=HOST --port=PORT --quiet"
    assert result.version == result.observations["SERVER_SOFTWARE"]
    # The text report's heading sets the server's word apart from the template (a probe
    # trial of 2026-12-06 read "... {app} gevent/20.0 Python/3.11" as one command).
    appendix = probe_report._appendix(result)
    heading = " ".join(line.strip() for line in appendix[:2])
    assert heading.startswith(f"Probe of {template} ({result.version}) run as: ")
    # What the replays need running is a command, filled in and whole to the shell (a probe
    # trial of 2026-12-06: "{python} ... {host}" wrapped, "{port} {app}" on the next line).
    start = appendix.index(
        "The replays above send the raw request to port 8000: start the server there first,"
    )
    assert appendix[start + 1] == "with the probe app (wsgicheck.probe.app:app):"
    command = shlex.split(" ".join(appendix[start + 2 : start + 4]).replace("\\ ", ""))
    assert command == [
        sys.executable,
        "-m",
        "wsgicheck",
        "serve",
        "wsgicheck.probe.app:app",
        "--host=127.0.0.1",
        "--port=8000",
        "--quiet",
    ]


def test_a_template_servers_version_without_a_number_is_its_modules() -> None:
    """A trial of 2026-12-06: Granian's SERVER_SOFTWARE is "Granian", and the matrix's version
    column said just that. A template that runs a module names its distribution's version."""
    waitress = importlib.metadata.version("waitress")
    template = "{python} -m waitress --listen={host}:{port} {app}"
    assert prober._software({"SERVER_SOFTWARE": "waitress"}, template) == (
        f"waitress (waitress {waitress})"
    )
    assert prober._software({"SERVER_SOFTWARE": "<absent>"}, template) == f"waitress {waitress}"
    assert prober._software({"SERVER_SOFTWARE": "Apache/2.4 mod_wsgi/6.1"}, template) == (
        "Apache/2.4 mod_wsgi/6.1"
    )
    assert prober._software({"SERVER_SOFTWARE": "Granian"}, "granian {app}") == "Granian"
    assert prober._software({}, "{python} -m no_such_module_here {app}") is None


def test_a_server_that_exits_is_one_line_and_exit_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    command = "{python} -c 'import sys; print(\"bad config\"); sys.exit(3)' {app} {port}"
    assert main(["probe", command]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsgicheck: error: the server exited with status 3")
    assert "bad config" in err
    assert err.count("\n") == 1
    # A log that ends after its error (gunicorn's closing "]") still names the error.
    script = 'import sys; print("ImportError: no module named app"); print("]"); sys.exit(1)'
    assert main(["probe", f"{{python}} -c '{script}' {{app}} {{port}}"]) == 2
    err = capsys.readouterr().err
    assert err.endswith(": ImportError: no module named app\n"), err


DAEMON = """
import os
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

host, port, target, marker = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
if os.fork():
    sys.exit(0)  # the parent goes, as uwsgi --daemonize's does
os.setsid()
make_server(host, port, load_target(target)).serve_forever()
"""


def test_a_server_that_goes_to_the_background_is_stopped_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A trial of 2026-12-06: uwsgi --daemonize exited 0 and left its workers serving the
    port, out of the process group a stop kills; the probe said the server exited "before
    listening", and the workers went on serving after it. Whatever listens on the port the
    server was given is stopped, and the error says what happened."""
    marker = "wsgicheck-probe-daemon"
    script = tmp_path / "daemon.py"
    script.write_text(DAEMON)
    command = f"{{python}} {script} {{host}} {{port}} {{app}} {marker}"
    assert main(["probe", command, "--examples", "0"]) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(
        r"wsgicheck: error: the server exited with status 0 and left process\(es\) \d+ "
        r"serving 127\.0\.0\.1:\d+ \(it went to the background, out of reach of a stop\): "
        r"run it in the foreground \(no --daemonize, --daemon or the like\); wsgicheck "
        r"stopped them\n",
        err,
    ), err
    assert processes_with(marker) == []


def test_a_stop_kills_no_process_of_anyone_elses_on_the_port(tmp_path: Path) -> None:
    """The review of 2026-12-06: a stop killed whatever listened on the server's port
    number, on any address (another user's server on [::1]:P, which a port free on
    127.0.0.1 does not rule out), and a server that failed was said to have gone to the
    background. Only a process carrying the probe's own environment is the server's."""
    port = free_port()
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import socket, time\n"
            "s = socket.socket(socket.AF_INET6)\n"
            "s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)\n"
            f"s.bind(('::1', {port})); s.listen(); print('up', flush=True); time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline() == b"up\n"
        failing = ServerProcess(
            [sys.executable, "-c", "import sys; print('cannot load app'); sys.exit(1)"],
            env=dict(os.environ, WSGICHECK_PROBE_DIR=str(tmp_path)),
            log_path=tmp_path / "log",
            marker=("WSGICHECK_PROBE_DIR", str(tmp_path)),
        )
        with pytest.raises(ServerStartError, match=r"status 1 before listening .*cannot load"):
            failing.start("127.0.0.1", port, timeout=10)
        assert failing.left_listening == []
        assert other.poll() is None
    finally:
        other.kill()
        other.communicate(timeout=30)


def test_a_server_that_never_listens_is_stopped_and_reported() -> None:
    marker = "wsgicheck-probe-never-listens"
    command = f"{{python}} -c 'import time; time.sleep(60)' {marker} {{app}} {{port}}"
    with pytest.raises(ServerStartError, match="did not listen"):
        prober.probe(command, ProbeOptions(examples=0, start_timeout=1.0))
    assert processes_with(marker) == []


def test_no_server_outlives_a_probe_that_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ServerProcess] = []

    class Recorded(ServerProcess):
        def start(self, host: str, port: int, *, timeout: float) -> None:
            started.append(self)
            super().start(host, port, timeout=timeout)

    def broken_plan(session: object) -> None:
        raise RuntimeError("the prober broke")

    monkeypatch.setattr(prober, "ServerProcess", Recorded)
    monkeypatch.setattr(prober, "PLANS", (broken_plan,))
    with pytest.raises(RuntimeError, match="the prober broke"):
        prober.probe("gunicorn", ProbeOptions(examples=0))
    [process] = started
    assert process.process is not None
    assert process.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(process.process.pid, 0)  # the whole group (master and worker) is gone


def test_a_server_ignoring_sigterm_is_killed(tmp_path: Path) -> None:
    code = (
        "import signal, socket, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen()\n"
        "time.sleep(60)\n"
    )
    from wsgicheck.probe.process import free_port

    port = free_port()
    process = ServerProcess(
        [sys.executable, "-c", code, str(port)], env=dict(os.environ), log_path=tmp_path / "log"
    )
    process.start("127.0.0.1", port, timeout=10)
    assert process.alive()
    process.stop(timeout=0.5)
    assert process.process is not None
    assert process.process.returncode == -signal.SIGKILL


def test_a_server_that_never_answers_is_given_up_on(tmp_path: Path) -> None:
    # It listens and accepts, and never says a word: the probe stops after a few plans.
    code = (
        "import socket, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        "s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(64)\n"
        "held = []\n"
        "while True:\n"
        "    held.append(s.accept()[0])\n"
    )
    script = tmp_path / "mute.py"
    script.write_text(code, encoding="utf-8")
    # Nothing ran the probe app, so nothing of the server can be judged: an error, never
    # a report that passes it.
    with pytest.raises(prober.ProbeAppNeverRan, match=r"none of the \d+ requests reached it "):
        prober.probe(f"{{python}} {script} {{port}} {{app}}", ProbeOptions(examples=0, timeout=0.3))
    assert processes_with(str(script)) == []


def test_a_server_that_serves_another_app_is_an_error_not_a_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A command that starts a server without the probe app (http.server, wsgiref's demo
    app) answers every request and runs nothing of the probe's: exit status 2, one line."""
    script = tmp_path / "demo_server.py"
    script.write_text(
        "import sys\n"
        "from wsgiref.simple_server import demo_app, make_server\n"
        "make_server(sys.argv[1], int(sys.argv[2]), demo_app).serve_forever()\n",
        encoding="utf-8",
    )
    command = f"{{python}} {script} {{host}} {{port}} {{app}}"
    assert main(["probe", command, "--examples", "0", "--no-callables"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("wsgicheck: error: the server never ran the probe app: none of the ")
    assert "(answers: 200 ×" in err
    assert err.count("\n") == 1


def test_a_probe_app_whose_records_never_come_back_is_said_so(tmp_path: Path) -> None:
    """A server that clears its environment (or runs the app in a chroot, or as another
    user) runs the probe app, whose records cannot reach the prober: said as such, not as
    a server that never ran it."""
    script = tmp_path / "clean_env_server.py"
    script.write_text(
        "import os, sys\n"
        "os.environ.pop('WSGICHECK_PROBE_DIR', None)\n"
        "from wsgiref.simple_server import make_server\n"
        "from wsgicheck.target import load_target\n"
        "make_server(sys.argv[1], int(sys.argv[2]), load_target(sys.argv[3])).serve_forever()\n",
        encoding="utf-8",
    )
    with pytest.raises(prober.ProbeAppNeverRan) as raised:
        prober.probe(
            f"{{python}} {script} {{host}} {{port}} {{app}}",
            ProbeOptions(examples=0, callables=False),
        )
    assert str(raised.value).startswith(
        "the probe app answered, but none of its records reached the prober: a server that "
        "clears the environment (WSGICHECK_PROBE_DIR), or runs the app in a chroot or as "
        "another user, cannot be probed from inside"
    )


KEEPING_SERVER = '''
"""wsgiref's server behind a start_response that keeps every exc_info it is given."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

KEPT = []


def keeping(app):
    def wrapped(environ, start_response):
        def keep(status, headers, exc_info=None):
            if exc_info:
                KEPT.append(exc_info)
            return start_response(status, headers, exc_info)

        return app(environ, keep)

    return wrapped


host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
make_server(host, port, keeping(load_target(target))).serve_forever()
'''


ANSWERING_ITSELF = """
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target


def answering_itself(app):
    def wrapped(environ, start_response):
        if environ["PATH_INFO"] == "/http10":  # as Apache answers TRACE and OPTIONS *
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
            return [b"ok"]
        return app(environ, start_response)

    return wrapped


host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
make_server(host, port, answering_itself(load_target(target))).serve_forever()
"""


def test_a_request_the_server_answered_itself_is_named_in_the_notes(tmp_path: Path) -> None:
    """A trial of 2026-12-06 (mod_wsgi): "probe 98 (echo): answered 200, but the app sent
    no record" named neither the request nor who answered it."""
    result = probe_script(tmp_path, ANSWERING_ITSELF, callables=False)
    told = [note for note in result.notes if "without a record" in note]
    assert len(told) == 1, result.notes
    assert re.fullmatch(
        r"probe \d+ \(echo\): the server answered GET /http10 200 without a record of the "
        r"app's \(it answered itself, or the app never wrote one\): the rules on the environ "
        r"and the app's calls skip it",
        told[0],
    ), told[0]


PASSING_CLOSE_ON = """
import sys

import waitress.task
from waitress import serve

from wsgicheck.target import load_target

waitress.task.hop_by_hop = frozenset()  # the app's Connection: close goes out as given
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
serve(load_target(target), host=host, port=port, _quiet=True)
"""


def test_a_server_that_passes_the_apps_close_on_and_keeps_the_connection_fails(
    tmp_path: Path,
) -> None:
    """A trial of 2026-12-06: bjoern 3.2 sends the app's Connection: close (beside its own
    Keep-Alive) and answers the next request on the connection; the rule was n/a, judged
    only behind a pipelined echo no server answers with close. waitress made to pass the
    field on does the same; as shipped it refuses the field, and nothing is judged."""
    result = probe_script(tmp_path, PASSING_CLOSE_ON, callables=False)
    # Whose close it was, said (a probe trial of 2026-12-06: a server author read it as the
    # server's own choice).
    assert messages(result, "SRV-CLOSE-ENDS-CONNECTION") == [
        "this request came behind one whose answer said Connection: close (the app's own "
        "Connection field, which the server sent on and so owns), and the server answered it "
        "on the same connection: it processed a request it must not have"
    ]
    # The replays send the two requests in one write, as the probe did (the review of
    # 2026-12-06: the request behind alone showed nothing).
    raw = result.run.failures["SRV-CLOSE-ENDS-CONNECTION"].reproducers.raw
    assert raw.count(b" HTTP/1.1\r\n") == 2
    # No finding is placed in the probe app, wsgicheck's own code (a probe trial of
    # 2026-12-06 read "made in .../probe/scenarios_errors.py:22, a library's code").
    assert "SRV-REJECT-HOP-BY-HOP" in result.run.failures
    assert [each.where for r in result.run.results for each in r.findings if each.where] == []
    assert b" bad-headers hop\r\n\r\nGET /after-close HTTP/1.1\r\n" in raw
    assert verdict(probed("waitress"), "SRV-CLOSE-ENDS-CONNECTION") != "fail"


def test_a_server_keeping_exc_info_is_caught(tmp_path: Path) -> None:
    """SRV-NO-EXC-INFO-REF fires on a server that holds on to exc_info, and names what
    holds it; the servers that let it go pass (the matrix)."""
    result = probe_script(tmp_path, KEEPING_SERVER)
    assert verdict(result, "SRV-NO-EXC-INFO-REF") == "fail"
    [message] = messages(result, "SRV-NO-EXC-INFO-REF")
    assert "held by: tuple" in message
    assert verdict(probed("wsgiref"), "SRV-NO-EXC-INFO-REF") == "pass"
    # The replays go to that server, not to wsgicheck's own: curl and the raw request over
    # a socket, to it started with the probe app on port 8000; the run again, as a probe.
    failure = result.run.failures["SRV-NO-EXC-INFO-REF"]
    replays = failure.reproducers
    assert replays.against == (
        "the server, started as the probe started it with `{app}` = "
        "`wsgicheck.probe.app:app` and `{port}` = `8000`"
    )
    assert replays.curl.endswith(" http://127.0.0.1:8000/")
    # The Host that named the port the probe ran the server on names 8000 in the replays.
    assert b"\r\nHost: 127.0.0.1:8000\r\n" in replays.raw
    assert "-H 'Host: 127.0.0.1:8000'" in replays.curl
    assert failure.request.header_values("Host") != ["127.0.0.1:8000"]  # as it was sent
    assert replays.python.startswith("import socket\n")
    assert f"request = {replays.raw!r}\n" in replays.python
    template = result.server
    assert result.run.replay == (
        f"wsgicheck probe {shlex.quote(template)} --seed {result.run.seed} --examples 0"
    )
    for name in ("text", "junit", "markdown", "html"):
        assert "wsgicheck serve" not in render([result], name), name
    # Each Python replay of the text report, folded to 100 columns, still runs: the raw
    # request, cut into literals, is in parentheses of its own.
    text = render([result], "text").splitlines()
    blocks = [index for index, line in enumerate(text) if line.strip() == "replay in Python:"]
    assert blocks
    # The summary line last, where a CI log's tail shows it (a probe trial of 2026-12-06).
    assert text[-1].startswith("FAILED: ")
    assert max(map(len, text)) <= 100
    for start in blocks:
        block = itertools.takewhile(
            lambda line: line.startswith("    ") or not line, text[start + 1 :]
        )
        tree = ast.parse(textwrap.dedent("\n".join(block)))
        [sent] = [
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "request"
        ]
        assert b"\r\nX-Wsgicheck-Probe: " in ast.literal_eval(sent)
    html = render([result], "html")
    assert "<code>wsgicheck.probe.app:app</code>" in html
    assert f"<code>wsgicheck probe {shlex.quote(template)}" in html.replace("&#x27;", "'")
    # A probe tries no paths of an app's: no "paths tried: -" (a trial of 2026-12-06).
    assert "paths tried" not in "\n".join(text) + html


UNCLOSING_SERVER = '''
"""wsgiref's server, made to keep (as Twisted's log keeps the failure that holds it) and
never close the app's iterable when its iteration raises; SIGTERM exits it cleanly."""
import signal
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

KEPT = []


def unclosing(app):
    def wrapped(environ, start_response):
        result = app(environ, start_response)

        def blocks():
            try:
                for block in result:
                    yield block
            except BaseException:
                KEPT.append(result)
                raise
            result.close()

        return blocks()

    return wrapped


def stop(signum, frame):
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
make_server(host, port, unclosing(load_target(target))).serve_forever()
'''


def test_a_server_that_keeps_an_iterable_to_its_exit_unclosed_is_caught(tmp_path: Path) -> None:
    """Audit of 2026-12-05: Twisted never closes an iterable whose iteration raised, and
    its log keeps it alive, so the probe app's record (sent at close() or at garbage
    collection) never came and SRV-CLOSE-CALLED passed. The probe app now sends the record
    of each iterable still held as the server's process exits."""
    result = probe_script(tmp_path, UNCLOSING_SERVER, callables=False)
    assert verdict(result, "SRV-CLOSE-CALLED") == "fail"
    found = set(messages(result, "SRV-CLOSE-CALLED"))
    assert found == {
        "the iterable has close(); the server never called it (it still held the iterable "
        "when its process exited)"
    }
    assert not [note for note in result.notes if "the app sent no record" in note]


BUFFERING_SERVER = '''
"""wsgiref's server behind a layer that holds the app's head and body back until the app
is done (as eventlet does), and answers its own 500 when the app raises before then."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target


def buffering(app):
    def wrapped(environ, start_response):
        held = []
        result = app(environ, lambda status, headers, exc_info=None: held.append((status, headers)))
        try:
            body = b"".join(result)
        except Exception:
            start_response("500 Internal Server Error", [("Content-Length", "0")], sys.exc_info())
            return []
        finally:
            getattr(result, "close", lambda: None)()
        start_response(*held[-1])
        return [body]

    return wrapped


host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
make_server(host, port, buffering(load_target(target))).serve_forever()
'''


def test_a_server_that_answers_its_own_error_before_the_head_says_so(tmp_path: Path) -> None:
    """Audit of 2026-12-05: eventlet holds the head back until the body is done; when the
    app raised after its first block, the probe said the response was 'ended as if
    complete', where the server had answered a 500 of its own in its place."""
    result = probe_script(tmp_path, BUFFERING_SERVER, callables=False)
    assert result.observations["exception after the head"] == (
        "head not sent yet: the server answered 500 instead"
    )
    assert (
        result.observations["exception after the head"]
        != probed("wsgiref").observations["exception after the head"]
    )


SOMETIMES_KEEPING_SERVER = KEEPING_SERVER.replace(
    "host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]\n",
    """host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
import pathlib
starts = pathlib.Path(__file__).with_name("starts")
number = len(starts.read_text()) if starts.exists() else 0
starts.write_text("x" * (number + 1))
if number != KEEPING_IN:
    keeping = lambda app: app  # this start lets exc_info go
""",
)


@pytest.mark.parametrize("keeping_in", [0, 1], ids=["first-run", "second-run"])
def test_a_rule_broken_in_one_run_of_two_is_reported_and_marked_unstable(
    tmp_path: Path, keeping_in: int
) -> None:
    """``--runs 2``: the server keeps exc_info in one of its two starts only. The rule is
    broken (it was), with that run's findings, and marked unstable in every report."""
    source = SOMETIMES_KEEPING_SERVER.replace("KEEPING_IN", str(keeping_in))
    result = probe_script(tmp_path, source, runs=2, callables=False)
    assert (tmp_path / "starts").read_text() == "xx"
    assert verdict(result, "SRV-NO-EXC-INFO-REF") == "fail"
    assert "held by: tuple" in messages(result, "SRV-NO-EXC-INFO-REF")[0]
    assert result.run.failures["SRV-NO-EXC-INFO-REF"].finding.rule == "SRV-NO-EXC-INFO-REF"
    assert result.unstable == {"SRV-NO-EXC-INFO-REF": (1, 2)}
    note = (
        "SRV-NO-EXC-INFO-REF: broken in 1 of 2 runs that judged it, with the same "
        "requests; the server does not answer them the same way each time, so a rerun may "
        "not show it"
    )
    assert note in result.notes
    assert result.run.replay.endswith(" --examples 0 --runs 2")
    data = probe_data(result)
    assert data["probe"]["unstable"] == {"SRV-NO-EXC-INFO-REF": {"broken_in": 1, "runs": 2}}
    assert data["notes"] == result.notes  # where any JSON report keeps its notes, once
    assert "notes" not in data["probe"]
    assert json.loads(render([result], "json"))["schema_version"] == 2  # probe.notes is gone
    text = render([result], "text")
    assert any(
        line.startswith("  seed ") and line.endswith(" · 2 runs") for line in text.splitlines()
    )
    assert "broken in 1 of 2 runs that judged it" in " ".join(text.split())
    assert result.run.examples == 2 * len(result.exchanges)  # both runs' exchanges counted
    matrix = to_markdown(build([result]))
    assert "(broken in 1 of 2 runs) " in matrix


def one_rule_run(status: str, exchanges: int, notes: list[str]) -> ProbeResult:
    """A probe result judging SRV-NO-EXC-INFO-REF only, as ``status``."""
    rule = REGISTRY["SRV-NO-EXC-INFO-REF"]
    found = (
        (Finding(rule=rule.id, level=rule.level, message="held", section=rule.section),)
        if status == "fail"
        else ()
    )
    options = RunOptions(profile=None, max_examples=0, seed=1, transports=None, database=None)
    run = RunResult(
        target="x (wsgicheck probe)",
        seed=1,
        options=options,
        examples=exchanges,
        duration=1.0,
        paths=[],
        results=[RuleResult(rule, status, found, int(status != "skip"))],
        failures={},
    )
    return ProbeResult("x", ["x"], None, "x", run, notes=notes)


def test_merged_runs_count_only_the_runs_that_judged_a_rule() -> None:
    """A rule with no evidence in a run is not unstable for it; the exchanges and time of
    every run are counted; a note not every run had says which runs had it."""
    merged = merge_runs(
        [
            one_rule_run("fail", 10, ["a", "c"]),
            one_rule_run("skip", 12, ["b", "c"]),
            one_rule_run("skip", 9, ["b", "c"]),
        ]
    )
    assert merged.unstable == {}
    assert (merged.run.examples, merged.run.duration) == (31, 3.0)
    assert merged.notes == ["run 1: a", "c", "runs 2, 3: b"]
    flaky = merge_runs(
        [one_rule_run("pass", 10, []), one_rule_run("skip", 10, []), one_rule_run("fail", 10, [])],
        ["run 4 gave no verdicts: the server did not start"],
    )
    assert flaky.unstable == {"SRV-NO-EXC-INFO-REF": (1, 2)}
    assert [result.status for result in flaky.run.results] == ["fail"]  # from run 3
    assert flaky.notes[0] == "run 4 gave no verdicts: the server did not start"
    assert flaky.notes[1].startswith("SRV-NO-EXC-INFO-REF: broken in 1 of 2 runs that ")


def test_runs_that_agree_mark_nothing_unstable(tmp_path: Path) -> None:
    result = probe_script(tmp_path, KEEPING_SERVER, runs=2, callables=False)
    assert verdict(result, "SRV-NO-EXC-INFO-REF") == "fail"
    assert result.unstable == {}
    assert not any("runs that judged it" in note for note in result.notes)


CLASS_REFUSING_SERVER = '''
"""wsgiref's server, refusing an app given as a class."""
import inspect
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = load_target(target)
if inspect.isclass(app):
    sys.exit("TypeError: the WSGI app must not be a class")
make_server(host, port, app).serve_forever()
'''


def test_a_server_refusing_an_app_class_is_caught(tmp_path: Path) -> None:
    """SRV-CALLABLE-OPAQUE: the server is started again with the app as a function, a
    class, a bound method and a partial; one that refuses a class fails the rule, and the
    real servers, which take them all, pass (the matrix)."""
    result = probe_script(tmp_path, CLASS_REFUSING_SERVER)
    assert verdict(result, "SRV-CALLABLE-OPAQUE") == "fail"
    [message] = messages(result, "SRV-CALLABLE-OPAQUE")
    assert message.startswith("with the app given as a class: the server did not start")
    assert "must not be a class" in message
    plain = probe_script(tmp_path, CLASS_REFUSING_SERVER, callables=False)
    assert verdict(plain, "SRV-CALLABLE-OPAQUE") == "skip"
    own = probed("wsgicheck")
    kinds = {each.extra.callable_kind for each in own.exchanges} - {None}
    assert kinds == {"function", "class", "bound method", "functools.partial"}
    assert verdict(own, "SRV-CALLABLE-OPAQUE") == "pass"


LOWER_CASING_SERVER = '''
"""wsgiref's server behind a command line that lower-cases its module:name (socketify
0.0.31's does)."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3].lower()
make_server(host, port, load_target(target)).serve_forever()
'''


def test_the_callables_names_do_not_decide_the_verdict(tmp_path: Path) -> None:
    """A trial of 2026-12-07: socketify's command line lower-cases the app's name, so
    ``wsgicheck.probe.app:AppClass`` was not found and the server "did not start with the
    app given as a class", though it takes a class. The probe names each kind in lower case."""
    result = probe_script(tmp_path, LOWER_CASING_SERVER)
    assert verdict(result, "SRV-CALLABLE-OPAQUE") == "pass"


SPLITTING_SERVER = '''
"""wsgiref's server as it is: it writes a header value out as the app gave it, CR LF, NUL
and all, unless told to refuse some in start_response: ``crlf`` only the pair CR LF, ``all``
each CR, LF and NUL (as gunicorn does)."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
refused = {"no": (), "crlf": ("\\r\\n",), "all": ("\\r", "\\n", "\\0")}["{refuse}"]
app = load_target(target)


def refusing(environ, start_response):
    def checked(status, headers, exc_info=None):
        if any(bad in value for _, value in headers for bad in refused):
            raise ValueError("a header value holds a character refused")
        return start_response(status, headers, exc_info)

    return app(environ, checked)


make_server(host, port, refusing).serve_forever()
'''

#: SRV-NO-SPLIT-FIELDS' findings on the probe's values sent raw: after CR LF, a bare LF, a
#: bare CR.
SPLIT_RAW = [
    "the app's x-split value 'one\\r\\nX-Injected: by the value of X-Split' went out with its "
    "line break: the client received X-Injected as a field of its own (response splitting)",
    "the app's x-split value 'one\\nX-Injected: by the value of X-Split' went out with its "
    "line break: the client received X-Injected as a field of its own (response splitting)",
    "the app's x-split value 'one\\rX-Injected: by the value of X-Split' went out with a bare "
    "CR in it, which a sender must not generate (RFC 9112 §2.2): a client that ends a line at "
    "a CR reads X-Injected as a field of its own (response splitting)",
]
NUL_RAW = [
    "the server sent the app's x-nul value 'one\\x00two' with its NUL; RFC 9110 §5.5 has it "
    "refuse the value or send a space in its place"
]


@pytest.mark.parametrize(
    ("refuse", "split", "nul"),
    [("no", SPLIT_RAW, NUL_RAW), ("crlf", SPLIT_RAW[1:], NUL_RAW), ("all", [], [])],
)
def test_a_value_holding_a_field_line_or_a_nul_is_refused_or_found_sent(
    tmp_path: Path, refuse: str, split: list[str], nul: list[str]
) -> None:
    """A probe trial of 2026-12-07: Paste's httpserver sent the probe app's header value
    with CR LF as two field lines (response splitting), and no request showed it. The app
    now passes such a value, and the same after a bare LF or CR (which a server looking
    only for CR LF lets through), and one holding a NUL (waitress 3.0 refuses CR and LF and
    sends a NUL on). wsgiref sends each raw (so do Werkzeug's development server and
    cheroot 11: the README's matrix); a server that refuses each passes."""
    result = probe_script(tmp_path, SPLITTING_SERVER.replace("{refuse}", refuse))
    assert verdict(result, "SRV-NO-SPLIT-FIELDS") == ("fail" if split else "pass")
    assert messages(result, "SRV-NO-SPLIT-FIELDS") == split
    assert verdict(result, "SRV-NO-NUL-FIELDS") == ("fail" if nul else "pass")
    assert messages(result, "SRV-NO-NUL-FIELDS") == nul


def test_the_replay_of_an_environ_finding_shows_the_environ() -> None:
    """A probe trial of 2026-12-07: the replay of an ENV finding showed nothing of it, the
    environ having gone to the prober. Run by hand (no prober), the app's answer to an echo
    request is the environ the server built, less the variables of its own process
    environment."""
    failure = probed("wsgiref").run.failures["ENV-HTTP-VALUES"]
    assert failure.reproducers.against.endswith("; " + prober.ECHO_REPLAYED)
    port = free_port()
    code = (
        "from wsgiref.simple_server import make_server\n"
        "from wsgicheck.probe.app import app\n"
        f"make_server('127.0.0.1', {port}, app).serve_forever()\n"
    )
    environment = {key: value for key, value in os.environ.items() if "WSGICHECK" not in key}
    environment["WSGICHECK_TEST_SECRET"] = "not for the answer"
    with subprocess.Popen([sys.executable, "-c", code], env=environment) as server:
        try:
            raw = failure.reproducers.raw.replace(b"127.0.0.1:8000", f"127.0.0.1:{port}".encode())
            answer = _send_when_listening(port, raw)
        finally:
            server.kill()
    body = answer.partition(b"\r\n\r\n")[2]
    assert body.startswith(b"wsgicheck probe: echo\nthe environ the server built:\n")
    assert b"\n'HTTP_X_OBS_TEXT': 'opaque'\n" in body
    assert b"WSGICHECK_TEST_SECRET" not in body
    assert re.search(rb"\n\(\d+ keys of the server's process environment left out\)\n$", body)


def _send_when_listening(port: int, raw: bytes) -> bytes:
    """``raw`` sent to 127.0.0.1:``port`` once it listens (within 30 s), and all it answers."""
    deadline = time.monotonic() + 30
    while True:
        try:
            connection = socket.create_connection(("127.0.0.1", port), timeout=10)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with connection:
        connection.sendall(raw)
        answer = b""
        while data := connection.recv(65536):
            answer += data
    return answer


NONE_WRAPPER_SERVER = '''
"""wsgiref's server with wsgi.file_wrapper there but None (socketify 0.0.31's)."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
app = load_target(target)


def none_wrapper(environ, start_response):
    environ["wsgi.file_wrapper"] = None
    return app(environ, start_response)


make_server(host, port, none_wrapper).serve_forever()
'''


def test_a_file_wrapper_key_holding_none_is_told_apart_from_none_offered(tmp_path: Path) -> None:
    """A probe trial of 2026-12-07: socketify's environ holds wsgi.file_wrapper = None; the
    behaviour table said "not offered" beside ENV-FILE-WRAPPER-SIGNATURE's failure."""
    result = probe_script(tmp_path, NONE_WRAPPER_SERVER)
    assert result.observations["wsgi.file_wrapper"] == "not offered: the key holds None"
    assert verdict(result, "ENV-FILE-WRAPPER-SIGNATURE") == "fail"


HOLDING_SERVER = '''
"""wsgiref's server, made to hold the app's last iterable, never closing it, until the next
request comes (as pyruvate 1.6 does); SIGTERM ends it without running exit handlers."""
import sys
from wsgiref.simple_server import make_server

from wsgicheck.target import load_target

HELD = []


def holding(app):
    def wrapped(environ, start_response):
        HELD[:] = [app(environ, start_response)]
        return iter(list(HELD[0]))

    return wrapped


host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
make_server(host, port, holding(load_target(target))).serve_forever()
'''


def test_an_answer_from_the_app_whose_record_never_came_is_the_app_having_run(
    tmp_path: Path,
) -> None:
    """Audit of 2026-12-05: pyruvate never closes an iterable and lets it go only when the
    next request comes; each restart with the app as another kind of callable sends one
    request, and SIGTERM ends the server before the record is sent. SRV-CALLABLE-OPAQUE
    said "the app never ran" where the probe app's own answer came back; it passes now,
    and the iterable never closed is SRV-CLOSE-CALLED's."""
    result = probe_script(tmp_path, HOLDING_SERVER)
    assert verdict(result, "SRV-CALLABLE-OPAQUE") == "pass"
    restarts = [each for each in result.exchanges if each.extra.callable_kind is not None]
    assert len(restarts) == 4
    assert all(each.extra.callable_answered is True and not each.app_ran for each in restarts)
    assert verdict(result, "SRV-CLOSE-CALLED") == "fail"
    # Its file wrappers (wsgiref's, whose close() closes the file: the app closed one to
    # see) are never closed either: that too is SRV-CLOSE-CALLED's, not the wrapper's.
    assert verdict(result, "SRV-FILE-WRAPPER-CLOSE") == "pass"
    wrapper_findings = [
        each for each in messages(result, "SRV-CLOSE-CALLED") if "file_wrapper" in each
    ]
    never_closed = (
        "the iterable is the server's own wsgi.file_wrapper, whose close() closes its file "
        "(one the app closed itself did), and this one's file was never closed: the server "
        "never called close()"
    )
    # file and offset; nofileno's object is no real file, as the one closed to see was.
    assert wrapper_findings == [never_closed] * 2


BREAKING_SERVER = (
    r'''
"""wsgiref's server, broken five ways the probe's newer scenarios must tell apart."""
import sys
from wsgiref import simple_server

from wsgicheck.target import load_target


'''
    + BOUNDED_INPUT_SOURCE
    + r'''

class LinesPastTheBody(BoundedInput):
    """read() and readline() stop at CONTENT_LENGTH; iteration reads the raw connection on
    into the next request, and readlines() passes its hint to readline() (readline(0) is
    b"", so readlines() gives nothing)."""

    def readlines(self, hint=0):
        lines = []
        line = self.readline(hint)
        while line:
            lines.append(line)
            line = self.readline(hint)
        return lines

    def __iter__(self):
        return iter(self.raw)


class Broken(simple_server.ServerHandler):
    def __init__(self, stdin, stdout, stderr, environ, **options):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        super().__init__(LinesPastTheBody(stdin, length), stdout, stderr, environ, **options)

    def start_response(self, status, headers, exc_info=None):
        write = super().start_response(status, headers, exc_info)
        if not self.headers_sent:
            self.send_headers()  # at once, before any body
        return write

    def send_headers(self):
        self.cleanup_headers()
        self.headers_sent = True
        if not self.origin_server or self.client_is_modern():
            self.send_preamble()
            self._write(str(self.headers).encode("utf-8"))  # not latin-1

    def finish_content(self):
        super().finish_content()
        if not self.bytes_sent:
            self._write(b"0\r\n\r\n")  # a chunked body's end, after any empty answer


simple_server.ServerHandler = Broken
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
simple_server.make_server(host, port, load_target(target)).serve_forever()
'''
)


def test_a_server_broken_where_the_newer_scenarios_look_is_caught(tmp_path: Path) -> None:
    """Each newer scenario on a wsgiref server made to break it: a head sent by
    start_response (SRV-DEFER-HEADERS, seen from outside), header values sent as UTF-8
    (SRV-HEADERS-LATIN1), a chunked body's last chunk after empty and no-body answers
    (SRV-NO-BODY-HEAD-204-304, SRV-CL-NO-EXCESS, SRV-BINARY-SAFE), iteration over
    wsgi.input into the next request (SRV-INPUT-EOF-AT-CL) and a readlines() that gives
    nothing (SRV-INPUT-LINES, no longer mistaken for an end-of-file problem)."""
    result = probe_script(tmp_path, BREAKING_SERVER, callables=False)
    assert messages(result, "SRV-DEFER-HEADERS") == [
        "the client received the response head while the app, having called start_response "
        "and yielded only b'', waited before its first non-empty block"
    ]
    assert set(messages(result, "SRV-HEADERS-LATIN1")) == {
        "the app's x-latin-1: 'café £ ÿ' was sent as b'caf\\xc3\\xa9 \\xc2\\xa3 \\xc3\\xbf' "
        "(encoded as UTF-8), not b'caf\\xe9 \\xa3 \\xff'"
    }
    terminator = "5 bytes (b'0\\r\\n\\r\\n'...) followed the head of a"
    assert set(messages(result, "SRV-NO-BODY-HEAD-204-304")) == {
        f"{terminator} HEAD request for which the app gave no body",
        f"{terminator} 204 response for which the app gave no body",
        f"{terminator} 304 response for which the app gave no body",
    }
    assert set(messages(result, "SRV-CL-NO-EXCESS")) >= {
        "Content-Length was 0; 5 bytes of body were sent"
    }
    assert "5 bytes of body were sent for the 0 the app produced" in messages(
        result, "SRV-BINARY-SAFE"
    )
    assert set(messages(result, "SRV-INPUT-LINES")) == {
        "wsgi.input.readlines() returned 0 bytes with 78 of the body left"
    }
    eof = messages(result, "SRV-INPUT-EOF-AT-CL")
    assert eof == [
        "wsgi.input.__next__() returned 51 bytes with 21 left before CONTENT_LENGTH: 30 bytes "
        "past the end of the body"
    ]
    # readlines() gave nothing, so the app's read(1) after it is no read past the end.
    assert not any("read(1)" in each for each in messages(result, "SRV-INPUT-EMPTY-AT-EOF"))
    # The JSON report lists every distinct finding with the raw request that showed it.
    [entry] = [
        each for each in probe_data(result)["results"] if each["rule"] == "SRV-NO-BODY-HEAD-204-304"
    ]
    assert entry["cell"] == "fail"
    requests = {item["message"]: item["request"] for item in entry["distinct_findings"]}
    assert requests[f"{terminator} HEAD request for which the app gave no body"].startswith(
        "HEAD / HTTP/1.1\r\n"
    )
    assert len(requests) == 3
    # Four marks in the matrix: a MUST broken, a SHOULD not followed, n/a, not probed.
    markdown = to_markdown(build([result]))
    assert (
        "| `SRV-HEADERS-LATIN1` | MUST | PEP 3333, A Note On String Types | ❌ MUST [" in markdown
    )
    assert "| `SRV-INPUT-EOF-AT-CL` | SHOULD | PEP 3333, Input and Error Streams | ⚠️ SHOULD [" in (
        markdown
    )
    assert "| `SRV-CALLABLE-OPAQUE` | MUST | PEP 3333, Specification Overview | · not probed |" in (
        markdown
    )
    counts = build([result]).counts(result.server)
    cells = result.cells()
    assert counts == {cell: list(cells.values()).count(cell) for cell in counts}
    assert counts["fail"] == sum(
        1
        for each in result.run.results
        if each.status == "fail" and each.rule.level.value == "MUST"
    )
    # The same scenarios on wsgicheck's own server, which keeps every rule.
    own = probed("wsgicheck")
    for rule in (
        "SRV-DEFER-HEADERS",
        "SRV-HEADERS-LATIN1",
        "SRV-NO-BODY-HEAD-204-304",
        "SRV-NO-BODY-DROP",
        "SRV-INPUT-LINES",
    ):
        assert verdict(own, rule) == "pass", rule


def test_a_restart_that_fails_is_explained_by_its_own_output(tmp_path: Path) -> None:
    """Every start appends to one log: a start that fails names what it wrote, not the
    error an earlier process logged (the probe app's own, often)."""
    log = tmp_path / "server.log"
    script = 'import sys; print("{}"); sys.exit(1)'
    for said, expected in (
        ("ValueError: the first process", "ValueError: the first process"),
        ("cannot bind: address in use", "cannot bind: address in use"),
    ):
        argv = [sys.executable, "-c", script.format(said)]
        process = ServerProcess(argv, env=dict(os.environ), log_path=log)
        with pytest.raises(ServerStartError) as raised:
            process.start("127.0.0.1", free_port(), timeout=10)
        assert str(raised.value).endswith(f": {expected}")
    assert "the first process" in log.read_text()


def test_a_python_replay_of_a_request_that_expects_100_continue_waits_for_it() -> None:
    """A trial of 2026-12-06: the Python replay of SRV-EXPECT-NO-TIMEOUT-WAIT sent the body
    with the head, so it could not show that no 100 Continue came. It sends the head, shows
    what came (or that nothing did), then the body; here against wsgicheck's own server,
    which answers 100 Continue once the app reads."""
    request = Request(
        method="POST",
        headers=(("Host", "127.0.0.1:8000"), ("Expect", "100-continue")),
        body=b"hello",
        framing=Framing.CONTENT_LENGTH,
    )
    replays = probe_reproducers(request, "wsgicheck.probe.app:app", "127.0.0.1:8000")
    assert "    sock.sendall(head)\n" in replays.python
    assert "    sock.sendall(body)\n" in replays.python
    with live_server(reader) as server:
        script = replays.python.replace('("127.0.0.1", 8000)', f'("127.0.0.1", {server.port})')
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True
        )
    printed = done.stdout.splitlines()
    assert printed[0] == repr(b"HTTP/1.1 100 \r\n\r\n")  # (a reason phrase may be empty)
    assert printed[-2].endswith("hello'")
    assert printed[-1] == "nothing more in 5 s: the server kept the connection open"


PID_SERVER = """
import os, sys
from wsgiref import simple_server

from wsgicheck.target import load_target

pid_file, host, port, target = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
server = simple_server.make_server(host, port, load_target(target))
with open(pid_file, "w") as written:
    written.write(str(os.getpid()))
server.serve_forever()
"""


@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_a_probe_stopped_by_a_signal_stops_its_server(tmp_path: Path, sent: int) -> None:
    """A trial of 2026-12-06: ``timeout 10 wsgicheck probe ...`` (SIGTERM, as a cancelled CI
    job sends too) ended wsgicheck alone, and the server under test, in a session of its
    own, went on listening under init. SIGTERM now stops a probe as Ctrl-C does."""
    script = tmp_path / "server_under_test.py"
    script.write_text(PID_SERVER, encoding="utf-8")
    pid_file = tmp_path / "pid"
    command = f"{{python}} {script} {pid_file} {{host}} {{port}} {{app}}"
    process = subprocess.Popen(
        [sys.executable, "-m", "wsgicheck", "probe", command, "--no-callables"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # at most 60 s for the server to start
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.1)
        else:
            pytest.fail("the server never started")
        process.send_signal(sent)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert err.endswith("wsgicheck: interrupted\n")
    for _ in range(100):  # it was stopped before wsgicheck exited: at most 10 s to be reaped
        if not processes_with(str(script)):
            break
        time.sleep(0.1)
    assert processes_with(str(script)) == []


LIST_FAST_SERVER = r'''
"""wsgiref's server with a path of its own for a list subclass (as Granian 2.8's): all its
blocks sent, past the Content-Length, and the list never closed; any other iterable cut at
its Content-Length and closed."""
import sys
from wsgiref import simple_server

from wsgicheck.target import load_target


class ListFast(simple_server.ServerHandler):
    def write(self, data):
        # Any other iterable it stops at the Content-Length.
        handed = isinstance(self.result, list) and type(self.result) is not list
        length = self.headers.get("Content-Length") if self.headers else None
        if length is not None and not handed:
            data = data[: max(0, int(length) - self.bytes_sent)]
        super().write(data)

    def finish_response(self):
        if isinstance(self.result, list) and type(self.result) is not list:
            for data in list.__iter__(self.result):
                self.write(data)
            self.finish_content()
            self.result = None  # dropped, never closed
            return
        super().finish_response()


simple_server.ServerHandler = ListFast
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
simple_server.make_server(host, port, load_target(target)).serve_forever()
'''


def test_a_list_is_handed_to_the_server_as_a_list(tmp_path: Path) -> None:
    """A trial of 2026-12-06: the probe app's lists reached the server inside the
    validator's iterable, which is no list, so Granian's path for lists (every block sent
    past the Content-Length; a list subclass never closed) was never met, and both rules
    passed it. Two requests now hand the server a list as a list."""
    script = tmp_path / "list_fast.py"
    script.write_text(LIST_FAST_SERVER, encoding="utf-8")
    template = f"{{python}} {script} {{host}} {{port}} {{app}}"
    result = prober.probe(template, ProbeOptions(examples=0, callables=False))
    long_list = scenario(result, "content-length", "long-list")
    assert long_list.extra.handed_as_list is True
    assert long_list.response.body == b"abcdefghij"
    found = {each.rule for each in check_exchange(long_list)}
    assert {"SRV-CL-NO-EXCESS", "SRV-CL-STOP-OR-RAISE"} & found == {"SRV-CL-NO-EXCESS"}
    closed = scenario(result, "close", "list")
    assert [each.message for each in check_exchange(closed, [REGISTRY["SRV-CLOSE-CALLED"]])] == [
        "the iterable has close(); the server never called it"
    ]
    # Its other iterables, met through iter(), it stopped at the length and closed.
    for name, arg in (("content-length", "long"), ("close", "normal")):
        assert {"SRV-CL-NO-EXCESS", "SRV-CLOSE-CALLED"}.isdisjoint(
            each.rule for each in check_exchange(scenario(result, name, arg))
        ), (name, arg)
    # wsgiref iterates a list as any iterable, and closes it: both pass there.
    plain = probed("wsgiref")
    assert check_exchange(scenario(plain, "close", "list"), [REGISTRY["SRV-CLOSE-CALLED"]]) == []
    assert scenario(plain, "content-length", "long-list").extra.handed_as_list is True


def test_a_request_left_unanswered_is_named_in_the_notes() -> None:
    """A trial of 2026-12-06: pyruvate 1.6 answered an Expect: 100-continue with a chunked
    body with its 100, then nothing; the note said "probe 107 (echo): no answer and no
    record", and only a logging proxy told which request that was."""
    request = Request(
        method="POST",
        target="/echo",
        headers=(("Host", "localhost"), ("Expect", "100-continue")),
        body=b"hello",
        framing=Framing.CHUNKED,
        chunk_sizes=(5,),
    )
    assert prober._doubts(Sent(107, "echo", request), None) == [
        "probe 107 (echo): no answer and no record, to POST /echo HTTP/1.1, Expect: "
        "100-continue, a chunked body of 5 bytes"
    ]


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ("wsgiref", "wsgiref/simple_server.py"),
        ("waitress", "waitress/__init__.py"),
        ("{python} -m waitress --port={port} {app}", "waitress/__main__.py"),
        ("env A=1 {python} -X dev -m waitress {port} {app}", "waitress/__main__.py"),
        ("{python} -m no.such.module {port} {app}", os.path.abspath(sys.executable)),
        ("sh -c 'exec something -m waitress {port} {app}'", shutil.which("sh")),
    ],
)
def test_the_file_a_probes_findings_are_placed_at(server: str, expected: str) -> None:
    """SARIF places each result (GitHub refuses one with none): a known server's module, a
    command's ``-m`` module (after ``env``; Python's own option only), or its program."""
    found = server_file(*resolve(server)[1:])
    assert found is not None
    if os.path.isabs(expected):
        assert found == expected
    else:
        assert Path(found).as_posix().endswith(expected)


def test_the_servers_file_is_found_without_running_its_package(tmp_path: Path) -> None:
    """Review of 2026-12-07: the probe found a ``-m`` module's file by importing its
    package in wsgicheck's own process; one whose ``__init__`` needs the server's
    environment raised there, after the whole probe, and no report was written."""
    package = tmp_path / "needsenv"
    package.mkdir()
    (package / "__init__.py").write_text("raise RuntimeError('APP_CONFIG is not set')\n")
    (package / "serve.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        found = server_file(
            *resolve("env APP_CONFIG=1 {python} -m needsenv.serve {port} {app}")[1:]
        )
    finally:
        sys.path.remove(str(tmp_path))
    assert found == str(package / "serve.py")
    assert "needsenv" not in sys.modules


HOSTILE_SERVER = r'''
"""wsgiref's server naming itself with an ESC sequence and a C1 control, and adding a
field whose name and value hold them, to every response."""
import sys
from wsgiref import simple_server

from wsgicheck.target import load_target

EVIL = "x\x1b[31m\x9b"


class Handler(simple_server.ServerHandler):
    server_software = "evil/" + EVIL

    def send_preamble(self):
        self.headers["x-" + EVIL] = EVIL
        super().send_preamble()


simple_server.ServerHandler = Handler
host, port = sys.argv[1], int(sys.argv[2])
simple_server.make_server(host, port, load_target(sys.argv[3])).serve_forever()
'''

#: What no report may carry raw: C0 controls but tab and line breaks, DEL, C1, and the
#: bidirectional controls.
RAW = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_what_a_server_says_reaches_the_probes_json_escaped(tmp_path: Path) -> None:
    """An adversarial trial of 2026-12-07: the JSON report's strings held the server's raw
    ESC, C1 and U+202E once read (its version, SERVER_SOFTWARE, the header a finding
    names), where every other report escaped them."""
    result = probe_script(tmp_path, HOSTILE_SERVER, callables=False)
    assert "the server added x-x\\x1b[31m\\x9b: 'x\\x1b[31m\\x9b'" in messages(
        result, "SRV-PLAY-DUMB"
    )

    # The probe's own requests are kept byte for byte (a replay needs them so): an
    # obs-text field value of its own holds a C1 byte on purpose.
    own = {"request", "raw", "example_request"}

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [
                text
                for key, item in value.items()
                if key not in own
                for text in strings(key) + strings(item)
            ]
        if isinstance(value, list):
            return [text for item in value for text in strings(item)]
        return []

    document = json.loads(probe_report.render([result], "json"))
    raw = [text for text in strings(document) if RAW.search(text)]
    assert raw == []
    assert any("x-x\\x1b[31m\\x9b" in text for text in strings(document))
