"""CrawlState without a crawl: what the spider asks it about a page's text (is_copy), and the
batches it writes articles in."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from archive.record import ArticleRecord
from archive.store import Archive, PageFetch
from crawler.state import CrawlState, StoredArticle

TEXT = "\n".join(
    [
        "记者从罗湖区城市更新和土地整备局获悉，今年以来罗湖区加快推进城市更新项目，"
        "全年计划完成固定资产投资超过三百亿元。",
        "据介绍，罗湖区将重点推进笋岗—清水河片区、蔡屋围片区的更新改造，"
        "同步完善交通、教育和医疗配套设施。",
    ]
)


def page(url: str, title: str = "罗湖加快城市更新", text: str = TEXT) -> ArticleRecord:
    return ArticleRecord(url=url, title=title, text=text)


def test_a_page_is_a_copy_when_its_text_was_seen_or_is_archived_elsewhere(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    archive.upsert_article(page("http://www.news.example/1.html"))
    state = CrawlState(archive, profile=None, start_urls=[], recheck_after=timedelta(0))
    # The archived article's own page, fetched again: not a copy.
    assert not state.is_copy(
        page("http://www.news.example/1.html"), "http://www.news.example/1.html"
    )
    # Seen in this run already: a copy, whatever the URL and headline.
    assert state.is_copy(page("http://www.news.example/1.html"), "http://www.news.example/1.html")
    state2 = CrawlState(archive, profile=None, start_urls=[], recheck_after=timedelta(0))
    # Archived under another URL of the site or of its mobile edition: a copy.
    mobile = "http://m.news.example/1.html"
    assert state2.is_copy(page(mobile, title="另一个标题"), mobile)
    # A new text, a text too short for a key, a text of another site: not copies.
    other = TEXT + "\n另据了解，项目将于年底前全部开工。"
    assert not state2.is_copy(
        page("http://www.news.example/2.html", text=other), "http://www.news.example/2.html"
    )
    short = page("http://www.news.example/3.html", text="本页面内容正在更新")
    assert not state2.is_copy(short, short.url)
    assert not state2.is_copy(short, short.url)
    assert not state2.is_copy(page("http://other.example/1.html"), "http://other.example/1.html")
    state.finish("finished", {}, {})


def store(state: CrawlState, record: ArticleRecord, flush: bool = True) -> list[StoredArticle]:
    return state.store_article(
        record,
        PageFetch(url=record.url, status=200),
        aliases=(),
        urls=[record.url],
        status=200,
        headers={"etag": '"1"'},
        flush=flush,
    )


def numbered(n: int) -> ArticleRecord:
    return page(f"http://www.news.example/{n}.html", text=f"{TEXT}\n第{n}号文件的补充说明。" * 2)


def test_articles_wait_for_their_batch_and_their_pages_stay_pending(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    state = CrawlState(
        archive,
        profile="p",
        start_urls=[],
        recheck_after=timedelta(days=1),
        write_batch=3,
        write_interval=0,
    )
    urls = [numbered(n).url for n in range(4)]
    state.enqueue((u, "article", 1) for u in urls)
    assert store(state, numbered(0)) == []
    assert store(state, numbered(1)) == []
    assert archive.count_articles() == 0
    assert {s.state for s in archive.page_states(urls).values()} == {"pending"}
    third = store(state, numbered(2))  # the batch is full: written, pages done with it
    assert [(s.record.url, s.result and s.result.outcome) for s in third] == [
        (urls[0], "new"),
        (urls[1], "new"),
        (urls[2], "new"),
    ]
    states = archive.page_states(urls)
    assert [states[u].state for u in urls] == ["done", "done", "done", "pending"]
    assert states[urls[0]].article_id == third[0].result.article_id  # type: ignore[union-attr]
    assert store(state, numbered(3)) == []
    assert state.waiting_articles == 1
    state.finish("finished", {}, {})  # what still waits is written before the run ends
    assert archive.count_articles() == 4
    assert sum(h.articles for h in archive.run_site_health([state.run_id])[state.run_id]) == 4


def test_an_old_batch_is_written_by_the_next_article(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [100.0]
    monkeypatch.setattr("crawler.state.time.monotonic", lambda: clock[0])
    state = CrawlState(
        Archive(sqlite_url),
        profile=None,
        start_urls=[],
        recheck_after=timedelta(0),
        write_batch=100,
        write_interval=0.5,
    )
    assert store(state, numbered(0)) == []
    clock[0] += 0.6
    assert [s.record.url for s in store(state, numbered(1))] == [numbered(0).url, numbered(1).url]
    state.finish("finished", {}, {})


def test_a_refused_record_is_skipped_and_the_rest_of_its_batch_stored(sqlite_url: str) -> None:
    archive = Archive(sqlite_url)
    with archive.engine.begin() as conn:  # a database that refuses one headline
        conn.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON articles WHEN NEW.title = '坏'"
                " BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        )
    state = CrawlState(
        archive, profile=None, start_urls=[], recheck_after=timedelta(0), write_batch=3
    )
    bad = page("http://www.news.example/bad.html", title="坏", text=TEXT + "\n坏消息。")
    store(state, numbered(0))
    store(state, bad)
    stored = store(state, numbered(1))
    assert [s.result is not None for s in stored] == [True, False, True]
    assert stored[1].refused is not None
    assert "refused" in stored[1].refused
    assert archive.count_articles() == 2
    # Judged: failed, so that a resumed crawl does not fetch it again and again.
    assert archive.page_states([bad.url])[bad.url].state == "failed"
    assert sum(h.articles for h in state.health.rows()) == 2
    state.finish("finished", {}, {})


def test_a_batch_taken_by_the_pipeline_is_written_from_another_thread(db_url: str) -> None:
    """PostgreSQL crawls write their batches in a thread (a batch may wait there for another
    worker's on the change counter's lock); the batch is taken on the crawl's thread, written
    in the other, and its pages are done only with its articles."""
    archive = Archive(db_url)
    state = CrawlState(
        archive,
        profile="p",
        start_urls=[],
        recheck_after=timedelta(days=1),
        write_batch=2,
        write_interval=0,
    )
    assert state.writes_in_thread is db_url.startswith("postgresql")
    urls = [numbered(n).url for n in range(2)]
    state.enqueue((u, "article", 1) for u in urls)
    for n in range(2):
        assert (
            state.store_article(
                numbered(n),
                PageFetch(url=numbered(n).url, status=200),
                aliases=(),
                urls=[numbered(n).url],
                status=200,
                headers={},
                flush=False,
            )
            == []
        )  # never written here: the caller writes when the batch is due
    assert state.batch_due
    assert archive.count_articles() == 0
    writes = state.take_batch()
    assert state.waiting_articles == 0
    assert not state.batch_due
    stored: list[StoredArticle] = []
    writer = threading.Thread(target=lambda: stored.extend(state.write_articles(writes)))
    writer.start()
    writer.join()
    assert [s.result and s.result.outcome for s in stored] == ["new", "new"]
    states = archive.page_states(urls)
    assert [states[u].state for u in urls] == ["done", "done"]
    state.articles_written(stored)
    state.finish("finished", {}, {})
    assert sum(h.articles for h in archive.run_site_health([state.run_id])[state.run_id]) == 2


def test_in_a_crawl_every_write_goes_to_the_writer_thread_in_order(db_url: str) -> None:
    """``writer_thread=True`` (what the spider asks for): batches are written on one writer
    thread, and on SQLite the frontier's own writes wait for it too, queued in order ahead of
    the next batch, so that the thread that drives the downloads never waits for the file's
    one writer; what was queued is in the archive once the writer is waited for."""
    archive = Archive(db_url)
    state = CrawlState(
        archive,
        profile="p",
        start_urls=[],
        recheck_after=timedelta(days=1),
        write_batch=2,
        write_interval=0,
        writer_thread=True,
    )
    sqlite = db_url.startswith("sqlite")
    assert state.writes_in_thread
    links = [f"http://www.news.example/list{n}.html" for n in range(3)]
    state.enqueue((u, "listing", 1) for u in links)
    state.page_done(links[0], kind="listing", status=200, headers={})
    queued = archive.page_states(links)
    if sqlite:  # queued, not written yet
        assert queued == {}
    else:  # PostgreSQL has no single writer: the frontier writes where it is asked
        assert queued[links[0]].state == "done"
    for n in range(2):
        assert store(state, numbered(n), flush=False) == []  # the pipeline's way
    future = state.submit(state.write_articles, state.take_batch())
    stored = future.result(timeout=30)
    assert [s.result and s.result.outcome for s in stored] == ["new", "new"]
    # The frontier's writes queued before the batch were made before it.
    states = archive.page_states(links)
    assert [states[u].state for u in links] == ["done", "pending", "pending"]
    state.page_done(links[1], kind="listing", status=200, headers={})
    state.wait_writes()
    assert archive.page_states([links[1]])[links[1]].state == "done"
    assert threading.main_thread().name != "newsarchive-writer"
    assert state.clock.seconds["writer_archive_write"] > 0
    assert "archive_write" not in state.clock.seconds  # nothing of it on the crawl's thread
    state.articles_written(stored)
    state.finish("finished", {}, {})
    assert archive.count_articles() == 2


def test_a_failed_write_on_the_writer_thread_stops_the_writes_after_it(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The archive fails under the writer (locked for good, disk full): the writes asked for
    after the failure are not made, their pages stay pending for a resumed crawl, and the
    failure is raised to the crawl at its next article (the pipeline stops the crawl)."""
    archive = Archive(sqlite_url)
    state = CrawlState(
        archive, profile="p", start_urls=[], recheck_after=timedelta(days=1), writer_thread=True
    )

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(archive, "enqueue_pages", full)
    state.enqueue([("http://www.news.example/list.html", "listing", 1)])
    store(state, numbered(0), flush=False)
    future = state.submit(state.write_articles, state.take_batch())
    with pytest.raises(OSError, match="No space"):
        future.result(timeout=30)
    assert isinstance(state.write_error, OSError)
    with pytest.raises(OSError, match="No space"):
        store(state, numbered(1), flush=False)
    state.page_done("http://www.news.example/list.html", kind="listing", status=200, headers={})
    state.wait_writes()
    assert archive.count_articles() == 0
    assert archive.page_states(["http://www.news.example/list.html"]) == {}
    monkeypatch.undo()
    state.finish("interrupted", {}, {})
