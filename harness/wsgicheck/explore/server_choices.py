"""The Hypothesis strategy for the server choices PEP 3333 leaves open (SCRIPT_NAME, empty
or absent variables, the ``wsgi.*`` flags, short reads), each shrinking towards the default
server's choice. Public as :func:`wsgicheck.strategies.server_configs`, beside the requests.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..core.environ import ServerConfig

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
    return st.builds(
        lambda script_name, empty_cl, empty_qs, thread, process, wrapper, terminated, cap: _replace(
            base,
            script_name=script_name,
            no_body_content_length=empty_cl,
            empty_query_string=empty_qs,
            multithread=thread,
            multiprocess=process,
            file_wrapper=wrapper,
            input_terminated_always=terminated,
            max_read=cap,
        ),
        # Each choice shrinks towards the default server's, so a shrunk example differs
        # from the default only where the failure needs it to.
        st.sampled_from(names or [""]),
        st.sampled_from(["omit", "empty"]),
        st.sampled_from(["empty", "omit"]),
        st.booleans(),
        st.booleans(),
        _TRUE_FIRST,
        _TRUE_FIRST,
        st.one_of(st.none(), st.integers(1, 7)) if short_reads else st.none(),
    )


#: True or False, shrinking towards True (the default server's choice).
_TRUE_FIRST = st.sampled_from([True, False])


def _replace(config: ServerConfig, **changes: object) -> ServerConfig:
    from dataclasses import replace

    return replace(config, **changes)  # type: ignore[arg-type]
