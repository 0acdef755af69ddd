"""The JSON Schema of an export line, shipped with the package (``newsarchive export --schema``).

It describes :data:`archive.record.EXPORT_FIELDS` (all required, nothing else allowed) plus the
two keys that ``--revisions`` adds, ``revision`` and ``aliases``. ``README.md`` explains the
fields; a test holds the schema to the vocabulary and validates real export lines against it.
"""

from __future__ import annotations

import json
from typing import Any, Final

from archive.record import EXPORT_FIELDS, ROLES

SCHEMA_ID: Final = "https://github.com/newsarchive/newsarchive/schemas/article-export.json"

_NULLABLE_STRING: Final = {"type": ["string", "null"]}
_STRING_LIST: Final = {"type": "array", "items": {"type": "string"}}
_UTC_TIME: Final = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$",
}

_PROPERTIES: Final[dict[str, Any]] = {
    "url": {"type": "string", "format": "uri", "description": "canonical URL of the article"},
    "title": {**_NULLABLE_STRING, "description": "the headline, without site suffixes"},
    "text": {"type": "string", "description": "the body, paragraphs separated by newlines"},
    "published_at": {
        "type": ["string", "null"],
        "pattern": r"^\d{4}-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?)?$",
        "description": "ISO 8601 as the page shows it: a day, or a time with its offset",
    },
    "authors": {**_STRING_LIST, "description": "people credited for the writing"},
    "bylines": {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"name": {"type": "string"}, "role": {"enum": list(ROLES)}},
            "required": ["name", "role"],
            "additionalProperties": False,
        },
        "description": "everyone credited, with a role",
    },
    "source": {**_NULLABLE_STRING, "description": "the originating outlet"},
    "section": {**_NULLABLE_STRING, "description": "the site's section"},
    "tags": {**_STRING_LIST, "description": "the page's tags and keywords"},
    "language": {**_NULLABLE_STRING, "description": "ISO 639-1 code"},
    "site": {"type": "string", "description": "the host of url, with its port if any"},
    "fetched_at": {**_UTC_TIME, "description": "when the page was fetched (UTC)"},
    "content_hash": {
        "type": "string",
        "pattern": "^[0-9a-f]{64}$",
        "description": "SHA-256 of the NFC title, a newline and the text",
    },
    "extractor_version": {"type": "string"},
    "profile": {**_NULLABLE_STRING, "description": "the site profile whose crawl found it"},
    "removed_at": {
        "anyOf": [_UTC_TIME, {"type": "null"}],
        "description": "when a recheck found the article gone (404/410)",
    },
    "story_id": {
        "type": ["integer", "null"],
        "minimum": 1,
        "description": "the story: copies of one report on any site share it (the id of its"
        " first archived article; null only in files written by hand)",
    },
    "revision": {
        "type": "integer",
        "minimum": 1,
        "description": "with --revisions: the version's number, 1 for the first",
    },
    "aliases": {
        **_STRING_LIST,
        "description": "with --revisions: other URLs of the article",
    },
}

#: The schema as a JSON-ready dict (JSON Schema draft 2020-12).
EXPORT_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "newsarchive article export line",
    "type": "object",
    "properties": _PROPERTIES,
    "required": list(EXPORT_FIELDS),
    "dependentRequired": {"revision": ["aliases"], "aliases": ["revision"]},
    "additionalProperties": False,
}


def schema_json() -> str:
    """The schema as pretty-printed JSON text."""
    return json.dumps(EXPORT_SCHEMA, ensure_ascii=False, indent=2)
