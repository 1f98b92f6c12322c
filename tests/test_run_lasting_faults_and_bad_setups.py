"""`tidings run` and `tidings status` on cases the first tests did not cover:
a listing that stays collapsed, undelivered alerts, odd configs."""

from __future__ import annotations

from tests.helpers import Page, tidings, write_config
from tests.pages import DRUPAL_SOURCE, Listing, extra_item, seed_items


def test_a_listing_that_stays_collapsed_stays_suspect_and_reports_nothing(tmp_path, site):
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "unece", "url": site.url("/news"), **DRUPAL_SOURCE}])
    db = tmp_path / "a.db"

    def run():
        return tidings("run", "--config", str(config), "--db", str(db), "--json")

    assert run().code == 0
    # A redesign leaves one stray block (plus a real new item) matching the selectors.
    site.pages["/news"] = Page(Listing([extra_item(1)]).render())
    for _ in range(2):
        result = run()
        source = result.json["sources"][0]
        assert result.code == 1 and source["status"] == "suspect" and source["new"] == []
        assert "where the last good crawl saw 10" in source["error"]
    site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())
    healthy = run()
    assert healthy.code == 0
    assert [n["headline"] for n in healthy.json["sources"][0]["new"]] == [extra_item(1).headline]


def test_status_lists_each_undelivered_alert(tmp_path, site):
    from tests.alert_receivers import free_port

    dead = f"http://127.0.0.1:{free_port()}/hook"
    site.pages["/news"] = Page(Listing().render())
    config = write_config(tmp_path / "t.toml", [{"name": "unece", "url": site.url("/news"), **DRUPAL_SOURCE}],
                          extra=f'[[notify]]\ntype = "webhook"\nname = "hook"\nurl = "{dead}"\ntimeout = 2\n')
    db = tmp_path / "a.db"
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0
    site.pages["/news"] = Page(Listing([extra_item(1), *seed_items()]).render())
    assert tidings("run", "--config", str(config), "--db", str(db)).code == 0  # a dead receiver never fails a run
    status = tidings("status", "--config", str(config), "--db", str(db), "--json")
    assert status.code == 0, status.stderr
    [delivery] = status.json["deliveries"]
    assert (delivery["notifier"], delivery["source"], delivery["kind"], delivery["state"]) == (
        "hook", "unece", "items", "pending")
    assert delivery["attempts"] >= 1 and "connection refused" in delivery["last_error"]
    assert status.json["sources"][0]["pending_deliveries"] == 1
    text = tidings("status", "--config", str(config), "--db", str(db))
    assert f"pending hook items on unece (id {delivery['id']}" in text.stdout


def test_a_url_with_a_bad_port_is_a_config_error(tmp_path):
    config = write_config(tmp_path / "t.toml", [{"name": "x", "url": "http://127.0.0.1:99999/news"}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert result.stderr.strip() == (f"tidings: error: {config}: source 'x': key 'url': "
                                     "'http://127.0.0.1:99999/news' is not a valid URL: Port out of range 0-65535")


def test_an_xpath_that_cannot_be_evaluated_is_a_config_error(tmp_path):
    config = write_config(tmp_path / "t.toml", [
        {"name": "x", "url": "http://127.0.0.1:9/news", "item": "xpath://article", "headline": "xpath:foo(.//h2)"}])
    result = tidings("run", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.code == 2
    assert result.stderr.strip() == (f"tidings: error: {config}: source 'x': key 'headline': "
                                     "invalid XPath 'foo(.//h2)': Unregistered function")


def test_a_directory_as_archive_is_one_clear_line(tmp_path):
    config = write_config(tmp_path / "t.toml", [{"name": "x", "url": "http://127.0.0.1:9/news"}])
    for command in ("run", "status"):
        result = tidings(command, "--config", str(config), env={"TIDINGS_DB": str(tmp_path)})
        assert result.code == 2
        assert result.stderr.strip() == f"tidings: error: {tmp_path}: is a directory, not an archive file (pass --db FILE)"
