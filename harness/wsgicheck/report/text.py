"""The text report: what a person at a terminal reads (coloured when it is a terminal).

Everything the app or the request supplied goes through :func:`~wsgicheck.model.untrusted.show`
first, so an app cannot move the cursor, recolour the terminal of the person reading its
report, or start a line of its own.
"""

from __future__ import annotations

from ..model.events import Location
from ..model.locations import relative_path
from ..model.untrusted import show
from ..results.appcoverage import AppCoverage, line_ranges
from ..results.run import NOT_FRESH, Failure, RunResult
from ..rules.verdicts import Verdict
from . import common, format
from .fold import WIDTH, fold_http, fold_python, fold_shell, wrap

#: ANSI colours of each verdict, and of the report's titles and dim lines.
_COLORS = {
    Verdict.PASS: "32",
    Verdict.FAIL: "31",
    Verdict.WARN: "33",
    Verdict.KNOWN: "36",
    Verdict.SKIP: "2",
    "title": "1",
    "dim": "2",
}
_MARKS = {
    Verdict.PASS: "✓",
    Verdict.FAIL: "✗",
    Verdict.WARN: "!",
    Verdict.KNOWN: "○",
    Verdict.SKIP: "·",
}
_LEGEND = "✓ passed   ✗ failed   ! warned (SHOULD)   ○ known (baseline)   · skipped (no evidence)"
#: Where a rule's level starts on its line (after the mark and a padded id).
_ID_WIDTH = 30


def _paint(text: str, kind: str, color: bool) -> str:
    return f"\033[{_COLORS[kind]}m{text}\033[0m" if color else text


@format("text")
def render(run: RunResult, color: bool) -> str:
    """The report that fits a screen: passed and skipped rules counted per group."""
    return layout(run, color)


def layout(run: RunResult, color: bool, verbosity: int = 0) -> str:
    """The text report at a verbosity: -1 the failures and the summary line (``-q``), 0 a
    clean run on one screen (passed and skipped rules counted per group), 1 every rule on a
    line of its own (``-v``)."""
    if verbosity < 0:
        return brief(run, color)
    options = run.options
    lines = [
        *(_paint(line, "title", color) for line in wrap(f"wsgicheck {show(run.target)}")),
        *wrap(
            f"seed {run.seed} · "
            + (f"profile {options.profile} · " if options.profile is not None else "")
            + f"{common.examples_sent(run)} · "
            + (f"{run.replayed_examples} replayed · " if run.replayed_examples else "")
            + f"{run.duration:.1f}s"
            + (f" · transports: {options.transports}" if options.transports is not None else "")
            + (" · strict" if options.strict else "")
            + (" · read-only" if options.read_only else ""),
            indent="  ",
        ),
        # (A probe tries no paths of an app's: its requests are its own.)
        *(
            wrap(f"paths tried: {show(', '.join(run.paths))}", indent="  ", more="    ")
            if run.paths
            else []
        ),
        _paint(f"  {_LEGEND}", "dim", color),
        "",
    ]
    for binding, results in common.grouped(run):
        lines.append(_paint(common.BINDING_TITLES[binding], "title", color))
        counted = {Verdict.PASS: 0, Verdict.SKIP: 0}
        for result in results:
            kind = common.verdict_of(run, result)
            if kind in counted and verbosity < 1:
                counted[kind] += 1
                continue
            count = (
                f" ({common.plural(len(result.findings), 'finding')})" if result.findings else ""
            )
            mark = f"{_MARKS[kind]} {result.rule.id:<{_ID_WIDTH}}"
            text = f"{mark} {result.rule.level.value:<6} {result.rule.summary}{count}"
            first, *more = wrap(text, indent="  ", more=" " * (2 + len(mark) + 8))
            lines.append("  " + _paint(mark, kind, color) + first[2 + len(mark) :])
            lines.extend(more)
        tally = [
            _paint(f"{_MARKS[kind]} {number} {word}", kind, color)
            for kind, word in ((Verdict.PASS, "passed"), (Verdict.SKIP, "skipped"))
            if (number := counted[kind])
        ]
        if tally:
            lines.append("  " + "   ".join(tally))
        lines.append("")
    lines.extend(_answers(run, color, verbosity))
    lines.extend(_failures(run, color))
    known = [
        each for each in run.failures.values() if common.failure_kind(run, each) is Verdict.KNOWN
    ]
    if known:
        lines.append(_paint("Known findings (accepted by the baseline)", "title", color))
        for failure in known:
            where = _where(common.location_of(run, failure))
            mark = f"{_MARKS[Verdict.KNOWN]} {failure.rule.id}"
            text = f"{mark} {show(failure.finding.message)}" + (f" (at {where})" if where else "")
            first, *more = wrap(text, indent="  ", more="    ")
            lines.append("  " + _paint(mark, Verdict.KNOWN, color) + first[2 + len(mark) :])
            lines.extend(more)
        lines.append("")
    if run.app_coverage is not None:
        lines.extend(_coverage(run.app_coverage, color))
    if run.app_output is not None:
        lines.append(_paint(common.output_title(run.app_output), "title", color))
        for line in _shown_output(common.output_lines(run.app_output)):
            lines += wrap(line, indent="  │ ", more="  │   ")
        lines.append("")
    lines += _errors(run, color)
    for note in run.notes:
        lines += wrap(f"note: {show(note)}")
    lines.append(_closing(run, color))
    return "\n".join(lines) + "\n"


#: Lines of the app's output the text report shows, its first and its last half: a
#: framework's log of every 404 ran to 940 lines after the findings (Django under DEBUG).
OUTPUT_LINES = 40


def _shown_output(written: list[str]) -> list[str]:
    """The app's output lines the text report shows: the first and last of them, with a
    line saying how many were left out and where they are."""
    if len(written) <= OUTPUT_LINES:
        return written
    half = OUTPUT_LINES // 2
    left = len(written) - OUTPUT_LINES
    said = f"[... {left} more lines: the JSON and HTML reports show them all ...]"
    return [*written[:half], said, *written[-half:]]


def brief(run: RunResult, color: bool) -> str:
    """The failures, errors and summary line alone: what a terminal gets when the reports go
    to files, so a CI log still says what broke."""
    lines = _failures(run, color) + _errors(run, color)
    lines.append(_closing(run, color))
    return "\n".join(lines) + "\n"


#: Above the failures found by replaying the example database, not by the seeded draw.
REPLAYED_TITLE = f"{common.REPLAYED.capitalize()} (past failures; the seed's draw met none)"


def _failures(run: RunResult, color: bool) -> list[str]:
    """Each failure the baseline does not accept: the seeded draw's, then the replayed."""
    lines: list[str] = []
    shown = [
        each
        for each in run.failures.values()
        if common.failure_kind(run, each) is not Verdict.KNOWN
    ]
    for failure in shown:
        if not failure.replayed:
            lines.extend(_failure(run, failure, color))
    replayed = [failure for failure in shown if failure.replayed]
    if replayed:
        lines += [_paint(REPLAYED_TITLE, "title", color), ""]
    for failure in replayed:
        lines.extend(_failure(run, failure, color))
    return lines


def _errors(run: RunResult, color: bool) -> list[str]:
    return [
        _paint(line, Verdict.FAIL, color)
        for error in run.errors
        for line in wrap(f"error: {show(error)}")
    ]


def _where(where: Location | None) -> str:
    return "" if where is None else f"{show(relative_path(where.file))}:{where.line}"


def _failure(run: RunResult, failure: Failure, color: bool) -> list[str]:
    rule = failure.rule
    kind = common.failure_kind(run, failure)
    lines = [
        _paint(f"{_MARKS[kind]} {rule.id} ({rule.level_shown})", kind, color),
        *wrap(show(failure.finding.message), indent="  ", more="    "),
    ]
    where = common.location_of(run, failure)
    if where is not None:
        lines += wrap(f"at {_where(where)} in {show(where.called)}", indent="  ")
        source = common.source_line(where)
        if source:
            shown = f"    {where.line} │ {show(source)}"
            shown = shown if len(shown) <= WIDTH else shown[: WIDTH - 1] + "…"
            lines.append(_paint(shown, "dim", color))
    made = common.made_in(run, failure)
    if made is not None:
        lines += wrap(
            f"(made in {show(made[0])} in {show(made[1])}, a library's code)",
            indent="    ",
            more="      ",
        )
    lines += _by_path(run, failure)
    lines += _other_places(run, failure)
    lines += _every_finding(run, failure)
    lines += wrap(f"{rule.citation}: {rule.pep}", indent="  ", more="    ")
    if failure.before:
        lines.append(f"  {failure.before_heading}:")
        for each in failure.before:
            for line in common.raw_lines(each.to_text()):
                lines += [part.rstrip() for part in fold_http(line, indent="    ")]
    lines.append(f"  {failure.heading}:")
    raw = failure.request.to_text()
    for line in common.raw_lines(raw):
        lines += [each.rstrip() for each in fold_http(line, indent="    ")]
    if failure.fresh is False:
        lines += wrap(f"! {NOT_FRESH}", indent="  ", more="    ")
    heading = f"replay with curl (against {show(failure.reproducers.against)}):"
    lines += wrap(heading, indent="  ", more="    ")
    lines += fold_shell(
        show(failure.reproducers.curl, limit=common.REPRODUCER_LIMIT), indent="    "
    )
    lines.append("  replay in Python:")
    python = failure.reproducers.python.rstrip("\n")
    for line in common.lines_of(python, limit=common.REPRODUCER_LIMIT):
        lines += [each.rstrip() for each in fold_python(line, indent="    ")]
    lines.append("")
    return lines


def _answers(run: RunResult, color: bool, verbosity: int) -> list[str]:
    """The statuses per path: the few busiest paths, all of them (up to 40) with -v."""
    limit = 40 if verbosity > 0 else 8
    rows = [(show(path, limit=60), text) for path, text in common.answer_rows(run, limit)]
    if not rows:
        return []
    width = max(len(path) for path, _ in rows)  # each at most 60: the statuses line up
    lines = [_paint(common.ANSWERS_TITLE, "title", color)]
    for path, statuses in rows:
        lines += _answer_row(f"  {path:<{width}}  ", statuses)
    return [*lines, ""]


def _answer_row(lead: str, statuses: str) -> list[str]:
    """A path's row of the statuses table: ``lead`` (the path, padded), then its statuses,
    cut between two of them onto lines under the first when they run past the edge."""
    cut: list[str] = []
    for each in statuses.split(" · "):
        # " · " before it, and room for the " ·" the line ends with when it is cut after it.
        if cut and len(lead) + len(cut[-1]) + len(" · ") + len(each) + len(" ·") > WIDTH:
            cut[-1] += " ·"
            cut.append(each)
        else:
            cut[-1:] = [f"{cut[-1]} · {each}" if cut else each]
    return [lead + cut[0], *(" " * len(lead) + each for each in cut[1:])]


def _coverage(measured: AppCoverage, color: bool) -> list[str]:
    title = (
        f"App coverage: {measured.executed} of {common.plural(measured.statements, 'line')} "
        f"({measured.percent:.1f}%) of the app's files under {show(relative_path(measured.root))}"
    )
    lines = [_paint(line, "title", color) for line in wrap(title)]
    if not measured.files:
        lines.append("  no file of the app ran under measurement")
    width = max((len(show(relative_path(each.path))) for each in measured.files), default=0)
    for each in measured.files:
        missing = line_ranges(each.missing)
        lines += wrap(
            f"{show(relative_path(each.path)):<{width}}  {each.percent:5.1f}%  "
            f"{len(each.executed)}/{len(each.statements)}"
            + (f"  never reached: {missing}" if missing else ""),
            indent="  ",
            more="      ",
        )
    lines.append("")
    return lines


def _closing(run: RunResult, color: bool) -> str:
    """The summary line; after a run that judged nothing, what that means above it."""
    told = wrap(f"note: {common.nothing_judged_text(run)}") if run.judged_nothing() else []
    return "\n".join([*told, _paint(common.headline(run), common.run_verdict(run), color)])


def _by_path(run: RunResult, failure: Failure) -> list[str]:
    """Which of the paths tried the rule's findings were on, as the statuses table counts."""
    told = common.by_path_text(run, failure)
    return [] if told is None else wrap(told, indent="  ", more="    ")


def _other_places(run: RunResult, failure: Failure) -> list[str]:
    """The rule's findings at other places of the app, one line each (the example above is
    one place's)."""
    others = common.other_places(run, failure)
    if not others:
        return []
    lines = [f"  also at {common.plural(len(others), 'other place')}:"]
    for each in others[: common.OTHER_PLACES_SHOWN]:
        where = f"{show(each.spelled)} in {show(each.where.called)}"
        text = f"{where}: {show(each.message)}{each.aside(show)}"
        lines += wrap(text, indent="    ", more="      ")
    more = common.more_places(others)
    if more is not None:
        lines.append(f"    {more}")
    return lines


def _every_finding(run: RunResult, failure: Failure) -> list[str]:
    """Every distinct finding of the rule, one line each (``--all-findings``)."""
    every = common.every_finding(run, failure.rule.id)
    if not every:
        return []
    lines = [f"  {common.every_finding_heading(every)}:"]
    for each in every:
        lines += wrap(each.told(show), indent="    ", more="      ")
    return lines
