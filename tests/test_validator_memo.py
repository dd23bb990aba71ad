"""The validator's remembered verdicts: a request judged again gets the verdict it got."""

from __future__ import annotations

import io
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from typing import Any
from wsgiref.util import setup_testing_defaults

from wsgicheck import validator
from wsgicheck.rules import engine
from wsgicheck.rules.http_evidence import compared_at


class _Text(str):
    """A str of the app's own type: it has no raw view, so it is judged afresh."""


def _yielding(value: object) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[object]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [value]

    return app


def _write(data: bytes) -> None:
    pass


def _serve(wrapped: Callable[..., Any], method: str = "GET", path: str = "/") -> None:
    environ: dict[str, Any] = {"wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    environ["REQUEST_METHOD"] = method
    environ["PATH_INFO"] = path
    result = wrapped(environ, lambda status, headers, exc_info=None: _write)
    try:
        list(result)
    finally:
        result.close()


def test_values_equal_in_python_get_their_own_verdicts_each_time() -> None:
    # True == 1 == 1.0, but the findings name their types: the views the validator keys
    # the engine's memo by keep them apart, on the first request and on the repeats.
    engine.forget()
    cases = (
        (True, "bool True"),
        (1, "int 1"),
        (1.0, "float 1.0"),
        (_Text("a"), "_Text <_Text object>"),
    )
    for _ in range(3):
        for value, shown in cases:
            checked = validator(_yielding(value), collect=True)
            _serve(checked)
            _serve(checked)
            messages = [f.message for f in checked.findings if f.rule == "APP-YIELD-BYTES"]
            assert messages == [f"the iterable yielded {shown}"] * 2


def test_a_good_request_repeated_finds_nothing_each_time() -> None:
    engine.forget()
    checked = validator(_yielding(b"hello"), collect=True)
    for _ in range(engine.HISTORY + 8):  # past the history the rules over pairs look back on
        _serve(checked)
    assert checked.findings == []


def _by_method(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Answers HEAD with another Content-Type than GET (APP-HEAD-LIKE-GET)."""
    kind = "text/html" if environ["REQUEST_METHOD"] == "HEAD" else "text/plain"
    start_response("200 OK", [("Content-Type", kind)])
    return [b"hello"]


def test_a_request_found_quiet_before_is_still_judged_beside_a_head_to_its_target() -> None:
    # GET / is quiet and remembered as such; after a HEAD to /, the next GET / is judged
    # beside it again (GET, HEAD, GET), and the HEAD's other Content-Type is found.
    engine.forget()
    checked = validator(_by_method, collect=True)
    for method in ("GET", "GET", "GET", "HEAD", "GET", "GET"):
        _serve(checked, method)
    assert [f.rule for f in checked.findings] == ["APP-HEAD-LIKE-GET"]


def test_the_targets_compared_at_follow_the_history_as_it_moves_on() -> None:
    # The validator counts the HEADs (and GETs answered 304) of its history by target, to
    # tell at once whether the history bears on a request: the counts must be the
    # history's own as exchanges fall off its far end.
    engine.forget()
    checked = validator(_by_method, collect=True)
    for n in range(90):
        _serve(checked, "HEAD" if n % 3 == 0 else "GET", f"/{n % 7}")
        expected = Counter(
            target for each in checked._past if (target := compared_at(each)) is not None
        )
        assert checked._compared == dict(expected)
    assert len(checked._past) == engine.HISTORY


class _Body(io.BytesIO):
    """A wsgi.input type of the server's own."""


def test_a_stream_with_a_method_of_its_own_is_judged_though_its_type_was_quiet() -> None:
    # The memo knows the streams by type; a stream holding a method of its own (here a
    # readline that is not callable) is not what its type says, and is judged.
    engine.forget()
    checked = validator(_yielding(b"hello"), collect=True)
    for broken in (False, False, True, False):
        body = _Body()
        if broken:
            body.readline = "not a method"  # type: ignore[assignment,method-assign]
        environ: dict[str, Any] = {"wsgi.input": body}
        setup_testing_defaults(environ)
        list(checked(environ, lambda status, headers, exc_info=None: _write))
    assert [f.rule for f in checked.findings] == ["ENV-INPUT-METHODS"]
    assert "readline" in checked.findings[0].message


LATE_RULE = """
import io
from wsgiref.util import setup_testing_defaults

from wsgicheck import validator
from wsgicheck.rules import Binding, Level, rule

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]

def serve(wrapped):
    environ = {"wsgi.input": io.BytesIO()}
    setup_testing_defaults(environ)
    result = wrapped(environ, lambda status, headers, exc_info=None: lambda data: None)
    list(result)
    result.close()

checked = validator(app, collect=True)
serve(checked)
serve(checked)  # quiet, and remembered so

@rule("X-LATE", level=Level.MUST, binding=Binding.APP, section="late", summary="late",
      pep="late", source="wsgicheck")
def late(self, ex):
    yield self.finding(ex, "found")

serve(checked)
print(sorted({finding.rule for finding in checked.findings}))
"""


def test_a_rule_registered_after_the_app_was_wrapped_judges_the_next_exchange() -> None:
    # A user's rules module imported after validator(app): an exchange found quiet before
    # was judged without its rule, so it is judged again. (A process of its own: the
    # registry has no way to take a rule back.)
    done = subprocess.run(
        [sys.executable, "-c", LATE_RULE], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "['X-LATE']"


def test_an_exchange_leaves_no_cycle_for_the_garbage_collector() -> None:
    # The environ's guards refer to their invocation; the invocation must not refer back
    # to the environ, or each request (and the body the server's stream holds) would wait
    # for the next garbage collection instead of going when the server drops the environ.
    import gc

    checked = validator(_yielding(b"hello"), collect=True)
    _serve(checked)
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for method in ("GET", "POST", "HEAD"):
            _serve(checked, method)
        gc.collect()
        # (Only wsgicheck's own objects: another thread of the test run may leave some.)
        left = [
            type(each).__qualname__
            for each in gc.garbage
            if type(each).__module__.startswith("wsgicheck")
        ]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
