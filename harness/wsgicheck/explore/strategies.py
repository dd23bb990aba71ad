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
from functools import lru_cache
from urllib.parse import quote

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..model import grammar
from ..model.request import FRAMING_HEADERS, Framing, Request
from . import vocabulary
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


def _pieces(choices: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Strings made of the given pieces (which may be longer than one character).

    Drawn as one string of stand-ins, one character a piece, then expanded: one choice for
    Hypothesis, where a list of pieces costs it one (and a span) for every piece."""
    alphabet: list[str] = []
    stand_ins: dict[int, str] = {}
    for piece in dict.fromkeys(choices):
        if len(piece) != 1:
            stand_ins[0xE000 + len(stand_ins)] = piece  # a private-use character
            piece = chr(0xE000 + len(stand_ins) - 1)
        alphabet.append(piece)
    text = st.text(alphabet=st.sampled_from(alphabet), max_size=max_size)
    return text.map(lambda drawn: drawn.translate(stand_ins)) if stand_ins else text


def _segments(*, raw_bytes: bool) -> st.SearchStrategy[str]:
    """One path segment, as it goes on the wire: raw, percent-encoded, or odd."""
    plain = st.text(
        alphabet=st.sampled_from("abcxyzABC0129" + _PCHAR_EXTRA), min_size=0, max_size=12
    )
    encoded = _pieces(["a", "/", "?", "#", " ", "%", *_NASTY_TEXT], 6).map(
        lambda text: quote(text, safe="")
    )
    special = st.sampled_from([".", "..", "", "%2e", "%2F", "%00", "%25", "%C3%A9", "%E9"])
    options = [plain, plain, encoded, special]
    if raw_bytes:
        options.append(
            st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0xFF), max_size=4)
        )
    return st.one_of(*options)


def _queries(*, raw_bytes: bool) -> st.SearchStrategy[str]:
    """A query string as sent (without the ``?``): pairs, odd characters, escapes."""
    key = st.text(alphabet=st.sampled_from("abqxyz_[]."), min_size=0, max_size=6)
    value = st.one_of(
        st.text(alphabet=st.sampled_from("abc019" + _QUERY_EXTRA), max_size=10),
        _pieces(["a", " ", "&", "=", "%", *_NASTY_TEXT], 5).map(lambda text: quote(text, safe="")),
        st.sampled_from(["%", "%zz", "%%", "+", "a+b", "=", "&&", ";"]),
    )
    if raw_bytes:
        value = st.one_of(value, st.text(st.characters(min_codepoint=0x80, max_codepoint=0xFF)))
    pair = st.one_of(st.tuples(key, value).map("=".join), key)
    return st.lists(pair, max_size=5).map("&".join)


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
    segment = _segments(raw_bytes=raw_bytes)
    generated = st.lists(segment, min_size=0, max_size=6).map(lambda parts: "/" + "/".join(parts))
    long = st.integers(min_value=64, max_value=max(64, max_length // 2)).map(
        lambda size: "/" + "a" * size
    )
    path = st.one_of(generated, generated, st.just("/"), st.just("//"), long)
    if paths:
        known = st.sampled_from(list(paths))
        varied = st.tuples(known, segment).map(lambda pair: pair[0].rstrip("/") + "/" + pair[1])
        path = st.one_of(known, known, known, varied, path)
    query = st.one_of(st.none(), st.none(), st.just(""), _queries(raw_bytes=raw_bytes))
    target = st.tuples(path, query).map(
        lambda pair: prefix + pair[0] + ("" if pair[1] is None else "?" + pair[1])
    )
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


_VCHAR_OBS = list(grammar.FIELD_VCHARS)


def _field_values(*, max_length: int) -> st.SearchStrategy[str]:
    """RFC 9110 §5.5 field values: visible ASCII and obs-text, spaces and tabs inside."""
    short = st.sampled_from(_VCHAR_OBS)
    # One string with spaces and tabs anywhere, trimmed (RFC 9112 §5: the OWS around a value
    # is not part of it): one choice for Hypothesis, not three.
    value = st.text(alphabet=st.sampled_from([*_VCHAR_OBS, " ", "\t"]), min_size=2, max_size=32)
    value = value.map(lambda text: text.strip(" \t") or "!")
    long = st.integers(min_value=100, max_value=max(100, max_length)).map(lambda n: "v" * n)
    return st.one_of(value, value, short, st.just(""), long)


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

    # Only the drawn tokens need the filter: the common names are chosen up front.
    names = st.one_of(
        st.sampled_from([name for name in _RECASED_NAMES if allowed(name)]),
        _token.filter(allowed),
    )
    field = st.tuples(names, _field_values(max_length=max_value_length))
    cookie = st.lists(
        st.tuples(st.text(alphabet=_TCHARS.replace("=", ""), min_size=1, max_size=8), _token),
        min_size=1,
        max_size=3,
    ).map(lambda pairs: ("Cookie", "; ".join(f"{k}={v}" for k, v in pairs)))
    fields = st.lists(st.one_of(field, field, cookie), max_size=max_size)
    return st.tuples(fields, st.booleans(), st.integers(0, max_size)).map(_with_repeat)


def _with_repeat(drawn: tuple[list[tuple[str, str]], bool, int]) -> tuple[tuple[str, str], ...]:
    """Repeat the first field, in another case, somewhere: repeated fields appear often."""
    fields, repeat, where = drawn
    if repeat and fields:
        name, value = fields[0]
        fields = list(fields)
        fields.insert(min(where, len(fields)), (name.swapcase(), value + "-again"))
    return tuple(fields)


# -- bodies and framing ------------------------------------------------------------------------


def bodies(*, max_size: int = 64 * 1024) -> st.SearchStrategy[bytes]:
    """Request bodies from empty to ``max_size`` bytes: text, binary, and large runs."""
    _check_size("max_size", max_size)
    small = st.binary(max_size=min(max_size, 256))
    text = (
        st.text(max_size=min(max_size, 128))
        .map(lambda t: t.encode("utf-8"))
        .filter(lambda data: len(data) <= max_size)
    )
    form = st.dictionaries(_token, st.text(max_size=8), max_size=4).map(
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


@lru_cache(maxsize=512)
def _chunk_sizes(size: int) -> st.SearchStrategy[tuple[int, ...]]:
    """Chunk boundaries for a body of ``size`` bytes (built once a size: a strategy built
    afresh for each draw costs Hypothesis more than the draw)."""
    if size <= 1:
        return st.just(())
    cuts = st.lists(st.integers(min_value=1, max_value=size - 1), max_size=8, unique=True)
    return cuts.map(
        lambda points: tuple(
            end - start
            for start, end in zip([0, *sorted(points)], [*sorted(points), size], strict=True)
        )
    )


# -- requests ------------------------------------------------------------------------------------


# Built once: a strategy built afresh inside a draw costs Hypothesis more than the draw.
#: The shapes of request, drawn first (see :func:`_requests`).
_SHAPES = st.sampled_from(["any", "any", "body", "body", "head", "get", "options"])
_CONTENT_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain; charset=utf-8",
        "application/octet-stream",
        "multipart/form-data; boundary=x",
    ]
)
_CONNECTIONS = st.sampled_from(["keep-alive", "close", "Keep-Alive"])


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
    headers: list[tuple[str, str]] = []
    if version == "1.1" or draw(st.booleans()):
        headers.append(("Host", host))
    headers.extend(draw(fields))
    # Rare extras are drawn as the top of a range, so that they shrink away (Hypothesis
    # shrinks integers towards 0): a minimal failing request carries only what it needs.
    has_body = verb in ("POST", "PUT", "PATCH") or draw(st.integers(0, 9)) == 9
    content_type: str | None = None
    if has_body and payload is not None:
        content_type, data = draw(payload)
    else:
        data = draw(body) if has_body else b""
    framing = Framing.NONE
    sizes: tuple[int, ...] = ()
    if has_body:
        framing = draw(_FRAMINGS) if version == "1.1" else Framing.CONTENT_LENGTH
        if framing is Framing.CHUNKED:
            sizes = draw(_chunk_sizes(len(data)))
        if content_type is not None:
            headers.append(("Content-Type", content_type))
        elif payload is None and (data or draw(st.booleans())):
            headers.append(("Content-Type", draw(_CONTENT_TYPES)))
        if version == "1.1" and draw(st.integers(0, 4)) == 4:
            headers.append(("Expect", "100-continue"))
    if version == "1.1" and draw(st.integers(0, 5)) == 5:
        headers.append(("Connection", draw(_CONNECTIONS)))
    if version == "1.0" and draw(st.integers(0, 3)) == 3:
        headers.append(("Connection", "keep-alive"))
    # The Host field anywhere, not only first (the other fields are drawn in any order).
    if headers and headers[0][0] == "Host" and len(headers) > 1:
        host_field = headers.pop(0)
        headers.insert(draw(st.integers(0, len(headers))), host_field)
    order = headers
    return Request(
        method=verb,
        target="*" if verb == "OPTIONS" and draw(st.booleans()) else draw(target),
        http_version=version,
        headers=tuple(order),
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
