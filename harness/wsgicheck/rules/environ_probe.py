"""Environ rules on values that describe the server itself: only a probe can check them.

``wsgi.multithread``, ``wsgi.multiprocess`` and ``wsgi.run_once`` promise something about
how the server runs the app; whether the promise holds shows across exchanges, which
``wsgicheck probe`` gathers into ``Exchange.extra``:

* ``together`` (a :class:`~wsgicheck.model.extra.Together`): two requests sent at once;
  ``overlapped`` (the app ran for both at the same time), ``same_process`` (in one
  process, so in two of its threads) and ``waited_alone`` (one call waited for the other,
  which the server ran only once it had ended);
* ``process_requests`` (int): how many requests the process that ran this one served.

Exchanges without those fields leave the rules unapplied (skipped, never passed).
"""

from __future__ import annotations

from collections.abc import Iterator

from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, rule

VARIABLES = "environ Variables"


def _together(ex: Exchange, *, same_process: bool) -> bool:
    evidence = ex.extra.together
    return (
        ex.environ is not None
        and evidence is not None
        and evidence.overlapped is True
        and evidence.same_process is same_process
    )


def _one_at_a_time(ex: Exchange) -> bool:
    evidence = ex.extra.together
    return (
        ex.environ is not None
        and evidence is not None
        and evidence.same_process
        and evidence.waited_alone is not None
    )


@rule(
    "ENV-MULTITHREAD-ACCURATE",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    # Seen as two calls at once in one process: threads, or greenlets that stand in for them
    # (gevent's patch_all), which need a thread-safe app just the same. The other way: one
    # call held in the app while the other, sent at the same time, waited for it to end,
    # both on the process's main thread; not judged on other threads (a pool may grow only
    # under a backlog: rocket3), nor under green threads, where the held call's wait itself
    # may block the rest.
    summary="wsgi.multithread is true when the app runs for two requests at once in one "
    "process (two threads, or greenlets), and false when the server runs it for one at a "
    "time",
    pep="""wsgi.multithread This value should evaluate true if the application object may be
    simultaneously invoked by another thread in the same process, and should evaluate false
    otherwise.""",
    applies=lambda ex: _together(ex, same_process=True) or _one_at_a_time(ex),
    needs=("environ", "extra:together"),
    memo="exchange",
    example="""
bad:  environ["wsgi.multithread"] = False     # with a thread pool serving requests
fix:  environ["wsgi.multithread"] = True
bad:  environ["wsgi.multithread"] = True      # a server that serves one request at a time
fix:  environ["wsgi.multithread"] = False""",
)
def multithread_accurate(self: Rule, ex: Exchange) -> Iterator[Finding]:
    assert ex.environ is not None
    assert ex.extra.together is not None
    flag = ex.environ.get("wsgi.multithread")
    waited = ex.extra.together.waited_alone
    if waited is None and not flag:
        yield self.finding(
            ex,
            f"the app ran for two requests at once in one process; wsgi.multithread is "
            f"{flag!r} (the PEP names threads; greenlets that run it at once, as gevent's "
            "do, need an app safe for that just the same)",
        )
    if waited is not None and flag:
        yield self.finding(
            ex,
            f"of two requests sent at once, the app held one for {waited:g} s and the server "
            "ran the other only once it had ended: one request at a time, on the process's "
            f"main thread; wsgi.multithread is {flag!r}",
        )


@rule(
    "ENV-MULTIPROCESS-ACCURATE",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.multiprocess is true when the app runs in two processes at once",
    pep="""wsgi.multiprocess This value should evaluate true if an equivalent application
    object may be simultaneously invoked by another process, and should evaluate false
    otherwise.""",
    applies=lambda ex: _together(ex, same_process=False),
    needs=("environ", "extra:together"),
    memo="exchange",
    example="""
bad:  environ["wsgi.multiprocess"] = False    # with several pre-forked workers
fix:  environ["wsgi.multiprocess"] = workers > 1""",
)
def multiprocess_accurate(self: Rule, ex: Exchange) -> Iterator[Finding]:
    assert ex.environ is not None
    if not ex.environ.get("wsgi.multiprocess"):
        yield self.finding(
            ex,
            "the app ran for two requests at once in two processes; wsgi.multiprocess is "
            f"{ex.environ.get('wsgi.multiprocess')!r}",
        )


@rule(
    "ENV-RUN-ONCE-ACCURATE",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.run_once is false when the process goes on to serve other requests",
    pep="""wsgi.run_once This value should evaluate true if the server or gateway expects
    (but does not guarantee!) that the application will only be invoked this one time
    during the life of its containing process. Normally, this will only be true for a
    gateway based on CGI (or something similar).""",
    applies=lambda ex: (
        isinstance(ex.extra.process_requests, int) and ex.extra.process_requests >= 2
    ),
    needs=("environ", "extra:process_requests"),
    memo="exchange",
    example="""
bad:  environ["wsgi.run_once"] = True         # in a long-running server
fix:  environ["wsgi.run_once"] = False        # True only for CGI-like gateways""",
)
def run_once_accurate(self: Rule, ex: Exchange) -> Iterator[Finding]:
    assert ex.environ is not None
    if ex.environ.get("wsgi.run_once"):
        count = ex.extra.process_requests
        yield self.finding(
            ex, f"the process served {count} requests; wsgi.run_once is True in each"
        )
