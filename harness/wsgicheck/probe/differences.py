"""The environ a server built, next to the one wsgicheck builds for the same request.

Every echo request of a probe (the generated ones and the plain corpus requests) runs
through wsgicheck's own core too (the memory :class:`~wsgicheck.Client`, the probe app
inside); the two environs are compared key by key
(:func:`wsgicheck.explore.agreement.environ_differences`, leaving out what :data:`NORMALISED` lets
differ), and the differences are counted per key, with the first example.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..drivers.client import Client
from ..explore import agreement
from ..explore.agreement import Between, may_differ
from ..model.request import Request
from .app import make_app
from .judge import Judged

__all__ = ["NORMALISED", "Difference", "environ_differences"]

#: What is left out of the comparison, and why: the environ entries of the one list
#: (:data:`wsgicheck.explore.agreement.MAY_DIFFER`) that hold between another server and wsgicheck.
NORMALISED = {
    aspect.removeprefix("environ "): why
    for aspect, why in may_differ(Between.SERVERS, "environ").items()
}


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
        differ = agreement.environ_differences(server_environ, mine, Between.SERVERS, os_keys)
        for key, (server_value, our_value) in differ.items():
            if key in found:
                found[key].count += 1
            else:
                found[key] = Difference(key, 1, server_value, our_value, item.sent.request)
    return sorted(found.values(), key=lambda each: (-each.count, each.key)), compared
