"""Requests per second, CPU per request and memory of the socket server, against its peers.

Run: ``python tests/benchmarks/bench_server.py [--rounds N] [--seconds S] [--memory]``.
Needs ``wrk`` (Debian package ``wrk``) as the load generator and ``curl`` for the transfers.
Not part of the test suite.

Throughput (issue 13's rows): the bare ``Server`` (``wsgicheck``, no rules), the command
``wsgicheck serve --quiet --threads 4`` (``serve``: every rule on every exchange), waitress
(threads=4) and ``wsgiref.simple_server`` each run in their own process with the same app
(``serve_peer.py``); every round runs the same wrk load (1 thread, 8 keep-alive connections,
``GET /hello``) against each, in a shuffled order. CPU time per request is the server
process's user+system time (its rusage, read from ``/proc``) over the requests served.
Figures are medians over rounds; ratios are medians of per-round ratios against waitress.

Memory (``--memory``): a fresh process per server; the growth of its peak RSS (VmHWM) over
its RSS after warm-up, across a 100 MiB upload read in 64 KiB blocks and a 100 MiB download
streamed in 64 KiB blocks.
"""

from __future__ import annotations

import argparse
import contextlib
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
SERVERS = ("wsgicheck", "serve", "waitress", "wsgiref")
#: Also on request (``--servers``): the bare server making a record of every exchange.
EXTRA = ("wsgicheck-live",)
MEMORY = ("wsgicheck", "waitress", "wsgiref")
MIB = 1 << 20


@contextmanager
def running(server: str) -> Iterator[tuple[int, int]]:
    """Start a server process; yield (pid, port)."""
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        if server == "serve":  # the command itself, as a user starts it
            command = ["-m", "wsgicheck", "serve", f"{HERE / 'serve_peer.py'}:app"]
            command += ["--port", "0", "--quiet", "--threads", "4"]
            log = port_file.with_suffix(".log").open("w")
        else:
            command = [str(HERE / "serve_peer.py"), server, str(port_file)]
            log = None
        process = subprocess.Popen(
            [sys.executable, *command],
            stdout=log or subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port = _started(server, process, port_file)
            for _ in range(20):  # warm up
                urllib.request.urlopen(f"http://127.0.0.1:{port}/hello", timeout=5).read()
            yield process.pid, port
        finally:
            process.terminate()
            process.wait(10)
            if log is not None:
                log.close()


def _started(server: str, process: subprocess.Popen[bytes], port_file: Path) -> int:
    """Wait for a server to listen; its port (from the port file, or ``serve``'s banner)."""
    deadline = time.monotonic() + 20
    while True:
        if server == "serve":
            found = re.search(r"http://127\.0\.0\.1:(\d+)", _read(port_file.with_suffix(".log")))
        else:
            found = re.fullmatch(r"\d+", _read(port_file))
        if found is not None:
            return int(found.group(found.lastindex or 0))
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError(f"{server} did not start")
        time.sleep(0.05)


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


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


def throughput(rounds: int, seconds: float, servers: tuple[str, ...] = SERVERS) -> None:
    """Print req/s and CPU µs per request of ``servers`` (waitress always among them)."""
    servers = tuple(n for n in SERVERS + EXTRA if n in servers or n == "waitress")
    rps: dict[str, list[float]] = {name: [] for name in servers}
    cpu: dict[str, list[float]] = {name: [] for name in servers}
    with contextlib.ExitStack() as stack:
        processes = {name: stack.enter_context(running(name)) for name in servers}
        order = list(servers)
        for _ in range(rounds):
            random.shuffle(order)
            for name in order:
                pid, port = processes[name]
                before = cpu_seconds(pid)
                done = wrk(port, seconds)
                rps[name].append(done / seconds)
                cpu[name].append((cpu_seconds(pid) - before) / done)
    print(f"{'server':<16}{'req/s':>10}{'vs waitress':>13}{'CPU µs/req':>12}{'vs waitress':>13}")
    for name in servers:
        rate = statistics.median(rps[name])
        ratio = statistics.median(a / b for a, b in zip(rps[name], rps["waitress"], strict=True))
        per = statistics.median(cpu[name]) * 1e6
        cpu_ratio = statistics.median(
            a / b for a, b in zip(cpu[name], cpu["waitress"], strict=True)
        )
        print(f"{name:<16}{rate:>10.0f}{ratio:>12.2f}x{per:>12.1f}{cpu_ratio:>12.2f}x")


def transfers() -> None:
    with tempfile.NamedTemporaryFile() as upload:
        block = os.urandom(MIB)
        for _ in range(100):
            upload.write(block)
        upload.flush()
        print(f"{'server':<16}{'RSS MiB':>9}{'upload +MiB':>13}{'download +MiB':>15}")
        for name in MEMORY:
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
    parser.add_argument(
        "--servers", default=",".join(SERVERS), help=f"some of {','.join(SERVERS + EXTRA)}"
    )
    args = parser.parse_args(argv)
    throughput(args.rounds, args.seconds, tuple(args.servers.split(",")))
    if args.memory:
        print()
        transfers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
