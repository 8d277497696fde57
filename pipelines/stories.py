"""Finds the story a new article belongs to: the same text re-published elsewhere joins the
stored story, anything else starts its own (the store writes the membership)."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.items import ArticleItem
from crawler.storage import Store, shared_store
from crawler.stories import fingerprint, story_text


class StoriesPipeline:
    def __init__(self, crawler: Crawler, store: Store, *, permutations: int,
                 shingle_words: int, band_rows: int, threshold: float):
        self.crawler = crawler
        self.store = store
        self.shape = {"permutations": permutations, "shingle_words": shingle_words,
                      "band_rows": band_rows}
        self.threshold = threshold

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoriesPipeline:
        settings = crawler.settings
        return cls(crawler, shared_store(settings["TNMT_DB_URL"]),
                   permutations=settings.getint("TNMT_STORY_PERMUTATIONS"),
                   shingle_words=settings.getint("TNMT_STORY_SHINGLE_WORDS"),
                   band_rows=settings.getint("TNMT_STORY_BAND_ROWS"),
                   threshold=settings.getfloat("TNMT_STORY_THRESHOLD"))

    def process_item(self, item: ArticleItem) -> ArticleItem:
        item.story = self.store.story_for(fingerprint(story_text(item.article), **self.shape),
                                          self.threshold)
        if item.story.story_id is not None:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value("tnmt/story_copy")
        return item
