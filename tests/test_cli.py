"""The command line: clear one-line errors for bad input, and the commands' output formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.record import EXPORT_FIELDS, ArticleRecord, Byline
from archive.store import Archive
from newsarchive.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def filled_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    archive = Archive(url)
    archive.upsert_article(
        ArticleRecord(
            url="http://a.example/2024/0520/1.html",
            title="罗湖怎么样",
            text="深圳罗湖，改革开放的起点。",
            published_at="2024-05-20T10:21:00+08:00",
            bylines=[Byline("张一鎏", "reporter")],
            fetched_at=datetime(2024, 5, 20, tzinfo=UTC),
        )
    )
    archive.close()
    return url


def assert_one_line_error(output: str, fragment: str) -> None:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert lines[0].startswith("error: ")
    assert fragment in lines[0]
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("db", "fragment"),
    [
        ("nonsense", "invalid database URL"),
        ("oracle://x@y/z", "unsupported database"),
        ("sqlite:////nonexistent/dir/a.db", "does not exist"),
        ("postgresql://nobody@127.0.0.1:1/x", "cannot open the archive"),
    ],
)
def test_bad_db_url_is_one_line(runner: CliRunner, db: str, fragment: str) -> None:
    for args in (
        ["export", "--db", db],
        ["search", "罗湖", "--db", db],
        ["crawl", "http://127.0.0.1:1/", "--db", db],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert_one_line_error(
            result.output, fragment if args[0] == "crawl" or "sqlite:////" not in db else ""
        )


def test_missing_archive_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["search", "罗湖", "--db", f"sqlite:///{tmp_path / 'none.db'}"])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "no archive")


def test_extract_missing_file_and_folder(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["extract", str(tmp_path / "missing.html")])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "no such file")
    result = runner.invoke(main, ["extract", str(tmp_path)])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "is a folder")


def test_extract_empty_page_is_not_an_article(runner: CliRunner, tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_bytes(b"")
    result = runner.invoke(main, ["extract", str(page)])
    assert result.exit_code == 2
    assert_one_line_error(result.output, "not an article")


def test_crawl_rejects_non_http_urls(runner: CliRunner) -> None:
    result = runner.invoke(main, ["crawl", "ftp://example.com/"])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "not an http(s) URL")


def test_search_prints_hits_and_json(runner: CliRunner, filled_db: str) -> None:
    result = runner.invoke(main, ["search", "罗湖", "--db", filled_db])
    assert result.exit_code == 0, result.output
    assert "罗湖怎么样" in result.output
    assert "http://a.example/2024/0520/1.html" in result.output
    assert "**罗湖**" in result.output
    result = runner.invoke(main, ["search", "罗湖", "--db", filled_db, "--json"])
    (line,) = result.output.splitlines()
    hit = json.loads(line)
    assert list(hit) == [*EXPORT_FIELDS, "score", "snippet"]
    assert hit["authors"] == ["张一鎏"]
    assert hit["score"] > 0


@pytest.mark.parametrize("query", ['"', "NOT", "C++", "*", "", "罗湖 OR", "a:b", "NEAR("])
def test_search_hostile_input_never_tracebacks(
    runner: CliRunner, filled_db: str, query: str
) -> None:
    result = runner.invoke(main, ["search", query, "--db", filled_db])
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code:
        assert_one_line_error(result.output, "")


def test_search_no_hits_says_so(runner: CliRunner, filled_db: str) -> None:
    result = runner.invoke(main, ["search", "福田", "--db", filled_db])
    assert result.exit_code == 0
    assert "no articles match" in result.output


def test_export_to_stdout_and_file(runner: CliRunner, filled_db: str, tmp_path: Path) -> None:
    result = runner.invoke(main, ["export", "--db", filled_db])
    assert result.exit_code == 0
    (line,) = result.output.splitlines()
    assert json.loads(line)["title"] == "罗湖怎么样"
    assert "罗湖怎么样" in line
    out = tmp_path / "x.jsonl"
    result = runner.invoke(main, ["export", "--db", filled_db, "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == line + "\n"
    result = runner.invoke(
        main, ["export", "--db", filled_db, "-o", str(tmp_path / "no" / "x.jsonl")]
    )
    assert result.exit_code == 1
    assert_one_line_error(result.output, "does not exist")


def test_env_var_names_the_database(
    runner: CliRunner, filled_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEWSARCHIVE_DB", filled_db)
    result = runner.invoke(main, ["export"])
    assert result.exit_code == 0
    assert "罗湖怎么样" in result.output


def test_profiles_check_names_line_and_field(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(
        '[[profiles]]\nname = "luohu"\nstart_urls = ["http://news.example/"]\n'
        'schedule = "0 * * * *"\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["profiles", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 profiles, all valid" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[profiles]]\nname = "luohu"\nstart_urls = ["http://news.example/"]\nmax_pages = "ten"\n'
        "max_pagez = 3\n",
        encoding="utf-8",
    )
    result = runner.invoke(main, ["profiles", "check", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: ")
    assert "bad.toml:4" in lines[0]
    assert "max_pages" in lines[0]
    assert "bad.toml:5" in lines[1]
    assert "Traceback" not in result.output


def test_crawl_with_a_broken_profiles_file_is_one_line(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[profiles]]\nname = 3\nstart_urls = ["http://news.example/"]\n', encoding="utf-8"
    )
    result = runner.invoke(main, ["crawl", "--profiles", str(bad)])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "bad.toml:2")
    result = runner.invoke(main, ["crawl", "--profiles", str(tmp_path / "none.toml")])
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_history_lists_and_diffs_revisions(runner: CliRunner, filled_db: str) -> None:
    archive = Archive(filled_db)
    archive.upsert_article(
        ArticleRecord(
            url="http://a.example/2024/0520/1.html",
            title="罗湖怎么样",
            text="深圳罗湖，改革开放的起点。\n新增一段。",
            fetched_at=datetime(2024, 5, 21, tzinfo=UTC),
        )
    )
    archive.close()
    result = runner.invoke(
        main, ["history", "http://a.example/2024/0520/1.html", "--db", filled_db]
    )
    assert result.exit_code == 0, result.output
    assert "r1" in result.output
    assert "r2" in result.output
    result = runner.invoke(
        main,
        ["history", "http://a.example/2024/0520/1.html", "--db", filled_db, "--diff", "1", "2"],
    )
    assert result.exit_code == 0, result.output
    assert "+新增一段。" in result.output
    result = runner.invoke(main, ["history", "http://a.example/none.html", "--db", filled_db])
    assert result.exit_code == 1
    assert_one_line_error(result.output, "no archived article")
    result = runner.invoke(
        main,
        ["history", "http://a.example/2024/0520/1.html", "--db", filled_db, "--diff", "1", "9"],
    )
    assert result.exit_code == 1
    assert_one_line_error(result.output, "no such revision")


def test_runs_lists_runs(runner: CliRunner, filled_db: str) -> None:
    archive = Archive(filled_db)
    run_id = archive.start_run(["http://a.example/"], profile="luohu")
    archive.finish_run(
        run_id,
        "finished",
        {"pages_fetched": 7, "articles_new": 3},
        {"newsarchive/errors/TimeoutError": 2},
    )
    archive.close()
    result = runner.invoke(main, ["runs", "--db", filled_db])
    assert result.exit_code == 0, result.output
    assert f"#{run_id} finished" in result.output
    assert "luohu" in result.output
    assert "pages 7, new 3" in result.output
    assert "TimeoutError 2" in result.output
