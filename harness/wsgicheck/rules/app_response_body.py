"""Application rules on what it returns and writes: the iterable, its bytestrings and
``len()``, ``write()``, and the body they make (its length, a status that has none).

The calling protocol before it (the callable, ``start_response``, ``exc_info``) is judged in
:mod:`.app_protocol`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.events import block_size
from ..model.untrusted import show, type_name
from .exchange import Exchange
from .http_evidence import app_field, codes_nothing
from .registry import ORIGIN, Binding, Finding, Level, Rule, at, byte_count, quoted, rule


@rule(
    "APP-RETURN-ITERABLE",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details; The write() Callable",
    summary="the application returns an iterable of bytestrings (even after write())",
    pep="""When called by the server, the application object must return an iterable yielding
    zero or more bytestrings.""",
    needs=("returned",),
    memo="exchange",
    finds=("returned:odd",),
    example="""
bad:  return None          # after using write()
fix:  return []""",
)
def return_iterable(self: Rule, ex: Exchange) -> Iterator[Finding]:
    returned = ex.returned
    assert returned is not None
    if not returned.iterable:
        if ex.observations("file-wrapper-returned"):
            return  # what the server's wsgi.file_wrapper gave: SRV-FILE-WRAPPER-RETURNS-ITER's
        yield self.finding(
            ex, f"the app returned {returned.type_name}{at(returned.where)}", returned.where
        )
    elif returned.type_name in ("str", "bytes", "bytearray"):
        yield self.finding(
            ex,
            f"the app returned a bare {returned.type_name}{at(returned.where)}: it is iterated "
            "one character or byte at a time",
            returned.where,
        )


@rule(
    "APP-YIELD-BYTES",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details; Unicode Issues",
    summary="every block the iterable yields is bytes",
    pep="""When called by the server, the application object must return an iterable yielding
    zero or more bytestrings. ... For values referred to in this specification as
    "bytestrings" (i.e., values read from wsgi.input, passed to write() or yielded by
    the application), the value must be of type bytes under Python 3""",
    needs=("yield",),
    memo="exchange",
    finds=("yield:not-bytes",),
    example="""
bad:  return ["Hello"]
fix:  return [b"Hello"]  # or ["Hello".encode("utf-8")]""",
)
def yield_bytes(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.yields:
        if type(event.value) is not bytes:
            yield self.finding(
                ex,
                f"the iterable yielded {type_name(event.value)} {quoted(event.value)}"
                + at(event.where),
                event.where,
            )
            return


@rule(
    "APP-LEN-ACCURATE",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details",
    summary="if the returned iterable has len(), it is the number of blocks it yields",
    pep="""That is, if the iterable returned by the application provides a working __len__()
    method, it must return an accurate result.""",
    needs=("returned:len",),
    memo="exchange",
    example="""
bad:  class Body(list): def __len__(self): return 1   # yields three blocks
fix:  do not define __len__, or make it right""",
)
def len_accurate(self: Rule, ex: Exchange) -> Iterator[Finding]:
    returned = ex.returned
    assert returned is not None
    assert returned.length is not None
    yielded = len(ex.yields)
    if yielded > returned.length:
        # Even when the server stopped early: with len() == 1 it may send the first block's
        # size as Content-Length, and then it cuts the rest.
        yield self.finding(
            ex,
            f"len() said {returned.length}; the iterable yielded at least {yielded} blocks"
            + at(returned.where),
            returned.where,
        )
    elif ex.iteration_finished and yielded != returned.length:
        yield self.finding(
            ex,
            f"len() said {returned.length}; the iterable yielded {yielded} blocks"
            + at(returned.where),
            returned.where,
        )


@rule(
    "APP-WRITE-BYTES",
    level=Level.MUST,
    binding=Binding.APP,
    section="The write() Callable; Unicode Issues",
    summary="the argument to write() is bytes",
    pep="""The write() callable is returned by the start_response() callable, and it accepts a
    single parameter: a bytestring to be written as part of the HTTP response body""",
    needs=("write",),
    memo="exchange",
    example="""
bad:  write("Hello")
fix:  write(b"Hello")""",
)
def write_bytes(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.writes:
        if type(event.value) is not bytes:
            yield self.finding(
                ex,
                f"write() got {type_name(event.value)} {quoted(event.value)}{at(event.where)}",
                event.where,
            )
            return


@rule(
    "APP-NO-WRITE-FROM-ITER",
    level=Level.MUST,
    binding=Binding.APP,
    section="The write() Callable",
    summary="write() is not called from inside the returned iterable",
    pep="""Applications must not invoke write() from within their return iterable""",
    needs=("write",),
    memo="exchange",
    example="""
bad:  def app(environ, start_response):
          write = start_response("200 OK", h)
          yield write(b"x") or b""
fix:  yield b"x\"""",
)
def no_write_from_iter(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for event in ex.writes:
        if event.during_iteration:
            yield self.finding(
                ex,
                f"write() called from inside the iterable the app returned{at(event.where)}",
                event.where,
            )
            return


@rule(
    "APP-AVOID-WRITE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="Specification Details; The write() Callable",
    summary="new applications do not use the write() callable",
    pep="""New WSGI applications and frameworks should not use the write() callable if it is
    possible to avoid doing so.""",
    needs=("write",),
    memo="exchange",
    example="""
bad:  write = start_response("200 OK", h); write(b"Hello")
fix:  start_response("200 OK", h); return [b"Hello"]""",
)
def avoid_write(self: Rule, ex: Exchange) -> Iterator[Finding]:
    first = ex.writes[0]
    yield self.finding(ex, f"write() used {len(ex.writes)} time(s){at(first.where)}", first.where)


@rule(
    "APP-CL-ACCURATE",
    level=Level.MUST,
    implied=True,
    binding=Binding.APP,
    section="Handling the Content-Length Header",
    summary="a declared Content-Length matches the body produced",
    pep="""If the application supplies a Content-Length header, the server should not transmit
    more bytes to the client than the header allows ... (Of course, if the application
    does not provide enough data to meet its stated Content-Length, the server should
    close the connection and log or otherwise report the error.)""",
    covers=("APP-CL-ACCURATE", "MW-FIX-CONTENT-LENGTH"),
    # A length the app declared, or nothing to compare the body with.
    applies=lambda ex: (
        ex.method != "HEAD"
        and ex.response.status_code not in (204, 304)
        and ex.declared_length is not None
    ),
    needs=(),
    memo="exchange",
    example="""
bad:  [("Content-Length", str(len(text)))]   # len of the str, body encoded as UTF-8
fix:  body = text.encode(); [("Content-Length", str(len(body)))]""",
)
def cl_accurate(self: Rule, ex: Exchange) -> Iterator[Finding]:
    declared = ex.declared_length
    # Only a length the app declared: a server may compute one itself (from len() == 1),
    # and a body longer than that is APP-LEN-ACCURATE's business.
    if ex.truncated is not None and declared is not None:
        yield self.finding(
            ex,
            f"Content-Length said {ex.truncated.declared}; the app produced at least "
            f"{ex.truncated.produced} bytes",
        )
    elif declared is not None and ex.iteration_finished and ex.produced != declared:
        yield self.finding(
            ex, f"Content-Length said {declared}; the app produced {byte_count(ex.produced)}"
        )
    else:
        for refusal in ex.refusals(self.id):
            yield self.finding(ex, refusal.message)


@rule(
    "APP-NO-BODY-FOR-STATUS",
    level=Level.MUST,
    binding=Binding.APP,
    section="Other HTTP Features; RFC 9110 §15.3.5, §15.4.5",
    summary="a 204 or 304 response has no body",
    pep=ORIGIN,
    source="RFC 9110 §15.3.5, §15.4.5",
    # Each "is terminated by the end of the header section; it cannot contain content or
    # trailers": no keyword, the status's definition.
    implied=True,
    covers=(),
    applies=lambda ex: ex.response.status_code in (204, 304),
    needs=("start_response", "response:204-304"),
    memo="exchange",
    example="""
bad:  start_response("204 No Content", h); return [b"done"]
fix:  start_response("204 No Content", h); return []""",
)
def no_body_for_status(self: Rule, ex: Exchange) -> Iterator[Finding]:
    blocks = ex.body_blocks()
    if blocks:
        size = sum(block_size(event) for event, _ in blocks)
        where = getattr(blocks[0][0], "where", None)
        note = ""
        if codes_nothing(ex):
            note = _CODED_NOTHING.format(show((app_field(ex, "content-encoding") or "").strip()))
        yield self.finding(
            ex, f"a {ex.response.status_code} with {size} bytes of body{note}{at(where)}", where
        )


#: Why a 204 or 304 has a body that is a coding of nothing, most often (Django 5.2's
#: GZipMiddleware codes every streamed response, whatever its status: WhiteNoise's 304s).
_CODED_NOTHING = (
    " (Content-Encoding: {}, and the bytes decode to nothing: most often a compression layer "
    "that codes every stream whatever its status, as Django's GZipMiddleware does)"
)


@rule(
    "APP-NO-FILE-AS-ITERABLE",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="Supporting Older (<2.2) Versions of Python",
    summary="the app returns wsgi.file_wrapper(file), not a raw file object",
    pep="""You may not return a file object and expect it to work as an iterable, since before
    Python 2.2, files were not iterable. (In general, you shouldn't do this anyway,
    because it will perform quite poorly most of the time!) Use wsgi.file_wrapper or an
    application-specific file wrapper class.""",
    needs=("returned",),
    memo="exchange",
    finds=("returned:file",),
    example="""
bad:  return open("report.pdf", "rb")
fix:  return environ["wsgi.file_wrapper"](open("report.pdf", "rb"), 65536)""",
)
def no_file_as_iterable(self: Rule, ex: Exchange) -> Iterator[Finding]:
    returned = ex.returned
    assert returned is not None
    if returned.is_file:
        yield self.finding(
            ex, f"the app returned a {returned.type_name}{at(returned.where)}", returned.where
        )


#: Media types whose every block is an event a client waits for (an adversarial trial of
#: 2026-12-06: a stream of 70 server-sent events of 10 bytes failed APP-OWN-BUFFERING).
STREAMED_TYPES = frozenset({"text/event-stream", "multipart/x-mixed-replace"})


@rule(
    "APP-OWN-BUFFERING",
    level=Level.SHOULD,
    binding=Binding.APP,
    section="Specification Details; Buffering and Streaming",
    summary="the app buffers small bodies itself rather than yield many tiny blocks",
    pep="""(In other words, applications should perform their own buffering.""",
    needs=("blocks>1",),
    memo="exchange",
    finds=("blocks>=64",),
    example="""
bad:  return (c.encode() for c in text)   # one block per character
fix:  return [text.encode()]""",
)
def own_buffering(self: Rule, ex: Exchange) -> Iterator[Finding]:
    media = (app_field(ex, "content-type") or "").partition(";")[0].strip(" \t").lower()
    if media in STREAMED_TYPES:
        # "specialized uses of HTTP streaming (such as multipart "server push")" are the
        # PEP's own exception: each block is an event, due as soon as it is made.
        return
    blocks = [block_size(event) for event, _ in ex.body_blocks()]
    total = sum(blocks)
    # Many blocks that are all tiny: each is a separate send for the server. Large
    # downloads have larger blocks.
    if len(blocks) >= 64 and total / len(blocks) < 16:
        yield self.finding(
            ex, f"{len(blocks)} blocks of {total / len(blocks):.1f} bytes on average"
        )
