"""Bulk loads (archive.importing): imported versions keep their revision numbers, aliases and
removals, importing twice changes nothing, batches commit on their own or all at once, and the
search index is rebuilt; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from archive_samples import make_record

from archive import importing, reading
from archive.changes import ChangeWindow
from archive.reading import ArticleVersion
from archive.store import Archive

REMOVED_AT = datetime(2024, 6, 1, tzinfo=UTC)


def versions() -> list[ArticleVersion]:
    """What ``export --revisions`` of a small archive holds: two versions of one article (the
    second numbered 3: version 2 was a change the export did not keep), and a removed article
    with aliases."""
    one = "http://news.example/1.html"
    two = "http://news.example/2.html"
    return [
        ArticleVersion(make_record(one, text="第一版。", profile="sz"), 1, [one + "?from=a"]),
        ArticleVersion(make_record(one, text="第三版。", profile="sz"), 3, [one + "?from=a"]),
        ArticleVersion(
            make_record(two, text="已删除的文章。", removed_at=REMOVED_AT),
            1,
            ["http://m.news.example/2.html"],
        ),
    ]


@pytest.mark.parametrize("bulk", [False, True])
def test_an_import_keeps_revisions_aliases_and_removals(db_url: str, bulk: bool) -> None:
    archive = Archive(db_url)
    seen: list[dict[str, int]] = []
    counts = importing.import_versions(
        archive.engine, versions(), batch_size=2, bulk=bulk, progress=lambda c: seen.append(dict(c))
    )
    assert counts == {"new": 2, "updated": 1, "unchanged": 0}
    assert seen == [{"new": 1, "updated": 1, "unchanged": 0}, counts]  # one call a batch
    one, two = "http://news.example/1.html", "http://news.example/2.html"
    assert [h.revision for h in reading.history(archive.engine, one)] == [1, 3]
    latest = reading.get_article(archive.engine, one + "?from=a")
    assert latest is not None
    assert (latest.url, latest.text, latest.profile) == (one, "第三版。", "sz")
    removed = reading.get_article(archive.engine, "http://m.news.example/2.html")
    assert removed is not None
    assert (removed.url, removed.removed_at) == (two, REMOVED_AT)
    assert [h.article.url for h in reading.search(archive.engine, "已删除")] == [two]
    assert reading.search(archive.engine, "第一版") == []  # the index holds the latest version
    # The same file again changes nothing.
    seq = archive.change_seq()
    again = importing.import_versions(archive.engine, versions(), bulk=bulk)
    assert again == {"new": 0, "updated": 0, "unchanged": 3}
    assert [h.revision for h in reading.history(archive.engine, one)] == [1, 3]
    assert archive.count_articles() == 2
    # Nothing for the next `export --since-last` either.
    assert list(archive.iter_articles(changes=ChangeWindow(after_seq=seq))) == []
    archive.close()


@pytest.mark.parametrize(("bulk", "kept"), [(False, 1), (True, 0)])
def test_a_failing_batch_keeps_the_batches_before_it_unless_bulk(
    db_url: str, bulk: bool, kept: int
) -> None:
    archive = Archive(db_url)
    good = ArticleVersion(make_record("http://news.example/ok.html", text="好的。"), 1)
    naive = make_record("http://news.example/bad.html", fetched_at=datetime(2024, 1, 1))
    with pytest.raises(Exception, match="naive datetime"):
        importing.import_versions(
            archive.engine, [good, ArticleVersion(naive, 1)], batch_size=1, bulk=bulk
        )
    assert archive.count_articles() == kept
    assert len(reading.search(archive.engine, "好的")) == kept
    archive.close()


def test_a_rebuilt_index_finds_every_article(db_url: str) -> None:
    archive = Archive(db_url)
    for n in range(3):
        archive.upsert_article(make_record(f"http://news.example/{n}.html", text=f"罗湖第{n}篇。"))
    assert importing.rebuild_search_index(archive.engine) == 3
    assert archive.rebuild_search_index() == 3
    assert len(archive.search("罗湖")) == 3
    archive.close()
