"""What flows from the spider through the pipelines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.article import Article
from crawler.stories import Fingerprint


@dataclass
class PageItem:
    """A fetched article page, before extraction."""

    source_id: str
    url: str  # the canonical URL the spider asked for
    body: bytes  # as fetched: decoded by the extraction worker, not in the crawl process
    encoding: str  # Scrapy's reading of it (HTTP header, BOM, <meta>, else guessed)
    fetched_at: datetime
    date_hint: datetime | None = None  # from the feed or sitemap that listed the page
    seen_urls: tuple[str, ...] = ()  # other URLs that led to this page (tracking, redirects)
    revisit_of: int | None = None  # the stored article this page is a new fetch of


@dataclass
class ArticleItem:
    """An extracted article on its way to storage."""

    source_id: str
    article: Article
    seen_urls: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # URL paths of the page's breadcrumb links
    content_hash: str = ""
    fingerprint: Fingerprint | None = None  # of the story text, for near-duplicates
    relevance: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    revisit_of: int | None = None
    fetched_at: datetime | None = None
