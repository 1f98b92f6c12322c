"""Crash trials: SIGKILL `tidings run` at random moments against a changing site.

    python tests/crash_harness.py --trials 60 [--seed N]

A local site with three listings gains items (and edits headlines) before
every trial; each trial starts the real CLI, which alerts a real webhook
receiver about new items, and kills it with SIGKILL at a random moment of a
typical run (measured first), or just as it starts writing.  After every kill:

- `PRAGMA integrity_check` is ok and `foreign_key_check` finds nothing;
- the archive is consistent: every item's version count matches its stored
  versions, and each crawl's `new` count matches the items it added (an item
  is never half-recorded, so it is reported new by exactly one crawl);
- no process of the killed run is left that could still write, and the
  receiver gets nothing more once the run is dead.

After the last trial one clean run must succeed, and then the archive holds
exactly the items the site ever showed, once each, with their latest
headlines; every item first archived by an `ok` crawl was alerted under
exactly one delivery `id` (baseline items under none), every delivery is
`sent`, and an `id` arrived twice only if its first arrival was during a run
that was then killed (between the receiver's acceptance and the outbox
recording it).  tests/test_crash.py runs a reduced form of this.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
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
from tests.helpers import ROOT, Page, Site, write_config  # noqa: E402
from tests.pages import DRUPAL_SOURCE, Item, Listing  # noqa: E402

SOURCES = ("alpha", "beta", "gamma")


class ChangingSite:
    """Three listings that only ever grow (and get headlines edited)."""

    def __init__(self, site: Site, rng: random.Random):
        self.site = site
        self.rng = rng
        self.count = 0
        self.items: dict[str, list[Item]] = {name: [] for name in SOURCES}
        for name in SOURCES:
            for _ in range(5):
                self._add(name)
        self.publish()

    def _add(self, name: str) -> None:
        self.count += 1
        n = self.count
        self.items[name].insert(
            0, Item(f"Release {n} of {name}", [f"Summary of release {n}."], f"/news/{name}/{n}", "2024-01-01")
        )

    def change(self) -> None:
        """New items on some listings, an edited headline now and then."""
        for name in SOURCES:
            for _ in range(self.rng.choice((0, 1, 1, 2))):
                self._add(name)
            if self.rng.random() < 0.3:
                items = self.items[name]
                i = self.rng.randrange(len(items))
                items[i] = dataclasses.replace(items[i], headline=items[i].headline.split(" (")[0] + f" (edit {self.count})")
        self.publish()

    def publish(self) -> None:
        for name in SOURCES:
            # A little latency spreads the crawls, and so the kills, over the run.
            self.site.pages[f"/{name}"] = Page(Listing(self.items[name]).render(), delay=self.rng.uniform(0, 0.2))

    def expected(self) -> set[tuple[str, str, str]]:
        """(source, url, headline) of every item ever shown, as last shown."""
        return {(name, self.site.url(i.path), i.headline) for name in SOURCES for i in self.items[name]}


def check_archive(db: Path) -> list[str]:
    """Everything wrong with an archive after a crash (empty when all is well)."""
    if not db.exists():
        return []
    problems = []
    with sqlite3.connect(db) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        if integrity != [("ok",)]:
            problems.append(f"integrity_check: {integrity[:3]}")
        tables = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "items" not in tables:
            return problems
        if conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append("foreign_key_check found dangling references")
        bad_versions = conn.execute(
            "SELECT count(*) FROM items i WHERE versions != (SELECT count(*) FROM item_versions v WHERE v.item_id = i.id)"
        ).fetchone()[0]
        if bad_versions:
            problems.append(f"{bad_versions} items whose version count does not match their versions")
        reported = conn.execute("SELECT coalesce(sum(new), 0) FROM crawls WHERE status = 'ok'").fetchone()[0]
        added = conn.execute(
            "SELECT count(*) FROM items i JOIN crawls c ON c.id = i.first_crawl_id WHERE c.status = 'ok'"
        ).fetchone()[0]
        if reported != added:
            problems.append(f"crawls report {reported} new items but added {added}")
        orphans = conn.execute("SELECT count(*) FROM items WHERE first_crawl_id IS NULL").fetchone()[0]
        if orphans:
            problems.append(f"{orphans} items recorded without a crawl")
    return problems


def archived(db: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT s.name, i.url, i.headline FROM items i JOIN sources s ON s.id = i.source_id"
        ).fetchall()


def crawl_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT count(*) FROM crawls").fetchone()[0]
    except sqlite3.Error:
        return 0


def _signature(path: Path) -> tuple[int, int] | None:
    """Size and modification time: changes with every write to the file."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


def processes_mentioning(marker: str) -> list[int]:
    """Pids of live processes whose command line contains `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().split(") ", 1)[1][:1]
        except OSError:
            continue
        if marker.encode() in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def check_alerts(db: Path, hits: list, killed_hits: set[int]) -> list[str]:
    """Every item new in an ok crawl alerted under exactly one id; every
    delivery sent; an id repeated only when its earlier arrivals came while a
    process was killed (`killed_hits`: indexes into the receiver's `hits`)."""
    problems = []
    ids_by_item: dict[tuple[str, str], set[str]] = {}
    arrivals: dict[str, list[int]] = {}
    for index, hit in enumerate(hits):
        document = hit.json
        if hit.headers.get("X-Tidings-Delivery") != document["id"]:
            problems.append(f"delivery header and body id differ: {document['id']}")
        arrivals.setdefault(document["id"], []).append(index)
        for item in document["items"]:
            if item["change"] == "new":
                ids_by_item.setdefault((document["source"], item["url"]), set()).add(document["id"])
    with sqlite3.connect(db) as conn:
        alertable = set(conn.execute(
            "SELECT s.name, i.url FROM items i JOIN sources s ON s.id = i.source_id"
            " JOIN crawls c ON c.id = i.first_crawl_id WHERE c.status = 'ok'"
        ).fetchall())
        states = dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
    if set(ids_by_item) != alertable:
        problems.append(f"alerted items differ from items new in ok crawls: "
                        f"{sorted(set(ids_by_item) ^ alertable)[:3]}")
    several = {item: ids for item, ids in ids_by_item.items() if len(ids) != 1}
    if several:
        problems.append(f"items alerted under several ids: {list(several.items())[:3]}")
    for delivery_id, indexes in arrivals.items():
        if any(i not in killed_hits for i in indexes[:-1]):
            problems.append(f"delivery {delivery_id} repeated without a kill during its delivery")
    if set(states) - {"sent"}:
        problems.append(f"deliveries not all sent: {states}")
    return problems


class Trials:
    def __init__(self, workdir: Path, seed: int):
        self.workdir = workdir
        self.rng = random.Random(seed)
        self.site = Site()
        self.site._server.handle_error = lambda *args: None  # a killed client resets its connections
        self.changing = ChangingSite(self.site, self.rng)
        self.db = workdir / "archive.db"
        self.receiver = Receiver().start()
        self.receiver._server.handle_error = lambda *args: None  # a killed sender breaks its connection
        self.config = write_config(
            workdir / "crash.toml",
            [{"name": name, "url": self.site.url(f"/{name}"), **DRUPAL_SOURCE} for name in SOURCES],
            extra=f'[[notify]]\ntype = "webhook"\nname = "hook"\nurl = "{self.receiver.url}"\non = ["new"]\ntimeout = 5\n',
        )
        self.killed_hits: set[int] = set()  # indexes of receiver hits that arrived during a killed run
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
        self.moments: Counter = Counter()

    def start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "run", "--config", str(self.config), "--db", str(self.db), "--json"],
            cwd=self.workdir, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def clean_run(self) -> float:
        started = time.monotonic()
        proc = self.start()
        _, stderr = proc.communicate(timeout=120)
        if proc.returncode != 0:
            raise AssertionError(f"clean run failed ({proc.returncode}): {stderr.decode()[-2000:]}")
        return time.monotonic() - started

    def kill_trial(self, window: float, mode: str) -> list[str]:
        """One run killed at a random moment ("random"), just as it starts
        writing ("write"), or just as the receiver accepted an alert ("alert")."""
        self.changing.change()
        first_hit = len(self.receiver.hits)
        before = crawl_count(self.db)
        wal = self.db.with_name(self.db.name + "-wal")
        wal_before = _signature(wal)
        proc = self.start()
        deadline = time.monotonic() + (self.rng.uniform(0, window) if mode == "random" else window * 2)
        while proc.poll() is None and time.monotonic() < deadline:
            if mode == "write" and _signature(wal) != wal_before:
                time.sleep(self.rng.uniform(0, 0.01))  # somewhere inside or just after a transaction
                break
            if mode == "alert" and len(self.receiver.hits) > first_hit:
                time.sleep(self.rng.uniform(0, 0.002))  # before or after the outbox records it as sent
                break
            time.sleep(0.005 if mode == "random" else 0.0005)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
        time.sleep(0.2)  # a request the dead run had half sent is in by now
        if not finished:
            self.killed_hits.update(range(first_hit, len(self.receiver.hits)))
        hits_after_death = len(self.receiver.hits)
        recorded = crawl_count(self.db) - before
        self.moments["finished before the kill" if finished else f"{mode}: killed after recording {recorded} of {len(SOURCES)} sources"] += 1
        problems = check_archive(self.db)
        left = processes_mentioning(str(self.config))
        if left:
            problems.append(f"processes left behind: {left}")
        time.sleep(0.2)
        if len(self.receiver.hits) != hits_after_death:
            problems.append("the webhook receiver got a request after the run was killed")
        return problems

    def run(self, trials: int, log=print) -> None:
        """All trials, then the final clean run and the final check; raises on any problem."""
        typical = self.clean_run()
        log(f"typical run: {typical:.2f} s; trials killed in turn at a random moment within {typical * 1.1:.2f} s, "
            "as the archive's WAL starts growing (+0-10 ms), and as the receiver accepts an alert (+0-2 ms)")
        for n in range(1, trials + 1):
            problems = self.kill_trial(typical * 1.1, ("random", "write", "alert")[n % 3])
            if problems:
                raise AssertionError(f"trial {n}: " + "; ".join(problems))
        self.clean_run()
        problems = check_archive(self.db)
        rows = archived(self.db)
        if len(rows) != len(set(rows)):
            problems.append("duplicate items")
        expected = self.changing.expected()
        if set(rows) != expected:
            missing, extra = expected - set(rows), set(rows) - expected
            problems.append(f"archive differs from the site: missing {sorted(missing)[:3]}, unexpected {sorted(extra)[:3]}")
        problems += self.check_alerts()
        if problems:
            raise AssertionError("after the final run: " + "; ".join(problems))
        log(f"{trials} trials: " + ", ".join(f"{k}: {v}" for k, v in sorted(self.moments.items())))
        log(f"final archive: {len(rows)} items, exactly the {len(expected)} the site showed; integrity ok after every kill")
        ids = {h.headers.get("X-Tidings-Delivery") for h in self.receiver.hits}
        log(f"webhook: {len(self.receiver.hits)} requests, {len(ids)} delivery ids, "
            f"{len(self.receiver.hits) - len(ids)} repeats (all after a kill during delivery); every new item alerted once")

    def check_alerts(self) -> list[str]:
        return check_alerts(self.db, self.receiver.hits, self.killed_hits)

    def close(self) -> None:
        self.site.close()
        self.receiver.stop()


def run_trials(make, trials: int, prefix: str, before=None) -> None:
    """The command line of a harness: `--trials N --seed S`, then N trials of
    `make(folder, seed)` in a temporary folder (`before()` first, if given)."""
    parser = argparse.ArgumentParser(description=(sys.modules["__main__"].__doc__ or "").split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=trials)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    if before is not None:
        before()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    print(f"seed {seed}")
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        harness = make(Path(tmp), seed)
        try:
            harness.run(args.trials)
        finally:
            harness.close()


def main() -> None:
    run_trials(Trials, 60, "tidings-crash-")


if __name__ == "__main__":
    main()
