"""Export stored measurements to CSV or Parquet files, from any store.

One file per measurement (``<out>/<Measurement_Name>.csv`` or ``.parquet``) with the columns
``time`` (UTC), ``date`` (daily measurements: the user's local day), one column per tag and one
per field, typed by the schema (Parquet: ``timestamp[ms, UTC]``, ``date32``, ``int64``,
``double``, ``bool``, ``string``). Rows are streamed (bounded memory) into a temporary file that
is renamed when complete, so an interrupted export never leaves a half file under the final name.
A measurement without rows in the range gets no file; the output directory is created only for a
first file.
Records come from the store's read side (``stores.base.Reader``), the same for every store.
Parquet needs the optional ``pyarrow`` (``pip install 'fitbit-sync[parquet]'``).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from fitbit_sync.errors import ConfigError, FitbitSyncError
from fitbit_sync.files import private_dir, private_file
from fitbit_sync.records import Record
from fitbit_sync.schema import MEASUREMENTS, Measurement
from fitbit_sync.stores.base import Reader

Format = Literal["csv", "parquet"]
ROW_GROUP = 100_000


@dataclass(frozen=True, slots=True)
class Exported:
    measurement: str
    path: Path | None  # None: no rows in the range, no file written
    rows: int


def file_name(measurement: str, fmt: Format) -> str:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in measurement)
    return f"{safe}.{fmt}"


def select_measurements(names: Iterable[str] | None) -> list[Measurement]:
    """The measurements named (all when none); ConfigError naming an unknown one."""
    wanted = [n.strip() for n in names or () if n.strip()]
    if not wanted:
        return list(MEASUREMENTS.values())
    unknown = [n for n in wanted if n not in MEASUREMENTS]
    if unknown:
        raise ConfigError(f"unknown measurement {unknown[0]!r} (known: {', '.join(MEASUREMENTS)})")
    return [MEASUREMENTS[n] for n in dict.fromkeys(wanted)]


def _columns(m: Measurement) -> list[str]:
    return ["time"] + (["date"] if m.key == "date" else []) + list(m.tags) + list(m.field_names)


def _iso(time_ms: int) -> str:
    moment = datetime.fromtimestamp(time_ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{time_ms % 1000:03d}Z"


def _write_csv(m: Measurement, records: Iterator[Record], path: Path) -> int:
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(_columns(m))
        for r in records:
            row: list[Any] = [_iso(r.time_ms)]
            if m.key == "date":
                row.append(r.date or "")
            row += [r.tags.get(t, "") for t in m.tags]
            row += ["" if (v := r.fields.get(f)) is None else ("true" if v is True else "false" if v is False else v)
                    for f in m.field_names]
            writer.writerow(row)
            rows += 1
    return rows


def _arrow_schema(m: Measurement) -> Any:
    import pyarrow as pa

    types = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_()}
    fields = [pa.field("time", pa.timestamp("ms", tz="UTC"), nullable=False)]
    if m.key == "date":
        fields.append(pa.field("date", pa.date32()))
    fields += [pa.field(t, pa.string()) for t in m.tags]
    fields += [pa.field(f.name, types[f.type]) for f in m.fields]
    return pa.schema(fields, metadata={"measurement": m.name, "source": "fitbit-sync"})


def _write_parquet(m: Measurement, records: Iterator[Record], path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _arrow_schema(m)
    names = _columns(m)
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: dict[str, list[Any]] = {name: [] for name in names}
        for r in records:
            batch["time"].append(r.time_ms)
            if m.key == "date":
                batch["date"].append(date.fromisoformat(r.date) if r.date else None)
            for t in m.tags:
                batch[t].append(r.tags.get(t))
            for f in m.field_names:
                batch[f].append(r.fields.get(f))
            rows += 1
            if rows % ROW_GROUP == 0:
                writer.write_table(pa.Table.from_pydict(batch, schema=schema))
                batch = {name: [] for name in names}
        if batch["time"] or rows == 0:
            writer.write_table(pa.Table.from_pydict(batch, schema=schema))
    return rows


def export(store: Reader, out_dir: Path, fmt: Format, measurements: Iterable[str] | None = None,
           start_ms: int | None = None, end_ms: int | None = None) -> list[Exported]:
    """Export each measurement with rows in ``[start_ms, end_ms)`` into ``out_dir``."""
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"unknown export format {fmt!r} (csv or parquet)")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise ConfigError("Parquet export needs pyarrow: pip install 'fitbit-sync[parquet]'") from None
    chosen = select_measurements(measurements)
    results = []
    for m in chosen:
        records = store.read_records(m.name, start_ms, end_ms)
        first = next(records, None)
        if first is None:
            results.append(Exported(m.name, None, 0))
            continue
        try:  # only once there is something to write: an empty export creates nothing
            private_dir(out_dir)
        except OSError as exc:
            raise FitbitSyncError(f"cannot create {out_dir}: {exc.strerror}") from None
        final = out_dir / file_name(m.name, fmt)
        temp = final.with_name("." + final.name + ".tmp")
        writer = _write_csv if fmt == "csv" else _write_parquet
        try:
            temp.unlink(missing_ok=True)
            private_file(temp)  # health data: 0600 like everything fitbit-sync writes (files.py)
            rows = writer(m, _chain(first, records), temp)
            os.replace(temp, final)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise FitbitSyncError(f"cannot write {final}: {exc.strerror or exc}") from None
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        results.append(Exported(m.name, final, rows))
    return results


def _chain(first: Record, rest: Iterator[Record]) -> Iterator[Record]:
    yield first
    yield from rest
