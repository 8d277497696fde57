"""When each source is crawled: the schedule built from the registry.

Thin for now: `job_specs` turns the registry into one cron trigger per enabled source (a pure
function, tested without waiting), and `python scheduler.py` prints the next run of each.
The daemon that runs these jobs builds on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from apscheduler.triggers.cron import CronTrigger

from crawler.dates import VN_TZ
from crawler.registry import Registry, load_registry


@dataclass(frozen=True)
class JobSpec:
    """One scheduled crawl: which source, on which trigger."""

    source_id: str
    trigger: CronTrigger


def job_specs(registry: Registry) -> list[JobSpec]:
    """Return a cron job for every enabled source, in Vietnam's time zone."""
    return [JobSpec(source.id, CronTrigger.from_crontab(source.schedule, timezone=VN_TZ))
            for source in registry.values() if source.enabled]


def next_runs(specs: list[JobSpec], now: datetime) -> list[tuple[str, datetime | None]]:
    """Return each job's next fire time after `now`."""
    return [(spec.source_id, spec.trigger.get_next_fire_time(None, now)) for spec in specs]


def main() -> None:
    for source_id, when in next_runs(job_specs(load_registry()), datetime.now(VN_TZ)):
        print(f"{source_id:<28} {when.isoformat() if when else 'never'}")


if __name__ == "__main__":
    main()
