"""The conformance suite of the pytest plugin: one item per rule, judged by one lazy run.

:mod:`wsgicheck.plugin` registers :class:`SuitePlugin` when ``--wsgi-app`` is given, so this
module (and the runner, the rules and Hypothesis behind it) is imported only then. The run
happens once per session, when the first suite item runs; every item then reports its
rule's verdict from it.

Under pytest-xdist the items are spread over the workers, and each needs the whole run to
judge its rule. Rather than every worker repeating the exploration (the example database,
written by whichever finishes first, makes the later ones see more, and under load two runs
of one seed can differ in timing-dependent evidence), the first worker to need the run does
it, under a file lock in a folder the controller made for the session, and leaves the
verdicts there; the others wait for the lock and read them. Every worker gives the same,
complete verdicts, for the cost of one run. Workers that cannot see the folder (remote ones)
run the same seeded exploration themselves.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import pickle
import shutil
import tempfile
import textwrap
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .environ import ServerConfig
from .events import Location
from .reproduce import Reproducers
from .request import Request
from .rules import REGISTRY, Finding, Level, Rule
from .untrusted import show
from .validation import WSGIWarning

if TYPE_CHECKING:
    from .core import WSGIApp
    from .plugin import Settings
    from .runner import RunResult

__all__ = ["RuleItem", "RunItem", "SuitePlugin", "SuiteWarning", "Verdicts"]

#: Keys the controller hands each xdist worker.
SHARE_KEY = "wsgicheck_share"
SEED_KEY = "wsgicheck_seed"
#: Distinct finding messages kept per rule, besides the smallest example.
MESSAGES_KEPT = 5


class SuiteWarning(WSGIWarning):
    """A SHOULD rule the suite found broken, without ``--wsgi-strict``: shown, not failed.

    It can also be built from its text alone, which is how pytest-xdist rebuilds a
    warning on the controller.
    """

    def __init__(self, finding: Finding | str) -> None:
        if isinstance(finding, Finding):
            super().__init__(finding)
        else:
            UserWarning.__init__(self, finding)
            self.rule = finding.partition(":")[0]


class RuleFailed(Exception):
    """A rule the app broke; the text is the whole report (see :meth:`RuleItem.repr_failure`)."""


# -- verdicts, as plain values that pickle ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Example:
    """The smallest request seen breaking a rule, and how to replay it."""

    finding: Finding
    request: Request
    config: ServerConfig
    transport: str
    reproducers: Reproducers


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's verdict: ``pass``, ``fail`` or ``skip``."""

    status: str
    #: Exchanges the rule applied to, and findings over all of them.
    applied: int
    found: int
    #: A few distinct messages (with where), for rules that broke in more than one way.
    messages: tuple[tuple[str, Location | None], ...]
    example: Example | None


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What the session's run found, rule by rule (rules themselves do not pickle)."""

    seed: int
    examples: int
    duration: float
    paths: tuple[str, ...]
    errors: tuple[str, ...]
    rules: dict[str, Verdict]

    @classmethod
    def of(cls, result: RunResult) -> Verdicts:
        rules = {}
        for each in result.results:
            messages = dict.fromkeys((f.message, f.where) for f in each.findings)
            failure = result.failures.get(each.rule.id)
            example = None
            if failure is not None:
                example = Example(
                    failure.finding,
                    failure.request,
                    failure.config,
                    failure.transport,
                    failure.reproducers,
                )
            rules[each.rule.id] = Verdict(
                each.status,
                each.applied,
                len(each.findings),
                tuple(messages)[:MESSAGES_KEPT],
                example,
            )
        return cls(
            result.seed,
            result.examples,
            result.duration,
            tuple(result.paths),
            tuple(result.errors),
            rules,
        )


# -- the plugin object --------------------------------------------------------------------------


class SuitePlugin:
    """Adds the suite's items to the session and runs wsgicheck once for them."""

    def __init__(self, config: pytest.Config, settings: Settings, app: WSGIApp) -> None:
        self.config = config
        self.settings = settings
        self.app = app
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        #: The folder the verdicts are shared through (xdist workers only).
        self.share: Path | None = None
        if workerinput.get(SHARE_KEY) and Path(workerinput[SHARE_KEY]).is_dir():
            self.share = Path(workerinput[SHARE_KEY])
        #: The folder this process made for its workers (the xdist controller), to remove.
        self._made: Path | None = None
        self._verdicts: Verdicts | None = None
        self._error: BaseException | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[Any]) -> None:
        """Before ``-k``, ``-m`` and ``--deselect`` filter them, so they filter these too.

        Collected the way pytest collects a file (``genitems``), so the collection hooks and
        the terminal's count see the suite's items like any others.
        """
        suite = Suite.from_parent(session, name="wsgicheck", nodeid="wsgicheck", plugin=self)
        items.extend(session.genitems(suite))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """(pytest-xdist, on the controller) Give a worker the seed and the shared folder."""
        if self._made is None:
            self._made = Path(tempfile.mkdtemp(prefix="wsgicheck-"))
        node.workerinput[SHARE_KEY] = str(self._made)
        node.workerinput[SEED_KEY] = self.settings.seed

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdicts = self._verdicts
        if verdicts is None and self._made is not None:
            verdicts = _read(self._made / "verdicts.pickle")
        if verdicts is None:
            return
        paths = ", ".join(verdicts.paths[:8]) + (", ..." if len(verdicts.paths) > 8 else "")
        terminalreporter.write_sep("-", "wsgicheck")
        terminalreporter.write_line(
            f"{self.settings.target}: {verdicts.examples} examples in {verdicts.duration:.1f}s "
            f"(profile {self.settings.profile}, seed {verdicts.seed}), paths tried: {paths}"
        )

    def pytest_unconfigure(self) -> None:
        if self._made is not None:
            shutil.rmtree(self._made, ignore_errors=True)

    def verdicts(self) -> Verdicts:
        """The session's run: done on the first call, shared with xdist's other workers."""
        if self._verdicts is not None:
            return self._verdicts
        if self._error is not None:
            # The first item showed the whole traceback; the others say so in a line.
            raise RuntimeError(
                f"the wsgicheck run failed earlier in this session: {self._error!r}"
            ) from None
        try:
            self._verdicts = self._shared() if self.share is not None else self._run()
        except Exception as exc:
            self._error = exc
            raise
        return self._verdicts

    def _run(self) -> Verdicts:
        """The run, with the app in a worker process (:mod:`wsgicheck.supervisor`): whatever
        it does there (exit, crash, print, fork), this pytest process reports it."""
        from .runner import RunOptions
        from .supervisor import supervise

        s = self.settings
        options = RunOptions(
            profile=s.profile,
            seed=s.seed,
            paths=s.paths,
            headers=s.headers,
            exclude_paths=s.exclude_paths,
            select=s.select,
            ignore=s.ignore,
            strict=s.strict,
            transports=s.transport,
            database=s.database,
        )
        return Verdicts.of(supervise(s.target, options))

    def _shared(self) -> Verdicts:
        assert self.share is not None
        path = self.share / "verdicts.pickle"
        with _locked(self.share / "lock"):
            done = _read(path)
            if done is not None:
                return done
            verdicts = self._run()
            partial = path.with_suffix(f".{os.getpid()}")
            partial.write_bytes(pickle.dumps(verdicts))
            os.replace(partial, path)
            return verdicts


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (released by the OS if this process dies)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: each worker runs the same seed itself
        yield
        return
    with open(path, "ab") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> Verdicts | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    verdicts = pickle.loads(data)  # written by this session, in a folder only it knows
    return verdicts if isinstance(verdicts, Verdicts) else None


# -- the nodes ----------------------------------------------------------------------------------


class Suite(pytest.Collector):
    """The ``wsgicheck`` node: one item per selected rule, and one for the run itself."""

    def __init__(self, *, plugin: SuitePlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> list[pytest.Item]:
        s = self.plugin.settings
        items: list[pytest.Item] = [
            RuleItem.from_parent(self, name=each.id, rule=each)
            for each in REGISTRY.select(s.select, s.ignore)
        ]
        items.append(RunItem.from_parent(self, name="run"))
        return items


class RuleItem(pytest.Item):
    """One rule's verdict: passed, failed (with its report), or skipped for want of evidence."""

    def __init__(self, *, rule: Rule, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rule = rule
        self.add_marker(pytest.mark.wsgicheck(rule.id))
        # So that -k MUST, -k SHOULD, -k app, -k environ, -k server select by kind.
        self.extra_keyword_matches.update({rule.level.value, rule.binding.value})

    @property
    def plugin(self) -> SuitePlugin:
        assert isinstance(self.parent, Suite)
        return self.parent.plugin

    def runtest(self) -> None:
        verdicts = self.plugin.verdicts()
        verdict = verdicts.rules[self.rule.id]
        if verdict.status == "skip":
            # One reason for all, so -rs folds them into one line; the item names the rule.
            pytest.skip(f"none of the {verdicts.examples} examples gave evidence for this rule")
        if verdict.status == "pass" or verdict.example is None:
            return
        finding = verdict.example.finding
        if self.rule.level is Level.SHOULD and not self.plugin.settings.strict:
            self.user_properties.append(("wsgicheck_warning", f"{finding.rule}: {finding.message}"))
            _warn(finding)
            return
        raise RuleFailed(failure_text(self.rule, verdict, verdicts, self.plugin.settings))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, RuleFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"wsgicheck rule {self.rule.id}"


class RunItem(pytest.Item):
    """The run itself: fails on harness errors (wsgicheck's problems, not the app's)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_marker(pytest.mark.wsgicheck("run"))

    def runtest(self) -> None:
        assert isinstance(self.parent, Suite)
        verdicts = self.parent.plugin.verdicts()
        self.user_properties += [
            ("wsgicheck_seed", str(verdicts.seed)),
            ("wsgicheck_examples", str(verdicts.examples)),
        ]
        if verdicts.errors:
            lines = [f"wsgicheck could not complete {len(verdicts.errors)} exchange(s):"]
            lines += [f"    {error}" for error in verdicts.errors[:20]]
            raise RuleFailed("\n".join(lines))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, RuleFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "wsgicheck run"


def _warn(finding: Finding) -> None:
    """Warn at the app's line, past any ``error`` filter: a SHOULD finding never fails
    without ``--wsgi-strict``, even where a project turns warnings into errors. pytest
    still records it (its recorder is the one outside this block)."""
    where = finding.where
    with warnings.catch_warnings():
        warnings.simplefilter("always", SuiteWarning)
        warnings.warn_explicit(
            SuiteWarning(finding),
            SuiteWarning,
            where.file if where else "<wsgicheck>",
            where.line if where else 0,
        )


# -- the failure report -------------------------------------------------------------------------

_QUIET_CHOICES = ("server_name", "server_port", "response_body_limit")


def failure_text(rule: Rule, verdict: Verdict, verdicts: Verdicts, settings: Settings) -> str:
    """What a failing rule's item shows: the rule, the PEP's words, the app's line, the
    smallest request, and how to replay it."""
    assert verdict.example is not None
    example = verdict.example
    finding = example.finding
    lines = [
        f"{rule.id} ({rule.level.value}, {rule.binding.value}): {show(finding.message)}",
        "",
        f"Rule: {rule.summary}",
        f"{rule.citation}:",
        *textwrap.wrap(rule.pep, 92, initial_indent="    ", subsequent_indent="    "),
    ]
    if finding.where is not None:
        lines += ["", "The app's line responsible:", *_source(finding.where)]
    choices = [
        f"{each.name}={getattr(example.config, each.name)!r}"
        for each in fields(ServerConfig)
        if each.init
        and each.name not in _QUIET_CHOICES
        and getattr(example.config, each.name) != getattr(ServerConfig(), each.name)
    ]
    lines += ["", f"Smallest request ({example.transport} transport):"]
    lines += [f"    {line}" for line in _raw(example.reproducers.raw)]
    if choices:
        lines.append(f"  under these server choices: {', '.join(choices)}")
    lines += [
        "",
        f"Seen {verdict.found} time(s) in the {verdict.applied} exchanges the rule applied to.",
    ]
    others = [pair for pair in verdict.messages if pair[0] != finding.message]
    if others:
        lines.append("Also seen:")
        lines += [f"  - {show(message)}" + (f" ({_path(w)})" if w else "") for message, w in others]
    lines += [
        "",
        f"Reproduce with curl, against `wsgicheck serve {settings.target} --port 8000`:",
        f"    {example.reproducers.curl}",
        "",
        "Reproduce in Python (in memory, exactly):",
        *[f"    {line}".rstrip() for line in example.reproducers.python.splitlines()],
        "",
        f"Replay this run: --wsgi-seed={verdicts.seed} --wsgi-profile={settings.profile}",
    ]
    return "\n".join(lines)


def _path(where: Location) -> str:
    try:
        shown = os.path.relpath(where.file)
    except ValueError:  # pragma: no cover - another drive, on Windows
        shown = where.file
    return f"{show(where.file if shown.startswith('..') else shown)}:{where.line}"


def _source(where: Location) -> list[str]:
    try:
        line = show(linecache.getline(where.file, where.line).strip())
    except (OSError, ValueError):  # a file name the file system refuses (a NUL...)
        line = ""
    shown = [f"    {_path(where)}, in {show(where.function)}"]
    return [*shown, f"        {line}"] if line else shown


def _raw(data: bytes) -> list[str]:
    """The request as sent, a line per header line, escaped where not printable."""
    head, _, body = data.partition(b"\r\n\r\n")
    lines = [_printable(line) for line in head.split(b"\r\n")]
    if body:
        more = "..." if len(body) > 64 else ""
        lines.append(f"[{len(body)} bytes of body: {body[:64]!r}{more}]")
    return lines


def _printable(line: bytes) -> str:
    text = line.decode("latin-1")
    if text.isprintable() and text.isascii():
        return text
    return "".join(c if c.isascii() and c.isprintable() else f"\\x{ord(c):02x}" for c in text)
