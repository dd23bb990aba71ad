"""Each pattern of ``wsgicheck.model.grammar`` against examples of the production it implements.

The accepted examples are the RFCs' own where they give some (cited by section), or built
from the ABNF the pattern quotes; the refused ones are what the ABNF leaves out, and what a
looser reading (``int(x, 16)``, a split on spaces) would let in.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from wsgicheck.model import grammar


def _accepts(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


CASES: list[tuple[str, str, list[str], list[str]]] = [
    # (pattern name, RFC section, accepted, refused)
    (
        "TOKEN",
        "RFC 9110 §5.6.2",
        ["GET", "x-forwarded-for", "!#$%&'*+-.^_`|~09Az"],
        ["", "a b", "a:b", "a/b", 'a"', "é", "(x)"],
    ),
    (
        "FIELD_VALUE",
        "RFC 9110 §5.5",
        ["", "text/html", "a  b\tc", "caf\xe9", 'W/"x"'],
        [" a", "a ", "a\tb\t", "a\x00b", "a\rb", "a\nb", "\x7f", "\u0100"],
    ),
    (
        "FIELD_LINE",
        "RFC 9112 §5",
        ["Host: example.com", "Host:example.com", "X: \tv \t", "Empty:"],
        ["Host : x", " Host: x", "Bad Name: x", "Host: a\x00b"],
    ),
    (
        "QUOTED_STRING",
        "RFC 9110 §5.6.4",
        ['""', '"a b"', r'"a\"b"', '"caf\xe9"'],
        ['"', '"a"b"', '"a\\', '"a\x00"'],
    ),
    ("METHOD", "RFC 9110 §9.1", ["GET", "PROPFIND", "M-SEARCH"], ["", "GET /", "G\xe9T"]),
    (
        "HTTP_VERSION",
        "RFC 9112 §2.3",
        ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0"],
        ["http/1.1", "HTTP/1", "HTTP/1.10", "HTTP/ 1.1", "HTTPS/1.1"],
    ),
    (
        "REQUEST_TARGET",
        "RFC 9112 §3.2",
        ["/where?q=now", "*", "http://h/#f", "/caf\xe9"],
        ["", "/a b", "/a\x00", "/\u0100"],
    ),
    # RFC 9112 §3.2.1's example: GET /where?q=now HTTP/1.1
    (
        "ORIGIN_FORM",
        "RFC 9112 §3.2.1",
        ["/where?q=now", "/", "/%zz", "//x"],
        ["", "where", "/a#b"],
    ),
    # RFC 9112 §3.2.2's example: GET http://www.example.org/pub/WWW/TheProject.html HTTP/1.1
    (
        "ABSOLUTE_FORM",
        "RFC 9112 §3.2.2, RFC 9110 §4.2",
        [
            "http://www.example.org/pub/WWW/TheProject.html",
            "HTTPS://h:8080",
            "http://h?q",
            "http://[::1]:80/",
        ],
        [
            "ftp://h/",
            "http://",
            "http:///x",
            "http://:80/",
            "http://user@h/",
            "http://h/#f",
            "http://h#f",
        ],
    ),
    ("SCHEME", "RFC 3986 §3.1", ["http", "svn+ssh", "a.b-c"], ["", "1http", "ht tp", "h_t"]),
    (
        "ABSOLUTE_URI",
        "RFC 3986 §4.3",
        ["ftp://h/x", "http://user@h/p?q", "https://"],
        ["/x", "http:/x", "://h"],
    ),
    # RFC 9112 §3.2.3's example: CONNECT www.example.com:80 HTTP/1.1
    (
        "AUTHORITY_FORM",
        "RFC 9112 §3.2.3",
        ["www.example.com:80", "[::1]:443", "h%41:1"],
        ["www.example.com", ":80", "h:", "h:p", "u@h:80", "h/x:80"],
    ),
    (
        "HOST",
        "RFC 9110 §7.2",
        ["www.example.org", "h:8080", "[::1]:80", ""],
        ["h/x", "h?q", "h#f", "u@h", "a b", "h\\x"],
    ),
    # RFC 9110 §10.2.2's examples, and RFC 3986 §4.2's relative forms; "[" and "]" taken
    # outside a host too (Django's iri_to_uri leaves them in a query).
    (
        "URI_REFERENCE",
        "RFC 9110 §10.2.2, RFC 3986 §4.1",
        [
            "http://www.example.org/pub/WWW/People.html#tim",
            "/index.html",
            "",
            "../a/b?c=d&e=%2F",
            "//example.com/x",
            "mailto:a@example.com",
            "?q=1",
            "#top",
            "/x?f[a]=1",
            "http://[::1]:8080/",
        ],
        [
            "/a b",
            "/caf\xe9",
            "/50%",
            "/%zz",
            "/a#b#c",
            "/a<b>",
            "/a|b",
            "1x:/",
            "c:\\\\files",
            "a b:c",
            "x{y}",
            "/a\\b",
            '/"q"',
        ],
    ),
    (
        "STATUS_CODE",
        "RFC 9110 §15",
        ["200", "404", "999"],
        ["20", "2000", "2a0", "\uff12\uff10\uff10"],
    ),
    ("REASON_PHRASE", "RFC 9112 §4", ["OK", "Not Found", "caf\xe9\tok"], ["", "a\rb", "a\x00"]),
    # PEP 3333's example: "999 Message here"
    (
        "WSGI_STATUS",
        "PEP 3333, The start_response() Callable",
        ["999 Message here", "200 OK", "404 Not \xa0Found", "200 "],
        ["200", "200  ", "200  OK", "200 OK ", "099 Low", "20 OK", "200\tOK", "２００ OK"],
    ),
    (
        "CHUNK_SIZE",
        "RFC 9112 §7.1",
        ["0", "1a", "FFff", "0" * 16],
        ["", "0x10", "+a", "-1", "1_0", " a", "a ", "g", "0" * 17],
    ),
    (
        "CHUNK_EXT",
        "RFC 9112 §7.1.1",
        ["", ";a", ";a=b", ' ; a = "b c"', ";a;b=1"],
        [";", "a", ";a=", "; a=\x00", ";a= b c"],
    ),
    (
        "CHUNK_LINE",
        "RFC 9112 §7.1",
        ["5\r\n", "0\r\n", "a;ext=1\r\n"],
        ["5\n", "5 \r\n", "0x5\r\n", ";x\r\n"],
    ),
    (
        "CONTENT_LENGTH",
        "RFC 9110 §8.6",
        ["0", "3495", "007"],
        ["", "-1", "+1", "1.0", "\xb2", "1 2", "0x1"],
    ),
    # RFC 9110 §8.8.3's examples: "xyzzy", W/"xyzzy", ""
    (
        "ENTITY_TAG",
        "RFC 9110 §8.8.3",
        ['"xyzzy"', 'W/"xyzzy"', '""'],
        ["xyzzy", 'w/"x"', '"a"b"', '"a b"'],
    ),
    # RFC 9110 §14.4's examples
    (
        "CONTENT_RANGE",
        "RFC 9110 §14.4",
        ["bytes 42-1233/1234", "bytes 42-1233/*", "bytes */1234"],
        ["bytes 42-1233", "bytes=1-2/3", "bytes */*", "bytes -1/2"],
    ),
    # RFC 9110 §8.3.1's examples (equivalent spellings of one media type), and §5.6.6's
    # empty parameters; the parameters unread (CherryPy's unquoted boundary of "=" signs).
    (
        "MEDIA_TYPE",
        "RFC 9110 §8.3.1",
        [
            "text/html;charset=utf-8",
            'Text/HTML;Charset="utf-8"',
            'text/html; charset="utf-8"',
            "text/html;charset=UTF-8",
            "application/json;",
            "multipart/byteranges; boundary================642932",
        ],
        ["", "html", "text/", "/html", "text/html charset=utf-8", "text /html", "text/html,"],
    ),
    # RFC 9110 §12.5.3's examples, one element at a time; a qvalue has at most three
    # decimals and is at most 1 (§12.4.2), and a weight is the one parameter allowed.
    (
        "CODING_WEIGHT",
        "RFC 9110 §12.5.3, §12.4.2",
        ["compress", "gzip", "*", "compress;q=0.5", "gzip;q=1.0", "identity; q=0.5", "*;Q=0"],
        ["", "gzip;q=1.5", "gzip;q=0.0001", "gzip;q=", "gzip q=1", "gzip;level=9", "gz ip"],
    ),
    # RFC 9110 §5.6.7's example: Sun, 06 Nov 1994 08:49:37 GMT
    (
        "IMF_FIXDATE",
        "RFC 9110 §5.6.7",
        ["Sun, 06 Nov 1994 08:49:37 GMT"],
        [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
        ],
    ),
    # RFC 9110 §5.6.7's examples of the two obsolete forms
    (
        "OBS_DATE",
        "RFC 9110 §5.6.7",
        ["Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994", "Sun Nov 16 08:49:37 1994"],
        [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-94 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
        ],
    ),
    (
        "CGI_HTTP_KEY",
        "RFC 3875 §4.1.18",
        ["HTTP_HOST", "HTTP_X_FORWARDED_FOR", "HTTP_A!#"],
        ["HTTP_", "HTTP_x", "HTTP_A-B", "HOST"],
    ),
    (
        "CGI_SERVER_PROTOCOL",
        "RFC 3875 §4.1.16",
        ["HTTP/1.1", "INCLUDED", "HTTP/2", "x/10.20"],
        ["", "HTTP/", "HTTP/1.", "HTTP 1.1"],
    ),
    (
        "WSGI_EXTENSION_NAME",
        "PEP 3333, environ Variables",
        ["mod_python.some_variable", "gunicorn.socket"],
        ["wsgi", "Gunicorn.socket", "a-b.c"],
    ),
]


@pytest.mark.parametrize(
    ("name", "section", "accepted", "refused"),
    [pytest.param(*case, id=case[0]) for case in CASES],
)
def test_pattern_against_its_production(
    name: str, section: str, accepted: list[str], refused: list[str]
) -> None:
    pattern = getattr(grammar, name)
    assert [text for text in accepted if not _accepts(pattern, text)] == [], section
    assert [text for text in refused if _accepts(pattern, text)] == [], section


def test_every_public_pattern_is_tested() -> None:
    """A pattern added to the grammar comes with its examples (character sets aside)."""
    named = {
        name
        for name, value in vars(grammar).items()
        if name.isupper()
        and not name.startswith("_")
        and isinstance(value, str)
        and not name.endswith(("CHAR", "CHARS"))
    }
    sets = {"VCHAR", "OBS_TEXT", "OWS", "PCHAR_MARKS", "CONTROL", "VALUE_CONTROL", "HEAD_CONTROL"}
    assert named - sets - {"FIELD_NAME"} == {case[0] for case in CASES}


def test_character_sets_agree_with_their_classes() -> None:
    """RFC 9110 §5.6.2 tchar and §5.5 field-vchar: the strategies' alphabets are the classes."""
    octets = [chr(code) for code in range(256)]
    assert [c for c in octets if re.fullmatch(grammar.TCHAR, c)] == sorted(grammar.TCHARS)
    assert [c for c in octets if re.fullmatch(grammar.FIELD_VCHAR, c)] == list(grammar.FIELD_VCHARS)
    assert [c for c in octets if re.fullmatch(grammar.VCHAR, c)] == [
        chr(c) for c in range(0x21, 0x7F)
    ]
    # PEP 3333: control characters; RFC 9110 §5.5 allows HTAB in a field value.
    controls = [c for c in octets if re.fullmatch(grammar.CONTROL, c)]
    assert controls == [*map(chr, range(0x20)), "\x7f"]
    assert [c for c in octets if re.fullmatch(grammar.VALUE_CONTROL, c)] == [
        c for c in controls if c != "\t"
    ]
    assert [c for c in octets if re.fullmatch(grammar.HEAD_CONTROL, c)] == [
        c for c in controls if c not in "\t\r\n"
    ]


def test_the_bytes_patterns_are_the_text_patterns() -> None:
    for compiled, text in [
        (grammar.origin_form_bytes_re, grammar.ORIGIN_FORM),
        (grammar.absolute_form_bytes_re, grammar.ABSOLUTE_FORM),
        (grammar.authority_form_bytes_re, grammar.AUTHORITY_FORM),
        (grammar.http_version_bytes_re, grammar.HTTP_VERSION),
        (grammar.field_line_bytes_re, grammar.FIELD_LINE),
        (grammar.chunk_size_bytes_re, grammar.CHUNK_SIZE),
        (grammar.chunk_line_bytes_re, grammar.CHUNK_LINE),
        (grammar.status_code_bytes_re, grammar.STATUS_CODE),
    ]:
        assert compiled.pattern == text.encode("ascii")


@pytest.mark.parametrize(
    ("text", "size"),
    [(b"0", 0), (b"a", 10), (b"1A", 26), (b"ffffffffffffffff", 2**64 - 1), (b"0" * 15 + b"1", 1)],
)
def test_chunk_size_reads_hexdig(text: bytes, size: int) -> None:
    assert grammar.chunk_size(text) == size


@pytest.mark.parametrize(
    "text", [b"0x10", b"+a", b"1_0", b"-1", b" a", b"a ", b"", b"0" * 17, b"\xd9\xa1", b"1;x"]
)
def test_chunk_size_refuses_what_int_would_take(text: bytes) -> None:
    # RFC 9112 §7.1: chunk-size = 1*HEXDIG; int(text, 16) takes the first five.
    assert grammar.chunk_size(text) is None


@pytest.mark.parametrize(
    ("value", "number"),
    [("0", 0), (" 42\t", 42), ("007", 7), ("\xb2", None), ("+1", None), ("1_0", None), ("", None)],
)
def test_content_length_reads_digits(value: str, number: int | None) -> None:
    # RFC 9110 §8.6: Content-Length = 1*DIGIT, with the field's OWS around it (§5.5).
    assert grammar.content_length(value) == number


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",  # IMF-fixdate
        "Sunday, 06-Nov-94 08:49:37 GMT",  # rfc850-date
        "Sun Nov  6 08:49:37 1994",  # asctime-date: no zone, GMT by definition
        "Sun, 06 Nov 1994 08:49:37 +0000",
    ],
)
def test_http_date_reads_all_three_forms_as_utc(value: str) -> None:
    # RFC 9110 §5.6.7: "A recipient that parses a timestamp value in an HTTP field MUST
    # accept all three HTTP-date formats." The asctime form parsed naive, and was dropped:
    # no rule judged a request that carried one (the app sweep of 2026-12-05, Zope).
    assert grammar.http_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "value", ["Sun, 06 Nov 1994 08:49:37", "yesterday", "", "Sun Nov  6 08:49:37 1994, x"]
)
def test_http_date_refuses_a_date_with_no_zone_that_is_not_asctime(value: str) -> None:
    assert grammar.http_date(value) is None


@pytest.mark.parametrize(
    ("content_type", "name", "value"),
    [
        ("text/html; charset=utf-8", "charset", "utf-8"),
        ('text/html;Charset="UTF-8"', "charset", "UTF-8"),  # names ignore case; quotes go
        ("text/html", "charset", None),
        ('text/html; charset=""', "charset", None),
        (
            "multipart/byteranges; boundary================642932",
            "boundary",
            "===============642932",
        ),
        ("multipart/byteranges; a=1; boundary = x ", "boundary", "x"),
    ],
)
def test_a_media_type_parameter_is_read_by_its_name(
    content_type: str, name: str, value: str | None
) -> None:
    """RFC 9110 §5.6.6, read as a recipient does (CherryPy's unquoted boundary of "=")."""
    assert grammar.media_type_parameter(content_type, name) == value
