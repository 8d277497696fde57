"""The spider of a `tnmt worker`: SourceSpider fed from the source's Redis queue.

It starts nothing itself: `tnmt crawl --redis` and `tnmt daemon --redis` push a crawl's first
requests into the queue (crawler/distributed.py); every worker pops requests from it and runs
the same callbacks (discovery, articles) and pipelines as a local crawl. It stays open when
the queue is empty, waiting for the next crawl, until the worker is stopped.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from functools import cached_property
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider

from crawler.logs import LOGGER_NAME, log_event
from spiders.source_spider import SourceSpider

logger = logging.getLogger(f"{LOGGER_NAME}.worker")


class WorkerSpider(SourceSpider):
    """Serves one source's queue; one batch of work at a time (see new_batch)."""

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WorkerSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.stay_open, signal=signals.spider_idle)
        crawler.signals.connect(spider.announce, signal=signals.spider_opened)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Nothing of its own: the requests come from the Redis queue."""
        nothing: tuple[Request, ...] = ()
        for request in nothing:
            yield request

    @cached_property
    def queued_articles_limit(self) -> int | None:
        """None: every article request goes to the shared queue at once, for any worker."""
        return None

    def announce(self) -> None:
        """Look at the queue every TNMT_WORKER_IDLE_POLL_SECONDS when idle, and say that this
        worker takes requests from now on (its store and pools are open)."""
        # The engine's heartbeat is what calls an idle spider's scheduler; Scrapy starts it
        # with this interval once the spider is open, after this signal.
        engine = self.crawler.engine
        engine._SLOT_HEARTBEAT_INTERVAL = self.settings.getfloat(  # type: ignore[union-attr]
            "TNMT_WORKER_IDLE_POLL_SECONDS")
        log_event(logger, "serving the queue", source=self.source.id)

    def stay_open(self) -> None:
        """An empty queue is a pause between crawls, not the end."""
        raise DontCloseSpider("waiting for queued requests")

    def new_batch(self) -> None:
        """Forget what the last batch requested: the next crawl starts afresh (the shared
        duplicate filter in Redis keeps workers from fetching a page twice in one crawl)."""
        self.requested.clear()
        self.requested_new.clear()
        self.error_messages.clear()
