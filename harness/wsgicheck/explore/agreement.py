"""What two exchanges of one request may differ in, written once, and the comparison.

Two comparisons read it: a run's memory and socket transports (:mod:`wsgicheck.explore.replay`, for
HARNESS-TRANSPORTS-AGREE and HARNESS-APP-VARIES; ``tests/test_transports.py`` holds them to
it), and ``wsgicheck probe``'s environ from another server beside the one wsgicheck's core
builds for the same request (:mod:`wsgicheck.probe.differences`). Each entry of
:data:`MAY_DIFFER` says what may differ, why, and between which exchanges: any two
(:attr:`Between.TRANSPORTS`, wsgicheck's own two transports included) or only another server's
and wsgicheck's (:attr:`Between.SERVERS`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from ..model.events import InputRead
from ..model.response import Response

__all__ = [
    "ABSENT",
    "MAY_DIFFER",
    "Between",
    "Leeway",
    "differences",
    "environ_differences",
    "may_differ",
    "normalised_environ",
    "own_fields",
    "trace_shape",
]


class Between(enum.Enum):
    """Which two exchanges of one request are compared."""

    #: wsgicheck's memory transport and its socket server (the same core on both sides).
    TRANSPORTS = "transports"
    #: Another server and wsgicheck's core (what holds between the transports holds here too).
    SERVERS = "servers"


@dataclass(frozen=True, slots=True)
class Leeway:
    """One thing two exchanges of one request may differ in, and why."""

    aspect: str
    why: str
    between: Between
    #: The part of the exchange it concerns: ``"environ"``, ``"response"`` or ``"trace"``.
    part: str
    #: Environ keys left out of the comparison.
    keys: frozenset[str] = frozenset()
    #: Response fields (lower-case) a transport sets for itself.
    fields: frozenset[str] = frozenset()


_TRANSPORTS, _SERVERS = Between.TRANSPORTS, Between.SERVERS
#: The environ's objects: their types are compared between the transports (the same classes
#: on both sides), only their presence against another server (whose classes are its own).
OBJECTS = frozenset({"wsgi.input", "wsgi.errors", "wsgi.file_wrapper"})
#: PEP 3333: these "may be empty or absent".
EMPTY_IS_ABSENT = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH", "QUERY_STRING"})

#: Everything two exchanges of one request may differ in, and why.
MAY_DIFFER: tuple[Leeway, ...] = (
    Leeway(
        "environ REMOTE_PORT",
        "only a socket has a client port",
        _TRANSPORTS,
        "environ",
        keys=frozenset({"REMOTE_PORT"}),
    ),
    Leeway(
        "environ wsgi.input, wsgi.errors, wsgi.file_wrapper",
        "the objects differ; their types must not (another server's: only their presence)",
        _TRANSPORTS,
        "environ",
    ),
    Leeway(
        "response header Date",
        "the two exchanges happen at different times",
        _TRANSPORTS,
        "response",
        fields=frozenset({"date"}),
    ),
    Leeway(
        "response header Connection",
        "the socket server adds Connection: close when it must close",
        _TRANSPORTS,
        "response",
        fields=frozenset({"connection"}),
    ),
    Leeway(
        "response header Transfer-Encoding",
        "only a socket frames a body of unknown length",
        _TRANSPORTS,
        "response",
        fields=frozenset({"transfer-encoding"}),
    ),
    Leeway(
        "response body and header values",
        "an app may answer the same request differently each time (a token, a timestamp); "
        "the status, the header names and the trace's shape must agree",
        _TRANSPORTS,
        "response",
    ),
    Leeway(
        "trace InputRead.available for a chunked body",
        "unknown on a socket until the body ends; known at once in memory",
        _TRANSPORTS,
        "trace",
    ),
    Leeway(
        "what the app varies by itself",
        "when the transports differ, the request is sent again (in memory, and over the "
        "socket too); what the app answers "
        "differently there (a rate limiter's status, a cookie set once) is the app's "
        "(HARNESS-APP-VARIES), not the server's",
        _TRANSPORTS,
        "trace",
    ),
    Leeway(
        "environ REMOTE_ADDR, REMOTE_HOST",
        "only a socket has a peer",
        _SERVERS,
        "environ",
        keys=frozenset({"REMOTE_ADDR", "REMOTE_HOST"}),
    ),
    Leeway(
        "environ SERVER_NAME, SERVER_PORT",
        "the server's own name and port (its bind address or Host)",
        _SERVERS,
        "environ",
        keys=frozenset({"SERVER_NAME", "SERVER_PORT"}),
    ),
    Leeway(
        "environ SERVER_SOFTWARE",
        "names the server",
        _SERVERS,
        "environ",
        keys=frozenset({"SERVER_SOFTWARE"}),
    ),
    Leeway(
        "environ wsgi.multithread, wsgi.multiprocess, wsgi.run_once",
        "the server's process model",
        _SERVERS,
        "environ",
        keys=frozenset({"wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"}),
    ),
    Leeway(
        "environ CONTENT_TYPE, CONTENT_LENGTH, QUERY_STRING",
        '"" and absent are the same (PEP 3333)',
        _SERVERS,
        "environ",
    ),
    Leeway(
        "environ keys from the server's OS environment",
        "copying them is allowed (wsgiref does)",
        _SERVERS,
        "environ",
    ),
    Leeway(
        "environ dotted keys outside wsgi.*",
        "the server's own extensions (gunicorn.socket, ...)",
        _SERVERS,
        "environ",
    ),
)

ABSENT = "<absent>"


def _applies(leeway: Leeway, between: Between) -> bool:
    return leeway.between is Between.TRANSPORTS or leeway.between is between


def may_differ(between: Between, part: str | None = None) -> dict[str, str]:
    """The entries of :data:`MAY_DIFFER` for a comparison (of one part): aspect → why."""
    return {
        leeway.aspect: leeway.why
        for leeway in MAY_DIFFER
        if _applies(leeway, between) and part in (None, leeway.part)
    }


_SKIPPED = {
    between: frozenset().union(*(x.keys for x in MAY_DIFFER if _applies(x, between)))
    for between in Between
}
#: Response fields a transport sets for itself (see :data:`MAY_DIFFER`).
_OWN_FIELDS = frozenset().union(*(leeway.fields for leeway in MAY_DIFFER))


def own_fields(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` less the fields a transport sets for itself, in order."""
    return [(name, value) for name, value in headers if name.lower() not in _OWN_FIELDS]


def normalised_environ(
    environ: dict[Any, Any], between: Between, os_keys: Iterable[str] = ()
) -> dict[str, str]:
    """The environ as it is compared: each key's value as its ``repr``, the keys that may
    differ left out, the objects as their type (or their presence, against another server)."""
    skipped = _SKIPPED[between] | set(os_keys)
    servers = between is Between.SERVERS
    out = {}
    for key, value in environ.items():
        if key in skipped or (servers and not isinstance(key, str)):
            continue
        if servers and "." in key and not key.startswith("wsgi."):
            continue
        if key in OBJECTS:
            out[key] = "<present>" if servers else repr(type(value).__name__)
        elif servers and key in EMPTY_IS_ABSENT and value == "":
            continue
        else:
            out[str(key)] = repr(value)
    return out


def environ_differences(
    first: dict[Any, Any], second: dict[Any, Any], between: Between, os_keys: Iterable[str] = ()
) -> dict[str, tuple[str, str]]:
    """Each environ key the two disagree on, with its two normalised values (or ABSENT)."""
    ones = normalised_environ(first, between, os_keys)
    twos = normalised_environ(second, between, os_keys)
    found = {}
    for key in sorted(ones.keys() | twos.keys()):
        one, two = ones.get(key, ABSENT), twos.get(key, ABSENT)
        if one != two:
            found[key] = (one, two)
    return found


def differences(first: Response, second: Response, sides: tuple[str, str]) -> dict[str, str]:
    """What two exchanges of one request by wsgicheck's transports disagree on, by aspect
    (``"status"``, ``"environ KEY"``, ``"header names"``, ``"trace"``...), each described
    with the two ``sides`` named; what :data:`MAY_DIFFER` allows is left out."""
    one, two = sides
    found = {}
    if first.status_code != second.status_code:
        found["status"] = f"status {first.status_code} {one}, {second.status_code} {two}"
    if first.environ is None or second.environ is None:
        if first.environ is not second.environ:
            found["app ran"] = "the app ran in one exchange only"
    else:
        for key, (mine, theirs) in environ_differences(
            first.environ, second.environ, Between.TRANSPORTS
        ).items():
            found[f"environ {key}"] = f"environ {key}: {mine} {one}, {theirs} {two}"
    names = {name.lower() for name, _ in own_fields(first.headers)}
    other = {name.lower() for name, _ in own_fields(second.headers)}
    if names != other:
        odd = sorted(names ^ other)
        cached = " (Age: one of the answers came from a cache the app keeps)" * ("age" in odd)
        coded = (
            " (Content-Encoding: one answer compressed and the other not; Django's "
            "GZipMiddleware compresses a small body at random, against BREACH)"
        ) * ("content-encoding" in odd)
        found["header names"] = f"response header names differ: {odd}{cached}{coded}"
    shape = trace_shape(first)
    other_shape = trace_shape(second)
    if shape != other_shape:
        pairs = enumerate(zip(shape, other_shape, strict=False))
        alike = next((at for at, (a, b) in pairs if a != b), min(len(shape), len(other_shape)))
        found["trace"] = (
            f"traces differ after {alike} event(s) alike: {_runs(shape[alike:])} {one}, "
            f"{_runs(other_shape[alike:])} {two}"
        )
    return found


def trace_shape(response: Response, *, reads_counted: bool = True) -> list[str]:
    """The trace as a list of event kinds (and the sizes that must agree). Without
    ``reads_counted``, each run of reads by one method is one entry, sizes left out: how
    an app that reads until something else happens (a proxy, until its backend answers)
    reads its body, not how many times."""
    shape: list[str] = []
    for event in response.trace:
        kind = type(event).__name__
        if isinstance(event, InputRead):
            if not reads_counted:
                kind += f"({event.method})"
                if shape and shape[-1] == kind:
                    continue
            else:
                kind += f"({event.method},{event.size})"
        shape.append(kind)
    return shape


def _runs(shape: list[str]) -> str:
    """``shape`` written with each run of one entry once, and its length: a body read a
    byte at a time is one item, not a thousand."""
    counted = [(kind, sum(1 for _ in run)) for kind, run in groupby(shape)]
    items = [f"{kind} ×{count}" if count > 1 else kind for kind, count in counted]
    return "[" + ", ".join(items) + "]" if items else "[] (the trace ends)"
