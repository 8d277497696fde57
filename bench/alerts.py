"""What alerting costs after a crawl: matching and queueing per new article, and delivery
per alert to a JSON webhook on 127.0.0.1, on a temporary SQLite file.

Usage: python bench/alerts.py DATA_DIR [--articles 2000] [--rules 20]

DATA_DIR holds saved article pages (*.html, each with a <name>.json giving its "url"), e.g.
the vi-pages set. Each page is extracted once with tnmt's extractor, then stored --articles
times under distinct URLs (a numbered paragraph makes each body distinct).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

from rich.console import Console
from rich.table import Table

from crawler.alert_rules import AlertRules
from crawler.alerts import deliver_pending, queue_article_alerts
from crawler.article import Article, content_hash
from crawler.extraction import extract_article
from crawler.registry import load_registry
from crawler.storage import Store

# Sector words and everyday words, so that some rules match often and some never.
KEYWORDS = ["khoáng sản", "ô nhiễm", "thu hồi đất", "môi trường", "nghỉ Tết", "công chức",
            "giá vàng", "bão", "xả thải", "khai thác cát", "điện thoại", "học sinh"]


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


def load_articles(data_dir: Path) -> list[Article]:
    """Extract every saved page of `data_dir` that yields an article."""
    now = datetime.now(UTC)
    articles = []
    for page in sorted(data_dir.glob("*.html")):
        url = json.loads(page.with_suffix(".json").read_text("utf-8"))["url"]
        article = extract_article(page.read_text("utf-8", errors="replace"), url, now=now)
        if article is not None:
            articles.append(article)
    return articles


def store_copies(store: Store, articles: list[Article], count: int) -> list[int]:
    """Store `count` distinct copies of the articles; return their ids."""
    ids = []
    for number in range(count):
        base = articles[number % len(articles)]
        copy = replace(base, url=f"{base.url}?copy={number}",
                       paragraphs=(*base.paragraphs, f"Bản số {number}."))
        stored = store.add_article(copy, source_id="baohatinh", content_hash=content_hash(copy),
                                   run_id=None)
        assert stored is not None
        ids.append(stored)
    return ids


def make_rules(count: int, destination: str) -> AlertRules:
    return AlertRules.model_validate({"articles": [
        {"name": f"rule-{number}", "notify": [destination],
         "keywords": [KEYWORDS[(number + step) % len(KEYWORDS)] for step in range(3)]}
        for number in range(count)]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rules", type=int, default=20)
    args = parser.parse_args()
    articles = load_articles(args.data_dir)
    hook = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    Thread(target=hook.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as folder:
        store = Store(str(Path(folder) / "bench.db"))
        store.sync_sources([load_registry()["baohatinh"]])
        ids = store_copies(store, articles, args.articles)
        rules = make_rules(args.rules, f"json://127.0.0.1:{hook.server_port}/hook")
        now = datetime.now(UTC)
        started = time.perf_counter()
        queued = queue_article_alerts(store, rules, ids, now)
        queue_seconds = time.perf_counter() - started
        started = time.perf_counter()
        requeued = queue_article_alerts(store, rules, ids, now)
        requeue_seconds = time.perf_counter() - started
        started = time.perf_counter()
        sent = sum(d.status == "sent" for d in deliver_pending(store, now))
        deliver_seconds = time.perf_counter() - started
        store.close()
    hook.shutdown()
    table = Table(title=f"Alerts: {args.articles} articles ({len(articles)} distinct pages), "
                        f"{args.rules} rules")
    for column in ("step", "count", "seconds", "per item"):
        table.add_column(column, justify="left" if column == "step" else "right")
    table.add_row("match + queue (alerts queued)", str(queued), f"{queue_seconds:.2f}",
                  f"{queue_seconds / args.articles * 1000:.2f} ms/article")
    table.add_row("same again (nothing new)", str(requeued), f"{requeue_seconds:.2f}",
                  f"{requeue_seconds / args.articles * 1000:.2f} ms/article")
    table.add_row("deliver to local webhook (sent)", str(sent), f"{deliver_seconds:.2f}",
                  f"{deliver_seconds / max(sent, 1) * 1000:.1f} ms/alert")
    Console().print(table)


if __name__ == "__main__":
    main()
