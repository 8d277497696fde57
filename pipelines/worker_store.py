"""A worker's store pipeline: stores like StorePipeline, records runs by batch.

A worker lives for days, so its crawl_runs rows cannot be one per spider: a batch starts
with the first response after an idle spell (a crawl was queued) and ends when the worker is
idle again (its source's queue is empty and nothing is in flight). Each worker records its
own share of a crawl: two workers serving one crawl leave two runs of that source.

With an alerts file (TNMT_ALERTS_FILE, `tnmt worker --alerts`), the end of a batch also
queues and delivers the alerts for the source's articles stored since the batch began and
for its change of health, as `tnmt crawl --alerts` does after a crawl. Two workers ending
batches of one crawl queue the same alerts: the outbox takes each once.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from crawler.alert_rules import shared_rules
from crawler.alerts import Retry, alert_after_runs
from crawler.health import Thresholds
from crawler.logs import LOGGER_NAME, log_event
from crawler.registry import Registry, Source
from crawler.storage import Store, now_utc
from pipelines.store import StorePipeline

logger = logging.getLogger(f"{LOGGER_NAME}.worker")


class WorkerStorePipeline(StorePipeline):
    def __init__(self, crawler: Crawler, store: Store):
        super().__init__(crawler, store)
        self.batch_started = now_utc()
        self.alert_rules = shared_rules(crawler.settings.get("TNMT_ALERTS_FILE"))
        crawler.signals.connect(self.begin_batch, signal=signals.response_received)
        crawler.signals.connect(self.end_batch, signal=signals.spider_idle)

    def open_spider(self) -> None:
        """Nothing yet: run_worker registered the source, and a run starts with the first
        response."""

    def begin_batch(self, **_kwargs: Any) -> None:
        if self.run_id is None:
            self.batch_started = now_utc()
            super().open_spider()

    def end_batch(self, spider: Spider) -> None:
        """Record the batch's run, start counting the next one from zero, then alert on
        what the batch stored."""
        if self.run_id is None:
            return
        self.record_run(spider, "finished")
        self.run_id = None
        assert self.crawler.stats is not None
        self.crawler.stats.clear_stats()
        spider.new_batch()  # type: ignore[attr-defined]
        self.alert_batch(spider.source)  # type: ignore[attr-defined]

    def alert_batch(self, source: Source) -> None:
        """Queue the alerts for the batch's new articles and the source's health, then
        deliver what is due (in the reactor: the source's crawl is over)."""
        if self.alert_rules is None:
            return
        values = self.crawler.settings
        deliveries = alert_after_runs(self.store, self.alert_rules,
                                      Registry({source.id: source}, {}), self.batch_started,
                                      [source.id], now_utc(), Retry.from_settings(values),
                                      Thresholds.from_settings(values))
        sent = sum(delivery.status == "sent" for delivery in deliveries)
        log_event(logger, "alerts delivered", source=source.id, sent=sent,
                  not_delivered=len(deliveries) - sent)
