"""The byline grammar: people credited in one credit text, with their roles.

A credit text (a metadata bar, a line under the headline, a lead's ``（…）``, a closing line) is
cut into tokens: role words with the outlet glued before them (``南都记者``), names, separators
(space, ``、``, ``，``, ``/``), brackets, label separators (``：``, ``/``), the markers that
follow names (``报道``, ``摄``, ``发自…``) and labels of other fields (``来源``, ``时间``),
which end a run of names. Names are read after a role word until a real boundary, and each is
judged by :func:`crawler.extraction.names.is_person_name` with the evidence its position gives.
Names with no role word (a names-only line, ``[ 黄晓宇 ]``) are returned only where the caller
allows them. ``docs/bylines.md`` is the written grammar; ``tests/test_byline_grammar.py``
generates cases from it. Where on a page a credit text is looked for is
:mod:`crawler.extraction.credits`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import takewhile
from typing import Final, Literal

from archive.record import WRITING_ROLES, Byline, Role
from crawler.extraction.names import (
    NOT_NAMES,
    PLACEHOLDERS,
    UI_LABELS,
    Evidence,
    is_issuing_body,
    is_person_name,
)
from crawler.extraction.source import OUTLETS
from crawler.extraction.text import HAN, squash

#: Role words of two or more characters (longest first when matched).
ROLE_WORDS: Final[dict[str, Role]] = {
    "记者": "reporter",
    "实习生": "reporter",
    "通讯员": "correspondent",
    "作者": "author",
    "撰文": "author",
    "撰稿": "author",
    "撰稿人": "author",
    "采写": "author",
    "执笔": "author",
    "执笔人": "author",
    "文字": "author",
    "整理": "author",
    "摄影记者": "photographer",
    "摄影": "photographer",
    "图片": "photographer",
    "供图": "photographer",
    "航拍": "photographer",
    "编译": "compiler",
    "翻译": "translator",
    "译者": "translator",
    "责任编辑": "editor",
    "值班编辑": "editor",
    "实习编辑": "editor",
    "文字编辑": "editor",
    "网络编辑": "editor",
    "编辑": "editor",
    "责编": "editor",
    "审核": "editor",
    "审校": "editor",
    "审稿": "editor",
    "校对": "editor",
    "初审": "editor",
    "复审": "editor",
    "终审": "editor",
    "策划": "editor",
    "统筹": "editor",
    "监制": "editor",
    "主编": "editor",
    "发文机关": "issuer",
    "发布机构": "issuer",
    "发文单位": "issuer",
}
#: One-character role words: labels only before ``/`` or ``：`` (``文/``, ``图：``), or
#: suffixes after names (``李四 摄``); inside a name (邓嘉文, 刘宏图) they are characters.
SHORT_ROLES: Final[dict[str, Role]] = {
    "文": "author",
    "图": "photographer",
    "摄": "photographer",
    "译": "translator",
}
#: Role words that may also follow the names they credit (``张三 摄影``, ``路闻卓立编译``).
_SUFFIX_WORDS: Final = frozenset({"摄", "文", "图", "译", "摄影", "供图", "编译", "翻译", "整理"})
#: Of those, the ones that say who supplied a picture: a person or an organisation.
_SUPPLIER_WORDS: Final = frozenset({"供图"})
#: Of those, the ones that are read as a label when a name follows (``摄影 冯晨``).
_LABEL_OR_SUFFIX: Final = frozenset({"摄影", "编译", "翻译", "整理"})
#: Qualifiers between an outlet and its role word (``南都见习记者``, ``新华社驻京记者``).
_QUALIFIER_RE: Final = re.compile(
    rf"(?:首席|特约|见习|实习|特派|资深|高级|融媒体?|全媒体|职工|驻[{HAN}]{{1,3}}|主任|小)$"
)
#: The house prefixes: "our paper", "our site".
_HOUSE_PREFIXES: Final = frozenset({"本报", "本网", "本刊", "本台", "本站"})
#: Endings of an outlet glued before a role word (``光明网记者``, ``潮新闻记者``).
_OUTLET_ENDINGS: Final = (
    "报",
    "社",
    "网",
    "台",
    "新闻",
    "客户端",
    "传媒",
    "频道",
    "在线",
    "周刊",
    "杂志",
    "电视",
    "广播",
    "之声",
    "财经",
    "资讯",
)
#: Labels of other fields: they end a run of names, and their value is no name.
_VALUE_LABELS: Final = (
    "来源",
    "來源",
    "稿源",
    "出处",
    "转载自",
    "转自",
    "原标题",
    "发布时间",
    "发布日期",
    "更新时间",
    "发布",
    "时间",
    "日期",
    "栏目",
    "频道",
    "关键词",
    "标签",
    "制图",
    "设计",
    "美编",
    "视频",
    "剪辑",
    "插画",
    "漫画",
    "视觉",
    "配音",
    "出品",
    "排版",
    "版式",
    "主播",
    "拍摄",
)
#: Words that end a run of names and take no value (counters, buttons).
_STOP_WORDS: Final = (
    *sorted(w for w in UI_LABELS if re.match(f"[{HAN}]", w)),
    "点击",
    "阅读",
    "浏览",
    "字号",
    "打印",
    "关闭",
    "评论",
    "纠错",
    "手机版",
)
#: Markers after names: ``张三 上海报道``, ``李四 发自北京``.
_MARK_RE: Final = re.compile(f"综合报道|报道|发自[{HAN}]*")


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


#: Inside a run of Han characters (once markers are cut): role words and labels, longest first.
_SEGMENT_RE: Final = re.compile(
    rf"(?P<role>{_alternation(ROLE_WORDS)})|(?P<value>{_alternation(_VALUE_LABELS)})"
    rf"|(?P<stop>{_alternation(_STOP_WORDS)})"
)
#: Han characters of a credit's words: all but 丨 (U+4E28), which credits use as a bar
#: (``撰文丨张三``).
_HAN_TEXT: Final = HAN.replace("\u4e00-\u9fff", "\u4e00-\u4e27\u4e29-\u9fff")
#: The tokens of a credit text.
_TOKEN_RE: Final = re.compile(
    r"(?P<work>《[^》]{1,30}》)"
    r"|(?P<open>[（(【\[「『〔［])"
    r"|(?P<close>[）)】\]」』〕］])"
    r"|(?P<colon>\s*[:：]\s*)"
    r"|(?P<slash>\s*[/／|｜丨]\s*)"
    r"|(?P<comma>\s*[、，,;；]\s*)"
    r"|(?P<space>\s+)"
    rf"|(?P<handle>[\w{HAN}]+(?:[&@#~+][\w{HAN}]+)+)"
    rf"|(?P<han>[{_HAN_TEXT}]+(?:[·•・．.][{_HAN_TEXT}]+)*)"
    r"|(?P<latin>[A-Z][A-Za-z'’\-]*\.?(?: [A-Z][A-Za-z'’\-]*\.?){1,3}|[A-Za-z][\w.\-]*)"
    r"|(?P<other>.)"
)
#: A dateline or lead word (``本报讯``, ``新华社拉萨电``): the credit follows it.
_LEAD_RUN_RE: Final = re.compile(rf"[{HAN}]{{1,12}}[讯电]")
#: Names joined by a conjunction inside one run (``张三与李四``).
_CONJUNCTION_RE: Final = re.compile("[与和及]")
_EN_PERSON_RE: Final = re.compile(
    r"^(?:[A-Z][a-zA-Z'’.\-]*|de|van|von|der|da|di|la|le|bin|al)"
    r"(?:\s+(?:[A-Z][a-zA-Z'’.\-]*|de|van|von|der|da|di|la|le|bin|al)){1,3}$"
)
_SENTENCE_PUNCT: Final = frozenset("。！？!?；;")
#: A personal name in Latin script: 1 to 4 capitalised words or initials (``Joel Spolsky``,
#: ``J. R. R. Tolkien``, ``Anne-Marie``), at least one of them a word.
_ORIGINAL_NAME_RE: Final = re.compile(
    r"(?:[A-Z]\.\s?)*[A-Z][a-z'’]+(?:-[A-Z]?[a-z'’]+)*"
    r"(?:\s(?:[A-Z]\.|[A-Z][a-z'’]*[A-Z]?[a-z'’]+(?:-[A-Z]?[a-z'’]+)*)){0,3}"
)

#: Roles that carry over to a following ``outlet + 记者`` (``图/晶报记者 高原`` is a photo).
_CARRIED: Final[frozenset[Role]] = frozenset({"photographer", "compiler", "translator", "editor"})
#: Roles a name after it credits for the whole credit (``中新社记者 贾天勇 摄``).
_SUFFIX_OVERRIDES: Final[frozenset[Role]] = frozenset({"photographer", "compiler", "translator"})

BareNames = Literal["never", "bracketed", "line", "field"]
#: Writing roles more specific than ``author``: one person credited twice keeps them.
_SPECIFIC_WRITING: Final = frozenset({"reporter", "correspondent", "compiler"})


@dataclass(slots=True)
class BylineFinds:
    """Bylines in page order, the outlet prefixes met on the way (``南都`` …), and how much
    of the text was neither a credit nor a label's value (``leftover``, in characters)."""

    bylines: list[Byline] = field(default_factory=list)
    outlets: list[str] = field(default_factory=list)
    leftover: int = 0
    #: Names read without a role word (a names-only text, a bracket of names).
    bare: list[str] = field(default_factory=list)
    #: Names read after a label with a separator (``作者：``, ``记者 ``, ``文/``).
    labelled: list[str] = field(default_factory=list)

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
        self.bare.extend(n for n in other.bare if n not in self.bare)
        self.labelled.extend(n for n in other.labelled if n not in self.labelled)

    def only_labelled(self) -> BylineFinds:
        """The credits read after a label with a separator, the others dropped."""
        kept = BylineFinds(outlets=list(self.outlets), labelled=list(self.labelled))
        for byline in self.bylines:
            if byline.name in self.labelled:
                kept.add(byline.name, byline.role)
        return kept

    def drop_bare(self, names: frozenset[str]) -> BylineFinds:
        """Without the names read bare that are among ``names`` (a page's link texts: a tag
        or a section under the headline is a link, a bare byline rarely is)."""
        dropped = {n for n in self.bare if n in names}
        if dropped:
            self.bylines = [b for b in self.bylines if b.name not in dropped]
            self.bare = [n for n in self.bare if n not in dropped]
        return self

    def recast(self, name: str, role: Role) -> None:
        """``name``'s writing roles become ``role`` (a photo credit closing the credit)."""
        kept = [b for b in self.bylines if not (b.name == name and b.role in WRITING_ROLES)]
        if len(kept) < len(self.bylines):
            self.bylines = kept
            self.add(name, role)

    @property
    def has_writers(self) -> bool:
        return any(b.role in WRITING_ROLES for b in self.bylines)

    @property
    def writers(self) -> list[str]:
        return [b.name for b in self.bylines if b.role in WRITING_ROLES]

    @property
    def credit_only(self) -> bool:
        """The whole text was a credit: names, role words, labels and their values."""
        return bool(self.bylines) and self.leftover == 0


# ---------------------------------------------------------------- tokens


@dataclass(slots=True)
class _Piece:
    kind: str
    text: str
    role: Role | None = None
    outlet: str | None = None
    #: No separator between this piece and the next one (one run of Han characters).
    glued: bool = False
    #: The name in its original script, bracketed after it (``周思博 (Joel Spolsky)``).
    alias: str | None = None


def _outlet_prefix(prefix: str) -> tuple[str | None, bool]:
    """(outlet, is a prefix) for the text glued before a role word at a run's start."""
    rest = prefix
    while rest:
        match = _QUALIFIER_RE.search(rest)
        if match is None:
            break
        rest = rest[: match.start()]
    if not rest:
        return None, True
    if rest in _HOUSE_PREFIXES or rest in OUTLETS:
        return rest, True
    if len(rest) <= 12 and rest.endswith(_OUTLET_ENDINGS):
        return rest, True
    return None, False


def _short_outlet(prefix: str, role_word: str) -> bool:
    """Whether ``prefix``, glued before ``role_word`` at a run's start, is an outlet's short
    name that no table lists (``滨晚记者``, ``作者：羊晚记者 张三``). A name stands there only
    as the sloppy ``记者 张三通讯员 李四``, so the prefix is a name when it passes as a glued
    one (a known surname) and an outlet otherwise; a suffix word (``张三摄影``) takes the name
    before it."""
    if role_word in _SUFFIX_WORDS:
        return False
    rest = prefix
    while (match := _QUALIFIER_RE.search(rest)) is not None and match.start() > 0:
        rest = rest[: match.start()]
    return (
        _HAN_ONLY_RE.fullmatch(rest) is not None
        and 2 <= len(rest) <= 4
        and not (is_person_name(rest, Evidence.GLUED))
    )


def _segment_part(part: str, *, run_start: bool, run_end: bool) -> list[_Piece]:
    """Role words, labels and words in a stretch of a run without markers."""
    pieces: list[_Piece] = []
    position = 0
    for match in _SEGMENT_RE.finditer(part):
        before = part[position : match.start()]
        kind = match.lastgroup or "stop"
        text = match.group()
        if kind == "role":
            outlet: str | None = None
            if before and position == 0 and run_start:
                outlet, is_prefix = _outlet_prefix(before)
                if is_prefix or _short_outlet(before, text):
                    before = ""
            if before:
                pieces.append(_Piece("word", before))
            pieces.append(_Piece("role", text, ROLE_WORDS[text], outlet))
        else:
            if before:
                pieces.append(_Piece("word", before))
            pieces.append(_Piece(kind, text))
        position = match.end()
    rest = part[position:]
    if run_end and (rest == "等" or (len(rest) >= 3 and rest.endswith("等"))):
        # ``作者：张三等``: "and others" closes the names.
        pieces.extend([_Piece("word", rest[:-1])] if len(rest) > 1 else [])
        pieces.append(_Piece("stop", "等"))
        return pieces
    if rest:
        if run_end and len(rest) >= 3 and rest.endswith("摄"):
            # ``李四摄``: the usual photo credit, the one role character cut from a run.
            pieces.append(_Piece("word", rest[:-1]))
            pieces.append(_Piece("role", "摄", "photographer"))
        else:
            pieces.append(_Piece("word", rest))
    return pieces


def _segment(run: str) -> list[_Piece]:
    """One run of Han characters as role words, labels, markers and words. Markers are cut
    first: ``上海报道`` is a place and 报道, not 上 and a label ``海报``."""
    if run in SHORT_ROLES:
        return [_Piece("role", run, SHORT_ROLES[run])]
    if len(run) == 2 and set(run) <= {"文", "图"} and run[0] != run[1]:
        # 文图 / 图文: words and pictures by the same people.
        return [_Piece("role", char, SHORT_ROLES[char], glued=True) for char in run]
    if _LEAD_RUN_RE.fullmatch(run) and _SEGMENT_RE.search(run) is None:
        return [_Piece("lead", run)]
    if run.endswith("发") and _outlet_prefix(run[:-1])[0] is not None:
        # ``（新华社发 张三摄）``: released by an outlet, then the photographer.
        return [_Piece("lead", run)]
    pieces: list[_Piece] = []
    position = 0
    for match in _MARK_RE.finditer(run):
        part = run[position : match.start()]
        if part:
            pieces.extend(_segment_part(part, run_start=position == 0, run_end=False))
        pieces.append(_Piece("mark", match.group()))
        position = match.end()
    rest = run[position:]
    if rest:
        pieces.extend(_segment_part(rest, run_start=position == 0, run_end=True))
    for piece in pieces[:-1]:
        piece.glued = True
    return pieces


def _original_script(pieces: list[_Piece]) -> list[_Piece]:
    """``周思博 (Joel Spolsky)``: a Latin-script personal name in brackets right after a
    word is that word's original-script form, not a bracket of its own."""
    kept: list[_Piece] = []
    index = 0
    while index < len(pieces):
        inner = [p for p in pieces[index : index + 5] if p.kind != "space"][:3]
        words = [p for p in kept if p.kind != "space"]
        if (
            len(inner) == 3
            and [p.kind for p in inner] == ["open", "latin", "close"]
            and words
            and words[-1].kind == "word"
            and words[-1].alias is None
            and _ORIGINAL_NAME_RE.fullmatch(inner[1].text)
            and not _EN_NOT_NAMES.search(inner[1].text)
        ):
            words[-1].alias = inner[1].text
            index = pieces.index(inner[2], index) + 1
            continue
        kept.append(pieces[index])
        index += 1
    return kept


def _tokens(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or "other"
        value = match.group()
        if kind == "han":
            pieces.extend(_segment(value))
        elif kind in {"latin", "handle"}:
            # A handle (``放飞&心情``) is one token: none of its parts is a name.
            pieces.append(_Piece("latin", value))
        else:
            pieces.append(_Piece(kind, value))
    return _original_script(pieces) if "open" in {p.kind for p in pieces} else pieces


# ---------------------------------------------------------------- grammar


@dataclass(slots=True)
class _Group:
    """A run of names under one role (or none yet: bare names)."""

    roles: list[Role]
    evidence: Evidence
    outlet: str | None = None
    #: The role word that opened it (``文``, ``记者``), empty for bare names.
    label: str = ""
    words: list[str] = field(default_factory=list)
    #: The separator before each word after the first (" " or another separator).
    seps: list[str] = field(default_factory=list)
    #: The last word was glued to a following ``报道`` (``上海报道``): maybe a place.
    place: bool = False
    bracketed: bool = False
    #: A label of another field: its words are its value, not names.
    value: bool = False


#: Pieces that may make up a text of names only.
_NAMES_ONLY_KINDS: Final = frozenset({"word", "latin", "space", "comma", "slash", "open", "close"})


class _Parser:
    """Reads one credit text, left to right (see the module docstring)."""

    def __init__(self, pieces: list[_Piece], bare: BareNames) -> None:
        self.pieces = pieces
        self.bare = bare
        self.finds = BylineFinds()
        self.group: _Group | None = None
        self.depth = 0
        self.bare_groups: list[_Group] = []
        self.sep = ""
        #: The last piece opened a bracket (a bare name right after it is bracketed).
        self.opened = False
        #: Names credited since the last boundary: ``记者 A 通讯员 B 摄`` credits both
        #: for the photo.
        self.credited: list[str] = []
        #: Original-script forms met after words (``周思博`` → ``Joel Spolsky``).
        self.aliases: dict[str, str] = {}

    def run(self) -> BylineFinds:
        for index, piece in enumerate(self.pieces):
            handler = getattr(self, f"_on_{piece.kind}")
            handler(index, piece)
            self.opened = piece.kind == "open" or (self.opened and piece.kind == "space")
        self._close()
        self._bare_names()
        return self.finds

    # -- helpers

    def _next(self, index: int) -> _Piece | None:
        for piece in self.pieces[index + 1 :]:
            if piece.kind != "space":
                return piece
        return None

    def _name_follows(self, index: int) -> bool:
        piece = self._next(index)
        return piece is not None and (
            (piece.kind == "word" and is_person_name(piece.text, Evidence.LABELLED))
            or (piece.kind == "latin" and bool(_EN_PERSON_RE.match(piece.text)))
        )

    def _merged(self, group: _Group) -> list[str]:
        words = list(group.words)
        if group.place and len(words) >= 2:
            # ``（记者 张三 北京报道）``: the word glued to 报道 after a name is a place.
            words.pop()
        merged: list[str] = []
        for index, word in enumerate(words):
            # ``王　军``: a two-character name padded to the width of three.
            if merged and len(word) == 1 and len(merged[-1]) == 1 and group.seps[index - 1] == " ":
                merged[-1] += word
            else:
                merged.append(word)
        return merged

    def _names(self, words: list[str], evidence: Evidence) -> list[str]:
        """The names at the start of ``words``, up to the first word that is none."""
        names: list[str] = []
        for word in words:
            if word[:1].isascii():
                if (
                    evidence >= Evidence.GLUED
                    and _EN_PERSON_RE.match(word)
                    and not _EN_NOT_NAMES.search(word)
                ):
                    names.append(word)
                    continue
                break
            if is_person_name(word, evidence):
                names.append(word)
                continue
            parts = _CONJUNCTION_RE.split(word)
            if len(parts) == 2 and all(is_person_name(p, evidence) for p in parts):
                names.extend(parts)
                continue
            break
        return names

    def _credit(
        self,
        names: list[str],
        words: list[str],
        roles: list[Role],
        outlet: str | None,
        evidence: Evidence = Evidence.BARE,
    ) -> None:
        self.finds.leftover += sum(len(w) for w in words) - sum(len(n) for n in names)
        aliases = [self.aliases.get(n) for n in names]
        if evidence >= Evidence.GLUED:
            # A role word introduced them: ``作者： 周思博 (Joel Spolsky)`` is one person.
            names = [n if a is None else f"{n} ({a})" for n, a in zip(names, aliases, strict=True)]
        else:
            self.finds.leftover += sum(len(a) for a in aliases if a is not None)
        if evidence == Evidence.LABELLED:
            self.finds.labelled.extend(n for n in names if n not in self.finds.labelled)
        if names and outlet and outlet not in self.finds.outlets:
            self.finds.outlets.append(outlet)
        for name in names:
            for role in roles:
                self.finds.add(name, role)
                self.credited.append(name)

    def _close(self, suffix: Role | None = None) -> _Group | None:
        """End the current run of names; returns it when it is a label still waiting for
        its names (``图/`` before ``晶报记者 高原``)."""
        group, self.group = self.group, None
        if group is None or group.value:
            return None
        if not group.words:
            return group if group.roles and suffix is None else None
        if not group.roles and suffix is None:
            self.bare_groups.append(group)
            return None
        roles = list(group.roles)
        evidence = group.evidence
        if suffix is not None:
            if not roles:
                roles, evidence = [suffix], Evidence.GLUED
            elif suffix in _SUFFIX_OVERRIDES:
                # ``中新社记者 贾天勇 摄``: a reporter credited for the photo.
                roles = [suffix]
        earlier = list(self.credited)
        words = self._merged(group)
        if "issuer" in roles:
            # ``发文机关：吉林省人民政府``: an office issued the document; it is no person.
            names = list(takewhile(is_issuing_body, words))
        else:
            names = self._names(words, evidence)
        self._credit(names, words, roles, group.outlet, evidence)
        if suffix is not None:
            if suffix == "photographer":
                for name in earlier:
                    self.finds.recast(name, "photographer")
            # A role word after names ends the credit it closes (``张三/文 李四/图``).
            self.credited.clear()
        return None

    def _bare_names(self) -> None:
        only_names = all(p.kind in _NAMES_ONLY_KINDS for p in self.pieces)
        whole = only_names and len(self.bare_groups) == 1 and not self.finds.bylines
        for group in self.bare_groups:
            words = self._merged(group)
            if self.bare == "field":
                # An author field says its value is the author, not that it is a person:
                # channels fill it too (腾讯科技), so a name there needs a surname or a
                # transliteration, as one glued to a role word does.
                self._credit(self._names(words, Evidence.GLUED), words, ["author"], None)
                continue
            # ``2024-05-20 [ 黄晓宇 ] 来源：…``: a bracket of names in an info bar (a line
            # with a date or another field's label), not in a headline or a sentence.
            accept = self.bare != "never" and group.bracketed and self._info_bar
            if self.bare == "line":
                # Or a text of names only (``赵延东、风笑天``, ``（袁芳）``), nothing else.
                accept = accept or whole
            if not accept:
                self.finds.leftover += sum(len(w) for w in words)
                continue
            names = self._names(words, Evidence.BARE)
            if len(names) < len(words) and len(words) >= 2:
                # Co-authors (``赵延东、风笑天``): a rarer surname passes when most names in
                # the line carry a known one.
                loose = self._names(words, Evidence.LABELLED)
                if len(loose) == len(words) and 2 * len(names) >= len(words):
                    known = sum(1 for n in loose if is_person_name(n, Evidence.BARE))
                    names = loose if 2 * known >= len(words) else names
            if len(names) == len(words):
                self._credit(names, words, ["author"], None)
                self.finds.bare.extend(names)
            else:
                self.finds.leftover += sum(len(w) for w in words)

    @property
    def _info_bar(self) -> bool:
        return any(
            p.kind == "value" or (p.kind == "other" and p.text.isdigit()) for p in self.pieces
        )

    def _add_word(self, text: str, *, glued_to_mark: bool) -> None:
        if self.group is None:
            self.group = _Group([], Evidence.BARE, bracketed=self.opened)
        group = self.group
        if group.words:
            group.seps.append(self.sep)
        group.words.append(text)
        group.place = glued_to_mark
        self.sep = ""

    def _separator(self, sep: str) -> None:
        if self.group is not None and self.group.value and self.group.words:
            # A label's value is one token (``来源：新京报 作者：…``).
            self.group = None
        self.sep = self.sep if sep == " " and self.sep else sep

    # -- pieces

    def _on_role(self, index: int, piece: _Piece) -> None:
        nxt = self._next(index)
        labelled = nxt is not None and nxt.kind in {"colon", "slash"}
        group = self.group
        role = piece.role or "author"
        suffix = piece.text in _SUFFIX_WORDS and not (
            piece.text in _LABEL_OR_SUFFIX and self._name_follows(index)
        )
        if suffix and group is not None and group.words and not group.value and not labelled:
            if piece.text in _SUPPLIER_WORDS:
                # ``（图/滨海地铁供图）``: the label credits the picture; who supplied it is
                # as often an organisation as a person, so the name needs a glued one's
                # evidence (a known surname).
                group.evidence = min(group.evidence, Evidence.GLUED)
            self._close(suffix=role)
            return
        if piece.text in SHORT_ROLES and not labelled:
            pair = nxt is not None and nxt.kind == "role" and nxt.text in SHORT_ROLES
            waiting = group is not None and not group.words and group.label in SHORT_ROLES
            if not pair and not waiting:
                # A lone 文 or 图 in running text (``图 为``) is no label.
                self._close()
                self.finds.leftover += 1
                return
        outlet = piece.outlet
        if (
            outlet is None
            and group is not None
            and not group.roles
            and not group.value
            and len(group.words) == 1
        ):
            named, is_prefix = _outlet_prefix(group.words[0])
            if named is not None and is_prefix:
                # ``新华网黑龙江频道 记者 伊琳``: an outlet written apart from its role word.
                outlet, self.group = named, None
        previous = self._close()
        roles: list[Role] = [role]
        if previous is not None:
            if piece.text in SHORT_ROLES and previous.label in SHORT_ROLES:
                roles = [*previous.roles, role] if role not in previous.roles else roles
            elif role in WRITING_ROLES and all(r in _CARRIED for r in previous.roles):
                roles = list(previous.roles)
            outlet = outlet or previous.outlet
        after = self.pieces[index + 1] if index + 1 < len(self.pieces) else None
        glued = piece.glued and after is not None and after.kind == "word"
        evidence = Evidence.GLUED if glued else Evidence.LABELLED
        self.group = _Group(roles, evidence, outlet, label=piece.text)

    def _on_word(self, index: int, piece: _Piece) -> None:
        if piece.alias is not None:
            self.aliases[piece.text] = piece.alias
        after = self.pieces[index + 1] if index + 1 < len(self.pieces) else None
        self._add_word(
            piece.text, glued_to_mark=piece.glued and after is not None and after.kind == "mark"
        )

    def _on_latin(self, index: int, piece: _Piece) -> None:
        self._add_word(piece.text, glued_to_mark=False)

    def _on_mark(self, index: int, piece: _Piece) -> None:
        group = self.group
        if group is not None and group.words and not group.value:
            self._close(suffix="reporter")
        else:
            self._close()

    def _on_lead(self, index: int, piece: _Piece) -> None:
        self._close()
        self.credited.clear()

    def _on_work(self, index: int, piece: _Piece) -> None:
        # ``《棱镜》作者 周纯``: a column or a publication named before its credit.
        self._close()

    def _on_value(self, index: int, piece: _Piece) -> None:
        self._close()
        self.credited.clear()
        self.group = _Group([], Evidence.BARE, value=True)

    def _on_stop(self, index: int, piece: _Piece) -> None:
        self._close()
        self.credited.clear()

    def _on_space(self, index: int, piece: _Piece) -> None:
        self._separator(" ")

    def _on_comma(self, index: int, piece: _Piece) -> None:
        self._separator("、")

    def _on_slash(self, index: int, piece: _Piece) -> None:
        self._separator("/")

    def _on_colon(self, index: int, piece: _Piece) -> None:
        group = self.group
        if group is not None and group.words and not group.value:
            # ``编者按：``: a word before a colon is a label we do not know, not a name.
            self.finds.leftover += sum(len(w) for w in group.words)
            self.group = None

    def _on_open(self, index: int, piece: _Piece) -> None:
        self._close()
        self.credited.clear()
        self.depth += 1

    def _on_close(self, index: int, piece: _Piece) -> None:
        group = self.group
        self.depth = max(self.depth - 1, 0)
        if group is not None and group.bracketed and not group.roles and not group.value:
            if group.words:
                self.bare_groups.append(group)
            self.group = None
            return
        inside = [p.kind for p in self.pieces[:index] if p.kind != "space"][-2:]
        if group is not None and group.roles and not group.words and inside == ["open", "role"]:
            # ``【作者】张三``: a label in brackets labels what follows them.
            return
        self._close()
        self.credited.clear()

    def _on_other(self, index: int, piece: _Piece) -> None:
        self._close()
        self.credited.clear()
        if piece.text in _SENTENCE_PUNCT:
            self.finds.leftover += 1


#: What any credit with a role word holds: a cheap test before a line is parsed.
_CREDIT_HINT_RE: Final = re.compile(
    rf"{_alternation(ROLE_WORDS)}|[文图摄译]\s*[/／:：|｜丨]|(?:^|[\s/／（(])[文图摄译](?:$|[\s）)])"
    r"|摄\s*[）)]?\s*$|报道|发自|[（(【\[]"
)


def might_credit(text: str) -> bool:
    """Whether ``text`` holds anything a credit with a role word or a bracket is made of
    (most body lines do not: they need not be parsed)."""
    return _CREDIT_HINT_RE.search(text) is not None


def parse_credit(text: str, *, bare: BareNames = "never") -> BylineFinds:
    """Bylines in one credit text (a metadata bar, a line, a lead's or a closing bracket).

    ``bare`` says where names without a role word are taken: ``never``; ``bracketed``
    (``[ 黄晓宇 ]`` in an info bar); ``line`` (a text of names only, or a bracket of names:
    with a known surname); ``field`` (a structured author field: a name with a surname or in
    the transliteration alphabet, or a dotted name).
    """
    return _Parser(_tokens(squash(text)), bare).run()


# ---------------------------------------------------------------- other forms

#: ``原创： 路闻卓立编译 人民币交易与研究``, ``原创 张三 某某公众号``: a WeChat article's origin
#: line: its writer (maybe with a role glued after the name), then the account that first
#: published it.
_ORIGIN_LINE_RE: Final = re.compile(
    rf"^\s*原创\s*[:：]?\s*(?P<credit>[{HAN}·•・．.]{{2,12}})\s+"
    rf"(?P<account>[{HAN}A-Za-z][^\s:：]{{1,29}})\s*$"
)


def parse_origin_line(text: str) -> BylineFinds | None:
    """The writer of a WeChat article's origin line, the account among the outlets (the
    source when nothing better names one); None when ``text`` is no such line."""
    match = _ORIGIN_LINE_RE.match(squash(text))
    if match is None:
        return None
    # The name stands where an author field's value does: it needs a known surname or a
    # transliteration, or a role word glued after it (``路闻卓立编译``).
    finds = parse_credit(match.group("credit"), bare="field")
    if not finds.has_writers or not finds.credit_only:
        return None
    finds.outlets.append(match.group("account"))
    return finds


#: ``By Jane Doe and John Roe``: an English credit line.
_EN_BY_RE: Final = re.compile(
    r"^\s*(?:(?:written|words|reporting|story|text|analysis|photos?)\s+)?by[:\s]\s*(.+)$", re.I
)
_EN_SPLIT_RE: Final = re.compile(r"\s*(?:,|\band\b|&|;|\|)\s*", re.I)
_EN_NOT_NAMES: Final = re.compile(
    r"\b(?:staff|reporter|editor|correspondent|news|agency|press|team|desk|updated|published|"
    r"associated|reuters|bloomberg|writer|contributor|admin|guest|the|media|online|com|daily|"
    r"business|sports?|times|post|journal|tribune|herald|network|magazine|politics|bureau|"
    r"wire|service|reports?|international|world|radio|tv|images?|photos?|getty|afp|ap|gazette|"
    r"chronicle|courier|examiner|inquirer|telegraph|observer|dispatch|bulletin|register|review|"
    r"sentinel|monitor|standard|independent|guardian|weekly|magazine|digest|newsroom)\b",
    re.I,
)
_EN_REST_CUT_RE: Final = re.compile(r"\s+(?:\||-|–|—|for|in|at|on)\s+|\s{2,}|\d", re.I)


def parse_english_credit(text: str) -> list[str]:
    """Names in ``By A, B and C`` (an English credit line), else []."""
    match = _EN_BY_RE.match(squash(text))
    if match is None:
        return []
    rest = _EN_REST_CUT_RE.split(match.group(1))[0]
    names: list[str] = []
    for raw in _EN_SPLIT_RE.split(rest.strip(" .")):
        piece = raw.strip(" .")
        if not piece:
            continue
        if not _EN_PERSON_RE.match(piece) or _EN_NOT_NAMES.search(piece):
            break
        names.append(piece)
    return names


#: ``由海姑娘张贴 @ 2005-03-21``: a blog's poster line.
_POSTED_BY_RE: Final = re.compile(
    rf"(?:^|[^{HAN}])由\s*([{HAN}A-Za-z0-9_]{{2,12}}?)\s*(?:张贴|发表|撰写)(?:于|\s|@|$)"
)
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
_HAN_RUN_RE: Final = re.compile(f"[{HAN}]")
_HAN_ONLY_RE: Final = re.compile(f"[{HAN}·]+")
_LETTER_RE: Final = re.compile(f"[A-Za-z{HAN}]")
#: Template placeholders (``{{author}}``, ``$author``) and values of punctuation only.
_TEMPLATE_RE: Final = re.compile(r"[{}$%<>]|^\W+$")


def valid_handle(name: str) -> bool:
    """A user handle (``放飞&心情``, ``kingname``): not a placeholder, outlet, URL or date."""
    low = name.lower()
    if low in PLACEHOLDERS or name in NOT_NAMES or name in OUTLETS:
        return False
    if any(label in low for label in UI_LABELS):
        return False
    if _DOMAIN_RE.search(name) or "://" in name or _TEMPLATE_RE.search(name):
        return False
    if not _LETTER_RE.search(name):
        return False
    # A Han-only value is a person's name or nothing (``本报评论员`` is no handle).
    return not _HAN_ONLY_RE.fullmatch(name) or is_person_name(name, Evidence.LABELLED)


def _single(name: str | None) -> BylineFinds:
    finds = BylineFinds()
    if name is not None and valid_handle(name):
        finds.add(name, "author")
    return finds


def parse_posted_by(text: str) -> BylineFinds:
    """``由海姑娘张贴 @ 2005-03-21``: the poster of a blog entry."""
    match = _POSTED_BY_RE.search(squash(text))
    return _single(match.group(1) if match else None)


def parse_labelled_handle(text: str) -> BylineFinds:
    """``作者： 放飞&心情``: the handle after an explicit author label (forums, blogs)."""
    match = _LABELLED_HANDLE_RE.match(squash(text))
    return _single(match.group("name") if match else None)


def parse_dated_by(text: str) -> BylineFinds:
    """``发布时间 2005/03/15 22:36:13 by duscha``: the handle signing a dated post line."""
    match = _DATED_BY_RE.search(squash(text))
    return _single(match.group("name") if match else None)


# ---------------------------------------------------------------- structured metadata

#: A user handle (``kingname``), accepted from an author field on Chinese pages.
_HANDLE_RE: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,29}$")
_META_SPLIT_RE: Final = re.compile(r"\s*(?:[,，、;；|]|\band\b|&)\s*")
_META_BY_RE: Final = re.compile(r"^\s*(?:(?:written|analysis|story)\s+)?by\s+", re.I)
_SITE_WORD_RE: Final = re.compile(r"[a-z0-9]+")
_GENERIC_HOST_WORDS: Final = frozenset(
    {"www", "m", "news", "com", "cn", "net", "org", "co", "uk", "edition", "en", "gov", "edu"}
)


def _site_words(site_names: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for name in site_names:
        words.update(w for w in _SITE_WORD_RE.findall(name.lower()) if w not in _GENERIC_HOST_WORDS)
    return words


def site_word_in(name: str, site_names: Iterable[str]) -> bool:
    """Whether a Latin-script name holds a word of the site's name or host (``CNN Business``
    on edition.cnn.com): an outlet, not a person."""
    return bool(set(_SITE_WORD_RE.findall(name.lower())) & _site_words(site_names))


def structured_authors(
    values: Iterable[str], site_names: Iterable[str], *, chinese: bool
) -> list[str]:
    """The people named in structured author fields (``meta name=author``, JSON-LD
    ``author.name``, ``itemprop=author``, ``rel=author``, author-classed elements), each value
    read with the byline grammar and rejected when it is a placeholder, a UI label, the site's
    or an outlet's name, or a URL."""
    sites = [s for s in site_names if s]
    site_words = _site_words(sites)
    han_sites = [s for s in sites if _HAN_RUN_RE.search(s)]
    names: list[str] = []
    for raw in values:
        value = squash(raw)
        if not value or "://" in value or "www." in value.lower() or _TEMPLATE_RE.search(value):
            continue
        candidates: list[str] = []
        if _HAN_RUN_RE.search(value):
            candidates = parse_credit(value, bare="field").writers
            if not candidates and chinese:
                candidates = [p for p in _META_SPLIT_RE.split(value) if _HANDLE_RE.match(p)]
        else:
            for piece in _META_SPLIT_RE.split(_META_BY_RE.sub("", value)):
                if (_EN_PERSON_RE.match(piece) and not _EN_NOT_NAMES.search(piece)) or (
                    chinese and _HANDLE_RE.match(piece)
                ):
                    candidates.append(piece)
                else:
                    break
        for name in candidates:
            low = name.lower()
            if low in PLACEHOLDERS or low in UI_LABELS or name in OUTLETS:
                continue
            if any(name == s or name in s or s in name for s in sites):
                continue
            if any(len(name) >= 4 and name[:2] == s[:2] for s in han_sites):
                # ``新浪科技`` on a 新浪 page is the channel.
                continue
            if set(_SITE_WORD_RE.findall(low)) & site_words:
                continue
            if name not in names:
                names.append(name)
    return names
