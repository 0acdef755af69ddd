"""``newsarchive health``: the table by run and site, the flags, the filters, --json, and
one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.health import SiteHealth
from archive.store import Archive
from newsarchive.cli import main


def good(site: str) -> SiteHealth:
    return SiteHealth(
        site,
        articles=20,
        with_author=20,
        with_date=20,
        with_source=19,
        with_section=10,
        median_text_chars=1200,
        known_unchanged=5,
        pages=30,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with Archive(url) as archive:
        for rows in ([good("a.example"), good("b.example:8080")], [good("a.example")]):
            run_id = archive.start_run(["http://a.example/"], profile="p")
            archive.save_run_health(run_id, rows)
            archive.finish_run(run_id, "finished", {}, {})
        archive.start_run(["http://a.example/"], profile="p")  # still running: no figures
    return url


def test_the_table_by_run_and_site(db: str) -> None:
    result = CliRunner().invoke(main, ["health", "--db", db])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "run", "started", "(UTC)", "status", "profile", "site", "pages", "seen", "read",
        "author", "date", "source", "section", "median", "flags",
    ]  # fmt: skip
    assert lines[1].split()[:5] == ["#3", *lines[1].split()[1:3], "running", "p"]
    assert lines[1].endswith("(no figures)")
    second = [line for line in lines if line.startswith("#2 ")]
    assert [line.split()[5:14] for line in second] == [
        ["a.example", "30", "25", "20", "100%", "100%", "95%", "50%", "1200"],
        ["b.example:8080", "0", "0", "0", "-", "-", "-", "-", "-"],
    ]
    assert second[1].endswith("! not reached (previous run: 25 articles)")
    assert lines[-1].startswith("1 flagged: a share more than 20 points below")


def test_filters_and_json(db: str) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["health", "--db", db, "--site", "b.example:8080", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [(r["run_id"], r["site"]) for r in rows] == [
        (3, None),
        (2, "b.example:8080"),
        (1, "b.example:8080"),
    ]
    assert rows[0]["recorded"] is False
    assert rows[1]["flags"][0]["kind"] == "not_reached"
    assert rows[2]["author_share"] == 1.0
    assert rows[2]["baseline"] is None
    result = runner.invoke(main, ["health", "--db", db, "--profile", "nope"])
    assert result.output == "no crawl runs recorded for these filters\n"
    result = runner.invoke(main, ["health", "--db", db, "--since", "2999-01-01", "--limit", "1"])
    assert result.output == "no crawl runs recorded for these filters\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "error: --since: cannot read the date 'yesterday'"),
        (["--db", "sqlite:////no/such/dir/x.db"], "error: "),
    ],
)
def test_errors_are_one_line(db: str, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["health", "--db", db, *args])
    assert result.exit_code == 1
    assert result.output.startswith(message)
    assert result.output.count("\n") == 1


def test_an_archive_without_runs(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Archive(url).close()
    result = CliRunner().invoke(main, ["health", "--db", url])
    assert (result.exit_code, result.output) == (0, "no crawl runs recorded\n")
