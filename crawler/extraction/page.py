"""Orchestration: bytes (or text) and a URL in, a :class:`PageResult` out. Pure, never raises.

The page is parsed once with lxml. Metadata (title, bylines, dates, source, section) is read
from the original tree; boilerplate is then removed from the tree, trafilatura extracts the
body from it, and our line cleaning runs on trafilatura's text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from lxml import etree
from lxml import html as lxml_html
from lxml.html import HtmlComment, HtmlElement, HtmlEntity, HtmlProcessingInstruction

from archive.record import ROLES, ArticleRecord, site_of
from crawler.extraction.classify import PageKind, classify_page, looks_binary, page_stats
from crawler.extraction.clean import (
    breadcrumb_section,
    clean_tree,
    find_breadcrumbs,
    iter_clean_lines,
    iter_text_lines,
    unwrap_layout_tables,
)
from crawler.extraction.credits import PageText, find_credits
from crawler.extraction.dates import DATE_META_NAMES, extract_date
from crawler.extraction.encoding import decode_html
from crawler.extraction.floor import floor_lines
from crawler.extraction.metadata import (
    PageMeta,
    comment_lines,
    extract_language,
    extract_section,
    extract_tags,
    read_meta,
)
from crawler.extraction.source import SOURCE_LABEL_RE, extract_source
from crawler.extraction.text import element_text, is_chinese, squash
from crawler.extraction.titles import drop_confirmed_tag, extract_title, normalize

LOGGER = logging.getLogger(__name__)

EXTRACTOR_VERSION: Final = "0.3.3"
_CONTROL_CHARS_RE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: How far down the body the headline may be repeated, and how much text may stand above it,
#: for it and what precedes it to be taken as page furniture.
_HEADLINE_SEARCH_LINES: Final = 4
_MAX_ABOVE_HEADLINE: Final = 40
#: A line with no words: a counter (``8932``), or a label with nothing after it (``阅读：``).
_BARE_META_LINE_RE: Final = re.compile(r"^\s*(?:[\d,.\s:：|/-]+|[^\s\d，。！？]{1,6}\s*[:：])\s*$")

#: Every element an ``HtmlElement``, chosen in C. lxml.html's own lookup is a Python function
#: called for every element object lxml makes (on each walk over the tree, ours and
#: trafilatura's, and on its copies of the tree), about a tenth of the extraction's time; what
#: it adds, classes of their own for form fields (``input``, ``select``, ``form``...) with
#: methods to read and fill them, nothing here uses.
_ELEMENT_CLASSES: Final = etree.ElementDefaultClassLookup(
    element=HtmlElement,
    comment=HtmlComment,
    pi=HtmlProcessingInstruction,
    entity=HtmlEntity,
)

#: An XML declaration with an encoding, which lxml refuses in an already decoded string.
_XML_DECL_RE: Final = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


@dataclass(frozen=True, slots=True)
class PageResult:
    """What a page is, and its article when it is one."""

    kind: PageKind
    article: ArticleRecord | None
    reason: str | None


def extract_page(
    body: bytes | str,
    url: str,
    *,
    http_charset: str | None = None,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> PageResult:
    """Classify and extract one page. Never raises: a failure is an ``error`` result."""
    try:
        return _extract_page(body, url, http_charset, content_type, fetched_at or datetime.now(UTC))
    except Exception as exc:  # the boundary: a bad page must never stop a crawl
        LOGGER.warning("extraction failed for %s: %s", url, exc, exc_info=LOGGER.isEnabledFor(10))
        return PageResult("error", None, "extraction_failed")


def extract_article(
    body: bytes | str,
    url: str,
    *,
    http_charset: str | None = None,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
) -> ArticleRecord | None:
    """The article on the page, or None when the page is not an article."""
    return extract_page(
        body, url, http_charset=http_charset, content_type=content_type, fetched_at=fetched_at
    ).article


def _parse(text: str) -> HtmlElement | None:
    text = _XML_DECL_RE.sub("", text, count=1)
    # C0 controls (pasted from word processors into CMSs) are not allowed in XML text: lxml
    # refuses strings holding them when the tree is edited, which would lose the article.
    text = _CONTROL_CHARS_RE.sub("", text)
    if not text.strip():
        return None
    try:
        # Comments removed while parsing, as trafilatura does when it parses a page itself:
        # given a tree that holds them, it drops the text after a comment inside a paragraph
        # (``When <!-- -->President<!-- --> Trump…`` kept as ``When``). A parser per call:
        # lxml parsers must not be shared between threads, and one costs microseconds.
        parser = lxml_html.HTMLParser(remove_comments=True, remove_pis=True)
        parser.set_element_class_lookup(_ELEMENT_CLASSES)
        root = lxml_html.document_fromstring(text, parser=parser)
    except Exception:  # lxml raises ParserError/ValueError on some degenerate input
        return None
    return root


def _site_names(meta: PageMeta, url: str) -> list[str]:
    names = meta.get("og:site_name", "application-name", "apple-mobile-web-app-title")
    site = site_of(url)
    if site:
        names.append(site)
    return [n for n in names if n]


class _Normalized:
    """The page's lines, each normalized once, when a scan first needs it: the headline and
    the body's first, last and first prose lines are each looked for by a scan over the same
    lines, and normalizing (NFKC, case, punctuation) costs more than the comparison."""

    __slots__ = ("_done", "lines")

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._done: dict[int, str] = {}

    def __call__(self, index: int) -> str:
        norm = self._done.get(index)
        if norm is None:
            norm = self._done[index] = normalize(self.lines[index])
        return norm


def _find_line(lines: _Normalized, title: str | None) -> int:
    """Index of the headline among the page's lines (-1 when not found)."""
    if not title:
        return -1
    want = normalize(title)
    if not want:
        return -1
    for index, line in enumerate(lines.lines):
        norm = lines(index)
        if norm == want or (len(line) <= 2 * len(title) + 10 and want in norm):
            # <title> is the first line when the walk starts at <html>; skip a <title> match.
            return index
    return -1


def _locate(lines: _Normalized, needle: str, start: int) -> int:
    key = normalize(needle)[:30]
    if not key:
        return -1
    for index in range(max(start, 0), len(lines.lines)):
        if key in lines(index):
            return index
    return -1


#: A body line this long, or ending a sentence, is text; shorter ones at the top of the body
#: may still be header lines (a reprint's own title, author and date).
_PROSE_LINE_CHARS: Final = 40
_SENTENCE_END: Final = ("。", "！", "？", ".", "!", "?", "”")


def _text_start(
    lines: _Normalized, body_lines: list[str], title: str | None, title_index: int
) -> int:
    """Index among the page's lines of the first line of running text after the headline
    (-1 when not found): the lines between the headline and it are the article's header."""
    if title_index < 0:
        return -1
    want = normalize(title or "")
    for line in body_lines[:6]:
        if normalize(line) == want:
            continue
        if len(line) >= _PROSE_LINE_CHARS or line.endswith(_SENTENCE_END):
            return _locate(lines, line, title_index + 1)
    return -1


#: A text without a line break this long is a fallback's glued text, not one paragraph.
_GLUED_CHARS: Final = 200


def _split_glued(root: HtmlElement, text: str) -> str:
    """Re-split text that trafilatura's fallback glued into one line (it joins an
    ``<article>``'s whole text with spaces, headline and metadata bar included) along the
    page's own block lines, when they account for all of it."""
    if "\n" in text.strip() or len(text) < _GLUED_CHARS:
        return text
    pieces = [line for line in iter_text_lines(root) if line in text]
    covered = sum(len(piece) for piece in pieces) + len(pieces)
    return "\n".join(pieces) if len(pieces) > 1 and covered >= 0.95 * len(text) else text


def _date_params(max_date: str) -> dict[str, Any]:
    return {"original_date": True, "extensive_search": False, "max_date": max_date}


def _trafilatura(root: HtmlElement, url: str, max_date: str) -> Any:
    from trafilatura import bare_extraction

    return bare_extraction(
        root,
        url=url or None,
        # Its metadata is read apart, and only when it is needed (_trafilatura_metadata).
        with_metadata=False,
        include_comments=False,
        deduplicate=False,
        # Precision mode scored best on the English pages of the dev corpus (97.9 against
        # 96.1 before floor.py) but dropped article text on other sites' pages (a financial
        # page kept 3% of its text); with floor.py's removals the default mode scores as
        # well on both. On Chinese pages our cleaning already removes what it is after.
        favor_precision=False,
        date_extraction_params=_date_params(max_date),
    )


def _trafilatura_metadata(root: HtmlElement, url: str, max_date: str) -> Any:
    """trafilatura's own metadata of the page (title, date): the fallback on non-Chinese
    pages when our readers find none. Read only then, since it costs about 3 ms a page: the
    same call ``bare_extraction(with_metadata=True)`` makes, on the same tree: ``root`` is
    not changed between the extraction (which works on a copy) and here, nor used after."""
    from trafilatura.metadata import extract_metadata

    return extract_metadata(root, url or None, _date_params(max_date), False, set())


def _extract_page(
    body: bytes | str,
    url: str,
    http_charset: str | None,
    content_type: str | None,
    fetched_at: datetime,
) -> PageResult:
    if isinstance(body, bytes):
        if not body.strip():
            return PageResult("empty", None, "empty_body")
        if looks_binary(body, content_type):
            return PageResult("not_html", None, "not_html")
        text = decode_html(body, http_charset)
    else:
        if content_type and looks_binary(b"", content_type):
            return PageResult("not_html", None, "not_html")
        text = body
    if not text.strip():
        return PageResult("empty", None, "empty_body")
    root = _parse(text)
    if root is None:
        return PageResult("empty", None, "empty_body")
    # Held to the end: lxml keeps one Python object per element for as long as one is alive,
    # and makes a new one each time a walk meets an element that has none. The rules below
    # walk the tree a dozen times.
    _alive = list(root.iter())

    site = site_of(url)
    meta = read_meta(root)
    site_names = _site_names(meta, url)
    lines = iter_text_lines(root)
    anchor_texts = [squash(element_text(a)) for a in root.iter("a")]
    stats = page_stats(root, anchor_texts)
    if stats.text_chars == 0:
        return PageResult("empty", None, "empty_body")
    title = extract_title(
        meta.headings,
        meta.title_tag,
        [*meta.get("og:title", "twitter:title"), *map(str, meta.jsonld_values("headline"))],
        site_names,
        lines[:400],
    )
    title = drop_confirmed_tag(title, lines)
    normalized = _Normalized(lines)
    title_index = _find_line(normalized, title)

    in_comments = comment_lines(root, iter_text_lines)
    link_texts = frozenset(t for t in anchor_texts if t)
    crumbs = find_breadcrumbs(root)
    section = extract_section(meta, breadcrumb_section(crumbs))
    max_date = (fetched_at + timedelta(days=1)).date().isoformat()
    chinese = is_chinese((title or "") + " ".join(lines[:80]))
    clean_tree(root, sum(len(line) for line in lines), crumbs)
    unwrap_layout_tables(root)
    document = _trafilatura(root, url, max_date)
    raw_text = _split_glued(root, (document.text if document is not None else "") or "")
    if chinese:
        # Chinese portals keep link lists, widgets and footers inside the article container:
        # their own rules (links rows, a trailing widget cuts the text, disclaimers).
        body_lines = list(iter_clean_lines(raw_text, link_texts, drop_link_rows=True, site=site))
    else:
        # Elsewhere trafilatura's text minus the safe removals only (floor.py): rules fitted
        # to the dev corpus' English pages scored below bare trafilatura on other sites.
        body_lines = floor_lines(raw_text, link_texts, site)

    # The metadata bar sits between the headline and the first body line; the closing
    # credits right after the last body line.
    first_body = _locate(normalized, body_lines[0], title_index) if body_lines else -1
    last_body = _locate(normalized, body_lines[-1], max(first_body, 0)) if body_lines else -1
    head_start = max(title_index, 0) if title_index >= 0 else 0
    head_end = first_body if first_body > head_start else head_start + 8
    head_lines = lines[head_start + 1 : min(head_end, head_start + 15)] if title_index >= 0 else []
    tail_lines = lines[last_body + 1 : last_body + 4] if last_body >= 0 else []

    # The headline repeated near the body's top is not text, nor is the page furniture above it
    # (a welcome banner), nor a bare counter or label under it (``阅读：`` ``8932``): on short
    # articles trafilatura keeps more of the page around the text.
    if title and len(body_lines) > 1:
        want = normalize(title)
        for index, line in enumerate(body_lines[:_HEADLINE_SEARCH_LINES]):
            before = body_lines[:index]
            if normalize(line) == want and sum(len(x) for x in before) <= _MAX_ABOVE_HEADLINE:
                body_lines = body_lines[index + 1 :]
                break
        while len(body_lines) > 1 and _BARE_META_LINE_RE.match(body_lines[0]):
            body_lines = body_lines[1:]
        # Further down, the headline alone on a line is a share box's or a sticky header's
        # copy, or a related-stories link back to the page itself.
        body_lines = [line for line in body_lines if normalize(line) != want] or body_lines
    credits = find_credits(
        PageText(
            lines=lines,
            title_index=title_index,
            title=title,
            head_lines=head_lines,
            body_lines=body_lines,
            tail_lines=tail_lines,
            meta_bars=meta.meta_bars,
            author_fields=meta.author_fields,
            author_elements=meta.author_elements,
            comment_lines=frozenset(in_comments),
            site_names=site_names,
            chinese=chinese,
            link_texts=link_texts,
        )
    )
    kept_lines = credits.body_lines
    bylines = credits.bylines

    meta_dates = [
        *meta.get(*DATE_META_NAMES[:-1]),
        *map(str, meta.jsonld_values("datePublished")),
        *meta.get(DATE_META_NAMES[-1]),
    ]
    # From the headline on (a date above it is usually the site header's "today") to the
    # article's end (dates below it belong to related lists and comments).
    if title_index >= 0:
        end = last_body + 1 if last_body > title_index else len(lines)
        near_title = lines[title_index : min(title_index + 15, end)]
    else:
        near_title = lines[:40]
    text_start = _text_start(normalized, body_lines, title, title_index)
    published_at = extract_date(
        meta_dates,
        near_title,
        lines,
        url,
        fetched_at,
        chinese=chinese,
        title=title if title_index >= 0 else None,
        text_start=text_start - title_index if text_start > title_index >= 0 else None,
        headline_at=title_index if title_index >= 0 else None,
        page_time=meta.page_time,
    )
    # On non-Chinese pages trafilatura's metadata is the fallback for what ours did not find
    # (on Chinese pages our readers decide); read when a page needs it, and only then.
    fallback = None
    if not chinese and document is not None and (published_at is None or not title):
        fallback = _trafilatura_metadata(root, url, max_date)
    if published_at is None and fallback is not None and fallback.date:
        traf_date = str(fallback.date)
        # trafilatura falls back to a copyright year as YYYY-01-01: not a publish date.
        if not traf_date.endswith("-01-01"):
            published_at = traf_date

    labelled = [
        line
        for line in [*meta.meta_bars, *head_lines, *tail_lines, *body_lines[-3:]]
        if SOURCE_LABEL_RE.search(line)
    ]
    source = extract_source(
        labelled, body_lines[:1], credits.outlets, site, [*meta.meta_bars, *head_lines]
    )

    text_out = "\n".join(kept_lines)
    kind, reason = classify_page(
        title,
        meta.headings,
        text_out,
        stats,
        has_article_meta=meta.is_article,
        link_texts=link_texts,
        page_lines=lines,
        title_index=title_index,
    )
    if kind != "article":
        return PageResult(kind, None, reason)
    # Listed by role (the archive's order), in page order within a role.
    bylines.sort(key=lambda b: ROLES.index(b.role))
    record = ArticleRecord(
        url=url,
        title=title or (fallback.title if fallback is not None else None),
        text=text_out,
        published_at=published_at,
        bylines=bylines,
        source=source,
        section=section,
        tags=extract_tags(meta, title, site_names),
        language=extract_language(meta, text_out),
        fetched_at=fetched_at,
        extractor_version=EXTRACTOR_VERSION,
    )
    return PageResult("article", record, None)


__all__ = ["EXTRACTOR_VERSION", "PageKind", "PageResult", "extract_article", "extract_page"]
