"""Source health from run history, with the clock frozen: ok, stale, failing, layout-changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import empty_store
from crawler.cli import main
from crawler.health import Thresholds, assess, source_health
from crawler.registry import load_registry
from crawler.storage import CrawlRun, RunCounts

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
THRESHOLDS = Thresholds(failing_runs=3, layout_runs=2, stale_after=timedelta(hours=24))


def run(status: str = "ok", hours_ago: float = 1, **counts: int) -> CrawlRun:
    values = {"pages": 4, "new": 1, "updated": 0, "discovery_pages": 2, "links": 8,
              "extract_failed": 0} | counts
    return CrawlRun(source_id="s", status=status, started_at=NOW - timedelta(hours=hours_ago),
                    **values)


def state(runs: list[CrawlRun], last_success: datetime | None = NOW) -> str:
    return assess("s", runs, last_success, None, NOW, THRESHOLDS).state


def test_recent_success_is_ok() -> None:
    assert state([run()]) == "ok"


def test_failures_in_a_row_are_failing_and_one_success_ends_the_streak() -> None:
    failed = [run("failed"), run("timed_out"), run("failed")]
    assert state(failed) == "failing"
    assert state([*failed[:2], run("ok"), *failed[2:]]) == "ok"


def test_interrupted_and_running_runs_neither_break_nor_extend_a_streak() -> None:
    runs = [run("running"), run("failed"), run("interrupted"), run("failed"), run("failed")]
    health = assess("s", runs, NOW, None, NOW, THRESHOLDS)
    assert (health.state, health.failure_streak, health.last_run_status, health.reason) == (
        "failing", 3, "running", "3 runs in a row failed")


def test_listing_pages_without_links_for_runs_in_a_row_is_layout_changed() -> None:
    empty = run(links=0, pages=0, new=0)
    assert state([empty]) == "ok"  # once may be a quiet day
    assert state([empty, empty]) == "layout-changed"


def test_articles_that_all_fail_extraction_is_layout_changed() -> None:
    unreadable = run(pages=3, extract_failed=3, new=0)
    assert state([unreadable, unreadable, run()]) == "layout-changed"
    assert state([run(pages=3, extract_failed=2, new=1)] * 3) == "ok"


def test_no_success_for_too_long_or_ever_is_stale() -> None:
    assert state([run()], last_success=NOW - timedelta(hours=25)) == "stale"
    assert state([], last_success=None) == "stale"
    assert assess("s", [], None, None, NOW, THRESHOLDS).reason == "no successful run yet"


def test_zero_yield_streak_counts_successful_runs_without_new_or_updated_articles() -> None:
    runs = [run(new=0), run(new=0, updated=0), run("failed"), run(new=0, updated=2)]
    assert assess("s", runs, NOW, None, NOW, THRESHOLDS).zero_yield_streak == 2


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_source_health_reads_the_store_for_every_enabled_source(backend: str,
                                                                tmp_path: Path) -> None:
    store = empty_store(backend, tmp_path)
    registry = load_registry()
    store.sync_sources(registry.values())
    for status, counts in [("ok", RunCounts(pages=2, new=2, discovery_pages=1, links=2)),
                           ("failed", RunCounts(errors=1)), ("failed", RunCounts(errors=1)),
                           ("failed", RunCounts(errors=1))]:
        store.finish_run(store.start_run("baohatinh"), status, counts)
    store.finish_run(store.start_run("monre"), "ok", RunCounts(pages=1, new=1))
    health = {h.source_id: h for h in source_health(store, registry, datetime.now(UTC))}
    assert set(health) == {source.id for source in registry.values() if source.enabled}
    assert (health["baohatinh"].state, health["baohatinh"].failure_streak) == ("failing", 3)
    assert health["baohatinh"].last_success_at is not None
    assert health["monre"].state == "ok"
    assert health["bonnmt"].state == "stale"
    # `tnmt status` reads the same, whatever the database
    result = CliRunner().invoke(main, ["status", "--db", store.url, "--format", "json"])
    assert result.exit_code == 0, result.output
    shown = {row["source_id"]: row for row in json.loads(result.output)}
    assert {key: row["state"] for key, row in shown.items()} == {
        key: row.state for key, row in health.items()}
    assert shown["baohatinh"]["failure_streak"] == 3
    store.close()
