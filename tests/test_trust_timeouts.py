"""A timed-out exchange is judged only on what happened, and a run of time-outs ends.

An app that hangs is one finding (HARNESS-EXCHANGE-TIMEOUT), never a cascade of findings
about an environ or a request body the record lost; a run where every request hangs sends
a bounded number of requests; an abandoned app stops producing at its next block; Ctrl-C
and nonsense limits end ``check`` with one line.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test_cli import CLEAN, _command, cli
from wsgicheck import Client, Request, report
from wsgicheck.cli import INTERRUPTED
from wsgicheck.drivers.overtime import STRETCH, Overtime, moved, worked
from wsgicheck.explore import runner
from wsgicheck.explore.collector import (
    PATH_TIMEOUTS,
    PATH_TIMEOUTS_IN_ALL,
    RUN_TIMEOUTS,
    RUN_TIMEOUTS_IN_ALL,
    TimeOuts,
)
from wsgicheck.explore.replay import MemoryTransport, SocketTransport
from wsgicheck.explore.runner import Interrupted, RunOptions, discover, run
from wsgicheck.explore.worker import _CtrlC
from wsgicheck.model.events import (
    raw_errors_written,
    raw_input_read,
    raw_refused,
    raw_start_response_called,
    raw_write_called,
    raw_yielded,
)
from wsgicheck.rules import Exchange, check_exchange
from wsgicheck.target import load_target

LIMIT = 0.3
#: How long a hanging app waits at most, so its abandoned threads end with the test.
HANG = 30.0


class Hangs:
    """An app that hangs (until released) on the requests ``when`` picks, counting calls."""

    def __init__(self, when: Any = lambda environ: True, *, where: str = "call") -> None:
        self.when = when
        self.where = where
        self.release = threading.Event()
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        with self.lock:
            self.calls += 1
        hang = self.when(environ)
        if hang and self.where == "call":
            self.release.wait(HANG)
        start_response("200 OK", [("Content-Type", "text/plain")])
        if hang and self.where == "iteration":
            return self._slow_body()
        if hang and self.where == "close":
            return _HangsInClose(self.release)
        return [b"ok"]

    def _slow_body(self) -> Iterator[bytes]:
        yield b"first block, "
        self.release.wait(HANG)
        yield b"and the rest"


class _HangsInClose:
    def __init__(self, release: threading.Event) -> None:
        self.release = release

    def __iter__(self) -> Iterator[bytes]:
        return iter([b"ok"])

    def close(self) -> None:
        self.release.wait(HANG)


def options(**changes: Any) -> RunOptions:
    return RunOptions(**{"database": None, "seed": 3, "timeout": LIMIT, **changes})


def failing(app: Any, **changes: Any) -> set[str]:
    try:
        result = run(app, options(**changes), target="app")
    finally:
        if isinstance(app, Hangs):
            app.release.set()
    assert result.errors == []
    return set(result.failures)


# -- the record of a timed-out exchange ----------------------------------------------------


def test_a_memory_time_out_keeps_the_environ_the_app_received() -> None:
    app = Hangs()
    transport = MemoryTransport(app, LIMIT)
    client = Client(app)
    request = client.build_request("POST", "/form?x=1", form={"a": "1"})
    try:
        response = transport.exchange(request, client.config)
    finally:
        app.release.set()
        transport.close()
    assert response.environ is not None
    assert response.environ["wsgi.version"] == (1, 0)
    assert response.environ["QUERY_STRING"] == "x=1"
    assert response.environ["CONTENT_LENGTH"] == "3"
    fired = {f.rule for f in check_exchange(Exchange(response, source="memory"))}
    assert fired == {"HARNESS-EXCHANGE-TIMEOUT"}


def test_a_socket_time_out_keeps_the_request_body_size() -> None:
    app = Hangs()
    transport = SocketTransport(app, LIMIT, 1 << 16)
    request = Client(app).build_request("POST", "/", body=b"x" * 50)
    try:
        response = transport.exchange(request, transport.config)
    finally:
        app.release.set()
        transport.close()
    assert response.request_body_size == 50
    assert response.environ is not None
    assert response.environ["CONTENT_LENGTH"] == "50"
    fired = {f.rule for f in check_exchange(Exchange(response, source="socket"))}
    assert fired == {"HARNESS-EXCHANGE-TIMEOUT"}


# -- past the limit, an app still working gets more time ----------------------------------


def _block(size: int) -> tuple[Any, ...]:
    return raw_yielded(b"x" * size, None)


def test_past_the_limit_an_app_is_given_more_time_only_while_it_works() -> None:
    """The watch itself, on a clock of its own: a grace period before the deadline it marks
    the log; at the deadline it abandons an exchange that did no work since, and gives one
    that did another grace period, up to the stretch."""
    log: list[tuple[Any, ...]] = []
    watch = Overtime(0.0, 10.0)
    assert watch.next_look() == 9.0
    assert not watch.over(5.0, log)
    assert not watch.over(9.0, log)  # marked: nothing yet
    assert watch.next_look() == 10.0
    log.append(raw_input_read("read", 1, 1, 10))  # a read that returned a byte
    assert not watch.over(10.0, log)
    assert watch.deadline == 11.0
    log += [_block(0), raw_input_read("read", 1, 0, 0)]  # an empty block, a read of nothing
    assert watch.over(11.0, log)
    # Working without end: abandoned at the stretch.
    endless = Overtime(0.0, 10.0)
    assert not endless.over(9.5, log)
    now = 10.0
    log.append(_block(1))
    while not endless.over(now, log):
        now += 0.5
        log.append(_block(1))
    assert now == STRETCH * 10.0
    # A hang: abandoned at the limit.
    hang = Overtime(0.0, 10.0)
    assert not hang.over(9.0, log)
    assert hang.over(10.0, log)
    # A first look past the deadline (a limit under the watcher's tick): marked then, and
    # looked at again a grace period on.
    late = Overtime(0.0, 0.1)
    assert not late.over(0.25, log)
    assert late.over(0.3, log)
    # Work is bytes moved: not a write to wsgi.errors (a retry loop logging each try), not
    # a start_response call, not an empty block or a read of nothing (review of 2026-12-06).
    idle = [
        _block(0),
        raw_input_read("read", 1, 0, 0),
        raw_errors_written("write", "retrying\n"),
        raw_start_response_called("200 OK", [], None, "absent", 2, (), False, None),
    ]
    assert [worked(each) for each in idle] == [False] * 4
    assert worked(_block(2))
    assert worked(raw_yielded(b"", None, 5))  # a block kept in part: its size counts
    assert worked(raw_input_read("read", 1, 1, 9))
    # A write the core refused moved nothing (a bytearray, past the Content-Length: review
    # of 2026-12-06); one it took did, once the next event shows it was not refused.
    refused = raw_refused("write", "past Content-Length", "APP-CL-ACCURATE")
    write = raw_write_called(b"x", None, False)
    assert not moved([write, refused, write, refused])
    assert moved([write, refused, write, raw_yielded(b"", None)])
    assert not moved([refused, write])  # the last write's fate not known yet


class ReadsSlowly:
    """Reads its body a byte at a time, a pause after each: past the limit, but working."""

    def __init__(self, pause: float) -> None:
        self.pause = pause

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        size = int(environ.get("CONTENT_LENGTH") or 0)
        got = 0
        while got < size:
            got += len(environ["wsgi.input"].read(1))
            threading.Event().wait(self.pause)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"read %d" % got]


@pytest.mark.parametrize("transport", ["memory", "socket"])
def test_an_app_that_reads_slowly_past_the_limit_is_not_a_time_out(transport: str) -> None:
    """A real-app trial of 2026-12-06: FastAPI behind a2wsgi, reading 64 KiB a byte a read,
    ran past the limit only on a loaded machine; the same seed gave a time-out once in
    three. Twice the limit of reading, a read each twentieth of it: no finding."""
    app = ReadsSlowly(LIMIT / 20)
    request = Client(app).build_request("POST", "/", body=b"x" * 40)
    if transport == "memory":
        chosen: Any = MemoryTransport(app, LIMIT)
        config = Client(app).config
    else:
        chosen = SocketTransport(app, LIMIT, 1 << 16)
        config = chosen.config
    try:
        response = chosen.exchange(request, config)
    finally:
        chosen.close()
    assert (response.status_code, response.body) == (200, b"read 40")
    assert check_exchange(Exchange(response, source=transport)) == []


HANGS_ON_POST = """
import threading

def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":
        threading.Event().wait(5)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


def test_a_time_outs_python_replay_waits_the_limit_and_says_so(tmp_path: Path) -> None:
    """A real-app trial of 2026-12-06: a time-out's Python replay waited for the answer as
    long as the app hung (for ever, for a real hang), and showed nothing."""
    (tmp_path / "wc_hangs_replay.py").write_text(HANGS_ON_POST)
    spec = f"{tmp_path / 'wc_hangs_replay.py'}:app"
    result = run(load_target(spec), options(max_examples=30), target=spec)
    failure = result.failures["HARNESS-EXCHANGE-TIMEOUT"]
    environment = {**os.environ, "PYTHONPATH": str(Path(runner.__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", failure.reproducers.python],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=tmp_path,
        env=environment,
    )
    assert (done.returncode, done.stdout) == (0, f"no answer in {LIMIT:g} s, the time limit\n")
    # Never made simpler (each try would cost a time limit), and not called the smallest.
    assert (
        failure.heading == f"the request ({failure.transport} transport; as met, not made simpler)"
    )
    assert f"  {failure.heading}:" in report.render(result, "text")


# -- runs with slow, hanging and endless apps: exactly the time-out finding -------------------


@pytest.mark.parametrize("where", ["call", "iteration", "close"])
def test_an_app_slow_on_one_method_fails_only_the_time_out(where: str) -> None:
    app = Hangs(lambda environ: environ["REQUEST_METHOD"] == "POST", where=where)
    assert failing(app, max_examples=30) == {"HARNESS-EXCHANGE-TIMEOUT"}


def test_an_app_that_always_hangs_fails_only_the_time_out() -> None:
    assert failing(Hangs(), max_examples=30) == {"HARNESS-EXCHANGE-TIMEOUT"}


class HoldsALock:
    """Roundup's shape: one path's call takes a lock and keeps it past the limit; every call
    after it waits for that lock, and times out behind it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not self.lock.acquire(timeout=HANG):
            raise RuntimeError("the lock was never released")
        try:
            if environ["PATH_INFO"] == "/holds-the-lock":
                self.release.wait(HANG)
        finally:
            self.lock.release()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_the_time_out_shown_is_the_first_not_one_that_waited_behind_it() -> None:
    """A trial of 2026-12-07: Roundup's POST took a minute holding its database, every
    later request timed out waiting for it, and the report showed the smallest of those,
    a GET that answers in 0.03 s alone. The first time-out is shown, and the finding says
    why."""
    app = HoldsALock()
    try:
        result = run(app, options(paths=("/", "/holds-the-lock"), max_examples=20), target="app")
    finally:
        app.release.set()
    assert set(result.failures) == {"HARNESS-EXCHANGE-TIMEOUT"}
    failure = result.failures["HARNESS-EXCHANGE-TIMEOUT"]
    assert failure.request.target == "/holds-the-lock"
    # Met while the paths were discovered, it is shown under serve's server, as any other
    # (its curl replay asked for "serve --threads 1": a session of 2026-12-07).
    assert (failure.config.multithread, failure.finding.choices) == (True, ())
    assert "--threads" not in failure.reproducers.against
    [counted] = [each for each in result.results if each.rule.id == "HARNESS-EXCHANGE-TIMEOUT"]
    assert len(counted.findings) > 1
    assert (
        f"{len(counted.findings)} exchanges timed out, and the request shown is the first: an "
        "app call abandoned at the limit runs on (a thread cannot be stopped), so a later "
        "request may have timed out waiting behind it"
    ) in failure.finding.message


def test_a_time_out_the_database_replayed_first_is_the_one_shown(tmp_path: Path) -> None:
    """A review of 2026-12-07: the database's replays run before the draw, yet the draw's
    first time-out was shown as "the first", and the replayed request that held the lock
    was hidden. The earlier of the two is shown, as replayed."""
    hang = {"on": False}
    lock, release = threading.Lock(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["REQUEST_METHOD"] != "GET":
            if not hang["on"]:  # a fault the database keeps, so the next run replays it
                start_response("200 OK", [("Content-Type", "text/plain"), ("X Bad", "1")])
                return [b"bad"]
            with lock:
                release.wait(HANG)
        with lock:
            pass
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    database = str(tmp_path / "examples")
    first = run(app, options(database=database, max_examples=30), target="app")
    assert set(first.failures) == {"APP-HEADER-NAME-TOKEN"}
    hang["on"] = True
    try:
        again = run(app, options(database=database, max_examples=30, seed=4), target="app")
    finally:
        release.set()
    failure = again.failures["HARNESS-EXCHANGE-TIMEOUT"]
    assert failure.replayed
    assert failure.request.method != "GET"
    assert failure.finding.message.count("3 time-outs in a row on /") == 1


def test_an_endless_body_fails_only_the_body_limit() -> None:
    def endless(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return itertools.repeat(b"x" * 1024)

    assert failing(endless, max_examples=10, body_limit=16 * 1024) == {"HARNESS-BODY-LIMIT"}


# -- bounded time ---------------------------------------------------------------------------


@pytest.mark.parametrize("transports", ["both", "memory", "socket"])
def test_a_run_where_every_request_hangs_sends_a_bounded_number(transports: str) -> None:
    """Each time-out costs a whole time limit: the run gives a path up after a few in a row,
    then the whole run, and says so. (With the default 10 s limit: 8 calls, under 2 min.)"""
    app = Hangs()
    try:
        result = run(app, options(transports=transports), target="hangs")
    finally:
        app.release.set()
    # Discovery tries / (one time-out), then the run: PATH_TIMEOUTS on /, then other paths
    # until RUN_TIMEOUTS in a row. The default profile's 200 examples are never reached.
    assert app.calls == 1 + RUN_TIMEOUTS
    assert set(result.failures) == {"HARNESS-EXCHANGE-TIMEOUT"}
    assert len(result.notes) == 2  # "/" given up, then the run
    message = result.failures["HARNESS-EXCHANGE-TIMEOUT"].finding.message
    assert all(note in message for note in result.notes)


def test_a_path_that_hangs_is_given_up_and_the_others_still_run() -> None:
    """Time-outs in a row on one path write it off (a success in between starts the count
    again); other paths go on until time-outs in a row on any paths stop the run."""
    timeouts = TimeOuts()
    slow, fast = Request(target="/slow?x=1"), Request(target="/fast")
    for _ in range(PATH_TIMEOUTS - 1):
        timeouts.saw(slow, timed_out=True)
    timeouts.saw(slow, timed_out=False)
    for _ in range(PATH_TIMEOUTS - 1):
        timeouts.saw(slow, timed_out=True)
    timeouts.saw(fast, timed_out=False)
    assert not timeouts.skips(slow)
    timeouts.saw(Request(target="/slow"), timed_out=True)  # the query does not matter
    assert timeouts.skips(slow)
    assert not timeouts.skips(fast)
    assert len(timeouts.notes()) == 1
    timeouts.saw(fast, timed_out=False)
    for index in range(RUN_TIMEOUTS):
        assert not timeouts.stopped
        timeouts.saw(Request(target=f"/other/{index}"), timed_out=True)
    assert timeouts.stopped
    assert timeouts.skips(fast)
    assert len(timeouts.notes()) == 2


def test_time_outs_that_never_come_twice_in_a_row_are_bounded_too() -> None:
    """An adversarial trial of 2026-12-06: an app that hangs on every other call never
    times out twice in a row, and a run cost about 200 time limits. Time-outs in all count
    as well: a path is written off after PATH_TIMEOUTS_IN_ALL of them, the run stopped after
    RUN_TIMEOUTS_IN_ALL, and the notes say which bound it was."""
    timeouts = TimeOuts()
    slow = Request(target="/slow")
    for index in range(PATH_TIMEOUTS_IN_ALL):
        assert not timeouts.skips(slow), index
        timeouts.saw(slow, timed_out=True)
        timeouts.saw(slow, timed_out=False)
    assert timeouts.skips(slow)
    assert timeouts.notes() == [
        f"{PATH_TIMEOUTS_IN_ALL} time-outs in all on /slow: the run sent it no more requests"
    ]
    for index in range(RUN_TIMEOUTS_IN_ALL - PATH_TIMEOUTS_IN_ALL):
        assert not timeouts.stopped, index
        other = Request(target=f"/other/{index}")
        timeouts.saw(other, timed_out=True)
        timeouts.saw(other, timed_out=False)
    assert timeouts.stopped
    assert timeouts.notes()[-1] == (
        f"{RUN_TIMEOUTS_IN_ALL} time-outs in all: the run sent no more requests"
    )


def test_a_run_where_every_other_request_hangs_sends_a_bounded_number() -> None:
    calls = itertools.count()
    hung: list[int] = []

    def every_other(environ: dict[str, Any]) -> bool:
        if next(calls) % 2 == 0:
            return False
        hung.append(1)
        return True

    app = Hangs(every_other)
    try:
        result = run(app, options(transports="memory"), target="hangs")
    finally:
        app.release.set()
    assert set(result.failures) == {"HARNESS-EXCHANGE-TIMEOUT"}
    # Discovery's, then about the run's bound (before it: 111 here, one every other example).
    assert len(hung) <= 2 * RUN_TIMEOUTS_IN_ALL
    told = f"{RUN_TIMEOUTS_IN_ALL} time-outs in all: the run sent no more requests"
    assert result.notes[-1] == told


def test_discovery_gives_up_after_time_outs_in_a_row() -> None:
    app = Hangs()
    try:
        found = discover(app, ["/a", "/b", "/c", "/d", "/e"], timeout=LIMIT)
    finally:
        app.release.set()
    assert app.calls == PATH_TIMEOUTS
    assert found == ["/", "/a", "/b"]


def test_an_abandoned_app_stops_at_its_next_block() -> None:
    """Empty blocks forever, and write(b"") forever: neither keeps its thread growing."""
    stopped = {"yield": threading.Event(), "write": threading.Event()}

    def empty_blocks() -> Iterator[bytes]:
        try:
            while True:
                yield b""
        finally:
            stopped["yield"].set()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        if environ["PATH_INFO"] == "/write":
            try:
                while True:
                    write(b"")
            finally:
                stopped["write"].set()
        return empty_blocks()

    # Only this test's threads: others in the same process may have memory threads of their own.
    before = set(threading.enumerate())
    transport = MemoryTransport(app, LIMIT)
    client = Client(app)
    try:
        for path, also in (("/yield", set()), ("/write", {"APP-AVOID-WRITE"})):
            response = transport.exchange(client.build_request("GET", path), client.config)
            fired = {f.rule for f in check_exchange(Exchange(response))}
            assert fired == {"HARNESS-EXCHANGE-TIMEOUT", *also}
            assert stopped[path[1:]].wait(HANG), f"{path}: the abandoned app went on"
    finally:
        transport.close()

    def left() -> list[threading.Thread]:
        return [t for t in set(threading.enumerate()) - before if t.name == "wsgicheck-memory"]

    for _ in range(300):  # and the threads they ran in end (within 30 s)
        if not left():
            break
        threading.Event().wait(0.1)
    assert left() == []


def test_a_socket_worker_written_off_stops_at_its_next_block() -> None:
    stopped = threading.Event()

    def empty_blocks() -> Iterator[bytes]:
        try:
            while True:
                yield b""
        finally:
            stopped.set()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return empty_blocks()

    transport = SocketTransport(app, LIMIT, 1 << 16)
    try:
        response = transport.exchange(Client(app).build_request("GET", "/"), transport.config)
        fired = {f.rule for f in check_exchange(Exchange(response, source="socket"))}
        assert fired == {"HARNESS-EXCHANGE-TIMEOUT"}
        assert stopped.wait(HANG), "the written-off worker went on iterating"
    finally:
        transport.close()


def test_ctrl_c_in_a_run_is_a_keyboard_interrupt_that_carries_the_partial_result() -> None:
    """A library caller (the pytest plugin) that does not look for it stops as usual."""

    def ctrl_c(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    app = Hangs(lambda environ: False)
    with pytest.raises(KeyboardInterrupt) as caught:
        run(app, options(max_examples=50), target="app", on_progress=ctrl_c)
    assert isinstance(caught.value, Interrupted)
    assert caught.value.result.interrupted
    assert caught.value.result.examples == 5
    assert caught.value.result.failures == {}


def test_ctrl_c_while_the_exploration_is_set_up_is_an_empty_interrupted_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Review of 2026-12-06: Ctrl-C after the paths were found and before the first example
    (Hypothesis loading its tables as the exploration is built) escaped the run: the worker
    said it had crashed, and `check` wrote no report."""

    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "Exploration", interrupted)
    app = Hangs(lambda environ: False)
    with pytest.raises(KeyboardInterrupt) as caught:
        run(app, options(max_examples=50), target="app")
    assert isinstance(caught.value, Interrupted)
    assert (caught.value.result.interrupted, caught.value.result.examples) == (True, 0)


def test_ctrl_c_while_a_record_is_sent_comes_once_it_is_whole() -> None:
    """A record cut in two by Ctrl-C would be read as bytes the app wrote into the pipe,
    and every record after it lost (the worker's partial results among them)."""
    stop_reader, stop = multiprocessing.Pipe(duplex=False)
    stop.send_bytes(b"stop")
    ctrl_c = _CtrlC(stop_reader)
    sent = []

    def send() -> None:
        with ctrl_c.held():
            ctrl_c.heard(signal.SIGINT, None)  # as the signal would, in the middle
            sent.append(True)

    with pytest.raises(KeyboardInterrupt):
        send()
    assert sent == [True]
    with pytest.raises(KeyboardInterrupt):  # outside a hold, at once
        ctrl_c.heard(signal.SIGINT, None)
    for end in (stop_reader, stop):
        end.close()


# -- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option",
    [
        ["--examples", "0"],
        ["--examples", "-3"],
        ["--timeout", "0"],
        ["--timeout", "-1"],
        ["--timeout", "nan"],
        ["--timeout", "inf"],
    ],
    ids=lambda option: " ".join(option),
)
def test_nonsense_limits_are_a_one_line_usage_error(tmp_path: Path, option: list[str]) -> None:
    done = cli(tmp_path, "check", CLEAN, "--no-database", *option)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert done.stderr.startswith("wsgicheck: error: " + option[0])


APP = """
import pathlib, time

def app(environ, start_response):
    if environ["REQUEST_METHOD"] == "POST":  # the examples have begun (discovery only GETs)
        pathlib.Path("started").touch()
    time.sleep(0.05)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
"""


@pytest.mark.parametrize("then", [None, signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_prints_one_line_writes_the_partial_report_and_exits_130(
    tmp_path: Path, then: signal.Signals | None
) -> None:
    """``then``: a second signal right after the first (Ctrl-C pressed twice, or the
    SIGTERM a cancelled job sends after its SIGINT). Review of 2026-12-05: it came while
    the workers were being stopped, and the report was lost."""
    (tmp_path / "slowish.py").write_text(APP)
    options = ["--no-database", "--format", "json", "--output", "report.json", "--seed", "1"]
    process = subprocess.Popen(
        [*_command(), "check", "slowish.py:app", *options],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # up to a minute for the run to reach the app
            if (tmp_path / "started").exists() or process.poll() is not None:
                break
            threading.Event().wait(0.1)
        process.send_signal(signal.SIGINT)
        if then is not None:
            threading.Event().wait(0.05)
            process.send_signal(then)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:  # pragma: no cover - only when the test fails
            process.kill()
            process.communicate()
    assert process.returncode == 130, err
    assert err.splitlines() == [INTERRUPTED]
    # The report went to a file: the terminal still gets the summary line, which says the
    # run was cut short (an adversarial trial of 2026-12-06: it got "interrupted" alone).
    # "partial", not "passed" (a re-trial of 2026-12-06): nothing failed so far is no pass.
    assert re.fullmatch(r"INTERRUPTED \(stopped after \d+ examples\), partial: .*\n", out)
    report = json.loads((tmp_path / "report.json").read_text())
    assert 0 < report["examples"] < 200
    assert report["interrupted"] is True  # a partial run never reads as a clean one
