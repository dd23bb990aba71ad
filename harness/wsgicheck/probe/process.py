"""The server under test as a subprocess: started in its own process group, waited for
(bounded), and stopped by its process group id, so pre-forked workers go with it.

Stopping is SIGTERM to the group, then SIGKILL to the group once ``stop_timeout`` has
passed, and SIGKILL to the group once more after the leader has gone, in case a worker
outlived its master. Every wait has a limit; a server that never listens is a
:class:`ServerStartError`, never a hang.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

from ..model.errors import WsgicheckError

__all__ = ["ServerProcess", "ServerStartError", "free_port"]

#: How long to wait between two connection attempts while the server starts.
POLL = 0.05


class ServerStartError(WsgicheckError):
    """The server under test did not start listening (it exited, or took too long)."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """One server process (and its children), its output kept in ``log_path``."""

    def __init__(
        self,
        argv: list[str],
        *,
        env: dict[str, str],
        log_path: Path,
        marker: tuple[str, str] | None = None,
    ) -> None:
        self.argv = argv
        self.env = env
        #: A variable of ``env`` (name, value) no other process has: what tells the
        #: server's processes that went to the background from any other on the port.
        self.marker = marker
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        #: Where this start's output begins in the log, which every start appends to.
        self.started_at = 0
        #: The port this start was given (free when it started: see :func:`free_port`).
        self.port: int | None = None
        #: Processes a stop found still listening on the port, out of the process group,
        #: and killed (a server that daemonized: ``uwsgi --daemonize``).
        self.left_listening: list[int] = []

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, host: str, port: int, *, timeout: float) -> None:
        """Start the server and return once ``host:port`` accepts connections."""
        with open(self.log_path, "ab") as log:
            self.started_at = log.tell()
            try:
                self.process = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    start_new_session=True,
                )
            except OSError as exc:
                raise ServerStartError(f"cannot run {self.argv[0]!r}: {exc.strerror}") from None
        self.port = port
        deadline = time.monotonic() + timeout
        while True:
            status = self.process.poll()
            if status is not None:
                if status == 0:
                    _listened(host, port, within=_BACKGROUND_GRACE)  # a daemon binds late
                self.stop()
                if status == 0 and self.left_listening:
                    raise ServerStartError(
                        f"the server exited with status {status} and left process(es) "
                        f"{', '.join(map(str, self.left_listening))} serving {host}:{port} (it "
                        "went to the background, out of reach of a stop): run it in the "
                        "foreground (no --daemonize, --daemon or the like); wsgicheck stopped "
                        "them"
                    )
                raise ServerStartError(
                    f"the server exited with status {status} before listening on "
                    f"{host}:{port}: {self.said() or 'no output'}"
                )
            if _listened(host, port, within=0):
                return
            if time.monotonic() >= deadline:
                self.stop()
                raise ServerStartError(
                    f"the server did not listen on {host}:{port} within {timeout:g}s: "
                    f"{self.said() or 'no output'}"
                )
            time.sleep(POLL)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def how_it_ended(self) -> str:
        """How the process ended, as a report says it ("exited with status 3", "was killed
        by SIGSEGV"); "" while it runs."""
        code = None if self.process is None else self.process.poll()
        if code is None:
            return ""
        if code >= 0:
            return f"exited with status {code}"
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"

    def exited_within(self, timeout: float) -> bool:
        """Whether the process has exited, or does within ``timeout`` seconds."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the process group; kill it if it outstays ``timeout`` seconds."""
        process = self.process
        if process is None:
            return
        if process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout)
        # Whatever the leader left behind in its group goes too.
        self._signal(signal.SIGKILL)
        # And what left the group (setsid) and still serves the port the server was given:
        # a process that listens there and carries this start's environment (the probe's
        # own folder, which no other process names) is the server's, and nothing else is.
        if self.port is not None and self.marker is not None:
            self.left_listening = [
                pid
                for pid in listening_on(self.port)
                if pid != os.getpid() and _carries(pid, self.marker)
            ]
            for pid in self.left_listening:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def log(self) -> str:
        """Everything the server wrote to stdout and stderr."""
        try:
            return self.log_path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def own_log(self) -> str:
        """What this start of the server wrote (not the starts before it)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(self.started_at)
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def said(self) -> str:
        """What this start's log says last that explains an end: its last exception (the
        line a traceback ends with), else its last line (a traceback's last line is the
        error, which a closing line such as gunicorn's ``]`` would hide)."""
        log = self.own_log()
        return last_error(log) or _last_line(log)

    def last_line(self) -> str:
        return _last_line(self.own_log())

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def listening_on(port: int) -> list[int]:
    """The processes with a TCP socket listening on ``port`` (Linux, by ``/proc``; elsewhere
    none are found), in order of pid."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as rows:
                next(rows, None)  # the heading
                for row in rows:
                    fields = row.split()
                    local, state, inode = fields[1], fields[3], fields[9]
                    if state == _LISTEN and int(local.rsplit(":", 1)[1], 16) == port:
                        inodes.add(f"socket:[{inode}]")
        except (OSError, IndexError, ValueError):
            continue
    if not inodes:
        return []
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError):
            links = (
                os.readlink(f"/proc/{entry}/fd/{fd}") for fd in os.listdir(f"/proc/{entry}/fd")
            )
            if any(link in inodes for link in links):
                found.append(int(entry))
    return sorted(found)


def _carries(pid: int, marker: tuple[str, str]) -> bool:
    """Whether process ``pid``'s environment holds ``NAME=VALUE`` (Linux, by ``/proc``)."""
    wanted = f"{marker[0]}={marker[1]}".encode()
    try:
        with open(f"/proc/{pid}/environ", "rb") as environ:
            return wanted in environ.read().split(b"\0")
    except OSError:
        return False


def _listened(host: str, port: int, *, within: float) -> bool:
    """Whether ``host:port`` accepts a connection within ``within`` seconds (0: one try)."""
    deadline = time.monotonic() + within
    while True:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=POLL * 4):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL)


#: How long a server that exited 0 before listening is given to bind its port from the
#: background (a daemon's child binds after its parent exits).
_BACKGROUND_GRACE = 1.0
#: A TCP socket's state in ``/proc/net/tcp`` when it listens.
_LISTEN = "0A"
#: A line of a server's log naming an exception: ``ValueError: ...`` (a traceback's last line).
_ERROR_LINE = re.compile(r"\b([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)): \S.*$")


def last_error(log: str, leave_out: re.Pattern[str] | None = None) -> str:
    """The last exception a server's log names, as its traceback's last line, or "";
    lines ``leave_out`` finds do not count."""
    found = ""
    for line in log.splitlines():
        match = _ERROR_LINE.search(line)
        if match is not None and (leave_out is None or leave_out.search(line) is None):
            found = match.group(0)
    return found[:300]


def _last_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
