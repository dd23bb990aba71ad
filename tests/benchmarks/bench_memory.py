"""Memory of the socket server across a large streamed download and upload, beside waitress.

Run: ``python tests/benchmarks/bench_memory.py [--mib N]`` (default 1024). Not part of the
test suite.

Each server runs in a fresh process with the benchmark app of ``serve_peer.py``:

* ``serve``: ``wsgicheck serve serve_peer:app --quiet``, which records every exchange and
  judges it against the rules;
* ``live_server``: :func:`wsgicheck.live_server` with an ``on_exchange`` that keeps each
  record until the next (``serve_peer.py live``);
* ``waitress`` (threads=4).

The client (``http.client``, in this process) uploads N MiB less one block (waitress
refuses a body of 1 GiB or more by default) with a Content-Length, in 64 KiB blocks (the app
reads and hashes it), then downloads N MiB streamed in 64 KiB blocks, a new object each, with
no Content-Length (chunked), reading it in blocks. Reported: the server's RSS after warm-up,
and the growth of its peak RSS (VmHWM) over that across each transfer.
"""

from __future__ import annotations

import argparse
import http.client
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from bench_server import MIB, memory_kib, running

HERE = Path(__file__).resolve().parent
BLOCK = 64 * 1024
SERVERS = ("serve", "live_server", "waitress")


def _upload(port: int, size: int) -> None:
    block = b"u" * BLOCK

    def body() -> Iterator[bytes]:
        left = size
        while left > 0:
            yield block[:left]
            left -= BLOCK

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request(
        "POST",
        "/upload",
        body=body(),
        headers={"Content-Length": str(size), "Content-Type": "application/octet-stream"},
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"upload: {response.status}")


def _download(port: int, size: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", f"/fresh?{size}")
    response = connection.getresponse()
    received = 0
    while chunk := response.read(BLOCK):
        received += len(chunk)
    connection.close()
    if received != size:
        raise RuntimeError(f"download: {received} of {size} bytes")


def _serve_process() -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "wsgicheck", "serve", "serve_peer:app"),
            *("--port", "0", "--quiet"),
        ],
        cwd=HERE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    port = int(banner.split("http://127.0.0.1:")[1].split(" ")[0])
    return process, port


def measure(server: str, size: int) -> tuple[float, float, float]:
    """(RSS after warm-up, upload growth, download growth), in MiB."""
    if server == "serve":
        process, port = _serve_process()
        try:
            for _ in range(20):
                _download(port, 1024)
            return _transfers(process.pid, port, size)
        finally:
            process.terminate()
            process.wait(10)
    with running("wsgicheck-live" if server == "live_server" else server) as (pid, port):
        return _transfers(pid, port, size)


def _transfers(pid: int, port: int, size: int) -> tuple[float, float, float]:
    time.sleep(0.2)
    base = memory_kib(pid, "VmRSS")
    _upload(port, size - BLOCK)
    after_upload = memory_kib(pid, "VmHWM")
    _download(port, size)
    after_download = memory_kib(pid, "VmHWM")
    up = max(0, after_upload - base) / 1024
    down = max(0, after_download - max(base, after_upload)) / 1024
    return base / 1024, up, down


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024, help="size of each transfer")
    args = parser.parse_args(argv)
    size = args.mib * MIB
    print(f"{args.mib} MiB each way, 64 KiB blocks")
    print(f"{'server':<13}{'RSS MiB':>9}{'upload +MiB':>13}{'download +MiB':>15}")
    for server in SERVERS:
        base, up, down = measure(server, size)
        print(f"{server:<13}{base:>9.1f}{up:>13.1f}{down:>15.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
