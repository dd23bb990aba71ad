"""Python values as JSON and back, types kept: what the probe app sends home.

The probe app runs inside another server's process; what it saw (the environ, the trace of
events) crosses to the prober as JSON lines. Rules look at types (a header list of tuples, a
CGI value that is bytes, not str), so the encoding is tagged: tuples, bytes and dicts keep
their type, and an object JSON cannot hold (``wsgi.input``) comes back as an :class:`Opaque`
stand-in whose class has the original's name, so a rule's message names the real type.
"""

from __future__ import annotations

import base64
from typing import Any

from ..model.events import EVENT_KINDS, Event, Location, RawEvent

__all__ = ["Opaque", "decode", "decode_events", "encode", "encode_events", "type_named"]

#: Nested containers deeper than this are cut (an app could hand over anything).
MAX_DEPTH = 12
#: How much of an unknown object's repr travels.
REPR_LIMIT = 200


class Opaque:
    """Stands in for an object that did not survive the trip (a stream, a socket)."""

    __slots__ = ("repr",)

    def __init__(self, text: str) -> None:
        self.repr = text

    def __repr__(self) -> str:
        return self.repr


_OPAQUE_TYPES: dict[str, type[Opaque]] = {}
_DICT_TYPES: dict[str, type[dict[Any, Any]]] = {}


def type_named(qualified: str) -> type[Opaque]:
    """An :class:`Opaque` subclass named like the remote type (``io.BufferedReader``)."""
    kind = _OPAQUE_TYPES.get(qualified)
    if kind is None:
        module, _, name = qualified.rpartition(".")
        kind = type(name or qualified, (Opaque,), {"__slots__": (), "__module__": module})
        _OPAQUE_TYPES[qualified] = kind
    return kind


def dict_type_named(qualified: str) -> type[dict[Any, Any]]:
    """``dict`` itself for ``builtins.dict``; else a dict subclass named like the remote one."""
    if qualified == "builtins.dict":
        return dict
    kind = _DICT_TYPES.get(qualified)
    if kind is None:
        module, _, name = qualified.rpartition(".")
        kind = type(name or qualified, (dict,), {"__module__": module})
        _DICT_TYPES[qualified] = kind
    return kind


def qualified_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def encode(value: object, depth: int = 0) -> Any:
    """``value`` as JSON-safe data, its type recorded where JSON would lose it."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if depth >= MAX_DEPTH:
        return {"$object": qualified_name(kind), "repr": "..."}
    if kind is bytes:
        return {"$bytes": base64.b64encode(value).decode("ascii")}  # type: ignore[arg-type]
    if isinstance(value, tuple):  # a Location (a NamedTuple) too: events rebuild it
        return {"$tuple": [encode(item, depth + 1) for item in value]}
    if kind is list:
        return [encode(item, depth + 1) for item in value]  # type: ignore[attr-defined]
    if kind is dict:
        return {
            "$dict": [
                [encode(key, depth + 1), encode(item, depth + 1)]
                for key, item in value.items()  # type: ignore[attr-defined]
            ]
        }
    if isinstance(value, Opaque):
        return {"$object": qualified_name(kind), "repr": value.repr}
    try:
        text = repr(value)[:REPR_LIMIT]
    except Exception:
        text = f"<{kind.__name__}>"
    return {"$object": qualified_name(kind), "repr": text}


def decode(data: Any) -> Any:
    """The value :func:`encode` described (unknown objects as :class:`Opaque` stand-ins)."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    if "$bytes" in data:
        return base64.b64decode(data["$bytes"])
    if "$tuple" in data:
        return tuple(decode(item) for item in data["$tuple"])
    if "$dict" in data:
        return {decode(key): decode(item) for key, item in data["$dict"]}
    if "$object" in data:
        return type_named(str(data["$object"]))(str(data.get("repr", "")))
    raise ValueError(f"not an encoded value: {sorted(data)}")


def encode_events(events: tuple[Event, ...] | list[RawEvent]) -> list[Any]:
    """A trace as JSON-safe data: each event's class name and its fields in order."""
    out = []
    for event in events:
        out.append({"event": type(event).__name__, "fields": encode(tuple(event))})
    return out


def decode_events(data: list[Any]) -> list[RawEvent]:
    """The raw records of a trace (``(EventClass, *fields)``), as the core appends them."""
    log: list[RawEvent] = []
    for item in data:
        kind = _KINDS.get(str(item["event"]))
        if kind is None:
            raise ValueError(f"unknown event {item['event']!r}")
        values = list(decode(item["fields"]))
        for name in ("where", "via"):  # Locations travel as plain tuples
            if name in kind._fields:
                at = kind._fields.index(name)
                if at < len(values) and isinstance(values[at], tuple):
                    values[at] = Location(*values[at])
        log.append((kind, *values))
    return log


_KINDS: dict[str, type[Event]] = {kind.__name__: kind for kind in EVENT_KINDS}
