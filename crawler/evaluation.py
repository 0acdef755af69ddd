"""Score article extraction against a labelled corpus, ours and bare trafilatura side by side.

The corpus layout and the scoring rules are those of ``shared/eval/README.md``: a root with an
optional ``manifest.tsv`` and ``<set>/<id>.html`` + ``<set>/<id>.json`` pairs. Scores are
macro-averaged over the pages that have a field labelled, per set and per language group
(``zh``, ``en``, ``other``). Both systems run in the same process and the same run, so their
speeds can be compared as a ratio.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from crawler.extraction import extract_article

LOGGER = logging.getLogger(__name__)

# Han (BMP, extension A, compatibility, supplementary planes) and Kana: one token per character.
_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: Body tokens: one per Han/Kana character, else one per run of letters or digits.
_TOKEN_RE: Final = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")
#: Title comparison keeps letters and digits only.
_NON_ALNUM_RE: Final = re.compile(r"[\W_]+")
#: Role words stripped from author names before they are compared.
_ROLE_WORDS_RE: Final = re.compile(
    r"^(?:by\s+)|本报记者|首席记者|特约记者|见习记者|记者|通讯员|实习生|作者|撰文|编译|翻译|[:：]"
)
_DATE_RE: Final = re.compile(r"(\d{4})-(\d{1,2})(?:-(\d{1,2}))?")

#: What an extractor returns for scoring: title, text, authors, date (ISO string) or None.
Prediction = tuple[str | None, str, list[str], str | None]
Extractor = Callable[[str, str], Prediction | None]


@dataclass(slots=True)
class Scores:
    """Running sums for one group of pages (a set or a language) and one system."""

    pages: int = 0
    body_p: list[float] = field(default_factory=list)
    body_r: list[float] = field(default_factory=list)
    body_f: list[float] = field(default_factory=list)
    title: list[float] = field(default_factory=list)
    author_f: list[float] = field(default_factory=list)
    spurious: list[float] = field(default_factory=list)
    date: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @staticmethod
    def mean(values: list[float]) -> float | None:
        return 100.0 * sum(values) / len(values) if values else None

    @property
    def pages_per_second(self) -> float | None:
        return self.pages / self.seconds if self.seconds > 0 else None


@dataclass(slots=True)
class PageScore:
    """One page's scores for one system (``None`` where the field is not labelled)."""

    page_id: str
    body: tuple[float, float, float] | None
    title: float | None
    author_f: float | None
    spurious: float | None
    date: float | None
    seconds: float


@dataclass(slots=True)
class EvalReport:
    """Scores per system (``ours``, ``trafilatura``), then per group name (``set:x``/``lang:y``)."""

    groups: dict[str, dict[str, Scores]] = field(default_factory=dict)
    pages: dict[str, list[PageScore]] = field(default_factory=dict)
    root: str = ""
    #: The groups each page was counted in.
    page_groups: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def add(self, system: str, group_names: Iterable[str], score: PageScore) -> None:
        self.pages.setdefault(system, []).append(score)
        self.page_groups[score.page_id] = tuple(group_names)
        for name in group_names:
            scores = self.groups.setdefault(system, {}).setdefault(name, Scores())
            scores.pages += 1
            scores.seconds += score.seconds
            if score.body is not None:
                scores.body_p.append(score.body[0])
                scores.body_r.append(score.body[1])
                scores.body_f.append(score.body[2])
            for value, bucket in (
                (score.title, scores.title),
                (score.author_f, scores.author_f),
                (score.spurious, scores.spurious),
                (score.date, scores.date),
            ):
                if value is not None:
                    bucket.append(value)


# ---------------------------------------------------------------- scoring rules


def body_tokens(text: str) -> Counter[str]:
    """Bag of tokens after NFKC and lower-casing (see the corpus README)."""
    return Counter(_TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower()))


def score_body(predicted: str, expected: str) -> tuple[float, float, float]:
    """Precision, recall and F1 over bags of tokens; an empty prediction scores 0."""
    pred, gold = body_tokens(predicted), body_tokens(expected)
    if not pred or not gold:
        return (0.0, 0.0, 0.0)
    common = sum((pred & gold).values())
    if common == 0:
        return (0.0, 0.0, 0.0)
    precision = common / sum(pred.values())
    recall = common / sum(gold.values())
    return (precision, recall, 2 * precision * recall / (precision + recall))


def normalize_title(title: str) -> str:
    return _NON_ALNUM_RE.sub("", unicodedata.normalize("NFKC", title).lower())


def score_title(predicted: str | None, expected: str) -> float:
    return float(bool(predicted) and normalize_title(predicted or "") == normalize_title(expected))


def normalize_name(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).lower().strip()
    name = _ROLE_WORDS_RE.sub("", name)
    return _NON_ALNUM_RE.sub("", name)


def score_authors(predicted: list[str], expected: list[str]) -> tuple[float | None, float | None]:
    """(set F1 when the label names authors, spurious 0/1 when the label is empty)."""
    pred = {n for n in map(normalize_name, predicted) if n}
    gold = {n for n in map(normalize_name, expected) if n}
    if not gold:
        return (None, float(bool(pred)))
    common = len(pred & gold)
    if common == 0:
        return (0.0, None)
    precision, recall = common / len(pred), common / len(gold)
    return (2 * precision * recall / (precision + recall), None)


def score_date(predicted: str | None, expected: str) -> float:
    """1.0 when the predicted date equals the label at the label's precision (day or month)."""
    want = _DATE_RE.match(expected)
    got = _DATE_RE.match(predicted or "")
    if want is None or got is None:
        return 0.0
    if int(want.group(1)) != int(got.group(1)) or int(want.group(2)) != int(got.group(2)):
        return 0.0
    if want.group(3) is None:
        return 1.0
    return float(got.group(3) is not None and int(got.group(3)) == int(want.group(3)))


# ---------------------------------------------------------------- systems


def predict_ours(html: str, url: str) -> Prediction | None:
    record = extract_article(html, url, fetched_at=datetime.now(UTC))
    if record is None:
        return None
    return (record.title, record.text, list(record.authors), record.published_at)


# trafilatura joins several authors with "; ".
_TRAFILATURA_AUTHOR_SPLIT_RE: Final = re.compile(r"\s*;\s*")


def predict_trafilatura(html: str, url: str) -> Prediction | None:
    from trafilatura import bare_extraction

    doc: Any = bare_extraction(html, url=url or None, with_metadata=True, deduplicate=False)
    if doc is None:
        return None
    authors = [a for a in _TRAFILATURA_AUTHOR_SPLIT_RE.split(doc.author or "") if a]
    return (doc.title, doc.text or "", authors, doc.date)


SYSTEMS: Final[dict[str, Extractor]] = {"ours": predict_ours, "trafilatura": predict_trafilatura}


# ---------------------------------------------------------------- corpus


@dataclass(frozen=True, slots=True)
class CorpusPage:
    set_name: str
    page_id: str
    html_path: Path
    label_path: Path
    language: str | None
    site: str = ""


#: The two halves of a corpus split by site (see :func:`site_half`).
HALVES: Final = ("A", "B")
_SITE_LABEL_RE: Final = re.compile(r"^(?:https?://)?(?:www\.|m\.|news\.)?([^/:]+)", re.I)


def site_key(site: str) -> str:
    """A site's name without its suffixes: ``sina.com.cn``, ``news.sina.com`` and ``sina`` are
    all ``sina``, so that one site never lands in both halves."""
    match = _SITE_LABEL_RE.match(site.strip().lower())
    host = match.group(1) if match else site.strip().lower()
    return host.split(".")[0] if "." in host else host


def site_half(site: str) -> str:
    """``A`` or ``B``: a fixed split of sites, by a hash of :func:`site_key`. Extraction rules
    are developed on half A and half B is scored at the end: a rule that helps only the half it
    was written on fits pages, not forms."""
    digest = hashlib.sha256(site_key(site).encode("utf-8")).digest()
    return HALVES[digest[0] % 2]


def language_group(language: str | None) -> str:
    code = (language or "").lower().split("-")[0].split("_")[0]
    return code if code in {"zh", "en"} else "other"


# Page language when no manifest says it: share of Han characters in the visible-ish text.
_HAN_RE: Final = re.compile(r"[\u4e00-\u9fff]")
_LATIN_RE: Final = re.compile(r"[A-Za-z]")
_TAG_RE: Final = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S | re.I)


def guess_language(html: str) -> str:
    text = _TAG_RE.sub(" ", html)
    han, latin = len(_HAN_RE.findall(text)), len(_LATIN_RE.findall(text))
    if han > latin / 6 and han > 20:
        return "zh"
    return "en" if latin else "other"


def iter_corpus(root: Path) -> list[CorpusPage]:
    """Pages of the corpus, from ``manifest.tsv`` when there is one, else ``*/*.json``."""
    manifest = root / "manifest.tsv"
    pages: list[CorpusPage] = []
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                set_name, page_id = row["set"], row["id"]
                html_path = root / set_name / f"{page_id}.html"
                label_path = root / set_name / f"{page_id}.json"
                if html_path.is_file() and label_path.is_file():
                    site = row.get("site_group") or page_id
                    pages.append(
                        CorpusPage(set_name, page_id, html_path, label_path, row.get("lang"), site)
                    )
        return pages
    for label_path in sorted(root.glob("*/*.json")):
        html_path = label_path.with_suffix(".html")
        if html_path.is_file():
            try:
                url = json.loads(label_path.read_text(encoding="utf-8")).get("url") or ""
            except (OSError, ValueError):
                url = ""
            site = url or label_path.stem
            pages.append(
                CorpusPage(
                    label_path.parent.name, label_path.stem, html_path, label_path, None, site
                )
            )
    return pages


def score_page(
    page_id: str, label: dict[str, Any], prediction: Prediction | None, seconds: float
) -> PageScore:
    title, text, authors, date = prediction or (None, "", [], None)
    body = score_body(text, label["body"]) if label.get("body") is not None else None
    title_score = score_title(title, label["title"]) if label.get("title") is not None else None
    author_f: float | None = None
    spurious: float | None = None
    if label.get("author") is not None:
        author_f, spurious = score_authors(authors, list(label["author"]))
    date_score = score_date(date, label["date"]) if label.get("date") is not None else None
    return PageScore(page_id, body, title_score, author_f, spurious, date_score, seconds)


def evaluate_corpus(
    root: Path,
    *,
    with_baseline: bool = True,
    progress: Callable[[int, int], None] | None = None,
    half: str | None = None,
) -> EvalReport:
    """Run our extractor (and bare trafilatura) over every labelled page under ``root`` (or
    only the pages of one half of its sites, ``A`` or ``B``: see :func:`site_half`)."""
    pages = iter_corpus(root)
    if half is not None:
        pages = [page for page in pages if site_half(page.site) == half.upper()]
    systems = {k: v for k, v in SYSTEMS.items() if with_baseline or k == "ours"}
    report = EvalReport(root=str(root))
    for number, page in enumerate(pages, start=1):
        html = page.html_path.read_text(encoding="utf-8", errors="replace")
        label: dict[str, Any] = json.loads(page.label_path.read_text(encoding="utf-8"))
        url = label.get("url") or ""
        language = page.language or guess_language(html)
        groups = ("all", f"set:{page.set_name}", f"lang:{language_group(language)}")
        for name, system in systems.items():
            started = time.perf_counter()
            try:
                prediction = system(html, url)
            except Exception:  # a crashing system scores 0 on the page, the run goes on
                LOGGER.exception("%s failed on %s", name, page.page_id)
                prediction = None
            elapsed = time.perf_counter() - started
            report.add(name, groups, score_page(page.page_id, label, prediction, elapsed))
        if progress is not None:
            progress(number, len(pages))
    return report


def pages_below(
    report: EvalReport, system: str = "ours", baseline: str = "trafilatura"
) -> Counter[str]:
    """Per group, the pages whose body F1 is below the baseline's on the same page (by more
    than rounding: 0.05 points)."""
    base = {s.page_id: s.body for s in report.pages.get(baseline, [])}
    below: Counter[str] = Counter()
    for score in report.pages.get(system, []):
        theirs = base.get(score.page_id)
        if score.body is None or theirs is None:
            continue
        if score.body[2] < theirs[2] - BELOW_MARGIN:
            below.update(report.page_groups.get(score.page_id, ()))
    return below


#: Body F1 differences smaller than this are rounding, not a page below the baseline.
BELOW_MARGIN: Final = 0.0005


def _cell(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.1f}" if value is not None else f"{'-':>{width}}"


def format_report(report: EvalReport) -> str:
    """A text table: one row per system and group (sets first, then languages, then all)."""
    header = (
        f"{'group':<20} {'system':<12} {'pages':>5} {'bodyP':>6} {'bodyR':>6} {'bodyF1':>6} "
        f"{'title':>6} {'authF1':>6} {'spur%':>6} {'date':>6} {'pg/s':>6} {'<traf':>5}"
    )
    has_baseline = "trafilatura" in report.pages and "ours" in report.pages
    below = pages_below(report) if has_baseline else Counter[str]()
    lines = [header, "-" * len(header)]
    names: set[str] = set()
    for groups in report.groups.values():
        names.update(groups)

    def order(name: str) -> tuple[int, str]:
        return ({"set": 0, "lan": 1}.get(name[:3], 2), name)

    for name in sorted(names, key=order):
        for system, groups in report.groups.items():
            scores = groups.get(name)
            if scores is None:
                continue
            lines.append(
                f"{name:<20} {system:<12} {scores.pages:>5} "
                f"{_cell(Scores.mean(scores.body_p))} {_cell(Scores.mean(scores.body_r))} "
                f"{_cell(Scores.mean(scores.body_f))} {_cell(Scores.mean(scores.title))} "
                f"{_cell(Scores.mean(scores.author_f))} {_cell(Scores.mean(scores.spurious))} "
                f"{_cell(Scores.mean(scores.date))} {_cell(scores.pages_per_second)}"
                + (f" {below[name]:>5}" if has_baseline and system == "ours" else "")
            )
    if has_baseline:
        lines.append(
            "<traf: pages whose body F1 is below bare trafilatura's on the same page "
            f"(by more than {100 * BELOW_MARGIN:.2f} points)"
        )
    ours = report.groups.get("ours", {}).get("all")
    base = report.groups.get("trafilatura", {}).get("all")
    if ours and base and ours.pages_per_second and base.pages_per_second:
        ratio = ours.pages_per_second / base.pages_per_second
        lines.append(f"speed ratio ours/trafilatura: {ratio:.2f}")
    return "\n".join(lines)
