"""Rebuild archived articles from their archived pages, without the network.

A better extractor then improves old crawls: each article's latest page is read back from its
WARC record and extracted again; an article whose fields change gets a new revision (the
extractor version is part of what counts as a change).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime

from archive.store import Archive, PageFetch
from archive.warc import read_response
from crawler.extraction import PageResult

logger = logging.getLogger(__name__)

Extractor = Callable[..., PageResult]


def _charset(headers: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    for name, value in headers:
        if name.lower() == "content-type":
            for part in value.split(";")[1:]:
                key, _, charset = part.strip().partition("=")
                if key.lower() == "charset" and charset:
                    return value, charset.strip("\"' ")
            return value, None
    return None, None


def reextract_archive(
    archive: Archive, extract: Extractor, *, on_article: Callable[[], object] | None = None
) -> dict[str, int]:
    """Extract every article again from its stored page; returns counts by outcome.

    Articles whose page is not in the WARC files (imported ones, say) are left as they are.
    An article stitched from several pages keeps only what its first page gives.
    """
    counts: Counter[str] = Counter()
    for record, location, fetched_url in archive.iter_latest_pages():
        if on_article is not None:
            on_article()
        if location is None:
            counts["no_page"] += 1
            continue
        try:
            page = read_response(archive.warc_dir, location)
        except (OSError, ValueError) as exc:
            counts["unreadable_page"] += 1
            logger.warning("cannot read the page of %s: %s", record.url, exc)
            continue
        content_type, charset = _charset(page.headers)
        result = extract(
            page.body,
            fetched_url or record.url,
            http_charset=charset,
            content_type=content_type,
            fetched_at=page.fetched_at if isinstance(page.fetched_at, datetime) else None,
        )
        if result.article is None:
            counts["not_article"] += 1
            continue
        fresh = result.article
        fresh.url = record.url
        fresh.site = record.site
        fresh.fetched_at = record.fetched_at
        fresh.profile = record.profile
        outcome = archive.upsert_article(
            fresh,
            PageFetch(
                url=fetched_url or record.url,
                status=page.status,
                fetched_at=record.fetched_at,
                warc=location,
            ),
        ).outcome
        counts[outcome] += 1
    return dict(counts)
