"""The Archive facade: its public surface is the one other code was written against, it holds
no SQL, and it opens (or refuses) a database in one line.

What each responsibility does is tested in ``test_archive_<module>.py``.
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import archive.store as store_module
from archive import articles, changes, frontier, health, importing, reading, runs
from archive.db import ArchiveError, parse_db_url
from archive.store import Archive

ROOT = Path(__file__).resolve().parent.parent

#: Archive's public methods as they were before store.py was split (other branches call them),
#: with those added since: the health of runs (archive.health), update_run_stats and the batched
#: write (upsert_articles).
SIGNATURES = """
__enter__(self) -> 'Archive'
__exit__(self, *_exc: 'object') -> 'None'
__init__(self, db_url: 'str | None' = None, *, create: 'bool' = True, warc_dir: 'Path | None' =
    None) -> 'None'
aliases_of(self, url: 'str') -> 'list[str]'
change_seq(self) -> 'int'
close(self) -> 'None'
count_articles(self, filters: 'ArticleFilter | None' = None, *, query: 'str | None' = None) ->
    'int'
create_schema(self) -> 'None'
due_articles(self, profile: 'str | None', now: 'datetime', limit: 'int' = 10000) ->
    'list[PageState]'
enqueue_pages(self, entries: 'Iterable[tuple[str, str, int]]', *, profile: 'str | None', run_id:
    'int | None') -> 'int'
export_cursor(self, name: 'str') -> 'SavedCursor | None'
find_same_text(self, site: 'str', text_key: 'str', *, other_than: 'str | None' = None) ->
    'str | None'
finish_run(self, run_id: 'int', status: 'str', counters: 'Mapping[str, int]', stats:
    'Mapping[str, Any]') -> 'None'
get_article(self, url: 'str') -> 'ArticleRecord | None'
get_raw_page(self, url: 'str') -> 'WarcResponse | None'
get_revision(self, url: 'str', revision: 'int') -> 'ArticleRecord | None'
get_story(self, story_id: 'int') -> 'Story | None'
health_report(self, *, sites: 'Sequence[str]' = (), since: 'datetime | None' = None, profile:
    'str | None' = None, limit: 'int' = 20, margin: 'float' = 0.2, min_sample: 'int' = 5,
    baseline_runs: 'int' = 3, run_ids: 'Sequence[int] | None' = None) -> 'list[RunHealth]'
history(self, url: 'str') -> 'list[RevisionSummary]'
import_versions(self, versions: 'Iterable[ArticleVersion]', *, batch_size: 'int' = 500, bulk:
    'bool' = False, progress: 'Callable[[dict[str, int]], None] | None' = None) -> 'dict[str,
    int]'
iter_articles(self, batch_size: 'int' = 1000, *, filters: 'ArticleFilter | None' = None, query:
    'str | None' = None, changes: 'ChangeWindow | None' = None) -> 'Iterator[ArticleRecord]'
iter_latest_pages(self, batch_size: 'int' = 200) -> 'Iterator[tuple[ArticleRecord, WarcLocation
    | None, str | None]]'
iter_versions(self, batch_size: 'int' = 1000, *, filters: 'ArticleFilter | None' = None, query:
    'str | None' = None, changes: 'ChangeWindow | None' = None) -> 'Iterator[ArticleVersion]'
link_pages(self, urls: 'Iterable[str]', article_id: 'int') -> 'None'
list_runs(self, limit: 'int' = 20, *, profile: 'str | None' = None) -> 'list[RunSummary]'
mark_removed(self, url: 'str', when: 'datetime | None' = None) -> 'bool'
page_location(self, url: 'str') -> 'WarcLocation | None'
page_states(self, urls: 'Iterable[str]') -> 'dict[str, PageState]'
pending_pages(self, profile: 'str | None') -> 'list[PageState]'
rebuild_search_index(self) -> 'int'
rebuild_stories(self, *, progress: 'Callable[[int, int], None] | None' = None) -> 'int'
record_fetch(self, url: 'str', *, kind: 'str', status: 'int', fetched_at: 'datetime', etag: 'str
    | None' = None, last_modified: 'str | None' = None, next_check_at: 'datetime | None' = None,
    article_id: 'int | None' = None, profile: 'str | None' = None, run_id: 'int | None' = None,
    state: 'str' = 'done') -> 'None'
run_pending_pages(self, run_id: 'int', *, after_id: 'int', limit: 'int') -> 'list[PageState]'
run_site_health(self, run_ids: 'Iterable[int]') -> 'dict[int, list[SiteHealth]]'
save_export_cursor(self, name: 'str', cursor_at: 'datetime', *, seq: 'int', articles: 'int',
    output: 'str | None') -> 'None'
save_run_health(self, run_id: 'int', rows: 'Iterable[SiteHealth]') -> 'None'
search(self, query: 'str', *, limit: 'int' = 20, filters: 'ArticleFilter | None' = None, sort:
    'SortOrder' = 'relevance', offset: 'int' = 0) -> 'list[SearchHit]'
search_stories(self, query: 'str', *, limit: 'int' = 20, filters: 'ArticleFilter | None' = None,
    sort: 'SortOrder' = 'relevance') -> 'list[StoryHit]'
start_run(self, start_urls: 'list[str]', *, profile: 'str | None' = None, exclusive: 'bool' =
    True) -> 'int'
story_sites(self, story_ids: 'Iterable[int]') -> 'dict[int, list[str]]'
update_run_stats(self, run_id: 'int', stats: 'Mapping[str, Any]') -> 'None'
upsert_article(self, record: 'ArticleRecord', fetch: 'PageFetch | None' = None, *, run_id: 'int
    | None' = None, profile: 'str | None' = None, aliases: 'Iterable[str]' = ()) ->
    'UpsertResult'
upsert_articles(self, writes: 'Sequence[ArticleWrite]', *, run_id: 'int | None' = None, profile:
    'str | None' = None) -> 'list[UpsertResult]'
"""

#: Names other code imports from archive.store; those that moved are re-exported.
EXPORTED = {
    "Archive",
    "ArticleVersion",
    "ArticleWrite",
    "ChangeWindow",
    "PageDone",
    "PageFetch",
    "PageState",
    "RevisionSummary",
    "RunSummary",
    "RUN_COUNTERS",
    "SavedCursor",
    "SearchHit",
    "Story",
    "StoryHit",
    "UpsertOutcome",
    "UpsertResult",
    "WRITE_ATTEMPTS",
    "default_warc_dir",
    "published_instant",
}

#: The modules the facade hands its calls to.
MODULES = (articles, changes, frontier, health, importing, reading, runs)


def public_methods() -> dict[str, object]:
    return {
        name: member
        for name, member in inspect.getmembers(Archive, inspect.isfunction)
        if not name.startswith("_") or name in ("__init__", "__enter__", "__exit__")
    }


def test_the_facade_keeps_every_public_method_and_signature() -> None:
    found = [f"{name}{inspect.signature(m)}" for name, m in sorted(public_methods().items())]  # type: ignore[arg-type]
    # One entry a line; a line that starts with spaces continues the one before.
    expected = [" ".join(entry.split()) for entry in re.split(r"\n(?! )", SIGNATURES.strip())]
    assert found == expected


def test_moved_names_still_import_from_archive_store() -> None:
    assert set(store_module.__all__) == EXPORTED
    for name in EXPORTED:
        assert getattr(store_module, name) is not None
    assert store_module.PageFetch is articles.PageFetch
    assert store_module.SearchHit is reading.SearchHit
    assert store_module.ChangeWindow is changes.ChangeWindow
    assert store_module.PageState is frontier.PageState
    assert store_module.RunSummary is runs.RunSummary


def delegated_methods() -> dict[str, tuple[object, object]]:
    """Each public method of the facade with the module function it hands its call to."""
    pairs = {}
    for name, method in public_methods().items():
        if name.startswith("_") or name in ("close", "create_schema"):
            continue
        (target,) = [getattr(m, name) for m in MODULES if callable(getattr(m, name, None))]
        pairs[name] = (method, target)
    return pairs


def test_each_method_has_a_module_function_of_the_same_shape() -> None:
    """A facade method takes what its module function takes, less the engine (and the WARC
    folder, which the archive holds)."""
    pairs = delegated_methods()
    # All but __init__, __enter__, __exit__, close and create_schema.
    assert len(pairs) == len(public_methods()) - 5 == 38
    for name, (method, target) in pairs.items():
        ours = list(inspect.signature(method).parameters.values())[1:]  # type: ignore[arg-type]
        theirs = [
            p
            for p in inspect.signature(target).parameters.values()  # type: ignore[arg-type]
            if p.name not in ("engine", "warc_dir")
        ]
        assert ours == theirs, name


def test_each_method_passes_every_argument_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Called with a distinct value for each parameter, every method hands each value to the
    module function's parameter of the same name, with the archive's engine."""
    archive = Archive(f"sqlite:///{tmp_path / 'a.db'}")
    for name, (method, target) in delegated_methods().items():
        received: dict[str, object] = {}
        target_signature = inspect.signature(target)  # type: ignore[arg-type]

        def record(
            *args: object,
            _sig: inspect.Signature = target_signature,
            _into: dict[str, object] = received,
            **kwargs: object,
        ) -> str:
            _into.update(_sig.bind(*args, **kwargs).arguments)
            return "result"

        module = next(m for m in MODULES if getattr(m, name, None) is target)
        monkeypatch.setattr(module, name, record)
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for parameter in list(inspect.signature(method).parameters.values())[1:]:  # type: ignore[arg-type]
            value = f"<{parameter.name}>"
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[parameter.name] = value
            else:
                args.append(value)
        assert getattr(archive, name)(*args, **kwargs) in ("result", None), name
        expected = {"engine": archive.engine, **{k: f"<{k}>" for k in received if k != "engine"}}
        if "warc_dir" in received:
            expected["warc_dir"] = archive.warc_dir
        assert received == expected, name
        assert set(received) == set(target_signature.parameters), name
    archive.close()


def test_the_facade_holds_no_sql() -> None:
    tree = ast.parse((ROOT / "archive" / "store.py").read_text(encoding="utf-8"))
    from_sqlalchemy = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
    }
    assert from_sqlalchemy == {"Engine"}
    calls = {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }
    assert not calls & {"execute", "begin", "connect", "scalars", "scalar_one"}


def test_a_closed_archive_reopens_without_creating(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    with Archive(url) as archive:
        assert archive.count_articles() == 0
        assert archive.warc_dir == tmp_path / "a-warc"
    with Archive(url, create=False) as again:
        assert again.count_articles() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "invalid database URL"),
        ("mysql://root@localhost/x", "unsupported database"),
        ("sqlite:////no/such/folder/x.db", "does not exist"),
    ],
)
def test_bad_database_urls_give_one_line_errors(url: str, message: str) -> None:
    with pytest.raises(ArchiveError, match=message) as info:
        parse_db_url(url)
    assert "\n" not in str(info.value)


def test_unreachable_postgres_is_one_line() -> None:
    with pytest.raises(ArchiveError, match="cannot open the archive") as info:
        Archive("postgresql://nobody@127.0.0.1:1/none")
    assert "\n" not in str(info.value)


def test_missing_archive_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(ArchiveError, match="no archive"):
        Archive(f"sqlite:///{path}", create=False)
    assert not path.exists()
