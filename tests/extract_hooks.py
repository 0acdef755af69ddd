"""Functions for tests of the extraction pool, named by ``NEWSARCHIVE_EXTRACT_FUNCTION`` or given
to :class:`crawler.pool.ExtractionPool` as its target.

``misbehaving_extract_page`` is :func:`crawler.extraction.extract_page` except on pages that
carry a test marker: it then kills its own process as a crashing C extension would, exits, or
hangs. Only the tests name these functions; the crawl's default never looks for the markers.
"""

from __future__ import annotations

import os
import signal
import time
from typing import Any

from crawler.extraction import PageResult, extract_page

SEGFAULT = b"<!-- test: segfault -->"
EXIT = b"<!-- test: exit -->"
HANG = b"<!-- test: hang -->"


def misbehaving_extract_page(body: bytes | str, url: str, **kwargs: Any) -> PageResult:
    data = body.encode() if isinstance(body, str) else body
    if SEGFAULT in data:
        os.kill(os.getpid(), signal.SIGSEGV)
    if EXIT in data:
        os._exit(3)
    if HANG in data:
        time.sleep(3600)
    return extract_page(body, url, **kwargs)


def slow_extract_page(body: bytes | str, url: str, **kwargs: Any) -> PageResult:
    """Extraction that takes at least 50 ms a page: extraction falls behind downloads."""
    time.sleep(0.05)
    return extract_page(body, url, **kwargs)


def echo(payload: Any, suffix: str = "") -> Any:
    """A pool target: the payload back, or the misbehaviour it names."""
    if payload == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if payload == "exit":
        os._exit(3)
    if payload == "hang":
        time.sleep(3600)
    if payload == "raise":
        raise ValueError("a bad payload")
    if payload == "unpicklable":
        return lambda: None
    if payload == "pid":
        return os.getpid()
    if isinstance(payload, str) and payload.startswith("sleep:"):
        time.sleep(float(payload.removeprefix("sleep:")))
    return f"{payload}{suffix}"
