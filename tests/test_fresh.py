"""Tries on a fresh app run in processes of their own, forked from one clean process.

Real processes throughout: the clean one is spawned, each try is its fork, and what a try
does (hang, start processes, write into its pipe) is done for real. Every wait is bounded.
"""

from __future__ import annotations

import fcntl
import os
import signal
import stat
import subprocess
import sys
import time
from multiprocessing import resource_tracker
from pathlib import Path

import pytest

from test_supervisor import gone
from wsgicheck.explore.fresh import STARTS, FreshProcesses

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
        assert gone(started)
        assert processes.run(_load_once, (), 30.0) == b"1"  # the next try is answered


def test_an_answer_with_anything_written_beside_it_is_no_answer() -> None:
    with FreshProcesses(100) as processes:
        assert processes.run(_scribble, (b"failed:x",), 30.0) == b""
        assert processes.run(_load_once, (), 30.0) == b"1"


def _held() -> bytes:
    """The descriptors above 2 that a try holds, other than the null device."""
    null = os.stat(os.devnull)
    held = []
    for fd in range(3, 1024):
        try:
            found = os.fstat(fd)
        except OSError:
            continue
        if (found.st_rdev, found.st_ino) != (null.st_rdev, null.st_ino):
            held.append(str(fd))
    return ",".join(held).encode()


def test_a_try_holds_no_descriptor_but_its_answers() -> None:
    """A spawned clean process had the resource tracker's pipe, which the app could write
    into: its tries held it too."""
    resource_tracker.ensure_running()
    with FreshProcesses(100) as processes:
        assert processes.run(_held, (), 30.0).count(b",") == 0


def _five() -> bytes:
    return b"12345"


def test_an_answer_longer_than_the_limit_is_no_answer() -> None:
    with FreshProcesses(4) as processes:
        assert processes.run(_five, (), 30.0) == b""
        assert processes.run(_load_once, (), 30.0) == b"1"


def _signal_parent(name: str) -> bytes:
    """A try that signals its parent, as an app's reload route does, and answers its pid."""
    parent = os.getppid()  # read first: once the parent has ended, it is another pid
    os.kill(parent, getattr(signal, name))
    return str(parent).encode()


def _fork_and_answer() -> bytes:
    """A try whose app forks: both processes come back with an answer."""
    os.fork()
    return b"x"


def test_a_signal_a_try_sends_its_parent_leaves_the_clean_process_as_it_was() -> None:
    """Review of 2026-12-05: a try's SIGHUP ended the clean process, and the tries after it
    were spawned from the run's own process, which the next one's SIGHUP ended."""
    with FreshProcesses(100) as processes:
        parents = [processes.run(_signal_parent, (name,), 30.0) for name in ("SIGHUP", "SIGTERM")]
        clean = processes._process
        assert clean is not None
        assert parents == [str(clean.pid).encode()] * 2
        assert clean.is_alive()


def test_a_clean_process_that_was_killed_is_started_again_a_few_times() -> None:
    with FreshProcesses(100) as processes:
        answers = [processes.run(_signal_parent, ("SIGKILL",), 30.0) for _ in range(STARTS + 1)]
    assert [bool(each) for each in answers] == [True] * STARTS + [False]
    assert len(set(answers[:STARTS])) == STARTS  # a new clean process each time


def test_a_try_the_caller_gave_up_on_before_it_began_is_ended(tmp_path: Path) -> None:
    """Review of 2026-12-05: the clean process forked a try after its caller had given up
    on it (its time was up before the clean process had started), and nothing ended it."""
    record = tmp_path / "started"
    processes = FreshProcesses(100)
    assert processes.run(_start_and_hang, (str(record),), 0.001) == b""
    processes.close()
    for _ in range(100):  # the try may have started its process before it was ended
        if record.exists() and record.read_text():
            assert gone(int(record.read_text()))
            break
        time.sleep(0.05)


def test_a_try_whose_app_forks_answers_once() -> None:
    with FreshProcesses(100) as processes:
        assert [processes.run(_fork_and_answer, (), 30.0) for _ in range(4)] == [b"x"] * 4


def test_closing_ends_the_clean_process() -> None:
    processes = FreshProcesses(100)
    assert processes.run(_load_once, (), 30.0) == b"1"
    clean = processes._process
    assert clean is not None
    assert clean.is_alive()
    processes.close()
    assert not clean.is_alive()
    assert processes._process is None
