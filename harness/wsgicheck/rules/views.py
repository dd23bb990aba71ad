"""The memo's views of an exchange: one value standing for all a rule may read of it.

:attr:`Exchange.environ_view <wsgicheck.rules.exchange.Exchange.environ_view>` and
:attr:`Exchange.record_view <wsgicheck.rules.exchange.Exchange.record_view>` are worked out
here (the exchange keeps them); :func:`raw_view` is the validator's cheaper way to the same.
"""

from __future__ import annotations

import marshal
import operator
from typing import TYPE_CHECKING, Any

from ..model.events import EVENT_KINDS, Location
from .introspect import signature_basis

if TYPE_CHECKING:
    from ..model.request import Request
    from .exchange import Exchange

__all__ = ["environ_items", "environ_view", "raw_view", "record_view"]

#: Where each event that records a location keeps it in a raw record (a Location, which
#: marshal does not take: it is written as a plain tuple).
_WHERE_AT = {
    kind: 1 + kind._fields.index("where") for kind in EVENT_KINDS if "where" in kind._fields
}
#: Environ keys whose value a rule reads beyond its type (compares, or shows): an environ
#: with anything but a plain value there has no :attr:`Exchange.environ_view`.
_VALUES_READ = frozenset(
    {
        "wsgi.version",
        "wsgi.input_terminated",
        "AUTH_TYPE",
        "CONTENT_LENGTH",
        "REMOTE_USER",
        "REMOTE_IDENT",
        "REQUEST_METHOD",
    }
)
_PLAIN = frozenset({str, int, float, bool, type(None)})
_ABSENT = object()
#: Marks an environ value in a view by its type only.
_BY_TYPE = object()
#: Marks a callable in a view by what decides its signature (:func:`.signature_basis`).
_BY_SIGNATURE = object()
#: The largest body (either way) and error text an exchange may have to have a record
#: view: the engine's memo keeps views, and it is meant for the small exchanges of a test
#: suite, not for downloads.
_VIEW_BYTES = 8192
#: The keys whose values are the server's objects in a typical environ (the streams, the
#: file wrapper): described apart, the rest of the environ is then built-in values only.
_OBJECT_KEYS = ("wsgi.input", "wsgi.errors", "wsgi.file_wrapper")


def environ_view(ex: Exchange) -> tuple[Any, ...] | None:
    """Works out :attr:`Exchange.environ_view` (which keeps it)."""
    environ = ex.environ
    if environ is None:
        return None
    items = environ_items(environ)
    if items is None:
        return None
    request = ex.request  # its head: no rule of the environ reads the body itself
    return (
        ex.source,
        ex.environ_type,
        request.method,
        request.target,
        request.http_version,
        request.headers,
        request.framing._name_,  # an enum hashes in Python: its name in C (no descriptor)
        ex.response.request_body_size,
        items,
    )


def record_view(ex: Exchange) -> tuple[Any, ...] | None:
    """Works out :attr:`Exchange.record_view` (which keeps it)."""
    if ex.previous is not None or ex.extra:
        return None
    environ = ex.environ_view
    if environ is None and ex.environ is not None:
        return None
    response = ex.response
    body = response.body
    if (
        type(body) is not bytes
        or len(body) > _VIEW_BYTES
        or response.body_size > _VIEW_BYTES
        or len(response.errors) > _VIEW_BYTES
    ):
        return None
    kinds, values = _records_view(response.trace.records[: ex._length])
    request = ex.request
    try:
        # marshal takes only the built-in types (no subclass, nothing of the app's own)
        # and keeps True, 1 and 1.0, lists and tuples apart; version 2 has no
        # back-references, so equal values give equal bytes.
        fields = marshal.dumps(
            (
                values,
                _request_head(request),
                response.status_code,
                response.reason,
                response.headers,
                body,
                response.complete,
                response.body_size,
                response.request_body_size,
                response.errors,
            ),
            2,
        )
    except ValueError:
        return None
    return (ex.source, ex.environ_type, environ, kinds, fields)


def _request_head(request: Request) -> bytes:
    """The marshal of what a rule reads of the request (its head, its body's size); for
    the last request again (a Request is immutable), the same bytes."""
    global _last_head
    last, data = _last_head
    if last is not request:
        head = (
            request.method,
            request.target,
            request.http_version,
            request.headers,
            request.framing._name_,
            len(request.body),
        )
        data = marshal.dumps(head, 2)
        _last_head = (request, data)
    return data


_last_head: tuple[Request | None, bytes] = (None, b"")


def _records_view(records: list[tuple[Any, ...]]) -> tuple[tuple[type, ...], list[Any]]:
    """The trace's records as a view: their kinds, and their fields with each Location a
    plain tuple (marshal takes no Location) between the fields before and after it."""
    where_at = _WHERE_AT
    kinds = []
    values: list[Any] = []
    for record in records:
        kind = record[0]
        kinds.append(kind)
        at = where_at.get(kind)
        if at is None or type(record[at]) is not Location:
            values.append(record[1:])
        else:  # three parts (the first is shorter than a whole record's fields would be)
            values += (record[1:at], tuple(record[at]), record[at + 1 :])
    return tuple(kinds), values


def raw_view(
    environ_type: type,
    items: object,
    records: list[tuple[Any, ...]],
    head: tuple[Any, ...],
    body: bytes,
    body_size: int,
) -> tuple[Any, ...] | None:
    """A view of a validator's exchange not yet built, from all it is built of: the
    environ's type and :func:`environ_items`, the trace's records, the response's head
    (built-in values only) and body. Exchanges with equal raw views have equal
    :attr:`Exchange.record_view` (each part of that is a function of these), and this is
    None wherever that is. It is cheaper: no request is built to make it."""
    if items is None or type(body) is not bytes or max(len(body), body_size) > _VIEW_BYTES:
        return None
    kinds, values = _records_view(records)
    try:
        fields = marshal.dumps((values, head, body, body_size), 2)
    except ValueError:
        return None
    return ("raw", environ_type, items, kinds, fields)


def environ_items(environ: dict[str, Any], *, fresh: bool = False) -> object:
    """The environ's items as a view (see :attr:`Exchange.environ_view`), None if none.

    The common environ, built-in values but for the streams and the file wrapper, is one
    marshal of those values (types and values kept apart as marshal keeps them) and a
    description of the three objects; any other goes item by item. ``fresh``: the values
    are made anew for each request (a server's environ, under the validator), so the last
    environ's marshal (:func:`_marshalled`) is not looked for.
    """
    rest = dict(environ)
    objects = []
    for key in _OBJECT_KEYS:
        value = rest.pop(key, _ABSENT)
        if value is not _ABSENT:
            described = _described(key, value)
            if described is None:
                return None
            objects.append(described)
    try:
        # Keys and values of built-in types only, each kept apart by its type: a key of
        # another type than str is judged the same way each time it comes.
        return (marshal.dumps(rest, 2) if fresh else _marshalled(rest), tuple(objects))
    except ValueError:
        pass  # an object of another kind somewhere: item by item
    items: list[tuple[object, ...]] = []
    for key, value in environ.items():
        if type(key) is not str:
            return None
        kind = type(value)
        if kind in _PLAIN or (kind is tuple and all(type(part) in (str, int) for part in value)):
            items.append((key, kind, value))
        elif key in _VALUES_READ:
            return None
        else:
            described = _described(key, value)
            if described is None:
                return None
            items.append(described)
    return tuple(items)


class _Marshalled:
    """The last environ (less its objects) marshalled: its keys and values, kept alive so
    that the same objects next time are these very ones, and whether those are immutable
    (worked out when they come again)."""

    __slots__ = ("data", "immutable", "keys", "values")

    def __init__(self, data: bytes, rest: dict[str, Any]) -> None:
        self.data = data
        self.keys = list(rest)
        self.values = list(rest.values())
        self.immutable: bool | None = None


_last_marshalled: _Marshalled | None = None
#: Types whose values never change (a tuple of them neither).
_IMMUTABLE = frozenset({str, int, float, bool, bytes, type(None)})


def _marshalled(rest: dict[Any, Any]) -> bytes:
    """``marshal.dumps(rest, 2)`` (raising ValueError as it does). An environ with the very
    objects of the last one as keys (in order) and values, all immutable, marshals as
    that did: its bytes are given again, their hash already worked out (a transport that
    builds the same request's environ from the same objects, as wsgicheck's Client does,
    repeats it)."""
    global _last_marshalled
    last = _last_marshalled
    if (
        last is not None
        and len(rest) == len(last.keys)
        and all(map(operator.is_, rest, last.keys))  # by identity: no object's __eq__ runs
        and all(map(operator.is_, rest.values(), last.values))
    ):
        if last.immutable is None:
            last.immutable = all(
                kind in _IMMUTABLE or (kind is tuple and _IMMUTABLE.issuperset(map(type, value)))
                for kind, value in zip(map(type, last.values), last.values, strict=True)
            )
        if last.immutable:
            return last.data
        return marshal.dumps(rest, 2)  # the same objects, some mutable: kept as they are
    data = marshal.dumps(rest, 2)
    _last_marshalled = _Marshalled(data, rest)
    return data


def _described(key: str, value: object) -> tuple[object, ...] | None:
    """An object of the environ in a view: by its type, or a callable file wrapper by what
    its signature is a function of (a closure made per request has the same code each
    time); None when that cannot be told cheaply."""
    if key == "wsgi.file_wrapper" and callable(value):
        basis = signature_basis(value)
        return None if basis is None else (key, _BY_SIGNATURE, basis)
    return (key, _BY_TYPE, type(value))
