"""sedentary-period: intervals derived from the per-minute activity data, rollups that add up.

A sedentary minute is a worn minute without a step, outside every sleep period and workout. The
tests re-derive those minutes from what the API serves (steps, sleep, exercise) and compare, and
check that ``rollUp``/``dailyRollUp`` ``durationSum`` equals the sum of the listed intervals.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from emulator_discovery import response_schema, validate
from emulator_helpers import DP, civil, list_all, rollup

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.testing import DEFAULT_TEST_CONFIG, EmulatorServer

MINUTE = 60


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(**DEFAULT_TEST_CONFIG))


@pytest.fixture
def http(emulator: EmulatorServer) -> httpx.Client:
    emulator.state.set_quota(100_000)
    with emulator.client() as client:
        yield client  # type: ignore[misc]


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def seconds(duration: str) -> int:
    assert duration.endswith("s")
    return int(duration[:-1])


def span(point: dict[str, Any], key: str) -> tuple[int, int]:
    interval = point[key]["interval"]
    return epoch(interval["startTime"]), epoch(interval["endTime"])


def sedentary_minutes_from_served_data(gen: Generator, day: date) -> set[int]:
    """Minute starts that must be sedentary, computed only from served points."""
    worn_still = {
        epoch(p["steps"]["interval"]["startTime"]) for p in gen.points("steps", day) if "count" not in p["steps"]
    }
    busy = [span(p, "exercise") for p in gen.points("exercise", day)]
    for d in (day, day + timedelta(days=1)):  # sleep is keyed by its end: tonight's belongs to tomorrow
        busy += [span(p, "sleep") for p in gen.points("sleep", d)]
    return {t for t in worn_still if not any(a - MINUTE < t < b for a, b in busy)}


def interesting_days(gen: Generator) -> list[date]:
    """DST (25 h), flight to Tokyo (16 h), spring DST (23 h), a charging gap, a nap, a workout."""
    days = [date(2025, 10, 26), date(2026, 2, 14), date(2026, 3, 29)]
    for test in (
        lambda p: p.gaps and p.exercises,
        lambda p: p.nap is not None,
        lambda p: len(p.exercises) == 2,
    ):
        days.append(
            next(
                d
                for d in gen.days()
                if d not in days and all(gen.worn(d + timedelta(days=k)) for k in (-1, 0, 1)) and test(gen.plan(d))
            )
        )
    return days


def test_sedentary_periods_are_the_still_awake_worn_minutes(gen: Generator) -> None:
    for day in interesting_days(gen):
        recs = gen.records("sedentary-period", day)
        assert recs, day
        t0, t1 = gen.timeline.day_bounds(day)
        covered: set[int] = set()
        for (a, b, *_), nxt in zip(recs, [*recs[1:], None], strict=True):
            assert t0 <= a < b <= t1 and (a - t0) % MINUTE == 0 and (b - a) % MINUTE == 0
            if nxt is not None:
                assert b < nxt[0], "periods are maximal: two periods never touch"
            covered.update(range(a, b, MINUTE))
        assert covered == sedentary_minutes_from_served_data(gen, day), day


def test_sedentary_points_render_their_records_and_validate(gen: Generator) -> None:
    day = date(2025, 10, 26)
    points = gen.points("sedentary-period", day)
    recs = gen.records("sedentary-period", day)
    assert len(points) == len(recs)
    assert [span(p, "sedentaryPeriod") for p in points] == [(r[0], r[1]) for r in reversed(recs)]
    for point in points:
        validate(point, "DataPoint")
        assert set(point["sedentaryPeriod"]) == {"interval"}
        assert point["dataSource"]["device"]["formFactor"] == "FITNESS_BAND"
    for point in gen.points("sedentary-period", day, reconciled=True):
        validate(point, "ReconciledDataPoint")


def test_sedentary_time_is_plausible(gen: Generator) -> None:
    minutes = []
    for day in list(gen.days())[:28]:
        if not gen.worn(day):
            assert gen.records("sedentary-period", day) == []
            continue
        total = sum(r[1] - r[0] for r in gen.records("sedentary-period", day)) // MINUTE
        t0, t1 = gen.timeline.day_bounds(day)
        assert 4 * 60 <= total <= (t1 - t0) // MINUTE - 6 * 60, (day, total)
        minutes.append(total)
    assert 9 * 60 <= statistics.mean(minutes) <= 14 * 60


def test_daily_rollup_duration_sum_equals_the_listed_intervals(emulator: EmulatorServer, http: httpx.Client) -> None:
    start = date(2025, 10, 20)  # holds the 25-hour DST day
    days = 14
    body = {"range": {"start": civil(start), "end": civil(start + timedelta(days=days))}}
    response = http.post(DP.format("sedentary-period") + ":dailyRollUp", json=body)
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.dailyRollUp"))
    windows = rollup(http, "sedentary-period", body, daily=True)
    got = {date(**w["civilStartTime"]["date"]): seconds(w["sedentaryPeriod"]["durationSum"]) for w in windows}
    flt = (
        f'sedentary_period.interval.civil_start_time >= "{start}" AND '
        f'sedentary_period.interval.civil_start_time < "{start + timedelta(days=days)}"'
    )
    listed: dict[date, int] = defaultdict(int)
    for point in list_all(http, "sedentary-period", flt, pageSize=50):  # several pages
        interval = point["sedentaryPeriod"]["interval"]
        a, b = epoch(interval["startTime"]), epoch(interval["endTime"])
        listed[date(**interval["civilStartTime"]["date"])] += b - a
    assert got == dict(listed)
    worn = [start + timedelta(days=k) for k in range(days) if emulator.generator.worn(start + timedelta(days=k))]
    assert sorted(got) == worn and all(v > 0 for v in got.values())
    reconciled = list_all(http, "sedentary-period", flt, reconcile=True)
    assert sum(span(p, "sedentaryPeriod")[1] - span(p, "sedentaryPeriod")[0] for p in reconciled) == sum(got.values())


def test_hourly_rollup_duration_sum_counts_each_interval_in_its_start_window(http: httpx.Client) -> None:
    start = datetime(2026, 2, 13, tzinfo=UTC)  # the flight to Tokyo
    end = start + timedelta(days=2)
    body = {"range": {"startTime": f"{start:%Y-%m-%dT%H:%M:%SZ}", "endTime": f"{end:%Y-%m-%dT%H:%M:%SZ}"}}
    response = http.post(DP.format("sedentary-period") + ":rollUp", json={**body, "windowSize": "3600s"})
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.rollUp"))
    windows = rollup(http, "sedentary-period", {**body, "windowSize": "3600s"})
    got = {epoch(w["startTime"]): seconds(w["sedentaryPeriod"]["durationSum"]) for w in windows}
    flt = (
        f'sedentary_period.interval.start_time >= "{body["range"]["startTime"]}" AND '
        f'sedentary_period.interval.start_time < "{body["range"]["endTime"]}"'
    )
    expected: dict[int, int] = defaultdict(int)
    t_start = int(start.timestamp())
    for point in list_all(http, "sedentary-period", flt):
        a, b = span(point, "sedentaryPeriod")
        expected[t_start + (a - t_start) // 3600 * 3600] += b - a
    assert got == dict(expected) and len(got) > 12
