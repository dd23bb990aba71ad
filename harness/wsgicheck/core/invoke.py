"""Run a WSGI application for one request and assemble its response, recording a trace.

This is the server half of PEP 3333, shared by every transport. :func:`run_app` calls the
application, gives it a ``start_response`` with the PEP's exact semantics, consumes the
returned iterable block by block, and hands the response to a :class:`ResponseSink` that
only moves bytes (a list in memory, or a socket). It owns no socket, thread or clock.

What it promises, whatever the application does:

* headers go out only with the first non-empty block, on the first ``write()``, or when the
  iterable ends; ``exc_info`` replaces them before that and re-raises after;
* ``close()`` on the iterable is called exactly once on every path (end, error, client gone);
* never more body than a declared Content-Length; a short body is noticed and the response
  aborted; no body for HEAD, 204 and 304;
* an exception before the head went out becomes a 500; after, the response is aborted;
  neither ever escapes to the transport;
* a failure of the sink itself (anything but the ``OSError`` of a client gone) is the
  transport's own: the response is aborted, the iterable closed, and the error re-raised to
  the transport, never recorded as the app's doing or the client's.

Every request passes through here, so the common path is written to be cheap: raw trace
records, cached header checks, class-level defaults for the exchange state.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import GeneratorType
from typing import Any

from ..model.errors import RAISED_FINDINGS, FindingRaised, WarningRaised
from ..model.events import (
    BLOCK_PREFIX,
    Location,
    RawEvent,
    raw_body_limit_reached,
    raw_body_short,
    raw_body_truncated,
    raw_client_gone,
    raw_exhausted,
    raw_headers_sent,
    raw_refused,
    raw_server_observed,
    raw_write_called,
    raw_yielded,
)
from .environ import ServerConfig
from .head import RefusedCall, check_headers, check_status
from .observe import (
    bind_start_response,
    caller,
    record_close,
    record_raised,
    record_return,
    record_start_response,
    reraise_interrupt,
    yield_location,
)
from .sink import ClientGone, ResponseSink, SinkFailed, WSGIApp, http_date, plain_text
from .streams import FileWrapper

__all__ = [
    "AppCall",
    "RefusedCall",
    "ResponseSink",
    "WSGIApp",
    "run_app",
]

#: Statuses whose responses never carry a body (RFC 9110 §15.3.5, §15.4.5).
NO_BODY_STATUSES = frozenset({204, 304})

#: Events are immutable: one that has no fields is made once.
_EXHAUSTED = raw_exhausted()


class AppCall:
    """The server's side of one application invocation: the core's one entry point for
    the transports (:func:`run_app` makes one and runs it).

    A transport that must act on the exchange while the app runs (give up on it from
    another thread, read whether the head went out) keeps the object: :meth:`run` runs the
    app; :meth:`abandon`, :attr:`head_sent` and :attr:`finding` are safe to use meanwhile.
    Class attributes give the initial state, so creating one sets only what varies.
    """

    status: str | None = None
    status_code = 0
    reason = ""
    headers: list[tuple[str, str]] = []  # noqa: RUF012 - replaced, never mutated
    declared: int | None = None
    has_date = has_server = False
    sr_calls = 0
    head_sent = False
    returned = False
    used_write = False
    length_hint: int | None = None
    produced = 0
    sent = 0
    stopped = False
    limit_hit = False
    #: The response is over (its end sent, or the 500 or abort in its place): a write()
    #: after it, from the iterable's close(), has nowhere to go.
    ended = False
    #: The exception being handled where the app was called: its caller's, not the app's.
    outer: BaseException | None = None
    client_gone = False
    #: The sink's own failure, re-raised to the transport when the exchange ends.
    failure: Exception | None = None
    #: The first validator finding the app raised (answered like any error; ``Client``
    #: then raises it to the test).
    finding: FindingRaised | WarningRaised | None = None
    #: Body bytes whose blocks the trace keeps whole (None: all); past them, a block is kept
    #: as its first ``BLOCK_PREFIX`` bytes and its size, so a long body costs no memory.
    keep: int | None = None
    kept = 0

    def __init__(
        self,
        sink: ResponseSink,
        log: list[RawEvent],
        config: ServerConfig,
        method: str,
        *,
        keep: int | None = None,
    ) -> None:
        if keep is not None:
            self.keep = keep
        self.sink = sink
        self.log = log
        self.config = config
        self.limit = config.response_body_limit
        # HEAD never carries a body; 204 and 304 are settled once the status is known.
        self.body_allowed = method != "HEAD"

    # -- the callables the application receives ----------------------------------------------

    def start_response(self, *args: Any, **kwargs: Any) -> Callable[[bytes], None]:
        if not kwargs and 2 <= len(args) <= 3:  # the usual call, bound without a call
            status, headers = args[0], args[1]
            exc_info = args[2] if len(args) == 3 else None
            bound = True
        else:
            status, headers, exc_info, bound = bind_start_response(args, kwargs)
        if not bound:
            # Python would refuse these arguments; a real server's start_response too.
            self.log.append(raw_refused("start_response", "bad arguments", "APP-SR-POSITIONAL"))
            raise TypeError(
                "start_response() takes (status, response_headers, exc_info=None), "
                f"got {len(args)} positional and keywords {sorted(kwargs)}"
            )
        kind = record_start_response(
            self.log,
            sys._getframe(1),
            status,
            headers,
            exc_info,
            len(args),
            tuple(kwargs) if kwargs else (),
            self.head_sent,
            self.outer,
        )
        self.sr_calls += 1
        try:
            if kind != "absent":
                self._check_exc_info(kind, exc_info)
            elif self.sr_calls > 1:
                raise RefusedCall("APP-SR-ONCE", "start_response called again without exc_info")
            code, reason = check_status(status)
            facts = check_headers(headers)
        except RefusedCall as refusal:
            self.log.append(raw_refused("start_response", str(refusal), refusal.rule))
            raise
        finally:
            exc_info = None  # PEP 3333: do not keep a reference to exc_info
        self.status, self.status_code, self.reason = status, code, reason
        self.headers, self.declared, self.has_date, self.has_server = facts
        return self.write

    def _check_exc_info(self, kind: str, exc_info: Any) -> None:
        if kind == "malformed":
            raise RefusedCall("APP-EXC-INFO-TUPLE", "exc_info must be a sys.exc_info() triple")
        if self.head_sent:
            if kind == "exception":
                # PEP 3333: too late to change the status; re-raise the original error. It
                # is recorded as a foreign server's would be (SRV-EXC-INFO-RAISE judges it).
                self.log.append(
                    raw_server_observed("start_response-raised", type(exc_info[1]).__qualname__)
                )
                self.log.append(raw_server_observed("exc_info-reraised", "original"))
                raise exc_info[1].with_traceback(exc_info[2])
            raise RefusedCall("APP-SR-ONCE", "start_response called after the headers were sent")

    def write(self, data: bytes) -> None:
        where = caller(sys._getframe(1))
        if self.keep is None:
            self.log.append(raw_write_called(data, where, self.returned))
        else:
            value, size = self._kept(data)
            self.log.append(raw_write_called(value, where, self.returned, size))
        if self.status is None:
            self._refuse("write", "APP-SR-BEFORE-BODY", "write() called before start_response()")
        if type(data) is not bytes:
            self._refuse(
                "write", "APP-WRITE-BYTES", f"write() takes bytes, not {type(data).__name__}"
            )
        self.used_write = True
        if self.client_gone:
            raise ClientGone
        if self.failure is not None:
            raise SinkFailed
        if self.ended:
            # (An adversarial trial of 2026-12-06: sent on, it broke h11's framing, and each
            # such write was told as "wsgicheck's server failed".)
            self._refuse(
                "write", "APP-NO-WRITE-FROM-ITER", "write() after the response ended, from close()"
            )
        if data and self.stopped:
            self._refuse_overflow()
        self._deliver(data)
        if self.stopped and self.produced > self.sent:
            self._refuse_overflow()

    def _kept(self, block: object) -> tuple[object, int | None]:
        """What the trace keeps of a block (when ``keep`` is set): (value, size or None)."""
        if type(block) is not bytes:
            return block, None
        if self.kept < self.keep:  # type: ignore[operator]
            self.kept += len(block)
            return block, None
        return block[:BLOCK_PREFIX], len(block)

    def _refuse_overflow(self) -> None:
        if self.limit_hit:
            self._refuse("write", "HARNESS-BODY-LIMIT", "the response body limit was reached")
        self._refuse("write", "APP-CL-ACCURATE", "write() past the declared Content-Length")

    def _refuse(self, callable_name: str, rule: str, message: str) -> None:
        self.log.append(raw_refused(callable_name, f"{rule}: {message}", rule))
        raise RefusedCall(rule, message)

    # -- sending ----------------------------------------------------------------------------

    def _deliver(self, data: bytes) -> None:
        """Take one block of body from the app and send what may be sent of it."""
        if not data:
            return
        if self.failure is not None:  # the app swallowed the SinkFailed and went on
            raise SinkFailed
        if not self.head_sent:
            self._send_head(len(data))
        size = len(data)
        before = self.produced
        self.produced = produced = before + size
        room = size
        limit = self.limit
        if limit is not None and produced > limit:
            # Only a block past the limit shows the body is longer: a body of exactly
            # ``limit`` bytes may still end there, so iteration goes on until it does.
            self.log.append(raw_body_limit_reached(limit))
            self.limit_hit = True
            room = limit - before
            self.stopped = True
        declared = self.declared
        if declared is not None and produced > declared:
            # Past the declared length: send no more and stop iterating (PEP 3333). A body
            # that only reaches the length is iterated on, to see it end (or not).
            if self.body_allowed:
                self.log.append(raw_body_truncated(declared, produced))
            room = min(room, declared - before)
            self.stopped = True
        if room < size:
            data = data[: max(room, 0)]
        if not self.body_allowed:
            self.sent += len(data)
        elif data:
            try:
                self.sink.send_body(data)
            except OSError as exc:
                self._gone(exc)
            except Exception as exc:
                self._failed(exc)
            self.sent += len(data)

    def _send_head(self, first_block: int | None) -> None:
        """Complete the header section with the server's fields and send it."""
        headers = self.headers
        if self.status_code in NO_BODY_STATUSES:
            self.body_allowed = False
            if self.status_code == 204 and self.declared is not None:
                # RFC 9110 §8.6: a server must not send Content-Length in a 204. The trace
                # keeps what the app passed; the wire gets a correct message.
                headers = [pair for pair in headers if pair[0].lower() != "content-length"]
        elif self.declared is None and self.body_allowed:
            if first_block is None:
                self.declared = 0
                headers = [*headers, ("Content-Length", "0")]
            elif self.length_hint == 1 and not self.used_write:
                # PEP 3333 "Handling the Content-Length Header": a one-block body has a
                # known length, so the server may send it rather than chunk.
                self.declared = first_block
                headers = [*headers, ("Content-Length", str(first_block))]
        elif self.declared is None and self.length_hint == 1 and first_block is not None:
            # HEAD: the one block is the body a GET would carry; announce its length.
            headers = [*headers, ("Content-Length", str(first_block))]
        if not self.has_date:
            headers.append(("Date", http_date()))
        if not self.has_server:
            headers.append(("Server", self.config.server_software))
        self.head_sent = True
        assert self.status is not None  # a head goes out only once start_response was called
        self.log.append(raw_headers_sent(self.status, tuple(headers)))
        try:
            self.sink.send_head(self.status_code, self.reason, headers)
        except OSError as exc:
            self._gone(exc)
        except Exception as exc:
            self._failed(exc)

    def _gone(self, exc: OSError) -> None:
        self.client_gone = True
        self.log.append(raw_client_gone(f"{type(exc).__name__}: {exc}"))
        raise ClientGone from exc

    def _failed(self, exc: Exception) -> None:
        self.failure = exc
        raise SinkFailed from exc

    def _stop(self) -> bool:
        """The client went away or the sink failed: abort the response; it did not complete."""
        try:
            self.sink.abort()
        except Exception:
            if self.failure is None:
                raise
            # else the sink's first failure is the one reported
        return False

    def abandon(self) -> None:
        """The client has gone (or the transport gave up): the app's next block or
        ``write()`` ends the exchange, so even an endless run of empty blocks stops."""
        self.client_gone = True

    # -- the exchange ---------------------------------------------------------------------------

    def run(self, app: WSGIApp, environ: dict[str, Any], app_where: Location | None) -> bool:
        """Call the app and send its response; True if the response completed.

        A failure of the sink itself is raised from here once the app is done with.
        """
        completed = self._run(app, environ, app_where)
        if self.failure is not None:
            raise self.failure
        return completed

    def _run(self, app: WSGIApp, environ: dict[str, Any], app_where: Location | None) -> bool:
        self.outer = sys.exc_info()[1]
        try:
            result: Any = app(environ, self.start_response)
        except (ClientGone, SinkFailed):
            return self._stop()
        except BaseException as exc:
            if self.failure is not None:  # the app turned our failure into its own
                return self._stop()
            self._app_failed(exc, "call")
            return self._fail(type(exc).__qualname__, exc)
        self.returned = True
        self.length_hint, close, _, _ = record_return(
            self.log, result, app_where, self._lookup_failed
        )
        try:
            return self._consume(result)
        finally:
            if close is not None:
                self._close(close)

    def _consume(self, result: Any) -> bool:
        log = self.log
        keep = self.keep
        # The core's own wsgi.file_wrapper: its file is sent from where it stands "until the
        # end is reached, or until Content-Length bytes have been written" (PEP 3333). A
        # block read past that length is the server's read, no overrun of the app's.
        wrapped_file = type(result) is FileWrapper
        try:
            iterator = iter(result)
            generator = type(iterator) is GeneratorType
            for block in iterator:
                if wrapped_file and self.declared is not None and type(block) is bytes:
                    block = block[: max(self.declared - self.produced, 0)]
                    if not block:  # (a Content-Length of 0)
                        log.append(_EXHAUSTED)
                        break
                where = yield_location(iterator) if generator else None
                if keep is None:
                    log.append(raw_yielded(block, where))
                else:
                    value, size = self._kept(block)
                    log.append(raw_yielded(value, where, size))
                if type(block) is not bytes:
                    return self._violation(
                        "APP-YIELD-BYTES", f"the iterable yielded {type(block).__name__}, not bytes"
                    )
                if block:
                    # An empty block may come first: a buffering middleware yields b"" per
                    # inner block and calls start_response once it has the whole body.
                    if self.status is None:
                        return self._violation(
                            "APP-SR-BEFORE-BODY", "a body block was yielded before start_response()"
                        )
                    self._deliver(block)
                    if self.stopped:
                        break
                    if wrapped_file and self.produced == self.declared:
                        log.append(_EXHAUSTED)  # its transmission ended there
                        break
                elif self.client_gone:
                    raise ClientGone  # the transport gave up: endless b"" blocks stop here
            else:
                log.append(_EXHAUSTED)
            if not self.head_sent:
                if self.status is None:
                    return self._violation(
                        "APP-SR-CALLED", "the application never called start_response()"
                    )
                self._send_head(None)
        except (ClientGone, SinkFailed):
            return self._stop()
        except BaseException as exc:
            if self.failure is not None:
                return self._stop()
            self._app_failed(exc, "iteration")
            return self._fail(type(exc).__qualname__, exc)
        return self._end()

    def _end(self) -> bool:
        """Finish the response, or abort it when the client could not frame what it got."""
        self.ended = True
        declared = self.declared
        if self.body_allowed and declared is not None and self.sent < declared:
            self.log.append(raw_body_short(declared, self.sent))
            self.sink.abort()
            return False
        if self.limit_hit and declared is None:
            self.sink.abort()
            return False
        try:
            self.sink.finish()
        except OSError as exc:
            self.client_gone = True
            self.log.append(raw_client_gone(f"{type(exc).__name__}: {exc}"))
            return False
        except Exception as exc:
            self.failure = exc
            return self._stop()
        return True

    def _violation(self, rule: str, message: str) -> bool:
        """The app broke a rule the server cannot work around: record it and fail."""
        self.log.append(raw_refused("iterable", f"{rule}: {message}", rule))
        return self._fail(f"a protocol error ({rule})", None)

    def _lookup_failed(self, exc: BaseException, what: str) -> None:
        """The app's ``len()`` or ``close`` look-up on its iterable raised."""
        self._app_failed(exc, "attribute")
        reraise_interrupt(exc)

    def _close(self, close: Callable[[], object]) -> None:
        exc = record_close(self.log, close, self.head_sent)
        if exc is not None:
            self._found(exc)
            reraise_interrupt(exc)

    def _app_failed(self, exc: BaseException, phase: str) -> None:
        self._found(exc)
        record_raised(self.log, exc, phase, self.head_sent)

    def _found(self, exc: BaseException) -> None:
        if isinstance(exc, RAISED_FINDINGS) and self.finding is None:
            self.finding = exc

    def _fail(self, what: str, exc: BaseException | None) -> bool:
        """Answer 500 if nothing was sent yet, else abort. Never lets the error escape."""
        self.ended = True
        if self.head_sent:
            self.sink.abort()
            reraise_interrupt(exc)
            return False
        data = f"500 Internal Server Error\n\nThe application failed: {what}.\n".encode()
        self.status, self.status_code = "500 Internal Server Error", 500
        self.reason = "Internal Server Error"
        self.headers = plain_text(data)
        self.declared = len(data)
        self.has_date = self.has_server = False
        self.produced = self.sent = 0
        self.stopped = self.limit_hit = False
        try:
            self._deliver(data)
        except (ClientGone, SinkFailed):
            return self._stop()
        reraise_interrupt(exc)
        return self._end()


def run_app(
    app: WSGIApp,
    environ: dict[str, Any],
    sink: ResponseSink,
    log: list[RawEvent],
    config: ServerConfig,
    *,
    app_where: Location | None = None,
) -> bool:
    """Run ``app`` on ``environ`` and send its response to ``sink``; True if it completed.

    Everything the app does is appended to ``log``. Exceptions from the app never escape
    (except a ``KeyboardInterrupt`` in the main thread, which is the user's Ctrl-C).
    """
    return AppCall(sink, log, config, environ["REQUEST_METHOD"]).run(app, environ, app_where)
