"""The questions a client asks after an answer: HEAD beside a GET, the GET again with what
it taught (its ETag, its Last-Modified), with gzip accepted, a byte range, and plain.

A 200 to GET teaches validators; real clients then revalidate, compress and ask for
ranges, and that is where apps and middleware stacks break (a 304 that carries a gzip body,
a HEAD that describes another representation). :func:`follow_ups` builds those requests;
:func:`send_follow_ups` sends them and returns their exchanges linked after the GET, so
the rules over pairs (:mod:`wsgicheck.rules.http_pairs`) judge each beside it;
:func:`ask_about` does the whole sequence through a :class:`~wsgicheck.client.Client`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from .client import Client
from .request import Framing, InvalidRequest, Request
from .response import Response
from .rules import Exchange
from .rules.engine import HISTORY
from .rules.http_evidence import CONDITIONAL_FIELDS

__all__ = ["FollowUps", "ask_about", "follow_ups", "send_follow_ups"]

#: Request fields a follow-up sets itself, dropped from the GET it starts from.
_REPLACED = CONDITIONAL_FIELDS | {"range"}


def follow_ups(request: Request, response: Response) -> list[Request]:
    """The requests that follow a 200 to ``request`` (a GET), in the order to send them:
    HEAD to the same target; the GET with If-None-Match set to the ETag and with
    If-Modified-Since set to the Last-Modified it got; the first of those with
    ``Accept-Encoding: gzip`` when the GET did not send one; ``Range: bytes=0-0`` when
    the answer said ``Accept-Ranges: bytes``; and the GET again, which the rules over pairs
    need to tell an app's HEAD from an app that varies. None for anything else; a value
    the app sent that no client could send back is left out."""
    if request.method != "GET" or response.status_code != 200:
        return []
    fields = tuple(item for item in request.headers if item[0].lower() not in _REPLACED)
    plain = {"headers": fields, "body": b"", "framing": Framing.NONE, "chunk_sizes": ()}
    wanted: list[tuple[str, tuple[tuple[str, str], ...]]] = [("HEAD", ())]
    conditions = [
        (name, value)
        for name, learned in (("If-None-Match", "etag"), ("If-Modified-Since", "last-modified"))
        if (value := response.header(learned)) is not None
    ]
    wanted += [("GET", (condition,)) for condition in conditions]
    if conditions and not request.header_values("accept-encoding"):
        wanted.append(("GET", (conditions[0], ("Accept-Encoding", "gzip"))))
    if (response.header("accept-ranges") or "").strip().lower() == "bytes":
        wanted.append(("GET", (("Range", "bytes=0-0"),)))
    # The GET again: HEAD and 304s are judged against a GET answer the app gives steadily.
    wanted.append(("GET", ()))
    out = []
    for method, extra in wanted:
        try:
            out.append(request.replace(method=method, **{**plain, "headers": fields + extra}))
        except InvalidRequest:
            continue  # an ETag with a CR in it, say: APP-HEADER-VALUE-NO-CONTROL's finding
    return out


def send_follow_ups(
    send: Callable[[Request], Response], first: Exchange, *, source: str = "memory"
) -> list[Exchange]:
    """Send the :func:`follow_ups` of ``first`` with ``send`` (one transport's exchange);
    their exchanges, each with ``first`` and the follow-ups before it as ``history``."""
    linked = [first]
    for request in follow_ups(first.request, first.response):
        later = Exchange(send(request), source=source)
        later.history = tuple(linked[-HISTORY:])
        linked.append(later)
        if later.timed_out:
            break  # an app that hangs here would hang on every other one too
    return linked[1:]


def ask_about(
    client: Client,
    target: str = "/",
    *,
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
) -> list[Exchange]:
    """GET ``target`` through ``client``, then its follow-ups: every exchange, linked, for
    :func:`wsgicheck.rules.check_exchange` to judge one by one."""
    first = Exchange(client.request("GET", target, headers=headers))
    return [first, *send_follow_ups(client.send, first)]


class FollowUps:
    """Which GETs of a run get follow-ups: the first answered 200 to each target, up to
    ``limit`` targets, so the questions cost a run a bounded number of exchanges."""

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._asked: set[str] = set()

    def wants(self, first: Exchange) -> bool:
        """Whether to follow ``first`` up (and, if so, remember its target as asked)."""
        target = first.request.target
        if (
            first.method != "GET"
            or first.response.status_code != 200
            or first.timed_out
            or target in self._asked
            or len(self._asked) >= self.limit
        ):
            return False
        self._asked.add(target)
        return True
