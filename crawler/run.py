"""Run a crawl in this process and report what it did.

The CLI and the demo call :func:`run_crawl`; ``scrapy crawl news`` runs the same spider and
pipelines through Scrapy's own command. Scrapy's reactor can start only once per process, so a
process runs at most one crawl.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.pipelines import run_counters
from crawler.spiders.news import NewsSpider


@dataclass(slots=True)
class CrawlReport:
    """What a crawl did, from its statistics."""

    run_id: int | None
    counters: dict[str, int]
    skipped: dict[str, int]
    errors: dict[str, int]
    start_urls_fetched: int
    finish_reason: str
    seconds: float
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False when not one start URL could be fetched."""
        return self.start_urls_fetched > 0

    @property
    def status(self) -> str:
        """How the run ended, as recorded: ``finished``, ``degraded``, ``failed``, ..."""
        return str(self.stats.get("newsarchive/status") or self.finish_reason)

    @property
    def alerts(self) -> str | None:
        """The alert thresholds the run broke, in one line; None when it broke none."""
        value = self.stats.get("newsarchive/alerts")
        return str(value) if value else None

    @property
    def storage_error(self) -> str | None:
        """Why the archive could not be written, when that stopped the crawl."""
        value = self.stats.get("newsarchive/storage_error")
        return str(value) if value else None

    def summary(self) -> str:
        """A short, human-readable account of the crawl."""
        c = self.counters
        lines = [
            f"crawl run {self.run_id}: {c['pages_fetched']} pages fetched"
            f" ({c['bytes_downloaded'] / 1e6:.1f} MB) in {self.seconds:.1f} s"
            f" ({self.finish_reason})",
            f"articles: {c['articles_new']} new, {c['articles_updated']} updated,"
            f" {c['articles_unchanged']} unchanged, {c['articles_duplicate']} duplicates,"
            f" {c['articles_removed']} removed",
        ]
        by_reason = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped.items()))
        lines.append(
            f"pages skipped: {c['pages_skipped']}" + (f" ({by_reason})" if by_reason else "")
        )
        by_kind = ", ".join(f"{k} {v}" for k, v in sorted(self.errors.items()))
        lines.append(f"errors: {c['errors']}" + (f" ({by_kind})" if by_kind else ""))
        if self.alerts:
            lines.append(f"alert ({self.status}): {self.alerts}")
            webhook = self.stats.get("newsarchive/alerts/webhook")
            if webhook:
                lines.append(f"alert webhook: {webhook}")
        return "\n".join(lines)


def crawl_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """The project's settings with ``overrides`` applied at command-line priority."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


class _OneLineFilter(logging.Filter):
    """Keeps log records to their message: a failed page is one line, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            error = record.exc_info[1]
            message = record.getMessage()
            if str(error) not in message:
                message = f"{message} ({type(error).__name__}: {error})"
            record.msg, record.args = message, None
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


def _drop_tracebacks(**_kwargs: Any) -> None:
    for handler in logging.getLogger().handlers:
        handler.addFilter(_OneLineFilter())


def _prefixed(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): int(v) for k, v in stats.items() if k.startswith(prefix)}


@dataclass(frozen=True, slots=True)
class CrawlSpec:
    """One crawl to run: plain start URLs, or a profile of a profiles file (or both)."""

    start_urls: tuple[str, ...] = ()
    profiles_file: str | None = None
    profile: str | None = None

    @property
    def label(self) -> str:
        return self.profile or (self.start_urls[0] if self.start_urls else "crawl")


def run_crawls(
    specs: list[CrawlSpec],
    *,
    db_url: str | None = None,
    max_pages: int = 0,
    settings: dict[str, Any] | None = None,
    warc_dir: str | None = None,
) -> list[CrawlReport]:
    """Run every crawl of ``specs`` at once in this process; blocks until all have ended."""
    crawl_conf = crawl_settings(settings)
    process = CrawlerProcess(crawl_conf)
    crawlers = []
    started = time.monotonic()
    for spec in specs:
        crawler = process.create_crawler(NewsSpider)
        if crawl_conf.get("LOG_LEVEL") != "DEBUG":
            # Scrapy installs its log handler when the crawl starts; filter it from then on.
            crawler.signals.connect(_drop_tracebacks, signal=signals.engine_started)
        process.crawl(
            crawler,
            start_urls=list(spec.start_urls),
            max_pages=max_pages,
            db=db_url,
            profiles=spec.profiles_file,
            profile=spec.profile,
            warc_dir=warc_dir,
        )
        crawlers.append(crawler)
    process.start()
    reports = []
    for crawler in crawlers:
        stats: dict[str, Any] = dict(crawler.stats.get_stats()) if crawler.stats else {}
        reports.append(
            CrawlReport(
                run_id=stats.get("newsarchive/run_id"),
                counters=run_counters(stats),
                skipped=_prefixed(stats, "newsarchive/skipped/"),
                errors=_prefixed(stats, "newsarchive/errors/"),
                start_urls_fetched=int(stats.get("newsarchive/start_urls_fetched", 0)),
                finish_reason=str(stats.get("finish_reason", "unknown")),
                seconds=time.monotonic() - started,
                stats=stats,
            )
        )
    return reports


def run_crawl(
    start_urls: list[str],
    *,
    db_url: str | None = None,
    max_pages: int = 0,
    settings: dict[str, Any] | None = None,
) -> CrawlReport:
    """Crawl from ``start_urls`` into the archive at ``db_url``; blocks until the crawl ends."""
    spec = CrawlSpec(start_urls=tuple(start_urls))
    (report,) = run_crawls([spec], db_url=db_url, max_pages=max_pages, settings=settings)
    return report
