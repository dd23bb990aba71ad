"""Values whose own methods raise or hang never crash or stall wsgicheck (issue 11 §4, §6).

The apps of ``fixtures/hostile/values.py`` pass a ``str`` or ``bytes`` subclass whose
``__repr__``, ``__str__``, ``__format__``, ``__eq__``, ``__hash__`` and ``__len__`` raise
(or, for ``Hangs``, wait on an event) as the status, a header name or value, a yielded
block, a ``write()`` argument, or inside ``exc_info``. Run in-process through ``Client`` and
the rules, through :func:`wsgicheck.validator` under ``Client``, and by ``wsgicheck check``
in a subprocess, each gives exactly the findings its mistake earns, names the value's type,
and never enters a hanging method.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from wsgicheck import validator
from wsgicheck.core.observe import exception_message
from wsgicheck.drivers.client import Client
from wsgicheck.model.events import StartResponseCalled
from wsgicheck.model.untrusted import class_name, plain, safe_repr, show
from wsgicheck.report.transcript import format_exchange
from wsgicheck.rules import Exchange, Finding, check_exchange

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "fixtures" / "hostile" / "values.py"
TIMEOUT = 120


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile_values", SOURCE)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


values = _load()

#: app name: (the exact set of rules it breaks, the rule whose message names the type, the
#: type's name). ``exc_info_exception`` breaks none: a 500 from an error handler with its
#: exc_info is right, however hostile the exception's message.
CASES: dict[str, tuple[set[str], str | None, str]] = {
    "status": ({"APP-STATUS-STR"}, "APP-STATUS-STR", "HostileStr"),
    "hanging_status": ({"APP-STATUS-STR"}, "APP-STATUS-STR", "Hangs"),
    "header_name": ({"APP-HEADER-STR"}, "APP-HEADER-STR", "HostileStr"),
    "header_value": ({"APP-HEADER-STR"}, "APP-HEADER-STR", "HostileStr"),
    "hanging_header": ({"APP-HEADER-STR"}, "APP-HEADER-STR", "Hangs"),
    "yielded": ({"APP-YIELD-BYTES"}, "APP-YIELD-BYTES", "HostileBytes"),
    "write_argument": ({"APP-WRITE-BYTES", "APP-AVOID-WRITE"}, "APP-WRITE-BYTES", "HostileBytes"),
    "exc_info_value": ({"APP-EXC-INFO-TUPLE"}, "APP-EXC-INFO-TUPLE", "HostileStr"),
    "exc_info_exception": (set(), None, "HostileStr"),
    "raised": ({"APP-TRAP-OWN-ERRORS"}, "APP-TRAP-OWN-ERRORS", "HostileStr"),
}

#: The apps that answer every request with their own 500 or raise on every one: a run of
#: them saw only failures (HARNESS-ALL-ERRORS). The others' 500s are the server's, in place
#: of a response it refused, which their own rule reports.
EVERY_ANSWER_FAILS = {"exc_info_exception", "raised"}


@pytest.fixture(autouse=True)
def no_hostile_method_runs() -> Iterator[None]:
    """Whatever the test, no hanging method was entered; a stuck one is let go at the end."""
    values.ENTERED.clear()
    values.RELEASE.clear()
    try:
        yield
        assert not values.ENTERED.is_set(), "a hanging method of the app's value ran"
    finally:
        values.RELEASE.set()


def _check(findings: list[Finding], name: str) -> None:
    rules, naming, kind = CASES[name]
    assert {finding.rule for finding in findings} == rules
    if naming is not None:
        (finding,) = [finding for finding in findings if finding.rule == naming]
        assert kind in finding.message


def test_the_values_are_hostile() -> None:
    """Each method the harness must avoid raises indeed."""
    hostile: Any = values.HostileStr("200 OK")
    for attempt in (repr, str, hash, len, lambda v: f"{v}", lambda v: v == "200 OK"):
        with pytest.raises(values.Trap):
            attempt(hostile)
    with pytest.raises(values.Trap):
        repr(values.HostileBytes(b"ok"))


@pytest.mark.parametrize("name", CASES)
def test_client_and_rules(name: str) -> None:
    response = Client(getattr(values, name)).get("/")
    assert response.status_code == 500
    _check(check_exchange(Exchange(response)), name)
    lines = format_exchange(response)  # the transcript renders the values too
    assert lines


@pytest.mark.parametrize("name", CASES)
def test_validator_under_client(name: str) -> None:
    checked = validator(getattr(values, name), collect=True)
    response = Client(checked).get("/")
    assert response.status_code == 500
    _check(checked.findings, name)


def test_a_hostile_exception_message_is_recorded_by_its_type() -> None:
    response = Client(values.exc_info_exception).get("/")
    (call,) = response.trace.of(StartResponseCalled)
    assert call.exc_info_kind == "exception"
    assert call.exc_info == "ValueError: <HostileStr object>"


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "wsgicheck"]  # pragma: no cover - no console script here


@pytest.mark.parametrize("name", CASES)
def test_wsgicheck_check(name: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *_command(),
            "check",
            f"{SOURCE}:{name}",
            *("--examples", "5", "--no-database", "--seed", "1", "--format", "json"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    report = json.loads(done.stdout)
    assert report["errors"] == []
    broken = {
        each["rule"]: each for each in report["results"] if each["status"] in ("fail", "warn")
    }
    rules, naming, kind = CASES[name]
    if name in EVERY_ANSWER_FAILS:
        rules = rules | {"HARNESS-ALL-ERRORS"}
    assert set(broken) == rules
    if naming is not None:
        assert kind in broken[naming]["message"]


def test_plain_class_name_and_safe_repr_run_none_of_the_values_code() -> None:
    hostile: Any = values.HostileStr("X-Name")
    copied = plain(hostile)
    assert type(copied) is str
    assert copied == "X-Name"
    assert (
        safe_repr((ValueError, hostile, None))
        == "(<class 'ValueError'>, <HostileStr object>, None)"
    )

    class Meta(type):
        def __getattribute__(cls, name: str) -> Any:
            values._trap()

    class Lying(metaclass=Meta):
        pass

    assert class_name(Lying).endswith("Lying")


class OwnMessage(Exception):
    def __str__(self) -> str:
        return "the app's own words"


class MessageRaises(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no message")


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (ValueError("plain"), "plain"),
        (OSError(2, "No such file"), "[Errno 2] No such file"),
        (KeyError("key"), "'key'"),
        (ValueError(values.HostileStr("bad")), "<HostileStr object>"),
        (ValueError("one", values.HostileBytes(b"two")), "('one', <HostileBytes object>)"),
        (OwnMessage(), "the app's own words"),
        (MessageRaises(), "<str() of it raised RuntimeError>"),
    ],
    ids=["plain", "oserror", "keyerror", "hostile-arg", "hostile-args", "own-str", "str-raises"],
)
def test_exception_messages(exc: BaseException, message: str) -> None:
    """Python's own __str__ over plain arguments is called; over hostile ones it is not."""
    assert exception_message(exc) == message


def huge_head(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """A status and header fields of 100,000 characters each, every rule on them broken."""
    start_response(
        "200 " + "\u202e" * 100_000,
        [("X-Big", "\x1b" * 100_000), ("Bad " + "\x1b" * 100_000, "\x1b")],
    )
    return [b"ok"]


def test_a_huge_status_or_field_is_quoted_cut() -> None:
    """An adversarial trial of 2026-12-06: a 10 MB status made messages six times its size
    (the repr of every escape), kept for each finding and sent between processes: the run's
    worker took gigabytes, died, and the app's MUST finding was lost. Each message quotes
    the value cut, under validator as under the core."""
    found = {  # (as a report shows it: escaped, each escape four characters or more)
        (each.rule, len(show(each.message, limit=100_000)) < 200)
        for each in check_exchange(Exchange(Client(huge_head).get("/")))
    }
    assert found == {
        ("APP-STATUS-HEADERS-LATIN1", True),
        ("APP-HEADER-NAME-TOKEN", True),
        ("APP-HEADER-VALUE-NO-CONTROL", True),
    }
    with pytest.raises(AssertionError) as raised:
        Client(validator(huge_head)).get("/")
    message = str(raised.value)
    assert message.startswith("APP-STATUS-HEADERS-LATIN1")
    assert len(message.partition(" (at ")[0]) < 200  # (the place names this file's path)
