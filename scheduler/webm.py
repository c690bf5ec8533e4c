"""A WebM (Matroska) file's duration from its Segment Info, reading only the first 256 KiB."""

from __future__ import annotations

import struct
from pathlib import Path

SEGMENT, INFO = 0x18538067, 0x1549A966
TIMECODE_SCALE, DURATION = 0x2AD7B1, 0x4489
HEAD_BYTES = 256 * 1024


def _vint(buf: bytes, pos: int, keep_marker: bool) -> tuple[int, int, bool] | None:
    """(value, next position, all-ones) of the EBML variable-length integer at ``pos``."""
    if pos >= len(buf):
        return None
    first = buf[pos]
    length = next((n for n in range(1, 9) if first & (0x80 >> (n - 1))), 0)
    if not length or pos + length > len(buf):
        return None
    value = first if keep_marker else first & (0xFF >> length)
    for byte in buf[pos + 1 : pos + length]:
        value = (value << 8) | byte
    unknown = not keep_marker and value == (1 << (7 * length)) - 1
    return value, pos + length, unknown


def _info_duration(buf: bytes, start: int, end: int) -> float | None:
    scale, raw = 1_000_000, None  # TimecodeScale defaults to 1 ms (in nanoseconds)
    pos = start
    while pos < end:
        head = _vint(buf, pos, keep_marker=True)
        size = _vint(buf, head[1], keep_marker=False) if head else None
        if head is None or size is None:
            return None
        data = size[1]
        body = buf[data : data + size[0]]
        if head[0] == TIMECODE_SCALE:
            scale = int.from_bytes(body, "big") or scale
        elif head[0] == DURATION and len(body) in (4, 8):
            raw = struct.unpack(">f" if len(body) == 4 else ">d", body)[0]
        pos = data + size[0]
    return None if raw is None else raw * scale / 1e9


def webm_duration(path: Path) -> float | None:
    """Seconds, or None when the header does not say (live recordings often do not)."""
    with path.open("rb") as handle:
        buf = handle.read(HEAD_BYTES)
    pos = 0
    while pos < len(buf):
        head = _vint(buf, pos, keep_marker=True)
        size = _vint(buf, head[1], keep_marker=False) if head else None
        if head is None or size is None:
            return None
        element, data = head[0], size[1]
        if element == SEGMENT:
            pos = data  # descend; a Segment's size is often "unknown"
            continue
        if element == INFO:
            return _info_duration(buf, data, min(len(buf), data + size[0]))
        if size[2]:
            return None  # an unknown-size element we cannot skip
        pos = data + size[0]
    return None
