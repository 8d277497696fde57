"""Item pipelines, in the order settings.ITEM_PIPELINES runs them:
extract -> validate -> revisit -> relevance -> store. Each does one job."""

from __future__ import annotations

from typing import Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.storage import Store, shared_store


class DatabasePipeline:
    """A pipeline that reads or writes the crawl's database (the process's shared Store)."""

    def __init__(self, crawler: Crawler, store: Store):
        self.crawler = crawler
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler, shared_store(crawler.settings["TNMT_DB_URL"]))


def drop(crawler: Crawler, reason: str, detail: str = "") -> DropItem:
    """Count a dropped item under its reason and return the DropItem to raise."""
    assert crawler.stats is not None
    crawler.stats.inc_value("tnmt/dropped")
    crawler.stats.inc_value(f"tnmt/dropped/{reason}")
    return DropItem(f"{reason}: {detail}" if detail else reason)
