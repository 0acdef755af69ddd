"""What kind of page this is: an article, a listing, a soft 404, a gallery, empty, not HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction.clean import link_share
from crawler.extraction.dates import DATELINE_RE
from crawler.extraction.text import element_text, han_count, squash, squashed_length

PageKind = Literal["article", "listing", "error", "gallery", "empty", "not_html"]

#: Titles and headings of "page not found" pages served with status 200.
SOFT_404_RE: Final = re.compile(
    r"页面不存在|页面未找到|找不到(?:该|此|您要的|你要的)?(?:页面|网页|文章)|您访问的页面不存在|你访问的页面不存在|"
    r"页面已删除|文章不存在|内容不存在|该页面已失效|抱歉.{0,10}(?:不存在|找不到|已被删除)|"
    r"\b404\b|page not found|not found|page (?:does not|doesn't) exist|no longer available|"
    r"页面出错|访问出错",
    re.I,
)
#: Leading bytes of common binary formats (PDF, images, archives, media).
BINARY_MAGIC: Final[tuple[bytes, ...]] = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"ID3",
    b"\x00\x00\x00",
    b"Rar!",
    b"7z\xbc\xaf",
    b"BM",
    b"OggS",
    b"fLaC",
    b"wOFF",
)
_HTML_TYPES: Final = ("html", "xml", "xhtml")
#: A listing's teaser: a summary cut off with an ellipsis.
_TEASER_RE: Final = re.compile(r"(?:…|\.\.\.|。。。)\s*$")
#: A line this long may be a paragraph (a list's teaser, an article's).
_MIN_PARAGRAPH: Final = 40
#: A date in a listing item (``2023-05-12``, ``05-12``, ``5月12日``).
_ITEM_DATE_RE: Final = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}[-/月]\d{1,2}日?|\d{1,2}:\d{2}")


#: A paragraph this long under a headline and a metadata bar makes an article, however
#: short (a one-paragraph news flash).
SHORT_NEWS_PARAGRAPH: Final = 80
#: How many lines the article's header (metadata bar, byline, share bar) may take between
#: the headline and the first paragraph.
_MAX_HEADER_LINES: Final = 10
#: What a metadata bar shows: a date, a time, a relative time, an English date, or a label
#: (source, author, publishing time).
_BAR_RE: Final = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}:\d{2}|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b|"
    r"\d{1,3}\s*(?:秒|分钟|小时|天)前|今天|昨天|前天|来源|稿源|出处|作者|记者|发布|时间|日期|"
    r"^[\s（(]*(?:文|图|摄影?|撰稿|采写|编辑)\s*[/／:：]|"
    r"\bby\s+\w|\bpublished\b|\bupdated\b|\bposted\b|\b\d{1,2}\s+(?:minutes?|hours?|days?)\s+ago\b",
    re.I,
)
#: The date or counter printed after a list item's linked headline (``2024-05-20``,
#: ``[05-20]``, ``(2024年5月20日 10:30)``).
_ITEM_TAIL_RE: Final = re.compile(
    r"[\s\[(（【|·-]*(?:(?:(?:19|20)\d{2}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?(?:\s+(?:19|20)\d{2})?|"
    r"\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+(?:19|20)\d{2})?)"
    r"(?:,?\s*\d{1,2}:\d{2}(?:\s*[ap]\.?m\.?)?)?[\])）】]*\s*$",
    re.I,
)
#: A list item's headline: this many Han characters, or this many words.
_ITEM_HAN: Final = 6
_ITEM_WORDS: Final = 4
#: Teasers (a paragraph right under a list item's linked headline) that make a listing.
_LISTING_TEASERS: Final = 2
#: How far above a paragraph its item's headline may stand (a date line between them).
_TEASER_REACH: Final = 2
#: A date or label between an item's headline and its teaser is at most this long.
_ITEM_META_CHARS: Final = 24
_SENTENCE_END_RE: Final = re.compile(r"[。！？.!?]")
#: Share of the body's long lines' text that list items must make for a listing ...
_LISTING_SHARE: Final = 0.7
#: ... leaving less prose of the page's own than this (a list's introduction).
_LIST_INTRO_CHARS: Final = 200
#: The lines after the text where a closing bar (``发布日期：…``, ``（记者 张三）``) stands.
_CLOSING_LINES: Final = 3
#: How far into the text's first line a dateline may stand.
_DATELINE_REACH: Final = 40
#: Prose characters below which a page without metadata bar nor a long paragraph is no article.
_MIN_PROSE: Final = 150
#: A metadata bar is at most this long.
_MAX_BAR_CHARS: Final = 150
#: Bullets trafilatura puts before a list item.
_BULLETS: Final = "-•*·> "
#: A prose line has less than this share of its letters in links.
_PROSE_LINK_SHARE: Final = 0.5
#: An address in a line (a search result's), which makes no prose.
_URLISH_RE: Final = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+/\S*")


def looks_binary(body: bytes, content_type: str | None) -> bool:
    """True when the content type names something else than HTML or the bytes are binary."""
    if content_type:
        kind = content_type.split(";")[0].strip().lower()
        if kind and not any(t in kind for t in _HTML_TYPES) and kind != "text/plain":
            return True
    head = body[:512].lstrip()
    if head.startswith(BINARY_MAGIC):
        return True
    return b"\x00" in body[:1024] and not body.startswith((b"\xff\xfe", b"\xfe\xff"))


@dataclass(frozen=True, slots=True)
class PageStats:
    """Counts over the whole page that tell articles from listings and galleries."""

    text_chars: int
    link_chars: int
    dated_link_items: int
    link_items: int
    images: int


def page_stats(root: HtmlElement, anchor_texts: list[str] | None = None) -> PageStats:
    """The page's counts; ``anchor_texts``, when the caller has them: the squashed texts of
    every ``<a>`` under ``root``, in order (then they are not read again)."""
    body = root.find("body")
    scope = body if body is not None else root
    text_chars = squashed_length(_visible_text(scope))
    if anchor_texts is not None and (scope is root or _count_links(scope) == len(anchor_texts)):
        link_chars = sum(map(len, anchor_texts))
    else:
        link_chars = sum(len(squash(element_text(a))) for a in scope.iter("a"))
    dated = items = 0
    for li in scope.iter("li", "dd", "tr"):
        if next(li.iter("a"), None) is None:  # no link under it (an iterator: no list)
            continue
        text = squash(element_text(li))
        if len(text) >= 6:
            items += 1
            if _ITEM_DATE_RE.search(text):
                dated += 1
    images = sum(1 for img in scope.iter("img") if not _tiny(img))
    return PageStats(text_chars, link_chars, dated, items, images)


#: How many links an element holds (all of the page's are in its body, but for odd markup).
_count_links: Final = etree.XPath("count(.//a)")


#: Text nodes a reader sees (scripts and styles are text nodes too, in lxml).
_VISIBLE_TEXT_XPATH: Final = (
    "descendant-or-self::text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
)


#: Compiled once, returning plain strings: lxml's default "smart" strings (each one knowing
#: its parent element) cost an object per text node of the page.
_VISIBLE_TEXT: Final = etree.XPath(_VISIBLE_TEXT_XPATH, smart_strings=False)


def _visible_text(scope: HtmlElement) -> list[str]:
    return [t for t in _VISIBLE_TEXT(scope) if isinstance(t, str)]


def _tiny(img: HtmlElement) -> bool:
    for attr in ("width", "height"):
        value = img.get(attr, "").strip().rstrip("px")
        if value.isdigit() and int(value) < 100:
            return True
    return False


def _is_item_link(text: str) -> bool:
    return han_count(text) >= _ITEM_HAN or len(text.split()) >= _ITEM_WORDS


def is_item_title(line: str, link_texts: frozenset[str]) -> bool:
    """A list item's linked headline, maybe with its date: the line is one of the page's
    link texts (of :data:`_ITEM_HAN` Han characters or :data:`_ITEM_WORDS` words) but for a
    trailing date."""
    base = _ITEM_TAIL_RE.sub("", line).strip() or line
    return base in link_texts and _is_item_link(base)


@dataclass(slots=True)
class PageLines:
    """The page's visible lines and link texts, indexed once for the shape tests."""

    page: list[str]
    link_texts: frozenset[str]
    anchors: list[str]
    #: Link texts long enough to be a list item's headline (a tuple: ``str.startswith``
    #: tests them all in C).
    item_links: tuple[str, ...]
    index: dict[str, list[int]]

    @classmethod
    def of(cls, page: list[str], link_texts: frozenset[str]) -> PageLines:
        index: dict[str, list[int]] = {}
        for number, line in enumerate(page):
            index.setdefault(line, []).append(number)
        anchors = [a for a in link_texts if len(a) >= 2]
        items = tuple(a for a in anchors if _is_item_link(a))
        return cls(page, link_texts, anchors, items, index)

    def locate(self, line: str, after: int) -> int:
        """The index of ``line`` among the page's lines after ``after`` (-1: not there)."""
        return next((n for n in self.index.get(line, ()) if n > after), -1)

    def opens_item(self, line: str) -> bool:
        """The line opens with a list item's linked headline (``- 标题 2024-05-20 摘要…``)."""
        item = line.lstrip(_BULLETS)
        return item.startswith(self.item_links)

    def is_prose(self, line: str) -> bool:
        """Text of the page's own: not a link, a teaser cut short, a row of links or an item."""
        return (
            line not in self.link_texts
            and not _TEASER_RE.search(line)
            and link_share(line, self.anchors) < _PROSE_LINK_SHARE
            and not self.opens_item(line)
        )

    def under_item(self, line: str, title: str | None) -> bool:
        """The line stands right under a list item's headline on the page (its teaser), with
        at most a date or a short label between them. The page's own headline, which blogs
        link to the post itself, heads no item."""
        return any(self._under_item_at(at, title) for at in self.index.get(line, ()))

    def _under_item_at(self, at: int, title: str | None) -> bool:
        for above in range(at - 1, max(at - 1 - _TEASER_REACH, -1), -1):
            candidate = self.page[above]
            if is_item_title(candidate, self.link_texts):
                return candidate != title
            if not _is_item_meta(candidate):
                return False
        return False

    def teasers(self, title: str | None) -> int:
        """How many of the page's paragraphs stand right under a list item's headline."""
        return sum(
            1
            for at, line in enumerate(self.page)
            if len(line) >= _MIN_PARAGRAPH and self._under_item_at(at, title)
        )


def _is_item_meta(line: str) -> bool:
    """A list item's date or short label, between its headline and its teaser."""
    return len(line) <= _ITEM_META_CHARS and not _SENTENCE_END_RE.search(line)


def is_teaser_listing(body: list[str], lines: PageLines, title: str | None = None) -> bool:
    """The body is a list's items: lines opening with a list item's linked headline, or
    paragraphs right under one (teasers), making nearly all of the body's text, with no more
    prose of its own than a list's introduction (a section, search or tag page; a forum
    thread's first post with its list of replies is an article)."""
    long_lines = [
        line
        for line in body
        if len(line) >= _MIN_PARAGRAPH and not (_URLISH_RE.search(line) and not _ends(line))
    ]
    items = [line for line in long_lines if lines.opens_item(line) or lines.under_item(line, title)]
    if not items:
        return False
    # trafilatura may keep a single item of a short list: the page's other teasers tell.
    if len(items) < _LISTING_TEASERS and lines.teasers(title) <= _LISTING_TEASERS:
        return False
    item_chars = sum(map(len, items))
    own_prose = sum(map(len, long_lines)) - item_chars
    return item_chars >= _LISTING_SHARE * (item_chars + own_prose) and own_prose < _LIST_INTRO_CHARS


def _ends(line: str) -> bool:
    return line.rstrip().endswith(("。", "！", "？", ".", "!", "?"))


def _header(
    title_index: int, body: list[str], lines: PageLines, min_chars: int
) -> list[str] | None:
    """The page's lines between the headline and the body's first prose line of at least
    ``min_chars`` characters (None: no such line close enough under the headline)."""
    if not 0 <= title_index < len(lines.page):
        return None
    for line in body:
        if len(line) < min_chars or not lines.is_prose(line):
            continue
        at = lines.locate(line, title_index)
        if at < 0:
            continue  # a piece trafilatura cut from a page line or glued from several
        if at - title_index - 1 > _MAX_HEADER_LINES:
            return None
        return lines.page[title_index + 1 : at]
    return None


def _is_bar(header: list[str] | None) -> bool:
    return header is not None and any(
        len(x) <= _MAX_BAR_CHARS and _BAR_RE.search(x) for x in header
    )


def has_bar(title_index: int, body: list[str], lines: PageLines) -> bool:
    """Metadata around the text: a bar (a date, a source, a byline) between the headline
    and the text or in the lines that close it, or a dateline opening it
    (``新华社北京2月12日电``)."""
    if _is_bar(_header(title_index, body, lines, 1)):
        return True
    if any(DATELINE_RE.search(line[:_DATELINE_REACH]) for line in body[:2]):
        return True
    last = next((lines.locate(x, title_index) for x in reversed(body) if x in lines.index), -1)
    return last >= 0 and _is_bar(lines.page[last + 1 : last + 1 + _CLOSING_LINES])


def is_short_news(title_index: int, body: list[str], lines: PageLines) -> bool:
    """A headline, a metadata bar (a date or a source) under it, then a paragraph of at
    least :data:`SHORT_NEWS_PARAGRAPH` characters, with no list item's headline between
    them: an article, however short."""
    if not 0 <= title_index < len(lines.page):
        return False
    title = lines.page[title_index]
    if is_item_title(title, lines.link_texts) and any(lines.under_item(x, title) for x in body):
        # A linked headline (a blog's, a forum thread's) is the page's own, unless the body
        # goes on with other linked headlines and their teasers: then it was a list's first.
        return False
    header = _header(title_index, body, lines, SHORT_NEWS_PARAGRAPH)
    return (
        header is not None
        and not any(is_item_title(x, lines.link_texts) for x in header)
        and _is_bar(header)
    )


def classify_page(
    title: str | None,
    headings: list[str],
    text: str,
    stats: PageStats,
    *,
    has_article_meta: bool,
    link_texts: frozenset[str] = frozenset(),
    page_lines: list[str] | tuple[str, ...] = (),
    title_index: int = -1,
) -> tuple[PageKind, str | None]:
    """The page kind and, when not an article, a short reason.

    ``link_texts`` are the page's anchor texts: a body made of them is a list of links.
    ``page_lines`` are the visible text lines of the whole page, ``title_index`` the
    headline's among them (-1: not found).

    After error and empty pages: a headline, a metadata bar and a paragraph make an article
    whatever its length (:func:`is_short_news`); a body of list items (linked headlines and
    their teasers) is a listing (:func:`is_teaser_listing`). Listings are told by their
    repeated link items; the page-wide counts below only decide pages of neither shape.
    """
    lines = [line for line in text.split("\n") if line.strip()]
    # Prose lines: not the text of a link on the page, nor a listing's truncated teaser.
    prose = [line for line in lines if line not in link_texts and not _TEASER_RE.search(line)]
    longest = max((len(line) for line in prose), default=0)
    body_chars = sum(len(line) for line in lines)
    for candidate in [title or "", *headings[:2]]:
        if (
            candidate
            and len(candidate) <= 60
            and SOFT_404_RE.search(candidate)
            and body_chars < 600
        ):
            return "error", "soft_404"
    if stats.text_chars < 300 and SOFT_404_RE.search(text or ""):
        return "error", "soft_404"
    # "页面不存在" alone on a line of a page with little body: the message of a soft 404
    # whose navigation and footer make the page too long for the test above.
    if (
        not has_article_meta
        and body_chars < 600
        and any(len(line) <= 40 and SOFT_404_RE.search(line) for line in page_lines)
    ):
        return "error", "soft_404"
    if stats.text_chars == 0:
        return "empty", "empty_body"
    bar = False
    if page_lines:
        indexed = PageLines.of(list(page_lines), link_texts)
        if is_short_news(title_index, lines, indexed):
            return "article", None
        if is_teaser_listing(lines, indexed, title):
            return "listing", "listing"
        bar = has_bar(title_index, lines, indexed)
    link_ratio = stats.link_chars / max(stats.text_chars, 1)
    many_items = stats.link_items >= 15 or stats.dated_link_items >= 8
    # Paragraph text in the extracted body that is not one of the list's own lines.
    prose_chars = sum(len(line) for line in prose)
    if (
        not has_article_meta
        and many_items
        and link_ratio > 0.45
        and longest < 80
        and (prose_chars < 0.5 * body_chars or body_chars < 150)
    ):
        return "listing", "listing"
    if not has_article_meta and stats.dated_link_items >= 10 and body_chars < 400 and longest < 150:
        return "listing", "listing"
    if stats.images >= 3 and 0 < body_chars < 300 and longest < 100 and stats.text_chars < 1500:
        return "gallery", "gallery"
    # Too little prose for an article: headlines, teasers, dates and navigation, or a static
    # page's few lines (关于我们). Under a metadata bar a paragraph of some length makes a
    # news flash; without one it takes a paragraph as long as a short news item's.
    prose_chars = sum(len(line) for line in prose)
    min_paragraph = _MIN_PARAGRAPH if bar else SHORT_NEWS_PARAGRAPH
    if not has_article_meta and longest < min_paragraph and prose_chars < _MIN_PROSE:
        if stats.link_items >= 3:
            return "listing", "listing"
        return "error", "too_short"
    if body_chars < 20:
        if stats.link_items >= 10:
            return "listing", "listing"
        return "error", "too_short"
    return "article", None
