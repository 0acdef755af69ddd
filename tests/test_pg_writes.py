"""The batched write's handling of the PostgreSQL search index (``archive.search``): the
settings it raises hold for its own transaction only, the pending list of the GIN index is
merged after the commit, and what is stored and found is the same as without that merge."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, create_engine, make_url, text

import archive.articles
from archive.articles import ArticleWrite
from archive.record import ArticleRecord
from archive.search import (
    BATCH_PENDING_LIST,
    MERGE_MEMORY,
    SEARCH_INDEX_NAME,
    defer_index_merges,
    fold_han,
    merge_pending_index,
)
from archive.store import Archive

PLACES = ("罗湖", "福田", "南山", "盐田", "龙岗", "宝安", "Shenzhen", "羅湖區")
QUERIES = ("罗湖", "城市更新", "福田 学校", '"推进城市更新"', "shenzhen", "羅湖", "龙岗区", "盐")


def records(count: int) -> list[ArticleRecord]:
    return [
        ArticleRecord(
            url=f"http://news.example/{i}.html",
            title=f"{PLACES[i % len(PLACES)]}第{i}号新闻",
            text=(
                f"记者从{PLACES[i % len(PLACES)]}区获悉，今年以来{PLACES[(i * 3) % len(PLACES)]}"
                f"加快推进城市更新项目，第{i}期计划完成投资{i * 7}亿元。\n"
                f"{PLACES[(i + 1) % len(PLACES)]}将新建学校{i % 13}所，同步完善交通设施。"
            ),
            fetched_at=datetime(2024, 6, 1, 8, 0, tzinfo=UTC),
        )
        for i in range(count)
    ]


def write(archive: Archive, batch: list[ArticleRecord], size: int = 10) -> None:
    for start in range(0, len(batch), size):
        archive.upsert_articles([ArticleWrite(r) for r in batch[start : start + size]])


def hits(archive: Archive, query: str) -> list[tuple[str, float, str]]:
    return [(h.article.url, h.score, h.snippet) for h in archive.search(query, limit=100)]


def settings(conn: Connection) -> dict[str, str]:
    names = ("gin_pending_list_limit", "work_mem", "maintenance_work_mem", "lock_timeout")
    return {name: str(conn.execute(text(f"SHOW {name}")).scalar_one()) for name in names}


def pending_tuples(archive: Archive) -> int:
    with archive.engine.begin() as conn:
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        return int(
            conn.execute(
                text("SELECT pending_tuples FROM pgstatginindex(:index)"),
                {"index": SEARCH_INDEX_NAME},
            ).scalar_one()
        )


@pytest.mark.postgres
def test_write_settings_hold_for_the_write_transaction_only(pg_url: str) -> None:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            before = settings(conn)
            conn.commit()
            with conn.begin():
                defer_index_merges(conn)
                inside = settings(conn)
            after = settings(conn)
    finally:
        engine.dispose()
    assert inside["gin_pending_list_limit"] == BATCH_PENDING_LIST
    assert inside["work_mem"] == MERGE_MEMORY
    assert before["work_mem"] != MERGE_MEMORY  # else the test proves nothing
    assert after == before


@pytest.mark.postgres
def test_merge_settings_hold_for_its_own_transaction_only(pg_url: str) -> None:
    archive = Archive(pg_url)
    write(archive, records(5))
    engine = archive.engine
    # The pool hands the same connection back: the merge ran on it, and left nothing set.
    with engine.connect() as conn:
        pid, before = conn.execute(text("SELECT pg_backend_pid()")).scalar_one(), settings(conn)
    assert merge_pending_index(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
        assert settings(conn) == before
    assert before["lock_timeout"] == "0"


@pytest.mark.postgres
def test_batched_write_merges_the_pending_list_and_finds_the_same(
    pg_database: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch = records(60)
    merged = Archive(pg_database())
    write(merged, batch)
    assert pending_tuples(merged) == 0
    # The same writes with the documents left in the pending list (the write before).
    monkeypatch.setattr(archive.articles, "merge_pending_index", lambda engine: False)
    pending = Archive(pg_database())
    write(pending, batch)
    assert pending_tuples(pending) > 0
    documents = "SELECT article_id, document::text FROM article_search ORDER BY article_id"
    with merged.engine.connect() as a, pending.engine.connect() as b:
        stored = a.execute(text(documents)).all()
        assert len(stored) == len(batch)
        assert stored == b.execute(text(documents)).all()
    for query in QUERIES:
        found = hits(merged, query)
        assert found, query
        assert found == hits(pending, query)


@pytest.mark.postgres
def test_a_merge_under_way_elsewhere_is_not_waited_for(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    archive = Archive(pg_url)
    write(archive, records(5))
    # Another session holds the index (as a merge, or a bulk import's rebuild, would).
    blocker = create_engine(pg_url)
    try:
        with blocker.begin() as conn, caplog.at_level(logging.INFO, logger="archive.search"):
            conn.execute(text(f"ALTER INDEX {SEARCH_INDEX_NAME} SET (fastupdate = on)"))
            assert not merge_pending_index(archive.engine)
        assert not caplog.records  # a lock not granted in time is the expected case
    finally:
        blocker.dispose()
    assert merge_pending_index(archive.engine)
    assert archive.search("罗湖")


def test_merge_is_a_no_op_on_sqlite(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    write(archive, records(3))
    assert not merge_pending_index(archive.engine)
    assert archive.search("罗湖")


@pytest.mark.postgres
def test_a_role_that_does_not_own_the_index_writes_as_before(
    pg_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    Archive(pg_url)  # the tables, owned by the admin role
    role = f"newsarchive_writer_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    writer = Archive(make_url(pg_url).set(username=role).render_as_string(hide_password=False))
    try:
        batch = records(12)
        with caplog.at_level(logging.INFO, logger="archive.search"):
            write(writer, batch)
        # Refused once, then not asked again; the articles are written and found all the same.
        assert [r.levelno for r in caplog.records] == [logging.INFO]
        assert not merge_pending_index(writer.engine)
        found = {hit.article.url for hit in writer.search("罗湖", limit=100)}
        assert found == {r.url for r in batch if "罗湖" in fold_han(f"{r.title} {r.text}")}
    finally:
        writer.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP OWNED BY {role}"))
            conn.execute(text(f"DROP ROLE {role}"))
        admin.dispose()
