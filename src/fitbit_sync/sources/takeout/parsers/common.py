"""What every parser shares: the parse context, JSON and CSV readers that tolerate junk, and the
row-level bookkeeping (junk rows are counted, malformed rows are counted with the first reason).

A parser is ``parse(entry, ctx) -> Iterator[Record]``. It raises ``ParseError`` (or any
``ValueError``) when the file as a whole is unusable; the importer then reports and skips it.
Records whose measurement starts with ``SUM_PREFIX`` are per-minute contributions to a daily
total: the importer adds them up per local day and never writes them.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from fitbit_sync.closing import Closing
from fitbit_sync.records import Record
from fitbit_sync.sources.takeout.discovery import Entry
from fitbit_sync.sources.takeout.timezones import LocalDays

SUM_PREFIX = "_sum:"
NO_DATA = b"no data"
# Real exports never have cells this large; the limit keeps a damaged file from eating memory.
csv.field_size_limit(1 << 20)


class ParseError(ValueError):
    """The file as a whole cannot be read (not JSON, no header, wrong columns...)."""


@dataclass
class ParseContext:
    """What a parser needs besides the file: the zone's day arithmetic, the tags and options."""

    days: LocalDays
    tags: dict[str, str]
    weight_unit: str = "auto"  # "auto", "lb" or "kg" (legacy JSON weight carries no unit)
    cutoff_day: int | None = None  # daily JSON rows after this local day are export padding
    source_choice: dict[int, str] | None = None  # per-source CSVs: the one source kept per day
    source_scan: Counter[tuple[int, str]] | None = None  # first pass: rows per (day, source)
    junk: int = 0  # placeholder rows, NaN cells, padding: skipped silently
    malformed: int = 0  # rows that could not be read
    first_problem: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def bad_row(self, why: object) -> None:
        self.malformed += 1
        if self.first_problem is None:
            text = str(why).strip() or type(why).__name__
            self.first_problem = text.splitlines()[0][:200]


Parser = Callable[[Entry, ParseContext], Iterator[Record]]


def is_no_data(data: bytes) -> bool:
    return data.strip().lower() == NO_DATA


def load_json_array(entry: Entry) -> list[Any]:
    """The file's JSON array ([] for a ``no data`` body); ParseError when it is not one."""
    return json_array(entry.read_bytes())


def json_array(data: bytes) -> list[Any]:
    if not data.strip() or is_no_data(data):
        return []
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ParseError(f"not valid JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(value, list):
        raise ParseError("not a JSON array")
    return value


def normalise(name: str) -> str:
    return " ".join(name.strip().strip("\ufeff").lower().replace("_", " ").split())


class CsvTable(Closing):
    """A CSV file read row by row: its normalised header and the remaining rows."""

    def __init__(self, entry: Entry) -> None:
        self._text = entry.open_text()
        self._reader = csv.reader(self._text)
        self.header: list[str] = []
        for row in self._reader:
            if any(cell.strip() for cell in row):
                self.header = [normalise(cell) for cell in row]
                break

    @property
    def empty(self) -> bool:
        """No header at all, or the ``no data`` sentinel."""
        return not self.header or self.header == ["no data"]

    def column(self, *names: str, required: bool = True) -> int | None:
        """Index of the first of ``names`` (normalised) in the header."""
        for name in names:
            key = normalise(name)
            if key in self.header:
                return self.header.index(key)
        if required:
            raise ParseError(f"no {names[0]!r} column (header: {', '.join(self.header)[:200]})")
        return None

    def find(self, *parts: str, exclude: tuple[str, ...] = ()) -> int | None:
        """Index of the first header that contains every one of ``parts`` and none of ``exclude``."""
        for index, name in enumerate(self.header):
            if all(p in name for p in parts) and not any(x in name for x in exclude):
                return index
        return None

    def rows(self) -> Iterator[list[str]]:
        try:
            for row in self._reader:
                if len(row) > 1 or (row and row[0].strip()):
                    yield row
        finally:
            self._text.close()

    def close(self) -> None:
        self._text.close()


def cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    return row[index]
