"""When each source is crawled: the schedule built from the registry, kept by APScheduler.

Three parts, apart as in APScheduler itself: the triggers (`cron_trigger`, `job_specs`: pure,
tested without waiting), the scheduler (`build_scheduler`: executors, defaults, time zone) and
the job store, which the caller hands in (the daemon uses a SQLAlchemyJobStore in the
project's database, so the schedule survives a restart). What a job does is a textual
reference to a function elsewhere, so the store only ever holds a source id.

`python scheduler.py` runs the daemon: the same command as `tnmt daemon`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger

from crawler.dates import VN_TZ
from crawler.registry import Registry

CRAWLS = "default"  # the job store and the executor of the crawl jobs
INTERNAL = "internal"  # the daemon's own jobs (registry watch, maintenance): memory only


@dataclass(frozen=True)
class JobSpec:
    """One scheduled crawl: which source, on which trigger."""

    source_id: str
    trigger: CronTrigger


def cron_trigger(expression: str, jitter: int | None = None) -> CronTrigger:
    """Return the trigger of a cron line in Vietnam's time zone: 5 fields (minute hour day
    month weekday, as crontab) or 6 with a seconds field first."""
    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"{expression!r}: expected 5 cron fields (or 6 with seconds first)")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                       day_of_week=day_of_week, timezone=VN_TZ, jitter=jitter or None)


def job_specs(registry: Registry, source_ids: tuple[str, ...] = (), override: str = "",
              jitter: int | None = None) -> list[JobSpec]:
    """Return a cron job for every enabled source (or the named ones), on its registry
    schedule or on `override` when one is given."""
    return [JobSpec(source.id, cron_trigger(override or source.schedule, jitter))
            for source in registry.select(source_ids)]


def next_runs(specs: list[JobSpec], now: datetime) -> list[tuple[str, datetime | None]]:
    """Return each job's next fire time after `now` (jitter aside)."""
    return [(spec.source_id, spec.trigger.get_next_fire_time(None, now)) for spec in specs]


class CrawlScheduler(BackgroundScheduler):
    """APScheduler's background scheduler, minus one race: while `shutdown` waits for running
    jobs, the scheduler thread may wake for a due run and take it from the store although no
    executor is left to run it, so the restart would skip it. Here a stopped scheduler takes
    nothing."""

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def build_scheduler(jobstore: BaseJobStore, max_crawls: int,
                    misfire_grace: int) -> BackgroundScheduler:
    """Return a scheduler whose crawl jobs are kept in `jobstore` and run at most
    `max_crawls` at once; each job runs one instance at a time, and runs it missed by less
    than `misfire_grace` seconds are caught up once (coalesced)."""
    return CrawlScheduler(
        jobstores={CRAWLS: jobstore, INTERNAL: MemoryJobStore()},
        executors={CRAWLS: ThreadPoolExecutor(max_crawls), INTERNAL: ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": misfire_grace},
        timezone=VN_TZ,
    )


@dataclass(frozen=True)
class ScheduleChanges:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    rescheduled: tuple[str, ...] = ()


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec], func: str,
              misfire_grace: int) -> ScheduleChanges:
    """Make the stored crawl jobs match `specs`: add new sources, remove gone ones, reschedule
    changed triggers, and leave the rest alone, so a stored next run time (a run due while
    the daemon was down) survives a restart. The scheduler must be started (maybe paused)."""
    stored = {job.id: job for job in scheduler.get_jobs(jobstore=CRAWLS)}
    added, rescheduled = [], []
    for spec in specs:
        job = stored.pop(spec.source_id, None)
        if job is None:
            scheduler.add_job(func, spec.trigger, args=[spec.source_id], id=spec.source_id,
                              name=spec.source_id, jobstore=CRAWLS, executor=CRAWLS)
            added.append(spec.source_id)
            continue
        if repr(job.trigger) != repr(spec.trigger):
            scheduler.reschedule_job(job.id, CRAWLS, trigger=spec.trigger)
            rescheduled.append(spec.source_id)
        if job.misfire_grace_time != misfire_grace:
            scheduler.modify_job(job.id, CRAWLS, misfire_grace_time=misfire_grace)
    for job_id in stored:
        scheduler.remove_job(job_id, CRAWLS)
    return ScheduleChanges(tuple(added), tuple(stored), tuple(rescheduled))


def main() -> None:
    from crawler.cli import daemon

    daemon(prog_name="python scheduler.py")


if __name__ == "__main__":
    main()
