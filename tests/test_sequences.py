"""The follow-up questions after a GET (:mod:`wsgicheck.explore.sequences`)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable
from datetime import timezone
from email.utils import parsedate_to_datetime
from typing import Any

import pytest

import wsgicheck.explore.runner
from rulekit import BROKEN, load
from wsgicheck import Client
from wsgicheck.explore.examples import _elsewhere, _known
from wsgicheck.explore.explorer import Learned
from wsgicheck.explore.runner import RunOptions, run
from wsgicheck.explore.sequences import FollowUps, ask_about, follow_ups, send_follow_ups
from wsgicheck.model.learned import made
from wsgicheck.model.request import From, LearnedField, Request
from wsgicheck.model.response import Response
from wsgicheck.rules import Exchange, check_exchange, in_sequence
from wsgicheck.rules.engine import HISTORY

TAG = '"v1"'
STALE = '"v1-stale"'
LAST = "Mon, 01 Jan 2024 00:00:00 GMT"
DAY_BEFORE = "Sun, 31 Dec 2023 00:00:00 GMT"
DAY_AFTER = "Tue, 02 Jan 2024 00:00:00 GMT"
DAY_AFTER = "Tue, 02 Jan 2024 00:00:00 GMT"


def answering(status: str, headers: list[tuple[str, str]]) -> Callable[..., list[bytes]]:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status, [("Content-Type", "text/plain"), *headers])
        return [b"hello\n"]

    return app


def asked(requests: list[Request]) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [
        (request.method, tuple(item for item in request.headers if item[0] != "Host"))
        for request in requests
    ]


def ranged_findings(exchanges: Iterable[Exchange]) -> set[tuple[str, str | None]]:
    """(rule, the Range the request sent) of every finding over ``exchanges``."""
    return {
        (f.rule, dict(f.request.headers).get("Range"))
        for ex in exchanges
        for f in check_exchange(ex)
        if f.request
    }


def test_a_get_with_validators_and_ranges_is_followed_by_every_question() -> None:
    client = Client(
        answering("200 OK", [("ETag", TAG), ("Last-Modified", LAST), ("Accept-Ranges", "bytes")])
    )
    response = client.get("/page", headers={"Accept": "text/plain", "If-None-Match": '"old"'})
    assert asked(follow_ups(response.request, response)) == [
        ("HEAD", (("Accept", "text/plain"),)),
        ("GET", (("Accept", "text/plain"), ("If-None-Match", TAG))),
        ("GET", (("Accept", "text/plain"), ("If-Modified-Since", LAST))),
        ("GET", (("Accept", "text/plain"), ("If-None-Match", "*"))),
        ("GET", (("Accept", "text/plain"), ("If-None-Match", f'{STALE}, W/"v1"'))),
        ("HEAD", (("Accept", "text/plain"), ("If-None-Match", TAG))),  # HEAD as GET
        ("GET", (("Accept", "text/plain"),)),
        ("GET", (("Accept", "text/plain"), ("If-None-Match", STALE), ("If-Modified-Since", LAST))),
        ("GET", (("Accept", "text/plain"), ("Accept-Encoding", "gzip"))),
        ("HEAD", (("Accept", "text/plain"), ("Accept-Encoding", "gzip"))),
        ("GET", (("Accept", "text/plain"), ("If-None-Match", TAG), ("Accept-Encoding", "gzip"))),
        ("GET", (("Accept", "text/plain"), ("Accept-Encoding", "gzip"))),
        ("GET", (("Accept", "text/plain"), ("Accept-Encoding", "gzip;q=0"))),  # gzip refused
        ("GET", (("Accept", "application/json"),)),  # another type, in place of the GET's
        ("GET", (("Accept", "application/json"),)),
        ("GET", (("Accept", "text/plain"), ("Accept-Language", "de"))),
        ("GET", (("Accept", "text/plain"), ("Accept-Language", "de"))),
        ("GET", (("Accept", "text/plain"),)),  # the GET after the other choices
        ("GET", (("Accept", "text/plain"), ("If-Match", STALE))),
        ("GET", (("Accept", "text/plain"), ("If-Match", TAG))),
        ("GET", (("Accept", "text/plain"), ("If-Match", f"W/{TAG}"))),  # must fail: strong
        ("GET", (("Accept", "text/plain"), ("If-Match", "*"))),  # holds: the target exists
        ("GET", (("Accept", "text/plain"), ("If-Unmodified-Since", DAY_BEFORE))),
        ("GET", (("Accept", "text/plain"), ("If-Unmodified-Since", LAST))),
        ("GET", (("Accept", "text/plain"), ("If-Unmodified-Since", DAY_AFTER))),  # holds too
        ("GET", (("Accept", "text/plain"), ("If-Modified-Since", DAY_BEFORE))),  # no 304
        # The date in the two obsolete forms a recipient reads as well, then no date.
        (
            "GET",
            (("Accept", "text/plain"), ("If-Modified-Since", "Monday, 01-Jan-24 00:00:00 GMT")),
        ),
        ("GET", (("Accept", "text/plain"), ("If-Modified-Since", "Mon Jan  1 00:00:00 2024"))),
        ("GET", (("Accept", "text/plain"), ("If-Modified-Since", "yesterday"))),
        ("GET", (("Accept", "text/plain"), ("If-Unmodified-Since", "yesterday"))),
        # If-Match holds, If-None-Match fails: 304 (Werkzeug lets If-Match decide: 200).
        ("GET", (("Accept", "text/plain"), ("If-Match", TAG), ("If-None-Match", TAG))),
        # OPTIONS and TRACE, plain (the answer due) and with preconditions they ignore.
        ("OPTIONS", (("Accept", "text/plain"),)),
        ("OPTIONS", (("Accept", "text/plain"), ("If-Modified-Since", LAST))),
        ("OPTIONS", (("Accept", "text/plain"), ("If-None-Match", "*"))),
        ("TRACE", (("Accept", "text/plain"),)),
        ("TRACE", (("Accept", "text/plain"), ("If-None-Match", "*"))),
        ("TRACE", (("Accept", "text/plain"), ("If-Match", STALE))),
        ("TRACE", (("Accept", "text/plain"), ("If-Unmodified-Since", LONG_AGO))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-Range", TAG))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-Range", STALE))),
        # Its tag sent back weak: a weak tag never matches strongly (RFC 9110 §13.1.5).
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-Range", f"W/{TAG}"))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-None-Match", TAG))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-Match", STALE))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0"), ("If-Modified-Since", LAST))),
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=6-"))),  # at the length: unsatisfiable
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=-0"))),  # a suffix of none: too
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=1-6"))),  # past the end: the rest
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=-7"))),  # a suffix past it: all
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-1"))),  # an end inside it
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=-1"))),  # the last byte alone
        ("GET", (("Accept", "text/plain"), ("Range", "bytes=0-0,2-2"))),  # two, a gap between
        ("GET", (("Accept", "text/plain"), ("Range", "BYTES=0-0"))),  # units ignore case
        ("GET", (("Accept", "text/plain"), ("Range", "items=0-0"))),  # a unit to ignore
        # The whole as a range, with codings: a compression layer past its minimum size.
        (
            "GET",
            (("Accept", "text/plain"), ("Range", "bytes=0-"), ("Accept-Encoding", "gzip, deflate")),
        ),
        ("GET", (("Accept", "text/plain"),)),  # again: the 206s judged beside steady 200s
    ]
    assert {request.target for request in follow_ups(response.request, response)} == {"/page"}
    # The GET they follow stays in the history of the last of them (the rules over pairs
    # look no further back than HISTORY exchanges).
    assert len(follow_ups(response.request, response)) < HISTORY


def test_ranges_no_representation_satisfies_catch_a_bare_416_and_a_206_to_none() -> None:
    """From the app sweep of 2026-12-03: Bottle's 416 had no Content-Range, and CherryPy
    answers bytes=-0 with a 206 of 'bytes 650-649/650'; the run asked only bytes=0-0."""
    body = b"0123456789"

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        ranges = environ.get("HTTP_RANGE", "")
        headers = [("Content-Type", "text/plain"), ("Accept-Ranges", "bytes")]
        if ranges == "bytes=-0":  # CherryPy 18.10's: the suffix of none as the last byte on
            start_response("206 Partial Content", [*headers, ("Content-Range", "bytes 10-9/10")])
            return []
        if ranges.startswith("bytes=10-"):  # Bottle 0.13's: no Content-Range
            start_response("416 Range Not Satisfiable", [("Content-Type", "text/plain")])
            return []
        start_response("200 OK", headers)
        return [body]

    client = Client(app)
    response = client.get("/file")
    exchanges = in_sequence(
        [
            Exchange(response),
            *(Exchange(client.send(each)) for each in follow_ups(response.request, response)),
        ]
    )
    found = ranged_findings(exchanges)
    assert found == {
        ("APP-416-CONTENT-RANGE", "bytes=10-"),
        ("APP-206-CONTENT-RANGE", "bytes=-0"),
    }


def test_a_range_past_the_end_is_asked_and_a_416_to_it_fails() -> None:
    """From the app sweep of 2026-12-04: httpbin's /range/N answers 416 to any range whose
    last-pos is at or past the length (``last_byte_pos not in range(0, numbytes)``), where
    RFC 9110 §14.1.2 reads it as "the remainder"; none of the questions had such a range."""
    body = b"0123456789"

    def httpbin_like(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = [("Content-Type", "text/plain"), ("ETag", TAG), ("Accept-Ranges", "bytes")]
        first, _, last = environ.get("HTTP_RANGE", "bytes=").partition("=")[2].partition("-")
        if first.isdigit() and last.isdigit():
            if int(last) >= len(body):
                refused = [*headers, ("Content-Range", f"bytes */{len(body)}")]
                start_response("416 Range Not Satisfiable", refused)
                return []
            part = f"bytes {first}-{last}/{len(body)}"
            start_response("206 Partial Content", [*headers, ("Content-Range", part)])
            return [body[int(first) : int(last) + 1]]
        start_response("200 OK", headers)
        return [body]

    exchanges = ask_about(Client(httpbin_like), "/range/10")
    found = {each for each in ranged_findings(exchanges) if each[0].startswith("APP-416")}
    assert found == {("APP-416-SATISFIABLE", "bytes=1-10")}


def test_a_range_that_ends_inside_the_file_catches_a_body_never_cut_at_its_end() -> None:
    """From the app audit of 2026-12-05: WhiteNoise 5.3 (Graphite-web's) answers
    ``bytes=0-0`` with 416 (``if start >= end``) and any other range by seeking to its start
    and sending the rest of the file under the range's Content-Length; every range asked
    either hit the 416 or ran to the end, so APP-CL-ACCURATE (a MUST) passed."""
    body = b"0123456789"

    def whitenoise_53(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = [("Content-Type", "text/plain"), ("ETag", TAG), ("Last-Modified", LAST)]
        first, _, last = environ.get("HTTP_RANGE", "bytes=").partition("=")[2].partition("-")
        if first.isdigit() and last.isdigit():
            start, end = int(first), min(int(last), len(body) - 1)
            if start >= end:
                refused = [*headers, ("Content-Range", f"bytes */{len(body)}")]
                start_response("416 Range Not Satisfiable", refused)
                return []
            part = [("Content-Range", f"bytes {start}-{end}/{len(body)}")]
            length = [("Content-Length", str(end - start + 1))]
            start_response("206 Partial Content", [*headers, *part, *length])
            return [body[start:]]  # seeked to the start, never cut at the end
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    exchanges = ask_about(Client(whitenoise_53), "/static/app.js")
    found = {
        each
        for each in ranged_findings(exchanges)
        if each[0] in ("APP-CL-ACCURATE", "APP-416-SATISFIABLE")
    }
    assert found == {
        ("APP-416-SATISFIABLE", "bytes=0-0"),
        ("APP-416-SATISFIABLE", "BYTES=0-0"),
        ("APP-CL-ACCURATE", "bytes=0-1"),
    }


def test_ranges_are_asked_of_a_file_that_never_says_it_serves_them() -> None:
    """From the app sweep of 2026-12-04: whitenoise 6.12 serves ranges without an
    Accept-Ranges, and answers 416 to bytes=0-0 (``if start >= end``); a client may ask
    for a range whatever the answer said (RFC 9110 §14.3). An answer with a validator is
    asked; one that says ``Accept-Ranges: none``, or has no validator, is not."""
    body = b"0123456789"

    def whitenoise_like(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        headers = [("Content-Type", "text/plain"), ("ETag", TAG)]
        ranges = environ.get("HTTP_RANGE", "")
        if ranges.startswith("bytes=0-0"):
            start_response("416 Range Not Satisfiable", [*headers, ("Content-Range", "bytes */10")])
            return []
        start_response("200 OK", headers)
        return [body]

    client = Client(whitenoise_like)
    response = client.get("/static/app.js")
    exchanges = in_sequence(
        [
            Exchange(response),
            *(Exchange(client.send(each)) for each in follow_ups(response.request, response)),
        ]
    )
    found = {
        (f.rule, dict(f.request.headers).get("Range"), dict(f.request.headers).get("If-Range"))
        for ex in exchanges
        for f in check_exchange(ex)
        if f.request
    }
    # (This app ignores If-None-Match, and answers 416 where a stale If-Range asks for all,
    # and its tag sent back weak.)
    assert found == {
        ("APP-416-SATISFIABLE", "bytes=0-0", None),
        ("APP-IF-RANGE", "bytes=0-0", STALE),
        ("APP-IF-RANGE", "bytes=0-0", f"W/{TAG}"),
        ("APP-IF-NONE-MATCH", None, None),
    }
    for fields in ([("ETag", TAG), ("Accept-Ranges", "none")], [("Content-Type", "text/plain")]):
        plain = Client(answering("200 OK", fields)).get("/")
        questions = asked(follow_ups(plain.request, plain))
        assert not [each for each in questions if any(n == "Range" for n, _ in each[1])]


def test_a_weak_tag_is_sent_back_strong_in_the_list_and_never_in_if_range() -> None:
    """Weak comparison must match the tag with its weakness flipped; a client never sends a
    weak tag in If-Range (RFC 9110 §13.1.5), so the range is guarded by the date."""
    headers = [("ETag", 'W/"v1"'), ("Last-Modified", LAST), ("Accept-Ranges", "bytes")]
    response = Client(answering("200 OK", headers)).get("/")
    questions = asked(follow_ups(response.request, response))
    assert ("GET", (("If-None-Match", f'{STALE}, "v1"'),)) in questions
    ranged = [fields for _, fields in questions if ("Range", "bytes=0-0") in fields]
    assert ranged == [
        (("Range", "bytes=0-0"),),
        (("Range", "bytes=0-0"), ("If-Range", DAY_BEFORE)),
        (("Range", "bytes=0-0"), ("If-Range", DAY_AFTER)),  # only the exact date holds
        (("Range", "bytes=0-0"), ("If-None-Match", 'W/"v1"')),
        (("Range", "bytes=0-0"), ("If-Match", STALE)),
        (("Range", "bytes=0-0"), ("If-Modified-Since", LAST)),
    ]
    # A weak tag fails If-Match (strong comparison): no question of both tags holding.
    assert not [fields for _, fields in questions if ("If-Match", 'W/"v1"') in fields[1:]]


def test_a_get_without_validators_is_followed_by_head_itself_and_other_choices() -> None:
    response = Client(answering("200 OK", [])).get("/", headers={"Accept-Encoding": "br"})
    fields = (("Accept-Encoding", "br"),)
    json = ("GET", (*fields, ("Accept", "application/json")))
    german = ("GET", (*fields, ("Accept-Language", "de")))
    assert asked(follow_ups(response.request, response)) == [
        ("HEAD", fields),
        ("GET", fields),
        json,
        json,
        german,
        german,
        ("GET", fields),
        ("TRACE", fields),  # a 405 to it lists GET (APP-405-ALLOW-LISTS-GET)
    ]


def test_the_other_choices_are_other_than_the_answers() -> None:
    """HTML asked of a JSON answer, English of a German one: another choice, whatever the
    answer was."""
    request = Request(method="GET", target="/", headers=(("Accept-Encoding", "br"),))
    headers = [("Content-Type", "application/json; charset=utf-8"), ("Content-Language", "de")]
    response = Response(request, 200, "OK", headers, b"{}", True, None, [])
    choices = [fields[1:] for _, fields in asked(follow_ups(request, response))[2:-2]]
    assert choices == [(("Accept", "text/html"),)] * 2 + [(("Accept-Language", "en"),)] * 2


def test_another_success_is_asked_again_with_gzip_accepted() -> None:
    """Paste's gzipper answers a 204 with Content-Length: 0 when gzip is accepted only (a
    trial of 2026-12-06: APP-CL-FORBIDDEN met on no seed of eight)."""
    for status in ("204 No Content", "201 Created"):
        response = Client(answering(status, [])).get("/none")
        assert asked(follow_ups(response.request, response)) == [
            ("GET", (("Accept-Encoding", "gzip"),))
        ]
        gzipped = Client(answering(status, [])).get("/none", headers={"Accept-Encoding": "br"})
        assert follow_ups(gzipped.request, gzipped) == []


def test_nothing_follows_other_methods_or_statuses() -> None:
    for status in ("500 Internal Server Error", "206 Partial", "304 Not Modified", "429 Slow"):
        response = Client(answering(status, [("ETag", TAG)])).get("/")
        assert follow_ups(response.request, response) == [], status
    posted = Client(answering("200 OK", [("ETag", TAG)])).post("/", body=b"x")
    assert follow_ups(posted.request, posted) == []
    missing = Client(answering("404 Not Found", [])).head("/")
    assert follow_ups(missing.request, missing) == []


LONG_AGO = "Sun, 06 Nov 1994 08:49:37 GMT"
MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


@pytest.mark.parametrize("status", ["404 Not Found", "301 Moved Permanently", "400 Bad Request"])
def test_a_redirect_or_client_error_is_asked_the_conditions_it_must_ignore(status: str) -> None:
    response = Client(answering(status, [])).get("/gone", headers={"Accept": "text/plain"})
    accept = ("Accept", "text/plain")
    # One condition each, then the plain GET again: the rule judges there, beside the first.
    assert asked(follow_ups(response.request, response)) == [
        ("GET", (accept, ("If-None-Match", "*"))),
        ("GET", (accept, ("If-Match", "*"))),
        ("GET", (accept, ("If-Unmodified-Since", LONG_AGO))),
        ("GET", (accept,)),
    ]
    elsewhere = (TAG, MODIFIED)
    assert asked(follow_ups(response.request, response, elsewhere=elsewhere))[1:3] == [
        ("GET", (accept, ("If-None-Match", TAG))),
        ("GET", (accept, ("If-Modified-Since", MODIFIED))),
    ]
    # Asked of the app: one transport only (as the other media type and language are).
    assert follow_ups(response.request, response, choices=False) == []
    # The error's own ETag first (a cache that stored the 404 revalidates it), then the
    # other target's, once each.
    tagged = Client(answering(status, [("ETag", 'W/"7"')])).get("/gone")
    for elsewhere, sent in (((TAG, None), ['W/"7"', TAG]), (('W/"7"', None), ['W/"7"'])):
        questions = asked(follow_ups(tagged.request, tagged, elsewhere=elsewhere))
        assert [fields[0][1] for _, fields in questions[1 : 1 + len(sent)]] == sent
        assert questions[1 + len(sent)] == ("GET", (("If-Match", "*"),))


def test_each_validator_sent_back_says_what_it_is_made_of() -> None:
    """A replay makes each again from the answer it gets to the GET (a fresh app's ETag is
    another): the fields that send one back record the GET, and the validators and the
    changes they are made of, which make the value sent here from the answer here."""
    client = Client(
        answering("200 OK", [("ETag", TAG), ("Last-Modified", LAST), ("Accept-Ranges", "bytes")])
    )
    response = client.get("/page")
    questions = follow_ups(response.request, response)
    tag, date = (From("etag"),), (From("last-modified"),)
    stale, before = (From("etag", "stale"),), (From("last-modified", "day before"),)
    assert [(each.name, each.parts) for asked in questions for each in asked.learned] == [
        ("If-None-Match", tag),
        ("If-Modified-Since", date),
        ("If-None-Match", (*stale, ", ", From("etag", "weak"))),
        ("If-None-Match", tag),  # to HEAD
        ("If-None-Match", stale),
        ("If-Modified-Since", date),
        ("If-None-Match", tag),  # with gzip
        ("If-Match", stale),
        ("If-Match", tag),
        ("If-Match", (From("etag", "weak"),)),
        ("If-Unmodified-Since", before),
        ("If-Unmodified-Since", date),
        ("If-Unmodified-Since", (From("last-modified", "day after"),)),
        ("If-Modified-Since", before),
        ("If-Modified-Since", (From("last-modified", "rfc850"),)),
        ("If-Modified-Since", (From("last-modified", "asctime"),)),
        ("If-Match", tag),  # then both holding the tag
        ("If-None-Match", tag),
        ("If-Modified-Since", date),  # to OPTIONS
        ("If-Match", stale),  # to TRACE
        ("If-Range", (From("etag", "strong"),)),
        ("If-Range", stale),
        ("If-Range", (From("etag", "weak"),)),
        ("If-None-Match", tag),  # beside the range
        ("If-Match", stale),
        ("If-Modified-Since", date),
    ]
    for asked in questions:
        for each in asked.learned:
            assert each.teacher is response.request
            assert (each.name, each.value) in asked.headers
            assert made(each.parts, response.header) == each.value
    # A weak tag: its strong twin in the list, and If-Range by dates (a day before, after).
    weak = Client(answering("200 OK", [("ETag", f"W/{TAG}"), ("Last-Modified", LAST)]))
    response = weak.get("/page")
    made_of = [
        each.parts for asked in follow_ups(response.request, response) for each in asked.learned
    ]
    assert (*stale, ", ", From("etag", "strong")) in made_of
    assert made_of[-5:] == [before, (From("last-modified", "day after"),), tag, stale, date]
    # After an error: its own ETag, learned from it; another target's, sent as it was.
    gone = Client(answering("404 Not Found", [("ETag", 'W/"7"')])).get("/gone")
    learned = [
        (each.value, each.teacher, each.parts)
        for asked in follow_ups(gone.request, gone, elsewhere=(TAG, MODIFIED))
        for each in asked.learned
    ]
    assert learned == [
        ('W/"7"', gone.request, tag),
        (TAG, None, (TAG,)),
        (MODIFIED, None, (MODIFIED,)),
    ]


def test_after_a_conditional_error_the_plain_get_is_asked_first_too() -> None:
    client = Client(answering("404 Not Found", []))
    response = client.get("/gone", headers={"If-None-Match": TAG, "Range": "bytes=0-0"})
    questions = asked(follow_ups(response.request, response))
    assert questions[:2] == [("GET", ()), ("GET", (("If-None-Match", "*"),))]
    assert questions[-1] == ("GET", ())


def test_an_error_the_server_gave_itself_is_not_asked_about() -> None:
    """``GET *`` gets the server's own 400: the app never saw it."""
    client = Client(answering("200 OK", []))
    refused = client.send(Request(target="*", headers=(("Host", "localhost"),)))
    assert refused.status_code == 400
    assert follow_ups(refused.request, refused) == []
    assert not FollowUps().wants(Exchange(refused))


def by_path(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    status = {"/moved": "302 Found", "/bad": "400 Bad Request", "/gone": "410 Gone"}.get(
        environ["PATH_INFO"], "404 Not Found"
    )
    start_response(status, [("Content-Type", "text/plain")])
    return [b"no\n"]


def test_errors_are_followed_up_once_per_status_but_on_the_runs_own_paths() -> None:
    client = Client(by_path)
    chosen = FollowUps(errors=4)
    targets = ["/a", "/a?x=1", "/b", "/items/9", "/items/9?y", "/moved", "/bad", "/gone"]
    wanted = [
        chosen.wants(Exchange(client.get(target)), known=target.startswith("/items/"))
        for target in targets
    ]
    # /a is the first 404, asked once (its path); /b a second 404; /items/9 a 404 under one
    # of the run's paths; then the first 302 and the first 400, and the limit of 4 is
    # reached before the first 410.
    assert wanted == [True, False, False, True, False, True, True, False]
    roomier = FollowUps(errors=5)
    for target in targets[:-1]:
        roomier.wants(Exchange(client.get(target)), known=target.startswith("/items/"))
    assert roomier.wants(Exchange(client.get("/gone")))  # the limit, not the 410, said no
    assert not FollowUps().wants(Exchange(client.head("/x")))


#: A tag no drawn request sends: only one learned from the app can match it.
SITE_TAG = '"site-7f3a"'


def site_tagged(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """One ETag for the whole site, compared before the path is looked up; the home page
    gives it, the 404 does not (the run learns it at /)."""
    home, condition = environ["PATH_INFO"] == "/", environ.get("HTTP_IF_NONE_MATCH")
    condition = condition if environ["REQUEST_METHOD"] in ("GET", "HEAD") else None
    if (condition and SITE_TAG in condition) or (home and condition == "*"):
        start_response("304 Not Modified", [("ETag", SITE_TAG)])
        return []
    if home:
        start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", SITE_TAG)])
        return [b"home\n"]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no\n"]


def test_a_check_sends_the_tag_learned_at_another_target_to_a_404() -> None:
    result = run(site_tagged, RunOptions(database=None, seed=3, max_examples=40), target="tag")
    assert result.errors == []
    assert set(result.failures) == {"APP-ERRORS-BEFORE-CONDITIONS"}


@pytest.mark.parametrize(
    ("path", "known"),
    [
        ("/items", True),
        ("/items/zz", True),
        ("/items/zz/x", True),
        ("/itemsx", False),
        ("/other", False),
        ("/", True),
        ("/x", False),
    ],
)
def test_a_path_under_one_the_run_knows_is_known_but_for_the_root(path: str, known: bool) -> None:
    assert _known(path, ["/", "/items/"]) is known


def if_modified_since_asked(last_modified: str) -> list[str]:
    """The If-Modified-Since values the questions after a 200 with ``last_modified`` send."""
    response = Client(answering("200 OK", [("Last-Modified", last_modified)])).get("/page")
    return [
        value
        for _, fields in asked(follow_ups(response.request, response))
        for name, value in fields
        if name == "If-Modified-Since"
    ]


def test_a_last_modified_in_another_zone_is_asked_about_in_gmt() -> None:
    """Review of 2026-12-04: a Last-Modified with a zone offset (not an HTTP-date, but a
    date) broke the whole run: the date a day before it could not be written in GMT."""
    modified = "Mon, 01 Jan 2024 01:00:00 +0100"
    asked_since = if_modified_since_asked(modified)
    assert asked_since == [
        modified,
        modified,  # to HEAD
        modified,  # beside a stale If-None-Match: the target has no ETag
        modified,
        DAY_BEFORE,
        "Monday, 01-Jan-24 00:00:00 GMT",
        "Mon Jan  1 00:00:00 2024",
        "yesterday",
        modified,  # to OPTIONS
        modified,  # beside a byte range
    ]


def test_a_tag_no_client_could_send_back_is_left_out() -> None:
    # wsgicheck's own server refuses such a field; a record from elsewhere may hold one.
    request = Request(method="GET", target="/")
    response = Response(request, 200, "OK", [("ETag", '"a"\x7f')], b"", True, None, [])
    gzip = (("Accept-Encoding", "gzip"),)
    json, german = (("Accept", "application/json"),), (("Accept-Language", "de"),)
    assert asked(follow_ups(request, response)) == [
        ("HEAD", ()),
        ("GET", (("If-None-Match", "*"),)),  # "*" holds whatever the tag is
        ("GET", ()),
        ("GET", gzip),
        ("HEAD", gzip),
        ("GET", gzip),
        ("GET", (("Accept-Encoding", "gzip;q=0"),)),
        *[("GET", json)] * 2,
        *[("GET", german)] * 2,
        ("GET", ()),
        # "*" again, to methods that ignore it, each after the same without it; no stale
        # If-Match: no tag that parses to make it of.
        ("OPTIONS", ()),
        ("OPTIONS", (("If-None-Match", "*"),)),
        ("TRACE", ()),
        ("TRACE", (("If-None-Match", "*"),)),
    ]


def test_follow_ups_are_linked_after_the_get() -> None:
    client = Client(answering("200 OK", [("ETag", TAG)]))
    exchanges = ask_about(client, "/")
    # The byte ranges last: the answer has a validator, though no Accept-Ranges.
    methods = ["GET", "HEAD", *["GET"] * 3, "HEAD", "GET", "GET", "HEAD", *["GET"] * 12]
    methods += ["GET", "OPTIONS", "OPTIONS", "TRACE", "TRACE", "TRACE", *["GET"] * 17]
    assert [ex.method for ex in exchanges] == methods
    for index, ex in enumerate(exchanges[1:], start=1):
        assert ex.history == tuple(exchanges[:index])
    assert exchanges[0].history == ()


def test_send_follow_ups_uses_the_transport_it_is_given() -> None:
    client = Client(answering("200 OK", [("ETag", TAG)]))
    sent: list[Request] = []

    def send(request: Request) -> Any:
        sent.append(request)
        return client.send(request)

    first = Exchange(client.get("/"))
    later = send_follow_ups(send, first, source="socket")
    assert [ex.request for ex in later] == sent
    assert {ex.source for ex in later} == {"socket"}


def test_follow_ups_are_asked_once_per_target_and_up_to_a_limit() -> None:
    client = Client(answering("200 OK", []))
    chosen = FollowUps(limit=2)
    firsts = [Exchange(client.get(target)) for target in ("/a", "/a", "/b", "/c")]
    assert [chosen.wants(first) for first in firsts] == [True, False, True, False]
    assert not FollowUps().wants(Exchange(client.head("/d")))
    for status, wanted in (("204 No Content", True), ("206 Partial Content", False)):
        answered = Exchange(Client(answering(status, [])).get("/e"))
        assert FollowUps().wants(answered) is wanted, status
    # A 204 asked about leaves a 200 to the same target its own questions (the review).
    both = FollowUps()
    assert both.wants(Exchange(Client(answering("204 No Content", [])).get("/f")))
    assert both.wants(Exchange(Client(answering("200 OK", [])).get("/f")))


def no_content_coded_when_gzip_is_accepted(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Paste's gzipper in small: a 204 gets Content-Length: 0 when gzip is accepted."""
    if environ["PATH_INFO"] != "/none":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    coding = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
    start_response("204 No Content", [("Content-Length", "0")] if coding else [])
    return []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_check_asks_a_204_again_with_gzip_accepted(seed: int) -> None:
    options = RunOptions(database=None, seed=seed, max_examples=30, paths=("/none",))
    result = run(no_content_coded_when_gzip_is_accepted, options, target="no_content")
    assert result.errors == []
    assert set(result.failures) == {"APP-CL-FORBIDDEN"}


@pytest.mark.parametrize(
    "name",
    [
        "app_cl_of_get",
        "app_head_like_get",
        "app_if_none_match",
        "app_if_none_match_miss",
        "app_304_metadata",
        "app_304_keeps_fields",
        "app_if_match",
        "app_if_unmodified_since",
        "app_if_range",
        "app_if_range_match",
        "app_errors_before_conditions",
    ],
)
def test_a_check_asks_the_follow_up_questions(name: str) -> None:
    """These bugs show only after a GET (HEAD beside it, its ETag sent back): the runner
    follows the first 200 of each target up, and finds each, and nothing else."""
    module = load(BROKEN / f"{name}.py", fresh=True)
    result = run(module.app, RunOptions(database=None, seed=2, max_examples=30), target=name)
    assert result.errors == []
    assert set(result.failures) == {module.RULE}


def revalidating_only_in_memory(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Answers If-None-Match with 304 unless it came over a socket (REMOTE_PORT is set
    only there): a bug only the follow-ups sent over the wire can show."""
    safe = environ["REQUEST_METHOD"] in ("GET", "HEAD")
    condition = environ.get("HTTP_IF_NONE_MATCH", "") if safe else ""
    if (condition == "*" or TAG in condition) and "REMOTE_PORT" not in environ:
        start_response("304 Not Modified", [("ETag", TAG)])
        return []
    start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", TAG)])
    return [b"hello\n"]


@pytest.mark.parametrize(("transports", "found"), [("both", True), ("memory", False)])
def test_a_check_over_both_transports_asks_over_the_socket_too(
    transports: str, found: bool
) -> None:
    options = RunOptions(database=None, seed=2, max_examples=10, transports=transports)
    result = run(revalidating_only_in_memory, options)
    assert result.errors == []
    assert set(result.failures) == ({"APP-IF-NONE-MATCH"} if found else set())
    if found:
        assert result.failures["APP-IF-NONE-MATCH"].transport == "socket"


def ranges_before_preconditions(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Serves a byte range (If-Range kept) before it looks at If-None-Match and If-Match,
    as Werkzeug's ``make_conditional`` does; right about both preconditions without one."""
    body = b"hello\n"
    fields = [("Content-Type", "text/plain"), ("ETag", TAG), ("Accept-Ranges", "bytes")]
    if environ.get("HTTP_RANGE") == "bytes=0-0" and environ.get("HTTP_IF_RANGE", TAG) == TAG:
        start_response("206 Partial Content", [*fields, ("Content-Range", "bytes 0-0/6")])
        return [body[:1]]
    condition = environ.get("HTTP_IF_NONE_MATCH", "")
    if environ["REQUEST_METHOD"] in ("GET", "HEAD") and (TAG in condition or "*" in condition):
        start_response("304 Not Modified", [("ETag", TAG)])
        return []
    ignored = environ["REQUEST_METHOD"] in ("OPTIONS", "TRACE")  # RFC 9110 §13.2.1
    if environ.get("HTTP_IF_MATCH", TAG) not in (TAG, "*") and not ignored:
        start_response("412 Precondition Failed", [("Content-Type", "text/plain")])
        return [b"412\n"]
    start_response("200 OK", fields)
    return [body]


def test_a_range_does_not_skip_the_preconditions() -> None:
    """RFC 9110 §13.2.2: If-None-Match and If-Match are evaluated before a range, so a
    range with a matching tag gets 304 and with a stale If-Match 412, never 206."""
    options = RunOptions(database=None, seed=2, max_examples=10)
    result = run(ranges_before_preconditions, options)
    assert result.errors == []
    assert set(result.failures) == {"APP-IF-NONE-MATCH", "APP-IF-MATCH"}
    for rule, refused in (("APP-IF-NONE-MATCH", 304), ("APP-IF-MATCH", 412)):
        assert result.failures[rule].finding.message.endswith(
            f"; without the Range the same request got {refused}: the app serves the Range "
            "first, where RFC 9110 §13.2.2 evaluates the precondition before it"
        )


def never_evaluating(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Advertises an ETag and ranges, and never looks at a precondition."""
    fields = [("Content-Type", "text/plain"), ("ETag", TAG), ("Accept-Ranges", "bytes")]
    if environ.get("HTTP_RANGE") == "bytes=0-0":
        start_response("206 Partial Content", [*fields, ("Content-Range", "bytes 0-0/6")])
        return [b"h"]
    start_response("200 OK", fields)
    return [b"hello\n"]


def test_an_app_that_never_evaluates_a_precondition_is_not_said_to_serve_ranges_first() -> None:
    """Its ranged If-None-Match gets 206 and its plain one 200: the finding is about
    If-None-Match, and no order of evaluation is blamed."""
    exchanges = ask_about(Client(never_evaluating), "/")
    messages = [
        finding.message
        for ex in exchanges
        for finding in check_exchange(ex)
        if finding.rule == "APP-IF-NONE-MATCH"
    ]
    # The tag to GET and to HEAD, with gzip, *, the list, beside If-Match holding it, and
    # beside the Range.
    assert len(messages) == 7
    assert not any("Range first" in message for message in messages)


PAGE = b"hello, compressible world\n" * 20


def gzip_but_not_for_head(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Compresses a GET that accepts gzip and skips HEAD, as paste.gzipper does: HEAD with
    gzip accepted then describes another representation than GET with it."""
    coded = environ["REQUEST_METHOD"] == "GET" and "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
    body = gzip.compress(PAGE, mtime=0) if coded else PAGE
    fields = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
    fields.append(("Vary", "Accept-Encoding"))
    start_response("200 OK", fields + ([("Content-Encoding", "gzip")] if coded else []))
    return [body]


def test_a_head_that_skips_compression_is_found_beside_a_gzip_get() -> None:
    """The follow-ups send gzip GET, gzip HEAD, gzip GET: the HEAD's Content-Length is the
    uncoded length (RFC 9110 §8.6) and it lacks the GET's Content-Encoding (§9.3.2)."""
    options = RunOptions(database=None, seed=2, max_examples=10)
    result = run(gzip_but_not_for_head, options)
    assert result.errors == []
    # (And, as paste.gzipper does, it looks for the word gzip alone: gzip;q=0 is coded.)
    assert set(result.failures) == {"APP-CL-OF-GET", "APP-HEAD-LIKE-GET", "APP-CODING-ACCEPTED"}
    for rule in ("APP-CL-OF-GET", "APP-HEAD-LIKE-GET"):
        failure = result.failures[rule]
        assert failure.finding.request is not None
        assert failure.finding.request.method == "HEAD"
        assert failure.finding.request.header_values("Accept-Encoding") == ["gzip"]


def gzip_without_vary(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Compresses for a client that accepts gzip and sends no Vary (prometheus_client 0.26)."""
    coded = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
    fields = [("Content-Type", "text/plain")] + ([("Content-Encoding", "gzip")] if coded else [])
    start_response("200 OK", fields)
    return [gzip.compress(PAGE, mtime=0) if coded else PAGE]


def test_a_run_finds_a_missing_vary_through_both_transports() -> None:
    """A SHOULD: the run warns, on the plain GET asked after the gzip ones."""
    result = run(gzip_without_vary, RunOptions(database=None, seed=2, max_examples=10))
    assert result.errors == []
    # (And, as prometheus_client does, it reads no q-value: gzip;q=0 is coded.)
    assert set(result.failures) == {"APP-VARY-NAMES-FIELD", "APP-CODING-ACCEPTED"}
    (verdict,) = [each for each in result.results if each.rule.id == "APP-VARY-NAMES-FIELD"]
    assert verdict.status == "fail"  # a SHOULD rule's "fail" is reported as a warning
    finding = result.failures["APP-VARY-NAMES-FIELD"].finding
    assert finding.request is not None
    assert finding.request.header_values("Accept-Encoding") == []  # the plain GET, after
    assert len(verdict.findings) == verdict.applied > 0  # every pair judged lacks it


def test_the_fields_the_user_set_stay_as_given() -> None:
    """``-H Accept: ...`` is on every request of a run: the questions keep it, and the one
    that would ask for another media type is left out."""
    user = ("Accept", "application/json")
    response = Client(answering("200 OK", [("ETag", TAG)])).get("/", headers=[user])
    questions = asked(follow_ups(response.request, response, frozenset({"accept"})))
    assert questions
    assert all(user in fields for _, fields in questions)
    assert not any(("Accept", "text/html") in fields for _, fields in questions)
    assert ("GET", (user, ("Accept-Language", "de"))) in questions


def test_a_run_keeps_the_users_fields_in_the_questions() -> None:
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ.get("HTTP_ACCEPT", ""))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello\n"]

    options = RunOptions(database=None, seed=2, max_examples=5, headers=(("Accept", "text/csv"),))
    run(app, options)
    assert set(seen) == {"text/csv"}


def test_without_choices_the_other_type_and_language_are_not_asked() -> None:
    response = Client(answering("200 OK", [])).get("/")
    questions = asked(follow_ups(response.request, response, choices=False))
    gzip = (("Accept-Encoding", "gzip"),)
    refused = (("Accept-Encoding", "gzip;q=0"),)
    assert questions == [
        ("HEAD", ()),
        ("GET", ()),
        ("GET", gzip),
        ("HEAD", gzip),
        ("GET", gzip),
        ("GET", refused),
        ("TRACE", ()),
    ]


@pytest.mark.parametrize("transports", ["both", "socket"])
def test_the_choices_are_asked_once_a_run_whatever_the_transports(
    transports: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """They ask the app, not the server: with both transports in memory only; over the
    socket when it is the only one. Either way the missing Vary is found. (The minimiser,
    which replays a finding's sequence, is left out: its replays are its own tests'.)"""
    asked_by: list[str] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_ACCEPT_LANGUAGE") == "de":
            asked_by.append("socket" if "REMOTE_PORT" in environ else "memory")
        return gzip_without_vary(environ, start_response)

    monkeypatch.setattr(wsgicheck.explore.runner, "simplify_all", lambda *args: None)
    options = RunOptions(database=None, seed=2, max_examples=5, transports=transports)
    result = run(app, options)
    assert set(result.failures) == {"APP-VARY-NAMES-FIELD", "APP-CODING-ACCEPTED"}
    # One target, asked twice, by one transport.
    assert asked_by == ["memory" if transports == "both" else transports] * 2


def _memory_only(app: Callable[..., Any]) -> Any:
    """An exploration of ``app`` in memory alone, to replay examples as the minimiser does."""
    from wsgicheck.core.environ import ServerConfig
    from wsgicheck.explore.examples import Exploration
    from wsgicheck.explore.explorer import Learned
    from wsgicheck.explore.replay import MemoryTransport

    return Exploration(
        RunOptions(),
        examples=1,
        memory=MemoryTransport(app, 5.0),
        wire=None,
        base=ServerConfig(),
        paths=["/"],
        learned=Learned(),
        on_exchange=None,
    )


def test_a_finding_of_a_sequence_replays_beside_the_requests_before_it() -> None:
    """The minimiser's replays judge the last exchange with the earlier ones as its history,
    as the run did: a rule over a sequence (APP-CL-OF-GET compares a 304's length with the
    GET's) finds nothing on the last exchange alone, so no simplification of such a finding
    was ever kept."""
    from wsgicheck.core.environ import ServerConfig
    from wsgicheck.rules import REGISTRY

    body = b"<p>hello</p>" * 10

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [("ETag", '"v1"'), ("Content-Length", "0")])
            return [b""]
        headers = [("Content-Type", "text/html"), ("ETag", '"v1"')]
        start_response("200 OK", [*headers, ("Content-Length", str(len(body)))])
        return [body]

    run_ = _memory_only(app)
    try:
        get = Request(headers=(("Host", "localhost"),))
        conditional = Request(headers=(("Host", "localhost"), ("If-None-Match", '"v1"')))
        again = get
        rule = REGISTRY["APP-CL-OF-GET"]
        found = run_.replay_one(rule, again, ServerConfig(), (get, conditional), "memory")
        assert found is not None
        assert found.rule == "APP-CL-OF-GET"
        assert run_.replay_one(rule, again, ServerConfig(), (), "memory") is None
    finally:
        run_.close()


def test_a_repeated_request_replays_with_its_earlier_exchange() -> None:
    """APP-REINVOKABLE compares two answers to one request: the replay gives the repeat the
    earlier exchange of the same request, as the run did (review of 2026-12-03)."""
    from wsgicheck.core.environ import ServerConfig
    from wsgicheck.rules import REGISTRY

    body = iter([b"once\n"])  # one body for the app's whole life: the repeat gets none

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    run_ = _memory_only(app)
    try:
        get = Request(headers=(("Host", "localhost"),))
        found = run_.replay_one(REGISTRY["APP-REINVOKABLE"], get, ServerConfig(), (get,), "memory")
        assert found is not None
        assert found.rule == "APP-REINVOKABLE"
    finally:
        run_.close()


def test_the_tag_sent_after_an_error_is_the_nearest_targets_and_the_date_the_latest() -> None:
    """The sweep of 2026-12-04: Bottle's ``/reports/<name>`` compares a tag of its own
    before it looks the report up; the first tag the run learned was another page's."""
    learned = Learned()
    learned.validators = {
        "/doc/1": ('"doc-1"', "Mon, 01 Jan 2024 00:00:00 GMT"),
        "/reports/q1": ('"site-v42"', "Fri, 01 Mar 2024 12:00:00 GMT"),
        "/reports/q1/raw": ('"raw"', None),
        "/": (None, "Sun, 06 Nov 1994 08:49:37 GMT"),
    }
    assert _elsewhere(learned, "/reports/zz") == ('"site-v42"', "Fri, 01 Mar 2024 12:00:00 GMT")
    assert _elsewhere(learned, "/reports/q1") == ('"raw"', "Mon, 01 Jan 2024 00:00:00 GMT")
    assert _elsewhere(learned, "/other") == ('"doc-1"', "Fri, 01 Mar 2024 12:00:00 GMT")
    assert _elsewhere(Learned(), "/x") == (None, None)


def test_no_rfc850_question_where_its_two_digit_year_reads_as_another() -> None:
    """Review of 2026-12-05: a Last-Modified of 1970 (a file with a zero mtime) sent back as
    "Thursday, 01-Jan-70" is 2070 to a recipient that follows RFC 9110 §5.6.7 (Django's
    parse_http_date), a date in the future it rightly ignores: the run warned a correct app.
    The asctime form names the year in full, and is asked."""
    epoch = "Thu, 01 Jan 1970 00:00:01 GMT"
    asked_since = if_modified_since_asked(epoch)
    assert asked_since == [
        epoch,
        epoch,  # to HEAD
        epoch,
        epoch,
        "Wed, 31 Dec 1969 00:00:01 GMT",
        "Thu Jan  1 00:00:01 1970",
        "yesterday",
        epoch,  # to OPTIONS
        epoch,  # beside a byte range
    ]


def test_a_date_that_is_none_is_asked_whatever_the_last_modified_says() -> None:
    """Paste 3.10 writes its Last-Modified with a "-0000" zone (no HTTP-date, and no date
    to move a day), and refuses an If-Modified-Since that is no date with 400: the question
    that sends one does not need the Last-Modified read (the app sweep of 2026-12-05)."""
    minus_zero = "Mon, 01 Jan 2024 00:00:00 -0000"
    asked_since = if_modified_since_asked(minus_zero)
    # The GET's and HEAD's, beside a stale tag, with gzip, no date, to OPTIONS, by a range.
    assert asked_since == [*[minus_zero] * 4, "yesterday", *[minus_zero] * 2]


MODIFIED_PAGE = "Mon, 01 Jan 2024 00:00:00 GMT"


def not_modified_to_every_method(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Answers any method 304 to an If-Modified-Since at its Last-Modified, as Django 5.2's
    ``static.serve`` does (it never looks at the method): RFC 9110 §13.1.3 has every method
    but GET and HEAD ignore the field."""
    since = environ.get("HTTP_IF_MODIFIED_SINCE", "")
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        when = None
    if when is not None and when.tzinfo is None:  # the asctime form, GMT with no zone
        when = when.replace(tzinfo=timezone.utc)
    if (
        "HTTP_IF_NONE_MATCH" not in environ
        and when
        and when >= parsedate_to_datetime(MODIFIED_PAGE)
    ):
        start_response("304 Not Modified", [("Last-Modified", MODIFIED_PAGE)])
        return []
    start_response("200 OK", [("Content-Type", "text/plain"), ("Last-Modified", MODIFIED_PAGE)])
    return [b"hello\n"]


def test_options_with_if_modified_since_finds_a_304_to_every_method() -> None:
    """The sweep of 2026-12-05 found it only where a drawn POST happened to carry the date;
    the OPTIONS question (a safe method) asks it of every target with a Last-Modified."""
    result = run(
        not_modified_to_every_method,
        RunOptions(database=None, seed=3, max_examples=10, transports="memory"),
    )
    assert result.errors == []
    assert set(result.failures) == {"APP-304-CONDITIONAL"}
    failure = result.failures["APP-304-CONDITIONAL"]
    assert failure.finding.message == (
        f"the app answered 304 to an OPTIONS with If-Modified-Since: {MODIFIED_PAGE}: only a "
        "GET or HEAD is answered 304; a server ignores the preconditions of an OPTIONS (RFC "
        "9110 §13.2.1), and If-Modified-Since on any method but GET and HEAD (§13.1.3)"
    )


def star_not_modified_to_every_method(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> list[bytes]:
    """Answers any method 304 to If-None-Match ``*`` or its tag, as Falcon 4.4's static
    route does (a trial of 2026-12-07: a POST, a PUT, a TRACE), and evaluates nothing
    else."""
    listed = environ.get("HTTP_IF_NONE_MATCH", "")
    if listed.strip() == "*" or TAG in listed:
        start_response("304 Not Modified", [("ETag", TAG)])
        return []
    start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", TAG)])
    return [b"hello\n"]


def test_trace_with_if_none_match_star_finds_a_304_to_every_method() -> None:
    """Falcon's 304 to an unsafe method showed only to a drawn request, in a thorough run;
    the TRACE question (a safe method, whose preconditions a server MUST ignore: RFC 9110
    §13.2.1) asks it of every target with an ETag."""
    result = run(
        star_not_modified_to_every_method,
        RunOptions(database=None, seed=3, max_examples=10, transports="memory"),
    )
    assert result.errors == []
    assert set(result.failures) == {"APP-304-CONDITIONAL"}
    failure = result.failures["APP-304-CONDITIONAL"]
    # (The smallest example is the OPTIONS asked the same before the TRACE.)
    assert failure.finding.message == (
        "the app answered 304 to an OPTIONS with If-None-Match: *: only a GET or HEAD is "
        "answered 304; a server ignores the preconditions of an OPTIONS (RFC 9110 §13.2.1)"
    )


def tag_ignored_by_head(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Evaluates If-None-Match for GET only, though its HEAD carries the same ETag: a HEAD
    that revalidates gets 200 where RFC 9110 §13.1.2 has it get 304."""
    method = environ["REQUEST_METHOD"]
    fields = [("Content-Type", "text/plain"), ("ETag", TAG)]
    listed = environ.get("HTTP_IF_NONE_MATCH", "")
    if method == "GET" and (listed.strip() == "*" or TAG.strip('"') in listed):
        start_response("304 Not Modified", [("ETag", TAG)])
        return []
    start_response("200 OK", fields)
    return [b"hello\n"] if method == "GET" else []


def test_a_head_with_the_tag_is_asked_and_its_200_found() -> None:
    exchanges = ask_about(Client(tag_ignored_by_head), "/")
    found = {
        (f.rule, f.request.method if f.request else "")
        for ex in exchanges
        for f in check_exchange(ex)
    }
    assert found == {("APP-IF-NONE-MATCH", "HEAD")}


def not_modified(environ: dict[str, Any]) -> bool:
    """Whether a GET or HEAD's If-Modified-Since (alone) is at or after :data:`MODIFIED_PAGE`."""
    try:
        when = parsedate_to_datetime(environ.get("HTTP_IF_MODIFIED_SINCE", ""))
    except (TypeError, ValueError, IndexError):
        return False
    when = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    safe = environ["REQUEST_METHOD"] in ("GET", "HEAD") and "HTTP_IF_NONE_MATCH" not in environ
    return safe and when >= parsedate_to_datetime(MODIFIED_PAGE)


def compares_text(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """CherryPy 18.10's ``validate_since``: If-Unmodified-Since that is not the
    Last-Modified as written gets 412 (a day after it, or no date at all)."""
    since = environ.get("HTTP_IF_UNMODIFIED_SINCE")
    if since is not None and since != MODIFIED_PAGE:
        start_response("412 Precondition Failed", [("Content-Type", "text/plain")])
        return [b"precondition failed\n"]
    return dated(environ, start_response)


def dated(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A page with a Last-Modified, and If-Modified-Since evaluated as RFC 9110 has it."""
    if not_modified(environ):
        start_response("304 Not Modified", [("Last-Modified", MODIFIED_PAGE)])
        return []
    start_response("200 OK", [("Content-Type", "text/plain"), ("Last-Modified", MODIFIED_PAGE)])
    return [b"hello\n"]


def no_tag_no_star(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """Django 5.2's ``_if_match_passes``: no ETag, so even ``If-Match: *`` fails (412), on a
    file that ``static.serve`` dates with a Last-Modified alone."""
    if "HTTP_IF_MATCH" in environ:
        start_response("412 Precondition Failed", [("Content-Type", "text/plain")])
        return [b""]
    return dated(environ, start_response)


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (
            compares_text,
            {
                ("APP-IF-UNMODIFIED-SINCE", "GET", "Tue, 02 Jan 2024 00:00:00 GMT"),
                ("APP-INVALID-DATE-IGNORED", "GET", "yesterday"),
                # It evaluates the field for any method (trial 5 of 2026-12-07, by hand).
                ("APP-METHOD-IGNORES-CONDITIONS", "TRACE", "Sun, 06 Nov 1994 08:49:37 GMT"),
            },
        ),
        (no_tag_no_star, {("APP-IF-MATCH", "GET", "*")}),
    ],
    ids=["cherrypy-text-dates", "django-star-without-tag"],
)
def test_the_precondition_questions_find_what_the_sweep_found_by_hand(
    app: Callable[..., list[bytes]], expected: set[tuple[str, str, str]]
) -> None:
    """The sweeps of 2026-12-05 found these only with curl: no question sent an
    If-Unmodified-Since after the Last-Modified or of no date, or If-Match * to a target
    without an ETag. (Django's HEAD skips every precondition too; no question sends one
    that fails to HEAD, which no client does.)"""
    findings = [f for ex in ask_about(Client(app), "/") for f in check_exchange(ex)]
    found = {
        (f.rule, f.request.method, value)
        for f in findings
        if f.request is not None
        for name, value in f.request.headers
        if name != "Host"
    }
    assert found == expected
    assert len(findings) == len(expected)  # each with one condition


def test_a_replay_whose_teacher_taught_nothing_shows_nothing() -> None:
    """An app trial of 2026-12-06 (Wagtail): the minimiser moved a sequence from a static
    file, whose answer had a Last-Modified, to a target that 404s, and kept it, since its
    replays sent the run's date as it was; the report's replays learn the date from the
    404, which has none, and stopped there. The minimiser's replays now learn each value
    as the report's do: a teacher whose answer lacks it leaves the sequence unsendable."""
    from wsgicheck.core.environ import ServerConfig
    from wsgicheck.rules import REGISTRY

    body = b"<p>hello</p>" * 10

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_IF_NONE_MATCH") == '"v1"':
            start_response("304 Not Modified", [("Content-Length", "0")])
            return [b""]
        tag = [("ETag", '"v1"')] if environ["PATH_INFO"] == "/doc" else []
        start_response("200 OK", [("Content-Type", "text/html"), *tag])
        return [body]

    run_ = _memory_only(app)
    rule = REGISTRY["APP-CL-OF-GET"]
    try:
        for target, shown in (("/doc", True), ("/other", False)):
            get = Request(target=target, headers=(("Host", "localhost"),))
            learned = LearnedField(
                name="If-None-Match", value='"v1"', teacher=get, parts=(From("etag"),)
            )
            conditional = get.replace(
                headers=(*get.headers, ("If-None-Match", '"v1"')), learned=(learned,)
            )
            found = run_.replay_one(rule, get, ServerConfig(), (get, conditional), "memory")
            assert (found is not None) is shown, target
        # The same conditional sent as a value of its own (no teacher) shows it at /other.
        sent = conditional.replace(learned=())
        assert run_.replay_one(rule, get, ServerConfig(), (get, sent), "memory") is not None
    finally:
        run_.close()
