"""The memory transport: :class:`wsgicheck.Client` and the :class:`~wsgicheck.Response` it returns.

Apps here are small and record what they saw; the seed apps under ``fixtures/`` are driven
through the same client at the end.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from wsgicheck import Client, Framing, Request, ServerConfig
from wsgicheck.model.events import (
    AppRaised,
    ErrorsWritten,
    HeadersSent,
    InputRead,
    Refused,
    StartResponseCalled,
)
from wsgicheck.target import load_target

Environ = dict[str, Any]
StartResponse = Callable[..., Callable[[bytes], None]]


def echo(environ: Environ, start_response: StartResponse) -> list[bytes]:
    """Answer with the request body it read."""
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body]


def responder(
    body: bytes, headers: list[tuple[str, str]] | None = None, status: str = "200 OK"
) -> Callable[..., list[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response(status, headers or [])
        return [body]

    return app


class Counting:
    """An app that counts its calls (to show the server answered without it)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        self.calls += 1
        return echo(environ, start_response)


# -- methods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "content_length"),
    [
        ("get", "GET", None),
        ("head", "HEAD", None),
        ("post", "POST", "0"),
        ("put", "PUT", "0"),
        ("patch", "PATCH", "0"),
        ("delete", "DELETE", None),
    ],
)
def test_each_method_helper_sends_its_method(
    method: str, name: str, content_length: str | None
) -> None:
    response = getattr(Client(echo), method)("/thing")
    assert response.status_code == 200
    assert response.request.method == name
    assert response.environ is not None
    assert response.environ["REQUEST_METHOD"] == name
    assert response.environ["PATH_INFO"] == "/thing"
    assert response.environ.get("CONTENT_LENGTH") == content_length


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_method_helpers_carry_a_body(method: str) -> None:
    response = getattr(Client(echo), method)("/", body=b"payload")
    assert response.body == b"payload"
    assert response.environ is not None
    assert response.environ["CONTENT_LENGTH"] == "7"


def test_options_defaults_to_the_asterisk_target() -> None:
    response = Client(echo).options()
    assert response.status_code == 200
    assert response.request.target == "*"
    assert response.environ is not None
    assert (response.environ["REQUEST_METHOD"], response.environ["PATH_INFO"]) == ("OPTIONS", "*")


def test_request_sends_any_method() -> None:
    response = Client(echo).request("PROPFIND", "/dav", body="<x/>")
    assert response.environ is not None
    assert response.environ["REQUEST_METHOD"] == "PROPFIND"
    assert response.body == b"<x/>"


def test_build_request_does_not_run_the_app() -> None:
    app = Counting()
    request = Client(app).build_request("POST", "/p", body=b"abc")
    assert app.calls == 0
    assert (request.method, request.target, request.body) == ("POST", "/p", b"abc")
    assert request.framing is Framing.CONTENT_LENGTH


# -- headers and bodies -----------------------------------------------------------------------


def test_headers_as_a_dict() -> None:
    response = Client(echo).get("/", headers={"X-Token": "abc", "Accept": "text/plain"})
    assert response.environ is not None
    assert response.environ["HTTP_X_TOKEN"] == "abc"
    assert response.environ["HTTP_ACCEPT"] == "text/plain"


def test_headers_as_pairs_keep_repeats() -> None:
    response = Client(echo).get("/", headers=[("X-Tag", "a"), ("X-Tag", "b"), ("Cookie", "c=1")])
    assert response.request.header_values("X-Tag") == ["a", "b"]
    assert response.environ is not None
    assert response.environ["HTTP_X_TAG"] == "a, b"
    assert response.environ["HTTP_COOKIE"] == "c=1"


def test_json_sets_body_and_content_type() -> None:
    response = Client(echo).post("/api", json={"name": "caf\xe9", "n": [1, 2]})
    assert json.loads(response.body) == {"name": "caf\xe9", "n": [1, 2]}
    assert response.environ is not None
    assert response.environ["CONTENT_TYPE"] == "application/json"
    assert response.environ["CONTENT_LENGTH"] == str(len(response.body))


def test_form_sets_an_urlencoded_body_and_content_type() -> None:
    response = Client(echo).post("/form", form={"a": "1", "b": "x y&z"})
    assert response.body == b"a=1&b=x+y%26z"
    assert response.environ is not None
    assert response.environ["CONTENT_TYPE"] == "application/x-www-form-urlencoded"


def test_a_text_body_is_sent_as_utf8() -> None:
    assert Client(echo).post("/", body="caf\xe9").body == b"caf\xc3\xa9"


def test_a_content_length_header_that_matches_the_body_is_used() -> None:
    response = Client(echo).post("/", body=b"abc", headers={"Content-Length": "3"})
    assert response.body == b"abc"
    assert response.request.framing is Framing.CONTENT_LENGTH
    assert response.request.header_values("Content-Length") == []  # framing lives apart


def test_a_content_length_header_on_a_get_gives_it_length_framing() -> None:
    response = Client(echo).get("/", headers={"content-length": "0"})
    assert response.environ is not None
    assert response.environ["CONTENT_LENGTH"] == "0"


@pytest.mark.parametrize("declared", ["2", "4", "abc", ""])
def test_a_content_length_header_that_disagrees_with_the_body_is_an_error(declared: str) -> None:
    app = Counting()
    with pytest.raises(ValueError, match="Content-Length"):
        Client(app).post("/", body=b"abc", headers={"Content-Length": declared})
    assert app.calls == 0


@pytest.mark.parametrize(
    "options",
    [{"headers": {"Transfer-Encoding": "chunked"}}, {"chunked": True}],
    ids=["header", "option"],
)
def test_chunked_requests_are_framed_as_chunked(options: dict[str, Any]) -> None:
    response = Client(echo).post("/up", body=b"streamed body", **options)
    assert response.request.framing is Framing.CHUNKED
    assert response.body == b"streamed body"
    environ = response.environ
    assert environ is not None
    assert "CONTENT_LENGTH" not in environ
    assert environ["HTTP_TRANSFER_ENCODING"] == "chunked"
    assert environ["wsgi.input_terminated"] is True


def test_chunk_sizes_are_kept_on_the_request() -> None:
    response = Client(echo).post("/", body=b"abcdef", chunked=True, chunk_sizes=(2, 4))
    assert response.request.chunks() == [b"ab", b"cdef"]
    assert response.body == b"abcdef"


def test_a_transfer_coding_other_than_chunked_is_an_error() -> None:
    with pytest.raises(ValueError, match="Transfer-Encoding"):
        Client(echo).post("/", body=b"x", headers={"Transfer-Encoding": "gzip"})


# -- targets ----------------------------------------------------------------------------------


def test_a_text_target_is_percent_encoded_as_utf8() -> None:
    response = Client(echo).get("/caf\xe9")
    assert response.request.target == "/caf%C3%A9"
    assert response.environ is not None
    assert response.environ["PATH_INFO"] == "/caf\xc3\xa9"


def test_a_bytes_target_is_sent_exactly_as_given() -> None:
    response = Client(echo).get(b"/caf\xe9")
    assert response.request.target == "/caf\xe9"
    assert response.environ is not None
    assert response.environ["PATH_INFO"] == "/caf\xe9"


@pytest.mark.parametrize(
    ("target", "sent", "path_info", "query"),
    [
        ("/a b", "/a%20b", "/a b", ""),
        ("/p?q=caf\xe9", "/p?q=caf%C3%A9", "/p", "q=caf%C3%A9"),
        ("/100%25?x=%41", "/100%25?x=%41", "/100%", "x=%41"),
        ("/a;b/c@d:e", "/a;b/c@d:e", "/a;b/c@d:e", ""),
        # A fragment is the browser's alone; a control character goes as its escape.
        ("/etag/#frag", "/etag/", "/etag/", ""),
        ("/p?q=1#x", "/p?q=1", "/p", "q=1"),
        ("/a\x1bb\x7f", "/a%1Bb%7F", "/a\x1bb\x7f", ""),
    ],
)
def test_text_targets_are_sent_as_a_browser_would(
    target: str, sent: str, path_info: str, query: str
) -> None:
    response = Client(echo).get(target)
    assert response.request.target == sent
    assert response.environ is not None
    assert response.environ["PATH_INFO"] == path_info
    assert response.environ["QUERY_STRING"] == query


# -- Host and version -------------------------------------------------------------------------


def test_host_is_added_when_the_request_has_none() -> None:
    response = Client(echo).get("/")
    assert response.request.header_values("Host") == ["localhost"]
    assert response.environ is not None
    assert response.environ["HTTP_HOST"] == "localhost"


@pytest.mark.parametrize("name", ["Host", "host", "HOST"])
def test_a_host_given_by_the_request_is_not_doubled(name: str) -> None:
    response = Client(echo).get("/", headers={name: "example.org"})
    assert response.request.header_values("host") == ["example.org"]
    assert response.environ is not None
    assert response.environ["HTTP_HOST"] == "example.org"


def test_the_client_host_and_port_shape_the_default_host() -> None:
    assert Client(echo, host="api.test").get("/").request.header_values("Host") == ["api.test"]
    client = Client(echo, config=ServerConfig(server_port="8080"))
    assert client.get("/").request.header_values("Host") == ["localhost:8080"]


def test_http_1_0_requests_get_no_host_and_still_run() -> None:
    response = Client(echo).get("/old", http_version="1.0")
    assert response.status_code == 200
    assert response.request.header_values("Host") == []
    assert response.environ is not None
    assert response.environ["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert "HTTP_HOST" not in response.environ


def test_an_http_1_1_request_without_host_is_refused_by_the_server() -> None:
    app = Counting()
    response = Client(app).send(Request(method="GET", target="/"))
    assert response.status_code == 400
    assert response.environ is None
    assert app.calls == 0
    assert len(response.trace) == 0
    assert response.header("Connection") == "close"
    assert response.body
    assert response.complete


def test_two_host_headers_are_refused_by_the_server() -> None:
    app = Counting()
    response = Client(app).get("/", headers=[("Host", "a"), ("Host", "b")])
    assert (response.status_code, response.environ, app.calls) == (400, None, 0)


# -- mount prefix -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "path_info"), [("/mnt/x/y", "/x/y"), ("/mnt", ""), ("/mnt/", "/")]
)
def test_script_name_splits_the_path(target: str, path_info: str) -> None:
    response = Client(echo, script_name="/mnt").get(target)
    assert response.status_code == 200
    assert response.environ is not None
    assert (response.environ["SCRIPT_NAME"], response.environ["PATH_INFO"]) == ("/mnt", path_info)


@pytest.mark.parametrize("target", ["/other", "/mntx", "/"])
def test_a_path_outside_the_mount_prefix_is_a_404_from_the_server(target: str) -> None:
    app = Counting()
    response = Client(app, script_name="/mnt").get(target)
    assert (response.status_code, response.environ, app.calls) == (404, None, 0)


# -- the Response value -----------------------------------------------------------------------


def test_response_text_status_header_and_repr() -> None:
    app = responder(
        b"caf\xc3\xa9",
        [("Content-Type", "text/plain; charset=utf-8"), ("X-Rep", "1"), ("x-rep", "2")],
        "404 Not Found",
    )
    response = Client(app).get("/missing")
    assert response.status == "404 Not Found"
    assert (response.status_code, response.reason) == (404, "Not Found")
    assert response.text == "caf\xe9"
    assert response.header("x-REP") == "1"
    assert response.header("X-Absent") is None
    assert response.header("X-Absent", "fallback") == "fallback"
    text = repr(response)
    assert all(part in text for part in ("404", "GET", "/missing"))


@pytest.mark.parametrize(
    ("content_type", "charset", "body", "text"),
    [
        ("text/plain; charset=latin-1", "latin-1", b"caf\xe9", "caf\xe9"),
        ('text/plain; CHARSET="iso-8859-1"', "iso-8859-1", b"caf\xe9", "caf\xe9"),
        ("text/plain", "utf-8", b"caf\xc3\xa9", "caf\xe9"),
        (None, "utf-8", b"caf\xc3\xa9", "caf\xe9"),
        ("text/plain; charset=x-no-such-codec", "x-no-such-codec", b"ok\xff", "ok\ufffd"),
    ],
)
def test_response_charset_drives_text(
    content_type: str | None, charset: str, body: bytes, text: str
) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    response = Client(responder(body, headers)).get("/")
    assert response.charset == charset
    assert response.text == text


def test_response_json_parses_the_body() -> None:
    app = responder(b'{"a": [1, 2], "b": null}', [("Content-Type", "application/json")])
    assert Client(app).get("/").json() == {"a": [1, 2], "b": None}


def test_the_environ_snapshot_is_what_the_server_built() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        environ["PATH_INFO"] = "/rewritten"
        environ["x.added"] = True
        del environ["QUERY_STRING"]
        start_response("200 OK", [])
        return [environ["PATH_INFO"].encode()]

    response = Client(app).get("/original?q=1")
    assert response.body == b"/rewritten"  # the app did change its own environ
    environ = response.environ
    assert environ is not None
    assert environ["PATH_INFO"] == "/original"
    assert environ["QUERY_STRING"] == "q=1"
    assert "x.added" not in environ


def test_errors_captures_what_the_app_wrote_to_wsgi_errors() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        errors = environ["wsgi.errors"]
        errors.write("first\n")
        errors.writelines(["second\n", "third\n"])
        errors.flush()
        start_response("200 OK", [])
        return [b""]

    response = Client(app).get("/")
    assert response.errors == "first\nsecond\nthird\n"
    assert [e.method for e in response.trace.of(ErrorsWritten)] == ["write", "writelines", "flush"]


def test_the_trace_records_what_the_app_did_in_order() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        environ["wsgi.input"].read(2)
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"body"

    response = Client(app).post("/", body=b"abcd")
    assert [type(e).__name__ for e in response.trace] == [
        "AppReturned",
        "InputRead",
        "StartResponseCalled",
        "Yielded",
        "HeadersSent",
        "Exhausted",
        "CloseCalled",
    ]
    [read] = response.trace.of(InputRead)
    assert (read.method, read.argument, read.size, read.available) == ("read", 2, 2, 4)
    [call] = response.trace.of(StartResponseCalled)
    assert call.status == "200 OK"
    [sent] = response.trace.of(HeadersSent)
    assert sent.headers[0] == ("Content-Type", "text/plain")
    assert response.trace[0] is response.trace[0]  # built once, then kept


def test_short_reads_from_the_config_reach_the_app() -> None:
    sizes: list[int] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        while chunk := environ["wsgi.input"].read(100):
            sizes.append(len(chunk))
        start_response("200 OK", [])
        return []

    Client(app, config=ServerConfig(max_read=3)).post("/", body=b"abcdefgh")
    assert sizes == [3, 3, 2]


# -- the plain-request cache ------------------------------------------------------------------


def test_plain_get_and_head_reuse_their_request_value() -> None:
    client = Client(echo)
    first = client.get("/same").request
    assert client.get("/same").request is first
    assert client.head("/same").request is client.head("/same").request
    assert client.head("/same").request is not first
    assert client.get("/other").request is not first


def test_str_and_bytes_targets_are_different_cache_entries() -> None:
    client = Client(echo)
    text = client.get("/caf\xe9").request
    raw = client.get(b"/caf\xe9").request
    assert (text.target, raw.target) == ("/caf%C3%A9", "/caf\xe9")


def test_requests_with_options_are_built_fresh() -> None:
    client = Client(echo)
    first = client.get("/same", headers={"X-A": "1"}).request
    second = client.get("/same", headers={"X-A": "2"}).request
    assert first is not second
    assert second.header_values("X-A") == ["2"]
    assert client.get("/same").request.header_values("X-A") == []


def test_requests_with_the_same_headers_and_body_reuse_their_request_value() -> None:
    client = Client(echo)
    options: dict[str, Any] = {"headers": {"X-A": "1"}, "body": b"abc"}
    first = client.post("/same", **options)
    assert client.post("/same", **options).request is first.request
    assert client.post("/same", headers=[("X-A", "1")], body=b"abc").request is first.request
    other = client.post("/same", headers={"X-A": "1"}, body=b"abd")
    assert (first.body, other.body) == (b"abc", b"abd")
    assert client.put("/same", **options).request.method == "PUT"
    # JSON and forms are built each time (their values need not be plain).
    assert client.post("/j", json=[1]).request is not client.post("/j", json=[1]).request


def test_a_reused_request_gets_a_fresh_environ_and_input_each_time() -> None:
    seen: list[bytes] = []

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        environ["x.mark"] = len(seen)
        start_response("200 OK", [])
        return []

    client = Client(app)
    responses = [client.get("/same") for _ in range(2)]
    assert responses[0].environ is not responses[1].environ
    assert all(r.environ is not None and "x.mark" not in r.environ for r in responses)
    assert seen == [b"", b""]


# -- the seed apps ----------------------------------------------------------------------------


SEEDS = {
    "wsgiapp": "Hello world from a simple WSGI application!\n",
    "pyramidapp": "Hello world from Pyramid!\n",
    "flaskapp": "Hello world from Flask!\n",
    "djangoapp": "Hello world from Django!\n",
}


@pytest.fixture(params=sorted(SEEDS))
def seed(request: pytest.FixtureRequest, fixtures_dir: Path) -> tuple[Client, str]:
    """A client for one seed app, and the greeting it answers /hello with."""
    with warnings.catch_warnings():
        # WebOb (under Pyramid) still imports the stdlib cgi module.
        warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
        app = load_target(str(fixtures_dir / f"{request.param}.py") + ":app")
    return Client(app), SEEDS[request.param]


def assert_clean(response: Any) -> None:
    assert response.trace.of(Refused) == []
    assert response.trace.of(AppRaised) == []
    assert response.complete


def test_seed_app_says_hello(seed: tuple[Client, str]) -> None:
    client, greeting = seed
    response = client.get("/hello")
    assert response.status_code == 200
    assert response.text == greeting
    assert (response.header("Content-Type") or "").startswith("text/plain")
    assert_clean(response)


def test_seed_app_answers_head_without_a_body(seed: tuple[Client, str]) -> None:
    client, greeting = seed
    response = client.head("/hello")
    assert response.status_code == 200
    assert response.body == b""
    assert response.header("Content-Length") == str(len(greeting.encode()))
    assert response.trace.of(StartResponseCalled)  # the app ran
    assert_clean(response)


def test_seed_app_answers_an_unknown_path_with_404(seed: tuple[Client, str]) -> None:
    client, _ = seed
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert_clean(response)


def test_a_response_replaced_keeps_the_exchange_and_changes_only_what_is_asked() -> None:
    """``Response.replace`` shows a rule what a differently behaved server sends."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    real = Client(app).get("/")
    cut = real.replace(body=b"hel", complete=False)
    assert (cut.body, cut.complete, cut.status_code) == (b"hel", False, 200)
    assert cut.request is real.request
    assert cut.environ is real.environ
    assert list(cut.trace) == list(real.trace)
    fewer = real.replace(list(real.trace)[:1])
    assert list(fewer.trace) == list(real.trace)[:1]
    with pytest.raises(TypeError, match="cannot change environ"):
        real.replace(environ={})


def test_repeated_request_environ_follows_config_and_remote() -> None:
    """The Client keeps the last request's environ (less its streams) for the same request:
    a new config or remote address between two sends of one request still shows, and the
    environ handed to the app is a copy with this exchange's own streams."""
    from dataclasses import replace

    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ)
        environ["PATH_INFO"] = "/changed by the app"
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    client = Client(app)
    first = client.get("/mount/x")
    second = client.get("/mount/x")  # the same Request object: the kept environ, copied
    client.config = replace(client.config, script_name="/mount")
    mounted = client.get("/mount/x")
    client.remote = ("10.0.0.9", None)
    moved = client.get("/mount/x")
    assert first.request is second.request is mounted.request is moved.request
    assert first.environ is not None
    assert second.environ is not None
    assert mounted.environ is not None
    assert moved.environ is not None
    assert (second.environ["SCRIPT_NAME"], second.environ["PATH_INFO"]) == ("", "/mount/x")
    assert seen[0]["wsgi.input"] is not seen[1]["wsgi.input"]
    assert (mounted.environ["SCRIPT_NAME"], mounted.environ["PATH_INFO"]) == ("/mount", "/x")
    assert mounted.environ["REMOTE_ADDR"] == "127.0.0.1"
    assert moved.environ["REMOTE_ADDR"] == "10.0.0.9"
