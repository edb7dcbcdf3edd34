"""Legacy body logs: ``weight-*.json`` (weight, BMI, body fat) and ``fat-*.json`` (body fat).

``date`` + ``time`` are local wall time. Weight is in the account's unit, which the file does not
name: ``--weight-unit`` decides, else it is inferred from the logged BMI (the unit whose implied
height is a plausible adult height wins; the decision is kept for the rest of the import). With no
BMI to go by the file is reported and skipped rather than stored in a guessed unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fitbit_sync.records import Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import ParseContext, ParseError, load_json_array
from fitbit_sync.sources.takeout.timezones import TimeFormatError, clock_ms, us_or_iso_day
from fitbit_sync.sources.takeout.units import KG_PER_LB, implied_height_m, number, weight_fields

PLAUSIBLE_HEIGHT_M = (1.40, 2.20)
_UNIT_KEY = "weight_unit"


def _log_ms(row: dict[str, Any], ctx: ParseContext) -> int:
    day = us_or_iso_day(row["date"])
    clock = row.get("time") or "00:00:00"
    return ctx.days.wall_to_ms(day, clock_ms(clock))


def infer_weight_unit(rows: list[Any]) -> str | None:
    """"lb" or "kg" by majority of rows whose BMI makes only one of them plausible; None if undecided."""
    votes = {"lb": 0, "kg": 0}
    low, high = PLAUSIBLE_HEIGHT_M
    for row in rows:
        if not isinstance(row, dict):
            continue
        try:
            weight, bmi = number(row.get("weight")), number(row.get("bmi"))
        except ValueError:
            continue
        if weight is None or bmi is None or weight <= 0 or not 8 < bmi < 90:
            continue
        as_kg = low <= implied_height_m(weight, bmi) <= high
        as_lb = low <= implied_height_m(weight * KG_PER_LB, bmi) <= high
        if as_kg != as_lb:
            votes["kg" if as_kg else "lb"] += 1
    if votes["lb"] == votes["kg"]:
        return None
    return "lb" if votes["lb"] > votes["kg"] else "kg"


def _unit(rows: list[Any], ctx: ParseContext) -> str:
    if ctx.weight_unit in ("lb", "kg"):
        return ctx.weight_unit
    unit = ctx.extra.get(_UNIT_KEY) or infer_weight_unit(rows)
    if unit is None:
        raise ParseError("weight unit unknown (no BMI to infer it from): rerun with --weight-unit lb or kg")
    ctx.extra[_UNIT_KEY] = unit
    return unit


def parse_weight(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    rows = load_json_array(entry)
    if not rows:
        return
    factor = KG_PER_LB if _unit(rows, ctx) == "lb" else 1.0
    tags = ctx.tags
    for row in rows:
        try:
            when = _log_ms(row, ctx)
            weight = number(row.get("weight"))
            bmi = number(row.get("bmi"))
            fat = number(row.get("fat"))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, TimeFormatError) as exc:
            ctx.bad_row(exc)
            continue
        kg = None if weight is None else weight * factor
        if kg is None or not 10 <= kg <= 500:
            ctx.junk += 1
            continue
        yield Record("weight", when, weight_fields(kg), tags)
        if bmi is not None and 5 < bmi < 150:
            yield Record("bmi", when, {"value": round(bmi, 4)}, tags)
        if fat is not None and 0 < fat < 100:
            yield Record("BodyFat", when, {"value": round(fat, 4)}, tags)


def parse_fat(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
    for row in load_json_array(entry):
        try:
            when = _log_ms(row, ctx)
            fat = number(row.get("fat"))
        except (KeyError, TypeError, ValueError, IndexError, AttributeError, TimeFormatError) as exc:
            ctx.bad_row(exc)
            continue
        if fat is None or not 0 < fat < 100:
            ctx.junk += 1
            continue
        yield Record("BodyFat", when, {"value": round(fat, 4)}, ctx.tags)
