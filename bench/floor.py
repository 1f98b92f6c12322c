"""The floor: the least work the job needs, in one process.

Fetch every page over 16 keep-alive HTTP/1.1 connections (asyncio streams,
no HTTP library), send the stored ETag as If-None-Match, parse each changed
page with lxml, take the set of item links and diff it against the stored
set.  State (ETags and item sets) lives in one JSON file.  No archive, no
history, no error handling beyond what the fixture needs: this is what a
watcher could not do with less, so Tidings' figures are read against it.

    python -m bench.floor --state STATE.json URL...   (or --urls-file FILE)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from urllib.parse import urlsplit

from lxml import html as lxml_html

from bench.site import ITEM_LINK_XPATH


async def fetch_all(urls: list[str], etags: dict[str, str], connections: int) -> dict[str, tuple[int, str | None, bytes]]:
    """Every URL's (status, ETag, body), fetched by `connections` workers."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    results: dict[str, tuple[int, str | None, bytes]] = {}

    async def worker() -> None:
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        host = ""
        while not queue.empty():
            url = queue.get_nowait()
            parts = urlsplit(url)
            if conn is None or parts.netloc != host:
                if conn:
                    conn[1].close()
                host = parts.netloc
                conn = await asyncio.open_connection(parts.hostname, parts.port or 80)
            reader, writer = conn
            request = f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\nHost: {host}\r\n"
            if url in etags:
                request += f"If-None-Match: {etags[url]}\r\n"
            writer.write((request + "\r\n").encode("latin-1"))
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            status = int(head[0].split(" ")[1])
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length") or 0))
            results[url] = (status, headers.get("etag"), body)
        if conn:
            conn[1].close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return results


def item_links(body: bytes) -> set[str]:
    return {str(href) for href in lxml_html.fromstring(body).xpath(ITEM_LINK_XPATH)}


def run(urls: list[str], state_path: Path, connections: int = 16) -> dict:
    def fetch(etags: dict[str, str]) -> dict[str, tuple[int, str | None, set[str]]]:
        fetched = asyncio.run(fetch_all(urls, etags, connections))
        return {url: (status, etag, item_links(body) if status != 304 else set())
                for url, (status, etag, body) in fetched.items()}

    return watch(state_path, fetch)


def watch(state_path: Path, fetch) -> dict:
    """Load the state, fetch every page's (status, ETag, item links) with the
    stored ETags, count the links not seen before, save the state."""
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    etags = {url: s["etag"] for url, s in state.items() if s.get("etag")}
    summary = {"pages": 0, "200": 0, "304": 0, "new": 0}
    for url, (status, etag, links) in fetch(etags).items():
        summary["pages"] += 1
        if status == 304:
            summary["304"] += 1
            continue
        summary["200"] += 1
        old = state.get(url)
        if old is not None:
            summary["new"] += len(set(links) - set(old["items"]))
        state[url] = {"etag": etag, "items": sorted(links)}
    state_path.write_text(json.dumps(state))
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The minimal floor watcher.")
    parser.add_argument("--state", type=Path, required=True)
    parser.add_argument("--urls-file", type=Path)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args(argv)
    urls = list(args.urls)
    if args.urls_file:
        urls += args.urls_file.read_text().split()
    json.dump(run(urls, args.state, args.connections), sys.stdout)
    print()


if __name__ == "__main__":
    main()
