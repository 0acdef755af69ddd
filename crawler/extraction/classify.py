"""What kind of page this is: an article, a listing, a soft 404, a gallery, empty, not HTML."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from lxml.html import HtmlElement

from crawler.extraction.text import squash

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
#: Characters of the longest prose paragraph below which a page without article metadata has
#: no article body (a one-paragraph news flash of about 100 characters still passes).
_MIN_PARAGRAPH: Final = 40
#: A date in a listing item (``2023-05-12``, ``05-12``, ``5月12日``).
_ITEM_DATE_RE: Final = re.compile(r"\d{4}[-/.年]\d{1,2}|\d{1,2}[-/月]\d{1,2}日?|\d{1,2}:\d{2}")


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


def page_stats(root: HtmlElement) -> PageStats:
    body = root.find("body")
    scope = body if body is not None else root
    text_chars = sum(len(squash(t)) for t in _visible_text(scope))
    link_chars = 0
    for a in scope.iter("a"):
        link_chars += len(squash(a.text_content()))
    dated = items = 0
    for li in scope.iter("li", "dd", "tr"):
        anchors = li.findall(".//a")
        if not anchors:
            continue
        text = squash(li.text_content())
        if len(text) >= 6:
            items += 1
            if _ITEM_DATE_RE.search(text):
                dated += 1
    images = sum(1 for img in scope.iter("img") if not _tiny(img))
    return PageStats(text_chars, link_chars, dated, items, images)


#: Text nodes a reader sees (scripts and styles are text nodes too, in lxml).
_VISIBLE_TEXT_XPATH: Final = (
    "descendant-or-self::text()[not(ancestor::script or ancestor::style or ancestor::noscript)]"
)


def _visible_text(scope: HtmlElement) -> list[str]:
    return [t for t in scope.xpath(_VISIBLE_TEXT_XPATH) if isinstance(t, str)]


def _tiny(img: HtmlElement) -> bool:
    for attr in ("width", "height"):
        value = img.get(attr, "").strip().rstrip("px")
        if value.isdigit() and int(value) < 100:
            return True
    return False


def classify_page(
    title: str | None,
    headings: list[str],
    text: str,
    stats: PageStats,
    *,
    has_article_meta: bool,
    link_texts: frozenset[str] = frozenset(),
    page_lines: list[str] | tuple[str, ...] = (),
) -> tuple[PageKind, str | None]:
    """The page kind and, when not an article, a short reason.

    ``link_texts`` are the page's anchor texts: a body made of them is a list of links.
    ``page_lines`` are the visible text lines of the whole page.
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
    # No sentence of prose: headlines, teasers, dates and navigation only. An article, even a
    # news flash, has at least one paragraph of some length.
    prose_chars = sum(len(line) for line in prose)
    if not has_article_meta and longest < _MIN_PARAGRAPH and prose_chars < 150:
        if stats.link_items >= 3:
            return "listing", "listing"
        return "error", "too_short"
    if body_chars < 20:
        if stats.link_items >= 10:
            return "listing", "listing"
        return "error", "too_short"
    return "article", None
