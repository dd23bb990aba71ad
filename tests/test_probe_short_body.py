"""SRV-CL-SHORT under ``wsgicheck probe``: a server that keeps the connection after a body
shorter than its Content-Length is caught whatever its keep-alive timeout, and one that
closes it passes. Real gunicorn workers on loopback; every wait is bounded by the probe's."""

from __future__ import annotations

from wsgicheck.probe import ProbeOptions, prober
from wsgicheck.probe.corpus import SHORT_WAIT

OPTIONS = ProbeOptions(examples=0, callables=False)


def test_a_kept_connection_is_caught_though_its_idle_timeout_is_shorter_than_the_wait() -> None:
    """gunicorn's gthread worker keeps the connection after the short body and answers the
    next request on it; with --keep-alive 1, below the client's wait, its idle timer used
    to close the connection first, and the probe read that close as the server's."""
    assert SHORT_WAIT > 1
    result = prober.probe(
        "{python} -m gunicorn --bind {host}:{port} -k gthread --keep-alive 1 {app}", OPTIONS
    )
    assert result.verdicts()["SRV-CL-SHORT"] == "fail"
    assert result.observations["body shorter than Content-Length"] == (
        "connection kept: the request behind it was answered"
    )
    [message] = {
        finding.message
        for each in result.run.results
        if each.rule.id == "SRV-CL-SHORT"
        for finding in each.findings
    }
    assert message == (
        "Content-Length was 10, 4 bytes were sent, and the response was finished as if complete"
    )


def test_a_server_closing_after_the_short_body_passes() -> None:
    """gunicorn's sync worker closes every connection after its response."""
    result = prober.probe("gunicorn", OPTIONS)
    assert result.verdicts()["SRV-CL-SHORT"] == "pass"
    assert result.observations["body shorter than Content-Length"] == "connection closed"
