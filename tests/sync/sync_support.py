"""Helpers of the sync tests (settings that point at an emulator are ``support.emulator``):
whole-database reads, and what a backfill must store, computed from the emulator's
generator (not from the API).

For each stream and planned range ``expected_records`` takes the generator's own JSON points
(``list`` streams) or the emulator's rollup functions (rollups), filtered to the range the planner
asks for, and converts them with the converters; written into a fresh SQLite store (so merges and
typing are those of the real store) and compared table by table with the synced database, it
checks that every generated point is stored exactly once.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fitbit_sync.catalog import Stream
from fitbit_sync.emulator import rollups
from fitbit_sync.emulator.datatypes import TYPES
from fitbit_sync.emulator.generator import Generator
from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.sources.google_health import planner
from fitbit_sync.sources.google_health.converters import ConvertContext, axis_time, convert, parse_time_ms
from fitbit_sync.stores.sqlite import SQLiteStore, quote


def read_tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every measurement table of a SQLite database, rows sorted (coverage and state left out)."""
    conn = sqlite3.connect(db)
    try:
        return {name: sorted(conn.execute(f"SELECT * FROM {quote(name)}").fetchall(), key=repr)
                for name in MEASUREMENTS}
    finally:
        conn.close()


def planned_range(stream: Stream, first: date, last: date, zone: ZoneInfo, now_ms: int) -> tuple[int, int]:
    axis = planner.axis_of(stream)
    lo = planner.day_start_on_axis(axis, first, zone)
    hi = min(planner.day_start_on_axis(axis, last + timedelta(days=1), zone), planner.now_on_axis(axis, now_ms, zone))
    return lo, hi


def _filter_time(stream: Stream, point: dict[str, Any]) -> int:
    """The member the emulator filters ``stream`` on, on the planner's axis."""
    if stream.type_id == "sleep":  # sleep is filtered on its end
        return parse_time_ms(point["sleep"]["interval"]["endTime"])
    value = axis_time(stream, point)
    assert value is not None
    return value


def expected_records(gen: Generator, streams: list[Stream], first: date, last: date, zone: ZoneInfo,
                     now_ms: int, device: str = "Fitbit") -> tuple[list[Record], Counter[str]]:
    """Records a backfill of ``streams`` over ``first``..``last`` must store, and per stream the
    number of source points (for the exactly-once check)."""
    ctx = ConvertContext(device=device, zone=zone, fetch_tcx=gen.tcx)
    records: list[Record] = []
    sources: Counter[str] = Counter()
    listed = [s for s in streams if s.method == "list"]
    ranges = {s.key: planned_range(s, first, last, zone, now_ms) for s in streams}
    points: dict[str, list[dict[str, Any]]] = {s.key: [] for s in listed}
    for day in _days(first - timedelta(days=2), last + timedelta(days=2)):  # days outer: the generator
        for stream in listed:                                                # caches one day at a time
            lo, hi = ranges[stream.key]
            points[stream.key].extend(p for p in gen.points(stream.type_id, day) if lo <= _filter_time(stream, p) < hi)
    for stream in streams:
        lo, hi = ranges[stream.key]
        if stream.method == "list":
            sources[stream.key] += len(points[stream.key])
            records.extend(convert(stream, points[stream.key], ctx))
        elif stream.method == "dailyRollUp":
            start = rollups.local_seconds(planner.date_of_ms(lo))
            end = rollups.local_seconds(planner.date_of_ms(hi))
            items = []
            for index, value in rollups.daily_roll_up(gen, stream.type_id, start, end, 1, now_ms / 1000):
                day = planner.date_of_ms(lo) + timedelta(days=index)
                items.append({"civilStartTime": {"date": {"year": day.year, "month": day.month, "day": day.day}},
                              TYPES[stream.type_id].json_key: value})
            sources[stream.key] += len(items)
            records.extend(convert(stream, items, ctx))
        elif stream.method == "rollUp":
            window = planner.window_ms(stream)
            lo -= lo % window
            items = []
            for index, value in rollups.roll_up(gen, stream.type_id, lo * 1_000_000, hi * 1_000_000,
                                                window * 1_000_000, now_ms / 1000):
                start = lo + index * window
                items.append({"startTime": rfc3339_from_ms(start), "endTime": rfc3339_from_ms(start + window),
                              TYPES[stream.type_id].json_key: value})
            sources[stream.key] += len(items)
            records.extend(convert(stream, items, ctx))
    assert not ctx.skipped, ctx.skipped
    return records, sources


def write_expected(path: Path, records: list[Record]) -> None:
    with SQLiteStore(path) as store:
        store.write(records)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def points_in(gen: Generator, stream: Stream, start_ms: int, end_ms: int) -> int:
    """How many points the generator serves for a ``list`` stream in ``[start_ms, end_ms)`` of the
    stream's planner axis (the range of one request)."""
    first = planner.date_of_ms(start_ms) - timedelta(days=2)
    last = planner.date_of_ms(end_ms) + timedelta(days=2)
    return sum(1 for day in _days(first, last) for p in gen.points(stream.type_id, day)
               if start_ms <= _filter_time(stream, p) < end_ms)


def sigterm_once_faulted(proc: Any, emu: Any, fault: str) -> tuple[bytes, float]:
    """Wait until ``emu`` has injected ``fault`` into ``proc``'s requests, SIGTERM ``proc`` half a
    second later (in a retry wait, or deep in a hung read); its stderr and how long it took to end.
    ``proc`` is killed if it outlives this."""
    import signal
    import time

    try:
        deadline = time.monotonic() + 60
        while not emu.state.faults.injected.get(fault) and proc.poll() is None:
            assert time.monotonic() < deadline, f"{fault} was never injected"
            time.sleep(0.05)
        time.sleep(0.5)
        assert proc.poll() is None, proc.communicate()[1].decode()
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=40)
        return err, time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
