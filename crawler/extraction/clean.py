"""Boilerplate removal on the lxml tree (before trafilatura) and on the text lines (after).

trafilatura keeps what sits inside the article container on Chinese portals: breadcrumbs,
recommendation widgets with their link lists, share bars, 责任编辑 lines, copyright and
disclaimer blocks. These are found by their visible text (which is stable across sites) more
than by class names (which are not).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Final

from lxml import etree
from lxml.html import HtmlElement

from crawler.extraction.text import MarkerTest, element_text, squash

#: Headings of recommendation, ranking and comment widgets.
WIDGET_HEADING_RE: Final = re.compile(
    r"^[\s【\[「]*(?:相关推荐|相关阅读|延伸阅读|扩展阅读|猜你喜欢|猜你想看|特别关注|热门排行|热门推荐|热点推荐|"
    r"推荐阅读|相关新闻|相关文章|相关报道|相关链接|相关专题|精彩推荐|热门文章|热门新闻|最新文章|最新资讯|最新新闻|"
    r"热门资讯|排行榜|点击排行|阅读排行|新闻排行|热文排行|热点新闻|今日推荐|编辑推荐|图片新闻|为您推荐|为你推荐|"
    r"大家都在看|看了还看|热门标签|友情链接|网友评论|发表评论|评论列表|全部评论|热门评论|最新评论|我要评论|"
    r"精彩图片|热点专题|本周热点|今日热点|24小时热文|往期回顾|更多精彩|更多阅读|猜您喜欢|"
    r"related(?: articles| stories| posts| news| content)?|recommended(?: for you)?|"
    r"you (?:may|might) also like|more (?:stories|from|on)|most (?:popular|read|viewed)|"
    r"trending(?: now)?|read (?:more|next)|latest news|top stories|comments?|"
    r"(?:more|popular|trending|latest|most (?:popular|read|viewed))"
    r" (?:from|on|in|at) [\w .&'’-]{1,30}?)"
    r"[\s】\]」:：>»›]*(?:…|\.{3})?(?:更多\s*[>»›]*)?$",
    re.I,
)
#: ``您的位置:首页 >互联网 >``, ``当前位置：``: a breadcrumb's opening words.
BREADCRUMB_RE: Final = re.compile(
    r"^\s*(?:您的位置|你的位置|当前位置|所在位置|您现在的位置|你现在的位置|您当前的位置|现在位置|位置)\s*[:：]"
)
#: A breadcrumb's item separators.
BREADCRUMB_SPLIT_RE: Final = re.compile(r"\s*(?:>|›|»|→|＞|/|\\|>>|＞＞)\s*")
#: A short line that is page furniture, not article text.
BOILERPLATE_LINE_RE: Final = re.compile(
    r"^[\s【\[（(]*(?:责任编辑|责编|编辑|审核|校对|值班编辑|审校|终审|初审|复审)\s*[:：/|丨]?\s*\S{0,20}[\s】\]）)]*$"
    r"|^[\s【\[（(]*(?:分享到|分享至|分享：|扫一扫|微信扫一扫|扫描二维码|打开微信|用微信扫|长按识别|长按二维码|"
    r"上一篇|下一篇|上一条|下一条|返回顶部|返回首页|打印本页|关闭窗口|【?字号|【?纠错|举报|收藏本文|"
    r"点击排行|本文来源|来源[:：]|转载请注明|原标题[:：]|免责声明|版权声明|版权所有|特别声明|声明[:：]|"
    r"主办单位|承办单位|协办单位|技术支持|网站标识码|网站地图|联系我们|"
    r"copyright|©|all rights reserved|share this|share on|follow us|sign up for|subscribe to)",
    re.I,
)
#: Declarations and disclaimers, which may be long.
DISCLAIMER_RE: Final = re.compile(
    r"^[\s【\[（(]*(?:免责声明|版权声明|特别声明|郑重声明|声明)\s*[:：]|本文(?:仅代表作者|系转载|来源于|转自)|"
    r"(?:未经|如需)(?:授权|许可).{0,12}(?:转载|使用)|版权归.{1,20}所有|如有侵权|"
    r"^[\s【\[（(]*\S{0,12}?(?:版权|免责)(?:与|和|及)?(?:免责)?声明\s*[:：]?[\s】\]）)]*$|"
    r"凡本(?:网|站|报)(?:注明|所载)|不代表本(?:网|站|报|平台)",
)
#: Words one of which every :data:`DISCLAIMER_RE` match holds: a search for them alone (a
#: set of literals, which the regex engine skips through) spares the full search on the
#: element texts of a page, nearly all of them without.
_DISCLAIMER_HINT_RE: Final = re.compile("声明|本文|未经|如需|版权|侵权|凡本|不代表本")
#: A site's notice about its content's rights or views: it names the site (``本网``, ``本站``)
#: and its rights (``版权``, ``授权``, ``转载``) — unlike a sentence of an article about an
#: infringement (``该公司未经授权使用他人商标``).
SITE_NOTICE_RE: Final = re.compile(
    r"(?:本网|本站|本报|本平台|本公众号|本文).{0,40}(?:版权|授权|转载|摘编|免责|侵权|立场|观点)|"
    r"^[\s【\[（(]*\S{0,12}?(?:版权|免责)(?:与|和|及)?(?:免责)?声明\s*[:：]?[\s】\]）)]*$"
)
#: A site's notice is at most this long.
_SITE_NOTICE_CHARS: Final = 600
#: class/id words of page furniture (matched as whole dash/underscore-separated words).
FURNITURE_CLASS_RE: Final = re.compile(
    r"(?:^|[\s_-])(?:comments?|comment-?list|share|sharebar|social|related|recommend|footer|copyright|"
    r"qrcode|erweima|breadcrumbs?|crumbs?|hotnews|hot-?list|ranking|rank|sidebar|side|advert|ads?|"
    r"pagination|pager|nav|navbar|menu|tags?-?list|subscribe|newsletter)(?:$|[\s_-])",
    re.I,
)
BLOCK_TAGS: Final = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "blockquote",
        "pre",
        "dd",
        "dt",
        "dl",
        "td",
        "th",
        "form",
        "figure",
        "figcaption",
        "main",
        "center",
        "hr",
        "title",
    }
)
SKIP_TAGS: Final = frozenset({"script", "style", "noscript", "template", "svg", "iframe", "head"})


def iter_text_lines(root: HtmlElement) -> list[str]:
    """The page's visible text, one line per block element, in document order."""
    parts: list[str] = []

    def walk(el: HtmlElement) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in SKIP_TAGS or not tag:
            if el.tail:
                parts.append(el.tail)
            return
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if block:
            parts.append("\n")
        if el.tail:
            parts.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    return [line for line in (squash(x) for x in "".join(parts).split("\n")) if line]


def text_of(el: HtmlElement) -> str:
    return squash(element_text(el))


def link_text_len(el: HtmlElement) -> int:
    return sum(len(squash(element_text(a))) for a in el.iter("a"))


def _link_dense(el: HtmlElement) -> bool:
    text = text_of(el)
    if not text:
        return True
    return link_text_len(el) >= 0.5 * len(text)


#: A text node this long is prose: its container is never removed as furniture.
_PROSE_CHARS: Final = 60


#: The text nodes under an element (its text, its descendants' text and tails, not its own
#: tail) long enough to be prose once stripped, found in C: walking every node of a sidebar in
#: Python to find none cost an eighth of :func:`clean_tree`'s time. Smart strings, which know
#: the element they belong to.
_LONG_TEXT_NODES: Final = etree.XPath(f"descendant::text()[string-length(.) >= {_PROSE_CHARS}]")


def has_prose(el: HtmlElement) -> bool:
    """True when ``el`` holds a run of prose (a paragraph), not only links and labels: a text
    or a tail of :data:`_PROSE_CHARS` characters, stripped, not a link's nor a script's."""
    for chunk in _LONG_TEXT_NODES(el):
        owner = chunk.getparent()
        tag = owner.tag if owner is not None else None
        if (
            isinstance(tag, str)
            and tag not in SKIP_TAGS
            and tag != "a"
            and len(chunk.strip()) >= _PROSE_CHARS
        ):
            return True
    return False


def _drop(el: HtmlElement) -> None:
    """Remove ``el`` but keep its tail text in the tree."""
    parent = el.getparent()
    if parent is None:
        return
    el.drop_tree()


#: What every opening :data:`BREADCRUMB_RE` knows holds.
_CRUMB_WORD: Final = "位置"


def _marker(el: HtmlElement) -> str | None:
    """``class id`` of ``el`` (``"nav "``), or None when it has neither attribute: most
    elements, which the rules then skip without making a string."""
    classes = el.get("class")
    ident = el.get("id")
    if classes is None and ident is None:
        return None
    return f"{classes or ''} {ident or ''}"


def find_breadcrumbs(root: HtmlElement) -> list[HtmlElement]:
    """Breadcrumb elements: a short block opening with ``您的位置:`` or classed as one."""
    found: list[HtmlElement] = []
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in SKIP_TAGS:
            continue
        own = el.text
        # Every opening BREADCRUMB_RE knows ends in 位置: the other texts are not squashed.
        labelled = bool(own and _CRUMB_WORD in own and BREADCRUMB_RE.match(squash(own)))
        if not labelled:
            classes = _marker(el)
            if classes is None:
                continue
            classes = classes.lower()
            if "crumb" not in classes and "position" not in classes:
                continue
        text = text_of(el)
        if not text or len(text) > 150:
            continue
        # A classed breadcrumb still has to look like one: items joined by separators.
        if not labelled and not (BREADCRUMB_SPLIT_RE.search(text) and len(el.findall(".//a")) >= 1):
            continue
        node = el
        parent = node.getparent()
        while (
            parent is not None
            and parent.tag not in {"body", "html"}
            and len(text_of(parent)) <= len(text) + 10
        ):
            node, parent = parent, parent.getparent()
        found.append(node)
    return found


def breadcrumb_section(crumbs: list[HtmlElement]) -> str | None:
    """The last non-home item of the first breadcrumb (``首页 > 互联网 > 正文`` → ``互联网``)."""
    for crumb in crumbs:
        items = [element_text(a) for a in crumb.iter("a")]
        if not items:
            items = BREADCRUMB_SPLIT_RE.split(text_of(crumb))
        items = [squash(BREADCRUMB_RE.sub("", squash(i))) for i in items]
        items = [
            i
            for i in items
            if i
            and i.lower()
            not in {"首页", "主页", "home", "网站首页", "正文", "正文内容", "内容", "详情"}
            and not i.endswith("首页")
            and len(i) <= 20
        ]
        if items:
            return items[-1]
    return None


def _remove_widget(heading: HtmlElement) -> None:
    """Remove a widget heading and the link lists after it, climbing while the widget
    container holds nothing else."""
    node: HtmlElement | None = heading
    for _ in range(4):
        if node is None:
            return
        parent = node.getparent()
        for sibling in list(node.itersiblings()):
            if isinstance(sibling.tag, str) and sibling.tag in SKIP_TAGS:
                continue
            if not isinstance(sibling.tag, str) or not _link_dense(sibling) or has_prose(sibling):
                break
            _drop(sibling)
        _drop(node)
        if parent is None or parent.tag in {"body", "html"}:
            return
        remaining = text_of(parent)
        if (remaining and not _link_dense(parent)) or len(remaining) > 3000 or has_prose(parent):
            return
        node = parent


def _holds_blocks(el: HtmlElement) -> bool:
    """``el`` holds paragraphs or other blocks (then it is a container, not one notice)."""
    return any(
        isinstance(node.tag, str) and node.tag in BLOCK_TAGS and node.tag != "br"
        for node in el.iterdescendants()
    )


_is_furniture_marker: Final = MarkerTest(FURNITURE_CLASS_RE)
#: Elements :func:`clean_tree` never removes, and those whose text may be a boilerplate line.
_NOT_CLEANED: Final = SKIP_TAGS | {"html", "body"}
_LINE_TAGS: Final = frozenset(
    {"p", "div", "span", "li", "td", "font", "section", "strong", "em", "b"}
)
#: The longest element text :func:`clean_tree` removes as a boilerplate line (a disclaimer),
#: and how much of an element's raw text shows that it is longer.
_LONGEST_LINE: Final = 400
_LONG_RAW: Final = 2000


def clean_tree(root: HtmlElement, body_chars: int, crumbs: list[HtmlElement] | None = None) -> None:
    """Remove breadcrumbs, widgets, furniture and boilerplate lines from the tree, in place.

    ``body_chars`` is the length of the page's text: nothing holding a large share of it is
    removed by class name (that would be the article's own container). ``crumbs``: what
    :func:`find_breadcrumbs` found on the unchanged tree, when the caller already has it.
    """
    for el in find_breadcrumbs(root) if crumbs is None else crumbs:
        _drop(el)
    headings: list[HtmlElement] = []
    furniture: list[HtmlElement] = []
    lines: list[HtmlElement] = []
    for el in root.iter():
        tag = el.tag  # lxml makes a new string at each reading
        if not isinstance(tag, str) or tag in _NOT_CLEANED:
            continue
        own = el.text
        if tag != "a" and own:
            own = squash(own)
            if own and len(own) <= 30 and WIDGET_HEADING_RE.match(own) and len(text_of(el)) <= 40:
                headings.append(el)
                continue
        marker = _marker(el)
        if marker is not None and marker.strip() and _is_furniture_marker(marker):
            furniture.append(el)
            continue
        if tag in _LINE_TAGS:
            raw = element_text(el)
            # A container of the article's text: longer than any line looked for here, which
            # its beginning, squashed, already shows (squashing the whole costs more).
            if len(raw) > _LONG_RAW and len(squash(raw[:_LONG_RAW])) > _LONGEST_LINE:
                continue
            text = squash(raw)
            if text and (
                (len(text) <= 80 and BOILERPLATE_LINE_RE.match(text))
                or (
                    len(text) <= _LONGEST_LINE
                    and len(el) <= 3
                    and _DISCLAIMER_HINT_RE.search(text)
                    and DISCLAIMER_RE.search(text)
                    and not _holds_blocks(el)
                )
            ):
                lines.append(el)
    # What sits inside a subtree removed before it is skipped: removing it would change
    # nothing of the page's tree, and testing it cost as much as the rest.
    for el in headings:
        if _attached(el, root):
            _remove_widget(el)
    for el in furniture:
        if (
            _attached(el, root)
            and len(text_of(el)) < 0.3 * max(body_chars, 1)
            and not has_prose(el)
        ):
            _drop(el)
    for el in lines:
        if _attached(el, root):
            _drop(el)


def _attached(el: HtmlElement, root: HtmlElement) -> bool:
    """``el`` is still in ``root``'s tree: no ancestor of it has been removed."""
    node = el
    while (parent := node.getparent()) is not None:
        node = parent
    return node is root and el is not root


#: What a cell of a layout table holds and a cell of a data table does not.
_LAYOUT_CELL_CONTENT: Final = frozenset(
    {"table", "div", "p", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "form"}
)
#: Table parts turned into ``div`` when the table only lays the page out.
_TABLE_PARTS: Final = frozenset({"table", "tbody", "thead", "tfoot", "tr", "td", "th"})


def _is_layout_table(table: HtmlElement) -> bool:
    """A table that lays out the page (cells holding blocks, or one cell per row), not data."""
    rows = table.xpath("./tr|./tbody/tr|./thead/tr|./tfoot/tr")
    single_column = True
    for row in rows:
        cells = [c for c in row if isinstance(c.tag, str) and c.tag in {"td", "th"}]
        if len(cells) > 1:
            single_column = False
        for cell in cells:
            for node in cell.iterdescendants():
                if isinstance(node.tag, str) and node.tag in _LAYOUT_CELL_CONTENT:
                    return True
    return single_column


def unwrap_layout_tables(root: HtmlElement) -> None:
    """Turn layout tables into ``div``s, in place.

    Old portals and government sites lay whole pages out with tables. trafilatura renders a
    table row as one line (``| cell | cell |``), so a layout table's headline, metadata bar,
    paragraphs and credits, or its header's and footer's furniture, end up glued on one long
    line that passes for prose. Data tables (cells of short text in rows of several cells)
    are kept.
    """
    for table in list(root.iter("table")):
        if not _is_layout_table(table):
            continue
        parts = [table, *table.xpath("./tr|./*/tr|./tr/td|./tr/th|./*/tr/td|./*/tr/th|./*")]
        for el in parts:
            if isinstance(el.tag, str) and el.tag in _TABLE_PARTS:
                el.tag = "div"


#: Interface words that trafilatura sometimes keeps as lines of their own.
UI_LINES: Final = frozenset(
    {
        "收起",
        "展开",
        "展开全文",
        "加载更多",
        "查看更多",
        "点击加载更多",
        "阅读",
        "阅读全文",
        "我知道了",
        "已发送",
        "取消",
        "确定",
        "发送",
        "登录",
        "注册",
        "图集",
        "新闻评论",
        "分享",
        "收藏",
        "点赞",
        "在看",
        "赞",
        "举报",
        "返回",
        "更多",
        "评论",
        "热帖",
        "搜索",
        "打印",
        "关闭",
        "纠错",
        "顶",
        "踩",
        "回复",
        "写评论",
        "微博",
        "微信",
        "QQ空间",
        "朋友圈",
        "复制链接",
        "【打印】",
        "【关闭】",
    }
)
#: Promotions of the site's accounts and apps (``扫描二维码关注``, ``新浪财经公众号``).
PROMO_RE: Final = re.compile(
    r"二维码|公众号$|关注.{0,10}(?:微信|微博|公众号|客户端)|下载.{0,8}(?:APP|客户端)", re.I
)
#: Calls to subscribe, sign up, download or follow (``Click here to subscribe to …``,
#: ``Sign up for our newsletter``, ``GET THE APP BY CLICKING HERE``).
CALL_TO_ACTION_RE: Final = re.compile(
    r"^(?:click|tap) here\b|\bclick(?:ing)? here(?: (?:for|to) [\w ]{1,24})?[.!…]*$|"
    r"\b(?:sign up|subscribe|register)\b.{0,60}\bnewsletters?\b|"
    r"\bnewsletters?\b.{0,60}\b(?:sign up|subscribe)\b|"
    r"^(?:follow|like) us (?:on|at)\b|^download (?:the|our)\b.{0,40}\bapp\b|"
    r"^follow\b.{0,60}\bon (?:facebook|twitter|instagram|linkedin|youtube|tiktok)\b|"
    r"^(?:have|got) a (?:news )?tip\b|^tell us what you think\b|^have your say\b|"
    r"^(?:leave|post|add) a comment\b|^join the (?:conversation|discussion)\b",
    re.I,
)
#: Interface lines of English pages (tools, consent and error messages), bullet or not.
UI_LINE_EN_RE: Final = re.compile(
    r"^[-•*\s]*(?:advertisement|advertising|sponsored(?: content)?|skip (?:advertisement|ad)|"
    r"print(?: (?:article|this (?:article|page)))?|order reprints?|"
    r"reprints?(?: (?:&|and) permissions)?|e-?mail(?: (?:this|article))?|"
    r"share(?: (?:this|article|story))?|tweet|save(?: (?:article|story))?|"
    r"listen(?: to (?:this )?article)?|comments?|view comments|show comments|thank you|"
    r"continue reading|loading\.*|close|(?:an )?error (?:has )?occurred[^.]{0,40}\.?"
    r"(?: please try again(?: later)?\.?)?)[.!:]?$",
    re.I,
)
#: A reprint or licence notice (``This copy is for your personal, non-commercial use only``).
LICENCE_LINE_RE: Final = re.compile(
    r"for (?:your )?personal,? non-?commercial use only|"
    r"may not be (?:published|reproduced|redistributed|republished)|"
    r"(?:reproduction|republication|redistribution)(?: in whole or in part)? (?:is )?"
    r"(?:strictly )?(?:prohibited|forbidden|not permitted)",
    re.I,
)
#: A page's unrendered template code (``[button link="…"]``, ``{{ title }}``).
TEMPLATE_CODE_RE: Final = re.compile(
    r"^\[/?[a-z_]+(?:\s+[a-z_-]+\s*=[^\]]*)?\]|\{\{.{0,60}\}\}", re.I
)
#: A date and a time in any language's words (``sexta-feira, 22 de outubro de 2010 às 20:13``):
#: a stamp when the line holds little else.
_YEAR_TIME_RE: Final = re.compile(
    r"\b(?:19|20)\d{2}\b.{0,20}\b\d{1,2}:\d{2}\b|\b\d{1,2}:\d{2}\b.{0,30}\b(?:19|20)\d{2}\b"
)
_STAMP_WORDS: Final = 8
#: A related article's link set between paragraphs (``Related: …``, ``READ MORE: …``,
#: ``See also: …``, ``相关阅读：…``).
RELATED_LINE_RE: Final = re.compile(
    r"^[\s【\[]*(?:related(?: (?:articles?|stor(?:y|ies)|coverage|content|news|posts?|reading))?|"
    r"read (?:more|also|next)|also read|see also|more|watch|listen|recommended(?: reading)?|"
    r"don['’]t miss|相关(?:阅读|新闻|链接|报道|文章)|延伸阅读|推荐阅读|更多阅读)\s*[:：|]\s*\S",
    re.I,
)
_MONTH: Final = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
#: A byline beside a publication stamp (``· By Staff Reporter``).
_BY_PART: Final = r"(?:by|von|par|por)\s+[^.!?]{1,60}"
#: A publication stamp (``Published 18 November 2019``, ``Updated: Nov. 19, 2019 10:21 a.m.
#: ET``, ``Posted on 2019-11-19``): the label, a date and maybe a time, nothing else but a
#: byline beside it (``By Staff Reporter | Published …``, ``Published … · By …``).
STAMP_LINE_RE: Final = re.compile(
    rf"^[-–•*\s]*(?:{_BY_PART}\s*[·|•—–-]\s*)?"
    r"(?:(?:(?:first |last )?(?:published|updated|posted|modified)(?: on| at)?|date)\s*[:：]?\s*)?"
    r"(?:[a-z]+day,?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?:19|20)\d{{2}}|"
    r"(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)?\d{2})"
    r"(?:,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?"
    rf"(?:\s*[·|•—–-]\s*{_BY_PART})?[\s|]*$",
    re.I,
)
#: A relative publication stamp (``2 hours ago``, ``Updated 5 mins ago``).
RELATIVE_STAMP_RE: Final = re.compile(
    r"^(?:(?:published|updated|posted)\s+)?\d{1,3}\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|"
    r"weeks?)\s+ago\.?$",
    re.I,
)
#: An English byline alone on its line (``By Staff Reporter``, ``BY JANE DOE and JOHN ROE``):
#: names in capitals, so that ``By the numbers`` (a subheading) is not one.
BYLINE_LINE_RE: Final = re.compile(
    r"^(?:By|BY)\s+[A-Z][\w'’.-]*(?:(?:\s+|\s*,\s*|\s+(?:and|&)\s+)[A-Z][\w'’.-]*){0,7}"
    r"(?:\s*[|·]\s*[\w .'’-]{1,40})?$"
)
#: A full numeric date with an optional time, for :func:`is_date_stamp`.
_NUMERIC_DATE_RE: Final = re.compile(
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}日?(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
)
#: A list's date column, alone on a line (``05-20``, ``[2024-05-20]``, ``5月20日 10:30``).
LIST_DATE_RE: Final = re.compile(
    r"^[\[(（【]?(?:(?:19|20)\d{2}\s*[-/.年]\s*)?\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*\d{1,2}[:：]\d{2})?[\])）】]?$"
)
#: Letters a date stamp may hold besides its date (a label such as ``기사입력`` or ``Stand``).
_STAMP_LETTERS: Final = 10
_WORD_CHARS_RE: Final = re.compile(r"[^\W\d_]")


def is_date_stamp(line: str) -> bool:
    """A short line that is a date (and time) with at most a short label, in any language:
    a numeric date (``기사입력 :[ 2018-08-25 15:24 ]``), or a year and a time of day in a
    few words (``sexta-feira, 22 de outubro de 2010 às 20:13``)."""
    if len(line) > 60 or line.endswith(_SENTENCE_ENDS):
        return False
    rest, found = _NUMERIC_DATE_RE.subn(" ", line)
    if found == 1 and len(line) <= 50:
        return len(_WORD_CHARS_RE.findall(rest)) <= _STAMP_LETTERS
    return found == 0 and bool(_YEAR_TIME_RE.search(line)) and len(line.split()) <= _STAMP_WORDS


#: A line that is a URL, maybe after a short label (``本文链接：http://…``, ``URL: …``).
_URL_LINE_RE: Final = re.compile(
    r"^(?:[^\s:：]{1,12}\s*[:：]\s*)?(?:https?://|www\.)(?P<host>[^/\s:?#]+)\S*$"
)


def is_own_url_line(line: str, site: str) -> bool:
    """A line printing the page's own address (a print version's or a share box's), which
    no article text is."""
    match = _URL_LINE_RE.match(line)
    if match is None or not site:
        return False
    host = match.group("host").lower().removeprefix("www.")
    own = site.split(":", maxsplit=1)[0].lower().removeprefix("www.")
    return host == own or host.endswith("." + own) or own.endswith("." + host)


#: A metadata line (date with views/comments/source labels) repeated inside the body.
META_LINE_RE: Final = re.compile(
    r"^(?:[^。！？]{0,30}(?:来源|作者|发布|发表|点击|阅读|浏览|评论|更新|时间)[^。！？]{0,60})?"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}[^。！？]{0,60}$"
)
#: A metadata line opening with a relative or yearless time (``昨天 10:21 阅读 1024``,
#: ``3小时前``, ``05-12 10:21``), which :data:`META_LINE_RE` (a full date) does not catch.
RELATIVE_META_LINE_RE: Final = re.compile(
    r"^(?:\d{1,3}\s*(?:秒|分钟|小时|天)前|(?:今天|昨天|前天)(?:\s*\d{1,2}[:：]\d{2})?|"
    r"\d{1,2}\s*[-月]\s*\d{1,2}\s*日?\s+\d{1,2}[:：]\d{2})(?:\s[^。！？，,]{0,40})?$"
)
#: A short line naming the source (``3小时前 来源：澎湃新闻``): metadata, not text.
SOURCE_IN_LINE_RE: Final = re.compile(r"(?:来源|稿源|出处)\s*[:：]")
#: Marks of a site footer (``主办：``, ``版权所有``, ``粤ICP备…号``, ``网站标识码``, ``© 2024 …
#: All rights reserved``, ``Privacy Policy``): on table layouts the footer cell comes out as
#: one line that holds several of them.
FOOTER_MARK_RE: Final = re.compile(
    r"主办(?:单位)?\s*[:：]|承办(?:单位)?\s*[:：]|协办(?:单位)?\s*[:：]|(?:运维|维护|运营)单位\s*[:：]|"
    r"版权所有|ICP\s*(?:备|证|[0-9])|公网安备|网站标识码|网站识别码|技术支持\s*[:：]|"
    r"建议(?:您)?(?:使用|采用).{0,24}(?:浏览器|分辨率|浏览)|最佳(?:浏览|显示)(?:效果|分辨率)|"
    r"copyright|©|\(c\)\s*(?:19|20)\d{2}|all rights reserved|best viewed\b|"
    r"privacy policy|terms (?:of|and conditions)|cookie (?:policy|settings)",
    re.I,
)
#: A footer's contact marks (``地址：… 邮编：…``, ``联系电话：``, ``Tel:``): an article may end
#: with a contact line too, so one of them alone marks nothing; see :func:`trim_footer`.
CONTACT_MARK_RE: Final = re.compile(
    r"地址\s*[:：]|邮编\s*[:：]?\s*\d{6}|邮政编码\s*[:：]|电话\s*[:：]|传真\s*[:：]|邮箱\s*[:：]|"
    r"联系我们\s*[:：]|e-?mail\s*[:：]|\b(?:tel|fax|phone|address|contact(?: us)?)\s*[:：.]",
    re.I,
)
#: Separators of a row of navigation links (``站内搜索 | 加入收藏 | 无障碍浏览``).
_NAV_SPLIT_RE: Final = re.compile(r"\s*(?:\||｜|丨|¦)\s*")
_SENTENCE_END_RE: Final = re.compile(r"[。！？!?；;]")
_SENTENCE_ENDS: Final = ("。", "！", "？", ".", "!", "?")


def _marks(pattern: re.Pattern[str], line: str) -> set[str]:
    """The distinct marks of ``pattern`` in ``line`` (by their first two letters)."""
    return {m.group(0)[:2].lower() for m in pattern.finditer(line)}


#: Words before a final ``.`` that make a sentence (``All rights reserved.`` is a phrase).
_SENTENCE_WORDS: Final = 8


def _is_sentence(line: str) -> bool:
    """Ends like a sentence: ``。！？``, or ``.!?`` after at least :data:`_SENTENCE_WORDS`
    words."""
    stripped = line.rstrip()
    if stripped.endswith(("。", "！", "？")):
        return True
    return stripped.endswith((".", "!", "?")) and len(stripped.split()) >= _SENTENCE_WORDS


def is_footer_line(line: str) -> bool:
    """A site footer's line: two footer or contact marks, one of them a footer mark, in a
    line of up to 300 characters, or a footer mark in a short line that is no sentence."""
    if len(line) > 300:
        return False
    marks = _marks(FOOTER_MARK_RE, line)
    if not marks:
        return False
    if len(marks | _marks(CONTACT_MARK_RE, line)) >= 2:
        return True
    return len(line) <= 80 and not _is_sentence(line)


#: A footer block's lines between its marked ones: the site's name, a short line of links.
_FOOTER_SHORT_LINE: Final = 30


def trim_footer(lines: list[str], site: str = "") -> list[str]:
    """``lines`` (trafilatura's, before any other cleaning) without the site footer that
    trails them.

    The trailing run of footer, contact, navigation, boilerplate, site notice and short lines
    is cut from its first line that is a footer's for sure: a footer line, a site's address
    (:func:`is_address_line`), notice of rights (:func:`is_site_notice`) or contact line
    (:func:`is_site_contact`). A contact line that names a person stays: it ends a notice
    (``联系人：王老师 电话：…``). The cut never depends on what follows the run, so a page
    and its print version, which has no footer, lose the same lines.
    """
    start = len(lines)
    while start > 0:
        line = lines[start - 1]
        short = len(line) <= _FOOTER_SHORT_LINE and not _is_sentence(line)
        if not (
            short
            or CONTACT_MARK_RE.search(line)
            or is_furniture_line(line)
            or is_boilerplate_line(line, site)
            or is_site_notice(line)
        ):
            break
        start -= 1
    for index in range(start, len(lines)):
        line = lines[index]
        if (
            is_footer_line(line)
            or is_address_line(line)
            or is_site_notice(line)
            or is_site_contact(line)
        ):
            return lines[:index]
    return lines


#: A site's contact line is at most this long.
_CONTACT_LINE_CHARS: Final = 120


def is_site_contact(line: str) -> bool:
    """A contact line that names no person (``※ 联系电话：010-63070957``, ``Tel: …``): the
    site's. One that names a person (``联系人：王老师 电话：…``) or is a sentence is the
    article's."""
    return (
        len(line) <= _CONTACT_LINE_CHARS
        and bool(CONTACT_MARK_RE.search(line))
        and not _CONTACT_PERSON_RE.search(line)
        and not _is_sentence(line)
    )


def is_site_notice(line: str) -> bool:
    """A site's notice of rights or views (``版权与免责声明：``, ``凡本网注明“来源：…”的作品，
    版权均属于…``, ``本文仅代表作者观点，不代表本网立场``), which ends articles on portals."""
    return len(line) <= _SITE_NOTICE_CHARS and bool(SITE_NOTICE_RE.search(line))


#: A person to contact: a notice's contact line names one, a site's address block does not.
_CONTACT_PERSON_RE: Final = re.compile(r"联系人|负责人|联络人|contact person|press contact", re.I)


def is_address_line(line: str) -> bool:
    """A site's address line: two contact marks (``地址：… 邮编：…``, ``Tel: … | Address: …``)
    in at most 300 characters, and no person to contact (``联系人：王老师 电话：… 地址：…``
    ends a notice)."""
    if len(line) > 300 or _CONTACT_PERSON_RE.search(line):
        return False
    return len(_marks(CONTACT_MARK_RE, line)) >= 2


def is_nav_line(line: str) -> bool:
    """A row of short items joined by ``|``: navigation or a tool bar, not text."""
    parts = [p for p in _NAV_SPLIT_RE.split(line) if p]
    if len(parts) < 3 or _SENTENCE_END_RE.search(line):
        return False
    short = sum(1 for p in parts if len(p) <= 10)
    # The outer items may carry a label or a date (``今天是：2024年6月3日 站内搜索``).
    return short >= len(parts) - 1 and all(
        len(p) <= 10 or (len(p) <= 30 and "，" not in p and "," not in p) for p in parts
    )


def is_furniture_line(line: str) -> bool:
    return is_nav_line(line) or is_footer_line(line)


#: Table rows as trafilatura writes them: ``| cell | cell |``.
_CELL_SPLIT_RE: Final = re.compile(r"\s*(?<!\\)\|\s*")


#: A cell of the rule under a table's header, as trafilatura writes it (``| --- | --- |``).
_RULE_CELL_RE: Final = re.compile(r"^[-:=\s]+$")
#: A table cell that is a label alone (``索 引 号：``, ``发布日期：``), its value in the next cell.
_LABEL_CELL_RE: Final = re.compile(r"^[^:：。，,]{1,8}[:：]$")


def _clean_row(line: str, link_texts: frozenset[str], *, portal: bool) -> str:
    """A table row without its furniture cells ('' when nothing is left).

    A row of ``label： | value`` pairs is a metadata table (a government page's index of
    索引号, 发布机构, 成文日期 …), not article text. With ``portal`` (Chinese portals, whose
    layout tables hold link lists and short furniture cells) link cells and short rows go
    too; elsewhere a short row is a data table's row (a standings table, a stats table).
    """
    cells = [c.replace("\\|", "|").strip() for c in _CELL_SPLIT_RE.split(line)]
    filled = [c for c in cells if c]
    if filled and 3 * sum(1 for c in filled if _LABEL_CELL_RE.match(c)) >= len(filled):
        return ""
    kept = [
        c
        for c in cells
        if c
        and not _RULE_CELL_RE.match(c)
        and not (portal and c in link_texts)
        and c not in UI_LINES
        and not BOILERPLATE_LINE_RE.match(c)
        and not is_furniture_line(c)
        and not (len(c) < 60 and META_LINE_RE.match(c))
    ]
    text = " ".join(kept)
    if not portal:
        return text
    return (
        text
        if len(text) >= 30 or (kept and text.endswith(("。", "！", "？", ".", "!", "?")))
        else ""
    )


_NOT_COUNTED_RE: Final = re.compile(r"[\s\W_]+")


def link_share(line: str, link_texts: Iterable[str]) -> float:
    """Share of a line's letters that sit inside the page's link texts (a row of links)."""
    letters = len(_NOT_COUNTED_RE.sub("", line))
    if not letters:
        return 0.0
    # The containment test first, in a comprehension: a page has hundreds of link texts, and
    # this runs for every line of the body.
    found = [anchor for anchor in link_texts if anchor in line and len(anchor) >= 2]
    covered = 0
    for anchor in found:
        covered += len(_NOT_COUNTED_RE.sub("", anchor)) * line.count(anchor)
    return covered / letters


def is_boilerplate_line(line: str, site: str = "") -> bool:
    """A line of a kind removed from trafilatura's text wherever it stands: a widget heading,
    an interface word, a boilerplate line (editor, share bar, copyright), navigation or a site
    footer, a promotion or a call to subscribe, a related article's link, a metadata line (a
    date with its labels, a source), the page's own URL (``site`` is its host). These are the
    safe removals that the body's floor (:mod:`crawler.extraction.floor`) allows."""
    size = len(line)
    if size > _LONGEST_BOILERPLATE:
        return False
    if (
        line in UI_LINES
        or WIDGET_HEADING_RE.match(line)
        or (size <= 80 and BOILERPLATE_LINE_RE.match(line))
        or is_furniture_line(line)
        or (
            size <= 100
            and (
                PROMO_RE.search(line)
                or META_LINE_RE.match(line)
                or RELATIVE_META_LINE_RE.match(line)
            )
        )
        or (size <= 60 and SOURCE_IN_LINE_RE.search(line))
        or LIST_DATE_RE.match(line)
        or is_date_stamp(line)
        or TEMPLATE_CODE_RE.search(line)
    ):
        return True
    # The kinds written in Latin letters (English interface, calls to action, stamps,
    # bylines, licences, URLs): not looked for on a line without a word of them.
    if not _LATIN_WORD_RE.search(line):
        return False
    return bool(
        (size <= 160 and (CALL_TO_ACTION_RE.search(line) or RELATED_LINE_RE.match(line)))
        or (size <= 60 and UI_LINE_EN_RE.match(line))
        or LICENCE_LINE_RE.search(line)
        or (
            size <= 80
            and (
                STAMP_LINE_RE.match(line)
                or RELATIVE_STAMP_RE.match(line)
                or BYLINE_LINE_RE.match(line)
            )
        )
        or is_own_url_line(line, site)
    )


#: No boilerplate kind is longer (a licence notice, a footer of several marks).
_LONGEST_BOILERPLATE: Final = 400
_LATIN_WORD_RE: Final = re.compile(r"[A-Za-z]{2}")


def split_rows(
    text: str,
    link_texts: frozenset[str] = frozenset(),
    *,
    drop_link_rows: bool = False,
    rows: set[str] | None = None,
) -> list[str]:
    """trafilatura's text as squashed, non-empty lines, table rows (``| a | b |``) cleaned
    (and added to ``rows`` when given)."""
    lines = []
    for raw in text.split("\n"):
        line = squash(raw)
        if line.startswith("|"):
            line = _clean_row(line, link_texts, portal=drop_link_rows)
            if line and rows is not None:
                rows.add(line)
        if line:
            lines.append(line)
    return lines


#: The date that signs a notice (``2022年1月27日``, ``二〇二二年一月二十七日``), alone on its line.
_SIGNATURE_DATE_RE: Final = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"
    r"|[〇○零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$"
)
#: The issuer that signs a notice: an office, a body or a company, alone on its line.
_ISSUER_RE: Final = re.compile(
    r"^[^\s\d，。！？；：:,.]{2,28}(?:政府|委员会|办公室|办公厅|局|厅|部|委|院|会|中心|公司|集团|"
    r"办事处|街道|指挥部|小组|学校|大学|医院|所|站|队|处|社|馆)(?:[（(]印?章?[)）])?$"
)
#: How many issuer lines a signature may have (a joint notice names several).
_MAX_ISSUERS: Final = 3


def signature_lines(lines: list[str]) -> set[int]:
    """Indices of the lines that sign a notice: one to three issuer lines, then the date,
    after a line that ends a sentence (``特此通告。``). They are the document's, though an
    issuer's name may be a link on the page and a date alone looks like a metadata line."""
    found: set[int] = set()
    for index, line in enumerate(lines):
        if index < 2 or not _SIGNATURE_DATE_RE.match(line):
            continue
        issuers: list[int] = []
        before = index - 1
        while before >= 0 and len(issuers) < _MAX_ISSUERS and _ISSUER_RE.match(lines[before]):
            issuers.append(before)
            before -= 1
        if issuers and before >= 0 and lines[before].endswith(_SENTENCE_ENDS):
            found.update([index, *issuers])
    return found


#: A widget's heading: a short line over a list of links (``最新动态``, ``Most read``).
_WIDGET_HEADING_CHARS: Final = 16
#: How many links in a row make the list under a widget's heading.
_WIDGET_LINKS: Final = 3


def is_list_heading(line: str) -> bool:
    """Short enough, and no sentence, to head a list of links."""
    return len(line) <= _WIDGET_HEADING_CHARS and not _SENTENCE_END_RE.search(line)


def iter_clean_lines(
    text: str,
    link_texts: frozenset[str] = frozenset(),
    *,
    drop_link_rows: bool = False,
    site: str = "",
) -> Iterator[str]:
    """Lines of trafilatura's text without boilerplate lines, cut at a trailing widget; a
    notice's signature (:func:`signature_lines`) stays.

    ``link_texts`` are the page's anchor texts. ``drop_link_rows`` (Chinese portals) also
    drops a line that is one of them, lines made mostly of them (rows of links on old
    portals) with the short heading over them (a widget's), and a table row's link cells
    and short rows (layout tables' furniture). English articles link inside sentences and
    hold data tables, so it is off there.
    """
    lines = trim_footer(split_rows(text, link_texts, drop_link_rows=drop_link_rows), site)
    total = sum(len(line) for line in lines) or 1
    anchors = [a for a in link_texts if len(a) >= 2]
    signature = signature_lines(lines)
    # None: kept; else whether the line went as a link (a widget's list) or as boilerplate.
    dropped: list[str | None] = []
    seen = 0
    for index, line in enumerate(lines):
        if WIDGET_HEADING_RE.match(line) and seen > total / 2:
            break
        seen += len(line)
        if index in signature:
            dropped.append(None)
        elif is_boilerplate_line(line, site):
            dropped.append("boilerplate")
        elif drop_link_rows and (
            (len(line) >= 6 and line in link_texts)
            or (len(line) <= 400 and link_share(line, anchors) >= 0.6)
        ):
            dropped.append("link")
        elif len(line) <= 400 and DISCLAIMER_RE.search(line) and seen > total / 2:
            dropped.append("boilerplate")
        else:
            dropped.append(None)
    for index, why in enumerate(dropped):
        if why is not None:
            continue
        line = lines[index]
        if drop_link_rows and is_list_heading(line) and index not in signature:
            after = [w for w in dropped[index + 1 :] if w != "boilerplate"][:_WIDGET_LINKS]
            if len(after) == _WIDGET_LINKS and all(w == "link" for w in after):
                continue
        yield line
