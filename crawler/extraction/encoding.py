"""Bytes to text for HTML pages: BOM, then the declared charsets checked against the bytes.

Chinese sites label pages ``gb2312`` or ``gbk`` and use characters outside those sets
(镕 喆 堃 䶮), so every GB label is decoded as its superset GB18030. Many pages are UTF-8 yet
still declare ``gb2312``: bytes that decode as strict UTF-8 are taken as UTF-8 whatever the
label says (real GBK text is almost never valid UTF-8). charset-normalizer is the last resort.
"""

from __future__ import annotations

import codecs
import logging
import re
from typing import Final

LOGGER = logging.getLogger(__name__)

#: Byte-order marks, longest first (UTF-32 LE starts with the UTF-16 LE mark).
_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: ``<meta charset=…>``, ``<meta http-equiv content="…; charset=…">`` and the XML declaration,
#: searched in the first bytes only, as browsers do.
_META_CHARSET_RE: Final = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)|<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.:-]+)""",
    re.IGNORECASE,
)
_SNIFF_BYTES: Final = 4096

#: Labels decoded as a superset, following the WHATWG encoding standard where it applies.
_SUPERSETS: Final[dict[str, str]] = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "gb18030": "gb18030",
    "hz": "gb18030",
    "big5": "big5hkscs",
    "latin-1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
}


#: Codecs that decode any byte sequence without error (so they never prove a label right).
_SINGLE_BYTE_WESTERN: Final = frozenset({"cp1252", "iso8859-15", "latin-1", "ascii"})


def normalize_charset(label: str | None) -> str | None:
    """Python codec name for a charset label, mapped to its superset; None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    # x-gbk, cp936, windows-936, gb_2312-80 …: all GB.
    if label in {"x-gbk", "cp936", "windows-936", "ms936", "gb_2312-80", "gb_2312", "x-gb2312"}:
        label = "gbk"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def sniff_meta_charset(body: bytes) -> str | None:
    """The charset declared inside the page's first bytes, if any."""
    match = _META_CHARSET_RE.search(body[:_SNIFF_BYTES])
    if match is None:
        return None
    raw = match.group(1) or match.group(2)
    return raw.decode("ascii", "ignore") if raw else None


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_html(body: bytes, http_charset: str | None = None) -> str:
    """Decode an HTML page without mojibake (see the module docstring for the order)."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            text = _strict(body[len(bom) :], codec)
            if text is not None:
                return text
    utf8 = _strict(body, "utf-8")
    if utf8 is not None:
        return utf8
    declared = [normalize_charset(http_charset), normalize_charset(sniff_meta_charset(body))]
    # Servers send ``ISO-8859-1`` by default; a single-byte Western label decodes any bytes,
    # so it is tried after a multi-byte label the page declares (``gb2312`` in its meta).
    declared.sort(key=lambda label: label in _SINGLE_BYTE_WESTERN)
    for label in declared:
        # A page that is not valid UTF-8 but says it is: fall through to detection.
        if label and label != "utf-8":
            text = _strict(body, label)
            if text is not None:
                return text
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(body).best()
    except Exception:  # detection is best effort
        LOGGER.debug("charset detection failed", exc_info=True)
        best = None
    if best is not None and best.encoding:
        detected = normalize_charset(best.encoding) or best.encoding
        text = _strict(body, detected)
        if text is not None:
            return text
    fallback = next((c for c in declared if c), "utf-8")
    return body.decode(fallback, errors="replace")
