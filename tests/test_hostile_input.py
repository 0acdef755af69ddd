"""Users' input (issue 6, point 8): profile files, export file names, search strings.

Hostile search strings on both backends are in tests/test_search.py (parametrized over SQLite
and PostgreSQL by the ``db_url`` fixture) and tests/test_properties.py (random text); profile
validation itself is in tests/test_profiles.py. Here: the CLI's side of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.record import ArticleRecord
from archive.store import Archive
from newsarchive.cli import main

HOSTILE_TITLES = [
    "../../../../tmp/evil",
    "/etc/passwd",
    "a/b\\c",
    "CON",
    "nul\x00byte",
    "$(touch pwned)",
    "罗湖/../../x",
]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


def test_export_file_names_are_never_built_from_titles(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    with Archive(f"sqlite:///{db}") as archive:
        for n, title in enumerate(HOSTILE_TITLES):
            archive.upsert_article(
                ArticleRecord(url=f"http://a.example/{n}.html", title=title, text=f"正文{n}。")
            )
    out = tmp_path / "out" / "export.jsonl"
    out.parent.mkdir()
    before = files_under(tmp_path)
    result = runner.invoke(main, ["export", "--db", f"sqlite:///{db}", "-o", str(out)])
    assert result.exit_code == 0, result.output
    created = files_under(tmp_path) - before
    assert created == {out}, created
    titles = [json.loads(line)["title"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(titles) == sorted(HOSTILE_TITLES)
    assert not Path("/tmp/evil").exists()


@pytest.mark.parametrize(
    ("body", "line", "field"),
    [
        ('name = "a"\nstart_urls = "http://news.example/"\n', 3, "start_urls"),
        ('name = "a"\nstart_urls = ["http://news.example/"]\nmax_pages = -1\n', 4, "max_pages"),
        ('name = "a"\nstart_urls = ["http://news.example/"]\nobey_robots = false\n', 4, "obey"),
        ('name = "a"\nstart_urls = ["file:///etc/passwd"]\n', 3, "start_urls"),
    ],
)
def test_crawl_names_the_line_of_a_bad_profile(
    runner: CliRunner, tmp_path: Path, body: str, line: int, field: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[[profiles]]\n" + body, encoding="utf-8")
    result = runner.invoke(main, ["crawl", "--profiles", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    (message,) = [m for m in result.output.splitlines() if m.startswith("error:")]
    assert f"p.toml:{line}" in message
    assert field in message
