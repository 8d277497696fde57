"""The schedule comes from the registry and is computed, not waited for."""

from __future__ import annotations

from datetime import datetime

from crawler.dates import VN_TZ
from crawler.registry import load_registry
from scheduler import job_specs, next_runs


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
