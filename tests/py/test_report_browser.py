"""`tunectl report` end to end, and its HTML page in a real browser (Debian's chromium, headless).

The browser checks: the page renders (a screenshot of the right size that is not blank and shows the
red FAILED banner and both chart colours), the rendered DOM has one run mark per run and side per
metric, and the page logs nothing to the console. chromium is required: scripts/setup.sh installs it,
and its absence fails these tests instead of skipping them."""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import SOURCE_DIR, run_cli

SAMPLE = SOURCE_DIR / "tests" / "fixtures" / "audit" / "report-sample.json"
BANNER_FAIL = (0xCF, 0x22, 0x2E)  # .banner.fail background
BEFORE = (0x4E, 0x79, 0xA7)       # --before
AFTER = (0xF2, 0x8E, 0x2B)        # --after


@pytest.fixture
def rendered(tmp_path):
    """The sample rendered by `tunectl report` into tmp_path/out; returns (out dir, --json output)."""
    out = tmp_path / "out"
    res = run_cli("report", str(SAMPLE), "--out", str(out), "--prometheus", str(tmp_path / "audit.prom"), "--json")
    assert res.rc == 0, res
    return out, res.json()


# --- the verb ------------------------------------------------------------------------------------

def test_report_writes_the_three_files_and_the_prometheus_textfile(rendered, tmp_path):
    out, doc = rendered
    assert doc["files"] == [str(out / n) for n in ("report.json", "report.md", "report.html")]
    assert doc["prometheus"] == str(tmp_path / "audit.prom")
    assert doc["passed"] is False and doc["summary"].startswith("failed: expectation tcp_rr rtt_p50_us")
    assert json.loads((out / "report.json").read_text()) == json.loads(SAMPLE.read_text())
    assert (out / "report.json").read_text().startswith('{\n  "benchmarks"')
    assert (out / "report.md").read_text().startswith("**FAILED**: expectation tcp_rr rtt_p50_us improved")
    prom = (tmp_path / "audit.prom").read_text()
    assert 'tunectl_audit_passed{profile="low-latency-net"} 0\n' in prom
    assert prom.count("# TYPE tunectl_audit_ratio gauge\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.prom", "out"]  # no temporary files left


def test_report_writes_next_to_the_report_by_default(tmp_path):
    src = tmp_path / "audits" / "2026-11-30.json"
    src.parent.mkdir()
    shutil.copy(SAMPLE, src)
    res = run_cli("report", str(src))
    assert res.rc == 0, res
    assert res.out.splitlines()[0].startswith("FAILED: expectation tcp_rr")
    for name in ("report.json", "report.md", "report.html"):
        assert (src.parent / name).is_file(), name
        assert f"wrote {src.parent / name}\n" in res.out


def test_report_refuses_what_is_not_an_audit_report_with_one_line_naming_the_file(tmp_path):
    bench = tmp_path / "bench.json"
    bench.write_text('{"schema": "tunectl.bench/1"}')
    res = run_cli("report", str(bench))
    assert res.rc == 2, res
    assert res.err == (f"tunectl report: {bench}: not an audit report: has schema 'tunectl.bench/1', "
                       "expected tunectl.audit/1\n")
    missing = run_cli("report", str(tmp_path / "nope.json"))
    assert missing.rc == 2 and str(tmp_path / "nope.json") in missing.err and missing.err.count("\n") == 1
    directory = run_cli("report", str(tmp_path))
    assert directory.rc == 2 and "not a regular file (directory)" in directory.err
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    blocked = run_cli("report", str(fifo), timeout=10)  # refused at once, never waits for a writer
    assert blocked.rc == 2 and "not a regular file (FIFO)" in blocked.err
    (tmp_path / "file").write_text("x")
    not_dir = run_cli("report", str(SAMPLE), "--out", str(tmp_path / "file"))
    assert not_dir.rc == 2 and not_dir.err == f"tunectl report: {tmp_path / 'file'}: exists and is not a directory\n"
    assert run_cli("report").rc == 2


# --- the page in a browser -----------------------------------------------------------------------

def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    """Headless chromium on `url`, console messages logged to stderr (--enable-logging=stderr --v=0
    prints each as `...:CONSOLE:<line>] "<message>", source: <url> (<line>)`)."""
    exe = shutil.which("chromium")
    assert exe, "chromium is not installed (scripts/setup.sh installs it)"
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--enable-logging=stderr", "--v=0", *args, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180)


CONSOLE_LINE = re.compile(r'CONSOLE[:(]\d+\)?\] "(.*)", source: (\S*)')


def console_messages(stderr: str, url: str) -> list[str]:
    """What the page at `url` logged to the console (errors, warnings, uncaught exceptions, CSP
    violations), parsed from chromium's log. Why the log and not the DevTools protocol: it needs no
    client library and no JavaScript of ours, and test_console_detection_sees_errors proves that
    this chromium reports console output in the format parsed here."""
    return [m.group(1) for m in CONSOLE_LINE.finditer(stderr) if m.group(2).startswith(url)]


def test_console_detection_sees_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><script>console.error("probe-marker"); notDefined();</script>'
                   "</body></html>")
    proc = chromium(tmp_path, bad.as_uri(), "--dump-dom")
    messages = console_messages(proc.stderr, bad.as_uri())
    assert any("probe-marker" in m for m in messages), proc.stderr[-2000:]
    assert any("Uncaught ReferenceError" in m for m in messages), proc.stderr[-2000:]


class Marks(HTMLParser):
    """Counts the chart marks of the rendered DOM: <circle class="run"> per (metric, side)."""

    def __init__(self):
        super().__init__()
        self.runs = Counter()
        self.hollow = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "circle" and a.get("class") == "run":
            self.runs[(a.get("data-bench"), a.get("data-metric"), a.get("data-side"))] += 1
            self.hollow += a.get("data-disturbed") == "true"


def test_page_dom_has_one_mark_per_run_and_no_console_output(rendered, tmp_path):
    out, _ = rendered
    url = (out / "report.html").as_uri()
    proc = chromium(tmp_path, url, "--dump-dom")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "<header class=\"banner fail\">" in proc.stdout  # the DOM of our page, not an error page
    marks = Marks()
    marks.feed(proc.stdout)
    sample = json.loads(SAMPLE.read_text())
    expected = Counter()
    for b in sample["benchmarks"]:
        for side, key in (("before", "a"), ("after", "b")):
            for metric, m in b[key]["metrics"].items():
                expected[(b["bench"], metric, side)] = len(m["runs"])
    assert len(expected) == 10 and sum(expected.values()) == 50
    assert marks.runs == expected
    assert marks.hollow == 50  # every run of the sample was disturbed
    assert console_messages(proc.stderr, url) == []


def png_pixels(path: Path):
    """(width, height, Counter of RGB colours) of an 8-bit RGB/RGBA PNG, decoded with zlib + struct."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
        elif kind == b"IDAT":
            idat += body
    bpp = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(idat), width * bpp
    colours, prev, i = Counter(), bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        if kind == 2:
            line = bytearray((x + y) & 255 for x, y in zip(line, prev))
        elif kind:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b, c = prev[x], (prev[x - bpp] if x >= bpp else 0)
                if kind == 1:
                    line[x] = (line[x] + a) & 255
                elif kind == 3:
                    line[x] = (line[x] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[x:x + 3]) for x in range(0, stride, bpp))
        prev = line
    return width, height, colours


def test_page_renders_a_screenshot_with_the_banner_and_both_chart_colours(rendered, tmp_path):
    out, _ = rendered
    shot = tmp_path / "report.png"
    url = (out / "report.html").as_uri()
    proc = chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,2000")
    assert shot.is_file(), proc.stderr[-2000:]
    width, height, colours = png_pixels(shot)
    assert (width, height) == (1280, 2000)
    assert len(colours) > 100, "blank or nearly blank page"
    assert colours[bytes(BANNER_FAIL)] > 50000, "no red FAILED banner"
    assert colours[bytes(BEFORE)] > 100, "no 'before' marks drawn"
    assert colours[bytes(AFTER)] > 100, "no 'after' marks drawn"
    assert console_messages(proc.stderr, url) == []
