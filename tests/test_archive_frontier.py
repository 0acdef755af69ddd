"""The crawl frontier (archive.frontier, the ``pages`` table): queueing, resuming, validators for
conditional requests, due rechecks; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from archive_samples import make_record

from archive import frontier
from archive.store import Archive


def test_frontier_survives_and_tracks_validators(db_url: str) -> None:
    archive = Archive(db_url)
    run = archive.start_run(["http://news.example/"], profile="p")
    added = archive.enqueue_pages(
        [("http://news.example/", "listing", 0), ("http://news.example/a/1.html", "article", 1)],
        profile="p",
        run_id=run,
    )
    assert added == 2
    assert (
        archive.enqueue_pages([("http://news.example/", "listing", 0)], profile="p", run_id=run)
        == 0
    )
    now = datetime(2024, 6, 1, tzinfo=UTC)
    archive.record_fetch(
        "http://news.example/a/1.html",
        kind="article",
        status=200,
        fetched_at=now,
        etag='"abc"',
        last_modified="Sat, 01 Jun 2024 00:00:00 GMT",
        next_check_at=now + timedelta(days=7),
        profile="p",
        run_id=run,
    )
    pending = archive.pending_pages("p")
    assert [p.url for p in pending] == ["http://news.example/"]
    assert archive.pending_pages("other") == []
    states = archive.page_states(["http://news.example/a/1.html", "http://news.example/x"])
    assert set(states) == {"http://news.example/a/1.html"}
    state = states["http://news.example/a/1.html"]
    assert (state.etag, state.state, state.kind) == ('"abc"', "done", "article")
    assert archive.due_articles("p", now) == []
    due = archive.due_articles("p", now + timedelta(days=8))
    assert [d.url for d in due] == ["http://news.example/a/1.html"]
    # A 304 keeps the validators of the 200 it confirms.
    archive.record_fetch(
        "http://news.example/a/1.html", kind="article", status=304, fetched_at=now, profile="p"
    )
    assert (
        archive.page_states(["http://news.example/a/1.html"])["http://news.example/a/1.html"].etag
        == '"abc"'
    )
    archive.close()


def test_frontier_feeds_a_run_its_pending_pages_in_queue_order(db_url: str) -> None:
    archive = Archive(db_url)
    earlier = archive.start_run(["http://news.example/"], profile="p")
    archive.enqueue_pages(
        [("http://news.example/old.html", "listing", 0)], profile="p", run_id=earlier
    )
    run = archive.start_run(["http://news.example/"], profile="p")
    urls = [f"http://news.example/a/{n}.html" for n in range(1200)]  # more than one chunk
    entries = [(u, "article", 1) for u in urls]
    # The same URL twice counts once, with what was said of it first.
    assert (
        archive.enqueue_pages([*entries, (urls[0], "listing", 5)], profile="p", run_id=run) == 1200
    )
    # A page an earlier run left pending, queued again, now belongs to this run.
    assert (
        archive.enqueue_pages(
            [("http://news.example/old.html", "listing", 0)], profile="p", run_id=run
        )
        == 0
    )
    first = archive.run_pending_pages(run, after_id=0, limit=500)
    assert [p.url for p in first] == ["http://news.example/old.html", *urls[:499]]
    assert (first[1].kind, first[1].depth) == ("article", 1)
    rest = archive.run_pending_pages(run, after_id=first[-1].id, limit=5000)
    assert [p.url for p in rest] == urls[499:]
    archive.record_fetch(urls[0], kind="article", status=200, fetched_at=datetime.now(UTC))
    assert urls[0] not in [p.url for p in archive.run_pending_pages(run, after_id=0, limit=5)]
    assert archive.run_pending_pages(earlier, after_id=0, limit=5) == []
    archive.close()


def test_page_states_reads_more_urls_than_one_statement_holds(db_url: str) -> None:
    archive = Archive(db_url)
    urls = [f"http://news.example/a/{n}.html" for n in range(frontier.CHUNK * 2 + 7)]
    frontier.enqueue_pages(
        archive.engine, [(u, "article", 1) for u in urls], profile=None, run_id=None
    )
    states = frontier.page_states(archive.engine, [*urls, urls[0], "http://news.example/new"])
    assert sorted(states) == sorted(urls)
    assert {s.state for s in states.values()} == {"pending"}
    assert len({s.id for s in states.values()}) == len(urls)
    archive.close()


def test_a_page_queued_again_is_pending_and_keeps_its_validators(db_url: str) -> None:
    archive = Archive(db_url)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    url = "http://news.example/a/1.html"
    archive.record_fetch(
        url,
        kind="article",
        status=200,
        fetched_at=now,
        etag='"v1"',
        next_check_at=now,
        profile="p",
    )
    assert archive.due_articles("p", now) != []
    run = archive.start_run([url], profile="p")
    assert archive.enqueue_pages([(url, "article", 3)], profile="p", run_id=run) == 0
    state = archive.page_states([url])[url]
    assert (state.state, state.etag, state.depth) == ("pending", '"v1"', 0)
    # A page being fetched again is not due again.
    assert archive.due_articles("p", now + timedelta(days=1)) == []
    assert [p.url for p in archive.run_pending_pages(run, after_id=0, limit=10)] == [url]
    archive.close()


def test_a_response_for_an_unknown_page_creates_it(db_url: str) -> None:
    archive = Archive(db_url)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    url = "http://news.example/redirected.html"
    archive.record_fetch(url, kind="other", status=404, fetched_at=now, profile="p", state="failed")
    state = archive.page_states([url])[url]
    assert (state.kind, state.state, state.depth, state.last_status) == ("other", "failed", 0, 404)
    assert state.last_fetched_at == now
    # A later response of another profile's crawl keeps the page's profile.
    archive.record_fetch(url, kind="other", status=200, fetched_at=now, profile="q")
    assert archive.pending_pages("p") == []
    archive.enqueue_pages([(url, "other", 0)], profile="q", run_id=None)
    assert [p.url for p in archive.pending_pages("p")] == [url]
    assert archive.pending_pages("q") == []
    archive.close()


def test_link_pages_points_each_fetched_url_at_its_article(db_url: str) -> None:
    archive = Archive(db_url)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    urls = ["http://news.example/a/1.html", "http://news.example/a/1.html?from=feed"]
    for url in urls:
        archive.record_fetch(url, kind="article", status=200, fetched_at=now)
    result = archive.upsert_article(make_record(urls[0]), aliases=urls[1:])
    archive.link_pages([*urls, urls[0], "http://news.example/never-fetched"], result.article_id)
    states = archive.page_states([*urls, "http://news.example/never-fetched"])
    assert sorted(states) == sorted(urls)
    assert {s.article_id for s in states.values()} == {result.article_id}
    archive.close()


def test_a_crawl_of_plain_urls_has_a_frontier_of_its_own(db_url: str) -> None:
    archive = Archive(db_url)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    archive.enqueue_pages([("http://a.example/", "listing", 0)], profile=None, run_id=None)
    archive.enqueue_pages([("http://b.example/", "listing", 0)], profile="b", run_id=None)
    assert [p.url for p in archive.pending_pages(None)] == ["http://a.example/"]
    assert [p.url for p in archive.pending_pages("b")] == ["http://b.example/"]
    for n in (3, 1, 2):
        archive.record_fetch(
            f"http://a.example/{n}.html",
            kind="article",
            status=200,
            fetched_at=now,
            next_check_at=now + timedelta(days=n),
        )
    due = archive.due_articles(None, now + timedelta(days=5), limit=2)
    assert [p.url for p in due] == ["http://a.example/1.html", "http://a.example/2.html"]
    assert archive.due_articles("b", now + timedelta(days=5)) == []
    archive.close()
