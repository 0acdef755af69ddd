"""The batched write (``Archive.upsert_articles``): one transaction for a batch, with the same
result as the same records written one by one (property test on random sequences of repeats,
aliases, copies, new versions and removals), its pages marked done in it, and nothing written
when it fails."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from archive.articles import ArticleWrite
from archive.db import RecordRefused
from archive.frontier import PageDone
from archive.record import ArticleRecord
from archive.store import Archive, UpsertResult

LINE_A = (
    "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
    "全年计划完成固定资产投资超过三百亿元。"
)
LINE_B = (
    "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
    "同步完善交通、教育和医疗配套设施。"
)
LINE_C = (
    "福田区今年将新建十二所学校，新增学位两万个，并改造提升三十所老旧校舍的运动场地和食堂设施。"
)
TEXTS = (
    f"{LINE_A}\n{LINE_B}",  # a text with a key
    f"{LINE_A}\n{LINE_B}\n责任编辑：张三",  # the same key, another content hash (furniture)
    f"{LINE_C}\n{LINE_A}",  # another key
    "本页面内容正在更新",  # too short for a key: a copy only by content hash
    "",  # no text at all
)
TITLES = ("罗湖加快城市更新", "另一个标题", None)
URLS = (
    "http://www.a.example/1.html",
    "http://www.a.example/2.html",
    "http://m.a.example/1.html",  # another edition of the same site
    "http://b.example/1.html",  # another site
    "http://www.a.example/3.html",
)
FETCHED_AT = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Op:
    url: int
    text: int
    title: int
    extractor: int
    aliases: tuple[int, ...]

    def write(self) -> ArticleWrite:
        record = ArticleRecord(
            url=URLS[self.url],
            title=TITLES[self.title],
            text=TEXTS[self.text],
            extractor_version=f"v{self.extractor}",
            fetched_at=FETCHED_AT,
        )
        aliases = tuple(URLS[a] for a in self.aliases)
        pages = tuple(
            PageDone(
                url=url,
                kind="article",
                status=200,
                fetched_at=FETCHED_AT,
                etag=f'"{self.text}"',
                next_check_at=FETCHED_AT + timedelta(days=1),
            )
            for url in dict.fromkeys([record.url, *aliases])
        )
        return ArticleWrite(record, aliases=aliases, pages=pages)


ops = st.builds(
    Op,
    url=st.integers(0, len(URLS) - 1),
    text=st.integers(0, len(TEXTS) - 1),
    title=st.integers(0, len(TITLES) - 1),
    extractor=st.integers(0, 1),
    aliases=st.lists(st.integers(0, len(URLS) - 1), max_size=2).map(tuple),
)


def sequential(archive: Archive, writes: list[ArticleWrite], profile: str | None) -> list[Any]:
    """What the crawl did before batches: one upsert, then each page marked done."""
    results = []
    for write in writes:
        result = archive.upsert_article(
            write.record, write.fetch, run_id=None, profile=profile, aliases=write.aliases
        )
        for page in write.pages:
            archive.record_fetch(
                page.url,
                kind=page.kind,
                status=page.status,
                fetched_at=page.fetched_at,
                etag=page.etag,
                next_check_at=page.next_check_at,
                article_id=result.article_id,
                profile=profile,
            )
        results.append(result)
    return results


def snapshot(archive: Archive) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the write path decides, without its timestamps and change stamps."""
    queries = {
        "articles": "SELECT id, url, site, title, text, content_hash, text_key,"
        " extractor_version, profile, revision, removed_at IS NULL, story_id FROM articles"
        " ORDER BY id",
        "story_bands": "SELECT article_id, band, bucket FROM story_bands ORDER BY article_id, band",
        "revisions": "SELECT article_id, revision, title, text, content_hash, extractor_version"
        " FROM article_revisions ORDER BY id",
        "aliases": "SELECT url, article_id, reason FROM article_aliases ORDER BY id",
        "pages": "SELECT url, kind, state, last_status, etag, article_id, profile FROM pages"
        " ORDER BY url",
    }
    with archive.engine.connect() as conn:
        found = {name: [tuple(r) for r in conn.execute(text(q))] for name, q in queries.items()}
        if conn.dialect.name == "sqlite":
            index = "SELECT rowid, title, text FROM article_fts ORDER BY rowid"
        else:
            index = "SELECT article_id, document::text FROM article_search ORDER BY article_id"
        found["index"] = [tuple(r) for r in conn.execute(text(index))]
    return found


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty archive, copied for each example (creating the schema takes a while)."""
    path = tmp_path_factory.mktemp("batch") / "template.db"
    Archive(f"sqlite:///{path}").close()
    return path


def copy_of(template: Path, name: str) -> Archive:
    path = template.with_name(name)
    shutil.copy(template, path)
    return Archive(f"sqlite:///{path}", create=False)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    before=st.lists(ops, max_size=4),
    removed=st.lists(st.integers(0, len(URLS) - 1), max_size=2),
    batch=st.lists(ops, min_size=1, max_size=10),
    profile=st.sampled_from([None, "p"]),
)
def test_a_batch_equals_the_same_writes_one_by_one(
    template: Path, before: list[Op], removed: list[int], batch: list[Op], profile: str | None
) -> None:
    one_by_one = copy_of(template, "sequential.db")
    batched = copy_of(template, "batched.db")
    try:
        for archive in (one_by_one, batched):
            sequential(archive, [op.write() for op in before], None)
            for index in removed:
                archive.mark_removed(URLS[index])
        writes = [op.write() for op in batch]
        expected = sequential(one_by_one, writes, profile)
        assert batched.upsert_articles(writes, profile=profile) == expected
        assert snapshot(batched) == snapshot(one_by_one)
    finally:
        one_by_one.close()
        batched.close()


def scenario() -> list[Op]:
    """Every case at once: new, repeat, new version, alias, copy on another edition, a copy
    of an article new in the same batch, a short text, the same URL three times."""
    return [
        Op(url=0, text=0, title=0, extractor=0, aliases=(4,)),
        Op(url=0, text=0, title=0, extractor=0, aliases=()),  # unchanged
        Op(url=2, text=1, title=1, extractor=0, aliases=()),  # copy on the mobile edition
        Op(url=4, text=2, title=0, extractor=0, aliases=()),  # at the alias: a new version
        Op(url=1, text=3, title=0, extractor=0, aliases=()),
        Op(url=3, text=3, title=0, extractor=0, aliases=(1,)),  # short text, another site
        Op(url=0, text=2, title=2, extractor=1, aliases=()),  # new extractor
        Op(url=1, text=0, title=0, extractor=0, aliases=()),
    ]


def test_a_batch_on_both_backends(db_url: str, tmp_path: Path) -> None:
    """The scenario as a batch and one by one (in a second archive), on SQLite and PostgreSQL;
    then a removed article that comes back in a batch."""
    writes = [op.write() for op in scenario()]
    reference = Archive(f"sqlite:///{tmp_path / 'reference.db'}")
    archive = Archive(db_url)
    try:
        expected = sequential(reference, writes, "p")
        results = archive.upsert_articles(writes, profile="p")
        assert results == expected
        assert [r.outcome for r in results] == [
            "new",
            "unchanged",
            "duplicate",
            "updated",
            "new",
            "new",
            "updated",
            "updated",
        ]
        ours, theirs = snapshot(archive), snapshot(reference)
        for name in ("articles", "revisions", "aliases", "pages"):
            assert ours[name] == theirs[name], name
        # The index holds each article's latest text only.
        assert [hit.article.url for hit in archive.search("福田区")] == [URLS[0]]
        assert [hit.article.url for hit in archive.search("笋岗")] == [URLS[1]]
        # Marked removed, then found again in a batch: it comes back, with a new stamp.
        assert archive.mark_removed(URLS[3])
        before = archive.change_seq()
        again = archive.upsert_articles([writes[5]])
        assert again == [UpsertResult("unchanged", results[5].article_id, 1, URLS[3])]
        record = archive.get_article(URLS[3])
        assert record is not None
        assert record.removed_at is None
        assert archive.change_seq() > before
    finally:
        archive.close()
        reference.close()


def refused_record(archive: Archive, url: str) -> ArticleRecord:
    """A record the database refuses: PostgreSQL takes no NUL in text; SQLite, which does,
    is given a trigger that refuses the headline 坏."""
    if archive.engine.dialect.name == "postgresql":
        return ArticleRecord(url=url, title="坏", text=LINE_C + "\x00")
    with archive.engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.title = '坏'"
                " BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    return ArticleRecord(url=url, title="坏", text=LINE_C)


def test_a_failed_batch_writes_nothing_and_marks_no_page(db_url: str) -> None:
    """A record the database refuses fails the whole batch: no article of it is stored, no
    page of it marked done, the change counter is where it was; the error says the record
    was refused (so the crawl writes the batch one by one and skips that one)."""
    archive = Archive(db_url)
    try:
        archive.enqueue_pages([(u, "article", 0) for u in URLS], profile=None, run_id=None)
        good = Op(url=0, text=0, title=0, extractor=0, aliases=()).write()
        bad = ArticleWrite(
            refused_record(archive, URLS[1]),
            pages=(PageDone(URLS[1], "article", 200, FETCHED_AT),),
        )
        seq = archive.change_seq()
        with pytest.raises(RecordRefused) as refused:
            archive.upsert_articles([good, bad])
        assert "refused" in str(refused.value)
        assert "\n" not in str(refused.value)
        assert archive.count_articles() == 0
        assert {p.state for p in archive.page_states(URLS).values()} == {"pending"}
        assert archive.change_seq() == seq
        # Alone, the good one goes in.
        assert [r.outcome for r in archive.upsert_articles([good])] == ["new"]
        assert archive.page_states([URLS[0]])[URLS[0]].state == "done"
    finally:
        archive.close()


def test_pages_are_marked_as_record_fetch_marks_them(db_url: str) -> None:
    """A page marked in the batch keeps its queue row (depth, run) and gets the validators,
    the recheck time and the article; a page never queued gets a row."""
    archive = Archive(db_url)
    try:
        run_id = archive.start_run([], profile="p")
        archive.enqueue_pages([(URLS[0], "article", 3)], profile="p", run_id=run_id)
        write = Op(url=0, text=0, title=0, extractor=0, aliases=(4,)).write()
        (result,) = archive.upsert_articles([write], run_id=run_id, profile="p")
        states = archive.page_states([URLS[0], URLS[4]])
        assert states[URLS[0]].depth == 3
        for url in (URLS[0], URLS[4]):
            assert states[url].state == "done"
            assert states[url].article_id == result.article_id
            assert states[url].etag == '"0"'
            assert states[url].next_check_at == FETCHED_AT + timedelta(days=1)
        assert archive.pending_pages("p") == []
    finally:
        archive.close()
