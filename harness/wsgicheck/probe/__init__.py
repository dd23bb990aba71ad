"""``wsgicheck probe``: judge real servers against the SERVER and ENVIRON rules.

The probe app (:mod:`.app`) runs inside the server under test and sends home, per request,
the environ the server built and the trace of what the server did with the app's side;
a raw-socket client (:mod:`wsgicheck.drivers.rawclient`) sends a fixed corpus (:mod:`.corpus`) and
generated requests and reads the answers; :mod:`.judge` turns both into exchanges for the
rules. Layers, lowest first: codec, channel, scenario_base, scenarios_errors, scenarios,
app (inside the server);
servers, process, session, answers, corpus, judge, differences, result, prober,
matrix, report, command (the prober's side, which never imports the other way).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .servers import KNOWN_SERVERS, PROBE_APP

if TYPE_CHECKING:
    from .result import ProbeOptions, ProbeResult

__all__ = ["KNOWN_SERVERS", "PROBE_APP", "ProbeOptions", "ProbeResult", "probe"]


def __getattr__(name: str) -> object:
    """The results are imported on first use: the command line's parser imports
    :mod:`.command`, and a server under test :mod:`.app`, through this package."""
    if name in ("ProbeOptions", "ProbeResult"):
        from . import result

        return getattr(result, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def probe(server: str, options: ProbeOptions | None = None) -> ProbeResult:
    """Probe ``server`` (a known name or a command template); see :mod:`.prober`."""
    from .prober import probe as run_probe

    return run_probe(server, options)
