"""How a run is asked for: the options of ``wsgicheck check`` and the plugin, as one value.

The names a run's options take (profiles, transports, report formats) and its defaults are
defined here once; the runner, the settings table, the plugin and the reports read them.
Standard library only, and no other wsgicheck module: the pytest plugin imports it in every
pytest run, and a report reads it without loading the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_OPTIONS",
    "PROFILES",
    "REPORT_FILES",
    "TRANSPORTS",
    "RunOptions",
]

#: Examples per run for each profile.
PROFILES = {"quick": 50, "default": 200, "thorough": 1500}
#: Where requests go: both ways (each request through both, compared), or one of them.
TRANSPORTS = ("both", "memory", "socket")
#: Where Hypothesis keeps the examples that failed, to replay them first next time
#: (relative to the working directory, or in pytest to the rootdir).
DEFAULT_DATABASE = ".wsgicheck/examples"
#: Each report format, in the order they are listed, and the file ``check --report FORMAT
#: --report-dir DIR`` writes it to (the module ``wsgicheck.report.FORMAT`` renders it).
REPORT_FILES = {
    "text": "report.txt",
    "json": "report.json",
    "junit": "report.xml",
    "sarif": "report.sarif",
    "html": "report.html",
    "markdown": "report.md",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOptions:
    """How a run draws, judges and reports."""

    #: One of :data:`PROFILES`; None for a run that no profile sized (a probe: its
    #: examples are its own option, ``max_examples`` here).
    profile: str | None = "default"
    #: Overrides the profile's number of examples.
    max_examples: int | None = None
    #: None picks one at random (and the result says which).
    seed: int | None = None
    #: Paths the app serves, to try first and vary (learned ones are added).
    paths: tuple[str, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: SHOULD findings fail the run too.
    strict: bool = False
    #: One of :data:`TRANSPORTS`; None when the requests went through none of wsgicheck's
    #: (a probe sends them to another server).
    transports: str | None = "both"
    #: A directory or a ``redis://`` URL for Hypothesis's example database (see
    #: :mod:`wsgicheck.explore.exampledb`), or None for none.
    database: str | None = DEFAULT_DATABASE
    #: Seconds an exchange may take before it is abandoned and reported.
    timeout: float = 10.0
    #: Bytes of response body taken from an app before it is reported as endless.
    body_limit: int = 8 << 20
    #: Mount prefixes drawn for SCRIPT_NAME ("" is the server root).
    script_names: tuple[str, ...] = ("", "/app")
    #: Raw latin-1 bytes in targets (HTTP says no; some servers pass them through). The
    #: socket transport's server then takes them too (``Limits.raw_latin1_targets``).
    raw_bytes: bool = True
    #: Start with the fixed examples of :mod:`wsgicheck.explore.corpus` before generating.
    corpus: bool = True
    #: Header fields added to every request (``-H``), each replacing drawn fields of its
    #: name: a Host the app serves, credentials (see :mod:`wsgicheck.results.scope`).
    headers: tuple[tuple[str, str], ...] = ()
    #: Paths the run never sends a request to (``--exclude-path``): globs or path prefixes.
    exclude_paths: tuple[str, ...] = ()
    #: Send only the safe methods (``--read-only``: GET, HEAD, OPTIONS, TRACE, RFC 9110
    #: §9.2.1), none that asks the app to change what it holds.
    read_only: bool = False
    #: Spend a share of the examples on sequences that learn from the answers
    #: (:mod:`wsgicheck.explore.explorer`).
    sequences: bool = True

    def __post_init__(self) -> None:
        if self.profile is None and self.max_examples is None:
            raise ValueError("max_examples: needed when there is no profile")
        if self.profile is not None and self.profile not in PROFILES:
            raise ValueError(f"profile: one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.transports is not None and self.transports not in TRANSPORTS:
            raise ValueError(f"transports: one of {', '.join(TRANSPORTS)}, not {self.transports!r}")

    @property
    def examples(self) -> int:
        if self.max_examples is not None:
            return self.max_examples
        assert self.profile is not None  # checked in __post_init__
        return PROFILES[self.profile]


#: The defaults, read by the settings table (``wsgicheck.settings``) so each is written once.
DEFAULT_OPTIONS = RunOptions()
