"""The write path of an article and its versions: ``articles``, ``article_revisions`` and
``article_aliases``, with the search index row kept in the same transaction.

:func:`upsert_article` stores a record under its canonical URL, as a new article, a new
revision, an alias of a copy already archived, or nothing at all when it is unchanged;
:func:`mark_removed` marks an article gone without deleting it. Each is one transaction,
retried by :func:`~archive.db.guarded_write`. A copy of an archived text (the same text key,
:mod:`archive.textkey`) on the same site is an alias, never a second article.
:func:`fill_text_keys` keys the articles of an upgraded archive. Reading is
:mod:`archive.reading`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, Literal, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, select
from sqlalchemy.orm import Session

from archive.changes import bump_change
from archive.db import guarded_write
from archive.models import Article, ArticleAlias, ArticleRevision
from archive.reading import find_article, same_text_where
from archive.record import ArticleRecord
from archive.rows import CONTENT_FIELDS, article_values
from archive.search import index_article
from archive.stories import assign_story
from archive.textkey import text_key
from archive.warc import WarcLocation

logger = logging.getLogger(__name__)

#: ``duplicate``: the same text is already archived under another URL, which now has an alias.
UpsertOutcome = Literal["new", "updated", "unchanged", "duplicate"]


@dataclass(slots=True)
class PageFetch:
    """How an article's page was fetched; its bytes are in the WARC file at ``warc``."""

    url: str
    status: int
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    warc: WarcLocation | None = None


@dataclass(frozen=True, slots=True)
class UpsertResult:
    outcome: UpsertOutcome
    article_id: int
    revision: int
    #: The archived article's URL (differs from the record's for a duplicate).
    url: str


@guarded_write
def upsert_article(
    engine: Engine,
    record: ArticleRecord,
    fetch: PageFetch | None = None,
    *,
    run_id: int | None = None,
    profile: str | None = None,
    aliases: Iterable[str] = (),
) -> UpsertResult:
    """Store ``record`` under its canonical URL, keeping every version.

    - new URL, new text: a new article (revision 1);
    - new URL, text already archived on the same site or one of its editions (the same text
      key, :mod:`archive.textkey`, whatever the headline; for a text too short for a key, the
      same headline and text on the same site): the URL becomes a ``same_text`` alias of
      that article (``duplicate``), nothing else is written;
    - known URL (or alias), same text and extractor: ``unchanged``, nothing is rewritten
      (also for a copy found at an alias, and for furniture lines alone: see
      :func:`_is_new_version`);
    - known URL, changed: a new revision, and the article row shows it (``updated``).

    ``aliases`` are other URLs of the same article (the URL that answered when the page
    named another canonical URL). Article, revision, aliases, search index and story
    (:mod:`archive.stories`) change in one transaction.
    """
    now = datetime.now(UTC)
    own_key = text_key(record.title, record.text)
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = find_article(session, record.url)
        if row is None:
            twin = _same_text(session, record, own_key)
            if twin is not None and record.text:
                add_aliases(session, twin.id, [record.url, *aliases], "same_text", now)
                return UpsertResult("duplicate", twin.id, twin.revision, twin.url)
            seq = bump_change(session.connection())
            row = Article(
                **article_values(record),
                profile=profile or record.profile,
                revision=1,
                first_seen_at=now,
                updated_at=now,
                crawl_run_id=run_id,
                change_seq=seq,
            )
            session.add(row)
            session.flush()
            session.add(revision_row(row.id, 1, record, fetch, run_id, now, seq))
            index_article(session.connection(), row.id, record.title, record.text)
            assign_story(session.connection(), row.id, record.title, record.text, seq=seq)
            add_aliases(session, row.id, aliases, "canonical_link", now)
            return UpsertResult("new", row.id, 1, row.url)
        changed = _is_new_version(row, record, own_key)
        came_back = row.removed_at is not None  # a change for --since-last exports too
        # The counter before any other write: every writer takes its locks in that order.
        seq = bump_change(session.connection()) if changed or came_back else row.change_seq
        add_aliases(session, row.id, aliases, "canonical_link", now)
        if row.url != record.url:
            add_aliases(session, row.id, [record.url], "canonical_link", now)
        if came_back:
            row.removed_at = None
            row.change_seq = seq
        if not changed:
            return UpsertResult("unchanged", row.id, row.revision, row.url)
        values = article_values(record)
        values.pop("url")
        for key, value in values.items():
            setattr(row, key, value)
        row.revision += 1
        row.updated_at = now
        row.crawl_run_id = run_id
        row.change_seq = seq
        if profile:
            row.profile = profile
        session.add(revision_row(row.id, row.revision, record, fetch, run_id, now, seq))
        session.flush()
        index_article(session.connection(), row.id, record.title, record.text)
        assign_story(session.connection(), row.id, record.title, record.text, seq=seq)
        return UpsertResult("updated", row.id, row.revision, row.url)


@guarded_write
def mark_removed(engine: Engine, url: str, when: datetime | None = None) -> bool:
    """Record that the article at ``url`` (or an alias) is gone. Never deletes it.

    Returns False when no such article is archived, or it was already marked.
    """
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = find_article(session, url)
        if row is None or row.removed_at is not None:
            return False
        row.removed_at = when or datetime.now(UTC)
        row.change_seq = bump_change(session.connection())
        return True


#: Articles read and keyed per statement by :func:`fill_text_keys`.
FILL_BATCH: Final = 1000


def fill_text_keys(
    conn: Connection,
    *,
    batch_size: int = FILL_BATCH,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Set ``text_key`` of every article from its title and text, in batches of
    ``batch_size`` (by id, so memory stays flat), inside the caller's transaction; calls
    ``progress(done, total)`` after each batch. Returns how many articles were keyed.

    Migration ``0004_text_key`` fills an upgraded archive with it; a later change of
    :mod:`archive.textkey` needs a migration that runs it again.
    """
    articles = cast("Table", Article.__table__)
    total = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    update_key = (
        articles.update()
        .where(articles.c.id == bindparam("row_id"))
        .values(text_key=bindparam("key"))
    )
    done = last = 0
    while True:
        rows = conn.execute(
            select(articles.c.id, articles.c.title, articles.c.text)
            .where(articles.c.id > last)
            .order_by(articles.c.id)
            .limit(batch_size)
        ).all()
        if not rows:
            break
        conn.execute(
            update_key, [{"row_id": row.id, "key": text_key(row.title, row.text)} for row in rows]
        )
        done += len(rows)
        last = rows[-1].id
        if progress is not None:
            progress(done, total)
    logger.info("text keys set for %d articles", done)
    return done


def _same_text(session: Session, record: ArticleRecord, key: str | None) -> Article | None:
    """The archived article whose text ``record`` holds, on its site: by text key on the site
    and its editions, whatever the headline; for a text too short for a key, by content hash
    (headline and text) on the very same site."""
    where = (
        same_text_where(record.site, key)
        if key is not None
        else [Article.site == record.site, Article.content_hash == record.content_hash]
    )
    return session.execute(
        select(Article).where(*where).order_by(Article.id).limit(1)
    ).scalar_one_or_none()


def _is_new_version(row: Article, record: ArticleRecord, key: str | None) -> bool:
    """Whether ``record``, found at the URL of the article ``row`` or at an alias of it, is a
    new version of the article.

    Another headline or text is; so is the same one from another extractor. A text of the
    same key (:mod:`archive.textkey`) that differs only by furniture lines is not, nor is it
    under another headline when it was found at an alias: that page is a copy (print, mobile,
    cross-posted), and a copy never rewrites the article it copies.
    """
    if row.content_hash == record.content_hash:
        return row.extractor_version != record.extractor_version
    if key is None or row.text_key != key:
        return True
    if row.url != record.url:
        return False
    return row.title != record.title or row.extractor_version != record.extractor_version


def add_aliases(
    session: Session, article_id: int, urls: Iterable[str], reason: str, now: datetime
) -> None:
    """Make each of ``urls`` an alias of the article, unless it is already an article's URL
    or an alias."""
    for url in urls:
        if session.execute(select(Article.id).where(Article.url == url)).first():
            continue
        exists = session.execute(select(ArticleAlias.id).where(ArticleAlias.url == url)).first()
        if exists is None:
            session.add(ArticleAlias(url=url, article_id=article_id, reason=reason, created_at=now))
            session.flush()


def revision_row(
    article_id: int,
    revision: int,
    record: ArticleRecord,
    fetch: PageFetch | None,
    run_id: int | None,
    now: datetime,
    seq: int,
) -> ArticleRevision:
    """The ``article_revisions`` row of ``record`` as version ``revision`` of the article."""
    values = {key: value for key, value in article_values(record).items() if key in CONTENT_FIELDS}
    return ArticleRevision(
        article_id=article_id,
        revision=revision,
        **values,
        fetched_url=fetch.url if fetch else None,
        status=fetch.status if fetch else None,
        warc_path=fetch.warc.path if fetch and fetch.warc else None,
        warc_offset=fetch.warc.offset if fetch and fetch.warc else None,
        warc_length=fetch.warc.length if fetch and fetch.warc else None,
        crawl_run_id=run_id,
        created_at=now,
        change_seq=seq,
    )
