"""Helpers for the rule tests: load fixtures, run them, collect findings.

A broken fixture (see ``fixtures/broken/README.md``) offers ``app``, ``server(app)`` or
``record()``; :func:`findings_of` runs whichever it offers and returns every finding.
"""

from __future__ import annotations

import gc
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from wsgicheck import Client
from wsgicheck.rules import Exchange, Finding, check_exchange
from wsgicheck.validation import validator

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "fixtures" / "broken"
GOOD = ROOT / "fixtures" / "good"

#: The requests every fixture app is driven with, unless it lists its own.
STANDARD_REQUESTS: list[dict[str, Any]] = [
    {"method": "GET", "target": "/"},
    {"method": "HEAD", "target": "/"},
    {"method": "POST", "target": "/", "form": {"name": "wsgicheck", "q": "é"}},
    {"method": "GET", "target": "/?q=1&x=%25"},
]


def load(path: Path) -> ModuleType:
    """Import a fixture file under a name of its own."""
    name = f"_fixture_{path.parent.name}_{path.stem}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def broken_fixtures() -> list[Path]:
    return sorted(path for path in BROKEN.glob("*.py") if not path.name.startswith("_"))


def good_fixtures() -> list[Path]:
    return sorted(path for path in GOOD.glob("*.py") if not path.name.startswith("_"))


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A conformant app, for broken servers to serve."""
    body = b"Hello world!\n"
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        stream.read(int(length))
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def requests_of(module: ModuleType) -> list[dict[str, Any]]:
    return list(getattr(module, "REQUESTS", STANDARD_REQUESTS))


def findings_of(module: ModuleType) -> list[Finding]:
    """Every finding a fixture produces, whichever way it is meant to be run."""
    if hasattr(module, "record"):
        response, source = module.record()
        return check_exchange(Exchange(response, source=source))
    if hasattr(module, "server"):
        checked = validator(getattr(module, "INNER", hello), collect=True)
        client = Client(module.server(checked))
        for request in requests_of(module):
            client.request(**request)
        gc.collect()
        return list(checked.findings)
    client = Client(module.app)
    found: list[Finding] = []
    for request in requests_of(module):
        found.extend(check_exchange(Exchange(client.request(**request))))
    return found


def exchanges_of_app(app: Any, requests: list[dict[str, Any]]) -> list[Exchange]:
    client = Client(app)
    return [Exchange(client.request(**request)) for request in requests]
