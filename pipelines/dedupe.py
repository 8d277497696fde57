"""Drops articles already stored, under the same canonical URL or with the same content.

A known article found at a new URL keeps that URL as an alias, so users can trace every
address a story was published under.
"""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.article import content_hash
from crawler.items import ArticleItem
from crawler.storage import Store, shared_store
from crawler.urls import canonical_url


class DedupePipeline:
    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler, shared_store(crawler.settings["TNMT_DB_URL"]))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        item.content_hash = content_hash(article)
        aliases = {canonical_url(url) for url in item.seen_urls}
        known = self.store.article_id_for_url(article.url)
        if known is None:
            known = self.store.article_id_for_hash(item.content_hash)
        if known is None:
            return item
        self.store.mark_seen(known, aliases | {article.url})
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("tnmt/duplicate")
        raise DropItem(f"duplicate of article {known}: {article.url}", log_level="DEBUG")
