"""Reading Retry-After (crawler/retry_after.py); the waits themselves are proven by a real
crawl in tests/test_faults.py."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from crawler.retry_after import beyond_max_reason, retry_after_seconds

NOW = 1_750_000_000.0


@pytest.mark.parametrize(("value", "seconds"), [
    ("2", 2.0),
    (" 120 ", 120.0),
    ("0", 0.0),
    (formatdate(NOW + 30, usegmt=True), 30.0),
    (formatdate(NOW - 30, usegmt=True), 0.0),  # a date in the past: retry now
    (None, None),
    ("", None),
    ("-5", None),
    ("1.5", None),  # RFC 9110: delay-seconds is a whole number
    ("soon", None),
    ("Mon, 32 Foo 2025 99:00:00 GMT", None),
])
def test_retry_after_is_read_as_seconds_or_a_date(value: str | None,
                                                  seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_the_reason_names_the_wait_and_the_setting() -> None:
    assert beyond_max_reason(503, 3600.0, 120.0) == (
        "HTTP 503, Retry-After 3600 s beyond TNMT_RETRY_AFTER_MAX (120 s)")
