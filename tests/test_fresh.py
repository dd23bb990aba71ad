"""Tries on a fresh app run in processes of their own, forked from one clean process.

Real processes throughout: the clean one is spawned, each try is its fork, and what a try
does (hang, start processes, write into its pipe) is done for real. Every wait is bounded.
"""

from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from wsgicheck.explore.fresh import FreshProcesses, kill_session

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forking path is POSIX's")

#: Set by each try that runs in a process where this module was imported once.
_LOADS = 0


def _pid() -> bytes:
    return str(os.getpid()).encode()


def _load_once() -> bytes:
    """What a module-level count says in a try: 1 if no other try's state is there."""
    global _LOADS
    _LOADS += 1
    return str(_LOADS).encode()


def _start_and_hang(record: str) -> bytes:
    """A try that starts a process of its own, then never answers."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    Path(record).write_text(str(child.pid))
    time.sleep(60)
    return b"never"


def _scribble(answer: bytes) -> bytes:
    """Writes into every pipe it can write to (its answer's among them), then answers."""
    for fd in range(3, 64):
        try:
            if stat.S_ISFIFO(os.fstat(fd).st_mode) and (
                fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
            ):
                os.write(fd, b"passed")
        except OSError:
            continue
    return answer


def _gone(pid: int) -> bool:
    """Whether ``pid`` is no running process (gone, or a zombie not yet reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def _wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return _gone(pid)


def test_each_try_is_a_process_of_its_own_with_nothing_of_another() -> None:
    with FreshProcesses(100) as processes:
        pids = [processes.run(_pid, (), 30.0) for _ in range(3)]
        counts = [processes.run(_load_once, (), 30.0) for _ in range(3)]
    assert len(set(pids)) == 3
    assert str(os.getpid()).encode() not in pids
    assert counts == [b"1", b"1", b"1"]


def test_a_try_that_outlives_its_bound_is_killed_with_what_it_started(tmp_path: Path) -> None:
    record = tmp_path / "started"
    with FreshProcesses(100) as processes:
        assert processes.run(_start_and_hang, (str(record),), 3.0) == b""
        started = int(record.read_text())
        assert _wait_gone(started)
        assert processes.run(_load_once, (), 30.0) == b"1"  # the next try is answered


def test_an_answer_with_anything_written_beside_it_is_no_answer() -> None:
    with FreshProcesses(100) as processes:
        assert processes.run(_scribble, (b"failed:x",), 30.0) == b""
        assert processes.run(_load_once, (), 30.0) == b"1"


def _five() -> bytes:
    return b"12345"


def test_an_answer_longer_than_the_limit_is_no_answer() -> None:
    with FreshProcesses(4) as processes:
        assert processes.run(_five, (), 30.0) == b""
        assert processes.run(_load_once, (), 30.0) == b"1"


def test_tries_are_spawned_once_the_clean_process_has_gone() -> None:
    with FreshProcesses(100) as processes:
        first = processes.run(_pid, (), 30.0)
        clean = processes._process
        assert clean is not None
        kill_session(clean.pid)
        clean.join(10)
        assert [processes.run(_load_once, (), 30.0) for _ in range(2)] == [b"1", b"1"]
    assert first


def test_closing_ends_the_clean_process() -> None:
    processes = FreshProcesses(100)
    assert processes.run(_load_once, (), 30.0) == b"1"
    clean = processes._process
    assert clean is not None
    assert clean.is_alive()
    processes.close()
    assert not clean.is_alive()
    assert processes._process is None
