"""The fixed requests every run starts with, before Hypothesis explores.

Generated examples are varied but Hypothesis starts from simple ones, so a request shape
(a body past 4 KiB, a chunked upload, a non-latin-1 path, short reads) might not come up
in a small budget. These examples make sure each common shape is tried once, under the
default server and under the other choices a server may make; they are ordinary examples
(judged, counted, kept when they fail), only not drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..core.environ import ServerConfig
from ..model.request import Framing, Request

__all__ = ["corpus"]

_FORM = b"name=wsgicheck&city=K%C3%B6ln&empty=&list=1&list=2"


def corpus(
    paths: list[str],
    *,
    script_names: tuple[str, ...],
    base: ServerConfig,
    named: Sequence[str] = (),
) -> list[tuple[Request, ServerConfig]]:
    """The fixed (request, server choices) pairs for an app serving ``paths``, of which the
    user ``named`` some."""
    host = (("Host", "localhost"),)
    form = (*host, ("Content-Type", "application/x-www-form-urlencoded"))
    binary = (*host, ("Content-Type", "application/octet-stream"))
    json = (*host, ("Content-Type", "application/json"))
    examples = [
        Request(headers=host),
        Request(method="HEAD", headers=host),
        Request(method="POST", headers=form, body=_FORM, framing=Framing.CONTENT_LENGTH),
        Request(
            method="PUT",
            headers=binary,
            body=bytes(range(256)) * 20,
            framing=Framing.CONTENT_LENGTH,
        ),
        Request(
            method="POST",
            headers=form,
            body=_FORM,
            framing=Framing.CHUNKED,
            chunk_sizes=(5, 1, len(_FORM) - 6),
        ),
        Request(
            method="POST",
            headers=(*form, ("Expect", "100-continue")),
            body=_FORM,
            framing=Framing.CONTENT_LENGTH,
        ),
        Request(target="/?q=1&x=%25&y=a+b&z=%C3%A9", headers=host),
        Request(target="/caf%C3%A9/%E2%98%83?k=%E2%82%AC", headers=host),
        Request(target="/a//b/../c/./%2F", headers=host),
        Request(method="OPTIONS", target="*", headers=host),
        Request(method="DELETE", headers=host),
        Request(http_version="1.0"),
        Request(
            headers=(
                *host,
                ("Accept", "text/html"),
                ("accept", "application/json"),
                ("Cookie", "a=1"),
                ("Cookie", "b=2"),
                ("X_Forwarded_For", "10.0.0.1"),
            )
        ),
    ]
    examples += [Request(target=path, headers=host) for path in paths if path != "/"]
    # A body labelled JSON that is not, to each path: an app answers it 400, where one that
    # lets json.loads raise answers 500 (Hug 2.6; drawn, it came up on two seeds of five).
    examples += [
        Request(
            method="POST", target=path, headers=json, body=b"{x}", framing=Framing.CONTENT_LENGTH
        )
        for path in paths or ["/"]
    ]
    # An HTTP/1.0 GET to each path the user named: an app may answer an old client on its
    # own (a streamed body closed with "Connection: close", Quixote 3.8 on /stream, a trial
    # of 2026-12-07), and 1.0 drawn to one path among many may never come up.
    mine = [path for path in dict.fromkeys(named) if path != "/" and path in paths]
    examples += [Request(target=path, http_version="1.0") for path in mine]
    # Each named path with its last segment spelled with a space and a character past ASCII:
    # a route that takes any name and redirects by its decoded text (Bottle's
    # redirect("/new/" + name), CherryPy 18.10's trailing-slash tool: "Location:
    # http://localhost/a b/") shows it to such a name only (a trial of 2026-12-07).
    examples += [
        Request(target=_odd_name(path), headers=host)
        for path in mine
        if path.partition("?")[0].strip("/")
    ]
    pairs = [(request, base) for request in examples]
    # The same shapes under the server choices PEP 3333 leaves open.
    mounted = [name for name in script_names if name]
    for name in mounted[:1]:
        pairs.append((examples[0], replace(base, script_name=name)))
        pairs.append((examples[2], replace(base, script_name=name)))
    choices = replace(
        base,
        max_read=3,
        file_wrapper=False,
        input_terminated_always=False,
        no_body_content_length="empty",
        empty_query_string="omit",
    )
    pairs += [(examples[index], choices) for index in (0, 2, 3, 4)]
    return pairs


def _odd_name(path: str) -> str:
    """``path`` with ``%20%C3%A9`` (a space, then é in UTF-8) at the end of its last segment,
    before a trailing slash and the query: ``/old/a`` as ``/old/a%20%C3%A9``, ``/docs/`` as
    ``/docs%20%C3%A9/``."""
    route, mark, query = path.partition("?")
    stem = route.rstrip("/")
    return stem + "%20%C3%A9" + route[len(stem) :] + mark + query
