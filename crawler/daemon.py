"""`tnmt daemon`: crawls every source on its schedule until it is told to stop.

Wiring only: the schedule and the scheduler come from scheduler.py, the job store is a
SQLAlchemyJobStore in the project's database (the schedule survives a restart), and each
crawl runs in a child process through crawler/runner.py. Signals: SIGHUP re-reads the
registry (so do changed registry files, polled); SIGTERM/SIGINT stop scheduling, give running
crawls a grace period, then stop them, and the daemon exits 0.

Alerts: with a rules file, every child crawl queues and sends its own alerts; the daemon
queues again after each child (so the articles and health of a child that was killed or
timed out are not missed; the outbox takes each alert once) and retries the outbox in its
periodic maintenance job. With --redis, the workers queue them after each batch
(pipelines/worker_store.py).
"""

from __future__ import annotations

import logging
import signal
import threading
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

from crawler.alert_rules import AlertRules
from crawler.alerts import DEFAULT_RETRY, Retry, alert_after_runs, deliver_pending
from crawler.distributed import Enqueuer
from crawler.health import DEFAULT_THRESHOLDS, Thresholds
from crawler.logs import LOGGER_NAME, log_event
from crawler.registry import BUILTIN_SOURCES_DIR, Registry, RegistryError, load_registry
from crawler.runner import ChildRunner, CrawlCommand
from crawler.storage import Store, now_utc
from scheduler import CRAWLS, INTERNAL, build_scheduler, job_specs, sync_jobs

logger = logging.getLogger(f"{LOGGER_NAME}.daemon")
JOB_FUNCTION = f"{__name__}:run_scheduled_crawl"
JOBS_TABLE = "apscheduler_jobs"


@dataclass(frozen=True)
class DaemonConfig:
    """What the daemon needs, read once from the options and settings."""

    source_ids: tuple[str, ...]  # only these sources (all enabled ones when empty)
    command: CrawlCommand
    max_crawls: int
    jitter: int
    misfire_grace: int
    time_limit: float
    stop_timeout: float
    grace: float
    registry_poll: float
    maintenance_interval: float
    schedule_override: str
    alert_rules: AlertRules | None = None  # None: no alerts
    alert_retry: Retry = DEFAULT_RETRY
    health: Thresholds = DEFAULT_THRESHOLDS  # when a source's health changes, for health alerts
    enqueuer: Enqueuer | None = None  # queue crawls in Redis for workers instead of running them

    @classmethod
    def from_settings(cls, values: Any, source_ids: tuple[str, ...], command: CrawlCommand,
                      alert_rules: AlertRules | None = None,
                      enqueuer: Enqueuer | None = None) -> DaemonConfig:
        """Read the TNMT_DAEMON_* (and alert retry) settings from a Scrapy Settings object."""
        return cls(source_ids, command,
                   max_crawls=values.getint("TNMT_DAEMON_MAX_CRAWLS"),
                   jitter=values.getint("TNMT_DAEMON_JITTER"),
                   misfire_grace=values.getint("TNMT_DAEMON_MISFIRE_GRACE"),
                   time_limit=values.getfloat("TNMT_DAEMON_TIME_LIMIT"),
                   stop_timeout=values.getfloat("TNMT_DAEMON_STOP_TIMEOUT"),
                   grace=values.getfloat("TNMT_DAEMON_GRACE"),
                   registry_poll=values.getfloat("TNMT_DAEMON_REGISTRY_POLL"),
                   maintenance_interval=values.getfloat("TNMT_DAEMON_MAINTENANCE_INTERVAL"),
                   schedule_override=values.get("TNMT_SCHEDULE_OVERRIDE"),
                   alert_rules=alert_rules,
                   alert_retry=Retry.from_settings(values),
                   health=Thresholds.from_settings(values), enqueuer=enqueuer)


# --- the two places to extend -----------------------------------------------------------------

def after_run(store: Store, run_id: int) -> None:
    """Called once for every crawl run the daemon saw end, whatever its status."""
    run = store.get_run(run_id)
    if run is None:
        return
    first_message = run.messages.split("\n", 1)[0] if run.messages else ""
    log_event(logger, "run finished", source=run.source_id, run=run.id, status=run.status,
              pages=run.pages, new=run.new, updated=run.updated, duplicates=run.duplicates,
              dropped=run.dropped, errors=run.errors, first_message=first_message)


def maintenance(store: Store, config: DaemonConfig) -> None:
    """The periodic job: closes runs left "running" by a crawl process that died with its
    daemon (started longer ago than any child may live; a hand-started `tnmt crawl` running
    that long is closed too)."""
    longest = timedelta(seconds=config.time_limit + config.stop_timeout + config.grace)
    orphans = store.open_runs_older_than(now_utc() - longest)
    if orphans:
        store.mark_runs(orphans, "interrupted", "no crawl process finished this run")
        log_event(logger, "closed orphan runs", runs=",".join(map(str, orphans)))


# --- the daemon -------------------------------------------------------------------------------

_running: Daemon | None = None  # the daemon of this process, which stored jobs call back into


def run_scheduled_crawl(source_id: str) -> None:
    """The stored crawl job (APScheduler calls it by name): crawl one source."""
    if _running is None:
        raise RuntimeError("no daemon is running in this process")
    _running.crawl(source_id)


def registry_stamp(command: CrawlCommand) -> tuple[tuple[str, int, int], ...]:
    """Return what changes when a registry file is added, removed or edited."""
    dirs = [*([BUILTIN_SOURCES_DIR] if command.builtin else []), *map(Path, command.source_dirs)]
    stamp = []
    for path in sorted(path for directory in dirs for path in directory.glob("*.toml")):
        with suppress(FileNotFoundError):  # removed since the glob: the next poll sees it
            stat = path.stat()
            stamp.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(stamp)


class Daemon:
    def __init__(self, store: Store, config: DaemonConfig):
        self.store = store
        self.config = config
        self.registry: Registry | None = None  # the registry as last loaded
        self.runner = ChildRunner(store, config.command, config.time_limit,
                                  config.stop_timeout)
        self.scheduler = build_scheduler(
            SQLAlchemyJobStore(engine=store.engine, tablename=JOBS_TABLE),
            config.max_crawls, config.misfire_grace)
        self.stop_requested = threading.Event()
        self.reload_requested = threading.Event()
        self._reload_lock = threading.Lock()
        self._stamp: tuple[tuple[str, int, int], ...] = ()

    def crawl(self, source_id: str) -> None:
        if self.config.enqueuer is not None and self.registry is not None:
            self.config.enqueuer.enqueue(self.registry[source_id])  # the workers crawl it
            return
        started = now_utc()
        result = self.runner.run(source_id)
        for run_id in result.run_ids:
            after_run(self.store, run_id)
        rules, registry = self.config.alert_rules, self.registry
        if rules is not None and registry is not None:
            alert_after_runs(self.store, rules, registry, started, [source_id], now_utc(),
                             self.config.alert_retry, self.config.health)

    def maintain(self) -> None:
        """The periodic job: maintenance, then the alerts still due in the outbox."""
        maintenance(self.store, self.config)
        if self.config.alert_rules is not None:
            deliver_pending(self.store, now_utc(), self.config.alert_retry)

    def load_schedule(self) -> None:
        """Read the registry and make the stored jobs match it."""
        with self._reload_lock:
            self._stamp = registry_stamp(self.config.command)
            registry = load_registry(map(Path, self.config.command.source_dirs),
                                     builtin=self.config.command.builtin)
            self.store.sync_sources(registry.values())  # an upsert: workers may run it too
            self.registry = registry
            specs = job_specs(registry, self.config.source_ids, self.config.schedule_override,
                              self.config.jitter)
            changes = sync_jobs(self.scheduler, specs, JOB_FUNCTION, self.config.misfire_grace)
        log_event(logger, "schedule loaded", jobs=len(specs), added=",".join(changes.added),
                  removed=",".join(changes.removed), rescheduled=",".join(changes.rescheduled))

    def reload(self) -> None:
        """Re-read the registry; a broken file leaves the schedule as it was."""
        try:
            self.load_schedule()
        except RegistryError as exc:
            log_event(logger, "registry not reloaded", logging.ERROR, error=str(exc))

    def watch_registry(self) -> None:
        if registry_stamp(self.config.command) != self._stamp:
            self.reload()

    def run(self) -> int:
        """Schedule crawls until SIGTERM or SIGINT; return the exit status."""
        global _running
        _running = self
        self._handle_signals()
        self.scheduler.start(paused=True)
        try:
            self.load_schedule()
        except RegistryError:
            self.scheduler.shutdown(wait=False)
            raise
        self.scheduler.add_job(self.watch_registry, "interval", seconds=self.config.registry_poll,
                               id="watch_registry", jobstore=INTERNAL, executor=INTERNAL)
        self.scheduler.add_job(self.maintain, "interval",
                               seconds=self.config.maintenance_interval, id="maintenance",
                               jobstore=INTERNAL, executor=INTERNAL, next_run_time=now_utc())
        self.scheduler.resume()
        log_event(logger, "daemon started", jobs=len(self.scheduler.get_jobs(CRAWLS)),
                  max_crawls=self.config.max_crawls, db=self.store.display_url)
        while not self.stop_requested.wait(0.2):
            if self.reload_requested.is_set():
                self.reload_requested.clear()
                self.reload()
        self.shutdown()
        return 0

    def shutdown(self) -> None:
        log_event(logger, "daemon stopping", running=",".join(self.runner.running()),
                  grace=self.config.grace)
        self.scheduler.pause()
        self.runner.stop_all(self.config.grace)
        self.scheduler.shutdown(wait=True)
        log_event(logger, "daemon stopped")

    def _handle_signals(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            self.stop_requested.set()

        def reload(signum: int, _frame: FrameType | None) -> None:
            self.reload_requested.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)
