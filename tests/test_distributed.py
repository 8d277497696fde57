"""Distributed crawling on a real Redis: `tnmt daemon --redis` queues the crawls, two
`tnmt worker` processes share them and store into one database; one is killed mid-crawl.

Needs TNMT_TEST_REDIS_URL (.ci/run sets it); every key a test writes carries its own
prefix, and only those keys are deleted afterwards."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis
from receivers import WebhookReceiver
from sqlalchemy import func, select
from test_alerts_crawl import PLANTED, plant
from test_spider import HOST, Site
from test_storage import make_article

from conftest import POSTGRES_URL, TNMT, empty_store, run_tnmt
from crawler.mirror import MirrorServer
from crawler.registry import load_registry
from crawler.storage import ArticleRecord, Store

REDIS_URL = os.environ.get("TNMT_TEST_REDIS_URL", "")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="distributed crawling tests need a Redis "
                                "server: set TNMT_TEST_REDIS_URL (.ci/run sets it)")
ARTICLES = 520
VOCABULARY = ("môi trường nước thải khu công nghiệp quan trắc đất đai khoáng sản rừng ngập mặn "
              "biến đổi khí hậu tài nguyên sông ngòi rác thải nhựa chất lượng không khí kiểm "
              "tra doanh nghiệp xử lý vi phạm giấy phép báo cáo định kỳ tỉnh huyện xã hội nghị")
WORDS = VOCABULARY.split()


def article_page(number: int) -> str:
    """An article whose words are its own (no two pages are near-duplicates)."""
    words = random.Random(number).choices(WORDS, k=240)
    paragraphs = "".join(f"<p>{' '.join(words[i:i + 60])}.</p>" for i in range(0, 240, 60))
    return (f"<html><head><meta charset='utf-8'><title>Tin {number}</title></head><body>"
            f"<article><h1>Tin số {number}: {' '.join(words[:8])}</h1>"
            f"<p class='date'>08:30, {number % 28 + 1:02d}/03/2025</p>{paragraphs}</article>"
            "</body></html>")


def sitemap(numbers: range) -> str:
    urls = "".join(f"<url><loc>https://{HOST}/tin/bai-{n}.html</loc></url>" for n in numbers)
    return ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"{urls}</urlset>")


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of the test's own; its keys are deleted afterwards."""
    name = f"tnmt-test-{uuid.uuid4().hex[:12]}"
    yield name
    server = redis.Redis.from_url(REDIS_URL)
    for key in server.scan_iter(f"{name}:*"):
        server.delete(key)


@pytest.fixture
def big_site(tmp_path: Path) -> Site:
    site = Site(tmp_path)
    for number in range(ARTICLES):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.write("sitemap.xml", sitemap(range(ARTICLES)))
    site.register(f'sitemaps = ["https://{HOST}/sitemap.xml"]')
    if POSTGRES_URL:
        store = empty_store("postgresql", tmp_path)
        site.db = store.url
        store.close()
    return site


def start(args: list[str], log: Path) -> subprocess.Popen[str]:
    with log.open("a") as sink:
        return subprocess.Popen([*TNMT, *args], stdout=sink, stderr=sink, text=True)


def options(**settings: str) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def fetched_articles(server: MirrorServer) -> int:
    return len({path for path, status in server.request_log
                if path.startswith(f"/{HOST}/tin/") and status == 200})


def wait_for(condition: Callable[[], object], what: str, deadline: float, logs: Path,
             progress: Callable[[], object] = str) -> None:
    """Wait until `condition` holds; past the deadline, fail with the logs and `progress`."""
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what} (at the end: {progress()}); logs:\n"
                         + "\n".join(log.read_text()[-3000:] for log in logs.glob("*.log")))


def logged(log: Path, line: str, times: int) -> Callable[[], bool]:
    """A condition: `line` is in the log `times` times."""
    return lambda: log.read_text().count(line) == times


@needs_redis
def test_two_workers_share_a_crawl_and_one_killed_loses_nothing(
        big_site: Site, prefix: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    common = ["snnmt_thu", "--sources", str(big_site.sources), "--no-builtin",
              "--db", big_site.db, "--redis", REDIS_URL]
    store = Store(big_site.db)
    request.addfinalizer(store.close)

    def stored() -> int:
        with store.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(ArticleRecord)).scalar_one()

    deadline = time.monotonic() + 90
    with ExitStack() as stack:
        # Each worker reads the site through its own mirror server: their logs tell who
        # fetched what.
        mirrors = [stack.enter_context(MirrorServer(big_site.sites)) for _ in range(2)]
        logs = [tmp_path / f"worker-{index}.log" for index in range(2)]
        workers = [start(["worker", *common, "--mirror", mirror.address,
                          *options(TNMT_REDIS_PREFIX=prefix, TNMT_MAX_ARTICLES_PER_SOURCE="5000",
                                   CONCURRENT_REQUESTS_PER_DOMAIN="8")], log)
                   for mirror, log in zip(mirrors, logs, strict=True)]
        for process in workers:
            stack.callback(stop, process)
        # The crawl is queued once both take requests: a worker still starting when it is
        # queued would find the other one done with it (a busy machine starts slowly).
        for log in logs:
            wait_for(logged(log, "serving the queue", 1), f"{log.stem} to open its queue",
                     deadline, tmp_path)
        daemon = start(["daemon", *common, *options(
            TNMT_REDIS_PREFIX=prefix, TNMT_SCHEDULE_OVERRIDE="*/3 * * * * *",
            TNMT_DAEMON_JITTER="0")], tmp_path / "daemon.log")
        stack.callback(stop, daemon)
        # Worker 1 is killed (no chance to clean up) once it has done more than a quarter.
        wait_for(lambda: fetched_articles(mirrors[1]) >= ARTICLES * 0.3,
                 "worker 1 to fetch 30% of the articles", deadline, tmp_path,
                 lambda: f"articles fetched by each worker {list(map(fetched_articles, mirrors))}")
        workers[1].send_signal(signal.SIGKILL)
        workers[1].wait()
        at_kill = stored()
        wait_for(lambda: stored() >= ARTICLES, "every article stored", deadline, tmp_path)
        time.sleep(1)  # anything stored twice would show now
    assert at_kill < ARTICLES, "the crawl was over before the kill"
    with store.engine.connect() as connection:
        urls = connection.execute(select(ArticleRecord.url)).scalars().all()
    assert len(urls) == len(set(urls)) == ARTICLES
    assert {url.rsplit("/", 1)[1] for url in urls} == {f"bai-{n}.html" for n in range(ARTICLES)}
    shares = [fetched_articles(mirror) for mirror in mirrors]
    assert min(shares) >= ARTICLES / 4, shares


@needs_redis
def test_an_idle_worker_takes_a_queued_crawl_within_its_poll_interval(
        tmp_path: Path, prefix: str) -> None:
    site = Site(tmp_path)
    for number in range(3):
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.write("sitemap.xml", sitemap(range(3)))
    site.register(f'sitemaps = ["https://{HOST}/sitemap.xml"]')
    common = ["snnmt_thu", "--sources", str(site.sources), "--no-builtin", "--redis", REDIS_URL,
              "-s", f"TNMT_REDIS_PREFIX={prefix}"]
    log = tmp_path / "worker.log"
    with ExitStack() as stack:
        mirror = stack.enter_context(MirrorServer(site.sites))
        worker = start(["worker", *common, "--db", site.db, "--mirror", mirror.address,
                        "-s", "TNMT_WORKER_IDLE_POLL_SECONDS=0.5"], log)
        stack.callback(stop, worker)
        wait_for(logged(log, "serving the queue", 1), "the worker to open its queue",
                 time.monotonic() + 30, tmp_path)

        def sitemap_fetches() -> int:
            return sum(path.endswith("/sitemap.xml") for path, _ in mirror.request_log)

        # Scrapy's engine looks at an idle spider's queue every 5 s: four crawls taken
        # within 2.5 s each would happen once in 16 times.
        for crawl in range(1, 5):
            run_tnmt("crawl", *common, check=True)
            wait_for(lambda crawl=crawl: sitemap_fetches() == crawl, f"crawl {crawl} to be taken",
                     time.monotonic() + 2.5, tmp_path, sitemap_fetches)
            wait_for(lambda: fetched_articles(mirror) == 3, "the articles",
                     time.monotonic() + 30, tmp_path)


@needs_redis
def test_crawl_redis_queues_a_crawl_once_until_the_workers_take_it(
        big_site: Site, prefix: str) -> None:
    args = ["crawl", "snnmt_thu", "--sources", str(big_site.sources), "--no-builtin",
            "--redis", REDIS_URL, "-s", f"TNMT_REDIS_PREFIX={prefix}"]
    first = run_tnmt(*args, check=True)
    assert "snnmt_thu" in first.stdout and "│               1 │" in first.stdout, first.stdout
    queue = redis.Redis.from_url(REDIS_URL).zrange(f"{prefix}:snnmt_thu:requests", 0, -1)
    assert len(queue) == 1 and b"sitemap.xml" in queue[0] and b"parse_sitemap" in queue[0]
    again = run_tnmt(*args, check=True)
    assert "0 (last crawl still queued)" in again.stdout, again.stdout


@needs_redis
def test_crawl_redis_with_a_database_queues_the_revisits_due_too(
        big_site: Site, prefix: str) -> None:
    young = f"https://{HOST}/tin/bai-7.html"
    with Store(big_site.db) as store:
        store.sync_sources(load_registry([big_site.sources], builtin=False).values())
        store.add_article(make_article(young), source_id="snnmt_thu", content_hash="h7",
                          run_id=None, aliases=[])
    run_tnmt("crawl", "snnmt_thu", "--sources", str(big_site.sources), "--no-builtin",
             "--redis", REDIS_URL, "--db", big_site.db, "-s", f"TNMT_REDIS_PREFIX={prefix}",
             "-s", "TNMT_REVISIT_MAX_AGE_DAYS=100000", "-s", "TNMT_REVISIT_INTERVAL_HOURS=0",
             check=True)
    queue = redis.Redis.from_url(REDIS_URL).zrange(f"{prefix}:snnmt_thu:requests", 0, -1)
    assert len(queue) == 2, queue  # the sitemap, and the stored article due a check
    [revisit] = [item for item in queue if young.encode() in item]
    assert b"parse_article" in revisit


@needs_redis
def test_worker_alerts_each_matching_article_of_a_batch_once(
        tmp_path: Path, prefix: str, request: pytest.FixtureRequest) -> None:
    site = Site(tmp_path)
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    plant(site, list(PLANTED))  # 1 and 4 name "khoáng sản", 2 "thu hồi đất", 3 neither
    store = Store(site.db)
    request.addfinalizer(store.close)
    common = ["snnmt_thu", "--sources", str(site.sources), "--no-builtin", "--redis", REDIS_URL,
              "-s", f"TNMT_REDIS_PREFIX={prefix}"]
    deadline, log = time.monotonic() + 40, tmp_path / "worker.log"
    with ExitStack() as stack:
        hook = stack.enter_context(WebhookReceiver())
        mirror = stack.enter_context(MirrorServer(site.sites))
        rules = tmp_path / "alerts.toml"
        rules.write_text('[[articles]]\nname = "dat-dai"\nkeywords = ["khoáng sản", '
                         f'"thu hồi đất"]\nnotify = ["{hook.url}"]\n', encoding="utf-8")
        worker = start(["worker", *common, "--db", site.db, "--mirror", mirror.address,
                        "--alerts", str(rules)], log)
        stack.callback(stop, worker)
        for crawl in (1, 2):  # the second crawl stores nothing new: no alert again
            run_tnmt("crawl", *common, check=True)
            wait_for(logged(log, "alerts delivered", crawl), f"the alerts of batch {crawl}",
                     deadline, tmp_path)
            assert sorted(alert["url"].rsplit("/", 1)[1] for alert in hook.alerts()) == [
                "bai-1.html", "bai-2.html", "bai-4.html"], (crawl, hook.alerts())
    assert {alert["rule"] for alert in hook.alerts()} == {"dat-dai"}
    assert len(store.articles()) == 4
    assert [run.new for run in store.runs(source_ids=["snnmt_thu"])] == [0, 4]


@pytest.mark.parametrize("seconds", ["soon", "0"])
def test_a_worker_refuses_a_bad_poll_interval_in_one_line(big_site: Site, seconds: str) -> None:
    result = run_tnmt("worker", "snnmt_thu", "--sources", str(big_site.sources), "--no-builtin",
                      "--redis", "redis://127.0.0.1:1/0",
                      "-s", f"TNMT_WORKER_IDLE_POLL_SECONDS={seconds}")
    assert result.returncode == 1
    assert result.stderr == ("error: TNMT_WORKER_IDLE_POLL_SECONDS: "
                             f"'{seconds}' is not a number of seconds above 0\n"), result.stderr


def test_unreachable_redis_is_one_line_error(big_site: Site) -> None:
    result = run_tnmt("crawl", "snnmt_thu", "--sources", str(big_site.sources), "--no-builtin",
                      "--redis", "redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert result.stderr.startswith("error: Redis at redis://127.0.0.1:1/0: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
