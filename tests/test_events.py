"""The trace: raw records made by typed makers, read as typed events."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from wsgicheck.model import events
from wsgicheck.model.events import (
    EVENT_KINDS,
    AppReturned,
    ClientGone,
    CloseCalled,
    ErrorsWritten,
    Event,
    Exhausted,
    HeadersSent,
    Location,
    RawEvent,
    StartResponseCalled,
    StreamMisuse,
    Trace,
    Yielded,
    caller_location,
    raw_app_returned,
    raw_close_called,
    raw_event,
    raw_exhausted,
    raw_headers_sent,
    raw_start_response_called,
    raw_yielded,
)


def _raw() -> list[RawEvent]:
    """Raw records as the core appends them, each made by its event's typed maker."""
    return [
        raw_start_response_called(
            "200 OK",
            [("Content-Type", "text/plain")],
            None,
            "absent",
            2,
            (),
            False,
            Location("app.py", 7, "app"),
        ),
        raw_app_returned("list", 1, False, True, Location("app.py", 3, "app")),
        raw_yielded(b"hello", None),
        raw_headers_sent("200 OK", (("Content-Type", "text/plain"), ("Content-Length", "5"))),
        raw_close_called(None),
    ]


def _events() -> list[Event]:
    return list(Trace(_raw()))


def test_a_maker_gives_the_class_and_every_field_in_order() -> None:
    assert raw_yielded(b"x", None) == (Yielded, b"x", None, None)  # the default too
    assert raw_yielded(value=b"x", where=None, size=3) == (Yielded, b"x", None, 3)
    assert raw_exhausted() == (Exhausted,)
    for kind in EVENT_KINDS:
        made = vars(events)["raw_" + _snake(kind.__name__)]
        assert made(*[None] * len(kind._fields)) == (kind, *[None] * len(kind._fields))
        with pytest.raises(TypeError):
            made(*[None] * (len(kind._fields) + 1))


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


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
    assert start.handling is None  # a default
    assert raw_event(start) == _raw()[0]


def test_events_are_made_once_and_records_appended_later_are_read_too() -> None:
    log = _raw()[:2]
    trace = Trace(log)
    first = trace[0]
    assert trace[0] is first
    log.append(raw_yielded(b"late", None))
    assert len(trace) == 3
    assert trace[0] is first  # not made again
    assert trace[-1] == Yielded(b"late", None)
    assert trace.upto(2) == (trace[0], trace[1])


def test_indexing_and_slicing() -> None:
    trace = Trace(_raw())
    assert len(trace) == 5
    assert isinstance(trace[-1], CloseCalled)
    assert [type(event) for event in trace[1:3]] == [AppReturned, Yielded]
    assert trace[::2] == (trace[0], trace[2], trace[4])
    with pytest.raises(IndexError):
        trace[5]


def test_of_selects_one_exact_type_in_order() -> None:
    log = _raw()
    log.append(raw_yielded(b"", None))
    trace = Trace(log)
    assert trace.of(Yielded) == [Yielded(b"hello", None), Yielded(b"", None)]
    assert trace.of(CloseCalled) == [CloseCalled(None)]
    assert trace.of(ClientGone) == []


def test_equality_compares_events() -> None:
    assert Trace(_raw()) == Trace(_raw())
    assert Trace(_raw()) != Trace(_raw()[:-1])
    assert Trace(_raw()) != list(Trace(_raw()))
    with pytest.raises(TypeError):
        hash(Trace(_raw()))


def test_of_events_equals_the_raw_trace() -> None:
    made = _events()
    built = Trace.of_events(iter(made))
    assert len(built) == 5
    assert list(built) == made
    assert built == Trace(_raw())
    assert built.records == _raw()
    assert Trace.of_events([]) == Trace([])


def test_repr_lists_the_events() -> None:
    text = repr(Trace([raw_close_called("ValueError: x")]))
    assert text == "Trace([CloseCalled(error='ValueError: x')])"


def test_events_are_immutable_typed_tuples() -> None:
    event = Yielded(b"x", None)
    with pytest.raises(AttributeError):
        event.value = b"y"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        event.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(event, "__dict__")
    assert isinstance(event, Event)
    assert not isinstance((b"x", None, None), Event)


def test_event_equality_and_hash_follow_kind_and_fields() -> None:
    assert CloseCalled(None) == CloseCalled(None)
    assert CloseCalled(None) != CloseCalled("boom")
    assert hash(Yielded(b"x", ("a.py", 1, "f"))) == hash(Yielded(b"x", Location("a.py", 1, "f")))
    # A tuple of the same values, or another kind with the same fields, is not the event.
    assert Yielded(b"x", None) != (b"x", None, None)
    assert StreamMisuse("wsgi.input", "close") != ErrorsWritten("wsgi.input", "close")
    assert hash(StreamMisuse("a", "b")) != hash(ErrorsWritten("a", "b"))
    assert Exhausted() != ()
    assert len({Exhausted(), Exhausted(), CloseCalled(None)}) == 2


def test_every_kind_is_in_the_event_union() -> None:
    assert len(set(EVENT_KINDS)) == len(EVENT_KINDS) == 19
    assert all(isinstance(kind(*[None] * len(kind._fields)), Event) for kind in EVENT_KINDS)
    assert not isinstance(raw_yielded(b"x", None), Event)


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


def test_an_exchange_files_every_kind_of_event() -> None:
    """Each kind lands in its one place on :class:`~wsgicheck.rules.Exchange`: the table it
    is filed by leaves none out."""
    from wsgicheck import Client
    from wsgicheck.rules import Exchange

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    base = Client(app).get("/")
    one_of_each = [kind(*[None] * len(kind._fields)) for kind in EVENT_KINDS]
    exchange = Exchange(base.replace(one_of_each))
    filed: list[object] = []
    for name in vars(Exchange)["_SORTED"] - {"events", "_kinds"}:
        value = getattr(exchange, name)
        if isinstance(value, list):
            assert len(value) == 1, name
            filed.append(type(value[0]))
        elif isinstance(value, bool):
            assert value is True, name
            filed.append(name)
        else:
            assert value is not None, name
            filed.append(type(value))
    assert len(filed) == len(EVENT_KINDS)
    assert exchange._kinds == set(EVENT_KINDS)
    assert exchange.events == tuple(one_of_each)
