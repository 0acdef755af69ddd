"""The write path of an article (archive.articles): upserts, revisions, aliases, removals,
concurrent writers; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from archive_samples import fetch, make_record
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive import articles, changes
from archive.models import ArticleRevision
from archive.record import ArticleRecord
from archive.store import Archive
from archive.warc import WarcLocation


def test_upsert_is_idempotent_and_keeps_revisions(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record()
    first = archive.upsert_article(record, fetch(record.url), profile="luohu")
    assert (first.outcome, first.revision) == ("new", 1)
    again = archive.upsert_article(make_record(), fetch(record.url, 200))
    assert (again.outcome, again.revision, again.article_id) == ("unchanged", 1, first.article_id)
    assert archive.count_articles() == 1
    changed = make_record(text=record.text + "\n新增一段。")
    updated = archive.upsert_article(changed, fetch(record.url, 400))
    assert (updated.outcome, updated.revision) == ("updated", 2)
    assert archive.count_articles() == 1
    stored = archive.get_article(record.url)
    assert stored is not None
    assert stored.text.endswith("新增一段。")
    assert stored.profile == "luohu"
    history = archive.history(record.url)
    assert [h.revision for h in history] == [1, 2]
    assert history[0].content_hash == record.content_hash
    assert history[1].content_hash == changed.content_hash
    # The unchanged fetch wrote nothing: revision 1 still points at the first page.
    assert history[0].warc is not None
    assert history[0].warc.offset == 0
    assert archive.page_location(record.url) == WarcLocation(
        "newsarchive-run000001-00000.warc.gz", 400, 100
    )
    old = archive.get_revision(record.url, 1)
    assert old is not None
    assert old.text == record.text
    archive.close()


def test_aliases_and_cross_posted_copies_are_stored_once(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record("http://news.example/a/2024/0520/1.html")
    archive.upsert_article(record, aliases=["http://news.example/a/1.html?from=timeline"])
    # The same text under another section's URL: an alias, not a second article.
    copy = make_record("http://news.example/b/2024/0520/9.html")
    result = archive.upsert_article(copy)
    assert result.outcome == "duplicate"
    assert result.url == record.url
    assert archive.count_articles() == 1
    assert archive.aliases_of(record.url) == [
        "http://news.example/a/1.html?from=timeline",
        "http://news.example/b/2024/0520/9.html",
    ]
    via_alias = archive.get_article("http://news.example/b/2024/0520/9.html")
    assert via_alias is not None
    assert via_alias.url == record.url
    # Fetched again through an alias, unchanged: still one article, nothing rewritten.
    again = archive.upsert_article(make_record("http://news.example/b/2024/0520/9.html"))
    assert again.outcome == "unchanged"
    assert archive.count_articles() == 1
    archive.close()


def test_removed_articles_are_marked_never_deleted(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record()
    archive.upsert_article(record)
    when = datetime(2024, 6, 1, tzinfo=UTC)
    assert archive.mark_removed(record.url, when)
    assert not archive.mark_removed(record.url, when)  # already marked
    assert not archive.mark_removed("http://news.example/unknown.html")
    stored = archive.get_article(record.url)
    assert stored is not None
    assert stored.removed_at == when
    assert stored.to_json_dict()["removed_at"] == "2024-06-01T00:00:00+00:00"
    assert archive.count_articles() == 1
    archive.close()


def test_concurrent_writers_take_distinct_change_numbers_in_commit_order(db_url: str) -> None:
    """Two crawls writing at once (same articles, same alias URLs): no deadlock, no lost
    write, and every change carries its own counter value."""
    archive = Archive(db_url)
    errors: list[BaseException] = []

    def crawl(worker: int) -> None:
        try:
            for n in range(30):
                archive.upsert_article(
                    ArticleRecord(
                        url=f"http://news.example/{n % 10}.html",
                        title=f"第{n % 10}条",
                        text=f"正文{n % 10}，第{worker}{n}版。",
                    ),
                    aliases=[f"http://m.news.example/{n % 10}.html"],
                )
                if n % 7 == 0:
                    archive.mark_removed(f"http://news.example/{n % 10}.html")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=crawl, args=(w,)) for w in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with archive.engine.connect() as conn:
        seqs = conn.execute(text("SELECT change_seq FROM article_revisions")).scalars().all()
        top = conn.execute(text("SELECT seq FROM change_counter")).scalar_one()
    assert len(seqs) == len(set(seqs)) == 60  # every upsert changed the text: one version each
    assert max(seqs) <= top
    assert archive.count_articles() == 10
    archive.close()


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    with pytest.raises(Exception, match="naive datetime"):
        archive.upsert_article(make_record(fetched_at=datetime(2024, 1, 1)))
    archive.close()


def test_revision_rows_carry_the_fetch_and_the_run(db_url: str) -> None:
    archive = Archive(db_url)
    run = archive.start_run(["http://news.example/"])
    record = make_record()
    answered = "http://news.example/a/2024/0520/1.html?from=timeline"
    page = fetch(answered, offset=4096)
    result = articles.upsert_article(archive.engine, record, page, run_id=run)
    assert (result.outcome, result.url) == ("new", record.url)
    with Session(archive.engine) as session:
        row = session.execute(select(ArticleRevision)).scalar_one()
        assert (row.fetched_url, row.status, row.crawl_run_id) == (answered, 200, run)
        assert (row.warc_path, row.warc_offset, row.warc_length) == (
            "newsarchive-run000001-00000.warc.gz",
            4096,
            100,
        )
        assert row.change_seq == changes.change_seq(archive.engine) == 1
    archive.close()


def test_revision_row_without_a_fetch_has_no_page() -> None:
    row = articles.revision_row(7, 2, make_record(), None, None, datetime.now(UTC), 5)
    assert (row.article_id, row.revision, row.change_seq) == (7, 2, 5)
    assert (row.fetched_url, row.status, row.warc_path, row.warc_offset) == (None,) * 4
    assert row.title == "罗湖怎么样"
    assert row.authors == ["张一鎏", "陈杏花"]


def test_a_new_extractor_version_is_a_new_revision(db_url: str) -> None:
    archive = Archive(db_url)
    archive.upsert_article(make_record())
    again = archive.upsert_article(make_record(extractor_version="test-2"))
    assert (again.outcome, again.revision) == ("updated", 2)
    assert [h.extractor_version for h in archive.history(make_record().url)] == [
        "test",
        "test-2",
    ]
    archive.close()


def test_only_changes_take_a_change_number(db_url: str) -> None:
    """Unchanged fetches and duplicates write no article row, so they take no number; an
    update, a removal and a return each take the next one."""
    archive = Archive(db_url)
    record = make_record()
    archive.upsert_article(record)
    assert archive.change_seq() == 1
    assert archive.upsert_article(make_record()).outcome == "unchanged"
    assert archive.upsert_article(make_record("http://news.example/copy.html")).outcome == (
        "duplicate"
    )
    assert archive.change_seq() == 1
    archive.upsert_article(make_record(text="改过的正文。"))
    archive.mark_removed(record.url)
    assert archive.change_seq() == 3
    back = archive.upsert_article(make_record(text="改过的正文。"))
    assert back.outcome == "unchanged"
    stored = archive.get_article(record.url)
    assert stored is not None
    assert stored.removed_at is None  # it came back
    assert archive.change_seq() == 4
    assert [r.url for r in archive.iter_articles(changes=changes.ChangeWindow(after_seq=3))] == [
        record.url
    ]
    archive.close()


def test_empty_text_is_never_taken_for_a_copy(db_url: str) -> None:
    """Two pages with the same title and no text share a content hash, but nothing says they
    are one article."""
    archive = Archive(db_url)
    first = archive.upsert_article(make_record("http://news.example/1.html", text=""))
    second = archive.upsert_article(make_record("http://news.example/2.html", text=""))
    assert (first.outcome, second.outcome) == ("new", "new")
    assert first.article_id != second.article_id
    assert archive.aliases_of("http://news.example/1.html") == []
    archive.close()


def test_an_article_url_is_never_made_an_alias(db_url: str) -> None:
    archive = Archive(db_url)
    one = make_record("http://news.example/1.html", text="第一篇。")
    two = make_record("http://news.example/2.html", text="第二篇。")
    archive.upsert_article(two)
    archive.upsert_article(one, aliases=[two.url, "http://m.news.example/1.html"])
    assert archive.aliases_of(one.url) == ["http://m.news.example/1.html"]
    stored = archive.get_article(two.url)
    assert stored is not None
    assert stored.text == "第二篇。"
    archive.close()


def test_a_record_stored_without_a_profile_keeps_the_one_it_had(db_url: str) -> None:
    archive = Archive(db_url)
    archive.upsert_article(make_record(), profile="luohu")
    archive.upsert_article(make_record(text="第二版。"))
    stored = archive.get_article(make_record().url)
    assert stored is not None
    assert stored.profile == "luohu"
    archive.upsert_article(make_record(text="第三版。"), profile="futian")
    stored = archive.get_article(make_record().url)
    assert stored is not None
    assert stored.profile == "futian"
    archive.close()


def test_a_page_fetch_is_stamped_now_by_default() -> None:
    before = datetime.now(UTC)
    page = articles.PageFetch("http://news.example/1.html", 200)
    assert before <= page.fetched_at <= datetime.now(UTC)
    assert page.warc is None
