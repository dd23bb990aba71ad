"""The private Hypothesis hooks (:mod:`wsgicheck.explore.hypothesis_hooks`) still do what the runner
relies on: each test fails loudly when a Hypothesis upgrade changes one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.database import InMemoryExampleDatabase

from wsgicheck.explore import hypothesis_hooks


def _local_module(folder: Path, name: str, constant: str) -> ModuleType:
    path = folder / f"{name}.py"
    path.write_text(f"VALUE = {constant!r}\n", encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_a_module_marked_as_read_gives_hypothesis_no_constants(tmp_path: Path) -> None:
    from hypothesis.internal.conjecture import providers

    marked = _local_module(tmp_path, "wsgicheck_hook_marked", "hookmarked")
    _local_module(tmp_path, "wsgicheck_hook_read", "hookread")
    try:
        assert hypothesis_hooks.ignore_constants_of([marked]) is True
        strings = providers._get_local_constants().strings
        # The unmarked module's constant is in the pool (the pool exists and reads local
        # modules); the marked one's is not.
        assert "hookread" in strings
        assert "hookmarked" not in strings
    finally:
        del sys.modules["wsgicheck_hook_marked"], sys.modules["wsgicheck_hook_read"]


def _failing_keys(key: bytes, database: InMemoryExampleDatabase) -> set[bytes]:
    """The database keys a failing test keyed with ``key`` saves its failure under."""
    before = set(database.data)

    def fails(value: int) -> None:
        raise AssertionError(value)

    hypothesis_hooks.add_to_database_key(fails, key)
    test = settings(
        database=database,
        max_examples=5,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )(given(st.integers())(fails))
    with pytest.raises(AssertionError):
        test()
    return {key for key in database.data if database.data[key]} - before


def test_the_database_key_takes_the_added_key() -> None:
    database = InMemoryExampleDatabase()
    first = _failing_keys(b"target-a", database)
    assert first
    assert _failing_keys(b"target-a", database) == set()  # the same key: saved where it was
    assert _failing_keys(b"target-b", database)  # another key: saved somewhere new


#: Any integer, one a draw.
_INTEGERS = st.integers()
#: Six numbers in one example: prefixes the engine can zero-extend.
_SIX = st.tuples(*[st.integers(0, 1000)] * 6)


def _drawn(
    seed: int,
    strategy: st.SearchStrategy[Any] = _INTEGERS,
    *,
    examples: int = 20,
    backend: str = "hypothesis",
) -> list[Any]:
    """What a seeded test draws from ``strategy`` over ``examples`` generated examples."""
    values: list[Any] = []

    def record(value: Any) -> None:
        values.append(value)

    test = settings(
        database=None,
        max_examples=examples,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        backend=backend,
    )(given(strategy)(record))
    hypothesis_hooks.use_seed(test, seed)
    test()
    return values


def test_a_seed_draws_the_same_examples_and_keeps_the_database() -> None:
    assert _drawn(7) == _drawn(7)
    assert _drawn(7) != _drawn(8)

    database = InMemoryExampleDatabase()

    def fails(value: int) -> None:
        raise AssertionError(value)

    test = settings(database=database, max_examples=5, suppress_health_check=list(HealthCheck))(
        given(st.integers())(fails)
    )
    hypothesis_hooks.use_seed(test, 7)
    with pytest.raises(AssertionError):
        test()
    assert any(database.data.values())  # the failure is saved, unlike with hypothesis.seed()


def _zero_extended(values: list[tuple[int, ...]]) -> int:
    """How many of ``values`` end in three zeros: a prefix the engine zero-extended."""
    return sum(value[-3:] == (0, 0, 0) for value in values)


def test_fresh_draws_skip_the_engines_zero_extended_examples() -> None:
    assert hypothesis_hooks.fresh_draws() == {"backend": hypothesis_hooks.FRESH_DRAWS}
    fresh = _drawn(7, _SIX, examples=50, backend=hypothesis_hooks.FRESH_DRAWS)
    # The seed decides them.
    assert fresh == _drawn(7, _SIX, examples=50, backend=hypothesis_hooks.FRESH_DRAWS)
    # Hypothesis's own backend spends its first examples on prefixes ended with zeros; the
    # fresh draws have only the one all-zero example it starts every run with.
    assert _zero_extended(_drawn(7, _SIX, examples=50)) >= 3
    assert _zero_extended(fresh) == 1
    assert fresh[0] == (0,) * 6


def test_a_failure_of_fresh_draws_is_still_shrunk_and_saved() -> None:
    database = InMemoryExampleDatabase()
    failed: list[int] = []

    def fails(value: int) -> None:
        if value >= 1000:
            failed.append(value)
            raise AssertionError(value)

    test = settings(
        database=database,
        max_examples=200,
        suppress_health_check=list(HealthCheck),
        **hypothesis_hooks.fresh_draws(),
    )(given(st.integers(0, 10**6))(fails))
    hypothesis_hooks.use_seed(test, 7)
    with pytest.raises(AssertionError) as raised:
        test()
    assert raised.value.args == (1000,)  # shrunk to the smallest failing value
    assert any(database.data.values())
