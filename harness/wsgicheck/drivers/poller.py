"""Readiness of idle connections, for the server's selector thread.

A connection is watched while it waits for a request and not while a worker serves it.
Handing it back after each exchange is on the hot path of keep-alive serving, so on Linux
:class:`EpollPoller` uses ``EPOLLONESHOT``: an event disarms the connection, and a worker
re-arms it with one ``epoll_ctl`` call, without waking the selector thread. Elsewhere,
:class:`SelectorPoller` does the same with the ``selectors`` module: connections come back
through a queue and a wake-up socket, and are registered again by the selector thread.
"""

from __future__ import annotations

import contextlib
import queue
import select
import selectors
import socket
import threading
from typing import Protocol

from .connection import Connection

__all__ = ["EpollPoller", "Poller", "SelectorPoller", "make_poller"]


class Poller(Protocol):
    """What the server needs: watch connections, learn which are readable."""

    def watch(self, conn: Connection) -> None:
        """Start watching a new connection (selector thread)."""

    def rearm(self, conn: Connection) -> None:
        """Watch a connection again after an exchange (any thread)."""

    def forget(self, conn: Connection) -> None:
        """Stop watching a connection about to close (any thread)."""

    def poll(self, timeout: float) -> tuple[bool, list[Connection]]:
        """Wait; return (the listener is readable, the connections that are)."""

    def wake(self) -> None:
        """Make a pending :meth:`poll` return now (any thread)."""

    def watched(self) -> list[Connection]:
        """The connections currently watched (selector thread)."""

    def close(self) -> None:
        """Release the poller's resources."""


class _Waker:
    """A socket pair whose read end is readable once :meth:`wake` was called."""

    def __init__(self) -> None:
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.writer.setblocking(False)

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            self.writer.send(b"x")

    def drain(self) -> None:
        with contextlib.suppress(OSError):
            while self.reader.recv(4096):
                pass

    def close(self) -> None:
        self.reader.close()
        self.writer.close()


class EpollPoller:
    """Linux: one-shot epoll registrations, re-armed by workers directly."""

    _ONESHOT = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "EPOLLONESHOT") else 0

    def __init__(self, listener: socket.socket) -> None:
        self._epoll = select.epoll()
        self._listener_fd = listener.fileno()
        self._waker = _Waker()
        self._epoll.register(self._listener_fd, select.EPOLLIN)
        self._epoll.register(self._waker.reader.fileno(), select.EPOLLIN)
        self._conns: dict[int, Connection] = {}
        self._lock = threading.Lock()

    def watch(self, conn: Connection) -> None:
        fd = conn.sock.fileno()
        with self._lock:
            self._conns[fd] = conn
        conn.idle = True
        self._epoll.register(fd, self._ONESHOT)

    def rearm(self, conn: Connection) -> None:
        conn.idle = True
        self._epoll.modify(conn.sock.fileno(), self._ONESHOT)

    def forget(self, conn: Connection) -> None:
        conn.idle = False
        with contextlib.suppress(OSError, ValueError):
            fd = conn.sock.fileno()
            with self._lock:
                if self._conns.get(fd) is conn:
                    del self._conns[fd]
            self._epoll.unregister(fd)

    def poll(self, timeout: float) -> tuple[bool, list[Connection]]:
        listener = False
        ready = []
        for fd, _ in self._epoll.poll(timeout):
            if fd == self._listener_fd:
                listener = True
            elif fd == self._waker.reader.fileno():
                self._waker.drain()
            else:
                conn = self._conns.get(fd)
                if conn is not None:
                    conn.idle = False
                    ready.append(conn)
        return listener, ready

    def stop_listening(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._epoll.unregister(self._listener_fd)
        self._listener_fd = -1

    def wake(self) -> None:
        self._waker.wake()

    def watched(self) -> list[Connection]:
        with self._lock:
            return [conn for conn in self._conns.values() if conn.idle]

    def close(self) -> None:
        self._epoll.close()
        self._waker.close()


class SelectorPoller:
    """Anywhere: the ``selectors`` module; connections return through a queue."""

    def __init__(self, listener: socket.socket) -> None:
        self._selector = selectors.DefaultSelector()
        self._listener = listener
        self._waker = _Waker()
        self._selector.register(listener, selectors.EVENT_READ, "listener")
        self._selector.register(self._waker.reader, selectors.EVENT_READ, "wake")
        self._returned: queue.SimpleQueue[Connection] = queue.SimpleQueue()

    def watch(self, conn: Connection) -> None:
        conn.idle = True
        self._selector.register(conn.sock, selectors.EVENT_READ, conn)

    def rearm(self, conn: Connection) -> None:
        conn.idle = True
        self._returned.put(conn)
        self._waker.wake()

    def forget(self, conn: Connection) -> None:
        conn.idle = False
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(conn.sock)

    def poll(self, timeout: float) -> tuple[bool, list[Connection]]:
        listener = False
        ready = []
        for key, _ in self._selector.select(timeout):
            if key.data == "listener":
                listener = True
            elif key.data == "wake":
                self._waker.drain()
            else:
                conn: Connection = key.data
                self._selector.unregister(conn.sock)
                conn.idle = False
                ready.append(conn)
        while True:
            try:
                conn = self._returned.get_nowait()
            except queue.Empty:
                break
            if not conn.closed:
                self._selector.register(conn.sock, selectors.EVENT_READ, conn)
        return listener, ready

    def stop_listening(self) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(self._listener)

    def wake(self) -> None:
        self._waker.wake()

    def watched(self) -> list[Connection]:
        keys = self._selector.get_map().values()
        return [key.data for key in keys if isinstance(key.data, Connection)]

    def close(self) -> None:
        self._selector.close()
        self._waker.close()


def make_poller(listener: socket.socket, kind: str = "auto") -> EpollPoller | SelectorPoller:
    """An :class:`EpollPoller` where the platform has one (``kind="auto"``), else selectors."""
    if kind == "epoll" or (kind == "auto" and hasattr(select, "epoll")):
        return EpollPoller(listener)
    if kind in ("auto", "selectors"):
        return SelectorPoller(listener)
    raise ValueError(f"poller: 'auto', 'epoll' or 'selectors', not {kind!r}")
