"""`scrapy crawl listing` from the repository root reads the configuration as
`tidings run` does: its [crawl] table, and a bad source name in one line."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT, Page, write_config
from tests.pages import DRUPAL_SOURCE, Listing

AGENT = "PressOfficeBot/2.1 (+https://example.org/bot)"


def _scrapy(config, db, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIDINGS_")}
    env.update(PYTHONPATH=str(ROOT), TIDINGS_CONFIG=str(config), TIDINGS_DB=str(db))
    return subprocess.run([sys.executable, "-m", "scrapy", "crawl", "listing", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _recording_agents(site, path: str) -> list[str]:
    agents: list[str] = []
    body = Listing().render().encode()

    def page(handler) -> None:
        agents.append(handler.headers.get("User-Agent"))
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    site.pages[path] = page
    return agents


def test_scrapy_crawl_uses_the_crawl_table(tmp_path, site):
    agents = _recording_agents(site, "/news")
    crawl = {"user_agent": AGENT, "delay": 0.25, "concurrency": 3, "per_domain": 1, "max_bytes": 500_000}
    config = write_config(tmp_path / "tidings.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}],
                          crawl=crawl)
    result = _scrapy(config, tmp_path / "s.db")
    assert result.returncode == 0, result.stderr[-2000:]
    assert agents == [AGENT]  # the configured User-Agent, not the project's default
    overridden = " ".join(result.stderr.split())  # Scrapy logs the settings that differ from its own defaults
    for setting in ("'CONCURRENT_REQUESTS': 3", "'CONCURRENT_REQUESTS_PER_DOMAIN': 1", "'DOWNLOAD_DELAY': 0.25",
                    "'DOWNLOAD_MAXSIZE': 500000"):
        assert setting in overridden
    assert "[tidings.pipeline] INFO: news  baseline    10 seen" in result.stderr

    # A setting given on Scrapy's command line still wins.
    again = _scrapy(config, tmp_path / "s.db", "-s", "USER_AGENT=Manual/1")
    assert again.returncode == 0 and agents[-1] == "Manual/1"


def test_scrapy_crawl_of_an_unknown_source_is_one_line(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "tidings.toml", [{"name": "news", "url": site.url("/news"), **DRUPAL_SOURCE}])
    result = _scrapy(config, tmp_path / "s.db", "-a", "source=nosuch")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "nosuch" in line]
    assert errors == [f"scrapy crawl listing: error: {config}: no source named 'nosuch' (configured: news)"]
    assert "/news" not in site.requests  # nothing fetched

    broken = tmp_path / "broken.toml"
    broken.write_text("[crawl]\nconcurency = 2\n", encoding="utf-8")
    result = _scrapy(broken, tmp_path / "s.db")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"scrapy crawl listing: error: {broken}: [crawl]: unknown key 'concurency'" in result.stderr
