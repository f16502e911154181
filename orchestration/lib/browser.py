"""Headless Chromium for the published reports: a PDF of an HTML report, and a screenshot for
checking that a report renders. No network (local files only), a throw-away profile each time."""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars")


class BrowserMissing(RuntimeError):
    pass


def chromium() -> str:
    for candidate in CANDIDATES:
        if Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    if found:
        return found
    raise BrowserMissing("headless Chromium not found (apt-get install chromium)")


def _run(args: list[str], timeout: float) -> str:
    with tempfile.TemporaryDirectory(prefix="ldis-chromium-") as profile:
        done = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                              check=True, capture_output=True, timeout=timeout, text=True)
    return done.stdout


def rendered_dom(html: Path, *, timeout: float = 60) -> str:
    """The document as Chromium laid it out (after parsing), serialised."""
    return _run(["--dump-dom", html.resolve().as_uri()], timeout)


def screenshot(html: Path, png: Path, *, width: int = 1280, height: int = 2000, timeout: float = 60) -> Path:
    _run([f"--screenshot={png}", f"--window-size={width},{height}", html.resolve().as_uri()], timeout)
    if not png.exists():
        raise RuntimeError(f"Chromium wrote no screenshot of {html}")
    return png


def print_pdf(html: Path, pdf: Path, *, timeout: float = 60) -> Path:
    _run([f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.resolve().as_uri()], timeout)
    if not pdf.exists():
        raise RuntimeError(f"Chromium wrote no PDF of {html}")
    return pdf


def png_pixels(png: Path) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    position, idat, header = 8, b"", b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        chunk = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = chunk
        elif kind == b"IDAT":
            idat += chunk
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    if depth != 8 or colour not in (2, 6):
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour})")
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def distinct_colours(png: Path, *, sample_every: int = 4) -> int:
    """How many different pixel colours a screenshot has (1 means blank)."""
    width, _height, rows = png_pixels(png)
    channels = len(rows[0]) // width
    seen = set()
    for row in rows[::sample_every]:
        for x in range(0, width * channels, channels * sample_every):
            seen.add(row[x:x + 3])
    return len(seen)
