"""Bulk loads: importing exported versions (``newsarchive import``), rebuilding the search
index (``newsarchive db reindex``) and the stories (``newsarchive db reindex --stories``).

An import writes the same tables as :mod:`archive.articles` (articles, revisions, aliases, the
index, the stories), but a batch per transaction, with new URLs inserted a few statements for
the whole batch. With ``bulk``, the whole import is one transaction and on PostgreSQL the
search index is dropped at its start and built once at its end
(:func:`archive.search.index_built_at_end`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Connection, Engine, Table, select, text
from sqlalchemy.orm import Session, sessionmaker

from archive import stories
from archive.articles import add_aliases, revision_row
from archive.changes import bump_change
from archive.models import Article, ArticleAlias, ArticleRevision
from archive.reading import ArticleVersion, find_article
from archive.rows import CONTENT_FIELDS, article_values
from archive.search import index_articles, index_built_at_end, rebuild_index


def import_versions(
    engine: Engine,
    versions: Iterable[ArticleVersion],
    *,
    batch_size: int = 500,
    bulk: bool = False,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Load exported versions (oldest first per article), as ``export --revisions`` wrote.

    A version whose text is already stored for that article is ``unchanged``; an unknown
    URL becomes a new article (keeping the version's revision number); a known one gets a
    new revision. Aliases and ``removed_at`` are kept. Returns counts by outcome;
    ``progress`` is called with them after each batch.

    Each batch is committed on its own, so a failure keeps the batches before it. With
    ``bulk``, the whole import is one transaction (all or nothing), and on PostgreSQL the
    search index is dropped at the start and built once at the end, inside that
    transaction: several times faster for large imports, whose GIN updates otherwise
    dominate, but searches and other writers wait until the import commits.
    """
    counts = dict.fromkeys(("new", "updated", "unchanged"), 0)
    if not bulk:
        sessions = sessionmaker(engine, expire_on_commit=False)
        _import_batches(versions, batch_size, counts, sessions, progress)
    else:
        with engine.connect() as conn, conn.begin(), index_built_at_end(conn):
            # Sessions bound to a connection in a transaction join it: their commits leave
            # it open, and the import commits once, at the end.
            sessions = sessionmaker(bind=conn, expire_on_commit=False)
            _import_batches(versions, batch_size, counts, sessions, progress)
    analyze(engine)
    return counts


def rebuild_search_index(engine: Engine) -> int:
    """Index every article again (after a change of tokenization); returns how many."""
    with engine.begin() as conn:
        count = rebuild_index(conn)
    analyze(engine)
    return count


def rebuild_stories(engine: Engine, *, progress: Callable[[int, int], None] | None = None) -> int:
    """Place every article in its story again (after a change of threshold), in one
    transaction; returns how many articles were placed."""
    with engine.begin() as conn:
        count = stories.rebuild_stories(conn, progress=progress)
    analyze(engine)
    return count


def analyze(engine: Engine) -> None:
    """Refresh PostgreSQL's statistics after a bulk change, so that searches use the index."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE articles, article_search, story_bands"))


def _import_batches(
    versions: Iterable[ArticleVersion],
    batch_size: int,
    counts: dict[str, int],
    sessions: sessionmaker[Session],
    progress: Callable[[dict[str, int]], None] | None,
) -> None:
    batch: list[ArticleVersion] = []
    for version in versions:
        batch.append(version)
        if len(batch) >= batch_size:
            _import_batch(batch, counts, sessions)
            batch = []
            if progress is not None:
                progress(counts)
    if batch:
        _import_batch(batch, counts, sessions)
        if progress is not None:
            progress(counts)


def _import_batch(
    batch: list[ArticleVersion], counts: dict[str, int], sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    with sessions.begin() as session:
        conn = session.connection()
        seq = bump_change(conn)
        urls = [version.record.url for version in batch]
        known = set(conn.execute(select(Article.url).where(Article.url.in_(urls))).scalars())
        known.update(
            conn.execute(select(ArticleAlias.url).where(ArticleAlias.url.in_(urls))).scalars()
        )
        # New URLs are inserted in bulk (a few statements for the whole batch); the others,
        # and later versions of a URL new in this batch, go one by one below.
        fresh: dict[str, ArticleVersion] = {}
        rest: list[ArticleVersion] = []
        for version in batch:
            if version.record.url in known or version.record.url in fresh:
                rest.append(version)
            else:
                fresh[version.record.url] = version
        placed: list[int] = []
        if fresh:
            placed = _insert_new(conn, list(fresh.values()), now, seq)
            counts["new"] += len(placed)
            for version in fresh.values():
                if version.aliases:
                    found = find_article(session, version.record.url)
                    assert found is not None
                    add_aliases(session, found.id, version.aliases, "imported", now)
        to_index: dict[int, tuple[int, str | None, str]] = {}
        for version in rest:
            record = version.record
            row = find_article(session, record.url)
            if row is None:
                number = version.revision or 1
                row = Article(
                    **article_values(record),
                    profile=record.profile,
                    revision=number,
                    first_seen_at=record.fetched_at,
                    updated_at=now,
                    removed_at=record.removed_at,
                    change_seq=seq,
                )
                session.add(row)
                session.flush()
                session.add(revision_row(row.id, number, record, None, None, now, seq))
                outcome = "new"
            else:
                stored = session.execute(
                    select(ArticleRevision.id).where(
                        ArticleRevision.article_id == row.id,
                        ArticleRevision.content_hash == record.content_hash,
                        ArticleRevision.extractor_version == record.extractor_version,
                    )
                ).first()
                if stored is not None:
                    outcome = "unchanged"
                    if record.removed_at is not None and row.removed_at is None:
                        row.removed_at = record.removed_at
                        row.change_seq = seq
                else:
                    values = article_values(record)
                    values.pop("url")
                    for key, value in values.items():
                        setattr(row, key, value)
                    row.revision = max(row.revision + 1, version.revision or 0)
                    row.updated_at = now
                    row.removed_at = record.removed_at
                    row.change_seq = seq
                    if record.profile:
                        row.profile = record.profile
                    session.add(revision_row(row.id, row.revision, record, None, None, now, seq))
                    outcome = "updated"
            if outcome != "unchanged":
                to_index[row.id] = (row.id, record.title, record.text)
            add_aliases(session, row.id, version.aliases, "imported", now)
            counts[outcome] += 1
        session.flush()
        index_articles(session.connection(), list(to_index.values()))
        stories.place_new_articles(session.connection(), [*placed, *to_index], seq=seq)


def _insert_new(
    conn: Connection, versions: list[ArticleVersion], now: datetime, seq: int
) -> list[int]:
    """Insert articles whose URLs are not archived yet, with revision and index rows; returns
    their ids."""
    articles = cast("Table", Article.__table__)
    rows = [
        {
            **article_values(v.record),
            "profile": v.record.profile,
            "revision": v.revision or 1,
            "first_seen_at": v.record.fetched_at,
            "updated_at": now,
            "removed_at": v.record.removed_at,
            "crawl_run_id": None,
            "change_seq": seq,
        }
        for v in versions
    ]
    inserted = conn.execute(
        articles.insert().returning(articles.c.id, sort_by_parameter_order=True), rows
    ).all()
    ids = [row[0] for row in inserted]
    revisions = cast("Table", ArticleRevision.__table__)
    conn.execute(
        revisions.insert(),
        [
            {
                **{k: row[k] for k in CONTENT_FIELDS},
                "article_id": article_id,
                "revision": row["revision"],
                "fetched_url": None,
                "status": None,
                "warc_path": None,
                "warc_offset": None,
                "warc_length": None,
                "crawl_run_id": None,
                "created_at": now,
                "change_seq": seq,
            }
            for article_id, row in zip(ids, rows, strict=True)
        ],
    )
    index_articles(
        conn,
        [(i, v.record.title, v.record.text) for i, v in zip(ids, versions, strict=True)],
        fresh=True,
    )
    return ids
