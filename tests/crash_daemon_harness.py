"""Crash trials for the daemon: SIGKILL `tidings schedule` or one of its batch children.

    python tests/crash_daemon_harness.py --trials 12 [--seed N]   # 12 kills: 6 daemons, 6 children

The site of tests/crash_harness.py (three listings that grow and get
headlines edited) is crawled by the real daemon, every source on a 2 s
schedule, so the three fall due together and share one batch child.  Each
daemon is started in a session of its own with a private TMPDIR; the site
changes, its batch child is SIGKILLed at one moment; the site changes again,
and the daemon itself is SIGKILLed at another (with its next batch running).
Each moment is found from evidence outside the processes:

- "fetch": the site has taken a listing request and not answered yet;
- "commit": the archive recorded a crawl and the receiver has accepted no
  alert of it yet (sending starts once the batch's crawls are recorded);
- "delivery": the webhook receiver has a request in hand (it answers after
  0.2 s), so the sender is killed before or just after the answer.

After the child's kill: the daemon reaps it and carries on (it records the
child's unfinished sources `failed`, "the crawl process died", and crawls
them again), nothing of the child's process group is left, and the archive
is intact.  After the daemon's kill:

- `PRAGMA integrity_check` is ok and the archive is consistent (as in
  tests/crash_harness.py);
- no process of the daemon's session is left (the batch child dies with the
  daemon), nothing is written to the archive after its death (a crawl
  recorded, a delivery sent or tried), and the receiver gets nothing more;
- no source lock and no sender lock under `<db>.locks` is held, and the
  private TMPDIR is empty (no `tidings-schedule-*` folder);
- the daemon started next never finds a source "being crawled by another
  process", and logs no traceback.

After the last trial a daemon runs until the archive holds exactly what the
site showed and every delivery is sent: every item new in an `ok` crawl was
alerted under exactly one delivery `id`, repeated only when its delivery was
cut by a kill.  tests/test_crash.py runs a reduced form of this.
"""

from __future__ import annotations

import fcntl
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.* and the packages

from tests.alert_receivers import Receiver  # noqa: E402
from tests.crash_harness import SOURCES, ChangingSite, archived, check_alerts, check_archive, run_trials  # noqa: E402
from tests.helpers import ROOT, Site, write_config  # noqa: E402
from tests.pages import DRUPAL_SOURCE  # noqa: E402

MOMENTS = ("fetch", "commit", "delivery")


def session_processes(sid: int) -> list[tuple[int, str]]:
    """Live (not zombie) processes of session `sid`: (pid, name)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat.rpartition(")")[2].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append((int(entry.name), name))
    return found


def children_named(parent: int, name: str) -> list[int]:
    """Live children of `parent` whose /proc/PID/comm is `name`."""
    return [pid for pid, comm in session_processes(parent)
            if comm == name and _parent(pid) == parent]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def held_locks(folder: Path) -> list[str]:
    """Lock files under `folder` some process holds a flock on: the token files of
    live crawlers and senders (a source's lock names one), and the registry (.registry)."""
    held = []
    for path in sorted([*folder.rglob("*.lock"), *folder.glob(".registry")]) if folder.exists() else []:
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held.append(path.name)
        finally:
            os.close(fd)
    return held


def leftovers(db: Path, tmp: Path) -> list[str]:
    """What a killed process must not leave: a lock held (by a survivor), files in its TMPDIR."""
    problems = []
    held = held_locks(Path(f"{db}.locks"))
    if held:
        problems.append(f"locks still held: {held}")
    left = sorted(p.name for p in tmp.iterdir())
    if left:
        problems.append(f"left in TMPDIR: {left[:5]}")
    return problems


def wait_until(condition, timeout: float, step: float = 0.005):
    """Poll `condition` until it is true (returned) or `timeout` passes (None)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


class DaemonTrials:
    def __init__(self, workdir: Path, seed: int):
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.site = Site()
        self.site._server.handle_error = lambda *args: None  # a killed client resets its connections
        self.changing = ChangingSite(self.site, self.rng)
        self.db = workdir / "archive.db"
        self.tmp = workdir / "tmp"
        self.tmp.mkdir()
        self.receiver = Receiver(delay=0.2).start()
        self.receiver._server.handle_error = lambda *args: None
        self.config = write_config(
            workdir / "daemon.toml",
            [{"name": name, "url": self.site.url(f"/{name}"), **DRUPAL_SOURCE} for name in SOURCES],
            extra=f'[defaults]\nschedule = "2s"\n\n[[notify]]\ntype = "webhook"\nname = "hook"\n'
                  f'url = "{self.receiver.url}"\non = ["new"]\ntimeout = 5\n',
        )
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")},
                    "PYTHONPATH": str(ROOT), "TMPDIR": str(self.tmp)}
        self.killed_hits: set[int] = set()
        self.outcomes: Counter = Counter()
        self.logs: list[Path] = []

    def start(self) -> subprocess.Popen:
        log = self.workdir / f"daemon{len(self.logs)}.log"
        self.logs.append(log)
        with open(log, "w") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "monitor", "schedule", "--config", str(self.config), "--db", str(self.db),
                 "--stop-timeout", "2"],
                cwd=self.workdir, env=self.env, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
            )

    def _moment(self, daemon: subprocess.Popen, moment: str, requests: int, hits: int, crawls: int) -> str | None:
        """Wait for `moment`; what the outside saw then (None: the daemon ended first)."""
        evidence = {
            "fetch": lambda: any(p.rsplit("/", 1)[-1] in SOURCES for p in self.site.requests[requests:]),
            "commit": lambda: _crawls(self.db) > crawls,
            "delivery": lambda: len(self.receiver.hits) > hits,
        }[moment]
        wait_until(lambda: evidence() or daemon.poll() is not None, 60, step=0.001)
        if daemon.poll() is not None or not evidence():
            return None
        if moment == "fetch":
            return "listing request in hand"
        if moment == "commit":
            return ("crawl recorded, no alert accepted" if len(self.receiver.hits) == hits
                    else "crawl recorded, alert already in")
        time.sleep(self.rng.uniform(0, 0.25))  # before or after the receiver answers (0.2 s)
        return "alert request in hand"

    def session(self, child_moment: str, daemon_moment: str) -> list[str]:
        """One daemon: its batch child killed at one moment, then the daemon itself at another."""
        daemon = self.start()
        problems: list[str] = []
        try:
            problems += self._kill_child(daemon, child_moment)
            if not problems:
                problems += self._kill_daemon(daemon, daemon_moment)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        return problems

    def _kill_child(self, daemon: subprocess.Popen, moment: str) -> list[str]:
        """SIGKILL the batch child at `moment`; the daemon reaps it and carries on."""
        self.changing.change()
        hits = len(self.receiver.hits)
        seen = self._moment(daemon, moment, len(self.site.requests), hits, _crawls(self.db))
        if seen is None:
            return [f"the daemon ended (exit {daemon.poll()}): {self.logs[-1].read_text()[-1500:]}"]
        child = children_named(daemon.pid, "tidings-crawl")
        if not child:
            self.outcomes[f"child at {moment}: batch over before the kill"] += 1
            return []
        os.kill(child[0], signal.SIGKILL)
        reaped = wait_until(lambda: _parent(child[0]) != daemon.pid, 30, step=0.01)
        time.sleep(0.2)  # a request the dead child had half sent is in by now
        self.killed_hits.update(range(hits, len(self.receiver.hits)))
        self.outcomes[f"child killed, {moment}: {seen}"] += 1
        problems = check_archive(self.db)
        if not reaped:
            problems.append("the daemon did not reap its killed child")
        try:
            os.killpg(child[0], 0)
            problems.append("processes left in the killed child's process group")
        except ProcessLookupError:
            pass
        if daemon.poll() is not None:
            problems.append(f"the daemon ended (exit {daemon.returncode}) when its child was killed")
        return problems

    def _kill_daemon(self, daemon: subprocess.Popen, moment: str) -> list[str]:
        """SIGKILL the daemon at `moment`; nothing of it may be left."""
        self.changing.change()
        hits = len(self.receiver.hits)
        seen = self._moment(daemon, moment, len(self.site.requests), hits, _crawls(self.db))
        if seen is None:
            return [f"the daemon ended (exit {daemon.poll()}): {self.logs[-1].read_text()[-1500:]}"]
        daemon.kill()
        daemon.wait(timeout=30)
        # The kernel kills the batch child as the daemon dies: nothing may be written after this.
        written = archive_writes(self.db)
        gone = wait_until(lambda: not session_processes(daemon.pid), 10, step=0.02)
        time.sleep(0.2)  # a request the dead processes had half sent is in by now
        self.killed_hits.update(range(hits, len(self.receiver.hits)))
        after_death = len(self.receiver.hits)
        self.outcomes[f"daemon killed, {moment}: {seen}"] += 1
        problems = check_archive(self.db)
        if not gone:
            problems.append(f"processes left in the daemon's session: {session_processes(daemon.pid)}")
        if archive_writes(self.db) != written:
            problems.append(f"the archive was written after the daemon died ({written} -> {archive_writes(self.db)}):"
                            " its child outlived it")
        problems += leftovers(self.db, self.tmp)
        text = self.logs[-1].read_text()
        if "another process is crawling" in text:
            problems.append("a restarted daemon found a source locked by a dead process")
        if "Traceback" in text:
            problems.append(f"traceback in the daemon's log: {text[-1500:]}")
        time.sleep(0.2)
        if len(self.receiver.hits) != after_death:
            problems.append("the webhook receiver got a request after the daemon's session was gone")
        return problems

    def final(self) -> list[str]:
        """A daemon left to run until the archive matches the site and every alert is sent."""
        self.changing.change()
        expected = self.changing.expected()
        daemon = self.start()
        try:
            done = wait_until(lambda: set(archived_now(self.db)) == expected and _all_sent(self.db), 90, step=0.2)
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        finally:
            if daemon.poll() is None:
                os.killpg(daemon.pid, signal.SIGKILL)
                daemon.wait()
        problems = check_archive(self.db)
        rows = archived(self.db)
        if not done:
            missing, extra = expected - set(rows), set(rows) - expected
            problems.append(f"archive differs from the site after 90 s: missing {sorted(missing)[:3]}, "
                            f"unexpected {sorted(extra)[:3]}; log: {self.logs[-1].read_text()[-1500:]}")
        if len(rows) != len(set(rows)):
            problems.append("duplicate items")
        return problems + check_alerts(self.db, self.receiver.hits, self.killed_hits)

    def run(self, trials: int, log=print) -> None:
        """A baseline; daemons each losing their batch child, then being killed themselves (every
        moment for each, in turn: `trials` kills in all); a final daemon.  Raises on any problem."""
        baseline = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(self.config),
                                   "--db", str(self.db)], cwd=self.workdir, env=self.env, capture_output=True,
                                  timeout=120)
        if baseline.returncode != 0:
            raise AssertionError(f"the baseline run failed: {baseline.stderr.decode()[-1500:]}")
        sessions = (trials + 1) // 2
        child_moments = [m for _ in range(sessions) for m in self.rng.sample(MOMENTS, len(MOMENTS))]
        daemon_moments = [m for _ in range(sessions) for m in self.rng.sample(MOMENTS, len(MOMENTS))]
        for n in range(sessions):
            problems = self.session(child_moments[n], daemon_moments[n])
            if problems:
                raise AssertionError(f"daemon {n + 1} (child at {child_moments[n]}, then daemon at "
                                     f"{daemon_moments[n]}): " + "; ".join(problems))
        problems = self.final()
        if problems:
            raise AssertionError("after the final daemon: " + "; ".join(problems))
        log(f"{sessions * 2} kills in {sessions} daemons: " + "; ".join(f"{k}: {v}" for k, v in sorted(self.outcomes.items())))
        ids = {h.headers.get("X-Tidings-Delivery") for h in self.receiver.hits}
        log(f"final archive: {len(archived(self.db))} items, exactly what the site showed; webhook: "
            f"{len(self.receiver.hits)} requests, {len(ids)} delivery ids, every new item alerted under one id")

    def close(self) -> None:
        self.site.close()
        self.receiver.stop()


def _crawls(db: Path) -> int:
    """Crawls recorded by crawling (not the daemon's records of a child it saw die)."""
    rows = _query(db, "SELECT count(*) FROM crawls WHERE coalesce(error, '') NOT LIKE 'the crawl process died%'")
    return rows[0][0] if rows else 0


def archive_writes(db: Path) -> tuple:
    """What a crawl process changes in the archive: crawls recorded, deliveries marked sent or retried."""
    return tuple(_query(db, "SELECT (SELECT count(*) FROM crawls), (SELECT count(*) FROM deliveries WHERE"
                            " state = 'sent'), (SELECT coalesce(sum(attempts), 0) FROM deliveries)"))


def _all_sent(db: Path) -> bool:
    rows = _query(db, "SELECT count(*) FROM deliveries WHERE state != 'sent'")
    return bool(rows) and rows[0][0] == 0


def archived_now(db: Path) -> list[tuple]:
    try:
        return archived(db) if db.exists() else []
    except sqlite3.Error:
        return []


def _query(db: Path, sql: str) -> list[tuple]:
    """The rows, or none while the archive does not exist or is being created."""
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []


def main() -> None:
    run_trials(DaemonTrials, 12, "tidings-crash-daemon-")


if __name__ == "__main__":
    main()
