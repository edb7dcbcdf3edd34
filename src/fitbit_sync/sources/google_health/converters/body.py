"""Body measurements and per-sleep samples read with ``list``: weight, height, body fat, breathing
rate during sleep. Weight is stored in pounds (the peer dashboard's panel) and kilograms; height in
metres; each weigh-in also gives a BMI once the latest height before it is known (``derived``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import ConvertContext, converter, sample_value
from fitbit_sync.sources.google_health.converters.values import BadPoint, Item, int64, member, number, sample_time_ms

GRAMS_PER_LB = 453.59237
MIN_HEIGHT_MM, MAX_HEIGHT_MM = 300, 3000


@converter("weight")
def _weight(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "weight")
    grams = number(body.get("weightGrams"))
    if grams <= 0:
        raise BadPoint(f"weight {grams} g")
    kg = grams / 1000
    when = sample_time_ms(body.get("sampleTime"))
    return [Record("weight", when, {"value": round(grams / GRAMS_PER_LB, 6), "kg": kg}, ctx.tags),
            *ctx.body.add_weight(when, kg, ctx.tags)]


@converter("height")
def _height(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "height")
    millimetres = int64(body.get("heightMillimeters"))
    if not MIN_HEIGHT_MM <= millimetres <= MAX_HEIGHT_MM:
        raise BadPoint(f"height {millimetres} mm")
    when = sample_time_ms(body.get("sampleTime"))
    metres = millimetres / 1000
    return [Record("height", when, {"value": metres}, ctx.tags), *ctx.body.add_height(when, metres)]


converter("body-fat")(sample_value("bodyFat", "BodyFat", "percentage"))


@converter("respiratory-rate-sleep-summary")
def _breathing_sleep(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "respiratoryRateSleepSummary")
    fields: dict[str, Any] = {}
    for source, name in (("fullSleepStats", "full"), ("deepSleepStats", "deep"),
                         ("lightSleepStats", "light"), ("remSleepStats", "rem")):
        stats = body.get(source)
        if isinstance(stats, dict) and stats.get("breathsPerMinute") is not None:
            fields[name] = number(stats["breathsPerMinute"])
    if "full" not in fields:
        raise BadPoint("no fullSleepStats.breathsPerMinute")
    return (Record("BreathingRate_Sleep", sample_time_ms(body.get("sampleTime")), fields, ctx.tags),)

