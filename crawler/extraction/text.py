"""Small text helpers shared by the field extractors."""

from __future__ import annotations

import re
from typing import Final

#: Han ideographs: BMP, extension A, compatibility and the supplementary planes (for a char class).
HAN: Final = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RE: Final = re.compile(f"[{HAN}]")
_LATIN_RE: Final = re.compile(r"[A-Za-z]")


def squash(text: str) -> str:
    """Collapse whitespace to single spaces and strip.

    ``str.split()`` already splits on the full-width space and nbsp; zero-width spaces and BOMs
    are not whitespace to it, so they are replaced first. (Called a million times on a corpus
    of 200 pages: this is ~3x faster than the equivalent regex substitution.)
    """
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


def han_count(text: str) -> int:
    return len(_HAN_RE.findall(text))


def is_chinese(text: str) -> bool:
    """Mostly Han (against Latin letters) in ``text``."""
    han = han_count(text)
    return han > 0 and han * 3 >= len(_LATIN_RE.findall(text))
