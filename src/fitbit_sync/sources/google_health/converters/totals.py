"""Daily totals read with ``dailyRollUp``: one window per civil day; an omitted sum is a true zero."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import (
    ConvertContext,
    PointConverter,
    converter,
    daily,
    rollup_day,
)
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    int64,
    member,
    number,
    parse_duration_ms,
)


def _daily_sum(key: str, measurement: str, value_key: str, kind: str, scale: float = 1.0) -> PointConverter:
    """A daily total from dailyRollUp; an omitted sum is a true zero."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        body = member(item, key)
        raw = body.get(value_key)
        value: int | float = int64(raw, default=0) if kind == "int" else number(raw, default=0.0)
        if scale != 1.0:
            value = value * scale
        return (daily(measurement, rollup_day(item), {"value": value}, ctx),)

    return fn


converter("steps:daily")(_daily_sum("steps", "Total Steps", "countSum", "int", 1.0))
converter("distance:daily")(_daily_sum("distance", "distance", "millimetersSum", "int", 1e-6))  # km
converter("total-calories:daily")(_daily_sum("totalCalories", "calories", "kcalSum", "float"))
converter("active-energy-burned:daily")(_daily_sum("activeEnergyBurned", "Activity Calories", "kcalSum", "float"))
converter("floors:daily")(_daily_sum("floors", "floors", "countSum", "int"))
converter("altitude:daily")(_daily_sum("altitude", "elevation", "gainMillimetersSum", "int", 1e-3))  # m

_ACTIVITY_LEVEL_FIELDS = {"LIGHT": "minutesLightlyActive", "MODERATE": "minutesFairlyActive",
                          "VIGOROUS": "minutesVeryActive"}


@converter("active-minutes:daily")
def _active_minutes(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "activeMinutes")
    levels = body.get("activeMinutesRollupByActivityLevel") or []
    if not isinstance(levels, list):
        raise BadPoint("bad activeMinutesRollupByActivityLevel")
    fields: dict[str, Any] = dict.fromkeys(_ACTIVITY_LEVEL_FIELDS.values(), 0)
    for level in levels:
        name = _ACTIVITY_LEVEL_FIELDS.get(level.get("activityLevel"))
        if name is not None:
            fields[name] = int64(level.get("activeMinutesSum"), default=0)
    return (daily("Activity Minutes", rollup_day(item), fields, ctx),)


@converter("sedentary-period:daily")
def _sedentary(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "sedentaryPeriod")
    raw = body.get("durationSum")
    minutes = 0 if raw is None else round(parse_duration_ms(raw) / 60_000)
    return (daily("Activity Minutes", rollup_day(item), {"minutesSedentary": minutes}, ctx),)


@converter("active-zone-minutes:daily")
def _azm(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "activeZoneMinutes")
    fat = int64(body.get("sumInFatBurnHeartZone"), default=0)
    cardio = int64(body.get("sumInCardioHeartZone"), default=0)
    peak = int64(body.get("sumInPeakHeartZone"), default=0)
    fields = {"fatBurn": fat, "cardio": cardio, "peak": peak, "total": fat + cardio + peak}
    return (daily("Active Zone Minutes", rollup_day(item), fields, ctx),)


#: Google's zones -> the peer dashboard's (Fitbit's) zone names.
HR_ZONE_NAMES = {"LIGHT": "Normal", "MODERATE": "Fat Burn", "VIGOROUS": "Cardio", "PEAK": "Peak"}


@converter("time-in-heart-rate-zone:daily")
def _time_in_zones(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "timeInHeartRateZone")
    zones = body.get("timeInHeartRateZones") or []
    if not isinstance(zones, list):
        raise BadPoint("bad timeInHeartRateZones")
    fields: dict[str, Any] = dict.fromkeys(HR_ZONE_NAMES.values(), 0)
    for zone in zones:
        name = HR_ZONE_NAMES.get(zone.get("heartRateZone"))
        if name is not None:
            raw = zone.get("duration")
            fields[name] = 0 if raw is None else round(parse_duration_ms(raw) / 60_000)
    return (daily("HR zones", rollup_day(item), fields, ctx),)

