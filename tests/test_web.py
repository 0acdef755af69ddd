"""The web app through its ASGI interface (no browser): the JSON API and the pages, errors,
escaping, the sandboxed archived page, the token, read-only access, and ``newsarchive serve``.

API and page tests run on SQLite and PostgreSQL, over the archive of ``browse_samples``.
"""

from __future__ import annotations

import gzip
import html.parser
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import pytest
from fastapi.testclient import TestClient

from archive import browse
from archive.record import EXPORT_FIELDS, ArticleRecord
from archive.store import Archive
from exports.jsonl import export_archive
from newsarchive.web import api
from newsarchive.web.app import create_app
from newsarchive.web.auth import COOKIE_NAME
from newsarchive.web.params import MAX_PAGE_SIZE, MAX_QUERY_CHARS
from newsarchive.web.server import ServeError, check_exposure
from tests.browse_samples import (
    ALIAS,
    FIRST_RUN,
    HOSTILE_TITLE,
    HOSTILE_URL,
    RAW_MARKER,
    Sample,
    build_sample,
)

ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
TOKEN = "a-long-enough-test-token-0123456789"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def sample(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Sample]:
    """The sample archive, built once per backend for this module."""
    folder = tmp_path_factory.mktemp("web")
    if request.param == "sqlite":
        yield build_sample(f"sqlite:///{folder / 'archive.db'}", folder / "warc")
        return
    db_url = str(request.getfixturevalue("pg_server_url"))
    yield build_sample(db_url, folder / "warc")
    from sqlalchemy import create_engine

    from archive.models import Base

    engine = create_engine(db_url)
    Base.metadata.drop_all(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def sqlite_sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The sample on SQLite, for what does not depend on the backend or is SQLite's own."""
    folder = tmp_path_factory.mktemp("web-sqlite")
    return build_sample(f"sqlite:///{folder / 'archive.db'}", folder / "warc")


@pytest.fixture(scope="module")
def client(sample: Sample) -> Iterator[TestClient]:
    with TestClient(create_app(sample.db_url, warc_dir=sample.warc_dir)) as test_client:
        yield test_client


# -- the JSON API ----------------------------------------------------------------------------


def test_api_search_hits_are_the_cli_search_json_lines(client: TestClient, sample: Sample) -> None:
    answer = client.get("/api/search", params={"q": "罗湖", "size": 10})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert data["total"] == 5
    assert data["pages"] == 1
    with Archive(sample.db_url, create=False) as archive:
        expected = [
            {**hit.article.to_json_dict(), "score": hit.score, "snippet": hit.snippet}
            for hit in archive.search("罗湖", limit=10)
        ]
    for hit, line in zip(data["hits"], expected, strict=True):
        assert list(hit) == [*EXPORT_FIELDS, "id", "score", "snippet"]
        assert {k: v for k, v in hit.items() if k != "id"} == line
        assert hit["id"] == sample.id_of(hit["url"])
        assert "**" in hit["snippet"]


def test_api_search_pages_and_facets(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "罗湖", "size": 2}).json()
    second = client.get("/api/search", params={"q": "罗湖", "size": 2, "page": 2}).json()
    third = client.get("/api/search", params={"q": "罗湖", "size": 2, "page": 3}).json()
    assert (first["total"], first["pages"], len(third["hits"])) == (5, 3, 1)
    urls = [hit["url"] for page in (first, second, third) for hit in page["hits"]]
    assert len(set(urls)) == 5
    facets = first["facets"]
    assert facets["counted"] == 5
    assert {"value": "gov.example", "count": 3} in facets["site"]
    assert facets["author"] == [{"value": "李思源", "count": 1}, {"value": "赵敏", "count": 1}]
    assert facets["published"][0] == {
        "value": "2024",
        "count": 3,
        "since": "2024-01",
        "until": "2024-12",
    }
    assert facets["undated"] == 1
    plain = client.get("/api/search", params={"q": "罗湖", "facets": "false"}).json()
    assert plain["facets"] is None
    odd = client.get("/", params={"q": "罗湖", "size": 3})
    assert '<option value="3" selected>3</option>' in odd.text


def test_api_chinese_and_phrases(client: TestClient) -> None:
    def total(**params: Any) -> int:
        answer = client.get("/api/search", params=params)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert total(q="羅湖") == total(q="罗湖") == 5
    assert total(q='"罗湖口岸"') == 2
    assert total(q='"口岸罗湖"') == 0
    assert total(q="罗湖", site="sz.example") == 2
    assert total(q="罗湖", site=["sz.example", "gov.example"]) == 5
    assert total(q="罗湖", since="2024-05", until="2024-05") == 3
    assert total(q="Luohu", language="en") == 1
    assert total() == 8  # no query: every article


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "罗湖", "since": "yesterday"}, "cannot read the date"),
        ({"q": "罗湖", "size": 0}, "size"),
        ({"q": "罗湖", "size": MAX_PAGE_SIZE + 1}, "size"),
        ({"q": "罗湖", "page": 0}, "page"),
        ({"q": "罗湖", "page": 101, "size": 100}, "beyond result"),
        ({"q": "罗" * (MAX_QUERY_CHARS + 1)}, "q"),
        ({"q": "罗湖", "sort": "random"}, "sort"),
        ({"q": "罗湖", "site": [f"s{n}.example" for n in range(21)]}, "site: at most 20"),
        ({"q": "***"}, "nothing to search for"),
    ],
)
def test_api_bad_requests_are_400_json(
    client: TestClient, params: dict[str, Any], message: str
) -> None:
    answer = client.get("/api/search", params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert set(body) == {"error", "status"}
    assert body["status"] == 400
    assert message in body["error"]
    assert "\n" not in body["error"]
    assert "Traceback" not in answer.text


def test_api_unknown_article_is_404_json(client: TestClient) -> None:
    answer = client.get("/api/articles/999999")
    assert answer.status_code == 404
    assert answer.json() == {"error": "no article 999999 in this archive", "status": 404}
    assert client.get("/api/articles/abc").status_code == 400
    assert client.get("/api/nothing").status_code == 404
    assert client.get("/api/nothing").json()["status"] == 404


def test_api_article_with_revisions_and_aliases(client: TestClient, sample: Sample) -> None:
    url = FIRST_RUN[0].url
    article_id = sample.id_of(url)
    data = client.get(f"/api/articles/{article_id}").json()
    assert data["url"] == url
    assert data["id"] == article_id
    assert data["title"] == "罗湖区推进城市更新（更新）"
    assert data["revision"] == 2
    assert data["aliases"] == [ALIAS]
    assert [r["revision"] for r in data["revisions"]] == [1, 2]
    assert data["revisions"][0]["title"] == "罗湖区推进城市更新"
    assert data["revisions"][1]["raw_page"] == f"/raw/{article_id}/2"
    assert set(EXPORT_FIELDS) <= set(data)
    imported = client.get(f"/api/articles/{sample.id_of('http://en.example/port.html')}").json()
    assert imported["revisions"][0]["raw_page"] is None


def test_api_revision_is_an_export_revisions_line(client: TestClient, sample: Sample) -> None:
    url = FIRST_RUN[0].url
    with Archive(sample.db_url, create=False) as archive:
        versions = [v.to_json_dict() for v in archive.iter_versions() if v.record.url == url]
    article_id = sample.id_of(url)
    for version in versions:
        answer = client.get(f"/api/articles/{article_id}/revisions/{version['revision']}")
        assert answer.json() == version
    assert client.get(f"/api/articles/{article_id}/revisions/3").status_code == 404


def test_api_runs(client: TestClient, sample: Sample) -> None:
    runs = client.get("/api/runs").json()["runs"]
    assert [run["id"] for run in runs] == sample.runs[::-1]
    second, first = runs
    assert first["skipped"] == {"http_404": 1, "listing": 3}
    assert second["errors"] == {"DownloadTimeoutError": 1}
    assert first["counters"]["articles_new"] == 5
    jsonschema.validate({"runs": runs}, api.RUNS_SCHEMA)
    assert first["recorded"]
    assert second["recorded"]
    sites = {s["site"]: s for s in first["sites"]}
    assert sites["sz.example"]["articles"] == 8
    assert sites["sz.example"]["author_share"] == 1.0
    assert sites["sz.example"]["flags"] == []
    later = {s["site"]: s for s in second["sites"]}
    assert [(f["kind"], f["field"]) for f in later["sz.example"]["flags"]] == [
        ("share_drop", "author"),
        ("share_drop", "section"),
    ]
    assert later["gov.example"]["flags"][0]["message"] == "section share 50% -> 0%"
    # The same rows as `newsarchive health --json` (after its run columns).
    with Archive(sample.db_url, create=False) as archive:
        report = archive.health_report()
    assert [[site.to_json_dict() for site in run.sites] for run in report] == [
        run["sites"] for run in runs
    ]
    assert client.get("/api/runs", params={"limit": 1}).json()["runs"][0]["id"] == sample.runs[1]
    assert client.get("/api/runs", params={"limit": 0}).status_code == 400


def test_api_export_is_the_cli_export(client: TestClient, sample: Sample, tmp_path: Path) -> None:
    with Archive(sample.db_url, create=False) as archive:
        export_archive(archive, tmp_path / "cli.jsonl", query="罗湖")
        export_archive(archive, tmp_path / "gov.jsonl", query="罗湖", filters=_filter("gov"))
        export_archive(archive, tmp_path / "all.jsonl")
    plain = client.get("/api/export", params={"q": "罗湖"})
    assert plain.status_code == 200
    assert plain.headers["content-type"] == "application/x-ndjson"
    assert 'filename="newsarchive-export.jsonl"' in plain.headers["content-disposition"]
    assert plain.content == (tmp_path / "cli.jsonl").read_bytes()
    assert len(plain.content.splitlines()) == 5
    packed = client.get("/api/export", params={"q": "罗湖", "site": "gov.example", "gzip": "1"})
    assert packed.headers["content-type"] == "application/gzip"
    assert gzip.decompress(packed.content) == (tmp_path / "gov.jsonl").read_bytes()
    assert client.get("/api/export").content == (tmp_path / "all.jsonl").read_bytes()
    assert client.get("/api/export", params={"q": "..."}).status_code == 400
    assert client.get("/api/export", params={"until": "soon"}).status_code == 400


def _filter(site: str) -> Any:
    from archive.filters import ArticleFilter

    return ArticleFilter(site=f"{site}.example")


def test_export_chunks_compress_to_the_same_lines() -> None:
    lines = [f'{{"n":{n},"text":"{"罗湖" * n}"}}\n'.encode() for n in range(3000)]
    whole = b"".join(lines)
    plain = list(api._chunks(iter(lines), gzip=False))
    assert len(plain) > 1
    assert b"".join(plain) == whole
    assert gzip.decompress(b"".join(api._chunks(iter(lines), gzip=True))) == whole
    assert gzip.decompress(b"".join(api._chunks(iter([]), gzip=True))) == b""


def test_openapi_page_documents_the_api_offline(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/api/search",
        "/api/articles/{article_id}",
        "/api/articles/{article_id}/revisions/{revision}",
        "/api/runs",
        "/api/export",
    }
    search = schema["paths"]["/api/search"]["get"]
    hit = search["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert set(EXPORT_FIELDS) <= set(hit["hits"]["items"]["properties"])
    assert "422" not in search["responses"]
    assert {p["name"] for p in search["parameters"]} >= {"q", "site", "author", "since", "page"}
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn" not in docs.text.lower()
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200


def test_an_internal_error_is_one_line_of_json(
    sample: Sample, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(browse, "search_page", broken)
    with TestClient(create_app(sample.db_url), raise_server_exceptions=False) as failing:
        answer = failing.get("/api/search", params={"q": "罗湖"})
    assert answer.status_code == 500
    assert answer.json()["status"] == 500
    assert "secret detail" not in answer.text
    assert "Traceback" not in answer.text


# -- the pages -------------------------------------------------------------------------------


class Page(html.parser.HTMLParser):
    """What a browser would build: elements with their attributes, and the visible text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.chunks: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.chunks).split())

    def links(self, css_class: str | None = None) -> list[str]:
        return [
            attrs.get("href") or ""
            for tag, attrs in self.elements
            if tag == "a" and (css_class is None or css_class in (attrs.get("class") or ""))
        ]


def test_search_page_results_facets_and_pages(client: TestClient) -> None:
    answer = client.get("/", params={"q": "罗湖", "size": 2})
    assert answer.status_code == 200
    page = Page(answer.text)
    assert "5 articles match “罗湖”" in page.text or "5 articles match 罗湖" in page.text
    assert "page 1 of 3" in page.text
    assert answer.text.count('class="hit"') == 2
    assert "<mark>罗湖</mark>" in answer.text or "<mark>羅湖</mark>" in answer.text
    next_link = next(href for href in page.links() if "page=2" in href)
    assert parse_qs(urlsplit(next_link).query) == {"q": ["罗湖"], "size": ["2"], "page": ["2"]}
    site_link = next(href for href in page.links() if "site=gov.example" in href)
    narrowed = Page(client.get(site_link).text)
    assert "3 articles match" in narrowed.text
    assert "sz.example" not in " ".join(c for c in narrowed.chunks if "·" in c)
    export = next(href for href in page.links() if href.startswith("/api/export"))
    assert parse_qs(urlsplit(export).query) == {"q": ["罗湖"]}


def test_search_page_without_a_query_and_without_javascript(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert "8 articles, newest first" in Page(answer.text).text
    assert "<script" not in answer.text
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "script-src" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_hostile_text_is_shown_as_written(client: TestClient, sample: Sample) -> None:
    for path in ("/?q=罗湖通报", f"/articles/{sample.id_of(HOSTILE_URL)}"):
        answer = client.get(path)
        page = Page(answer.text)
        assert HOSTILE_TITLE in page.text
        assert all(tag != "script" for tag, _ in page.elements)
        assert all(not name.startswith("on") for _, attrs in page.elements for name in attrs), (
            "an attribute was injected"
        )
        assert '<script>alert("t")' not in answer.text


def test_article_page(client: TestClient, sample: Sample) -> None:
    article_id = sample.id_of(FIRST_RUN[1].url)
    page = Page(client.get(f"/articles/{article_id}").text)
    assert "羅湖口岸旅檢大樓改造" in page.text
    assert "李思源 记者 reporter" in page.text
    assert "深圳特区报" in page.text
    assert "预计" not in page.text  # shown as written, not folded
    assert "預計年底完工。" in page.text
    first_id = sample.id_of(FIRST_RUN[0].url)
    first = Page(client.get(f"/articles/{first_id}").text)
    assert ALIAS in first.links()
    assert f"/raw/{first_id}/1" in first.links()
    assert f"/raw/{first_id}/2/source" in first.links()
    assert f"/articles/{first_id}/diff?a=1&b=2" in first.links()
    assert '<span class="tag">城市更新</span>' in client.get(f"/articles/{first_id}").text
    assert client.get("/articles/999999").status_code == 404
    assert "no article 999999" in Page(client.get("/articles/999999").text).text


def test_diff_page(client: TestClient, sample: Sample) -> None:
    article_id = sample.id_of(FIRST_RUN[0].url)
    answer = client.get(f"/articles/{article_id}/diff", params={"a": 1, "b": 2})
    assert answer.status_code == 200
    page = Page(answer.text)
    assert "Changes from r1 to r2" in page.text
    assert "张一鎏 (reporter)" in page.text  # bylines lost
    assert "<ins>大幅</ins>" in answer.text
    assert "新增：项目将于年底完工。" in page.text
    missing = client.get(f"/articles/{article_id}/diff", params={"a": 1, "b": 7})
    assert missing.status_code == 404
    assert "has revisions 1, 2" in Page(missing.text).text


def test_archived_page_is_sandboxed(client: TestClient, sample: Sample) -> None:
    article_id = sample.id_of(HOSTILE_URL)
    answer = client.get(f"/raw/{article_id}/1")
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    assert policy.startswith("sandbox;")
    assert "default-src 'none'" in policy
    assert "allow-scripts" not in policy
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert b"data-ran" in answer.content  # served as archived, byte for byte
    source = client.get(f"/raw/{article_id}/1/source")
    assert source.headers["content-type"].startswith("text/plain")
    assert source.text.startswith(f"200 {HOSTILE_URL}")
    assert "Content-Type: text/html; charset=utf-8" in source.text
    first_id = sample.id_of(FIRST_RUN[0].url)
    assert RAW_MARKER in client.get(f"/raw/{first_id}/2").text
    assert client.get(f"/raw/{first_id}/3").status_code == 404
    imported = sample.id_of("http://en.example/port.html")
    assert client.get(f"/raw/{imported}/1").status_code == 404


def test_runs_page_marks_a_share_that_fell(client: TestClient, sample: Sample) -> None:
    answer = client.get("/runs")
    assert answer.status_code == 200
    page = Page(answer.text)
    assert f"#{sample.runs[0]}" in page.text
    assert "listing 3" in page.text
    assert "DownloadTimeoutError 1" in page.text
    drops = [attrs for tag, attrs in page.elements if "drop" in (attrs.get("class") or "")]
    # The second run's sz.example: author and section fell from 100% to 0%; gov.example:
    # section from 50% to 0% (the figures the runs recorded, as `newsarchive health` reads them).
    assert sorted(attrs["title"] or "" for attrs in drops) == [
        "was 100% over the 1 previous run",
        "was 100% over the 1 previous run",
        "was 50% over the 1 previous run",
    ]
    assert "880" in page.text  # the median text length the run recorded
    assert client.get("/runs", params={"limit": 100000}).status_code == 400


def test_page_errors_are_pages(client: TestClient) -> None:
    bad = client.get("/", params={"q": "罗湖", "since": "whenever"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")
    assert "cannot read the date" in Page(bad.text).text
    nothing = client.get("/", params={"q": "!!!"})
    assert nothing.status_code == 400
    assert "nothing to search for" in Page(nothing.text).text
    assert client.get("/no/such/page").status_code == 404


# -- the token ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def guarded(sqlite_sample: Sample) -> Iterator[TestClient]:
    app = create_app(sqlite_sample.db_url, token=TOKEN)
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def test_a_token_is_needed_on_every_request(guarded: TestClient) -> None:
    answer = guarded.get("/api/search", params={"q": "罗湖"})
    assert answer.status_code == 401
    assert answer.json()["status"] == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    for path in ("/api/export", "/openapi.json", "/docs", "/runs", "/raw/1/1"):
        assert guarded.get(path).status_code in (401, 303), path
    page = guarded.get("/", params={"q": "罗湖"})
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2F%3Fq%3D%25E7%25BD%2597%25E6%25B9%2596"
    assert guarded.get("/static/style.css").status_code == 200
    assert guarded.get("/login").status_code == 200
    wrong = guarded.get("/api/search", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = guarded.get("/api/search", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200


def test_login_sets_a_cookie_that_is_not_the_token(guarded: TestClient) -> None:
    failed = guarded.post("/login", data={"token": "wrong", "next": "/runs"})
    assert failed.status_code == 401
    assert COOKIE_NAME not in failed.cookies
    answer = guarded.post("/login", data={"token": TOKEN, "next": "/runs"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/runs"
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
    value = answer.cookies[COOKIE_NAME]
    guarded.cookies.clear()  # each request below says which cookie it sends
    assert TOKEN not in value
    assert guarded.get("/runs", headers={"Cookie": f"{COOKIE_NAME}={value}"}).status_code == 200
    forged = {"Cookie": f"{COOKIE_NAME}={value[:-1]}{'1' if value.endswith('0') else '0'}"}
    assert guarded.get("/runs", headers=forged).status_code == 303
    assert guarded.get("/runs").status_code == 303
    elsewhere = guarded.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
    assert elsewhere.headers["location"] == "/"
    guarded.cookies.clear()
    logout = guarded.post("/logout", headers={"Cookie": f"{COOKIE_NAME}={value}"})
    assert logout.status_code == 303
    assert f'{COOKIE_NAME}=""' in logout.headers["set-cookie"]


def test_exposure_rules() -> None:
    check_exposure("127.0.0.1", None)
    check_exposure("localhost", None)
    check_exposure("::1", None)
    check_exposure("0.0.0.0", TOKEN)
    with pytest.raises(ServeError, match="without a token"):
        check_exposure("0.0.0.0", None)
    with pytest.raises(ServeError, match="without a token"):
        check_exposure("news.example.org", None)
    with pytest.raises(ServeError, match="shorter than"):
        check_exposure("127.0.0.1", "short")


# -- read-only, while a crawl writes ----------------------------------------------------------


def test_the_app_never_writes(client: TestClient, sample: Sample) -> None:
    with Archive(sample.db_url, create=False) as archive:
        before = (archive.change_seq(), archive.count_articles(), len(archive.list_runs(100)))
    for path in ("/?q=罗湖", "/api/search?q=羅湖", "/runs", "/api/export", "/api/runs"):
        assert client.get(path).status_code == 200
    reader = client.app.state.config.archive  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="read"):
        reader.upsert_article(ArticleRecord(url="http://x.example/9", title="t", text="罗湖"))
    with Archive(sample.db_url, create=False) as archive:
        after = (archive.change_seq(), archive.count_articles(), len(archive.list_runs(100)))
    assert after == before


def test_reads_while_a_writer_holds_the_sqlite_archive(sqlite_sample: Sample) -> None:
    writer = sqlite3.connect(sqlite_sample.db_url.removeprefix("sqlite:///"), timeout=1)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE articles SET title = title WHERE id = 1")
        with TestClient(create_app(sqlite_sample.db_url)) as reader:
            answer = reader.get("/api/search", params={"q": "罗湖"})
        assert answer.status_code == 200
        assert answer.json()["total"] == 5
    finally:
        writer.rollback()
        writer.close()


# -- newsarchive serve -----------------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "newsarchive", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=ENV,
    )


def test_serve_prints_its_url_and_answers(sqlite_sample: Sample) -> None:
    server = _serve("--db", sqlite_sample.db_url, "--port", "0")
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert "(read-only; Ctrl-C to stop)" in line
        url = line.split(" at ")[1].split()[0]
        assert urlsplit(url).hostname == "127.0.0.1"
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url + "api/search?q=%E7%BD%97%E6%B9%96", timeout=10) as answer:
            assert json.loads(answer.read())["total"] == 5
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("--host", "0.0.0.0"), {}, "without a token"),
        (("--host", "0.0.0.0", "--token", "short"), {}, "shorter than"),
        (("--host", "0.0.0.0"), {"NEWSARCHIVE_TOKEN": "short"}, "shorter than"),
        (("--db", "sqlite:////nonexistent/folder/x.db"), {}, "folder"),
    ],
)
def test_serve_refuses_in_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    db = ("--db", f"sqlite:///{tmp_path / 'missing.db'}") if "--db" not in args else ()
    done = subprocess.run(
        [sys.executable, "-m", "newsarchive", "serve", *db, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**ENV, **env},
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert message in done.stderr
    assert done.stderr.startswith("error: ")


def test_pages_stop_where_results_can_be_asked_for() -> None:
    from archive.filters import ArticleFilter
    from newsarchive.web.params import MAX_RESULTS_OFFSET, SearchParams, Selection

    params = SearchParams(Selection("罗湖", ArticleFilter()), "relevance", 1, 10, True)
    assert params.pages(0) == 0
    assert params.pages(11) == 2
    assert params.pages(5 * MAX_RESULTS_OFFSET) == MAX_RESULTS_OFFSET // 10
