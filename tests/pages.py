"""Listing pages for the tests, marked up the way a Drupal news view is.

The seed's ten releases (tests/fixtures/seed_items.json, taken from the text
of a UN agency's environment news page) sit inside realistic noise: a header
with navigation, a sidebar of related links, a pager and a footer.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Item:
    headline: str
    summary: list[str]
    path: str
    date: str | None = None

    @property
    def summary_text(self) -> str:
        return "\n\n".join(self.summary)


def seed_items() -> list[Item]:
    data = json.loads((FIXTURES / "seed_items.json").read_text(encoding="utf-8"))
    return [Item(d["headline"], d["summary"], d["path"], d["date"]) for d in data]


def extra_item(n: int) -> Item:
    return Item(
        f"Extra release number {n} on transboundary water cooperation",
        [f"Paragraph one of extra release {n}.", f"Paragraph two of extra release {n}."],
        f"/media/news/extra-{n}",
        f"2021-12-{n:02d}",
    )


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_item(item: Item, index: int, absolute_base: str | None = None) -> str:
    href = (absolute_base.rstrip("/") + item.path) if absolute_base else item.path
    paragraphs = "\n".join(f"        <p>{_h(p)}</p>" for p in item.summary)
    date = ""
    if item.date:
        date = f'<div class="node__meta"><time datetime="{item.date}T12:00:00Z">{item.date}</time></div>'
    return f"""
  <div class="views-row views-row-{index + 1}">
    <article role="article" class="node node--type-news node--view-mode-teaser">
      <h3 class="node__title"><a href="{_h(href)}" rel="bookmark"><span class="field--name-title">{_h(item.headline)}</span></a></h3>
      {date}
      <div class="field field--name-body field--type-text-with-summary summary">
{paragraphs}
      </div>
      <a href="{_h(href)}" class="read-more" hreflang="en">Read more<span class="visually-hidden"> about {_h(item.headline)}</span></a>
    </article>
  </div>"""


@dataclass
class Listing:
    items: list[Item] = field(default_factory=seed_items)
    title: str = "Environment news"
    next_page: str | None = None
    absolute_base: str | None = None  # write links as absolute URLs on this base

    def with_items(self, items: list[Item]) -> "Listing":
        return replace(self, items=items)

    def render(self) -> str:
        rows = "".join(
            render_item(item, i, self.absolute_base if i % 2 else None) for i, item in enumerate(self.items)
        )
        pager = ""
        if self.next_page:
            pager = f"""<nav class="pager" role="navigation"><ul class="pager__items">
        <li class="pager__item is-active"><a href="?page=0">1</a></li>
        <li class="pager__item pager__item--next"><a href="{_h(self.next_page)}" rel="next" title="Go to next page">Next ›</a></li>
      </ul></nav>"""
        return f"""<!DOCTYPE html>
<html lang="en" dir="ltr">
<head>
  <meta charset="utf-8">
  <title>{_h(self.title)} | UNECE</title>
  <script>window.dataLayer = window.dataLayer || []; function gtag(){{dataLayer.push(arguments);}}</script>
  <style>.visually-hidden {{ position: absolute !important; }}</style>
</head>
<body class="path-media">
<a href="#main-content" class="visually-hidden focusable skip-link">Skip to main content</a>
<header role="banner" class="site-header">
  <div class="site-branding"><a href="/" rel="home"><img src="/logo.svg" alt="Home"></a></div>
  <nav role="navigation" aria-labelledby="main-menu" class="main-menu">
    <h2 class="visually-hidden" id="main-menu">Main navigation</h2>
    <ul class="menu">
      <li class="menu-item"><a href="/about">About us</a></li>
      <li class="menu-item"><a href="/media">Media</a></li>
      <li class="menu-item"><a href="/publications">Publications</a></li>
      <li class="menu-item"><a href="/statistics">Statistics</a></li>
      <li class="menu-item"><a href="/environment">Environment Policy</a></li>
    </ul>
  </nav>
</header>
<nav class="breadcrumb" aria-labelledby="system-breadcrumb"><ol><li><a href="/">Home</a></li><li><a href="/media">Media</a></li><li>News</li></ol></nav>
<main role="main" id="main-content">
  <h1 class="page-title">{_h(self.title)}</h1>
  <div class="layout-content">
    <div class="view view-news view-id-news view-display-id-page_1">
      <div class="view-header">Displaying Results 1 - {len(self.items)} of 1234</div>
      <div class="view-content">{rows}
      </div>
      {pager}
    </div>
  </div>
  <aside class="layout-sidebar-second" role="complementary">
    <div class="block block-views">
      <h2>Related topics</h2>
      <div class="item-list"><ul>
        <li><h3><a href="/topics/water">Water Convention</a></h3></li>
        <li><h3><a href="/topics/air">Air Pollution</a></h3></li>
        <li><h3><a href="/topics/industrial-accidents">Industrial Accidents</a></h3></li>
      </ul></div>
    </div>
  </aside>
</main>
<footer role="contentinfo" class="site-footer">
  <ul class="menu"><li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy notice</a></li>
  <li><a href="/terms">Terms of use</a></li><li><a href="https://twitter.com/UNECE">Twitter</a></li></ul>
  <p>Copyright © United Nations Economic Commission for Europe</p>
</footer>
</body>
</html>
"""


# Selectors for the Drupal markup above, as a user would write them.
DRUPAL_SOURCE = {
    "item": "div.view-content div.views-row",
    "headline": "h3",
    "summary": ".summary p",
    "link": "h3 a::attr(href)",
    "date": "time::attr(datetime)",
}
