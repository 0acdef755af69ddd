"""Cases generated from the byline grammar of ``docs/bylines.md``, embedded in small pages.

Every form of the grammar (``FORMS``, ids ``F01`` …) is rendered with invented names (``NAMES``:
2, 3 and 4 characters, compound surnames, names ending in a role character, given names that
are also words, rare surnames, Tibetan, Uyghur and Mongolian names with and without ``·``,
English names), 1 to 3 names joined by every separator, in every page position the grammar
allows it, and run through the real ``extract_page``. The negative forms (``NEGATIVES``,
``N01`` …) are pages that credit nobody as a writer. Generation is seeded, so the cases and
the report are the same on every run.

``python tests/byline_forms.py`` prints the report (cases, exact parses, misses and false
positives by form); ``tests/test_byline_grammar.py`` asserts on it.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crawler.extraction import extract_page

SEED = 20240520
FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)

# ---------------------------------------------------------------- names

#: Invented names by kind. The kind says which evidence a name needs (docs/bylines.md):
#: ``surname`` kinds are read everywhere, ``rare`` and the transliterations only where a
#: role word or a label introduces them, ``dotted`` everywhere, ``english`` in English forms.
NAMES: dict[str, list[str]] = {
    "han2": ["王军", "何婧", "袁芳", "陈喆", "林峰", "曹颖", "蒋蕾", "梁爽"],
    "han3": [
        "王海峰",
        "张文强",
        "李明远",
        "黄晓宇",
        "姚明辉",
        "谢雨桐",
        "韩冬青",
        "许嘉怡",
        "冯子健",
        "郭振宇",
        "程雅琴",
        "邵建华",
        "叶子涵",
    ],
    "compound": ["欧阳娜娜", "司马青云", "上官婉清", "诸葛明远"],
    "role_end": ["邓嘉文", "刘宏图", "陈思译", "吴志编", "孙立文", "李文"],
    "word_given": ["周启航", "林海燕", "王建国", "赵晓东", "孙文静", "文静"],
    "rare": ["仉立群", "郗小鸥", "笪文远"],
    "tibetan": ["次仁旺堆", "扎西多吉", "格桑卓玛", "达瓦次仁"],
    "long": ["买买提艾力", "乌云其木格", "阿旺次仁多吉"],
    "dotted": [
        "买买提·艾力",
        "阿依古丽·吐尔逊",
        "那顺·巴雅尔",
        "艾尔肯·吐尼亚孜",
        "热依拉．买买提",
    ],
    "english": [
        "Jane Doe",
        "John Roe",
        "Mary O'Neill",
        "Ahmed Khan",
        "Anne-Marie Dupont",
        "Li Wei",
        "Carlos Mendes",
        "Sarah van der Berg",
        "Tom McAllister",
        "Priya Natarajan",
    ],
}
#: Names followed by their original-script form in brackets (a translated writer's byline).
NAMES["original"] = [
    "周思博 (Joel Spolsky)",
    "王海峰（Peter Wang）",
    "李明远 (Mary O'Neill)",
    "黄晓宇（Anne-Marie Dupont）",
    "谢雨桐 (J. R. Tolkien)",
    "韩冬青 (Ahmed Khan)",
    "许嘉怡（Sarah Kim）",
    "冯子健 (Tom McAllister)",
    "次仁旺堆 (Tsering Wangdu)",
    "程雅琴（Priya Natarajan）",
    "欧阳娜娜 (Nana Ouyang)",
    "叶子涵 (Zoe)",
]
#: Offices that issue government documents (``发文机关``).
NAMES["office"] = [
    "吉林省人民政府",
    "某某市人民政府办公室",
    "国务院办公厅",
    "某某区教育局",
    "某某市发展和改革委员会",
    "某某市住房和城乡建设局",
    "中共某某市委办公室",
    "某某县卫生健康局",
    "某某市市场监督管理局",
    "某某区人民政府",
    "某某省财政厅",
    "某某市生态环境局",
    "某某街道办事处",
    "某某市应急管理局",
]
#: Two-character names padded with an ideographic space (王　军), as typeset to align with
#: three-character names.
NAMES["padded"] = [n[0] + "\u3000" + n[1] for n in NAMES["han2"]] + ["李\u3000娜", "张\u3000弛"]
#: Padded names stand among others in a credit (``记者 王　军 张文强``).
PADDED_KINDS = ("padded", "han3", "word_given", "role_end", "compound", "dotted")
HAN_KINDS = ("han2", "han3", "compound", "role_end", "word_given", "rare", "tibetan", "long")
#: Which kinds each level of evidence reads (see names.is_person_name).
LABELLED_KINDS = (*HAN_KINDS, "dotted")
GLUED_KINDS = tuple(k for k in LABELLED_KINDS if k != "rare")
BARE_KINDS = ("han2", "han3", "compound", "role_end", "word_given", "dotted")
ENGLISH_KINDS = ("english",)
ORIGINAL_KINDS = ("original",)
OFFICE_KINDS = ("office",)

#: Separators between names: space, 、, ，, / (English: comma, and).
SEPARATORS = (" ", "、", "，", "/", "\u3000")
EN_SEPARATORS = (", ", " and ")
#: What follows an English credit: nothing, the outlet, a time, a role.
EN_TAILS = (
    "",
    ", Riverside Gazette",
    " | Updated May 20, 2024",
    " for Riverside Gazette",
    ", Staff Writer",
)


def pool(kinds: tuple[str, ...]) -> list[str]:
    return [name for kind in kinds for name in NAMES[kind]]


# ---------------------------------------------------------------- pages

TITLES = [
    "罗湖区新增三所公办学校 秋季学期可提供学位两千个",
    "城东街道开展老旧小区加装电梯入户宣讲",
    "市民中心广场周末举办非遗文化展演",
    "高新区发布新一批人才安居政策 覆盖青年科技人员",
    "地铁十六号线二期工程进入铺轨阶段",
    "区人民医院启用智慧药房 取药时间缩短一半",
]
PROSE = [
    "今年以来，区里把民生项目放在突出位置，各部门按照时间节点推进各项工作。",
    "据介绍，项目总投资约三亿元，预计明年年底前建成投入使用。",
    "不少居民表示，新设施建成后，日常出行和办事都方便了许多。",
    "相关负责人说，下一步将继续完善配套服务，让群众有更多获得感。",
    "活动现场气氛热烈，前来参观的市民络绎不绝，纷纷拍照留念。",
    "为确保工程质量，施工单位实行全过程监管，每道工序都有专人把关。",
    "此外，街道还组织志愿者上门走访，收集意见建议一百余条。",
    "业内人士认为，这一做法为其他城区提供了可复制的经验。",
    "截至目前，已有一千二百多户家庭通过线上平台提交了申请。",
    "每逢周末，社区图书馆里总是坐满了前来看书学习的孩子。",
    "工作人员提醒，办理业务前可先通过热线电话预约，避免排队。",
    "新建的口袋公园占地约三千平方米，设有步道、座椅和儿童游乐区。",
    "下一阶段，有关部门将对已完工项目开展回头看，及时整改发现的问题。",
    "这条道路改造完成后，沿线交通拥堵状况明显缓解。",
    "据统计，上半年全区新增就业岗位八千余个，比去年同期有所增长。",
    "活动期间，主办方还安排了专家讲座和互动体验环节。",
]
EN_TITLES = [
    "City council approves new bike lanes on Harbour Road",
    "Library reopens after two years of renovation work",
    "Local bakery wins regional award for sourdough bread",
]
EN_PROSE = [
    "The council voted seven to two in favour of the plan after a long debate on Tuesday.",
    "Residents had asked for safer routes to the schools on the east side of the town.",
    "Work is expected to start in the spring and to take about eighteen months to complete.",
    "The project will be paid for by a regional transport grant and the city's own budget.",
    "Shop owners along the road said they hoped the change would bring more visitors.",
    "Officials said they would publish the detailed drawings on the city website next week.",
]


#: Page layouts: a div template, a table-layout template (old CMSs, government sites) and an
#: HTML5 template with <article>, <header> and <time>.
LAYOUTS = ("div", "table", "html5")


@dataclass
class Page:
    """The parts of a small news page that a case fills in."""

    title: str
    paragraphs: list[str]
    bar: str = "2024-05-20 10:21"
    bar_extra: str = ""  # raw HTML appended inside the info bar
    above: str = ""  # raw HTML before the article (a government document's index table)
    under: str | None = None  # a line between headline and text
    head_extra: str = ""  # raw HTML inside <head>
    after_body: str = ""  # raw HTML after the article (comments, related lists)
    english: bool = False
    layout: str = "div"
    under_html: str | None = None  # raw HTML for the line under the headline

    def html(self) -> str:
        site = "Riverside Gazette" if self.english else "某某区新闻网"
        lang = "en" if self.english else "zh-CN"
        title = escape(self.title)
        bar = f"{escape(self.bar)}{self.bar_extra}"
        line = self.under_html if self.under_html is not None else escape(self.under or "")
        paras = "".join(f"<p>{escape(p)}</p>" for p in self.paragraphs)
        nav = (
            "<a href='/'>Home</a> <a href='/news/'>News</a> <a href='/sport/'>Sport</a>"
            if self.english
            else "<a href='/'>首页</a> <a href='/xw/'>新闻</a> <a href='/zw/'>政务</a>"
        )
        crumbs = (
            "" if self.english else "<div class='crumbs'>当前位置：首页 &gt; 新闻 &gt; 本地</div>"
        )
        footer = (
            "© 2024 Riverside Gazette. All rights reserved."
            if self.english
            else "版权所有：某某区新闻中心 粤ICP备00000000号"
        )
        if self.layout == "table":
            under = f"<tr><td class='sub'>{line}</td></tr>" if line else ""
            article = (
                f"<table width='960'><tr><td><table><tr><td class='title'>{title}</td></tr>"
                f"<tr><td class='source'>{bar}</td></tr>{under}"
                f"<tr><td class='content'>{paras}</td></tr></table></td></tr></table>"
            )
        elif self.layout == "html5":
            under = f"<p class='byline'>{line}</p>" if line else ""
            article = (
                f"<article><header><h1>{title}</h1><div class='article-meta'>{bar}</div>"
                f"{under}</header><section class='article-body'>{paras}</section></article>"
            )
        else:
            under = f"<div class='sub'>{line}</div>" if line else ""
            article = (
                f"<div class='article'><h1>{title}</h1><div class='info'>{bar}</div>{under}"
                f"<div class='content'>{paras}</div></div>"
            )
        return (
            f"<!DOCTYPE html><html lang='{lang}'><head><meta charset='utf-8'>"
            f"<title>{title}_{site}</title>{self.head_extra}</head><body>"
            f"<div class='nav'>{nav}</div>{crumbs}{self.above}{article}{self.after_body}"
            f"<div class='footer'>{footer}</div></body></html>"
        )


def prose(rng: random.Random, count: int = 4) -> list[str]:
    """Paragraphs of three sentences each, no sentence twice on a page."""
    sentences = rng.sample(PROSE, 3 * count)
    return ["".join(sentences[3 * i : 3 * i + 3]) for i in range(count)]


def en_prose(rng: random.Random, count: int = 3) -> list[str]:
    sentences = rng.sample(EN_PROSE, 2 * count)
    return [" ".join(sentences[2 * i : 2 * i + 2]) for i in range(count)]


def new_page(rng: random.Random, layout: str | None = None) -> Page:
    return Page(
        title=rng.choice(TITLES), paragraphs=prose(rng), layout=layout or rng.choice(LAYOUTS)
    )


# ---------------------------------------------------------------- positions

#: Where a credit text stands on the page (docs/bylines.md, "Positions").
Placer = Callable[[Page, str], None]


def _bar(page: Page, credit: str) -> None:
    page.bar = f"2024-05-20 10:21 {credit}"


def _under(page: Page, credit: str) -> None:
    page.under = credit


def _top(page: Page, credit: str) -> None:
    page.paragraphs.insert(0, credit)


def _lead(page: Page, credit: str) -> None:
    page.paragraphs[0] = f"本报讯（{credit}）{page.paragraphs[0]}"


def _dateline(page: Page, credit: str) -> None:
    page.paragraphs[0] = f"新华社拉萨5月20日电（{credit}）{page.paragraphs[0]}"


def _lead_bare(page: Page, credit: str) -> None:
    page.paragraphs[0] = f"本报讯 {credit}：{page.paragraphs[0]}"


def _lead_news(page: Page, credit: str) -> None:
    page.paragraphs[0] = f"央广网北京5月20日消息（{credit}）{page.paragraphs[0]}"


def _opening(page: Page, credit: str) -> None:
    page.paragraphs[0] = f"{credit}：{page.paragraphs[0]}"


def _close_line(page: Page, credit: str) -> None:
    page.paragraphs.append(credit)


def _close_paren(page: Page, credit: str) -> None:
    page.paragraphs[-1] = f"{page.paragraphs[-1]}（{credit}）"


def _close_line_paren(page: Page, credit: str) -> None:
    page.paragraphs.append(f"（{credit}）")


def _caption(page: Page, credit: str) -> None:
    page.paragraphs.insert(2, f"图为活动现场。{credit}")


def _caption_line(page: Page, credit: str) -> None:
    page.paragraphs.insert(2, credit)


def _index(page: Page, credit: str) -> None:
    """A government document's index table above the article, label and value in two
    cells (``发文机关：`` | ``吉林省人民政府``)."""
    label, _, value = credit.partition("：")
    rows = [
        ("索引号：", "11220000013544357T/2022-00426"),
        ("分类：", "通告"),
        (label + "：", value),
        ("成文日期：", "2024年05月19日"),
    ]
    cells = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in rows)
    page.above = f"<table class='xxgk_index'>{cells}</table>"


POSITIONS: dict[str, Placer] = {
    "bar": _bar,
    "under": _under,
    "top": _top,
    "lead": _lead,
    "dateline": _dateline,
    "lead_bare": _lead_bare,
    "lead_news": _lead_news,
    "opening": _opening,
    "close_line": _close_line,
    "close_paren": _close_paren,
    "close_line_paren": _close_line_paren,
    "caption": _caption,
    "caption_line": _caption_line,
    "index": _index,
}


# ---------------------------------------------------------------- forms


@dataclass(frozen=True)
class Variant:
    """One way of writing a form: a template over ``{a}`` (and ``{b}``), the roles of the
    names in each, and the source the page should then report."""

    template: str
    roles_a: tuple[str, ...]
    roles_b: tuple[str, ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Form:
    """One form of the grammar: how a credit is written, what it yields, where it stands."""

    form_id: str
    example: str
    variants: tuple[Variant, ...]
    positions: tuple[str, ...]
    kinds: tuple[str, ...] = LABELLED_KINDS
    #: The most names one credit holds (a WeChat origin line names one writer).
    most: int = 3

    @property
    def second(self) -> bool:
        return any("{b}" in v.template for v in self.variants)


def _v(template: str, *roles: str, b: tuple[str, ...] = (), source: str | None = None) -> Variant:
    return Variant(template, tuple(roles), b, source)


ALL_TOP = ("bar", "under", "top", "close_line")
FORMS: list[Form] = [
    Form(
        "F01",
        "作者：邓嘉文",
        tuple(
            _v(label + "{a}" + tail, "author")
            for label, tail in (
                ("作者：", ""),
                ("作者:", ""),
                ("作者 ：", ""),
                ("撰文：", ""),
                ("撰稿：", ""),
                ("采写：", ""),
                ("执笔：", ""),
                ("【作者】", ""),
                ("文字：", ""),
                ("撰稿人：", ""),
                ("作者：", "等"),
                ("作者：", " 等"),
            )
        ),
        ALL_TOP,
    ),
    Form(
        "F02",
        "记者 次仁旺堆",
        tuple(
            _v(label + "{a}", "reporter")
            for label in (
                "记者 ",
                "记者：",
                "本报记者 ",
                "首席记者 ",
                "见习记者 ",
                "实习记者 ",
                "融媒体记者 ",
                "特约记者 ",
                "全媒体记者 ",
                "■记者 ",
                "——记者 ",
                "记者｜",
                "记者/",
            )
        ),
        (*ALL_TOP, "lead", "dateline", "lead_news", "close_paren"),
    ),
    Form(
        "F03",
        "记者王海峰",
        (
            _v("记者{a}", "reporter"),
            _v("本报记者{a}", "reporter"),
            _v("通讯员{a}", "correspondent"),
        ),
        ("bar", "under", "lead", "dateline", "close_line"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F04",
        "光明网记者 王建国 张文强",
        tuple(
            _v(outlet + "记者 {a}", "reporter", source=source)
            for outlet, source in (
                ("光明网", "光明网"),
                ("新华社", "新华社"),
                ("南都", "南方都市报"),
                ("潮新闻", "潮新闻"),
                ("中新网", "中国新闻网"),
                ("澎湃新闻", "澎湃新闻"),
                ("新京报", "新京报"),
                ("南都见习", "南方都市报"),
                ("新华社驻京", "新华社"),
            )
        ),
        ("bar", "under", "top", "lead", "close_line"),
    ),
    Form(
        "F05",
        "作者：记者 王海峰",
        (
            _v("作者：记者 {a}", "reporter"),
            _v("作者：本报记者 {a}", "reporter"),
            _v("采写：记者 {a}", "reporter"),
            _v("作者：通讯员 {a}", "correspondent"),
        ),
        ("bar", "under", "top"),
    ),
    Form(
        "F06",
        "记者 张一鸣 通讯员 李晓雯",
        tuple(
            _v("记者 {a} " + label + " {b}", "reporter", b=("correspondent",))
            for label in ("通讯员", "特约通讯员", "职工通讯员")
        ),
        ("bar", "under", "lead", "dateline", "lead_news", "close_line", "close_paren"),
    ),
    Form(
        "F07",
        "文/张三 图/李四",
        (
            _v("文/{a} 图/{b}", "author", b=("photographer",)),
            _v("文｜{a} 图｜{b}", "author", b=("photographer",)),
            _v("文：{a} 图：{b}", "author", b=("photographer",)),
            _v("文 / {a}  图 / {b}", "author", b=("photographer",)),
            _v("撰文/{a} 摄影/{b}", "author", b=("photographer",)),
            _v("文/{a} 编辑/{b}", "author", b=("editor",)),
            _v("撰文丨{a} 编辑丨{b} 排版丨某某", "author", b=("editor",)),
        ),
        ALL_TOP,
    ),
    Form(
        "F08",
        "文/图 张三",
        tuple(
            _v(label + "{a}", "author", "photographer")
            for label in ("文/图 ", "图文：", "文图/", "图/文 ", "文/图：")
        ),
        ("under", "top", "close_line"),
    ),
    Form(
        "F09",
        "翻译：刘洋",
        tuple(
            _v(label + "{a}", "translator")
            for label in ("翻译：", "译者：", "译/", "译：", "翻译/")
        ),
        ALL_TOP,
    ),
    Form(
        "F10",
        "责任编辑：王小明",
        tuple(
            _v(label + "{a}", "editor")
            for label in ("责任编辑：", "编辑：", "责编：", "校对：", "审核：", "值班编辑：")
        ),
        ("bar", "close_line"),
    ),
    Form(
        "F11",
        "新华社记者 李四 摄",
        (
            _v("新华社记者 {a} 摄", "photographer"),
            _v("{a} 摄", "photographer"),
            _v("本报记者 {a} 摄", "photographer"),
            _v("通讯员 {a} 摄影", "photographer"),
            _v("{a} 供图", "photographer"),
        ),
        ("caption", "caption_line", "close_line"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F12",
        "（张三/摄）",
        (
            _v("（{a}/摄）", "photographer"),
            _v("（{a} 摄）", "photographer"),
            _v("({a}/摄)", "photographer"),
        ),
        ("caption", "caption_line"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F13",
        "（姚明辉 上海报道）",
        (
            _v("{a} 上海报道", "reporter"),
            _v("{a} 北京报道", "reporter"),
            _v("记者 {a} 深圳报道", "reporter"),
            _v("记者 {a} 发自拉萨", "reporter"),
            _v("{a} 综合报道", "reporter"),
        ),
        ("close_paren", "close_line_paren"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F14",
        "（袁芳）",
        (_v("（{a}）", "author"), _v("({a})", "author"), _v("【{a}】", "author")),
        ("close_line",),
        kinds=BARE_KINDS,
    ),
    Form(
        "F15",
        "2024-05-20 [ 黄晓宇 ] 来源：新京报",
        (
            _v("[ {a} ] 来源：新京报", "author"),
            _v("【{a}】 来源：新京报", "author"),
            _v("[{a}] 浏览次数：128", "author"),
        ),
        ("bar", "under"),
        kinds=BARE_KINDS,
    ),
    Form(
        "F16",
        "赵延东、陈风笑 (a line of names under the headline)",
        (_v("{a}", "author"),),
        ("under",),
        kinds=BARE_KINDS,
    ),
    Form(
        "F17",
        "本报讯 记者 王五 报道：",
        (
            _v("记者 {a} 报道", "reporter"),
            _v("通讯员 {a} 报道", "correspondent"),
            _v("记者 {a}", "reporter"),
        ),
        ("lead_bare",),
    ),
    Form(
        "F18",
        "路闻卓立编译",
        (_v("{a} 编译", "compiler"), _v("{a} 整理", "author"), _v("{a}/文", "author")),
        ("under", "close_line"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F19",
        "采写：南都记者 余毅菁 向雪妮",
        (
            _v("采写：南都记者 {a}", "reporter", source="南方都市报"),
            _v("图/晶报记者 {a}", "photographer", source="晶报"),
            _v("编译/本报记者 {a}", "compiler"),
            _v("文/新京报记者 {a}", "reporter", source="新京报"),
        ),
        ("bar", "under", "top", "close_line"),
    ),
    Form(
        "F20",
        "本报记者 王五 实习生 赵六",
        (
            _v("本报记者 {a} 实习生 {b}", "reporter", b=("reporter",)),
            _v("记者 {a} 摄影 {b}", "reporter", b=("photographer",)),
            _v("记者 {a} 通讯员 {b} 摄", "photographer", b=("photographer",)),
        ),
        ("bar", "under", "lead", "close_line"),
    ),
    Form(
        "F21",
        "记者 王　军 (a two-character name padded to three)",
        (_v("记者 {a}", "reporter"), _v("作者：{a}", "author")),
        ("bar", "under", "close_line"),
        kinds=PADDED_KINDS,
    ),
    Form(
        "F22",
        "（新华社发 张三摄）",
        (
            _v("（新华社发 {a}摄）", "photographer"),
            _v("（中新社发 {a} 摄）", "photographer"),
            _v("新华社发 {a}摄", "photographer"),
        ),
        ("caption", "caption_line"),
        kinds=GLUED_KINDS,
    ),
    Form(
        "F25",
        "本报记者 王五 通讯员 赵六 报道： (a paragraph opening with its credit)",
        (
            _v("本报记者 {a} 报道", "reporter"),
            _v("记者 {a} 通讯员 {b} 报道", "reporter", b=("correspondent",)),
            _v("通讯员 {a} 报道", "correspondent"),
        ),
        ("opening",),
    ),
    Form(
        "F26",
        "作者：张三，某某大学教授 (a labelled line with an affiliation)",
        (
            _v("作者：{a}，某某大学教授", "author"),
            _v("作者：{a}（某某研究院研究员）", "author"),
            _v("撰文：{a} 某某报社特约撰稿人", "author"),
            _v("文章来源：某某网 作者：{a}", "author"),
            _v("（记者 {a}）（完）", "reporter"),
        ),
        ("top", "close_line"),
    ),
    Form(
        "F27",
        "某某网江苏频道 记者 张三 (an outlet written apart from its role word)",
        (
            _v("某某网江苏频道 记者 {a}", "reporter"),
            _v("某某日报 记者 {a} 通讯员 {b}", "reporter", b=("correspondent",)),
            _v("潮新闻客户端 记者 {a}", "reporter"),
        ),
        ("bar", "under", "top"),
    ),
    Form(
        "F28",
        "作者：滨晚记者 张三 (an outlet's short name that no table lists, glued to its role word)",
        (
            _v("作者：滨晚记者 {a}", "reporter"),
            _v("采写：潇晨记者 {a}", "reporter"),
            _v("甬晚全媒体记者 {a} 通讯员 {b}", "reporter", b=("correspondent",)),
            _v("文/北青记者 {a}", "reporter"),
            _v("川观见习记者 {a}", "reporter"),
        ),
        ALL_TOP,
    ),
    Form(
        "F29",
        "编译：刘洋",
        tuple(_v(label + "{a}", "compiler") for label in ("编译：", "编译/", "编译 ", "编译｜")),
        ALL_TOP,
    ),
    Form(
        "F30",
        "作者： 周思博 (Joel Spolsky)",
        (
            _v("作者：{a}", "author"),
            _v("作者： {a}", "author"),
            _v("撰文：{a}", "author"),
            _v("文/{a}", "author"),
        ),
        ALL_TOP,
        kinds=ORIGINAL_KINDS,
    ),
    Form(
        "F31",
        "原创： 路闻卓立编译 人民币交易与研究",
        (
            _v("原创： {a} 人民币交易与研究", "author", source="人民币交易与研究"),
            _v("原创 {a}编译 某某观察", "compiler", source="某某观察"),
            _v("原创：{a} 某某财经评论", "author", source="某某财经评论"),
            _v("原创 {a}整理 城事Daily", "author", source="城事Daily"),
        ),
        ("under", "top"),
        kinds=GLUED_KINDS,
        most=1,
    ),
    Form(
        "F32",
        "发文机关：吉林省人民政府",
        (
            _v("发文机关：{a} 成文日期：2024年05月19日", "issuer"),
            _v("发布机构：{a} 发文字号：某政发〔2024〕3号", "issuer"),
            _v("发文单位：{a} 成文日期：2024年05月19日", "issuer"),
        ),
        ("bar", "index", "top"),
        kinds=OFFICE_KINDS,
    ),
]

#: The structured author fields and English ``By`` lines, generated apart from ``FORMS``.
STRUCTURED_FORM = "F23"
#: An author field is evidence of an author, not of a person (channels fill it): it reads
#: what a glued role word reads.
STRUCTURED_KINDS = GLUED_KINDS
ENGLISH_FORM = "F24"
ENGLISH_POSITIONS = ("under", "bar", "top")

#: Structured author fields (docs/bylines.md, "Structured metadata"): each puts the names
#: in one place of the page's markup, with no credit printed in the text.
STRUCTURED: dict[str, Callable[[Page, list[str], str], None]] = {}


def _structured(
    name: str,
) -> Callable[[Callable[[Page, list[str], str], None]], Callable[[Page, list[str], str], None]]:
    def register(
        func: Callable[[Page, list[str], str], None],
    ) -> Callable[[Page, list[str], str], None]:
        STRUCTURED[name] = func
        return func

    return register


@_structured("meta_author")
def _meta_author(page: Page, names: list[str], sep: str) -> None:
    page.head_extra += f"<meta name='author' content='{escape(sep.join(names))}'>"


@_structured("article_author")
def _article_author(page: Page, names: list[str], sep: str) -> None:
    page.head_extra += "".join(
        f"<meta property='article:author' content='{escape(n)}'>" for n in names
    )


@_structured("jsonld")
def _jsonld(page: Page, names: list[str], sep: str) -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": page.title,
        "author": [{"@type": "Person", "name": n} for n in names],
    }
    page.head_extra += (
        f"<script type='application/ld+json'>{json.dumps(data, ensure_ascii=False)}</script>"
    )


@_structured("itemprop")
def _itemprop(page: Page, names: list[str], sep: str) -> None:
    page.bar_extra += "".join(
        f" <span itemprop='author' itemscope><span itemprop='name'>{escape(n)}</span></span>"
        for n in names
    )


@_structured("rel_author")
def _rel_author(page: Page, names: list[str], sep: str) -> None:
    page.bar_extra += "".join(
        f" <a rel='author' href='/u/{i}'>{escape(n)}</a>" for i, n in enumerate(names)
    )


@_structured("author_class")
def _author_class(page: Page, names: list[str], sep: str) -> None:
    page.bar_extra += (
        f" <span class='author'>{escape(sep.join(names))}<a class='btn'>关注</a></span>"
    )


# ---------------------------------------------------------------- negatives


#: Values that fill the negatives: people, placeholders, UI labels, sites and outlets.
PEOPLE = ["王海峰", "次仁旺堆", "李明远", "欧阳娜娜", "买买提·艾力", "邓嘉文", "周启航", "何婧"]
PLACEHOLDER_VALUES = ["佚名", "本站", "网友投稿", "admin", "匿名", "未知", "小编", "本报评论员"]
UI_VALUES = ["关注", "订阅", "分享", "name", "author", "+关注", "收藏", "点赞"]
SITE_VALUES = [
    "新华网",
    "某某区新闻网",
    "南方都市报",
    "https://news.example.cn/u/12",
    "www.example.cn",
    "{{author}}",
    "澎湃新闻",
    "某某区融媒体中心",
]
PLACES = ["南美站", "上海站", "第二季", "王府井", "黄金周", "杭州湾", "罗湖口岸", "续"]
#: Words that start with a surname character and stand alone under a headline on some sites
#: (districts, sections, tags).
SURNAME_WORDS = ["罗湖", "龙岗", "南山", "黄埔", "金湾", "高新区", "时政", "要闻", "民生", "文化"]


@dataclass(frozen=True)
class Negative:
    """A page that credits no writer: any author found on it is a false positive."""

    form_id: str
    example: str
    build: Callable[[random.Random, str], Page]
    values: list[str]


def _with_paragraph(text: str, where: str) -> Callable[[random.Random, str], Page]:
    def build(rng: random.Random, name: str) -> Page:
        page = new_page(rng)
        line = text.format(name=name)
        if where == "first":
            page.paragraphs.insert(0, line)
        elif where == "last":
            page.paragraphs.append(line)
        else:
            page.paragraphs.insert(2, line)
        return page

    return build


def _with(part: str, template: str, *, markup: bool = True) -> Callable[[random.Random, str], Page]:
    """A page whose ``part`` (``under``, ``under_html``, ``head_extra``, ``bar_extra``,
    ``after_body``) gets the template filled with the value (escaped for markup)."""

    def build(rng: random.Random, name: str) -> Page:
        page = new_page(rng)
        value = template.format(name=escape(name) if markup else name)
        setattr(page, part, (getattr(page, part) or "") + value)
        return page

    return build


def _en_popular(rng: random.Random, name: str) -> Page:
    page = Page(title=rng.choice(EN_TITLES), paragraphs=en_prose(rng), english=True)
    page.after_body = (
        "<div class='post-list post-list--most-popular'><h3>Most Popular</h3>"
        f"<article><a href='/a/1'>Council budget vote delayed</a><span class='byline'>By "
        f"<a rel='author' class='author'>{escape(name)}</a></span></article>"
        f"<article><a href='/a/2'>Storm closes coastal road</a><span itemprop='author'>"
        f"{escape(name)}</span></article></div>"
    )
    return page


def _en_sentence(rng: random.Random, name: str) -> Page:
    page = Page(title=rng.choice(EN_TITLES), paragraphs=en_prose(rng), english=True)
    page.paragraphs.insert(0, f"By the time {name} arrived, the meeting had already started.")
    return page


#: N32: organisations that supply pictures, none starting with a surname character (one that
#: does passes as a glued name: docs/bylines.md, "Known limits").
SUPPLIERS: list[str] = ["滨海地铁", "长隆集团", "市公安局", "主办方", "景区管理处", "区文旅局"]
#: N32: how a page credits a supplied picture.
SUPPLIED: list[str] = ["（图/{name}供图）", "图/{name}供图", "（图片/{name}供图）", "{name}供图"]


#: N33: kinds of report printed before 报道 (names.REPORT_KINDS is the extractor's list; these
#: are written out here so that the test does not read its expectations from the code).
REPORT_KIND_WORDS: list[str] = ["特别", "专题", "连续", "系列", "相关", "跟踪", "现场", "深度"]


NEGATIVES: list[Negative] = [
    Negative(
        "N01",
        "记者了解到，{name}等人已提交… (first paragraph)",
        _with_paragraph("记者了解到，{name}等人已提交申请材料，相关工作正在推进。", "first"),
        PEOPLE,
    ),
    Negative(
        "N02",
        "记者从区教育局获悉，… (middle)",
        _with_paragraph("记者从区教育局获悉，今年秋季将新增学位两千个。", "middle"),
        PEOPLE,
    ),
    Negative(
        "N03",
        "通讯员{name}介绍，… (prose, last paragraph)",
        _with_paragraph("通讯员{name}介绍，活动共吸引三百余名居民参加，现场气氛热烈。", "last"),
        PEOPLE,
    ),
    Negative(
        "N04",
        "出席会议的有{name}、… (people in prose)",
        _with_paragraph("出席会议的有{name}、王副区长等，会议由区政府办公室主持。", "middle"),
        PEOPLE,
    ),
    Negative(
        "N05",
        "本文由编辑部整理 (编辑部, 文章)",
        _with_paragraph("本文由编辑部整理，文章仅供参考，转载请注明出处。", "last"),
        PEOPLE,
    ),
    Negative(
        "N06",
        "图为记者在现场采访… (a caption with no credit)",
        _with_paragraph("图为记者在现场采访参加活动的居民。", "middle"),
        PEOPLE,
    ),
    Negative(
        "N07",
        "新华社北京5月20日电 … (a dateline with no credit)",
        _with_paragraph(
            "新华社北京5月20日电 今年以来，各地加快推进重大项目建设，投资稳步扩大。", "first"
        ),
        PEOPLE,
    ),
    Negative(
        "N08",
        "作者：佚名 (placeholders and UI labels after a label)",
        _with("under", markup=False, template="作者：{name}"),
        [*PLACEHOLDER_VALUES, *UI_VALUES],
    ),
    Negative(
        "N09",
        "<meta name=author content=关注|name|site|outlet|URL>",
        _with("head_extra", "<meta name='author' content='{name}'>"),
        [*UI_VALUES, *SITE_VALUES, *PLACEHOLDER_VALUES],
    ),
    Negative(
        "N10",
        "<span class=author>关注</span> (a UI label in an author element)",
        _with("bar_extra", " <span class='author'>{name}</span>"),
        [*UI_VALUES, *SITE_VALUES],
    ),
    Negative(
        "N11",
        "comment users (评论区的用户名和作者：)",
        _with(
            "after_body",
            "<div class='comment-list'><div class='item'><span class='user'>{name}</span>："
            "写得很好，支持！</div><div class='item'>作者：{name}</div></div>",
        ),
        PEOPLE,
    ),
    Negative(
        "N12",
        "a related list with authors (相关新闻)",
        _with(
            "after_body",
            "<div class='related'><h3>相关新闻</h3><ul><li><a href='/a/1.html'>区里召开专题"
            "会议部署防汛工作</a> <span class='author'>{name}</span></li><li><a href="
            "'/a/2.html'>街道开展夏季消防安全检查</a> <span class='author'>记者 {name}</span>"
            "</li></ul></div>",
        ),
        PEOPLE,
    ),
    Negative(
        "N13",
        "…举行。（张巨峰） (one bare name closing a paragraph)",
        _with_paragraph("活动将于下周在区文化中心举行，届时欢迎市民参加。（{name}）", "last"),
        PEOPLE,
    ),
    Negative(
        "N14",
        "山西品牌丝路行（南美站）正式启动 (a bracket in a line under the headline)",
        _with("under", markup=False, template="山西品牌丝路行（{name}）正式启动"),
        PLACES,
    ),
    Negative(
        "N15", "By the time {name} arrived, … (an English sentence)", _en_sentence, NAMES["english"]
    ),
    Negative(
        "N16",
        "责任编辑：{name} (editors only)",
        _with_paragraph("责任编辑：{name}", "last"),
        PEOPLE,
    ),
    Negative(
        "N17",
        "图片来源：网络 来源：{name}",
        _with("under", markup=False, template="图片来源：网络 来源：{name}"),
        SITE_VALUES,
    ),
    Negative(
        "N34",
        "来源：吉林省人民政府 in the info bar (an office as the source: no author)",
        _with("bar_extra", " 来源：{name}"),
        NAMES["office"][:8],
    ),
    Negative(
        "N34",
        "稿源：… 来源：… under the headline",
        _with("under", markup=False, template="稿源：{name}"),
        NAMES["office"][8:],
    ),
    Negative(
        "N35",
        "a news release's index table: 发布机构 with no document number or signing date",
        _with(
            "above",
            "<table class='xxgk'><tr><td>索引号：</td><td>0001/2024-00426</td></tr>"
            "<tr><td>发布机构：</td><td>{name}</td></tr><tr><td>生成日期：</td>"
            "<td>2024-05-20</td></tr></table>",
        ),
        NAMES["office"][:8],
    ),
    Negative(
        "N18",
        "——访区教育局局长{name} (a subtitle under the headline)",
        _with("under", markup=False, template="——访区教育局局长{name}"),
        PEOPLE,
    ),
    Negative(
        "N19",
        "{name}：我们会继续努力。 (an interview answer)",
        _with_paragraph("{name}：我们会继续努力，把好事办好。", "middle"),
        PEOPLE,
    ),
    Negative(
        "N20",
        "记者手记 / （记者手记） (a heading)",
        _with_paragraph("（记者手记）", "middle"),
        PEOPLE,
    ),
    Negative(
        "N21",
        "图为{name}在现场指导工作。 (a caption naming its subject)",
        _with_paragraph("图为{name}在现场指导工作。", "middle"),
        PEOPLE,
    ),
    Negative(
        "N22",
        "受访者供图 / 资料图 (a photo credit naming nobody)",
        _with_paragraph("活动现场。受访者供图", "middle"),
        PEOPLE,
    ),
    Negative(
        "N23",
        "分享到：微信 微博 / 打印 关闭 (a UI row under the headline)",
        _with("under", markup=False, template="分享到：微信 微博 QQ空间 打印 关闭"),
        PEOPLE,
    ),
    Negative(
        "N24",
        "据新华社报道 / 据{name}介绍 (attributions in prose)",
        _with_paragraph("据新华社报道，据{name}介绍，该项目已进入收尾阶段。", "last"),
        PEOPLE,
    ),
    Negative(
        "N25",
        "a district, section or tag alone under the headline, as a link (罗湖)",
        _with("under_html", "<a href='/tag/1.html'>{name}</a>"),
        SURNAME_WORDS,
    ),
    Negative(
        "N27",
        "a district, section or tag alone under the headline, plain text (罗湖)",
        _with("under", markup=False, template="{name}"),
        SURNAME_WORDS,
    ),
    Negative(
        "N26",
        "（本报深圳5月20日电） (a dateline closing a paragraph)",
        _with_paragraph("活动将持续到月底。（本报深圳5月20日电）", "last"),
        PEOPLE,
    ),
    Negative(
        "N28",
        "记者：您怎么看这个问题？ (an interview's questions)",
        _with_paragraph("记者：{name}，您怎么看这个问题？", "first"),
        PEOPLE,
    ),
    Negative(
        "N29",
        "记者{name}表示，… (a reporter quoted, last paragraph)",
        _with_paragraph("记者{name}表示，项目进展顺利", "last"),
        PEOPLE,
    ),
    Negative(
        "N30",
        "2024-05-20 [国内] 来源：… (a section in brackets in the info bar)",
        _with("bar_extra", " [{name}] 来源：新华社"),
        ["国内", "国际", "时政", "高清", "财经", "文化", "金融", "安全", "教育", "独家"],
    ),
    Negative(
        "N31",
        "an English 'Most Popular' list with bylines and rel=author links",
        _en_popular,
        NAMES["english"],
    ),
    Negative(
        "N33",
        "特别报道 alone under the headline (a kind of report, not a name and 报道)",
        _with("under", markup=False, template="{name}报道"),
        REPORT_KIND_WORDS,
    ),
    Negative(
        "N33",
        "<span>专题报道</span> in the info bar",
        _with("bar_extra", " <span>{name}报道</span>"),
        REPORT_KIND_WORDS,
    ),
    Negative(
        "N33",
        "（特别报道） closing the text",
        _with_paragraph("活动将持续到月底。（{name}报道）", "last"),
        REPORT_KIND_WORDS,
    ),
    Negative(
        "N32",
        "（图/滨海地铁供图） (a picture supplied by an organisation)",
        _with_paragraph("活动现场。（图/{name}供图）", "middle"),
        SUPPLIERS,
    ),
]


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    form_id: str
    position: str
    html: str
    expected: set[tuple[str, str]] = field(default_factory=set)
    outlet: str | None = None
    negative: bool = False
    note: str = ""


def _plain(name: str) -> str:
    """A padded name (王　军) as the extractor returns it, and a name's original-script
    form in half-width brackets after a space (``周思博 (Joel Spolsky)``)."""
    return name.replace("\u3000", "").replace("（", " (").replace("）", ")")


def _draw(rng: random.Random, first: str, names: list[str], count: int) -> list[str]:
    others = [n for n in names if n != first]
    return [first, *rng.sample(others, count - 1)]


def generate() -> Iterator[Case]:
    """Every form × every position it allows × every name of the kinds it reads (1-3 names,
    separators and label variants in turn), every structured field, every negative; seeded."""
    rng = random.Random(SEED)
    for form in FORMS:
        names = pool(form.kinds)
        for position in form.positions:
            for index, first in enumerate(names):
                count = 1 + index % form.most
                sep = SEPARATORS[(index // 3) % len(SEPARATORS)]
                variant = form.variants[index % len(form.variants)]
                first_names = _draw(rng, first, names, count)
                second: list[str] = []
                if "{b}" in variant.template:
                    rest = [n for n in names if n not in first_names]
                    second = rng.sample(rest, 1 + (index + 1) % 2)
                credit = variant.template.format(a=sep.join(first_names), b=sep.join(second))
                page = new_page(rng)
                POSITIONS[position](page, credit)
                expected = {(_plain(n), r) for n in first_names for r in variant.roles_a}
                expected |= {(_plain(n), r) for n in second for r in variant.roles_b}
                yield Case(
                    form.form_id,
                    position,
                    page.html(),
                    expected,
                    variant.source,
                    note=f"{page.layout}: {credit}",
                )
    structured_names = pool(STRUCTURED_KINDS)
    for variant, put in STRUCTURED.items():
        for index, first in enumerate(structured_names):
            count = 1 + index % 3
            sep = ("，", "、", " ", "/")[(index // 3) % 4]
            names = _draw(rng, first, structured_names, count)
            page = new_page(rng)
            put(page, names, sep)
            expected = {(n, "author") for n in names}
            yield Case(STRUCTURED_FORM, variant, page.html(), expected, note=sep.join(names))
    english = pool(ENGLISH_KINDS)
    for position in ENGLISH_POSITIONS:
        for index in range(40):
            count = 1 + index % 3
            names = _draw(rng, english[index % len(english)], english, count)
            if count == 1:
                credit = f"By {names[0]}"
            else:
                sep = EN_SEPARATORS[(index // 3) % 2]
                credit = "By " + sep.join(names[:-1]) + " and " + names[-1]
            credit += EN_TAILS[(index // 6) % len(EN_TAILS)]
            page = Page(title=rng.choice(EN_TITLES), paragraphs=en_prose(rng), english=True)
            POSITIONS[position](page, credit)
            yield Case(
                ENGLISH_FORM, position, page.html(), {(n, "author") for n in names}, note=credit
            )
    for negative in NEGATIVES:
        for value in negative.values:
            page = negative.build(rng, value)
            yield Case(negative.form_id, "page", page.html(), negative=True, note=value)


def supplied_picture_pages() -> Iterator[tuple[str, str]]:
    """(credit, page) for every supplier × way of writing it × caption position (N32)."""
    rng = random.Random(SEED)
    for name in SUPPLIERS:
        for template in SUPPLIED:
            for position in ("caption", "caption_line"):
                credit = template.format(name=name)
                page = new_page(rng)
                POSITIONS[position](page, credit)
                yield credit, page.html()


# ---------------------------------------------------------------- running and the report


@dataclass
class Report:
    cases: int = 0
    exact: int = 0
    by_form: Counter[str] = field(default_factory=Counter)
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    negatives: Counter[str] = field(default_factory=Counter)
    false_positives: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def exact_share(self) -> float:
        return self.exact / self.cases if self.cases else 0.0

    @property
    def false_positive_share(self) -> float:
        total = sum(self.negatives.values())
        return sum(len(v) for v in self.false_positives.values()) / total if total else 0.0

    def format(self, limit: int = 3) -> str:
        lines = [
            f"generated positive cases: {self.cases}, parsed exactly: {self.exact} "
            f"({100 * self.exact_share:.2f}%)",
            "form  cases  misses",
        ]
        for form_id in sorted(self.by_form):
            misses = self.misses.get(form_id, [])
            lines.append(f"{form_id}  {self.by_form[form_id]:5d}  {len(misses):6d}")
            lines.extend(f"      {m}" for m in misses[:limit])
        negatives = sum(self.negatives.values())
        fps = sum(len(v) for v in self.false_positives.values())
        lines.append(
            f"negative cases: {negatives}, false positives: {fps} "
            f"({100 * self.false_positive_share:.2f}%)"
        )
        lines.append("form  cases  false positives")
        for form_id in sorted(self.negatives):
            found = self.false_positives.get(form_id, [])
            lines.append(f"{form_id}  {self.negatives[form_id]:5d}  {len(found):6d}")
            lines.extend(f"      {m}" for m in found[:limit])
        return "\n".join(lines)


def run(cases: Iterator[Case] | None = None) -> Report:
    report = Report()
    for case in cases if cases is not None else generate():
        result = extract_page(
            case.html, "https://news.example.cn/2024/05/20/1.html", fetched_at=FETCHED_AT
        )
        record = result.article
        if case.negative:
            report.negatives[case.form_id] += 1
            if record is None or record.authors:
                got = list(record.authors) if record else ["<no article>"]
                report.false_positives[case.form_id].append(f"{case.note!r} -> {got}")
            continue
        report.cases += 1
        report.by_form[case.form_id] += 1
        got = {(b.name, b.role) for b in record.bylines} if record else set()
        ok = record is not None and got == case.expected
        if ok and case.outlet is not None:
            ok = record is not None and record.source == case.outlet
        if ok:
            report.exact += 1
        else:
            source = record.source if record else None
            report.misses[case.form_id].append(
                f"{case.position}: {case.note!r} -> {sorted(got)} (source {source})"
            )
    return report


if __name__ == "__main__":
    print(run().format(limit=int(sys.argv[1]) if len(sys.argv) > 1 else 5))
