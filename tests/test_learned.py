"""Validators sent back (:mod:`wsgicheck.model.learned`): the changes the run makes to an
ETag or a Last-Modified, and a replay that makes each learned field again from the answer
it gets to the request that taught it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from wsgicheck import Client
from wsgicheck.model.learned import (
    CHANGES,
    made,
    moved,
    replay,
    restated,
    sources,
    stale,
    strong,
    untaught,
    weak,
)
from wsgicheck.model.request import From, LearnedField, Request

HOST = (("Host", "localhost"),)


def test_a_tag_is_sent_back_strong_weak_or_stale() -> None:
    for etag in ('"v1"', 'W/"v1"', ' W/"v1" '):
        assert (strong(etag), weak(etag), stale(etag)) == ('"v1"', 'W/"v1"', '"v1-stale"')
    # A tag that does not parse is taken whole, as the run took it.
    assert (strong("v1"), weak("v1")) == ("v1", "W/v1")


def test_a_date_is_moved_by_whole_days_or_not_at_all() -> None:
    last = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert moved(last, -1) == "Sun, 31 Dec 2023 00:00:00 GMT"
    assert moved(last, 1) == "Tue, 02 Jan 2024 00:00:00 GMT"
    assert moved("Mon, 01 Jan 2024 01:00:00 +0100", 1) == "Tue, 02 Jan 2024 00:00:00 GMT"
    for none in ("yesterday", "Mon, 01 Jan 2024 00:00:00 -0000", f"{last}, {last}"):
        assert moved(none, 1) is None, none
    # Past the calendar's last day: no date, where the run's follow-ups used to crash.
    assert moved("Fri, 31 Dec 9999 23:59:59 GMT", 1) is None


@pytest.mark.parametrize(
    ("date", "rfc850", "asctime"),
    [
        (
            "Mon, 01 Jan 2024 00:00:00 GMT",
            "Monday, 01-Jan-24 00:00:00 GMT",
            "Mon Jan  1 00:00:00 2024",
        ),
        (
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ),
        (
            "Mon, 01 Jan 2024 01:00:00 +0100",
            "Monday, 01-Jan-24 00:00:00 GMT",
            "Mon Jan  1 00:00:00 2024",
        ),
        # Review of 2026-12-05: "70" is 2070 to RFC 9110 §5.6.7 (no more than 50 years
        # ahead is the century it names) and 1970 to Python's parsedate; "50" is 2050 to
        # both. No rfc850 question for those years: it would ask about another instant.
        ("Thu, 01 Jan 1970 00:00:01 GMT", None, "Thu Jan  1 00:00:01 1970"),
        ("Sun, 01 Jan 1950 00:00:00 GMT", None, "Sun Jan  1 00:00:00 1950"),
        # No date, to either: no zone written (but asctime's), or a list.
        ("Mon, 01 Jan 2024 00:00:00 -0000", None, None),
        ("Mon, 01 Jan 2024 00:00:00 GMT, Tue, 02 Jan 2024 00:00:00 GMT", None, None),
        ("yesterday", None, None),
    ],
)
def test_a_date_is_restated_in_the_obsolete_forms(
    date: str, rfc850: str | None, asctime: str | None
) -> None:
    """RFC 9110 §5.6.7's two obsolete forms, which a recipient MUST read; the curl replay's
    shell function writes them as the run does (bash and python3, as a replay runs), and
    stops the replay, saying why, where the run's function gives none."""
    assert (restated(date, "rfc850"), restated(date, "asctime")) == (rfc850, asctime)
    from wsgicheck.results.reproduce import _RESTATED

    for form, expected in (("rfc850", rfc850), ("asctime", asctime)):
        done = subprocess.run(
            ["bash", "-c", f'{_RESTATED}; restated "$0" "$1"', date, form],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if expected is None:
            assert done.returncode != 0
            assert done.stderr.strip().endswith(f"cannot be written in the {form} form")
        else:
            assert (done.returncode, done.stdout) == (0, expected + "\n")


def test_parts_are_made_from_what_an_answer_says() -> None:
    said = {"etag": 'W/"v1"', "last-modified": "Mon, 01 Jan 2024 00:00:00 GMT"}.get
    parts = (From("etag", "stale"), ", ", From("etag", "strong"))
    assert made(parts, said) == '"v1-stale", "v1"'
    assert made((From("last-modified", "day before"),), said) == "Sun, 31 Dec 2023 00:00:00 GMT"
    assert made((From("etag"),), {"etag": None}.get) is None  # the answer gave none


def _taught(name: str, value: str, teacher: Request | None, *parts: str | From) -> Request:
    """A GET sending ``name: value``, learned from ``teacher``'s answer."""
    learned = LearnedField(name=name, value=value, teacher=teacher, parts=parts)
    return Request(headers=(*HOST, (name, value)), learned=(learned,))


def test_a_learned_field_is_no_part_of_the_request_value() -> None:
    plain = Request(headers=(*HOST, ("If-Match", '"v1"')))
    learned = _taught("If-Match", '"v1"', Request(headers=HOST), From("etag"))
    assert learned == plain
    assert hash(learned) == hash(plain)
    assert repr(learned) == repr(plain)
    assert learned.to_bytes() == plain.to_bytes()


def test_a_field_is_read_from_the_latest_answer_to_its_teacher() -> None:
    get = Request(headers=HOST)
    other = Request(target="/other", headers=HOST)
    match = _taught("If-Match", '"v1"', get, From("etag"))
    assert sources([get, other, get, match])[3] == {1: (match.learned[0], 2)}
    assert [list(each) for each in sources([get, other, get, match])[:3]] == [[], [], []]
    assert untaught([get, other, get, match]) == []
    # Its teacher left out, or another target's answer: sent as the run sent it.
    assert sources([other, match])[1] == {}
    assert untaught([other, match]) == list(match.learned)
    elsewhere = _taught("If-Match", '"v1"', None, '"v1"')
    assert untaught([get, elsewhere]) == list(elsewhere.learned)
    # The field dropped (the minimiser does): nothing learned is left to send.
    dropped = match.replace(headers=HOST)
    assert (sources([get, dropped])[1], untaught([get, dropped])) == ({}, [])


def _counting() -> Callable[..., list[bytes]]:
    """An app whose ETag is new on each call (a page with a fresh token in it)."""
    calls = iter(range(1, 100))

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", f'"t{next(calls)}"')])
        return [b"hi"]

    return app


def test_a_replay_sends_what_the_answers_it_gets_teach() -> None:
    get = Request(headers=HOST)
    stale_tag = _taught("If-Match", '"t0-stale"', get, From("etag", "stale"))
    listed = _taught("If-None-Match", 'W/"t0", "a"', get, From("etag", "weak"), ', "a"')
    answers = replay(Client(_counting()).send, [get, stale_tag, get, listed])
    sent = [answer.request.headers[1:] for answer in answers]
    # Each from the latest answer to the GET: its second and third.
    assert sent == [(), (("If-Match", '"t1-stale"'),), (), (("If-None-Match", 'W/"t3", "a"'),)]
    assert [answer.header("etag") for answer in answers] == ['"t1"', '"t2"', '"t3"', '"t4"']


def test_the_teacher_of_a_validator_is_the_answer_that_gave_it() -> None:
    """Review of 2026-12-05: the explorer kept the first request that taught a target's
    validators but the latest validators; where a later answer changed them (a compression
    layer's own ETag for gzip, as Apache's mod_deflate gives), a replay read the first
    answer's and sent another tag than the run did, on the very app that showed it."""
    from wsgicheck.explore.explorer import Learned, _made_of

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        coded = "gzip" in environ.get("HTTP_ACCEPT_ENCODING", "")
        start_response(
            "200 OK", [("Content-Type", "text/plain"), ("ETag", 'W/"x-gzip"' if coded else '"x"')]
        )
        return [b"hello"]

    client = Client(app)
    host = (("Host", "localhost"),)
    plain, coded = Request(headers=host), Request(headers=(*host, ("Accept-Encoding", "gzip")))
    learned = Learned()
    for each in (plain, coded, plain):
        learned.learn(each, client.send(each))
    etag, modified = learned.validators["/"]
    assert (etag, learned.teachers["validator /"]) == ('"x"', plain)
    learned.learn(coded, client.send(coded))
    etag, modified = learned.validators["/"]
    assert (etag, learned.teachers["validator /"]) == ('W/"x-gzip"', coded)
    fields = [("If-None-Match", etag)]
    made = _made_of(fields, {"etag": etag, "last-modified": modified}, coded)
    conditional = Request(headers=(*host, *fields), learned=made)
    answers = replay(client.send, [plain, coded, conditional])
    assert answers[-1].request.headers[-1] == ("If-None-Match", 'W/"x-gzip"')


def test_the_tables_of_changes_name_the_same_changes() -> None:
    """Each change a learned validator goes through is made in Python (the run, the
    confirming process), written for a Python replay and, but the unchanged value, for a
    curl one: four tables, one set of names."""
    from wsgicheck.results import reproduce

    assert set(reproduce._PYTHON_CHANGES) == set(CHANGES)
    assert set(reproduce._SHELL_FROM) == set(CHANGES) - {""}
    assert set(reproduce._SHELL_CHANGES) <= set(CHANGES)
