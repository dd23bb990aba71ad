"""What a worker tells the supervisor: records through a pipe, and how they are read.

A record is a tuple whose first item says what it is (``("exchange", ...)``, ``("done",
partial)``). The app runs in the process that writes them, and can write into the pipe too
(an app that writes to every descriptor it finds open). Each record is sent as
:meth:`multiprocessing.connection.Connection.send_bytes` frames it (its length in 4 bytes,
then its bytes), its bytes starting with a mark drawn by the supervisor for that worker, then
its pickle. Bytes that do not start so are the app's: from them on, nothing is read. They
are read without waiting: a length the app wrote that never comes in full would have kept
``Connection.recv``, and with it the whole run, waiting.
"""

from __future__ import annotations

import os
import pickle
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["MARK_SIZE", "RECORD_LIMIT", "Records", "send"]

#: Bytes of the mark that starts each record.
MARK_SIZE = 8
#: The largest record a worker sends (its share's results): anything longer is not one.
RECORD_LIMIT = 1 << 30
#: Bytes of the length before each record (``Connection.send_bytes``'s).
_LENGTH = 4


def send(pipe: Connection, mark: bytes, record: tuple[Any, ...]) -> None:
    """Send ``record`` into ``pipe``, marked."""
    pipe.send_bytes(mark + pickle.dumps(record, pickle.HIGHEST_PROTOCOL))


class Records:
    """The records a worker sends, read off the reading end of its pipe (``fd``)."""

    def __init__(self, fd: int, mark: bytes) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self.mark = mark
        self.buffer = bytearray()
        #: The pipe's end was read.
        self.ended = False
        #: Bytes came that are not a record: nothing after them is read.
        self.mangled = False

    def take(self) -> list[tuple[Any, ...]]:
        """The whole records that came since the last call."""
        while not self.ended:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                break
            except OSError:
                chunk = b""
            self.buffer += chunk
            self.ended = not chunk
        records: list[tuple[Any, ...]] = []
        buffer, start = self.buffer, 0  # the records taken are cut off once, at the end
        while not self.mangled and len(buffer) - start >= _LENGTH + MARK_SIZE:
            size = int.from_bytes(buffer[start : start + _LENGTH], "big", signed=True)
            body = start + _LENGTH
            if (
                not MARK_SIZE <= size <= RECORD_LIMIT
                or buffer[body : body + MARK_SIZE] != self.mark
            ):
                self.mangled = True
                break
            if len(buffer) < body + size:
                break
            data = bytes(buffer[body + MARK_SIZE : body + size])
            start = body + size
            try:
                record = pickle.loads(data)
            except Exception:
                record = None
            if isinstance(record, tuple) and record:
                records.append(record)
            else:
                self.mangled = True
        del buffer[:start]
        return records
