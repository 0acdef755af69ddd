"""The write path of an article and its versions: ``articles``, ``article_revisions`` and
``article_aliases``, with the search index row kept in the same transaction.

:func:`upsert_article` stores a record under its canonical URL, as a new article, a new
revision, an alias of a copy already archived, or nothing at all when it is unchanged;
:func:`upsert_articles` does the same for a batch of records in one transaction (the crawl's
path), with their frontier pages marked done in it; :func:`mark_removed` marks an article
gone without deleting it. Each is one transaction, retried by
:func:`~archive.db.guarded_write`. A copy of an archived text (the same text key,
:mod:`archive.textkey`) on the same site is an alias, never a second article.
:func:`fill_text_keys` keys the articles of an upgraded archive. Reading is
:mod:`archive.reading`'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol, cast

from sqlalchemy import Connection, Engine, Table, and_, bindparam, func, select
from sqlalchemy.orm import Session

from archive.changes import bump_change
from archive.db import guarded_write
from archive.frontier import PageDone, mark_pages_done
from archive.models import Article, ArticleAlias, ArticleRevision
from archive.prepared import PreparedText, prepared_for
from archive.reading import find_article, same_text_where
from archive.record import ArticleRecord
from archive.rows import CONTENT_FIELDS, article_values
from archive.search import (
    defer_index_merges,
    index_article,
    index_prepared,
    merge_pending_index,
)
from archive.stories import assign_story, place_articles
from archive.textkey import site_family, text_key
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


class _Versioned(Protocol):
    """What :func:`_is_new_version` reads of an article: an ORM row, or a batch's view of one."""

    @property
    def url(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def content_hash(self) -> str: ...
    @property
    def text_key(self) -> str | None: ...
    @property
    def extractor_version(self) -> str: ...


def _is_new_version(row: _Versioned, record: ArticleRecord, key: str | None) -> bool:
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


@dataclass(frozen=True, slots=True)
class ArticleWrite:
    """One article of a batch for :func:`upsert_articles`: the arguments of one
    :func:`upsert_article` call, and the frontier pages that hold it (marked done, with the
    article's id, in the transaction that stores it)."""

    record: ArticleRecord
    fetch: PageFetch | None = None
    aliases: tuple[str, ...] = ()
    pages: tuple[PageDone, ...] = ()
    #: The record's derived values, computed ahead (the crawl's extraction workers); used
    #: only if computed from the record's very title and text, else computed again.
    prepared: PreparedText | None = None


@dataclass(slots=True, eq=False)
class _Known:
    """An article as a batch sees it: as stored (the small columns), plus the batch's changes.

    ``id`` is None for an article new in this batch until the batch inserts it; ``order``
    sorts articles as their ids will (stored ones by id, new ones after, in creation order).
    """

    id: int | None
    order: tuple[int, int]
    url: str
    site: str
    title: str | None
    content_hash: str
    text_key: str | None
    extractor_version: str
    revision: int
    removed_at: datetime | None
    profile: str | None
    #: The columns to write: all of them for a new article, the content for an updated one.
    values: dict[str, Any] | None = None
    came_back: bool = False
    #: The derived values of the text the batch writes (search index, story), when it
    #: changes the text.
    indexed: PreparedText | None = None


#: The ``articles`` columns a batch reads for each article it may touch (not the text).
_KNOWN_COLUMNS: Final = (
    Article.id,
    Article.url,
    Article.site,
    Article.title,
    Article.content_hash,
    Article.text_key,
    Article.extractor_version,
    Article.revision,
    Article.removed_at,
    Article.profile,
)


@guarded_write
def upsert_articles(
    engine: Engine,
    writes: Sequence[ArticleWrite],
    *,
    run_id: int | None = None,
    profile: str | None = None,
) -> list[UpsertResult]:
    """Store a batch of records in ONE transaction, with their frontier pages marked done in
    it; returns what :func:`upsert_article` would have returned for each, called in order.

    The batch may hold one URL twice, or a copy or an alias of an earlier record of the same
    batch: every decision is taken on the archive as the earlier records of the batch left
    it (``tests/test_archive_batch.py`` compares batches with sequential calls on random
    sequences). What differs: the whole batch takes one change-counter value, and one
    ``now`` for its timestamps. The reads are a few statements for the whole batch (the
    articles at its URLs and aliases, the articles of its text keys), the decisions are
    taken in memory, and the writes are one statement per table (``executemany``).

    A lost race with another writer (a unique key) rolls the batch back and runs it again
    (:func:`~archive.db.guarded_write`); a record the database refuses fails the batch, which
    the caller may then write record by record to find it.
    """
    if not writes:
        return []
    now = datetime.now(UTC)
    with engine.begin() as conn:
        defer_index_merges(conn)
        # The derived values (text key, search strings, story fingerprint) before the
        # counter's lock: other writers wait for it until this transaction commits, and they
        # were most of the batch's CPU. The crawl brings them computed in its workers.
        prepared = [prepared_for(w.prepared, w.record.title, w.record.text) for w in writes]
        batch = _Batch(conn, writes, prepared, now)
        # The counter first, before any write (the order every writer takes its locks in).
        seq = bump_change(conn)
        outcomes = [batch.decide(i, run_id, profile, seq) for i in range(len(writes))]
        batch.write(run_id, seq)
        results = [
            UpsertResult(outcome, cast("int", known.id), revision, known.url)
            for outcome, known, revision in outcomes
        ]
        pages = [
            replace(page, article_id=result.article_id)
            for write, result in zip(writes, results, strict=True)
            for page in write.pages
        ]
        mark_pages_done(conn, pages, profile=profile, run_id=run_id)
    # After the commit, without the counter's lock: the other writers go on meanwhile.
    merge_pending_index(engine)
    return results


class _Batch:
    """The in-memory view of the archive one :func:`upsert_articles` call works on."""

    def __init__(
        self,
        conn: Connection,
        writes: Sequence[ArticleWrite],
        prepared: Sequence[PreparedText],
        now: datetime,
    ) -> None:
        self.conn = conn
        self.now = now
        self.writes = writes
        self.prepared = prepared
        #: The write :meth:`decide` is at.
        self.index = 0
        self.values = [
            article_values(w.record, p.text_key) for w, p in zip(writes, prepared, strict=True)
        ]
        #: Every article read or created, by id (stored) or creation order (new).
        self.by_url: dict[str, _Known] = {}
        self.alias_of: dict[str, _Known] = {}
        #: Articles by text key, and by (site, content hash) for texts without a key; entries
        #: whose article changed since are skipped when read (its current values decide).
        self.by_key: dict[str, list[_Known]] = {}
        self.by_hash: dict[tuple[str, str], list[_Known]] = {}
        self.new: list[_Known] = []
        self.updated: dict[int, _Known] = {}
        self.revisions: list[tuple[_Known, dict[str, Any]]] = []
        self.aliases: list[tuple[str, _Known, str]] = []
        #: Articles whose text the batch writes, in the order of their last write: the order
        #: their stories are placed in.
        self.storied: list[_Known] = []
        self._read(writes)

    def _read(self, writes: Sequence[ArticleWrite]) -> None:
        conn = self.conn
        urls = list(dict.fromkeys(u for w in writes for u in (w.record.url, *w.aliases)))
        stored: dict[int, _Known] = {}

        def load(where: Any) -> list[_Known]:
            rows = conn.execute(select(*_KNOWN_COLUMNS).where(where)).all()
            return [stored.setdefault(row.id, _known_of(row)) for row in rows]

        aliased: dict[str, int] = {}
        for start in range(0, len(urls), _CHUNK):
            chunk = urls[start : start + _CHUNK]
            load(Article.url.in_(chunk))
            for alias_url, article_id in conn.execute(
                select(ArticleAlias.url, ArticleAlias.article_id).where(ArticleAlias.url.in_(chunk))
            ):
                aliased[alias_url] = article_id
        missing = set(aliased.values()) - set(stored)
        if missing:
            load(Article.id.in_(sorted(missing)))
        keys = {v["text_key"] for v in self.values if v["text_key"] is not None}
        keyless = {(v["site"], v["content_hash"]) for v in self.values if v["text_key"] is None}
        if keys:
            sites = {s for v in self.values for s in site_family(v["site"])}
            load(and_(Article.site.in_(sorted(sites)), Article.text_key.in_(sorted(keys))))
        if keyless:
            load(
                and_(
                    Article.site.in_(sorted({s for s, _ in keyless})),
                    Article.content_hash.in_(sorted({h for _, h in keyless})),
                )
            )
        for known in sorted(stored.values(), key=lambda k: k.order):
            self._register(known)
        for alias_url, article_id in aliased.items():
            self.alias_of[alias_url] = stored[article_id]

    def _register(self, known: _Known) -> None:
        self.by_url[known.url] = known
        if known.text_key is not None:
            self.by_key.setdefault(known.text_key, []).append(known)
        self.by_hash.setdefault((known.site, known.content_hash), []).append(known)

    def find(self, url: str) -> _Known | None:
        """:func:`~archive.reading.find_article`: the article at ``url`` or at an alias."""
        return self.by_url.get(url) or self.alias_of.get(url)

    def same_text(self, site: str, key: str | None, content_hash: str) -> _Known | None:
        """:func:`_same_text`, on the batch's view: the first article (by id) of the text."""
        if key is not None:
            family = set(site_family(site))
            found = [k for k in self.by_key.get(key, ()) if k.text_key == key and k.site in family]
        else:
            found = [
                k
                for k in self.by_hash.get((site, content_hash), ())
                if k.site == site and k.content_hash == content_hash
            ]
        return min(found, key=lambda k: k.order) if found else None

    def add_aliases(self, known: _Known, urls: Iterable[str], reason: str) -> None:
        """:func:`add_aliases`: each URL not yet an article's or an alias becomes one."""
        for url in urls:
            if url in self.by_url or url in self.alias_of:
                continue
            self.alias_of[url] = known
            self.aliases.append((url, known, reason))

    def decide(
        self, index: int, run_id: int | None, profile: str | None, seq: int
    ) -> tuple[UpsertOutcome, _Known, int]:
        """What :func:`upsert_article` does with the batch's write number ``index``, done to
        the batch's view."""
        self.index = index
        write = self.writes[index]
        record = write.record
        values = self.values[index]
        key = values["text_key"]
        known = self.find(record.url)
        if known is None:
            twin = self.same_text(record.site, key, record.content_hash)
            if twin is not None and record.text:
                self.add_aliases(twin, [record.url, *write.aliases], "same_text")
                return "duplicate", twin, twin.revision
            known = _Known(
                id=None,
                order=(1, len(self.new)),
                url=record.url,
                site=values["site"],
                title=values["title"],
                content_hash=values["content_hash"],
                text_key=key,
                extractor_version=values["extractor_version"],
                revision=1,
                removed_at=None,
                profile=profile or record.profile,
                values={
                    **values,
                    "first_seen_at": self.now,
                    "updated_at": self.now,
                    "removed_at": None,
                    "crawl_run_id": run_id,
                    "change_seq": seq,
                },
                indexed=self.prepared[index],
            )
            self.new.append(known)
            self.storied.append(known)
            self._register(known)
            self.revisions.append((known, self._revision(known, 1, write, run_id, seq)))
            self.add_aliases(known, write.aliases, "canonical_link")
            return "new", known, 1
        changed = _is_new_version(known, record, key)
        self.add_aliases(known, write.aliases, "canonical_link")
        if known.url != record.url:
            self.add_aliases(known, [record.url], "canonical_link")
        if known.removed_at is not None:
            known.removed_at = None
            known.came_back = True
            self._touch(known, seq)
        if not changed:
            return "unchanged", known, known.revision
        content = dict(values)
        content.pop("url")
        known.revision += 1
        known.site = content["site"]
        known.title = content["title"]
        known.content_hash = content["content_hash"]
        known.text_key = key
        known.extractor_version = content["extractor_version"]
        if profile:
            known.profile = profile
        known.values = {
            **(known.values or {}),
            **content,
            "updated_at": self.now,
            "crawl_run_id": run_id,
            "change_seq": seq,
        }
        known.indexed = self.prepared[index]
        self.storied = [k for k in self.storied if k is not known] + [known]
        self._touch(known, seq)
        self._register(known)
        self.revisions.append((known, self._revision(known, known.revision, write, run_id, seq)))
        return "updated", known, known.revision

    def _touch(self, known: _Known, seq: int) -> None:
        if known.id is not None:
            self.updated[known.id] = known

    def _revision(
        self, known: _Known, number: int, write: ArticleWrite, run_id: int | None, seq: int
    ) -> dict[str, Any]:
        """The ``article_revisions`` row :func:`revision_row` makes, from the values already
        computed (the text key is the costly part of :func:`article_values`)."""
        values = self.values[self.index]
        fetch = write.fetch
        warc = fetch.warc if fetch else None
        return {
            **{key: values[key] for key in CONTENT_FIELDS},
            "revision": number,
            "fetched_url": fetch.url if fetch else None,
            "status": fetch.status if fetch else None,
            "warc_path": warc.path if warc else None,
            "warc_offset": warc.offset if warc else None,
            "warc_length": warc.length if warc else None,
            "crawl_run_id": run_id,
            "created_at": self.now,
            "change_seq": seq,
        }

    def write(self, run_id: int | None, seq: int) -> None:
        """The batch's changes, one statement per table."""
        conn = self.conn
        if self.new:
            rows = []
            for known in self.new:
                assert known.values is not None
                rows.append(
                    {
                        **known.values,
                        "url": known.url,
                        "profile": known.profile,
                        "revision": known.revision,
                        "removed_at": known.removed_at,
                    }
                )
            # Ids by URL (unique): without sort_by_parameter_order, SQLAlchemy sends the rows
            # in multi-row statements on SQLite too (with it: one statement per row there).
            inserted: dict[str, int] = {
                url: int(id_)
                for url, id_ in conn.execute(
                    _ARTICLES.insert().returning(_ARTICLES.c.url, _ARTICLES.c.id), rows
                )
            }
            for known in self.new:
                known.id = int(inserted[known.url])
        changed = [k for k in self.updated.values() if k.values is not None]
        if changed:
            columns = sorted({c for k in changed for c in cast("dict[str, Any]", k.values)})
            conn.execute(
                _ARTICLES.update()
                .where(_ARTICLES.c.id == bindparam("b_id"))
                .values(
                    {
                        **{c: bindparam(f"b_{c}", type_=_ARTICLES.c[c].type) for c in columns},
                        "revision": bindparam("b_revision"),
                        "profile": bindparam("b_profile"),
                        "removed_at": None,
                    }
                ),
                [
                    {
                        "b_id": k.id,
                        "b_revision": k.revision,
                        "b_profile": k.profile,
                        **{f"b_{c}": v for c, v in cast("dict[str, Any]", k.values).items()},
                    }
                    for k in changed
                ],
            )
        back = [k for k in self.updated.values() if k.values is None and k.came_back]
        if back:
            conn.execute(
                _ARTICLES.update()
                .where(_ARTICLES.c.id.in_([k.id for k in back]))
                .values(removed_at=None, change_seq=seq)
            )
        if self.revisions:
            conn.execute(
                _REVISIONS.insert(),
                [{**row, "article_id": known.id} for known, row in self.revisions],
            )
        if self.aliases:
            conn.execute(
                _ALIASES.insert(),
                [
                    {"url": url, "article_id": known.id, "reason": reason, "created_at": self.now}
                    for url, known, reason in self.aliases
                ],
            )
        index_prepared(conn, _index_rows(self.new), fresh=True)
        index_prepared(conn, _index_rows(changed))
        # Stories last, in the order the batch wrote the texts, as one by one: each article
        # finds the bands of those before it, the batch's own included.
        storied = [k for k in self.storied if k.indexed is not None]
        place_articles(
            conn,
            [cast("int", k.id) for k in storied],
            [(p.shingles, p.buckets) for p in (cast("PreparedText", k.indexed) for k in storied)],
            seq=seq,
        )


def _index_rows(knowns: Iterable[_Known]) -> list[tuple[int, str, str]]:
    """The search index rows of the articles whose text the batch writes."""
    return [
        (cast("int", k.id), k.indexed.search_title, k.indexed.search_text)
        for k in knowns
        if k.indexed is not None
    ]


#: URLs per read statement (SQLite's parameter cap is far above).
_CHUNK: Final = 500
_ARTICLES: Final = cast("Table", Article.__table__)
_REVISIONS: Final = cast("Table", ArticleRevision.__table__)
_ALIASES: Final = cast("Table", ArticleAlias.__table__)


def _known_of(row: Any) -> _Known:
    return _Known(
        id=row.id,
        order=(0, row.id),
        url=row.url,
        site=row.site,
        title=row.title,
        content_hash=row.content_hash,
        text_key=row.text_key,
        extractor_version=row.extractor_version,
        revision=row.revision,
        removed_at=row.removed_at,
        profile=row.profile,
    )
