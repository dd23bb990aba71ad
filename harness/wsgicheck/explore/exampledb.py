"""The example database: a folder on one machine, or a Redis server a CI fleet shares.

Hypothesis replays the failures its database holds before it draws anything new. A folder
(``.wsgicheck/examples`` by default) keeps them for one machine; a ``redis://HOST:PORT/DB``
URL gives Hypothesis's own ``RedisExampleDatabase``, so every machine replays what any of
them found. This module is the one place that tells the two apart and reads the URL: the
command line and the plugin check a database here before the run starts (the ``redis``
package is an optional extra, ``wsgicheck[redis]``), and each worker process opens it here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ..model.errors import UsageError
from ..model.grammar import decimal

if TYPE_CHECKING:
    from hypothesis.database import ExampleDatabase

__all__ = ["DatabaseError", "RedisURL", "absolute", "check", "open_database", "redis_url", "shown"]

SCHEME = "redis"
DEFAULT_PORT = 6379
#: What to install for a Redis database.
EXTRA = "wsgicheck[redis]"
#: Seconds to connect to the Redis server, and to wait for an answer to a command.
CONNECT_TIMEOUT = 5.0
COMMAND_TIMEOUT = 30.0


class DatabaseError(UsageError):
    """A database the run cannot use: a bad URL, no ``redis`` package, a server out of reach."""


@dataclass(frozen=True, slots=True)
class RedisURL:
    """A Redis server and database number, from a ``redis://`` URL."""

    host: str
    port: int
    db: int
    username: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        """The URL without its credentials, fit for a log."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{SCHEME}://{host}:{self.port}/{self.db}"


def redis_url(spec: str) -> RedisURL | None:
    """The Redis server ``spec`` names, or None when it names a folder.

    ``redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]``; the port is 6379 and the database 0
    unless given.
    """
    if not spec.strip().lower().startswith(f"{SCHEME}://"):
        return None
    try:
        parts = urlsplit(spec.strip())
    except ValueError as exc:  # redis://[::1 (an adversarial trial of 2026-12-06: a traceback)
        raise DatabaseError(f"{_bare(spec)}: not a URL ({exc})") from None
    try:
        port = parts.port
    except ValueError:
        raise DatabaseError(f"{_bare(spec)}: the port is a number from 0 to 65535") from None
    if not parts.hostname:
        raise DatabaseError(f"{_bare(spec)}: no host (redis://HOST:PORT/DB)")
    number = decimal(parts.path.strip("/") or "0")
    if number is None:
        raise DatabaseError(f"{_bare(spec)}: the database is a number (redis://HOST:PORT/DB)")
    if parts.query or parts.fragment:
        raise DatabaseError(f"{_bare(spec)}: a database URL takes no ?query or #fragment")
    return RedisURL(
        parts.hostname,
        DEFAULT_PORT if port is None else port,
        number,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password is not None else None,
    )


def shown(spec: str) -> str:
    """The database as a header or a report names it: a URL without its credentials."""
    url = redis_url(spec)
    return spec if url is None else str(url)


def absolute(spec: str, base: str | os.PathLike[str] = ".") -> str:
    """A folder made absolute (relative to ``base``, ``~`` expanded); a URL as it is, so
    that worker processes that change directory still find the same database."""
    if redis_url(spec) is not None:
        return spec.strip()
    return os.path.join(os.path.abspath(base), os.path.expanduser(spec))


def check(spec: str) -> None:
    """Before a run: a Redis database's package is installed and its server answers.

    Raises :class:`DatabaseError` (one line) otherwise; a folder is left to Hypothesis,
    which makes it when it first saves an example.
    """
    url = redis_url(spec)
    if url is None:
        scheme, found, _ = spec.strip().partition("://")
        if not spec.strip():
            raise DatabaseError("'' names no folder (--no-database for none)")
        if found and scheme.isalpha():  # http://x would have been a folder named "http:"
            raise DatabaseError(f"{_bare(spec)}: a folder or a redis:// URL, not {scheme}://")
        return
    client = _client(url)
    try:
        client.ping()
    except Exception as exc:  # redis's ConnectionError, TimeoutError, AuthenticationError...
        raise DatabaseError(f"{url}: the Redis server does not answer: {exc}") from None
    finally:
        client.close()


def open_database(spec: str) -> ExampleDatabase:
    """The Hypothesis example database ``spec`` names (in the process that runs the app)."""
    url = redis_url(spec)
    if url is None:
        from hypothesis.database import DirectoryBasedExampleDatabase

        return DirectoryBasedExampleDatabase(spec)
    client = _client(url)
    from hypothesis.extra.redis import RedisExampleDatabase

    return RedisExampleDatabase(client)


def _client(url: RedisURL) -> Any:
    """A ``redis.Redis`` for ``url`` (it connects when first used)."""
    try:
        import redis
    except ImportError:
        raise DatabaseError(
            f"{url}: a Redis example database needs the redis package: pip install '{EXTRA}'"
        ) from None
    return redis.Redis(
        host=url.host,
        port=url.port,
        db=url.db,
        username=url.username,
        password=url.password,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
    )


def _bare(spec: str) -> str:
    """``spec`` as an error may show it: without what stands before an ``@`` (credentials)."""
    scheme, _, rest = spec.strip().partition("://")
    return f"{scheme}://{rest.rpartition('@')[2]}"
