"""Migrations: an archive made by the release before migrations upgrades in place and keeps its
data; a fresh archive is created at the head revision; the migrated schema equals the models'.
On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import Connection, create_engine, text

from archive.db import ArchiveError, make_engine
from archive.migrations import BASELINE_REVISION, head_revision, schema_state, upgrade
from archive.models import Base
from archive.record import ArticleRecord
from archive.store import Archive
from archive.textkey import text_key
from exports.jsonl import export_archive
from newsarchive.cli import main

#: The SQLite schema of the release before migrations, as its create_all made it (frozen).
PREVIOUS_SQLITE_SCHEMA = """
CREATE TABLE crawl_runs (
    id INTEGER NOT NULL,
    started_at DATETIME NOT NULL,
    finished_at DATETIME,
    status VARCHAR(32) NOT NULL,
    profile VARCHAR(64),
    pid INTEGER,
    hostname VARCHAR(255),
    start_urls JSON NOT NULL,
    pages_fetched INTEGER NOT NULL,
    articles_new INTEGER NOT NULL,
    articles_updated INTEGER NOT NULL,
    articles_unchanged INTEGER NOT NULL,
    articles_removed INTEGER NOT NULL,
    pages_skipped INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    bytes_downloaded BIGINT NOT NULL,
    stats JSON NOT NULL,
    CONSTRAINT pk_crawl_runs PRIMARY KEY (id)
);
CREATE INDEX ix_crawl_runs_profile ON crawl_runs (profile);
CREATE TABLE articles (
    id INTEGER NOT NULL,
    url TEXT NOT NULL,
    site VARCHAR(255) NOT NULL,
    title TEXT,
    text TEXT NOT NULL,
    published_at VARCHAR(40),
    published_at_utc DATETIME,
    authors JSON NOT NULL,
    bylines JSON NOT NULL,
    source VARCHAR(255),
    section VARCHAR(255),
    tags JSON NOT NULL,
    language VARCHAR(16),
    fetched_at DATETIME NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    extractor_version VARCHAR(32) NOT NULL,
    profile VARCHAR(64),
    removed_at DATETIME,
    revision INTEGER NOT NULL,
    first_seen_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    crawl_run_id INTEGER,
    CONSTRAINT pk_articles PRIMARY KEY (id),
    CONSTRAINT uq_articles_url UNIQUE (url),
    CONSTRAINT fk_articles_crawl_run_id_crawl_runs FOREIGN KEY(crawl_run_id)
        REFERENCES crawl_runs (id)
);
CREATE INDEX ix_articles_content_hash ON articles (content_hash);
CREATE INDEX ix_articles_published_at_utc ON articles (published_at_utc);
CREATE INDEX ix_articles_profile ON articles (profile);
CREATE INDEX ix_articles_site ON articles (site);
CREATE TABLE article_revisions (
    id INTEGER NOT NULL,
    article_id INTEGER NOT NULL,
    revision INTEGER NOT NULL,
    title TEXT,
    text TEXT NOT NULL,
    published_at VARCHAR(40),
    authors JSON NOT NULL,
    bylines JSON NOT NULL,
    source VARCHAR(255),
    section VARCHAR(255),
    tags JSON NOT NULL,
    language VARCHAR(16),
    fetched_at DATETIME NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    extractor_version VARCHAR(32) NOT NULL,
    fetched_url TEXT,
    status INTEGER,
    warc_path TEXT,
    warc_offset BIGINT,
    warc_length BIGINT,
    crawl_run_id INTEGER,
    created_at DATETIME NOT NULL,
    CONSTRAINT pk_article_revisions PRIMARY KEY (id),
    CONSTRAINT uq_article_revisions_article_id UNIQUE (article_id, revision),
    CONSTRAINT fk_article_revisions_article_id_articles FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE CASCADE,
    CONSTRAINT fk_article_revisions_crawl_run_id_crawl_runs FOREIGN KEY(crawl_run_id)
        REFERENCES crawl_runs (id)
);
CREATE TABLE article_aliases (
    id INTEGER NOT NULL,
    url TEXT NOT NULL,
    article_id INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    created_at DATETIME NOT NULL,
    CONSTRAINT pk_article_aliases PRIMARY KEY (id),
    CONSTRAINT uq_article_aliases_url UNIQUE (url),
    CONSTRAINT fk_article_aliases_article_id_articles FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE CASCADE
);
CREATE INDEX ix_article_aliases_article_id ON article_aliases (article_id);
CREATE TABLE pages (
    id INTEGER NOT NULL,
    url TEXT NOT NULL,
    profile VARCHAR(64),
    kind VARCHAR(16) NOT NULL,
    state VARCHAR(16) NOT NULL,
    depth INTEGER NOT NULL,
    etag TEXT,
    last_modified VARCHAR(64),
    last_status INTEGER,
    last_fetched_at DATETIME,
    next_check_at DATETIME,
    article_id INTEGER,
    run_id INTEGER,
    CONSTRAINT pk_pages PRIMARY KEY (id),
    CONSTRAINT uq_pages_url UNIQUE (url),
    CONSTRAINT fk_pages_article_id_articles FOREIGN KEY(article_id)
        REFERENCES articles (id) ON DELETE SET NULL,
    CONSTRAINT fk_pages_run_id_crawl_runs FOREIGN KEY(run_id) REFERENCES crawl_runs (id)
);
CREATE INDEX ix_pages_next_check_at ON pages (next_check_at);
CREATE INDEX ix_pages_state ON pages (state);
CREATE INDEX ix_pages_profile ON pages (profile);
CREATE VIRTUAL TABLE article_fts USING fts5(
    title, text, tokenize = 'unicode61 remove_diacritics 2');
"""


def old_index_text(value: str) -> str:
    """The previous release's index text for Han-only ``value``: pairs, no folding."""
    return " ".join(value[i : i + 2] for i in range(len(value) - 1))


ARTICLES = [
    # id, url, title, text: traditional characters, indexed unfolded by the old release.
    (1, "http://hk.example/1.html", "羅湖區更新", "羅湖區今年推進城市更新"),
    (2, "http://sz.example/2.html", "福田区读书月", "福田区图书馆举办读书月"),
]


def make_previous_archive(conn: Connection) -> None:
    """Fill an archive of the previous schema the way the previous release wrote it."""
    now = "2024-05-20 02:00:00.000000" if conn.dialect.name == "sqlite" else "2024-05-20T02:00Z"
    for article_id, url, title, body in ARTICLES:
        conn.execute(
            text(
                "INSERT INTO articles (id, url, site, title, text, published_at, published_at_utc,"
                " authors, bylines, source, section, tags, language, fetched_at, content_hash,"
                " extractor_version, profile, removed_at, revision, first_seen_at, updated_at)"
                " VALUES (:id, :url, :site, :title, :text, '2024-05-20', :now, :authors,"
                " :bylines, '南方都市报', '要闻', '[]', 'zh', :now, :hash, '1', 'p', NULL, 1,"
                " :now, :now)"
            ),
            {
                "id": article_id,
                "url": url,
                "site": url.split("/")[2],
                "title": title,
                "text": body,
                "now": now,
                "authors": '["张一鎏"]',
                "bylines": '[{"name": "张一鎏", "role": "reporter"}]',
                "hash": f"{article_id:064x}",
            },
        )
        conn.execute(
            text(
                "INSERT INTO article_revisions (article_id, revision, title, text, authors,"
                " bylines, tags, fetched_at, content_hash, extractor_version, created_at)"
                " VALUES (:id, 1, :title, :text, '[]', '[]', '[]', :now, :hash, '1', :now)"
            ),
            {
                "id": article_id,
                "title": title,
                "text": body,
                "now": now,
                "hash": f"{article_id:064x}",
            },
        )
        tokens = {"id": article_id, "title": old_index_text(title), "text": old_index_text(body)}
        if conn.dialect.name == "sqlite":
            conn.execute(
                text("INSERT INTO article_fts (rowid, title, text) VALUES (:id, :title, :text)"),
                tokens,
            )
        else:
            conn.execute(
                text(
                    "INSERT INTO article_search (article_id, document) VALUES (:id,"
                    " setweight(to_tsvector('simple', :title), 'A')"
                    " || setweight(to_tsvector('simple', :text), 'B'))"
                ),
                tokens,
            )
    if conn.dialect.name == "postgresql":  # ids were given: move the sequence past them
        conn.execute(text("SELECT setval(pg_get_serial_sequence('articles', 'id'), 2)"))
    conn.execute(
        text(
            "INSERT INTO article_aliases (url, article_id, reason, created_at)"
            " VALUES ('http://hk.example/1.html?from=rss', 1, 'canonical_link', :now)"
        ),
        {"now": now},
    )


@pytest.fixture
def previous_archive(db_url: str) -> str:
    """An archive as the release before migrations left it (no alembic_version table)."""
    engine = make_engine(db_url)
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()
        raw.driver_connection.executescript(PREVIOUS_SQLITE_SCHEMA)  # type: ignore[union-attr]
        raw.close()
    else:
        upgrade(engine, BASELINE_REVISION)
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
    with engine.begin() as conn:
        make_previous_archive(conn)
    engine.dispose()
    return db_url


def test_previous_archive_is_refused_until_upgraded(previous_archive: str) -> None:
    for create in (True, False):
        with pytest.raises(ArchiveError, match="run `newsarchive db upgrade --db") as info:
            Archive(previous_archive, create=create)
        assert "\n" not in str(info.value)
    result = CliRunner().invoke(main, ["search", "罗湖", "--db", previous_archive])
    assert result.exit_code == 1
    assert "newsarchive db upgrade" in result.output
    assert result.output.count("\n") == 1


def test_upgrade_keeps_data_and_enables_new_features(previous_archive: str, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["db", "current", "--db", previous_archive])
    assert "run `newsarchive db upgrade`" in result.output
    result = runner.invoke(main, ["db", "upgrade", "--db", previous_archive])
    assert result.exit_code == 0, result.output
    assert f"upgraded from the release before 0.2 to {head_revision()}" in result.output
    result = runner.invoke(main, ["db", "upgrade", "--db", previous_archive])
    assert "already at" in result.output

    with Archive(previous_archive, create=False) as archive:
        assert archive.count_articles() == 2
        record = archive.get_article("http://hk.example/1.html?from=rss")
        assert record is not None
        assert record.title == "羅湖區更新"
        assert record.authors == ["张一鎏"]
        assert record.source == "南方都市报"
        assert record.fetched_at == datetime(2024, 5, 20, 2, 0, tzinfo=UTC)
        assert [r.revision for r in archive.history(record.url)] == [1]
        # The index was rebuilt with folding: simplified queries find traditional text.
        assert [h.article.url for h in archive.search("罗湖区")] == ["http://hk.example/1.html"]
        assert [h.article.url for h in archive.search("图书馆")] == ["http://sz.example/2.html"]
        # New tables work: --since-last keeps a cursor.
        out = tmp_path / "x.jsonl"
        assert export_archive(archive, out, since_last="feed").count == 2
        assert export_archive(archive, out, since_last="feed").count == 0
        # And the old write path still works.
        from archive.record import ArticleRecord

        archive.upsert_article(
            ArticleRecord(url="http://sz.example/3.html", title="x", text="罗湖")
        )
        assert archive.count_articles(query="罗湖") == 2


def _schema_differences(db_url: str) -> list[object]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        found = compare_metadata(context, Base.metadata)
    engine.dispose()
    ignored = {"article_fts", "article_search", "alembic_version"}
    return [d for d in found if not any(name in repr(d) for name in ignored)]


def test_a_cursor_of_the_previous_schema_is_read_by_time_once(db_url: str, tmp_path: Path) -> None:
    """0002 kept --since-last cursors as instants; after 0003 such a cursor is read by time
    once, then the export moves it to the change counter."""
    engine = make_engine(db_url)
    upgrade(engine, "0002_search_export")
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        make_previous_archive(conn)  # two articles, stored before the cursor's instant
        conn.execute(
            text(
                "INSERT INTO export_cursors (name, cursor_at, exported_at, articles)"
                " VALUES ('feed', :at, :at, 2)"
            ),
            {"at": "2024-06-01 00:00:00.000000" if sqlite else "2024-06-01T00:00Z"},
        )
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, seq FROM change_counter")).all() == [(1, 0)]
    engine.dispose()
    out = tmp_path / "feed.jsonl"
    with Archive(db_url) as archive:
        archive.upsert_article(
            ArticleRecord(url="http://sz.example/9.html", title="新", text="罗湖")
        )
        cursor = archive.export_cursor("feed")
        assert cursor is not None
        assert cursor.seq is None
        assert export_archive(archive, out, since_last="feed").count == 1
        cursor = archive.export_cursor("feed")
        assert cursor is not None
        assert cursor.seq == archive.change_seq() == 1
        assert export_archive(archive, out, since_last="feed").count == 0


def test_migrated_schema_equals_the_models(previous_archive: str) -> None:
    upgrade(make_engine(previous_archive))
    assert _schema_differences(previous_archive) == []


def test_fresh_archive_is_stamped_at_head(db_url: str) -> None:
    Archive(db_url).close()
    engine = create_engine(db_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.connect() as conn:
        state = schema_state(conn)
    engine.dispose()
    assert (state.status, state.revision) == ("current", head_revision())
    assert _schema_differences(db_url) == []


def test_upgrade_of_an_empty_database_creates_the_latest_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert upgrade(make_engine(url)) == (None, head_revision())
    Archive(url, create=False).close()


def test_archive_from_a_newer_release_is_refused(db_url: str) -> None:
    Archive(db_url).close()
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose()
    with pytest.raises(ArchiveError, match="newer newsarchive"):
        Archive(db_url)
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
    engine.dispose()


def test_reindex_rebuilds_the_search_index(db_url: str) -> None:
    from archive.record import ArticleRecord

    with Archive(db_url) as archive:
        archive.upsert_article(ArticleRecord(url="http://a.example/1", title="羅湖", text="東門"))
        table = "article_fts" if db_url.startswith("sqlite") else "article_search"
        with archive.engine.begin() as conn:
            conn.execute(text(f"DELETE FROM {table}"))
        assert archive.search("罗湖") == []
    result = CliRunner().invoke(main, ["db", "reindex", "--db", db_url])
    assert result.exit_code == 0, result.output
    assert result.output == "indexed 1 articles\n"
    with Archive(db_url) as archive:
        assert [h.article.url for h in archive.search("东门")] == ["http://a.example/1"]
        if archive.engine.dialect.name == "postgresql":  # dropped for the rebuild, built again
            with archive.engine.connect() as conn:
                indexes = conn.execute(
                    text("SELECT indexname FROM pg_indexes WHERE tablename = 'article_search'")
                ).scalars()
                assert "ix_article_search_document" in set(indexes)
    result = CliRunner().invoke(main, ["db", "current", "--db", db_url])
    assert "up to date" in result.output


def test_0004_keys_the_articles_already_archived(db_url: str) -> None:
    """After the upgrade, a copy of an article stored before it (same text, another headline)
    is an alias of it, not a second article."""
    engine = make_engine(db_url)
    upgrade(engine, "0003_change_counter")
    body = "\n".join(["罗湖区加快推进城市更新项目，全年计划完成固定资产投资超过三百亿元。"] * 4)
    with engine.begin() as conn:
        make_previous_archive(conn)
        conn.execute(text("UPDATE articles SET text = :body WHERE id = 2"), {"body": body})
    calls: list[tuple[int, int]] = []
    assert upgrade(engine, progress=lambda done, total: calls.append((done, total)))[1] == (
        head_revision()
    )
    assert calls == [(2, 2)]
    with engine.connect() as conn:
        keys = dict(conn.execute(text("SELECT id, text_key FROM articles")).all())  # type: ignore[arg-type]
    engine.dispose()
    assert keys[2] is not None
    assert keys == {1: None, 2: text_key(None, body)}  # article 1 is too short for a key
    with Archive(db_url) as archive:
        copy = ArticleRecord(url="http://sz.example/copy.html", title="另一个标题", text=body)
        result = archive.upsert_article(copy)
        assert (result.outcome, result.url) == ("duplicate", "http://sz.example/2.html")
        assert archive.count_articles() == 2


def _fts_hash_size(url: str) -> int | None:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text("SELECT v FROM article_fts_config WHERE k = 'hashsize'")).scalar()
    engine.dispose()
    return None if value is None else int(value)


def test_the_sqlite_index_gathers_a_batch_in_memory_fresh_or_upgraded(tmp_path: Path) -> None:
    """FTS5's ``hashsize`` (1 MB unless set) is set on a new archive and on one upgraded
    from 0007, whose index still takes and finds articles afterwards."""
    from archive.search import FTS_HASH_SIZE

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    Archive(fresh).close()
    old = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(old)
    upgrade(engine, "0007_workers")
    engine.dispose()
    assert _fts_hash_size(old) is None  # FTS5's default
    upgrade(make_engine(old))
    assert FTS_HASH_SIZE == 16 * 1024 * 1024
    assert _fts_hash_size(fresh) == _fts_hash_size(old) == FTS_HASH_SIZE
    with Archive(old) as archive:
        archive.upsert_article(ArticleRecord(url="http://a.example/1", title="罗湖", text="东门"))
        assert [h.article.url for h in archive.search("东门")] == ["http://a.example/1"]
