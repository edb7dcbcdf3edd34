"""Everything one dashboard view shows, as one JSON-ready dict, built from a ``DashboardSource``.

The same payload feeds the live page (``/api/data``) and the self-contained report (embedded).
Intraday series are cut into buckets on the server (about 1,500 points at most per series);
daily series become weekly means past ``WEEKLY_AFTER_DAYS`` days; heatmaps are hour × day (or
hour × week) grids in the viewer's time zone.
"""

from __future__ import annotations

import math
import time as _time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from fitbit_sync.dashboards.html.ranges import Window
from fitbit_sync.dashboards.html.source import (
    DAY,
    HOUR,
    MINUTE,
    DailyRow,
    DashboardSource,
    GpsTrack,
    Series,
    SleepNight,
    SleepSegment,
    bucket_for,
)

MAX_POINTS = 1500
BATTERY_POINTS = 720  # a slow curve: half the points draw it just as well
WEEKLY_AFTER_DAYS = 400  # daily bars become weekly means past this many days
HEATMAP_WEEKS_AFTER_DAYS = 120  # heatmap columns become weeks past this many days
HYPNOGRAM_NIGHTS = 7
WORKOUTS = 15
TRACK_POINTS = 1200
SCALE_PERCENTILE = 95  # a heatmap's colour scale ends here: a few outliers do not wash out the rest
MARK_STEPS_KM = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0)
MAX_MARKS = 12
EARTH_RADIUS_M = 6_371_008.8
#: Measurements whose newest time is "the data's now" (what presets end at, and "last sync").
ACTIVITY_MEASUREMENTS = ("HeartRate_Intraday", "Steps_Intraday", "Sleep Summary", "DeviceBatteryLevel")
DEFAULT_ZONES = {"lightMin": 0, "moderateMin": 114, "vigorousMin": 138, "peakMin": 168, "peakMax": 220}
WAKE = 3

JSON = dict[str, Any]


def _r(value: Any, digits: int = 1) -> Any:
    """Rounded floats keep the payload small; other values pass."""
    if isinstance(value, float):
        return round(value, digits)
    return value


def _rl(values: Iterable[Any], digits: int = 1) -> list[Any]:
    return [_r(v, digits) for v in values]


# --- daily series ---------------------------------------------------------------------------------


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _periodic(w: Window, rows: Sequence[DailyRow], fields: Sequence[str], digits: int = 1) -> JSON:
    """Columns ``dates`` (every day of the window, or every week past ``WEEKLY_AFTER_DAYS``: the
    mean of the days that have a value) and one list per field, None where nothing is stored."""
    weekly = w.days > WEEKLY_AFTER_DAYS
    groups: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    texts: dict[tuple[str, str], str] = {}
    for r in rows:
        day = date.fromisoformat(r.date)
        key = (_week_start(day) if weekly else day).isoformat()
        for f in fields:
            v = r.values.get(f)
            if isinstance(v, int | float):
                groups[key][f].append(float(v))
            elif isinstance(v, str):
                texts[(key, f)] = v
    keys = _columns(w, weekly)
    out: JSON = {"period": "week" if weekly else "day", "dates": keys}
    for f in fields:
        column: list[Any] = []
        for k in keys:
            got = groups[k][f] if k in groups else []
            column.append(_r(sum(got) / len(got), digits) if got else texts.get((k, f)))
        out[f] = column
    return out


def _columns(w: Window, weekly: bool) -> list[str]:
    """Every day (or week start) of the window, as ISO dates."""
    columns: list[str] = []
    day = _week_start(w.first_date) if weekly else w.first_date
    while day <= w.last_date:
        columns.append(day.isoformat())
        day += timedelta(days=7 if weekly else 1)
    return columns


def _daily(source: DashboardSource, w: Window, measurement: str, fields: Sequence[str], digits: int = 1) -> JSON:
    rows = source.daily(measurement, fields, w.first_date.isoformat(), w.last_date.isoformat())
    return _periodic(w, rows, fields, digits)


# --- hour × day grids -----------------------------------------------------------------------------


def _grid(w: Window, hourly: dict[int, float], digits: int = 0) -> JSON:
    """An hour-of-day × day (or week: mean per day) grid from UTC-hour totals, in the window's zone."""
    weekly = w.days > HEATMAP_WEEKS_AFTER_DAYS
    cells: dict[tuple[str, int], float] = defaultdict(float)
    for hour_ms, value in hourly.items():
        local = datetime.fromtimestamp(hour_ms / 1000, w.tz)
        day = local.date()
        key = (_week_start(day) if weekly else day).isoformat()
        cells[(key, local.hour)] += value
    columns = _columns(w, weekly)
    index = {c: i for i, c in enumerate(columns)}
    divisor = 7.0 if weekly else 1.0
    data = [[index[c], h, _r(v / divisor, digits)] for (c, h), v in sorted(cells.items()) if c in index]
    return {"period": "week" if weekly else "day", "columns": columns, "cells": data,
            "scale_max": _r(percentile([float(c[2]) for c in data if c[2] > 0], SCALE_PERCENTILE), digits)}


def percentile(values: Sequence[float], pct: float) -> float | None:
    """The ``pct`` percentile (linear between the nearest ranks), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo = math.floor(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _asleep_by_hour(segments: Iterable[SleepSegment]) -> dict[int, float]:
    """Minutes asleep (any stage but wake) in each UTC hour."""
    hourly: dict[int, float] = defaultdict(float)
    for seg in segments:
        if seg.level == WAKE or seg.duration_s <= 0:
            continue
        t, end = seg.start_ms, seg.start_ms + seg.duration_s * 1000
        while t < end:
            hour = t - t % HOUR
            nxt = min(end, hour + HOUR)
            hourly[hour] += (nxt - t) / MINUTE
            t = nxt
    return hourly


# --- panels ---------------------------------------------------------------------------------------


def _series_json(s: Series, digits: int = 1) -> JSON:
    return {"bucket_ms": s.bucket_ms, "t": s.times, **{k: _rl(v, digits) for k, v in s.values.items()}}


def _heart_rate(source: DashboardSource, w: Window) -> JSON:
    bucket = bucket_for(w.span_ms, MAX_POINTS, floor_ms=5_000)
    series = source.series("HeartRate_Intraday", "value", w.start_ms, w.end_ms, bucket, ("mean", "min", "max"))
    out = _series_json(series)
    latest = source.latest("HR Zone Thresholds", tuple(DEFAULT_ZONES), w.end_ms)
    thresholds: dict[str, float] = dict(DEFAULT_ZONES)
    out["zones_source"] = "default"
    if latest and all(isinstance(latest[1].get(k), int | float) for k in ("moderateMin", "vigorousMin", "peakMin")):
        thresholds.update({k: v for k, v in latest[1].items() if isinstance(v, int | float)})
        out["zones_source"] = "HR Zone Thresholds"
    out["zones"] = [
        {"name": "Fat Burn", "from": thresholds["moderateMin"], "to": thresholds["vigorousMin"]},
        {"name": "Cardio", "from": thresholds["vigorousMin"], "to": thresholds["peakMin"]},
        {"name": "Peak", "from": thresholds["peakMin"], "to": thresholds["peakMax"]},
    ]
    return out


def _steps(source: DashboardSource, w: Window) -> tuple[JSON, JSON]:
    hourly_series = source.series("Steps_Intraday", "value", w.start_ms, w.end_ms, HOUR, ("sum",))
    hourly = dict(zip(hourly_series.times, (v or 0.0 for v in hourly_series.values["sum"]), strict=True))
    daily = _daily(source, w, "Total Steps", ("value",), 0)
    if hourly and not any(v is not None for v in daily["value"]):  # no daily totals: sum the minutes per day
        per_day: dict[str, float] = defaultdict(float)
        for hour_ms, v in hourly.items():
            per_day[w.local_date(hour_ms).isoformat()] += v
        rows = [DailyRow(d, {"value": per_day[d]}) for d in sorted(per_day)]
        daily = _periodic(w, rows, ("value",), 0)
        daily["derived"] = "Steps_Intraday"
    return daily, _grid(w, hourly)


def _weight(source: DashboardSource, w: Window) -> JSON:
    bucket = max(DAY, bucket_for(w.span_ms, MAX_POINTS))
    kg = source.series("weight", "kg", w.start_ms, w.end_ms, bucket, ("mean",))
    if not kg.times:  # older rows: pounds only
        lb = source.series("weight", "value", w.start_ms, w.end_ms, bucket, ("mean",))
        kg = Series(bucket, lb.times, {"mean": [None if v is None else v * 0.453592 for v in lb.values["mean"]]})
    bmi = source.series("bmi", "value", w.start_ms, w.end_ms, bucket, ("mean",))
    return {"bucket_ms": bucket, "t": kg.times, "kg": _rl(kg.values["mean"], 2),
            "bmi_t": bmi.times, "bmi": _rl(bmi.values["mean"], 1)}


def _battery(source: DashboardSource, w: Window) -> JSON:
    bucket = bucket_for(w.span_ms, BATTERY_POINTS, floor_ms=MINUTE)
    return _series_json(source.series("DeviceBatteryLevel", "value", w.start_ms, w.end_ms, bucket, ("last",)), 0)


def _night_date(w: Window, night: SleepNight) -> str:
    return w.local_date(night.end_ms).isoformat()


def is_classic(night: SleepNight) -> bool:
    """A CLASSIC sleep (asleep / restless / awake, no stages). Its ``minutesLight`` and ``minutesREM``
    may hold asleep and restless minutes (Takeout), so the type decides, not the stage minutes."""
    kind = night.sleep_type.strip().upper()
    if kind:
        return kind == "CLASSIC"
    return not any(night.minutes.get(k) for k in ("deep", "light", "rem"))


def _night_row(w: Window, n: SleepNight) -> DailyRow:
    """One night on its date: stage minutes for a staged night, ``classic`` (minutes asleep) for a classic one;
    ``asleep`` is what its bar shows asleep (the stages' sum, or the classic minutes)."""
    m = n.minutes
    if is_classic(n):
        parts: dict[str, float | str | None] = {"deep": None, "light": None, "rem": None, "classic": m.get("asleep")}
    else:
        parts = {"deep": m.get("deep"), "light": m.get("light"), "rem": m.get("rem"), "classic": None}
    drawn = [float(v) for v in parts.values() if isinstance(v, int | float)]
    asleep = sum(drawn) if drawn else m.get("asleep")
    return DailyRow(_night_date(w, n), {**parts, "asleep": asleep, "awake": m.get("awake"), "inBed": m.get("inBed"),
                                        "efficiency": n.efficiency})


SLEEP_PARTS = ("deep", "light", "rem", "classic", "awake")


def _average_night(rows: Sequence[DailyRow]) -> JSON:
    """The average night over ``rows`` (one per date): each night counted once, whatever its kind.

    Every part is a mean over all nights (a part the night lacks counts 0), so the asleep parts add
    up to ``asleep``, the mean of the nights' asleep minutes."""
    nights = [r for r in rows if isinstance(r.values.get("asleep"), int | float)]
    out: JSON = {"nights": len(nights)}
    for key in (*SLEEP_PARTS, "asleep"):
        total = sum(float(v) for r in nights if isinstance(v := r.values.get(key), int | float))
        out[key] = round(total / len(nights), 1) if nights else None
    return out


def _sleep(source: DashboardSource, w: Window) -> tuple[JSON, JSON, JSON]:
    # a night that ends inside the window may have started up to a day before it
    nights = [n for n in source.sleep_nights(w.start_ms - DAY, w.end_ms) if w.start_ms <= n.end_ms <= w.end_ms]
    segments = source.sleep_segments(w.start_ms - DAY, w.end_ms)
    main = [n for n in nights if n.main] or nights
    rows = _one_per_date([_night_row(w, n) for n in main])
    fields = ("deep", "light", "rem", "classic", "awake", "asleep", "inBed", "efficiency")
    stages = _periodic(w, rows, fields, 0)
    stages["average"] = _average_night(rows)
    hypnograms = []
    for n in main[-HYPNOGRAM_NIGHTS:]:
        segs = [[s.start_ms, s.start_ms + s.duration_s * 1000, s.level] for s in segments
                if n.start_ms <= s.start_ms < n.end_ms and s.duration_s > 0]
        hypnograms.append({"date": _night_date(w, n), "start": n.start_ms, "end": n.end_ms,
                           "classic": is_classic(n), "asleep": n.minutes.get("asleep"),
                           "segments": segs})
    in_window = [s for s in segments if w.start_ms - DAY <= s.start_ms < w.end_ms]
    regularity = _grid(w, {h: v for h, v in _asleep_by_hour(in_window).items() if w.start_ms <= h < w.end_ms})
    return stages, {"nights": hypnograms}, regularity


def _minutes(row: DailyRow) -> float:
    value = row.values.get("asleep")
    return float(value) if isinstance(value, int | float) else 0.0


def _one_per_date(rows: list[DailyRow]) -> list[DailyRow]:
    """The longest sleep per date (two main sleeps in one day happen with naps marked main)."""
    best: dict[str, DailyRow] = {}
    for r in rows:
        current = best.get(r.date)
        if current is None or _minutes(r) > _minutes(current):
            best[r.date] = r
    return [best[d] for d in sorted(best)]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def distance_marks(lat: Sequence[float], lon: Sequence[float]) -> JSON:
    """The track's length and a mark every ``step_km`` along it (a nice step giving at most ``MAX_MARKS``):
    ``[lat, lon, km]``, interpolated between the points where the distance is crossed."""
    total = 0.0
    marks: list[list[float]] = []
    along = [0.0]
    for i in range(1, len(lat)):
        total += distance_m(lat[i - 1], lon[i - 1], lat[i], lon[i])
        along.append(total)
    km = total / 1000
    step = next((s for s in MARK_STEPS_KM if km / s <= MAX_MARKS), MARK_STEPS_KM[-1])
    n = 1
    for i in range(1, len(along)):
        while along[i] >= n * step * 1000 and n * step < km:
            a, b = along[i - 1], along[i]
            f = 0.0 if b == a else (n * step * 1000 - a) / (b - a)
            marks.append([round(lat[i - 1] + (lat[i] - lat[i - 1]) * f, 6),
                          round(lon[i - 1] + (lon[i] - lon[i - 1]) * f, 6), round(n * step, 1)])
            n += 1
    return {"km": round(km, 3), "step_km": step, "marks": marks}


def track_json(track: GpsTrack) -> JSON:
    return {"id": track.activity_id, "t": track.times, "lat": _rl(track.lat, 6), "lon": _rl(track.lon, 6),
            "alt": _rl(track.altitude, 1), "hr": track.heart_rate, "speed": _rl(track.speed_kph, 1),
            "distance": distance_marks(track.lat, track.lon)}


def _workouts(source: DashboardSource, w: Window, tracks: str) -> JSON:
    rows = source.workouts(w.start_ms, w.end_ms, WORKOUTS)
    items = []
    embedded: dict[str, JSON] = {}
    for wo in rows:
        end = wo.start_ms + (wo.duration_ms or 6 * HOUR)
        items.append({"start": wo.start_ms, "end": end, "name": wo.name, "id": wo.activity_id,
                      "duration_ms": wo.duration_ms, "calories": _r(wo.calories, 0),
                      "distance_km": _r(wo.distance_km, 2), "steps": wo.steps, "avg_hr": wo.average_hr,
                      "elevation_m": _r(wo.elevation_m, 0), "has_gps": wo.has_gps})
        want = tracks == "all" or (tracks == "first" and not embedded)
        if wo.has_gps and wo.activity_id and want:
            track = source.gps_track(wo.activity_id, wo.start_ms, end + MINUTE, TRACK_POINTS)
            if len(track):
                embedded[wo.activity_id] = track_json(track)
    return {"items": items, "tracks": embedded}


def _latest_night(source: DashboardSource, w: Window) -> JSON | None:
    """The newest main sleep ending before the window's end, on the date its panels use (the local wake-up day)."""
    found = source.latest("Sleep Summary", ("minutesAsleep",), w.end_ms)
    if found is None:
        return None
    nights = [n for n in source.sleep_nights(found[0] - 2 * DAY, found[0] + 1) if n.end_ms <= w.end_ms]
    candidates = [n for n in nights if n.main] or nights
    night = candidates[-1] if candidates else None
    if night is None or night.minutes.get("asleep") is None:
        return None
    return {"t": night.end_ms, "date": _night_date(w, night), "value": night.minutes.get("asleep")}


def _stats(source: DashboardSource, w: Window, latest_ms: int | None) -> JSON:
    """The tiles: the newest value before the window's end and its local date in the window's zone.

    A daily value carries the date stored with it (its row's ``date``); an instant, its local date."""
    last_date = w.last_date.isoformat()

    def daily(measurement: str, field_name: str) -> JSON | None:
        row = source.latest_day(measurement, (field_name,), last_date)
        if row is None or row.values.get(field_name) is None:
            return None
        return {"date": row.date, "value": _r(row.values[field_name])}

    def instant(measurement: str, field_name: str) -> JSON | None:
        found = source.latest(measurement, (field_name,), w.end_ms)
        if found is None or found[1].get(field_name) is None:
            return None
        return {"t": found[0], "date": w.local_date(found[0]).isoformat(), "value": _r(found[1][field_name])}

    battery = source.latest("DeviceBatteryLevel", ("value", "status"), w.end_ms)
    return {
        "latest_data": latest_ms,
        "battery": None if battery is None else {"t": battery[0], "date": w.local_date(battery[0]).isoformat(),
                                                 "value": _r(battery[1].get("value"), 0),
                                                 "status": battery[1].get("status")},
        "resting_hr": daily("RestingHR", "value"),
        "steps": daily("Total Steps", "value"),
        "spo2": daily("SPO2", "avg"),
        "hrv": daily("HRV", "dailyRmssd"),
        "sleep": _latest_night(source, w),
        "weight": instant("weight", "kg"),
        "vo2max": daily("VO2 Max", "vo2Max"),
    }


def build(source: DashboardSource, w: Window, *, tracks: str = "first",
          bounds: tuple[int, int] | None = None) -> JSON:
    """The payload of one view. ``tracks``: embed GPS tracks of ``"first"`` GPS workout, ``"all"``, ``"none"``."""
    started = _time.perf_counter()
    steps, steps_heatmap = _steps(source, w)
    sleep_stages, hypnogram, regularity = _sleep(source, w)
    panels: JSON = {
        "heart_rate": _heart_rate(source, w),
        "resting_hr": _daily(source, w, "RestingHR", ("value",), 0),
        "hrv": _daily(source, w, "HRV", ("dailyRmssd", "deepRmssd")),
        "spo2": _daily(source, w, "SPO2", ("avg", "lowerBound", "upperBound")),
        "breathing": _daily(source, w, "BreathingRate", ("value",)),
        "skin_temp": _daily(source, w, "Skin Temperature Variation", ("RelativeValue",), 2),
        "hypnogram": hypnogram,
        "sleep_stages": sleep_stages,
        "sleep_regularity": regularity,
        "steps": steps,
        "steps_heatmap": steps_heatmap,
        "activity_minutes": _daily(source, w, "Activity Minutes", (
            "minutesSedentary", "minutesLightlyActive", "minutesFairlyActive", "minutesVeryActive"), 0),
        "hr_zones": _daily(source, w, "HR zones", ("Normal", "Fat Burn", "Cardio", "Peak"), 0),
        "weight": _weight(source, w),
        "distance": _daily(source, w, "distance", ("value",), 2),
        "calories": _daily(source, w, "calories", ("value",), 0),
        "battery": _battery(source, w),
        "workouts": _workouts(source, w, tracks),
    }
    return {
        "source": source.name,
        "range": {"start": w.start_ms, "end": w.end_ms, "tz": w.tz.key, "label": w.label,
                  "first_date": w.first_date.isoformat(), "last_date": w.last_date.isoformat()},
        "bounds": None if bounds is None else {"first": bounds[0], "last": bounds[1]},
        "stats": _stats(source, w, None if bounds is None else bounds[1]),
        "panels": panels,
        "build_ms": round((_time.perf_counter() - started) * 1000, 1),
    }
