"""``wsgicheck.validator(app)``: the rules as middleware, a drop-in for ``wsgiref.validate``.

Wrap an application once and run it under any server or test client: the wrapper records
what the app does (through the same trace events the core uses), and what the server does
that it can see from inside, and runs every rule when the exchange ends (``close()``, or
garbage collection if the server never closes). Calls the PEP makes fatal are judged at the
call, so the failure points at the line that made it.

By default, as with ``wsgiref.validate.validator``, a MUST violation raises
:class:`WSGIViolation` (an ``AssertionError``) whose message starts with the rule id, and a
SHOULD violation is a :class:`WSGIWarning`. ``strict=True`` raises for SHOULD rules too;
``collect=True`` raises nothing and keeps every finding in ``validator.findings``.

Where a raise would do harm, the findings are not raised but told:

* the whole exchange is judged when the iterable is exhausted, and a violation is raised
  from that last ``next()`` in place of ``StopIteration``, where every server handles an
  error (a server that raises from ``close()`` breaks wsgiref's handler);
* what only ``close()`` (or garbage collection) shows is warned, never raised from there;
* while an exception of the app's is on its way to the server, it goes on unchanged: the
  findings are added to it as notes (``__notes__``) and warned;
* a violation raised into the app that the app caught and answered anyway (a framework's
  catch-all 500) is raised again as the app returns, or from the last ``next()`` of a
  generator that caught it (where the server reads it to its end): it would be lost
  otherwise.
``on_exchange`` is called with each exchange's record once it has ended (and again if the
server closes the iterable a second time): ``wsgicheck probe`` sends it home from there.

Unlike the other validators it keeps the app's ``len()`` visible to the server, and hands a
``wsgi.file_wrapper`` result back untouched, so servers keep their optimisations.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

from ..core.invoke import WSGIApp
from ..model.errors import FindingRaised, WarningRaised
from ..model.events import HELD_AT_EXIT, raw_server_observed
from ..model.request import Request
from ..model.untrusted import show
from ..rules import REGISTRY, Exchange, Finding, Rule, is_failure
from ..rules.engine import HISTORY
from ..rules.environ_objects import STREAM_METHOD_RULES
from ..rules.harness_rules import RUN_RULES
from ..rules.http_evidence import compared_at, conditional, history_bears_on
from .target import app_location
from .validation_call import BODY_KEPT, Invocation

__all__ = ["BODY_KEPT", "Validator", "WSGIViolation", "WSGIWarning", "validator"]

#: Rules judged as soon as a call is made: their verdict cannot change later.
CALL_RULES = (
    "APP-STATUS-STR",
    "APP-STATUS-FORMAT",
    "APP-STATUS-NO-CONTROL",
    "APP-STATUS-FINAL",
    "APP-STATUS-HEADERS-LATIN1",
    "APP-HEADERS-LIST",
    "APP-HEADERS-TUPLES",
    "APP-HEADER-STR",
    "APP-HEADER-NAME-TOKEN",
    "APP-HEADER-VALUE-NO-CONTROL",
    "APP-NO-HOP-BY-HOP",
    "APP-NO-TRANSFER-ENCODING",
    "APP-CL-SYNTAX",
    "APP-SR-POSITIONAL",
    "APP-SR-ONCE",
    "APP-EXC-INFO-TUPLE",
    "APP-SR-BEFORE-BODY",
    "APP-YIELD-BYTES",
    "APP-WRITE-BYTES",
    "APP-NO-WRITE-FROM-ITER",
    "APP-ERRORS-WRITE-STR",
    "APP-STREAMS-NO-CLOSE",
    "APP-RETURN-ITERABLE",
    "APP-NO-FILE-AS-ITERABLE",
)

#: The rules no memo keeps (they read more than an exchange's views), that an exchange found
#: quiet before may still skip: the stream-method rules when the streams' types decide them,
#: and the rules that read a run's answers (a validator's exchange has none).
_UNVIEWED_QUIET = STREAM_METHOD_RULES | RUN_RULES
#: How many quiet exchanges a validator keeps by their raw view.
_QUIET_KEPT = 256

#: The rules whose verdict a plain ``close()`` can change, once all were judged at the end
#: of the body (the others do not look at it).
END_RULES = ("SRV-CLOSE-CALLED", "SRV-NO-ASSUME-SR-CALLED")
#: Seconds after an iterable's iteration ended that a server still holding it unclosed is
#: taken to have done with it (:meth:`Validator.judge_unclosed`).
CLOSE_GRACE = 1.0


class _FindingReport(Exception):
    """An exception or warning made from a finding: its text names the rule and the place.

    Made again from its text alone, as pytest-xdist rebuilds a worker's warning in the
    controller (``cls(*args)``) and ``copy`` or a log handler may: then it has no
    ``finding``, and ``rule`` is read from the text."""

    finding: Finding | None

    def __init__(self, finding: Finding | str) -> None:
        if isinstance(finding, str):
            super().__init__(finding)
            self.finding = None
            self.rule = finding.partition(":")[0]
            return
        where = f" (at {finding.where.file}:{finding.where.line})" if finding.where else ""
        # One safe line: the server's log or terminal shows it, and the app wrote most of it.
        super().__init__(show(f"{finding.rule}: {finding.message}{where}"))
        self.finding = finding
        self.rule = finding.rule


class WSGIViolation(_FindingReport, FindingRaised):
    """A MUST rule was broken (or a SHOULD rule, in strict mode): an ``AssertionError``."""


class WSGIWarning(_FindingReport, WarningRaised):
    """A SHOULD rule was broken."""


class Validator:
    """Wrap ``app`` so every exchange is checked against the PEP 3333 rules.

    A drop-in for ``wsgiref.validate.validator(app)``; ``select``/``ignore`` take rule ids
    or prefixes (``"APP-*"``); ``on_exchange`` receives each exchange's record when it ends.
    """

    def __init__(
        self,
        app: WSGIApp,
        *,
        strict: bool = False,
        collect: bool = False,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        on_exchange: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.app = app
        self.strict = strict
        self.collect = collect
        #: Called with the :class:`Exchange` of every exchange that ended; must not raise.
        self.on_exchange = on_exchange
        self.rules: list[Rule] = REGISTRY.select(select, ignore)
        #: What the engine is given for "every rule": None, the registry, when none is left
        #: out (the engine knows it without reading the list).
        self._every: list[Rule] | None = None if len(self.rules) == len(REGISTRY) else self.rules
        self._call_rules = [each for each in self.rules if each.id in CALL_RULES]
        self._end_rules = [each for each in self.rules if each.id in END_RULES]
        self._app_where = app_location(app)
        self._lock = threading.Lock()
        #: The exchanges that ended, oldest first, each without a history of its own (so
        #: nothing older stays alive): the rules over pairs (HEAD after GET, a conditional
        #: GET after the GET that gave the ETag) judge a new exchange beside them.
        self._past: deque[Exchange] = deque(maxlen=HISTORY)
        #: Every finding so far, in every exchange (with ``collect=True``, the only report).
        self.findings: list[Finding] = []
        #: The requests built so far, by their environ's view (:func:`environ_items`).
        self._requests: dict[object, Request] = {}
        #: Exchanges judged whole by every rule, alone (no earlier exchange bore on them),
        #: that found nothing, by their raw view (:func:`wsgicheck.rules.views.raw_view`):
        #: a later exchange with that view, on which no earlier one bears either, finds
        #: nothing too (every verdict is a function of the view, or of the history) and is
        #: not judged again. Only when every rule no memo keeps may skip so. Begun afresh
        #: (see :meth:`_quiet_memo`) when a rule is registered.
        self._quiet: dict[object, Exchange] | None = None
        #: How many rules were registered when ``_quiet`` was begun (-1: not yet).
        self._registered = -1
        #: How many of ``_past`` are compared at each target (:func:`compared_at`): a later
        #: GET to a target not here, with no condition, is judged alone.
        self._compared: dict[str, int] = {}
        #: How many GETs of ``_past`` went to each target with each list of request
        #: fields, and (``_variant_kinds``) how many such lists each target has: where it has
        #: two, a GET to it may be judged beside another that differs from it
        #: (APP-VARY-NAMES-FIELD).
        self._variants: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self._variant_kinds: dict[str, int] = {}
        #: Collecting: the exchanges whose iterable went to the server, until they end (see
        #: :meth:`judge_unclosed`).
        self._unclosed: weakref.WeakSet[Invocation] | None = weakref.WeakSet() if collect else None

    def judge_unclosed(self) -> None:
        """Judge as never closed every exchange whose iterable the server still holds, done
        with, without having called its close() (collecting only: :attr:`findings` and
        ``on_exchange`` have them). The probe app runs this as its server's process exits: a
        server that keeps the iterable alive to the end (Twisted's log keeps the failure
        that holds it) would otherwise leave no record of it at all.

        Done with: its iteration ended (exhausted, or raised) :data:`CLOSE_GRACE` seconds
        ago or more. One still being iterated, or never iterated, may be in a thread that
        is about to close it: it is left alone, unjudged, as before."""
        unclosed = self._unclosed
        if unclosed is None:
            return
        for _ in range(3):  # a server thread may add one while the set is copied
            try:
                held = list(unclosed)
                break
            except RuntimeError:
                continue
        else:
            return
        before = time.monotonic() - CLOSE_GRACE
        for invocation in held:
            ended = invocation.iteration_ended
            if ended is None or ended > before:
                continue
            with contextlib.suppress(Exception):  # one exchange's trouble spares the others
                invocation.never_closed(HELD_AT_EXIT)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # PEP 3333: the server must call the app positionally. Keywords are accepted (as an
        # app with those parameter names would) and recorded, so SRV-INVOKE-POSITIONAL can
        # report the server that used them.
        if len(args) == 2 and not kwargs:  # the usual call
            return Invocation(self, args[0], args[1]).run()
        params = dict(zip(("environ", "start_response"), args, strict=False))
        params.update(kwargs)
        if len(args) + len(kwargs) != 2 or set(params) != {"environ", "start_response"}:
            message = (
                "a WSGI application takes (environ, start_response), "
                f"got {len(args)} positional and keywords {sorted(kwargs)}"
            )
            rule = REGISTRY["SRV-INVOKE-POSITIONAL"]
            if rule in self.rules:  # the server's error, raised as a WSGIViolation naming it
                found = Finding(
                    rule=rule.id, level=rule.level, message=message, section=rule.section
                )
                self._report([found], raising=True)
            raise TypeError(message)  # collecting: the app cannot be called, as Python says
        invocation = Invocation(self, params["environ"], params["start_response"])
        if kwargs:
            invocation.log.append(
                raw_server_observed("app-called", f"keywords: {', '.join(sorted(kwargs))}")
            )
        return invocation.run()

    def _keep(self, exchange: Exchange) -> None:
        """Add an ended exchange to the history, and count it in ``_compared`` and
        ``_variants``. (Run for every exchange: written out, not in helpers.)"""
        with self._lock:
            past, compared, variants = self._past, self._compared, self._variants
            if len(past) == past.maxlen:
                oldest = past[0]
                if compared:
                    _count(compared, compared_at(oldest), -1)
                request = oldest.request
                if request.method == "GET":
                    key = (request.target, request.headers)
                    count = variants[key] - 1
                    if count:
                        variants[key] = count
                    else:
                        del variants[key]
                        _count(self._variant_kinds, request.target, -1)
            past.append(exchange)
            _count(compared, compared_at(exchange), 1)
            request = exchange.request
            if request.method == "GET":
                # Keyed by the fields as sent: two that differ only in order or case count
                # as two, which costs a judgement, never a finding.
                key = (request.target, request.headers)
                count = variants.get(key, 0)
                if not count:
                    _count(self._variant_kinds, request.target, 1)
                variants[key] = count + 1

    def _quiet_memo(self) -> dict[object, Exchange] | None:
        """``_quiet``, begun afresh when a rule was registered since (a user's rules module
        imported after the app was wrapped): the quiet exchanges kept were judged without
        it, and it may be one no memo keeps (then there is no such memo)."""
        if len(REGISTRY) != self._registered:
            with self._lock:
                self._registered = len(REGISTRY)
                judged = REGISTRY if self._every is None else self.rules
                unviewed = {each.id for each in judged if each.memo is None}
                self._quiet = {} if unviewed <= _UNVIEWED_QUIET else None
        return self._quiet

    def _judged_quiet(self, view: object) -> Exchange | None:
        """The quiet exchange judged before with ``view``, if no exchange of the history
        bears on one with that view (it has no condition, no earlier HEAD or 304 of the
        history is to its target, and no GET to it sent other fields): an exchange with that
        view finds nothing either."""
        quiet = self._quiet_memo()
        if quiet is None:
            return None
        known = quiet.get(view)
        if known is None:
            return None
        target = known.request.target
        if target in self._compared or self._variant_kinds.get(target, 0) > 1:
            return None
        return known

    def _remember_quiet(self, view: object, exchange: Exchange) -> None:
        """Keep ``exchange``, judged whole and found quiet, by its raw view, if it was
        judged alone and a later one with its view would be too when no HEAD or 304 to its
        target is in the history (it carries no condition)."""
        quiet = self._quiet_memo()
        if quiet is None or conditional(exchange) or history_bears_on(exchange):
            return
        with self._lock:
            if len(quiet) >= _QUIET_KEPT:
                quiet.clear()
            quiet[view] = exchange

    def _report(self, findings: list[Finding], *, raising: bool, carrier: Any = None) -> None:
        """Keep ``findings``; warn the SHOULD ones and raise the first MUST one.

        Not ``raising`` (``close()``, garbage collection, an exception of the app's under
        way): every finding is warned, and noted on ``carrier``, the exception under way.
        A warning that the filters turn into an error is then dropped, not raised.
        """
        with self._lock:
            self.findings.extend(findings)
        if self.collect:
            return
        fatal = [each for each in findings if is_failure(each, strict=self.strict)]
        if raising and fatal:
            violation = WSGIViolation(fatal[0])
            for other in fatal[1:]:
                _note(violation, _FindingReport(other))
            for finding in findings:
                if finding not in fatal:
                    _warn(finding, raising=False)
            raise violation
        carried = isinstance(carrier, BaseException)
        for finding in findings:
            if carried:
                _note(carrier, _FindingReport(finding))
            # Where nothing is raised and no exception carries it, a warning made an error
            # goes to the unraisable hook rather than nowhere.
            _warn(finding, raising=raising, unraisable=not raising and not carried)


#: The public spelling, as ``wsgiref.validate.validator``: the class itself, so its
#: options are written once.
validator = Validator


def _count(counts: dict[Any, int], key: object, step: int) -> None:
    """Add ``step`` to ``counts[key]`` (nothing for None), dropping a key counted to 0."""
    if key is not None:
        count = counts.get(key, 0) + step
        if count:
            counts[key] = count
        else:
            del counts[key]


#: Where the warnings :func:`_warn` placed at the app's line have been shown (the
#: ``__warningregistry__`` of a module, for ``warnings.warn_explicit``).
_SHOWN: dict[Any, Any] = {}
#: wsgicheck's own folder: a warning placed by the stack goes to the first frame outside it.
_OWN_FOLDER = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _warn(finding: Finding, *, raising: bool, unraisable: bool = False) -> None:
    """Warn ``finding``, placed at the app's line where it is known, else at the code that
    called into wsgicheck (the server, a test client): never in wsgicheck's own files.

    A warning the filters made an error (``-W error``) is raised where ``raising``. Else,
    with ``unraisable`` (nothing is raised, and no exception under way carries the finding
    as a note: ``close()``, garbage collection), it goes where Python puts an exception it
    cannot raise: to ``sys.unraisablehook``, which pytest turns into a failing warning under
    the same filters, and which prints it otherwise (dropped, it made strict filters hide
    what loose ones show); else it is dropped, the finding told where it is carried.
    """
    try:
        where = finding.where
        if where is not None and where.line > 0:
            warnings.warn_explicit(
                WSGIWarning(finding), WSGIWarning, where.file, where.line, registry=_SHOWN
            )
        else:
            warnings.warn(WSGIWarning(finding), stacklevel=_outside_wsgicheck())
    except Warning as made_an_error:
        if raising:
            raise
        if unraisable:
            _Unraisable(made_an_error)


class _Unraisable:
    """Raises its exception from ``__del__``, at once (its one reference is dropped where it
    is made): the way to hand Python's unraisable hook an exception of one's own, since the
    hook's argument type cannot be made in Python."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __del__(self) -> None:
        raise self.exc


def _outside_wsgicheck() -> int:
    """The ``stacklevel`` of ``warnings.warn`` called from :func:`_warn` that names the
    first frame outside wsgicheck's own files."""
    frame: FrameType | None = sys._getframe(2)  # _warn's caller: stacklevel 2 in _warn
    level = 2
    while frame is not None and frame.f_code.co_filename.startswith(_OWN_FOLDER + os.sep):
        frame = frame.f_back
        level += 1
    return level


def _note(carrier: BaseException, report: _FindingReport) -> None:
    """Add a finding to an exception under way, as a note (an attribute before 3.11)."""
    text = f"wsgicheck.validator: {report}"
    add_note = getattr(carrier, "add_note", None)
    try:
        if add_note is not None:
            add_note(text)
        else:  # pragma: no cover - Python 3.10
            carrier.__notes__ = [*getattr(carrier, "__notes__", ()), text]  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - an exception type that refuses attributes
        pass
