"""A run over more sources than the process may open files still crawls every one.

Source locks used to cost one open descriptor per source for the whole run:
with the usual limit of 1,024 open files a run over a thousand sources
failed before crawling ("Too many open files").  A run now holds a constant
number of lock descriptors however many sources it crawls.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

from tests.helpers import ROOT, Page, write_config
from tests.pages import DRUPAL_SOURCE, Listing

SOURCES = 400
OPEN_FILES = 256  # far below the number of sources


def _limit_open_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))


def test_a_run_over_more_sources_than_open_files_crawls_them_all_and_frees_their_locks(tmp_path, site):
    page = Listing().render()
    for i in range(SOURCES):
        site.pages[f"/s{i}"] = Page(page)
    config = write_config(tmp_path / "t.toml",
                          [{"name": f"s{i}", "url": site.url(f"/s{i}"), **DRUPAL_SOURCE} for i in range(SOURCES)],
                          crawl={"delay": 0, "per_domain": 16, "concurrency": 16})
    db = tmp_path / "archive.db"
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "monitor", "run", "--config", str(config), "--db", str(db), "--json"]
    for expected in ("baseline", "ok"):  # the second run finds every lock free again
        done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240,
                              preexec_fn=_limit_open_files)
        assert done.returncode == 0, done.stderr[-2000:]
        statuses = [s["status"] for s in json.loads(done.stdout)["sources"]]
        assert len(statuses) == SOURCES and set(statuses) == {expected}, set(statuses)
    held = [p.name for p in (tmp_path / "archive.db.locks").glob("*.lock") if p.stat().st_size]
    assert held == []  # every source's lock released
