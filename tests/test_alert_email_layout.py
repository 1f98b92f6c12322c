"""The alert email's two parts, read the way a mail client and a person read them.

The HTML is parsed (lxml) and checked for its structure: one block per
item, headline links, <del>/<ins> for edits, only inline CSS, and scraped
text that stays text.  Rendering it in Chromium is the look; this is the
shape that must hold for every message.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import lxml.html

from monitor.notify.email_html import render_html
from monitor.notify.payload import document, render_text

HOSTILE = "<script>alert('x')</script> Ministers sign water accord & more"
BERLIN = ZoneInfo("Europe/Berlin")


def _payload() -> dict:
    items = [
        {"headline": HOSTILE, "summary": "Summary with <b>markup</b> as text.\n\nSecond paragraph.",
         "url": "https://example.org/news/accord", "published": "2026-12-07T08:00:00+00:00",
         "change": "new", "previous": None},
        {"headline": "Corrected: UNECE launches new guidelines", "summary": "Adopted in Geneva on Tuesday by 42 countries.",
         "url": "https://example.org/news/guidelines", "published": "2026-12-05", "change": "updated",
         "previous": {"headline": "UNECE launches guidelines", "summary": "Adopted in Geneva on Monday by 40 countries."}},
        {"headline": "A link that is no web link", "summary": "", "url": "javascript:alert(1)", "published": None,
         "change": "new", "previous": None},
    ]
    doc = document("items", source="unece", source_url="https://unece.org/media/news", run_id="run-1", items=items)
    doc["created"] = "2026-07-01T10:30:00.000+00:00"  # summer: CEST
    return doc


def test_html_has_one_block_per_item_with_links_and_marked_edits():
    payload = _payload()
    page = lxml.html.document_fromstring(render_html(payload, BERLIN))
    assert page.xpath("//script") == [] and page.xpath("//style") == []
    blocks = page.xpath("//*[contains(concat(' ', @class, ' '), ' tidings-item ')]")
    assert [b.get("data-change") for b in blocks] == ["new", "updated", "new"]

    new, updated, unlinked = blocks
    [link] = new.xpath(".//h2/a")
    assert link.get("href") == "https://example.org/news/accord"
    assert link.text_content() == HOSTILE  # the hostile headline is text, shown as written
    assert "Summary with <b>markup</b> as text." in new.text_content() and new.xpath(".//b") == []
    assert "Published 7 Dec 2026, 09:00 CET" in new.text_content()

    [link] = updated.xpath(".//h2/a")
    assert link.get("href") == "https://example.org/news/guidelines"
    assert [i.text for i in link.xpath(".//ins")] == ["Corrected: ", "new "]
    assert [d.text for d in updated.xpath(".//p//del")] == ["Monday", "40"]
    assert [i.text for i in updated.xpath(".//p//ins")] == ["Tuesday", "42"]
    assert all("line-through" in d.get("style") for d in updated.xpath(".//del"))
    assert "Published 5 Dec 2026" in updated.text_content()

    assert unlinked.xpath(".//a") == []  # only http(s) links become links
    assert "A link that is no web link" in unlinked.text_content()

    # Mail clients keep inline styles only: every visible block carries its own.
    for element in page.xpath("//body//*[self::td or self::h1 or self::h2 or self::p or self::a or self::del or self::ins]"):
        assert element.get("style"), lxml.html.tostring(element)[:80]
    assert "Sent 1 Jul 2026, 12:30 CEST" in page.text_content()


def test_text_part_reads_as_a_list_with_marks_and_local_dates():
    text = render_text(_payload(), BERLIN)
    lines = text.splitlines()
    assert lines[:2] == ["2 new, 1 updated on unece", "https://unece.org/media/news"]
    assert f"New: {HOSTILE}" in lines
    assert "  Published 7 Dec 2026, 09:00 CET" in lines
    assert "  Summary with <b>markup</b> as text." in lines and "  Second paragraph." in lines
    assert "Updated: {+Corrected: +}UNECE launches {+new +}guidelines" in lines
    assert "  Adopted in Geneva on [-Monday-]{+Tuesday+} by [-40-]{+42+} countries." in lines
    assert "Edits are marked [-removed-] and {+added+}." in lines
    assert lines[-1].endswith("sent 1 Jul 2026, 12:30 CEST")


def test_payload_stored_before_previous_existed_still_renders():
    payload = _payload()
    for item in payload["items"]:
        item.pop("previous")
    assert "[-" not in render_text(payload) and "<del" not in render_html(payload)


def test_health_alerts_write_their_dates_in_the_configured_zone():
    payload = document("broken", source="unece", source_url="https://unece.org/media/news", run_id="run-2",
                       health={"status": "failed", "error": "HTTP 503 from https://unece.org/media/news", "runs": 3,
                               "since": "2026-12-07T05:00:00.000+00:00", "items_seen_before": 25,
                               "items_seen_now": 0})
    assert "(since 7 Dec 2026, 06:00 CET)" in render_text(payload, BERLIN)
    page = lxml.html.document_fromstring(render_html(payload, BERLIN))
    assert "(since 7 Dec 2026, 06:00 CET)" in page.text_content()
    assert page.xpath("//*[contains(@class, 'tidings-item')]") == []


def _chromium() -> str:
    """Debian's Chromium (or Playwright's), as the browser tests find it; skip without one
    unless TIDINGS_REQUIRE_BROWSER=1 says this run must have one."""
    import os

    import pytest

    from scraper.browser import BrowserNotFound, find_browser, require_browser_support

    try:
        require_browser_support()
        return find_browser()
    except BrowserNotFound as exc:
        if os.environ.get("TIDINGS_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TIDINGS_REQUIRE_BROWSER=1 but {exc}", pytrace=False)
        pytest.skip(f"no browser to render with: {exc}")


def test_rendered_in_chromium_it_fits_a_phone_marks_edits_and_runs_nothing(tmp_path):
    """The look, checked where it can be: real Chromium lays the message out
    at a phone's and a desktop's width without sideways scrolling, strikes
    removals through and shades additions, and runs nothing a headline says."""
    from playwright.sync_api import sync_playwright

    payload = _payload()
    payload["items"][0]["headline"] += ' <img src="x" onerror="window.pwned = 1">'
    # Scraped text with nothing to wrap at must wrap anyway, not widen the message.
    payload["items"][2]["headline"] = "Unbroken" * 40
    payload["items"][2]["summary"] = "https://example.org/" + "averylongpathsegment" * 20
    page_file = tmp_path / "mail.html"
    page_file.write_text(render_html(payload, BERLIN), encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            for width in (375, 800):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                assert page.evaluate("window.pwned") is None
                assert page.locator("img").count() == 0
                headline = page.locator(".tidings-item h2 a").first.inner_text()
                assert headline.startswith("<script>alert('x')</script> Ministers")
                struck = page.evaluate("getComputedStyle(document.querySelector('del')).textDecorationLine")
                shaded = page.evaluate("getComputedStyle(document.querySelector('ins')).backgroundColor")
                assert "line-through" in struck and shaded not in ("rgba(0, 0, 0, 0)", "transparent")
                page.screenshot(path=str(tmp_path / f"mail-{width}.png"))  # for a person to look at; never in the repo
                page.close()
        finally:
            browser.close()
