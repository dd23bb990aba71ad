"""What a command imports before it needs it: each ``wsgicheck`` command and each ``check``
worker starts a fresh interpreter, so an import nobody uses is paid on every run.

Each check runs in a fresh interpreter and looks at ``sys.modules``.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import wsgicheck
from wsgicheck import report
from wsgicheck.explore.runner import PYTEST_MODULES, load_own_modules

ROOT = Path(__file__).resolve().parent.parent
#: Heavy packages, and wsgicheck modules that pull them in or that only one command needs.
HEAVY = (
    "hypothesis",
    "pytest",
    "_pytest",
    "h11",
    "wsgicheck.explore.runner",
    "wsgicheck.rules",
    "wsgicheck.plugin",
    "wsgicheck.probe.result",
    "wsgicheck.probe.app",
    "wsgicheck.probe.prober",
)


def loaded_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=ROOT,
    )
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def heavy(modules: list[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY}


def test_the_command_line_module_is_light() -> None:
    modules = loaded_after("import wsgicheck.cli")
    assert heavy(modules) == set()
    assert "wsgicheck.probe.command" not in modules


def test_the_probe_subcommand_parser_is_light() -> None:
    # Every command's parser has the probe subcommand: building it loads nothing heavy.
    code = (
        "import argparse\n"
        "from wsgicheck.probe.command import add_parser\n"
        "add_parser(argparse.ArgumentParser().add_subparsers())"
    )
    assert heavy(loaded_after(code)) == set()


def test_the_report_formats_are_named_without_the_runner() -> None:
    modules = loaded_after("from wsgicheck.report import names\nassert 'json' in names()")
    assert heavy(modules) == set()


#: The engine: what makes a run, and the transports it sends requests through.
ENGINE = (
    "hypothesis",
    "h11",
    "wsgicheck.explore.runner",
    "wsgicheck.explore.supervisor",
    "wsgicheck.strategies",
    "wsgicheck.drivers.client",
    "wsgicheck.drivers.server",
    "wsgicheck.drivers.connection",
    "wsgicheck.drivers.poller",
    "wsgicheck.drivers.wire",
)
#: Modules that read a run's result and nothing of the run: the report package and each
#: of its modules (a new format is found here by itself), the baseline that compares
#: results, and the result model itself.
READERS = sorted(
    [
        "wsgicheck.report",
        *(info.name for info in pkgutil.iter_modules(report.__path__, "wsgicheck.report.")),
        "wsgicheck.results.baseline",
        "wsgicheck.results.run",
        "wsgicheck.model.options",
    ]
)


@pytest.mark.parametrize("name", READERS)
def test_a_result_is_read_without_the_engine(name: str) -> None:
    modules = loaded_after(f"import {name}")
    assert name in modules
    assert {each for each in modules if each.split(".")[0] in ENGINE or each in ENGINE} == set()


def test_the_probe_package_still_gives_its_results() -> None:
    modules = loaded_after(
        "from wsgicheck.probe import ProbeOptions, ProbeResult\n"
        "assert ProbeOptions.__module__ == ProbeResult.__module__ == 'wsgicheck.probe.result'"
    )
    assert "wsgicheck.probe.result" in modules


def own_modules() -> set[str]:
    return {
        info.name
        for info in pkgutil.walk_packages(wsgicheck.__path__, "wsgicheck.", lambda _: None)
        if not info.name.endswith("__main__")
    }


def test_a_worker_outside_pytest_loads_every_module_but_the_pytest_side() -> None:
    """``check``'s workers load all of wsgicheck before the app (see ``load_own_modules``),
    but not pytest: only the plugin and the suite import it, and no run imports them."""
    modules = loaded_after(
        "from wsgicheck.explore.runner import load_own_modules\nload_own_modules()"
    )
    assert {"pytest", "_pytest"} & {name.split(".")[0] for name in modules} == set()
    assert own_modules() - set(modules) == PYTEST_MODULES


def test_under_pytest_every_module_is_loaded() -> None:
    assert "pytest" in sys.modules
    load_own_modules()
    assert own_modules() - set(sys.modules) == set()


@pytest.mark.parametrize("name", sorted(PYTEST_MODULES))
def test_the_pytest_side_imports_pytest(name: str) -> None:
    # The reason they are left out: were one not to need pytest, it should be loaded too.
    assert "pytest" in loaded_after(f"import {name}")
