"""The daemon's batches, as a real process against a real local web site: sources
that fall due together share one child, a hanging source fails alone, SIGTERM
keeps what a batch finished, and a source is never in two batches at once."""

from __future__ import annotations

import json
import threading
import time

from tests.alert_receivers import Receiver
from tests.helpers import Page, tidings, write_config
from tests.daemons import crawl_children, crawls, daemons, query, source, wait_for  # noqa: F401 - daemons: a fixture
from tests.pages import Listing, extra_item, seed_items


def run_ids(db, name: str) -> list[str]:
    return [row[0] for row in query(db, "SELECT c.run_id FROM crawls c JOIN sources s ON s.id = c.source_id"
                                        " WHERE s.name = ? ORDER BY c.id", name)]


def test_sources_due_together_share_one_child_and_status_shows_their_lag(site, tmp_path, daemons):
    names = [f"agency-{i}" for i in range(5)]
    for name in names:
        site.pages[f"/{name}"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [source(n, site.url(f"/{n}"), schedule="2s") for n in names]
                          + [source("manual", site.url("/agency-0"))])
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    wait_for(lambda: all(len(crawls(db, n)) >= 2 for n in names), what="two rounds", log=daemon)
    daemon.stop()

    # Never run before, all five fell due at start within the one-second window: one child crawled them.
    first_round = {run_ids(db, n)[0] for n in names}
    assert len(first_round) == 1, first_round
    assert all(crawls(db, n)[0][0] == "baseline" for n in names)
    # Each later round is a batch too: far fewer children than crawls.
    every = [run_id for n in names for run_id in run_ids(db, n)]
    assert len(set(every)) < len(every) / 2

    status = tidings("status", "--config", str(config), "--db", str(db), "--json")
    assert status.code == 0, status.stderr
    lags = {s["name"]: s["schedule_lag"] for s in status.json["sources"]}
    assert all(isinstance(lags[n], float) and lags[n] >= 0 for n in names), lags
    assert lags["manual"] is None  # the daemon never runs a source without a schedule
    text = tidings("status", "--config", str(config), "--db", str(db))
    assert text.stdout.splitlines()[0].split()[6] == "lag"
    assert "lag " in daemon.text() and "agency-0 baseline: 10 seen" in daemon.text()


def test_a_hanging_source_fails_alone_and_the_others_keep_their_records_and_alerts(site, tmp_path, daemons):
    receiver = Receiver().start()
    try:
        site.pages["/news"] = Page(Listing().render())
        site.pages["/press"] = Page(Listing().render())
        site.pages["/hang"] = Page(Listing().render(), delay=60)
        hook = f'[[notify]]\nname = "hook"\ntype = "webhook"\nurl = "{receiver.url}"\ntimeout = 5\n'
        fast = [source("news", site.url("/news")), source("press", site.url("/press"))]
        baseline = write_config(tmp_path / "baseline.toml", fast)
        db = tmp_path / "t.db"
        assert tidings("run", "--config", str(baseline), "--db", str(db)).code == 0
        query(db, "UPDATE crawls SET started = '2026-01-01T00:00:00.000+00:00'")  # long ago: due at once

        # Both fast sources get a new item; all three are due at once and share one batch.
        for path, n in (("/news", 1), ("/press", 2)):
            site.pages[path] = Page(Listing(items=[extra_item(n), *seed_items()]).render())
        config = write_config(tmp_path / "tidings.toml", [*fast, source("hang", site.url("/hang"), timeout=120,
                                                                        run_timeout=3)],
                              extra=f'[defaults]\nschedule = "2s"\n{hook}')
        daemon = daemons(config, db)
        failed = wait_for(lambda: crawls(db, "hang"), what="the hanging source to be stopped", log=daemon)
        assert failed[0][:3] == ("failed", 0, "the crawl did not finish within 3 s (run_timeout) and was stopped")
        # The same child crawled the others: recorded ok, each with its new item, before the kill.
        assert [c[:2] for c in crawls(db, "news")][:2] == [("baseline", 0), ("ok", 1)]
        assert [c[:2] for c in crawls(db, "press")][:2] == [("baseline", 0), ("ok", 1)]
        assert run_ids(db, "news")[1] == run_ids(db, "press")[1]
        # Their alerts were queued with their records; the next batch sends what the stopped one could not.
        wait_for(lambda: len(receiver.accepted) >= 2, what="the alerts", log=daemon)
        daemon.stop()
        sent = {json.loads(h.raw)["source"]: json.loads(h.raw) for h in receiver.accepted}
        assert set(sent) == {"news", "press"}
        assert sent["news"]["items"][0]["headline"] == extra_item(1).headline
        assert sent["press"]["items"][0]["headline"] == extra_item(2).headline
        assert "hang failed: the crawl did not finish within 3 s" in daemon.text()
        assert crawl_children(db) == []
    finally:
        receiver.stop()


def test_sigterm_during_a_batch_keeps_what_it_finished_and_leaves_no_process(site, tmp_path, daemons):
    site.pages["/news"] = Page(Listing().render())
    site.pages["/press"] = Page(Listing().render())
    site.pages["/slow"] = Page(Listing().render(), delay=60)
    config = write_config(tmp_path / "tidings.toml", [
        source("news", site.url("/news")), source("press", site.url("/press")),
        source("slow", site.url("/slow"), timeout=120),
    ], extra='[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(config, db)
    wait_for(lambda: crawls(db, "news") and crawls(db, "press"), what="the fast sources recorded", log=daemon)
    assert crawl_children(db), "the batch is still crawling the slow source"
    daemon.stop(within=10)  # --stop-timeout 3, then the batch is killed
    assert crawl_children(db) == []
    for name in ("news", "press"):  # every finished crawl is kept, none half-written
        assert [c[0] for c in crawls(db, name)][:1] == ["baseline"]
        assert {c[0] for c in crawls(db, name)} <= {"baseline", "ok"}
    assert crawls(db, "slow") == []  # unfinished at shutdown: not recorded
    assert "slow: crawl still running at shutdown; killed" in daemon.text()
    assert query(db, "PRAGMA integrity_check") == [("ok",)]


def test_a_source_due_again_while_its_batch_runs_is_not_started_twice(site, tmp_path, daemons):
    active, most = [0], [0]
    lock = threading.Lock()
    body = Listing().render().encode()

    def slow(handler) -> None:
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            time.sleep(5)  # well past the next two ticks of a 2 s schedule
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        finally:
            with lock:
                active[0] -= 1

    site.pages["/slow"] = slow
    config = write_config(tmp_path / "tidings.toml", [source("slow", site.url("/slow"))],
                          extra='[defaults]\nschedule = "2s"')
    db = tmp_path / "t.db"
    daemon = daemons(config, db, "--workers", "4")
    wait_for(lambda: len(crawls(db, "slow")) >= 2, timeout=60, what="two crawls", log=daemon)
    daemon.stop()
    assert most[0] == 1  # never two requests for the page at once, with three workers free
    assert "slow: still crawling from the previous tick; this tick is skipped" in daemon.text()
    history = query(db, "SELECT started, finished FROM crawls ORDER BY id")
    assert all(later[0] >= earlier[1] for earlier, later in zip(history, history[1:]))
