"""A WebM (Matroska) file's structure and duration, reading only the first 256 KiB.

The four magic bytes alone prove nothing: "EBML magic + HTML" would pass for a video and be
served from our media route. ``check`` walks the structure up to the first Cluster: an EBML
header whose DocType is webm or matroska, then a Segment whose children are all Segment
elements of the spec (RFC 9559), with a Tracks element holding at least one TrackEntry.
"""

from __future__ import annotations

import struct
from pathlib import Path

SEGMENT, INFO = 0x18538067, 0x1549A966
TIMECODE_SCALE, DURATION = 0x2AD7B1, 0x4489
EBML_HEADER, DOC_TYPE = 0x1A45DFA3, 0x4282
TRACKS, TRACK_ENTRY, CLUSTER = 0x1654AE6B, 0xAE, 0x1F43B675
# RFC 9559 section 5.1: the Segment's children (SeekHead, Info, Tracks, Cluster, Cues,
# Chapters, Tags, Attachments) and the global Void and CRC-32.
SEGMENT_CHILDREN = {
    0x114D9B74,
    INFO,
    TRACKS,
    CLUSTER,
    0x1C53BB6B,
    0x1043A770,
    0x1254C367,
    0x1941A469,
    0xEC,
    0xBF,
}
HEAD_BYTES = 256 * 1024


class NotWebM(ValueError):
    """The bytes start like a WebM file but are not one; the message says what is wrong."""


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


def _element(buf: bytes, pos: int) -> tuple[int, int, int | None]:
    """(id, data position, size or None when "unknown") of the element at ``pos``."""
    head = _vint(buf, pos, keep_marker=True)
    size = _vint(buf, head[1], keep_marker=False) if head else None
    if head is None or size is None:
        raise NotWebM("an element is damaged")
    return head[0], size[1], None if size[2] else size[0]


def _header_doc_type(buf: bytes) -> int:
    """The EBML header's DocType checked; the position just after the header."""
    element, data, size = _element(buf, 0)
    if element != EBML_HEADER or size is None or data + size > len(buf):
        raise NotWebM("its header is damaged")
    end, pos, doc = data + size, data, b""
    while pos < end:
        child, body, length = _element(buf, pos)
        if length is None or body + length > end:
            raise NotWebM("its header is damaged")
        if child == DOC_TYPE:
            doc = buf[body : body + length].rstrip(b"\x00")
        pos = body + length
    if doc not in (b"webm", b"matroska"):
        raise NotWebM("its header does not say WebM")
    return end


def check(path: Path) -> None:
    """Raise ``NotWebM`` unless the file is structured as WebM up to its first Cluster."""
    with path.open("rb") as handle:
        buf = handle.read(HEAD_BYTES)
    element, pos, size = _element(buf, _header_doc_type(buf))
    if element != SEGMENT:
        raise NotWebM("no Segment follows its header")
    end = len(buf) if size is None else min(len(buf), pos + size)
    tracks = False
    while pos < end:
        if len(buf) == HEAD_BYTES and pos + 16 > len(buf):
            break  # the head ends inside an element's header: what was read is what is judged
        head = _vint(buf, pos, keep_marker=True)
        if head is not None and head[0] == CLUSTER:
            break  # media data from here on; what came before described it
        element, data, size = _element(buf, pos)
        if element not in SEGMENT_CHILDREN:
            raise NotWebM("its Segment holds something that is not WebM")
        if size is None:
            raise NotWebM("an element before the first Cluster has no size")
        if element == TRACKS and data < len(buf):
            tracks = tracks or _element(buf, data)[0] == TRACK_ENTRY
        pos = data + size
    if not tracks:
        raise NotWebM("it has no tracks")
