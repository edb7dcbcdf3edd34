"""The planner as pure functions: fewest requests, coverage subtraction, provisional recent data."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from fitbit_sync.catalog import STREAMS, STREAMS_BY_KEY, select_streams
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.google_health.planner import (
    DAY_MS,
    SOURCE,
    Request,
    axis_of,
    minimum_calls,
    plan_incremental,
    plan_range,
)
from fitbit_sync.stores.base import Coverage

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
NOW = int(datetime(2026, 11, 21, 10, 30, tzinfo=UTC).timestamp() * 1000)


def ms(year: int, month: int, day: int, hour: int = 0, zone: ZoneInfo = BERLIN) -> int:
    return int(datetime(year, month, day, hour, tzinfo=zone).timestamp() * 1000)


def by_stream(requests: list[Request]) -> dict[str, list[Request]]:
    out: dict[str, list[Request]] = {}
    for r in requests:
        out.setdefault(r.stream.key, []).append(r)
    return out


def test_fresh_range_uses_one_paged_request_per_list_stream_and_chunks_rollups() -> None:
    start, end = date(2025, 1, 1), date(2025, 12, 31)  # 365 days, all in the past
    plan = by_stream(plan_range(STREAMS, start, end, {}, NOW, BERLIN))
    days = 365
    for stream in STREAMS:
        requests = plan[stream.key]
        if stream.whole_history:  # height: a few points a year, read whole by every plan
            assert [(r.start_ms, r.end_ms) for r in requests] == [(0, NOW)], stream.key
        elif stream.method == "list":
            assert len(requests) == 1, stream.key
            (r,) = requests
            if axis_of(stream) == "physical":
                assert (r.start_ms, r.end_ms) == (ms(2025, 1, 1), ms(2026, 1, 1))
            else:  # civil and date axes: the civil days read as UTC
                assert r.start_ms == planner.date_ms(start) and r.end_ms == planner.date_ms(date(2026, 1, 1))
        elif stream.method == "dailyRollUp":
            per_call = min(stream.max_range_days or 90, stream.page_size)
            assert len(requests) == math.ceil(days / per_call), stream.key
        elif stream.method == "rollUp":  # floors per minute: 10,000 windows a call
            assert len(requests) == math.ceil(days * 1440 / 10_000), stream.key
        else:
            assert len(requests) == 1  # paired devices: a snapshot
    # rollup chunks tile the range exactly, newest first, within the caps
    for key in ("floors:rollup", "steps:daily", "total-calories:daily"):
        chunks = plan[key]
        assert [c.start_ms for c in chunks] == sorted((c.start_ms for c in chunks), reverse=True)
        ordered = sorted(chunks, key=lambda c: c.start_ms)
        assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(ordered))
        for c in chunks:
            assert c.end_ms - c.start_ms <= planner.chunk_ms(c.stream)


def test_plan_orders_daily_and_long_range_streams_first() -> None:
    requests = plan_range(STREAMS, date(2026, 1, 1), date(2026, 3, 1), {}, NOW, BERLIN)
    priorities = [r.stream.priority for r in requests]
    assert priorities == sorted(priorities)
    assert requests[-1].stream.key == "heart-rate"
    first_keys = {r.stream.key for r in requests[:7]}
    assert {"daily-resting-heart-rate", "daily-heart-rate-variability"} <= first_keys | {"paired-devices"}


def test_range_is_capped_at_now() -> None:
    today = datetime.fromtimestamp(NOW / 1000, BERLIN).date()
    (r,) = plan_range(select_streams(["heart-rate"]), today - timedelta(days=1), today, {}, NOW, BERLIN)
    assert r.end_ms == NOW
    (d,) = plan_range(select_streams(["daily-resting-heart-rate"]), today, today, {}, NOW, BERLIN)
    assert (d.start_ms, d.end_ms) == (planner.date_ms(today), planner.date_ms(today) + DAY_MS)


def test_settled_coverage_is_skipped_and_only_gaps_are_requested() -> None:
    hr = STREAMS_BY_KEY["heart-rate"]
    fetched = NOW  # fetched long after the covered ranges ended: final
    coverage = {"heart-rate": [
        Coverage(SOURCE, "heart-rate", ms(2025, 1, 1), ms(2025, 3, 1), fetched),
        Coverage(SOURCE, "heart-rate", ms(2025, 5, 1), ms(2025, 6, 1), fetched),
    ]}
    requests = plan_range([hr], date(2025, 1, 1), date(2025, 6, 30), coverage, NOW, BERLIN)
    spans = [(r.start_ms, r.end_ms) for r in requests]
    assert spans == [(ms(2025, 6, 1), ms(2025, 7, 1)), (ms(2025, 3, 1), ms(2025, 5, 1))]  # newest gap first
    floors = STREAMS_BY_KEY["floors:rollup"]
    coverage = {"floors:rollup": [Coverage(SOURCE, "floors:rollup", ms(2025, 1, 1), ms(2025, 1, 20), NOW)]}
    requests = plan_range([floors], date(2025, 1, 1), date(2025, 1, 31), coverage, NOW, BERLIN)
    assert min(r.start_ms for r in requests) == ms(2025, 1, 20)
    assert max(r.end_ms for r in requests) == ms(2025, 2, 1)


def test_recent_coverage_is_provisional_and_refetched() -> None:
    steps = STREAMS_BY_KEY["steps"]
    daily = STREAMS_BY_KEY["steps:daily"]
    # a sync an hour ago covered up to then: the last two days of it are provisional
    an_hour_ago = NOW - 3_600_000
    cov = {
        "steps": [Coverage(SOURCE, "steps", ms(2026, 10, 1), an_hour_ago, an_hour_ago)],
        "steps:daily": [Coverage(SOURCE, "steps:daily", planner.date_ms(date(2026, 10, 1)),
                                 planner.date_ms(date(2026, 11, 22)), an_hour_ago)],
    }
    (r,) = plan_range([steps], date(2026, 10, 1), date(2026, 11, 21), cov, NOW, BERLIN)
    assert (r.start_ms, r.end_ms) == (an_hour_ago - planner.SETTLE_INTRADAY_MS, NOW)
    (d,) = plan_range([daily], date(2026, 10, 1), date(2026, 11, 21), cov, NOW, BERLIN)
    # daily values: the three days before the fetch day and the fetch day itself are asked again
    assert planner.date_of_ms(d.start_ms) == date(2026, 11, 18)
    assert planner.date_of_ms(d.end_ms) == date(2026, 11, 22)


def test_incremental_sync_starts_at_the_bookmark_or_yesterday() -> None:
    hr = STREAMS_BY_KEY["heart-rate"]
    rhr = STREAMS_BY_KEY["daily-resting-heart-rate"]
    (first,) = plan_incremental([hr], {}, NOW, BERLIN)
    assert (first.start_ms, first.end_ms) == (ms(2026, 11, 20), NOW)
    (first_daily,) = plan_incremental([rhr], {}, NOW, BERLIN)
    assert planner.date_of_ms(first_daily.start_ms) == date(2026, 11, 20)
    # a bookmark ten days back (fetched then, so its tail is provisional): from the settled end on
    fetched = NOW - 10 * DAY_MS
    cov = {"heart-rate": [Coverage(SOURCE, "heart-rate", ms(2026, 1, 1), fetched, fetched)]}
    (r,) = plan_incremental([hr], cov, NOW, BERLIN)
    assert (r.start_ms, r.end_ms) == (fetched - planner.SETTLE_INTRADAY_MS, NOW)
    # an older gap is not the sync's business (backfill fills it)
    cov["heart-rate"].insert(0, Coverage(SOURCE, "heart-rate", ms(2025, 1, 1), ms(2025, 6, 1), NOW))
    assert len(plan_incremental([hr], cov, NOW, BERLIN)) == 1


def test_heart_rate_as_one_minute_rollups() -> None:
    requests = plan_range(select_streams(["heart-rate"]), date(2026, 1, 1), date(2026, 3, 31), {}, NOW, BERLIN,
                          heart_rate_resolution="1min")
    assert {r.stream.key for r in requests} == {"heart-rate:rollup"}
    for r in requests:
        assert r.stream.window == "60s"
        assert r.end_ms - r.start_ms <= min(14 * DAY_MS, 10_000 * 60_000)
        body = r.rollup_body()
        assert body["windowSize"] == "60s" and body["range"]["startTime"].endswith("Z")
    minutes = (ms(2026, 4, 1) - ms(2026, 1, 1)) / 60_000
    assert len(requests) == math.ceil(minutes / 10_000)


def test_filters_and_bodies_speak_each_axis() -> None:
    hr = Request(STREAMS_BY_KEY["heart-rate"], ms(2026, 1, 1), ms(2026, 1, 2))
    assert hr.list_filter() == (
        'heart_rate.sample_time.physical_time >= "2025-12-31T23:00:00Z" AND '
        'heart_rate.sample_time.physical_time < "2026-01-01T23:00:00Z"'
    )
    # the end is rounded up on coarse axes: a tie at the boundary is read again, never lost
    ex = Request(STREAMS_BY_KEY["exercise"], planner.date_ms(date(2026, 1, 1)), planner.date_ms(date(2026, 1, 2)) + 1)
    assert ex.list_filter() == (
        'exercise.interval.civil_start_time >= "2026-01-01T00:00:00" AND '
        'exercise.interval.civil_start_time < "2026-01-02T00:00:01"'
    )
    rhr = Request(STREAMS_BY_KEY["daily-resting-heart-rate"], planner.date_ms(date(2026, 1, 1)),
                  planner.date_ms(date(2026, 1, 5)) + 1)
    assert rhr.list_filter().endswith('daily_resting_heart_rate.date < "2026-01-06"')
    sleep = Request(STREAMS_BY_KEY["sleep"], ms(2026, 1, 1), ms(2026, 1, 2))
    assert sleep.list_filter().startswith('sleep.interval.end_time >= "')
    daily = Request(STREAMS_BY_KEY["steps:daily"], planner.date_ms(date(2026, 1, 1)), planner.date_ms(date(2026, 3, 1)))
    assert daily.daily_rollup_body() == {
        "range": {"start": {"date": {"year": 2026, "month": 1, "day": 1}},
                  "end": {"date": {"year": 2026, "month": 3, "day": 1}}},
        "windowSizeDays": 1,
    }


def test_local_days_follow_the_zone() -> None:
    (r,) = plan_range([STREAMS_BY_KEY["steps"]], date(2025, 3, 1), date(2025, 3, 1), {}, NOW, TOKYO)
    assert (r.start_ms, r.end_ms) == (ms(2025, 3, 1, zone=TOKYO), ms(2025, 3, 2, zone=TOKYO))
    # a DST day in Berlin is 23 hours long
    (r,) = plan_range([STREAMS_BY_KEY["steps"]], date(2025, 3, 30), date(2025, 3, 30), {}, NOW, BERLIN)
    assert r.end_ms - r.start_ms == 23 * 3_600_000


def test_minimum_calls() -> None:
    hr = Request(STREAMS_BY_KEY["heart-rate"], 0, 365 * DAY_MS)
    assert minimum_calls(hr, 0) == 1
    assert minimum_calls(hr, 10_000) == 1
    assert minimum_calls(hr, 10_001) == 2
    sleep = Request(STREAMS_BY_KEY["sleep"], 0, 365 * DAY_MS)
    assert minimum_calls(sleep, 400) == 16  # 25 a page
    floors = Request(STREAMS_BY_KEY["floors:rollup"], 0, 6 * DAY_MS)
    assert minimum_calls(floors, 8640) == 1
    assert minimum_calls(Request(STREAMS_BY_KEY["floors:rollup"], 0, 100 * DAY_MS), 100) == 2  # 90-day cap
    assert minimum_calls(Request(STREAMS_BY_KEY["steps:daily"], 0, 91 * DAY_MS), 91) == 2
    assert minimum_calls(Request(STREAMS_BY_KEY["total-calories:daily"], 0, 15 * DAY_MS), 15) == 2


def test_reversed_range_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_range(STREAMS, date(2026, 2, 1), date(2026, 1, 1), {}, NOW, BERLIN)


def test_long_list_gaps_split_into_parallel_parts_only_when_each_part_is_big() -> None:
    hr, steps = STREAMS_BY_KEY["heart-rate"], STREAMS_BY_KEY["steps"]
    year = plan_range([hr, steps], date(2025, 1, 1), date(2025, 12, 31), {}, NOW, BERLIN, parallel=4)
    parts = by_stream(year)
    assert len(parts["heart-rate"]) == 4  # ~630 pages: four parts, at most 3 extra partial pages
    assert len(parts["steps"]) == 1  # ~53 pages: not worth a split (40 pages a part at least)
    chunks = sorted(parts["heart-rate"], key=lambda r: r.start_ms)
    assert chunks[0].start_ms == ms(2025, 1, 1) and chunks[-1].end_ms == ms(2026, 1, 1)
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(chunks))
    assert parts["heart-rate"][0].start_ms == chunks[-1].start_ms  # newest part first
    short = plan_range([hr], date(2025, 1, 1), date(2025, 1, 10), {}, NOW, BERLIN, parallel=4)
    assert len(short) == 1


def test_an_unfinished_catch_up_is_resumed_from_its_mark_whatever_coverage_came_first() -> None:
    hr = STREAMS_BY_KEY["heart-rate"]
    fetched = NOW - 3 * 3600 * 1000
    # a catch-up from Nov 10 stored its newest pages (Nov 15 .. now) and was stopped: a hole below
    cov = {"heart-rate": [Coverage(SOURCE, "heart-rate", ms(2026, 11, 1), ms(2026, 11, 10), fetched),
                          Coverage(SOURCE, "heart-rate", ms(2026, 11, 15), NOW - 3600 * 1000, fetched)]}
    without = plan_incremental([hr], cov, NOW, BERLIN)
    assert min(r.start_ms for r in without) >= ms(2026, 11, 15)  # the hole is lost without the mark
    marked = plan_incremental([hr], cov, NOW, BERLIN, catchup={"heart-rate": ms(2026, 11, 10)})
    assert [(r.start_ms, r.end_ms) for r in marked][-1] == (ms(2026, 11, 10), ms(2026, 11, 15))
    # the mark moves to the oldest request left, and goes once nothing older is missing
    marks = planner.catchup_marks([hr], marked, {"heart-rate": ms(2026, 11, 10), "steps": 5})
    assert marks == {"heart-rate": ms(2026, 11, 10), "steps": 5}  # streams not planned keep theirs
    cov["heart-rate"].append(Coverage(SOURCE, "heart-rate", ms(2026, 11, 10), ms(2026, 11, 15), fetched))
    later = plan_incremental([hr], cov, NOW, BERLIN, catchup=marks)
    assert all(r.start_ms >= NOW - planner.SETTLE_INTRADAY_MS - 3 * 3600 * 1000 for r in later)
    assert planner.catchup_marks([hr], later, marks)["heart-rate"] == min(r.start_ms for r in later)
    assert planner.catchup_marks([hr], [], marks) == {"steps": 5}
