"""Smallest means smallest: the reported request is the simplest that still shows the finding.

Hypothesis shrinks what it drew, but a failure found early (in the fixed corpus, or kept as
the smallest seen) may still carry what it does not need: a junk Cookie, ``PUT`` where a
plain GET fails too, HTTP/1.0, a server choice away from the default, earlier requests of
its sequence. :func:`simplify` tries, in a bounded number of replays, each simpler version
of the failing request in turn (the default server choices; the path with what RFC 3986
does not allow in it percent-encoded; GET without a body; HTTP/1.1; each header field
dropped) and keeps every change under which the same rule still breaks. A raw ``é`` in a
path is a request a server may refuse with 400 (RFC 9112 §3.2); ``%E9`` is a valid one,
and the server decodes it to the same PATH_INFO.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from ..core.environ import ServerConfig
from ..model.grammar import PCHAR_MARKS
from ..model.request import Framing, InvalidRequest, Request

__all__ = ["DRAWN_CHOICES", "MAX_TRIES", "simplify"]

#: The server choices the runner draws (:func:`wsgicheck.strategies.server_configs`).
DRAWN_CHOICES = (
    "script_name",
    "no_body_content_length",
    "empty_query_string",
    "multithread",
    "multiprocess",
    "file_wrapper",
    "input_terminated_always",
    "max_read",
)

#: What RFC 3986 lets a path hold unencoded: unreserved, sub-delims, ":", "@" (pchar, §3.3),
#: "/", and "%" where it starts an escape.
_PATH_CHARACTERS = frozenset(string.ascii_letters + string.digits + PCHAR_MARKS + "/%")
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

#: Replays per finding at most.
MAX_TRIES = 24
#: Fields a simpler request keeps: the user's (``-H``) and Host, which HTTP/1.1 needs.
_BODY_FIELDS = frozenset({"content-type", "expect"})

Example = tuple[Request, ServerConfig, tuple[Request, ...]]
#: Replays an example; whether the rule still breaks.
Attempt = Callable[[Request, ServerConfig, tuple[Request, ...]], bool]


def _variants(
    request: Request,
    config: ServerConfig,
    before: tuple[Request, ...],
    *,
    default: ServerConfig,
    keep: frozenset[str],
) -> Iterator[Example]:
    """Simpler versions of one example, the biggest simplification first.

    The requests ``before`` it are kept as they are: what they set up in the app (a
    session) stays in the app the run drives, so a replay without them would pass here and
    fail on a fresh app, where the reproducer runs."""
    plain = replace(config, **{name: getattr(default, name) for name in DRAWN_CHOICES})
    if plain != config:
        yield request, plain, before
    encoded = _uri_target(request.target)
    if encoded != request.target:
        yield _safe(request, target=encoded), config, before
    if request.method != "GET":
        bare = tuple(pair for pair in request.headers if pair[0].lower() not in _BODY_FIELDS)
        yield _safe(request, method="GET", headers=bare, body=b"", framing=Framing.NONE,
                    chunk_sizes=()), config, before  # fmt: skip
        if request.method not in ("HEAD", "OPTIONS") and request.body:
            yield _safe(request, body=b"", chunk_sizes=()), config, before
    if request.http_version != "1.1":
        headers = request.headers
        if not any(name.lower() == "host" for name, _ in headers):
            headers = (("Host", "localhost"), *headers)
        yield _safe(request, http_version="1.1", headers=headers), config, before
    if request.framing is Framing.CHUNKED:
        yield _safe(request, framing=Framing.CONTENT_LENGTH, chunk_sizes=()), config, before
    for index, (name, _) in enumerate(request.headers):
        if name.lower() in keep:
            continue
        if name.lower() == "host" and request.http_version == "1.1":
            continue
        headers = request.headers[:index] + request.headers[index + 1 :]
        yield _safe(request, headers=headers), config, before


def _uri_target(target: str) -> str:
    """An origin-form ``target`` with each character RFC 3986 does not allow in its path
    percent-encoded (a latin-1 character as its byte, as it went on the wire). The server
    decodes the path, so the app gets the same PATH_INFO; the query is left as it is (the
    app gets QUERY_STRING undecoded), and so is a path with a "%" that starts no escape
    (which no encoding makes valid without changing PATH_INFO)."""
    path, mark, query = target.partition("?")
    if not path.startswith("/") or _LONE_PERCENT.search(path):
        return target
    encoded = "".join(char if char in _PATH_CHARACTERS else f"%{ord(char):02X}" for char in path)
    return encoded + mark + query


def _safe(request: Request, **changes: Any) -> Request:
    """``request`` changed, or itself when the change makes no valid request."""
    try:
        return request.replace(**changes)
    except InvalidRequest:
        return request


def simplify(
    example: Example,
    attempt: Attempt,
    *,
    default: ServerConfig,
    keep: Sequence[str] = (),
    tries: int = MAX_TRIES,
) -> Example:
    """The simplest version of ``example`` under which ``attempt`` still sees the rule break,
    within ``tries`` replays. Each accepted change is kept, and the search starts again
    from the simpler example (so a dropped header lets the next one be dropped too)."""
    kept = frozenset(name.lower() for name in keep)
    current = example
    seen = {current}
    while tries > 0:
        for variant in _variants(*current, default=default, keep=kept):
            if variant in seen:
                continue
            seen.add(variant)
            tries -= 1
            if attempt(*variant):
                current = variant
                break
            if tries <= 0:
                break
        else:
            break
    return current
