"""Quality of automatic detection on the labelled corpus (tests/corpus/).

For every page: precision, recall and F1 of the extracted headlines and of
the extracted links against the page's labels, then the means.  Targets
(issue 6): mean F1 >= 0.95 and no page below 0.80, for headlines and links.

    python bench/extraction_quality.py [--verbose]

Exit code 1 when a target is missed, so CI can run it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scraper.extract import extract  # noqa: E402
from scraper.text import normalise_space  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"
MEAN_TARGET, PAGE_TARGET = 0.95, 0.80


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def load_corpus() -> dict[str, dict]:
    """The labels: page file name -> {"url": ..., "items": [{"headline", "url", "published"?}]}."""
    return json.loads((CORPUS / "labels.json").read_text(encoding="utf-8"))


def extract_page(name: str, url: str):
    # Text, as the spider passes it (decoded with the HTTP headers).
    return extract((CORPUS / name).read_text(encoding="utf-8"), url, None)


def score(found: list, expected: list) -> Score:
    """Set precision and recall; an empty extraction of a non-empty page scores 0."""
    found_set, expected_set = set(found), set(expected)
    hits = len(found_set & expected_set)
    precision = hits / len(found_set) if found_set else 0.0
    recall = hits / len(expected_set) if expected_set else 1.0
    return Score(precision, recall)


def score_page(name: str, label: dict) -> tuple[Score, Score, object]:
    result = extract_page(name, label["url"])
    headlines = score([normalise_space(r.headline) for r in result.records], [i["headline"] for i in label["items"]])
    links = score([r.url for r in result.records], [i["url"] for i in label["items"]])
    return headlines, links, result


def main(argv: list[str]) -> int:
    verbose = "--verbose" in argv
    corpus = load_corpus()
    rows = []
    print(f"{'page':42} {'head P':>6} {'head R':>6} {'head F1':>7} {'link P':>6} {'link R':>6} {'link F1':>7}")
    for name, label in corpus.items():
        head, link, result = score_page(name, label)
        rows.append((name, head, link))
        print(f"{name:42} {head.precision:6.2f} {head.recall:6.2f} {head.f1:7.2f} "
              f"{link.precision:6.2f} {link.recall:6.2f} {link.f1:7.2f}")
        if verbose:
            print(f"    {result.selectors}")
            if head.f1 < 1 or link.f1 < 1:
                for record in result.records:
                    print(f"    - {record.headline!r} {record.url}")
    n = len(rows)
    mean_head = sum(h.f1 for _, h, _ in rows) / n
    mean_link = sum(lk.f1 for _, _, lk in rows) / n
    worst = min(min(h.f1, lk.f1) for _, h, lk in rows)
    print(f"\n{n} pages; mean headline P {sum(h.precision for _, h, _ in rows) / n:.3f} "
          f"R {sum(h.recall for _, h, _ in rows) / n:.3f} F1 {mean_head:.3f}; "
          f"mean link P {sum(lk.precision for _, _, lk in rows) / n:.3f} "
          f"R {sum(lk.recall for _, _, lk in rows) / n:.3f} F1 {mean_link:.3f}; lowest page F1 {worst:.3f}")
    ok = min(mean_head, mean_link) >= MEAN_TARGET and worst >= PAGE_TARGET
    print(f"targets (mean F1 >= {MEAN_TARGET}, every page >= {PAGE_TARGET}): {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
