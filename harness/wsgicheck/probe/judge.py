"""From what was sent and what the app sent home to rule verdicts.

Each :class:`~.session.Sent` and its record become one
:class:`~wsgicheck.rules.Exchange` with ``source="probe"``: the request the client sent,
the response as the raw client read it, the environ and trace the probe app recorded
inside the server, and the client's own evidence in ``extra``. Every SERVER and ENVIRON
rule judges them; APP rules do not (the probe app breaks some on purpose). The rules that
inspect live objects (``app.LIVE_RULES``) were judged inside the server, and their
verdicts come with the record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ..drivers.rawclient import WireResponse
from ..model.events import AppRaised, RawEvent, raw_client_gone, raw_server_observed
from ..model.extra import Extra, Together
from ..model.request import Request
from ..model.response import Response
from ..rules import REGISTRY, Binding, Exchange, Finding, Rule, RuleResult
from ..rules.harness_rules import PROBE_RULES
from ..rules.server_body import UNDELIMITED
from ..rules.server_evidence import UNCHUNKED
from ..rules.server_head import NO_ANSWER, telling_message
from ..rules.server_streams import LINES_ADDED, LINES_CHANGED
from ..rules.verdicts import Verdict
from . import scenarios
from .app import LIVE_RULES
from .codec import decode, decode_events, dict_type_named
from .session import Sent

__all__ = [
    "Judged",
    "Record",
    "add_shared_evidence",
    "judge",
    "probe_rules",
    "records_by_id",
    "to_exchange",
]


def probe_rules() -> list[Rule]:
    """The rules a probe judges: every SERVER and ENVIRON rule, and of the harness's own
    only the probe's (the server's death, its silence: the others judge wsgicheck's own
    run)."""
    return [
        each
        for each in REGISTRY
        if each.binding in (Binding.SERVER, Binding.ENVIRON)
        and (not each.id.startswith("HARNESS-") or each.id in PROBE_RULES)
    ]


@dataclass(slots=True)
class Record:
    """What the probe app sent home about one probe id."""

    exchange: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def records_by_id(raw: Iterable[dict[str, Any]]) -> dict[int, Record]:
    """Records merged per probe id: the last exchange record, every note."""
    merged: dict[int, Record] = {}
    for item in raw:
        probe_id = item.get("id")
        if not isinstance(probe_id, int):
            continue
        record = merged.setdefault(probe_id, Record())
        if isinstance(item.get("exchange"), dict):
            record.exchange = item["exchange"]
        if isinstance(item.get("note"), dict):
            record.notes.update(item["note"])
    return merged


@dataclass(slots=True)
class Judged:
    """One probe exchange, ready for the rules."""

    sent: Sent
    exchange: Exchange
    record: Record | None
    #: The verdicts of the live rules, from inside the server: id → (applied, messages).
    live: dict[str, tuple[bool, list[str]]]


class UnreadableRecord(ValueError):
    """A probe's record, in the side channel, that is not what the probe app writes."""


def to_exchange(sent: Sent, record: Record | None, server_log: str) -> Judged:
    """The exchange a rule sees for one probe request."""
    wire = sent.response
    environ: dict[str, Any] | None = None
    log: list[RawEvent] = []
    environ_type: type = dict
    live: dict[str, tuple[bool, list[str]]] = {}
    data = record.exchange if record is not None else None
    if data is not None:
        # Written by a process the server runs, which may write anything there.
        try:
            environ = decode(data["environ"])
            if not isinstance(environ, dict):
                raise TypeError(f"an environ of type {type(environ).__name__}")
            environ_type = dict_type_named(str(data.get("environ_type", "builtins.dict")))
            log = decode_events(data["events"])
            for rule_id, verdict in dict(data.get("live", {})).items():
                live[str(rule_id)] = (
                    bool(verdict["applied"]),
                    [str(m) for m in verdict["findings"]],
                )
        except Exception as exc:
            raise UnreadableRecord(
                f"probe {sent.probe_id}: the record of the app's side written for it does not "
                f"read ({type(exc).__name__}); judged on what the client saw alone"
            ) from None
    if sent.client_gone:
        log.append(raw_client_gone("the client hung up on purpose"))
    if sent.hung is not None:
        # Seen by the client, not the app: nothing came back, and the connection stayed open.
        log.append(raw_server_observed(NO_ANSWER, f"{sent.hung:g}"))
    if sent.lines_changed is not None:
        log.append(raw_server_observed(LINES_CHANGED, sent.lines_changed))
    if sent.lines_added:
        log.append(raw_server_observed(LINES_ADDED, str(sent.lines_added)))
    if wire is not None and sent.unended is not None and _undelimited(sent.request.method, wire):
        log.append(raw_server_observed(UNDELIMITED, f"{sent.unended:g}"))
    if wire is not None and wire.chunks_broken is not None:
        came, due = wire.chunks_broken
        log.append(raw_server_observed(UNCHUNKED, f"{came[:40]!r} came where {due} should be"))
    if wire is None:
        response = Response(sent.request, 0, "", [], b"", False, environ, log)
    else:
        body = wire.body + wire.excess
        response = Response(
            sent.request,
            wire.status,
            wire.reason,
            list(wire.headers),
            body,
            # Aborted only when the server closed before the framing ended; a body cut
            # short on a connection left open was finished as if complete.
            wire.complete or not wire.closed,
            environ,
            log,
        )
    extra = _extra(sent, record, server_log, log)
    exchange = Exchange(response, source="probe", environ_type=environ_type, extra=extra)
    return Judged(sent, exchange, record, live)


def _undelimited(method: str, wire: WireResponse) -> bool:
    """A response with a body, no Content-Length and no chunks (its end is the close), read
    until the client's time ran out with the connection still open."""
    if not wire.stalled or method == "HEAD" or wire.status < 200 or wire.status in (204, 304):
        return False
    chunked = "chunked" in (wire.header("transfer-encoding") or "").lower()
    return not chunked and wire.header("content-length") is None


def _extra(sent: Sent, record: Record | None, server_log: str, log: list[RawEvent]) -> Extra:
    extra = sent.extra
    if sent.follow_up:
        extra = replace(extra, follow_up=True)
    notes = record.notes if record is not None else {}
    if extra.input_blocked is not None and notes.get("reads_ended_after_shut") is True:
        extra = replace(extra, input_blocked=True)
    if "first_block_received" in notes:
        extra = replace(extra, first_block_received=notes["first_block_received"] is True)
    if notes.get("handed_as_list") is True:
        extra = replace(extra, handed_as_list=True)
    if isinstance(notes.get("exc_info_kept"), bool):
        extra = replace(extra, exc_info_kept=notes["exc_info_kept"])
        holders = notes.get("exc_info_holders")
        if isinstance(holders, list):
            extra = replace(extra, exc_info_holders=tuple(str(each) for each in holders))
    variant = extra.file_wrapper_variant
    if isinstance(variant, str) and notes.get("file_wrapper") is True:
        extra = replace(extra, file_wrapper_expected=scenarios.expected_file_body(variant))
        if variant != "early":  # a wrapper never returned need not be closed by anyone
            extra = replace(extra, filelike_closed=notes.get("filelike_closed") is True)
    if isinstance(notes.get("wrapper_closes_filelike"), bool):
        extra = replace(extra, wrapper_closes_filelike=notes["wrapper_closes_filelike"])
    if any(item[0] is AppRaised for item in log):
        extra = replace(extra, server_log=server_log)
    return extra


def _share_log_keeps_messages(judged: list[Judged]) -> None:
    """Whether the server's log holds the message of any of the run's raises, on each
    exchange that carries the log: one that holds none is read by the exception's type (a
    review of 2026-12-06: read from the log's form alone, a JSON log that named another
    raise's type and message stood for this raise)."""
    logged = [item for item in judged if item.exchange.extra.server_log is not None]
    messages = {
        raised.message
        for item in logged
        for raised in item.exchange.raised
        if telling_message(raised.message)
    }
    keeps: dict[str, bool] = {}  # by log: a server restarted as another callable has its own
    for item in logged:
        log = str(item.exchange.extra.server_log)
        if log not in keeps:
            keeps[log] = any(message in log for message in messages)
        item.exchange.extra = replace(item.exchange.extra, server_log_keeps_messages=keeps[log])


def add_shared_evidence(judged: list[Judged]) -> None:
    """Evidence that spans exchanges, for the ``*-ACCURATE`` environ rules: how many
    requests each server process served, and whether two requests sent together ran at
    once, in one process or two; and for the file-wrapper rules, whether the server's
    wrapper closes its file when closed; and for SRV-TRAP-LOG, whether the server's log
    keeps the messages of the app's exceptions at all."""
    _share_wrapper_close(judged)
    _share_log_keeps_messages(judged)
    pids: dict[int, int] = {}
    by_id: dict[int, Judged] = {}
    for item in judged:
        by_id[item.sent.probe_id] = item
        pid = _pid(item)
        if pid is not None:
            pids[pid] = pids.get(pid, 0) + 1
    for item in judged:
        pid = _pid(item)
        if pid is not None:
            item.exchange.extra = replace(item.exchange.extra, process_requests=pids[pid])
        if item.sent.scenario != "together" or item.record is None:
            continue
        step = 1 if item.sent.arg == "next" else -1
        partner = by_id.get(item.sent.probe_id + step)
        if partner is None or partner.record is None or _pid(partner) is None or pid is None:
            continue
        overlapped = any(
            each.record is not None and each.record.notes.get("overlapped") is True
            for each in (item, partner)
        )
        together = Together(
            overlapped=overlapped,
            same_process=pid == _pid(partner),
            waited_alone=None if overlapped else _one_at_a_time(item, partner),
        )
        item.exchange.extra = replace(item.exchange.extra, together=together)


def _one_at_a_time(item: Judged, partner: Judged) -> float | None:
    """The seconds one of the two calls waited alone, when the other found it done (the
    server ran them one after the other), both on the process's main thread (a server that
    serves there has no pool that might grow) and no green threads could explain it; else
    None."""
    notes = [each.record.notes for each in (item, partner) if each.record is not None]
    waited = [note.get("waited_alone") for note in notes]
    seconds = next((each for each in waited if isinstance(each, int | float)), None)
    if (
        seconds is None
        or not any(note.get("partner_done") is True for note in notes)
        or any(note.get("green_threads") is not False for note in notes)
        or not all(note.get("main_thread") is True for note in notes)
    ):
        return None
    return float(seconds)


#: The file-wrapper variants whose file-like object is a real file, as the early one's is.
REAL_FILES = ("file", "offset")


def _share_wrapper_close(judged: list[Judged]) -> None:
    """What the wrapper the app closed itself showed, given to each exchange whose app
    returned one: a file left open there was the server's not calling close()."""
    shown = {
        each.exchange.extra.wrapper_closes_filelike
        for each in judged
        if each.exchange.extra.wrapper_closes_filelike is not None
    }
    if len(shown) != 1:
        return
    [closes] = shown
    for item in judged:
        extra = item.exchange.extra
        if extra.filelike_closed is None:
            continue
        if extra.file_wrapper_variant in REAL_FILES:
            item.exchange.extra = replace(extra, wrapper_closes_filelike=closes)
        elif closes and not extra.filelike_closed:
            # Shown on a real file: an object without fileno() a server may wrap another
            # way, so its file left open tells neither whose fault it is. Not judged.
            item.exchange.extra = replace(extra, filelike_closed=None)


def _pid(item: Judged) -> int | None:
    data = item.record.exchange if item.record is not None else None
    pid = data.get("pid") if data is not None else None
    return pid if isinstance(pid, int) else None


def judge(
    judged: list[Judged], rules: list[Rule] | None = None
) -> tuple[list[RuleResult], list[str]]:
    """Each rule's verdict over every exchange; and the rules that crashed, as errors."""
    results = []
    errors: list[str] = []
    for each in probe_rules() if rules is None else rules:
        applied = 0
        findings: list[Finding] = []
        for item in judged:
            if each.id in LIVE_RULES:
                if item.record is None or item.record.exchange is None:
                    continue
                was_applied, messages = item.live.get(each.id, (False, []))
                applied += was_applied
                findings.extend(each.finding(item.exchange, message) for message in messages)
                continue
            try:
                if each.applies(item.exchange):
                    applied += 1
                    findings.extend(each.check(item.exchange))
            except Exception as exc:  # a rule must not stop the probe: report it
                errors.append(
                    f"rule {each.id} failed on probe {item.sent.probe_id} "
                    f"({item.sent.scenario}): {type(exc).__name__}: {exc}"
                )
        status = Verdict.of_rule(found=bool(findings), applied=bool(applied))
        results.append(RuleResult(each, status, tuple(findings), applied))
    return results, errors


def smallest(findings: Iterable[Finding]) -> Finding | None:
    """The finding whose request is the shortest: the easiest one to replay."""
    best: tuple[int, Finding] | None = None
    for finding in findings:
        request: Request | None = finding.request
        size = len(request.to_bytes()) if request is not None else 1 << 30
        if best is None or size < best[0]:
            best = (size, finding)
    return best[1] if best is not None else None
