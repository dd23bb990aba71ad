"""What the ``wsgicheck`` command prints, kept as snapshots (tests/__snapshots__/), so that a
change of the text report, the rule list or the help is reviewed as a diff of those files.

Runs use a fixed seed, no example database and 10 examples, all from the fixed corpus (which
has 17), so no Hypothesis version changes them; they start from the repository's root with
relative targets (folding at 100 columns must not depend on where the checkout is). The run's
duration and the version are normalised. ``pytest --update-snapshots`` writes the files anew.

The probe's report is not kept: what it observes of a real server (whether two requests ran
at once, when a ``100 Continue`` came) depends on timing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import wsgicheck
from conftest import Snapshot
from wsgicheck.cli import main

ROOT = Path(__file__).resolve().parent.parent
RUN = ("--examples", "10", "--no-database", "--seed", "7")
GOOD = "fixtures/wsgiapp.py:app"
BROKEN = "fixtures/broken/app_status_format.py:app"  # APP-STATUS-FORMAT, MUST
#: The run's duration, in the text report's header line.
DURATION = re.compile(r" · \d+\.\d+s · ")
#: Variables that change what the command prints (annotations, colour, settings).
VARIABLES = ("GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR")

Command = Callable[..., str]


@pytest.fixture
def wsgicheck_cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Command:
    """``wsgicheck ARGS`` in-process from the repository's root: its exit status and output."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps its help to the terminal's width
    settings = [name for name in os.environ if name.startswith("WSGICHECK_")]
    for name in [*VARIABLES, *settings]:
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> str:
        try:
            status = main(list(args))
        except SystemExit as exc:  # argparse, after --help
            status = exc.code
        out, err = capsys.readouterr()
        text = f"$ wsgicheck {' '.join(args)}\nexit status {status}\n{out}"
        if err:
            text += f"--- stderr\n{err}"
        text = DURATION.sub(" · <duration> · ", text)
        return text.replace(wsgicheck.__version__, "<version>")

    return run


@pytest.mark.parametrize(("name", "target"), [("check-good", GOOD), ("check-broken", BROKEN)])
def test_check_text_report(
    name: str, target: str, wsgicheck_cli: Command, snapshot: Snapshot
) -> None:
    snapshot.assert_match(name, wsgicheck_cli("check", target, *RUN))


def test_rules(wsgicheck_cli: Command, snapshot: Snapshot) -> None:
    snapshot.assert_match("rules", wsgicheck_cli("rules"))


def test_explain(wsgicheck_cli: Command, snapshot: Snapshot) -> None:
    snapshot.assert_match(
        "explain-APP-STATUS-FORMAT", wsgicheck_cli("explain", "APP-STATUS-FORMAT")
    )


#: argparse lays out an option with a short form differently from Python 3.13 on
#: (``-o, --output FILE`` rather than ``--output FILE, -o FILE``).
OLD_ARGPARSE = pytest.mark.skipif(
    sys.version_info >= (3, 13), reason="the help snapshots are argparse's layout before 3.13"
)


@OLD_ARGPARSE
@pytest.mark.parametrize("command", ["", "check", "serve", "rules", "explain", "probe"])
def test_help(command: str, wsgicheck_cli: Command, snapshot: Snapshot) -> None:
    args = [command, "--help"] if command else ["--help"]
    snapshot.assert_match(f"help-{command or 'wsgicheck'}", wsgicheck_cli(*args))
