"""Load a JSONL export (plain or ``.gz``) into an archive: ``newsarchive import FILE``.

Lines of a plain export become articles; lines of ``export --revisions`` keep their revision
numbers and aliases, so that exporting with ``--revisions`` and importing elsewhere (SQLite to
PostgreSQL, say) loses nothing an export holds. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from archive.record import ArticleRecord
from archive.store import Archive, ArticleVersion


class ImportFileError(ValueError):
    """A line that is not an export record; the message names the file and line."""


def _open_text(path: Path) -> IO[str]:
    raw = path.open("rb")
    magic = raw.peek(2)[:2] if isinstance(raw, io.BufferedReader) else b""
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw, mode="rb"), encoding="utf-8")
    return io.TextIOWrapper(raw, encoding="utf-8")


def _version_of(data: Any, where: str) -> ArticleVersion:
    if not isinstance(data, dict):
        raise ImportFileError(f"{where}: not a JSON object")
    for key in ("url", "text"):
        if not isinstance(data.get(key), str):
            raise ImportFileError(f"{where}: no {key!r} string: not a newsarchive export line")
    try:
        record = ArticleRecord.from_json_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ImportFileError(f"{where}: {exc}") from None
    revision = data.get("revision")
    if revision is not None and (not isinstance(revision, int) or revision < 1):
        raise ImportFileError(f"{where}: 'revision' must be a positive integer")
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ImportFileError(f"{where}: 'aliases' must be a list of URLs")
    return ArticleVersion(record, revision, list(aliases))


def read_export(path: Path) -> Iterator[ArticleVersion]:
    """The versions in an export file, streamed; raises :class:`ImportFileError` on a bad line."""
    with _open_text(path) as lines:
        try:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    data = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ImportFileError(f"{where}: not JSON ({exc.msg})") from None
                yield _version_of(data, where)
        except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
            raise ImportFileError(f"{path}: not a UTF-8 JSONL export ({exc})") from None


def import_jsonl(
    archive: Archive,
    path: Path,
    *,
    batch_size: int = 500,
    bulk: bool = False,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """Load the export at ``path`` into ``archive``; returns counts by outcome.

    ``bulk``: one transaction, the search index built once at the end
    (:meth:`Archive.import_versions`).
    """
    return archive.import_versions(
        read_export(path), batch_size=batch_size, bulk=bulk, progress=progress
    )
