"""The trace: raw records become frozen events only when read."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import pytest

from wsgicheck.events import (
    AppReturned,
    CloseCalled,
    Event,
    HeadersSent,
    Location,
    StartResponseCalled,
    Trace,
    Yielded,
    caller_location,
)


def _raw() -> list[tuple[object, ...]]:
    """Raw records as the core appends them: the class, then the fields in order."""
    return [
        (
            StartResponseCalled,
            "200 OK",
            [("Content-Type", "text/plain")],
            None,
            "absent",
            2,
            (),
            False,
            ("app.py", 7, "app"),
        ),
        (AppReturned, "list", 1, False, True, ("app.py", 3, "app")),
        (Yielded, b"hello", None),
        (HeadersSent, "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")]),
        (CloseCalled, None),
    ]


def test_records_become_events_of_their_class() -> None:
    trace = Trace(_raw())
    assert [type(event) for event in trace] == [
        StartResponseCalled,
        AppReturned,
        Yielded,
        HeadersSent,
        CloseCalled,
    ]
    start = trace[0]
    assert isinstance(start, StartResponseCalled)
    assert start.status == "200 OK"
    assert start.headers == [("Content-Type", "text/plain")]
    assert start.exc_info_kind == "absent"
    assert start.positional == 2
    assert start.headers_sent is False


def test_events_are_built_only_when_read_and_only_once() -> None:
    built: list[tuple[object, ...]] = []

    def make(*fields: object) -> Yielded:
        built.append(fields)
        return Yielded(*fields)

    trace = Trace([(make, b"a", None), (make, b"b", None)])
    assert len(trace) == 2
    assert built == []  # len() counts raw records without building anything
    first = trace[0]
    assert built == [(b"a", None), (b"b", None)]
    assert trace[0] is first
    assert list(trace)[1] == Yielded(b"b", None)
    assert len(built) == 2  # not rebuilt on the second read


def test_where_tuple_becomes_location() -> None:
    trace = Trace(_raw())
    where = trace[0].where  # type: ignore[attr-defined]
    assert type(where) is Location
    assert where == Location("app.py", 7, "app")
    assert (where.file, where.line, where.function) == ("app.py", 7, "app")
    assert trace[2].where is None  # type: ignore[attr-defined]


def test_location_given_as_location_is_kept() -> None:
    where = Location("x.py", 1, "f")
    assert Yielded(b"", where).where is where


def test_headers_sent_headers_become_a_tuple() -> None:
    event = Trace(_raw()).of(HeadersSent)[0]
    assert event.headers == (("Content-Type", "text/plain"), ("Content-Length", "5"))
    assert type(event.headers) is tuple
    already = HeadersSent(status="204 No Content", headers=(("A", "b"),))
    assert already.headers == (("A", "b"),)


def test_indexing_and_slicing() -> None:
    trace = Trace(_raw())
    assert len(trace) == 5
    assert isinstance(trace[-1], CloseCalled)
    assert [type(event) for event in trace[1:3]] == [AppReturned, Yielded]
    assert trace[::2] == (trace[0], trace[2], trace[4])
    with pytest.raises(IndexError):
        trace[5]


def test_of_selects_one_exact_type_in_order() -> None:
    raw = _raw()
    raw.append((Yielded, b"", None))
    trace = Trace(raw)
    assert trace.of(Yielded) == [Yielded(b"hello", None), Yielded(b"", None)]
    assert trace.of(CloseCalled) == [CloseCalled(None)]
    assert trace.of(Event) == []  # exact type, not isinstance


def test_equality_compares_events() -> None:
    assert Trace(_raw()) == Trace(_raw())
    shorter = _raw()[:-1]
    assert Trace(_raw()) != Trace(shorter)
    assert Trace(_raw()) != list(Trace(_raw()))
    with pytest.raises(TypeError):
        hash(Trace(_raw()))


def test_of_events_equals_the_raw_trace() -> None:
    events = list(Trace(_raw()))
    built = Trace.of_events(events)
    assert len(built) == 5
    assert list(built) == events
    assert built == Trace(_raw())
    assert Trace.of_events(iter(events[:2])) == Trace(_raw()[:2])
    assert Trace.of_events([]) == Trace([])
    assert len(Trace.of_events([])) == 0


def test_repr_lists_the_events() -> None:
    text = repr(Trace([(CloseCalled, "ValueError: x")]))
    assert text == "Trace([CloseCalled(error='ValueError: x')])"


def test_events_are_frozen_and_slotted() -> None:
    event = Yielded(b"x", None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.value = b"y"  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        event.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(event, "__dict__")


def test_event_equality_and_hash_follow_fields() -> None:
    assert CloseCalled(None) == CloseCalled(None)
    assert CloseCalled(None) != CloseCalled("boom")
    assert hash(Yielded(b"x", ("a.py", 1, "f"))) == hash(Yielded(b"x", Location("a.py", 1, "f")))


def test_location_str_is_file_colon_line() -> None:
    assert str(Location("/src/app.py", 42, "handler")) == "/src/app.py:42"
    assert f"at {Location('a.py', 1, 'f')}" == "at a.py:1"


def test_caller_location_zero_is_the_calling_function() -> None:
    where, line = caller_location(0), sys._getframe().f_lineno
    assert where == Location(__file__, line, "test_caller_location_zero_is_the_calling_function")


def _helper() -> Location:
    return caller_location(1)


def test_caller_location_one_is_its_caller() -> None:
    where, line = _helper(), sys._getframe().f_lineno
    assert where.file == __file__
    assert where.line == line
    assert where.function == "test_caller_location_one_is_its_caller"


class _Hostile(str):
    def __repr__(self) -> str:
        raise RuntimeError("__repr__ raised")

    __str__ = __repr__


def test_printing_a_trace_runs_none_of_the_apps_code() -> None:
    """The README's ``for event in response.trace: print(event)`` on an app whose status is
    a str subclass with a raising __repr__: every event prints, its type named instead."""
    from wsgicheck import Client

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response(_Hostile("200 OK"), [("Content-Type", "text/plain")])
        return [b"ok"]

    response = Client(app).get("/")
    shown = [repr(event) for event in response.trace]
    assert shown[0].startswith("StartResponseCalled(status=<_Hostile object>, headers=[(")
    assert all("__repr__ raised" not in line for line in shown)
    assert repr(response.trace).startswith("Trace([StartResponseCalled(")
