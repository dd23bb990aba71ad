"""Reproducers for a failing example: the raw bytes, a curl command, a Python snippet.

The raw bytes are exact. The curl command replays the request against
``wsgicheck serve TARGET --port 8000`` (curl cannot send every request wsgicheck can: raw
latin-1 bytes and chosen chunk boundaries are approximated, and the snippet says so). The
Python snippet replays it exactly, in memory, with the same server choices.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, fields

from ..core.environ import ServerConfig
from ..model.request import Framing, Request

__all__ = [
    "Reproducers",
    "choices_unlike",
    "curl_command",
    "probe_reproducers",
    "python_snippet",
    "reproducers",
    "serve_command",
    "target_choices",
]

SERVE_AUTHORITY = "127.0.0.1:8000"
SERVE_URL = f"http://{SERVE_AUTHORITY}"
#: Where the curl and Python replays of a run's finding send their request.
SERVE_AGAINST = "`wsgicheck serve TARGET --port 8000`"
#: What the curl replay of a finding over several answers shows, and what it cannot.
SERVE_ALONE = (
    "serve judges each answer alone and shows these answers, not the finding, which compares "
    "the last with those before it: the Python replay judges them together"
)


@dataclass(frozen=True, slots=True)
class Reproducers:
    """Three ways to replay one request, and where the curl and Python replays go."""

    raw: bytes
    curl: str
    python: str
    against: str = SERVE_AGAINST


def reproducers(
    request: Request,
    config: ServerConfig,
    target: str,
    before: Sequence[Request] = (),
    *,
    compared: bool = False,
) -> Reproducers:
    """The three reproducers of ``request``; with ``before``, of the whole sequence: every
    request in order, on one connection (raw), one curl after the other, one client.
    ``compared``: the finding's rule compares the last answer with the earlier ones, which
    ``serve`` never does (it judges each exchange alone), and the curl replay says so."""
    against = serve_command("TARGET", config, [*before, request])
    if before:
        if compared:
            against += f"; {SERVE_ALONE}"
        every = [*before, request]
        return Reproducers(
            b"".join(each.to_bytes() for each in every),
            " && ".join(curl_command(each, config) + " -o /dev/null" for each in before)
            + " && "
            + curl_command(request, config),
            python_snippet(request, config, target, before),
            against,
        )
    return Reproducers(
        request.to_bytes(),
        curl_command(request, config),
        python_snippet(request, config, target),
        against,
    )


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
RAW_TARGETS = "raw_latin1_targets=True"


def target_choices(requests: Sequence[Request | None]) -> list[str]:
    """:data:`RAW_TARGETS` when one of ``requests`` has a raw non-ASCII byte in its target."""
    raw = any(each is not None and not each.target.isascii() for each in requests)
    return [RAW_TARGETS] if raw else []


def serve_command(target: str, config: ServerConfig, requests: Sequence[Request] = ()) -> str:
    """Where a curl replay goes: ``wsgicheck serve`` for ``target``, mounted where the run
    mounted the app, and, when the run chose differently from what ``serve`` does (short
    reads, no file wrapper, raw bytes in ``requests``' targets...), those choices, which the
    finding may need and only the Python replay makes."""
    mount = f" --script-name {shlex.quote(config.script_name)}" if config.script_name else ""
    command = f"`wsgicheck serve {target} --port 8000{mount}`"
    served = ServerConfig(script_name=config.script_name, multithread=True)  # serve's threads
    unmade = choices_unlike(config, served) + target_choices(requests)
    if unmade:
        command += (
            f", which does not make this run's server choices {', '.join(unmade)}: the "
            "Python replay does"
        )
    return command


def probe_reproducers(
    request: Request, app: str, authority: str, together: tuple[Request, ...] = ()
) -> Reproducers:
    """The reproducers of a request a probe sent to another server: curl, and the raw bytes
    over a socket, to that server started with ``{app}`` (``app``) on port 8000, a Host that
    named where the probe ran it (``authority``) naming that port. wsgicheck's own core would
    not show what that server does. ``together``: the requests the probe sent in one write
    with this one (pipelined), which the raw bytes send so too; curl cannot."""

    def on_port_8000(each: Request) -> Request:
        return each.replace(
            headers=tuple(
                (name, SERVE_AUTHORITY if name.lower() == "host" and value == authority else value)
                for name, value in each.headers
            )
        )

    request = on_port_8000(request)
    raw = b"".join(on_port_8000(each).to_bytes() for each in together) or request.to_bytes()
    python = "\n".join(
        [
            "import socket",
            "",
            f"request = {raw!r}",
            'with socket.create_connection(("127.0.0.1", 8000), timeout=5) as sock:',
            "    sock.sendall(request)",
            "    try:",
            "        while data := sock.recv(65536):",
            "            print(data)",
            "    except TimeoutError:",
            "        pass  # the server kept the connection open",
        ]
    )
    against = (
        f"the server, started as the probe started it with `{{app}}` = `{app}` and `{{port}}` "
        "= `8000`"
    ) + (
        f"; the raw bytes send {len(together)} requests in one write, as the probe did, where "
        "curl sends one"
        if together
        else ""
    )
    return Reproducers(raw, curl_command(request, ServerConfig()), python, against)


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


def curl_command(request: Request, config: ServerConfig, base_url: str = SERVE_URL) -> str:
    """A curl command sending ``request`` to ``wsgicheck serve`` (``--port 8000``)."""
    parts = ["curl", "-v", "--path-as-is"]
    if request.http_version == "1.0":
        parts.append("--http1.0")
    with_body = bool(request.body) or request.framing is not Framing.NONE
    if request.method == "HEAD" and not with_body:
        parts.append("--head")
    elif request.method == "HEAD":
        # curl's --head sends no body; -X HEAD does, then waits for the body the answer's
        # Content-Length announces (none comes): a time limit ends the wait.
        parts += ["-X", "HEAD", "--max-time", "5"]
    elif request.method != "GET" or with_body:  # --data-binary alone would make it a POST
        parts += ["-X", request.method]
    for name, value in request.headers:
        if name.lower() == "host":
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
        if b"\x00" in request.body:
            # A bash word cannot hold a NUL: the body comes from printf on stdin instead.
            parts = ["printf", _printf_format(request.body), "|", *parts, "--data-binary", "@-"]
        else:
            parts += ["--data-binary", _bash_quote(request.body) if request.body else "''"]
    if request.target.startswith("/"):
        parts.append(_bash_quote((base_url + request.target).encode("latin-1")))
    else:  # asterisk-form (OPTIONS *) or absolute-form: no URL of curl's can say it
        parts += ["--request-target", _bash_quote(request.target.encode("latin-1")), base_url]
    return " ".join(parts)


#: Characters of ``Client(...)`` that fit on the snippet's line; past them, one server
#: choice a line (a report folds only long strings).
CLIENT_LINE = 80


def python_snippet(
    request: Request, config: ServerConfig, target: str, before: Sequence[Request] = ()
) -> str:
    """Python that replays ``request`` in memory, exactly, under the same server choices;
    after the requests ``before`` it, on the same client, when it ends a sequence."""
    defaults = ServerConfig()
    changed = [
        f"{each.name}={getattr(config, each.name)!r}"
        for each in fields(ServerConfig)
        if each.init
        and each.name not in ("server_name", "server_port", "response_body_limit")
        and getattr(config, each.name) != getattr(defaults, each.name)
    ]
    request_lines = _request_lines(request)
    earlier = [line for each in before for line in _request_lines(each, "        ")]
    # Import only what the snippet uses, so it passes a linter when pasted into a test.
    names = ["Client", "Request"]
    if any("Framing." in line for line in [*request_lines, *earlier]):
        names.insert(1, "Framing")
    if changed:
        names.append("ServerConfig")
    client = f"Client(app, config=ServerConfig({', '.join(changed)}))" if changed else "Client(app)"
    if len(client) > CLIENT_LINE:  # one server choice a line, so a report's line fits
        client = "\n".join(
            ["Client(app, config=ServerConfig(", *(f"    {c}," for c in changed), "))"]
        )
    linked = ", history=history" if before else ""
    return "\n".join(
        [
            f"from wsgicheck import {', '.join(names)}",
            "from wsgicheck.rules import Exchange, check_exchange",
            "from wsgicheck.target import load_target",
            "",
            f"app = load_target({target!r})",
            f"client = {client}",
            *(
                # The rules over a sequence judge the last exchange beside the earlier ones.
                [
                    "earlier = [",
                    *earlier,
                    "]",
                    "history = tuple(Exchange(client.send(each)) for each in earlier)",
                ]
                if before
                else []
            ),
            "response = client.send(Request(",
            *request_lines,
            "))",
            f"for finding in check_exchange(Exchange(response{linked})):",
            "    print(finding.rule, finding.message)",
        ]
    )


def _request_lines(request: Request, indent: str = "") -> list[str]:
    """``Request(`` fields ``)`` as Python source lines (only the fields not at default);
    with an ``indent``, one ``Request(...),`` item of a list."""
    lines = [
        f"    {each.name}={getattr(request, each.name)!r},"
        for each in fields(Request)
        if getattr(request, each.name) != getattr(Request(), each.name)
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
