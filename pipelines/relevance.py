"""Keeps only TN&MT articles from general newspapers, recording why each one is in, and
why each one left out is out (a dropped_pages row: no body kept)."""

from __future__ import annotations

from crawler.items import ArticleItem
from crawler.relevance import off_topic_reason, relevance_reason
from crawler.storage import DroppedPage, now_utc
from pipelines import DatabasePipeline, drop


class RelevancePipeline(DatabasePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        topics = self.crawler.spider.source.topics  # type: ignore[union-attr]
        reason = relevance_reason(item.article, item.categories, topics)
        if reason is None:
            self.record_dropped(item, off_topic_reason(item.categories, topics))
            raise drop(self.crawler, "off_topic", item.article.url)
        item.relevance = reason[:300]
        return item

    def record_dropped(self, item: ArticleItem, reason: str) -> None:
        assert self.crawler.stats is not None
        self.store.record_dropped_page(DroppedPage(
            run_id=self.crawler.stats.get_value("tnmt/run_id"), source_id=item.source_id,
            url=item.article.url, title=item.article.title, reason=reason[:1000],
            dropped_at=now_utc()))
