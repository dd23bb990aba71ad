"""``wsgicheck probe``: start a server with the probe app, send the corpus and generated
requests, stop it, and judge what was seen.

The server runs as a subprocess in its own process group, with the side channel's
directory in its environment; it is stopped (and its group killed if need be) whatever
happens, before anything is judged.
"""

from __future__ import annotations

import os
import random
import re
import shlex
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ..core.environ import ServerConfig
from ..explore.signals import interrupts_held
from ..model.errors import WsgicheckError
from ..model.locations import Location
from ..model.options import RunOptions
from ..model.request import Framing, Request
from ..model.untrusted import as_sent, shown_target
from ..results.reproduce import probe_reproducers
from ..results.run import Failure, RunResult
from ..rules import Binding, RuleResult
from ..rules.verdicts import Verdict
from .answers import answered_id, attribute, writes
from .channel import ENV_VAR, Channel
from .corpus import PLANS, drawn_requests
from .differences import environ_differences
from .judge import (
    Judged,
    Record,
    UnreadableRecord,
    add_shared_evidence,
    judge,
    records_by_id,
    smallest,
    to_exchange,
)
from .process import ServerProcess, ServerStartError, free_port, last_error
from .result import ProbeOptions, ProbeResult
from .scenario_base import UNICODE_ERRORS_TEXT, ProbeError
from .scenarios import CALLABLE_KINDS, ECHO_BODY
from .servers import PROBE_APP, PROBE_MODULE, command_line, resolve, server_file
from .session import Sent, Session
from .stability import merge_runs

__all__ = ["ProbeAppNeverRan", "probe"]

#: The rules only the restarts with the app as other kinds of callable feed.
CALLABLE_RULES = ("SRV-CALLABLE-OPAQUE",)
#: Plans in a row with no answer at all after which the probe gives up on the server.
SILENT_PLANS = 3
#: Times, at most, one run starts again a server that died in the middle of the corpus.
RESTARTS = 3
#: Seconds a server that left a request of a plan unanswered has to be seen exiting: a
#: process that crashed may still be on its way out when the plan ends.
EXIT_WAIT = 1.0
#: The name the generated requests go by in the notes, beside the plans'.
GENERATED = "the generated requests"

_CLOSE_PATHS = {
    "normal": "close() after a normal end",
    "error": "close() after an exception in the iterable",
    "disconnect": "close() after the client hung up",
}


def _environment(directory: str) -> dict[str, str]:
    env = dict(os.environ)
    env[ENV_VAR] = directory
    env["PYTHONUNBUFFERED"] = "1"
    # The server's Python must import the probe app: put this wsgicheck first on its path.
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (package_root, env.get("PYTHONPATH", "")) if part
    )
    return env


def probe(
    server: str,
    options: ProbeOptions | None = None,
    *,
    on_step: Callable[[str], None] | None = None,
) -> ProbeResult:
    """Probe ``server`` (a known name or a command template) and judge it.

    Raises :class:`~.process.ServerStartError` if the server does not start, and
    :class:`~wsgicheck.model.errors.UsageError` for a SERVER that is neither.
    """
    options = options or ProbeOptions()
    if options.seed is None:
        options = replace(options, seed=random.randrange(1 << 32))
    runs = [_probe_once(server, options, on_step=on_step)]
    lost = []
    for number in range(2, options.runs + 1):
        step = None if on_step is None else _numbered(on_step, number)
        try:
            runs.append(_probe_once(server, options, on_step=step))
        except WsgicheckError as exc:  # the first run's verdicts stand; this one is said
            lost.append(f"run {number} gave no verdicts: {exc}")
    return merge_runs(runs, lost)


def _how(template: str) -> str:
    """How a server given as a template was run, as the known servers say it: the port
    and host of one run would make each run's matrix another (``... 127.0.0.1 47801``)."""
    return " ".join(command_line(template, host="HOST", port="PORT", app="APP", python="python"))


def _software(observations: dict[str, str], template: str) -> str | None:
    """A template server's version, as its SERVER_SOFTWARE says it (mod_wsgi's names
    Apache's and its own), where it gives one with a number; else, for a template that runs
    a module (``{python} -m granian``, whose SERVER_SOFTWARE is "Granian"), the version of
    the distribution installed here that holds it."""
    software = observations.get("SERVER_SOFTWARE")
    software = None if software in (None, "", "<absent>") else software
    if software is not None and any(char.isdigit() for char in software):
        return software
    installed = _module_version(template)
    if installed is None:
        return software
    return installed if software is None else f"{software} ({installed})"


def _module_version(template: str) -> str | None:
    """``granian 2.8.9``: the distribution and version of the module the template runs with
    ``-m``, where it is installed beside wsgicheck; None for any other command."""
    import importlib.metadata

    try:
        words = shlex.split(template)
    except ValueError:
        return None
    if "-m" not in words[:-1]:
        return None
    top = words[words.index("-m") + 1].partition(".")[0]
    for distribution in importlib.metadata.packages_distributions().get(top, []):
        try:
            return f"{distribution} {importlib.metadata.version(distribution)}"
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - listed, gone
            continue
    return None


def _numbered(on_step: Callable[[str], None], number: int) -> Callable[[str], None]:
    return lambda step: on_step(f"run {number}: {step}")


def _probe_once(
    server: str, options: ProbeOptions, *, on_step: Callable[[str], None] | None
) -> ProbeResult:
    """One probe of ``server``: start it, send every request, stop it, judge."""
    name, template, known = resolve(server)
    seed = options.seed
    assert seed is not None  # chosen by probe()
    generated = drawn_requests(options.examples, seed)
    started = time.monotonic()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="wsgicheck-probe-") as directory:
        port = free_port(options.host)
        argv = command_line(template, host=options.host, port=port)
        channel = Channel(directory)
        process = ServerProcess(
            argv,
            env=_environment(directory),
            log_path=Path(directory) / "server.log",
            marker=(ENV_VAR, directory),
        )
        session = Session(options.host, port, channel, timeout=options.timeout)
        deaths: list[str] = []
        try:
            process.start(options.host, port, timeout=options.start_timeout)

            def restart() -> None:
                process.stop(options.stop_timeout)
                process.start(options.host, port, timeout=options.start_timeout)

            left_out = _send_all(session, process, generated, notes, on_step, restart, deaths)
            # Each answer to the request it names, before the wait for the app's records.
            attribute(session.sent)
            _settle(session, channel, options.timeout)
        finally:
            with interrupts_held():  # a second SIGTERM or Ctrl-C would leave it running
                process.stop(options.stop_timeout)
        server_log = process.log()
        # What it logged through logging, beside its output, for SRV-TRAP-LOG alone: a
        # server that never ran the app is explained by its own last words.
        logged = server_log + channel.logged()
        records = records_by_id(channel.records())
        if not records:
            raise ProbeAppNeverRan(_never_ran(session, process.last_line(), deaths, server_log))
        others = (
            _other_callables(template, options, Path(directory), on_step, notes)
            if options.callables
            else []
        )
    judged: list[Judged] = []
    for sent in session.sent:
        record = records.get(sent.probe_id)
        notes.extend(_doubts(sent, record))
        if sent.response is None and record is None and not sent.extra:
            continue  # nothing seen at all (the client's own evidence is judged)
        if sent.unjudged:
            continue
        judged.append(_judged(sent, record, logged, notes))
    judged.extend(others)
    add_shared_evidence(judged)
    results, errors = judge(judged)
    notes.extend(errors)
    not_probed = set(() if options.callables else CALLABLE_RULES)
    plans_left_out = [name for name in left_out if not name.endswith(GENERATED)]
    if plans_left_out:
        # A plan never sent gave its rules no chance: a rule with no evidence is "not
        # probed", not "n/a" (the probe did not try everything it would have). Generated
        # requests are echo requests, as many a plan sends: leaving some out hides nothing.
        notes.append(
            f"never sent: {', '.join(left_out)}; the rules no exchange gave evidence are "
            "marked not probed"
        )
        not_probed.update(result.rule.id for result in results if result.status == Verdict.SKIP)
    elif left_out:
        notes.append(f"never sent: {left_out[0]}")
    observations = dict(session.observations)
    observations.update(_observed(judged))
    differences, compared = environ_differences(judged)
    authority = f"{options.host}:{port}"
    run = _as_run(
        name,
        seed,
        options,
        judged,
        results,
        time.monotonic() - started,
        authority,
        writes(session.sent),
    )
    found = server_file(template, known)
    run.subject = Location(found, 1, "<module>") if found is not None else None
    return ProbeResult(
        server=name,
        command=argv,
        version=known.version() if known is not None else _software(observations, template),
        how=known.how if known is not None else _how(template),
        run=run,
        observations=observations,
        differences=differences,
        compared=compared,
        notes=notes,
        exchanges=[item.exchange for item in judged],
        options=options,
        not_probed=frozenset(not_probed),
    )


class ProbeAppNeverRan(WsgicheckError):
    """No record of the probe app reached the prober: nothing of the server can be judged."""


def _never_ran(session: Session, last_line: str, deaths: list[str], server_log: str) -> str:
    """Why a probe with no record judges nothing: the server's process died before a
    record could come back (the probe app sends its record when the server closes the
    app's iterable, or drops it), never ran the probe app, or ran it where its records
    could not come back; with what the server answered, and the last line it logged (or,
    for a server that died, the last error it logged)."""
    statuses = Counter(sent.response.status for sent in session.sent if sent.response is not None)
    answered = ", ".join(f"{status} ×{count}" for status, count in sorted(statuses.items()))
    logged = f"; its last line: {last_line}" if last_line else ""
    if deaths:
        error = last_error(server_log)
        said = f"; the last error it logged: {error}" if error else logged
        return (
            f"the server's process died {len(deaths)} times (during {', '.join(deaths)}) "
            "before any record of the probe app reached the prober (the app sends it when "
            "the server closes or drops the app's iterable): the server answered "
            f"{answered or 'nothing'}{said}"
        )
    # (The echo's body, and after it, where the app has no prober, the environ.)
    if any(
        sent.response is not None and sent.response.body.startswith(ECHO_BODY)
        for sent in session.sent
    ):
        return (
            "the probe app answered, but none of its records reached the prober: a server "
            f"that clears the environment ({ENV_VAR}), or runs the app in a chroot or as "
            f"another user, cannot be probed from inside{logged}"
        )
    return (
        f"the server never ran the probe app: none of the {len(session.sent)} requests "
        f"reached it (answers: {answered or 'none'}); does the command serve {{app}}?{logged}"
    )


#: What the probe app's own errors say: the exception it raises on purpose, and the text
#: it writes to wsgi.errors.
_PROBE_ERRORS = re.compile(rf"\b{ProbeError.__name__}\b|{re.escape(UNICODE_ERRORS_TEXT.strip())}")


def _judged(sent: Sent, record: Record | None, logged: str, notes: list[str]) -> Judged:
    """:func:`to_exchange`, or, where the record of the app's side does not read (the
    server's process wrote another into the channel: an adversarial trial of 2026-12-07
    ended the probe in a KeyError), the exchange without it, and a note saying so."""
    try:
        return to_exchange(sent, record, logged)
    except UnreadableRecord as exc:
        notes.append(str(exc))
        return to_exchange(sent, None, logged)


def _doubts(sent: Sent, record: Record | None) -> list[str]:
    """What the probe could not see of one request, for the report's notes."""
    label = f"probe {sent.probe_id} ({_label(sent)})"
    found = []
    answer = sent.extra.answer
    if answer is not None and answer.answered is not None and answer.answered != sent.probe_id:
        # The answer read for it was another request's (SRV-RESPONSE-ORDER's finding).
        found.append(f"{label}: the response read for it {answer.read_instead()}")
    elif sent.response is None:
        if record is None and not sent.follow_up:
            # What was asked, or a user cannot tell which request the server left unanswered
            # (pyruvate 1.6: an Expect: 100-continue with a chunked body, 2026-12-06).
            found.append(f"{label}: no answer and no record, to {_asked(sent.request)}")
        elif record is not None and not (sent.follow_up or sent.client_gone):
            found.append(
                f"{label}: the app ran, but no response could be read (the server closed the "
                "connection, kept silent, or sent no HTTP): the rules on the response skip it"
            )
    elif 0 < sent.response.status < 400 and (record is None or record.exchange is None):
        # The server answered without the app (Apache answers TRACE and OPTIONS * itself).
        asked = f"{as_sent(sent.request.method)} {shown_target(sent.request.target)}"
        found.append(
            f"{label}: the server answered {asked} {sent.response.status} without a record of "
            "the app's (it answered itself, or the app never wrote one): the rules on the "
            "environ and the app's calls skip it"
        )
    if record is not None and "record_error" in record.notes:
        found.append(f"probe {sent.probe_id}: {record.notes['record_error']}")
    return found


def _label(sent: Sent) -> str:
    return f"{sent.scenario} {sent.arg}".strip()


def _asked(request: Request) -> str:
    """``POST /x HTTP/1.1`` and how its body went (``Expect: 100-continue``, chunked, its
    length): the request a note names, as sent."""
    told = [f"{as_sent(request.method)} {shown_target(request.target)} HTTP/{request.http_version}"]
    if request.header_values("expect"):
        told.append(f"Expect: {as_sent(request.header_values('expect')[0])}")
    if request.framing is Framing.CHUNKED:
        told.append(f"a chunked body of {len(request.body)} bytes")
    elif request.framing is Framing.CONTENT_LENGTH:  # 0 bytes too: it says there is none
        told.append(f"a body of {len(request.body)} bytes")
    # A head no fields spell, as it went (both lengths: a review of 2026-12-06 found the note
    # of an unanswered one silent on its Content-Length).
    told += [f"sent as {as_sent(sent.strip())}" for _, sent in request.wire_edits]
    return ", ".join(told)


def _send_all(
    session: Session,
    process: ServerProcess,
    generated: list[Request],
    notes: list[str],
    on_step: Callable[[str], None] | None,
    restart: Callable[[], None],
    deaths: list[str],
) -> list[str]:
    """Send every plan, then the generated requests; the names of those never sent (the
    server died once too often, or stopped answering), else an empty list. A server that
    died is started again (at most :data:`RESTARTS` times) and the probe goes on with what
    comes next, so one crash hides nothing the later plans would show."""
    silent = 0
    unanswered: list[Sent] = []  # the requests of the plans in a row that got no answer
    revive = _Reviver(process, session, notes, restart, deaths)
    names = [plan.__name__ for plan in PLANS] + [GENERATED]
    for index, plan in enumerate(PLANS):
        if on_step is not None:
            on_step(plan.__name__)
        before = len(session.sent)
        failed = False
        try:
            plan(session)
        except OSError as exc:
            notes.append(f"{plan.__name__}: {type(exc).__name__}: {exc}")
            failed = True
        sent = session.sent[before:]
        if _exited(process, failed or _unanswered(sent)):
            silent, unanswered = 0, []  # the plans before went to the process that died
            if not revive(plan.__name__, sent, session.sent[before - 1] if before else None):
                return names[index + 1 :]
            continue
        answered = any(each.response is not None for each in sent)
        silent = 0 if answered else silent + 1
        # What a server owed an answer: not a request behind another on a connection it may
        # close, nor one it was let refuse (a review of 2026-12-07: those were told "no
        # response to this valid request").
        owed = [
            each
            for each in sent
            if not (each.follow_up or each.refusable or each.unjudged or each.client_gone)
        ]
        unanswered = [] if answered else [*unanswered, *owed]
        if silent >= SILENT_PLANS:
            # Every wait is bounded, but a server that answers nothing would make the
            # probe wait out each one: stop here. That is a finding, not a note alone: a
            # server that stopped answering passed every rule left without evidence (an
            # adversarial trial of 2026-12-07: exit 0).
            notes.append(f"the server answered nothing in {silent} plans in a row; stopped")
            for each in unanswered:
                each.extra = replace(each.extra, silent_plans=silent)
            return names[index + 1 :]
    if on_step is not None:
        on_step(f"{len(generated)} generated requests")
    for number, request in enumerate(generated):
        last = session.sent[-1] if session.sent else None
        sent_one = session.tagged(request)
        try:
            session.exchange(sent_one)
        except OSError as exc:
            notes.append(f"generated probe {sent_one.probe_id}: {type(exc).__name__}: {exc}")
            failed = True
        else:
            failed = sent_one.response is None
        if _exited(process, failed) and not revive(
            f"generated probe {sent_one.probe_id}", [sent_one], last
        ):
            left = len(generated) - number - 1
            return [f"{left} of {GENERATED}"] if left else []
    return []


def _unanswered(sent: list[Sent]) -> bool:
    """Whether a request the server owed an answer got none."""
    return any(_owed_unanswered(each) for each in sent)


def _owed_unanswered(sent: Sent) -> bool:
    """The server owed ``sent`` an answer (not a follow-up a closing server never reads,
    nor one the client hung up on) and gave none."""
    return sent.response is None and not (sent.follow_up or sent.client_gone)


def _exited(process: ServerProcess, doubt: bool) -> bool:
    """Whether the server process has exited; given a ``doubt`` (a request unanswered, a
    connection refused), after a bounded wait for a process on its way out."""
    if not process.alive():
        return True
    return doubt and process.exited_within(EXIT_WAIT)


class _Reviver:
    """Starts again a server that died, :data:`RESTARTS` times at most, saying so."""

    def __init__(
        self,
        process: ServerProcess,
        session: Session,
        notes: list[str],
        restart: Callable[[], None],
        deaths: list[str],
    ) -> None:
        self.process = process
        self.notes = notes
        #: What the server died during, each time.
        self.deaths = deaths
        self.session = session
        self.restart = restart
        self.restarts = 0

    def __call__(self, during: str, in_hand: list[Sent], last: Sent | None = None) -> bool:
        """Note that the server died during ``during`` and start it again, if a restart is
        left; whether it runs again. The request it died on (``server_died``): the first of
        ``in_hand`` (the requests sent then) delivered to it that it owed an answer and
        gave none, those after it having met a dead server; or, when it died with none
        such in hand (the first was refused), the last it answered or the client left (of
        ``in_hand``, or ``last``, the one sent before them): it died after that. One
        sent just after a request the client left mid-way shares the blame with it
        (``died_after_left``): the process may have been on its way out of that one."""
        notes = self.notes
        self.deaths.append(during)
        how = self.process.how_it_ended() or "stopped"
        refused = self.session.refused
        delivered = [sent for sent in in_hand if sent.probe_id not in refused]
        died_on = next((sent for sent in delivered if _owed_unanswered(sent)), None)
        left = None
        if died_on is not None:
            index = in_hand.index(died_on)
            before = in_hand[index - 1] if index else last
            left = before.probe_id if before is not None and before.client_gone else None
        elif len(delivered) < len(in_hand):
            # Refused: it died after the last it answered, or the last the client left.
            ended = [
                sent
                for sent in ([last] if last else []) + delivered
                if sent.response or sent.client_gone
            ]
            died_on = ended[-1] if ended else None
        if died_on is not None:
            died_on.extra = replace(died_on.extra, server_died=how, died_after_left=left)
        # What this process logged (not its forerunners), less the probe app's own errors
        # (raised on purpose, and logged by a server that traps them): its last error.
        said = last_error(self.process.own_log(), leave_out=_PROBE_ERRORS)
        cause = f"; the last error it logged: {said}" if said else ""
        notes.append(f"the server's process ended during {during}: it {how}{cause}")
        if self.restarts >= RESTARTS:
            notes.append(f"not started again: it had died {self.restarts + 1} times in this run")
            return False
        self.restarts += 1
        try:
            self.restart()
        except ServerStartError as exc:
            notes.append(f"it did not start again after it died during {during}: {exc}")
            return False
        notes.append(
            f"the server was started again after it died during {during} (restart "
            f"{self.restarts} of at most {RESTARTS}); what followed went to the new process"
        )
        return True


def _other_callables(
    template: str,
    options: ProbeOptions,
    directory: Path,
    on_step: Callable[[str], None] | None,
    notes: list[str],
) -> list[Judged]:
    """Start the server once per other kind of callable, each time with the same probe app
    in that form, and send each one echo request (PEP 3333: the server only calls it)."""
    judged: list[Judged] = []
    for number, (kind, name) in enumerate(CALLABLE_KINDS.items(), 1):
        if on_step is not None:
            on_step(f"the app as a {kind}")
        folder = directory / f"callable-{number}"
        folder.mkdir()
        port = free_port(options.host)
        argv = command_line(template, host=options.host, port=port, app=f"{PROBE_MODULE}:{name}")
        channel = Channel(folder)
        process = ServerProcess(
            argv,
            env=_environment(str(folder)),
            log_path=folder / "log",
            marker=(ENV_VAR, str(folder)),
        )
        session = Session(options.host, port, channel, timeout=options.timeout)
        sent = session.request("echo", target=f"/callable/{name}")
        sent.extra = replace(sent.extra, callable_kind=kind)
        try:
            process.start(options.host, port, timeout=options.start_timeout)
            session.exchange(sent)
            _settle(session, channel, options.timeout)
        except ServerStartError as exc:
            sent.extra = replace(sent.extra, callable_error=f"the server did not start: {exc}")
        except OSError as exc:
            sent.extra = replace(sent.extra, callable_error=f"{type(exc).__name__}: {exc}")
        finally:
            with interrupts_held():  # a second SIGTERM or Ctrl-C would leave it running
                process.stop(options.stop_timeout)
        if answered_id(sent.response) == sent.probe_id:
            sent.extra = replace(sent.extra, callable_answered=True)
        record = records_by_id(channel.records()).get(sent.probe_id)
        judged.append(_judged(sent, record, process.log() + channel.logged(), notes))
    return judged


def _settle(session: Session, channel: Channel, timeout: float) -> None:
    """Wait (bounded) for the records of the requests answered 2xx: the app ran for those,
    and its record may still be on its way (written after the response, at close())."""
    wanted = {
        sent.probe_id
        for sent in session.sent
        if sent.response is not None and 200 <= sent.response.status < 300
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        have = {item["id"] for item in channel.records() if isinstance(item.get("exchange"), dict)}
        if wanted <= have:
            return
        time.sleep(0.05)


#: What the report calls echo requests the app never saw: refused (4xx), or failed on (5xx).
REFUSED = "valid requests refused without running the app"
FAILED = "valid requests answered with the server's own error"


def _observed(judged: list[Judged]) -> dict[str, str]:
    """What the records say about the server's habits."""
    seen: dict[str, str] = {}
    # Echo requests the app never saw, answered with an error: a 4xx is a refusal, a 5xx
    # the server failing on a request it could have served.
    refused: dict[str, list[tuple[int, Request]]] = {REFUSED: [], FAILED: []}
    for item in judged:
        sent, response = item.sent, item.sent.response
        if sent.scenario != "echo" or sent.refusable or item.exchange.app_ran or response is None:
            continue
        if response.status >= 400:
            label = FAILED if response.status >= 500 else REFUSED
            refused[label].append((response.status, sent.request))
    for label, kept in refused.items():
        if kept:
            # The request line and how its body went: a HEAD with a body, which a server
            # may refuse, read as a refused HEAD alone (a probe trial of 2026-12-06).
            status, request = kept[0]
            seen[label] = f"{len(kept)} (first: {status} for {_asked(request)[:120]!r})"
    for item in judged:
        environ = item.exchange.environ
        sent = item.sent
        if sent.scenario == "echo" and environ is not None and "SERVER_SOFTWARE" not in seen:
            seen["SERVER_SOFTWARE"] = str(environ.get("SERVER_SOFTWARE", "<absent>"))
            for key in ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"):
                seen[key] = repr(environ.get(key, "<absent>"))
        if sent.scenario == "close" and sent.arg in _CLOSE_PATHS:
            exchange = item.exchange
            if not exchange.app_ran:
                text = "no record"
            elif exchange.closes:
                count = len(exchange.closes)
                text = "called once" if count == 1 else f"called {count} times"
            else:
                text = "never called"
            seen[_CLOSE_PATHS[sent.arg]] = text
        if sent.scenario == "file-wrapper" and item.record is not None:
            notes = item.record.notes
            offered = notes.get("file_wrapper")
            if isinstance(offered, bool):
                seen["wsgi.file_wrapper"] = (
                    "offered"
                    if offered
                    else "not offered: the key holds None"
                    if notes.get("file_wrapper_none") is True
                    else "not offered"
                )
    return seen


def _as_run(
    name: str,
    seed: int,
    options: ProbeOptions,
    judged: list[Judged],
    results: list[RuleResult],
    duration: float,
    authority: str,
    groups: dict[int, tuple[Sent, ...]],
) -> RunResult:
    """The verdicts as a run result, for the report formats of ``wsgicheck check``
    (``authority``: the host and port the server listened on; ``groups``: the requests sent
    in one write, by the probe id of each, judged or not)."""
    # Where a finding was made is a line of the probe app's, wsgicheck's own code: nothing
    # a server's author looks for (a probe trial of 2026-12-06 read "made in
    # .../probe/scenarios_errors.py:22, a library's code"), nor a place a SARIF report may
    # point a code scan at.
    results = [
        replace(result, findings=tuple(replace(each, where=None) for each in result.findings))
        for result in results
    ]
    failures: dict[str, Failure] = {}
    config = ServerConfig()
    # The requests each was pipelined with: its replay sends them in one write too (every
    # request of such a write: a probe trial of 2026-12-06 found the replay of a body read
    # past its end sent alone, where the read waited); the one sent before it on its
    # connection, once answered, which its replay sends first; and whether the probe shut
    # its side of the connection to end a read that waited, which its replay does too.
    together = {
        id(item.exchange.request): tuple(each.request for each in group)
        for item in judged
        if (group := groups.get(item.sent.probe_id))
    }
    after = {id(item.exchange.request): item.sent.after for item in judged if item.sent.after}
    shut = {
        id(item.exchange.request)
        for item in judged
        if item.exchange.extra.input_blocked is not None
    }
    echoes = {id(item.exchange.request): item.sent.scenario == "echo" for item in judged}
    for result in results:
        finding = smallest(result.findings)
        if finding is None or finding.request is None:
            continue
        made = probe_reproducers(
            finding.request,
            PROBE_APP,
            authority,
            together.get(id(finding.request), ()),
            after.get(id(finding.request)),
            shut=id(finding.request) in shut,
        )
        if result.rule.binding is Binding.ENVIRON and echoes.get(id(finding.request)):
            # The environ went to the prober; run by hand, the app shows it in its answer.
            made = replace(made, against=f"{made.against}; {ECHO_REPLAYED}")
        failures[result.rule.id] = Failure(
            result.rule, finding, finding.request, config, "probe", made
        )
    return RunResult(
        target=f"{name} (wsgicheck probe)",
        seed=seed,
        options=RunOptions(
            profile=None,
            max_examples=options.examples,
            seed=seed,
            select=("SRV-*", "ENV-*"),
            transports=None,
            database=None,
            timeout=options.timeout,
        ),
        examples=len(judged),
        duration=duration,
        paths=[],
        results=results,
        failures=failures,
        command=_replay(name, seed, options),
    )


#: What the replay of an echo request shows, said beside it.
ECHO_REPLAYED = "run by hand, the app answers the echo request with the environ the server built"


def _replay(name: str, seed: int, options: ProbeOptions) -> str:
    """The command that sends the same requests again."""
    examples = (
        "" if options.examples == ProbeOptions().examples else f" --examples {options.examples}"
    )
    runs = "" if options.runs == 1 else f" --runs {options.runs}"
    return f"wsgicheck probe {shlex.quote(name)} --seed {seed}{examples}{runs}"
