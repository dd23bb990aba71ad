"""The records a worker sends the supervisor, read off a real pipe as they come."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection

import pytest

from wsgicheck.explore.records import MARK_SIZE, RECORD_LIMIT, Records, send

MARK = b"m" * MARK_SIZE


def _framed(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


@pytest.fixture
def pipe() -> Iterator[tuple[Records, Connection]]:
    reader, writer = multiprocessing.Pipe(duplex=False)
    yield Records(reader.fileno(), MARK), writer
    reader.close()
    writer.close()


def test_records_are_taken_whole_and_in_order(pipe: tuple[Records, Connection]) -> None:
    records, writer = pipe
    big = ("done", b"x" * 200_000)  # longer than the pipe holds at once
    sender = threading.Thread(
        target=lambda: [send(writer, MARK, ("ready", 1)), send(writer, MARK, big)]
    )
    sender.start()
    taken: list[tuple[object, ...]] = []
    for _ in range(1000):
        if len(taken) == 2:
            break
        taken += records.take()
        time.sleep(0.01)
    sender.join(10)
    assert taken == [("ready", 1), big]
    assert (records.ended, records.mangled) == (False, False)


def test_a_record_not_all_there_is_never_waited_for(pipe: tuple[Records, Connection]) -> None:
    records, writer = pipe
    send(writer, MARK, ("ready", 1))
    os.write(writer.fileno(), (100).to_bytes(4, "big") + MARK + b"ten bytes.")
    assert records.take() == [("ready", 1)]
    assert records.take() == []
    assert (records.ended, records.mangled) == (False, False)
    writer.close()
    assert records.take() == []
    assert records.ended


@pytest.mark.parametrize(
    "written",
    [
        (-1).to_bytes(4, "big", signed=True) + MARK,
        (RECORD_LIMIT + 1).to_bytes(4, "big") + MARK,
        (100).to_bytes(4, "big") + b"not mark",
        b"\x00JUNK\x1b[31m\x00JUNK\x1b[31m",
        _framed(MARK + b"ab"),
        _framed(MARK + pickle.dumps(["a", "list"])),
    ],
    ids=["negative length", "too long", "unmarked", "junk", "not a pickle", "not a tuple"],
)
def test_bytes_that_are_no_record_are_mangled_and_nothing_after_them_is_taken(
    pipe: tuple[Records, Connection], written: bytes
) -> None:
    records, writer = pipe
    send(writer, MARK, ("ready", 1))
    os.write(writer.fileno(), written)
    send(writer, MARK, ("done", 2))
    assert records.take() == [("ready", 1)]
    assert records.mangled
    assert records.take() == []
