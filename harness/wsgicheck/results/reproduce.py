"""Reproducers for a failing example: the raw bytes, a curl command, a Python snippet.

The raw bytes are exact. The curl command replays the request against
``wsgicheck serve TARGET --port 8000`` (curl cannot send every request wsgicheck can: raw
latin-1 bytes and chosen chunk boundaries are approximated, and the snippet says so). The
Python snippet replays it exactly, in memory, with the same server choices.

A validator the run sent back (the ETag a GET got, a day before its Last-Modified) is
read, in the curl and Python replays, from the answer they get to that GET and changed as
the run changed it (:mod:`wsgicheck.model.learned`): a fresh app's differ from the run's.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

from ..core.environ import ServerConfig
from ..model.learned import sources, untaught
from ..model.request import Framing, From, Request
from ..model.untrusted import quoted, show

__all__ = [
    "Reproducers",
    "check_command",
    "choices_unlike",
    "curl_command",
    "needs_raw_targets",
    "probe_reproducers",
    "python_snippet",
    "reproducers",
    "serve_command",
    "shell_word",
    "target_choices",
]

SERVE_AUTHORITY = "127.0.0.1:8000"
SERVE_URL = f"http://{SERVE_AUTHORITY}"
#: Where the curl and Python replays of a run's finding send their request.
SERVE_AGAINST = "`wsgicheck serve TARGET --port 8000`"
#: What the curl replay of a finding over several answers shows, and what it cannot.
SERVE_ALONE = (
    "the finding compares the last answer with those before it, and serve judges each answer "
    "on its own: it shows every answer, but may not report the finding, which the Python "
    "replay does"
)
#: What a replay of a finding made by sending its request again says (HARNESS-APP-VARIES).
SENT_TWICE = (
    "the last request is sent twice: the finding is that its two answers differ, so compare "
    "them; an app that varies only after many requests (a session store that forgets) may "
    "answer these alike"
)


@dataclass(frozen=True, slots=True)
class Reproducers:
    """Three ways to replay one request, and where the curl and Python replays go."""

    raw: bytes
    curl: str
    python: str
    against: str = SERVE_AGAINST
    #: The threads the app left running, which the Python replay's process ends past
    #: (:func:`python_snippet`).
    lingering: tuple[str, ...] = ()


def reproducers(
    request: Request,
    config: ServerConfig,
    target: str,
    before: Sequence[Request] = (),
    *,
    compared: bool = False,
    twice: bool = False,
    waits: float | None = None,
    lingering: tuple[str, ...] = (),
) -> Reproducers:
    """The three reproducers of ``request``; with ``before``, of the whole sequence: every
    request in order, on one connection (raw), one curl after the other, one client.
    ``compared``: the finding's rule compares the last answer with the earlier ones, which
    ``serve`` never does (it judges each exchange alone), and the curl replay says so.
    ``twice``: the finding is that ``request`` sent again got another answer, and the curl
    and Python replays send it twice (the Python one prints what differs).
    ``waits``: the seconds the Python replay waits for the answer (a time-out's replay,
    which would otherwise wait as long as the app hangs). ``lingering``: the threads the app
    left running, past which the Python replay ends its process."""
    every = [*before, request]
    against = serve_command("TARGET", config, every)
    if before and compared:
        against += f"; {SERVE_ALONE}"
    if untaught(every):
        against += f"; {_as_sent(every)}"
    if any(each.method == "HEAD" and _with_body(each) for each in every):
        against += f"; {_HEAD_WITH_BODY}"
    if twice:
        against += f"; {SENT_TWICE}"
    # (The raw bytes are the run's requests, once: sent twice on one connection, an
    # HTTP/1.0 request's second copy would never be answered.)
    return Reproducers(
        b"".join(each.to_bytes() for each in every),
        _curl_sequence([*every, request] if twice else every, config),
        python_snippet(
            request, config, target, before, twice=twice, waits=waits, lingering=lingering
        ),
        against,
        lingering,
    )


def _as_sent(every: Sequence[Request]) -> str:
    """What a replay of ``every`` says of the validators it sends as the run sent them."""
    names = dict.fromkeys(each.name for each in untaught(every))
    return f"{', '.join(names)}: sent as in the run, learned from an answer not replayed here"


class _Taught:
    """Which requests of a sequence teach the validators later ones send back: a replay
    reads them from the answer to each (:func:`~wsgicheck.model.learned.sources`), into
    variables named after the field, numbered from the second teacher on."""

    def __init__(self, every: Sequence[Request]) -> None:
        self.found = sources(every)
        #: The positions of the requests whose answers are read.
        self.read = sorted({at for each in self.found for _, at in each.values()})
        self._suffix: dict[Request, str] = {}
        #: Per teacher, the validators read from its answers and how they are changed.
        self.uses: dict[Request, set[From]] = {}
        for each in self.found:
            for learned, at in each.values():
                teacher = every[at]
                if teacher not in self._suffix:
                    count = len(self._suffix) + 1
                    self._suffix[teacher] = "" if count == 1 else f"_{count}"
                uses = self.uses.setdefault(teacher, set())
                uses.update(part for part in learned.parts if isinstance(part, From))

    def name(self, teacher: Request, field: str) -> str:
        """The variable holding ``field`` of ``teacher``'s answer."""
        return re.sub(r"\W", "_", field) + self._suffix[teacher]


#: Server choices no replay depends on: where the server says it runs, and how much of the
#: body the harness keeps.
QUIET_CHOICES = ("server_name", "server_port", "response_body_limit")


def choices_unlike(config: ServerConfig, reference: ServerConfig) -> list[str]:
    """``config``'s choices that ``reference`` does not make, as ``name=value``."""
    return [
        f"{each.name}={getattr(config, each.name)!r}"
        for each in fields(ServerConfig)
        if each.init
        and each.name not in QUIET_CHOICES
        and getattr(config, each.name) != getattr(reference, each.name)
    ]


#: The server choice (``Limits``) that lets a target's raw non-ASCII bytes through to the
#: app: ``check`` makes it, to show them to the app; ``serve`` never does (it answers 400).
RAW_TARGETS = "raw_latin1_targets=True (Limits)"


def needs_raw_targets(requests: Sequence[Request | None]) -> bool:
    """Whether one of ``requests`` has a raw non-ASCII byte in its target (which only a
    server made with :data:`RAW_TARGETS` hands to the app)."""
    return any(each is not None and not each.target.isascii() for each in requests)


def target_choices(requests: Sequence[Request | None]) -> list[str]:
    """:data:`RAW_TARGETS` when one of ``requests`` has a raw non-ASCII byte in its target."""
    return [RAW_TARGETS] if needs_raw_targets(requests) else []


def serve_command(target: str, config: ServerConfig, requests: Sequence[Request] = ()) -> str:
    """Where a curl replay goes: ``wsgicheck serve`` for ``target``, mounted where the run
    mounted the app, and, when the run chose differently from what ``serve`` does (short
    reads, no file wrapper, raw bytes in ``requests``' targets...), those choices, which the
    finding may need and only the Python replay makes."""
    mount = f" --script-name {shlex.quote(config.script_name)}" if config.script_name else ""
    # One thread makes wsgi.multithread false (Quixote's QWIP refuses a threaded server).
    threads = "" if config.multithread else " --threads 1"
    command = f"`wsgicheck serve {target} --port 8000{mount}{threads}`"
    served = ServerConfig(script_name=config.script_name, multithread=config.multithread)
    unmade = choices_unlike(config, served) + target_choices(requests)
    if unmade:
        command += (
            f", which does not make this run's server choices {', '.join(unmade)}: the "
            "Python replay does"
        )
    return command


def probe_reproducers(
    request: Request,
    app: str,
    authority: str,
    together: tuple[Request, ...] = (),
    after: Request | None = None,
    *,
    shut: bool = False,
) -> Reproducers:
    """The reproducers of a request a probe sent to another server: curl, and the raw bytes
    over a socket, to that server started with ``{app}`` (``app``) on port 8000, a Host that
    named where the probe ran it (``authority``) naming that port. wsgicheck's own core would
    not show what that server does. ``together``: the requests the probe sent in one write
    with this one (pipelined), which the raw bytes send so too; ``after``: the request the
    probe sent before this one on its connection, and read the answer to first, which the
    raw bytes send so too. curl can do neither (it opens a new connection after an answer
    that says ``close``). ``shut``: the probe shut its side of the connection when no answer
    came (an app's read waiting past the body), which the raw bytes' replay does too."""

    def on_port_8000(each: Request) -> Request:
        return each.replace(
            headers=tuple(
                (name, SERVE_AUTHORITY if name.lower() == "host" and value == authority else value)
                for name, value in each.headers
            )
        )

    request = on_port_8000(request)
    raw = b"".join(on_port_8000(each).to_bytes() for each in together) or request.to_bytes()
    end = raw.find(b"\r\n\r\n") + 4
    head, body = raw[:end], raw[end:]
    if after is not None:
        sending = [
            f"first = {on_port_8000(after).to_bytes()!r}",
            f"request = {raw!r}",
            _CONNECT,
            "    sock.sendall(first)",
            "    print(sock.recv(65536))  # the answer to the first (its first block)",
            "    try:",
            "        sock.sendall(request)",
            "    except OSError as error:",
            '        print("the server closed the connection:", error)',
        ]
    elif together or not body or not _expects_continue(request):
        sending = [f"request = {raw!r}", _CONNECT, "    sock.sendall(request)"]
        if shut:
            sending += [
                f"    sock.settimeout({SHUT_WAIT:g})",
                "    try:",
                "        print(sock.recv(65536))",
                "    except TimeoutError:  # the app's read waits: end the request body",
                f'        print("no answer within {SHUT_WAIT:g} s: the client shuts its side")',
                "        sock.shutdown(socket.SHUT_WR)",
                "    sock.settimeout(5)",
            ]
    else:
        # The body waits for the interim answer, as the probe's client and curl wait.
        sending = [
            f"head, body = {head!r}, {body!r}",
            _CONNECT,
            "    sock.sendall(head)",
            f"    sock.settimeout({EXPECT_WAIT:g})",
            "    try:",
            "        print(sock.recv(65536))  # 100 Continue, where the server sends it",
            "    except TimeoutError:",
            f'        print("no interim answer within {EXPECT_WAIT:g} s: the body goes anyway")',
            "    sock.settimeout(5)",
            "    sock.sendall(body)",
        ]
    python = "\n".join(
        [
            "import socket",
            "",
            *sending,
            "    try:",
            "        while data := sock.recv(65536):",
            "            print(data)",
            '        print("the server closed the connection")',
            "    except TimeoutError:",
            '        print("nothing more in 5 s: the server kept the connection open")',
            *(
                [
                    "    except ConnectionResetError:",
                    '        print("the server reset the connection")',
                ]
                if after is not None
                else []
            ),
        ]
    )
    against = (
        f"the server, started as the probe started it with `{{app}}` = `{app}` and `{{port}}` "
        "= `8000`"
    ) + (
        f"; the raw bytes send {len(together)} requests in one write, as the probe did, where "
        "curl sends one"
        if together
        else "; the raw bytes send the request the probe sent before it on the same "
        "connection first, and read its answer, where curl sends one"
        if after is not None
        else ""
    )
    if shut:
        against += "; the raw bytes shut the client's side when no answer comes, as the probe did"
    if any(each.wire_edits for each in (request, *together, *([after] if after else []))):
        # (A field folded over two lines, both lengths: curl sends the request as read.)
        against += "; only the raw bytes send the head as the probe did, which curl cannot spell"
    if request.method == "HEAD" and _with_body(request):
        against += f"; {_HEAD_WITH_BODY}"
    return Reproducers(raw, curl_command(request, ServerConfig()), python, against)


_CONNECT = 'with socket.create_connection(("127.0.0.1", 8000), timeout=5) as sock:'
#: Seconds a Python replay waits for an answer before it shuts its side of the connection,
#: where the probe did so to end an app's read that waited.
SHUT_WAIT = 3
#: Seconds a Python replay of a request with ``Expect: 100-continue`` waits for the interim
#: answer before it sends the body (curl waits one).
EXPECT_WAIT = 3


def _expects_continue(request: Request) -> bool:
    return any(
        value.strip(" \t").lower() == "100-continue" for value in request.header_values("expect")
    )


#: Bodies from this many bytes on that repeat a run of bytes are written as that run
#: repeated (the large bodies a run draws are one byte, or the printable ASCII, over and
#: over: a megabyte written out is no replay anyone can paste, nor a line a report folds).
REPEATED_FROM = 256
#: The longest run looked for.
LONGEST_RUN = 128


def _repeated_run(data: bytes) -> bytes | None:
    """The shortest run of bytes that ``data`` is, over and over (the last time cut short,
    maybe), for a body of :data:`REPEATED_FROM` bytes or more; None for any other."""
    if len(data) < REPEATED_FROM:
        return None
    view = memoryview(data)
    for period in range(1, LONGEST_RUN + 1):
        if view[period:] == view[:-period]:  # compared in place, not copied
            return data[:period]
    return None


def _run_source(run: bytes) -> str:
    """A Python expression of ``run`` with no single quote in it (a shell's ``'...'`` holds
    it): ``bytes(range(32, 127))`` for consecutive bytes, else a ``b"..."`` literal."""
    end = run[0] + len(run)
    if len(run) > 2 and end <= 256 and run == bytes(range(run[0], end)):
        return f"bytes(range({run[0]}, {end}))"
    escaped = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and chr(byte) not in "'\"\\" else f"\\x{byte:02x}"
        for byte in run
    )
    return f'b"{escaped}"'


def body_source(data: bytes) -> str:
    """``data`` as Python source: a long repeated run as ``b"x" * 1048576`` (or cut to its
    length), anything else as its ``repr``."""
    run = _repeated_run(data)
    if run is None:
        return repr(data)
    count, rest = divmod(len(data), len(run))
    if not rest:
        return f"{_run_source(run)} * {count}"
    return f"({_run_source(run)} * {count + 1})[:{len(data)}]"


def shell_word(text: str) -> str:
    """A bash word for a command's argument that reads the same in any report: quoted as it
    is where :func:`show` leaves it so, else ``$'...'`` with each byte that is not printable
    ASCII escaped, and ``#`` (a file name's undecodable bytes, a line break, a bidirectional
    control: a report shows each escaped, and the shell's quoting would then say another
    name; a review of 2026-12-07)."""
    if show(text, limit=len(text) + 100) == text:
        return shlex.quote(text)
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file name's byte stands for
        data = text.encode("utf-8", "surrogatepass")
    escaped = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and chr(byte) not in "'\\#" else f"\\x{byte:02x}"
        for byte in data
    )
    return f"$'{escaped}'"


def check_command(target: str, arguments: Sequence[str]) -> str:
    """``wsgicheck check TARGET ARGUMENTS...`` as bash words any report shows as they are;
    a TARGET that starts with a dash is a file's path (no module's name does), written
    ``./TARGET`` so that it does not read as an option."""
    target = f"./{target}" if target.startswith("-") else target
    return " ".join(shell_word(word) for word in ["wsgicheck", "check", target, *arguments])


def _bash_quote(data: bytes) -> str:
    """A bash word for ``data``: plain quoting when printable, ``$'...'`` escapes otherwise."""
    text = data.decode("latin-1")
    if text.isprintable() and text.isascii():
        return shlex.quote(text)
    escaped = "".join(
        char if 0x20 <= ord(char) < 0x7F and char not in "'\\" else f"\\x{ord(char):02x}"
        for char in text
    )
    return f"$'{escaped}'"


def _printf_format(data: bytes) -> str:
    """A printf format (single-quoted) that prints exactly ``data``, NUL bytes included."""
    escaped = "".join(
        chr(byte) if 0x20 <= byte < 0x7F and chr(byte) not in "'\\%" else f"\\{byte:03o}"
        for byte in data
    )
    return f"'{escaped}'"


#: A shell function that prints field ``$1`` (lower-case) of the head ``$2`` (curl's
#: ``-D -``), its whitespace around it trimmed.
_LEARN = (
    "learn() { printf '%s\\n' \"$2\" | tr -d '\\r' | awk -v name=\"$1\" 'tolower($0) ~ "
    '"^" name ":" { sub(/^[^:]*:[ \\t]*/, ""); sub(/[ \\t]+$/, ""); print; exit }\'; }'
)
#: A shell function that prints the HTTP-date ``$1`` moved by ``$2`` days, as
#: :func:`~wsgicheck.model.learned.moved` does.
_MOVED = (
    "moved() { python3 -c 'import sys, datetime as d, email.utils as e; "
    "t = e.parsedate_to_datetime(sys.argv[1]).astimezone(d.timezone.utc); "
    "print(e.format_datetime(t + d.timedelta(days=int(sys.argv[2])), usegmt=True))' "
    '"$1" "$2"; }'
)
#: A shell function that prints the HTTP-date ``$1`` in the obsolete form ``$2``
#: (``rfc850`` or ``asctime``), as :func:`~wsgicheck.model.learned.restated` does, and stops
#: the replay, saying why, where that gives none (no date; an rfc850 year that would read
#: back as another). Only the standard library: a curl replay needs no wsgicheck.
_RESTATED = (
    "restated() { python3 -c 'import sys, re, datetime as d, email.utils as e; "
    "v, f = sys.argv[1], sys.argv[2]; "
    # parsedate_to_datetime's own parser, which gives no zone (None) rather than GMT's 0
    'p = e._parsedate_tz(v) if v.count(",") < 2 else None; '
    'a = re.fullmatch("[A-Za-z]{3} [A-Za-z]{3} [ 0-9][0-9] [0-9:]{8} [0-9]{4}", v.strip(" \\t")); '
    "p = p if p is not None and (p[9] is not None or a) else None; "
    "t = d.datetime.fromtimestamp(e.mktime_tz((*p[:9], p[9] or 0)), d.timezone.utc) "
    "if p else None; "
    "y = t.year if t else 0; s = y % 100; n = 2000 + s; "
    "r = n if n <= d.datetime.now(d.timezone.utc).year + 50 else n - 100; "
    'ok = t is not None and (f == "asctime" or (1900 if s > 68 else 2000) + s == r == y); '
    'ok or sys.exit("the Last-Modified " + repr(v) + " cannot be written in the " + f + " form"); '
    'D = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()[t.weekday()]; '
    'M = "JanFebMarAprMayJunJulAugSepOctNovDec"[3 * t.month - 3 : 3 * t.month]; '
    'c = f"{t.hour:02}:{t.minute:02}:{t.second:02}"; '
    'print(f"{D}, {t.day:02}-{M}-{t.year % 100:02} {c} GMT" if f == "rfc850" '
    'else f"{D[:3]} {M} {t.day:>2} {c} {t.year}")'
    '\' "$1" "$2"; }'
)
#: The shell text of a learned validator's change, where it is more than the variable
#: (``{}``: the name of the one it is made from, :func:`_shell_variable`).
_SHELL_CHANGES = {"weak": "W/${{{}}}", "stale": '${{{}%?}}-stale\\"'}
#: The variable a change is made from, after the field's own (``tag``: the ETag without
#: ``W/``), and the field whose variable of that name needs no prefix.
_SHELL_FROM = {
    "strong": ("tag", "etag"),
    "weak": ("tag", "etag"),
    "stale": ("tag", "etag"),
    "day before": ("day before", "last-modified"),
    "day after": ("day after", "last-modified"),
    "rfc850": ("rfc850", "last-modified"),
    "asctime": ("asctime", "last-modified"),
}
#: The Python text of a learned validator's change (``{}``: its variable's name), and the
#: function of :mod:`wsgicheck.model.learned` it calls.
_PYTHON_CHANGES = {
    "": ("{}", ""),
    "strong": ("strong({})", "strong"),
    "weak": ("weak({})", "weak"),
    "stale": ("stale({})", "stale"),
    "day before": ("moved({}, -1)", "moved"),
    "day after": ("moved({}, 1)", "moved"),
    "rfc850": ("restated({}, 'rfc850')", "restated"),
    "asctime": ("restated({}, 'asctime')", "restated"),
}


def _curl_sequence(every: Sequence[Request], config: ServerConfig) -> str:
    """One curl after the other for the requests of ``every``; the answer to a request
    whose validators a later one sends back read into variables (``-D -``, and
    :data:`_LEARN`), which that one's fields name."""
    taught = _Taught(every)
    commands = []
    if taught.read:
        changes = {part.change for uses in taught.uses.values() for part in uses}
        moves = changes & {"day before", "day after"}
        forms = changes & {"rfc850", "asctime"}
        commands += [_LEARN, *([_MOVED] if moves else []), *([_RESTATED] if forms else [])]
    for position, request in enumerate(every):
        values = {
            index: "".join(
                _shell_quoted(part)
                if isinstance(part, str)
                else _SHELL_CHANGES.get(part.change, "${{{}}}").format(
                    _shell_variable(taught, every[at], part.field, part.change)
                )
                for part in learned.parts
            )
            for index, (learned, at) in taught.found[position].items()
        }
        command = curl_command(request, config, values=values)
        if position in taught.read:
            commands.append(f"answer=$({command} -o /dev/null -D -)")
            commands += _shell_reads(every[position], taught)
        elif position < len(every) - 1:
            commands.append(command + " -o /dev/null")
        else:
            commands.append(command)
    chained = " && ".join(commands)
    # In a subshell: the functions and variables it makes stay out of the user's shell.
    return f"( {chained} )" if taught.read else chained


def _shell_variable(taught: _Taught, teacher: Request, field: str, change: str) -> str:
    """The variable that holds ``field`` of ``teacher``'s answer, or that ``change`` of it
    is made from."""
    if change not in _SHELL_FROM:
        return taught.name(teacher, field)
    made_from, plain = _SHELL_FROM[change]
    return taught.name(teacher, made_from if field == plain else f"{field} {made_from}")


def _shell_reads(teacher: Request, taught: _Taught) -> list[str]:
    """The shell commands that read what ``teacher``'s answer (in ``$answer``) teaches."""
    uses = taught.uses[teacher]
    out = []
    for field in sorted({part.field for part in uses}):
        variable = taught.name(teacher, field)
        out.append(f'{variable}=$(learn {shlex.quote(field)} "$answer")')
        # A fresh app that gives no such field stops the replay, saying so.
        said = shlex.quote(f"the answer gave no {_SPELLED.get(field, field)}")
        out.append(f': "${{{variable}:?"{said[1:-1]}"}}"')
        changes = {part.change for part in uses if part.field == field}
        if changes & {"strong", "weak", "stale"}:
            out.append(f"{_shell_variable(taught, teacher, field, 'strong')}=${{{variable}#W/}}")
        for change, days in (("day before", "-1"), ("day after", "1")):
            if change in changes:
                moved = _shell_variable(taught, teacher, field, change)
                out.append(f'{moved}=$(moved "${variable}" {days})')
        for form in ("rfc850", "asctime"):
            if form in changes:
                restated = _shell_variable(taught, teacher, field, form)
                out.append(f'{restated}=$(restated "${variable}" {form})')
    return out


def _shell_quoted(text: str) -> str:
    """``text`` as it stands inside double quotes in bash."""
    return re.sub(r'(["\\$`])', r"\\\1", text)


def _with_body(request: Request) -> bool:
    """Whether curl must send a body for ``request`` (an empty chunked one is a body too)."""
    return bool(request.body) or request.framing is not Framing.NONE


#: What a curl replay of a HEAD with a body ends with, said beside it: its waiting is curl's.
_HEAD_WITH_BODY = (
    "curl, sending a HEAD with a body, waits after the head for any body the answer's "
    'Content-Length announces, and then ends at --max-time with exit 28 ("Operation timed '
    'out")'
)


def curl_command(
    request: Request,
    config: ServerConfig,
    base_url: str = SERVE_URL,
    *,
    values: Mapping[int, str] | None = None,
) -> str:
    """A curl command sending ``request`` to ``wsgicheck serve`` (``--port 8000``);
    ``values``: shell text (for inside double quotes) to send as the value of the field
    at that index in its headers, in place of the run's."""
    parts = ["curl", "-v", "--path-as-is"]
    if request.http_version == "1.0":
        parts.append("--http1.0")
    with_body = _with_body(request)
    if request.method == "HEAD" and not with_body:
        parts.append("--head")
    elif request.method == "HEAD":
        # curl's --head sends no body; -X HEAD does, then waits for the body the answer's
        # Content-Length announces (none comes): a time limit ends the wait.
        parts += ["-X", "HEAD", "--max-time", "5"]
    elif request.method != "GET" or with_body:  # --data-binary alone would make it a POST
        parts += ["-X", request.method]
    for index, (name, value) in enumerate(request.headers):
        if values and index in values:
            parts += ["-H", f'"{_shell_quoted(name)}: {values[index]}"']
        elif name.lower() == "host":
            parts += ["-H", shlex.quote(f"Host: {value}")]
        elif value == "":  # curl drops "Name:" and sends "Name;" as an empty field
            parts += ["-H", _bash_quote(f"{name};".encode("latin-1"))]
        else:
            parts += ["-H", _bash_quote(f"{name}: {value}".encode("latin-1"))]
    sent = {name.lower() for name, _ in request.headers}
    # Fields curl adds of its own, left out where the request had none.
    for name in ("Host", "Expect", "User-Agent", "Accept"):
        if name.lower() not in sent:
            parts += ["-H", shlex.quote(f"{name}:")]
    if request.framing is Framing.CHUNKED:
        parts += ["-H", shlex.quote("Transfer-Encoding: chunked")]
    if with_body:
        # curl sends a body only with --data-binary (chunked: the last chunk even of an
        # empty one), and with it a Content-Type of its own unless told to send none.
        if "content-type" not in sent:
            parts += ["-H", shlex.quote("Content-Type:")]
        if _repeated_run(request.body) is not None:
            # A long body, written as the run it repeats: Python prints it on stdin.
            write = f"import sys; sys.stdout.buffer.write({body_source(request.body)})"
            parts = ["python3", "-c", f"'{write}'", "|", *parts, "--data-binary", "@-"]
        elif b"\x00" in request.body:
            # A bash word cannot hold a NUL: the body comes from printf on stdin instead.
            parts = ["printf", _printf_format(request.body), "|", *parts, "--data-binary", "@-"]
        else:
            parts += ["--data-binary", _bash_quote(request.body) if request.body else "''"]
    if _url_keeps(request.target):
        if _GLOBS.intersection(request.target):
            parts.append("--globoff")  # or curl reads [1-9] and {a,b} as sets of URLs
        parts.append(_bash_quote((base_url + request.target).encode("latin-1")))
    else:
        # asterisk-form (OPTIONS *), absolute-form, or a target curl would alter in a URL:
        # it sends none of a fragment, and percent-encodes bytes outside printable ASCII.
        parts += ["--request-target", _bash_quote(request.target.encode("latin-1")), base_url]
    return " ".join(parts)


#: What curl's URL globbing reads in a URL, unless told --globoff.
_GLOBS = frozenset("[]{}")


def _url_keeps(target: str) -> bool:
    """Whether curl sends ``target`` as it stands when it is written in the URL: an
    origin-form of printable ASCII without ``#`` (curl cuts a fragment off)."""
    return target.startswith("/") and "#" not in target and all("!" <= c <= "~" for c in target)


#: Characters of ``Client(...)`` that fit on the snippet's line; past them, one server
#: choice a line (a report folds only long strings).
CLIENT_LINE = 80


def python_snippet(
    request: Request,
    config: ServerConfig,
    target: str,
    before: Sequence[Request] = (),
    *,
    twice: bool = False,
    waits: float | None = None,
    lingering: Sequence[str] = (),
) -> str:
    """Python that replays ``request`` in memory, exactly, under the same server choices;
    after the requests ``before`` it, on the same client, when it ends a sequence (the
    validators it sends back read from the answers it gets, where the run read its own).
    With ``waits``, it sends the last request from a thread and waits that many seconds
    for the answer, saying so when none came. With ``twice``, it sends the last request
    twice and prints what differs between the two answers. With ``lingering``, the threads
    the app left running (which Python would wait for at exit), it ends its process when
    done."""
    defaults = ServerConfig()
    changed = [
        f"{each.name}={getattr(config, each.name)!r}"
        for each in fields(ServerConfig)
        if each.init
        and each.name not in ("server_name", "server_port", "response_body_limit")
        and getattr(config, each.name) != getattr(defaults, each.name)
    ]
    every = [*before, request]
    taught = _Taught(every)
    values = [
        {
            index: " + ".join(
                repr(part)
                if isinstance(part, str)
                else _PYTHON_CHANGES[part.change][0].format(taught.name(every[at], part.field))
                for part in learned.parts
            )
            for index, (learned, at) in found.items()
        }
        for found in taught.found
    ]
    request_lines = _request_lines(request, values=values[-1])
    earlier = _earlier(before, values, taught)
    # Import only what the snippet uses, so it passes a linter when pasted into a test.
    names = ["Client", "Request"]
    if any("Framing." in line for line in [*request_lines, *earlier]):
        names.insert(1, "Framing")
    if changed:
        names.append("ServerConfig")
    used = {
        _PYTHON_CHANGES[part.change][1]
        for found in taught.found
        for learned, _ in found.values()
        for part in learned.parts
        if isinstance(part, From)
    }
    learned_names = sorted(used - {""})
    client = f"Client(app, config=ServerConfig({', '.join(changed)}))" if changed else "Client(app)"
    if len(client) > CLIENT_LINE:  # one server choice a line, so a report's line fits
        client = "\n".join(
            ["Client(app, config=ServerConfig(", *(f"    {c}," for c in changed), "))"]
        )
    linked = (
        "" if not before else ", history=tuple(history)" if taught.read else ", history=history"
    )
    as_sent = _as_sent(every) if untaught(every) else ""
    judged = [
        f"for finding in check_exchange(Exchange(response{linked})):",
        "    print(finding.rule, finding.message)",
    ]
    sent = ["response = client.send(Request(", *request_lines, "))", *judged]
    if twice:
        # The run's comparison is its own (status, fields, body, what the app did): these
        # three tell most of it, in code a reader can follow.
        sent = [
            "request = Request(",
            *request_lines,
            ")",
            "first, again = client.send(request), client.send(request)",
            "for part, one, other in [",
            '    ("status", first.status, again.status),',
            '    ("header names", sorted({name.lower() for name, _ in first.headers}),',
            "     sorted({name.lower() for name, _ in again.headers})),",
            '    ("body", first.body, again.body),',
            "]:",
            "    if one != other:",
            '        print(f"sent again, it differs in {part}: {one!r} then {other!r}")',
        ]
    if waits is not None:
        # A hang shown as the run showed it: no answer in the time, and the replay ends.
        sent = [
            "request = Request(",
            *request_lines,
            ")",
            "answers = []",
            "sender = threading.Thread(",
            "    target=lambda: answers.append(client.send(request)), daemon=True",
            ")",
            "sender.start()",
            f"sender.join({waits:g})",
            "if not answers:",
            f"    print('no answer in {waits:g} s, the time limit')",
            "for response in answers:",
            *(f"    {line}" for line in judged),
        ]
    judging = "Exchange" if twice else "Exchange, check_exchange"
    stdlib = [
        *(["import os", "import sys"] if lingering else []),
        *(["import threading"] if waits is not None else []),
    ]
    return "\n".join(
        [
            *([*stdlib, ""] if stdlib else []),
            f"from wsgicheck import {', '.join(names)}",
            *(
                [f"from wsgicheck.model.learned import {', '.join(learned_names)}"]
                if learned_names
                else []
            ),
            *([] if twice and not before else [f"from wsgicheck.rules import {judging}"]),
            "from wsgicheck.target import load_target",
            "",
            f"app = load_target({target!r})",
            f"client = {client}",
            *([f"# {as_sent}."] if as_sent else []),
            *earlier,
            *sent,
            *(_ended(lingering) if lingering else []),
        ]
    )


#: Thread names a Python replay names at most, each quoted (:func:`quoted`: cut past 60
#: characters), so that the line naming them fits a report's.
_THREADS_NAMED = 2


def _ended(lingering: Sequence[str]) -> list[str]:
    """The last lines of a Python replay of an app that left threads running: Python would
    wait for them at exit, and the replay would never end (calibre-web's scheduler)."""
    named = ", ".join(quoted(name) for name in lingering[:_THREADS_NAMED])
    more = len(lingering) - _THREADS_NAMED
    named += f" and {more} more" if more > 0 else ""
    return [
        "# The app leaves threads running, which Python waits for at exit: the replay",
        "# ends its process itself (leave these lines out of a test). The threads:",
        f"# {named}",
        "sys.stdout.flush()",
        "os._exit(0)",
    ]


#: How a replay that reads validators from its answers adds a run of requests to them.
_SEND_RUN = "history += [Exchange(client.send(each)) for each in earlier]"
#: The field names as a Python replay reads them from an answer.
_SPELLED = {"etag": "ETag", "last-modified": "Last-Modified"}


def _earlier(
    before: Sequence[Request], values: Sequence[Mapping[int, str]], taught: _Taught
) -> list[str]:
    """The Python lines that send the requests ``before`` the last one, their exchanges in
    ``history``; where a later request sends back what the answer to one taught, a run of
    them ends at it, and its answer is read into variables (:class:`_Taught`)."""
    if not before:
        return []
    items = [_request_lines(each, "    ", values[at]) for at, each in enumerate(before)]
    # The rules over a sequence judge the last exchange beside the earlier ones.
    if not taught.read:
        lines = [line for item in items for line in item]
        send = "history = tuple(Exchange(client.send(each)) for each in earlier)"
        return ["earlier = [", *lines, "]", send]
    out = ["history = []"]
    start = 0
    for at in taught.read:
        run = [line for item in items[start : at + 1] for line in item]
        out += ["earlier = [", *run, "]", _SEND_RUN]
        if start == 0:
            out.append(
                "# The validators sent back are read from this app's answers, as the run's were."
            )
        teacher = before[at]
        for field in sorted({part.field for part in taught.uses[teacher]}):
            spelled = _SPELLED.get(field, field)
            variable = taught.name(teacher, field)
            out.append(f"{variable} = history[-1].response.header({spelled!r})")
            out.append(f"assert {variable} is not None, {f'the answer gave no {spelled}'!r}")
        start = at + 1
    if start < len(before):
        run = [line for item in items[start:] for line in item]
        out += ["earlier = [", *run, "]", _SEND_RUN]
    return out


def _request_lines(
    request: Request, indent: str = "", values: Mapping[int, str] | None = None
) -> list[str]:
    """``Request(`` fields ``)`` as Python source lines (only the fields not at default;
    text past ASCII escaped: a target's raw byte is latin-1 text, which read as a
    character says nothing of the byte sent); with an ``indent``, one ``Request(...),``
    item of a list. ``values``: Python expressions to send as the value of the field at
    that index in its headers."""
    lines = [
        f"    headers={_headers_source(request.headers, values)},"
        if each.name == "headers" and values
        else f"    body={body_source(request.body)},"
        if each.name == "body"
        else f"    {each.name}={getattr(request, each.name)!a},"
        for each in fields(Request)
        if each.compare and getattr(request, each.name) != getattr(Request(), each.name)
    ]
    lines = [
        line.replace("<Framing.CONTENT_LENGTH: 'content-length'>", "Framing.CONTENT_LENGTH")
        .replace("<Framing.CHUNKED: 'chunked'>", "Framing.CHUNKED")
        .replace("<Framing.NONE: 'none'>", "Framing.NONE")
        for line in lines
    ]
    if not indent:
        return lines
    return [f"{indent}Request(", *(indent + line for line in lines), f"{indent}),"]


def _headers_source(headers: tuple[tuple[str, str], ...], values: Mapping[int, str]) -> str:
    """``headers`` as a Python tuple, the value at each index of ``values`` that
    expression."""
    items = [
        f"({name!a}, {values[index]})" if index in values else ascii((name, value))
        for index, (name, value) in enumerate(headers)
    ]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
