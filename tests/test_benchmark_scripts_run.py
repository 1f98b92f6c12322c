"""The benchmark scripts keep working: tiny sizes, one repeat, figures not checked.

Runs the crawl benchmark (Tidings, the floor and the floor on bare Scrapy; urlwatch too when its
benchmark venv is already installed, never installing it here) and the
archive scaling benchmark on a tiny archive, as subprocesses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.helpers import ROOT


def bench(*args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if "archive_scaling" in args[0]:
        env["TIDINGS_BENCH_CACHE"] = str(tmp_path / "cache")
    proc = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_crawl_benchmark_runs_every_tool_and_tidings_gets_304s_when_unchanged(tmp_path):
    from bench import urlwatch_runner

    tools = "tidings,floor,scrapy-floor-2p" + (",urlwatch" if urlwatch_runner.installed() else "")
    out = tmp_path / "crawl.json"
    proc = bench("bench.crawl", "--sizes", "3", "--repeats", "1", "--tools", tools, "--json", str(out),
                 tmp_path=tmp_path)
    assert "delay = 0, per_domain = 16, concurrency = 16, autothrottle = false, obey_robots = false" in proc.stdout
    [result] = json.loads(out.read_text())["results"]
    assert result["sources"] == 3
    assert set(result["median"]) == set(tools.split(","))
    # Every page was asked in every phase (the script checks the server's counters);
    # unchanged pages cost Tidings and the floor a 304 each.
    assert result["unchanged_answered_304"]["tidings"] == 3
    assert result["unchanged_answered_304"]["floor"] == 3
    assert result["unchanged_answered_304"]["scrapy-floor-2p"] == 3  # the floor's work on bare Scrapy, 2 processes
    assert "| unchanged | tidings |" in proc.stdout


def test_archive_scaling_benchmark_builds_and_measures_a_tiny_archive(tmp_path):
    proc = bench("bench.archive_scaling", "--items", "300", "--sightings", "3000", "--sources", "2",
                 "--repeats", "1", tmp_path=tmp_path)
    assert "big archive: 300 items, 3,000 sightings" in proc.stdout
    assert "| ratio big/empty" in proc.stdout


def test_follow_cost_benchmark_measures_both_modes_and_checks_every_article_was_fetched_once(tmp_path):
    out = tmp_path / "follow.json"
    proc = bench("bench.follow_cost", "--sources", "3", "--repeats", "1", "--json", str(out), tmp_path=tmp_path)
    result = json.loads(out.read_text())
    assert result["sources"] == 3 and set(result["median"]) == {"without", "follow"}
    assert "| follow |" in proc.stdout and "6 articles with follow" in proc.stdout


def test_word_diff_benchmark_runs(tmp_path):
    out = tmp_path / "word_diff.json"
    bench("bench.word_diff", "--sizes", "60,200", "--repeat", "1", "--json", str(out), tmp_path=tmp_path)
    rows = json.loads(out.read_text())["results"]
    assert [(r["case"], r["words"]) for r in rows] == [("one edit", 60), ("one edit", 200),
                                                      ("scattered edits", 60), ("scattered edits", 200)]


def test_daemon_benchmark_compares_the_daemon_with_tidings_run(tmp_path):
    out = tmp_path / "daemon.json"
    proc = bench("bench.daemon", "--sizes", "4", "--interval", "2", "--rounds", "2", "--repeats", "1",
                 "--json", str(out), tmp_path=tmp_path)
    [result] = json.loads(out.read_text())["compare"]
    [repeat] = result["repeats"]
    assert repeat["run"]["checks"] == 3 * 4  # three runs of every source
    assert repeat["daemon"]["checks"] >= 4 and repeat["daemon"]["per_page_min"] >= 1  # every source checked
    assert repeat["daemon"]["batches"] >= 1
    assert "| tidings schedule | every 2 s for 4 s |" in proc.stdout


def test_detection_checkouts_benchmark_times_each_checkout_on_the_same_pages(tmp_path):
    proc = bench("bench.detection_checkouts", str(ROOT), str(ROOT), "--rounds", "1", "--min-bytes", "1500000",
                 tmp_path=tmp_path)
    rounds = [line for line in proc.stdout.splitlines() if line.startswith("round 1")]
    assert len(rounds) == 2 and all(" 2 pages " in line for line in rounds)  # the two corpus pages over 1.5 MB
    assert proc.stdout.count("median ratio of sums") == 2
