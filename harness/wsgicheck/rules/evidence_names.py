"""The names of the evidence an exchange may hold (:attr:`Exchange.evidence
<wsgicheck.rules.exchange.Exchange.evidence>`), which rules declare they need."""

__all__ = ["EVIDENCE", "EVIDENCE_PREFIXES"]

#: What :attr:`Exchange.evidence` may hold, and what each name means.
EVIDENCE = {
    # The source, and what the app did.
    "environ": "the app ran: the server built an environ for it",
    "previous": "an earlier exchange of the same request (a replay)",
    "wire": "the response is what a client received (any source but the validator)",
    "own": "wsgicheck's own transports recorded it (memory or socket)",
    "inside": "a server watched from inside: the validator or a probe (and the app ran)",
    # One per kind of trace event.
    "start_response": "a StartResponseCalled event",
    "refused": "a Refused event",
    "returned": "an AppReturned event",
    "raised": "an AppRaised event",
    "yield": "a Yielded event",
    "write": "a WriteCalled event",
    "close": "a CloseCalled event",
    "input": "an InputRead event",
    "errors": "an ErrorsWritten event",
    "misuse": "a StreamMisuse event",
    "file_wrapper": "a FileWrapperCalled event",
    "headers_sent": "a HeadersSent event",
    "truncated": "a BodyTruncated event",
    "short": "a BodyShort event",
    "limit": "a BodyLimitReached event",
    "client_gone": "a ClientGone event",
    "timed_out": "a TimedOut event",
    "exhausted": "an Exhausted event",
    "observed": "a ServerObserved event",
    # Facts about the events.
    "head-problem": "a start_response call broke a status or header check (any head: rule)",
    "start_response:again": "start_response was called more than once",
    "sr-args": "a start_response call had keywords, or not 2 or 3 positional arguments",
    "exc_info:empty": "a start_response call passed the (None, None, None) exc_info",
    "exc_info:exception": "a start_response call passed a real exc_info",
    "exc_info:malformed": "a start_response call passed an exc_info that is no triple",
    "late-exc-info": "a real exc_info passed after the head went out",
    "handling": "start_response was called while an exception was being handled",
    "sr-missing": "the app returned and never called start_response",
    "early-body": "a block or a write() came before any start_response call",
    "yield:not-bytes": "the iterable yielded something that is not bytes",
    "returned:len": "the returned iterable has a len()",
    "returned:file": "the app returned a file object",
    "returned:odd": "the app returned something not iterable, or a bare str or bytes",
    "blocks>1": "the app produced more than one non-empty bytes block",
    "blocks>=64": "the app produced at least 64 non-empty bytes blocks",
    "returned:close": "the returned iterable has a close()",
    "returned:first": "the app returned before any start_response call",
    "reads": "the app read wsgi.input (an InputRead event, or a read seen raising)",
    "app-header:beyond-ascii": "a header value given to start_response is not ASCII",
    "request:chunked": "the request body came chunked",
    "response:204-304": "the response status is 204 or 304",
    "response:no-body": "HTTP allows the response no content: HEAD, or a 1xx, 204 or 304",
    "response:transfer-encoding": "the response carries Transfer-Encoding",
}
#: Families of evidence named with a suffix: ``head:<rule id>`` (a start_response call broke
#: that rule of the status and header checks, or a header value holds a tab for
#: APP-HEADER-VALUE-NO-CONTROL), ``refused:<rule id>`` (a refusal naming it),
#: ``observed:<what>`` (a ServerObserved event of that kind), ``extra:<field>`` (that field
#: of :attr:`Exchange.extra` given).
EVIDENCE_PREFIXES = ("head:", "refused:", "observed:", "extra:")
