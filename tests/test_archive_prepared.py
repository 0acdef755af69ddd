"""Derived values computed ahead (``archive/prepared.py``): an archive written with them is the
archive written without them, a value computed from another text is never used, and a batch
places stories as one-by-one writes do."""

from __future__ import annotations

import pickle
import random
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from test_archive_batch import URLS, scenario, sequential, snapshot

from archive.articles import ArticleWrite
from archive.prepared import prepare_text, prepared_for
from archive.record import ArticleRecord
from archive.search import prepare_search_text
from archive.store import Archive
from archive.stories import compact_print
from archive.textkey import text_key

FETCHED_AT = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)


def han_text(seed: int, chars: int = 240) -> str:
    """A text of ``chars`` pseudo-random Han characters in lines (long enough for a story
    fingerprint and a text key)."""
    rng = random.Random(seed)
    body = "".join(chr(rng.randrange(0x4E00, 0x5400)) for _ in range(chars))
    return "\n".join(body[i : i + 60] + "。" for i in range(0, chars, 60))


X, Y, W = han_text(1), han_text(2), han_text(3)
#: (url, title, text): new articles, copies on other sites (one story), an edit, a text that
#: bridges two stories (merging them), a short text, repeats.
STORY_WRITES = [
    ("http://a.example/1.html", "甲", X),
    ("http://b.example/1.html", "甲转载", X + "\n责任编辑：张三"),
    ("http://c.example/1.html", "乙", Y),
    ("http://a.example/2.html", "丙", W),
    ("http://d.example/1.html", "合集", X + "\n" + Y),
    ("http://a.example/2.html", "丙", W[:200] + Y[:100]),
    ("http://e.example/1.html", "短", "本页面内容正在更新"),
    ("http://a.example/1.html", "甲", X),
    ("http://f.example/1.html", "乙", Y),
]


def story_writes(with_prepared: bool) -> list[ArticleWrite]:
    writes = []
    for url, title, body in STORY_WRITES:
        record = ArticleRecord(url=url, title=title, text=body, fetched_at=FETCHED_AT)
        prepared = prepare_text(title, body) if with_prepared else None
        writes.append(ArticleWrite(record, prepared=prepared))
    return writes


def test_prepared_values_are_the_archives_own() -> None:
    title, body = "罗湖", X
    prepared = prepare_text(title, body)
    shingles, buckets = compact_print(title, body)
    assert prepared.text_key == text_key(title, body) is not None
    assert prepared.search_title == prepare_search_text(title)
    assert prepared.search_text == prepare_search_text(body)
    assert np.array_equal(prepared.shingles, shingles)
    assert len(shingles) > 0
    assert prepared.buckets == buckets
    assert len(buckets) > 0
    # It crosses the extraction pool's socket as a pickle.
    again = pickle.loads(pickle.dumps(prepared))
    assert again.matches(title, body)
    assert np.array_equal(again.shingles, shingles)


def test_a_value_of_another_text_is_computed_again() -> None:
    prepared = prepare_text("甲", X)
    assert prepared_for(prepared, "甲", X) is prepared
    stale = prepared_for(prepared, "甲", X + "\n第二页")
    assert stale is not prepared
    assert stale.search_text == prepare_search_text(X + "\n第二页")
    assert prepared_for(prepared, "乙", X) is not prepared
    assert prepared_for(None, "甲", X).text_key == prepared.text_key


def test_an_archive_written_with_prepared_values_is_the_same(db_url: str, tmp_path: Path) -> None:
    """Articles, revisions, aliases, pages, index rows, story bands and story ids: the same with
    the values computed ahead, without them, with stale ones, and one by one."""
    plain = Archive(f"sqlite:///{tmp_path / 'plain.db'}")
    one_by_one = Archive(f"sqlite:///{tmp_path / 'sequential.db'}")
    stale_archive = Archive(f"sqlite:///{tmp_path / 'stale.db'}")
    archive = Archive(db_url)
    try:
        expected = sequential(one_by_one, story_writes(False), "p")
        assert archive.upsert_articles(story_writes(True)[:4], profile="p") == expected[:4]
        assert archive.upsert_articles(story_writes(True)[4:], profile="p") == expected[4:]
        assert plain.upsert_articles(story_writes(False)[:4], profile="p") == expected[:4]
        assert plain.upsert_articles(story_writes(False)[4:], profile="p") == expected[4:]
        # Values computed for another text (a record changed after its extraction).
        stale = [
            replace(w, prepared=prepare_text(w.record.title, w.record.text + "\n旧"))
            for w in story_writes(False)
        ]
        assert stale_archive.upsert_articles(stale, profile="p") == expected
        ours, theirs = snapshot(archive), snapshot(plain)
        names = ("articles", "revisions", "aliases", "pages", "story_bands")
        for name in names:
            assert ours[name] == theirs[name], name
            assert ours[name] == snapshot(one_by_one)[name], name
            assert snapshot(stale_archive)[name] == theirs[name], name
        if archive.engine.dialect.name == "sqlite":
            assert ours["index"] == theirs["index"] == snapshot(one_by_one)["index"]
        # The copies share a story; the round-up bridged X's and Y's stories into one.
        stories = {row[1]: row[-1] for row in ours["articles"]}
        assert len(ours["story_bands"]) > 0
        assert stories["http://a.example/1.html"] == stories["http://b.example/1.html"]
        assert stories["http://c.example/1.html"] == stories["http://a.example/1.html"]
        assert stories["http://f.example/1.html"] == stories["http://a.example/1.html"]
        assert stories["http://e.example/1.html"] != stories["http://a.example/1.html"]
        hits = [hit.article.url for hit in archive.search(prepare_search_text(Y[:2]) or Y[:2])]
        assert "http://c.example/1.html" in hits
    finally:
        for each in (archive, plain, one_by_one, stale_archive):
            each.close()


def test_the_batch_scenario_with_prepared_values(tmp_path: Path) -> None:
    writes = [op.write() for op in scenario()]
    carried = [replace(w, prepared=prepare_text(w.record.title, w.record.text)) for w in writes]
    reference = Archive(f"sqlite:///{tmp_path / 'reference.db'}")
    archive = Archive(f"sqlite:///{tmp_path / 'archive.db'}")
    try:
        assert archive.upsert_articles(carried, profile="p") == sequential(reference, writes, "p")
        assert snapshot(archive) == snapshot(reference)
        assert archive.get_article(URLS[0]) is not None
    finally:
        archive.close()
        reference.close()
