"""Whose answer a response is, as the response itself says.

The echo scenario names the probe id it answers (``X-Wsgicheck-Probe-Answer``). A
response the client read for one request that names another is that other's: the server
answered pipelined requests out of their order, or one in place of another (bjoern 3.2.2
answers only the last of two requests that came in one write). A pipelined follow-up
that gets no answer on a connection the server keeps open was dropped (rocket3 answers
only the first of two). RFC 9112 §9.3.2: the responses go "in the same order that the
requests were received".

:func:`attribute` gives each request so read its evidence (an
:class:`~wsgicheck.model.extra.Answer`, for ``SRV-RESPONSE-ORDER``) and each named
response to the request it answers, so that no other rule judges a request by another's
answer.
"""

from __future__ import annotations

from dataclasses import replace

from ..drivers.rawclient import WireResponse
from ..model.extra import Answer
from ..model.grammar import decimal
from .scenario_base import ANSWER_HEADER
from .session import Sent

__all__ = ["answered_id", "attribute", "writes"]


def answered_id(response: WireResponse | None) -> int | None:
    """The probe id ``response`` says it answers; None when it names none (a response of
    another scenario, or the server's own)."""
    value = response.header(ANSWER_HEADER) if response is not None else None
    return decimal(value.strip()) if value is not None else None


def _line(sent: Sent) -> str:
    return f"{sent.request.method} {sent.request.target}"


def writes(sent: list[Sent]) -> dict[int, tuple[Sent, ...]]:
    """The requests sent in one write, by the probe id of each: a pipelined request and the
    pipelined follow-ups right after it (the corpus sends them so)."""
    groups: list[list[Sent]] = []
    previous: Sent | None = None
    for each in sent:
        if each.pipelined and each.follow_up and groups and groups[-1][-1] is previous:
            groups[-1].append(each)
        elif each.pipelined and not each.follow_up:
            groups.append([each])
        previous = each
    return {member.probe_id: tuple(group) for group in groups for member in group}


def attribute(sent: list[Sent]) -> None:
    """Give each request the answer that names it, and the evidence of whose answer the
    client read for it: a request whose read answer names another (the rule fails), and
    a pipelined follow-up whose read answer is its own (the server answered both, in
    order), or none at all while the server kept the connection open (it dropped it). A
    request of a server that answers one request per connection gets none."""
    read = {each.probe_id: answered_id(each.response) for each in sent}
    by_id = {each.probe_id: each for each in sent}
    # Each request's own answer: read for it, else read for another request.
    owned: dict[int, WireResponse] = {}
    for each in sent:
        if each.response is not None and read[each.probe_id] == each.probe_id:
            owned[each.probe_id] = each.response
    for each in sent:
        number = read[each.probe_id]
        if each.response is not None and number is not None and number != each.probe_id:
            owned.setdefault(number, each.response)
    in_writes = writes(sent)
    for each in sent:
        number = read[each.probe_id]
        group = in_writes.get(each.probe_id, ())
        together = tuple(member.request for member in group)
        if not group:
            pass  # only the requests of one write are judged by whose answer they got
        elif number is None:
            if each.follow_up and each.hung is not None and each.probe_id not in owned:
                # Dropped: no answer names it, the connection was kept open and nothing
                # more came.
                answer = Answer(
                    asked=each.probe_id, answered=None, together=together, waited=each.hung
                )
                each.extra = replace(each.extra, answer=answer)
        elif number != each.probe_id and number in (member.probe_id for member in group):
            other = by_id[number]
            answer = Answer(
                asked=each.probe_id,
                answered=number,
                answered_request=_line(other),
                together=together,
            )
            each.extra = replace(each.extra, answer=answer)
        elif number == each.probe_id and each.follow_up:
            answer = Answer(
                asked=number, answered=number, answered_request=_line(each), together=together
            )
            each.extra = replace(each.extra, answer=answer)
        if each.probe_id in owned:
            each.response = owned[each.probe_id]
            each.hung = None  # its answer came, read for another request
        elif number is not None and number != each.probe_id:
            each.response = None
