"""Fitbit-era CSV folders beside the JSON: Heart Rate Variability, Oxygen Saturation (SpO2),
Temperature and Active Zone Minutes (AZM).

They have no data-source column. Times have no zone and are local wall time, except
``Minute SpO2`` (reported as UTC). Daily files label the local date. ``Computed Temperature``
gives one row per night: the nightly delta is ``baseline_relative_sample_sum / temperature_samples``
and the row belongs to the local date the sleep ended.
"""

from __future__ import annotations

from typing import Any

from fitbit_sync.sources.takeout.parsers.common import ParseContext, cell
from fitbit_sync.sources.takeout.parsers.csv_generic import Column, CsvSpec, as_int, in_range
from fitbit_sync.sources.takeout.parsers.csv_google import AZM_FIELDS, azm_minute
from fitbit_sync.sources.takeout.units import number

_AZM_ZONES = {**AZM_FIELDS, "1": "fatBurn", "2": "cardio", "3": "peak"}


def _azm(row: list[str], named: dict[str, int], ctx: ParseContext) -> dict[str, dict[str, Any]]:
    return azm_minute(row, named.get("heart zone id"), named.get("total minutes"), _AZM_ZONES,
                      "heart_zone_id / total_minutes")


SPECS: dict[str, CsvSpec] = {
    "hrv_daily": CsvSpec((
        Column("HRV", "dailyRmssd", ("rmssd",), in_range(0, 500)),
        Column("HRV Details", "nonRemHR", ("nremhr",), in_range(20, 300, as_int)),
        Column("HRV Details", "entropy", ("entropy",)),
    ), daily=True),
    "hrv_details": CsvSpec((
        Column("HRV_Intraday", "rmssd", ("rmssd",), in_range(0, 500)),
        Column("HRV_Intraday", "lf", ("low frequency",), in_range(0, 1e7)),
        Column("HRV_Intraday", "hf", ("high frequency",), in_range(0, 1e7)),
    ), naive="local"),
    "respiratory_daily": CsvSpec((Column("BreathingRate", "value", ("respiratory rate",), in_range(1, 100)),),
                                 daily=True),
    "respiratory_sleep": CsvSpec(tuple(
        Column("BreathingRate_Sleep", stage, (stage, "breathing rate"), in_range(1, 100),
               exclude=("deviation", "noise"))
        for stage in ("full", "deep", "light", "rem")), naive="local"),
    "spo2_daily": CsvSpec((
        Column("SPO2", "avg", ("average",), in_range(0, 100)),
        Column("SPO2", "lowerBound", ("lower bound",), in_range(0, 100)),
        Column("SPO2", "upperBound", ("upper bound",), in_range(0, 100)),
    ), daily=True),
    "spo2_minute": CsvSpec((Column("SPO2_Intraday", "value", ("value",), in_range(50, 100)),), naive="utc"),
    "azm": CsvSpec((), time_columns=("date time", "timestamp"), naive="local", row=_azm),
}


def _temperature(row: list[str], named: dict[str, int], ctx: ParseContext) -> dict[str, dict[str, Any]]:
    def value(name: str) -> float | None:
        index = named.get(name)
        return None if index is None else number(cell(row, index))

    nightly = value("nightly temperature")
    samples = value("temperature samples")
    total = value("baseline relative sample sum")
    stddev = value("baseline relative nightly standard deviation")
    result: dict[str, dict[str, Any]] = {}
    temps: dict[str, Any] = {}
    if nightly is not None and 20 <= nightly <= 45:
        temps["nightly"] = round(nightly, 6)
    if samples and total is not None:
        relative = total / samples
        if -10 <= relative <= 10:
            result["Skin Temperature Variation"] = {"RelativeValue": round(relative, 6)}
            if "nightly" in temps:
                temps["baseline"] = round(nightly - relative, 6)  # type: ignore[operator]
    if stddev is not None and 0 <= stddev <= 20:
        temps["stddev30d"] = round(stddev, 6)
    if temps:
        result["Skin Temperature"] = temps
    return result


TEMPERATURE = CsvSpec((), time_columns=("sleep end",), daily=True, row=_temperature)
