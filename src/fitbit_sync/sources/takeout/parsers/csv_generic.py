"""A table-driven CSV parser: one ``CsvSpec`` per file family says which columns fill which fields.

Columns are found by words in the normalised header (lower case, ``_`` as space), so small header
variations between export generations still match. Rows are streamed with the csv module. Time
columns are ISO 8601: with ``Z``/offset they are instants; without, ``naive`` says whether they are
UTC or local wall time; ``daily`` families use only the date, as a local-date label. Families with
a ``data source`` column keep one source per local day (``ctx.source_choice``); the importer's
first pass fills ``ctx.source_scan`` with rows per (day, source) to choose it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fitbit_sync.records import FieldValue, Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.parsers.common import CsvTable, ParseContext, ParseError
from fitbit_sync.sources.takeout.timezones import DAY_MS, MINUTE_MS, iso_datetime, utc_ms
from fitbit_sync.sources.takeout.units import number

Convert = Callable[[float], FieldValue | None]


def as_int(value: float) -> int:
    return round(value)


def as_float(value: float) -> float:
    return round(value, 6)


@dataclass(frozen=True)
class Column:
    """Field ``name`` of ``measurement`` from the first header containing all of ``words``."""

    measurement: str
    name: str
    words: tuple[str, ...]
    convert: Convert = as_float
    exclude: tuple[str, ...] = ()
    milli_aware: bool = False  # divide by 1000 when the header says "milli"


@dataclass(frozen=True)
class CsvSpec:
    columns: tuple[Column, ...]
    time_columns: tuple[str, ...] = ("timestamp",)
    daily: bool = False
    naive: Literal["utc", "local"] = "utc"
    source_column: bool = False
    minute: bool = False  # per-minute rows: floor stray seconds (``16:39:59.999Z``) to the minute
    finish: Callable[[dict[str, dict[str, Any]]], None] | None = None  # computed fields, in place
    row: Callable[[list[str], dict[str, int], ParseContext], dict[str, dict[str, Any]]] | None = None


def _bind(table: CsvTable, spec: CsvSpec) -> list[tuple[Column, int, float]]:
    bound = []
    for column in spec.columns:
        index = table.find(*column.words, exclude=column.exclude)
        if index is None:
            continue
        scale = 0.001 if column.milli_aware and "milli" in table.header[index] else 1.0
        bound.append((column, index, scale))
    return bound


def instant(text: str, naive: str, ctx: ParseContext) -> int:
    day, ms, offset = iso_datetime(text)
    if offset is not None:
        return day * DAY_MS + ms - offset
    if naive == "local":
        return ctx.days.wall_to_ms(day, ms)
    return day * DAY_MS + ms


def _value(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return number(text)
    return value if value - value == 0 else None  # NaN and infinities are not values


def parse_csv(entry: Entry, ctx: ParseContext, spec: CsvSpec) -> Iterator[Record]:
    with CsvTable(entry) as table:
        if table.empty:
            return
        time_index = table.column(*spec.time_columns)
        assert time_index is not None
        source_index = table.find("data source") if spec.source_column else None
        bound = _bind(table, spec)
        named = {name: i for i, name in enumerate(table.header)}
        if not bound and spec.row is None:
            raise ParseError(f"no known value column (header: {', '.join(table.header)[:200]})")
        days, tags = ctx.days, ctx.tags
        scan, choice = ctx.source_scan, ctx.source_choice
        daily, naive, minute = spec.daily, spec.naive, spec.minute
        for row in table.rows():
            try:
                stamp = row[time_index]
                if daily:
                    day = iso_datetime(stamp)[0]
                    when = days.midnight(day)
                else:
                    fast = utc_ms(stamp)
                    when = fast if fast is not None else instant(stamp, naive, ctx)
                    if minute:
                        when -= when % MINUTE_MS
                    day = days.day_of(when)
                source = row[source_index].strip() if source_index is not None and source_index < len(row) else ""
                if scan is not None:
                    scan[(day, source)] += 1
                    continue
                if choice is not None and choice.get(day) != source:
                    ctx.junk += 1  # another source's copy of this day
                    continue
                if spec.row is not None:
                    by_measurement = spec.row(row, named, ctx)
                else:
                    by_measurement = {}
                    for column, index, scale in bound:
                        value = _value(row[index]) if index < len(row) else None
                        if value is None:
                            continue
                        converted = column.convert(value * scale if scale != 1.0 else value)
                        if converted is not None:
                            by_measurement.setdefault(column.measurement, {})[column.name] = converted
                if spec.finish is not None and by_measurement:
                    spec.finish(by_measurement)
            except (ValueError, TypeError, IndexError, KeyError, OverflowError) as exc:
                ctx.bad_row(exc)
                continue
            if not by_measurement:
                ctx.junk += 1
                continue
            date = days.iso(day) if daily else None
            for measurement, fields in by_measurement.items():
                yield Record(measurement, when, fields, tags, date)


def csv_parser(spec: CsvSpec) -> Callable[[Entry, ParseContext], Iterator[Record]]:
    def parse(entry: Entry, ctx: ParseContext) -> Iterator[Record]:
        return parse_csv(entry, ctx, spec)

    return parse


def in_range(low: float, high: float, convert: Convert = as_float) -> Convert:
    """``convert`` for values within [low, high]; None (skipped) outside."""

    def check(value: float) -> FieldValue | None:
        return convert(value) if low <= value <= high else None

    return check
