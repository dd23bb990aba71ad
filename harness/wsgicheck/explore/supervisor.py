"""The supervisor: the app runs in worker processes; this one watches them and reports.

``wsgicheck check`` and the pytest plugin's suite never run the app themselves. They
start worker processes (forked from ``check``'s own process where that is safe; a fresh
interpreter each under pytest, see :func:`supervise`), and each worker loads the app and
runs its share of the examples, telling the supervisor over a pipe of every request just
before the app gets it, and sending what it found at the end.
Whatever the app does, the process that writes the report is left standing:

- a worker that dies (``os._exit``, a signal, the OOM killer) becomes a
  ``HARNESS-WORKER-DIED`` finding naming the last request, and the report is still written;
- a worker's fds 1 and 2 are a pipe the supervisor reads, so what the app prints never
  mixes into a report on stdout; it is kept, bounded, and shown in the report;
- a worker is the leader of its own session, which is killed at the end, so processes the
  app forked and threads it left running neither outlive the run nor keep it waiting;
- paths are made absolute before a worker starts, so an app that changes directory moves
  nothing of the run's.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import wait
from typing import Any

from ..core.environ import ServerConfig
from ..drivers.overtime import STRETCH
from ..model.errors import TargetError
from ..model.events import Location
from ..model.extra import Extra
from ..model.options import RunOptions
from ..model.request import Request
from ..model.response import Response
from ..model.threads import own_thread
from ..results.run import CapturedOutput, RunResult
from ..rules import REGISTRY, Exchange
from . import signals
from .collector import DEATH_RULE, Kept, Partial
from .confirm import confirm_failures
from .exampledb import absolute
from .merge import merge_partials
from .processes import kill_session, kill_tree, running
from .records import MARK_SIZE, Records
from .shares import split
from .signals import interrupts_held
from .worker import Assignment, run_worker

__all__ = [
    "CAPTURE_LIMIT",
    "DEATH_RULE",
    "CapturedOutput",
    "death_exchange",
    "supervise",
]

#: Bytes of the app's output a report keeps: the first and the last half of this.
CAPTURE_LIMIT = 64 * 1024
#: Seconds a worker that sent its results has to exit before it is ended.
EXIT_GRACE = 2.0
#: Seconds a worker is silent before it is sent SIGCONT, each look after (see :func:`_watch`).
CONTINUE_AFTER = 1.0
#: Seconds between reads of what the workers sent.
POLL = 0.1
#: Bytes asked for a record pipe's buffer (Linux), so a worker rarely waits on it.
PIPE_SIZE = 1 << 20


def supervise(
    spec: str,
    options: RunOptions | None = None,
    *,
    jobs: int = 1,
    app_coverage: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
    hypothesis_home: str | None = None,
    fresh: bool = False,
) -> RunResult:
    """Run the app named by ``spec`` in ``jobs`` worker processes and judge what it did.

    The examples are shared out; each worker draws with its own seed derived from the
    run's, so a run stays deterministic for one seed and one number of jobs. With
    ``app_coverage`` each worker measures the app's lines from its import on.
    ``hypothesis_home`` is where Hypothesis keeps its own files in the workers.
    ``fresh``: each worker is a fresh interpreter, never a fork of this process, whose
    state (under pytest, every plugin's: pytest-django's database blocker, say) it would
    inherit, so that the verdicts do not depend on what else this process loaded.
    Raises :class:`~wsgicheck.model.errors.TargetError` when the app cannot be loaded.
    """
    options = options or RunOptions()
    if options.database is not None:
        options = replace(options, database=absolute(options.database))
    home = os.path.abspath(hypothesis_home) if hypothesis_home is not None else None
    started = time.monotonic()
    seed = options.seed if options.seed is not None else random.randrange(1 << 32)
    context = multiprocessing.get_context("spawn" if fresh else _start_method())
    capture = _Capture(CAPTURE_LIMIT)
    workers: list[_Worker] = []
    interrupted = False
    try:
        try:
            for share in split(options.examples, seed, jobs):
                if share.examples or share.index == 0:
                    assignment = Assignment(
                        spec, options, share.seed, share.examples, app_coverage, home
                    )
                    workers.append(_Worker(context, assignment, capture))
            _watch(workers, options, on_progress)
        except KeyboardInterrupt:
            # Ctrl-C reaches this process alone (each worker has a session of its own): pass
            # it on, so each worker stops at once and sends what its examples showed so far.
            interrupted = True
            # A second Ctrl-C, or the SIGTERM a cancelled job sends after it, changes nothing:
            # the workers are stopping already, and what they send is the report.
            with interrupts_held(again=False):
                _interrupt(workers)
    finally:
        # After a Ctrl-C, another (or the SIGTERM after it) while the workers end is dropped:
        # raised after the cleanup, it lost the report the first one was for.
        with interrupts_held(again=not interrupted):
            for worker in workers:
                worker.end()
    if interrupted:
        with interrupts_held(again=False):  # and while what they sent is merged
            # Stopped before any worker sent its examples (the app still importing): an
            # empty result, so a report asked for says the run was cut after none, rather
            # than no report at all, or one left in --report-dir by an earlier run.
            partials = [worker.partial for worker in workers if worker.partial is not None]
            result = merge_partials(
                partials, options, seed=seed, target=spec, started=started, interrupted=True
            )
            result.app_output = capture.output()
            return result
    for worker in workers:
        if worker.target_error is not None:
            raise TargetError(worker.target_error)
        if worker.partial is None and worker.location is None and worker.crashed is None:
            raise TargetError(f"importing {spec!r} ended the process: {worker.death()}")
    partials = [worker.partial or worker.death_partial(spec) for worker in workers]
    result = merge_partials(partials, options, seed=seed, target=spec, started=started)
    result.errors += [worker.crashed for worker in workers if worker.crashed]
    result.app_output = capture.output()
    try:
        confirm_failures(spec, result, options.timeout)
    except KeyboardInterrupt:  # the run is done: report it, the rest unconfirmed
        result.interrupted = True
    result.duration = time.monotonic() - started
    return result


def death_exchange(
    request: Request, transport: str, what: str, where: Location | None = None
) -> Exchange:
    """The record of a request the worker died answering: no response, and how it died
    (``what``), with where the app is defined (``where``) for the finding."""
    response = Response(request, 0, "", [], b"", False, None, [])
    return Exchange(response, source=transport, extra=Extra(worker_died=what, app=where))


class _Capture:
    """The app's output, from any number of pipes: its head and tail, and its size."""

    def __init__(self, limit: int) -> None:
        self.half = limit // 2
        self.head = bytearray()
        self.tail = bytearray()
        self.size = 0
        self.lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        with self.lock:
            self.size += len(data)
            room = self.half - len(self.head)
            if room > 0:
                self.head += data[:room]
                data = data[room:]
            self.tail += data
            if len(self.tail) > 2 * self.half:
                del self.tail[: len(self.tail) - self.half]

    def read(self, fd: int) -> None:
        """Read ``fd`` to its end (a thread's work)."""
        with contextlib.suppress(OSError):
            while data := os.read(fd, 65536):
                self.feed(data)

    def output(self) -> CapturedOutput | None:
        with self.lock:
            if not self.size:
                return None
            tail = bytes(self.tail[-self.half :])
            cut = self.size - len(self.head) - len(tail)
            middle = f"\n[... {cut} bytes cut ...]\n".encode() if cut else b""
            text = (bytes(self.head) + middle + tail).decode("utf-8", errors="replace")
            return CapturedOutput(text, self.size, cut)


class _Worker:
    """One worker process, what it has told, and how it ended."""

    def __init__(self, context: Any, assignment: Assignment, capture: _Capture) -> None:
        self.records, writer = context.Pipe(duplex=False)
        #: Marks each record the worker sends, so that bytes the app wrote are told apart.
        self.mark = os.urandom(MARK_SIZE)
        self.unread = Records(self.records.fileno(), self.mark)
        with contextlib.suppress(AttributeError, OSError):  # Linux only; best effort
            import fcntl

            fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        output, output_writer = os.pipe()
        #: Written into before the SIGINT that stops the worker, so that the worker tells
        #: it from one the app sent.
        stop_reader, self.stop = context.Pipe(duplex=False)
        self.process = context.Process(
            target=run_worker,
            args=(assignment, writer, stop_reader, self.mark),
            name="wsgicheck-worker",
            daemon=True,
        )
        _start_with_output(self.process, output_writer)
        writer.close()
        stop_reader.close()
        os.close(output_writer)
        self.reader = own_thread("output", capture.read, output)
        self.reader.start()
        self.output = output
        self.heard = time.monotonic()
        #: Its process has ended (its sentinel is ready).
        self.gone = False
        #: It has ended: its process, and the app's process below it.
        self.exited = False
        #: The app's process ran on after the worker process had ended (killed by the app).
        self.outlived = False
        self.looked_since_gone = False
        self.ended = False
        self.silent_for: float | None = None
        self.last: tuple[Request, ServerConfig, str] | None = None
        self.examples = 0
        #: The worker's child that runs the app (see :func:`run_worker`), once it says.
        self.app_pid: int | None = None
        self.location: Location | None = None
        self.partial: Partial | None = None
        self.target_error: str | None = None
        self.crashed: str | None = None

    @property
    def mangled(self) -> bool:
        """Whether something it could not have sent came through its pipe: from then on
        nothing it says can be told from what the app wrote, and it is heard no more."""
        return self.unread.mangled

    @property
    def eof(self) -> bool:
        """Whether nothing more is read from its pipe."""
        return self.unread.ended or self.unread.mangled

    def drain(self) -> None:
        """Read every record already in the pipe, never waiting for one."""
        if self.eof:
            return
        for record in self.unread.take():
            self.heard = time.monotonic()
            kind = record[0]
            if kind == "exchange":
                self.last, self.examples = record[1:4], record[4]
            elif kind == "app-pid":
                self.app_pid = record[1]
            elif kind == "transport" and self.last is not None:
                self.last = (*self.last[:2], record[1])
            elif kind == "ready":
                self.location = record[1]
            elif kind == "done":
                self.partial = record[1]
            elif kind == "target-error":
                self.target_error = record[1]
            elif kind == "crashed":
                self.crashed = f"wsgicheck failed in its worker: {record[1]}"

    def look(self, gone: bool) -> None:
        """Read what came, and whether it has exited, ``gone`` telling that its process has
        ended. Its process waits for the app's process below it, unless the app killed it
        (SIGKILL to its parent): then the app's process runs its share on, and its records
        come until it ends too."""
        self.gone = self.gone or gone
        heard = self.heard
        self.drain()
        if not self.gone or self.exited:
            return
        # Asked after a first read (which tells its pid) and before a second: whatever the
        # app's process sent before it stopped is read then.
        alive = self.app_pid is not None and running(self.app_pid)
        self.drain()
        # A record that came after the first look since its process ended was sent after
        # it: the app's process ran on (one dying with it may still look as running).
        self.outlived = self.outlived or (self.looked_since_gone and self.heard != heard)
        self.looked_since_gone = True
        self.exited = self.eof or not alive

    def waited_on(self) -> Any:
        """What to wait on for news of its end: its process's sentinel, or once that process
        is gone, its pipe."""
        return self.records if self.gone else self.process.sentinel

    @property
    def finished(self) -> bool:
        """Whether it sent all it will send (its results, or why it has none)."""
        return self.partial is not None or self.target_error is not None or bool(self.crashed)

    def kill(self) -> None:
        """Kill its whole session: the worker and whatever the app started; and the app's
        process, and what is below either, should they have left the session. Once both
        have ended (the worker process ended what was below it), the sessions alone."""
        kill = kill_session if self.exited else kill_tree
        kill(self.process.pid)
        kill(self.app_pid)

    def end(self) -> None:
        """Make sure nothing of it is left: the session killed, the process reaped."""
        if self.ended:
            return
        self.ended = True
        # Killed before it is reaped: until then its pid (the session's id) cannot be reused.
        self.kill()
        self.process.join(10)
        self.records.close()
        self.reader.join(2)
        if not self.reader.is_alive():
            os.close(self.output)

    def death(self) -> str:
        if self.mangled:
            return (
                "sent wsgicheck bytes that are not its records (the app, or a process it "
                "started, wrote into the worker's pipe to wsgicheck), and was stopped"
            )
        if self.silent_for is not None:
            return f"sent nothing for {self.silent_for:.0f}s and was killed"
        code = self.process.exitcode
        if code is None:
            return "vanished"
        if code < 0:
            name = signals.name(-code)
            if self.outlived:
                return (
                    f"was killed by {name} (an app may send it to its parent process), and "
                    "the app's process, which ran on, then ended before it sent its results"
                )
            hint = " (the OOM killer sends it too)" if -code == signal.SIGKILL else ""
            return f"was killed by {name}{hint}"
        return f"exited with status {code}"

    def death_partial(self, spec: str) -> Partial:
        """What a dead worker's share showed: its death, at the last request it was sent."""
        request, config, transport = self.last or (Request(), ServerConfig(), "memory")
        exchange = death_exchange(request, transport, self.death(), self.location)
        rule = REGISTRY[DEATH_RULE]
        findings = rule.findings(exchange)
        return Partial(
            examples=self.examples,
            applied={DEATH_RULE: 1},
            findings={DEATH_RULE: findings},
            smallest={DEATH_RULE: Kept((0,), findings[0], request, config, transport)},
            errors=[],
            paths=[],
            app_location=self.location,
        )


def _start_method() -> str:
    """``fork`` where it is safe (POSIX, and this process has no other thread), since the
    worker then starts with wsgicheck already imported (a second or more saved);
    ``spawn`` (a fresh interpreter) otherwise."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _start_with_output(process: Any, output: int) -> None:
    """Start ``process`` with ``output`` as its fds 1 and 2 from its first instruction."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(output, 1)
        os.dup2(output, 2)
        process.start()
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


#: How long workers have, after Ctrl-C, to send what they have before they are killed.
INTERRUPT_GRACE = 10.0


def _interrupt(workers: list[_Worker]) -> None:
    """Ctrl-C each live worker, and wait (bounded) for what it sends before it ends."""
    for worker in workers:
        if not worker.exited and worker.process.pid is not None:
            with contextlib.suppress(OSError):
                worker.stop.send_bytes(b"stop")
            # To the app's process (once it said which), else to the worker's session,
            # which it is in until it runs the app.
            if worker.app_pid is None:
                worker.drain()  # it may have said so since the last look
            if worker.app_pid is not None:
                targets = [(os.kill, worker.app_pid)]
            else:  # its session; the process alone until it has made its session
                targets = [(os.killpg, worker.process.pid), (os.kill, worker.process.pid)]
            for kill, pid in targets:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    kill(pid, signal.SIGINT)
                    break
    deadline = time.monotonic() + INTERRUPT_GRACE
    for worker in workers:
        while not worker.exited and not worker.finished and time.monotonic() < deadline:
            ready = wait([worker.waited_on()], timeout=POLL)
            worker.look(worker.process.sentinel in ready)


def _watch(
    workers: list[_Worker], options: RunOptions, on_progress: Callable[[int, int], None] | None
) -> None:
    """Follow the workers until each has ended, killing any that goes silent."""
    # An exchange takes at most the time limit, stretched while the app works (STRETCH
    # times it); a worker silent far longer is stuck.
    silence = STRETCH * options.timeout + 60
    shown = -1
    while True:
        live = [worker for worker in workers if not worker.exited]
        if not live:
            return
        # Woken by a worker's end at once, but by its records only every POLL seconds:
        # waking for each (a few per example) would cost the workers CPU time on a busy
        # machine. The pipe is made large enough to hold what a worker sends meanwhile.
        ready = wait([w.waited_on() for w in live], timeout=POLL)
        now = time.monotonic()
        for worker in live:
            worker.look(worker.process.sentinel in ready)
            if worker.exited:
                continue
            if worker.mangled:
                worker.kill()  # what it says is no longer its own
            elif worker.finished and now - worker.heard > EXIT_GRACE:
                worker.kill()  # a thread the app left running keeps it from exiting
            elif not worker.finished and now - worker.heard > silence:
                worker.silent_for = now - worker.heard
                worker.kill()
            elif not worker.finished and now - worker.heard > CONTINUE_AFTER:
                # An app that stopped the worker process (SIGSTOP to its parent) would keep
                # it from reaping the app's process and so from ending as that one did.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(worker.process.pid, signal.SIGCONT)
        done = sum(worker.examples for worker in workers)
        if on_progress is not None and done != shown:
            shown = done
            on_progress(done, options.examples)
