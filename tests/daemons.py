"""The daemon as a real process, for tests: start it, read its log, stop it, and
look at what it left in the archive and the process table."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ROOT
from tests.pages import DRUPAL_SOURCE


class Daemon:
    def __init__(self, config: Path, db: Path, log: Path, *args: str):
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
        env["PYTHONPATH"] = str(ROOT)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "monitor", "schedule", "--config", str(config), "--db", str(db),
             "--stop-timeout", "3", *args],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8")

    def stop(self, within: float = 10.0) -> float:
        """SIGTERM; returns how long the daemon took to exit with code 0."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=within + 20)
        took = time.monotonic() - start
        assert code == 0, self.text()
        assert took < within, f"took {took:.1f} s to stop"
        return took

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def daemons():
    started: list[Daemon] = []

    def start(config: Path, db: Path, *args: str) -> Daemon:
        daemon = Daemon(config, db, db.parent / f"daemon{len(started)}.log", *args)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.kill()


def wait_for(condition, timeout: float = 40.0, what: str = "condition", log: Daemon | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}" + (f"; daemon log:\n{log.text()}" if log else ""))


def query(db: Path, sql: str, *args):
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        conn.close()


def crawls(db: Path, source: str) -> list[tuple]:
    """(status, new, error, started) of each crawl of `source`, oldest first."""
    return query(db, "SELECT c.status, c.new, c.error, c.started FROM crawls c JOIN sources s ON s.id = c.source_id"
                     " WHERE s.name = ? ORDER BY c.id", source)


def crawl_children(db: Path) -> list[int]:
    """Pids of live crawl processes working on this archive: `tidings run`, or a
    daemon's batch child (forked from the daemon, so named by its comm)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        crawling = b"run" in cmdline or comm == "tidings-crawl"
        if crawling and str(db).encode() in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def source(name: str, url: str, **keys) -> dict:
    return {"name": name, "url": url, **DRUPAL_SOURCE, **keys}
