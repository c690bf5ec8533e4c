"""WebM duration comes from the Segment Info, as Matroska writes it."""

from __future__ import annotations

import struct
from pathlib import Path

from scheduler.media.sniff import sniff
from scheduler.media.webm import webm_duration


def element(element_id: bytes, body: bytes) -> bytes:
    """An EBML element with a one- or two-byte size."""
    if len(body) < 0x7F:
        return element_id + bytes([0x80 | len(body)]) + body
    return element_id + struct.pack(">H", 0x4000 | len(body)) + body


def webm(duration_ms: float, scale: int = 1_000_000, unknown_segment: bool = True) -> bytes:
    header = element(b"\x1a\x45\xdf\xa3", element(b"\x42\x82", b"webm"))
    info = element(
        b"\x15\x49\xa9\x66",
        element(b"\x2a\xd7\xb1", scale.to_bytes(3, "big"))
        + element(b"\x44\x89", struct.pack(">d", duration_ms)),
    )
    tracks = element(b"\x16\x54\xae\x6b", element(b"\xae", b"\x00" * 200))
    body = element(b"\x11\x4d\x9b\x74", b"\x00" * 20) + info + tracks  # SeekHead first
    if unknown_segment:
        segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff" + body
    else:
        segment = element(b"\x18\x53\x80\x67", body)
    return header + segment + b"\x1f\x43\xb6\x75" + b"\x00" * 64  # a Cluster follows


def test_duration_from_info(tmp_path: Path) -> None:
    path = tmp_path / "clip.webm"
    path.write_bytes(webm(95_250.0))
    assert webm_duration(path) == 95.25
    sniffed = sniff(path)
    assert sniffed.content_type == "video/webm"
    assert sniffed.duration == 95.25


def test_other_timecode_scale_and_known_segment_size(tmp_path: Path) -> None:
    path = tmp_path / "clip.webm"
    path.write_bytes(webm(2_000.0, scale=10_000_000, unknown_segment=False))
    assert webm_duration(path) == 20.0


def test_no_duration_or_garbage_gives_none(tmp_path: Path) -> None:
    path = tmp_path / "live.webm"
    path.write_bytes(b"\x1a\x45\xdf\xa3\x84webm" + b"\xff" * 32)
    assert webm_duration(path) is None
