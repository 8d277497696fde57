"""The schedule comes from the registry and is computed, not waited for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from crawler.daemon import JOB_FUNCTION
from crawler.dates import VN_TZ
from crawler.registry import load_registry
from scheduler import (
    CRAWLS,
    ScheduleChanges,
    build_scheduler,
    cron_trigger,
    job_specs,
    next_runs,
    sync_jobs,
)


def test_every_enabled_source_gets_one_job_on_its_cron() -> None:
    registry = load_registry()
    specs = job_specs(registry)
    assert sorted(spec.source_id for spec in specs) == sorted(
        source.id for source in registry.values() if source.enabled)


def test_next_run_follows_the_cron_in_vietnam_time() -> None:
    registry = load_registry()
    spec = next(s for s in job_specs(registry) if registry[s.source_id].schedule == "*/30 * * * *")
    now = datetime(2026, 11, 23, 10, 7, tzinfo=VN_TZ)
    [(_, when)] = next_runs([spec], now)
    assert when == datetime(2026, 11, 23, 10, 30, tzinfo=VN_TZ)


def test_a_six_field_line_has_seconds_first() -> None:
    trigger = cron_trigger("*/5 * * * * *")
    now = datetime(2026, 11, 23, 10, 7, 1, tzinfo=VN_TZ)
    assert trigger.get_next_fire_time(None, now) == datetime(2026, 11, 23, 10, 7, 5, tzinfo=VN_TZ)


def test_the_override_replaces_every_schedule_and_bad_lines_are_refused() -> None:
    specs = job_specs(load_registry(), ("baohatinh", "monre"), override="0 6 * * *")
    now = datetime(2026, 11, 23, 10, 7, tzinfo=VN_TZ)
    assert [when for _, when in next_runs(specs, now)] == [
        datetime(2026, 11, 24, 6, 0, tzinfo=VN_TZ)] * 2
    for line in ("* * *", "61 * * * *"):
        with pytest.raises(ValueError):
            cron_trigger(line)


@pytest.fixture
def paused_scheduler() -> Iterator[BackgroundScheduler]:
    scheduler = build_scheduler(MemoryJobStore(), max_crawls=1, misfire_grace=60)
    scheduler.start(paused=True)
    yield scheduler
    scheduler.shutdown(wait=False)


def test_sync_keeps_unchanged_jobs_and_their_next_run(paused_scheduler: BackgroundScheduler,
                                                      ) -> None:
    registry = load_registry()
    first = sync_jobs(paused_scheduler, job_specs(registry, ("baohatinh", "monre")), JOB_FUNCTION,
                      60)
    assert sorted(first.added) == ["baohatinh", "monre"]
    due = datetime(2026, 1, 1, tzinfo=VN_TZ)  # as if stored before a restart: overdue
    paused_scheduler.modify_job("baohatinh", CRAWLS, next_run_time=due)
    again = sync_jobs(paused_scheduler, job_specs(registry, ("baohatinh", "monre")), JOB_FUNCTION,
                      60)
    assert again == ScheduleChanges()
    assert paused_scheduler.get_job("baohatinh", CRAWLS).next_run_time == due


def test_sync_reschedules_changed_and_removes_gone_jobs(paused_scheduler: BackgroundScheduler,
                                                       ) -> None:
    registry = load_registry()
    sync_jobs(paused_scheduler, job_specs(registry, ("baohatinh", "monre")), JOB_FUNCTION, 60)
    changes = sync_jobs(paused_scheduler, job_specs(registry, ("baohatinh",), jitter=30),
                        JOB_FUNCTION, 60)
    assert changes == ScheduleChanges(removed=("monre",), rescheduled=("baohatinh",))
    [job] = paused_scheduler.get_jobs(CRAWLS)
    assert (job.id, job.trigger.jitter, job.max_instances, job.coalesce) == (
        "baohatinh", 30, 1, True)
