"""TARGET loading: every good form finds the app, every bad one is a one-line TargetError."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsgicheck.drivers.client import Client
from wsgicheck.model.errors import TargetError, WsgicheckError
from wsgicheck.rules import Exchange, check_exchange
from wsgicheck.target import load_target, source_root

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

HELLO_APP = """
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"from app"]
"""


@pytest.fixture(autouse=True)
def import_state(tmp_path: Path) -> Iterator[None]:
    """Undo what loading a target from ``tmp_path`` did: its sys.path entries and modules.

    Modules from elsewhere (Django and the seed apps) stay loaded, as they would after any
    other test that used them.
    """
    path, modules = list(sys.path), set(sys.modules)
    yield
    temporary = str(tmp_path)
    sys.path[:] = [entry for entry in sys.path if entry in path or not entry.startswith(temporary)]
    for name in set(sys.modules) - modules:
        if (getattr(sys.modules[name], "__file__", None) or "").startswith(temporary):
            del sys.modules[name]


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def body(app: object) -> bytes:
    return Client(app).get("/").body  # type: ignore[arg-type]


def load_error(spec: str) -> str:
    """The message of the TargetError that loading ``spec`` raises, checked to be one line."""
    with pytest.raises(TargetError) as caught:
        load_target(spec)
    message = str(caught.value)
    assert message
    assert "\n" not in message
    assert "Traceback" not in message
    return message


# -- targets that load -------------------------------------------------------------------------


def test_module_colon_callable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "wc_modapp.py", HELLO_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    app = load_target("wc_modapp:app")
    assert app is sys.modules["wc_modapp"].app
    assert body(app) == b"from app"


def test_module_found_from_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "wc_cwdapp.py", HELLO_APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    assert body(load_target("wc_cwdapp:app")) == b"from app"


def test_module_in_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "wc_pkg/__init__.py", "")
    write(tmp_path, "wc_pkg/web.py", HELLO_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert body(load_target("wc_pkg.web:app")) == b"from app"


def test_file_path_from_another_directory_imports_its_siblings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    write(project, "wc_sibling.py", "GREETING = b'from the sibling'\n")
    write(
        project,
        "wc_fileapp.py",
        """
        from wc_sibling import GREETING

        def app(environ, start_response):
            start_response("200 OK", [])
            return [GREETING]
        """,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = load_target("../project/wc_fileapp.py:app")
    assert body(app) == b"from the sibling"
    assert str(project) in sys.path


def test_absolute_file_path(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_absapp.py", HELLO_APP)
    assert body(load_target(f"{path}:app")) == b"from app"


def test_a_file_in_a_package_is_imported_as_its_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Django project's ``mysite/wsgi.py`` imports ``mysite.settings``: named by its path,
    the file is module ``mysite.wsgi``, the folder above its package made importable."""
    project = tmp_path / "project"
    write(project, "wc_site/__init__.py", "")
    write(project, "wc_site/settings.py", "GREETING = b'from the package'\n")
    write(
        project,
        "wc_site/wsgi.py",
        """
        from wc_site.settings import GREETING
        from . import settings

        def application(environ, start_response):
            start_response("200 OK", [])
            return [settings.GREETING if settings.GREETING is GREETING else b"two modules"]
        """,
    )
    monkeypatch.chdir(tmp_path)
    app = load_target("project/wc_site/wsgi.py")
    assert body(app) == b"from the package"
    assert app.__module__ == "wc_site.wsgi"
    assert source_root("project/wc_site/wsgi.py") == (project / "wc_site").resolve()


def test_a_package_s_init_file_is_the_package_and_a_file_may_import_its_siblings(
    tmp_path: Path,
) -> None:
    write(tmp_path, "wc_initpkg/__init__.py", "from wc_initpkg_sibling import GREETING\n")
    write(tmp_path, "wc_initpkg/wc_initpkg_sibling.py", "GREETING = b'sibling'\n")
    write(
        tmp_path,
        "wc_initpkg/__init__.py",
        """
        from wc_initpkg_sibling import GREETING
        LOADS = []
        LOADS.append(1)

        def app(environ, start_response):
            start_response("200 OK", [])
            return [GREETING]
        """,
    )
    app = load_target(f"{tmp_path / 'wc_initpkg' / '__init__.py'}:app")
    assert body(app) == b"sibling"
    assert app.__module__ == "wc_initpkg"
    assert sys.modules["wc_initpkg"].LOADS == [1]  # imported once, as the package


def test_a_package_named_like_the_standard_library_s_is_imported_as_a_lone_file(
    tmp_path: Path,
) -> None:
    """``test/app.py`` in a project: ``test`` is the standard library's package, so the file
    is loaded alone, as before packages were looked at."""
    write(tmp_path, "test/__init__.py", "")
    path = write(tmp_path, "test/app.py", HELLO_APP)
    assert body(load_target(f"{path}:app")) == b"from app"
    assert source_root(f"{path}:app") == path.parent.resolve()


def test_the_django_project_loads_by_the_path_of_its_wsgi_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    monkeypatch.chdir(tmp_path)
    app = load_target(f"{FIXTURES / 'helloworld' / 'helloworld' / 'wsgi.py'}:application")
    assert Client(app).get("/hello").status_code == 200


def test_a_file_whose_package_name_leads_elsewhere_is_imported_alone(tmp_path: Path) -> None:
    """Two packages of one name: as ``wc_twin.web`` the second file would be the first one's
    module, so it is loaded alone, its own file."""
    for side in ("one", "two"):
        write(tmp_path / side, "wc_twin/__init__.py", "")
        write(tmp_path / side, "wc_twin/web.py", HELLO_APP)
    first = load_target(f"{tmp_path / 'one' / 'wc_twin' / 'web.py'}:app")
    second = load_target(f"{tmp_path / 'two' / 'wc_twin' / 'web.py'}:app")
    assert first.__module__ == "wc_twin.web"
    assert second is not first
    assert sys.modules[second.__module__].__file__ == str(tmp_path / "two" / "wc_twin" / "web.py")


def test_loading_a_file_twice_gives_the_same_app(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_twice.py", HELLO_APP + "LOADS = []\nLOADS.append(1)\n")
    first = load_target(f"{path}:app")
    assert load_target(f"{path}:app") is first
    assert sys.modules["wc_twice"].LOADS == [1]


def test_dotted_attribute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(
        tmp_path,
        "wc_dotted.py",
        """
        class Holder:
            class Inner:
                @staticmethod
                def wsgi(environ, start_response):
                    start_response("200 OK", [])
                    return [b"inner"]

        holder = Holder()
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert body(load_target("wc_dotted:holder.Inner.wsgi")) == b"inner"


FACTORY = """
    CALLS = []

    def create_app():
        CALLS.append(1)

        def app(environ, start_response):
            start_response("200 OK", [])
            return [b"made"]

        return app
"""


def test_factory_is_called(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "wc_factory.py", FACTORY)
    monkeypatch.syspath_prepend(str(tmp_path))
    app = load_target("wc_factory:create_app()")
    assert body(app) == b"made"
    assert sys.modules["wc_factory"].CALLS == [1]


def test_factory_in_a_file_path(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_filefactory.py", HELLO_APP + "\ndef make():\n    return app\n")
    assert body(load_target(f"{path}:make()")) == b"from app"


def test_no_callable_prefers_application_then_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "wc_only_app.py", HELLO_APP)
    write(tmp_path, "wc_both.py", HELLO_APP + "\napplication = app\napp = None\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    only_app = load_target("wc_only_app")
    assert only_app is sys.modules["wc_only_app"].app
    assert load_target("wc_both") is sys.modules["wc_both"].application
    assert load_target(str(tmp_path / "wc_only_app.py")) is only_app


def test_django_seed_loads_from_another_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    monkeypatch.chdir(tmp_path)
    app = load_target(f"{FIXTURES / 'djangoapp.py'}:app")
    response = Client(app).get("/hello")
    assert response.status_code == 200
    assert b"Hello world from" in response.body


def test_relative_django_target_from_a_sibling_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("django")
    monkeypatch.chdir(FIXTURES / "helloworld")
    app = load_target("../djangoapp.py:app")
    assert Client(app).get("/hello").status_code == 200


def test_a_project_package_loads_from_the_folder_above_its_outer_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Django's layout, ``site1/site1/wsgi.py`` checked from the folder above ``site1``: that
    folder is on the path (``python -m``), and the outer ``site1`` (no ``__init__.py``) is
    a namespace package there. A real-app trial of 2026-12-06 found the file imported alone
    on that account, and its ``import site1.settings`` failing."""
    write(tmp_path, "nsproj_tg/manage.py", "")
    write(tmp_path, "nsproj_tg/nsproj_tg/__init__.py", "")
    write(tmp_path, "nsproj_tg/nsproj_tg/settings.py", "GREETING = b'from settings'\n")
    write(
        tmp_path,
        "nsproj_tg/nsproj_tg/wsgi.py",
        HELLO_APP.replace('b"from app"', "GREETING") + "from nsproj_tg.settings import GREETING\n",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    app = load_target("nsproj_tg/nsproj_tg/wsgi.py:app")
    assert app.__module__ == "nsproj_tg.wsgi"
    assert Client(app).get("/").body == b"from settings"


# -- targets that do not load ------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["", "   "])
def test_empty(spec: str) -> None:
    assert "empty" in load_error(spec)


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        # (A README trial of 2026-12-07: "importing '' failed: ValueError: Empty module
        # name" and "cannot find file 'fixtures/wsgiapp.py:'".)
        (":app", "TARGET ':app' names no module before ':'"),
        ("fixtures/wsgiapp.py::app", "has '::'; one ':' comes between the module and the"),
    ],
)
def test_a_target_without_its_module_or_with_two_colons_says_so(spec: str, said: str) -> None:
    assert said in load_error(spec)


def test_a_factory_named_without_its_parentheses_is_named_with_them(tmp_path: Path) -> None:
    """Called as the app, it refuses the two arguments: the finding says how to name it."""
    write(tmp_path, "wc_unmade.py", FACTORY)
    app = load_target(f"{tmp_path / 'wc_unmade.py'}:create_app")
    (found,) = [
        each
        for each in check_exchange(Exchange(Client(app).get("/")))
        if each.rule == "APP-CALLABLE-TWO-POSITIONAL"
    ]
    assert found.message.endswith(
        "; if it makes the app (a factory), name it with () in TARGET: module:create_app()"
    )

    # A method is named by its class too; one defined inside a function cannot be named.
    write(
        tmp_path,
        "wc_made.py",
        """
        class Factory:
            @staticmethod
            def make():
                return None

        def outer():
            def inner():
                return None
            return inner

        inner = outer()
        """,
    )
    told = []
    for name in ("Factory.make", "inner"):
        made = load_target(f"{tmp_path / 'wc_made.py'}:{name}")
        told += [
            each.message
            for each in check_exchange(Exchange(Client(made).get("/")))
            if each.rule == "APP-CALLABLE-TWO-POSITIONAL"
        ]
    assert told[0].endswith("name it with () in TARGET: module:Factory.make()")
    assert "a factory" not in told[1]


def test_target_error_is_a_wsgicheck_error() -> None:
    assert issubclass(TargetError, WsgicheckError)


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = load_error("nowhere/app.py:app")
    assert "'nowhere/app.py'" in message
    assert str(tmp_path) in message


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "pkgdir").mkdir()
    assert "directory" in load_error(f"{tmp_path / 'pkgdir'}:app")
    assert "directory" in load_error(f"{tmp_path}/")


def test_missing_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    message = load_error("wc_no_such_module:app")
    assert "no module named 'wc_no_such_module'" in message
    assert "no module named 'wc_no_such_pkg.sub'" in load_error("wc_no_such_pkg.sub:app")


def test_import_error_inside_the_app_names_the_missing_dependency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "wc_needs_dep.py", "import wc_missing_dependency\n" + HELLO_APP)
    monkeypatch.syspath_prepend(str(tmp_path))
    for spec in ("wc_needs_dep:app", f"{tmp_path / 'wc_needs_dep.py'}:app"):
        message = load_error(spec)
        assert "wc_missing_dependency" in message
        assert "ModuleNotFoundError" in message
        assert "no module named 'wc_needs_dep'" not in message
        assert "wc_needs_dep.py:1" in message


def test_syntax_error_gives_file_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "wc_broken_syntax.py", "x = 1\n\ndef app(:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for spec in (f"{path}:app", "wc_broken_syntax:app"):
        message = load_error(spec)
        assert "SyntaxError" in message
        assert f"{path}:3" in message


def test_exception_raised_at_import(tmp_path: Path) -> None:
    path = write(
        tmp_path, "wc_raises.py", "import os\n\nraise RuntimeError('no config\\nsecond line')\n"
    )
    message = load_error(f"{path}:app")
    assert "RuntimeError: no config" in message
    assert "second line" not in message
    assert f"{path}:3" in message
    assert "wc_raises" not in sys.modules  # a half-imported module is not left behind


def test_system_exit_at_import_is_a_target_error(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_exits.py", "import sys\nsys.exit(3)\n")
    assert "SystemExit" in load_error(f"{path}:app")


def test_missing_attribute(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_noattr.py", HELLO_APP)
    message = load_error(f"{path}:application")
    assert "no attribute 'application'" in message
    assert "no attribute 'app.missing'" in load_error(f"{path}:app.missing")


def test_no_default_name(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_nodefault.py", "def handler(environ, start_response): ...\n")
    message = load_error(str(path))
    assert "application or app" in message


def test_attribute_not_callable(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_notcallable.py", "app = 42\nconfig = {'a': 1}\n")
    assert "not a callable" in load_error(f"{path}:app")
    assert "dict" in load_error(f"{path}:config")


def test_factory_returning_a_non_callable(tmp_path: Path) -> None:
    path = write(tmp_path, "wc_badfactory.py", "def make():\n    return 'not an app'\n")
    assert "not a callable" in load_error(f"{path}:make()")


@pytest.mark.parametrize("spec", ["wc_anything:", "app.py:"])
def test_trailing_colon(spec: str) -> None:
    assert "ends with ':'" in load_error(spec)


@pytest.mark.parametrize("attribute", ["1app", "app-x", "app..x", "make()()"])
def test_attribute_that_is_not_a_name(tmp_path: Path, attribute: str) -> None:
    path = write(tmp_path, "wc_names.py", HELLO_APP)
    assert "not a Python name" in load_error(f"{path}:{attribute}")


def test_factory_that_raises(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "wc_factory_raises.py",
        "def create_app():\n    raise KeyError('SECRET_KEY')\n",
    )
    message = load_error(f"{path}:create_app()")
    assert "create_app()" in message
    assert "KeyError" in message
    assert "SECRET_KEY" in message
    assert f"{path}:2" in message


def test_a_wsgi_app_called_as_a_factory_is_named_not_wsgicheck(tmp_path: Path) -> None:
    """A real-app trial of 2026-12-06: ``hgapp:app()`` named wsgicheck's own line as the
    place of the TypeError, which the call itself raised; the message says what to do."""
    path = write(tmp_path, "wc_called_app.py", HELLO_APP)
    message = load_error(f"{path}:app()")
    assert message == (
        "calling app() failed: TypeError: app() missing 2 required positional arguments: "
        "'environ' and 'start_response'; a factory is called with no arguments (if app is "
        "the WSGI app itself, name it without the ())"
    )
    assert "wsgicheck" not in message
