"""Scrapy download handler that fetches every http(s) URL from the offline mirror.

Everything above the handler (robots.txt, offsite, redirects, conditional GET, the spider)
sees the real URLs, as on the web; only the connection goes to the mirror, which serves
https://<host>/<path> at http://<address>/<host>/<path>.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

REDIRECT_STATUSES = {301, 302, 303, 307, 308}


def mirror_url(url: str, address: str) -> str:
    """Return where the mirror at `address` serves `url`."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"http://{address}/{parts.hostname}{parts.path or '/'}{query}"


class MirrorDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, sending each request to the mirror (TNMT_MIRROR_ADDRESS) and
    giving the response its real URL back.

    A handler rather than a downloader middleware: a middleware that rewrites a request's URL
    sends the new request back through the scheduler, paying for every page twice.
    """

    def __init__(self, crawler: Crawler):
        address = crawler.settings.get("TNMT_MIRROR_ADDRESS")
        if not address:
            raise NotConfigured("no mirror address")
        super().__init__(crawler)
        self.address = address

    async def download_request(self, request: Request) -> Response:
        response = await super().download_request(
            request.replace(url=mirror_url(request.url, self.address)))
        return as_real(response, request.url)


def as_real(response: Response, url: str) -> Response:
    """The mirror's response under its real URL, a redirect pointing at the real target."""
    response = response.replace(url=url)
    location = response.headers.get("Location")
    if response.status in REDIRECT_STATUSES and location:
        response.headers["Location"] = urljoin(url, location.decode("latin-1"))
    return response
