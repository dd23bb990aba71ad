"""Server rules on what ``start_response`` checks and does with ``exc_info``: invalid
headers refused while the app runs, hop-by-hop fields refused, and ``exc_info`` replacing
the headers before they are sent and re-raising the original exception after.

Invoking the app and its iterable are judged in :mod:`.server_calls`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import StartResponseCalled
from ..model.untrusted import show
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, rule
from .server_calls import SR
from .server_evidence import (
    HOP_RULES,
    RAISED,
    RETURNED,
    app_fields,
    call_outcomes,
    fields_before,
    final_call,
    iter_late_exc_info,
    judgeable,
    observed_after,
    on_wire,
    problems_of,
    response_fields,
    server_answered,
    server_may_add,
    status_code,
)


def _problem_calls(ex: Exchange, hop: bool) -> Iterator[tuple[StartResponseCalled, list[str]]]:
    """Accepted calls with header problems: hop-by-hop ones, or all the others."""
    for call, outcome in call_outcomes(ex):
        if outcome != RETURNED:
            continue
        messages = [
            message for rule_id, message in problems_of(call, ex) if (rule_id in HOP_RULES) == hop
        ]
        if messages:
            yield call, messages


def _has_problem_call(ex: Exchange, hop: bool) -> bool:
    return any(
        outcome is not None
        and any((rule_id in HOP_RULES) == hop for rule_id, _ in problems_of(call, ex))
        for call, outcome in call_outcomes(ex)
    )


@rule(
    "SRV-CHECK-HEADERS-EARLY",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="start_response raises for an invalid status or header, while the app runs",
    pep="""Servers should check for errors in the headers at the time start_response is
    called, so that an error can be raised while the application is still running.""",
    applies=lambda ex: _has_problem_call(ex, hop=False),
    needs=("head-problem",),
    memo="exchange",
    example="""
bad:  start_response("200 OK", [("X Bad", "1")]) returns; the server fails while sending
fix:  validate status and headers in start_response and raise there""",
)
def check_headers_early(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, messages in _problem_calls(ex, hop=False):
        yield self.finding(ex, f"start_response accepted a bad call: {messages[0]}", call.where)


@rule(
    "SRV-REJECT-HOP-BY-HOP",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="start_response raises when the app passes a hop-by-hop header",
    pep="""a server or gateway should consider it a fatal error for an application to
    attempt sending them, and raise an error if they are supplied to start_response().""",
    applies=lambda ex: _has_problem_call(ex, hop=True),
    needs=("head-problem",),
    memo="exchange",
    example="""
bad:  start_response("200 OK", [("Connection", "close")]) returns normally
fix:  raise from start_response: hop-by-hop headers are the server's""",
)
def reject_hop_by_hop(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, messages in _problem_calls(ex, hop=True):
        # "accepted {message}" read as no sentence (a probe trial of 2026-12-06).
        yield self.finding(
            ex, f"start_response accepted the header, though {messages[0]}", call.where
        )


def _replacing_calls(ex: Exchange) -> list[tuple[StartResponseCalled, str | None]]:
    """Calls after the first, with exc_info, before the head went out, otherwise valid."""
    return [
        (call, outcome)
        for call, outcome in call_outcomes(ex)[1:]
        if call.exc_info_kind in ("exception", "empty")
        and not call.headers_sent
        and not call.keywords
        and call.positional == 3
        and not problems_of(call, ex)
    ]


@rule(
    "SRV-EXC-INFO-REPLACE",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="with exc_info before the head went out, start_response replaces status and headers",
    pep="""If exc_info is supplied, and no HTTP headers have been output yet, start_response
    should replace the currently-stored HTTP response headers with the newly-supplied
    ones""",
    applies=lambda ex: any(outcome is not None for _, outcome in _replacing_calls(ex)),
    needs=("start_response:again",),
    memo="exchange",
    example="""
bad:  if self.status is not None: raise AssertionError("headers already set")
fix:  if exc_info and not self.headers_sent: replace the stored status and headers""",
)
def exc_info_replace(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, outcome in _replacing_calls(ex):
        if outcome == RAISED:
            yield self.finding(
                ex, "start_response raised for exc_info although no head had gone out", call.where
            )
    final = final_call(ex)
    code = status_code(final)
    if (
        on_wire(ex)
        and judgeable(ex)
        and not server_answered(ex)
        and any(call is final for call, _ in _replacing_calls(ex))
        and code is not None
        and ex.response.status_code not in (0, code)
    ):
        yield self.finding(
            ex,
            f"the app replaced its status with {code} (exc_info); the client got "
            f"{ex.response.status_code}",
            final.where if final is not None else None,
        )
    if final is not None and on_wire(ex) and judgeable(ex) and not server_answered(ex):
        kept = _replaced_fields_sent(ex, final)
        if kept and any(call is final for call, _ in _replacing_calls(ex)):
            name, value = kept[0]
            yield self.finding(
                ex,
                f"the app replaced its headers (exc_info); the client still got {show(name)}: "
                f"{show(value)} from an earlier call"
                + (f", and {len(kept) - 1} more such field(s)" if len(kept) > 1 else ""),
                final.where,
            )


def _replaced_fields_sent(ex: Exchange, final: StartResponseCalled) -> list[tuple[str, str]]:
    """The fields of the calls before ``final`` that went out more often than ``final``
    names them (gunicorn 27 and cheroot 11 keep the replaced call's fields and add the new
    ones: two Content-Types), those ``final`` does not name first (the telling ones). A
    field the server may add itself is counted only where ``final`` names it too."""
    final_fields = app_fields(ex)
    final_names = {name for name, _ in final_fields}
    sent = response_fields(ex)
    kept: list[tuple[str, str]] = []
    for field in fields_before(ex, final):
        if server_may_add(field[0]) and field[0] not in final_names:
            continue
        if field not in kept and sent.count(field) > final_fields.count(field):
            kept.append(field)
    return sorted(kept, key=lambda field: field[0] in final_names)


@rule(
    "SRV-EXC-INFO-RAISE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=SR,
    summary="with exc_info after the head went out, start_response raises",
    pep="""However, if exc_info is provided, and the HTTP headers have already been sent,
    start_response must raise an error, and should re-raise using the exc_info tuple.""",
    applies=lambda ex: any(outcome is not None for _, outcome in iter_late_exc_info(ex)),
    needs=("late-exc-info",),
    memo="exchange",
    example="""
bad:  if exc_info: self.status = status    # the head is already out: too late
fix:  if exc_info and self.headers_sent: raise exc_info[1].with_traceback(exc_info[2])""",
)
def exc_info_raise(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, outcome in iter_late_exc_info(ex):
        if outcome == RETURNED:
            yield self.finding(
                ex,
                "start_response returned normally for exc_info after the body had started",
                call.where,
            )


@rule(
    "SRV-EXC-INFO-RERAISE-ORIGINAL",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=SR,
    summary="the error start_response raises for a late exc_info is the app's own",
    pep="""start_response must raise an error, and should re-raise using the exc_info tuple.
    That is:: raise exc_info[1].with_traceback(exc_info[2])""",
    applies=lambda ex: any(
        observed_after(ex, call, "exc_info-reraised") is not None
        for call, _ in iter_late_exc_info(ex)
    ),
    needs=("late-exc-info", "observed:exc_info-reraised"),
    memo="exchange",
    example="""
bad:  if exc_info and self.headers_sent: raise RuntimeError("headers already sent")
fix:  if exc_info and self.headers_sent: raise exc_info[1].with_traceback(exc_info[2])""",
)
def exc_info_reraise_original(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call, _ in iter_late_exc_info(ex):
        seen = observed_after(ex, call, "exc_info-reraised")
        if seen is not None and seen.detail != "original":
            raised = observed_after(ex, call, "start_response-raised")
            kind = raised.detail if raised is not None else "another exception"
            yield self.finding(
                ex, f"start_response raised {kind}, not the exception in exc_info", call.where
            )
