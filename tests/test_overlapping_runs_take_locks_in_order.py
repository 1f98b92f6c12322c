"""Overlapping runs never hold some sources' locks while waiting for others' (hold and wait).

Two runs that each took part of the sources and waited for the rest would
both sit out `lock_wait` and skip most sources.  Locks are taken in one
global order, so one of them always gets every lock and the other waits
only while sources are truly being crawled.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.helpers import ROOT, Page, write_config
from tests.pages import DRUPAL_SOURCE, Listing

NAMES = ("alpha", "bravo", "charlie", "delta")
LOCK_WAIT = 20


def _start(config: Path, db: Path) -> subprocess.Popen:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "--json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _lock_files_open(pid: int, folder: Path) -> bool:
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}").startswith(str(folder)) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _statuses(proc: subprocess.Popen) -> dict[str, str]:
    out, err = proc.communicate(timeout=LOCK_WAIT * 3)
    assert "Traceback" not in err and proc.returncode == 0, err
    return {s["name"]: s["status"] for s in json.loads(out)["sources"]}


def _setup(tmp_path: Path, site) -> tuple[Path, Path]:
    for name in NAMES:
        site.pages[f"/{name}"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in NAMES],
                          crawl={"lock_wait": LOCK_WAIT})
    return config, tmp_path / "archive.db"


def test_a_run_waiting_for_a_lock_holds_none_another_run_needs(tmp_path, site):
    config, db = _setup(tmp_path, site)
    locks = Path(f"{db}.locks")
    locks.mkdir()
    # Another process holds alpha and charlie (say, two earlier runs crawling them).
    held = []
    for name in ("alpha", "charlie"):
        fd = os.open(locks / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        held.append(fd)
    first = _start(config, db)
    second = None
    try:
        _wait(lambda: _lock_files_open(first.pid, locks), 60, "the first run to wait for its locks")
        first.send_signal(signal.SIGSTOP)  # frozen while it waits: what it holds now, it keeps
        for fd in held:
            os.close(fd)  # alpha and charlie are free
        started = time.monotonic()
        second = _start(config, db)
        try:
            second.wait(LOCK_WAIT / 2)  # it must not need anything the waiting run holds
        except subprocess.TimeoutExpired:
            pass
        first.send_signal(signal.SIGCONT)
        second_statuses = _statuses(second)
        took = time.monotonic() - started
        first_statuses = _statuses(first)
    finally:
        for proc in (first, second):
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGCONT)
                proc.kill()
    assert "skipped" not in first_statuses.values(), first_statuses
    assert "skipped" not in second_statuses.values(), second_statuses
    assert took < LOCK_WAIT, f"the second run waited {took:.0f} s for locks a waiting run held"


def test_several_overlapping_runs_each_crawl_every_source(tmp_path, site):
    config, db = _setup(tmp_path, site)
    for name in NAMES:
        site.pages[f"/{name}"] = Page(Listing().render(), delay=0.3)  # crawls that overlap
    for _ in range(2):
        procs = [_start(config, db) for _ in range(3)]
        results = [_statuses(p) for p in procs]
        for statuses in results:
            assert "skipped" not in statuses.values(), results
            assert set(statuses) == set(NAMES)
    with __import__("sqlite3").connect(db) as conn:
        per_source = dict(conn.execute("SELECT s.name, count(*) FROM crawls c JOIN sources s ON s.id = c.source_id GROUP BY s.name"))
    assert per_source == {n: 6 for n in NAMES}  # each source crawled once per run
