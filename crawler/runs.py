"""What one crawl of one source did, read from its Scrapy stats."""

from __future__ import annotations

from scrapy.crawler import Crawler

from crawler.storage import RunCounts

# Drop reasons that mean "this page had no article we could read" (not: off topic).
EXTRACTION_FAILURES = ("no_article", "extraction_error", "no_title", "body_too_short")


def run_counts(crawler: Crawler) -> RunCounts:
    """Read what a crawl did from its stats."""
    assert crawler.stats is not None
    stats = crawler.stats.get_stats()
    # A callback that raised (a page that broke our parsing) is an error too.
    crashes = stats.get("spider_exceptions/count", 0)
    return RunCounts(pages=stats.get("tnmt/pages", 0), new=stats.get("tnmt/new", 0),
                     duplicates=stats.get("tnmt/duplicate", 0),
                     dropped=stats.get("tnmt/dropped", 0),
                     errors=stats.get("tnmt/errors", 0) + crashes,
                     updated=stats.get("tnmt/updated", 0),
                     discovery_pages=sum(stats.get(f"tnmt/{kind}", 0)
                                         for kind in ("listing_pages", "feeds", "sitemaps")),
                     links=stats.get("tnmt/links", 0),
                     extract_failed=sum(stats.get(f"tnmt/dropped/{reason}", 0)
                                        for reason in EXTRACTION_FAILURES))


def dropped_reasons(crawler: Crawler) -> list[tuple[str, int]]:
    """Return (reason, count) for every reason items were dropped for, most frequent first."""
    assert crawler.stats is not None
    prefix = "tnmt/dropped/"
    reasons = [(key.removeprefix(prefix), count)
               for key, count in crawler.stats.get_stats().items() if key.startswith(prefix)]
    return sorted(reasons, key=lambda reason: (-reason[1], reason[0]))


# Requests Scrapy refused before fetching them (no errback sees these): stat → message.
REFUSALS = {
    "offsite/filtered": "refused {count} request(s) off the source's domains (a redirect "
                        "elsewhere?)",
    "dupefilter/filtered": "skipped {count} request(s) for URLs fetched already in this run "
                           "(a redirect loop?)",
}


def refused_requests(crawler: Crawler) -> list[str]:
    """Return a message for each kind of request refused before it was fetched."""
    assert crawler.stats is not None
    return [message.format(count=count) for stat, message in REFUSALS.items()
            if (count := crawler.stats.get_value(stat, 0))]


def run_status(reason: str, counts: RunCounts) -> str:
    """'ok', 'partial' (some requests failed), 'failed' (the site could not be read at all)
    or 'interrupted' (the crawl was stopped)."""
    if reason != "finished":
        return "interrupted"
    if counts.errors and counts.pages == 0:
        return "failed"
    return "partial" if counts.errors else "ok"
