"""Catching stop and reload signals from a process's first moments.

A daemon started by systemd or a container runtime can be sent SIGTERM or
SIGHUP before it has finished starting (imports, reading the config, opening
the archive take a moment).  Without a handler, Python's default action
kills it: SIGHUP ends it, SIGTERM exits -15 with nothing cleaned up.  The
latch is installed first thing and remembers what arrived until the real
handler takes over, which then acts on it.
"""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

Handler = Callable[[int, object], None]


class SignalLatch:
    """Handlers for `signals` that hold each arrival until `hand_over`."""

    def __init__(self, signals: Iterable[int]):
        self._pending: list[int] = []
        self._handler: Handler | None = None
        self._previous = {sig: signal.signal(sig, self._catch) for sig in signals}

    def _catch(self, signum: int, frame) -> None:
        if self._handler is None:
            self._pending.append(signum)  # only a list append: safe in a handler
        else:
            self._handler(signum, frame)

    def hand_over(self, handler: Handler) -> None:
        """From now on `handler` gets each signal; first those that came early, in order."""
        self._handler = handler
        pending, self._pending = self._pending, []
        for signum in pending:
            handler(signum, None)

    def restore(self) -> None:
        """Put back the handlers that were there before."""
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)


@contextmanager
def stop_requested(signals: Iterable[int] = (signal.SIGTERM, signal.SIGINT)) -> Iterator[threading.Event]:
    """An Event set when one of `signals` arrives while inside the `with`:
    work that can stop early (sending alerts) checks it and ends promptly.
    Outside the main thread no handler can be installed; the Event then never
    fires."""
    stop = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {sig: signal.signal(sig, lambda signum, frame: stop.set()) for sig in signals}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
