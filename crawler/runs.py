"""What one crawl of one source did, read from its Scrapy stats."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.storage import RunCounts


def run_counts(crawler: Crawler) -> RunCounts:
    """Read what a crawl did from its stats."""
    assert crawler.stats is not None
    value = crawler.stats.get_value
    return RunCounts(pages=value("tnmt/pages", 0), new=value("tnmt/new", 0),
                     duplicates=value("tnmt/duplicate", 0), dropped=value("tnmt/dropped", 0),
                     errors=value("tnmt/errors", 0))


def dropped_reasons(crawler: Crawler) -> list[tuple[str, int]]:
    """Return (reason, count) for every reason items were dropped for, most frequent first."""
    assert crawler.stats is not None
    prefix = "tnmt/dropped/"
    reasons = [(key.removeprefix(prefix), count)
               for key, count in crawler.stats.get_stats().items() if key.startswith(prefix)]
    return sorted(reasons, key=lambda reason: (-reason[1], reason[0]))


def run_status(reason: str, counts: RunCounts) -> str:
    """'ok', 'partial' (some requests failed), 'failed' (the site could not be read at all)
    or 'interrupted' (the crawl was stopped)."""
    if reason != "finished":
        return "interrupted"
    if counts.errors and counts.pages == 0:
        return "failed"
    return "partial" if counts.errors else "ok"
