"""Labelling aid: list a saved page's anchors grouped by their place in the page.

    python tests/corpus/web/candidates.py PAGE.html ENCODING BASE_URL [--min N]

Prints, for each group of anchors that share the same tag/class path of their
three nearest ancestors, how many there are and their visible text and
absolute link.  The labeller reads this (and the page) and decides which
anchors are the page's listing; nothing here decides for them, and nothing
here uses Tidings' detection.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from urllib.parse import urljoin

import lxml.html


def signature(element, depth: int = 3) -> str:
    parts = []
    node = element
    for _ in range(depth + 1):
        if node is None or not isinstance(node.tag, str):
            break
        cls = ".".join(sorted((node.get("class") or "").split()))[:40]
        parts.append(f"{node.tag}.{cls}" if cls else node.tag)
        node = node.getparent()
    return " < ".join(parts)


def text_of(element) -> str:
    return " ".join(element.text_content().split())


def main(argv: list[str]) -> None:
    path, encoding, base = argv[0], argv[1], argv[2]
    minimum = int(argv[argv.index("--min") + 1]) if "--min" in argv else 3
    raw = open(path, "rb").read()
    tree = lxml.html.document_fromstring(raw.decode(encoding, errors="replace").encode("utf-8"), parser=lxml.html.HTMLParser(encoding="utf-8"))
    groups: dict[str, list] = defaultdict(list)
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        groups[signature(anchor)].append(anchor)
    ranked = sorted(groups.items(), key=lambda kv: -sum(len(text_of(a)) for a in kv[1]))
    for number, (sig, anchors) in enumerate(ranked):
        if len(anchors) < minimum:
            continue
        print(f"## group {number}: {len(anchors)} anchors  [{sig}]")
        for anchor in anchors[:60]:
            print(f"   {text_of(anchor)[:90]!r} -> {urljoin(base, anchor.get('href').strip())}")


if __name__ == "__main__":
    main(sys.argv[1:])
