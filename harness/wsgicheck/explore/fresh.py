"""Clean processes for the replays on the app loaded afresh (:mod:`wsgicheck.explore.confirm`).

Each try loads the app anew, as many as the confirming budget (30 s) allows. A new
interpreter for each paid for Python, wsgicheck and Hypothesis before the app's own
import: about 0.4 s a try, more than a Flask app takes to load. Here one interpreter is
spawned clean (never a fork of the run's process, whose modules and threads, pytest's
among them, a fresh app must not see). It imports what
a try runs, never loads an app, and forks a child for each try. The child loads the app, as
a new interpreter would, and writes its answer into a pipe of its own; it leads a session
of its own, killed as soon as its answer is there or its time is up, with whatever the app
started in it. The clean process ignores the signals an app sends its parent (a reload
route's SIGHUP), as the worker process does for the run's app; one that an app ended all
the same (SIGKILL) is started again, a few times at most; when it is ended, so are the
tries it started. Where there is no fork (Windows), each try is spawned, as before.

An answer is bytes, read whole (its length first) or not at all, never unpickled: the
trying process is the app's, and so is its pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, wait
from types import TracebackType
from typing import Any

from . import descriptors, processes, signals
from .processes import kill_tree

__all__ = ["FreshProcesses"]

#: What a try runs: a module-level function (the clean process imports it by name) that
#: returns its answer.
Try = Callable[..., bytes]
#: Seconds the clean process has to end once told to, before it is killed.
END_GRACE = 2.0
#: Bytes of the length that comes before a forked try's answer.
_LENGTH = 4
#: Digits of a pid read at most.
_PID_DIGITS = 20
#: Clean processes started at most: after that, the tries left are not told.
STARTS = 3


class FreshProcesses:
    """Runs tries, each in a process of its own that starts clean; used as a context
    manager, which ends the clean process (started at the first try) on the way out."""

    def __init__(self, answer_limit: int) -> None:
        #: Bytes of an answer read at most: what one write into an empty pipe carries whole.
        self._limit = answer_limit
        self._control: Connection | None = None
        self._process: Any = None
        self._starts = 0

    def __enter__(self) -> FreshProcesses:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def run(self, function: Try, args: tuple[Any, ...], bound: float) -> bytes:
        """What ``function(*args)`` answered in a fresh process within ``bound`` seconds;
        empty when it answered nothing in time (it is killed then, as it is after an
        answer), or its answer was longer than the limit."""
        deadline = time.monotonic() + bound
        if not hasattr(os, "fork"):
            return _spawned(function, args, deadline, self._limit)
        child = self._fork(function, args, deadline)
        if child is None:
            return b""
        pid, answer = child
        with os.fdopen(answer, "rb", buffering=0) as pipe:
            try:
                ready = _wait(pipe.fileno(), deadline)
            finally:
                kill_tree(pid)
            return _read(pipe.fileno(), self._limit) if ready else b""

    def close(self) -> None:
        """End the clean process (if it was started)."""
        control, process = self._control, self._process
        self._control = self._process = None
        if control is not None:
            control.close()  # it ends when it reads the end of its pipe
        if process is not None:
            process.join(END_GRACE)
            kill_tree(process.pid)
            process.join()

    def _fork(
        self, function: Try, args: tuple[Any, ...], deadline: float
    ) -> tuple[int, int] | None:
        """A child of the clean process running the try: its pid and the read end of its
        answer's pipe; None where the clean process gave none in time (it is ended; one an
        app had ended is started again for this try) or has been started :data:`STARTS`
        times."""
        control = self._control or self._start()
        if control is None:
            return None
        fds: list[int] = []
        in_time = True
        try:
            control.send((function, args))
            in_time = control.poll(max(0.0, deadline - time.monotonic()))
            if not in_time:
                raise OSError("the clean process did not fork in time")
            with socket.fromfd(control.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                # The child's pid as digits beside its pipe: bytes, never a pickle.
                told, fds, _, _ = socket.recv_fds(sock, _PID_DIGITS, 1)
            if len(fds) != 1 or not told.isdigit():
                raise OSError("the clean process ended")
        except (OSError, EOFError):
            for fd in fds:
                os.close(fd)
            self.close()  # it kills the child it may have started
            if in_time and time.monotonic() < deadline:  # it had gone (an app ended it)
                return self._fork(function, args, deadline)
            return None
        return int(told), fds[0]

    def _start(self) -> Connection | None:
        """Start a clean process, and give the pipe to it; None once :data:`STARTS` have
        been started."""
        if self._starts >= STARTS:
            return None
        self._starts += 1
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe(duplex=True)
        process = context.Process(
            target=_clean, args=(theirs,), name="wsgicheck-fresh", daemon=True
        )
        try:
            process.start()
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self._control, self._process = ours, process
        return ours


def _clean(control: Connection) -> None:
    """The clean process: for each try it is sent, a child that runs it; when told to end
    (its pipe closed), the children it started are ended with it."""
    os.setsid()  # Ctrl-C is the run's to handle; it ends this process
    descriptors.quiet()
    kept = signals.catch_all(signal.SIG_IGN)
    live: set[int] = set()
    with socket.fromfd(control.fileno(), socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        while True:
            _reap(live)
            try:
                function, args = control.recv()
            except (EOFError, OSError):
                break
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                _child((control, sock), kept, read, write, function, args)
            live.add(pid)
            os.close(write)
            try:
                socket.send_fds(sock, [str(pid).encode()], [read])
            except OSError:
                break
            finally:
                os.close(read)
    for pid in live:  # a try the caller gave up on before it learned of it
        kill_tree(pid)
    _reap(live)
    os._exit(0)


def _child(
    inherited: tuple[Connection, socket.socket],
    kept: dict[int, Any],
    read: int,
    write: int,
    function: Try,
    args: tuple[Any, ...],
) -> None:
    """A try: a session of its own, the signals as a new process has them, nothing of the
    clean process's pipe, then the answer (its length first), in one write into the empty
    pipe; by this process alone, not by one the app forked."""
    me = os.getpid()
    try:
        os.setsid()
        signals.put_back(kept)
        for end in inherited:
            end.close()
        os.close(read)
        descriptors.keep_only({write})  # none of the clean process's (a resource tracker's)
        processes.adopt_orphans()
        answer = function(*args)
        if os.getpid() == me:
            os.write(write, len(answer).to_bytes(_LENGTH, "big") + answer)
    except BaseException:  # nothing told: the caller reads no answer
        pass
    if os.getpid() == me:  # what the app started ends with the try, wherever it went
        processes.end_descendants()
    os._exit(0)


def _reap(live: set[int]) -> None:
    """Collect the children that have ended (killed by the caller once it has read them)."""
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if not pid:
                return
            live.discard(pid)


def _spawned(function: Try, args: tuple[Any, ...], deadline: float, limit: int) -> bytes:
    """The try in a new interpreter of its own (where nothing can fork)."""
    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_spawned_child, args=(writer, function, args), name="wsgicheck-fresh", daemon=True
    )
    process.start()
    writer.close()
    try:
        ready = _wait(reader, deadline)
    finally:
        # Ended before its answer is read, so an app that writes into the pipe and hangs
        # cannot keep this process waiting; reaped by pid (a process the app left behind
        # may hold the pipe that a timed join would wait on).
        kill_tree(process.pid)
        process.join()
    try:
        if not ready:
            return b""
        os.set_blocking(reader.fileno(), False)
        with contextlib.suppress(EOFError, OSError):  # BlockingIOError: an answer cut short
            return reader.recv_bytes(limit)
        return b""
    finally:
        reader.close()


def _spawned_child(writer: Connection, function: Try, args: tuple[Any, ...]) -> None:
    me = os.getpid()
    os.setsid()
    descriptors.quiet()
    descriptors.keep_only({writer.fileno()})
    answer = b""
    with contextlib.suppress(BaseException):
        answer = function(*args)
    if os.getpid() == me:
        with contextlib.suppress(Exception):
            writer.send_bytes(answer)
    os._exit(0)


def _wait(pipe: Connection | int, deadline: float) -> bool:
    """Whether ``pipe`` has something to read (an answer, or its end) before ``deadline``."""
    return bool(wait([pipe], max(0.0, deadline - time.monotonic())))


def _read(fd: int, limit: int) -> bytes:
    """The answer in the pipe: empty unless it is all there is, of the length it states and
    at most ``limit`` bytes."""
    os.set_blocking(fd, False)
    try:
        data = os.read(fd, _LENGTH + limit + 1)
    except OSError:
        return b""
    answer = data[_LENGTH:]
    if len(data) < _LENGTH or int.from_bytes(data[:_LENGTH], "big") != len(answer):
        return b""
    return answer if len(answer) <= limit else b""
