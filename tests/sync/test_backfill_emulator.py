"""Backfills over real HTTP against the emulator, compared with what its generator serves.

One year of every light stream (daily values, sleep, workouts with GPS, weight, SpO2, HRV, ...)
and 16 days of the per-minute and per-second streams (steps, distance, energy, altitude, floors,
every daily total, raw heart rate) including the trip to Tokyo and back. The per-minute streams
are not run for a whole year here: the emulator spends ~20 ms of CPU generating one day for each
pass over it, and raw heart rate alone is 6 million points a year; ``bench/api_calls.py`` runs
every stream for 3 years.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sync_support import expected_records, read_tables, write_expected

from fitbit_sync.catalog import STREAMS
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sync.runner import SyncSession
from support.emulator import emulator_settings

HEAVY_TYPES = frozenset({"steps", "distance", "active-energy-burned", "altitude", "floors", "heart-rate"})
LIGHT = [s for s in STREAMS if s.method == "list" and s.type_id not in HEAVY_TYPES]
HEAVY = [s for s in STREAMS if s.backfill and s not in LIGHT]
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
HEAVY_SPAN = (date(2025, 2, 12), date(2025, 2, 27))  # with the trip to Tokyo and back (14-21 Feb)
ONE_TO_ONE = {  # measurement -> stream whose points map 1:1 to its rows
    "HeartRate_Intraday": "heart-rate", "Steps_Intraday": "steps", "Distance_Intraday": "distance",
    "Calories_Intraday": "active-energy-burned", "Elevation_Intraday": "altitude",
    "Floors_Intraday": "floors:rollup", "SPO2_Intraday": "oxygen-saturation", "HRV_Intraday": "heart-rate-variability",
    "RestingHR": "daily-resting-heart-rate", "SPO2": "daily-oxygen-saturation", "weight": "weight",
    "BodyFat": "body-fat", "Sleep Summary": "sleep", "Activity Records": "exercise",
    "BreathingRate_Sleep": "respiratory-rate-sleep-summary", "Total Steps": "steps:daily",
}


def expected_calls(points: Counter[str], requests: list[planner.Request]) -> Counter[str]:
    """The theoretical minimum per call key (``list:steps``, ``dailyRollUp:steps``, ...)."""
    out: Counter[str] = Counter()
    for key, n in points.items():
        stream = next(s for s in STREAMS if s.key == key)
        if stream.method == "list":
            out[f"list:{stream.type_id}"] += max(1, math.ceil(n / stream.page_size))
    for r in requests:
        if r.stream.method in ("rollUp", "dailyRollUp"):
            out[f"{r.stream.method}:{r.stream.type_id}"] += 1
    return out


@pytest.mark.slow
def test_backfill_stores_every_generated_point_exactly_once(emulator_factory: Any, tmp_path: Path) -> None:
    emu = emulator_factory(seed=11, start=YEAR[0], end=YEAR[1], quota_per_minute=100_000, cache_days=60)
    # The generator keeps 256 "light" days; fourteen streams each sweeping the year would rebuild
    # every day a dozen times (13 of 20 s CPU). A year of them fits in memory easily.
    light_cache = getattr(emu.generator, "_light", None)
    if light_cache is not None and hasattr(light_cache, "size"):
        light_cache.size = max(light_cache.size, 400)
    settings = emulator_settings(emu, tmp_path, tmp_path / "sync.db", device_name="Charge 6", max_concurrency=4)
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    with SyncSession(settings) as session:
        assert session.client is not None
        zone = session.resolve_zone()
        light = session.plan_backfill(LIGHT, *YEAR)
        heavy = session.plan_backfill(HEAVY, *HEAVY_SPAN)
        reports = [session.run(light, "backfill"), session.run(heavy, "backfill")]
        calls = session.client.calls
    for report in reports:
        assert report.failures == [] and report.missing_scopes == {} and not report.skipped
        assert report.completed == report.planned

    records, points = expected_records(emu.generator, LIGHT, *YEAR, zone, now_ms, device="Charge 6")
    heavy_records, heavy_points = expected_records(emu.generator, HEAVY, *HEAVY_SPAN, zone, now_ms,
                                                   device="Charge 6")
    write_expected(tmp_path / "expected.db", records + heavy_records)
    synced, expected = read_tables(tmp_path / "sync.db"), read_tables(tmp_path / "expected.db")
    for name in expected:
        assert len(synced[name]) == len(expected[name]), name
        assert synced[name] == expected[name], name
    stored = {name for name, rows in synced.items() if rows}
    assert stored == {m for s in STREAMS if s.backfill for m in s.measurements}  # everything filled
    # exactly once: as many rows as the generator served points
    points.update(heavy_points)
    for measurement, key in ONE_TO_ONE.items():
        assert len(synced[measurement]) == points[key] > 0, measurement
    assert sum(1 for row in synced["GPS"]) > 10_000
    # and with the fewest calls: one page per 10,000 points (25 sleeps or workouts); heart rate
    # may take one extra partial page per parallel part
    minimum = expected_calls(points, light + heavy)
    hr_parts = sum(1 for r in heavy if r.stream.key == "heart-rate")
    for key, least in minimum.items():
        slack = hr_parts - 1 if key == "list:heart-rate" else 0
        assert least <= calls[key] <= least + slack, (key, calls[key], least)
    assert calls["retry"] == 0
    gps_workouts = sum(1 for r in records if r.measurement == "Activity Records" and r.fields["hasGps"])
    assert calls["exportExerciseTcx:exercise"] == gps_workouts
