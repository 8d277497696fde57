"""Drops extracted articles that are not worth storing, counting each reason."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from pipelines import drop


class ValidatePipeline:
    def __init__(self, crawler: Crawler, min_title_chars: int, min_body_chars: int):
        self.crawler = crawler
        self.min_title_chars = min_title_chars
        self.min_body_chars = min_body_chars

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        settings = crawler.settings
        return cls(crawler, settings.getint("TNMT_MIN_TITLE_CHARS"),
                   settings.getint("TNMT_MIN_BODY_CHARS"))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        article = item.article
        if len(article.title) < self.min_title_chars:
            raise drop(self.crawler, "no_title", article.url)
        if article.body_chars < self.min_body_chars:
            raise drop(self.crawler, "body_too_short",
                       f"{article.body_chars} characters at {article.url}")
        return item
