"""Dev pages of the real-page corpus (tests/corpus/web/), as detection tests read them.

One place for the guard every such test needs: a hold-out page is never
tested on (a test of it would be tuning on it).
"""

from __future__ import annotations

from bench.extraction_quality import load_corpus, page_text, same_spelling
from scraper.extract import Extraction, extract
from tests.helpers import ROOT

WEB = ROOT / "tests" / "corpus" / "web"
LABELS = load_corpus(WEB)


def dev_extraction(name: str) -> Extraction:
    """Automatic detection's extraction of a dev page (a hold-out page fails the test)."""
    label = LABELS[name]
    assert label["split"] == "dev", f"{name} is a hold-out page: never tested on"
    return extract(page_text(WEB, name, label), label["url"], None)


def detected_items(name: str) -> list[tuple[str, str]]:
    """(headline, link) of each record detection finds on a dev page, links in the labels' spelling."""
    return [(r.headline, same_spelling(r.url)) for r in dev_extraction(name).records]


def labelled_items(name: str) -> list[tuple[str, str]]:
    """(headline, link) of each labelled item of a page."""
    return [(item["headline"], same_spelling(item["url"])) for item in LABELS[name]["items"]]
