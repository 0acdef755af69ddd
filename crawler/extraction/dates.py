"""The publish date: meta tags and JSON-LD, the line near the headline, the URL, relative dates.

Output is ISO 8601: ``YYYY-MM-DDTHH:MM:SS+08:00`` when the page shows a time, ``YYYY-MM-DD``
when it shows a day, ``YYYY-MM`` when it only names a month (a magazine issue). Chinese pages
without a stated zone are in China time (+08:00). A time on a non-Chinese page without a stated
zone is not guessed: the day alone is returned, since assuming UTC could move the article to
another day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

CHINA_TZ: Final = timezone(timedelta(hours=8))

#: ``2023-05-12 10:21``, ``2023/5/12``, ``2023.05.12``, ``2023年5月12日 10:21``, ``20230512`` not
#: here (too ambiguous in text). Optional time and offset.
DATE_RE: Final = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})"
    r"(?!\d)\s*日?"
    r"(?:\s*(?:T|\s|&nbsp;)?\s*(?:星期.|周.)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{2}))?(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
#: ``发布时间：``, ``发表于``, ``Published:``: a label that marks the publish date.
PUBLISH_LABEL_RE: Final = re.compile(
    r"发布时间|发布日期|发表时间|发表日期|发表于|发布于|刊发时间|出版日期|发稿时间|时间\s*[:：]|日期\s*[:：]"
    r"|published|posted\s+on|posted",
    re.I,
)
#: Labels of other dates (updates, edits, print), weaker than a publish label.
UPDATE_LABEL_RE: Final = re.compile(r"更新时间|修改时间|最后更新|updated|modified", re.I)
#: Copyright, licence and footer lines: their years are never a publish date.
FOOTER_RE: Final = re.compile(r"版权|copyright|©|\(c\)|备案|ICP|all rights", re.I)
#: ``3小时前``, ``5分钟前``, ``2天前``, ``昨天 10:21``, ``前天``, ``今天 08:00``.
RELATIVE_RE: Final = re.compile(
    r"(?P<n>\d{1,3})\s*(?P<unit>秒|分钟|小时|天|日)前"
    r"|(?P<day>今天|今日|昨天|昨日|前天)\s*(?:(?P<H>\d{1,2})\s*[:：]\s*(?P<M>\d{2}))?"
)
#: ``5月12日 10:21`` without a year (this year, or last year when that would be in the future).
MONTH_DAY_RE: Final = re.compile(
    r"(?<![\d/.年-])(?P<m>\d{1,2})\s*(?:月|-)\s*(?P<d>\d{1,2})\s*日?\s+(?P<H>\d{1,2})[:：](?P<M>\d{2})"
)
#: Dates in URLs: ``/2023/05/12/``, ``/2023-05/12/``, ``/20230512/``, ``t20230512_``.
URL_DATE_RE: Final = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})[/_-]?(?P<m>0[1-9]|1[0-2])[/_-]?(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"
)
URL_MONTH_RE: Final = re.compile(r"/(?P<y>(?:19|20)\d{2})[/_-]?(?P<m>0[1-9]|1[0-2])/")

#: ``——《北京之春》1998年3月号``: a reprint citing the magazine issue it appeared in, which
#: dates it to a month only.
ISSUE_MONTH_RE: Final = re.compile(
    r"[《〈]([^》〉]{2,20})[》〉]\s*(?:第\s*)?(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月号"
)

#: Meta tags carrying the publish date, best first.
DATE_META_NAMES: Final[tuple[str, ...]] = (
    "article:published_time",
    "og:published_time",
    "og:release_date",
    "datepublished",
    "publishdate",
    "publish_date",
    "publish-date",
    "pubdate",
    "pubtime",
    "publishtime",
    "publish_time",
    "publication_date",
    "sailthru.date",
    "parsely-pub-date",
    "dc.date.issued",
    "dc.date",
    "dcterms.created",
    "date",
    "created",
    "apub:time",
    "weibo:article:create_at",
    "article:modified_time",
)


def _format(
    y: int,
    m: int,
    d: int,
    hh: int | None,
    mm: int | None,
    ss: int | None,
    tz: str | None,
    *,
    chinese: bool,
) -> str | None:
    try:
        day = date(y, m, d)
    except ValueError:
        return None
    if hh is None or mm is None or hh > 23 or mm > 59:
        return day.isoformat()
    if hh == mm == (ss or 0) == 0 and not tz:
        # ``2022-01-28 00:00:00``: a day stored as a timestamp, not a time shown on the page.
        return day.isoformat()
    zone: timezone | None
    if tz:
        if tz == "Z":
            zone = UTC
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            zone = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))
    elif chinese:
        zone = CHINA_TZ
    else:
        return day.isoformat()
    moment = datetime(y, m, d, hh, mm, min(ss or 0, 59), tzinfo=zone)
    return moment.isoformat(timespec="seconds")


def parse_date(text: str, *, chinese: bool, max_date: date | None = None) -> str | None:
    """The first full date (with its time, if any) in ``text``, formatted; None if none."""
    for match in DATE_RE.finditer(text):
        hh, mm, ss = match.group("H"), match.group("M"), match.group("S")
        value = _format(
            int(match.group("y")),
            int(match.group("m")),
            int(match.group("d")),
            int(hh) if hh else None,
            int(mm) if mm else None,
            int(ss) if ss else None,
            match.group("tz"),
            chinese=chinese,
        )
        if value is not None and (max_date is None or value[:10] <= max_date.isoformat()):
            return value
    return None


def parse_relative(text: str, fetched_at: datetime, *, chinese: bool) -> str | None:
    """``3小时前``, ``昨天 10:21`` …, resolved against ``fetched_at``."""
    match = RELATIVE_RE.search(text)
    now = fetched_at.astimezone(CHINA_TZ) if chinese else fetched_at
    if match is not None:
        if match.group("n"):
            n = int(match.group("n"))
            unit = match.group("unit")
            delta = {
                "秒": timedelta(seconds=n),
                "分钟": timedelta(minutes=n),
                "小时": timedelta(hours=n),
            }.get(unit, timedelta(days=n))
            moment = now - delta
            if unit in {"天", "日"}:
                return moment.date().isoformat()
            return moment.replace(second=0, microsecond=0).isoformat(timespec="seconds")
        offset = {"今天": 0, "今日": 0, "昨天": 1, "昨日": 1, "前天": 2}[match.group("day")]
        day = (now - timedelta(days=offset)).date()
        if match.group("H"):
            return _format(
                day.year,
                day.month,
                day.day,
                int(match.group("H")),
                int(match.group("M")),
                0,
                None if chinese else "Z",
                chinese=chinese,
            )
        return day.isoformat()
    match = MONTH_DAY_RE.search(text)
    if match is not None:
        year = now.year
        month, dom = int(match.group("m")), int(match.group("d"))
        try:
            if date(year, month, dom) > now.date():
                year -= 1
        except ValueError:
            return None
        return _format(
            year, month, dom, int(match.group("H")), int(match.group("M")), 0, None, chinese=chinese
        )
    return None


def date_from_url(url: str, max_date: date) -> str | None:
    match = URL_DATE_RE.search(url)
    if match is not None:
        try:
            day = date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        except ValueError:
            return None
        return day.isoformat() if day <= max_date else None
    return None


def extract_date(
    meta_dates: Iterable[str],
    near_title: list[str],
    all_lines: list[str],
    url: str,
    fetched_at: datetime,
    *,
    chinese: bool,
) -> str | None:
    """The publish date, best evidence first (see the module docstring).

    ``near_title`` are the page's text lines from the headline on (the metadata bar lives
    there); ``all_lines`` is the whole page, searched only for a labelled publish date.
    """
    max_date = (fetched_at.astimezone(CHINA_TZ) if chinese else fetched_at).date() + timedelta(
        days=1
    )
    for value in meta_dates:
        found = parse_date(value, chinese=chinese, max_date=max_date)
        if found:
            return found
    lines = [line for line in near_title if not FOOTER_RE.search(line)]
    # A labelled publish date near the headline, then any date there, then relative forms.
    for line in lines:
        label = PUBLISH_LABEL_RE.search(line)
        if label is not None:
            found = parse_date(line[label.start() :], chinese=chinese, max_date=max_date)
            if found:
                return found
    for line in lines:
        if UPDATE_LABEL_RE.search(line) and not PUBLISH_LABEL_RE.search(line):
            continue
        found = parse_date(line, chinese=chinese, max_date=max_date)
        if found:
            return found
    for line in lines:
        if len(line) <= 60:
            found = parse_relative(line, fetched_at, chinese=chinese)
            if found:
                return found
    found = date_from_url(url, max_date)
    if found:
        return found
    for line in all_lines:
        label = PUBLISH_LABEL_RE.search(line)
        if label is not None and not FOOTER_RE.search(line):
            found = parse_date(line[label.start() :], chinese=chinese, max_date=max_date)
            if found:
                return found
    # A magazine issue cited by a reprint: the month is all the page says.
    for line in all_lines:
        issue = ISSUE_MONTH_RE.search(line) if len(line) <= 80 else None
        if issue is not None and 1 <= int(issue.group("m")) <= 12:
            month = f"{int(issue.group('y')):04d}-{int(issue.group('m')):02d}"
            if month <= max_date.isoformat()[:7]:
                return month
    # Last resort: the page's first date with a time of day (a post's timestamp), which a
    # site header's "today" (a day without a time) or a copyright line is not.
    for line in all_lines:
        if len(line) <= 120 and not FOOTER_RE.search(line):
            found = parse_date(line, chinese=chinese, max_date=max_date)
            if found and "T" in found:
                return found
    return None
