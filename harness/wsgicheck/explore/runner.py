"""The runner: generated requests through both transports, every rule, shrunk failures.

:func:`run` learns paths worth trying from the app's first answers, then lets Hypothesis
draw (request, server configuration) pairs. Each pair is replayed in memory and on a live
socket server; every rule judges both exchanges, and the transports are compared. Whenever
an example breaks a rule, the runner raises a failure of that rule's own type, so
Hypothesis shrinks it and keeps looking for other failures; for every rule that failed, the
smallest example seen is kept with reproducers (raw HTTP, curl, and a Python snippet).

Runs are deterministic for a given seed, whatever Hypothesis's example database (a directory
by default) holds: its past failures replay first, apart, and are reported as replayed.
"""

from __future__ import annotations

import os
import random
import sys
import sysconfig
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from ..core.environ import ServerConfig
from ..core.invoke import WSGIApp
from ..drivers.client import Client
from ..drivers.target import app_location
from ..model.locations import is_own, module_names
from ..model.options import PROFILES, RunOptions
from ..model.request import Request
from ..model.response import Response
from ..results.run import Failure, RunResult
from ..results.scope import excluded, with_headers
from ..rules import REGISTRY, Exchange
from . import hypothesis_hooks
from .collector import PATH_TIMEOUTS, SERVED, Collector, Partial, TimeOuts, simplify_all
from .exampledb import open_database, redis_url
from .examples import (
    Examples,
    Exploration,
    OnExchange,
    generate,
    replay_database,
)
from .explorer import Learned, links_in
from .merge import merge_partials
from .replay import NORMALISED, MemoryTransport, SocketTransport, timed_out

__all__ = [
    "NORMALISED",
    "PROFILES",
    "Failure",
    "Interrupted",
    "RunOptions",
    "RunResult",
    "discover",
    "run",
]


# -- discovering paths --------------------------------------------------------------------------

#: Told of a discovery request abandoned at the time limit: the request, the server choices
#: and the record.
OnTimeout = Callable[[Request, ServerConfig, Response], object]


def discover(
    app: WSGIApp,
    seeds: Sequence[str] = (),
    *,
    limit: int = 24,
    timeout: float = 10.0,
    body_limit: int = 8 << 20,
    on_exchange: OnExchange | None = None,
    headers: Sequence[tuple[str, str]] = (),
    exclude: Sequence[str] = (),
    learned: Learned | None = None,
    on_timeout: OnTimeout | None = None,
) -> list[str]:
    """Paths worth trying: ``/``, the seeds, and what the app's answers link to.

    Follows links in HTML (``href``, ``src``, form ``action``) and ``Location`` and
    ``Content-Location`` headers, on the same origin only, breadth first, up to ``limit``
    paths in all; every seed is tried whatever their number (the user named them: none
    is dropped for a link found on the way), unless the app timed out on
    :data:`PATH_TIMEOUTS` paths in a row, which ends the discovery. The app runs as in the
    rest of the run: in a worker thread, with the time and body limits, so a hostile app
    cannot stop the run here either.
    ``on_exchange`` hears of each request just before the app gets it; ``headers`` go on
    every request, and paths ``exclude`` matches are neither requested nor returned.
    ``learned`` takes what the answers teach (validators, cookies, forms), for sequences;
    ``on_timeout`` hears of each exchange abandoned at the limit (its app call runs on, and
    may hold up the run's first requests: it is a finding of its own).
    """
    transport = MemoryTransport(app, timeout)
    # serve's server (its threads too): a time-out met here is shown under it, and its curl
    # replay asked for "serve --threads 1" when this was the default's one thread.
    config = replace(SERVED, response_body_limit=body_limit)
    client = Client(app, config=config)
    queue = ["/", *seeds]
    limit = max(limit, len({path for path in queue if not excluded(path, exclude)}))
    found: list[str] = []
    in_a_row = 0
    try:
        while queue and len(found) < limit and in_a_row < PATH_TIMEOUTS:
            path = queue.pop(0)
            if path in found or excluded(path, exclude):
                continue
            found.append(path)
            request = with_headers(client.build_request("GET", path), headers)
            if on_exchange is not None:
                on_exchange(request, config, "memory")
            response = transport.exchange(request, config)
            in_a_row = in_a_row + 1 if timed_out(response) else 0
            if in_a_row and on_timeout is not None:
                on_timeout(request, config, response)
            if response.environ is None or not response.complete:
                continue
            if learned is not None:
                learned.learn(request, response)
            for candidate in links_in(response, path):
                if candidate not in found and candidate not in queue:
                    queue.append(candidate)
    finally:
        transport.close()
    return found


# -- the run ------------------------------------------------------------------------------------


_OWN_MODULES_LOADED = False
#: wsgicheck's modules that only pytest runs: they import it.
PYTEST_MODULES = frozenset({"wsgicheck.plugin", "wsgicheck.suite"})


def load_own_modules() -> None:
    """Import every wsgicheck module, once, before drawing anything.

    Hypothesis mixes constants from the source of every local module loaded so far into
    what it draws, and a wsgicheck checkout is local code to it (an installed one is not).
    Each module is marked as already read, so its constants are left out wherever wsgicheck
    lives: a seed then draws the same requests whatever the caller imported before the run
    (a report format, ``--baseline``, the pytest plugin) and whatever wsgicheck's own source
    says; the app's constants still count.

    The pytest side (:data:`PYTEST_MODULES`) is left out unless pytest is running: it
    imports pytest (about a tenth of a second in each worker of ``wsgicheck check``), and
    no run loads it, so unloaded it adds no constants either.
    """
    global _OWN_MODULES_LOADED
    # At each call, since the app loaded since may have made some: whatever is no plain
    # module (a lazily loaded one, which Hypothesis's read of its file would run; an object
    # standing in sys.modules) is left alone, its code not run here.
    hypothesis_hooks.ignore_constants_of(
        module for module in list(sys.modules.values()) if type(module) is not ModuleType
    )
    if _OWN_MODULES_LOADED:
        return
    import importlib
    import pkgutil

    package = sys.modules[__name__.partition(".")[0]]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", lambda _: None):
        if info.name.endswith("__main__"):
            continue
        if info.name in PYTEST_MODULES and "pytest" not in sys.modules:
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # pragma: no cover - a module that cannot load here draws nothing
            continue
    # Every module from wsgicheck's directory, ``__main__`` too under ``python -m``; and a
    # console script's ``__main__`` (``.venv/bin/wsgicheck``, ``.venv/bin/pytest``), local
    # code to Hypothesis, whose few constants made ``wsgicheck check --seed 1`` draw other
    # requests than ``python -m wsgicheck``.
    main = sys.modules.get("__main__")
    hypothesis_hooks.ignore_constants_of(
        module
        for module in list(sys.modules.values())
        if is_own(_file_of(module)) or (module is main and _console_script(_file_of(module)))
    )
    _OWN_MODULES_LOADED = True


def _console_script(file: str) -> bool:
    """Whether ``file`` is a launcher an installer wrote: in the interpreter's scripts
    folder (on Windows, a ``.exe`` whose ``__main__.py`` is inside it), or, elsewhere
    (``~/.local/bin``), no ``.py`` file."""
    scripts = os.path.abspath(sysconfig.get_path("scripts"))
    return file.startswith(scripts + os.sep) or not file.endswith(".py")


def _file_of(module: object) -> str:
    """A module's file as an absolute path (the root for a module with none), read
    without running a lazily loaded module."""
    file = module_names(module).get("__file__")
    return os.path.abspath(file if isinstance(file, str) and file else os.sep)


def explore_share(
    app: WSGIApp,
    options: RunOptions,
    *,
    seed: int,
    examples: int,
    target: str,
    on_progress: Callable[[int, int], None] | None,
    on_exchange: OnExchange | None = None,
) -> Partial:
    """Run ``examples`` examples with ``seed`` and collect what they show.

    Two phases that share nothing but the app: the example database's failures are
    replayed first, on their own (``replay`` in the result), then the seeded draw runs
    with the database written to but never read, so a seed draws the same requests
    whatever the database holds. ``on_exchange`` hears of each request just before the
    app gets it (with the server choices and the transport), so that whoever watches
    knows the last one if the process dies (see :mod:`wsgicheck.explore.supervisor`).
    """
    rules = REGISTRY.select(options.select, options.ignore)
    load_own_modules()
    collector = Collector(rules, options.strict)
    # The socket server starts before the app first runs: nothing the app does to the
    # modules it is built from (a patched socket.socket) can stop it starting.
    wire = (
        SocketTransport(
            app, options.timeout, options.body_limit, raw_latin1_targets=options.raw_bytes
        )
        if options.transports != "memory"
        else None
    )
    learned = Learned()
    run: Exploration | None = None
    drawing: Examples | None = None
    interrupted = False
    replay: Partial | None = None
    timeouts = TimeOuts()
    try:
        paths = discover(
            app,
            options.paths,
            timeout=options.timeout,
            body_limit=options.body_limit,
            on_exchange=on_exchange,
            headers=options.headers,
            exclude=options.exclude_paths,
            learned=learned,
            on_timeout=lambda request, config, response: collector.judge(
                Exchange(response, source="memory"), request, config, "memory"
            ),
        )
        memory = MemoryTransport(app, options.timeout) if options.transports != "socket" else None
        # In memory alone, the server is as serve's (its threads too): what examples are
        # made simpler towards and measured from (a review of 2026-12-07: the default's
        # single thread, which example_size counts as a choice, made examples "bigger").
        base = wire.config if wire is not None else SERVED
        base = replace(base, response_body_limit=options.body_limit)
        run = Exploration(
            options,
            examples=examples,
            memory=memory,
            wire=wire,
            base=base,
            paths=paths,
            learned=learned,
            on_exchange=on_exchange,
        )
        drawing = Examples(run, collector, timeouts, on_progress)
        database = open_database(options.database) if options.database is not None else None
        if database is not None:
            replay = replay_database(run, rules, database, target=target, seed=seed)
        generate(run, drawing, database, target=target, seed=seed)
        simplify_all(collector, run.replay_one, base, options, run.paths)
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: what ran so far is the result
    finally:
        if run is not None:
            run.close()
        elif wire is not None:
            wire.close()
    if run is None or drawing is None:  # Ctrl-C before the first example: an empty result
        empty = Partial(
            0, collector.applied, collector.findings, {}, [], [], app_location(app, target)
        )
        empty.interrupted = True
        return empty
    return Partial(
        collector.examples,
        collector.applied,
        collector.findings,
        collector.smallest,
        run.errors,
        paths,
        app_location(app, target),
        notes=timeouts.notes(),
        interrupted=interrupted,
        replay=replay,
        answers=run.answers,
        first_answer=run.first_answer,
        first_found=collector.first_found,
        shrinking_stopped=drawing.shrinking_stopped,
        not_shown_again=collector.not_shown_again,
    )


def run(
    app: WSGIApp,
    options: RunOptions | None = None,
    *,
    target: str = "<app>",
    on_progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Drive ``app`` with generated requests and judge every exchange (in this process).

    Ctrl-C raises :class:`Interrupted`, a ``KeyboardInterrupt`` that carries the result of
    the examples run until then.
    """
    options = options or RunOptions()
    started = time.monotonic()
    seed = options.seed if options.seed is not None else random.randrange(1 << 32)
    partial = explore_share(
        app,
        options,
        seed=seed,
        examples=options.examples,
        target=target,
        on_progress=on_progress,
    )
    result = merge_partials([partial], options, seed=seed, target=target, started=started)
    if result.interrupted:
        raise Interrupted(result)
    return result


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run; ``result`` holds what the examples run until then showed.

    Still a ``KeyboardInterrupt``: a caller that does not look for it stops as usual.
    """

    def __init__(self, result: RunResult) -> None:
        super().__init__("interrupted")
        self.result = result


def database_path(options: RunOptions) -> Path | None:
    """Where the example database lives, if it is a folder."""
    if options.database is None or redis_url(options.database) is not None:
        return None
    return Path(options.database)
