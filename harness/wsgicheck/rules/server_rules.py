"""Server rules: what a server does with the app (close, framing, start_response...)."""

from __future__ import annotations
