"""One call of the app under ``wsgicheck.validator``: its log, and the guards that fill it.

The :class:`~wsgicheck.drivers.validation.Validator` makes an :class:`Invocation` per call
and keeps what outlives it (the rules, the findings, the ended exchanges); the invocation
records the call and judges it, and builds the request its environ describes (for findings).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..core.head import check_headers, check_status
from ..core.observe import (
    bind_start_response,
    caller,
    record_raised,
    record_return,
    record_start_response,
)
from ..core.streams import file_wrapper_called
from ..model.errors import FindingRaised
from ..model.events import (
    BLOCK_PREFIX,
    RawEvent,
    caller_location,
    raw_close_called,
    raw_server_observed,
    raw_write_called,
)
from ..model.grammar import decimal
from ..model.request import Framing, Request
from ..model.response import Response, body_hasher
from ..model.untrusted import plain
from ..rules import Exchange, Rule, check_exchange
from ..rules.engine import viewed
from ..rules.environ_objects import streams_decided_by_type
from ..rules.exchange import environ_items, raw_view
from .validation_guards import (
    ErrorsGuard,
    FileWrapperGuard,
    InputGuard,
    ServerIterable,
    SizedServerIterable,
)

if TYPE_CHECKING:
    from .validation import Validator

__all__ = ["BODY_KEPT", "Invocation"]

_CLOSED = raw_close_called(None)

#: How much of the body the validator keeps to judge it (it counts and digests the rest, and
#: its trace keeps only a prefix and the size of each block past it).
BODY_KEPT = 1 << 20
#: How many requests a validator keeps by their environ's view, to reuse for the next
#: environ with the same view (a request is a function of the environ's plain values).
_REQUESTS_KEPT = 256
_UNSEEN: Any = object()


class Invocation:
    """One call of the wrapped app: its log, and the guards that fill it."""

    def __init__(self, owner: Validator, environ: Any, start_response: Callable[..., Any]):
        self.owner = owner
        self.log: list[RawEvent] = []
        self.server_start_response = start_response
        self.environ = environ
        self.environ_type = type(environ)
        try:
            self.snapshot = dict(environ)
        except Exception:
            self.snapshot = {}
        self.reported: set[tuple[str, str]] = set()
        self.request: Request | None = None
        #: The snapshot's :func:`environ_items`, once worked out.
        self.items: object = _UNSEEN
        #: How many events the last judging of every rule saw.
        self.judged = -1
        #: Whether start_response was called before the app returned.
        self.started_first = False
        self.finished = False
        #: The app's code runs now: its call, a step of its iterable, or the iterable's
        #: close(). A reach for a stream's other attributes outside it, once the app has
        #: returned, is the server's (``_ServerStreamGuard.__getattr__``).
        self.in_app = False
        #: When the iterable's iteration ended (exhausted, or raised), by the monotonic clock.
        self.iteration_ended: float | None = None
        self.returned = False
        #: The first violation raised into the app (from start_response, write() or a
        #: stream): raised again where the app caught it and went on (``_swallowed``).
        self.violation: BaseException | None = None
        #: The exception being handled where the app was called: its caller's, not the app's.
        self.outer: BaseException | None = None
        #: The app's ``len()`` of its iterable raised an error of the app's.
        self.length_raised = False
        self.body_started = False
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = bytearray()
        self.size = 0
        #: The running digest of the body, begun once it outgrows what is kept (the
        #: response digests a body it holds whole itself, when asked).
        self.digest: Any = None
        #: What the server's wsgi.file_wrapper returned, the objects themselves: an id()
        #: alone may be a later object's, once a wrapper the app dropped is freed.
        self.file_wrappers: list[Any] = []
        #: The AttributeErrors the stream guards raised (for a method PEP 3333 does not give).
        self.refusals: list[BaseException] = []
        #: The owner's ended exchanges as this one was first judged whole.
        self.history: tuple[Exchange, ...] | None = None
        #: The record last judged whole, and whether one went to the owner's history.
        self.whole: Exchange | None = None
        self.linked = False

    # -- judging ---------------------------------------------------------------------------

    def _exchange(
        self, history: tuple[Exchange, ...] = (), view: tuple[Any, ...] | None = None
    ) -> Exchange:
        status = plain(self.status) if self.status else "0 "
        code = decimal(status[:3]) or 0
        if self.request is None:
            self.request = _request_from(self.snapshot)
        response = Response(
            self.request,
            code,
            status[4:],
            list(self.headers),
            bytes(self.body),
            True,
            self.snapshot,
            self.log,
            body_size=self.size,
            body_digest=None if self.digest is None else self.digest.hexdigest(),
        )
        return Exchange(
            response,
            source="validator",
            environ_type=self.environ_type,
            history=history,
            view=view,
        )

    def _view(self) -> tuple[Any, ...] | None:
        """The exchange's :func:`raw_view` (None if it has none), cheaper than its record
        view; and the request, from an earlier environ with the same view if there was one."""
        if self.items is _UNSEEN:
            if not viewed():  # the engine would not look at it
                return None
            self.items = environ_items(self.snapshot, fresh=True)
        items = self.items
        if items is None:
            return None
        if self.request is None:
            requests = self.owner._requests
            known = requests.get(items)
            if known is None:
                known = _request_from(self.snapshot)
                if len(requests) >= _REQUESTS_KEPT:
                    requests.clear()
                requests[items] = known
            self.request = known
        head = (self.status, self.headers)  # a list, as the record's
        return raw_view(self.environ_type, items, self.log, head, bytes(self.body), self.size)

    def judge(self, rules: list[Rule], *, raising: bool = True, carrier: Any = None) -> None:
        """Run ``rules`` on what has happened so far; report what is new.

        ``raising=False`` warns instead of raising; ``carrier`` is the exception under way.
        """
        owner = self.owner
        if rules is owner.rules:
            self.judged = len(self.log)
            view = self._view()
            # The stream-method rules read the streams themselves; their type, in the view,
            # decides them for streams that hold no method of their own.
            by_type = view is not None and streams_decided_by_type(self.snapshot)
            if by_type:
                quiet = owner._judged_quiet(view)
                if quiet is not None:
                    self.whole = quiet
                    return
            if self.history is None:
                with owner._lock:
                    self.history = tuple(owner._past)
            self.whole = self._exchange(self.history, view)
            findings = check_exchange(self.whole, owner._every)
            if not findings and by_type:
                owner._remember_quiet(view, self.whole)
        else:
            findings = check_exchange(self._exchange(), rules)
        fresh = []
        for finding in findings:
            key = (finding.rule, finding.message)
            if key not in self.reported:
                self.reported.add(key)
                fresh.append(finding)
        if fresh:
            try:
                owner._report(fresh, raising=raising, carrier=carrier)
            except FindingRaised as violation:
                if self.violation is None:
                    self.violation = violation
                raise

    def judge_call(self) -> None:
        """Judge the call just made by the rules whose verdict cannot change later."""
        self.judge(self.owner._call_rules)

    def refused(self, error: BaseException) -> BaseException:
        """Remember an error the validator raises into the app, and return it."""
        self.refusals.append(error)
        return error

    def failed(self, exc: BaseException) -> None:
        """The app let ``exc`` escape; a violation is raised in its place only when ``exc``
        is the validator's own refusal (the app's own errors go on unchanged)."""
        if any(exc is refusal for refusal in self.refusals):
            self.judge(self.owner.rules)

    def finish(self, carrier: BaseException | None = None) -> None:
        """The exchange is over: judge it all, without raising, and hand the record on."""
        if not self.finished:
            self.finished = True
            rules = self.owner.rules
            if self.judged == len(self.log) - 1 and self.log[-1] == _CLOSED:
                # Judged whole when the body ended; one close() without an error is news
                # only to END_RULES, and to them only when the app returned before it
                # called start_response (one close is what SRV-CLOSE-CALLED asks for).
                rules = [] if self.started_first else self.owner._end_rules
            try:
                if rules:
                    self.judge(rules, raising=False, carrier=carrier)
            finally:
                self.ended()

    def keep(self) -> None:
        """Keep the record as history for the exchanges to come, once: when the body ends,
        or at close() if it never did. A server that never closes the iterable (a test
        client whose caller met a violation raised at the end of the body) still leaves
        the exchange where the next one judges beside it."""
        if not self.linked:
            self.linked = True
            owner = self.owner
            if self.history is None and owner.collect:
                # Collecting, the whole is judged at close(), after this: on the history
                # before it. (Raising, it was judged when the body ended, or answered from
                # the memo, which needs no history.)
                with owner._lock:
                    self.history = tuple(owner._past)
            # The record judged whole will do for the rules over pairs (the request, the
            # status, the fields, the body); one is built if there is none (collect=True).
            kept = self.whole if self.whole is not None else self._exchange()
            kept.history = ()
            owner._keep(kept)

    def never_closed(self, how: str) -> None:
        """The server let the iterable go, or its process is exiting and still holds it,
        and never called its close() (``how``: :data:`~wsgicheck.model.events.DROPPED` or
        :data:`~wsgicheck.model.events.HELD_AT_EXIT`):
        judge the exchange now (SRV-CLOSE-CALLED fires if the app's iterable had one)."""
        if self.finished:
            return
        self.finished = True
        self.log.append(raw_server_observed("never-closed", how))
        if self.violation is not None:
            # The validator's own violation went to the server from the iterable (Werkzeug's
            # test client then never closes it): said with the finding, which comes at
            # garbage collection, in whichever test runs the collector.
            rule = getattr(self.violation, "rule", type(self.violation).__name__)
            self.log.append(raw_server_observed("never-closed-after", str(rule)))
        try:
            self.judge(self.owner.rules, raising=False)
        finally:
            self.ended()

    def ended(self) -> None:
        """Keep the record as history (:meth:`keep`), and hand it to ``on_exchange``, if
        the owner has one."""
        self.keep()
        owner = self.owner
        if owner.on_exchange is not None:
            owner.on_exchange(self._exchange())

    # -- the call ------------------------------------------------------------------------------

    def run(self) -> Any:
        environ = self.environ
        # Not kept: the guards put in it refer to this invocation, and a cycle between them
        # would keep both (and the request body the server's stream holds) until the next
        # garbage collection, where a server drops them with the environ.
        self.environ = None
        if isinstance(environ, dict):
            self._guard_streams(environ)
        self.outer = sys.exc_info()[1]
        self.in_app = True
        try:
            result: Any = self.owner.app(environ, self.start_response)
        except BaseException as exc:
            self.in_app = False
            record_raised(self.log, exc, "call", self.body_started)
            try:
                self.failed(exc)
            finally:
                self.finish(exc)
            raise
        self.in_app = False
        if self.violation is not None:
            self._swallowed(result)
        self.returned = True
        self.started_first = self.status is not None
        kind_of = type(result)
        length, _, iterable, is_file = record_return(
            self.log, result, self.owner._app_where, self._lookup_failed
        )
        returned_wrapper = any(result is each for each in self.file_wrappers)
        self.file_wrappers = []  # looked at once, here: the server may free them now
        if returned_wrapper:
            # The server's own file wrapper: hand it back untouched, so the server can use
            # its fast path (sendfile); what happens next is the server's business (one
            # that is no iterable is its wrapper's fault, not the app's).
            self.log.append(raw_server_observed("file-wrapper-returned", kind_of.__name__))
            try:
                self.judge(self.owner.rules)
            except BaseException:
                # Raised in place of the wrapper, which the server then never gets to
                # close: closed here, or the file it wraps stays open.
                with contextlib.suppress(Exception):
                    result.close()
                raise
            self.finish()
            return result
        if not iterable or is_file or kind_of in (str, bytes, bytearray):
            # Judged as the app returns, as wsgiref.validate asserts an iterable there.
            self.judge_call()
        # A len() that raised the app's error is the server's to meet too: its len() of
        # the wrapper asks the app's again (a second call of the app's __len__, which
        # raises again unless it keeps state of its own).
        sized = length is not None or self.length_raised
        wrapped = (SizedServerIterable if sized else ServerIterable)(self, result)
        unclosed = self.owner._unclosed
        if unclosed is not None:
            unclosed.add(self)
        return wrapped

    def _swallowed(self, result: Any) -> None:
        """The app caught a violation raised into it and returned all the same (a
        framework's catch-all answers its own 500 in its place): raise it again, to the
        server or the test client, as if the app had let it through. No server gets the
        app's iterable then, so it is closed here."""
        violation = self.violation
        assert violation is not None
        close = getattr(result, "close", None)
        if callable(close):
            with contextlib.suppress(Exception):
                close()
        self.finish(violation)
        raise violation

    def _lookup_failed(self, exc: BaseException, what: str) -> None:
        """The app's ``len()`` or ``close`` look-up on its iterable raised an error of the
        app's (not one that only says there is no length: those never come here). It is
        recorded, as the core records it; a ``len()`` error that is no ``Exception``
        (KeyboardInterrupt) goes on to the server at once, any other when the server asks
        ``len()`` itself."""
        record_raised(self.log, exc, "attribute", self.body_started)
        if what == "len":
            self.length_raised = True
            if not isinstance(exc, Exception):
                raise exc

    def _guard_streams(self, environ: dict[str, Any]) -> None:
        if "wsgi.input" in environ:
            length = environ.get("CONTENT_LENGTH")
            declared = decimal(length) if isinstance(length, str) else None
            environ["wsgi.input"] = InputGuard(self, environ["wsgi.input"], declared)
        if "wsgi.errors" in environ:
            environ["wsgi.errors"] = ErrorsGuard(self, environ["wsgi.errors"])
        wrapper = environ.get("wsgi.file_wrapper")
        if callable(wrapper):
            environ["wsgi.file_wrapper"] = self._file_wrapper(wrapper)

    def _file_wrapper(self, server_wrapper: Callable[..., Any]) -> FileWrapperGuard:
        return FileWrapperGuard(self, server_wrapper)

    def wrap_file(self, server_wrapper: Callable[..., Any], filelike: Any, args: Any) -> Any:
        """The app called wsgi.file_wrapper: record it, and call the server's."""
        # From the app's line: the guard's __call__ is one frame above this one.
        file_wrapper_called(self.log, filelike, args[0] if args else None, caller_location(2))
        self.judge_call()
        result = server_wrapper(filelike, *args)
        self.file_wrappers.append(result)
        kind = type(result)
        if not (hasattr(kind, "__iter__") or hasattr(kind, "__getitem__")):
            self.log.append(raw_server_observed("file-wrapper-not-iterable", kind.__name__))
        if callable(getattr(filelike, "close", None)) and not callable(
            getattr(result, "close", None)
        ):
            self.log.append(raw_server_observed("file-wrapper-no-close", kind.__name__))
        return result

    def start_response(self, *args: Any, **kwargs: Any) -> Any:
        # Bound as the core binds them; what cannot be bound is the server's to refuse.
        status, headers, exc_info, _ = bind_start_response(args, kwargs)
        kind = record_start_response(
            self.log,
            sys._getframe(1),
            status,
            headers,  # copied there: the server may change it (wsgiref adds Content-Length)
            exc_info,
            len(args),
            tuple(kwargs),
            self.body_started,
            self.outer,
        )
        if not (kind == "absent" and len(args) == 2 and not kwargs and _plain_head(*args)):
            # Anything but a plain first call of good values: judged now, at the call.
            # (A plain one is judged with the rest when the body ends.)
            self.judge_call()
        elif self.status is not None:
            self.judge_call()  # called again: APP-SR-ONCE
        try:
            write = self.server_start_response(*args, **kwargs)
        except BaseException as exc:
            self.log.append(raw_server_observed("start_response-raised", type(exc).__qualname__))
            if kind == "exception" and exc_info is not None:
                original = exc is exc_info[1]
                self.log.append(
                    raw_server_observed("exc_info-reraised", "original" if original else "another")
                )
            raise
        finally:
            exc_info = None  # PEP 3333: do not keep a reference to exc_info
        returned = "callable" if callable(write) else type(write).__name__
        self.log.append(raw_server_observed("start_response-returned", returned))
        if isinstance(status, str):
            self.status = status
        if isinstance(headers, list | tuple):
            self.headers = [item for item in headers if isinstance(item, tuple)]
        return self._write_for(write)

    def _write_for(self, server_write: Any) -> Callable[[bytes], Any]:
        def write(data: bytes) -> Any:
            value, size = self.kept(data)
            self.log.append(raw_write_called(value, caller(sys._getframe(1)), self.returned, size))
            if type(data) is not bytes or self.status is None or self.returned:
                self.judge_call()
            started = self.body_started
            self.count_body(data)
            try:
                return server_write(data)
            except BaseException as exc:
                self.log.append(raw_server_observed("write-raised", type(exc).__qualname__))
                # A write that failed (a server whose start_response returned no write(),
                # say) is taken to have sent no head: the server's own answer is not judged
                # as the app's. One that failed after the head went out (a socket error)
                # leaves the response unjudged too, which blames nobody.
                self.body_started = started
                raise

        return write

    def kept(self, data: object) -> tuple[object, int | None]:
        """What the trace keeps of a block: the block while the kept body is not full, then
        its first ``BLOCK_PREFIX`` bytes and its size (a streamed GiB costs no memory)."""
        if type(data) is bytes and self.size >= BODY_KEPT:
            return data[:BLOCK_PREFIX], len(data)
        return data, None

    def count_body(self, data: object) -> None:
        """Count and keep a block of the body the app produced."""
        if type(data) is bytes and data:
            self.body_started = True
            if self.digest is None and self.size + len(data) > BODY_KEPT:
                self.digest = body_hasher()
                self.digest.update(self.body)  # all of it so far: it was kept whole
            if self.digest is not None:
                self.digest.update(data)
            self.size += len(data)
            if len(self.body) < BODY_KEPT:
                self.body += data[: BODY_KEPT - len(self.body)]


def _plain_head(status: object, headers: object) -> bool:
    """Whether a status and headers pass the core's own checks (cached for good values):
    then none of the rules judged at the call can find anything in them."""
    try:
        check_status(status)
        check_headers(headers)
    except Exception:
        return False
    return True


#: Characters a request path keeps unescaped (the rest are percent-encoded).
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_NEEDS_QUOTING = re.compile(r"[^A-Za-z0-9/:@!$&'()*+,;=\-._~]").search
#: CGI variable name -> header field name ("HTTP_X_FORWARDED_FOR" -> "X-Forwarded-For").
_FIELD_NAMES: dict[str, str] = {}


def _field_name(key: str) -> str:
    name = _FIELD_NAMES.get(key)
    if name is None:
        name = key[5:].replace("_", "-").title()
        if len(_FIELD_NAMES) < 1024:
            _FIELD_NAMES[key] = name
    return name


def _request_from(environ: dict[str, Any]) -> Request:
    """The request an environ describes, as well as it can be told (for findings).

    Built once per exchange, on every request: the common case (an ASCII path, known
    header names) quotes nothing and looks each name up once.
    """

    def text(key: str, default: str = "") -> str:
        value = environ.get(key, default)
        return value if type(value) is str else default

    path = text("SCRIPT_NAME") + text("PATH_INFO")
    if _NEEDS_QUOTING(path):
        path = quote(path, safe=_PATH_SAFE)
    path = path or "/"
    query = text("QUERY_STRING")
    headers = [
        (_field_name(key), value)
        for key, value in environ.items()
        if type(key) is str and key[:5] == "HTTP_" and type(value) is str
    ]
    content_type = text("CONTENT_TYPE")
    if content_type:
        headers.append(("Content-Type", content_type))
    length = text("CONTENT_LENGTH")
    version = text("SERVER_PROTOCOL", "HTTP/1.1")[5:] or "1.1"
    return Request._trusted(
        method=text("REQUEST_METHOD", "GET") or "GET",
        target=path + ("?" + query if query else ""),
        http_version=version,
        headers=tuple(headers),
        body=b"",
        framing=Framing.CONTENT_LENGTH if decimal(length) else Framing.NONE,
    )
