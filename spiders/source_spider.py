"""The one generic spider: finds a registry source's articles and fetches them.

It discovers article links through feeds, sitemaps and paginated listing pages, keeps the
ones that match the source's article pattern, and yields each fetched page as a PageItem.
Extraction, dedupe and storage happen in the pipelines.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.dates import parse_machine_date
from crawler.items import PageItem
from crawler.registry import Source
from crawler.urls import canonical_url

MAX_ERROR_MESSAGES = 10


class SourceSpider(Spider):
    """Crawls one source of the registry."""

    name = "source"

    def __init__(self, source: Source, max_articles: int = 500, max_listing_pages: int = 5,
                 **kwargs: Any):
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.allowed_domains = sorted(source.domains)
        self.max_articles = max_articles
        self.max_pages = min(source.discovery.max_pages, max_listing_pages)
        self.requested: set[str] = set()
        self.error_messages: list[str] = []

    async def start(self) -> AsyncIterator[Request]:
        discovery = self.source.discovery
        for url in discovery.feeds:
            yield self._entry(url, self.parse_feed)
        for url in discovery.sitemaps:
            yield self._entry(url, self.parse_sitemap)
        for url in discovery.start_urls:
            yield self._entry(url, self.parse_listing, page=1)

    def _entry(self, url: str, callback: Any, **meta: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_error, meta=meta)

    # --- discovery ----------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Follow the article links of a listing page, then its next page."""
        self._count("listing_pages")
        if not isinstance(response, TextResponse):
            return
        selector = self.source.selectors.links or "a"
        hrefs = response.css(f"{selector}::attr(href)").getall()
        links = self._article_links(response.urljoin(href) for href in hrefs)
        yield from self._article_requests(links)
        # A page listing articles (even ones a feed already gave) may have a next page;
        # one listing none is past the end of the archive.
        page = response.meta.get("page", 1)
        if links and page < self.max_pages:
            next_url = self._next_page_url(response, page)
            if next_url:
                yield Request(next_url, callback=self.parse_listing, errback=self.on_error,
                              meta={"page": page + 1})

    def _next_page_url(self, response: TextResponse, page: int) -> str | None:
        if self.source.selectors.next_page:
            href = response.css(f"{self.source.selectors.next_page}::attr(href)").get()
            return response.urljoin(href) if href else None
        template = self.source.discovery.pagination
        return template.replace("{page}", str(page + 1)) if template else None

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Follow the article links of an RSS or Atom feed."""
        self._count("feeds")
        if not isinstance(response, TextResponse):
            return
        response.selector.remove_namespaces()
        for entry in response.xpath("//item | //entry"):
            link = entry.xpath("link/@href").get() or entry.xpath("link/text()").get() or ""
            hint = entry.xpath("pubDate/text() | published/text() | updated/text()").get()
            yield from self._article_requests(self._article_links([response.urljoin(link.strip())]),
                                              date_hint=parse_machine_date(hint))

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Follow a sitemap index's sitemaps and a sitemap's article URLs."""
        self._count("sitemaps")
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several types on garbage
            self._note_error(f"unreadable sitemap {response.url}: {exc}")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                yield Request(entry["loc"], callback=self.parse_sitemap, errback=self.on_error)
            return
        for entry in sitemap:
            hint = entry.get("publication_date") or entry.get("lastmod")
            yield from self._article_requests(self._article_links([entry["loc"]]),
                                              date_hint=parse_machine_date(hint))

    def _article_links(self, urls: Iterable[str]) -> list[tuple[str, str]]:
        """Return (url, canonical url) for the urls whose canonical form is an article's."""
        pairs = ((url, canonical_url(url)) for url in urls)
        links = [(url, canonical) for url, canonical in pairs
                 if self.source.is_article_url(canonical)]
        self.crawler.stats.inc_value("tnmt/links", len(links))  # type: ignore[union-attr]
        return links

    def _article_requests(self, links: list[tuple[str, str]],
                          date_hint: datetime | None = None) -> Iterator[Request]:
        for url, canonical in links:
            if canonical in self.requested:
                continue
            if len(self.requested) >= self.max_articles:
                self._count("article_limit_reached")
                return
            self.requested.add(canonical)
            seen = (url,) if url != canonical else ()
            yield Request(canonical, callback=self.parse_article, errback=self.on_error,
                          meta={"date_hint": date_hint, "seen_urls": seen})

    # --- articles -----------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        """Hand the fetched page to the pipelines."""
        self._count("pages")
        if not isinstance(response, TextResponse):
            self._count("skipped/not_html")
            return
        requested = response.request.meta.get("mirror_original_url") if response.request else None
        seen = set(response.meta.get("seen_urls", ()))
        for url in (requested, response.url):
            if url and canonical_url(url) != url:
                seen.add(url)
        yield PageItem(
            source_id=self.source.id,
            url=canonical_url(response.url),
            html=response.text,
            fetched_at=datetime.now(UTC),
            date_hint=response.meta.get("date_hint"),
            seen_urls=tuple(sorted(seen)),
        )

    # --- errors -------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        """Count a failed request and keep its message for the run record."""
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        url = request.meta.get("mirror_original_url", request.url) if request else "?"
        reason = f"HTTP {response.status}" if response is not None else failure.getErrorMessage()
        self._note_error(f"{reason} at {url}")

    def _note_error(self, message: str) -> None:
        self._count("errors")
        if len(self.error_messages) < MAX_ERROR_MESSAGES:
            self.error_messages.append(message)
        self.logger.warning(message)

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"tnmt/{key}")
