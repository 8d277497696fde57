"""Turns a fetched page into an Article (or drops it when there is no article in it).

The work itself (crawler/offload.py process_page: extraction, content hash, story fingerprint)
runs in the shared pool of worker processes; this pipeline awaits it, so the reactor goes on
fetching meanwhile. With TNMT_EXTRACT_WORKERS = 0 it runs inline instead.
"""

from __future__ import annotations

import logging
import os

from scrapy.crawler import Crawler

from crawler.items import ArticleItem, PageItem
from crawler.offload import (
    ExtractionPool,
    PageResult,
    PageWork,
    StoryShape,
    process_page,
    shared_pool,
)
from pipelines import drop

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, crawler: Crawler, pool: ExtractionPool | None, shape: StoryShape):
        self.crawler = crawler
        self.pool = pool
        self.shape = shape
        self.fallback_encoding = crawler.settings.get("TNMT_FALLBACK_ENCODING")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        settings = crawler.settings
        workers = extract_workers(settings.get("TNMT_EXTRACT_WORKERS"))
        pool = shared_pool(workers, workers * settings.getint("TNMT_EXTRACT_QUEUE_PER_WORKER")) \
            if workers else None
        shape = StoryShape(permutations=settings.getint("TNMT_STORY_PERMUTATIONS"),
                           shingle_words=settings.getint("TNMT_STORY_SHINGLE_WORDS"),
                           band_rows=settings.getint("TNMT_STORY_BAND_ROWS"))
        return cls(crawler, pool, shape)

    async def process_item(self, item: PageItem) -> ArticleItem:
        work = PageWork(item.body, item.url, self.crawler.spider.source,  # type: ignore[union-attr]
                        item.fetched_at, self.shape, item.date_hint, item.encoding,
                        self.fallback_encoding)
        found = await self.pool.run(work) if self.pool else process_page(work)
        return self.article_item(item, found)

    def article_item(self, item: PageItem, found: PageResult) -> ArticleItem:
        if found.error:
            logger.warning("extraction failed on %s: %s", item.url, found.error)
            raise drop(self.crawler, "extraction_error", f"{item.url}: {found.error}")
        article = found.article
        if article is None:
            raise drop(self.crawler, "no_article", item.url)
        seen = tuple(url for url in item.seen_urls if url != article.url)
        if item.url != article.url:
            seen += (item.url,)
        return ArticleItem(source_id=item.source_id, article=article, seen_urls=seen,
                           revisit_of=item.revisit_of, fetched_at=item.fetched_at,
                           categories=found.categories, content_hash=found.content_hash,
                           fingerprint=found.fingerprint)


def extract_workers(value: object) -> int:
    """Return the number of extraction processes TNMT_EXTRACT_WORKERS asks for ("" or None:
    one per core; 0: none, extract in the reactor)."""
    if value in (None, ""):
        return os.cpu_count() or 1
    return max(0, int(str(value)))
