"""Incremental crawls of a profile: a site that changes between runs, a crawl killed mid-way,
WARC files valid for warcio's own checker, and re-extraction from them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from archive.store import Archive
from newsarchive.testsite import SyntheticServer, SyntheticSite

pytestmark = pytest.mark.crawl

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def write_profile(
    path: Path,
    start_url: str | None,
    *,
    recheck_days: int,
    name: str = "synthetic",
    feeds: tuple[str, ...] = (),
    sitemaps: tuple[str, ...] = (),
) -> Path:
    def toml_list(urls: tuple[str, ...]) -> str:
        return "[" + ", ".join(f'"{u}"' for u in urls) + "]"

    path.write_text(
        "[[profiles]]\n"
        f'name = "{name}"\n'
        f"start_urls = {toml_list((start_url,) if start_url else ())}\n"
        f"feeds = {toml_list(feeds)}\n"
        f"sitemaps = {toml_list(sitemaps)}\n"
        f"recheck_after_days = {recheck_days}\n"
        'schedule = "0 * * * *"\n'
        "[profiles.politeness]\n"
        "autothrottle = false\n"
        "concurrency_per_host = 8\n",
        encoding="utf-8",
    )
    return path


def crawl(
    profile: Path, db_url: str, lock_dir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    env = {**ENV, "NEWSARCHIVE_LOCK_DIR": str(lock_dir)}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "newsarchive",
            "crawl",
            "--profiles",
            str(profile),
            "--db",
            db_url,
            "-s",
            "NEWSARCHIVE_PROGRESS_INTERVAL=0",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
        check=False,
    )


def test_second_run_reports_exactly_what_changed(tmp_path: Path) -> None:
    site = SyntheticSite(articles=30, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=0)
        first = crawl(profile, db_url, tmp_path)
        assert first.returncode == 0, first.stderr
        assert "articles: 30 new, 0 updated, 0 unchanged, 0 duplicates, 0 removed" in first.stdout
        edited = site.edit(3)
        removed = site.remove(5)
        copy = site.cross_post(8)  # the same article under another section's URL
        mobile = site.mobile_copy(9)  # a mobile URL whose page names the main URL canonical
        added = site.add()  # 31 articles: the listing grows from 3 pages to 4
        assert site.listing_pages == 4
        site.stats.paths.clear()
        second = crawl(profile, db_url, tmp_path)
    assert second.returncode == 0, second.stderr
    # The mobile copy names the main URL canonical: it is that article, unchanged.
    assert "articles: 1 new, 1 updated, 29 unchanged, 1 duplicates, 1 removed" in second.stdout
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 31
        base = server.base_url
        assert [r.revision for r in archive.history(base + edited)] == [1, 2]
        gone = archive.get_article(base + removed)
        assert gone is not None
        assert gone.removed_at is not None
        new = archive.get_article(base + added)
        assert new is not None
        assert new.profile == "synthetic"
        original = archive.get_article(base + copy)
        assert original is not None
        assert original.url != base + copy
        assert base + copy in archive.aliases_of(original.url)
        main_page = archive.get_article(base + mobile)
        assert main_page is not None
        assert main_page.url == base + site.mobiles[mobile].path
        assert base + mobile in archive.aliases_of(main_page.url)
        runs = archive.list_runs()
    assert [r.status for r in runs] == ["finished", "finished"]
    assert runs[0].counters["articles_removed"] == 1
    # Unchanged articles were asked conditionally and answered 304, not re-sent.
    assert site.stats.not_modified >= 28


def test_nothing_changed_fetches_only_the_first_listing_page(tmp_path: Path) -> None:
    site = SyntheticSite(articles=50, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=7)
        assert crawl(profile, db_url, tmp_path).returncode == 0
        first_bytes = site.stats.bytes_sent
        site.stats = type(site.stats)()
        second = crawl(profile, db_url, tmp_path)
    assert second.returncode == 0, second.stderr
    article_fetches = [p for p in site.stats.paths if p.startswith("/news/2")]
    assert article_fetches == []  # no known article is due yet
    assert "articles: 0 new" in second.stdout
    assert site.stats.bytes_sent < 0.1 * first_bytes


def test_kill_9_then_resume_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    site = SyntheticSite(articles=120, per_page=20, delay=0.03)
    db_path = tmp_path / "a.db"
    db_url = f"sqlite:///{db_path}"
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=7)
        env = {**ENV, "NEWSARCHIVE_LOCK_DIR": str(tmp_path)}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsarchive",
                "crawl",
                "--profiles",
                str(profile),
                "--db",
                db_url,
                "-s",
                "NEWSARCHIVE_PROGRESS_INTERVAL=0",
                "-s",
                "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if db_path.exists():
                try:
                    with Archive(db_url, create=False) as archive:
                        stored = archive.count_articles()
                except Exception:  # the schema may not be there yet
                    continue
                if stored >= 20:
                    break
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        assert 20 <= stored < 120, "the crawl should have been killed mid-way"
        with Archive(db_url, create=False) as archive:
            before = archive.count_articles()
        fetched_before = len([p for p in site.stats.paths if p.startswith("/news/2")])
        site.stats.paths.clear()
        resumed = crawl(profile, db_url, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 120
        urls = [r.url for r in archive.iter_articles()]
        runs = archive.list_runs()
    assert len(urls) == len(set(urls))
    assert [r.status for r in runs] == ["finished", "interrupted"]
    # The second run did not fetch again what the first had archived.
    refetched = len([p for p in site.stats.paths if p.startswith("/news/2")])
    assert refetched <= 120 - before + 4, (refetched, before, fetched_before)


def test_crash_between_parse_and_store_loses_nothing(tmp_path: Path) -> None:
    """The process dies after the spider parsed an article and before the archive stored it:
    the page must not count as done, and the resumed crawl must fetch it in full (no 304)."""
    site = SyntheticSite(articles=30, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    pipelines = (
        '{"tests.crash_pipeline.CrashPipeline": 200, '
        '"crawler.pipelines.ValidationPipeline": 100, '
        '"crawler.pipelines.ArchivePipeline": 300}'
    )
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=7)
        crashed = crawl(
            profile,
            db_url,
            tmp_path,
            "-s",
            f"ITEM_PIPELINES={pipelines}",
            "-s",
            "CRASH_AFTER_ITEMS=5",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s",
            "NEWSARCHIVE_WRITE_BATCH=1",  # each article sent to the writer as it comes
        )
        assert crashed.returncode == 137, crashed.stderr
        with Archive(db_url, create=False) as archive:
            # The writer thread had written at most the four articles before the crash (the
            # last ones may still have been on their way), never the fifth.
            stored = {r.url for r in archive.iter_articles()}
            assert len(stored) <= 4
            pages = archive.page_states(server.base_url + p for p in site.article_paths())
        # A page counts as done exactly when its article is stored.
        done = {url for url, page in pages.items() if page.state == "done"}
        assert done == stored
        assert len(pages) > len(done)  # the crashed article's page, at least, is pending
        resumed = crawl(profile, db_url, tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    with Archive(db_url, create=False) as archive:
        assert archive.count_articles() == 30
        urls = [r.url for r in archive.iter_articles()]
    assert len(urls) == len(set(urls))


def test_warc_files_pass_warcio_check_and_reextract_rebuilds(tmp_path: Path) -> None:
    site = SyntheticSite(articles=12, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=7)
        assert crawl(profile, db_url, tmp_path).returncode == 0
    warcs = sorted((tmp_path / "a-warc").glob("*.warc.gz"))
    assert warcs
    warcio = [sys.executable, "-m", "warcio.cli"]
    for warc in warcs:
        check = subprocess.run(
            [*warcio, "check", str(warc)], capture_output=True, text=True, check=False
        )
        assert check.returncode == 0, check.stdout + check.stderr
        index = subprocess.run(
            [*warcio, "index", str(warc)], capture_output=True, text=True, check=True
        )
        assert index.stdout.count('"response"') >= 1
    with Archive(db_url, create=False) as archive:
        some = next(iter(archive.iter_articles()))
        page = archive.get_raw_page(some.url)
    assert page is not None
    assert some.title is not None
    assert some.title.encode() in page.body
    result = subprocess.run(
        [sys.executable, "-m", "newsarchive", "reextract", "--db", db_url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=ENV,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "12 unchanged" in result.stdout


def test_feeds_sitemaps_and_robots_sitemap_lines_lead_to_articles(tmp_path: Path) -> None:
    site = SyntheticSite(articles=25, per_page=10)
    with SyntheticServer(site) as server:
        feed_only = write_profile(
            tmp_path / "feed.toml",
            None,
            recheck_days=7,
            name="feed",
            feeds=(server.base_url + "/rss.xml",),
        )
        result = crawl(feed_only, f"sqlite:///{tmp_path / 'feed.db'}", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "/rss.xml" in site.stats.paths
        # The feed lists the latest ten; each was fetched (the site's links lead to the rest).
        latest = site.article_paths()[-10:]
        assert set(latest) <= set(site.stats.paths)
        sitemap_only = write_profile(
            tmp_path / "sitemap.toml",
            None,
            recheck_days=7,
            name="sitemap",
            sitemaps=(server.base_url + "/sitemap.xml",),
        )
        result = crawl(sitemap_only, f"sqlite:///{tmp_path / 'sitemap.db'}", tmp_path)
        assert result.returncode == 0, result.stderr
        assert "articles: 25 new" in result.stdout  # index -> gzipped urlset -> every article
        # A start page alone: robots.txt's Sitemap: line leads to the same sitemap.
        home = write_profile(
            tmp_path / "home.toml", server.base_url + "/about.html", recheck_days=7, name="home"
        )
        result = crawl(home, f"sqlite:///{tmp_path / 'home.db'}", tmp_path)
    assert "articles: 25 new" in result.stdout
    assert "/robots.txt" in site.stats.paths
    assert "/sitemap-1.xml.gz" in site.stats.paths


def test_a_sitemap_larger_than_the_queue_is_fed_from_the_frontier(tmp_path: Path) -> None:
    """Past NEWSARCHIVE_QUEUE_SIZE, URLs wait in the frontier, not in Scrapy's memory, and are
    fed as the scheduler runs dry: every article is still archived, once."""
    site = SyntheticSite(articles=90, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    with SyntheticServer(site) as server:
        profile = write_profile(
            tmp_path / "p.toml",
            None,
            recheck_days=7,
            sitemaps=(server.base_url + "/sitemap.xml",),
        )
        result = crawl(profile, db_url, tmp_path, "-s", "NEWSARCHIVE_QUEUE_SIZE=10")
    assert result.returncode == 0, result.stderr
    assert "articles: 90 new" in result.stdout
    with Archive(db_url, create=False) as archive:
        run = archive.list_runs()[0]
        urls = [r.url for r in archive.iter_articles()]
    assert len(urls) == len(set(urls)) == 90
    stats = run.stats
    assert stats["newsarchive/queued_in_frontier"] >= 70
    # Fed in batches when Scrapy ran dry (the rest were found again through links).
    assert stats["newsarchive/fed_from_frontier"] >= 20
    # Scrapy's own counters, read at every response: the backlog stayed near the limit.
    assert stats["newsarchive/max_scheduler_backlog"] <= 10


def article_pages(db_url: str) -> tuple[set[str], set[str], set[str]]:
    """URLs of the archived articles, of the article pages marked done, and of those whose
    article id points to no article."""
    with Archive(db_url, create=False) as archive, archive.engine.connect() as conn:
        stored = set(conn.execute(text("SELECT url FROM articles")).scalars())
        done = set(
            conn.execute(
                text("SELECT url FROM pages WHERE kind = 'article' AND state = 'done'")
            ).scalars()
        )
        orphans = set(
            conn.execute(
                text(
                    "SELECT p.url FROM pages p LEFT JOIN articles a ON a.id = p.article_id"
                    " WHERE p.kind = 'article' AND p.state = 'done' AND a.id IS NULL"
                )
            ).scalars()
        )
    return stored, done, orphans


def test_kill_9_with_a_batch_waiting_loses_nothing(tmp_path: Path) -> None:
    """The process dies with articles waiting for their batch (written to the WARC file, not
    yet to the archive): the batches before are stored with their pages done, the waiting
    ones' pages are still pending, and the resumed crawl stores each article once."""
    site = SyntheticSite(articles=30, per_page=10)
    db_url = f"sqlite:///{tmp_path / 'a.db'}"
    pipelines = (
        '{"crawler.pipelines.ValidationPipeline": 100, '
        '"crawler.pipelines.ArchivePipeline": 300, '
        '"tests.crash_pipeline.CrashPipeline": 400}'
    )
    with SyntheticServer(site) as server:
        profile = write_profile(tmp_path / "p.toml", server.start_url, recheck_days=7)
        crashed = crawl(
            profile,
            db_url,
            tmp_path,
            "-s",
            f"ITEM_PIPELINES={pipelines}",
            "-s",
            "CRASH_AFTER_ITEMS=8",  # after the archive pipeline took its 8th article
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s",
            "NEWSARCHIVE_WRITE_BATCH=3",
            "-s",
            "NEWSARCHIVE_WRITE_INTERVAL=0",  # batches by size only
        )
        assert crashed.returncode == 137, crashed.stderr
        stored, done, orphans = article_pages(db_url)
        # Whole batches, as far as the writer thread had gone: some may still have been
        # waiting, or on their way.
        before = len(stored)
        assert before <= 8
        assert done == stored  # no page done without its article, none stored and pending
        assert orphans == set()
        resumed = crawl(profile, db_url, tmp_path, "-s", "NEWSARCHIVE_WRITE_BATCH=7")
    assert resumed.returncode == 0, resumed.stderr
    assert f"articles: {30 - before} new" in resumed.stdout
    stored, done, orphans = article_pages(db_url)
    assert len(stored) == 30
    assert done == stored
    assert orphans == set()
    with Archive(db_url, create=False) as archive:
        urls = [r.url for r in archive.iter_articles()]
        runs = archive.list_runs()
    assert len(urls) == len(set(urls))
    # The counters hold every batch, the last too.
    assert runs[0].counters["articles_new"] == 30 - before
