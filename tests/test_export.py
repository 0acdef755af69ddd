"""The export's field vocabulary and format: the same names as items and tables, streamed."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.models import Article
from archive.record import EXPORT_FIELDS, LIST_FIELDS, ROLES, ArticleRecord, Byline, content_hash
from archive.store import Archive
from exports.jsonl import export_jsonl_file, write_jsonl


def sample(url: str, **changes: object) -> ArticleRecord:
    values: dict[str, object] = {
        "url": url,
        "title": "罗湖怎么样",
        "text": "深圳罗湖，改革开放的起点。",
        "bylines": [
            Byline("张一鎏", "reporter"),
            Byline("王编", "editor"),
            Byline("赵摄", "photographer"),
        ],
        "source": "南方都市报",
        "fetched_at": datetime(2024, 5, 20, 2, 0, tzinfo=UTC),
    }
    values.update(changes)
    return ArticleRecord(**values)  # type: ignore[arg-type]


def test_record_item_table_and_export_share_one_vocabulary() -> None:
    record_fields = {f.name for f in dataclasses.fields(ArticleRecord)}
    assert set(EXPORT_FIELDS) == record_fields
    columns = set(Article.__table__.columns.keys())
    assert set(EXPORT_FIELDS) <= columns


def test_export_lines_hold_exactly_the_documented_fields(tmp_path: Path) -> None:
    archive = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    archive.upsert_article(sample("http://a.example/1.html"))
    archive.upsert_article(sample("http://a.example/2.html", title=None, bylines=[], source=None))
    out = tmp_path / "out.jsonl"
    assert export_jsonl_file(archive.iter_articles(), out) == 2
    raw = out.read_text(encoding="utf-8")
    assert "罗湖" in raw  # not \u-escaped
    lines = [json.loads(line) for line in raw.splitlines()]
    for line in lines:
        assert list(line) == list(EXPORT_FIELDS)
        for name in LIST_FIELDS:
            assert isinstance(line[name], list)
    first, second = lines
    assert first["authors"] == ["张一鎏"]  # editor and photographer are bylines, not authors
    assert {b["role"] for b in first["bylines"]} == {"reporter", "editor", "photographer"}
    assert all(b["role"] in ROLES for b in first["bylines"])
    assert first["site"] == "a.example"
    assert first["fetched_at"] == "2024-05-20T02:00:00+00:00"
    assert first["content_hash"] == content_hash("罗湖怎么样", "深圳罗湖，改革开放的起点。")
    assert second["title"] is None
    assert second["source"] is None
    assert second["authors"] == []
    assert second["bylines"] == []
    archive.close()


def test_content_hash_is_nfc_title_newline_text() -> None:
    import hashlib

    decomposed = "Cafe\u0301"
    assert content_hash(decomposed, "x") == hashlib.sha256("Café\nx".encode()).hexdigest()


def test_failed_export_leaves_the_earlier_file_untouched(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text("earlier export\n", encoding="utf-8")

    def broken() -> object:
        yield sample("http://a.example/1.html")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        export_jsonl_file(broken(), out)  # type: ignore[arg-type]
    assert out.read_text(encoding="utf-8") == "earlier export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_write_jsonl_streams_one_line_per_record() -> None:
    import io

    buffer = io.StringIO()
    records = (sample(f"http://a.example/{i}.html") for i in range(3))
    assert write_jsonl(records, buffer) == 3
    assert buffer.getvalue().count("\n") == 3
