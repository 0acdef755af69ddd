"""What the archive derives from an article's headline and text, computed once, ahead of the
write: the text key (:mod:`archive.textkey`), the search index's prepared strings
(:mod:`archive.search`) and the story fingerprint (:mod:`archive.stories`).

All of it is a pure function of ``(title, text)`` and costs a few milliseconds of CPU an
article, which the crawl spends in its extraction workers (``crawler/pagework.py``) rather than
on its reactor thread, inside the write transaction. A :class:`PreparedText` holds the title and
text it was computed from, and the archive uses it only for exactly that title and text
(:func:`prepared_for`): a record changed since (page 2 of a split article appended to it) gets
its values computed again, so a stale value can never be stored. Callers without one (import,
reextract, ``upsert_article``) need nothing: the archive computes the same values itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from archive.search import prepare_search_text
from archive.stories import compact_print
from archive.textkey import text_key


@dataclass(frozen=True, slots=True, eq=False)
class PreparedText:
    """The derived values of one ``(title, text)``; plain data, cheap to pickle (the shingles
    are a numpy array, the title and text are the record's own strings, shared in a pickle)."""

    title: str | None
    text: str
    #: :func:`archive.textkey.text_key`.
    text_key: str | None
    #: :func:`archive.search.prepare_search_text` of the title and of the text.
    search_title: str
    search_text: str
    #: :func:`archive.stories.compact_print`: sorted distinct shingles (uint32), band buckets.
    shingles: np.ndarray[Any, np.dtype[np.uint32]]
    buckets: tuple[int, ...]

    def matches(self, title: str | None, text: str) -> bool:
        """Whether these values were computed from ``title`` and ``text``."""
        return self.title == title and self.text == text


def prepare_text(title: str | None, text: str) -> PreparedText:
    """Every value the archive derives from ``title`` and ``text``."""
    shingles, buckets = compact_print(title, text)
    return PreparedText(
        title=title,
        text=text,
        text_key=text_key(title, text),
        search_title=prepare_search_text(title),
        search_text=prepare_search_text(text),
        shingles=shingles,
        buckets=buckets,
    )


def prepared_for(prepared: PreparedText | None, title: str | None, text: str) -> PreparedText:
    """``prepared`` when it was computed from ``title`` and ``text``, else computed now."""
    if prepared is not None and prepared.matches(title, text):
        return prepared
    return prepare_text(title, text)
