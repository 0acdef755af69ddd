"""Stories: the fingerprint of a text, copies across sites sharing a story in the archive
(incremental, earliest first, merged by a bridging copy), the migration that places the
articles of an older archive, and the CLI's ``story`` and ``search --collapse``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from archive.db import ArchiveError, make_engine
from archive.migrations import head_revision, upgrade
from archive.record import ArticleRecord
from archive.store import Archive
from archive.stories import (
    BANDS,
    fingerprint,
    same_story,
    story_similarity,
    story_threshold,
    story_tokens,
)
from newsarchive.cli import main

#: Ten paragraphs of one report: each a distinct sentence, so that a cut one changes the text.
REPORT = [
    f"罗湖区第{n}次城市更新工作推进会召开，会议听取了第{n}批项目的进展情况汇报，"
    f"要求各街道在{n}月底前完成征收补偿方案的公示和签约工作，确保项目按期动工建设。"
    for n in "一二三四五六七八九十"
]
OTHER = [
    f"福田区第{n}届读书月活动在中心书城开幕，市民可以在{n}个分会场参加讲座、展览和"
    f"阅读分享会，主办方还推出了{n}条城市阅读线路，邀请亲子家庭一起走进图书馆。"
    for n in "一二三四五六七八九十"
]


def _record(url: str, body: list[str], *, title: str = "罗湖召开城市更新推进会", **kw: object):
    return ArticleRecord(url=url, title=title, text="\n".join(body), **kw)  # type: ignore[arg-type]


def test_tokens_fold_traditional_and_drop_furniture_and_punctuation() -> None:
    tokens = story_tokens(
        "标题", "标题\n羅湖區召開會議，Metro Line 14 opens.\n责任编辑：王五\n分享到：微信"
    )
    assert tokens == [*"罗湖区召开会议", "metro", "line", "14", "opens"]


def test_copies_with_other_furniture_suffix_and_script_share_a_story() -> None:
    base = fingerprint("罗湖召开城市更新推进会", "\n".join(REPORT))
    copy = fingerprint(
        "罗湖召开城市更新推进会_南方都市报",
        "來源：南方都市报\n" + "\n".join(REPORT[:8]) + "\n（编辑 李明）\n责任编辑：王五",
    )
    assert len(base.buckets) == BANDS
    assert same_story(base, copy, story_threshold())
    assert not same_story(base, fingerprint(None, "\n".join(OTHER)), 0.3)


def test_a_short_brief_inside_a_long_roundup_is_not_its_story() -> None:
    brief = fingerprint(None, "\n".join(REPORT[:3]))
    roundup = fingerprint(None, "\n".join(REPORT[:3] + OTHER))
    assert story_similarity(brief.shingles, roundup.shingles) == 0.0


def test_a_text_too_short_has_no_fingerprint() -> None:
    assert fingerprint(None, "本页面内容正在更新").buckets == ()


def test_the_threshold_setting_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSARCHIVE_STORY_THRESHOLD", "0.85")
    assert story_threshold() == 0.85
    monkeypatch.setenv("NEWSARCHIVE_STORY_THRESHOLD", "high")
    with pytest.raises(ArchiveError, match=r"NEWSARCHIVE_STORY_THRESHOLD='high'.*\(0, 1\]"):
        story_threshold()


def test_copies_across_sites_share_a_story_earliest_first(db_url: str) -> None:
    with Archive(db_url) as archive:
        portal = archive.upsert_article(
            _record(
                "http://portal.example/a.html",
                ["来源：南方都市报", *REPORT],
                published_at="2024-05-21",
                source="南方都市报",
            )
        )
        paper = archive.upsert_article(
            _record(
                "http://paper.example/b.html",
                REPORT,
                title="罗湖召开城市更新推进会_南方都市报",
                published_at="2024-05-20T08:00:00+08:00",
                source="南方都市报",
            )
        )
        district = archive.upsert_article(
            _record("http://district.example/c.html", [*REPORT[:9], "责任编辑：王五"])
        )
        other = archive.upsert_article(_record("http://paper.example/d.html", OTHER))
        ids = {
            r.url: archive.get_article(r.url).story_id  # type: ignore[union-attr]
            for r in (portal, paper, district, other)
        }
        assert set(ids.values()) == {portal.article_id, other.article_id}
        assert ids[other.url] == other.article_id
        story = archive.get_story(portal.article_id)
        assert story is not None
        assert [c.url for c in story.copies] == [paper.url, portal.url, district.url]
        assert story.earliest.published_at == "2024-05-20T08:00:00+08:00"
        assert story.sites == ["paper.example", "portal.example", "district.example"]
        assert story.sources == ["南方都市报"]
        assert archive.get_story(999) is None


def test_a_copy_that_bridges_two_stories_merges_them(db_url: str) -> None:
    """The first half and the second half of a report, each stored alone, are too different
    to be one story; the whole report matches both and merges them into the older one."""
    with Archive(db_url) as archive:
        first = archive.upsert_article(_record("http://a.example/1", REPORT[:6] + OTHER[:2]))
        second = archive.upsert_article(_record("http://b.example/2", REPORT[4:] + OTHER[8:]))
        assert archive.get_article(second.url).story_id == second.article_id  # type: ignore[union-attr]
        seq_before = archive.change_seq()
        whole = archive.upsert_article(_record("http://c.example/3", REPORT + OTHER[:2]))
        stories = {archive.get_article(u).story_id for u in (first.url, second.url, whole.url)}  # type: ignore[union-attr]
        assert stories == {first.article_id}
        # The relabelled article counts as changed for export --since-last.
        with archive.engine.connect() as conn:
            seq = conn.execute(
                text("SELECT change_seq FROM articles WHERE id = :id"), {"id": second.article_id}
            ).scalar_one()
        assert seq > seq_before


def test_an_edited_article_keeps_its_story_and_bands(db_url: str) -> None:
    with Archive(db_url) as archive:
        one = archive.upsert_article(_record("http://a.example/1", REPORT))
        two = archive.upsert_article(_record("http://b.example/2", REPORT[1:]))
        edited = archive.upsert_article(_record("http://b.example/2", [*REPORT[1:], REPORT[0]]))
        assert edited.outcome == "updated"
        assert archive.get_article(two.url).story_id == one.article_id  # type: ignore[union-attr]
        with archive.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT count(*) FROM story_bands WHERE article_id = :id"),
                {"id": two.article_id},
            ).scalar_one()
        assert rows == BANDS


def test_import_places_articles_in_stories(db_url: str, tmp_path: object) -> None:
    from archive.reading import ArticleVersion

    with Archive(db_url) as archive:
        versions = [
            ArticleVersion(_record("http://a.example/1", REPORT), 1),
            ArticleVersion(_record("http://b.example/2", REPORT[:9]), 1),
            ArticleVersion(_record("http://c.example/3", OTHER), 1),
        ]
        archive.import_versions(versions)
        ids = [archive.get_article(v.record.url).story_id for v in versions]  # type: ignore[union-attr]
        assert ids[0] == ids[1] != ids[2]


def test_0006_places_the_articles_already_archived(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0005_run_site_health")
    now = datetime(2024, 5, 20, tzinfo=UTC)
    with engine.begin() as conn:
        for n, (site, body) in enumerate(
            [("a.example", REPORT), ("b.example", REPORT[:9]), ("c.example", OTHER)], 1
        ):
            conn.execute(
                text(
                    "INSERT INTO articles (url, site, title, text, authors, bylines, tags,"
                    " fetched_at, content_hash, extractor_version, revision, first_seen_at,"
                    " updated_at, change_seq) VALUES (:url, :site, 't', :text, '[]', '[]',"
                    " '[]', :now, 'h', 'x', 1, :now, :now, 0)"
                ),
                {
                    "url": f"http://{site}/{n}",
                    "site": site,
                    "text": "\n".join(body),
                    "now": now,
                },
            )
    calls: list[tuple[int, int]] = []
    before, after = upgrade(engine, story_progress=lambda d, t: calls.append((d, t)))
    assert (before, after) == ("0005_run_site_health", head_revision())
    assert calls == [(3, 3)]
    with engine.connect() as conn:
        stories = dict(conn.execute(text("SELECT id, story_id FROM articles")).all())  # type: ignore[arg-type]
    engine.dispose()
    assert stories == {1: 1, 2: 1, 3: 3}
    with Archive(db_url) as archive:  # a later copy joins the story of the migrated ones
        later = archive.upsert_article(_record("http://d.example/4", REPORT[1:]))
        assert archive.get_article(later.url).story_id == 1  # type: ignore[union-attr]


def test_cli_story_collapse_and_reindex(sqlite_url: str) -> None:
    with Archive(sqlite_url) as archive:
        first = archive.upsert_article(
            _record(
                "http://paper.example/1", REPORT, published_at="2024-05-20", source="南方都市报"
            )
        )
        archive.upsert_article(
            _record("http://portal.example/2", REPORT[:9], published_at="2024-05-21")
        )
        archive.upsert_article(
            _record("http://gov.example/3", REPORT[1:], published_at="2024-05-22")
        )
        archive.upsert_article(_record("http://paper.example/4", OTHER, title="罗湖读书月"))
    runner = CliRunner()
    result = runner.invoke(main, ["search", "罗湖", "--collapse", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert result.output.count("also in 2 sites") == 1
    assert result.output.count("\n1. ") + result.output.startswith("1. ") == 1
    assert "2. " in result.output
    assert "3. " not in result.output
    result = runner.invoke(main, ["search", "罗湖", "--json", "--db", sqlite_url])
    hits = [json.loads(line) for line in result.output.splitlines()]
    assert sorted(h["story_id"] for h in hits) == [1, 1, 1, 4]
    result = runner.invoke(main, ["story", str(first.article_id), "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("story 1: 3 copies on 3 sites, first published 2024-05-20 by paper.example")
    assert lines[1].startswith("2024-05-20 · paper.example (南方都市报) · ")
    assert [line.split(" · ")[1] for line in lines[1::2]] == [
        "paper.example (南方都市报)",
        "portal.example",
        "gov.example",
    ]
    result = runner.invoke(main, ["story", "http://gov.example/3", "--json", "--db", sqlite_url])
    data = json.loads(result.output)
    assert data["story_id"] == 1
    assert data["sites"] == ["paper.example", "portal.example", "gov.example"]
    result = runner.invoke(main, ["story", "77", "--db", sqlite_url])
    assert result.exit_code == 1
    assert result.output.startswith("error: no story 77 in this archive")
    result = runner.invoke(main, ["db", "reindex", "--stories", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("placed 4 articles in stories\n")
    result = runner.invoke(
        main,
        ["db", "reindex", "--stories", "--db", sqlite_url],
        env={"NEWSARCHIVE_STORY_THRESHOLD": "2"},
    )
    assert result.exit_code == 1
    assert "NEWSARCHIVE_STORY_THRESHOLD='2' is not a number in (0, 1]" in result.output


def test_web_api_and_article_page_show_the_story(sqlite_url: str) -> None:
    from fastapi.testclient import TestClient

    from newsarchive.web.app import create_app

    with Archive(sqlite_url) as archive:
        first = archive.upsert_article(
            _record(
                "http://paper.example/1", REPORT, published_at="2024-05-20", source="南方都市报"
            )
        )
        copy = archive.upsert_article(
            _record("http://portal.example/2", REPORT[:9], published_at="2024-05-21")
        )
    client = TestClient(create_app(sqlite_url))
    data = client.get(f"/api/articles/{copy.article_id}").json()
    assert data["story_id"] == first.article_id
    assert [c["site"] for c in data["story"]] == ["paper.example", "portal.example"]
    page = client.get(f"/articles/{copy.article_id}").text
    assert "Same story elsewhere" in page
    assert f'<a href="/articles/{first.article_id}">paper.example</a> (南方都市报)' in page
    assert "portal.example</a> (" not in page


# --- batched placement: the same stories as one assign_story per article ----------------

#: Han characters random paragraphs are drawn from: two random paragraphs share no shingle.
_HAN_POOL = [chr(0x4E00 + n * 37) for n in range(400)]


def _sample_texts() -> list[tuple[str | None, str]]:
    """Copies (a paragraph cut, traditional-free reorderings), bridging halves, a family of
    texts that share half their paragraphs (many candidates, none of one story, more than
    MAX_CANDIDATES of them), and notices too short for a fingerprint, shuffled."""
    import random

    rng = random.Random(7)

    def paragraph() -> str:
        return "".join(rng.choice(_HAN_POOL) for _ in range(60)) + "。"

    texts: list[list[str]] = []
    for _ in range(40):
        report = [paragraph() for _ in range(10)]
        texts.append(report)
        texts.append(report[:9])
        texts.append([*report[:4], *report[5:], "责任编辑：李四"])
        texts.append([*report[:6], paragraph(), paragraph()])  # a half: alone, not a copy
        texts.append([*report[4:], paragraph(), paragraph()])
    shared = [paragraph() for _ in range(4)]
    texts.extend([*shared, *(paragraph() for _ in range(4))] for _ in range(70))
    texts.extend(["本页面内容正在更新"] for _ in range(5))
    rng.shuffle(texts)
    return [(f"标题{n}", "\n".join(body)) for n, body in enumerate(texts)]


def _state(conn: object) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]]]:
    stories = conn.execute(  # type: ignore[attr-defined]
        text("SELECT id, story_id, change_seq FROM articles ORDER BY id")
    ).all()
    bands = conn.execute(  # type: ignore[attr-defined]
        text("SELECT article_id, band, bucket FROM story_bands ORDER BY article_id, band")
    ).all()
    return [tuple(r) for r in stories], [tuple(r) for r in bands]


@pytest.mark.parametrize("workers", [1, 2])
def test_rebuild_places_as_one_assign_story_per_article(db_url: str, workers: int) -> None:
    """The batched rebuild (small batches, so that copies fall in other batches, with and
    without the process pool) gives every article the story and the bands that placing the
    articles one by one with assign_story gives (the per-article path rebuild_stories used
    before batching)."""
    from sqlalchemy import update

    from archive.models import Article, StoryBand
    from archive.stories import assign_story, rebuild_stories

    texts = _sample_texts()
    with Archive(db_url) as archive:
        for n, (title, body) in enumerate(texts):
            archive.upsert_article(
                _record(f"http://s{n % 3}.example/{n}", body.split("\n"), title=title or "")
            )
        with archive.engine.begin() as conn:
            conn.execute(StoryBand.__table__.delete())  # type: ignore[attr-defined]
            conn.execute(update(Article).values(story_id=None))
            rows = conn.execute(text("SELECT id, title, text FROM articles ORDER BY id")).all()
            for row in rows:
                assign_story(conn, row.id, row.title, row.text, seq=None, rebuilding=True)
            expected = _state(conn)
        with archive.engine.begin() as conn:
            assert rebuild_stories(conn, batch_size=7, workers=workers) == len(texts)
            got = _state(conn)
    assert got == expected
    stories = [story for _, story, _ in got[0]]
    assert len(set(stories)) < len(stories) - 100  # copies were found, not all alone
    assert any(story != article_id for article_id, story, _ in got[0][:20])


def test_place_new_articles_places_as_one_assign_story_per_article(tmp_path: object) -> None:
    """An import's placement: new articles (no story, no bands yet) and updated ones (a
    story and the bands of their old text) give the stories, change_seq and bands that
    assign_story on each in turn gives."""
    import shutil
    from pathlib import Path

    from archive.stories import assign_story, place_new_articles

    folder = Path(str(tmp_path))
    texts = _sample_texts()
    with Archive(f"sqlite:///{folder / 'a.db'}") as archive:
        for n, (title, body) in enumerate(texts):
            archive.upsert_article(
                _record(f"http://s{n % 3}.example/{n}", body.split("\n"), title=title or "")
            )
        with archive.engine.begin() as conn:
            ids = [r[0] for r in conn.execute(text("SELECT id FROM articles ORDER BY id"))]
            fresh, edited = ids[len(ids) // 2 :], ids[: len(ids) // 2 : 3]
            conn.execute(text("DELETE FROM story_bands WHERE article_id >= :i"), {"i": fresh[0]})
            conn.execute(
                text("UPDATE articles SET story_id = NULL WHERE id >= :i"), {"i": fresh[0]}
            )
            for article_id in edited:  # a new text: another one of the sample's
                conn.execute(
                    text("UPDATE articles SET text = :t WHERE id = :i"),
                    {"t": texts[(article_id * 7) % len(texts)][1], "i": article_id},
                )
    shutil.copy(folder / "a.db", folder / "b.db")
    placed = [*edited, *fresh]
    with (
        Archive(f"sqlite:///{folder / 'a.db'}", create=False) as archive,
        archive.engine.begin() as conn,
    ):
        rows = conn.execute(text("SELECT id, title, text FROM articles ORDER BY id")).all()
        for row in rows:
            if row.id in placed:
                assign_story(conn, row.id, row.title, row.text, seq=99)
        expected = _state(conn)
    with (
        Archive(f"sqlite:///{folder / 'b.db'}", create=False) as archive,
        archive.engine.begin() as conn,
    ):
        place_new_articles(conn, placed, seq=99, workers=2)
        got = _state(conn)
    assert got == expected
    assert any(seq == 99 for _, _, seq in got[0])  # merges relabelled articles


def test_permutations_and_band_layout_are_datasketchs() -> None:
    """The permutations drawn without datasketch, and the band layout written out, are the
    ones datasketch gives (so buckets stored before and after agree)."""
    from datasketch import MinHash
    from datasketch.lsh import _optimal_param

    from archive.stories import CANDIDATE_JACCARD, NUM_PERM, ROWS, _permutations

    a, b = _permutations()
    reference = MinHash(num_perm=NUM_PERM, seed=1).permutations
    assert a.dtype == reference.dtype
    assert b.dtype == reference.dtype
    assert a.tolist() == reference[0].tolist()
    assert b.tolist() == reference[1].tolist()
    assert tuple(_optimal_param(CANDIDATE_JACCARD, NUM_PERM, 0.5, 0.5)) == (BANDS, ROWS)


def test_the_crawl_does_not_import_datasketch() -> None:
    """datasketch imports scipy and redis (0.4 s): the archive and the extraction workers'
    modules must not pull it in at run time."""
    import subprocess
    import sys

    code = (
        "import sys, archive.prepared, archive.store, crawler.pagework; "
        "sys.exit('datasketch' in sys.modules or 'scipy' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_signature_is_datasketchs_minhash_bit_for_bit() -> None:
    """The numpy MinHash gives datasketch's values (``update_batch``, same permutations and
    scheme), so buckets stored before it stay valid; checked across the chunk boundary."""
    import numpy as np
    from datasketch import MinHash

    from archive.stories import NUM_PERM, _permutations, signature

    rng = np.random.default_rng(3)
    for size in (1, 7, 1000, 4096, 9000):
        shingles = np.unique(rng.integers(0, 2**32, size, dtype=np.uint64))
        reference = MinHash(
            num_perm=NUM_PERM,
            seed=1,
            hashfunc=int,
            permutations=_permutations(),
            scheme="affine32",
        )
        reference.update_batch(shingles.tolist())
        assert signature(shingles).tolist() == reference.hashvalues.tolist()
