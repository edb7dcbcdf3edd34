"""What every store does: write records idempotently and remember what has been fetched.

A store upserts records (a second write of the same key merges fields, never duplicates) and
records *coverage*: which time ranges of which stream are safely stored. Coverage is recorded
only after the records it covers are durable (in SQLite and PostgreSQL in the same transaction),
so a crash at any moment loses at most work, never data, and a restart refetches only what is
not covered.

Every store is also read the same way (``Reader``): the records of a measurement over a time range
(with their tags, optionally only those with given tag values), and bucketed aggregates of one field
for long ranges, so export and the HTML dashboard work on every store without knowing which it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from fitbit_sync.records import Record


@dataclass(frozen=True, slots=True)
class Coverage:
    """``[start_ms, end_ms)`` of ``stream`` from ``source`` is stored, as fetched at ``fetched_at_ms``."""

    source: str  # "google-health" or "takeout"
    stream: str  # a catalogue stream key, e.g. "heart-rate" or "steps:daily"
    start_ms: int
    end_ms: int
    fetched_at_ms: int


@dataclass(frozen=True, slots=True)
class MeasurementStats:
    name: str
    rows: int
    first_ms: int | None
    last_ms: int | None


Agg = Literal["mean", "min", "max", "sum", "count", "last"]
AGGS: tuple[Agg, ...] = ("mean", "min", "max", "sum", "count", "last")


@dataclass(slots=True)
class Series:
    """A field cut into ``bucket_ms`` buckets (UTC-aligned: a bucket starts at a multiple of
    ``bucket_ms``): bucket start times and one list per aggregate. Only buckets holding a value
    of the field are present (no null filling)."""

    bucket_ms: int
    times: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.times)


@runtime_checkable
class Reader(Protocol):
    """The read side every store has (opened to write or only to read). Times are UTC epoch ms,
    ranges ``[start, end)``; a measurement or field the store does not hold reads as empty."""

    name: str

    def read_records(self, measurement: str, start_ms: int | None = None, end_ms: int | None = None, *,
                     tags: Mapping[str, str] | None = None, first_date: str | None = None,
                     last_date: str | None = None, newest_first: bool = False,
                     limit: int | None = None) -> Iterator[Record]:
        """Stored records of ``measurement`` in the range (all time when None), oldest first (newest
        first when asked; a daily measurement newest date first), only those whose tags have the
        values in ``tags`` and (daily measurements) whose local date is within ``first_date`` ..
        ``last_date`` (inclusive, ``YYYY-MM-DD``), at most ``limit``. Streamed: memory stays
        bounded; close the iterator when stopping early."""
        ...

    def aggregate(self, measurement: str, field_name: str, start_ms: int, end_ms: int, bucket_ms: int,
                  aggs: Sequence[Agg] = ("mean",)) -> Series:
        """``field_name`` aggregated per UTC-aligned bucket of ``bucket_ms`` (``last``: the value of
        the bucket's newest row having one)."""
        ...

    def get_state(self, key: str) -> str | None:
        """A small persistent value (bookmarks, last sync time, the user's zone)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class Store(Reader, Protocol):
    """A destination for records. Implementations: sqlite (default), influx v1/v2/v3, postgres."""

    name: str

    def write(self, records: Iterable[Record], coverage: Sequence[Coverage] = ()) -> int:
        """Upsert ``records``, then record ``coverage``; durable on return. Returns rows written."""
        ...

    def coverage(self, source: str, stream: str | None = None) -> list[Coverage]:
        """Recorded coverage of ``source`` (one stream, or all), unmerged, oldest first."""
        ...

    def measurement_stats(self) -> list[MeasurementStats]:
        """Rows and first/last time per measurement that has data."""
        ...

    def set_state(self, key: str, value: str) -> None: ...


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged ``[start, end)`` intervals (touching intervals join)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract_intervals(wanted: tuple[int, int], covered: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of ``wanted`` not in ``covered``, oldest first."""
    start, end = wanted
    gaps: list[tuple[int, int]] = []
    cursor = start
    for c_start, c_end in merge_intervals(covered):
        if c_end <= cursor or c_start >= end:
            continue
        if c_start > cursor:
            gaps.append((cursor, min(c_start, end)))
        cursor = max(cursor, c_end)
        if cursor >= end:
            break
    if cursor < end:
        gaps.append((cursor, end))
    return gaps


def pick(agg: str, n: int, total: float, small: float, big: float) -> float:
    """One aggregate of a bucket from its count, sum, min and max (``mean``: sum / count)."""
    if agg == "mean":
        return total / n if n else float("nan")
    return {"sum": total, "min": small, "max": big, "count": n}[agg]
