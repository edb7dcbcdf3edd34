"""Workout variety: walks, runs, outdoor rides with GPS and pool swims, each internally consistent.

The peer Grafana dashboard filters "Activity Records" by ActivityName 'Walk', 'Swim' and
'Outdoor Bike' (the converter uses ``displayName``), so a year of synthetic history must hold
all of them, with summaries equal to the raw streams (and, for swims, to the swim lengths).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from datetime import date, datetime
from typing import Any

import pytest
from emulator_discovery import discovery, response_schema, validate
from emulator_helpers import DP, InProcessClient, civil, list_all, rollup

from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.generator.exercise import ExerciseSession
from fitbit_sync.emulator.state import EmulatorState
from fitbit_sync.emulator.testing import DEFAULT_TEST_CONFIG

TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
NAMES = {"Walk": "WALKING", "Run": "RUNNING", "Outdoor Bike": "BIKING", "Swim": "SWIMMING"}


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(**DEFAULT_TEST_CONFIG))


@pytest.fixture(scope="module")
def year(gen: Generator) -> list[tuple[date, ExerciseSession, dict[str, Any]]]:
    """Every workout of the default year with its data point."""
    out = []
    for day in gen.days():
        points = {p["name"].rsplit("/", 1)[-1]: p for p in gen.points("exercise", day)}
        out += [(day, s, points[s.id]) for s in gen.exercises(day)]
    return out


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def first_of(year: list[tuple[date, ExerciseSession, dict[str, Any]]], name: str) -> tuple[date, ExerciseSession]:
    return next((d, s) for d, s, p in year if p["exercise"]["displayName"] == name)


def test_a_year_has_walks_runs_outdoor_rides_and_swims(
    year: list[tuple[date, ExerciseSession, dict[str, Any]]],
) -> None:
    kinds: dict[str, set[tuple[str, bool]]] = defaultdict(set)
    names: Counter[str] = Counter()
    for _day, _session, point in year:
        body = point["exercise"]
        names[body["displayName"]] += 1
        kinds[body["displayName"]].add((body["exerciseType"], body["exerciseMetadata"]["hasGps"]))
    assert set(NAMES) <= set(names), names
    assert kinds["Outdoor Bike"] == {("BIKING", True)}  # every ride is outdoors, with GPS
    assert kinds["Swim"] == {("SWIMMING", False)}
    assert kinds["Walk"] == {("WALKING", True), ("WALKING", False)}
    assert {t for t, _gps in kinds["Run"]} == {"RUNNING"} and ("RUNNING", True) in kinds["Run"]
    assert 4 <= names["Swim"] <= 0.15 * len(year), names  # occasional
    enum = set(discovery()["schemas"]["Exercise"]["properties"]["exerciseType"]["enum"])
    assert {t for pairs in kinds.values() for t, _gps in pairs} <= enum


@pytest.mark.parametrize("seed", [1, 2, 3, 11])
def test_every_seed_has_the_four_kinds_in_a_year(seed: int) -> None:
    gen = Generator(EmulatorConfig(**{**DEFAULT_TEST_CONFIG, "seed": seed}))
    kinds = Counter(e.kind for d in gen.days() for e in gen.plan(d).exercises if gen.worn(d))
    assert set(NAMES.values()) <= set(kinds), kinds


@pytest.mark.parametrize("name", list(NAMES))
def test_summary_equals_the_raw_streams(
    gen: Generator, year: list[tuple[date, ExerciseSession, dict[str, Any]]], name: str
) -> None:
    day, session = first_of(year, name)
    point = next(p for p in gen.points("exercise", day) if p["name"].endswith(session.id))
    validate(point, "DataPoint")
    body = point["exercise"]
    summary = body["metricsSummary"]

    def inside(type_id: str) -> list[Any]:
        return [r[5] for r in gen.records(type_id, day) if session.start <= r[0] < session.end]

    assert body["exerciseType"] == NAMES[name] and body["displayName"] == name
    assert int(summary["steps"]) == sum(inside("steps"))
    assert summary["distanceMillimeters"] == sum(inside("distance")) > 0
    assert summary["caloriesKcal"] * 256 == sum(inside("total-calories"))
    hr = [v >> 1 for v in inside("heart-rate")]
    assert len(hr) == session.end - session.start  # one sample a second
    assert int(summary["averageHeartRateBeatsPerMinute"]) == round(sum(hr) / len(hr))
    active = int(body["activeDuration"][:-1])
    assert summary["averagePaceSecondsPerMeter"] == round(active / (summary["distanceMillimeters"] / 1000), 4)
    if body["exerciseMetadata"]["hasGps"]:
        assert summary["elevationGainMillimeters"] == sum(inside("altitude"))
    else:
        assert "elevationGainMillimeters" not in summary
    if name == "Swim":
        assert summary["steps"] == "0"
        assert set(body["exerciseMetadata"]) == {"hasGps", "poolLengthMillimeters"}
    else:
        assert "totalSwimLengths" not in summary and "poolLengthMillimeters" not in body["exerciseMetadata"]
    if name in ("Walk", "Run"):
        assert int(summary["steps"]) > 0


def test_swims_add_up_to_their_lengths(
    gen: Generator, year: list[tuple[date, ExerciseSession, dict[str, Any]]]
) -> None:
    swims = [(d, s, p) for d, s, p in year if s.kind == "SWIMMING"]
    for day, session, point in swims:
        body = point["exercise"]
        summary = body["metricsSummary"]
        pool = int(body["exerciseMetadata"]["poolLengthMillimeters"])
        assert pool in (25_000, 50_000)
        lengths = [
            p["swimLengthsData"]
            for p in reversed(gen.points("swim-lengths-data", day))
            if session.start <= epoch(p["swimLengthsData"]["interval"]["startTime"]) < session.end
        ]
        assert summary["totalSwimLengths"] == float(len(lengths)) and len(lengths) >= 10
        assert summary["distanceMillimeters"] == len(lengths) * pool
        previous_end = session.start
        for length in lengths:
            a, b = epoch(length["interval"]["startTime"]), epoch(length["interval"]["endTime"])
            assert previous_end <= a < b <= session.end
            assert 20 <= (b - a) * 25_000 / pool <= 70  # seconds per 25 m
            assert 10 <= int(length["strokeCount"]) * 25_000 / pool <= 30  # strokes per 25 m
            previous_end = b
        assert lengths[0]["swimStrokeType"] == "FREESTYLE"  # every swim starts with a freestyle set
        tcx = ET.fromstring(gen.tcx(session.id, partial_data=True) or "")
        assert tcx.find(".//t:Activity", TCX_NS).get("Sport") == "Other"  # type: ignore[union-attr]
        last = tcx.findall(".//t:Trackpoint", TCX_NS)[-1].find("t:DistanceMeters", TCX_NS)
        assert float(last.text or "") * 1000 == summary["distanceMillimeters"]  # type: ignore[union-attr]
    assert {s.pool_length_mm for _d, s, _p in swims} == {25_000, 50_000}


def test_outdoor_rides_export_a_gps_track(
    gen: Generator, year: list[tuple[date, ExerciseSession, dict[str, Any]]]
) -> None:
    _day, ride = first_of(year, "Outdoor Bike")
    root = ET.fromstring(gen.tcx(ride.id) or "")
    assert root.find(".//t:Activity", TCX_NS).get("Sport") == "Biking"  # type: ignore[union-attr]
    points = root.findall(".//t:Trackpoint", TCX_NS)
    assert len(points) == ride.active_seconds
    assert all(p.find("t:Position/t:LatitudeDegrees", TCX_NS) is not None for p in points[:: len(points) // 20])


def test_swim_lengths_over_the_api(api: InProcessClient, state: EmulatorState) -> None:
    gen = state.generator
    day = next(d for d in gen.days() if any(e.kind == "SWIMMING" for e in gen.plan(d).exercises) and gen.worn(d))
    nxt = date.fromordinal(day.toordinal() + 1)
    member = "swim_lengths_data.interval.civil_start_time"
    flt = f'{member} >= "{day}" AND {member} < "{nxt}"'
    response = api.get(DP.format("swim-lengths-data"), params={"filter": flt, "pageSize": 20})
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.list"))
    listed = list_all(api, "swim-lengths-data", flt, pageSize=20)
    assert listed == gen.points("swim-lengths-data", day)
    reconciled = list_all(api, "swim-lengths-data", flt, reconcile=True)
    assert reconciled == gen.points("swim-lengths-data", day, reconciled=True)
    body = {"range": {"start": civil(day), "end": civil(nxt)}}
    response = api.post(DP.format("swim-lengths-data") + ":dailyRollUp", json=body)
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.dailyRollUp"))
    [window] = rollup(api, "swim-lengths-data", body, daily=True)
    strokes = sum(int(p["swimLengthsData"]["strokeCount"]) for p in listed)
    assert int(window["swimLengthsData"]["strokeCountSum"]) == strokes
    exercise = [p for p in gen.points("exercise", day) if p["exercise"]["displayName"] == "Swim"]
    assert sum(p["exercise"]["metricsSummary"]["totalSwimLengths"] for p in exercise) == len(listed)
    t0, t1 = gen.day_bounds(day)
    physical = {"range": {"startTime": f"{t0:%Y-%m-%dT%H:%M:%SZ}", "endTime": f"{t1:%Y-%m-%dT%H:%M:%SZ}"}}
    response = api.post(DP.format("swim-lengths-data") + ":rollUp", json={**physical, "windowSize": "600s"})
    validate(response.json(), response_schema("health.users.dataTypes.dataPoints.rollUp"))
    windows = rollup(api, "swim-lengths-data", {**physical, "windowSize": "600s"})
    assert len(windows) >= 2 and sum(int(w["swimLengthsData"]["strokeCountSum"]) for w in windows) == strokes
