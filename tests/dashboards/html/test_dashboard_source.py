"""The SQLite dashboard source against real SQLite files: buckets, daily rows, sleep, workouts, GPS."""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from fitbit_sync.dashboards.html.source import DAY, HOUR, MINUTE, NICE_BUCKETS_MS, bucket_for
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.errors import StoreError
from fitbit_sync.records import Record
from fitbit_sync.stores.sqlite import SQLiteStore
from support.dash_demo import DemoSummary


def raw(db: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def test_bucket_for_picks_the_smallest_nice_bucket_within_the_budget() -> None:
    for span in (HOUR, DAY, 7 * DAY, 30 * DAY, 365 * DAY, 3 * 365 * DAY):
        size = bucket_for(span, 1500, floor_ms=5000)
        assert size in NICE_BUCKETS_MS
        assert span / size <= 1500
        smaller = [b for b in NICE_BUCKETS_MS if 5000 <= b < size]
        assert all(span / b > 1500 for b in smaller), (span, size)
    assert bucket_for(60 * DAY * 365, 10) > NICE_BUCKETS_MS[-1] - 1  # past the table: still within budget
    with pytest.raises(ValueError):
        bucket_for(DAY, 0)


def test_series_matches_an_independent_aggregation_of_the_raw_rows(
    demo_db: tuple[Path, DemoSummary], demo_source: SQLiteSource
) -> None:
    db, summary = demo_db
    start = summary.first_ms + 3 * DAY + 17 * MINUTE  # not aligned: first and last buckets are partial
    end = start + 2 * DAY
    series = demo_source.series("HeartRate_Intraday", "value", start, end, HOUR, ("mean", "min", "max", "sum", "last"))
    rows = raw(db, 'SELECT time, value FROM "HeartRate_Intraday" WHERE time >= ? AND time < ? ORDER BY time',
               (start, end))
    assert len(rows) > 30_000  # 5-second samples
    buckets: dict[int, list[int]] = defaultdict(list)
    for t, v in rows:
        buckets[int(t) // HOUR * HOUR].append(int(v))  # type: ignore[call-overload]
    assert series.times == sorted(buckets)
    for i, t in enumerate(series.times):
        values = buckets[t]
        assert series.values["mean"][i] == pytest.approx(statistics.fmean(values))
        assert series.values["min"][i] == min(values)
        assert series.values["max"][i] == max(values)
        assert series.values["sum"][i] == sum(values)
        assert series.values["last"][i] == values[-1]


def test_series_over_the_whole_history_stays_within_the_point_budget(
    demo_db: tuple[Path, DemoSummary], demo_source: SQLiteSource
) -> None:
    _, summary = demo_db
    span = summary.last_ms - summary.first_ms
    size = bucket_for(span, 300)
    series = demo_source.series("HeartRate_Intraday", "value", summary.first_ms, summary.last_ms + 1, size)
    assert 0 < len(series) <= 300
    assert series.times == sorted(series.times)
    assert all(t % size == 0 for t in series.times)


def test_daily_rows_average_devices_and_respect_the_date_bounds(tmp_path: Path) -> None:
    db = tmp_path / "two-devices.db"
    with SQLiteStore(db) as store:
        store.write([
            Record("RestingHR", 1_000, {"value": 60}, {"Device": "Charge 6"}, date="2026-03-01"),
            Record("RestingHR", 1_000, {"value": 64}, {"Device": "Pixel Watch"}, date="2026-03-01"),
            Record("RestingHR", 2_000, {"value": 58}, {"Device": "Charge 6"}, date="2026-03-02"),
            Record("RestingHR", 3_000, {"value": 57}, {"Device": "Charge 6"}, date="2026-03-03"),
            Record("VO2 Max", 1_000, {"vo2Max": 44.0, "cardioFitnessLevel": "GOOD"}, {"Device": "x"},
                   date="2026-03-01"),
        ])
    source = SQLiteSource(db)
    rows = source.daily("RestingHR", ("value",), "2026-03-01", "2026-03-02")
    assert [(r.date, r.values["value"]) for r in rows] == [("2026-03-01", 62.0), ("2026-03-02", 58.0)]
    vo2 = source.daily("VO2 Max", ("vo2Max", "cardioFitnessLevel"), "2026-01-01", "2026-12-31")
    assert vo2[0].values == {"vo2Max": 44.0, "cardioFitnessLevel": "GOOD"}
    assert source.latest("RestingHR", ("value",), 10_000) == (3_000, {"value": 57})
    assert source.latest("RestingHR", ("value",), 1_000) is None
    source.close()


def test_sleep_workouts_and_gps_come_back_consistent(
    demo_db: tuple[Path, DemoSummary], demo_source: SQLiteSource
) -> None:
    _, summary = demo_db
    nights = demo_source.sleep_nights(summary.first_ms - DAY, summary.last_ms + 1)
    segments = demo_source.sleep_segments(summary.first_ms - DAY, summary.last_ms + DAY)
    assert len(nights) >= 30 and all(n.main for n in nights)
    kinds = {"STAGES": ({"deep", "light", "rem", "wake"}, {0, 1, 2}), "CLASSIC": ({"asleep", "restless", "awake"}, {1})}
    for kind, (stages, asleep_levels) in kinds.items():
        night = next(n for n in nights[3:] if n.sleep_type == kind)
        inside = [s for s in segments if night.start_ms <= s.start_ms < night.end_ms and s.duration_s > 0]
        asleep_min = sum(s.duration_s for s in inside if s.level in asleep_levels) // 60
        assert abs(asleep_min - (night.minutes["asleep"] or 0)) <= len(inside)  # whole minutes per segment
        assert {s.stage for s in inside} <= stages

    workouts = demo_source.workouts(summary.first_ms, summary.last_ms + 1, 5)
    assert len(workouts) == 5
    assert [w.start_ms for w in workouts] == sorted((w.start_ms for w in workouts), reverse=True)
    with_gps = next(w for w in demo_source.workouts(summary.first_ms, summary.last_ms + 1, 100) if w.has_gps)
    assert with_gps.activity_id.endswith("-" + with_gps.name)
    end = with_gps.start_ms + (with_gps.duration_ms or 0)
    full = demo_source.gps_track(with_gps.activity_id, with_gps.start_ms, end, 100_000)
    thin = demo_source.gps_track(with_gps.activity_id, with_gps.start_ms, end, 200)
    assert len(full) > 1000 and len(thin) <= 200
    assert thin.times[0] == full.times[0] and thin.times[-1] == full.times[-1]  # start and finish kept
    assert thin.lat[-1] == full.lat[-1]
    assert len(demo_source.gps_track("no-such-workout", with_gps.start_ms, end, 200)) == 0


def test_the_source_never_writes_and_survives_a_database_without_tables(tmp_path: Path,
                                                                        demo_db: tuple[Path, DemoSummary]) -> None:
    db, summary = demo_db
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    source = SQLiteSource(db)
    source.series("HeartRate_Intraday", "value", summary.first_ms, summary.last_ms, DAY)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        source._conn.execute('DELETE FROM "RestingHR"')
    source.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before

    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).close()
    empty = SQLiteSource(bare)
    assert empty.bounds(["HeartRate_Intraday"]) is None
    assert len(empty.series("HeartRate_Intraday", "value", 0, DAY, HOUR)) == 0
    assert empty.daily("RestingHR", ("value",), "2026-01-01", "2026-02-01") == []
    assert empty.sleep_nights(0, DAY) == [] and empty.workouts(0, DAY, 5) == []
    assert len(empty.gps_track("x", 0, DAY, 10)) == 0
    empty.close()


def test_a_missing_or_corrupt_file_is_a_one_line_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no SQLite database at .*missing\.db") as missing:
        SQLiteSource(tmp_path / "missing.db")
    assert "\n" not in str(missing.value)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just text " * 200)
    with pytest.raises(StoreError, match="cannot read SQLite database") as corrupt:
        SQLiteSource(junk)
    assert "\n" not in str(corrupt.value)


def test_long_ranges_from_the_hourly_rollup_equal_a_full_scan(tmp_path: Path) -> None:
    from fitbit_sync.dashboards.html import sqlite_source
    from support.dash_demo import fill_demo

    db = tmp_path / "rollup.db"
    with SQLiteStore(db) as store:
        summary = fill_demo(store, 4, end=date(2026, 11, 15), hr_step_s=15)
    start, end = summary.last_ms - 70 * DAY, summary.last_ms + DAY  # long enough to use the rollup
    source = SQLiteSource(db)
    assert source.rollups.get('"HeartRate_Intraday"', '"value"') is None  # first ask: built in the background
    assert source.rollups.wait(60)
    rollup = source.rollups.get('"HeartRate_Intraday"', '"value"')
    assert rollup is not None and rollup.upto <= summary.last_ms and len(rollup.hours) > 80

    def scanned(bucket: int) -> dict[str, list[float | None]]:
        saved = sqlite_source.ROLLUP_FIELDS
        sqlite_source.ROLLUP_FIELDS = frozenset()
        try:
            return source.series("HeartRate_Intraday", "value", start, end, bucket, ("mean", "min", "max")).values
        finally:
            sqlite_source.ROLLUP_FIELDS = saved

    for bucket in (HOUR, 6 * HOUR, DAY):
        fast = source.series("HeartRate_Intraday", "value", start, end, bucket, ("mean", "min", "max"))
        slow = scanned(bucket)
        assert fast.values["min"] == slow["min"] and fast.values["max"] == slow["max"]
        assert fast.values["mean"] == pytest.approx(slow["mean"])
    # new data (another connection commits): the rollup is dropped, answers include the new rows
    late = summary.last_ms - 30 * DAY  # an old hour, as an archive import would write
    with SQLiteStore(db) as store:
        store.write([Record("HeartRate_Intraday", late, {"value": 199}, {"Device": "other"})])
    assert source.rollups.get('"HeartRate_Intraday"', '"value"') is None
    after = source.series("HeartRate_Intraday", "value", start, end, DAY, ("max",))
    assert after.values["max"][after.times.index(late // DAY * DAY)] == 199
    source.rollups.wait(60)
    source.close()


def test_fields_of_an_early_database_are_read_under_their_former_names(tmp_path: Path) -> None:
    """Early fitbit-sync files named two fields differently (schema.FORMER_NAMES): still drawn."""
    db = tmp_path / "early.db"
    with sqlite3.connect(db) as conn:
        conn.execute('CREATE TABLE "Sleep Levels" (time INTEGER NOT NULL, "Device" TEXT NOT NULL DEFAULT \'\', '
                     '"isMainSleep" TEXT NOT NULL DEFAULT \'\', level INTEGER, stage TEXT, duration INTEGER, '
                     'PRIMARY KEY (time, "Device", "isMainSleep")) WITHOUT ROWID')
        conn.execute('INSERT INTO "Sleep Levels" VALUES (1000, \'Charge 6\', \'True\', 0, \'deep\', 1500)')
        conn.execute('CREATE TABLE "Activity Records" (time INTEGER NOT NULL, "Device" TEXT NOT NULL DEFAULT \'\', '
                     '"ActivityName" TEXT NOT NULL DEFAULT \'\', duration INTEGER, averageHeartRate INTEGER, '
                     'PRIMARY KEY (time, "Device", "ActivityName")) WITHOUT ROWID')
        conn.execute('INSERT INTO "Activity Records" VALUES (2000, \'Charge 6\', \'Run\', 600000, 151)')
    source = SQLiteSource(db)
    [segment] = source.sleep_segments(0, DAY)
    assert (segment.duration_s, segment.level, segment.stage, segment.main) == (1500, 0, "deep", True)
    [workout] = source.workouts(0, DAY, 5)
    assert (workout.name, workout.duration_ms, workout.average_hr) == ("Run", 600_000, 151)
    source.close()
