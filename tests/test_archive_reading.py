"""The read side (archive.reading): articles and versions by URL or alias, streams that select
by filters and queries, history, raw pages from the WARC files, search hits; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from archive_samples import make_record

from archive import reading
from archive.filters import ArticleFilter
from archive.search import QueryError
from archive.store import Archive, PageFetch
from archive.warc import WarcWriter


def test_record_round_trips_with_every_field(db_url: str) -> None:
    archive = Archive(db_url)
    record = make_record()
    result = archive.upsert_article(record)
    stored = archive.get_article(record.url)
    assert stored is not None
    # The archive sets story_id (a story of its own: no copy of it is archived).
    assert stored.to_json_dict() == {**record.to_json_dict(), "story_id": result.article_id}
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


def fill(archive: Archive) -> list[str]:
    """Three articles on two sites in two languages; returns their URLs."""
    urls = ["http://sz.example/1.html", "http://sz.example/2.html", "http://hk.example/3.html"]
    archive.upsert_article(make_record(urls[0], title="罗湖口岸", text="罗湖口岸改造完成。"))
    archive.upsert_article(
        make_record(urls[1], title="福田新闻", text="福田区和罗湖区推进城市更新。")
    )
    archive.upsert_article(
        make_record(urls[2], title="Harbour news", text="The harbour reopened.", language="en")
    )
    return urls


def test_count_and_stream_select_by_filters_and_query(db_url: str) -> None:
    archive = Archive(db_url)
    urls = fill(archive)
    engine = archive.engine
    sz = ArticleFilter(site=("SZ.example",))
    assert reading.count_articles(engine) == 3
    assert reading.count_articles(engine, sz) == 2
    assert reading.count_articles(engine, query="罗湖") == 2
    assert reading.count_articles(engine, ArticleFilter(language=("en",)), query="罗湖") == 0
    assert [r.url for r in reading.iter_articles(engine, filters=sz, query="城市更新")] == [urls[1]]
    assert [r.url for r in reading.iter_articles(engine, 1, query="harbour")] == [urls[2]]
    archive.close()


def test_search_hits_carry_the_record_a_score_and_a_snippet(db_url: str) -> None:
    archive = Archive(db_url)
    urls = fill(archive)
    hits = reading.search(archive.engine, "罗湖")
    assert sorted(h.article.url for h in hits) == sorted(urls[:2])
    assert hits[0].article.url == urls[0]  # in the title too: ranked first
    assert hits[0].score >= hits[1].score
    assert "**罗湖**" in hits[0].snippet
    assert hits[0].article.to_json_dict() == archive.get_article(urls[0]).to_json_dict()  # type: ignore[union-attr]
    paged = reading.search(archive.engine, "罗湖", limit=1, offset=1)
    assert [h.article.url for h in paged] == [hits[1].article.url]
    assert reading.search(archive.engine, "罗湖", offset=5) == []
    assert reading.search(archive.engine, "罗湖", filters=ArticleFilter(language=("en",))) == []
    archive.close()


@pytest.mark.parametrize(
    ("query", "options", "message"),
    [
        ("罗湖", {"limit": 0}, "--limit must be at least 1"),
        ("罗湖", {"sort": "oldest"}, "unknown sort order"),
        ("!!! ...", {}, "nothing to search for"),
    ],
)
def test_bad_searches_are_query_errors(
    sqlite_url: str, query: str, options: dict[str, object], message: str
) -> None:
    archive = Archive(sqlite_url)
    with pytest.raises(QueryError, match=message):
        reading.search(archive.engine, query, **options)  # type: ignore[arg-type]
    archive.close()


def test_versions_stream_by_article_then_revision_with_aliases(db_url: str) -> None:
    archive = Archive(db_url)
    first = "http://news.example/1.html"
    archive.upsert_article(make_record(first, text="第一版。"), aliases=[first + "?from=a"])
    archive.upsert_article(make_record("http://news.example/2.html", text="另一篇。"))
    archive.upsert_article(make_record(first, text="第二版。"), aliases=[first + "?from=b"])
    versions = list(reading.iter_versions(archive.engine, batch_size=1))
    assert [(v.record.url, v.revision, v.record.text) for v in versions] == [
        (first, 1, "第一版。"),
        (first, 2, "第二版。"),
        ("http://news.example/2.html", 1, "另一篇。"),
    ]
    assert versions[0].aliases == versions[1].aliases == [first + "?from=a", first + "?from=b"]
    assert versions[2].aliases == []
    line = versions[1].to_json_dict()
    assert (line["revision"], line["aliases"], line["text"]) == (2, versions[1].aliases, "第二版。")
    # Selected by the latest version: the article's every version comes along.
    assert [v.revision for v in reading.iter_versions(archive.engine, query="第二版")] == [1, 2]
    archive.close()


def test_history_and_revisions_by_url_or_alias(db_url: str) -> None:
    archive = Archive(db_url)
    url = "http://news.example/1.html"
    alias = "http://m.news.example/1.html"
    archive.upsert_article(make_record(url, text="第一版。"), aliases=[alias])
    archive.upsert_article(make_record(url, text="第二版，长一些。"))
    assert [(h.revision, h.chars) for h in reading.history(archive.engine, alias)] == [
        (1, 4),
        (2, 8),
    ]
    old = reading.get_revision(archive.engine, alias, 1)
    assert old is not None
    assert (old.url, old.text) == (url, "第一版。")
    assert reading.get_revision(archive.engine, url, 3) is None
    assert reading.history(archive.engine, "http://news.example/none.html") == []
    assert reading.get_revision(archive.engine, "http://news.example/none.html", 1) is None
    assert reading.get_article(archive.engine, "http://news.example/none.html") is None
    assert reading.aliases_of(archive.engine, "http://news.example/none.html") == []
    archive.close()


def test_raw_pages_are_read_back_from_their_warc_files(db_url: str, tmp_path: Path) -> None:
    warc_dir = tmp_path / "warc"
    archive = Archive(db_url, warc_dir=warc_dir)
    url = "http://news.example/1.html"
    answered = url + "?from=feed"
    body = "<html><title>罗湖</title><p>罗湖口岸。</p></html>".encode("gbk")
    fetched_at = datetime(2024, 5, 20, 8, tzinfo=UTC)
    with WarcWriter(warc_dir, run_id=1) as writer:
        location = writer.write_response(
            answered,
            200,
            "OK",
            [("Content-Type", "text/html; charset=gbk")],
            body,
            fetched_at=fetched_at,
        )
    archive.upsert_article(
        make_record(url), PageFetch(answered, 200, fetched_at, location), aliases=[answered]
    )
    archive.upsert_article(make_record("http://news.example/2.html", text="没有存页面。"))
    page = reading.get_raw_page(archive.engine, warc_dir, answered)
    assert page is not None
    assert (page.url, page.status, page.body) == (answered, 200, body)
    assert archive.get_raw_page(url) == page
    assert reading.page_location(archive.engine, url) == location
    assert reading.page_location(archive.engine, "http://news.example/2.html") is None
    assert reading.get_raw_page(archive.engine, warc_dir, "http://news.example/2.html") is None
    assert reading.get_raw_page(archive.engine, warc_dir, "http://news.example/none") is None
    latest = [(r.url, where, by) for r, where, by in reading.iter_latest_pages(archive.engine, 1)]
    assert latest == [(url, location, answered), ("http://news.example/2.html", None, None)]
    archive.close()
