"""Hypothesis strategies for HTTP requests and for the server choices PEP 3333 leaves open.

In Hypothesis's own style: plural nouns, keyword-only options, valid by default (every
request is one a conforming HTTP/1.1 client could send, and one wsgicheck's own server
accepts), odd-but-legal inputs drawn often, the grammar taken from
:mod:`wsgicheck.model.grammar`. Use them with ``@given``::

    from hypothesis import given
    from wsgicheck import Client, strategies as wst

    @given(wst.requests(paths=["/hello"]))
    def test_hello_never_500s(request):
        assert Client(app).send(request).status_code < 500
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..model import grammar
from ..model.request import FRAMING_HEADERS, Framing, Request
from . import vocabulary
from .pieces import TEXT, picks, rolls
from .pieces import pieces as _pieces
from .server_choices import server_configs

__all__ = [
    "STANDARD_METHODS",
    "bodies",
    "framings",
    "header_fields",
    "methods",
    "requests",
    "server_configs",
    "targets",
]

#: RFC 9110 §9 methods, and PATCH (RFC 5789).
STANDARD_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE")

# RFC 3986 §2.2 reserved characters and §2.3 unreserved ones, as they may appear raw in a
# path segment or a query (pchar / query), plus a few that must be escaped.
_PCHAR_EXTRA = grammar.PCHAR_MARKS
_QUERY_EXTRA = _PCHAR_EXTRA + "/?"
_NASTY_TEXT = ["é", "ü", "☃", "\u00a0", "日本", "\U0001f600", "%", " ", "#", "\\", "\x7f"]

# RFC 9110 §5.6.2 tchar, for drawing tokens quickly (st.from_regex is much slower).
_TCHARS = grammar.TCHARS
_token = st.text(alphabet=_TCHARS, min_size=1, max_size=16)


def _check_size(name: str, value: int, *, minimum: int = 0) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise InvalidArgument(f"{name}={value!r} must be an integer >= {minimum}")


# -- methods -------------------------------------------------------------------------------------


def methods(*, extension: bool = True) -> st.SearchStrategy[str]:
    """Request methods: the standard ones (RFC 9110 §9), and extension tokens when asked.

    An extension method is any RFC 9110 token (``PROPFIND``, ``M-SEARCH``, ``x!``); apps
    must answer them (405 is fine), not crash.
    """
    standard = st.sampled_from(STANDARD_METHODS)
    if not extension:
        return standard
    extensions = st.one_of(
        st.sampled_from(["PROPFIND", "MKCOL", "LINK", "PURGE", "M-SEARCH", "QUERY"]),
        _token,  # at most 16 characters
    )
    return st.one_of(standard, standard, standard, extensions)


# -- targets -------------------------------------------------------------------------------------


#: The pieces a generated path is made of, each one character of one Hypothesis string:
#: raw pchars (RFC 3986 §3.3), percent-encoded UTF-8 and latin-1, escaped delimiters and
#: NUL, dot segments and ``//`` (:func:`_segments` adds the runs that make a long path).
_PATH_PIECES = [
    *"abcxyzABC0129",
    *_PCHAR_EXTRA,
    "/",
    "%20",
    "%25",
    "%2F",
    "%2f",
    "%3F",
    "%23",
    "%00",
    "%2e",
    "%5C",
    "%7F",
    "%C2%A0",
    "%C3%A9",
    "%E9",
    "%E6%97%A5%E6%9C%AC",
    "%F0%9F%98%80",
    "/../",
    "/./",
    "//",
    "..",
]
#: Raw latin-1 bytes (obs-text), for servers that pass them through.
_RAW_PIECES = ["\x80", "\xa0", "\xc3", "\xa9", "\xe9", "\xff"]
#: The pieces of a query string (without the ``?``): pairs, odd characters, escapes.
_QUERY_PIECES = [
    *"abqxyz_[].019",
    *_QUERY_EXTRA,
    "=",
    "&",
    "a=1",
    "&b=2",
    "%",
    "%zz",
    "%%",
    "a+b",
    "&&",
    "%20",
    "%26",
    "%3D",
    "%C3%A9",
    "%E9",
    "%F0%9F%98%80",
]


def _segments(*, raw_bytes: bool, longest: int) -> st.SearchStrategy[str]:
    """What follows a ``/``: pieces of a path, raw, percent-encoded or odd, and runs of
    ``a`` up to ``longest`` characters for a long path (one choice)."""
    runs = ["a" * min(64, longest), "a" * longest]
    return _pieces(_PATH_PIECES + runs + (_RAW_PIECES if raw_bytes else []), 12)


#: A query's pairs as forms and links send them, and odd ones: a repeated name, no value,
#: no ``=``, no name, brackets, escaped ``&`` and ``=``, bad and non-UTF-8 escapes.
_QUERY_PAIRS = [
    "a=1",
    "b=2",
    "a=2",
    "q=hello+world",
    "q=a%20b",
    "x=",
    "flag",
    "=v",
    "",
    "a[]=1",
    "a[]=2",
    "k=%26%3D",
    "%26=%3D",
    "u=%C3%A9",
    "l=%E9",
    "e=%F0%9F%98%80",
    "bad=%zz",
    "p=%",
    "next=/a/b?c=d",
    "page=2",
]


def _queries(*, raw_bytes: bool) -> st.SearchStrategy[str]:
    """A query string as sent (without the ``?``), in two choices: pairs joined by ``&``
    (half the draws), or pieces with odd characters and escapes."""
    pairs = picks(_QUERY_PAIRS, 6, min_size=1).map("&".join)
    return st.one_of(pairs, _pieces(_QUERY_PIECES + (_RAW_PIECES if raw_bytes else []), 24))


def _appended(known: str, segment: str) -> str:
    """A known path with a segment appended to its path (before any query it has)."""
    path, mark, query = known.partition("?")
    return path.rstrip("/") + "/" + segment + mark + query


def _with_query(path: str, query: str | None) -> str:
    """``path`` with a drawn query: after its own query, if it has one, joined by ``&`` (a
    second ``?`` would run the drawn pairs into the last value of the path's own)."""
    if query is None:
        return path
    if "?" in path:
        return path + ("&" + query if query else "")
    return path + "?" + query


def targets(
    *,
    paths: Sequence[str] = (),
    prefix: str = "",
    raw_bytes: bool = False,
    max_length: int = 2048,
    asterisk: bool = False,
) -> st.SearchStrategy[str]:
    """Request-targets in origin form (RFC 9112 §3.2.1): paths and query strings.

    Drawn: percent-encoding (UTF-8 and latin-1 escapes, ``%2F``, ``%00``), reserved
    characters, ``//``, dot segments, the root path, very long paths, and query strings
    with odd characters. ``paths`` are known-good paths of the app (drawn often, and varied:
    a query added, a segment appended); ``prefix`` is put in front of every target (a mount
    point). ``raw_bytes`` allows raw latin-1 bytes (obs-text), which HTTP does not but
    some servers pass through (wsgicheck's own only with ``Limits(raw_latin1_targets=True)``).
    ``asterisk`` allows ``*`` (for OPTIONS).
    """
    _check_size("max_length", max_length, minimum=16)
    if prefix and (not prefix.startswith("/") or prefix.endswith("/")):
        raise InvalidArgument(f"prefix={prefix!r} must start with '/' and not end with '/'")
    for known_path in paths:
        if not isinstance(known_path, str) or not known_path.startswith("/"):
            raise InvalidArgument(f"paths: {known_path!r} is not an origin-form path")
    segment = _segments(raw_bytes=raw_bytes, longest=max_length // 2)
    generated = segment.map(lambda rest: "/" + rest)
    long = st.sampled_from(sorted({64, 255, 256, 1000, max(64, max_length // 2)})).map(
        lambda size: "/" + "a" * size
    )
    path = st.one_of(generated, generated, st.just("/"), st.just("//"), long)
    if paths:
        known = st.sampled_from(list(paths))
        varied = st.tuples(known, segment).map(lambda pair: _appended(*pair))
        path = st.one_of(known, known, known, varied, path)
    query = st.one_of(st.none(), st.none(), st.just(""), _queries(raw_bytes=raw_bytes))
    target = st.tuples(path, query).map(lambda pair: prefix + _with_query(*pair))
    target = target.filter(lambda text: len(text) <= max_length)
    if asterisk:
        return st.one_of(target, st.just("*"))
    return target


# -- header fields ---------------------------------------------------------------------------------

_COMMON_NAMES = [
    "Accept",
    "Accept-Language",
    "Accept-Encoding",
    "User-Agent",
    "Referer",
    "Cookie",
    "Authorization",
    "X-Requested-With",
    "X-Forwarded-For",
    "If-None-Match",
    "Cache-Control",
    "Origin",
    "X-Custom",
]


#: The common names as sent and in other cases (names are case-insensitive: RFC 9110 §5.1),
#: as sent first, so that a shrunk example keeps the usual spelling.
_RECASED_NAMES = [
    *_COMMON_NAMES,
    *(name.lower() for name in _COMMON_NAMES),
    *(name.upper() for name in _COMMON_NAMES),
]
#: Fields the request strategy sets itself, or that are hop-by-hop.
_NOT_END_TO_END = FRAMING_HEADERS | {"host", "content-type", "expect"} | grammar.HOP_BY_HOP_HEADERS


#: Odd names as a hostile client sends them: every tchar (RFC 9110 §5.6.2), digits, one
#: character and sixteen, and underscores (which CGI would confuse with ``-``).
_ODD_NAMES = [
    "X",
    "x",
    "0",
    "X-Custom-1",
    "x-a",
    "a!b",
    "#",
    "$x",
    "%25",
    "&&",
    "'q'",
    "*",
    "+1",
    ".dot",
    "^",
    "`tick`",
    "|pipe|",
    "~t",
    "9-9",
    "AbCdEfGhIjKlMnOp",
    "x-aaaaaaaaaaaaaa",
    "X_Custom",
    "x_y_z",
    "_",
    "Accept_Language",
    "x-Odd-Case",
    "X-Trace-Id",
    "Z",
    "x-9",
    "a.b.c",
    "X-API-Key",
    "-x-",
]


def _field_values(*, max_length: int) -> st.SearchStrategy[str]:
    """RFC 9110 §5.5 field values: visible ASCII and obs-text, spaces and tabs inside, and
    runs that make a long value (up to ``max_length``), in one Hypothesis choice. The OWS
    around a value is not part of it (RFC 9112 §5), so it is trimmed."""
    runs = ["v" * min(100, max_length), "v" * max_length]
    value = _pieces([*grammar.FIELD_VCHARS, " ", "\t", *runs], 32)
    return value.map(lambda text: text[:max_length].strip(" \t"))


def header_fields(
    *, max_size: int = 8, max_value_length: int = 1024, underscores: bool = True
) -> st.SearchStrategy[tuple[tuple[str, str], ...]]:
    """End-to-end header fields: common and odd names, repeated, in any case.

    Never Host, Content-Length, Transfer-Encoding or Content-Type (the request strategy
    sets those). ``underscores`` allows names with ``_`` (which CGI would confuse with ``-``).
    """
    _check_size("max_size", max_size)

    def allowed(name: str) -> bool:
        return name.lower() not in _NOT_END_TO_END and (underscores or "_" not in name)

    # Cookie ten times over: browsers send one with nearly every request. A name drawn
    # afresh, any token (its own choice), stands in for a tenth of the names.
    pool = [*_RECASED_NAMES, *_ODD_NAMES, *["Cookie"] * 10]
    names = [name for name in pool if allowed(name)]
    names += [_DRAWN_NAME] * (len(names) // 9)
    # Whether the first field is repeated (half the draws; not, in a shrunk example), and
    # where: -1 for nowhere.
    repeats = rolls([2, max_size + 1]).map(lambda drawn: drawn[1] if drawn[0] else -1)
    return _hostile_fields(
        picks(names, max_size),
        _token.filter(allowed),
        _field_values(max_length=max_value_length),
        repeats,
    )


#: Stands in a drawn list of names for a name drawn afresh (see :func:`header_fields`).
_DRAWN_NAME = ""


@st.composite
def _hostile_fields(
    draw: st.DrawFn,
    names: st.SearchStrategy[tuple[str, ...]],
    tokens: st.SearchStrategy[str],
    values: st.SearchStrategy[str],
    repeats: st.SearchStrategy[int],
) -> tuple[tuple[str, str], ...]:
    """The names in one choice, a value for each, and where the first is repeated in
    another case (none, half the time): about two choices a field, where a list of
    drawn fields costs Hypothesis five."""
    fields = [(name if name != _DRAWN_NAME else draw(tokens), draw(values)) for name in draw(names)]
    repeat = draw(repeats)
    if repeat >= 0 and fields:
        name, value = fields[0]
        fields.insert(min(repeat, len(fields)), (name.swapcase(), value + "-again"))
    return tuple(fields)


# -- bodies and framing ------------------------------------------------------------------------


def bodies(*, max_size: int = 64 * 1024) -> st.SearchStrategy[bytes]:
    """Request bodies from empty to ``max_size`` bytes: text, binary, and large runs."""
    _check_size("max_size", max_size)
    small = st.binary(max_size=min(max_size, 256))
    text = (
        st.text(TEXT, max_size=min(max_size, 128))
        .map(lambda t: t.encode("utf-8"))
        .filter(lambda data: len(data) <= max_size)
    )
    form = st.dictionaries(_token, st.text(TEXT, max_size=8), max_size=4).map(
        lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs.items()).encode()
    )
    # Sizes around the usual buffer boundaries, and any size: st.integers favours small
    # numbers, and a bug that needs a body past 4 KiB would stay hidden.
    boundaries = [
        size for size in (1023, 1024, 4095, 4096, 4097, 8192, 65535, 65536) if size <= max_size
    ]
    sizes = (
        st.one_of(st.sampled_from(boundaries), st.integers(0, max_size))
        if boundaries
        else (st.integers(0, max_size))
    )
    large = sizes.map(lambda size: b"x" * size)
    return st.one_of(small, text, form, large, large, st.just(b""))


def framings() -> st.SearchStrategy[Framing]:
    """How a body is delimited: Content-Length (most often) or chunked."""
    return _FRAMINGS


_FRAMINGS = st.sampled_from([Framing.CONTENT_LENGTH, Framing.CONTENT_LENGTH, Framing.CHUNKED])


#: Where a chunked body is cut: up to eight cuts, each a place among 64 (see
#: :func:`chunk_sizes`), in one choice.
_CHUNKINGS = picks(range(64), 8)


def chunk_sizes(cuts: Sequence[int], size: int) -> tuple[int, ...]:
    """The chunk sizes of a body of ``size`` bytes cut at ``cuts``: 0 one byte in, 1 one
    byte short of the end, any other ``n`` at ``n``/64 of the way. No cut (what a shrunk
    example keeps) is one chunk; an empty tuple means one chunk, as for ``Request``."""
    if size <= 1:
        return ()
    places = {1 if cut == 0 else size - 1 if cut == 1 else max(1, size * cut // 64) for cut in cuts}
    points = sorted(place for place in places if 0 < place < size)
    return tuple(end - start for start, end in zip([0, *points], [*points, size], strict=True))


# -- requests ------------------------------------------------------------------------------------


# Built once: a strategy built afresh inside a draw costs Hypothesis more than the draw.
#: The shapes of request, drawn first (see :func:`_requests`).
_SHAPES = st.sampled_from(["any", "any", "body", "body", "head", "get", "options"])
_CONTENT_TYPES = (
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain; charset=utf-8",
    "application/octet-stream",
    "multipart/form-data; boundary=x",
)


#: The rare extras of a request, each a roll of so many sides, the top one adding it (the
#: Host's place is any roll). Drawn in one choice (:func:`.pieces.rolls`), each roll
#: shrinking towards 0, so that a shrunk example carries none of them.
_EXTRAS = (
    ("body", 10),  # a body on a method that usually has none
    ("expect", 5),  # Expect: 100-continue (HTTP/1.1, with a body)
    ("connection", 6),  # a Connection field (HTTP/1.1)
    ("keep_alive", 4),  # Connection: keep-alive (HTTP/1.0)
    ("host", 2),  # a Host field (HTTP/1.0)
    ("asterisk", 2),  # OPTIONS *
    ("content_type", 2),  # a Content-Type on an empty body (without meaningful payloads)
    ("connection_kind", 3),
    ("content_kind", 5),
    ("host_at", 16),
)
_ROLLS = rolls([sides for _, sides in _EXTRAS]).map(
    lambda drawn: dict(zip([name for name, _ in _EXTRAS], drawn, strict=True))
)
_CONNECTIONS = ("keep-alive", "close", "Keep-Alive")


def _on(rolls: dict[str, int], name: str) -> bool:
    return rolls[name] == dict(_EXTRAS)[name] - 1


@st.composite
def _requests(
    draw: st.DrawFn,
    *,
    method: st.SearchStrategy[str],
    target: st.SearchStrategy[str],
    body: st.SearchStrategy[bytes],
    fields: st.SearchStrategy[tuple[tuple[str, str], ...]],
    payload: st.SearchStrategy[tuple[str | None, bytes]] | None,
    host: str,
    versions: st.SearchStrategy[str],
    shapes: dict[str, list[str]],
    body_verbs: st.SearchStrategy[str],
) -> Request:
    # Draw the shape first, so every kind of request is common from the first examples
    # on: a plain GET, a request with a body, a HEAD, or any method at all.
    shape = draw(_SHAPES) if shapes else "any"
    if shape == "body" and shapes.get("body"):
        verb = draw(body_verbs)
    elif shape in ("head", "get", "options") and shapes.get(shape):
        verb = shapes[shape][0]
    else:
        verb = draw(method)
    version = draw(versions)
    rolls = draw(_ROLLS)
    headers: list[tuple[str, str]] = []
    if version == "1.1" or _on(rolls, "host"):
        headers.append(("Host", host))
    headers.extend(draw(fields))
    has_body = verb in ("POST", "PUT", "PATCH") or _on(rolls, "body")
    content_type: str | None = None
    if has_body and payload is not None:
        content_type, data = draw(payload)
    else:
        data = draw(body) if has_body else b""
    framing = Framing.NONE
    sizes: tuple[int, ...] = ()
    if has_body:
        drawn_framing = draw(_FRAMINGS)
        framing = drawn_framing if version == "1.1" else Framing.CONTENT_LENGTH
        if framing is Framing.CHUNKED:
            sizes = chunk_sizes(draw(_CHUNKINGS), len(data))
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        elif payload is None and (data or _on(rolls, "content_type")):
            headers.append(("Content-Type", _CONTENT_TYPES[rolls["content_kind"]]))
        if version == "1.1" and _on(rolls, "expect"):
            headers.append(("Expect", "100-continue"))
    if version == "1.1" and _on(rolls, "connection"):
        headers.append(("Connection", _CONNECTIONS[rolls["connection_kind"]]))
    if version == "1.0" and _on(rolls, "keep_alive"):
        headers.append(("Connection", "keep-alive"))
    # The Host field anywhere, not only first (the other fields are drawn in any order).
    if headers and headers[0][0] == "Host" and len(headers) > 1:
        host_field = headers.pop(0)
        headers.insert(rolls["host_at"] % (len(headers) + 1), host_field)
    # Drawn whatever the rolls say, so that no roll saves a draw: Hypothesis counts a
    # shorter run of choices as simpler, and would shrink towards whatever skips most.
    drawn_target = draw(target)
    return Request(
        method=verb,
        target="*" if verb == "OPTIONS" and _on(rolls, "asterisk") else drawn_target,
        http_version=version,
        headers=tuple(headers),
        body=data,
        framing=framing,
        chunk_sizes=sizes,
    )


def requests(
    *,
    methods: Sequence[str] | st.SearchStrategy[str] | None = None,
    paths: Sequence[str] = (),
    prefix: str = "",
    raw_bytes: bool = False,
    max_body_size: int | None = None,
    max_headers: int = 8,
    http_versions: Sequence[str] = ("1.1", "1.1", "1.1", "1.0"),
    host: str = "localhost",
    meaningful: bool = True,
) -> st.SearchStrategy[Request]:
    """Valid HTTP/1.1 (and 1.0) requests, as :class:`~wsgicheck.model.request.Request` values.

    ``methods`` narrows the methods (a list, or a strategy; default: standard and extension
    methods); ``paths`` are paths worth trying and ``prefix`` a mount point every target
    starts with (see :func:`targets`); ``max_body_size`` bounds bodies (Content-Length or
    chunked with drawn chunk boundaries); ``http_versions`` draws from ``"1.1"`` and
    ``"1.0"``. Headers: repeated and differently cased fields, long values, cookies,
    ``Expect: 100-continue`` and ``Connection`` variants.

    ``meaningful`` (the default) mixes in what real clients send
    (:mod:`wsgicheck.explore.vocabulary`): content codings, ranges, conditionals, credentials,
    cookies, and form, multipart and JSON bodies with their Content-Type, of every size
    class up to ``max_body_size`` (default 2 MiB: past 1 MiB rarely). Without it, the
    requests are those of wsgicheck 0.x: hostile fields only, bodies up to 64 KiB.
    """
    # The table of characters the bodies' text is drawn from, built now (where @given takes
    # its strategies) rather than in the first draw, which a health check times: about
    # 0.2 s on a machine's first run, a few ms afterwards (Hypothesis keeps it in a file).
    TEXT.validate()
    # Shapes of request to draw often (methods with a body, HEAD, GET), within the methods
    # allowed; a strategy given for ``methods`` is used as it is.
    shapes: dict[str, list[str]] = {}
    if methods is None:
        method: st.SearchStrategy[str] = globals()["methods"]()
        allowed: list[str] = list(STANDARD_METHODS)
    elif isinstance(methods, st.SearchStrategy):
        method = methods
        allowed = []
    else:
        allowed = list(methods)
        if not allowed or not all(isinstance(m, str) and grammar.is_token(m) for m in allowed):
            raise InvalidArgument(f"methods={methods!r} must be RFC 9110 tokens")
        method = st.sampled_from(allowed)
    body_methods: list[str] = [name for name in ("POST", "PUT", "PATCH", "POST") if name in allowed]
    if body_methods:
        shapes["body"] = body_methods
    for name in ("HEAD", "GET", "OPTIONS"):
        if name in allowed:
            shapes[name.lower()] = [name]
    versions = list(http_versions)
    if not versions or any(version not in ("1.0", "1.1") for version in versions):
        raise InvalidArgument(f"http_versions={http_versions!r}: '1.0' and '1.1' only")
    if not grammar.is_field_value(host) or not host:
        raise InvalidArgument(f"host={host!r} is not a valid Host value")
    hostile = header_fields(max_size=max_headers)
    limit = max_body_size
    if limit is None:
        limit = 2 * vocabulary.LARGE if meaningful else 64 * 1024
    fields = hostile
    payload = None
    if meaningful:
        real = vocabulary.http_fields(max_size=min(max_headers, 4))
        # No field first (a shrunk example keeps only the fields it needs), then a real
        # client's, the hostile ones, and both.
        fields = st.one_of(
            st.just(()),
            real,
            hostile,
            st.tuples(real, hostile).map(lambda both: both[0] + both[1]),
        )
        payload = vocabulary.payloads(max_size=limit)
    return _requests(
        method=method,
        target=targets(paths=paths, prefix=prefix, raw_bytes=raw_bytes),
        body=bodies(max_size=limit),
        fields=fields,
        payload=payload,
        host=host,
        versions=st.sampled_from(versions),
        shapes=shapes,
        body_verbs=st.sampled_from(body_methods or ["POST"]),
    )
