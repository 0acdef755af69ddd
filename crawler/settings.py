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
#: Seconds between progress lines (0 turns them off).
NEWSARCHIVE_PROGRESS_INTERVAL = 10.0

# --- identity and politeness ------------------------------------------------------------------
# USER_AGENT: left unset here so that the spider can build it from NEWSARCHIVE_CONTACT_URL
# ("newsarchive/VERSION (+CONTACT_URL)"), or take $NEWSARCHIVE_USER_AGENT; -s USER_AGENT=... wins.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 2
# A news page over 10 MB is not an article; refuse it rather than hold it in memory.
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
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
    # Before the robots.txt middleware (100), so that a request over the limit is not even
    # checked against robots.txt.
    "crawler.middlewares.PageLimitMiddleware": 50,
}
EXTENSIONS = {
    "crawler.extensions.ProgressReporter": 500,
}

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
