"""Storage: idempotent upserts, raw pages, runs, aware datetimes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from archive.db import ArchiveError, parse_db_url
from archive.record import ArticleRecord, Byline
from archive.store import Archive, PageFetch, published_instant
from archive.warc import WarcLocation


def make_record(
    url: str = "http://news.example/a/2024/0520/1.html", **changes: object
) -> ArticleRecord:
    values: dict[str, object] = {
        "url": url,
        "title": "罗湖怎么样",
        "text": "深圳罗湖，改革开放的起点。\n罗湖是肩负责任的。",
        "published_at": "2024-05-20T10:21:00+08:00",
        "bylines": [
            Byline("张一鎏", "reporter"),
            Byline("陈杏花", "correspondent"),
            Byline("李编", "editor"),
        ],
        "source": "南方都市报",
        "section": "互联网",
        "tags": ["罗湖", "深圳"],
        "language": "zh",
        "fetched_at": datetime(2024, 5, 21, 1, 2, 3, tzinfo=UTC),
        "extractor_version": "test",
    }
    values.update(changes)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def fetch(url: str, offset: int = 0) -> PageFetch:
    return PageFetch(
        url=url,
        status=200,
        fetched_at=datetime(2024, 5, 21, 1, 2, 3, tzinfo=UTC),
        warc=WarcLocation("newsarchive-run000001-00000.warc.gz", offset, 100),
    )


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


def test_frontier_survives_and_tracks_validators(db_url: str) -> None:
    archive = Archive(db_url)
    run = archive.start_run(["http://news.example/"], profile="p")
    added = archive.enqueue_pages(
        [("http://news.example/", "listing", 0), ("http://news.example/a/1.html", "article", 1)],
        profile="p",
        run_id=run,
    )
    assert added == 2
    assert (
        archive.enqueue_pages([("http://news.example/", "listing", 0)], profile="p", run_id=run)
        == 0
    )
    now = datetime(2024, 6, 1, tzinfo=UTC)
    archive.record_fetch(
        "http://news.example/a/1.html",
        kind="article",
        status=200,
        fetched_at=now,
        etag='"abc"',
        last_modified="Sat, 01 Jun 2024 00:00:00 GMT",
        next_check_at=now + timedelta(days=7),
        profile="p",
        run_id=run,
    )
    pending = archive.pending_pages("p")
    assert [p.url for p in pending] == ["http://news.example/"]
    assert archive.pending_pages("other") == []
    states = archive.page_states(["http://news.example/a/1.html", "http://news.example/x"])
    assert set(states) == {"http://news.example/a/1.html"}
    state = states["http://news.example/a/1.html"]
    assert (state.etag, state.state, state.kind) == ('"abc"', "done", "article")
    assert archive.due_articles("p", now) == []
    due = archive.due_articles("p", now + timedelta(days=8))
    assert [d.url for d in due] == ["http://news.example/a/1.html"]
    # A 304 keeps the validators of the 200 it confirms.
    archive.record_fetch(
        "http://news.example/a/1.html", kind="article", status=304, fetched_at=now, profile="p"
    )
    assert (
        archive.page_states(["http://news.example/a/1.html"])["http://news.example/a/1.html"].etag
        == '"abc"'
    )
    archive.close()


def test_frontier_feeds_a_run_its_pending_pages_in_queue_order(db_url: str) -> None:
    archive = Archive(db_url)
    earlier = archive.start_run(["http://news.example/"], profile="p")
    archive.enqueue_pages(
        [("http://news.example/old.html", "listing", 0)], profile="p", run_id=earlier
    )
    run = archive.start_run(["http://news.example/"], profile="p")
    urls = [f"http://news.example/a/{n}.html" for n in range(1200)]  # more than one chunk
    entries = [(u, "article", 1) for u in urls]
    # The same URL twice counts once, with what was said of it first.
    assert (
        archive.enqueue_pages([*entries, (urls[0], "listing", 5)], profile="p", run_id=run) == 1200
    )
    # A page an earlier run left pending, queued again, now belongs to this run.
    assert (
        archive.enqueue_pages(
            [("http://news.example/old.html", "listing", 0)], profile="p", run_id=run
        )
        == 0
    )
    first = archive.run_pending_pages(run, after_id=0, limit=500)
    assert [p.url for p in first] == ["http://news.example/old.html", *urls[:499]]
    assert (first[1].kind, first[1].depth) == ("article", 1)
    rest = archive.run_pending_pages(run, after_id=first[-1].id, limit=5000)
    assert [p.url for p in rest] == urls[499:]
    archive.record_fetch(urls[0], kind="article", status=200, fetched_at=datetime.now(UTC))
    assert urls[0] not in [p.url for p in archive.run_pending_pages(run, after_id=0, limit=5)]
    assert archive.run_pending_pages(earlier, after_id=0, limit=5) == []
    archive.close()


def test_concurrent_writers_take_distinct_change_numbers_in_commit_order(db_url: str) -> None:
    """Two crawls writing at once (same articles, same alias URLs): no deadlock, no lost
    write, and every change carries its own counter value."""
    import threading

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


def test_a_new_run_marks_the_dead_one_interrupted(db_url: str) -> None:
    archive = Archive(db_url)
    first = archive.start_run(["http://news.example/"], profile="p")
    other = archive.start_run(["http://other.example/"], profile="q")
    second = archive.start_run(["http://news.example/"], profile="p")
    runs = {run.id: run for run in archive.list_runs()}
    assert runs[first].status == "interrupted"
    assert runs[first].finished_at is not None
    assert runs[other].status == "running"
    assert runs[second].status == "running"
    archive.close()


def test_record_round_trips_with_every_field(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record()
    archive.upsert_article(record)
    stored = archive.get_article(record.url)
    assert stored is not None
    assert stored.to_json_dict() == record.to_json_dict()
    assert stored.authors == ["张一鎏", "陈杏花"]
    assert stored.fetched_at.tzinfo is not None
    assert stored.fetched_at == datetime(2024, 5, 21, 1, 2, 3, tzinfo=UTC)
    archive.close()


def test_iter_articles_streams_in_insertion_order(db_url: str) -> None:
    archive = Archive(db_url)
    urls = [f"http://news.example/a/{i}.html" for i in range(7)]
    for url in urls:
        archive.upsert_article(make_record(url, text=f"第{url}篇"))
    assert [r.url for r in archive.iter_articles(batch_size=3)] == urls
    archive.close()


def test_runs_are_recorded(db_url: str) -> None:
    archive = Archive(db_url)
    run_id = archive.start_run(["http://news.example/"])
    archive.finish_run(
        run_id,
        "finished",
        {"pages_fetched": 5, "articles_new": 2},
        {"x/y": 1, "when": datetime.now(UTC)},
    )
    (run,) = archive.list_runs()
    assert run.id == run_id
    assert run.status == "finished"
    assert run.counters["pages_fetched"] == 5
    assert run.counters["articles_new"] == 2
    assert run.counters["errors"] == 0
    assert run.stats["x/y"] == 1
    assert run.finished_at is not None
    archive.close()


def test_naive_datetimes_are_refused(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    with pytest.raises(Exception, match="naive datetime"):
        archive.upsert_article(make_record(fetched_at=datetime(2024, 1, 1)))
    archive.close()


def test_published_instant() -> None:
    assert published_instant("2024-05-20") == datetime(2024, 5, 20, tzinfo=UTC)
    assert published_instant("2024-05-20T10:21:00+08:00") == datetime(
        2024, 5, 20, 2, 21, tzinfo=UTC
    )
    assert published_instant("2024-05") == datetime(2024, 5, 1, tzinfo=UTC)
    assert published_instant("garbage") is None
    assert published_instant(None) is None
    assert datetime(2024, 5, 20, 10, 21, tzinfo=timezone(timedelta(hours=8))) == published_instant(
        "2024-05-20T10:21:00+08:00"
    )


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://root@localhost/x", "unsupported database"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
    ],
)
def test_bad_database_urls_give_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(ArchiveError, match=message) as info:
        parse_db_url(url)
    assert "\n" not in str(info.value)


def test_unreachable_postgres_is_one_line() -> None:
    with pytest.raises(ArchiveError, match="cannot open the archive") as info:
        Archive("postgresql://nobody@127.0.0.1:1/none")
    assert "\n" not in str(info.value)


def test_missing_archive_is_reported_not_created(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "missing.db"
    with pytest.raises(ArchiveError, match="no archive"):
        Archive(f"sqlite:///{path}", create=False)
    assert not path.exists()
