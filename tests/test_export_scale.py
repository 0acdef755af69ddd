"""Exports at archive scale: filters and search, every revision with aliases, --since-last,
gzip, the JSON Schema; the same tests on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

import archive.articles as articles_module
from archive.filters import ArticleFilter
from archive.record import EXPORT_FIELDS, ArticleRecord, Byline
from archive.store import Archive
from exports.jsonl import export_archive
from exports.schema import EXPORT_SCHEMA
from newsarchive.cli import main


def record(n: int, text: str = "", **extra: object) -> ArticleRecord:
    values: dict[str, object] = {
        "url": f"http://{'sz' if n % 2 else 'hk'}.example/{n}.html",
        "title": f"第{n}条 罗湖新闻",
        "text": text or f"罗湖第{n}条新闻的正文。",
        "published_at": f"2024-05-{n:02d}",
        "bylines": [Byline(f"记者{n}", "reporter")],
        "source": "南方都市报",
        "section": "要闻",
        "language": "zh",
        "fetched_at": datetime(2024, 5, 20, 2, 0, tzinfo=UTC),
    }
    values.update(extra)
    return ArticleRecord(**values)  # type: ignore[arg-type]


@pytest.fixture
def archive(db_url: str) -> Archive:
    archive = Archive(db_url)
    for n in range(1, 7):
        archive.upsert_article(record(n, profile="p"))
    # Article 1 changes twice and gets an alias; article 2 is removed.
    archive.upsert_article(record(1, "罗湖第1条新闻，更正版。"))
    archive.upsert_article(
        record(1, "罗湖第1条新闻，第三版。"), aliases=["http://sz.example/1.html?from=rss"]
    )
    archive.mark_removed("http://hk.example/2.html", datetime(2024, 6, 1, tzinfo=UTC))
    return archive


def read_lines(path: Path) -> list[dict[str, object]]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


def test_export_filters_and_query(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "sz.jsonl"
    result = export_archive(archive, out, filters=ArticleFilter(site="sz.example"))
    lines = read_lines(out)
    assert result.count == len(lines) == 3
    assert {line["site"] for line in lines} == {"sz.example"}
    assert all(list(line) == list(EXPORT_FIELDS) for line in lines)
    export_archive(archive, out, query="第三版")
    assert [line["url"] for line in read_lines(out)] == ["http://sz.example/1.html"]
    export_archive(
        archive, out, filters=ArticleFilter.from_options(since="2024-05-03", until="2024-05-04")
    )
    assert [line["url"] for line in read_lines(out)] == [
        "http://sz.example/3.html",
        "http://hk.example/4.html",
    ]


def test_revisions_carry_numbers_and_aliases(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl.gz"
    export_archive(archive, out, revisions=True)
    with gzip.open(out, "rb") as raw:
        assert raw.read(1) == b"{"
    lines = read_lines(out)
    assert len(lines) == 8  # six articles, two more versions of the first
    first = [line for line in lines if line["url"] == "http://sz.example/1.html"]
    assert [line["revision"] for line in first] == [1, 2, 3]
    assert first[-1]["text"] == "罗湖第1条新闻，第三版。"
    assert all(line["aliases"] == ["http://sz.example/1.html?from=rss"] for line in first)
    assert list(first[0]) == [*EXPORT_FIELDS, "revision", "aliases"]
    removed = next(line for line in lines if line["url"] == "http://hk.example/2.html")
    assert removed["removed_at"] == "2024-06-01T00:00:00+00:00"


def test_since_last_exports_only_changes(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "feed.jsonl"
    first = export_archive(archive, out, since_last="feed")
    assert first.count == 6
    assert first.previous_cursor_at is None
    assert export_archive(archive, out, since_last="feed").count == 0
    assert out.read_text(encoding="utf-8") == ""
    archive.upsert_article(record(3, "罗湖第3条新闻，改过了。"))
    archive.upsert_article(record(9))
    archive.mark_removed("http://hk.example/4.html")
    export_archive(archive, out, since_last="feed")
    assert sorted(str(line["url"]) for line in read_lines(out)) == [
        "http://hk.example/4.html",
        "http://sz.example/3.html",
        "http://sz.example/9.html",
    ]
    # Another name has its own cursor.
    assert export_archive(archive, out, since_last="other").count == 7


@pytest.mark.parametrize("revisions", [False, True])
def test_since_last_misses_no_write_in_flight_during_the_export(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, revisions: bool
) -> None:
    """A crawl's write that began before an export and commits after the export has read
    must be in the next export of that name: a cursor taken from a clock would skip it."""
    out = tmp_path / "feed.jsonl"
    assert export_archive(archive, out, since_last="feed", revisions=revisions).count > 0
    stalled = threading.Event()
    release = threading.Event()
    real_index = articles_module.index_article

    def slow_index(*args: object) -> None:  # inside the write transaction, after its stamp
        stalled.set()
        release.wait(10)
        real_index(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(articles_module, "index_article", slow_index)
    writer = threading.Thread(
        target=archive.upsert_article, args=(record(3, "罗湖第3条新闻，晚到的一版。"),)
    )
    writer.start()
    assert stalled.wait(10)
    # The export reads while the write is in flight; on SQLite, saving its cursor then waits
    # for the writer's lock, which the timer lets go.
    timer = threading.Timer(1.0, release.set)
    timer.start()
    during = export_archive(archive, out, since_last="feed", revisions=revisions)
    writer.join(10)
    timer.join()
    assert during.count == 0
    after = export_archive(archive, out, since_last="feed", revisions=revisions)
    assert [line["text"] for line in read_lines(out)] == ["罗湖第3条新闻，晚到的一版。"]
    assert after.count == 1
    assert export_archive(archive, out, since_last="feed", revisions=revisions).count == 0


def test_an_article_back_from_removal_is_a_change(archive: Archive, tmp_path: Path) -> None:
    out = tmp_path / "feed.jsonl"
    export_archive(archive, out, since_last="feed")
    archive.upsert_article(record(2))  # the removed article answers again, unchanged
    assert export_archive(archive, out, since_last="feed").count == 1
    assert read_lines(out)[0]["removed_at"] is None


def test_cursor_stays_when_the_export_fails(
    archive: Archive, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "feed.jsonl"

    def broken_replace(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        export_archive(archive, out, since_last="feed")
    assert archive.export_cursor("feed") is None
    assert list((tmp_path / "out").iterdir()) == []
    monkeypatch.undo()
    assert export_archive(archive, out, since_last="feed").count == 6
    assert archive.export_cursor("feed") is not None


def test_export_lines_follow_the_schema(archive: Archive, tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(EXPORT_SCHEMA)
    for revisions in (False, True):
        out = tmp_path / "x.jsonl"
        export_archive(archive, out, revisions=revisions)
        for line in read_lines(out):
            validator.validate(line)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**read_lines(out)[0], "unknown": 1})


def test_schema_names_exactly_the_vocabulary() -> None:
    assert EXPORT_SCHEMA["required"] == list(EXPORT_FIELDS)
    assert set(EXPORT_SCHEMA["properties"]) == {*EXPORT_FIELDS, "revision", "aliases"}


def test_cli_export_options(archive: Archive, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "x.jsonl.gz"
    args = ["export", "--db", archive.db_url, "-o", str(out)]
    result = runner.invoke(
        main, [*args, "--query", "罗湖", "--author", "记者3", "--revisions", "--since-last", "a"]
    )
    assert result.exit_code == 0, result.output
    assert "exported 1 versions" in result.output
    assert [line["revision"] for line in read_lines(out)] == [1]
    result = runner.invoke(main, ["export", "--db", archive.db_url, "--language", "en"])
    assert result.exit_code == 0
    assert result.output == ""
    result = runner.invoke(main, ["export", "--schema"])
    assert json.loads(result.output)["required"] == list(EXPORT_FIELDS)
    result = runner.invoke(main, [*args, "--query", "+++"])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    result = runner.invoke(main, [*args, "--until", "May"])
    assert result.exit_code == 1
    assert result.output.startswith("error: cannot read the date")
