"""Turns a fetched page into an Article (or drops it when there is no article in it)."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from crawler.extraction import extract_article
from crawler.items import ArticleItem, PageItem
from crawler.relevance import breadcrumb_paths
from pipelines import drop

logger = logging.getLogger(__name__)


class ExtractPipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExtractPipeline:
        return cls(crawler)

    def process_item(self, item: PageItem) -> ArticleItem:
        source = self.crawler.spider.source  # type: ignore[union-attr]
        try:
            article = extract_article(item.html, item.url, source=source, now=item.fetched_at,
                                      date_hint=item.date_hint)
        except Exception as exc:  # a hostile page must not stop the crawl of the others
            logger.warning("extraction failed on %s: %r", item.url, exc)
            raise drop(self.crawler, "extraction_error", f"{item.url}: {exc!r}") from exc
        if article is None:
            raise drop(self.crawler, "no_article", item.url)
        seen = tuple(url for url in item.seen_urls if url != article.url)
        if item.url != article.url:
            seen += (item.url,)
        return ArticleItem(source_id=item.source_id, article=article, seen_urls=seen,
                           revisit_of=item.revisit_of, fetched_at=item.fetched_at,
                           categories=breadcrumb_paths(item.html, item.url))
