"""Daily totals built from per-minute rows (steps, distance, calories, floors, elevation, AZM).

The archive has no daily files for these, but its per-minute rows sum to them. Each minute of a
local day is counted once (a bitmap per day), so overlapping files or a second copy of the same
minute can never double a total. A file's contributions are staged and only merged when the file
is read completely.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.takeout.parsers.common import SUM_PREFIX
from fitbit_sync.sources.takeout.timezones import LocalDays

#: per-minute measurement -> (daily measurement, factor)
DERIVED: dict[str, tuple[str, float]] = {
    "Steps_Intraday": ("Total Steps", 1.0),
    "Distance_Intraday": ("distance", 0.001),  # m -> km
    "Elevation_Intraday": ("elevation", 1.0),
    "Floors_Intraday": ("floors", 1.0),
    SUM_PREFIX + "calories": ("calories", 1.0),
    SUM_PREFIX + "Active Zone Minutes": ("Active Zone Minutes", 1.0),
}
#: daily totals written only for days with at least this many minutes (a day of calories
#: always has a row per minute, including BMR; fewer means a partial day)
MIN_MINUTES: dict[str, int] = {"calories": 1380}
SLOTS = 1500  # minutes in the longest local day (25 h) is 1500


@dataclass
class _Total:
    covers: bool
    seen: bytearray = field(default_factory=lambda: bytearray(SLOTS))
    sums: dict[str, float] = field(default_factory=dict)
    minutes: int = 0


Staged = dict[tuple[str, int], dict[int, dict[str, FieldValue]]]


class DailyTotals:
    def __init__(self) -> None:
        self._totals: dict[tuple[str, int], _Total] = {}

    def merge(self, staged: Staged, covers: bool) -> None:
        """Add a completely read file's minutes; minutes already counted are ignored."""
        for key, minutes in staged.items():
            if not minutes:
                continue
            total = self._totals.get(key)
            if total is None:
                total = self._totals[key] = _Total(covers)
            total.covers = total.covers and covers
            seen, sums = total.seen, total.sums
            for slot, fields in minutes.items():
                if not 0 <= slot < SLOTS or seen[slot]:
                    continue
                seen[slot] = 1
                total.minutes += 1
                for name, value in fields.items():
                    sums[name] = sums.get(name, 0.0) + float(value)

    def records(self, days: LocalDays, tags: dict[str, str]) -> Iterator[tuple[Record, bool]]:
        """(daily record, whether its source may record coverage) per measurement and day."""
        factors = {daily: factor for daily, factor in DERIVED.values()}
        for (name, day), total in sorted(self._totals.items()):
            if total.minutes < MIN_MINUTES.get(name, 1):
                continue
            types = MEASUREMENTS[name].field_types
            factor = factors[name]
            fields: dict[str, FieldValue] = {}
            for field_name, value in total.sums.items():
                if field_name not in types:
                    continue
                scaled = value * factor
                fields[field_name] = round(scaled) if types[field_name] == "int" else round(scaled, 6)
            if name == "Active Zone Minutes":
                for zone in ("fatBurn", "cardio", "peak", "total"):
                    fields.setdefault(zone, 0)
            if fields:
                yield Record(name, days.midnight(day), fields, tags, days.iso(day)), total.covers
