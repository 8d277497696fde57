"""The two single-process loops of the throughput benchmark, each run by bench/throughput.py
as a child process of its own (and importing only what its loop needs):

  sequential  exactly what an extraction worker does with a page
              (crawler.offload.process_page), over the generated article files
  naive       trafilatura's own fetch_url then extract, over the served article URLs

Usage: python -m bench.throughput_loops MODE LISTING ADDRESS REGISTRY RESULT
(LISTING: "url<TAB>file" lines; RESULT: a JSON file of pages, articles, seconds, cpu).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def read_listing(path: Path) -> list[tuple[str, Path]]:
    return [(url, Path(file)) for url, file in
            (line.split("\t") for line in path.read_text("utf-8").splitlines())]


def sequential_loop(articles: list[tuple[str, Path]], registry: Path) -> dict[str, Any]:
    """What an extraction worker does with each page, one page after the other; only
    process_page is timed (the crawl's workers get the page from memory, not a file)."""
    from crawler import settings
    from crawler.offload import PageWork, StoryShape, process_page
    from crawler.registry import load_registry

    sources = load_registry([registry], builtin=False)
    by_host = {sources[source_id].homepage.split("/")[2]: sources[source_id]
               for source_id in sources}
    shape = StoryShape(settings.TNMT_STORY_PERMUTATIONS, settings.TNMT_STORY_SHINGLE_WORDS,
                       settings.TNMT_STORY_BAND_ROWS)
    found = 0
    seconds = cpu = 0.0
    for url, path in articles:
        body = path.read_bytes()  # the mirror serves it as UTF-8, and the worker decodes it
        start, start_cpu = time.monotonic(), time.process_time()
        result = process_page(PageWork(body, url, by_host[url.split("/")[2]],
                                       datetime.now(UTC), shape))
        seconds += time.monotonic() - start
        cpu += time.process_time() - start_cpu
        found += result.article is not None
    return {"pages": len(articles), "articles": found, "seconds": seconds, "cpu": cpu}


def naive_loop(articles: list[tuple[str, Path]], address: str) -> dict[str, Any]:
    """trafilatura as its documentation shows it: fetch_url, then extract, page by page."""
    from trafilatura import extract, fetch_url
    from trafilatura.settings import use_config

    from crawler.mirror.handler import mirror_url

    config = use_config()  # a fresh copy of trafilatura.settings.DEFAULT_CONFIG
    # Its SSRF protection refuses loopback addresses, and the mirror is on 127.0.0.1: off,
    # for this benchmark only.
    config.set("DEFAULT", "SSRF_PROTECTION", "off")
    found = fetched = 0
    start, cpu = time.monotonic(), time.process_time()
    for url, _path in articles:
        html = fetch_url(mirror_url(url, address), config=config)
        fetched += html is not None
        found += bool(html and extract(html))
    return {"pages": fetched, "articles": found, "seconds": time.monotonic() - start,
            "cpu": time.process_time() - cpu}


def main(argv: list[str]) -> None:
    mode, listing, address, registry, result = argv
    articles = read_listing(Path(listing))
    found = (sequential_loop(articles, Path(registry)) if mode == "sequential"
             else naive_loop(articles, address))
    Path(result).write_text(json.dumps(found), "utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
