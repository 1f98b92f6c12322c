"""Many sources over worker processes: the same report and archive as one process."""

from __future__ import annotations

import json
import sqlite3

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items

from monitor.run import INTERRUPTED_REASON


def test_two_processes_record_every_source_once_and_report_in_config_order(tmp_path, site):
    names = [f"agency-{i}" for i in range(5)]
    for name in names:
        # Slow enough that the worker has started before `tidings run` could take every source.
        site.pages[f"/{name}"] = Page(Listing().render(), delay=0.4)
    config = write_config(tmp_path / "tidings.toml",
                          [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in names],
                          {"processes": 2, "concurrency": 2})  # one request at a time per process
    db = tmp_path / "archive.db"

    def run():
        result = tidings("run", "--config", str(config), "--db", str(db), "--json")
        assert result.code == 0, result.stderr
        return result.json["sources"]

    first = run()
    assert [(s["name"], s["status"], s["items_seen"]) for s in first] == [(n, "baseline", 10) for n in names]
    # Both processes crawled (each asks robots.txt once, before its first page).
    assert site.requests.count("/robots.txt") == 2
    site.pages["/agency-3"] = Page(Listing([extra_item(1), *seed_items()]).render())
    second = run()
    assert [s["name"] for s in second] == names
    assert {s["name"]: [n["headline"] for n in s["new"]] for s in second} == {
        n: ([extra_item(1).headline] if n == "agency-3" else []) for n in names
    }
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM crawls").fetchone()[0] == 10
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == 51
        # Every item's first version was archived with it.
        assert conn.execute("SELECT count(*) FROM item_versions").fetchone()[0] == 51


def test_processes_must_be_a_whole_number(tmp_path):
    config = write_config(tmp_path / "tidings.toml", [{"name": "a", "url": "http://127.0.0.1:9/"}], {"processes": -1})
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert "[crawl]: key 'processes': must be a whole number of at least 0" in result.stderr


def test_worker_processes_die_with_a_killed_run(tmp_path, site):
    """A `tidings run` killed mid-crawl (cron timeout, OOM killer) leaves no crawler behind."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.helpers import ROOT

    for i in range(3):
        site.pages[f"/slow-{i}"] = Page(Listing().render(), delay=30)
    # Three processes (the run and two workers), one request at a time each: one slow page each.
    config = write_config(tmp_path / "tidings.toml",
                          [{"name": f"slow-{i}", "url": site.url(f"/slow-{i}"), **DRUPAL_SOURCE} for i in range(3)],
                          {"processes": 3, "concurrency": 3})
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    run = subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db",
                            str(tmp_path / "a.db")], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    deadline = time.monotonic() + 60
    while (len(_children(run.pid)) < 2 or len(pages_asked(site)) < 3) and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = _children(run.pid)
    assert len(workers) == 2, "the run did not start two worker processes"
    run.send_signal(signal.SIGKILL)
    run.wait(timeout=10)
    deadline = time.monotonic() + 20
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in workers if _running(pid)]
        time.sleep(0.1)
    assert alive == []


def _running(pid: int) -> bool:
    """Alive and not a zombie (a dead worker is reaped by init once orphaned)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_killed_worker_loses_only_the_source_it_was_fetching(tmp_path, site):
    """The other process takes every source the dead worker had not yet started."""
    import os
    import signal

    with HeldRun(tmp_path, site, sources=4) as held:
        workers = _children(held.run.pid)
        assert len(workers) == 1
        os.kill(workers[0], signal.SIGKILL)
    statuses = {s["name"]: (s["status"], s.get("error")) for s in held.report["sources"]}
    lost = [n for n, (status, _) in statuses.items() if status != "baseline"]
    assert len(lost) == 1, statuses
    assert statuses[lost[0]] == ("failed", "the crawl ended before this source finished")
    assert sorted(pages_asked(site)) == sorted(f"/{n}" for n in held.names)


def test_a_stopped_run_stops_its_workers_from_starting_more_sources(tmp_path, site):
    """SIGTERM to `tidings run` alone (a cron timeout): the worker finishes what it holds and takes no more."""
    import signal
    import time

    with HeldRun(tmp_path, site, sources=12, answer_after=0.5, expect=130) as held:
        held.run.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the run has begun to stop before the held pages answer
    crawled = [s["name"] for s in held.report["sources"] if s["status"] == "baseline"]
    # Stopped by the user, not by the sites: skipped, not recorded as failed.
    unfinished = [s["name"] for s in held.report["sources"]
                  if (s["status"], s.get("error")) == ("skipped", INTERRUPTED_REASON)]
    # Without the stop, the worker would go on to crawl all 12.
    assert 2 <= len(crawled) <= 6 and len(crawled) + len(unfinished) == len(held.names), held.report["sources"]
    assert len(pages_asked(site)) == len(crawled)


class HeldRun:
    """`tidings run --json` in two processes, one request at a time each, over sources whose pages
    answer only when the `with` block ends: inside it, the run and its worker each hold one source.
    The run must then end with exit code `expect` (1: some source unfinished; 130: stopped by a
    signal); its report is `self.report`."""

    def __init__(self, tmp_path, site, *, sources: int, answer_after: float = 0.0, expect: int = 1):
        self.expect = expect
        import threading
        import time

        self.site = site
        self.release = threading.Event()
        self.names = [f"agency-{i}" for i in range(sources)]
        body = Listing().render().encode()

        def held(request):
            self.release.wait(60)
            time.sleep(answer_after)
            _answer(request, body)

        for name in self.names:
            site.pages[f"/{name}"] = held
        self.config = write_config(tmp_path / "tidings.toml",
                                   [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in self.names],
                                   {"processes": 2, "concurrency": 2})
        self.db = tmp_path / "a.db"
        self.report: dict = {}

    def __enter__(self) -> "HeldRun":
        import time

        self.run = _start_run(self.config, self.db)
        deadline = time.monotonic() + 60
        while (not _children(self.run.pid) or len(pages_asked(self.site)) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        if len(pages_asked(self.site)) != 2:
            self.__exit__(None, None, None)
            raise AssertionError("the run and its worker did not each ask a page")
        return self

    def __exit__(self, exc_type, *_) -> None:
        self.release.set()
        try:
            out, err = self.run.communicate(timeout=60)
        finally:
            if self.run.poll() is None:
                self.run.kill()
                self.run.wait()
        if exc_type is None:
            assert self.run.returncode == self.expect, err
            self.report = json.loads(out)


def pages_asked(site) -> list[str]:
    """Listing pages asked so far (not robots.txt)."""
    return [path for path in site.requests if path != "/robots.txt"]


def _start_run(config, db):
    import os
    import subprocess
    import sys

    from tests.helpers import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    return subprocess.Popen([sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db),
                             "--json"], cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(child) for child in fh.read().split()]
    except OSError:
        return []


def test_a_stopped_run_lets_no_worker_start_another_source_while_its_own_pages_come_in(tmp_path, site):
    """SIGTERM: the worker's held page answers at once, the run's own 3 s later. Before: the worker
    took and crawled further sources in those 3 s (the shared list closed only when the run's crawl ended)."""
    import signal
    import threading
    import time

    release = threading.Event()
    run_pid: list[int] = []
    body = Listing().render().encode()

    def held(request):
        release.wait(60)
        if _client_pid(request.client_address[1], run_pid) is not None:
            time.sleep(3)  # the run's own page: its graceful stop waits for it
        _answer(request, body)

    names = [f"agency-{i}" for i in range(8)]
    config = _serve(tmp_path, site, names, held, {"processes": 2, "concurrency": 2})
    run = _start_run(config, tmp_path / "a.db")
    run_pid.append(run.pid)
    try:
        deadline = time.monotonic() + 60
        while (not _children(run.pid) or len(pages_asked(site)) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(pages_asked(site)) == 2, "the run and its worker did not each ask a page"
        run.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        release.set()
        out, err = run.communicate(timeout=60)
    finally:
        release.set()
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, err
    statuses = [(s["status"], s.get("error")) for s in json.loads(out)["sources"]]
    assert sorted(statuses, key=str) == sorted(
        [("baseline", None)] * 2 + [("skipped", INTERRUPTED_REASON)] * 6, key=str)
    conn = sqlite3.connect(tmp_path / "a.db")
    assert [s for (s,) in conn.execute("SELECT status FROM crawls")] == ["baseline", "baseline"]  # no failures recorded
    conn.close()
    assert len(pages_asked(site)) == 2


def test_a_second_sigterm_stops_the_run_without_waiting_for_the_workers_pages(tmp_path, site):
    """As with one process, SIGTERM again forces the stop. Before: the run waited for the page its
    worker held (here 30 s)."""
    import signal
    import time

    names = [f"agency-{i}" for i in range(4)]
    for name in names:
        site.pages[f"/{name}"] = Page(Listing().render(), delay=30)
    config = write_config(tmp_path / "tidings.toml",
                          [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in names],
                          {"processes": 2, "concurrency": 2})
    run = _start_run(config, tmp_path / "a.db")
    try:
        deadline = time.monotonic() + 60
        while (not _children(run.pid) or len(pages_asked(site)) < 2) and time.monotonic() < deadline:
            time.sleep(0.1)
        workers = _children(run.pid)
        assert len(workers) == 1 and len(pages_asked(site)) == 2
        run.send_signal(signal.SIGTERM)
        time.sleep(1)
        run.send_signal(signal.SIGTERM)
        out, err = run.communicate(timeout=15)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    assert run.returncode == 130, err
    assert [(s["name"], s["status"], s.get("error")) for s in json.loads(out)["sources"]] == [
        (n, "skipped", INTERRUPTED_REASON) for n in names]
    assert not _running(workers[0])


def _client_pid(port: int, pids: list[int]) -> int | None:
    """Which of `pids` holds the local TCP socket 127.0.0.1:`port` (a request's client end)."""
    import os

    inodes = set()
    with open("/proc/net/tcp") as fh:
        for line in fh.readlines()[1:]:
            fields = line.split()
            if fields[1] == f"0100007F:{port:04X}":
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return pid
            except OSError:
                continue
    return None


def test_a_crawl_the_archive_refused_does_not_stop_the_workers_later_crawls_from_being_recorded(tmp_path, site):
    """As with one process, each crawl is its own transaction: one that cannot be recorded fails the
    run (exit code 2, one line) but every other crawl is still recorded. Before: once one worker crawl
    failed to record, every later worker crawl was dropped. The run's own pages answer slowly, so the
    worker crawls nearly every source; the archive refuses all but the last."""
    import sqlite3
    import time

    run_pid: list[int] = []
    body = Listing().render().encode()

    def page(request):
        if _client_pid(request.client_address[1], run_pid) is not None:
            time.sleep(4)
        _answer(request, body)

    names = [f"agency-{i}" for i in range(8)]
    config = _serve(tmp_path, site, names, page, {"processes": 2, "concurrency": 2})
    db = tmp_path / "a.db"
    assert tidings("run", "--config", str(config), "--db", str(db), "--json", "--quiet").code == 0
    with sqlite3.connect(db) as conn:  # a fault only the archive sees (as a full disk would be)
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON crawls WHEN NEW.source_id IN"
                     " (SELECT id FROM sources WHERE name != 'agency-7') BEGIN SELECT RAISE(ABORT, 'refused'); END")
    reported = _run_refused(config, db, run_pid)
    with sqlite3.connect(db) as conn:
        crawls = _crawls_per_source(conn)
    assert crawls == {n: (2 if n == "agency-7" else 1) for n in names}
    assert reported == {"agency-7"}  # what was recorded is reported, even though the run failed


def test_forced_processes_never_send_one_host_more_parallel_requests_than_per_domain(tmp_path, site):
    """`processes = 2` with `per_domain = 1`: one request at a time to the host, as the config says
    (and a warning says why one process). Before: each process got max(1, 1 // 2) = 1, so the host
    saw two at once. No delay: Scrapy 2.14+ alone would then send a host's queued requests at once
    (scraper/downloader.py holds them to per_domain)."""
    import threading
    import time

    lock = threading.Lock()
    in_flight = [0, 0]  # now, most
    body = Listing().render().encode()

    def page(request):
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        time.sleep(0.3)
        with lock:
            in_flight[0] -= 1
        _answer(request, body)

    names = [f"agency-{i}" for i in range(6)]
    config = _serve(tmp_path, site, names, page, {"processes": 2, "concurrency": 8, "per_domain": 1, "delay": 0})
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    assert result.code == 0, result.stderr
    assert [(s["name"], s["status"]) for s in result.json["sources"]] == [(n, "baseline") for n in names]
    assert in_flight[1] == 1
    assert "[crawl] processes = 2, but per_domain = 1 and concurrency = 8 allow 1" in result.stderr


def test_when_the_archive_refuses_the_runs_own_crawl_the_workers_crawls_are_still_recorded(tmp_path, site):
    """The run's own crawls are refused (as a full disk would); its worker still holds a page. As with
    one process, the run fails (exit code 2) only after every other crawl is recorded. Before: the
    worker was killed and its crawl lost."""
    import sqlite3
    import time

    run_pid: list[int] = []
    body = Listing().render().encode()
    db = tmp_path / "a.db"
    held = {"on": False}

    def page(request):
        if held["on"]:
            if _client_pid(request.client_address[1], run_pid) is None:  # the worker's: allowed, answered late
                with sqlite3.connect(db, timeout=30) as conn:
                    conn.execute("INSERT INTO allow VALUES (?)", (request.path.strip("/"),))
                time.sleep(5)
            else:
                time.sleep(0.4)
        _answer(request, body)

    names = [f"agency-{i}" for i in range(6)]
    config = _serve(tmp_path, site, names, page, {"processes": 2, "concurrency": 2})
    assert tidings("run", "--config", str(config), "--db", str(db), "--json", "--quiet").code == 0
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE allow (name TEXT)")
        conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON crawls WHEN NEW.source_id NOT IN"
                     " (SELECT s.id FROM sources s JOIN allow a ON a.name = s.name)"
                     " BEGIN SELECT RAISE(ABORT, 'refused'); END")
    held["on"] = True
    reported = _run_refused(config, db, run_pid)
    with sqlite3.connect(db) as conn:
        allowed = [n for (n,) in conn.execute("SELECT name FROM allow")]
        crawls = _crawls_per_source(conn)
    assert allowed, "the worker crawled no source"
    assert crawls == {n: (2 if n in allowed else 1) for n in names}
    assert reported == set(allowed)


def _answer(request, body: bytes) -> None:
    """A listing page's 200 answer, from a handler callable."""
    request.send_response(200)
    request.send_header("Content-Type", "text/html; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    request.wfile.write(body)


def _wait(run, timeout: float = 60) -> tuple[str, str]:
    """The run's stdout and stderr once it has ended (killed if it outlives `timeout`)."""
    try:
        return run.communicate(timeout=timeout)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()


def _serve(tmp_path, site, names: list[str], page, crawl: dict):
    """Each named source's page answered by `page`; the config crawling them."""
    for name in names:
        site.pages[f"/{name}"] = page
    return write_config(tmp_path / "tidings.toml",
                        [{"name": n, "url": site.url(f"/{n}"), **DRUPAL_SOURCE} for n in names], crawl)


def _run_refused(config, db, run_pid: list[int]) -> set[str]:
    """`tidings run` over an archive whose trigger refuses some crawls: one line, exit code 2, and a
    report of what was recorded all the same (the refused sources `failed`, "not recorded").
    Returns the names of the sources it reports recorded."""
    import json

    run = _start_run(config, db)
    run_pid.append(run.pid)
    out, err = _wait(run)
    assert run.returncode == 2 and err.strip() == f"tidings: error: {db}: refused", err
    sources = json.loads(out)["sources"]
    refused = {s["name"] for s in sources if (s["error"] or "").startswith("not recorded: ")}
    assert all(s["status"] == "failed" and s["error"].endswith(": refused") for s in sources if s["name"] in refused)
    return {s["name"] for s in sources} - refused


def _crawls_per_source(conn) -> dict[str, int]:
    return dict(conn.execute("SELECT s.name, count(*) FROM crawls c JOIN sources s ON s.id = c.source_id"
                             " GROUP BY s.name").fetchall())
