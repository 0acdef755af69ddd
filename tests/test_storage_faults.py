"""Storage faults: a locked archive, a full disk, a failing export, two crawls of one profile.

E: a clear one-line error; N: nothing already archived is lost or duplicated.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event

from archive.db import ArchiveError
from archive.record import ArticleRecord
from archive.store import Archive
from crawler.scheduling import ProfileLock
from newsarchive.cli import main

ROOT = Path(__file__).resolve().parent.parent


def record(i: int, size: int = 200) -> ArticleRecord:
    return ArticleRecord(
        url=f"http://news.example/2024/0601/{i}.html",
        title=f"第{i}篇",
        text=f"独特词{i:05d} " + "罗湖区新闻正文。" * size,
    )


def test_full_disk_rolls_back_the_write_and_keeps_what_was_stored(tmp_path: Path) -> None:
    archive = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    for i in range(3):
        archive.upsert_article(record(i))
    pages = archive.engine.connect().exec_driver_sql("PRAGMA page_count").scalar_one()

    def cap(dbapi_connection: Any, _record: Any) -> None:  # a database that cannot grow
        dbapi_connection.execute(f"PRAGMA max_page_count={int(pages) + 2}")

    event.listen(archive.engine, "connect", cap)
    archive.engine.dispose()
    stored = 3
    error: ArchiveError | None = None
    for i in range(3, 200):
        try:
            archive.upsert_article(record(i, size=2000))
        except ArchiveError as exc:
            error = exc
            break
        stored += 1
    assert error is not None, "the capped database never filled up"
    assert "is full" in str(error)
    assert "\n" not in str(error)
    event.remove(archive.engine, "connect", cap)
    archive.engine.dispose()
    assert archive.count_articles() == stored
    failed = f"http://news.example/2024/0601/{stored}.html"
    assert archive.get_article(failed) is None
    assert archive.search(f"独特词{stored:05d}") == []  # no index row without its article
    assert archive.get_article("http://news.example/2024/0601/0.html") is not None
    archive.close()


def test_locked_archive_is_retried_then_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSARCHIVE_SQLITE_BUSY_TIMEOUT", "50")
    monkeypatch.setattr("archive.db.sleep", lambda _s: None)
    path = tmp_path / "a.db"
    archive = Archive(f"sqlite:///{path}")
    archive.upsert_article(record(0))
    other = sqlite3.connect(path, timeout=0.05)
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ArchiveError, match="locked by another writer"):
            archive.upsert_article(record(1))
    finally:
        other.rollback()
        other.close()
    # Once the other writer is done, writing works again and nothing was lost.
    assert archive.upsert_article(record(1)).outcome == "new"
    assert archive.count_articles() == 2
    archive.close()


def test_crawl_into_a_locked_archive_fails_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    Archive(f"sqlite:///{path}").close()
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["NEWSARCHIVE_SQLITE_BUSY_TIMEOUT"] = "50"
    try:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "crawl",
                "http://127.0.0.1:9/",
                "--db",
                f"sqlite:///{path}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env=env,
            check=False,
        )
    finally:
        other.rollback()
        other.close()
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    assert "locked by another writer" in last


def test_full_disk_during_export_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with Archive(db_url) as archive:
        for i in range(5):
            archive.upsert_article(record(i, size=5))
    out = tmp_path / "export.jsonl"
    out.write_text("the earlier export\n", encoding="utf-8")
    import exports.jsonl

    real = exports.jsonl.encode_line
    calls = {"n": 0}

    def failing(data: dict[str, Any]) -> bytes:
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(data)

    monkeypatch.setattr(exports.jsonl, "encode_line", failing)
    result = CliRunner().invoke(main, ["export", "--db", db_url, "-o", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "No space left on device" in result.output
    assert out.read_text(encoding="utf-8") == "the earlier export\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a-warc",
        "a.db",
        "export.jsonl",
    ] or sorted(p.name for p in tmp_path.iterdir()) == ["a.db", "export.jsonl"]


def test_a_second_crawl_of_a_running_profile_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    profiles = tmp_path / "p.toml"
    profiles.write_text(
        '[[profiles]]\nname = "luohu"\nstart_urls = ["http://127.0.0.1:9/"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("NEWSARCHIVE_LOCK_DIR", str(tmp_path / "locks"))
    with ProfileLock(tmp_path / "locks", "luohu"):
        result = CliRunner().invoke(
            main, ["crawl", "--profiles", str(profiles), "--db", f"sqlite:///{tmp_path / 'a.db'}"]
        )
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "luohu" in lines[0]
    assert str(os.getpid()) in lines[0]
