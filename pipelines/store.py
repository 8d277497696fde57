"""Stores new articles and records the crawl run of the source."""

from __future__ import annotations

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.runs import dropped_reasons, refused_requests, run_counts, run_status
from crawler.storage import Store, now_utc
from crawler.urls import canonical_url
from pipelines import DatabasePipeline


class StorePipeline(DatabasePipeline):
    def __init__(self, crawler: Crawler, store: Store):
        super().__init__(crawler, store)
        self.run_id: int | None = None
        crawler.signals.connect(self.record_run, signal=signals.spider_closed)

    def open_spider(self) -> None:
        source = self.crawler.spider.source  # type: ignore[union-attr]
        self.store.sync_sources([source])
        self.close_stale_runs(source.id)
        self.run_id = self.store.start_run(source.id)
        assert self.crawler.stats is not None
        self.crawler.stats.set_value("tnmt/run_id", self.run_id)  # dropped pages name it

    def close_stale_runs(self, source_id: str) -> None:
        """Record the source's runs still "running" as interrupted: their process died (kill -9,
        power cut) or, rarely, still runs beside this one; a live one's own finish_run then
        writes its real outcome over this."""
        stale = self.store.open_runs_older_than(now_utc(), source_id=source_id)
        if stale:
            self.store.mark_runs(stale, "interrupted",
                                 "no crawl process finished this run (found by a later run)")

    def process_item(self, item: ArticleItem) -> ArticleItem:
        aliases = {canonical_url(url) for url in item.seen_urls}
        stored = self.store.add_article(
            item.article, source_id=item.source_id, content_hash=item.content_hash,
            run_id=self.run_id, relevance=item.relevance, aliases=aliases, story=item.story,
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
        messages = [*getattr(spider, "error_messages", []), *refused_requests(self.crawler),
                    *(f"dropped {count}: {why}" for why, count in dropped_reasons(self.crawler))]
        self.store.finish_run(self.run_id, run_status(reason, counts), counts,
                              "\n".join(messages))
