"""Steady-state cost of incremental crawling: requests per new article.

Copies a mirror folder (default: the bundled crawler/mirror/sites) to a temporary place,
serves it with MirrorServer and crawls every source it has, with real `tnmt crawl` child
processes, five times:

  cold       an empty database
  unchanged  nothing changed on the sites
  +k new     k new articles on the first listing page of the sources (copies of stored
             articles under new URLs, with a changed sentence so their content is new)
  unchanged  nothing changed again
  --full     a backfill, for comparison

and counts the mirror's requests by type (robots.txt, listing/feed/sitemap, article) and
status. Then it times the known-URL lookup of one listing page (50 links) on a store of
--big articles, with the memory it takes (the spider never loads every stored URL).
Usage: python bench/incremental.py [SITES_DIR] [--new K] [--big N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
import tracemalloc
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

# This file's name is also that of a package Twisted imports ("incremental"): take this
# folder off the import path before anything imports Twisted.
sys.path = [entry for entry in sys.path if Path(entry).resolve() != Path(__file__).parent]

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from crawler.cli import mirror_sources  # noqa: E402
from crawler.mirror import SITES_DIR, MirrorServer  # noqa: E402
from crawler.registry import Source, load_registry  # noqa: E402
from crawler.storage import ArticleRecord, Store  # noqa: E402

console = Console()
VERBOSE = "-v" in sys.argv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="?", type=Path, default=SITES_DIR)
    parser.add_argument("--new", type=int, default=4, help="new articles to add (k)")
    parser.add_argument("--big", type=int, default=200_000, help="articles in the big store")
    parser.add_argument("-v", action="store_true", help="print every request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sites = Path(tmp) / "sites"
        shutil.copytree(args.sites, sites)
        db = f"sqlite:///{Path(tmp) / 'tnmt.db'}"
        sources = [s for s in mirror_sources(load_registry()) if s.domains <= hosts(sites)]
        table = Table(title=f"Incremental crawling: {len(sources)} sources of {args.sites}")
        for column in ("run", "robots.txt", "listing 200", "listing 304", "article 200",
                       "article 304", "other", "new stored", "requests / new article"):
            table.add_column(column, justify="left" if column == "run" else "right")
        with MirrorServer(sites) as server:
            for run in ("cold", "unchanged", f"+{args.new} new", "unchanged", "--full"):
                if run.startswith("+"):
                    added = add_articles(sites, sources, Store(db), args.new)
                    console.print(f"added {len(added)} articles: {', '.join(added)}",
                                  highlight=False, soft_wrap=True)
                table.add_row(run, *measure(server, sources, db, run))
        console.print(table)
        console.print(lookup_cost(Path(tmp) / "big.db", args.big))


def lookup_cost(path: Path, size: int) -> Table:
    """Time Store.known_articles for a 50-link listing page on a store of `size` articles."""
    store = Store(str(path))
    store.sync_sources(load_registry().select(["baohatinh"]))
    now = datetime.now(UTC)
    with store.transaction() as session:
        for start in range(0, size, 10_000):
            session.execute(insert(ArticleRecord), [
                {"source_id": "baohatinh", "url": f"https://baohatinh.vn/tin/{n}.htm",
                 "title": "t", "body": "b", "content_hash": f"{n:064d}", "first_seen_at": now,
                 "last_seen_at": now} for n in range(start, min(start + 10_000, size))])
    pages = [[f"https://baohatinh.vn/tin/{n}.htm" for n in range(start, start + 50)]
             for start in range(size - 25, size - 25 + 50 * 100, 50)]  # 25 known, then unknown
    tracemalloc.start()
    started = time.perf_counter()
    found = sum(len(store.known_articles(page)) for page in pages)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    megabytes = path.stat().st_size / 1e6
    table = Table(title=f"Known-URL lookup on a store of {size:,} articles ({megabytes:.0f} MB)")
    for column in ("listing pages", "links", "known found", "ms per page", "peak memory"):
        table.add_column(column, justify="right")
    table.add_row(str(len(pages)), str(50 * len(pages)), str(found),
                  f"{elapsed / len(pages) * 1000:.2f}", f"{peak / 1024:.0f} KiB")
    return table


def hosts(sites: Path) -> set[str]:
    return {path.name for path in sites.iterdir() if path.is_dir()}


def measure(server: MirrorServer, sources: list[Source], db: str, run: str) -> list[str]:
    """Crawl once; return the row of request counts for the table."""
    before_requests, before_articles = len(server.request_log), Store(db).count_articles()
    options = ["--full"] if run == "--full" else []
    crawl = subprocess.run([sys.executable, "-m", "crawler", "crawl", *(s.id for s in sources),
                            "--db", db, "--mirror", server.address, *options],
                           check=True, capture_output=True, text=True)
    requests = server.request_log[before_requests:]
    if VERBOSE:
        console.print(run, crawl.stdout, requests, highlight=False)
    counts = Counter(request_kind(path, status, sources) for path, status in requests)
    new = Store(db).count_articles() - before_articles
    total = sum(counts.values()) - counts["robots.txt"]
    per_new = f"{total / new:.2f}" if new else f"{total} (no new)"
    kinds = ("robots.txt", "listing 200", "listing 304", "article 200", "article 304")
    other = sum(counts.values()) - sum(counts[kind] for kind in kinds)
    return [*(str(counts[kind]) for kind in kinds), str(other), str(new), per_new]


def request_kind(path: str, status: int, sources: list[Source]) -> str:
    """'robots.txt', 'article 200', 'listing 304', … for one request the mirror logged."""
    host, _, rest = path.lstrip("/").partition("/")
    if rest == "robots.txt":
        return "robots.txt"
    url = f"https://{host}/{rest}"
    kind = "article" if any(source.is_article_url(url) for source in sources) else "listing"
    return f"{kind} {status}" if status in (200, 304) else f"{kind} other"


def add_articles(sites: Path, sources: list[Source], store: Store, count: int) -> list[str]:
    """Publish `count` new articles, round robin over the sources; return their URLs."""
    added: list[str] = []
    for number in range(count):
        source = sources[number % len(sources)]
        url = add_article(sites, source, store, number + 1)
        if url:
            added.append(url)
    return added


def add_article(sites: Path, source: Source, store: Store, number: int) -> str | None:
    """Copy a stored article of `source` listed on its first listing page to a new URL, with
    a changed sentence, and list it first; return the new URL (None if none fits)."""
    listing = mirror_file(sites, source.discovery.start_urls[0])
    html = listing.read_text("utf-8")
    for row in store.articles(sources=[source.id]):
        old_path = urlsplit(row.url).path
        anchor = re.search(rf'<a\b[^>]*href="[^"]*{re.escape(old_path)}"[^>]*>.*?</a>', html,
                           re.DOTALL)
        page = mirror_file(sites, row.url)
        first = next((line for line in row.body.split("\n") if line[:40] in
                      page.read_text("utf-8")), None)
        if anchor is None or first is None:
            continue
        new_path = re.sub(r"([/-])(d?\d+\.html?)$", rf"-ban-moi-{number}\1\2", old_path)
        new_url = row.url.replace(old_path, new_path)
        target = mirror_file(sites, new_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        # The copy names its own URL (canonical link, og:url) and says something new.
        text = page.read_text("utf-8").replace(old_path, new_path)
        target.write_text(text.replace(first[:40], f"Tin mới số {number}: {first[:40]}"),
                          "utf-8")
        link = anchor.group(0).replace(old_path, new_path)
        listing.write_text(html[:anchor.start()] + link + html[anchor.start():], "utf-8")
        return new_url
    return None


def mirror_file(sites: Path, url: str) -> Path:
    """Return the file the mirror serves for `url` (its routes.toml first, as it does)."""
    parts = urlsplit(url)
    site = sites / parts.netloc
    routes_file = site / "routes.toml"
    routes = tomllib.loads(routes_file.read_text("utf-8")) if routes_file.is_file() else {}
    if "file" in routes.get(parts.path, {}):
        return site / routes[parts.path]["file"]
    relative = parts.path.lstrip("/")
    return site / (relative + "index.html" if parts.path.endswith("/") else relative)


if __name__ == "__main__":
    main()
