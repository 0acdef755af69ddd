"""Stories: precision and recall of "same story" on labelled pairs, and clustering at scale.

    python3 benchmarks/stories.py [--corpus ../shared/eval/dev] [--scale 200000] [--skip-scale]

1. **Pairs.** Each Chinese page of the dev corpus (``zh_*/*.json``: its ``body``, read at run
   time, never copied) gives positive pairs, the page against a copy with one edit: a headline
   suffix (``_南方都市报``), another outlet's boilerplate (a source line, an editor line, a
   share bar, a footer), an added paragraph, a cut paragraph (a tenth of the paragraphs, at
   least one), traditional characters (OpenCC s2t), and all of these at once. Negatives: every
   pair of different pages of the same site group (same outlet, same kind of topic), and
   "same meeting, different outlet" pairs: two texts built from one set of names, places and
   figures of a page (its 2- to 4-character Han runs that recur) but with different
   sentences. P and R at the threshold in force, and a sweep.
2. **Scale.** ``--scale`` articles from ``benchmarks/scale.py``'s generator, one in ten a
   syndicated copy of an earlier one (another site, headline suffix, editor line, a cut
   paragraph), imported with ``import_versions(bulk=True)`` (the scale benchmark's import,
   stories placed as it goes); then ``rebuild_stories`` over the whole archive in a child
   process, against the import without stories (the baseline, same run). Peak memory of the
   rebuild is its process's VmHWM. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import glob
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import stories
from archive.stories import Fingerprint, fingerprint, story_similarity

_HAN_RUN = re.compile(r"[\u4e00-\u9fff]{2,4}")


def _edits(rng: random.Random, title: str | None, body: str) -> dict[str, tuple[str, str]]:
    import opencc

    paragraphs = [p for p in body.split("\n") if p.strip()]
    cut = max(1, len(paragraphs) // 10)
    start = rng.randrange(max(1, len(paragraphs) - cut))
    cut_body = "\n".join(paragraphs[:start] + paragraphs[start + cut :])
    added = "\n".join(
        [*paragraphs, "记者了解到，相关部门表示将持续跟进此事，并及时向社会公布最新进展情况。"]
    )
    boiler = "\n".join(
        [
            "来源：南方都市报",
            *paragraphs,
            "（编辑 李明）",
            "责任编辑：王小二",
            "分享到：微信 微博",
            "版权所有 © 2024 深圳新闻网 粤ICP备12345678号",
        ]
    )
    traditional = opencc.OpenCC("s2t").convert(body)
    everything = opencc.OpenCC("s2t").convert(
        "\n".join(["来源：深圳特区报", *paragraphs[:start], *paragraphs[start + cut :]])
    )
    t = title or ""
    return {
        "suffix": (t + "_南方都市报", body),
        "boilerplate": (t, boiler),
        "added": (t, added),
        "cut": (t, cut_body),
        "traditional": (t, traditional),
        "all": (t + " - 深圳新闻网", everything + "\n责任编辑：张三"),
    }


def _same_meeting(rng: random.Random, body: str) -> tuple[str, str]:
    """Two texts about one event: the page's recurring names and figures, other sentences."""
    runs = [r for r, n in _count(_HAN_RUN.findall(body)).items() if n >= 2][:30]
    if len(runs) < 4:
        runs = _HAN_RUN.findall(body)[:30]
    fillers = [
        "会议指出",
        "与会人员一致认为",
        "据介绍",
        "下一步",
        "现场",
        "有关负责人表示",
        "会上",
        "此外",
        "记者从",
        "据悉",
    ]
    verbs = ["强调", "部署", "推进", "研究", "听取", "审议", "落实", "介绍", "通报", "要求"]

    def text() -> str:
        sentences = []
        for _ in range(14):
            picked = rng.sample(runs, min(3, len(runs)))
            sentences.append(
                f"{rng.choice(fillers)}，{picked[0]}{rng.choice(verbs)}{''.join(picked[1:])}"
                f"工作，{rng.choice(verbs)}了{rng.choice(runs)}有关情况。"
            )
        return "\n".join("".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3))

    return text(), text()


def _count(items: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def _score(a: Fingerprint, b: Fingerprint) -> float:
    """The similarity the archive decides on, for a pair its index finds (they share a
    bucket); -1 for a pair the index never puts side by side."""
    if not set(a.buckets) & set(b.buckets):
        return -1.0
    return story_similarity(a.shingles, b.shingles)


def labelled_pairs(corpus: Path, seed: int = 5) -> list[tuple[str, bool, float]]:
    """``(kind, same story?, score)`` for every labelled pair built from ``corpus`` (the
    score: :func:`_score`)."""
    rng = random.Random(seed)
    pages: list[tuple[str, str | None, str]] = []
    for path in sorted(glob.glob(str(corpus / "zh_*" / "*.json"))):
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("body") and Path(path.replace(".json", ".html")).is_file():
            group = Path(path).stem.rsplit("-", 1)[0]
            pages.append((group, data.get("title"), data["body"]))
    prints: list[Fingerprint] = [fingerprint(title, body) for _, title, body in pages]
    pairs: list[tuple[str, bool, float]] = []
    for (_, title, body), base in zip(pages, prints, strict=True):
        if not base.shingles:
            continue  # too short for a fingerprint: a story of its own by design
        for kind, (t, b) in _edits(rng, title, body).items():
            pairs.append((kind, True, _score(base, fingerprint(t, b))))
        one, two = _same_meeting(rng, body)
        pairs.append(
            (
                "same meeting",
                False,
                _score(fingerprint(None, one), fingerprint(None, two)),
            )
        )
    for (i, a), (j, b) in itertools.combinations(enumerate(pages), 2):
        if a[0] == b[0] and prints[i].shingles and prints[j].shingles:
            pairs.append(("same site", False, _score(prints[i], prints[j])))
    return pairs


def precision_recall(pairs: list[tuple[str, bool, float]], threshold: float) -> tuple[float, float]:
    tp = sum(1 for _, same, s in pairs if same and s >= threshold)
    fp = sum(1 for _, same, s in pairs if not same and s >= threshold)
    fn = sum(1 for _, same, s in pairs if same and s < threshold)
    return (tp / (tp + fp) if tp + fp else 1.0), (tp / (tp + fn) if tp + fn else 1.0)


def report_pairs(corpus: Path) -> None:
    pairs = labelled_pairs(corpus)
    kinds = _count([k for k, _, _ in pairs])
    print(f"labelled pairs: {len(pairs)} ({', '.join(f'{k} {n}' for k, n in kinds.items())})")
    threshold = stories.story_threshold()
    p, r = precision_recall(pairs, threshold)
    print(f"threshold {threshold:.2f} (in force): precision {p:.3f} recall {r:.3f}")
    for kind in kinds:
        scores = sorted(s for k, _, s in pairs if k == kind)
        missed = sum(1 for k, _, s in pairs if k == kind and s < 0)
        low, mid, high = scores[0], scores[len(scores) // 2], scores[-1]
        print(
            f"  {kind:13s} not found by the index {missed:3d};"
            f" score min {low:.3f} median {mid:.3f} max {high:.3f}"
        )
    print("sweep: threshold precision recall")
    for value in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        p, r = precision_recall(pairs, value)
        print(f"  {value:.2f} {p:.3f} {r:.3f}")


# --- scale -------------------------------------------------------------------------------


def syndicated(count: int) -> Any:
    """The scale benchmark's articles, one in ten a copy of an earlier one on another site."""
    from benchmarks.scale import generate

    rng = random.Random(11)
    recent: list[Any] = []
    for n, generated in enumerate(generate(count)):
        record = generated
        if n % 10 == 9 and recent:
            base = rng.choice(recent)
            paragraphs = base.text.split("\n")
            if len(paragraphs) > 3:
                paragraphs.pop(rng.randrange(len(paragraphs)))
            record = replace(
                base,
                url=generated.url.replace("/t", "/copy"),
                site=generated.site,
                title=(base.title or "") + "_转载",
                text="\n".join(paragraphs) + "\n责任编辑：李四",
                content_hash="",
                story_id=None,
            )
            record.__post_init__()
        else:
            recent = [*recent[-200:], record]
        yield record


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _child(db_url: str) -> None:
    """Rebuild every story of the archive at ``db_url``; print seconds and peak MB as JSON."""
    from archive.store import Archive

    with Archive(db_url, create=False) as archive:
        started = time.perf_counter()
        placed = archive.rebuild_stories()
        seconds = time.perf_counter() - started
        with archive.engine.connect() as conn:
            from sqlalchemy import text

            multi = conn.execute(
                text(
                    "SELECT count(*) FROM (SELECT story_id FROM articles GROUP BY story_id"
                    " HAVING count(*) > 1) AS s"
                )
            ).scalar_one()
    print(
        json.dumps(
            {
                "seconds": seconds,
                "placed": placed,
                "stories_with_copies": multi,
                "peak_mb": _peak_rss_mb(),
            }
        )
    )


def report_scale(scale: int) -> None:
    from archive.reading import ArticleVersion
    from archive.store import Archive

    with tempfile.TemporaryDirectory() as folder:
        db_url = f"sqlite:///{folder}/stories.db"
        records = list(syndicated(scale))
        copies = sum(1 for r in records if "/copy" in r.url)
        with Archive(db_url) as archive:
            started = time.perf_counter()
            archive.import_versions((ArticleVersion(r, 1) for r in records), bulk=True)
            imported = time.perf_counter() - started
        # The baseline: the same import with story placement switched off.
        baseline_url = f"sqlite:///{folder}/baseline.db"
        original = stories.assign_story
        from archive import importing

        placing = importing.stories.place_new_articles
        importing.stories.place_new_articles = lambda *_a, **_k: None  # type: ignore[assignment]
        try:
            with Archive(baseline_url) as archive:
                started = time.perf_counter()
                archive.import_versions((ArticleVersion(r, 1) for r in records), bulk=True)
                baseline = time.perf_counter() - started
        finally:
            importing.stories.place_new_articles = placing  # type: ignore[assignment]
        assert stories.assign_story is original
        del records
        out = subprocess.run(
            [sys.executable, __file__, "--child", db_url],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        ).stdout
        child = json.loads(out.strip().splitlines()[-1])
    print(f"scale: {scale:,} articles ({copies:,} syndicated copies), SQLite")
    print(f"  import --bulk without stories (baseline): {baseline:.1f} s")
    print(
        f"  import --bulk placing stories as it goes: {imported:.1f} s"
        f" ({imported / baseline:.2f}x the baseline)"
    )
    print(
        f"  db reindex --stories over the archive: {child['seconds']:.1f} s"
        f" ({child['seconds'] / baseline:.2f}x the baseline import),"
        f" peak RSS {child['peak_mb']:.0f} MB;"
        f" {child['stories_with_copies']:,} stories with copies"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path("../shared/eval/dev"))
    parser.add_argument("--scale", type=int, default=20_000)
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--child", metavar="DB_URL")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    report_pairs(args.corpus)
    if not args.skip_scale:
        report_scale(args.scale)


if __name__ == "__main__":
    main()
