"""Item pipelines, in the order settings.ITEM_PIPELINES runs them:
extract -> validate -> relevance -> dedupe -> stories -> store. Each does one job."""

from __future__ import annotations

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem


def drop(crawler: Crawler, reason: str, detail: str = "") -> DropItem:
    """Count a dropped item under its reason and return the DropItem to raise."""
    assert crawler.stats is not None
    crawler.stats.inc_value("tnmt/dropped")
    crawler.stats.inc_value(f"tnmt/dropped/{reason}")
    return DropItem(f"{reason}: {detail}" if detail else reason)
