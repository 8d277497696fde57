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

TIMEZONE = "Asia/Ho_Chi_Minh"

# --- Alerts (crawler/alerts.py; docs/ALERTS.md) -------------------------------------------

# The rules file: `--alerts FILE`, else $TNMT_ALERTS_FILE, else this setting, else the
# default file below when it exists; with none of them, no alerts are sent.
TNMT_ALERTS_FILE = ""
ALERTS_FILE_ENV = "TNMT_ALERTS_FILE"
DEFAULT_ALERTS_PATH = (Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
                       / "tnmt" / "alerts.toml")
# A failed delivery is retried after 1, 2, 4… times this (capped), then given up as failed.
TNMT_ALERTS_RETRY_SECONDS = 60
TNMT_ALERTS_RETRY_MAX_SECONDS = 6 * 3600
TNMT_ALERTS_MAX_ATTEMPTS = 8
