"""Crash trials for browser sources: SIGKILL a run, or the daemon, while Chromium renders.

    python tests/crash_browser_harness.py [--trials 4] [--seed N]

Two sources render in real Chromium (scrapy-playwright): "slow", whose
page loads its listing from an API that, during a trial, does not answer,
and "json", which renders at once.  Before each trial an item is added; the
trial starts `tidings run`, or the daemon (whose batch child runs the
browser), in a session of its own with a marker in its environment and a
private TMPDIR, and SIGKILLs that one process (not its group) once the slow
page has asked for its listing (the browser is mid-render) and "json" is
recorded with its new item (its alert queued, not yet sent: sending waits
for the crawl's end).  After every kill:

- no process carrying the marker (Chromium, its helpers, the Playwright
  driver) and no process of the session is left (each exits when the pipe to
  the process that started it closes, or with its parent), and nothing is
  written to the archive after the kill;
- `PRAGMA integrity_check` is ok and the archive is consistent;
- no source or sender lock is held, and the private TMPDIR is empty (no
  browser profile or `tidings-schedule-*` folder left behind).

Then a clean run records every item the site lists, and every item new in
an `ok` crawl was alerted once (under one delivery `id`), as in
tests/crash_harness.py.  tests/test_crash.py runs this with 2 trials, and
skips it without Chromium unless TIDINGS_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests.* and the packages

from tests.alert_receivers import Receiver  # noqa: E402
from tests.browser_processes import marked, new_mark  # noqa: E402
from tests.crash_daemon_harness import archive_writes, leftovers, session_processes, wait_until  # noqa: E402
from tests.crash_harness import archived, check_alerts, check_archive, run_trials  # noqa: E402
from tests.helpers import ROOT, Site, write_config  # noqa: E402
from tests.js_pages import JsSite  # noqa: E402
from tests.pages import extra_item  # noqa: E402

CARDS = {"item": "article.card", "headline": "h3"}
SOURCES = ("slow", "json")
HOW = ("run", "daemon")


class BrowserTrials:
    def __init__(self, workdir: Path, seed: int, browser: str):
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.site = Site()
        self.site._server.handle_error = lambda *args: None  # a killed browser resets its connections
        self.pages = JsSite(self.site, slow=0.2)  # a trial makes it hang
        self.db = workdir / "archive.db"
        self.log = workdir / "trial.log"  # the stderr of the process on trial
        # Short: Chromium cannot start when its socket's path under TMPDIR passes 107 bytes.
        self.tmp = Path(tempfile.mkdtemp(prefix="tidings-crash-"))
        self.receiver = Receiver().start()
        self.receiver._server.handle_error = lambda *args: None
        self.config = write_config(workdir / "browser.toml", [
            {"name": name, "url": self.pages.url(name), "render": "browser", "browser_timeout": 30, **CARDS}
            for name in SOURCES
        ], extra=f'[defaults]\nschedule = "2s"\n\n[[notify]]\ntype = "webhook"\nname = "hook"\n'
                 f'url = "{self.receiver.url}"\non = ["new"]\ntimeout = 5\n')
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")},
                    "PYTHONPATH": str(ROOT), "TMPDIR": str(self.tmp), "TIDINGS_BROWSER": browser}
        self.killed_hits: set[int] = set()
        self.added = 0
        self.outcomes: Counter = Counter()

    def start(self, how: str, mark: dict) -> subprocess.Popen:
        command = "schedule" if how == "daemon" else "run"
        with open(self.log, "w") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "monitor", command, "--config", str(self.config), "--db", str(self.db)],
                cwd=self.workdir, env={**self.env, **mark}, stdout=subprocess.DEVNULL, stderr=log,
                start_new_session=True,
            )

    def clean_run(self) -> None:
        proc = subprocess.run(
            [sys.executable, "-m", "monitor", "run", "--config", str(self.config), "--db", str(self.db), "--json"],
            cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=180,
        )
        if proc.returncode != 0:
            raise AssertionError(f"clean run failed ({proc.returncode}): {proc.stdout[-1500:]} {proc.stderr[-1500:]}")

    def trial(self, how: str) -> list[str]:
        self.added += 1
        self.pages.items.insert(0, extra_item(100 + self.added))
        asked, hits = self.site.requests.count("/api/slow-news.json"), len(self.receiver.hits)
        recorded = _crawls_of(self.db, "json")
        mark = new_mark()
        self.pages.slow = 60  # the page waits for its listing until the kill
        proc = self.start(how, mark)
        problems: list[str] = []
        try:
            rendering = wait_until(lambda: (self.site.requests.count("/api/slow-news.json") > asked
                                            and _crawls_of(self.db, "json") > recorded)
                                   or proc.poll() is not None, 120, step=0.01)
            if proc.poll() is not None or not rendering:
                return [f"{how}: ended (exit {proc.poll()}) or stalled before the slow page asked for its listing"
                        f" and the other source was recorded: {self.log.read_text()[-1500:]}"]
            browsers = sum("chrom" in name for name in marked(mark).values())
            proc.kill()  # the one process, as the OOM killer or `kill -9 PID` would
            proc.wait(timeout=30)
            written = archive_writes(self.db)
            gone = wait_until(lambda: not marked(mark) and not session_processes(proc.pid), 15, step=0.05)
            time.sleep(0.3)  # a request the dead run had half sent is in by now
            self.killed_hits.update(range(hits, len(self.receiver.hits)))
            self.outcomes[f"{how} killed mid-render, the other source recorded ({browsers} browser processes)"] += 1
            if not gone:
                problems.append(f"left behind: {marked(mark) or session_processes(proc.pid)}")
            if archive_writes(self.db) != written:
                problems.append("the archive was written after the killed process died")
            problems += check_archive(self.db)
            problems += leftovers(self.db, self.tmp)
        finally:
            self.pages.slow = 0.2
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        return problems

    def run(self, trials: int, log=print) -> None:
        """A baseline, the trials (a run and the daemon in turn), a clean run; raises on any problem."""
        self.clean_run()
        for n in range(trials):
            how = HOW[n % len(HOW)]
            problems = self.trial(how)
            if problems:
                raise AssertionError(f"trial {n + 1} ({how}): " + "; ".join(problems))
        self.clean_run()
        problems = check_archive(self.db)
        rows = archived(self.db)
        expected = {(name, self.site.url(i.path), i.headline) for name in SOURCES for i in self.pages.items}
        if len(rows) != len(set(rows)) or set(rows) != expected:
            problems.append(f"archive differs from the site: missing {sorted(expected - set(rows))[:3]}, "
                            f"unexpected {sorted(set(rows) - expected)[:3]}")
        problems += check_alerts(self.db, self.receiver.hits, self.killed_hits)
        if problems:
            raise AssertionError("after the final run: " + "; ".join(problems))
        log(f"{trials} browser trials: " + "; ".join(f"{k}: {v}" for k, v in sorted(self.outcomes.items())))
        log(f"final archive: {len(rows)} items, exactly what the site listed; webhook: "
            f"{len(self.receiver.hits)} requests, every new item alerted under one id")

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.pages.hold.set()
        self.site.close()
        self.receiver.stop()


def _crawls_of(db: Path, source: str) -> int:
    """How many crawls of `source` the archive holds (0 while it is being created)."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=30) as conn:
            return conn.execute("SELECT count(*) FROM crawls c JOIN sources s ON s.id = c.source_id"
                                " WHERE s.name = ?", (source,)).fetchone()[0]
    except sqlite3.Error:
        return 0


def main() -> None:
    from scraper.browser import find_browser, require_browser_support

    run_trials(lambda folder, seed: BrowserTrials(folder, seed, find_browser()), 4, "tidings-crash-browser-",
               before=require_browser_support)


if __name__ == "__main__":
    main()
