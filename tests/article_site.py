"""A local news site whose listing links to article pages of every kind a follower meets.

`ArticleSite` serves, on 127.0.0.1, a listing (tests.pages.Listing) whose
items link to: an article with full metadata (author, date, Open Graph
tags), one with none (German text, no <head> metadata), a 404, a redirect
to an article, a page larger than `max_bytes`, a PDF, and an article on
another host (127.0.0.2) whose robots.txt forbids it.  `add_article` puts a
new item with its article on the listing (for the runs after the first).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from tests.helpers import Page, Site
from tests.pages import Item, Listing

MAX_BYTES = 200_000  # the [crawl] max_bytes the tests use; the huge page is twice that

ENGLISH = [
    "The regional commission today adopted a framework on transboundary water cooperation that commits "
    "its member states to share river-basin data every quarter and to notify neighbours of planned dams.",
    "Ministers meeting in Geneva said the framework closes a gap left by earlier agreements, which covered "
    "navigation but not the quality of water reaching downstream communities during droughts.",
    "The secretariat will publish the first joint assessment of the shared basins next spring, together "
    "with a methodology that national statistical offices can apply without new surveys.",
]
GERMAN = [
    "Die Kommission hat heute einen Bericht über die Luftqualität in den Städten der Region veröffentlicht, "
    "der zeigt, dass die Belastung mit Feinstaub in den letzten zehn Jahren deutlich gesunken ist.",
    "Dennoch überschreiten viele Städte weiterhin die Richtwerte der Weltgesundheitsorganisation, vor allem "
    "im Winter, wenn mit Kohle und Holz geheizt wird und der Verkehr in den Innenstädten zunimmt.",
    "Der Bericht empfiehlt, die Messnetze auszubauen und die Daten der Öffentlichkeit in Echtzeit zugänglich "
    "zu machen, damit Gemeinden schneller auf Smogepisoden reagieren können.",
]


def article_page(title: str, paragraphs: list[str], *, lang: str = "en", author: str | None = None,
                 published: str | None = None, site_name: str | None = None, tags: tuple[str, ...] = ()) -> str:
    """An article page with site chrome around the text; metadata only as given."""
    e = html.escape
    head = [f"<title>{e(title)}</title>"]
    if author:
        head.append(f'<meta name="author" content="{e(author)}">')
    if published:
        head.append(f'<meta property="article:published_time" content="{published}T09:00:00Z">')
    if site_name:
        head.append(f'<meta property="og:site_name" content="{e(site_name)}">')
        head.append(f'<meta property="og:title" content="{e(title)}">')
        head.append('<meta property="og:type" content="article">')
    head.extend(f'<meta property="article:tag" content="{e(tag)}">' for tag in tags)
    body = "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
    lang_attr = f' lang="{lang}"' if published else ""  # the page without metadata declares no language either
    return f"""<!DOCTYPE html>
<html{lang_attr}><head><meta charset="utf-8">{''.join(head)}</head>
<body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About us</a></nav></header>
<main><article><h1>{e(title)}</h1>
{body}
</article></main>
<aside><h2>Related</h2><ul><li><a href="/news/older">An older release</a></li></ul></aside>
<footer><p>Copyright the commission. All rights reserved.</p></footer>
</body></html>"""


@dataclass
class ArticleSite:
    """The listing and its article pages, on two hosts (the second forbids its articles in robots.txt)."""

    site: Site
    other: Site
    items: list[Item] = field(default_factory=list)

    @classmethod
    def start(cls) -> "ArticleSite":
        return cls(Site(), Site(host="127.0.0.2")).publish_first()

    def close(self) -> None:
        self.site.close()
        self.other.close()

    @property
    def listing_url(self) -> str:
        return self.site.url("/news")

    def publish_first(self) -> "ArticleSite":
        pages = self.site.pages
        pages["/news/water-framework"] = Page(article_page(
            "Commission adopts water cooperation framework", ENGLISH, author="Maria Keller",
            published="2024-03-05", site_name="Regional Commission", tags=("water", "cooperation")))
        pages["/news/luftqualitaet"] = Page(article_page("Bericht zur Luftqualität", GERMAN))
        pages["/news/moved"] = Page("", status=301, headers={"Location": "/news/moved-here"})
        pages["/news/moved-here"] = Page(article_page(
            "Statistics week opens", ENGLISH[1:] + ENGLISH[:1], published="2024-03-02"))
        filler = "<p>" + "Table row of annexed figures. " * 40 + "</p>\n"
        pages["/news/huge-annex"] = Page(article_page("Annex", ENGLISH) + "<!--" + filler * (2 * MAX_BYTES // len(filler)) + "-->")
        pages["/files/report.pdf"] = Page(b"%PDF-1.4\n% a report\n", headers={"Content-Type": "application/pdf"})
        self.other.pages["/robots.txt"] = Page("User-agent: *\nDisallow: /private/\n",
                                               headers={"Content-Type": "text/plain"})
        self.other.pages["/private/embargoed"] = Page(article_page("Embargoed", ENGLISH, published="2024-03-01"))
        self.items = [
            Item("Commission adopts water cooperation framework", ["Member states will share river data."],
                 "/news/water-framework", "2024-03-05"),
            Item("Bericht zur Luftqualität veröffentlicht", ["Feinstaub ist gesunken."], "/news/luftqualitaet"),
            Item("Release that was taken down", ["Gone."], "/news/missing", "2024-03-03"),
            Item("Statistics week opens with a new portal", ["A redirect."], "/news/moved", "2024-03-02"),
            Item("Annex with every table of the assessment", ["Too large."], "/news/huge-annex", "2024-03-01"),
            Item("Annual report as a PDF", ["A file."], "/files/report.pdf", "2024-02-28"),
            Item("Embargoed statement on the other host", ["Forbidden by robots.txt."],
                 self.other.url("/private/embargoed"), "2024-02-27"),
        ]
        self.publish()
        return self

    def publish(self) -> None:
        self.site.pages["/news"] = Page(Listing(self.items, title="News").render())

    def add_article(self, slug: str, headline: str, paragraphs: list[str], **meta) -> str:
        """A new item at the top of the listing, with its article; returns the article's URL."""
        path = f"/news/{slug}"
        self.site.pages[path] = Page(article_page(headline, paragraphs, **meta))
        self.items.insert(0, Item(headline, [paragraphs[0][:80]], path, meta.get("published")))
        self.publish()
        return self.site.url(path)

    def fetches(self, path: str) -> int:
        """How many times a path of the main host was requested."""
        return sum(1 for p in self.site.requests if p == path)
