"""Three Chinese news portals of templates the extractor was not written for, on 127.0.0.1.

Issue 9 measured the crawler on portals nobody here had seen. These three sites are written the
way such portals are built, not the way the extractor reads them, each a template family of its
own and unlike the demo sites (``newsarchive/demo/site``) and ``tests/fixtures``:

- ``gov``: a district government's news centre (TRS-style CMS): GBK bytes under a ``gb2312``
  declaration and a Content-Type without a charset, ``来源：… 发布时间：… 字号：大 中 小
  【打印】【关闭】``, a 信息索引号 table, ``责任编辑`` under the text, ``下一页`` / ``尾页``
  pagination, a soft 404 (status 200), a footer of 地址 / 邮编 / ICP / 分辨率.
- ``paper``: a city newspaper's site: ``滨海晚报 2026-11-05 A07版``, the byline on a line of its
  own (``滨晚记者 … 通讯员 …``), ``[ 作者：… ]`` in a meta bar, photo captions ``（图/…）``,
  JSON-LD and ``<meta name="author">`` naming the outlet rather than a person.
- ``portal``: a commercial portal (门户): widgets (相关推荐, 猜你喜欢, 特别关注, 热门排行), share
  bars, comments, ``来源：`` outlet + ``作者：`` + ``编辑：``, one-paragraph 快讯, closing
  ``（记者 … 报道）``, RSS and a sitemap, an article split over two pages.

Each article carries its true labels (title, bylines with roles, source, published_at with the
+08:00 offset, body snippets). A credit on a line of its own is no part of the text; a credit
inside a paragraph (a lead ``…讯（记者 …）``, a closing ``（记者 … 报道）``) stays in it, as
everywhere in the archive (a paragraph is kept whole: tests/fixtures/extraction/gbk_lead.json).
Names are invented: compound surnames, names ending in 文 or 图,
Tibetan and Uyghur names, two to five characters, several per credit.
"""

from __future__ import annotations

import http.server
import json
import threading
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from archive.record import WRITING_ROLES

Byline = tuple[str, str]  # (name, role) as in archive.record.ROLES


@dataclass
class PortalArticle:
    """One article page and its true labels."""

    path: str
    title: str
    published_at: str
    source: str | None
    bylines: list[Byline]
    paragraphs: list[str]
    must_contain: list[str]
    must_not_contain: list[str] = field(default_factory=list)
    #: Template details of the site that serves it (meta bar fields, closing lines ...).
    extra: dict[str, Any] = field(default_factory=dict)
    #: Fields the extractor is known to get wrong here, and why (the test holds them to that).
    known_gaps: dict[str, str] = field(default_factory=dict)

    @property
    def authors(self) -> list[str]:
        writing = WRITING_ROLES
        names: list[str] = []
        for name, role in self.bylines:
            if role in writing and name not in names:
                names.append(name)
        return names

    @property
    def day(self) -> str:
        return self.published_at[:10]

    @property
    def clock(self) -> str:
        return self.published_at[11:16]


@dataclass
class PortalSite:
    """The pages of one site: path -> (status, content type, body bytes)."""

    name: str
    start_path: str
    articles: list[PortalArticle]
    #: What no article body of this site may contain (its boilerplate).
    boilerplate: list[str]
    robots_disallow: list[str]
    pages: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)


def _p(texts: list[str]) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


# =========================================================================== gov: 云港区政府网

_GOV_HEAD = (
    '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
    '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
    '<html xmlns="http://www.w3.org/1999/xhtml"><head>\n'
    '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />\n'
)
_GOV_TOP = (
    '<div class="top"><div class="w1200"><span>欢迎访问云港区人民政府门户网站</span>'
    '<a href="javascript:;">无障碍</a> | <a href="javascript:;">长者模式</a> | '
    '<a href="/irs/front/search.html">站内搜索</a></div></div>'
    '<div class="header"><img src="/images/logo.png" alt="云港区人民政府门户网站" /></div>'
    '<div class="nav"><ul><li><a href="/">首页</a></li>'
    '<li><a href="/xwzx/qxdt/index.htm">新闻中心</a></li>'
    '<li><a href="/zwgk/index.htm">政务公开</a></li><li><a href="/zwfw/index.htm">政务服务</a></li>'
    '<li><a href="/hdjl/index.htm">互动交流</a></li></ul></div>'
)
_GOV_FOOTER = (
    '<div class="footer"><div class="w1200">'
    '<p><a href="/wzdt/index.htm">网站地图</a> | <a href="/lxwm/index.htm">联系我们</a></p>'
    "<p>主办：云港区人民政府办公室　承办：云港区政务服务数据管理局</p>"
    "<p>地址：云港区海滨大道1001号　邮编：518001　联系电话：0755-82123456</p>"
    "<p>粤ICP备05012345号-1　粤公网安备 44030302000158号　网站标识码：4403030001</p>"
    "<p>版权所有 &copy; 2003-2026 云港区人民政府　建议使用1366×768以上分辨率浏览本网站</p>"
    "</div></div>"
)
GOV_BOILERPLATE = [
    "字号",
    "打印",
    "关闭",
    "邮编",
    "ICP",
    "分辨率",
    "网站标识码",
    "信息索引号",
    "索引号",
    "上一篇",
    "下一篇",
    "您当前所在位置",
    "责任编辑",
    "无障碍",
]


def _gov_article(a: PortalArticle, section: str, prev_next: tuple[str, str]) -> str:
    x = a.extra
    info = [f"<span>来源：{x.get('shown_source', a.source)}</span>"]
    if "info_author" in x:
        info.append(f"<span>作者：{x['info_author']}</span>")
    info.append(f"<span>发布时间：{x.get('shown_date', a.day + ' ' + a.clock)}</span>")
    info.append(
        '<span class="zh">字号：<a href="javascript:doZoom(16)">大</a> '
        '<a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a></span>'
        '<span class="dy">【<a href="javascript:window.print()">打印</a>】'
        '【<a href="javascript:window.close()">关闭</a>】</span>'
    )
    index_table = ""
    if "index_no" in x:
        index_table = (
            '<table class="xxgk-syh" width="100%"><tr><td class="t">信息索引号：</td>'
            f'<td>{x["index_no"]}</td><td class="t">分类：</td><td>综合政务\\其他</td></tr>'
            f'<tr><td class="t">发布机构：</td><td>{a.source}</td><td class="t">生成日期：</td>'
            f"<td>{a.day}</td></tr>"
            f'<tr><td class="t">名称：</td><td colspan="3">{a.title}</td></tr></table>'
        )
    closing = "".join(f"<p>{line}</p>" for line in x.get("closing", []))
    editor = f'<div class="bjxx">责任编辑：{x["editor"]}</div>' if "editor" in x else ""
    prev, nxt = prev_next
    return (
        _GOV_HEAD + f"<title>{a.title}-{section}-云港区人民政府门户网站</title>\n"
        '<meta name="SiteName" content="云港区人民政府门户网站" />\n'
        f'<meta name="ColumnName" content="{section}" />\n'
        f'<meta name="ArticleTitle" content="{a.title}" />\n'
        f'<meta name="PubDate" content="{a.day} {a.clock}" />\n'
        f'<meta name="ContentSource" content="{a.source}" />\n'
        '<link rel="stylesheet" href="/css/common.css" /></head><body>'
        + _GOV_TOP
        + '<div class="position">您当前所在位置：<a href="/">首页</a> &gt; '
        f'<a href="/xwzx/qxdt/index.htm">新闻中心</a> &gt; <a href="index.htm">{section}</a></div>'
        + index_table
        + f'<div class="detail"><h1 class="detail-tit">{a.title}</h1>'
        f'<div class="detail-info">{"　".join(info)}</div>'
        f'<div class="detail-con TRS_Editor">{_p(a.paragraphs)}{closing}</div>'
        + editor
        + f'<div class="detail-page"><p>上一篇：<a href="{prev}">上一篇文章</a></p>'
        f'<p>下一篇：<a href="{nxt}">下一篇文章</a></p></div></div>'
        + _GOV_FOOTER
        + "</body></html>"
    )


def _gov_listing(section: str, rows: list[tuple[str, str, str]], number: int, pages: int) -> str:
    items = "".join(
        f'<li><a href="{h}" title="{t}">{t}</a><span>{d}</span></li>' for h, t, d in rows
    )
    pager = [f"<span>共{pages}页</span>"]

    def page_href(n: int) -> str:
        return "index.htm" if n == 0 else f"index_{n}.htm"

    pager.append(f'<a href="{page_href(0)}">首页</a>')
    if number > 0:
        pager.append(f'<a href="{page_href(number - 1)}">上一页</a>')
    if number < pages - 1:
        pager.append(f'<a href="{page_href(number + 1)}">下一页</a>')
    pager.append(f'<a href="{page_href(pages - 1)}">尾页</a>')
    return (
        _GOV_HEAD
        + f"<title>{section}-云港区人民政府门户网站</title></head><body>"
        + _GOV_TOP
        + f'<div class="position">您当前所在位置：<a href="/">首页</a> &gt; {section}</div>'
        f'<div class="list"><h2>{section}</h2><ul class="news-list">{items}</ul>'
        f'<div class="page">{" ".join(pager)}</div></div>' + _GOV_FOOTER + "</body></html>"
    )


def _gov_articles() -> list[PortalArticle]:
    base = "/xwzx/qxdt/202611/"
    return [
        PortalArticle(
            path=base + "t20261105_11834521.htm",
            title="云港区召开第四季度安全生产工作部署会",
            published_at="2026-11-05T09:30:00+08:00",
            source="云港区融媒体中心",
            bylines=[("司马相宜", "reporter"), ("刘宏图", "correspondent"), ("欧阳明月", "editor")],
            paragraphs=[
                "云港融媒讯（记者 司马相宜 通讯员 刘宏图）11月4日下午，云港区召开第四季度安全生产"
                "工作部署会，总结前三季度全区安全生产形势，部署下一阶段重点任务。",
                "会议指出，今年以来全区安全生产形势总体平稳，但岁末年初各类风险叠加，"
                "燃气、消防、建筑施工等领域隐患不容忽视，各街道各部门要压实属地责任。",
                "会议要求，要聚焦城中村、老旧小区和“三小场所”开展拉网式排查，"
                "对排查出的隐患建立台账、限期整改，做到闭环管理。",
                "会上，区应急管理局通报了近期典型事故案例，各街道主要负责同志作了表态发言。",
            ],
            must_contain=["拉网式排查", "典型事故案例", "11月4日下午"],
            extra={"editor": "欧阳明月"},
        ),
        PortalArticle(
            path=base + "t20261103_11832277.htm",
            title="云港区第三实验学校获评省级智慧校园示范校",
            published_at="2026-11-03T16:05:00+08:00",
            source="云港区教育局",
            bylines=[("邓嘉文", "author"), ("诸葛晴", "editor")],
            paragraphs=[
                "近日，省教育厅公布2026年度智慧校园示范校名单，云港区第三实验学校榜上有名，"
                "成为本区第二所获此称号的公办学校。",
                "近年来，该校以课堂教学数字化为突破口，建设了覆盖全部年级的互动课堂系统，"
                "并依托学习平台为每名学生建立成长档案，实现作业、测评和综合素质评价的全过程记录。",
                "学校负责人介绍，下一步将继续深化信息技术与学科教学融合，"
                "把示范校建设成果向区内薄弱学校辐射，带动全区教育信息化水平整体提升。",
            ],
            must_contain=["智慧校园示范校名单", "成长档案", "薄弱学校辐射"],
            extra={"info_author": "邓嘉文", "editor": "诸葛晴"},
        ),
        PortalArticle(
            path=base + "t20261102_11830054.htm",
            title="海滨街道举办“邻里节”文艺汇演",
            published_at="2026-11-02T10:48:00+08:00",
            source="海滨街道办事处",
            bylines=[
                ("钟离雪", "author"),
                ("买买提江·吐尔逊", "photographer"),
                ("上官婉清", "editor"),
            ],
            paragraphs=[
                "11月1日晚，海滨街道第六届“邻里节”文艺汇演在滨海文化广场举行，"
                "来自辖区12个社区的300余名居民登台献艺，吸引了2000多名群众现场观看。",
                "汇演节目由居民自编自导，既有广场舞、合唱、快板等传统节目，"
                "也有反映社区治理和垃圾分类的情景剧，赢得现场观众阵阵掌声。",
                "据了解，“邻里节”自2021年创办以来，已成为海滨街道凝聚居民、"
                "促进邻里和谐的品牌活动，今年还首次设置了“最美楼栋”评选环节。",
            ],
            must_contain=["滨海文化广场", "情景剧", "最美楼栋"],
            extra={"closing": ["（文/钟离雪 图/买买提江·吐尔逊）"], "editor": "上官婉清"},
        ),
        PortalArticle(
            path=base + "t20261101_11829310.htm",
            title="云港区应急管理局发布寒潮天气防御提示",
            published_at="2026-11-01T18:20:00+08:00",
            source="云港区应急管理局",
            bylines=[("欧阳明月", "editor")],
            paragraphs=[
                "据市气象台预报，受强冷空气影响，11月3日至5日我区将出现明显降温，"
                "最低气温可降至6摄氏度左右，并伴有6至7级阵风。",
                "区应急管理局提醒广大市民，及时添衣保暖，老人、儿童及慢性病患者尽量减少外出；"
                "使用燃气热水器和取暖设备时注意通风，严防一氧化碳中毒。",
                "各建筑工地要加固脚手架、塔吊等高空设施，暂停高空作业；"
                "海上作业船只要及时回港避风，确保人员安全。",
            ],
            must_contain=["强冷空气", "一氧化碳中毒", "回港避风"],
            extra={
                "shown_date": "2026年11月01日 18:20",
                "index_no": "11440303MB2C12345X/2026-01234",
                "editor": "欧阳明月",
            },
        ),
        PortalArticle(
            path=base + "t20261030_11825546.htm",
            title="云港区举办2026年秋季人才招聘会 提供岗位逾四千个",
            published_at="2026-10-30T11:15:00+08:00",
            source="云港区人力资源局",
            bylines=[("扎西顿珠", "author"), ("诸葛晴", "editor")],
            paragraphs=[
                "10月29日，云港区2026年秋季人才招聘会在区人才服务中心举行，"
                "共吸引186家用人单位进场招聘，提供就业岗位4200余个。",
                "本次招聘会岗位涵盖智能制造、现代物流、跨境电商、医疗健康等领域，"
                "其中硕士以上学历岗位占比超过两成，平均月薪较去年同期有所上升。",
                "现场还设置了政策咨询、简历诊断和职业指导服务台，"
                "为求职者提供一站式服务，当天初步达成就业意向1300余人次。",
            ],
            must_contain=["186家用人单位", "简历诊断", "就业意向"],
            extra={
                "closing": ["撰稿：扎西顿珠　审核：诸葛晴"],
                "index_no": "11440303MB2C67890Y/2026-01188",
            },
        ),
        PortalArticle(
            path="/xwzx/jddt/202610/t20261028_11821907.htm",
            title="东湖街道开展老旧小区加装电梯集中宣讲",
            published_at="2026-10-28T15:40:00+08:00",
            source="东湖街道办事处",
            bylines=[("上官婉清", "correspondent"), ("黄斌", "correspondent")],
            paragraphs=[
                "为加快推进老旧小区加装电梯工作，10月27日，东湖街道在翠苑社区开展集中宣讲活动，"
                "街道城建办工作人员和设计单位技术人员现场答疑。",
                "宣讲会上，工作人员详细解读了加装电梯的申请条件、办理流程和财政补贴标准，"
                "并结合已建成项目介绍了低层住户利益平衡的经验做法。",
                "截至目前，东湖街道已累计完成加装电梯42台，另有17台正在施工。"
                "（通讯员 上官婉清 黄斌）",
            ],
            must_contain=["翠苑社区", "财政补贴标准", "累计完成加装电梯42台"],
        ),
        PortalArticle(
            path="/xwzx/jddt/202610/t20261026_11819640.htm",
            title="云港区开展“平安家园”消防安全进社区活动",
            published_at="2026-10-26T08:55:00+08:00",
            source="云港区融媒体中心",
            bylines=[("格桑曲珍", "reporter"), ("夏侯杰", "reporter"), ("钟离堃", "photographer")],
            paragraphs=[
                "记者 格桑曲珍 夏侯杰",
                "10月25日上午，云港区消防救援大队联合南岸街道在金沙社区开展“平安家园”"
                "消防安全进社区活动，为居民送上一堂生动的消防安全课。",
                "活动现场，消防员演示了灭火器和消防水带的正确使用方法，"
                "并组织居民进行了模拟逃生演练，不少居民亲手体验了灭火操作。",
                "消防员还走进居民楼，检查楼道堆放杂物和电动自行车违规充电情况，"
                "现场督促整改问题12处。",
                "钟离堃 摄",
            ],
            must_contain=["金沙社区", "模拟逃生演练", "现场督促整改问题12处"],
            must_not_contain=["钟离堃 摄", "记者 格桑曲珍"],
        ),
    ]


def _build_gov() -> PortalSite:
    articles = _gov_articles()
    site = PortalSite(
        name="gov",
        start_path="/",
        articles=articles,
        boilerplate=GOV_BOILERPLATE,
        robots_disallow=["/irs/", "/admin/"],
    )
    html = "text/html"  # no charset: the page's own declaration (gb2312, really GBK) decides

    def put(path: str, text: str, status: int = 200) -> None:
        site.pages[path] = (status, html, text.encode("gbk"))

    qxdt = [a for a in articles if a.path.startswith("/xwzx/qxdt/")]
    jddt = [a for a in articles if a.path.startswith("/xwzx/jddt/")]
    for section, items, prefix in (
        ("区内动态", qxdt, "/xwzx/qxdt/"),
        ("街道动态", jddt, "/xwzx/jddt/"),
    ):
        for i, a in enumerate(items):
            prev = items[i - 1].path if i else items[-1].path
            nxt = items[(i + 1) % len(items)].path
            put(a.path, _gov_article(a, section, (prev, nxt)))
        rows = [(a.path, a.title, a.day) for a in items]
        if section == "区内动态":
            # A removed notice still listed: the CMS answers with a "page missing" page, status 200.
            rows.insert(
                2,
                (
                    prefix + "202610/t20261031_11827001.htm",
                    "关于调整部分公交线路的通告",
                    "2026-10-31",
                ),
            )
        per_page = 2
        chunks = [rows[i : i + per_page] for i in range(0, len(rows), per_page)]
        for n, chunk in enumerate(chunks):
            path = prefix + ("index.htm" if n == 0 else f"index_{n}.htm")
            put(path, _gov_listing(section, chunk, n, len(chunks)))
    put(
        "/xwzx/qxdt/202610/t20261031_11827001.htm",
        _GOV_HEAD
        + "<title>提示信息</title></head><body>"
        + _GOV_TOP
        + '<div class="error"><img src="/images/404.png" />'
        "<p>对不起，您访问的页面不存在或已被删除！</p>"
        '<p><a href="/">返回首页</a></p></div>' + _GOV_FOOTER + "</body></html>",
    )
    put(
        "/",
        _GOV_HEAD
        + "<title>云港区人民政府门户网站</title></head><body>"
        + _GOV_TOP
        + '<div class="focus"><h2>区内动态</h2><ul>'
        + "".join(
            f'<li><a href="{a.path}">{a.title}</a><span>{a.day[5:]}</span></li>' for a in qxdt[:3]
        )
        + '</ul><a class="more" href="/xwzx/qxdt/index.htm">更多&gt;&gt;</a></div>'
        '<div class="focus"><h2>街道动态</h2>'
        '<a class="more" href="/xwzx/jddt/index.htm">更多&gt;&gt;</a></div>'
        '<div class="links"><a href="/lxwm/index.htm">联系我们</a></div>'
        + _GOV_FOOTER
        + "</body></html>",
    )
    put(
        "/lxwm/index.htm",
        _GOV_HEAD
        + "<title>联系我们-云港区人民政府门户网站</title></head><body>"
        + _GOV_TOP
        + "<div class='con'><h1>联系我们</h1><p>通讯地址：云港区海滨大道1001号区政府办公室</p>"
        "<p>邮政编码：518001</p><p>联系电话：0755-82123456</p><p>电子邮箱：ygqzf@example.cn</p>"
        "</div>" + _GOV_FOOTER + "</body></html>",
    )
    site.pages["/robots.txt"] = (
        200,
        "text/plain",
        b"User-agent: *\nDisallow: /irs/\nDisallow: /admin/\n",
    )
    return site


# =========================================================================== paper: 滨海晚报

_PAPER_HEAD = '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
_PAPER_TOP = (
    '<div class="topbar"><a href="/">滨晚网首页</a> | <a href="/epaper/index.htm">数字报</a> | '
    '<a href="/city/index.htm">城事</a> | <a href="/life/index.htm">生活</a> | '
    '<a href="/login.htm">登录</a> <a href="/reg.htm">注册</a></div>'
    '<div class="logo"><a href="/"><img src="/img/logo.png" alt="滨海晚报"></a>'
    "<span>滨海晚报 主办：滨海日报社</span></div>"
)
_PAPER_FOOTER = (
    '<div class="footer"><p>滨海晚报社 版权所有 未经书面授权不得转载</p>'
    "<p>新闻热线：0755-83000000　广告热线：0755-83000001</p>"
    "<p>互联网新闻信息服务许可证：44120170001　粤ICP备09087654号</p></div>"
)
PAPER_BOILERPLATE = [
    "版权所有",
    "新闻热线",
    "ICP",
    "登录",
    "上一版",
    "下一版",
    "返回目录",
    "编辑部",
]


def _paper_article(a: PortalArticle, section: str) -> str:
    x = a.extra
    head = [f"<title>{a.title} - {section} - 滨海晚报</title>"]
    if "meta_author" in x:
        head.append(f'<meta name="author" content="{x["meta_author"]}">')
    if "jsonld_author" in x:
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "datePublished": x.get("jsonld_date", a.published_at),
            "author": x["jsonld_author"],
            "publisher": {"@type": "Organization", "name": "滨海晚报"},
        }
        head.append(
            '<script type="application/ld+json">' + json.dumps(ld, ensure_ascii=False) + "</script>"
        )
    kicker = f'<p class="yinti">{x["kicker"]}</p>' if "kicker" in x else ""
    sub = f'<p class="futi">{x["subtitle"]}</p>' if "subtitle" in x else ""
    page = x.get("page", "A07")
    if x.get("meta_style") == "bar":
        meta = (
            f'<div class="wz-info">[ 作者：{x["bar_author"]} ]　[ 日期：{a.day} ]　[ 版次：{page} ]'
            f"　[ 版名：{section} ]　[ 稿件来源：滨海晚报 ]</div>"
            f'<div class="pub">发布时间：{a.day} {a.clock}</div>'
        )
    else:
        meta = (
            f'<div class="article-meta"><span class="paper">滨海晚报</span> <span>{a.day}</span> '
            f'<span>{page}版</span> <time datetime="{a.published_at}">{a.clock}</time></div>'
        )
    body = ""
    if "byline_line" in x:
        body += f'<p class="byline">{x["byline_line"]}</p>'
    body += _p(a.paragraphs)
    for line in x.get("closing", []):
        body += f"<p>{line}</p>"
    tail = ""
    if "tail" in x:
        tail = f'<div class="article-edit">{x["tail"]}</div>'
    return (
        _PAPER_HEAD
        + "".join(head)
        + '<link rel="stylesheet" href="/css/article.css"></head><body>'
        + _PAPER_TOP
        + '<div class="crumbs"><a href="/">首页</a>'
        f' &gt; <a href="/city/index.htm">{section}</a> &gt; 正文</div>'
        '<div class="banci"><a href="/epaper/index.htm">'
        '上一版</a> <a href="/epaper/index.htm">下一版</a> '
        '<a href="/epaper/index.htm">返回目录</a></div>'
        + f'<div class="article">{kicker}<h1>{a.title}</h1>{sub}{meta}'
        f'<div class="article-content" id="ozoom">{body}</div>{tail}</div>'
        '<div class="share">分享到：<a href="javascript:;">'
        '微信</a> <a href="javascript:;">微博</a></div>' + _PAPER_FOOTER + "</body></html>"
    )


def _paper_articles() -> list[PortalArticle]:
    return [
        PortalArticle(
            path="/html/2026-11/05/content_30512345.htm",
            title="滨海地铁6号线南延段开通初期运营",
            published_at="2026-11-05T07:15:00+08:00",
            source="滨海晚报",
            bylines=[("冼嘉怡", "reporter"), ("港宣", "correspondent")],
            paragraphs=[
                "昨日上午10时，滨海地铁6号线南延段正式开通初期运营，"
                "新增车站5座，线路全长增至38.6公里，沿线市民出行时间大幅缩短。",
                "记者在南湾站看到，不少市民专程前来“尝鲜”。家住南湾片区的陈女士说，"
                "以前去市中心要换乘两次公交，现在坐地铁半小时就能到。",
                "据介绍，南延段开通后，6号线高峰期行车间隔缩短至3分30秒，"
                "并与4号线、9号线实现换乘，进一步完善了城市轨道交通网络。",
            ],
            must_contain=["南延段正式开通初期运营", "专程前来“尝鲜”", "3分30秒"],
            must_not_contain=["滨晚记者"],
            extra={
                "byline_line": "滨晚记者 冼嘉怡 通讯员 港宣",
                "jsonld_author": {"@type": "Person", "name": "滨海晚报"},
                "closing": ["市民在南湾站乘坐列车。（图/滨海地铁供图）"],
            },
        ),
        PortalArticle(
            path="/html/2026-11/05/content_30512377.htm",
            title="老街区里的“新邻居” 社区食堂开到家门口",
            published_at="2026-11-05T07:20:00+08:00",
            source="滨海晚报",
            bylines=[("帕尔哈提·艾则孜", "reporter"), ("令狐晓", "editor")],
            paragraphs=[
                "中午11点半，位于老城区槐树巷的长者饭堂已经坐满了前来就餐的居民，"
                "两荤一素一汤的套餐，60岁以上老人只需花12元。",
                "“以前一个人在家做饭，经常一顿饭吃两天。”82岁的周阿婆说，"
                "现在每天走五分钟就能吃上热乎饭菜，子女也放心多了。",
                "据了解，今年以来，全市新建社区长者饭堂46家，预计年底前实现中心城区街道全覆盖。",
            ],
            must_contain=["槐树巷的长者饭堂", "经常一顿饭吃两天", "46家"],
            extra={
                "meta_style": "bar",
                "bar_author": "滨晚记者 帕尔哈提·艾则孜",
                "meta_author": "滨海晚报",
                "tail": "编辑：令狐晓",
            },
        ),
        PortalArticle(
            path="/html/2026-11/04/content_30509821.htm",
            title="红树林湿地迎来首批越冬候鸟",
            published_at="2026-11-04T07:05:00+08:00",
            source="滨海晚报",
            bylines=[("周正文", "author"), ("刘思图", "photographer")],
            paragraphs=[
                "连日来，随着气温下降，首批越冬候鸟陆续飞抵滨海红树林湿地公园，"
                "黑脸琵鹭、反嘴鹬等珍稀鸟类的身影再次出现在滩涂上。",
                "湿地公园管理处工作人员介绍，今年首批候鸟比往年提前了约一周，"
                "预计到12月中旬，在此越冬的候鸟数量将超过两万只。",
                "黑脸琵鹭在湿地滩涂上觅食。（图/刘思图）",
                "管理处提醒市民，观鸟时请保持安全距离，不要投喂、惊扰鸟类，"
                "也不要使用无人机近距离拍摄。",
            ],
            must_contain=["首批越冬候鸟陆续飞抵", "超过两万只", "不要投喂、惊扰鸟类"],
            extra={"byline_line": "文/周正文 图/刘思图", "kicker": "观鸟季"},
        ),
        PortalArticle(
            path="/html/2026-11/04/content_30509860.htm",
            title="滨海职工文化节闭幕 120个节目同台竞技",
            published_at="2026-11-04T07:30:00+08:00",
            source="滨海晚报",
            bylines=[("慕容云海", "reporter"), ("尼玛卓玛", "reporter")],
            paragraphs=[
                "为期两个月的第十届滨海职工文化节日前在市工人文化宫闭幕，"
                "来自全市各行各业的120个职工节目同台竞技。",
                "本届文化节设置了合唱、舞蹈、曲艺、书画摄影等多个门类，"
                "参与职工超过3万人次，一批新创作品反映了产业工人的奋斗故事。",
                "市总工会负责人表示，将把优秀节目送进园区、工地和企业，"
                "让更多一线职工在家门口享受文化大餐。",
            ],
            must_contain=["第十届滨海职工文化节", "产业工人的奋斗故事", "一线职工"],
            extra={
                "byline_line": "◎滨晚记者 慕容云海 实习生 尼玛卓玛",
                "meta_author": "点击关注",
                "subtitle": "——参与职工超过3万人次",
            },
        ),
        PortalArticle(
            path="/html/2026-11/03/content_30506612.htm",
            title="滨海全面推行“一件事一次办” 办事材料平均精简四成",
            published_at="2026-11-03T07:10:00+08:00",
            source="滨海晚报",
            bylines=[("夏侯杰", "reporter"), ("黄蓉", "reporter"), ("白玛", "correspondent")],
            paragraphs=[
                "记者昨日从市政务服务数据管理局获悉，我市已推出“一件事一次办”集成服务事项62项，"
                "办事材料平均精简40%，办理时限平均压缩60%。",
                "以开办餐饮店为例，过去需要跑市场监管、卫生健康、消防等多个部门，"
                "如今通过线上专区一次申报，最快3个工作日即可拿到全部证照。",
                "下一步，我市将推动更多高频事项纳入“一件事”清单，并探索“免申即享”等服务模式。",
            ],
            must_contain=["集成服务事项62项", "开办餐饮店为例", "免申即享"],
            extra={
                "byline_line": "滨晚全媒体记者 夏侯杰 黄蓉 通讯员 白玛",
                "jsonld_author": [{"@type": "Person", "name": "编辑部"}],
            },
        ),
        PortalArticle(
            path="/html/2026-11/03/content_30506688.htm",
            title="一位社区医生的十年：“守好居民健康第一道门”",
            published_at="2026-11-03T07:25:00+08:00",
            source="滨海晚报",
            bylines=[("张曼玉", "reporter"), ("申屠明", "editor"), ("东方晓白", "editor")],
            paragraphs=[
                "早上8点不到，向阳社区健康服务中心的诊室门口已经排起了队，"
                "全科医生林慧打开电脑，开始了一天的接诊。",
                "十年来，林慧签约服务的居民超过1800人，她的手机里存着几百位慢病患者的联系方式，"
                "“谁家老人血压不稳，我心里都有数。”",
                "谈到未来，林慧说，希望有更多年轻医生愿意扎根社区，把健康服务做到居民身边。",
            ],
            must_contain=["向阳社区健康服务中心", "签约服务的居民超过1800人", "扎根社区"],
            must_not_contain=["统筹"],
            extra={
                "byline_line": "采写：滨晚记者 张曼玉",
                "tail": "统筹：申屠明　编辑：东方晓白",
                "meta_style": "bar",
                "bar_author": "张曼玉",
                "page": "A12",
            },
        ),
        PortalArticle(
            path="/html/2026-11/02/content_30503390.htm",
            title="滨海国际马拉松下月开跑 报名人数创新高",
            published_at="2026-11-02T07:00:00+08:00",
            source="滨海晚报",
            bylines=[("古丽娜尔·吐尔洪", "reporter")],
            paragraphs=[
                "滨晚讯（记者 古丽娜尔·吐尔洪）2026滨海国际马拉松将于12月6日鸣枪开跑，"
                "记者昨日从赛事组委会获悉，本届赛事报名人数突破12万，创历史新高。",
                "本届赛事设全程马拉松、半程马拉松和健康跑三个项目，总规模3万人，"
                "将通过电脑抽签确定参赛名额，抽签结果11月15日公布。",
                "组委会提醒，赛事期间沿线道路将实施临时交通管制，请市民提前规划出行路线。",
            ],
            must_contain=["12月6日鸣枪开跑", "电脑抽签确定参赛名额", "临时交通管制"],
            extra={"jsonld_author": {"@type": "Person", "name": "滨海晚报"}, "page": "A15"},
        ),
    ]


def _build_paper() -> PortalSite:
    articles = _paper_articles()
    site = PortalSite(
        name="paper",
        start_path="/",
        articles=articles,
        boilerplate=PAPER_BOILERPLATE,
        robots_disallow=["/login.htm", "/reg.htm"],
    )
    utf8 = "text/html; charset=utf-8"

    def put(path: str, text: str, status: int = 200) -> None:
        site.pages[path] = (status, utf8, text.encode("utf-8"))

    for a in articles:
        put(a.path, _paper_article(a, "城事"))
    # The channel listing: three pages, 下一页 links; the e-paper page index lists them too.
    per_page = 3
    chunks = [articles[i : i + per_page] for i in range(0, len(articles), per_page)]
    for n, chunk in enumerate(chunks):
        items = "".join(
            f'<div class="item"><h3><a href="{a.path}">{a.title}</a></h3>'
            f'<p class="summary">{a.paragraphs[0][:40]}……</p>'
            f'<span class="time">{a.day}</span></div>'
            for a in chunk
        )
        pager = " ".join(
            f'<a href="{"index.htm" if k == 0 else f"index_{k + 1}.htm"}">{k + 1}</a>'
            for k in range(len(chunks))
        )
        if n < len(chunks) - 1:
            pager += f' <a href="index_{n + 2}.htm">下一页</a>'
        path = "/city/index.htm" if n == 0 else f"/city/index_{n + 1}.htm"
        put(
            path,
            _PAPER_HEAD
            + f"<title>城事_第{n + 1}页 - 滨海晚报</title></head><body>"
            + _PAPER_TOP
            + f'<div class="list">{items}</div><div class="pages">{pager}</div>'
            + _PAPER_FOOTER
            + "</body></html>",
        )
    edition = "".join(
        f'<li><a href="{a.path}">{a.title}</a></li>' for a in articles if a.day == "2026-11-05"
    )
    put(
        "/epaper/index.htm",
        _PAPER_HEAD
        + "<title>滨海晚报数字报 2026年11月05日</title></head><body>"
        + _PAPER_TOP
        + '<div class="bm"><h2>第A07版：城事</h2><img src="/epaper/a07.jpg" usemap="#m">'
        f"<ul>{edition}</ul>"
        '<a href="/html/2026-11/05/content_30512399.htm">广告</a></div>'
        + _PAPER_FOOTER
        + "</body></html>",
    )
    put(
        "/",
        _PAPER_HEAD
        + "<title>滨海晚报 - 滨晚网</title></head><body>"
        + _PAPER_TOP
        + '<div class="headline"><a href="'
        + articles[0].path
        + '">'
        + articles[0].title
        + "</a></div>"
        '<div class="col"><a href="/city/index.htm">城事</a>'
        ' <a href="/epaper/index.htm">今日数字报</a></div>' + _PAPER_FOOTER + "</body></html>",
    )
    site.pages["/robots.txt"] = (
        200,
        "text/plain",
        b"User-agent: *\nDisallow: /login.htm\nDisallow: /reg.htm\n",
    )
    return site


# =========================================================================== portal: 南岭网

_PORTAL_HEAD = '<!DOCTYPE html><html><head><meta charset="utf-8">'
_PORTAL_TOP = (
    '<div class="top-nav"><a href="/">南岭网首页</a> <a href="/roll/index.shtml">新闻</a> '
    '<a href="/finance/">财经</a> <a href="/tech/">科技</a> <a href="/sports/">体育</a> '
    '<a href="/user/login">登录</a> | <a href="/user/reg">'
    '注册</a> | <a href="/app/">下载客户端</a></div>'
)
_PORTAL_FOOTER = (
    '<div class="footer"><p><a href="/about/">关于南岭</a> | <a href="/about/">广告服务</a> | '
    '<a href="/about/">联系我们</a></p>'
    "<p>南岭网版权所有 Copyright © 2001-2026 Nanling.com All Rights Reserved</p>"
    "<p>粤ICP证B2-20050123　违法和不良信息举报电话：0755-86000000</p></div>"
)
PORTAL_BOILERPLATE = [
    "相关推荐",
    "猜你喜欢",
    "特别关注",
    "热门排行",
    "分享到",
    "网友评论",
    "人参与",
    "说得好",
    "版权所有",
    "举报",
    "关键词",
    "责任编辑",
    "下载客户端",
]


def _portal_article(
    a: PortalArticle,
    related: list[PortalArticle],
    pager: str = "",
    paragraphs: list[str] | None = None,
) -> str:
    x = a.extra
    head = [f"<title>{a.title}_{x.get('channel', '新闻频道')}_南岭网</title>"]
    head.append(f'<meta property="og:title" content="{a.title}">')
    if x.get("og_time", True):
        head.append(f'<meta property="article:published_time" content="{a.published_at}">')
    head.append(f'<meta name="author" content="{x.get("meta_author", "南岭网")}">')
    if x.get("style") == "netease":
        info = (
            f'<div class="post_info">{a.day} {a.clock}:{a.published_at[17:19]}　来源: '
            f'<a href="#">{x.get("shown_source", a.source)}</a></div>'
        )
    else:
        date_cn = f"{a.day[:4]}年{a.day[5:7]}月{a.day[8:10]}日 {a.clock}"
        author = (
            f'<span class="author">作者：{x["info_author"]}</span>' if "info_author" in x else ""
        )
        editor = (
            f'<span class="editor">编辑：{x["info_editor"]}</span>' if "info_editor" in x else ""
        )
        info = (
            f'<div class="date-source"><span class="date">{date_cn}</span> '
            '来源：<a class="source" href="#">'
            f"{x.get('shown_source', a.source)}</a> {author} {editor}</div>"
        )
    body = _p(paragraphs if paragraphs is not None else a.paragraphs)
    for caption in x.get("captions", []):
        body += (
            '<div class="img_wrapper"><img src="/img/2026/1105/p1.jpg">'
            f'<span class="img_descr">{caption}</span></div>'
        )
    show_author = ""
    if "show_author" in x:
        show_author = f'<p class="show_author">{x["show_author"]}</p>'
    rel = "".join(
        f'<li><a href="{r.path}">{r.title}</a><span>{r.day} {r.clock}</span></li>' for r in related
    )
    return (
        _PORTAL_HEAD
        + "".join(head)
        + "</head><body>"
        + _PORTAL_TOP
        + '<div class="crumb"><a href="/">南岭网</a>'
        ' &gt; <a href="/roll/index.shtml">新闻中心</a> &gt; 正文</div>'
        '<div class="main"><div class="main-content">'
        f'<h1 class="main-title">{a.title}</h1>{info}'
        '<div class="share-bar">分享到：<a href="#">微信</a>'
        ' <a href="#">微博</a> <a href="#">QQ空间</a></div>'
        f'<div class="article" id="artibody">{body}</div>{pager}{show_author}'
        '<div class="keywords">关键词：<a href="/tag/a">民生</a> <a href="/tag/b">城市</a></div>'
        f'<div class="related"><h3>相关推荐</h3><ul>{rel}</ul></div>'
        '<div class="comment"><h3>网友评论</h3><p>已有235人参与</p>'
        '<div class="cmt-item"><span class="user">南岭网友 林小夕</span><p>说得好！支持！</p>'
        "<span>2026-11-05 12:30</span></div></div>"
        "</div>"
        '<div class="sidebar"><div class="hot"><h3>热门排行</h3><ol>'
        "<li><a href='/roll/index.shtml'>今冬首场寒潮将至 南方多地降温超10℃</a></li>"
        "<li><a href='/roll/index.shtml'>多地出台购房新政 公积金贷款额度提高</a></li></ol></div>"
        '<div class="guess"><h3>猜你喜欢</h3><ul><li>'
        '<a href="/roll/index.shtml">秋冬养生吃什么</a></li></ul></div>'
        '<div class="focus"><h3>特别关注</h3><ul><li>'
        '<a href="/roll/index.shtml">聚焦2026进博会</a></li></ul></div>'
        "</div></div>" + _PORTAL_FOOTER + "</body></html>"
    )


def _portal_articles() -> list[PortalArticle]:
    return [
        PortalArticle(
            path="/news/2026-11-05/doc-infxqk8471203.shtml",
            title="南岭多地启动今冬首轮流感疫苗集中接种",
            published_at="2026-11-05T10:12:00+08:00",
            source="新京报",
            bylines=[("陆一帆", "reporter"), ("伍思", "correspondent"), ("贺兰飞雪", "editor")],
            paragraphs=[
                "新京报讯（记者 陆一帆 通讯员 伍思）进入11月，"
                "南岭多个城市启动今冬首轮流感疫苗集中接种，"
                "社区卫生服务中心普遍延长服务时间，方便上班族下班后接种。",
                "疾控专家介绍，流感疫苗接种后约两周产生保护性抗体，"
                "建议老年人、儿童、慢性病患者等重点人群尽早接种。",
                "目前，多地已将60岁以上户籍老人纳入免费接种范围，"
                "市民可通过健康服务平台预约就近接种点。",
            ],
            must_contain=["首轮流感疫苗集中接种", "保护性抗体", "预约就近接种点"],
            extra={"show_author": "责任编辑：贺兰飞雪"},
        ),
        PortalArticle(
            path="/news/2026-11-04/doc-infxpz3390127.shtml",
            title="长沙湘江新区发布人工智能产业扶持新政",
            published_at="2026-11-04T08:30:15+08:00",
            source="潇湘晨报",
            bylines=[("欧阳修文", "reporter"), ("钱多多", "editor")],
            paragraphs=[
                "11月3日，长沙湘江新区发布支持人工智能产业发展的若干措施，"
                "对落户新区的算力中心、大模型企业给予最高5000万元的综合支持。",
                "措施明确，新区将设立总规模50亿元的人工智能产业基金，"
                "重点投向智能网联汽车、智能制造和行业大模型应用等方向。",
                "新区相关负责人表示，力争到2028年集聚人工智能企业500家以上，"
                "形成千亿级产业集群。（潇湘晨报记者 欧阳修文 长沙报道）",
            ],
            must_contain=["最高5000万元的综合支持", "人工智能产业基金", "千亿级产业集群"],
            extra={"style": "netease", "show_author": "本文来源：潇湘晨报 责任编辑：钱多多_NX8812"},
        ),
        PortalArticle(
            path="/news/2026-11-05/doc-infxqm0021458.shtml",
            title="南岭机场今日起执行冬春航季航班计划",
            published_at="2026-11-05T11:40:00+08:00",
            source="南岭网",
            bylines=[("努尔兰·别克", "reporter")],
            paragraphs=[
                "【南岭网快讯】记者从南岭机场获悉，今日起机场执行冬春航季航班计划，"
                "每周计划航班量较上一航季增长8%，新开通至胡志明市、大阪等6条国际航线，"
                "旅客可通过航空公司官方渠道查询航班变动信息。（记者 努尔兰·别克 报道）",
            ],
            must_contain=["冬春航季航班计划", "查询航班变动信息"],
            extra={"og_time": False},
        ),
        PortalArticle(
            path="/finance/2026-11-04/doc-infxpy7760332.shtml",
            title="县域消费新观察：直播间里的乡村好物",
            published_at="2026-11-04T15:26:00+08:00",
            source="南岭网",
            bylines=[("赵钱孙", "author"), ("李周吴", "editor")],
            paragraphs=[
                "傍晚六点，在清远市连山县的一间直播间里，主播正向屏幕前的观众介绍当地的高山茶叶，"
                "不到一小时，下单量就突破了两千件。",
                "近年来，县域电商快速发展，越来越多的农产品通过直播走出大山。"
                "商务部门数据显示，今年前三季度全省农村网络零售额同比增长14.2%。",
                "不过，业内人士也指出，部分农产品存在标准化程度低、品牌意识弱等问题，"
                "亟须补齐冷链物流和品控短板。",
            ],
            must_contain=[
                "高山茶叶",
                "农村网络零售额同比增长14.2%",
                "冷链物流和品控短板",
                "培育本土主播",
                "县域商业体系",
            ],
            must_not_contain=["下一页"],
            extra={
                "channel": "财经频道",
                "info_author": "赵钱孙",
                "info_editor": "李周吴",
                "page2": [
                    "为此，当地政府联合电商平台开设培训班，两年来累计培育本土主播600余名，"
                    "并建成县级物流配送中心，实现快递进村全覆盖。",
                    "专家认为，下一步要推动县域商业体系建设与直播电商深度融合，"
                    "让“流量”真正转化为农民增收的“留量”。",
                ],
            },
        ),
        PortalArticle(
            path="/news/2026-11-03/doc-infxnr5518840.shtml",
            title="百年骑楼街完成修缮 重新向市民开放",
            published_at="2026-11-03T09:05:00+08:00",
            source="南岭网",
            bylines=[("西门吹雪", "reporter"), ("东方白", "photographer"), ("金一南", "editor")],
            paragraphs=[
                "文/南岭网记者 西门吹雪",
                "经过为期一年半的修缮，拥有百年历史的中山路骑楼街日前重新向市民开放，"
                "修缮后的骑楼保留了原有的灰塑、满洲窗等传统装饰。",
                "修缮团队负责人介绍，施工中坚持“修旧如旧”原则，"
                "对87栋骑楼逐栋建立档案，能保留的构件一律保留。",
                "开放首日，不少老街坊专程回来看看。“小时候就在这里长大，"
                "现在看到老房子焕然一新，心里很感慨。”市民黄伯说。",
            ],
            must_contain=["中山路骑楼街", "修旧如旧", "心里很感慨"],
            must_not_contain=["文/南岭网记者"],
            extra={
                "captions": [
                    "修缮后的骑楼街。南岭网记者 东方白 摄",
                    "骑楼上的灰塑装饰。（图/视觉中国）",
                ],
                "show_author": "责任编辑：金一南",
            },
        ),
        PortalArticle(
            path="/news/2026-11-04/doc-infxpw1102586.shtml",
            title="我国成功发射新一代海洋观测卫星",
            published_at="2026-11-04T13:48:00+08:00",
            source="新华社",
            bylines=[("王思远", "reporter"), ("丁怡文", "reporter"), ("金一南", "editor")],
            paragraphs=[
                "新华社酒泉11月4日电（记者 王思远 丁怡文）11月4日12时10分，"
                "我国在酒泉卫星发射中心使用长征二号丁运载火箭，成功将新一代海洋观测卫星发射升空，"
                "卫星顺利进入预定轨道，发射任务获得圆满成功。",
                "该卫星主要用于全球海洋水色、海面温度和海洋动力环境监测，"
                "将为海洋防灾减灾、资源开发和生态保护提供数据支撑。",
                "此次任务是长征系列运载火箭的第600余次飞行。",
            ],
            must_contain=["酒泉卫星发射中心", "海洋动力环境监测", "长征系列运载火箭"],
            extra={
                "meta_author": "新华社",
                "show_author": "责任编辑：金一南",
                "style": "netease",
            },
        ),
    ]


def _build_portal() -> PortalSite:
    articles = _portal_articles()
    site = PortalSite(
        name="portal",
        start_path="/roll/index.shtml",
        articles=articles,
        boilerplate=PORTAL_BOILERPLATE,
        robots_disallow=["/user/", "/api/"],
    )
    utf8 = "text/html; charset=utf-8"

    def put(path: str, text: str, status: int = 200) -> None:
        site.pages[path] = (status, utf8, text.encode("utf-8"))

    for i, a in enumerate(articles):
        related = [articles[(i + 1) % len(articles)], articles[(i + 2) % len(articles)]]
        if "page2" in a.extra:
            stem = a.path.removesuffix(".shtml")
            pager = (
                f'<div class="page-nav"><span>1</span> <a href="{stem}_2.shtml">2</a> '
                f'<a href="{stem}_2.shtml">下一页</a></div>'
            )
            put(a.path, _portal_article(a, related, pager))
            pager2 = (
                f'<div class="page-nav"><a href="{stem}.shtml">'
                f'上一页</a> <a href="{stem}.shtml">1</a> '
                "<span>2</span></div>"
            )
            put(stem + "_2.shtml", _portal_article(a, related, pager2, a.extra["page2"]))
        else:
            put(a.path, _portal_article(a, related))
    # The roll listing: newest first, ?page=N pagination; one article only in RSS and the sitemap.
    listed = sorted(articles, key=lambda a: a.published_at, reverse=True)
    listed.pop(3)  # found through the feed and the sitemap only
    chunks = [listed[i : i + 2] for i in range(0, len(listed), 2)]
    for n, chunk in enumerate(chunks):
        rows = "".join(
            f'<li><span class="c">[新闻]</span><a href="{a.path}" target="_blank">{a.title}</a>'
            f'<span class="t">{a.published_at[5:10]} {a.clock}</span></li>'
            for a in chunk
        )
        nav = ""
        if n > 0:
            nav += f'<a href="/roll/index.shtml?page={n}">上一页</a> '
        if n < len(chunks) - 1:
            nav += f'<a href="/roll/index.shtml?page={n + 2}">下一页</a>'
        path = "/roll/index.shtml" if n == 0 else f"/roll/index.shtml?page={n + 1}"
        put(
            path,
            _PORTAL_HEAD + "<title>滚动新闻_南岭网</title>"
            '<link rel="alternate" type="application/rss+xml" href="/rss/roll.xml"></head><body>'
            + _PORTAL_TOP
            + f'<div class="roll"><ul>{rows}</ul><div class="pagebox">{nav}</div></div>'
            + _PORTAL_FOOTER
            + "</body></html>",
        )
    items = "".join(
        f"<item><title>{a.title}</title><link>http://127.0.0.1{a.path}</link>"
        f"<pubDate>{a.day}</pubDate></item>"
        for a in articles
    )
    put(
        "/about/",
        _PORTAL_HEAD
        + "<title>关于南岭_南岭网</title></head><body>"
        + _PORTAL_TOP
        + "<div class='about'><h1>关于南岭网</h1>"
        "<p>南岭网创办于2001年，是华南地区重要的综合性门户网站，"
        "提供新闻资讯、财经、科技、体育等内容服务。</p><p>联系地址：南岭市科技园路88号</p></div>"
        + _PORTAL_FOOTER
        + "</body></html>",
    )
    site.pages["/rss/roll.xml"] = (
        200,
        "application/rss+xml; charset=utf-8",
        (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<rss version="2.0"><channel><title>南岭网滚动新闻</title>'
            f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
        ).encode(),
    )
    urls = "".join(
        f"<url><loc>{{host}}{a.path}</loc><lastmod>{a.day}</lastmod></url>" for a in articles
    )
    site.pages["/sitemap.xml"] = (
        200,
        "application/xml",
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode(),
    )
    site.pages["/robots.txt"] = (
        200,
        "text/plain",
        b"User-agent: *\nDisallow: /user/\nDisallow: /api/\nSitemap: {host}/sitemap.xml\n",
    )
    return site


def build_sites() -> list[PortalSite]:
    """The three sites, each with its pages and labelled articles."""
    return [_build_gov(), _build_paper(), _build_portal()]


# =========================================================================== serving


def _handler(site: PortalSite, log: list[str]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            log.append(self.path)
            host = f"http://{self.headers.get('Host', '127.0.0.1')}"
            page = site.pages.get(self.path)
            if page is None:
                status, kind, body = (
                    404,
                    "text/html",
                    b"<html><body><h1>404 Not Found</h1></body></html>",
                )
            else:
                status, kind, body = page
                body = body.replace(b"{host}", host.encode()).replace(
                    b"http://127.0.0.1/", f"{host}/".encode()
                )
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class PortalServers:
    """Serves each site on its own 127.0.0.1 port (port 0) in a daemon thread."""

    def __init__(self, sites: list[PortalSite] | None = None) -> None:
        self.sites = sites if sites is not None else build_sites()
        self.requests: dict[str, list[str]] = {s.name: [] for s in self.sites}
        self._servers = [
            http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(s, self.requests[s.name]))
            for s in self.sites
        ]
        self._threads = [
            threading.Thread(target=s.serve_forever, daemon=True) for s in self._servers
        ]

    def base_url(self, name: str) -> str:
        for site, server in zip(self.sites, self._servers, strict=True):
            if site.name == name:
                return f"http://127.0.0.1:{server.server_address[1]}"
        raise KeyError(name)

    @property
    def start_urls(self) -> list[str]:
        return [self.base_url(s.name) + s.start_path for s in self.sites]

    def __enter__(self) -> PortalServers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


__all__ = ["PortalArticle", "PortalServers", "PortalSite", "build_sites"]
