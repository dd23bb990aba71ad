"""The side channel between the prober and its app inside a server: a directory of files.

The prober makes a directory and hands its path to the server process in an environment
variable (:data:`ENV_VAR`). The probe app appends one JSON line per record to
``records.jsonl`` (one ``write`` on an ``O_APPEND`` file, so records from several worker
processes never interleave); flags are empty files, which either side may raise and the
other waits for, always with a time limit. Files work across every process model a server
may use (threads, pre-forked workers) and need no port of their own.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

__all__ = ["ENV_VAR", "Channel"]

#: The environment variable that carries the channel's directory to the probe app.
ENV_VAR = "WSGICHECK_PROBE_DIR"
RECORDS = "records.jsonl"
#: What the server logged through ``logging`` inside its process (see :mod:`.app`).
LOGGED = "logged.txt"
#: How often a waiting side looks for a flag.
POLL = 0.01
_flag_re = re.compile(r"[a-z0-9-]+")


class Channel:
    """One probe run's directory: records appended by the app, flags raised by either side."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @classmethod
    def from_environment(cls) -> Channel | None:
        """The channel the prober set up for this process, if any."""
        path = os.environ.get(ENV_VAR)
        return cls(path) if path else None

    # -- records (app → prober) ------------------------------------------------------------

    def send(self, record: dict[str, Any]) -> None:
        """Append one record (a JSON object) as one line, in one write."""
        line = (json.dumps(record, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        fd = os.open(self.directory / RECORDS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)

    def records(self) -> list[dict[str, Any]]:
        """Every record sent so far, in order (a line cut short by a killed process is left out)."""
        path = self.directory / RECORDS
        if not path.exists():
            return []
        found = []
        for line in path.read_bytes().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                found.append(record)
        return found

    # -- the server's logging (app → prober) ------------------------------------------------

    def log(self, text: str) -> None:
        """Append what the server logged (a formatted record), in one write."""
        data = (text + "\n").encode("utf-8", errors="backslashreplace")
        fd = os.open(self.directory / LOGGED, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def logged(self) -> str:
        """Everything the server logged through ``logging`` so far ("" if nothing)."""
        try:
            return (self.directory / LOGGED).read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return ""

    # -- flags (either way) ------------------------------------------------------------------

    def _flag(self, probe_id: int, name: str) -> Path:
        if _flag_re.fullmatch(name) is None:
            raise ValueError(f"flag name: lower-case letters, digits and '-', not {name!r}")
        return self.directory / f"flag-{int(probe_id)}-{name}"

    def raise_flag(self, probe_id: int, name: str) -> None:
        self._flag(probe_id, name).touch()

    def lower_flag(self, probe_id: int, name: str) -> None:
        self._flag(probe_id, name).unlink(missing_ok=True)

    def flag_raised(self, probe_id: int, name: str) -> bool:
        return self._flag(probe_id, name).exists()

    def wait_for(self, probe_id: int, name: str, timeout: float) -> bool:
        """Whether the flag was raised within ``timeout`` seconds."""
        flag = self._flag(probe_id, name)
        deadline = time.monotonic() + timeout
        while not flag.exists():
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
        return True
