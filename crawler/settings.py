"""Every setting of tnmt-monitor in one place: Scrapy's, then ours.

Names are UPPER_SNAKE like Scrapy's own default_settings. The CLI builds a Scrapy
Settings object from this module and overrides single names at "cmdline" priority.
"""

from __future__ import annotations

import os
from pathlib import Path

# --- Where data lives -------------------------------------------------------------------

DEFAULT_DB_PATH = Path(os.environ.get("TNMT_HOME", Path.home() / ".local/share/tnmt")) / "tnmt.db"
DB_URL_ENV = "TNMT_DB_URL"

# --- Politeness (Scrapy) ----------------------------------------------------------------

BOT_NAME = "tnmt-monitor"
USER_AGENT = "tnmt-monitor/0.1 (+https://github.com/tnmt-monitor; news monitoring for research)"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
DOWNLOAD_TIMEOUT = 30
# A news page is well under 2 MB (a warning past that); past 8 MB it is refused.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_TIMES = 2
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "WARNING"
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # After RobotsTxtMiddleware (100): robots.txt is checked for the real host first.
    "crawler.mirror.middleware.MirrorMiddleware": 950,
}

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.relevance.RelevancePipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.stories.StoriesPipeline": 450,
    "pipelines.store.StorePipeline": 500,
}

# --- Ours ---------------------------------------------------------------------------------

# Where the spider looks for article links, and how far it goes.
TNMT_MAX_LISTING_PAGES = 5  # upper bound on any source's discovery.max_pages
TNMT_MAX_ARTICLES_PER_SOURCE = 500

# Validation: an article body shorter than this (characters of text) is not an article.
TNMT_MIN_BODY_CHARS = 200
TNMT_MIN_TITLE_CHARS = 10

# The offline mirror: {"host": "127.0.0.1:port"}; empty means the real web.
TNMT_MIRROR_ADDRESS = ""

# Near-duplicates (crawler/stories.py): MinHash over word shingles of lead + body, LSH bands.
# A candidate whose estimated Jaccard similarity reaches the threshold is the same story
# (figures behind these values: BENCHMARKS.md "Near-duplicates"). Changing the first three
# makes stored signatures incomparable with new ones.
TNMT_STORY_PERMUTATIONS = 192
TNMT_STORY_SHINGLE_WORDS = 4
# 64 bands of 3: a pair at similarity 0.4 becomes a candidate 98.5% of the time, at 0.3 83%,
# two unrelated stories (0.02) 0.05% of the time, so few rows are ever read per lookup.
TNMT_STORY_BAND_ROWS = 3
TNMT_STORY_THRESHOLD = 0.3

TIMEZONE = "Asia/Ho_Chi_Minh"
