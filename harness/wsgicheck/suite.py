"""The conformance suite of the pytest plugin: one item per rule, judged by one lazy run.

:mod:`wsgicheck.plugin` registers :class:`SuitePlugin` when ``--wsgi-app`` is given, so this
module (and the runner, the rules and Hypothesis behind it) is imported only then. The run
happens once per session, when the first suite item runs; every item then reports its
rule's verdict from it.

Under pytest-xdist the run scales out: worker ``k`` of ``n`` explores share ``k`` of the
examples with its own seed (:func:`wsgicheck.explore.shares.split`, as ``check --jobs n``
does), first
thing in its test loop, and leaves the verdicts in a folder the controller made for the
session. An item, on whichever worker, judges its rule from all the shares merged
(:meth:`Verdicts.merge`): the union of their findings, with the whole-run rules judged on
all the shares' answers together, the same for one seed and one number of workers.
Workers that cannot see the folder (remote ones) run the whole seeded
exploration themselves.
"""

from __future__ import annotations

import contextlib
import functools
import shutil
import tempfile
import warnings
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .drivers.validation import WSGIWarning
from .explore.shares import ShareFolder, split
from .model.errors import TargetError
from .model.events import Location
from .model.locations import user_location
from .model.options import RunOptions
from .model.untrusted import show
from .report.common import output_lines, output_title, sent_text
from .rules import REGISTRY, Finding, Rule
from .rules.verdicts import Verdict
from .suite_failure import failure_text
from .suite_verdicts import Explored, Verdicts

if TYPE_CHECKING:
    from .plugin import Settings

__all__ = ["RuleItem", "RunItem", "SuitePlugin", "SuiteWarning", "Verdicts"]

#: Keys the controller hands each xdist worker.
SHARE_KEY = "wsgicheck_share"
SEED_KEY = "wsgicheck_seed"
#: The prefix of pytest-xdist's worker ids (``gw0``, ``gw1``...).
WORKER_PREFIX = "gw"


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


class RunFailedEarlier(RuntimeError):
    """The session's run failed at an earlier item, which showed why; a line says so."""


#: The suite's node: its items are ``wsgicheck::RULE-ID`` and ``wsgicheck::run``.
SUITE_NAME = "wsgicheck"

#: Why an app the pytest process loaded may not load in the suite's worker: what was set up
#: for it there is not set up in the worker, or what the pytest process's import holds (a
#: trial of 2026-12-06: Zope's database file lock, taken on import) the worker cannot take.
WORKER_LOADS = (
    " (the suite loads the app in a fresh interpreter, as `wsgicheck check` does: what "
    "conftest.py or a plugin sets up in the pytest process, settings.configure() or "
    "pytest-django's test database, does not reach it; and where the pytest process has the "
    "app loaded too, for the wsgi_app fixture, what its import holds, a database's lock "
    "file, say, the worker cannot take: `wsgicheck check` loads the app once)"
)


# -- the plugin object --------------------------------------------------------------------------


class SuitePlugin:
    """Adds the suite's items to the session and runs wsgicheck once for them."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.config = config
        self.settings = settings
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
        suite = Suite.from_parent(session, name=SUITE_NAME, nodeid=SUITE_NAME, plugin=self)
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
            verdicts = (
                Verdicts.merge(parts, self.settings.seed, self.settings.target) if parts else None
            )
        if verdicts is None:
            return
        paths = ", ".join(verdicts.paths[:8]) + (", ..." if len(verdicts.paths) > 8 else "")
        asked = RunOptions(profile=self.settings.profile).examples
        terminalreporter.write_sep("-", "wsgicheck")
        terminalreporter.write_line(
            f"{self.settings.target}: {sent_text(verdicts.examples, asked)} in "
            f"{verdicts.duration:.1f}s "
            f"(profile {self.settings.profile}, seed {verdicts.seed}), paths tried: {paths}"
        )
        for share in verdicts.shares:
            terminalreporter.write_line(
                f"  share {share.index + 1}/{share.count}: {share.examples} examples in "
                f"{share.duration:.1f}s, seed {share.seed}, explored by {share.worker}"
            )
        for note in verdicts.all_notes:  # what the run could not judge: a pass may hide it
            terminalreporter.write_line(f"note: {show(note)}")
        output = verdicts.app_output
        failed = terminalreporter.stats.get("failed", [])
        if output is not None and any(_is_suite(report.nodeid) for report in failed):
            # As pytest shows a failing test's output: the suite's failures may point to it.
            terminalreporter.write_line(output_title(output))
            for line in output_lines(output):
                terminalreporter.write_line(f"  | {line}")

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
            error = f"{type(self._error).__name__}: {self._error}"
            raise RunFailedEarlier(
                f"the wsgicheck run failed earlier in this session: {show(error)}"
            ) from None
        try:
            self._verdicts = self._gathered() if self.folder is not None else self._run()
        except TargetError as exc:
            # A clean process or pytest's own loaded the app, its worker could not: said once,
            # in a line, and in a line by each other item, not each with the same traceback. The
            # session goes on: ending it (pytest.exit) would skip the user's own tests that
            # an ordering plugin put after this item, and is an INTERNALERROR under xdist.
            self._error = exc
            raise RunFailedEarlier(f"wsgicheck: {show(str(exc))}{WORKER_LOADS}") from None
        except BaseException as exc:
            # BaseException: pytest-timeout ends an item with pytest's Failed, which is
            # one; without it every later item ran the whole exploration again.
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
        process (:mod:`wsgicheck.explore.supervisor`): whatever it does there (exit, crash, print,
        fork), this pytest process reports it."""
        from .explore.signals import terminate_as_interrupt
        from .explore.supervisor import supervise
        from .model.options import RunOptions

        s = self.settings
        options = RunOptions(
            profile=s.profile,
            max_examples=examples,
            seed=s.seed if seed is None else seed,
            paths=s.paths,
            headers=s.headers,
            exclude_paths=s.exclude_paths,
            read_only=s.read_only,
            select=s.select,
            ignore=s.ignore,
            strict=s.strict,
            transports=s.transport,
            database=s.database,
            timeout=s.timeout,
            body_limit=s.body_limit << 20,
        )
        with terminate_as_interrupt():
            # A fresh interpreter, never a fork of pytest's process: a fork would inherit
            # every plugin's state (pytest-django's database blocker made a Django app
            # answer 500 under the suite and pass under check; audit of 2026-12-05).
            result = supervise(s.target, options, on_progress=on_progress, fresh=True)
        if result.interrupted:
            # Ctrl-C or SIGTERM in the middle of the run: pytest stops as it does on any
            # Ctrl-C (the workers ended), rather than give verdicts on a part of the run as
            # if it were the whole.
            raise KeyboardInterrupt
        return replace(Verdicts.of(result), seed=s.seed)

    def _share(self, index: int) -> Verdicts:
        """Share ``index`` of the run, explored here."""
        from .model.options import PROFILES

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
        merged = [found[index] for index in range(self.count)]
        return Verdicts.merge(merged, self.settings.seed, self.settings.target)


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


class _SuiteItem(pytest.Item):
    """An item of the suite: its own failures are shown as their text, not a traceback
    through the plugin's code."""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, (RuleFailed, RunFailedEarlier)):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)


class RuleItem(_SuiteItem):
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
            # Escaped as the terminal shows it: a JUnit consumer gets no raw control byte.
            warning = show(f"{finding.rule}: {finding.message}")
            self.user_properties.append(("wsgicheck_warning", warning))
            _warn(finding, verdicts.app_location)
            return
        raise RuleFailed(failure_text(self.rule, verdict, verdicts, self.plugin.settings))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"wsgicheck rule {self.rule.id}"


class RunItem(_SuiteItem):
    """The run itself: fails on its errors (an exchange wsgicheck could not complete, a run
    that sent the app too few requests to judge it), not a rule's."""

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
            count = len(verdicts.errors)
            # (wsgicheck's own trouble, or too few answers to judge: a hanging app's)
            lines = [
                f"the wsgicheck run could not judge the app ({count} error{'s' * (count != 1)}):"
            ]
            lines += [f"    {error}" for error in verdicts.errors[:20]]
            raise RuleFailed("\n".join(lines))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, "wsgicheck run"


def _is_suite(nodeid: str) -> bool:
    """Whether a test report's node is one of the suite's items."""
    return nodeid.split("::", 1)[0] == SUITE_NAME


def _warn(finding: Finding, app_location: Location | None) -> None:
    """Warn at the app's line (its definition, where the finding's is a library's, as
    ``check`` places it), past any ``error`` filter: a SHOULD finding never fails without
    ``--wsgi-strict``, even where a project turns warnings into errors. pytest still
    records it (its recorder is the one outside this block)."""
    where = user_location(finding.where, app_location)
    with warnings.catch_warnings():
        warnings.simplefilter("always", SuiteWarning)
        warnings.warn_explicit(
            SuiteWarning(replace(finding, where=where)),  # its text names that place too
            SuiteWarning,
            where.file if where else "<wsgicheck>",
            where.line if where else 0,
        )
