"""Downloader middleware that sends every request to the offline mirror instead of the web."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

ORIGINAL_URL = "mirror_original_url"
# What the rewritten request carries only for the mirror's sake; a redirect must not inherit
# it, so the redirect target is checked (offsite, robots.txt) like a fresh request.
MIRROR_META = ("allow_offsite", "dont_obey_robotstxt", "download_slot")
REDIRECT_STATUSES = {301, 302, 303, 307, 308}


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
        if request.url.startswith(f"http://{self.address}/"):
            return None  # rewritten already (a retry of a rewritten request too)
        meta: dict[str, Any] = {
            **request.meta,
            ORIGINAL_URL: request.url,
            "download_slot": urlsplit(request.url).hostname,
            "dont_obey_robotstxt": True,  # already checked against the real host
            "allow_offsite": True,  # 127.0.0.1 stands for the real host, already checked
        }
        return request.replace(url=mirror_url(request.url, self.address), meta=meta)

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(ORIGINAL_URL)
        if not original:
            return response
        response = response.replace(url=original)
        location = response.headers.get("Location")
        if response.status in REDIRECT_STATUSES and location:
            # The redirect is built from this request: give it the real target, and none of
            # the mirror's exemptions.
            response.headers["Location"] = urljoin(original, location.decode("latin-1"))
            for key in MIRROR_META:
                request.meta.pop(key, None)
        return response
