"""A worker's store pipeline: stores like StorePipeline, records runs by batch.

A worker lives for days, so its crawl_runs rows cannot be one per spider: a batch starts
with the first response after an idle spell (a crawl was queued) and ends when the worker is
idle again (its source's queue is empty and nothing is in flight). Each worker records its
own share of a crawl: two workers serving one crawl leave two runs of that source.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.storage import Store
from pipelines.store import StorePipeline


class WorkerStorePipeline(StorePipeline):
    def __init__(self, crawler: Crawler, store: Store):
        super().__init__(crawler, store)
        crawler.signals.connect(self.begin_batch, signal=signals.response_received)
        crawler.signals.connect(self.end_batch, signal=signals.spider_idle)

    def open_spider(self) -> None:
        """Nothing yet: run_worker registered the source, and a run starts with the first
        response."""

    def begin_batch(self, **_kwargs: Any) -> None:
        if self.run_id is None:
            super().open_spider()

    def end_batch(self, spider: Spider) -> None:
        """Record the batch's run, then start counting the next one from zero."""
        if self.run_id is None:
            return
        self.record_run(spider, "finished")
        self.run_id = None
        assert self.crawler.stats is not None
        self.crawler.stats.clear_stats()
        spider.new_batch()  # type: ignore[attr-defined]
