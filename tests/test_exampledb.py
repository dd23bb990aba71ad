"""The example database as a Redis server (``--database redis://HOST:PORT/DB``), for real.

The tests start Debian's ``redis-server`` on a free loopback port, without persistence.
Outside CI a missing ``redis-server`` skips them; under CI (``CI`` set) it fails them, since
``.ci/run`` installs it. Every run of ``wsgicheck check`` here is a fresh process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from wsgicheck.explore import exampledb
from wsgicheck.explore.exampledb import (
    DatabaseError,
    RedisURL,
    absolute,
    redis_url,
    shown,
)
from wsgicheck.explore.runner import RunOptions, run
from wsgicheck.target import load_target

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
POST_ONLY = str(ROOT / "fixtures" / "hidden" / "post_only.py") + ":app"
POST_RULE = "APP-HEADER-VALUE-NO-CONTROL"  # broken on POST only: generation has to find it
SEED_APP = str(ROOT / "fixtures" / "wsgiapp.py") + ":app"
BROKEN = str(ROOT / "fixtures" / "broken" / "app_sr_once.py") + ":app"
REDIS_SERVER = shutil.which("redis-server")
TIMEOUT = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[str]:
    """A real redis-server on a free 127.0.0.1 port, as a ``redis://`` URL; killed after."""
    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed (.ci/run installs Debian's redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    log = tmp_path / "redis.log"
    command = [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(port)]
    command += ["--save", "", "--appendonly", "no", "--dir", str(tmp_path)]
    with open(log, "wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)


def stored(url: str) -> list[bytes]:
    """The keys Hypothesis's RedisExampleDatabase keeps examples under."""
    parsed = redis_url(url)
    assert parsed is not None
    with redis.Redis(host=parsed.host, port=parsed.port, db=parsed.db) as client:
        return sorted(client.keys(b"hypothesis-example:*"))


def check(cwd: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """``wsgicheck check ARGS`` in a fresh interpreter (``prelude`` runs first in it)."""
    code = f"{prelude}\nimport sys\nfrom wsgicheck.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "check", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


def failed_rules(process: subprocess.CompletedProcess[str]) -> set[str]:
    assert process.returncode in (0, 1), process.stderr
    report: dict[str, Any] = json.loads(process.stdout)
    return {each["rule"] for each in report["results"] if each["status"] == "fail"}


# -- the round trip --------------------------------------------------------------------------------


def a_seed_that_misses(target: str, rule: str) -> int:
    """A seed whose first two generated examples do not break ``rule`` (found in-process)."""
    app = load_target(target)
    for seed in range(2, 60):
        options = RunOptions(seed=seed, max_examples=2, corpus=False, database=None)
        if rule not in run(app, options, target=target).failures:
            return seed
    pytest.fail("every seed breaks the rule in two examples")  # pragma: no cover


def test_a_failure_one_run_found_is_replayed_from_redis_by_another(
    redis_server: str, tmp_path: Path
) -> None:
    """Run 1 finds the POST-only bug by generation and saves it in Redis; run 2, a fresh
    process with a seed whose two examples miss the bug on their own (the control run shows
    it), finds it: replayed from Redis, with no example folder anywhere."""
    seed = a_seed_that_misses(POST_ONLY, POST_RULE)
    two = ("--examples", "2", "--seed", str(seed), "--no-corpus", "--format", "json")
    alone = check(tmp_path, POST_ONLY, *two, "--no-database")
    assert POST_RULE not in failed_rules(alone)
    assert stored(redis_server) == []
    first = check(tmp_path, POST_ONLY, "--database", redis_server, "--no-corpus", "--seed", "1",
                  "--format", "json")  # fmt: skip
    assert POST_RULE in failed_rules(first)
    assert stored(redis_server) != []
    again = check(tmp_path, POST_ONLY, *two, "--database", redis_server)
    assert POST_RULE in failed_rules(again)
    assert not (tmp_path / ".wsgicheck" / "examples").exists()


def test_the_plugin_takes_a_redis_database_under_xdist(
    redis_server: str, pytester: pytest.Pytester
) -> None:
    """``--wsgi-database=redis://...``: named in the header, and both workers' shares save
    their failures there."""
    result = pytester.runpytest_subprocess(
        "-p",
        "no:cacheprovider",
        f"--wsgi-app={BROKEN}",
        "--wsgi-profile=quick",
        "--wsgi-seed=3",
        f"--wsgi-database={redis_server}",
        "-n",
        "2",
        timeout=TIMEOUT,
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"wsgicheck: app *, database {redis_server}"])
    result.stdout.fnmatch_lines(["FAILED wsgicheck::APP-SR-ONCE - *"])
    assert stored(redis_server) != []


# -- errors before the run -------------------------------------------------------------------------


def test_a_redis_server_out_of_reach_is_one_line_and_exit_2_before_the_run(
    tmp_path: Path,
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    process = check(tmp_path, SEED_APP, "--database", url)
    assert process.returncode == 2
    assert process.stdout == ""
    lines = process.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"wsgicheck: error: --database {url}: the Redis server does not answer"
    )


def test_a_redis_url_without_the_redis_package_says_what_to_install(tmp_path: Path) -> None:
    """(``sys.modules['redis'] = None`` is how Python itself blocks an import.) The password
    in the URL stays out of the message."""
    url = f"redis://ci:s3cret@127.0.0.1:{free_port()}/2"
    process = check(
        tmp_path, SEED_APP, "--database", url, prelude="import sys\nsys.modules['redis'] = None"
    )
    assert process.returncode == 2
    assert process.stdout == ""
    port = url.rpartition(":")[2].partition("/")[0]
    assert process.stderr.splitlines() == [
        f"wsgicheck: error: --database redis://127.0.0.1:{port}/2: a Redis example database "
        "needs the redis package: pip install 'wsgicheck[redis]'"
    ]


def test_the_plugin_stops_on_a_redis_server_out_of_reach_before_workers_start(
    pytester: pytest.Pytester,
) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--wsgi-app={SEED_APP}", f"--wsgi-database={url}", "-n", "2",
        timeout=TIMEOUT,
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "created:" not in result.stdout.str()
    result.stderr.fnmatch_lines(
        [f"ERROR: --wsgi-database: {url}: the Redis server does not answer*"]
    )
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


# -- the URL, read in one place ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("redis://127.0.0.1:6380/3", RedisURL("127.0.0.1", 6380, 3)),
        ("redis://cache.internal", RedisURL("cache.internal", 6379, 0)),
        ("REDIS://h:1/", RedisURL("h", 1, 0)),
        ("redis://u:p%40ss@[::1]:7000/1", RedisURL("::1", 7000, 1, "u", "p@ss")),
        (".wsgicheck/examples", None),
        ("redis-cache/examples", None),
    ],
)
def test_redis_urls_are_read_and_folders_left_alone(spec: str, expected: RedisURL | None) -> None:
    assert redis_url(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("redis://h:99999/0", "redis://h:99999/0: the port is a number from 0 to 65535"),
        ("redis://:6379/0", "redis://:6379/0: no host (redis://HOST:PORT/DB)"),
        ("redis://h/cache", "redis://h/cache: the database is a number (redis://HOST:PORT/DB)"),
        ("redis://h/0?ssl=1", "redis://h/0?ssl=1: a database URL takes no ?query or #fragment"),
        ("redis://u:secret@h:x/0", "redis://h:x/0: the port is a number from 0 to 65535"),
        ("redis://[::1", "redis://[::1: not a URL (Invalid IPv6 URL)"),
    ],
)
def test_a_bad_redis_url_is_one_line(spec: str, message: str) -> None:
    with pytest.raises(DatabaseError) as raised:
        redis_url(spec)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        # (A README trial of 2026-12-07: each was taken for a folder, "http:" the first.)
        ("http://u:secret@cache/0", "http://cache/0: a folder or a redis:// URL, not http://"),
        ("", "'' names no folder (--no-database for none)"),
    ],
)
def test_what_is_no_folder_and_no_redis_url_is_refused_before_the_run(
    spec: str, message: str
) -> None:
    with pytest.raises(DatabaseError) as raised:
        exampledb.check(spec)
    assert str(raised.value) == message


def test_folders_are_made_absolute_and_urls_shown_without_credentials(tmp_path: Path) -> None:
    assert absolute("db", tmp_path) == str(tmp_path / "db")
    assert absolute("~/db", tmp_path) == os.path.expanduser("~/db")
    assert absolute("redis://h:1/2", tmp_path) == "redis://h:1/2"
    assert shown("redis://ci:secret@h:1/2") == "redis://h:1/2"
    assert shown("db") == "db"
