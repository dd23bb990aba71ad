"""The four private Hypothesis hooks the runner needs, in one place.

Hypothesis has no public way to do what a run needs here; each hook below is a private
attribute, checked by ``tests/test_hypothesis_hooks.py`` against the installed Hypothesis
(which fails loudly if an upgrade changes one), and ``pyproject.toml`` names the versions
supported. Nothing else in wsgicheck touches Hypothesis's internals.

- :func:`ignore_constants_of`: Hypothesis mixes constants from the source of every local
  module loaded so far into what it draws (``providers._seen_modules`` lists the modules it
  has read); marking wsgicheck's own modules as read keeps a seed's draws independent of
  which of them a caller loaded.
- :func:`add_to_database_key`: examples in the database belong to one target and one set of
  options, not only to the test function's source (``_hypothesis_internal_add_digest``).
- :func:`use_seed`: a seeded run that still saves its failures in the database
  (``hypothesis.seed()`` would switch the database off; ``_hypothesis_internal_use_seed``
  is the seed it sets).
- :func:`fresh_draws`: Hypothesis's own provider, registered as a backend under another name
  (``providers.AVAILABLE_PROVIDERS``, the table the documented ``backend`` setting reads).
  With any backend but ``"hypothesis"`` the engine draws each example afresh from the seeded
  random: it skips its tree of the prefixes tried, the zero-extended smallest examples it
  starts with and its mutations that copy one part of an example over another. Those cost
  about a tenth of an example of a run, and put off the bugs that need a large body or
  several fields to the end of the budget (``tests/benchmarks/bench_detect.py``). A failure
  is still replayed, and shrunk, by the ``"hypothesis"`` backend itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

__all__ = ["FRESH_DRAWS", "add_to_database_key", "fresh_draws", "ignore_constants_of", "use_seed"]

#: The backend's name (see :func:`fresh_draws`).
FRESH_DRAWS = "wsgicheck-fresh-draws"


def ignore_constants_of(modules: Iterable[ModuleType]) -> bool:
    """Mark ``modules`` as already read for constants; False when this Hypothesis reads no
    module's constants (nothing to do)."""
    try:
        from hypothesis.internal.conjecture import providers

        seen: set[int] = providers._seen_modules
    except (ImportError, AttributeError):  # pragma: no cover - a Hypothesis without the pool
        return False
    seen.update(id(module) for module in modules)
    return True


def add_to_database_key(test: Callable[..., Any], key: bytes) -> None:
    """Make ``key`` part of the key under which the example database keeps ``test``'s
    examples (set before ``@given`` wraps it)."""
    test._hypothesis_internal_add_digest = key  # type: ignore[attr-defined]


def use_seed(test: Callable[..., Any], seed: int) -> None:
    """Draw ``test``'s examples (a ``@given`` test) from ``seed``, the database kept on."""
    test._hypothesis_internal_use_seed = seed  # type: ignore[attr-defined]


def fresh_draws() -> dict[str, Any]:
    """The ``settings`` keywords that draw every example afresh: ``backend``, naming
    Hypothesis's own provider under another name (registered on the first call). None on a
    Hypothesis older than its ``providers`` module (6.125 or so), whose backends are not
    checked here: it draws as it always has."""
    try:
        from hypothesis.internal.conjecture.providers import AVAILABLE_PROVIDERS
    except ImportError:
        return {}
    # What "hypothesis" names (a dotted path in some versions, a class in others).
    AVAILABLE_PROVIDERS.setdefault(FRESH_DRAWS, AVAILABLE_PROVIDERS["hypothesis"])
    return {"backend": FRESH_DRAWS}
