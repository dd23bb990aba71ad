"""Every setting once: its type, default, help, and where it can be given.

One table (:data:`SETTINGS`) serves the command line (``wsgicheck check``'s options), the
pytest plugin (``--wsgi-NAME`` and the ini key ``wsgi_NAME``), the environment
(``WSGICHECK_NAME``) and ``[tool.wsgicheck]`` in ``pyproject.toml`` (key ``NAME``).
Precedence: the command line, then the environment, then the file, then the default (the
plugin reads its ini key between the environment and ``[tool.wsgicheck]``). An unknown key
or variable, or a bad value, is one line naming where it came from (:class:`SettingError`).

Adding a setting is one entry in :data:`SETTINGS`. Standard library only: the plugin
imports this module in every pytest run.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model.errors import UsageError
from .model.options import DEFAULT_DATABASE, DEFAULT_OPTIONS, PROFILES, REPORT_FILES, TRANSPORTS

__all__ = [
    "OFF",
    "PROFILES",
    "SETTINGS",
    "TRANSPORTS",
    "ConfigFile",
    "Setting",
    "SettingError",
    "Sources",
]

#: Values that switch a folder setting (the example database) off.
OFF = ("off", "none", "no", "false")
ENV_PREFIX = "WSGICHECK_"
#: ``WSGICHECK_*`` variables that are not settings: the probe's side channel
#: (``wsgicheck.probe.channel.ENV_VAR``, a test keeps the two in step).
INTERNAL_VARIABLES = frozenset({"WSGICHECK_PROBE_DIR"})
TABLE = "[tool.wsgicheck]"
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class SettingError(UsageError):
    """An unknown setting, or a bad value for one: one line, exit status 2."""


# -- kinds of value -----------------------------------------------------------------------------
# A kind turns what a source holds (a string from the command line or the environment, any
# TOML value from the file) into the value, or raises ValueError saying what it takes.


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"a string, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class Text:
    """A string, one of ``choices`` when there are some."""

    choices: Sequence[str] = ()
    lower: bool = False

    def options(self) -> Sequence[str]:
        return self.choices

    def __call__(self, value: object) -> str:
        text = _text(value).strip()
        text = text.lower() if self.lower else text
        allowed = self.options()
        if allowed and text not in allowed:
            raise ValueError(f"one of {', '.join(allowed)}, not {text!r}")
        return text


@dataclass(frozen=True, slots=True)
class Integer:
    minimum: int | None = None

    def __call__(self, value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"an integer, not {value!r}")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"an integer, not {value!r}") from None
        if self.minimum is not None and number < self.minimum:
            raise ValueError(f"at least {self.minimum}, not {number}")
        return number


@dataclass(frozen=True, slots=True)
class Seconds:
    """A number of seconds above 0 (and finite)."""

    def __call__(self, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"a number of seconds, not {value!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"a number of seconds, not {value!r}") from None
        if not 0 < number < float("inf"):
            raise ValueError(f"a number of seconds above 0, not {value!r}")
        return number


@dataclass(frozen=True, slots=True)
class Flag:
    """On or off: a TOML boolean, or 1/true/yes/on and 0/false/no/off in a string."""

    def __call__(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        text = value.strip().lower() if isinstance(value, str) else None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(f"true or false, not {value!r}")


@dataclass(frozen=True, slots=True)
class Items:
    """A list: a TOML array, or a string of items split at commas (``sep=","``), white
    space (``sep=None``) or lines (``sep="\\n"``); each item passes through ``item``."""

    item: Callable[[str], str] = str.strip
    sep: str | None = ","

    def __call__(self, value: object) -> tuple[str, ...]:
        if isinstance(value, str):
            if self.sep == ",":
                parts = value.replace(",", " ").split()
            else:
                parts = value.split() if self.sep is None else value.split(self.sep)
        elif isinstance(value, (list, tuple)):
            parts = [_text(each).strip() for each in value]
        else:
            raise ValueError(f"a list, not {value!r}")
        return tuple(self.item(part) for part in parts if part)


#: What a rule id or a glob over rule ids is written with (``APP-*``, ``SRV-CL-?``).
_RULE_PATTERN = re.compile(r"[A-Za-z0-9_*?!\[\]-]+")


def _rule_pattern(text: str) -> str:
    """A rule id or pattern, in the capitals rule ids are written in; one written with
    anything else is refused as typed (upper-cased, an escape read as another one)."""
    pattern = text.strip()
    if _RULE_PATTERN.fullmatch(pattern) is None:
        raise ValueError(
            f"{pattern!r} is no rule id or pattern (letters, digits, '-' and '_', and the glob "
            "characters * ? [ ] !)"
        )
    return pattern.upper()


def no_rule_matches(pattern: str) -> str | None:
    """Why ``pattern`` (of ``--select`` or ``--ignore``, upper case) names no rule, with the
    prefix pattern meant where it names a family (``APP-STATUS`` for ``APP-STATUS-*``);
    None when it matches some rule."""
    from .rules import REGISTRY

    if REGISTRY.select([pattern]):
        return None
    family = f"{pattern.rstrip('-*')}-*"
    meant = f"; a prefix ends with -*: {family}" if REGISTRY.select([family]) else ""
    return f"no rule matches {pattern!r}{meant} (see: wsgicheck rules)"


def rule_choice_problem(select: Sequence[str], ignore: Sequence[str]) -> str | None:
    """Why a run of ``check`` or the plugin refuses this choice of rules: it leaves none that
    judges the app, so the run would pass whatever the app does, an empty report that
    exits 0; None when some rule of the app's is left. (The rules are imported here only:
    the plugin imports this module in every pytest run.)"""
    from .rules import REGISTRY, Binding

    left = REGISTRY.select(select, ignore)
    if any(each.binding is Binding.APP for each in left):
        return None
    any_left = bool(left)  # rules of the server, which judge wsgicheck's own here
    chosen = [f"select {','.join(select)}"] if select else []
    chosen += [f"ignore {','.join(ignore)}"] if ignore else []
    what = "rule of the app's" if any_left else "rule"
    server = (
        "; the SRV-* and ENV-* rules left judge the server, here wsgicheck's own (wsgicheck "
        "probe judges another)"
        if any_left
        else ""
    )
    return (
        f"no {what} is left to judge with ({', '.join(chosen)}): the run would pass whatever "
        f"the app does{server} (see: wsgicheck rules)"
    )


def exclusion_problem(paths: Sequence[str], exclude: Sequence[str]) -> str | None:
    """Why a run of ``check`` or the plugin refuses ``exclude`` (``--exclude-path``): it
    excludes every path the run is asked to try (``/`` without ``--path``), so that no
    request would reach the app; None otherwise."""
    from .results.scope import excluded

    tried = list(paths) or ["/"]
    if not exclude or not all(excluded(path, exclude) for path in tried):
        return None
    return (
        f"{', '.join(exclude)} excludes every path tried ({', '.join(tried)}): no request "
        "would reach the app (name one it leaves with --path)"
    )


def _url_path(text: str) -> str:
    """A path to try, sent as a browser sends what is typed in its address bar (UTF-8
    escapes for what is past ASCII, a control character's escape); a fragment, which no
    request carries, is refused rather than lost."""
    from .drivers.client import encode_target
    from .drivers.wire import LONGEST_PATH

    if not text.startswith("/"):
        raise ValueError(
            f"paths start with '/', not {text!r} (a space separates paths: one within a "
            "path is written %20)"
        )
    if "#" in text:
        raise ValueError(
            f"{text!r} has a fragment, which no client sends (write a '#' in a path as %23)"
        )
    sent = encode_target(text)
    if len(sent) > LONGEST_PATH:
        raise ValueError(
            f"a path of {len(sent)} characters is longer than a run sends ({LONGEST_PATH}: "
            "under a mount, with a query, wsgicheck's server would answer 414)"
        )
    return sent


def _header_field(text: str) -> str:
    from .results.scope import parse_header  # checked here, parsed where the requests are made

    parse_header(text)
    return text.strip()


def _path_pattern(text: str) -> str:
    # A glob may start with any of its characters: '[/]' is the path / alone.
    if not text.startswith(("/", "*", "?", "[")):
        raise ValueError(f"a path ('/...') or a glob ('*...', '[/]'), not {text!r}")
    return text


# -- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One setting: ``name`` is its key in ``[tool.wsgicheck]``; the rest derive from it."""

    name: str
    kind: Callable[[object], Any]
    default: Any
    help: str
    #: ``wsgicheck check``'s option (first) and its short form, or () when check has none.
    flags: tuple[str, ...] = ()
    metavar: str | None = None
    #: What ``--help`` says the default is, when not ``default`` itself.
    shown_default: str | None = None
    #: The pytest plugin has it too (``--wsgi-NAME``, ini key ``wsgi_NAME``).
    plugin: bool = False
    #: A folder or file: given relative in pyproject.toml, relative to that file's folder.
    is_path: bool = False
    #: The command line gives it repeatedly (each time a list, added up).
    repeated: bool = False

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()

    @property
    def ini(self) -> str:
        return "wsgi_" + self.name

    @property
    def plugin_flag(self) -> str:
        return "--wsgi-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return self.name

    def described(self) -> str:
        """The help text with its default, as ``--help`` shows it."""
        default = self.shown_default
        if default is None:
            value = self.default
            if isinstance(value, bool):
                default = "on" if value else "off"
            elif isinstance(value, tuple):
                default = ", ".join(value) or "none"
            else:
                default = str(value)
        choices = self.choices()
        each = "each " if isinstance(self.kind, Items) else ""
        listed = f", {each}one of {', '.join(choices)}" if choices else ""
        return f"{self.help}{listed} (default: {default})"

    def choices(self) -> Sequence[str]:
        """The values it takes (each, for a list), when they are few."""
        kind = self.kind.item if isinstance(self.kind, Items) else self.kind
        return kind.options() if isinstance(kind, Text) else ()

    def parse(self, value: object, source: str) -> Any:
        """The value from ``source`` (named in the error if it is bad)."""
        try:
            return self.kind(value)
        except ValueError as exc:
            raise SettingError(f"{source}: {exc}") from None


SETTINGS: tuple[Setting, ...] = (
    Setting(name="app", kind=Text(), default=None, plugin=True, metavar="TARGET",
            help="the WSGI app: module:callable or path/file.py:callable",
            shown_default="none"),
    Setting(name="profile", kind=Text(tuple(PROFILES)), default=DEFAULT_OPTIONS.profile,
            flags=("--profile",), plugin=True, help="how many examples"),
    Setting(name="examples", kind=Integer(minimum=1), default=None, flags=("--examples",),
            metavar="N", help="examples to run", shown_default="the profile's number"),
    Setting(name="seed", kind=Integer(), default=None, flags=("--seed",), metavar="N",
            plugin=True, help="replay a run's generated requests",
            shown_default="a new seed, which the report prints"),
    Setting(name="strict", kind=Flag(), default=DEFAULT_OPTIONS.strict, flags=("--strict",),
            plugin=True, help="SHOULD findings fail the run too"),
    Setting(name="select", kind=Items(_rule_pattern), default=(), flags=("--select",),
            metavar="IDS", plugin=True, repeated=True,
            help="only these rules (ids or prefixes like APP-*, comma-separated)",
            shown_default="all"),
    Setting(name="ignore", kind=Items(_rule_pattern), default=(), flags=("--ignore",),
            metavar="IDS", plugin=True, repeated=True, help="not these rules"),
    Setting(name="path", kind=Items(_url_path, sep=None), default=(), flags=("--path",),
            metavar="PATH", plugin=True, repeated=True, shown_default="/",
            help="paths worth trying (repeatable, each one tried); links the app answers with "
                 "are added"),
    Setting(name="header", kind=Items(_header_field, sep="\n"), default=(),
            flags=("--header", "-H"), metavar="'NAME: VALUE'", plugin=True, repeated=True,
            help="a header field added to every request, replacing generated ones of its "
            "name (repeatable; one per line in an ini key or a variable), e.g. "
            "-H 'Host: example.com' for Django's ALLOWED_HOSTS"),
    Setting(name="exclude_path", kind=Items(_path_pattern, sep=None), default=(),
            flags=("--exclude-path",), metavar="PATTERN", plugin=True, repeated=True,
            help="never send a request to these paths (repeatable): a glob such as "
            "'/admin/*' or '*.php', or a path prefix by whole segments ('/logout' "
            "excludes /logout/all too)"),
    Setting(name="read_only", kind=Flag(), default=DEFAULT_OPTIONS.read_only,
            flags=("--read-only",), plugin=True,
            help="send only the safe methods (GET, HEAD, OPTIONS, TRACE: RFC 9110 §9.2.1): "
            "no POST, PUT, PATCH, DELETE or other method that asks the app to change its data"),
    Setting(name="transport", kind=Text(TRANSPORTS), default=DEFAULT_OPTIONS.transports,
            flags=("--transport",), plugin=True,
            help="where requests go (both: each one both ways, compared)"),
    Setting(name="database", kind=Text(), default=DEFAULT_OPTIONS.database,
            flags=("--database",), metavar="DIR|URL", plugin=True, is_path=True,
            help="Hypothesis example database, or 'off': past failures replay first; a "
            "folder, or redis://HOST:PORT/DB that several machines share "
            "(needs wsgicheck[redis])",
            shown_default=f"{DEFAULT_DATABASE}, in pytest under the rootdir"),
    Setting(name="jobs", kind=Integer(minimum=1), default=1, flags=("--jobs", "-j"),
            metavar="N", help="share the examples among N processes"),
    Setting(name="timeout", kind=Seconds(), default=DEFAULT_OPTIONS.timeout, flags=("--timeout",),
            metavar="SECONDS", plugin=True, help="time limit per exchange"),
    Setting(name="body_limit", kind=Integer(minimum=1), default=DEFAULT_OPTIONS.body_limit >> 20,
            flags=("--body-limit",), metavar="MIB", plugin=True,
            help="MiB of a response body read at most (HARNESS-BODY-LIMIT past it): raise it "
            "for larger downloads"),
    Setting(name="corpus", kind=Flag(), default=DEFAULT_OPTIONS.corpus, flags=("--corpus",),
            help="start with the fixed examples (--no-corpus: generated requests only)"),
    Setting(name="format", kind=Text(tuple(REPORT_FILES), lower=True), default="text",
            flags=("--format",), help="the report's format"),
    Setting(name="report", kind=Items(Text(tuple(REPORT_FILES), lower=True)), default=(),
            flags=("--report",), metavar="FORMATS", repeated=True,
            help="also write these reports (comma-separated) from the same run into "
            "--report-dir"),
    Setting(name="report_dir", kind=Text(), default=".", flags=("--report-dir",),
            metavar="DIR", is_path=True, help="where --report writes, made if missing"),
    Setting(name="baseline", kind=Text(), default=None, flags=("--baseline",),
            metavar="FILE", is_path=True, shown_default="none",
            help="findings accepted in FILE are reported as known and fail nothing"),
    Setting(name="source_root", kind=Text(), default=None, flags=("--source-root",),
            metavar="DIR", is_path=True,
            shown_default="the git top level of the working directory, else the working "
            "directory",
            help="report paths (SARIF, GitHub annotations) relative to DIR"),
    Setting(name="all_findings", kind=Flag(), default=False, flags=("--all-findings",),
            help="list every distinct finding under each failure, with how often it was "
            "made (text, Markdown, HTML, JSON), beside the smallest example"),
    Setting(name="app_coverage", kind=Flag(), default=False, flags=("--app-coverage",),
            help="measure which lines of the app the requests ran (coverage.py)"),
    Setting(name="suite", kind=Flag(), default=True, plugin=True,
            help="collect the conformance suite (pytest; false: fixtures only)"),
)  # fmt: skip

BY_NAME: dict[str, Setting] = {each.name: each for each in SETTINGS}

#: The settings that decide which requests a run sends and how it judges them, in the
#: order a replay spells them (where reports and the example database go do not: a
#: database adds replays of old failures ahead of the same seeded draw).
REPLAYED = (
    "profile", "examples", "jobs", "transport", "path", "header", "exclude_path", "read_only",
    "select", "ignore", "strict", "timeout", "body_limit", "corpus", "seed",
)  # fmt: skip


def replay_arguments(values: Mapping[str, Any]) -> list[str]:
    """``wsgicheck check``'s options that give ``values`` (by setting name) again, in the
    order of :data:`REPLAYED`: a value written ``--flag=VALUE`` where it starts with a dash
    (which would read as an option of its own)."""
    words: list[str] = []
    for name in REPLAYED:
        if name not in values or values[name] is None:
            continue
        setting, value = BY_NAME[name], values[name]
        flag = setting.flags[0]
        if isinstance(setting.kind, Flag):
            words.append(flag if value else "--no-" + flag.removeprefix("--"))
            continue
        for item in value if isinstance(value, list | tuple) else [value]:
            text = str(item)
            words += [f"{flag}={text}"] if text.startswith("-") else [flag, text]
    return words


def _nearest(name: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    return f"; did you mean {close[0]}?" if close else f"; one of {', '.join(names)}"


# -- the sources --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """The ``[tool.wsgicheck]`` table of a ``pyproject.toml``."""

    path: Path
    table: Mapping[str, object]

    @property
    def label(self) -> str:
        shown = os.path.relpath(self.path) if self.path.is_absolute() else str(self.path)
        return f"{shown} {TABLE}"


def _load_toml(path: Path) -> dict[str, Any] | None:
    """The parsed file, or None when this Python has no TOML parser (3.10 without tomli)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - depends on the interpreter
        try:
            import tomli as tomllib  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return None
    with open(path, "rb") as stream:
        try:
            document: dict[str, Any] = tomllib.load(stream)
        except tomllib.TOMLDecodeError as exc:
            raise SettingError(f"{os.path.relpath(path)}: not valid TOML: {exc}") from None
        except RecursionError:  # arrays nested deeper than the parser goes
            raise SettingError(f"{os.path.relpath(path)}: nested too deep to read") from None
    return document


def find_file(start: Path) -> ConfigFile | None:
    """The ``[tool.wsgicheck]`` table of the nearest ``pyproject.toml`` from ``start`` up,
    its keys checked; None when that file has no such table (or there is no file)."""
    for folder in [start, *start.parents]:
        path = folder / "pyproject.toml"
        if path.is_file():
            break
    else:
        return None
    document = _load_toml(path)
    if document is None:  # pragma: no cover - Python 3.10 without tomli
        if TABLE in path.read_text(encoding="utf-8", errors="replace"):
            raise SettingError(f"{os.path.relpath(path)}: reading {TABLE} needs tomli here")
        return None
    tool = document.get("tool", {})
    table = tool.get("wsgicheck") if isinstance(tool, dict) else None
    if table is None:
        return None
    found = ConfigFile(path.resolve(), table if isinstance(table, dict) else {})
    if not isinstance(table, dict):
        raise SettingError(f"{found.label}: a table of settings, not {table!r}")
    for key in table:
        if key not in BY_NAME:
            raise SettingError(f"{found.label}: unknown key {key!r}{_nearest(key, list(BY_NAME))}")
    return found


def check_environment(environ: Mapping[str, str]) -> None:
    """Every ``WSGICHECK_*`` variable is a setting's (or wsgicheck's own)."""
    known = [each.env for each in SETTINGS]
    for name in sorted(environ):
        if name.startswith(ENV_PREFIX) and name not in known and name not in INTERNAL_VARIABLES:
            raise SettingError(f"unknown environment variable {name}{_nearest(name, known)}")


@dataclass(frozen=True, slots=True)
class Given:
    """A setting's value and where it came from (for errors, and relative paths)."""

    value: Any
    source: str
    #: The folder a relative path in it is relative to (None: the working directory's).
    base: Path | None


@dataclass(slots=True)
class Sources:
    """The environment and ``[tool.wsgicheck]``, read once and checked: what the command line
    does not say, they may."""

    cwd: Path = field(default_factory=Path.cwd)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    file: ConfigFile | None = None

    def __post_init__(self) -> None:
        check_environment(self.environ)
        self.file = find_file(self.cwd)

    def environment(self, setting: Setting) -> Given | None:
        if setting.env not in self.environ:
            return None
        value = setting.parse(self.environ[setting.env], setting.env)
        return Given(value, setting.env, None)

    def in_file(self, setting: Setting) -> Given | None:
        if self.file is None or setting.name not in self.file.table:
            return None
        source = f"{self.file.label} {setting.name}"
        value = setting.parse(self.file.table[setting.name], source)
        return Given(value, source, self.file.path.parent)

    def lookup(self, setting: Setting) -> Given | None:
        """The environment's value, else the file's, else None."""
        return self.environment(setting) or self.in_file(setting)


def rebase(setting: Setting, given: Given) -> Any:
    """A path setting's value relative to its source's folder (a URL or 'off' as it is)."""
    value = given.value
    if given.base is None or not setting.is_path or not isinstance(value, str):
        return value
    if value.lower() in OFF or "://" in value:
        return value
    return str(given.base / os.path.expanduser(value))


def resolve(namespace: Any, names: Sequence[str], sources: Sources) -> dict[str, str]:
    """Fill in each setting ``names`` the command line left as None (in ``namespace``, at
    its ``dest``) from the environment, the file, or its default; where each came from."""
    where = {}
    for name in names:
        setting = BY_NAME[name]
        if getattr(namespace, setting.dest, None) is not None:
            where[name] = setting.flags[0] if setting.flags else setting.metavar or name
            continue
        given = sources.lookup(setting)
        value = setting.default if given is None else rebase(setting, given)
        setattr(namespace, setting.dest, value)
        where[name] = "default" if given is None else given.source
    return where


def markdown() -> str:
    """The README's table of the settings (a test keeps the two the same)."""
    head = ("`[tool.wsgicheck]` key", "`check` option", "environment", "pytest ini key", "what")
    rows = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for each in SETTINGS:
        flag = f"`{each.flags[0]}`" if each.flags else "TARGET" if each.name == "app" else "-"
        ini = f"`{each.ini}`" if each.plugin else "-"
        rows.append(f"| `{each.name}` | {flag} | `{each.env}` | {ini} | {each.described()} |")
    return "\n".join(rows) + "\n"
