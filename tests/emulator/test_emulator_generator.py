"""The synthetic history: deterministic per day, realistic, internally consistent."""

from __future__ import annotations

import itertools
import statistics
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime, timedelta

import pytest

from fitbit_sync.emulator.config import EmulatorConfig, ZonePeriod
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.emulator.testing import DEFAULT_TEST_CONFIG

TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(**DEFAULT_TEST_CONFIG))


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def worn_day_with(gen: Generator, test) -> date:  # type: ignore[no-untyped-def]
    return next(d for d in gen.days() if gen.worn(d) and gen.worn(d - timedelta(days=1)) and test(d))


def test_same_seed_same_day_whatever_was_generated_before() -> None:
    config = EmulatorConfig(**DEFAULT_TEST_CONFIG)
    day = date(2025, 9, 3)
    first = Generator(config)
    second = Generator(config)
    for other in (date(2026, 1, 5), day + timedelta(days=1), day - timedelta(days=3)):
        second.points("heart-rate", other)
    for type_id in ("heart-rate", "steps", "sleep", "exercise", "daily-heart-rate-variability", "weight"):
        assert first.points(type_id, day) == second.points(type_id, day)


def test_other_seed_other_data() -> None:
    day = date(2025, 9, 3)
    a = Generator(EmulatorConfig(**DEFAULT_TEST_CONFIG))
    b = Generator(EmulatorConfig(**{**DEFAULT_TEST_CONFIG, "seed": 8}))
    assert a.points("heart-rate", day) != b.points("heart-rate", day)
    assert a.health_user_id != b.health_user_id


def test_heart_rate_five_seconds_at_rest_one_second_in_workouts(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: gen.exercise_ids(d) and not gen.plan(d).gaps)
    recs = gen.records("heart-rate", day)
    assert 16_000 <= len(recs) <= 24_000
    times = [r[0] for r in recs]
    assert times == sorted(times) and len(set(times)) == len(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps.count(5) > 0.9 * (len(gaps) - gaps.count(1))
    assert gaps.count(1) >= 20 * 60 - 1  # at least a 20-minute workout at 1-second spacing
    exercise = gen.exercises(day)[0]
    inside = [t for t in times if exercise.start <= t < exercise.end]
    assert len(inside) == exercise.end - exercise.start


def test_heart_rate_lower_at_night_higher_in_workouts(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: gen.exercise_ids(d))
    plan = gen.plan(day)
    bpm = {r[0]: r[5] >> 1 for r in gen.records("heart-rate", day)}
    asleep = [v for t, v in bpm.items() if plan.sleep_start <= t < plan.sleep_end]
    exercise = gen.exercises(day)[0]
    working = [v for t, v in bpm.items() if exercise.start + 300 <= t < exercise.end]
    daytime = [v for t, v in bpm.items() if plan.sleep_end + 3600 <= t < exercise.start]
    assert statistics.mean(asleep) < statistics.mean(daytime) < statistics.mean(working)
    assert statistics.mean(asleep) < plan.rest_hr


def test_not_worn_days_are_rare_and_empty(gen: Generator) -> None:
    unworn = [d for d in gen.days() if not gen.worn(d)]
    assert 1 <= len(unworn) <= 12
    day = unworn[0]
    for type_id in ("heart-rate", "steps", "distance", "daily-resting-heart-rate", "exercise"):
        assert gen.points(type_id, day) == []
    assert gen.points("sleep", day) == []  # the night ending that morning was cut off
    assert gen.records("total-calories", day) == []


def test_true_zeros_every_worn_minute_has_a_point(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: not gen.plan(d).gaps)
    t0, t1 = gen.timeline.day_bounds(day)
    steps = gen.points("steps", day)
    assert len(steps) == (t1 - t0) // 60
    idle = [p for p in steps if "count" not in p["steps"]]
    assert len(idle) > 400  # the night, at least
    plan = gen.plan(day)
    for p in steps:
        if plan.sleep_start <= ts(p["steps"]["interval"]["startTime"]) < plan.sleep_end - 60:
            assert "count" not in p["steps"]
    gapped = worn_day_with(gen, lambda d: bool(gen.plan(d).gaps))
    a, b = gen.plan(gapped).gaps[0]
    assert not [r for r in gen.records("steps", gapped) if a <= r[0] < b - 60]


def test_sleep_stages_on_30_second_boundaries_and_consistent(gen: Generator) -> None:
    kinds = {"STAGES": 0, "CLASSIC": 0}
    naps = 0
    for day in list(gen.days())[:120]:
        for point in gen.points("sleep", day):
            sleep = point["sleep"]
            kinds[sleep["type"]] += 1
            naps += bool(sleep["metadata"].get("nap"))
            start, end = ts(sleep["interval"]["startTime"]), ts(sleep["interval"]["endTime"])
            stages = sleep["stages"]
            assert ts(stages[0]["startTime"]) == start and ts(stages[-1]["endTime"]) == end
            for a, b in itertools.pairwise(stages):
                assert a["endTime"] == b["startTime"] and a["type"] != b["type"]
            for stage in stages:
                assert ts(stage["startTime"]) % 30 == 0 and ts(stage["endTime"]) % 30 == 0
            summary = sleep["summary"]
            assert int(summary["minutesInSleepPeriod"]) == (end - start) // 60
            by_type = {s["type"]: int(s["minutes"]) for s in summary["stagesSummary"]}
            assert sum(by_type.values()) == int(summary["minutesInSleepPeriod"])
            assert int(summary["minutesAwake"]) == by_type.get("AWAKE", 0)
            allowed = (
                {"LIGHT", "DEEP", "REM", "AWAKE"} if sleep["type"] == "STAGES" else {"ASLEEP", "RESTLESS", "AWAKE"}
            )
            assert set(by_type) <= allowed
            # sleep belongs to the civil day of its end
            assert gen.timeline.day_of(end) == day
    assert kinds["STAGES"] > 5 * kinds["CLASSIC"] > 0
    assert naps > 0


def test_travel_and_dst_in_offsets_and_civil_times(gen: Generator) -> None:
    ny = gen.points("heart-rate", date(2025, 6, 12))
    assert {p["heartRate"]["sampleTime"]["utcOffset"] for p in ny} == {"-14400s"}
    berlin_summer = gen.points("heart-rate", date(2025, 7, 1))
    assert {p["heartRate"]["sampleTime"]["utcOffset"] for p in berlin_summer} == {"7200s"}
    tokyo = gen.points("steps", date(2026, 2, 16))
    assert {p["steps"]["interval"]["startUtcOffset"] for p in tokyo} == {"32400s"}
    # 26 Oct 2025: Berlin falls back, the civil day has 25 hours of minutes
    fall = gen.timeline.day_bounds(date(2025, 10, 26))
    assert fall[1] - fall[0] == 25 * 3600
    offsets = {p["steps"]["interval"]["startUtcOffset"] for p in gen.points("steps", date(2025, 10, 26))}
    assert offsets == {"7200s", "3600s"}
    # flying to Tokyo on 14 Feb 2026 at 12:00 UTC: a 16-hour civil day
    flight = gen.timeline.day_bounds(date(2026, 2, 14))
    assert flight[1] - flight[0] == 16 * 3600
    for p in gen.points("heart-rate", date(2026, 2, 14))[::500]:
        st = p["heartRate"]["sampleTime"]
        physical = datetime.fromisoformat(st["physicalTime"].replace("Z", "+00:00"))
        local = physical + timedelta(seconds=int(st["utcOffset"][:-1]))
        civil = st["civilTime"]
        assert (civil["date"]["year"], civil["date"]["month"], civil["date"]["day"]) == (2026, 2, 14)
        t = civil["time"]
        assert (t.get("hours", 0), t.get("minutes", 0), t.get("seconds", 0)) == (local.hour, local.minute, local.second)


def test_time_zone_history_is_configurable() -> None:
    zones = (ZonePeriod(date(2000, 1, 1), "America/Los_Angeles"), ZonePeriod(date(2025, 7, 1), "UTC"))
    g = Generator(EmulatorConfig(seed=2, start=date(2025, 6, 1), end=date(2025, 7, 31), time_zones=zones))
    assert g.time_zone_history == zones
    assert g.points("steps", date(2025, 6, 20))[0]["steps"]["interval"]["startUtcOffset"] == "-25200s"
    assert g.points("steps", date(2025, 7, 20))[0]["steps"]["interval"]["startUtcOffset"] == "0s"


def test_daily_summaries_come_from_the_samples(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: gen.points("daily-heart-rate-variability", d))
    bundle = gen.sleep_bundle(day)
    rmssd = [v[0] for _t, v in bundle.hrv]
    daily = gen.points("daily-heart-rate-variability", day)[0]["dailyHeartRateVariability"]
    assert daily["averageHeartRateVariabilityMilliseconds"] == round(sum(rmssd) / len(rmssd), 1)
    spo2 = gen.points("daily-oxygen-saturation", day)[0]["dailyOxygenSaturation"]
    assert spo2["averagePercentage"] == round(sum(p for _t, p in bundle.spo2) / len(bundle.spo2), 1)
    assert spo2["lowerBoundPercentage"] <= spo2["averagePercentage"] <= spo2["upperBoundPercentage"] <= 100
    resp = gen.points("respiratory-rate-sleep-summary", day)[0]["respiratoryRateSleepSummary"]
    daily_resp = gen.points("daily-respiratory-rate", day)[0]["dailyRespiratoryRate"]
    assert daily_resp["breathsPerMinute"] == resp["fullSleepStats"]["breathsPerMinute"]
    temps = gen.points("daily-sleep-temperature-derivations", day)[0]["dailySleepTemperatureDerivations"]
    assert {"nightlyTemperatureCelsius", "baselineTemperatureCelsius", "relativeNightlyStddev30dCelsius"} <= set(temps)
    for type_id in ("daily-resting-heart-rate", "daily-heart-rate-zones", "daily-vo2-max"):
        points = gen.points(type_id, day)
        assert len(points) == 1
    zones = gen.points("daily-heart-rate-zones", day)[0]["dailyHeartRateZones"]["heartRateZones"]
    assert [z["heartRateZoneType"] for z in zones] == ["LIGHT", "MODERATE", "VIGOROUS", "PEAK"]
    assert all(int(z["minBeatsPerMinute"]) <= int(z["maxBeatsPerMinute"]) for z in zones)


def test_exercise_summary_matches_the_minute_streams_and_tcx(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: any(e.gps for e in gen.plan(d).exercises))
    session = next(s for s in gen.exercises(day) if s.gps)
    point = next(p for p in gen.points("exercise", day) if p["name"].endswith(session.id))["exercise"]
    steps = sum(r[5] for r in gen.records("steps", day) if session.start <= r[0] < session.end)
    distance = sum(r[5] for r in gen.records("distance", day) if session.start <= r[0] < session.end)
    gain = sum(r[5] for r in gen.records("altitude", day) if session.start <= r[0] < session.end)
    assert int(point["metricsSummary"]["steps"]) == steps
    assert point["metricsSummary"]["distanceMillimeters"] == distance
    assert point["metricsSummary"]["elevationGainMillimeters"] == gain
    assert point["exerciseMetadata"] == {"hasGps": True}
    hr = [r[5] >> 1 for r in gen.records("heart-rate", day) if session.start <= r[0] < session.end]
    assert int(point["metricsSummary"]["averageHeartRateBeatsPerMinute"]) == round(sum(hr) / len(hr))
    tcx = gen.tcx(session.id)
    assert tcx is not None
    root = ET.fromstring(tcx)
    trackpoints = root.findall(".//t:Trackpoint", TCX_NS)
    assert len(trackpoints) == session.active_seconds
    first = trackpoints[0]
    assert first.find("t:Position/t:LatitudeDegrees", TCX_NS) is not None
    assert first.find("t:HeartRateBpm/t:Value", TCX_NS) is not None
    last_distance = float(trackpoints[-1].find("t:DistanceMeters", TCX_NS).text)  # type: ignore[union-attr]
    assert abs(last_distance * 1000 - distance) < 2000


def test_tcx_without_gps_has_no_track_unless_partial_data(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: any(not e.gps for e in gen.plan(d).exercises))
    session = next(s for s in gen.exercises(day) if not s.gps)
    assert ET.fromstring(gen.tcx(session.id) or "").findall(".//t:Trackpoint", TCX_NS) == []
    partial = ET.fromstring(gen.tcx(session.id, partial_data=True) or "")
    points = partial.findall(".//t:Trackpoint", TCX_NS)
    assert points and points[0].find("t:Position", TCX_NS) is None


def test_identifiable_points_round_trip_through_their_ids(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: gen.exercise_ids(d) and gen.plan(d).weigh_in)
    for type_id in ("exercise", "sleep", "weight"):
        for point in gen.points(type_id, day):
            point_id = point["name"].rsplit("/", 1)[-1]
            assert len(point_id) == 19 and point_id.isdigit()
            rec = gen.find(type_id, point_id)
            assert rec is not None and gen.render(type_id, rec) == point
    assert gen.find("exercise", "6" + "0" * 18) is None
    assert gen.find("exercise", "not-an-id") is None


def test_weights_from_the_scale_and_by_hand(gen: Generator) -> None:
    sources = set()
    for day in list(gen.days())[:200]:
        for point in gen.points("weight", day):
            sources.add(point["dataSource"]["recordingMethod"])
            assert 40_000 < point["weight"]["weightGrams"] < 150_000
    assert sources == {"ACTIVELY_MEASURED", "MANUAL"}


def test_rollup_only_types_have_records_but_no_points(gen: Generator) -> None:
    day = worn_day_with(gen, lambda d: True)
    assert gen.records("total-calories", day)
    with pytest.raises(ValueError):
        gen.points("total-calories", day)
    assert gen.records("steps", gen.first_day - timedelta(days=1)) == []


def test_day_bounds_are_aware_utc(gen: Generator) -> None:
    start, end = gen.day_bounds(date(2025, 12, 1))
    assert start == datetime(2025, 11, 30, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)
