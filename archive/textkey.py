"""The text key: what makes two pages of one site the same article, whatever their headlines.

A site serves one article under several URLs that the URL rules cannot tie together: a copy
cross-posted under another headline, a print version (``?print=1``, ``/print/...``), a mobile
page on ``m.`` (``wap.``, ...). Their bodies differ, if at all, by lines of page furniture
that extraction may or may not have removed: the site footer (``地址：… 邮编：…``, ICP numbers,
``版权所有``, ``建议使用1366×768分辨率浏览``), editor, share and source lines, a metadata bar
or the page's own URL printed above the text, the headline repeated as its first line.

:func:`text_key` hashes the body with those lines left out, after NFKC, case folding and with
all whitespace removed. Two pages of one site (:func:`site_family`) with equal keys hold one
text: the archive stores it once and makes the other URLs aliases (``same_text``), and the
crawl follows the links of such copies only a few hops (``NEWSARCHIVE_MAX_STALE_HOPS``).

The line kinds are the archive's to define because the archive imports nothing else of the
project; the extractor's cleaning (``crawler/extraction/clean.py``) removes the same kinds from
``text`` and may import them from here. Leaving a real line out of a key can only merge two
texts that differ in nothing but such lines; a text too short to tell pages apart (a notice
such as ``本页面内容正在更新``) has no key at all (:data:`MIN_KEY_CHARS`).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
from typing import Final

#: Fewest characters (whitespace not counted) of the kept text for a key: below this, texts
#: are notices and templates ("本页面内容正在更新", "该信息已删除", a paywall line) that
#: different pages share, and merging them would lose articles.
MIN_KEY_CHARS: Final = 100
#: A text of a single kept line needs this many: a one-line notice may be long-winded, while
#: an article of one paragraph this long is rare enough to store twice when it is copied.
MIN_ONE_LINE_CHARS: Final = 200

#: Credits of the desk, not of the writing: ``责任编辑：王五``, ``（编辑 李四）``, ``审核/校对：…``,
#: ``Editing by …``.
EDITOR_LINE_RE: Final = re.compile(
    r"^[\s【\[（(]*(?:(?:责任编辑|责编)\s*[:：/|丨]?|(?:编辑|审核|校对|值班编辑|审校|终审|初审|复审|"
    r"编审|美编|监制|统筹|视频编辑|图片编辑|新媒体编辑|网络编辑)\s*[:：/|丨\s])[^。！？!?]{0,30}$"
    r"|^\(?(?:(?:reporting|writing|additional reporting) by .{1,80}?[;,]\s*)?"
    r"(?:edited|editing) by [^.!?]{1,60}\)?\.?$",
    re.I,
)
#: Share bars and page tools: ``分享到：``, ``扫一扫``, ``【打印】【关闭】``, ``字号：大 中 小``,
#: ``上一篇：…``, ``Share this article``.
SHARE_LINE_RE: Final = re.compile(
    r"^[\s【\[（(]*(?:分享到|分享至|分享[:：]|一键分享|扫一扫|微信扫一扫|扫描二维码|打开微信|"
    r"打印本页|打印此页|打印文章|关闭窗口|关闭本页|【?字号|字体[:：]|上一篇|下一篇|上一条|下一条|"
    r"返回顶部|返回首页|返回列表|收藏本文|加入收藏|【?打印】|【?关闭】|【?纠错】|"
    r"share (?:this|on|via)|share[:：]|print (?:this|article|page)|email (?:this|article)|"
    r"follow us on|back to top)",
    re.I,
)
#: Interface words alone on a line.
UI_WORDS: Final = frozenset(
    {
        "分享",
        "打印",
        "关闭",
        "收藏",
        "返回",
        "纠错",
        "举报",
        "点赞",
        "评论",
        "顶部",
        "大",
        "中",
        "小",
        "print",
        "share",
        "email",
        "tweet",
        "comments",
        "facebook",
        "twitter",
        "whatsapp",
        "linkedin",
    }
)
#: Attribution and metadata labels that a print page keeps inside the text: ``来源：新华社``,
#: ``原标题：…``, ``发布时间：2024-05-20 来源：…``, ``浏览次数：120``, ``Source: Reuters``.
LABEL_LINE_RE: Final = re.compile(
    r"^[\s【\[（(]*(?:来源|稿源|出处|本文来源|文章来源|信息来源|原标题|原文标题|发布时间|发布日期|"
    r"发表时间|发文时间|更新时间|作者|文章作者|浏览次数|浏览量|阅读次数|阅读量|点击数|"
    r"点击量|点击率|访问量|source|published|updated|posted)\s*[:：]",
    re.I,
)
#: A line that is a date (and time) with at most a few letters around it.
DATE_LINE_RE: Final = re.compile(
    r"^\D{0,8}(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?\D{0,8}$"
)
#: A line printing an address, maybe after a short label (``本文链接：http://…``).
URL_LINE_RE: Final = re.compile(r"^(?:[^\s:：]{1,12}\s*[:：]\s*)?(?:https?://|www\.)\S+$", re.I)
#: Marks of a site footer or a reprint notice: ``粤ICP备…号``, ``公网安备``, ``版权所有``,
#: ``主办单位：``, ``技术支持：``, ``建议使用1366×768分辨率浏览``, ``© 2024 … All rights
#: reserved``, ``转载请注明出处``.
FOOTER_MARK_RE: Final = re.compile(
    r"ICP\s*(?:备|证|[0-9])|公网安备|版权所有|网站标识码|网站识别码|"
    r"主办(?:单位)?\s*[:：]|承办(?:单位)?\s*[:：]|协办(?:单位)?\s*[:：]|"
    r"(?:运维|维护|运营)单位\s*[:：]|技术支持\s*[:：]|"
    r"建议(?:您)?(?:使用|采用).{0,24}(?:浏览器|分辨率|浏览)|最佳(?:浏览|显示)(?:效果|分辨率)|"
    r"转载请注明|未经(?:书面)?(?:授权|许可)|免责声明|版权声明|如有侵权|版权归.{1,20}所有|"
    r"本文(?:仅代表作者|系转载|转自)|"
    r"copyright|©|\(c\)\s*(?:19|20)\d{2}|all rights reserved|best viewed|privacy policy|"
    r"terms of (?:use|service)",
    re.I,
)
#: A footer's postal address: ``地址：… 邮编：518000``. An address alone (a notice's venue)
#: is text; with a postcode beside it, it is the publisher's.
POSTAL_LINE_RE: Final = re.compile(
    r"(?:地址|通讯地址|联系地址)\s*[:：].{0,80}(?:邮编|邮政编码)\s*[:：]?\s*\d{6}", re.I
)
#: Longest line judged by one footer mark (and no sentence but a last one); a line of two
#: or more marks may reach :data:`_FOOTER_BLOCK_CHARS` (a footer cell flattened into one line).
_FOOTER_LINE_CHARS: Final = 80
_FOOTER_BLOCK_CHARS: Final = 300
#: Longest line judged by its label (a metadata line, not a paragraph that opens with 时间：).
_LABEL_LINE_CHARS: Final = 80
_WHITESPACE_RE: Final = re.compile(r"\s+")
_SENTENCE_END_RE: Final = re.compile(r"[。！？!?]|\.(?:\s|$)")


@functools.cache
def _format_characters() -> dict[int, None]:
    """A ``str.translate`` table that deletes format characters (Unicode category Cf: soft
    hyphens, zero-width spaces and joiners, direction marks, BOMs, tags), which pages carry
    invisibly and unevenly. The Basic Multilingual Plane and the tags block hold all but a few
    rare historic ones; scanning them once costs ~15 ms, scanning every plane 0.3 s. (A table
    deletes them faster than a regular expression of the same characters.)"""
    planes = itertools.chain(range(0x10000), range(0xE0000, 0xE0080))
    return dict.fromkeys(c for c in planes if unicodedata.category(chr(c)) == "Cf")


def normalise_line(line: str) -> str:
    """NFKC, case folded, invisible format characters dropped, whitespace squashed."""
    folded = unicodedata.normalize("NFKC", line).casefold()
    return _WHITESPACE_RE.sub(" ", folded.translate(_format_characters())).strip()


def boilerplate_kind(line: str) -> str | None:
    """The kind of page furniture a normalised line is (``editor``, ``share``, ``label``,
    ``date``, ``url``, ``footer``), or None for a line of text."""
    if line in UI_WORDS or SHARE_LINE_RE.match(line):
        return "share"
    if EDITOR_LINE_RE.match(line):
        return "editor"
    if len(line) <= _LABEL_LINE_CHARS and LABEL_LINE_RE.match(line):
        return "label"
    if len(line) <= 40 and DATE_LINE_RE.match(line):
        return "date"
    if len(line) <= 300 and URL_LINE_RE.match(line):
        return "url"
    if len(line) <= _FOOTER_BLOCK_CHARS:
        marks = {m.group(0)[:2] for m in FOOTER_MARK_RE.finditer(line)}
        if len(marks) >= 2:
            return "footer"
        # One mark in a paragraph (``市版权局表示，…版权所有人…。``) is the paragraph's topic.
        short = len(line) <= _FOOTER_LINE_CHARS and len(_SENTENCE_END_RE.findall(line[:-1])) == 0
        if short and (marks or POSTAL_LINE_RE.search(line)):
            return "footer"
    return None


#: Texts whose keys :func:`text_key` remembers: a crawl asks for a page's key when it parses
#: the page (is it a copy?) and again when its batch is stored, up to a batch of articles
#: later (``NEWSARCHIVE_WRITE_BATCH``, 200); the key takes about a millisecond for 5 KB.
TEXT_KEY_CACHE: Final = 256


@functools.lru_cache(maxsize=TEXT_KEY_CACHE)
def key_lines(title: str | None, text: str) -> tuple[str, ...]:
    """The normalised lines of ``text`` that count for its key: no furniture, and not the
    headline repeated as the first line. Remembered for the last :data:`TEXT_KEY_CACHE`
    texts: the text key and the story fingerprint of an article both start from them."""
    lines = [line for line in (normalise_line(raw) for raw in text.split("\n")) if line]
    kept = [line for line in lines if boilerplate_kind(line) is None]
    headline = normalise_line(title or "")
    if kept and headline and kept[0] == headline:
        kept = kept[1:]
    return tuple(kept)


@functools.lru_cache(maxsize=TEXT_KEY_CACHE)
def text_key(title: str | None, text: str) -> str | None:
    """SHA-256 (hex) of ``text``'s key lines with all whitespace removed; None when they are
    too short to tell one page from another (see :data:`MIN_KEY_CHARS`).

    ``title`` only serves to drop a first line that repeats it: the key of a text is the same
    under any headline. The last :data:`TEXT_KEY_CACHE` keys are remembered (a pure function
    of two strings, so a remembered key is always right).
    """
    lines = [line.replace(" ", "") for line in key_lines(title, text)]
    chars = sum(len(line) for line in lines)
    if chars < MIN_KEY_CHARS or (len(lines) == 1 and chars < MIN_ONE_LINE_CHARS):
        return None
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


#: First labels of a host that name a variant of the same site: ``www.``, mobile and WAP
#: editions (``m.``, ``wap.``, ``3g.``, ``mobile.``, ``touch.``), AMP pages.
_VARIANT_LABELS: Final = frozenset({"www", "m", "wap", "3g", "mobile", "touch", "amp"})


def site_base(site: str) -> str:
    """The site of which ``site`` is an edition: ``m.example.com`` → ``example.com``,
    ``www.news.example.com:8080`` → ``news.example.com:8080``; ``site`` itself otherwise."""
    host, colon, port = site.partition(":")
    labels = host.split(".")
    if ":" in port or len(labels) < 3 or labels[0] not in _VARIANT_LABELS:
        return site  # not an edition (``m.com`` is a site of its own), or an IPv6 address
    if host.replace(".", "").isdigit():
        return site
    return f"{'.'.join(labels[1:])}{colon}{port}"


@functools.lru_cache(maxsize=1024)
def site_family(site: str) -> tuple[str, ...]:
    """The sites that are ``site``'s own editions, ``site`` first: ``m.example.com`` →
    ``m.example.com``, ``example.com``, ``www.example.com``, ``m.example.com``, ... (the port,
    if any, kept on each). One publisher serves the same article on its desktop and mobile
    hosts; a site of another name (``news.example.com``) is another site.
    """
    host, _, port = site.partition(":")
    labels = host.split(".")
    if ":" in port or len(labels) < 2 or host.replace(".", "").isdigit():
        return (site,)  # an IP address or a bare name: no editions
    base = site_base(site)
    editions = (f"{label}.{base}" for label in sorted(_VARIANT_LABELS))
    return tuple(dict.fromkeys([site, base, *editions]))
