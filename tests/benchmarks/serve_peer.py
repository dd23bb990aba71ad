"""Start one server with the benchmark app, in this process, for the server benchmarks.

``python serve_peer.py SERVER PORTFILE`` serves on a free loopback port and writes the port
to PORTFILE once it listens. SERVER is ``wsgicheck``, ``wsgicheck-live`` (a live server that
keeps its last record), ``waitress`` or ``wsgiref``; each gets the same app and the same
number of worker threads where it has any (4, waitress's default).
"""

from __future__ import annotations

import hashlib
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

THREADS = 4
BLOCK = 64 * 1024


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    """``/hello``: the bare greeting. ``/upload``: hash the body read in blocks.
    ``/download?N``: stream N bytes in 64 KiB blocks with no Content-Length (one block
    object, yielded again and again); ``/fresh?N`` the same with a new object per block."""
    path = environ["PATH_INFO"]
    if path == "/upload":
        digest = hashlib.sha256()
        stream = environ["wsgi.input"]
        remaining = int(environ.get("CONTENT_LENGTH") or 0)
        while remaining > 0:
            block = stream.read(min(BLOCK, remaining))
            if not block:
                break
            remaining -= len(block)
            digest.update(block)
        body = digest.hexdigest().encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "64")])
        return iter([body])
    if path in ("/download", "/fresh"):
        size = int(environ.get("QUERY_STRING") or 0)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return _blocks(size) if path == "/download" else _fresh_blocks(size)
    body = b"Hello world from a simple WSGI application!\n"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return iter([body])


def _fresh_blocks(size: int) -> Iterator[bytes]:
    """A new block object each time, as an app reading a file or a database makes."""
    while size > 0:
        yield b"x" * min(BLOCK, size)
        size -= BLOCK


def _blocks(size: int) -> Iterator[bytes]:
    block = b"x" * BLOCK
    while size > 0:
        yield block[:size]
        size -= BLOCK


def main(server: str, port_file: str) -> None:
    def write_port(port: int) -> None:
        Path(port_file).write_text(str(port))

    if server == "wsgicheck":
        from wsgicheck.drivers.server import Server

        instance = Server(app, threads=THREADS)
        write_port(instance.port)
        instance.serve_forever()
    elif server == "wsgicheck-live":
        # As a test's live server records exchanges: each record is kept until the next.
        from wsgicheck import live_server

        last: list[object] = []

        def keep(record: object) -> None:
            last[:] = [record]

        with live_server(app, threads=THREADS, on_exchange=keep) as live:
            write_port(live.port)
            threading.Event().wait()
    elif server == "waitress":
        import logging

        from waitress.server import create_server

        # waitress logs "Task queue depth is N" under load; silence it so that logging
        # does not count against its CPU time.
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)

        waitress_server = create_server(app, host="127.0.0.1", port=0, threads=THREADS)
        write_port(waitress_server.effective_port)  # type: ignore[union-attr]
        waitress_server.run()
    elif server == "wsgiref":
        from wsgiref.simple_server import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

        httpd = make_server("127.0.0.1", 0, app, handler_class=Quiet)
        write_port(httpd.server_port)
        httpd.serve_forever()
    else:
        raise SystemExit(f"unknown server {server!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
