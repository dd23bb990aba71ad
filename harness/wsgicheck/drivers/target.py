"""TARGET → application: ``module:callable`` or ``path/to/file.py:callable``.

Every way a TARGET can be wrong (no such file or module, an error while importing the app,
no such attribute, not callable) becomes one :class:`~wsgicheck.model.errors.TargetError` whose
message fits on one line. A file path works from any directory and makes the file's folder
importable, so an app can import its siblings (the Django fixture imports its project).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, MethodType, ModuleType
from typing import Any

from ..core.invoke import WSGIApp
from ..model.errors import TargetError
from ..model.events import Location, is_library
from ..model.locations import is_own, module_names
from ..model.threads import OWN_THREADS
from ..model.untrusted import class_name, show

__all__ = ["app_location", "lingering_threads", "load_target", "source_root", "target_definition"]

#: Attribute names tried, in order, when TARGET names no callable (gunicorn's habit, then Flask's).
DEFAULT_NAMES = ("application", "app")


def load_target(spec: str) -> WSGIApp:
    """Import and return the WSGI application named by ``spec``."""
    if not spec or not spec.strip():
        raise TargetError("TARGET is empty; expected module:callable or path/file.py:callable")
    source, attribute = _split(spec)
    module = _import_file(source) if _is_path(source) else _import_module(source)
    app = _resolve(module, attribute, spec)
    if not callable(app):
        kind = type(app).__name__
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        raise TargetError(f"{spec!r} is {article} {kind}, not a callable WSGI application")
    return app  # type: ignore[no-any-return]


def source_root(spec: str) -> Path | None:
    """The folder the app named by ``spec`` comes from, found without importing it.

    For a lone file, its folder (which :func:`load_target` makes importable); for a module
    or a file in a package, its top-level package's folder, or the folder of a lone module.
    None when it cannot be found (:func:`load_target` then says why).
    """
    try:
        source, _ = _split(spec)
    except TargetError:
        return None
    if _is_path(source):
        path = _path_of(source)
        if not path.is_file():
            return None
        package = _package_of(path)
        # A file in a package comes from its top-level package, as the module would.
        return path.parent if package is None else package[0] / package[1].partition(".")[0]
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        found = importlib.util.find_spec(source.partition(".")[0])
    except (ImportError, ValueError):
        return None
    if found is None:
        return None
    if found.submodule_search_locations:
        return Path(next(iter(found.submodule_search_locations))).resolve()
    if found.origin and os.path.isfile(found.origin):
        return Path(found.origin).resolve().parent
    return None


def target_definition(spec: str) -> Location | None:
    """The line that binds the name TARGET gives (``app = Flask(...)``): in TARGET's module,
    or, where that module imports the name (``from .core import app``, ``from .core import
    *``), in the module it comes from. None when no line binds the name or no file is found.

    Where an app is an object of a library's class, this is the line that stands for it:
    a statement at module level, so its function is ``<module>``. Read from the modules'
    source, so any module already imported (or importable) works, without running it again.
    An import is followed only into a module already imported whose name holds the object
    TARGET's module holds (a branch not taken, a star import that does not export the name,
    a module never imported are passed over), and nothing is imported to follow it. From
    the user's code, it is never followed into a library's (``from trac.web.main import
    dispatch_request as app``): the import is the user's line.
    """
    try:
        source, attribute = _split(spec)
    except TargetError:
        return None
    if _is_path(source):
        path = _path_of(source)
        file = str(path) if path.is_file() else None
        module_name = _loaded_name(str(path))
    else:
        file, module_name = _module_file(source), source
    if file is None:
        return None
    parsed: dict[str, list[_Bound]] = {}
    namespace = _namespace(module_name)
    if attribute is None:
        bound = {name for _, names, _ in _statements(file, parsed) for name in names or ()}
        present = namespace or bound
        attribute = next((name for name in DEFAULT_NAMES if name in present), DEFAULT_NAMES[0])
    name = attribute.removesuffix("()").partition(".")[0]
    wanted = namespace.get(name, _UNKNOWN)
    return _binding(name, file, module_name, _Search(wanted, parsed))


#: The object a followed import must bring, when TARGET's module is not imported.
_UNKNOWN = object()
#: (file, name) pairs looked at, at most, following imports from TARGET's module.
_MAX_LOOKS = 64
#: A module-level statement, the names it binds (None: ``from ... import *``), and whether
#: it runs only on a condition.
_Bound = tuple[ast.stmt, tuple[str, ...] | None, bool]


@dataclass(slots=True)
class _Search:
    """One search for the line binding an app: the object it is, the files read, the
    (file, name) pairs looked at."""

    wanted: object
    parsed: dict[str, list[_Bound]]
    seen: set[tuple[str, str]] = field(default_factory=set)


def _binding(name: str, file: str, module_name: str | None, search: _Search) -> Location | None:
    """The line that binds ``name`` in ``file`` (module ``module_name``, when known): the
    last statement that does, where an import among them brings ``search.wanted``,
    followed into the module it comes from. A statement that runs on a condition and
    cannot be shown to have made the object (``if BEHIND_PROXY: app = ProxyFix(app)``)
    is passed over for an earlier one that shows it did (``app = Flask(...)``); with two
    or more that may have, none is named."""
    if (file, name) in search.seen or len(search.seen) >= _MAX_LOOKS:
        return None
    search.seen.add((file, name))
    maybe: list[ast.stmt] = []  # later statements that may have bound it, on a condition
    for statement, names, conditional in reversed(_statements(file, search.parsed)):
        if names is not None and name not in names:
            continue
        if isinstance(statement, ast.ImportFrom):
            original = name
            if names is not None:  # from X import name [as other]
                original = next(
                    (a.name for a in statement.names if (a.asname or a.name) == name), name
                )
            origin = _imported_from(statement, file, module_name)
            if origin is None or not _brings(
                origin[2], original, search.wanted, star=names is None
            ):
                continue  # a module not imported (a branch not taken), or not this object
            here = Location(file, statement.lineno, "<module>")
            if is_library(origin[0]) and not is_library(file):
                return here  # the user's line that brings a library's app, not the library's
            return _binding(original, origin[0], origin[1], search) or here
        if _made(statement, search.wanted):
            return Location(file, statement.lineno, "<module>")
        if conditional:
            maybe.append(statement)
            continue
        return None if maybe else Location(file, statement.lineno, "<module>")
    return Location(file, maybe[0].lineno, "<module>") if len(maybe) == 1 else None


def _made(statement: ast.stmt, wanted: object) -> bool:
    """Whether ``statement`` shows it made ``wanted``: a call of its class (``app =
    Flask(__name__)``), or the definition of the function or class it is."""
    if wanted is _UNKNOWN:
        return False
    if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if isinstance(wanted, FunctionType):
            return wanted.__code__.co_name == statement.name
        return isinstance(wanted, type) and class_name(wanted) == statement.name
    value = getattr(statement, "value", None)
    if not isinstance(value, ast.Call):
        return False
    called = value.func
    spelled = called.id if isinstance(called, ast.Name) else getattr(called, "attr", None)
    return spelled is not None and spelled == class_name(type(wanted)).rpartition(".")[2]


def _brings(namespace: dict[str, Any], name: str, wanted: object, *, star: bool) -> bool:
    """Whether an import of ``name`` from a module holding ``namespace`` brings ``wanted``
    (any object, when not known); by ``import *``, only a name the module exports: one its
    ``__all__`` lists (any sequence, as ``import *`` takes), else one with no ``_`` first."""
    if star:
        exported = namespace.get("__all__")
        if exported is None:
            if name.startswith("_"):
                return False
        else:
            try:
                if not any(type(each) is str and each == name for each in exported):
                    return False
            except Exception:  # an __all__ that cannot be read: not known to export it
                return False
    return name in namespace and (wanted is _UNKNOWN or namespace[name] is wanted)


def _statements(file: str, parsed: dict[str, list[_Bound]]) -> list[_Bound]:
    """The module-level statements of ``file`` that bind names, in source order, each with
    the names it binds (:func:`_bindings`), read once per search; none when it cannot be
    read or parsed."""
    if file not in parsed:
        try:
            parsed[file] = _bindings(ast.parse(Path(file).read_bytes()))
        except (Exception, MemoryError):  # unreadable, not Python, or too deep to parse
            parsed[file] = []
    return parsed[file]


def _imported_from(
    statement: ast.ImportFrom, file: str, module_name: str | None
) -> tuple[str, str, dict[str, Any]] | None:
    """The file, name and names of the module a ``from ... import`` in ``file`` reads,
    when that module is imported already (never importing it), or None."""
    wanted = statement.module or ""
    if statement.level:
        if module_name is None:
            return None
        package = (
            module_name if Path(file).name == "__init__.py" else module_name.rpartition(".")[0]
        )
        try:
            wanted = importlib.util.resolve_name("." * statement.level + wanted, package)
        except (ImportError, ValueError):
            return None
    namespace = _namespace(wanted)
    origin = namespace.get("__file__")
    if not isinstance(origin, str) or not os.path.isfile(origin):
        return None
    return origin, wanted, namespace


def _module_file(name: str) -> str | None:
    """The source file of module ``name``: the imported module's, else where an import of
    it would look (which imports its parent packages, as importing the app did)."""
    file = _namespace(name).get("__file__")
    if not isinstance(file, str):
        try:
            found = importlib.util.find_spec(name)
        except Exception:  # a parent package's import failed: no file to read
            found = None
        file = getattr(found, "origin", None)
    return file if isinstance(file, str) and os.path.isfile(file) else None


def _namespace(name: str | None) -> dict[str, Any]:
    """The names module ``name`` holds, when it is imported (and a module), else none."""
    return module_names(sys.modules.get(name or ""))


def _loaded_name(file: str) -> str | None:
    """The name ``file`` was imported under (a file TARGET's package's name for it)."""
    for name, module in list(sys.modules.items()):
        if module_names(module).get("__file__") == file:
            return name
    return None


def app_location(app: object, target: str | None = None) -> Location | None:
    """Where ``app`` is defined in the user's code, for findings with no place of their own.

    Through ``functools.partial``, decorators that keep ``__wrapped__`` (``functools.wraps``)
    and bound methods to the function; for another callable object, its class's ``__call__``,
    then its class. A library's definition (``Flask.__call__``) is no place to show a user:
    then the line of ``target``'s module that binds the app, or None.
    """
    for candidate in _definitions(app, depth=2):
        where = _defined_at(candidate)
        if where is not None and not is_library(where.file):
            return where
    if target is None:
        return None
    try:
        return target_definition(target)
    except Exception:  # a place is a courtesy: none rather than a run lost to finding it
        return None


def lingering_threads(imported: Sequence[threading.Thread] | None = None) -> tuple[str, ...]:
    """The names of the threads, but this one, the main one and wsgicheck's own, that keep a
    process that loaded the app from ending: an app's scheduler or pool (calibre-web's, in a
    trial of 2026-12-07). Those Python waits for at exit (not daemons); and, given the
    threads alive once the app was ``imported`` (held, so no id is reused), any started
    since, daemon or not: the app started them on wsgicheck's daemon threads, whose flag a
    thread inherits, where a replay that calls the app on its main thread makes them
    threads Python waits for (a review of 2026-12-07).

    A name is read by ``threading.Thread``'s own accessors and made a plain ``str``: it may
    be of the app's own ``str`` subclass, which must run no code here nor travel in a pickle
    to a process that would import the app to read it."""
    here = threading.current_thread()
    known = None if imported is None else {id(each) for each in imported}  # never hashed
    names = []
    for thread in threading.enumerate():
        if thread is here or thread is threading.main_thread():
            continue
        try:
            name = threading.Thread.name.fget(thread)  # type: ignore[attr-defined]
            daemon = threading.Thread.daemon.fget(thread)  # type: ignore[attr-defined]
        except Exception:  # a thread object of the app's that lacks what Thread sets
            name, daemon = "", False
        plain = str.__str__(name) if isinstance(name, str) else ""
        if plain.startswith(OWN_THREADS):
            continue
        if not daemon or (known is not None and id(thread) not in known):
            names.append(plain)
    return tuple(names)


#: Wrappers followed at most (a ``__getattr__`` that answers every name has no end).
_MAX_UNWRAP = 32


def _definitions(app: object, depth: int) -> list[object]:
    """What may define ``app``, best first."""
    for _ in range(_MAX_UNWRAP):
        if isinstance(app, functools.partial):
            app = app.func
        elif isinstance(app, (MethodType, staticmethod, classmethod)):
            app = app.__func__
        else:
            try:  # statically: an app's own __getattr__ is not run
                app = inspect.getattr_static(app, "__wrapped__")
            except AttributeError:
                break
    if isinstance(app, (FunctionType, type)) or depth == 0:
        return [app]
    kind = type(app)
    call = next((vars(k)["__call__"] for k in kind.__mro__ if "__call__" in vars(k)), None)
    return [*_definitions(call, depth - 1), kind]


def _defined_at(definition: object) -> Location | None:
    if isinstance(definition, FunctionType):
        code = definition.__code__
        return Location(code.co_filename, code.co_firstlineno, definition.__qualname__)
    if isinstance(definition, type):
        try:
            file = inspect.getsourcefile(definition)
        except TypeError:  # a built-in class
            return None
        if file is None or is_library(file):
            return None
        return Location(file, _class_line(definition), definition.__qualname__)
    return None


@functools.lru_cache(maxsize=64)
def _class_line(kind: type) -> int:
    """The line of a class statement (found by parsing its module, hence the cache)."""
    try:
        return max(inspect.getsourcelines(kind)[1], 1)
    except (OSError, TypeError):
        return 1


def _bindings(tree: ast.Module) -> list[_Bound]:
    """The statements at module level that bind names, in source order, also inside a
    ``with``, ``if``, ``try`` or loop there (``with Configurator() as config: app =
    config.make_wsgi_app()``), never inside a function or class or an ``if __name__ ==
    "__main__":`` block (which an import does not run); each with the names it binds,
    None for ``from ... import *``."""
    bound: list[_Bound] = []
    for statement, conditional in _module_level(tree.body):
        names: list[str] = []
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [statement.name]
        elif isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                names += _bound_names(target)
        elif isinstance(statement, ast.ImportFrom) and statement.names[0].name == "*":
            bound.append((statement, None, conditional))
        elif isinstance(statement, ast.Import | ast.ImportFrom):
            names = [(alias.asname or alias.name).partition(".")[0] for alias in statement.names]
        if names:
            bound.append((statement, tuple(names), conditional))
    return bound


def _bound_names(target: ast.expr) -> list[str]:
    """The names an assignment to ``target`` binds: ``app``, each name unpacked from a
    tuple or list; not ``app.config["X"]`` nor ``app.wsgi_app``, which change the object
    ``app`` names but bind nothing."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return _bound_names(target.value)
    if isinstance(target, ast.Tuple | ast.List):
        return [name for element in target.elts for name in _bound_names(element)]
    return []


def _module_level(
    statements: list[ast.stmt], conditional: bool = False
) -> Iterator[tuple[ast.stmt, bool]]:
    """Every statement that may run at module level when the module is imported, in
    source order, each with whether it runs only on a condition (in an ``if``, a loop, a
    ``try`` or its handlers; not in a ``with`` or a ``finally``)."""
    for statement in statements:
        yield statement, conditional
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(statement, ast.With | ast.AsyncWith):
            yield from _module_level(statement.body, conditional)
            continue
        main = _is_main_test(statement)
        for part in ("orelse",) if main else ("body", "orelse"):
            inner = getattr(statement, part, None)
            if isinstance(inner, list):
                yield from _module_level(inner, True)
        for handler in getattr(statement, "handlers", None) or []:
            yield from _module_level(handler.body, True)
        finalbody = getattr(statement, "finalbody", None)
        if isinstance(finalbody, list):
            yield from _module_level(finalbody, conditional)


def _is_main_test(statement: ast.stmt) -> bool:
    """Whether ``statement`` is ``if __name__ == "__main__":`` (either way round)."""
    if not isinstance(statement, ast.If) or not isinstance(statement.test, ast.Compare):
        return False
    test = statement.test
    if len(test.ops) != 1 or not isinstance(test.ops[0], ast.Eq):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(e, ast.Name) and e.id == "__name__" for e in sides) and any(
        isinstance(e, ast.Constant) and e.value == "__main__" for e in sides
    )


def _split(spec: str) -> tuple[str, str | None]:
    source, sep, attribute = spec.rpartition(":")
    if not sep or (len(source) == 1 and source.isalpha()):  # no ":" or a Windows drive only
        return spec, None
    if not attribute:
        raise TargetError(f"TARGET {spec!r} ends with ':' but names no callable")
    if source.endswith(":"):  # pytest's node ids use "::"
        raise TargetError(
            f"TARGET {spec!r} has '::'; one ':' comes between the module and the callable"
        )
    if not source:
        raise TargetError(
            f"TARGET {spec!r} names no module before ':'; expected module:callable or "
            "path/file.py:callable"
        )
    return source, attribute


#: Each file TARGET named that was imported, by how TARGET named it: its absolute path then.
_IMPORTED: dict[str, Path] = {}


def _path_of(source: str) -> Path:
    """The absolute path of TARGET's file ``source``: the one imported under that name when
    the working directory has moved since (an app that changes directory at import, Moin's
    ``create_app`` or a ``chdir`` in the module), unless the path read from here now is an
    imported module too; else read from here."""
    here = Path(source).expanduser().resolve()
    imported = _IMPORTED.get(source)
    if imported is None or imported == here or _loaded_name(str(here)) is not None:
        return here
    return imported


def _is_path(source: str) -> bool:
    return source.endswith(".py") or os.sep in source or "/" in source


def _import_file(source: str) -> ModuleType:
    path = Path(source).expanduser().resolve()  # from here: another folder's file may be new
    if path.is_dir():
        raise TargetError(f"{source!r} is a directory; name a .py file or a module")
    if not path.is_file():
        raise TargetError(f"cannot find file {source!r} (from {Path.cwd()})")
    _IMPORTED[source] = path  # before its code runs, which may change directory
    package = _package_of(path)
    if package is not None:
        return _import_from_package(source, path, *package)
    name = _module_name(path)
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, "__file__", None) == str(path):
        return existing
    folder = str(path.parent)
    if folder not in sys.path:
        # Last, so a file beside the app (html.py, json.py...) never stands in for a module
        # of the standard library or of an installed package, wsgicheck's own included.
        sys.path.append(folder)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for non-.py paths
        raise TargetError(f"cannot import {source!r} as Python source")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _warnings_shown():
            spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        raise TargetError(f"importing {source!r} failed: {_one_line(exc)}") from exc
    return module


def _package_of(path: Path) -> tuple[Path, str] | None:
    """For a file inside a package (its folder has an ``__init__.py``): the folder above the
    top-level package and the file's dotted module name, so that its relative and absolute
    imports of the package work (a Django project's ``mysite/wsgi.py`` is ``mysite.wsgi``,
    ``pkg/__init__.py`` is ``pkg``).

    None for a file that is not in a package, and for one whose top-level name already
    leads elsewhere (the standard library's ``test``, an installed package): such a file
    is imported alone, as one outside a package is.
    """
    names = [] if path.name == "__init__.py" else [path.stem]
    folder = path.parent
    while (
        (folder / "__init__.py").is_file()
        and folder.name.isidentifier()
        and folder != folder.parent
    ):
        names.insert(0, folder.name)
        folder = folder.parent
    if folder == path.parent or not all(name.isidentifier() for name in names):
        return None
    try:
        found = importlib.util.find_spec(names[0])
    except (ImportError, ValueError):
        found = None
    if found is not None and _portion(found) and names[0] not in sys.modules:
        # A folder of that name without __init__.py on the path (Django's outer project
        # folder, from the folder above it): a package found anywhere on the path wins.
        found = None
    if found is not None:
        places = {Path(place).resolve() for place in found.submodule_search_locations or ()}
        if (folder / names[0]).resolve() not in places:
            return None
    return folder, ".".join(names)


def _portion(found: importlib.machinery.ModuleSpec) -> bool:
    """Whether ``found`` is a namespace package: folders without an ``__init__.py``, which
    a regular package of the same name anywhere on the path is imported before."""
    return found.origin is None and found.submodule_search_locations is not None


def _import_from_package(source: str, path: Path, root: Path, name: str) -> ModuleType:
    """Import ``path`` as module ``name`` of its package, ``root`` and then the file's own
    folder made importable (last, as for a lone file, whose siblings it may import too);
    refused when that name imports another file."""
    for folder in (str(root), str(path.parent)):
        if folder not in sys.path:
            sys.path.append(folder)
    try:
        with _warnings_shown():
            module = importlib.import_module(name)
    except BaseException as exc:
        raise TargetError(f"importing {source!r} (as {name!r}) failed: {_one_line(exc)}") from exc
    imported = getattr(module, "__file__", None)
    if imported is None or Path(imported).resolve() != path:
        raise TargetError(
            f"{source!r} is module {name!r} of its package, but {name!r} imports "
            f"{imported or 'a module with no file'}: name the module instead, from the folder "
            "above the package (cd there first)"
        )
    return module


def _module_name(path: Path) -> str:
    """The name to import ``path`` under: its stem, unless that names another module.

    ``/tmp/x/json.py`` must not replace the standard library's ``json`` for the rest of
    the process, nor two ``app.py`` files in different folders replace each other.
    """
    stem = path.stem
    if stem.isidentifier():
        existing = sys.modules.get(stem)
        if existing is None:
            try:
                found = importlib.util.find_spec(stem)
            except (ImportError, ValueError):
                found = None
            origin = getattr(found, "origin", None)
            if found is None or (origin is not None and Path(origin).resolve() == path):
                return stem
        elif getattr(existing, "__file__", None) == str(path):
            return stem
    return "_wsgicheck_target_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]


def _import_module(name: str) -> ModuleType:
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        with _warnings_shown():
            return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (name == exc.name or name.startswith(exc.name + ".")):
            raise TargetError(f"no module named {name!r} (from {Path.cwd()})") from exc
        raise TargetError(f"importing {name!r} failed: {_one_line(exc)}") from exc
    except BaseException as exc:
        raise TargetError(f"importing {name!r} failed: {_one_line(exc)}") from exc


def _resolve(module: ModuleType, attribute: str | None, spec: str) -> Any:
    if attribute is None:
        for candidate in DEFAULT_NAMES:
            if hasattr(module, candidate):
                return getattr(module, candidate)
        raise TargetError(
            f"{spec!r} names no callable and the module has no "
            f"{' or '.join(DEFAULT_NAMES)}; use {spec}:NAME"
        )
    factory = attribute.endswith("()")
    obj: Any = module
    path = attribute[:-2] if factory else attribute
    for part in path.split("."):
        if not part.isidentifier():
            raise TargetError(f"{attribute!r} in TARGET {spec!r} is not a Python name")
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise TargetError(f"module {module.__name__!r} has no attribute {path!r}") from None
    if factory:
        try:
            obj = obj()
        except BaseException as exc:
            hint = ""
            if isinstance(exc, TypeError) and exc.__traceback__ and not exc.__traceback__.tb_next:
                # It refused the call itself: most often a WSGI callable, not a factory.
                hint = (
                    f"; a factory is called with no arguments (if {path} is the WSGI app "
                    "itself, name it without the ())"
                )
            raise TargetError(f"calling {path}() failed: {_one_line(exc)}{hint}") from exc
    return obj


@contextlib.contextmanager
def _warnings_shown() -> Iterator[None]:
    """Import the app with warnings shown, not raised.

    A deprecation warning from the app's dependencies (pkg_resources, cgi...) is not a
    reason to refuse the TARGET, even where warnings are errors (``-W error``, pytest's
    ``filterwarnings = error``): it is printed once instead.
    """
    with warnings.catch_warnings():
        # The filters stay as they are (an ignored warning stays ignored), except that an
        # "error" becomes "default": shown, not raised.
        filters: list[Any] = warnings.filters  # type: ignore[assignment]
        filters[:] = [
            ("default", *entry[1:]) if entry[0] == "error" else entry for entry in filters
        ]
        warnings._filters_mutated()  # type: ignore[attr-defined]  # as simplefilter() does
        yield


#: Characters of an exception's message a TARGET error quotes at most.
MESSAGE_LIMIT = 300


def _one_line(exc: BaseException) -> str:
    """``Type: message (file:line)``, with the innermost frame of the traceback outside
    wsgicheck (a factory called with arguments it lacks fails in wsgicheck's call of it:
    no place then)."""
    text = f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__
    # Cut: a message of 9,000 characters made a usage error of one line that long (the
    # review of 2026-12-06).
    text = show(text, limit=MESSAGE_LIMIT)
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{text} ({exc.filename}:{exc.lineno})"
    frames = [each for each in traceback.extract_tb(exc.__traceback__) if not is_own(each.filename)]
    if frames:
        last = frames[-1]
        text += f" ({last.filename}:{last.lineno})"
    return text
