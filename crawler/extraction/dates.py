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

from crawler.extraction.titles import normalize

CHINA_TZ: Final = timezone(timedelta(hours=8))

#: ``2023-05-12 10:21``, ``2023/5/12``, ``2023.05.12``, ``2023年5月12日 10:21``, ``20230512`` not
#: here (too ambiguous in text). Optional time and offset.
DATE_RE: Final = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*(?:[-/.]|年)\s*(?P<m>\d{1,2})\s*(?:[-/.]|月)\s*(?P<d>\d{1,2})"
    r"(?!\d)\s*日?"
    r"(?:\s*(?:T|\s|&nbsp;)?\s*(?:星期.|周.)?\s*(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{2}))?(?:\.\d+)?\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
)
#: ``发布时间：``, ``发表于``, ``發佈時間``, ``Published:``: a label that marks the publish date.
#: A bare ``时间：``/``日期：`` counts only when no word is glued before it: ``更新时间：``,
#: ``成文日期：`` and ``出生日期：`` label other dates.
PUBLISH_LABEL_RE: Final = re.compile(
    r"[发發][布佈表](?:[时時][间間]|日期|于|於)|刊发时间|出版日期|发稿时间|发文日期|公开日期|"
    r"上线时间|录入时间|添加时间|上传时间|(?<![\u3400-\u9fff])(?:时间|時間|日期)\s*[:：]"
    r"|published|posted\s+on|posted",
    re.I,
)
#: Labels of other dates (updates, edits, a document's signing or taking effect), weaker than
#: a publish label: their line is skipped when dates are taken without a label.
UPDATE_LABEL_RE: Final = re.compile(
    r"更新|修改|修订|最后编辑|成文|生效|施行|实施|废止|印发|截止|报名|出生|updated|modified|edited",
    re.I,
)
#: A site header's "today" (``今天是2024年6月3日 星期一``, ``欢迎访问 … 2024年6月3日``): the
#: date of the visit, never the article's.
TODAY_RE: Final = re.compile(
    r"今天是|今日是|今天\s*[:：]|今日\s*[:：]|当前时间|现在时间|现在是|欢迎(?:您|你)?(?:访问|光临|来到)"
)
#: A line that is a month and nothing else (``2003年5月``), as printed under the headline of a
#: report or an essay: the month it is dated, when no day is given.
MONTH_LINE_RE: Final = re.compile(
    r"^\s*(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月(?:份)?\s*$"
)
#: What is left of a line once a label has been matched at its end (the value is in the next
#: cell of a table layout: ``发布日期：`` | ``2022年01月28日``).
_LABEL_TAIL_RE: Final = re.compile(r"^[\s:：】\]）)]*$")
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

#: A news agency's or a paper's dateline at the head of the text: ``新华社北京2月12日电``,
#: ``中新网深圳12月28日电``, ``本报北京5月20日讯``, or in brackets ``（2月12日电）``. It gives
#: the day of the dispatch; the year comes from the page or the fetch time.
DATELINE_RE: Final = re.compile(
    r"(?:^[^\s，。！？：:()（）]{0,16}?|[（(]\s*)"
    r"(?:(?P<y>(?:19|20)\d{2})\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日\s*[电讯]"
    r"(?![视影话脑器力子梯池线])"
)
#: How many of the text's first lines may open with a dateline ...
_DATELINE_LINES: Final = 3
#: ... and how far into the line it may stand (after ``据``, an outlet, a city).
_DATELINE_REACH: Final = 40
#: A page date this many days from a dateline's day (in some year) gives it that year.
_DATELINE_NEAR_DAYS: Final = 183

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


def parse_month_line(line: str, max_date: date) -> str | None:
    """``2003年5月`` alone on a line: ``2003-05`` (None when it is not before ``max_date``)."""
    match = MONTH_LINE_RE.match(line)
    if match is None or not 1 <= int(match.group("m")) <= 12:
        return None
    month = f"{int(match.group('y')):04d}-{int(match.group('m')):02d}"
    return month if month <= max_date.isoformat()[:7] else None


def _in_year(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 2月29日 in a common year, 2月30日
        return None


def parse_dateline(
    lines: list[str], page_dates: list[date], url: str, max_date: date
) -> str | None:
    """The day of a dateline (``新华社北京2月12日电``) at the head of one of ``lines``.

    Without a year in it, the year is the one that puts the day nearest to a date printed
    on the page (within half a year), else to the URL's month, else the latest that is not
    after ``max_date``, the day of the fetch in the page's time zone: a dateline of 1月1日
    read on 31 December is a year old, one of 12月31日 read on 2 January two days old, and
    one of 1月1日 fetched at 17:00 UTC on 31 December (01:00 in Beijing) is that day's.
    """
    for line in lines:
        match = DATELINE_RE.search(line[:_DATELINE_REACH])
        if match is None:
            continue
        month, day = int(match.group("m")), int(match.group("d"))
        if match.group("y"):
            found = _in_year(int(match.group("y")), month, day)
        else:
            found = _dateline_year(month, day, page_dates, url, max_date)
        if found is not None and found <= max_date:
            return found.isoformat()
    return None


def _dateline_year(
    month: int, day: int, page_dates: list[date], url: str, max_date: date
) -> date | None:
    best: tuple[int, date] | None = None
    for seen in page_dates:
        for year in (seen.year - 1, seen.year, seen.year + 1):
            candidate = _in_year(year, month, day)
            if candidate is None or candidate > max_date:
                continue
            distance = abs((candidate - seen).days)
            if distance <= _DATELINE_NEAR_DAYS and (best is None or distance < best[0]):
                best = (distance, candidate)
    if best is not None:
        return best[1]
    match = URL_MONTH_RE.search(url) or URL_DATE_RE.search(url)
    if match is not None:
        seen = date(int(match.group("y")), int(match.group("m")), 1)
        candidates = [_in_year(y, month, day) for y in (seen.year - 1, seen.year, seen.year + 1)]
        near = [c for c in candidates if c is not None and c <= max_date]
        if near:
            return min(near, key=lambda c: abs((c - seen).days))
    for year in (max_date.year, max_date.year - 1):
        candidate = _in_year(year, month, day)
        if candidate is not None and candidate <= max_date:
            return candidate
    return None


def page_dates(lines: Iterable[str], max_date: date) -> list[date]:
    """The full dates printed in ``lines`` (footers and a header's "today" are skipped)."""
    found: list[date] = []
    for line in lines:
        if len(line) > 300 or FOOTER_RE.search(line) or TODAY_RE.search(line):
            continue
        for match in DATE_RE.finditer(line):
            day = _in_year(int(match.group("y")), int(match.group("m")), int(match.group("d")))
            if day is not None and day <= max_date:
                found.append(day)
    return found


def _labelled(lines: list[str], *, chinese: bool, max_date: date) -> str | None:
    """The first date after a publish label; the value may sit in the next cell/line."""
    for index, line in enumerate(lines):
        for label in PUBLISH_LABEL_RE.finditer(line):
            found = parse_date(line[label.start() :], chinese=chinese, max_date=max_date)
            if found:
                return found
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if _LABEL_TAIL_RE.match(line[label.end() :]) and len(following) <= 40:
                found = parse_date(following, chinese=chinese, max_date=max_date)
                if found:
                    return found
    return None


def _unlabelled(lines: list[str], *, chinese: bool, max_date: date) -> str | None:
    """The first date on a line that labels no other date (an update, a signing …)."""
    for line in lines:
        if UPDATE_LABEL_RE.search(line) and not PUBLISH_LABEL_RE.search(line):
            continue
        found = parse_date(line, chinese=chinese, max_date=max_date)
        if found:
            return found
    return None


def _with_time(lines: list[str], day: str, *, chinese: bool, max_date: date) -> str:
    """``day`` with its time of day when another line of the header gives the same day with
    one (``[ 日期：2026-11-05 ]`` in a paper's meta bar, then ``发布时间：2026-11-05 07:20``):
    the fuller value of the same date, never another date."""
    for line in lines:
        if UPDATE_LABEL_RE.search(line) and not PUBLISH_LABEL_RE.search(line):
            continue
        found = parse_date(line, chinese=chinese, max_date=max_date)
        if found and "T" in found and found.startswith(day + "T"):
            return found
    return day


def _header_regions(head: list[str], title: str | None, *, split_known: bool) -> list[list[str]]:
    """The article's own header first, then what sits above it.

    ``head`` starts at the headline. When the headline is printed again before the text (a
    portal's title block, then the reprinted document's own title, author and date; or a
    breadcrumb ending in the headline, then the ``<h1>``), the lines after the last copy
    are the article's own header and are searched first (only when the text's start is
    known: in a header of unknown extent a copy may be a line of the text). The headline's
    own words are removed from every line (``6月1日起新规施行`` names no publish date).
    """
    want = normalize(title) if title else ""
    last_copy = 0
    cleaned: list[str] = []
    for index, line in enumerate(head):
        norm = normalize(line)
        if want and want in norm:
            if index > 0 and norm == want and split_known:
                last_copy = index
            cleaned.append(line.replace(title or "", " ") if title and title in line else "")
        else:
            cleaned.append(line)
    if last_copy == 0:
        return [cleaned]
    return [cleaned[last_copy + 1 :], cleaned[: last_copy + 1]]


def extract_date(
    meta_dates: Iterable[str],
    near_title: list[str],
    all_lines: list[str],
    url: str,
    fetched_at: datetime,
    *,
    chinese: bool,
    title: str | None = None,
    text_start: int | None = None,
    headline_at: int | None = None,
    page_time: str | None = None,
) -> str | None:
    """The publish date, best evidence first (see the module docstring).

    ``near_title`` are the page's text lines from the headline on, up to the article's end
    when known; ``text_start`` is where the article text begins among them (the lines
    before it are the metadata bar). ``all_lines`` is the whole page, searched for a
    labelled publish date, a magazine issue, or as a last resort a timestamp;
    ``headline_at`` is the headline's index in it, when known (what stands above it is the
    site's header, whose date is the day of the visit).

    Order: meta tags and JSON-LD; the header under the headline (a labelled date, then any
    date, a month line, a relative date); the URL; on Chinese pages a dateline at the head
    of the text (``新华社北京2月12日电``, :func:`parse_dateline`); a labelled date anywhere on
    the page; a date in the article's first lines; a magazine issue; the page's first
    timestamp under the headline. Dates below the article (related lists, comments) and
    above the headline (the site header's "today") only count with a label.

    ``page_time`` is the ``datetime`` of the page's own bare ``<time>`` element
    (:func:`crawler.extraction.metadata.page_time`): it gives the date when the header
    gives none, and the time of day when the header gives the same day without one.
    """
    max_date = (fetched_at.astimezone(CHINA_TZ) if chinese else fetched_at).date() + timedelta(
        days=1
    )
    for value in meta_dates:
        found = parse_date(value, chinese=chinese, max_date=max_date)
        if found:
            return found
    timed = parse_date(page_time, chinese=chinese, max_date=max_date) if page_time else None

    def usable(line: str) -> str:
        return "" if FOOTER_RE.search(line) or TODAY_RE.search(line) else line

    near = [usable(line) for line in near_title]
    split = text_start if text_start is not None and 0 < text_start <= len(near) else len(near)
    head, text_top = near[:split], near[split:]
    regions = _header_regions(head, title, split_known=split < len(near))
    for region in regions:
        found = _labelled(region, chinese=chinese, max_date=max_date)
        found = found or _unlabelled(region, chinese=chinese, max_date=max_date)
        # A month alone on a line counts only under a known headline (elsewhere it is as
        # often a calendar widget's caption).
        for line in region if title else ():
            found = found or parse_month_line(line, max_date)
        for line in region:
            if not found and len(line) <= 60:
                found = parse_relative(line, fetched_at, chinese=chinese)
        if found and len(found) == 10:
            found = _with_time(region, found, chinese=chinese, max_date=max_date)
        if found and len(found) == 10 and timed is not None and timed[:10] == found:
            found = timed
        if found:
            return found
    if timed is not None:
        return timed
    found = date_from_url(url, max_date)
    if found:
        return found
    # Below the site's header: what stands above the headline is not the article's.
    below = all_lines[headline_at:] if headline_at is not None and headline_at >= 0 else all_lines
    if chinese:
        fetch_day = max_date - timedelta(days=1)
        found = parse_dateline(
            (text_top or near)[:_DATELINE_LINES], page_dates(below, fetch_day), url, fetch_day
        )
        if found:
            return found
    found = _labelled([usable(line) for line in all_lines], chinese=chinese, max_date=max_date)
    if found:
        return found
    found = _unlabelled(text_top, chinese=chinese, max_date=max_date)
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
    # copyright line is not; below the headline when it is known (a site's header shows
    # the visit's day, sometimes with a clock).
    for line in below:
        if len(line) <= 120 and usable(line):
            found = parse_date(line, chinese=chinese, max_date=max_date)
            if found and "T" in found:
                return found
    return None
