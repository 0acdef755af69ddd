"""Storage: idempotent upserts, raw pages, runs, aware datetimes, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from archive.db import ArchiveError, parse_db_url
from archive.record import ArticleRecord, Byline
from archive.store import Archive, RawPageData, published_instant


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


def raw(url: str, body: bytes = b"<html><body>page</body></html>") -> RawPageData:
    return RawPageData(
        url=url, status=200, headers={"Content-Type": ["text/html; charset=utf-8"]}, body=body
    )


def test_upsert_is_idempotent_and_detects_changes(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record()
    assert archive.upsert_article(record, raw(record.url)) == "new"
    assert archive.upsert_article(make_record(), raw(record.url)) == "unchanged"
    assert archive.count_articles() == 1
    changed = make_record(text=record.text + "\n新增一段。")
    assert archive.upsert_article(changed, raw(record.url, b"<html>v2</html>")) == "updated"
    assert archive.count_articles() == 1
    stored = archive.get_article(record.url)
    assert stored is not None
    assert stored.text.endswith("新增一段。")
    page = archive.get_raw_page(record.url)
    assert page is not None
    assert page.body == b"<html>v2</html>"
    assert page.headers == {"Content-Type": ["text/html; charset=utf-8"]}
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
