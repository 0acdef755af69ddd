"""The dependency direction holds: crawler -> archive, exports -> archive, web -> archive and
exports; archive imports nothing else of the project; extraction imports nothing of Scrapy; the
web app builds no SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = {"crawler", "archive", "exports", "newsarchive"}


def imported_modules(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        if "demo/site" in path.as_posix():
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("archive", {"archive"}),
        ("exports", {"exports", "archive"}),
        ("crawler", {"crawler", "archive"}),
        ("newsarchive/web", {"newsarchive", "archive", "exports"}),
    ],
)
def test_project_imports_point_one_way(package: str, allowed: set[str]) -> None:
    used = {name.split(".")[0] for name in imported_modules(package)} & PROJECT
    assert used <= allowed, f"{package} imports {sorted(used - allowed)}"


def test_web_builds_no_sql() -> None:
    """The web app reads through the archive's query functions (archive.browse, Archive)."""
    modules = imported_modules("newsarchive/web")
    assert not {m for m in modules if m.split(".")[0] in {"sqlalchemy", "sqlite3", "psycopg"}}
    assert not {m for m in modules if m.startswith(("crawler", "scrapy", "archive.models"))}


def test_extraction_does_not_import_scrapy() -> None:
    modules = imported_modules("crawler/extraction")
    assert not {m for m in modules if m.split(".")[0] in {"scrapy", "twisted"}}
    urls = ast.parse((ROOT / "crawler" / "urls.py").read_text(encoding="utf-8"))
    names = {n.module for n in ast.walk(urls) if isinstance(n, ast.ImportFrom) and n.module}
    assert not {m for m in names if m.startswith(("scrapy", "twisted"))}
