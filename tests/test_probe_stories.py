"""What the probe's report says a server does with a chunked request body
(``corpus._chunked_story``): decoded, passed through, or decoded only as far as the app's
reads went, which is not called a body cut short (rocket3 gives a chunk per read)."""

from __future__ import annotations

from wsgicheck import Framing, Request
from wsgicheck.drivers.rawclient import WireResponse
from wsgicheck.probe.corpus import INPUT_BODY, _chunked_story, _reuse_story
from wsgicheck.probe.session import Sent


def story(read: bytes, status: int = 200, *, complete: bool = True) -> str:
    request = Request(
        method="POST", body=INPUT_BODY, framing=Framing.CHUNKED, chunk_sizes=(10, 20, 48)
    )
    sent = Sent(1, "input", request)
    sent.response = WireResponse("HTTP/1.1", status, "", [], read, complete=complete)
    return _chunked_story(sent)


def test_the_stories_of_a_chunked_body() -> None:
    assert story(INPUT_BODY) == "decoded"
    assert story(b"a\r\n" + INPUT_BODY[:10] + b"\r\n") == "passed through with its chunk framing"
    assert story(INPUT_BODY[:10]) == (
        "decoded as far as the app's reads went: 10 of 78 bytes (the stream gave less than asked)"
    )
    assert story(b"") == "the app read 0 of 78 bytes"
    assert story(b"other bytes") == "the app read 11 bytes, which are not the body's 78"
    assert story(b"", status=411) == "answered 411"


def test_an_answer_cut_short_by_the_server_is_not_read_as_the_apps() -> None:
    """The echo of what the app read, cut short by the server, says nothing of the read:
    it was told as "the app read 4 of 78 bytes" (a review of 2026-12-07)."""
    assert story(INPUT_BODY[:4], complete=False) == (
        "not known: the server's answer broke off after 4 bytes"
    )
    assert story(b"", complete=False) == "not known: the server's answer broke off after 0 bytes"


def test_a_server_that_answered_neither_request_is_not_said_to_close_after_each() -> None:
    """An adversarial trial of 2026-12-07: a server that answered nothing at all was said
    to close "the connection after each response"."""
    assert _reuse_story(None, None) == "unknown (the first request got no response)"
    closing = WireResponse("HTTP/1.1", 200, "OK", [("Connection", "close")], b"")
    assert (
        _reuse_story(closing, None) == "no (the server closes the connection after each response)"
    )
