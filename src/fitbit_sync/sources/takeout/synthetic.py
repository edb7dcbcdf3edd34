"""Write synthetic export archives in every documented layout, with values known in advance.

For tests, the benchmark and demos: no real export may be shipped, so this writes one with the
real file names, folder layouts, row shapes, time-zone conventions and units of
``docs/takeout.md`` (UTC JSON intraday, local sleep and calories, cm, lb, per-source CSVs in metres
and grams, daily labels, placeholder padding). Every value is a pure function of the day and time
(``Person``), so a test can compute what an import must store.

Usage: ``write_export(Path("takeout.zip"), Spec(start=date(2024, 1, 1), days=10))``.
"""

from __future__ import annotations

import calendar
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from fitbit_sync.sources.takeout.timezones import DAY_MS, MINUTE_MS, LocalDays, date_of, day_number
from fitbit_sync.sources.takeout.units import KG_PER_LB

Layout = Literal["takeout-fitbit", "takeout-google-health", "user-site-export", "category-folders", "google-data"]
LAYOUTS: tuple[Layout, ...] = ("takeout-fitbit", "takeout-google-health", "user-site-export",
                               "category-folders", "google-data")
HEIGHT_M = 1.78
TRACKER = "Charge 6"
PHONE = "MobileTrack"
MIRROR = "Fit Health Connect"


@dataclass
class Spec:
    start: date
    days: int
    zone: str = "Australia/Brisbane"
    layout: Layout = "takeout-fitbit"
    hr_interval_s: int = 5
    json_days: int | None = None  # legacy JSON for the first N days (default: all)
    csv_from: int | None = None  # Google-era CSV copies from day index N on (default: none)
    legacy_csv: bool = True  # HRV, SpO2, temperature, respiratory and AZM CSV folders
    profile: bool = True  # Your Profile/Profile.csv with the zone
    parts: int = 1  # numbered zip parts
    compresslevel: int = 6
    name: str = "Jane Doe"
    exclude: frozenset[str] = field(default_factory=frozenset)  # families not to write


class Person:
    """The synthetic person: every value is a function of local day number and time."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.days = LocalDays(ZoneInfo(spec.zone))
        self.first = day_number(spec.start.year, spec.start.month, spec.start.day)
        self.last = self.first + spec.days - 1

    # heart rate: a sample every hr_interval_s seconds of the local day, UTC instants
    def heart_rate(self, t_ms: int) -> int:
        step = t_ms // 5000
        return 52 + (step * 37 + (step // 720) * 11) % 61

    def heart_rate_times(self, day: int) -> range:
        low, high = self.days.bounds(day)
        return range(low, high, self.spec.hr_interval_s * 1000)

    # per-minute activity, by local minute of the day
    def minute_times(self, day: int) -> range:
        low, high = self.days.bounds(day)
        return range(low, high, MINUTE_MS)

    def steps(self, day: int, minute: int) -> int:
        return (minute * 31 + day * 17) % 97 if 420 <= minute < 1320 else 0

    def distance_cm(self, day: int, minute: int) -> int:
        return self.steps(day, minute) * 75

    def calories(self, day: int, minute: int) -> float:
        return round(1.1 + self.steps(day, minute) * 0.05, 2)

    def altitude_ft(self, day: int, minute: int) -> int:
        return 10 if minute % 97 == 13 and 420 <= minute < 1320 else 0

    def total_steps(self, day: int) -> int:
        return sum(self.steps(day, m) for m in range(len(self.minute_times(day))))

    def total_distance_km(self, day: int) -> float:
        return sum(self.distance_cm(day, m) for m in range(len(self.minute_times(day)))) / 100_000

    def total_calories(self, day: int) -> float:
        return sum(self.calories(day, m) for m in range(1440))

    def activity_minutes(self, day: int) -> dict[str, int]:
        light, fairly, very = 150 + day % 60, 10 + day % 25, 5 + day % 40
        return {"minutesSedentary": 1440 - light - fairly - very, "minutesLightlyActive": light,
                "minutesFairlyActive": fairly, "minutesVeryActive": very}

    def resting_heart_rate(self, day: int) -> float:
        return 55 + (day % 9) * 0.5 + 0.123

    def zones(self, day: int) -> dict[str, float]:
        return {"BELOW_DEFAULT_ZONE_1": 1200.0 + day % 50, "IN_DEFAULT_ZONE_1": 60.0 + day % 30,
                "IN_DEFAULT_ZONE_2": float(day % 15), "IN_DEFAULT_ZONE_3": float(day % 4)}

    def vo2_max(self, day: int) -> float:
        return 44.0 + (day % 10) * 0.1

    # sleep: a main sleep from 23:00 the evening before to 07:00 (wake date = day); naps
    def sleep_stages(self, day: int) -> list[tuple[int, str, int]]:
        """(local wall ms on the wake day's axis, stage, seconds); the axis starts at the
        previous day's midnight."""
        names = ("light", "deep", "light", "rem") if day % 10 else ("asleep", "restless", "asleep", "asleep")
        start = 23 * 3_600_000
        stages = []
        for i in range(16):
            stages.append((start + i * 1_800_000, names[i % 4], 1800))
        return stages

    def weigh_in(self, day: int) -> float | None:
        """Pounds, on every third day."""
        return round(180.0 - (day - self.first) * 0.05, 1) if day % 3 == 0 else None

    def hrv(self, day: int) -> tuple[float, float, float, int]:
        return 30.0 + day % 20, 25.0 + day % 15, 2.4 + (day % 5) * 0.01, 50 + day % 10

    def spo2(self, day: int) -> tuple[float, float, float, float]:
        return 95.5 + (day % 4) * 0.2, 94.0, 97.0, 1.1

    def breathing(self, day: int) -> float:
        return 14.0 + (day % 6) * 0.25

    def skin(self, day: int) -> tuple[float, float, float]:
        return 33.5 + (day % 5) * 0.1, 33.6, 0.4


# --- text helpers ----------------------------------------------------------------------------------

_SECONDS: list[str] = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]


def _us_date(day: int) -> str:
    d = date_of(day)
    return f"{d.month:02d}/{d.day:02d}/{d.year % 100:02d}"


def _us(t_ms: int) -> str:
    """``MM/DD/YY HH:MM:SS`` of a UTC instant."""
    day, ms = divmod(t_ms, DAY_MS)
    return _us_date(day) + " " + _SECONDS[ms // 1000]


def _us_wall(day: int, ms: int) -> str:
    return _us_date(day + ms // DAY_MS) + " " + _SECONDS[ms % DAY_MS // 1000]


def _iso_wall(day: int, ms: int) -> str:
    return date_of(day + ms // DAY_MS).isoformat() + "T" + _SECONDS[ms % DAY_MS // 1000]


def _iso_utc(t_ms: int) -> str:
    day, ms = divmod(t_ms, DAY_MS)
    return date_of(day).isoformat() + "T" + _SECONDS[ms // 1000] + "Z"


def _json_rows(rows: list[str]) -> str:
    return "[" + ",".join(rows) + "]"


def _value_row(stamp: str, value: object) -> str:
    return f'{{\n  "dateTime" : "{stamp}",\n  "value" : "{value}"\n}}'


def _csv(header: str, rows: Iterator[str] | list[str]) -> str:
    return header + "\n" + "".join(r + "\n" for r in rows)


# --- layouts ---------------------------------------------------------------------------------------

#: logical folder -> path per layout (``{name}`` is the account's full name)
_FOLDERS: dict[str, dict[str, str]] = {
    "takeout-fitbit": {"json": "Takeout/Fitbit/Global Export Data",
                       "csv": "Takeout/Fitbit/Physical Activity_GoogleData", "root": "Takeout/Fitbit"},
    "takeout-google-health": {"json": "Takeout/Google Health/Global Export Data",
                              "csv": "Takeout/Google Health/Physical Activity_GoogleData/{family}",
                              "root": "Takeout/Google Health"},
    "user-site-export": {"json": "MyFitbitData/{name}/user-site-export/{raw}",
                         "csv": "MyFitbitData/{name}/Physical Activity_GoogleData", "root": "MyFitbitData/{name}"},
    "category-folders": {"json": "{name}/{category}", "csv": "{name}/Physical Activity_GoogleData", "root": "{name}"},
    "google-data": {"json": "{name}/Google Data/Global Export Data", "csv": "{name}/Google Data/Physical Activity",
                    "root": "{name}/Google Data"},
}
_CATEGORY = {"sleep": "Sleep", "weight": "Personal & Account", "fat": "Personal & Account"}
_CSV_FOLDER = {"heart_rate": "Heart Rate", "steps": "Steps", "distance": "Distance", "weight": "Weight"}


class _Writer:
    """Collects files per numbered part and writes them to zips (or a folder)."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.files: list[tuple[str, bytes]] = []

    def path(self, kind: str, family: str, file_name: str) -> str:
        template = _FOLDERS[self.spec.layout][kind]
        folder = template.format(name=self.spec.name, family=_CSV_FOLDER.get(family, family.title()), raw=family,
                                 category=_CATEGORY.get(family, "Physical Activity"))
        return f"{folder}/{file_name}"

    def add(self, path: str, text: str | bytes) -> None:
        self.files.append((path, text.encode() if isinstance(text, str) else text))


class _Export:
    def __init__(self, spec: Spec, sink: _Writer) -> None:
        self.spec = spec
        self.p = Person(spec)
        self.w = sink
        json_days = spec.days if spec.json_days is None else spec.json_days
        self.json_last = self.p.first + json_days - 1
        self.csv_first = None if spec.csv_from is None else self.p.first + spec.csv_from

    def wants(self, family: str) -> bool:
        return family not in self.spec.exclude

    def json_days(self) -> range:
        return range(self.p.first, self.json_last + 1)

    def csv_days(self) -> range:
        return range(self.csv_first, self.p.last + 1) if self.csv_first is not None else range(0)

    def months(self, days: range) -> Iterator[tuple[int, range]]:
        """(first day of the calendar month, the days of ``days`` in it)."""
        if not days:
            return
        current = days[0]
        while current <= days[-1]:
            d = date_of(current)
            month_first = day_number(d.year, d.month, 1)
            month_end = month_first + calendar.monthrange(d.year, d.month)[1] - 1
            end = min(month_end, days[-1])
            yield month_first, range(current, end + 1)
            current = end + 1

    def write(self) -> None:
        if self.spec.profile:
            self.w.add(self.w.path("root", "", "Your Profile/Profile.csv"),
                       _csv("id,full_name,timezone", [f"ABC123,{self.spec.name},{self.spec.zone}"]))
        self.w.add(self.w.path("json", "heart_rate", "Global Export Data README.txt"), "Time Series Data Export\n")
        self.legacy_json()
        if self.spec.legacy_csv:
            self.legacy_csv()
        self.google_csv()
        if self.csv_first is not None:
            root = self.w.path("root", "", "").rstrip("/")
            first = date_of(self.csv_first)
            self.w.add(f"{root}/Health Fitness Data_GoogleData/UserActivityProbabilities_{first}.csv",
                       "timestamp,probability\n" + "2024-01-01T00:00:00Z,0.5\n" * 1000)
            self.w.add(f"{root}/Health Fitness Data_GoogleData/UserSleeps_{first}.csv",
                       "sleep_id,sleep_type,minutes_in_sleep_period\n")
            self.w.add(f"{root}/Physical Activity_GoogleData/Physical Activity README.txt", "Contains all data\n")

    # --- legacy JSON ------------------------------------------------------------------------------
    def legacy_json(self) -> None:
        p, days = self.p, self.json_days()
        if not days:
            return
        hr_row = '{\n  "dateTime" : "%s",\n  "value" : {\n    "bpm" : %d,\n    "confidence" : 2\n  }\n}'
        if self.wants("heart_rate"):
            for day in days:
                rows = [hr_row % (_us(t), p.heart_rate(t)) for t in p.heart_rate_times(day)]
                self.w.add(self.w.path("json", "heart_rate", f"heart_rate-{date_of(day)}.json"), _json_rows(rows))
        for month, in_month in self.months(days):
            tag = date_of(month).isoformat()
            for family, value in (("steps", p.steps), ("distance", p.distance_cm), ("altitude", p.altitude_ft)):
                if self.wants(family):
                    rows = [_value_row(_us(t), value(day, k)) for day in in_month
                            for k, t in enumerate(p.minute_times(day))]
                    self.w.add(self.w.path("json", family, f"{family}-{tag}.json"), _json_rows(rows))
            if self.wants("calories"):
                rows = [_value_row(_us_wall(day, k * MINUTE_MS), p.calories(day, k)) for day in in_month
                        for k in range(1440)]
                self.w.add(self.w.path("json", "calories", f"calories-{tag}.json"), _json_rows(rows))
            if self.wants("activity_minutes"):
                self.activity_minutes(month, in_month)
            if self.wants("sleep"):
                self.sleep(tag, in_month)
            if self.wants("weight"):
                self.weight(tag, in_month)
        if self.wants("resting_heart_rate"):
            self.resting_heart_rate(days)
        if self.wants("heart_rate_zones"):
            for day in days:
                row = (f'{{\n  "dateTime" : "{_us_date(day)} 00:00:00",\n  "value" : {{\n'
                       f'    "valuesInZones" : {_dump(p.zones(day))}\n  }}\n}}')
                self.w.add(self.w.path("json", "heart_rate_zones", f"time_in_heart_rate_zones-{date_of(day)}.json"),
                           f"[{row}]")
        if self.wants("vo2_max"):
            rows = [f'{{"dateTime" : "{_us_date(d)} 00:00:00", "value" : {{"demographicVO2Max" : {p.vo2_max(d) + 0.3},'
                    f' "demographicVO2MaxError" : 3.0, "filteredDemographicVO2Max" : {p.vo2_max(d)},'
                    f' "filteredDemographicVO2MaxError" : 1.0}}}}' for d in days]
            self.w.add(self.w.path("json", "vo2_max", f"demographic_vo2_max-{date_of(days[0])}.json"), _json_rows(rows))
        if self.wants("exercise"):
            self.exercise(days)

    def activity_minutes(self, month: int, in_month: range) -> None:
        d = date_of(month)
        month_end = month + calendar.monthrange(d.year, d.month)[1] - 1
        for stem, name in (("sedentary_minutes", "minutesSedentary"),
                           ("lightly_active_minutes", "minutesLightlyActive"),
                           ("moderately_active_minutes", "minutesFairlyActive"),
                           ("very_active_minutes", "minutesVeryActive")):
            rows = [_value_row(_us_date(day) + " 00:00:00", self.p.activity_minutes(day)[name]) for day in in_month]
            if in_month[-1] == self.json_last:  # the export pads the month into the future
                pad = 1440 if name == "minutesSedentary" else 0
                rows += [_value_row(_us_date(day) + " 00:00:00", pad) for day in range(in_month[-1] + 1, month_end + 1)]
            self.w.add(self.w.path("json", "activity_minutes", f"{stem}-{d.isoformat()}.json"), _json_rows(rows))

    def resting_heart_rate(self, days: range) -> None:
        rows = []
        for day in range(days[0], days[-1] + 8):
            if day <= days[-1]:
                rows.append(f'{{"dateTime" : "{_us_date(day)} 00:00:00", "value" : {{"date" : "{_us_date(day)}",'
                            f' "value" : {self.p.resting_heart_rate(day)}, "error" : 6.78}}}}')
            else:  # placeholders for the days after the export
                rows.append(f'{{"dateTime" : "{_us_date(day)} 00:00:00",'
                            f' "value" : {{"date" : null, "value" : 0.0, "error" : 0.0}}}}')
        self.w.add(self.w.path("json", "resting_heart_rate", f"resting_heart_rate-{date_of(days[0])}.json"),
                   _json_rows(rows))

    def sleep_log(self, day: int) -> str:
        stages = self.p.sleep_stages(day)
        axis = day - 1  # stage times are on the previous day's wall-clock axis
        classic = day % 10 == 0
        data = ",".join(f'{{"dateTime" : "{_iso_wall(axis, ms)}.000", "level" : "{name}", "seconds" : {sec}}}'
                        for ms, name, sec in stages)
        minutes: dict[str, int] = {}
        for _, name, sec in stages:
            minutes[name] = minutes.get(name, 0) + sec // 60
        summary = ",".join(f'"{k}" : {{"count" : 4, "minutes" : {v}}}' for k, v in minutes.items())
        start_ms, end_ms = stages[0][0], stages[-1][0] + stages[-1][2] * 1000
        asleep = sum(v for k, v in minutes.items() if k not in ("wake", "awake", "restless"))
        return (f'{{"logId" : {day * 10}, "dateOfSleep" : "{date_of(day)}",'
                f' "startTime" : "{_iso_wall(axis, start_ms)}.000",'
                f' "endTime" : "{_iso_wall(axis, end_ms)}.000", "duration" : {end_ms - start_ms},'
                f' "minutesToFallAsleep" : 0, "minutesAsleep" : {asleep}, "minutesAwake" : {480 - asleep},'
                f' "minutesAfterWakeup" : 0, "timeInBed" : 480, "efficiency" : 93,'
                f' "type" : "{"classic" if classic else "stages"}", "infoCode" : 0,'
                f' "levels" : {{"summary" : {{{summary}}}, "data" : [{data}]}}, "mainSleep" : true}}')

    def nap_log(self, day: int) -> str:
        start, end = _iso_wall(day, 14 * 3_600_000), _iso_wall(day, 14 * 3_600_000 + 2_700_000)
        return (f'{{"logId" : {day * 10 + 1}, "dateOfSleep" : "{date_of(day)}", "startTime" : "{start}.000",'
                f' "endTime" : "{end}.000", "duration" : 2700000, "minutesToFallAsleep" : 0, "minutesAsleep" : 40,'
                f' "minutesAwake" : 5, "minutesAfterWakeup" : 0, "timeInBed" : 45, "efficiency" : 89,'
                f' "type" : "classic", "infoCode" : 0, "levels" : {{"summary" : {{}}, "data" : ['
                f'{{"dateTime" : "{start}.000", "level" : "asleep", "seconds" : 2700}}]}}, "mainSleep" : false}}')

    def sleep(self, tag: str, in_month: range) -> None:
        logs = []
        for day in reversed(in_month):  # newest first, as exported
            if day % 7 == 3:
                logs.append(self.nap_log(day))
            logs.append(self.sleep_log(day))
        self.w.add(self.w.path("json", "sleep", f"sleep-{tag}.json"), "[" + ",".join(logs) + "]")

    def weight(self, tag: str, in_month: range) -> None:
        rows = []
        for day in in_month:
            pounds = self.p.weigh_in(day)
            if pounds is None:
                continue
            bmi = round(pounds * KG_PER_LB / HEIGHT_M**2, 2)
            rows.append(f'{{"logId" : {day}, "weight" : {pounds}, "bmi" : {bmi}, "fat" : 21.5,'
                        f' "date" : "{_us_date(day)}", "time" : "07:30:00", "source" : "Aria"}}')
        self.w.add(self.w.path("json", "weight", f"weight-{tag}.json"), _json_rows(rows))

    def exercise(self, days: range) -> None:
        logs = []
        for day in days:
            if day % 3:
                continue
            start = self.p.days.wall_to_ms(day, 18 * 3_600_000)
            logs.append(f'{{"logId" : {day}, "activityName" : "Walk", "activityTypeId" : 90013,'
                        f' "averageHeartRate" : 110, "calories" : 150, "duration" : 1800000,'
                        f' "activeDuration" : 1800000, "steps" : 3000, "distance" : 2.4,'
                        f' "distanceUnit" : "Kilometer", "elevationGain" : 12.0, "logType" : "auto_detected",'
                        f' "startTime" : "{_us(start)}", "hasGps" : false}}')
        for index in range(0, max(len(logs), 1), 100):
            self.w.add(self.w.path("json", "exercise", f"exercise-{index}.json"), _json_rows(logs[index:index + 100]))

    # --- Fitbit-era CSV folders ----------------------------------------------------------------------
    def legacy_csv(self) -> None:
        p, days = self.p, self.json_days()
        if not days:
            return
        root = self.w.path("root", "", "").rstrip("/")
        for month, in_month in self.months(days):
            d = date_of(month)
            self.w.add(f"{root}/Heart Rate Variability/Daily Heart Rate Variability Summary - {d:%Y-%m}-({d:%d}).csv",
                       _csv("timestamp,rmssd,nremhr,entropy",
                            [f"{_iso_wall(day, 0)},{p.hrv(day)[0]},{p.hrv(day)[3]}.0,{p.hrv(day)[2]}"
                             for day in in_month]))
            self.w.add(f"{root}/Heart Rate Variability/Daily Respiratory Rate Summary - {d}.csv",
                       _csv("timestamp,daily_respiratory_rate",
                            [f"{_iso_wall(day, 0)},{p.breathing(day)}" for day in in_month]))
            self.w.add(f"{root}/Oxygen Saturation (SpO2)/Daily SpO2 - {d}-{date_of(in_month[-1])}.csv",
                       _csv("timestamp,average_value,lower_bound,upper_bound",
                            [f"{_iso_wall(day, 0)},{p.spo2(day)[0]},{p.spo2(day)[1]},{p.spo2(day)[2]}"
                             for day in in_month]))
            self.w.add(f"{root}/Temperature/Computed Temperature - {d}.csv", _csv(
                "type,sleep_start,sleep_end,temperature_samples,nightly_temperature,baseline_relative_sample_sum,"
                "baseline_relative_sample_sum_of_squares,baseline_relative_nightly_standard_deviation,"
                "baseline_relative_sample_standard_deviation",
                [f"SLEEP,{_iso_wall(day - 1, 23 * 3_600_000)},{_iso_wall(day, 7 * 3_600_000)},400,"
                 f"{p.skin(day)[0]},{round((p.skin(day)[0] - p.skin(day)[1]) * 400, 6)},1.0,{p.skin(day)[2]},0.3"
                 for day in in_month]))
            self.w.add(f"{root}/Active Zone Minutes (AZM)/Active Zone Minutes - {d}.csv", _csv(
                "date_time,heart_zone_id,total_minutes",
                [f"{_iso_wall(day, (18 * 60 + k) * MINUTE_MS)[:16]},{'FAT_BURN' if k < 20 else 'CARDIO'},"
                 f"{1 if k < 20 else 2}" for day in in_month for k in range(25)]))
        for day in days:
            self.w.add(f"{root}/Heart Rate Variability/Heart Rate Variability Details - {date_of(day)}.csv",
                       _csv("timestamp,rmssd,coverage,low_frequency,high_frequency",
                            [f"{_iso_wall(day, k * 300_000)},{30 + k % 7}.5,0.9,{400 + k},{300 + k}"
                             for k in range(12, 60)]))
            self.w.add(f"{root}/Oxygen Saturation (SpO2)/Minute SpO2 - {date_of(day)}.csv",
                       _csv("timestamp,value",
                            [_iso_utc(self.p.days.wall_to_ms(day, k * MINUTE_MS))[:-1] + f",{95 + k % 4}.0"
                             for k in range(60, 360, 5)]))
        self.w.add(f"{root}/Sleep Score/sleep_score.csv",
                   "sleep_log_entry_id,timestamp,overall_score,composition_score,revitalization_score,"
                   "duration_score,deep_sleep_in_minutes,resting_heart_rate,restlessness\n")

    # --- Google-era per-source CSVs --------------------------------------------------------------------
    def google_csv(self) -> None:
        p, days = self.p, self.csv_days()
        if not days:
            return
        w = self.w
        if self.wants("heart_rate"):
            for day in days:
                rows = []
                for t in p.heart_rate_times(day):
                    rows.append(f"{_iso_utc(t)},{p.heart_rate(t)}.0,{TRACKER}")
                    if t % 60_000 == 0:  # a Health Connect mirror with other values
                        rows.append(f"{_iso_utc(t)},{p.heart_rate(t) + 7}.0,{MIRROR}")
                w.add(w.path("csv", "heart_rate", f"heart_rate_{date_of(day)}.csv"),
                      _csv("timestamp,beats per minute,data source", rows))
        for month, in_month in self.months(days):
            tag = date_of(month).isoformat()
            if self.wants("steps"):
                rows = []
                for day in in_month:
                    for k, t in enumerate(p.minute_times(day)):
                        steps = p.steps(day, k)
                        if steps:  # rows are sparse; the phone counts a bit less than the tracker
                            rows.append(f"{_iso_utc(t + 59_999)[:-1]}.999Z,{steps},{TRACKER}")
                            rows.append(f"{_iso_utc(t)},{steps * 4 // 5},{PHONE}")
                w.add(w.path("csv", "steps", f"steps_{tag}.csv"), _csv("timestamp,steps,data source", rows))
            if self.wants("distance"):
                rows = [f"{_iso_utc(t)},{p.distance_cm(day, k) / 100},{TRACKER}" for day in in_month
                        for k, t in enumerate(p.minute_times(day)) if p.distance_cm(day, k)]
                w.add(w.path("csv", "distance", f"distance_{tag}.csv"), _csv("timestamp,distance,data source", rows))
            if self.wants("active_zone_minutes"):
                rows = [f"{_iso_utc(p.days.wall_to_ms(day, (18 * 60 + k) * MINUTE_MS))},"
                        f"{'FAT_BURN' if k < 20 else 'CARDIO'},{1 if k < 20 else 2},{TRACKER}"
                        for day in in_month for k in range(25)]
                w.add(w.path("csv", "active_zone_minutes", f"active_zone_minutes_{tag}.csv"),
                      _csv("timestamp,heart rate zone,total minutes,data source", rows))
        if self.wants("weight"):
            rows = [f"{_iso_utc(p.days.wall_to_ms(day, 27_000_000))},{round(lb * KG_PER_LB * 1000, 1)},{TRACKER}"
                    for day in days if (lb := p.weigh_in(day)) is not None]
            w.add(w.path("csv", "weight", "weight.csv"), _csv("timestamp,weight grams,data source", rows))
        label = [f"{date_of(day)}T00:00:00Z" for day in days]
        w.add(w.path("csv", "daily_resting_heart_rate", "daily_resting_heart_rate.csv"),
              _csv("timestamp,beats per minute,data source",
                   [f"{label[i]},{p.resting_heart_rate(day)},{TRACKER}" for i, day in enumerate(days)]))
        w.add(w.path("csv", "daily_heart_rate_variability", "daily_heart_rate_variability.csv"), _csv(
            "timestamp,average heart rate variability milliseconds,non rem heart rate beats per minute,entropy,"
            "deep sleep root mean square of successive differences milliseconds,data source",
            [f"{label[i]},{p.hrv(day)[0]},{p.hrv(day)[3]},{p.hrv(day)[2]},{p.hrv(day)[1]},{TRACKER}"
             for i, day in enumerate(days)]))
        w.add(w.path("csv", "daily_oxygen_saturation", "daily_oxygen_saturation.csv"), _csv(
            "timestamp,average percentage,lower bound percentage,upper bound percentage,baseline percentage,"
            "standard deviation percentage,data source",
            [f"{label[i]},{p.spo2(day)[0]},{p.spo2(day)[1]},{p.spo2(day)[2]},95.0,{p.spo2(day)[3]},{TRACKER}"
             for i, day in enumerate(days)]))
        w.add(w.path("csv", "daily_respiratory_rate", "daily_respiratory_rate.csv"), _csv(
            "timestamp,breaths per minute,data source",
            [f"{label[i]},{p.breathing(day)},{TRACKER}" for i, day in enumerate(days)]))
        w.add(w.path("csv", "daily_sleep_temperature_derivations", "daily_sleep_temperature_derivations.csv"), _csv(
            "timestamp,nightly temperature celsius,baseline temperature celsius,relative nightly stddev 30d celsius,"
            "data source",
            [f"{label[i]},{p.skin(day)[0]},{p.skin(day)[1]},{p.skin(day)[2]},{TRACKER}" for i, day in enumerate(days)]))
        w.add(w.path("csv", "respiratory_rate_sleep_summary", "respiratory_rate_sleep_summary.csv"), _csv(
            "timestamp,deep sleep stats - milli breaths per minute,deep sleep stats - standard deviation milli breaths "
            "per minute,light sleep stats - milli breaths per minute,rem sleep stats - milli breaths per minute,"
            "full sleep stats - milli breaths per minute,data source",
            [f"{_iso_utc(p.days.wall_to_ms(day, 25_200_000))},{int(p.breathing(day) * 1000) - 500},300,"
             f"{int(p.breathing(day) * 1000)},{int(p.breathing(day) * 1000) + 400},{int(p.breathing(day) * 1000)},"
             f"{TRACKER}" for day in days]))
        w.add(w.path("csv", "oxygen_saturation", f"oxygen_saturation_{date_of(days[0])}.csv"), _csv(
            "timestamp,oxygen saturation percentage,data source",
            [f"{_iso_utc(p.days.wall_to_ms(day, k * MINUTE_MS))},{95 + k % 4}.0,{TRACKER}"
             for day in days for k in range(60, 360, 5)]))


def _dump(values: dict[str, float]) -> str:
    return "{" + ", ".join(f'"{k}" : {v}' for k, v in values.items()) + "}"


def build(spec: Spec) -> list[tuple[str, bytes]]:
    """Every file of the export: (path inside the archive, bytes)."""
    sink = _Writer(spec)
    _Export(spec, sink).write()
    return sink.files


def write_export(target: Path, spec: Spec) -> list[Path]:
    """Write the export as zip part(s) named like Takeout's (``target`` is the first part's path
    stem: ``x.zip`` becomes ``x-1-001.zip``... when ``spec.parts`` > 1) or, when ``target`` has no
    ``.zip`` suffix, as an extracted folder. Returns what was written."""
    files = build(spec)
    if target.suffix.lower() != ".zip":
        for name, data in files:
            path = target / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return [target]
    parts = max(1, spec.parts)
    paths = [target] if parts == 1 else [target.with_name(f"{target.stem}-1-{i + 1:03d}.zip") for i in range(parts)]
    zips = [zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=spec.compresslevel) for p in paths]
    try:
        for index, (name, data) in enumerate(files):
            zips[index % parts].writestr(name, data)
    finally:
        for z in zips:
            z.close()
    return paths


def stream_export(target: Path, spec: Spec) -> int:
    """Like ``write_export`` for one zip, but file by file (bounded memory for big exports);
    returns the uncompressed bytes written."""
    total = 0
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=spec.compresslevel) as archive:
        class _Sink(_Writer):
            def add(self, path: str, text: str | bytes) -> None:
                nonlocal total
                data = text.encode() if isinstance(text, str) else text
                total += len(data)
                archive.writestr(path, data)

        _Export(spec, _Sink(spec)).write()
    return total


__all__ = ["LAYOUTS", "Person", "Spec", "build", "stream_export", "write_export"]
