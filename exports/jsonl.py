"""JSONL export: one article per line, UTF-8, Chinese unescaped, streamed from the archive.

A file export is written to a temporary file beside the target and renamed into place only when
complete, so that an interrupted export never leaves a half-written file under the real name nor
damages an earlier export of the same name.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from archive.record import ArticleRecord


def dumps_record(data: dict[str, Any]) -> str:
    """One JSONL line (without its newline): compact, non-ASCII kept as is."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_jsonl(
    records: Iterable[ArticleRecord],
    out: TextIO,
    *,
    on_record: Callable[[int], None] | None = None,
) -> int:
    """Write ``records`` to ``out``, one JSON object per line; returns how many were written."""
    count = 0
    for record in records:
        out.write(dumps_record(record.to_json_dict()))
        out.write("\n")
        count += 1
        if on_record is not None:
            on_record(count)
    return count


def export_jsonl_file(
    records: Iterable[ArticleRecord],
    path: Path,
    *,
    on_record: Callable[[int], None] | None = None,
) -> int:
    """Write ``records`` to ``path`` atomically (temporary file, then rename)."""
    path = path.expanduser()
    directory = path.parent if str(path.parent) else Path()
    if not directory.is_dir():
        raise FileNotFoundError(f"folder {str(directory)!r} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            count = write_jsonl(records, out, on_record=on_record)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return count
