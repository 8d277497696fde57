"""Scrapy's meta-refresh redirects, reading only the start of a page.

Scrapy's MetaRefreshMiddleware looks for <meta http-equiv="refresh"> in the first 4,096
characters of `response.text`, which decodes the whole body (a news page is 100 KB and more)
in the crawl process; the extraction worker decodes the page again anyway (crawler/offload.py).
This one hands it the head of the page alone: 16 KB of bytes hold the first 4,096 characters
in any encoding (4 bytes a character at most), so the redirects found are the same.
"""

from __future__ import annotations

from scrapy import Request, Spider
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.http import HtmlResponse, Response

HEAD_BYTES = 4 * 4096


class HeadMetaRefreshMiddleware(MetaRefreshMiddleware):
    def process_response(self, request: Request, response: Response,
                         spider: Spider | None = None) -> Request | Response:
        if not isinstance(response, HtmlResponse) or len(response.body) <= HEAD_BYTES:
            return super().process_response(request, response)
        # The whole page's encoding (declared, or guessed from the whole body), not a guess
        # from the head.
        head = response.replace(body=response.body[:HEAD_BYTES], encoding=response.encoding)
        outcome = super().process_response(request, head)
        return response if outcome is head else outcome
