"""What every store does: write records idempotently and remember what has been fetched.

A store upserts records (a second write of the same key merges fields, never duplicates) and
records *coverage*: which time ranges of which stream are safely stored. Coverage is recorded
only after the records it covers are durable (in SQLite and PostgreSQL in the same transaction),
so a crash at any moment loses at most work, never data, and a restart refetches only what is
not covered.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

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


@runtime_checkable
class Store(Protocol):
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

    def get_state(self, key: str) -> str | None:
        """A small persistent value (bookmarks, last sync time, daemon schedule)."""
        ...

    def set_state(self, key: str, value: str) -> None: ...

    def close(self) -> None: ...


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
