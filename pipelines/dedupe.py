"""Drops articles already stored, under the same canonical URL or with the same content.

A known article found at a new URL keeps that URL as an alias, so users can trace every
address a story was published under.
"""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.urls import canonical_url
from pipelines import DatabasePipeline


class DedupePipeline(DatabasePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
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
