"""JSON and CSV copies of the same days, per-source CSV rows: one source per metric and day,
never double counted, at the right UTC instants; a re-import changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from takeout_helpers import one, rows

from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.sources.takeout.synthetic import Person, Spec, write_export
from fitbit_sync.sources.takeout.timezones import DAY_MS, MINUTE_MS, iso_of
from fitbit_sync.stores.sqlite import SQLiteStore

# four local days in Brisbane (UTC+10): JSON for days 0-2, per-source CSVs for days 1-3
SPEC = Spec(start=date(2024, 5, 6), days=4, json_days=3, csv_from=1, hr_interval_s=30)


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    return write_export(tmp_path / "takeout.zip", SPEC)[0]


def test_heart_rate_never_doubled_and_at_utc_instants(archive: Path, run_import: Callable[..., ImportSummary],
                                                      store: SQLiteStore) -> None:
    summary = run_import(archive)
    person = Person(SPEC)
    per_day = 2880
    assert one(store, 'SELECT count(*) FROM "HeartRate_Intraday"') == 4 * per_day
    # the first sample of local day 0 is local midnight, i.e. 14:00 UTC the day before
    first = person.days.midnight(person.first)
    assert first == (person.first - 1) * DAY_MS + 14 * 3_600_000
    assert rows(store, 'SELECT time, value FROM "HeartRate_Intraday" ORDER BY time LIMIT 1') == [
        (first, person.heart_rate(first))]
    # day 3 exists only as CSV, from the tracker and a Health Connect mirror (+7 bpm): the tracker is kept
    low, high = person.days.bounds(person.first + 3)
    got = dict(rows(store, 'SELECT time, value FROM "HeartRate_Intraday" WHERE time >= ? AND time < ?', low, high))
    assert got == {t: person.heart_rate(t) for t in person.heart_rate_times(person.first + 3)}
    superseded = {f.label.rsplit("/", 1)[-1] for f in summary.files if f.status == "superseded"}
    assert {f"heart_rate_{iso_of(person.first + d)}.csv" for d in (1, 2)} <= superseded


def test_daily_totals_from_one_source_per_day(archive: Path, run_import: Callable[..., ImportSummary],
                                              store: SQLiteStore) -> None:
    run_import(archive)
    person = Person(SPEC)
    days = range(person.first, person.first + 4)
    steps = dict(rows(store, 'SELECT date, value FROM "Total Steps"'))
    assert steps == {iso_of(d): person.total_steps(d) for d in days}
    distance = {d: round(v, 6) for d, v in rows(store, 'SELECT date, value FROM "distance"')}
    assert distance == {iso_of(d): round(person.total_distance_km(d), 6) for d in days}
    calories = {d: round(v, 3) for d, v in rows(store, 'SELECT date, value FROM "calories"')}
    assert calories == {iso_of(d): round(person.total_calories(d), 3) for d in days[:3]}  # JSON only
    # the CSV day's per-minute steps: the tracker's rows, stamped ...:59.999Z, stored at the minute
    low, high = person.days.bounds(person.first + 3)
    got = dict(rows(store, 'SELECT time, value FROM "Steps_Intraday" WHERE time >= ? AND time < ?', low, high))
    expected = {t: person.steps(person.first + 3, k) for k, t in enumerate(person.minute_times(person.first + 3))}
    assert got == {t: v for t, v in expected.items() if v}
    assert all(t % MINUTE_MS == 0 for t in got)


def test_reimport_changes_nothing(archive: Path, run_import: Callable[..., ImportSummary],
                                  store: SQLiteStore) -> None:
    run_import(archive)
    before = {s.name: s.rows for s in store.measurement_stats()}
    totals = rows(store, 'SELECT date, value FROM "Total Steps" ORDER BY date')
    run_import(archive)
    assert {s.name: s.rows for s in store.measurement_stats()} == before
    assert rows(store, 'SELECT date, value FROM "Total Steps" ORDER BY date') == totals


def test_preferred_source(archive: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    run_import(archive, prefer_sources=("MobileTrack",))
    person = Person(SPEC)
    day = person.first + 3
    phone = sum(person.steps(day, k) * 4 // 5 for k in range(1440))
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', iso_of(day)) == phone
    # days the JSON holds are still the JSON's (the reconciled stream comes first)
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', iso_of(day - 1)) == person.total_steps(day - 1)


def test_csv_copy_of_a_json_day_is_ignored_even_when_it_differs(
        tmp_path: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    from takeout_helpers import write_zip

    from fitbit_sync.sources.takeout.synthetic import build

    spec = Spec(start=date(2024, 5, 6), days=2, hr_interval_s=300)
    person = Person(spec)
    files = dict(build(spec))
    # a phone-only CSV copy of day 0, stamped 30 s into each minute and counting differently
    day = person.first
    csv_rows = [f"{iso_of(t // DAY_MS)}T{(t % DAY_MS) // 3_600_000:02d}:{(t % 3_600_000) // 60_000:02d}:30Z,"
                f"{person.steps(day, k) + 1},MobileTrack" for k, t in enumerate(person.minute_times(day))]
    files["Takeout/Fitbit/Physical Activity_GoogleData/steps_2024-05-01.csv"] = (
        "timestamp,steps,data source\n" + "\n".join(csv_rows) + "\n").encode()
    summary = run_import(write_zip(tmp_path / "copy.zip", files))
    low, high = person.days.bounds(day)
    got = dict(rows(store, 'SELECT time, value FROM "Steps_Intraday" WHERE time >= ? AND time < ?', low, high))
    assert got == {t: person.steps(day, k) for k, t in enumerate(person.minute_times(day))}
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', iso_of(day)) == person.total_steps(day)
    assert [f.status for f in summary.files if f.family == "csv:steps"] == ["superseded"]


def test_overlapping_files_never_double_a_total(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                                store: SQLiteStore) -> None:
    from takeout_helpers import write_zip

    from fitbit_sync.sources.takeout.synthetic import build

    spec = Spec(start=date(2024, 5, 6), days=2, hr_interval_s=300)
    files = dict(build(spec))
    steps = next(name for name in files if "/steps-" in name)
    # a second export of the same month under another window name: every minute twice
    files[steps.replace("steps-2024-05-01", "steps-2024-04-20")] = files[steps]
    run_import(write_zip(tmp_path / "twice.zip", files))
    person = Person(spec)
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', iso_of(person.first)) == \
        person.total_steps(person.first)


def test_heart_rate_rows_in_any_order(tmp_path: Path, run_import: Callable[..., ImportSummary],
                                      store: SQLiteStore) -> None:
    from takeout_helpers import write_zip

    # newest first, crossing local midnight (Brisbane, UTC+10): two local days from one file
    stamps = [f"01/01/24 {h:02d}:{m:02d}:00" for h in (13, 14) for m in range(0, 60, 10)]
    rows = [f'{{"dateTime" : "{s}", "value" : {{"bpm" : {60 + i}, "confidence" : 2}}}}' for i, s in enumerate(stamps)]
    files = {"Takeout/Fitbit/Global Export Data/heart_rate-2024-01-01.json": "[" + ",".join(reversed(rows)) + "]"}
    summary = run_import(write_zip(tmp_path / "r.zip", files), time_zone="Australia/Brisbane")
    assert rows_of(store) == [(1704114000000 + i * 600_000, 60 + i) for i in range(12)]
    hr = next(m for m in summary.measurements if m.name == "HeartRate_Intraday")
    assert (hr.rows, hr.first_day, hr.last_day) == (12, "2024-01-01", "2024-01-02")


def rows_of(store: SQLiteStore) -> list[tuple[int, int]]:
    return rows(store, 'SELECT time, value FROM "HeartRate_Intraday" ORDER BY time')
