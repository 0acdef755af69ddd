"""WARC files: byte-exact round trips, header rewriting, warcio check/index, rotation, crashes."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from archive.warc import (
    OPEN_SUFFIX,
    WarcError,
    WarcLocation,
    WarcWriter,
    archivable_headers,
    read_response,
    warc_file_name,
)

CST = timezone(timedelta(hours=8))
FETCHED_AT = datetime(2024, 5, 20, 10, 30, 15, 123456, tzinfo=CST)

UTF8_URL = "https://www.example.cn/news/2024/0520/c12345.html"
UTF8_BODY = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>罗湖区召开安全生产工作会议</title>'
    "</head><body><p>5月20日上午，罗湖区召开2024年安全生产工作会议。</p></body></html>"
).encode()
GBK_URL = "http://lh.example.gov.cn/xxgk/t20240519_88.htm"
GBK_BODY = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">'
    "<title>龙岗区镕金大道通车</title></head><body>罗湖口岸 — 镕</body></html>"
).encode("gbk")
GZIP_URL = "https://news.example.com/sz/2024/05/18/hetao.html?id=7"
GZIP_BODY = ("<html><body>" + "河套深港科技创新合作区。" * 200 + "</body></html>").encode()
GZIP_WIRE_LENGTH = len(gzip.compress(GZIP_BODY))


def _write_three(writer: WarcWriter) -> list[WarcLocation]:
    return [
        writer.write_response(
            UTF8_URL,
            200,
            "OK",
            [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(UTF8_BODY)))],
            UTF8_BODY,
            fetched_at=FETCHED_AT,
            request_headers=[("Host", "www.example.cn"), ("User-Agent", "newsarchive-test")],
        ),
        writer.write_response(
            GBK_URL,
            200,
            "",
            [("Content-Type", "text/html"), ("Server", "IIS"), ("Connection", "close")],
            GBK_BODY,
            fetched_at=FETCHED_AT + timedelta(seconds=1),
        ),
        writer.write_response(
            GZIP_URL,
            200,
            "OK",
            [
                ("Content-Type", "text/html; charset=UTF-8"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", str(GZIP_WIRE_LENGTH)),
                ("Vary", "Accept-Encoding"),
            ],
            GZIP_BODY,
            fetched_at=FETCHED_AT + timedelta(seconds=2),
            request_headers=[("Accept-Encoding", "gzip, deflate")],
        ),
    ]


def _warcio(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "warcio"
    command = [str(script)] if script.exists() else [sys.executable, "-c", _WARCIO_MAIN]
    return subprocess.run(
        [*command, *args], capture_output=True, text=True, timeout=60, check=False
    )


_WARCIO_MAIN = "import sys; from warcio.cli import main; main(sys.argv[1:])"


@pytest.fixture
def three(tmp_path: Path) -> tuple[Path, list[WarcLocation]]:
    with WarcWriter(tmp_path, run_id=42) as writer:
        locations = _write_three(writer)
    return tmp_path, locations


def test_responses_read_back_byte_identical(three: tuple[Path, list[WarcLocation]]) -> None:
    directory, locations = three
    name = warc_file_name(42, 0)
    assert name == "newsarchive-run000042-00000.warc.gz"
    assert [loc.path for loc in locations] == [name] * 3
    assert sorted(p.name for p in directory.iterdir()) == [name]  # no .open left behind
    assert locations[0].offset > 0  # the warcinfo record comes first
    assert locations[1].offset > locations[0].offset + locations[0].length  # request between

    utf8, gbk, gzipped = (read_response(directory, loc) for loc in locations)
    assert (utf8.url, utf8.status, utf8.body) == (UTF8_URL, 200, UTF8_BODY)
    assert (gbk.url, gbk.status, gbk.body) == (GBK_URL, 200, GBK_BODY)
    assert gbk.body.decode("gbk").endswith("罗湖口岸 — 镕</body></html>")
    assert (gzipped.url, gzipped.body) == (GZIP_URL, GZIP_BODY)
    assert utf8.fetched_at == datetime(2024, 5, 20, 2, 30, 15, tzinfo=UTC)  # to the second
    assert gzipped.fetched_at == datetime(2024, 5, 20, 2, 30, 17, tzinfo=UTC)

    assert utf8.headers == [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(UTF8_BODY))),
    ]
    assert gbk.headers == [
        ("Content-Type", "text/html"),
        ("Server", "IIS"),
        ("Connection", "close"),
    ]
    assert gzipped.headers == [
        ("Content-Type", "text/html; charset=UTF-8"),
        ("X-Archive-Orig-Content-Encoding", "gzip"),
        ("X-Archive-Orig-Content-Length", str(GZIP_WIRE_LENGTH)),
        ("Content-Length", str(len(GZIP_BODY))),
        ("Vary", "Accept-Encoding"),
    ]


def test_record_layout_on_disk(three: tuple[Path, list[WarcLocation]]) -> None:
    directory, locations = three
    path = directory / locations[1].path
    raw = path.read_bytes()
    # each record is its own gzip member: the location alone is enough to inflate it
    member = raw[locations[1].offset : locations[1].offset + locations[1].length]
    record = gzip.decompress(member)
    assert record.startswith(b"WARC/1.0\r\n")
    assert b"WARC-Type: response\r\n" in record
    assert f"WARC-Target-URI: {GBK_URL}\r\n".encode() in record
    assert b"WARC-Date: 2024-05-20T02:30:16Z\r\n" in record
    assert b"WARC-Payload-Digest: sha1:" in record
    assert b"HTTP/1.1 200 OK\r\n" in record  # the reason phrase filled in from the status
    assert record.endswith(GBK_BODY + b"\r\n\r\n")

    everything = gzip.decompress(raw)
    assert everything.startswith(b"WARC/1.0\r\nWARC-Type: warcinfo\r\n")
    assert b"software: newsarchive" in everything
    assert b"newsarchive-run-id: 42\r\n" in everything
    assert everything.count(b"WARC-Type: request\r\n") == 2
    assert b"GET /sz/2024/05/18/hetao.html?id=7 HTTP/1.1\r\n" in everything
    assert b"Content-Encoding: gzip" not in everything.replace(b"Orig-Content-Encoding", b"")


def test_warcio_check_and_index_accept_the_file(three: tuple[Path, list[WarcLocation]]) -> None:
    directory, locations = three
    path = str(directory / locations[0].path)
    check = _warcio("check", "-v", path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "fail" not in check.stdout.lower()

    index = _warcio("index", "-f", "warc-type,warc-target-uri,offset,length,http:status", path)
    assert index.returncode == 0, index.stderr
    rows = [json.loads(line) for line in index.stdout.splitlines()]
    responses = [r for r in rows if r["warc-type"] == "response"]
    assert [r["warc-target-uri"] for r in responses] == [UTF8_URL, GBK_URL, GZIP_URL]
    assert [(int(r["offset"]), int(r["length"])) for r in responses] == [
        (loc.offset, loc.length) for loc in locations
    ]
    assert [r["warc-type"] for r in rows] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "response",
        "request",
    ]


def test_warcio_check_notices_a_damaged_record(
    three: tuple[Path, list[WarcLocation]], tmp_path: Path
) -> None:
    # The check above can fail: the same record with one body byte changed does not pass.
    directory, locations = three
    location = locations[1]
    raw = (directory / location.path).read_bytes()
    record = gzip.decompress(raw[location.offset : location.offset + location.length])
    damaged = record.replace("镕".encode("gbk"), "熔".encode("gbk"))
    assert damaged != record
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "bad.warc.gz").write_bytes(gzip.compress(damaged))
    check = _warcio("check", str(bad_dir / "bad.warc.gz"))
    assert check.returncode != 0
    with pytest.raises(WarcError, match="digest mismatch"):
        read_response(bad_dir, WarcLocation("bad.warc.gz", 0, 0))


def test_rotation_starts_a_new_file_with_its_own_warcinfo(tmp_path: Path) -> None:
    # Past max_file_bytes the file is finished; here every response fills one.
    with WarcWriter(tmp_path, run_id=7, max_file_bytes=1) as writer:
        locations = _write_three(writer)
        assert len(writer.files) == 3  # each was finished right after its record
    names = [warc_file_name(7, serial) for serial in range(3)]
    assert [loc.path for loc in locations] == names
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert writer.files == [tmp_path / n for n in names]
    for name in names:
        assert gzip.decompress((tmp_path / name).read_bytes()).startswith(
            b"WARC/1.0\r\nWARC-Type: warcinfo\r\n"
        )
        assert _warcio("check", str(tmp_path / name)).returncode == 0
    bodies = [read_response(tmp_path, loc).body for loc in locations]
    assert bodies == [UTF8_BODY, GBK_BODY, GZIP_BODY]


def test_rotation_keeps_filling_a_file_below_the_limit(
    three: tuple[Path, list[WarcLocation]], tmp_path: Path
) -> None:
    # A limit a little below where the second response ends (record ids vary by a few bytes).
    _, single = three
    limit = single[1].offset + single[1].length - 20
    with WarcWriter(tmp_path / "rotated", run_id=8, max_file_bytes=limit) as writer:
        locations = _write_three(writer)
    paths = [loc.path for loc in locations]
    assert paths == [warc_file_name(8, 0), warc_file_name(8, 0), warc_file_name(8, 1)]
    assert (tmp_path / "rotated" / paths[0]).stat().st_size >= limit
    assert read_response(tmp_path / "rotated", locations[2]).body == GZIP_BODY


def test_existing_files_of_the_run_are_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / warc_file_name(3, 0)).write_bytes(b"an earlier attempt")
    (tmp_path / (warc_file_name(3, 1) + OPEN_SUFFIX)).write_bytes(b"a crashed attempt")
    with WarcWriter(tmp_path, run_id=3) as writer:
        location = writer.write_response(UTF8_URL, 200, "OK", [], UTF8_BODY, fetched_at=FETCHED_AT)
    assert location.path == warc_file_name(3, 2)
    assert (tmp_path / warc_file_name(3, 0)).read_bytes() == b"an earlier attempt"
    assert read_response(tmp_path, location).body == UTF8_BODY


def test_a_writer_that_writes_nothing_leaves_no_file(tmp_path: Path) -> None:
    WarcWriter(tmp_path / "warc", run_id=1).close()
    assert list((tmp_path / "warc").iterdir()) == []


_CRASHING_WRITER = """
import json, os, signal, sys
from datetime import datetime, timezone
from pathlib import Path
from archive.warc import WarcWriter

writer = WarcWriter(Path(sys.argv[1]), run_id=9)
at = datetime(2024, 5, 20, tzinfo=timezone.utc)
locations = [
    writer.write_response(f"https://www.example.cn/a/{i}.html", 200, "OK",
                          [("Content-Type", "text/html; charset=gbk")],
                          ("第%d篇 罗湖" % i).encode("gbk") * 50, fetched_at=at)
    for i in range(3)
]
print(json.dumps([[l.path, l.offset, l.length] for l in locations]), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_file_left_by_a_killed_writer_still_reads(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CRASHING_WRITER, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == -9, result.stderr
    locations = [WarcLocation(p, o, n) for p, o, n in json.loads(result.stdout)]
    open_file = tmp_path / (warc_file_name(9, 0) + OPEN_SUFFIX)
    assert [p.name for p in tmp_path.iterdir()] == [open_file.name]
    assert all(loc.path == warc_file_name(9, 0) for loc in locations)  # the final name

    bodies = [read_response(tmp_path, loc).body for loc in locations]
    assert bodies == [f"第{i}篇 罗湖".encode("gbk") * 50 for i in range(3)]
    assert _warcio("check", str(open_file)).returncode == 0

    # A record cut off mid-write damages only itself: the earlier ones still read.
    with open_file.open("ab") as out:
        out.write(gzip.compress(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 999\r\n")[:25])
    assert read_response(tmp_path, locations[2]).body == bodies[2]

    # Once renamed (by hand or a recovery step), the same locations keep working.
    shutil.move(open_file, tmp_path / warc_file_name(9, 0))
    assert read_response(tmp_path, locations[0]).body == bodies[0]


def test_header_bytes_are_kept_as_on_the_wire(tmp_path: Path) -> None:
    # Scrapy header bytes decoded as Latin-1 (as crawler/spiders/news.py does): raw UTF-8 inside.
    wire_value = 'attachment; filename="罗湖.html"'.encode().decode("latin-1")
    with WarcWriter(tmp_path, run_id=5) as writer:
        location = writer.write_response(
            UTF8_URL,
            404,
            "Not Found",
            [("Content-Disposition", wire_value), ("X-Evil", "a\r\nInjected: yes")],
            b"",
            fetched_at=FETCHED_AT,
        )
    raw = gzip.decompress((tmp_path / location.path).read_bytes())
    assert 'Content-Disposition: attachment; filename="罗湖.html"\r\n'.encode() in raw
    assert b"\r\nInjected: yes" not in raw
    page = read_response(tmp_path, location)
    assert (page.status, page.body) == (404, b"")
    assert ("Content-Disposition", wire_value) in page.headers
    assert ("X-Evil", "a  Injected: yes") in page.headers


def test_archivable_headers() -> None:
    headers = [
        ("Date", "Mon, 20 May 2024 02:30:15 GMT"),
        ("Transfer-Encoding", "chunked"),
        ("content-encoding", "br"),
        ("Content-Type", "text/html"),
    ]
    assert archivable_headers(headers, 1234) == [
        ("Date", "Mon, 20 May 2024 02:30:15 GMT"),
        ("X-Archive-Orig-Transfer-Encoding", "chunked"),
        ("X-Archive-Orig-content-encoding", "br"),
        ("Content-Type", "text/html"),
        ("Content-Length", "1234"),
    ]
    # nothing decoded, no length given: left alone
    assert archivable_headers([("Content-Type", "text/html")], 10) == [
        ("Content-Type", "text/html")
    ]
    # a correct length is kept as is
    assert archivable_headers([("Content-Length", "10")], 10) == [("Content-Length", "10")]


def test_misuse_is_a_clear_error(three: tuple[Path, list[WarcLocation]], tmp_path: Path) -> None:
    directory, locations = three
    with pytest.raises(WarcError, match="not a response"):
        read_response(directory, WarcLocation(locations[0].path, 0, 0))  # the warcinfo record
    with pytest.raises(WarcError, match="cannot read"):
        read_response(directory, WarcLocation("missing.warc.gz", 0, 0))
    writer = WarcWriter(tmp_path / "w", run_id=1)
    with pytest.raises(ValueError, match="timezone-aware"):
        writer.write_response(UTF8_URL, 200, "OK", [], b"x", fetched_at=datetime(2024, 5, 20))
    writer.close()
    with pytest.raises(WarcError, match="closed"):
        writer.write_response(UTF8_URL, 200, "OK", [], b"x", fetched_at=FETCHED_AT)
