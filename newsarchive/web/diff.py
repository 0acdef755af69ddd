"""What changed between two versions of an article: the metadata fields that differ, and the
text line by line (paragraphs), with the changed characters marked inside a changed line.

Chinese text has no spaces between words, so a changed line is compared character by
character, not word by word. Long unchanged stretches are folded to a few lines of context.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Final, Literal

from archive.record import ArticleRecord

#: Unchanged lines kept around each change; longer unchanged stretches are folded.
CONTEXT_LINES: Final = 2

#: Fields compared besides the text (the text, URL, site and hash are shown otherwise).
COMPARED_FIELDS: Final = (
    "title",
    "published_at",
    "bylines",
    "source",
    "section",
    "tags",
    "language",
    "extractor_version",
)

#: A line of the diff: ``same``, ``removed``, ``added``, or ``folded`` (unchanged lines left
#: out; its one piece says how many).
LineKind = Literal["same", "removed", "added", "folded"]


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: LineKind
    #: The line as ``(text, changed)`` pieces: ``changed`` marks characters that differ.
    pieces: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class FieldChange:
    name: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    fields: list[FieldChange]
    lines: list[DiffLine]

    @property
    def text_changed(self) -> bool:
        return any(line.kind in ("removed", "added") for line in self.lines)


def _shown(name: str, value: Any) -> str:
    if name == "bylines":
        return "、".join(f"{b['name']} ({b['role']})" for b in value) or "—"
    if isinstance(value, list):
        return "、".join(map(str, value)) or "—"
    return "—" if value is None else str(value)


def _marked(text: str, other: str) -> tuple[tuple[str, bool], ...]:
    """``text`` in pieces, the characters not shared with ``other`` marked as changed."""
    matcher = difflib.SequenceMatcher(None, text, other, autojunk=False)
    pieces = [
        (text[a_start:a_end], tag != "equal")
        for tag, a_start, a_end, _, _ in matcher.get_opcodes()
        if a_end > a_start
    ]
    return tuple(pieces)


def _fold(lines: list[DiffLine]) -> list[DiffLine]:
    """Keep ``CONTEXT_LINES`` unchanged lines around each change; fold the rest."""
    changed = [i for i, line in enumerate(lines) if line.kind != "same"]
    if not changed:
        return lines
    keep = {
        j
        for i in changed
        for j in range(i - CONTEXT_LINES, i + CONTEXT_LINES + 1)
        if 0 <= j < len(lines)
    }
    folded: list[DiffLine] = []
    skipped = 0
    for i, line in enumerate(lines):
        if i in keep:
            if skipped:
                folded.append(DiffLine("folded", ((str(skipped), False),)))
                skipped = 0
            folded.append(line)
        else:
            skipped += 1
    if skipped:
        folded.append(DiffLine("folded", ((str(skipped), False),)))
    return folded


def diff_records(before: ArticleRecord, after: ArticleRecord) -> RevisionDiff:
    """The differences between two versions of an article, ``before`` first."""
    old, new = before.to_json_dict(), after.to_json_dict()
    fields = [
        FieldChange(name, _shown(name, old[name]), _shown(name, new[name]))
        for name in COMPARED_FIELDS
        if old[name] != new[name]
    ]
    a_lines, b_lines = before.text.splitlines(), after.text.splitlines()
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", ((line, False),)) for line in a_lines[a1:a2]]
            continue
        removed, added = a_lines[a1:a2], b_lines[b1:b2]
        if tag == "replace":
            # Lines replaced one for one are compared character by character.
            pairs = min(len(removed), len(added))
            for old_line, new_line in zip(removed[:pairs], added[:pairs], strict=True):
                lines.append(DiffLine("removed", _marked(old_line, new_line)))
                lines.append(DiffLine("added", _marked(new_line, old_line)))
            removed, added = removed[pairs:], added[pairs:]
        lines += [DiffLine("removed", ((line, True),)) for line in removed]
        lines += [DiffLine("added", ((line, True),)) for line in added]
    return RevisionDiff(fields, _fold(lines))
