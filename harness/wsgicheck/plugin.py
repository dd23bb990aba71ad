"""The pytest plugin: ``--wsgi-app`` and fixtures for testing a WSGI app.

Loaded through the ``pytest11`` entry point in every pytest run, so it imports nothing heavy
until a fixture is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .client import Client
    from .core import WSGIApp
    from .server import Server


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wsgi", "wsgicheck: WSGI (PEP 3333) conformance")
    group.addoption(
        "--wsgi-app",
        dest="wsgi_app",
        metavar="TARGET",
        default=None,
        help="the WSGI app under test: module:callable or path/file.py:callable",
    )
    parser.addini("wsgi_app", "the WSGI app under test (as --wsgi-app)", default=None)


def _target(config: pytest.Config) -> str | None:
    value: Any = config.getoption("wsgi_app") or config.getini("wsgi_app")
    return str(value) if value else None


def pytest_report_header(config: pytest.Config) -> str | None:
    target = _target(config)
    return f"wsgicheck: app {target}" if target else None


@pytest.fixture(scope="session")
def wsgi_app(pytestconfig: pytest.Config) -> WSGIApp:
    """The application named by ``--wsgi-app`` (or the ``wsgi_app`` ini key)."""
    __tracebackhide__ = True  # the error says all; the plugin's source is noise to users
    from .errors import TargetError
    from .target import load_target

    target = _target(pytestconfig)
    if target is None:
        raise pytest.UsageError("the wsgi_app fixture needs --wsgi-app=module:callable")
    try:
        return load_target(target)
    except TargetError as exc:
        raise pytest.UsageError(f"--wsgi-app: {exc}") from None


@pytest.fixture
def wsgi_client(wsgi_app: WSGIApp) -> Client:
    """An in-memory :class:`wsgicheck.Client` for the app under test."""
    from .client import Client

    return Client(wsgi_app)


@pytest.fixture
def wsgi_server(wsgi_app: WSGIApp) -> Iterator[Server]:
    """The app under test served on a free loopback port; ``wsgi_server.url`` to reach it."""
    from .server import live_server

    with live_server(wsgi_app) as server:
        yield server
