"""Source paths as people and tools want them: short, relative, and the same on every machine.

Findings carry absolute paths. A report is read in a checkout, a baseline is committed and
compared on another machine, and code-scanning tools want paths relative to the repository;
so each of those asks here for the right spelling. When a finding has no place of its
own, :func:`app_location` gives the line that defines the application.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path, PurePath

from .events import Location

__all__ = ["app_location", "portable_path", "relative_path"]


def _inside(path: PurePath, folder: PurePath) -> str | None:
    try:
        return path.relative_to(folder).as_posix()
    except ValueError:
        return None


def relative_path(file: str, base: str | None = None) -> str:
    """``file`` relative to ``base`` (the working directory) when inside it, else as given."""
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix()
    inside = _inside(path, Path(base if base is not None else os.getcwd()).resolve())
    return inside if inside is not None else file


def portable_path(file: str) -> str:
    """A spelling of ``file`` that does not depend on where the checkout or the venv lives.

    Relative to the working directory when inside it; otherwise relative to the deepest
    ``sys.path`` entry holding it (``werkzeug/wrappers/response.py``); otherwise as given.
    """
    path = Path(file)
    if not path.is_absolute():
        return path.as_posix()
    inside = _inside(path, Path.cwd().resolve())
    if inside is not None:
        return inside
    best: str | None = None
    for entry in sys.path:
        if not entry:
            continue
        candidate = _inside(path, Path(entry).resolve())
        if candidate is not None and (best is None or len(candidate) < len(best)):
            best = candidate
    return best if best is not None else file


def app_location(app: object) -> Location | None:
    """Where ``app`` is defined: its function, its class's ``__call__``, or its class."""
    import functools
    import inspect

    while isinstance(app, functools.partial):
        app = app.func
    candidates = [app]
    if not (inspect.isfunction(app) or inspect.ismethod(app) or inspect.isclass(app)):
        call = next((vars(k)["__call__"] for k in type(app).__mro__ if "__call__" in vars(k)), None)
        candidates = [call, type(app)]
    for candidate in candidates:
        try:
            code = inspect.unwrap(candidate)  # type: ignore[arg-type]
            file = inspect.getsourcefile(code)
            _, line = inspect.getsourcelines(code)
        except (TypeError, OSError, ValueError):
            continue
        if file is not None:
            name = getattr(code, "__qualname__", getattr(code, "__name__", "?"))
            return Location(file, max(line, 1), name)
    return None
