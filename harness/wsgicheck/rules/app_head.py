"""Application rules on what it passes to ``start_response``: the status and the headers.

The checks themselves live in :mod:`wsgicheck.core.head`, where the server uses them to refuse
a bad call; here each rule reports the problems carrying its id, for every call the app
made, so one bad header is one finding of one rule.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..core.head import headers_problems, status_problems
from ..model.grammar import value_control_chars_re
from ..model.untrusted import show
from .exchange import Exchange
from .registry import Binding, Finding, Level, Rule, at, quoted, rule

SECTION = "The start_response() Callable"


def _status(rule_id: str, self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        for problem_rule, message in status_problems(call.status):
            if problem_rule == rule_id:
                yield self.finding(ex, message + at(call.where), call.where)


def _headers(rule_id: str, self: Rule, ex: Exchange) -> Iterator[Finding]:
    for call in ex.start_calls:
        for problem_rule, message in headers_problems(call.headers):
            if problem_rule == rule_id:
                yield self.finding(ex, message + at(call.where), call.where)


@rule(
    "APP-STATUS-STR",
    level=Level.MUST,
    binding=Binding.APP,
    section="Unicode Issues; The start_response() Callable",
    summary="status is a native str, not bytes",
    pep="""all strings passed to or from the server must be of type str or bytes, never
    unicode. ... Note also that strings passed to start_response() as a status or as
    response headers must follow RFC 2616 with respect to encoding.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-STATUS-STR",),
    example="""
bad:  start_response(b"200 OK", headers)
fix:  start_response("200 OK", headers)""",
)
def status_str(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _status(self.id, self, ex)


@rule(
    "APP-STATUS-FORMAT",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details; " + SECTION,
    summary="status is a 3-digit code, one space and a reason phrase (which may be empty), "
    "nothing around them",
    pep="""The status argument is an HTTP "status" string like "200 OK" or "404 Not Found".
    That is, it is a string consisting of a Status-Code and a Reason-Phrase, in that
    order and separated by a single space, with no surrounding whitespace or other
    characters.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-STATUS-FORMAT",),
    example="""
bad:  start_response("200", headers)     # no space after the code
bad:  start_response("200  OK", headers) # two spaces
fix:  start_response("200 OK", headers)""",
)
def status_format(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _status(self.id, self, ex)


@rule(
    "APP-STATUS-NO-CONTROL",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION,
    summary="status holds no control characters (no CR, LF, NUL...)",
    pep="""The string must not contain control characters, and must not be terminated with a
    carriage return, linefeed, or combination thereof.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-STATUS-NO-CONTROL",),
    example="""
bad:  start_response("200 OK\\r\\n", headers)   # response splitting
fix:  start_response("200 OK", headers)""",
)
def status_no_control(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _status(self.id, self, ex)


@rule(
    "APP-STATUS-FINAL",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; RFC 9110 §15, §15.2",
    summary="status is a final status (200-599); a WSGI app cannot send 1xx interim answers, "
    "and no code lies outside 100-599",
    pep="""The status argument is an HTTP "status" string like "200 OK" or "404 Not Found".""",
    source="RFC 9110 §15, §15.2",
    # §15: a request's responses are "zero or more "interim" (non-final) responses [...]
    # followed by exactly one "final" response"; the app's one status is that final one.
    # No keyword says so; nor in "Values outside the range 100..599 are invalid".
    implied=True,
    covers=(),
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-STATUS-FINAL",),
    example="""
bad:  start_response("100 Continue", headers)  # the server sends 100 Continue itself
fix:  read wsgi.input; the server answers Expect: 100-continue for you""",
)
def status_final(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _status(self.id, self, ex)


@rule(
    "APP-STATUS-HEADERS-LATIN1",
    level=Level.MUST,
    binding=Binding.APP,
    section="Unicode Issues; A Note On String Types",
    summary="status and header strings hold only code points U+0000-U+00FF (latin-1)",
    pep="""all "strings" referred to in this specification must contain only code points
    representable in ISO-8859-1 encoding (\\u0000 through \\u00FF, inclusive). It is a
    fatal error for an application to supply strings containing any other Unicode
    character or code point.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-STATUS-HEADERS-LATIN1",),
    example="""
bad:  ("Content-Disposition", "attachment; filename=résumé€.pdf")
fix:  ("Content-Disposition", "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%E2%82%AC.pdf")""",
)
def status_headers_latin1(self: Rule, ex: Exchange) -> Iterator[Finding]:
    yield from _status(self.id, self, ex)
    yield from _headers(self.id, self, ex)


@rule(
    "APP-HEADERS-LIST",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION,
    summary="response_headers is a real list (type(headers) is list)",
    pep="""The response_headers argument is a list of (header_name, header_value) tuples. It
    must be a Python list; i.e. type(response_headers) is ListType""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-HEADERS-LIST",),
    example="""
bad:  start_response("200 OK", (("Content-Type", "text/plain"),))
fix:  start_response("200 OK", [("Content-Type", "text/plain")])""",
)
def headers_list(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-HEADERS-TUPLES",
    level=Level.MUST,
    binding=Binding.APP,
    section="Specification Details; " + SECTION,
    summary="each header is a (name, value) tuple of exactly two items",
    pep="""The response_headers argument is a list of (header_name, header_value) tuples.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-HEADERS-TUPLES",),
    example="""
bad:  [["Content-Type", "text/plain"]]
fix:  [("Content-Type", "text/plain")]""",
)
def headers_tuples(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-HEADER-STR",
    level=Level.MUST,
    binding=Binding.APP,
    section="A Note On String Types; Unicode Issues",
    summary="header names and values are native str",
    pep=""""Native" strings (which are always implemented using the type named str) that are
    used for request/response headers and metadata""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-HEADER-STR",),
    example="""
bad:  [("Content-Length", 12)]
fix:  [("Content-Length", "12")]""",
)
def header_str(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-HEADER-NAME-TOKEN",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION,
    summary="each header name is an RFC 9110 token (no ':', spaces or other punctuation)",
    pep="""Each header_name must be a valid HTTP header field-name (as defined by RFC 2616,
    Section 4.2), without a trailing colon or other punctuation.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-HEADER-NAME-TOKEN",),
    example="""
bad:  [("Content-Type:", "text/plain")]
fix:  [("Content-Type", "text/plain")]""",
)
def header_name_token(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-HEADER-VALUE-NO-CONTROL",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION,
    summary="header values hold no control characters (CR, LF, NUL, DEL...)",
    pep="""Each header_value must not include any control characters, including carriage
    returns or linefeeds, either embedded or at the end.""",
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-HEADER-VALUE-NO-CONTROL",),
    example="""
bad:  [("Location", next_url)]  # next_url came from the query string: "/\\r\\nSet-Cookie: x"
fix:  validate or quote the value before it goes into a header""",
)
def header_value_no_control(self: Rule, ex: Exchange) -> Iterator[Finding]:
    yield from _headers(self.id, self, ex)
    # PEP 3333 forbids *any* control character, and HTAB is one. RFC 9110 §5.5 allows HTAB
    # inside a field value, so the server (wsgicheck.core.head) sends it on; the rule reports it.
    for call in ex.start_calls:
        if not isinstance(call.headers, list | tuple):
            continue
        for item in call.headers:
            if (
                type(item) is tuple
                and len(item) == 2
                and type(item[1]) is str
                and "\t" in item[1]
                and not value_control_chars_re.search(item[1])
            ):
                yield self.finding(
                    ex,
                    f"header {show(item[0])} has a tab: {quoted(item[1])}{at(call.where)}",
                    call.where,
                )


@rule(
    "APP-NO-HOP-BY-HOP",
    level=Level.MUST,
    binding=Binding.APP,
    section=SECTION + "; Other HTTP Features",
    summary="no hop-by-hop headers (Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-*)",
    pep="""Applications and middleware are forbidden from using HTTP/1.1 "hop-by-hop" features
    or headers, any equivalent features in HTTP/1.0, or any headers that would affect the
    persistence of the client's connection to the web server.""",
    covers=("APP-NO-HOP-BY-HOP", "MW-NO-HOP-BY-HOP"),
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-NO-HOP-BY-HOP",),
    example="""
bad:  [("Connection", "close")]
fix:  leave connection management to the server""",
)
def no_hop_by_hop(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-NO-TRANSFER-ENCODING",
    level=Level.MUST,
    binding=Binding.APP,
    section="Handling the Content-Length Header; Other HTTP Features",
    summary="no Transfer-Encoding header: the app applies no transfer-coding",
    pep="""(Note: applications and middleware must not apply any kind of Transfer-Encoding to
    their output, such as chunking or gzipping; as "hop-by-hop" operations, these
    encodings are the province of the actual web server/gateway.""",
    covers=("APP-NO-TRANSFER-ENCODING", "MW-NO-TRANSFER-ENCODING"),
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-NO-TRANSFER-ENCODING",),
    example="""
bad:  [("Transfer-Encoding", "chunked")] and hand-made chunk framing in the body
fix:  yield plain bytes; the server chunks when it needs to""",
)
def no_transfer_encoding(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)


@rule(
    "APP-CL-SYNTAX",
    level=Level.MUST,
    binding=Binding.APP,
    section="Handling the Content-Length Header; RFC 9110 §8.6, §2.2",
    summary="a Content-Length header is a decimal number, and repeats of it agree",
    pep="""If the application supplies a Content-Length header, the server should not transmit
    more bytes to the client than the header allows""",
    source="RFC 9110 §8.6, §2.2",
    covers=(),
    needs=("start_response",),
    memo="exchange",
    finds=("head:APP-CL-SYNTAX",),
    example="""
bad:  [("Content-Length", "12 bytes")]
fix:  [("Content-Length", str(len(body)))]""",
)
def cl_syntax(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _headers(self.id, self, ex)
