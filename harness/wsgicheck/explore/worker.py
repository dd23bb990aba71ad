"""A worker process of a run: it loads the app, runs its share of the examples, and tells
the supervisor (:mod:`wsgicheck.explore.supervisor`) over a pipe of every request before the app
gets it, and of what it found at the end.

Apart from the supervisor's side: this code runs only in the worker, where the app runs,
and puts back what the app replaces in the modules the harness's transport runs on.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import operator
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import repeat
from multiprocessing.connection import Connection
from typing import Any

from ..core.environ import ServerConfig
from ..model.errors import TargetError
from ..model.options import RunOptions
from ..model.request import Request
from . import descriptors, processes, signals
from .examples import OnExchange
from .records import send as send_record

#: Modules the harness's own transport runs on: an app that replaces their functions at
#: import gets them back (see :func:`_restore`).
GUARDED_MODULES = ("socket", "time")
#: What an app that patches the whole process for green threads (gevent's ``patch_all``,
#: eventlet's ``monkey_patch``) replaces besides: then nothing is put back (see
#: :func:`_restore`). The names that make a thread a green one: not ``excepthook`` or
#: ``settrace``, which an app sets for its logging or its debugger.
THREADS_MODULE = "threading"
GREEN_THREAD_NAMES = ("_start_new_thread", "_allocate_lock", "get_ident", "Lock")


@dataclass(frozen=True)
class Assignment:
    """What the supervisor gives a worker: the app, the run's options, and its share."""

    spec: str
    options: RunOptions
    #: The share's seed and how many examples it draws.
    seed: int
    examples: int
    #: Whether to measure the app's coverage.
    measure: bool
    #: Hypothesis's home directory (its example database), when the run names one.
    home: str | None


def run_worker(assignment: Assignment, records: Connection, stop: Connection, mark: bytes) -> None:
    """A worker: load the app, run its share of the examples, send what they showed.

    The supervisor writes into ``stop`` before it sends SIGINT to stop the worker: a SIGINT
    with nothing there is the app's (a ``/shutdown`` route that signals its own process),
    and is ignored. Each record sent into ``records`` starts with ``mark`` (see
    :mod:`wsgicheck.explore.records`)."""
    os.setsid()  # a session of its own, which the supervisor kills at the end
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the supervisor's (forked with it)
    for fd, name in ((1, "stdout"), (2, "stderr")):
        # Unbuffered: what the app prints is in the pipe even if it ends with os._exit.
        raw = io.FileIO(fd, "w", closefd=False)
        stream = io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace")
        stream.reconfigure(write_through=True)
        setattr(sys, name, stream)
    # The app runs in a child of this process, never in it: a signal the app sends to its
    # parent (under a server, the process that started it: gunicorn's master, a reloader)
    # reaches this one, which only says so, and not the supervisor, which it would end.
    # The orphans of what the app starts come to this process, which ends them with the
    # app's: none escapes the end of the run by leaving the session.
    processes.adopt_orphans()
    child = os.fork()
    if child:
        _shield(child, stop)
    # Its pid first: the app's process may leave the session (setsid), and is still
    # stopped and killed by its pid.
    send_record(records, mark, ("app-pid", os.getpid()))
    # Nothing of the supervisor's within the app's reach: the run's stdout, other pipes.
    descriptors.keep_only({records.fileno(), stop.fileno()})
    ctrl_c = _CtrlC(stop)
    signal.signal(signal.SIGINT, ctrl_c.heard)
    if _asked(stop):  # Ctrl-C came while this process was being forked, and was lost
        signal.raise_signal(signal.SIGINT)
    me = os.getpid()
    done = [0]
    sent: list[Any] = [None, None]

    def progress(count: int, total: int) -> None:
        done[0] = count

    def exchange(request: Request, config: ServerConfig, transport: str) -> None:
        # The request in full once; for its second transport only the transport's name.
        if sent[0] is request and sent[1] is config:
            send("transport", transport)
        else:
            sent[:] = [request, config]
            send("exchange", request, config, transport, done[0])

    def send(*record: Any) -> None:
        if os.getpid() != me:
            os._exit(0)  # a process the app forked, come back into wsgicheck: it ends here
        with ctrl_c.held():  # a record cut in two would lose every one after it
            send_record(records, mark, record)

    try:
        _run_share(assignment, send, progress, exchange, ctrl_c.keep)
    except BaseException:
        send("crashed", traceback.format_exc().rstrip().splitlines()[-1])
        traceback.print_exc()
    # Out now: the exit handlers (coverage.py saves its data in one), but neither waiting
    # for threads the app left running nor the interpreter's slow teardown (about a
    # second with Hypothesis loaded).
    atexit._run_exitfuncs()
    os._exit(0)


def _shield(child: int, stop: Connection) -> None:
    """The worker process while its child runs the app: it waits for the child, says once
    of each signal the app sent it that wsgicheck ignored it, and ends as the child did
    (by its signal, or with its status), which is what the supervisor reads."""
    told: set[int] = set()

    def heard(signum: int, frame: object) -> None:
        if signum == signal.SIGINT and _asked(stop):
            return  # the supervisor's, sent to the session: the child stops
        if signum not in told:
            told.add(signum)
            _say(
                f"the app sent {signals.name(signum)} to its parent process (under a server, "
                "the process that started it); wsgicheck ignored it"
            )

    signals.catch_all(heard)
    try:
        _, status = os.waitpid(child, 0)
    except ChildProcessError:  # pragma: no cover - it is this process's own child
        status = 0
    processes.end_descendants()
    atexit._run_exitfuncs()  # coverage.py saves its data in one
    if os.WIFSIGNALED(status):
        ended = os.WTERMSIG(status)
        with contextlib.suppress(OSError, ValueError):
            signal.signal(ended, signal.SIG_DFL)
        os.kill(os.getpid(), ended)
        os._exit(128 + ended)  # pragma: no cover - the signal ended it
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _asked(stop: Connection) -> bool:
    """Whether the supervisor asked the worker to stop (read by both of its processes: the
    byte is looked at, never taken)."""
    try:
        return stop.poll()
    except (OSError, EOFError):  # pragma: no cover - the supervisor holds its end
        return False


class _CtrlC:
    """Ctrl-C in the app's process: SIGINT when the supervisor asked for it (there is a
    byte in ``stop``), else the app's own signal, said once and ignored. An app may set a
    SIGINT handler of its own (at import, as a program would): it is put back, or the run
    could not be stopped."""

    def __init__(self, stop: Connection) -> None:
        self.stop = stop
        self.told = False
        self.replaced = False
        self.holding = False
        self.came = False

    def heard(self, signum: int, frame: object) -> None:
        """The SIGINT handler."""
        if _asked(self.stop):
            if self.holding:
                self.came = True
                return
            raise KeyboardInterrupt
        if not self.told:
            self.told = True
            _say("the app sent SIGINT to its own process (a shutdown route); wsgicheck ignored it")

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Ctrl-C held while a record is sent, then raised."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False
        if self.came:
            self.came = False
            raise KeyboardInterrupt

    def keep(self, when: str) -> None:
        """Put the handler back if the app replaced it (``when``: what the app was doing),
        and stop now if the supervisor asked, whatever became of its SIGINT."""
        if signal.getsignal(signal.SIGINT) != self.heard and (
            threading.current_thread() is threading.main_thread()
        ):
            signal.signal(signal.SIGINT, self.heard)
            if not self.replaced:
                self.replaced = True
                _say(
                    f"the app set its own SIGINT handler {when}; wsgicheck put its own back, "
                    "so that Ctrl-C stops the run"
                )
        if _asked(self.stop):
            raise KeyboardInterrupt


def _say(text: str) -> None:
    """One line of wsgicheck's among the app's output, written from a signal handler: to
    fd 2 itself, whatever the app made of ``sys.stderr`` (closed, replaced), and never
    raising."""
    with contextlib.suppress(OSError):
        os.write(2, f"wsgicheck: {text}\n".encode())


def _run_share(
    assignment: Assignment,
    send: Callable[..., None],
    progress: Callable[[int, int], None],
    exchange: OnExchange,
    keep_interruptible: Callable[[str], None],
) -> None:
    from ..drivers.target import app_location, lingering_threads, load_target
    from .runner import explore_share, load_own_modules

    if assignment.home is not None and "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        import hypothesis.configuration

        hypothesis.configuration.set_hypothesis_home_dir(assignment.home)
    # All of wsgicheck first: nothing the app's folder holds can stand in for a module
    # wsgicheck or its dependencies import (an html.py beside the app, say).
    load_own_modules()
    measurement = None
    if assignment.measure:
        from ..results.appcoverage import Measurement

        measurement = Measurement(assignment.spec)
        measurement.start()  # before the import: module-level lines count too
    try:
        guarded = _snapshot()
        path = list(sys.path)
        depth = sys.getrecursionlimit()
        try:
            app = load_target(assignment.spec)
        except TargetError as exc:
            send("target-error", str(exc))
            return
        imported = tuple(threading.enumerate())  # its threads' flags are its own
        _keep_folders(path)
        _keep_depth(depth)
        reported: set[str] = set()
        _restore(guarded, reported, "while it was imported")
        keep_interruptible("while it was imported")

        def guarded_exchange(request: Request, config: ServerConfig, transport: str) -> None:
            # What the app patched while it answered the last request is put back before
            # the harness's transport carries the next one.
            _restore(guarded, reported, "while it answered a request")
            keep_interruptible("while it answered a request")
            exchange(request, config, transport)

        send("ready", app_location(app, assignment.spec))
        partial = explore_share(
            app,
            assignment.options,
            seed=assignment.seed,
            examples=assignment.examples,
            target=assignment.spec,
            on_progress=progress,
            on_exchange=guarded_exchange,
        )
    finally:
        measured = measurement.stop() if measurement is not None else None
    partial.app_coverage = measured
    partial.lingering = lingering_threads(imported)
    send("done", partial)


def _snapshot() -> dict[str, dict[str, Any]]:
    """The functions and classes of :data:`GUARDED_MODULES`: what the transport calls. Not
    their data, which the modules themselves rebind (``time.tzset()``, which ``strptime``
    calls, makes ``time.tzname`` a new tuple): that is no replacement by the app. And of
    ``threading``, the :data:`GREEN_THREAD_NAMES` alone, the ones compared."""
    snapshot = {
        name: {key: value for key, value in vars(sys.modules[name]).items() if callable(value)}
        for name in GUARDED_MODULES
    }
    threads = vars(sys.modules[THREADS_MODULE])
    snapshot[THREADS_MODULE] = {key: threads[key] for key in GREEN_THREAD_NAMES if key in threads}
    return snapshot


def _keep_folders(before: list[str]) -> None:
    """Put back, after the app's own, the folders the app took off ``sys.path`` at import:
    the standard library imports some of its modules only when first used (the ``idna``
    codec a socket connection needs), and an app that emptied ``sys.path`` broke the
    harness's client in its process, a death the report put on the app's request (an
    adversarial trial of 2026-12-06). Said once, among the app's output, on fd 2 itself
    (an app that replaced ``sys.stderr`` with one that raises killed the worker here)."""
    lost = [folder for folder in before if folder not in sys.path]
    if lost:
        sys.path.extend(lost)
        _say(
            f"the app took {len(lost)} folder(s) off sys.path while it was imported; "
            "wsgicheck put them back after the app's own, for the modules Python imports "
            "when first used"
        )


def _keep_depth(before: int) -> None:
    """Put back the recursion limit the app lowered at import: the harness's own calls
    (Hypothesis's, the transports') run deeper than a limit of 60 allows, and the worker
    died of it, a death the report put on the app's first request (an adversarial trial of
    2026-12-06). One raised is the app's to keep. Said once, among the app's output, on fd 2
    itself (the app may have made ``sys.stderr`` anything)."""
    lowered = sys.getrecursionlimit()
    if lowered < before:
        sys.setrecursionlimit(before)
        _say(
            f"the app set the recursion limit to {lowered} while it was imported; wsgicheck "
            f"put back {before}, which its own calls need"
        )


def _restore(snapshot: dict[str, dict[str, Any]], reported: set[str], when: str) -> None:
    """Put back what the app replaced in the modules the harness's transport runs on.

    An app that patches ``socket.socket`` or ``time.monotonic`` (to test itself, or by
    accident) would otherwise break the socket server and the time limits that judge it.
    The report shows it, once a name, among the app's output.

    An app that replaced ``threading`` too made the whole process run on green threads
    (gevent's ``patch_all``, as pywb does): its own servers and clients need every piece of
    it, and the harness's threads are green threads as well. Putting back the blocking
    socket alone left the app waiting on a real socket for a green server that never got
    to run, and the time limit, a green thread too, never fired. Nothing is put back then:
    the harness runs on the app's patches, and says so once.
    """
    missing = object()
    threads = vars(sys.modules[THREADS_MODULE])
    before = snapshot[THREADS_MODULE]
    if any(threads.get(key, missing) is not value for key, value in before.items()):
        if THREADS_MODULE not in reported:
            reported.add(THREADS_MODULE)
            print(
                f"wsgicheck: the app replaced threading functions {when} (a whole-process "
                "patch for green threads, as gevent's patch_all); wsgicheck runs its "
                "transports on the app's patches",
                file=sys.stderr,
            )
        return
    replaced = []
    for name, attributes in snapshot.items():
        if name == THREADS_MODULE:
            continue
        module = sys.modules[name]
        found = vars(module)
        # Nothing replaced (nearly always): one look at every name, in C, before each
        # request; the loop below then finds what was.
        if all(map(operator.is_, map(found.get, attributes, repeat(missing)), attributes.values())):
            continue
        for key, value in attributes.items():
            if found.get(key, missing) is not value:
                setattr(module, key, value)
                replaced.append(f"{name}.{key}")
    news = [each for each in replaced if each not in reported]
    if news:
        reported.update(news)
        print(
            f"wsgicheck: the app replaced {', '.join(news)} {when}; "
            "wsgicheck put them back for its own transport",
            file=sys.stderr,
        )
