"""Ranges and the payload of one view: presets, downsampling budgets, totals that must agree."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from fitbit_sync.dashboards.html import payload, ranges
from fitbit_sync.dashboards.html.source import DAY, HOUR
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.errors import ConfigError
from fitbit_sync.records import Record
from fitbit_sync.stores.sqlite import SQLiteStore
from support.dash_demo import TZ, DemoSummary

ZONE = ranges.zone(TZ)


def local(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, ZONE)


def test_presets_end_at_the_newest_data_and_cover_whole_local_days() -> None:
    newest = int(datetime(2026, 3, 30, 14, 25, tzinfo=ZONE).timestamp() * 1000)  # the day after DST began
    bounds = (newest - 400 * DAY, newest)
    day = ranges.resolve("24h", bounds, ZONE)
    assert day.end_ms == int(datetime(2026, 3, 30, 15, 0, tzinfo=ZONE).timestamp() * 1000)
    assert day.span_ms == DAY
    week = ranges.resolve("7d", bounds, ZONE)
    assert (local(week.start_ms).date(), week.days) == (date(2026, 3, 24), 7)
    assert local(week.start_ms).hour == 0 and local(week.end_ms).hour == 0
    assert week.span_ms == 7 * DAY - HOUR  # the DST night is an hour short
    assert ranges.resolve("30d", bounds, ZONE).days == 30
    assert ranges.resolve("1y", bounds, ZONE).days == 365
    everything = ranges.resolve("all", bounds, ZONE)
    assert everything.first_date == local(bounds[0]).date() and everything.last_date == date(2026, 3, 30)
    custom = ranges.resolve(None, bounds, ZONE, first="2026-01-01", last="2026-01-31")
    assert (custom.first_date, custom.last_date, custom.days) == (date(2026, 1, 1), date(2026, 1, 31), 31)
    empty = ranges.resolve("7d", None, ZONE, now_ms=newest)
    assert empty.last_date == date(2026, 3, 30)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"preset": "2w"}, "unknown range '2w'"),
    ({"preset": None, "first": "2026-02-01"}, "needs both"),
    ({"preset": None, "first": "2026-02-01", "last": "2026-01-01"}, "before the first date"),
    ({"preset": None, "first": "yesterday", "last": "2026-01-01"}, "must be a date"),
    ({"preset": None, "first": "1900-01-01", "last": "2026-01-01"}, "at most 50 years"),
])
def test_bad_ranges_are_one_line_config_errors(kwargs: dict[str, str | None], message: str) -> None:
    preset = kwargs.pop("preset")
    with pytest.raises(ConfigError, match=message) as err:
        ranges.resolve(preset, (0, DAY), ZONE, **kwargs)
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match="unknown time zone"):
        ranges.zone("Mars/Olympus_Mons")
    with pytest.raises(ConfigError, match="after its start"):
        ranges.explicit(5, 5, ZONE)


def test_every_panel_of_the_30_day_view_has_data(demo_source: SQLiteSource) -> None:
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    view = payload.build(demo_source, ranges.resolve("30d", bounds, ZONE), bounds=bounds)
    p = view["panels"]
    assert len(p["heart_rate"]["t"]) >= 1000
    for name in ("resting_hr", "breathing", "steps", "distance", "calories"):
        assert len(p[name]["dates"]) == 30 and all(v is not None for v in p[name]["value"]), name
    assert all(v is not None for v in p["hrv"]["dailyRmssd"]) and all(v is not None for v in p["spo2"]["avg"])
    assert all(v is not None for v in p["skin_temp"]["RelativeValue"])
    assert all(v is not None for v in p["activity_minutes"]["minutesVeryActive"])
    assert all(v is not None for v in p["hr_zones"]["Fat Burn"])
    stages = p["sleep_stages"]
    staged = [d is not None for d in stages["deep"]]
    classic = [c is not None for c in stages["classic"]]
    assert sum(staged) >= 20 and sum(classic) >= 4  # both kinds of night, each date one kind
    assert all(a != b for a, b in zip(staged, classic, strict=True))
    assert len(p["hypnogram"]["nights"]) == payload.HYPNOGRAM_NIGHTS
    assert len(p["steps_heatmap"]["columns"]) == 30 and len(p["sleep_regularity"]["cells"]) > 200
    assert len(p["weight"]["t"]) > 5 and len(p["battery"]["t"]) > 300
    assert p["workouts"]["items"] and len(p["workouts"]["tracks"]) == 1
    assert p["heart_rate"]["zones_source"] == "HR Zone Thresholds"
    assert [z["from"] for z in p["heart_rate"]["zones"]] == [114, 138, 168]
    assert view["stats"]["resting_hr"]["value"] > 40
    assert len(orjson.dumps(view)) < 400_000


def test_series_stay_within_the_point_budget_for_every_preset(demo_source: SQLiteSource) -> None:
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    for preset in ranges.PRESETS:
        view = payload.build(demo_source, ranges.resolve(preset, bounds, ZONE), bounds=bounds, tracks="none")
        assert 0 < len(view["panels"]["heart_rate"]["t"]) <= payload.MAX_POINTS, preset
        assert len(view["panels"]["battery"]["t"]) <= payload.BATTERY_POINTS, preset
        assert view["panels"]["workouts"]["tracks"] == {}


def test_steps_heatmap_and_daily_totals_agree_with_the_minutes(demo_db: tuple[Path, DemoSummary],
                                                               demo_source: SQLiteSource) -> None:
    db, _ = demo_db
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    window = ranges.resolve("7d", bounds, ZONE)
    p = payload.build(demo_source, window, bounds=bounds)["panels"]
    with sqlite3.connect(db) as conn:
        minutes = conn.execute('SELECT time, value FROM "Steps_Intraday" WHERE time >= ? AND time < ?',
                               (window.start_ms, window.end_ms)).fetchall()
    per_day: dict[str, int] = defaultdict(int)
    per_cell: dict[tuple[str, int], int] = defaultdict(int)
    for t, v in minutes:
        moment = local(t)
        per_day[moment.date().isoformat()] += v
        per_cell[(moment.date().isoformat(), moment.hour)] += v
    assert dict(zip(p["steps"]["dates"], p["steps"]["value"], strict=True)) == per_day  # demo totals = minutes
    heat = p["steps_heatmap"]
    cells = {(heat["columns"][c], h): v for c, h, v in heat["cells"]}
    assert cells == dict(per_cell)


def test_sleep_regularity_counts_the_minutes_asleep(demo_source: SQLiteSource) -> None:
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    window = ranges.resolve("7d", bounds, ZONE)
    p = payload.build(demo_source, window, bounds=bounds)["panels"]
    grid_total = sum(v for _, _, v in p["sleep_regularity"]["cells"])
    segments = demo_source.sleep_segments(window.start_ms - DAY, window.end_ms)
    asleep = 0.0
    for s in segments:
        if s.level == 3:
            continue
        start, end = max(s.start_ms, window.start_ms), min(s.start_ms + s.duration_s * 1000, window.end_ms)
        asleep += max(0, end - start) / 60_000
    assert grid_total == pytest.approx(asleep, abs=len(p["sleep_regularity"]["cells"]))  # cells are rounded
    assert all(0 <= v <= 60 for _, _, v in p["sleep_regularity"]["cells"])
    hours = defaultdict(float)
    for _, h, v in p["sleep_regularity"]["cells"]:
        hours[h] += v
    assert hours[3] > 5 * hours[15]  # asleep at night, not in the afternoon


def test_long_ranges_turn_daily_bars_and_heatmaps_into_weeks(tmp_path: Path) -> None:
    db = tmp_path / "long.db"
    first = date(2024, 1, 1)
    records = []
    for i in range(500):
        day = first + timedelta(days=i)
        midnight = int(datetime(day.year, day.month, day.day, tzinfo=ZONE).timestamp() * 1000)
        records.append(Record("Total Steps", midnight, {"value": float(1000 * (i % 7))}, {"Device": "d"},
                              date=day.isoformat()))
        nine = int(datetime(day.year, day.month, day.day, 9, tzinfo=ZONE).timestamp() * 1000)
        records.append(Record("Steps_Intraday", nine, {"value": 70}, {"Device": "d"}))
    with SQLiteStore(db) as store:
        store.write(records)
    source = SQLiteSource(db)
    bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
    view = payload.build(source, ranges.resolve("all", bounds, ZONE), bounds=bounds)
    steps = view["panels"]["steps"]
    assert steps["period"] == "week" and 70 <= len(steps["dates"]) <= 73
    assert all(date.fromisoformat(d).weekday() == 0 for d in steps["dates"])
    last = first + timedelta(days=499)
    full_weeks = [v for d, v in zip(steps["dates"], steps["value"], strict=True)
                  if first <= date.fromisoformat(d) and date.fromisoformat(d) + timedelta(days=6) <= last]
    assert full_weeks and all(v == pytest.approx(3000) for v in full_weeks)  # mean of 0..6 thousand
    heat = view["panels"]["steps_heatmap"]
    assert heat["period"] == "week"
    assert {h for _, h, _ in heat["cells"]} == {9}
    assert max(v for _, _, v in heat["cells"]) == 70  # mean per day in the week
    source.close()


def test_records_from_the_stores_demo_generator_draw_every_panel(tmp_path: Path) -> None:
    """An independent generator (tests/support/demo_records.py: naps, Swim without GPS, 'Outdoor Bike')."""
    from support.demo_records import demo_records

    db = tmp_path / "other.db"
    with SQLiteStore(db) as store:
        store.write(demo_records(days=4))
    source = SQLiteSource(db)
    bounds = source.bounds(payload.ACTIVITY_MEASUREMENTS)
    view = payload.build(source, ranges.resolve("7d", bounds, ZONE), bounds=bounds, tracks="all")
    p = view["panels"]
    for name in ("resting_hr", "breathing", "steps", "distance", "calories"):
        assert any(v is not None for v in p[name]["value"]), name
    assert any(v is not None for v in p["hrv"]["dailyRmssd"]) and any(v is not None for v in p["spo2"]["avg"])
    assert any(v is not None for v in p["sleep_stages"]["deep"]) and p["sleep_regularity"]["cells"]
    nights = p["hypnogram"]["nights"]
    assert nights and all(n["segments"] for n in nights)
    assert len(nights) == len({n["date"] for n in nights})  # naps are not nights
    names = {w["name"] for w in p["workouts"]["items"]}
    assert {"Swim", "Run"} <= names
    assert set(p["workouts"]["tracks"]) == {w["id"] for w in p["workouts"]["items"] if w["has_gps"]}
    assert all(len(t["lat"]) > 10 for t in p["workouts"]["tracks"].values())
    assert p["heart_rate"]["t"] and p["battery"]["t"] and p["weight"]["t"] and p["steps_heatmap"]["cells"]
    source.close()


def test_the_average_night_counts_every_night_once_whatever_its_kind(demo_source: SQLiteSource) -> None:
    """Issue 11: classic nights' minutes were added on top of the stage nights' (15 h 11 m a night)."""
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    s = payload.build(demo_source, ranges.resolve("30d", bounds, ZONE), bounds=bounds, tracks="none")[
        "panels"]["sleep_stages"]
    nights = [sum(v or 0 for v in (s["deep"][i], s["light"][i], s["rem"][i], s["classic"][i]))
              for i in range(len(s["dates"])) if s["asleep"][i] is not None]
    assert len(nights) == 30
    average = s["average"]
    assert average["nights"] == 30
    assert average["asleep"] == pytest.approx(sum(nights) / 30, abs=0.05)
    assert 6 * 60 < average["asleep"] < 9 * 60
    parts = sum(average[k] for k in ("deep", "light", "rem", "classic"))
    assert parts == pytest.approx(average["asleep"], abs=0.3)  # the slices add up to the centre


def test_a_classic_night_is_classic_even_with_restless_minutes_in_minutes_rem(tmp_path: Path) -> None:
    """Takeout writes a classic night's asleep / restless minutes into minutesLight / minutesREM."""
    db = tmp_path / "classic.db"
    night = int(datetime(2026, 3, 2, 23, 0, tzinfo=ZONE).timestamp() * 1000)
    fields = {"minutesAsleep": 400, "minutesAwake": 30, "minutesInBed": 450, "minutesLight": 400, "minutesREM": 20,
              "minutesDeep": 0, "sleepType": "CLASSIC", "endTime": night + 450 * 60_000}
    with SQLiteStore(db) as store:
        store.write([Record("Sleep Summary", night, fields, {"isMainSleep": "True"})])
    source = SQLiteSource(db)
    try:
        window = ranges.resolve(None, None, ZONE, first="2026-03-03", last="2026-03-03")
        s = payload.build(source, window, tracks="none")["panels"]["sleep_stages"]
    finally:
        source.close()
    assert (s["deep"], s["light"], s["rem"], s["classic"]) == ([None], [None], [None], [400])
    assert s["average"]["asleep"] == 400 and s["average"]["nights"] == 1


def test_every_tile_carries_the_local_date_of_its_row(demo_db: tuple[Path, DemoSummary],
                                                      demo_source: SQLiteSource) -> None:
    """Issue 11: tiles were dated by converting the row's time in the viewer's zone (a day off)."""
    db, _ = demo_db
    bounds = demo_source.bounds(payload.ACTIVITY_MEASUREMENTS)
    window = ranges.resolve(None, bounds, ZONE, first="2026-11-01", last="2026-11-10")
    view = payload.build(demo_source, window, bounds=bounds, tracks="none")
    stats = view["stats"]
    with sqlite3.connect(db) as conn:
        for tile, table, column in (("resting_hr", "RestingHR", "value"), ("steps", "Total Steps", "value"),
                                    ("spo2", "SPO2", "avg"), ("hrv", "HRV", "dailyRmssd"),
                                    ("vo2max", "VO2 Max", "vo2Max")):
            day, value = conn.execute(f'SELECT date, "{column}" FROM "{table}" WHERE date <= ? '
                                      "ORDER BY date DESC LIMIT 1", ("2026-11-10",)).fetchone()
            assert day == "2026-11-10" and stats[tile]["date"] == day, tile
            assert stats[tile]["value"] == pytest.approx(value, abs=0.05), tile
        weighed = conn.execute('SELECT max(time) FROM "weight" WHERE time < ?', (window.end_ms,)).fetchone()[0]
    assert stats["weight"]["date"] == local(weighed).date().isoformat()
    last_night = view["panels"]["hypnogram"]["nights"][-1]
    assert stats["sleep"]["date"] == last_night["date"] == "2026-11-10"  # one date per night everywhere
    assert stats["sleep"]["value"] == last_night["asleep"]


def test_the_steps_colour_scale_ends_at_the_95th_percentile_not_at_outliers(tmp_path: Path) -> None:
    """Issue 11: a few outlier hours set the steps-by-hour colour scale, leaving everything else dark."""
    db = tmp_path / "outliers.db"
    day = int(datetime(2026, 3, 2, tzinfo=ZONE).timestamp() * 1000)
    hours = [day + h * HOUR for h in range(24 * 7)]
    records = [Record("Steps_Intraday", t, {"value": 300 + (i % 24) * 10}) for i, t in enumerate(hours)]
    records += [Record("Steps_Intraday", hours[i] + 60_000, {"value": 12_000}) for i in (30, 80, 130)]  # 3 outliers
    with SQLiteStore(db) as store:
        store.write(records)
    source = SQLiteSource(db)
    try:
        window = ranges.resolve(None, None, ZONE, first="2026-03-02", last="2026-03-08")
        heat = payload.build(source, window, tracks="none")["panels"]["steps_heatmap"]
    finally:
        source.close()
    values = sorted(c[2] for c in heat["cells"])
    assert values[-1] > 12_000
    assert heat["scale_max"] == pytest.approx(payload.percentile(values, 95), abs=0.5)
    assert heat["scale_max"] < 600  # set by the ordinary hours
    assert payload.percentile([], 95) is None and payload.percentile([1.0, 3.0], 50) == 2.0


def test_a_gps_track_carries_its_length_and_a_mark_every_nice_distance() -> None:
    """Issue 11: the GPS track had no scale or distance marks. 0.01° of latitude is 1.112 km."""
    lat = [47.0 + i * 0.001 for i in range(0, 60)]  # 5.9 thousandths of a degree: 6.56 km due north
    lon = [19.0] * len(lat)
    d = payload.distance_marks(lat, lon)
    assert d["km"] == pytest.approx(59 * 0.1111949, rel=1e-4)
    assert d["step_km"] == 1.0 and [m[2] for m in d["marks"]] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    for mark in d["marks"]:  # each mark sits where that distance is reached
        assert payload.distance_m(47.0, 19.0, mark[0], mark[1]) == pytest.approx(mark[2] * 1000, abs=1)
    assert payload.distance_marks(lat[:5], lon[:5])["step_km"] == 0.1  # 445 m: a mark every 100 m
    assert payload.distance_marks([47.0], [19.0]) == {"km": 0.0, "step_km": 0.1, "marks": []}
