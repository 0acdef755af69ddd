"""Page furniture on table layouts: layout tables, navigation bars and site footers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import html as lxml_html

from crawler.extraction import extract_page
from crawler.extraction.clean import is_footer_line, is_nav_line, unwrap_layout_tables

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("今天是：2024年6月3日 站内搜索 | 加入收藏 | 无障碍浏览", True),
        ("网站首页 | 关于我们 | 联系我们 | 网站地图", True),
        ("首页｜新闻｜政务｜服务｜互动", True),
        ("A | B", False),
        ("甲方 | 乙方：双方约定于五月底前完成交付。", False),
        ("北京 | 上海 | 广州 | 深圳四地的房价在过去一年里走势分化明显，其中一线城市中的", False),
    ],
)
def test_nav_line(line: str, expected: bool) -> None:
    assert is_nav_line(line) is expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "网站首页 | 后台管理 | 网站地图 主办：某某区人民政府办公室 承办：某某区政务服务数据"
            "管理局 版权所有：某某区人民政府 粤ICP备05000000号 网站标识码：4403030000 "
            "本站为演示站点。",
            True,
        ),
        ("主办单位：青溪县人民政府办公室 联系电话：0571-60000000", True),
        ("浙ICP备12000000号-1", True),
        ("浙公网安备 33012700000000号", True),
        ("据了解，该公司对上述作品享有版权所有权，并已向法院提起诉讼。", False),
        ("会议由区委办主办，区直各单位主要负责人参加了会议，会上通报了上半年工作情况", False),
    ],
)
def test_footer_line(line: str, expected: bool) -> None:
    assert is_footer_line(line) is expected


def _tables(markup: str) -> list[str]:
    root = lxml_html.document_fromstring(markup)
    unwrap_layout_tables(root)
    return [el.tag for el in root.iter("table", "tr", "td", "div")]


def test_layout_tables_become_divs_and_data_tables_stay() -> None:
    layout = (
        "<html><body><table><tr><td><div class='title'>标题</div>"
        "<p>第一段。</p><p>第二段。</p></td></tr></table></body></html>"
    )
    assert set(_tables(layout)) == {"div"}
    single_column = (
        "<html><body><table><tr><td>页眉</td></tr><tr><td>正文</td></tr></table></body></html>"
    )
    assert "table" not in _tables(single_column)
    data = (
        "<html><body><table><tr><th>地区</th><th>人口</th></tr>"
        "<tr><td>罗湖</td><td>110万</td></tr><tr><td>福田</td><td>150万</td></tr>"
        "</table></body></html>"
    )
    assert _tables(data).count("td") == 4
    assert "table" in _tables(data)


def test_paragraphs_in_a_table_cell_stay_paragraphs() -> None:
    paragraphs = [
        "5月7日上午，某某镇在溪南村开展防汛应急演练，镇村两级干部和村民共120余人参加。",
        "演练模拟强降雨导致溪水暴涨的险情，救援队员分组开展人员转移和堤坝抢险，处置有序。",
        "镇相关负责人表示，全镇将进一步排查隐患点，落实24小时值班制度，确保安全度汛。",
    ]
    markup = (
        "<html><head><meta charset='utf-8'><title>某某镇开展防汛应急演练_某某县人民政府</title>"
        "</head><body><table width='980'><tr><td>"
        "<div class='title'>某某镇开展防汛应急演练</div>"
        "<div class='info'>发布日期：2024-05-08</div>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "<p align='right'>通讯员 叶青青</p></td></tr></table>"
        "<table><tr><td>主办：某某县人民政府办公室<br>版权所有：某某县人民政府 浙ICP备1号"
        "</td></tr></table></body></html>"
    )
    result = extract_page(markup, "http://gov.example.cn/a/t20240508_1.html", fetched_at=FETCHED_AT)
    assert result.article is not None
    assert result.article.text == "\n".join(paragraphs)
    assert result.article.authors == ["叶青青"]


def test_bylines_are_listed_in_role_order() -> None:
    markup = (
        "<html><head><meta charset='utf-8'><title>某某街道举办邻里节</title></head><body>"
        "<h1>某某街道举办邻里节</h1><div class='info'>2024-05-18 09:00</div><div class='text'>"
        "<p>" + "邻里节为期一周，由辖区各社区轮流承办，居民既是观众也是演员。" * 4 + "</p>"
        "<p>摄影 冯晨 通讯员 孙蕾</p></div><div class='zrbj'>责任编辑：陈静</div></body></html>"
    )
    result = extract_page(markup, "http://gov.example.cn/a/1.html", fetched_at=FETCHED_AT)
    assert result.article is not None
    roles = [b.role for b in result.article.bylines]
    assert roles == ["correspondent", "editor", "photographer"]
