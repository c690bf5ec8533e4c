"""``outpost parse``: one request, JSON, and one JSON line per stdin line."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.support import ROOT

NOW = "2026-11-28T10:00:00+01:00"


def parse(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "parse", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_json_for_a_contract_example() -> None:
    done = parse(
        "tomorrow 9am to x, linkedin: We're live! https://example.com",
        "--now",
        NOW,
        "--tz",
        "Europe/Berlin",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {
        "when": "2026-11-29T09:00:00+01:00",
        "timezone": "Europe/Berlin",
        "recurrence": None,
        "destinations": ["x", "linkedin"],
        "text": "We're live! https://example.com",
        "problems": [],
        "lang": "en",
    }


def test_a_phrase_alone_gives_its_time_and_a_problem() -> None:
    done = parse("next friday at 5pm", "--now", NOW, "--tz", "Europe/Berlin", "--json")
    out = json.loads(done.stdout)
    assert out["when"] == "2026-12-04T17:00:00+01:00"
    assert out["problems"]
    assert done.returncode == 1


def test_stdin_lines_give_json_lines_in_order() -> None:
    lines = "every monday at 9:00 to linkedin: Weekly tip\nbanana\nnow to telegram: Doors open\n"
    done = parse("--now", NOW, "--tz", "Europe/Berlin", stdin=lines)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rows) == 3
    assert rows[0]["recurrence"].startswith("FREQ=WEEKLY")
    assert rows[1]["when"] is None
    assert rows[1]["problems"]
    assert rows[2]["destinations"] == ["telegram"]
    assert rows[2]["text"] == "Doors open"


def test_human_output_names_problems() -> None:
    done = parse("yesterday 9am to x: late", "--now", NOW, "--tz", "Europe/Berlin")
    assert done.returncode == 1
    assert "problem:" in done.stdout


def test_text_too_long_for_a_named_network_is_reported_by_parse() -> None:
    done = parse(
        "tomorrow 9am to x, bluesky: " + "a" * 300, "--now", NOW, "--tz", "Europe/Berlin", "--json"
    )
    assert done.returncode == 1
    out = json.loads(done.stdout)
    assert out["problems"] == [
        "The text is 300 characters as X counts them; it allows 280. "
        "Shorten it or send it to another network."
    ]
