"""Header fields and bodies with HTTP meaning, drawn as real clients send them.

:mod:`wsgicheck.strategies` draws odd-but-legal fields whose values mean nothing; real bugs
live where the values mean something: a content coding the app honours, a range it serves,
a conditional request it answers with 304. These strategies draw those values (RFC 9110
§12.5.3 Accept-Encoding, §14.2 Range, §12.5.1 Accept, §11.6.2 Authorization, RFC 6265
Cookie) and bodies of every size class with the Content-Type that says what they are.
Each strategy lists its simplest value first, so a shrunk example carries the plainest one.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from urllib.parse import quote

from hypothesis import strategies as st

from .pieces import TEXT, picks
from .pieces import pieces as _pieces

__all__ = [
    "HTTP_DATES",
    "accept_encodings",
    "accepts",
    "authorizations",
    "cookies",
    "entity_tags",
    "http_fields",
    "multipart",
    "payloads",
    "ranges",
]

Field = tuple[str, str]

# Each strategy below is built once for each set of arguments (``lru_cache``): the runner and
# the explorer ask for them inside draws, and a strategy built afresh for each draw costs
# Hypothesis more than the draw itself.

_CODINGS = ["gzip", "deflate", "br", "identity", "zstd", "compress", "*"]
_QVALUES = ["", ";q=1", ";q=0.8", ";q=0.5", ";q=0.001", ";q=0", ";q=1.0"]


@lru_cache(maxsize=64)
def accept_encodings() -> st.SearchStrategy[str]:
    """RFC 9110 §12.5.3 Accept-Encoding: one coding, what browsers send, or lists with
    q-values (``identity;q=0``, ``*;q=0`` refuse the unencoded body)."""
    common = st.sampled_from(
        [
            "gzip",
            "gzip, deflate, br",
            "identity",
            "deflate",
            "br",
            "gzip, deflate, br, zstd",
            "*;q=0",
            "identity;q=0",
            "gzip;q=1.0, identity;q=0.5, *;q=0",
            "",
        ]
    )
    codings = [coding + qvalue for coding in _CODINGS for qvalue in _QVALUES]
    listed = picks(codings, 4, min_size=1).map(", ".join)
    return st.one_of(common, listed)


@lru_cache(maxsize=64)
def ranges() -> st.SearchStrategy[str]:
    """RFC 9110 §14.2 Range: single, suffix, open, multiple, unsatisfiable and malformed."""
    number = st.integers(0, 70000)
    single = st.tuples(number, st.integers(0, 1000)).map(
        lambda pair: f"bytes={pair[0]}-{pair[0] + pair[1]}"
    )
    return st.one_of(
        st.sampled_from(["bytes=0-0", "bytes=0-99", "bytes=-1", "bytes=10-", "bytes=0-"]),
        single,
        number.map(lambda n: f"bytes=-{n}"),
        number.map(lambda n: f"bytes={n}-"),
        st.lists(single.map(lambda text: text[6:]), min_size=2, max_size=4).map(
            lambda parts: "bytes=" + ",".join(parts)
        ),
        st.sampled_from(
            [
                "bytes=0-1,3-4,-1",
                "bytes=999999999-",
                "bytes=5-2",
                "bytes=abc",
                "bytes=",
                "items=0-1",
                "bytes=--1",
                "bytes=0-1,0-1",
                "BYTES=0-1",
                "bytes = 0-1",
            ]
        ),
    )


_ACCEPTS = [
    "*/*",
    "text/html",
    "application/json",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json, text/plain;q=0.5",
    "image/avif,image/webp,*/*",
    "text/plain;q=0",
    "application/xml;q=0.9, */*;q=0.1",
]


@lru_cache(maxsize=64)
def accepts() -> st.SearchStrategy[str]:
    """RFC 9110 §12.5.1 Accept, as browsers, API clients and curl send it."""
    return st.sampled_from(_ACCEPTS)


_TOKEN_CHARS = "ABCDEFabcdef0123456789-._~+/"


@lru_cache(maxsize=64)
def authorizations() -> st.SearchStrategy[str]:
    """RFC 9110 §11.6.2 Authorization: Basic and Bearer credentials, and odd ones."""
    basic = st.tuples(st.text("abcxyz019", max_size=8), st.text("abc:é019", max_size=8)).map(
        lambda pair: "Basic " + base64.b64encode(f"{pair[0]}:{pair[1]}".encode()).decode("ascii")
    )
    bearer = st.text(_TOKEN_CHARS, min_size=1, max_size=40).map(lambda token: f"Bearer {token}")
    return st.one_of(
        basic, bearer, st.sampled_from(["Basic", "Basic !!!", "Bearer", "Negotiate abc"])
    )


#: Cookie pairs (RFC 6265 §4.2.1 cookie-pair) as browsers send them, and odd ones a server
#: still meets: an empty value, a quoted one, a ``=`` in the value, a repeated name (the
#: first wins), percent-escapes and non-ASCII left to the app to decode.
_COOKIE_PAIRS = [
    "sessionid=abc123",
    "csrftoken=x0Y1z2",
    "a=1",
    "b=2",
    "a=2",
    "empty=",
    'quoted="a b"',
    'q=""',
    "x=y=z",
    "_ga=GA1.2.3.4",
    "lang=en-US",
    "n=%E9",
    "u=%C3%A9",
    "Theme=Dark",
    "theme=light",
    "long=" + "v" * 200,
]


@lru_cache(maxsize=64)
def cookies() -> st.SearchStrategy[str]:
    """RFC 6265 §4.2 Cookie: ``name=value`` pairs joined by ``; ``, in one choice (a list of
    pairs costs four); each pair from :data:`_COOKIE_PAIRS`, so every name is a token."""
    return picks(_COOKIE_PAIRS, 6, min_size=1).map("; ".join)


@lru_cache(maxsize=64)
def entity_tags() -> st.SearchStrategy[str]:
    """RFC 9110 §8.8.3 entity-tags for requests made without a learned one, in two choices:
    a strong one, a weak one or a list of both (If-None-Match and If-Match take a list),
    a third of the draws each."""
    opaque = st.text("abcdef0123456789-", min_size=0, max_size=16)
    strong = opaque.map(lambda text: f'"{text}"')
    weak = opaque.map(lambda text: f'W/"{text}"')
    listed = st.sampled_from(['"a", W/"b"', 'W/"a", "b", W/"c"', '"x",W/"y"'])
    return st.one_of(strong, weak, listed)


#: HTTP-dates (RFC 9110 §5.6.7): the preferred form, the obsolete ones, one long ago, one
#: far ahead, and a malformed one.
HTTP_DATES = [
    "Sun, 06 Nov 1994 08:49:37 GMT",
    "Thu, 01 Jan 1970 00:00:00 GMT",
    "Fri, 31 Dec 2049 23:59:59 GMT",
    "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994",
    "yesterday",
]


@lru_cache(maxsize=64)
def http_fields(*, max_size: int = 4) -> st.SearchStrategy[tuple[Field, ...]]:
    """Header fields a real client sends, each name once: content negotiation, ranges,
    conditionals without a learned validator, credentials, cookies, caching."""
    tag = st.one_of(st.just("*"), entity_tags())
    # Range, Cookie and If-None-Match twice over: the rules on ranges, cookies and
    # conditional answers see them most often so.
    kinds: list[tuple[str, st.SearchStrategy[str]]] = [
        ("Accept-Encoding", accept_encodings()),
        ("Accept", accepts()),
        ("Range", ranges()),
        ("Range", ranges()),
        ("Cookie", cookies()),
        ("Cookie", cookies()),
        ("Authorization", authorizations()),
        ("If-None-Match", tag),
        ("If-None-Match", tag),
        ("If-Modified-Since", st.sampled_from(HTTP_DATES)),
        ("If-Match", tag),
        ("If-Unmodified-Since", st.sampled_from(HTTP_DATES)),
        (
            "Accept-Language",
            st.sampled_from(["en-US,en;q=0.9", "de", "*", "fr-CH, fr;q=0.9, en;q=0.8"]),
        ),
        ("Cache-Control", st.sampled_from(["no-cache", "max-age=0", "no-store", "only-if-cached"])),
        (
            "User-Agent",
            st.sampled_from(["curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64)", "python-httpx/0.27"]),
        ),
        ("X-Requested-With", st.just("XMLHttpRequest")),
    ]
    return _fields_of(picks(kinds, max_size))


@st.composite
def _fields_of(
    draw: st.DrawFn, kinds: st.SearchStrategy[tuple[tuple[str, st.SearchStrategy[str]], ...]]
) -> tuple[Field, ...]:
    """The fields of the kinds drawn (in one choice), each name once, and a value each."""
    chosen = dict(draw(kinds))
    return tuple((name, draw(values)) for name, values in chosen.items())


# -- bodies ------------------------------------------------------------------------------------

#: Body sizes around the usual buffer boundaries (1 KiB, 4 KiB, 8 KiB, 64 KiB).
BOUNDARIES = (1, 1023, 1024, 4095, 4096, 4097, 8192, 65535, 65536, 65537)
#: The largest size class, drawn rarely: a body past 1 MiB costs both transports a copy.
LARGE = 1 << 20

#: The pieces a form's pairs are cut from: names, values with odd characters, and the
#: ``&`` and ``=`` that cut them (see :func:`_form_pairs`).
_FORM_PIECES = [
    *"abcdefxyz_",
    "&",
    "=",
    "0",
    "1",
    " ",
    "é",
    "日本",
    "\U0001f600",
    "%",
    "+",
    "\n",
    "'",
]

#: JSON documents (RFC 8259): scalars, nesting, escapes, non-ASCII text, big and odd numbers.
_JSON_DOCUMENTS = [
    "{}",
    "null",
    "[]",
    '{"a": 1}',
    '{"name": "caf\u00e9", "tags": ["x", "y"], "n": null}',
    '{"nested": {"list": [1, 2.5, -3e10, true, false], "empty": {}}}',
    '[{"a": [{"b": [{"c": []}]}]}]',
    '"a string with \\"quotes\\" and \\u2603"',
    "12345678901234567890123",
    "-0.0",
    '{"emoji": "\U0001f600", "nul": "\\u0000"}',
    '{"a": 1, "a": 2}',
    "true",
    '{"text": "' + "x" * 300 + '"}',
]


def _form_pairs(text: str) -> dict[str, str]:
    """A form's pairs cut from a drawn string: ``&`` between pairs, the first ``=`` of each
    between its name and value."""
    pairs: dict[str, str] = {}
    for part in text.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.setdefault(name or "a", value)
    return pairs


def _form(pairs: dict[str, str]) -> bytes:
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs.items()).encode("ascii")


def multipart(pairs: dict[str, str], boundary: str) -> bytes:
    """A multipart/form-data body (RFC 7578) of ``pairs``, every other one as a file."""
    parts = []
    for index, (field, value) in enumerate(pairs.items()):
        # As browsers send a name (the WHATWG multipart/form-data encoding): line breaks
        # made CRLF, then a quote, CR and LF escaped, so that none ends the quoted string
        # or the header line.
        name = re.sub("\r\n|\r|\n", "\r\n", field)
        name = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        disposition = f'form-data; name="{name}"'
        if index % 2:
            disposition += f'; filename="{name}.txt"'
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + value.encode("utf-8")
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def _sized(size: int) -> bytes:
    """``size`` bytes that are not one repeated byte (a body an app might echo or hash)."""
    return (bytes(range(32, 127)) * (size // 95 + 1))[:size]


@lru_cache(maxsize=64)
def payloads(*, max_size: int = 64 * 1024) -> st.SearchStrategy[tuple[str | None, bytes]]:
    """(Content-Type, body) pairs whose type says what the body is: url-encoded and
    multipart forms, JSON, text, binary; sizes from empty to past 64 KiB, and past
    ``LARGE`` (1 MiB) rarely when ``max_size`` allows. None for no Content-Type."""
    # Each kind of body in one or two choices (see .pieces): the pairs of a form are cut
    # from one string, a JSON document is one of a set.
    pairs = _pieces(_FORM_PIECES, 24).map(_form_pairs)
    json_values = st.sampled_from(_JSON_DOCUMENTS)
    boundary = st.sampled_from(["x", "----wsgicheck7MA4YWxk", "a'b(c)"])
    sizes = [size for size in BOUNDARIES if size <= max_size] or [0]
    # A roll of the top value of a range, so it shrinks away: 1 MiB bodies are rare.
    sized = st.tuples(st.sampled_from(sizes), st.integers(0, 24)).map(
        lambda drawn: (
            LARGE + drawn[0] if drawn[1] == 24 and LARGE + drawn[0] <= max_size else drawn[0]
        )
    )
    # Past 4 KiB (a page, a common buffer): in a run, where a quarter of the examples are
    # sequences and a fifth of the rest carry a body, the boundaries alone left it rare.
    past_a_page = st.sampled_from([size for size in sizes if size > 4096] or sizes)
    return st.one_of(
        pairs.map(lambda p: ("application/x-www-form-urlencoded", _form(p))),
        json_values.map(lambda text: ("application/json", text.encode("utf-8"))),
        st.tuples(pairs, boundary).map(
            lambda pb: (f'multipart/form-data; boundary="{pb[1]}"', multipart(pb[0], pb[1]))
        ),
        st.text(TEXT, max_size=64).map(lambda t: ("text/plain; charset=utf-8", t.encode("utf-8"))),
        # Three times: the sizes around buffer boundaries are where reading bugs hide.
        sized.map(lambda n: ("application/octet-stream", _sized(n))),
        sized.map(lambda n: ("application/octet-stream", _sized(n))),
        past_a_page.map(lambda n: ("application/octet-stream", _sized(n))),
        st.binary(max_size=256).map(lambda data: (None, data)),
        st.just((None, b"")),
    )
