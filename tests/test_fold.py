"""Folding lines to 100 columns keeps reproducers meaning what they meant: bash reads the
folded command as the same words, Python the folded line as the same expression."""

from __future__ import annotations

import ast
import keyword
import shlex
import subprocess
import textwrap

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wsgicheck.report.fold import WIDTH, fold_http, fold_python, fold_shell, wrap

TEXT = st.text(st.characters(codec="latin-1", exclude_characters="\0"), max_size=40)
#: Words longer than a line (a pattern repeated: cheap to draw), which are cut where bash
#: joins them back: plain (a URL), quoted, with quotes in them.
LONG = st.builds(
    lambda part, times: part * times,
    st.one_of(st.from_regex(r"[a-z0-9/:.-]{1,12}", fullmatch=True), TEXT.filter(bool)),
    st.integers(20, 60),
)
WORDS = st.lists(st.one_of(TEXT, LONG), min_size=1, max_size=6)


def _bash_words(commands: list[str]) -> list[list[str]]:
    """The words bash makes of each command, in one bash (a UTF-8 script: argv's)."""
    script = "curl() { printf '%s\\0' \"$@\"; printf '\\1'; }\n" + "\n".join(commands)
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=60, check=True)
    return [
        [word.decode() for word in chunk.split(b"\0")[:-1]]
        for chunk in done.stdout.split(b"\1")[:-1]
    ]


@settings(max_examples=20, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.lists(WORDS, min_size=10, max_size=10))
def test_a_folded_command_is_the_same_command(batch: list[list[str]]) -> None:
    commands = []
    for words in batch:
        quoted = ["curl", *(shlex.quote(each) for each in words)]
        commands.append(" ".join(quoted))
    folded = [fold_shell(command, indent="    ") for command in commands]
    for lines in folded:
        assert all(len(line) <= WIDTH for line in lines), lines
    # (Compared with what bash makes of the command unfolded: bash has its own ways with
    # some control characters, even quoted.)
    assert _bash_words(["\n".join(lines) for lines in folded]) == _bash_words(commands)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.one_of(TEXT, st.binary(max_size=300), LONG), max_size=4), st.integers(0, 40))
def test_a_folded_python_line_is_the_same_expression(values: list[str | bytes], depth: int) -> None:
    line = " " * depth + f"target=({''.join(f'{each!r}, ' for each in values)}),"
    lines = fold_python(line, indent="    ")
    source = "f(\n" + "\n".join(lines) + "\n)"
    [call] = [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]
    assert ast.literal_eval(call.keywords[0].value) == tuple(values)
    if all(len(repr(each)) > 20 for each in values):  # each long one folded
        assert all(len(each) <= WIDTH for each in lines[:-1]), lines


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.one_of(st.binary(max_size=400), TEXT, LONG))
def test_a_folded_statement_outside_brackets_still_runs(value: str | bytes) -> None:
    """A long literal assigned outside any bracket (a probe's raw request) is folded inside
    parentheses of its own: literals side by side there would be an IndentationError. One
    that fits a line of its own there goes there (a probe's replay of 2026-12-06 left a
    104-column line: the literal fit, so it was left where it was)."""
    lines = fold_python(f"request = {value!r}", indent="    ")
    namespace: dict[str, object] = {}
    exec(textwrap.dedent("\n".join(lines)), namespace)
    assert namespace["request"] == value
    assert all(len(line) <= WIDTH for line in lines), lines
    if len(lines) > 1:
        assert lines[0] == "    request = ("
        assert lines[-1] == "    )"


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    st.lists(
        st.from_regex(r"[a-z]{1,12}", fullmatch=True).filter(lambda n: not keyword.iskeyword(n)),
        min_size=1,
        max_size=12,
    )
)
def test_a_long_line_of_short_items_breaks_at_a_comma_and_still_runs(names: list[str]) -> None:
    """No literal to fold: a replay's headers with a learned value (``('If-Range',
    moved(last_modified, -1))``) ran to 104 columns (a trial of 2026-12-06). The line
    breaks after a comma in the fewest brackets, and means the same."""
    items = ", ".join(f"({name!r}, moved({name}, -1))" for name in names)
    line = f"    headers=(('Host', 'localhost'), {items}),"
    lines = fold_python(line, indent="    ")
    assert all(len(each) <= WIDTH for each in lines), lines
    source = "f(\n" + "\n".join(lines) + "\n)"
    assert ast.dump(ast.parse(source)) == ast.dump(ast.parse("f(\n" + "    " + line + "\n)"))


@pytest.mark.parametrize(
    "line",
    [
        "x = f(g(a, b)), " + "y" * 90,
        "result = check(client.get(path, headers=hdrs)), another_name_" + "z" * 60,
        "x = {" + ", ".join(f"'k{i}': {i}" for i in range(14)) + "}",
        "y = sorted(items, key=lambda a, b=2: (a, b), reverse=True) + [" + "k, " * 20 + "k]",
    ],
)
def test_a_line_broken_at_a_comma_keeps_its_meaning(line: str) -> None:
    """A review of 2026-12-06: a comma after the brackets had closed was taken for one
    inside them, and the line broke at statement level (a SyntaxError)."""
    lines = fold_python(line, indent="    ")
    source = "def f():\n" + "\n".join(lines) + "\n"
    assert ast.dump(ast.parse(source)) == ast.dump(ast.parse(f"def f():\n    {line}\n"))


def test_prose_wraps_with_its_indent_and_raw_http_is_cut_in_order() -> None:
    lines = wrap("word " * 60, indent="  ")
    assert all(len(line) <= WIDTH for line in lines)
    assert lines[0].startswith("  word")
    assert lines[1].startswith("    word")
    start = "GET /" + "x" * 250 + " HTTP/1.1"
    cut = fold_http(start, indent="    ")
    assert all(len(line) <= WIDTH for line in cut)
    assert cut[0][4:] + "".join(line[6:] for line in cut[1:]) == start
    assert fold_http("Host: a", indent="    ") == ["    Host: a"]


def test_no_folded_line_opens_with_a_workflow_command() -> None:
    # A cut or a wrap must not start a line with the ``::`` the text had mid-line.
    text = "x " * 48 + "::error y"
    assert wrap(text, indent="  ")[1:] == ["    \\x3a:error y"]
    cut = fold_http("GET /" + "a" * 91 + "::::b HTTP/1.1", indent="    ")
    assert [line.lstrip()[:2] for line in cut[1:]] == ["\\x"]
    assert all(len(line) <= WIDTH for line in [*wrap(text, indent="  "), *cut])
    command = "curl " + "a" * 90 + " ::x::y " + shlex.quote(":" * 200)
    lines = fold_shell(command, indent="    ")
    assert len(lines) > 2
    assert all(len(line) <= WIDTH and not line.lstrip().startswith("::") for line in lines)
    assert _bash_words(["\n".join(lines)]) == _bash_words([command])


@given(
    st.integers(0, 120),
    st.sampled_from(["\\x9b", "\\u202e", "\\U0010ffff", "\\n", "\\xe9"]),
    st.integers(1, 3),
    st.integers(0, 30),
    st.integers(20, WIDTH),
)
@example(before=0, escape="\\x9b", times=1, word=13, width=20)  # the review's: 2 columns left
def test_no_escape_is_split_across_two_lines(
    before: int, escape: str, times: int, word: int, width: int
) -> None:
    """A trial of 2026-12-07 read ``\\x9b`` of the app's output wrapped as ``\\x9``, then
    ``b``: a piece is cut before an escape it would split, in prose and raw HTTP alike, and
    a long word opening with one starts a line (a review of 2026-12-07 split it at the end
    of a line that held a word already)."""
    text = "w" * word + " " + "x" * before + escape * times + "y" * 150
    folded = text.removeprefix(" ")
    for lines, indents, joined in [
        (wrap(text, indent="  │ ", more="  │   ", width=width), ("  │ ", "  │   "), " "),
        (fold_http(folded, indent="    ", width=width), ("    ", "      "), ""),
    ]:
        assert all(len(line) <= width for line in lines)
        pieces = [lines[0].removeprefix(indents[0])]
        pieces += [line.removeprefix(indents[1]) for line in lines[1:]]
        assert joined.join(pieces).replace(" ", "") == folded.replace(" ", "")
        # (A split escape is counted in no piece.)
        assert sum(piece.count(escape) for piece in pieces) == times, pieces


@pytest.mark.parametrize("width", [1, 2, 3, 6])
def test_raw_http_folds_to_the_end_however_narrow(width: int) -> None:
    """Review of 2026-12-07: with no room left past the indents, the cut that keeps escapes
    whole made no progress, and ``fold_http`` looped for ever."""
    line = "GET /\\xe9" + "x" * 20
    lines = fold_http(line, indent="", width=width)
    assert lines[0] + "".join(each.removeprefix("  ") for each in lines[1:]) == line


def test_a_folded_request_keeps_each_cr_lf_together() -> None:
    """A probe trial of 2026-12-06: a replay's raw request was cut between a line's "\\r"
    and its "\\n"."""
    for size in range(120):  # the cut lands on each side of each CR LF in turn
        request = b"GET / HTTP/1.1\r\nX-Long: " + b"a" * size + b"\r\nHost: x\r\n\r\n"
        lines = fold_python(f"request = {request!r}", indent="    ")
        assert not any(line.rstrip().endswith("\\r'") for line in lines), lines


def test_the_bracket_after_a_folded_literal_is_counted_in_its_line() -> None:
    """The review of 2026-12-06: the ``)`` after the last piece of a folded literal was
    not counted, and a line came out at 101 columns."""
    for size in range(150, 260):
        line = "print(" + repr("é" * 3 + "x" * size + "\r\n") + ")"
        lines = fold_python(line, indent="")
        assert all(len(each) <= WIDTH for each in lines), (size, lines)
        assert eval(compile("\n".join(lines).replace("print(", "(", 1), "x", "eval")) == (
            "é" * 3 + "x" * size + "\r\n"
        )
