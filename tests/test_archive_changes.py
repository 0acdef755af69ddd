"""The change counter and export cursors (archive.changes): numbers in commit order, windows
that keep what changed after a point, cursors per name; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from archive_samples import make_record

from archive import changes, reading
from archive.changes import ChangeWindow, SavedCursor
from archive.store import Archive


def test_a_bump_takes_the_next_number_and_a_rollback_gives_it_back(db_url: str) -> None:
    archive = Archive(db_url)
    assert changes.change_seq(archive.engine) == 0
    with archive.engine.begin() as conn:
        assert changes.bump_change(conn) == 1
        assert changes.bump_change(conn) == 2
    with archive.engine.connect() as conn, conn.begin() as transaction:
        assert changes.bump_change(conn) == 3
        transaction.rollback()
    assert changes.change_seq(archive.engine) == 2
    archive.close()


def test_a_window_keeps_what_changed_after_its_point_and_learns_what_it_saw(
    db_url: str,
) -> None:
    archive = Archive(db_url)
    urls = [f"http://news.example/{n}.html" for n in range(4)]
    for url in urls[:3]:
        archive.upsert_article(make_record(url, text=f"{url} 第一版。"))
    point = archive.change_seq()
    archive.upsert_article(make_record(urls[3], text="第四篇。"))
    archive.upsert_article(make_record(urls[0], text="第一篇，第二版。"))
    archive.mark_removed(urls[1])
    window = ChangeWindow(after_seq=point)
    assert [r.url for r in reading.iter_articles(archive.engine, changes=window)] == [
        urls[0],
        urls[1],
        urls[3],
    ]
    assert window.seen_seq == archive.change_seq() == point + 3
    # Versions: only those stored after the point (a removal stores none).
    versions = ChangeWindow(after_seq=point)
    assert [
        (v.record.url, v.revision) for v in reading.iter_versions(archive.engine, changes=versions)
    ] == [(urls[0], 2), (urls[3], 1)]
    assert versions.seen_seq == point + 3
    # A window past every change reads nothing and learns nothing.
    empty = ChangeWindow(after_seq=point + 3)
    assert list(reading.iter_articles(archive.engine, changes=empty)) == []
    assert empty.seen_seq is None
    archive.close()


def test_a_cursor_saved_before_the_counter_is_read_by_time(db_url: str) -> None:
    archive = Archive(db_url)
    archive.upsert_article(make_record("http://news.example/old.html", text="旧文。"))
    archive.upsert_article(make_record("http://news.example/gone.html", text="将删。"))
    moment = datetime.now(UTC)
    archive.upsert_article(make_record("http://news.example/new.html", text="新文。"))
    archive.mark_removed("http://news.example/gone.html")
    window = SavedCursor(None, moment).window()
    assert (window.after_seq, window.since) == (None, moment)
    assert [r.url for r in archive.iter_articles(changes=window)] == [
        "http://news.example/gone.html",
        "http://news.example/new.html",
    ]
    assert [
        v.record.url for v in archive.iter_versions(changes=SavedCursor(None, moment).window())
    ] == ["http://news.example/new.html"]
    archive.close()


def test_window_clauses() -> None:
    assert ChangeWindow().article_clauses() == []
    assert ChangeWindow().revision_clauses() == []
    by_seq = ChangeWindow(after_seq=4, since=datetime.now(UTC))  # the number wins
    assert [str(c) for c in by_seq.article_clauses()] == ["articles.change_seq > :change_seq_1"]
    assert [str(c) for c in by_seq.revision_clauses()] == [
        "article_revisions.change_seq > :change_seq_1"
    ]
    assert SavedCursor(7, datetime.now(UTC)).window() == ChangeWindow(after_seq=7)


def test_export_cursors_are_kept_per_name_and_moved(db_url: str) -> None:
    archive = Archive(db_url)
    assert changes.export_cursor(archive.engine, "feed") is None
    first = datetime(2024, 6, 1, tzinfo=UTC)
    changes.save_export_cursor(archive.engine, "feed", first, seq=5, articles=10, output="a.jsonl")
    assert changes.export_cursor(archive.engine, "feed") == SavedCursor(5, first)
    later = datetime(2024, 6, 2, tzinfo=UTC)
    archive.save_export_cursor("feed", later, seq=9, articles=2, output=None)
    assert archive.export_cursor("feed") == SavedCursor(9, later)
    assert archive.export_cursor("other") is None
    archive.close()
