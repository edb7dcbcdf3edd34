"""Daily totals read with ``dailyRollUp``: one window per civil day; an omitted sum is a true zero."""

from __future__ import annotations

from collections.abc import Callable, Iterable
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
    minutes_of,
    zero_if_omitted,
)


def _daily_sum(key: str, measurement: str, value_key: str, kind: str, scale: float = 1.0) -> PointConverter:
    """A daily total from dailyRollUp; an omitted sum is a true zero."""

    def fn(item: Item, ctx: ConvertContext) -> Iterable[Record]:
        value = zero_if_omitted(member(item, key).get(value_key), kind, scale)
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


def _by_level(item: Item, key: str, list_key: str, level_key: str, names: dict[str, str],
              value: Callable[[Item], int]) -> dict[str, Any]:
    """Fields ``names[level]`` from the list ``list_key`` of entries with a level (``level_key``): each
    known level's ``value``, zero for a level the list leaves out."""
    entries = member(item, key).get(list_key) or []
    if not isinstance(entries, list):
        raise BadPoint(f"bad {list_key}")
    fields: dict[str, Any] = dict.fromkeys(names.values(), 0)
    for entry in entries:
        name = names.get(entry.get(level_key))
        if name is not None:
            fields[name] = value(entry)
    return fields


@converter("active-minutes:daily")
def _active_minutes(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    fields = _by_level(item, "activeMinutes", "activeMinutesRollupByActivityLevel", "activityLevel",
                       _ACTIVITY_LEVEL_FIELDS, lambda level: int64(level.get("activeMinutesSum"), default=0))
    return (daily("Activity Minutes", rollup_day(item), fields, ctx),)


@converter("sedentary-period:daily")
def _sedentary(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    minutes = minutes_of(member(item, "sedentaryPeriod").get("durationSum"))
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
    fields = _by_level(item, "timeInHeartRateZone", "timeInHeartRateZones", "heartRateZone", HR_ZONE_NAMES,
                       lambda zone: minutes_of(zone.get("duration")))
    return (daily("HR zones", rollup_day(item), fields, ctx),)
