"""The write path of an article (archive.articles): upserts, revisions, aliases, removals,
concurrent writers; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from archive_samples import fetch, make_record
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from archive import articles, changes, textkey
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


# -- one text, one article ---------------------------------------------------------------------

#: An article body long enough for a text key (archive.textkey.MIN_KEY_CHARS).
LONG_TEXT = (
    "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
    "全年计划完成固定资产投资超过三百亿元。\n"
    "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
    "同步完善交通、教育和医疗配套设施。\n"
    "区相关负责人表示，将坚持“留改拆”并举，守住老城区的烟火气。"
)
FOOTER = (
    "\n地址：深圳市罗湖区文锦中路1008号 邮编：518001\n粤ICP备12345678号 版权所有：罗湖区人民政府"
)


def test_the_same_text_under_another_headline_is_an_alias(db_url: str) -> None:
    archive = Archive(db_url)
    first = archive.upsert_article(make_record(title="罗湖加快城市更新", text=LONG_TEXT))
    copy_url = "http://news.example/copy/1.html"
    copy = archive.upsert_article(make_record(copy_url, title="震惊！罗湖竟然这样", text=LONG_TEXT))
    assert (copy.outcome, copy.article_id, copy.url) == ("duplicate", first.article_id, first.url)
    assert archive.count_articles() == 1
    assert archive.aliases_of(first.url) == [copy_url]
    with archive.engine.connect() as conn:
        assert conn.execute(text("SELECT reason FROM article_aliases")).scalar_one() == "same_text"
    # Fetched again, the copy rewrites nothing: the article keeps its own headline.
    again = archive.upsert_article(
        make_record(copy_url, title="震惊！罗湖竟然这样", text=LONG_TEXT)
    )
    assert (again.outcome, again.revision) == ("unchanged", 1)
    stored = archive.get_article(copy_url)
    assert stored is not None
    assert (stored.url, stored.title) == (first.url, "罗湖加快城市更新")
    assert archive.change_seq() == 1
    archive.close()


def test_print_and_mobile_copies_differing_by_furniture_are_aliases(db_url: str) -> None:
    archive = Archive(db_url)
    page = "http://www.news.example/a/2024/0520/1.html"
    first = archive.upsert_article(
        make_record(
            page, title="罗湖加快城市更新", text=LONG_TEXT + FOOTER + "\n（责任编辑：王五）"
        )
    )
    print_page = make_record(page + "?print=1", title="罗湖加快城市更新", text=LONG_TEXT)
    mobile = make_record(
        "http://m.news.example/a/1.html",
        title="罗湖加快城市更新",
        text="分享到：微信 微博\n" + LONG_TEXT + "\n来源：南方都市报",
    )
    for copy in (print_page, mobile):
        result = archive.upsert_article(copy)
        assert (result.outcome, result.article_id) == ("duplicate", first.article_id)
    assert mobile.site == "m.news.example"  # the record's site is its own host
    assert archive.count_articles() == 1
    stored = archive.get_article(mobile.url)
    assert stored is not None
    assert (stored.url, stored.site) == (page, "www.news.example")
    assert stored.text.endswith("（责任编辑：王五）")  # the first version stands
    archive.close()


def test_another_site_or_another_text_is_another_article(db_url: str) -> None:
    archive = Archive(db_url)
    archive.upsert_article(make_record("http://www.news.example/1.html", text=LONG_TEXT))
    elsewhere = archive.upsert_article(make_record("http://other.example/1.html", text=LONG_TEXT))
    # news.example's other sites (not www., m., wap., ...) are other sites too.
    sister = archive.upsert_article(make_record("http://sz.news.example/1.html", text=LONG_TEXT))
    longer = archive.upsert_article(
        make_record("http://www.news.example/2.html", text=LONG_TEXT + "\n另据了解，项目年底开工。")
    )
    assert [r.outcome for r in (elsewhere, sister, longer)] == ["new", "new", "new"]
    assert archive.count_articles() == 4
    archive.close()


def test_short_notices_under_other_headlines_stay_apart(db_url: str) -> None:
    """A text too short for a key ("本页面内容正在更新") merges only with the same headline."""
    archive = Archive(db_url)
    notice = "本页面内容正在更新，请稍后访问。"
    one = archive.upsert_article(make_record("http://news.example/1.html", title="甲", text=notice))
    two = archive.upsert_article(make_record("http://news.example/2.html", title="乙", text=notice))
    same = archive.upsert_article(
        make_record("http://news.example/3.html", title="甲", text=notice)
    )
    assert [r.outcome for r in (one, two, same)] == ["new", "new", "duplicate"]
    assert same.article_id == one.article_id
    archive.close()


def test_furniture_alone_makes_no_revision_but_a_headline_or_an_extractor_does(
    db_url: str,
) -> None:
    archive = Archive(db_url)
    record = make_record(title="罗湖加快城市更新", text=LONG_TEXT + FOOTER)
    archive.upsert_article(record)
    # The same page without its footer (a canonical print version, or a footer line that
    # extraction now drops): nothing new.
    bare = make_record(title="罗湖加快城市更新", text=LONG_TEXT)
    assert archive.upsert_article(bare).outcome == "unchanged"
    assert archive.upsert_article(make_record(title="罗湖再提速", text=LONG_TEXT)).outcome == (
        "updated"
    )
    newer = make_record(title="罗湖再提速", text=LONG_TEXT + FOOTER, extractor_version="test-2")
    assert (archive.upsert_article(newer).outcome, archive.history(record.url)[-1].revision) == (
        "updated",
        3,
    )
    archive.close()


def test_a_copy_with_other_text_found_at_its_alias_updates_the_article(db_url: str) -> None:
    """A print page seen before its article changed, seen again after: the article's new
    version, as for any alias."""
    archive = Archive(db_url)
    archive.upsert_article(make_record(title="罗湖加快城市更新", text=LONG_TEXT))
    archive.upsert_article(make_record("http://news.example/p/1.html", text=LONG_TEXT))
    changed = LONG_TEXT + "\n（更正：投资额为二百九十亿元。）"
    result = archive.upsert_article(make_record("http://news.example/p/1.html", text=changed))
    assert (result.outcome, result.revision) == ("updated", 2)
    archive.close()


def test_find_same_text_looks_on_the_site_and_its_editions(db_url: str) -> None:
    archive = Archive(db_url)
    url = "http://www.news.example/1.html"
    archive.upsert_article(make_record(url, text=LONG_TEXT))
    key = textkey.text_key(None, LONG_TEXT)
    assert key is not None
    assert archive.find_same_text("m.news.example", key) == url
    assert archive.find_same_text("www.news.example", key, other_than="http://x.example/") == url
    assert archive.find_same_text("www.news.example", key, other_than=url) is None
    assert archive.find_same_text("other.example", key) is None
    assert archive.find_same_text("www.news.example", "0" * 64) is None
    archive.close()


def test_fill_text_keys_keys_every_article_in_batches(db_url: str) -> None:
    archive = Archive(db_url)
    for n in range(5):
        archive.upsert_article(make_record(f"http://news.example/{n}.html", text=f"{LONG_TEXT}{n}"))
    with archive.engine.begin() as conn:
        conn.execute(text("UPDATE articles SET text_key = NULL"))
    calls: list[tuple[int, int]] = []
    with archive.engine.begin() as conn:
        done = articles.fill_text_keys(
            conn, batch_size=2, progress=lambda d, t: calls.append((d, t))
        )
    assert (done, calls) == (5, [(2, 5), (4, 5), (5, 5)])
    with archive.engine.connect() as conn:
        keys = conn.execute(text("SELECT text_key FROM articles ORDER BY id")).scalars().all()
    assert keys == [textkey.text_key(None, f"{LONG_TEXT}{n}") for n in range(5)]
    archive.close()
