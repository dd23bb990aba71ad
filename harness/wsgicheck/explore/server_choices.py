"""The Hypothesis strategy for the server choices PEP 3333 leaves open (SCRIPT_NAME, empty
or absent variables, the ``wsgi.*`` flags, short reads), each shrinking towards the default
server's choice. Public as :func:`wsgicheck.strategies.server_configs`, beside the requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..core.environ import ServerConfig
from .pieces import rolls

__all__ = ["server_configs"]


def server_configs(
    *,
    script_names: Sequence[str] = ("", "/app"),
    short_reads: bool = True,
    base: ServerConfig | None = None,
) -> st.SearchStrategy[ServerConfig]:
    """The choices PEP 3333 leaves to the server, drawn so an app relying on one is found.

    SCRIPT_NAME empty or a mount prefix (from ``script_names``); CONTENT_LENGTH absent or
    empty without a body; QUERY_STRING empty or absent without a query;
    ``wsgi.multithread``/``multiprocess``; ``wsgi.file_wrapper`` offered or not;
    ``wsgi.input_terminated`` always or only when chunked; short reads from ``wsgi.input``.
    ``base`` supplies the rest (server name and port).
    """
    names = list(script_names)
    for name in names:
        if name and (not name.startswith("/") or name.endswith("/")):
            raise InvalidArgument(f"script_names: {name!r} must be '' or '/prefix'")
    base = base or ServerConfig()
    # Each choice lists the default server's first, so that a shrunk example (every roll 0)
    # keeps the default server's, and differs from it only where it needs to.
    choices: list[tuple[str, Sequence[object]]] = [
        ("script_name", names or [""]),
        ("no_body_content_length", ["omit", "empty"]),
        ("empty_query_string", ["empty", "omit"]),
        ("multithread", [False, True]),
        ("multiprocess", [False, True]),
        ("file_wrapper", [True, False]),
        ("input_terminated_always", [True, False]),
        # No cap half the time, else reads of at most 1 to 7 bytes.
        ("max_read", [None] * 7 + list(range(1, 8)) if short_reads else [None]),
    ]

    def chosen(drawn: tuple[int, ...]) -> ServerConfig:
        return _replace(
            base,
            **{name: values[roll] for (name, values), roll in zip(choices, drawn, strict=True)},
        )

    # A roll for each choice, all in one Hypothesis choice, each shrinking towards 0.
    return rolls([len(values) for _, values in choices]).map(chosen)


def _replace(config: ServerConfig, **changes: object) -> ServerConfig:
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]
