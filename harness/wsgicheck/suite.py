"""The conformance suite of the pytest plugin: one item per rule, judged by one lazy run.

:mod:`wsgicheck.plugin` registers :class:`SuitePlugin` when ``--wsgi-app`` is given, so this
module (and the runner, the rules and Hypothesis behind it) is imported only then. The run
happens once per session, when the first suite item runs; every item then reports its
rule's verdict from it.

Under pytest-xdist the run scales out: worker ``k`` of ``n`` explores share ``k`` of the
examples with its own seed (:func:`wsgicheck.shares.split`, as ``check --jobs n`` does), first
thing in its test loop, and leaves the verdicts in a folder the controller made for the
session. An item, on whichever worker, judges its rule from all the shares merged
(:meth:`Verdicts.merge`): the union of their findings, the same for one seed and one number
of workers. Workers that cannot see the folder (remote ones) run the whole seeded
exploration themselves.
"""

from __future__ import annotations

import contextlib
import functools
import linecache
import os
import shutil
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .environ import ServerConfig
from .events import Location
from .reproduce import Reproducers
from .request import Request
from .rules import REGISTRY, Finding, Rule
from .rules.verdicts import Verdict
from .shares import ShareFolder, split
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
#: The prefix of pytest-xdist's worker ids (``gw0``, ``gw1``...).
WORKER_PREFIX = "gw"
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
class RuleOutcome:
    """One rule over the run: its status (``pass``, ``fail`` or ``skip``) and evidence."""

    status: str
    #: Exchanges the rule applied to, and findings over all of them.
    applied: int
    found: int
    #: A few distinct messages (with where), for rules that broke in more than one way.
    messages: tuple[tuple[str, Location | None], ...]
    example: Example | None


@dataclass(frozen=True, slots=True)
class Explored:
    """What one share of a run done by pytest-xdist's workers explored, and who did it."""

    index: int
    count: int
    seed: int
    examples: int
    duration: float
    #: The xdist worker that explored it (``gw0``...).
    worker: str


@dataclass(frozen=True, slots=True)
class Verdicts:
    """What the session's run found, rule by rule (rules themselves do not pickle)."""

    seed: int
    examples: int
    duration: float
    paths: tuple[str, ...]
    errors: tuple[str, ...]
    rules: dict[str, RuleOutcome]
    #: The shares the run was done in, under pytest-xdist (none otherwise).
    shares: tuple[Explored, ...] = ()

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
            rules[each.rule.id] = RuleOutcome(
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

    @classmethod
    def merge(cls, parts: list[Verdicts], seed: int) -> Verdicts:
        """A run done in shares (one each, in share order): for each rule the union of the
        shares' findings and the smallest example of all (the first on a tie, as the runner
        keeps it), so whichever share found a failure, every item sees it."""
        from .collector import _size

        rules = {}
        for rule_id in parts[0].rules:
            each = [part.rules[rule_id] for part in parts]
            found = sum(verdict.found for verdict in each)
            applied = sum(verdict.applied for verdict in each)
            messages = dict.fromkeys(pair for verdict in each for pair in verdict.messages)
            examples = [verdict.example for verdict in each if verdict.example is not None]
            rules[rule_id] = RuleOutcome(
                Verdict.of_rule(found=bool(found), applied=bool(applied)),
                applied,
                found,
                tuple(messages)[:MESSAGES_KEPT],
                min(examples, key=lambda e: _size(e.request, e.config), default=None),
            )
        return cls(
            seed,
            sum(part.examples for part in parts),
            max(part.duration for part in parts),  # side by side: the wall-clock time
            tuple(dict.fromkeys(path for part in parts for path in part.paths)),
            tuple(error for part in parts for error in part.errors),
            rules,
            tuple(share for part in parts for share in part.shares),
        )


# -- the plugin object --------------------------------------------------------------------------


class SuitePlugin:
    """Adds the suite's items to the session and runs wsgicheck once for them."""

    def __init__(self, config: pytest.Config, settings: Settings, app: WSGIApp) -> None:
        self.config = config
        self.settings = settings
        self.app = app
        workerinput: dict[str, Any] = getattr(config, "workerinput", {})
        #: The shares of the run (xdist workers only), this worker's, and how many there are.
        self.folder: ShareFolder | None = None
        self.index, self.count = 0, 1
        self.worker = str(workerinput.get("workerid", ""))
        if workerinput.get(SHARE_KEY) and ShareFolder.usable(Path(workerinput[SHARE_KEY])):
            self.folder = ShareFolder(Path(workerinput[SHARE_KEY]))
            self.count = max(1, int(workerinput.get("workercount", 1)))
            # A worker that replaces one that died has a number past the count: it explores
            # no share of its own, and computes those nobody wrote when its items need them.
            number = self.worker.removeprefix(WORKER_PREFIX)
            self.index = int(number) if number.isdigit() else self.count
        #: The folder this process made for its workers (the xdist controller), to remove,
        #: and how many workers share the run.
        self._made: Path | None = None
        self._workers = 1
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
            uid = str(node.workerinput.get("testrunuid", ""))[:12]
            self._made = Path(tempfile.mkdtemp(prefix=f"wsgicheck-{uid}-"))
        self._workers = max(1, int(node.workerinput.get("workercount", 1)))
        node.workerinput[SHARE_KEY] = str(self._made)
        node.workerinput[SEED_KEY] = self.settings.seed

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """(xdist worker) Claim this worker's share before xdist hears that the collection
        ended, and so before any worker runs an item, when the suite has items to judge."""
        if self.folder is None or self.index >= self.count or self.config.option.collectonly:
            return
        if any(isinstance(item, (RuleItem, RunItem)) for item in session.items):
            self.folder.claim(self.index)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        """(xdist worker) Explore this worker's share first, while the others explore theirs,
        whatever items xdist sends it (maybe none of the suite's)."""
        if self.folder is not None and self.folder.held(self.index):
            # An error is written with the share; each item that needs it reports it.
            with contextlib.suppress(Exception):
                self.folder.result(self.index, functools.partial(self._share, self.index))
        return (yield)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdicts = self._verdicts
        if verdicts is None and self._made is not None:
            parts = ShareFolder(self._made).written(self._workers)
            verdicts = Verdicts.merge(parts, self.settings.seed) if parts else None
        if verdicts is None:
            return
        paths = ", ".join(verdicts.paths[:8]) + (", ..." if len(verdicts.paths) > 8 else "")
        terminalreporter.write_sep("-", "wsgicheck")
        terminalreporter.write_line(
            f"{self.settings.target}: {verdicts.examples} examples in {verdicts.duration:.1f}s "
            f"(profile {self.settings.profile}, seed {verdicts.seed}), paths tried: {paths}"
        )
        for share in verdicts.shares:
            terminalreporter.write_line(
                f"  share {share.index + 1}/{share.count}: {share.examples} examples in "
                f"{share.duration:.1f}s, seed {share.seed}, explored by {share.worker}"
            )

    def pytest_unconfigure(self) -> None:
        if self.folder is not None:
            self.folder.release()
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
            self._verdicts = self._gathered() if self.folder is not None else self._run()
        except Exception as exc:
            self._error = exc
            raise
        return self._verdicts

    def _run(
        self,
        seed: int | None = None,
        examples: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> Verdicts:
        """The run (or ``examples`` of it drawn with ``seed``), with the app in a worker
        process (:mod:`wsgicheck.supervisor`): whatever it does there (exit, crash, print,
        fork), this pytest process reports it."""
        from .options import RunOptions
        from .supervisor import supervise

        s = self.settings
        options = RunOptions(
            profile=s.profile,
            max_examples=examples,
            seed=s.seed if seed is None else seed,
            paths=s.paths,
            headers=s.headers,
            exclude_paths=s.exclude_paths,
            select=s.select,
            ignore=s.ignore,
            strict=s.strict,
            transports=s.transport,
            database=s.database,
        )
        verdicts = Verdicts.of(supervise(s.target, options, on_progress=on_progress))
        return replace(verdicts, seed=s.seed)

    def _share(self, index: int) -> Verdicts:
        """Share ``index`` of the run, explored here."""
        from .options import PROFILES

        assert self.folder is not None
        folder = self.folder
        share = split(PROFILES[self.settings.profile], self.settings.seed, self.count)[index]
        folder.progress(index)
        verdicts = self._run(share.seed, share.examples, lambda *_: folder.progress(index))
        explored = Explored(
            index, self.count, share.seed, verdicts.examples, verdicts.duration, self.worker
        )
        return replace(verdicts, shares=(explored,))

    def _gathered(self) -> Verdicts:
        """Every share's verdicts, merged: this worker's own first, the others' as their
        workers write them (or computed here, should one have ended without)."""
        assert self.folder is not None
        folder = self.folder
        found = {
            index: folder.result(index, functools.partial(self._share, index))
            for index in sorted(range(self.count), key=lambda index: index != self.index)
        }
        return Verdicts.merge([found[index] for index in range(self.count)], self.settings.seed)


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
        if verdict.status == Verdict.SKIP:
            # One reason for all, so -rs folds them into one line; the item names the rule.
            pytest.skip(f"none of the {verdicts.examples} examples gave evidence for this rule")
        if verdict.status == Verdict.PASS or verdict.example is None:
            return
        finding = verdict.example.finding
        if Verdict.for_broken(self.rule.level, strict=self.plugin.settings.strict) is Verdict.WARN:
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
        for share in verdicts.shares:  # under xdist: who explored what, with which seed
            self.user_properties.append(
                (
                    f"wsgicheck_share_{share.index + 1}_of_{share.count}",
                    f"seed {share.seed}, {share.examples} examples, {share.worker}",
                )
            )
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


def failure_text(rule: Rule, verdict: RuleOutcome, verdicts: Verdicts, settings: Settings) -> str:
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
        f"Replay this run: --wsgi-seed={verdicts.seed} --wsgi-profile={settings.profile}"
        + (f" -n {verdicts.shares[0].count}" if len(verdicts.shares) > 1 else ""),
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
