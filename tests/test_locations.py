"""Paths for reports and baselines, and where an application is defined."""

from __future__ import annotations

import functools
import importlib
import os
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wsgicheck import Client, Framing, Request, ServerConfig
from wsgicheck.model.events import Location, StartResponseCalled, is_library
from wsgicheck.model.locations import (
    is_standard,
    module_names,
    portable_path,
    relative_path,
    repository_root,
    user_location,
)
from wsgicheck.rules import Exchange, check_exchange
from wsgicheck.target import app_location, load_target, target_definition

ROOT = Path(__file__).resolve().parent.parent


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


def _logged(function: Any) -> Any:
    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        return function(*args)

    return wrapper


@_logged
def decorated_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    return []


class Methods:
    def app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []

    @_logged
    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return []


class IterableApp:
    """A class as the app: calling it makes the response iterable (PEP 3333 allows it)."""

    def __init__(self, environ: dict[str, Any], start_response: Any) -> None:
        self.environ = environ


def _here(function: Any) -> Location:
    code = function.__code__
    return Location(__file__, code.co_firstlineno, function.__qualname__)


def test_app_location_follows_partials_decorators_and_methods() -> None:
    # functools.wraps: the user's function, not the decorator's wrapper (which, being in the
    # user's file too, would be a plausible wrong answer).
    assert app_location(decorated_app) == _here(decorated_app.__wrapped__)
    assert app_location(decorated_app).function == "decorated_app"  # type: ignore[union-attr]
    # A partial of a decorated function, a partial of a partial.
    twice = functools.partial(functools.partial(decorated_app), {})
    assert app_location(twice) == _here(decorated_app.__wrapped__)
    # A bound method: its function.
    instance = Methods()
    assert app_location(instance.app) == _here(Methods.app)
    assert app_location(functools.partial(instance.app)) == _here(Methods.app)
    # A callable instance whose __call__ is decorated: the undecorated __call__.
    assert app_location(instance) == _here(Methods.__call__.__wrapped__)  # type: ignore[attr-defined]
    # A class: its class statement.
    where = app_location(IterableApp)
    assert where is not None
    assert (where.file, where.function) == (__file__, "IterableApp")
    source = Path(__file__).read_text(encoding="utf-8").splitlines()
    assert source[where.line - 1] == "class IterableApp:"


def test_app_location_never_runs_an_apps_getattr() -> None:
    class Anything:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} looked up dynamically")

        def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
            return []

    where = app_location(Anything())
    assert where is not None
    assert where.function.endswith("Anything.__call__")


def test_a_library_decorator_or_method_is_seen_through() -> None:
    # functools.lru_cache keeps __wrapped__ too; its wrapper lives in the standard library.
    cached = functools.lru_cache(maxsize=None)(function_app)
    assert app_location(cached) == app_location(function_app)
    # A library's bound method with nothing of the user's behind it: no place.
    assert app_location("text".upper) is None


# -- the user's code, not a library's ----------------------------------------------------------


def test_is_library_knows_installed_packages_the_stdlib_and_wsgicheck() -> None:
    import json as stdlib_json

    import flask

    import wsgicheck

    assert is_library(flask.__file__ or "")
    assert is_library(stdlib_json.__file__ or "")
    assert is_library(wsgicheck.__file__ or "")
    assert is_library("<frozen importlib._bootstrap>")
    assert is_library("/repo/.venv/lib/python3.11/site-packages/x/y.py")  # a venv in the repo
    assert is_library("/usr/lib/python3/dist-packages/x.py")
    assert not is_library(__file__)
    assert not is_library(str(ROOT / "fixtures" / "flaskapp.py"))


def test_is_standard_knows_the_stdlib_from_the_packages_installed_beside_it() -> None:
    import json as stdlib_json
    import urllib.parse

    import flask

    assert is_standard(urllib.parse.__file__ or "")
    assert is_standard(stdlib_json.__file__ or "")
    assert is_standard("<frozen importlib._bootstrap>")
    assert not is_standard(flask.__file__ or "")
    # A package installed in the interpreter's own lib/python3.X/site-packages is not it.
    inside = os.path.join(sysconfig.get_paths()["stdlib"], "site-packages", "isso", "wsgi.py")
    assert not is_standard(inside)
    assert not is_standard(__file__)


def test_an_exception_is_placed_in_the_installed_app_not_the_stdlib_it_called() -> None:
    """From the app sweep of 2026-12-04: Isso (installed) passed a bad Origin to
    ``urllib.parse.urlsplit``, and the finding said the ValueError came from
    ``urllib/parse.py``: the innermost frame of an installed package is the place, when no
    frame is the user's, and the stdlib's only when there is neither."""
    import urllib.parse

    from wsgicheck.core.observe import describe

    package = os.path.join(sysconfig.get_paths()["purelib"], "isso", "wsgi.py")
    _, _, where = describe(_raised_in(package))
    assert where is not None
    assert (where.file, where.line, where.function) == (package, 3, "origin")
    _, _, where = describe(_raised_in("<template>"))  # no frame of a package: the stdlib's
    assert where is not None
    assert where.file == urllib.parse.__file__


def _raised_in(file: str) -> BaseException:
    """The ValueError ``urlsplit`` raises, caught in a function compiled as ``file``'s (so
    the traceback holds that frame and the stdlib's, none of this test's)."""
    from urllib.parse import urlsplit

    source = (
        "def origin(value):\n"
        "    try:\n"
        "        urlsplit(value)\n"
        "    except ValueError as exc:\n"
        "        return exc\n"
    )
    namespace: dict[str, Any] = {"urlsplit": urlsplit}
    exec(compile(source, file, "exec"), namespace)
    raised = namespace["origin"]("http://[")
    assert isinstance(raised, ValueError)
    return raised


def test_a_module_installed_as_a_script_is_a_library() -> None:
    """From the app sweep of 2026-12-03: Bottle installs ``bottle.py`` beside the console
    scripts too, the ``wsgicheck`` script puts that folder first on ``sys.path``, and
    ``import bottle`` loaded the copy there: findings were blamed on its line 1131."""
    scripts = sysconfig.get_paths()["scripts"]
    assert is_library(os.path.join(scripts, "bottle.py"))


def test_user_location_gives_way_to_the_fallback_for_a_library() -> None:
    import flask

    mine = Location(__file__, 3, "view")
    theirs = Location(flask.__file__ or "", 1529, "__call__")
    fallback = Location(__file__, 1, "app")
    assert user_location(mine, fallback) == mine
    assert user_location(theirs, fallback) == fallback
    assert user_location(theirs, None) is None
    assert user_location(None, fallback) == fallback


def test_repository_root_is_the_option_else_git_else_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert repository_root() == tmp_path.resolve()
    assert repository_root(str(ROOT)) == ROOT
    subprocess.run(["git", "init", "-q", str(tmp_path / "repo")], check=True)
    (tmp_path / "repo" / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "repo" / "sub")
    assert repository_root() == (tmp_path / "repo").resolve()


FLASK_APP = """\
from flask import Flask, Response

app = Flask(__name__)


@app.route("/")
def index():
    return Response("hi")

application = app.wsgi_app
"""


def test_app_location_of_a_library_object_is_where_the_target_binds_it(tmp_path: Path) -> None:
    source = tmp_path / "flaskapp_binding.py"
    source.write_text(FLASK_APP, encoding="utf-8")
    for spec, line in [(f"{source}:app", 3), (f"{source}:application", 10), (str(source), 10)]:
        app = load_target(spec)
        assert app_location(app) is None  # Flask.__call__ is not the user's line
        assert app_location(app, spec) == Location(str(source), line, "<module>")
    # No line binds the name: no place at all, rather than the file's first line.
    assert target_definition(f"{source}:nothing") is None
    assert target_definition("tests.test_locations:function_app") == Location(
        __file__, function_app.__code__.co_firstlineno, "<module>"
    )
    assert target_definition("no_such_module_here:app") is None


def _middleware(app: Any) -> Any:
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        return app(environ, start_response)  # the line a library's start_response call finds

    return middleware


MIDDLEWARE_LINE = _middleware.__code__.co_firstlineno + 2
HOST = (("Host", "localhost"),)


def test_start_response_from_a_library_is_placed_at_the_users_frame() -> None:
    from werkzeug.wrappers import Response

    response = Client(_middleware(Response("hi"))).send(Request(headers=HOST))
    (called,) = response.trace.of(StartResponseCalled)
    assert called.where == Location(__file__, MIDDLEWARE_LINE, "middleware")
    # No user frame between the harness and Werkzeug: the library's place is kept (a
    # report then puts the finding on the app's definition).
    response = Client(Response("hi")).send(Request(headers=HOST))
    (called,) = response.trace.of(StartResponseCalled)
    assert called.where is not None
    assert called.where.file.endswith("response.py")
    assert is_library(called.where.file)


def test_the_validator_places_a_librarys_start_response_call_at_the_users_frame() -> None:
    from werkzeug.wrappers import Response

    import wsgicheck

    bad = Response("hi")
    bad.headers["X-Bad"] = "a\x01b"
    checked = wsgicheck.validator(_middleware(bad), collect=True, select=["APP-*"])
    Client(checked).send(Request(headers=HOST))
    assert [(each.rule, each.where) for each in checked.findings] == [
        ("APP-HEADER-VALUE-NO-CONTROL", Location(__file__, MIDDLEWARE_LINE, "middleware"))
    ]


def _reads_past(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    stream = environ["wsgi.input"]
    stream.readline(4096)  # a line: allowed, it stops at the line's end
    body = stream.read(65536)  # the read a finding points at
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
    return [body[:0]]


READ_LINE = _reads_past.__code__.co_firstlineno + 3
#: A server that may hand the app the socket: a read past CONTENT_LENGTH is judged.
UNTERMINATED = ServerConfig(input_terminated_always=False)


@pytest.mark.parametrize("validated", [False, True])
def test_a_finding_on_a_read_points_at_the_read(validated: bool) -> None:
    """Left in the closing note of 2026-12-06: APP-INPUT-NO-READ-PAST-CL pointed at the
    app's function, not at the read()."""
    import wsgicheck

    request = Request(
        method="POST", headers=HOST, body=b"line\nrest", framing=Framing.CONTENT_LENGTH
    )
    read = Location(__file__, READ_LINE, "_reads_past")
    if validated:
        checked = wsgicheck.validator(_reads_past, collect=True, select=["APP-INPUT-*"])
        Client(checked, config=UNTERMINATED).send(request)
        assert [(each.rule, each.where) for each in checked.findings] == [
            ("APP-INPUT-NO-READ-PAST-CL", read)
        ]
        return
    response = Client(_reads_past, config=UNTERMINATED).send(request)
    found = check_exchange(Exchange(response))
    assert [(each.rule, each.where) for each in found] == [("APP-INPUT-NO-READ-PAST-CL", read)]


NESTED_BINDINGS = """\
from pyramid.config import Configurator

with Configurator() as config:
    config.add_route("hello", "/hello")
    app = config.make_wsgi_app()

try:
    from fast import handler
except ImportError:
    handler = None

if True:
    for _ in range(1):
        other = 1


def helper():
    inner = 1
    return inner
"""


def test_target_definition_finds_bindings_inside_module_level_blocks(tmp_path: Path) -> None:
    # The bundled Pyramid example binds its app inside ``with Configurator() as config:``;
    # a binding inside a function is not the module's.
    source = tmp_path / "nested_binding.py"
    source.write_text(NESTED_BINDINGS, encoding="utf-8")
    lines = {name: target_definition(f"{source}:{name}") for name in ("app", "handler", "other")}
    assert {name: where.line for name, where in lines.items() if where} == {
        "app": 5,
        "handler": 10,
        "other": 14,
    }
    assert target_definition(f"{source}:inner") is None
    pyramid = ROOT / "fixtures" / "pyramidapp.py"
    assert target_definition(f"{pyramid}:app") == Location(str(pyramid), 14, "<module>")


def test_target_definition_follows_imports_to_the_line_that_binds_the_app(
    tmp_path: Path,
) -> None:
    # httpbin's ``httpbin/__init__.py`` is ``from .core import *``: its first line (a coding
    # comment) is no place for the app ``httpbin:app``; ``app = Flask(...)`` in core.py is.
    package = tmp_path / "starpkg_locations"
    package.mkdir()
    (package / "__init__.py").write_text("# -*- coding: utf-8 -*-\n\nfrom .core import *\n")
    (package / "core.py").write_text(
        "from .made import make\n\n\napp = make()\nfrom .made import make as other\n"
    )
    (package / "made.py").write_text("def make():\n    return lambda e, s: []\n")
    (package / "again.py").write_text(
        "from starpkg_locations.core import app as application\nfrom . import again\n"
    )
    (package / "looping.py").write_text("from .looping import *\n")
    load_target(f"{package / '__init__.py'}:app")
    core, made = str(package / "core.py"), str(package / "made.py")
    assert target_definition("starpkg_locations:app") == Location(core, 4, "<module>")
    assert target_definition(f"{package / '__init__.py'}:app") == Location(core, 4, "<module>")
    assert target_definition("starpkg_locations") == Location(core, 4, "<module>")
    # A name imported under another, from an absolute module name.
    load_target("starpkg_locations.again:application")
    assert target_definition("starpkg_locations.again:application") == Location(core, 4, "<module>")
    # Through a function's import to its definition (a factory named as TARGET).
    assert target_definition("starpkg_locations.core:other") == Location(made, 1, "<module>")
    # A module that imports itself is followed a bounded number of times, and binds nothing.
    importlib.import_module("starpkg_locations.looping")
    assert target_definition("starpkg_locations.looping:app") is None
    # A module that imports nothing by that name: no line.
    assert target_definition("starpkg_locations:missing") is None


def _package(root: Path, name: str, files: dict[str, str]) -> Path:
    package = root / name
    for relative, text in files.items():
        (package / relative).parent.mkdir(parents=True, exist_ok=True)
        (package / relative).write_text(text, encoding="utf-8")
    return package


def test_target_definition_follows_only_imports_that_brought_the_app(tmp_path: Path) -> None:
    """The review of 2026-12-06: a branch not taken, a star import that does not export the
    name, an ``if __name__ == "__main__":`` rebinding, and a star import after the binding
    that rebinds it, each once gave a line that does not bind the app; and following an
    import into a module never imported ran its package's code."""
    marker = tmp_path / "compat_imported"
    made = "def make():\n    return lambda e, s: []\n"
    _package(
        tmp_path,
        "branchpkg_loc",
        {
            "__init__.py": (
                "try:\n    from .fast import app\nexcept ImportError:\n"
                "    from .compat.slow import app\n"
            ),
            "fast.py": f"{made}\napp = make()\n",
            "compat/__init__.py": f"open({str(marker)!r}, 'w').close()\nraise RuntimeError\n",
            "compat/slow.py": f"{made}\napp = make()\n",
        },
    )
    _package(
        tmp_path,
        "decoypkg_loc",
        {
            "__init__.py": "from .real import *\nfrom .decoy import *\n",
            "real.py": f"{made}\napp = make()\n",
            "decoy.py": '__all__ = ["helper"]\nhelper = 1\napp = "not the app"\n',
        },
    )
    _package(
        tmp_path,
        "mainpkg_loc",
        {
            "__init__.py": "from .core import app\n",
            "core.py": f'{made}\napp = make()\nif __name__ == "__main__":\n    app = None\n',
        },
    )
    _package(
        tmp_path,
        "overpkg_loc",
        {
            "__init__.py": f"{made}\napp = make()\nfrom .override import *\n",
            "override.py": "app = lambda e, s: []\n",
        },
    )
    # Modules that star-import each other: each is read once, not once per path.
    ring = {
        f"m{i}.py": "".join(f"from .m{j} import *\n" for j in range(6) if j != i) for i in range(6)
    }
    _package(
        tmp_path,
        "ringpkg_loc",
        {
            "__init__.py": "from .core import *\nfrom .m0 import *\n",
            "core.py": "app = lambda e, s: []\n",
            **ring,
        },
    )
    expected = {
        "branchpkg_loc:app": ("branchpkg_loc/fast.py", 4),
        "decoypkg_loc:app": ("decoypkg_loc/real.py", 4),
        "mainpkg_loc:app": ("mainpkg_loc/core.py", 4),
        "overpkg_loc:app": ("overpkg_loc/override.py", 1),
        "ringpkg_loc:app": ("ringpkg_loc/core.py", 1),
    }
    found = {}
    for spec in expected:
        load_target(f"{tmp_path / spec.partition(':')[0] / '__init__.py'}:app")
        where = target_definition(spec)
        assert where is not None, spec
        found[spec] = (Path(where.file).relative_to(tmp_path).as_posix(), where.line)
    assert found == expected
    assert not marker.exists()


def test_target_definition_never_runs_a_lazy_module_nor_names_a_branch_not_taken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second review of 2026-12-06: reading a lazily loaded module's namespace ran it
    (its exception lost the run); a rebinding on a condition that did not hold, or an
    ``except ImportError`` fallback, was named for the app; ``__all__`` in a sequence
    other than a list was not read; a file too deep to parse raised MemoryError."""
    made = "def make():\n    return lambda e, s: []\n"
    ran = tmp_path / "heavy_ran"
    _package(
        tmp_path,
        "lazypkg_loc",
        {
            "__init__.py": (
                "import importlib.util, sys\n"
                "spec = importlib.util.find_spec('lazypkg_loc.heavy')\n"
                "spec.loader = importlib.util.LazyLoader(spec.loader)\n"
                "heavy = importlib.util.module_from_spec(spec)\n"
                "sys.modules['lazypkg_loc.heavy'] = heavy\n"
                "spec.loader.exec_module(heavy)\n"
            ),
            "heavy.py": f"open({str(ran)!r}, 'w').close()\nraise RuntimeError('needs a GPU')\n",
            "web.py": (
                f"import os\n{made}\napp = make()\n"
                "if os.environ.get('USE_HEAVY'):\n    from lazypkg_loc.heavy import app\n"
            ),
        },
    )
    _package(
        tmp_path,
        "proxypkg_loc",
        {
            "__init__.py": "",
            "proxy.py": "class ProxyFix:\n    def __init__(self, app):\n        self.app = app\n",
            "web.py": (
                "import os\nfrom .proxy import ProxyFix\n\n\nclass Flask:\n"
                "    def __init__(self, name):\n        self.name = name\n\n\n"
                "app = Flask(__name__)\nif os.environ.get('BEHIND_PROXY_LOC'):\n"
                "    app = ProxyFix(app)\n"
            ),
            "fallback.py": (
                "try:\n    from .web import app\nexcept ImportError:\n    app = None\n"
            ),
            "views.py": "from collections import UserList\nfrom .web import app\n"
            "__all__ = UserList(['index'])\nindex = 1\n",
            "starred.py": "from .web import app\nfrom .views import *\n",
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found = {}
    for spec in (
        "lazypkg_loc.web:app",
        "proxypkg_loc.web:app",
        "proxypkg_loc.fallback:app",
        "proxypkg_loc.starred:app",
    ):
        importlib.import_module(spec.partition(":")[0])
        where = app_location(object(), spec)
        assert where is not None, spec
        found[spec] = (Path(where.file).relative_to(tmp_path).as_posix(), where.line)
    web = ("proxypkg_loc/web.py", 10)
    assert found == {
        "lazypkg_loc.web:app": ("lazypkg_loc/web.py", 5),
        "proxypkg_loc.web:app": web,
        "proxypkg_loc.fallback:app": web,
        "proxypkg_loc.starred:app": web,
    }
    assert not ran.exists()
    # Where the condition held, the rebinding is the app's line.
    monkeypatch.setenv("BEHIND_PROXY_LOC", "1")
    for name in ("proxypkg_loc.web", "proxypkg_loc"):
        monkeypatch.delitem(sys.modules, name)
    importlib.import_module("proxypkg_loc.web")
    assert target_definition("proxypkg_loc.web:app") == Location(
        str(tmp_path / "proxypkg_loc" / "web.py"), 12, "<module>"
    )

    # A proxy in sys.modules that says it is a module (zope.deprecation's, which Pyramid
    # loads): read as no module, and nothing raised.
    class Proxy:
        __class__ = ModuleType  # type: ignore[assignment]

    monkeypatch.setitem(sys.modules, "proxy_loc", Proxy())
    assert module_names(sys.modules["proxy_loc"]) == {}
    assert target_definition("proxypkg_loc.web:app") is not None
    # A file too deep for the parser: no place, and nothing raised.
    deep = tmp_path / "deep_loc.py"
    deep.write_text("app = " + "not " * 200_000 + "x\n", encoding="utf-8")
    assert target_definition(f"{deep}:app") is None


CHANGED_NOT_BOUND = """\
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

app = Flask(__name__)
app.config["SECRET_KEY"] = "x"
app.wsgi_app = ProxyFix(app.wsgi_app)
app.debug = app.testing = False
first, (second, *rest) = 1, (2, 3)
"""


def test_target_definition_skips_assignments_that_change_the_app_but_bind_nothing(
    tmp_path: Path,
) -> None:
    # ``app.config[...] = ...`` and ``app.wsgi_app = ProxyFix(...)`` change the object
    # ``app`` names; the line that binds it is still ``app = Flask(__name__)``.
    source = tmp_path / "changed_app.py"
    source.write_text(CHANGED_NOT_BOUND, encoding="utf-8")
    lines = {name: target_definition(f"{source}:{name}") for name in ("app", "second", "rest")}
    assert {name: where.line for name, where in lines.items() if where} == {
        "app": 4,
        "second": 8,
        "rest": 8,
    }


# -- a library's start_response between the user's line and the server ---------------------------

DROPPER = '''
def wrap(app):
    """A logging middleware whose start_response drops exc_info (Paste's TransLogger)."""
    def middleware(environ, start_response):
        def replacement_start_response(status, headers, exc_info=None):
            return start_response(status, headers)
        return app(environ, replacement_start_response)
    return middleware


class Response:
    """A response object that answers by calling start_response (Werkzeug's)."""
    def __call__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
'''


def restarting(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("render failed")
    except ValueError:
        start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())  # restart
        return [b"error page\n"]


def test_a_call_made_by_a_librarys_start_response_names_it(tmp_path: Path) -> None:
    """From the app sweep of 2026-12-03: Paste's TransLogger passes start_response on
    without exc_info, and APP-SR-ONCE blamed the user's line, which passes it. The finding
    still points at the user's line, and names the library's function that made the call."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    (folder / "dropper.py").write_text(DROPPER)
    sys.path.insert(0, str(folder))
    try:
        import dropper  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(folder))
    response = Client(dropper.wrap(restarting)).get("/")
    [call] = [e for e in response.trace if isinstance(e, StartResponseCalled)][1:]
    line = next(
        i
        for i, text in enumerate(Path(__file__).read_text().splitlines(), 1)
        if text.rstrip().endswith("# restart")
    )
    assert call.where is not None
    assert (call.where.file, call.where.line) == (__file__, line)
    assert call.via is not None
    assert call.via.function == "replacement_start_response"
    [message] = [f.message for f in check_exchange(Exchange(response)) if f.rule == "APP-SR-ONCE"]
    assert message == (
        f"start_response('500 Oops', ...) called again without exc_info at "
        f"test_locations.py:{line}; the call reached the server through "
        f"{portable_path(call.via.file)}:6 in replacement_start_response(), a library's "
        "start_response between this line and the server: if this line passes exc_info, "
        "that function dropped it"
    )

    # A library function that answers (it takes the environ and start_response) is not a
    # start_response of the library's: the user's line is named alone.
    def twice(environ: dict[str, Any], start_response: Any) -> Any:
        dropper.Response()(environ, start_response)
        return dropper.Response()(environ, start_response)

    answered = Client(twice).get("/")
    assert [e.via for e in answered.trace if isinstance(e, StartResponseCalled)] == [None, None]
    # Called directly, the same app's second call has its exc_info and no via.
    direct = Client(restarting).get("/")
    assert [e.via for e in direct.trace if isinstance(e, StartResponseCalled)] == [None, None]
    assert [f.rule for f in check_exchange(Exchange(direct)) if f.rule == "APP-SR-ONCE"] == []


def test_target_definition_stops_at_the_users_import_of_a_librarys_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real-app trial of 2026-12-06: ``from trac.web.main import dispatch_request as app``
    in the user's module put every finding at the library's ``def`` in site-packages (README:
    never there). The user's line that imports it is the place; an app that is a library's
    own package (httpbin's ``from .core import *``) is still followed inside it."""
    library = tmp_path / "lib" / "site-packages"
    _package(
        library,
        "extpkg_loc",
        {"__init__.py": "from .core import app\n", "core.py": "def app(e, s):\n    return []\n"},
    )
    user = tmp_path / "project"
    user.mkdir()
    (user / "userapp_loc.py").write_text("import os\nfrom extpkg_loc.core import app\n")
    monkeypatch.syspath_prepend(str(library))
    assert is_library(str(library / "extpkg_loc" / "core.py"))
    target = f"{user / 'userapp_loc.py'}:app"
    app = load_target(target)
    assert app_location(app, target) == Location(str(user / "userapp_loc.py"), 2, "<module>")
    # TARGET in the library itself: no user line to stop at, the import is followed.
    core = str(library / "extpkg_loc" / "core.py")
    assert target_definition("extpkg_loc:app") == Location(core, 1, "<module>")


CHDIR_APP = """import os
os.chdir({away!r})
from werkzeug.wrappers import Response

app = Response("hello")
"""


def test_an_app_that_changes_directory_at_import_keeps_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trial of 2026-12-06 (Mercurial's hgweb, Moin's create_app): a TARGET named by a
    relative path whose module changes directory at import lost every finding's place, its
    path read again from the new directory. The file imported under that name is kept; one
    another folder holds under the same name is still its own file there."""
    away = tmp_path / "away"
    away.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    (home / "wc_chdir_app.py").write_text(CHDIR_APP.format(away=str(away)), encoding="utf-8")
    monkeypatch.chdir(home)
    try:
        app = load_target("wc_chdir_app.py:app")
        assert Path.cwd() == away
        where = Location(str(home / "wc_chdir_app.py"), 5, "<module>")
        assert target_definition("wc_chdir_app.py:app") == where
        assert app_location(app, "wc_chdir_app.py:app") == where
        # Another file of that name, here: loaded as its own.
        (away / "wc_chdir_app.py").write_text('app = lambda e, s: [b""]\n', encoding="utf-8")
        other = load_target("wc_chdir_app.py:app")
        assert other is not app
        assert target_definition("wc_chdir_app.py:app") == Location(
            str(away / "wc_chdir_app.py"), 1, "<module>"
        )
    finally:
        for name in [name for name in sys.modules if name.startswith("wc_chdir_app")]:
            del sys.modules[name]
