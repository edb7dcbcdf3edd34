"""``rollUp`` (physical-time windows) and ``dailyRollUp`` (civil-day windows).

Rollups are computed from the very records ``list`` serves, so a window's sum equals the sum of
the raw points in it, exactly (energies are multiples of 1/256 kcal, so float sums are exact).
A point belongs to the window containing its start time (physical for rollUp, local civil for
dailyRollUp). Windows without any point (tracker not worn) are left out; worn-but-idle windows
carry explicit zeros.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from fitbit_sync.emulator.generator.day import ZONE_NAMES, Record
from fitbit_sync.emulator.generator.exercise import KCAL_SCALE, azm_for_zone
from fitbit_sync.emulator.timeline import DAY, date_to_days, days_to_date

if TYPE_CHECKING:
    from fitbit_sync.emulator.generator import Generator

NS = 1_000_000_000
LEVELS = ("", "LIGHT", "MODERATE", "VIGOROUS")


def _sum_field(field: str) -> Callable[[list[Record]], dict[str, Any]]:
    def reduce(recs: list[Record]) -> dict[str, Any]:
        return {field: str(sum(r[5] for r in recs))}

    return reduce


def _kcal_sum(recs: list[Record]) -> dict[str, Any]:
    return {"kcalSum": sum(r[5] for r in recs) / KCAL_SCALE}


def _heart_rate(recs: list[Record]) -> dict[str, Any]:
    values = [r[5] >> 1 for r in recs]
    return {
        "beatsPerMinuteAvg": sum(values) / len(values),
        "beatsPerMinuteMin": float(min(values)),
        "beatsPerMinuteMax": float(max(values)),
    }


def _active_minutes(recs: list[Record]) -> dict[str, Any]:
    counts = [0, 0, 0, 0]
    for r in recs:
        counts[r[5]] += 1
    return {
        "activeMinutesRollupByActivityLevel": [
            {"activityLevel": LEVELS[k], "activeMinutesSum": str(counts[k])} for k in (1, 2, 3) if counts[k]
        ]
    }


def _azm(recs: list[Record]) -> dict[str, Any]:
    sums = [0, 0, 0, 0, 0]
    for r in recs:
        sums[r[5]] += azm_for_zone(r[5])
    return {
        "sumInFatBurnHeartZone": str(sums[2]),
        "sumInCardioHeartZone": str(sums[3]),
        "sumInPeakHeartZone": str(sums[4]),
    }


def _time_in_zone(recs: list[Record]) -> dict[str, Any]:
    seconds = [0, 0, 0, 0, 0]
    for r in recs:
        seconds[r[5]] += r[1] - r[0]
    return {
        "timeInHeartRateZones": [
            {"heartRateZone": ZONE_NAMES[k], "duration": f"{seconds[k]}s"} for k in (1, 2, 3, 4) if seconds[k]
        ]
    }


def _calories_in_zone(recs: list[Record]) -> dict[str, Any]:
    kcal = [0, 0, 0, 0, 0]
    for r in recs:
        zone, value = r[5]
        kcal[zone] += value
    return {
        "caloriesInHeartRateZones": [
            {"heartRateZone": ZONE_NAMES[k], "kcal": kcal[k] / KCAL_SCALE} for k in (1, 2, 3, 4) if kcal[k]
        ]
    }


def _sedentary(recs: list[Record]) -> dict[str, Any]:
    return {"durationSum": f"{sum(r[1] - r[0] for r in recs)}s"}


def _swim_lengths(recs: list[Record]) -> dict[str, Any]:
    return {"strokeCountSum": str(sum(r[5][0] for r in recs))}


def _weight(recs: list[Record]) -> dict[str, Any]:
    return {"weightGramsAvg": sum(r[5][1] for r in recs) / len(recs)}


def _body_fat(recs: list[Record]) -> dict[str, Any]:
    return {"bodyFatPercentageAvg": sum(r[5][1] for r in recs) / len(recs)}


def _run_vo2(recs: list[Record]) -> dict[str, Any]:
    values = [r[5] for r in recs]
    return {"rateAvg": sum(values) / len(values), "rateMin": min(values), "rateMax": max(values)}


REDUCERS: dict[str, Callable[[list[Record]], dict[str, Any]]] = {
    "steps": _sum_field("countSum"),
    "distance": _sum_field("millimetersSum"),
    "floors": _sum_field("countSum"),
    "altitude": _sum_field("gainMillimetersSum"),
    "active-energy-burned": _kcal_sum,
    "total-calories": _kcal_sum,
    "heart-rate": _heart_rate,
    "active-minutes": _active_minutes,
    "active-zone-minutes": _azm,
    "time-in-heart-rate-zone": _time_in_zone,
    "calories-in-heart-rate-zone": _calories_in_zone,
    "weight": _weight,
    "body-fat": _body_fat,
    "run-vo2-max": _run_vo2,
    "sedentary-period": _sedentary,
    "swim-lengths-data": _swim_lengths,
}


def _records(
    gen: Generator, data_type: str, first: date, last: date, keep: Callable[[Record], bool]
) -> Iterable[Record]:
    day = max(first, gen.first_day)
    last = min(last, gen.last_day)
    while day <= last:
        for rec in gen.records(data_type, day):
            if keep(rec):
                yield rec
        day += timedelta(days=1)


def roll_up(gen: Generator, data_type: str, start_ns: int, end_ns: int, window_ns: int,
            visible_until: float | None) -> list[tuple[int, dict[str, Any]]]:
    """``[(window index, rollup value)]`` for the non-empty windows, oldest first."""

    def window(rec: Record) -> int | None:
        t = rec[0] * NS
        return (t - start_ns) // window_ns if start_ns <= t < end_ns else None

    tl = gen.timeline
    first, last = tl.day_of(start_ns // NS), tl.day_of(-(-end_ns // NS) - 1)
    return _windows(gen, data_type, first, last, visible_until, window)


def daily_roll_up(gen: Generator, data_type: str, start_local: int, end_local: int, window_days: int,
                  visible_until: float | None) -> list[tuple[int, dict[str, Any]]]:
    """Civil windows of ``window_days`` days from ``start_local`` (local seconds)."""
    width = window_days * DAY

    def window(rec: Record) -> int | None:
        local = rec[0] + rec[2]
        return (local - start_local) // width if start_local <= local < end_local else None

    first, last = days_to_date(start_local // DAY), days_to_date((end_local - 1) // DAY)
    return _windows(gen, data_type, first, last, visible_until, window)


def _windows(gen: Generator, data_type: str, first: date, last: date, visible_until: float | None,
             window: Callable[[Record], int | None]) -> list[tuple[int, dict[str, Any]]]:
    """The type's records of days ``first..last`` grouped by ``window`` (None: outside the range) and
    reduced, oldest window first."""
    reduce = REDUCERS.get(data_type)
    if reduce is None:
        return []
    groups: dict[int, list[Record]] = {}
    for rec in _records(gen, data_type, first, last, _visible(visible_until)):
        k = window(rec)
        if k is not None:
            groups.setdefault(k, []).append(rec)
    return [(k, reduce(groups[k])) for k in sorted(groups)]


def _visible(until: float | None) -> Callable[[Record], bool]:
    if until is None:
        return lambda rec: True
    return lambda rec: rec[1] <= until


def local_seconds(day: date, seconds_of_day: int = 0) -> int:
    return date_to_days(day) * DAY + seconds_of_day
