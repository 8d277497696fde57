"""The real `tnmt daemon`, in a child process, on a seconds-level schedule, against throwaway
sites whose content changes between runs (pages fail, hang, recover; articles appear)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from test_spider import HOST, PARAGRAPH, Site, article_page, listing_page

from conftest import TNMT, run_tnmt
from crawler.crawl import build_settings
from crawler.daemon import DaemonConfig, maintenance
from crawler.mirror import MirrorServer
from crawler.registry import load_registry
from crawler.runner import CrawlCommand
from crawler.storage import CrawlRun, Store, now_utc

T = TypeVar("T")
# Every second: a run starts at most a second after the last one ended (a fire that comes
# while the source's crawl runs is skipped).
FAST = {"TNMT_SCHEDULE_OVERRIDE": "* * * * * *", "TNMT_DAEMON_JITTER": "0",
        "TNMT_DAEMON_REGISTRY_POLL": "1", "TNMT_DAEMON_GRACE": "1",
        "TNMT_DAEMON_STOP_TIMEOUT": "2"}


class Daemon:
    """A running `tnmt daemon` over a Site and the mirror serving it."""

    def __init__(self, site: Site, address: str, log: Path, settings: dict[str, str],
                 options: tuple[str, ...] = ()):
        options += tuple(arg for name, value in settings.items()
                         for arg in ("-s", f"{name}={value}"))
        self.log = log
        with log.open("a") as sink:
            self.process = subprocess.Popen(
                [*TNMT, "daemon", "--sources", str(site.sources), "--no-builtin", "--db", site.db,
                 "--mirror", address, *options], stderr=sink, stdout=sink, text=True)

    def stop(self, timeout: float = 20) -> float:
        """Send SIGTERM; return how long the daemon took to exit (it must exit 0)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        returncode = self.process.wait(timeout=timeout)
        assert returncode == 0, self.log.read_text()
        return time.monotonic() - started


@contextmanager
def running_daemon(site: Site, address: str, log: Path, options: tuple[str, ...] = (),
                   **settings: str) -> Iterator[Daemon]:
    """Start `tnmt daemon` with `options` and the FAST settings (`settings` added or
    overriding); kill it on the way out if the test has not stopped it."""
    daemon = Daemon(site, address, log, FAST | settings, options)
    try:
        yield daemon
    finally:
        if daemon.process.poll() is None:
            daemon.process.kill()
            daemon.process.wait()


def wait_for(condition: Callable[[], T], what: str, log: Path, timeout: float = 30) -> T:
    """Poll `condition` until it returns something true; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; daemon log:\n{log.read_text()[-4000:]}")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site(tmp_path)


def runs_of(store: Store, source_id: str = "snnmt_thu") -> list[CrawlRun]:
    """The source's runs, oldest first."""
    return sorted(store.runs(limit=1000, source_ids=[source_id]), key=lambda run: run.id)


def stored_urls(store: Store) -> list[str]:
    return sorted(article.url for article in store.articles())


def article_url(number: int) -> str:
    return f"https://{HOST}/tin/bai-{number}.html"


def publish(site: Site, numbers: range) -> None:
    """Write articles `numbers` and a listing page linking them all."""
    for number in numbers:
        site.write(f"tin/bai-{number}.html", article_page(number))
    site.write("tin-tuc/index.html", listing_page([f"/tin/bai-{n}.html" for n in numbers]))


def prepare(site: Site, numbers: range, failing: tuple[str, str]) -> tuple[Path, Store]:
    """Publish articles, inject one failure (a mirror sidecar file: name, content), register
    the source; return the daemon's log file and the database."""
    publish(site, numbers)
    site.write(*failing)
    site.register(f'start_urls = ["https://{HOST}/tin-tuc/"]')
    return site.sources.parent / "daemon.log", Store(site.db)


def add_source(site: Site, source_id: str, host: str, listing: str) -> None:
    """A second source on its own host whose one listing page is `listing`."""
    folder = site.sites / host / "tin-tuc"
    folder.mkdir(parents=True)
    (folder / "index.html").write_text(listing, encoding="utf-8")
    (site.sources / f"{source_id}.toml").write_text(
        f'id = "{source_id}"\nname = "Sở thử {source_id}"\nprovince = "Hà Tĩnh"\n'
        f'kind = "department"\nhomepage = "https://{host}/"\n[discovery]\n'
        f'start_urls = ["https://{host}/tin-tuc/"]\n'
        f"article_pattern = '^https://{host}/tin/[a-z0-9-]+\\.html$'\n", encoding="utf-8")


def health(site: Site) -> dict[str, dict[str, Any]]:
    result = run_tnmt("status", "--db", site.db, "--sources", str(site.sources), "--no-builtin",
                      "--format", "json", "-s", "TNMT_HEALTH_LAYOUT_RUNS=1", check=True)
    return {row["source_id"]: row for row in json.loads(result.stdout)}


def test_scheduled_runs_record_a_failure_its_recovery_and_each_new_article_once(
        site: Site) -> None:
    log, store = prepare(site, range(1, 3), failing=("tin-tuc/index.html.status", "500"))
    with MirrorServer(site.sites) as server, running_daemon(
            site, server.address, log, TNMT_DAEMON_MAX_CRAWLS="1") as daemon:
        wait_for(lambda: any(run.status == "failed" for run in runs_of(store)),
                 "a failed run while the listing page answers 500", log)
        (site.files / "tin-tuc/index.html.status").unlink()
        wait_for(lambda: len(stored_urls(store)) == 2, "the recovery storing 2 articles", log)
        publish(site, range(1, 4))
        # A source added to the registry while the daemon runs: found by the registry watch.
        add_source(site, "snnmt_rong", "snnmt.rong.gov.vn", listing_page([]))
        wait_for(lambda: len(stored_urls(store)) == 3, "the new article 3", log)
        wait_for(lambda: any(run.status == "ok" for run in runs_of(store, "snnmt_rong")),
                 "a run of the new source", log)
        daemon.stop()
    assert stored_urls(store) == [article_url(n) for n in (1, 2, 3)]
    runs = runs_of(store)
    first_failure = next(i for i, run in enumerate(runs) if run.status == "failed")
    assert runs[first_failure].messages.startswith(f"HTTP 500 at https://{HOST}/tin-tuc/")
    assert any(run.status == "ok" and run.new == 2 for run in runs[first_failure:])
    every_run = sorted(store.runs(limit=1000), key=lambda run: run.started_at)
    # Crawls follow each other every second: the one running when the test stops the daemon
    # (grace 1 s) may be cut short, and recorded as such.
    assert {run.status for run in every_run[:-1]} <= {"failed", "ok"}
    assert every_run[-1].status in {"failed", "ok", "interrupted"}
    for earlier, later in pairwise(every_run):
        assert earlier.finished_at is not None and earlier.finished_at <= later.started_at, (
            "TNMT_DAEMON_MAX_CRAWLS=1: no two crawls at once")
    states = health(site)
    assert states["snnmt_thu"]["state"] == "ok"
    assert states["snnmt_rong"]["state"] == "layout-changed"
    table = run_tnmt("runs", "--db", site.db, "--source", "snnmt_thu", "--limit", "100",
                     check=True).stdout
    assert "failed" in table and "HTTP 500 at" in table
    table = run_tnmt("status", "snnmt_rong", "--db", site.db, "--sources", str(site.sources),
                     "--no-builtin", "-s", "TNMT_HEALTH_LAYOUT_RUNS=1", check=True).stdout
    assert "layout-changed" in table and "1 run in a row found no readable article" in table


def stored_next_run(store: Store) -> float:
    """The crawl job's next run time (a Unix time) as the job store in the database keeps it."""
    with store.engine.connect() as connection:
        return connection.execute(text(
            "SELECT next_run_time FROM apscheduler_jobs WHERE id = 'snnmt_thu'")).scalar_one()


def next_run_after(store: Store, when: float) -> float | None:
    """The crawl job's next run time once it is later than `when`, else None."""
    next_run = stored_next_run(store)
    return next_run if next_run > when else None


def twice_a_minute(first: float, gap: int) -> str:
    """A six-field cron line firing each minute at the second of `first` (a Unix time, rounded
    up) and `gap` seconds later."""
    second = math.ceil(first) % 60
    return f"{second},{(second + gap) % 60} * * * * *"


def test_sigterm_mid_crawl_stops_within_grace_and_a_restart_runs_the_missed_run_once(
        site: Site) -> None:
    log, store = prepare(site, range(1, 6), failing=("tin/bai-4.html.delay", "60"))
    # Fires 5 s after the daemon is started (time to start), then 15 s later: that second
    # fire falls while the daemon is down, and the next is 45 s after it, far past the
    # restart's caught-up run. (A daemon slower to start, or still in the interrupted crawl
    # at the second fire, skips that fire: the test then takes 45 s longer.)
    schedule = twice_a_minute(time.time() + 5, 15)
    with MirrorServer(site.sites) as server:
        with running_daemon(site, server.address, log, TNMT_SCHEDULE_OVERRIDE=schedule) as daemon:
            wait_for(lambda: len(stored_urls(store)) == 4, "4 articles (bai-4 hangs)", log)
            took = daemon.stop()
        assert took < 1 + 2 + 3, f"exit took {took:.1f} s: grace 1 s + stop timeout 2 s"
        [interrupted] = runs_of(store)
        assert interrupted.status == "interrupted" and interrupted.finished_at is not None
        for article in store.articles():
            assert article.title.startswith("Tin số") and PARAGRAPH in article.body
        assert article_url(4) not in stored_urls(store)

        (site.files / "tin/bai-4.html.delay").unlink()
        missed = stored_next_run(store)
        time.sleep(max(0.0, missed + 1 - time.time()))
        with running_daemon(site, server.address, log, TNMT_SCHEDULE_OVERRIDE=schedule) as daemon:
            wait_for(lambda: len(runs_of(store)) == 2 and runs_of(store)[1].finished_at,
                     "the missed run, caught up at start", log)
            caught_up = runs_of(store)[1]
            next_fire = wait_for(lambda: next_run_after(store, missed),
                                 "the schedule to move past the missed run", log)
            daemon.stop()
    assert caught_up.status == "ok" and caught_up.new == 1
    # Caught up once, at start: not at the next regular fire (a restart that forgot would
    # wait for it), not twice.
    assert [run.id for run in runs_of(store)[1:]
            if run.started_at.timestamp() < next_fire] == [caught_up.id]
    assert stored_urls(store) == [article_url(n) for n in range(1, 6)]


def test_a_crawl_past_its_time_limit_is_stopped_and_recorded_as_timed_out(
        site: Site) -> None:
    log, store = prepare(site, range(1, 2), failing=("tin-tuc/index.html.delay", "60"))
    with MirrorServer(site.sites) as server, running_daemon(
            site, server.address, log, TNMT_DAEMON_TIME_LIMIT="3") as daemon:
        wait_for(lambda: "daemon started" in log.read_text(), "the daemon to start", log)
        os.kill(daemon.process.pid, signal.SIGHUP)
        run = wait_for(lambda: next((run for run in runs_of(store)
                                     if run.status == "timed_out"), None),
                       "a timed-out run", log)
        daemon.stop()
    assert run.messages.startswith("stopped after the time limit of 3 s")
    assert (run.finished_at - run.started_at).total_seconds() < 3 + 2 + 2
    assert log.read_text().count('msg="schedule loaded"') == 2  # at start and on SIGHUP
    assert f'msg="run finished" source=snnmt_thu run={run.id} status=timed_out' in log.read_text()
    assert store.count_articles() == 0


def test_maintenance_closes_runs_that_no_process_can_still_finish(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "t.db"))
    store.sync_sources(load_registry().select(["monre"]))
    orphan = store.start_run("monre", now_utc() - timedelta(hours=3))  # its daemon died
    current = store.start_run("monre")
    maintenance(store, DaemonConfig.from_settings(build_settings(store.url), (),
                                                  CrawlCommand(store.url)))
    closed, still_running = store.get_run(orphan), store.get_run(current)
    assert closed is not None and still_running is not None
    assert (closed.status, closed.messages) == ("interrupted", "no crawl process finished this run")
    assert still_running.status == "running"


@pytest.mark.parametrize(("setting", "error"), [
    ("TNMT_SCHEDULE_OVERRIDE=61 * * * *", "error: TNMT_SCHEDULE_OVERRIDE: Error validating "
                                          "expression '61'"),
    ("TNMT_LOG_FORMAT=xml", "error: TNMT_LOG_FORMAT: 'xml' is not one of kv, json"),
])
def test_a_daemon_with_a_bad_setting_refuses_to_start_naming_it(
        tmp_path: Path, setting: str, error: str) -> None:
    result = run_tnmt("daemon", "--db", str(tmp_path / "t.db"), "-s", setting, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().startswith(error)
