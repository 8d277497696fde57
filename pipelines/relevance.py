"""Keeps only TN&MT articles from general newspapers, recording why each one is in."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.relevance import matched_keywords
from pipelines import drop


class RelevancePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RelevancePipeline:
        return cls(crawler)

    def process_item(self, item: ArticleItem) -> ArticleItem:
        keywords = self.crawler.spider.source.topics.keywords  # type: ignore[union-attr]
        if not keywords:
            item.relevance = "source: every article"
            return item
        found = matched_keywords(item.article, keywords)
        if not found:
            raise drop(self.crawler, "off_topic", item.article.url)
        item.relevance = "keywords: " + ", ".join(found)
        return item
