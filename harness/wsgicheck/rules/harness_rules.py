"""Rules the runner itself enforces: an app that hangs, never ends, or answers differently
depending on which of wsgicheck's transports carried the request, or by itself.

They are not catalogue rows (see ``specs/traceability/extra.md``): they are how a hostile or
broken app shows up as a finding instead of a hung or crashed harness.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ..model.events import BodyLimitReached, StartResponseCalled, TimedOut
from ..model.extra import ANSWERED, RAISED, REPLACED, SUCCEEDED
from ..model.grammar import SAFE_METHODS
from ..model.untrusted import show
from .app_trap import own_errors
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, byte_count, rule


@rule(
    "HARNESS-EXCHANGE-TIMEOUT",
    level=Level.MUST,
    binding=Binding.APP,
    section="wsgicheck: per-exchange time limit",
    summary="the application answers each request within the time limit (up to 3 times it "
    "while it keeps working)",
    pep="""(Not a PEP 3333 requirement: a server must be able to finish an exchange. An app
    that never returns, or whose iterable never ends, hangs the server thread serving it.)""",
    source="wsgicheck",
    covers=(),
    needs=("environ",),
    memo="exchange",
    finds=("timed_out",),
    example="""
bad:  def app(environ, start_response): time.sleep(3600)
fix:  bound the work; stream long responses block by block""",
)
def exchange_timeout(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.timed_out:
        limits = [event.limit for event in ex.events if isinstance(event, TimedOut)]
        limit = f" of {limits[0]:g} s" if limits else ""
        yield self.finding(ex, f"the exchange ran past the time limit{limit} and was abandoned")


@rule(
    "HARNESS-BODY-LIMIT",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="wsgicheck: response body limit",
    summary="the response body ends within the size limit",
    pep="""(Not a PEP 3333 requirement: an iterable that never ends keeps a server sending
    forever; wsgicheck stops reading a body at its limit, 8 MiB unless --body-limit
    (--wsgi-body-limit under pytest) says otherwise, and reports it. A download longer than
    that is no fault: raise the limit.)""",
    source="wsgicheck",
    covers=(),
    needs=("environ",),
    memo="exchange",
    finds=("limit",),
    example="""
bad:  return itertools.repeat(b"x")
fix:  end the iterable""",
)
def body_limit(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.limit_reached:
        limit = next((event.limit for event in ex.events if isinstance(event, BodyLimitReached)), 0)
        told = f"{limit >> 20} MiB" if limit and not limit % (1 << 20) else byte_count(limit)
        yield self.finding(
            ex,
            f"the body went past the response body limit, {told} (a longer download is no "
            "fault: raise the limit, --body-limit or body_limit in [tool.wsgicheck])",
        )


@rule(
    "HARNESS-TRANSPORTS-AGREE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="wsgicheck: one core, two transports",
    summary="the same request gets the same environ, status and trace in memory and on a socket",
    pep="""(Not a PEP 3333 requirement: wsgicheck's two transports share one core, so they
    must agree; a difference is a wsgicheck bug. What the app changes by itself, seen when
    the request is sent again, is left out: that is HARNESS-APP-VARIES.)""",
    source="wsgicheck",
    covers=(),
    needs=("extra:transport_differences",),
    memo="exchange",
    example="""
bad:  the socket transport builds CONTENT_LENGTH, the memory one leaves it out
fix:  build the environ in one function, used by both""",
)
def transports_agree(self: Rule, ex: Exchange) -> Iterator[Finding]:
    differences = ex.extra.transport_differences or ()
    if differences:
        yield self.finding(ex, "; ".join(differences[:5]))


@rule(
    "HARNESS-APP-VARIES",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="wsgicheck: the same request, replayed",
    summary="the app answers the same request the same way again (not a server difference)",
    pep="""(Not a PEP 3333 requirement: an app may answer one request differently each time,
    by design (a rate limiter, a counter, a clock, a random token). When the two transports
    disagree, wsgicheck replays the request in memory (and over the socket too);
    what the app changes by itself is reported here, and left out of
    HARNESS-TRANSPORTS-AGREE, so it is not blamed on the server. Ignore this rule for an
    app that varies on purpose. It is reported for safe methods only: a PUT that created a
    resource answers 201 and replaces it when replayed (204), a POST that deleted
    something finds nothing, as RFC 9110 §9.2.1 and §9.3.4 expect; their replay only keeps
    the difference from being blamed on the server.)""",
    source="wsgicheck",
    covers=(),
    applies=lambda ex: ex.method in SAFE_METHODS,
    needs=("extra:app_varies",),
    memo="exchange",
    example="""
seen: status 200 first, 429 when replayed   # Flask-Limiter: over the limit
fix:  nothing, if it is by design; else find the state the app keeps between requests""",
)
def app_varies(self: Rule, ex: Exchange) -> Iterator[Finding]:
    varied = ex.extra.app_varies or ()
    if varied:
        yield self.finding(ex, "sent again, the app answered differently: " + "; ".join(varied[:5]))


@rule(
    "HARNESS-WORKER-DIED",
    level=Level.MUST,
    binding=Binding.APP,
    section="wsgicheck: the app runs apart from the reporter",
    summary="the application never ends the process serving it (os._exit, a signal, a crash)",
    pep="""(Not a PEP 3333 requirement: a server process must outlive the requests it serves.
    wsgicheck runs the app in a worker process; when the worker dies, the run stops there and
    names the last request the app was given.)""",
    source="wsgicheck",
    covers=(),
    applies=lambda ex: ex.app_ran or ex.extra.worker_died is not None,
    needs=(),
    memo="exchange",
    finds=("extra:worker_died",),
    example="""
bad:  def app(environ, start_response): os._exit(0)
fix:  return an error response; leave ending the process to the server""",
)
def worker_died(self: Rule, ex: Exchange) -> Iterator[Finding]:
    what = ex.extra.worker_died
    if what:
        request = ex.request
        yield self.finding(
            ex,
            f"the worker process running the app {what} while the app answered "
            f"{request.method} {request.target} ({ex.source} transport); the run stopped there",
            ex.extra.app,
        )


def _answered_or_died(ex: Exchange) -> bool:
    """A probe's request the server answered, or died on; not the one of the raising plan
    whose aftermath the probe checked (whether the server survived that app exception is
    ``SRV-TRAP-LOG``'s)."""
    extra = ex.extra
    return (
        ex.source == "probe"
        and extra.server_alive is None
        and (extra.server_died is not None or ex.response.status_code != 0)
    )


@rule(
    "HARNESS-SERVER-DIED",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="wsgicheck: a server outlives the requests it serves",
    summary="no request the probe sends ends the server's process before it is answered",
    pep="""(Not a PEP 3333 requirement, nor an HTTP one: HTTP lets a connection close at any
    time, RFC 9112 §9.3.1. But a server whose process ends on a valid request answers
    neither it nor any other until it is started again; the probe starts it again, and
    names the request it died on.)""",
    source="wsgicheck",
    covers=(),
    applies=_answered_or_died,
    needs=(),
    memo="exchange",
    finds=("extra:server_died",),
    example="""
bad:  value = PyUnicode_DecodeUTF8(raw, size, NULL)   # NULL for b"caf\\xe9": a crash follows
fix:  decode header values as ISO-8859-1 (PEP 3333), which cannot fail""",
)
def server_died(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Every request the probe sends is valid HTTP. A death on the app's exception in the
    # raising plan is SRV-TRAP-LOG's; one on any other (close() raising, exc_info) is here.
    died = ex.extra.server_died
    left = ex.extra.died_after_left
    if died is not None and ex.client_gone:
        yield self.finding(
            ex,
            f"the server's process {died} after the client left this request mid-way (on "
            "purpose, as any client may): no other request got an answer until the server "
            "was started again",
        )
    elif died is not None and ex.response.status_code == 0:
        # A server on its way out of the request before, which the client left on purpose,
        # may take this one in and die: the blame is shared, and said so.
        perhaps = (
            f" (or of probe {left}, sent just before it, which the client left mid-way on "
            "purpose: the process may have been on its way out when this request came)"
            if left is not None
            else ""
        )
        yield self.finding(
            ex,
            f"the server's process {died} while it had this request in hand, before "
            f"answering it{perhaps}: the client got no response, and neither would any other "
            "until the server was started again",
        )
    elif died is not None:
        # wsgiref made to exit in close(): the answer went out, the next request was refused.
        yield self.finding(
            ex,
            f"the server's process {died} after it answered this request, before the next "
            "one reached it: no other request got an answer until the server was started "
            "again",
        )


def _probed(ex: Exchange) -> bool:
    """A probe's request but the one of the raising plan whose aftermath the probe checked
    (SRV-TRAP-LOG's), and one the client left mid-way on purpose."""
    return ex.source == "probe" and ex.extra.server_alive is None and not ex.client_gone


@rule(
    "HARNESS-SERVER-ANSWERS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="wsgicheck: a server answers the requests it serves",
    summary="the server answers the probe's valid requests: the probe never gives up on it "
    "for plans in a row with no HTTP response at all",
    pep="""(Not a PEP 3333 requirement: a server that stops answering valid requests (it
    keeps them waiting, closes, or sends bytes that are no HTTP response) leaves every rule
    the rest of the probe would have fed without evidence, so the probe cannot pass it. The
    probe gives up after 3 plans in a row with no answer, and names their requests.)""",
    source="wsgicheck",
    covers=(),
    applies=_probed,
    needs=(),
    memo="exchange",
    finds=("extra:silent_plans",),
    example="""
seen: the server answers nothing after its third connection (a worker pool that never
      frees its workers), or answers every request with the bytes of another protocol
fix:  make it answer each request, or close the connection after an error response""",
)
def server_answers(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # (Imported here: importing server_head first would register its rules before this
    # module's, and change the catalogue's order.)
    from .server_head import NO_ANSWER

    plans = ex.extra.silent_plans
    if plans is None:
        return
    hung = ex.observations(NO_ANSWER)
    how = (
        f"no whole response came back, and the connection stayed open for the "
        f"{hung[0].detail}s the client waited"
        if hung
        else "the connection was refused or closed, or what came back was no HTTP response"
    )
    yield self.finding(
        ex,
        f"the server sent no HTTP response to this valid request ({how}), nor to any of the "
        f"{plans} plans in a row it ended, and the probe gave up on it there: the rules the "
        "plans after them feed were left without evidence",
    )


#: The harness's rules of a probe's server (the others judge wsgicheck's own run).
PROBE_RULES = frozenset({"HARNESS-SERVER-DIED", "HARNESS-SERVER-ANSWERS"})
#: The rules judged once over a whole run, on its table of answers (not per exchange).
ALL_ERRORS = "HARNESS-ALL-ERRORS"
RUN_RULES = frozenset({"HARNESS-ALL-REFUSED", ALL_ERRORS})
#: Answers, all one refusal (a 4xx, 501 or 505), after which a run counts as stuck at the
#: app's door.
REFUSAL_MINIMUM = 5
#: What to pass, by the status every request got.
_REFUSAL_HINTS = {
    "400": "an app that checks the Host header (Django's ALLOWED_HOSTS) answers 400 to "
    "one it does not serve: pass the host it expects, -H 'Host: example.com'",
    "401": "the app wants credentials: pass them, -H 'Authorization: Bearer …'",
    "403": "the app forbids anonymous requests: pass credentials or a session, "
    "-H 'Authorization: …' or -H 'Cookie: sessionid=…'",
    "404": "the app serves none of the paths tried: pass the ones it serves with --path "
    "(--path /api/items, say)",
    "405": "the app takes none of the methods tried on the paths tried: name the paths it "
    "serves with --path; and a run with --read-only sends GET, HEAD, OPTIONS and TRACE alone, "
    "so an app that takes only other methods there (its Allow field names them) is judged "
    "only without it",
    "421": "the app does not serve this Host: pass the host it expects, -H 'Host: example.com'",
    "501": "the app implements none of the methods tried: name the paths it serves with "
    "--path (--path /api/items, say), so that the methods it implements are tried there",
    "505": "the app refuses HTTP/1.1 and HTTP/1.0 alike, so no request can reach it: find "
    "what in it checks SERVER_PROTOCOL (a middleware, a proxy app); no option helps here",
}


#: The share of a run's answers, all one refusal, past which HARNESS-ALL-ERRORS tells how
#: to get past it before anything else.
REFUSED_MOSTLY = 0.75
#: Server errors that refuse a request rather than fail on it: a method (501) or an HTTP
#: version (505) the app does not serve, as a 405 or a 404 refuses.
_REFUSING_SERVER_ERRORS = frozenset({501, 505})


def _refusing(status: int) -> bool:
    return 400 <= status < 500 or status in _REFUSING_SERVER_ERRORS


def _failed(status: int) -> bool:
    return status >= 500 and status not in _REFUSING_SERVER_ERRORS


def _successful(status: int) -> bool:
    return 200 <= status < 300 or status == 304


def _statuses(answers: Mapping[str, Mapping[str, int]]) -> dict[str, int]:
    """How many answers of a run had each status, over all paths (time-outs left out)."""
    statuses: dict[str, int] = {}
    for row in answers.values():
        for status, count in row.items():
            if status.isdigit():  # time-outs are no answer
                statuses[status] = statuses.get(status, 0) + count
    return statuses


def refusal(answers: Mapping[str, Mapping[str, int]]) -> tuple[str, int] | None:
    """The one refusing status (a 4xx, 501 or 505) every answer of a run had, and how many
    answers there were; None when some request got past it (or there were too few to tell)."""
    statuses = _statuses(answers)
    if len(statuses) != 1:
        return None
    ((status, count),) = statuses.items()
    if not _refusing(int(status)) or count < REFUSAL_MINIMUM:
        return None
    return status, count


@rule(
    "HARNESS-ALL-REFUSED",
    level=Level.MUST,
    binding=Binding.APP,
    section="wsgicheck: requests that reach the app",
    summary="some request of the run gets past the app's refusal (not every answer one 4xx, "
    "501 or 505)",
    pep="""(Not a PEP 3333 requirement: a run in which the app refused every request with the
    same 4xx, 501 or 505 status judged only that refusal, never the app behind it, so it
    cannot pass. Point wsgicheck where the app lives: -H/--header adds a field to every
    request (Host, Authorization, Cookie), --path names paths the app serves.)""",
    source="wsgicheck",
    covers=(),
    applies=lambda ex: ex.extra.answers is not None,
    example="""
seen: 400 Bad Request to all 212 requests    # Django, ALLOWED_HOSTS = ["example.com"]
fix:  wsgicheck check mysite.wsgi:application -H 'Host: example.com'""",
)
def all_refused(self: Rule, ex: Exchange) -> Iterator[Finding]:
    answers = ex.extra.answers or {}
    found = refusal(answers)
    if found is None:
        return
    status, count = found
    paths = len(answers)
    same = str(ex.response.status_code) == status  # the exchange is one of the refusals
    reason = ex.response.reason if same else ""
    hint = _REFUSAL_HINTS.get(
        status, "pass what the app needs with -H 'Name: value' and the paths it serves with --path"
    )
    allow = ex.response.header("Allow") if same else None
    yield self.finding(
        ex,
        f"every one of the {count} requests the app answered got {status}"
        + (f" {reason}" if reason else "")
        + (f" (Allow: {show(allow, limit=80)})" if status == "405" and allow is not None else "")
        + f" ({paths} path{'s' if paths != 1 else ''}): no request got past that refusal, so "
        f"no rule saw the app behind it; {hint}",
    )


def outcome(ex: Exchange) -> str | None:
    """What an answer of a run tells of the app working (HARNESS-ALL-ERRORS's evidence):
    :data:`SUCCEEDED`; how it failed (:data:`RAISED`, :data:`ANSWERED`, :data:`REPLACED`);
    or None, for a refusal, a redirect, or an answer to OPTIONS.

    A success is a 2xx or 304 to a method other than OPTIONS: a framework answers OPTIONS
    by itself, and redirects to add a slash, before any view of the app runs. An app that
    raised after its first block (the status already sent, the body cut short) failed,
    whatever the status said; one that raised in close() after a whole response did its
    work (APP-TRAP-OWN-ERRORS tells of it), as did one whose body the server cut short for
    another rule's reason (a Content-Length it did not keep: that rule's finding).
    """
    response = ex.response
    status = response.status_code
    if (_failed(status) or not response.complete) and own_errors(ex):
        return RAISED
    if _failed(status):
        called = ex.response.trace.of(StartResponseCalled)
        said = called[-1].status if called else None
        # Only a plain str is read: the app's own subclass could run code (APP-STATUS-STR).
        if type(said) is str and said.startswith(str(status)):
            return ANSWERED
        return REPLACED
    if _successful(status) and response.request.method != "OPTIONS":
        return SUCCEEDED
    return None


def worked(ex: Exchange, kind: str | None) -> bool:
    """Whether an answer, of :func:`outcome` ``kind``, shows the app working: a success, or a
    success the app started (a 2xx or 304, OPTIONS aside) that the server replaced with a
    500 because it broke PEP 3333. The rules saw that response, and the rule it broke
    fails: a run of such answers did not see only the app's failures (a trial of
    2026-12-07: an app whose every 200 carried a control character in a field, raising on
    one path besides, was told "none got a successful answer")."""
    if kind == SUCCEEDED:
        return True
    if kind != REPLACED or ex.response.request.method == "OPTIONS":
        return False
    called = ex.response.trace.of(StartResponseCalled)
    said = called[-1].status if called else None
    # Only a plain str is read: the app's own subclass could run code (APP-STATUS-STR).
    code = said[:3] if type(said) is str else ""
    return code.isdigit() and _successful(int(code))


def failure(
    answers: Mapping[str, Mapping[str, int]],
    causes: Mapping[str, int] | None = None,
    succeeded: int | None = None,
) -> dict[str, int] | None:
    """The statuses of a run in which no request got a successful answer and the app
    failed on some (it raised, or answered a 5xx but 501 and 505 itself); None when some
    request succeeded, none failed so, or there were too few answers to tell.

    ``succeeded`` and ``causes`` count the run's answers by :func:`outcome`: a 500 the
    server answered in place of a response that broke PEP 3333 is that rule's finding, not
    the app failing to work, so only the failures the app raised or answered itself count.
    Without them (an exchange not from a run), the statuses alone tell.
    """
    statuses = _statuses(answers)
    if sum(statuses.values()) < REFUSAL_MINIMUM:
        return None
    if succeeded is None:
        succeeded = sum(count for status, count in statuses.items() if _successful(int(status)))
    if succeeded:
        return None
    if causes is not None:
        failed = causes.get(RAISED, 0) + causes.get(ANSWERED, 0)
    else:
        failed = sum(count for status, count in statuses.items() if _failed(int(status)))
    if not failed:
        return None  # refusals only: HARNESS-ALL-REFUSED's, when they are all one
    return dict(sorted(statuses.items(), key=lambda item: (-item[1], item[0])))


def _most_where_failed(answers: Mapping[str, Mapping[str, int]]) -> str | None:
    """The most common status of the answers to the paths where the app failed on some
    request (a 5xx of its own, 501 and 505 aside); None when there are none."""
    statuses = _statuses(
        {
            path: row
            for path, row in answers.items()
            if any(code.isdigit() and _failed(int(code)) for code in row)
        }
    )
    return min(statuses, key=lambda code: (-statuses[code], code)) if statuses else None


@rule(
    "HARNESS-ALL-ERRORS",
    level=Level.MUST,
    binding=Binding.APP,
    section="wsgicheck: requests that reach the app",
    summary="some request of the run gets a successful answer, when the app failed on some "
    "(it raised, or answered a 5xx)",
    pep="""(Not a PEP 3333 requirement: a run in which no request got a successful answer
    (OPTIONS aside, which frameworks answer by themselves) and the app failed, raising or
    answering a server error itself, judged only the app's failures, never the app working,
    so it cannot pass. An app that raises on every request fails here, though
    APP-TRAP-OWN-ERRORS, the PEP's "should try to trap", is a SHOULD.)""",
    source="wsgicheck",
    covers=(),
    applies=lambda ex: ex.extra.answers is not None,
    example="""
seen: 500 Internal Server Error to all 212 requests   # ZeroDivisionError in the app
fix:  fix what it raises, or give it what it needs to start (settings, environment, database)""",
)
def all_errors(self: Rule, ex: Exchange) -> Iterator[Finding]:
    answers = ex.extra.answers or {}
    causes = ex.extra.failed
    statuses = failure(answers, causes, ex.extra.succeeded)
    if statuses is None:
        return
    count = sum(statuses.values())
    shown = list(statuses)[:5]
    listed = ", ".join(f"{status} ×{statuses[status]}" for status in shown)
    if len(statuses) > 5:
        listed += ", …"
    if any(_successful(int(status)) for status in shown):
        # No answer succeeded, yet a 2xx went out: each such answer was to OPTIONS, or the
        # app raised and its body was cut short (see outcome()).
        listed += "; each 2xx or 304 here answered OPTIONS, or was cut short and the app raised"
    raised = (causes or {}).get(RAISED, 0)
    if ex.extra.raised:
        times = f"{raised} time{'s' if raised != 1 else ''}" if raised else "some times"
        cause = f"the app raised ({times}), first: {ex.extra.raised}; fix that"
    else:
        cause = (
            "the app answered the errors itself: the run's note names the first, with the "
            "last line the app wrote to wsgi.errors then, if any; fix that"
        )
    # The most common status (statuses come most common first): when it is a refusal, also
    # on the paths where the app failed, or nearly every answer, getting past it comes
    # first. (Where it is fewer, it says nothing: drawn paths no app serves, "/aaaa…", get
    # 404 from any router, about half a run's requests.) Pyramid's hello app raised on the
    # few drawn paths that are not UTF-8, and answered 404 to every other.
    most = next(iter(statuses))
    nearly_all = statuses[most] >= count * REFUSED_MOSTLY
    if _refusing(int(most)) and (nearly_all or most == _most_where_failed(answers)):
        hint = _REFUSAL_HINTS.get(most, "pass what the app needs with -H and --path")
        advice = f"most answers were {most}: {hint}; and {cause}"
    else:
        advice = (
            f"{cause}, or give it what it needs to start (its settings, environment, a database)"
        )
    yield self.finding(
        ex,
        f"none of the {count} requests the app answered got a successful answer, OPTIONS "
        f"aside ({listed}): the rules saw only its failures; {advice}",
    )
