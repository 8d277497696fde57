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
# A chain of more redirects than this is given up (a loop back to a fetched URL is dropped
# by the duplicate filter at once).
REDIRECT_MAX_TIMES = 5
# Only http(s) is ever fetched: no file://, data:, s3:// or ftp:// from a page or a redirect.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy 2.19's RemoteControl extension (on by default) serves, on a local port, an HTTP
# endpoint that runs Python code sent to it, and writes a job file under
# ~/.local/state/scrapy for each crawl (left behind when the crawl is killed): not for us.
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = "WARNING"
DEFAULT_DROPITEM_LOG_LEVEL = "INFO"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
# Scrapy checks each response's callback for a generator that returns a value, by reading
# and parsing its source with inspect and ast; its cache is keyed by the bound method, which
# is new for every request, so it parsed the spider's source for every page: a tenth of a
# fetch's CPU (BENCHMARKS.md "Throughput"). Our callbacks are few and reviewed.
WARN_ON_GENERATOR_RETURN_VALUE = False
FEED_EXPORT_ENCODING = "utf-8"

# Items (or requests) of one response processed at once. An article page holds one item,
# and Scrapy starts this many tasks for every response: its default of 100 costs more CPU
# than the work on a page's single item.
CONCURRENT_ITEMS = 8
# Bytes of responses a source's crawler holds in its pipelines before it stops taking more
# (Scrapy's default is 5 MB): a waiting page costs about three times its size in memory
# (body, decoded text, the copy sent to an extraction worker), and each source has its own.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 500_000

DOWNLOADER_MIDDLEWARES = {
    # Scrapy's retry, waiting as long as a Retry-After header asks (crawler/retry_after.py).
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.retry_after.RetryAfterMiddleware": 550,
    "crawler.conditional.ConditionalGetMiddleware": 900,
    # Meta-refresh redirects found in the page's head without decoding its whole body.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.meta_refresh.HeadMetaRefreshMiddleware": 580,
}

ITEM_PIPELINES = {
    "pipelines.extract.ExtractPipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.revisit.RevisitPipeline": 250,
    "pipelines.relevance.RelevancePipeline": 300,
    "pipelines.store.StorePipeline": 500,
}

# --- Ours ---------------------------------------------------------------------------------

# Where the spider looks for article links, and how far it goes.
TNMT_MAX_LISTING_PAGES = 5  # upper bound on any source's discovery.max_pages
TNMT_MAX_ARTICLES_PER_SOURCE = 500
# Article requests a source's crawler keeps in Scrapy's scheduler; the other links found
# wait as plain tuples and become requests as it drains, so a crawl's memory does not grow
# with its sitemaps (spiders/source_spider.py). 0: every request at once.
TNMT_ARTICLE_REQUESTS_QUEUED = 64

# Throughput (BENCHMARKS.md "Throughput"). Pages are extracted in this many worker processes
# (crawler/offload.py); empty: one per core; 0: inline, in the reactor thread, which then
# waits for each page. At most TNMT_EXTRACT_QUEUE_PER_WORKER pages per worker are queued:
# past that the pipeline waits, holding its response, so the crawl's memory stays bounded.
TNMT_EXTRACT_WORKERS = ""
TNMT_EXTRACT_QUEUE_PER_WORKER = 4
# New articles are written in batches of this many, one transaction each, or sooner when the
# first of a batch has waited this many seconds, or at once when every item in the pipelines
# waits for the batch (pipelines/store.py). Waiting items hold their responses, which fill
# the sources' scraper slots: batches much smaller than what the slots hold keep pages
# flowing to the workers while a batch waits. Larger batches cost less per article to write
# (100 rather than 20: about a fifth less), but filling them needs larger slots, and a crawl
# so set was no faster and held 46 MB more (BENCHMARKS.md "Figures of 2026-12-06").
TNMT_STORE_BATCH_SIZE = 20
TNMT_STORE_BATCH_SECONDS = 0.5

# Validation: an article body shorter than this (characters of text) is not an article.
TNMT_MIN_BODY_CHARS = 200
TNMT_MIN_TITLE_CHARS = 10
# A page declared UTF-8 (or undeclared) whose bytes are not UTF-8 is read in this encoding:
# old Vietnamese sites write windows-1258 and often declare it wrongly.
TNMT_FALLBACK_ENCODING = "cp1258"
# A 429/503 asking (Retry-After) for a longer wait than this, in seconds, is given up at once
# with its reason recorded; a shorter wait is waited before the retry (crawler/retry_after.py).
TNMT_RETRY_AFTER_MAX = 120.0

# The offline mirror: {"host": "127.0.0.1:port"}; empty means the real web.
TNMT_MIRROR_ADDRESS = ""

# Incremental crawling (crawler/incremental.py). `tnmt crawl --full` sets TNMT_FULL_CRAWL:
# no conditional requests, stored article URLs fetched again. `--since DATE` sets TNMT_SINCE
# (ISO 8601): paginate until the listings reach older dates.
TNMT_FULL_CRAWL = False
TNMT_SINCE = ""

# Updates: articles younger than this are fetched again (conditionally) to catch edits,
# at most every TNMT_REVISIT_INTERVAL_HOURS and at most TNMT_REVISIT_LIMIT per source and run.
TNMT_REVISIT_MAX_AGE_DAYS = 7.0
TNMT_REVISIT_INTERVAL_HOURS = 6.0
TNMT_REVISIT_LIMIT = 200
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

# --- The daemon (`tnmt daemon`), run health and logs ----------------------------------------

# Crawls running at once, across all sources (the scheduler's worker pool).
TNMT_DAEMON_MAX_CRAWLS = 2
# Each scheduled start moves by up to this many seconds at random, so sources sharing a cron
# line (and a restart's catch-up runs) do not all start in the same second.
TNMT_DAEMON_JITTER = 120
# A run missed while the daemon was down is run once on start if it is at most this late.
TNMT_DAEMON_MISFIRE_GRACE = 6 * 3600
# A crawl child running longer than this is stopped and its run recorded as "timed_out".
TNMT_DAEMON_TIME_LIMIT = 30 * 60
# A child asked to stop (SIGTERM) that is still alive after this long is killed (SIGKILL).
TNMT_DAEMON_STOP_TIMEOUT = 15
# On SIGTERM/SIGINT the daemon lets running crawls finish for this long, then stops them.
TNMT_DAEMON_GRACE = 60
# How often the daemon looks for changed registry files (SIGHUP re-reads at once).
TNMT_DAEMON_REGISTRY_POLL = 30
# How often the daemon's maintenance job runs (crawler/daemon.py maintenance()).
TNMT_DAEMON_MAINTENANCE_INTERVAL = 3600
# One cron line for every source instead of each registry schedule: 5 fields, or 6 with a
# seconds field first ("*/5 * * * * *": every 5 seconds, for tests and benchmarks).
TNMT_SCHEDULE_OVERRIDE = ""

# Source health (`tnmt status`, crawler/health.py).
TNMT_HEALTH_FAILING_RUNS = 3  # this many failed/timed-out runs in a row: "failing"
TNMT_HEALTH_LAYOUT_RUNS = 3  # this many runs in a row finding no links/articles: "layout-changed"
TNMT_HEALTH_STALE_HOURS = 24  # no successful run for this long: "stale"

# Logs on stderr, one event a line: "kv" (key=value) or "json" (crawler/logs.py installs
# the handler, so Scrapy must not install its own).
TNMT_LOG_FORMAT = "kv"
LOG_INSTALL_ROOT_HANDLER = False
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

# --- Distributed crawling (`tnmt worker`, `tnmt crawl/daemon --redis URL`) -----------------

# Applied over the settings above only when a Redis URL is given (crawler/distributed.py):
# scrapy-redis keeps each source's request queue and duplicate filter in Redis, under
# "<TNMT_REDIS_PREFIX>:<source id>:requests" and ":dupefilter", and keeps them when a worker
# stops (SCHEDULER_PERSIST), so stopping a worker loses no queued request.
TNMT_REDIS_PREFIX = "tnmt"
TNMT_REDIS_SCHEDULING = {
    "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
    "SCHEDULER_PERSIST": True,
}
# How often an idle worker looks at its queues, in seconds. Scrapy's engine looks every 5
# when it has nothing to do; a crawl's first request (a sitemap) makes the worker that takes
# it queue hundreds of article requests, and the other workers see them only when they look.
# Each look is two Redis calls per source the worker serves.
TNMT_WORKER_IDLE_POLL_SECONDS = 1.0
# A worker records its runs with this store pipeline instead of pipelines.store's: one
# crawl_runs row per batch (first response after an idle spell → the next idle spell).
TNMT_WORKER_STORE_PIPELINE = "pipelines.worker_store.WorkerStorePipeline"
