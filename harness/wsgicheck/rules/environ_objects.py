"""Environ rules on the environ object and its ``wsgi.*`` keys: types, streams, callables, names.

These judge the environ alone, so they hold under any caller (wsgicheck's transports, a probe
inside a real server, or :func:`wsgicheck.validator` under somebody else's server). Checks
look up only the attributes PEP 3333 names: wsgicheck's own streams record any other
attribute access as application misuse.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

from ..model.grammar import scheme_re as _scheme_re
from ..model.grammar import wsgi_extension_name_re as _extension_name_re
from .exchange import Exchange, environ_of
from .introspect import accepts, decided_by_type, method_problems
from .registry import Binding, Finding, Level, Rule, rule

VARIABLES = "environ Variables"
STREAMS = "Input and Error Streams"
#: The methods ENV-INPUT-METHODS and ENV-ERRORS-METHODS ask each stream for, with the
#: positional arguments each is called with.
INPUT_METHODS = (("read", 1), ("readline", 0), ("readlines", 0))
ERRORS_METHODS = (("flush", 0), ("write", 1), ("writelines", 1))
#: The rules that read the environ's streams themselves, not only their types (so no memo
#: keeps their verdicts; :func:`streams_decided_by_type` says when the type decides them).
STREAM_METHOD_RULES = frozenset({"ENV-INPUT-METHODS", "ENV-ERRORS-METHODS"})


def streams_decided_by_type(environ: dict[str, object]) -> bool:
    """Whether the rules of :data:`STREAM_METHOD_RULES` say of ``environ``'s streams what
    they say of any streams of the same types (so what they said of an earlier environ's)."""
    stream = environ.get("wsgi.input", _ABSENT)
    if stream is not _ABSENT and not decided_by_type(stream, INPUT_METHODS):
        return False
    stream = environ.get("wsgi.errors", _ABSENT)
    return stream is _ABSENT or decided_by_type(stream, ERRORS_METHODS)


_ABSENT = object()


def _has_environ(ex: Exchange) -> bool:
    return ex.environ is not None


_FILELIKE = io.BytesIO()


def _present(key: str) -> Callable[[Rule, Exchange], Iterator[Finding]]:
    """The check of a rule that only asks for ``key`` to be in environ."""

    def check(self: Rule, ex: Exchange) -> Iterator[Finding]:
        if key not in environ_of(ex):
            yield self.finding(ex, f"environ has no {key}")

    return check


@rule(
    "ENV-DICT-BUILTIN",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section="Specification Details",
    summary="environ is a built-in dict, not a subclass, UserDict or other mapping",
    pep="""This object must be a builtin Python dictionary (not a subclass, UserDict or other
    dictionary emulation), and the application is allowed to modify the dictionary in any way
    it desires.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  app(LazyEnviron(environ), start_response)   # class LazyEnviron(dict)
fix:  app(dict(environ), start_response)""",
)
def dict_builtin(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Apps may copy environ with dict() and lose what a subclass computes lazily, or rely on
    # dict-only behaviour (json.dumps, C extensions checking PyDict_CheckExact).
    if ex.environ_type is not dict:
        kind = ex.environ_type
        yield self.finding(ex, f"environ is a {kind.__module__}.{kind.__qualname__}, not a dict")


@rule(
    "ENV-WSGI-VERSION",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.version is the tuple (1, 0)",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ... wsgi.version
    The tuple (1, 0), representing WSGI version 1.0.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["wsgi.version"] = [1, 0]
fix:  environ["wsgi.version"] = (1, 0)""",
)
def wsgi_version(self: Rule, ex: Exchange) -> Iterator[Finding]:
    env = environ_of(ex)
    if "wsgi.version" not in env:
        yield self.finding(ex, "environ has no wsgi.version")
        return
    version = env["wsgi.version"]
    if not (isinstance(version, tuple) and version == (1, 0)):
        yield self.finding(ex, f"wsgi.version is {version!r}, not the tuple (1, 0)")


@rule(
    "ENV-URL-SCHEME",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.url_scheme is a str naming the URL scheme (any scheme, not only http/https)",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ...
    wsgi.url_scheme A string representing the "scheme" portion of the URL at which the
    application is being invoked. Normally, this will have the value "http" or "https",
    as appropriate.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["wsgi.url_scheme"] = b"http"
fix:  environ["wsgi.url_scheme"] = "http"   # or "https", "ws", ...: any scheme name""",
)
def url_scheme(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # "Normally" http or https: other schemes are allowed, so only the form is judged.
    env = environ_of(ex)
    if "wsgi.url_scheme" not in env:
        yield self.finding(ex, "environ has no wsgi.url_scheme")
        return
    scheme = env["wsgi.url_scheme"]
    if type(scheme) is not str:
        yield self.finding(ex, f"wsgi.url_scheme is a {type(scheme).__name__}, not a str")
    elif _scheme_re.fullmatch(scheme) is None:
        yield self.finding(ex, f"wsgi.url_scheme {scheme!r} is not a URL scheme (RFC 3986 §3.1)")


@rule(
    "ENV-INPUT-PRESENT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.input is present, even for a request with no body",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ... wsgi.input An
    input stream (file-like object) from which the HTTP request body bytes can be read.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  if has_body: environ["wsgi.input"] = stream
fix:  environ["wsgi.input"] = stream if has_body else io.BytesIO(b"")""",
)
def input_present(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _present("wsgi.input")(self, ex)


@rule(
    "ENV-INPUT-METHODS",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=STREAMS,
    summary="wsgi.input has read(size), readline(), readlines(hint) and __iter__()",
    pep="""The input and error streams provided by the server must support the following
    methods: ... The methods listed in the table above must be supported by all servers
    conforming to this specification.""",
    applies=lambda ex: "wsgi.input" in environ_of(ex),
    needs=("environ",),
    example="""
bad:  class Body: def read(self, size): ...       # no readline, readlines, __iter__
fix:  environ["wsgi.input"] = io.BufferedReader(raw)  # or implement all four""",
)
def input_methods(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # readlines() is called without a hint: "the hint argument to readlines() is optional
    # for both caller and implementer". readline(size) is a SHOULD (a server rule).
    stream = environ_of(ex)["wsgi.input"]
    problems = method_problems(stream, INPUT_METHODS)
    if not callable(getattr(type(stream), "__iter__", None)):
        problems.append("is not iterable (no __iter__)")
    for problem in problems:
        yield self.finding(ex, f"wsgi.input ({type(stream).__name__}) {problem}")


@rule(
    "ENV-ERRORS-PRESENT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.errors is present",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ... wsgi.errors
    An output stream (file-like object) to which error output can be written, for the
    purpose of recording program or other errors in a standardized and possibly
    centralized location.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ without "wsgi.errors"
fix:  environ["wsgi.errors"] = sys.stderr   # or the server's error log""",
)
def errors_present(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _present("wsgi.errors")(self, ex)


@rule(
    "ENV-ERRORS-METHODS",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=STREAMS,
    summary="wsgi.errors has flush(), write(str) and writelines(seq)",
    pep="""The input and error streams provided by the server must support the following
    methods: ... The methods listed in the table above must be supported by all servers
    conforming to this specification.""",
    applies=lambda ex: "wsgi.errors" in environ_of(ex),
    needs=("environ",),
    example="""
bad:  class Log: def write(self, text): logger.error(text)   # no flush, writelines
fix:  give it flush() and writelines() too, or use an io.TextIOBase""",
)
def errors_methods(self: Rule, ex: Exchange) -> Iterator[Finding]:
    stream = environ_of(ex)["wsgi.errors"]
    for problem in method_problems(stream, ERRORS_METHODS):
        yield self.finding(ex, f"wsgi.errors ({type(stream).__name__}) {problem}")


#: The write() methods of the stdlib's binary streams: each takes bytes only.
_BINARY_WRITES = frozenset(
    kind.write
    for kind in (io.BytesIO, io.FileIO, io.BufferedWriter, io.BufferedRandom, io.BufferedRWPair)
)


@rule(
    "ENV-ERRORS-TEXT",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary='wsgi.errors is a text-mode stream (takes str, "\\n" line endings), not binary',
    pep="""This should be a "text mode" stream; i.e., applications should use "\\n" as a line
    ending, and assume that it will be converted to the correct line ending by the
    server/gateway.""",
    applies=lambda ex: "wsgi.errors" in environ_of(ex),
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["wsgi.errors"] = sys.stderr.buffer
fix:  environ["wsgi.errors"] = sys.stderr""",
)
def errors_text(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # Only a stream whose write() is a stdlib binary one (it raises TypeError on str) is
    # judged: gunicorn's errors stream subclasses io.RawIOBase yet takes str. Whether "\n"
    # gets converted can only be seen in the server's log (a probe).
    stream = environ_of(ex)["wsgi.errors"]
    if getattr(type(stream), "write", None) in _BINARY_WRITES:
        yield self.finding(ex, f"wsgi.errors is a binary stream ({type(stream).__name__})")


@rule(
    "ENV-MULTITHREAD-PRESENT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.multithread is present",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ...
    wsgi.multithread This value should evaluate true if the application object may be
    simultaneously invoked by another thread in the same process, and should evaluate
    false otherwise.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ without "wsgi.multithread"
fix:  environ["wsgi.multithread"] = True   # if requests run in a thread pool""",
)
def multithread_present(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _present("wsgi.multithread")(self, ex)


@rule(
    "ENV-MULTIPROCESS-PRESENT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.multiprocess is present",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ...
    wsgi.multiprocess This value should evaluate true if an equivalent application
    object may be simultaneously invoked by another process, and should evaluate false
    otherwise.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ without "wsgi.multiprocess"
fix:  environ["wsgi.multiprocess"] = workers > 1""",
)
def multiprocess_present(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _present("wsgi.multiprocess")(self, ex)


@rule(
    "ENV-RUN-ONCE-PRESENT",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="wsgi.run_once is present",
    pep="""the environ dictionary may also contain arbitrary operating-system "environment
    variables", and must contain the following WSGI-defined variables: ... wsgi.run_once
    This value should evaluate true if the server or gateway expects (but does not
    guarantee!) that the application will only be invoked this one time during the life
    of its containing process.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ without "wsgi.run_once"
fix:  environ["wsgi.run_once"] = False   # True only for CGI-like gateways""",
)
def run_once_present(self: Rule, ex: Exchange) -> Iterator[Finding]:
    return _present("wsgi.run_once")(self, ex)


@rule(
    "ENV-FILE-WRAPPER-SIGNATURE",
    level=Level.MUST,
    binding=Binding.ENVIRON,
    section="Optional Platform-Specific File Handling",
    summary="wsgi.file_wrapper, if present, is callable as (filelike) and (filelike, blksize)",
    pep="""If the server or gateway supplies wsgi.file_wrapper, it must be a callable that
    accepts one required positional parameter, and one optional positional parameter.""",
    applies=lambda ex: "wsgi.file_wrapper" in environ_of(ex),
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["wsgi.file_wrapper"] = lambda filelike: FileWrapper(filelike)
fix:  environ["wsgi.file_wrapper"] = lambda filelike, size=8192: FileWrapper(filelike, size)""",
)
def file_wrapper_signature(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # The signature is read, never tried: calling the wrapper could start a transmission.
    wrapper = environ_of(ex)["wsgi.file_wrapper"]
    if not callable(wrapper):
        yield self.finding(ex, f"wsgi.file_wrapper is a {type(wrapper).__name__}, not callable")
        return
    filelike = _FILELIKE  # only bound to the parameters, never read
    if not accepts(wrapper, filelike):
        yield self.finding(ex, "wsgi.file_wrapper(filelike) cannot be called with one argument")
    if not accepts(wrapper, filelike, 8192):
        yield self.finding(ex, "wsgi.file_wrapper(filelike, blksize) does not take a block size")


def is_cgi_name(key: object) -> bool:
    """Whether ``key`` is named as a CGI variable is: no dot (those are wsgi.* and server
    extensions), upper case (RFC 3875 §4.1 writes them so). An undotted key with lower-case
    letters is a server's own key without its prefix (eventlet's ``headers_raw``), which
    ENV-EXT-VAR-NAMING judges."""
    return isinstance(key, str) and "." not in key and key == key.upper()


@rule(
    "ENV-EXT-VAR-NAMING",
    level=Level.SHOULD,
    binding=Binding.ENVIRON,
    section=VARIABLES,
    summary="server-defined keys are lower case, prefixed with the server's name (gunicorn.socket)",
    pep="""These variables should be named using only lower-case letters, numbers, dots, and
    underscores, and should be prefixed with a name that is unique to the defining server or
    gateway. For example, mod_python might define variables with names like
    mod_python.some_variable.""",
    needs=("environ",),
    memo="environ",
    example="""
bad:  environ["MyServer.Socket"] = sock
fix:  environ["myserver.socket"] = sock""",
)
def ext_var_naming(self: Rule, ex: Exchange) -> Iterator[Finding]:
    # An undotted name may be a CGI variable or an OS environment variable (both allowed,
    # both strings): one holding something else that is not named as a CGI variable is a
    # server's own key without its prefix. wsgi.* keys are the spec's own namespace (and
    # de facto extensions such as wsgi.input_terminated), x-wsgiorg.* the one wsgi.org's
    # proposals use (uWSGI sets x-wsgiorg.fdevent.*); HTTP_* ones come from header names,
    # which may hold dots.
    env = environ_of(ex)
    keys: list[object] = list(env)  # whatever the server made them
    for key in keys:
        if not isinstance(key, str):
            yield self.finding(ex, f"environ key {key!r} is not a str")
        elif "." not in key and type(env[key]) is not str and not is_cgi_name(key):
            yield self.finding(
                ex,
                f"{key!r} holds a {type(env[key]).__name__}: a server's own key is named "
                "after the server, as myserver." + key.lower(),
            )
        elif (
            "." in key
            and not key.startswith(("wsgi.", "x-wsgiorg.", "HTTP_"))
            and _extension_name_re.fullmatch(key) is None
        ):
            yield self.finding(
                ex, f"{key!r}: not lower-case letters, digits, '_' and '.' after a prefix"
            )
