"""Distributed crawling on Redis with scrapy-redis: workers and the enqueuer.

Each source has its own request queue and duplicate filter in Redis (the keys carry the
source id, the name of its spider). `Enqueuer` pushes the first requests of a source's crawl
(feeds, sitemaps, first listing pages) into its queue; `run_worker` runs one WorkerSpider per
source in this process, and each pops from its source's queue: a popped request belongs to
the source whose queue it came from, and names its callback (a spider method) as scrapy-redis
serialised it. Every worker runs the same callbacks and pipelines as `tnmt crawl`, storing
into the shared database.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import redis
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import Settings
from scrapy.utils.misc import load_object
from scrapy_redis import connection

from crawler.crawl import build_settings
from crawler.incremental import CrawlMode
from crawler.logs import LOGGER_NAME, configure_logging, log_event
from crawler.offload import shutdown_pools
from crawler.registry import Source
from crawler.storage import Store
from spiders.worker_spider import WorkerSpider

logger = logging.getLogger(f"{LOGGER_NAME}.distributed")
STORE_PIPELINE = "pipelines.store.StorePipeline"


class RedisUnavailable(Exception):
    """Redis cannot be reached at the URL given; the message names the URL."""


# What scrapy-redis 0.9.1 calls that Scrapy 2.19 deprecates (pyproject.toml's pytest
# filterwarnings names the same two).
SCRAPY_REDIS_DEPRECATIONS = (r"Passing a 'spider' argument to \S+ is deprecated",
                             r"Spider\.log\(\) is deprecated")


def quiet_scrapy_redis() -> None:
    """Silence scrapy-redis's deprecated calls by message, and only in scrapy-redis: any
    other warning still shows."""
    for message in SCRAPY_REDIS_DEPRECATIONS:
        warnings.filterwarnings("ignore", message=message, category=ScrapyDeprecationWarning,
                                module=r"scrapy_redis\.")


def redis_settings(db_url: str, redis_url: str, mirror_address: str = "",
                   overrides: Mapping[str, Any] | None = None) -> Settings:
    """Return the crawl settings with scrapy-redis scheduling on `redis_url`."""
    values = build_settings(db_url, mirror_address, overrides)
    prefix = values.get("TNMT_REDIS_PREFIX")
    pipelines = values.getdict("ITEM_PIPELINES")
    pipelines[values.get("TNMT_WORKER_STORE_PIPELINE")] = pipelines.pop(STORE_PIPELINE)
    values.setdict({**values.getdict("TNMT_REDIS_SCHEDULING"), "REDIS_URL": redis_url,
                    "SCHEDULER_QUEUE_KEY": f"{prefix}:%(spider)s:requests",
                    "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:%(spider)s:dupefilter",
                    "ITEM_PIPELINES": pipelines}, priority="cmdline")
    return values


def display_url(redis_url: str) -> str:
    """Return the Redis URL without its password, for messages and logs."""
    parts = urlsplit(redis_url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def connect(values: Settings) -> redis.Redis:
    """Return a client for the settings' REDIS_URL, checked with a ping."""
    url = values.get("REDIS_URL")
    try:
        server = connection.from_settings(values)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        raise RedisUnavailable(f"Redis at {display_url(url)}: {exc}") from exc
    return server


class Enqueuer:
    """Queues crawls of sources for the workers."""

    def __init__(self, values: Settings, store: Store | None = None):
        self.values = values
        self.store = store  # with one, young articles due a check are queued too
        self.server = connect(values)
        self.queue_class = load_object(values.get("SCHEDULER_QUEUE_CLASS"))

    def enqueue(self, source: Source) -> int:
        """Queue a crawl of `source`; return how many requests were queued, 0 when its
        queue still holds requests (the last crawl is still under way)."""
        spider = WorkerSpider(source)
        queue = self.queue_class(server=self.server, spider=spider,
                                 key=self.values.get("SCHEDULER_QUEUE_KEY"))
        if len(queue):
            log_event(logger, "crawl not queued: the last one is still queued",
                      source=source.id, queued=len(queue))
            return 0
        # A new crawl: pages fetched by the last one (listings) must be fetched again.
        self.server.delete(self.values.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": source.id})
        requests = list(spider.entry_requests())
        if self.store is not None:
            requests += spider.revisit_requests(self.store, CrawlMode.from_settings(self.values))
        for request in requests:
            queue.push(request)
        log_event(logger, "crawl queued", source=source.id, requests=len(requests))
        return len(requests)


def run_worker(sources: list[Source], store: Store, redis_url: str, *,
               mirror_address: str = "", overrides: Mapping[str, Any] | None = None) -> None:
    """Serve the sources' queues until SIGTERM or SIGINT (Scrapy stops the spiders cleanly:
    what is still queued stays in Redis)."""
    quiet_scrapy_redis()
    values = redis_settings(store.url, redis_url, mirror_address, overrides)
    configure_logging(values.get("TNMT_LOG_FORMAT"), values.get("LOG_LEVEL"))
    connect(values)
    store.sync_sources(sources)  # an upsert: workers and the daemon may run it at once
    process = CrawlerProcess(values)
    for source in sources:
        process.crawl(WorkerSpider, source=source,
                      max_articles=values.getint("TNMT_MAX_ARTICLES_PER_SOURCE"),
                      max_listing_pages=values.getint("TNMT_MAX_LISTING_PAGES"))
    log_event(logger, "worker started", sources=len(sources), redis=display_url(redis_url),
              db=store.display_url)
    process.start()
    shutdown_pools()
    log_event(logger, "worker stopped")
