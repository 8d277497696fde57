"""The one generic spider: finds a registry source's articles and fetches them.

It discovers article links through feeds, sitemaps and paginated listing pages, keeps the
ones that match the source's article pattern, and yields each fetched page as a PageItem.
Extraction, dedupe and storage happen in the pipelines. What it re-uses of earlier runs
(known URLs, validators, revisits of young articles) is the crawl mode's business
(crawler/incremental.py).
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple, Self

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, ResponseDataLossError
from scrapy.http import Response, TextResponse
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.dates import parse_date, parse_machine_date
from crawler.incremental import CONDITIONAL, REVISIT, VALIDATORS, CrawlMode
from crawler.items import PageItem
from crawler.registry import Source
from crawler.storage import Store, now_utc, shared_store
from crawler.urls import canonical_url

MAX_ERROR_MESSAGES = 10


def failure_reason(failure: Failure) -> str:
    """One line for a failed download (a body cut short has no message of its own)."""
    if failure.check(ResponseDataLossError):
        return "body cut short: fewer bytes than its Content-Length"
    return failure.getErrorMessage() or type(failure.value).__name__


class ArticleLink(NamedTuple):
    """An article to fetch, waiting for room in Scrapy's scheduler (a few hundred bytes,
    where a Request costs a few KB)."""

    url: str  # canonical
    seen_urls: tuple[str, ...]
    stored_id: int | None
    date_hint: datetime | None
    validators: tuple[str, str] | None


class SourceSpider(Spider):
    """Crawls one source of the registry.

    Article links wait in `backlog` and become requests as Scrapy's scheduler drains, at most
    TNMT_ARTICLE_REQUESTS_QUEUED at a time: a sitemap of thousands of links would otherwise
    hold thousands of requests in memory (and in every garbage collection) all crawl long.
    """

    name = "source"

    def __init__(self, source: Source, max_articles: int = 500, max_listing_pages: int = 5,
                 **kwargs: Any):
        super().__init__(name=source.id, **kwargs)
        self.source = source
        self.allowed_domains = sorted(source.domains)
        self.max_articles = max_articles
        self.max_pages = min(source.discovery.max_pages, max_listing_pages)
        self.requested: set[str] = set()
        self.requested_new: set[str] = set()  # of those, the ones not stored before the run
        self.error_messages: list[str] = []
        self.backlog: deque[ArticleLink] = deque()

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.feed_scheduler, signal=signals.request_left_downloader)
        crawler.signals.connect(spider.drain_backlog, signal=signals.spider_idle)
        return spider

    @cached_property
    def mode(self) -> CrawlMode:
        return CrawlMode.from_settings(self.settings)

    @cached_property
    def store(self) -> Store:
        return shared_store(self.settings["TNMT_DB_URL"])

    async def start(self) -> AsyncIterator[Request]:
        for request in self.entry_requests():
            yield request
        for request in self._revisits():
            yield request

    def entry_requests(self) -> Iterator[Request]:
        """The requests a crawl of the source begins with: feeds, sitemaps, first listings."""
        discovery = self.source.discovery
        for url in discovery.feeds:
            yield self._entry(url, self.parse_feed)
        for url in discovery.sitemaps:
            yield self._entry(url, self.parse_sitemap)
        for url in discovery.start_urls:
            yield self._entry(url, self.parse_listing, page=1)

    def _entry(self, url: str, callback: Any, **meta: Any) -> Request:
        return Request(url, callback=callback, errback=self.on_error,
                       meta={CONDITIONAL: "listing", **meta})

    def _revisits(self) -> Iterator[Request]:
        for request in self.revisit_requests(self.store, self.mode):
            self._count("revisits")
            self.requested.add(request.url)
            yield request

    def revisit_requests(self, store: Store, mode: CrawlMode) -> Iterator[Request]:
        """Fetch again the young articles not checked lately, to catch edits."""
        due = store.due_for_revisit(self.source.id, now=now_utc(),
                                    max_age=mode.revisit_max_age,
                                    interval=mode.revisit_interval, limit=mode.revisit_limit)
        for article_id, url in due:
            yield Request(url, callback=self.parse_article, errback=self.on_error,
                          meta={CONDITIONAL: "article", REVISIT: article_id})

    # --- discovery ----------------------------------------------------------------------

    def parse_listing(self, response: Response) -> Iterator[Request]:
        """Follow the article links of a listing page, then its next page."""
        if not self._read_discovery_page(response, "listing_pages") \
                or not isinstance(response, TextResponse):
            return  # unchanged since the last run: nothing new on it, nor after it
        selector = self.source.selectors.links or "a"
        hrefs = response.css(f"{selector}::attr(href)").getall()
        links = self._article_links(response.urljoin(href) for href in hrefs)
        known = self._known(links)
        # New to us: not stored before this run (whatever this run has stored meanwhile).
        fresh = [link for link in links if link[1] in self.requested_new or link[1] not in known]
        yield from self._article_requests(links, known)
        page = response.meta.get("page", 1)
        if page < self.max_pages and self._wants_next_page(response, links, fresh):
            next_url = self._next_page_url(response, page)
            if next_url:
                yield self._entry(next_url, self.parse_listing, page=page + 1)

    def _wants_next_page(self, response: TextResponse, links: list[tuple[str, str]],
                         fresh: list[tuple[str, str]]) -> bool:
        """A page listing no article is past the end of the archive; in a normal run, one
        listing nothing new is past what the last run saw; with --since, one listing only
        older dates is past the backfill."""
        mode = self.mode
        if not links:
            return False
        if mode.incremental and not fresh:
            self._count("pagination_stopped/nothing_new")
            return False
        dates = self._listing_dates(response)
        if dates and mode.is_too_old(max(dates)):
            self._count("pagination_stopped/older_than_since")
            return False
        return True

    def _listing_dates(self, response: TextResponse) -> list[datetime]:
        """Return the dates shown next to the listing's links (only needed for --since)."""
        if self.mode.since is None:
            return []
        selector = self.source.selectors.links or "a"
        items = response.css(selector).xpath("ancestor::*[self::li or self::article][1]")
        now = datetime.now(UTC)
        found = (parse_date(" ".join(item.xpath(".//text()").getall()), now=now)
                 for item in items)
        return [found_date.value for found_date in found if found_date is not None]

    def _next_page_url(self, response: TextResponse, page: int) -> str | None:
        if self.source.selectors.next_page:
            href = response.css(f"{self.source.selectors.next_page}::attr(href)").get()
            return response.urljoin(href) if href else None
        template = self.source.discovery.pagination
        return template.replace("{page}", str(page + 1)) if template else None

    def parse_feed(self, response: Response) -> Iterator[Request]:
        """Follow the article links of an RSS or Atom feed."""
        if not self._read_discovery_page(response, "feeds") \
                or not isinstance(response, TextResponse):
            return
        response.selector.remove_namespaces()
        dated = []
        for entry in response.xpath("//item | //entry"):
            link = entry.xpath("link/@href").get() or entry.xpath("link/text()").get() or ""
            hint = entry.xpath("pubDate/text() | published/text() | updated/text()").get()
            dated.append((response.urljoin(link.strip()), parse_machine_date(hint)))
        yield from self._dated_article_requests(dated)

    def parse_sitemap(self, response: Response) -> Iterator[Request]:
        """Follow a sitemap index's sitemaps and a sitemap's article URLs."""
        if not self._read_discovery_page(response, "sitemaps"):
            return
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # lxml raises several types on garbage
            self._note_error(f"unreadable sitemap {response.url}: {exc}")
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                if not self.mode.is_too_old(parse_machine_date(entry.get("lastmod"))):
                    yield self._entry(entry["loc"], self.parse_sitemap)
            return
        yield from self._dated_article_requests(
            (entry["loc"],
             parse_machine_date(entry.get("publication_date") or entry.get("lastmod")))
            for entry in sitemap)

    def _article_links(self, urls: Iterable[str]) -> list[tuple[str, str]]:
        """Return (url, canonical url) for the urls whose canonical form is an article's."""
        pairs = ((url, canonical_url(url)) for url in urls)
        links = [(url, canonical) for url, canonical in pairs
                 if self.source.is_article_url(canonical)]
        self.crawler.stats.inc_value("tnmt/links", len(links))  # type: ignore[union-attr]
        return links

    def _dated_article_requests(self, dated: Iterable[tuple[str, datetime | None]]
                                ) -> Iterator[Request]:
        """Requests for the (url, date hint) entries of a feed or sitemap: one lookup of the
        store for them all, not one per entry (a sitemap lists thousands)."""
        hints: dict[str, datetime | None] = {}
        for url, hint in dated:
            hints.setdefault(url, hint)  # a URL listed twice keeps its first date
        links = self._article_links(hints)
        yield from self._article_requests(links, self._known(links), hints)

    def _known(self, links: list[tuple[str, str]]) -> dict[str, int]:
        """Return {url: stored article id} for the links' URLs the store knows (one query)."""
        return self.store.known_articles(url for link in links for url in link)

    def _article_requests(self, links: list[tuple[str, str]], known: dict[str, int],
                          date_hints: Mapping[str, datetime | None] | None = None
                          ) -> Iterator[Request]:
        """Put the links worth fetching in the backlog; yield what the scheduler has room for.
        `date_hints`: {url: the date a feed or sitemap gives it}."""
        hints = date_hints or {}
        wanted = list(self._wanted_links(links, known, hints))
        # Validators of the links (a page left out before may answer 304), in one query.
        validators = self.store.validators(canonical for _url, canonical, _id in wanted) \
            if self.mode.incremental else {}
        self.backlog.extend(
            ArticleLink(canonical, (url,) if url != canonical else (), stored_id,
                        hints.get(url), validators.get(canonical))
            for url, canonical, stored_id in wanted)
        yield from self.next_articles()

    @cached_property
    def queued_articles_limit(self) -> int | None:
        """Article requests kept in the scheduler at most (None: all at once)."""
        return self.settings.getint("TNMT_ARTICLE_REQUESTS_QUEUED") or None

    def next_articles(self) -> Iterator[Request]:
        """Requests for the backlog's next articles, as many as the scheduler has room for."""
        limit = self.queued_articles_limit
        scheduler = self.crawler.engine.scheduler if self.crawler.engine else None
        room = len(self.backlog) if limit is None or scheduler is None \
            else limit - len(scheduler)  # type: ignore[arg-type]
        while self.backlog and room > 0:
            room -= 1
            link = self.backlog.popleft()
            yield Request(link.url, callback=self.parse_article, errback=self.on_error,
                          meta={"date_hint": link.date_hint, "seen_urls": link.seen_urls,
                                CONDITIONAL: "article", REVISIT: link.stored_id,
                                VALIDATORS: link.validators})

    def feed_scheduler(self) -> None:
        """Top the scheduler up from the backlog (after each download)."""
        if self.backlog:
            for request in self.next_articles():
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]

    def drain_backlog(self) -> None:
        """Nothing left to do but the backlog: schedule its next articles, stay open."""
        if self.backlog:
            self.feed_scheduler()
            raise DontCloseSpider("articles waiting in the backlog")

    def _wanted_links(self, links: list[tuple[str, str]], known: dict[str, int],
                      date_hints: Mapping[str, datetime | None]
                      ) -> Iterator[tuple[str, str, int | None]]:
        """Yield (url, canonical url, stored id) of the links to fetch, counting the others."""
        mode = self.mode
        for url, canonical in links:
            if canonical in self.requested:
                continue
            stored_id = known.get(canonical) or known.get(url)
            if stored_id is not None and mode.skips_known:
                self._count("known_skipped")
                continue
            if mode.is_too_old(date_hints.get(url)):
                self._count("older_than_since")
                continue
            if len(self.requested) >= self.max_articles:
                self._count("article_limit_reached")
                return
            self.requested.add(canonical)
            if stored_id is None:
                self.requested_new.add(canonical)
            yield url, canonical, stored_id

    # --- articles -----------------------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[PageItem]:
        """Hand the fetched page to the pipelines."""
        if response.status == 304:
            self._unchanged_article(response.meta.get(REVISIT))
            return
        self._count("pages")
        if not isinstance(response, TextResponse):
            self._count("skipped/not_html")
            return
        seen = set(response.meta.get("seen_urls", ()))
        if canonical_url(response.url) != response.url:
            seen.add(response.url)
        yield PageItem(
            source_id=self.source.id,
            url=canonical_url(response.url),
            body=response.body,
            encoding=response.encoding,
            fetched_at=datetime.now(UTC),
            date_hint=response.meta.get("date_hint"),
            seen_urls=tuple(sorted(seen)),
            revisit_of=response.meta.get(REVISIT),
        )

    def _unchanged_article(self, article_id: int | None) -> None:
        """A 304 for an article: a stored one is as we have it (note the check); one not
        stored (dropped by a pipeline last time) would be dropped again."""
        if article_id is None:
            self._count("not_modified/dropped_before")
            return
        self._count("unchanged")
        self.store.mark_checked(article_id)

    # --- errors -------------------------------------------------------------------------

    def on_error(self, failure: Failure) -> None:
        """Count a failed request and keep its message for the run record."""
        request = getattr(failure, "request", None)
        response = getattr(failure.value, "response", None)
        url = request.url if request else "?"
        reason = f"HTTP {response.status}" if response is not None else failure_reason(failure)
        self._note_error(f"{reason} at {url}")

    def _read_discovery_page(self, response: Response, kind: str) -> bool:
        """Count a feed, sitemap or listing page under `kind` and return True when it has
        content; a 304 is counted apart, so health never takes "unchanged" for "no links"."""
        if response.status == 304:
            self._count(f"not_modified/{kind}")
            return False
        self._count(kind)
        return True

    def _note_error(self, message: str) -> None:
        self._count("errors")
        if len(self.error_messages) < MAX_ERROR_MESSAGES:
            self.error_messages.append(message)
        self.logger.warning(message)

    def _count(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(f"tnmt/{key}")
