"""Shared helpers for the test suite."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsgicheck.explore import hypothesis_hooks

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


@pytest.fixture(autouse=True)
def _no_constants_from_other_tests() -> Iterator[None]:
    """After each test, Hypothesis reads no constants from the modules it loaded.

    Hypothesis mixes constants from the source of every local module loaded so far into
    what it draws, and a run (``run``, or ``supervise``, whose worker is forked from this
    process) draws in the process the tests share: a package a test wrote and imported
    (``tests/test_locations``) made a later test's seed draw other requests, so which
    tests ran before it in its xdist worker changed its findings. The app a run loads is
    read as in any run.
    """
    yield
    hypothesis_hooks.ignore_constants_of(list(sys.modules.values()))


@pytest.fixture
def fixtures_dir() -> Path:
    """The folder of example apps."""
    return FIXTURES


# -- snapshots ------------------------------------------------------------------------------------
# Text the CLI prints is kept in tests/__snapshots__/<test module>/<name>.txt, so a change of
# layout is reviewed as a diff of those files. `pytest --update-snapshots` writes them anew.
# (Not syrupy's --snapshot-update: a plain text file per snapshot reads best in a review, and
# the name does not clash with syrupy's where it is installed.)

SNAPSHOTS = ROOT / "tests" / "__snapshots__"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-snapshots",
        action="store_true",
        default=False,
        help="write the snapshot files of tests/__snapshots__ from this run's output",
    )


class Snapshot:
    """Compares text with a snapshot file, or writes it when updating."""

    def __init__(self, folder: Path, update: bool) -> None:
        self.folder = folder
        self.update = update

    def assert_match(self, name: str, text: str) -> None:
        path = self.folder / f"{name}.txt"
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        where = path.relative_to(ROOT)
        assert path.is_file(), f"no snapshot {where}: run pytest --update-snapshots, review it"
        expected = path.read_text(encoding="utf-8")
        diff = difflib.unified_diff(
            expected.splitlines(keepends=True),
            text.splitlines(keepends=True),
            str(where),
            "this run",
        )
        assert text == expected, "".join(diff)


@pytest.fixture
def snapshot(request: pytest.FixtureRequest) -> Snapshot:
    """The snapshots of the requesting test's module."""
    module = request.node.path.stem
    return Snapshot(SNAPSHOTS / module, bool(request.config.getoption("update_snapshots")))
