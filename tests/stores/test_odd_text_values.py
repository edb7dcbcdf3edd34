"""Names a store cannot hold as they are never fail a batch: SQLite, real PostgreSQL and real
InfluxDB 1.x store every record of a batch full of odd names, each value read back equal to the
documented transform of ``stores.values`` (verbatim where the store can hold it), count what they
changed, and a rerun does not duplicate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.stores.values import (
    MAX_TEXT_CHARS,
    Reasons,
    influx_field_text,
    influx_tag_text,
    storable_text,
)
from support.servers import InfluxServer, PostgresServer

T0 = 1_767_000_000_000
CJK = "".join(chr(0x4E00 + i) for i in range(5000))  # 15,000 bytes that do not compress
ODD = [
    "Line1\nLine2", "cr\rname", "nul\x00byte", "lone \ud800 surrogate", "trailing\\", "back\\ slash, in=it",
    'say "hi"', "a,b", "k=v", "with space", "  padded  ", "\ttab", "\\", "x" * 5000, CJK,
]
VERBATIM_EVERYWHERE = ['say "hi"', "a,b", "k=v", "with space", "  padded  ", "\ttab"]
DEVICES = ["Charge\n6", "dev\x00ice", "Sense 2\\"]


def batch() -> list[Record]:
    """One page: a normal workout, the odd ones, another normal one; GPS points tagged with each
    ActivityID; heart rate from devices with odd names between them."""
    names = ["Morning Run", *ODD, "Evening Walk"]
    records: list[Record] = []
    for i, name in enumerate(names):
        start = T0 + i * 3_600_000
        activity_id = f"{rfc3339_from_ms(start)}-{name}"
        fields: dict[str, Any] = {"steps": 100 + i, "ActivityID": activity_id, "hasGps": True}
        records.append(Record("Activity Records", start, fields, {"Device": "Charge 6", "ActivityName": name}))
        records += [Record("GPS", start + k * 1000, {"lat": 52.0 + k / 1000, "lon": 13.0},
                           {"Device": "Charge 6", "ActivityID": activity_id}) for k in range(3)]
        records.append(Record("HeartRate_Intraday", start, {"value": 60 + i}, {"Device": DEVICES[i % 3]}))
    return records


def expected(records: list[Record], tag: Callable[[str], tuple[str, Reasons]],
             field: Callable[[str], tuple[str, Reasons]]) -> set[tuple[Any, ...]]:
    rows = set()
    for r in records:
        tags = tuple(sorted((k, tag(v)[0]) for k, v in r.tags.items()))
        fields = tuple(sorted((k, field(v)[0] if isinstance(v, str) else v) for k, v in r.fields.items()))
        rows.add((r.measurement, r.time_ms, tags, fields))
    return rows


def stored(read: Callable[[str], Iterator[Record]]) -> list[tuple[Any, ...]]:
    rows = []
    for name in ("Activity Records", "GPS", "HeartRate_Intraday"):
        for r in read(name):
            fields = tuple(sorted((k, v) for k, v in r.fields.items() if v is not None))
            rows.append((r.measurement, r.time_ms, tuple(sorted(r.tags.items())), fields))
    return rows


def check_store(store: Any, read: Callable[[str], Iterator[Record]], tag: Callable[[str], tuple[str, Reasons]],
                field: Callable[[str], tuple[str, Reasons]]) -> None:
    records = batch()
    assert store.write(records) == len(records)
    rows = stored(read)
    assert len(rows) == len(records)  # every record of the batch, neighbours included
    assert set(rows) == expected(records, tag, field)
    changed = sum(store.text_values.changed.values())
    assert store.text_values.changed["Activity Records.ActivityName: NUL replaced"] == 1
    assert store.text_values.changed[f"Activity Records.ActivityName: cut to {MAX_TEXT_CHARS} characters"] == 2
    assert store.text_values.changed["HeartRate_Intraday.Device: NUL replaced"] == 6  # every point
    assert store.write(records) == len(records)  # a rerun upserts
    assert sorted(stored(read)) == sorted(rows)
    assert sum(store.text_values.changed.values()) == 2 * changed


def test_documented_transforms() -> None:
    for name in VERBATIM_EVERYWHERE:
        assert storable_text(name) == influx_tag_text(name) == influx_field_text(name) == (name, ())
    assert storable_text("Line1\nLine2") == ("Line1\nLine2", ())
    assert storable_text("trailing\\") == ("trailing\\", ())
    assert storable_text("nul\x00byte") == ("nul\ufffdbyte", ("NUL replaced",))
    assert storable_text("lone \ud800 surrogate") == ("lone \ufffd surrogate", ("lone surrogate replaced",))
    cut, why = storable_text(CJK)
    assert (len(cut), cut[:255], cut[-1], why) == (MAX_TEXT_CHARS, CJK[:255], "…", ("cut to 256 characters",))
    assert influx_field_text("Line1\nLine2\r") == ("Line1\u2424Line2\u240d", ("line break replaced",))
    assert influx_field_text("trailing\\") == ("trailing\\", ())
    assert influx_tag_text("trailing\\") == ("trailing\u29f5", ("backslash replaced",))
    assert influx_tag_text("back\\ slash, in=it") == ("back\u29f5 slash, in=it", ("backslash replaced",))
    assert influx_tag_text("a\\b") == ("a\\b", ())


def test_sqlite_stores_every_odd_name(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "odd.db") as store:
        def read(name: str) -> Iterator[Record]:
            from fitbit_sync.schema import MEASUREMENTS
            from fitbit_sync.stores.sqlite import quote

            m = MEASUREMENTS[name]
            cols = [*m.tags, *m.field_names]
            sql = f"SELECT time, {', '.join(quote(c) for c in cols)} FROM {quote(name)}"
            for row in store.connection.execute(sql):
                values = dict(zip(cols, row[1:], strict=True))
                tags = {t: values[t] for t in m.tags}
                fields = {f: (bool(values[f]) if m.field_types[f] == "bool" else values[f]) for f in m.field_names}
                yield Record(name, row[0], fields, tags)

        check_store(store, read, storable_text, storable_text)


@pytest.mark.postgres
def test_postgres_stores_every_odd_name(postgres_server: PostgresServer) -> None:
    settings = load_settings(store="postgres", postgres_dsn=postgres_server.dsn(postgres_server.new_database()))
    with open_store(settings) as opened:
        store: Any = opened
        check_store(store, store.read_records, storable_text, storable_text)


@pytest.mark.influx
def test_influxdb_stores_every_odd_name(influx_server: InfluxServer, tmp_path: Path) -> None:
    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url,
                             influxdb_database=influx_server.new_database(), data_dir=tmp_path, time_zone="UTC")
    with open_store(settings) as opened:
        store: Any = opened
        check_store(store, store.read_records, influx_tag_text, influx_field_text)
        assert not store.spool.files()  # nothing refused, nothing waiting

