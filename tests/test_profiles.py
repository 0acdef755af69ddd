"""Site profiles: a valid file loads with every field; every kind of error is one line that
names the file, the line and the field; the bundled examples load."""

from __future__ import annotations

import ast
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.profiles import (
    Alerts,
    Politeness,
    Profile,
    ProfileError,
    check_profiles,
    find_profile,
    load_profiles,
)

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "profiles"
EXAMPLES = ROOT / "examples"


def write(tmp_path: Path, text: str, name: str = "profiles.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


# --- a valid file ----------------------------------------------------------------------------


def test_valid_file_loads_every_field() -> None:
    full, _minimal = load_profiles(FIXTURES / "valid.toml")

    assert full.name == "luohu-gov"
    assert full.start_urls == (
        "http://www.szlh.gov.cn/xxgk/xwzx/lhyw/",
        "http://www.szlh.gov.cn/xxgk/xwzx/jddt/",
    )
    assert full.feeds == ("https://feeds.example.com/luohu.xml",)
    assert full.sitemaps == ("http://www.szlh.gov.cn/sitemap.xml",)
    assert full.allowed_hosts == ("szlh.gov.cn", "feeds.example.com")
    assert [p.pattern for p in full.article_patterns] == [r"/content/post_\d+\.html$"]
    assert [p.pattern for p in full.follow_patterns] == [
        r"/xxgk/xwzx/\w+/(?:index(?:_\d+)?\.html)?$"
    ]
    assert full.max_depth == 3
    assert full.max_pages == 500
    assert full.keywords == ("罗湖", "ＬＵＯＨＵ")
    assert full.timezone == "Asia/Hong_Kong"
    assert full.zone == ZoneInfo("Asia/Hong_Kong")
    assert full.schedule == "30 7 * * 1-5"
    assert full.recheck_after_days == 14
    assert full.politeness == Politeness(
        download_delay=2.5,
        concurrency_per_host=1,
        autothrottle=False,
        user_agent="newsarchive-test/1.0 (+https://example.com/contact)",
    )
    assert full.alerts == Alerts(
        min_articles=20,
        min_author_share=0.8,
        min_date_share=1.0,
        max_error_share=0.1,
        min_sample=10,
        webhook="https://hooks.example.com/newsarchive?token=abc",
    )
    assert full.alerts.enabled


def test_left_out_keys_take_their_defaults() -> None:
    minimal = load_profiles(FIXTURES / "valid.toml")[1]
    assert minimal == Profile(
        name="demo_portal",
        start_urls=("http://127.0.0.1:8080/news/",),
        allowed_hosts=("127.0.0.1",),  # from the start URL, without its port
    )
    assert minimal.timezone == "Asia/Shanghai"
    assert minimal.recheck_after_days == 7
    assert minimal.schedule is None
    assert minimal.politeness == Politeness()
    assert minimal.alerts == Alerts()
    assert not minimal.alerts.enabled
    assert minimal.alerts.min_sample == 5


def test_profiles_are_frozen() -> None:
    profile = load_profiles(FIXTURES / "valid.toml")[0]
    with pytest.raises(AttributeError):
        profile.name = "other"  # type: ignore[misc]


def test_settings_overrides_map_politeness_and_limits() -> None:
    full, minimal = load_profiles(FIXTURES / "valid.toml")
    assert full.settings_overrides() == {
        "DOWNLOAD_DELAY": 2.5,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
        "AUTOTHROTTLE_ENABLED": False,
        "USER_AGENT": "newsarchive-test/1.0 (+https://example.com/contact)",
        "NEWSARCHIVE_MAX_PAGES": 500,
        "CLOSESPIDER_PAGECOUNT": 500,
        "DEPTH_LIMIT": 3,
    }
    # Nothing set: the project's settings apply.
    assert minimal.settings_overrides() == {}


def test_url_patterns_classify_or_defer() -> None:
    full, minimal = load_profiles(FIXTURES / "valid.toml")
    article = "http://www.szlh.gov.cn/xxgk/xwzx/lhyw/content/post_11223344.html"
    listing = "http://www.szlh.gov.cn/xxgk/xwzx/lhyw/index_2.html"
    assert full.is_article_url(article) is True
    assert full.is_article_url(listing) is False
    assert full.should_follow(listing) is True
    assert full.should_follow("http://www.szlh.gov.cn/xxgk/xwzx/lhyw/") is True
    assert full.should_follow(article) is False
    # No patterns: None, so that the crawler's own URL rules decide.
    assert minimal.is_article_url(article) is None
    assert minimal.should_follow(listing) is None


def test_allowed_hosts_include_subdomains_and_ignore_ports() -> None:
    full, minimal = load_profiles(FIXTURES / "valid.toml")
    assert full.allows_host("http://www.szlh.gov.cn/a.html")
    assert full.allows_host("http://szlh.gov.cn/a.html")
    assert not full.allows_host("http://szlh.gov.cn.evil.example/a.html")
    assert not full.allows_host("http://notszlh.gov.cn/a.html")
    assert minimal.allows_host("http://127.0.0.1:9999/news/1.html")
    assert not minimal.allows_host("http://127.0.0.2:8080/news/1.html")


def test_keywords_match_case_insensitively_after_nfkc() -> None:
    full, minimal = load_profiles(FIXTURES / "valid.toml")
    assert full.matches_keywords("深圳罗湖区举行活动", "")
    assert full.matches_keywords(None, "A visit to Luohu district")  # ＬＵＯＨＵ -> luohu
    assert full.matches_keywords("ＬＵＯＨＵ", None)
    assert not full.matches_keywords("福田区新闻", "南山区也有新闻")
    assert not full.matches_keywords(None, None)
    assert minimal.matches_keywords("anything", "at all")  # no keywords: keep everything


def test_next_run_is_computed_in_the_profiles_time_zone() -> None:
    full = load_profiles(FIXTURES / "valid.toml")[0]  # "30 7 * * 1-5", Asia/Hong_Kong
    friday_evening_utc = datetime(2024, 5, 24, 12, 0, tzinfo=ZoneInfo("UTC"))
    nxt = full.next_run_after(friday_evening_utc)
    assert nxt == datetime(2024, 5, 27, 7, 30, tzinfo=ZoneInfo("Asia/Hong_Kong"))
    assert nxt is not None
    assert nxt.utcoffset() is not None
    # Strictly after: at a fire time, the next one is returned.
    assert full.next_run_after(nxt) == datetime(
        2024, 5, 28, 7, 30, tzinfo=ZoneInfo("Asia/Hong_Kong")
    )
    assert load_profiles(FIXTURES / "valid.toml")[1].next_run_after(friday_evening_utc) is None


def test_cron_names_are_expanded(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[profiles]]
        name = "a"
        start_urls = ["https://a.example/"]
        schedule = "@hourly"
        politeness = { download_delay = 1, autothrottle = true }
        """,
    )
    (profile,) = load_profiles(path)
    assert profile.schedule == "0 * * * *"
    assert profile.politeness == Politeness(download_delay=1.0, autothrottle=True)


def test_find_profile_names_the_known_ones() -> None:
    profiles = load_profiles(FIXTURES / "valid.toml")
    assert find_profile(profiles, "demo_portal").name == "demo_portal"
    with pytest.raises(
        ProfileError, match=r'no profile named "luohu_gov"; did you mean "luohu-gov"'
    ):
        find_profile(profiles, "luohu_gov")


# --- errors ----------------------------------------------------------------------------------

GOOD_HEAD = """
[[profiles]]
name = "first"
start_urls = ["https://a.example/"]

[[profiles]]
name = "second"
"""
# In every case below the problem is in the second profile, whose header is on line 5.

ERROR_CASES = [
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nmax_pages = "ten"\n',
        8,
        "profiles[1].max_pages",
        'expected a whole number ≥ 0, got "ten"',
        id="wrong-type",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nmax_depth = -1\n',
        8,
        "profiles[1].max_depth",
        "expected a whole number ≥ 0, got -1",
        id="negative",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nmax_pages = true\n',
        8,
        "profiles[1].max_pages",
        "expected a whole number ≥ 0, got true",
        id="bool-is-not-a-number",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nstart_url = "x"\n',
        8,
        "profiles[1].start_url",
        'unknown key; did you mean "start_urls"?',
        id="unknown-key",
    ),
    pytest.param(
        GOOD_HEAD + "start_urls = [\n  'https://b.example/',\n  'ftp://b.example/x',\n]\n",
        9,
        "profiles[1].start_urls[1]",
        'not http or https; expected an http(s) URL, got "ftp://b.example/x"',
        id="bad-url-in-multiline-list",
    ),
    pytest.param(
        GOOD_HEAD + 'feeds = "https://b.example/rss"\n',
        7,
        "profiles[1].feeds",
        'expected a list of http(s) URLs, e.g. ["https://b.example/rss"]',
        id="string-for-list",
    ),
    pytest.param(
        GOOD_HEAD + "start_urls = [\"https://b.example/\"]\narticle_patterns = ['(post_\\d+']\n",
        8,
        "profiles[1].article_patterns[0]",
        'bad regular expression "(post_\\\\d+": missing ), unterminated subpattern',
        id="bad-regex",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nschedule = "0 * * *"\n',
        8,
        "profiles[1].schedule",
        "4 fields; expected a cron expression of 5 fields",
        id="cron-field-count",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nschedule = "0 25 * * *"\n',
        8,
        "profiles[1].schedule",
        "bad hour; expected a cron expression of 5 fields (minute hour day month weekday)",
        id="cron-bad-hour",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nschedule = "0 0 31 2 *"\n',
        8,
        "profiles[1].schedule",
        "bad day-of-month",
        id="cron-never-fires",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\ntimezone = "Asia/Shangai"\n',
        8,
        "profiles[1].timezone",
        'unknown time zone "Asia/Shangai"; did you mean "Asia/Shanghai"?',
        id="bad-timezone",
    ),
    pytest.param(
        GOOD_HEAD.replace('name = "second"', 'name = "first"') + 'feeds = ["https://b.example/"]\n',
        6,
        "profiles[1].name",
        'duplicate name "first" (profiles[0] on line 2 has it); expected a name used once',
        id="duplicate-name",
    ),
    pytest.param(
        GOOD_HEAD.replace('name = "second"', 'name = "Second Site"')
        + 'feeds = ["https://b.example/"]\n',
        6,
        "profiles[1].name",
        'expected a name of lower-case letters, digits, _ and - ([a-z0-9_-]+), got "Second Site"',
        id="bad-name",
    ),
    pytest.param(
        GOOD_HEAD.replace('name = "second"\n', "") + 'start_urls = ["https://b.example/"]\n',
        5,
        "profiles[1].name",
        "missing; expected a name",
        id="missing-name",
    ),
    pytest.param(
        GOOD_HEAD + "max_pages = 3\n",
        5,
        "profiles[1]",
        "no source; expected at least one of start_urls, feeds, sitemaps",
        id="missing-source",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.politeness]\n'
        + "download_delay = 1\nobey_robots_txt = false\n",
        11,
        "profiles[1].politeness.obey_robots_txt",
        "not configurable: newsarchive always obeys robots.txt; remove this key",
        id="robots-txt",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.politeness]\n'
        + "concurrency_per_host = 0\n",
        10,
        "profiles[1].politeness.concurrency_per_host",
        "expected a whole number ≥ 1, got 0",
        id="politeness-subtable",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\npoliteness = { download_delay = "slow" }\n',
        8,
        "profiles[1].politeness.download_delay",
        'expected a number of seconds ≥ 0, got "slow"',
        id="politeness-inline",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.politeness]\n'
        + "autothrotle = true\n",
        10,
        "profiles[1].politeness.autothrotle",
        'unknown key; did you mean "autothrottle"?',
        id="politeness-unknown-key",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.alerts]\n'
        + "min_articles = 3\nmin_author_share = 80\n",
        11,
        "profiles[1].alerts.min_author_share",
        "expected a share between 0 and 1 (0.8 for 80%), got 80",
        id="alerts-share-out-of-range",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nalerts = { max_error_share = "10%" }\n',
        8,
        "profiles[1].alerts.max_error_share",
        'expected a share between 0 and 1 (0.8 for 80%), got "10%"',
        id="alerts-inline",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.alerts]\n'
        + "min_article = 3\n",
        10,
        "profiles[1].alerts.min_article",
        'unknown key; did you mean "min_articles"?',
        id="alerts-unknown-key",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.alerts]\n'
        + "min_articles = 3\nmin_sample = 0\n",
        11,
        "profiles[1].alerts.min_sample",
        "expected a whole number ≥ 1, got 0",
        id="alerts-min-sample",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.alerts]\n'
        + 'min_articles = 3\nwebhook = "hooks.example.com/x"\n',
        11,
        "profiles[1].alerts.webhook",
        'no scheme; expected an http(s) URL such as "https://hooks.example.com/newsarchive"',
        id="alerts-webhook-url",
    ),
    pytest.param(
        GOOD_HEAD
        + 'start_urls = ["https://b.example/"]\n\n[profiles.alerts]\n'
        + 'webhook = "https://hooks.example.com/x"\n',
        10,
        "profiles[1].alerts.webhook",
        "a webhook without a threshold is never called",
        id="alerts-webhook-alone",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nalerts = 0.5\n',
        8,
        "profiles[1].alerts",
        "expected a table ([profiles.alerts] or alerts = {min_author_share = 0.5}), got 0.5",
        id="alerts-not-a-table",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\ndownload_delay = 2\n',
        8,
        "profiles[1].download_delay",
        "belongs in the politeness table",
        id="politeness-key-at-top",
    ),
    pytest.param(
        GOOD_HEAD + 'start_urls = ["https://b.example/"]\nallowed_hosts = ["https://b.example/"]\n',
        8,
        "profiles[1].allowed_hosts[0]",
        "expected a host name such as www.szlh.gov.cn (no scheme, port or path)",
        id="bad-host",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "problem"), ERROR_CASES)
def test_each_error_names_file_line_and_field_in_one_line(
    tmp_path: Path, text: str, line: int, field: str, problem: str
) -> None:
    path = write(tmp_path, text)
    errors = check_profiles(path)
    assert len(errors) == 1, errors
    (error,) = errors
    assert "\n" not in error
    assert error.startswith(f"{path}:{line}: {field}: "), error
    assert problem in error
    with pytest.raises(ProfileError) as raised:
        load_profiles(path)
    assert str(raised.value) == error


def test_toml_syntax_error_keeps_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[profiles]]
        name = "a"
        start_urls = ["https://a.example/"]
        max_pages = 10 pages
        """,
    )
    (error,) = check_profiles(path)
    assert error.startswith(f"{path}:4: TOML syntax error at column 16: "), error
    assert "\n" not in error


def test_every_error_is_reported_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [unknown_table]
        x = 1

        [[profiles]]
        name = "a"
        start_urls = ["https://a.example/"]
        max_pages = "ten"
        schedule = "every hour"

        [profiles.politeness]
        user_agent = ""
        """,
    )
    errors = check_profiles(path)
    assert [e.split(": ")[0].rsplit(":", 1)[1] for e in errors] == ["1", "7", "8", "11"]
    assert [e.split(": ")[1] for e in errors] == [
        "unknown_table",
        "profiles[0].max_pages",
        "profiles[0].schedule",
        "profiles[0].politeness.user_agent",
    ]
    with pytest.raises(ProfileError) as raised:
        load_profiles(path)
    assert str(raised.value) == errors[0] + " (and 3 more errors)"
    assert raised.value.errors == errors


def test_comments_and_multiline_strings_do_not_confuse_line_numbers(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '''
        # max_pages = 1   (a comment, not the key)
        [[profiles]]
        name = "a"
        start_urls = ["https://a.example/"]
        keywords = ["""
        max_pages = 5
        """]
        max_pages = 1.5
        ''',
    )
    (error,) = check_profiles(path)
    assert error.startswith(f"{path}:8: profiles[0].max_pages: expected a whole number"), error


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "profiles.toml:1: profiles: no [[profiles]] table; expected at least one"),
        (
            '[[profile]]\nname = "a"\n',
            'profiles.toml:1: profile: unknown top-level key; did you mean "profiles"?',
        ),
    ],
)
def test_file_level_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    errors = check_profiles(path)
    assert errors[0].startswith(f"{tmp_path}/{expected}"), errors


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    assert check_profiles(missing) == [
        f"{missing}: cannot read the profile file: No such file or directory"
    ]
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes('[[profiles]]\nname = "罗湖"\n'.encode("gbk"))
    (error,) = check_profiles(gbk)
    assert error.startswith(f"{gbk}:2: not UTF-8"), error


# --- the bundled examples --------------------------------------------------------------------


def test_shenzhen_example_loads() -> None:
    path = EXAMPLES / "shenzhen.toml"
    assert check_profiles(path) == []
    profiles = load_profiles(path)
    names = {p.name for p in profiles}
    assert {"luohu-gov", "futian-gov", "nanshan-gov", "sznews"} <= names
    assert all(p.schedule is not None for p in profiles)
    assert all(p.timezone == "Asia/Shanghai" for p in profiles)
    assert any("罗湖" in p.keywords for p in profiles)
    luohu = find_profile(profiles, "luohu-gov")
    assert luohu.allowed_hosts == ("www.szlh.gov.cn",)
    assert luohu.is_article_url("http://www.szlh.gov.cn/xxgk/xwzx/lhyw/content/post_11223344.html")
    assert luohu.should_follow("http://www.szlh.gov.cn/xxgk/xwzx/lhyw/index_2.html")
    assert "NOT VERIFIED" in path.read_text(encoding="utf-8")


def test_examples_readme_documents_every_key() -> None:
    from crawler.profiles import ALERT_KEYS, POLITENESS_KEYS, PROFILE_KEYS

    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for key in (*PROFILE_KEYS, *POLITENESS_KEYS, *ALERT_KEYS):
        assert f"| `{key}` |" in readme, key


def test_profiles_module_is_pure() -> None:
    tree = ast.parse((ROOT / "crawler" / "profiles.py").read_text(encoding="utf-8"))
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert not {m for m in imported if m.split(".")[0] in {"scrapy", "twisted"}}
