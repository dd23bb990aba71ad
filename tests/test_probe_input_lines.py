"""SRV-INPUT-LINES under ``wsgicheck probe``: lines read from wsgi.input that are not the
body sent (a2wsgi's readlines() adds a newline to a last line that has none) and a
readlines() that raises on an empty body. A wsgiref server made to do both, run as a
subprocess on loopback; every wait is bounded by the probe's own time limits."""

from __future__ import annotations

from pathlib import Path

from probeutil import messages, probe_script
from serverutil import BOUNDED_INPUT_SOURCE

NEWLINE_SERVER = (
    r'''
"""wsgiref's server whose wsgi.input.readlines() ends every line with b"\n", as a2wsgi's
does, and raises IndexError on an empty body; and whose iteration gives what read() gives,
the whole body at once, as eventlet's does."""
import sys
from wsgiref import simple_server

from wsgicheck.target import load_target


'''
    + BOUNDED_INPUT_SOURCE
    + r"""

class Lines(BoundedInput):
    def readlines(self, hint=-1):
        data = self.read()
        lines = data.split(b"\n")
        if data[-1] == 10:  # IndexError on an empty body
            lines.pop()
        return [line + b"\n" for line in lines]

    def __iter__(self):  # blocks of read(), not lines (eventlet 0.41)
        return iter(self.read, b"")


class Handler(simple_server.ServerHandler):
    def __init__(self, stdin, stdout, stderr, environ, **options):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        super().__init__(Lines(stdin, length), stdout, stderr, environ, **options)


simple_server.ServerHandler = Handler
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
simple_server.make_server(host, port, load_target(target)).serve_forever()
"""
)


def test_lines_not_the_body_and_a_readlines_that_raises_fail(tmp_path: Path) -> None:
    result = probe_script(tmp_path, NEWLINE_SERVER, callables=False)
    assert result.verdicts()["SRV-INPUT-LINES"] == "fail"
    # The added newline is no byte past CONTENT_LENGTH: the probe's client saw it is not the
    # next request's (a2wsgi 1.10 under uvicorn read nothing past the body; audit of
    # 2026-12-05), so SRV-INPUT-EOF-AT-CL does not count it a second time.
    assert result.verdicts()["SRV-INPUT-EOF-AT-CL"] == "pass"
    assert set(messages(result, "SRV-INPUT-LINES")) == {
        "the lines read from wsgi.input were not the body: 1 byte the body does not have "
        "came after it: b'\\n'",
        "wsgi.input.readlines() raised IndexError",
        "a line read from wsgi.input was more than one line: an item of iteration held 4 "
        "lines in 78 bytes, b'line one\\nline two\\nthe third li'",
    }
