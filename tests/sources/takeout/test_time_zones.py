"""Time zones per file family: UTC stamps stay put, local wall times follow the zone (DST too),
and the zone comes from --time-zone, else Profile.csv, else settings, else UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from takeout_helpers import one, rows, write_zip

from fitbit_sync.errors import ConfigError
from fitbit_sync.sources.takeout import ImportSummary
from fitbit_sync.sources.takeout.synthetic import Person, Spec, write_export
from fitbit_sync.sources.takeout.timezones import (
    DAY_MS,
    LocalDays,
    TimeFormatError,
    fitbit_naive_ms,
    iso_datetime,
    iso_of,
    utc_ms,
)
from fitbit_sync.stores.sqlite import SQLiteStore

BERLIN = ZoneInfo("Europe/Berlin")


def aware_ms(year: int, month: int, day: int, hour: int = 0, minute: int = 0, zone: ZoneInfo = BERLIN,
             fold: int = 0) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=zone, fold=fold).timestamp() * 1000)


def test_local_days_across_dst() -> None:
    days = LocalDays(BERLIN)
    spring = (date(2024, 3, 31) - date(1970, 1, 1)).days  # 23-hour day
    autumn = (date(2024, 10, 27) - date(1970, 1, 1)).days  # 25-hour day
    assert days.midnight(spring) == aware_ms(2024, 3, 31)
    assert days.midnight(spring + 1) - days.midnight(spring) == 23 * 3_600_000
    assert days.midnight(autumn + 1) - days.midnight(autumn) == 25 * 3_600_000
    assert days.wall_to_ms(spring, 4 * 3_600_000) == aware_ms(2024, 3, 31, 4)  # after the jump: UTC+2
    assert days.wall_to_ms(spring, 1 * 3_600_000) == aware_ms(2024, 3, 31, 1)  # before: UTC+1
    assert days.wall_to_ms(autumn, 2 * 3_600_000 + 1_800_000) == aware_ms(2024, 10, 27, 2, 30)  # first 02:30
    assert days.day_of(aware_ms(2024, 10, 27, 23, 59)) == autumn
    assert days.day_of(aware_ms(2024, 10, 28)) == autumn + 1
    kolkata = LocalDays(ZoneInfo("Asia/Kolkata"))  # half-hour offset
    assert kolkata.midnight(spring) == spring * DAY_MS - 5 * 3_600_000 - 1_800_000
    assert kolkata.day_of(spring * DAY_MS - 5 * 3_600_000 - 1_800_000 - 1) == spring - 1


def test_timestamp_forms() -> None:
    assert fitbit_naive_ms("01/02/18 03:04:05") == int(datetime(2018, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp() * 1000)
    assert utc_ms("2024-10-27T00:00:04Z") == int(datetime(2024, 10, 27, 0, 0, 4, tzinfo=UTC).timestamp() * 1000)
    assert utc_ms("2024-10-27T00:00:04.999Z") is None  # not the fast form: iso_datetime handles it
    assert iso_datetime("2024-10-27T00:00:04.999Z")[1:] == (4999, 0)
    assert iso_datetime("2024-07-21T00:00:00")[2] is None
    assert iso_datetime("2024-07-21T01:30:00+05:30")[2] == 19_800_000
    assert iso_datetime("2026-05-01") == ((date(2026, 5, 1) - date(1970, 1, 1)).days, 0, None)
    for bad in ("13/45/18 00:00:00", "01/02/18T03:04:05", "1/2/18 3:04:05", "01/02/18 25:00:00", "", "x" * 17):
        with pytest.raises(TimeFormatError):
            fitbit_naive_ms(bad)
    for bad in ("2024-02-30", "1999-12-31T00:00:00Z", "2024-10-27X00:00", "2024-10-27T00:00:00.abcZ"):
        with pytest.raises(ValueError):
            iso_datetime(bad)


def test_families_in_a_dst_zone(tmp_path: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    # the autumn DST weekend in Berlin: a 25-hour local day
    spec = Spec(start=date(2024, 10, 26), days=3, zone="Europe/Berlin", hr_interval_s=60)
    run_import(write_export(tmp_path / "t.zip", spec)[0])
    person = Person(spec)
    autumn = person.first + 1
    # heart rate and steps are UTC-stamped: a 25-hour day holds 1500 minutes
    low, high = person.days.bounds(autumn)
    assert one(store, 'SELECT count(*) FROM "HeartRate_Intraday" WHERE time >= ? AND time < ?', low, high) == 1500
    assert one(store, 'SELECT value FROM "Total Steps" WHERE date = ?', iso_of(autumn)) == person.total_steps(autumn)
    # sleep is local wall time: 23:00 on the 26th (UTC+2) to 07:00 on the 27th (UTC+1) is 9 hours
    start, end = rows(store, 'SELECT time, endTime FROM "Sleep Summary" WHERE isMainSleep = ? ORDER BY time',
                      "True")[1]
    assert start == aware_ms(2024, 10, 26, 23)
    assert end == aware_ms(2024, 10, 27, 7)
    assert end - start == 9 * 3_600_000
    # daily values: keyed by date, at local midnight of that date
    assert one(store, 'SELECT time FROM "RestingHR" WHERE date = ?', "2024-10-27") == aware_ms(2024, 10, 27)
    # weight logs are local wall time too (07:30)
    weighed = [d for d in range(person.first, person.first + 3) if person.weigh_in(d) is not None]
    assert rows(store, 'SELECT time FROM "weight"') == [(person.days.wall_to_ms(d, 27_000_000),) for d in weighed]


def _profile_zip(tmp_path: Path, zone: str) -> Path:
    files = {
        "Takeout/Fitbit/Your Profile/Profile.csv": f"id,full_name,timezone\nX,Jane,{zone}\n",
        "Takeout/Fitbit/Global Export Data/sedentary_minutes-2024-01-01.json":
            '[{"dateTime" : "01/01/24 00:00:00", "value" : "600"}]',
    }
    return write_zip(tmp_path / "p.zip", files)


def test_zone_precedence(tmp_path: Path, run_import: Callable[..., ImportSummary], store: SQLiteStore) -> None:
    archive = _profile_zip(tmp_path, "America/New_York")
    s = run_import(archive, settings_time_zone="Asia/Tokyo")
    assert (s.zone, s.zone_origin) == ("America/New_York", "the archive's Profile.csv")
    assert one(store, 'SELECT time FROM "Activity Minutes"') == aware_ms(2024, 1, 1, zone=ZoneInfo("America/New_York"))
    s = run_import(archive, time_zone="Asia/Tokyo")
    assert (s.zone, s.zone_origin) == ("Asia/Tokyo", "--time-zone")
    # same date key, so the zone change moved the row's time instead of duplicating the day
    assert rows(store, 'SELECT date, time FROM "Activity Minutes"') == [
        ("2024-01-01", aware_ms(2024, 1, 1, zone=ZoneInfo("Asia/Tokyo")))]
    bad_profile = _profile_zip(tmp_path, "Not/AZone")
    assert run_import(bad_profile, settings_time_zone="Asia/Tokyo").zone == "Asia/Tokyo"
    assert run_import(bad_profile).zone == "UTC"
    with pytest.raises(ConfigError, match="unknown time zone"):
        run_import(bad_profile, time_zone="Mars/Olympus")
