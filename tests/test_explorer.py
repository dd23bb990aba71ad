"""Sequences that learn from the answers: what a response teaches, the requests built on it,
and runs that find bugs only a learned request shows, with reproducers that replay them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from rulekit import check_json
from wsgicheck import Client, Request
from wsgicheck import strategies as wst
from wsgicheck.drivers.wire import LONGEST_PATH
from wsgicheck.explore.explorer import MOVES, Explorer, Learned, links_in
from wsgicheck.explore.runner import RunOptions, run
from wsgicheck.model.learned import made

ROOT = Path(__file__).resolve().parent.parent
HOST = (("Host", "localhost"),)

PAGE = b"""<!doctype html>
<a href="/next?x=1">next</a> <a href="https://elsewhere.example/x">away</a>
<form action="/login" method="post"><input name="user" value="ann">
  <input type="password" name="pw"><input type="submit" name="go"></form>
<form action="/search"><input name="q"></form>
<form action="/upload" method="POST" enctype="multipart/form-data"><textarea name="note">
</textarea><input type="file" name="file"></form>
"""


def teacher(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    path = environ["PATH_INFO"]
    if path == "/":
        start_response(
            "200 OK",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("ETag", '"v1"'),
                ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
                ("Set-Cookie", "sid=abc; Path=/; HttpOnly"),
                ("Set-Cookie", "theme=dark"),
            ],
        )
        return [PAGE]
    if path == "/old":
        start_response("301 Moved Permanently", [("Location", "/new")])
        return [b""]
    start_response("405 Method Not Allowed", [("Allow", "GET, HEAD, PUT, CONNECT")])
    return [b""]


#: What ``teacher``'s answer to ``/`` says of its representation.
VALIDATORS = {"etag": '"v1"', "last-modified": "Sun, 06 Nov 1994 08:49:37 GMT"}


def test_a_response_teaches_validators_cookies_links_forms_and_methods() -> None:
    client = Client(teacher)
    learned = Learned()
    for target in ("/", "/old", "/thing"):
        request = Request(target=target, headers=HOST)
        learned.learn(request, client.send(request))
    assert learned.validators == {"/": ('"v1"', "Sun, 06 Nov 1994 08:49:37 GMT")}
    assert learned.cookie_header == "sid=abc; theme=dark"
    # (Form actions are links too, as discovery reads them; the other origin is not.)
    assert learned.targets == ["/", "/next?x=1", "/login", "/search", "/upload"]
    assert learned.locations == ["/new"]
    assert [(f.action, f.method, f.enctype, f.fields) for f in learned.forms] == [
        ("/login", "POST", "application/x-www-form-urlencoded", (("user", "ann"), ("pw", ""))),
        ("/search", "GET", "application/x-www-form-urlencoded", (("q", ""),)),
        ("/upload", "POST", "multipart/form-data", (("note", ""),)),
    ]
    # (Not CONNECT: its target is a host:port, never the app's path, RFC 9112 §3.2.3.)
    assert learned.allowed == {"/thing": ("GET", "HEAD", "PUT")}
    assert learned.teachers["cookie sid"] == Request(target="/", headers=HOST)
    # What OPTIONS * is allowed teaches nothing: only OPTIONS may go to "*" (RFC 9112
    # §3.2.4), and a GET * would be refused by the harness's own server.
    learned.learn(Request(method="OPTIONS", target="*", headers=HOST), client.options("*"))
    assert learned.allowed == {"/thing": ("GET", "HEAD", "PUT")}


def test_the_methods_an_app_allows_are_learned_in_one_order_whatever_it_sends() -> None:
    """Flask lists Allow from a set, in an order of the process's hash seed: learned as
    sent, a seed drew other requests in another process (a table of statuses that moved
    between two runs of ``--seed 1``)."""
    taught = []
    for allow in ("PUT, GET, HEAD", "HEAD, PUT, GET, GET"):

        def app(environ: dict[str, Any], start_response: Any, allow: str = allow) -> list[bytes]:
            start_response("405 Method Not Allowed", [("Allow", allow)])
            return []

        learned = Learned()
        request = Request(method="DELETE", target="/thing", headers=HOST)
        learned.learn(request, Client(app).send(request))
        taught.append(learned.allowed)
    assert taught == [{"/thing": ("GET", "HEAD", "PUT")}] * 2


def test_a_link_in_html_is_read_as_a_browser_reads_it() -> None:
    """In HTML, ``&amp;`` in an attribute is ``&``: sent as written, the query would name a
    parameter ``amp;b`` (httpbin's landing page made /response-headers echo such a name).
    Outside markup the text is taken as it is."""

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        kind = "text/html" if environ["PATH_INFO"] == "/html" else "text/plain"
        start_response("200 OK", [("Content-Type", kind)])
        return [
            b'<a href="/p?a=1&amp;b=2&#38;c=3">p</a> <a href="#top">top</a>'
            b' <a href="/s?q=1&region=us&copy=2&nosuch;x">s</a>'
        ]

    client = Client(page)
    html = client.send(Request(target="/html", headers=HOST))
    text = client.send(Request(target="/text", headers=HOST))
    # (A name without its ';' is left as written: &region is no ®ion, as in a browser.)
    assert links_in(html, "/html") == ["/p?a=1&b=2&c=3", "/s?q=1&region=us&copy=2&nosuch;x"]
    assert links_in(text, "/text") == [
        "/p?a=1&amp;b=2&",  # then a fragment, #38;c=3
        "/s?q=1&region=us&copy=2&nosuch;x",
    ]


def test_only_an_attribute_named_href_src_or_action_is_a_link() -> None:
    """An attribute whose name ends in one of them is not one (the Wagtail admin's
    ``data-action="click->w-dialog#hide"`` was taken for the link ``/click-``, and its
    requests spent two of a run's paths); SVG's ``xlink:href``, a button's ``formaction`` and
    a script's ``location.href`` are links."""

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return [
            b'<div data-action="click->w-dialog#hide"><img data-src="lazy.png">'
            b'<a :href="item.url" v-bind:href="other.url">v</a>'
            b'<a class="x"\nhref="/one">1</a><img src=\'/two.png\'/><form action="/three">'
            b'<svg><use xlink:href="/four.svg#i"/></svg><a title="x"href="/five">5</a>'
            b'<button formaction="/six">6</button><tr onclick="location.href=\'/seven\'">'
        ]

    response = Client(page).send(Request(target="/", headers=HOST))
    assert links_in(response, "/") == [
        "/one", "/two.png", "/three", "/four.svg", "/five", "/six", "/seven"
    ]  # fmt: skip


def test_an_absolute_link_to_the_host_asked_is_the_apps_own() -> None:
    """A trial of 2026-12-07: links written absolute, to the host the app was asked as
    (``http://localhost/x``, ``//localhost/x``, a Location built from SERVER_NAME), were
    never followed, so pyramid_debugtoolbar's static files went unchecked. Another host,
    another scheme, or another port is not the app's."""

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        own = f"http://{environ['SERVER_NAME']}:{environ['SERVER_PORT']}/named"
        start_response("200 OK", [("Content-Type", "text/html"), ("Location", own)])
        return [
            b'<a href="http://localhost/abs">1</a><a href="//LOCALHOST/proto">2</a>'
            b'<a href="http://localhost:80/port">3</a><a href="http://other.example/x">4</a>'
            b'<a href="http://localhost:8080/y">5</a><a href="ftp://localhost/z">6</a>'
            b'<a href="https://localhost/tls">7</a>'
            b'<form action="http://localhost/form"></form>'
        ]

    response = Client(page).send(Request(target="/", headers=HOST))
    assert response.environ is not None
    assert links_in(response, "/") == ["/abs", "/proto", "/port", "/form", "/named"]


def test_a_link_longer_than_the_server_takes_is_none() -> None:
    """A correct app linking to a 9,000-character path failed its run: memory sent it, the
    socket server answered 414, and the error's reason was cut off after the target (an
    audit of 2026-12-06). A real server refuses it too; and one that fits alone does not
    under the mount a run draws (a review: 8,192 characters under /app)."""
    longest, longer = "/" + "z" * (LONGEST_PATH - 1), "/" + "z" * LONGEST_PATH

    def page(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return [f'<a href="{longest}">1</a><a href="{longer}">2</a>'.encode()]

    response = Client(page).send(Request(target="/", headers=HOST))
    assert links_in(response, "/") == [longest]


def test_under_a_mount_prefix_what_is_learned_is_app_relative() -> None:
    learned = Learned()
    response = Client(teacher).send(Request(target="/", headers=HOST))
    learned.learn(Request(target="/app/", headers=HOST), response, prefix="/app")
    assert "/" in learned.targets
    assert learned.validators == {"/": ('"v1"', "Sun, 06 Nov 1994 08:49:37 GMT")}


def _explorer() -> Explorer:
    client = Client(teacher)
    learned = Learned()
    for target in ("/", "/old", "/thing"):
        request = Request(target=target, headers=HOST)
        learned.learn(request, client.send(request))
    return Explorer(["/"], wst.requests(), learned=learned)


def test_every_move_is_drawn_and_a_move_on_learned_things_sends_its_teacher_first() -> None:
    seen: dict[str, list[list[Request]]] = {}

    @settings(
        max_examples=300,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def draw(data: st.DataObject) -> None:
        explorer = _explorer()
        for _ in range(3):
            move, requests = explorer.next(data.draw)
            seen.setdefault(move, []).append(requests)

    draw()
    assert sorted(seen) == sorted(MOVES)
    root = Request(target="/", headers=HOST)
    for requests in seen["conditional"]:
        last = requests[-1]
        assert last.target == "/"
        assert {"if-none-match", "if-modified-since", "if-match", "if-unmodified-since"} & {
            n.lower() for n, _ in last.headers
        } or last.header_values("If-Range")
        # The GET that taught the validator goes first, once per sequence.
        assert requests[:-1] in ([], [root])
        # Each field the validators make says so (a replay makes it from its own answer to
        # that GET); ``*`` and another tag are sent as they are.
        conditions = {"if-none-match", "if-match", "if-modified-since", "if-unmodified-since"}
        sent = [(n, v) for n, v in last.headers if n.lower() in {*conditions, "if-range"}]
        literal = ("*", '"wsgicheck-other"')
        assert [(each.name, each.value) for each in last.learned] == [
            (n, v) for n, v in sent if v not in literal
        ]
        for each in last.learned:
            assert each.teacher == root
            assert made(each.parts, VALIDATORS.get) == each.value
    forms = [requests[-1] for requests in seen["form"]]
    assert {(r.method, r.target.partition("?")[0]) for r in forms} == {
        ("POST", "/login"),
        ("GET", "/search"),
        ("POST", "/upload"),
    }
    upload = next(r for r in forms if r.target == "/upload")
    assert upload.header_values("Content-Type") == ["multipart/form-data; boundary=wsgicheck-form"]
    assert all(r[-1].method in ("GET", "HEAD", "PUT") for r in seen["allowed"])
    assert all(r[-1].target == "/new" for r in seen["follow"])
    assert all(r[-1].header_values("Cookie") == ["sid=abc; theme=dark"] for r in seen["cookie"])


SESSION_APP = """
import itertools
_ids = itertools.count(1)
_sessions = set()


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path in ("", "/"):
        sid = f"s{next(_ids)}"
        _sessions.add(sid)
        start_response("200 OK", [("Content-Type", "text/html"), ("Set-Cookie", f"sid={sid}")])
        return [b'<a href="/account">account</a>']
    sid = environ.get("HTTP_COOKIE", "").partition("sid=")[2].split(";")[0]
    if path == "/account" and sid in _sessions:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-User", "bad\\x01")])
        return [b"hello"]
    start_response("403 Forbidden", [("Content-Type", "text/plain")])
    return [b"no"]
"""


def test_a_bug_behind_a_session_is_found_and_its_sequence_replays(tmp_path: Path) -> None:
    """Only the cookie the app set, sent back, reaches the bug; the report gives the request
    that set it first, and the Python reproducer, run on a fresh app, shows the finding."""
    path = tmp_path / "session_app.py"
    path.write_text(SESSION_APP)
    report = check_json(f"{path}:app", "--seed", "4")
    failed = {entry["rule"]: entry for entry in report["results"] if entry["status"] == "fail"}
    assert sorted(failed) == ["APP-HEADER-VALUE-NO-CONTROL"]
    failure = failed["APP-HEADER-VALUE-NO-CONTROL"]
    assert failure["request"]["target"] == "/account"
    assert [each["target"] for each in failure["before"]] == ["/"]
    assert failure["raw"].count(" HTTP/1.1\r\n") == 2
    replayed = subprocess.run(
        [sys.executable, "-c", failure["python"]],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "APP-HEADER-VALUE-NO-CONTROL" in replayed.stdout.split()


CSRF_APP = """
import secrets
from urllib.parse import parse_qs

HIDDEN = ("csrfmiddlewaretoken", "state", "validation", "view", "step", "nonce")


def app(environ, start_response):
    path = environ.get("PATH_INFO", "")
    cookie = environ.get("HTTP_COOKIE", "").partition("csrftoken=")[2].split(";")[0]
    if path in ("", "/"):
        token = cookie or secrets.token_hex(8)
        # A token, and the state a framework keeps in hidden fields (ASP.NET-style).
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{token}">' for name in HIDDEN
        )
        form = f'<form method="post" action="/submit">{hidden}<input name="note"></form>'
        start_response(
            "200 OK", [("Content-Type", "text/html"), ("Set-Cookie", f"csrftoken={token}")]
        )
        return [form.encode()]
    if path == "/submit" and environ["REQUEST_METHOD"] == "POST":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        sent = parse_qs(environ["wsgi.input"].read(size).decode("latin-1"))
        if cookie and all(sent.get(name) == [cookie] for name in HIDDEN):
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-Saved", "bad\\x01")])
            return [b"saved"]
    start_response("403 Forbidden", [("Content-Type", "text/plain")])
    return [b"no"]
"""


def test_a_form_is_submitted_with_its_hidden_fields_as_given(tmp_path: Path) -> None:
    """From the app sweep of 2026-12-04: a hidden field is sent back as the app gave it, as
    a browser does; drawn in its place half the time, Django's CSRF token got every
    submission of the admin login and of a view's form refused with a 403."""
    path = tmp_path / "csrf_app.py"
    path.write_text(CSRF_APP)
    report = check_json(f"{path}:app", "--seed", "4")
    failed = sorted(entry["rule"] for entry in report["results"] if entry["status"] == "fail")
    # Reached only by a submission that sends back all six hidden fields as given (drawn
    # in their place half the time each, one in 64 would).
    assert failed == ["APP-HEADER-VALUE-NO-CONTROL"]


def test_without_sequences_the_session_bug_stays_hidden(tmp_path: Path) -> None:
    path = tmp_path / "session_app.py"
    path.write_text(SESSION_APP)
    from wsgicheck.target import load_target

    app = load_target(f"{path}:app")
    result = run(app, RunOptions(database=None, seed=4, sequences=False))
    assert result.failures == {}
