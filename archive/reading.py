"""The read side: articles and their versions, history, raw pages and search hits.

Every reader of the archive goes through these functions: the CLI's ``search``, ``export``,
``history`` and ``story``, the exports, and a web layer. They take the archive's engine, return
plain records (never ORM objects), and write nothing. Articles are found by their canonical URL or
any alias (:func:`find_article`); ``filters`` (:class:`~archive.filters.ArticleFilter`) and a
``query`` in search syntax select articles the same way for count, stream and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from archive.changes import SNAPSHOT_SEQ, ChangeWindow
from archive.db import ArchiveError, driver_message
from archive.filters import ArticleFilter
from archive.models import Article, ArticleAlias, ArticleRevision
from archive.record import ArticleRecord
from archive.rows import (
    ARTICLE_COLUMNS,
    REVISION_COLUMNS,
    record_of,
    record_of_row,
    streamed_columns,
    warc_ref,
)
from archive.search import (
    SORT_ORDERS,
    QueryError,
    SortOrder,
    make_snippet,
    matching_ids,
    parse_query,
    prefer_index,
    search_ids,
)
from archive.textkey import site_family
from archive.warc import WarcLocation, WarcResponse, read_response


@dataclass(frozen=True, slots=True)
class ArticleVersion:
    """One stored version of an article, as ``export --revisions`` writes it."""

    record: ArticleRecord
    revision: int | None
    aliases: list[str] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        """The export record plus ``revision`` and ``aliases``."""
        return {**self.record.to_json_dict(), "revision": self.revision, "aliases": self.aliases}


@dataclass(frozen=True, slots=True)
class RevisionSummary:
    revision: int
    fetched_at: datetime
    content_hash: str
    title: str | None
    chars: int
    extractor_version: str
    warc: WarcLocation | None


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A search result: the article, its score (higher is better) and a highlighted snippet."""

    article: ArticleRecord
    score: float
    snippet: str


@dataclass(frozen=True, slots=True)
class StoryCopy:
    """One article of a story: where it was published, by whom, when."""

    article_id: int
    url: str
    site: str
    title: str | None
    source: str | None
    published_at: str | None
    first_seen_at: datetime
    removed_at: datetime | None


@dataclass(frozen=True, slots=True)
class Story:
    """The copies of one report, earliest first: by ``published_at``, then (undated, or
    published at the same moment) by when the archive first saw them."""

    story_id: int
    copies: list[StoryCopy]

    @property
    def earliest(self) -> StoryCopy:
        """The first publication of the story the archive knows of."""
        return self.copies[0]

    @property
    def sites(self) -> list[str]:
        """The sites that carried the story, in the order they published it."""
        return list(dict.fromkeys(copy.site for copy in self.copies))

    @property
    def sources(self) -> list[str]:
        """The outlets the copies name as their source, in the same order."""
        return list(dict.fromkeys(copy.source for copy in self.copies if copy.source))


@dataclass(frozen=True, slots=True)
class StoryHit:
    """A search hit standing for its story, with the other sites that carried it."""

    hit: SearchHit
    other_sites: list[str]


#: Copies of a story in publication order (undated last), then in the order first seen.
_STORY_ORDER: Final = (
    Article.published_at_utc.asc().nulls_last(),
    Article.first_seen_at,
    Article.id,
)
#: ``search --collapse`` reads up to this many hits per hit it shows, at most
#: :data:`COLLAPSE_MAX_HITS`, so that a story with many copies does not empty the page.
COLLAPSE_FACTOR: Final = 5
COLLAPSE_MAX_HITS: Final = 500


def get_story(engine: Engine, story_id: int) -> Story | None:
    """The story ``story_id`` with its copies, earliest first (None: no such story)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(
                Article.id,
                Article.url,
                Article.site,
                Article.title,
                Article.source,
                Article.published_at,
                Article.first_seen_at,
                Article.removed_at,
            )
            .where(Article.story_id == story_id)
            .order_by(*_STORY_ORDER)
        ).all()
    if not rows:
        return None
    return Story(story_id, [StoryCopy(*row) for row in rows])


def story_sites(engine: Engine, story_ids: Iterable[int]) -> dict[int, list[str]]:
    """The sites of each of ``story_ids``, in the order they published it."""
    wanted = sorted(set(story_ids))
    if not wanted:
        return {}
    found: dict[int, list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(Article.story_id, Article.site)
            .where(Article.story_id.in_(wanted))
            .order_by(Article.story_id, *_STORY_ORDER)
        )
        for story_id, site in rows:
            sites = found.setdefault(int(story_id or 0), [])
            if site not in sites:
                sites.append(site)
    return found


def search_stories(
    engine: Engine,
    query: str,
    *,
    limit: int = 20,
    filters: ArticleFilter | None = None,
    sort: SortOrder = "relevance",
) -> list[StoryHit]:
    """:func:`search`, one hit per story (its best-ranked or newest copy) with the other
    sites that carried the story. Reads up to :data:`COLLAPSE_FACTOR` hits per hit shown."""
    wanted = min(limit * COLLAPSE_FACTOR, max(limit, COLLAPSE_MAX_HITS))
    hits = search(engine, query, limit=wanted, filters=filters, sort=sort)
    shown: list[SearchHit] = []
    seen: set[int] = set()
    for hit in hits:
        story = hit.article.story_id
        if story is not None and story in seen:
            continue
        if story is not None:
            seen.add(story)
        shown.append(hit)
        if len(shown) == limit:
            break
    sites = story_sites(engine, seen)
    return [
        StoryHit(
            hit,
            [site for site in sites.get(hit.article.story_id or 0, []) if site != hit.article.site],
        )
        for hit in shown
    ]


def find_article(session: Session, url: str) -> Article | None:
    """The article row at ``url``: its canonical URL, else an alias of it."""
    row = session.execute(select(Article).where(Article.url == url)).scalar_one_or_none()
    if row is not None:
        return row
    alias = session.execute(
        select(ArticleAlias.article_id).where(ArticleAlias.url == url)
    ).scalar_one_or_none()
    return session.get(Article, alias) if alias is not None else None


def same_text_where(site: str, text_key: str) -> list[Any]:
    """Where-clauses on ``articles`` for the articles of ``site``, or of one of its editions
    (``www.``, ``m.``, ...: :func:`~archive.textkey.site_family`), whose text has the key
    ``text_key``. Served by the index on ``(site, text_key)``."""
    return [Article.site.in_(site_family(site)), Article.text_key == text_key]


def find_same_text(
    engine: Engine, site: str, text_key: str, *, other_than: str | None = None
) -> str | None:
    """The URL of an archived article of ``site`` (or one of its editions) that holds the
    text whose key is ``text_key``, other than the article at ``other_than``; None if there
    is none. The crawl asks this to tell a copy from a page that adds something."""
    # Built once: the crawl asks this for every article page, on its reactor thread, and
    # building and keying a statement cost more than running it.
    statement = _SAME_TEXT if other_than is None else _SAME_TEXT_ELSEWHERE
    params = {"sites": list(site_family(site)), "key": text_key, "other": other_than}
    with engine.connect() as conn:
        return conn.execute(statement, params).scalar_one_or_none()


_SAME_TEXT: Final = (
    select(Article.url)
    .where(Article.site.in_(bindparam("sites", expanding=True)))
    .where(Article.text_key == bindparam("key"))
    .order_by(Article.id)
    .limit(1)
)
_SAME_TEXT_ELSEWHERE: Final = _SAME_TEXT.where(Article.url != bindparam("other"))


def article_where(
    conn: Connection,
    filters: ArticleFilter | None,
    query: str | None,
    changes: ChangeWindow | None = None,
) -> list[Any]:
    """Where-clauses on ``articles`` for ``filters``, ``query`` and ``changes``."""
    where: list[Any] = []
    if filters is not None:
        where.extend(filters.clauses(conn.dialect.name))
    if query is not None:
        where.append(Article.id.in_(matching_ids(conn.dialect.name, parse_query(query))))
        prefer_index(conn)
    if changes is not None:
        where.extend(changes.article_clauses())
    return where


def count_articles(
    engine: Engine, filters: ArticleFilter | None = None, *, query: str | None = None
) -> int:
    """How many articles there are (that pass ``filters`` and match ``query``)."""
    with engine.connect() as conn:
        where = article_where(conn, filters, query)
        return int(conn.execute(select(func.count(Article.id)).where(*where)).scalar_one())


def get_article(engine: Engine, url: str) -> ArticleRecord | None:
    """The latest version of the article at ``url`` (its canonical URL or an alias)."""
    with Session(engine) as session:
        row = find_article(session, url)
        return record_of(row) if row is not None else None


def aliases_of(engine: Engine, url: str) -> list[str]:
    """The other URLs of the article at ``url``, in the order they were found."""
    with Session(engine) as session:
        row = find_article(session, url)
        if row is None:
            return []
        return list(
            session.execute(
                select(ArticleAlias.url)
                .where(ArticleAlias.article_id == row.id)
                .order_by(ArticleAlias.id)
            ).scalars()
        )


def iter_articles(
    engine: Engine,
    batch_size: int = 1000,
    *,
    filters: ArticleFilter | None = None,
    query: str | None = None,
    changes: ChangeWindow | None = None,
) -> Iterator[ArticleRecord]:
    """The latest version of each article, oldest first, streamed (constant memory).

    ``filters`` and ``query`` (search syntax) select articles; ``changes`` keeps those
    written or marked removed after its point, and learns what this read saw.
    """
    with engine.connect() as conn:
        where = article_where(conn, filters, query, changes)
        columns = streamed_columns(ARTICLE_COLUMNS, conn.dialect.name)
        if changes is not None:
            columns.append(SNAPSHOT_SEQ)
        result = conn.execution_options(yield_per=batch_size).execute(
            select(*columns).where(*where).order_by(Article.id)
        )
        for row in result:
            if changes is not None and changes.seen_seq is None:
                changes.seen_seq = int(row.snapshot_seq)
            yield record_of_row(row._mapping)


def iter_versions(
    engine: Engine,
    batch_size: int = 1000,
    *,
    filters: ArticleFilter | None = None,
    query: str | None = None,
    changes: ChangeWindow | None = None,
) -> Iterator[ArticleVersion]:
    """Every stored version of each selected article, by article then revision, streamed.

    ``filters`` and ``query`` select articles by their latest version; ``changes`` keeps
    the versions stored after its point, and learns what this read saw. Each version
    carries the article's aliases.
    """
    with engine.connect() as conn:
        where = article_where(conn, filters, query)
        columns = streamed_columns(REVISION_COLUMNS, conn.dialect.name)
        if changes is not None:
            columns.append(SNAPSHOT_SEQ)
            where.extend(changes.revision_clauses())
        result = conn.execution_options(yield_per=batch_size).execute(
            select(*columns)
            .join(Article, Article.id == ArticleRevision.article_id)
            .where(*where)
            .order_by(ArticleRevision.article_id, ArticleRevision.revision)
        )
        for partition in result.partitions():
            ids = sorted({row.article_id for row in partition})
            aliases: dict[int, list[str]] = {}
            with engine.connect() as other:
                for article_id, url in other.execute(
                    select(ArticleAlias.article_id, ArticleAlias.url)
                    .where(ArticleAlias.article_id.in_(ids))
                    .order_by(ArticleAlias.id)
                ):
                    aliases.setdefault(article_id, []).append(url)
            if changes is not None and changes.seen_seq is None and partition:
                changes.seen_seq = int(partition[0].snapshot_seq)
            for row in partition:
                yield ArticleVersion(
                    record_of_row(row._mapping),
                    row.revision,
                    aliases.get(row.article_id, []),
                )


def history(engine: Engine, url: str) -> list[RevisionSummary]:
    """Every stored version of the article at ``url``, oldest first."""
    with Session(engine) as session:
        row = find_article(session, url)
        if row is None:
            return []
        revisions = session.execute(
            select(ArticleRevision)
            .where(ArticleRevision.article_id == row.id)
            .order_by(ArticleRevision.revision)
        ).scalars()
        return [
            RevisionSummary(
                revision=r.revision,
                fetched_at=r.fetched_at,
                content_hash=r.content_hash,
                title=r.title,
                chars=len(r.text),
                extractor_version=r.extractor_version,
                warc=warc_ref(r),
            )
            for r in revisions
        ]


def get_revision(engine: Engine, url: str, revision: int) -> ArticleRecord | None:
    """Version number ``revision`` of the article at ``url``."""
    with Session(engine) as session:
        row = find_article(session, url)
        if row is None:
            return None
        rev = session.execute(
            select(ArticleRevision).where(
                ArticleRevision.article_id == row.id, ArticleRevision.revision == revision
            )
        ).scalar_one_or_none()
        return record_of(rev) if rev is not None else None


def iter_latest_pages(
    engine: Engine, batch_size: int = 200
) -> Iterator[tuple[ArticleRecord, WarcLocation | None, str | None]]:
    """Each article with where its latest page sits, and the URL that answered."""
    with Session(engine) as session:
        result = session.execute(
            select(Article, ArticleRevision)
            .join(
                ArticleRevision,
                (ArticleRevision.article_id == Article.id)
                & (ArticleRevision.revision == Article.revision),
            )
            .order_by(Article.id)
            .execution_options(yield_per=batch_size)
        )
        for article, revision in result:
            yield record_of(article), warc_ref(revision), revision.fetched_url


def page_location(engine: Engine, url: str) -> WarcLocation | None:
    """Where the latest page of the article at ``url`` sits in the WARC files."""
    with Session(engine) as session:
        row = find_article(session, url)
        if row is None:
            return None
        rev = session.execute(
            select(ArticleRevision).where(
                ArticleRevision.article_id == row.id, ArticleRevision.revision == row.revision
            )
        ).scalar_one_or_none()
        return warc_ref(rev) if rev is not None else None


def get_raw_page(engine: Engine, warc_dir: Path, url: str) -> WarcResponse | None:
    """The latest fetched page of the article at ``url``, read back from its WARC file in
    ``warc_dir``."""
    location = page_location(engine, url)
    if location is None:
        return None
    return read_response(warc_dir, location)


def search(
    engine: Engine,
    query: str,
    *,
    limit: int = 20,
    filters: ArticleFilter | None = None,
    sort: SortOrder = "relevance",
    offset: int = 0,
) -> list[SearchHit]:
    """Articles matching every word or ``"phrase"`` of ``query``, best (or newest) first.

    Raises :class:`~archive.search.QueryError` when the query holds nothing searchable.
    """
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    if sort not in SORT_ORDERS:
        raise QueryError(f"unknown sort order {sort!r}: use {' or '.join(SORT_ORDERS)}")
    parsed = parse_query(query)
    with engine.connect() as conn:
        try:
            matches = search_ids(
                conn, parsed, limit, filters=filters, sort=sort, offset=max(0, offset)
            )
            if not matches:
                return []
            rows = {
                row.id: row
                for row in conn.execute(
                    select(*ARTICLE_COLUMNS).where(Article.id.in_([m.article_id for m in matches]))
                )
            }
        except SQLAlchemyError as exc:
            raise ArchiveError(f"search failed: {driver_message(exc)}") from None
    hits = []
    for match in matches:
        row = rows.get(match.article_id)
        if row is None:  # index row of an article deleted meanwhile
            continue
        hits.append(
            SearchHit(
                article=record_of_row(row._mapping),
                score=float(f"{match.score:.6g}"),
                snippet=make_snippet(row.text, parsed.terms),
            )
        )
    return hits
