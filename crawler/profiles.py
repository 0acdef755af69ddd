"""Site profiles: what to watch, read from one TOML file of ``[[profiles]]`` tables.

A profile names a site (or a group of sites) to crawl: where to start, which URLs are articles
and which listings to follow, how deep and how much, which articles to keep, when to run and how
politely. This module only reads and validates the file; it imports nothing of Scrapy and does no
I/O beyond reading that file, so the crawl command, the scheduler and the tests share it.

Keys of a ``[[profiles]]`` table (``examples/README.md`` has the same reference as a table)::

    name                 required; unique in the file; [a-z0-9_-]+
    start_urls           list of http(s) URLs of pages to start from             default []
    feeds                list of http(s) URLs of RSS/Atom feeds                  default []
    sitemaps             list of http(s) URLs of sitemaps                        default []
                         (at least one of start_urls, feeds, sitemaps)
    allowed_hosts        list of host names; a host allows its subdomains too
                         (ports are ignored)                  default: the hosts of the URLs above
    article_patterns     list of regexes searched in the whole URL: article pages
                         default []: the crawler's own URL rules decide
    follow_patterns      list of regexes searched in the whole URL: listing pages to follow
                         default []: the crawler's own URL rules decide
    max_depth            whole number >= 0, links followed from a start page; 0: unlimited
    max_pages            whole number >= 0, pages fetched per crawl; 0: unlimited
    keywords             list of strings: keep only articles whose title or text mentions one
                         (case-insensitive, NFKC-normalised); default []: keep every article
    timezone             IANA time zone name of the schedule        default "Asia/Shanghai"
    schedule             cron expression, 5 fields (minute hour day-of-month month day-of-week),
                         or @hourly, @daily, @weekly, @monthly, @yearly; default: not scheduled
    recheck_after_days   whole number >= 0: days before a known article is fetched again;
                         0: every crawl                                          default 7

    [profiles.politeness]  (optional; a key left out keeps crawler/settings.py's value)
    download_delay       number >= 0, seconds between requests to one host
    concurrency_per_host whole number >= 1, requests in flight per host
    autothrottle         true or false
    user_agent           non-empty string (default: newsarchive/VERSION (+contact URL))

    [profiles.alerts]  (optional; thresholds a run must meet, checked when it ends)
    min_articles         whole number >= 0: articles seen (read, or known and unchanged)
    min_author_share     number 0-1: share of the articles read that have an author
    min_date_share       number 0-1: share of the articles read that have a date
    max_error_share      number 0-1: failed requests (errors, 5xx) among those made
    min_sample           whole number >= 1: articles read below which shares are not judged
                         default 5
    webhook              http(s) URL: POST a JSON message there when a threshold is broken

robots.txt is always obeyed: an ``obey_robots_txt`` key is an error, not a setting.

Errors are one line each, naming the file, the line, the field, what is wrong and what is
expected: ``profiles.toml:12: profiles[1].max_pages: expected a whole number ≥ 0, got "ten"``.
:func:`check_profiles` returns every error; :func:`load_profiles` raises :class:`ProfileError`
with the first one.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
import unicodedata
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from cronsim import CronSim, CronSimError

DEFAULT_TIMEZONE: Final = "Asia/Shanghai"
DEFAULT_RECHECK_AFTER_DAYS: Final = 7

NAME_RE: Final = re.compile(r"[a-z0-9_-]+")

#: Cron's named schedules, as the 5-field expressions they stand for.
CRON_ALIASES: Final = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}

PROFILE_KEYS: Final = (
    "name",
    "start_urls",
    "feeds",
    "sitemaps",
    "allowed_hosts",
    "article_patterns",
    "follow_patterns",
    "max_depth",
    "max_pages",
    "keywords",
    "timezone",
    "schedule",
    "recheck_after_days",
    "politeness",
    "alerts",
)
POLITENESS_KEYS: Final = ("download_delay", "concurrency_per_host", "autothrottle", "user_agent")
ALERT_KEYS: Final = (
    "min_articles",
    "min_author_share",
    "min_date_share",
    "max_error_share",
    "min_sample",
    "webhook",
)
#: Articles a run must read before its shares are judged against the alert thresholds.
DEFAULT_ALERT_MIN_SAMPLE: Final = 5

_ROBOTS_MESSAGE: Final = "not configurable: newsarchive always obeys robots.txt; remove this key"


class ProfileError(Exception):
    """A profile file that cannot be used. ``str(error)`` is one line: file, line, field, why.

    ``errors`` holds every error found in the file, one line each, the first one first.
    """

    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.errors: list[str] = list(errors) or [message]


@dataclass(frozen=True, slots=True)
class Politeness:
    """How gently to crawl. ``None`` keeps the project's setting (``crawler/settings.py``)."""

    download_delay: float | None = None
    concurrency_per_host: int | None = None
    autothrottle: bool | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Alerts:
    """Thresholds every run of the profile must meet (``None``: not checked), and the URL that
    hears of a run that does not (see ``crawler/alerts.py``)."""

    min_articles: int | None = None
    min_author_share: float | None = None
    min_date_share: float | None = None
    max_error_share: float | None = None
    min_sample: int = DEFAULT_ALERT_MIN_SAMPLE
    webhook: str | None = None

    @property
    def enabled(self) -> bool:
        """Whether any threshold is set."""
        return any(
            value is not None
            for value in (
                self.min_articles,
                self.min_author_share,
                self.min_date_share,
                self.max_error_share,
            )
        )


@dataclass(frozen=True, slots=True)
class Profile:
    """One site profile, validated. Lists are tuples, patterns compiled, the schedule 5 fields."""

    name: str
    start_urls: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    article_patterns: tuple[re.Pattern[str], ...] = ()
    follow_patterns: tuple[re.Pattern[str], ...] = ()
    max_depth: int = 0
    max_pages: int = 0
    keywords: tuple[str, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    schedule: str | None = None
    recheck_after_days: int = DEFAULT_RECHECK_AFTER_DAYS
    politeness: Politeness = field(default_factory=Politeness)
    alerts: Alerts = field(default_factory=Alerts)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The profile's time zone (validated when the profile was loaded)."""
        return zoneinfo.ZoneInfo(self.timezone)

    def next_run_after(self, moment: datetime) -> datetime | None:
        """The first time after ``moment`` (aware) when the schedule fires, in the profile's zone.

        ``None`` when the profile has no schedule.
        """
        if self.schedule is None:
            return None
        if moment.tzinfo is None:
            raise ValueError("next_run_after needs an aware datetime")
        return next(CronSim(self.schedule, moment.astimezone(self.zone)))

    def settings_overrides(self) -> dict[str, object]:
        """Scrapy settings for this profile's crawl; keys it leaves unset keep the project's."""
        overrides: dict[str, object] = {}
        polite = self.politeness
        if polite.download_delay is not None:
            overrides["DOWNLOAD_DELAY"] = polite.download_delay
        if polite.concurrency_per_host is not None:
            overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = polite.concurrency_per_host
        if polite.autothrottle is not None:
            overrides["AUTOTHROTTLE_ENABLED"] = polite.autothrottle
        if polite.user_agent is not None:
            overrides["USER_AGENT"] = polite.user_agent
        if self.max_pages:
            # The same pair the spider's max_pages argument sets.
            overrides["NEWSARCHIVE_MAX_PAGES"] = self.max_pages
            overrides["CLOSESPIDER_PAGECOUNT"] = self.max_pages
        if self.max_depth:
            overrides["DEPTH_LIMIT"] = self.max_depth
        return overrides

    def is_article_url(self, url: str) -> bool | None:
        """Whether ``url`` is an article by ``article_patterns``; None when there are none."""
        if not self.article_patterns:
            return None
        return any(pattern.search(url) for pattern in self.article_patterns)

    def should_follow(self, url: str) -> bool | None:
        """Whether ``url`` is a listing to follow by ``follow_patterns``; None without any."""
        if not self.follow_patterns:
            return None
        return any(pattern.search(url) for pattern in self.follow_patterns)

    def allows_host(self, url: str) -> bool:
        """Whether ``url``'s host is one of ``allowed_hosts`` or a subdomain of one."""
        try:
            host = (urlsplit(url).hostname or "").rstrip(".")
        except ValueError:
            return False
        return any(
            host == allowed or host.endswith("." + allowed) for allowed in self.allowed_hosts
        )

    def matches_keywords(self, title: str | None, text: str | None) -> bool:
        """Whether title or text mentions a keyword (NFKC, case-insensitive); True without any."""
        if not self.keywords:
            return True
        haystack = _fold(f"{title or ''}\n{text or ''}")
        return any(_fold(keyword) in haystack for keyword in self.keywords)


def _fold(text: str) -> str:
    # NFKC turns full-width letters and digits (ＡＢＣ１２３) into ASCII; casefold then lowers.
    return unicodedata.normalize("NFKC", text).casefold()


def load_profiles(path: Path) -> list[Profile]:
    """The profiles of the TOML file at ``path``; :class:`ProfileError` on the first problem."""
    profiles, errors = _load(path)
    if errors:
        more = f" (and {len(errors) - 1} more errors)" if len(errors) > 1 else ""
        raise ProfileError(errors[0] + more, errors)
    return profiles


def check_profiles(path: Path) -> list[str]:
    """Every problem of the profile file at ``path``, one line each; empty when it is valid."""
    return _load(path)[1]


def find_profile(profiles: Iterable[Profile], name: str, path: Path | None = None) -> Profile:
    """The profile called ``name``; :class:`ProfileError` naming the known ones otherwise."""
    profiles = list(profiles)
    for profile in profiles:
        if profile.name == name:
            return profile
    names = [p.name for p in profiles]
    where = f"{path}: " if path is not None else ""
    close = difflib.get_close_matches(name, names, n=1)
    hint = f'did you mean "{close[0]}"? ' if close else ""
    raise ProfileError(
        f'{where}no profile named "{name}"; {hint}profiles: {", ".join(names) or "(none)"}'
    )


# --- reading ---------------------------------------------------------------------------------


def _load(path: Path) -> tuple[list[Profile], list[str]]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [f"{path}: cannot read the profile file: {exc.strerror or exc}"]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [], [
            f"{path}:{line}: not UTF-8 (byte {raw[exc.start]:#04x}); save the file as UTF-8"
        ]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [_syntax_error(path, text, str(exc))]
    reader = _Reader(path, _Locator(text))
    profiles = reader.read(data)
    return profiles, reader.sorted_errors()


_TOML_POSITION_RE: Final = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _syntax_error(path: Path, text: str, message: str) -> str:
    match = _TOML_POSITION_RE.search(message)
    if match:
        reason = message[: match.start()]
        line, column = match.group(1), match.group(2)
        return f"{path}:{line}: TOML syntax error at column {column}: {reason}; expected valid TOML"
    reason = message.replace(" (at end of document)", "")
    line = 1
    if message.endswith("(at end of document)"):
        line = max(1, len(text.splitlines()))
    return f"{path}:{line}: TOML syntax error: {reason}; expected valid TOML"


def _show(value: object) -> str:
    """A value as the user wrote it in TOML, shortened."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (str, list)):
        shown = json.dumps(value, ensure_ascii=False, default=str)
    else:
        shown = str(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."


def _suggest(key: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f'did you mean "{close[0]}"?'
    return "expected one of: " + ", ".join(known)


def _is_robots_key(key: str) -> bool:
    return "robots" in key.lower().replace("_", "").replace("-", "")


class _Reader:
    """Validates the parsed document, collecting one line per error."""

    def __init__(self, path: Path, locator: _Locator) -> None:
        self.path = path
        self.loc = locator
        self._errors: list[tuple[int, str]] = []

    @property
    def errors(self) -> list[str]:
        return [message for _, message in self._errors]

    def error(self, line: int | None, where: str, problem: str) -> None:
        self._errors.append((line or 1, f"{self.path}:{line or 1}: {where}: {problem}"))

    def read(self, data: dict[str, object]) -> list[Profile]:
        for key in data:
            if key != "profiles":
                self.error(
                    self.loc.root_key_line(key),
                    key,
                    f"unknown top-level key; {_suggest(key, ['profiles'])}"
                    " (each profile is a [[profiles]] table)",
                )
        tables = data.get("profiles")
        if tables is None:
            self.error(1, "profiles", "no [[profiles]] table; expected at least one")
            return []
        if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
            self.error(
                self.loc.root_key_line("profiles"),
                "profiles",
                f"expected [[profiles]] tables, got {_show(tables)}",
            )
            return []
        profiles: list[Profile] = []
        seen: dict[str, int] = {}
        for index, table in enumerate(tables):
            name = table.get("name")
            if isinstance(name, str) and name in seen:
                first = seen[name]
                self.error(
                    self.loc.key_line(index, "name"),
                    f"profiles[{index}].name",
                    f'duplicate name "{name}" (profiles[{first}] on line'
                    f" {self.loc.key_line(first, 'name') or '?'} has it);"
                    " expected a name used once",
                )
            elif isinstance(name, str):
                seen[name] = index
            profile = _ProfileReader(self, index, table).read()
            if profile is not None:
                profiles.append(profile)
        return profiles if not self.errors else []

    def sorted_errors(self) -> list[str]:
        """The errors in the order of their lines in the file."""
        return [message for _, message in sorted(self._errors, key=lambda e: e[0])]


class _ProfileReader:
    """Reads one ``[[profiles]]`` table."""

    def __init__(self, reader: _Reader, index: int, table: dict[str, object]) -> None:
        self.reader = reader
        self.index = index
        self.table = table
        self.ok = True

    # -- reporting ----------------------------------------------------------------------------

    def where(self, key: str, sub: str | None = None) -> str:
        return f"profiles[{self.index}].{key}" + (f".{sub}" if sub else "")

    def line(self, key: str | None, sub: str | None = None, item: object = None) -> int | None:
        loc = self.reader.loc
        found = None
        if key is not None:
            found = loc.key_line(self.index, key, sub, item)
        return found or loc.profile_line(self.index)

    def fail(self, key: str, problem: str, *, sub: str | None = None, item: object = None) -> None:
        self.ok = False
        where = self.where(key, sub)
        if isinstance(item, int) and not isinstance(item, bool):
            where += f"[{item}]"
            values = self.table.get(key) if sub is None else None
            item = values[item] if isinstance(values, list) and item < len(values) else None
        self.reader.error(self.line(key, sub, item), where, problem)

    # -- reading ------------------------------------------------------------------------------

    def read(self) -> Profile | None:
        table = self.table
        for key in table:
            if _is_robots_key(key):
                self.fail(key, _ROBOTS_MESSAGE)
            elif key in POLITENESS_KEYS:
                self.fail(
                    key, "belongs in the politeness table; move it under [profiles.politeness]"
                )
            elif key not in PROFILE_KEYS:
                self.fail(key, f"unknown key; {_suggest(key, PROFILE_KEYS)}")

        name = self.name()
        errors_before = len(self.reader.errors)
        start_urls = self.urls("start_urls")
        feeds = self.urls("feeds")
        sitemaps = self.urls("sitemaps")
        if not (start_urls or feeds or sitemaps) and len(self.reader.errors) == errors_before:
            self.ok = False
            self.reader.error(
                self.line(None),
                f"profiles[{self.index}]",
                "no source; expected at least one of start_urls, feeds, sitemaps",
            )
        allowed_hosts = self.hosts()
        if not allowed_hosts:
            allowed_hosts = _hosts_of([*start_urls, *feeds, *sitemaps])
        article_patterns = self.patterns("article_patterns")
        follow_patterns = self.patterns("follow_patterns")
        max_depth = self.whole("max_depth", 0)
        max_pages = self.whole("max_pages", 0)
        keywords = self.strings("keywords")
        timezone = self.timezone()
        schedule = self.schedule()
        recheck = self.whole("recheck_after_days", DEFAULT_RECHECK_AFTER_DAYS)
        politeness = self.politeness()
        alerts = self.alerts()
        if not self.ok or name is None:
            return None
        return Profile(
            name=name,
            start_urls=start_urls,
            feeds=feeds,
            sitemaps=sitemaps,
            allowed_hosts=allowed_hosts,
            article_patterns=article_patterns,
            follow_patterns=follow_patterns,
            max_depth=max_depth,
            max_pages=max_pages,
            keywords=keywords,
            timezone=timezone,
            schedule=schedule,
            recheck_after_days=recheck,
            politeness=politeness,
            alerts=alerts,
        )

    def name(self) -> str | None:
        if "name" not in self.table:
            self.ok = False
            self.reader.error(
                self.line(None),
                self.where("name"),
                'missing; expected a name such as name = "luohu" ([a-z0-9_-]+)',
            )
            return None
        value = self.table["name"]
        if not isinstance(value, str) or not NAME_RE.fullmatch(value):
            self.fail(
                "name",
                "expected a name of lower-case letters, digits, _ and - ([a-z0-9_-]+),"
                f" got {_show(value)}",
            )
            return None
        return value

    def string_list(self, key: str, expected: str, example: str) -> list[str] | None:
        """The list at ``key`` when it is a list of strings (reported otherwise); [] if absent."""
        value = self.table.get(key, [])
        if isinstance(value, str):
            self.fail(
                key, f"expected a list of {expected}, e.g. [{_show(value)}], got {_show(value)}"
            )
            return None
        if not isinstance(value, list):
            self.fail(key, f"expected a list of {expected}, e.g. [{example}], got {_show(value)}")
            return None
        good = True
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.fail(key, f"expected {expected[:-1]}, got {_show(item)}", item=i)
                good = False
        return value if good else None

    def urls(self, key: str) -> tuple[str, ...]:
        values = self.string_list(key, "http(s) URLs", '"https://example.com/news/"')
        if values is None:
            return ()
        good: list[str] = []
        for i, url in enumerate(values):
            problem = _url_problem(url)
            if problem:
                self.fail(key, f"{problem}; expected an http(s) URL, got {_show(url)}", item=i)
            else:
                good.append(url.strip())
        return tuple(good)

    def hosts(self) -> tuple[str, ...]:
        values = self.string_list("allowed_hosts", "host names", '"www.szlh.gov.cn"')
        if values is None:
            return ()
        hosts: list[str] = []
        for i, value in enumerate(values):
            host = value.strip().lower().rstrip(".")
            if not host or not re.fullmatch(r"[^\s/:?#@]+", host):
                self.fail(
                    "allowed_hosts",
                    "expected a host name such as www.szlh.gov.cn (no scheme, port or path),"
                    f" got {_show(value)}",
                    item=i,
                )
            elif host not in hosts:
                hosts.append(host)
        return tuple(hosts)

    def patterns(self, key: str) -> tuple[re.Pattern[str], ...]:
        values = self.string_list(key, "regular expressions", r"'/content/post_\d+\.html$'")
        if values is None:
            return ()
        compiled: list[re.Pattern[str]] = []
        for i, value in enumerate(values):
            try:
                compiled.append(re.compile(value))
            except re.error as exc:
                self.fail(
                    key,
                    f"bad regular expression {_show(value)}: {exc.msg} at position {exc.pos};"
                    " expected a Python regex (in TOML, write it in '...' so \\ stays as is)",
                    item=i,
                )
        return tuple(compiled)

    def strings(self, key: str) -> tuple[str, ...]:
        values = self.string_list(key, "strings", '"罗湖"')
        if values is None:
            return ()
        good: list[str] = []
        for i, value in enumerate(values):
            if not value.strip():
                self.fail(key, 'expected a non-empty string, got ""', item=i)
            else:
                good.append(value.strip())
        return tuple(good)

    def whole(self, key: str, default: int, *, minimum: int = 0, sub: str | None = None) -> int:
        table = self.table if sub is None else self.subtable(key)
        name = key if sub is None else sub
        if name not in table:
            return default
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            if sub is None:
                self.fail(key, f"expected a whole number ≥ {minimum}, got {_show(value)}")
            else:
                self.fail(key, f"expected a whole number ≥ {minimum}, got {_show(value)}", sub=sub)
            return default
        return value

    def timezone(self) -> str:
        value = self.table.get("timezone", DEFAULT_TIMEZONE)
        if not isinstance(value, str):
            self.fail(
                "timezone",
                f'expected an IANA time zone name such as "{DEFAULT_TIMEZONE}", got {_show(value)}',
            )
            return DEFAULT_TIMEZONE
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, sorted(zoneinfo.available_timezones()), n=1)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            self.fail(
                "timezone",
                f"unknown time zone {_show(value)}; {hint}"
                f'expected an IANA name such as "{DEFAULT_TIMEZONE}"',
            )
            return DEFAULT_TIMEZONE
        return value

    def schedule(self) -> str | None:
        if "schedule" not in self.table:
            return None
        value = self.table["schedule"]
        expected = (
            "expected a cron expression of 5 fields (minute hour day month weekday),"
            ' e.g. "0 * * * *", or @hourly/@daily'
        )
        if not isinstance(value, str):
            self.fail("schedule", f"{expected}, got {_show(value)}")
            return None
        problem = cron_problem(value)
        if problem is not None:
            self.fail("schedule", f"{problem}; {expected}, got {_show(value)}")
            return None
        return normalize_cron(value)

    def subtable(self, key: str) -> dict[str, object]:
        value = self.table.get(key, {})
        return value if isinstance(value, dict) else {}

    def politeness(self) -> Politeness:
        if "politeness" not in self.table:
            return Politeness()
        table = self.table["politeness"]
        if not isinstance(table, dict):
            self.fail(
                "politeness",
                "expected a table ([profiles.politeness] or politeness = {download_delay = 2}),"
                f" got {_show(table)}",
            )
            return Politeness()
        for key in table:
            if _is_robots_key(key):
                self.fail("politeness", _ROBOTS_MESSAGE, sub=key)
            elif key not in POLITENESS_KEYS:
                self.fail("politeness", f"unknown key; {_suggest(key, POLITENESS_KEYS)}", sub=key)

        delay: float | None = None
        if "download_delay" in table:
            value = table["download_delay"]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not math.isfinite(value)
                or value < 0
            ):
                self.fail(
                    "politeness",
                    f"expected a number of seconds ≥ 0, got {_show(value)}",
                    sub="download_delay",
                )
            else:
                delay = float(value)
        concurrency: int | None = None
        if "concurrency_per_host" in table:
            concurrency = self.whole("politeness", 0, minimum=1, sub="concurrency_per_host") or None
        autothrottle: bool | None = None
        if "autothrottle" in table:
            value = table["autothrottle"]
            if isinstance(value, bool):
                autothrottle = value
            else:
                self.fail(
                    "politeness", f"expected true or false, got {_show(value)}", sub="autothrottle"
                )
        user_agent: str | None = None
        if "user_agent" in table:
            value = table["user_agent"]
            if isinstance(value, str) and value.strip() and "\n" not in value:
                user_agent = value.strip()
            else:
                self.fail(
                    "politeness",
                    f"expected a non-empty one-line string, got {_show(value)}",
                    sub="user_agent",
                )
        return Politeness(delay, concurrency, autothrottle, user_agent)

    def alerts(self) -> Alerts:
        if "alerts" not in self.table:
            return Alerts()
        table = self.table["alerts"]
        if not isinstance(table, dict):
            self.fail(
                "alerts",
                "expected a table ([profiles.alerts] or alerts = {min_author_share = 0.5}),"
                f" got {_show(table)}",
            )
            return Alerts()
        for key in table:
            if key not in ALERT_KEYS:
                self.fail("alerts", f"unknown key; {_suggest(key, ALERT_KEYS)}", sub=key)
        min_articles = (
            self.whole("alerts", 0, sub="min_articles") if "min_articles" in table else None
        )
        shares = {key: self.share(table, key) for key in ALERT_KEYS if key.endswith("_share")}
        min_sample = self.whole("alerts", DEFAULT_ALERT_MIN_SAMPLE, minimum=1, sub="min_sample")
        webhook: str | None = None
        if "webhook" in table:
            value = table["webhook"]
            problem = _url_problem(value) if isinstance(value, str) else "not a string"
            if problem:
                self.fail(
                    "alerts",
                    f"{problem}; expected an http(s) URL such as"
                    f' "https://hooks.example.com/newsarchive", got {_show(value)}',
                    sub="webhook",
                )
            else:
                webhook = str(value).strip()
        alerts = Alerts(
            min_articles=min_articles,
            min_author_share=shares["min_author_share"],
            min_date_share=shares["min_date_share"],
            max_error_share=shares["max_error_share"],
            min_sample=min_sample,
            webhook=webhook,
        )
        if webhook is not None and not alerts.enabled and self.ok:
            self.fail(
                "alerts",
                "a webhook without a threshold is never called; expected at least one of"
                " min_articles, min_author_share, min_date_share, max_error_share",
                sub="webhook",
            )
        return alerts

    def share(self, table: dict[str, object], key: str) -> float | None:
        """A share between 0 and 1 of ``[profiles.alerts]``, or None when left out."""
        if key not in table:
            return None
        value = table[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not 0 <= value <= 1  # NaN fails this too
        ):
            self.fail(
                "alerts",
                f"expected a share between 0 and 1 (0.8 for 80%), got {_show(value)}",
                sub=key,
            )
            return None
        return float(value)


def _url_problem(url: str) -> str | None:
    """Why ``url`` is not a usable http(s) URL, or None."""
    url = url.strip()
    if any(ch.isspace() for ch in url):
        return "contains white space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"not a URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "not http or https" if parts.scheme else "no scheme"
    if not parts.hostname:
        return "no host"
    return None


def _hosts_of(urls: Iterable[str]) -> tuple[str, ...]:
    hosts: list[str] = []
    for url in urls:
        host = (urlsplit(url).hostname or "").rstrip(".")
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def normalize_cron(expression: str) -> str:
    """``expression`` as 5 space-separated fields (cron's @-names expanded)."""
    stripped = expression.strip()
    return CRON_ALIASES.get(stripped.lower(), " ".join(stripped.split()))


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a usable 5-field cron expression, or None."""
    expr = normalize_cron(expression)
    if expr.startswith("@"):
        return f"unknown name {expr.split()[0]}"
    fields = expr.split()
    if len(fields) != 5:
        return f"{len(fields)} fields"
    try:
        # A fixed start keeps validation pure; a schedule that never fires stops the search.
        next(CronSim(expr, datetime(2000, 1, 1)))
    except CronSimError as exc:
        return str(exc).lower() or "invalid"
    except StopIteration:
        return "never fires"
    return None


# --- where things are in the file ------------------------------------------------------------

_HEADER_RE: Final = re.compile(
    r"""^\s*(?P<open>\[\[?)\s*(?P<name>[A-Za-z0-9_"'.\s-]+?)\s*\]\]?\s*(?:\#.*)?$"""
)
_KEY_RE: Final = re.compile(
    r"""^\s*(?P<q>["']?)(?P<key>[^"'=\s.\#]+)(?P=q)\s*(?:\.\s*(?P<q2>["']?)(?P<sub>[^"'=\s.]+)(?P=q2)\s*)?="""
)


def _dotted(name: str) -> list[str]:
    return [part.strip().strip("\"'") for part in name.split(".")]


@dataclass(slots=True)
class _Section:
    header_line: int
    # key -> (first line, last line) of its value; sub-table keys as "politeness.download_delay"
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)


class _Locator:
    """Finds line numbers in the raw TOML text, which tomllib does not report for values.

    Good for files written the usual way: one ``key = value`` per line (arrays may run over
    several), ``[[profiles]]`` headers, ``[profiles.politeness]`` sub-tables, inline tables and
    dotted keys. Comments and the inside of multi-line strings are not mistaken for keys.
    """

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.root = _Section(header_line=1)
        self.profiles: list[_Section] = []
        self._scan()

    def _scan(self) -> None:
        current: _Section | None = self.root
        prefix = ""
        last_key: str | None = None
        in_string: str | None = None
        for number, line in enumerate(self.lines, 1):
            stripped = line.strip()
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if not stripped or stripped.startswith("#"):
                continue
            header = _HEADER_RE.match(line) if stripped.startswith("[") else None
            key_match = _KEY_RE.match(line)
            if header is not None and key_match is None:
                path = _dotted(header.group("name"))
                last_key = None
                if path == ["profiles"] and header.group("open") == "[[":
                    current, prefix = _Section(header_line=number), ""
                    self.profiles.append(current)
                elif path[0] == "profiles" and len(path) == 2 and self.profiles:
                    current, prefix = self.profiles[-1], path[1] + "."
                    current.keys.setdefault(path[1], (number, number))
                else:
                    self.root.keys.setdefault(path[0], (number, number))
                    current = None
            elif current is not None and key_match is not None:
                key = prefix + key_match.group("key")
                if key_match.group("sub"):
                    current.keys.setdefault(key, (number, number))
                    key = f"{key}.{key_match.group('sub')}"
                current.keys[key] = (number, number)
                last_key = key
            elif current is not None and last_key is not None:
                first, _ = current.keys[last_key]
                current.keys[last_key] = (first, number)  # a value running over several lines
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote

    def profile_line(self, index: int) -> int | None:
        return self.profiles[index].header_line if index < len(self.profiles) else None

    def root_key_line(self, key: str) -> int | None:
        span = self.root.keys.get(key)
        if span is not None:
            return span[0]
        for section in self.profiles[:1]:
            return section.header_line
        return None

    def key_line(
        self, index: int, key: str, sub: str | None = None, item: object = None
    ) -> int | None:
        if index >= len(self.profiles):
            return None
        keys = self.profiles[index].keys
        span = keys.get(f"{key}.{sub}") if sub else None
        if span is None:
            span = keys.get(key)  # an inline table, or the key itself
        if span is None:
            return None
        first, last = span
        if isinstance(item, str) and item:
            for number in range(first, last + 1):
                if item in self.lines[number - 1]:
                    return number
        return first
