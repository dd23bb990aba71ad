"""Paths for reports and baselines, and where an application is defined."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import pytest

from wsgicheck.locations import app_location, portable_path, relative_path


def test_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert relative_path(str(tmp_path / "a" / "b.py")) == "a/b.py"
    assert relative_path("/elsewhere/c.py") == "/elsewhere/c.py"
    assert relative_path("already/relative.py") == "already/relative.py"
    assert relative_path(str(tmp_path / "a" / "b.py"), base=str(tmp_path / "a")) == "b.py"


def test_portable_path_uses_the_working_directory_then_sys_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "venv" / "site-packages"
    monkeypatch.setattr(sys, "path", ["", str(tmp_path / "venv"), str(site)])
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert portable_path(str(work / "app" / "views.py")) == "app/views.py"
    # Installed code: relative to the deepest sys.path entry holding it.
    assert portable_path(str(site / "flask" / "app.py")) == "flask/app.py"
    assert portable_path("/nowhere/x.py") == "/nowhere/x.py"
    assert portable_path("rel/x.py") == "rel/x.py"


def function_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    return []


class ClassApp:
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []


def test_app_location_of_functions_instances_and_partials() -> None:
    here = __file__
    where = app_location(function_app)
    assert where is not None
    assert (where.file, where.line, where.function) == (
        here,
        function_app.__code__.co_firstlineno,
        "function_app",
    )
    where = app_location(ClassApp())
    assert where is not None
    assert where.function == "ClassApp.__call__"
    assert where.line == ClassApp.__call__.__code__.co_firstlineno
    partial = functools.partial(function_app)
    assert app_location(partial) == app_location(function_app)
    assert app_location(len) is None  # built in: no source
