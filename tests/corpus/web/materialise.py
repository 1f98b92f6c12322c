"""Write each page's hand-chosen items into labels.json.

The labeller decides, per page, which anchors are the listing's items and
writes that decision as an XPath in the page's "labelled_with" entry (with an
optional "headline" XPath relative to the anchor when the title is one part
of a larger link, and "exclude" URLs the labeller struck out by eye).  This
script only turns that written decision into the explicit "items" list
(headline text and absolute link) so the labels can be read and reviewed
without running anything.  It never calls Tidings.

    python tests/corpus/web/materialise.py [PAGE ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from w3lib.url import safe_url_string

HERE = Path(__file__).resolve().parent


def parse(path: Path, encoding: str):
    text = path.read_bytes().decode(encoding, errors="replace")
    return lxml.html.document_fromstring(text.encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))


def visible(element) -> str:
    """The text a reader sees: a line break (`<br>`) parts words as a space does
    ("Trump,<br>la" reads "Trump, la", not "Trump,la"); otherwise every text
    node, as `text_content()` reads it."""
    return " ".join("".join(_texts(element)).split())


def _texts(element):
    if element.tag == "br":
        yield " "
    elif isinstance(element.tag, str):
        yield element.text or ""
        for child in element:
            yield from _texts(child)
            yield child.tail or ""
    # comments and processing instructions hold no visible text


def _empty_path_as_slash(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/")) if parts.scheme in ("http", "https") and not parts.path else url


def items_for(entry: dict, tree) -> list[dict]:
    rule = entry["labelled_with"]
    base = entry["url"]
    for href in tree.xpath("//base/@href")[:1]:
        base = urljoin(base, href.strip())
    items, seen = [], set()
    for anchor in tree.xpath(rule["anchors"]):
        # Links are written in one spelling (RFC 3986: non-ASCII as UTF-8
        # %-escapes, "/" for an empty path, as w3lib 2.6 writes it and 2.5 did
        # not) so that equal links compare equal whatever w3lib is installed.
        url = _empty_path_as_slash(safe_url_string(urljoin(base, anchor.get("href", "").strip())))
        if url in seen or url in rule.get("exclude", []):
            continue
        node = anchor.xpath(rule["headline"])[0] if rule.get("headline") else anchor
        # A headline XPath may end in text() when the title element also
        # holds a count or a type marker (a comment count span in an <h3>).
        headline = " ".join(node.split()) if isinstance(node, str) else visible(node)
        if not headline:
            continue
        seen.add(url)
        items.append({"headline": headline, "url": url})
    return items


def main(argv: list[str]) -> None:
    labels_path = HERE / "labels.json"
    labels = json.loads(labels_path.read_text(encoding="utf-8"))
    for name, entry in labels.items():
        if argv and name not in argv:
            continue
        entry["items"] = items_for(entry, parse(HERE / name, entry["encoding"]))
        print(f"{name}: {len(entry['items'])} items")
        for item in entry["items"][:3] + (["..."] if len(entry["items"]) > 5 else []) + entry["items"][-2:]:
            print(f"    {item}")
    labels_path.write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
