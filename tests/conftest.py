"""Shared helpers for the test suite."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


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
