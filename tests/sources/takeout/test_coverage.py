"""After an import, the API planner asks only for what the archive did not hold."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fitbit_sync.catalog import STREAMS_BY_KEY
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.sources.takeout.coverage import RULES, axis_of
from fitbit_sync.sources.takeout.synthetic import Person, Spec, write_export
from fitbit_sync.sources.takeout.timezones import DAY_MS
from fitbit_sync.stores.base import merge_intervals
from fitbit_sync.stores.sqlite import SQLiteStore

SPEC = Spec(start=date(2024, 5, 6), days=6, json_days=4, csv_from=3, hr_interval_s=300)


def _covered(store: SQLiteStore, stream: str) -> list[tuple[int, int]]:
    return merge_intervals((c.start_ms, c.end_ms) for c in store.coverage("google-health", stream))


def test_coverage_matches_whole_json_days(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                          store: SQLiteStore) -> None:
    run_import(write_export(tmp_path / "t.zip", SPEC)[0])
    person = Person(SPEC)
    first, json_last = person.first, person.first + 3
    # heart rate: days 0-3 from JSON (day 3 is not the last day of heart-rate data: CSV goes on), physical axis
    assert _covered(store, "heart-rate") == [(person.days.midnight(first), person.days.midnight(json_last + 1))]
    # daily totals: the date axis; the last day of data (5, from CSV) is never covered, CSV days are not
    # (per-source CSV intraday records no coverage, so their totals do not either)
    assert _covered(store, "steps:daily") == [(first * DAY_MS, (json_last + 1) * DAY_MS)]
    assert _covered(store, "total-calories:daily") == [(first * DAY_MS, json_last * DAY_MS)]  # JSON's last day
    # daily CSV families mirror the API's daily types: covered except their last day
    assert _covered(store, "daily-resting-heart-rate") == [(first * DAY_MS, (person.first + 5) * DAY_MS)]
    # sleep: by wake-up day, physical axis, not the last night
    assert _covered(store, "sleep") == [(person.days.midnight(first), person.days.midnight(json_last))]
    # nothing for what the archive cannot replace
    for stream in ("exercise", "weight", "altitude", "time-in-heart-rate-zone:daily", "oxygen-saturation"):
        assert store.coverage("google-health", stream) == [], stream


def test_planner_skips_imported_days(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                     store: SQLiteStore) -> None:
    summary = run_import(write_export(tmp_path / "t.zip", SPEC)[0])
    zone = ZoneInfo(summary.zone)
    person = Person(SPEC)
    coverage = planner.coverage_by_stream(store.coverage("google-health"))
    now = int(time.time() * 1000)
    streams = [STREAMS_BY_KEY["heart-rate"], STREAMS_BY_KEY["steps:daily"]]
    last = SPEC.start + timedelta(days=SPEC.days - 1)
    requests = planner.plan_range(streams, SPEC.start, last, coverage, now, zone)
    by_stream: dict[str, list[tuple[int, int]]] = {}
    for request in requests:
        by_stream.setdefault(request.stream.key, []).append((request.start_ms, request.end_ms))
    # heart rate: only days 4 and 5 (the CSV-only days) are asked for
    assert merge_intervals(by_stream["heart-rate"]) == [
        (person.days.midnight(person.first + 4), person.days.midnight(person.first + 6))]
    assert merge_intervals(by_stream["steps:daily"]) == [((person.first + 4) * DAY_MS, (person.first + 6) * DAY_MS)]


def test_axes_agree_with_the_planner() -> None:
    for stream_key in RULES:
        stream = STREAMS_BY_KEY.get(stream_key) or planner.HEART_RATE_ROLLUP
        assert axis_of(stream_key) == planner.axis_of(stream), stream_key
