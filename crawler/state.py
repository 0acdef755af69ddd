"""The state of one crawl: its run record, its frontier in the database, its WARC files.

One :class:`CrawlState` per crawl, opened when the spider opens and closed when it closes. The
spider asks it what to fetch (new URLs, known articles due for a recheck, pages an interrupted run
left pending) and tells it what came back; the archive pipeline uses its archive connection,
run id and WARC writer. It holds no Scrapy objects, so it can be tested without a crawl.

Articles are written in batches (:meth:`CrawlState.store_article`): a batch of
``write_batch`` articles, or what came in ``write_interval`` seconds, whichever is first, goes
into the archive in one transaction that also marks their pages done
(:meth:`archive.store.Archive.upsert_articles`). Until then the pages stay ``pending``, so a
crawl killed with articles in memory fetches them again when resumed: nothing is lost, and
nothing counts as done before it is stored.

In a crawl (``writer_thread=True``) every write of the crawl happens on one writer thread, in
the order the crawl asked for it: the batches (:meth:`CrawlState.submit`), and on SQLite the
frontier's own small writes too (:meth:`CrawlState.enqueue`, :meth:`CrawlState.page_done`),
queued and handed to the writer ahead of the next batch. The reactor's thread, which drives
every download, then only reads (WAL lets it while the writer writes); SQLite and psycopg
leave Python's lock while they work, so the writes use a core of their own. A page is marked
done in a transaction that comes after the one that queued the links found on it, so a crawl
killed at any point still resumes with nothing lost.
"""

from __future__ import annotations

import cProfile
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

from archive.db import ArchiveError, RecordRefused
from archive.prepared import PreparedText
from archive.record import ArticleRecord, site_of
from archive.store import Archive, ArticleWrite, PageDone, PageFetch, PageState, UpsertResult
from archive.textkey import site_base, text_key
from archive.warc import WarcLocation, WarcWriter
from crawler.health import HealthTally

logger = logging.getLogger(__name__)

_T = TypeVar("_T")

#: Articles per write transaction (``NEWSARCHIVE_WRITE_BATCH``): past a few hundred the
#: per-transaction cost is spread thin, and a batch of 5 KB articles stays around a megabyte.
DEFAULT_WRITE_BATCH: Final = 200
#: Seconds an article may wait for its batch (``NEWSARCHIVE_WRITE_INTERVAL``), so that a slow
#: crawl stores (and a search sees) its articles within about that long.
DEFAULT_WRITE_INTERVAL: Final = 0.5


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """What became of an article handed to :meth:`CrawlState.store_article`, once its batch
    was written: stored as ``result``, or ``refused`` by the database (the reason; its pages
    are then marked failed, and the crawl goes on)."""

    record: ArticleRecord
    result: UpsertResult | None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class LinkDecision:
    """Whether to fetch a discovered URL, and the validators for a conditional request."""

    fetch: bool
    known_article: bool = False
    etag: str | None = None
    last_modified: str | None = None


class StageClock:
    """CPU seconds the crawl spends in each of our stages (``frontier``, ``warc``,
    ``archive_write``), recorded in the run's statistics. What the writer thread spends is
    kept apart, as ``writer_<stage>``: the rest is ours on the thread that also drives every
    download."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self._lock = threading.Lock()

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            stage = f"writer_{stage}"
        started = time.thread_time()
        try:
            yield
        finally:
            spent = time.thread_time() - started
            with self._lock:
                self.seconds[stage] += spent


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
        write_batch: int = DEFAULT_WRITE_BATCH,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
        exclusive: bool = True,
        writer_thread: bool = False,
        writer_profile: Path | None = None,
    ) -> None:
        self.archive = archive
        self.write_batch = max(1, write_batch)
        self.write_interval = max(0.0, write_interval)
        #: Articles waiting for their batch, and when the first of them came.
        self._batch: list[ArticleWrite] = []
        self._batch_since = 0.0
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
        #: The thread that writes, in order (created on the first :meth:`submit`).
        self._writer: ThreadPoolExecutor | None = None
        self._writes: list[Future[Any]] = []
        #: SQLite: the frontier's writes wait here for the writer (one file, one writer).
        self._defer_frontier = writer_thread and archive.engine.dialect.name == "sqlite"
        self._writer_thread = writer_thread
        #: ``writer-PID.prof`` goes there: a cProfile (CPU time) of the writer thread.
        self._writer_profile = writer_profile
        self._profiler: cProfile.Profile | None = None
        self._frontier_ops: list[Callable[[], None]] = []
        #: The first failure of a queued frontier write, raised by the next write asked for.
        self._write_error: ArchiveError | OSError | None = None

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

    def is_copy(
        self, record: ArticleRecord, url: str, prepared: PreparedText | None = None
    ) -> bool:
        """Whether the article page at ``url`` adds nothing new: its text (its text key,
        :mod:`archive.textkey`) was seen earlier in this run on the same site (or one of its
        editions), or the archive holds it under another URL of the site or its editions. A
        text too short for a key is never a copy. Costs one indexed lookup at most (and the
        text key, unless ``prepared`` holds it for the record's title and text)."""
        if prepared is not None and prepared.matches(record.title, record.text):
            key = prepared.text_key
        else:
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
        if self._defer_frontier:
            self._queue_frontier(self._enqueue_now, list(entries))
        else:
            self._enqueue_now(entries)

    def _enqueue_now(self, entries: Iterable[tuple[str, str, int]]) -> None:
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
        """Record that the page at ``url`` was handled (``failed``: it could not be)."""
        now = datetime.now(UTC)
        if self._defer_frontier:
            self._queue_frontier(
                self._page_done_now, url, kind, status, headers, article_id, failed, now
            )
        else:
            self._page_done_now(url, kind, status, headers, article_id, failed, now)

    def _page_done_now(
        self,
        url: str,
        kind: str,
        status: int,
        headers: dict[str, str],
        article_id: int | None,
        failed: bool,
        now: datetime,
    ) -> None:
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

    def store_article(
        self,
        record: ArticleRecord,
        fetch: PageFetch,
        *,
        aliases: Iterable[str],
        urls: Iterable[str],
        status: int,
        headers: dict[str, str],
        flush: bool = True,
        prepared: PreparedText | None = None,
    ) -> list[StoredArticle]:
        """Queue ``record`` for the archive; the pages fetched as ``urls`` are marked done
        (with the validators in ``headers``) in the transaction that stores it.

        Returns what was written when this article completed a batch (``write_batch``
        articles, or the first of them ``write_interval`` seconds old; 0: no age limit), else
        nothing yet: the rest comes from :meth:`flush_articles`. ``flush=False``: never writes
        here; the caller writes when :attr:`batch_due` says (from a thread, see
        :attr:`writes_in_thread`). ``prepared``: the record's derived values, computed in the
        extraction worker (the archive checks they are the record's, else computes them).
        """
        if self._write_error is not None:
            raise self._write_error
        now = datetime.now(UTC)
        pages = tuple(
            PageDone(
                url,
                kind="article",
                status=status,
                fetched_at=now,
                etag=headers.get("etag"),
                last_modified=headers.get("last-modified"),
                next_check_at=now + self.recheck_after,
            )
            for url in dict.fromkeys(urls)
        )
        if not self._batch:
            self._batch_since = time.monotonic()
        self._batch.append(ArticleWrite(record, fetch, tuple(aliases), pages, prepared))
        if flush and self.batch_due:
            return self.flush_articles()
        return []

    @property
    def batch_due(self) -> bool:
        """Whether the queued articles make a batch: ``write_batch`` of them, or the first one
        ``write_interval`` seconds old (0: no age limit)."""
        if not self._batch:
            return False
        waited = time.monotonic() - self._batch_since
        return len(self._batch) >= self.write_batch or 0 < self.write_interval <= waited

    # -- the writer thread -----------------------------------------------------------------

    def submit(self, function: Callable[..., _T], /, *args: Any) -> Future[_T]:
        """Run ``function`` on the writer thread, after every write asked for before it (the
        frontier's queued writes first). A failure of the archive (locked, full, gone) is kept:
        the writes asked for after it are not made (their pages stay ``pending``, for a resumed
        crawl), and :attr:`write_error` tells the crawl to stop."""
        self.flush_frontier()
        future = self._executor().submit(self._guarded, function, *args)
        self._writes = [w for w in self._writes if not w.done()]
        self._writes.append(future)
        return future

    def _executor(self) -> ThreadPoolExecutor:
        if self._writer is None:
            self._writer = ThreadPoolExecutor(
                1,
                thread_name_prefix="newsarchive-writer",
                initializer=self._start_profile if self._writer_profile else None,
            )
        return self._writer

    def _start_profile(self) -> None:
        self._profiler = cProfile.Profile(time.thread_time)
        self._profiler.enable()

    def _save_profile(self) -> None:
        if self._profiler is not None and self._writer_profile is not None:
            self._profiler.disable()
            self._writer_profile.mkdir(parents=True, exist_ok=True)
            self._profiler.dump_stats(self._writer_profile / f"writer-{os.getpid()}.prof")

    def _guarded(self, function: Callable[..., _T], *args: Any) -> _T:
        if self._write_error is not None:
            raise self._write_error
        try:
            return function(*args)
        except (ArchiveError, OSError) as exc:
            self._write_error = exc
            raise

    @property
    def write_error(self) -> ArchiveError | OSError | None:
        """The failure that stopped the writer thread, if one did."""
        return self._write_error

    def _queue_frontier(self, function: Callable[..., None], *args: Any) -> None:
        if self._write_error is not None:
            return  # the crawl is stopping; the page stays pending for a resumed crawl
        self._frontier_ops.append(lambda: function(*args))
        if len(self._frontier_ops) >= _FRONTIER_QUEUE:
            self.flush_frontier()

    def flush_frontier(self) -> None:
        """Hand the frontier's queued writes to the writer thread, as one job (before each
        batch, and from the pipeline's timer, so that they wait no longer than a batch of
        articles would)."""
        if not self._frontier_ops:
            return
        ops, self._frontier_ops = self._frontier_ops, []
        self._writes.append(self._executor().submit(self._guarded, _run_all, ops))

    def wait_writes(self) -> None:
        """Block until every write asked for so far is made (or has failed: see
        :attr:`write_error`). For the moments the crawl must read what it wrote: when the
        spider runs out of requests and reads the frontier, and at the end."""
        self.flush_frontier()
        writes, self._writes = self._writes, []
        for future in writes:
            with suppress(Exception):  # kept in write_error, or reported by the pipeline
                future.result()

    def _close_writer(self) -> None:
        self.wait_writes()
        if self._writer is not None:
            self._writer.submit(self._save_profile).result()
            self._writer.shutdown(wait=True)
            self._writer = None

    @property
    def writes_in_thread(self) -> bool:
        """Whether batches are written on the writer thread (:meth:`submit` of
        :meth:`write_articles`, then :meth:`articles_written`) while the crawl goes on.

        Yes in a crawl (``writer_thread=True``): the reactor's thread, which drives every
        download, then spends nothing on the archive write. And always on PostgreSQL: a batch
        takes the change counter's lock (archive/changes.py), and with several workers on one
        archive it waits there for another worker's batch; on the reactor's thread that wait
        stopped every download and claim of the process (``benchmarks/workers.py``). On
        SQLite the frontier's small writes then go to the same thread (one file, one writer),
        or they would wait for the batch's lock on the reactor's thread."""
        return self._writer_thread or self.archive.engine.dialect.name == "postgresql"

    @property
    def waiting_articles(self) -> int:
        """Articles queued by :meth:`store_article` and not written yet."""
        return len(self._batch)

    def flush_articles(self) -> list[StoredArticle]:
        """Write the queued articles, one transaction for all of them; a record the database
        refuses sends the batch in again one article at a time, so that only that one is
        skipped. A failure of the archive itself (locked, full, gone) is raised: the batch's
        pages are still ``pending``, and a resumed crawl fetches them again."""
        self.wait_writes()  # what the writer thread has queued comes first
        stored = self.write_articles(self.take_batch())
        self.articles_written(stored)
        return stored

    def take_batch(self) -> list[ArticleWrite]:
        """The queued articles, for :meth:`write_articles`; the queue starts again empty."""
        writes, self._batch = self._batch, []
        return writes

    def write_articles(self, writes: list[ArticleWrite]) -> list[StoredArticle]:
        """Write ``writes`` as :meth:`flush_articles` does. Touches nothing of the crawl's but
        the archive, so it may run in a thread (:attr:`writes_in_thread`), one batch at a time:
        batches must commit in the order they were taken."""
        if not writes:
            return []
        with self.clock.timing("archive_write"):
            try:
                results = self.archive.upsert_articles(
                    writes, run_id=self.run_id, profile=self.profile
                )
                stored = [StoredArticle(w.record, r) for w, r in zip(writes, results, strict=True)]
            except RecordRefused:
                stored = [self._write_alone(write) for write in writes]
        return stored

    def articles_written(self, stored: list[StoredArticle]) -> None:
        """Count what a batch stored in the run's health figures (the reactor's thread)."""
        for article in stored:
            if article.result is not None:
                self.health.article(article.record)

    def _write_alone(self, write: ArticleWrite) -> StoredArticle:
        try:
            (result,) = self.archive.upsert_articles(
                [write], run_id=self.run_id, profile=self.profile
            )
        except RecordRefused as exc:
            for page in write.pages:  # judged: not to be fetched again by a resumed crawl
                self.page_done(
                    page.url, kind="article", status=page.status, headers={}, failed=True
                )
            return StoredArticle(write.record, None, str(exc))
        return StoredArticle(write.record, result)

    def finish(self, status: str, counters: dict[str, int], stats: dict[str, Any]) -> None:
        try:
            self._close_writer()
            self._defer_frontier = False
            # The pipeline flushes on close; this is a safety net.
            if self._batch and self._write_error is None:
                logger.warning("writing %d articles left waiting at the end", len(self._batch))
                try:
                    self.flush_articles()
                except ArchiveError as exc:  # their pages stay pending: a resume fetches them
                    logger.error("could not write the last articles: %s", exc)
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


#: Frontier writes queued before they go to the writer thread without waiting for a batch.
_FRONTIER_QUEUE: Final = 500


def _run_all(ops: list[Callable[[], None]]) -> None:
    try:
        for op in ops:
            op()
    except (ArchiveError, OSError):
        raise
    except Exception as exc:  # a bug, not the archive: loud, and the crawl stops
        logger.exception("a frontier write failed")
        raise ArchiveError(f"a frontier write failed: {exc!r}") from exc


def _v(state: PageState | None, name: str) -> str | None:
    return getattr(state, name) if state is not None else None
