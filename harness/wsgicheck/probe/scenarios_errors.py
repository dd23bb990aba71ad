"""The probe scenarios in which the app fails: invalid headers, an exception before or
after the head, ``exc_info`` given to ``start_response``, and whether the server lets go of
it. The point is what the *server* does then; the other scenarios are in :mod:`.scenarios`.
"""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Callable, Iterator
from typing import Any

from .scenario_base import TEXT, Context, ProbeError, length_field, read_body

#: The field each ``bad-headers`` request has the app pass beside its own. ``split``: a
#: value with a field line of its own after CR LF, which a server that writes it out as
#: given sends the client as a field the app never gave (response splitting; Paste 3.10's
#: httpserver does, a probe trial of 2026-12-07); ``split-lf`` and ``split-cr`` the same
#: after a bare LF or CR, which a server that looks only for CR LF lets through; ``nul``: a
#: value holding a NUL (waitress 3.0 refuses CR and LF, and sends a NUL on).
BAD_FIELDS = {
    "hop": ("Connection", "close"),
    "invalid": ("X Bad Name", "1"),
    "split": ("X-Split", "one\r\nX-Injected: by the value of X-Split"),
    "split-lf": ("X-Split", "one\nX-Injected: by the value of X-Split"),
    "split-cr": ("X-Split", "one\rX-Injected: by the value of X-Split"),
    "nul": ("X-Nul", "one\x00two"),
}


def bad_headers(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Pass a hop-by-hop header (``hop``: ``Connection: close``; ``te``: ``Transfer-Encoding:
    chunked`` over a body not chunked) or an invalid one (``invalid``: a name with spaces;
    ``split``: a value holding CR LF, or a bare LF or CR, and a field line; ``nul``: a value
    holding a NUL): does it raise?"""
    read_body(environ)
    body = b"start_response accepted the header\n"
    if ctx.arg == "te":
        # No length: the app claims a coding it did not apply, as PEP 3333 forbids it to.
        # A server that passes the field on over the raw body sends a message whose framing
        # is broken (eventlet 0.41, Tornado 6.6 with a Content-Length of its own beside it,
        # mod_wsgi 6.1: a probe trial of 2026-12-06).
        headers = [TEXT, ("Transfer-Encoding", "chunked")]
    else:
        # With its length: a server that sends an unsized body as it comes (netius 1.64)
        # ends it only at the close, and the request pipelined behind could not be told
        # apart from it (SRV-CLOSE-ENDS-CONNECTION was not judged; a probe trial of
        # 2026-12-06).
        bad = BAD_FIELDS.get(ctx.arg, BAD_FIELDS["invalid"])
        headers = [TEXT, bad, length_field(body)]
    try:
        start_response("200 OK", headers)
    except Exception:
        ctx.note("start_response_raised", True)
        body = b"start_response refused the header\n"
        start_response("500 Internal Server Error", [TEXT, length_field(body)], sys.exc_info())
        return [body]
    ctx.note("start_response_raised", False)
    return [body]


def raising(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """Raise before the head (``early``) or after the first block went out (``late``)."""
    read_body(environ)
    if ctx.arg == "early":
        raise ProbeError("wsgicheck probe: raised before start_response")
    start_response("200 OK", [TEXT])
    return _late_raise()


def _late_raise() -> Iterator[bytes]:
    yield b"the first block, then an exception\n"
    raise ProbeError("wsgicheck probe: raised after the head went out")


def exc_info(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response with exc_info before the head went out (``before``) or after."""
    read_body(environ)
    if ctx.arg == "before":
        # A field of its own, which the 500 drops: a server that keeps it kept the call.
        start_response("200 OK", [TEXT, ("X-Replaced", "the 200's field")])
        try:
            raise ProbeError("wsgicheck probe: an error before any body")
        except ProbeError:
            body = b"the app replaced its 200 with this 500\n"
            start_response("500 Internal Server Error", [TEXT, length_field(body)], sys.exc_info())
        return [body]
    return _exc_info_after(start_response)


def _exc_info_after(start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [TEXT])
    yield b"the first block; then exc_info, too late\n"
    try:
        raise ProbeError("wsgicheck probe: an error after the head went out")
    except ProbeError:
        # The server must raise here; the app lets it propagate, as the PEP says.
        start_response("500 Internal Server Error", [TEXT], sys.exc_info())
    yield b"start_response returned: the server accepted exc_info after the head\n"


def exc_ref(ctx: Context, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """start_response with exc_info replaces a 200; once it has returned and the app has left
    its except block, nothing but the server can still hold the exception: a garbage
    collection then tells whether the server kept exc_info (and with it the traceback and
    every frame on it)."""
    read_body(environ)
    start_response("200 OK", [TEXT])
    body = b"the app replaced its 200 with this 500\n"
    try:
        ref = _replace_with_exc_info(start_response, [TEXT, length_field(body)])
    except ProbeError:
        ctx.note("exc_info_raised", True)  # the server re-raised: nothing to judge here
        return [body]
    gc.collect()
    kept = ref()
    ctx.note("exc_info_kept", kept is not None)
    if kept is not None:
        ctx.note("exc_info_holders", holders_of(kept))
    del kept
    return [body]


def holders_of(kept: object) -> list[str]:
    """What still refers to ``kept``, frames aside: a module's attribute by its name (a
    server that prints the error with ``PyErr_Print`` leaves it in ``sys.last_value``),
    anything else by its type."""
    # Loops, not comprehensions: one that named ``kept`` would hold it in a cell.
    names: set[str] = set()
    for holder in gc.get_referrers(kept):
        if type(holder).__name__ == "frame":
            continue
        module = _module_of(holder) if isinstance(holder, dict) else None
        found = False
        if module is not None:
            for key, value in holder.items():
                if value is kept:
                    names.add(f"{module}.{key}")
                    found = True
        if not found:
            names.add(type(holder).__name__)
    return sorted(names)


def _module_of(namespace: dict[Any, Any]) -> str | None:
    """The name of the module whose namespace ``namespace`` is, if it is one."""
    for name, module in list(sys.modules.items()):
        if getattr(module, "__dict__", None) is namespace:
            return name
    return None


def _replace_with_exc_info(
    start_response: Callable[..., Any], headers: list[tuple[str, str]]
) -> weakref.ref[ProbeError]:
    """Raise, pass ``sys.exc_info()`` to start_response, and keep only a weak reference (no
    name in this frame binds the exception once the except block ends)."""
    try:
        raise ProbeError("wsgicheck probe: an error whose exc_info the server must not keep")
    except ProbeError as exc:
        ref = weakref.ref(exc)
        start_response("500 Internal Server Error", headers, sys.exc_info())
    return ref
