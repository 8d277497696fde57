"""Source health from the run history: is each source ok, stale, failing or changed layout?

"Layout-changed" is the silent killer of news crawlers: the site answers 200, but its listing
pages no longer give article links, or every article page fails extraction, run after run.
`assess` is a pure function of a source's recent runs and the clock; `source_health` reads
those from the Store. Thresholds are settings (TNMT_HEALTH_*).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from crawler import settings
from crawler.registry import Registry
from crawler.storage import Store

STATES = ("ok", "stale", "failing", "layout-changed")
SUCCESS = ("ok", "partial")
FAILURE = ("failed", "timed_out")
HISTORY = 50  # runs per source read to compute the streaks


class Run(Protocol):
    """What health reads of one crawl_runs row."""

    status: str
    started_at: datetime
    pages: int
    new: int
    updated: int
    discovery_pages: int
    links: int
    extract_failed: int


@dataclass(frozen=True)
class Thresholds:
    failing_runs: int = settings.TNMT_HEALTH_FAILING_RUNS
    layout_runs: int = settings.TNMT_HEALTH_LAYOUT_RUNS
    stale_after: timedelta = timedelta(hours=settings.TNMT_HEALTH_STALE_HOURS)

    @classmethod
    def from_settings(cls, values: Any) -> Thresholds:
        """Read the TNMT_HEALTH_* settings from a Scrapy Settings object."""
        return cls(values.getint("TNMT_HEALTH_FAILING_RUNS"),
                   values.getint("TNMT_HEALTH_LAYOUT_RUNS"),
                   timedelta(hours=values.getfloat("TNMT_HEALTH_STALE_HOURS")))


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class SourceHealth:
    source_id: str
    state: str
    reason: str
    last_run_at: datetime | None
    last_run_status: str
    last_success_at: datetime | None
    last_new_article_at: datetime | None
    failure_streak: int
    zero_yield_streak: int
    layout_streak: int


def is_finished(run: Run) -> bool:
    """True for a run that says something about the site (not running, not stopped by us)."""
    return run.status in SUCCESS or run.status in FAILURE


def is_zero_yield(run: Run) -> bool:
    return run.status in SUCCESS and run.new == 0 and run.updated == 0


def is_layout_broken(run: Run) -> bool:
    """True when the site answered but gave nothing readable: discovery pages without a
    single article link, or article pages that all failed extraction."""
    no_links = run.discovery_pages > 0 and run.links == 0
    unreadable = run.pages > 0 and run.extract_failed >= run.pages
    return run.status in SUCCESS and (no_links or unreadable)


def streak(runs: Sequence[Run], holds: Callable[[Run], bool]) -> int:
    """Return how many of the latest finished runs (newest first) in a row satisfy `holds`."""
    count = 0
    for run in runs:
        if not is_finished(run):
            continue
        if not holds(run):
            break
        count += 1
    return count


def in_a_row(count: int) -> str:
    return f"{count} run in a row" if count == 1 else f"{count} runs in a row"


def assess(source_id: str, runs: Sequence[Run], last_success_at: datetime | None,
           last_new_article_at: datetime | None, now: datetime,
           thresholds: Thresholds = Thresholds()) -> SourceHealth:
    """Return the health of one source from its runs (newest first)."""
    failures = streak(runs, lambda run: run.status in FAILURE)
    layout = streak(runs, is_layout_broken)
    if failures >= thresholds.failing_runs:
        state, reason = "failing", f"{in_a_row(failures)} failed"
    elif layout >= thresholds.layout_runs:
        state, reason = "layout-changed", f"{in_a_row(layout)} found no readable article"
    elif last_success_at is None:
        state, reason = "stale", "no successful run yet"
    elif now - last_success_at > thresholds.stale_after:
        state, reason = "stale", f"no successful run since {last_success_at:%Y-%m-%d %H:%M} UTC"
    else:
        state, reason = "ok", ""
    last = runs[0] if runs else None
    return SourceHealth(
        source_id=source_id, state=state, reason=reason,
        last_run_at=last.started_at if last else None,
        last_run_status=last.status if last else "",
        last_success_at=last_success_at, last_new_article_at=last_new_article_at,
        failure_streak=failures, zero_yield_streak=streak(runs, is_zero_yield),
        layout_streak=layout)


def source_health(store: Store, registry: Registry, now: datetime,
                  thresholds: Thresholds = Thresholds()) -> list[SourceHealth]:
    """Return the health of every enabled source of the registry, by source id."""
    new_articles = store.last_article_times()
    health = []
    for source in registry.select():
        runs = store.runs(limit=HISTORY, source_ids=[source.id])
        successes = store.runs(limit=1, source_ids=[source.id], statuses=SUCCESS)
        health.append(assess(source.id, runs, successes[0].started_at if successes else None,
                             new_articles.get(source.id), now, thresholds))
    return health
