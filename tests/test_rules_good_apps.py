"""The good apps give no finding, MUST or SHOULD, in memory and over a real socket.

Every good app (the seed's four in ``fixtures/``, the rest in ``fixtures/good/``) answers the
standard requests of :mod:`rulekit` under several server choices PEP 3333 leaves open: a
mount prefix, no ``wsgi.file_wrapper``, short reads from ``wsgi.input``, and no
``wsgi.input_terminated`` (so reading past CONTENT_LENGTH would matter).
"""

from __future__ import annotations

import http.client
import threading
import warnings
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode

import pytest

from rulekit import ROOT, STANDARD_REQUESTS, exchanges_of_app, good_fixtures, load
from wsgicheck.core.environ import ServerConfig
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import live_server
from wsgicheck.model.response import Response
from wsgicheck.rules import Exchange, check_exchange, in_sequence

SEEDS = [
    ROOT / "fixtures" / f"{name}.py" for name in ("wsgiapp", "flaskapp", "pyramidapp", "djangoapp")
]
APPS = SEEDS + good_fixtures()

CONFIGS = {
    "default": ServerConfig(),
    "mounted": ServerConfig(script_name="/mount"),
    "no-file-wrapper": ServerConfig(file_wrapper=False),
    "short-reads": ServerConfig(max_read=3),
    "unterminated-input": ServerConfig(input_terminated_always=False),
}

#: Findings a good app is expected to have, by app. The write() app is correct in every
#: respect the PEP makes a MUST, but it uses write(), and "New WSGI applications and
#: frameworks should not use the write() callable if it is possible to avoid doing so": the
#: SHOULD rule APP-AVOID-WRITE flags every use, because a run cannot tell whether it was
#: avoidable (a legacy push-style API) or not. Silencing the rule for write() apps would
#: make it flag nothing; the exemption is for that one rule on that one app, and the test
#: checks it does fire there.
EXPECTED: dict[str, set[str]] = {"writeapp": {"APP-AVOID-WRITE"}}
#: Findings expected only under short reads, by app. WebOb's LimitedLengthFile takes a read
#: of wsgi.input that returns fewer bytes than asked for as the client gone, and raises
#: DisconnectionError out of the app: PEP 3333 lets a server return short reads, so the app
#: lets an error escape that it should trap (APP-TRAP-OWN-ERRORS, a SHOULD).
EXPECTED_UNDER_SHORT_READS: dict[str, set[str]] = {"webobapp": {"APP-TRAP-OWN-ERRORS"}}

#: The path each app answers with 200 (the Django apps serve /hello; the others /).
OK_PATH = {path.stem: "/hello" for path in SEEDS} | {"djangoetagapp": "/hello"}

TIMEOUT = 10.0


def load_app(path: Path) -> ModuleType:
    with warnings.catch_warnings():
        # WebOb (alone, and under Pyramid) still imports the stdlib cgi module.
        warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
        return load(path)


def requests_for(name: str, config: ServerConfig) -> list[dict[str, Any]]:
    """The standard requests (plus the app's 200 path), under the config's mount prefix."""
    requests = [*STANDARD_REQUESTS]
    if name in OK_PATH:
        requests.append({"method": "GET", "target": OK_PATH[name]})
    return [{**each, "target": config.script_name + each["target"]} for each in requests]


def check(name: str, config: ServerConfig, exchanges: list[Exchange]) -> None:
    fired = {finding.rule for ex in exchanges for finding in check_exchange(ex)}
    expected = EXPECTED.get(name, set())
    if config.max_read is not None:
        expected = expected | EXPECTED_UNDER_SHORT_READS.get(name, set())
    assert fired == expected
    page = config.script_name + OK_PATH.get(name, "/")
    ok = [ex for ex in exchanges if ex.method == "GET" and ex.request.target == page]
    assert ok, "the app's own page was not requested"
    for ex in exchanges:
        assert ex.response.complete, f"{ex.method} {ex.request.target} did not complete"
    assert all(ex.response.status_code == 200 and ex.response.body for ex in ok)
    module = load_app(next(path for path in APPS if path.stem == name))
    if hasattr(module, "OPEN"):
        assert not module.OPEN, "the server left an iterable unclosed"


@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("path", APPS, ids=[path.stem for path in APPS])
def test_a_good_app_has_no_findings_in_memory(path: Path, config_name: str) -> None:
    config = CONFIGS[config_name]
    module = load_app(path)
    exchanges = exchanges_of_app(module.app, requests_for(path.stem, config), config)
    check(path.stem, config, exchanges)


class _Records:
    """``on_exchange`` records arriving from the server's worker threads."""

    def __init__(self) -> None:
        self.records: list[Response] = []
        self._cond = threading.Condition()

    def __call__(self, record: Response) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def wait(self, count: int) -> list[Response]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.records) >= count, timeout=TIMEOUT)
            return list(self.records)


def _send(connection: http.client.HTTPConnection, request: dict[str, Any]) -> None:
    headers: dict[str, str] = {}
    body = None
    if "form" in request:
        body = urlencode(request["form"]).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.request(request["method"], request["target"], body=body, headers=headers)
    response = connection.getresponse()
    response.read()


@pytest.mark.parametrize("config_name", list(CONFIGS))
@pytest.mark.parametrize("path", APPS, ids=[path.stem for path in APPS])
def test_a_good_app_has_no_findings_over_a_socket(path: Path, config_name: str) -> None:
    config = CONFIGS[config_name]
    module = load_app(path)
    requests = requests_for(path.stem, config)
    records = _Records()
    limits = replace(Limits(), capture_limit=1 << 20)
    with live_server(module.app, config=config, on_exchange=records, limits=limits) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
        try:
            for request in requests:
                _send(connection, request)
        finally:
            connection.close()
        got = records.wait(len(requests))
    assert [record.request.method for record in got] == [each["method"] for each in requests]
    check(path.stem, config, list(in_sequence([Exchange(r, source="socket") for r in got])))
