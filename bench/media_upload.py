"""Peak memory of taking in a 200 MB video, into local disk and into (fake) Supabase Storage.

Run from the repository root (needs the local Postgres and Redis):

    .venv/bin/python bench/media_upload.py [--mb 200] [--chunk-kb 64] [--no-write]

The parent writes an MP4 (real ``ftyp``/``moov`` boxes, a large ``mdat``) and, per store,
starts a fresh child process that opens the runtime, feeds the file to ``ingest_stream`` in
network-sized chunks, reads it back through ``MediaStore.open``, and reports its peak RSS
(``getrusage`` ``ru_maxrss``) before and after. The fake Supabase runs in its own process,
so its memory is not counted. Figures go to the ``media`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.report import machine, write_section

DB = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/outpost_bench_media"
)
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")


def peak_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def file_chunks(path: Path, size: int) -> AsyncIterator[bytes]:
    """The file as an upload arrives: a chunk at a time, read off the event loop."""
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, size):
            yield chunk


async def child(kind: str, path: Path, chunk: int, supabase_url: str) -> dict[str, Any]:
    from core.settings import load_settings
    from storage.db import ensure_database, upgrade

    await ensure_database(DB)
    await upgrade(DB)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-media-"))
    settings = load_settings(
        database_url=DB,
        redis_url=REDIS,
        data_dir=data_dir,
        outpost_env="test",
        secret_key="bench-secret",
        queue_name="outpost:bench-media",
    )
    try:
        return await _measure(kind, path, chunk, supabase_url, settings)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def _measure(
    kind: str, path: Path, chunk: int, supabase_url: str, settings: Any
) -> dict[str, Any]:
    from scheduler.media.ingest import ingest_stream
    from scheduler.runtime import open_runtime
    from storage.media import MediaStore
    from storage.supabase_store import SupabaseMediaStore
    from tests.fakes.supabase import SERVICE_KEY

    async with open_runtime(settings) as opened:
        store: MediaStore = (
            SupabaseMediaStore(supabase_url, SERVICE_KEY, "media")
            if kind == "supabase"
            else opened.media
        )
        await store.prepare()
        rt = dataclasses.replace(opened, media=store)
        ws = await rt.workspaces.create(f"bench-{uuid.uuid4().hex[:8]}", "UTC")
        baseline = peak_mb()
        started = time.perf_counter()
        item = await ingest_stream(rt, ws.id, file_chunks(path, chunk), filename="bench.mp4")
        ingest_s = time.perf_counter() - started
        after_ingest = peak_mb()
        started = time.perf_counter()
        digest, read = hashlib.sha256(), 0
        async for piece in store.open(item.storage_key):
            digest.update(piece)
            read += len(piece)
        read_s = time.perf_counter() - started
        after_read = peak_mb()
        if digest.hexdigest() != item.sha256 or read != item.size_bytes:
            raise RuntimeError("read-back differs from what was stored")

        async def drop(view: object) -> None:
            await store.delete(item.storage_key)

        await rt.library.remove_orphan(item.id, rt.clock.now() + timedelta(hours=1), drop)
        await store.aclose()
    return {
        "store": kind,
        "size_mb": item.size_bytes / 2**20,
        "duration_s": item.duration_seconds,
        "baseline_mb": baseline,
        "peak_ingest_mb": after_ingest,
        "peak_read_mb": after_read,
        "ingest_s": ingest_s,
        "read_s": read_s,
    }


def start_fake() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.supabase", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"fake Supabase did not start: {line!r}")
    return proc, line.split(" ", 1)[1]


def run(mb: int, chunk_kb: int) -> list[dict[str, Any]]:
    from tests.media.files import write_mp4

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-video-") as tmp:
        video = Path(tmp) / "video.mp4"
        write_mp4(video, mb * 1_000_000 - 200)
        fake, url = start_fake()
        try:
            for kind in ("local", "supabase"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--child",
                        kind,
                        "--file",
                        str(video),
                        "--chunk-kb",
                        str(chunk_kb),
                        "--supabase-url",
                        url,
                    ],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if out.returncode != 0:
                    raise RuntimeError(f"{kind} child failed:\n{out.stderr[-3000:]}")
                results.append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            fake.terminate()
            fake.wait(10)
    return results


def render(results: list[dict[str, Any]], mb: int, chunk_kb: int) -> str:
    lines = [
        "## Media intake memory",
        "",
        f"Command: `.venv/bin/python bench/media_upload.py --mb {mb} --chunk-kb {chunk_kb}`",
        "",
        f"Machine: {machine()}",
        "",
        f"A {results[0]['size_mb']:.1f} MiB ({mb} MB) MP4 ({results[0]['duration_s']} s by its "
        f"`mvhd`) fed to `ingest_stream` in {chunk_kb} KiB chunks, then read back through "
        "`MediaStore.open`, each store in a fresh process. Peak RSS is `ru_maxrss`; "
        "the baseline is the peak after imports and opening the runtime.",
        "",
        "| store | baseline peak RSS | peak RSS after ingest | peak RSS after read-back "
        "| growth | ingest | read-back |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        growth = max(r["peak_ingest_mb"], r["peak_read_mb"]) - r["baseline_mb"]
        lines.append(
            f"| {r['store']} | {r['baseline_mb']:.0f} MiB | {r['peak_ingest_mb']:.0f} MiB "
            f"| {r['peak_read_mb']:.0f} MiB | +{growth:.0f} MiB "
            f"| {r['ingest_s']:.1f} s ({r['size_mb'] / r['ingest_s']:.0f} MiB/s) "
            f"| {r['read_s']:.1f} s |"
        )
    lines += [
        "",
        "Memory stays flat because bytes are spooled to `DATA_DIR/tmp` in ~1 MiB batches "
        "while hashed, uploads stream from the file (httpx multipart reads 64 KiB at a time; "
        "local disk copies 256 KiB at a time) and reads stream back in 256 KiB chunks. "
        "The Supabase store talks HTTP to `tests/fakes/supabase.py` on 127.0.0.1 in another "
        "process, so its time is a loopback figure, not Supabase's.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--chunk-kb", type=int, default=64)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", choices=["local", "supabase"])
    parser.add_argument("--file")
    parser.add_argument("--supabase-url", default="")
    args = parser.parse_args()
    if args.child:
        result = asyncio.run(
            child(args.child, Path(args.file), args.chunk_kb * 1024, args.supabase_url)
        )
        print(json.dumps(result))
        return
    results = run(args.mb, args.chunk_kb)
    body = render(results, args.mb, args.chunk_kb)
    print(body)
    if not args.no_write:
        write_section("media", body)


if __name__ == "__main__":
    main()
