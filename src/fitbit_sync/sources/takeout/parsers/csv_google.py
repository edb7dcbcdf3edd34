"""Google-era per-source CSVs (``Physical Activity_GoogleData/<family>_YYYY-MM-DD.csv``).

Header ``timestamp,<values…>,data source``; timestamps are UTC ``Z`` instants, except daily
families whose ``T00:00:00Z`` is a local-date label. Units: distance in metres, weight in grams,
breathing rates in milli-breaths per minute. One source per local day is kept (never summed).
"""

from __future__ import annotations

from typing import Any

from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX, ParseContext, cell
from fitbit_sync.sources.takeout.parsers.csv_generic import Column, CsvSpec, as_int, in_range
from fitbit_sync.sources.takeout.units import number, weight_fields

AZM_SUM = SUM_PREFIX + "Active Zone Minutes"
AZM_FIELDS = {"fat burn": "fatBurn", "fat_burn": "fatBurn", "fatburn": "fatBurn", "cardio": "cardio",
              "peak": "peak"}


def _weight(row: list[str], named: dict[str, int], ctx: ParseContext) -> dict[str, dict[str, Any]]:
    index = next((i for name, i in named.items() if "weight" in name and "gram" in name), None)
    if index is None:
        raise ValueError("no weight grams column")
    grams = number(cell(row, index))
    if grams is None or not 10_000 <= grams <= 500_000:
        return {}
    return {"weight": weight_fields(grams / 1000)}


def _azm(row: list[str], named: dict[str, int], ctx: ParseContext) -> dict[str, dict[str, Any]]:
    zone_index = next((i for name, i in named.items() if "zone" in name), None)
    minutes_index = next((i for name, i in named.items() if "minutes" in name), None)
    return azm_minute(row, zone_index, minutes_index, AZM_FIELDS, "heart rate zone / total minutes")


def azm_minute(row: list[str], zone_index: int | None, minutes_index: int | None, zones: dict[str, str],
               columns: str) -> dict[str, dict[str, Any]]:
    """One minute's active zone minutes (0-2) in its zone (a name in ``zones``), for the daily sums;
    nothing for another zone or an odd count; ValueError when the file lacks the ``columns``."""
    if zone_index is None or minutes_index is None:
        raise ValueError(f"no {columns} columns")
    zone = zones.get(cell(row, zone_index).strip().lower().replace("_", " "))
    minutes = number(cell(row, minutes_index))
    if zone is None or minutes is None or not 0 <= minutes <= 2:
        return {}
    return {AZM_SUM: {zone: round(minutes), "total": round(minutes)}}


def skin_temperature_variation(values: dict[str, dict[str, Any]]) -> None:
    temps = values.get("Skin Temperature", {})
    if "nightly" in temps and "baseline" in temps:
        values["Skin Temperature Variation"] = {"RelativeValue": round(temps["nightly"] - temps["baseline"], 6)}


BPM = in_range(20, 300, as_int)
PERCENT = in_range(0, 100)

SPECS: dict[str, CsvSpec] = {
    "heart_rate": CsvSpec((Column("HeartRate_Intraday", "value", ("beats per minute",), in_range(1, 399, as_int)),),
                          source_column=True),
    "steps": CsvSpec((Column("Steps_Intraday", "value", ("steps",), in_range(0, 1000, as_int)),),
                     source_column=True, minute=True),
    "distance": CsvSpec((Column("Distance_Intraday", "value", ("distance",), in_range(0, 5000)),),
                        source_column=True, minute=True),
    "active_energy_burned": CsvSpec((Column("Calories_Intraday", "value", ("calorie",), in_range(0, 1000)),),
                                    source_column=True, minute=True),
    "floors": CsvSpec((Column("Floors_Intraday", "value", ("floors",), in_range(0, 1000, as_int)),),
                      source_column=True, minute=True),
    "oxygen_saturation": CsvSpec((Column("SPO2_Intraday", "value", ("percentage",), PERCENT),),
                                 source_column=True),
    "weight": CsvSpec((), source_column=True, row=_weight),
    "body_fat": CsvSpec((Column("BodyFat", "value", ("percentage",), in_range(0.1, 99.9)),), source_column=True),
    "active_zone_minutes": CsvSpec((), source_column=True, minute=True, row=_azm),
    "respiratory_rate_sleep_summary": CsvSpec(tuple(
        Column("BreathingRate_Sleep", stage, (stage, "breaths per minute"), in_range(1, 100),
               exclude=("deviation", "noise"), milli_aware=True)
        for stage in ("full", "deep", "light", "rem")), source_column=True),
    "daily_resting_heart_rate": CsvSpec((Column("RestingHR", "value", ("beats per minute",), BPM),),
                                        daily=True, source_column=True),
    "daily_heart_rate_variability": CsvSpec((
        Column("HRV", "dailyRmssd", ("average heart rate variability",), in_range(0, 500)),
        Column("HRV", "deepRmssd", ("deep sleep root mean square",), in_range(0, 500)),
        Column("HRV Details", "entropy", ("entropy",)),
        Column("HRV Details", "nonRemHR", ("non rem heart rate",), BPM),
    ), daily=True, source_column=True),
    "daily_respiratory_rate": CsvSpec((Column("BreathingRate", "value", ("breaths per minute",), in_range(1, 100)),),
                                      daily=True, source_column=True),
    "daily_oxygen_saturation": CsvSpec((
        Column("SPO2", "avg", ("average",), PERCENT),
        Column("SPO2", "lowerBound", ("lower bound",), PERCENT),
        Column("SPO2", "upperBound", ("upper bound",), PERCENT),
        Column("SPO2", "stddev", ("standard deviation",), in_range(0, 100)),
    ), daily=True, source_column=True),
    "daily_sleep_temperature_derivations": CsvSpec((
        Column("Skin Temperature", "nightly", ("nightly temperature",), in_range(20, 45)),
        Column("Skin Temperature", "baseline", ("baseline temperature",), in_range(20, 45)),
        Column("Skin Temperature", "stddev30d", ("stddev",), in_range(0, 20)),
    ), daily=True, source_column=True, finish=skin_temperature_variation),
}
