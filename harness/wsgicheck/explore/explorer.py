"""Sequences of requests that learn from the app's answers.

A single drawn request never carries the validator the app just sent, the cookie it just
set, or the form it just served; the bugs of conditional requests, sessions and forms live
there. An :class:`Explorer` keeps what one sequence has learned (:class:`Learned`) and draws
each next request from it, with Hypothesis's interactive draws (``st.data()``), so a
failing sequence shrinks like any example: fewer steps, simpler moves, plainer values.

The moves, simplest first (Hypothesis shrinks towards the first): a GET of a known target;
a freshly generated request; the previous request again; HEAD right after a GET of the same
target; conditional requests built on a learned ``ETag`` or ``Last-Modified``
(``If-None-Match`` with the tag, its weak twin, ``*`` or a list; ``If-Modified-Since``;
``If-Match``; ``If-Unmodified-Since``; ``If-Range`` with ``Range``); the learned cookies
sent back; a ``Location`` followed; an HTML form submitted with its method and enctype; a
method the app's ``Allow`` names.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.entities import html5
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from hypothesis import strategies as st

from ..drivers.wire import LONGEST_PATH
from ..model import grammar
from ..model.grammar import normal_authority
from ..model.learned import made
from ..model.request import Framing, From, InvalidRequest, LearnedField, Request
from ..model.response import Response
from ..results.scope import sendable
from . import vocabulary
from .pieces import TEXT

__all__ = ["MAX_STEPS", "MOVES", "Explorer", "Form", "Learned", "links_in"]

#: Requests in one sequence at most.
MAX_STEPS = 8
#: How much of a response body is read for links and forms.
READ_LIMIT = 65536
#: What one sequence learns at most, of each kind.
KEEP = 16

#: A link's attribute value, whole (a fragment and character references included: the
#: fragment is dropped once the references are resolved, see :func:`links_in`). The name
#: starts an attribute (after a space, a quote or a slash) or is a script's property
#: (``location.href = "/next"``), so that the Wagtail admin's
#: ``data-action="click->w-dialog#hide"``, a lazy image's ``data-src`` or Vue's ``:href``
#: (an expression, not a URL) are no links; SVG's ``xlink:href`` and a button's
#: ``formaction`` are.
_link_re = re.compile(
    rb"""(?<![^\s"'/.])(?:xlink:)?(?:href|src|(?:form)?action)\s*=\s*["']([^"'<>\s]+)""",
    re.IGNORECASE,
)
_ORIGIN = "http://app.invalid"

Draw = Callable[[st.SearchStrategy[Any]], Any]


@lru_cache(maxsize=1024)
def _sampled(items: tuple[Hashable, ...]) -> st.SearchStrategy[Any]:
    """``st.sampled_from(items)``, built once for each tuple of items: the moves draw from
    the same few lists over and over, and a strategy built afresh for each draw costs
    Hypothesis more than the draw itself."""
    return st.sampled_from(items)


#: The Accept-Encoding a revalidating request sends: none, gzip, a browser's, or any.
_CODINGS = st.one_of(
    st.none(), st.just("gzip"), st.just("gzip, deflate, br"), vocabulary.accept_encodings()
)
#: The values of a form's fields: the one the form gave, or any text.
_FORM_TEXT = st.text(TEXT, max_size=12)


def same_origin(base: str, link: str, hosts: frozenset[str] = frozenset()) -> str | None:
    """``link`` (as found in an answer to ``base``) as an origin-form target, when it points
    into the app: same origin, ASCII, a path. ``hosts`` are the origins the app was asked
    as (:func:`origin_hosts`), under which an absolute link of its own is its too (a trial
    of 2026-12-07: ``http://localhost/x`` and ``//localhost/x`` were never followed)."""
    try:
        absolute = urlsplit(urljoin(_ORIGIN + base, link))
    except ValueError:
        return None
    own = (
        absolute.netloc == "app.invalid"
        or f"{absolute.scheme}://{normal_authority(absolute.netloc, absolute.scheme)}" in hosts
    )
    if not own or not absolute.path.startswith("/"):
        return None
    target = absolute.path + (f"?{absolute.query}" if absolute.query else "")
    if not target.isascii() or grammar.request_target_re.fullmatch(target) is None:
        return None
    return target


#: A character reference closed by ``;``: in an attribute, a browser resolves no other
#: (``&region=us`` stays as written, though ``&reg`` alone is an old name for ``®``).
_REFERENCE = re.compile(r"&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


def origin_hosts(response: Response) -> frozenset[str]:
    """The origins a link of the app's own may name (``http://localhost``), as
    :func:`~wsgicheck.model.grammar.normal_authority` spells them: the request's scheme with
    its Host, and with the environ's SERVER_NAME and SERVER_PORT. Another scheme is another
    origin (a review of 2026-12-07: ``https://localhost/x`` was followed from an http
    request)."""
    environ = response.environ or {}
    scheme = str(environ.get("wsgi.url_scheme", "http")).lower()
    server, port = str(environ.get("SERVER_NAME", "")), str(environ.get("SERVER_PORT", ""))
    names = (*response.request.header_values("host")[:1], f"{server}:{port}" if server else "")
    return frozenset(
        f"{scheme}://{normal_authority(name, scheme)}" for name in names if name.strip()
    )


def _references_resolved(text: str) -> str:
    def resolved(match: re.Match[str]) -> str:
        reference = match.group()
        if reference[1] == "#":
            return html.unescape(reference)
        return html5.get(reference[1:], reference)

    return _REFERENCE.sub(resolved, text)


def links_in(response: Response, base: str) -> list[str]:
    """The app's own targets an answer points to: links in its body (``href``, ``src``,
    form ``action``), ``Location`` and ``Content-Location``.

    In HTML or XML an attribute's character references are resolved (``&amp;`` is ``&``),
    as a browser does: sent as written, ``?a=1&amp;b=2`` names a parameter ``amp;b``. A
    link to a fragment of the page itself (``#top``) is none, and so is one longer than
    :data:`~wsgicheck.drivers.wire.LONGEST_PATH`: under a mount, with a query, the socket
    server would answer it 414, as a real server does, and the run send it in memory only."""
    content_type = (response.header("Content-Type") or "").lower()
    markup = "html" in content_type or "xml" in content_type
    found = [
        _references_resolved(text) if markup else text
        for text in (
            match.decode("latin-1") for match in _link_re.findall(response.body[:READ_LIMIT])
        )
        if not text.startswith("#")
    ]
    for name in ("Location", "Content-Location"):
        value = response.header(name)
        if value:
            found.append(value)
    hosts = origin_hosts(response)
    targets = (same_origin(base, link, hosts) for link in found)
    return list(
        dict.fromkeys(
            target for target in targets if target is not None and len(target) <= LONGEST_PATH
        )
    )


@dataclass(frozen=True, slots=True)
class Form:
    """An HTML form as the app served it: where, how, and the fields it names."""

    action: str
    method: str
    enctype: str
    fields: tuple[tuple[str, str], ...]
    #: The names of its hidden fields, which a browser sends back as given (a CSRF token):
    #: a value drawn in their place gets every submission refused.
    hidden: frozenset[str] = frozenset()


class _Forms(HTMLParser):
    """The forms of an HTML page (``<form>``, its ``<input>``, ``<textarea>``, ``<select>``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]], set[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form" and len(self.forms) < KEEP:
            self.forms.append((values, [], set()))
        elif tag in ("input", "textarea", "select", "button") and self.forms:
            name = values.get("name")
            kind = values.get("type", "").lower()
            if name and kind not in ("submit", "image", "reset", "file") and len(name) < 64:
                self.forms[-1][1].append((name, values.get("value", "")))
                if tag == "input" and kind == "hidden":
                    self.forms[-1][2].add(name)


def forms_in(response: Response, base: str) -> list[Form]:
    content_type = (response.header("Content-Type") or "").lower()
    if "html" not in content_type:
        return []
    parser = _Forms()
    hosts = origin_hosts(response)
    try:
        parser.feed(response.body[:READ_LIMIT].decode(response.charset, errors="replace"))
    except (LookupError, AssertionError):  # an unknown charset; HTMLParser's own errors
        return []
    found = []
    for attrs, fields, hidden in parser.forms:
        action = same_origin(base, attrs.get("action") or base, hosts)
        method = (attrs.get("method") or "GET").upper()
        if action is None or not grammar.is_token(method):
            continue
        enctype = (attrs.get("enctype") or "application/x-www-form-urlencoded").lower()
        kept = tuple(fields[:KEEP])
        found.append(Form(action, method, enctype, kept, frozenset(hidden)))
    return found


@dataclass(slots=True)
class Learned:
    """What the answers of one sequence taught it."""

    targets: list[str] = field(default_factory=list)
    #: target → (ETag, Last-Modified), either None.
    validators: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)
    forms: list[Form] = field(default_factory=list)
    #: target → the methods its ``Allow`` field named.
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: What taught each thing learned (``"validator /x"``, ``"cookie sid"``...): the request
    #: whose answer it came in. A sequence that uses it sends that request first, so the
    #: sequence replays on its own, on a fresh app.
    teachers: dict[str, Request] = field(default_factory=dict)

    def learn(
        self,
        request: Request,
        response: Response,
        *,
        prefix: str = "",
        teacher: Request | None = None,
    ) -> None:
        """Take what ``response`` (to ``request``, sent under mount ``prefix``) teaches;
        ``teacher`` is the request to send again to learn it again (``request`` before the
        runner put the prefix and the user's fields on it)."""
        teacher = teacher or request
        target = _unprefixed(request.target, prefix)
        if target is None or response.environ is None:
            return
        ok = 200 <= response.status_code < 300
        if ok and request.method in ("GET", "HEAD"):
            _add(self.targets, target)
            etag = response.header("ETag")
            modified = response.header("Last-Modified")
            etag = etag if etag and grammar.is_field_value(etag) else None
            modified = modified if modified and grammar.is_field_value(modified) else None
            if (etag or modified) and len(self.validators) < KEEP:
                # The request whose answer gave the validators sent back: a replay reads
                # them from its answer, so a later answer that changed them (a coding's
                # own ETag) teaches them from then on.
                if self.validators.get(target) != (etag, modified):
                    self.teachers[f"validator {target}"] = teacher
                self.validators[target] = (etag, modified)
        for name, value in response.headers:
            if name.lower() == "set-cookie" and len(self.cookies) < KEEP:
                pair = value.split(";", 1)[0].strip()
                key, eq, val = pair.partition("=")
                if eq and grammar.is_token(key.strip()) and grammar.is_field_value(pair):
                    self.cookies[key.strip()] = val.strip()
                    self.teachers.setdefault(f"cookie {key.strip()}", teacher)
        for found in links_in(response, request.target):
            link = _unprefixed(found, prefix)
            if link is not None:
                _add(self.locations if response.header("Location") else self.targets, link)
                self.teachers.setdefault(f"link {link}", teacher)
        for form in forms_in(response, request.target):
            action = _unprefixed(form.action, prefix)
            if action is not None and len(self.forms) < KEEP:
                learned = Form(action, form.method, form.enctype, form.fields, form.hidden)
                self.forms.append(learned)
                self.teachers.setdefault(f"form {learned}", teacher)
        allow = response.header("Allow")
        # Not for "*": the asterisk-form is OPTIONS's alone (RFC 9112 §3.2.4), so what an
        # app allows there is no method to send to it.
        if allow is not None and target != "*":
            # Not CONNECT: it takes a host:port, never one of the app's paths (§3.2.3).
            # Sorted: an app that lists them from a set (Flask) sends them in an order of
            # the process's hash seed, and a seed must draw the same requests in any.
            methods = tuple(
                sorted(
                    {
                        method
                        for method in (each.strip() for each in allow.split(","))
                        if grammar.is_token(method) and method != "CONNECT"
                    }
                )
            )
            if methods and len(self.allowed) < KEEP:
                self.allowed[target] = methods
                self.teachers.setdefault(f"allow {target}", teacher)

    def copy(self) -> Learned:
        return Learned(
            list(self.targets),
            dict(self.validators),
            dict(self.cookies),
            list(self.locations),
            list(self.forms),
            dict(self.allowed),
            dict(self.teachers),
        )

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())


def _made_of(
    fields: list[tuple[str, str]], told: dict[str, str | None], teacher: Request | None
) -> tuple[LearnedField, ...]:
    """The ``fields`` of a conditional move that the validators ``told`` make
    (:data:`_MADE_OF`), as learned from the answer to ``teacher``: a replay makes them
    again from its own answer to it."""
    if teacher is None:
        return ()
    out = []
    for name, value in fields:
        made_of = _MADE_OF.get(name.lower(), ())
        parts = next((each for each in made_of if made(each, told.get) == value), None)
        if parts is not None:
            out.append(LearnedField(name=name, value=value, teacher=teacher, parts=parts))
    return tuple(out)


def _add(items: list[str], item: str) -> None:
    if item not in items and len(items) < KEEP:
        items.append(item)


def _unprefixed(target: str, prefix: str) -> str | None:
    """``target`` without the mount prefix it was sent or linked under (None: outside it)."""
    if not prefix:
        return target
    if target == prefix or target.startswith((prefix + "/", prefix + "?")):
        rest = target[len(prefix) :]
        return rest if rest.startswith("/") else "/" + rest
    return None


#: What a conditional move's field may be made of, by field: the learned validator as it
#: came, its weakness flipped, or in a list (:mod:`wsgicheck.model.learned`).
_MADE_OF: dict[str, tuple[tuple[str | From, ...], ...]] = {
    "if-none-match": (
        (From("etag"),),
        (From("etag", "strong"),),
        (From("etag", "weak"),),
        ('"wsgicheck-other", ', From("etag")),
    ),
    "if-match": ((From("etag"),),),
    "if-modified-since": ((From("last-modified"),),),
    "if-unmodified-since": ((From("last-modified"),),),
    "if-range": ((From("etag"),), (From("last-modified"),)),
}


#: The moves, simplest first: Hypothesis shrinks a move towards the start of this list.
MOVES = (
    "get",
    "fresh",
    "repeat",
    "head",
    "conditional",
    "cookie",
    "follow",
    "form",
    "allowed",
)

_BODY_METHODS = ("POST", "PUT", "PATCH")
_PLAIN = ("get", "fresh")


class Explorer:
    """Draws the requests of one sequence, each from what the answers so far taught."""

    def __init__(
        self,
        paths: Sequence[str],
        fresh: st.SearchStrategy[Request],
        *,
        host: str = "localhost",
        learned: Learned | None = None,
        read_only: bool = False,
    ) -> None:
        """``learned`` is where to start from (what discovery learned), copied;
        ``read_only`` leaves out the forms and the methods ``Allow`` names that are not safe
        (``--read-only``)."""
        self.learned = learned.copy() if learned is not None else Learned()
        self.read_only = read_only
        for path in paths or ["/"]:
            _add(self.learned.targets, path)
        self.fresh = fresh
        self.host = host
        self.history: list[Request] = []
        self._needs: list[str] = []

    def available(self) -> list[str]:
        """The moves that have something to work on now, in :data:`MOVES` order."""
        learned, last = self.learned, self.history[-1] if self.history else None
        ready = {
            "get": True,
            "fresh": True,
            "repeat": last is not None,
            "head": last is not None and last.method == "GET",
            "conditional": bool(learned.validators),
            "cookie": bool(learned.cookies),
            "follow": bool(learned.locations),
            "form": bool(self._forms()),
            "allowed": bool(self._allowed_methods()),
        }
        return [move for move in MOVES if ready[move]]

    def next(self, draw: Draw) -> tuple[str, list[Request]]:
        """The next move and its requests: the one drawn, after the requests that taught
        what it uses when this sequence has not sent them yet (what discovery learned). The
        moves built on what was learned are drawn three times as often as a plain GET or a
        fresh request."""
        self._needs = []
        ready = self.available()
        move = draw(_sampled(tuple(ready + [m for m in ready if m not in _PLAIN] * 2)))
        try:
            request = getattr(self, "_" + move)(draw)
        except InvalidRequest:  # what the app taught cannot go into a request (a bad tag)
            self._needs = []
            move, request = "get", self._get(draw)
        first = []
        for key in dict.fromkeys(self._needs):
            teacher = self.learned.teachers.get(key)
            if teacher is not None and teacher not in self.history and teacher not in first:
                first.append(teacher)
        self.history += [*first, request]
        return move, [*first, request]

    # -- the moves -------------------------------------------------------------------------

    def _host(self, *fields: tuple[str, str]) -> tuple[tuple[str, str], ...]:
        return (("Host", self.host), *fields)

    def _get(self, draw: Draw) -> Request:
        target = draw(_sampled(tuple(self.learned.targets)))
        return Request(target=target, headers=self._host(*draw(vocabulary.http_fields(max_size=2))))

    def _fresh(self, draw: Draw) -> Request:
        request: Request = draw(self.fresh)
        return request

    def _repeat(self, draw: Draw) -> Request:
        return self.history[-1]

    def _head(self, draw: Draw) -> Request:
        return self.history[-1].replace(method="HEAD")

    def _conditional(self, draw: Draw) -> Request:
        target, (etag, modified) = draw(_sampled(tuple(sorted(self.learned.validators.items()))))
        self._needs.append(f"validator {target}")
        kinds = []
        if etag:
            # A cache revalidating what it holds is the commonest: drawn twice as often.
            kinds += ["if-none-match", "if-none-match", "weak", "star", "list", "if-match"]
            kinds += ["if-range"]
        if modified:
            kinds += ["if-modified-since", "if-unmodified-since", "if-range-date"]
        kind = draw(_sampled(tuple(kinds)))
        fields: list[tuple[str, str]] = []
        if kind == "if-none-match":
            fields.append(("If-None-Match", str(etag)))
        elif kind == "weak":
            tag = str(etag)
            fields.append(("If-None-Match", tag[2:] if tag.startswith("W/") else "W/" + tag))
        elif kind == "star":
            fields.append(("If-None-Match", "*"))
        elif kind == "list":
            fields.append(("If-None-Match", f'"wsgicheck-other", {etag}'))
        elif kind == "if-match":
            fields.append(("If-Match", draw(_sampled((str(etag), '"wsgicheck-other"')))))
        elif kind == "if-modified-since":
            fields.append(("If-Modified-Since", str(modified)))
        elif kind == "if-unmodified-since":
            old = vocabulary.HTTP_DATES[0]
            fields.append(("If-Unmodified-Since", draw(_sampled((str(modified), old)))))
        else:
            validator = etag if kind == "if-range" else modified
            fields += [("If-Range", str(validator)), ("Range", draw(vocabulary.ranges()))]
        # Browsers and caches revalidate with the codings they take: gzip is common.
        coding = draw(_CODINGS)
        if coding is not None:
            fields.append(("Accept-Encoding", coding))
        if self.learned.cookies and draw(st.booleans()):
            fields.append(("Cookie", self._cookies()))
        method = draw(_sampled(("GET", "HEAD")))
        teacher = self.learned.teachers.get(f"validator {target}")
        told = {"etag": etag, "last-modified": modified}
        return Request(
            method=method,
            target=target,
            headers=self._host(*fields),
            learned=_made_of(fields, told, teacher),
        )

    def _cookies(self) -> str:
        self._needs += [f"cookie {name}" for name in self.learned.cookies]
        return self.learned.cookie_header

    def _cookie(self, draw: Draw) -> Request:
        target = draw(_sampled(tuple(self.learned.targets)))
        return Request(target=target, headers=self._host(("Cookie", self._cookies())))

    def _follow(self, draw: Draw) -> Request:
        target = draw(_sampled(tuple(self.learned.locations)))
        self._needs.append(f"link {target}")
        cookie = (("Cookie", self._cookies()),) if self.learned.cookies else ()
        return Request(target=target, headers=self._host(*cookie))

    def _forms(self) -> tuple[Form, ...]:
        """The forms learned that the run may submit."""
        read_only = self.read_only
        return tuple(f for f in self.learned.forms if sendable(f.method, read_only=read_only))

    def _allowed_methods(self) -> list[tuple[str, tuple[str, ...]]]:
        """Per target, the methods its ``Allow`` named that the run may send."""
        read_only = self.read_only
        found = sorted(self.learned.allowed.items())
        sent = [(t, tuple(m for m in ms if sendable(m, read_only=read_only))) for t, ms in found]
        return [(target, methods) for target, methods in sent if methods]

    def _form(self, draw: Draw) -> Request:
        form: Form = draw(_sampled(self._forms()))
        self._needs.append(f"form {form}")
        values = [
            (name, value if name in form.hidden else draw(st.one_of(st.just(value), _FORM_TEXT)))
            for name, value in form.fields
        ]
        cookie = (("Cookie", self._cookies()),) if self.learned.cookies else ()
        if form.method == "GET":
            base = form.action.partition("?")[0]
            query = urlencode(values)
            return Request(
                target=base + ("?" + query if query else ""), headers=self._host(*cookie)
            )
        if form.enctype == "multipart/form-data":
            boundary = "wsgicheck-form"
            body = vocabulary.multipart(dict(values), boundary)
            content_type = f"multipart/form-data; boundary={boundary}"
        elif form.enctype == "text/plain":
            body = "\r\n".join(f"{k}={v}" for k, v in values).encode("utf-8")
            content_type = "text/plain"
        else:
            body = urlencode(values).encode("ascii")
            content_type = "application/x-www-form-urlencoded"
        return Request(
            method=form.method,
            target=form.action,
            headers=self._host(("Content-Type", content_type), *cookie),
            body=body,
            framing=Framing.CONTENT_LENGTH,
        )

    def _allowed(self, draw: Draw) -> Request:
        target, methods = draw(_sampled(tuple(self._allowed_methods())))
        self._needs.append(f"allow {target}")
        method = draw(_sampled(methods))
        if method not in _BODY_METHODS:
            return Request(method=method, target=target, headers=self._host())
        content_type, body = draw(vocabulary.payloads(max_size=4096))
        fields = (("Content-Type", content_type),) if content_type else ()
        return Request(
            method=method,
            target=target,
            headers=self._host(*fields),
            body=body,
            framing=Framing.CONTENT_LENGTH,
        )
