"""Where a run points: the user's header fields on every request, the paths it must not drive,
and what the app answered on each path.

An app often refuses whatever does not look like its real clients: Django answers 400 to a
Host outside ``ALLOWED_HOSTS``, an API 401 without a token. ``-H 'Host: example.com'``
(:func:`parse_header`, :func:`with_headers`) gets the requests past that door;
``--exclude-path`` (:func:`excluded`) keeps the run away from endpoints that must not be
driven (a logout, a payment). :class:`Answers` counts the statuses per path, so every report
shows what the app answered, and a run that never got past a refusal can say so.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase, translate
from typing import NamedTuple
from urllib.parse import unquote_to_bytes

from ..core.environ import ServerConfig
from ..model import grammar
from ..model.extra import RAISED, REPLACED
from ..model.request import FRAMING_HEADERS, Request

__all__ = [
    "OTHER_PATHS",
    "Answers",
    "at_or_above",
    "excluded",
    "parse_header",
    "sendable",
    "statuses_text",
    "with_headers",
]

Field = tuple[str, str]


def parse_header(text: str) -> Field:
    """``'Name: value'`` as a header field; ValueError, saying why, when it is not one.

    The name is an RFC 9110 token; framing fields (Content-Length, Transfer-Encoding) are
    the request's own and cannot be set this way.
    """
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip(" \t")
    if not colon or not name:
        raise ValueError(f"{text!r}: expected 'Name: value'")
    if not grammar.is_token(name):
        raise ValueError(f"{text!r}: {name!r} is not a header field name (RFC 9110 §5.1)")
    if name.lower() in FRAMING_HEADERS:
        raise ValueError(f"{text!r}: {name} is set from the request's body, not by hand")
    if not grammar.is_field_value(value):
        raise ValueError(f"{text!r}: the value is not a valid field value (RFC 9110 §5.5)")
    if name.lower() == "host" and grammar.host_re.fullmatch(value) is None:
        # Every request would be refused before the app saw it (the run then blamed the
        # app for refusing them all).
        raise ValueError(f"{text!r}: not a host and optional port (RFC 9110 §7.2)")
    return name, value


def with_headers(request: Request, fields: Sequence[Field]) -> Request:
    """``request`` with the user's ``fields``: each replaces every drawn field of its name
    (case-insensitive), so a user's Host or Cookie is the one the app sees, once."""
    if not fields:
        return request
    names = {name.lower() for name, _ in fields}
    kept = tuple(pair for pair in request.headers if pair[0].lower() not in names)
    return request.replace(headers=(*kept, *fields))


def at_or_above(above: str, path: str) -> bool:
    """Whether ``path`` is ``above`` or lies under it, by whole segments (``/items/1``
    under ``/items``, not ``/itemsx``; any path under ``/``)."""
    base = above.rstrip("/")
    return path.rstrip("/") == base or path.startswith(base + "/")


def excluded(target: str, patterns: Sequence[str]) -> bool:
    """Whether the run must not send a request for ``target``.

    A pattern with a glob character (``*``, ``?``, ``[``) is matched against the whole path
    as :mod:`fnmatch` reads it (``*`` crosses ``/``), and against it without the slashes
    that end it (with one, for a pattern that ends in one): ``/admin/*``, ``*.php``,
    ``/*/logout`` (``/en/logout/`` too), ``/*/logout/`` (``/en/logout`` too). Any
    other pattern is a path prefix, by whole segments: ``/logout`` excludes ``/logout`` and
    ``/logout/all``, not ``/logouts``. The path is tried as sent and percent-decoded, so
    ``/log%6Fut`` is excluded too, and ``/café`` excludes ``/caf%C3%A9`` (the run sends a
    typed path as a browser does); the query is not looked at. Letters match whatever their
    case, and a segment's parameters (``;p``) are dropped too: an app that folds case or
    drops them routes ``/ADMIN`` and ``/admin;p`` to ``/admin``, and a path excluded by
    mistake costs a request, where one sent by mistake may delete data.
    """
    if not patterns:
        return False
    forms = _path_forms(target.partition("?")[0])
    folded = {form.lower() for form in forms}
    for pattern in patterns:
        if any(char in pattern for char in "*?["):
            # As written, and with its letters in any case: lower-casing the pattern made
            # [A-z] (which holds "_") [a-z], and [!A] [!a] (a review of 2026-12-06).
            glob = _any_case(pattern)
            # And without a slash after it (with one, for a pattern that ends in one):
            # /en/admin/logout/ is Django's /en/admin/logout, and '/*/admin/logout' kept the
            # run off neither (a trial of 2026-12-07).
            ended = {form.rstrip("/") or "/" for form in forms}
            if pattern.endswith("/"):
                ended |= {form + "/" for form in ended}
            if any(fnmatchcase(form, pattern) or glob.fullmatch(form) for form in forms | ended):
                return True
            continue
        lower = pattern.lower()
        stem = lower.rstrip("/")
        for form in folded:
            if form in (lower, stem) or form.startswith(stem + "/"):
                return True
    return False


@functools.lru_cache(maxsize=64)
def _any_case(pattern: str) -> re.Pattern[str]:
    """A glob as a pattern that matches its letters in any case, made once (it is asked for
    on every request the run sends)."""
    return re.compile(translate(pattern), re.IGNORECASE)


def _path_forms(path: str) -> set[str]:
    """``path`` as sent, and its bytes percent-decoded read as latin-1 and, where they are
    UTF-8, as UTF-8: each way a user may have written a path to exclude. (A target is
    latin-1 text; a link not yet sent may hold more, sent as UTF-8.)"""
    try:
        sent = path.encode("latin-1")
    except UnicodeEncodeError:
        sent = path.encode()
    decoded = unquote_to_bytes(sent)
    forms = {path}
    # Its dot-segments removed too: a link's /x/%2e%2e/admin is /admin to a browser (WHATWG
    # URL) and to an app routing on PATH_INFO (an adversarial trial of 2026-12-06); and its
    # slashes merged, as a server may before PATH_INFO (//admin, /x/..//admin); and its
    # segments' parameters dropped, as a router may (/admin;jsessionid=1).
    merged = re.sub(rb"//+", b"/", decoded)
    bare = re.sub(rb";[^/]*", b"", merged)
    for each in (decoded, merged, bare):
        for path_form in (each, grammar.remove_dot_segments(each)):
            forms.add(path_form.decode("latin-1"))
            with contextlib.suppress(UnicodeDecodeError):
                forms.add(path_form.decode("utf-8"))
    return forms


def sendable(method: str, *, read_only: bool) -> bool:
    """Whether a run may send a request of ``method``: any, or under ``--read-only`` only
    a safe one (RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE), which asks the app to change
    nothing it holds. Safe is what the method means: an app may still change on a GET."""
    return not read_only or method in grammar.SAFE_METHODS


#: The row :class:`Answers` counts paths under once it holds :data:`MAX_PATHS` of them.
OTHER_PATHS = "(other paths)"
#: Paths counted one by one; generated paths are endless, the report's table is not.
MAX_PATHS = 200
#: The status label of an exchange abandoned at its time limit.
TIMED_OUT = "timeout"


class FirstAnswer(NamedTuple):
    """The first example the app answered, to show when every answer was the same refusal."""

    request: Request
    config: ServerConfig
    transport: str
    status: int
    reason: str
    headers: list[tuple[str, str]]


def statuses_text(row: dict[str, int]) -> str:
    """A path's row of the table of statuses as text: ``"200 ×36 · 404 ×2"``."""
    return " · ".join(f"{status} ×{count}" for status, count in row.items())


@dataclass(slots=True)
class Answers:
    """The statuses the app answered with, per path: ``{path: {status: count}}``.

    Statuses are labels (``"200"``, ``"timeout"``), so the table is plain data that pickles
    between processes and goes into JSON as it is.
    """

    paths: dict[str, dict[str, int]] = field(default_factory=dict)
    #: How the failed answers came about, cause → count (``model.extra.RAISED`` …).
    failed: dict[str, int] = field(default_factory=dict)
    #: Of those, the ones the table shows as a 5xx the server sent in the app's place (it
    #: raised before its status went out, or its response broke PEP 3333), by cause.
    served: dict[str, int] = field(default_factory=dict)
    #: Those 5xx of the server's own per path, as ``paths`` keys it: whose each 5xx on a
    #: path was (a trial of 2026-12-07: Quixote answered some 500s itself, and the note on
    #: a path where every 5xx was the server's asked about a Host and a login).
    served_paths: dict[str, int] = field(default_factory=dict)
    #: The answers in which the app did its work (``rules.harness_rules.outcome``).
    succeeded: int = 0
    #: The first exception that escaped the app of its own, as APP-TRAP-OWN-ERRORS tells it.
    raised: str | None = None
    #: The first server error the app answered itself: the request, the status, and the
    #: last line it wrote to wsgi.errors then (the traceback a framework logs there).
    answered_error: str | None = None
    #: The questions that follow a GET (HEAD, conditional requests, OPTIONS, TRACE:
    #: ``explore.sequences``), which the table does not count, that the app answered with a
    #: server error of its own, and the first as :attr:`answered_error` tells it (a trial of
    #: 2026-12-07: CherryMusic's /favicon.ico answered OPTIONS and TRACE with 500, and the
    #: run passed without a word of it).
    asked_errors: int = 0
    asked_error: str | None = None
    #: The first path the run's own requests removed: a GET answered 2xx, then 404 or 410
    #: after a request of an unsafe method to it succeeded (see ``explore.merge``'s note).
    removed: str | None = None
    #: The answers cut short by a WSGIViolation that a wsgicheck.validator inside TARGET
    #: raised, and the first one's text (see ``explore.merge``'s note).
    inner_violations: int = 0
    inner_violation: str | None = None
    #: The first example the app failed on (it raised, or answered a server error itself):
    #: what HARNESS-ALL-ERRORS shows (the run's first answer may be a refusal, a trial of
    #: 2026-12-07: Tryton's "GET / got 405").
    first_failed: FirstAnswer | None = None

    def merge(self, other: Answers) -> None:
        for path, row in other.paths.items():
            for status, count in row.items():
                self.add(path, status, count)
        for cause, count in other.failed.items():
            self.failed[cause] = self.failed.get(cause, 0) + count
        for cause, count in other.served.items():
            self.served[cause] = self.served.get(cause, 0) + count
        for path, count in other.served_paths.items():
            key = self._key(path)
            self.served_paths[key] = self.served_paths.get(key, 0) + count
        self.succeeded += other.succeeded
        self.raised = self.raised or other.raised
        self.answered_error = self.answered_error or other.answered_error
        self.asked_errors += other.asked_errors
        self.asked_error = self.asked_error or other.asked_error
        self.removed = self.removed or other.removed
        self.inner_violations += other.inner_violations
        self.inner_violation = self.inner_violation or other.inner_violation
        self.first_failed = self.first_failed or other.first_failed

    def add_failed(self, cause: str, status: int, path: str) -> None:
        """Count a failed answer to ``path`` (counted by :meth:`add` first), and as the
        server's when it sent a 5xx in its place."""
        self.failed[cause] = self.failed.get(cause, 0) + 1
        if cause in (RAISED, REPLACED) and status >= 500:
            self.served[cause] = self.served.get(cause, 0) + 1
            key = self._key(path)
            self.served_paths[key] = self.served_paths.get(key, 0) + 1

    def add(self, path: str, status: str, count: int = 1) -> None:
        row = self.paths.setdefault(self._key(path), {})
        row[status] = row.get(status, 0) + count

    def _key(self, path: str) -> str:
        """The row ``path`` is counted in: its own, or past the table's limit the others'."""
        if path not in self.paths and len(self.paths) >= MAX_PATHS:
            return OTHER_PATHS
        return path

    @property
    def total(self) -> int:
        return sum(sum(row.values()) for row in self.paths.values())

    def rows(self, limit: int | None = None) -> list[tuple[str, dict[str, int]]]:
        """The paths with most answers first (the catch-all row last), at most ``limit``
        of them: past it, the rest are added up in one :data:`OTHER_PATHS` row."""
        ordered = sorted(
            ((path, row) for path, row in self.paths.items() if path != OTHER_PATHS),
            key=lambda item: (-sum(item[1].values()), item[0]),
        )
        rest = self.paths.get(OTHER_PATHS, {})
        if limit is not None and len(ordered) > limit:
            rest = dict(rest)
            for _, row in ordered[limit:]:
                for status, count in row.items():
                    rest[status] = rest.get(status, 0) + count
            ordered = ordered[:limit]
        rows = [(path, dict(sorted(row.items()))) for path, row in ordered]
        if rest:
            rows.append((OTHER_PATHS, dict(sorted(rest.items()))))
        return rows
