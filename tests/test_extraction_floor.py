"""The body of non-Chinese pages: trafilatura's text minus safe removals (floor.py).

Generated pages put an invented English (or other Latin-script) article among the kinds of
boilerplate floor.py removes, in several markups; the article's every paragraph, list item and
table row must stay, and the boilerplate must go. Line kinds are checked one by one against
many variants and against article sentences that resemble them.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from trafilatura import bare_extraction

from crawler.extraction import extract_page
from crawler.extraction.clean import is_boilerplate_line, is_date_stamp, is_own_url_line
from crawler.extraction.floor import drop_link_lists, floor_lines

FETCHED_AT = datetime(2024, 6, 3, 12, 0, tzinfo=UTC)
URL = "https://www.riverside.example/news/2024/05/20/cycle-path.html"
SITE = "www.riverside.example"

PARAGRAPHS = [
    "The city council voted on Tuesday to approve a four-kilometre cycle path along the river, "
    "linking the old town with the new business district.",
    "Construction is expected to begin in the spring and to take about eighteen months, "
    "according to the council's transport committee.",
    "Residents who spoke at the public hearing mostly welcomed the plan, although several "
    "shop owners raised concerns about parking during the works.",
    "More than 600 people signed a petition in favour of the path last year, the committee "
    "said in its report published on 2024-05-02.",
    "Published in 2019, the council's transport strategy first proposed a riverside route.",
]
SITES = ["The Riverside Gazette", "Harbour Daily", "IndieWire", "Fox Business", "Our Town"]
HEADLINES = [
    "Schools prepare for the new term",
    "Mayor opens the harbour festival",
    "Bus fares frozen for another year",
    "Library extends weekend hours",
    "New bridge closes for repairs",
]

# --------------------------------------------------------------------------- line kinds

BOILERPLATE_LINES = [
    *(f"Click here to subscribe to {s} Newsletter" for s in SITES),
    *(f"Sign up for the {s} newsletter and get the news first" for s in SITES),
    *(f"GET {s.upper()} ON THE GO BY CLICKING HERE" for s in SITES),
    *(
        f"Sign Up: Stay on top of the latest news! Sign up for our {s} Newsletters here."
        for s in SITES
    ),
    "Follow us on Twitter",
    "Download our app for breaking news alerts",
    *(
        f"{label}: {h}"
        for label, h in itertools.product(
            [
                "Related",
                "READ MORE",
                "See also",
                "Read also",
                "MORE",
                "Related coverage",
                "相关阅读",
            ],
            HEADLINES,
        )
    ),
    *(f"Popular on {s}" for s in SITES),
    *(f"More from {s}" for s in SITES),
    "You may also like...",
    "Related stories",
    "Published 18 November 2019",
    "- Published 18 November 2019",
    "Updated: Nov. 19, 2019 10:21 a.m. ET",
    "Posted on 2019-11-19",
    "Last updated 3 March 2021 at 14:05",
    "Published Tuesday, May 21, 2024",
    "Published 20 May 2024 · By Staff Reporter",
    "By Jane Doe | Updated: 21 May 2024 10:05 BST",
    "May 20, 2024 10:30 AM",
    "20 May 2024",
    "2 hours ago",
    "Updated 5 mins ago",
    "By Staff Reporter",
    "BY JANE DOE and JOHN ROE",
    "By Jane Doe, Reuters",
    "기사입력 :[ 2018-08-25 15:24 ]",
    "Stand: 2019-11-19 10:21",
    "2024-05-20 10:30",
    URL,
    f"URL: {URL}",
    "本文链接：http://riverside.example/news/2024/05/20/cycle-path.html",
    "Advertisement",
    "- Order Reprints",
    "- Print Article",
    "Skip Advertisement",
    "Listen to this article",
    "An error has occurred, please try again later.",
    "Thank you",
    "This copy is for your personal, non-commercial use only. To order copies, visit us.",
    "This material may not be published, broadcast, rewritten or redistributed.",
    *(f"Follow {s} on Facebook, Twitter and Instagram." for s in SITES),
    "Have a tip? Jane Doe may be reached at jane@riverside.example.",
    "Tell us what YOU think...",
    "Join the conversation",
    '[button link="http://riverside.example/submit/" type="big"] Send us your review',
    "Get The Riverside Gazette delivered every month. 12 issues for £11.99. Click here for more",
    "sexta-feira, 22 de outubro de 2010 às 20:13",
    "Montag, 20. Mai 2024, 10:30 Uhr",
    "© 2024 Riverside Media Group. All rights reserved.",
    "Privacy Policy | Terms of Use | Cookie Settings",
    "Share this article",
]

ARTICLE_LINES = [
    *PARAGRAPHS,
    "Related to this, the council will review bus routes in the autumn.",
    "More than half of the residents asked said they would use the path every week.",
    "Watch the video below to see the planned route.",
    "The meeting on 2019-11-19 approved the plan after a long debate.",
    "Election day 2019-11-05",
    "Readers can sign up for updates on the project at the library desk, officials said.",
    "She said the newsletter had reached 20,000 subscribers by the end of the year.",
    "Published in 2019 by Penguin, the book sold a million copies.",
    "By the numbers",
    "Thank you for the support, the mayor told the volunteers.",
    "Close to 600 people attended the hearing on Tuesday evening.",
    "Comments from residents were mostly positive, the report said.",
    "The print edition sold out by noon.",
    "Share prices rose 3% on Tuesday after the announcement.",
    "Follow the river path for two miles to reach the old bridge.",
    "He followed the debate on Twitter until late in the night.",
    "The meeting ended at 20:13 on a cold night in 2010, officials said.",
    "Kickoff at 20:00 on Saturday",
    "By the end of May 2024, the path will be open.",
    "By 2030 the city wants half of all trips made by bike.",
    "2024 was the wettest year on record.",
    "https://www.other-site.example/report.pdf",
    "http://amzn.to/2iJFhRj",
    "The court ruled that the copyright belonged to the photographer.",
    "Pos. Player Points Wins",
]


@pytest.mark.parametrize("line", BOILERPLATE_LINES)
def test_boilerplate_kinds(line: str) -> None:
    assert is_boilerplate_line(line, SITE), line


@pytest.mark.parametrize("line", ARTICLE_LINES)
def test_article_lines_are_no_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line, SITE), line


def test_date_stamp_and_own_url() -> None:
    assert is_date_stamp("기사입력 :[ 2018-08-25 15:24 ]")
    assert not is_date_stamp("2024-05-20 to 2024-05-27")  # two dates: a range, not a stamp
    assert is_own_url_line("https://riverside.example/a", "www.riverside.example")
    assert is_own_url_line("http://m.riverside.example/a", "riverside.example:8080")
    assert not is_own_url_line("https://other.example/a", "riverside.example")
    assert not is_own_url_line("see https://riverside.example/a for more", "riverside.example")


def test_link_lists_go_and_lone_links_stay() -> None:
    teasers = [f"- {h} A short summary of the story follows here" for h in HEADLINES]
    lines = [PARAGRAPHS[0], *teasers, PARAGRAPHS[1], f"- {HEADLINES[0]}", PARAGRAPHS[2]]
    assert drop_link_lists(lines, HEADLINES) == [
        PARAGRAPHS[0],
        PARAGRAPHS[1],
        f"- {HEADLINES[0]}",
        PARAGRAPHS[2],
    ]
    # A list of items with a link inside the sentence is the article's own list.
    own = [f"- The report by {s} is online, and it covers the whole district." for s in SITES]
    assert drop_link_lists(own, SITES) == own
    assert floor_lines("\n".join([PARAGRAPHS[0], *teasers]), frozenset(HEADLINES), SITE) == [
        PARAGRAPHS[0]
    ]


# --------------------------------------------------------------------------- pages


def _related(markup: str) -> str:
    if markup == "teasers":
        items = "".join(
            f"<li><h3><a href='/n/{i}.html'>{h}</a></h3><h4>A short summary of the story.</h4></li>"
            for i, h in enumerate(HEADLINES)
        )
        return f"<ul class='latest-box'>{items}</ul>"
    if markup == "headed":
        items = "".join(f"<li><a href='/n/{i}.html'>{h}</a></li>" for i, h in enumerate(HEADLINES))
        return f"<div class='more'><h2>Most read</h2><ul>{items}</ul></div>"
    if markup == "inline":
        return "".join(f"<p><a href='/n/{i}.html'>{h}</a></p>" for i, h in enumerate(HEADLINES[:4]))
    raise ValueError(markup)


def _extras(kind: str) -> str:
    if kind == "cta":
        return (
            "<p><a href='/newsletter'>Click here to subscribe to The Riverside Newsletter</a></p>"
        )
    if kind == "related_line":
        return f"<p><strong>READ MORE:</strong> <a href='/n/9.html'>{HEADLINES[2]}</a></p>"
    if kind == "stamp":
        return "<p>Published 20 May 2024</p>"
    if kind == "own_url":
        return f"<p>{URL}</p>"
    raise ValueError(kind)


def english_page(related: str, extra: str, *, table: bool, listing: bool, comments: bool) -> str:
    paragraphs = [
        f"<p>{p.replace('cycle path', '<!-- -->cycle<!-- --> path')}</p>" for p in PARAGRAPHS
    ]
    body = "".join(paragraphs[:2]) + _extras(extra) + "".join(paragraphs[2:])
    if table:
        rows = "".join(
            f"<tr><td>{n}</td><td><a href='/p/{n}'>Rider {n}</a></td><td>{100 - n}</td></tr>"
            for n in range(1, 6)
        )
        body += f"<table><tr><th>Pos.</th><th>Rider</th><th>Points</th></tr>{rows}</table>"
    if listing:
        body += (
            "<p>The plan sets out three phases:</p><ul><li>a survey of the riverbank in June;</li>"
            "<li>the <a href='/plan'>detailed design</a> over the summer;</li>"
            "<li>construction from the spring.</li></ul>"
        )
    comment_box = (
        "<div class='comments'><h3>Comments</h3><p>jim42: Great news, finally!</p></div>"
        if comments
        else ""
    )
    nav = "".join(f"<li><a href='/{s}/'>{s}</a></li>" for s in ("News", "Sport", "Business"))
    return (
        "<html><head><meta charset='utf-8'><title>Council approves riverside cycle path | "
        "The Riverside Gazette</title></head><body>"
        f"<nav><ul>{nav}</ul></nav><article><h1>Council approves riverside cycle path</h1>"
        f"<p class='byline'>By Jane Doe</p><div class='story'>{body}</div></article>"
        f"{_related(related)}{comment_box}"
        "<footer><p>© 2024 Riverside Media Group. All rights reserved.</p>"
        "<p><a href='/privacy'>Privacy Policy</a> | <a href='/terms'>Terms of Use</a></p>"
        "</footer></body></html>"
    )


CASES = list(
    itertools.product(
        ["teasers", "headed", "inline"],
        ["cta", "related_line", "stamp", "own_url"],
        [False, True],
        [False, True],
    )
)


@pytest.mark.parametrize(("related", "extra", "table", "listing"), CASES)
def test_english_article_keeps_its_text_and_loses_the_boilerplate(
    related: str, extra: str, table: bool, listing: bool
) -> None:
    html = english_page(related, extra, table=table, listing=listing, comments=table)
    result = extract_page(html, URL, fetched_at=FETCHED_AT)
    assert result.article is not None
    text = result.article.text
    for paragraph in PARAGRAPHS:
        assert paragraph in text
    if table:
        assert "1 Rider 1 99" in text
    if listing:
        assert "the detailed design over the summer;" in text
    for junk in [*HEADLINES, "subscribe", "READ MORE", "Published 20 May", URL, "©", "Privacy"]:
        assert junk not in text, junk
    assert "jim42" not in text
    # Never below the library we wrap: every line of bare trafilatura's text that is not
    # boilerplate of a listed kind is in ours.
    reference = bare_extraction(html, url=URL, include_comments=False, deduplicate=False)
    assert reference is not None
    kept = floor_lines(reference.text, frozenset(HEADLINES), SITE)
    for line in kept:
        if line != "Council approves riverside cycle path":
            assert line.lstrip("- ") in text or line.replace("| ", "").strip(" |") in text, line
