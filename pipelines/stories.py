"""Finds the story a new article belongs to: the same text re-published elsewhere joins the
stored story, anything else starts its own (the store writes the membership; an article stored
in the same batch is looked at there, see Store.add_articles)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.storage import Store, shared_store


class StoriesPipeline:
    def __init__(self, crawler: Crawler, store: Store, threshold: float):
        self.crawler = crawler
        self.store = store
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoriesPipeline:
        settings = crawler.settings
        return cls(crawler, shared_store(settings["TNMT_DB_URL"]),
                   settings.getfloat("TNMT_STORY_THRESHOLD"))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        assert item.fingerprint is not None  # the extract pipeline took it
        item.story = self.store.story_for(item.fingerprint, self.threshold)
        if item.story.story_id is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("tnmt/story_copy")
        return item
