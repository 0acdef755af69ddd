"""The headline: a heading that agrees with ``<title>``/``og:title``, else a cleaned
``<title>`` with the site suffixes (``_网易订阅``, ``-新华网``, `` | Site``) removed."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Final

from crawler.extraction.text import han_count, squash

#: Separators between a headline and the site/section names appended to ``<title>``.
TITLE_SPLIT_RE: Final = re.compile(r"\s*(?:_|\|| - | – | — |｜|—|-{2,}|::|·|«|»)\s*|\s+-|-\s+")
#: A ``<title>`` segment that names a site, channel or section rather than the story.
SITE_WORD_RE: Final = re.compile(
    r"网|报|新闻|资讯|频道|在线|中心|政府|官网|订阅|首页|门户|客户端|平台|社区|论坛|博客|专栏|"
    r"时报|日报|晚报|电视|传媒|集团|\.com|\.cn|\.net|news|times|post|daily|online|magazine|"
    r"journal|tribune|herald|guardian|blog|media|channel|tv|radio",
    re.I,
)
_ALNUM_RE: Final = re.compile(r"[\W_]+")
#: Strings :func:`normalize` remembers: the lines of a few pages.
_NORMALIZE_CACHE: Final = 8192
#: Title segments that are never the headline: a domain, a forum engine's signature.
_NOT_HEADLINE_RE: Final = re.compile(r"\.(?:com|cn|net|org)\b|\bpowered by\b", re.I)
#: The last ``-suffix`` of a title, hyphen glued to both words.
_GLUED_SUFFIX_RE: Final = re.compile(r"(?<=\S)-([^-\s][^-]{0,14})$")


@functools.lru_cache(maxsize=_NORMALIZE_CACHE)
def normalize(text: str) -> str:
    """``text`` NFKC-normalised, lower-cased, without punctuation, spaces or underscores: how
    a headline is compared with lines. Remembered: the rules compare the same lines with the
    headline several times over (title, body start, dates, credits)."""
    return _ALNUM_RE.sub("", unicodedata.normalize("NFKC", text).lower())


def _headline_segments(title: str, site_names: Iterable[str] = ()) -> tuple[str, str]:
    """``<title>`` without its site segments, and the single segment taken for the headline
    (the two differ when a segment before the headline was kept, not known to name a site)."""
    title = squash(title)
    known = {normalize(s) for s in site_names if s}
    # ``标题-新华网``: a hyphen without spaces before a site name.
    glued = _GLUED_SUFFIX_RE.search(title)
    if glued and (SITE_WORD_RE.search(glued.group(1)) or normalize(glued.group(1)) in known):
        title = title[: glued.start()]
    parts = [p for p in TITLE_SPLIT_RE.split(title) if p]
    if len(parts) <= 1:
        return title, title

    # The headline is the longest segment; what comes after it is site/section names.
    # Widest segment, a Han character counting as two Latin ones (as they are displayed).
    def width(i: int) -> int:
        part = parts[i]
        if normalize(part) in known or _NOT_HEADLINE_RE.search(part):
            return 0
        return len(part) + han_count(part)

    best = max(range(len(parts)), key=width)
    head = parts[best]
    if len(head) + han_count(head) < 8 and len(parts) > 1:
        return title, title
    # Segments before the headline are kept unless they name the site.
    start = best
    while start > 0:
        prev = parts[start - 1]
        if normalize(prev) in known or SITE_WORD_RE.search(prev) or len(prev) <= 4:
            break
        start -= 1
    kept = parts[start : best + 1]
    # Rebuild with the original separators by slicing the title between kept segments.
    first = title.find(kept[0])
    last = title.find(kept[-1], first) + len(kept[-1])
    return (title[first:last].strip() if first >= 0 and last > first else head), head


def strip_site_suffix(title: str, site_names: Iterable[str] = ()) -> str:
    """``标题_互联网_某某资讯网`` → ``标题``: drop trailing (and leading) site segments."""
    return _headline_segments(title, site_names)[0]


def _line_prefix_title(
    lines: Sequence[str], references: Sequence[str], exact: Iterable[str] = ()
) -> str | None:
    """The longest page line that opens ``<title>``/``og:title`` (the headline shown on the
    page, without the suffixes that only ``<title>`` carries), or that is one of ``exact``."""
    best: str | None = None
    best_len = 0
    norm_refs = [normalize(r) for r in references]
    norm_exact = {normalize(e) for e in exact}
    for line in lines:
        norm = normalize(line)
        if len(norm) < 6 or len(norm) <= best_len:
            continue
        if norm in norm_exact:
            best, best_len = line, len(norm)
            continue
        for ref in norm_refs:
            if ref.startswith(norm) and len(norm) >= 0.4 * len(ref) and norm != ref:
                best, best_len = line, len(norm)
                break
    return best


def extract_title(
    headings: Sequence[str],
    title_tag: str | None,
    meta_titles: Sequence[str],
    site_names: Iterable[str] = (),
    lines: Sequence[str] = (),
) -> str | None:
    """Pick the headline (see the module docstring)."""
    sites = [s for s in site_names if s]
    references = [t for t in (title_tag, *meta_titles) if t]
    norm_refs = [normalize(r) for r in references]
    cleaned_refs = [normalize(strip_site_suffix(r, sites)) for r in references]
    longest = max((len(r) for r in cleaned_refs), default=0)
    # A heading contained in <title>/og:title without their site suffixes first (a logo
    # heading naming the site, ``<h1>某某区融媒体中心</h1>``, sits in the suffix); then one
    # contained in them as they are; then one that <title> truncates.
    for mode in ("cleaned", "contained", "truncated"):
        for raw in headings:
            heading = squash(raw)
            norm = normalize(heading)
            if len(norm) < 4 or len(norm) * 2 < longest:
                continue  # a site logo or a widget heading inside the title, not the headline
            if mode == "cleaned":
                agrees = any(norm in ref for ref in cleaned_refs)
            elif mode == "contained":
                agrees = any(norm in ref for ref in norm_refs)
            else:
                agrees = any(
                    len(ref) >= 8 and norm.startswith(ref) and len(norm) <= 1.3 * len(ref)
                    for ref in cleaned_refs
                )
            if agrees and not any(normalize(s) == norm for s in sites):
                return heading
    # Against the cleaned titles too: a long site suffix makes the headline a small share.
    # A line equal to a cleaned title is the headline as shown; a line equal to a raw title
    # is not (that is ``<title>`` itself, or a copy of it with its suffix).
    segments = [_headline_segments(r, sites) for r in references]
    cleaned_titles = [cleaned for cleaned, _ in segments]
    exact = {normalize(c) for c in cleaned_titles} - set(norm_refs)
    shown = _line_prefix_title(lines, [*references, *cleaned_titles], exact)
    if shown is None:
        # ``站名 - 标题`` whose first segment was kept (nothing says it names the site): the
        # page showing ``标题`` alone on a line says it is not part of the headline.
        heads = {normalize(head) for _, head in segments} - set(norm_refs)
        shown = next((x for x in lines if len(normalize(x)) >= 6 and normalize(x) in heads), None)
    if shown is not None:
        return squash(shown)
    for meta in meta_titles:
        cleaned = strip_site_suffix(meta, sites)
        if len(normalize(cleaned)) >= 4:
            return cleaned
    if title_tag:
        cleaned = strip_site_suffix(title_tag, sites)
        if len(normalize(cleaned)) >= 4 and not any(
            normalize(s) == normalize(cleaned) for s in sites
        ):
            return cleaned
    for raw in headings:
        heading = squash(raw)
        if len(normalize(heading)) >= 4:
            return heading
    return squash(title_tag) if title_tag else None


#: A tag in brackets before a headline (``[某某化妆品]``, ``【推广】``).
_TAG_PREFIX_RE: Final = re.compile(r"^\s*[\[【〔［]([^\]】〕］]{1,12})[\]】〕］]\s*(?P<rest>.+)$")
#: ``原标题：…``: the headline as first published, stated in the body of a reprint.
_ORIGINAL_TITLE_RE: Final = re.compile(r"^\s*[【\[]?原标题[】\]]?\s*[:：]\s*(?P<title>.+)$")


def drop_confirmed_tag(title: str | None, lines: Sequence[str]) -> str | None:
    """``[某某化妆品]江门七旬阿婆…`` → ``江门七旬阿婆…`` when the page's ``原标题：`` line
    gives the headline without the tag (a tag the reprinting site put in front of it)."""
    if not title:
        return title
    tagged = _TAG_PREFIX_RE.match(title)
    if tagged is None:
        return title
    rest = normalize(tagged.group("rest"))
    for line in lines:
        original = _ORIGINAL_TITLE_RE.match(line) if len(line) <= 200 else None
        if original is not None and normalize(original.group("title")) == rest:
            return squash(tagged.group("rest"))
    return title
