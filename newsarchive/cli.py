"""The ``newsarchive`` command line. Thin: the crawler, archive and exports do the work.

Every failure a user can cause (a bad URL, database, file or query) ends in one line on stderr
that says what to do, and a non-zero exit status; never a traceback.
"""

from __future__ import annotations

import io
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
@click.argument("urls", nargs=-1, required=True)
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "--max-pages",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Stop after fetching this many pages (0: no limit).",
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
def crawl(
    urls: tuple[str, ...],
    db_url: str | None,
    max_pages: int,
    user_agent: str | None,
    contact_url: str | None,
    log_level: str,
    overrides: tuple[str, ...],
) -> None:
    """Crawl the sites of URLS and archive every article page found.

    Listing pages under each start URL's folder are followed (with their pagination), and
    article pages anywhere on its host, including related-article links.
    """
    for url in urls:
        if not url.startswith(("http://", "https://")):
            _fail(f"not an http(s) URL: {url!r} (start URLs look like https://example.com/news/)")
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
    report = _crawl(list(urls), db_url, max_pages, settings)
    click.echo(report.summary())
    if not report.ok:
        _fail("none of the start URLs could be fetched: check the addresses and your network")


def _crawl(urls: list[str], db_url: str | None, max_pages: int, settings: dict[str, Any]) -> Any:
    _open_archive(db_url).close()  # fail fast, in one line, on a bad database
    from crawler.run import run_crawl

    return run_crawl(urls, db_url=db_url, max_pages=max_pages, settings=settings)


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (atomically) instead of standard output.",
)
def export(db_url: str | None, output: Path | None) -> None:
    """Export every archived article as JSONL, one article per line."""
    from exports.jsonl import export_jsonl_file, write_jsonl

    archive = _open_archive(db_url, create=False)
    try:
        records = archive.iter_articles()
        if output is None:
            # UTF-8 whatever the locale says: the export format is UTF-8 JSONL.
            out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
            try:
                write_jsonl(records, out)
                out.flush()
            finally:
                out.detach()
        else:
            count = export_jsonl_file(records, output)
            click.echo(f"exported {count} articles to {output}", err=True)
    except ArchiveError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")
    except Exception as exc:  # a database error mid-stream: one line, not a traceback
        if type(exc).__module__.startswith("sqlalchemy"):
            _fail(f"cannot read the archive: {str(exc).splitlines()[0]}")
        raise
    finally:
        archive.close()


@main.command()
@click.argument("query")
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON line per hit: export fields, score, snippet."
)
def search(query: str, db_url: str | None, limit: int, as_json: bool) -> None:
    """Find archived articles by words in their title or text (Chinese too: 罗湖)."""
    from exports.jsonl import dumps_record

    archive = _open_archive(db_url, create=False)
    try:
        hits = archive.search(query, limit=limit)
    except (QueryError, ArchiveError) as exc:
        _fail(str(exc))
    finally:
        archive.close()
    if as_json:
        for hit in hits:
            click.echo(
                dumps_record(
                    {**hit.article.to_json_dict(), "score": hit.score, "snippet": hit.snippet}
                )
            )
        return
    if not hits:
        click.echo(f"no articles match {query!r}")
        return
    for rank, hit in enumerate(hits, 1):
        record = hit.article
        click.echo(click.style(f"{rank}. {record.title or '(untitled)'}", bold=True))
        click.echo(f"   {record.published_at or 'date unknown'} · {record.site} · {record.url}")
        click.echo(f"   {hit.snippet}")


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
def demo(db_url: str | None, query: str) -> None:
    """Serve the bundled sample news sites on 127.0.0.1, crawl them, and search the result."""
    from newsarchive.demo.server import DemoServer

    archive = _open_archive(db_url)
    archive.close()
    with DemoServer() as server:
        for site in server.sites:
            click.echo(f"serving demo site {site.name!r} at {site.base_url}")
        # Our own local server: no need to throttle.
        report = _crawl(
            server.start_urls, db_url, 0, {"AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING"}
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


@main.command(name="eval")
@click.argument("corpus", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--no-baseline", is_flag=True, help="Skip the bare trafilatura baseline.")
def eval_(corpus: Path, no_baseline: bool) -> None:
    """Score extraction on a labelled corpus (laid out like shared/eval/dev) against trafilatura."""
    from crawler.evaluation import evaluate_corpus, format_report

    with click.progressbar(length=1, label="scoring", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            report = evaluate_corpus(corpus, with_baseline=not no_baseline, progress=progress)
        except (OSError, ValueError) as exc:
            _fail(f"cannot read the corpus {corpus}: {exc}")
    click.echo(format_report(report))


@main.command()
@click.option("--db", "db_url", metavar="DB_URL", help=_DB_HELP)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def runs(db_url: str | None, limit: int) -> None:
    """List recent crawl runs with their statistics."""
    archive = _open_archive(db_url, create=False)
    try:
        for run in archive.list_runs(limit):
            c = run.counters
            ended = run.finished_at.isoformat(timespec="seconds") if run.finished_at else "-"
            started = run.started_at.isoformat(timespec="seconds")
            click.echo(
                f"#{run.id} {run.status:11} {started} -> {ended}"
                f"  pages {c['pages_fetched']}, new {c['articles_new']}, updated"
                f" {c['articles_updated']}, unchanged {c['articles_unchanged']},"
                f" skipped {c['pages_skipped']}, errors {c['errors']}"
                f"  {' '.join(run.start_urls)}"
            )
    finally:
        archive.close()


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig()
    main()
