"""Per-site figures of one crawl run, counted as the crawl goes.

The spider and the archive pipeline tell a :class:`HealthTally` what they saw: each response
(:meth:`~HealthTally.page`), each article record handed to the archive
(:meth:`~HealthTally.article`), each known article found unchanged without being read
(:meth:`~HealthTally.known`: a 304, or a link to an article not due for a recheck). When the run
ends, :meth:`~HealthTally.rows` gives one :class:`~archive.health.SiteHealth` per site, which
the run's record keeps (``run_site_health``) and the profile's alert thresholds are judged on.

Why counted here and not computed from the archive afterwards: an article found unchanged is
not written, so the archive holds nothing of it for this run, and a run that changed nothing
would have no figures; the article row keeps only its latest version, so an older run's
figures could not be computed later either. Counting in memory costs no query per page.
"""

from __future__ import annotations

import statistics
from array import array
from dataclasses import dataclass, field
from typing import Final

from archive.health import SiteHealth
from archive.record import ArticleRecord, site_of

#: Known articles counted (each once) per run at most: the set that tells them apart must not
#: grow with a sitemap of a million known URLs. Beyond it, known articles go uncounted.
MAX_KNOWN_COUNTED: Final = 100_000


@dataclass(slots=True)
class _SiteCounts:
    pages: int = 0
    not_modified: int = 0
    with_author: int = 0
    with_date: int = 0
    with_source: int = 0
    with_section: int = 0
    known_unchanged: int = 0
    #: Text length of each article read ("I": 4 bytes an article).
    lengths: array[int] = field(default_factory=lambda: array("I"))

    def health(self, site: str) -> SiteHealth:
        return SiteHealth(
            site=site,
            articles=len(self.lengths),
            with_author=self.with_author,
            with_date=self.with_date,
            with_source=self.with_source,
            with_section=self.with_section,
            median_text_chars=int(statistics.median(self.lengths)) if self.lengths else None,
            known_unchanged=self.known_unchanged,
            pages=self.pages,
            not_modified=self.not_modified,
        )


class HealthTally:
    """What one run saw of each site. Holds no Scrapy object; one per :class:`CrawlState`."""

    def __init__(self) -> None:
        self._sites: dict[str, _SiteCounts] = {}
        self._known: set[int] = set()

    def _site(self, site: str) -> _SiteCounts:
        counts = self._sites.get(site)
        if counts is None:
            counts = self._sites[site] = _SiteCounts()
        return counts

    def page(self, url: str, status: int) -> None:
        """A response from ``url`` (any status; 304 counted apart)."""
        counts = self._site(site_of(url))
        counts.pages += 1
        if status == 304:
            counts.not_modified += 1

    def article(self, record: ArticleRecord) -> None:
        """An article record read on this run and handed to the archive."""
        counts = self._site(record.site or site_of(record.url))
        counts.lengths.append(min(len(record.text), 0xFFFFFFFF))
        counts.with_author += bool(record.authors)
        counts.with_date += record.published_at is not None
        counts.with_source += bool(record.source)
        counts.with_section += bool(record.section)

    def known(self, url: str) -> None:
        """A known article found unchanged without reading it (each URL counted once)."""
        key = hash(url)
        if key in self._known or len(self._known) >= MAX_KNOWN_COUNTED:
            return
        self._known.add(key)
        self._site(site_of(url)).known_unchanged += 1

    def rows(self) -> list[SiteHealth]:
        """One row per site seen, most articles seen first."""
        rows = [counts.health(site) for site, counts in self._sites.items()]
        return sorted(rows, key=lambda r: (-r.seen, r.site))
