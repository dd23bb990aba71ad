"""A run's examples shared among processes: ``check --jobs N`` and pytest-xdist's workers.

:func:`split` is the one rule for both: share ``k`` of ``n`` runs about ``1/n`` of the
examples with a seed of its own derived from the run's seed and ``k``, so a run stays
deterministic for one seed and one number of processes, and share 0 of 1 is the whole run.

Under pytest-xdist every worker explores its own share (:class:`ShareFolder`): each result is
a file in a folder the controller made for the session, written under a lock on that share.
Whoever needs the verdicts reads every share, waiting while another process holds a share's
lock and shows progress, and computing a share itself when no process holds it and no file
exists (its worker ended early, or a replacement worker took its place), so the union of
findings is complete and the same whoever computed which share.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..model.errors import TargetError

__all__ = ["STALL", "Share", "ShareFolder", "ShareStalled", "split"]

#: Added to the run's seed per share (the golden ratio in 32 bits): the shares' seeds stay
#: far apart from each other's ``seed + pass`` (the runner's later passes).
SPREAD = 0x9E3779B9
#: Seconds a reader waits on a share whose holder shows no progress (no new example) before
#: it gives up: longer than the supervisor takes to kill a worker stuck in the app
#: (``3 * timeout + 60`` at the default 10 s), after which the holder's run goes on or ends.
STALL = 300.0
#: Seconds between looks at a share another process holds.
POLL = 0.1


@dataclass(frozen=True, slots=True)
class Share:
    """One process's part of a run."""

    index: int
    count: int
    examples: int
    seed: int


def split(examples: int, seed: int, count: int) -> list[Share]:
    """``examples`` shared ``count`` ways, the first ones one more when it does not divide."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    return [
        Share(
            index,
            count,
            examples // count + (1 if index < examples % count else 0),
            (seed + index * SPREAD) % (1 << 32),
        )
        for index in range(count)
    ]


class ShareStalled(Exception):
    """A share's holder showed no progress for :data:`STALL` seconds."""


class ShareFolder:
    """The shares of one pytest-xdist session, as files in a folder every worker sees.

    For share ``k``: ``k.lock`` (held while a process computes it), ``k.progress`` (touched
    at each example) and ``k.pickle`` (the result, or the text of the error it ended with).
    """

    def __init__(self, path: Path, *, stall: float = STALL) -> None:
        self.path = path
        self.stall = stall
        self._held: dict[int, IO[bytes]] = {}

    @staticmethod
    def usable(path: Path) -> bool:
        """Whether this process can share through ``path``: it sees the folder, and file
        locks exist here (no ``fcntl`` on Windows: each worker then runs the whole run)."""
        try:
            import fcntl  # noqa: F401
        except ImportError:  # pragma: no cover - Windows
            return False
        return path.is_dir()

    def claim(self, index: int) -> None:
        """Take share ``index``'s lock now (before xdist sends this worker any item), so
        that no other worker computes it meanwhile."""
        if index not in self._held:
            self._held[index] = self._acquire(index)

    def held(self, index: int) -> bool:
        return index in self._held

    def progress(self, index: int) -> None:
        """Tell readers that share ``index`` is moving on."""
        with contextlib.suppress(OSError):
            (self.path / f"{index}.progress").touch()

    def result(self, index: int, compute: Callable[[], Any]) -> Any:
        """Share ``index``'s result: read if written, else computed here under its lock.

        An exception from ``compute`` is written as its text, and raised again as a
        ``RuntimeError`` wherever the share is read, so every reader says the same; a
        :class:`TargetError` (the app cannot be loaded) is raised again as one.
        """
        done = self._read(index)
        if done is None:
            handle = self._held.pop(index, None) or self._acquire(index)
            try:
                done = self._read(index)  # computed by the holder we waited for
                if done is None:
                    try:
                        done = compute()
                    except TargetError as exc:
                        done = TargetError(str(exc))
                    except Exception as exc:
                        done = f"{type(exc).__name__}: {exc}"
                    self._write(index, done)
            finally:
                handle.close()  # and the lock with it
        if isinstance(done, TargetError):
            raise TargetError(str(done))
        if isinstance(done, str):
            raise RuntimeError(f"share {index} of the wsgicheck run failed: {done}")
        return done

    def written(self, count: int) -> list[Any] | None:
        """Every share's result if all ``count`` are written (for the controller)."""
        found = [self._read(index) for index in range(count)]
        if any(each is None or isinstance(each, str | TargetError) for each in found):
            return None
        return found

    def release(self) -> None:
        """Let go of every lock still held (a share never computed: another process may)."""
        for handle in self._held.values():
            handle.close()
        self._held.clear()

    def _acquire(self, index: int) -> IO[bytes]:
        import fcntl

        handle = open(self.path / f"{index}.lock", "ab")  # noqa: SIM115 - held past here
        progress = self.path / f"{index}.progress"
        seen: int | None = None
        deadline = time.monotonic() + self.stall
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return handle
            except BlockingIOError:
                pass
            try:
                mark: int | None = progress.stat().st_mtime_ns
            except OSError:
                mark = None
            if mark != seen:
                seen, deadline = mark, time.monotonic() + self.stall
            if time.monotonic() > deadline:
                handle.close()
                raise ShareStalled(
                    f"share {index} of the wsgicheck run showed no progress for "
                    f"{self.stall:.0f}s in another worker"
                )
            time.sleep(POLL)

    def _read(self, index: int) -> Any:
        try:
            data = (self.path / f"{index}.pickle").read_bytes()
        except OSError:
            return None
        return pickle.loads(data)  # written by this session, in a folder only it knows

    def _write(self, index: int, value: Any) -> None:
        final = self.path / f"{index}.pickle"
        partial = final.with_suffix(f".{os.getpid()}")
        partial.write_bytes(pickle.dumps(value))
        os.replace(partial, final)
