"""Tidings' automatic detection side by side with rss-proxy's, on the labelled corpora.

rss-proxy (github.com/damoeb/rss-proxy) is the best-known open-source
listing-to-feed detector: given a page's HTML it ranks candidate article
lists and turns the first into feed items (title, link).  This bench runs
its own detection code on every page of a corpus and scores its items
exactly as bench/extraction_quality.py scores Tidings (same functions:
headlines with whitespace collapsed, links in one spelling, set precision
and recall per page, then the mean and the lowest page), then prints both
side by side.

    python bench/peer_detectors.py [--corpus labelled|web] [--split dev|holdout|all]
                                   [--rss-proxy DIR] [--timeout S] [--jobs N] [--verbose]

What runs: rss-proxy 1.0.3 (tag `1.0.3`, commit RSS_PROXY_COMMIT below), the
last release whose detector is its TypeScript `packages/core` (FeedParser;
from 2.0 on, detection moved to a Kotlin server in another repository).
Nothing of rss-proxy is in this repository.  DIR (default
$TIDINGS_BENCH_CACHE/rss-proxy, outside the repository) must hold that
core compiled to JavaScript as DIR/core/index.js; the bench installs the
npm packages the driver needs beside it (jsdom and DOMPurify, the versions
below) on first use.  bench/rss_proxy_driver.js, ours, calls the core the
way rss-proxy's feed API does for a page with no rule chosen, with the API's
default options: the first-ranked rule is applied (see that file).

Each page is decoded with the charset its server declared (as for Tidings)
and handed to node as text, one process per page; a page that errs or runs
past --timeout scores as an empty extraction, and the error is printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.extraction_quality import (  # noqa: E402
    CORPORA, PAGE_TARGET, PageResult, load_corpus, page_result, page_text, print_summary, score_page, summarise,
)
from bench.urlwatch_runner import cache_dir  # noqa: E402

RSS_PROXY_COMMIT = "8572ff55db7fc9d3ec998b40afd05224c499858b"  # tag 1.0.3, 2021-01-16
RUNTIME_PACKAGES = ("jsdom@15.2.1", "dompurify@2.5.9")  # rss-proxy 1.0.3 asks for ^15.2.1 and ^2.2.6
DRIVER = Path(__file__).with_name("rss_proxy_driver.js")


@dataclass(frozen=True)
class PeerOutput:
    """What rss-proxy gave for one page: its items and the rule that produced them."""

    items: list[dict] = field(default_factory=list)
    rules: int = 0
    rule: dict | None = None
    runner_up: dict | None = None
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class SideBySide:
    name: str
    split: str
    tidings: PageResult
    peer: PageResult


def peer_result(name: str, label: dict, output: PeerOutput) -> PageResult:
    """rss-proxy's items scored by the same function as Tidings' records."""
    return page_result(name, label, [i.get("title") or "" for i in output.items],
                       [i.get("link") for i in output.items], output)


def ensure_runtime(directory: Path) -> None:
    """Check node and rss-proxy's compiled core are there; install the driver's npm packages if missing."""
    if not (directory / "core" / "index.js").is_file():
        raise SystemExit(f"rss-proxy's compiled core not found at {directory / 'core' / 'index.js'} "
                         f"(rss-proxy {RSS_PROXY_COMMIT[:7]}, packages/core as JavaScript; see --rss-proxy)")
    if shutil.which("node") is None:
        raise SystemExit("node not found on PATH: the rss-proxy side of this bench needs Node.js")
    missing = [p for p in RUNTIME_PACKAGES if not (directory / "node_modules" / p.rsplit("@", 1)[0]).is_dir()]
    if missing:
        if shutil.which("npm") is None:
            raise SystemExit(f"npm not found on PATH, needed once to install {', '.join(missing)} into {directory}")
        subprocess.run(["npm", "install", "--prefix", str(directory), "--no-audit", "--no-fund", "--no-save", *missing],
                       check=True, stdout=subprocess.DEVNULL)


def run_rss_proxy(directory: Path, url: str, html: str, timeout: float) -> PeerOutput:
    """One page through bench/rss_proxy_driver.js."""
    start = time.perf_counter()
    try:
        done = subprocess.run(["node", str(DRIVER), str(directory)], input=json.dumps({"url": url, "html": html}),
                              capture_output=True, text=True, encoding="utf-8", timeout=timeout)
    except subprocess.TimeoutExpired:
        return PeerOutput(error=f"timed out after {timeout:g} s", seconds=time.perf_counter() - start)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or not done.stdout:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return PeerOutput(error=f"node exited {done.returncode}: {last}", seconds=seconds)
    data = json.loads(done.stdout)
    return PeerOutput(data["items"], data["rules"], data["rule"], data["runner_up"], data["error"], seconds)


def compare(corpus: Path, labels: dict[str, dict], directory: Path, timeout: float, jobs: int) -> list[SideBySide]:
    """Both detectors on every page; rss-proxy's node processes run `jobs` at a time."""
    def peer(name: str) -> PeerOutput:
        label = labels[name]
        return run_rss_proxy(directory, label["url"], page_text(corpus, name, label), timeout)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outputs = dict(zip(labels, pool.map(peer, labels)))
        return [SideBySide(name, label.get("split", "all"), score_page(name, label, corpus),
                           peer_result(name, label, outputs[name])) for name, label in labels.items()]


def print_row(row: SideBySide, verbose: bool) -> None:
    t, p = row.tidings, row.peer
    out: PeerOutput = p.extraction
    print(f"{row.name:46} {row.split:7} {t.headlines.f1:8.2f} {p.headlines.f1:8.2f} {t.links.f1:8.2f} "
          f"{p.links.f1:8.2f} {len(out.items):6} {out.seconds:6.1f}" + (f"  [{out.error}]" if out.error else ""))
    if verbose and min(p.headlines.f1, p.links.f1) < 1:
        print(f"    rss-proxy rule ({out.rules} ranked): {out.rule}; runner-up {out.runner_up}")
        for item in out.items:
            print(f"    - {item.get('title')!r} {item.get('link')}")


def print_wins(title: str, rows: list[SideBySide]) -> None:
    """Per page, which detector scored higher; and how many pages each leaves below 0.80 or at 0."""
    for name, results in (("Tidings", [r.tidings for r in rows]), ("rss-proxy", [r.peer for r in rows])):
        heads = [r.headlines.f1 for r in results]
        print(f"{title} {name}: headline F1 below {PAGE_TARGET} on {sum(f < PAGE_TARGET for f in heads)} "
              f"of {len(rows)} pages, 0 on {sum(f == 0 for f in heads)}")
    for what in ("headlines", "links"):
        ours = [getattr(r.tidings, what).f1 for r in rows]
        theirs = [getattr(r.peer, what).f1 for r in rows]
        better = sum(a > b + 1e-9 for a, b in zip(ours, theirs))
        worse = sum(b > a + 1e-9 for a, b in zip(ours, theirs))
        print(f"{title} {what[:-1]} F1: Tidings higher on {better} pages, rss-proxy higher on {worse}, "
              f"equal on {len(rows) - better - worse}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", choices=tuple(CORPORA), default="labelled")
    parser.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    parser.add_argument("--rss-proxy", type=Path, default=cache_dir() / "rss-proxy", metavar="DIR",
                        help="directory holding rss-proxy's core compiled to JavaScript (DIR/core/index.js)")
    parser.add_argument("--page", action="append", metavar="NAME", help="only this page (may be repeated)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed to rss-proxy per page")
    parser.add_argument("--jobs", type=int, default=1, help="rss-proxy pages run at once")
    parser.add_argument("--verbose", action="store_true", help="rss-proxy's rule and items for pages below 1.0")
    args = parser.parse_args(argv)
    directory = args.rss_proxy.expanduser().resolve()
    ensure_runtime(directory)
    corpus = CORPORA[args.corpus]
    labels = {name: label for name, label in load_corpus(corpus).items()
              if (args.split == "all" or label.get("split", "all") == args.split)
              and (not args.page or name in args.page)}
    if not labels:
        raise SystemExit(f"no page of the {args.corpus} corpus matches --split {args.split} and --page {args.page}")
    rows = compare(corpus, labels, directory, args.timeout, max(1, args.jobs))
    print(f"rss-proxy {RSS_PROXY_COMMIT[:7]} (1.0.3) from {directory}")
    print(f"{'page':46} {'split':7} {'T head':>8} {'RP head':>8} {'T link':>8} {'RP link':>8} {'RP n':>6} {'RP s':>6}")
    for row in rows:
        print_row(row, args.verbose)
    print()
    groups = {s: [r for r in rows if r.split == s] for s in ("dev", "holdout", "all")}
    groups = {s: members for s, members in groups.items() if members}
    if len(groups) > 1:
        groups["all"] = rows
    for split, members in groups.items():
        print_summary(f"{split} Tidings", summarise([r.tidings for r in members]))
        print_summary(f"{split} rss-proxy", summarise([r.peer for r in members]))
        print_wins(split, members)
    return 0


if __name__ == "__main__":
    sys.exit(main())
