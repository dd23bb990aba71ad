"""The pytest plugin: ``--wsgi-app`` gives a conformance suite and fixtures for your tests.

Loaded through the ``pytest11`` entry point in every pytest run of every user, so this module
imports only pytest and the standard library. The app, the runner and Hypothesis are
imported when ``--wsgi-app`` (or the ``wsgi_app`` ini key) is given, the server when a test
asks for ``wsgi_server``. State lives in ``config.stash``, never in module globals, so
in-process pytest runs (``pytester``) do not see each other's.
"""

from __future__ import annotations

import contextlib
import random
import sys
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pytest

from .model.options import DEFAULT_DATABASE
from .settings import (
    BY_NAME,
    OFF,
    PROFILES,
    SETTINGS,
    TRANSPORTS,
    Flag,
    Given,
    Items,
    SettingError,
    Sources,
    exclusion_problem,
    no_rule_matches,
    rule_choice_problem,
)

if sys.version_info >= (3, 11):  # pragma: no cover - depends on the interpreter
    from builtins import BaseExceptionGroup
else:  # pragma: no cover - pytest needs the backport on 3.10, so it is there
    from exceptiongroup import BaseExceptionGroup  # type: ignore[import-not-found]

if TYPE_CHECKING:
    from .core.environ import ServerConfig
    from .core.invoke import WSGIApp
    from .drivers.client import Client
    from .drivers.server import Server

__all__ = ["PROFILES", "TRANSPORTS", "Settings"]

#: An empty ini value switches the example database off too.
_OFF = ("", *OFF)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """The ``--wsgi-*`` options (or ini keys) of one session, checked."""

    target: str
    profile: str
    seed: int
    strict: bool
    select: tuple[str, ...]
    ignore: tuple[str, ...]
    paths: tuple[str, ...]
    #: Header fields added to every request (``--wsgi-header``), and paths never driven.
    headers: tuple[tuple[str, str], ...] = ()
    exclude_paths: tuple[str, ...] = ()
    #: Only safe methods sent (``--wsgi-read-only``).
    read_only: bool = False
    transport: str
    #: The Hypothesis example database folder (absolute), or None for none.
    database: str | None
    #: Whether the conformance suite's items are collected.
    suite: bool
    #: The time limit of one exchange, in seconds.
    timeout: float
    #: MiB of a response body read at most (``--wsgi-body-limit``).
    body_limit: int


@dataclass(slots=True)
class _State:
    settings: Settings
    #: The app, once loaded in pytest's process: when a test first asks for it, or at once
    #: where a clean process could not load it (see :func:`_tried`).
    app: WSGIApp | None


_STATE = pytest.StashKey[_State]()
#: Failures of wsgicheck's own server threads during a test, to re-raise in it.
_SERVER_ERRORS = pytest.StashKey[list[BaseException]]()

#: The environment and [tool.wsgicheck], read once per session.
_SOURCES = pytest.StashKey[Sources]()
#: Settings the plugin gives with options of their own (``--wsgi-no-suite``).
_OWN_OPTIONS = ("suite",)


_IniType = Literal["string", "args", "linelist", "bool"]


def _options() -> Iterator[tuple[str, _IniType, str, dict[str, Any]]]:
    """(name, ini type, help, argparse keywords) of each ``--wsgi-NAME``, from the table of
    settings (:mod:`wsgicheck.settings`)."""
    for each in SETTINGS:
        if not each.plugin or each.name in _OWN_OPTIONS:
            continue
        extra: dict[str, Any] = {"metavar": each.metavar} if each.metavar else {}
        if isinstance(each.kind, Flag):
            yield each.name, "bool", each.described(), {"action": "store_true", "default": None}
        elif each.repeated:
            lines = isinstance(each.kind, Items) and each.kind.sep == "\n"
            kind: Literal["args", "linelist"] = "linelist" if lines else "args"
            yield each.name, kind, each.described(), {"action": "append", **extra}
        else:
            choices = {"choices": each.choices()} if each.choices() else {}
            yield each.name, "string", each.described(), {**extra, **choices}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wsgi", "wsgicheck: WSGI (PEP 3333) conformance")
    for name, ini_type, text, extra in _options():
        flag = f"--wsgi-{name.replace('_', '-')}"
        group.addoption(flag, dest=f"wsgi_{name}", help=text, **extra)
        parser.addini(f"wsgi_{name}", f"{text} (as {flag})", type=ini_type, default=None)
    group.addoption(
        "--wsgi-no-suite",
        dest="wsgi_suite",
        action="store_false",
        default=None,
        help="do not collect the conformance suite; only give the fixtures",
    )
    parser.addini(
        "wsgi_suite", "collect the conformance suite (false: --wsgi-no-suite)", type="bool",
        default=None,
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Check the options and the app now, so a bad one stops pytest with one line."""
    config.addinivalue_line(
        "markers",
        "wsgicheck(rule_id): an item of the wsgicheck conformance suite (one per rule); "
        "-m wsgicheck runs only them, -m 'not wsgicheck' all but them",
    )
    config.addinivalue_line(
        "markers",
        "wsgi_config(**choices): the server choices (wsgicheck.ServerConfig fields, "
        "e.g. script_name='/app') of the wsgi_client and wsgi_server fixtures in this test",
    )
    target = _value(config, "app")  # the environment and [tool.wsgicheck] checked on the way
    if not target:
        return
    settings = _settings(config, str(target))
    # An xdist worker's controller checked it already.
    workers_own = hasattr(config, "workerinput")
    config.stash[_STATE] = _State(settings, None if workers_own else _tried(config, settings))
    if not settings.suite:
        return
    from .suite import SuitePlugin

    config.pluginmanager.register(SuitePlugin(config, settings), "wsgicheck-suite")


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    s = state.settings
    if not s.suite:
        return f"wsgicheck: app {s.target} (suite off)"
    parts = [f"profile {s.profile}", f"seed {s.seed}", f"transport {s.transport}"]
    parts += ["strict"] if s.strict else []
    parts += ["read-only"] if s.read_only else []
    if s.database:
        from .explore.exampledb import shown

        parts.append(f"database {shown(s.database)}")
    else:
        parts.append("database off")
    return f"wsgicheck: app {s.target}, {', '.join(parts)}"


# -- options --------------------------------------------------------------------------------


def _value(config: pytest.Config, name: str) -> Any:
    """The option if given on the command line, else what :func:`_given` finds."""
    value = config.getoption(f"wsgi_{name}")
    if value is not None:
        return value
    found = _given(config, name)
    return None if found is None else found.value


def _given(config: pytest.Config, name: str) -> Given | None:
    """A setting not on the command line: ``WSGICHECK_NAME``, else the ini key ``wsgi_NAME``,
    else ``[tool.wsgicheck]`` in the nearest ``pyproject.toml`` (as the ini key gives it:
    a string, a list of strings or a bool), with the folder a relative path is from."""
    setting = BY_NAME[name]
    try:
        sources = config.stash.get(_SOURCES, None)
        if sources is None:
            sources = config.stash[_SOURCES] = Sources(cwd=config.invocation_params.dir)
        found = sources.environment(setting)
        if found is None:
            ini = config.getini(setting.ini)
            if ini is not None and ini not in ("", []):
                base = config.inipath.parent if config.inipath else config.rootpath
                return Given(ini, setting.ini, base)
            found = sources.in_file(setting)
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None
    if found is None:
        return None
    value = found.value
    if not isinstance(value, bool):  # as the ini key would: text, or a list of texts
        value = [str(each) for each in value] if isinstance(value, tuple) else str(value)
    return Given(value, found.source, found.base or config.invocation_params.dir)


def _ids(config: pytest.Config, name: str) -> tuple[str, ...]:
    """Rule patterns (comma- or space-separated, repeatable), each matching some rule."""

    found = []
    for chunk in _value(config, name) or ():
        found += [part.strip().upper() for part in chunk.split(",") if part.strip()]
    for pattern in found:
        if problem := no_rule_matches(pattern):
            raise pytest.UsageError(f"--wsgi-{name}: {problem}")
    return tuple(found)


def _settings(config: pytest.Config, target: str) -> Settings:
    profile = str(_value(config, "profile") or "default")
    transport = str(_value(config, "transport") or "both")
    for name, value, allowed in (
        ("profile", profile, PROFILES),
        ("transport", transport, TRANSPORTS),
    ):
        if value not in allowed:  # only an ini value can get here: argparse checks options
            raise pytest.UsageError(f"wsgi_{name}: one of {', '.join(allowed)}, not {value!r}")
    workerinput: dict[str, Any] = getattr(config, "workerinput", {})
    seed_text = str(_value(config, "seed") or "").strip()
    if seed_text:
        try:
            seed = int(seed_text)
        except ValueError:
            raise pytest.UsageError(f"--wsgi-seed: an integer, not {seed_text!r}") from None
    elif "wsgicheck_seed" in workerinput:
        seed = int(workerinput["wsgicheck_seed"])  # the controller's, so all workers agree
    else:
        seed = random.SystemRandom().randrange(1 << 32)
    database = _database(config)
    suite = _value(config, "suite")
    from .results.scope import parse_header

    headers = []
    for text in _value(config, "header") or ():
        try:
            headers.append(parse_header(str(text)))
        except ValueError as exc:
            raise pytest.UsageError(f"--wsgi-header {exc}") from None
    select, ignore = _ids(config, "select"), _ids(config, "ignore")
    if problem := rule_choice_problem(select, ignore):
        raise pytest.UsageError(f"--wsgi-select, --wsgi-ignore: {problem}")
    paths, exclude = _value(config, "path") or (), _value(config, "exclude_path") or ()
    if problem := exclusion_problem(paths, exclude):
        raise pytest.UsageError(f"--wsgi-exclude-path: {problem}")
    return Settings(
        target=target,
        profile=profile,
        seed=seed,
        strict=bool(_value(config, "strict")),
        select=select,
        ignore=ignore,
        paths=tuple(paths),
        headers=tuple(headers),
        exclude_paths=tuple(exclude),
        read_only=bool(_value(config, "read_only")),
        transport=transport,
        database=database,
        suite=True if suite is None else bool(suite),
        timeout=float(_checked(config, "timeout")),
        body_limit=int(_checked(config, "body_limit")),
    )


def _checked(config: pytest.Config, name: str) -> Any:
    """``--wsgi-NAME`` (or its ini key, variable or file key), checked as ``check`` checks
    its option; the setting's default where it is given nowhere."""
    setting = BY_NAME[name]
    value = _value(config, name)
    if value is None:
        return setting.default
    try:
        return setting.kind(value)
    except ValueError as exc:
        raise pytest.UsageError(f"--wsgi-{name.replace('_', '-')}: {exc}") from None


def _database(config: pytest.Config) -> str | None:
    """An absolute folder: an option relative to where pytest was started, an ini value
    relative to the ini file, the default relative to the rootdir."""
    given = config.getoption("wsgi_database")
    if given is not None:
        base = config.invocation_params.dir
    else:
        found = _given(config, "database")
        given = None if found is None else found.value
        base = config.rootpath if found is None or found.base is None else found.base
    if given is None:
        return str(config.rootpath / DEFAULT_DATABASE)
    if str(given).strip().lower() in _OFF:
        return None
    from .explore.exampledb import DatabaseError, absolute, check

    try:
        database = absolute(str(given), base)
        check(database)  # a Redis server out of reach stops pytest before any worker starts
    except DatabaseError as exc:
        raise pytest.UsageError(f"--wsgi-database: {exc}") from None
    return database


def _load(config: pytest.Config, target: str) -> WSGIApp:
    """The app, loaded in pytest's process; a bad TARGET is a usage error."""
    __tracebackhide__ = True  # (from a fixture: the error says all)
    from .drivers.target import load_target
    from .model.errors import TargetError

    try:
        return load_target(target)
    except TargetError as exc:
        raise pytest.UsageError(f"{_app_source(config)}: {exc}") from None


def _tried(config: pytest.Config, settings: Settings) -> WSGIApp | None:
    """Check that the app loads, in a clean process (see :mod:`wsgicheck.explore.loads`):
    None when it does (pytest's process loads it when a test asks for it). One whose import
    ended that process or ran out of time is a usage error. One the clean process refused
    (an import error), or that it could not try, is loaded here, as before, where
    conftest.py may have set up what it needs: a usage error only if that fails too (the
    suite then says its worker could not load it)."""
    from .explore.loads import LoadFailed, try_load

    try:
        try_load(settings.target)
    except LoadFailed as exc:
        if exc.ended:
            raise pytest.UsageError(f"{_app_source(config)}: {exc}") from None
        return _load(config, settings.target)
    return None


def _app_source(config: pytest.Config) -> str:
    """Where the app was named: ``--wsgi-app``, or the variable or file that gave it."""
    found = None if config.getoption("wsgi_app") else _given(config, "app")
    return "--wsgi-app" if found is None else found.source


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def wsgi_app(pytestconfig: pytest.Config) -> WSGIApp:
    """The application named by ``--wsgi-app`` (or the ``wsgi_app`` ini key)."""
    __tracebackhide__ = True  # the error says all; the plugin's source is noise to users
    state = pytestconfig.stash.get(_STATE, None)
    if state is None:
        raise pytest.UsageError("the wsgi_app fixture needs --wsgi-app=module:callable")
    if state.app is None:
        state.app = _load(pytestconfig, state.settings.target)
    return state.app


def _server_config(request: pytest.FixtureRequest) -> ServerConfig | None:
    """The ``@pytest.mark.wsgi_config(...)`` choices of the test, if it has any."""
    __tracebackhide__ = True
    marker = request.node.get_closest_marker("wsgi_config")
    if marker is None:
        return None
    from .core.environ import ServerConfig

    if marker.args:
        raise pytest.UsageError("wsgi_config takes keyword arguments (ServerConfig fields)")
    try:
        return ServerConfig(**marker.kwargs)
    except (TypeError, ValueError) as exc:
        raise pytest.UsageError(f"wsgi_config: {exc}") from None


@pytest.fixture
def wsgi_client(request: pytest.FixtureRequest, wsgi_app: WSGIApp) -> Client:
    """An in-memory :class:`wsgicheck.Client` for the app under test."""
    __tracebackhide__ = True
    from .drivers.client import Client

    return Client(wsgi_app, config=_server_config(request))


@pytest.fixture
def wsgi_server(request: pytest.FixtureRequest, wsgi_app: WSGIApp) -> Iterator[Server]:
    """The app under test served on a free loopback port; ``wsgi_server.url`` to reach it.

    A failure of wsgicheck's own server threads is re-raised in the test that caused it
    (an exception in the app is not one: the server answers it with a 500, as any would).
    """
    __tracebackhide__ = True
    from .drivers.server import live_server

    errors: list[BaseException] = []
    request.node.stash[_SERVER_ERRORS] = errors
    with live_server(wsgi_app, config=_server_config(request), on_error=errors.append) as server:
        yield server
    _raise_server_errors(errors)  # those met after the test body, while shutting down


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail the test whose requests made the live server's threads fail."""
    try:
        return (yield)
    finally:
        errors = item.stash.get(_SERVER_ERRORS, None)
        if errors:
            _raise_server_errors(errors)


def _raise_server_errors(errors: list[BaseException]) -> None:
    __tracebackhide__ = True
    pending, errors[:] = list(errors), []
    if not pending:
        return
    for each in pending:
        note = "(raised in a thread of wsgicheck's live server, the wsgi_server fixture)"
        add_note: Callable[[str], None] | None = getattr(each, "add_note", None)
        if add_note is not None:
            add_note(note)
        else:  # pragma: no cover - Python 3.10: no add_note(); pytest shows __notes__ still
            with contextlib.suppress(AttributeError, TypeError):
                each.__notes__ = [*getattr(each, "__notes__", ()), note]  # type: ignore[attr-defined]
    if len(pending) == 1:
        raise pending[0]
    raise BaseExceptionGroup("wsgicheck's live server failed", pending)
