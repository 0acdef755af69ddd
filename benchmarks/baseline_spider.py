"""The crawl benchmark's baseline: a minimal Scrapy spider that calls trafilatura on each article.

    scrapy runspider benchmarks/baseline_spider.py -a start_urls=URL,URL -a db=PATH

It follows the links under ``/news/`` (listings, their pages, related articles), runs
``trafilatura.bare_extraction`` on every article page in its callback, and stores each article
in a SQLite table, one commit per article, as the simplest spider that archives would.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
import trafilatura

ARTICLE_URL = re.compile(r"/\d{4}/?\d{2}/\d{2}/|/t\d{8}_\d+\.html$")


class BaselineSpider(scrapy.Spider):
    name = "baseline"

    def __init__(self, start_urls: str = "", db: str = "baseline.db", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = start_urls.split(",")
        # The site's own host only: real pages link to their real sites, which a crawl must
        # not follow (and which, on a machine with no internet, would hang it on DNS).
        self.allowed_domains = sorted({urlsplit(url).hostname or "" for url in self.start_urls})
        self.db = sqlite3.connect(db)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS articles (url TEXT PRIMARY KEY, title TEXT, "
            "text TEXT, date TEXT, author TEXT)"
        )

    def parse(self, response: Any, **_kwargs: Any) -> Iterator[Any]:
        if ARTICLE_URL.search(response.url):
            doc = trafilatura.bare_extraction(
                response.body,
                url=response.url,
                with_metadata=True,
                include_comments=False,
                deduplicate=False,
            )
            if doc is not None and doc.text:
                with self.db:
                    self.db.execute(
                        "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
                        (response.url, doc.title, doc.text, doc.date, doc.author),
                    )
        for href in response.css("a::attr(href)").getall():
            if "/news/" in href:
                yield response.follow(href, callback=self.parse)
