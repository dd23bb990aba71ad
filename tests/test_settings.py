"""One table of settings: the command line, ``WSGICHECK_*``, ``[tool.wsgicheck]`` and the
pytest plugin's ini keys, with precedence command line > environment > file > default.

The command line through the console script in a subprocess (what a CI job runs); the
plugin through pytester.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from test_cli import BROKEN, CLEAN, cli, one_line_error
from wsgicheck import settings
from wsgicheck.probe import channel
from wsgicheck.settings import SETTINGS, Items, SettingError, Sources

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
ONE_RULE = 'select = ["APP-STATUS-FORMAT"]\ndatabase = "off"\nexamples = 3\n'


def _project(folder: Path, table: str) -> Path:
    (folder / "pyproject.toml").write_text(
        "[project]\nname = 'mine'\n\n[tool.wsgicheck]\n" + textwrap.dedent(table)
    )
    return folder


def _report(folder: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = cli(folder, "check", *args, "--format", "json", env=env)
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _error(folder: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = cli(folder, "check", *args, env=env)
    assert done.returncode == 2, done.stdout
    assert done.stdout == ""
    one_line_error(done.stderr)
    return done.stderr


# -- precedence -----------------------------------------------------------------------------------


def test_command_line_beats_environment_beats_file_beats_default(tmp_path: Path) -> None:
    project = _project(tmp_path, f'seed = 5\nprofile = "quick"\n{ONE_RULE}')
    first = _report(project, CLEAN)
    assert (first["seed"], first["profile"], first["examples"]) == (5, "quick", 3)
    env = {"WSGICHECK_SEED": "6", "WSGICHECK_EXAMPLES": "4"}
    second = _report(project, CLEAN, env=env)
    assert (second["seed"], second["profile"], second["examples"]) == (6, "quick", 4)
    third = _report(project, CLEAN, "--seed", "7", "--profile", "thorough", env=env)
    assert (third["seed"], third["profile"], third["examples"]) == (7, "thorough", 4)
    assert [entry["rule"] for entry in third["results"]] == ["APP-STATUS-FORMAT"]
    # Without any: the defaults (a fresh seed, the default profile and its examples).
    plain = _report(tmp_path.parent, CLEAN, "--select", "APP-STATUS-FORMAT", "--no-database")
    assert (plain["profile"], plain["examples"]) == ("default", 200)


def test_the_file_is_found_upward_and_its_paths_are_relative_to_it(tmp_path: Path) -> None:
    """From a subfolder: the TARGET and the database come from the project's file."""
    _project(
        tmp_path, f'app = "{BROKEN}"\ndatabase = "db"\nexamples = 9\nseed = 1\ncorpus = false\n'
    )
    below = tmp_path / "src" / "deeper"
    below.mkdir(parents=True)
    report = _report(below)
    assert report["target"] == BROKEN
    assert report["failed"] is True
    assert (tmp_path / "db").is_dir()
    assert not (below / "db").exists()


def test_a_flag_in_the_file_is_turned_off_on_the_command_line(tmp_path: Path) -> None:
    project = _project(tmp_path, f"strict = true\n{ONE_RULE}")
    assert _report(project, CLEAN)["strict"] is True
    assert _report(project, CLEAN, "--no-strict")["strict"] is False
    assert _report(project, CLEAN, env={"WSGICHECK_STRICT": "no"})["strict"] is False


# -- errors ---------------------------------------------------------------------------------------


def test_an_unknown_key_in_the_file_is_one_line_with_the_nearest(tmp_path: Path) -> None:
    project = _project(tmp_path, "exmaples = 3\n")
    err = _error(project, CLEAN)
    assert "pyproject.toml [tool.wsgicheck]: unknown key 'exmaples'" in err
    assert "did you mean examples?" in err


def test_an_unknown_variable_is_one_line_with_the_nearest(tmp_path: Path) -> None:
    err = _error(tmp_path, CLEAN, env={"WSGICHECK_EXAMPLE": "3"})
    assert "unknown environment variable WSGICHECK_EXAMPLE; did you mean WSGICHECK_EXAMPLES?" in err


BAD_VALUES = {
    "file, a number": (
        "examples = 0\n",
        {},
        "pyproject.toml [tool.wsgicheck] examples: at least 1, not 0",
    ),
    "file, a type": ("strict = 3\n", {}, "pyproject.toml [tool.wsgicheck] strict: true or false"),
    "file, a rule": (
        'ignore = ["NOPE-*"]\n',
        {},
        "pyproject.toml [tool.wsgicheck] ignore: no rule matches 'NOPE-*'",
    ),
    "file, a path": ('path = ["x"]\n', {}, "[tool.wsgicheck] path: paths start with '/'"),
    "environment, a choice": (
        "",
        {"WSGICHECK_PROFILE": "huge"},
        "WSGICHECK_PROFILE: one of quick, default, thorough, not 'huge'",
    ),
    "environment, seconds": (
        "",
        {"WSGICHECK_TIMEOUT": "-1"},
        "WSGICHECK_TIMEOUT: a number of seconds above 0",
    ),
    "environment, a format": ("", {"WSGICHECK_REPORT": "json,yaml"}, "WSGICHECK_REPORT: one of"),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_a_bad_value_names_its_source(tmp_path: Path, case: str) -> None:
    table, env, expected = BAD_VALUES[case]
    project = _project(tmp_path, table)
    assert expected in _error(project, CLEAN, env=env)


def test_a_file_that_is_not_toml_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.wsgicheck\n")
    assert "pyproject.toml: not valid TOML" in _error(tmp_path, CLEAN)
    # Arrays nested past what the parser goes: a RecursionError's traceback, exit 1.
    deep = "[" * 5000 + "]" * 5000
    (tmp_path / "pyproject.toml").write_text(f"[tool.wsgicheck]\nexamples = {deep}\n")
    assert "pyproject.toml: nested too deep to read" in _error(tmp_path, CLEAN)


def test_no_target_anywhere_is_one_line(tmp_path: Path) -> None:
    assert "give a TARGET" in _error(tmp_path)


def test_a_target_that_does_not_load_names_where_it_was_given(tmp_path: Path) -> None:
    """A README trial of 2026-12-07: "no module named 'nothere'" from a variable or the
    file, with no TARGET on the command line to look at."""
    said = "no module named 'wc_nothere'"
    assert _error(tmp_path, "wc_nothere:app").startswith(f"wsgicheck: error: {said}")
    by_variable = _error(tmp_path, env={"WSGICHECK_APP": "wc_nothere:app"})
    assert by_variable.startswith(f"wsgicheck: error: WSGICHECK_APP (wc_nothere:app): {said}")
    _project(tmp_path, 'app = "wc_nothere:app"\n')
    (tmp_path / "sub").mkdir()
    in_file = _error(tmp_path / "sub")
    assert in_file.startswith(
        f"wsgicheck: error: ../pyproject.toml [tool.wsgicheck] app (wc_nothere:app): {said}"
    )


# -- the table ------------------------------------------------------------------------------------


def test_each_setting_has_one_name_everywhere() -> None:
    names = [each.name for each in SETTINGS]
    assert len(set(names)) == len(names)
    for each in SETTINGS:
        assert re.fullmatch(r"[a-z][a-z_]*", each.name), each.name
        assert each.env == "WSGICHECK_" + each.name.upper()
        assert each.ini == "wsgi_" + each.name
        assert not each.flags or each.flags[0] == "--" + each.name.replace("_", "-")
        # The default passes the setting's own parser (a list as a TOML array).
        if each.default is not None:
            assert each.parse(each.default if not isinstance(each.default, tuple) else [], "d") == (
                each.default if not isinstance(each.default, tuple) else ()
            )


def test_the_readmes_plugin_table_lists_every_plugin_option() -> None:
    """A trial of 2026-12-07 found ``--wsgi-read-only`` in ``pytest --help`` and not in
    the README's table of the plugin's options."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("Options, one `--wsgi-*` group", 1)[1].split("\n\n", 2)[1]
    listed = set(re.findall(r"`(--wsgi-[a-z-]+)", table))
    flags = {each.plugin_flag for each in SETTINGS if each.plugin} - {"--wsgi-suite"}
    assert listed == flags | {"--wsgi-no-suite"}


def test_the_probe_channel_variable_is_not_an_unknown_setting() -> None:
    assert channel.ENV_VAR in settings.INTERNAL_VARIABLES
    Sources(cwd=ROOT, environ={channel.ENV_VAR: "/tmp/x"})  # no error


def test_lists_split_at_commas_or_white_space() -> None:
    ids = Items(str.upper)
    assert ids("app-sr-*, APP-AVOID-WRITE  ENV-X") == ("APP-SR-*", "APP-AVOID-WRITE", "ENV-X")
    assert ids(["a", " b "]) == ("A", "B")
    paths = Items(sep=None)
    assert paths("/a,b /c") == ("/a,b", "/c")
    with pytest.raises(ValueError, match="a list"):
        ids(3)


def test_the_readme_lists_every_setting() -> None:
    """The README's table of settings is the table's (regenerate: ``settings.markdown()``)."""
    readme = (ROOT / "README.md").read_text()
    assert settings.markdown() in readme


def test_setting_error_is_a_usage_error() -> None:
    from wsgicheck.model.errors import UsageError

    assert issubclass(SettingError, UsageError)


# -- the pytest plugin ----------------------------------------------------------------------------


def _collect(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "--co", *args)


def test_the_plugin_reads_the_file_under_its_ini_keys(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyprojecttoml(
        f"""
        [tool.wsgicheck]
        app = "{CLEAN}"
        profile = "quick"
        seed = 7
        transport = "memory"
        database = "db"
        """
    )
    result = _collect(pytester)
    result.stdout.fnmatch_lines(
        [f"wsgicheck: app {CLEAN}, profile quick, seed 7, transport memory, database "
         f"{pytester.path / 'db'}"]
    )  # fmt: skip
    monkeypatch.setenv("WSGICHECK_SEED", "8")
    result = _collect(pytester, "--wsgi-transport=both")
    result.stdout.fnmatch_lines([f"wsgicheck: app {CLEAN}, profile quick, seed 8, transport both*"])


def test_the_plugin_ini_key_beats_the_file(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        f"""
        [tool.pytest.ini_options]
        wsgi_seed = "9"

        [tool.wsgicheck]
        app = "{CLEAN}"
        seed = 7
        suite = false
        """
    )
    result = _collect(pytester)
    result.stdout.fnmatch_lines([f"wsgicheck: app {CLEAN} (suite off)"])
    pytester.makepyprojecttoml(
        f'[tool.pytest.ini_options]\nwsgi_seed = "9"\n[tool.wsgicheck]\napp = "{CLEAN}"\nseed = 7\n'
    )
    _collect(pytester).stdout.fnmatch_lines([f"wsgicheck: app {CLEAN}, profile default, seed 9, *"])


def test_the_plugin_rejects_an_unknown_key_in_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.wsgicheck]\nprofil = "quick"\n')
    result = _collect(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: pyproject.toml [tool.wsgicheck]: unknown key 'profil'; did you mean profile?"]
    )
