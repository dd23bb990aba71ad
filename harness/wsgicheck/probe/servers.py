"""The servers ``wsgicheck probe`` knows by name, and command templates for the rest.

A command template is a command line with ``{app}`` (the probe app, ``module:callable``),
``{host}``, ``{port}`` and ``{python}`` (this interpreter) in it. Each known server is
started the way its documentation shows, with its defaults (gunicorn: one sync worker).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shlex
import shutil
import sys
from dataclasses import dataclass

from ..model.errors import UsageError

__all__ = [
    "KNOWN_SERVERS",
    "PROBE_APP",
    "PROBE_MODULE",
    "KnownServer",
    "command_line",
    "resolve",
    "server_file",
]

#: The app every server is given, and the module it lives in (which also holds the same app
#: as other kinds of callable).
PROBE_MODULE = "wsgicheck.probe.app"
PROBE_APP = f"{PROBE_MODULE}:app"
FIELDS = ("app", "host", "port", "python")


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownServer:
    """A server ``wsgicheck probe`` can start by name."""

    name: str
    #: The command line, a template (see the module docstring).
    command: str
    #: The module that must be importable for the server to be installed.
    module: str
    #: The distribution whose version is reported (None: the standard library).
    distribution: str | None
    #: How it is run, for the report.
    how: str

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def version(self) -> str:
        import importlib.metadata  # here: the command line's parser imports this module

        if self.distribution is None:
            return f"Python {platform.python_version()}"
        try:
            return importlib.metadata.version(self.distribution)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"


KNOWN_SERVERS: dict[str, KnownServer] = {
    each.name: each
    for each in (
        KnownServer(
            name="wsgiref",
            command="{python} -m wsgicheck.probe.launch wsgiref {host} {port} {app}",
            module="wsgiref.simple_server",
            distribution=None,
            how="wsgiref.simple_server.make_server(host, port, app).serve_forever()",
        ),
        KnownServer(
            name="werkzeug",
            command="{python} -m wsgicheck.probe.launch werkzeug {host} {port} {app}",
            module="werkzeug.serving",
            distribution="werkzeug",
            how="werkzeug.serving.run_simple(host, port, app, threaded=True), as flask run",
        ),
        KnownServer(
            name="waitress",
            command="{python} -m waitress --listen={host}:{port} {app}",
            module="waitress",
            distribution="waitress",
            how="waitress-serve --listen=HOST:PORT APP",
        ),
        KnownServer(
            name="gunicorn",
            command="{python} -m gunicorn --bind {host}:{port} --workers 1 "
            "--graceful-timeout 3 {app}",
            module="gunicorn",
            distribution="gunicorn",
            how="gunicorn --bind HOST:PORT --graceful-timeout 3 APP (one sync worker, the "
            "default; 3 s to stop)",
        ),
        KnownServer(
            name="cheroot",
            command="{python} -m cheroot --bind {host}:{port} {app}",
            module="cheroot",
            distribution="cheroot",
            how="cheroot --bind HOST:PORT APP",
        ),
        KnownServer(
            name="wsgicheck",
            command="{python} -m wsgicheck serve {app} --host {host} --port {port} --quiet",
            module="wsgicheck.drivers.server",
            distribution="wsgicheck",
            how="wsgicheck serve APP --host HOST --port PORT",
        ),
    )
}


def resolve(server: str) -> tuple[str, str, KnownServer | None]:
    """``(name, template, known)`` for a SERVER argument: a known name or a template."""
    known = KNOWN_SERVERS.get(server)
    if known is not None:
        return known.name, known.command, known
    if "{" not in server:
        names = ", ".join(KNOWN_SERVERS)
        raise UsageError(
            f"unknown server {server!r}: one of {names}, or a command with {{app}} and {{port}}"
        )
    command_line(server, host="127.0.0.1", port=1)  # validate it now, with a clear error
    return server, server, None


def server_file(template: str, known: KnownServer | None) -> str | None:
    """The file of the server a probe judges, which its findings are about (SARIF puts
    every result at a place: GitHub refuses one with none): a known server's module; for a
    command, after ``env`` and its ``NAME=value`` words, the module Python's ``-m`` runs,
    else its first Python file, else its program. Found without importing anything: a
    package whose ``__init__`` needs the server's environment raised in wsgicheck's own
    process (a review of 2026-12-07). None when none is found."""
    if known is not None:
        return _module_file(known.module)
    words = command_line(template, host="127.0.0.1", port=1)
    if words and os.path.basename(words[0]) == "env":
        words = words[1:]
    while words and ("=" in words[0] and not words[0].startswith("-")):
        words = words[1:]
    if not words:
        return None
    program, rest = words[0], words[1:]
    module = _run_module(rest) if os.path.basename(program).startswith("python") else None
    found = _module_file(module, main=True) if module is not None else None
    if found is not None:
        return found
    for word in rest:
        if word.endswith(".py") and os.path.isfile(word):
            return os.path.abspath(word)
    found = shutil.which(program)  # a module not found here: the program that ran it
    return os.path.abspath(found) if found is not None else None


def _run_module(arguments: list[str]) -> str | None:
    """The module of Python's ``-m`` among its own options (before a script or ``-c``)."""
    words = iter(arguments)
    for word in words:
        if word == "-m":
            return next(words, None)
        if word.startswith("-m"):
            return word[2:]
        if word in ("-X", "-W"):  # options that take the next word
            next(words, None)
        elif not word.startswith("-") or word.startswith("-c"):
            return None
    return None


def _module_file(module: str, *, main: bool = False) -> str | None:
    """The source file of ``module`` (with ``main``, a package's ``__main__.py``, which
    ``-m`` runs), found as an import would find it, with no module run."""
    from importlib.machinery import PathFinder

    path: list[str] | None = None
    spec = None
    parts = module.split(".")
    for index in range(len(parts)):
        try:
            spec = PathFinder.find_spec(".".join(parts[: index + 1]), path)
        except Exception:  # an odd entry on sys.path, a name no file can have
            return None
        if spec is None:
            return None
        locations = spec.submodule_search_locations
        path = list(locations) if locations is not None else None
    if spec is None:
        return None
    if main and path:
        for folder in path:
            candidate = os.path.join(folder, "__main__.py")
            if os.path.isfile(candidate):
                return candidate
    origin = spec.origin
    return origin if origin is not None and os.path.isfile(origin) else None


def command_line(
    template: str,
    *,
    host: str,
    port: int | str,
    app: str = PROBE_APP,
    python: str = sys.executable,
) -> list[str]:
    """The template's words with the fields filled in."""
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise UsageError(f"server command {template!r}: {exc}") from None
    missing = [
        "{" + field + "}"
        for field in ("app", "port")
        if not any("{" + field + "}" in word for word in words)
    ]
    if missing:
        raise UsageError(
            f"server command {template!r} has no {' nor '.join(missing)}: it needs "
            "{app} and {port}"
        )
    values = {"app": app, "host": host, "port": str(port), "python": python}
    filled = []
    for word in words:
        try:
            filled.append(word.format(**values))
        except KeyError as exc:
            raise UsageError(
                f"server command {template!r}: unknown field {{{exc.args[0]}}} (the fields are "
                f"{', '.join(FIELDS)}; a brace of the command itself is written {{{{ or }}}})"
            ) from None
        except (IndexError, ValueError) as exc:
            raise UsageError(
                f"server command {template!r}: {word!r} is no template ({exc}; the fields "
                f"are {', '.join(FIELDS)}; a brace of the command itself is written {{{{ or }}}})"
            ) from None
    return filled
