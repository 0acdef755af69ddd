"""The ``newsarchive`` command line. Thin: the crawler, archive and exports do the work.

Every failure a user can cause (a bad URL, database, file or query) ends in one line on stderr
that says what to do, and a non-zero exit status; never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from archive.db import DB_ENV_VAR, DEFAULT_DB_URL, ArchiveError
from archive.search import QueryError
from newsarchive import __version__

if TYPE_CHECKING:
    from archive.store import Archive

_DB_HELP = f"SQLAlchemy database URL [default: ${DB_ENV_VAR}, else {DEFAULT_DB_URL}]"


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


def _open_archive(db_url: str | None, *, create: bool = True) -> Archive:
    from archive.store import Archive

    try:
        return Archive(db_url, create=create)
    except ArchiveError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="newsarchive")
def main() -> None:
    """Crawl news sites, extract their articles, archive, export and search them."""


@main.command()
@click.argument("urls", nargs=-1)
@click.option(
    "--profiles",
    "profiles_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A TOML file of site profiles (see examples/).",
)
@click.option(
    "--profile",
    "profile_names",
    multiple=True,
    metavar="NAME",
    help="Crawl only this profile of --profiles (repeatable) [default: every profile].",
)
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Stop after fetching this many pages (0: no limit).",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the WARC files [default: NAME-warc/ beside a SQLite archive].",
)
@click.option(
    "--user-agent", help="User-Agent header [default: newsarchive/VERSION (+contact URL)]."
)
@click.option("--contact-url", help="Contact URL named in the default User-Agent.")
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="WARNING",
    show_default=True,
    help="Scrapy's log level.",
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting, e.g. -s DOWNLOAD_DELAY=2 (repeatable).",
)
@click.option(
    "--fail-on-alert",
    is_flag=True,
    help="Exit with status 4 when a run breaks its profile's [profiles.alerts] thresholds.",
)
def crawl(
    urls: tuple[str, ...],
    profiles_file: Path | None,
    profile_names: tuple[str, ...],
    db_url: str | None,
    max_pages: int,
    warc_dir: Path | None,
    user_agent: str | None,
    contact_url: str | None,
    log_level: str,
    overrides: tuple[str, ...],
    fail_on_alert: bool,
) -> None:
    """Crawl the sites of URLS, or the profiles of --profiles, and archive their articles.

    Listing pages under each start URL's folder are followed (with their pagination), and
    article pages anywhere on its host, including related-article links. A profile adds its
    feeds and sitemaps, its URL patterns, keywords and politeness, and crawls incrementally.
    A run that breaks its profile's alert thresholds ends `degraded` and says why.
    """
    from crawler.profiles import ProfileError, find_profile, load_profiles
    from crawler.run import CrawlSpec
    from crawler.scheduling import default_lock_dir, lock_holder

    for url in urls:
        if not url.startswith(("http://", "https://")):
            _fail(f"not an http(s) URL: {url!r} (start URLs look like https://example.com/news/)")
    if not urls and profiles_file is None:
        _fail("nothing to crawl: give start URLs, or --profiles FILE")
    if profile_names and profiles_file is None:
        _fail("--profile needs --profiles FILE")
    settings: dict[str, Any] = {"LOG_LEVEL": log_level}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            _fail(f"bad setting {item!r}: use -s NAME=VALUE")
        settings[name.strip()] = value
    if user_agent:
        settings["USER_AGENT"] = user_agent
    if contact_url:
        settings["NEWSARCHIVE_CONTACT_URL"] = contact_url
    specs: list[CrawlSpec] = []
    if profiles_file is not None:
        try:
            profiles = load_profiles(profiles_file)
            chosen = (
                [find_profile(profiles, n, profiles_file) for n in profile_names]
                if profile_names
                else profiles
            )
        except ProfileError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"cannot read {profiles_file}: {exc.strerror or exc}")
        specs = [CrawlSpec(profiles_file=str(profiles_file), profile=p.name) for p in chosen]
    if urls:
        specs.append(CrawlSpec(start_urls=urls))
    # The spider takes each profile's lock for the whole crawl; a look now gives a clear error.
    for spec in specs:
        busy = lock_holder(default_lock_dir(), spec.profile) if spec.profile else None
        if busy is not None:
            _fail(str(busy))
    reports = _crawl(specs, db_url, max_pages, settings, warc_dir)
    failed = []
    storage_errors = []
    alerted = []
    for spec, report in zip(specs, reports, strict=True):
        if len(specs) > 1:
            click.echo(f"== {spec.label}")
        click.echo(report.summary())
        if report.storage_error:
            storage_errors.append(report.storage_error)
        elif not report.ok:
            failed.append(spec.label)
        if report.alerts:
            alerted.append(f"{spec.label} (run {report.run_id} {report.status}): {report.alerts}")
    if storage_errors:
        _fail(storage_errors[0])
    if failed:
        _fail(
            f"none of the start URLs could be fetched ({', '.join(failed)}):"
            " check the addresses and your network"
        )
    if alerted and fail_on_alert:
        from crawler.alerts import ALERT_EXIT_STATUS

        _fail(f"alert thresholds broken: {'; '.join(alerted)}", code=ALERT_EXIT_STATUS)


def _crawl(
    specs: list[Any],
    db_url: str | None,
    max_pages: int,
    settings: dict[str, Any],
    warc_dir: Path | None = None,
) -> list[Any]:
    from crawler import settings as defaults
    from crawler.pool import parse_workers, prestart

    # The extraction workers' imports go on in their own process meanwhile; a bad value is
    # reported below, in one line.
    with contextlib.suppress(ValueError):
        workers = settings.get("NEWSARCHIVE_EXTRACT_WORKERS", defaults.NEWSARCHIVE_EXTRACT_WORKERS)
        prestart(parse_workers(workers))
    _open_archive(db_url).close()  # fail fast, in one line, on a bad database
    from crawler.pagework import PageExtractor
    from crawler.run import crawl_settings, run_crawls

    try:  # and on bad extraction settings (-s NEWSARCHIVE_EXTRACT_WORKERS=many)
        PageExtractor.from_settings(crawl_settings(settings))
    except ValueError as exc:
        _fail(str(exc))

    return run_crawls(
        specs,
        db_url=db_url,
        max_pages=max_pages,
        settings=settings,
        warc_dir=str(warc_dir) if warc_dir else None,
    )


def _filter_options(function: Any) -> Any:
    """The filter options shared by search and export (see archive.filters.ArticleFilter)."""
    options = [
        click.option("--site", multiple=True, metavar="HOST", help="Only this site (repeatable)."),
        click.option(
            "--source", multiple=True, metavar="OUTLET", help="Only this source (repeatable)."
        ),
        click.option(
            "--author", multiple=True, metavar="NAME", help="Only articles by NAME (repeatable)."
        ),
        click.option(
            "--section", multiple=True, metavar="NAME", help="Only this section (repeatable)."
        ),
        click.option(
            "--profile",
            "profile_filter",
            multiple=True,
            metavar="NAME",
            help="Only articles found by this site profile (repeatable).",
        ),
        click.option(
            "--language", multiple=True, metavar="CODE", help="Only this language, e.g. zh."
        ),
        click.option(
            "--since",
            metavar="WHEN",
            help="Published at or after WHEN: YYYY-MM-DD (UTC day), YYYY-MM, or ISO 8601 time.",
        ),
        click.option(
            "--until", metavar="WHEN", help="Published before the end of WHEN (same forms)."
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _article_filter(options: dict[str, Any]) -> Any:
    from archive.filters import ArticleFilter, FilterError

    try:
        return ArticleFilter.from_options(
            site=options.pop("site"),
            source=options.pop("source"),
            author=options.pop("author"),
            section=options.pop("section"),
            profile=options.pop("profile_filter"),
            language=options.pop("language"),
            since=options.pop("since"),
            until=options.pop("until"),
        )
    except FilterError as exc:
        _fail(str(exc))


def _fail_on_database_error(exc: Exception) -> None:
    """A database error mid-stream: one line, not a traceback (other errors propagate)."""
    if type(exc).__module__.startswith("sqlalchemy"):
        _fail(f"cannot read the archive: {str(exc).strip().splitlines()[0]}")


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically; gzip when it ends in .gz) instead of standard output.",
)
@click.option("--query", "-q", metavar="WORDS", help="Only articles matching this search.")
@_filter_options
@click.option(
    "--revisions", is_flag=True, help="Every stored version, with `revision` and `aliases`."
)
@click.option(
    "--since-last",
    metavar="NAME",
    help="Only what changed since the previous export of this NAME (its cursor is kept in the"
    " archive and moves once the output is complete).",
)
@click.option("--schema", is_flag=True, help="Print the JSON Schema of the export lines and exit.")
def export(
    db_url: str | None,
    output: Path | None,
    query: str | None,
    revisions: bool,
    since_last: str | None,
    schema: bool,
    **filter_options: Any,
) -> None:
    """Export archived articles as JSONL, one article (or version) per line, streamed."""
    from exports.jsonl import export_archive

    if schema:
        from exports.schema import schema_json

        click.echo(schema_json())
        return
    filters = _article_filter(filter_options)
    archive = _open_archive(db_url, create=False)
    try:
        if output is None:
            # Bytes straight to standard output: the export format is UTF-8 JSONL, whatever
            # the locale says.
            sys.stdout.flush()
            result = export_archive(
                archive,
                sys.stdout.buffer,
                filters=filters,
                query=query,
                revisions=revisions,
                since_last=since_last,
            )
        else:
            result = export_archive(
                archive,
                output,
                filters=filters,
                query=query,
                revisions=revisions,
                since_last=since_last,
            )
            what = "versions" if revisions else "articles"
            click.echo(f"exported {result.count} {what} to {output}", err=True)
    except (ArchiveError, QueryError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output or 'standard output'}: {exc.strerror or exc}")
    except Exception as exc:
        _fail_on_database_error(exc)
        raise
    finally:
        archive.close()


@main.command()
@click.argument("query")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--sort",
    type=click.Choice(["relevance", "date"]),
    default="relevance",
    show_default=True,
    help="Best match first, or newest first.",
)
@_filter_options
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON line per hit: export fields, score, snippet."
)
@click.option(
    "--collapse",
    is_flag=True,
    help="One hit per story (copies of one report on several sites), with the other sites.",
)
def search(
    query: str,
    db_url: str | None,
    limit: int,
    sort: str,
    as_json: bool,
    collapse: bool,
    **filter_options: Any,
) -> None:
    """Find archived articles by words or "phrases" in their title or text.

    Chinese is matched by characters (罗湖 finds 深圳罗湖区), traditional and simplified alike.
    """
    from exports.jsonl import dumps_record

    filters = _article_filter(filter_options)
    archive = _open_archive(db_url, create=False)
    try:
        if collapse:
            found = archive.search_stories(query, limit=limit, filters=filters, sort=sort)  # type: ignore[arg-type]
            hits = [story_hit.hit for story_hit in found]
            others: list[list[str] | None] = [story_hit.other_sites for story_hit in found]
        else:
            hits = archive.search(query, limit=limit, filters=filters, sort=sort)  # type: ignore[arg-type]
            others = [None] * len(hits)
    except (QueryError, ArchiveError) as exc:
        _fail(str(exc))
    finally:
        archive.close()
    if as_json:
        for hit, other_sites in zip(hits, others, strict=True):
            line = {**hit.article.to_json_dict(), "score": hit.score, "snippet": hit.snippet}
            if other_sites is not None:
                line["also_in"] = other_sites
            click.echo(dumps_record(line))
        return
    if not hits:
        suffix = "" if filters.is_empty() else f" with filters {filters.describe()}"
        click.echo(f"no articles match {query!r}{suffix}")
        return
    for rank, (hit, other_sites) in enumerate(zip(hits, others, strict=True), 1):
        record = hit.article
        click.echo(click.style(f"{rank}. {record.title or '(untitled)'}", bold=True))
        click.echo(f"   {record.published_at or 'date unknown'} · {record.site} · {record.url}")
        click.echo(f"   {hit.snippet}")
        if other_sites:
            sites = "site" if len(other_sites) == 1 else "sites"
            click.echo(
                f"   also in {len(other_sites)} {sites}: {', '.join(other_sites)}"
                f" (newsarchive story {record.story_id})"
            )


@main.command()
@click.argument("story")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object: the story and its copies.")
def story(story: str, db_url: str | None, as_json: bool) -> None:
    """List the copies of a story (STORY: its id, or the URL of one of its articles) with
    their outlets and dates, earliest first."""
    from archive.record import format_utc
    from exports.jsonl import dumps_record

    archive = _open_archive(db_url, create=False)
    try:
        if story.isdigit():
            found = archive.get_story(int(story))
        else:
            record = archive.get_article(story)
            if record is None or record.story_id is None:
                _fail(f"no article at {story} in this archive: give a story id or an archived URL")
            found = archive.get_story(record.story_id)
    except ArchiveError as exc:
        _fail(str(exc))
    finally:
        archive.close()
    if found is None:
        _fail(f"no story {story} in this archive: `newsarchive search --collapse` shows story ids")
    if as_json:
        click.echo(
            dumps_record(
                {
                    "story_id": found.story_id,
                    "earliest_published_at": found.earliest.published_at,
                    "sites": found.sites,
                    "sources": found.sources,
                    "copies": [
                        {
                            "id": copy.article_id,
                            "url": copy.url,
                            "site": copy.site,
                            "title": copy.title,
                            "source": copy.source,
                            "published_at": copy.published_at,
                            "first_seen_at": format_utc(copy.first_seen_at),
                        }
                        for copy in found.copies
                    ],
                }
            )
        )
        return
    copies = len(found.copies)
    click.echo(
        f"story {found.story_id}: {copies} {'copy' if copies == 1 else 'copies'} on"
        f" {len(found.sites)} {'site' if len(found.sites) == 1 else 'sites'},"
        f" first published {found.earliest.published_at or 'at an unknown date'}"
        f" by {found.earliest.site}"
    )
    for copy in found.copies:
        when = copy.published_at or f"first seen {format_utc(copy.first_seen_at)}"
        outlet = f"{copy.site} ({copy.source})" if copy.source else copy.site
        click.echo(f"{when} · {outlet} · {copy.title or '(untitled)'}")
        click.echo(f"   {copy.url}")


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--bulk",
    is_flag=True,
    help="One transaction, all or nothing; on PostgreSQL the search index is built once at"
    " the end (much faster for large files; searches and crawls wait until it is done).",
)
def import_(file: Path, db_url: str | None, bulk: bool) -> None:
    """Load a JSONL export (FILE.jsonl or FILE.jsonl.gz) into the archive.

    Use an export made with --revisions to keep every version and the aliases. Importing the
    same file again changes nothing. Progress goes to stderr every 10,000 lines.
    """
    from exports.importer import ImportFileError, import_jsonl

    if not file.is_file():
        _fail(f"no such file: {file}")
    archive = _open_archive(db_url)
    reported = 0

    def progress(counts: dict[str, int]) -> None:
        nonlocal reported
        done = sum(counts.values())
        if done - reported >= 10_000:
            reported = done
            click.echo(f"{done:,} lines read: " + _counts(counts), err=True)

    try:
        counts = import_jsonl(archive, file, bulk=bulk, progress=progress)
    except (ImportFileError, ArchiveError) as exc:
        kept = "nothing was imported" if bulk else "lines before it were imported"
        _fail(f"{exc} ({kept}; fix the file and import it again)")
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    except Exception as exc:
        _fail_on_database_error(exc)
        raise
    finally:
        archive.close()
    click.echo(_counts(counts))


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in counts.items())


@main.group()
def db() -> None:
    """The archive's schema: upgrade it in place, show its version, rebuild the search index."""


@db.command("upgrade")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
def db_upgrade(db_url: str | None) -> None:
    """Upgrade the archive's schema to this release's (a fresh database gets it whole)."""
    from sqlalchemy.exc import SQLAlchemyError

    from archive.db import make_engine, resolve_db_url
    from archive.migrations import upgrade

    try:
        engine = make_engine(resolve_db_url(db_url))
    except ArchiveError as exc:
        _fail(str(exc))
    where = engine.url.render_as_string(hide_password=True)
    progress = _progress("keyed")
    story_progress = _progress("placed in stories")
    try:
        before, after = upgrade(engine, progress=progress, story_progress=story_progress)
    except SQLAlchemyError as exc:
        _fail(f"cannot upgrade {where}: {str(exc).strip().splitlines()[0]}")
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{where}: schema already at {after}")
    else:
        click.echo(f"{where}: schema upgraded from {before or 'the release before 0.2'} to {after}")


def _progress(what: str, every: int = 10_000) -> Any:
    """A ``progress(done, total)`` callback that reports on stderr every ``every`` articles."""
    reported = 0

    def progress(done: int, total: int) -> None:
        nonlocal reported
        if done - reported >= every or (done == total and reported):
            reported = done
            click.echo(f"{done:,} of {total:,} articles {what}", err=True)

    return progress


@db.command("current")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
def db_current(db_url: str | None) -> None:
    """Show the archive's schema version and whether it needs `newsarchive db upgrade`."""
    from sqlalchemy.exc import SQLAlchemyError

    from archive.db import make_engine, resolve_db_url
    from archive.migrations import schema_state

    try:
        engine = make_engine(resolve_db_url(db_url))
    except ArchiveError as exc:
        _fail(str(exc))
    try:
        with engine.connect() as conn:
            state = schema_state(conn)
    except SQLAlchemyError as exc:
        _fail(f"cannot open the archive: {str(exc).strip().splitlines()[0]}")
    finally:
        engine.dispose()
    advice = {
        "empty": "no archive yet",
        "current": "up to date",
        "behind": "run `newsarchive db upgrade`",
        "unknown": "made by a newer newsarchive",
    }[state.status]
    click.echo(f"schema {state.revision or '-'} (this release: {state.head}): {advice}")


@db.command("reindex")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--stories",
    is_flag=True,
    help="Rebuild the stories instead (after changing NEWSARCHIVE_STORY_THRESHOLD).",
)
def db_reindex(db_url: str | None, stories: bool) -> None:
    """Rebuild the search index (or the stories) from the archived articles."""
    archive = _open_archive(db_url, create=False)
    try:
        if stories:
            count = archive.rebuild_stories(progress=_progress("placed in stories", 5_000))
        else:
            count = archive.rebuild_search_index()
    except ArchiveError as exc:
        _fail(str(exc))
    except Exception as exc:
        _fail_on_database_error(exc)
        raise
    finally:
        archive.close()
    click.echo(f"placed {count} articles in stories" if stories else f"indexed {count} articles")


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--url", help="The page's URL (sets url and site) [default: the file's file:// URL].")
def extract(path: Path, url: str | None) -> None:
    """Print, as one JSON line, the record the archive would store for a saved HTML page."""
    from crawler.extraction import extract_page
    from exports.jsonl import dumps_record

    try:
        body = path.read_bytes()
    except FileNotFoundError:
        _fail(f"no such file: {path}")
    except IsADirectoryError:
        _fail(f"{path} is a folder: give the path of a saved HTML page")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror or exc}")
    result = extract_page(body, url or path.resolve().as_uri())
    if result.article is None:
        _fail(f"{path}: not an article ({result.reason or result.kind})", code=2)
    click.echo(dumps_record(result.article.to_json_dict()))


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--query", default="罗湖", show_default=True, help="The sample search to run afterwards."
)
@click.option(
    "--serve", "then_serve", is_flag=True, help="Then serve the archive in a browser (serve)."
)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="For --serve."
)
def demo(db_url: str | None, query: str, then_serve: bool, port: int) -> None:
    """Serve the bundled sample news sites on 127.0.0.1, crawl them, and search the result."""
    from newsarchive.demo.server import DemoServer

    archive = _open_archive(db_url)
    archive.close()
    with DemoServer() as server:
        for site in server.sites:
            click.echo(f"serving demo site {site.name!r} at {site.base_url}")
        # Our own local server: no need to throttle.
        from crawler.run import CrawlSpec

        spec = CrawlSpec(start_urls=tuple(server.start_urls))
        (report,) = _crawl(
            [spec], db_url, 0, {"AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}
        )
    click.echo(report.summary())
    if not report.ok:
        _fail("the demo crawl fetched nothing")
    archive = _open_archive(db_url)
    try:
        click.echo(f"\narchive {archive.db_url}: {archive.count_articles()} articles")
        for record in archive.iter_articles():
            authors = ", ".join(record.authors) or "-"
            click.echo(
                f"  {record.published_at or '?':25} {record.site:22} {record.title}  [{authors}]"
            )
        click.echo(f"\nsample search: newsarchive search {query}")
        for rank, hit in enumerate(archive.search(query, limit=5), 1):
            click.echo(f"  {rank}. {hit.article.title}  ({hit.article.url})")
            click.echo(f"     {hit.snippet}")
    finally:
        archive.close()
    if then_serve:
        click.echo("")
        _serve(db_url, "127.0.0.1", port, None, None)


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on; any but the loopback one needs a token.",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option(
    "--token",
    envvar="NEWSARCHIVE_TOKEN",
    metavar="TOKEN",
    help="Require this token on every request (bearer or login cookie) [default:"
    " $NEWSARCHIVE_TOKEN].",
)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the WARC files [default: NAME-warc/ beside a SQLite archive].",
)
def serve(
    db_url: str | None, host: str, port: int, token: str | None, warc_dir: Path | None
) -> None:
    """Serve the archive read-only in a browser: search with facets, articles with their
    versions and archived pages, crawl runs, exports, and a JSON API (/docs)."""
    _serve(db_url, host, port, token or None, warc_dir)


def _serve(
    db_url: str | None, host: str, port: int, token: str | None, warc_dir: Path | None
) -> None:
    from newsarchive.web.server import ServeError
    from newsarchive.web.server import serve as run_server

    def ready(url: str, archive_name: str) -> None:
        click.echo(f"serving {archive_name} at {url} (read-only; Ctrl-C to stop)", nl=True)

    try:
        run_server(db_url, host=host, port=port, token=token, warc_dir=warc_dir, on_ready=ready)
    except (ServeError, ArchiveError) as exc:
        _fail(str(exc))


@main.command(name="eval")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-baseline", is_flag=True, help="Skip the bare trafilatura baseline.")
@click.option(
    "--half",
    type=click.Choice(["A", "B"], case_sensitive=False),
    help="Only the pages of one half of the corpus's sites (a fixed split by site).",
)
def eval_(corpus: Path, no_baseline: bool, half: str | None) -> None:
    """Score extraction on a labelled corpus (laid out like shared/eval/dev) against trafilatura."""
    from crawler.evaluation import evaluate_corpus, format_report

    with click.progressbar(length=1, label="scoring", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            report = evaluate_corpus(
                corpus, with_baseline=not no_baseline, progress=progress, half=half
            )
        except (OSError, ValueError) as exc:
            _fail(f"cannot read the corpus {corpus}: {exc}")
    click.echo(format_report(report))


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--profile", help="Only the runs of this profile.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def runs(db_url: str | None, profile: str | None, limit: int) -> None:
    """List recent crawl runs: start, end, status, pages, articles, errors by kind."""
    archive = _open_archive(db_url, create=False)
    try:
        listed = archive.list_runs(limit, profile=profile)
    finally:
        archive.close()
    if not listed:
        click.echo("no crawl runs recorded")
    for run in listed:
        c = run.counters
        ended = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
        started = run.started_at.isoformat(timespec="seconds")
        errors = {
            k.removeprefix("newsarchive/errors/"): v
            for k, v in run.stats.items()
            if k.startswith("newsarchive/errors/")
        }
        by_kind = f" ({', '.join(f'{k} {v}' for k, v in sorted(errors.items()))})" if errors else ""
        click.echo(
            f"#{run.id} {run.status:11} {run.profile or '-':12} {started} -> {ended}"
            f"  pages {c['pages_fetched']}, new {c['articles_new']}, updated"
            f" {c['articles_updated']}, unchanged {c['articles_unchanged']},"
            f" removed {c['articles_removed']}, skipped {c['pages_skipped']},"
            f" errors {c['errors']}{by_kind}"
        )
        if run.stats.get("newsarchive/alerts"):
            webhook = run.stats.get("newsarchive/alerts/webhook")
            sent = f" (webhook: {webhook})" if webhook else ""
            click.echo(f"    alert: {run.stats['newsarchive/alerts']}{sent}")


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--site", "sites", multiple=True, metavar="HOST", help="Only this site (repeatable).")
@click.option(
    "--since", metavar="WHEN", help="Runs started at or after WHEN (YYYY-MM-DD, YYYY-MM, ISO 8601)."
)
@click.option("--profile", help="Only the runs of this profile.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Runs.")
@click.option(
    "--margin",
    type=click.FloatRange(0, 1),
    default=0.2,
    show_default=True,
    help="Flag a share that falls more than this below the site's previous runs.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON line per run and site.")
def health(
    db_url: str | None,
    sites: tuple[str, ...],
    since: str | None,
    profile: str | None,
    limit: int,
    margin: float,
    as_json: bool,
) -> None:
    """Extraction health per site and run: articles, the share with an author, a date, a
    source, a section, the median text length; drops against previous runs are flagged."""
    from archive.filters import FilterError, parse_when
    from archive.health import DEFAULT_BASELINE_RUNS, DEFAULT_MIN_SAMPLE

    try:
        since_at = parse_when(since) if since else None
    except FilterError as exc:
        _fail(f"--since: {exc}")
    archive = _open_archive(db_url, create=False)
    try:
        report = archive.health_report(
            sites=sites, since=since_at, profile=profile, limit=limit, margin=margin
        )
    except Exception as exc:
        _fail_on_database_error(exc)
        raise
    finally:
        archive.close()
    if as_json:
        for line in _health_json(report):
            click.echo(line)
        return
    if not report:
        click.echo("no crawl runs recorded" + (" for these filters" if since or profile else ""))
        return
    flagged = 0
    for row in _health_rows(report):
        flagged += bool(row[-1])
        click.echo(row[0])
    click.echo(
        f"\n{flagged} flagged: a share more than {margin * 100:.0f} points below the site's"
        f" over its last {DEFAULT_BASELINE_RUNS} runs that ended well (each side reading at"
        f" least {DEFAULT_MIN_SAMPLE} articles), median text under half, or no articles"
    )


def _share(count: int, total: int) -> str:
    return f"{count / total:.0%}" if total else "-"


def _health_rows(report: list[Any]) -> list[tuple[str, str]]:
    """The table of ``newsarchive health``: (line, flags) per run and site."""
    header = (
        "run", "started (UTC)", "status", "profile", "site", "pages", "seen", "read",
        "author", "date", "source", "section", "median", "flags",
    )  # fmt: skip
    cells: list[tuple[tuple[str, ...], str]] = []
    for run in report:
        first = (
            f"#{run.run_id}",
            run.started_at.strftime("%Y-%m-%d %H:%M"),
            run.status,
            run.profile or "-",
        )
        if not run.sites:
            why = "no figures" if not run.recorded else "none of these sites"
            cells.append(((*first, f"({why})", *[""] * 9), ""))
        for site in run.sites:
            h = site.health
            flags = "; ".join(flag.describe() for flag in site.flags)
            cells.append(
                (
                    (
                        *first,
                        h.site,
                        str(h.pages),
                        str(h.seen),
                        str(h.articles),
                        _share(h.with_author, h.articles),
                        _share(h.with_date, h.articles),
                        _share(h.with_source, h.articles),
                        _share(h.with_section, h.articles),
                        str(h.median_text_chars) if h.median_text_chars is not None else "-",
                        f"! {flags}" if flags else "",
                    ),
                    flags,
                )
            )
    widths = [max(len(c[0][i]) for c in [(header, ""), *cells]) for i in range(len(header))]
    left = {0, 1, 2, 3, 4, 13}

    def line(values: tuple[str, ...]) -> str:
        parts = [
            v.ljust(w) if i in left else v.rjust(w)
            for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [(line(header), ""), *[(line(values), flags) for values, flags in cells]]


def _health_json(report: list[Any]) -> list[str]:
    """``newsarchive health --json``: one line per run and site (a run without figures: one
    line with ``site`` null)."""
    from exports.jsonl import dumps_record

    lines = []
    for run in report:
        head = {
            "run_id": run.run_id,
            "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "status": run.status,
            "profile": run.profile,
        }
        if not run.sites:
            lines.append(dumps_record({**head, "site": None, "recorded": run.recorded}))
        for site in run.sites:
            lines.append(dumps_record({**head, **site.to_json_dict()}))
    return lines


@main.group()
def profiles() -> None:
    """Site profiles: what to crawl, how politely, and when."""


@profiles.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def profiles_check(file: Path) -> None:
    """Validate a profiles file; name the line and field of every problem."""
    from crawler.profiles import check_profiles, load_profiles

    try:
        problems = check_profiles(file)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    if problems:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    loaded = load_profiles(file)
    for profile in loaded:
        when = profile.schedule or "no schedule"
        sources = len(profile.start_urls) + len(profile.feeds) + len(profile.sitemaps)
        click.echo(f"ok  {profile.name:20} {sources} start points, {when}")
    click.echo(f"{file}: {len(loaded)} profiles, all valid")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--max-parallel", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="INFO",
    show_default=True,
)
def schedule(file: Path, db_url: str | None, max_parallel: int, log_level: str) -> None:
    """Run each profile's crawl at its cron times until stopped (Ctrl-C or SIGTERM).

    Each crawl runs in its own process; a profile never runs twice at once (a lock that dies
    with its process guards it, also against crawls started by hand or by cron).
    """
    from crawler.profiles import ProfileError
    from crawler.scheduling import run_schedule

    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(message)s")
    # A crawl that breaks its profile's alert thresholds exits with its own status, which
    # the scheduler logs as "degraded".
    extra = ["--fail-on-alert", *(["--db", db_url] if db_url else [])]
    try:
        run_schedule(file, extra_args=extra, max_parallel=max_parallel)
    except ProfileError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")


@main.command()
@click.argument("url")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--diff",
    "diff_pair",
    nargs=2,
    type=int,
    metavar="A B",
    help="Show what changed between revisions A and B.",
)
def history(url: str, db_url: str | None, diff_pair: tuple[int, int] | None) -> None:
    """List the stored versions of the article at URL, or show what changed between two."""
    import difflib

    from crawler.urls import canonicalize_url

    archive = _open_archive(db_url, create=False)
    try:
        key = url if archive.get_article(url) is not None else canonicalize_url(url)
        revisions = archive.history(key)
        if not revisions:
            _fail(f"no archived article at {url}")
        if diff_pair is None:
            record = archive.get_article(key)
            assert record is not None
            click.echo(f"{record.title}  {record.url}")
            if record.removed_at:
                click.echo(
                    f"removed (404/410) since {record.removed_at.isoformat(timespec='seconds')}"
                )
            for rev in revisions:
                where = f"{rev.warc.path}@{rev.warc.offset}" if rev.warc else "-"
                click.echo(
                    f"  r{rev.revision}  {rev.fetched_at.isoformat(timespec='seconds')}"
                    f"  {rev.chars} chars  {rev.content_hash[:12]}  {rev.title}  [{where}]"
                )
            return
        a, b = (archive.get_revision(key, n) for n in diff_pair)
        if a is None or b is None:
            known = ", ".join(str(r.revision) for r in revisions)
            _fail(f"no such revision: this article has revisions {known}")
    finally:
        archive.close()
    left = [f"title: {a.title}", *a.text.splitlines()]
    right = [f"title: {b.title}", *b.text.splitlines()]
    for line in difflib.unified_diff(
        left, right, f"r{diff_pair[0]}", f"r{diff_pair[1]}", lineterm="", n=1
    ):
        click.echo(line)


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--warc-dir", type=click.Path(file_okay=False, path_type=Path))
def reextract(db_url: str | None, warc_dir: Path | None) -> None:
    """Rebuild every article's fields from its archived page, without the network."""
    from archive.store import Archive
    from crawler.extraction import extract_page
    from crawler.reextract import reextract_archive

    try:
        archive = Archive(db_url, create=False, warc_dir=warc_dir)
    except ArchiveError as exc:
        _fail(str(exc))
    total = archive.count_articles()
    try:
        with click.progressbar(length=total, label="re-extracting", file=sys.stderr) as bar:
            counts = reextract_archive(archive, extract_page, on_article=lambda: bar.update(1))
    except ArchiveError as exc:
        _fail(str(exc))
    finally:
        archive.close()
    click.echo(_counts(counts))


@main.command()
@click.option(
    "--profiles",
    "profiles_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The TOML file of site profiles (the same file on every machine).",
)
@click.option(
    "--profile",
    "profile_name",
    metavar="NAME",
    help="The profile to crawl [default: the only one].",
)
@click.option("--db", "db_url", metavar="DB_URL", help="The shared PostgreSQL archive " + _DB_HELP)
@click.option(
    "--redis",
    "redis_url",
    metavar="REDIS_URL",
    help="Redis for the per-host politeness budget (redis://host:6379/0)"
    " [default: $NEWSARCHIVE_REDIS_URL, else the archive's PostgreSQL].",
)
@click.option(
    "--lease",
    type=click.FloatRange(min=1),
    default=60.0,
    show_default=True,
    help="Seconds a claimed page stays this worker's without a heartbeat (a killed worker's"
    " pages come back after it).",
)
@click.option("--id", "worker_id", metavar="NAME", help="Worker id [default: HOST-PID-XXXX].")
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of this worker's WARC files [default: $NEWSARCHIVE_WARC_DIR, else"
    " ./newsarchive-warc].",
)
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="WARNING",
    show_default=True,
)
@click.option(
    "-s",
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting (repeatable).",
)
def worker(
    profiles_file: Path,
    profile_name: str | None,
    db_url: str | None,
    redis_url: str | None,
    lease: float,
    worker_id: str | None,
    warc_dir: Path | None,
    log_level: str,
    overrides: tuple[str, ...],
) -> None:
    """Work on a profile's crawl with any number of other workers, on any machines.

    The workers share the crawl through the PostgreSQL archive: the first seeds it, each
    claims a few pending pages at a time under a lease, and all stop when no page is left.
    Per-host concurrency and delay hold across them (in Redis with --redis). A worker killed
    outright loses nothing: its pages come back when their lease expires.
    """
    import os

    from archive.workers import require_postgresql
    from crawler.distributed import default_worker_id
    from crawler.profiles import ProfileError, find_profile, load_profiles
    from crawler.run import CrawlSpec

    try:
        profiles = load_profiles(profiles_file)
        if profile_name is None and len(profiles) != 1:
            names = ", ".join(p.name for p in profiles)
            _fail(f"{profiles_file} has several profiles ({names}): pass --profile NAME")
        chosen = find_profile(profiles, profile_name) if profile_name else profiles[0]
    except ProfileError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot read {profiles_file}: {exc.strerror or exc}")
    archive = _open_archive(db_url)
    try:
        require_postgresql(archive.engine)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        archive.close()
    redis_url = redis_url or os.environ.get("NEWSARCHIVE_REDIS_URL") or None
    if redis_url:
        _check_redis(redis_url)
    settings: dict[str, Any] = {"LOG_LEVEL": log_level}
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            _fail(f"bad setting {item!r}: use -s NAME=VALUE")
        settings[name.strip()] = value
    settings["NEWSARCHIVE_WORKER_ID"] = worker_id or default_worker_id()
    settings["NEWSARCHIVE_LEASE_SECONDS"] = lease
    settings["NEWSARCHIVE_REDIS_URL"] = redis_url or ""
    spec = CrawlSpec(profiles_file=str(profiles_file), profile=chosen.name)
    (report,) = _crawl([spec], db_url, 0, settings, warc_dir)
    click.echo(f"worker {settings['NEWSARCHIVE_WORKER_ID']}: " + report.summary())
    if report.storage_error:
        _fail(report.storage_error)


def _check_redis(url: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=5)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as exc:
        _fail(f"cannot reach Redis at {url}: {exc} (start redis-server, or leave out --redis)")


@main.command(name="workers")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--profile", help="Only the workers of this profile.")
def workers_(db_url: str | None, profile: str | None) -> None:
    """Who works on what: the workers of distributed crawls, newest first."""
    from archive.workers import list_workers, require_postgresql

    archive = _open_archive(db_url, create=False)
    try:
        require_postgresql(archive.engine)
        listed = list_workers(archive.engine, profile)
    except ValueError as exc:
        _fail(str(exc))
    finally:
        archive.close()
    if not listed:
        click.echo("no workers recorded")
        return
    header = (
        "worker",
        "host",
        "pid",
        "profile",
        "state",
        "claimed",
        "done",
        "holding",
        "heartbeat",
    )
    rows = [header]
    for w in listed:
        state = w.state
        if w.state not in ("stopped", "done") and w.heartbeat_age > LOST_AFTER_SECONDS:
            state = "lost"  # no heartbeat: killed, or its machine is gone
        rows.append(
            (
                w.id,
                w.host,
                str(w.pid),
                w.profile,
                state,
                str(w.pages_claimed),
                str(w.pages_done),
                str(w.holding),
                f"{w.heartbeat_age:.0f} s ago",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    for w in listed:
        if w.current_url and w.state not in ("stopped", "done"):
            click.echo(f"{w.id}: {w.current_url}")


#: A worker silent this long is shown as lost (a heartbeat comes every third of its lease).
LOST_AFTER_SECONDS = 120.0


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig()
    main()
