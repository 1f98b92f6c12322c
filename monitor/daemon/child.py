"""The daemon's children: forked, in their own process group, dying with the daemon.

Why fork rather than start `tidings run` afresh: a new interpreter pays
Python's start-up and Scrapy's imports (about 0.3 CPU-seconds here) for
every child.  The daemon imports the crawl modules once (`preload`) and
forks; a child starts with them loaded, shares their pages with the daemon,
and returns all its memory when it exits.  Forking is safe because the
daemon is single-threaded (monitor.daemon.service) and holds no open archive
connection between its own short reads and writes.

A child: leads its own process group (set by both sides of the fork, so the
daemon can kill the group the moment `fork` returns), asks the kernel for
SIGKILL when the daemon dies (PR_SET_PDEATHSIG), drops the daemon's signal
handlers, reports on a pipe as newline-delimited JSON, and leaves with
`os._exit`, never running the daemon's own clean-up.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import signal
import sys
import traceback
from dataclasses import dataclass, field
from typing import Callable, Iterable

from monitor.children import die_with_parent, name_process

EXIT_CRASHED = 70  # the child's work raised something unexpected (its traceback is in the log)
DAEMON_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD)


@dataclass
class Child:
    """A forked child: its pid (and process group), and the read end of its report pipe."""

    pid: int
    fd: int
    buffer: bytes = b""
    lines: list[dict] = field(default_factory=list)
    eof: bool = False

    def read(self) -> list[dict]:
        """What the child has reported since the last call (non-blocking)."""
        while not self.eof:
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                self.eof = True
                break
            self.buffer += chunk
        *complete, self.buffer = self.buffer.split(b"\n")
        return [json.loads(line) for line in complete if line.strip()]

    def kill(self) -> None:
        """SIGKILL the child's whole process group (its crawl and any worker processes)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass


def preload() -> None:
    """Import what a child's crawl needs, once, in the daemon (no reactor is installed)."""
    from scraper.preload import load_crawl_modules

    load_crawl_modules()
    import monitor.notify.outbox  # noqa: F401
    import monitor.pipeline  # noqa: F401
    import monitor.run  # noqa: F401
    import monitor.workers  # noqa: F401

    gc.freeze()  # never scanned again, so the children's copies of these pages stay shared


def fork(work: Callable[[int], int], close_in_child: Iterable[int] = (), name: str = "tidings-crawl") -> Child:
    """Run `work(report_fd)` in a forked child named `name` (its /proc/PID/comm);
    `work`'s return value is the child's exit code."""
    read_fd, write_fd = os.pipe()
    with_parent = die_with_parent(os.getpid())
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # the child
        code = EXIT_CRASHED
        try:
            os.setpgid(0, 0)
            with_parent()
            name_process(name)
            for sig in DAEMON_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            for fd in (read_fd, *close_in_child):
                _close(fd)
            code = work(write_fd)
        except BaseException:  # noqa: BLE001 - whatever happens, never return into the daemon's code
            traceback.print_exc()
        finally:
            logging.shutdown()  # flush the log handlers inherited from the daemon
            sys.stderr.flush()
            os._exit(code)
    os.close(write_fd)
    try:
        os.setpgid(pid, pid)  # also here: the group exists before the daemon could need to kill it
    except (ProcessLookupError, PermissionError):
        pass  # the child did it already, or has exited
    os.set_blocking(read_fd, False)
    return Child(pid, read_fd)


def writer(fd: int) -> Callable[[dict], None]:
    """A child's way to report: one JSON object per line, flushed at once."""
    stream = os.fdopen(fd, "w", encoding="utf-8", buffering=1)

    def send(message: dict) -> None:
        stream.write(json.dumps(message, ensure_ascii=False) + "\n")
        stream.flush()

    return send


def _close(fd: int) -> None:
    try:
        os.close(fd)
    except OSError:
        pass
