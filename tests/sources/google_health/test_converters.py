"""Converters on the JSON the emulator's generator serves: schema, units, time, malformed points."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fitbit_sync.catalog import STREAMS, STREAMS_BY_KEY
from fitbit_sync.emulator.config import EmulatorConfig
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.google_health.converters import (
    CONVERTERS,
    ConvertContext,
    axis_time,
    convert,
    parse_time_ms,
)
from fitbit_sync.sources.google_health.planner import HEART_RATE_ROLLUP

BERLIN = ZoneInfo("Europe/Berlin")
# a plain day, the flight to Tokyo (14 Feb) and a day there, the spring DST change in Berlin
DAYS = (date(2026, 2, 10), date(2026, 2, 14), date(2026, 2, 17), date(2026, 3, 29))
# height is entered every few months (none on DAYS): test_height_bmi.py converts it on its own days
LIST_STREAMS = [s for s in STREAMS if s.method == "list" and not s.whole_history]


@pytest.fixture(scope="module")
def gen() -> Generator:
    return Generator(EmulatorConfig(seed=7, start=date(2026, 1, 1), end=date(2026, 4, 30)))


def context(gen: Generator | None = None) -> ConvertContext:
    return ConvertContext(device="Charge 6", zone=BERLIN, fetch_tcx=gen.tcx if gen else None)


def check_schema(record: Record) -> None:
    m = MEASUREMENTS[record.measurement]
    assert record.tags.get("Device") == "Charge 6"
    assert set(record.tags) <= set(m.tags)
    assert (record.date is not None) == (m.key == "date")
    for name, value in record.fields.items():
        kind = m.field_types[name]  # KeyError: a field the schema does not have
        if kind == "int":
            assert isinstance(value, int) and not isinstance(value, bool), (record.measurement, name, value)
        elif kind == "float":
            assert isinstance(value, float), (record.measurement, name, value)
        elif kind == "bool":
            assert isinstance(value, bool), (record.measurement, name, value)
        else:
            assert isinstance(value, str), (record.measurement, name, value)


def test_every_stream_has_a_converter() -> None:
    for stream in [*STREAMS, HEART_RATE_ROLLUP]:
        assert stream.key in CONVERTERS, stream.key


@pytest.mark.parametrize("stream", LIST_STREAMS, ids=lambda s: s.key)
def test_list_streams_convert_generated_points_to_schema_records(gen: Generator, stream: Any) -> None:
    ctx = context(gen)
    points = [p for day in DAYS for p in gen.points(stream.type_id, day)]
    assert points, f"the generator serves no {stream.type_id}"
    records = convert(stream, points, ctx)
    assert not ctx.skipped, ctx.skipped
    assert {r.measurement for r in records} <= set(stream.measurements)
    for record in records:
        check_schema(record)
    main = stream.measurements[0]
    assert sum(r.measurement == main for r in records) == len(points)
    # the axis key the engine records coverage with is readable for every point, newest first
    times = [axis_time(stream, p) for p in gen.points(stream.type_id, DAYS[0])]
    assert None not in times
    assert times == sorted(times, reverse=True)  # type: ignore[type-var]


def test_intraday_time_comes_from_each_points_own_offset(gen: Generator) -> None:
    stream = STREAMS_BY_KEY["heart-rate"]
    points = gen.points("heart-rate", date(2026, 2, 14))  # the day the user flies to Tokyo
    offsets = {p["heartRate"]["sampleTime"]["utcOffset"] for p in points}
    assert offsets == {"3600s", "32400s"}
    expected = [parse_time_ms(p["heartRate"]["sampleTime"]["physicalTime"]) for p in points]
    assert [r.time_ms for r in convert(stream, points, context())] == expected
    civil_only = copy.deepcopy(points)
    for p in civil_only:
        del p["heartRate"]["sampleTime"]["physicalTime"]  # only civil time + that point's own offset
    assert [r.time_ms for r in convert(stream, civil_only, context())] == expected
    assert [r.fields["value"] for r in convert(stream, points, context())] == [
        int(p["heartRate"]["beatsPerMinute"]) for p in points
    ]


def test_units_int64_strings_and_true_zeros() -> None:
    interval = {"startTime": "2026-02-10T07:31:00Z", "startUtcOffset": "3600s",
                "endTime": "2026-02-10T07:32:00Z", "endUtcOffset": "3600s"}
    ctx = context()
    (d,) = convert(STREAMS_BY_KEY["distance"], [{"distance": {"interval": interval, "millimeters": "1234"}}], ctx)
    assert d.measurement == "Distance_Intraday" and d.fields == {"value": pytest.approx(1.234)}
    assert d.time_ms == int(datetime(2026, 2, 10, 7, 31, tzinfo=UTC).timestamp() * 1000)
    (s,) = convert(STREAMS_BY_KEY["steps"], [{"steps": {"interval": interval}}], ctx)  # idle minute
    assert s.fields == {"value": 0}
    (a,) = convert(STREAMS_BY_KEY["altitude"], [{"altitude": {"interval": interval, "gainMillimeters": "3048"}}], ctx)
    assert a.fields == {"value": pytest.approx(3.048)}
    (w,) = convert(STREAMS_BY_KEY["weight"], [{"weight": {
        "sampleTime": {"physicalTime": "2026-02-10T06:00:00Z", "utcOffset": "3600s"}, "weightGrams": 74350.0}}], ctx)
    assert w.fields["kg"] == pytest.approx(74.35)
    assert w.fields["value"] == pytest.approx(74350 / 453.59237, rel=1e-6)
    (day,) = convert(STREAMS_BY_KEY["distance:daily"], [{
        "civilStartTime": {"date": {"year": 2026, "month": 2, "day": 10}, "time": {}},
        "distance": {"millimetersSum": "8123456"}}], ctx)
    assert day.measurement == "distance" and day.fields == {"value": pytest.approx(8.123456)}  # km
    assert day.date == "2026-02-10"
    assert day.time_ms == int(datetime(2026, 2, 10, tzinfo=BERLIN).timestamp() * 1000)
    assert not ctx.skipped


def test_daily_values_are_keyed_by_date_at_local_midnight(gen: Generator) -> None:
    stream = STREAMS_BY_KEY["daily-resting-heart-rate"]
    tokyo = ConvertContext(device="Charge 6", zone=ZoneInfo("Asia/Tokyo"))
    for day in DAYS:
        (record,) = convert(stream, gen.points(stream.type_id, day), tokyo)
        assert record.date == day.isoformat()
        assert record.time_ms == int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo("Asia/Tokyo"))
                                     .timestamp() * 1000)


def test_rollups_map_zones_levels_and_minutes() -> None:
    ctx = context()
    civil = {"civilStartTime": {"date": {"year": 2026, "month": 3, "day": 1}, "time": {}},
             "civilEndTime": {"date": {"year": 2026, "month": 3, "day": 2}, "time": {}}}
    (zones,) = convert(STREAMS_BY_KEY["time-in-heart-rate-zone:daily"], [{**civil, "timeInHeartRateZone": {
        "timeInHeartRateZones": [{"heartRateZone": "LIGHT", "duration": "3600s"},
                                 {"heartRateZone": "MODERATE", "duration": "1230s"},
                                 {"heartRateZone": "PEAK", "duration": "60s"}]}}], ctx)
    assert zones.measurement == "HR zones"
    assert zones.fields == {"Normal": 60, "Fat Burn": 20, "Cardio": 0, "Peak": 1}
    (minutes,) = convert(STREAMS_BY_KEY["active-minutes:daily"], [{**civil, "activeMinutes": {
        "activeMinutesRollupByActivityLevel": [{"activityLevel": "LIGHT", "activeMinutesSum": "200"},
                                               {"activityLevel": "VIGOROUS", "activeMinutesSum": "15"}]}}], ctx)
    assert minutes.fields == {"minutesLightlyActive": 200, "minutesFairlyActive": 0, "minutesVeryActive": 15}
    (sedentary,) = convert(STREAMS_BY_KEY["sedentary-period:daily"], [{**civil, "sedentaryPeriod": {
        "durationSum": "41400s"}}], ctx)
    assert sedentary.measurement == "Activity Minutes" and sedentary.fields == {"minutesSedentary": 690}
    (azm,) = convert(STREAMS_BY_KEY["active-zone-minutes:daily"], [{**civil, "activeZoneMinutes": {
        "sumInFatBurnHeartZone": "20", "sumInCardioHeartZone": "10"}}], ctx)
    assert azm.fields["fatBurn"] == 20 and azm.fields["peak"] == 0
    (floors,) = convert(STREAMS_BY_KEY["floors:rollup"], [{"startTime": "2026-03-01T10:00:00Z",
                                                            "endTime": "2026-03-01T10:01:00Z", "floors": {}}], ctx)
    assert floors.fields == {"value": 0}  # a worn idle minute
    (hr,) = convert(HEART_RATE_ROLLUP, [{"startTime": "2026-03-01T10:00:00Z", "endTime": "2026-03-01T10:01:00Z",
                                         "heartRate": {"beatsPerMinuteAvg": 71.6, "beatsPerMinuteMin": 65.0}}], ctx)
    assert hr.measurement == "HeartRate_Intraday" and hr.fields == {"value": 72}
    for record in (zones, minutes, sedentary, azm, floors, hr):
        check_schema(record)
    assert not ctx.skipped


def test_sleep_levels_and_summary(gen: Generator) -> None:
    stream = STREAMS_BY_KEY["sleep"]
    points = [p for day in DAYS for p in gen.points("sleep", day)]
    records = convert(stream, points, context())
    levels = {r.fields["stage"]: r.fields["level"] for r in records if r.measurement == "Sleep Levels"}
    assert {k: v for k, v in levels.items() if k in ("deep", "light", "rem", "wake")} == {
        "deep": 0, "light": 1, "rem": 2, "wake": 3}
    for point in points:
        body = point["sleep"]
        start = parse_time_ms(body["interval"]["startTime"])
        end = parse_time_ms(body["interval"]["endTime"])
        main = "True" if body["metadata"].get("mainSleep") else "False"
        (summary,) = [r for r in records if r.measurement == "Sleep Summary" and r.time_ms == start]
        assert summary.tags["isMainSleep"] == main
        assert summary.fields["endTime"] == end
        assert summary.fields["minutesAsleep"] == int(body["summary"]["minutesAsleep"])
        rows = [r for r in records if r.measurement == "Sleep Levels" and start <= r.time_ms <= end
                and r.tags["isMainSleep"] == main]
        assert len(rows) == len(body["stages"]) + 1  # one per stage and the closing level-3 row
        assert rows[-1].time_ms == end and rows[-1].fields["level"] == 3
        assert sum(r.fields.get("duration_seconds", 0) for r in rows) == (end - start) // 1000


def test_exercise_records_and_gps_from_tcx(gen: Generator) -> None:
    stream = STREAMS_BY_KEY["exercise"]
    points = [p for day in gen.days() for p in gen.points("exercise", day)][:40]
    with_gps = [p for p in points if p["exercise"]["exerciseMetadata"].get("hasGps")]
    assert with_gps, "no GPS workout generated"
    fetched: list[str] = []

    def fetch(ident: str) -> str | None:
        fetched.append(ident)
        return gen.tcx(ident)

    ctx = ConvertContext(device="Charge 6", zone=BERLIN, fetch_tcx=fetch)
    records = convert(stream, points, ctx)
    assert len(fetched) == len(with_gps)
    activities = [r for r in records if r.measurement == "Activity Records"]
    assert len(activities) == len(points)
    gps_ids = {r.tags["ActivityID"] for r in records if r.measurement == "GPS"}
    assert gps_ids == {a.fields["ActivityID"] for a in activities if a.fields["hasGps"]}
    first = activities[0]
    body = points[0]["exercise"]
    assert first.tags["ActivityName"] == body["displayName"]
    assert first.fields["ActivityID"] == f"{body['interval']['startTime']}-{body['displayName']}"
    assert first.fields["steps"] == int(body["metricsSummary"]["steps"])
    gps = [r for r in records if r.measurement == "GPS"]
    assert all(-90 <= r.fields["lat"] <= 90 and "distance" in r.fields for r in gps)
    assert not ctx.skipped


def test_malformed_points_are_skipped_and_counted(gen: Generator, caplog: pytest.LogCaptureFixture) -> None:
    stream = STREAMS_BY_KEY["heart-rate"]
    points = gen.points("heart-rate", DAYS[0])[:50]
    broken = copy.deepcopy(points)
    broken[3]["heartRate"]["beatsPerMinute"] = "fast"
    del broken[7]["heartRate"]["sampleTime"]
    broken[9]["heartRate"]["sampleTime"]["physicalTime"] = "yesterday"
    broken[11] = {"unexpected": True}
    broken[13] = "not an object"  # type: ignore[call-overload]
    broken[15]["heartRate"]["beatsPerMinute"] = None
    ctx = context()
    records = convert(stream, broken, ctx)
    assert ctx.skipped["heart-rate"] == 6
    assert len(records) == 44
    assert "skipped a malformed data point" in caplog.text
    daily = STREAMS_BY_KEY["daily-oxygen-saturation"]
    bad_daily = copy.deepcopy(gen.points(daily.type_id, DAYS[0]))
    bad_daily[0]["dailyOxygenSaturation"]["date"] = {"year": 2026, "month": 13, "day": 1}
    assert convert(daily, bad_daily, ctx) == []
    assert ctx.skipped[daily.key] == 1
    bad_tcx = ConvertContext(device="Charge 6", zone=BERLIN, fetch_tcx=lambda _id: "<not xml")
    gps_point = next(p for day in gen.days() for p in gen.points("exercise", day)
                     if p["exercise"]["exerciseMetadata"].get("hasGps"))
    (activity,) = convert(STREAMS_BY_KEY["exercise"], [gps_point], bad_tcx)  # the workout is kept
    assert activity.measurement == "Activity Records" and bad_tcx.skipped["exercise:gps"] == 1


def test_workout_names_are_kept_verbatim(gen: Generator) -> None:
    """Spaces around a name, a trailing backslash, line breaks, NUL: the converters keep the name
    as the API (or the archive) gives it; only the stores change what they cannot hold."""
    from fitbit_sync.sources.takeout.parsers.common import ParseContext
    from fitbit_sync.sources.takeout.parsers.json_exercise import exercise_record
    from fitbit_sync.sources.takeout.timezones import LocalDays

    point = next(p for day in gen.days() for p in gen.points("exercise", day))
    for name in ("  Evening run  ", "trailing\\", "Line1\nLine2", "nul\x00byte", "x" * 5000):
        odd = copy.deepcopy(point)
        odd["exercise"]["displayName"] = name
        (record,) = convert(STREAMS_BY_KEY["exercise"], [odd], context())
        assert record.tags["ActivityName"] == name
        assert record.fields["ActivityID"] == f"{odd['exercise']['interval']['startTime']}-{name}"
        log = {"logId": 1, "activityName": name, "startTime": "03/01/25 07:30:00", "duration": 60_000}
        archived = exercise_record(log, ParseContext(LocalDays(BERLIN), {"Device": "Charge 6"}))
        assert archived.tags["ActivityName"] == name and archived.fields["ActivityID"].endswith(f"Z-{name}")
    blank = copy.deepcopy(point)
    blank["exercise"]["displayName"] = "   "
    (record,) = convert(STREAMS_BY_KEY["exercise"], [blank], context())
    assert record.tags["ActivityName"] == point["exercise"]["exerciseType"].replace("_", " ").title()
