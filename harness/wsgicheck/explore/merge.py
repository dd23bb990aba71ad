"""Merging: the partial results of a run's shares (processes, passes) into one result.

Each rule's verdict over every share, its smallest example with reproducers, the rules
judged once over the whole run's answers, and the notes of what the run left out.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

from ..model.extra import ANSWERED, RAISED, REPLACED, Extra
from ..model.options import RunOptions
from ..model.response import Response
from ..model.untrusted import show, shown_target
from ..results.reproduce import reproducers
from ..results.run import Failure, RunResult
from ..results.scope import TIMED_OUT, Answers, FirstAnswer, statuses_text
from ..rules import REGISTRY, Exchange, Rule, RuleResult, judge
from ..rules.harness_rules import ALL_ERRORS, REFUSAL_MINIMUM, RUN_RULES
from .collector import (
    APP_VARIES_RULE,
    DEATH_RULE,
    FIRST_KEPT,
    TIMEOUT_RULE,
    Kept,
    LeftOut,
    Partial,
    add_left_out,
    example_size,
)
from .examples import SHRINK_NOTE


def merge_partials(
    partials: list[Partial],
    options: RunOptions,
    *,
    seed: int,
    target: str,
    started: float,
    interrupted: bool = False,
) -> RunResult:
    """One result of the shares' partial ones; ``interrupted``: the run was cut short
    (as a partial may say too: a run cut before any share sent its own has none)."""
    rules = REGISTRY.select(options.select, options.ignore)
    # The database's replays count in the verdicts; a failure is reported as replayed
    # only for a rule the seeded draw found no failure of.
    replays = [part.replay for part in partials if part.replay is not None]
    counted = [*partials, *replays]
    answers = Answers()
    for part in partials:
        answers.merge(part.answers)
    judged = _judge_answers(partials, answers, rules)
    results = []
    for each in rules:
        findings = tuple(f for part in counted for f in part.findings.get(each.id, []))
        applied = sum(part.applied.get(each.id, 0) for part in counted)
        if each.id in judged:
            applied += 1
            verdict = judged[each.id]
            findings += (verdict.finding,) if verdict is not None else ()
        status = "fail" if findings else ("pass" if applied else "skip")
        results.append(RuleResult(each, status, findings, applied))
    smallest = {rule_id: kept for rule_id, kept in judged.items() if kept is not None}
    drawn, replayed = _smallest(partials), _smallest(replays)
    for rule_id in FIRST_KEPT & drawn.keys() & replayed.keys():
        # The database's replays run after discovery and before the draw: the earlier of
        # the two is the first (a review of 2026-12-07: the draw's was shown as the first).
        if replayed[rule_id].seen_at < drawn[rule_id].seen_at:
            del drawn[rule_id]
    for rule_id, kept in drawn.items():
        if rule_id not in smallest or kept.size < smallest[rule_id].size:
            smallest[rule_id] = kept
    replayed = {k: v for k, v in replayed.items() if k not in smallest}
    # Once each: the draw and the database's replays may write off the same path.
    notes = list(dict.fromkeys(note for part in counted for note in part.notes))
    timed_out = sum(len(part.findings.get(TIMEOUT_RULE, [])) for part in counted)
    told = [*notes, _behind_note(timed_out)] if timed_out > 1 else notes
    for table in (smallest, replayed):
        if told and TIMEOUT_RULE in table:
            kept = table[TIMEOUT_RULE]
            message = "; ".join([kept.finding.message, *told])
            table[TIMEOUT_RULE] = kept._replace(finding=replace(kept.finding, message=message))
    # After the time-outs' notes went into their finding: these are not theirs.
    if any(part.shrinking_stopped for part in partials):
        notes.append(SHRINK_NOTE)
    notes += _not_shown_again(counted)
    own = own_errors_note(answers)
    notes += [own] if own else []
    notes += [removed_note(answers.removed)] if answers.removed else []
    inner = inner_validator_note(answers)
    notes += [inner] if inner else []
    unanswered = unanswered_paths_note(options.paths, answers)
    notes += [unanswered] if unanswered else []
    lingering = tuple(dict.fromkeys(name for part in partials for name in part.lingering))
    failures = {
        rule_id: Failure(
            REGISTRY[rule_id],
            kept.finding,
            kept.request,
            kept.config,
            kept.transport,
            reproducers(
                kept.request,
                kept.config,
                target,
                kept.before,
                compared=REGISTRY[rule_id].sequence is not None,
                twice=rule_id == APP_VARIES_RULE,
                # A time-out's replay waits the run's limit for the answer, and no longer.
                waits=options.timeout if rule_id == TIMEOUT_RULE else None,
                lingering=lingering,
            ),
            before=kept.before,
            rests_on=kept.rests_on,
            replayed=rule_id in replayed,
        )
        for rule_id, kept in sorted({**smallest, **replayed}.items())
    }
    paths = list(dict.fromkeys(path for part in partials for path in part.paths))
    measured = [part.app_coverage for part in partials if part.app_coverage is not None]
    app_coverage = measured[0] if measured else None
    for more in measured[1:]:
        app_coverage = more if app_coverage is None else app_coverage.merge(more)
    interrupted = interrupted or any(part.interrupted for part in partials)
    errors = [error for part in partials for error in part.errors]
    if not interrupted and DEATH_RULE not in failures:
        errors += _too_few(answers, options, {each.id for each in rules})
    return RunResult(
        target=target,
        seed=seed,
        options=options,
        examples=sum(part.examples for part in partials),
        duration=time.monotonic() - started,
        paths=paths,
        results=results,
        failures=failures,
        errors=errors,
        app_coverage=app_coverage,
        app_location=next((p.app_location for p in partials if p.app_location), None),
        interrupted=interrupted,
        notes=notes,
        replayed_examples=sum(part.examples for part in replays),
        answers=answers,
        first_answer=next((part.first_answer for part in partials if part.first_answer), None),
        first_found={
            rule_id: min(p.first_found[rule_id] for p in partials if rule_id in p.first_found)
            for rule_id in {rule_id for p in partials for rule_id in p.first_found}
        },
        lingering=lingering,
    )


def _too_few(answers: Answers, options: RunOptions, judged: set[str]) -> list[str]:
    """The error of a run that sent the app fewer requests than it takes to judge it, or
    got fewer answers within the time limit: it cannot pass, though no rule saw anything to
    fail. Empty when the run sent enough and enough were answered. ``judged``: the ids of
    the rules the run judges with."""
    needed = min(REFUSAL_MINIMUM, options.examples)
    timed_out = sum(row.get(TIMED_OUT, 0) for row in answers.paths.values())
    if (
        answers.total >= needed
        and answers.total - timed_out < needed
        and TIMEOUT_RULE not in judged
    ):
        # Sent, and abandoned at the time limit: a run judging only other rules than
        # HARNESS-EXCHANGE-TIMEOUT (--select) saw nothing, and passed. (With the rule, its
        # failure says so.)
        answered = answers.total - timed_out
        return [
            f"only {answered} of the {answers.total} requests the run sent got an answer "
            f"within the time limit ({options.timeout:g} s): fewer than {needed} judge next "
            "to nothing, so the run cannot pass"
        ]
    if answers.total >= needed:
        return []
    why = "the rest were never sent"
    if options.exclude_paths:
        why = f"--exclude-path {' '.join(options.exclude_paths)} left no other request to send"
        why += " (with --read-only)" if options.read_only else ""
    sent = answers.total
    return [
        f"only {sent} of the {options.examples} requests the run set out to send reached the "
        f"app ({why}): fewer than {needed} judge next to nothing, so the run cannot pass"
    ]


#: How much of a finding a note quotes.
NOTE_QUOTE = 300


def _not_shown_again(partials: list[Partial]) -> list[str]:
    """What the rules over steady answers left out: findings that did not show again when
    their requests were sent again. The app's answers vary, and these are no verdict (a
    rule with none kept reads pass or skip, so the note says what it did not judge, and
    the first such finding, for a look by hand)."""
    left: dict[str, LeftOut] = {}
    for part in partials:
        for rule_id, (count, first) in part.not_shown_again.items():
            add_left_out(left, rule_id, count, first)
    return [
        f"{rule_id}: {count} finding{'s' * (count != 1)} left out, not shown again when the "
        "requests compared were sent again (the app answers them otherwise at times: no "
        f"verdict from them); the first said: {show(first, limit=NOTE_QUOTE)}"
        for rule_id, (count, first) in sorted(left.items())
    ]


def _smallest(partials: list[Partial]) -> dict[str, Kept]:
    """The smallest example of each failing rule over ``partials`` (the first judged, for a
    rule of :data:`~.collector.FIRST_KEPT`)."""
    smallest: dict[str, Kept] = {}
    for part in partials:
        for rule_id, kept in part.smallest.items():
            known = smallest.get(rule_id)
            if known is None or (
                kept.seen_at < known.seen_at if rule_id in FIRST_KEPT else kept.size < known.size
            ):
                smallest[rule_id] = kept
    return smallest


def _behind_note(timed_out: int) -> str:
    """What the time-out finding says when several exchanges timed out: which is shown."""
    return (
        f"{timed_out} exchanges timed out, and the request shown is the first: an app call "
        "abandoned at the limit runs on (a thread cannot be stopped), so a later request may "
        "have timed out waiting behind it"
    )


def _judge_answers(
    partials: list[Partial], answers: Answers, rules: list[Rule]
) -> dict[str, Kept | None]:
    first = next((part.first_answer for part in partials if part.first_answer), None)
    return judge_run_rules(first, answers, rules)


def own_errors_note(answers: Answers) -> str | None:
    """No rule judges an app's own 5xx, and a run may pass with an endpoint that always
    fails: the note that says so, with what the app logged. The table is what the app
    answered, and holds the server's 5xx too, sent in its place where it raised before
    its status or its response broke PEP 3333: the note counts those, and says the table's
    5xx are all the server's where the app answered none itself. The questions that follow
    a GET are not in the table, and the note counts their 5xx of the app's own apart. None
    where there are no 5xx of either."""
    answered = answers.failed.get(ANSWERED, 0)
    raised, replaced = answers.served.get(RAISED, 0), answers.served.get(REPLACED, 0)
    causes = [
        f"the app raised ({raised} request(s))" if raised else "",
        f"the app's response broke PEP 3333 ({replaced} request(s))" if replaced else "",
    ]
    where = " or ".join(cause for cause in causes if cause)
    asked = _asked_errors(answers, also=answered > 0)
    if not answered:
        if not where and not asked:
            return None
        server = f"the table's 5xx are the server's own, sent where {where}; " if where else ""
        if not asked:
            return f"{server}the app answered no request with a server error of its own"
        return f"{server}the app answered no drawn request with a server error of its own{asked}"
    if answers.answered_error is None:
        return None
    server = f" (the table's 5xx count the server's own too, sent where {where})" if where else ""
    return (
        f"the app answered {answered} request(s) with a server error of its own{server}; "
        f"the first, {answers.answered_error}{asked}"
    )


def _asked_errors(answers: Answers, *, also: bool) -> str:
    """What the note adds of the server errors the app answered the questions that follow
    a GET with itself ("" where there were none); ``also`` where it answered drawn ones so
    too."""
    if not answers.asked_errors or answers.asked_error is None:
        return ""
    return (
        f"; {answers.asked_errors} of the questions asked after a GET (HEAD, conditional "
        "requests, other methods), which the table does not count, got one"
        f"{' too' if also else ''}: the first, "
        f"{answers.asked_error}"
    )


def inner_validator_note(answers: Answers) -> str | None:
    """The note of violations a wsgicheck.validator inside TARGET raised: each ends its
    answer as the app's exception would, and is the validator's verdict on a rule, not the
    app's error, so no rule of this run reports it (a real-app trial of 2026-12-06 passed
    with a MUST one raised on every answer)."""
    if not answers.inner_violations:
        return None
    return (
        "a wsgicheck.validator inside TARGET raised a violation (or a warning the filters "
        "made an error) in at least "
        f"{answers.inner_violations} answer(s), the first: {answers.inner_violation}; each "
        "cut its answer short (a 500, or a response ended early once its head had gone out), "
        "and no rule of this run judges what it found: check the app it wraps, or make it "
        "validator(app, collect=True), to judge those rules here"
    )


def removed_note(removed: str) -> str:
    """The note of a path that stopped answering once the run's own requests changed the
    app (:attr:`Answers.removed`)."""
    return (
        f"a path stopped answering once the run's own requests changed the app: {removed}; "
        "the verdicts on that path after it judge what is left (point check at data that "
        "can be lost, or keep the run off what changes it with --exclude-path)"
    )


def unanswered_paths_note(paths: Sequence[str], answers: Answers) -> str | None:
    """The note of the paths the user named (``--path``) that no request got a 2xx from:
    the run judged those answers alone, which a user who named the path did not mean."""
    missing = []
    served = only_3xx_4xx = True
    fives_seen = False
    for path in dict.fromkeys(each.partition("?")[0] for each in paths):
        row = answers.paths.get(path)
        if row is None or any(status.isdigit() and status.startswith("2") for status in row):
            continue
        missing.append(f"{shown_target(path)} ({statuses_text(row)})")
        # Every 5xx on this path the server's own, none the app's (its 4xx may be its own).
        fives = sum(count for status, count in row.items() if status.startswith("5"))
        served = served and answers.served_paths.get(path, 0) == fives
        fives_seen = fives_seen or fives > 0
        only_3xx_4xx = only_3xx_4xx and all(status[:1] in ("3", "4") for status in row)
    if not missing:
        return None
    # (--read-only named: a trial of 2026-12-07 saw Radicale's path deleted by a drawn
    # DELETE before any GET of it, which no note can name as it names a path once served.)
    why = (
        "does the app need a Host (-H), a login, or data that the run's own requests removed "
        "(--read-only sends none that change it)?"
    )
    if only_3xx_4xx:
        # A path named for its redirect or its 404 (a trial of 2026-12-07 read the question
        # as a fault of its own): the answers judged are the ones meant.
        why = f"if it redirects or refuses by design, those are the answers meant; else, {why}"
    if served and fives_seen:
        # The server's 500 in place of an answer that broke PEP 3333 (a control byte in a
        # header): no Host or login would have helped (a trial of 2026-12-06). Only where
        # every 5xx on the paths was the server's: Quixote answers some of its own, and
        # its 405s besides (a trial of 2026-12-07).
        why = (
            "the server sent 5xx in the app's place where it raised or its response broke "
            f"PEP 3333, as the findings say; else, {why}"
        )
    return (
        f"no request to --path {', '.join(missing)} got a 2xx: the verdicts there judge "
        f"those answers alone ({why})"
    )


def judge_run_rules(
    first: FirstAnswer | None, answers: Answers, rules: list[Rule]
) -> dict[str, Kept | None]:
    """The rules over the whole run's answers (HARNESS-ALL-REFUSED, -ALL-ERRORS), through the rule
    engine: judged once, on the first example the app answered, with the table of statuses
    per path as evidence. Each judged rule's failing example, None where it passed. (The
    pytest suite's shares under xdist are judged so again, on all their answers.)"""
    if first is None:
        return {}
    extra = Extra(
        answers=answers.paths,
        failed=answers.failed,
        succeeded=answers.succeeded,
        raised=answers.raised,
    )
    kept: dict[str, Kept | None] = {}
    for each in rules:
        if each.id not in RUN_RULES:
            continue
        # HARNESS-ALL-ERRORS is shown on a request the app failed on, where there is one.
        shown = (answers.first_failed if each.id == ALL_ERRORS else None) or first
        reply = Response(
            shown.request, shown.status, shown.reason, shown.headers, b"", True, None, []
        )
        exchange = Exchange(reply, source=shown.transport, extra=extra)
        for _, found in judge(exchange, [each]):  # none where it does not apply
            size = example_size(shown.request, shown.config)
            kept[each.id] = (
                Kept(size, found[0], shown.request, shown.config, shown.transport)
                if found
                else None
            )
    return kept
