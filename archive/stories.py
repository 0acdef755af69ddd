"""Stories: one report carried by several outlets, found by the similarity of the texts.

A district report appears on the paper's site, on portals and on the district's news centre,
each copy with its own headline suffix, boilerplate, editor line and sometimes a paragraph
more or less, in simplified or traditional characters. Every article belongs to a story
(``articles.story_id``); copies of one report share it, across sites and sources.

**Fingerprint.** :func:`fingerprint` reads the body only (headlines carry the outlets'
suffixes): the lines :func:`archive.textkey.key_lines` keeps (no editor, share, label, date,
address or footer lines, not the headline repeated as the first line), traditional characters
folded to simplified (:func:`archive.search.fold_han`), then tokens, each Han character one
and each word of other scripts one, with whitespace and punctuation dropped. Shingles are
:data:`SHINGLE_TOKENS` tokens in a row, hashed to 32 bits; a text of fewer than
:data:`MIN_TOKENS` tokens (a notice, a caption) gets no fingerprint and stays a story of its
own. datasketch's MinHash (:data:`NUM_PERM` permutations, computed here with numpy and held to
datasketch's by the tests) turns the shingles into a signature,
cut into :data:`BANDS` bands of :data:`ROWS` values, each band hashed into a bucket.

**Index.** The buckets live in the ``story_bands`` table, one row per article and band,
indexed on the bucket, written in the same transaction as the article
(:mod:`archive.articles`): the archive is the one source of truth, the index survives
restarts and serves every writer, on SQLite and PostgreSQL alike. Every writer of articles
bumps the change counter first (:func:`archive.changes.bump_change`), which serialises them,
so a copy stored by one crawl is seen by the next writer, whichever process it is in.

**Decision.** Articles sharing a bucket are candidates (:data:`BANDS` and :data:`ROWS` come
from datasketch's layout for a Jaccard similarity of :data:`CANDIDATE_JACCARD`, so that
candidates are found well below the threshold). Each candidate is then checked exactly on
the two shingle sets (the candidate's text is read back): the pair is one story when
:func:`story_similarity` reaches the threshold (``NEWSARCHIVE_STORY_THRESHOLD``, default
:data:`DEFAULT_THRESHOLD`). That similarity is the containment of the smaller set in the
larger, so a copy with a paragraph cut is still a copy, but only when the larger set is at
most :data:`MAX_SIZE_RATIO` times the smaller: a short brief quoted inside a long round-up is
not the round-up's story.

**Story ids.** A story's id is the id of its first archived article; a new article with no
match starts a story of its own. When a new copy matches articles of two stories (the third
copy bridges two that were too different from each other), the stories merge into the one
with the smaller id, and the other's articles are relabelled (their ``change_seq`` moves, so
``export --since-last`` sends them again). Stories are never split by later writes: an
edited article keeps its story (and may join another one, merging them).
``newsarchive db reindex --stories`` rebuilds every story from the texts, after a change of
threshold for instance.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any, Final, cast

import numpy as np
from sqlalchemy import Connection, Table, bindparam, delete, func, select, update

from archive.db import ArchiveError
from archive.models import Article, StoryBand
from archive.search import HAN_RANGES, fold_han
from archive.textkey import key_lines

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

#: The environment variable of the threshold (0 < value <= 1).
THRESHOLD_ENV: Final = "NEWSARCHIVE_STORY_THRESHOLD"
#: Containment of the smaller shingle set in the larger from which two texts are one story.
#: Chosen on the labelled pairs of ``benchmarks/stories.py`` (see the README's figures).
DEFAULT_THRESHOLD: Final = 0.7
#: The larger text may hold at most this many times the shingles of the smaller one.
MAX_SIZE_RATIO: Final = 2.5

#: Tokens per shingle: 4 Han characters (or 4 words) are rarer than a name or a place
#: (罗湖区委, 深圳市), so two reports of one meeting that share names but not sentences
#: share few shingles.
SHINGLE_TOKENS: Final = 4
#: Fewest tokens for a fingerprint (as :data:`archive.textkey.MIN_KEY_CHARS` for keys).
MIN_TOKENS: Final = 100
#: MinHash permutations; the signature's values are cut into bands for the index.
NUM_PERM: Final = 128
#: The Jaccard similarity the band layout is tuned for. Candidates are then checked exactly,
#: so a layout that finds pairs well below the threshold costs a few reads, not precision.
CANDIDATE_JACCARD: Final = 0.4
#: Most candidates checked per article, those sharing the most buckets first: a bucket that
#: many articles share (a template text) cannot make a write slow.
MAX_CANDIDATES: Final = 50

_MINHASH_SEED: Final = 1
#: Runs of Han characters (one token each), words of other scripts (one token each), and the
#: rest (whitespace, punctuation: dropped).
_RUN_RE: Final = re.compile(rf"([{HAN_RANGES}]+)|([^\W_{HAN_RANGES}]+)|[\W_]+")
#: Whitespace and punctuation, and a word of a script other than Han.
_SEPARATOR_RE: Final = re.compile(r"[\W_]+")
_WORD_RE: Final = re.compile(rf"[^\W_{HAN_RANGES}]+")
#: Words become characters of the supplementary private use areas (planes 15 and 16).
_PRIVATE_USE: Final = 0xF0000
_PRIVATE_USE_SIZE: Final = 0x10FFFE - 0xF0000
_MASK32: Final = np.uint64(0xFFFFFFFF)
_FNV_PRIME: Final = np.uint64(1099511628211)


#: Bands of the signature, and values per band: datasketch's optimum for
#: :data:`CANDIDATE_JACCARD` and :data:`NUM_PERM` (``datasketch.lsh._optimal_param``, weights
#: 0.5 and 0.5). Written out rather than computed: datasketch's LSH module imports scipy and
#: redis, 0.4 s at every start of a crawl and of each extraction worker.
#: ``tests/test_stories.py`` holds them to datasketch's.
BANDS: Final = 32
ROWS: Final = 4


def story_threshold() -> float:
    """The threshold of ``NEWSARCHIVE_STORY_THRESHOLD``, else :data:`DEFAULT_THRESHOLD`.

    Raises :class:`~archive.db.ArchiveError` (one line) for a value that is not a number
    in (0, 1].
    """
    raw = os.environ.get(THRESHOLD_ENV, "").strip()
    if not raw:
        return DEFAULT_THRESHOLD
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise ArchiveError(
            f"{THRESHOLD_ENV}={raw!r} is not a number in (0, 1]: unset it or use e.g. 0.7"
        )
    return value


def _story_body(title: str | None, text: str) -> str:
    return fold_han(" ".join(key_lines(title, text)))


def story_tokens(title: str | None, text: str) -> list[str]:
    """The tokens a text's fingerprint is made of: furniture lines left out, Han folded to
    simplified, one token per Han character and per word of other scripts."""
    tokens: list[str] = []
    for run in _RUN_RE.finditer(_story_body(title, text)):
        han, word = run.group(1), run.group(2)
        if han:
            tokens.extend(han)
        elif word:
            tokens.append(word)
    return tokens


def _token_text(body: str) -> str:
    """``body`` as one character per token: Han characters as they are, each word of another
    script replaced by one private-use character picked by a stable hash of it (not
    ``hash()``, which changes from one process to the next), everything else dropped. One
    string can then be read as numbers in a single step (:func:`shingle_hashes`)."""
    spaced = _SEPARATOR_RE.sub(" ", body)
    if _WORD_RE.search(spaced):
        spaced = _WORD_RE.sub(_word_char, spaced)
    return spaced.replace(" ", "")


def _word_char(word: re.Match[str]) -> str:
    return chr(_PRIVATE_USE + _word_code(word.group()) % _PRIVATE_USE_SIZE)


@functools.lru_cache(maxsize=65536)
def _word_code(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def shingle_hashes(title: str | None, text: str) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """The distinct 32-bit hashes of the text's shingles (:data:`SHINGLE_TOKENS` tokens in a
    row), sorted; empty when the text has fewer than :data:`MIN_TOKENS` tokens."""
    tokens = _token_text(_story_body(title, text))
    if len(tokens) < MIN_TOKENS:
        return np.empty(0, dtype=np.uint64)
    codes = np.frombuffer(tokens.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(codes) - SHINGLE_TOKENS + 1
    # FNV-style fold over the k tokens of each shingle, vectorised (uint64 wraps around).
    with np.errstate(over="ignore"):
        mixed = np.full(count, 14695981039346656037, dtype=np.uint64)
        for offset in range(SHINGLE_TOKENS):
            mixed = (mixed ^ codes[offset : offset + count]) * _FNV_PRIME
        mixed ^= mixed >> np.uint64(29)
    return np.unique(mixed & _MASK32)


@functools.cache
def _permutations() -> tuple[Any, Any]:
    """The ``(a, b)`` parameters of datasketch's affine permutations for :data:`NUM_PERM` and
    seed :data:`_MINHASH_SEED` (``MinHash(num_perm, seed).permutations``, its default
    ``affine32`` scheme): odd multipliers and offsets drawn from numpy's ``RandomState``, the
    same draws in the same order. Drawn here so that datasketch (and scipy, which it imports)
    stays out of the crawl; ``tests/test_stories.py`` compares them with datasketch's."""
    gen = np.random.RandomState(_MINHASH_SEED)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


#: The MurmurHash3 32-bit finalizer (shifts and multipliers) that datasketch's ``affine32``
#: scheme applies to each input hash before its permutations.
_FMIX32: Final = (
    np.uint32(16),
    np.uint32(0x85EBCA6B),
    np.uint32(13),
    np.uint32(0xC2B2AE35),
    np.uint32(16),
)
#: Shingles permuted per numpy step: bounds the (shingles x permutations) matrix to 2 MB.
_SIGNATURE_CHUNK: Final = 4096


def signature(shingles: np.ndarray[Any, np.dtype[np.uint64]]) -> np.ndarray[Any, Any]:
    """datasketch's MinHash signature (:data:`NUM_PERM` values, ``affine32`` scheme, the
    shingle hashes as input hashes) of a set of shingle hashes.

    Computed here with numpy on the whole array: ``MinHash.update_batch`` builds a Python
    list and converts it back, which cost more than the permutations themselves. The values
    are datasketch's, bit for bit (``tests/test_stories.py`` compares them), so buckets
    stored before and after this change agree.
    """
    a, b = _permutations()
    a32 = np.asarray(a, dtype=np.uint32)
    b32 = np.asarray(b, dtype=np.uint32)
    s1, m1, s2, m2, s3 = _FMIX32
    values = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    hashes = np.asarray(shingles).astype(np.uint32)  # 32-bit values: nothing is cut
    for start in range(0, len(hashes), _SIGNATURE_CHUNK):
        hv = hashes[start : start + _SIGNATURE_CHUNK].reshape(-1, 1)
        hv = hv ^ (hv >> s1)
        hv = hv * m1
        hv = hv ^ (hv >> s2)
        hv = hv * m2
        hv = hv ^ (hv >> s3)
        values = np.minimum(values, (hv * a32 + b32).min(axis=0))
    return values


def band_buckets(sig: np.ndarray[Any, Any]) -> list[int]:
    """One bucket per band: a signed 64-bit hash of the band's number and its values (the
    band's number is in the hash, so one index on the bucket serves every band)."""
    values = np.ascontiguousarray(sig[: BANDS * ROWS], dtype=np.uint64).reshape(BANDS, ROWS)
    buckets = []
    for band, row in enumerate(values):
        digest = hashlib.blake2b(row.tobytes(), digest_size=8, person=band.to_bytes(2, "little"))
        buckets.append(int.from_bytes(digest.digest(), "little", signed=True))
    return buckets


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A text's shingle set (exact checks) and its band buckets (candidate lookup); both
    empty for a text too short to tell copies from coincidences."""

    shingles: frozenset[int]
    buckets: tuple[int, ...]


def fingerprint(title: str | None, text: str) -> Fingerprint:
    """The fingerprint of an article's body (see the module's docstring)."""
    hashes = shingle_hashes(title, text)
    if not len(hashes):
        return Fingerprint(frozenset(), ())
    return Fingerprint(frozenset(hashes.tolist()), tuple(band_buckets(signature(hashes))))


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Shared shingles over all shingles of the two texts."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return shared / (len(a) + len(b) - shared)


def story_similarity(a: frozenset[int], b: frozenset[int]) -> float:
    """How much of the smaller text the larger holds (0 to 1); 0 when either has no
    fingerprint, or when the larger is more than :data:`MAX_SIZE_RATIO` times the smaller."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if len(large) > MAX_SIZE_RATIO * len(small):
        return 0.0
    return len(small & large) / len(small)


def same_story(a: Fingerprint, b: Fingerprint, threshold: float) -> bool:
    """Whether two fingerprinted texts are copies of one report."""
    return story_similarity(a.shingles, b.shingles) >= threshold


# --- the index in the archive ------------------------------------------------------------


def assign_story(
    conn: Connection,
    article_id: int,
    title: str | None,
    text: str,
    *,
    seq: int | None,
    threshold: float | None = None,
    rebuilding: bool = False,
    print_: Fingerprint | None = None,
) -> int:
    """Put the article ``article_id`` (just written in ``conn``'s transaction) in its story
    and index its buckets; returns the story's id.

    Its old buckets go, its new ones are looked up among the other articles' and checked
    exactly; the article joins the story of its matches, or keeps its own (its current story,
    else one of its own id). Matches in several stories merge them into the one with the
    smallest id; relabelled articles get ``change_seq = seq`` (None: left as they are).
    ``rebuilding`` (``reindex --stories``): only articles of smaller ids have been placed,
    so the article's current story is ignored and relabelling touches those articles only.
    ``print_``: the text's :func:`fingerprint`, computed before the transaction took the
    change counter's lock (a batch's writer holds it until commit, and other workers wait).
    """
    if threshold is None:
        threshold = story_threshold()
    bands = cast("Table", StoryBand.__table__)
    if not rebuilding:
        conn.execute(delete(bands).where(bands.c.article_id == article_id))
    if print_ is None:
        print_ = fingerprint(title, text)
    matched: set[int] = set()
    if print_.buckets:
        shared = func.count().label("shared")
        candidates = conn.execute(
            select(bands.c.article_id, shared)
            .where(bands.c.bucket.in_(print_.buckets), bands.c.article_id != article_id)
            .group_by(bands.c.article_id)
            .order_by(shared.desc(), bands.c.article_id)
            .limit(MAX_CANDIDATES)
        ).all()
        order = {row.article_id: i for i, row in enumerate(candidates)}
        rows = (
            conn.execute(
                select(Article.id, Article.story_id, Article.title, Article.text).where(
                    Article.id.in_(list(order))
                )
            ).all()
            if order
            else []
        )
        for row in sorted(rows, key=lambda r: order[r.id]):
            if row.story_id is None or row.story_id in matched:
                continue
            # Shingles only: the candidates' buckets are not needed, and their MinHash
            # signature was half of the time this loop took under the counter's lock.
            shingles = frozenset(shingle_hashes(row.title, row.text).tolist())
            if story_similarity(print_.shingles, shingles) >= threshold:
                matched.add(int(row.story_id))
    current: int | None = None
    if not rebuilding:
        current = conn.execute(
            select(Article.story_id).where(Article.id == article_id)
        ).scalar_one_or_none()
    story = min([*matched, current if current is not None else article_id])
    others = (matched | ({current} if current is not None else set())) - {story}
    if others:
        relabel = update(Article).where(Article.story_id.in_(others))
        if rebuilding:
            relabel = relabel.where(Article.id < article_id)
        values: dict[str, Any] = {"story_id": story}
        if seq is not None:
            values["change_seq"] = seq
        conn.execute(relabel.values(**values))
        logger.info("stories %s merged into story %d", sorted(others), story)
    if story != current:
        conn.execute(update(Article).where(Article.id == article_id).values(story_id=story))
    if print_.buckets:
        conn.execute(
            bands.insert(),
            [
                {"article_id": article_id, "band": band, "bucket": bucket}
                for band, bucket in enumerate(print_.buckets)
            ],
        )
    return story


#: Articles read, fingerprinted and placed per step by :func:`rebuild_stories` and
#: :func:`place_new_articles`.
REBUILD_BATCH: Final = 500
#: Buckets per ``IN`` list of the batch's lookup (well under any SQLite variable limit).
_BUCKETS_PER_QUERY: Final = 1000
#: Fewest texts for which fingerprints go to the process pool: below this, sending them
#: costs more than it saves.
_POOL_MIN_TEXTS: Final = 64


# --- placing many articles: fingerprints in a process pool, the index read per batch ------


def compact_print(title: str | None, text: str) -> tuple[np.ndarray[Any, Any], tuple[int, ...]]:
    """The fingerprint as ``(sorted distinct shingles as uint32, buckets)``: a quarter of a
    frozenset's memory, and cheap to send between processes."""
    hashes = shingle_hashes(title, text)
    if not len(hashes):
        return np.empty(0, dtype=np.uint32), ()
    return hashes.astype(np.uint32), tuple(band_buckets(signature(hashes)))


def _compact_prints(
    texts: list[tuple[str | None, str]],
) -> list[tuple[np.ndarray[Any, Any], tuple[int, ...]]]:
    """:func:`compact_print` of each text (a pool worker's job)."""
    return [compact_print(title, text) for title, text in texts]


@functools.cache
def _pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` processes for fingerprints, started once per process (an import
    places stories batch after batch) and shut down at exit. ``forkserver``: forking the
    main process, which holds a database connection and maybe threads, is not safe."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("forkserver"))
    atexit.register(pool.shutdown, wait=True, cancel_futures=True)
    return pool


class _Prints:
    """Fingerprints of a list of texts, computed in the pool (split in one part per worker)
    or in this process; :meth:`result` waits for them, in the order of the texts."""

    def __init__(self, texts: list[tuple[str | None, str]], workers: int) -> None:
        self._texts = texts
        self._parts: list[Future[list[tuple[np.ndarray[Any, Any], tuple[int, ...]]]]] = []
        if workers > 1 and len(texts) >= _POOL_MIN_TEXTS:
            size = -(-len(texts) // workers)
            pool = _pool(workers)
            self._parts = [
                pool.submit(_compact_prints, texts[i : i + size])
                for i in range(0, len(texts), size)
            ]

    def result(self) -> list[tuple[np.ndarray[Any, Any], tuple[int, ...]]]:
        if not self._parts:
            return _compact_prints(self._texts)
        return [item for part in self._parts for item in part.result()]


def _fingerprint_workers(workers: int | None) -> int:
    return max(1, workers if workers is not None else (os.cpu_count() or 1))


def _containment(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    """:func:`story_similarity` on two sorted arrays of distinct shingles (same value)."""
    if not a.size or not b.size:
        return 0.0
    small, large = (a, b) if a.size <= b.size else (b, a)
    if large.size > MAX_SIZE_RATIO * small.size:
        return 0.0
    return int(np.intersect1d(small, large, assume_unique=True).size) / int(small.size)


def _place_batch(
    conn: Connection,
    ids: Sequence[int],
    prints: list[tuple[np.ndarray[Any, Any], tuple[int, ...]]],
    *,
    seq: int | None,
    threshold: float,
    rebuilding: bool,
    workers: int,
) -> None:
    """Place the articles ``ids`` (distinct; ascending when ``rebuilding``), whose
    fingerprints (:func:`compact_print`) are ``prints``, exactly as :func:`assign_story`
    called on each in turn would, with a few statements per batch.

    The index is read once for all the batch's buckets, before any change; for the article
    at position ``i`` its rows of batch articles at positions up to ``i`` are left out (their
    old buckets would have been deleted by then) and the buckets the batch's earlier articles
    got are added from memory. Stories of candidates are read once and kept in step with
    every merge. Story ids are written in one ``executemany`` (before a merge's relabelling,
    so that it sees what :func:`assign_story` would have seen), bands in one insert.
    """
    articles = cast("Table", Article.__table__)
    bands = cast("Table", StoryBand.__table__)
    ids = list(ids)
    position = {article_id: i for i, article_id in enumerate(ids)}
    stored: dict[int, list[int]] = {}  # bucket -> article ids, one per band row
    wanted = sorted({bucket for _, buckets in prints for bucket in buckets})
    for start in range(0, len(wanted), _BUCKETS_PER_QUERY):
        for article_id, bucket in conn.execute(
            select(bands.c.article_id, bands.c.bucket).where(
                bands.c.bucket.in_(wanted[start : start + _BUCKETS_PER_QUERY])
            )
        ):
            stored.setdefault(bucket, []).append(article_id)
    # Candidates of each article, as assign_story's query orders and cuts them.
    added: dict[int, list[int]] = {}
    candidates: list[list[int]] = []
    for i, (article_id, (_, buckets)) in enumerate(zip(ids, prints, strict=True)):
        shared: dict[int, int] = {}
        for bucket in set(buckets):
            for other in stored.get(bucket, ()):
                if position.get(other, len(ids)) > i:
                    shared[other] = shared.get(other, 0) + 1
            for other in added.get(bucket, ()):
                shared[other] = shared.get(other, 0) + 1
        candidates.append(sorted(shared, key=lambda c: (-shared[c], c))[:MAX_CANDIDATES])
        for bucket in buckets:
            added.setdefault(bucket, []).append(article_id)
    # The stories of the candidates outside the batch (and of the batch itself when placing
    # new writes), and the texts of the former, fingerprinted as assign_story does.
    outside = sorted({c for cands in candidates for c in cands if c not in position})
    story_of: dict[int, int | None] = {}
    texts: dict[int, tuple[str | None, str]] = {}
    for start in range(0, len(outside), REBUILD_BATCH):
        for row in conn.execute(
            select(articles.c.id, articles.c.story_id, articles.c.title, articles.c.text).where(
                articles.c.id.in_(outside[start : start + REBUILD_BATCH])
            )
        ):
            story_of[row.id] = row.story_id
            texts[row.id] = (row.title, row.text)
    if not rebuilding:  # the batch's own stories; their texts are in ``prints`` already
        for start in range(0, len(ids), REBUILD_BATCH):
            for article_id, story_id in conn.execute(
                select(articles.c.id, articles.c.story_id).where(
                    articles.c.id.in_(ids[start : start + REBUILD_BATCH])
                )
            ):
                story_of[article_id] = story_id
    # With a pool, every outside candidate is fingerprinted at once, in parallel; in this
    # process, only when a candidate is checked (as assign_story does: a candidate of a story
    # already matched is skipped, and on a site of near-copies most are).
    print_of: dict[int, tuple[np.ndarray[Any, Any], tuple[int, ...]]] = {}
    if workers > 1 and len(texts) >= _POOL_MIN_TEXTS:
        print_of.update(zip(texts, _Prints(list(texts.values()), workers).result(), strict=True))
        texts.clear()
    print_of.update(zip(ids, prints, strict=True))

    def print_for(other: int) -> tuple[np.ndarray[Any, Any], tuple[int, ...]] | None:
        if other not in print_of and other in texts:
            print_of[other] = compact_print(*texts.pop(other))
        return print_of.get(other)

    if rebuilding:
        for article_id in ids:
            story_of[article_id] = None
    pending: list[dict[str, int]] = []
    update_story = (
        articles.update()
        .where(articles.c.id == bindparam("b_id"))
        .values(story_id=bindparam("b_story"))
    )

    def write_pending() -> None:
        if pending:
            conn.execute(update_story, pending)
            pending.clear()

    for i, article_id in enumerate(ids):
        shingles = prints[i][0]
        matched: set[int] = set()
        for other in candidates[i]:
            story = story_of.get(other)
            if story is None or story in matched:
                continue
            other_print = print_for(other)
            if other_print is not None and _containment(shingles, other_print[0]) >= threshold:
                matched.add(int(story))
        current = None if rebuilding else story_of.get(article_id)
        story = min([*matched, current if current is not None else article_id])
        others = (matched | ({current} if current is not None else set())) - {story}
        if others:
            write_pending()
            relabel = update(articles).where(articles.c.story_id.in_(others))
            if rebuilding:
                relabel = relabel.where(articles.c.id < article_id)
            values: dict[str, Any] = {"story_id": story}
            if seq is not None:
                values["change_seq"] = seq
            conn.execute(relabel.values(**values))
            logger.info("stories %s merged into story %d", sorted(others), story)
            for other, other_story in story_of.items():
                if other_story in others and (not rebuilding or other < article_id):
                    story_of[other] = story
        if story != current:
            pending.append({"b_id": article_id, "b_story": story})
        story_of[article_id] = story
    write_pending()
    if not rebuilding:
        conn.execute(delete(bands).where(bands.c.article_id.in_(ids)))
    insert_bands(
        conn,
        [
            (article_id, band, bucket)
            for article_id, (_, buckets) in zip(ids, prints, strict=True)
            for band, bucket in enumerate(buckets)
        ],
    )


def insert_bands(conn: Connection, rows: list[tuple[int, int, int]]) -> None:
    """Insert ``(article_id, band, bucket)`` rows into ``story_bands``, in ``conn``'s
    transaction: on PostgreSQL with psycopg by ``COPY`` (32 rows an article; measured 0.6 s
    for 32,000 rows against 1.4-1.9 s by ``executemany``), on SQLite in one ``executemany``
    of the driver, elsewhere in one ``executemany``."""
    if not rows:
        return
    raw = conn.connection.dbapi_connection if conn.dialect.driver == "psycopg" else None
    if raw is not None:
        with (
            cast("psycopg.Connection[Any]", raw).cursor() as cursor,
            cursor.copy("COPY story_bands (article_id, band, bucket) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        # The rows as they are, in the driver's own executemany: through a compiled insert(),
        # SQLAlchemy processes each of an article's 32 rows on its own (0.095 against 0.055
        # ms of CPU an article, 200 articles a statement).
        conn.exec_driver_sql(
            "INSERT INTO story_bands (article_id, band, bucket) VALUES (?, ?, ?)", rows
        )
        return
    conn.execute(
        cast("Table", StoryBand.__table__).insert(),
        [{"article_id": a, "band": b, "bucket": c} for a, b, c in rows],
    )


def rebuild_stories(
    conn: Connection,
    *,
    batch_size: int = REBUILD_BATCH,
    threshold: float | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> int:
    """Forget every story and bucket and place every article again, oldest id first, in
    ``conn``'s transaction, reading ``batch_size`` articles at a time (memory stays flat);
    calls ``progress(done, total)`` after each batch. Returns how many articles were placed.

    The stories are those of :func:`assign_story` called on each article in turn; the
    fingerprints of the next batch are computed by ``workers`` processes (default: one per
    CPU, 1: in this process) while this one places the current batch.

    Migration ``0006_stories`` runs it on an upgraded archive, ``newsarchive db reindex
    --stories`` after a change of threshold. It marks nothing as changed for
    ``export --since-last`` (a consumer that needs the new ids exports everything again).
    """
    if threshold is None:
        threshold = story_threshold()
    processes = _fingerprint_workers(workers)
    articles = cast("Table", Article.__table__)
    total = conn.execute(select(func.count()).select_from(articles)).scalar_one()
    conn.execute(delete(cast("Table", StoryBand.__table__)))
    conn.execute(update(articles).values(story_id=None))

    def read(after: int) -> list[tuple[int, str | None, str]]:
        return [
            (row.id, row.title, row.text)
            for row in conn.execute(
                select(articles.c.id, articles.c.title, articles.c.text)
                .where(articles.c.id > after)
                .order_by(articles.c.id)
                .limit(batch_size)
            )
        ]

    done = 0
    rows = read(0)
    prints = _Prints([(title, text) for _, title, text in rows], processes)
    while rows:
        following = read(rows[-1][0])
        next_prints = _Prints([(title, text) for _, title, text in following], processes)
        _place_batch(
            conn,
            [row[0] for row in rows],
            prints.result(),
            seq=None,
            threshold=threshold,
            rebuilding=True,
            workers=processes,
        )
        done += len(rows)
        rows, prints = following, next_prints
        if progress is not None:
            progress(done, total)
    logger.info("stories placed for %d articles", done)
    return done


def place_new_articles(
    conn: Connection, article_ids: Iterable[int], *, seq: int, workers: int | None = None
) -> None:
    """Place articles written in bulk (imports) in their stories, oldest id first, as
    :func:`assign_story` on each in turn would (see :func:`_place_batch`)."""
    ids = sorted(set(article_ids))
    threshold = story_threshold()
    processes = _fingerprint_workers(workers)
    for start in range(0, len(ids), REBUILD_BATCH):
        chunk = ids[start : start + REBUILD_BATCH]
        rows = [
            (row.id, row.title, row.text)
            for row in conn.execute(
                select(Article.id, Article.title, Article.text)
                .where(Article.id.in_(bindparam("ids", expanding=True)))
                .order_by(Article.id),
                {"ids": chunk},
            )
        ]
        prints = _Prints([(title, text) for _, title, text in rows], processes).result()
        _place_batch(
            conn,
            [row[0] for row in rows],
            prints,
            seq=seq,
            threshold=threshold,
            rebuilding=False,
            workers=processes,
        )


def place_articles(
    conn: Connection,
    ids: Sequence[int],
    prints: list[tuple[np.ndarray[Any, Any], tuple[int, ...]]],
    *,
    seq: int,
) -> None:
    """Place the articles ``ids`` (just written in ``conn``'s transaction, in the order they
    were written, each once) in their stories, with their fingerprints ``prints``
    (:func:`compact_print`, computed ahead): as :func:`assign_story` on each in turn would, in
    a few statements for all of them (the crawl's batches, :mod:`archive.articles`). The texts
    of candidates outside ``ids`` are fingerprinted in this process (no pool)."""
    if ids:
        _place_batch(
            conn, ids, prints, seq=seq, threshold=story_threshold(), rebuilding=False, workers=1
        )


__all__: Sequence[str] = [
    "BANDS",
    "DEFAULT_THRESHOLD",
    "ROWS",
    "THRESHOLD_ENV",
    "Fingerprint",
    "assign_story",
    "compact_print",
    "fingerprint",
    "jaccard",
    "place_articles",
    "place_new_articles",
    "rebuild_stories",
    "same_story",
    "story_similarity",
    "story_threshold",
    "story_tokens",
]
