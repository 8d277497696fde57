"""Stores new articles and records the crawl run of the source."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.storage import RunCounts, Store, shared_store
from crawler.urls import canonical_url


class StorePipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store
        self.run_id: int | None = None
        crawler.signals.connect(self.record_run, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, shared_store(crawler.settings["TNMT_DB_URL"]))

    def open_spider(self) -> None:
        source = self.crawler.spider.source  # type: ignore[union-attr]
        self.store.sync_sources([source])
        self.run_id = self.store.start_run(source.id)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        aliases = {canonical_url(url) for url in item.seen_urls}
        stored = self.store.add_article(
            item.article, source_id=item.source_id, content_hash=item.content_hash,
            run_id=self.run_id, relevance=item.relevance, aliases=aliases,
        )
        assert self.crawler.stats is not None
        if stored is None:  # another writer stored the same article meanwhile
            self.crawler.stats.inc_value("tnmt/duplicate")
            raise DropItem(f"duplicate: {item.article.url}", log_level="DEBUG")
        self.crawler.stats.inc_value("tnmt/new")
        return item

    def record_run(self, spider: Spider, reason: str) -> None:
        """Write the run's counts and outcome when the spider closes."""
        if self.run_id is None:
            return
        counts = run_counts(self.crawler)
        messages = getattr(spider, "error_messages", [])
        self.store.finish_run(self.run_id, run_status(spider, reason, counts), counts,
                              "\n".join(messages))


def run_counts(crawler: Crawler) -> RunCounts:
    """Read what a crawl did from its stats."""
    assert crawler.stats is not None
    value = crawler.stats.get_value
    return RunCounts(pages=value("tnmt/pages", 0), new=value("tnmt/new", 0),
                     duplicates=value("tnmt/duplicate", 0), dropped=value("tnmt/dropped", 0),
                     errors=value("tnmt/errors", 0))


def run_status(spider: Spider, reason: str, counts: RunCounts) -> str:
    """'ok', 'partial' (some requests failed), 'failed' (the site could not be read at all)
    or 'interrupted' (the crawl was stopped)."""
    if reason != "finished":
        return "interrupted"
    if counts.errors and counts.pages == 0:
        return "failed"
    return "partial" if counts.errors else "ok"
