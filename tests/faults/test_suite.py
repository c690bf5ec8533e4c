"""A small run of the fault suite (bench/faults/suite.py) inside the test command.

The full run (500 posts, 24 kills) has its own command; see docs/benchmarks.md. This small
run takes most of a minute on a 2-core machine, so it is a long run too: ``scripts/test.sh -m
slow`` (the README's long runs); the default suite keeps the fault tests of tests/faults/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults.suite import Config, run

pytestmark = [pytest.mark.faults, pytest.mark.slow]


async def test_chaos_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    report = await run(Config(posts=40, kills=5, spread=15.0, seed=3), tmp_path)
    assert report.kills == 5
    assert len(report.events) == 3  # flush, Redis restart, Postgres restart
    assert report.lost == 0, report.text()
    assert report.duplicated == 0, report.text()
    assert report.unexpected == 0, report.text()
    assert report.inconsistent == 0, report.text()
    assert report.lateness, "nothing was published"
    # Posts crossed the (10 s) queue horizon as Redis was flushed and as workers were killed.
    assert report.crossing["flush"] == 3
    assert report.crossing["worker kill"] == 15
    assert report.crossing_bad == 0, report.text()
