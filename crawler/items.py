"""The item a spider yields for each article page.

It is a plain dataclass (Scrapy handles dataclass items through itemadapter): the extracted
record, whose fields are the project's one vocabulary (``archive.record``), and the page as
fetched, which the archive keeps beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from archive.record import ArticleRecord
from archive.store import RawPageData


@dataclass(slots=True)
class ArticleItem:
    record: ArticleRecord
    raw: RawPageData
