"""The environ a server built, next to the one wsgicheck builds for the same request.

Every echo request of a probe (the generated ones and the plain corpus requests) runs
through wsgicheck's own core too (the memory :class:`~wsgicheck.Client`, the probe app
inside); the two environs are compared key by key after the normalisation in
:data:`NORMALISED`, and the differences are counted per key, with the first example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..client import Client
from ..request import Request
from .app import make_app
from .judge import Judged

__all__ = ["NORMALISED", "Difference", "environ_differences"]

#: What is left out of the comparison, and why.
NORMALISED = {
    "REMOTE_ADDR, REMOTE_PORT, REMOTE_HOST": "only a socket has a peer",
    "SERVER_NAME, SERVER_PORT": "the server's own name and port (its bind address or Host)",
    "SERVER_SOFTWARE": "names the server",
    "wsgi.input, wsgi.errors, wsgi.file_wrapper": "objects: only their presence is compared",
    "wsgi.multithread, wsgi.multiprocess, wsgi.run_once": "the server's process model",
    "CONTENT_TYPE, CONTENT_LENGTH, QUERY_STRING": '"" and absent are the same (PEP 3333)',
    "keys from the server's OS environment": "copying them is allowed (wsgiref does)",
    "dotted keys outside wsgi.*": "the server's own extensions (gunicorn.socket, ...)",
}
_SKIPPED = frozenset(
    {
        "REMOTE_ADDR",
        "REMOTE_PORT",
        "REMOTE_HOST",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_SOFTWARE",
        "wsgi.multithread",
        "wsgi.multiprocess",
        "wsgi.run_once",
    }
)
_OBJECTS = frozenset({"wsgi.input", "wsgi.errors", "wsgi.file_wrapper"})
_EMPTY_IS_ABSENT = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH", "QUERY_STRING"})
ABSENT = "<absent>"


@dataclass(slots=True)
class Difference:
    """One environ key on which the server and wsgicheck disagree."""

    key: str
    #: How many compared requests it differed in.
    count: int
    server: str
    wsgicheck: str
    #: The first request it differed in.
    request: Request


def _normalised(environ: dict[str, Any], os_keys: set[str]) -> dict[str, str]:
    out = {}
    for key, value in environ.items():
        if not isinstance(key, str) or key in _SKIPPED or key in os_keys:
            continue
        if "." in key and not key.startswith("wsgi."):
            continue
        if key in _OBJECTS:
            out[key] = "<present>"
        elif key in _EMPTY_IS_ABSENT and value == "":
            continue
        else:
            out[key] = repr(value)
    return out


def environ_differences(judged: list[Judged]) -> tuple[list[Difference], int]:
    """The differences per key, and how many requests were compared."""
    client = Client(make_app(None))
    found: dict[str, Difference] = {}
    compared = 0
    for item in judged:
        data = item.record.exchange if item.record is not None else None
        server_environ = item.exchange.environ
        if item.sent.scenario != "echo" or data is None or server_environ is None:
            continue
        mine = client.send(item.sent.request).environ
        if mine is None:  # wsgicheck refuses what the server took: that is a difference too
            mine = {"<the app>": "not called: wsgicheck refused the request"}
        compared += 1
        os_keys = {str(key) for key in data.get("os_keys", [])}
        theirs = _normalised(server_environ, os_keys)
        ours = _normalised(mine, set())
        for key in sorted(set(theirs) | set(ours)):
            server_value, our_value = theirs.get(key, ABSENT), ours.get(key, ABSENT)
            if server_value == our_value:
                continue
            if key in found:
                found[key].count += 1
            else:
                found[key] = Difference(key, 1, server_value, our_value, item.sent.request)
    return sorted(found.values(), key=lambda each: (-each.count, each.key)), compared
