"""The file families we recognise, as data: name pattern, parser, claim group, order, coverage.

Files are matched by base name anywhere in the archive. Families are processed in ``order``;
within a *metric* (what one measurement-day means), the first family to deliver a local day owns
it and later families' rows for that day are skipped, so JSON and CSV copies of the same data are
never both stored (see ``docs/takeout.md`` for the precedence). Families with ``parse=None`` are
recognised but not imported (the reason is reported).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from fitbit_sync.sources.takeout.parsers import (
    csv_generic,
    csv_google,
    csv_legacy,
    json_body,
    json_daily,
    json_exercise,
    json_intraday,
    json_sleep,
)
from fitbit_sync.sources.takeout.parsers.common import Parser

#: Families ordered at or after this need ``ctx.cutoff_day`` (the last day of intraday data).
DAILY_PHASE = 100


@dataclass(frozen=True)
class Family:
    key: str
    pattern: re.Pattern[str]
    metric: str
    order: int
    parse: Parser | None
    claim: bool = True  # one family per (metric, local day)
    per_source: bool = False  # CSV with a data-source column: one source per day
    covers: bool = True  # may record API coverage for what it fills
    derive: bool = True  # per-minute values feed daily totals
    metrics: dict[str, str] = field(default_factory=dict)  # measurement -> metric, when not ``metric``
    note: str = ""  # why a recognised family is not imported
    bulk: bool = False  # regular files decoded whole (``parsers.bulk``), ahead in a worker (``prefetch``)

    def metric_of(self, measurement: str) -> str:
        return self.metrics.get(measurement, self.metric)


def _json(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{stem})(?:-[^/]*)?\.json$", re.IGNORECASE)


def _csv(stem: str) -> re.Pattern[str]:
    return re.compile(rf"^(?:{stem})(?:_\d{{4}}-\d{{2}}-\d{{2}})?\.csv$", re.IGNORECASE)


def _named(prefix: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(prefix)}.*\.csv$", re.IGNORECASE)


def _google(stem: str, metric: str, order: int, *, covers: bool) -> Family:
    return Family(f"csv:{stem}", _csv(stem), metric, order, csv_generic.csv_parser(csv_google.SPECS[stem]),
                  per_source=True, covers=covers)


def _legacy(key: str, prefix: str, metric: str, order: int, spec: csv_generic.CsvSpec) -> Family:
    return Family(f"legacy:{key}", _named(prefix), metric, order, csv_generic.csv_parser(spec))


def _skip(key: str, pattern: re.Pattern[str], note: str) -> Family:
    return Family(key, pattern, key, 10_000, None, note=note)


FAMILIES: tuple[Family, ...] = (
    # --- intraday: per-minute and per-sample streams ---------------------------------------------
    Family("json:heart_rate", _json("heart_rate"), "heart_rate", 10, json_intraday.parse_heart_rate, bulk=True),
    _google("heart_rate", "heart_rate", 11, covers=False),
    Family("json:steps", _json("steps"), "steps", 20, json_intraday.parse_steps, bulk=True),
    _google("steps", "steps", 21, covers=False),
    Family("json:distance", _json("distance"), "distance", 30, json_intraday.parse_distance, bulk=True),
    _google("distance", "distance", 31, covers=False),
    Family("json:calories", _json("calories"), "calories", 40, json_intraday.parse_calories, bulk=True),
    Family("json:altitude", _json("altitude"), "altitude", 45, json_intraday.parse_altitude, covers=False,
           bulk=True),
    _google("active_energy_burned", "active_energy", 46, covers=False),
    _google("floors", "floors", 47, covers=False),
    _google("oxygen_saturation", "spo2_minute", 50, covers=False),
    _legacy("spo2_minute", "Minute SpO2", "spo2_minute", 51, csv_legacy.SPECS["spo2_minute"]),
    _legacy("hrv_details", "Heart Rate Variability Details", "hrv_details", 55, csv_legacy.SPECS["hrv_details"]),
    _google("respiratory_rate_sleep_summary", "breathing_sleep", 56, covers=False),
    _legacy("respiratory_sleep", "Respiratory Rate Summary", "breathing_sleep", 57,
            csv_legacy.SPECS["respiratory_sleep"]),
    _google("active_zone_minutes", "azm", 60, covers=False),
    _legacy("azm", "Active Zone Minutes", "azm", 61, csv_legacy.SPECS["azm"]),
    # --- body: grams in the CSV beat the unit-less JSON ------------------------------------------
    _google("weight", "weight", 70, covers=False),
    _google("body_fat", "body_fat", 71, covers=False),
    Family("json:weight", _json("weight"), "weight", 72, json_body.parse_weight, metrics={"BodyFat": "body_fat"}),
    Family("json:fat", _json("fat"), "body_fat", 73, json_body.parse_fat),
    # --- sessions ---------------------------------------------------------------------------------
    Family("json:sleep", _json("sleep"), "sleep", 80, json_sleep.parse_sleep, claim=False),
    Family("json:exercise", _json("exercise"), "exercise", 81, json_exercise.parse_exercise, claim=False,
           covers=False),
    # --- daily values (after the intraday phase: padding is cut at its last day) -------------------
    Family("json:activity_minutes", _json("sedentary_minutes|lightly_active_minutes|moderately_active_minutes"
                                          "|very_active_minutes"),
           "activity_minutes", 100, json_daily.parse_activity_minutes),
    Family("json:resting_heart_rate", _json("resting_heart_rate"), "resting_hr", 110,
           json_daily.parse_resting_heart_rate),
    _google("daily_resting_heart_rate", "resting_hr", 111, covers=True),
    Family("json:heart_rate_zones", _json("time_in_heart_rate_zones|heart_rate_zones"), "hr_zones", 120,
           json_daily.parse_heart_rate_zones),
    Family("json:vo2_max", _json("demographic_vo2_max"), "vo2_max", 130, json_daily.parse_demographic_vo2_max),
    _google("daily_heart_rate_variability", "hrv_daily", 140, covers=True),
    _legacy("hrv_daily", "Daily Heart Rate Variability Summary", "hrv_daily", 141, csv_legacy.SPECS["hrv_daily"]),
    _google("daily_respiratory_rate", "breathing_daily", 150, covers=True),
    _legacy("respiratory_daily", "Daily Respiratory Rate Summary", "breathing_daily", 151,
            csv_legacy.SPECS["respiratory_daily"]),
    _google("daily_oxygen_saturation", "spo2_daily", 160, covers=True),
    _legacy("spo2_daily", "Daily SpO2", "spo2_daily", 161, csv_legacy.SPECS["spo2_daily"]),
    _google("daily_sleep_temperature_derivations", "skin_temperature", 170, covers=True),
    _legacy("computed_temperature", "Computed Temperature", "skin_temperature", 171, csv_legacy.TEMPERATURE),
    # --- recognised, not imported -----------------------------------------------------------------
    _skip("csv:calories", _csv("calories"), "sparse per-source rows under-count; calories-*.json is used"),
    _skip("csv:altitude", _csv("altitude"), "unit not documented"),
    _skip("csv:other", _csv("body_temperature|daily_readiness|heart_rate_variability|time_in_heart_rate_zone"
                            "|daily_heart_rate_zones|active_minutes|activity_level|sedentary_period|height"
                            "|cardio_load|cardio_acute_chronic_workload_ratio|cardio_load_observed_interval"
                            "|calories_in_heart_rate_zone|swim_lengths_data|live_pace|continuous_eda"
                            "|micro_motion|micro_stillness|run_vo2_max|vo2_max|basal_energy_burned"
                            "|daily_vo2_max|nutrition_log|hydration_log|coarse_physical_location"
                            "|weather_forecast|gps_location[a-z_]*"),
          "no measurement in the schema for it"),
    _skip("json:other", _json("run_vo2_max|height|food_logs|water_logs|swim_lengths_data|badge|trophy"
                              "|mindfulness[a-z_]*|journal_entries|estimated_oxygen_variation"),
          "no measurement in the schema for it"),
    _skip("csv:sleep_score", _named("sleep_score"), "sleep scores have no measurement in the schema"),
    _skip("csv:scores", re.compile(r"^(Stress Score|Daily Readiness|Heart Rate Variability Histogram"
                                   r"|Snore Details|Wrist Temperature|Device Temperature"
                                   r"|estimated_oxygen_variation).*\.csv$", re.IGNORECASE),
          "no measurement in the schema for it"),
    _skip("csv:health_fitness", re.compile(r"^(UserSleeps|UserSleepStages|UserSleepScores|UserExercises"
                                           r"|WorkoutSummariesAndRounds|PersonalRecords)[^/]*\.csv$",
                                           re.IGNORECASE),
          "Health Fitness Data tables are not imported yet (the JSON sleep and exercise logs are)"),
)

PROFILE = re.compile(r"^(User)?Profile\.csv$", re.IGNORECASE)
FAMILIES_BY_KEY: dict[str, Family] = {f.key: f for f in FAMILIES}


def classify(base_name: str) -> Family | None:
    """The family of a file called ``base_name`` (None if unknown)."""
    for family in FAMILIES:
        if family.pattern.match(base_name):
            return family
    return None


def imported(families: Iterable[Family]) -> list[Family]:
    return sorted((f for f in families if f.parse is not None), key=lambda f: f.order)
