"""Read functions for browsing an archive: a page of search results with its total and facet
counts, an article by its id, a revision's archived page, and each run's extraction health per
site (the share of its articles with an author, a date, a source and a section, and what fell),
as ``newsarchive health`` reports it.

The web app (``newsarchive.web``) reads through these and through the :class:`Archive` methods
the command line uses (``search``, ``count_articles``, ``get_article``, ``aliases_of``,
``history``, ``get_revision``, ``list_runs``), so that a page, the JSON API and the CLI answer
alike, and nothing outside ``archive/`` builds SQL. Every function here only reads;
:func:`refuse_writes` makes an archive's connections read-only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import event, func, select

from archive.filters import ArticleFilter
from archive.health import RunHealth, SiteHealth, SiteReport
from archive.models import Article, ArticleRevision
from archive.record import ArticleRecord
from archive.search import (
    SortOrder,
    make_snippet,
    matching_ids,
    parse_query,
    prefer_index,
    search_ids,
    snippet_segments,
)
from archive.warc import WarcResponse, read_response

if TYPE_CHECKING:
    from archive.store import Archive, RunSummary

logger = logging.getLogger(__name__)

#: The fields counted as facets, in the order a page shows them (named as the filters are).
FACET_FIELDS: Final[tuple[str, ...]] = ("site", "source", "author", "section", "language")
#: Facets of a larger result set are counted over its first ``FACET_CAP`` articles, in the
#: order the page shows them (best or newest first): reading the facet columns of every match
#: costs a row read per match (a search for a common word matches most of the archive).
FACET_CAP: Final = 1000
#: Values shown per facet field (the most frequent first).
FACET_SIZE: Final = 10

#: How far before the oldest run's start :func:`run_site_shares` keeps reading revisions: a
#: write's ``created_at`` is taken when its transaction starts, so ids and times may disagree a
#: little when writers wait for each other.
_RUN_SLACK: Final = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet field and how many of the counted articles have it."""

    value: str
    count: int


@dataclass(frozen=True, slots=True)
class DateBucket:
    """A year (``2024``) or a month (``2024-05``) of publication, with the ``since`` and
    ``until`` filter values that select it."""

    label: str
    count: int
    since: str
    until: str


@dataclass(frozen=True, slots=True)
class Facets:
    """Facet counts over ``counted`` articles (all the matches, or the first ``FACET_CAP``)."""

    fields: dict[str, list[FacetValue]]
    dates: list[DateBucket]
    undated: int
    counted: int


@dataclass(frozen=True, slots=True)
class BrowseHit:
    """A result: the article with its id, score (None when not ranked) and snippet, both as
    the CLI prints it (``**`` marks) and as ``(text, is_match)`` pieces for HTML."""

    article_id: int
    article: ArticleRecord
    score: float | None
    snippet: str
    snippet_parts: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class ResultPage:
    """One page of results, the number of all results, and the facets of the result set."""

    query: str | None
    hits: list[BrowseHit]
    total: int
    offset: int
    limit: int
    facets: Facets | None = None
    #: The words the query searched for, for highlighting.
    terms: tuple[str, ...] = field(default=())


def search_page(
    archive: Archive,
    query: str | None,
    *,
    filters: ArticleFilter | None = None,
    sort: SortOrder = "relevance",
    offset: int = 0,
    limit: int = 20,
    facets: bool = True,
    facet_cap: int = FACET_CAP,
    facet_size: int = FACET_SIZE,
) -> ResultPage:
    """A page of the articles matching ``query`` (search syntax) and ``filters``.

    With a query, the hits come from ``Archive.search``, as for ``newsarchive search``; without
    one, the articles that pass ``filters``, newest first. The total is the number the facets
    counted when that was every match (fewer than ``facet_cap``), else :func:`count_matches`.
    Raises :class:`~archive.search.QueryError` for a query with nothing searchable.
    """
    text = (query or "").strip()
    records: list[tuple[ArticleRecord, float | None, str | None]]
    if text:
        terms = parse_query(text).terms
        found = archive.search(text, limit=limit, filters=filters, sort=sort, offset=offset)
        records = [(hit.article, hit.score, hit.snippet) for hit in found]
    else:
        terms = ()
        records = [(record, None, None) for record in _newest(archive, filters, offset, limit)]
    counted = (
        facet_counts(archive, text, filters=filters, sort=sort, cap=facet_cap, size=facet_size)
        if facets
        else None
    )
    if counted is not None and counted.counted < facet_cap:
        total = counted.counted  # the facets counted every match
    else:
        total = count_matches(archive, text, filters)
    ids = article_ids(archive, [record.url for record, _, _ in records])
    hits = [
        BrowseHit(
            article_id=ids[record.url],
            article=record,
            score=score,
            snippet=snippet if snippet is not None else make_snippet(record.text, terms),
            snippet_parts=tuple(snippet_segments(record.text, terms)),
        )
        for record, score, snippet in records
        if record.url in ids  # an article deleted between the two reads
    ]
    return ResultPage(
        query=text or None,
        hits=hits,
        total=total,
        offset=offset,
        limit=limit,
        facets=counted,
        terms=terms,
    )


#: Newest first, undated last: the order of ``search --sort date``. (SQLite walks the index of
#: published_at_utc for it; PostgreSQL's index gives NULLs first when read backwards, so it
#: sorts, which costs a scan of the filtered articles.)
_NEWEST_FIRST: Final = (Article.published_at_utc.desc().nulls_last(), Article.id.desc())


def count_matches(archive: Archive, query: str | None, filters: ArticleFilter | None) -> int:
    """How many articles match ``query`` and pass ``filters``: ``Archive.count_articles``,
    except that a query without filters is counted in the search index alone.

    The index has one row per article, written in the article's transaction, so both counts
    agree; joining the matches to the articles table costs a row read per match (measured at
    200,000 articles on SQLite: 12 ms for 2,000 matches, against 0.1 ms in the index).
    """
    text = (query or "").strip()
    if not text or (filters is not None and not filters.is_empty()):
        return archive.count_articles(filters, query=text or None)
    matches = matching_ids(archive.engine.dialect.name, parse_query(text)).subquery()
    with archive.engine.connect() as conn:
        prefer_index(conn)
        return int(conn.execute(select(func.count()).select_from(matches)).scalar_one())


def _newest(
    archive: Archive, filters: ArticleFilter | None, offset: int, limit: int
) -> list[ArticleRecord]:
    with archive.engine.connect() as conn:
        clauses = filters.clauses(conn.dialect.name) if filters is not None else []
        urls = list(
            conn.execute(
                select(Article.url)
                .where(*clauses)
                .order_by(*_NEWEST_FIRST)
                .limit(limit)
                .offset(offset)
            ).scalars()
        )
    return [record for url in urls if (record := archive.get_article(url)) is not None]


def facet_counts(
    archive: Archive,
    query: str | None,
    *,
    filters: ArticleFilter | None = None,
    sort: SortOrder = "relevance",
    cap: int = FACET_CAP,
    size: int = FACET_SIZE,
) -> Facets:
    """How many of the matching articles have each site, source, author, section, language
    and year (or month, when they all fall in one year) of publication.

    Counted over every match when there are at most ``cap``, else over the first ``cap`` in
    ``sort`` order (best matches, or newest); :attr:`Facets.counted` says how many.
    """
    columns = (
        Article.site,
        Article.source,
        Article.authors,
        Article.section,
        Article.language,
        Article.published_at_utc,
    )
    text = (query or "").strip()
    with archive.engine.connect() as conn:
        dialect = conn.dialect.name
        if text:
            matches = search_ids(conn, parse_query(text), cap, filters=filters, sort=sort)
            ids = [match.article_id for match in matches]
            rows = conn.execute(select(*columns).where(Article.id.in_(ids))).all() if ids else []
        else:
            clauses = filters.clauses(dialect) if filters is not None else []
            rows = conn.execute(
                select(*columns).where(*clauses).order_by(*_NEWEST_FIRST).limit(cap)
            ).all()
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    dates: list[datetime] = []
    for site, source, authors, section, language, published in rows:
        counters["site"][site] += 1
        counters["author"].update(set(authors or ()))
        for name, value in (("source", source), ("section", section), ("language", language)):
            if value:
                counters[name][value] += 1
        if published is not None:
            dates.append(published)
    return Facets(
        fields={name: _most_common(counter, size) for name, counter in counters.items()},
        dates=_date_buckets(dates),
        undated=len(rows) - len(dates),
        counted=len(rows),
    )


def _most_common(counter: Counter[str], size: int) -> list[FacetValue]:
    """The ``size`` most frequent values, ties in alphabetical order (stable pages)."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [FacetValue(value, count) for value, count in ranked[:size]]


def _date_buckets(dates: list[datetime]) -> list[DateBucket]:
    """Counts by year, newest first; by month when every date falls in one year."""
    years = Counter(moment.year for moment in dates)
    if len(years) != 1:
        return [
            DateBucket(str(year), count, f"{year}-01", f"{year}-12")
            for year, count in sorted(years.items(), reverse=True)
        ]
    months = Counter(f"{moment.year:04d}-{moment.month:02d}" for moment in dates)
    return [
        DateBucket(month, count, month, month)
        for month, count in sorted(months.items(), reverse=True)
    ]


def article_ids(archive: Archive, urls: Iterable[str]) -> dict[str, int]:
    """The ids of the articles whose canonical URLs are ``urls`` (absent: not archived)."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return {}
    with archive.engine.connect() as conn:
        rows = conn.execute(select(Article.url, Article.id).where(Article.url.in_(wanted)))
        return {str(url): int(article_id) for url, article_id in rows}


def article_url(archive: Archive, article_id: int) -> str | None:
    """The canonical URL of the article ``article_id`` (None: no such article)."""
    with archive.engine.connect() as conn:
        url: str | None = conn.execute(
            select(Article.url).where(Article.id == article_id)
        ).scalar_one_or_none()
        return url


def raw_page(archive: Archive, url: str, revision: int) -> WarcResponse | None:
    """The page fetched for ``revision`` of the article at ``url``, read back from its WARC
    file (None: no such revision, or it was imported without its page).

    Raises :class:`~archive.warc.WarcError` when the WARC file is missing or damaged.
    """
    for version in archive.history(url):
        if version.revision == revision:
            return read_response(archive.warc_dir, version.warc) if version.warc else None
    return None


def run_site_shares(
    archive: Archive, runs: Sequence[RunSummary], *, batch_size: int = 2000
) -> dict[int, list[SiteHealth]]:
    """For each of ``runs``, per site, the articles it stored (new or updated) and how many
    have each field: the figures of a run that recorded none (see :func:`runs_health`).

    Reads the revisions newest first and stops at those written before the oldest of the runs
    started, so the cost follows what those runs wrote, not the size of the archive (the
    revisions table has no index on the run).
    """
    wanted = {run.id for run in runs}
    if not wanted:
        return {}
    oldest = min(run.started_at for run in runs) - _RUN_SLACK
    # site -> [articles, with_author, with_date, with_source, with_section], per run
    tallies: dict[int, dict[str, list[int]]] = {run_id: {} for run_id in wanted}
    before: int | None = None
    query = (
        select(
            ArticleRevision.id,
            ArticleRevision.crawl_run_id,
            ArticleRevision.created_at,
            Article.site,
            ArticleRevision.authors,
            ArticleRevision.published_at,
            ArticleRevision.source,
            ArticleRevision.section,
        )
        .join(Article, Article.id == ArticleRevision.article_id)
        .order_by(ArticleRevision.id.desc())
        .limit(batch_size)
    )
    with archive.engine.connect() as conn:
        while True:
            batch = query if before is None else query.where(ArticleRevision.id < before)
            rows = conn.execute(batch).all()
            for _, run_id, _, site, authors, published, source, section in rows:
                if run_id not in wanted:
                    continue
                counts = tallies[run_id].setdefault(site, [0, 0, 0, 0, 0])
                present = (True, bool(authors), published is not None, bool(source), bool(section))
                for index, has in enumerate(present):
                    counts[index] += has
            if len(rows) < batch_size or rows[-1].created_at < oldest:
                break
            before = rows[-1].id
    return {
        run_id: sorted(
            (
                SiteHealth(
                    site,
                    articles=counts[0],
                    with_author=counts[1],
                    with_date=counts[2],
                    with_source=counts[3],
                    with_section=counts[4],
                )
                for site, counts in sites.items()
            ),
            key=lambda s: (-s.articles, s.site),
        )
        for run_id, sites in tallies.items()
    }


def runs_health(archive: Archive, runs: Sequence[RunSummary]) -> dict[int, RunHealth]:
    """Each of ``runs`` with its sites' figures and flags, as ``newsarchive health`` reports
    them (:meth:`Archive.health_report`): what the run read per site, judged against the
    site's previous runs. A run that recorded no figures (interrupted, still running, or
    older than the ``run_site_health`` table) gets the counts of the articles it stored
    (:func:`run_site_shares`), unflagged, with ``recorded`` False."""
    if not runs:
        return {}
    found = {
        report.run_id: report
        for report in archive.health_report(run_ids=[run.id for run in runs], limit=len(runs))
    }
    counted = run_site_shares(
        archive, [run for run in runs if run.id not in found or not found[run.id].recorded]
    )
    for run in runs:
        if run.id in counted:
            found[run.id] = RunHealth(
                run_id=run.id,
                started_at=run.started_at,
                finished_at=run.finished_at,
                status=run.status,
                profile=run.profile,
                sites=[SiteReport(site, None, 0, ()) for site in counted[run.id]],
                recorded=False,
            )
    return found


def counts_under(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    """A run's statistics named ``prefix`` + a name, by name: with ``newsarchive/skipped/``
    its skips by reason, with ``newsarchive/errors/`` its errors by kind."""
    return {
        key.removeprefix(prefix): int(value)
        for key, value in sorted(stats.items())
        if key.startswith(prefix) and isinstance(value, int | float)
    }


def refuse_writes(archive: Archive) -> None:
    """Make every connection of ``archive`` read-only (SQLite ``query_only``, a PostgreSQL
    session of read-only transactions), so that a reader such as the web app cannot change
    it whatever it runs. Connections already open are closed."""
    engine = archive.engine
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_query_only)
    else:
        event.listen(engine, "connect", _postgresql_read_only)
    engine.dispose()


def _sqlite_query_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _postgresql_read_only(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    # Committed, or the pool's rollback of this first transaction would undo the SET.
    dbapi_connection.commit()


__all__ = [
    "FACET_CAP",
    "FACET_FIELDS",
    "FACET_SIZE",
    "BrowseHit",
    "DateBucket",
    "FacetValue",
    "Facets",
    "ResultPage",
    "article_ids",
    "article_url",
    "count_matches",
    "counts_under",
    "facet_counts",
    "raw_page",
    "refuse_writes",
    "run_site_shares",
    "runs_health",
    "search_page",
]
