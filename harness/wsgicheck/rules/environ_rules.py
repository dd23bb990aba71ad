"""Environ rules: what the server puts in environ, its keys, types and values."""

from __future__ import annotations
