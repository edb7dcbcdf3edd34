"""The canonical record every source yields and every store writes.

A record is one row of one measurement: a UTC instant in epoch milliseconds, tag values (the
series key besides time) and typed field values. Daily measurements also carry the user's local
``date`` (``YYYY-MM-DD``), which is their key in relational stores, so that a changed time zone
never duplicates a day.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

FieldValue = int | float | str | bool


@dataclass(slots=True)
class Record:
    """One row: ``measurement`` at ``time_ms`` (UTC epoch ms) with ``tags`` and ``fields``."""

    measurement: str
    time_ms: int
    fields: dict[str, FieldValue]
    tags: dict[str, str] = field(default_factory=dict)
    date: str | None = None  # local civil date for daily measurements, else None


def ms_from_datetime(value: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive datetimes are rejected)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: a UTC offset is required")
    return int(value.timestamp() * 1000)


def ms_from_rfc3339(text: str) -> int:
    """Epoch ms of an RFC 3339 timestamp such as ``2026-11-20T07:31:00Z`` or ``...+01:00``."""
    return ms_from_datetime(datetime.fromisoformat(text.replace("Z", "+00:00")))


def datetime_from_ms(time_ms: int) -> datetime:
    """The aware UTC datetime of epoch milliseconds."""
    return datetime.fromtimestamp(time_ms / 1000, tz=UTC)


def rfc3339_from_ms(time_ms: int) -> str:
    """``2026-11-20T07:31:00Z`` (milliseconds shown only when not zero)."""
    moment = datetime_from_ms(time_ms)
    if time_ms % 1000:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_date(value: date) -> str:
    return value.isoformat()


def chunks_by_measurement(records: Iterable[Record], size: int) -> Iterator[tuple[str, list[Record]]]:
    """Records grouped by measurement (order kept within each), at most ``size`` per chunk: a
    stream that interleaves measurements minute by minute still makes few, large writes, and
    memory stays bounded."""
    pending: dict[str, list[Record]] = {}
    current = ""
    chunk: list[Record] = []
    for record in records:
        if record.measurement != current:
            current = record.measurement
            chunk = pending.setdefault(current, [])
        chunk.append(record)
        if len(chunk) >= size:
            yield current, chunk
            chunk = pending[current] = []
    for name, rest in pending.items():
        if rest:
            yield name, rest
