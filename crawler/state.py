"""The state of one crawl: its run record, its frontier in the database, its WARC files.

One :class:`CrawlState` per crawl, opened when the spider opens and closed when it closes. The
spider asks it what to fetch (new URLs, known articles due for a recheck, pages an interrupted run
left pending) and tells it what came back; the archive pipeline uses its archive connection,
run id and WARC writer. It holds no Scrapy objects, so it can be tested without a crawl.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archive.db import ArchiveError
from archive.record import ArticleRecord, site_of
from archive.store import Archive, PageState, UpsertResult
from archive.textkey import site_base, text_key
from archive.warc import WarcLocation, WarcWriter
from crawler.health import HealthTally

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """Whether to fetch a discovered URL, and the validators for a conditional request."""

    fetch: bool
    known_article: bool = False
    etag: str | None = None
    last_modified: str | None = None


class StageClock:
    """CPU seconds the crawl's reactor thread spends in each of our stages (``frontier``,
    ``warc``, ``archive_write``), recorded in the run's statistics: what is ours on the thread
    that also drives every download."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.thread_time()
        try:
            yield
        finally:
            self.seconds[stage] += time.thread_time() - started


class CrawlState:
    """Run record, frontier and WARC files of one crawl."""

    def __init__(
        self,
        archive: Archive,
        *,
        profile: str | None,
        start_urls: list[str],
        recheck_after: timedelta,
        warc_dir: Path | None = None,
        exclusive: bool = True,
    ) -> None:
        self.archive = archive
        self.profile = profile
        self.recheck_after = recheck_after
        # exclusive=False: one worker of a distributed crawl (crawler/distributed.py).
        self.run_id = archive.start_run(start_urls, profile=profile, exclusive=exclusive)
        self.warc_dir = warc_dir or archive.warc_dir
        self._warc: WarcWriter | None = None
        # The sites and text keys of the article pages parsed in this run, hashed: a collision
        # only stops a chain of links early, and ints keep a million pages small.
        self._texts_seen: set[int] = set()
        #: What the run saw of each site, saved with the run (``run_site_health``).
        self.health = HealthTally()
        self.clock = StageClock()

    # -- what to fetch ---------------------------------------------------------------------

    def resume_pages(self) -> list[PageState]:
        """Pages an earlier, interrupted crawl of this profile queued but never handled."""
        return self.archive.pending_pages(self.profile)

    def due_articles(self, now: datetime | None = None) -> list[PageState]:
        """Known articles of this profile whose recheck time has come."""
        return self.archive.due_articles(self.profile, now or datetime.now(UTC))

    def decide(self, urls: Iterable[str], now: datetime | None = None) -> dict[str, LinkDecision]:
        """For each discovered URL: fetch it (new, or a known article due), or leave it."""
        now = now or datetime.now(UTC)
        wanted = list(urls)
        with self.clock.timing("frontier"):
            states = self.archive.page_states(wanted)
        decisions: dict[str, LinkDecision] = {}
        for url in wanted:
            state = states.get(url)
            if state is None or state.kind != "article":
                decisions[url] = LinkDecision(
                    fetch=True, etag=_v(state, "etag"), last_modified=_v(state, "last_modified")
                )
                continue
            if state.article_id is None:
                # An article page that was never archived: a 304 would tell us nothing, so it
                # is asked for in full.
                decisions[url] = LinkDecision(fetch=True)
                continue
            due = state.next_check_at is None or state.next_check_at <= now
            decisions[url] = LinkDecision(
                fetch=due or state.state == "pending",
                known_article=True,
                etag=state.etag,
                last_modified=state.last_modified,
            )
        return decisions

    def is_copy(self, record: ArticleRecord, url: str) -> bool:
        """Whether the article page at ``url`` adds nothing new: its text (its text key,
        :mod:`archive.textkey`) was seen earlier in this run on the same site (or one of its
        editions), or the archive holds it under another URL of the site or its editions. A
        text too short for a key is never a copy. Costs one indexed lookup at most."""
        key = text_key(record.title, record.text)
        if key is None:
            return False
        site = site_of(url)
        seen = hash((site_base(site), key))
        if seen in self._texts_seen:
            return True
        self._texts_seen.add(seen)
        return self.archive.find_same_text(site, key, other_than=url) is not None

    def enqueue(self, entries: Iterable[tuple[str, str, int]]) -> None:
        """Persist ``(url, kind, depth)`` as pending, so that a killed crawl can resume."""
        with self.clock.timing("frontier"):
            self.archive.enqueue_pages(entries, profile=self.profile, run_id=self.run_id)

    # -- what came back --------------------------------------------------------------------

    def page_done(
        self,
        url: str,
        *,
        kind: str,
        status: int,
        headers: dict[str, str],
        article_id: int | None = None,
        failed: bool = False,
    ) -> None:
        now = datetime.now(UTC)
        with self.clock.timing("frontier"):
            self.archive.record_fetch(
                url,
                kind=kind,
                status=status,
                fetched_at=now,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                next_check_at=now + self.recheck_after if kind == "article" else None,
                article_id=article_id,
                profile=self.profile,
                run_id=self.run_id,
                state="failed" if failed else "done",
            )

    def write_warc(
        self,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        request_headers: list[tuple[str, str]] | None = None,
    ) -> WarcLocation:
        with self.clock.timing("warc"):
            if self._warc is None:
                self.warc_dir.mkdir(parents=True, exist_ok=True)
                self._warc = WarcWriter(self.warc_dir, self.run_id)
            return self._warc.write_response(
                url,
                status,
                reason,
                headers,
                body,
                fetched_at=fetched_at,
                request_headers=request_headers,
            )

    def stored(
        self, urls: Iterable[str], result: UpsertResult, *, status: int, headers: dict[str, str]
    ) -> None:
        """The article page fetched as ``urls`` was archived as ``result``'s article."""
        for url in dict.fromkeys(urls):
            self.page_done(
                url, kind="article", status=status, headers=headers, article_id=result.article_id
            )

    def finish(self, status: str, counters: dict[str, int], stats: dict[str, Any]) -> None:
        try:
            if self._warc is not None:
                self._warc.close()
            try:  # the figures first, so that a run recorded as ended has them
                self.archive.save_run_health(self.run_id, self.health.rows())
            except ArchiveError as exc:  # the run's own record matters more: go on
                logger.error("could not save the run's health figures: %s", exc)
            self.archive.finish_run(self.run_id, status, counters, stats)
        finally:
            self.archive.close()

    def add_stats(self, stats: dict[str, Any]) -> None:
        """Add statistics to the run after :meth:`finish` (how its alert was delivered)."""
        try:
            self.archive.update_run_stats(self.run_id, stats)
        finally:
            self.archive.close()  # the engine reconnected for this write; let it go again


def _v(state: PageState | None, name: str) -> str | None:
    return getattr(state, name) if state is not None else None
