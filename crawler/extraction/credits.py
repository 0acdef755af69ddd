"""Where on a page a credit may stand, and which forms of the byline grammar each place allows.

The grammar (:mod:`crawler.extraction.bylines`) reads a credit text; this module decides which
texts are credit texts: the metadata bar, the lines between the headline and the text, the
lead's ``…讯（…）`` and the dateline's ``…电（…）``, standalone credit lines at the top and the
bottom of the body, a closing bracket, photo captions, English ``By`` lines, and the page's
structured author fields. Names are never read out of running prose. ``docs/bylines.md`` has
the table of forms and positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Final

from archive.record import WRITING_ROLES, Byline
from crawler.extraction.bylines import (
    BareNames,
    BylineFinds,
    might_credit,
    parse_credit,
    parse_dated_by,
    parse_english_credit,
    parse_labelled_handle,
    parse_origin_line,
    parse_posted_by,
    site_word_in,
    structured_authors,
)
from crawler.extraction.dates import FOOTER_RE
from crawler.extraction.titles import normalize

#: A credit line is short; a longer line is a paragraph, read only for its lead or closing.
_CREDIT_LINE_CHARS: Final = 80
#: The top of the body, where a credit line may follow a lead or a summary box: this many
#: lines, within this share of the body's characters.
_TOP_LINES: Final = 8
_TOP_SHARE: Final = 0.3
#: A line of names alone is read only this close under the headline (``赵延东、风笑天``).
_NAMES_LINE_DEPTH: Final = 4
#: The header between headline and text is at most this many page lines.
_HEAD_LINES: Final = 14
#: Body lines at the end whose closing bracket may credit the writers.
_CLOSING_PARAGRAPHS: Final = 2
#: ``新京报讯（记者 陆一夫）``, ``据新华社拉萨电（记者 次仁旺堆）``, ``央广网北京5月20日消息
#: （记者 张三）``: the credit in a lead.
_LEAD_PAREN_RE: Final = re.compile(r"^.{0,30}?(?:[讯电]|消息)\s*[（(]([^）)]{2,60})[）)]")
#: ``本报讯 记者 张三 通讯员 李四 报道：`` or ``…电 记者张三``: a lead's credit without brackets.
_LEAD_BARE_RE: Final = re.compile(
    r"^.{0,30}?(?:[讯电]|消息)\s*[:：]?\s*((?:记者|通讯员|本报记者)[^。：:（(]{2,40})"
)
#: ``（职工通讯员 李琴雯 刘会）为深入推进…``: a paragraph opening with a credit in brackets.
_OPENING_PAREN_RE: Final = re.compile(r"^\s*[（(【\[]([^）)】\]]{2,60})[）)】\]]")
#: ``…新春佳节。（常书香 马丹阳）``: a paragraph closing with a credit in brackets.
_CLOSING_PAREN_RE: Final = re.compile(r"[（(【\[]([^（）()【】\[\]]{2,60})[）)】\]]\s*$")
#: A caption's credit after its text (``图为…。新华社记者 王五 摄``).
_CAPTION_TAIL_RE: Final = re.compile(
    r"(?:^|[。！？；;])\s*([^。！？；;]{2,40}?(?:摄影?|供图))\s*[）)]?\s*$"
)
#: ``By`` inside a metadata bar, after a date or a section name.
_BAR_BY_RE: Final = re.compile(r"\bBy\s+[A-Z]")
#: A sentence's punctuation: a line holding one is text, not a credit line.
_SENTENCE_RE: Final = re.compile(r"[。！？!?；;]")
#: ``本报记者 张三 通讯员 李四 报道：`` opening a paragraph, with no lead word before it.
_REPORT_OPENING_RE: Final = re.compile(
    r"^\s*((?:本报|本网)?(?:记者|通讯员)[^。：:！？]{2,40}?报道)"
)
#: A metadata cell opening with a writing credit label (``作者：``, ``执笔人：``, ``文/``).
_LABELLED_AUTHOR_RE: Final = re.compile(
    r"^\s*(?:作者|记者|本报记者|执笔人?|撰稿人?|撰文|采写|文)\s*[:：/]"
)
#: A credit label with nothing after it (the value sits in the next cell).
_LABEL_ONLY_RE: Final = re.compile(r"^\s*\S{1,4}\s*[:：/]\s*$")
#: A government document's own fields (its number, the day it was signed): an issuer counts
#: only on a page that gives one, since a news release's index table names the office that
#: posted it (``发布机构``) as its source.
_DOCUMENT_FIELD_RE: Final = re.compile(r"(?:发文字号|成文日期|文\s*号)\s*[:：]")
#: The issuer's cell of a government document's index table (政府信息公开: 索引号, 分类,
#: 发文机关, 成文日期 …), its value in the same cell or the next one.
_ISSUER_LABEL_RE: Final = re.compile(r"^\s*(?:发文机关|发布机构|发文单位)\s*[:：]\s*(?P<value>.*)$")


@dataclass(frozen=True, slots=True)
class PageText:
    """What the credit search reads of a page, in page order."""

    #: Every text line of the page (before cleaning).
    lines: list[str]
    #: The headline's index in ``lines`` (-1 when not found) and the headline.
    title_index: int
    title: str | None
    #: Lines between the headline and the body's first line.
    head_lines: list[str]
    #: The body as extracted (one paragraph a line).
    body_lines: list[str]
    #: Page lines right after the body's last line.
    tail_lines: list[str]
    #: Texts of elements classed as metadata bars (``info``, ``source``, ``author`` …).
    meta_bars: list[str]
    #: Values of structured author fields (JSON-LD, meta tags, itemprop, rel).
    author_fields: list[str]
    #: Texts of author-classed elements (read only when printed in the header).
    author_elements: list[str]
    #: Lines inside comment areas (their names sign comments).
    comment_lines: frozenset[str]
    site_names: list[str]
    chinese: bool
    #: Texts of the page's links: a bare word that is a link is a tag or a section.
    link_texts: frozenset[str] = frozenset()


@dataclass(slots=True)
class Credits:
    """The people credited on a page, the outlets met in credits, and the body without its
    standalone credit lines."""

    bylines: list[Byline] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    body_lines: list[str] = field(default_factory=list)


def _short(line: str) -> bool:
    return len(line) <= _CREDIT_LINE_CHARS


def _labelled_line(line: str, credit: BylineFinds) -> BylineFinds | None:
    """A line that is a credit and nothing else gives all its credits; a line that is no
    sentence gives the names its labels introduce, whatever else it holds (``作者：张三，
    某某大学教授``, ``文章来源：某某网 作者：张三``)."""
    if credit.credit_only:
        return credit
    if credit.labelled and not _SENTENCE_RE.search(line):
        return credit.only_labelled()
    return None


def _split_body(
    body_lines: list[str], finds: BylineFinds, links: frozenset[str] = frozenset()
) -> list[str]:
    """The body without its standalone credit lines (at the top, or in its second half); the
    body ends at a closing writers' credit in its second half (what follows is related
    content), and a bracket of names alone as its last line is the writers' credit."""
    kept: list[str] = []
    total = sum(len(line) for line in body_lines) or 1
    seen = 0
    cut_at: int | None = None
    for index, line in enumerate(body_lines):
        seen += len(line)
        at_top = index < 2 or (index < _TOP_LINES and seen <= _TOP_SHARE * total)
        origin = parse_origin_line(line) if at_top else None
        if origin is not None:
            # ``原创： 张三 某某公众号``: a WeChat article's origin line leaves the body.
            finds.extend(origin)
            continue
        if _short(line) and (at_top or seen > total / 2) and (index < 2 or might_credit(line)):
            parsed = parse_credit(line, bare="line" if index < 2 else "bracketed")
            credit = _labelled_line(line, parsed.drop_bare(links))
            if credit is not None and credit.bylines:
                finds.extend(credit)
                if parsed.credit_only:
                    # A credit and nothing else leaves the body; a line with other words in
                    # it (a caption with its photographer) stays.
                    if index >= 2 and credit.has_writers and cut_at is None:
                        cut_at = len(kept)
                    continue
        kept.append(line)
    if cut_at is not None and sum(len(x) for x in kept[cut_at:]) < 0.4 * total:
        kept = kept[:cut_at]
    if len(kept) > 1 and _short(kept[-1]) and _OPENING_PAREN_RE.match(kept[-1]):
        # ``（袁芳）`` as the body's last line.
        credit = parse_credit(kept[-1], bare="line")
        if credit.credit_only:
            finds.extend(credit)
            kept.pop()
    return kept


def lead_credits(body_lines: list[str]) -> BylineFinds:
    """``本报讯（记者 王五）``, ``…电（记者 次仁旺堆）``, ``（通讯员 李四）为…``, ``本报讯 记者 张三
    报道``: the credit at the start of the first paragraphs."""
    finds = BylineFinds()
    for line in body_lines[:3]:
        lead = _LEAD_PAREN_RE.match(line) or _OPENING_PAREN_RE.match(line)
        if lead is not None:
            finds.extend(parse_credit(lead.group(1), bare="line"))
        else:
            bare_lead = _LEAD_BARE_RE.match(line) or _REPORT_OPENING_RE.match(line)
            if bare_lead is not None:
                finds.extend(parse_credit(bare_lead.group(1)))
        if finds.bylines:
            break
    return finds


def closing_credits(body_lines: list[str]) -> BylineFinds:
    """``……。（姚明辉 上海报道）``, ``（记者 张三）``, ``（常书香 马丹阳）`` closing the last
    paragraphs. One bare name in brackets closing a paragraph is as often the editor's
    signature as the writer's: only two or more bare names are taken there."""
    finds = BylineFinds()
    for line in body_lines[-_CLOSING_PARAGRAPHS:]:
        match = _CLOSING_PAREN_RE.search(line)
        if match is None or match.start() < 10:
            continue
        credit = parse_credit(match.group(1), bare="line")
        labelled = len(credit.bylines) > len(credit.bare)
        if credit.credit_only and (labelled or len(credit.bare) >= 2):
            finds.extend(credit)
    return finds


def _caption_credits(body_lines: Iterable[str]) -> BylineFinds:
    """Photo captions in the body: ``张三 摄``, ``图为…。新华社记者 王五 摄``: photographers."""
    finds = BylineFinds()
    for line in body_lines:
        if len(line) > 160:
            continue
        match = _CAPTION_TAIL_RE.search(line)
        if match is None:
            continue
        credit = parse_credit(match.group(1))
        for byline in credit.bylines:
            if byline.role == "photographer":
                finds.add(byline.name, byline.role)
        finds.outlets.extend(o for o in credit.outlets if o not in finds.outlets)
    return finds


def _head_credits(page: PageText) -> BylineFinds:
    """The metadata bar and the lines between headline and text: labelled credits in any line
    that is no sentence, ``[ 黄晓宇 ]`` in an info bar, a line of names alone right under the
    headline."""
    finds = BylineFinds()
    for text in page.meta_bars:
        origin = parse_origin_line(text)
        if origin is not None:
            finds.extend(origin)
            continue
        finds.extend(parse_credit(text, bare="bracketed").drop_bare(page.link_texts))
    # The body's first lines are read by _split_body, under the body's stricter rules.
    for index, line in enumerate(page.head_lines[:_HEAD_LINES]):
        if not _short(line) or line in page.comment_lines:
            continue
        mode: BareNames = "line" if index < _NAMES_LINE_DEPTH else "bracketed"
        origin = parse_origin_line(line)
        if origin is not None:
            finds.extend(origin)
            continue
        credit = parse_credit(line, bare=mode).drop_bare(page.link_texts)
        # A bar holds no sentence: a line with one (``记者：您怎么看？``) counts only when
        # it is a credit and nothing else.
        if credit.credit_only or not _SENTENCE_RE.search(line):
            finds.extend(credit)
    return finds


def _tail_credits(page: PageText) -> BylineFinds:
    """Standalone credit lines right after the body (``责任编辑：…``), up to the first line
    that is none (a related list or a comment area starts there)."""
    finds = BylineFinds()
    for line in page.tail_lines:
        if not _short(line) or line in page.comment_lines or not might_credit(line):
            break
        credit = _labelled_line(line, parse_credit(line))
        if credit is None or not credit.bylines:
            break
        finds.extend(credit)
    return finds


def _index_credits(page: PageText) -> BylineFinds:
    """``发文机关：吉林省人民政府`` in a government document's index table (the value in the
    label's cell or the next one): the issuing office."""
    finds = BylineFinds()
    for index, line in enumerate(page.lines):
        match = _ISSUER_LABEL_RE.match(line) if len(line) <= _CREDIT_LINE_CHARS else None
        if match is None or line in page.comment_lines:
            continue
        text = line
        if not match.group("value") and index + 1 < len(page.lines):
            text = f"{line}{page.lines[index + 1]}"
        for byline in parse_credit(text).bylines:
            if byline.role == "issuer":
                finds.add(byline.name, byline.role)
        if finds.bylines:
            break
    return finds


def _english_credits(page: PageText) -> BylineFinds:
    """``By A and B`` opening a line under the headline or the body, or anywhere in a
    metadata bar (``May 20, 2024 By Jane Doe``)."""
    finds = BylineFinds()
    bars = [line[match.start() :] for line in page.meta_bars if (match := _BAR_BY_RE.search(line))]
    for line in [*bars, *page.head_lines[:6], *page.body_lines[:1]]:
        if len(line) <= 120:
            for name in parse_english_credit(line):
                if not site_word_in(name, page.site_names):
                    finds.add(name, "author")
    return finds


def _under_headline(page: PageText) -> tuple[BylineFinds, str | None]:
    """A name alone on the line right under the headline (in the page or in the body)."""
    want = normalize(page.title or "")
    for seq in (page.lines[max(page.title_index, 0) :], page.body_lines):
        for prev, line in pairwise(seq[:13]):
            if normalize(prev) == want and len(line) <= 12:
                found = parse_credit(line, bare="line").drop_bare(page.link_texts)
                if found.has_writers and found.credit_only:
                    return found, line
                break
    return BylineFinds(), None


def _anywhere_labelled(page: PageText) -> BylineFinds:
    """``作者：宋怡 杨志华`` somewhere on the page (a table-layout metadata cell), a blog's
    ``由某某张贴``, a forum's ``发布时间 2005/03/15 22:36 by handle``. Only the first labelled
    author counts: later ones sign replies or related posts."""
    for line in page.lines:
        if line in page.comment_lines:
            continue
        if len(line) <= 60 and _LABELLED_AUTHOR_RE.match(line):
            found = _labelled_line(line, parse_credit(line)) or BylineFinds()
            if not found.has_writers:
                found = parse_labelled_handle(line)
            if not found.has_writers and not _LABEL_ONLY_RE.match(line):
                return BylineFinds()
        elif len(line) <= 120 and "由" in line:
            found = parse_posted_by(line)
        elif page.chinese and len(line) <= 120 and "by" in line.lower():
            if FOOTER_RE.search(line):
                continue
            found = parse_dated_by(line)
        else:
            continue
        if found.has_writers:
            return found
    return BylineFinds()


def _visible(name: str, page: PageText) -> bool:
    return any(name in line for line in page.lines if line not in page.comment_lines)


def find_credits(page: PageText) -> Credits:
    """Everyone credited on the page, with roles; the body without its credit lines.

    Structured author fields are read first and validated; a person they name is kept when the
    page prints no writer's credit, or prints the name, and dropped when the page credits that
    name as editor or photographer only (a CMS often puts the editor in ``meta name=author``).
    The weak forms (a name alone under the headline, a labelled line anywhere, a blog's poster)
    count only when nothing else names a writer.
    """
    finds = BylineFinds()
    body_finds = BylineFinds()
    body = _split_body(page.body_lines, body_finds, page.link_texts)
    finds.extend(_head_credits(page))
    # A lead paragraph left in the header (trafilatura began the body after it) counts too.
    long_head = [line for line in page.head_lines[:_HEAD_LINES] if not _short(line)]
    finds.extend(lead_credits([*long_head[:1], *page.body_lines[:2]]))
    finds.extend(body_finds)
    finds.extend(closing_credits(body))
    finds.extend(_tail_credits(page))
    finds.extend(_caption_credits(page.body_lines))
    if any(_DOCUMENT_FIELD_RE.search(line) for line in page.lines if _short(line)):
        finds.extend(_index_credits(page))
    else:
        finds.bylines = [b for b in finds.bylines if b.role != "issuer"]
    if not page.chinese:
        finds.extend(_english_credits(page))

    others = {b.name for b in finds.bylines if b.role not in WRITING_ROLES}
    printed = finds.has_writers
    header = [
        line.replace(" ", "") for line in [*page.head_lines[:_HEAD_LINES], *page.body_lines[:1]]
    ]
    values = [
        *page.author_fields,
        *(
            text
            for text in page.author_elements
            if any(text.replace(" ", "") in line for line in header)
        ),
    ]
    for name in structured_authors(values, page.site_names, chinese=page.chinese):
        if name in others and name not in finds.writers:
            continue
        if not printed or _visible(name, page):
            finds.add(name, "author")

    if not finds.has_writers and page.title:
        found, line = _under_headline(page)
        if line is not None:
            finds.extend(found)
            body = [x for x in body if x != line]
    if not finds.has_writers:
        finds.extend(_anywhere_labelled(page))
    return Credits(list(finds.bylines), list(finds.outlets), body)
