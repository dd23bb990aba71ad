"""``wsgicheck.validator`` as a drop-in for ``wsgiref.validate.validator`` (issue 13 §4).

Proved where the stdlib's validator is used: CPython's own ``test_wsgiref`` runs with
``validator`` replaced by wsgicheck's, and the failing tests are exactly a documented list,
each failing for its documented reason; wsgiref's handler (``SimpleHandler``, and
``simple_server`` over a real socket) survives every kind of finding; WebTest's ``TestApp``
and Werkzeug's test ``Client`` (and wsgicheck's own) over ``validator(app)`` see nothing from the
good apps and the fixture's own rule from each broken one, raised or warned by its level.
"""

from __future__ import annotations

import gc
import http.client
import io
import re
import threading
import unittest
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlencode
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import WSGIRequestHandler, make_server
from wsgiref.util import setup_testing_defaults

import pytest
import webtest
import werkzeug.test

import wsgicheck
from rulekit import broken_fixtures, load, requests_of
from test_rules_good_apps import APPS, OK_PATH, load_app, requests_for
from wsgicheck import Client, WSGIViolation, WSGIWarning
from wsgicheck.core.environ import ServerConfig
from wsgicheck.rules import REGISTRY, Exchange, Level, check_exchange
from wsgicheck.rules.engine import HISTORY

test_wsgiref: Any = pytest.importorskip(
    "test.test_wsgiref", reason="this interpreter ships without CPython's test package"
)

# -- CPython's test_wsgiref ---------------------------------------------------------------------

#: Why wsgiref.validate's validator keeps the iterable's len() from the server, and ours not.
_LEN_KEPT = (
    "wsgicheck.validator keeps the iterable's len() visible, so wsgiref's handler adds "
    "Content-Length (a server may: PEP 3333 'Handling the Content-Length Header'); "
    "wsgiref.validate hides it, and the test asserts the response without the field"
)
_WORDING = (
    "asserts wsgiref.validate's own message text; wsgicheck's names the rule "
    "(APP-HEADERS-LIST, with the other findings of the call as notes)"
)
_READ_NO_ARGUMENT = (
    "asserts wsgiref.validate's refusal of wsgi.input.read() without an argument; PEP 3333 "
    "allows it ('A server should allow read() to be called without an argument'), so "
    "wsgicheck has no finding and the app answers 200"
)

#: test_wsgiref's tests that fail with wsgicheck.validator, each with (a pattern its failure
#: shows, the reason). The mock server of the test module binds to "", so SERVER_NAME is
#: empty: a true finding (ENV-SERVER-NAME, "must never be empty") that wsgiref.validate does
#: not check; it is raised after the body (wsgiref logs it, the response is complete).
EXPECTED_FAILURES: dict[str, tuple[str, str]] = {
    "test_validated_hello": ("Content-Length: 13", _LEN_KEPT),
    "test_cp1252_url": ("Content-Length: 3", _LEN_KEPT),
    "test_bytes_validation": (
        r"err\.endswith",
        "the mock server's empty SERVER_NAME (ENV-SERVER-NAME) is raised after the body: "
        "wsgiref logs its traceback where the test expects the access-log line last",
    ),
    "test_simple_validation_error": (r"wsgicheck\.validator: ", _WORDING),
    "test_wsgi_input": (r"out\.endswith", _READ_NO_ARGUMENT),
}
#: The same, with the mock server given a SERVER_NAME ("localhost"), as a real
#: ``HTTPServer.server_bind`` sets it (``socket.getfqdn``): only wsgiref's wording and
#: wsgiref-specific behaviour remain.
EXPECTED_FAILURES_NAMED: dict[str, tuple[str, str]] = {
    **EXPECTED_FAILURES,
    "test_bytes_validation": ("Content-Length: 4", _LEN_KEPT),
}


def run_test_wsgiref() -> dict[str, str]:
    """Run CPython's test_wsgiref; the failing tests' names and failure texts."""
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_wsgiref)
    result = unittest.TestResult()
    with warnings.catch_warnings(record=True):  # CPython's test runner does not error on them
        warnings.simplefilter("always")
        suite.run(result)
    assert result.testsRun >= 30
    return {test.id().rpartition(".")[2]: text for test, text in result.failures + result.errors}


def test_test_wsgiref_passes_with_the_stdlib_validator() -> None:
    assert run_test_wsgiref() == {}


@pytest.mark.parametrize("named", [False, True], ids=["as-shipped", "server-named"])
def test_test_wsgiref_with_wsgicheck_validator(
    monkeypatch: pytest.MonkeyPatch, named: bool
) -> None:
    monkeypatch.setattr(test_wsgiref, "validator", wsgicheck.validator)
    if named:

        class NamedMockServer(test_wsgiref.MockServer):  # type: ignore[misc, name-defined]
            def server_bind(self) -> None:
                super().server_bind()
                self.server_name = "localhost"
                self.setup_environ()

        monkeypatch.setattr(test_wsgiref, "MockServer", NamedMockServer)
    failed = run_test_wsgiref()
    expected = EXPECTED_FAILURES_NAMED if named else EXPECTED_FAILURES
    assert set(failed) == set(expected)
    for name, (pattern, _reason) in expected.items():
        assert re.search(pattern, failed[name]), (name, failed[name])
        # Never a crash of wsgiref's handler, never a type but AssertionError.
        assert "TypeError" not in failed[name]


# -- wsgiref's handler, in memory and over a socket --------------------------------------------


def short_body(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Declares 10 bytes and sends 5: APP-CL-ACCURATE, known only once the body has ended."""
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"short"]


class Closing:
    """An iterable with close(): the server calls it at the end (after the judging)."""

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.blocks)

    def close(self) -> None:
        pass


def short_closing(environ: dict[str, Any], start_response: Callable[..., Any]) -> Closing:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return Closing([b"short"])


def raises_key_error(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    raise KeyError("boom")


def start_response(status: str, headers: Any, exc_info: Any = None) -> Callable[[bytes], None]:
    return lambda data: None


def handle(app: Any) -> tuple[bytes, str]:
    """One request through wsgiref's SimpleHandler; what it sent and what it logged."""
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    out, err = io.BytesIO(), io.StringIO()
    handler = SimpleHandler(io.BytesIO(), out, err, environ)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        handler.run(app)  # a broken handler raises out of here (TypeError, before)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("app", [short_body, short_closing], ids=["list", "with-close"])
def test_a_finding_at_the_end_leaves_wsgirefs_handler_whole(app: Any) -> None:
    out, err = handle(wsgicheck.validator(app))
    assert out.endswith(b"\r\n\r\nshort")  # the app's response, sent as it was
    assert out.count(b"HTTP/1.0 ") == 1  # and no second response after it
    assert "wsgicheck.drivers.validation.WSGIViolation: APP-CL-ACCURATE:" in err
    assert "TypeError" not in err


def test_the_apps_own_exception_reaches_wsgirefs_handler_unchanged() -> None:
    out, err = handle(wsgicheck.validator(raises_key_error))
    assert out.startswith(b"HTTP/1.0 500 ")
    last = err.strip().splitlines()
    assert "KeyError: 'boom'" in last
    assert "WSGIViolation" not in err
    assert any(line.startswith("wsgicheck.validator: APP-TRAP-OWN-ERRORS: ") for line in last)


def test_the_apps_own_exception_carries_the_findings_as_notes() -> None:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    environ["SERVER_NAME"] = ""  # a MUST finding about the server, on top
    with pytest.raises(KeyError) as raised:
        wsgicheck.validator(raises_key_error)(environ, start_response)
    notes = getattr(raised.value, "__notes__", [])
    rules = {note.split(": ")[1] for note in notes}
    assert rules == {"APP-TRAP-OWN-ERRORS", "ENV-SERVER-NAME"}


def measured_by(raised: type[Exception]) -> Callable[..., Any]:
    """An app whose iterable's ``len()`` raises ``raised``; it iterates well."""

    class Measured:
        def __len__(self) -> int:
            raise raised("no length")

        def __iter__(self) -> Any:
            return iter([b"body"])

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return Measured()

    return app


@pytest.mark.parametrize(
    ("raised", "found"),
    [(TypeError, set()), (NotImplementedError, set()), (ValueError, {"APP-TRAP-OWN-ERRORS"})],
)
def test_a_len_that_raises_is_read_as_the_core_reads_it(
    raised: type[Exception], found: set[str]
) -> None:
    """TypeError, AttributeError and NotImplementedError from ``len()`` say there is no
    length (as wsgiref's handler reads them); any other is the app's error, recorded by the
    validator as by the core, and met by the server as it would meet it without the
    validator (wsgiref's handler answers 500)."""
    app = measured_by(raised)
    checked = wsgicheck.validator(app, collect=True)
    out, _ = handle(checked)
    bare_out, _ = handle(app)
    assert out.split(b"\r\n", 1)[0] == bare_out.split(b"\r\n", 1)[0]
    assert out.startswith(b"HTTP/1.0 500 " if found else b"HTTP/1.0 200 ")
    assert {finding.rule for finding in checked.findings} == found
    in_core = {f.rule for f in check_exchange(Exchange(Client(app).get("/")))}
    assert in_core == found


class QuietHandler(WSGIRequestHandler):
    """wsgiref's request handler, its access log and error output kept for the test."""

    log: list[str] = []  # noqa: RUF012 - one list per test, set by the test

    def log_message(self, format: str, *args: Any) -> None:
        self.log.append(format % args)

    def get_stderr(self) -> Any:
        return _StderrLog(self.log)


class _StderrLog(io.StringIO):
    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self._log = log

    def write(self, text: str) -> int:
        self._log.append(text)
        return len(text)


def test_wsgirefs_server_answers_on_after_an_end_of_request_finding() -> None:
    QuietHandler.log = []
    server = make_server(
        "127.0.0.1", 0, wsgicheck.validator(short_closing), handler_class=QuietHandler
    )
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    serving.start()
    try:
        port = server.server_address[1]
        for _ in range(2):  # the second request shows the server is still answering
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            assert response.read(5) == b"short"
            connection.close()
    finally:
        server.shutdown()
        server.server_close()
        serving.join(10)
    logged = "".join(QuietHandler.log)
    assert logged.count("WSGIViolation: APP-CL-ACCURATE:") == 2
    assert "TypeError" not in logged


# -- wsgicheck's own Client ---------------------------------------------------------------------


def test_client_raises_the_violation_to_the_test() -> None:
    with pytest.raises(WSGIViolation) as raised:
        Client(wsgicheck.validator(short_body)).get("/")
    assert raised.value.rule == "APP-CL-ACCURATE"
    assert isinstance(raised.value, AssertionError)


def test_client_raises_a_violation_made_at_the_call() -> None:
    def tuple_headers(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", (("Content-Type", "text/plain"),))
        return [b"ok"]

    with pytest.raises(WSGIViolation) as raised:
        Client(wsgicheck.validator(tuple_headers)).get("/")
    assert raised.value.rule == "APP-HEADERS-LIST"


def empty_range(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """A 206 to ``Range: bytes=-0``, which no byte satisfies: APP-206-RANGE-ASKED (a SHOULD)."""
    start_response(
        "206 Partial Content",
        [("Content-Type", "text/plain"), ("Content-Range", "bytes 0-4/5"), ("Content-Length", "5")],
    )
    return environ["wsgi.file_wrapper"](io.BytesIO(b"hello"))


def test_client_raises_a_warning_the_filters_made_an_error() -> None:
    """A trial of 2026-12-06: under ``-W error`` a SHOULD's warning, raised through the app,
    came back as a 500 whose body said "The application failed: WSGIWarning."; it reaches the
    test as the WSGIWarning, as a violation does."""
    client = Client(wsgicheck.validator(empty_range))
    with warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        with pytest.raises(WSGIWarning) as raised:
            client.get("/", headers={"Range": "bytes=-0"})
    assert raised.value.rule == "APP-206-RANGE-ASKED"
    with pytest.warns(WSGIWarning, match="^APP-206-RANGE-ASKED: "):
        assert client.get("/", headers={"Range": "bytes=-0"}).status_code == 206


class ClosingBody:
    def __iter__(self) -> Iterator[bytes]:
        yield b"hi"

    def close(self) -> None:
        pass


def closing_body(environ: dict[str, Any], start_response: Callable[..., Any]) -> ClosingBody:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ClosingBody()


def test_a_finding_made_where_nothing_may_raise_is_unraisable_under_error_filters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A trial of 2026-12-06: a finding made at garbage collection (a body never closed) was
    warned, and dropped where the filters made the warning an error: strict filters showed
    less than loose ones. It goes to ``sys.unraisablehook`` now, which pytest fails the test
    for under the same filters."""
    hooked: list[BaseException | None] = []
    monkeypatch.setattr(
        "sys.unraisablehook", lambda unraisable: hooked.append(unraisable.exc_value)
    )
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    with warnings.catch_warnings():
        warnings.simplefilter("error", WSGIWarning)
        result = wsgicheck.validator(closing_body)(environ, lambda *args: lambda data: None)
        assert list(result) == [b"hi"]
        del result  # never closed: SRV-CLOSE-CALLED, found where nothing may raise
        gc.collect()
    [exc] = hooked
    assert isinstance(exc, WSGIWarning)
    assert exc.rule == "SRV-CLOSE-CALLED"


def test_a_warning_made_again_from_its_text_keeps_its_rule() -> None:
    """pytest-xdist makes a worker's warning again in the controller as ``cls(*args)``."""
    with pytest.warns(WSGIWarning) as caught:
        Client(wsgicheck.validator(empty_range)).get("/", headers={"Range": "bytes=-0"})
    [shown] = caught
    assert isinstance(shown.message, WSGIWarning)
    again = WSGIWarning(*shown.message.args)
    assert (again.rule, str(again), again.finding) == (
        "APP-206-RANGE-ASKED",
        str(shown.message),
        None,
    )


def test_a_server_calling_with_three_arguments_is_an_assertion_naming_the_rule() -> None:
    environ: dict[str, Any] = {}
    setup_testing_defaults(environ)
    with pytest.raises(WSGIViolation) as raised:
        wsgicheck.validator(short_body)(environ, start_response, None)
    assert raised.value.rule == "SRV-INVOKE-POSITIONAL"
    collecting = wsgicheck.validator(short_body, collect=True)
    with pytest.raises(TypeError):
        collecting(environ, start_response, None)
    assert [finding.rule for finding in collecting.findings] == ["SRV-INVOKE-POSITIONAL"]


def head_from_a_shortcut(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """HEAD answered with another Content-Type than GET's (APP-HEAD-LIKE-GET)."""
    kind = "text/html" if environ["REQUEST_METHOD"] == "HEAD" else "text/plain"
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", "6")])
    return [] if environ["REQUEST_METHOD"] == "HEAD" else [b"hello\n"]


def test_the_validator_judges_a_head_beside_the_gets_it_saw_before() -> None:
    checked = wsgicheck.validator(head_from_a_shortcut, collect=True)
    client = Client(checked)
    for method in ("GET", "HEAD", "GET"):
        client.request(method, "/")
    assert {finding.rule for finding in checked.findings} == {"APP-HEAD-LIKE-GET"}
    # Another target asked between the HEAD and the GET does not hide the HEAD.
    mixed = wsgicheck.validator(head_from_a_shortcut, collect=True)
    for method, target in (("GET", "/"), ("HEAD", "/"), ("GET", "/other"), ("GET", "/")):
        Client(mixed).request(method, target)
    assert [finding.rule for finding in mixed.findings] == ["APP-HEAD-LIKE-GET"]
    # Each validator has a history of its own: another one has seen no GET before the HEAD.
    other = wsgicheck.validator(head_from_a_shortcut, collect=True)
    for method in ("HEAD", "GET"):
        Client(other).request(method, "/")
    assert other.findings == []


def test_the_validators_history_is_bounded_and_links_no_chain() -> None:
    checked = wsgicheck.validator(short_body, collect=True, select=["APP-HEAD-LIKE-GET"])
    client = Client(checked)
    for _ in range(HISTORY + 3):
        client.get("/")
    past = list(checked._past)
    assert len(past) == HISTORY
    # A kept exchange holds no history of its own, so nothing older stays alive.
    assert [each.history for each in past] == [()] * HISTORY


# -- WebTest, Werkzeug's test client and wsgicheck's Client ----------------------------------------


def via_webtest(app: Any, request: dict[str, Any]) -> None:
    client = webtest.TestApp(app)
    target, method, headers = request["target"], request["method"], request.get("headers", {})
    # expect_errors: WebTest fails a test whose app writes to wsgi.errors (two good apps do)
    if "form" in request:
        client.post(target, urlencode(request["form"]), headers=headers, expect_errors=True)
    else:
        client.request(target, method=method, headers=headers, expect_errors=True)


def via_werkzeug(app: Any, request: dict[str, Any]) -> None:
    client = werkzeug.test.Client(app)
    response = client.open(
        request["target"],
        method=request["method"],
        headers=request.get("headers"),
        data=request.get("form"),
    )
    try:
        response.get_data()  # the body, to its end
    finally:
        response.close()


def via_wsgicheck(app: Any, request: dict[str, Any]) -> None:
    Client(app).request(**request)


CLIENTS = {"webtest": via_webtest, "werkzeug": via_werkzeug, "wsgicheck": via_wsgicheck}


def drive(
    client: str, app: Any, requests: list[dict[str, Any]]
) -> tuple[set[tuple[str, str]], list[str]]:
    """Each request through ``client``: the findings that reached the test, as ("raised" or
    "warned", rule), and the types of the other exceptions (the app's own, the client's)."""
    reached: set[tuple[str, str]] = set()
    others: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for request in requests:
            try:
                CLIENTS[client](app, request)
            except WSGIViolation as violation:
                reached.add(("raised", violation.rule))
            except Exception as exc:
                others.append(type(exc).__name__)
        gc.collect()  # an iterable never closed is judged now (SRV-CLOSE-CALLED), not later
    for warning in caught:
        if isinstance(warning.message, WSGIWarning):
            reached.add(("warned", warning.message.rule))
    return reached, others


#: What the good apps show through each client. Werkzeug's test client re-raises any
#: exc_info given to start_response, even before a body has gone out (PEP 3333: it "should
#: replace the currently-stored HTTP response headers"), so excinfoapp's own ValueError
#: reaches the test and the validator warns SRV-EXC-INFO-REPLACE: a finding about Werkzeug.
GOOD_EXPECTED = {("excinfoapp", "werkzeug"): {("warned", "SRV-EXC-INFO-REPLACE")}}
GOOD_EXCEPTIONS = {("excinfoapp", "werkzeug"): ["ValueError"]}
GOOD_WARNED = {"writeapp": {("warned", "APP-AVOID-WRITE")}}  # see test_rules_good_apps


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("path", APPS, ids=[path.stem for path in APPS])
def test_good_apps_through_test_clients(path: Path, client: str) -> None:
    module = load_app(path)
    requests = requests_for(path.stem, ServerConfig())
    reached, others = drive(client, wsgicheck.validator(module.app), requests)
    key = (path.stem, client)
    assert reached == GOOD_EXPECTED.get(key, set()) | GOOD_WARNED.get(path.stem, set())
    assert others == GOOD_EXCEPTIONS.get(key, [])
    assert path.stem not in OK_PATH or requests[-1]["target"] == OK_PATH[path.stem]


class _Closing:
    """An empty body with a close()."""

    def __iter__(self) -> Iterator[bytes]:
        return iter([])

    def close(self) -> None:
        pass


def _unquoted_etag(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    start_response("416 Range Not Satisfiable", [("ETag", "abc"), ("Content-Length", "0")])
    return _Closing()


def test_a_close_never_called_after_the_validators_violation_says_so() -> None:
    """An app trial of 2026-12-07 (httpbin under Werkzeug's test client): the validator
    raised APP-ETAG-SYNTAX from the iteration, inside ``Client.open()``, which then never
    closes the iterable; SRV-CLOSE-CALLED came at garbage collection, in a later test, and
    named neither the request nor the violation before it."""
    client = werkzeug.test.Client(wsgicheck.validator(_unquoted_etag))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(WSGIViolation) as raised:
            client.get("/range/10")
        del raised  # its traceback holds the iterable
        gc.collect()
    assert [str(each.message) for each in caught] == [
        "SRV-CLOSE-CALLED: the iterable has close(); the server never called it (the iterable "
        "of GET /range/10, which had raised wsgicheck.validator's APP-ETAG-SYNTAX to it: PEP "
        "3333 owes close() to a request terminated early by an error during iteration too)"
    ]


#: Broken app fixtures whose rule a validator under any test client cannot show.
NOT_SHOWN = {
    "APP-REINVOKABLE": "compares two exchanges of one request (the runner's replay, "
    "Exchange.previous); a validator links the exchanges it sees only as the history the "
    "rules over pairs read",
}
#: The same, for one client and a reason of its own.
NOT_SHOWN_BY = {
    ("APP-CONTENT-TYPE", "webtest"): "WebTest's own lint (webtest.lint.check_content_type) "
    "refuses the call, raising AssertionError from start_response: the response never "
    "exists for the validator to judge",
    ("APP-FILELIKE-READ", "webtest"): "WebTest offers no wsgi.file_wrapper: the app never calls it",
    ("APP-FILELIKE-READ", "werkzeug"): "Werkzeug's test client offers no wsgi.file_wrapper",
    ("APP-NO-TRAP-SR-EXC", "webtest"): "WebOb's start_response (catch_exc_info=True) "
    "accepts a late exc_info instead of raising; the validator reports that server "
    "(SRV-EXC-INFO-RAISE), and the app has nothing to trap",
    ("APP-CL-ACCURATE", "wsgicheck"): "wsgicheck's core stops iterating at the declared "
    "Content-Length (PEP 3333 lets it), so the validator inside never sees the body end; "
    "Client(app) itself reports the rule",
    ("APP-INPUT-NO-READ-PAST-CL", "wsgicheck"): "Client sets wsgi.input_terminated, under "
    "which reading wsgi.input to its end is allowed",
}
#: Findings besides the fixture's rule, by (fixture, client), all true. APP-AVOID-WRITE:
#: the fixture uses write(). On
#: Werkzeug, SRV-CLOSE-CALLED: its test client does not close the iterable when iteration
#: raises (the validator's violation), a MUST of the server's, warned at garbage collection.
ALSO_REACHED: dict[tuple[str, str], set[tuple[str, str]]] = {
    ("app_no_trap_sr_exc", "webtest"): {("raised", "SRV-EXC-INFO-RAISE")},
    ("app_no_write_from_iter", "webtest"): {("warned", "APP-AVOID-WRITE")},
    ("app_no_write_from_iter", "werkzeug"): {
        ("warned", "APP-AVOID-WRITE"),
        ("warned", "SRV-CLOSE-CALLED"),
    },
    ("app_sr_before_body", "werkzeug"): {("warned", "SRV-CLOSE-CALLED")},
    ("app_write_bytes", "webtest"): {("warned", "APP-AVOID-WRITE")},
    ("app_write_bytes", "werkzeug"): {("warned", "APP-AVOID-WRITE")},
    ("app_no_write_from_iter", "wsgicheck"): {("warned", "APP-AVOID-WRITE")},
    ("app_write_bytes", "wsgicheck"): {("warned", "APP-AVOID-WRITE")},
    # For a GET, the core sends the one block len() announced and stops there: the block
    # past it shows only when close() is judged, and is warned.
    ("app_len_accurate", "wsgicheck"): {("warned", "APP-LEN-ACCURATE")},
}


#: MUST rules whose finding comes with an exception of the app's own: that exception goes
#: on to the test unchanged, and the finding is warned (and noted on it), not raised.
WITH_THE_APPS_ERROR = {"APP-CALLABLE-TWO-POSITIONAL": "the app's TypeError, on being called"}


def _app_fixtures() -> list[Path]:
    """The broken fixtures that are apps, but for the harness's own rules (its server's)."""
    return [
        path
        for path in broken_fixtures()
        if hasattr(load(path), "app") and not path.stem.startswith("harness_")
    ]


APP_FIXTURES = _app_fixtures()


@pytest.mark.parametrize("client", list(CLIENTS))
@pytest.mark.parametrize("path", APP_FIXTURES, ids=[path.stem for path in APP_FIXTURES])
def test_broken_apps_through_test_clients(path: Path, client: str) -> None:
    module: ModuleType = load(path, fresh=True)
    rule = module.RULE
    reached, _ = drive(client, wsgicheck.validator(module.app), requests_of(module))
    must = REGISTRY[rule].level is Level.MUST and rule not in WITH_THE_APPS_ERROR
    form = "raised" if must else "warned"
    shown = rule not in NOT_SHOWN and (rule, client) not in NOT_SHOWN_BY
    own = {(form, rule)} if shown else set()
    assert reached == own | ALSO_REACHED.get((path.stem, client), set())
