"""wsgicheck: a WSGI (PEP 3333) conformance test harness and validating fake server.

The public surface starts here: :class:`Client` drives an app in memory through the same core
the socket server uses; :class:`Request`, :class:`Response` and :class:`ServerConfig` are the
values it works with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .core import RefusedCall
from .environ import VERSION as __version__
from .environ import ServerConfig
from .events import Trace
from .request import Framing, InvalidRequest, Request
from .response import Response

if TYPE_CHECKING:
    from .client import Client

__all__ = [
    "Client",
    "Framing",
    "InvalidRequest",
    "Limits",
    "RefusedCall",
    "Request",
    "Response",
    "Server",
    "ServerConfig",
    "Trace",
    "Validator",
    "WSGIViolation",
    "WSGIWarning",
    "__version__",
    "live_server",
    "validator",
]


def __getattr__(name: str) -> object:
    """The transports are imported on first use: ``import wsgicheck`` stays light, and a
    module that reads values (a report) loads no transport."""
    if name == "Client":
        from .client import Client

        return Client
    if name in ("Server", "Limits", "live_server"):
        from . import server

        return getattr(server, name)
    if name in ("validator", "Validator", "WSGIViolation", "WSGIWarning"):
        from . import validation

        return getattr(validation, name)
    raise AttributeError(f"module 'wsgicheck' has no attribute {name!r}")
