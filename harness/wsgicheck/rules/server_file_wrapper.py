"""Server rules on ``wsgi.file_wrapper``: it returns an iterable, and its close() closes
the file.
"""

from __future__ import annotations

from collections.abc import Iterator

from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, rule

FILES = "Optional Platform-Specific File Handling"


@rule(
    "SRV-FILE-WRAPPER-RETURNS-ITER",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="wsgi.file_wrapper(filelike) returns an iterable",
    pep="""The callable must return an iterable object, and must not perform any data
    transmission until and unless the server/gateway actually receives the iterable as a
    return value from the application.""",
    applies=lambda ex: bool(ex.file_wrapper_calls),
    needs=("file_wrapper",),
    memo="exchange",
    finds=("observed:file-wrapper-not-iterable",),
    example="""
bad:  def file_wrapper(filelike, blksize=8192): return SendfileJob(filelike)   # no __iter__
fix:  give it __iter__ (reading blksize at a time) and use sendfile when it comes back""",
)
def file_wrapper_returns_iter(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("file-wrapper-not-iterable"):
        yield self.finding(ex, f"wsgi.file_wrapper returned a {seen.detail}, not an iterable")


@rule(
    "SRV-FILE-WRAPPER-CLOSE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="for a file-like object with close(), the file wrapper's iterable has close()",
    pep="""It may have a close() method, and if so, the iterable returned by
    wsgi.file_wrapper must have a close() method that invokes the original file-like
    object's close() method.""",
    applies=lambda ex: any(call.has_read for call in ex.file_wrapper_calls),
    needs=("file_wrapper",),
    memo="exchange",
    finds=(
        "observed:file-wrapper-no-close",
        "extra:filelike_closed",
        "extra:wrapper_closes_filelike",
    ),
    example="""
bad:  class FileWrapper: def __iter__(self): ...            # no close()
fix:  def close(self): self.filelike.close()""",
)
def file_wrapper_close(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for seen in ex.observations("file-wrapper-no-close"):
        yield self.finding(
            ex, f"the file-like object has close(); the {seen.detail} the wrapper gave has none"
        )
    # A probe also closes a wrapper it does not return (the "early" variant), and sees
    # whether the file-like object was closed once the server was done with a wrapper
    # returned (extra.filelike_closed). Where the first closed it, a file left open by the
    # second is the server's not calling close(): SRV-CLOSE-CALLED's.
    closes = ex.extra.wrapper_closes_filelike
    if closes is False and ex.extra.file_wrapper_variant == "early":
        yield self.finding(
            ex, "the app called the wrapper's close(), and the file-like object stayed open"
        )
    if ex.extra.filelike_closed is False and closes is None:
        yield self.finding(
            ex,
            "the file-like object was never closed: the server did not close the wrapper, "
            "or the wrapper's close() does not close the object",
        )
