"""``wsgicheck serve``: the app behind wsgicheck's socket server, every exchange shown and
judged as it happens.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote, unquote_to_bytes

from .cli_parser import resolve_settings
from .core.environ import ServerConfig
from .drivers.target import lingering_threads, load_target
from .model import untrusted
from .model.errors import UsageError
from .model.events import AppRaised, Refused
from .model.response import Response
from .report.transcript import format_exchange

if TYPE_CHECKING:
    from .rules import Exchange, Finding


def _problems(response: Response, ex: Exchange) -> list[str]:
    """The trace's refusals and raises, each told as whose it is: an exception the server
    raised into the app (a body the client broke off, read through wsgi.input) that went
    out of it is not said to be the app's (an adversarial trial of 2026-12-07 pointed a
    client's reset at the app's line)."""
    from .rules.app_trap import raised_by_the_server, refused_signature

    problems = []
    refused = False
    servers: set[str] | None = None
    for event in response.trace:
        if isinstance(event, Refused):
            refused = True
            problems.append(f"server refused {event.callable}: {event.message}")
        elif isinstance(event, AppRaised):
            if refused and event.exc_type == "RefusedCall":
                continue  # the refusal escaping the app: already reported
            if servers is None:
                servers = raised_by_the_server(ex)
            if refused_signature(event):
                problems.append(
                    f"the app could not be called with (environ, start_response): "
                    f"{event.exc_type}: {event.message}"
                )
            elif event.exc_type in servers:
                problems.append(
                    f"{event.exc_type}, raised into the app by the server (its wsgi.input, "
                    f"start_response or write()), went out of it: {event.message}"
                )
            else:
                problems.append(f"app raised {event.exc_type}: {event.message} ({event.where})")
    return problems


def run_serve(args: argparse.Namespace) -> int:
    from .report.console import app_output

    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be 0 to 65535, not {args.port}")
    if args.threads < 1:
        raise UsageError(f"--threads must be at least 1, not {args.threads}")
    resolve_settings(args, ["app"])
    printing = threading.RLock()
    # From the app's import on, what it prints comes out made safe and marked: a logging
    # handler it makes then holds the marking stream (report.console.app_output).
    with app_output(printing) as real:
        _serve(args, printing, real)
    print("wsgicheck: stopped", flush=True)
    if lingering_threads():
        # A thread the app started would keep the interpreter waiting at exit: the server
        # has stopped, so go now (Ctrl-C stops serve, whatever the app left running).
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # closed when serve started (serve >&-)
                stream.flush()
        os._exit(0)
    return 0


def _place(finding: Finding) -> str:
    """`` at /path/app.py:12`` after a finding's message, unless the message names the
    line itself (`` at app.py:12``, which :func:`~wsgicheck.rules.registry.at` writes)."""
    from .rules.registry import at

    where = finding.where
    if where is None:
        return ""
    named = at(where)
    return "" if named and named in finding.message else f" at {where.file}:{where.line}"


def _serve(
    args: argparse.Namespace,
    printing: threading.RLock,
    real: tuple[TextIO | None, TextIO | None],
) -> None:
    """Load the app, and serve it until Ctrl-C or SIGTERM; the trace goes to ``real``."""
    from .drivers.server import Server
    from .rules import Exchange, check_exchange

    trace, errors = real
    app = load_target(args.target)

    def show(response: Response) -> None:
        exchange = Exchange(response, source="socket")
        findings = check_exchange(exchange)
        lines = [] if args.quiet else [*format_exchange(response), ""]
        request = response.request
        where = f"{request.method} {request.target}"
        problems = [
            *_problems(response, exchange),
            *(
                f"{finding.rule} ({finding.level.value}): {finding.message}{_place(finding)}"
                for finding in findings
            ),
        ]
        lines.extend(untrusted.show(f"! {where}: {problem}") for problem in problems)
        if lines:
            with printing:
                print("\n".join(lines), file=trace, flush=True)

    def rejected(remote: tuple[str, int], status: int, message: str) -> None:
        with printing:
            line = f"! {remote[0]}:{remote[1]}: refused with {status}: {message}"
            print(untrusted.show(line), file=trace, flush=True)

    def failed(exc: BaseException) -> None:
        # Not the app's fault nor the client's: say so, with where it happened.
        lines = traceback.format_exception(exc)
        with printing:
            print(
                f"! wsgicheck's own error (a bug in wsgicheck, not in the app): "
                f"{untrusted.show(type(exc).__name__)}: {untrusted.show(exc)}\n"
                + "".join(lines).rstrip(),
                file=errors,
                flush=True,
            )

    try:
        server = Server(
            app,
            host=args.host,
            port=args.port,
            threads=args.threads,
            config=ServerConfig(script_name=_environ_form(args.script_name)),
            on_exchange=show,
            on_reject=rejected,
            on_error=failed,
        )
    except OSError as exc:
        reason = exc.strerror or exc  # a socket the app replaced may give no strerror
        raise UsageError(f"cannot listen on {args.host}:{args.port}: {reason}") from exc
    except ValueError as exc:  # "script_name: why", said as the option it came from
        raise UsageError(f"--script-name: {str(exc).partition(': ')[2]}") from exc
    url = server.url + quote(server.config.script_name, safe="/", encoding="latin-1")
    print(f"wsgicheck: serving {args.target} on {url} (Ctrl-C to stop)", file=trace, flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _environ_form(prefix: str) -> str:
    """The mount prefix as SCRIPT_NAME holds it: given as a client sends it (``/caf%C3%A9``)
    or as typed (``/café``), percent-decoded to bytes and those read as latin-1.
    """
    # (Bytes of the command line that were no UTF-8 come as surrogates: fsencode restores them.)
    return unquote_to_bytes(os.fsencode(prefix)).decode("latin-1")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
