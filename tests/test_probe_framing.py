"""``wsgicheck probe`` against a server that passes the app's own ``Transfer-Encoding:
chunked`` on over the body as the app gave it (eventlet 0.41, Tornado 6.6 and mod_wsgi 6.1
did: a probe trial of 2026-12-06): the client cannot frame the answer. A wsgiref server
made to let hop-by-hop fields through, run as a subprocess on loopback; every wait is
bounded by the probe's own time limits."""

from __future__ import annotations

from pathlib import Path

from probeutil import messages, probe_script

PASSING_HOP_SERVER = r'''
"""wsgiref's server that lets the app's hop-by-hop fields through; for a one-block body it
adds a Content-Length of its own, as Tornado does."""
import sys
from wsgiref import handlers, simple_server

from wsgicheck.target import load_target

handlers.is_hop_by_hop = lambda name: False
host, port, target = sys.argv[1], int(sys.argv[2]), sys.argv[3]
simple_server.make_server(host, port, load_target(target)).serve_forever()
'''


def test_the_apps_transfer_encoding_passed_on_breaks_the_framing(tmp_path: Path) -> None:
    result = probe_script(tmp_path, PASSING_HOP_SERVER, callables=False)
    assert messages(result, "SRV-CHUNKED-RFC") == [
        "a response with both Transfer-Encoding and Content-Length",
        "the response says Transfer-Encoding: chunked, but its body is no chunked coding "
        "(RFC 9112 §7.1): b'start_response accepted the header' came where a chunk's size "
        "should be",
    ]
    assert messages(result, "SRV-REJECT-HOP-BY-HOP") == [
        "start_response accepted the header, though Connection is hop-by-hop: the server "
        "owns it (the app gave 'close')",
        "start_response accepted the header, though Transfer-Encoding is hop-by-hop: the "
        "server owns it (the app gave 'chunked')",
    ]
    # Every byte went out as the app gave it: the framing is what broke, not the body.
    assert result.verdicts()["SRV-BINARY-SAFE"] == "pass"
