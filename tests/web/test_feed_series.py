"""The iCal feed draws a recurring series as one event with its RRULE and EXDATE in the post's
zone, which a strict parser (icalendar) reads and expands (recurring-ical-events) to the
calendar's own occurrences."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import recurring_ical_events
from aiohttp.test_utils import TestClient

from scheduler import series
from scheduler.calendar import feed_key
from scheduler.runtime import Runtime
from scheduler.service import Scheduler
from tests.support import set_clock
from tests.test_series import BERLIN, berlin
from tests.web.conftest import Crew
from web.vtimezone import tzid, vtimezone, zone_of


async def test_a_weekly_series_is_one_event_with_its_rule_and_skipped_dates(
    runtime: Runtime, client: TestClient[object, object], crew: Crew
) -> None:
    set_clock(runtime, datetime(2027, 3, 1, 12, tzinfo=UTC))
    ws = crew.team.workspace.id
    scheduler = Scheduler(runtime)
    post = await scheduler.schedule(
        ws, "every monday at 9:00 to mastodon: Weekly tip", tz="Europe/Berlin"
    )
    await series.skip(runtime, ws, post.id, berlin(3, 22))
    once = await scheduler.schedule_fields(
        ws, text="Once", when=berlin(3, 10, 12), destinations=["mastodon"]
    )
    body = await (await client.get(f"/calendar.ics?key={await feed_key(runtime, ws)}")).text()
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0\r\n" in body
    assert "EXDATE;TZID=Europe/Berlin:20270322T090000\r\n" in body
    assert "DTSTART;TZID=Europe/Berlin:20270308T090000\r\n" in body
    assert "every Monday at 09:00" in body

    calendar = icalendar.Calendar.from_ical(body)
    events = calendar.walk("VEVENT")
    assert len(events) == 2  # the series once, the one-off once
    [zone] = calendar.walk("VTIMEZONE")
    assert zone["TZID"] == "Europe/Berlin"
    [rule_event] = [e for e in events if "RRULE" in e]
    assert str(rule_event["UID"]) == f"{post.id}-series@outpost"

    expanded = recurring_ical_events.of(calendar).between(date(2027, 3, 1), date(2027, 5, 1))
    starts = sorted(e["DTSTART"].dt.astimezone(UTC) for e in expanded)
    mondays = [berlin(3, 8), berlin(3, 15), berlin(3, 29), berlin(4, 5), berlin(4, 12),
               berlin(4, 19), berlin(4, 26)]  # fmt: skip
    assert starts == sorted([*mondays, once.scheduled_at])
    # After the change to summer time the series still publishes at 09:00 in Berlin.
    april = [e["DTSTART"].dt for e in expanded if e["DTSTART"].dt.month == 4]
    assert len(april) == 4
    assert all(d.astimezone(BERLIN).hour == 9 for d in april)
    assert all(d.astimezone(UTC).hour == 7 for d in april)


@pytest.mark.parametrize(
    "name",
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC+05:30"],
)
def test_the_vtimezone_read_by_a_parser_has_the_zone_databases_offsets(name: str) -> None:
    start, end = datetime(2027, 3, 1, tzinfo=UTC), datetime(2037, 3, 1, tzinfo=UTC)
    body = "\r\n".join(
        ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *vtimezone(name, start, end),
         "END:VCALENDAR", ""]
    )  # fmt: skip
    [parsed] = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")
    assert parsed["TZID"] == tzid(name)
    theirs, ours = parsed.to_tz(lookup_tzid=False), zone_of(name)  # from our text alone
    moment, wrong = start, []
    while moment < end:
        if moment.astimezone(theirs).utcoffset() != moment.astimezone(ours).utcoffset():
            wrong.append(moment)
        moment += timedelta(hours=7)
    assert wrong == []
