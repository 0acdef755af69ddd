"""``newsarchive import``: an export loaded into another archive loses nothing, on SQLite and
PostgreSQL, in both directions; importing twice changes nothing; bad files are one-line errors."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from archive.record import ArticleRecord, Byline
from archive.store import Archive
from exports.importer import ImportFileError, import_jsonl, read_export
from exports.jsonl import export_archive
from newsarchive.cli import main


def fill(archive: Archive) -> None:
    for n in range(1, 5):
        archive.upsert_article(
            ArticleRecord(
                url=f"http://sz.example/{n}.html",
                title=f"羅湖第{n}条",
                text=f"罗湖新闻正文{n}。\n第二段。",
                published_at="2024-05-20T10:21:00+08:00" if n % 2 else "2024-05-20",
                bylines=[Byline("张一鎏", "reporter"), Byline("王编", "editor")],
                source="南方都市报",
                section="要闻",
                tags=["城市更新", "罗湖"],
                language="zh",
                fetched_at=datetime(2024, 5, 20, 2, n, tzinfo=UTC),
                extractor_version="1.2",
            ),
            profile="sz",
        )
    archive.upsert_article(
        ArticleRecord(
            url="http://sz.example/1.html",
            title="羅湖第1条（更正）",
            text="罗湖新闻正文1，已更正。",
            fetched_at=datetime(2024, 5, 21, tzinfo=UTC),
            extractor_version="1.2",
        ),
        aliases=["http://sz.example/1.html?utm=x", "http://m.sz.example/1.html"],
    )
    archive.mark_removed("http://sz.example/3.html", datetime(2024, 6, 1, tzinfo=UTC))


def make_export(tmp_path: Path, name: str, *, revisions: bool = True) -> Path:
    """An export of :func:`fill`'s archive, made in a SQLite archive of its own."""
    with Archive(f"sqlite:///{tmp_path / 'source.db'}") as source:
        fill(source)
        export = tmp_path / name
        export_archive(source, export, revisions=revisions)
    return export


def round_trip(source_url: str, target_url: str, tmp_path: Path, *, bulk: bool = False) -> None:
    source = Archive(source_url)
    fill(source)
    first = tmp_path / "source.jsonl.gz"
    export_archive(source, first, revisions=True)
    target = Archive(target_url)
    counts = import_jsonl(target, first, bulk=bulk)
    assert counts == {"new": 4, "updated": 1, "unchanged": 0}
    second = tmp_path / "target.jsonl.gz"
    export_archive(target, second, revisions=True)
    assert gzip.decompress(second.read_bytes()) == gzip.decompress(first.read_bytes())
    # The imported archive searches alike, and a second import changes nothing.
    assert [h.article.url for h in target.search("罗湖 更正")] == ["http://sz.example/1.html"]
    assert import_jsonl(target, first) == {"new": 0, "updated": 0, "unchanged": 5}
    assert target.aliases_of("http://m.sz.example/1.html") == [
        "http://sz.example/1.html?utm=x",
        "http://m.sz.example/1.html",
    ]
    source.close()
    target.close()


def test_sqlite_to_sqlite_round_trip(tmp_path: Path) -> None:
    round_trip(f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}", tmp_path)


@pytest.mark.postgres
def test_sqlite_to_postgresql_round_trip(tmp_path: Path, pg_url: str) -> None:
    round_trip(f"sqlite:///{tmp_path / 'a.db'}", pg_url, tmp_path)


@pytest.mark.postgres
def test_postgresql_to_sqlite_round_trip(tmp_path: Path, pg_url: str) -> None:
    round_trip(pg_url, f"sqlite:///{tmp_path / 'b.db'}", tmp_path)


def search_index_names(archive: Archive) -> set[str]:
    with archive.engine.connect() as conn:
        return set(
            conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'article_search'")
            ).scalars()
        )


@pytest.mark.postgres
def test_bulk_import_round_trip_into_postgresql(tmp_path: Path, pg_url: str) -> None:
    round_trip(f"sqlite:///{tmp_path / 'a.db'}", pg_url, tmp_path, bulk=True)
    with Archive(pg_url) as target:  # the GIN index was dropped for the load and built again
        assert "ix_article_search_document" in search_index_names(target)


def test_bulk_import_round_trip_into_sqlite(tmp_path: Path) -> None:
    round_trip(
        f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}", tmp_path, bulk=True
    )


def test_bulk_import_is_all_or_nothing(tmp_path: Path, db_url: str) -> None:
    export = make_export(tmp_path, "x.jsonl")
    with export.open("a", encoding="utf-8") as out:
        out.write("not json\n")
    target = Archive(db_url)
    target.upsert_article(
        ArticleRecord(url="http://other.example/1", title="东门", text="东门步行街")
    )
    with pytest.raises(ImportFileError, match=r"x\.jsonl:6: not JSON"):
        import_jsonl(target, export, batch_size=2, bulk=True)
    # Nothing of the file was kept, what was there before is intact and still found.
    assert target.count_articles() == 1
    assert [h.article.url for h in target.search("东门")] == ["http://other.example/1"]
    if target.engine.dialect.name == "postgresql":
        assert "ix_article_search_document" in search_index_names(target)
    # Without --bulk the batches before the bad line stay: lines 1-4 of the 5, which hold
    # three of the four articles.
    with pytest.raises(ImportFileError):
        import_jsonl(target, export, batch_size=2)
    assert target.count_articles() == 1 + 3
    target.close()


def test_import_reports_progress_after_each_batch(tmp_path: Path) -> None:
    export = make_export(tmp_path, "x.jsonl")
    seen: list[int] = []
    with Archive(f"sqlite:///{tmp_path / 'b.db'}") as target:
        import_jsonl(target, export, batch_size=2, progress=lambda c: seen.append(sum(c.values())))
    assert seen == [2, 4, 5]


def test_plain_export_imports_as_latest_versions(tmp_path: Path) -> None:
    source = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    fill(source)
    plain = tmp_path / "plain.jsonl"
    export_archive(source, plain)
    target = Archive(f"sqlite:///{tmp_path / 'b.db'}")
    assert import_jsonl(target, plain) == {"new": 4, "updated": 0, "unchanged": 0}
    assert list(target.iter_articles()) == list(source.iter_articles())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"url": "http://a.example/1"}\n', r"bad\.jsonl:1: no 'text'"),
        ('\n{"url": "http://a", "text": "x"}\nnot json\n', r"bad\.jsonl:3: not JSON"),
        ("[1, 2]\n", "not a JSON object"),
        ('{"url": "http://a", "text": "x", "revision": 0}\n', "positive integer"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFileError, match=message):
        list(read_export(bad))


def test_cli_import(tmp_path: Path) -> None:
    source = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    fill(source)
    export = tmp_path / "x.jsonl"
    export_archive(source, export, revisions=True)
    runner = CliRunner()
    target = f"sqlite:///{tmp_path / 'b.db'}"
    result = runner.invoke(main, ["import", str(export), "--db", target])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "4 new, 1 updated, 0 unchanged"
    result = runner.invoke(main, ["import", str(export), "--db", target, "--bulk"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 new, 0 updated, 5 unchanged"
    result = runner.invoke(main, ["import", str(tmp_path / "missing.jsonl"), "--db", target])
    assert result.exit_code == 1
    assert result.output == f"error: no such file: {tmp_path / 'missing.jsonl'}\n"
    (tmp_path / "bad.jsonl").write_bytes(b"\xff\xfe garbage\n")
    result = runner.invoke(main, ["import", str(tmp_path / "bad.jsonl"), "--db", target])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "not a UTF-8 JSONL export" in result.output
    result = runner.invoke(main, ["import", str(tmp_path / "bad.jsonl"), "--db", target, "--bulk"])
    assert result.exit_code == 1
    assert "nothing was imported" in result.output
