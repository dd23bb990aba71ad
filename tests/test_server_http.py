"""The socket server's HTTP/1.1 behaviour, with real clients on loopback.

curl, ``http.client``, requests and httpx talk to a live
:func:`wsgicheck.drivers.server.live_server`;
raw sockets cover what clients do not let us control (pipelining, exact framing, Expect).
RFC 9112 (message syntax and framing), RFC 9110 §10.1.1 (Expect) and PEP 3333 (streaming,
``wsgi.input_terminated``, ``wsgi.multithread``).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
import requests

from serverutil import (
    TIMEOUT,
    Reader,
    Recorder,
    blocks,
    connect,
    exchange,
    nothing_arrives,
    parse_responses,
    pattern_sha,
    read_until,
    read_until_closed,
)
from wsgicheck import Framing
from wsgicheck.drivers.connection import Limits
from wsgicheck.drivers.server import Server, live_server
from wsgicheck.target import load_target

pytest_plugins = ["pytester"]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CURL = shutil.which("curl") or "/usr/bin/curl"
LIMITS = Limits(header_timeout=2.0, keepalive_timeout=5.0, exchange_timeout=10.0)
MIB = 1 << 20


class App:
    """A router of small WSGI apps; its events let a test hold an app at a known point."""

    def __init__(self) -> None:
        #: Released by the test once it has seen the first streamed block.
        self.gate = threading.Event()
        #: Released by the test to let /gated-read read the request body.
        self.read_gate = threading.Event()
        self.reading = threading.Event()

    def release(self) -> None:
        self.gate.set()
        self.read_gate.set()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes] | list:
        path = environ["PATH_INFO"]
        query = {key: values[0] for key, values in parse_qs(environ["QUERY_STRING"]).items()}
        if path == "/stream":
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return blocks(int(query["total"]), int(query["size"]))
        if path == "/gated-stream":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return self._gated_stream()
        if path == "/list":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"one block, no Content-Length\n"]
        if path == "/noread":
            body = b"answered without reading\n"
            start_response("200 OK", [("Content-Length", str(len(body)))])
            return [body]
        if path == "/upload":
            return self._upload(environ, start_response)
        if path == "/gated-read":
            self.reading.set()
            self.read_gate.wait(TIMEOUT)
        return self._echo(environ, start_response)

    def _gated_stream(self) -> Iterator[bytes]:
        yield b"first block\n"
        self.gate.wait(TIMEOUT)
        yield b"second block\n"

    def _upload(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        digest = hashlib.sha256()
        size = reads = 0
        stream = environ["wsgi.input"]
        for _ in range(100_000):
            data = stream.read(65536)
            if not data:
                break
            digest.update(data)
            size += len(data)
            reads += 1
        return _json(start_response, {"size": size, "sha": digest.hexdigest(), "reads": reads})

    def _echo(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = environ["wsgi.input"].read()
        seen = {
            key: value
            for key, value in environ.items()
            if isinstance(value, (str, bool, int)) and not key.startswith("wsgi.input")
        }
        seen["wsgi.input_terminated"] = environ.get("wsgi.input_terminated")
        seen["body"] = body.decode("latin-1")
        seen["body_sha"] = hashlib.sha256(body).hexdigest()
        return _json(start_response, seen)


def _json(start_response: Any, value: object) -> list[bytes]:
    body = json.dumps(value).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


@pytest.fixture
def app() -> Iterator[App]:
    the_app = App()
    yield the_app
    the_app.release()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(app: App, recorder: Recorder) -> Iterator[Server]:
    with live_server(app, threads=8, limits=LIMITS, **recorder.options) as srv:
        try:
            yield srv
        finally:
            app.release()


def curl(*args: str, max_time: float = 10.0) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [CURL, "--silent", "--show-error", "--max-time", str(max_time), *args],
        capture_output=True,
        timeout=max_time + 5,
        check=False,
    )


# -- real clients ------------------------------------------------------------------------------


def test_http_client_get_sees_the_server_environ(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("GET", "/echo?x=1&y=%20", headers={"X-Test": "yes"})
        response = conn.getresponse()
        seen = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200
    assert seen["PATH_INFO"] == "/echo"
    assert seen["QUERY_STRING"] == "x=1&y=%20"
    assert seen["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert seen["REMOTE_ADDR"] == "127.0.0.1"
    assert seen["SERVER_NAME"] == "127.0.0.1"
    assert seen["SERVER_PORT"] == str(server.port)
    assert seen["HTTP_X_TEST"] == "yes"
    assert seen["wsgi.url_scheme"] == "http"


def test_http_client_keep_alive_reuses_one_connection(server: Server, recorder: Recorder) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        ports = []
        for path in ("/echo", "/list", "/echo?again"):
            conn.request("GET", path)
            response = conn.getresponse()
            body = response.read()
            if path.startswith("/echo"):
                ports.append(json.loads(body)["REMOTE_PORT"])
            sock = conn.sock
            assert sock is not None
        local_port = sock.getsockname()[1]
    finally:
        conn.close()
    assert ports == [str(local_port)] * 2
    assert recorder.wait(records=3)
    assert {record.environ["REMOTE_PORT"] for record in recorder.records} == {str(local_port)}


def test_requests_session_keeps_alive_and_posts(server: Server) -> None:
    with requests.Session() as session:
        first = session.get(f"{server.url}/echo", timeout=TIMEOUT).json()
        posted = session.post(f"{server.url}/echo?p", data=b"form=1", timeout=TIMEOUT).json()
    assert posted["REMOTE_PORT"] == first["REMOTE_PORT"]
    assert posted["body"] == "form=1"
    assert posted["CONTENT_LENGTH"] == "6"
    assert posted["REQUEST_METHOD"] == "POST"


def test_httpx_client_get_and_post(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=TIMEOUT) as client:
        got = client.get("/echo", params={"q": "a b"}).json()
        posted = client.post("/echo", content=b"\x00\xffbinary").json()
    assert got["QUERY_STRING"] == "q=a+b"
    assert posted["body"] == "\x00\xffbinary"
    assert posted["REMOTE_PORT"] == got["REMOTE_PORT"]


def test_curl_reuses_the_connection_across_urls(server: Server, recorder: Recorder) -> None:
    result = curl("-v", f"{server.url}/echo?one", f"{server.url}/echo?two")
    assert result.returncode == 0, result.stderr
    decoded = json.JSONDecoder()
    text = result.stdout.decode()
    first, end = decoded.raw_decode(text)
    second, _ = decoded.raw_decode(text[end:])
    assert (first["QUERY_STRING"], second["QUERY_STRING"]) == ("one", "two")
    assert first["REMOTE_PORT"] == second["REMOTE_PORT"]
    assert re.search(rb"Re-?using existing", result.stderr, re.IGNORECASE)


def test_curl_chunked_upload(server: Server, tmp_path: Path) -> None:
    data = os.urandom(3 * MIB + 17)
    upload = tmp_path / "upload.bin"
    upload.write_bytes(data)
    result = curl(
        "--data-binary",
        f"@{upload}",
        "-H",
        "Transfer-Encoding: chunked",
        "-H",
        "Content-Type: application/octet-stream",
        f"{server.url}/upload",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["sha"] == hashlib.sha256(data).hexdigest()
    echoed = curl(
        "--data-binary", "hello", "-H", "Transfer-Encoding: chunked", f"{server.url}/echo"
    )
    seen = json.loads(echoed.stdout)
    assert seen["body"] == "hello"
    assert seen["wsgi.input_terminated"] is True
    assert "CONTENT_LENGTH" not in seen


def test_curl_expect_100_continue(server: Server) -> None:
    result = curl(
        "-v",
        "--expect100-timeout",
        "30",
        "--data-binary",
        "x" * 1000,
        "-H",
        "Expect: 100-continue",
        f"{server.url}/echo",
    )
    assert result.returncode == 0, result.stderr
    # RFC 9112 §4: the reason phrase is optional (h11 sends none), the status is what counts.
    assert re.search(rb"< HTTP/1.1 100 ", result.stderr)
    assert json.loads(result.stdout)["body"] == "x" * 1000


def test_curl_expect_answered_without_reading_does_not_wait(server: Server) -> None:
    # curl would wait 30 s for a 100 before sending the body; the answer must come first.
    result = curl(
        "-v",
        "--expect100-timeout",
        "30",
        "--data-binary",
        "x" * 1000,
        "-H",
        "Expect: 100-continue",
        f"{server.url}/noread",
        max_time=10,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"answered without reading\n"
    assert not re.search(rb"< HTTP/1.1 100 ", result.stderr)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("wsgiapp", "Hello world from a simple WSGI application!\n"),
        ("pyramidapp", "Hello world from Pyramid!\n"),
        ("flaskapp", "Hello world from Flask!\n"),
        ("djangoapp", "Hello world from Django!\n"),
    ],
)
def test_seed_apps_served_and_fetched_with_curl(name: str, text: str) -> None:
    with warnings.catch_warnings():
        # WebOb (under Pyramid) still imports the stdlib cgi module.
        warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
        app = load_target(f"{FIXTURES / name}.py:app")
    with live_server(app, limits=LIMITS) as srv:
        result = curl("--include", f"{srv.url}/hello")
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert body.decode() == text


# -- raw sockets: framing ----------------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(server: Server) -> None:
    requests_ = (
        b"GET /echo?1 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /echo?2 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
        b"GET /list HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /echo?4 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n"
        b"GET /echo?5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    data, closed = exchange(server, requests_)
    assert closed
    responses = parse_responses(data)
    assert [r.status for r in responses] == [200] * 5
    assert responses[2].body == b"one block, no Content-Length\n"
    echoed = [r.json() for i, r in enumerate(responses) if i != 2]
    assert [e["QUERY_STRING"] for e in echoed] == ["1", "2", "4", "5"]
    assert [e["body"] for e in echoed] == ["", "hello", "abc", ""]


def test_pipelined_requests_sent_byte_by_byte(server: Server) -> None:
    payload = b"GET /echo?a HTTP/1.1\r\nHost: x\r\n\r\nGET /echo?b HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(server) as sock:
        for byte in payload:
            sock.sendall(bytes([byte]))
        sock.shutdown(1)
        data, closed = read_until_closed(sock)
    assert closed
    assert [r.json()["QUERY_STRING"] for r in parse_responses(data)] == ["a", "b"]


def test_http10_request_is_answered_and_closed(server: Server) -> None:
    data, closed = exchange(server, b"GET /list HTTP/1.0\r\n\r\n")
    assert closed
    (response,) = parse_responses(data)
    assert response.status == 200
    assert response.header("Content-Length") == str(len(response.body))


def test_http10_streaming_response_is_close_delimited(server: Server) -> None:
    data, closed = exchange(server, b"GET /stream?total=5000&size=1000 HTTP/1.0\r\n\r\n")
    assert closed
    (response,) = parse_responses(data)
    assert response.header("Transfer-Encoding") is None
    assert response.header("Content-Length") is None
    assert response.body == b"".join(blocks(5000, 1000))


def test_streaming_uses_chunked_coding_on_http11(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /stream?total=5000&size=1000 HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until(sock, b"\r\n0\r\n\r\n")
        # Every yielded block went out as its own chunk.
        assert data.count(b"\r\n3e8\r\n") == 5
        sock.sendall(b"GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        rest, closed = read_until_closed(sock)
    assert closed
    first, second = parse_responses(data + rest)
    assert first.header("Transfer-Encoding") == "chunked"
    assert first.header("Content-Length") is None
    assert first.body == b"".join(blocks(5000, 1000))
    assert second.header("Connection") == "close"


def test_connection_close_is_honoured(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data, closed = read_until_closed(sock)
    assert closed
    (response,) = parse_responses(data)
    assert response.header("Connection") == "close"


def test_chunked_request_body_is_decoded_before_the_app(server: Server) -> None:
    body = b"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
    head = b"PUT /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
    data, _ = exchange(server, head + b"\r\n" + body)
    seen = parse_responses(data)[0].json()
    assert seen["body"] == "hello 0123456789"
    assert seen["wsgi.input_terminated"] is True
    assert "CONTENT_LENGTH" not in seen
    assert "HTTP_X_TRAILER" not in seen


def test_leading_empty_lines_are_ignored(server: Server) -> None:
    data, _ = exchange(
        server, b"\r\n\r\nGET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert [r.status for r in parse_responses(data)] == [200]


def test_absolute_form_and_asterisk_form(server: Server) -> None:
    data, _ = exchange(
        server,
        b"GET http://x/echo?abs HTTP/1.1\r\nHost: x\r\n\r\n"
        b"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    absolute, asterisk = parse_responses(data)
    assert (absolute.json()["PATH_INFO"], absolute.json()["QUERY_STRING"]) == ("/echo", "abs")
    assert asterisk.json()["PATH_INFO"] == "*"


# -- Expect: 100-continue ----------------------------------------------------------------------


def test_100_continue_is_sent_only_when_the_app_reads(server: Server, app: App) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /gated-read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert app.reading.wait(TIMEOUT)
        # The app is running but has not touched wsgi.input: no 100 yet.
        assert nothing_arrives(sock, 0.3)
        app.read_gate.set()
        interim = read_until(sock, b"\r\n\r\n")
        assert re.fullmatch(rb"HTTP/1\.1 100 [^\r\n]*\r\n\r\n", interim)
        sock.sendall(b"hello")
        reader = Reader(sock)
        response = reader.response()
        reader.close()
    assert response.json()["body"] == "hello"
    assert response.header("Connection") is None  # the body was read: keep-alive is fine


def test_expect_answered_without_reading_closes_instead_of_waiting(server: Server) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"
        )
        data, closed = read_until_closed(sock)
    assert closed
    assert not data.startswith(b"HTTP/1.1 100")
    (response,) = parse_responses(data)
    assert response.body == b"answered without reading\n"
    assert response.header("Connection") == "close"


@pytest.mark.parametrize(("unread", "closes"), [(100, False), (101, True)])
def test_an_unread_body_is_drained_up_to_the_limit_and_a_larger_one_announces_close(
    app: App, unread: int, closes: bool
) -> None:
    """RFC 9112 §9.6: a server that will close after the response says so in it, so a client
    does not send its next request into a connection about to close. With the length
    declared, the server knows before the head goes out that it will not discard the rest."""
    with live_server(app, limits=Limits(drain_limit=100)) as srv:
        head = f"POST /noread HTTP/1.1\r\nHost: x\r\nContent-Length: {unread}\r\n\r\n"
        data, closed = exchange(
            srv,
            head.encode() + b"x" * unread + b"GET /list HTTP/1.1\r\nHost: x\r\n\r\n",
            half_close=not closes,
        )
    responses = parse_responses(data)
    assert closed
    assert responses[0].body == b"answered without reading\n"
    assert responses[0].header("Connection") == ("close" if closes else None)
    assert len(responses) == (1 if closes else 2)


def test_expect_with_the_body_sent_anyway(server: Server) -> None:
    # A client may send the body without waiting (RFC 9110 §10.1.1); it must still work.
    data, _ = exchange(
        server,
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
        b"Connection: close\r\n\r\nhello",
    )
    responses = parse_responses(data)
    assert responses[-1].json()["body"] == "hello"


# -- HEAD --------------------------------------------------------------------------------------


def test_head_has_headers_but_no_body_and_keeps_alive(server: Server) -> None:
    data, closed = exchange(
        server,
        b"HEAD /list HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /stream?total=3000&size=1000 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    assert closed
    head, streamed, get = parse_responses(data, ["HEAD", "HEAD", "GET"])
    assert head.body == b""
    assert streamed.body == b""
    assert head.header("Content-Length") == str(len(get.body)) == "29"
    assert (head.status, streamed.status, get.status) == (200, 200, 200)


def test_head_through_http_client(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT)
    try:
        conn.request("HEAD", "/list")
        response = conn.getresponse()
        assert response.read() == b""
        assert response.getheader("Content-Length") == "29"
        conn.request("GET", "/list")
        assert conn.getresponse().read() == b"one block, no Content-Length\n"
    finally:
        conn.close()


# -- streaming and large bodies ----------------------------------------------------------------


def test_first_block_reaches_the_client_before_the_second_is_yielded(
    server: Server, app: App
) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /gated-stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        first = read_until(sock, b"first block\n")
        assert b"first block\n" in first
        assert b"second" not in first
        app.gate.set()
        rest, closed = read_until_closed(sock)
    assert closed
    (response,) = parse_responses(first + rest)
    assert response.body == b"first block\nsecond block\n"


def test_large_streamed_download_with_httpx(server: Server) -> None:
    total, size = 20 * MIB, 64 * 1024
    digest = hashlib.sha256()
    received = 0
    with (
        httpx.Client(timeout=TIMEOUT * 4) as client,
        client.stream("GET", f"{server.url}/stream?total={total}&size={size}") as response,
    ):
        assert response.headers["transfer-encoding"] == "chunked"
        for data in response.iter_bytes():
            digest.update(data)
            received += len(data)
    assert received == total
    assert digest.hexdigest() == pattern_sha(total, size)


def test_large_chunked_upload_read_in_chunks(server: Server, recorder: Recorder) -> None:
    total, size = 20 * MIB, 64 * 1024
    response = requests.post(f"{server.url}/upload", data=blocks(total, size), timeout=TIMEOUT * 4)
    result = response.json()
    assert result["size"] == total
    assert result["sha"] == pattern_sha(total, size)
    assert result["reads"] >= total // 65536
    assert recorder.wait(records=1)
    assert recorder.records[0].request_body_size == total
    assert recorder.records[0].request.framing is Framing.CHUNKED


def test_large_upload_with_content_length_through_http_client(server: Server) -> None:
    data = os.urandom(5 * MIB)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=TIMEOUT * 4)
    try:
        conn.request("POST", "/upload", body=data)
        result = json.loads(conn.getresponse().read())
    finally:
        conn.close()
    assert result == {"size": len(data), "sha": hashlib.sha256(data).hexdigest()} | {
        "reads": result["reads"]
    }


# -- environ flags -----------------------------------------------------------------------------


def test_wsgi_multithread_is_true_with_a_pool(server: Server) -> None:
    seen = requests.get(f"{server.url}/echo", timeout=TIMEOUT).json()
    assert seen["wsgi.multithread"] is True
    assert seen["wsgi.multiprocess"] is False
    assert seen["wsgi.run_once"] is False


def test_wsgi_multithread_is_false_with_one_thread(app: App) -> None:
    with live_server(app, threads=1, limits=LIMITS) as srv:
        seen = requests.get(f"{srv.url}/echo", timeout=TIMEOUT).json()
    assert seen["wsgi.multithread"] is False


def test_records_carry_the_exchange(server: Server, recorder: Recorder) -> None:
    data, _ = exchange(server, b"GET /list HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert parse_responses(data)[0].status == 200
    assert recorder.wait(records=1)
    (record,) = recorder.records
    assert record.status_code == 200
    assert record.complete
    assert record.environ is not None
    assert record.environ["PATH_INFO"] == "/list"
    assert record.body_size == 29


# -- the pytest fixture ------------------------------------------------------------------------

FIXTURE_TEST = """
import urllib.request


def test_fetch(wsgi_server):
    assert wsgi_server.url.startswith("http://127.0.0.1:")
    with urllib.request.urlopen(wsgi_server.url + "/hello", timeout=10) as response:
        assert response.status == 200
        assert response.read() == b"Hello world from a simple WSGI application!\\n"
"""


def test_wsgi_server_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=FIXTURE_TEST)
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--wsgi-app={FIXTURES / 'wsgiapp.py'}:app",
        "--wsgi-no-suite",
        timeout=120,
    )
    result.assert_outcomes(passed=1)


def test_urllib_against_the_server(server: Server) -> None:
    with urllib.request.urlopen(f"{server.url}/list", timeout=TIMEOUT) as response:
        assert response.read() == b"one block, no Content-Length\n"
