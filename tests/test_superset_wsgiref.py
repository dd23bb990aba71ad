"""wsgicheck flags every broken app that ``wsgiref.validate`` flags (a superset of the stdlib).

Each broken fixture of the ``app`` kind runs under ``wsgiref.validate.validator`` with
environs from ``wsgiref.util.setup_testing_defaults`` for its requests, served by a small
recording server that consumes and closes the iterable. wsgiref flags a fixture when it
raises an ``AssertionError`` or warns a ``WSGIWarning``; wsgicheck flags it when any rule
finds anything. The README states the counts; a test keeps them in step.
"""

from __future__ import annotations

import functools
import io
import re
import warnings
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import WSGIWarning, validator

import pytest

from rulekit import ROOT, STANDARD_REQUESTS, broken_fixtures, findings_of, hello, load, requests_of

APP_FIXTURES = [path for path in broken_fixtures() if hasattr(load(path), "app")]


def environ_for(request: dict[str, Any]) -> dict[str, Any]:
    """The environ of one rulekit request, completed by ``setup_testing_defaults``."""
    path, _, query = request["target"].partition("?")
    body = urlencode(request["form"]).encode() if "form" in request else b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in dict(request.get("headers", {})).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    if body:
        environ["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        environ["CONTENT_LENGTH"] = str(len(body))
    setup_testing_defaults(environ)
    return environ


#: A server may close the iterable before it ends (PEP 3333); this one does past 1 MiB, so
#: an app whose body never ends (HARNESS-BODY-LIMIT's) does not hang the test.
BODY_LIMIT = 1 << 20


def serve(app: Any, environ: dict[str, Any]) -> None:
    """Play a plain server: start_response records, the body is consumed, close() called."""
    state = {"sent": False}
    size = 0

    def write(data: bytes) -> None:
        state["sent"] = state["sent"] or bool(data)

    def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        if exc_info is not None and state["sent"]:
            raise exc_info[1].with_traceback(exc_info[2])
        return write

    result = app(environ, start_response)
    try:
        for block in result:
            write(block)
            size += len(block)
            if size > BODY_LIMIT:
                break
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def wsgiref_flags(module: ModuleType) -> bool:
    """Whether ``wsgiref.validate`` reports anything on any of the fixture's requests."""
    checked = validator(module.app)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for request in requests_of(module):
            try:
                serve(checked, environ_for(request))
            except AssertionError:
                return True
            except Exception:
                continue  # the app failed on its own: not a verdict of wsgiref's
    return any(issubclass(warning.category, WSGIWarning) for warning in caught)


@functools.cache
def verdicts() -> dict[str, tuple[bool, bool]]:
    """(wsgiref flags it, wsgicheck flags it) for every broken app fixture."""
    # Fresh copies: a fixture with state (APP-REINVOKABLE's) must start from scratch.
    return {
        path.stem: (
            wsgiref_flags(load(path, fresh=True)),
            bool(findings_of(load(path, fresh=True))),
        )
        for path in APP_FIXTURES
    }


@pytest.mark.parametrize("request_", STANDARD_REQUESTS, ids=lambda request: request["method"])
def test_the_driver_serves_a_good_app_without_complaint(request_: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        serve(validator(hello), environ_for(request_))


def test_wsgicheck_flags_every_fixture_wsgiref_flags() -> None:
    results = verdicts()
    assert any(stdlib for stdlib, _ in results.values()), "wsgiref flagged nothing: driver broken?"
    missed = sorted(name for name, (stdlib, ours) in results.items() if stdlib and not ours)
    assert missed == []


def test_the_readme_states_the_counts() -> None:
    results = verdicts()
    total = len(results)
    by_wsgiref = sum(1 for stdlib, _ in results.values() if stdlib)
    only_wsgicheck = sum(1 for stdlib, ours in results.values() if ours and not stdlib)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"Of the (\d+) broken app fixtures, `wsgiref.validate` flags (\d+); wsgicheck flags "
        r"every one of those, and (\d+) that `wsgiref.validate` does not\.",
        " ".join(readme.split()),
    )
    sentence = (
        f"Of the {total} broken app fixtures, `wsgiref.validate` flags {by_wsgiref}; wsgicheck "
        f"flags every one of those, and {only_wsgicheck} that `wsgiref.validate` does not."
    )
    assert match is not None, f"the README lost its superset sentence: {sentence}"
    counts = tuple(map(int, match.groups()))
    assert counts == (total, by_wsgiref, only_wsgicheck), f"README.md should say: {sentence}"
