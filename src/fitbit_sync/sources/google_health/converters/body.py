"""Body measurements and per-sleep samples read with ``list``: weight, body fat, breathing rate
during sleep. Weight is stored in pounds (the peer dashboard's panel) and kilograms.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.google_health.converters.registry import (
    ConvertContext,
    converter,
)
from fitbit_sync.sources.google_health.converters.values import (
    BadPoint,
    Item,
    member,
    number,
    sample_time_ms,
)

GRAMS_PER_LB = 453.59237


@converter("weight")
def _weight(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "weight")
    grams = number(body.get("weightGrams"))
    if grams <= 0:
        raise BadPoint(f"weight {grams} g")
    kg = grams / 1000
    return (Record("weight", sample_time_ms(body.get("sampleTime")),
                   {"value": round(grams / GRAMS_PER_LB, 6), "kg": kg}, ctx.tags),)


@converter("body-fat")
def _body_fat(item: Item, ctx: ConvertContext) -> Iterable[Record]:
    body = member(item, "bodyFat")
    return (Record("BodyFat", sample_time_ms(body.get("sampleTime")),
                   {"value": number(body.get("percentage"))}, ctx.tags),)


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

