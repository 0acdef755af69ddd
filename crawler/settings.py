"""Scrapy settings of the newsarchive project (used by ``scrapy crawl`` and ``newsarchive crawl``).

Politeness lives here: robots.txt is obeyed, AutoThrottle adapts the pace to each server, and
per-host concurrency is low. Every ``NEWSARCHIVE_*`` setting can be overridden with ``-s`` on the
``scrapy`` command line or with the ``newsarchive crawl`` options.
"""

from __future__ import annotations

import os

BOT_NAME = "newsarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# --- newsarchive ------------------------------------------------------------------------------
#: Where articles go: any SQLAlchemy URL. The spider's ``db`` argument wins over this, and this
#: over the environment variable NEWSARCHIVE_DB; the default is ./newsarchive.db.
NEWSARCHIVE_DB = os.environ.get("NEWSARCHIVE_DB", "")
#: The contact URL named in the User-Agent, so that site owners can reach the crawl's operator.
NEWSARCHIVE_CONTACT_URL = os.environ.get(
    "NEWSARCHIVE_CONTACT_URL", "https://github.com/newsarchive/newsarchive"
)
#: Pages to fetch at most (0: no limit); robots.txt is not counted. ``--max-pages`` sets it.
NEWSARCHIVE_MAX_PAGES = 0
#: Requests held in Scrapy's scheduler (memory) at most; the URLs beyond wait in the database
#: frontier and are fed in batches, so a huge sitemap costs rows, not memory.
NEWSARCHIVE_QUEUE_SIZE = 5000
#: Seconds between progress lines (0 turns them off).
NEWSARCHIVE_PROGRESS_INTERVAL = 10.0
#: Seconds each attempt to POST a profile's alert to its webhook may take (one retry at most).
NEWSARCHIVE_ALERT_TIMEOUT = 5.0
#: Articles written to the archive per transaction, with their pages marked done in it
#: (crawler/state.py); 1 writes each article on its own.
NEWSARCHIVE_WRITE_BATCH = 200
#: Seconds an article may wait for its batch before it is written anyway (0: no timer; a batch
#: is then written when full, and when the spider closes).
NEWSARCHIVE_WRITE_INTERVAL = 0.5

# --- one crawl, N workers (crawler/distributed.py; set by newsarchive worker) --------------------
#: This process's worker id: set, the crawl is one worker of a distributed crawl (PostgreSQL).
NEWSARCHIVE_WORKER_ID = ""
#: Seconds a claimed page stays the worker's without a heartbeat; then it goes back to the queue.
NEWSARCHIVE_LEASE_SECONDS = 60.0
#: Pages claimed at a time: small, so that work spreads over the workers.
NEWSARCHIVE_CLAIM_SIZE = 8
#: Seconds the shared queue must stay empty, with no page leased, before the workers stop.
NEWSARCHIVE_WORKER_GRACE = 3.0
#: One politeness budget per host for all workers (SharedPolitenessMiddleware): on for workers.
NEWSARCHIVE_SHARED_POLITENESS = False
#: Seconds between two request starts to one host across workers (-1: DOWNLOAD_DELAY's value).
NEWSARCHIVE_HOST_DELAY = -1.0
#: Redis for the shared politeness budget (redis://host:6379/0); empty: PostgreSQL does it.
NEWSARCHIVE_REDIS_URL = os.environ.get("NEWSARCHIVE_REDIS_URL", "")
#: Prefix of every Redis key the crawl writes.
NEWSARCHIVE_REDIS_PREFIX = "newsarchive:"

# --- extraction off the reactor (crawler/pool.py, crawler/pagework.py) --------------------------
#: Worker processes that extract pages: "auto" starts one per core; N starts N; 0 extracts in the
#: crawl's own process, on the reactor thread (one process: for debugging and profiling; no
#: timeout, and a page that crashes the extractor crashes the crawl).
NEWSARCHIVE_EXTRACT_WORKERS = os.environ.get("NEWSARCHIVE_EXTRACT_WORKERS", "auto")
#: Seconds one page may take in a worker; then the worker is killed and replaced, and the page
#: skipped as extract_failed (0: no limit).
NEWSARCHIVE_EXTRACT_TIMEOUT = 60.0
#: The extraction function the workers call (module.name, with extract_page's signature).
NEWSARCHIVE_EXTRACT_FUNCTION = "crawler.extraction.extract_page"
#: A folder where the crawl writes a cProfile of its reactor thread and one of its writer
#: thread (CPU time) when it ends (benchmarks/crawl.py reads them); empty: no profiling.
NEWSARCHIVE_PROFILE_DIR = ""
#: The queue in front of the extraction pool: Scrapy counts a response as in progress until its
#: callback (awaiting extraction) and its item (being stored) are done, and starts no download
#: while those responses hold more than this many bytes (each counted as at least 1 KB). So
#: downloads wait when extraction is behind, and memory stays flat. Scrapy's own default.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 5_000_000

# --- safety on the hostile web (crawler/safety.py) ----------------------------------------------
#: Non-public addresses (private, loopback, link-local, shared...): "auto" allows them only for
#: hosts named by the crawl's own start URLs, feeds and sitemaps that are themselves non-public
#: (the demo, a test site, an intranet); true allows them everywhere; false nowhere.
NEWSARCHIVE_ALLOW_PRIVATE = "auto"
#: Networks never connected to, whatever the above says (cloud metadata services by default).
NEWSARCHIVE_BLOCKED_NETWORKS = [
    "169.254.0.0/16",  # link-local, with the metadata service of AWS, GCP, Azure, ...
    "100.100.100.200/32",  # Alibaba Cloud metadata
    "fe80::/10",  # IPv6 link-local
    "fd00:ec2::254/128",  # AWS metadata over IPv6
]
#: Session-ID variants fetched of one URL (?sid=..., /(S(...))/) (0: no limit).
NEWSARCHIVE_MAX_URL_VARIANTS = 3
#: Pages of one calendar (non-article URLs that differ only in a date) (0: no limit).
NEWSARCHIVE_MAX_CALENDAR_PAGES = 100
#: Pages of one paginated listing (index_N.html, ?page=N, /page/N/) (0: no limit).
NEWSARCHIVE_MAX_LISTING_PAGES = 500
#: Times one path segment may recur in a URL (/a/b/a/b/...) (0: no limit).
NEWSARCHIVE_MAX_PATH_REPEATS = 3
#: Hops of links followed out of article pages that add nothing new, copies of a text seen in
#: this run or archived under another URL (an endless chain of copies) (0: no limit).
NEWSARCHIVE_MAX_STALE_HOPS = 3
#: Seconds before the first retry; doubled for each further retry, up to the maximum (0: off).
NEWSARCHIVE_RETRY_BACKOFF_BASE = 1.0
NEWSARCHIVE_RETRY_BACKOFF_MAX = 30.0
#: Longest pause of a host that answered 429 or 503 with Retry-After, in seconds.
NEWSARCHIVE_RETRY_AFTER_MAX = 300.0

# --- identity and politeness ------------------------------------------------------------------
# USER_AGENT: left unset here so that the spider can build it from NEWSARCHIVE_CONTACT_URL
# ("newsarchive/VERSION (+CONTACT_URL)"), or take $NEWSARCHIVE_USER_AGENT; -s USER_AGENT=... wins.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
# Scrapy hands each response's output (items and requests) to this many asyncio tasks, started
# afresh for every response (scrapy.utils.asyncio._parallel_asyncio): at its default of 100,
# starting and ending them cost the reactor thread about 1 ms a page, 3 % of the crawl's CPU
# on real pages. A page yields one article and a few dozen links at most.
CONCURRENT_ITEMS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Not 0: Scrapy 2.19 with a zero delay hands a host's whole queue to the downloader at once
# (Downloader._process_queue schedules each download as a task and counts it as transferring
# only when the task starts), so CONCURRENT_REQUESTS_PER_DOMAIN is not enforced whenever
# AutoThrottle is off. Any delay makes it dispatch one request per pass; 1 ms costs nothing.
DOWNLOAD_DELAY = 0.001
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
# A news page over 10 MB is not an article; refuse it rather than hold it in memory. Scrapy
# applies the same limit while decompressing (gzip, deflate, br, zstd): a bomb stops there.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
# A body shorter than its Content-Length (or a chunked body cut off) is an error, never a page.
DOWNLOAD_FAIL_ON_DATALOSS = True
REDIRECT_MAX_TIMES = 10
DEPTH_LIMIT = 0
# Pages answering 404 and the like reach the spider's errback, where they are counted as skips.
HTTPERROR_ALLOWED_CODES: list[int] = []
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# --- components -------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "crawler.pipelines.ValidationPipeline": 100,
    "crawler.pipelines.ArchivePipeline": 300,
}
DOWNLOADER_MIDDLEWARES = {
    # Requests: lower numbers first; responses and exceptions: higher numbers first.
    # Refuse forbidden addresses and traps before anything else, even robots.txt.
    "crawler.safety.AddressGuardMiddleware": 40,
    "crawler.safety.TrapGuardMiddleware": 45,
    # Before the robots.txt middleware (100), so that a request over the limit is not even
    # checked against robots.txt.
    "crawler.middlewares.PageLimitMiddleware": 50,
    # Scrapy's own, each replaced by a subclass that fixes or extends it.
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.safety.RobotsTxtGate": 100,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.safety.BackoffRetryMiddleware": 550,
    # Sees 429/503 before the retry middleware does.
    "crawler.safety.RetryAfterMiddleware": 560,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.safety.BodyGuardMiddleware": 590,
    # Sees a redirect before Scrapy's redirect middleware (600) follows it.
    "crawler.safety.RedirectGuardMiddleware": 610,
    # Workers of a distributed crawl: one budget per host across them, taken last before the
    # download (off for newsarchive crawl).
    "crawler.middlewares.SharedPolitenessMiddleware": 950,
}
EXTENSIONS = {
    "crawler.extensions.ProgressReporter": 500,
    "crawler.extensions.CrawlProfiler": 510,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
