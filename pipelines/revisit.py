"""Records what a revisit of a stored article found: a new version when its body changed,
else only the time of the check. Revisited pages go no further down the pipelines."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ArticleItem
from crawler.storage import now_utc
from pipelines import DatabasePipeline


class RevisitPipeline(DatabasePipeline):
    def process_item(self, item: ArticleItem) -> ArticleItem:
        if item.revisit_of is None:
            return item
        changed = self.store.record_revision(item.revisit_of, item.article, item.content_hash,
                                             item.fetched_at or now_utc())
        outcome = "updated" if changed else "unchanged"
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"tnmt/{outcome}")
        raise DropItem(f"article {item.revisit_of} revisited: {outcome}", log_level="DEBUG")
