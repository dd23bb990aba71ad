"""Untrusted text is rendered once, safely, everywhere (``wsgicheck.model.untrusted``).

What an app or a network client says (status lines, headers, exception messages, file and
function names, request targets) reaches every output through one function. Here: that
function's own contract; a Hypothesis property sending arbitrary text (controls, lone
surrogates, line breaks, markup, ``::`` workflow commands) through every writer, with the
HTML run in headless Chromium; and ``wsgicheck check`` and ``wsgicheck serve`` end to end
over a hostile fixture app, by subprocess and a raw socket.
"""

from __future__ import annotations

import dataclasses
import html.parser
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import unicodedata
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from headless import chromium
from wsgicheck import Client, report
from wsgicheck.explore.runner import RunOptions, RunResult, run
from wsgicheck.model import events
from wsgicheck.model.events import Location, raw_event
from wsgicheck.model.request import Framing, Request
from wsgicheck.model.response import Response
from wsgicheck.model.untrusted import (
    INVISIBLE,
    LIMIT,
    UNSAFE_PAST_C0,
    as_sent,
    safe_repr,
    show,
    shown_target,
    type_name,
    written_lines,
)
from wsgicheck.probe import matrix
from wsgicheck.probe import report as probe_report
from wsgicheck.probe.differences import Difference
from wsgicheck.probe.result import ProbeResult
from wsgicheck.report.github import workflow_commands
from wsgicheck.report.transcript import format_exchange
from wsgicheck.results.appcoverage import AppCoverage, FileCoverage
from wsgicheck.results.reproduce import Reproducers
from wsgicheck.target import load_target

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = f"{ROOT / 'fixtures' / 'hostile' / 'app.py'}:app"
TIMEOUT = 120

#: What no output may hold raw: C0 controls but LF, and all that :func:`show` escapes past
#: them (DEL, C1 controls, line separators, bidirectional controls, lone surrogates, what a
#: reader cannot see), but the variation selector of the harness's own "⚠️" (markdown).
RAW_CONTROL = re.compile(f"(?!(?<=⚠)\ufe0f)[\x00-\x09\x0b-\x1f{UNSAFE_PAST_C0}]")
#: A workflow command as the harness writes one: one line, its own properties, a message.
COMMAND = re.compile(r"::(error|warning) (file=[^,:\r\n]*,line=\d+,)?title=[^,:\r\n]*::[^\r\n]*")


# -- show and safe_repr ------------------------------------------------------------------------


def test_show_escapes_what_a_terminal_or_a_line_reader_would_act_on() -> None:
    assert show("a\x1b[31m\x07\n::error::x\r\t") == "a\\x1b[31m\\x07\\n::error::x\\r\\t"
    assert show("\x85\x9b\x7f\u2028\u2029\u202e") == "\\x85\\x9b\\x7f\\u2028\\u2029\\u202e"
    assert show("lone \ud800 and \udcff") == "lone \\ud800 and \\udcff"
    # Noncharacters: the Nu checker failed an HTML report holding an app's U+10FFFF.
    assert show("\ufdd0\ufffe\U0001fffe\U0010ffff") == "\\ufdd0\\ufffe\\U0001fffe\\U0010ffff"
    assert show("café ✓ <b>&") == "café ✓ <b>&"  # printable text is left alone


def test_show_escapes_what_a_reader_cannot_see() -> None:
    """A raw byte 0xA0 in a request target reads as a space, a soft hyphen or a zero-width
    space as nothing at all, and tag characters spell text no one sees: a reader copying a
    target from a report must get what was sent."""
    assert show("/a\xa0b\xad\u200b\u2060") == "/a\\xa0b\\xad\\u200b\\u2060"
    assert show("x\U000e0041\U000e0042") == "x\\U000e0041\\U000e0042"
    assert show(b"/\xc3\xa9\xa0") == "/\xc3\xa9\\xa0"  # latin-1, a byte a character
    hidden = {"message": "ok\xa0\u200d\U000e0041"}
    written = report.common.dumps(hidden)
    assert not re.search(f"[{INVISIBLE}]", written)
    assert "\\u00a0" in written
    assert "\\udb40\\udc41" in written
    assert json.loads(written) == hidden  # the data is the same


def test_every_format_character_space_and_blank_filler_is_escaped() -> None:
    """Review of 2026-12-04: each character this interpreter's Unicode calls a format
    character or a space (but the space), the blank fillers that are letters or marks,
    and the unassigned code points a renderer draws as nothing, is shown escaped, in text
    and in JSON."""
    fillers = "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0\ufe00\ufe0f\U000e0100\U000e01ef"
    fillers += "\u2065\ufff0\ufff8\U000e01f0\U000e0fff"  # default ignorable, unassigned
    unseen = [
        char
        for char in map(chr, range(0x110000))
        if unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp") and char != " "
    ]
    for char in [*unseen, *fillers]:
        assert show(f"a{char}b") != f"a{char}b", hex(ord(char))
        assert char not in report.common.dumps({"text": char}), hex(ord(char))


def test_show_defuses_what_the_actions_runner_reads_as_a_command() -> None:
    assert show("::error::x") == "\\x3a:error::x"
    assert show(" \t::add-mask::s") == " \\t::add-mask::s"  # a tab is escaped: no lead
    assert show("a ::b") == "a ::b"  # only a line's start is read as a command
    assert show("see ##[error]x") == "see \\x23#[error]x"
    assert show(":a") == ":a"


def test_show_cuts_at_the_bound_and_says_how_much() -> None:
    value = "h" * (1 << 20)
    shown = show(value)
    assert len(shown) == LIMIT
    kept = shown.index("…")
    assert shown.endswith(f"… [{len(value) - kept} more characters cut]")
    escaped = show("\x1b" * 100, limit=50)
    assert len(escaped) <= 50
    head = escaped.split("…")[0]
    assert head == "\\x1b" * (len(head) // 4)  # whole escapes only, never half of one
    assert escaped.endswith(f"[{100 - len(head) // 4} more characters cut]")


def test_a_long_target_is_cut_in_its_middle() -> None:
    """A real-app trial of 2026-12-06: the note on Dash's 500s cut the target at its end,
    and the drawn segment after the real bundle's path, which the 500 answered, was lost:
    the reader took the bundle for broken."""
    bundle = "/_dash-component-suites/dash/deps/react@18.v4_4_1m1796544705.3.1.min.js"
    shown = shown_target(bundle + "/1\xc3\xa9")
    assert len(shown) <= 80
    assert shown.startswith("/_dash-component-suites/dash/")
    assert shown.endswith(".min.js/1\\xc3\\xa9")  # as sent: two bytes, each escaped
    assert shown_target("/short?q=1") == "/short?q=1"
    # Whole escapes only, each counted as the one character sent; escaped as show() does.
    hostile = "/" + "a" * 60 + "\x1b" * 30 + "::" + "b" * 60
    cut = shown_target(hostile, limit=60)
    assert len(cut) <= 60
    head, _, tail = cut.partition("…")
    count = int(re.search(r"\[(\d+) characters cut\]", cut).group(1))  # type: ignore[union-attr]
    kept = re.findall(r"\\x1b|.", head + tail.partition("…")[2], re.DOTALL)
    assert count + len(kept) == len(hostile)
    assert not any(ord(char) < 0x20 for char in cut)


def test_show_of_bytes_and_of_objects() -> None:
    assert show(b"GET /\x1b\xff") == "GET /\\x1bÿ"
    long = show(b"x" * 5000)
    assert len(long) <= LIMIT
    assert long.endswith(f"… [{5000 - long.index('…')} more characters cut]")
    assert show(("a", b"\n", 1, None)) == "('a', b'\\n', 1, None)"


class Hostile:
    """An app object whose ``__repr__``, ``__str__`` and ``__format__`` must never run."""

    def __repr__(self) -> str:
        raise AssertionError("repr of an app object was called")

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        raise AssertionError("format of an app object was called")


class HostileStr(str):
    def __repr__(self) -> str:
        raise AssertionError("repr of an app str subclass was called")

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        raise AssertionError("format of an app str subclass was called")


def test_app_objects_are_shown_without_running_their_code() -> None:
    assert show(Hostile()) == "<Hostile object>"
    assert show(HostileStr("x\x1b")) == "x\\x1b"
    assert type(show(HostileStr("plain"))) is str
    assert safe_repr([("X", Hostile()), {"k": HostileStr("v")}]) == (
        "[('X', <Hostile object>), {'k': <HostileStr object>}]"
    )
    assert safe_repr((1,)) == "(1,)"
    assert safe_repr(10**5000) == "<int of 16610 bits>"
    assert len(safe_repr(list(range(10**6)), limit=100)) < 120
    assert type_name(Hostile()) == "Hostile"


def test_a_value_safe_repr_cuts_short_ends_with_a_marker() -> None:
    # A string cut at the bound would read as a whole one but for its missing quote.
    assert safe_repr("a" * 100, limit=20) == "'" + "a" * 19 + "..."
    assert safe_repr(b"xy" * 50, limit=10) == "b'xyxyxyxy..."
    assert safe_repr({"k": "v" * 80}, limit=30) == "{'k': '" + "v" * 23 + "..."
    # One marker, not the item's and the container's both; and one where an item or a
    # value had no room left after its ", " or ": " (the review of 2026-12-05).
    assert safe_repr(["x" * 50, "y"], limit=20) == "['" + "x" * 18 + "..."
    assert safe_repr(["aaaaaaa", "b"], limit=12) == "['aaaaaaa', ..."
    assert safe_repr({"kkkkkk": "vvvvv"}, limit=10) == "{'kkkkkk': ..."
    assert safe_repr({"k" * 50: "v"}, limit=20) == "{'" + "k" * 18 + "..."
    assert safe_repr("a" * 18, limit=20) == "'" + "a" * 18 + "'"


def test_written_lines_splits_at_line_feeds_alone() -> None:
    assert written_lines("a\r\nb\rc\n\nd\u2028e\x0cf\n") == ["a", "b\rc", "", "d\u2028e\x0cf"]
    assert written_lines("") == []
    assert written_lines("\n") == [""]
    assert written_lines("no end") == ["no end"]
    assert written_lines("a bar redrawn\r") == ["a bar redrawn\r"]  # no LF: its CR stays


def test_bytes_as_sent_never_read_as_another_character() -> None:
    """The app sweep of 2026-12-05 (Isso): a note read "HEAD /?uri=%2Ftest%2F&-é& got 500",
    where the target held the raw byte 0xE9; a UTF-8 "é" (two bytes) gets 200 from the same
    app, and the note could not be followed. Every byte past ASCII is its escape."""
    assert as_sent("/-\xe9&\xc3\xa9") == "/-\\xe9&\\xc3\\xa9"
    assert as_sent("/plain?a=1") == "/plain?a=1"
    assert as_sent("\u2603") == "\\u2603"  # no byte carries it: its code point
    assert as_sent("/a\\xe9") == "/a\\x5cxe9"  # the text of an escape is not the byte
    raw = "GET /-\xe9 HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n\xc3\xa9"
    assert report.common.raw_lines(raw) == [
        "GET /-\\xe9 HTTP/1.1",
        "X-Name: caf\\xe9",
        "",
        "\\xc3\\xa9",
    ]


def test_a_trace_shows_the_bytes_of_both_heads_as_sent() -> None:
    """``serve``'s trace prints what went over the wire: a latin-1 byte in the target, in a
    request field and in the app's field is its escape, not a letter."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Name", "caf\xe9")])
        return [b"ok"]

    response = Client(app).send(
        Request(target="/-\xe9", headers=(("Host", "localhost"), ("X-In", "\xe9")))
    )
    lines = format_exchange(response, trace=False)
    assert lines[:3] == ["> GET /-\\xe9 HTTP/1.1", "> Host: localhost", "> X-In: \\xe9"]
    assert "< X-Name: caf\\xe9" in lines


def test_the_note_of_an_apps_own_error_names_the_target_as_sent() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raw = environ["PATH_INFO"].encode("latin-1")
        if b"\xe9" in raw and b"\xc3" not in raw:  # a raw latin-1 byte, as Isso refuses it
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"error"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    result = run(app, RunOptions(profile="quick", seed=1, database=None, raw_bytes=True))
    noted = [each for each in result.notes if each.startswith("the app answered ")]
    assert noted, result.notes
    (note,) = noted
    first = note.partition("the first, ")[2]
    assert "\\x" in first, note
    assert all(ord(char) < 0x80 for char in first), note


def test_show_refuses_a_bound_with_no_room() -> None:
    with pytest.raises(ValueError, match="limit"):
        show("x", limit=5)


@given(st.text(st.characters(exclude_categories=())), st.integers(40, 2000))
def test_show_is_safe_bounded_and_idempotent(text: str, limit: int) -> None:
    shown = show(text, limit=limit)
    assert not RAW_CONTROL.search(shown)
    assert not shown.lstrip().startswith("::")
    assert "##[" not in shown
    assert len(shown) <= limit
    assert show(shown, limit=limit) == shown
    shown.encode("utf-8")


# -- every writer, arbitrary text ----------------------------------------------------------------

#: Pieces that attack one output or another; the property mixes them with arbitrary text.
#: Each script would set the page's title to PWNED, a word spelled nowhere in the payloads.
SCRIPT = "document.title=['PW','NED'].join('')"
ATTACKS = [
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\n::error file=a.py,line=1::injected",
    "\r\n::add-mask::secret",
    "\n::warning::w",
    "::",
    "##[error]legacy",
    "  ::",
    "\ud800",
    "\udcff",
    "\u2028",
    "\U0010ffff",
    "\ufdef",
    "\x85",
    "\x9b",
    "\x00",
    "\x7f",
    "\t",
    "\xa0",
    "\u200b",
    "\U000e0041",
    f"<script>{SCRIPT}</script>",
    f'<img src=x onerror="{SCRIPT}">',
    f"<svg onload={SCRIPT}>",
    f'"><script>{SCRIPT}</script>',
    f"'><img src=x onerror={SCRIPT}>",
    f"</title><script>{SCRIPT}</script>",
    f"</style><script>{SCRIPT}</script>",
    f"</code></pre></details><script>{SCRIPT}</script>",
    "<!--",
    "]]>",
    "</details>",
    "```",
    "| a | b |",
    "*bold* _x_ [l](javascript:alert(1)) @someone #1",
    "%0A%25",
]
texts = st.lists(
    st.one_of(st.text(st.characters(exclude_categories=()), max_size=12), st.sampled_from(ATTACKS)),
    min_size=1,
    max_size=6,
).map("".join)


@pytest.fixture(scope="module")
def hostile_run() -> RunResult:
    """A real run over the hostile app: several failing rules to carry the text."""
    options = RunOptions(profile="quick", max_examples=5, seed=3, database=None)
    result = run(load_target(HOSTILE), options, target=HOSTILE)
    assert len(result.failures) >= 3
    return result


def _request(text: str) -> Request:
    return Request._trusted(
        method=text,
        target=text,
        http_version="1.1",
        headers=((text, text),),
        body=text.encode("utf-8", "surrogatepass"),
        framing=Framing.CONTENT_LENGTH,
    )


def _carrying(base: RunResult, text: str) -> RunResult:
    """``base`` with ``text`` in every value the app or a client could have chosen."""
    where = Location(text, 3, text)
    failures = {
        rule_id: dataclasses.replace(
            failure,
            finding=dataclasses.replace(failure.finding, message=text, where=where),
            request=_request(text),
            # The harness writes reproducers from its requests: their line breaks are its
            # own, and what a request holds is quoted by repr.
            reproducers=Reproducers(
                raw=text.encode("utf-8", "surrogatepass"),
                curl=text,
                python=f"request = {text!r}\nsend(request)",
            ),
        )
        for rule_id, failure in base.failures.items()
    }
    return dataclasses.replace(
        base,
        target=text,
        paths=[text],
        errors=[text, f"{text}\n{text}"],
        failures=failures,
        known=frozenset(list(failures)[:1]),
        app_location=where,
        app_coverage=AppCoverage(
            root=text, files=(FileCoverage(path=text, statements=(1, 2), executed=(1,)),)
        ),
    )


def _event_sample(annotation: str, text: str) -> object:
    if "Location" in annotation:
        return Location(text, 1, text)
    if annotation.startswith("tuple[tuple") or annotation == "object":
        return [(text, text), (HostileStr(text), Hostile())]
    if annotation.startswith("tuple"):
        return (text,)
    if annotation.startswith(("int", "float")):
        return 1
    if annotation.startswith("bool"):
        return True
    return text


def _exchange(text: str) -> Response:
    """A response whose request, head and every kind of trace event carry ``text``."""
    log = [
        raw_event(
            cls(
                **{
                    name: _event_sample(kind.__forward_arg__, text)
                    for name, kind in cls.__annotations__.items()
                }
            )
        )
        for cls in events.EVENT_KINDS
    ]
    return Response(_request(text), 500, text, [(text, text)], b"", False, None, log)


def _probe(base: RunResult, text: str) -> ProbeResult:
    plain = Request(target="/")
    return ProbeResult(
        server=text,
        command=[text],
        version=text,
        how=text,
        run=base,
        observations={text: text},
        differences=[Difference(text, 1, text, text, plain)],
        compared=1,
        notes=[text],
    )


def _outputs(result: RunResult, text: str) -> dict[str, str]:
    """Every output a run, a probe or an exchange can make, by name."""
    outputs = {name: report.render(result, name) for name in report.names()}
    outputs["text-color"] = report.render(result, "text", color=True)
    outputs["github"] = "\n".join(workflow_commands(result, workspace="/nonexistent"))
    outputs["transcript"] = "\n".join(format_exchange(_exchange(text)))
    probe = _probe(result, text)
    outputs["probe-text"] = probe_report.render([probe], "text")
    outputs["probe-json"] = probe_report.render([probe], "json")
    table = matrix.build([probe], left_out=[text], date=text)
    outputs["matrix-markdown"] = matrix.to_markdown(table)
    outputs["matrix-html"] = matrix.to_html(table)
    return outputs


def _check_output(name: str, output: str) -> None:
    if name == "text-color":  # the harness's own colour codes, and nothing else
        output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    assert not RAW_CONTROL.search(output), (name, RAW_CONTROL.findall(output)[:5])
    output.encode("utf-8")
    # The Actions runner reads ``::`` after leading white space, and ``##[`` anywhere.
    assert "##[" not in output, name
    for line in output.split("\n"):
        if name == "github":
            assert COMMAND.fullmatch(line), line
        else:
            assert not line.lstrip().startswith("::"), (name, line)


def test_every_writer_keeps_arbitrary_text_safe(hostile_run: RunResult, tmp_path: Path) -> None:
    pages: list[str] = []

    @settings(max_examples=40, deadline=None, database=None)
    @given(texts)
    def check(text: str) -> None:
        result = _carrying(hostile_run, text)
        outputs = _outputs(result, text)
        for name, output in outputs.items():
            _check_output(name, output)
        document = json.loads(outputs["json"])
        failing = [entry for entry in document["results"] if entry["rule"] in result.failures]
        messages = {entry["message"] for entry in failing}
        assert messages == {show(text)}
        assert document["errors"] == [show(text), show(f"{text}\n{text}")]
        sarif = json.loads(outputs["sarif"])
        assert len(sarif["runs"][0]["results"]) == len(result.failures)
        json.loads(outputs["probe-json"])
        ET.fromstring(outputs["junit"].encode("utf-8"))
        assert len(outputs["github"].splitlines()) == len(result.failures) - 1 + 2
        pages.extend([outputs["html"], outputs["matrix-html"]])

    check()
    _no_script_runs(pages, tmp_path)


# -- headless Chromium -------------------------------------------------------------------------


class _Elements(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _no_script_runs(pages: list[str], tmp_path: Path) -> None:
    """Load every page in one document, in one Chromium run: no script may have run."""
    page = tmp_path / "pages.html"
    page.write_text("\n".join(pages), encoding="utf-8")
    dom = chromium(
        tmp_path, "--virtual-time-budget=2000", "--dump-dom", page.as_uri(), timeout=180
    ).stdout
    assert "PWNED" not in dom
    parser = _Elements()
    parser.feed(dom)
    tags = [tag for tag, _ in parser.tags]
    assert not {"script", "img", "svg", "iframe", "object", "embed"} & set(tags)
    handlers = [name for _, attrs in parser.tags for name, _ in attrs if name.startswith("on")]
    assert handlers == []
    # Every page made it into the document (none swallowed another).
    assert tags.count("footer") == len(pages) // 2
    assert dom.count("Server conformance matrix (wsgicheck probe)</h1>") == len(pages) // 2


# -- end to end: wsgicheck check and serve over a hostile app ------------------------------------


def _command() -> list[str]:
    script = Path(sys.executable).with_name("wsgicheck")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "wsgicheck"]


def _check(cwd: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    settings = ["--profile", "quick", "--examples", "5", "--seed", "3", "--no-database"]
    settings += ["--path", "/", "--path", "/boom"]
    environment = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    return subprocess.run(
        [*_command(), "check", HOSTILE, *settings, *args],
        cwd=cwd,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
        env={**environment, **env},
    )


#: Upper bounds on each report of the hostile app, whose header value alone is 1 MiB. The
#: SARIF report describes every rule, so it is larger to begin with.
BOUNDS = {"sarif": 400_000, "json": 150_000, "html": 150_000}


@pytest.mark.parametrize("name", report.names())
def test_check_reports_on_a_hostile_app(name: str, tmp_path: Path) -> None:
    done = _check(tmp_path, "--format", name, env={})
    assert done.returncode == 1, done.stderr.decode("utf-8", "replace")[-2000:]
    assert done.stderr == b""
    output = done.stdout.decode("utf-8")  # strict: no lone surrogate was written
    assert len(done.stdout) < BOUNDS.get(name, 100_000)
    assert not RAW_CONTROL.search(output), RAW_CONTROL.findall(output)[:5]
    assert not [line for line in output.splitlines() if line.startswith("::")]
    assert "h" * 100 not in output  # the 1 MiB header value, cut where a message quotes it
    if name in ("json", "sarif"):
        json.loads(output)
    if name == "junit":
        ET.fromstring(done.stdout)


def test_a_baseline_of_a_hostile_app(tmp_path: Path) -> None:
    """A baseline file holds the findings' messages and places: made safe and bounded too
    (and the fingerprints hash file names with lone surrogates in them)."""
    baseline = tmp_path / "baseline.json"
    done = _check(tmp_path, "--write-baseline", str(baseline), env={})
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    written = baseline.read_text(encoding="utf-8")
    assert not RAW_CONTROL.search(written)
    assert len(written) < 20_000
    assert len(json.loads(written)["findings"]) >= 3


def test_github_annotations_of_a_hostile_app(tmp_path: Path) -> None:
    done = _check(tmp_path, env={"GITHUB_ACTIONS": "true"})
    assert done.returncode == 1
    output = done.stdout.decode("utf-8")
    commands = [line for line in output.splitlines() if line.startswith("::")]
    assert commands, output[-2000:]
    assert all(COMMAND.fullmatch(line) for line in commands), commands
    assert not any("::add-mask::" in line.split("::", 2)[1] for line in commands)
    assert not RAW_CONTROL.search(output)
    assert len(done.stdout) < 100_000


def test_serve_trace_of_hostile_clients_and_app(tmp_path: Path) -> None:
    """A raw-socket client sends a target and header no terminal should see raw; the app
    answers with its hostile status and headers, then raises. The trace stays safe."""
    with subprocess.Popen(
        [*_command(), "serve", HOSTILE, "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline().decode("utf-8")
        match = re.match(r"wsgicheck: serving .* on http://127\.0\.0\.1:(\d+) ", banner)
        assert match, banner
        port = int(match.group(1))
        # If the awaited line never came, the watchdog ends the server and so the loop.
        watchdog = threading.Timer(TIMEOUT, process.kill)
        watchdog.start()
        refused = _exchange_raw(port, b"GET /\x1b[2J\n::error::t HTTP/1.1\r\nHost: x\r\n\r\n")
        assert refused.startswith(b"HTTP/1.1 400 ")
        hostile = b"X-Evil: \x9b2J\x85::error::header \xff\r\nConnection: close\r\n\r\n"
        # (A raw octet past 0x7F in the target is refused since RFC 9112 §3.2 holds it to
        # ASCII; the header carries the C1 controls to the trace instead.)
        answered = _exchange_raw(port, b"GET /?%9B31m HTTP/1.1\r\nHost: x\r\n" + hostile)
        assert answered.startswith(b"HTTP/1.1 500 ")
        raised = _exchange_raw(port, b"GET /boom HTTP/1.1\r\nHost: x\r\n" + hostile)
        assert raised.startswith(b"HTTP/1.1 500 ")
        lines = []
        for raw in process.stdout:  # ends at the server's report of the app's exception
            lines.append(raw)
            if raw.startswith(b"! GET /boom: app raised ValueError: "):
                break
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=TIMEOUT)
        watchdog.cancel()
    output = b"".join([banner.encode(), *lines, rest]).decode("utf-8")
    assert process.returncode == 0
    assert not RAW_CONTROL.search(output), RAW_CONTROL.findall(output)[:5]
    assert not [line for line in output.splitlines() if line.startswith("::")]
    assert len(output) < 60_000  # the 1 MiB header value and exception message are cut
    assert "more characters cut]" in output
    shown = output.splitlines()
    (refusal,) = [line for line in shown if line.startswith("! 127.0.0.1:")]
    assert refusal.endswith("refused with 400: control character b'\\x1b' in the request head")
    assert "> GET /?%9B31m HTTP/1.1" in shown
    assert "> X-Evil: \\x9b2J\\x85::error::header \\xff" in shown  # a byte, as sent
    calls = [line for line in shown if line.startswith("* start_response(")]
    assert len(calls) == 2
    assert all(len(line) <= 2 + LIMIT for line in calls)
    assert calls[0].endswith("more characters cut]")  # the 1 MiB header, in the call's repr
    (raised,) = [line for line in shown if line.startswith("! GET /boom: app raised ")]
    assert raised.startswith("! GET /boom: app raised ValueError: \\x1b[31mred\\x1b[0m")
    assert raised.endswith("more characters cut]")


def _exchange_raw(port: int, request: bytes) -> bytes:
    """Send ``request`` on a fresh connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        for _ in range(10_000):  # bounded: the server closes after one answer
            chunk = connection.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)
