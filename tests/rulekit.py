"""Helpers for the rule tests: load fixtures, run them, collect findings.

A broken fixture (see ``fixtures/broken/README.md``) offers ``app``, ``server(app)`` or
``record()``; :func:`findings_of` runs whichever it offers and returns every finding. An
``app`` fixture may set ``REQUESTS`` (a request listed twice is replayed: the second exchange
gets the first as ``previous``) and ``CONFIG`` (the :class:`~wsgicheck.ServerConfig`).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from wsgicheck import Client
from wsgicheck.core.environ import ServerConfig
from wsgicheck.drivers.validation import validator
from wsgicheck.rules import Exchange, Finding, check_exchange, in_sequence

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


def load(path: Path, *, fresh: bool = False) -> ModuleType:
    """Import a fixture file under a name of its own.

    ``fresh`` runs a new copy, not kept in ``sys.modules``: a fixture with state (one that
    breaks on its second call) then starts from scratch without disturbing other tests.
    """
    name = f"_fixture_{path.parent.name}_{path.stem}"
    if name in sys.modules and not fresh:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    if not fresh:
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
        response, source, *rest = module.record()
        extra = rest[0] if rest else None
        return check_exchange(Exchange(response, source=source, extra=extra))
    if hasattr(module, "server"):
        checked = validator(getattr(module, "INNER", hello), collect=True)
        client = Client(module.server(checked))
        for request in requests_of(module):
            client.request(**request)
        gc.collect()
        return list(checked.findings)
    found: list[Finding] = []
    for exchange in exchanges_of_app(
        module.app, requests_of(module), getattr(module, "CONFIG", None)
    ):
        found.extend(check_exchange(exchange))
    return found


def exchanges_of_app(
    app: Any, requests: list[dict[str, Any]], config: ServerConfig | None = None
) -> list[Exchange]:
    """One exchange per request, each with the earlier ones as its ``history`` (so HEAD / is
    judged beside GET /); a repeated request gets the earlier one as ``previous``."""
    client = Client(app, config=config)
    earlier: dict[str, Exchange] = {}
    exchanges = []
    for request in requests:
        key = repr(sorted(request.items()))
        exchange = Exchange(client.request(**request), previous=earlier.get(key))
        earlier[key] = exchange
        exchanges.append(exchange)
    in_sequence(exchanges)
    return exchanges


def python_replay(code: str, cwd: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """A report's Python replay run as printed, in an interpreter of its own, in ``cwd``."""
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check_json(target: str, *options: str) -> dict[str, Any]:
    """The JSON report of ``wsgicheck check TARGET`` run as a user runs it (a process of its
    own, no example database), from the repository's root; it must exit 0 or 1."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsgicheck",
            "check",
            target,
            "--no-database",
            *options,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report
