"""The byline grammar of ``docs/bylines.md``, tested by generation.

``tests/byline_forms.py`` renders every form of the grammar with invented names, 1 to 3 of
them, every separator, in every position the grammar allows, in three page layouts, and runs
each page through ``extract_page``; it also builds pages that credit no writer (the negative
forms). These tests hold the generated suite to its targets and the document to the
generator. The per-form report is printed (``pytest -s`` or ``-rP`` shows it) and is part of
every failure message.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from byline_forms import (
    BARE_KINDS,
    ENGLISH_FORM,
    ENGLISH_POSITIONS,
    FETCHED_AT,
    FORMS,
    GLUED_KINDS,
    LABELLED_KINDS,
    NAMES,
    NEGATIVES,
    OFFICE_KINDS,
    ORIGINAL_KINDS,
    PADDED_KINDS,
    SEPARATORS,
    STRUCTURED,
    STRUCTURED_FORM,
    STRUCTURED_KINDS,
    Report,
    generate,
    run,
    supplied_picture_pages,
)

from crawler.extraction import extract_page

DOC = Path(__file__).resolve().parent.parent / "docs" / "bylines.md"
#: Negative forms documented as known false positives (docs/bylines.md, "Known limits").
KNOWN_FALSE_POSITIVES = frozenset({"N27"})
_ROW_RE = re.compile(r"^\|\s*(?P<id>[FN]\d\d)\s*\|(?P<cells>.*)\|\s*$", re.M)
_EVIDENCE = {
    LABELLED_KINDS: "labelled",
    GLUED_KINDS: "glued",
    BARE_KINDS: "bare",
    PADDED_KINDS: "padded",
    ORIGINAL_KINDS: "original",
    OFFICE_KINDS: "office",
}


@pytest.fixture(scope="module")
def report() -> Report:
    result = run()
    print(result.format(limit=10))
    return result


def doc_rows() -> dict[str, list[str]]:
    text = DOC.read_text(encoding="utf-8")
    return {
        m.group("id"): [c.strip() for c in m.group("cells").split("|")]
        for m in _ROW_RE.finditer(text)
    }


def test_at_least_2000_cases_and_98_percent_exact(report: Report) -> None:
    assert report.cases >= 2000, report.format()
    assert report.exact_share >= 0.98, report.format(limit=20)


def test_every_form_has_cases_for_40_names_and_parses_mostly_exactly(report: Report) -> None:
    for form in [f.form_id for f in FORMS] + [STRUCTURED_FORM, ENGLISH_FORM]:
        cases = report.by_form[form]
        assert cases >= 40, (form, report.format())
        misses = len(report.misses.get(form, []))
        assert misses <= 0.1 * cases, report.format(limit=20)


def test_negative_forms_find_no_author(report: Report) -> None:
    assert set(report.negatives) == {n.form_id for n in NEGATIVES}
    unexpected = {
        form: found
        for form, found in report.false_positives.items()
        if found and form not in KNOWN_FALSE_POSITIVES
    }
    assert not unexpected, report.format(limit=20)
    assert report.false_positive_share <= 0.05, report.format(limit=20)


def test_names_cover_the_kinds_the_issue_asks_for() -> None:
    labelled = [n for kind in LABELLED_KINDS for n in NAMES[kind]]
    assert len(labelled) >= 40
    assert any(len(n) == 2 for n in labelled)
    assert any(len(n) == 3 for n in labelled)
    assert any(len(n) == 4 for n in NAMES["compound"])
    assert all(n[-1] in "文图译编" for n in NAMES["role_end"])
    assert any("·" in n for n in NAMES["dotted"])
    for kind in ("tibetan", "long", "english"):
        assert NAMES[kind], kind
    assert set(SEPARATORS) >= {" ", "、", "，", "/"}


def test_generation_is_seeded() -> None:
    first = [c.html for _, c in zip(range(50), generate(), strict=False)]
    second = [c.html for _, c in zip(range(50), generate(), strict=False)]
    assert first == second


def test_the_document_lists_every_generated_form_with_its_positions() -> None:
    rows = doc_rows()
    generated = {f.form_id for f in FORMS} | {STRUCTURED_FORM, ENGLISH_FORM}
    negatives = {n.form_id for n in NEGATIVES}
    assert {k for k in rows if k.startswith("F")} == generated
    assert {k for k in rows if k.startswith("N")} == negatives
    for form in FORMS:
        cells = rows[form.form_id]
        positions = {p.strip() for p in cells[-2].split(",")}
        assert positions == set(form.positions), form.form_id
        assert cells[-1] == _EVIDENCE[form.kinds], form.form_id
    structured = {p.strip() for p in rows[STRUCTURED_FORM][-2].split(",")}
    assert structured == set(STRUCTURED)
    assert rows[STRUCTURED_FORM][-1] == _EVIDENCE[STRUCTURED_KINDS]
    english = {p.strip() for p in rows[ENGLISH_FORM][-2].split(",")}
    assert english == set(ENGLISH_POSITIONS)


def test_a_picture_supplied_by_an_organisation_credits_nobody() -> None:
    """N32: ``（图/滨海地铁供图）`` names the supplier, an organisation, not a photographer."""
    wrong = []
    for credit, html in supplied_picture_pages():
        url = "https://news.example.cn/2024/05/20/1.html"
        record = extract_page(html, url, fetched_at=FETCHED_AT).article
        assert record is not None, credit
        if record.bylines:
            wrong.append((credit, record.bylines))
    assert wrong == []
