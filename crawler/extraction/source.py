"""The originating outlet of an article (``来源:``, ``转载自``, ``…讯``/``…电`` leads, outlet
prefixes of bylines, ``本报讯`` on a known paper's site), with abbreviations expanded."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from crawler.extraction.text import HAN

#: Well-known abbreviations and variants → the outlet's full name.
OUTLETS: Final[dict[str, str]] = {
    "南都": "南方都市报",
    "南方都市报": "南方都市报",
    "南都即时": "南方都市报",
    "南方日报": "南方日报",
    "南方网": "南方网",
    "新京报": "新京报",
    "澎湃": "澎湃新闻",
    "澎湃新闻": "澎湃新闻",
    "人民网": "人民网",
    "人民日报": "人民日报",
    "新华社": "新华社",
    "新华网": "新华网",
    "中新社": "中国新闻社",
    "中国新闻社": "中国新闻社",
    "中新网": "中国新闻网",
    "中国新闻网": "中国新闻网",
    "深圳特区报": "深圳特区报",
    "深圳商报": "深圳商报",
    "晶报": "晶报",
    "深圳晚报": "深圳晚报",
    "羊城晚报": "羊城晚报",
    "羊城晚报记者": "羊城晚报",
    "金羊网": "金羊网",
    "广州日报": "广州日报",
    "信息时报": "信息时报",
    "北京青年报": "北京青年报",
    "北青报": "北京青年报",
    "北京日报": "北京日报",
    "北京晚报": "北京晚报",
    "光明日报": "光明日报",
    "光明网": "光明网",
    "经济日报": "经济日报",
    "中国青年报": "中国青年报",
    "中青报": "中国青年报",
    "中国日报": "中国日报",
    "环球时报": "环球时报",
    "环球网": "环球网",
    "央视新闻": "央视新闻",
    "央视网": "央视网",
    "央广网": "央广网",
    "中国网": "中国网",
    "法制日报": "法制日报",
    "法治日报": "法治日报",
    "工人日报": "工人日报",
    "解放日报": "解放日报",
    "文汇报": "文汇报",
    "新民晚报": "新民晚报",
    "界面新闻": "界面新闻",
    "界面": "界面新闻",
    "第一财经": "第一财经",
    "财新": "财新",
    "21世纪经济报道": "21世纪经济报道",
    "每日经济新闻": "每日经济新闻",
    "每经": "每日经济新闻",
    "红星新闻": "红星新闻",
    "上游新闻": "上游新闻",
    "封面新闻": "封面新闻",
    "潇湘晨报": "潇湘晨报",
    "扬子晚报": "扬子晚报",
    "钱江晚报": "钱江晚报",
    "华西都市报": "华西都市报",
    "齐鲁晚报": "齐鲁晚报",
    "楚天都市报": "楚天都市报",
    "现代快报": "现代快报",
    "北京商报": "北京商报",
    "证券时报": "证券时报",
    "中国证券报": "中国证券报",
    "上海证券报": "上海证券报",
    "大河报": "大河报",
    "华商报": "华商报",
    "成都商报": "成都商报",
    "重庆晨报": "重庆晨报",
    "参考消息": "参考消息",
    "中国经济网": "中国经济网",
    "央视": "中央广播电视总台",
    "总台": "中央广播电视总台",
    "财联社": "财联社",
    "证券时报网": "证券时报网",
    "新浪财经": "新浪财经",
    "21世纪经济报道记者": "21世纪经济报道",
}

#: Site hosts whose own paper ``本报讯`` refers to.
SITE_PAPERS: Final[dict[str, str]] = {
    "oeeee.com": "南方都市报",
    "nddaily.com": "南方都市报",
    "bjnews.com.cn": "新京报",
    "thepaper.cn": "澎湃新闻",
    "people.com.cn": "人民日报",
    "sznews.com": "深圳特区报",
    "ycwb.com": "羊城晚报",
    "dayoo.com": "广州日报",
    "ynet.com": "北京青年报",
    "gmw.cn": "光明日报",
    "chinadaily.com.cn": "中国日报",
    "cyol.com": "中国青年报",
    "southcn.com": "南方日报",
    "xinhuanet.com": "新华社",
    "news.cn": "新华社",
    "chinanews.com.cn": "中国新闻网",
    "chinanews.com": "中国新闻网",
}

#: Values of ``来源`` that name no outlet.
PLACEHOLDER_SOURCES: Final[frozenset[str]] = frozenset(
    {
        "网络",
        "互联网",
        "本站",
        "本网",
        "原创",
        "网友",
        "未知",
        "佚名",
        "综合",
        "网络整理",
        "转载",
        "整理",
    }
)

#: ``来源：新京报 作者：…``: the label, then the outlet up to the next label or punctuation.
SOURCE_LABEL_RE: Final = re.compile(
    r"(?:来源|來源|稿源|出处|转载自|转自|消息来源|文章来源|信息来源|source)\s*[:：]?\s*"
    r"[【\[（(]?\s*([^\s:：|丨｜【】\[\]（）()<>，,。;；]{2,30})",
    re.IGNORECASE,
)
#: Words that start the next label in a metadata bar, cut from a ``来源`` value.
_NEXT_LABEL_RE: Final = re.compile(
    r"(?:作者|编辑|责任编辑|记者|发布|时间|日期|点击|浏览|阅读|字号|分享|评论|通讯员|\d{4}).*$"
)
#: ``新京报讯``, ``南都讯``, ``新华社北京5月12日电``, ``中新网北京5月12日电``: a dateline lead.
LEAD_RE: Final = re.compile(
    rf"^[\s【\[（(]*([{HAN}]{{2,8}}?)(?:讯|(?:[{HAN}]{{2,6}})?\d{{1,2}}月\d{{1,2}}日(?:电|讯))"
)

#: A newspaper's edition line, the paper then the day and the page it was printed on:
#: ``南方都市报 2026-11-05 A07版``, ``《人民日报》（2024年05月20日 第 04 版）``,
#: ``北京日报 2024年5月20日 第5版``. A paper's site prints it where a portal prints ``来源``.
EDITION_RE: Final = re.compile(
    rf"(?:^|[\s|｜])《?([{HAN}]{{1,10}}[报刊])》?\s*[（(]?\s*"
    r"(?:19|20)\d{2}\s*[-年./]\s*\d{1,2}\s*[-月./]\s*\d{1,2}\s*日?\s*"
    r"(?:星期[一二三四五六日天]\s*)?第?\s*[A-Za-z]{0,2}\s*\d{1,3}\s*版"
)


_OUTLETS_LONGEST_FIRST: Final = sorted(OUTLETS, key=len, reverse=True)


def expand_outlet(name: str) -> str:
    """Full name of a known outlet abbreviation, else the name unchanged."""
    return OUTLETS.get(name, name)


def clean_source(value: str) -> str | None:
    value = _NEXT_LABEL_RE.sub("", value.strip()).strip(" -_|·:：")
    if len(value) < 2 or value in PLACEHOLDER_SOURCES or value.lower() in {"admin", "unknown"}:
        return None
    return expand_outlet(value)


def paper_of_site(site: str) -> str | None:
    """The paper whose ``本报讯`` a page on ``site`` means, when the site is known."""
    for host, paper in SITE_PAPERS.items():
        if site == host or site.endswith("." + host):
            return paper
    return None


def source_from_lead(line: str, site: str) -> str | None:
    """Outlet named by a dateline lead (``新京报讯``, ``新华社北京5月12日电``)."""
    match = LEAD_RE.match(line)
    if match is None:
        return None
    lead = line[match.start(1) :]
    if lead.startswith(("本报", "本刊", "本网")):
        return paper_of_site(site)
    for abbr in _OUTLETS_LONGEST_FIRST:
        if lead.startswith(abbr):
            return OUTLETS[abbr]
    name = match.group(1)
    if name.endswith(("报", "社", "网", "新闻", "台")):
        return name
    return None


def extract_source(
    labelled: Iterable[str],
    leads: Iterable[str],
    byline_outlets: Iterable[str],
    site: str,
    header: Iterable[str] = (),
) -> str | None:
    """The outlet, from ``来源`` values first, then dateline leads, then a paper's edition
    line in the ``header`` (metadata bars and the lines under the headline), then byline
    prefixes."""
    for text in labelled:
        for match in SOURCE_LABEL_RE.finditer(text):
            value = clean_source(match.group(1))
            if value:
                return value
    for line in leads:
        value = source_from_lead(line, site)
        if value:
            return value
    for line in header:
        edition = EDITION_RE.search(line)
        if edition is not None:
            return expand_outlet(edition.group(1))
    for outlet in byline_outlets:
        if outlet in {"本报", "本刊", "本网"}:
            paper = paper_of_site(site)
            if paper:
                return paper
            continue
        return expand_outlet(outlet)
    return None
