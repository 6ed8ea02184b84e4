"""Declared image size from the file header, read before any pixel is decoded.

A few hundred bytes of PNG can declare 20000 x 20000 pixels (a "decompression bomb"); decoding it would take
gigabytes. `read_header` parses the PNG IHDR chunk, the JPEG SOF marker, the TIFF first IFD and the BMP info
header, so `tfdeblur.io` can refuse such a file by its declared size alone.
"""

from __future__ import annotations

import dataclasses
import struct

# JPEG start-of-frame markers (baseline, progressive, lossless, ...); C4, C8 and CC are other segments.
_SOF_MARKERS = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclasses.dataclass(frozen=True)
class ImageHeader:
    """What a header declares: format, width, height, and whether the pixels are gray (None: unknown)."""

    format: str
    width: int
    height: int
    gray: bool | None = None

    @property
    def pixels(self) -> int:
        return self.width * self.height


def _png(data: bytes) -> ImageHeader | None:
    if len(data) < 26 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    # colour types 0 (gray) and 4 (gray + alpha) are gray; 2, 3, 6 are colour or palette
    return ImageHeader("png", width, height, gray=data[25] in (0, 4))


def _jpeg(data: bytes) -> ImageHeader | None:
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:  # markers without a length
            pos += 2
            continue
        length = struct.unpack(">H", data[pos + 2:pos + 4])[0]
        if marker in _SOF_MARKERS:
            if pos + 10 > len(data):
                return None
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return ImageHeader("jpeg", width, height, gray=data[pos + 9] == 1)
        if marker == 0xDA or length < 2:  # scan data before any frame header: corrupt
            return None
        pos += 2 + length
    return None


def _tiff(data: bytes) -> ImageHeader | None:
    order = "<" if data[:2] == b"II" else ">"
    if len(data) < 8:
        return None
    offset = struct.unpack(order + "I", data[4:8])[0]
    if offset + 2 > len(data):
        return None
    count = struct.unpack(order + "H", data[offset:offset + 2])[0]
    tags = {}
    for i in range(count):
        entry = offset + 2 + 12 * i
        if entry + 12 > len(data):
            return None
        tag, kind = struct.unpack(order + "HH", data[entry:entry + 4])
        if kind == 3:  # SHORT
            tags[tag] = struct.unpack(order + "H", data[entry + 8:entry + 10])[0]
        elif kind == 4:  # LONG
            tags[tag] = struct.unpack(order + "I", data[entry + 8:entry + 12])[0]
    if 256 not in tags or 257 not in tags:
        return None
    samples = tags.get(277, 1)
    extra = 1 if 338 in tags else 0  # an alpha channel is an "extra sample"
    return ImageHeader("tiff", tags[256], tags[257], gray=samples - extra <= 1 and tags.get(262, 1) in (0, 1))


def _bmp(data: bytes) -> ImageHeader | None:
    if len(data) < 26:
        return None
    header_size = struct.unpack("<I", data[14:18])[0]
    if header_size == 12:  # OS/2 core header: 16-bit sizes
        width, height = struct.unpack("<HH", data[18:22])
    else:
        width, height = struct.unpack("<ii", data[18:26])
    return ImageHeader("bmp", abs(width), abs(height))


def sniff_format(data: bytes) -> str | None:
    """The format named by the file's first bytes (its magic number), or None; no header is parsed."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8"):
        return "jpeg"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data.startswith(b"BM"):
        return "bmp"
    return None


def read_header(data: bytes) -> ImageHeader | None:
    """The declared size of a PNG, JPEG, TIFF or BMP file from its first bytes; None if not recognised.

    Example:
    >>> import cv2, numpy as np
    >>> ok, png = cv2.imencode(".png", np.zeros((3, 5), np.uint8))
    >>> read_header(png.tobytes())
    ImageHeader(format='png', width=5, height=3, gray=True)
    """
    parser = {"png": _png, "jpeg": _jpeg, "tiff": _tiff, "bmp": _bmp}.get(sniff_format(data))
    return parser(data) if parser else None
