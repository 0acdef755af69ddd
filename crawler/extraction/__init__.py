"""Article extraction: HTML bytes and a URL in, an :class:`~archive.record.ArticleRecord` out.

Pure functions of the page (no network, no Scrapy, no global caches), built on lxml and
trafilatura with the project's own steps for Chinese news: bylines by role, outlets, dates,
widget removal and encodings.
"""

from __future__ import annotations

from crawler.extraction.encoding import decode_html
from crawler.extraction.page import (
    EXTRACTOR_VERSION,
    PageKind,
    PageResult,
    extract_article,
    extract_page,
)

__all__ = [
    "EXTRACTOR_VERSION",
    "PageKind",
    "PageResult",
    "decode_html",
    "extract_article",
    "extract_page",
]
