"""Extraction in worker processes (crawler/offload.py): the same result as inline, bounded
queueing, a dead worker replaced, and no worker outliving its crawl."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from conftest import RESOURCES, run_tnmt
from crawler.mirror import MirrorServer
from crawler.offload import ExtractionPool, PageResult, PageWork, StoryShape, process_page
from crawler.storage import Store

GOLD_PAGES = sorted((RESOURCES / "gold").glob("*/*.html"))
SHAPE = StoryShape(permutations=192, shingle_words=4, band_rows=3)
NOW = datetime(2026, 11, 23, tzinfo=UTC)


def work(path: Path) -> PageWork:
    return PageWork(path.read_bytes(), f"https://example.vn/{path.stem}.html", None, NOW,
                    SHAPE)


def run_in_pool(pool: ExtractionPool, works: list[PageWork]) -> list[PageResult]:
    async def run_all() -> list[PageResult]:
        return list(await asyncio.gather(*(pool.run(item) for item in works)))
    return asyncio.run(run_all())


@pytest.fixture
def pool() -> ExtractionPool:
    pool = ExtractionPool(workers=2, max_pending=3)
    yield pool
    pool.shutdown()


def test_a_worker_finds_what_inline_extraction_finds(pool: ExtractionPool) -> None:
    works = [work(path) for path in GOLD_PAGES[:6]]
    results = run_in_pool(pool, works)
    assert results == [process_page(item) for item in works]
    assert all(result.article and result.content_hash and result.fingerprint
               for result in results)
    workers = multiprocessing.active_children()
    assert workers and all(worker.pid != os.getpid() for worker in workers)


def test_at_most_max_pending_pages_are_in_the_workers_at_once(pool: ExtractionPool) -> None:
    async def watch() -> int:
        tasks = [asyncio.ensure_future(pool.run(work(path))) for path in GOLD_PAGES[:10]]
        most = 0
        while not all(task.done() for task in tasks):
            most = max(most, pool.in_flight)
            await asyncio.sleep(0.001)
        await asyncio.gather(*tasks)
        return most
    most = asyncio.run(watch())
    assert 1 <= most <= pool.max_pending
    assert pool.in_flight == 0


def test_the_pool_stops_its_workers_on_shutdown(pool: ExtractionPool) -> None:
    run_in_pool(pool, [work(GOLD_PAGES[0])])
    workers = multiprocessing.active_children()
    assert workers
    pool.shutdown()
    for worker in workers:
        worker.join(timeout=10)
    assert not any(worker.is_alive() for worker in workers)


def test_a_killed_worker_is_replaced_and_the_page_still_extracted(pool: ExtractionPool) -> None:
    run_in_pool(pool, [work(GOLD_PAGES[0])])
    for worker in multiprocessing.active_children():
        os.kill(worker.pid, signal.SIGKILL)
    time.sleep(0.5)
    [result] = run_in_pool(pool, [work(GOLD_PAGES[1])])
    assert result == process_page(work(GOLD_PAGES[1]))


def test_pages_in_work_when_a_worker_dies_are_extracted_by_new_workers(
        pool: ExtractionPool) -> None:
    works = [work(path) for path in GOLD_PAGES[:8]]

    async def kill_midway() -> list[PageResult]:
        tasks = [asyncio.ensure_future(pool.run(item)) for item in works]
        while pool.in_flight < pool.max_pending:
            await asyncio.sleep(0.001)
        for worker in multiprocessing.active_children():
            os.kill(worker.pid, signal.SIGKILL)
        return list(await asyncio.gather(*tasks))

    assert asyncio.run(kill_midway()) == [process_page(item) for item in works]


def test_a_page_that_breaks_extraction_is_an_error_not_a_crash() -> None:
    broken = PageWork(None, "https://example.vn/x.html", None, NOW, SHAPE)  # type: ignore[arg-type]
    result = process_page(broken)
    assert result.article is None and "Error" in result.error


CHILD = """
import asyncio, multiprocessing, sys, time
from datetime import UTC, datetime
from crawler.offload import ExtractionPool, PageWork, StoryShape
pool = ExtractionPool(workers=2, max_pending=2)
work = PageWork("<html><body><h1>Tiêu đề bài viết thử</h1><p>Nội dung.</p></body></html>".encode(),
                "https://example.vn/a.html", None, datetime.now(UTC), StoryShape(192, 4, 3))
asyncio.run(pool.run(work))
print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
time.sleep(120)
"""


def test_workers_die_with_a_killed_crawl() -> None:
    """kill -9 of the crawl leaves no orphaned extraction worker behind."""
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    pids = [int(pid) for pid in child.stdout.readline().split()]
    assert len(pids) == 2
    child.kill()
    child.wait(timeout=10)
    child.stdout.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    assert not any(alive(pid) for pid in pids)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not status.exists() or "zombie" not in status.read_text()


def test_a_crawl_stores_the_same_articles_with_workers_and_inline(
        mirror: MirrorServer, tmp_path: Path) -> None:
    stored = {}
    for workers in ("0", "2"):
        db = f"sqlite:///{tmp_path / f'workers-{workers}.db'}"
        run_tnmt("crawl", "baohatinh", "nongnghiepmoitruong", "--db", db, "--mirror",
                 mirror.address, "--set", f"TNMT_EXTRACT_WORKERS={workers}", check=True)
        with Store(db) as store:
            stored[workers] = sorted((row.url, row.title, row.body, row.content_hash,
                                      row.published_at) for row in store.articles())
    assert stored["2"] and stored["2"] == stored["0"]
