"""Extraction health per site and run: the ``run_site_health`` table, and the drops flagged
against each site's previous runs.

A crawl counts, per site, what it saw (``crawler/health.py``: responses, articles read and how
many of them have an author, a date, a source, a section, their median text length, known
articles found unchanged) and saves the figures when it ends (:func:`save_run_health`).
:func:`run_site_health` reads them back for a set of runs: it is the one function that the CLI
and a web page read, so that they agree. :func:`health_report` lists runs with their sites'
figures and flags what fell against the site's previous runs:

- a share (author, date, source, section) lower by more than ``margin`` than the same site's
  share over its previous runs, when both sides read at least ``min_sample`` articles;
- a median text length under half the previous runs' (a body cut to a teaser);
- no article seen on a site that answered (and not with a 304: a quiet site), where the
  previous runs saw some; and, for a profile's runs, a site the previous run saw articles on
  and this run did not reach at all.

The previous runs are the last ``baseline_runs`` runs of the same profile (or of plain URLs)
that ended ``finished`` or ``degraded`` with figures. A lasting drop is therefore flagged for
up to that many runs and then becomes the site's new normal; a profile's alert thresholds
(``crawler/alerts.py``) are the absolute line, which keeps firing on every run that reads
enough articles.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, RowMapping, delete, insert, or_, select
from sqlalchemy.orm import Session

from archive.db import guarded_write
from archive.models import CrawlRun, RunSiteHealth
from archive.rows import same_profile

#: The fields whose presence is counted, as :meth:`SiteHealth.share` names them.
SHARE_FIELDS: Final[tuple[str, ...]] = ("author", "date", "source", "section")

#: Run statuses whose figures make a baseline: a run that failed, was interrupted or was shut
#: down saw only part of its sites.
BASELINE_STATUSES: Final[tuple[str, ...]] = ("finished", "degraded")

#: Defaults of :func:`health_report` (and of ``newsarchive health``).
DEFAULT_MARGIN: Final = 0.2
DEFAULT_MIN_SAMPLE: Final = 5
DEFAULT_BASELINE_RUNS: Final = 3

#: A median text length below this fraction of the baseline's is flagged.
SHORTER_TEXT_RATIO: Final = 0.5

# IN lists are sent in chunks well under SQLite's and PostgreSQL's parameter limits.
_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class SiteHealth:
    """What one run saw of one site (or several runs pooled, for a baseline)."""

    site: str
    #: Article records read (extracted): new, updated, unchanged or duplicate alike.
    articles: int = 0
    with_author: int = 0
    with_date: int = 0
    with_source: int = 0
    with_section: int = 0
    #: Median length of the articles' text in characters; None without articles.
    median_text_chars: int | None = None
    #: Known articles seen but not read: answered 304, or linked and not due for a recheck.
    known_unchanged: int = 0
    #: Responses from the site (robots.txt aside), and how many of them were 304.
    pages: int = 0
    not_modified: int = 0

    @property
    def seen(self) -> int:
        """Articles the run saw: read, or known and found unchanged."""
        return self.articles + self.known_unchanged

    @property
    def quiet(self) -> bool:
        """No article seen, and a page answered 304: the site said nothing changed (its
        listing's links were not read again), which is no sign of a broken template."""
        return self.seen == 0 and self.not_modified > 0

    def share(self, name: str) -> float:
        """The share (0 to 1) of the articles read with ``name`` (``author``, ``date``, ...)."""
        count: int = getattr(self, f"with_{name}")
        return count / self.articles if self.articles else 0.0

    def to_json_dict(self) -> dict[str, Any]:
        """The figures as JSON values, with ``seen`` and each share (null without articles)."""
        figures: dict[str, Any] = {
            "site": self.site,
            "pages": self.pages,
            "not_modified": self.not_modified,
            "articles": self.articles,
            "known_unchanged": self.known_unchanged,
            "seen": self.seen,
        }
        for name in SHARE_FIELDS:
            figures[f"with_{name}"] = getattr(self, f"with_{name}")
        for name in SHARE_FIELDS:
            figures[f"{name}_share"] = round(self.share(name), 4) if self.articles else None
        figures["median_text_chars"] = self.median_text_chars
        return figures


_COUNTS: Final = tuple(
    f.name for f in fields(SiteHealth) if f.name not in ("site", "median_text_chars")
)


def pooled(rows: Sequence[SiteHealth]) -> SiteHealth:
    """Several runs' figures of one site as one: counts summed, the median of the medians."""
    medians = [r.median_text_chars for r in rows if r.median_text_chars is not None]
    return SiteHealth(
        site=rows[0].site,
        median_text_chars=int(statistics.median(medians)) if medians else None,
        **{name: sum(getattr(r, name) for r in rows) for name in _COUNTS},
    )


@guarded_write
def save_run_health(engine: Engine, run_id: int, rows: Iterable[SiteHealth]) -> None:
    """Store the figures of run ``run_id``, one row per site (replacing any stored before)."""
    values = [
        {"run_id": run_id, "site": r.site[:255], "median_text_chars": r.median_text_chars}
        | {name: getattr(r, name) for name in _COUNTS}
        for r in rows
    ]
    with engine.begin() as conn:
        conn.execute(delete(RunSiteHealth).where(RunSiteHealth.run_id == run_id))
        if values:
            conn.execute(insert(RunSiteHealth), values)


def run_site_health(engine: Engine, run_ids: Iterable[int]) -> dict[int, list[SiteHealth]]:
    """The figures of each of ``run_ids`` by site, most articles seen first.

    A run without figures (interrupted, still running, or recorded before the table existed)
    maps to an empty list.
    """
    wanted = list(dict.fromkeys(run_ids))
    found: dict[int, list[SiteHealth]] = {run_id: [] for run_id in wanted}
    with engine.connect() as conn:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            query = select(RunSiteHealth).where(RunSiteHealth.run_id.in_(chunk))
            for row in conn.execute(query).mappings():
                found[row["run_id"]].append(_health_of(row))
    for sites in found.values():
        sites.sort(key=lambda s: (-s.seen, s.site))
    return found


def _health_of(row: RowMapping) -> SiteHealth:
    return SiteHealth(**{f.name: row[f.name] for f in fields(SiteHealth)})


# -- the report ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HealthFlag:
    """Something that fell against the site's previous runs."""

    #: ``share_drop``, ``shorter_text``, ``no_articles`` or ``not_reached``.
    kind: str
    #: The share's field (``author``, ``date``, ``source``, ``section``) for a share drop.
    field: str | None
    before: float
    now: float

    def describe(self) -> str:
        if self.kind == "share_drop":
            return f"{self.field} share {self.before:.0%} -> {self.now:.0%}"
        if self.kind == "shorter_text":
            return f"median text {self.before:.0f} -> {self.now:.0f} chars"
        if self.kind == "not_reached":
            return f"not reached (previous run: {self.before:.0f} articles)"
        return f"no articles (before: {self.before:.0f} a run)"

    def to_json_dict(self) -> dict[str, Any]:
        """The flag as JSON values, with its message."""
        return {
            "kind": self.kind,
            "field": self.field,
            "before": self.before,
            "now": self.now,
            "message": self.describe(),
        }


@dataclass(frozen=True, slots=True)
class SiteReport:
    """One site's figures in one run, its baseline, and what fell."""

    health: SiteHealth
    #: The site's figures over its previous runs, pooled; None when it has none.
    baseline: SiteHealth | None
    baseline_runs: int
    flags: tuple[HealthFlag, ...]

    def to_json_dict(self) -> dict[str, Any]:
        """The site's figures, flags and baseline as JSON values: one row of ``newsarchive
        health --json`` and of the API's runs."""
        return {
            **self.health.to_json_dict(),
            "flags": [flag.to_json_dict() for flag in self.flags],
            "baseline_runs": self.baseline_runs,
            "baseline": self.baseline.to_json_dict() if self.baseline else None,
        }


@dataclass(frozen=True, slots=True)
class RunHealth:
    """A run, with each site's figures and flags."""

    run_id: int
    started_at: datetime
    finished_at: datetime | None
    status: str
    profile: str | None
    sites: list[SiteReport]
    #: False for a run without figures (interrupted, running, or older than the table).
    recorded: bool


def site_flags(
    now: SiteHealth,
    baseline: SiteHealth | None,
    baseline_runs: int,
    *,
    margin: float = DEFAULT_MARGIN,
    min_sample: int = DEFAULT_MIN_SAMPLE,
) -> tuple[HealthFlag, ...]:
    """What fell in ``now`` against ``baseline`` (``baseline_runs`` runs pooled)."""
    if baseline is None or baseline_runs < 1:
        return ()
    flags: list[HealthFlag] = []
    if now.seen == 0 and baseline.seen > 0 and not now.quiet:
        flags.append(HealthFlag("no_articles", None, baseline.seen / baseline_runs, 0))
    if now.articles >= min_sample and baseline.articles >= min_sample:
        for name in SHARE_FIELDS:
            before, after = baseline.share(name), now.share(name)
            if before - after > margin:
                flags.append(HealthFlag("share_drop", name, before, after))
        if (
            now.median_text_chars is not None
            and baseline.median_text_chars is not None
            and now.median_text_chars < baseline.median_text_chars * SHORTER_TEXT_RATIO
        ):
            flags.append(
                HealthFlag("shorter_text", None, baseline.median_text_chars, now.median_text_chars)
            )
    return tuple(flags)


def health_report(
    engine: Engine,
    *,
    sites: Sequence[str] = (),
    since: datetime | None = None,
    profile: str | None = None,
    limit: int = 20,
    margin: float = DEFAULT_MARGIN,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    baseline_runs: int = DEFAULT_BASELINE_RUNS,
    run_ids: Sequence[int] | None = None,
) -> list[RunHealth]:
    """The latest ``limit`` runs (started at or after ``since``, of ``profile``), newest first,
    each with its sites' figures and what fell against their previous runs.

    ``sites`` keeps the rows of those sites only (host, with the port when it has one), and the
    runs that recorded one of them, or belong to a profile that did. ``run_ids`` keeps those
    runs only (the ones a page lists); their baselines are read all the same.
    """
    wanted_sites = [s.lower() for s in sites]
    query = select(CrawlRun).order_by(CrawlRun.id.desc()).limit(limit)
    if run_ids is not None:
        query = query.where(CrawlRun.id.in_(list(run_ids)))
    if profile is not None:
        query = query.where(CrawlRun.profile == profile)
    if since is not None:
        query = query.where(CrawlRun.started_at >= since)
    if wanted_sites:
        with_site = select(RunSiteHealth.run_id).where(RunSiteHealth.site.in_(wanted_sites))
        profiles_with_site = (
            select(CrawlRun.profile).where(CrawlRun.id.in_(with_site.scalar_subquery())).distinct()
        )
        query = query.where(
            or_(
                CrawlRun.id.in_(with_site.scalar_subquery()),
                CrawlRun.profile.in_(profiles_with_site.scalar_subquery()),
            )
        )
    with Session(engine) as session:
        listed = list(session.execute(query).scalars())
        previous = {
            key: _baseline_candidates(
                session, key, [r.id for r in listed if r.profile == key], baseline_runs
            )
            for key in {r.profile for r in listed}
        }
        runs = [(r.id, r.started_at, r.finished_at, r.status, r.profile) for r in listed]
    figures = run_site_health(
        engine, [r[0] for r in runs] + [i for ids in previous.values() for i in ids]
    )
    by_site = {run_id: {s.site: s for s in rows} for run_id, rows in figures.items()}
    report = []
    for run_id, started_at, finished_at, status, run_profile in runs:
        earlier = [i for i in previous[run_profile] if i < run_id][:baseline_runs]
        reports = []
        for health in figures[run_id]:
            history = [by_site[i][health.site] for i in earlier if health.site in by_site[i]]
            baseline = pooled(history) if history else None
            flags = site_flags(health, baseline, len(history), margin=margin, min_sample=min_sample)
            reports.append(SiteReport(health, baseline, len(history), flags))
        if run_profile is not None and figures[run_id] and earlier:
            # A site the previous run saw articles on, and this run did not reach at all.
            last = by_site[earlier[0]]
            for site, before in sorted(last.items()):
                if site not in by_site[run_id] and before.seen > 0:
                    flag = HealthFlag("not_reached", None, before.seen, 0)
                    reports.append(SiteReport(SiteHealth(site), before, 1, (flag,)))
        if wanted_sites:
            reports = [r for r in reports if r.health.site in wanted_sites]
        report.append(
            RunHealth(
                run_id=run_id,
                started_at=started_at,
                finished_at=finished_at,
                status=status,
                profile=run_profile,
                sites=reports,
                recorded=bool(figures[run_id]),
            )
        )
    return report


def _baseline_candidates(
    session: Session, profile: str | None, listed: list[int], baseline_runs: int
) -> list[int]:
    """Ids of the runs of ``profile`` that may be a baseline for the ``listed`` ones, newest
    first: those with figures that ended well from the oldest listed to the newest, and the
    ``baseline_runs`` before the oldest."""
    good = select(CrawlRun.id).where(
        same_profile(profile, CrawlRun.profile),
        CrawlRun.status.in_(BASELINE_STATUSES),
        CrawlRun.id.in_(select(RunSiteHealth.run_id).scalar_subquery()),
    )
    oldest, newest = min(listed), max(listed)
    within = session.execute(
        good.where(CrawlRun.id >= oldest, CrawlRun.id < newest).order_by(CrawlRun.id.desc())
    ).scalars()
    before = session.execute(
        good.where(CrawlRun.id < oldest).order_by(CrawlRun.id.desc()).limit(baseline_runs)
    ).scalars()
    return [*within, *before]
