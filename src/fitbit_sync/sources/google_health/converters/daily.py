"""Daily values read with ``list``: one point per civil date, keyed by that date."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import ConvertContext, PointConverter, converter, daily
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    member,
    number,
    optional_number,
    parse_date,
)


def _daily_member(item: Item, key: str) -> tuple[Item, date]:
    body = member(item, key)
    return body, parse_date(body.get("date"))


def _daily_value(key: str, measurement: str, value_key: str, parse: Callable[[Any], float]) -> PointConverter:
    """A daily type with one required value, stored as ``value``."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body, day = _daily_member(item, key)
        return (daily(measurement, day, {"value": parse(body.get(value_key))}, ctx),)

    return fn


converter("daily-resting-heart-rate")(_daily_value("dailyRestingHeartRate", "RestingHR", "beatsPerMinute", int64))
converter("daily-respiratory-rate")(_daily_value("dailyRespiratoryRate", "BreathingRate", "breathsPerMinute", number))


@converter("daily-heart-rate-variability")
def _daily_hrv(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyHeartRateVariability")
    fields: dict[str, Any] = {"dailyRmssd": number(body.get("averageHeartRateVariabilityMilliseconds"))}
    deep = optional_number(body.get("deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"))
    if deep is not None:
        fields["deepRmssd"] = deep
    records = [daily("HRV", day, fields, ctx)]
    details: dict[str, Any] = {}
    entropy = optional_number(body.get("entropy"))
    if entropy is not None:
        details["entropy"] = entropy
    if body.get("nonRemHeartRateBeatsPerMinute") is not None:
        details["nonRemHR"] = int64(body["nonRemHeartRateBeatsPerMinute"])
    if details:
        records.append(daily("HRV Details", day, details, ctx))
    return records


@converter("daily-oxygen-saturation")
def _daily_spo2(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyOxygenSaturation")
    fields = {
        "avg": number(body.get("averagePercentage")),
        "lowerBound": optional_number(body.get("lowerBoundPercentage")),
        "upperBound": optional_number(body.get("upperBoundPercentage")),
        "stddev": optional_number(body.get("standardDeviationPercentage")),
    }
    return (daily("SPO2", day, {k: v for k, v in fields.items() if v is not None}, ctx),)


@converter("daily-sleep-temperature-derivations")
def _skin_temperature(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailySleepTemperatureDerivations")
    nightly = number(body.get("nightlyTemperatureCelsius"))
    baseline = optional_number(body.get("baselineTemperatureCelsius"))
    fields: dict[str, Any] = {"nightly": nightly}
    records = []
    if baseline is not None:
        fields["baseline"] = baseline
        records.append(daily("Skin Temperature Variation", day, {"RelativeValue": round(nightly - baseline, 6)},
                              ctx))
    stddev = optional_number(body.get("relativeNightlyStddev30dCelsius"))
    if stddev is not None:
        fields["stddev30d"] = stddev
    records.append(daily("Skin Temperature", day, fields, ctx))
    return records


@converter("daily-vo2-max")
def _vo2max(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyVo2Max")
    fields: dict[str, Any] = {"vo2Max": number(body.get("vo2Max")), "estimated": bool(body.get("estimated", False))}
    level = body.get("cardioFitnessLevel")
    if level is not None:
        if not isinstance(level, str):
            raise BadPoint("bad cardioFitnessLevel")
        fields["cardioFitnessLevel"] = level
    return (daily("VO2 Max", day, fields, ctx),)


_ZONE_THRESHOLD_FIELDS = {"LIGHT": "lightMin", "MODERATE": "moderateMin", "VIGOROUS": "vigorousMin", "PEAK": "peakMin"}


@converter("daily-heart-rate-zones")
def _zone_thresholds(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body, day = _daily_member(item, "dailyHeartRateZones")
    zones = body.get("heartRateZones")
    if not isinstance(zones, list) or not zones:
        raise BadPoint("no heartRateZones")
    fields: dict[str, Any] = {}
    for zone in zones:
        name = _ZONE_THRESHOLD_FIELDS.get(zone.get("heartRateZoneType"))
        if name is None:
            continue
        fields[name] = int64(zone.get("minBeatsPerMinute"), default=0)
        if name == "peakMin" and zone.get("maxBeatsPerMinute") is not None:
            fields["peakMax"] = int64(zone.get("maxBeatsPerMinute"))
    if not fields:
        raise BadPoint("no known heart-rate zone")
    return (daily("HR Zone Thresholds", day, fields, ctx),)

