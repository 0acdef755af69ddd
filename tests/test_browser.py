"""The reading room in a real browser, used as a person would: Playwright drives Debian's
Chromium (``/usr/bin/chromium``, or ``$NEWSARCHIVE_CHROMIUM``; browser downloads are not
possible here, so ``playwright install`` is never run).

One module-wide setup: ``newsarchive demo --serve`` crawls the bundled demo sites into a
temporary archive and serves it (in a subprocess); then the sample of ``browse_samples`` is
added to the same archive while it is being served (two versions of an article, an alias, a
page whose title and text hold ``<script>`` and ``" onmouseover=``). One browser, several
pages. Screenshots of the search and article pages go to the test's temporary folder.

Without Chromium or Playwright the tests are skipped, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from archive.record import EXPORT_FIELDS
from archive.store import Archive, default_warc_dir
from exports.jsonl import export_archive
from tests.browse_samples import FIRST_RUN, HOSTILE_TITLE, RAW_MARKER, Sample, build_sample

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

pytestmark = [pytest.mark.crawl, pytest.mark.browser]

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
CHROMIUM = Path(os.environ.get("NEWSARCHIVE_CHROMIUM", "/usr/bin/chromium"))
#: Flags that keep Chromium off the network (closed here) and work as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_SERVING_RE = re.compile(r"^serving \S+ at (http://\S+) ")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run; .ci/run installs chromium)")
    pytest.skip(reason)


@dataclass
class Served:
    """The running server and the archive behind it."""

    url: str
    db_url: str
    sample: Sample
    screens: Path

    def at(self, path: str) -> str:
        return self.url.rstrip("/") + path


def _wait_for_url(server: subprocess.Popen[str], timeout: float) -> str:
    """Read the server's output until it says where it listens."""
    assert server.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(server.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
            break
        line = server.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = _SERVING_RE.match(line)
        if found:
            return found.group(1)
    raise AssertionError("the server did not start:\n" + "".join(seen[-20:]))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM}: apt-get install chromium")
    folder = tmp_path_factory.mktemp("browser")
    db_url = f"sqlite:///{folder / 'demo.db'}"
    env = {k: v for k, v in ENV.items() if k != "NEWSARCHIVE_WARC_DIR"}
    server = subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "demo", "--serve", "--port", "0", "--db", db_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=folder,
        env=env,
    )
    try:
        url = _wait_for_url(server, timeout=180)
        # Written while the server reads the archive (SQLite in WAL mode).
        sample = build_sample(db_url, default_warc_dir(db_url))
        yield Served(url, db_url, sample, tmp_path_factory.mktemp("screenshots"))
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _new_context(browser: Browser, *, javascript: bool) -> BrowserContext:
    opened = browser.new_context(
        accept_downloads=True,
        java_script_enabled=javascript,
        viewport={"width": 1280, "height": 900},
    )
    opened.set_default_timeout(20_000)
    return opened


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = _new_context(browser, javascript=True)
    yield opened
    opened.close()


@pytest.fixture
def static_page(browser: Browser) -> Iterator[Page]:
    """A page in a browser with JavaScript switched off: the reading room needs none."""
    opened = _new_context(browser, javascript=False)
    yield opened.new_page()
    opened.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    opened = context.new_page()
    dialogs: list[str] = []
    opened.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield opened
    assert dialogs == [], f"a script ran and opened dialogs: {dialogs}"


def search(page: Page, words: str) -> None:
    """Type ``words`` into the query box and press Enter, as a person would."""
    box = page.get_by_role("searchbox", name="Search words")
    box.fill(words)
    with page.expect_navigation():
        box.press("Enter")


def summary(page: Page) -> str:
    return " ".join(page.locator("p.summary").inner_text().split())


def total_of(page: Page) -> int:
    found = re.match(r"([\d,]+) article", summary(page))
    assert found, summary(page)
    return int(found.group(1).replace(",", ""))


def test_search_luohu_in_simplified_and_traditional(page: Page, served: Served) -> None:
    page.goto(served.url)
    search(page, "罗湖")
    assert "q=" in page.url
    assert parse_qs(urlsplit(page.url).query)["q"] == ["罗湖"]
    total = total_of(page)
    with Archive(served.db_url, create=False) as archive:
        assert total == archive.count_articles(query="罗湖") >= 16
    assert "page 1 of" in summary(page)
    hits = page.locator("li.hit")
    assert hits.count() == 10
    for index in range(hits.count()):
        hit = hits.nth(index)
        assert hit.locator("h2 a").inner_text().strip()
        assert hit.locator(".site").inner_text().strip()
        marks = {text.strip() for text in hit.locator("mark").all_inner_texts()}
        assert marks <= {"罗湖", "羅湖"}, marks
        assert marks, hit.inner_text()
    page.screenshot(path=str(served.screens / "search.png"), full_page=False)
    assert (served.screens / "search.png").read_bytes().startswith(b"\x89PNG")
    search(page, "羅湖")
    assert total_of(page) == total
    assert page.get_by_role("searchbox", name="Search words").input_value() == "羅湖"


def test_click_a_facet_then_page_forward(static_page: Page, served: Served) -> None:
    page = static_page
    page.goto(served.url)
    search(page, "罗湖")
    total = total_of(page)
    # A facet value that narrows the results and still leaves a second page.
    items = page.locator("section.facet li:has(a)")
    chosen = None
    for index in range(items.count()):
        item = items.nth(index)
        count = int(item.locator(".count").inner_text().replace(",", ""))
        if 10 < count < total:
            chosen = item
            break
    assert chosen is not None, "no facet value between 10 and the total"
    facet = chosen.locator("xpath=ancestor::section[1]").get_attribute("data-facet")
    value = chosen.locator("a").inner_text().strip()
    link = chosen.locator("a").get_attribute("href") or ""
    with page.expect_navigation():
        chosen.locator("a").click()
    assert total_of(page) == count
    assert page.locator("a.chip").count() >= 1
    if facet == "published":
        dates = page.locator("li.hit time").all_inner_texts()
        assert all(text.startswith(value) for text in dates), dates
    else:
        assert page.locator("a.chip").first.inner_text().split(":")[1].strip().startswith(value)
    filters = {k: v for k, v in parse_qs(urlsplit(link).query).items() if k not in ("q",)}
    first_page = page.locator("li.hit h2 a").all_inner_texts()
    with page.expect_navigation():
        page.get_by_role("link", name="Next ›").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["page"] == ["2"]
    assert query["q"] == ["罗湖"]
    assert {k: query[k] for k in filters} == filters
    assert page.locator("ol.hits").get_attribute("start") == "11"
    second_page = page.locator("li.hit h2 a").all_inner_texts()
    assert len(second_page) == count - 10
    assert not set(first_page) & set(second_page)
    assert page.locator(".pages .current").inner_text() == "2"
    # Bookmarked: the same URL, opened afresh, shows the same page.
    again = page.context.new_page()
    again.goto(page.url)
    assert again.locator("li.hit h2 a").all_inner_texts() == second_page
    again.close()


def test_open_an_article_with_its_bylines(page: Page, served: Served) -> None:
    page.goto(served.url)
    search(page, "罗湖怎么样")
    with page.expect_navigation():
        page.get_by_role("link", name="罗湖怎么样(罗湖区穷吗)").click()
    assert page.locator("article h1").inner_text() == "罗湖怎么样(罗湖区穷吗)"
    bylines = [" ".join(t.split()) for t in page.locator("ul.bylines li").all_inner_texts()]
    assert bylines == ["张一鎏 记者 reporter", "陈杏花 通讯员 correspondent"]
    facts = page.locator("dl.facts").first.inner_text()
    assert "南方都市报" in facts
    assert "2024-05-20 10:21 +08:00" in facts
    assert "互联网" in facts
    assert "南都记者" not in page.locator("div.text").inner_text()
    assert page.locator("p.canonical a").inner_text().startswith("http://127.0.0.1:")
    page.screenshot(path=str(served.screens / "article.png"), full_page=False)
    assert (served.screens / "article.png").stat().st_size > 10_000


def test_diff_of_two_revisions_and_the_archived_page(page: Page, served: Served) -> None:
    page.goto(served.url)
    search(page, "城市更新")
    with page.expect_navigation():
        page.get_by_role("link", name="罗湖区推进城市更新（更新）").click()
    assert page.locator("table.revisions tbody tr").count() == 2
    assert FIRST_RUN[0].url in page.locator("p.canonical").inner_text()
    assert "http://m.sz.example/news/1.html" in page.locator("ul.aliases").inner_text()
    article_url = page.url
    page.locator("form.compare select[name=a]").select_option("1")
    page.locator("form.compare select[name=b]").select_option("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Compare").click()
    assert page.locator("h1").inner_text() == "Changes from r1 to r2"
    assert page.locator(".diff ins").first.inner_text() == "大幅"
    assert "新增：项目将于年底完工。" in page.locator(".diff .added").last.inner_text()
    changed = page.locator("table.field-changes").inner_text()
    assert "bylines" in changed
    assert "张一鎏 (reporter)" in changed
    page.goto(article_url)
    with page.context.expect_page() as opened:
        page.locator("table.revisions tbody tr").nth(1).get_by_role("link", name="page").click()
    raw = opened.value
    raw.wait_for_load_state()
    assert "大幅提速" in raw.locator(f"#{RAW_MARKER}").inner_text()
    # The archived page's own script did not run: it is in a sandbox without scripts.
    assert raw.evaluate("document.documentElement.getAttribute('data-ran')") is None
    raw.close()


def test_hostile_text_reads_as_written_and_nothing_runs(page: Page, served: Served) -> None:
    page.goto(served.url)
    search(page, "罗湖通报")
    link = page.locator("li.hit h2 a").first
    assert link.inner_text() == HOSTILE_TITLE
    link.hover()
    page.locator("li.hit .snippet").first.hover()
    assert page.locator("script").count() == 0
    with page.expect_navigation():
        link.click()
    assert page.locator("article h1").inner_text() == HOSTILE_TITLE
    page.locator("article h1").hover()
    text = page.locator("div.text").inner_text()
    assert '<script>alert("x")</script>' in text
    assert '" onmouseover="alert(2)' in text
    assert page.locator("[onmouseover]").count() == 0
    assert page.locator("script").count() == 0
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="page", exact=True).click()
    raw = opened.value
    raw.wait_for_load_state()
    assert raw.locator("h1").inner_text() == HOSTILE_TITLE
    raw.locator("h1").hover()
    state = raw.evaluate(
        "[document.documentElement.getAttribute('data-ran'),"
        " document.documentElement.dataset.onerror ?? null]"
    )
    assert state == [None, None]
    raw.close()


def _download(page: Page, name: str, folder: Path) -> bytes:
    with page.expect_download() as started:
        page.get_by_role("link", name=name, exact=True).click()
    download = started.value
    target = folder / download.suggested_filename
    download.save_as(target)
    return target.read_bytes()


def test_download_the_export(page: Page, served: Served, tmp_path: Path) -> None:
    page.goto(served.url)
    search(page, "罗湖")
    total = total_of(page)
    plain = _download(page, "JSONL", tmp_path)
    lines = [json.loads(line) for line in plain.splitlines()]
    assert len(lines) == total
    assert all(list(line) == list(EXPORT_FIELDS) for line in lines)
    with Archive(served.db_url, create=False) as archive:
        export_archive(archive, tmp_path / "cli.jsonl", query="罗湖")
    assert plain == (tmp_path / "cli.jsonl").read_bytes()
    packed = _download(page, "JSONL.gz", tmp_path)
    assert gzip.decompress(packed) == plain


def test_runs_page_shows_each_run_and_drops(page: Page, served: Served) -> None:
    page.goto(served.at("/runs"))
    runs = page.locator("section.run")
    assert runs.count() == 3  # the demo crawl and the sample's two runs
    demo = runs.last
    assert "finished" in demo.locator(".status").inner_text().lower()
    assert "robots_txt" in demo.locator(".breakdown").inner_text()
    assert demo.locator("table.shares tbody tr").count() == 2  # the two demo sites
    assert page.locator("td.drop").count() == 3


def test_api_page_renders_offline(page: Page, served: Served) -> None:
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.goto(served.at("/docs"))
    page.locator(".opblock").first.wait_for()
    paths = {unquote(p) for p in page.locator(".opblock-summary-path").all_inner_texts()}
    assert "/api/search" in paths
    assert len(paths) == 5
    assert errors == []
