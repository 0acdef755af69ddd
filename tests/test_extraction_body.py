"""Body rules shared by every page: a notice's signature, the headline repeated, HTML comments."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from crawler.extraction import extract_page
from crawler.extraction.clean import signature_lines

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)

ISSUERS = [
    ["吉林省人民政府"],
    ["深圳市罗湖区住房和建设局"],
    ["青溪县教育局", "青溪县财政局"],
    ["东湖街道办事处"],
    ["某某市交通运输委员会办公室"],
]
DATES = ["2022年1月27日", "2024年5月20日", "二〇二四年五月二十日"]
NOTICE = [
    "为做好工程建设征地拆迁工作，维护被征地群众的合法权益，保障工程建设顺利进行，根据有关法律法规，"
    "现将有关事项通告如下：",
    "一、自本通告发布之日起，在工程建设征占地范围内禁止新建、扩建和改建项目，禁止擅自开发土地、"
    "修建房屋及新建其他设施。",
    "二、自本通告发布之日起，上述区域内新迁入的人口不享有相关补偿政策。",
    "特此通告。",
]


@pytest.mark.parametrize(("issuers", "day"), list(itertools.product(ISSUERS, DATES)))
def test_a_notice_keeps_its_signature(issuers: list[str], day: str) -> None:
    lines = [*NOTICE, *issuers, day]
    assert signature_lines(lines) == set(range(len(NOTICE), len(lines)))
    links = "".join(f"<li><a href='/{n}/'>{name}</a></li>" for n, name in enumerate(issuers))
    html = (
        "<html><head><meta charset='utf-8'><title>关于禁止新增建设项目的通告</title></head><body>"
        f"<ul class='menu'>{links}<li><a href='/'>首页</a></li></ul>"
        "<h1>关于禁止新增建设项目的通告</h1><div class='info'>发布时间：2024-05-20 来源：本网</div>"
        "<div class='content'>"
        + "".join(f"<p>{line}</p>" for line in lines)
        + "</div><div class='footer'>主办单位：某某市人民政府办公室 粤ICP备05000000号</div>"
        "</body></html>"
    )
    result = extract_page(html, "http://www.example.gov.cn/zwgk/tz/1.html", fetched_at=FETCHED_AT)
    assert result.article is not None
    assert result.article.text.split("\n")[-1 - len(issuers) :] == [*issuers, day]


@pytest.mark.parametrize(
    "lines",
    [
        # A date under the headline is a metadata bar, not a signature.
        ["区政府召开常务会议", "某某区人民政府", "2024年5月20日", "会议研究了多项工作。"],
        # Prose before the date, no issuer line.
        [*NOTICE, "2024年5月20日"],
        # An issuer that is a sentence.
        [*NOTICE, "请各单位认真贯彻执行。", "2024年5月20日"],
    ],
)
def test_no_signature(lines: list[str]) -> None:
    assert signature_lines(lines) == set()


@pytest.mark.parametrize("chinese", [True, False])
@pytest.mark.parametrize("where", ["share_box", "related", "sticky"])
def test_the_headline_repeated_in_the_body_is_dropped(chinese: bool, where: str) -> None:
    title = "东湖街道举办社区邻里文化节" if chinese else "Harbour festival returns after a break"
    paragraphs = (
        [
            "活动现场设置了非遗展示、亲子游戏和便民服务等多个区域，吸引了近千名居民参与，现场气氛热烈。",
            "街道负责人表示，今后将继续举办形式多样的社区活动，增进邻里感情，营造和谐社区氛围。",
            "据悉，本次文化节为期三天，期间还将举行文艺汇演、书画展览和美食集市等系列活动。",
        ]
        if chinese
        else [
            "The harbour festival returned on Saturday after a three-year break, drawing "
            "thousands of visitors to the waterfront.",
            "Organisers said the programme had been cut to two days to keep costs down, but "
            "that every stall had been booked within a week.",
            "Boat tours, a craft market and an evening concert are planned for Sunday.",
        ]
    )
    copy = {
        "share_box": f"<div><p>{title}</p></div>",
        "related": f"<p><a href='/same.html'>{title}</a></p>",
        "sticky": f"<div class='sticky-title'>{title}</div>",
    }[where]
    body = f"<p>{paragraphs[0]}</p>{copy}<p>{paragraphs[1]}</p><p>{paragraphs[2]}</p>"
    bar = "2024-05-20 来源：东湖街道" if chinese else "May 20, 2024"
    html = (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
        f"<h1>{title}</h1><div class='info'>{bar}</div><div class='story'>{body}</div>"
        "</body></html>"
    )
    result = extract_page(html, "http://news.example.com/a/1.html", fetched_at=FETCHED_AT)
    assert result.article is not None
    assert result.article.text == "\n".join(paragraphs)


def test_html_comments_inside_a_paragraph_keep_its_text() -> None:
    sentence = (
        "市民可在5月20日至6月30日期间通过线上平台报名参加暑期公益课堂，课程涵盖书法、绘画、"
        "编程和游泳等十余个项目，名额有限，先到先得。"
    )
    marked = sentence.replace("5月20日", "5月<!-- -->20日<!-- -->")
    paragraphs = [
        marked,
        "报名成功后，工作人员将通过短信通知具体的活动时间和地点，请保持电话畅通。",
    ]
    html = (
        "<html><head><meta charset='utf-8'><title>社区开展暑期公益课堂报名</title></head><body>"
        "<h1>社区开展暑期公益课堂报名</h1><div>2024-05-20 来源：东湖社区</div>"
        "<div class='content'>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</div></body></html>"
    )
    result = extract_page(html, "http://news.example.com/a/2.html", fetched_at=FETCHED_AT)
    assert result.article is not None
    assert result.article.text.split("\n")[0] == sentence
