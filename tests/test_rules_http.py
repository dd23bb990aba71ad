"""The HTTP rules (``rules/http_content.py``, ``rules/http_pairs.py``,
``rules/http_preconditions.py``, ``rules/http_vary.py``) on small apps, and on
real Flask, Django and WhiteNoise stacks driven through the follow-up questions
(:func:`wsgicheck.explore.sequences.ask_about`), in memory and over a real socket."""

from __future__ import annotations

import gc
import gzip
import http.client
import io
import re
import sys
import threading
import types
import warnings
import zlib
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults
from wsgiref.validate import check_content_type

import pytest
from flask import Flask
from pyramid.config import Configurator
from pyramid.response import Response as PyramidResponse

from rulekit import GOOD, ROOT, load
from test_rules_good_apps import APPS as GOOD_APPS
from test_rules_good_apps import EXPECTED, OK_PATH, load_app
from wsgicheck import Client, Framing, Request
from wsgicheck.core.environ import ServerConfig
from wsgicheck.drivers.server import live_server
from wsgicheck.drivers.validation import validator
from wsgicheck.explore.sequences import ask_about, send_follow_ups
from wsgicheck.model.grammar import http_date
from wsgicheck.model.response import Response
from wsgicheck.rules import REGISTRY, Exchange, check_exchange, in_sequence
from wsgicheck.rules.http_pairs import KEPT_FROM_200
from wsgicheck.rules.registry import quoted

#: The rules of rules/http_content.py, http_pairs.py, http_preconditions.py and http_vary.py.
HTTP_RULES = [
    "APP-CONTENT-TYPE",
    "APP-405-ALLOW-LISTS-GET",
    "APP-REDIRECT-LOCATION",
    "APP-LOCATION-SYNTAX",
    "APP-CODING-ACCEPTED",
    "APP-SINGLE-FIELDS",
    "APP-HTTP-DATE",
    "APP-ETAG-SYNTAX",
    "APP-LIST-ELEMENTS",
    "APP-304-METADATA",
    "APP-CL-FORBIDDEN",
    "APP-206-CONTENT-RANGE",
    "APP-206-RANGE-ASKED",
    "APP-416-SATISFIABLE",
    "APP-416-CONTENT-RANGE",
    "APP-CONTENT-CODING",
    "APP-HEAD-LIKE-GET",
    "APP-CL-OF-GET",
    "APP-304-KEEPS-FIELDS",
    "APP-206-KEEPS-FIELDS",
    "APP-IF-NONE-MATCH",
    "APP-IF-MODIFIED-SINCE",
    "APP-IF-MATCH",
    "APP-IF-UNMODIFIED-SINCE",
    "APP-IF-NONE-MATCH-MISS",
    "APP-IF-RANGE",
    "APP-IF-RANGE-MATCH",
    "APP-ERRORS-BEFORE-CONDITIONS",
    "APP-METHOD-IGNORES-CONDITIONS",
    "APP-304-CONDITIONAL",
    "APP-304-UNCONDITIONAL",
    "APP-INVALID-DATE-IGNORED",
    "APP-OBS-DATE-ACCEPTED",
    "APP-RANGE-UNIT-IGNORED",
    "APP-VARY-NAMES-FIELD",
    "APP-ETAG-PER-CODING",
]
TIMEOUT = 10.0

Fired = set[tuple[str, str, tuple[str, ...]]]


#: WhiteNoise 6.12's faults under the range questions (rule, the fields of the request but
#: Host and Accept-Encoding), checked against its source (responders.py).
WHITENOISE_RANGE_FAULTS = {
    ("APP-416-SATISFIABLE", ("Range",)),
    ("APP-416-SATISFIABLE", ("Range", "If-Match")),
    ("APP-IF-RANGE", ("Range", "If-Range")),
    # bytes=-0, which no representation satisfies, answered with a 206 of the whole file.
    ("APP-206-RANGE-ASKED", ("Range",)),
}


def unranged(found: Fired) -> Fired:
    """The findings on requests that asked for no byte range."""
    return {each for each in found if "Range" not in each[2]}


def fired(exchanges: Iterable[Exchange]) -> Fired:
    """(rule, method, field names less Host) of every finding, by the request it names."""
    return {
        (finding.rule, request.method, tuple(n for n, _ in request.headers if n != "Host"))
        for ex in exchanges
        for finding in check_exchange(ex)
        if (request := finding.request) is not None
    }


def messages_of(rule: str, exchanges: Iterable[Exchange]) -> list[str]:
    """The messages of ``rule``'s findings over ``exchanges``, in order."""
    return [f.message for ex in exchanges for f in check_exchange(ex) if f.rule == rule]


def applied(exchanges: Iterable[Exchange]) -> set[str]:
    """The HTTP rules that had evidence in at least one of ``exchanges``."""
    return {rule for ex in exchanges for rule in HTTP_RULES if REGISTRY[rule].applies(ex)}


def run(app: Any, *requests: dict[str, Any]) -> list[Exchange]:
    """The requests through ``Client(app)`` in this order, linked as one sequence."""
    client = Client(app)
    return list(in_sequence([Exchange(client.request(**each)) for each in requests]))


def answering(
    status: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, list(headers))
        return [body] if body else []

    return app


GET = {"method": "GET", "target": "/"}
HEAD = {"method": "HEAD", "target": "/"}
TEXT = ("Content-Type", "text/plain")


# -- APP-CONTENT-TYPE -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "method", "body", "expected"),
    [
        ("200 OK", "GET", b"x", {("APP-CONTENT-TYPE", "GET", ())}),
        ("404 Not Found", "POST", b"x", {("APP-CONTENT-TYPE", "POST", ())}),
        ("200 OK", "HEAD", b"", {("APP-CONTENT-TYPE", "HEAD", ())}),  # its GET's length unsaid
        # A 200 to GET is the target's representation (RFC 9110 §6.4.2), an empty file whose
        # type the app knows: asked at zero bytes too.
        ("200 OK", "GET", b"", {("APP-CONTENT-TYPE", "GET", ())}),
        ("204 No Content", "GET", b"", set()),
        ("205 Reset Content", "GET", b"", set()),
        ("304 Not Modified", "GET", b"", set()),
        # Zero bytes: wsgicheck reads them as a representation whose type is unknown (RFC
        # 9110 §8.3 excuses the field there), not one to type (the app sweeps of
        # 2026-12-03 and -04: WhiteNoise's empty 405 and 416, Radicale's empty 201).
        ("201 Created", "MKCOL", b"", set()),
        ("303 See Other", "GET", b"", set()),  # a redirect (302: APP-REDIRECT-LOCATION too)
        ("200 OK", "OPTIONS", b"", set()),
        ("404 Not Found", "OPTIONS", b"", set()),
    ],
)
def test_content_type_is_asked_of_every_response_with_content(
    status: str, method: str, body: bytes, expected: Fired
) -> None:
    # (A 304 answers a condition: APP-304-CONDITIONAL's.)
    headers = {"If-None-Match": '"x"'} if status.startswith("304") else {}
    exchanges = run(
        answering(status, [], body), {"method": method, "target": "/", "headers": headers}
    )
    assert fired(exchanges) == expected
    asked = "APP-CONTENT-TYPE" in applied(exchanges)
    assert asked == bool(expected)  # zero bytes are not judged, not passed


@pytest.mark.parametrize("value", ["", "html", "text/html charset=utf-8", "text /html"])
def test_a_content_type_that_is_no_media_type_types_nothing(value: str) -> None:
    """App sweep of 2026-12-05: Klaus serves a file it cannot type with an empty
    ``Content-Type:``, which the rule took for a type (RFC 9110 §8.3.1 gives the grammar)."""
    exchanges = run(answering("200 OK", [("Content-Type", value)], b"x"), GET)
    assert fired(exchanges) == {("APP-CONTENT-TYPE", "GET", ())}
    [finding] = [each for ex in exchanges for each in check_exchange(ex)]
    assert finding.message == (
        f"a 200 response with 1 byte of content has Content-Type {value!r}, which names no "
        "media type (type/subtype, then any ;parameters: RFC 9110 §8.3.1)"
    )
    # Sweep 13: CherryPy's multipart boundary, "=" signs unquoted, still names the type.
    good = [
        "text/plain",
        'text/html; charset="utf-8"',
        "application/vnd.api+json;",
        "multipart/byteranges; boundary================6429324234838",
    ]
    for each in good:
        assert not fired(run(answering("200 OK", [("Content-Type", each)], b"x"), GET))


def gzipping(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Compresses whenever Accept-Encoding is there (its words and q-values unread, as
    Django's GZipMiddleware and prometheus_client read no q-value); uncoded without it."""
    headers = [TEXT, ("Vary", "Accept-Encoding")]
    body = BODY
    if "HTTP_ACCEPT_ENCODING" in environ:
        body = gzip.compress(BODY)
        headers.append(("Content-Encoding", "gzip"))
    start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
    return [body]


@pytest.mark.parametrize(
    ("accept", "refused"),
    [
        ("gzip;q=0", "gzip"),
        ("gzip;Q=0.000, identity", "gzip"),
        ("*;q=0.5, gzip;q=0", "gzip"),
        ("br, x-gzip;q=0", "gzip"),  # x-gzip is gzip (RFC 9110 §8.4.1.3)
        ("deflate, br", "gzip"),  # not named, and no "*": not accepted
        # A list that names gzip at a weight, or "*" above 0, accepts it.
        ("gzip", None),
        ("gzip;q=0.001", None),
        ("br, *", None),
        # Identity refused: any coding will do, and none is asked of the app.
        ("gzip;q=0, identity;q=0", None),
        ("gzip;q=0, *;q=0", None),
        # Not a field to judge by (a weight past 1, a parameter that is no weight, a coding
        # named twice at weights that disagree, as Werkzeug and WebOb read differently, or
        # empty, which the SHOULD leaves out): no verdict, and no evidence.
        ("gzip;q=1.5", None),
        ("gzip;level=9", None),
        ("gzip;q=0, gzip", None),
        ("gzip, br, gzip;q=0", None),
        ("", None),
        (",", None),
    ],
)
def test_content_is_coded_only_in_codings_the_request_accepts(
    accept: str, refused: str | None
) -> None:
    """App sweep of 2026-12-05: prometheus_client gzips to ``Accept-Encoding: gzip;q=0``;
    RFC 9110 §12.5.3 asks for the content uncoded, which the request accepts."""
    exchanges = run(gzipping, {**GET, "headers": {"Accept-Encoding": accept}})
    findings = [each for ex in exchanges for each in check_exchange(ex)]
    if refused is None:
        assert findings == []
        judged = "APP-CODING-ACCEPTED" in applied(exchanges)
        assert judged == (accept in ("gzip", "gzip;q=0.001", "br, *"))  # accepted: a pass
        return
    assert [(each.rule, each.message) for each in findings] == [
        (
            "APP-CODING-ACCEPTED",
            f"Accept-Encoding {accept!r} does not accept {refused!r}; the app answered 200 "
            "with Content-Encoding 'gzip', where the content uncoded was acceptable",
        )
    ]


def test_a_coding_no_registry_lists_is_said_to_be_none() -> None:
    """Trial 6 of 2026-12-07: Wagtail 8.0 sends ``Content-Encoding: None`` (``str(None)``),
    and "does not accept 'none'" read as the harness's own None."""
    app = answering("200 OK", [TEXT, ("Content-Encoding", "None")], BODY)
    exchanges = run(app, {**GET, "headers": {"Accept-Encoding": "gzip"}})
    assert messages_of("APP-CODING-ACCEPTED", exchanges) == [
        "Accept-Encoding 'gzip' does not accept 'none'; the app answered 200 with "
        "Content-Encoding 'None', where the content uncoded was acceptable; 'none' is no "
        "registered content coding (RFC 9110 §16.6.1), and content sent uncoded carries no "
        "Content-Encoding"
    ]


def test_two_accept_encoding_fields_are_read_as_one() -> None:
    """RFC 9110 §5.3: the fields of one name are one list; gzip refused in one and named in
    the other disagree, and give no verdict; refused in both, it is refused."""

    def coding(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [TEXT, ("Content-Encoding", "gzip")])
        return [gzip.compress(BODY)]

    def sent(*values: str) -> list[Exchange]:
        client = Client(coding)
        fields = [("Host", "localhost"), *(("Accept-Encoding", value) for value in values)]
        return [Exchange(client.send(Request(headers=tuple(fields))))]

    assert "APP-CODING-ACCEPTED" not in applied(sent("gzip;q=0", "gzip"))
    assert fired(sent("gzip;q=0", "br")) == {
        ("APP-CODING-ACCEPTED", "GET", ("Accept-Encoding", "Accept-Encoding"))
    }


def test_content_type_is_not_asked_of_a_head_whose_get_has_no_bytes() -> None:
    app = answering("404 Not Found", [("Content-Length", "0")])
    assert "APP-CONTENT-TYPE" not in applied(run(app, HEAD))
    # WhiteNoise 6.12's HEAD 416 says no length (its GET is empty): nothing tells of content
    # (the sweep of 2026-12-04).
    unsized = answering("416 Range Not Satisfiable", [("Content-Range", "bytes */0")])
    assert "APP-CONTENT-TYPE" not in applied(run(unsized, HEAD))
    for status, length in (("404 Not Found", "5"), ("200 OK", "0")):  # a 200 is asked at 0
        sized = answering(status, [("Content-Length", length)])
        assert fired(run(sized, HEAD)) == {("APP-CONTENT-TYPE", "HEAD", ())}


def test_content_type_of_a_body_not_read_to_its_end_names_no_length() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("404 Not Found", [])
        raise RuntimeError("no body after all")
        yield b""

    (message,) = messages_of("APP-CONTENT-TYPE", run(app, GET))
    assert message == "a 404 response has no Content-Type"


def test_content_type_is_asked_of_an_answer_to_options_with_content() -> None:
    exchanges = run(answering("200 OK", [], b"GET, HEAD"), {"method": "OPTIONS", "target": "/"})
    assert fired(exchanges) == {("APP-CONTENT-TYPE", "OPTIONS", ())}


@pytest.mark.parametrize(
    ("status", "expected"),
    [("200 OK", []), ("404 Not Found", ["APP-CONTENT-TYPE"])],  # a 2xx is a tunnel
)
def test_content_type_of_an_answer_to_connect_under_another_server(
    status: str, expected: list[str]
) -> None:
    """wsgicheck's own servers refuse CONNECT before the app (501); another server may
    pass it on, and the validator then asks the rule: a 2xx opens a tunnel, not content."""
    environ: dict[str, Any] = {"REQUEST_METHOD": "CONNECT"}
    setup_testing_defaults(environ)
    app = answering(status, [], b"no")
    checked = validator(app, collect=True, select=["APP-CONTENT-TYPE"])
    result = checked(environ, lambda status, headers, exc_info=None: lambda data: None)
    assert list(result) == [b"no"]
    result.close()
    assert [finding.rule for finding in checked.findings] == expected


def test_content_type_present_is_silent() -> None:
    assert fired(run(answering("200 OK", [TEXT], b"hi"), GET, HEAD)) == set()


# -- APP-CL-FORBIDDEN -------------------------------------------------------------------------

DELETE = {"method": "DELETE", "target": "/items/1"}


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        # Django's CommonMiddleware gives every non-streaming response a Content-Length.
        (
            "204 No Content",
            [("Content-Length", "0")],
            ["a 204 response carries Content-Length '0'"],
        ),
        (
            "204 No Content",
            [("Content-Length", "12")],
            ["a 204 response carries Content-Length '12'"],
        ),
        ("204 No Content", [], []),
        ("200 OK", [TEXT, ("Content-Length", "0")], []),
        ("205 Reset Content", [("Content-Length", "0")], []),  # §15.3.6 lets a 205 say 0
    ],
)
def test_a_204_carries_no_content_length(
    status: str, headers: list[tuple[str, str]], expected: list[str]
) -> None:
    exchanges = run(answering(status, headers), DELETE)
    assert ("APP-CL-FORBIDDEN" in applied(exchanges)) == status.startswith("204")
    tail = (
        "; a server that passes the app's fields on sends it, and a client may wait for that "
        "many bytes of content or refuse the response"
    )
    assert messages_of("APP-CL-FORBIDDEN", exchanges) == [text + tail for text in expected]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("200 OK", ["APP-CL-FORBIDDEN"]), ("407 Proxy Authentication Required", [])],
)
def test_a_2xx_to_connect_carries_no_content_length(status: str, expected: list[str]) -> None:
    """wsgicheck's servers refuse CONNECT (501); under another server the validator asks."""
    environ: dict[str, Any] = {"REQUEST_METHOD": "CONNECT"}
    setup_testing_defaults(environ)
    app = answering(status, [("Content-Length", "0")])
    checked = validator(app, collect=True, select=["APP-CL-FORBIDDEN"])
    result = checked(environ, lambda status, headers, exc_info=None: lambda data: None)
    assert list(result) == []
    result.close()
    assert [finding.rule for finding in checked.findings] == expected


# -- APP-304-METADATA -------------------------------------------------------------------------


#: A GET that a 304 may answer.
REVALIDATION = {**GET, "headers": {"If-None-Match": '"a"'}}


def test_304_with_representation_metadata_is_flagged() -> None:
    headers = [("Content-Encoding", "gzip"), ("Content-Language", "en"), ("ETag", '"a"')]
    exchanges = run(answering("304 Not Modified", headers), REVALIDATION)
    assert fired(exchanges) == {("APP-304-METADATA", "GET", ("If-None-Match",))}
    (finding,) = check_exchange(exchanges[0])
    assert "content-encoding, content-language" in finding.message


def test_304_with_the_fields_rfc_9110_lists_is_silent() -> None:
    headers = [
        ("ETag", '"a"'),
        ("Cache-Control", "max-age=60"),
        ("Vary", "Accept-Encoding"),
        ("Expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
        ("Content-Location", "/a"),
        ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT"),  # guides cache updates
    ]
    assert fired(run(answering("304 Not Modified", headers), REVALIDATION)) == set()


# -- APP-SINGLE-FIELDS -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "said"),
    [
        ([TEXT], None),
        ([TEXT, ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")], None),  # §5.3's exception
        ([TEXT, ("Vary", "Cookie"), ("Vary", "Accept-Encoding")], None),  # a list field
        # Repeats that disagree are APP-CL-SYNTAX's; those that agree are still two lines of
        # a field of one value (a middleware adding its own beside the app's).
        ([TEXT, ("Content-Length", "6"), ("Content-Length", "7")], None),
        (
            [TEXT, ("Content-Length", "6"), ("content-length", " 6")],
            "the response sends content-length ×2: each is defined as one value (RFC 9110 "
            "§8.6), and a recipient may reject a repeated Content-Length as invalid",
        ),
        (
            [TEXT, ("content-type", "text/plain")],
            "the response sends content-type ×2: each is defined as one value (RFC 9110 §8.3), "
            "and a client may take either",
        ),
        (
            [TEXT, ("ETag", '"a"'), ("Location", "/x"), ("ETag", '"b"'), ("location", "/y")],
            "the response sends etag ×2, location ×2: each is defined as one value "
            "(RFC 9110 §10.2.2, RFC 9110 §8.8.3), and a client may take either",
        ),
        (
            [TEXT, TEXT, ("Content-Length", "6"), ("Content-Length", "6")],
            "the response sends content-length ×2, content-type ×2: each is defined as one "
            "value (RFC 9110 §8.3, RFC 9110 §8.6), and a client may take either, and a "
            "recipient may reject a repeated Content-Length as invalid",
        ),
    ],
    ids=[
        "one",
        "cookies",
        "vary-list",
        "lengths-disagree",
        "lengths-agree",
        "content-type",
        "two-fields",
        "type-and-length",
    ],
)
def test_a_field_of_one_value_is_sent_once(
    headers: list[tuple[str, str]], said: str | None
) -> None:
    exchanges = run(answering("200 OK", headers, BODY), GET)
    findings = [f for ex in exchanges for f in check_exchange(ex) if f.rule == "APP-SINGLE-FIELDS"]
    assert [finding.message for finding in findings] == ([] if said is None else [said])


# -- APP-HTTP-DATE and APP-ETAG-SYNTAX --------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "said"),
    [
        (("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"), None),
        (("Date", " Sun, 06 Nov 1994 08:49:37 GMT "), None),  # OWS round a field value
        (("Retry-After", "120"), None),  # delay-seconds
        (("Expires", "Sun, 06 Nov 1994 08:49:37 GMT"), None),
        (
            ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 -0000"),
            "Last-Modified Sun, 06 Nov 1994 08:49:37 -0000 ends in -0000 where an HTTP-date says "
            "GMT, as email.utils.formatdate() writes without usegmt=True (RFC 9110 §5.6.7)",
        ),
        (
            ("Date", "Sunday, 06-Nov-94 08:49:37 GMT"),
            "Date Sunday, 06-Nov-94 08:49:37 GMT is an obsolete form, which recipients accept; "
            "a sender MUST send 'Sun, 06 Nov 1994 08:49:37 GMT' (RFC 9110 §5.6.7)",
        ),
        (
            ("Last-Modified", "Sun Nov  6 08:49:37 1994"),
            "Last-Modified Sun Nov  6 08:49:37 1994 is an obsolete form, which recipients "
            "accept; a sender MUST send 'Sun, 06 Nov 1994 08:49:37 GMT' (RFC 9110 §5.6.7)",
        ),
        (
            ("Expires", "0"),
            "Expires 0 is not an HTTP-date: a cache takes it as already expired (RFC 9111 §5.3), "
            "but a sender MUST send a date ('Sun, 06 Nov 1994 08:49:37 GMT'; one in the past "
            "will do) (RFC 9110 §5.6.7)",
        ),
        (
            ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 +0100"),
            "Last-Modified Sun, 06 Nov 1994 08:49:37 +0100 is not an HTTP-date, which reads "
            "'Sun, 06 Nov 1994 08:49:37 GMT' (RFC 9110 §5.6.7)",
        ),
        (
            ("Date", "Mon, 32 Jan 2024 00:00:00 GMT"),
            "Date Mon, 32 Jan 2024 00:00:00 GMT is no calendar date (RFC 9110 §5.6.7)",
        ),
        (("Last-Modified", "Sat, 31 Dec 2016 23:59:60 GMT"), None),  # a leap second
        (
            ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 +0000"),
            "Last-Modified Sun, 06 Nov 1994 08:49:37 +0000 ends in +0000 where an HTTP-date says "
            "GMT, as email.utils.format_datetime() and strftime('%z') write for UTC (RFC 9110 "
            "§5.6.7)",
        ),
        (
            ("Retry-After", "1.5"),
            "Retry-After 1.5 is neither delay-seconds, a whole number of seconds (RFC 9110 "
            "§10.2.3), nor an HTTP-date as 'Sun, 06 Nov 1994 08:49:37 GMT' (RFC 9110 §5.6.7)",
        ),
    ],
    ids=[
        "fixdate",
        "ows",
        "seconds",
        "expires",
        "minus-zero",
        "rfc850",
        "asctime",
        "expires-0",
        "offset",
        "no-day",
        "leap-second",
        "plus-zero",
        "retry-fraction",
    ],
)
def test_dates_are_imf_fixdates(field: tuple[str, str], said: str | None) -> None:
    findings = check_exchange(run(answering("200 OK", [TEXT, field], BODY), GET)[0])
    assert [(each.rule, each.message) for each in findings] == (
        [] if said is None else [("APP-HTTP-DATE", said)]
    )


def test_a_request_s_dates_are_not_the_app_s() -> None:
    """A request's If-Modified-Since is the client's, not a date the app sent."""
    exchanges = run(
        answering("200 OK", [TEXT], BODY), {**GET, "headers": {"If-Modified-Since": "0"}}
    )
    assert fired(exchanges) == set()


@pytest.mark.parametrize(
    ("etag", "said"),
    [
        ('"v1"', None),
        ('W/"v1"', None),
        ('""', None),  # an empty opaque-tag is one
        ("1704067200.25", 'it has no double quotes round its opaque tag: "1704067200.25"'),
        ("W/v1", 'it has no double quotes round its opaque tag: W/"v1"'),
        ("w/v1", 'it spells W/ in lower case, and the weak prefix is case-sensitive: W/"v1"'),
        ("W/ v1", 'it has a space after W/, which an entity-tag has none of: W/"v1"'),
        ('"v1', 'it is no opaque tag in double quotes ("v1"), with W/ before it if weak'),
        ("", 'it is no opaque tag in double quotes ("v1"), with W/ before it if weak'),
        ("'v1'", 'it has no double quotes round its opaque tag: "v1"'),
        (
            '"a b"',
            "it holds a character an opaque tag cannot (a space, a double quote, a control)",
        ),
        (
            'w/"v1"',
            'it spells W/ in lower case, and the weak prefix is case-sensitive: W/"v1"',
        ),  # %s"W/"
        ('W/ "v1"', 'it has a space after W/, which an entity-tag has none of: W/"v1"'),
    ],
)
def test_an_etag_is_an_entity_tag(etag: str, said: str | None) -> None:
    findings = check_exchange(run(answering("200 OK", [TEXT, ("ETag", etag)], BODY), GET)[0])
    assert [(each.rule, each.message) for each in findings] == (
        []
        if said is None
        else [
            (
                "APP-ETAG-SYNTAX",
                f"ETag {etag or '(empty)'} is not an entity-tag: {said}; a client or cache "
                "that parses "
                "entity-tags cannot revalidate with it",
            )
        ]
    )


# -- APP-206-CONTENT-RANGE --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "body", "flagged"),
    [
        ([("Content-Range", "bytes 2-4/10")], b"234", False),
        ([("Content-Range", "bytes 2-4/*")], b"234", False),
        ([("Content-Range", "bytes 2-4/10")], b"2345", True),
        ([("Content-Range", "bytes 4-2/10")], b"", True),
        ([("Content-Range", "bytes 2-9/9")], b"23456789", True),
        ([("Content-Range", "bytes */10")], b"", True),
        ([], b"234", True),
        ([("Content-Type", "multipart/byteranges; boundary=x")], b"--x--\r\n", False),
        (
            [
                ("Content-Type", "multipart/byteranges; boundary=x"),
                ("Content-Range", "bytes 0-1/2"),
            ],
            b"--x--\r\n",
            True,
        ),
    ],
)
def test_206_content_range(headers: list[tuple[str, str]], body: bytes, flagged: bool) -> None:
    headers = headers if any(n == "Content-Type" for n, _ in headers) else [TEXT, *headers]
    exchanges = run(answering("206 Partial Content", headers, body), GET)
    assert fired(exchanges) == ({("APP-206-CONTENT-RANGE", "GET", ())} if flagged else set())


def byteranges(*parts: tuple[str | None, bytes], boundary: str = "B0UND") -> bytes:
    """A multipart/byteranges body (RFC 2046 §5.1.1) of ``parts``, each its Content-Range
    (None: none) and its content."""
    body = b""
    for content_range, content in parts:
        head = "Content-Type: text/plain\r\n"
        head += f"Content-Range: {content_range}\r\n" if content_range is not None else ""
        body += f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


@pytest.mark.parametrize(
    ("body", "messages"),
    [
        (byteranges(("bytes 0-1/10", b"01"), ("bytes 5-6/10", b"56")), []),
        (byteranges(("bytes 0-1/*", b"01"), ("bytes 5-9/10", b"56789")), []),
        (byteranges(), []),  # no part: not judged here
        (b"no multipart body at all", []),  # not read: nothing to judge
        (
            byteranges(("bytes 1000-999/1000", b""), ("bytes 0-1/1000", b"01")),  # CherryPy 18.10
            [
                "part 1 of the multipart/byteranges 206 has Content-Range bytes 1000-999/1000, "
                "which is invalid (RFC 9110 §14.4)"
            ],
        ),
        (
            byteranges(("bytes 0-1/10", b"012"), (None, b"56")),
            [
                "part 1 of the multipart/byteranges 206 has Content-Range bytes 0-1/10, which "
                "announces 2 bytes; the part holds 3 bytes",
                "part 2 of the multipart/byteranges 206 has no Content-Range",
            ],
        ),
        (
            byteranges(("bytes */10", b""), ("bytes 0-0/10", b"0")),
            [
                "part 1 of the multipart/byteranges 206 has Content-Range bytes */10, not a "
                "range-resp"
            ],
        ),
    ],
)
def test_each_part_of_a_multipart_206_states_its_range(body: bytes, messages: list[str]) -> None:
    """A trial of 2026-12-07: CherryPy 18.10 answers bytes=-0,0-1 with a part headed
    ``bytes 1000-999/1000`` and no data, which no rule read."""
    fields = [("Content-Type", "multipart/byteranges; boundary=B0UND")]
    exchanges = run(answering("206 Partial Content", fields, body), GET)
    assert messages_of("APP-206-CONTENT-RANGE", exchanges) == messages


def test_a_multipart_206_s_parts_are_read_under_an_unquoted_boundary_of_equals_signs() -> None:
    """CherryPy's boundary is "=" signs and digits, unquoted; a coded body is not read."""
    boundary = "================6429324234838"
    body = byteranges(("bytes 4-2/10", b""), boundary=boundary)
    fields = [("Content-Type", f"multipart/byteranges; boundary={boundary}")]
    told = messages_of(
        "APP-206-CONTENT-RANGE", run(answering("206 Partial Content", fields, body), GET)
    )
    assert told == [
        "part 1 of the multipart/byteranges 206 has Content-Range bytes 4-2/10, which is "
        "invalid (RFC 9110 §14.4)"
    ]
    coded = [*fields, ("Content-Encoding", "gzip")]
    exchanges = run(answering("206 Partial Content", coded, gzip.compress(body)), GET)
    assert messages_of("APP-206-CONTENT-RANGE", exchanges) == []


# -- APP-206-RANGE-ASKED ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ranges", "stated", "message"),
    [
        ("bytes=0-0", "bytes 0-0/23", None),
        ("bytes=2-4", "bytes 2-4/23", None),
        ("bytes=5-", "bytes 5-22/23", None),
        ("bytes=5-900", "bytes 5-22/23", None),  # a last-pos past the end: the remainder
        ("bytes=-1", "bytes 22-22/23", None),
        ("BYTES=-1", "bytes 22-22/23", None),  # units ignore case
        ("bytes=-30", "bytes 0-22/23", None),  # a suffix longer than it: all of it
        ("bytes=2-4", "bytes 2-4/*", None),
        ("bytes=2-900", "bytes 2-22/*", None),  # no length: the last-pos an upper bound
        ("bytes=-1", "bytes 0-0/*", None),  # no length: a suffix is not judged
        ("bytes=5-", "bytes 5-9/23", None),  # a part of it (RFC 9110 §15.3.7: a subset)
        ("bytes=0-99", "bytes 0-7/41", None),  # a server that caps its parts
        ("bytes=-20", "bytes 21-28/41", None),
        ("bytes=0-0, 5-6", "bytes 0-0/23", None),  # a part of a set
        ("bytes=0-1,5-6", "bytes 0-6/23", None),  # a set joined in one part, the gap too
        ("bytes=5-6,0-1", "bytes 0-6/23", None),  # in any order
        ("bytes=30-,-2", "bytes 21-22/23", None),  # one of the set satisfiable
        ("bytes=1-2,4-", "bytes 1-9/*", None),  # no length, an open range: no upper bound
        ("bytes=1-2,4-5", "bytes 1-5/*", None),  # no length, joined
        ("bytes=0-0,-1", "bytes 0-22/23", None),  # joined: how large a gap may be, not judged
        ("bytes= 0-0", "bytes 1-1/23", None),  # OWS after "=": no range-set, not judged
        ("bytes=0-0,", "bytes 0-0/23", None),  # an empty list element: not judged
        (
            "bytes=0-1,5-6",  # Paste 3.10's FileApp: the whole file
            "bytes 0-22/23",
            "the app answered Range bytes=0-1,5-6 with Content-Range bytes 0-22/23; of a "
            "representation of 23 bytes those ranges select bytes 0-1 and 5-6 (RFC 9110 "
            "§14.1.2), and the 206's part starts or ends on a byte none of them selects (one "
            "part may join them, §15.3.7.2)",
        ),
        (
            "bytes=0-0,2-2",
            "bytes 1-1/23",  # the gap alone
            "the app answered Range bytes=0-0,2-2 with Content-Range bytes 1-1/23; of a "
            "representation of 23 bytes those ranges select bytes 0-0 and 2-2 (RFC 9110 "
            "§14.1.2), and the 206's part starts or ends on a byte none of them selects (one "
            "part may join them, §15.3.7.2)",
        ),
        (
            "bytes=30-,40-",
            "bytes 0-22/23",
            "the app answered Range bytes=30-,40- with a 206 (Content-Range bytes 0-22/23), but "
            "no byte of a representation of 23 bytes satisfies those ranges (RFC 9110 §14.1.2): "
            "a 416 or a 200 answers it",
        ),
        (
            "bytes=1-2,4-5",
            "bytes 1-9/*",
            "the app answered Range bytes=1-2,4-5 with Content-Range bytes 1-9/*, bytes outside "
            "the ranges asked for",
        ),
        ("items=0-0", "bytes 0-0/23", None),  # another unit: APP-RANGE-UNIT-IGNORED's
        ("bytes=0-0", "bytes 4-2/23", None),  # no valid range: APP-206-CONTENT-RANGE's
        (
            "bytes=-1",  # Paste 3.10's FileApp
            "bytes 0-1/23",
            "the app answered Range bytes=-1 with Content-Range bytes 0-1/23; of a "
            "representation of 23 bytes that range is bytes 22-22 (RFC 9110 §14.1.2), and the "
            "206 sends bytes outside it",
        ),
        (
            "bytes=5-9",
            "bytes 0-22/23",  # more than asked
            "the app answered Range bytes=5-9 with Content-Range bytes 0-22/23; of a "
            "representation of 23 bytes that range is bytes 5-9 (RFC 9110 §14.1.2), and the "
            "206 sends bytes outside it",
        ),
        (
            "bytes=0-0",
            "bytes 1-1/23",
            "the app answered Range bytes=0-0 with Content-Range bytes 1-1/23; of a "
            "representation of 23 bytes that range is bytes 0-0 (RFC 9110 §14.1.2), and the "
            "206 sends bytes outside it",
        ),
        (
            "bytes=2-4",
            "bytes 2-5/*",
            "the app answered Range bytes=2-4 with Content-Range bytes 2-5/*, bytes outside "
            "the range asked for",
        ),
        (
            "bytes=2-4",
            "bytes 1-3/*",
            "the app answered Range bytes=2-4 with Content-Range bytes 1-3/*, bytes outside "
            "the range asked for",
        ),
        (
            "bytes=23-",
            "bytes 22-22/23",
            "the app answered Range bytes=23- with a 206 (Content-Range bytes 22-22/23), but no "
            "byte of a representation of 23 bytes satisfies that range (RFC 9110 §14.1.2): a "
            "416 or a 200 answers it",
        ),
    ],
)
def test_a_206_encloses_the_range_asked_for(ranges: str, stated: str, message: str | None) -> None:
    first, last = (int(each) for each in stated.split(" ")[1].split("/")[0].split("-"))
    size = max(0, last - first + 1)
    app = answering("206 Partial Content", [TEXT, ("Content-Range", stated)], b"x" * size)
    exchanges = run(app, {"method": "GET", "target": "/", "headers": {"Range": ranges}})
    assert messages_of("APP-206-RANGE-ASKED", exchanges) == ([message] if message else [])
    judged = "APP-206-RANGE-ASKED" in applied(exchanges)
    well_formed = ranges.lower().startswith("bytes=") and ranges[-1] != "," and ranges[6] != " "
    assert judged == (well_formed and first <= last)
    head = run(app, {"method": "HEAD", "target": "/", "headers": {"Range": ranges}})
    assert "APP-206-RANGE-ASKED" not in applied(head)  # range handling is GET's alone


@pytest.mark.parametrize("coding", [None, "identity", "zstd"])
def test_a_coded_206_is_told_where_its_range_went_wrong(coding: str | None) -> None:
    """Flask-Compress codes the 206 Werkzeug cut from the whole file and keeps its
    Content-Range: the finding names the content coding, the usual cause, when there is one."""
    coded = [("Content-Encoding", coding)] if coding else []
    headers = [TEXT, *coded, ("Content-Range", "bytes 10-99/100")]
    exchanges = run(answering("206 Partial Content", headers, b"x" * 40), GET)
    (finding,) = [f for ex in exchanges for f in check_exchange(ex)]
    said = "Content-Range bytes 10-99/100 announces 90 bytes; the app produced 40"
    note = (
        " (the 206 has Content-Encoding: zstd: most often a compression layer that codes the "
        "range after "
        "the app cut it, as Flask-Compress and Django's GZipMiddleware do, leaves the "
        "uncoded Content-Range on the coded bytes)"
    )
    assert finding.message == said + (note if coding == "zstd" else "")


# -- APP-CONTENT-CODING -----------------------------------------------------------------------

DATA = b"hello, coded world\n" * 20


#: A gzip body of two members (RFC 1952 allows several). ``mtime=0``: the same bytes in
#: every process, so pytest-xdist workers collect the same test ids.
TWO_MEMBERS = gzip.compress(DATA[:40], mtime=0) + gzip.compress(DATA[40:], mtime=0)


@pytest.mark.parametrize(
    ("coding", "body", "flagged"),
    [
        ("gzip", gzip.compress(DATA, mtime=0), False),
        ("x-gzip", gzip.compress(DATA, mtime=0), False),
        ("gzip", TWO_MEMBERS, False),
        ("deflate", zlib.compress(DATA), False),
        ("gzip, deflate", zlib.compress(gzip.compress(DATA, mtime=0)), False),
        ("br", b"\x0b\x02\x80hello", False),  # a coding the rule cannot undo: no verdict
        ("gzip", zlib.compress(DATA), True),
        ("gzip", gzip.compress(DATA, mtime=0)[:-9], True),  # cut short
        ("gzip", gzip.compress(DATA, mtime=0) + b"junk", True),
        ("deflate", zlib.compress(DATA)[2:-4], True),  # raw deflate, no zlib wrapper
        ("gzip", DATA, True),
    ],
)
def test_content_coding_decodes(coding: str, body: bytes, flagged: bool) -> None:
    headers = [TEXT, ("Content-Encoding", coding), ("Content-Length", str(len(body)))]
    exchanges = run(answering("200 OK", headers, body), GET)
    assert fired(exchanges) == ({("APP-CONTENT-CODING", "GET", ())} if flagged else set())
    # A coding the rule cannot undo is no evidence, not a pass (audit of 2026-12-04).
    assert ("APP-CONTENT-CODING" in applied(exchanges)) == (coding != "br")


def test_a_compressed_bomb_is_read_only_so_far() -> None:
    bomb = gzip.compress(b"\0" * (64 << 20))
    headers = [TEXT, ("Content-Encoding", "gzip"), ("Content-Length", str(len(bomb)))]
    assert fired(run(answering("200 OK", headers, bomb), GET)) == set()


# -- APP-HEAD-LIKE-GET and APP-CL-OF-GET ------------------------------------------------------


def by_method(
    get: tuple[str, list[tuple[str, str]], bytes], head: tuple[str, list[tuple[str, str]]]
) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "HEAD":
            start_response(head[0], list(head[1]))
            return []
        start_response(get[0], list(get[1]))
        return [get[2]]

    return app


BODY = b"hello\n"
GET_FIELDS = [TEXT, ("Content-Length", "6"), ("ETag", '"x"'), ("Vary", "Cookie")]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (("200 OK", [TEXT]), set()),  # may omit Content-Length, ETag, Vary
        (("200 OK", GET_FIELDS), set()),
        (("200 OK", [TEXT, ("Content-Length", "6")]), set()),
        (("404 Not Found", [TEXT]), {"APP-HEAD-LIKE-GET"}),
        (("200 OK", [("Content-Type", "text/html")]), {"APP-HEAD-LIKE-GET"}),
        (("200 OK", [TEXT, ("X-Extra", "1")]), {"APP-HEAD-LIKE-GET"}),
        (("200 OK", [TEXT, ("Content-Length", "0")]), {"APP-CL-OF-GET"}),
    ],
)
def test_head_beside_get(head: tuple[str, list[tuple[str, str]]], expected: set[str]) -> None:
    exchanges = run(by_method(("200 OK", GET_FIELDS, BODY), head), GET, HEAD, GET)
    assert fired(exchanges) == {(rule, "HEAD", ()) for rule in expected}
    assert {"APP-HEAD-LIKE-GET"} <= applied(exchanges)
    findings = [finding for ex in exchanges for finding in check_exchange(ex)]
    assert all(finding.request == exchanges[1].request for finding in findings)


def test_the_fields_head_lacks_or_adds_are_called_fields() -> None:
    """Moto spells its fields in lower case: "HEAD lacks server, status" read as a status
    code (a trial of 2026-12-07)."""
    get_fields = [*GET_FIELDS, ("server", "moto"), ("status", "ok")]
    exchanges = run(
        by_method(("200 OK", get_fields, BODY), ("200 OK", [TEXT, ("x-a", "1")])), GET, HEAD, GET
    )
    messages = sorted(finding.message for ex in exchanges for finding in check_exchange(ex))
    assert messages == [
        "HEAD has the field x-a, which GET lacks",
        "HEAD lacks the fields server, status, which GET has",
    ]


def test_head_is_compared_only_with_a_get_of_the_same_request() -> None:
    app = by_method(("200 OK", GET_FIELDS, BODY), ("404 Not Found", [TEXT]))
    other = {"method": "HEAD", "target": "/", "headers": {"Accept": "text/html"}}
    exchanges = run(app, GET, other, {"method": "HEAD", "target": "/elsewhere"}, GET)
    assert fired(exchanges) == set()
    assert "APP-HEAD-LIKE-GET" not in applied(exchanges)
    # Without a GET before and after it, HEAD has nothing to be compared with: a skip.
    assert "APP-HEAD-LIKE-GET" not in applied(run(app, HEAD, GET))
    assert "APP-HEAD-LIKE-GET" not in applied(run(app, GET, HEAD))


def test_an_app_that_varies_by_itself_gets_no_head_verdict() -> None:
    """A rate limiter that lets one request through: GET 200, HEAD 429, GET 429. Its two
    GETs disagree, so its HEAD is no evidence of anything."""
    seen: list[str] = []

    def limited(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ["REQUEST_METHOD"])
        status = "200 OK" if len(seen) == 1 else "429 Too Many Requests"
        start_response(status, [TEXT, ("Content-Length", "6")])
        return [BODY]

    exchanges = run(limited, GET, HEAD, GET)
    assert fired(exchanges) == set()
    assert applied(exchanges) == {"APP-CONTENT-TYPE", "APP-SINGLE-FIELDS"}


def test_a_first_visit_cookie_is_no_head_difference() -> None:
    """The counter sets a cookie on each (method, URL)'s first visit: HEAD / is a first
    visit after GET / was. Set-Cookie belongs to the exchange, not the representation."""
    app = load(ROOT / "fixtures" / "varying" / "counter.py", fresh=True).app
    exchanges = run(app, GET, GET, HEAD, GET)
    assert "Set-Cookie" in dict(exchanges[2].response.headers)
    assert "Set-Cookie" not in dict(exchanges[3].response.headers)
    assert fired(exchanges) == set()
    assert "APP-HEAD-LIKE-GET" in applied(exchanges)


@pytest.mark.parametrize(("length", "flagged"), [("6", False), ("0", True), (None, False)])
def test_content_length_of_a_304(length: str | None, flagged: bool) -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            extra = [] if length is None else [("Content-Length", length)]
            start_response("304 Not Modified", [("ETag", '"x"'), *extra])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"x"')])
        return [BODY]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": '"x"'}}, GET)
    expected = {("APP-CL-OF-GET", "GET", ("If-None-Match",))} if flagged else set()
    assert fired(exchanges) == expected


@pytest.mark.parametrize(
    ("length", "explained"), [("0", True), ("7", False)], ids=["empty-body-counted", "other"]
)
def test_a_304_saying_content_length_0_is_told_why(length: str, explained: bool) -> None:
    """Content-Length 0 on a 304 is most often the length of its own empty body; the message
    names that cause, only for 0, and names no framework for a plain app's 304."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [("ETag", '"x"'), ("Content-Length", length)])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"x"')])
        return [BODY]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": '"x"'}}, GET)
    messages = messages_of("APP-CL-OF-GET", exchanges)
    said = (
        f'the 304 to GET with If-None-Match: "x" says Content-Length {length}; GET to the '
        "same target got 6 bytes"
    )
    assert [message.startswith(said) for message in messages] == [True]
    assert ("the 304's own empty body" in messages[0]) is explained
    assert "Django" not in messages[0]


@pytest.mark.parametrize(("head_coding", "note"), [(None, True), ("gzip", False)])
def test_a_head_length_of_other_bytes_names_the_codings(
    head_coding: str | None, note: bool
) -> None:
    """From the app sweep of 2026-12-04: Roundup's HEAD gives the uncoded length and no
    Content-Encoding where its GET is gzip; the lengths alone did not say why."""
    coded = gzip.compress(BODY)
    get_fields = [TEXT, ("Content-Encoding", "gzip"), ("Content-Length", str(len(coded)))]
    head_fields = [TEXT, ("Content-Length", "6")]
    head_fields += [("Content-Encoding", head_coding)] if head_coding else []
    exchanges = run(
        by_method(("200 OK", get_fields, coded), ("200 OK", head_fields)), GET, HEAD, GET
    )
    (message,) = messages_of("APP-CL-OF-GET", exchanges)
    said = (
        f"the response to HEAD says Content-Length 6; GET to the same target got {len(coded)} bytes"
    )
    explained = (
        " (GET's content is gzip-coded; the HEAD response says identity: the length of other bytes)"
    )
    assert message == said + (explained if note else "")


def test_a_304_django_made_with_content_length_0_names_django_s_cause() -> None:
    """Django 5.2's CommonMiddleware sets Content-Length 0 on the 304 that
    ConditionalGetMiddleware, listed after it, made: the message says so, as Django made it."""
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    from helloworld.stacks import application_with

    stack = application_with(
        [
            "django.middleware.common.CommonMiddleware",
            "django.middleware.http.ConditionalGetMiddleware",
        ]
    )
    exchanges = ask_about(Client(stack), "/hello")
    messages = {
        finding.message.partition(": 0 is")[2]
        for ex in exchanges
        for finding in check_exchange(ex)
        if finding.rule == "APP-CL-OF-GET"
    }
    assert len(messages) == 1
    assert "Django's CommonMiddleware" in messages.pop()


def test_an_if_none_match_overruled_by_if_match_says_so() -> None:
    """Werkzeug lets If-Match decide where both hold the tag (a trial of 2026-12-06 read
    the finding as false, its If-None-Match alone getting 304): the message names it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") and not environ.get("HTTP_IF_MATCH"):
            start_response("304 Not Modified", [("ETag", '"x"')])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"x"')])
        return [BODY]

    both = {**GET, "headers": {"If-Match": '"x"', "If-None-Match": '"x"'}}
    # A stale If-Match does not hold: nothing is said of it (a 412 was due first).
    stale = {**GET, "headers": {"If-Match": '"old"', "If-None-Match": '"x"'}}
    (said,) = messages_of("APP-IF-NONE-MATCH", run(app, GET, stale))
    assert "If-Match" not in said
    (message,) = messages_of("APP-IF-NONE-MATCH", run(app, GET, both))
    assert message == (
        'If-None-Match "x" matches the target\'s ETag "x"; the app answered 200 with '
        f'{len(BODY)} bytes instead of 304; beside it, If-Match "x" holds, and RFC 9110 '
        "§13.2.2 then evaluates If-None-Match, which is false"
    )


def test_a_204_django_made_with_content_length_0_names_django_s_cause(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Django 5.2's CommonMiddleware sets Content-Length 0 on every response not streamed,
    a 204 too (REST framework's DELETE, a trial of 2026-12-06): the message says so."""
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    from django.http import HttpRequest, HttpResponse
    from django.urls import path
    from helloworld.stacks import application_with

    urls = types.ModuleType("wc_no_content_urls")

    def routed(get_response: Any) -> Any:
        def middleware(request: HttpRequest) -> HttpResponse:
            request.urlconf = urls.__name__
            return get_response(request)  # type: ignore[no-any-return]

        return middleware

    urls.urlpatterns = [path("gone", lambda request: HttpResponse(status=204))]  # type: ignore[attr-defined]
    urls.routed = routed  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, urls.__name__, urls)
    stack = application_with(
        ["django.middleware.common.CommonMiddleware", f"{urls.__name__}.routed"]
    )
    response = Client(stack).delete("/gone")
    assert response.status_code == 204
    (message,) = messages_of("APP-CL-FORBIDDEN", [Exchange(response)])
    assert message.startswith("a 204 response carries Content-Length '0'; a server that")
    assert message.endswith(
        "(Django's CommonMiddleware sets it from the empty body of every response not "
        "streamed: a middleware listed before it can delete it from a 204)"
    )
    plain = Client(answering("204 No Content", [("Content-Length", "0")])).delete("/")
    (message,) = messages_of("APP-CL-FORBIDDEN", [Exchange(plain)])
    assert "Django" not in message


# -- APP-LIST-ELEMENTS -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (("Vary", ", Cookie"), ["Vary ', Cookie' has an empty list element"]),
        (("Vary", "Cookie,"), ["Vary 'Cookie,' has an empty list element"]),
        (("Allow", "GET,, HEAD"), ["Allow 'GET,, HEAD' has an empty list element"]),
        (
            ("Content-Language", "en , \t,de"),
            ["Content-Language 'en , \\t,de' has an empty list element"],
        ),
        (("Vary", "Accept-Encoding, Cookie"), []),
        (("Vary", ""), []),  # an empty list, which #rule allows: no element at all
        (("Allow", "GET"), []),
        # Not a list field: a comma there is another rule's matter, or none.
        (("Cache-Control", "no-cache,,"), []),
    ],
)
def test_a_list_field_has_no_empty_element(field: tuple[str, str], expected: list[str]) -> None:
    exchanges = run(answering("200 OK", [TEXT, field], b"hi"), GET)
    found = [each.partition(", which")[0] for each in messages_of("APP-LIST-ELEMENTS", exchanges)]
    assert found == expected
    assert ("APP-LIST-ELEMENTS" in applied(exchanges)) is (field[0] != "Cache-Control")


def test_django_sessions_after_an_empty_vary_send_an_empty_list_element_before_6_1() -> None:
    """From the app audit of 2026-12-05: django CMS's page cache calls
    ``patch_vary_headers(response, [])``, which leaves ``Vary: ""`` where there was none;
    SessionMiddleware then splits that into one empty element, adds Cookie and joins them:
    ``Vary: , Cookie`` on every cached page. Real Django, its own middleware."""
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    import types

    from django.http import HttpResponse
    from django.test.utils import override_settings
    from django.urls import path
    from django.utils.cache import patch_vary_headers
    from helloworld.stacks import application_with

    def page(request: Any) -> HttpResponse:
        request.session.get("visited")  # read: SessionMiddleware varies on Cookie
        response = HttpResponse("a cached page", content_type="text/plain")
        if request.GET.get("cached"):
            patch_vary_headers(response, [])
        return response

    urls = types.ModuleType("wsgicheck_vary_urls")
    urls.urlpatterns = [path("page", page)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    sessions = ["django.contrib.sessions.middleware.SessionMiddleware"]
    try:
        with override_settings(
            ROOT_URLCONF=urls.__name__,
            SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        ):
            client = Client(application_with(sessions))
            cached = run(client.app, {"method": "GET", "target": "/page?cached=1"})
            plain = run(client.app, {"method": "GET", "target": "/page"})
    finally:
        del sys.modules[urls.__name__]
    # Django 6.1 reads Vary with split_header_value, which drops empty elements: fixed
    # there, where Django 5.2 (an LTS, supported to 2028) and 6.0 split "" into one element
    # and keep it.
    import django

    if django.VERSION >= (6, 1):
        assert [each.response.header("Vary") for each in (*cached, *plain)] == ["Cookie"] * 2
        assert fired(cached) == set()
    else:
        varies = [each.response.header("Vary") for each in (*cached, *plain)]
        assert varies == [", Cookie", "Cookie"]
        assert fired(cached) == {("APP-LIST-ELEMENTS", "GET", ())}
    assert fired(plain) == set()


# -- APP-304-KEEPS-FIELDS ------------------------------------------------------------------

KEPT = [
    ("ETag", '"x"'),
    ("Vary", "Accept-Encoding"),
    ("Cache-Control", "max-age=60"),
    ("Expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
    ("Content-Location", "/index.txt"),
]
CONDITIONAL = {**GET, "headers": {"If-None-Match": '"x"'}}


def revalidating(full: list[tuple[str, str]], not_modified: list[tuple[str, str]]) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", list(not_modified))
            return []
        start_response("200 OK", [TEXT, *full])
        return [BODY]

    return app


@pytest.mark.parametrize(
    ("full", "not_modified", "lacking"),
    [
        (KEPT, KEPT, None),
        (KEPT, KEPT[:1], "Cache-Control, Content-Location, Expires, Vary"),
        (KEPT[:3], [KEPT[0], KEPT[2]], "Vary"),
        ([KEPT[0]], [KEPT[0]], None),
        # What the 200 lacks, the 304 need not have; other fields are not asked for.
        ([KEPT[0], ("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")], [KEPT[0]], None),
        # A 304 without even the ETag: the request's own tag still names the 200.
        (KEPT[:2], [], "ETag, Vary"),
    ],
    ids=["all-kept", "only-etag", "vary-dropped", "nothing-more", "last-modified", "none"],
)
def test_a_304_keeps_the_fields_of_its_200(
    full: list[tuple[str, str]], not_modified: list[tuple[str, str]], lacking: str | None
) -> None:
    exchanges = run(revalidating(full, not_modified), GET, CONDITIONAL, GET)
    findings = [
        finding for ex in exchanges for finding in check_exchange(ex)
        if finding.rule == "APP-304-KEEPS-FIELDS"
    ]  # fmt: skip
    expected = [] if lacking is None else [
        f'the 304 to GET with If-None-Match: "x" lacks {lacking}, which the 200 to the same '
        "request has"
    ]  # fmt: skip
    assert [finding.message.partition("; a Vary")[0] for finding in findings] == expected
    # Where Vary is missing, the message names the usual cause (no framework's, for a plain
    # app's 304).
    dropped = lacking is not None and "Vary" in lacking
    assert [("a compression layer's" in finding.message) for finding in findings] == [
        dropped
    ] * len(findings)
    assert not any("Django" in finding.message for finding in findings)
    assert "APP-304-KEEPS-FIELDS" in applied(exchanges)


@pytest.mark.parametrize(
    ("tag", "sent", "why"),
    [
        ('"x"', '"y"', ""),
        ('"x"', '"x-stale"', ""),  # Roundup 2.6 sends back the client's stale tag
        ('"x"', 'W/"x"', ""),
        (
            'W/"x"',
            '"x"',
            "; a compression layer that weakens the tag of the bodies it codes and leaves a "
            "304's empty one alone does this: weaken the 304's tag too",
        ),
    ],
)
def test_a_304_sends_the_etag_of_its_200(tag: str, sent: str, why: str) -> None:
    """The ETag "that would have been sent in a 200", not another."""
    app = revalidating([("ETag", tag)], [("ETag", sent)])
    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": tag}}, GET)
    (finding,) = [f for ex in exchanges for f in check_exchange(ex)]
    assert finding.message == (
        f"the 304 to GET with If-None-Match: {tag} has ETag {sent} where the 200 to the same "
        f"request has {tag}: a cache finds the stored 200 the 304 freshens by its tag{why}"
    )


def test_a_304_is_not_held_to_the_tag_of_a_200_that_changes_each_time() -> None:
    """A page with a fresh CSRF token in it (Django's ConditionalGetMiddleware) has a new
    tag, of the same length, on each answer: its 304 names the newest, rightly."""
    served = iter(range(100))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        tag = f'"t{next(served):02}"'
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [("ETag", tag)])
            return []
        start_response("200 OK", [TEXT, ("ETag", tag)])
        return [BODY]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": "*"}}, GET)
    assert fired(exchanges) == set()
    assert "APP-304-KEEPS-FIELDS" in applied(exchanges)  # judged on the field's presence


@pytest.mark.parametrize("vary", ["Cookie", "X-Accept-Encoding-Hint"])
def test_only_a_dropped_vary_accept_encoding_is_put_down_to_compression(vary: str) -> None:
    """Vary is a list of field names: one that only contains "accept-encoding" is another."""
    full = [KEPT[0], ("Vary", vary)]
    exchanges = run(revalidating(full, [KEPT[0]]), GET, CONDITIONAL, GET)
    (finding,) = [f for ex in exchanges for f in check_exchange(ex)]
    assert finding.message == (
        'the 304 to GET with If-None-Match: "x" lacks Vary, which the 200 to the same request has'
    )


@pytest.mark.parametrize(
    "between",
    [
        {"method": "HEAD", "target": "/", "headers": {"If-None-Match": '"x"'}},
        {**GET, "headers": {"If-None-Match": '"x"', "Accept-Encoding": "gzip"}},
    ],
    ids=["head", "other-coding"],
)
def test_a_304_to_another_request_is_not_held_to_the_200(between: dict[str, Any]) -> None:
    """Only a 304 to the GET's own request, conditions added, stands for its 200: not one to
    HEAD, nor one to a request that accepts another coding (its 200 may differ)."""
    exchanges = run(revalidating(KEPT, []), GET, between, GET)
    assert "APP-304-KEEPS-FIELDS" not in applied(exchanges)
    assert "APP-CL-OF-GET" not in applied(exchanges)


def test_a_head_given_another_content_length_is_not_the_gets_head() -> None:
    """Validator audit of 2026-12-05 (WebTest's own suite): WebTest's HEAD gives the app
    CONTENT_LENGTH "0" where its GET gives none, and an app that echoes its environ answers
    them with bodies one byte apart; APP-CL-OF-GET (a MUST) compared the two."""

    def echoing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = f"CONTENT_LENGTH={environ.get('CONTENT_LENGTH')!r}\n".encode()
        start_response("200 OK", [TEXT, ("Content-Length", str(len(body)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    def sent(method: str, framing: Framing) -> Request:
        return Request(method=method, headers=(("Host", "localhost"),), framing=framing)

    def judged(*requests: Request) -> list[Exchange]:
        client = Client(echoing)
        return list(in_sequence([Exchange(client.send(each)) for each in requests]))

    get, head = sent("GET", Framing.NONE), sent("HEAD", Framing.CONTENT_LENGTH)
    exchanges = judged(get, head, get)
    assert exchanges[1].environ is not None
    assert exchanges[1].environ["CONTENT_LENGTH"] == "0"
    assert "APP-CL-OF-GET" not in applied(exchanges)
    # Given the same CONTENT_LENGTH, the pair is judged, and the lengths agree.
    sized = sent("GET", Framing.CONTENT_LENGTH)
    same = judged(sized, head, sized)
    assert "APP-CL-OF-GET" in applied(same)
    assert messages_of("APP-CL-OF-GET", same) == []


def test_a_304_to_the_same_fields_in_another_order_is_another_request() -> None:
    """Field lines of one name are a list whose order is significant (RFC 9110 §5.3): a
    request with them the other way round is not the 200's own request."""
    forward = {**GET, "headers": [("Accept", "text/plain"), ("Accept", "text/html")]}
    backward = {
        **GET,
        "headers": [("Accept", "text/html"), ("Accept", "text/plain"), ("If-None-Match", '"x"')],
    }
    exchanges = run(revalidating(KEPT, []), forward, backward, forward)
    assert "APP-304-KEEPS-FIELDS" not in applied(exchanges)
    in_order = {**backward, "headers": [*forward["headers"], ("If-None-Match", '"x"')]}
    exchanges = run(revalidating(KEPT, []), forward, in_order, forward)
    assert "APP-304-KEEPS-FIELDS" in applied(exchanges)


def test_a_304_whose_200_has_none_of_the_fields_is_not_judged() -> None:
    """Audit of 2026-12-04: an app that validates with Last-Modified alone gives its 200
    none of the fields a 304 keeps; there is nothing to hold the 304 to, so no pass."""
    dated = [("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")]
    exchanges = run(revalidating(dated, []), GET, CONDITIONAL, GET)
    assert "APP-304-KEEPS-FIELDS" not in applied(exchanges)
    exchanges = run(revalidating([*dated, KEPT[2]], [KEPT[2]]), GET, CONDITIONAL, GET)
    assert "APP-304-KEEPS-FIELDS" in applied(exchanges)


def test_a_304_is_not_judged_beside_a_200_that_varies_by_itself() -> None:
    """GET, 304, GET: only when both GETs got the same answer is the 200 the one the 304
    stands for; an app whose 200 changes by itself gets no verdict."""
    served = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [KEPT[0]])
            return []
        served.append(1)
        start_response("200 OK", [TEXT, KEPT[0], *([KEPT[1]] if len(served) == 1 else [])])
        return [BODY]

    exchanges = run(app, GET, CONDITIONAL, GET)
    assert "APP-304-KEEPS-FIELDS" not in applied(exchanges)
    assert fired(exchanges) == set()


def test_a_304_is_judged_beside_200s_padded_to_other_lengths() -> None:
    """Sweep 16: Django's GZipMiddleware pads each compressed page by a random length and
    weakens its ETag, and a 304 (empty, left alone) keeps the strong one. The two GETs
    around the 304 differ in length only: the 304 is judged, a HEAD beside them too, and
    a Content-Length (which needs the one length) is not."""
    padded = iter(range(100))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [("ETag", '"x"'), ("Vary", "Accept-Encoding")])
            return []
        body = BODY + b" " * next(padded)
        fields = [TEXT, ("ETag", 'W/"x"'), ("Vary", "Accept-Encoding")]
        start_response("200 OK", [*fields, ("Content-Length", str(len(body)))])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": 'W/"x"'}}, HEAD, GET)
    assert fired(exchanges) == {("APP-304-KEEPS-FIELDS", "GET", ("If-None-Match",))}
    assert {"APP-304-KEEPS-FIELDS", "APP-HEAD-LIKE-GET"} <= applied(exchanges)
    assert "APP-CL-OF-GET" not in applied(exchanges)


@pytest.mark.parametrize(
    ("head_length", "expected"),
    [
        ("0", {("APP-CL-OF-GET", "GET", ("If-None-Match",)), ("APP-CL-OF-GET", "HEAD", ())}),
        ("7", {("APP-CL-OF-GET", "GET", ("If-None-Match",))}),  # maybe a length GET gets
    ],
)
def test_a_zero_length_is_judged_beside_200s_padded_to_other_lengths(
    head_length: str, expected: Fired
) -> None:
    """Sweep 17: Django's 304 (CommonMiddleware) says Content-Length 0 beside gzip 200s of
    random lengths. Where the GETs' lengths differ, no one length is the GET's; a 0 is none
    of them, where both GETs got content."""
    padded = iter(range(100))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [("ETag", '"x"'), ("Content-Length", "0")])
            return []
        body = BODY + b" " * next(padded)
        length = head_length if environ["REQUEST_METHOD"] == "HEAD" else str(len(body))
        start_response("200 OK", [TEXT, ("ETag", '"x"'), ("Content-Length", length)])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [body]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": '"x"'}}, HEAD, GET)
    assert fired(exchanges) == expected
    (message, *_) = [
        f.message for ex in exchanges for f in check_exchange(ex) if f.rule == "APP-CL-OF-GET"
    ]
    assert f"GET to the same target got {len(BODY)} and {len(BODY) + 2} bytes" in message


# -- APP-416-SATISFIABLE -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "stated", "expected"),
    [
        ({"Range": "bytes=0-0"}, "bytes */23", {"APP-416-SATISFIABLE"}),
        ({"Range": "bytes=-1"}, "bytes */23", {"APP-416-SATISFIABLE"}),
        ({"Range": "BYTES=22-"}, "bytes */23", {"APP-416-SATISFIABLE"}),
        ({"Range": "bytes=5-900"}, "bytes */23", {"APP-416-SATISFIABLE"}),  # last-pos past the end
        ({"Range": "bytes=0-0,"}, "bytes */23", set()),  # an empty list element: not judged
        ({"Range": "bytes= 0-0"}, "bytes */23", set()),  # whitespace the grammar has not
        ({"Range": "bytes=23-"}, "bytes */23", set()),  # first-pos at the length
        ({"Range": "bytes=-0"}, "bytes */23", set()),  # a zero suffix
        ({"Range": "bytes=5-2"}, "bytes */23", set()),  # an invalid range-spec
        ({"Range": "bytes=0-0, 5-6"}, "bytes */23", set()),  # a set may be refused as too many
        # Another unit, refused in bytes: not a byte range, but a unit not understood.
        ({"Range": "lines=0-0"}, "bytes */23", {"APP-RANGE-UNIT-IGNORED"}),
        ({"Range": "bytes =0-0"}, "bytes */23", set()),  # no range request: it does not parse
        ({"Range": "bytes=0-0"}, "bytes */0", set()),
        ({"Range": "bytes=0-0"}, None, {"APP-416-CONTENT-RANGE"}),  # no length to judge by
        ({"Range": "bytes=0-0", "If-Range": '"v1"'}, "bytes */23", set()),  # APP-IF-RANGE's
        ({}, "bytes */23", set()),
    ],
)
def test_a_416_to_a_satisfiable_range(
    headers: dict[str, str], stated: str | None, expected: set[str]
) -> None:
    fields = [("Content-Range", stated)] if stated is not None else []
    app = answering("416 Range Not Satisfiable", [TEXT, *fields], b"")
    exchanges = run(app, {"method": "GET", "target": "/", "headers": headers})
    assert {rule for rule, _, _ in fired(exchanges)} == expected
    # Judged (here, failed) only where there is one byte range and a length to judge it by;
    # the rest is no evidence, not a pass (audit of 2026-12-04).
    judged = "APP-416-SATISFIABLE" in applied(exchanges)
    unsatisfiable = headers in ({"Range": "bytes=23-"}, {"Range": "bytes=-0"})  # 416 is right
    assert judged == ("APP-416-SATISFIABLE" in expected or unsatisfiable)
    head = run(app, {"method": "HEAD", "target": "/", "headers": headers})
    assert "APP-416-SATISFIABLE" not in applied(head)  # range handling is GET's alone


@pytest.mark.parametrize(
    ("headers", "stated", "message"),
    [
        ({"Range": "bytes=500-"}, "bytes */23", None),
        ({"Range": "bytes=0-0, 5-6"}, "bytes */23", None),
        (
            {"Range": "bytes=500-"},
            None,
            "the app answered 416 to Range bytes=500- with no Content-Range",
        ),
        (
            {"Range": "Bytes=500-"},
            "bytes 0-22/23",
            "the app answered 416 to Range Bytes=500- with Content-Range bytes 0-22/23, not "
            "bytes */length",
        ),
        (
            {"Range": "bytes=500-"},
            "items */23",
            "the app answered 416 to Range bytes=500- with Content-Range items */23, not "
            "bytes */length",
        ),
        ({"Range": "lines=1-2"}, None, None),  # not a byte-range request: not judged
        ({}, None, None),
    ],
)
def test_a_416_states_the_length(
    headers: dict[str, str], stated: str | None, message: str | None
) -> None:
    """From the app sweep of 2026-12-03: Bottle 0.13's static_file answers 416 with no
    Content-Range; RFC 9110 §15.5.17 asks for ``bytes */length``."""
    fields = [("Content-Range", stated)] if stated is not None else []
    app = answering("416 Range Not Satisfiable", [TEXT, *fields], b"")
    exchanges = run(app, {"method": "GET", "target": "/", "headers": headers})
    found = [f.message for ex in exchanges for f in check_exchange(ex)]
    assert found == ([message] if message else [])
    judged = "APP-416-CONTENT-RANGE" in applied(exchanges)
    assert judged == headers.get("Range", "").lower().startswith("bytes")
    put = run(app, {"method": "PUT", "target": "/", "headers": headers, "body": b"x"})
    assert "APP-416-CONTENT-RANGE" not in applied(put)  # range handling is GET's


def test_a_416_to_an_unsatisfiable_range_is_judged_and_passes() -> None:
    app = answering("416 Range Not Satisfiable", [TEXT, ("Content-Range", "bytes */23")])
    exchanges = run(app, {"method": "GET", "target": "/", "headers": {"Range": "bytes=23-"}})
    assert fired(exchanges) == set()
    assert "APP-416-SATISFIABLE" in applied(exchanges)


def refusing_ranges_unsaid(lengths: list[int], first: int = 200) -> Any:
    """An app that refuses every Range with a 416 stating no length, as Bottle 0.13's
    static_file does: the GETs before it get ``lengths`` bytes (the first one ``first``),
    any other method 204."""
    served: list[int] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            start_response("416 Range Not Satisfiable", [TEXT])
            return []
        if environ["REQUEST_METHOD"] != "GET":
            start_response("204 No Content", [])
            return []
        served.append(1)
        status = f"{first} Whatever" if len(served) == 1 else "200 OK"
        start_response(status, [TEXT])
        return [b"x" * lengths[len(served) - 1]]

    return app


@pytest.mark.parametrize(
    ("lengths", "first", "ranges", "judged"),
    [
        ([23, 23], 200, "BYTES=0-0", True),
        ([23, 23], 200, "bytes=22-", True),
        ([23, 23], 200, "bytes=23-", False),  # unsatisfiable: the 416 is right
        ([23, 24], 200, "bytes=0-0", None),  # the app varies by itself: no length
        ([23, 23], 404, "bytes=0-0", None),  # one of them is no representation
        ([0, 0], 200, "bytes=0-0", None),  # an empty one is not judged
        ([23], 200, "bytes=0-0", None),  # one GET alone: no steady length
    ],
)
def test_a_416_stating_no_length_is_judged_by_the_gets_before_it(
    lengths: list[int], first: int, ranges: str, judged: bool | None
) -> None:
    """From the app sweep of 2026-12-04: Bottle 0.13's static_file compares the unit with
    ``bytes=`` and answers 416 with no Content-Range to ``BYTES=0-1`` (the sweep's) or
    ``BYTES=0-0`` (the follow-up's), ranges its file satisfies (units are case-insensitive,
    RFC 9110 §14.1). The 416 states no length, so the length is the one two plain GETs of
    the request got before it, when they agree."""
    app = refusing_ranges_unsaid(lengths, first)
    ranged = {"method": "GET", "target": "/", "headers": {"Range": ranges}}
    exchanges = run(app, *[GET] * len(lengths), ranged)
    found = messages_of("APP-416-SATISFIABLE", exchanges[-1:])
    message = (
        f"the app answered 416 to Range {ranges}, which a representation of 23 bytes (the "
        "length of the two plain GETs before it) satisfies; send that range in a 206, or "
        "ignore Range and send 200"
    )
    assert found == ([message] if judged else [])
    assert ("APP-416-SATISFIABLE" in applied(exchanges[-1:])) == (judged is not None)


def test_only_gets_of_the_same_request_give_the_length() -> None:
    """A GET with other fields (gzip accepted) may get another representation: it is not
    one of the two plain GETs, whatever it got."""
    gzip_get = {"method": "GET", "target": "/", "headers": {"Accept-Encoding": "gzip"}}
    ranged = {"method": "GET", "target": "/", "headers": {"Range": "bytes=0-0"}}
    exchanges = run(refusing_ranges_unsaid([23, 23]), GET, gzip_get, ranged)
    assert "APP-416-SATISFIABLE" not in applied(exchanges[-1:])
    exchanges = run(refusing_ranges_unsaid([23, 5, 23]), GET, gzip_get, GET, ranged)
    refused = {
        ("APP-416-SATISFIABLE", "GET", ("Range",)),
        ("APP-416-CONTENT-RANGE", "GET", ("Range",)),
    }
    assert fired(exchanges[-1:]) == refused


def test_the_length_of_the_gets_is_not_taken_across_a_change() -> None:
    """A PUT between the GETs and the 416 may have emptied the representation, which no
    int-range satisfies: the GETs before it tell nothing of its length now."""
    ranged = {"method": "GET", "target": "/", "headers": {"Range": "bytes=0-0"}}
    put = {"method": "PUT", "target": "/", "body": b""}
    exchanges = run(refusing_ranges_unsaid([23, 23]), GET, GET, put, ranged)
    assert [ex.response.status_code for ex in exchanges] == [200, 200, 204, 416]
    assert "APP-416-SATISFIABLE" not in applied(exchanges[-1:])
    exchanges = run(refusing_ranges_unsaid([23, 23, 23]), GET, put, GET, GET, ranged)
    assert [ex.response.status_code for ex in exchanges] == [200, 204, 200, 200, 416]
    assert "APP-416-SATISFIABLE" in applied(exchanges[-1:])  # two GETs after it: judged


def test_the_length_of_the_gets_is_not_taken_for_a_416_that_states_one() -> None:
    """A 416 whose Content-Range states a length is judged by that length alone."""
    refused = [TEXT, ("Content-Range", "bytes */5")]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            start_response("416 Range Not Satisfiable", refused)
            return []
        start_response("200 OK", [TEXT])
        return [b"x" * 23]

    ranged = {"method": "GET", "target": "/", "headers": {"Range": "bytes=10-"}}
    assert fired(run(app, GET, GET, ranged)) == set()


def test_bottle_static_file_refuses_the_unit_in_capitals(tmp_path: Path) -> None:
    """The follow-ups of a file's GET ask ``BYTES=0-0``; Bottle 0.13.4's static_file answers
    416 with no Content-Range. Expected exactly when Bottle itself, called without wsgicheck,
    answers that request with 416."""
    app = bottle_static(tmp_path)
    with warnings.catch_warnings():
        # Bottle opens the file before it reads Range, and drops it open with each 416: the
        # server is never handed it, so no WSGI rule can see it.
        warnings.simplefilter("ignore", ResourceWarning)
        exchanges = ask_about(Client(app), "/auto/site.css")
        refuses = status_without_wsgicheck(app, "/auto/site.css", {"Range": "BYTES=0-0"})
        gc.collect()
    found = {
        (f.rule, dict(f.request.headers).get("Range"))
        for ex in exchanges
        for f in check_exchange(ex)
        if f.request and f.rule.startswith("APP-416")
    }
    # Its 416s to the ranges no file satisfies state no length either (a SHOULD).
    unsaid = {("APP-416-CONTENT-RANGE", ranges) for ranges in ("bytes=20-", "bytes=-0")}
    capitals = {("APP-416-SATISFIABLE", "BYTES=0-0"), ("APP-416-CONTENT-RANGE", "BYTES=0-0")}
    assert found == (unsaid | capitals if refuses.startswith("416") else unsaid)


# -- APP-206-KEEPS-FIELDS ------------------------------------------------------------------

RANGED = {**GET, "headers": {"Range": "bytes=0-1"}}


def ranging(full: list[tuple[str, str]], partial: list[tuple[str, str]]) -> Any:
    """Serves BODY, and its first two bytes to any Range, with ``partial`` beside
    Content-Range where the 200 has ``full``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            cut = [("Content-Range", f"bytes 0-1/{len(BODY)}"), ("Content-Length", "2")]
            start_response("206 Partial Content", [TEXT, *cut, *partial])
            return [BODY[:2]]
        start_response("200 OK", [TEXT, *full])
        return [BODY]

    return app


@pytest.mark.parametrize(
    ("full", "partial", "lacking"),
    [
        (KEPT, KEPT, None),
        (KEPT, [], "Cache-Control, Content-Location, ETag, Expires, Vary"),
        (KEPT[:3], [KEPT[1]], "Cache-Control, ETag"),
        # What the 200 lacks, the 206 need not have; other fields are not asked for.
        ([("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")], [], None),
        # The values are not compared: a 206 with a tag of its own has one.
        ([KEPT[0]], [("ETag", '"y"')], None),
    ],
    ids=["all-kept", "none", "two-dropped", "nothing-to-keep", "other-tag"],
)
def test_a_206_keeps_the_fields_of_its_200(
    full: list[tuple[str, str]], partial: list[tuple[str, str]], lacking: str | None
) -> None:
    """The app sweep of 2026-12-05: CherryPy 18.10's static files tag the 200 alone (RFC 9110
    §15.3.7: the 206 carries Cache-Control, Content-Location, Date, ETag, Expires and Vary
    where the 200 to the same request would)."""
    exchanges = run(ranging(full, partial), GET, RANGED, GET)
    findings = [
        f for ex in exchanges for f in check_exchange(ex) if f.rule == "APP-206-KEEPS-FIELDS"
    ]
    expected = [] if lacking is None else [
        f"the 206 to GET with Range: bytes=0-1 lacks {lacking}, which the 200 to the same "
        "request without Range has"
    ]  # fmt: skip
    assert [finding.message for finding in findings] == expected
    # Judged where the 200 has a field a 206 keeps, whatever the verdict.
    judged = {name.lower() for name, _ in full} & set(KEPT_FROM_200)
    assert ("APP-206-KEEPS-FIELDS" in applied(exchanges)) == bool(judged)


def test_the_range_questions_end_with_the_get_a_206_is_judged_beside() -> None:
    """Review of 2026-12-05: a run finds a 206 that drops the 200's fields only because the
    range follow-ups end with the plain GET again (the bracket the rule judges in): the
    broken fixture, asked about as a run asks, is found on every 206, the first range
    question first."""
    app = load(GOOD.parent / "broken" / "app_206_keeps_fields.py").app
    exchanges = ask_about(Client(app))
    last = exchanges[-1].request
    assert (last.method, last.header_values("range")) == ("GET", [])
    found = [f for ex in exchanges for f in check_exchange(ex) if f.rule == "APP-206-KEEPS-FIELDS"]
    assert found[0].message == (
        "the 206 to GET with Range: bytes=0-0 lacks Cache-Control, ETag, which the 200 to the "
        "same request without Range has"
    )
    # Each 206 to the plain GET's fields and a Range (one with gzip accepted is another
    # request, whose 200 may differ).
    partial = [
        ex
        for ex in exchanges
        if ex.response.status_code == 206 and not ex.request.header_values("accept-encoding")
    ]
    assert len(found) == len(partial) > 1


def test_a_206_is_judged_only_between_two_gets_that_agree() -> None:
    """Without the GET after it, or beside GETs that answer differently (an app that varies
    by itself), a 206 is no evidence of what the 200 would carry."""
    app = ranging(KEPT, [])
    assert "APP-206-KEEPS-FIELDS" not in applied(run(app, GET, RANGED))
    answers = iter([[KEPT[0]], [("Cache-Control", "no-store")]])

    def varying(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            start_response(
                "206 Partial Content", [TEXT, ("Content-Range", f"bytes 0-1/{len(BODY)}")]
            )
            return [BODY[:2]]
        start_response("200 OK", [TEXT, *next(answers)])
        return [BODY]

    assert "APP-206-KEEPS-FIELDS" not in applied(run(varying, GET, RANGED, GET))


# -- APP-IF-NONE-MATCH and APP-IF-MODIFIED-SINCE ----------------------------------------------


def ignoring(fields: list[tuple[str, str]]) -> Callable[..., list[bytes]]:
    """An app that sends validators and never evaluates a condition."""
    return answering("200 OK", [TEXT, *fields], BODY)


@pytest.mark.parametrize(
    ("etag", "sent", "flagged"),
    [
        ('"v1"', '"v1"', True),
        ('"v1"', 'W/"v1"', True),  # weak comparison (RFC 9110 §13.1.2)
        ('W/"v1"', '"v0", W/"v1"', True),
        ('"v1"', "*", True),
        ('"v1"', '"v2"', False),
        (None, "*", False),  # no validator advertised: nothing to hold the app to
        (None, '"v1"', False),
    ],
)
def test_if_none_match(etag: str | None, sent: str, flagged: bool) -> None:
    app = ignoring([] if etag is None else [("ETag", etag)])
    exchanges = run(app, {**GET, "headers": {"If-None-Match": sent}})
    expected = {("APP-IF-NONE-MATCH", "GET", ("If-None-Match",))} if flagged else set()
    assert fired(exchanges) == expected


@pytest.mark.parametrize(
    ("method", "flagged"), [("OPTIONS", False), ("TRACE", False), ("POST", True), ("PUT", True)]
)
def test_if_none_match_is_ignored_by_options_and_trace(method: str, flagged: bool) -> None:
    """RFC 9110 §13.2.1: a server MUST ignore the preconditions of a method that neither
    selects nor changes a representation, "such as CONNECT, OPTIONS, or TRACE": their 200
    to If-None-Match * on a tagged target is right, where a POST or PUT gets 412."""
    exchanges = run(
        ignoring([("ETag", '"v1"')]),
        GET,
        {"method": method, "target": "/", "headers": {"If-None-Match": "*"}},
    )
    expected = {("APP-IF-NONE-MATCH", method, ("If-None-Match",))} if flagged else set()
    assert fired(exchanges) == expected


def test_a_star_matches_an_etag_that_does_not_parse() -> None:
    """From the app sweep of 2026-12-03: Bottle's static_file sends its ETag unquoted and
    answers If-None-Match: * with 200. The tag's form is APP-ETAG-SYNTAX's; "*" matches any
    current representation, so the app that advertises a validator is held to it."""
    app = ignoring([("ETag", "03742c43")])
    exchanges = run(app, {**GET, "headers": {"If-None-Match": "*"}})
    assert {rule for rule, _, _ in fired(exchanges)} == {"APP-ETAG-SYNTAX", "APP-IF-NONE-MATCH"}
    [finding] = [
        f for each in exchanges for f in check_exchange(each) if f.rule == "APP-IF-NONE-MATCH"
    ]
    assert finding.message == (
        "If-None-Match * matches any current representation, and the target has one (ETag "
        "03742c43); the app answered 200 with "
        f"{len(BODY)} bytes instead of 304"
    )
    # A listed tag is compared only with a tag that parses: nothing to hold it to.
    listed = run(app, {**GET, "headers": {"If-None-Match": '"03742c43"'}})
    assert {rule for rule, _, _ in fired(listed)} == {"APP-ETAG-SYNTAX"}


def test_a_head_answered_in_full_is_told_without_its_body() -> None:
    """A trial of 2026-12-07 read "answered 200 with 1650 bytes" to a HEAD as a body sent:
    a server drops a HEAD's body, so the message names the HEAD and no byte count."""
    app = ignoring([("ETag", '"v1"')])
    exchanges = run(app, {**HEAD, "headers": {"If-None-Match": '"v1"'}})
    [finding] = [
        f for each in exchanges for f in check_exchange(each) if f.rule == "APP-IF-NONE-MATCH"
    ]
    assert finding.message == (
        """If-None-Match "v1" matches the target's ETag "v1"; the app answered 200 to the HEAD """
        "instead of 304"
    )


@pytest.mark.parametrize("tag", ['"v1"', "v1"])
def test_a_create_only_put_is_not_held_to_the_tag_it_made(tag: str) -> None:
    """From the review of 2026-12-03: PUT with If-None-Match: * on a target with nothing
    yet (RFC 9110 §13.1.2's own use of '*') answered 201 with the new representation's ETag
    failed, the rule taking that tag for one the target had before."""
    made: dict[str, bytes] = {}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["PATH_INFO"] in made and environ.get("HTTP_IF_NONE_MATCH") == "*":
            start_response("412 Precondition Failed", [TEXT])
            return []
        made[environ["PATH_INFO"]] = environ["wsgi.input"].read()
        start_response("201 Created", [TEXT, ("ETag", tag)])
        return [b"created\n"]

    put = {"method": "PUT", "target": "/new", "body": b"data", "headers": {"If-None-Match": "*"}}
    assert "APP-IF-NONE-MATCH" not in {rule for rule, _, _ in fired(run(app, put))}


class Record:
    """A record that a PATCH changes and a DELETE removes, tagged by its version, that
    evaluates If-None-Match on GET and HEAD only: a PATCH whose If-None-Match matches is
    carried out (Kinto 26.5: a trial of 2026-12-07)."""

    def __init__(self) -> None:
        self.version: int | None = 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        environ["wsgi.input"].read()
        if method == "DELETE":
            self.version = None
            start_response("204 No Content", [])
            return []
        if method in ("PATCH", "PUT"):
            made = self.version is None
            self.version = (self.version or 0) + 1
            start_response("201 Created" if made else "200 OK", [TEXT, self.tag()])
            return [b"done\n"]
        if self.version is None:
            start_response("404 Not Found", [TEXT])
            return [b"gone\n"]
        start_response("200 OK", [TEXT, self.tag()])
        return [BODY]

    def tag(self) -> tuple[str, str]:
        return ("ETag", f'"v{self.version}"')


def test_a_patch_is_held_to_the_tag_of_the_get_before_it_whatever_its_content() -> None:
    """The target's tag was read only from a GET with the same fields, so a PATCH or PUT
    that carries a Content-Type was never judged (the trial of 2026-12-07)."""
    fields = {"Content-Type": "application/json", "If-None-Match": '"v1"'}
    patch = {"method": "PATCH", "target": "/", "body": b"{}", "headers": fields}
    assert fired(run(Record(), GET, patch)) == {
        ("APP-IF-NONE-MATCH", "PATCH", ("Content-Type", "If-None-Match"))
    }


def test_a_create_only_put_after_a_delete_is_not_held_to_the_tag_before_it() -> None:
    """With a DELETE between, the GET's tag is no longer the target's: a PUT with
    If-None-Match * (create only if nothing is there) answered 201 is right (the trial of
    2026-12-07; a false alarm until then)."""
    put = {"method": "PUT", "target": "/", "body": b"x", "headers": {"If-None-Match": "*"}}
    delete = {"method": "DELETE", "target": "/"}
    assert fired(run(Record(), GET, delete, put)) == set()


def test_a_create_only_put_after_a_tagged_404_is_not_held_to_the_404_s_tag() -> None:
    """The review of 2026-12-07: Django's ConditionalGetMiddleware tags a 404 page too, and
    a PUT with If-None-Match * after it (nothing there: RFC 9110 §13.1.2's own use of *)
    answered 201 was failed against that tag. A 2xx alone shows a representation."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        environ["wsgi.input"].read()
        if environ["REQUEST_METHOD"] == "PUT":
            start_response("201 Created", [])
            return []
        start_response("404 Not Found", [TEXT, ("ETag", '"404-page"')])
        return [b"not found\n"]

    fields = {"Content-Type": "application/json", "If-None-Match": "*"}
    put = {"method": "PUT", "target": "/", "body": b"{}", "headers": fields}
    assert fired(run(app, GET, put)) == set()


def test_if_none_match_is_judged_on_the_methods_that_change_the_target_alone() -> None:
    """What an unregistered method selects or changes is not known (the review of
    2026-12-07: M-SEARCH with If-None-Match * answered 200 was failed)."""
    search = {"method": "M-SEARCH", "target": "/", "headers": {"If-None-Match": "*"}}
    assert fired(run(ignoring([("ETag", '"v1"')]), GET, search)) == set()


def test_if_none_match_learns_the_tag_from_the_earlier_get() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        conditional = "HTTP_IF_NONE_MATCH" in environ
        start_response("200 OK", [TEXT] if conditional else [TEXT, ("ETag", '"v1"')])
        return [BODY]

    exchanges = run(app, GET, {**GET, "headers": {"If-None-Match": '"v1"'}})
    assert fired(exchanges) == {("APP-IF-NONE-MATCH", "GET", ("If-None-Match",))}


def test_a_head_without_an_etag_of_its_own_is_not_held_to_the_get_s() -> None:
    """Django's ConditionalGetMiddleware tags and revalidates GET only: its HEAD answers 200
    without an ETag, so it has no validator to match (APP-HEAD-LIKE-GET leaves ETag out of
    what HEAD must repeat). With the GET's tag in its own answer, it is held to it."""

    def get_only(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        tagged = environ["REQUEST_METHOD"] == "GET"
        start_response("200 OK", [TEXT, ("ETag", '"v1"')] if tagged else [TEXT])
        return [BODY]

    head = {"method": "HEAD", "target": "/", "headers": {"If-None-Match": '"v1"'}}
    assert fired(run(get_only, GET, head)) == set()
    assert fired(run(ignoring([("ETag", '"v1"')]), GET, head)) == {
        ("APP-IF-NONE-MATCH", "HEAD", ("If-None-Match",))
    }


def test_if_none_match_on_an_unsafe_method_wants_412() -> None:
    """The target's tag is the one a GET got before: the POST's own answer tags what the
    request made (see test_a_create_only_put_is_not_held_to_the_tag_it_made)."""
    post = {"method": "POST", "target": "/", "headers": {"If-None-Match": '"v1"'}}
    exchanges = run(ignoring([("ETag", '"v1"')]), GET, post)
    (finding,) = check_exchange(exchanges[1])
    assert finding.rule == "APP-IF-NONE-MATCH"
    assert "instead of 412" in finding.message
    assert fired(run(ignoring([("ETag", '"v1"')]), post)) == set()  # no GET: nothing known


def kinto_like(refused: int = 412) -> Callable[..., list[bytes]]:
    """An app that reads If-None-Match as a write guard (Kinto 26.5: 412 to a GET whose
    If-None-Match is * or its own tag) and refuses any value but one quoted tag (400 to a
    weak tag or a list); a plain GET gets 200 with the tag."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        sent = environ.get("HTTP_IF_NONE_MATCH")
        if sent is not None and sent not in ("*", '"v1"', '"v0"'):
            start_response("400 Bad Request", [TEXT])
            return [b"invalid If-None-Match\n"]
        if sent in ("*", '"v1"'):
            start_response(f"{refused} Whatever", [TEXT])
            return [b"refused\n"]
        start_response("200 OK", [TEXT, ("ETag", '"v1"')])
        return [BODY]

    return app


@pytest.mark.parametrize(
    ("sent", "gets", "flagged"),
    [
        ('"v2"', 2, True),  # a stale tag refused with 400
        ('"v0", "v2"', 2, True),  # a list
        ('"v0"', 2, False),  # answered 200: right
        ('"v2"', 1, False),  # one plain GET: the target's tag not yet settled
        ("*", 2, False),  # matches: APP-IF-NONE-MATCH's
        ('W/"v1"', 2, False),  # matches weakly: APP-IF-NONE-MATCH's
    ],
)
def test_an_if_none_match_that_matches_nothing_is_not_refused(
    sent: str, gets: int, flagged: bool
) -> None:
    """Trial of 2026-12-07: Kinto 26.5 answers a GET whose If-None-Match lists a stale tag,
    or two, with 400, where the field is true (RFC 9110 §13.1.2) and the GET is answered as
    without it. APP-IF-NONE-MATCH-MISS judged 304s alone."""
    conditional = {**GET, "headers": {"If-None-Match": sent}}
    exchanges = run(kinto_like(), *[GET] * gets, conditional)
    expected = {("APP-IF-NONE-MATCH-MISS", "GET", ("If-None-Match",))} if flagged else set()
    assert {each for each in fired(exchanges) if each[0] == "APP-IF-NONE-MATCH-MISS"} == expected
    if flagged:
        assert messages_of("APP-IF-NONE-MATCH-MISS", exchanges) == [
            f'If-None-Match {sent} lists tags, and none matches the target\'s ETag "v1": the '
            "condition is true (RFC 9110 §13.1.2), and the request is answered as without it, "
            "which got a 2xx; the app answered 400 with 22 bytes"
        ]


def test_an_if_none_match_to_an_untagged_target_is_not_refused() -> None:
    """Where the plain GETs carry no ETag, no listed tag can match: a 412 to the list is
    as wrong as a 304 (which the rule judged before)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("412 Precondition Failed", [TEXT])
            return [b"refused\n"]
        start_response("200 OK", [TEXT])
        return [BODY]

    exchanges = run(app, GET, GET, {**GET, "headers": {"If-None-Match": '"x"'}})
    assert messages_of("APP-IF-NONE-MATCH-MISS", exchanges) == [
        'If-None-Match "x" lists tags, and the target has no ETag for them to match (the plain '
        "GETs before it carried none): the condition is true (RFC 9110 §13.1.2), and the "
        "request is answered as without it, which got a 2xx; the app answered 412 with 8 bytes"
    ]


def test_a_refusal_for_the_range_beside_if_none_match_is_not_the_field_s() -> None:
    """The review of 2026-12-07: an app may refuse an invalid ranges-specifier with 400
    (RFC 9110 §14.2), and a true If-None-Match beside it was blamed."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            start_response("400 Bad Request", [TEXT])
            return [b"bad range\n"]
        start_response("200 OK", [TEXT, ("ETag", '"v1"')])
        return [BODY]

    for sent in ('"v0"', '"v1"'):
        both = {**GET, "headers": {"Range": "bytes=5-2", "If-None-Match": sent}}
        assert fired(run(app, GET, GET, both)) == set()


def test_a_head_refused_like_every_head_is_not_blamed_on_its_conditions() -> None:
    """The review of 2026-12-07: a HEAD is judged beside GETs, and an app that refuses
    every HEAD (RFC 9110 §9.1's fault) was taken for one that misreads If-None-Match."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "HEAD":
            start_response("400 Bad Request", [TEXT])
            return [b"no\n"]
        start_response("200 OK", [TEXT, ("ETag", '"v1"')])
        return [BODY]

    for field, sent in (("If-None-Match", '"v0"'), ("If-None-Match", '"v1"'), ("If-Match", "*")):
        head = {"method": "HEAD", "target": "/", "headers": {field: sent}}
        assert fired(run(app, GET, GET, HEAD, head)) == set()


@pytest.mark.parametrize(
    ("sent", "extra", "status"),
    [
        ('"v1"', {}, 412),
        ("*", {}, 412),
        ('W/"v1"', {}, 400),
        ('"v0", "v1"', {}, 400),
        ('"v0"', {}, None),  # no match: 200 is right
        ('"v1"', {"If-Match": '"v0"'}, None),  # If-Match fails first: 412 may be its
        ('"v1"', {"If-Unmodified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}, None),
    ],
)
def test_a_get_whose_if_none_match_matches_gets_304_not_412_or_400(
    sent: str, extra: dict[str, str], status: int | None
) -> None:
    """From the app sweep of 2026-12-05: Kinto answers a GET whose If-None-Match holds
    its ETag (or *) with 412, and one with a weak tag or a list with 400; RFC 9110 §13.1.2
    has a GET or HEAD whose If-None-Match evaluates false answered 304, and 412 only for
    other methods. The rule judged 2xx answers alone."""
    conditional = {**GET, "headers": {"If-None-Match": sent, **extra}}
    exchanges = run(kinto_like(), GET, conditional)
    names = ("If-None-Match", *extra)
    expected = {("APP-IF-NONE-MATCH", "GET", names)} if status else set()
    assert {each for each in fired(exchanges) if each[0] == "APP-IF-NONE-MATCH"} == expected
    if status:
        matched = (
            'any current representation, and the target has one (ETag "v1")'
            if sent == "*"
            else 'the target\'s ETag "v1"'
        )
        assert messages_of("APP-IF-NONE-MATCH", exchanges) == [
            f"If-None-Match {sent} matches {matched}; the app answered {status} "
            f"with {8 if status == 412 else 22} bytes instead of 304"
        ]


def test_a_304_to_a_matching_tag_counts_as_passing_not_as_skipped() -> None:
    """The sweep of 2026-12-05: a Django run got 85 answers of 304 to If-None-Match, and the
    report said APP-IF-NONE-MATCH was skipped for want of evidence. The 304 (and the 412
    to another method) is judged too, and passes."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") in ("*", '"v1"'):
            code = "304 Not Modified" if environ["REQUEST_METHOD"] in ("GET", "HEAD") else "412 P"
            start_response(code, [("ETag", '"v1"')])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"v1"')])
        return [BODY]

    matching = {"If-None-Match": '"v1"'}
    exchanges = run(
        app, GET, {**GET, "headers": matching}, {**GET, "method": "PUT", "headers": matching}
    )
    assert [ex.response.status_code for ex in exchanges] == [200, 304, 412]
    assert "APP-IF-NONE-MATCH" in applied(exchanges[1:2])
    assert "APP-IF-NONE-MATCH" in applied(exchanges[2:])
    assert fired(exchanges) == set()


def test_a_304_to_another_method_is_no_pass_of_if_none_match() -> None:
    """Review of 2026-12-05: a 304 to a PUT whose If-None-Match matches is
    APP-304-CONDITIONAL's finding, and no pass of this rule, which asks 412 there."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [("ETag", '"v1"')])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"v1"')])
        return [BODY]

    put = {**GET, "method": "PUT", "headers": {"If-None-Match": '"v1"'}}
    exchanges = run(app, GET, put)
    assert "APP-IF-NONE-MATCH" not in applied(exchanges[1:])
    assert fired(exchanges) == {("APP-304-CONDITIONAL", "PUT", ("If-None-Match",))}


def test_a_412_to_if_match_and_if_none_match_is_not_blamed_on_if_match() -> None:
    """The second review of 2026-12-05: the question with both fields holding the ETag got
    Kinto's 412, which its If-None-Match (evaluated after If-Match) caused: APP-IF-MATCH
    said the If-Match that held was refused. Neither rule judges that 412 (the one to
    If-None-Match alone is APP-IF-NONE-MATCH's)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_MATCH", '"v1"') != '"v1"':
            start_response("412 Precondition Failed", [TEXT])
            return [b"if-match\n"]
        return kinto_like()(environ, start_response)

    both = {**GET, "headers": {"If-Match": '"v1"', "If-None-Match": '"v1"'}}
    holds = {**GET, "headers": {"If-Match": '"v1"'}}
    exchanges = run(app, GET, GET, holds, both)
    assert [ex.response.status_code for ex in exchanges] == [200, 200, 200, 412]
    assert fired(exchanges) == set()


def test_a_412_that_webdav_or_an_unsafe_request_may_explain_is_not_blamed() -> None:
    """Review of 2026-12-05: a WebDAV If (RFC 4918 §10.4) fails with 412 too, before
    If-None-Match is read; and an UNLOCK or DELETE between the plain GET and the
    conditional one may have made the 412 the target's answer whatever it asks. (A 412
    is judged, as a 304 is, and passes there.)"""
    dav = {"If": "(<urn:uuid:t1>)"}
    conditional = {**GET, "headers": {**dav, "If-None-Match": '"v1"'}}
    exchanges = run(kinto_like(), {**GET, "headers": dav}, conditional)
    assert fired(exchanges) == set()
    unlock = {"method": "UNLOCK", "target": "/"}
    plain = {**GET, "headers": {"If-None-Match": '"v1"'}}
    assert fired(run(kinto_like(), GET, unlock, plain)) == set()
    assert fired(run(kinto_like(), unlock, GET, plain)) == {
        ("APP-IF-NONE-MATCH", "GET", ("If-None-Match",))
    }


def test_a_412_or_400_to_if_none_match_is_judged_only_beside_a_2xx_without_it() -> None:
    """No GET without conditions before it: nothing shows the request would succeed, so a
    412 may be the answer the target gives anyway (§13.2.1). A 429 is never judged: a rate
    limit answers whatever the request says."""
    conditional = {**GET, "headers": {"If-None-Match": '"v1"'}}
    assert fired(run(kinto_like(), conditional)) == set()
    assert fired(run(kinto_like(refused=429), GET, conditional)) == set()
    assert "APP-IF-NONE-MATCH" not in applied(run(kinto_like(refused=429), GET, conditional))


LAST = "Mon, 01 Jan 2024 00:00:00 GMT"
MODIFIED_SINCE = ("APP-IF-MODIFIED-SINCE", "GET", ("If-Modified-Since",))


@pytest.mark.parametrize(
    ("since", "flagged"),
    [
        (LAST, True),
        ("Tue, 02 Jan 2024 00:00:00 GMT", True),
        ("Sun, 31 Dec 2023 00:00:00 GMT", False),  # modified since: a 200 is right
        # The obsolete forms a recipient MUST accept too (RFC 9110 §5.6.7): the asctime one
        # states no zone, and was read as no date (Zope answers it 200, the app sweep of
        # 2026-12-05).
        ("Mon Jan  1 00:00:00 2024", True),
        ("Monday, 01-Jan-24 00:00:00 GMT", True),
        ("Sun Dec 31 00:00:00 2023", False),
        ("yesterday", False),  # not an HTTP-date: ignored (RFC 9110 §13.1.3)
        ("Fri, 01 Jan 2100 00:00:00 GMT", False),  # after the response's Date: not judged
    ],
)
def test_if_modified_since(since: str, flagged: bool) -> None:
    exchanges = run(
        ignoring([("Last-Modified", LAST)]), {**GET, "headers": {"If-Modified-Since": since}}
    )
    expected = {("APP-IF-MODIFIED-SINCE", "GET", ("If-Modified-Since",))} if flagged else set()
    assert fired(exchanges) == expected


def test_the_questions_send_the_date_in_its_obsolete_forms_and_none() -> None:
    """The app sweep of 2026-12-05: Quixote answers 304 only to its Last-Modified as it
    wrote it, and static3 raises on an If-Modified-Since that is no date; no run sent
    either. The questions now send the Last-Modified in the rfc850 and asctime forms a
    recipient MUST read too (RFC 9110 §5.6.7), and "yesterday", which it MUST ignore."""

    def as_text(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        safe = environ["REQUEST_METHOD"] in ("GET", "HEAD")  # others ignore it (§13.1.3)
        if since == LAST and "HTTP_IF_NONE_MATCH" not in environ and safe:  # compared as text
            start_response("304 Not Modified", [("Last-Modified", LAST)])
            return []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    found = {
        (f.rule, dict(f.request.headers)["If-Modified-Since"])
        for ex in ask_about(Client(as_text))
        for f in check_exchange(ex)
        if f.request is not None and "If-Modified-Since" in dict(f.request.headers)
    }
    assert found == {
        ("APP-IF-MODIFIED-SINCE", "Monday, 01-Jan-24 00:00:00 GMT"),
        ("APP-IF-MODIFIED-SINCE", "Mon Jan  1 00:00:00 2024"),
    }

    def raising(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if since is not None and parsedate_to_datetime(since) is None:  # never: it raises
            raise AssertionError
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    raised = {
        (f.rule, dict(f.request.headers).get("If-Modified-Since"))
        for ex in ask_about(Client(raising))
        for f in check_exchange(ex)
        if f.request is not None and f.rule != "APP-IF-MODIFIED-SINCE"
    }
    # Raising on it is reading it too (a trial of 2026-12-08: Kallithea's statics).
    assert raised == {
        ("APP-TRAP-OWN-ERRORS", "yesterday"),
        ("APP-INVALID-DATE-IGNORED", "yesterday"),
    }


def refusing_no_date(status: str) -> Callable[..., list[bytes]]:
    """Answers ``status`` to a date condition it cannot read (Paste 3.10's FileApp: 400), and
    evaluates an If-Modified-Since it can read."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        for key in ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"):
            value = environ.get(key)
            if value is not None and http_date(value) is None:
                start_response(status, [TEXT])
                return []
        since, last = http_date(environ.get("HTTP_IF_MODIFIED_SINCE")), http_date(LAST)
        # §13.1.3: the date is ignored beside If-None-Match, and by other methods.
        unlisted = "HTTP_IF_NONE_MATCH" not in environ
        safe = environ["REQUEST_METHOD"] in ("GET", "HEAD")
        if since is not None and last is not None and since >= last and unlisted and safe:
            start_response("304 Not Modified", [("Last-Modified", LAST)])
            return []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    return app


@pytest.mark.parametrize(
    ("status", "headers", "said"),
    [
        ("400 Bad Request", {"If-Modified-Since": "yesterday"}, "400"),
        ("304 Not Modified", {"If-Modified-Since": "yesterday"}, "304"),
        ("412 Precondition Failed", {"If-Unmodified-Since": "0"}, "412"),
        ("200 OK", {"If-Modified-Since": "yesterday"}, None),  # ignored: right
        # Review of 2026-12-05: a rate limit or an outage answers the GET without the field
        # so too; only the GETs before it were seen (a MUST failed a correct app).
        ("429 Too Many Requests", {"If-Modified-Since": "yesterday"}, None),
        ("503 Service Unavailable", {"If-Modified-Since": "yesterday"}, None),
        ("400 Bad Request", {"If-Modified-Since": f"{LAST}, {LAST}"}, "400"),  # a list
        # Its reading failed: an error page it answered.
        ("500 Internal Server Error", {"If-Modified-Since": "yesterday"}, "500"),
    ],
)
def test_a_date_condition_that_is_no_date_is_ignored(
    status: str, headers: dict[str, str], said: str | None
) -> None:
    """The app sweep of 2026-12-05: Paste 3.10 answers 400 to an If-Modified-Since that is no
    HTTP-date, which RFC 9110 §13.1.3 (and §13.1.4 for If-Unmodified-Since) has a recipient
    ignore. Judged beside two plain GETs that got 200."""
    exchanges = run(refusing_no_date(status), GET, GET, {**GET, "headers": headers})
    found = [
        f.message for f in check_exchange(exchanges[-1]) if f.rule == "APP-INVALID-DATE-IGNORED"
    ]
    if said is None:
        assert found == []
    else:
        ((name, value),) = headers.items()
        assert found == [
            f"{name} {quoted(value)} is no HTTP-date, which a recipient MUST ignore (RFC 9110 "
            f"§13.1.{3 if 'Modified-' in name and 'Un' not in name else 4}); the app answered "
            f"{said} where the same GET without it gets 200"
        ]
    assert "APP-INVALID-DATE-IGNORED" in applied(exchanges[-1:])


def test_an_exception_raised_on_a_date_condition_that_is_no_date_is_told() -> None:
    """A trial of 2026-12-08: Kallithea's TurboGears statics let WebOb's HTTPBadRequest
    escape to ``If-Modified-Since: yesterday``, and only the SHOULD of APP-TRAP-OWN-ERRORS
    was said; the MUST to ignore the field was broken too."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE") == "yesterday":
            raise ValueError("no date: 'yesterday'")
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    since = {**GET, "headers": {"If-Modified-Since": "yesterday"}}
    (message,) = messages_of("APP-INVALID-DATE-IGNORED", run(app, GET, GET, since))
    assert re.fullmatch(
        r"If-Modified-Since 'yesterday' is no HTTP-date, which a recipient MUST ignore \(RFC "
        r"9110 §13\.1\.3\); the app raised \(ValueError escaped .*: no date: 'yesterday'\) "
        r"where the same GET without it gets 200",
        message,
    ), message
    # One plain GET before it is no steady answer; a time-out is no reading.
    assert "APP-INVALID-DATE-IGNORED" not in applied(run(app, GET, since)[-1:])


@pytest.mark.parametrize(
    "requests",
    [
        # One plain GET before it: not yet the app's steady answer.
        [GET, {**GET, "headers": {"If-Modified-Since": "yesterday"}}],
        # A date a lenient recipient reads ("-0000"), or one that is a date.
        [GET, GET, {**GET, "headers": {"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 -0000"}}],
        [GET, GET, {**GET, "headers": {"If-Modified-Since": LAST}}],
        # A leap second is an HTTP-date (second = 2DIGIT), which parsedate refuses.
        [GET, GET, {**GET, "headers": {"If-Modified-Since": "Sat, 31 Dec 2016 23:59:60 GMT"}}],
        # Another condition beside it, or a Range: they decide the answer too.
        [GET, GET, {**GET, "headers": {"If-Modified-Since": "yesterday", "If-None-Match": "*"}}],
        [GET, GET, {**GET, "headers": {"If-Modified-Since": "yesterday", "Range": "bytes=0-0"}}],
    ],
    ids=["one-get", "minus-zero", "a-date", "leap-second", "with-if-none-match", "with-range"],
)
def test_a_date_condition_is_not_judged_without_evidence(requests: list[dict[str, Any]]) -> None:
    exchanges = run(refusing_no_date("400 Bad Request"), *requests)
    assert "APP-INVALID-DATE-IGNORED" not in applied(exchanges[-1:])


def test_the_questions_find_a_refused_date_that_is_none() -> None:
    """The questions after a GET with a Last-Modified send ``If-Modified-Since: yesterday``
    after two plain GETs: a run finds Paste's 400."""
    found = {
        (f.rule, *dated(f.request))
        for ex in ask_about(Client(refusing_no_date("400 Bad Request")))
        for f in check_exchange(ex)
        if f.request is not None
    }
    # (If-Unmodified-Since too, which it refuses alike: §13.1.4 has it ignored as well.)
    assert found == {
        ("APP-INVALID-DATE-IGNORED", "If-Modified-Since", "yesterday"),
        ("APP-INVALID-DATE-IGNORED", "If-Unmodified-Since", "yesterday"),
    }


def dated(request: Request) -> tuple[str, str]:
    """The name and value of the request's one date condition."""
    (field,) = [
        (name, value)
        for name, value in request.headers
        if name in ("If-Modified-Since", "If-Unmodified-Since")
    ]
    return field


def refusing_obs_dates(status: str) -> Callable[..., list[bytes]]:
    """Reads a date condition in the IMF-fixdate form alone and answers ``status`` to any
    other (Falcon 4.4's ``req.if_modified_since``: 400 to the two obsolete forms)."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        for key in ("HTTP_IF_MODIFIED_SINCE", "HTTP_IF_UNMODIFIED_SINCE"):
            value = environ.get(key)
            if value is not None and not re.fullmatch(
                r"\w{3}, \d\d \w{3} \d{4} [\d:]{8} GMT", value
            ):
                start_response(status, [TEXT])
                return []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    return app


RFC850 = "Monday, 01-Jan-24 00:00:00 GMT"
ASCTIME = "Mon Jan  1 00:00:00 2024"


@pytest.mark.parametrize(
    ("status", "headers", "said"),
    [
        ("400 Bad Request", {"If-Modified-Since": RFC850}, "400"),
        ("422 Unprocessable Content", {"If-Unmodified-Since": ASCTIME}, "422"),
        ("400 Bad Request", {"If-Modified-Since": f" {ASCTIME} "}, "400"),  # OWS around it
        ("200 OK", {"If-Modified-Since": RFC850}, None),  # read (or ignored): no refusal
        ("412 Precondition Failed", {"If-Unmodified-Since": RFC850}, None),  # evaluated
        ("429 Too Many Requests", {"If-Modified-Since": RFC850}, None),  # whatever it says
    ],
)
def test_a_date_condition_in_an_obsolete_form_is_not_refused(
    status: str, headers: dict[str, str], said: str | None
) -> None:
    """The app sweep of 2026-12-05: Falcon 4.4 answers 400 to an If-Modified-Since in the
    rfc850 or asctime form, which RFC 9110 §5.6.7 has a recipient accept. Judged beside two
    plain GETs that got 200."""
    exchanges = run(refusing_obs_dates(status), GET, GET, {**GET, "headers": headers})
    assert "APP-OBS-DATE-ACCEPTED" in applied(exchanges[-1:])
    found = [f.message for f in check_exchange(exchanges[-1]) if f.rule == "APP-OBS-DATE-ACCEPTED"]
    if said is None:
        assert found == []
    else:
        ((name, value),) = headers.items()
        assert found == [
            f"{name} {quoted(value)} is an HTTP-date in an obsolete form, which a recipient "
            f"MUST accept (RFC 9110 §5.6.7); the app answered {said} where the same GET "
            "without it gets 200"
        ]


@pytest.mark.parametrize(
    "requests",
    [
        [GET, {**GET, "headers": {"If-Modified-Since": RFC850}}],  # one GET: not yet steady
        [GET, GET, {**GET, "headers": {"If-Modified-Since": LAST}}],  # the form a sender sends
        [GET, GET, {**GET, "headers": {"If-Modified-Since": "yesterday"}}],  # no date at all
        [GET, GET, {**GET, "headers": {"If-Modified-Since": RFC850, "If-None-Match": "*"}}],
        [GET, GET, {**GET, "method": "HEAD", "headers": {"If-Modified-Since": RFC850}}],
    ],
    ids=["one-get", "imf-fixdate", "no-date", "with-if-none-match", "head"],
)
def test_an_obsolete_date_is_not_judged_without_evidence(requests: list[dict[str, Any]]) -> None:
    exchanges = run(refusing_obs_dates("400 Bad Request"), *requests)
    assert "APP-OBS-DATE-ACCEPTED" not in applied(exchanges[-1:])


@pytest.mark.parametrize(
    "value", ["Friday, 30-Feb-24 00:00:00 GMT", "Fri, 30 Feb 2024 00:00:00 GMT"]
)
def test_a_date_of_the_shape_that_names_no_day_is_judged_by_neither_rule(value: str) -> None:
    """Review of 2026-12-05: 30 February in the rfc850 form, refused with 400, was called an
    HTTP-date the app MUST accept. The second review: calling it no date failed Bottle,
    which reads it leniently as 1 March (RFC 9110 §5.6.7 encourages robust parsing). A
    recipient may do either: neither date rule judges it."""
    conditional = {**GET, "headers": {"If-Modified-Since": value}}
    exchanges = run(refusing_obs_dates("400 Bad Request"), GET, GET, conditional)
    assert not {"APP-OBS-DATE-ACCEPTED", "APP-INVALID-DATE-IGNORED"} & applied(exchanges[-1:])


@pytest.mark.parametrize("value", ["Saturday, 31-Dec-16 23:59:60 GMT", "Sat Dec 31 23:59:60 2016"])
def test_a_leap_second_in_an_obsolete_form_is_a_date_to_accept(value: str) -> None:
    """The second review of 2026-12-05: a leap second (second = 2DIGIT in the grammar),
    which parsedate refuses, escaped both rules in the obsolete forms."""
    conditional = {**GET, "headers": {"If-Modified-Since": value}}
    exchanges = run(refusing_obs_dates("400 Bad Request"), GET, GET, conditional)
    assert messages_of("APP-OBS-DATE-ACCEPTED", exchanges[-1:]) == [
        f"If-Modified-Since {quoted(value)} is an HTTP-date in an obsolete form, which a "
        "recipient MUST accept (RFC 9110 §5.6.7); the app answered 400 where the same GET "
        "without it gets 200"
    ]


def test_the_questions_find_a_refused_obsolete_date() -> None:
    """The questions after a GET with a Last-Modified send it in both obsolete forms after
    two plain GETs: a run finds Falcon's 400s (and, to ``yesterday``, the one
    APP-INVALID-DATE-IGNORED judges)."""
    found = {
        (f.rule, *dated(f.request))
        for ex in ask_about(Client(refusing_obs_dates("400 Bad Request")))
        for f in check_exchange(ex)
        if f.request is not None and f.rule != "APP-IF-MODIFIED-SINCE"  # it never answers 304
    }
    assert found == {
        ("APP-OBS-DATE-ACCEPTED", "If-Modified-Since", RFC850),
        ("APP-OBS-DATE-ACCEPTED", "If-Modified-Since", ASCTIME),
        ("APP-INVALID-DATE-IGNORED", "If-Modified-Since", "yesterday"),
        ("APP-INVALID-DATE-IGNORED", "If-Unmodified-Since", "yesterday"),
    }


def test_a_304_to_a_date_before_the_last_modified_fails() -> None:
    """From the app sweep of 2026-12-04: httpbin's /cache answers 304 to any
    If-Modified-Since, a day before its Last-Modified too: the representation was modified
    since, and a cache told 304 keeps a copy older than that (RFC 9110 §13.1.3)."""

    def any_date(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE"):
            start_response("304 Not Modified", [])
            return []
        start_response("200 OK", [("Content-Type", "text/plain"), ("Last-Modified", LAST)])
        return [b"hello"]

    for since, flagged in ((LAST, False), ("Sun, 31 Dec 2023 00:00:00 GMT", True)):
        exchanges = run(any_date, GET, {**GET, "headers": {"If-Modified-Since": since}})
        expected = {("APP-IF-MODIFIED-SINCE", "GET", ("If-Modified-Since",))} if flagged else set()
        assert fired(exchanges) == expected, since
    exchanges = run(
        any_date, GET, {**GET, "headers": {"If-Modified-Since": "Sun, 31 Dec 2023 00:00:00 GMT"}}
    )
    (finding,) = [
        f for ex in exchanges for f in check_exchange(ex) if f.rule == "APP-IF-MODIFIED-SINCE"
    ]
    assert finding.message == (
        "the app answered 304 to If-Modified-Since Sun, 31 Dec 2023 00:00:00 GMT, before its "
        "Last-Modified Mon, 01 Jan 2024 00:00:00 GMT: the representation was modified since, "
        "so the answer is the whole of it (200)"
    )
    # A date sent in an obsolete form is told as read, and as sent.
    asctime = {**GET, "headers": {"If-Modified-Since": "Sun Dec 31 00:00:00 2023"}}
    (finding,) = [
        f
        for ex in run(any_date, GET, asctime)
        for f in check_exchange(ex)
        if f.rule == MODIFIED_SINCE[0]
    ]
    assert finding.message.startswith(
        "the app answered 304 to If-Modified-Since Sun, 31 Dec 2023 00:00:00 GMT (sent as "
        "'Sun Dec 31 00:00:00 2023'), before its Last-Modified"
    )


def test_a_304_is_judged_by_the_steadier_last_modified_and_not_in_the_future() -> None:
    """Review of 2026-12-04: a Last-Modified stamped "now" on every answer (a middleware's)
    is later on the 304 than on the GET it followed, and the 304 to the GET's own date is
    right; the earlier of the two is the representation's. One well before now is the
    representation's own (changed since the GET, by a PUT): a 304 to the GET's date is
    stale. A date past the response's Date is in the origin's future, for a 304 as for a
    200: not judged."""
    second = datetime.now(timezone.utc).replace(microsecond=0)
    gmt = [format_datetime(second + timedelta(seconds=each), usegmt=True) for each in (0, 1)]

    def stamping(stamps: list[str]) -> Callable[..., list[bytes]]:
        dates = iter(stamps)

        def stamped(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            modified = ("Last-Modified", next(dates))
            if environ.get("HTTP_IF_MODIFIED_SINCE"):
                start_response("304 Not Modified", [modified])
                return []
            start_response("200 OK", [("Content-Type", "text/plain"), modified])
            return [b"hello"]

        return stamped

    for stamps, expected in (
        (gmt, set()),
        ([LAST, "Tue, 02 Jan 2024 00:00:00 GMT"], {MODIFIED_SINCE}),  # changed, then 304
    ):
        conditional = {**GET, "headers": {"If-Modified-Since": stamps[0]}}
        assert fired(run(stamping(stamps), GET, conditional)) == expected, stamps

    def in_2100(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE"):
            start_response("304 Not Modified", [])
            return []
        modified = ("Last-Modified", "Sat, 02 Jan 2100 00:00:00 GMT")
        start_response("200 OK", [("Content-Type", "text/plain"), modified])
        return [b"hello"]

    future = {**GET, "headers": {"If-Modified-Since": "Fri, 01 Jan 2100 00:00:00 GMT"}}
    assert fired(run(in_2100, GET, future)) == set()


@pytest.mark.parametrize(
    ("headers", "since"),
    [
        ([], LAST),  # no Last-Modified, here or on a GET: nothing to compare
        ([("Last-Modified", LAST)], "yesterday"),  # no HTTP-date: ignored (§13.1.3)
        ([("Last-Modified", LAST)], "Fri, 01 Jan 2100 00:00:00 GMT"),  # the origin's future
    ],
)
def test_if_modified_since_with_nothing_to_judge_is_skipped_not_passed(
    headers: list[tuple[str, str]], since: str
) -> None:
    """Review of 2026-12-04: such an exchange counted as judged, so the rule was reported
    passed on a run that never gave it a Last-Modified to compare."""
    exchanges = run(ignoring(headers), GET, {**GET, "headers": {"If-Modified-Since": since}})
    assert "APP-IF-MODIFIED-SINCE" not in applied(exchanges)
    answered_304 = run(
        answering_304(headers), GET, {**GET, "headers": {"If-Modified-Since": since}}
    )
    assert "APP-IF-MODIFIED-SINCE" not in applied(answered_304)


def answering_304(headers: list[tuple[str, str]]) -> Callable[..., list[bytes]]:
    """An app that answers 304 to any If-Modified-Since, with ``headers``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE"):
            start_response("304 Not Modified", headers)
            return []
        start_response("200 OK", [("Content-Type", "text/plain"), *headers])
        return [b"hello"]

    return app


#: The rules over a condition a target's validator is needed for.
VALIDATED = {"APP-IF-NONE-MATCH", "APP-IF-MATCH", "APP-IF-UNMODIFIED-SINCE"}


@pytest.mark.parametrize(
    ("condition", "bare", "validated"),
    [
        ({"If-None-Match": '"v1"'}, set(), {"APP-IF-NONE-MATCH"}),
        ({"If-None-Match": "*"}, set(), {"APP-IF-NONE-MATCH"}),
        ({"If-Match": '"v1"'}, set(), {"APP-IF-MATCH"}),
        # "*" holds on a target with a representation: a 200 is judged right, ETag or not.
        ({"If-Match": "*"}, {"APP-IF-MATCH"}, {"APP-IF-MATCH"}),
        ({"If-Unmodified-Since": LAST}, set(), {"APP-IF-UNMODIFIED-SINCE"}),
        ({"If-Unmodified-Since": "yesterday"}, set(), set()),  # no HTTP-date: ignored
    ],
)
def test_a_condition_with_nothing_to_hold_it_to_is_skipped_not_passed(
    condition: dict[str, str], bare: set[str], validated: set[str]
) -> None:
    """Audit of 2026-12-04: the drawn requests carry conditions to any app, and one with no
    validator for the target (or a date that is no HTTP-date) was counted as judged, so
    the bare app passed rules about ETags and dates it never sent."""
    exchanges = run(ignoring([]), GET, {**GET, "headers": condition})
    assert applied(exchanges) & VALIDATED == bare
    app = ignoring([("ETag", '"v1"'), ("Last-Modified", LAST)])
    assert applied(run(app, GET, {**GET, "headers": condition})) & VALIDATED == validated


def test_a_date_condition_in_another_zone_is_not_judged() -> None:
    """Review of 2026-12-04: "01:00:00 +0100" was named "01:00:00 GMT" in the message. The
    second review of 2026-12-05: it is no HTTP-date at all (the zone must be GMT), which
    RFC 9110 §13.1.3 has the app ignore, so a 200 to it is right, and the rule warned an
    app that parses dates strictly (Django's parse_http_date_safe). The questions send a
    Last-Modified back as the app wrote it, and such an app writes this one."""
    zoned = "Mon, 01 Jan 2024 01:00:00 +0100"
    exchanges = run(
        ignoring([("Last-Modified", zoned)]), {**GET, "headers": {"If-Modified-Since": zoned}}
    )
    assert "APP-IF-MODIFIED-SINCE" not in applied(exchanges)
    # The same instant as an HTTP-date is judged, and named in GMT.
    exchanges = run(
        ignoring([("Last-Modified", zoned)]), {**GET, "headers": {"If-Modified-Since": LAST}}
    )
    assert messages_of("APP-IF-MODIFIED-SINCE", exchanges)[0].startswith(
        f"Last-Modified {LAST} is not after If-Modified-Since {LAST};"
    )


@pytest.mark.parametrize(
    ("field", "sent", "said"),
    [
        ("If-Modified-Since", "Mon Jan  1 00:00:00 2024", "is not after If-Modified-Since"),
        ("If-Modified-Since", LAST, "is not after If-Modified-Since"),
        ("If-Unmodified-Since", "Sun Dec 31 00:00:00 2023", "is after If-Unmodified-Since"),
    ],
)
def test_a_date_sent_in_an_obsolete_form_is_told_as_read_and_as_sent(
    field: str, sent: str, said: str
) -> None:
    """Review of 2026-12-05: only the 304 finding told an asctime date as it was sent; the
    200 that ignores it and the 2xx to a failing If-Unmodified-Since named no date."""

    before = "Sun, 31 Dec 2023 00:00:00 GMT"

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("HTTP_IF_UNMODIFIED_SINCE") == before:  # compared as text
            start_response("412 Precondition Failed", [TEXT])
            return []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    # The app answers a failing If-Unmodified-Since 412 (IMF-fixdate): it evaluates one.
    evaluated = [{**GET, "headers": {"If-Unmodified-Since": before}}] if "Unmod" in field else []
    exchanges = run(app, GET, *evaluated, {**GET, "headers": {field: sent}})
    messages = [f.message for ex in exchanges for f in check_exchange(ex)]
    read = before if sent.startswith("Sun") else LAST
    told = read if sent == read else f"{read} (sent as {sent!r})"
    (message,) = [m for m in messages if said in m]
    assert message.startswith(f"Last-Modified {LAST} {said} {told}"), message


@pytest.mark.parametrize("since", [LAST, "Fri, 01 Jan 2100 00:00:00 GMT"])
def test_if_modified_since_under_the_validator_without_a_date(since: str) -> None:
    """The validator sees the app's fields, and the server adds Date after it: the time
    the exchange ended stands for the origin's clock, which a date in 2100 is still after."""
    checked = validator(ignoring([("Last-Modified", LAST)]), collect=True)
    for headers in ({}, {"If-Modified-Since": since}):
        response = Client(checked).get("/", headers=headers)
        assert response.status_code == 200
    expected = ["APP-IF-MODIFIED-SINCE"] if since == LAST else []
    assert [finding.rule for finding in checked.findings] == expected


def test_a_weak_etag_is_named_with_its_w() -> None:
    exchanges = run(ignoring([("ETag", 'W/"v1"')]), {**GET, "headers": {"If-None-Match": "*"}})
    (finding,) = check_exchange(exchanges[0])
    assert finding.message.startswith(
        'If-None-Match * matches any current representation, and the target has one (ETag W/"v1"); '
    )


def test_if_modified_since_gives_way_to_if_none_match() -> None:
    request = {**GET, "headers": {"If-Modified-Since": LAST, "If-None-Match": '"v2"'}}
    exchanges = run(ignoring([("Last-Modified", LAST), ("ETag", '"v1"')]), request)
    assert fired(exchanges) == set()
    assert applied(exchanges) == {
        "APP-CONTENT-TYPE",
        "APP-SINGLE-FIELDS",
        "APP-HTTP-DATE",
        "APP-ETAG-SYNTAX",
        "APP-IF-NONE-MATCH",
    }


# -- APP-IF-NONE-MATCH-MISS --------------------------------------------------------------------


def dates_first(etag: str, *, tag_in_304: bool = True) -> Callable[..., list[bytes]]:
    """An app that answers If-Modified-Since before it reads If-None-Match (static3 0.7),
    and If-None-Match by a substring test."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        validators = [("ETag", etag), ("Last-Modified", LAST)]
        if environ.get("HTTP_IF_MODIFIED_SINCE") == LAST or etag in environ.get(
            "HTTP_IF_NONE_MATCH", ""
        ):
            start_response("304 Not Modified", validators if tag_in_304 else validators[1:])
            return []
        start_response("200 OK", [TEXT, *validators])
        return [BODY]

    return app


def revalidated(condition: dict[str, str]) -> dict[str, Any]:
    return {**GET, "headers": condition}


MISS = ("APP-IF-NONE-MATCH-MISS", "GET", ("If-None-Match", "If-Modified-Since"))


@pytest.mark.parametrize(
    ("etag", "condition", "expected"),
    [
        ('"v2"', {"If-None-Match": '"v1"', "If-Modified-Since": LAST}, {MISS}),
        ('"v2"', {"If-None-Match": '"v1", "v0"', "If-Modified-Since": LAST}, {MISS}),
        ('"v2"', {"If-None-Match": '"v1", W/"v2"', "If-Modified-Since": LAST}, set()),  # weak
        ('W/"v2"', {"If-None-Match": '"v2"', "If-Modified-Since": LAST}, set()),
        ('"v2"', {"If-None-Match": "*", "If-Modified-Since": LAST}, set()),  # a representation
        ('"v2"', {"If-None-Match": "v1", "If-Modified-Since": LAST}, set()),  # no entity-tag
        ('"v2"', {"If-Modified-Since": LAST}, set()),  # a date alone may give 304
    ],
)
def test_a_304_to_an_if_none_match_that_matches_nothing(
    etag: str, condition: dict[str, str], expected: Fired
) -> None:
    exchanges = run(dates_first(etag), GET, revalidated(condition), GET)
    assert fired(exchanges) == expected
    # "*" and a value that lists no entity-tag hold the 304 to nothing: no evidence, not a
    # pass; a listed match is one (audit of 2026-12-04). A date alone is not this rule's.
    told = "If-None-Match" in condition and condition["If-None-Match"] not in ("*", "v1")
    assert ("APP-IF-NONE-MATCH-MISS" in applied(exchanges)) == told


def dates_only() -> Callable[..., list[bytes]]:
    """An app with a Last-Modified and no ETag that answers If-Modified-Since whatever
    If-None-Match says (WebOb 1.8's static files, behind Pyramid's static_view)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE") == LAST:
            start_response("304 Not Modified", [("Last-Modified", LAST)])
            return []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST)])
        return [BODY]

    return app


@pytest.mark.parametrize(
    ("before", "condition", "expected"),
    [
        ([GET, GET], {"If-None-Match": '"v1"', "If-Modified-Since": LAST}, {MISS}),
        ([GET, GET], {"If-None-Match": '"a", "b"', "If-Modified-Since": LAST}, {MISS}),
        ([GET, GET], {"If-None-Match": "*", "If-Modified-Since": LAST}, set()),  # it exists
        ([GET, GET], {"If-Modified-Since": LAST}, set()),  # the date alone: 304 is right
        ([GET], {"If-None-Match": '"v1"', "If-Modified-Since": LAST}, set()),  # one GET
    ],
)
def test_a_304_to_if_none_match_where_the_target_has_no_etag(
    before: list[dict[str, Any]], condition: dict[str, str], expected: Fired
) -> None:
    """From the app sweep of 2026-12-05: WebOb 1.8 answers a stale If-None-Match beside a
    current If-Modified-Since with 304 where its files have no ETag; no listed tag can match
    a target that has none, so If-None-Match holds and the date is ignored (RFC 9110
    §13.1.2, §13.1.3). Judged where two plain GETs before it got 200 without an ETag."""
    exchanges = run(dates_only(), *before, revalidated(condition))
    assert fired(exchanges) == expected
    if expected:
        assert messages_of("APP-IF-NONE-MATCH-MISS", exchanges) == [
            f"If-None-Match {condition['If-None-Match']} lists tags, and the target has none "
            "for them to match (the plain GETs before it carried no ETag), yet the app "
            f"answered 304; its If-Modified-Since {LAST}, which alone would give 304, is "
            "ignored beside If-None-Match (§13.1.3): a client holding another copy is told to "
            "keep it"
        ]


def test_a_target_that_tags_another_answer_is_not_said_to_have_no_etag() -> None:
    """Review of 2026-12-05: an app that tags its HEAD alone (and evaluates If-None-Match
    right) was told its target had no tag to match; a client may list the HEAD's."""

    def head_tagged(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [])
            return []
        tag = [("ETag", '"v1"')] if environ["REQUEST_METHOD"] == "HEAD" else []
        start_response("200 OK", [TEXT, ("Last-Modified", LAST), *tag])
        return [BODY]

    head = {"method": "HEAD", "target": "/"}
    listed = revalidated({"If-None-Match": '"v1"', "If-Modified-Since": LAST})
    assert "APP-IF-NONE-MATCH-MISS" not in applied(run(head_tagged, GET, GET, head, listed))


def test_the_questions_ask_a_target_with_no_etag_a_stale_tag_beside_its_date() -> None:
    found = {
        (f.rule, tuple(name for name, _ in f.request.headers if name != "Host"))
        for ex in ask_about(Client(dates_only()))
        for f in check_exchange(ex)
        if f.request is not None and f.rule == "APP-IF-NONE-MATCH-MISS"
    }
    assert found == {("APP-IF-NONE-MATCH-MISS", ("If-None-Match", "If-Modified-Since"))}


def test_a_304_to_an_if_none_match_that_matches_nothing_says_why() -> None:
    stale = revalidated({"If-None-Match": '"v1"', "If-Modified-Since": LAST})
    (finding,) = check_exchange(run(dates_first('"v2"'), GET, stale)[1])
    assert finding.message == (
        'If-None-Match "v1" lists no tag matching the target\'s ETag "v2", yet the app answered '
        f"304; its If-Modified-Since {LAST}, which alone would give 304, is ignored beside "
        "If-None-Match (§13.1.3): a client holding the stale copy is told to keep it"
    )
    # Without the date, the 304 is no reading of it.
    app = answering("304 Not Modified", [("ETag", '"v2"')])
    (finding,) = check_exchange(run(app, revalidated({"If-None-Match": '"v1"'}))[0])
    assert finding.message.endswith(
        "yet the app answered 304: a client holding the stale copy is told to keep it"
    )


def test_a_304_beside_an_if_match_says_none_comes_of_it() -> None:
    """Trial 7 (Tryton 8.2 under Werkzeug): ``If-Match: *`` with ``If-None-Match: ""`` got
    304, and the message named the If-None-Match alone, where the If-Match was the cause."""
    app = answering("304 Not Modified", [("ETag", '"v2"')])
    (finding,) = check_exchange(run(app, revalidated({"If-Match": "*", "If-None-Match": '""'}))[0])
    assert finding.message == (
        'If-None-Match "" lists no tag matching the target\'s ETag "v2", yet the app answered '
        "304; its If-Match *, evaluated first, gives no 304 either: a 304 comes of "
        "If-None-Match or If-Modified-Since alone (§13.2.2): a client holding the stale copy "
        "is told to keep it"
    )


def echoes_a_prefixed_tag(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Roundup 2.6: a listed tag that starts with the target's (meant for its "-gzip"
    variants) gets 304, with the listed tag sent back as the ETag."""
    listed = environ.get("HTTP_IF_NONE_MATCH", "")
    if listed.startswith('"v2'):
        start_response("304 Not Modified", [("ETag", listed)])
        return []
    start_response("200 OK", [TEXT, ("ETag", '"v2"')])
    return [BODY]


def test_a_304_that_sends_the_stale_tag_back_is_held_to_the_target_s_tag() -> None:
    """The tag two plain GETs settled on is the target's, not the one the 304 names; one
    plain GET, or an unsafe request after them, settles nothing."""
    stale = revalidated({"If-None-Match": '"v2-stale"'})
    exchanges = run(echoes_a_prefixed_tag, GET, GET, stale)
    assert fired(exchanges) == {("APP-IF-NONE-MATCH-MISS", "GET", ("If-None-Match",))}
    (finding,) = check_exchange(exchanges[2])
    assert finding.message == (
        'If-None-Match "v2-stale" lists no tag matching the target\'s ETag "v2" (its 304 says '
        '"v2-stale"), yet the app answered 304: a client holding the stale copy is told to keep '
        "it"
    )
    assert fired(run(echoes_a_prefixed_tag, GET, stale)) == set()
    changed = {"method": "PUT", "target": "/", "body": b"new"}
    assert fired(run(echoes_a_prefixed_tag, GET, GET, changed, stale)) == set()
    # The tag the plain GETs settled on, listed, is a match whatever the 304 says.
    matching = revalidated({"If-None-Match": '"v2"'})
    assert fired(run(answering_304_with('"v3"'), GET, GET, matching)) == set()


def answering_304_with(tag: str) -> Callable[..., list[bytes]]:
    """A 200 with ETag "v2", and a 304 naming ``tag`` to any If-None-Match."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_NONE_MATCH" in environ:
            start_response("304 Not Modified", [("ETag", tag)])
            return []
        start_response("200 OK", [TEXT, ("ETag", '"v2"')])
        return [BODY]

    return app


def test_a_304_beside_an_etag_that_is_no_entity_tag() -> None:
    """static3 and Bottle send bare ETags and read the date first: a stale tag, quoted as a
    client quotes it, is judged against the bare text; the same tag quoted is a match."""
    app = dates_first("1704067200.25")
    stale = revalidated({"If-None-Match": '"1704067200.00"', "If-Modified-Since": LAST})
    quoted = revalidated({"If-None-Match": '"1704067200.25"', "If-Modified-Since": LAST})
    exchanges = run(app, GET, stale, quoted, GET)
    tagged = ("If-None-Match", "If-Modified-Since")
    assert fired(exchanges) == {
        MISS,
        ("APP-ETAG-SYNTAX", "GET", ()),
        ("APP-ETAG-SYNTAX", "GET", tagged),  # the 304s carry it too
    }
    (finding,) = [each for each in check_exchange(exchanges[1]) if each.rule == MISS[0]]
    assert "the target's ETag 1704067200.25, yet" in finding.message


def test_the_date_a_304_read_is_named_though_it_ends_in_minus_zero() -> None:
    minus_zero = LAST.replace("GMT", "-0000")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        validators = [("ETag", '"v2"'), ("Last-Modified", minus_zero)]
        code = "304 Not Modified" if "HTTP_IF_MODIFIED_SINCE" in environ else "200 OK"
        start_response(code, validators if code[0] == "3" else [TEXT, *validators])
        return [] if code[0] == "3" else [BODY]

    stale = revalidated({"If-None-Match": '"v1"', "If-Modified-Since": minus_zero})
    findings = check_exchange(run(app, GET, stale)[1])
    (finding,) = [each for each in findings if each.rule == MISS[0]]
    assert "which alone would give 304, is ignored beside If-None-Match" in finding.message


def test_a_304_whose_etag_is_sent_twice_is_not_held_to_either() -> None:
    """A middleware that adds ETag though the app sent Etag: APP-SINGLE-FIELDS's finding,
    and no tag to hold If-None-Match to."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        validators = [("Etag", '"v2"'), ("ETag", '"v2"')]
        if "v2" in environ.get("HTTP_IF_NONE_MATCH", ""):
            start_response("304 Not Modified", validators)
            return []
        start_response("200 OK", [TEXT, *validators])
        return [BODY]

    exchanges = run(app, GET, revalidated({"If-None-Match": '"v2"'}), GET)
    assert {rule for rule, _, _ in fired(exchanges)} == {"APP-SINGLE-FIELDS"}


def test_a_head_304_is_held_only_to_its_own_etag() -> None:
    """An ETag may be known only from the content: a HEAD without one of its own is not
    held to the GET's (as APP-IF-NONE-MATCH has it)."""
    app = dates_first('"v2"', tag_in_304=False)
    stale = {**revalidated({"If-None-Match": '"v1"', "If-Modified-Since": LAST}), **HEAD}
    assert fired(run(app, GET, GET, stale)) == set()
    with_tag = dates_first('"v2"')
    assert fired(run(with_tag, GET, stale)) == {("APP-IF-NONE-MATCH-MISS", "HEAD", MISS[2])}


def test_a_304_without_an_etag_is_held_to_a_steady_get_s() -> None:
    app = dates_first('"v2"', tag_in_304=False)
    stale = revalidated({"If-None-Match": '"v1"', "If-Modified-Since": LAST})
    # One GET before it: the tag may have changed since, so nothing is judged.
    assert fired(run(app, GET, stale)) == set()
    assert fired(run(app, GET, GET, stale)) == {MISS}


# -- APP-VARY-NAMES-FIELD ----------------------------------------------------------------------

#: The finding, at the plain GET sent before and after the gzip ones.
VARY = ("APP-VARY-NAMES-FIELD", "GET", ())
GZIP = {"Accept-Encoding": "gzip"}
ZIPPED = {**GET, "headers": GZIP}


def compressing(
    plain: list[tuple[str, str]], coded: list[tuple[str, str]]
) -> Callable[..., list[bytes]]:
    """An app that gzips its page for a client that accepts gzip (not for ``gzip;q=0``, which
    the follow-ups send: APP-CODING-ACCEPTED's): ``plain`` and ``coded`` are the fields
    added to each answer (a Vary, a Cache-Control)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        asked = environ.get("HTTP_ACCEPT_ENCODING", "")
        if "gzip" in asked and not re.search(r"gzip\s*;\s*q=0(\.0*)?\s*(,|$)", asked):
            start_response("200 OK", [TEXT, ("Content-Encoding", "gzip"), *coded])
            return [gzip.compress(BODY, mtime=0)]
        start_response("200 OK", [TEXT, *plain])
        return [BODY]

    return app


NAMED = ("Vary", "Accept-Encoding")


@pytest.mark.parametrize(
    ("plain", "coded", "expected"),
    [
        ([], [], {VARY}),
        ([], [NAMED], {VARY}),  # the uncompressed answer is reused for a gzip client
        ([NAMED], [], {VARY}),
        ([NAMED], [NAMED], set()),
        ([("Vary", "Cookie, accept-encoding")], [("Vary", "Cookie"), NAMED], set()),
        ([("Vary", "*")], [("Vary", "*")], set()),
        ([("Cache-Control", "no-store")], [("Cache-Control", "private, no-store")], set()),
        ([("Cache-Control", "no-cache")], [("Cache-Control", "private, max-age=60")], set()),
        ([("Cache-Control", "no-store")], [], {VARY}),
        ([("Cache-Control", "max-age=60")], [("Cache-Control", "public")], {VARY}),
        # Qualified, they restrict the fields named: the response is reused all the same.
        ([("Cache-Control", 'no-cache="Set-Cookie"')], [("Cache-Control", 'private="X"')], {VARY}),
        ([("Vary", "Accept")], [("Vary", "Accept")], {VARY}),
    ],
)
def test_a_representation_chosen_by_accept_encoding_is_named_in_vary(
    plain: list[tuple[str, str]], coded: list[tuple[str, str]], expected: Fired
) -> None:
    exchanges = run(compressing(plain, coded), GET, GET, ZIPPED, ZIPPED, GET)
    assert fired(exchanges) == expected


PER_CODING = ("APP-ETAG-PER-CODING", "GET", ())


@pytest.mark.parametrize(
    ("plain", "coded", "expected"),
    [
        ([("ETag", '"v1"')], [("ETag", '"v1"')], {PER_CODING}),
        ([("ETag", '"v1"')], [("ETag", '"v1-gzip"')], set()),
        ([("ETag", '"v1"')], [("ETag", 'W/"v1"')], set()),  # Django's GZipMiddleware
        ([("ETag", 'W/"v1"')], [("ETag", 'W/"v1"')], set()),  # weak: no promise broken
        ([("ETag", '"v1"')], [], set()),
        ([], [], set()),
    ],
)
def test_a_strong_etag_is_not_shared_by_two_codings(
    plain: list[tuple[str, str]], coded: list[tuple[str, str]], expected: Fired
) -> None:
    """From the second app sweep of 2026-12-03: Starlette's GZipMiddleware keeps the app's
    strong ETag on the gzip answer (RFC 9110 §8.8.3.3)."""
    app = compressing([NAMED, *plain], [NAMED, *coded])
    exchanges = run(app, GET, GET, ZIPPED, ZIPPED, GET)
    assert fired(exchanges) == expected
    # No ETag on either: no tag to tell apart, so no verdict (audit of 2026-12-04).
    assert ("APP-ETAG-PER-CODING" in applied(exchanges)) == bool(plain or coded)
    if expected:
        [finding] = [f for ex in exchanges for f in check_exchange(ex) if f.rule == PER_CODING[0]]
        assert finding.message == (
            "GET / got Content-Encoding gzip with Accept-Encoding: gzip, and no "
            'Content-Encoding with no Accept-Encoding, both with the strong ETag "v1": one tag '
            "for two representations, so a cache may revalidate one with the other's tag and "
            "a Range with If-Range may join bytes of both; give the coded one its own tag "
            '("...-gzip") or make the tag weak (W/)'
        )


def test_identity_and_no_coding_may_share_a_strong_etag() -> None:
    """From the review of 2026-12-03: the same bytes labelled identity for a gzip client are
    one representation (RFC 9110 §8.8.1), whatever APP-VARY-NAMES-FIELD says of the label."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        coding = [("Content-Encoding", "identity")] if "HTTP_ACCEPT_ENCODING" in environ else []
        start_response("200 OK", [TEXT, NAMED, ("ETag", '"v1"'), *coding])
        return [BODY]

    found = {rule for rule, _, _ in fired(run(app, GET, GET, ZIPPED, ZIPPED, GET))}
    assert "APP-ETAG-PER-CODING" not in found


def test_a_shared_strong_etag_is_judged_only_where_both_sides_answer_steadily() -> None:
    """One gzip answer only: the pair that shows a selection is not there."""
    app = compressing([NAMED, ("ETag", '"v1"')], [NAMED, ("ETag", '"v1"')])
    assert fired(run(app, GET, ZIPPED, GET)) == set()


def test_a_missing_vary_is_judged_only_where_both_sides_answer_steadily() -> None:
    app = compressing([], [])
    other = {**GET, "target": "/b"}
    # Each side must be seen twice: one answer of either may be a passing state.
    assert fired(run(app, GET, ZIPPED, GET)) == set()
    assert fired(run(app, GET, ZIPPED, ZIPPED)) == set()
    assert fired(run(app, GET, ZIPPED, ZIPPED, GET)) == {VARY}
    # The request judged is sent before the other and again after it: then a change of the
    # app's own between the two (a warm-up, a setting) cannot pass for a selection.
    assert fired(run(app, GET, GET, ZIPPED, ZIPPED)) == set()
    assert fired(run(app, ZIPPED, GET, GET, ZIPPED)) == {(VARY[0], "GET", ("Accept-Encoding",))}
    assert fired(run(app, GET, other, ZIPPED, ZIPPED, other)) == set()


def test_an_app_that_changes_once_is_not_taken_to_select() -> None:
    """HTML twice, then JSON for good (a warm-up, a setting changed): the plain answers
    before and after the gzip ones differ, so nothing was selected."""
    calls = iter(range(1000))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        kind = "text/html" if next(calls) < 2 else "application/json"
        start_response("200 OK", [("Content-Type", kind)])
        return [BODY]

    assert fired(run(app, GET, GET, ZIPPED, ZIPPED, GET)) == set()


@pytest.mark.parametrize("with_validators", [False, True])
def test_an_app_that_varies_by_itself_is_not_taken_to_select(with_validators: bool) -> None:
    """A page whose type alternates call by call, HEAD included, through the follow-up
    questions: the answers to one request already disagree, or its HEAD's does."""
    calls = iter(range(1000))
    validators = [("ETag", '"v1"'), ("Last-Modified", LAST)] if with_validators else []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        kind = "text/plain" if next(calls) % 2 else "text/html"
        start_response("200 OK", [("Content-Type", kind), *validators])
        return [BODY]

    found = {rule for rule, _, _ in fired(ask_about(Client(app)))}
    assert "APP-VARY-NAMES-FIELD" not in found


def negotiating(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """JSON for a client that asks for it, HTML otherwise, a language by Accept-Language; a
    session's user by Cookie; and the Authorization and Host seen: no Vary at all."""
    wants_json = "json" in environ.get("HTTP_ACCEPT", "")
    fields = [("Content-Type", "application/json" if wants_json else "text/html")]
    if environ.get("HTTP_ACCEPT_LANGUAGE", "").startswith("de"):
        fields.append(("Content-Language", "de"))
    if "HTTP_AUTHORIZATION" in environ or environ.get("HTTP_HOST") == "other.example":
        fields = [("Content-Type", "text/csv")]
    if "HTTP_COOKIE" in environ:
        fields = [("Content-Type", "application/xml")]
    start_response("200 OK", fields)
    return [BODY]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("Accept", "application/json", "Content-Type application/json"),
        ("Accept-Language", "de", "Content-Language de"),
        ("Cookie", "user=1", "Content-Type application/xml"),
        ("Authorization", "Basic dTpw", None),  # a cache does not reuse it (§12.5.5)
        ("Host", "other.example", None),  # another target
    ],
)
def test_any_selecting_field_is_named_and_the_answers_are_shown(
    field: str, value: str, expected: str | None
) -> None:
    asked = {**GET, "headers": {field: value}}
    exchanges = run(negotiating, GET, asked, asked, GET)
    findings = [each for each in check_exchange(exchanges[-1]) if each.rule == VARY[0]]
    if expected is None:
        assert findings == []
        return
    (finding,) = findings
    other = "no Content-Language" if field == "Accept-Language" else "Content-Type text/html"
    assert finding.message == (
        f"GET / got {expected} with {field}: {value}, and {other} with no {field}: the app "
        f"selects by {field}, yet neither response names it in Vary, so a cache may give one "
        "client's answer to another"
    )


def test_the_follow_ups_ask_for_another_type_and_language() -> None:
    """An app that selects by Accept and Accept-Language is found by the questions alone,
    at the second GET of each; one that names them in Vary is not."""
    exchanges = ask_about(Client(negotiating))
    findings = messages_of(VARY[0], exchanges)
    selectors = [message.split(": the app selects by ")[1].split(",")[0] for message in findings]
    assert selectors == ["Accept-Language", "Accept"]

    def naming(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        def named(status: str, headers: list[tuple[str, str]]) -> Any:
            return start_response(status, [*headers, ("Vary", "Accept, Accept-Language")])

        return negotiating(environ, named)

    assert fired(ask_about(Client(naming))) == set()


def test_a_compression_layer_that_names_accept_encoding_only_when_it_compresses() -> None:
    exchanges = run(compressing([], [NAMED]), GET, ZIPPED, ZIPPED, GET)
    (finding,) = [each for each in check_exchange(exchanges[-1]) if each.rule == VARY[0]]
    assert finding.message == (
        "GET / got Content-Encoding gzip with Accept-Encoding: gzip, and no Content-Encoding "
        "with no Accept-Encoding: the app selects by Accept-Encoding, yet the response with no "
        "Accept-Encoding does not name it in Vary, so a cache may give one client's answer to "
        "another; most often a compression layer that adds Vary only to the bodies it "
        "compresses: the uncompressed answer should name Accept-Encoding too"
    )


def test_the_follow_ups_ask_for_gzip_and_find_a_missing_vary() -> None:
    """The follow-up questions send the plain GET, the GET again, then the gzip GET twice,
    and after the other choices the plain GET once more: the missing Vary is found once,
    there."""
    exchanges = ask_about(Client(compressing([], [])))
    judged = [
        index
        for index, ex in enumerate(exchanges)
        if any(finding.rule == VARY[0] for finding in check_exchange(ex))
    ]
    plain = [
        index
        for index, ex in enumerate(exchanges)
        if ex.method == "GET" and [name for name, _ in ex.request.headers] == ["Host"]
    ]
    assert judged == [plain[-1]]
    assert fired(ask_about(Client(compressing([NAMED], [NAMED])))) == set()


# -- APP-IF-MATCH, APP-IF-UNMODIFIED-SINCE, APP-IF-RANGE, APP-IF-RANGE-MATCH ------------------

DAY_BEFORE = "Sun, 31 Dec 2023 00:00:00 GMT"
STRONG = ("ETag", '"v1"')


def deciding(
    fields: list[tuple[str, str]], decide: Callable[[dict[str, Any]], str]
) -> Callable[..., list[bytes]]:
    """An app that sends ``fields`` with every answer and whose status ``decide`` picks
    from the environ; a 206 carries bytes 0-0 of BODY."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status = decide(environ)
        if status.startswith("206"):
            start_response(status, [TEXT, *fields, ("Content-Range", f"bytes 0-0/{len(BODY)}")])
            return [BODY[:1]]
        start_response(status, [TEXT, *fields])
        return [BODY]

    return app


def refusing(field: str, *refused: str) -> Callable[[dict[str, Any]], str]:
    """412 when ``field`` has one of the ``refused`` values, else 200."""
    return lambda environ: "412 Precondition Failed" if environ.get(field) in refused else "200 OK"


def conditional(field: str, value: str) -> dict[str, Any]:
    return {**GET, "headers": {field: value}}


IF_MATCH = ("APP-IF-MATCH", "GET", ("If-Match",))
PUT_ONE = {"method": "PUT", "target": "/", "body": b"x"}


@pytest.mark.parametrize(
    ("etag", "refused", "sent", "expected"),
    [
        # Weak comparison: the weak tag the app gave passes, though it shows it evaluates.
        ('W/"v1"', ['"v0"'], 'W/"v1"', {IF_MATCH}),
        ('"v1"', ['"v0"'], '"v1"', set()),  # strong and equal: holds
        ('"v1"', ['"v0"'], '"v2"', {IF_MATCH}),  # fails, answered 200
        ('"v1"', [], '"v0"', set()),  # never evaluates If-Match: not reported
        ('"v1"', ['"v0"', "*"], "*", {IF_MATCH}),  # * on an existing target holds
        ('"v1"', ['"v0"', '"v1"'], '"v1"', {IF_MATCH}),  # holds, refused
        ('"v1"', ['"v0"'], '"v2", "v1"', set()),  # a list: one listed tag matches
    ],
)
def test_if_match(etag: str, refused: list[str], sent: str, expected: Fired) -> None:
    app = deciding([("ETag", etag)], refusing("HTTP_IF_MATCH", *refused))
    exchanges = run(app, GET, conditional("If-Match", '"v0"'), conditional("If-Match", sent))
    assert fired(exchanges) == expected


def kinto_if_match(environ: dict[str, Any]) -> str:
    """Kinto 26.5's If-Match: one quoted tag, compared strongly; anything else 400."""
    sent = environ.get("HTTP_IF_MATCH")
    if sent is None or sent == '"v1"':
        return "200 OK"
    one_tag = sent.startswith('"') and sent.endswith('"') and sent.count('"') == 2
    return "412 Precondition Failed" if one_tag or sent == "*" else "400 Bad Request"


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        (
            '"v0", "v1"',
            'If-Match "v0", "v1" holds (it strongly matches the target\'s ETag "v1"); the app '
            f"answered 400 with {len(BODY)} bytes",
        ),
        (
            'W/"v1"',
            'If-Match W/"v1" fails (no listed tag strongly matches the target\'s ETag "v1"); the '
            "app, which answers 412 to a failing If-Match on this target, answered 400 with "
            f"{len(BODY)} bytes instead of 412",
        ),
        (
            "*",
            "If-Match * holds (the target has a representation); the app answered 412 with "
            f"{len(BODY)} bytes",
        ),
        ('"v2"', None),  # fails, and answered 412: right
    ],
)
def test_an_if_match_refused_with_400_is_judged(sent: str, message: str | None) -> None:
    """Trial of 2026-12-07: Kinto answers an If-Match list that holds, and a weak tag that
    must fail (412), with 400. APP-IF-MATCH judged 2xx and 412 answers alone, though its
    summary says it does not let one that holds be refused."""
    app = deciding([STRONG], kinto_if_match)
    exchanges = run(app, GET, GET, conditional("If-Match", '"v0"'), conditional("If-Match", sent))
    said = messages_of("APP-IF-MATCH", exchanges[-1:])
    assert said == ([] if message is None else [message])


def test_an_if_match_refused_beside_another_condition_is_not_judged() -> None:
    """A 400 to a request that carries another condition beside If-Match may be that
    field's: only a request that differs from a plain GET by If-Match alone is judged."""
    app = deciding([STRONG], kinto_if_match)
    both = {**GET, "headers": {"If-Match": 'W/"v1"', "If-Modified-Since": "yesterday"}}
    exchanges = run(app, GET, GET, conditional("If-Match", '"v0"'), both)
    assert messages_of("APP-IF-MATCH", exchanges) == []


class Changing:
    """A target tagged by its version that a PUT changes and a DELETE removes, and whose
    If-Match is right: 412 where it fails against the current state."""

    def __init__(self) -> None:
        self.version: int | None = 1

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        environ["wsgi.input"].read()
        if method in ("DELETE", "PUT"):
            self.version = None if method == "DELETE" else (self.version or 0) + 1
            start_response("204 No Content", [])
            return []
        sent = environ.get("HTTP_IF_MATCH")
        current = None if self.version is None else f'"v{self.version}"'
        if sent is not None and (current is None or sent not in ("*", current)):
            start_response("412 Precondition Failed", [TEXT])
            return [b"failed\n"]
        if current is None:
            start_response("404 Not Found", [TEXT])
            return [b"gone\n"]
        start_response("200 OK", [TEXT, ("ETag", current)])
        return [BODY]


@pytest.mark.parametrize(
    ("change", "sent"), [({"method": "DELETE", "target": "/"}, "*"), (PUT_ONE, '"v1"')]
)
def test_a_412_to_if_match_after_a_change_is_not_held_to_the_state_before_it(
    change: dict[str, Any], sent: str
) -> None:
    """The review of 2026-12-07: a 412 to If-Match * after a DELETE (no current
    representation), or to the tag a PUT since replaced, was failed as refusing one that
    holds: the target's state was read from GETs before the change."""
    exchanges = run(Changing(), GET, GET, change, conditional("If-Match", sent))
    assert fired(exchanges) == set()


def test_the_follow_ups_send_a_strong_tag_back_weak_to_if_match() -> None:
    """WsgiDAV 4.4 compares If-Match weakly: its stale tag gets 412, the strong tag it gave
    sent back with W/ gets 200. The follow-ups ask it, and only that answer is a finding."""

    def weakly(environ: dict[str, Any]) -> str:
        sent = environ.get("HTTP_IF_MATCH")
        return "200 OK" if sent in (None, "*") or sent.removeprefix("W/") == '"v1"' else "412 Nope"

    def if_match(decide: Callable[[dict[str, Any]], str]) -> Fired:
        # (The app ignores If-None-Match, which is APP-IF-NONE-MATCH's, not asked here.)
        exchanges = ask_about(Client(deciding([STRONG], decide)))
        return {each for each in fired(exchanges) if each[0] == "APP-IF-MATCH"}

    def strongly(environ: dict[str, Any]) -> str:
        return "200 OK" if environ.get("HTTP_IF_MATCH") in (None, '"v1"', "*") else "412 Nope"

    assert if_match(weakly) == {IF_MATCH}
    assert if_match(strongly) == set()


def test_if_match_is_not_judged_on_a_state_changing_method() -> None:
    """RFC 9110 §13.1.1 lets a 2xx answer a failing If-Match when the change "appears to
    have already been applied": from outside that cannot be told from a bug."""
    app = deciding([STRONG], refusing("HTTP_IF_MATCH", '"v0"'))
    put = {"method": "PUT", "target": "/", "headers": {"If-Match": '"v2"'}, "body": b"x"}
    exchanges = run(app, GET, conditional("If-Match", '"v0"'), put)
    assert fired(exchanges) == set()
    assert "APP-IF-MATCH" not in applied(exchanges[-1:])


def test_a_tag_that_changes_with_every_answer_may_be_refused() -> None:
    """A page with a fresh token in it gets a new ETag each time: the tag it gave a moment
    ago rightly fails If-Match. The 412 (which gives no ETag) is judged only once two plain
    GETs agree on the tag."""
    served = iter(range(100))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        tag = '"v1"' if environ["PATH_INFO"] == "/steady" else f'"v{next(served)}"'
        if "HTTP_IF_MATCH" in environ:  # refuses every If-Match: right only if tags vary
            start_response("412 Precondition Failed", [TEXT])
            return [b"precondition failed\n"]
        start_response("200 OK", [TEXT, ("ETag", tag)])
        return [BODY]

    for target, expected in (("/varying", set()), ("/steady", {IF_MATCH})):
        get = {"method": "GET", "target": target}
        check = {**get, "headers": {"If-Match": '"v1"'}}
        assert fired(run(app, get, get, check)) == expected
    steady_once = {"method": "GET", "target": "/steady"}
    assert fired(run(app, steady_once, {**steady_once, "headers": {"If-Match": '"v1"'}})) == set()


def test_a_refused_star_needs_a_target_known_to_exist() -> None:
    app = deciding([STRONG], refusing("HTTP_IF_MATCH", "*"))
    assert fired(run(app, conditional("If-Match", "*"))) == set()
    assert fired(run(app, GET, conditional("If-Match", "*"))) == {IF_MATCH}


IF_UNMODIFIED = ("APP-IF-UNMODIFIED-SINCE", "GET", ("If-Unmodified-Since",))


@pytest.mark.parametrize(
    ("refused", "sent", "expected"),
    [
        ([DAY_BEFORE, LAST], LAST, {IF_UNMODIFIED}),  # equal dates hold: >= where > is meant
        ([DAY_BEFORE], LAST, set()),
        ([DAY_BEFORE], "Sat, 30 Dec 2023 00:00:00 GMT", {IF_UNMODIFIED}),  # fails, got 200
        ([], "Sat, 30 Dec 2023 00:00:00 GMT", set()),  # never evaluates it: not reported
        ([DAY_BEFORE, "yesterday"], "yesterday", set()),  # no HTTP-date: ignored (§13.1.4)
    ],
)
def test_if_unmodified_since(refused: list[str], sent: str, expected: Fired) -> None:
    app = deciding([("Last-Modified", LAST)], refusing("HTTP_IF_UNMODIFIED_SINCE", *refused))
    exchanges = run(
        app,
        GET,
        conditional("If-Unmodified-Since", DAY_BEFORE),
        conditional("If-Unmodified-Since", sent),
    )
    assert fired(exchanges) == expected


def test_if_unmodified_since_gives_way_to_if_match_and_needs_a_date() -> None:
    refuse = refusing("HTTP_IF_UNMODIFIED_SINCE", DAY_BEFORE, LAST)
    both = {**GET, "headers": {"If-Match": '"v1"', "If-Unmodified-Since": LAST}}
    exchanges = run(deciding([("Last-Modified", LAST), STRONG], refuse), GET, both)
    # If-Match holds, so If-Unmodified-Since is ignored (§13.2.2): the 412 is If-Match's
    # finding, and If-Unmodified-Since is not judged at all.
    assert fired(exchanges) == {("APP-IF-MATCH", "GET", ("If-Match", "If-Unmodified-Since"))}
    assert "APP-IF-UNMODIFIED-SINCE" not in applied(exchanges)
    undated = run(deciding([], refuse), GET, conditional("If-Unmodified-Since", LAST))
    assert fired(undated) == set()  # no Last-Modified: nothing to compare (§13.1.4)


def ranged(if_range: str, span: str = "bytes=0-0") -> dict[str, Any]:
    return {**GET, "headers": {"Range": span, "If-Range": if_range}}


def honouring(environ: dict[str, Any]) -> str:
    """Every Range gets its 206, whatever If-Range says."""
    return "206 Partial Content" if "HTTP_RANGE" in environ else "200 OK"


IF_RANGE = ("APP-IF-RANGE", "GET", ("Range", "If-Range"))
VALIDATORS = [STRONG, ("Last-Modified", LAST), ("Accept-Ranges", "bytes")]


@pytest.mark.parametrize(
    ("fields", "sent", "expected"),
    [
        (VALIDATORS, '"v0"', {IF_RANGE}),
        (VALIDATORS, '"v1"', set()),
        (VALIDATORS, 'W/"v1"', {IF_RANGE}),  # a weak tag never matches strongly
        ([("ETag", 'W/"v1"')], '"v1"', {IF_RANGE}),  # nor does a weak current one
        (VALIDATORS, DAY_BEFORE, {IF_RANGE}),  # a date matches only exactly
        (VALIDATORS, LAST, set()),  # exact: holds if the origin deems it strong
        ([("Accept-Ranges", "bytes")], '"v0"', set()),  # no validator advertised
        (VALIDATORS, '"v1", "v0"', set()),  # several tags: no If-Range
    ],
)
def test_if_range(fields: list[tuple[str, str]], sent: str, expected: Fired) -> None:
    exchanges = run(deciding(fields, honouring), GET, ranged(sent))
    assert fired(exchanges) == expected
    # What cannot be told (no validator, a date equal to Last-Modified, several tags) is no
    # evidence, not a pass; a match is a pass (audit of 2026-12-04).
    told = bool(expected) or (fields is VALIDATORS and sent == '"v1"')
    assert ("APP-IF-RANGE" in applied(exchanges)) == told


def coding_after_the_check(tag: str) -> Callable[..., list[bytes]]:
    """An app behind a compression layer that codes what the app answered: the app's ETag
    is "v1" and it honours an If-Range that matches it; the layer gzips the answer to
    ``Accept-Encoding: gzip`` (a 206 after the cut) and gives it the ETag ``tag``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        coded = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        fields = [("ETag", tag if coded else '"v1"'), ("Accept-Ranges", "bytes")]
        if coded:
            fields.append(("Content-Encoding", "gzip"))
        honoured = environ.get("HTTP_IF_RANGE", '"v1"') == '"v1"'
        if "HTTP_RANGE" in environ and honoured:
            start_response(
                "206 Partial Content",
                [TEXT, *fields, ("Content-Range", f"bytes 0-0/{len(BODY)}")],
            )
            return [BODY[:1]]
        start_response("200 OK", [TEXT, *fields])
        return [BODY]

    return app


CODED_RANGE = {"Accept-Encoding": "gzip", "Range": "bytes=0-0"}
CODED_TAG_NOTE = (
    " (the 206 has Content-Encoding: gzip: most often a compression layer that codes the "
    "range after the app checked If-Range, and gives the coded content another ETag, as "
    "Flask-Compress does, answers this way)"
)


def if_range_messages(exchanges: list[Exchange]) -> list[str]:
    return [f.message for ex in exchanges for f in check_exchange(ex) if f.rule == IF_RANGE[0]]


def test_a_coded_206_to_the_uncoded_tag_names_the_coding() -> None:
    """Flask-Compress 1.25: the app's check of If-Range "v1" held, then the layer coded the
    206 and gave it "v1-gzip"; the plain GET before showed "v1" was the uncoded tag."""
    exchanges = run(
        coding_after_the_check('"v1-gzip"'),
        GET,
        {**GET, "headers": {**CODED_RANGE, "If-Range": '"v1"'}},
    )
    (message,) = if_range_messages(exchanges)
    assert message.endswith(CODED_TAG_NOTE)


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(GET, id="a stale tag"),  # CherryPy 18: it reads no If-Range at all
        pytest.param(None, id="no earlier GET"),  # nothing shows what the app's tag was
    ],
)
def test_a_coded_206_to_a_tag_never_given_leaves_the_coding_out(
    first: dict[str, Any] | None,
) -> None:
    app = deciding([*VALIDATORS, ("Content-Encoding", "gzip")], honouring)
    ranged_request = {**GET, "headers": {**CODED_RANGE, "If-Range": '"v1-stale"'}}
    exchanges = run(app, *([first] if first else []), ranged_request)
    (message,) = if_range_messages(exchanges)
    assert message == (
        'If-Range "v1-stale" is no strong match for the ETag "v1"; the app answered 206 to the '
        "Range instead of ignoring it and sending the whole representation"
    )


def test_a_416_to_a_failing_if_range_evaluated_the_range() -> None:
    app = deciding(
        VALIDATORS,
        lambda environ: "416 Range Not Satisfiable" if "HTTP_RANGE" in environ else "200 OK",
    )
    refused_bare = ("APP-416-CONTENT-RANGE", "GET", ("Range", "If-Range"))
    assert fired(run(app, GET, ranged('"v0"'))) == {IF_RANGE, refused_bare}


IF_RANGE_MATCH = ("APP-IF-RANGE-MATCH", "GET", ("Range", "If-Range"))


def only_without_if_range(environ: dict[str, Any]) -> str:
    """Ranges only without If-Range: safe, and every resumed download starts over."""
    partial = "HTTP_RANGE" in environ and "HTTP_IF_RANGE" not in environ
    return "206 Partial Content" if partial else "200 OK"


@pytest.mark.parametrize(
    ("sent", "expected"),
    [('"v1"', {IF_RANGE_MATCH}), ('"v0"', set()), (LAST, set())],
)
def test_if_range_match(sent: str, expected: Fired) -> None:
    range_alone = {**GET, "headers": {"Range": "bytes=0-0"}}
    exchanges = run(deciding(VALIDATORS, only_without_if_range), GET, range_alone, ranged(sent))
    assert fired(exchanges) == expected
    # A date has no tag to compare: no evidence, not a pass (audit of 2026-12-04).
    assert ("APP-IF-RANGE-MATCH" in applied(exchanges)) == (sent != LAST)


def test_if_range_match_needs_the_range_alone_to_have_got_206() -> None:
    assert fired(run(deciding(VALIDATORS, only_without_if_range), GET, ranged('"v1"'))) == set()


# -- APP-ERRORS-BEFORE-CONDITIONS ----------------------------------------------------------------

ERRORS_FIRST = "APP-ERRORS-BEFORE-CONDITIONS"
MISSING = {"method": "GET", "target": "/missing"}


def missing_unless(condition: Callable[[dict[str, Any]], str | None]) -> Callable[..., Any]:
    """404 to every request, unless ``condition`` (of the environ) names another status,
    given with the ETag (and a Content-Type but to a 304) and no content."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status = condition(environ)
        if status is not None:
            start_response(status, [STRONG] if status.startswith("304") else [STRONG, TEXT])
            return []
        start_response("404 Not Found", [TEXT])
        return [b"no such page\n"]

    return app


def on_missing(field: str, value: str, **extra: Any) -> dict[str, Any]:
    return {**MISSING, "headers": {field: value}, **extra}


def ignored(exchanges: Iterable[Exchange]) -> set[str]:
    """What APP-ERRORS-BEFORE-CONDITIONS's messages name: "the app answered 304 to a GET
    with If-None-Match: "v1"" (the finding is on the plain GET after it)."""
    return {message.partition(", between")[0] for message in messages_of(ERRORS_FIRST, exchanges)}


@pytest.mark.parametrize(
    ("field", "value", "answer"),
    [
        ("If-None-Match", '"v1"', "304 Not Modified"),  # hgweb: the site's tag, any path
        ("If-Match", "*", "412 Precondition Failed"),  # Django's condition decorator
        ("If-Unmodified-Since", DAY_BEFORE, "412 Precondition Failed"),
        ("If-Modified-Since", DAY_BEFORE, "304 Not Modified"),
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_condition_answered_before_the_404_fires(
    field: str, value: str, answer: str, method: str
) -> None:
    key = "HTTP_" + field.upper().replace("-", "_")
    app = missing_unless(lambda environ: answer if key in environ else None)
    exchanges = run(app, MISSING, on_missing(field, value, method=method), MISSING)
    assert fired(exchanges) == {(ERRORS_FIRST, "GET", ())}  # on the GET after it
    (message,) = messages_of(ERRORS_FIRST, exchanges)
    code = answer[:3]
    said = (
        "a 304 says the answer would have been a 200 but for the condition"
        if code == "304"
        else "a 412 says a condition failed, where the target answers 404 whatever the conditions"
    )
    assert message == (
        f"the app answered {code} to a {method} with {field}: {value}, between two GETs of the "
        "same request without conditions that got 404: the conditions are to be ignored and "
        f"the 404 given ({said})"
    )


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        (["404 Not Found", "410 Gone"], "the plain answers differ: the app changed"),
        (["500 Internal Server Error"] * 2, "a server error may come after the conditions"),
        (["429 Too Many Requests"] * 2, "a status that comes and goes with time"),
        (["428 Precondition Required"] * 2, "asks for the conditions it then evaluates"),
        (["200 OK"] * 2, "the target exists: the other precondition rules judge it"),
        (["304 Not Modified"] * 2, "a 304 to a plain GET is no error the conditions follow"),
    ],
)
def test_errors_before_conditions_needs_the_same_redirect_or_client_error_around(
    answers: list[str], why: str
) -> None:
    """The plain GET before the conditional one and the one after it get one status, a 3xx
    or a 4xx that comes before the conditions."""
    statuses = iter([answers[0], "304 Not Modified", answers[1]])
    app = missing_unless(lambda environ: next(statuses))
    exchanges = run(app, MISSING, on_missing("If-None-Match", '"v1"'), MISSING)
    assert ERRORS_FIRST not in applied(exchanges), why


def test_errors_before_conditions_needs_a_plain_get_on_both_sides() -> None:
    app = missing_unless(
        lambda environ: "304 Not Modified" if "HTTP_IF_NONE_MATCH" in environ else None
    )
    revalidation = on_missing("If-None-Match", '"v1"')
    for requests in ([MISSING, MISSING, revalidation], [revalidation, MISSING]):
        assert ERRORS_FIRST not in applied(run(app, *requests))
    assert ignored(run(app, MISSING, revalidation, revalidation, MISSING)) == {
        'the app answered 304 to a GET with If-None-Match: "v1"'
    }


def test_a_redirect_comes_before_the_conditions_too() -> None:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH"):
            start_response("304 Not Modified", [STRONG])
            return []
        start_response("301 Moved Permanently", [TEXT, ("Location", "/missing/")])
        return [b"moved\n"]

    exchanges = run(app, MISSING, on_missing("If-None-Match", "*"), MISSING)
    assert ignored(exchanges) == {"the app answered 304 to a GET with If-None-Match: *"}


def test_the_error_given_again_passes_and_a_put_between_stops_the_judging() -> None:
    ignoring = missing_unless(lambda environ: None)
    exchanges = run(ignoring, MISSING, on_missing("If-Match", "*"), MISSING)
    assert ERRORS_FIRST in applied(exchanges)
    assert fired(exchanges) == set()
    refusing_star = missing_unless(
        lambda environ: "412 Precondition Failed" if environ.get("HTTP_IF_MATCH") else None
    )
    put = {"method": "PUT", "target": "/missing", "body": b"x"}
    exchanges = run(refusing_star, MISSING, on_missing("If-Match", "*"), put, MISSING)
    assert ERRORS_FIRST not in applied(exchanges)  # the PUT may have made the target


@pytest.mark.parametrize(
    ("config", "user"),
    [(ServerConfig(url_scheme="https"), None), (ServerConfig(), "alice")],
    ids=["https", "remote-user"],
)
def test_a_request_by_another_scheme_or_user_is_another_request(
    config: ServerConfig, user: str | None
) -> None:
    """Under ``validator`` a test suite sends requests as it likes: an app that redirects
    http to https, or answers 401 before login, rightly answers a revalidation made over
    https, or by a logged-in user, with 304."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if user is not None and environ.get("HTTP_AUTHORIZATION"):
            environ["REMOTE_USER"] = user  # the server's login, as a middleware sets it
        if environ["wsgi.url_scheme"] != "https" and "REMOTE_USER" not in environ:
            start_response("401 Unauthorized", [TEXT, ("WWW-Authenticate", "Basic")])
            return [b"log in\n"]
        start_response("304 Not Modified", [STRONG])
        return []

    plain, other = Client(app), Client(app, config=config)
    revalidation = {**on_missing("If-None-Match", '"v1"')}
    if user is not None:
        revalidation["headers"] = {**revalidation["headers"], "Authorization": "Basic eA=="}
    exchanges = in_sequence(
        [
            Exchange(plain.request(**MISSING)),
            Exchange(other.request(**revalidation)),
            Exchange(plain.request(**MISSING)),
        ]
    )
    assert ERRORS_FIRST not in applied(exchanges)


def test_the_follow_ups_ask_conditions_of_a_404_and_find_the_site_wide_tag() -> None:
    """hgweb's way: one ETag for the whole site, compared before the path is looked up. The
    questions after a 404 send the ETag the 404 gave, and the one another target gave
    (``elsewhere``)."""
    module = load(ROOT / "fixtures" / "broken" / "app_errors_before_conditions.py")
    assert ignored(ask_about(Client(module.app), "/missing")) == {
        f"the app answered 304 to a GET with If-None-Match: {module.TAG}"
    }
    # A 404 that gives no ETag: only the tag learned elsewhere shows it.
    site_tag = missing_unless(
        lambda environ: (
            "304 Not Modified" if environ.get("HTTP_IF_NONE_MATCH") == STRONG[1] else None
        )
    )
    client = Client(site_tag)
    assert fired(ask_about(client, "/missing")) == set()
    first = Exchange(client.get("/missing"))
    later = send_follow_ups(client.send, first, elsewhere=(STRONG[1], None))
    assert ignored(later) == {'the app answered 304 to a GET with If-None-Match: "v1"'}


def test_django_condition_decorator_answers_412_before_its_views_404() -> None:
    """Django 5.2's ``condition`` decorator evaluates the preconditions before the view
    runs: with no ETag for an item that does not exist, If-Match ``*`` and an
    If-Unmodified-Since fail, and it answers 412 where the view answers 404."""
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    import types

    from django.http import Http404, HttpResponse
    from django.test.utils import override_settings
    from django.urls import path
    from django.views.decorators.http import condition
    from helloworld.stacks import application_with

    items = {"a": "first item"}

    @condition(etag_func=lambda request, key: f'"{key}"' if key in items else None)
    def item(request: Any, key: str) -> HttpResponse:
        if key not in items:
            raise Http404("no such item")
        return HttpResponse(items[key], content_type="text/plain")

    urls = types.ModuleType("wsgicheck_condition_urls")
    urls.urlpatterns = [path("items/<str:key>", item)]  # type: ignore[attr-defined]
    sys.modules[urls.__name__] = urls
    try:
        with override_settings(ROOT_URLCONF=urls.__name__):
            client = Client(application_with([]))
            # The view answers any method, and the decorator evaluates If-Match and
            # If-None-Match for every method but GET and HEAD: 412 to the OPTIONS and TRACE
            # the questions ask.
            assert fired(ask_about(client, "/items/a")) == {
                (METHOD_IGNORES, "OPTIONS", ("If-None-Match",)),
                (METHOD_IGNORES, "TRACE", ("If-None-Match",)),
                (METHOD_IGNORES, "TRACE", ("If-Match",)),
            }
            found = ignored(ask_about(client, "/items/zz"))
    finally:
        del sys.modules[urls.__name__]
    assert found == {
        "the app answered 412 to a GET with If-Match: *",
        "the app answered 412 to a GET with If-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT",
    }


def test_flask_make_conditional_on_every_answer_turns_a_404_into_304_and_412() -> None:
    """A Flask recipe from the sweep of 2026-12-04: an ``after_request`` hook that tags
    and revalidates every answer. Werkzeug's ``make_conditional`` never looks at the
    status. Each question after the 404 is asked of Werkzeug's own test client first: the
    findings are exactly the 304s and 412s it gives there."""
    from flask import Flask, abort
    from flask import request as flask_request
    from werkzeug.test import Client as WerkzeugClient

    app = Flask("conditional_api")

    @app.after_request
    def revalidate(response: Any) -> Any:
        response.add_etag()
        return response.make_conditional(flask_request)

    @app.route("/items/<key>")
    def item(key: str) -> str:
        if key != "a":
            abort(404)
        return "item a"

    exchanges = ask_about(Client(app), "/items/zz")
    werkzeug = WerkzeugClient(app)
    expected = set()
    for ex in exchanges:
        headers = [(n, v) for n, v in ex.request.headers if n.lower() in PRECONDITION_NAMES]
        if headers:
            code = werkzeug.get("/items/zz", headers=headers).status_code
            if code in (304, 412):
                (name, value), *_ = headers
                expected.add(f"the app answered {code} to a GET with {name}: {value}")
    assert expected  # Werkzeug 3.1 answers If-None-Match * with 304, If-Match * with 412
    assert ignored(exchanges) == expected


PRECONDITION_NAMES = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")


@pytest.mark.parametrize("path", GOOD_APPS, ids=[path.stem for path in GOOD_APPS])
def test_every_good_app_answers_the_questions_after_an_error_cleanly(path: Path) -> None:
    app = load_app(path).app
    exchanges = ask_about(Client(app, config=NO_FILE_WRAPPER), "/wsgicheck-no-such-page")
    assert {rule for rule, _, _ in fired(exchanges)} == EXPECTED.get(path.stem, set())
    # Every good app answers a path it has no page for with a 404 (or 200 if it has one
    # for every path), and then the rule judges.
    asked = 300 <= exchanges[0].response.status_code < 500
    assert (ERRORS_FIRST in applied(exchanges)) == asked


# -- APP-METHOD-IGNORES-CONDITIONS ---------------------------------------------------------------

METHOD_IGNORES = "APP-METHOD-IGNORES-CONDITIONS"
TRACE = {"method": "TRACE", "target": "/"}


def evaluating_for_any_method(
    code: str = "412 Precondition Failed",
    validators: tuple[tuple[str, str], ...] = (STRONG,),
    plain: dict[str, str] | None = None,
) -> Callable[..., Any]:
    """200 with ``validators``, but ``code`` to any request that carries If-Match,
    If-None-Match or If-Unmodified-Since and is no GET or HEAD (Django's ``condition``
    decorator over a view of any method, CherryPy's ``tools.etags``); ``plain`` names the
    status of other methods without them (a 405)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        names = ("HTTP_IF_MATCH", "HTTP_IF_NONE_MATCH", "HTTP_IF_UNMODIFIED_SINCE")
        conditional = any(name in environ for name in names)
        method = environ["REQUEST_METHOD"]
        if conditional and method not in ("GET", "HEAD"):
            start_response(code, [TEXT, ("Allow", "GET, HEAD")])
            return [b"refused\n"]
        if plain is not None and method in plain:
            start_response(plain[method], [TEXT, ("Allow", "GET, HEAD")])
            return [b"not here\n"]
        start_response("200 OK", [*validators, TEXT])
        return [b"home\n"] if environ["REQUEST_METHOD"] != "HEAD" else []

    return app


def on(method: str, **headers: str) -> dict[str, Any]:
    return {"method": method, "target": "/", "headers": headers}


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("If-None-Match", "*"),
        ("If-Match", '"stale"'),
        ("If-Unmodified-Since", DAY_BEFORE),
    ],
)
def test_a_412_to_a_method_whose_preconditions_are_ignored_fires(
    method: str, field: str, value: str
) -> None:
    exchanges = run(evaluating_for_any_method(), on(method), on(method, **{field: value}))
    assert fired(exchanges) == {(METHOD_IGNORES, method, (field,))}
    (message,) = messages_of(METHOD_IGNORES, exchanges)
    an = "an" if method == "OPTIONS" else "a"
    assert message == (
        f"the app answered 412 to {an} {method} with {field}: {value}, where the same request "
        f"without it got 200: a server ignores the preconditions of {an} {method} (RFC 9110 "
        "§13.2.1), and the app evaluated them"
    )


@pytest.mark.parametrize(
    ("code", "value", "expected"),
    [
        ("400 Bad Request", '"v1", "v2"', {(METHOD_IGNORES, "TRACE", ("If-Match",))}),
        ("422 Unprocessable Content", "*", {(METHOD_IGNORES, "TRACE", ("If-Match",))}),
        # A field that breaks its grammar may be refused as a malformed request.
        ("400 Bad Request", "v1", set()),
        ("400 Bad Request", '"v1" "v2"', set()),
        # Not a refusal for what the request says.
        ("429 Too Many Requests", '"v1"', set()),
        ("503 Service Unavailable", '"v1"', set()),
    ],
)
def test_a_refusal_fires_only_where_every_precondition_is_well_formed(
    code: str, value: str, expected: Fired
) -> None:
    exchanges = run(evaluating_for_any_method(code), TRACE, on("TRACE", **{"If-Match": value}))
    assert fired(exchanges) == expected
    assert METHOD_IGNORES in applied(exchanges)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"v1"', {(METHOD_IGNORES, "TRACE", ("If-Range",))}),
        (DAY_BEFORE, {(METHOD_IGNORES, "TRACE", ("If-Range",))}),
        # One entity-tag or one date (RFC 9110 §13.1.5): no "*", no list.
        ("*", set()),
        ('"v1", "v2"', set()),
    ],
)
def test_a_refused_if_range_is_judged_only_where_it_is_well_formed(
    value: str, expected: Fired
) -> None:
    """The review of 2026-12-07: ``*`` and a list passed for a well-formed If-Range."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_IF_RANGE" in environ:
            start_response("400 Bad Request", [TEXT])
            return [b"bad\n"]
        start_response("200 OK", [STRONG, TEXT])
        return [b"home\n"]

    assert fired(run(app, TRACE, on("TRACE", **{"If-Range": value}))) == expected


def test_a_refusal_of_a_request_with_content_is_not_put_on_its_preconditions() -> None:
    """The review of 2026-12-07: two OPTIONS of one length, the second's JSON broken and
    refused 422; the key compares fields, not content (and ``validator`` sees no bytes)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        content = environ["wsgi.input"].read(length)
        if content and content != b'{"q":1}':
            start_response("422 Unprocessable Content", [TEXT])
            return [b"bad json\n"]
        start_response("200 OK", [STRONG, TEXT])
        return [b"home\n"]

    def options(body: bytes, **headers: str) -> dict[str, Any]:
        return {**on("OPTIONS", **headers), "body": body}

    exchanges = run(app, options(b'{"q":1}'), options(b'{"q":x}', **{"If-Match": '"v1"'}))
    assert fired(exchanges) == set()
    # A 412 comes of the conditions alone: judged, content or not.
    both = run(evaluating_for_any_method(), options(b"{}"), options(b"{}", **{"If-Match": "*"}))
    assert fired(both) == {(METHOD_IGNORES, "OPTIONS", ("If-Match",))}


@pytest.mark.parametrize(("length", "expected"), [("0", [METHOD_IGNORES]), ("5", [])])
def test_a_content_length_of_0_under_the_validator_is_no_content(
    length: str, expected: list[str]
) -> None:
    """A CONTENT_LENGTH of 0 (which some servers set on every request) is no content, and
    a 400 to a well-formed precondition is judged; a length ``validator`` cannot see past
    stays content, which may be what was refused."""
    checked = validator(evaluating_for_any_method("400 Bad Request"), collect=True)
    for headers in ({}, {"HTTP_IF_MATCH": '"v1", "v2"'}):
        environ: dict[str, Any] = {"REQUEST_METHOD": "TRACE", "CONTENT_LENGTH": length}
        environ.update(headers)
        setup_testing_defaults(environ)
        environ["wsgi.input"] = io.BytesIO(b"x" * int(length))
        body = checked(environ, lambda status, fields, exc_info=None: lambda data: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    assert [finding.rule for finding in checked.findings] == expected


def test_a_request_framed_with_content_length_0_is_no_content() -> None:
    refusing = evaluating_for_any_method("422 Unprocessable Content")
    empty = on("OPTIONS", **{"Content-Length": "0"})
    condition = on("OPTIONS", **{"Content-Length": "0", "If-Match": '"v1"'})
    exchanges = run(refusing, empty, condition)
    assert exchanges[-1].request.framing is Framing.CONTENT_LENGTH
    assert fired(exchanges) == {(METHOD_IGNORES, "OPTIONS", ("If-Match",))}


def test_a_connect_is_judged_beside_the_same_connect_under_the_validator() -> None:
    """The review of 2026-12-07: CONNECT is unsafe, and the search for the request without
    the conditions stopped at that very request. (The ``Client`` answers CONNECT itself.)"""
    checked = validator(evaluating_for_any_method(), collect=True)
    for headers in ({}, {"HTTP_IF_MATCH": '"stale"'}):
        environ: dict[str, Any] = {"REQUEST_METHOD": "CONNECT", **headers}
        setup_testing_defaults(environ)
        body = checked(environ, lambda status, fields, exc_info=None: lambda data: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()
    assert [finding.rule for finding in checked.findings] == [METHOD_IGNORES]


def test_the_request_without_its_preconditions_decides_whether_it_is_judged() -> None:
    app = evaluating_for_any_method()
    condition = on("TRACE", **{"If-None-Match": "*"})
    # None before it; one of another method; one with other fields; an unsafe request since.
    assert fired(run(app, condition)) == set()
    assert fired(run(app, GET, condition)) == set()
    other = {**TRACE, "headers": {"Accept": "text/html"}}
    assert fired(run(app, other, condition)) == set()
    assert fired(run(app, TRACE, on("POST"), condition)) == set()
    # A safe request between does not hide it; nor does another condition before it.
    assert fired(run(app, TRACE, GET, on("TRACE", **{"If-Match": "*"}), condition)) == {
        (METHOD_IGNORES, "TRACE", ("If-Match",)),
        (METHOD_IGNORES, "TRACE", ("If-None-Match",)),
    }


def test_a_method_the_rule_does_not_judge_and_an_answer_not_due_stay_silent() -> None:
    app = evaluating_for_any_method()
    # A 405 without the conditions: no 2xx to hold the 412 to.
    refusing = answering("405 Method Not Allowed", [TEXT, ("Allow", "GET")], b"no\n")
    assert fired(run(refusing, TRACE, on("TRACE", **{"If-Match": "*"}))) == set()
    # Methods that select or change a representation evaluate them (APP-IF-MATCH's).
    assert not {r for r, _, _ in fired(run(app, on("PUT"), on("PUT", **{"If-Match": '"x"'})))} & {
        METHOD_IGNORES
    }
    # With a Range, or WebDAV's If (RFC 4918 §10.4), which may fail for any method.
    for extra in ({"Range": "bytes=0-0"}, {"If": '(<urn:x> ["v1"])'}):
        assert fired(run(app, TRACE, on("TRACE", **{"If-Match": "*"}, **extra))) == set()
    # A 304 is APP-304-CONDITIONAL's alone: judged there, not passed here.
    not_modified = missing_unless(
        lambda environ: "304 Not Modified" if "HTTP_IF_MATCH" in environ else "200 OK"
    )
    exchanges = run(not_modified, TRACE, on("TRACE", **{"If-Match": "*"}))
    assert fired(exchanges) == {("APP-304-CONDITIONAL", "TRACE", ("If-Match",))}
    assert METHOD_IGNORES not in applied(exchanges)
    # The answer the conditions do not change passes, judged.
    exchanges = run(
        answering("200 OK", [STRONG, TEXT], b"x"), TRACE, on("TRACE", **{"If-None-Match": "*"})
    )
    assert fired(exchanges) == set()
    assert METHOD_IGNORES in applied(exchanges)


@pytest.mark.parametrize(
    ("validators", "expected"),
    [
        (
            (STRONG,),
            [
                ("OPTIONS", ()),
                ("OPTIONS", ("If-None-Match",)),
                ("TRACE", ()),
                ("TRACE", ("If-None-Match",)),
                ("TRACE", ("If-Match",)),
            ],
        ),
        (
            (("Last-Modified", DAY_BEFORE),),
            [
                ("OPTIONS", ()),
                ("OPTIONS", ("If-Modified-Since",)),
                ("TRACE", ()),
                ("TRACE", ("If-Unmodified-Since",)),
            ],
        ),
        ((), [("TRACE", ())]),
    ],
    ids=["etag", "last-modified", "none"],
)
def test_the_questions_after_a_get_ask_options_and_trace_plain_and_with_preconditions(
    validators: tuple[tuple[str, str], ...], expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    """Trial 5 (2026-12-07): CherryPy's ``tools.etags`` answers OPTIONS with If-None-Match
    ``*`` 412 and TRACE with a stale If-Match 412, Django's ``condition`` on a page dated
    alone TRACE with an old If-Unmodified-Since; only a TRACE with ``*`` was asked."""
    exchanges = ask_about(Client(evaluating_for_any_method(validators=validators)), "/")
    asked = [
        (ex.method, tuple(name for name, _ in ex.request.headers if name != "Host"))
        for ex in exchanges
        if ex.method in ("OPTIONS", "TRACE")
    ]
    assert asked == expected
    evaluated = {"If-Match", "If-None-Match", "If-Unmodified-Since"}
    assert {each for each in fired(exchanges) if each[0] == METHOD_IGNORES} == {
        (METHOD_IGNORES, method, names) for method, names in expected if set(names) & evaluated
    }


def test_a_412_where_the_request_without_its_preconditions_got_405_fires() -> None:
    """Trial 5: Django's ``condition`` on a class-based view's ``dispatch`` answers TRACE
    405, and 412 with If-None-Match ``*``: ignored, they would leave the 405."""
    app = evaluating_for_any_method(plain={"TRACE": "405 Method Not Allowed"})
    exchanges = run(app, TRACE, on("TRACE", **{"If-None-Match": "*"}))
    assert fired(exchanges) == {(METHOD_IGNORES, "TRACE", ("If-None-Match",))}
    (message,) = messages_of(METHOD_IGNORES, exchanges)
    assert "where the same request without it got 405:" in message
    # The same 405 with them: ignored. A 5xx or 429 without them is no answer due.
    refusing = evaluating_for_any_method("405 Method Not Allowed", plain={"TRACE": "405 No"})
    assert fired(run(refusing, TRACE, on("TRACE", **{"If-None-Match": "*"}))) == set()
    for status in ("503 Service Unavailable", "429 Too Many Requests"):
        busy = evaluating_for_any_method(plain={"TRACE": status})
        exchanges = run(busy, TRACE, on("TRACE", **{"If-None-Match": "*"}))
        assert METHOD_IGNORES not in applied(exchanges)


# -- APP-304-CONDITIONAL ---------------------------------------------------------------------

NOT_MODIFIED_ALWAYS = answering("304 Not Modified", [STRONG])


@pytest.mark.parametrize(
    ("method", "headers", "fails"),
    [
        ("GET", {"If-None-Match": '"v1"'}, False),
        ("HEAD", {"If-Modified-Since": DAY_BEFORE}, False),
        ("GET", {"If-Match": "*", "If-Modified-Since": DAY_BEFORE}, False),
        ("GET", {"If-Match": "*"}, True),  # Werkzeug's SharedDataMiddleware
        ("GET", {"If-Unmodified-Since": DAY_BEFORE}, True),
        ("HEAD", {"Range": "bytes=0-0", "If-Range": '"v1"'}, True),
        ("POST", {"If-None-Match": '"v1"'}, True),  # 412 for methods but GET and HEAD
        ("TRACE", {"If-None-Match": "*"}, True),  # preconditions ignored (RFC 9110 §13.2.1)
        ("OPTIONS", {"If-None-Match": '"v1"'}, True),
    ],
)
def test_a_304_answers_only_if_none_match_or_if_modified_since(
    method: str, headers: dict[str, str], fails: bool
) -> None:
    exchanges = run(NOT_MODIFIED_ALWAYS, {"method": method, "target": "/", "headers": headers})
    assert "APP-304-CONDITIONAL" in applied(exchanges)
    found = {rule for rule, _, _ in fired(exchanges)} & NOT_MODIFIED_RULES
    assert found == ({"APP-304-CONDITIONAL"} if fails else set())


NOT_MODIFIED_RULES = {"APP-304-CONDITIONAL", "APP-304-UNCONDITIONAL"}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_304_to_a_request_with_no_condition_is_a_should(method: str) -> None:
    """Validator audit of 2026-12-05 (Falcon's suite answers 304 unasked to test its
    framing): RFC 9110 §15.4.5 defines the 304 and says no MUST of this case, which was
    APP-304-CONDITIONAL's (a MUST) until then."""
    exchanges = run(NOT_MODIFIED_ALWAYS, {"method": method, "target": "/", "headers": {}})
    assert "APP-304-CONDITIONAL" not in applied(exchanges)
    assert {rule for rule, _, _ in fired(exchanges)} & NOT_MODIFIED_RULES == {
        "APP-304-UNCONDITIONAL"
    }
    assert messages_of("APP-304-UNCONDITIONAL", exchanges) == [
        f"the app answered 304 to a {method} that carries no condition: a 304 says an "
        "If-None-Match or If-Modified-Since evaluated false, and a client that sent neither "
        "has no stored copy to use in its place"
    ]
    assert REGISTRY["APP-304-UNCONDITIONAL"].level.value == "SHOULD"
    asked = run(NOT_MODIFIED_ALWAYS, conditional("If-None-Match", '"v1"'))
    assert "APP-304-UNCONDITIONAL" in applied(asked)
    assert messages_of("APP-304-UNCONDITIONAL", asked) == []


def test_a_304_without_its_conditions_names_what_it_carried() -> None:
    post = {"method": "POST", "target": "/", "headers": {"If-None-Match": "*"}}
    # Isso's SharedDataMiddleware (the sweep of 2026-12-05): If-Modified-Since on PROPFIND.
    propfind = {"method": "PROPFIND", "target": "/", "headers": {"If-Modified-Since": LAST}}
    # TurboGears 2.5's statics answer any other method 304 (a trial of 2026-12-06).
    bare = {"method": "POST", "target": "/", "headers": {"If-Match": "*"}}
    exchanges = run(NOT_MODIFIED_ALWAYS, conditional("If-Match", "*"), GET, post, propfind, bare)
    assert messages_of("APP-304-CONDITIONAL", exchanges) == [
        "the app answered 304 to a GET with If-Match: * and neither If-None-Match nor "
        "If-Modified-Since: 304 says one of those two evaluated false; a failing If-Match or "
        "If-Unmodified-Since gets 412, and one that holds the 200",
        "the app answered 304 to a POST with If-None-Match: *: only a GET or HEAD is answered "
        "304; another method whose precondition fails gets 412 (RFC 9110 §13.2.2)",
        f"the app answered 304 to a PROPFIND with If-Modified-Since: {LAST}: only a GET or HEAD "
        "is answered 304; another method ignores If-Modified-Since (RFC 9110 §13.1.3)",
        "the app answered 304 to a POST with If-Match: *: only a GET or HEAD is answered 304; "
        "a 304 tells a client that its stored copy of a GET's answer still serves",
    ]


def test_werkzeug_shared_data_answers_if_match_with_304(tmp_path: Path) -> None:
    """Werkzeug 3.1's ``is_resource_modified`` reads a failing If-Match as "not modified"
    (``unmodified = not if_match.is_strong(etag)``, false for ``*`` too), and
    ``SharedDataMiddleware`` answers it 304. Asked of Werkzeug's own test client first, so
    the finding is expected exactly where the installed Werkzeug answers so."""
    from werkzeug.middleware.shared_data import SharedDataMiddleware
    from werkzeug.test import Client as WerkzeugClient

    (tmp_path / "two.txt").write_bytes(b"hi")
    app = SharedDataMiddleware(answering("404 Not Found", [TEXT], b"no\n"), {"/s": str(tmp_path)})
    werkzeug_says = WerkzeugClient(app).get("/s/two.txt", headers={"If-Match": "*"}).status_code
    exchanges = ask_about(Client(app, config=NO_FILE_WRAPPER), "/s/two.txt")
    found = {
        (method, names) for rule, method, names in fired(exchanges) if rule == "APP-304-CONDITIONAL"
    }
    # The stale If-Match beside a Range too, and the questions to OPTIONS and TRACE (any
    # method gets 304).
    expected = {
        ("GET", ("If-Match",)),
        ("GET", ("Range", "If-Match")),
        ("OPTIONS", ("If-Modified-Since",)),
        ("OPTIONS", ("If-None-Match",)),
        ("TRACE", ("If-None-Match",)),
        ("TRACE", ("If-Match",)),
    }
    assert found == (expected if werkzeug_says == 304 else set())


# -- APP-405-ALLOW-LISTS-GET -----------------------------------------------------------------

LISTS_GET = "APP-405-ALLOW-LISTS-GET"


def refusing_other_methods(allow: str, get: str = "200 OK") -> Callable[..., list[bytes]]:
    """``get`` to GET and HEAD, 405 with Allow ``allow`` to any other method."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] in ("GET", "HEAD"):
            start_response(get, [TEXT])
            return [BODY]
        start_response("405 Method Not Allowed", [TEXT, ("Allow", allow)])
        return [b"no\n"]

    return app


@pytest.mark.parametrize(
    ("allow", "expected"),
    [
        ("OPTIONS", {(LISTS_GET, "TRACE", ())}),
        ("POST, OPTIONS", {(LISTS_GET, "TRACE", ())}),
        ("get, head", {(LISTS_GET, "TRACE", ())}),  # methods are case-sensitive (§9.1)
        ("GET, HEAD, OPTIONS", set()),
        ("HEAD,GET", set()),
    ],
)
def test_a_405_whose_allow_leaves_out_a_get_that_worked_fires(allow: str, expected: Fired) -> None:
    """A trial of 2026-12-08: Tryton 8.2 answers TRACE / with 405 and ``Allow: OPTIONS``,
    where GET / got 200 (its static layer answers GET, its router the rest)."""
    exchanges = run(refusing_other_methods(allow), GET, {"method": "TRACE", "target": "/"})
    assert fired(exchanges) == expected
    assert LISTS_GET in applied(exchanges[1:])
    if expected:
        (message,) = messages_of(LISTS_GET, exchanges)
        assert message == (
            f"the app answered TRACE / with 405 and Allow: {allow}, where a GET of it with the "
            "same fields got 200: GET is a method the target supports, and a 405's Allow "
            "lists them all (RFC 9110 §15.5.6)"
        )


@pytest.mark.parametrize(
    "requests",
    [
        # No GET before it; a GET with other fields; a GET of another target.
        [{"method": "TRACE", "target": "/"}],
        [{**GET, "headers": {"Accept": "text/html"}}, {"method": "TRACE", "target": "/"}],
        [{"method": "GET", "target": "/other"}, {"method": "TRACE", "target": "/"}],
        # An unsafe request since the GET may have changed what the target supports.
        [GET, {"method": "DELETE", "target": "/"}, {"method": "TRACE", "target": "/"}],
    ],
    ids=["no-get", "other-fields", "other-target", "changed-since"],
)
def test_a_405_is_judged_beside_the_same_get_alone(requests: list[dict[str, Any]]) -> None:
    exchanges = run(refusing_other_methods("OPTIONS"), *requests)
    assert LISTS_GET not in applied(exchanges[-1:])


def test_a_405_verdict_made_beside_a_get_is_not_kept_for_the_405_alone() -> None:
    """A review of 2026-12-08: the engine kept the verdict made beside the GET for the same
    405 with no history (a drawn lone request was then shown as the example, and its
    replays showed nothing); in either order, each is judged on its own history."""
    app = refusing_other_methods("POST")
    client = Client(app)
    odd = {"method": "0", "target": "/"}
    with_get = list(in_sequence([Exchange(client.request(**GET)), Exchange(client.request(**odd))]))
    alone = Exchange(client.request(**odd))
    for first, second in ((with_get[-1], alone), (alone, with_get[-1])):
        found = [[f.rule for f in check_exchange(ex)] for ex in (first, second)]
        by_history = {
            ex is alone: LISTS_GET in rules
            for ex, rules in zip((first, second), found, strict=True)
        }
        assert by_history == {True: False, False: True}


def test_a_405_beside_a_get_that_failed_or_with_an_empty_allow_is_not_judged() -> None:
    trace = {"method": "TRACE", "target": "/"}
    failed = run(refusing_other_methods("OPTIONS", get="404 Not Found"), GET, trace)
    assert LISTS_GET not in applied(failed[-1:])
    # An empty Allow: the resource may have been disabled since (RFC 9110 §10.2.1).
    assert LISTS_GET not in applied(run(refusing_other_methods(""), GET, trace)[-1:])


# -- APP-RANGE-UNIT-IGNORED ------------------------------------------------------------------

UNIT = "APP-RANGE-UNIT-IGNORED"
ITEMS = {**GET, "headers": {"Range": "items=0-1"}}


def unit_app(status: str, fields: list[tuple[str, str]], plain: list[tuple[str, str]]) -> Any:
    """An app that answers a plain GET 200 with ``plain`` fields, any Range with ``status``
    and ``fields``."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if "HTTP_RANGE" in environ:
            start_response(status, [TEXT, *fields])
            return [b"ab"] if status.startswith("206") else []
        start_response("200 OK", [TEXT, *plain])
        return [BODY]

    return app


ACCEPTS_BYTES = [("Accept-Ranges", "bytes")]


@pytest.mark.parametrize(
    ("status", "fields", "plain", "verdict"),
    [
        # Bottle's static_file: 416, no Content-Range; the 200 said bytes alone.
        ("416 Range Not Satisfiable", [], ACCEPTS_BYTES, "fail"),
        ("416 Range Not Satisfiable", ACCEPTS_BYTES, [], "fail"),
        ("416 Range Not Satisfiable", [("Accept-Ranges", "none")], [], "fail"),
        # Read as a byte range: its Content-Range says bytes.
        ("206 Partial Content", [("Content-Range", "bytes 0-1/12")], [], "fail"),
        # A unit of its own, understood: said so in Content-Range or Accept-Ranges.
        ("206 Partial Content", [("Content-Range", "items 0-1/10")], [], "pass"),
        ("416 Range Not Satisfiable", [], [("Accept-Ranges", "bytes, items")], "pass"),
        # Nothing said of the units: no verdict.
        ("416 Range Not Satisfiable", [], [], "skip"),
        # Starlette 1.10's StaticFiles: 400 to a unit it does not know, where the same GET
        # without the Range gets 200 and says bytes; bepasty 1.2's REST download says
        # nothing, and a unit it understood would get 206 or 416, never 400.
        ("400 Bad Request", [], ACCEPTS_BYTES, "fail"),
        ("400 Bad Request", [("Content-Range", "bytes */12")], ACCEPTS_BYTES, "fail"),
        ("400 Bad Request", [], [("Accept-Ranges", "bytes, items")], "pass"),
        ("400 Bad Request", [], [], "fail"),
    ],
)
def test_a_range_in_a_unit_the_app_does_not_understand_is_ignored(
    status: str, fields: list[tuple[str, str]], plain: list[tuple[str, str]], verdict: str
) -> None:
    """App sweep of 2026-12-05: pypiserver (Bottle's static_file) answers Range: items=0-1
    with 416; RFC 9110 §14.2 has the origin server ignore a unit it does not understand."""
    exchanges = run(unit_app(status, fields, plain), GET, ITEMS)
    judged = UNIT in applied(exchanges)
    found = messages_of(UNIT, exchanges)
    assert ("skip" if not judged else "fail" if found else "pass") == verdict
    if verdict == "fail":
        assert found[0].startswith(f"the app answered {status[:3]} to Range items=0-1, in a ")
    if not fields and not plain and verdict == "fail":
        assert "(it said nothing of its units)" in found[0]


def test_a_400_a_condition_beside_the_range_may_have_caused_is_not_judged() -> None:
    """Review of 2026-12-05: an app that ignores an unknown unit but refuses an unreadable
    date (Paste's 400 to If-Modified-Since: yesterday) was said to refuse the unit."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_MODIFIED_SINCE") == "yesterday":
            start_response("400 Bad Request", [TEXT])
            return [b"bad date\n"]
        start_response("200 OK", [TEXT, *ACCEPTS_BYTES])
        return [BODY]

    both = {**GET, "headers": {"Range": "items=0-1", "If-Modified-Since": "yesterday"}}
    exchanges = run(app, GET, both, ITEMS)
    assert [ex.response.status_code for ex in exchanges] == [200, 400, 200]
    assert UNIT not in applied(exchanges[:2])
    assert fired(exchanges) == set()


def coded(content: bytes) -> Callable[..., list[bytes]]:
    """Answers OPTIONS 405 with ``content`` gzip-coded and no Content-Type, as Django's
    GZipMiddleware codes WhiteNoise's streamed 405."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = gzip.compress(content, mtime=0)
        start_response(
            "405 Method Not Allowed",
            [("Allow", "GET, HEAD"), ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")],
        )
        return [body]

    return app


def test_a_coding_of_nothing_needs_no_content_type() -> None:
    """Review of 2026-12-05: twenty bytes of gzip that decode to nothing are no
    representation whose media type anyone knows (RFC 9110 §8.3); a coding of something
    still is."""
    options = {"method": "OPTIONS", "target": "/"}
    assert "APP-CONTENT-TYPE" not in {rule for rule, _, _ in fired(run(coded(b""), options))}
    assert ("APP-CONTENT-TYPE", "OPTIONS", ()) in fired(run(coded(b"not allowed\n"), options))


def test_bottle_and_werkzeug_refuse_an_unknown_range_unit(tmp_path: Path) -> None:
    """Bottle 0.13's static_file (pypiserver's files) reads only ``bytes=`` and answers
    anything else 416, with no Content-Range but Accept-Ranges: bytes on its 200;
    Werkzeug 3.1's make_conditional (Flask's send_file) parses any unit and answers 416
    with Content-Range: bytes */N."""
    import bottle
    from werkzeug.wrappers import Request as WerkzeugRequest
    from werkzeug.wrappers import Response as WerkzeugResponse

    (tmp_path / "two.txt").write_bytes(b"two lines\nof text\n")
    static = bottle.Bottle()
    static.route("/two.txt")(lambda: bottle.static_file("two.txt", root=str(tmp_path)))
    with warnings.catch_warnings():
        # Bottle opens the file before it refuses the Range, and never closes it.
        warnings.simplefilter("ignore", ResourceWarning)
        exchanges = run(static, {**GET, "target": "/two.txt"}, {**ITEMS, "target": "/two.txt"})
        gc.collect()
    tail = "a Range in an unknown unit is ignored, and the whole representation sent"
    # The 416 carries no Accept-Ranges: the message says where it was said (a trial of
    # 2026-12-07 read it as said in the 416).
    assert messages_of(UNIT, exchanges) == [
        "the app answered 416 to Range items=0-1, in a unit it does not understand (it said "
        f"Accept-Ranges: bytes in its 200 to the GET): {tail}"
    ]

    @WerkzeugRequest.application
    def conditional_app(request: WerkzeugRequest) -> WerkzeugResponse:
        response = WerkzeugResponse(b"two lines\nof text\n", mimetype="text/plain")
        return response.make_conditional(request, accept_ranges=True, complete_length=18)

    assert messages_of(UNIT, run(conditional_app, GET, ITEMS)) == [
        "the app answered 416 to Range items=0-1, in a unit it does not understand (it said "
        f"Content-Range: bytes */18): {tail}"
    ]


# -- real apps, through the follow-up questions ------------------------------------------------


#: Werkzeug's range support (``_RangeWrapper``) closes ``iter(iterable)``, not the iterable:
#: with a ``wsgi.file_wrapper`` whose iterator is not the wrapper itself (PEP 3333 does not
#: ask that it be; its own sample's is not), the file of a 206 is left for the garbage
#: collector. Werkzeug's assumption, not a wsgicheck bug (see test_streams); not what these
#: tests are about, and without a file_wrapper Flask's send_file closes its file.
NO_FILE_WRAPPER = ServerConfig(file_wrapper=False)


def load_good(name: str) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
        return load(GOOD / f"{name}.py").app


def asked_about(name: str, target: str, coding: str | None) -> list[Exchange]:
    headers = {"Accept-Encoding": coding} if coding else None
    with warnings.catch_warnings():
        # Django's ConditionalGetMiddleware answers a failing If-Match / If-Unmodified-Since
        # with a new 412 response and drops WhiteNoise's, file open, without closing it:
        # the app never hands that response to the server, so no WSGI rule can see it.
        warnings.simplefilter("ignore", ResourceWarning)
        client = Client(load_good(name), config=NO_FILE_WRAPPER)
        exchanges = ask_about(client, target, headers=headers)
        gc.collect()  # the dropped response sits in a reference cycle
    return exchanges


@pytest.mark.parametrize(
    ("name", "target"),
    [("flasketagapp", "/"), ("djangoetagapp", "/hello"), ("djangoetagapp", "/static/site.css")],
)
@pytest.mark.parametrize("coding", [None, "gzip"])
def test_correct_conditional_apps_stay_clean(name: str, target: str, coding: str | None) -> None:
    exchanges = asked_about(name, target, coding)
    found = fired(exchanges)
    if target.startswith("/static/"):
        # WhiteNoise 6 serves ranges without saying so, and the range questions find its
        # own faults: a 416 to bytes=0-0 (`if start >= end`), and If-Range never read. The
        # rest of its answers are correct (its empty 416s need no Content-Type).
        assert {
            (rule, tuple(n for n in names if n != "Accept-Encoding"))
            for rule, _, names in found
            if "Range" in names
        } == WHITENOISE_RANGE_FAULTS
        found = unranged(found)
    if name == "flasketagapp" and werkzeug_refuses_if_match_star():
        sent = ("Accept-Encoding",) if coding else ()
        found -= {("APP-IF-MATCH", "GET", (*sent, "If-Match"))}  # Werkzeug's, asked for
    if name == "flasketagapp" and werkzeug_lets_if_match_decide():
        sent = ("Accept-Encoding",) if coding else ()
        found -= {("APP-IF-NONE-MATCH", "GET", (*sent, "If-Match", "If-None-Match"))}
    assert found == set()
    assert [ex.response.status_code for ex in exchanges][:3] == [200, 200, 304]
    assert {"APP-HEAD-LIKE-GET", "APP-CONTENT-TYPE"} <= applied(exchanges)


def werkzeug_refuses_if_match_star() -> bool:
    """Whether the installed Werkzeug answers ``If-Match: *`` on a file that exists with 412
    (3.1's ``make_conditional`` compares it with ``ETags.is_strong``, false for ``*``),
    asked of Werkzeug's own test client."""
    from werkzeug.test import Client as WerkzeugClient

    response = WerkzeugClient(load_good("flasketagapp")).get("/", headers={"If-Match": "*"})
    response.close()
    return response.status_code == 412


def werkzeug_lets_if_match_decide() -> bool:
    """Whether the installed Werkzeug answers a GET whose If-Match and If-None-Match both
    hold the page's own strong ETag with 200, asked of Werkzeug's own test client: 3.1's
    ``is_resource_modified`` lets If-Match overrule If-None-Match, where RFC 9110 §13.2.2
    evaluates both (If-Match holds, If-None-Match fails: 304)."""
    from werkzeug.test import Client as WerkzeugClient

    client = WerkzeugClient(load_good("flasketagapp"))
    whole = client.get("/")
    whole.close()
    tag = whole.headers["ETag"]
    both = client.get("/", headers={"If-Match": tag, "If-None-Match": tag})
    both.close()
    return both.status_code == 200


def werkzeug_serves_ranges_first() -> bool:
    """Whether the installed Werkzeug answers a Range with 206 although If-None-Match holds
    the file's own ETag, asked of Werkzeug's own test client: 3.1's ``make_conditional``
    serves the range and then skips the preconditions."""
    from werkzeug.test import Client as WerkzeugClient

    client = WerkzeugClient(load_good("flasketagapp"))
    whole = client.get("/site.css")
    whole.close()
    tag = whole.headers["ETag"]
    ranged = client.get("/site.css", headers={"Range": "bytes=0-0", "If-None-Match": tag})
    ranged.close()
    return ranged.status_code == 206


def werkzeug_refuses_unknown_units() -> bool:
    """Whether the installed Werkzeug answers a Range in a unit it does not know with 416,
    asked of Werkzeug's own test client: 3.1's ``parse_range_header`` takes any unit and
    ``make_conditional`` refuses what is not bytes."""
    from werkzeug.test import Client as WerkzeugClient

    response = WerkzeugClient(load_good("flasketagapp")).get(
        "/site.css", headers={"Range": "items=0-0"}
    )
    response.close()
    return response.status_code == 416


def werkzeug_honours_weak_if_ranges() -> bool:
    """Whether the installed Werkzeug serves a range on an If-Range holding the file's tag
    sent back weak, asked of Werkzeug's own test client: 3.1's ``is_resource_modified``
    unquotes the If-Range tag and drops its weakness, where RFC 9110 §13.1.5 wants a strong
    match (a weak tag never is one)."""
    from werkzeug.test import Client as WerkzeugClient

    client = WerkzeugClient(load_good("flasketagapp"))
    whole = client.get("/site.css")
    whole.close()
    tag = whole.headers["ETag"]
    response = client.get(
        "/site.css", headers={"Range": "bytes=0-0", "If-Range": "W/" + tag.removeprefix("W/")}
    )
    response.close()
    return response.status_code == 206


def werkzeug_refuses_long_suffixes() -> bool:
    """Whether the installed Werkzeug answers a suffix range longer than the file with 416,
    asked of Werkzeug's own test client: 3.1's ``Range.range_for_length`` adds the suffix
    to the length, gets a negative start and finds no valid range, where RFC 9110 §14.1.2
    serves the whole representation."""
    from werkzeug.test import Client as WerkzeugClient

    client = WerkzeugClient(load_good("flasketagapp"))
    whole = client.get("/site.css")
    length = len(whole.data)
    whole.close()
    response = client.get("/site.css", headers={"Range": f"bytes=-{length + 1}"})
    response.close()
    return response.status_code == 416


@pytest.mark.parametrize("coding", [None, "gzip"])
def test_flask_send_file_is_clean_but_for_werkzeugs_range_first(coding: str | None) -> None:
    """``send_file(conditional=True)`` keeps every rule, except where Werkzeug serves a
    Range before If-None-Match, If-Match and If-Modified-Since (RFC 9110 §13.2.2 evaluates
    them first): the follow-ups send each beside ``Range: bytes=0-0``, and the three rules
    find it; where it refuses ``If-Match: *`` on the file, which the follow-ups ask too; and
    where If-Match holding its tag overrules an If-None-Match holding it too (the app
    sweep of 2026-12-05)."""
    exchanges = asked_about("flasketagapp", "/site.css", coding)
    sent = ("Accept-Encoding",) if coding else ()
    expected = (
        {
            ("APP-IF-NONE-MATCH", "GET", (*sent, "Range", "If-None-Match")),
            ("APP-IF-MATCH", "GET", (*sent, "Range", "If-Match")),
            ("APP-IF-MODIFIED-SINCE", "GET", (*sent, "Range", "If-Modified-Since")),
        }
        if werkzeug_serves_ranges_first()
        else set()
    )
    if werkzeug_lets_if_match_decide():
        expected.add(("APP-IF-NONE-MATCH", "GET", (*sent, "If-Match", "If-None-Match")))
    if werkzeug_refuses_if_match_star():
        expected.add(("APP-IF-MATCH", "GET", (*sent, "If-Match")))
    if werkzeug_refuses_unknown_units():
        expected.add(("APP-RANGE-UNIT-IGNORED", "GET", (*sent, "Range")))
    if werkzeug_refuses_long_suffixes():
        expected.add(("APP-416-SATISFIABLE", "GET", (*sent, "Range")))
    if werkzeug_honours_weak_if_ranges():
        expected.add(("APP-IF-RANGE", "GET", (*sent, "Range", "If-Range")))
    assert fired(exchanges) == expected
    assert [ex.response.status_code for ex in exchanges][:3] == [200, 200, 304]
    assert {"APP-HEAD-LIKE-GET", "APP-CONTENT-TYPE"} <= applied(exchanges)


def test_a_range_is_asked_for_where_the_app_offers_ranges() -> None:
    exchanges = ask_about(Client(load_good("flasketagapp"), config=NO_FILE_WRAPPER), "/site.css")
    ranged = [ex for ex in exchanges if ex.request.header_values("Range")]
    # The range alone, with If-Range holding the ETag (206 again), with a stale tag (200),
    # with the ETag sent back weak (200; Werkzeug 3.1 serves the range: APP-IF-RANGE), then
    # beside If-None-Match with the ETag (304), If-Match with a stale tag (412) and
    # If-Modified-Since with the Last-Modified (304), unless the range is served first (206
    # to all three); then ranges no representation
    # satisfies (bytes=LENGTH- and bytes=-0), which Werkzeug refuses with 416 and its
    # Content-Range: bytes */LENGTH; one whose last-pos is past the end, served to the end,
    # and a suffix longer than the file, the whole of it (Werkzeug 3.1 refuses it:
    # APP-416-SATISFIABLE); the first two bytes; the last byte; two bytes with a gap between
    # them (Werkzeug 3.1 serves one range only, and refuses a set with 416, which is not
    # judged: a server may refuse a set as too many); the first byte with the unit in
    # capitals; a unit it does not know (which Werkzeug 3.1 refuses:
    # APP-RANGE-UNIT-IGNORED).
    after = [206, 206, 206] if werkzeug_serves_ranges_first() else [304, 412, 304]
    unknown = 416 if werkzeug_refuses_unknown_units() else 200
    suffix = 416 if werkzeug_refuses_long_suffixes() else 206
    weak = 206 if werkzeug_honours_weak_if_ranges() else 200
    statuses = [206, 206, 200, weak, *after, 416, 416, 206, suffix, 206, 206, 416, 206, unknown]
    assert [ex.response.status_code for ex in ranged] == [*statuses, 206]
    length = len(ranged[0].history[0].response.body) if ranged[0].history else None
    refused = [ex.response.header("content-range") for ex in ranged[-10:-8]]
    assert refused == [f"bytes */{length}"] * 2
    assert ranged[-8].response.header("content-range") == f"bytes 1-{length - 1}/{length}"
    assert ranged[-7].request.header_values("Range") == [f"bytes=-{length + 1}"]
    assert ranged[-6].response.header("content-range") == f"bytes 0-1/{length}"
    assert (
        ranged[-5].response.header("content-range") == f"bytes {length - 1}-{length - 1}/{length}"
    )
    assert ranged[-4].request.header_values("Range") == ["bytes=0-0,2-2"]
    assert ranged[-3].response.header("content-range") == f"bytes 0-0/{length}"
    assert ranged[-2].request.header_values("Range") == ["items=0-0"]
    # The whole as a range with codings accepted: all of it, uncoded (no compression here).
    assert ranged[-1].response.header("content-range") == f"bytes 0-{length - 1}/{length}"
    assert {"APP-206-CONTENT-RANGE", "APP-IF-RANGE", "APP-416-CONTENT-RANGE"} <= applied(ranged)
    ranges = {
        "APP-206-CONTENT-RANGE",
        "APP-206-RANGE-ASKED",
        "APP-416-SATISFIABLE",
        "APP-416-CONTENT-RANGE",
    }
    found = {rule for rule, _, _ in fired(exchanges)} & ranges
    assert found == ({"APP-416-SATISFIABLE"} if suffix == 416 else set())


def test_pyramid_static_view_refuses_a_long_suffix_and_takes_a_later_if_range(
    tmp_path: Path,
) -> None:
    """App sweep of 2026-12-05, Pyramid 2.1's ``static_view`` (WebOb 1.8): a suffix range
    longer than the file is the whole file (RFC 9110 §14.1.2), and WebOb answers it 416;
    an If-Range date is a match only when equal to Last-Modified (§13.1.5), and WebOb serves
    the range to any date not before it. The follow-ups ask both on every run, where only
    some seeds' drawn requests did. WebOb reads ``bytes=-0`` as ``bytes=0-``, and answers
    If-Modified-Since beside an If-None-Match that no tag of its (it has none) matches with
    304 (both seen with curl under waitress too)."""
    from pyramid.config import Configurator

    (tmp_path / "hello.txt").write_bytes(b"x" * 950)
    with Configurator() as config:
        config.add_static_view("static", str(tmp_path))
        app = config.make_wsgi_app()
    with warnings.catch_warnings():
        # WebOb 1.8 leaves some of the files it opens for these answers unclosed (collected
        # with a ResourceWarning from its own iter_close): not what this test is about.
        warnings.simplefilter("ignore", ResourceWarning)
        exchanges = ask_about(Client(app), "/static/hello.txt")
        gc.collect()
    assert fired(exchanges) == {
        ("APP-416-SATISFIABLE", "GET", ("Range",)),
        ("APP-IF-RANGE", "GET", ("Range", "If-Range")),
        ("APP-206-RANGE-ASKED", "GET", ("Range",)),
        # Its files have no ETag, and a stale one beside the current date gets 304.
        ("APP-IF-NONE-MATCH-MISS", "GET", ("If-None-Match", "If-Modified-Since")),
    }
    assert messages_of("APP-416-SATISFIABLE", exchanges)[0].startswith(
        "the app answered 416 to Range bytes=-951, which a representation of 950 bytes"
    )
    # And a suffix of none, which no representation satisfies, with the whole file in a 206.
    assert messages_of("APP-206-RANGE-ASKED", exchanges) == [
        "the app answered Range bytes=-0 with a 206 (Content-Range bytes 0-949/950), but no "
        "byte of a representation of 950 bytes satisfies that range (RFC 9110 §14.1.2): a "
        "416 or a 200 answers it"
    ]


def gzip_in_front_of_whitenoise() -> Any:
    from helloworld.stacks import application_with

    return application_with(
        [
            "django.middleware.gzip.GZipMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
        ]
    )


def test_gzip_middleware_in_front_of_whitenoise_is_found() -> None:
    """The 304 that WhiteNoise gives a revalidation with gzip accepted goes through
    GZipMiddleware, which compresses its empty content into a gzip body and labels it."""
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    exchanges = ask_about(Client(gzip_in_front_of_whitenoise()), "/static/site.css")
    revalidation = ("If-None-Match", "Accept-Encoding")
    # (WhiteNoise's own range faults: see test_correct_conditional_apps_stay_clean.)
    assert unranged(fired(exchanges)) == {
        ("APP-NO-BODY-FOR-STATUS", "GET", revalidation),
        ("APP-304-METADATA", "GET", revalidation),
        # WhiteNoise compares If-None-Match with its ETag as one string: `*` and a list that
        # holds the tag get the whole file (see the test below).
        ("APP-IF-NONE-MATCH", "GET", ("If-None-Match",)),
        # GZipMiddleware looks for the word gzip alone: it codes for "gzip;q=0" too.
        ("APP-CODING-ACCEPTED", "GET", ("Accept-Encoding",)),
    }
    # The body is a gzip member of nothing, its header padded with a random file name; the
    # finding names what most often makes one.
    [message] = messages_of("APP-NO-BODY-FOR-STATUS", exchanges)
    assert re.fullmatch(
        r"a 304 with \d+ bytes of body \(Content-Encoding: gzip, and the bytes decode to "
        r"nothing: most often a compression layer that codes every stream whatever its status, "
        r"as Django's GZipMiddleware does\)",
        message,
    ), message


def test_gzip_middleware_in_front_of_whitenoise_weakens_the_tag_it_then_ignores() -> None:
    """With gzip accepted from the start, GZipMiddleware weakens WhiteNoise's ETag; WhiteNoise
    compares If-None-Match strongly, so the weak tag the client was given gets a 200."""
    load_good("djangoetagapp")
    client = Client(gzip_in_front_of_whitenoise())
    exchanges = ask_about(client, "/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert unranged(fired(exchanges)) == {
        ("APP-IF-NONE-MATCH", "GET", ("Accept-Encoding", "If-None-Match")),
        ("APP-IF-NONE-MATCH", "HEAD", ("Accept-Encoding", "If-None-Match")),
        ("APP-NO-BODY-FOR-STATUS", "GET", ("Accept-Encoding", "If-Modified-Since")),
        ("APP-304-METADATA", "GET", ("Accept-Encoding", "If-Modified-Since")),
        # (WhiteNoise's 405 to OPTIONS is streamed, and GZipMiddleware codes any stream: a
        # gzip of nothing and no Content-Type, which no representation lacks.)
    }


def test_the_gzip_304_is_found_over_a_real_socket() -> None:
    load_good("djangoetagapp")
    records: list[Response] = []
    done = threading.Condition()

    def record(response: Response) -> None:
        with done:
            records.append(response)
            done.notify_all()

    with live_server(gzip_in_front_of_whitenoise(), on_exchange=record) as server:
        connection = http.client.HTTPConnection(server.host, server.port, timeout=TIMEOUT)
        try:
            connection.request("GET", "/static/site.css")
            first = connection.getresponse()
            first.read()
            tag = first.getheader("ETag")
            assert tag is not None
            connection.request(
                "GET", "/static/site.css", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"}
            )
            second = connection.getresponse()
            assert second.status == 304
            assert second.read() == b""  # the server dropped the body (SRV-NO-BODY-DROP)
        finally:
            connection.close()
        with done:
            assert done.wait_for(lambda: len(records) == 2, timeout=TIMEOUT)
    exchanges = in_sequence([Exchange(record, source="socket") for record in records])
    assert {(finding.rule) for ex in exchanges for finding in check_exchange(ex)} == {
        "APP-NO-BODY-FOR-STATUS",
        "APP-304-METADATA",
    }


def test_the_validator_applies_the_single_exchange_http_rules() -> None:
    load_good("djangoetagapp")
    checked = validator(gzip_in_front_of_whitenoise(), collect=True)
    client = Client(checked)
    tag = client.get("/static/site.css").header("etag")
    assert tag is not None
    client.get("/static/site.css", headers={"If-None-Match": tag, "Accept-Encoding": "gzip"})
    assert {finding.rule for finding in checked.findings} == {
        "APP-NO-BODY-FOR-STATUS",
        "APP-304-METADATA",
    }


# -- against wsgiref.validate's check_content_type --------------------------------------------

STATUSES = ["200 OK", "302 Found", "404 Not Found", "204 No Content", "205 Reset Content"]
STATUSES += ["304 Not Modified"]
#: Where wsgiref.validate and wsgicheck part, on purpose: wsgiref asserts no Content-Type in a
#: 204, but RFC 9110 §15.3.5 has a 204's metadata describe the target's representation; and
#: it asks a 205 for one, which RFC 9110 §15.3.6 forbids any content.
WSGIREF_ONLY = {("204 No Content", True), ("205 Reset Content", False)}


def wsgiref_asserts(status: str, headers: list[tuple[str, str]]) -> bool:
    try:
        check_content_type(status, headers)
    except AssertionError:
        return True
    return False


def test_the_validator_flags_what_wsgiref_content_type_check_asserts() -> None:
    """The same app, under wsgiref's check and under ``wsgicheck.validator``, GET and HEAD."""
    parted = set()
    for status in STATUSES:
        for typed in (False, True):
            headers = [TEXT] if typed else []
            # With a byte of content: an empty answer needs no Content-Type here (wsgicheck's
            # reading of RFC 9110 §8.3), where wsgiref asserts one;
            # test_content_type_is_asked_... pins that.
            checked = validator(answering(status, headers, b"x"), collect=True)
            client = Client(checked)
            client.get("/")
            client.head("/")
            ours = {f.rule for f in checked.findings} & {"APP-CONTENT-TYPE", "APP-304-METADATA"}
            if wsgiref_asserts(status, headers) != bool(ours):
                parted.add((status, typed))
    assert parted == WSGIREF_ONLY


@pytest.mark.parametrize("path", GOOD_APPS, ids=[path.stem for path in GOOD_APPS])
def test_every_good_app_answers_the_follow_up_questions_cleanly(path: Path) -> None:
    app = load_app(path).app
    exchanges = ask_about(Client(app, config=NO_FILE_WRAPPER), OK_PATH.get(path.stem, "/"))
    expected = EXPECTED.get(path.stem, set())
    if path.stem == "flasketagapp" and werkzeug_refuses_if_match_star():
        expected = {*expected, "APP-IF-MATCH"}  # Werkzeug's 412 to If-Match: *, asked for
    if path.stem == "flasketagapp" and werkzeug_lets_if_match_decide():
        expected = {*expected, "APP-IF-NONE-MATCH"}  # its 200 where If-None-Match fails
    assert {rule for rule, _, _ in fired(exchanges)} == expected
    assert exchanges[0].response.status_code == 200
    assert {"APP-HEAD-LIKE-GET", "APP-CONTENT-TYPE"} <= applied(exchanges)


# -- what real libraries get wrong, found by these rules --------------------------------------


def test_werkzeug_refuses_if_match_star_on_a_page_that_exists() -> None:
    """Werkzeug's make_conditional compares If-Match with ``ETags.is_strong``, which is
    false for ``*``: a page that exists answers ``If-Match: *`` with 412."""
    exchanges = run(load_good("flasketagapp"), GET, conditional("If-Match", "*"))
    assert [ex.response.status_code for ex in exchanges] == [200, 412]
    assert fired(exchanges) == {IF_MATCH}


def test_werkzeug_serves_a_range_before_it_evaluates_if_match() -> None:
    """RFC 9110 §13.2.2 evaluates If-Match first; Werkzeug's send_file processes Range
    first, so a failing If-Match with a Range gets the 206 (without Range, the 412)."""
    client = Client(load_good("flasketagapp"), config=NO_FILE_WRAPPER)
    stale = {"If-Match": '"v0"'}
    sent = [client.get("/site.css"), client.get("/site.css", headers=stale)]
    sent.append(client.get("/site.css", headers={**stale, "Range": "bytes=0-0"}))
    exchanges = list(in_sequence([Exchange(response) for response in sent]))
    assert [ex.response.status_code for ex in exchanges] == [200, 412, 206]
    assert fired(exchanges) == {("APP-IF-MATCH", "GET", ("If-Match", "Range"))}


def whitenoise_alone() -> Any:
    load_good("djangoetagapp")  # puts the helloworld project on sys.path
    from helloworld.stacks import application_with

    return application_with(["whitenoise.middleware.WhiteNoiseMiddleware"])


def test_whitenoise_compares_if_none_match_as_one_string() -> None:
    """WhiteNoise answers 304 only when If-None-Match equals its ETag character for
    character: ``*`` and a list holding the tag (RFC 9110 §13.1.2) get the whole file."""
    client = Client(whitenoise_alone())
    tag = client.get("/static/site.css").header("etag")
    assert tag is not None
    for value in ("*", f'"other", {tag}'):
        exchanges = ask_first(client, "/static/site.css", {"If-None-Match": value})
        assert [ex.response.status_code for ex in exchanges] == [200, 200]
        assert fired(exchanges) == {("APP-IF-NONE-MATCH", "GET", ("If-None-Match",))}


def test_whitenoise_serves_a_range_whatever_if_range_says() -> None:
    """WhiteNoise never reads If-Range: a client resuming an old copy of a file gets the
    bytes of the new one spliced in (RFC 9110 §13.1.5: MUST ignore Range then)."""
    exchanges = ask_first(
        Client(whitenoise_alone()), "/static/site.css", {"Range": "bytes=0-1", "If-Range": '"v0"'}
    )
    assert [ex.response.status_code for ex in exchanges] == [200, 206]
    assert fired(exchanges) == {IF_RANGE}


def ask_first(client: Client, target: str, headers: dict[str, str]) -> list[Exchange]:
    """GET ``target``, then GET it with ``headers``: the two exchanges, linked."""
    first = Exchange(client.get(target))
    return list(in_sequence([first, Exchange(client.get(target, headers=headers))]))


def bottle_static(root: Path) -> Any:
    """Bottle's ``static_file`` serving ``root``: under ``/auto/`` with the ETag Bottle makes,
    under ``/tagged/`` with one the app gives it, quoted."""
    import bottle

    (root / "site.css").write_text("body { color: red }\n")
    app = bottle.Bottle()
    app.route("/auto/<name>", callback=lambda name: bottle.static_file(name, root=str(root)))
    app.route(
        "/tagged/<name>",
        callback=lambda name: bottle.static_file(name, root=str(root), etag='"site-v1"'),
    )
    return app


def status_without_wsgicheck(app: Any, target: str, headers: dict[str, str]) -> str:
    """The status ``app`` answers a GET of ``target`` with, called directly."""
    environ: dict[str, Any] = {"PATH_INFO": target}
    setup_testing_defaults(environ)
    environ.update(
        {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    )
    said: list[str] = []
    body = app(environ, lambda status, fields, exc_info=None: said.append(status))
    getattr(body, "close", lambda: None)()
    return said[0]


def test_bottle_static_file_reads_the_date_beside_a_stale_tag(tmp_path: Path) -> None:
    """Bottle 0.13.4's ``static_file`` compares If-None-Match with ``==`` and, when that
    fails, goes on to If-Modified-Since: a stale tag beside the file's own date gets 304
    (RFC 9110 §13.1.3 ignores the date). Fixed upstream after 0.13.4 (bottlepy/bottle#1538),
    so the finding is expected exactly when Bottle itself, called without wsgicheck, answers
    that request with 304."""
    app = bottle_static(tmp_path)
    client = Client(app)
    modified = client.get("/tagged/site.css").header("last-modified")
    assert modified is not None
    stale = {"If-None-Match": '"site-v0"', "If-Modified-Since": modified}
    exchanges = ask_first(client, "/tagged/site.css", stale)
    reads_the_date = status_without_wsgicheck(app, "/tagged/site.css", stale).startswith("304")
    assert fired(exchanges) == (
        {("APP-IF-NONE-MATCH-MISS", "GET", ("If-None-Match", "If-Modified-Since"))}
        if reads_the_date
        else set()
    )


def test_bottle_static_file_s_own_etag_is_checked_for_quotes(tmp_path: Path) -> None:
    """Bottle 0.13.4 sends the SHA-1 it computes as the ETag with no double quotes round it
    (bottlepy/bottle#1538): expected exactly when the tag it sends has none."""
    response = Client(bottle_static(tmp_path)).get("/auto/site.css")
    tag = response.header("etag") or ""
    assert tag
    expected = set() if tag.startswith('"') else {("APP-ETAG-SYNTAX", "GET", ())}
    assert fired([Exchange(response)]) == expected


def test_a_405_without_allow_names_the_method_as_one() -> None:
    """From the app sweep of 2026-12-04: "the 405 to 0 has no Allow field" read as a
    number; a drawn method is a token, and the message says it is the method."""
    app = answering("405 Method Not Allowed", [TEXT], b"no")
    messages = messages_of("APP-405-ALLOW", run(app, {"method": "0", "target": "/"}))
    assert messages == ["the 405 to method 0 has no Allow field"]


@pytest.mark.parametrize(
    ("status", "fields", "messages"),
    [
        (
            "302 Found",
            [TEXT],
            [
                "the 302 to GET / has no Location field: a client is sent elsewhere with "
                "nowhere to go (RFC 9110 §15.4.3)"
            ],
        ),
        (
            "308 Permanent Redirect",
            [TEXT],
            [
                "the 308 to GET / has no Location field: a client is sent elsewhere with "
                "nowhere to go (RFC 9110 §15.4.9)"
            ],
        ),
        ("301 Moved Permanently", [TEXT, ("Location", "/new")], []),
        ("307 Temporary Redirect", [TEXT, ("Location", "")], []),  # an empty URI reference
        ("303 See Other", [TEXT], []),  # RFC 9110 §15.4.4: no keyword
        ("300 Multiple Choices", [TEXT], []),  # §15.4.1: only for a preferred choice
        ("200 OK", [TEXT], []),
    ],
)
def test_a_redirection_says_where_to_go(
    status: str, fields: list[tuple[str, str]], messages: list[str]
) -> None:
    app = answering(status, fields, b"elsewhere")
    assert messages_of("APP-REDIRECT-LOCATION", run(app, GET)) == messages


#: What each Location the rule refuses is told of: the fault after "it ".
LOCATION_FAULTS = {
    "/a b/": "holds a space, which a URI carries as %20",
    "/caf\xc3\xa9/": "holds 'Ã', which is not ASCII: a URI carries it percent-encoded (its "
    "bytes as latin-1 text spell UTF-8, as PATH_INFO holds them: "
    "quote(text.encode('latin-1')))",
    "/caf\xe9/": "holds 'é', which is not ASCII: a URI carries it percent-encoded "
    "(urllib.parse.quote)",
    "/a|b": "holds '|', which a URI carries only as %7C",
    '/say"hi"': "holds '\"', which a URI carries only as %22",
    "/50%": "holds a '%' that two hex digits do not follow (a '%' itself is sent as %25)",
    "/%zz": "holds a '%' that two hex digits do not follow (a '%' itself is sent as %25)",
    "/a#b#c": "holds a second '#', which a fragment carries only as %23",
    "1st:page": "has a ':' in its first segment that ends no scheme (a letter, then letters, "
    "digits, '+', '-' or '.'): a relative path that holds one starts with './'",
}


@pytest.mark.parametrize(("location", "fault"), LOCATION_FAULTS.items())
def test_a_location_that_is_no_uri_reference_is_told_why(location: str, fault: str) -> None:
    app = answering("302 Found", [TEXT, ("Location", location)], b"elsewhere")
    assert messages_of("APP-LOCATION-SYNTAX", run(app, GET)) == [
        f"Location {quoted(location)} is not a URI reference: it {fault}; clients repair such "
        "a value each in its own way, or refuse it"
    ]


@pytest.mark.parametrize(
    "location",
    [
        "http://localhost/caf%C3%A9/",
        "/a%20b/",
        "",
        "../up?q=1&r=%2F#frag",
        "mailto:a@example.com",
        "/x?f[a]=1",  # Django's iri_to_uri leaves brackets in a query
        "./a:b",
        "http://[::1]:8000/",
        "/a\x1bb",  # APP-HEADER-VALUE-NO-CONTROL's alone
        "/a\tb",  # that rule's too
        "/\u2603",  # past latin-1: APP-STATUS-HEADERS-LATIN1's
        "/\ud800",
    ],
)
def test_a_uri_reference_passes_as_a_location(location: str) -> None:
    app = answering("301 Moved Permanently", [TEXT, ("Location", location)], b"moved")
    assert messages_of("APP-LOCATION-SYNTAX", run(app, GET)) == []


def test_a_location_that_relays_a_target_the_client_spelled_wrong_is_not_judged() -> None:
    """Django 5.2's LocaleMiddleware (under django-cms 5.1) answers GET /?% with Location:
    /en/?% (a trial of 2026-12-07): the '%' is the client's. The same answer to a target
    that is a URI reference is the app's."""

    def locale_redirect(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        query = environ.get("QUERY_STRING", "")
        location = "/en" + environ["PATH_INFO"] + ("?" + query if query else "")
        start_response("302 Found", [TEXT, ("Location", location.replace("~", "%"))])
        return [b"elsewhere"]

    assert messages_of("APP-LOCATION-SYNTAX", run(locale_redirect, {**GET, "target": "/?%"})) == []
    told = messages_of("APP-LOCATION-SYNTAX", run(locale_redirect, {**GET, "target": "/?~"}))
    assert told == [
        "Location '/en/?%' is not a URI reference: it holds a '%' that two hex digits do not "
        "follow (a '%' itself is sent as %25); clients repair such a value each in its own way, "
        "or refuse it"
    ]


def redirects_back(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Bottle's ``redirect(request.get_header("Referer"))``: back where the client came from,
    and a space after "back" of its own."""
    referer = environ.get("HTTP_REFERER", "/")
    location = referer + " back" if environ["PATH_INFO"] == "/own" else referer
    start_response("302 Found", [TEXT, ("Location", location)])
    return [b"elsewhere"]


def redirects_to_own_host(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """WebOb's ``host_url``: the Host in lower case, its default port dropped."""
    host = environ["HTTP_HOST"].lower().removesuffix(":80")
    start_response("301 Moved Permanently", [TEXT, ("Location", f"http://{host}/new")])
    return [b"moved"]


@pytest.mark.parametrize("host", ["x|y", "x|y:80", "X|Y:80"])
def test_a_location_that_relays_the_host_the_client_sent_is_not_judged(host: str) -> None:
    """A trial of 2026-12-07: Pyramid (WebOb) answers ``Host: x|y:80`` with
    ``Location: http://x|y/new``; the '|' is the client's."""
    response = Client(redirects_to_own_host).send(Request(headers=(("Host", host),)))
    assert response.status_code == 301
    assert messages_of("APP-LOCATION-SYNTAX", [Exchange(response)]) == []


@pytest.mark.parametrize(
    ("host", "location", "fault"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1/a b", "holds a space"),  # an authority
        ("10.0.0.5:80", "http://10.0.0.5/new/a b", "holds a space"),
        ("[::1]:80", "http://[::1]/a b", "holds a space"),
        ("my_host:80", "http://my_host/caf\xc3\xa9", "holds 'Ã'"),
        ("x|y:80", "http://x|y/a b", "holds '|'"),  # the client's '|', the app's space
        ("|:80", "/new/a|b", "holds '|'"),  # not in the authority's place
        ("%:80", "/100%", "holds a '%'"),
    ],
)
def test_the_host_excuses_no_fault_of_the_app_s_own(host: str, location: str, fault: str) -> None:
    """A review of 2026-12-07: a Host that is an authority (with a port, an IP address) is
    no fault, and one that is none excuses only itself, in the authority's place."""

    def redirects(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("301 Moved Permanently", [TEXT, ("Location", location)])
        return [b"moved"]

    response = Client(redirects).send(Request(headers=(("Host", host),)))
    [message] = messages_of("APP-LOCATION-SYNTAX", [Exchange(response)])
    assert message.startswith(f"Location {quoted(location)} is not a URI reference: it {fault}")


@pytest.mark.parametrize(
    ("target", "referers", "messages"),
    [
        ("/", ["http://localhost/a b"], []),  # the client's space
        ("/", ["", "-again"], []),  # two lines, joined ", -again" in the environ
        ("/", ["http://localhost/ok"], []),
        (
            "/own",
            ["http://localhost/ok"],
            [
                "Location 'http://localhost/ok back' is not a URI reference: it holds a space, "
                "which a URI carries as %20; clients repair such a value each in its own way, or "
                "refuse it"
            ],
        ),
    ],
)
def test_a_location_that_relays_a_request_field_the_client_spelled_wrong_is_not_judged(
    target: str, referers: list[str], messages: list[str]
) -> None:
    """A review of 2026-12-07: drawn Referer fields made Bottle, Flask and Pyramid apps that
    redirect back to them fail; the fault is the client's."""
    client = Client(redirects_back)
    headers = (("Host", "localhost"), *(("Referer", each) for each in referers))
    response = client.send(Request(target=target, headers=headers))
    assert messages_of("APP-LOCATION-SYNTAX", [Exchange(response)]) == messages


def test_the_slash_appending_redirects_of_werkzeug_and_pyramid_are_uri_references() -> None:
    """Werkzeug's and Pyramid's own redirects to the path with a slash added percent-encode
    it: the rule is silent on both, for a path with a space and a character beyond ASCII."""
    flask_app = Flask(__name__)
    flask_app.add_url_rule("/caf\xe9 x/", "page", lambda: "ok")
    with Configurator() as config:
        config.add_route("page", "/caf\xe9 x/")
        config.add_view(lambda request: PyramidResponse("ok"), route_name="page")
        config.add_notfound_view(lambda request: PyramidResponse(status=404), append_slash=True)
        pyramid_app = config.make_wsgi_app()
    for app, status in ((flask_app, 308), (pyramid_app, 307)):
        response = Client(app).get("/caf%C3%A9%20x")
        assert response.status_code == status
        assert (response.header("location") or "").endswith("/caf%C3%A9%20x/")
        assert [f.rule for f in check_exchange(Exchange(response))] == []


@pytest.mark.parametrize(
    ("fields", "messages"),
    [
        (
            [TEXT],
            [
                "the 401 to GET / has no WWW-Authenticate field: a client cannot tell how "
                "to authenticate"
            ],
        ),
        (
            [TEXT, ("WWW-Authenticate", "")],
            [
                "the 401's WWW-Authenticate '' holds no challenge: "
                "one starts with its auth-scheme, a token (Basic, "
                "Bearer)"
            ],
        ),
        ([TEXT, ("WWW-Authenticate", 'Bearer realm="api"')], []),
        ([TEXT, ("WWW-Authenticate", "Negotiate")], []),
        ([TEXT, ("WWW-Authenticate", "Negotiate, NTLM")], []),
        (
            [TEXT, ("WWW-Authenticate", 'realm="api"')],
            [
                "the 401's WWW-Authenticate 'realm=\"api\"' holds no challenge: one starts "
                "with its auth-scheme, a token (Basic, Bearer)"
            ],
        ),
    ],
)
def test_a_401_says_how_to_authenticate(fields: list[tuple[str, str]], messages: list[str]) -> None:
    """Tryton's REST endpoint answered 401 with no WWW-Authenticate (a trial of 2026-12-07;
    RFC 9110 §15.5.2 makes it a MUST)."""
    app = answering("401 Unauthorized", fields, b"log in first")
    assert messages_of("APP-401-CHALLENGE", run(app, GET)) == messages
