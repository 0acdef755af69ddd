"""The storage API: one :class:`Archive` object in front of the archive's modules.

:class:`Archive` is what the rest of the project talks to. It opens the database (engine and
schema) and hands each call to the module that owns the tables involved; it holds no SQL of
its own. Calls take and return plain records, never ORM objects or anything of Scrapy.

- :mod:`archive.articles`: the write path of an article and its versions (upsert, aliases,
  removals), with the search index row in the same transaction;
- :mod:`archive.reading`: the read side (articles, versions, history, raw pages, search hits);
- :mod:`archive.frontier`: the crawl frontier (``pages``);
- :mod:`archive.runs`: crawl runs (``crawl_runs``);
- :mod:`archive.health`: extraction health per site and run (``run_site_health``);
- :mod:`archive.changes`: the change counter and ``export --since-last`` cursors;
- :mod:`archive.importing`: imports of exported versions and index rebuilds.

The records those modules define are importable from here too, as they were before the split.
Raw pages live in WARC files (:mod:`archive.warc`); the database records where.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from archive import articles, changes, frontier, health, importing, reading, runs
from archive.articles import ArticleWrite, PageFetch, UpsertOutcome, UpsertResult
from archive.changes import ChangeWindow, SavedCursor
from archive.db import WRITE_ATTEMPTS, make_engine, parse_db_url, resolve_db_url
from archive.filters import ArticleFilter
from archive.frontier import PageDone, PageState
from archive.health import RunHealth, SiteHealth
from archive.reading import ArticleVersion, RevisionSummary, SearchHit, Story, StoryHit
from archive.record import ArticleRecord
from archive.rows import published_instant
from archive.runs import RUN_COUNTERS, RunSummary
from archive.search import SortOrder
from archive.warc import WarcLocation, WarcResponse

__all__ = [
    "RUN_COUNTERS",
    "WRITE_ATTEMPTS",
    "Archive",
    "ArticleVersion",
    "ArticleWrite",
    "ChangeWindow",
    "PageDone",
    "PageFetch",
    "PageState",
    "RevisionSummary",
    "RunSummary",
    "SavedCursor",
    "SearchHit",
    "Story",
    "StoryHit",
    "UpsertOutcome",
    "UpsertResult",
    "default_warc_dir",
    "published_instant",
]


def default_warc_dir(db_url: str) -> Path:
    """Where raw pages go: ``$NEWSARCHIVE_WARC_DIR``, else beside the SQLite file.

    ``archive.db`` keeps its pages in ``archive-warc/``; a PostgreSQL archive in
    ``./newsarchive-warc/``.
    """
    explicit = os.environ.get("NEWSARCHIVE_WARC_DIR")
    if explicit:
        return Path(explicit).expanduser()
    url = parse_db_url(db_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        db_path = Path(url.database or "").expanduser()
        return db_path.with_name(db_path.stem + "-warc")
    return Path("newsarchive-warc")


class Archive:
    """An article archive in one database (SQLite file by default, or PostgreSQL).

    Each method hands the call to the function of the same name in the module that owns it,
    with this archive's engine; the docstrings there say what each does.
    """

    def __init__(
        self, db_url: str | None = None, *, create: bool = True, warc_dir: Path | None = None
    ) -> None:
        self.db_url = resolve_db_url(db_url)
        self.engine: Engine = make_engine(self.db_url)
        self.warc_dir = warc_dir or default_warc_dir(self.db_url)
        if create:
            self.create_schema()
        else:
            self._check_schema(create=False)

    # -- lifecycle -------------------------------------------------------------------------

    def create_schema(self) -> None:
        """Create the latest schema in an empty database (stamped with its migration revision).

        An archive whose schema is older than this release's is refused with a one-line error
        that says to run ``newsarchive db upgrade``.
        """
        self._check_schema(create=True)

    def _check_schema(self, *, create: bool) -> None:
        # Imported here: Alembic takes a while to import, and most CLI commands never get here.
        from archive.migrations import check_schema

        check_schema(self.engine, create=create)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- articles and their versions (archive.articles) --------------------------------------

    def upsert_article(
        self,
        record: ArticleRecord,
        fetch: PageFetch | None = None,
        *,
        run_id: int | None = None,
        profile: str | None = None,
        aliases: Iterable[str] = (),
    ) -> UpsertResult:
        """Store ``record`` under its canonical URL, keeping every version."""
        return articles.upsert_article(
            self.engine, record, fetch, run_id=run_id, profile=profile, aliases=aliases
        )

    def upsert_articles(
        self,
        writes: Sequence[ArticleWrite],
        *,
        run_id: int | None = None,
        profile: str | None = None,
    ) -> list[UpsertResult]:
        """Store a batch of records in one transaction, their frontier pages marked done in it;
        returns what :meth:`upsert_article` would have returned for each, in order."""
        return articles.upsert_articles(self.engine, writes, run_id=run_id, profile=profile)

    def mark_removed(self, url: str, when: datetime | None = None) -> bool:
        """Record that the article at ``url`` (or an alias) is gone. Never deletes it."""
        return articles.mark_removed(self.engine, url, when)

    # -- crawl runs (archive.runs) -----------------------------------------------------------

    def start_run(
        self, start_urls: list[str], *, profile: str | None = None, exclusive: bool = True
    ) -> int:
        """Record the start of a crawl in this process; returns the run's id."""
        return runs.start_run(self.engine, start_urls, profile=profile, exclusive=exclusive)

    def finish_run(
        self, run_id: int, status: str, counters: Mapping[str, int], stats: Mapping[str, Any]
    ) -> None:
        """Record how a crawl ended, with its counters and every statistic."""
        runs.finish_run(self.engine, run_id, status, counters, stats)

    def list_runs(self, limit: int = 20, *, profile: str | None = None) -> list[RunSummary]:
        """The latest ``limit`` runs (of ``profile``, when given), newest first."""
        return runs.list_runs(self.engine, limit, profile=profile)

    def update_run_stats(self, run_id: int, stats: Mapping[str, Any]) -> None:
        """Add ``stats`` to the statistics of a recorded run."""
        runs.update_run_stats(self.engine, run_id, stats)

    # -- extraction health per site and run (archive.health) --------------------------------

    def save_run_health(self, run_id: int, rows: Iterable[SiteHealth]) -> None:
        """Store the figures of run ``run_id``, one row per site."""
        health.save_run_health(self.engine, run_id, rows)

    def run_site_health(self, run_ids: Iterable[int]) -> dict[int, list[SiteHealth]]:
        """The figures of each of ``run_ids`` by site, most articles seen first."""
        return health.run_site_health(self.engine, run_ids)

    def health_report(
        self,
        *,
        sites: Sequence[str] = (),
        since: datetime | None = None,
        profile: str | None = None,
        limit: int = 20,
        margin: float = health.DEFAULT_MARGIN,
        min_sample: int = health.DEFAULT_MIN_SAMPLE,
        baseline_runs: int = health.DEFAULT_BASELINE_RUNS,
        run_ids: Sequence[int] | None = None,
    ) -> list[RunHealth]:
        """The latest runs with their sites' figures and what fell against previous runs."""
        return health.health_report(
            self.engine,
            sites=sites,
            since=since,
            profile=profile,
            limit=limit,
            margin=margin,
            min_sample=min_sample,
            baseline_runs=baseline_runs,
            run_ids=run_ids,
        )

    # -- the frontier and conditional requests (archive.frontier) ---------------------------

    def page_states(self, urls: Iterable[str]) -> dict[str, PageState]:
        """What is known of each of ``urls`` (absent: never seen)."""
        return frontier.page_states(self.engine, urls)

    def enqueue_pages(
        self,
        entries: Iterable[tuple[str, str, int]],
        *,
        profile: str | None,
        run_id: int | None,
    ) -> int:
        """Queue ``(url, kind, depth)`` entries as ``pending``; returns how many were new."""
        return frontier.enqueue_pages(self.engine, entries, profile=profile, run_id=run_id)

    def run_pending_pages(self, run_id: int, *, after_id: int, limit: int) -> list[PageState]:
        """Pages queued by crawl run ``run_id`` and still pending, in queue order."""
        return frontier.run_pending_pages(self.engine, run_id, after_id=after_id, limit=limit)

    def record_fetch(
        self,
        url: str,
        *,
        kind: str,
        status: int,
        fetched_at: datetime,
        etag: str | None = None,
        last_modified: str | None = None,
        next_check_at: datetime | None = None,
        article_id: int | None = None,
        profile: str | None = None,
        run_id: int | None = None,
        state: str = "done",
    ) -> None:
        """Record a page's response: its kind, validators for the next conditional request."""
        frontier.record_fetch(
            self.engine,
            url,
            kind=kind,
            status=status,
            fetched_at=fetched_at,
            etag=etag,
            last_modified=last_modified,
            next_check_at=next_check_at,
            article_id=article_id,
            profile=profile,
            run_id=run_id,
            state=state,
        )

    def link_pages(self, urls: Iterable[str], article_id: int) -> None:
        """Note that the pages fetched as ``urls`` hold the article ``article_id``."""
        frontier.link_pages(self.engine, urls, article_id)

    def pending_pages(self, profile: str | None) -> list[PageState]:
        """Pages queued by an earlier crawl of ``profile`` that never got their response."""
        return frontier.pending_pages(self.engine, profile)

    def due_articles(
        self, profile: str | None, now: datetime, limit: int = 10_000
    ) -> list[PageState]:
        """Known article pages of ``profile`` whose recheck time has come."""
        return frontier.due_articles(self.engine, profile, now, limit)

    # -- reading (archive.reading) -----------------------------------------------------------

    def count_articles(
        self, filters: ArticleFilter | None = None, *, query: str | None = None
    ) -> int:
        """How many articles there are (that pass ``filters`` and match ``query``)."""
        return reading.count_articles(self.engine, filters, query=query)

    def get_article(self, url: str) -> ArticleRecord | None:
        """The latest version of the article at ``url`` (its canonical URL or an alias)."""
        return reading.get_article(self.engine, url)

    def find_same_text(
        self, site: str, text_key: str, *, other_than: str | None = None
    ) -> str | None:
        """The URL of an article of ``site`` (or one of its editions) holding the text whose
        key is ``text_key``, other than the article at ``other_than``."""
        return reading.find_same_text(self.engine, site, text_key, other_than=other_than)

    def aliases_of(self, url: str) -> list[str]:
        """The other URLs of the article at ``url``, in the order they were found."""
        return reading.aliases_of(self.engine, url)

    def iter_articles(
        self,
        batch_size: int = 1000,
        *,
        filters: ArticleFilter | None = None,
        query: str | None = None,
        changes: ChangeWindow | None = None,
    ) -> Iterator[ArticleRecord]:
        """The latest version of each selected article, oldest first, streamed."""
        return reading.iter_articles(
            self.engine, batch_size, filters=filters, query=query, changes=changes
        )

    def iter_versions(
        self,
        batch_size: int = 1000,
        *,
        filters: ArticleFilter | None = None,
        query: str | None = None,
        changes: ChangeWindow | None = None,
    ) -> Iterator[ArticleVersion]:
        """Every stored version of each selected article, by article then revision, streamed."""
        return reading.iter_versions(
            self.engine, batch_size, filters=filters, query=query, changes=changes
        )

    def history(self, url: str) -> list[RevisionSummary]:
        """Every stored version of the article at ``url``, oldest first."""
        return reading.history(self.engine, url)

    def get_revision(self, url: str, revision: int) -> ArticleRecord | None:
        """Version number ``revision`` of the article at ``url``."""
        return reading.get_revision(self.engine, url, revision)

    def iter_latest_pages(
        self, batch_size: int = 200
    ) -> Iterator[tuple[ArticleRecord, WarcLocation | None, str | None]]:
        """Each article with where its latest page sits, and the URL that answered."""
        return reading.iter_latest_pages(self.engine, batch_size)

    def page_location(self, url: str) -> WarcLocation | None:
        """Where the latest page of the article at ``url`` sits in the WARC files."""
        return reading.page_location(self.engine, url)

    def get_raw_page(self, url: str) -> WarcResponse | None:
        """The latest fetched page of the article at ``url``, read back from its WARC file."""
        return reading.get_raw_page(self.engine, self.warc_dir, url)

    def search(
        self,
        query: str,
        *,
        limit: int = 20,
        filters: ArticleFilter | None = None,
        sort: SortOrder = "relevance",
        offset: int = 0,
    ) -> list[SearchHit]:
        """Articles matching every word or ``"phrase"`` of ``query``, best (or newest) first."""
        return reading.search(
            self.engine, query, limit=limit, filters=filters, sort=sort, offset=offset
        )

    def search_stories(
        self,
        query: str,
        *,
        limit: int = 20,
        filters: ArticleFilter | None = None,
        sort: SortOrder = "relevance",
    ) -> list[StoryHit]:
        """:meth:`search` with one hit per story, and the other sites that carried it."""
        return reading.search_stories(self.engine, query, limit=limit, filters=filters, sort=sort)

    def get_story(self, story_id: int) -> Story | None:
        """The story ``story_id`` with its copies, earliest first."""
        return reading.get_story(self.engine, story_id)

    def story_sites(self, story_ids: Iterable[int]) -> dict[int, list[str]]:
        """The sites of each of ``story_ids``, in the order they published it."""
        return reading.story_sites(self.engine, story_ids)

    # -- changes and export cursors (archive.changes) ---------------------------------------

    def export_cursor(self, name: str) -> SavedCursor | None:
        """Where the previous export named ``name`` stopped (None: never exported)."""
        return changes.export_cursor(self.engine, name)

    def change_seq(self) -> int:
        """The change counter's value now: every change stamped up to it is committed."""
        return changes.change_seq(self.engine)

    def save_export_cursor(
        self, name: str, cursor_at: datetime, *, seq: int, articles: int, output: str | None
    ) -> None:
        """Move the cursor of ``name`` to ``seq``; ``cursor_at`` is when this export started."""
        changes.save_export_cursor(
            self.engine, name, cursor_at, seq=seq, articles=articles, output=output
        )

    # -- bulk loads (archive.importing) ------------------------------------------------------

    def import_versions(
        self,
        versions: Iterable[ArticleVersion],
        *,
        batch_size: int = 500,
        bulk: bool = False,
        progress: Callable[[dict[str, int]], None] | None = None,
    ) -> dict[str, int]:
        """Load exported versions (oldest first per article); returns counts by outcome."""
        return importing.import_versions(
            self.engine, versions, batch_size=batch_size, bulk=bulk, progress=progress
        )

    def rebuild_search_index(self) -> int:
        """Index every article again (after a change of tokenization); returns how many."""
        return importing.rebuild_search_index(self.engine)

    def rebuild_stories(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Place every article in its story again (after a change of threshold)."""
        return importing.rebuild_stories(self.engine, progress=progress)
