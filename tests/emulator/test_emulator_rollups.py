"""rollUp and dailyRollUp over real HTTP: totals equal the sums of the raw points, caps, paging."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from emulator_helpers import DP, civil, list_all, rollup

from fitbit_sync.emulator.generator.exercise import KCAL_SCALE
from fitbit_sync.emulator.testing import EmulatorServer

START = date(2025, 10, 20)  # the range holds the 25-hour DST day of 26 October


@pytest.fixture
def http(emulator: EmulatorServer) -> httpx.Client:
    emulator.state.set_quota(100_000)
    with emulator.client() as client:
        yield client  # type: ignore[misc]


def iso(d: date) -> str:
    return f"{d}T00:00:00Z"


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


SUM_FIELDS = {
    "steps": ("countSum", "count"),
    "distance": ("millimetersSum", "millimeters"),
    "altitude": ("gainMillimetersSum", "gainMillimeters"),
}


@pytest.mark.parametrize("type_id", ["steps", "distance", "altitude"])
def test_rollup_sums_equal_the_listed_points(http: httpx.Client, type_id: str) -> None:
    end = START + timedelta(days=14)
    spec_key = {"steps": "steps", "distance": "distance", "altitude": "altitude"}[type_id]
    flt = f'{type_id}.interval.start_time >= "{iso(START)}" AND {type_id}.interval.start_time < "{iso(end)}"'
    raw = list_all(http, type_id, flt)
    rollup_field, raw_field = SUM_FIELDS[type_id]
    per_hour: dict[int, int] = defaultdict(int)
    for p in raw:
        start = epoch(p[spec_key]["interval"]["startTime"])
        per_hour[start - start % 3600] += int(p[spec_key].get(raw_field, "0"))
    windows = rollup(http, type_id, {"range": {"startTime": iso(START), "endTime": iso(end)}, "windowSize": "3600s"})
    got = {epoch(w["startTime"]): int(w[spec_key][rollup_field]) for w in windows}
    assert got == dict(per_hour)
    assert sum(got.values()) == sum(per_hour.values()) > 0


@pytest.mark.parametrize(
    ("type_id", "key", "value"),
    [
        ("floors", "floors", lambda recs: str(sum(r[5] for r in recs))),
        ("total-calories", "totalCalories", lambda recs: sum(r[5] for r in recs) / KCAL_SCALE),
        ("active-energy-burned", "activeEnergyBurned", lambda recs: sum(r[5] for r in recs) / KCAL_SCALE),
    ],
)
def test_rollup_only_totals_equal_the_raw_records(
    emulator: EmulatorServer, http: httpx.Client, type_id: str, key: str, value: Any
) -> None:
    gen = emulator.generator
    end = START + timedelta(days=14)
    windows = rollup(http, type_id, {"range": {"startTime": iso(START), "endTime": iso(end)}, "windowSize": "86400s"})
    t0 = epoch(iso(START))
    recs = [
        r
        for d in range(-1, 15)
        for r in gen.records(type_id, START + timedelta(days=d))
        if t0 <= r[0] < t0 + 14 * 86400
    ]
    field = "countSum" if type_id == "floors" else "kcalSum"
    total = sum((int if type_id == "floors" else float)(w[key][field]) for w in windows)
    expected = value(recs)
    assert total == (int(expected) if type_id == "floors" else expected)
    for w in windows:  # and per window, exactly
        a, b = epoch(w["startTime"]), epoch(w["endTime"])
        assert w[key][field] == value([r for r in recs if a <= r[0] < b])


def test_heart_rate_rollup_matches_the_samples(http: httpx.Client) -> None:
    day = date(2025, 11, 3)
    member = "heart_rate.sample_time.physical_time"
    flt = f'{member} >= "{iso(day)}" AND {member} < "{iso(day + timedelta(days=1))}"'
    samples = list_all(http, "heart-rate", flt)
    windows = rollup(
        http,
        "heart-rate",
        {"range": {"startTime": iso(day), "endTime": iso(day + timedelta(days=1))}, "windowSize": "900s"},
    )
    by_window: dict[int, list[int]] = defaultdict(list)
    for p in samples:
        t = epoch(p["heartRate"]["sampleTime"]["physicalTime"])
        by_window[t - t % 900].append(int(p["heartRate"]["beatsPerMinute"]))
    assert len(windows) == len(by_window)
    for w in windows:
        values = by_window[epoch(w["startTime"])]
        assert w["heartRate"] == {
            "beatsPerMinuteAvg": sum(values) / len(values),
            "beatsPerMinuteMin": float(min(values)),
            "beatsPerMinuteMax": float(max(values)),
        }


@pytest.mark.parametrize(
    "type_id",
    [
        "steps",
        "total-calories",
        "floors",
        "distance",
        "time-in-heart-rate-zone",
        "active-zone-minutes",
        "calories-in-heart-rate-zone",
        "active-minutes",
    ],
)
def test_daily_rollup_totals_equal_the_days_raw_points(
    emulator: EmulatorServer, http: httpx.Client, type_id: str
) -> None:
    gen = emulator.generator
    start = date(2026, 2, 10)  # the flight to Tokyo (a 16-hour civil day) is inside
    body = {"range": {"start": civil(start), "end": civil(start + timedelta(days=14))}}
    windows = rollup(http, type_id, body, daily=True)
    spec = emulator.state.types[type_id]
    got = {w["civilStartTime"]["date"]["day"]: w[spec.json_key] for w in windows}
    from fitbit_sync.emulator.rollups import REDUCERS

    expected = {}
    for k in range(14):
        d = start + timedelta(days=k)
        recs = gen.records(type_id, d)
        if recs:
            expected[d.day] = REDUCERS[type_id](recs)
    assert got == expected
    assert all(w["civilStartTime"]["time"] == {} for w in windows)
    if type_id == "steps":
        for w in windows:
            d = date(**w["civilStartTime"]["date"])
            assert int(w["steps"]["countSum"]) == sum(r[5] for r in gen.records("steps", d))
            assert int(w["steps"]["countSum"]) == sum(int(p["steps"].get("count", 0)) for p in gen.points("steps", d))


def test_daily_rollup_windows_skip_days_not_worn(emulator: EmulatorServer, http: httpx.Client) -> None:
    gen = emulator.generator
    unworn = next(d for d in gen.days() if not gen.worn(d))
    start = unworn - timedelta(days=3)
    windows = rollup(
        http, "steps", {"range": {"start": civil(start), "end": civil(start + timedelta(days=7))}}, daily=True
    )
    days = [date(**w["civilStartTime"]["date"]) for w in windows]
    assert unworn not in days and len(days) == 6


def test_daily_rollup_multi_day_windows_and_partial_last_window(http: httpx.Client) -> None:
    start = date(2025, 9, 1)
    body = {
        "range": {"start": civil(start), "end": {**civil(start + timedelta(days=10)), "time": {"hours": 12}}},
        "windowSizeDays": 7,
    }
    windows = rollup(http, "steps", body, daily=True)
    assert [w["civilEndTime"] for w in windows] == [
        {**civil(start + timedelta(days=7)), "time": {}},
        {**civil(start + timedelta(days=10)), "time": {"hours": 12}},
    ]
    week = sum(
        int(w["steps"]["countSum"])
        for w in rollup(
            http, "steps", {"range": {"start": civil(start), "end": civil(start + timedelta(days=7))}}, daily=True
        )
    )
    assert int(windows[0]["steps"]["countSum"]) == week


def test_rollup_paging_returns_every_window_once(http: httpx.Client) -> None:
    body = {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=3))}, "windowSize": "60s"}
    default = http.post(DP.format("steps") + ":rollUp", json=body).json()
    assert len(default["rollupDataPoints"]) == 1440 and default["nextPageToken"]  # default page size
    everything = http.post(DP.format("steps") + ":rollUp", json={**body, "pageSize": 10000}).json()["rollupDataPoints"]
    paged = rollup(http, "steps", {**body, "pageSize": 1000})
    assert paged == everything and len(everything) > 4000
    first = http.post(DP.format("steps") + ":rollUp", json={**body, "pageSize": 1000}).json()
    assert len(first["rollupDataPoints"]) == 1000 and first["nextPageToken"]
    other = {**body, "windowSize": "120s", "pageToken": first["nextPageToken"]}
    assert http.post(DP.format("steps") + ":rollUp", json=other).status_code == 400


def test_odd_windows_and_fractional_times(http: httpx.Client) -> None:
    body = {
        "range": {"startTime": "2025-11-03T00:00:00.500Z", "endTime": "2025-11-03T00:10:00Z"},
        "windowSize": "90.5s",
    }
    windows = http.post(DP.format("heart-rate") + ":rollUp", json=body).json()["rollupDataPoints"]
    assert windows[0]["startTime"] == "2025-11-03T00:00:00.500Z"
    assert windows[0]["endTime"] == "2025-11-03T00:01:31Z"
    assert windows[-1]["endTime"] == "2025-11-03T00:10:00Z"  # the last window is cut short


@pytest.mark.parametrize(
    ("type_id", "body", "fragment"),
    [
        (
            "heart-rate",
            {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=15))}, "windowSize": "3600s"},
            "maximum range for heart-rate is 14 days",
        ),
        (
            "steps",
            {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=91))}, "windowSize": "3600s"},
            "maximum range for steps is 90 days",
        ),
        (
            "steps",
            {"range": {"startTime": iso(START), "endTime": iso(START)}, "windowSize": "60s"},
            "INVALID_TIME_RANGE",
        ),
        (
            "steps",
            {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=1))}, "windowSize": "0.5s"},
            "at least 1 second",
        ),
        ("steps", {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=1))}}, "window_size"),
        (
            "steps",
            {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=1))}, "windowSize": "1h"},
            "Duration",
        ),
        ("steps", {"range": {"startTime": "yesterday", "endTime": iso(START)}, "windowSize": "60s"}, "Timestamp"),
        (
            "steps",
            {
                "range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=1))},
                "windowSize": "60s",
                "extra": 1,
            },
            'Unknown name "extra"',
        ),
    ],
)
def test_rollup_request_errors(http: httpx.Client, type_id: str, body: dict[str, Any], fragment: str) -> None:
    response = http.post(DP.format(type_id) + ":rollUp", json=body)
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


def test_daily_rollup_request_errors(http: httpx.Client) -> None:
    url = DP.format("{}") + ":dailyRollUp"
    fifteen = {"range": {"start": civil(START), "end": civil(START + timedelta(days=15))}}
    assert http.post(url.format("total-calories"), json=fifteen).status_code == 400
    assert http.post(url.format("steps"), json=fifteen).status_code == 200
    ninety_one = {"range": {"start": civil(START), "end": civil(START + timedelta(days=91))}}
    assert http.post(url.format("steps"), json=ninety_one).status_code == 400
    week = {"range": {"start": civil(START), "end": civil(START + timedelta(days=7))}}
    assert http.post(url.format("total-calories"), json={**week, "pageSize": 7}).status_code == 400  # seen live
    assert http.post(url.format("steps"), json={**week, "pageSize": 3}).json()["nextPageToken"]
    unaligned = {"range": {"start": {**civil(START), "time": {"hours": 6}}, "end": civil(START + timedelta(days=2))}}
    assert http.post(url.format("steps"), json=unaligned).status_code == 400
    assert http.post(url.format("steps"), json={**week, "windowSizeDays": 0}).status_code == 400


def test_rollup_of_a_type_without_data_is_empty(http: httpx.Client) -> None:
    body = {"range": {"startTime": iso(START), "endTime": iso(START + timedelta(days=2))}, "windowSize": "3600s"}
    assert http.post(DP.format("blood-glucose") + ":rollUp", json=body).json() == {}


def test_weight_daily_average(emulator: EmulatorServer, http: httpx.Client) -> None:
    gen = emulator.generator
    start = date(2025, 8, 1)
    windows = rollup(
        http, "weight", {"range": {"start": civil(start), "end": civil(start + timedelta(days=30))}}, daily=True
    )
    assert windows
    for w in windows:
        d = date(**w["civilStartTime"]["date"])
        grams = [r[5][1] for r in gen.records("weight", d)]
        assert w["weight"]["weightGramsAvg"] == sum(grams) / len(grams)
    assert datetime.now(UTC)  # the clock is real: every window is visible
