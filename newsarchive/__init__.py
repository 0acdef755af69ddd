"""newsarchive: crawl, extract, archive, export and search news sites."""

from __future__ import annotations

__version__ = "0.1.0"
