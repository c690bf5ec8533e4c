"""Score and time the request reader on the shared time corpora of every language it reads.

Run from the repository root:

    .venv/bin/python bench/time_reader.py [--corpus-dir DIR] [--langs en,es,...] [--repeats 5]
        [--out FILE] [--no-dateparser] [--show-failures N] [--no-write]

Scoring follows ../shared/bench/README.md (the rule in score_time_corpus.py, whose helpers
are imported): each phrase is read with now = the case's reference time, the answer is
truncated to the expected grain and compared as wall time at the corpus offset.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DIR = os.path.join(ROOT, "..", "shared", "bench")
LANGS = ("en", "es", "fr", "de", "pt", "it", "ru")
sys.path.insert(0, ROOT)

from scheduler.reader import read_request, score_adapter

GRAINS = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"]
CHAT = [
    "tomorrow 9am to x, linkedin: We're live! https://example.com",
    "in 2 hours on mastodon: Launching today 🚀",
    "next friday 17:00 to @acme.bsky.social: Weekend sale",
    "dec 3 10:30 PST to all: Webinar starts in 30 minutes",
    "every monday at 9:00 to linkedin: Weekly tip",
    "now to telegram: Doors open",
]


def _scorer(corpus_path: str) -> Any:
    sys.path.insert(0, os.path.dirname(os.path.abspath(corpus_path)))
    import score_time_corpus

    return score_time_corpus


def score(fn: Any, corpus: dict[str, Any], sc: Any) -> tuple[list[dict[str, Any]], float]:
    """Per-phrase results for value cases, and the fraction of negatives with no time."""
    tz = sc.parse_offset(corpus["timezone_offset"])
    default_now = dt.datetime.fromisoformat(corpus["reference_time"])
    rows = []
    for case in corpus["cases"]:
        exp = case["expected"]
        if exp["type"] != "value":
            continue
        now = (
            dt.datetime.fromisoformat(case["reference_time"])
            if case.get("reference_time")
            else default_now
        )
        want = sc.truncate(
            sc.to_local_naive(dt.datetime.fromisoformat(exp["value"]), tz), exp["grain"]
        )
        for phrase in case["phrases"]:
            try:
                got = fn(phrase, now)
                got = sc.to_local_naive(got, tz) if got is not None else None
            except Exception:  # a crash counts as a miss, as in the shared scorer
                got = None
            rows.append(
                {
                    "phrase": phrase,
                    "grain": exp["grain"],
                    "section": case["section"],
                    "holiday": bool(case.get("holiday")),
                    "expected": exp["value"],
                    "got": got.isoformat() if got else None,
                    "correct": got is not None and sc.truncate(got, exp["grain"]) == want,
                }
            )
    negatives = corpus["negative"]
    none = 0
    for phrase in negatives:
        try:
            none += fn(phrase, default_now) is None
        except Exception:
            none += 1
    return rows, (none / len(negatives)) if negatives else float("nan")


def timing(corpus: dict[str, Any], repeats: int, lang: str = "en") -> dict[str, Any]:
    """Per-phrase parse time over the whole corpus, repeated, after one warm-up pass."""
    now = dt.datetime.fromisoformat(corpus["reference_time"])
    phrases = [p for c in corpus["cases"] for p in c["phrases"]] + corpus["negative"]
    for p in phrases:
        score_adapter(p, now, lang)
    samples: list[float] = []
    medians: list[float] = []
    for _ in range(repeats):
        run = []
        for p in phrases:
            t0 = time.perf_counter()
            score_adapter(p, now, lang)
            run.append(time.perf_counter() - t0)
        medians.append(statistics.median(run) * 1e3)
        samples += run
    samples.sort()
    chat_now = dt.datetime(2026, 11, 28, 10, 0, tzinfo=dt.UTC)
    chat: list[float] = []
    for _ in range(repeats * 200):
        for text in CHAT:
            t0 = time.perf_counter()
            read_request(text, now=chat_now, tz="Europe/Berlin")
            chat.append(time.perf_counter() - t0)
    chat.sort()
    return {
        "phrases": len(phrases),
        "repeats": repeats,
        "median_ms": statistics.median(samples) * 1e3,
        "p99_ms": samples[int(0.99 * (len(samples) - 1))] * 1e3,
        "max_ms": samples[-1] * 1e3,
        "median_per_repeat_ms": [round(m, 4) for m in medians],
        "chat_median_ms": statistics.median(chat) * 1e3,
        "chat_p99_ms": chat[int(0.99 * (len(chat) - 1))] * 1e3,
    }


def _acc(rows: list[dict[str, Any]]) -> str:
    ok = sum(r["correct"] for r in rows)
    return f"{ok}/{len(rows)} = {ok / len(rows):.1%}" if rows else "n/a"


def summarise(rows: list[dict[str, Any]], neg: float) -> list[str]:
    """Markdown lines: overall, non-holiday, per grain and per section."""
    lines = [
        f"- value phrases: {_acc(rows)}",
        f"- non-holiday value phrases: {_acc([r for r in rows if not r['holiday']])}",
        f"- holiday value phrases: {_acc([r for r in rows if r['holiday']])}",
        f"- negative phrases with no time: {neg:.1%}",
        "",
        "| grain | all | non-holiday |",
        "| --- | --- | --- |",
    ]
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["grain"]].append(r)
    for g in GRAINS:
        if by[g]:
            nonhol = _acc([r for r in by[g] if not r["holiday"]])
            lines.append(f"| {g} | {_acc(by[g])} | {nonhol} |")
    lines += ["", "| section | value phrases |", "| --- | --- |"]
    sections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        sections[r["section"]].append(r)
    lines += [f"| {k} | {_acc(v)} |" for k, v in sorted(sections.items())]
    return lines


def machine() -> str:
    """nproc, CPU model and Python version."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    return f"nproc {nproc}, CPU {cpu}, Python {platform.python_version()}"


def _share(rows: list[dict[str, Any]]) -> float:
    return sum(r["correct"] for r in rows) / len(rows) if rows else float("nan")


def language_table(args: argparse.Namespace, sc: Any) -> list[str]:
    """One row per language: the reader and dateparser on the same corpus, and the bars."""
    lines = [
        "| lang | value phrases | non-holiday | negatives refused | median ms | p99 ms "
        "| dateparser: value / non-holiday / negatives | bars met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for lang in args.langs.split(","):
        with open(os.path.join(args.corpus_dir, f"time_corpus_{lang}.json")) as f:
            corpus = json.load(f)
        rows, neg = score(lambda p, n, lang=lang: score_adapter(p, n, lang), corpus, sc)
        tm = timing(corpus, args.repeats, lang)
        nonhol = [r for r in rows if not r["holiday"]]
        dp = "not run"
        if not args.no_dateparser:
            dp_rows, dp_neg = score(
                lambda p, n, lang=lang: sc.dateparser_adapter(p, n, languages=[lang]), corpus, sc
            )
            dp_nonhol = _acc([r for r in dp_rows if not r["holiday"]])
            dp_negs = "-" if dp_neg != dp_neg else f"{dp_neg:.0%}"
            dp = f"{_acc(dp_rows)} / {dp_nonhol} / {dp_negs}"
        if lang == "en":
            met = [_share(rows) >= 0.90, _share(nonhol) >= 473 / 496, neg >= 1.0 or neg != neg]
            met.append(tm["median_ms"] < 0.5)
        else:
            met = [_share(rows) >= 0.85, _share(nonhol) >= 0.90, neg >= 0.90 or neg != neg]
            met.append(tm["median_ms"] < 2.0)
        negs = "no negatives" if neg != neg else f"{neg:.0%}"
        lines.append(
            f"| {lang} | {_acc(rows)} | {_acc(nonhol)} | {negs} | {tm['median_ms']:.3f} "
            f"| {tm['p99_ms']:.3f} | {dp} | {sum(met)}/4 |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--corpus-dir", default=DEFAULT_DIR)
    ap.add_argument("--langs", default=",".join(LANGS))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default="", help="also write the report to this file")
    ap.add_argument("--no-dateparser", action="store_true")
    ap.add_argument("--show-failures", type=int, default=0)
    ap.add_argument("--no-write", action="store_true", help="do not touch docs/benchmarks.md")
    args = ap.parse_args(argv)
    corpus_path = os.path.join(args.corpus_dir, "time_corpus_en.json")
    with open(corpus_path) as f:
        corpus = json.load(f)
    sc = _scorer(corpus_path)
    rows, neg = score(score_adapter, corpus, sc)
    tm = timing(corpus, args.repeats)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Request reader benchmark",
        "",
        f"Command: `.venv/bin/python bench/time_reader.py --repeats {args.repeats}` "
        f"(corpora `time_corpus_<lang>.json` of the shared bench directory)",
        "",
        f"Machine: {machine()}; load average at the end {{load}} (the 2 cores were shared "
        "with other helpers' test runs, so times are pessimistic)",
        "",
        "## Every language (value phrases; scorer rule of score_time_corpus.py)",
        "",
        *language_table(args, sc),
        "",
        "Bars: English >= 90% of value phrases, non-holiday and negatives no worse than before "
        "(95.4%, 100%), median < 0.5 ms; other languages >= 85% of value phrases, >= 90% "
        "non-holiday, >= 90% of negatives refused, median < 2 ms. ES has no negatives.",
        "",
        "## English in detail (scheduler.reader.score_adapter)",
        "",
        *summarise(rows, neg),
        "",
        "## Timing (per call, after a warm-up pass)",
        "",
        f"- parse_time over {tm['phrases']} English corpus phrases x {tm['repeats']} repeats: "
        f"median {tm['median_ms']:.3f} ms, p99 {tm['p99_ms']:.3f} ms, "
        f"max {tm['max_ms']:.2f} ms; median per repeat "
        f"{min(tm['median_per_repeat_ms']):.4f}-{max(tm['median_per_repeat_ms']):.4f} ms",
        f"- read_request on the {len(CHAT)} contract chat examples: median "
        f"{tm['chat_median_ms']:.3f} ms, p99 {tm['chat_p99_ms']:.3f} ms",
        "",
        "## Notes",
        "",
        "- Other languages are rewritten into the English rules' words (scheduler/reader/lang/)."
        " dateparser is scored beside them only: as a fallback for phrases the rules leave "
        "unread it added 3 French value phrases and nothing elsewhere, while it read most "
        "negatives as times (French 25%, Italian 50%, Portuguese 60% refused), so the reader "
        "does not call it.",
        "- Holidays: Islamic months start as Umm al-Qura has them (a new moon from Meeus's main "
        "terms before sunset in Mecca), Jewish holidays by their eve from the arithmetic Hebrew "
        "calendar, Hindu festivals from new and full moons in Indian time. Known misses: "
        "festivals kept by solar or nakshatra rules (Onam, Pongal days, Guru Gobind Singh), "
        "Parsi New Year, tithis away from a new or full moon (Janmashtami, Vasant Panchami); "
        'bare numbers in `latent` ("7", "ten thirty") are left unread because the negatives '
        '("25", "three twenty") want the opposite; Duckling conventions a scheduler does not '
        'share ("at 4:23" 7 minutes in the past stays today; "3 uhr" is 15:00; "lundi en huit").',
    ]
    text = "\n".join(lines).replace("{load}", load) + "\n"
    print(text)
    if args.show_failures:
        for r in [r for r in rows if not r["correct"]][: args.show_failures]:
            print(f"  [{r['grain']}] {r['phrase']!r}: expected {r['expected']} got {r['got']}")
    if not args.no_write:
        from report import write_section

        section = text.replace("\n## ", "\n### ").replace(
            "# Request reader benchmark", "## Request reader"
        )
        write_section("reader", section)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
