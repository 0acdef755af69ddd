"""The corpus scorer: scoring rules on hand-computed cases and a tiny corpus in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crawler.evaluation import (
    EvalReport,
    PageScore,
    body_tokens,
    evaluate_corpus,
    format_report,
    iter_corpus,
    pages_below,
    score_authors,
    score_body,
    score_date,
    score_title,
    site_half,
    site_key,
)

ARTICLE = """<html lang="{lang}"><head><meta charset="utf-8"><title>{title}_某某网</title></head>
<body><h1>{title}</h1><div class="info">发布时间：2023-05-12 10:21</div>
<div class="content">{paras}<p>（记者 王五）</p></div></body></html>"""


def test_body_tokens_follow_the_readme() -> None:
    tokens = body_tokens("深圳 Ｒoad-2023，ｈｅｌｌｏ world!")
    assert tokens == {"深": 1, "圳": 1, "road": 1, "2023": 1, "hello": 1, "world": 1}


def test_score_body() -> None:
    assert score_body("", "abc") == (0.0, 0.0, 0.0)
    assert score_body("深圳罗湖", "深圳罗湖") == (1.0, 1.0, 1.0)
    precision, recall, f1 = score_body("深圳 罗湖 新闻", "深圳罗湖")
    assert (precision, recall) == (pytest.approx(4 / 6), 1.0)
    assert f1 == pytest.approx(0.8)


def test_score_title_authors_date() -> None:
    assert score_title("罗湖怎么样（罗湖区穷吗）", "罗湖怎么样(罗湖区穷吗)") == 1.0
    assert score_title(None, "x") == 0.0
    assert score_authors(["记者 王五", "李四"], ["王五"]) == (pytest.approx(2 / 3), None)
    assert score_authors(["By Jane Doe"], ["jane doe"]) == (1.0, None)
    assert score_authors(["王五"], []) == (None, 1.0)
    assert score_authors([], []) == (None, 0.0)
    assert score_date("2019-09-23T10:00:00+08:00", "2019-09-23") == 1.0
    assert score_date("2019-09-24", "2019-09-23") == 0.0
    assert score_date("2019-09-24", "2019-09") == 1.0
    assert score_date(None, "2019-09") == 0.0


def write_page(
    root: Path, set_name: str, page_id: str, html: str, label: dict[str, object]
) -> None:
    (root / set_name).mkdir(parents=True, exist_ok=True)
    (root / set_name / f"{page_id}.html").write_text(html, encoding="utf-8")
    (root / set_name / f"{page_id}.json").write_text(json.dumps(label), encoding="utf-8")


def make_corpus(root: Path) -> None:
    paras = "".join(
        f"<p>第{i}段：罗湖区推进城市更新，改善居民生活环境，吸引更多企业落户。</p>"
        for i in range(5)
    )
    body = "\n".join(
        f"第{i}段：罗湖区推进城市更新，改善居民生活环境，吸引更多企业落户。" for i in range(5)
    )
    write_page(
        root,
        "zh_set",
        "p1",
        ARTICLE.format(lang="zh-CN", title="罗湖城市更新提速", paras=paras),
        {
            "url": "http://x.example/1.html",
            "title": "罗湖城市更新提速",
            "author": ["王五"],
            "date": "2023-05-12",
            "body": body,
        },
    )
    write_page(
        root,
        "zh_set",
        "p2",
        ARTICLE.format(lang="zh-CN", title="另一篇报道", paras=paras),
        {"url": None, "title": None, "author": [], "date": None, "body": body},
    )
    en = "<p>" + "The council approved the plan after a long debate. " * 6 + "</p>"
    write_page(
        root,
        "en_set",
        "p3",
        "<html><head><title>Plan approved</title></head>"
        f"<body><h1>Plan approved</h1>{en}</body></html>",
        {
            "url": "https://y.example/a",
            "title": None,
            "author": None,
            "date": None,
            "body": "The council approved the plan after a long debate. " * 6,
        },
    )


def test_evaluate_corpus_without_manifest(tmp_path: Path) -> None:
    make_corpus(tmp_path)
    calls: list[tuple[int, int]] = []
    report = evaluate_corpus(
        tmp_path, with_baseline=False, progress=lambda i, n: calls.append((i, n))
    )
    assert calls[-1] == (3, 3)
    assert set(report.groups) == {"ours"}
    ours = report.groups["ours"]
    assert ours["lang:zh"].pages == 2
    assert ours["lang:en"].pages == 1
    assert ours["set:zh_set"].title == [1.0]
    # p1 names 王五 (F1 1.0); p2 is labelled [] but its page credits 王五: spurious.
    assert ours["set:zh_set"].author_f == [1.0]
    assert ours["set:zh_set"].spurious == [1.0]
    assert ours["set:zh_set"].date == [1.0]
    assert min(ours["all"].body_f) > 0.9
    table = format_report(report)
    assert "lang:zh" in table
    assert "set:en_set" in table


def test_manifest_gives_sets_and_languages(tmp_path: Path) -> None:
    make_corpus(tmp_path)
    (tmp_path / "manifest.tsv").write_text(
        "split\tset\tid\tlang\ndev\tzh_set\tp1\tzh\ndev\ten_set\tp3\tde\n",
        encoding="utf-8",
    )
    pages = iter_corpus(tmp_path)
    assert [(p.set_name, p.page_id, p.language) for p in pages] == [
        ("zh_set", "p1", "zh"),
        ("en_set", "p3", "de"),
    ]
    report = evaluate_corpus(tmp_path, with_baseline=True)
    assert set(report.groups) == {"ours", "trafilatura"}
    assert report.groups["trafilatura"]["lang:other"].pages == 1
    assert "speed ratio ours/trafilatura" in format_report(report)


def test_site_halves_keep_one_site_in_one_half() -> None:
    # Every spelling of one site lands in the same half, and both halves are used.
    for spellings in (
        ["sina.com.cn", "news.sina.com.cn", "sina", "http://www.sina.com.cn/x.html"],
        ["xinhuanet.com", "xinhuanet", "www.xinhuanet.com"],
    ):
        assert len({site_half(s) for s in spellings}) == 1, spellings
    assert site_key("https://news.sina.com.cn/c/1.shtml") == "sina"
    halves = {site_half(f"site{n}.example") for n in range(40)}
    assert halves == {"A", "B"}


def test_pages_below_the_baseline_are_counted_per_group() -> None:
    report = EvalReport()
    for system, body in (("ours", 0.90), ("trafilatura", 0.95)):
        report.add(
            system,
            ("all", "lang:en"),
            PageScore("p1", (1.0, body, body), None, None, None, None, 0.1),
        )
    for system, body in (("ours", 0.99), ("trafilatura", 0.99)):
        report.add(
            system,
            ("all", "lang:zh"),
            PageScore("p2", (1.0, body, body), None, None, None, None, 0.1),
        )
    below = pages_below(report)
    assert below["all"] == 1
    assert below["lang:en"] == 1
    assert below["lang:zh"] == 0
    table = format_report(report)
    assert "<traf" in table
    assert [
        line.split()[-1]
        for line in table.splitlines()
        if line.startswith("lang:en") and "ours" in line
    ] == ["1"]
