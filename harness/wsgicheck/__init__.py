"""wsgicheck: a WSGI (PEP 3333) conformance test harness and validating fake server.

The public surface starts here: :class:`Client` drives an app in memory through the same core
the socket server uses; :class:`Request`, :class:`Response` and :class:`ServerConfig` are the
values it works with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .core.environ import VERSION as __version__
from .core.environ import ServerConfig
from .core.invoke import RefusedCall
from .model.events import Trace
from .model.request import Framing, InvalidRequest, Request
from .model.response import Response

if TYPE_CHECKING:
    from .drivers.client import Client

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
        from .drivers.client import Client

        return Client
    if name in ("Server", "Limits", "live_server"):
        from .drivers import server

        return getattr(server, name)
    if name in ("validator", "Validator", "WSGIViolation", "WSGIWarning"):
        from .drivers import validation

        return getattr(validation, name)
    raise AttributeError(f"module 'wsgicheck' has no attribute {name!r}")
