"""How a crawl treats what it has seen before: the crawl mode, read from the settings.

A normal (incremental) run asks for feeds, sitemaps and listing pages conditionally, skips
article URLs already stored, stops paginating at the first page with nothing new, and fetches
young articles again on a slower cadence to catch edits. `--full` ignores validators and
known URLs (a backfill up to max_pages); `--since DATE` backfills articles published since a
date, paginating until the listing pages reach older dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scrapy.settings import BaseSettings

# Request meta keys the spider sets and the conditional-GET middleware reads.
CONDITIONAL = "tnmt_conditional"  # "listing" (feeds, sitemaps, listing pages) or "article"
REVISIT = "tnmt_revisit"  # the stored article's id when the request looks for an edit
# The URL's stored (ETag, Last-Modified), or None for none, when the spider looked them up
# with the rest of a listing's links (one query, not one per request).
VALIDATORS = "tnmt_validators"


@dataclass(frozen=True)
class CrawlMode:
    """What a crawl re-uses of earlier runs."""

    full: bool = False
    since: datetime | None = None
    revisit_max_age: timedelta = timedelta(days=7)
    revisit_interval: timedelta = timedelta(hours=6)
    revisit_limit: int = 200

    @property
    def incremental(self) -> bool:
        """A normal run: conditional requests, and pagination stops at nothing new."""
        return not self.full and self.since is None

    @property
    def skips_known(self) -> bool:
        """Whether stored article URLs are left alone (all but --full)."""
        return not self.full

    def is_too_old(self, published: datetime | None) -> bool:
        """Whether a date from a feed, sitemap or listing is before --since."""
        return self.since is not None and published is not None and published < self.since

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> CrawlMode:
        since = settings.get("TNMT_SINCE") or None
        return cls(
            full=settings.getbool("TNMT_FULL_CRAWL"),
            since=datetime.fromisoformat(since) if since else None,
            revisit_max_age=timedelta(days=settings.getfloat("TNMT_REVISIT_MAX_AGE_DAYS")),
            revisit_interval=timedelta(hours=settings.getfloat("TNMT_REVISIT_INTERVAL_HOURS")),
            revisit_limit=settings.getint("TNMT_REVISIT_LIMIT"),
        )
