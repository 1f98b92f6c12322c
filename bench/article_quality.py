"""Quality of article extraction on the Zyte (Scrapinghub) article-extraction benchmark.

181 news and blog pages with the article body written out by hand.  Every
page goes through `scraper.article.extract_article` (what Tidings stores) and,
in the same run for comparison, through trafilatura called with its defaults
and as the benchmark's own runner calls it (`include_comments=False`).  The
text is scored as the benchmark's evaluate.py scores it (re-implemented
here, not imported):

- each text is cut into tokens (runs of word characters, `\\w+`) and the
  tokens into shingles, the overlapping sequences of 4 tokens (a text of
  fewer than 4 tokens is one shingle);
- per page, the shingles of the extraction and of the ground truth are
  compared as multisets: true positives are the shingles in both (the lower
  count), false positives the extra ones extracted, false negatives the
  ones missed; the three counts are divided by their sum, so a long article
  weighs no more than a short one;
- precision is the mean over pages of tp / (tp + fp) (pages where
  tp + fp > 0), recall the mean of tp / (tp + fn) (pages where tp + fn > 0),
  a page with nothing wrong scoring 1 for both; F1 is the harmonic mean of
  those two means;
- accuracy is the share of pages whose tokens equal the truth's exactly;
- "±" is the standard deviation over 1000 bootstrap resamples of the pages
  (seeded, so runs are comparable).

The ground truth has no dates.  Dates are compared with htmldate alone
(`htmldate.find_date(html, url=url)`, its defaults): how many pages each
dates, and on how many they agree; and, as a reference where there is one,
with the publication date the page itself declares in its markup
(`article:published_time`, `itemprop="datePublished"` or JSON-LD
`datePublished`; a page may declare several, any one counts).  That
reference is not independent, both extractors read these fields too, but
it tells a publication date from a modification date.

Get the data (not in this repository):

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    python bench/article_quality.py --data /tmp/aeb [--verbose]

When the checkout has the benchmark's published outputs (output/*.json),
their trafilatura and readability runs are re-scored too, which checks that
this scoring reproduces the published figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scraper.article import PUBLISHED_BY_HTMLDATE, TRAFILATURA_OPTIONS, extract_article  # noqa: E402

SHINGLE = 4
BOOTSTRAP = 1000
_TOKEN = re.compile(r"\w+")
PUBLISHED_OUTPUTS = ("trafilatura", "readability")
# --settings: extract_article's trafilatura options with one choice changed.
ALTERNATIVES = {
    "favor_precision": {"favor_precision": True},
    "favor_recall": {"favor_recall": True},
    "no tables": {"include_tables": False},
    "fast (no fallbacks)": {"fast": True},
    "with comments": {"include_comments": True},
}
# A page is "lost" when the extraction finds less than half of its text.
LOST_RECALL = 0.5


@dataclass(frozen=True)
class Page:
    key: str
    url: str
    html: str
    truth: str


@dataclass(frozen=True)
class Counts:
    """One page's shingle counts, normalised to sum to 1 (all 0 when both texts are empty)."""

    tp: float
    fp: float
    fn: float


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    accuracy: float


def load_pages(data: Path) -> list[Page]:
    truth = json.loads((data / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key in sorted(truth):
        with gzip.open(data / "html" / f"{key}.html.gz", "rt", encoding="utf-8") as f:
            html = f.read()
        pages.append(Page(key, truth[key].get("url", ""), html, truth[key].get("articleBody", "")))
    return pages


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(text: str) -> Counter:
    words = tokens(text)
    if len(words) < SHINGLE:
        return Counter([tuple(words)] if words else [])
    return Counter(tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1))


def compare(truth: str, found: str) -> Counts:
    expected, got = shingles(truth), shingles(found)
    tp = sum((expected & got).values())
    fp = sum((got - expected).values())
    fn = sum((expected - got).values())
    total = tp + fp + fn
    return Counts(tp / total, fp / total, fn / total) if total else Counts(0.0, 0.0, 0.0)


def _precision(c: Counts) -> float:
    return 1.0 if c.fp == c.fn == 0 else c.tp / (c.tp + c.fp)


def _recall(c: Counts) -> float:
    return 1.0 if c.fp == c.fn == 0 else c.tp / (c.tp + c.fn)


def score(counts: list[Counts], exact: list[bool]) -> Score:
    precision = _mean([_precision(c) for c in counts if c.tp + c.fp > 0])
    recall = _mean([_recall(c) for c in counts if c.tp + c.fn > 0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, statistics.mean(exact) if exact else 0.0)


def _mean(values: list[float]) -> float:
    return statistics.mean(values) if values else 0.0


def bootstrap_std(counts: list[Counts], exact: list[bool], seed: int = 17) -> Score:
    rng = random.Random(seed)
    samples = []
    for _ in range(BOOTSTRAP):
        picks = [rng.randrange(len(counts)) for _ in counts]
        samples.append(score([counts[i] for i in picks], [exact[i] for i in picks]))
    return Score(*(statistics.stdev(getattr(s, f) for s in samples) for f in ("precision", "recall", "f1", "accuracy")))


def paired_f1_difference(a: list[Counts], b: list[Counts], seed: int = 17) -> tuple[float, float]:
    """Mean and standard deviation of F1(a) - F1(b) over bootstrap resamples of the same pages."""
    rng = random.Random(seed)
    diffs = []
    for _ in range(BOOTSTRAP):
        picks = [rng.randrange(len(a)) for _ in a]
        diffs.append(score([a[i] for i in picks], []).f1 - score([b[i] for i in picks], []).f1)
    return statistics.mean(diffs), statistics.stdev(diffs)


@dataclass
class Run:
    name: str
    texts: dict[str, str]
    seconds: list[float]


def run_extractor(name: str, pages: list[Page], extract: Callable[[Page], str]) -> Run:
    texts, seconds = {}, []
    for page in pages:
        start = time.perf_counter()
        texts[page.key] = extract(page) or ""
        seconds.append(time.perf_counter() - start)
    return Run(name, texts, seconds)


def evaluate(run: Run, pages: list[Page]) -> tuple[list[Counts], list[bool]]:
    counts = [compare(p.truth, run.texts[p.key]) for p in pages]
    exact = [tokens(p.truth) == tokens(run.texts[p.key]) for p in pages]
    return counts, exact


def alternative(name: str, change: dict, pages: list[Page]) -> Run:
    """trafilatura with extract_article's options but one (text only: metadata does not change it)."""
    import trafilatura

    options = {**TRAFILATURA_OPTIONS, "with_metadata": False, **change}
    return run_extractor(f"  settings, {name}", pages, lambda p: trafilatura.extract(p.html, url=p.url, **options))


def published_runs(data: Path, pages: list[Page]) -> list[Run]:
    """The benchmark's own stored outputs, where the checkout has them."""
    runs = []
    for name in PUBLISHED_OUTPUTS:
        path = data / "output" / f"{name}.json"
        if not path.exists():
            continue
        stored = json.loads(path.read_text(encoding="utf-8"))
        output = stored["output"] if set(stored) == {"version", "output"} else stored
        version = stored.get("version", "") if "output" in stored else ""
        texts = {p.key: (output.get(p.key) or {}).get("articleBody") or "" for p in pages}
        runs.append(Run(f"published {name} {version}".strip(), texts, []))
    return runs


_DECLARED_PUBLISHED = re.compile(
    r"""<meta[^>]+(?:property|name|itemprop)=["'](?:article:published_time|datePublished|pubdate)["'][^>]*>"""
    r'|"datePublished"\s*:\s*"[^"]*"',
    re.I,
)
_ISO_DAY = re.compile(r"(\d{4}-\d{2}-\d{2})")


def declared_published(html: str) -> set[str]:
    """The publication days (YYYY-MM-DD) a page declares in its markup (not placeholders such as 0001-01-01)."""
    days = {m.group(1) for tag in _DECLARED_PUBLISHED.findall(html) for m in [_ISO_DAY.search(tag)] if m}
    return {day for day in days if day >= "1990"}


def near(day: str | None, declared: set[str]) -> bool:
    """Within a day of a declared date: a time stamp in UTC may fall on the next day of the local date."""
    if not day:
        return False
    found = date.fromisoformat(day)
    return any(abs((date.fromisoformat(d) - found).days) <= 1 for d in declared)


def date_report(pages: list[Page], articles: dict, verbose: bool) -> None:
    from htmldate import find_date

    alone = {p.key: find_date(p.html, url=p.url) for p in pages}
    ours = {p.key: articles[p.key].published for p in pages}
    declared = {p.key: declared_published(p.html) for p in pages}
    both = [k for k in alone if alone[k] and ours[k]]
    agree = [k for k in both if alone[k] == ours[k]]
    with_reference = [k for k in declared if declared[k]]
    fallback = sum(1 for a in articles.values() if a.published_origin == PUBLISHED_BY_HTMLDATE)
    n = len(pages)
    print("\nDates (the ground truth has none)")
    print(f"  pages dated by htmldate alone:    {sum(1 for v in alone.values() if v):4d} / {n}")
    print(f"  pages dated by extract_article:   {sum(1 for v in ours.values() if v):4d} / {n}"
          f"  ({fallback} from the htmldate fallback)")
    print(f"  both dated, same date:            {len(agree):4d} / {len(both)}")
    print(f"  pages declaring a publication date in their markup: {len(with_reference)}; of those, dated")
    for name, found in (("htmldate alone", alone), ("extract_article", ours)):
        same = sum(1 for k in with_reference if found[k] in declared[k])
        close = sum(1 for k in with_reference if near(found[k], declared[k]))
        print(f"    {name:18} the declared day: {same:4d}; within a day of it: {close:4d}")
    if verbose:
        for k in both:
            if alone[k] != ours[k]:
                print(f"    differ: ours {ours[k]} ({articles[k].published_origin}), htmldate {alone[k]},"
                      f" declared {sorted(declared[k])}  {_url(pages, k)}")
        for k in alone:
            if bool(alone[k]) != bool(ours[k]):
                print(f"    only one dated: ours {ours[k]}, htmldate {alone[k]}  {_url(pages, k)}")


def _url(pages: list[Page], key: str) -> str:
    return next(p.url for p in pages if p.key == key)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="checkout of scrapinghub/article-extraction-benchmark")
    parser.add_argument("--verbose", action="store_true", help="list the worst pages and the date disagreements")
    parser.add_argument("--settings", action="store_true", help="also score extract_article's settings with one changed")
    args = parser.parse_args(argv)
    if not (args.data / "ground-truth.json").exists():
        parser.error(f"--data {args.data}: no ground-truth.json there (see this script's docstring)")
    import trafilatura

    pages = load_pages(args.data)
    articles: dict = {}

    def ours(page: Page) -> str:
        articles[page.key] = extract_article(page.html, page.url)
        return articles[page.key].text

    # One page first, so no run pays for the first imports.
    extract_article(pages[0].html, pages[0].url)
    runs = [
        run_extractor("tidings extract_article", pages, ours),
        run_extractor(f"trafilatura {trafilatura.__version__} defaults", pages, lambda p: trafilatura.extract(p.html)),
        run_extractor(
            f"trafilatura {trafilatura.__version__} as benchmark runs it",
            pages,
            lambda p: trafilatura.extract(p.html, include_comments=False),
        ),
    ]
    if args.settings:
        runs += [alternative(name, change, pages) for name, change in ALTERNATIVES.items()]
    runs += published_runs(args.data, pages)
    scored = {run.name: evaluate(run, pages) for run in runs}

    print(f"{len(pages)} pages from {args.data}\n")
    print(f"{'':44} {'F1':>13}  {'precision':>13}  {'recall':>13}  {'accuracy':>13}  {'lost':>4}  {'ms/page':>7}")
    for run in runs:
        counts, exact = scored[run.name]
        s, sd = score(counts, exact), bootstrap_std(counts, exact)
        lost = sum(1 for c in counts if c.tp + c.fn > 0 and _recall(c) < LOST_RECALL)
        ms = f"{statistics.median(run.seconds) * 1000:7.1f}" if run.seconds else f"{'':>7}"
        print(f"{run.name:44} {s.f1:.3f} ± {sd.f1:.3f}  {s.precision:.3f} ± {sd.precision:.3f}  "
              f"{s.recall:.3f} ± {sd.recall:.3f}  {s.accuracy:.3f} ± {sd.accuracy:.3f}  {lost:4d}  {ms}")
    base = scored[runs[0].name][0]
    print("\nF1 of extract_article minus each other run (mean ± std over paired bootstrap resamples):")
    for run in runs[1:]:
        mean, std = paired_f1_difference(base, scored[run.name][0])
        print(f"  {run.name.strip():44} {mean:+.3f} ± {std:.3f}")

    if args.verbose:
        print("\nLowest F1 pages for extract_article:")
        worst = sorted(zip(pages, base), key=lambda pc: score([pc[1]], []).f1)[:10]
        for page, counts in worst:
            print(f"  F1 {score([counts], []).f1:.2f}  P {_precision(counts):.2f}  R {_recall(counts):.2f}  {page.url}")
    date_report(pages, articles, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
