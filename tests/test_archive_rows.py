"""Records and rows (archive.rows): the field vocabulary mapped onto the columns and back,
without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
from archive_samples import make_record
from sqlalchemy import inspect

from archive.models import Article, ArticleRevision
from archive.record import EXPORT_FIELDS
from archive.rows import (
    ARTICLE_COLUMNS,
    CONTENT_FIELDS,
    REVISION_COLUMNS,
    article_values,
    published_instant,
    record_of,
    record_of_row,
    same_profile,
    streamed_columns,
    warc_ref,
)
from archive.warc import WarcLocation


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


def test_a_record_goes_into_an_article_row_and_comes_back_the_same() -> None:
    record = make_record(profile="luohu", removed_at=datetime(2024, 6, 1, tzinfo=UTC))
    values = article_values(record)
    assert values["published_at_utc"] == datetime(2024, 5, 20, 2, 21, tzinfo=UTC)
    assert values["bylines"][0] == {"name": "张一鎏", "role": "reporter"}
    row = Article(**values, profile=record.profile, removed_at=record.removed_at)
    assert record_of(row).to_json_dict() == record.to_json_dict()
    assert record_of(row, url="http://alias.example/1.html").url == "http://alias.example/1.html"


def test_a_revision_row_takes_its_identity_from_its_article() -> None:
    record = make_record(profile="luohu")
    article = Article(**article_values(record), profile="luohu", removed_at=None)
    revision = ArticleRevision(
        **{
            k: v
            for k, v in article_values(make_record(text="旧版。")).items()
            if k in CONTENT_FIELDS
        }
    )
    revision.article = article
    old = record_of(revision)
    assert (old.url, old.site, old.profile, old.text) == (
        record.url,
        record.site,
        "luohu",
        "旧版。",
    )


def test_record_of_row_reads_json_columns_as_text_or_as_lists() -> None:
    record = make_record()
    values = {**article_values(record), "profile": None, "removed_at": None, "story_id": None}
    as_text = {
        **values,
        **{k: orjson.dumps(values[k]).decode() for k in ("bylines", "tags", "authors")},
    }
    assert record_of_row(values) == record_of_row(as_text) == record


def test_a_revision_keeps_the_content_of_one_version_only() -> None:
    assert set(CONTENT_FIELDS) == set(EXPORT_FIELDS) - {
        "url",
        "site",
        "profile",
        "removed_at",
        "story_id",
    }
    columns = set(inspect(ArticleRevision).columns.keys())
    assert set(CONTENT_FIELDS) <= columns
    streamed = {c.key for c in REVISION_COLUMNS}
    assert set(EXPORT_FIELDS) <= streamed
    assert set(EXPORT_FIELDS) <= {c.key for c in ARTICLE_COLUMNS}


def test_json_columns_are_streamed_as_text_on_sqlite_only() -> None:
    assert streamed_columns(ARTICLE_COLUMNS, "postgresql") == list(ARTICLE_COLUMNS)
    on_sqlite = streamed_columns(ARTICLE_COLUMNS, "sqlite")
    changed = [c.key for c, s in zip(ARTICLE_COLUMNS, on_sqlite, strict=True) if c is not s]
    assert changed == ["bylines", "tags", "authors"]
    assert [c.key for c in on_sqlite] == [c.key for c in ARTICLE_COLUMNS]


def test_warc_ref() -> None:
    assert warc_ref(ArticleRevision(warc_path=None, warc_offset=None)) is None
    assert warc_ref(ArticleRevision(warc_path="a.warc.gz", warc_offset=5, warc_length=None)) == (
        WarcLocation("a.warc.gz", 5, 0)
    )


def test_same_profile_treats_no_profile_as_its_own() -> None:
    assert str(same_profile(None, Article.profile)) == "articles.profile IS NULL"
    assert str(same_profile("p", Article.profile)) == "articles.profile = :profile_1"
