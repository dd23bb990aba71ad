"""Whether a failure shows again on the app loaded afresh, as its Python replay runs it.

A run drives one app through hundreds of requests, and what one request leaves in the app
(a cache entry, a session, a header list shared by every call) can make a later one fail.
The minimiser replays against that same app, so the "smallest" request may fail only
there: its replay, on a fresh app, then passes. Before the report prints it, each failure
of an app rule is sent again, with the requests that came before it, to the app loaded in
a process of its own that starts clean (:mod:`wsgicheck.explore.fresh`: never a fork of the
calling process, which may have imported the app, as pytest's may have), in memory, as the
Python replay does (a validator an earlier answer taught is taken from the fresh app's
answer). One that did not fail there is sent twice to another fresh app (a list shared by
every call breaks the second call); the report says of one that failed neither way that its
replays may pass (``Failure.fresh``).
One met in a sequence that fails there is then shown after fewer of its requests, those
under which it still fails on another fresh app (none at all, when it fails alone): a
greedy search in a bounded number of replays, which finds the fewest often, not always.
"""

from __future__ import annotations

import re
import time
from dataclasses import fields, replace
from typing import NamedTuple

from ..core.environ import ServerConfig
from ..drivers.client import Client
from ..drivers.overtime import STRETCH
from ..drivers.target import load_target
from ..model.grammar import http_date, imf_fixdate
from ..model.learned import replay, untaught
from ..model.request import Request
from ..results.reproduce import (
    QUIET_CHOICES,
    Reproducers,
    choices_unlike,
    reproducers,
    target_choices,
)
from ..results.run import Failure, RunResult
from ..rules import REGISTRY, Binding, Exchange, Level, check_exchange
from ..rules.http_evidence import CONDITIONS_AND_RANGE, entity_tags, grouped_fields
from .collector import SERVED, TIMEOUT_RULE
from .fresh import FreshProcesses
from .sequences import plain_get

__all__ = ["confirm_failures", "confirmable"]

#: Seconds a confirming process has to load the app, beside each request's time-out.
LOAD_ALLOWANCE = 10.0
#: Seconds all the confirming of one run may take; what is left unconfirmed stays unmarked.
#: The one bound on how many are: a try costs a fork and the app's import (about 0.2 s for
#: WsgiDAV, 1.5 s for a Wagtail site). A count of eight, by id, as well, had left a
#: WsgiDAV run's last three unmarked, and one of them after the 41 requests it was met in.
BUDGET = 30.0
#: A fresh app's answers: the rule did not break; it broke (then its finding's message).
_PASSED, _FAILED = b"passed", b"failed:"
#: Bytes of an answer read at most (a longer one is not told): what one write into an
#: empty pipe carries whole, as the process is killed once its answer is there.
_ANSWER_AT_MOST = 16 << 10
#: Characters of a message sent at most: four bytes each, with the prefix, within that.
_MESSAGE_AT_MOST = 4000
#: Fresh-app replays spent at most on leaving out the requests before one failure.
SHORTENING_TRIES = 12


def confirmable(failure: Failure) -> bool:
    """Whether the Python replay can show the failure: an app rule judged on the exchange
    and the ones before it, not on a replay of it or on what only a probe records."""
    rule = failure.rule
    needs = rule.needs or frozenset()
    return (
        rule.binding is Binding.APP
        and rule.source != "wsgicheck"  # the harness's own rules (a time-out, a death)
        and not any(name == "previous" or name.startswith("extra:") for name in needs)
    )


def confirm_failures(spec: str, result: RunResult, timeout: float) -> None:
    """Replay the run's app-rule failures on fresh apps, MUST rules' first, each group by
    id, within :data:`BUDGET`, and mark each with whether it failed again (left unmarked
    when that could not be told: the app would not load, or did not answer in time, or the
    budget was spent). Ctrl-C stops it, leaving the rest unmarked."""
    hung = result.failures.get(TIMEOUT_RULE)
    chosen = sorted(
        (
            rule_id
            for rule_id, each in result.failures.items()
            if confirmable(each) and (hung is None or each.request != hung.request)
        ),
        key=lambda rule_id: (result.failures[rule_id].rule.level is not Level.MUST, rule_id),
    )
    deadline = time.monotonic() + BUDGET
    with FreshProcesses(_ANSWER_AT_MOST) as processes:
        _confirm(processes, spec, result, chosen, timeout, deadline)


def _confirm(
    processes: FreshProcesses,
    spec: str,
    result: RunResult,
    chosen: list[str],
    timeout: float,
    deadline: float,
) -> None:
    unconfirmed = list(chosen)
    # First, each failure is tried once, after the few of the requests before it it most
    # likely needs (:func:`_likely_needed`; a lone one as it was met): one try confirms
    # and shortens most. All of these go before any other try: an app that takes seconds
    # to load (MLflow 5 s, calibre-web 3.5 s) affords few, and calibre-web's were spent on
    # the first rules' whole sequences while a lone GET's 416, later by id, was left
    # unconfirmed and others were shown after up to 42 requests (a trial of 2026-12-07).
    likely: dict[str, tuple[Request, ...]] = {}  # what was tried first, where it passed
    twice: list[str] = []  # lone ones that passed: to be sent twice, in the time left
    untold: set[str] = set()  # lone ones whose one try told nothing: not sent again
    # To be shown after fewer requests, in the time left, each with whether it is still
    # shown after every request it was met after.
    in_sequences: list[tuple[str, bool]] = []
    for rule_id in chosen:
        failure = result.failures[rule_id]
        first = _likely_needed(failure) if failure.before else ()
        if first is None:
            continue
        bound = LOAD_ALLOWANCE + timeout * STRETCH * (len(first) + 1)
        bound = min(bound, deadline - time.monotonic())
        if bound <= 0:
            break
        answer = _replay(processes, spec, replace(failure, before=first), bound)
        if answer.failed and failure.before:
            shown = _shown_after(spec, failure, first, failure.request, answer.message)
            result.failures[rule_id] = replace(shown, fresh=True)
            unconfirmed.remove(rule_id)
            if first:
                in_sequences.append((rule_id, False))  # (those it compares: maybe not all)
        elif failure.before:
            if answer.failed is False:
                likely[rule_id] = first  # (a full replay next)
        elif answer.failed is not None:  # a lone one: its try was its replay
            result.failures[rule_id] = replace(failure, fresh=answer.failed)
            unconfirmed.remove(rule_id)
            if not answer.failed:
                twice.append(rule_id)
        else:
            untold.add(rule_id)  # (an app that hangs would cost the same again)
    # Then each failure met after other requests and not shown so yet, as it was met; and
    # each that passed on a fresh app, after its own request once more.
    for rule_id in chosen:
        failure = result.failures[rule_id]
        if rule_id in twice:
            again = _sent_twice(processes, spec, failure, timeout, deadline)
            if again is not None:
                result.failures[rule_id] = again
            continue
        if rule_id not in unconfirmed or rule_id in untold:
            continue
        bound = LOAD_ALLOWANCE + timeout * STRETCH * (len(failure.before) + 1)
        bound = min(bound, deadline - time.monotonic())
        if bound <= 0:
            continue  # (the lone ones after it may still be marked: none needs time)
        fresh = _replay(processes, spec, failure, bound).failed
        if fresh is not None:
            result.failures[rule_id] = replace(failure, fresh=fresh)
            unconfirmed.remove(rule_id)
        if fresh is False:
            again = _sent_twice(processes, spec, failure, timeout, deadline)
            if again is not None:
                result.failures[rule_id] = again
                continue
        if fresh and failure.before:
            in_sequences.append((rule_id, True))
    # Then, in the time left, each failure met in a sequence is shown after as few of its
    # requests as a bounded search finds it still fails after on a fresh app: the requests
    # before it were the sequence it was met in, not what it needs. The finding's message
    # is the one judged after them (a 304 it names may have gone).
    unshortened = 0
    for rule_id, as_met in in_sequences:
        failure = result.failures[rule_id]
        if time.monotonic() >= deadline:
            unshortened += as_met
            continue
        before, request, message = _fewer_before(
            processes, spec, failure, timeout, deadline, tried_first=likely.get(rule_id)
        )
        if before != failure.before:
            result.failures[rule_id] = _shown_after(spec, failure, before, request, message)
    # Last, each failure that failed again under server choices serve does not make is
    # tried under serve's (its mount kept): most need none of them, and its curl replay
    # against serve then needs no word of them (a trial of 2026-12-06: Falcon's ignored
    # If-None-Match was shown under six, which a sequence's follow-up keeps as drawn).
    for rule_id in chosen:
        failure = result.failures[rule_id]
        served = _served_like(failure.config)
        if failure.fresh is not True or served == failure.config:
            continue
        bound = LOAD_ALLOWANCE + timeout * STRETCH * (len(failure.before) + 1)
        bound = min(bound, deadline - time.monotonic())
        if bound <= 0:
            break
        answer = _replay(processes, spec, replace(failure, config=served), bound)
        if answer.failed:
            result.failures[rule_id] = _under(spec, failure, served, answer.message)
    if time.monotonic() >= deadline and (unconfirmed or unshortened):
        result.notes.append(_budget_note(len(unconfirmed), unshortened))


def _sent_twice(
    processes: FreshProcesses, spec: str, failure: Failure, timeout: float, deadline: float
) -> Failure | None:
    """``failure``, which passed on a fresh app, shown after its own request sent once more
    before it, where it fails so on another fresh app: what one call leaves in the app (a
    header list shared by every call, a cache entry) most often breaks the next call of the
    same request, and a replay that sends it once shows nothing. None where it does not
    fail so, or was not told in time."""
    before = (*failure.before, failure.request)
    bound = LOAD_ALLOWANCE + timeout * STRETCH * (len(before) + 1)
    bound = min(bound, deadline - time.monotonic())
    if bound <= 0:
        return None
    answer = _replay(processes, spec, replace(failure, before=before), bound)
    if not answer.failed:
        return None
    shown = _shown_after(spec, failure, before, failure.request, answer.message)
    return replace(shown, fresh=True)


def _served_like(config: ServerConfig) -> ServerConfig:
    """``config`` with each server choice as ``wsgicheck serve`` makes it, but its mount
    (the request's target holds it) and the choices no replay depends on."""
    kept = {"script_name", *QUIET_CHOICES}
    return replace(
        config,
        **{
            each.name: getattr(SERVED, each.name)
            for each in fields(ServerConfig)
            if each.init and each.name not in kept
        },
    )


def _under(spec: str, failure: Failure, config: ServerConfig, message: str) -> Failure:
    """``failure`` shown under ``config``, where it failed again with ``message``."""
    choices = (*choices_unlike(config, SERVED), *target_choices([failure.request]))
    shown = replace(
        failure,
        config=config,
        finding=replace(
            failure.finding, message=message or failure.finding.message, choices=choices
        ),
    )
    return replace(shown, reproducers=_replays(spec, shown))


def _replays(spec: str, failure: Failure) -> Reproducers:
    """The replays of ``failure`` as it is now shown: its request, after the requests
    before it, under its server choices."""
    compared = failure.rule.sequence is not None
    return reproducers(
        failure.request,
        failure.config,
        spec,
        failure.before,
        compared=compared,
        lingering=failure.reproducers.lingering,
    )


def _likely_needed(failure: Failure) -> tuple[Request, ...] | None:
    """The few of the requests before ``failure`` it most likely needs, tried first: none
    for a rule that judges one answer; for a rule over a sequence, those the finding
    compares the judged answer with (``rests_on``) where the run knew them, else those
    whose answers taught what the judged request sends back (the GET whose ETag an
    If-Match holds), else the last plain GET of its target (the whole representation a
    Range is held to); never fewer than teach a validator the judged request sends back.
    None where that is all of them, or there are none."""
    before, request = failure.before, failure.request
    if not before:
        return None
    likely: tuple[Request, ...] = ()
    if failure.rule.sequence is not None:
        likely = tuple(before[at] for at in failure.rests_on if at < len(before))
        if not likely:
            teachers = [each.teacher for each in request.learned if each.teacher is not None]
            likely = tuple(each for each in before if each in teachers)
            likely = likely[-1:] if len(set(teachers)) == 1 else likely
        if not likely:
            likely = _plain_repeats(request, before)[-1:]
        if not likely or len(likely) >= len(before):
            return None
    return None if _loses_a_teacher(failure, likely, request) else likely


def _loses_a_teacher(failure: Failure, before: tuple[Request, ...], request: Request) -> bool:
    """Whether ``request`` sent after ``before`` sends back a validator whose teaching
    answer is not among them, where the run's own sequence for ``failure`` had it."""
    lacking = {id(each) for each in untaught((*failure.before, failure.request))}
    lost = untaught((*before, request))
    return any(each.teacher is not None and id(each) not in lacking for each in lost)


def _shown_after(
    spec: str, failure: Failure, before: tuple[Request, ...], request: Request, message: str
) -> Failure:
    """``failure`` shown after ``before`` alone, ``request`` judged after them with the
    ``message`` of its finding there, and replays to match."""
    shown = replace(
        failure,
        finding=replace(failure.finding, message=message or failure.finding.message),
        request=request,
        before=before,
        rests_on=(),  # positions in the run's sequence, which is gone
    )
    return replace(shown, reproducers=_replays(spec, shown))


def _budget_note(unconfirmed: int, unshortened: int) -> str:
    """What the replays on fresh apps left undone when their time was up."""
    left = []
    if unconfirmed:
        left.append(f"{unconfirmed} failing rule(s) were left unconfirmed on a fresh app")
    if unshortened:
        which = "" if unconfirmed else " failing rule(s)"
        left.append(
            f"{unshortened}{which} are shown after every request they were met after, not "
            "after as few as they need"
        )
    return (
        f"{' and '.join(left)}: the {BUDGET:g} s the replays of a run may take were up (each "
        "loads the app afresh: an app slow to import affords few)"
    )


class _Answer(NamedTuple):
    """What a fresh app's replay told: whether the rule broke (None: not told), and the
    message of its finding when it did."""

    failed: bool | None
    message: str = ""


def _fewer_before(
    processes: FreshProcesses,
    spec: str,
    failure: Failure,
    timeout: float,
    deadline: float,
    *,
    tried_first: tuple[Request, ...] | None = None,
) -> tuple[tuple[Request, ...], Request, str]:
    """Fewer of the requests before ``failure``, after which it still fails on a fresh
    app: none (a body the framework cannot decode fails on any call); else those the
    finding compares the judged answer with, where the run knew them (``rests_on``), and
    then, of what is kept, the one just before it (the 304 a GET is compared with); then
    its plain repeats alone
    (:func:`_plain_repeats`), and runs of what is kept left out in turn (halves,
    quarters, ... single requests), each kept out while it still fails, in
    :data:`SHORTENING_TRIES` replays at most; never a request whose answer teaches a
    validator one that is kept sends back, but that one made the plain GET of the judged
    request where it still fails so (:func:`_plain_teacher`). Each is a fresh app's: what
    the run's app kept from a request (a session) is not in one, so a request it needs is
    not left out (state kept outside the process, a database file, can still mislead a
    try). With them, the judged request (learning from the plain GET, if that one stayed)
    and the message of the finding judged after them."""
    tried: set[tuple[Request, ...]] = set()
    message = [failure.finding.message]

    def fails(before: tuple[Request, ...], request: Request = failure.request) -> bool:
        if _loses_a_teacher(failure, before, request):
            return False  # a validator sent back would lose the answer that teaches it
        tried.add(before)
        bound = min(
            LOAD_ALLOWANCE + timeout * STRETCH * (len(before) + 1), deadline - time.monotonic()
        )
        if bound <= 0:
            return False
        answer = _replay(processes, spec, replace(failure, before=before, request=request), bound)
        if answer.failed:
            message[0] = answer.message or message[0]
        return answer.failed is True

    kept = failure.before
    if tried_first is not None:
        tried.add(tried_first)  # (it did not fail after those: :func:`_likely_needed`)
    if kept and () not in tried and fails(()):
        return (), failure.request, message[0]
    # The requests the finding compares the judged answer with (the GETs around a 304 or a
    # 206, say), where the run knew them: most often all it needs, and the rest is
    # shortened from there.
    rested = tuple(kept[at] for at in failure.rests_on if at < len(kept))
    if rested and len(rested) < len(kept) and rested not in tried and fails(rested):
        kept = rested
    if len(kept) > 1 and fails(kept[-1:]):
        return kept[-1:], failure.request, message[0]
    repeats = _plain_repeats(failure.request, kept)
    if len(repeats) < len(kept) and repeats not in tried and fails(repeats):
        kept = repeats  # then halved as the rest: two of three plain GETs may do
    # Runs of them left out, halves first, then quarters, down to one at a time: what the
    # finding needs is most often one or two requests of a long sequence.
    size = max(1, len(kept) // 2)
    while len(tried) < SHORTENING_TRIES and time.monotonic() < deadline:
        index = 0
        while index < len(kept) and len(tried) < SHORTENING_TRIES:
            fewer = kept[:index] + kept[index + size :]
            if fewer not in tried and fails(fewer):
                kept = fewer
            else:
                index += size
        if size == 1:
            break
        size = max(1, size // 2)
    # The GET that taught the validators is as it was drawn (odd fields and all), where
    # the judged request was made smallest: its plain GET teaches the same on most apps.
    swapped = _plain_teacher(failure.request, kept)
    if swapped is not None and fails(*swapped):
        return (*swapped, message[0])
    return kept, failure.request, message[0]


def _plain_teacher(
    request: Request, before: tuple[Request, ...]
) -> tuple[tuple[Request, ...], Request] | None:
    """``before`` with the one request whose answer taught the validators sent back made
    the plain GET of ``request`` (its target and fields but conditions and Range), and
    ``request`` (and any other) learning from that GET instead; None where no one request
    of ``before`` taught them, or it is that GET already."""
    teachers = {
        learned.teacher
        for each in (*before, request)
        for learned in each.learned
        if learned.teacher is not None and learned.teacher in before
    }
    if len(teachers) != 1:
        return None
    [teacher] = teachers
    plain = plain_get(request)
    if plain == teacher:
        return None

    def relearned(each: Request) -> Request:
        if not any(learned.teacher == teacher for learned in each.learned):
            return each
        taught = tuple(
            replace(learned, teacher=plain) if learned.teacher == teacher else learned
            for learned in each.learned
        )
        return each.replace(learned=taught)

    return tuple(plain if each == teacher else relearned(each) for each in before), relearned(
        request
    )


def _plain_repeats(request: Request, before: tuple[Request, ...]) -> tuple[Request, ...]:
    """The requests of ``before`` that are ``request`` without its conditions and Range:
    the plain GETs a conditional or ranged GET is judged beside (Bottle's 416 to
    ``BYTES=0-0`` needs two of them, of the eighteen questions before it). Fields compare
    as :func:`~wsgicheck.rules.http_evidence.request_key` compares them."""
    plain = tuple(
        field for field in grouped_fields(request) if field[0] not in CONDITIONS_AND_RANGE
    )
    return tuple(
        each
        for each in before
        if each.method == request.method
        and each.target == request.target
        and grouped_fields(each) == plain
    )


def _replay(processes: FreshProcesses, spec: str, failure: Failure, bound: float) -> _Answer:
    args = (spec, failure.rule.id, failure.request, failure.config, failure.before)
    answer = processes.run(_fresh_app, args, bound)
    if answer == _PASSED:
        return _Answer(False)
    if answer.startswith(_FAILED):  # then the message of the finding
        return _Answer(True, answer[len(_FAILED) :].decode("utf-8", "replace"))
    return _Answer(None)


def _as_the_run_sent(message: str, sequence: tuple[Request, ...], sent: list[Request]) -> str:
    """``message`` with each value the replay made again from the fresh app's answers (a
    tag, a date: an app may give new ones each time) as the run sent it, so that it quotes
    the requests the report shows (httpbin's ``/cache``: a Last-Modified of "now"). All at
    once: one value's replacement may be another's fresh value, never written over."""
    anew_to_run: dict[str, str] = {}
    for ran, replayed in zip(sequence, sent, strict=True):
        for learned in ran.learned:
            anew = next((v for n, v in replayed.headers if n == learned.name), None)
            if anew is None or anew == learned.value:
                continue
            if _twins(anew, learned.value):
                # The same tag, weak where the run's was strong (or the other way): no new
                # value to hide, and a message quoting the app's own W/"x" beside it (a 304's
                # ETag and its 200's) would come to contradict itself.
                continue
            anew_to_run.setdefault(anew, learned.value)
            dates = http_date(anew), http_date(learned.value)
            if dates[0] is not None and dates[1] is not None:  # as a message writes dates
                anew_to_run.setdefault(imf_fixdate(dates[0]), imf_fixdate(dates[1]))
    if not anew_to_run:
        return message
    longest_first = sorted(anew_to_run, key=len, reverse=True)
    either = re.compile("|".join(map(re.escape, longest_first)))
    return either.sub(lambda found: anew_to_run[found.group()], message)


def _twins(one: str, other: str) -> bool:
    """Whether two field values are one entity-tag each, the same but for being weak (a
    list's first tag alone says nothing of the rest: the explorer's lists all start with
    the same stale tag)."""
    first, second = entity_tags(one), entity_tags(other)
    if first is None or second is None or len(first) != 1 or len(second) != 1:
        return False
    return first[0][1] == second[0][1]


def _fresh_app(
    spec: str, rule_id: str, request: Request, config: ServerConfig, before: tuple[Request, ...]
) -> bytes:
    """In the trying process: load the app, replay, say whether the rule broke (the message
    of its first finding), did not, or could not be told (nothing)."""
    try:
        client = Client(load_target(spec), config=config)
        *earlier, last = replay(client.send, (*before, request))
        exchange = Exchange(last, history=tuple(Exchange(each) for each in earlier))
        found = check_exchange(exchange, [REGISTRY[rule_id]])
        message = next((str(each.message) for each in found if each.rule == rule_id), None)
        if message is not None:
            sent = [each.request for each in (*earlier, last)]
            message = _as_the_run_sent(message, (*before, request), sent)
    except BaseException:  # the app would not load, or broke the client: not told
        return b""
    if message is None:
        return _PASSED
    return _FAILED + message[:_MESSAGE_AT_MOST].encode("utf-8", "replace")
