"""Scrapy's RetryMiddleware, honouring Retry-After.

On a status of RETRY_HTTP_CODES (429, 503, ...) with a Retry-After header (seconds or an
HTTP date), the retry waits that long first, without blocking the reactor: other requests go
on meanwhile. A wait longer than TNMT_RETRY_AFTER_MAX gives the request up at once, with a
reason the run's messages keep. Everything else (RETRY_TIMES, stats, exceptions) is Scrapy's.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Self

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.asyncio import sleep

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """Seconds a Retry-After value asks to wait (an HTTP date in the past: 0), or None when
    there is no value or it is neither a number nor a date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" or no zone: RFC 9110 dates are GMT
        return None
    return max(0.0, moment.timestamp() - now)


def beyond_max_reason(status: int, seconds: float, limit: float) -> str:
    """The recorded reason for giving a request up instead of waiting."""
    return (f"HTTP {status}, Retry-After {seconds:.0f} s beyond TNMT_RETRY_AFTER_MAX "
            f"({limit:.0f} s)")


class RetryAfterMiddleware(RetryMiddleware):
    """Retries like Scrapy's RetryMiddleware, after the wait a Retry-After header asks for."""

    max_wait: float

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        middleware = super().from_crawler(crawler)
        middleware.max_wait = crawler.settings.getfloat("TNMT_RETRY_AFTER_MAX")
        return middleware

    async def process_response(  # type: ignore[override]  # awaits the wait
            self, request: Request, response: Response) -> Request | Response:
        wait = self._wait(request, response)
        if wait is None:
            return super().process_response(request, response)
        stats = self.crawler.stats
        assert stats is not None
        if wait > self.max_wait:
            stats.inc_value("retry_after/beyond_max")
            raise IgnoreRequest(beyond_max_reason(response.status, wait, self.max_wait))
        retry = super().process_response(request, response)
        if retry is response:  # RETRY_TIMES used up: no point in waiting
            return response
        stats.inc_value("retry_after/count")
        stats.inc_value("retry_after/seconds", round(wait))
        await sleep(wait)  # asyncio.sleep on our asyncio reactor: other requests go on
        return retry

    def _wait(self, request: Request, response: Response) -> float | None:
        """Seconds to wait before retrying, or None when Retry-After does not apply."""
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return None
        header = response.headers.get("Retry-After")
        return retry_after_seconds(header.decode("latin-1") if header else None, time.time())
