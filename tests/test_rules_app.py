"""Application rules at their edges: what they must report, and what they must let pass.

The broken fixtures show each rule fires; these tests pin down the cases around them,
chiefly the false positives that were fixed (a finding the PEP does not back is a bug).
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.util import setup_testing_defaults

import bottle
import pytest
from werkzeug.test import Client as WerkzeugClient

from wsgicheck import Client, ServerConfig
from wsgicheck.drivers.validation import validator
from wsgicheck.rules import REGISTRY, Exchange, check_exchange

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
TEXT = [("Content-Type", "text/plain")]


def fired(app: Any, method: str = "GET", **options: Any) -> list[str]:
    """The rule ids one request through the memory transport finds, sorted."""
    config = options.pop("config", None)
    response = Client(app, config=config).request(method, "/", **options)
    return sorted({finding.rule for finding in check_exchange(Exchange(response))})


def validated(app: Any, server: Callable[[Any], None]) -> list[str]:
    """The APP rule ids ``validator(app, collect=True)`` finds when ``server`` runs it."""
    checked = validator(app, collect=True, select=["APP-*"])
    server(checked)
    return sorted({finding.rule for finding in checked.findings})


# -- APP-SR-CALLED ----------------------------------------------------------------------------


class _Blocks(io.BytesIO):
    """A file of the app's own that yields fixed blocks, not lines (Zope 6.3's
    filestream_iterator is such an io.FileIO)."""

    def __next__(self) -> bytes:
        block = self.read(4)
        if not block:
            raise StopIteration
        return block


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (io.BytesIO(b"line one\nline two\n"), ["APP-NO-FILE-AS-ITERABLE"]),
        (_Blocks(b"block by block"), []),  # the PEP's "application-specific file wrapper"
    ],
    ids=["a-standard-file", "a-wrapper-class"],
)
def test_a_file_is_reported_unless_it_iterates_its_own_way(
    body: io.IOBase, expected: list[str]
) -> None:
    def app(environ: Environ, start_response: StartResponse) -> io.IOBase:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    found = fired(app, config=ServerConfig(file_wrapper=False))
    assert [rule for rule in found if rule == "APP-NO-FILE-AS-ITERABLE"] == expected


def test_sr_called_waits_for_the_iterable_to_end() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b"early"
        start_response("200 OK", TEXT)

    # The server stopped at the early block; whether start_response would have come is
    # unknown, so only APP-SR-BEFORE-BODY is reported.
    assert fired(app) == ["APP-SR-BEFORE-BODY"]


def test_an_empty_block_before_start_response_is_allowed() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        yield b""
        start_response("200 OK", TEXT)
        yield b"late"

    assert fired(app) == []


# -- exc_info ---------------------------------------------------------------------------------


def test_a_kept_exc_info_for_an_error_status_is_an_error_handlers() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        try:
            raise ValueError("boom")
        except ValueError:
            kept = sys.exc_info()
        start_response("500 Internal Server Error", TEXT, kept)
        return [b"failed\n"]

    assert fired(app) == []


def test_a_kept_exc_info_for_a_success_status_is_reported() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        try:
            raise ValueError("boom")
        except ValueError:
            kept = sys.exc_info()
        start_response("200 OK", TEXT, kept)
        return [b"fine\n"]

    assert fired(app) == ["APP-EXC-INFO-ONLY-IN-ERROR"]


def test_bottles_deferred_500_with_exc_info_is_not_reported() -> None:
    app = bottle.Bottle()

    @app.route("/")
    def index() -> str:
        raise RuntimeError("the route failed")

    response = Client(app).get("/")
    assert response.status_code == 500
    assert check_exchange(Exchange(response)) == []


def _late_error_app(trap: bool) -> Callable[[Environ, StartResponse], Iterator[bytes]]:
    def app(environ: Environ, start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", TEXT)
        yield b"first part\n"
        try:
            raise ValueError("second part")
        except ValueError:
            try:
                start_response("500 Internal Server Error", TEXT, sys.exc_info())
            except ValueError:
                if not trap:
                    raise

    return app


def _serve(raise_late: bool) -> Callable[[Any], None]:
    """A server that sends headers with the first block; ``raise_late`` as the PEP says."""

    def serve(app: Any) -> None:
        environ: Environ = {"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO()}
        environ["wsgi.errors"] = io.StringIO()
        sent = []

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            if exc_info is not None and sent and raise_late:
                raise exc_info[1].with_traceback(exc_info[2])
            return sent.append

        result = app(environ, start_response)
        try:
            for block in result:
                sent.append(block)
        except ValueError:
            pass
        finally:
            result.close()

    return serve


def test_trapping_the_reraised_error_is_reported() -> None:
    assert fired(_late_error_app(trap=True)) == ["APP-NO-TRAP-SR-EXC"]
    assert validated(_late_error_app(trap=True), _serve(raise_late=True)) == ["APP-NO-TRAP-SR-EXC"]
    assert fired(_late_error_app(trap=False)) == []


def test_nothing_to_trap_when_the_server_did_not_raise() -> None:
    # A server (or a middleware, which may keep exc_info instead) that did not raise: the
    # app cannot have trapped anything.
    assert "APP-NO-TRAP-SR-EXC" not in validated(
        _late_error_app(trap=True), _serve(raise_late=False)
    )


# -- the streams ------------------------------------------------------------------------------


def _probing_app(environ: Environ, start_response: StartResponse) -> list[bytes]:
    stream = environ["wsgi.input"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    read = getattr(stream, "readinto", None)  # an optional fast path, as Werkzeug has
    body = stream.read(length) if read is None else b""
    start_response("200 OK", TEXT)
    return [b"%d\n" % len(body)]


def test_probing_a_stream_for_another_method_is_not_a_violation() -> None:
    assert fired(_probing_app, "POST", body=b"abc") == []


def test_the_validator_offers_only_the_peps_stream_methods() -> None:
    def seeking(environ: Environ, start_response: StartResponse) -> list[bytes]:
        environ["wsgi.input"].seek(0)
        start_response("200 OK", TEXT)
        return [b"x"]

    def serve(app: Any) -> None:
        environ: Environ = {"REQUEST_METHOD": "GET", "wsgi.input": io.BytesIO(b"abc")}
        environ["wsgi.errors"] = io.StringIO()
        # The server's stream has seek(), but the app only gets the PEP's methods.
        with contextlib.suppress(AttributeError):
            app(environ, lambda status, headers, exc_info=None: None)

    assert validated(seeking, serve) == ["APP-STREAMS-ONLY-SPEC-METHODS"]
    assert validated(_probing_app, serve) == []


def test_werkzeug_under_the_validator_takes_its_portable_path() -> None:
    def app(environ: Environ, start_response: StartResponse) -> Any:
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        return Response(request.form.get("name", ""))(environ, start_response)

    checked = validator(app)  # strict by default: a MUST finding would raise
    response = WerkzeugClient(checked).post("/", data={"name": "wsgicheck"})
    assert response.status_code == 200
    assert response.data == b"wsgicheck"
    response.close()  # the test client's server duty: close the iterable
    assert not any(finding.rule.startswith("APP-") for finding in checked.findings)


def test_werkzeug_without_input_terminated_is_clean() -> None:
    config = ServerConfig(input_terminated_always=False)

    def app(environ: Environ, start_response: StartResponse) -> Any:
        from werkzeug.wrappers import Request, Response

        return Response(Request(environ).form.get("name", ""))(environ, start_response)

    assert fired(app, "POST", form={"name": "x"}, config=config) == []


@pytest.mark.parametrize("max_read", [None, 3])
def test_a_read_past_the_body_after_a_short_read_says_so(max_read: int | None) -> None:
    """An app that reads CONTENT_LENGTH bytes in one call, and reads again for what a short
    read left out (Trac's error page): the finding says the first read came back short."""
    config = ServerConfig(input_terminated_always=False, max_read=max_read)

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        environ["wsgi.input"].read(length)
        environ["wsgi.input"].read(length)
        start_response("200 OK", TEXT)
        return [b"x"]

    response = Client(app, config=config).post("/", body=b"0123456789")
    messages = [finding.message for finding in check_exchange(Exchange(response))]
    expected = (
        "wsgi.input.read(10) with 7 bytes of body left, after a read(10) got 3 bytes (a short "
        "read, which a stream may give): one read of CONTENT_LENGTH bytes is not sure to get "
        "them all"
        if max_read
        else "wsgi.input.read(10) with 0 bytes of body left"
    )
    assert [message.split(" (at ")[0] for message in messages] == [expected]


def test_a_read_past_the_body_after_a_short_read_with_a_miscount_says_so() -> None:
    """A trial of 2026-12-07 (Webware 3.1's FieldStorage): after a short read the app reads
    again for what it counts as left, in characters decoded rather than bytes, and asks past
    the body. The finding said one read of CONTENT_LENGTH bytes was not sure to get them
    all, which the app never assumed."""
    config = ServerConfig(input_terminated_always=False, max_read=4)

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        left = int(environ.get("CONTENT_LENGTH") or 0)
        while left > 0:
            data = environ["wsgi.input"].read(left)
            if not data:
                break
            left -= len(data.decode("utf-8", "replace"))
        start_response("200 OK", TEXT)
        return [b"x"]

    response = Client(app, config=config).post("/", body="a\xe9bcd".encode())
    messages = [finding.message for finding in check_exchange(Exchange(response))]
    assert [message.split(" (at ")[0] for message in messages] == [
        "wsgi.input.read(3) with 2 bytes of body left, after a read(6) got 4 bytes (a short "
        "read, which a stream may give): the app's count of the bytes still to read was wrong"
    ]


def test_a_short_read_of_part_of_the_body_is_not_blamed() -> None:
    """The note is for a read of all that was left: a read(4) that got 3 is no sign the app
    took one read for the whole body."""
    config = ServerConfig(input_terminated_always=False, max_read=3)

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        environ["wsgi.input"].read(4)
        environ["wsgi.input"].read(100)
        start_response("200 OK", TEXT)
        return [b"x"]

    response = Client(app, config=config).post("/", body=b"0123456789")
    messages = [finding.message for finding in check_exchange(Exchange(response))]
    assert [message.split(" (at ")[0] for message in messages] == [
        "wsgi.input.read(100) with 7 bytes of body left"
    ]


@pytest.mark.parametrize("validated", [False, True])
def test_a_read_without_content_length_says_there_is_none(validated: bool) -> None:
    """Sweep 21, Roundup 2.6: its FieldStorage reads a line of a bodiless TRACE, which hangs
    under wsgiref; "with 0 bytes of body left" hid that the request declared no length.
    ``validator`` knows no length either, but a read that found the end at once shows there
    was none left (left in the closing note of 2026-12-06: it said nothing)."""
    config = ServerConfig(input_terminated_always=False)

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        environ["wsgi.input"].readline(65536)
        start_response("200 OK", TEXT)
        return [b"x"]

    if validated:
        checked = validator(app, collect=True, select=["APP-INPUT-*"])
        Client(checked, config=config).request("TRACE", "/")
        messages = [finding.message for finding in checked.findings]
    else:
        response = Client(app, config=config).request("TRACE", "/")
        messages = [finding.message for finding in check_exchange(Exchange(response))]
    assert [message.split(" (at ")[0] for message in messages] == [
        "wsgi.input.readline(65536) with no CONTENT_LENGTH, a body of none to read, and no "
        "wsgi.input_terminated (a server may give the socket itself, where the read waits for "
        "the client)"
    ]


MULTIPART = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--b--\r\n'


@pytest.mark.parametrize(
    ("body", "extra", "expected"),
    [
        # Lines up to the closing boundary, each readline(65536) stopping at its line break
        # inside the body: the stdlib cgi module's way (the app sweep of 2026-12-04: Trac).
        (MULTIPART, 0, []),
        # One line more, with nothing left: on a raw socket that read waits.
        (MULTIPART, 1, ["wsgi.input.readline(65536) with 0 bytes of body left"]),
        # A last line with no line break: the read went on to CONTENT_LENGTH and past it.
        (b"no line break", 0, ["wsgi.input.readline(65536) with 13 bytes of body left"]),
    ],
)
def test_a_sized_readline_that_stops_at_a_line_break_reads_no_further(
    body: bytes, extra: int, expected: list[str]
) -> None:
    """A readline's size caps the line; PEP 3333 asks servers to take it because the cgi
    module passes one. A line read that ended inside the body asked nothing past it."""
    config = ServerConfig(input_terminated_always=False)

    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        stream = environ["wsgi.input"]
        while (line := stream.readline(65536)) and line != b"--b--\r\n":
            if not line.endswith(b"\n"):
                break
        for _ in range(extra):
            stream.readline(65536)
        start_response("200 OK", TEXT)
        return [b"x"]

    response = Client(app, config=config).post("/", body=body)
    messages = [
        finding.message.split(" (at ")[0]
        for finding in check_exchange(Exchange(response))
        if finding.rule == "APP-INPUT-NO-READ-PAST-CL"
    ]
    assert messages == expected
    under = validator(app, collect=True, select=["APP-INPUT-NO-READ-PAST-CL"])
    environ: Environ = {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
    environ.update({"REQUEST_METHOD": "POST", "wsgi.input_terminated": False})
    setup_testing_defaults(environ)
    result = under(environ, lambda status, headers, exc_info=None: None)
    list(result)
    result.close()
    assert [finding.message.split(" (at ")[0] for finding in under.findings] == expected


# -- start_response's arguments -------------------------------------------------------------


def test_arguments_start_response_cannot_take_are_reported() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", TEXT, None, "extra")
        return [b"x"]

    assert fired(app) == ["APP-SR-POSITIONAL"]


# -- headers, len() ---------------------------------------------------------------------------


def test_a_tab_in_a_header_value_is_a_control_character() -> None:
    def app(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [*TEXT, ("X-Note", "a\tb")])
        return [b"x"]

    assert fired(app) == ["APP-HEADER-VALUE-NO-CONTROL"]


def test_len_that_overstates_the_blocks_is_reported() -> None:
    class Body(list[bytes]):
        def __len__(self) -> int:
            return 3

    def app(environ: Environ, start_response: StartResponse) -> Body:
        start_response("200 OK", TEXT)
        return Body([b"a", b"b"])

    assert fired(app) == ["APP-LEN-ACCURATE"]


def test_a_server_computed_length_is_not_the_apps_content_length() -> None:
    class Body(list[bytes]):
        def __len__(self) -> int:
            return 1

    def app(environ: Environ, start_response: StartResponse) -> Body:
        start_response("200 OK", TEXT)
        return Body([b"Hello, ", b"world\n"])

    # wsgicheck sends the first block's size as Content-Length (len() == 1); the second
    # block is cut. The app broke len(), not a Content-Length it never sent.
    assert fired(app) == ["APP-LEN-ACCURATE"]


# -- what a finding's message shows -------------------------------------------------------------


def messages(app: Any, method: str = "GET") -> dict[str, str]:
    """Each finding's message, by rule id, from one request through the memory transport."""
    response = Client(app).request(method, "/")
    return {finding.rule: finding.message for finding in check_exchange(Exchange(response))}


def test_messages_quote_the_offending_value_and_the_users_line() -> None:
    here = "test_rules_app.py"

    def yields_str(environ: Environ, start_response: StartResponse) -> Iterator[Any]:
        start_response("200 OK", TEXT)
        yield "hello"

    line = yields_str.__code__.co_firstlineno + 2
    assert messages(yields_str) == {
        "APP-YIELD-BYTES": f"the iterable yielded str 'hello' at {here}:{line}"
    }

    def writes_str(environ: Environ, start_response: StartResponse) -> list[bytes]:
        write = start_response("200 OK", TEXT)
        write("hi\x1b[31m" + "x" * 500)
        return []

    line = writes_str.__code__.co_firstlineno + 2
    # The value is escaped (no raw ESC) and cut, saying so.
    start = "'hi\\x1b[31m"
    shown = start + "x" * (60 - len(start)) + "..."
    assert messages(writes_str) == {
        "APP-WRITE-BYTES": f"write() got str {shown} at {here}:{line}",
        "APP-AVOID-WRITE": f"write() used 1 time(s) at {here}:{line}",
    }

    def header_control(environ: Environ, start_response: StartResponse) -> list[bytes]:
        start_response("200 OK", [*TEXT, ("X-Bad", "a\x01b")])
        return [b"x"]

    line = header_control.__code__.co_firstlineno + 1
    assert messages(header_control) == {
        "APP-HEADER-VALUE-NO-CONTROL": (
            f"header X-Bad has control characters: 'a\\x01b' at {here}:{line}"
        )
    }


def test_a_message_names_no_library_line() -> None:
    from werkzeug.wrappers import Response

    response = Response("hi")
    response.headers["X-Bad"] = "a\x01b"
    # Werkzeug calls start_response, and nothing of the user's is on the stack: the
    # message names no line (the report places the finding on the app's definition).
    assert messages(response) == {
        "APP-HEADER-VALUE-NO-CONTROL": "header X-Bad has control characters: 'a\\x01b'"
    }


def test_exc_info_on_error_has_evidence_only_from_an_except_block() -> None:
    """Audit of 2026-12-04: APP-EXC-INFO-ON-ERROR was counted as judged on every exchange,
    so every app that never answered an error from an except block passed it."""
    rule = REGISTRY["APP-EXC-INFO-ON-ERROR"]

    def plain(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def handled(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            raise ValueError("x")
        except ValueError:
            start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"oops"]

    assert not rule.applies(Exchange(Client(plain).get("/")))
    exchange = Exchange(Client(handled).get("/"))
    assert rule.applies(exchange)
    assert check_exchange(exchange, [rule]) == []


def test_an_exception_the_caller_is_handling_is_not_the_apps() -> None:
    """Validator audit of 2026-12-05: an error page called from a middleware's except block
    (Werkzeug's force_type under Flask), or from a test's, started its 500 "while handling"
    the caller's exception, and APP-EXC-INFO-ON-ERROR warned; wsgiref.validate does not.
    The app's own except block still counts, in the Client and under validator()."""
    rule = REGISTRY["APP-EXC-INFO-ON-ERROR"]

    def error_page(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
        return [b"sorry"]

    def own_error(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            raise KeyError("the app's")
        except KeyError:
            return error_page(environ, start_response)

    def handled_by_the_caller(app: Any) -> list[str]:
        try:
            raise ValueError("the caller's, already handled")
        except ValueError:
            exchange = Exchange(Client(app).get("/"))
            found = [each.message for each in check_exchange(exchange, [rule])]
            environ: dict[str, Any] = {}
            setup_testing_defaults(environ)
            checked = validator(app, collect=True)
            b"".join(checked(environ, lambda status, headers, exc_info=None: print))
            return found + [each.message for each in checked.findings if each.rule == rule.id]

    assert handled_by_the_caller(error_page) == []
    line = error_page.__code__.co_firstlineno + 1
    own = f"a 500 started while handling KeyError, without exc_info at test_rules_app.py:{line}"
    assert handled_by_the_caller(own_error) == [own, own]  # the Client's, validator()'s


def test_a_500_started_after_start_response_refused_a_call_names_what_it_handled() -> None:
    """A trial of 2026-12-07 (Pecan): WebOb caught what start_response raised for a bad
    Location and started a 500, and the finding read "while handling RefusedCall", the
    harness's exception told as though it were the app's."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            start_response("302 Found", [("Location", "/a\x14b")])
        except Exception:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"oops"]
        return []

    line = app.__code__.co_firstlineno + 4
    [message] = [
        each.message
        for each in check_exchange(Exchange(Client(app).get("/")))
        if each.rule == "APP-EXC-INFO-ON-ERROR"
    ]
    assert message == (
        "a 500 started while handling the RefusedCall start_response raised (its call broke "
        f"APP-HEADER-VALUE-NO-CONTROL), without exc_info at test_rules_app.py:{line}"
    )


def test_cl_accurate_has_evidence_only_with_a_declared_length() -> None:
    """Audit of 2026-12-04: with no Content-Length there is nothing to compare the body
    with, and the rule was counted as passed."""
    rule = REGISTRY["APP-CL-ACCURATE"]

    def sized(length: str | None) -> Callable[..., list[bytes]]:
        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            length_field = [] if length is None else [("Content-Length", length)]
            start_response("200 OK", [("Content-Type", "text/plain"), *length_field])
            return [b"ok"]

        return app

    assert not rule.applies(Exchange(Client(sized(None)).get("/")))
    assert rule.applies(Exchange(Client(sized("2")).get("/")))
    wrong = Exchange(Client(sized("3")).get("/"))
    assert [finding.rule for finding in check_exchange(wrong, [rule])] == ["APP-CL-ACCURATE"]
