"""Small text helpers shared by the field extractors."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from lxml import etree

if TYPE_CHECKING:
    from lxml.html import HtmlElement

#: Han ideographs: BMP, extension A, compatibility and the supplementary planes (for a char class).
HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE: Final = re.compile(f"[{HAN}]")
_LATIN_RE: Final = re.compile(r"[A-Za-z]")


def squash(text: str) -> str:
    """Collapse whitespace to single spaces and strip.

    ``str.split()`` already splits on the full-width space and nbsp; zero-width spaces and BOMs
    are not whitespace to it, so they are replaced first. (Called a million times on a corpus
    of 200 pages: this is ~3x faster than the equivalent regex substitution.)
    """
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


def squashed_length(texts: list[str]) -> int:
    """``sum(len(squash(t)) for t in texts)``, counted on their join in C: a squashed text is
    its words and a space between each two, and a page has a few thousand text nodes."""
    joined = "\n".join(texts)
    if "\u200b" in joined or "\ufeff" in joined:  # not whitespace to str.split()
        return sum(len(squash(t)) for t in texts)
    words = joined.split()
    with_words = len(texts) - sum(map(str.isspace, texts)) - texts.count("")
    return sum(map(len, words)) + len(words) - with_words


def element_text(el: HtmlElement) -> str:
    """``el.text_content()``: all the text under ``el``, not its tail.

    The rules read the text of every link and block of a page, some several times, and
    ``text_content()`` evaluates an XPath expression (``string()``) each time. Serializing as
    text reads the same text nodes with the same libxml2 function (``xmlNodeBufGetContent``)
    in half the time; an element without children holds its text in ``el.text``, cheaper
    still (most links, paragraphs and list items).
    """
    if len(el):
        return etree.tostring(el, method="text", encoding=str, with_tail=False)
    return el.text or ""


def han_count(text: str) -> int:
    return len(_HAN_RE.findall(text))


def is_chinese(text: str) -> bool:
    """Mostly Han (against Latin letters) in ``text``."""
    han = han_count(text)
    return han > 0 and han * 3 >= len(_LATIN_RE.findall(text))


#: Markers (``class id``) longer than this are tested every time: only a template's short class
#: names repeat, and a hostile page's megabyte attributes must not fill the memory.
_MARKER_CHARS: Final = 200
#: Distinct markers remembered by one :class:`MarkerTest` (forgotten all at once when full).
_MARKER_CACHE: Final = 4096


class MarkerTest:
    """Whether any of ``patterns`` is found in an element's ``class id`` marker, remembered.

    The rules test the markers of every element of a page, several times, with unanchored
    searches that cost a few microseconds each; a site's template repeats the same few hundred
    markers on every element of every page, so a dictionary answers almost all of them.
    """

    __slots__ = ("_known", "_patterns")

    def __init__(self, *patterns: re.Pattern[str]) -> None:
        self._patterns = patterns
        self._known: dict[str, bool] = {}

    def __call__(self, marker: str) -> bool:
        known = self._known.get(marker)
        if known is None:
            known = any(pattern.search(marker) for pattern in self._patterns)
            if len(marker) <= _MARKER_CHARS:
                if len(self._known) >= _MARKER_CACHE:
                    self._known.clear()
                self._known[marker] = known
        return known
