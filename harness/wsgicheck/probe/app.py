"""The probe app: what ``wsgicheck probe`` deploys inside the server under test.

``wsgicheck.probe.app:app`` reads the ``X-Wsgicheck-Probe`` header, runs the scenario it
names (:mod:`.scenarios`) inside :func:`wsgicheck.validator` (collecting, never raising),
and when the exchange ends sends the prober its record through the side channel
(:mod:`.channel`): the environ the server built, the trace of what the server did with the
app's side, and the verdicts of the rules that must look at live objects (the streams),
which cannot travel.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from ..drivers.validation import Validator
from ..rules import REGISTRY, Exchange
from .channel import Channel
from .codec import encode, encode_events, qualified_name
from .scenario_base import ENVIRON_KEY, Context, parse_header
from .scenarios import HANDED_AS_LIST, SCENARIOS, echo

__all__ = [
    "LIVE_RULES",
    "AppClass",
    "app",
    "as_class",
    "as_function",
    "as_method",
    "as_partial",
    "make_app",
]

#: Rules that inspect the server's objects (their methods, their signatures): judged here,
#: where the objects are; the prober takes their verdicts from the record.
LIVE_RULES = (
    "ENV-INPUT-METHODS",
    "ENV-ERRORS-METHODS",
    "ENV-ERRORS-TEXT",
    "ENV-FILE-WRAPPER-SIGNATURE",
)


def _dispatch(channel: Channel | None) -> Callable[..., Any]:
    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        parsed = parse_header(environ.get(ENVIRON_KEY))
        if parsed is None:
            body = b"wsgicheck probe app: send X-Wsgicheck-Probe: <id> <scenario>\n"
            start_response(
                "200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
            )
            return [body]
        probe_id, scenario, arg = parsed
        context = Context(probe_id, scenario, arg, channel)
        return SCENARIOS.get(scenario, echo)(context, environ, start_response)

    return dispatch


def record_of(exchange: Exchange, probe_id: int) -> dict[str, Any]:
    """What the prober needs of one exchange, as JSON-safe data."""
    environ = exchange.environ or {}
    live = {}
    for rule_id in LIVE_RULES:
        rule = REGISTRY[rule_id]
        applied = rule.applies(exchange)
        messages = [finding.message for finding in rule.check(exchange)] if applied else []
        live[rule_id] = {"applied": applied, "findings": messages}
    # Keys the server copied from its process environment (wsgiref does): the prober
    # leaves them out when it compares environs.
    os_keys = sorted(
        key
        for key, value in environ.items()
        if isinstance(key, str) and os.environ.get(key) == value
    )
    return {
        "id": probe_id,
        "exchange": {
            "environ": encode(environ),
            "environ_type": qualified_name(exchange.environ_type),
            "events": encode_events(exchange.events),
            "live": live,
            "os_keys": os_keys,
            "pid": os.getpid(),
            "thread": threading.get_ident(),
        },
    }


def _keep_log_records(channel: Channel) -> None:
    """Keep in the channel, for SRV-TRAP-LOG, each record (WARNING and up) the server's
    code logs through ``logging``: a server may log the app's exception to a logger no one
    configured (rocket3 gives its loggers a NullHandler), where its operator's
    configuration would show it. Taken as each record is made, not by a handler: one on
    the root logger would silence logging's last resort and make a later ``basicConfig()``
    do nothing."""
    make = logging.getLogRecordFactory()

    def made(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        if record.levelno >= logging.WARNING:
            try:
                text = f"{record.levelname}:{record.name}:{record.getMessage()}"
                if record.exc_info and record.exc_info[0] is not None:
                    text += "\n" + "".join(traceback.format_exception(*record.exc_info))
                channel.log(text)
            except Exception:  # a message that cannot be formatted, a full disk: not ours
                pass
        return record

    logging.setLogRecordFactory(made)


class _HandedList(list[Any]):
    """The blocks of the validator's iterable, handed to the server as a list.

    A list's blocks are all there when the app returns: a server may take them by a path of
    its own, past ``iter()`` (Granian's, which sends them all, past the Content-Length), and
    the validator's iterable, being no list, never met that path. They are taken from it at
    once (its trace then shows the probe, not the server, asking for them: the prober sets
    ``Extra.handed_as_list``); the validator's iterable is closed with this one."""

    def __init__(self, wrapped: Any) -> None:
        super().__init__(wrapped)
        self._wrapped = wrapped


class _HandedClosingList(_HandedList):
    """A handed list of an app's list that has ``close()``, which this one passes on."""

    def close(self) -> None:
        self._wrapped.close()


class _ProbeValidator(Validator):
    """The validator around the probe's scenarios, which hands the server the list of a
    scenario in :data:`HANDED_AS_LIST` as a list."""

    def __init__(self, app: Any, channel: Channel | None, **options: Any) -> None:
        super().__init__(app, **options)
        self._channel = channel

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        environ = args[0] if args else kwargs.get("environ")
        parsed = parse_header(environ.get(ENVIRON_KEY)) if isinstance(environ, dict) else None
        if parsed is None or (parsed[1], parsed[2]) not in HANDED_AS_LIST:
            return result
        Context(*parsed, self._channel).note("handed_as_list", True)
        closes = callable(getattr(result, "close", None))
        return (_HandedClosingList if closes else _HandedList)(result)


def make_app(channel: Channel | None) -> Validator:
    """The probe app, sending its records to ``channel`` (none: it answers, records nothing)."""

    def send(exchange: Exchange) -> None:
        parsed = parse_header((exchange.environ or {}).get(ENVIRON_KEY))
        if channel is None or parsed is None:
            return
        try:
            channel.send(record_of(exchange, parsed[0]))
        except Exception as exc:  # never let the record break the server's exchange
            channel.send({"id": parsed[0], "note": {"record_error": repr(exc)[:300]}})

    validator = _ProbeValidator(
        _dispatch(channel), channel, collect=True, select=LIVE_RULES, on_exchange=send
    )
    if channel is not None:
        # A server that never closes an iterable and keeps it to the end (Twisted's log
        # keeps the failure that holds it) would leave no record of that exchange: its
        # record is sent as the process exits (the launchers exit so on SIGTERM).
        atexit.register(validator.judge_unclosed)
    return validator


#: What servers load: ``wsgicheck.probe.app:app``, reporting to the prober that started the
#: server (its channel is in this process's environment).
app = make_app(Channel.from_environment())
if (app_channel := Channel.from_environment()) is not None:
    _keep_log_records(app_channel)  # once, in the server's process alone


# The same app as every other kind of callable a server may be given (``CALLABLE_KINDS`` in
# .scenarios names them): PEP 3333 says the server must only call it, whatever it is
# (``SRV-CALLABLE-OPAQUE``). ``app`` itself is an instance with ``__call__``.


def as_function(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """The probe app as a plain function."""
    return app(environ, start_response)


class AppClass:
    """The probe app as a class: calling it makes the response iterable (the PEP's
    ``AppClass`` example), which the server iterates and closes."""

    def __init__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> None:
        self._result = app(environ, start_response)

    def __iter__(self) -> Iterator[bytes]:
        yield from self._result

    def close(self) -> None:
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


#: The class by a lower-case name, as the probe names it to servers (see ``CALLABLE_KINDS``).
as_class = AppClass


class _Holder:
    def call(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return app(environ, start_response)


def _with_app(
    inner: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    return inner(environ, start_response)


#: The probe app as a bound method.
as_method = _Holder().call
#: The probe app as a ``functools.partial`` object.
as_partial = functools.partial(_with_app, app)
