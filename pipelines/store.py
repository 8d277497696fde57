"""Stores new articles, each once, and records the crawl run of the source.

An article already stored (its URL, an alias, or its content hash) or stored earlier in
the batch is dropped as a duplicate, the stored one getting the new URLs as aliases; a new
one joins the story of an earlier copy elsewhere (crawler/stories.py) or starts its own.
Store.add_articles does both, for a whole batch at once.

Articles are written in batches, one transaction each, shared by every source crawled in
the process: a batch is written when it holds TNMT_STORE_BATCH_SIZE articles, when its first has
waited TNMT_STORE_BATCH_SECONDS, or at once when every item in the crawlers' pipelines is
waiting for it (nothing else can join it before it is written: each waiting item holds its
response, and the sources take no new responses past SCRAPER_SLOT_MAX_ACTIVE_SIZE). Each item
waits for its batch's commit, so an item that leaves this pipeline is stored (alerts and counts
see it), and a crash loses at most the batch not yet committed, which the next crawl fetches
again.
"""

from __future__ import annotations

import asyncio

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.runs import dropped_reasons, refused_requests, run_counts, run_status
from crawler.storage import NewArticle, Store, Written, now_utc
from crawler.urls import canonical_url
from pipelines import DatabasePipeline


class StorePipeline(DatabasePipeline):
    def __init__(self, crawler: Crawler, store: Store):
        super().__init__(crawler, store)
        self.run_id: int | None = None
        settings = crawler.settings
        self.writer = shared_writer(store, settings.getint("TNMT_STORE_BATCH_SIZE"),
                                    settings.getfloat("TNMT_STORE_BATCH_SECONDS"),
                                    settings.getfloat("TNMT_STORY_THRESHOLD"))
        self.writer.crawlers.add(crawler)
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

    async def process_item(self, item: ArticleItem) -> ArticleItem:
        written = await self.writer.write(self.new_article(item))
        stats = self.crawler.stats
        assert stats is not None
        if written.article_id is None:
            stats.inc_value("tnmt/duplicate")
            raise DropItem(f"duplicate of article {written.duplicate_of}: {item.article.url}",
                           log_level="DEBUG")
        stats.inc_value("tnmt/new")
        if written.story_id is not None:
            stats.inc_value("tnmt/story_copy")
        return item

    def new_article(self, item: ArticleItem) -> NewArticle:
        return NewArticle(item.article, item.source_id, item.content_hash, self.run_id,
                          item.relevance, frozenset(canonical_url(url) for url in item.seen_urls),
                          item.fingerprint)

    def close_spider(self) -> None:
        self.writer.crawlers.discard(self.crawler)
        self.writer.write_batch()  # nothing of ours is left by then: each item awaits it

    def record_run(self, spider: Spider, reason: str) -> None:
        """Write the run's counts and outcome when the spider closes."""
        if self.run_id is None:
            return
        counts = run_counts(self.crawler)
        messages = [*getattr(spider, "error_messages", []), *refused_requests(self.crawler),
                    *(f"dropped {count}: {why}" for why, count in dropped_reasons(self.crawler))]
        self.store.finish_run(self.run_id, run_status(reason, counts), counts,
                              "\n".join(messages))


class ArticleWriter:
    """Writes the new articles of every crawler in the process to one database, in batches."""

    def __init__(self, store: Store, batch_size: int, batch_seconds: float,
                 story_threshold: float):
        self.store = store
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.story_threshold = story_threshold
        self.pending: list[tuple[NewArticle, asyncio.Future[Written]]] = []
        self.write_timer: asyncio.TimerHandle | None = None
        self.crawlers: set[Crawler] = set()  # whose items come here (StorePipeline adds them)

    def write(self, new: NewArticle) -> asyncio.Future[Written]:
        """Add the article to the batch; the future gets what became of it on commit."""
        loop = asyncio.get_running_loop()
        outcome: asyncio.Future[Written] = loop.create_future()
        self.pending.append((new, outcome))
        if len(self.pending) >= self.batch_size or self.nothing_else_coming():
            self.write_batch()
        elif self.write_timer is None:
            self.write_timer = loop.call_later(self.batch_seconds, self.write_batch)
        return outcome

    def nothing_else_coming(self) -> bool:
        """Whether every item in the crawlers' pipelines is one of this batch's. Waiting for
        the timer then would only idle the extraction workers: at the end of a crawl, or
        when the items waiting here fill the sources' scraper slots."""
        in_pipelines = 0  # Scrapy counts each crawler's items between the pipelines' ends
        for crawler in self.crawlers:
            slot = crawler.engine.scraper.slot if crawler.engine else None
            in_pipelines += slot.itemproc_size if slot else 0
        return len(self.pending) >= in_pipelines

    def write_batch(self) -> None:
        """Write the pending articles in one transaction and wake their items."""
        if self.write_timer is not None:
            self.write_timer.cancel()
            self.write_timer = None
        batch, self.pending = self.pending, []
        if not batch:
            return
        try:
            outcomes = self.store.add_articles([new for new, _ in batch], self.story_threshold)
        except Exception as exc:  # each item fails with the database's error
            for _, outcome in batch:
                outcome.set_exception(exc)
            return
        for (_, outcome), written in zip(batch, outcomes, strict=True):
            outcome.set_result(written)


_writers: dict[str, ArticleWriter] = {}


def shared_writer(store: Store, batch_size: int, batch_seconds: float,
                  story_threshold: float) -> ArticleWriter:
    """Return the process's one writer for the store's database."""
    if store.url not in _writers:
        _writers[store.url] = ArticleWriter(store, batch_size, batch_seconds, story_threshold)
    return _writers[store.url]
