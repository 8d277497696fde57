"""The CPU-heavy work on a fetched page (extraction, content hash, story fingerprint), run in a
pool of worker processes so that the reactor keeps fetching while the cores extract.

Extraction costs tens of milliseconds of CPU per real page, fetching from a nearby server far
less: run inline in a pipeline, it would block the single-threaded reactor and leave the other
cores idle. `process_page` is a pure function of picklable values, so it runs the same in a
worker process (`ExtractionPool`) or inline (TNMT_EXTRACT_WORKERS = 0), and the benchmark's
sequential loop (bench/throughput.py) times exactly what the workers do.
"""

from __future__ import annotations

import asyncio
import atexit
import ctypes
import gc
import itertools
import logging
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from crawler import settings
from crawler.article import Article, content_hash
from crawler.extraction import article_in_tree, page_text, parse_html
from crawler.registry import Source
from crawler.relevance import breadcrumb_paths
from crawler.stories import Fingerprint, fingerprint, story_text

logger = logging.getLogger(__name__)

WORKER_GC_THRESHOLDS = (700, 10, 10)  # Python's defaults
WORKER_TRIM_PAGES = 50


@dataclass(frozen=True)
class StoryShape:
    """How story fingerprints are taken (TNMT_STORY_* settings)."""

    permutations: int
    shingle_words: int
    band_rows: int


@dataclass(frozen=True)
class PageWork:
    """A fetched page and what its extraction needs; sent to a worker process."""

    body: bytes  # decoded in the worker: bytes cost the crawl process no decoding or pickling
    url: str
    source: Source | None
    fetched_at: datetime
    story_shape: StoryShape
    date_hint: datetime | None = None
    encoding: str = "utf-8"  # the response's (Scrapy's TextResponse.encoding)
    fallback_encoding: str = settings.TNMT_FALLBACK_ENCODING


@dataclass(frozen=True)
class PageResult:
    """What a worker found in a page: no article, or the article with its hash and fingerprint."""

    article: Article | None
    categories: tuple[str, ...] = ()
    content_hash: str = ""
    fingerprint: Fingerprint | None = None
    error: str = ""  # the exception that stopped the extraction (a hostile page)


def process_page(work: PageWork) -> PageResult:
    """Extract the page's article, its breadcrumb categories, content hash and fingerprint."""
    try:
        html = page_text(work.body, work.encoding, work.fallback_encoding)
        tree = parse_html(html)
        if tree is None:
            return PageResult(None)
        categories = breadcrumb_paths(tree, work.url)  # before extraction strips boxes
        article = article_in_tree(tree, html, work.url, source=work.source,
                                  now=work.fetched_at, date_hint=work.date_hint)
        if article is None:
            return PageResult(None)
        shape = work.story_shape
        return PageResult(
            article, categories, content_hash(article),
            fingerprint(story_text(article), permutations=shape.permutations,
                        shingle_words=shape.shingle_words, band_rows=shape.band_rows))
    except Exception as exc:  # a hostile page must not stop the crawl of the others
        return PageResult(None, error=repr(exc)[:500])


def worker_process_page(work: PageWork) -> PageResult:
    """process_page in a worker process, which gives the memory its pages freed back to the
    system every WORKER_TRIM_PAGES pages: freed lxml trees leave holes in the C heap that the
    worker would otherwise keep (3 to 5 MB a worker at the end of 5,000 pages)."""
    result = process_page(work)
    if next(_pages_done) % WORKER_TRIM_PAGES == 0:
        release_free_memory()
    return result


_pages_done = itertools.count(1)  # by this process


def release_free_memory() -> None:
    """Return the C heap's free pages to the system (glibc's malloc_trim; elsewhere a no-op)."""
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except AttributeError:  # a C library other than glibc
        return None


_malloc_trim = _find_malloc_trim()


class ExtractionPool:
    """Worker processes running `process_page`, awaited from the reactor's asyncio loop.

    At most `max_pending` pages are queued or in work at once: a pipeline awaiting a slot holds
    its response, so Scrapy's scraper stops taking new ones (SCRAPER_SLOT_MAX_ACTIVE_SIZE) and
    memory stays bounded whatever the crawl's size.
    """

    def __init__(self, workers: int, max_pending: int):
        self.workers = workers
        self.max_pending = max_pending
        self.in_flight = 0  # pages handed to the workers and not yet back
        self._executor: ProcessPoolExecutor | None = None
        self._slots: asyncio.Semaphore | None = None

    async def run(self, work: PageWork) -> PageResult:
        """Return `process_page(work)`, computed in a worker process."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_pending)
        async with self._slots:
            self.in_flight += 1
            executor = self._pool()
            try:
                return await self._submit(executor, work)
            except BrokenProcessPool:
                # A worker died (killed, out of memory): start new ones and try once more.
                # Every page in the broken pool lands here; the first replaces the pool.
                if self._executor is executor:
                    logger.warning("an extraction worker died; starting new ones")
                    self._executor = None
                    executor.shutdown(wait=False, cancel_futures=True)
                return await self._submit(self._pool(), work)
            finally:
                self.in_flight -= 1

    @staticmethod
    async def _submit(executor: ProcessPoolExecutor, work: PageWork) -> PageResult:
        return await asyncio.wrap_future(executor.submit(worker_process_page, work))

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            # Imported before the fork, so that the workers share one copy (scipy comes with
            # datasketch: 45 MB that each worker would otherwise load on its own).
            import datasketch  # noqa: F401

            self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                                 initializer=_worker_init,
                                                 initargs=(os.getpid(),))
        return self._executor

    def shutdown(self) -> None:
        """Stop the workers once their pages are done (nothing is queued then: every caller
        awaits its page)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _context() -> multiprocessing.context.BaseContext:
    # fork: a worker starts at once with the parent's modules imported (trafilatura, lxml
    # take a second to import) and shares their memory; it only ever runs process_page.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    return multiprocessing.get_context(method)


def _worker_init(parent_pid: int) -> None:
    """Make a worker die with its crawl, leave Ctrl-C and SIGTERM to the crawl process (which
    stops the pool once its pages are done), and keep the memory it shares with the crawl."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the crawl died before prctl took effect
            os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # The crawl's objects, inherited at fork, are out of this process's garbage collections:
    # a collection writes to every object it scans, copying the pages shared with the crawl.
    gc.freeze()
    # Python's own thresholds, not the crawl's rarer collections (crawler/crawl.py): a page's
    # garbage cycles hold its lxml tree, megabytes that would pile up between collections.
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


_pools: dict[int, ExtractionPool] = {}


def shared_pool(workers: int, max_pending: int) -> ExtractionPool:
    """Return this process's one pool of `workers` processes (every source's crawler uses it:
    the cores are shared, not the sources)."""
    if workers not in _pools:
        _pools[workers] = ExtractionPool(workers, max_pending)
    return _pools[workers]


@atexit.register
def shutdown_pools() -> None:
    """Stop every pool's workers (run_crawl calls it when the reactor stops)."""
    for pool in _pools.values():
        pool.shutdown()
    _pools.clear()
