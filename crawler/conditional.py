"""Downloader middleware for conditional GET: sends the validators a URL last answered with
(If-None-Match / If-Modified-Since), lets a 304 reach the spider, and stores new validators.

Only requests the spider marks (request.meta[CONDITIONAL]) take part. Listing validators
(feeds, sitemaps, listing pages) are saved when the run ends without errors: after a run that
missed articles, the listings are read again so those articles get their retry.
"""

from __future__ import annotations

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.incremental import CONDITIONAL, VALIDATORS, CrawlMode
from crawler.runs import run_counts
from crawler.storage import Store, shared_store

ARTICLE_VALIDATORS_BATCH = 500


class ConditionalGetMiddleware:
    def __init__(self, crawler: Crawler, store: Store, send_validators: bool):
        self.crawler = crawler
        self.store = store
        self.send_validators = send_validators
        self.found: dict[str, dict[str, tuple[str, str]]] = {"listing": {}, "article": {}}
        crawler.signals.connect(self.save, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ConditionalGetMiddleware:
        mode = CrawlMode.from_settings(crawler.settings)
        return cls(crawler, shared_store(crawler.settings["TNMT_DB_URL"]), mode.incremental)

    def process_request(self, request: Request) -> None:
        if not self.send_validators or not request.meta.get(CONDITIONAL):
            return
        url = request.url
        stored = request.meta[VALIDATORS] if VALIDATORS in request.meta \
            else self.store.validators([url]).get(url)
        if stored is None:
            return
        etag, last_modified = stored
        if etag:
            request.headers["If-None-Match"] = etag
        if last_modified:
            request.headers["If-Modified-Since"] = last_modified
        request.meta["handle_httpstatus_list"] = [*request.meta.get("handle_httpstatus_list", ()),
                                                  304]

    def process_response(self, request: Request, response: Response) -> Response:
        kind = request.meta.get(CONDITIONAL)
        if not kind:
            return response
        assert self.crawler.stats is not None
        if response.status == 304:
            self.crawler.stats.inc_value(f"tnmt/not_modified/{kind}")
        elif response.status == 200:
            etag = header_text(response, "ETag")
            modified = header_text(response, "Last-Modified")
            if etag or modified:
                self.found[kind][request.url] = (etag, modified)
                if kind == "article" and len(self.found[kind]) >= ARTICLE_VALIDATORS_BATCH:
                    self.save_articles()
        return response

    def save_articles(self) -> None:
        """Store the article validators seen so far. They are kept whatever the run's outcome,
        so they go to the store as they come, in batches: a crawl's memory does not grow with
        its pages (nor one statement with thousands of rows)."""
        self.store.save_validators(self.found["article"])
        self.found["article"] = {}

    def save(self, spider: Spider, reason: str) -> None:
        """Store the validators seen: article ones always, listing ones after a clean run."""
        self.save_articles()
        assert self.crawler.stats is not None
        limited = self.crawler.stats.get_value("tnmt/article_limit_reached", 0)
        if reason == "finished" and not run_counts(self.crawler).errors and not limited:
            self.store.save_validators(self.found["listing"])


def header_text(response: Response, name: str) -> str:
    """Return a response header as text ('' when absent)."""
    return (response.headers.get(name) or b"").decode("latin-1")
