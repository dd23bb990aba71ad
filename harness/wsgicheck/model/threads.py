"""wsgicheck's own threads: daemons, all named with one prefix.

A thread the app leaves running keeps a process from ending, and a Python replay of its
findings with it (:func:`wsgicheck.drivers.target.lingering_threads` looks for such
threads). The harness's own never do: they are daemons, and their names tell them from the
app's in a process where both run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

__all__ = ["OWN_THREADS", "own_thread"]

#: The names of wsgicheck's own threads begin so.
OWN_THREADS = "wsgicheck-"


def own_thread(name: str, target: Callable[..., object], *args: object) -> threading.Thread:
    """A daemon thread of wsgicheck's running ``target(*args)``, named ``wsgicheck-NAME``;
    not started."""
    return threading.Thread(target=target, args=args, name=OWN_THREADS + name, daemon=True)
