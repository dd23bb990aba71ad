"""Server rules only a probe can feed: what a client sees, and when.

``wsgicheck probe`` runs its app inside a real server and talks to it with a raw client;
the client adds what only it knows to ``Exchange.extra`` (fields below). Exchanges without
those fields (every other source) leave these rules unapplied, so they are skipped, never
passed.

* ``first_block_received`` (bool): in the unbuffered scenario the app yields a block and
  waits for the client to confirm it arrived before it yields the next; False when the
  app's wait ran out.
* ``expect`` (an :class:`~wsgicheck.model.extra.Expect`): an ``Expect: 100-continue`` request
  whose body the client held back: ``continued`` (a 100 came), ``final_first`` (a final
  response came first), ``version`` (the HTTP version the server answered with).
* ``callable_kind`` (str), ``callable_error`` and ``callable_answered``: the server was
  started with the probe app as another kind of callable (function, class, bound method,
  ``functools.partial``); why it did not answer, or that its answer was the app's own.
* ``exc_info_kept`` (bool) and ``exc_info_holders`` (a module attribute's name, else a type
  name, each): whether the exception the app passed as exc_info outlived start_response
  and a garbage collection, and what held it.
* ``file_wrapper_variant`` (``"file"``, ``"nofileno"``, ``"offset"``, ``"early"``) and
  ``file_wrapper_expected`` (bytes): the body a client should get when the app used
  ``wsgi.file_wrapper`` that way.
* ``closes_unannounced`` (int): on how many fresh connections in a row (two at most)
  the server closed after an HTTP/1.1 answer that did not say ``Connection: close``,
  before answering the request sent next on it.
* ``answer`` (an :class:`~wsgicheck.model.extra.Answer`): the probe id the response read
  for a request names as the one it answers, where it names another request or answers
  a pipelined follow-up, or that a pipelined follow-up got no answer on a connection
  kept open (a server that closes after each response gives none).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..model.extra import Expect
from .exchange import Exchange
from .registry import ORIGIN, Binding, Finding, Level, Rule, rule
from .server_evidence import judgeable, on_wire, server_answered

STREAMING = "Buffering and Streaming"
EXPECT = "HTTP 1.1 Expect/Continue"
FILES = "Optional Platform-Specific File Handling"


@rule(
    "SRV-UNBUFFERED-TX",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=STREAMING,
    summary="each block the app yields reaches the client before the app has to yield the next",
    pep="""WSGI servers, gateways, and middleware must not delay the transmission of any
    block; they must either fully transmit the block to the client, or guarantee that they
    will continue transmission even while the application is producing its next block.""",
    applies=lambda ex: isinstance(ex.extra.first_block_received, bool) and judgeable(ex),
    needs=("extra:first_block_received",),
    memo="exchange",
    example="""
bad:  self.buffer += block              # sent when the buffer fills, or at the end
fix:  sock.sendall(block)                # before asking the iterable for the next block""",
)
def unbuffered_tx(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.extra.first_block_received is False:
        yield self.finding(
            ex,
            "the first block did not reach the client while the app waited before its next "
            "one: the server held it back",
        )


def _expect(ex: Exchange) -> Expect | None:
    """The client's view of an Expect: 100-continue exchange, if it is one."""
    return ex.extra.expect


def _http11(ex: Exchange) -> bool:
    """The server speaks HTTP/1.1 (the PEP's Expect/Continue duty is for those only), to a
    client that does (an HTTP/1.0 client's Expect is to be ignored: SRV-NO-1XX-TO-HTTP10)."""
    evidence = _expect(ex)
    return (
        evidence is not None and evidence.version == "HTTP/1.1" and ex.request.http_version == "1.1"
    )


def _read_total(ex: Exchange) -> int:
    return sum(read.size for read in ex.input_reads)


@rule(
    "SRV-EXPECT-CONTINUE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=EXPECT,
    summary="an HTTP/1.1 server handles Expect: 100-continue: the app gets the whole body",
    pep="""Servers and gateways that implement HTTP 1.1 must provide transparent support for
    HTTP 1.1's "expect/continue" mechanism.""",
    applies=lambda ex: _http11(ex) and not ex.timed_out,
    needs=("extra:expect",),
    memo="exchange",
    example="""
bad:  if headers.get("expect"): return error(417)
fix:  send "HTTP/1.1 100 Continue" at once, or when the app first reads wsgi.input""",
)
def expect_continue(self: Rule, ex: Exchange) -> Iterator[Finding]:
    status = ex.response.status_code
    size = len(ex.request.body)
    if status == 0:
        ran = "the app ran" if ex.app_ran else "the app never ran"
        came = (
            "100 Continue came, then no final response"
            if (_expect(ex) or Expect()).continued
            else "no response came"
        )
        yield self.finding(ex, f"{came} to an Expect: 100-continue request of {size} bytes ({ran})")
        return
    if not ex.app_ran:
        if status >= 400:
            yield self.finding(ex, f"the server refused an Expect: 100-continue request: {status}")
        return
    total = _read_total(ex)
    if total < size:
        yield self.finding(
            ex, f"the app read {total} of the {size} bytes the client sent after Expect"
        )


@rule(
    "SRV-EXPECT-READ-BLOCKS",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=EXPECT,
    summary="after 100 Continue, a read of wsgi.input waits for the body; it does not end early",
    pep="""Proceed with the request normally, but provide the application with a wsgi.input
    stream that will send the "100 Continue" response if/when the application first attempts
    to read from the input stream. The read request must then remain blocked until the
    client responds.""",
    applies=lambda ex: (
        (_expect(ex) or Expect()).continued is True and ex.app_ran and bool(ex.input_reads)
    ),
    needs=("extra:expect",),
    memo="exchange",
    example="""
bad:  def read(self, size): self.send_continue(); return self.sock.recv(size, MSG_DONTWAIT)
fix:  def read(self, size): self.send_continue(); return self.rfile.read(size)  # blocks""",
)
def expect_read_blocks(self: Rule, ex: Exchange) -> Iterator[Finding]:
    for read in ex.input_reads:
        asked = read.method != "read" or read.argument != 0
        if asked and read.size == 0 and read.available:
            yield self.finding(
                ex,
                f"wsgi.input.{read.method}() returned b'' with {read.available} bytes of the "
                "body still to come from the client",
            )
            return


@rule(
    "SRV-EXPECT-NO-TIMEOUT-WAIT",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=EXPECT,
    summary="an HTTP/1.1 server sends 100 Continue rather than wait for the client to give up",
    pep="""Wait until the client decides that the server does not support expect/continue,
    and sends the request body on its own. (This is suboptimal, and is not recommended.)""",
    applies=lambda ex: _http11(ex) and ex.app_ran and not ex.timed_out,
    needs=("extra:expect",),
    memo="exchange",
    example="""
bad:  ignore Expect; the client waits (curl: 1 s) before it sends the body unasked
fix:  answer "HTTP/1.1 100 Continue" when the app reads wsgi.input (or at once)""",
)
def expect_no_timeout_wait(self: Rule, ex: Exchange) -> Iterator[Finding]:
    evidence = _expect(ex) or Expect()
    if not evidence.continued and not evidence.final_first:
        yield self.finding(
            ex,
            "no 100 Continue came: the client had to stop waiting and send its body unasked",
        )


@rule(
    "SRV-NO-1XX-TO-HTTP10",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=EXPECT + "; RFC 9110 §15.2, §10.1.1",
    summary="no 100 Continue (no 1xx at all) goes to an HTTP/1.0 client, whose Expect the "
    "server ignores",
    pep=ORIGIN,
    source="RFC 9110 §15.2",
    covers=(),
    applies=lambda ex: _expect(ex) is not None and ex.request.http_version == "1.0",
    needs=("extra:expect",),
    memo="exchange",
    example="""
bad:  if headers.get("expect") == "100-continue": send("HTTP/1.1 100 Continue")
fix:  send it only to an HTTP/1.1 request (ignore an HTTP/1.0 client's Expect)""",
)
def no_1xx_to_http10(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9110 §15.2: "Since HTTP/1.0 did not define any 1xx status codes, a server MUST NOT
    # send a 1xx response to an HTTP/1.0 client"; §10.1.1: "A server that receives a
    # 100-continue expectation in an HTTP/1.0 request MUST ignore that expectation." Such a
    # client reads the 100 as the final answer, and the real one as junk after it.
    if (_expect(ex) or Expect()).continued:
        yield self.finding(
            ex,
            "the server sent 100 Continue to an HTTP/1.0 request's Expect, which it must "
            "ignore: an HTTP/1.0 client reads the 100 as its answer",
        )


def _file_case(variant: str) -> Any:
    """``applies`` for the file-wrapper scenario ``variant``, on the app's own answer."""

    def applies(ex: Exchange) -> bool:
        return (
            ex.extra.file_wrapper_variant in variant.split("|")
            and isinstance(ex.extra.file_wrapper_expected, bytes)
            and bool(ex.file_wrapper_calls)
            and on_wire(ex)
            and judgeable(ex)
            and not server_answered(ex)
        )

    return applies


def _body_problem(ex: Exchange) -> str | None:
    """How the body received differs from the one expected, or None."""
    expected = ex.extra.file_wrapper_expected or b""
    got = ex.response.body
    if ex.response.body_size == len(expected) and got == expected:
        return None
    if not got:
        return f"the client got no body, not the {len(expected)} bytes expected"
    for offset, (want, have) in enumerate(zip(expected, got, strict=False)):
        if want != have:
            return f"body byte {offset} is {bytes([have])!r}, not {bytes([want])!r}"
    return f"the client got {ex.response.body_size} bytes, not {len(expected)}"


@rule(
    "SRV-FILE-WRAPPER-NO-EARLY-TX",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="a file wrapper the app made but did not return sends nothing",
    pep="""The callable must return an iterable object, and must not perform any data
    transmission until and unless the server/gateway actually receives the iterable as a
    return value from the application.""",
    applies=_file_case("early"),
    needs=("extra:file_wrapper_variant", "file_wrapper"),
    memo="exchange",
    example="""
bad:  def file_wrapper(filelike, blksize=8192): sendfile(sock, filelike.fileno())
fix:  return a wrapper; sendfile only when the app returns that very wrapper""",
)
def file_wrapper_no_early_tx(self: Rule, ex: Exchange) -> Iterator[Finding]:
    problem = _body_problem(ex)
    if problem:
        yield self.finding(ex, f"the app made a file wrapper and returned another body; {problem}")


@rule(
    "SRV-FILE-WRAPPER-FALLBACK",
    level=Level.MUST,
    binding=Binding.SERVER,
    section=FILES,
    summary="over an object without fileno(), the file wrapper still sends what read() gives",
    pep="""Note that even if the object is not suitable for the platform API, the
    wsgi.file_wrapper must still return an iterable that wraps read() and close(), so that
    applications using file wrappers are portable across platforms.""",
    applies=_file_case("nofileno"),
    needs=("extra:file_wrapper_variant", "file_wrapper"),
    memo="exchange",
    example="""
bad:  os.sendfile(sock.fileno(), wrapper.filelike.fileno(), ...)   # AttributeError
fix:  if no usable fileno(): iterate filelike.read(blksize) until b''""",
)
def file_wrapper_fallback(self: Rule, ex: Exchange) -> Iterator[Finding]:
    problem = _body_problem(ex)
    if problem:
        yield self.finding(ex, f"wsgi.file_wrapper over an object with no fileno(): {problem}")


@rule(
    "SRV-FILE-WRAPPER-SEMANTICS",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section=FILES,
    summary="a file wrapper sends from the file's position to its end or to Content-Length",
    pep="""Apart from the handling of close(), the semantics of returning a file wrapper from
    the application should be the same as if the application had returned
    iter(filelike.read, ''). In other words, transmission should begin at the current
    position within the "file" at the time that transmission begins, and continue until the
    end is reached, or until Content-Length bytes have been written.""",
    applies=_file_case("file|offset"),
    needs=("extra:file_wrapper_variant", "file_wrapper"),
    memo="exchange",
    example="""
bad:  os.sendfile(out, filelike.fileno(), 0, os.fstat(fd).st_size)   # from the start
fix:  start at filelike.tell(), send at most Content-Length bytes""",
)
def file_wrapper_semantics(self: Rule, ex: Exchange) -> Iterator[Finding]:
    problem = _body_problem(ex)
    if problem:
        yield self.finding(ex, f"the file wrapper's body is not the file's: {problem}")


@rule(
    "SRV-NO-EXC-INFO-REF",
    level=Level.SHOULD,
    binding=Binding.SERVER,
    section="The start_response() Callable",
    summary="start_response keeps no reference to exc_info once it has returned",
    pep="""servers, gateways, or middleware implementing start_response should ensure that
    no reference is held to the exc_info parameter beyond the duration of the function's
    execution, to avoid creating a circular reference through the traceback and frames
    involved.""",
    applies=lambda ex: isinstance(ex.extra.exc_info_kept, bool) and judgeable(ex),
    needs=("extra:exc_info_kept",),
    memo="exchange",
    example="""
bad:  self.exc_info = exc_info            # the traceback and its frames live on
fix:  try: ... finally: exc_info = None   # drop it before start_response returns""",
)
def no_exc_info_ref(self: Rule, ex: Exchange) -> Iterator[Finding]:
    if ex.extra.exc_info_kept is True:
        holders = ex.extra.exc_info_holders or ()
        held = f" (held by: {', '.join(holders)})" if holders else ""
        yield self.finding(
            ex,
            "the exception passed as exc_info was still alive after start_response returned "
            f"and a garbage collection ran: the server kept a reference to it{held}",
        )


@rule(
    "SRV-CALLABLE-OPAQUE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Specification Overview; The Application/Framework Side",
    summary="the server takes the app as any kind of callable: function, class, method, "
    "instance, partial",
    pep="""Conversely, a server, gateway, or application that is invoking a callable must not
    have any dependency on what kind of callable was provided to it. Callables are only
    to be called, not introspected upon. ... The application object is simply a callable
    object that accepts two arguments. The term "object" should not be misconstrued as
    requiring an actual object instance: a function, method, class, or instance with a
    __call__ method are all acceptable for use as an application object.""",
    applies=lambda ex: isinstance(ex.extra.callable_kind, str),
    needs=("extra:callable_kind",),
    memo="exchange",
    example="""
bad:  if not inspect.isfunction(app): raise TypeError("not a WSGI app")
fix:  if not callable(app): ...          # then only ever call it: app(environ, start_response)""",
)
def callable_opaque(self: Rule, ex: Exchange) -> Iterator[Finding]:
    kind = ex.extra.callable_kind
    error = ex.extra.callable_error
    if isinstance(error, str):
        yield self.finding(ex, f"with the app given as a {kind}: {error}")
        return
    status = ex.response.status_code
    # The app's own answer is evidence it ran, where its record never came home.
    ran = ex.app_ran or ex.extra.callable_answered is True
    if not ran or status != 200:
        answered = f"answered {status}" if status else "did not answer"
        how = "the app ran" if ran else "the app never ran"
        yield self.finding(ex, f"with the app given as a {kind}, the server {answered} and {how}")


@rule(
    "SRV-RESPONSE-ORDER",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Other HTTP Features; RFC 9112 §9.3.2",
    summary="pipelined requests get their responses in the order they were sent, each its own",
    pep=ORIGIN,
    source="RFC 9112 §9.3.2",
    covers=(),
    needs=("extra:answer",),
    memo="exchange",
    example="""
bad:  parse every request in the read buffer, answer only the last one
bad:  answer the first request of a read and drop what came behind it
fix:  answer the requests on a connection one by one, in the order they came""",
)
def response_order(self: Rule, ex: Exchange) -> Iterator[Finding]:
    answer = ex.extra.answer
    assert answer is not None  # needs=
    if answer.answered == answer.asked:
        return
    asked = f"probe {answer.asked} ({ex.request.method} {ex.request.target})"
    if answer.answered is None:
        yield self.finding(
            ex,
            f"{asked} was sent in one write behind another request, which was answered; "
            f"the server kept the connection open and sent nothing more in the "
            f"{answer.waited:g}s the client waited: the request was dropped, and the "
            "client is left hanging",
        )
        return
    when = "sent after it" if answer.answered > answer.asked else "sent before it"
    yield self.finding(
        ex,
        f"the response read for {asked} {answer.read_instead()}, {when} on the same "
        "connection: the client takes one request's answer for another's",
    )


@rule(
    "SRV-CLOSE-ENDS-CONNECTION",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Other HTTP Features; RFC 9112 §9.6",
    summary="after a response that says Connection: close, the server closes the connection "
    "and answers no request that came behind it",
    pep=ORIGIN,
    source="RFC 9112 §9.6",
    covers=(),
    needs=("extra:after_close",),
    memo="exchange",
    example="""
bad:  write the response with Connection: close, then parse the next request in the buffer
fix:  after a response that says close, close the connection (and read nothing more)""",
)
def close_ends_connection(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9112 §9.6: "A server that sends a "close" connection option MUST initiate closure
    # of the connection [...] after it sends the response containing the "close" connection
    # option. The server MUST NOT process any further requests received on that
    # connection."
    after = ex.extra.after_close
    whose = (
        " (the app's own Connection field, which the server sent on and so owns)"
        if ex.extra.close_from_app
        else ""
    )
    if after == "answered":
        yield self.finding(
            ex,
            f"this request came behind one whose answer said Connection: close{whose}, and "
            "the server answered it on the same connection: it processed a request it must "
            "not have",
        )
    elif after == "open":
        yield self.finding(
            ex,
            f"after an answer that said Connection: close{whose} the server kept the "
            "connection open, with this request behind it",
        )
    elif ex.app_ran:
        yield self.finding(
            ex,
            f"this request came behind one whose answer said Connection: close{whose}; the "
            "server closed the connection, but ran the app for it first",
        )


@rule(
    "SRV-BOTH-LENGTHS-CLOSE",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="Other HTTP Features; RFC 9112 §6.1",
    summary="after answering a request that sent both Content-Length and "
    "Transfer-Encoding, the server closes the connection",
    pep=ORIGIN,
    source="RFC 9112 §6.1",
    covers=(),
    needs=("extra:after_both_lengths",),
    memo="exchange",
    example="""
bad:  read a chunked request that says Content-Length too, answer it, read the next one
fix:  refuse it (400), or read it by its chunks alone; then close the connection""",
)
def both_lengths_close(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9112 §6.1: "A server MAY reject a request that contains both Content-Length and
    # Transfer-Encoding or process such a request in accordance with the Transfer-Encoding
    # alone. Regardless, the server MUST close the connection after responding to such a
    # request to avoid the potential attacks."
    after = ex.extra.after_both_lengths
    if after == "answered":
        yield self.finding(
            ex,
            "this request came behind one that sent both Content-Length and "
            f"Transfer-Encoding, and the server answered it ({ex.response.status_code}) on "
            "the same connection, which it must close after its first answer: a front end "
            "that read the other length would have sent it another request (smuggling)",
        )
    elif after == "open":
        # (Whether or not it answered that request: bjoern 3.2 answers only the one behind.)
        yield self.finding(
            ex,
            "this request came behind one that sent both Content-Length and "
            "Transfer-Encoding, and the server kept the connection open, which it must close "
            "after answering that request",
        )


@rule(
    "SRV-CLOSE-ANNOUNCED",
    level=Level.MUST,
    binding=Binding.SERVER,
    section="The start_response() Callable; RFC 9112 §9.3",
    summary="a server that does not keep connections open says so in each response "
    "(Connection: close)",
    pep="""if the application omits a header required by HTTP (or other relevant
    specifications that are in effect), the server or gateway must add it.""",
    source="RFC 9112 §9.3",
    covers=(),
    needs=("extra:closes_unannounced",),
    memo="exchange",
    example="""
bad:  answer HTTP/1.1 with no Connection field, then close the socket
fix:  add Connection: close to each response of a connection the server will not keep""",
)
def close_announced(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # RFC 9112 §9.3: "A server that does not support persistent connections MUST send the
    # 'close' connection option in every response message that does not have a 1xx status
    # code." Twice in a row, on fresh connections, with the next request already sent: no
    # idle timer of a server that keeps connections closes that fast.
    closes = ex.extra.closes_unannounced
    if closes is not None and closes >= 2:
        yield self.finding(
            ex,
            f"the server closed the connection after this HTTP/1.1 response, which did not "
            f"say Connection: close, before answering the request sent next on it ({closes} "
            "connections in a row): a client takes such a connection as open, and its next "
            "request on it goes unanswered",
        )
