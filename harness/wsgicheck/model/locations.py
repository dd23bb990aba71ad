"""Places in source: where the app did something (:class:`Location`, taken from the caller's
frame), whose code that is, and its path as people and tools want it: short, relative, and
the same on every machine.

Findings carry absolute paths. A report is read in a checkout, a baseline is committed and
compared on another machine, and code-scanning tools want paths relative to the repository
(:func:`repository_root`); so each of those asks here for the right spelling. A place in
someone else's code (Flask, the standard library, wsgicheck) is no place to show a user
(:func:`is_library`): when a finding has no place of the user's own,
:func:`wsgicheck.target.app_location` gives the line that defines the application.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import sysconfig
from functools import cache, lru_cache
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any, NamedTuple

__all__ = [
    "Location",
    "caller_location",
    "is_library",
    "is_own",
    "is_standard",
    "module_names",
    "portable_path",
    "relative_path",
    "repository_root",
    "user_location",
]


class Location(NamedTuple):
    """Where in the application's source something happened."""

    file: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def called(self) -> str:
        """The code's name as a report gives it: ``app()`` for a function, and, as a
        traceback does, ``<module>`` for a module's own statements (the line binding an app)."""
        return self.function if self.function.startswith("<") else self.function + "()"


#: wsgicheck's own folder (``harness/wsgicheck/``), with a trailing separator.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


#: A module's own namespace, read past its class: a lazily loaded module
#: (``importlib.util.LazyLoader``) runs on any attribute read, ``__dict__`` among them.
_MODULE_DICT: Any = vars(ModuleType)["__dict__"]


def module_names(module: object) -> dict[str, Any]:
    """The names ``module`` holds when it is a module, read without running any of its
    code (a lazy module not yet run holds none of its own); else none. Its type decides,
    not ``isinstance``, which asks a proxy standing in ``sys.modules`` for its
    ``__class__`` (a deprecation proxy says it is a module)."""
    if not issubclass(type(module), ModuleType):
        return {}
    names = _MODULE_DICT.__get__(module)
    return names if type(names) is dict else {}


def is_own(file: str) -> bool:
    """Whether ``file`` is wsgicheck's own code (its file wrapper, say), never the user's."""
    return file.startswith(PACKAGE_DIR)


def caller_location(depth: int) -> Location:
    """The source location ``depth`` frames above the function calling this one."""
    frame = sys._getframe(depth + 1)
    code = frame.f_code
    return Location(code.co_filename, frame.f_lineno, code.co_name)


@cache
def _library_folders() -> tuple[str, ...]:
    """Where the standard library, installed packages, their scripts and wsgicheck live,
    each spelled as given and with links resolved. The scripts folder too: a console
    script (``wsgicheck`` itself) puts it first on ``sys.path``, and a package that installs
    a module there as a script (Bottle's ``bottle.py``) is imported from it."""
    paths = sysconfig.get_paths()
    keys = ("stdlib", "platstdlib", "purelib", "platlib", "scripts")
    folders = [paths[key] for key in keys if key in paths]
    folders += [*site.getsitepackages(), site.getusersitepackages()]
    folders.append(PACKAGE_DIR)  # wsgicheck's own code
    spelled = {os.path.abspath(each) for each in folders} | {os.path.realpath(f) for f in folders}
    return tuple(sorted(each.rstrip(os.sep) + os.sep for each in spelled))


_LIBRARY_PARTS = frozenset({"site-packages", "dist-packages"})


@lru_cache(maxsize=4096)  # file names are the app's to choose: the cache stays bounded
def is_library(file: str) -> bool:
    """Whether ``file`` is code the user did not write: an installed package (also in a
    virtual environment inside the repository), the standard library, wsgicheck itself, or
    no file at all (``<frozen ...>``, ``<string>``)."""
    if not file or file.startswith("<"):
        return True
    path = os.path.abspath(file)
    if _LIBRARY_PARTS.intersection(PurePath(path).parts):
        return True
    return path.startswith(_library_folders())


@cache
def _standard_folders() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The standard library's folders, and the installed packages' (which may be inside
    them: ``lib/python3.X/site-packages``), each spelled as given and with links resolved."""
    paths = sysconfig.get_paths()
    standard = [paths[key] for key in ("stdlib", "platstdlib") if key in paths]
    packages = [paths[key] for key in ("purelib", "platlib") if key in paths]
    packages += [*site.getsitepackages(), site.getusersitepackages()]

    def spelled(folders: list[str]) -> tuple[str, ...]:
        every = {os.path.abspath(each) for each in folders} | {os.path.realpath(f) for f in folders}
        return tuple(sorted(each.rstrip(os.sep) + os.sep for each in every))

    return spelled(standard), spelled(packages)


@lru_cache(maxsize=4096)
def is_standard(file: str) -> bool:
    """Whether ``file`` is the standard library's (or no file: ``<frozen ...>``), not an
    installed package's: where an exception was raised for an app, not where the app is."""
    if not file or file.startswith("<"):
        return True
    path = os.path.abspath(file)
    standard, packages = _standard_folders()
    if _LIBRARY_PARTS.intersection(PurePath(path).parts) or path.startswith(packages):
        return False
    return path.startswith(standard)


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


def user_location(where: Location | None, fallback: Location | None) -> Location | None:
    """``where`` when it is in the user's code, else ``fallback`` (the app's definition)."""
    if where is not None and not is_library(where.file):
        return where
    return fallback


def repository_root(explicit: str | None = None) -> Path:
    """The folder report paths are relative to: ``explicit`` (``--source-root``), else the
    top level of the git checkout holding the working directory, else that directory."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return Path(done.stdout.strip()).resolve()
    return Path.cwd().resolve()
