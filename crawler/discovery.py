"""Feeds and sitemaps, as pure functions: bytes in, URLs (with titles and dates) out.

``parse_feed`` reads RSS 2.0, RSS 1.0 (RDF) and Atom; ``parse_sitemap`` reads sitemaps, sitemap
indexes, Google News sitemaps, gzipped sitemaps and plain-text sitemaps (one URL per line);
``sitemaps_from_robots`` finds the ``Sitemap:`` lines of a robots.txt. Nothing here touches the
network or imports Scrapy: the spider fetches, these functions read.

Hostile XML is refused, not survived by luck:

- the parser never substitutes entities, never loads a DTD and never opens a network or file
  resource (``resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False``);
- a document whose DOCTYPE declares any entity is refused with :class:`DiscoveryError` before its
  first element is read (feeds and sitemaps never need one; billion laughs and XXE do);
- libxml2's own entity amplification limit stays on as a second line.

Large sitemaps are streamed with ``iterparse``: each ``<url>`` is read and then cleared, so memory
holds the body and the entries returned, not a tree. At most ``max_entries`` entries are returned;
the rest are counted in :attr:`SitemapDoc.dropped`.

Real feeds are often not well-formed: a bare ``&`` in a URL, an HTML entity such as ``&nbsp;``, a
control character, a ``gb2312`` label on GBK text. A document that fails to parse is repaired
once for exactly those faults and parsed again; anything else is a :class:`DiscoveryError` with a
one-line message. No other exception leaves this module.
"""

from __future__ import annotations

import html.entities
import io
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_tz
from typing import Final, Literal
from urllib.parse import urljoin, urlsplit

from lxml import etree

__all__ = [
    "MAX_SITEMAP_BYTES",
    "DiscoveryError",
    "FeedEntry",
    "SitemapDoc",
    "SitemapEntry",
    "looks_like_feed",
    "looks_like_sitemap",
    "parse_feed",
    "parse_sitemap",
    "sitemaps_from_robots",
]

#: The sitemap protocol's own limit on an uncompressed sitemap; a gzipped body that inflates
#: beyond it is refused (a gzip bomb inflates a few kB into gigabytes).
MAX_SITEMAP_BYTES: Final = 50 * 1024 * 1024
#: The sitemap protocol's limit on URLs per file.
DEFAULT_MAX_ENTRIES: Final = 50_000

_GZIP_MAGIC: Final = b"\x1f\x8b"
_XML_NS: Final = "http://www.w3.org/XML/1998/namespace"
_XML_BASE: Final = f"{{{_XML_NS}}}base"
_ATOM_NS: Final = "http://www.w3.org/2005/Atom"
_RSS1_NAMESPACES: Final = frozenset(
    {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}
)
_RDF_NS: Final = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC_NS: Final = "http://purl.org/dc/elements/1.1/"
# Google News sitemaps; matched on "sitemap-news" because sites copy the namespace with small
# variations (http/https, trailing slash).
_NEWS_NS_MARK: Final = "sitemap-news"

# Faults that the one repair pass fixes: a "&" that starts no reference, HTML named entities
# (undefined in XML), and the C0 control characters XML 1.0 forbids.
_AMP_RE: Final = re.compile(rb"&(?!(?:[A-Za-z_][\w.-]{0,31}|#\d{1,7}|#[xX][0-9A-Fa-f]{1,6});)")
_NAMED_REF_RE: Final = re.compile(rb"&([A-Za-z_][\w.-]{0,31});")
_CONTROL_RE: Final = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XML_PREDEFINED: Final = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})
_XML_DECL_RE: Final = re.compile(
    rb"^(\s*<\?xml[^>]*?encoding\s*=\s*[\"'])([A-Za-z0-9._:-]+)([\"'])"
)
# Labels under which Chinese sites serve GBK (or GB18030) text; GB18030 is their superset.
_GB_LABELS: Final = frozenset({b"gb2312", b"gbk", b"gb_2312-80", b"x-gbk", b"gb18030", b"cp936"})

# Dates: Chinese sites write 2024年05月20日 10:30 and 2024/05/20 10:30 in feeds.
_CJK_DATE_RE: Final = re.compile(r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})(?:\s*日)?")
_RFC822_ZONE_RE: Final = re.compile(r"\b([A-Z]{2,4})\s*$")
_CHINA_OFFSET: Final = timedelta(hours=8)
_TAG_RE: Final = re.compile(r"<[^>]*>")

# An absolute http(s) URL with a host: taken as is, without urljoin (50,000 per sitemap).
_ABSOLUTE_URL_RE: Final = re.compile(r"https?://[^/?#\s@:]+(?::\d{1,5})?(?:[/?#]\S*)?\Z", re.I)

_SNIFF_BYTES: Final = 2048
_FEED_SNIFF_RE: Final = re.compile(
    rb"<(?:rss[\s>]|rdf:rdf[\s>]|feed[^>]*http://www\.w3\.org/2005/atom)", re.IGNORECASE
)
_SITEMAP_SNIFF_RE: Final = re.compile(rb"<(?:[\w-]+:)?(?:urlset|sitemapindex)[\s>]")


class DiscoveryError(ValueError):
    """A feed, sitemap or robots.txt that cannot be read; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split())[:300])


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a feed: the article URL (absolute), its title and its date, if given."""

    url: str
    title: str | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One ``<url>`` of a urlset or one ``<sitemap>`` of an index (absolute URL)."""

    url: str
    lastmod: datetime | None = None
    news_published_at: datetime | None = None
    news_title: str | None = None


@dataclass(slots=True)
class SitemapDoc:
    """A parsed sitemap: ``urlset`` entries are pages, ``sitemapindex`` entries are sitemaps.

    ``dropped`` counts the entries beyond ``max_entries`` that were not returned.
    """

    kind: Literal["urlset", "sitemapindex"]
    entries: list[SitemapEntry] = field(default_factory=list)
    dropped: int = 0


# -- public API ------------------------------------------------------------------------------


def parse_feed(body: bytes, base_url: str, *, default_tz: tzinfo = UTC) -> list[FeedEntry]:
    """The entries of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in document order.

    Links are resolved against ``xml:base`` and ``base_url``; entries without a link are skipped.
    Dates (RFC 822 or ISO 8601) are aware; a date without a zone is read in ``default_tz`` (pass
    ``ZoneInfo("Asia/Shanghai")`` for a Chinese site that writes local times). Atom's
    ``published`` is preferred to ``updated``; RSS's ``pubDate`` to ``dc:date``.
    """
    if not body.strip():
        raise DiscoveryError("empty feed")
    try:
        return _parse_feed_xml(body, base_url, default_tz)
    except _MalformedXML as first:
        repaired = _repair_xml(body)
        if repaired == body:
            raise DiscoveryError(f"feed is not well-formed XML: {first}") from None
        try:
            return _parse_feed_xml(repaired, base_url, default_tz)
        except _MalformedXML:
            raise DiscoveryError(f"feed is not well-formed XML: {first}") from None


def parse_sitemap(
    body: bytes,
    base_url: str,
    *,
    max_entries: int = DEFAULT_MAX_ENTRIES,
    max_bytes: int = MAX_SITEMAP_BYTES,
    default_tz: tzinfo = UTC,
) -> SitemapDoc:
    """A sitemap, sitemap index, Google News sitemap or plain-text sitemap, gzipped or not.

    A gzipped body is inflated up to ``max_bytes`` (50 MB, the protocol's limit); beyond that it
    is refused. The XML is streamed, and at most ``max_entries`` entries are returned (the rest
    are counted in ``SitemapDoc.dropped``). A body that is not XML is read as a plain-text
    sitemap: one absolute URL per line.
    """
    source: bytes | _GunzipReader = body
    if body[:2] == _GZIP_MAGIC:
        reader = _GunzipReader(body, max_bytes)
        head = reader.peek(_SNIFF_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")
        # Stream the common case (XML, not GB-labelled); inflate the rest whole, within the cap.
        source = reader if head.startswith(b"<") and not _is_gb_labelled(head) else reader.read()
    elif len(body) > max_bytes:
        raise DiscoveryError(f"sitemap is larger than {max_bytes} bytes")
    if isinstance(source, bytes):
        stripped = source.lstrip(b"\xef\xbb\xbf \t\r\n")
        if not stripped:
            raise DiscoveryError("empty sitemap")
        if not stripped.startswith(b"<"):
            return _parse_text_sitemap(stripped, base_url, max_entries)
    try:
        return _parse_sitemap_xml(source, base_url, max_entries, default_tz)
    except _MalformedXML as first:
        whole = source if isinstance(source, bytes) else _GunzipReader(body, max_bytes).read()
        repaired = _repair_xml(whole)
        if repaired == whole:
            raise DiscoveryError(f"sitemap is not well-formed XML: {first}") from None
        try:
            return _parse_sitemap_xml(repaired, base_url, max_entries, default_tz)
        except _MalformedXML:
            raise DiscoveryError(f"sitemap is not well-formed XML: {first}") from None


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """The sitemap URLs of a robots.txt (``Sitemap:`` lines, any case), absolute, deduplicated."""
    found: list[str] = []
    for raw_line in robots_txt.lstrip("\ufeff").splitlines():
        name, sep, value = raw_line.partition(":")
        if not sep or name.strip().lower() != "sitemap":
            continue
        # A comment starts at a "#" after whitespace; a "#" inside the URL is not one.
        value = re.split(r"\s#", value, maxsplit=1)[0].strip()
        url = _absolute_http_url(value, base_url)
        if url and url not in found:
            found.append(url)
    return found


def looks_like_feed(body: bytes) -> bool:
    """A cheap guess from the first bytes: does ``body`` look like RSS, RDF or Atom?"""
    return bool(_FEED_SNIFF_RE.search(_head(body)))


def looks_like_sitemap(body: bytes) -> bool:
    """A cheap guess from the first bytes: an XML or plain-text sitemap (gzipped or not)?"""
    head = _head(body)
    if _SITEMAP_SNIFF_RE.search(head):
        return True
    first_line = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)[0].strip()
    return (
        first_line.lower().startswith((b"http://", b"https://"))
        and b" " not in first_line
        and b"<" not in first_line
    )


# -- XML parsing -----------------------------------------------------------------------------


_Event = Literal["start", "end"]


class _MalformedXML(Exception):
    """Not well-formed; the caller may repair and retry once."""


def _xml_events(
    source: bytes | _GunzipReader, tags: tuple[str, ...] | None = None
) -> Iterator[tuple[str, etree._Element]]:
    """``iterparse`` with every dangerous feature off; parser errors become ``_MalformedXML``.

    Yields ``start`` for the root only, then ``end`` events (of ``tags`` only, if given). The root
    comes first, even when ``tags`` do not name it; a DOCTYPE that declares entities is refused
    there, before any content is read.
    """
    stream = io.BytesIO(_recode_gb(source)) if isinstance(source, bytes) else source
    parser = etree.iterparse(
        stream,
        events=("start", "end"),
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    root_seen = False
    try:
        for event, element in parser:
            if not root_seen:
                root_seen = True
                root = element.getroottree().getroot()
                _refuse_entities(root)
                yield "start", root
            if event == "end":
                yield event, element
        if not root_seen and parser.root is not None:  # tags did not match the root
            _refuse_entities(parser.root)
            yield "start", parser.root
    except etree.XMLSyntaxError as exc:
        message = " ".join(str(exc).split())
        if "amplification" in message or ("entity" in message.lower() and "loop" in message):
            raise DiscoveryError(f"XML refused: {message}") from None
        raise _MalformedXML(message or "no element found") from None
    except (etree.LxmlError, ValueError, LookupError) as exc:
        if isinstance(exc, DiscoveryError):
            raise
        raise _MalformedXML(" ".join(str(exc).split()) or type(exc).__name__) from None


def _refuse_entities(root: etree._Element) -> None:
    docinfo = root.getroottree().docinfo
    for dtd in (docinfo.internalDTD, docinfo.externalDTD):
        if dtd is not None and any(True for _ in dtd.iterentities()):
            raise DiscoveryError(
                "XML refused: its DOCTYPE declares entities, which feeds and sitemaps never need"
            )


def _is_gb_labelled(head: bytes) -> bool:
    match = _XML_DECL_RE.match(head[:200])
    return bool(match and match.group(2).lower() in _GB_LABELS)


def _recode_gb(body: bytes) -> bytes:
    """GB-labelled XML as UTF-8: libxml2 rejects GBK characters under a ``gb2312`` label."""
    match = _XML_DECL_RE.match(body[:200])
    if not match or match.group(2).lower() not in _GB_LABELS:
        return body
    text = body[match.end() :].decode("gb18030", errors="replace")
    head = match.group(1) + b"UTF-8" + match.group(3)
    return head + text.encode("utf-8")


def _repair_xml(body: bytes) -> bytes:
    """Fix the faults real feeds have: bare ``&``, HTML entities, control characters."""

    def named(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        codepoint = html.entities.name2codepoint.get(name.decode("ascii", "replace"))
        return b"&#%d;" % codepoint if codepoint else b"&amp;" + name + b";"

    repaired = _CONTROL_RE.sub(b"", body)
    repaired = _AMP_RE.sub(b"&amp;", repaired)
    return _NAMED_REF_RE.sub(named, repaired)


class _GunzipReader:
    """A gzip body (one or more members) as a file to read, inflated on demand.

    Reading more than ``max_bytes`` of output raises :class:`DiscoveryError`: a gzip bomb stops
    at the cap instead of filling memory. lxml's ``iterparse`` reads from it chunk by chunk.
    """

    _CHUNK = 64 * 1024

    def __init__(self, body: bytes, max_bytes: int) -> None:
        self._body = body
        self._pos = 0
        self._max_bytes = max_bytes
        self._total = 0
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._buffer = bytearray()
        self._done = False

    def peek(self, size: int) -> bytes:
        while len(self._buffer) < size and not self._done:
            self._buffer += self._inflate()
        return bytes(self._buffer[:size])

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            chunks = [bytes(self._buffer)]
            self._buffer.clear()
            while not self._done:
                chunks.append(self._inflate())
            return b"".join(chunks)
        while len(self._buffer) < size and not self._done:
            self._buffer += self._inflate()
        out = bytes(self._buffer[:size])
        del self._buffer[:size]
        return out

    def _take(self) -> bytes:
        chunk = self._body[self._pos : self._pos + self._CHUNK]
        self._pos += len(chunk)
        return chunk

    def _inflate(self) -> bytes:
        """The next piece of output; ``b""`` (and ``_done``) at the end of the last member."""
        try:
            while True:
                inflater = self._inflater
                if inflater.eof:
                    data = inflater.unused_data
                    if len(data) < 2 and self._pos < len(self._body):
                        data += self._take()
                    if data[:2] != _GZIP_MAGIC:  # the end, or trailing garbage after it
                        self._done = True
                        return b""
                    self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
                elif inflater.unconsumed_tail:
                    data = inflater.unconsumed_tail
                elif self._pos < len(self._body):
                    data = self._take()
                else:
                    data = b""
                out = self._inflater.decompress(data, self._CHUNK)
                self._total += len(out)
                if self._total > self._max_bytes:
                    raise DiscoveryError(
                        f"gzipped sitemap inflates beyond {self._max_bytes} bytes; refused"
                    )
                if out:
                    return out
                if not data and not self._inflater.eof:
                    raise DiscoveryError("gzipped sitemap is truncated")
        except zlib.error as exc:
            raise DiscoveryError(f"gzipped sitemap is corrupt: {exc}") from None


def _head(body: bytes) -> bytes:
    if body[:2] != _GZIP_MAGIC:
        return body[:_SNIFF_BYTES]
    try:
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(body[:8192], _SNIFF_BYTES)
    except zlib.error:
        return b""


def _local(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str):  # comments, processing instructions, entity references
        return ""
    return tag.rpartition("}")[2]


def _namespace(element: etree._Element) -> str:
    tag = element.tag
    if not isinstance(tag, str) or not tag.startswith("{"):
        return ""
    return tag[1:].partition("}")[0]


def _text(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    value = " ".join("".join(element.itertext()).split())
    return value or None


def _release(element: etree._Element) -> None:
    """Free a processed element and the siblings before it (iterparse keeps them otherwise)."""
    element.clear()
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _base_for(element: etree._Element, base_url: str) -> str:
    """``base_url`` refined by the ``xml:base`` attributes of ``element`` and its ancestors."""
    bases: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        value = node.get(_XML_BASE)
        if value:
            bases.append(value.strip())
        node = node.getparent()
    base = base_url
    for value in reversed(bases):
        base = urljoin(base, value)
    return base


def _absolute_http_url(value: str | None, base: str) -> str | None:
    if not value:
        return None
    value = value.strip()
    if _ABSOLUTE_URL_RE.match(value):
        return value
    try:
        url = urljoin(base, value)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


# -- feeds -----------------------------------------------------------------------------------


def _parse_feed_xml(body: bytes, base_url: str, default_tz: tzinfo) -> list[FeedEntry]:
    entries: list[FeedEntry] = []
    flavour = ""
    for event, element in _xml_events(body):
        if event == "start":
            if element.getparent() is None:
                flavour = _feed_flavour(element)
            continue
        name = _local(element)
        if flavour == "atom" and name == "entry" and _namespace(element) == _ATOM_NS:
            entry = _atom_entry(element, base_url, default_tz)
        elif flavour in ("rss", "rdf") and name == "item":
            entry = _rss_item(element, base_url, default_tz)
        else:
            continue
        if entry is not None:
            entries.append(entry)
        _release(element)
    if not flavour:
        raise _MalformedXML("no root element")
    return entries


def _feed_flavour(root: etree._Element) -> str:
    name, namespace = _local(root), _namespace(root)
    if name == "feed" and namespace == _ATOM_NS:
        return "atom"
    if name == "rss" and not namespace:
        return "rss"
    if name == "RDF" and namespace == _RDF_NS:
        return "rdf"
    raise DiscoveryError(f"not a feed: the root element is <{name or '?'}>")


def _atom_entry(entry: etree._Element, base_url: str, default_tz: tzinfo) -> FeedEntry | None:
    href: str | None = None
    link_element: etree._Element | None = None
    title_element: etree._Element | None = None
    published: str | None = None
    updated: str | None = None
    for child in entry:
        if _namespace(child) != _ATOM_NS:
            continue
        name = _local(child)
        if name == "link" and child.get("href") and child.get("rel", "alternate") == "alternate":
            # The first alternate link wins, unless a later one is declared HTML.
            if href is None or (child.get("type") or "").startswith("text/html"):
                href, link_element = child.get("href"), child
        elif name == "title":
            title_element = child
        elif name == "published":
            published = _text(child)
        elif name == "updated":
            updated = _text(child)
    if link_element is None:
        return None
    url = _absolute_http_url(href, _base_for(link_element, base_url))
    if url is None:
        return None
    title = _text(title_element)
    if title and title_element is not None and title_element.get("type") == "html":
        title = " ".join(html.unescape(_TAG_RE.sub("", title)).split()) or None
    return FeedEntry(
        url=url,
        title=title,
        published_at=_parse_date(published, default_tz) or _parse_date(updated, default_tz),
    )


def _rss_item(item: etree._Element, base_url: str, default_tz: tzinfo) -> FeedEntry | None:
    link: str | None = None
    permalink: str | None = None
    title: str | None = None
    pub_date: str | None = None
    dc_date: str | None = None
    for child in item:
        name, namespace = _local(child), _namespace(child)
        if namespace in ("", *_RSS1_NAMESPACES):
            if name == "link" and link is None:
                link = _text(child)
            elif name == "title" and title is None:
                title = _text(child)
            elif name == "pubDate" and pub_date is None:
                pub_date = _text(child)
            elif name == "guid" and (child.get("isPermaLink") or "true").lower() != "false":
                permalink = _text(child)
        elif namespace == _DC_NS and name == "date" and dc_date is None:
            dc_date = _text(child)
    base = _base_for(item, base_url)
    url = _absolute_http_url(link, base) or _absolute_http_url(permalink, base)
    if url is None and item.get(f"{{{_RDF_NS}}}about"):
        url = _absolute_http_url(item.get(f"{{{_RDF_NS}}}about"), base)
    if url is None:
        return None
    published_at = _parse_date(pub_date, default_tz) or _parse_date(dc_date, default_tz)
    return FeedEntry(url=url, title=title, published_at=published_at)


# -- sitemaps --------------------------------------------------------------------------------


_SITEMAP_TAGS: Final = ("{*}urlset", "{*}sitemapindex", "{*}url", "{*}sitemap")


def _parse_sitemap_xml(
    source: bytes | _GunzipReader, base_url: str, max_entries: int, default_tz: tzinfo
) -> SitemapDoc:
    doc: SitemapDoc | None = None
    entry_name = ""
    base = base_url
    for event, element in _xml_events(source, _SITEMAP_TAGS):
        if event == "start":  # the root
            name = _local(element)
            if name == "urlset":
                doc, entry_name = SitemapDoc(kind="urlset"), "url"
            elif name == "sitemapindex":
                doc, entry_name = SitemapDoc(kind="sitemapindex"), "sitemap"
            else:
                raise DiscoveryError(f"not a sitemap: the root element is <{name or '?'}>")
            base = _base_for(element, base_url)
            continue
        if doc is None or _local(element) != entry_name:
            continue
        parent = element.getparent()
        if parent is None or parent.getparent() is not None:  # only children of the root
            continue
        if len(doc.entries) >= max_entries:
            doc.dropped += 1
        else:
            entry = _sitemap_entry(element, base, default_tz)
            if entry is not None:
                doc.entries.append(entry)
        _release(element)
    if doc is None:
        raise _MalformedXML("no root element")
    return doc


def _sitemap_entry(
    element: etree._Element, base_url: str, default_tz: tzinfo
) -> SitemapEntry | None:
    loc: str | None = None
    lastmod: str | None = None
    news_date: str | None = None
    news_title: str | None = None
    for child in element:
        name, namespace = _local(child), _namespace(child)
        if _NEWS_NS_MARK in namespace:
            if name == "news":
                for news_child in child:
                    news_name = _local(news_child)
                    if news_name == "publication_date":
                        news_date = _text(news_child)
                    elif news_name == "title":
                        news_title = _text(news_child)
        elif name == "loc" and loc is None:
            loc = child.text
        elif name == "lastmod" and lastmod is None:
            lastmod = child.text
    own_base = element.get(_XML_BASE)
    url = _absolute_http_url(loc, urljoin(base_url, own_base.strip()) if own_base else base_url)
    if url is None:
        return None
    return SitemapEntry(
        url=url,
        lastmod=_parse_date(lastmod, default_tz),
        news_published_at=_parse_date(news_date, default_tz),
        news_title=news_title,
    )


def _parse_text_sitemap(body: bytes, base_url: str, max_entries: int) -> SitemapDoc:
    doc = SitemapDoc(kind="urlset")
    lines = 0
    for raw_line in body.decode("utf-8", errors="replace").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        lines += 1
        if " " in line or "<" in line or not line.lower().startswith(("http://", "https://")):
            continue
        url = _absolute_http_url(line, base_url)
        if url is None:
            continue
        if len(doc.entries) >= max_entries:
            doc.dropped += 1
        else:
            doc.entries.append(SitemapEntry(url=url))
    if lines and not doc.entries and not doc.dropped:
        raise DiscoveryError("not a sitemap: neither XML nor a list of http(s) URLs")
    return doc


# -- dates -----------------------------------------------------------------------------------


def _parse_date(value: str | None, default_tz: tzinfo) -> datetime | None:
    """An aware datetime from RFC 822, ISO 8601 (W3C) or Chinese-style dates; else None."""
    if not value:
        return None
    value = value.strip()[:64]
    try:
        if value[:4].isdigit() and value[4:5] == "-":  # the common W3C form, parsed in C
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)
        return _parse_rfc822(value, default_tz) or _parse_iso(value, default_tz)
    except (ValueError, OverflowError):
        return None


def _parse_rfc822(value: str, default_tz: tzinfo) -> datetime | None:
    if not value[:1].isalpha() and not re.match(r"\d{1,2}\s+[A-Za-z]", value):
        return None
    parsed = parsedate_tz(value)
    if parsed is None:
        return None
    year, month, day, hour, minute, second = parsed[:6]
    if year < 100:  # RFC 822 two-digit years
        year += 2000 if year < 50 else 1900
    naive = datetime(year, month, day, hour, minute, second)
    offset = parsed[9]
    zone = _RFC822_ZONE_RE.search(value)
    if zone and zone.group(1) == "CST" and _offset_at(naive, default_tz) == _CHINA_OFFSET:
        # RFC 822 says CST is US Central (-06:00); Chinese sites mean China Standard Time.
        offset = int(_CHINA_OFFSET.total_seconds())
    if offset is None:
        return naive.replace(tzinfo=default_tz)
    return naive.replace(tzinfo=timezone(timedelta(seconds=offset)))


def _parse_iso(value: str, default_tz: tzinfo) -> datetime | None:
    if re.fullmatch(r"\d{4}(?:-\d{2})?", value):  # W3C datetime allows YYYY and YYYY-MM
        value = (value + "-01-01")[:10]
    cjk = _CJK_DATE_RE.match(value)
    if not cjk:
        return None
    year, month, day = cjk.groups()
    text = f"{year}-{int(month):02d}-{int(day):02d}"
    rest = value[cjk.end() :].strip().lstrip("Tt").strip()
    if rest:
        rest = re.sub(r"\s*(?:UTC|GMT)$", "Z", rest)
        rest = re.sub(r"\s+([+-]\d{2}:?\d{2}|Z)$", r"\1", rest)
        text += "T" + rest
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=default_tz)


def _offset_at(naive: datetime, zone: tzinfo) -> timedelta | None:
    try:
        return naive.replace(tzinfo=zone).utcoffset()
    except (ValueError, OverflowError):
        return None
