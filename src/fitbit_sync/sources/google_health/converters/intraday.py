"""Intraday converters: per-sample and per-minute values read with ``list``, and the 1-minute
windows of ``rollUp``. Interval types with one value treat an omitted value as a true zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import (
    ConvertContext,
    PointConverter,
    converter,
    sample_value,
)
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    interval_ms,
    member,
    number,
    optional_number,
    parse_time_ms,
    sample_time_ms,
    zero_if_omitted,
)


def _bpm(value: float) -> float:
    """A heart rate, or BadPoint when no heart beats that fast (or at all)."""
    if not 0 < value < 400:
        raise BadPoint(f"heart rate {value} out of range")
    return value


@converter("heart-rate")
def _heart_rate(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "heartRate")
    bpm = int64(body.get("beatsPerMinute"))
    return (Record("HeartRate_Intraday", sample_time_ms(body.get("sampleTime")), {"value": _bpm(bpm)}, ctx.tags),)


def _interval_value(key: str, measurement: str, value_key: str, kind: str, scale: float = 1.0) -> PointConverter:
    """An interval type with one value; omitted means a true zero (proto3 omits zero values)."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body = member(item, key)
        value = zero_if_omitted(body.get(value_key), kind, scale)
        return (Record(measurement, interval_ms(body.get("interval")), {"value": value}, ctx.tags),)

    return fn


converter("steps")(_interval_value("steps", "Steps_Intraday", "count", "int"))
converter("distance")(_interval_value("distance", "Distance_Intraday", "millimeters", "int", 1e-3))  # m
converter("altitude")(_interval_value("altitude", "Elevation_Intraday", "gainMillimeters", "int", 1e-3))  # m
converter("active-energy-burned")(_interval_value("activeEnergyBurned", "Calories_Intraday", "kcal", "float"))


converter("oxygen-saturation")(sample_value("oxygenSaturation", "SPO2_Intraday", "percentage"))


@converter("vo2-max")
def _vo2_max(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "vo2Max")
    value = number(body.get("vo2Max"))
    if not 0 < value <= 100:
        raise BadPoint(f"VO2 max {value} out of range")
    fields: dict[str, Any] = {"value": value}
    method = body.get("measurementMethod")
    if method is not None:
        if not isinstance(method, str):
            raise BadPoint("bad measurementMethod")
        fields["method"] = method
    return (Record("VO2 Max Samples", sample_time_ms(body.get("sampleTime")), fields, ctx.tags),)


@converter("heart-rate-variability")
def _hrv(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "heartRateVariability")
    meta = body.get("metadata") or {}
    fields = {
        "rmssd": number(body.get("rootMeanSquareOfSuccessiveDifferencesMilliseconds")),
        "sdnn": optional_number(body.get("standardDeviationMilliseconds")),
        "hf": optional_number(meta.get("highFrequencyPower")),
        "lf": optional_number(meta.get("lowFrequencyPower")),
    }
    return (Record("HRV_Intraday", sample_time_ms(body.get("sampleTime")),
                   {k: v for k, v in fields.items() if v is not None}, ctx.tags),)


# --- rollUp (physical windows) -------------------------------------------------------------------------


@converter("floors:rollup")
def _floors_minute(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "floors")
    return (Record("Floors_Intraday", parse_time_ms(item.get("startTime")),
                   {"value": int64(body.get("countSum"), default=0)}, ctx.tags),)


@converter("heart-rate:rollup")
def _heart_rate_minute(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    avg = _bpm(number(member(item, "heartRate").get("beatsPerMinuteAvg")))
    return (Record("HeartRate_Intraday", parse_time_ms(item.get("startTime")), {"value": round(avg)}, ctx.tags),)

