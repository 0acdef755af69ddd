"""Raw pages in WARC files: every fetched page kept byte for byte with its HTTP headers.

One :class:`WarcWriter` per crawl run writes gzipped WARC 1.0 files named
``newsarchive-run{run_id:06d}-{serial:05d}.warc.gz``. Each file opens with a ``warcinfo`` record;
each page is a ``response`` record (plus a ``request`` record when the request headers are
known), each record its own gzip member, so that a reader can seek straight to it. The database
keeps the :class:`WarcLocation` (file, offset, length) that ``write_response`` returns, and
:func:`read_response` reads the page back from it. The files pass ``warcio check`` and
``warcio index``.

Files in progress. A file is written as ``<name>.warc.gz.open`` and renamed to ``<name>.warc.gz``
when it is complete (rotation or :meth:`WarcWriter.close`), the convention Heritrix and wget use:
tools that glob ``*.warc.gz`` see only complete files. Every record is flushed to the operating
system as soon as it is written, so after a crash (even ``kill -9``) every record whose location
was returned is readable from the ``.open`` file; only a record cut off mid-write can be damaged,
and its location was never returned. Locations always name the final ``.warc.gz`` file, and
:func:`read_response` falls back to ``<name>.open`` when the final file does not exist. (Power
loss is another matter: records are flushed, not fsynced; a file is fsynced when it is closed.)

Headers. Scrapy hands over the body with its ``Content-Encoding`` (gzip, deflate, br) and chunked
``Transfer-Encoding`` already decoded. Stored with those headers, the record would claim an
encoding the body no longer has, and replay tools and ``warcio check`` would fail on it. So the
record's HTTP headers say what the stored body is: ``Content-Encoding`` and ``Transfer-Encoding``
become ``X-Archive-Orig-Content-Encoding`` and ``X-Archive-Orig-Transfer-Encoding`` (the pywb and
warcio convention), and ``Content-Length`` is set to the stored body's length (a different
original value is kept as ``X-Archive-Orig-Content-Length``). Every other header is written as
given, in order, encoded as Latin-1: that is how Scrapy's header bytes are decoded in this
project, so the bytes on the wire are the bytes in the file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, Self
from urllib.parse import urlsplit

from warcio.archiveiterator import (  # type: ignore[import-untyped, unused-ignore]
    ArchiveIterator,
)
from warcio.statusandheaders import (  # type: ignore[import-untyped, unused-ignore]
    StatusAndHeaders,
)
from warcio.warcwriter import (  # type: ignore[import-untyped, unused-ignore]
    GzippingWrapper,
    WARCWriter,
)
from zlib_ng import zlib_ng

__all__ = [
    "OPEN_SUFFIX",
    "WarcError",
    "WarcLocation",
    "WarcResponse",
    "WarcWriter",
    "archivable_headers",
    "read_response",
    "warc_file_name",
]

#: Suffix of a WARC file still being written (or left by a writer that crashed).
OPEN_SUFFIX: Final = ".open"
_ORIG_PREFIX: Final = "X-Archive-Orig-"
# Headers that describe the transfer, not the stored body: renamed (see the module docstring).
_DECODED_HEADERS: Final = frozenset({"content-encoding", "transfer-encoding"})


class WarcError(Exception):
    """A WARC file that cannot be written or a record that cannot be read; one line."""


@dataclass(frozen=True, slots=True)
class WarcLocation:
    """Where a response record sits: file (relative to the WARC directory), offset, length."""

    path: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True)
class WarcResponse:
    """A response read back from a WARC file: the headers as stored, the body byte for byte."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    fetched_at: datetime


def warc_file_name(run_id: int, serial: int) -> str:
    """The name of the ``serial``-th WARC file of crawl run ``run_id``."""
    return f"newsarchive-run{run_id:06d}-{serial:05d}.warc.gz"


#: zlib's own default. warcio compresses at 9, which on news pages costs 1.6 times the CPU of 6
#: for files 3% smaller, on the crawl's reactor thread, for every page.
GZIP_LEVEL: Final = 6


class _Gzipping(GzippingWrapper):  # type: ignore[misc]
    """warcio's gzip member writer, at :data:`GZIP_LEVEL`."""

    def __init__(self, out: IO[bytes]) -> None:
        super().__init__(out)
        # zlib-ng: the same gzip format (any reader inflates it), at half zlib's CPU for files
        # 1 % larger at the same level (dev corpus pages: 1.07 against 2.05 ms a page).
        self.compressor = zlib_ng.compressobj(GZIP_LEVEL, zlib_ng.DEFLATED, zlib_ng.MAX_WBITS + 16)


class _Writer(WARCWriter):  # type: ignore[misc]
    """warcio's writer, each record one gzip member at :data:`GZIP_LEVEL` (made with
    ``gzip=False``, so that warcio does not wrap the output in its own level-9 member)."""

    def _write_warc_record(self, out: IO[bytes], record: Any) -> None:
        super()._write_warc_record(_Gzipping(out), record)


class _WireHeaders(StatusAndHeaders):  # type: ignore[misc]
    """HTTP headers serialised as Latin-1, as they came over the wire.

    warcio percent-encodes any non-ASCII header value (RFC 8187) when it writes a record; that
    would change the stored bytes of, say, a ``Content-Disposition`` with a raw UTF-8 file name.
    """

    def compute_headers_buffer(self, header_filter: Any = None) -> None:
        self.headers_buff = _wire_bytes(self.to_str(header_filter)) + b"\r\n"


def _wire_bytes(text: str) -> bytes:
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:  # not from Scrapy's Latin-1 decoding: keep the characters
        return text.encode("utf-8")


def _clean(text: str) -> str:
    # A CR or LF inside a header would end the header block early and corrupt the record.
    return text.replace("\r", " ").replace("\n", " ")


def archivable_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    """``headers`` rewritten to describe a body whose transfer and content codings are decoded.

    ``Content-Encoding``/``Transfer-Encoding`` become ``X-Archive-Orig-…``; ``Content-Length``
    is set to ``body_length`` (a different original value is kept as
    ``X-Archive-Orig-Content-Length``) and added if an encoding was removed. Order is kept.
    """
    result: list[tuple[str, str]] = []
    length_at: int | None = None
    decoded = False
    for raw_name, raw_value in headers:
        name, value = _clean(raw_name).strip(), _clean(raw_value)
        lowered = name.lower()
        if lowered in _DECODED_HEADERS:
            decoded = True
            result.append((_ORIG_PREFIX + name, value))
        elif lowered == "content-length":
            if value.strip() != str(body_length):
                result.append((_ORIG_PREFIX + name, value))
            if length_at is None:
                length_at = len(result)
                result.append((name, str(body_length)))
        else:
            result.append((name, value))
    if length_at is None and decoded:
        result.append(("Content-Length", str(body_length)))
    return result


def _software() -> str:
    try:
        return f"newsarchive/{version('newsarchive')}"
    except PackageNotFoundError:
        return "newsarchive"


def _warc_date(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class WarcWriter:
    """Writes the responses of one crawl run into rotating gzipped WARC files.

    Not thread-safe: one writer per crawl process. Files are created on the first write, so a
    run that fetches nothing leaves no file; a serial already used in ``directory`` (by an
    earlier attempt at the same run) is skipped, never overwritten.
    """

    def __init__(
        self, directory: Path, run_id: int, *, max_file_bytes: int = 1_000_000_000
    ) -> None:
        self.directory = Path(directory)
        self.run_id = run_id
        self.max_file_bytes = max_file_bytes
        self.files: list[Path] = []  # complete files, in order
        self._serial = 0
        self._file: IO[bytes] | None = None
        self._name = ""
        self._writer: Any = None
        self._closed = False
        self.directory.mkdir(parents=True, exist_ok=True)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Finish the current file (fsync, rename from ``.open``). Idempotent."""
        self._finish_file()
        self._closed = True

    @property
    def current_path(self) -> Path | None:
        """The file being written (its ``.open`` name), if any."""
        return self.directory / (self._name + OPEN_SUFFIX) if self._file else None

    # -- writing ---------------------------------------------------------------------------

    def write_response(
        self,
        url: str,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        *,
        fetched_at: datetime,
        request_headers: list[tuple[str, str]] | None = None,
        method: str = "GET",
    ) -> WarcLocation:
        """Write one page as a ``response`` record (and its ``request``, if headers are given).

        ``body`` is stored exactly; ``headers`` as described in the module docstring.
        ``fetched_at`` (aware) becomes the ``WARC-Date``, to the second. Returns the location of
        the response record.
        """
        if self._closed:
            raise WarcError("WARC writer is closed")
        warc_date = _warc_date(fetched_at)
        writer, out = self._ensure_file()
        phrase = reason or _phrase(status)
        http_headers = _WireHeaders(
            f"{status} {phrase}".rstrip(),
            archivable_headers(headers, len(body)),
            protocol="HTTP/1.1",
        )
        response = writer.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": warc_date},
        )
        offset = out.tell()
        try:
            writer.write_record(response)
            length = out.tell() - offset
            if request_headers is not None:
                parts = urlsplit(url)
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                request = writer.create_warc_record(
                    url,
                    "request",
                    http_headers=_WireHeaders(
                        f"{method} {target} HTTP/1.1",
                        [(_clean(k).strip(), _clean(v)) for k, v in request_headers],
                        is_http_request=True,
                    ),
                    warc_headers_dict={
                        "WARC-Date": warc_date,
                        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                    },
                )
                writer.write_record(request)
        except OSError as exc:
            raise WarcError(f"cannot write to {self.current_path}: {exc}") from exc
        location = WarcLocation(path=self._name, offset=offset, length=length)
        if out.tell() >= self.max_file_bytes:
            self._finish_file()
        return location

    def _ensure_file(self) -> tuple[Any, IO[bytes]]:
        if self._file is not None:
            return self._writer, self._file
        while True:
            name = warc_file_name(self.run_id, self._serial)
            self._serial += 1
            final = self.directory / name
            if final.exists():
                continue
            try:
                out = (self.directory / (name + OPEN_SUFFIX)).open("xb")
            except FileExistsError:
                continue
            except OSError as exc:
                raise WarcError(f"cannot create a WARC file in {self.directory}: {exc}") from exc
            break
        self._file, self._name = out, name
        self._writer = _Writer(out, gzip=False, warc_version="1.0")
        info = {
            "software": _software(),
            "format": "WARC File Format 1.0",
            "conformsTo": "http://bibnum.bnf.fr/WARC/WARC_ISO_28500_version1_latestdraft.pdf",
            "isPartOf": f"newsarchive-run{self.run_id:06d}",
            "newsarchive-run-id": str(self.run_id),
        }
        self._writer.write_record(self._writer.create_warcinfo_record(name, info))
        return self._writer, out

    def _finish_file(self) -> None:
        out = self._file
        if out is None:
            return
        self._file, self._writer = None, None
        try:
            out.flush()
            os.fsync(out.fileno())
            out.close()
            final = self.directory / self._name
            os.replace(self.directory / (self._name + OPEN_SUFFIX), final)
        except OSError as exc:
            raise WarcError(f"cannot finish WARC file {self._name}: {exc}") from exc
        self.files.append(final)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


# -- reading ---------------------------------------------------------------------------------


def read_response(directory: Path, location: WarcLocation) -> WarcResponse:
    """The response record at ``location``, its digests checked.

    Reads ``<path>.open`` when ``<path>`` does not exist (a file still being written, or left by
    a crashed writer). Raises :class:`WarcError` if the record is missing, not a response, or
    does not match its digests.
    """
    path = Path(directory) / location.path
    if not path.exists() and (candidate := path.with_name(path.name + OPEN_SUFFIX)).exists():
        path = candidate
    try:
        with path.open("rb") as stream:
            stream.seek(location.offset)
            record = next(iter(ArchiveIterator(stream, no_record_parse=True)), None)
            if record is None:
                raise WarcError(f"no WARC record at {location.path}:{location.offset}")
            if record.rec_type != "response":
                raise WarcError(
                    f"record at {location.path}:{location.offset} is a {record.rec_type!r} "
                    "record, not a response"
                )
            block = record.raw_stream.read()
            rec_headers = record.rec_headers
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc}") from exc
    except WarcError:
        raise
    except Exception as exc:  # warcio raises assorted errors on a damaged file
        raise WarcError(
            f"damaged WARC record at {location.path}:{location.offset}: {exc}".splitlines()[0]
        ) from exc
    head, sep, body = block.partition(b"\r\n\r\n")
    if not sep:
        raise WarcError(f"record at {location.path}:{location.offset} has no HTTP header block")
    _check_digest(rec_headers.get_header("WARC-Block-Digest"), block, location)
    _check_digest(rec_headers.get_header("WARC-Payload-Digest"), body, location)
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
        fetched_at = datetime.fromisoformat(rec_headers.get_header("WARC-Date"))
    except (IndexError, ValueError, TypeError) as exc:
        raise WarcError(f"bad status line or date at {location.path}:{location.offset}") from exc
    headers: list[tuple[str, str]] = []
    for line in header_lines:
        name, colon, value = line.partition(":")
        if colon:
            headers.append((name.strip(), value.lstrip(" \t")))
    return WarcResponse(
        url=rec_headers.get_header("WARC-Target-URI") or "",
        status=status,
        headers=headers,
        body=body,
        fetched_at=fetched_at,
    )


def _check_digest(declared: str | None, data: bytes, location: WarcLocation) -> None:
    if not declared:
        return
    algorithm, _, value = declared.partition(":")
    if algorithm.lower() != "sha1":
        return  # only SHA-1 is written here; others are not checked
    actual = base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")
    if actual != value.strip().upper():
        raise WarcError(f"digest mismatch in the record at {location.path}:{location.offset}")
