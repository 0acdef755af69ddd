"""People credited on a page, by role: Chinese role words (记者, 通讯员, 文/, 摄 …) in metadata
bars, leads and closing lines; English ``By A and B``; person authors in meta tags and JSON-LD.

Outlet prefixes (``南都记者``) are split off and returned apart, for :mod:`source`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from archive.record import Byline, Role
from crawler.extraction.names import (
    COMPOUND_SURNAMES,
    NOT_NAMES,
    ORG_SUFFIXES,
    ORG_SUFFIXES_SHORT,
    has_surname,
)
from crawler.extraction.source import OUTLETS
from crawler.extraction.text import HAN, squash

#: Role words, longest first so that ``本报记者`` wins over ``记者``.
ROLE_WORDS: Final[dict[str, Role]] = {
    "本报记者": "reporter",
    "本网记者": "reporter",
    "首席记者": "reporter",
    "特约记者": "reporter",
    "见习记者": "reporter",
    "实习记者": "reporter",
    "融媒记者": "reporter",
    "全媒体记者": "reporter",
    "记者": "reporter",
    "实习生": "reporter",
    "特约通讯员": "correspondent",
    "通讯员": "correspondent",
    "作者": "author",
    "撰文": "author",
    "撰稿": "author",
    "采写": "author",
    "执笔人": "author",
    "执笔": "author",
    "撰稿人": "author",
    "文字": "author",
    "文": "author",
    "摄影记者": "photographer",
    "摄影": "photographer",
    "图片": "photographer",
    "图": "photographer",
    "摄": "photographer",
    "编译": "translator",
    "翻译": "translator",
    "译者": "translator",
    "译": "translator",
    "责任编辑": "editor",
    "值班编辑": "editor",
    "实习编辑": "editor",
    "编辑": "editor",
    "责编": "editor",
    "审核": "editor",
    "审校": "editor",
    "校对": "editor",
    "初审": "editor",
    "复审": "editor",
    "终审": "editor",
}
#: One-character role words only count with an explicit separator (``文/``, ``图：``).
_SHORT_ROLES: Final = frozenset({"文", "图", "摄", "译"})
_ROLE_ALT: Final = "|".join(sorted(ROLE_WORDS, key=len, reverse=True))
#: A role word and the separator after it (kept to tell ``作者：笔名`` from running text).
ROLE_RE: Final = re.compile(rf"(?P<role>{_ROLE_ALT})(?P<sep>\s*[:：/|丨｜]\s*|\s+)?")
#: Where a run of names ends: closing brackets, sentence punctuation, another field's label.
_REGION_END_RE: Final = re.compile(
    r"[）)】\]」』。；;！!？?|丨｜<>\n]|来源|來源|发布|發布|时间|日期|点击|阅读|浏览|字号|分享|评论"
    r"|打印|关闭|出处|\d"
)
_NAME_SPLIT_RE: Final = re.compile(r"[\s、，,/／与及]+")
#: What follows a name in a credit and is not part of it (``张三报道``, ``李四摄``).
_NAME_TAIL_RE: Final = re.compile(r"(?:综合报道|报道|发自.*|摄影|摄|供图|电|讯|整理|制图|绘)$")
#: Chinese name, possibly a minority name with a middle dot.
_HAN_NAME_RE: Final = re.compile(rf"^[{HAN}]{{2,4}}$|^[{HAN}]{{1,6}}[·•・][{HAN}]{{1,8}}$")
#: A run of Han characters right before a role word, for outlet prefixes (``澎湃新闻记者``).
_PREFIX_RE: Final = re.compile(rf"([{HAN}A-Za-z0-9]{{2,10}})$")
#: ``新京报讯（记者 陆一夫）``, ``本报讯(记者 王五)``: the credit inside a dateline lead.
_LEAD_CREDIT_RE: Final = re.compile(r"^.{0,30}?[讯电]\s*[（(]([^）)]{2,60})[）)]")
#: ``（记者 张三 通讯员 李四）``, ``（职工通讯员 李琴雯）``, ``（总台记者 张倩）`` in a paragraph.
_PAREN_CREDIT_RE: Final = re.compile(
    rf"[（(【\[]\s*([^）)】\]]{{0,8}}?(?:{_ROLE_ALT})[^）)】\]]{{1,60}})[）)】\]]"
)
#: ``张三 摄``, ``（李四/摄）``: a photo credit with the role after the names.
_PHOTO_SUFFIX_RE: Final = re.compile(
    rf"(?:^|[（(\s])((?:[{HAN}]{{2,4}}[\s、，,]*){{1,3}})\s*[/／]?\s*摄(?:影)?\s*[）)]?$"
)
_PHOTO_TAIL_RE: Final = re.compile(r"(?:摄影?|供图)\s*$")
_PHOTO_AFTER_RE: Final = re.compile(r"\s*(?:摄影?|供图)(?:\s|$|[）)】\]])")
#: ``（常书香 马丹阳）`` closing a paragraph: names alone in brackets credit the writers.
_PAREN_NAMES_END_RE: Final = re.compile(
    rf"[（(]\s*((?:[{HAN}]{{2,4}}[\s、，,]*){{1,4}})\s*[）)]\s*$"
)
#: ``原创： 路闻卓立编译``: a name glued to a role word that follows it.
_SUFFIX_CREDIT_RE: Final = re.compile(
    rf"(?:^|[\s:：/])([{HAN}·]{{2,5}}?)\s*[/／]?\s*(编译|撰文|采写|整理|执笔)(?=\s|$|[）)])"
)
#: ``由海姑娘张贴 @ 2005-03-21``: a blog's poster line.
_POSTED_BY_RE: Final = re.compile(
    rf"(?:^|[^{HAN}])由\s*([{HAN}A-Za-z0-9_]{{2,12}}?)\s*(?:张贴|发表|撰写)(?:于|\s|@|$)"
)
_SUFFIX_ROLES: Final[dict[str, Role]] = {
    "编译": "translator",
    "撰文": "author",
    "采写": "author",
    "整理": "author",
    "执笔": "author",
}
#: A line holding names only (``赵延东、风笑天``), as printed under a headline.
_NAMES_ONLY_RE: Final = re.compile(rf"^(?:[{HAN}]{{2,4}}[\s、，,]*){{1,4}}$")
#: ``By Jane Doe and John Roe``: an English credit line.
_EN_BY_RE: Final = re.compile(r"^\s*(?:written\s+|words\s+|reporting\s+)?by[:\s]\s*(.+)$", re.I)
_EN_SPLIT_RE: Final = re.compile(r"\s*(?:,|\band\b|&|;|\|)\s*", re.I)
_EN_NAME_RE: Final = re.compile(
    r"^(?:[A-Z][a-zA-Z'’.\-]*|de|van|von|der|da|di|la|le|bin|al)(?:\s+(?:[A-Z][a-zA-Z'’.\-]*|de|van|von|der|da|di|la|le|bin|al)){1,3}$"
)
_EN_NOT_NAMES: Final = re.compile(
    r"\b(?:staff|reporter|editor|correspondent|news|agency|press|team|desk|updated|published|"
    r"associated|reuters|bloomberg|writer|contributor|admin|guest|the|media|online|com|daily)\b",
    re.I,
)
#: Placeholders that mean "no author".
PLACEHOLDERS: Final[frozenset[str]] = frozenset(
    {
        "佚名",
        "未知",
        "匿名",
        "小编",
        "admin",
        "administrator",
        "unknown",
        "anonymous",
        "网友",
        "本站",
        "本网",
        "管理员",
        "编辑",
        "网络",
        "原创",
        "none",
        "null",
        "staff",
    }
)


#: Placeholder words inside a longer credit (``网友投稿``, ``本站小编``): no person.
_PLACEHOLDER_PART_RE: Final = re.compile(r"网友|投稿|供稿|本站|本网|小编|佚名|匿名|管理员")

_SPECIFIC_WRITING: Final = frozenset({"reporter", "correspondent", "translator"})


@dataclass(slots=True)
class BylineFinds:
    """Bylines in page order, plus the outlet prefixes met on the way (``南都`` …)."""

    bylines: list[Byline] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)

    def add(self, name: str, role: Role) -> None:
        for index, byline in enumerate(self.bylines):
            if byline.name != name:
                continue
            if byline.role == role:
                return
            # ``作者：王五`` in the bar and ``（记者 王五）`` in the lead: one person, the
            # more specific writing role wins.
            if byline.role == "author" and role in _SPECIFIC_WRITING:
                self.bylines[index] = Byline(name=name, role=role)
                return
            if role == "author" and byline.role in _SPECIFIC_WRITING:
                return
        self.bylines.append(Byline(name=name, role=role))

    def extend(self, other: BylineFinds) -> None:
        for byline in other.bylines:
            self.add(byline.name, byline.role)
        self.outlets.extend(o for o in other.outlets if o not in self.outlets)

    @property
    def has_writers(self) -> bool:
        return any(b.role not in {"editor", "photographer"} for b in self.bylines)


def valid_chinese_name(name: str, *, strict: bool) -> bool:
    """A plausible person's name: 2-4 Han (or a dotted minority name), no org ending.

    ``strict`` (running text, no separator after the role) also asks for a known surname.
    """
    if not _HAN_NAME_RE.match(name) or name in NOT_NAMES or name in PLACEHOLDERS:
        return False
    if _PLACEHOLDER_PART_RE.search(name):
        return False
    if name in OUTLETS or name.endswith(ORG_SUFFIXES):
        return False
    if len(name) >= 4 and name.endswith(ORG_SUFFIXES_SHORT):
        return False
    if strict:
        if "·" in name or "•" in name or "・" in name:
            return True
        if len(name) == 4 and name[:2] not in COMPOUND_SURNAMES:
            return False
        return has_surname(name)
    return True


def _names_in(region: str, *, strict: bool) -> list[str]:
    names: list[str] = []
    for raw in _NAME_SPLIT_RE.split(region.strip()):
        if not raw:
            continue
        piece = _NAME_TAIL_RE.sub("", raw)
        if not valid_chinese_name(piece, strict=strict):
            break
        names.append(piece)
    return names


def _outlet_before(text: str, start: int) -> str | None:
    """The outlet named right before a role word (``南都记者``, ``澎湃新闻记者``)."""
    match = _PREFIX_RE.search(text[:start])
    if match is None:
        return None
    run = match.group(1)
    for size in range(min(len(run), 10), 1, -1):
        tail = run[-size:]
        if tail in OUTLETS or tail in {"本报", "本网", "本刊"}:
            return tail
    if len(run) <= 8 and match.start() == 0 and run.endswith(("报", "社", "网", "新闻", "台")):
        return run
    return None


_WRITING_ROLES: Final = frozenset({"reporter", "correspondent", "author"})
#: Roles of a label that carry over to an ``outlet + 记者`` right after it (``图/晶报记者``).
_CARRIED_ROLES: Final = frozenset({"photographer", "translator", "editor"})


def _photo_suffix_at(text: str, end: int, later: list[re.Match[str]]) -> bool:
    """``贾天勇 摄``: a photo word closing the names before it, not a label (``摄影 冯晨``)
    that names someone after it."""
    if _PHOTO_AFTER_RE.match(text[end : end + 4]) is None:
        return False
    if not later or later[0].start() != end:
        return True
    label = later[0]
    stop = later[1].start() if len(later) > 1 else len(text)
    region = text[label.end() : stop]
    cut = _REGION_END_RE.search(region)
    if cut is not None:
        region = region[: cut.start()]
    return not _names_in(region, strict=True)


def parse_credit(text: str, *, explicit_only: bool = False) -> BylineFinds:
    """Bylines in one short credit text (a metadata bar, a lead's parenthesis, a closing line)."""
    finds = BylineFinds()
    text = squash(text)
    matches = list(ROLE_RE.finditer(text))
    carried: Role | None = None
    for index, match in enumerate(matches):
        role_word, sep = match.group("role"), match.group("sep") or ""
        explicit = bool(sep.strip())
        if role_word in _SHORT_ROLES and not explicit:
            continue
        # A role word glued inside a longer word (``编辑部``, ``文章``) is no credit.
        if role_word in {"文", "图", "译", "编辑"} and match.start() > 0:
            before = text[match.start() - 1]
            if re.match(f"[{HAN}]", before) and not explicit:
                continue
        if explicit_only and not explicit:
            continue
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        region = text[match.end() : end]
        stop = _REGION_END_RE.search(region)
        if stop is not None:
            region = region[: stop.start()]
        role = ROLE_WORDS[role_word]
        if carried is not None and role in _WRITING_ROLES:
            role = carried
        carried = None
        # ``中新社记者 贾天勇 摄``: a reporter credited for a photo.
        if role in _WRITING_ROLES and (
            _PHOTO_TAIL_RE.search(region) or _photo_suffix_at(text, end, matches[index + 1 :])
        ):
            role = "photographer"
        names = _names_in(region, strict=not explicit)
        if not names:
            # ``图/晶报记者 高原``: the label's role holds for the outlet's reporter after it.
            if (
                explicit
                and role in _CARRIED_ROLES
                and stop is None
                and len(region.strip()) <= 10
                and index + 1 < len(matches)
            ):
                carried = role
            continue
        outlet = _outlet_before(text, match.start())
        if role_word.startswith(("本报", "本网")):
            outlet = role_word[:2]
        if outlet and outlet not in finds.outlets:
            finds.outlets.append(outlet)
        for name in names:
            finds.add(name, role)
    if not finds.bylines:
        photo = _PHOTO_SUFFIX_RE.search(text)
        if photo is not None and len(text) <= 40:
            for name in _names_in(photo.group(1), strict=True):
                finds.add(name, "photographer")
    return finds


def parse_paragraph(text: str) -> BylineFinds:
    """Bylines inside a long paragraph: only a lead's or a bracketed credit."""
    finds = BylineFinds()
    lead = _LEAD_CREDIT_RE.match(text)
    if lead is not None:
        finds.extend(parse_credit(lead.group(1)))
    for match in _PAREN_CREDIT_RE.finditer(text[:200]):
        finds.extend(parse_credit(match.group(1)))
    if len(text) > 200:
        for match in _PAREN_CREDIT_RE.finditer(text[-80:]):
            finds.extend(parse_credit(match.group(1)))
    return finds


def parse_suffix_credit(text: str) -> BylineFinds:
    """``路闻卓立编译``, ``张三 整理``: a short credit with the role after the name."""
    finds = BylineFinds()
    text = squash(text)
    if len(text) > 40:
        return finds
    for match in _SUFFIX_CREDIT_RE.finditer(text):
        name = match.group(1)
        if valid_chinese_name(name, strict=False):
            finds.add(name, _SUFFIX_ROLES[match.group(2)])
    return finds


def parse_posted_by(text: str) -> BylineFinds:
    """``由海姑娘张贴 @ 2005-03-21``: the poster of a blog entry."""
    finds = BylineFinds()
    posted = _POSTED_BY_RE.search(squash(text))
    if posted is not None:
        name = posted.group(1)
        if name.lower() not in PLACEHOLDERS and name not in NOT_NAMES:
            finds.add(name, "author")
    return finds


#: ``作者： 放飞&心情``: a forum or blog handle after an explicit author label.
_LABELLED_HANDLE_RE: Final = re.compile(
    r"^\s*(?:作者|发帖人|楼主|博主)\s*[:：]\s*(?P<name>[^\s:：|丨｜()（）\[\]【】]{2,20})\s*$"
)
#: ``发布时间 2005/03/15 22:36:13 by duscha``: a dated post line signed by a handle.
_DATED_BY_RE: Final = re.compile(
    rf"(?:19|20)\d{{2}}\s*[-/.年]\s*\d{{1,2}}.{{0,24}}?\bby\s+"
    rf"(?P<name>[A-Za-z][A-Za-z0-9_.-]{{2,29}}|[{HAN}]{{2,4}})(?![A-Za-z0-9_.-])",
    re.I,
)


_DOMAIN_RE: Final = re.compile(r"^www\.|\.(?:com|cn|net|org)\b|\.$", re.I)


def _valid_handle(name: str) -> bool:
    """A user handle (``放飞&心情``, ``kingname``): not a placeholder, outlet or date."""
    if name.lower() in PLACEHOLDERS or name in NOT_NAMES or name in OUTLETS:
        return False
    if _DOMAIN_RE.search(name):
        return False
    if not re.search(rf"[A-Za-z{HAN}]", name) or name.endswith(ORG_SUFFIXES):
        return False
    # A Han-only value is a person's name or nothing (``本报评论员`` is no handle).
    return not re.fullmatch(f"[{HAN}·]+", name) or valid_chinese_name(name, strict=False)


def parse_labelled_handle(text: str) -> BylineFinds:
    """``作者： 放飞&心情``: the handle after an explicit author label (forums, blogs)."""
    finds = BylineFinds()
    match = _LABELLED_HANDLE_RE.match(squash(text))
    if match is not None and _valid_handle(match.group("name")):
        finds.add(match.group("name"), "author")
    return finds


def parse_dated_by(text: str) -> BylineFinds:
    """``发布时间 2005/03/15 22:36:13 by duscha``: the handle signing a dated post line."""
    finds = BylineFinds()
    match = _DATED_BY_RE.search(squash(text))
    if match is not None and _valid_handle(match.group("name")):
        finds.add(match.group("name"), "author")
    return finds


def parse_closing_names(text: str) -> BylineFinds:
    """``……新春佳节。（常书香 马丹阳）``: writers credited in brackets at a paragraph's end."""
    finds = BylineFinds()
    match = _PAREN_NAMES_END_RE.search(squash(text))
    if match is not None and len(text) > match.end() - match.start() + 10:
        names = _names_in(match.group(1), strict=True)
        pieces = [p for p in _NAME_SPLIT_RE.split(match.group(1)) if p]
        # One bracketed name closing a story is as often the editor's signature: only two or
        # more names are taken as the writers.
        if len(names) >= 2 and len(names) == len(pieces):
            for name in names:
                finds.add(name, "author")
    return finds


def parse_names_line(text: str, *, strict: bool = True) -> BylineFinds:
    """A line of names alone (``赵延东、风笑天``) under the headline: the authors.

    Strict by default: without a role word, only names with a known surname are taken
    (lines such as ``跳到导航`` or ``昨天`` sit under headlines too).
    """
    finds = BylineFinds()
    text = squash(text)
    if _NAMES_ONLY_RE.match(text):
        pieces = [p for p in _NAME_SPLIT_RE.split(text) if p]
        names = _names_in(text, strict=strict)
        if strict and len(pieces) >= 2 and len(names) < len(pieces):
            # Co-authors (``赵延东、风笑天``): a rarer surname passes when most names in the
            # line carry a known one.
            loose = _names_in(text, strict=False)
            known = sum(1 for name in loose if has_surname(name))
            if len(loose) == len(pieces) and 2 * known >= len(pieces):
                names = loose
        if names and len(names) == len(pieces):
            for name in names:
                finds.add(name, "author")
    return finds


def parse_english_credit(text: str) -> list[str]:
    """Names in ``By A, B and C`` (an English credit line), else []."""
    match = _EN_BY_RE.match(squash(text))
    if match is None:
        return []
    rest = re.split(r"\s+(?:\||-|–|—|for|in|at|on)\s+|\s{2,}|\d", match.group(1))[0]
    names: list[str] = []
    for raw in _EN_SPLIT_RE.split(rest.strip(" .")):
        piece = raw.strip(" .")
        if not piece:
            continue
        if not _EN_NAME_RE.match(piece) or _EN_NOT_NAMES.search(piece):
            break
        names.append(piece)
    return names


#: A user handle (``kingname``), accepted from an author meta tag on Chinese pages.
_HANDLE_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,29}$")


def valid_meta_author(name: str, site_names: Iterable[str], *, allow_handle: bool = False) -> bool:
    """A meta/JSON-LD author that is a person: not a URL, outlet, site or placeholder."""
    name = name.strip()
    low = name.lower()
    if not name or low in PLACEHOLDERS or name in PLACEHOLDERS or "://" in name or "www." in low:
        return False
    if any(s and (s in name or name in s) for s in site_names):
        return False
    if re.search(f"[{HAN}]", name):
        # Strict: a channel (``新浪科技``) fills the author tag more often than a pen name.
        return valid_chinese_name(name, strict=True)
    if _EN_NOT_NAMES.search(name):
        return False
    return bool(_EN_NAME_RE.match(name)) or (allow_handle and bool(_HANDLE_RE.match(name)))


def split_meta_authors(value: str) -> list[str]:
    """``张三,李四`` / ``A and B`` / ``By A``: the names in a meta author value."""
    value = re.sub(r"^\s*by\s+", "", squash(value), flags=re.I)
    value = re.sub(r"^(?:作者|记者)\s*[:：]?\s*", "", value)
    return [p for p in re.split(r"\s*(?:[,，、;；|]|\band\b|&)\s*", value) if p]


def extract_bylines(
    head_lines: Iterable[str],
    tail_lines: Iterable[str],
    meta_bars: Iterable[str],
    *,
    lead_lines: Iterable[str] = (),
    short_line: int = 80,
) -> BylineFinds:
    """Bylines from the metadata bar, the lines around the headline and the closing lines."""
    finds = BylineFinds()
    for text in meta_bars:
        finds.extend(parse_credit(text))
    head_lines = list(head_lines)
    tail_lines = list(tail_lines)
    for text in [*head_lines[:4], *lead_lines]:
        finds.extend(parse_names_line(text))
    for text in tail_lines:
        finds.extend(parse_closing_names(text))
    for raw in [*head_lines, *tail_lines]:
        text = squash(raw)
        if not text:
            continue
        if len(text) <= short_line:
            found = parse_credit(text)
            finds.extend(found if found.bylines else parse_suffix_credit(text))
        else:
            finds.extend(parse_paragraph(text))
    return finds
