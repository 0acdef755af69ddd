"""Page metadata read straight off the tree: meta tags, JSON-LD, headings, language, tags."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from lxml.html import HtmlElement

from crawler.extraction.text import MarkerTest, is_chinese, squash

LOGGER = logging.getLogger(__name__)

#: JSON-LD types describing the article itself.
_ARTICLE_TYPES: Final = re.compile(r"Article|BlogPosting|Report|NewsArticle|LiveBlogPosting", re.I)
#: Tag/keyword separators; spaces separate Chinese keywords only when nothing else does.
_TAG_SPLIT_RE: Final = re.compile(r"\s*[,，、;；|]\s*")
_SPACE_RE: Final = re.compile(r"\s+")
#: Elements that may hold a headline: every ``<h1>``, and these when their class or id says
#: so (:func:`_title_marked`). Table-layout CMS templates without an ``<h1>`` may class the
#: headline's cell ``Heading`` instead.
_TITLE_TAGS: Final = frozenset({"h2", "div", "p", "span", "td", "strong"})
#: Elements whose class or id says they are a metadata bar (byline, source, time).
_META_BAR_RE: Final = re.compile(
    r"author|byline|info|meta|source|from|editor|writer|time|date|pub|attr|tips|laiyuan|zuozhe|"
    r"sub-?title|article-?desc|fbsj",
    re.I,
)

#: Comment areas: their user names are never bylines.
_COMMENT_RE: Final = re.compile(r"comment|reply|pinglun|discuss", re.I)
#: Meta tags naming the author (``<meta itemprop="author">`` is read under ``author`` too).
AUTHOR_META_NAMES: Final = (
    "author",
    "article:author",
    "byl",
    "sailthru.author",
    "parsely-author",
    "dc.creator",
    "dcterms.creator",
)
#: Elements whose class or id says they hold the author's name (``author``, ``zuozhe``).
_AUTHOR_CLASS_RE: Final = re.compile(r"author|zuozhe|writer", re.I)
#: Containers of other articles' or users' names: related lists, rankings, sidebars.
_LIST_AREA_RE: Final = re.compile(
    r"related|recommend|rank|hot|sidebar|aside|footer|popular|trending|most-?read|more-stories"
    r"|(?:post|news|article|story)s?[-_]?list",
    re.I,
)
_BAR_TAGS: Final = frozenset(
    {"div", "span", "p", "td", "section", "header", "address", "li", "em", "font"}
)
_AUTHOR_TAGS: Final = frozenset({"span", "div", "p", "em", "address", "font", "td", "li"})
#: The elements looked at for metadata bars and author elements.
_MARKED_TAGS: Final = frozenset(_BAR_TAGS | _AUTHOR_TAGS)
#: Every element :func:`read_meta` looks at by class or id, in one walk: iterating a few tags
#: in Python is two to four times as fast as an XPath over every element's attributes.
_SCANNED_TAGS: Final = tuple({"h1"} | _TITLE_TAGS | _MARKED_TAGS)
#: Elements that hold the page's own article: a ``<time>`` in one dates it.
_PAGE_REGIONS: Final = frozenset({"article", "header", "main"})
#: An author element holds a name, not a biography.
_AUTHOR_ELEMENT_CHARS: Final = 40


@dataclass(slots=True)
class PageMeta:
    """What the head and the structured data say about the page."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    jsonld: list[dict[str, Any]] = field(default_factory=list)
    title_tag: str | None = None
    headings: list[str] = field(default_factory=list)
    meta_bars: list[str] = field(default_factory=list)
    html_lang: str | None = None
    #: Values of structured author fields: JSON-LD ``author``, author meta tags,
    #: ``itemprop=author`` and ``rel=author`` elements, in that order.
    author_fields: list[str] = field(default_factory=list)
    #: Texts of elements classed as the author's (``<span class="author">``).
    author_elements: list[str] = field(default_factory=list)
    #: The ``datetime`` of the page's own bare ``<time>`` element (no ``itemprop`` or
    #: ``pubdate``), when it has one (:func:`page_time`).
    page_time: str | None = None

    def get(self, *names: str) -> list[str]:
        values: list[str] = []
        for name in names:
            values.extend(self.metas.get(name, []))
        return values

    def first(self, *names: str) -> str | None:
        values = self.get(*names)
        return values[0] if values else None

    def jsonld_values(self, key: str) -> list[Any]:
        return [item[key] for item in self.jsonld if item.get(key)]

    @property
    def is_article(self) -> bool:
        og_type = (self.first("og:type") or "").lower()
        return og_type == "article" or bool(
            self.get("article:published_time") or self.jsonld_values("datePublished")
        )


def _walk_jsonld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _walk_jsonld(item)
    elif isinstance(data, dict):
        kind = data.get("@type")
        kinds = " ".join(kind) if isinstance(kind, list) else str(kind or "")
        if _ARTICLE_TYPES.search(kinds):
            yield data
        if "@graph" in data:
            yield from _walk_jsonld(data["@graph"])


_is_comment_marker: Final = MarkerTest(_COMMENT_RE)
_is_list_area_marker: Final = MarkerTest(_LIST_AREA_RE, _COMMENT_RE)
_is_meta_bar_marker: Final = MarkerTest(_META_BAR_RE)
#: A mark of the last update's time (``updated``, ``modified-date``, ``dateModified``).
_is_update_marker: Final = MarkerTest(re.compile(r"updat|modif", re.I))


def _in_comments(el: HtmlElement) -> bool:
    """Inside a comment area (``comment-box > .item > .info``): a user's name there is no
    byline."""
    node: HtmlElement | None = el
    while node is not None and node.tag not in {"body", "html"}:
        if _is_comment_marker(f"{node.get('class', '')} {node.get('id', '')}"):
            return True
        node = node.getparent()
    return False


def _in_list_area(el: HtmlElement) -> bool:
    """Inside a related-articles list, a ranking, a sidebar, a footer or a comment area: the
    names there are other articles' or users'."""
    node: HtmlElement | None = el
    while node is not None and node.tag not in {"body", "html"}:
        if node.tag in {"aside", "nav", "footer"}:
            return True
        marker = f"{node.get('class', '')} {node.get('id', '')}"
        if marker != " " and _is_list_area_marker(marker):
            return True
        node = node.getparent()
    return False


def _spaced_text(el: HtmlElement) -> str:
    """An element's text with its children's texts kept apart (``张三<a>关注</a>``)."""
    return squash(" ".join(el.itertext()))


def _jsonld_authors(items: list[dict[str, Any]]) -> Iterator[str]:
    for item in items:
        authors = item.get("author")
        for author in authors if isinstance(authors, list) else [authors]:
            if isinstance(author, str):
                yield author
            elif isinstance(author, dict):
                kind = str(author.get("@type", "Person"))
                if "Person" in kind.title() and isinstance(author.get("name"), str):
                    yield author["name"]


def _read_authors(root: HtmlElement, meta: PageMeta) -> None:
    meta.author_fields.extend(_jsonld_authors(meta.jsonld))
    meta.author_fields.extend(meta.get(*AUTHOR_META_NAMES))
    seen: set[HtmlElement] = set()
    for attribute in root.xpath("//@itemprop|//@rel"):
        el = attribute.getparent()
        if not isinstance(el, HtmlElement) or el.tag == "meta" or el in seen:
            continue
        seen.add(el)
        if el.get("itemprop") != "author" and "author" not in (el.get("rel") or "").split():
            continue
        if _in_list_area(el):
            continue
        names = el.xpath(".//*[@itemprop='name']")
        value = el.get("content") or _spaced_text(names[0] if names else el)
        if value and len(value) <= _AUTHOR_ELEMENT_CHARS:
            meta.author_fields.append(value)


def comment_lines(root: HtmlElement, lines_of: Callable[[HtmlElement], list[str]]) -> set[str]:
    """The text lines of the page's comment areas (outermost ones), whose user names and
    ``作者：`` labels sign comments, not the article."""
    found: set[str] = set()
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in {"body", "html", "head"}:
            continue
        marker = f"{el.get('class', '')} {el.get('id', '')}"
        if marker.strip() and _is_comment_marker(marker):
            parent = el.getparent()
            if parent is None or not _in_comments(parent):
                found.update(lines_of(el))
    return found


def _updated(el: HtmlElement) -> bool:
    """A ``<time>`` marked as the last update (``class="updated"``, inside
    ``li.modified-date``): not the publish time."""
    parent = el.getparent()
    markers = [el, parent] if parent is not None else [el]
    return any(_is_update_marker(f"{e.get('class', '')} {e.get('id', '')}") for e in markers)


def page_time(root: HtmlElement) -> str | None:
    """The ``datetime`` of a ``<time>`` element that dates the page itself, not a related
    item or a comment: of the ``<time datetime>`` elements outside lists, sidebars, footers
    and comment areas, and not marked as an update (``class="updated"``), the first, when
    it stands in an ``<article>``, ``<header>`` or ``<main>`` element or is the only one on
    the page."""
    found = [
        el
        for el in root.iter("time")
        if (el.get("datetime") or "").strip() and not _updated(el) and not _in_list_area(el)
    ]
    if not found:
        return None
    first = found[0]
    if len(found) == 1 or any(a.tag in _PAGE_REGIONS for a in first.iterancestors()):
        return squash(first.get("datetime") or "")
    return None


def _title_marked(classes: str | None, ident: str | None) -> bool:
    """A class or id that says the element holds a headline (case matters: ``Heading``)."""
    if classes and ("title" in classes or "headline" in classes or "heading" in classes):
        return True
    return bool(classes and "Heading" in classes) or bool(ident and "title" in ident)


def read_meta(root: HtmlElement) -> PageMeta:
    meta = PageMeta()
    meta.html_lang = root.get("lang") or root.get("xml:lang")
    for el in root.iter("meta"):
        key = el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv")
        value = el.get("content")
        if key and value and value.strip():
            # ``weibo: article:create_at`` (sina) is spelled with a space.
            meta.metas.setdefault(_SPACE_RE.sub("", key).lower(), []).append(squash(value))
    for el in root.iter("time"):
        if el.get("itemprop", "").lower() == "datepublished" or el.get("pubdate") is not None:
            value = el.get("datetime") or el.text_content()
            if value:
                meta.metas.setdefault("datepublished", []).append(squash(value))
    meta.page_time = page_time(root)
    for script in root.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            data = json.loads(script.text)
        except ValueError:
            LOGGER.debug("invalid JSON-LD skipped")
            continue
        meta.jsonld.extend(_walk_jsonld(data))
    title = root.find(".//title")
    if title is not None:
        meta.title_tag = squash(title.text_content()) or None
    seen: set[str] = set()
    for el in root.iter(*_SCANNED_TAGS):
        tag = el.tag
        classes = el.get("class")
        ident = el.get("id")
        if tag == "h1" or (tag in _TITLE_TAGS and _title_marked(classes, ident)):
            text = squash(el.text_content())
            if 4 <= len(text) <= 150 and text not in seen:
                seen.add(text)
                meta.headings.append(text)
        if tag not in _MARKED_TAGS or (classes is None and ident is None):
            continue
        marker = f"{classes or ''} {ident or ''}"
        if marker == " " or not _is_meta_bar_marker(marker):
            continue
        if _in_list_area(el):
            continue
        if el.tag in _BAR_TAGS:
            text = squash(el.text_content())
            if 2 <= len(text) <= 200 and text not in meta.meta_bars:
                meta.meta_bars.append(text)
        if el.tag in _AUTHOR_TAGS and _AUTHOR_CLASS_RE.search(marker):
            text = _spaced_text(el)
            if 2 <= len(text) <= _AUTHOR_ELEMENT_CHARS and text not in meta.author_elements:
                meta.author_elements.append(text)
    _read_authors(root, meta)
    return meta


def extract_language(meta: PageMeta, text: str) -> str | None:
    """``zh``/``en``/… from ``<html lang>`` or content-language, else from the script."""
    for value in (meta.html_lang, meta.first("content-language", "og:locale", "language")):
        if value:
            code = value.strip().lower().replace("_", "-").split("-")[0]
            if 2 <= len(code) <= 3 and code.isalpha():
                return code
    if not text:
        return None
    if is_chinese(text):
        return "zh"
    return "en" if re.search(r"\b(?:the|and|of|to|in)\b", text[:2000], re.I) else None


def extract_tags(meta: PageMeta, title: str | None, site_names: list[str]) -> list[str]:
    """``article:tag`` values, else keywords, split sensibly, without title-like junk."""
    raw = meta.get("article:tag") or meta.get("keywords", "news_keywords")
    if not raw:
        keywords = meta.jsonld_values("keywords")
        raw = [k if isinstance(k, str) else ",".join(map(str, k)) for k in keywords]
    tags: list[str] = []
    norm_title = _SPACE_RE.sub("", title or "").lower()
    for value in raw:
        pieces = _TAG_SPLIT_RE.split(value)
        if len(pieces) == 1 and is_chinese(value):
            pieces = _SPACE_RE.split(value)
        for piece in pieces:
            tag = squash(piece)
            limit = 20 if is_chinese(tag) else 40
            key = _SPACE_RE.sub("", tag).lower()
            if not tag or len(tag) > limit or tag in tags:
                continue
            if norm_title and (key == norm_title or norm_title in key):
                continue
            if tag in site_names:
                continue
            tags.append(tag)
    return tags


def extract_section(meta: PageMeta, breadcrumb: str | None) -> str | None:
    if breadcrumb:
        return breadcrumb
    value = meta.first("article:section", "section")
    if value:
        return value
    for item in meta.jsonld_values("articleSection"):
        if isinstance(item, str):
            return item
        if isinstance(item, list) and item and isinstance(item[0], str):
            return str(item[0])
    return None
