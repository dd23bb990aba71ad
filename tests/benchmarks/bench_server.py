"""Requests per second, CPU per request and memory of the socket server, against its peers.

Run: ``python tests/benchmarks/bench_server.py [--rounds N] [--seconds S] [--memory]``.
Needs ``wrk`` (Debian package ``wrk``) as the load generator and ``curl`` for the transfers.
Not part of the test suite.

Throughput: wsgicheck, waitress (threads=4) and ``wsgiref.simple_server`` each run in their
own process with the same app (``serve_peer.py``); every round runs the same wrk load
(1 thread, 8 keep-alive connections, ``GET /hello``) against each, in a shuffled order.
CPU time per request is the server process's user+system time over the requests served.
Figures are medians over rounds; ratios are medians of per-round ratios against waitress.

Memory (``--memory``): a fresh process per server; the growth of its peak RSS (VmHWM) over
its RSS after warm-up, across a 100 MiB upload read in 64 KiB blocks and a 100 MiB download
streamed in 64 KiB blocks.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
SERVERS = ("wsgicheck", "waitress", "wsgiref")
MIB = 1 << 20


@contextmanager
def running(server: str) -> Iterator[tuple[int, int]]:
    """Start a server process; yield (pid, port)."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        process = subprocess.Popen(
            [sys.executable, str(HERE / "serve_peer.py"), server, str(port_file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"{server} did not start")
                time.sleep(0.05)
            port = int(port_file.read_text())
            for _ in range(20):  # warm up
                urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=5).read()
            yield process.pid, port
        finally:
            process.terminate()
            process.wait(10)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def memory_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def wrk(port: int, seconds: float) -> int:
    """Run the load; return the number of requests completed."""
    output = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds:g}s", f"http://127.0.0.1:{port}/hello"],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    ).stdout
    match = re.search(r"(\d+) requests in", output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    return int(match.group(1))


def throughput(rounds: int, seconds: float) -> None:
    rps: dict[str, list[float]] = {name: [] for name in SERVERS}
    cpu: dict[str, list[float]] = {name: [] for name in SERVERS}
    with (
        running("wsgicheck") as ours,
        running("waitress") as waitress,
        running("wsgiref") as wsgiref,
    ):
        processes = {"wsgicheck": ours, "waitress": waitress, "wsgiref": wsgiref}
        order = list(SERVERS)
        for _ in range(rounds):
            random.shuffle(order)
            for name in order:
                pid, port = processes[name]
                before = cpu_seconds(pid)
                done = wrk(port, seconds)
                rps[name].append(done / seconds)
                cpu[name].append((cpu_seconds(pid) - before) / done)
    print(f"{'server':<11}{'req/s':>10}{'vs waitress':>13}{'CPU µs/req':>12}{'vs waitress':>13}")
    for name in SERVERS:
        rate = statistics.median(rps[name])
        ratio = statistics.median(a / b for a, b in zip(rps[name], rps["waitress"], strict=True))
        per = statistics.median(cpu[name]) * 1e6
        cpu_ratio = statistics.median(
            a / b for a, b in zip(cpu[name], cpu["waitress"], strict=True)
        )
        print(f"{name:<11}{rate:>10.0f}{ratio:>12.2f}x{per:>12.1f}{cpu_ratio:>12.2f}x")


def transfers() -> None:
    with tempfile.NamedTemporaryFile() as upload:
        block = os.urandom(MIB)
        for _ in range(100):
            upload.write(block)
        upload.flush()
        print(f"{'server':<11}{'RSS MiB':>9}{'upload +MiB':>13}{'download +MiB':>15}")
        for name in SERVERS:
            with running(name) as (pid, port):
                base = memory_kib(pid, "VmRSS")
                subprocess.run(
                    [
                        "curl",
                        "-sS",
                        "--max-time",
                        "120",
                        "-o",
                        "/dev/null",
                        "--data-binary",
                        f"@{upload.name}",
                        "-H",
                        "Content-Type: application/octet-stream",
                        f"http://127.0.0.1:{port}/upload",
                    ],
                    check=True,
                )
                after_upload = memory_kib(pid, "VmHWM")
                subprocess.run(
                    [
                        "curl",
                        "-sS",
                        "--max-time",
                        "120",
                        "-o",
                        "/dev/null",
                        f"http://127.0.0.1:{port}/download?{100 * MIB}",
                    ],
                    check=True,
                )
                after_download = memory_kib(pid, "VmHWM")
                up = max(0, after_upload - base) / 1024
                down = max(0, after_download - max(base, after_upload)) / 1024
                print(f"{name:<11}{base / 1024:>9.1f}{up:>13.1f}{down:>15.1f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--memory", action="store_true", help="also the 100 MiB transfers")
    args = parser.parse_args(argv)
    throughput(args.rounds, args.seconds)
    if args.memory:
        print()
        transfers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
