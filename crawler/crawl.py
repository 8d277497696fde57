"""Runs the spider for a set of sources in this process and reports what each crawl did."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scrapy import signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as tnmt_settings
from crawler.logs import LOGGER_NAME, configure_logging, log_event
from crawler.offload import shutdown_pools
from crawler.registry import Source
from crawler.runs import dropped_reasons, run_counts, run_status
from crawler.storage import RunCounts, Store
from spiders.source_spider import SourceSpider

logger = logging.getLogger(f"{LOGGER_NAME}.crawl")

MIRROR_HANDLER = "crawler.mirror.handler.MirrorDownloadHandler"
CRAWL_GC_THRESHOLDS = (20_000, 10, 10)  # Python's defaults: (700, 10, 10)


@dataclass(frozen=True)
class CrawlResult:
    """What the crawl of one source did."""

    source_id: str
    status: str
    counts: RunCounts
    messages: tuple[str, ...]
    dropped: tuple[tuple[str, int], ...] = ()


def build_settings(db_url: str, mirror_address: str = "",
                   overrides: Mapping[str, Any] | None = None) -> Settings:
    """Return Scrapy settings from crawler.settings, for `db_url`, optionally on the mirror."""
    scrapy_settings = Settings()
    scrapy_settings.setmodule(tnmt_settings, priority="project")
    scrapy_settings.set("TNMT_DB_URL", db_url, priority="cmdline")
    if mirror_address:
        # The mirror is ours and local: no need to be gentle with it.
        handlers = {**scrapy_settings.getdict("DOWNLOAD_HANDLERS"),
                    "http": MIRROR_HANDLER, "https": MIRROR_HANDLER}
        scrapy_settings.setdict({"TNMT_MIRROR_ADDRESS": mirror_address,
                                 "DOWNLOAD_HANDLERS": handlers,
                                 "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0,
                                 "RETRY_TIMES": 0}, priority="cmdline")
    scrapy_settings.setdict(dict(overrides or {}), priority="cmdline")
    if mirror_address and "CONCURRENT_REQUESTS" not in (overrides or {}):
        # Each crawler's requests all go to one host, the mirror: no more than the
        # per-domain number at once. With no download delay, Scrapy 2.19 on the asyncio
        # reactor starts a slot's queued requests before counting them against the
        # per-domain limit, so CONCURRENT_REQUESTS (16) ran at once: a connection pool kept
        # at the per-domain size closed and reopened a connection for most pages, and every
        # source held 16 pages of 100+ KB (bytes and text) waiting for the extraction
        # workers.
        scrapy_settings.set("CONCURRENT_REQUESTS",
                            scrapy_settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
                            priority="cmdline")
    return scrapy_settings


def run_crawl(sources: list[Source], store: Store, *, mirror_address: str = "",
              overrides: Mapping[str, Any] | None = None,
              console: Console | None = None) -> list[CrawlResult]:
    """Crawl every source at once (one Scrapy crawler each); return one result per source.

    Runs the Twisted reactor, so it can be called once per process.
    """
    store.sync_sources(sources)
    crawl_settings = build_settings(store.url, mirror_address, overrides)
    # Our structured lines on stderr instead of Scrapy's own root handler.
    configure_logging(crawl_settings.get("TNMT_LOG_FORMAT"), crawl_settings.get("LOG_LEVEL"))
    process = CrawlerProcess(crawl_settings)
    crawlers: list[tuple[Source, Crawler]] = []
    for source in sources:
        crawler = process.create_crawler(SourceSpider)
        process.crawl(crawler, source=source,
                      max_articles=crawl_settings.getint("TNMT_MAX_ARTICLES_PER_SOURCE"),
                      max_listing_pages=crawl_settings.getint("TNMT_MAX_LISTING_PAGES"))
        crawlers.append((source, crawler))
    # What exists now (modules, settings, the crawlers) lives as long as the process: out of
    # the garbage collector's sight, a collection no longer walks it (pages make garbage fast).
    gc.collect()
    gc.freeze()
    # A crawl allocates far more objects than it keeps (requests, responses, deferreds), and
    # holds thousands of queued requests that every full collection walks: at Python's
    # default thresholds the collector took a fifth of the crawl process's CPU (5.3 s for
    # 5,000 pages, BENCHMARKS.md "Throughput"); collecting 30 times less often, 0.7 s.
    gc.set_threshold(*CRAWL_GC_THRESHOLDS)
    with _progress(crawlers, console or Console(stderr=True)):
        process.start()
    shutdown_pools()
    results = [_result(source, crawler) for source, crawler in crawlers]
    for result in results:
        log_event(logger, "crawl finished", source=result.source_id, status=result.status,
                  **result.counts.__dict__)
    return results


def _result(source: Source, crawler: Crawler) -> CrawlResult:
    assert crawler.stats is not None
    counts = run_counts(crawler)
    spider = crawler.spider
    reason = crawler.stats.get_value("finish_reason", "not started")
    status = run_status(reason, counts) if spider else "failed"
    return CrawlResult(source.id, status, counts, tuple(getattr(spider, "error_messages", ())),
                       tuple(dropped_reasons(crawler)))


@contextmanager
def _progress(crawlers: list[tuple[Source, Crawler]], console: Console) -> Iterator[None]:
    """Show one live line per source: pages fetched, articles new, dropped, duplicates
    (on a terminal only: under cron or the daemon the log lines say it)."""
    if not console.is_terminal:
        yield
        return
    progress = Progress(TextColumn("{task.description:<28}"), BarColumn(bar_width=None),
                        TextColumn("{task.fields[summary]}"), TimeElapsedColumn(),
                        console=console, transient=False)
    for source, crawler in crawlers:
        task = progress.add_task(source.id, total=None, summary="starting")

        def update(*_args: Any, crawler: Crawler = crawler, task: Any = task, **_kw: Any) -> None:
            counts = run_counts(crawler)
            progress.update(task, summary=(
                f"{counts.pages} pages, {counts.new} new, {counts.duplicates} dup, "
                f"{counts.dropped} dropped, {counts.errors} errors"))

        def finish(*_args: Any, task: Any = task, **_kw: Any) -> None:
            progress.update(task, total=1, completed=1)

        for signal in (signals.response_received, signals.item_scraped, signals.item_dropped):
            crawler.signals.connect(update, signal=signal, weak=False)
        crawler.signals.connect(update, signal=signals.spider_closed, weak=False)
        crawler.signals.connect(finish, signal=signals.spider_closed, weak=False)
    with progress:
        yield
