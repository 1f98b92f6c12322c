"""The daemon's first moments: a signal that arrives while it is still starting
(here: blocked reading its config, as on a slow disk) is handled, never fatal,
and a killed daemon leaves no temporary folder behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.helpers import ROOT, Page, write_config
from tests.pages import Listing
from tests.test_schedule import crawls, source, wait_for


def _caught(pid: int) -> set[int]:
    """The signals a process has handlers for (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            mask = int(line.split()[1], 16)
            return {n for n in range(1, 65) if mask & (1 << (n - 1))}
    return set()


def _blocked_on(path: Path, pid: int) -> bool:
    """Whether the process has `path` open (it is stuck reading it)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _start(config: Path, db: Path, log: Path, env: dict | None = None) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.Popen([sys.executable, "-m", "monitor", "schedule", "--config", str(config), "--db", str(db),
                             "--stop-timeout", "3"], cwd=ROOT, env=full, stdout=subprocess.DEVNULL,
                            stderr=open(log, "w"))


def _slow_config(tmp_path: Path, text: str) -> tuple[Path, threading.Event]:
    """A config on a "slow disk": a FIFO whose contents arrive only when the test says so."""
    fifo = tmp_path / "tidings.toml"
    os.mkfifo(fifo)
    go = threading.Event()
    writer = os.open(fifo, os.O_RDWR)  # held open: the daemon's read waits for the contents, not for a writer

    def feed() -> None:
        go.wait(60)
        os.write(writer, text.encode("utf-8"))
        # Later reads (a reload) find the same text in a plain file.
        plain = tmp_path / "plain.toml"
        plain.write_text(text, encoding="utf-8")
        os.replace(plain, fifo)
        os.close(writer)  # end of file for the read under way

    threading.Thread(target=feed, daemon=True).start()
    return fifo, go


def _config_text(tmp_path: Path, site) -> str:
    site.pages["/news"] = Page(Listing().render())
    scratch = write_config(tmp_path / "scratch.toml", [source("news", site.url("/news"))], extra='[defaults]\nschedule = "1s"')
    return scratch.read_text()


def test_sighup_while_starting_is_not_fatal(site, tmp_path):
    fifo, go = _slow_config(tmp_path, _config_text(tmp_path, site))
    db, log = tmp_path / "t.db", tmp_path / "daemon.log"
    daemon = _start(fifo, db, log)
    try:
        wait_for(lambda: _blocked_on(fifo, daemon.pid) or daemon.poll() is not None, what="the daemon to read its config")
        daemon.send_signal(signal.SIGHUP)
        time.sleep(0.3)
        assert daemon.poll() is None, f"killed by an early SIGHUP: {daemon.returncode}\n{log.read_text()}"
        go.set()
        wait_for(lambda: crawls(db, "news"), what="a crawl after the early SIGHUP")
        daemon.send_signal(signal.SIGTERM)
        assert daemon.wait(30) == 0, log.read_text()
    finally:
        go.set()
        if daemon.poll() is None:
            daemon.kill()


def test_sigterm_while_starting_stops_it_cleanly(site, tmp_path):
    fifo, go = _slow_config(tmp_path, _config_text(tmp_path, site))
    db, log = tmp_path / "t.db", tmp_path / "daemon.log"
    daemon = _start(fifo, db, log)
    try:
        wait_for(lambda: _blocked_on(fifo, daemon.pid) or daemon.poll() is not None, what="the daemon to read its config")
        daemon.send_signal(signal.SIGTERM)
        go.set()
        assert daemon.wait(30) == 0, f"exit {daemon.returncode}\n{log.read_text()}"
        assert crawls(db, "news") == []  # asked to stop before it began: no crawl
    finally:
        go.set()
        if daemon.poll() is None:
            daemon.kill()


def test_killed_daemons_leave_no_temporary_folder_behind(site, tmp_path):
    config = write_config(tmp_path / "tidings.toml", [source("news", site.url("/news"))], extra='[defaults]\nschedule = "1h"')
    site.pages["/news"] = Page(Listing().render())
    temp = tmp_path / "tmp"
    temp.mkdir()
    db = tmp_path / "t.db"
    before = set(tmp_path.iterdir())
    for round in range(3):
        daemon = _start(config, db, tmp_path / f"daemon{round}.log", env={"TMPDIR": str(temp)})
        log = tmp_path / f"daemon{round}.log"
        wait_for(lambda: "tidings schedule started" in log.read_text() or daemon.poll() is not None,
                 what="the daemon to start")
        daemon.kill()
        daemon.wait()
    assert list(temp.iterdir()) == []
    left = {p.name for p in set(tmp_path.iterdir()) - before}
    assert left <= {"t.db", "t.db-wal", "t.db-shm", "t.db.locks", "daemon0.log", "daemon1.log", "daemon2.log"}, left
    snapshots = [p for p in (tmp_path / "t.db.locks").rglob("*") if p.suffix == ".toml"]
    assert len(snapshots) <= 1, snapshots  # at most one snapshot, reused by each start
