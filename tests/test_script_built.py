"""scraper.script_built: which served pages look like shells their scripts fill.

Asked only of pages on which no listing was found; a yes makes `tidings
preview` and a suspect crawl's reason say to render the page in a browser.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scraper.script_built import looks_script_built

ROOT = Path(__file__).parent
LONG_TEXT = " ".join(["A paragraph of server-rendered text about water policy and its news."] * 20)


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>News</title>{head}</head><body>{body}</body></html>"


SHELLS = {
    "react build": page('<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>'
                        '<script defer src="/static/js/main.4f1c2a9b.js"></script>'),
    "vue mount": page('<div id="app"></div><script type="module" src="/assets/index-d3adb33f.js"></script>'),
    "angular root": page('<app-root></app-root><script src="runtime.8e1a.js"></script><script src="main.77c2.js"></script>'),
    "next data, thin body": page('<div id="__next"><header>News</header></div>'
                                 '<script id="__NEXT_DATA__" type="application/json">{"props":{}}</script>'),
    "loading placeholder": page('<h1>Press releases</h1><div id="list"><p class="spinner">Loading…</p></div>'
                                '<script src="/js/list.js"></script>'),
    "empty list filled by an inline script": page('<h1>News</h1><ul id="news"></ul>'
                                                  '<script>fetch("/api/news").then(r => r.json()).then(draw)</script>'),
}

SERVED = {
    "no scripts at all": page('<h1>News</h1><div id="root"></div><p>Nothing here yet.</p>'),
    "a long article with analytics and an empty ad slot": page(
        f'<h1>News</h1><div id="ad-slot"></div><p>{LONG_TEXT}</p><script src="/gtag.js"></script>'
        '<noscript><img src="/pixel.gif"></noscript>'),
    "a comments widget asking for JavaScript under a long page": page(
        f'<p>{LONG_TEXT}</p><div id="comments"><noscript>Enable JavaScript to see comments.</noscript></div>'
        '<script src="/comments.js"></script>'),
    "an empty document": "",
}


@pytest.mark.parametrize("name", SHELLS)
def test_script_built_shells_are_recognised_and_the_reason_says_why(name):
    reason = looks_script_built(SHELLS[name])
    assert reason and "\n" not in reason


def test_the_reason_names_the_empty_mount_and_the_noscript_hint():
    reason = looks_script_built(SHELLS["react build"])
    assert '<div id="root">' in reason and "<noscript>" in reason and "script bundle" in reason


@pytest.mark.parametrize("name", SERVED)
def test_served_pages_are_not_taken_for_shells(name):
    assert looks_script_built(SERVED[name]) is None


def test_the_test_sites_shells_are_recognised_and_its_served_listing_is_not():
    shells = {p.stem: looks_script_built(p.read_text(encoding="utf-8")) for p in (ROOT / "js_site").glob("*.html")}
    assert shells.pop("partial") is None
    assert all(shells.values()), shells


def test_no_page_of_the_real_listing_corpus_is_taken_for_a_shell():
    pages = sorted((ROOT / "corpus").rglob("*.html"))
    assert len(pages) > 50
    flagged = [p.name for p in pages if looks_script_built(p.read_text(encoding="utf-8", errors="replace"))]
    assert flagged == []
