"""Django's development server (``runserver``: ``django.core.servers.basehttp.run``, threaded
and not) under ``wsgicheck probe``: three faults on the wire the probe once missed, each
judged now. Real servers on loopback; every wait is bounded by the probe's."""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from probeutil import messages
from wsgicheck.probe import ProbeOptions, ProbeResult, prober

OPTIONS = ProbeOptions(examples=0, callables=False)

#: runserver's own code path, given an app: argv host, port, module:attr, and "nothreading".
LAUNCHER = """
import importlib, sys
import django
from django.conf import settings
settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"])
django.setup()
from django.core.servers.basehttp import run
host, port, spec = sys.argv[1], int(sys.argv[2]), sys.argv[3]
module, _, attr = spec.partition(":")
run(host, port, getattr(importlib.import_module(module), attr), threading=len(sys.argv) < 5)
"""


@pytest.fixture(scope="module")
def runserver(tmp_path_factory: pytest.TempPathFactory) -> Callable[[bool], ProbeResult]:
    """The probe of runserver, threaded (its default) or with ``--nothreading``, once each
    per test process."""
    script = tmp_path_factory.mktemp("runserver") / "launcher.py"
    script.write_text(LAUNCHER)

    @functools.cache
    def probe(threading: bool) -> ProbeResult:
        template = f"{{python}} {script} {{host}} {{port}} {{app}}" + ("" if threading else " x")
        return prober.probe(template, OPTIONS)

    return probe


def test_threaded_runserver_keeps_the_connection_after_a_body_cut_by_the_apps_exception(
    runserver: Callable[[bool], ProbeResult],
) -> None:
    """The app declared 10 bytes, gave 4 and raised: runserver logged it and answered the
    request pipelined behind on the same connection, its answer read as the missing bytes
    (PEP 3333: the server should close the connection)."""
    result = runserver(True)
    assert result.observations["exception inside a body under its Content-Length"] == (
        "connection kept: the request behind it was answered"
    )
    assert set(messages(result, "SRV-CL-SHORT")) == {
        "Content-Length was 10, 4 bytes were sent, and the response was finished as if complete",
        "Content-Length was 10, 4 bytes were sent before the app raised ProbeError, and the "
        "response was finished as if complete",
    }
    # Logged, and a body cut on a kept connection is SRV-CL-SHORT's alone.
    assert result.verdicts()["SRV-TRAP-LOG"] == "pass"
    # wsgiref's finish_content gives a 304 the app left without one Content-Length: 0,
    # where only the 200's length (36 bytes) may stand (RFC 9110 §8.6).
    assert set(messages(result, "SRV-NO-BODY-HEAD-204-304")) == {
        "the server sent a 204 response with Content-Length",
        "the server added Content-Length: '0' to a 304 the app gave none; the 200 to the same "
        "request without its condition had 36 bytes",
    }
    assert result.observations["two requests at once"] == "run at the same time"
    assert result.verdicts()["ENV-MULTITHREAD-ACCURATE"] == "pass"


def test_runserver_nothreading_says_multithread_though_it_runs_one_request_at_a_time(
    runserver: Callable[[bool], ProbeResult],
) -> None:
    """runserver --nothreading hands wsgiref's handler no multithread=False (wsgiref's own
    simple_server does), so wsgi.multithread is True on a server that never runs the app
    twice at once."""
    result = runserver(False)
    assert result.observations["two requests at once"] == "run one after the other"
    assert result.observations["wsgi.multithread"] == "True"
    assert set(messages(result, "ENV-MULTITHREAD-ACCURATE")) == {
        "of two requests sent at once, the app held one for 2.5 s and the server ran the other "
        "only once it had ended: one request at a time, on the process's main thread; "
        "wsgi.multithread is True"
    }
    # One request at a time, each connection closed after its answer.
    assert result.observations["exception inside a body under its Content-Length"] == (
        "connection closed"
    )
    assert result.verdicts()["SRV-CL-SHORT"] == "pass"
