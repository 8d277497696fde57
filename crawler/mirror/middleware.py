"""Downloader middleware that sends every request to the offline mirror instead of the web."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

ORIGINAL_URL = "mirror_original_url"


def mirror_url(url: str, address: str) -> str:
    """Return where the mirror at `address` serves `url`."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"http://{address}/{parts.hostname}{parts.path or '/'}{query}"


class MirrorMiddleware:
    """Rewrites https://<host>/<path> to the mirror and gives the response its real URL back.

    Enabled by the TNMT_MIRROR_ADDRESS setting; sits after RobotsTxtMiddleware so robots.txt
    is checked (and fetched from the mirror) for the real host.
    """

    def __init__(self, address: str):
        self.address = address

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        address = crawler.settings.get("TNMT_MIRROR_ADDRESS")
        if not address:
            raise NotConfigured("no mirror address")
        return cls(address)

    def process_request(self, request: Request) -> Request | None:
        if ORIGINAL_URL in request.meta:
            return None
        meta: dict[str, Any] = {
            **request.meta,
            ORIGINAL_URL: request.url,
            "download_slot": urlsplit(request.url).hostname,
            "dont_obey_robotstxt": True,  # already checked against the real host
        }
        return request.replace(url=mirror_url(request.url, self.address), meta=meta,
                               dont_filter=True)

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(ORIGINAL_URL)
        return response.replace(url=original) if original else response
