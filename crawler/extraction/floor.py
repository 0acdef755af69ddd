"""The body of a non-Chinese page: trafilatura's text, minus safe removals only.

Rules tuned on the pages of a corpus fit those pages: on pages from other sites our English
cleaning once scored below bare trafilatura (94.8 against 95.8 body F1). So on non-Chinese
pages we no longer rework trafilatura's text: the body is trafilatura's default extraction of
the page as it came, and we only remove lines of kinds named here, each one tested on
generated pages:

- lines of the kinds :func:`~crawler.extraction.clean.is_boilerplate_line` names (widget
  headings, share and copyright lines, navigation rows, site footers, calls to subscribe,
  related-article links, publication stamps, the page's own URL);
- a list of links: :data:`LINK_LIST_LINES` or more lines in a row, each mostly the text of
  the page's links or opening with one (related stories, a newsletter's teasers);
- text our tree cleaning removed as a breadcrumb, a widget, page furniture or a boilerplate
  element, when the page does not also hold it elsewhere.

The headline, a site footer trailing the body and closing credits are removed later, as on
every page. Whatever is not of these kinds stays, so the body never holds less than
trafilatura's text but for them (``newsarchive eval`` counts the pages below it).
"""

from __future__ import annotations

from typing import Final

from crawler.extraction.clean import (
    is_boilerplate_line,
    is_list_heading,
    link_share,
    split_rows,
    trim_footer,
)

#: A list of links: this many lines in a row ...
LINK_LIST_LINES: Final = 3
#: ... each made mostly of the page's link texts,
LINK_LINE_SHARE: Final = 0.6
#: ... or opening with a link text this long (a teaser: a linked headline, then a summary).
LINK_ITEM_HEAD: Final = 12
#: Bullets trafilatura or the page put before a list item.
_BULLETS: Final = "-•*·> "


def floor_lines(text: str, link_texts: frozenset[str] = frozenset(), site: str = "") -> list[str]:
    """trafilatura's ``text`` as lines, without the safe removals. ``link_texts`` are the
    page's anchor texts, which tell a list of links; ``site`` is the page's host, which tells
    a line printing the page's own URL."""
    rows: set[str] = set()
    lines = trim_footer(split_rows(text, rows=rows), site)
    kept = [line for line in lines if not is_boilerplate_line(line, site)]
    return drop_link_lists(kept, [a for a in link_texts if len(a) >= 2], keep=rows)


def is_link_item(line: str, anchors: list[str]) -> bool:
    """A line made mostly of links, or opening with a link (a teaser's linked headline)."""
    return _is_link_item(line, anchors, _heads(anchors))


def _heads(anchors: list[str]) -> tuple[str, ...]:
    """The link texts long enough to head a teaser (``str.startswith`` takes a tuple)."""
    return tuple(anchor for anchor in anchors if len(anchor) >= LINK_ITEM_HEAD)


def _is_link_item(line: str, anchors: list[str], heads: tuple[str, ...]) -> bool:
    return link_share(line, anchors) >= LINK_LINE_SHARE or line.lstrip(_BULLETS).startswith(heads)


def drop_link_lists(
    lines: list[str], anchors: list[str], keep: set[str] | frozenset[str] = frozenset()
) -> list[str]:
    """``lines`` without runs of :data:`LINK_LIST_LINES` or more link items, and the short
    heading over such a run (``Most read``). The lines in ``keep`` (a data table's rows, whose
    name cells are often links) are never link items."""
    heads = _heads(anchors)
    linked = [line not in keep and _is_link_item(line, anchors, heads) for line in lines]
    kept: list[str] = []
    start = 0
    while start < len(lines):
        end = start
        while end < len(lines) and linked[end] == linked[start]:
            end += 1
        if not (linked[start] and end - start >= LINK_LIST_LINES):
            kept.extend(lines[start:end])
        elif kept and kept[-1] not in keep and is_list_heading(kept[-1]):
            kept.pop()
        start = end
    return kept
