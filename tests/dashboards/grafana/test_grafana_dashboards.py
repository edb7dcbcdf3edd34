"""Our Grafana provisioning: current, well formed, every query on the schema; the InfluxQL and
PostgreSQL dashboards return data on real servers; the InfluxDB 3 SQL runs on PostgreSQL as a
stand-in for its SQL engine (no InfluxDB 3 here); every peer panel's data has a panel of ours."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml
from grafana_queries import PEER_V1, influxql_queries, load, panels, substitute

from fitbit_sync.config import load_settings
from fitbit_sync.dashboards.grafana import FLAVOUR_NAMES, HERE, provisioning_dir
from fitbit_sync.dashboards.grafana.build import FLAVOURS, PROVISIONED_JSON, files
from fitbit_sync.dashboards.grafana.panels import ROWS
from fitbit_sync.schema import MEASUREMENTS
from fitbit_sync.stores.factory import open_store
from support.demo_records import ZONE, demo_records, demo_window
from support.servers import InfluxServer, PostgresServer


def dashboard_of(flavour: str) -> dict[str, Any]:
    return json.loads((provisioning_dir(flavour) / "dashboards" / "json" / "fitbit-sync.json").read_text())


def query_texts(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t.get("query") or t.get("rawSql")) for p in panels(dashboard) for t in p.get("targets", [])]


def test_the_committed_files_are_what_the_build_writes() -> None:
    expected = files()
    assert {p for p in HERE.rglob("*") if p.is_file() and p.suffix in (".yml", ".json")} == set(expected)
    for path, text in expected.items():
        assert path.read_text() == text, f"{path}: run python -m fitbit_sync.dashboards.grafana.build"


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_provisioning_is_well_formed_and_consistent(flavour: str) -> None:
    base = provisioning_dir(flavour)
    [source] = yaml.safe_load((base / "datasources" / "fitbit-sync.yml").read_text())["datasources"]
    [provider] = yaml.safe_load((base / "dashboards" / "fitbit-sync.yml").read_text())["providers"]
    assert provider["options"]["path"] == PROVISIONED_JSON and provider["type"] == "file"
    assert source["uid"] == FLAVOURS[flavour].uid and source["isDefault"] is True
    secrets = source.get("secureJsonData", {})
    assert all(v.startswith("${") for v in secrets.values())  # never a literal secret
    board = dashboard_of(flavour)
    assert board["uid"] == FLAVOURS[flavour].uid
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        for target in panel.get("targets", []):
            assert target["datasource"] == {"type": source["type"], "uid": source["uid"]}
    [variable] = board["templating"]["list"]
    assert variable["datasource"]["uid"] == source["uid"]


def _references(dialect: str, text: str) -> tuple[str, set[str], set[str]]:
    """(measurement, fields, tags) a query names, read from its text."""
    if dialect == "flux":
        [measurement] = re.findall(r'_measurement == "([^"]+)"', text)
        fields = set(re.findall(r'_field == "([^"]+)"', text))
        tags = set(re.findall(r'r\["([^"_][^"]*)"\] ==', text))
        return measurement, fields, tags
    [measurement] = re.findall(r'FROM (?:fitbit\.)?"([^"]+)"', text)
    select, where = re.split(r" FROM ", text, maxsplit=1)
    fields = set(re.findall(r'"([^"]+)"', re.sub(r' AS "[^"]*"', "", select)))
    tags = set(re.findall(r'"([^"]+)" = \'', where))
    fields |= set(re.findall(r'"([^"]+)" > 0', where))
    return measurement, fields - {"time"}, tags


@pytest.mark.parametrize("flavour", FLAVOUR_NAMES)
def test_every_query_names_a_measurement_field_and_tag_of_the_schema(flavour: str) -> None:
    dialect = FLAVOURS[flavour].dialect
    board = dashboard_of(flavour)
    queries = query_texts(board)
    assert len(queries) == sum(len(p.queries) for row in ROWS for p in row.panels)
    for title, text in queries:
        measurement, fields, tags = _references(dialect, text)
        m = MEASUREMENTS[measurement]
        tag_names = set(m.tags)
        assert fields and fields <= set(m.field_types) | tag_names, (title, fields)
        assert tags <= tag_names, (title, tags)


def test_the_dashboards_show_every_measurement() -> None:
    shown = {q.measurement for row in ROWS for p in row.panels for q in p.queries}
    assert shown == set(MEASUREMENTS)


def test_every_peer_v1_panel_has_its_data_in_ours() -> None:
    ours = {(q.measurement, f) for row in ROWS for p in row.panels for q in p.queries for f, _ in q.fields}
    same_data = {("weight", "value"): ("weight", "kg")}  # pounds there, kilograms here
    for q in influxql_queries(load(PEER_V1)):
        if q.measurement:
            for field in q.fields:
                assert same_data.get((q.measurement, field), (q.measurement, field)) in ours, (q.panel, field)


# --- real servers ---------------------------------------------------------------------------


def has_data(body: dict[str, Any]) -> bool:
    return any(any(v is not None for v in row[1:]) for r in body["results"] for s in r.get("series", [])
               for row in s["values"])


@pytest.mark.influx
def test_every_influxql_query_of_our_dashboard_returns_data(influx_server: InfluxServer, tmp_path: Path) -> None:
    db = influx_server.new_database()
    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url, influxdb_database=db,
                             data_dir=tmp_path, time_zone=ZONE)
    with open_store(settings) as store:
        store.write(demo_records(days=3))
    start, end = demo_window(days=3)
    board = dashboard_of("influxdb1")
    variable = board["templating"]["list"][0]["query"]["query"]
    found = influx_server.query(substitute(variable, start, end, {}), db)["results"][0]["series"][0]["values"]
    variables = {"ActivityGPS": found[0][1]}
    empty = [f"{title}: {text}" for title, text in query_texts(board)
             if not has_data(influx_server.query(substitute(text, start, end, variables), db))]
    assert not empty, "\n".join(empty)


def pg_macros(text: str, start_ms: int, end_ms: int, activity: str = "") -> str:
    """Grafana's PostgreSQL macros, expanded as Grafana expands them (10-minute auto interval)."""
    def iso(ms: int) -> str:
        return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def seconds(interval: str) -> int:
        interval = interval.strip().strip("'")
        return {"$__interval": 600}.get(interval) or int(interval[:-1]) * {"m": 60, "h": 3600, "d": 86400}[interval[-1]]

    text = text.replace("$__timeFilter(time)", f"time BETWEEN '{iso(start_ms)}' AND '{iso(end_ms)}'")
    text = re.sub(r"\$__timeGroupAlias\(time, ([^)]+)\)",
                  lambda m: f'to_timestamp(floor(extract(epoch from time)/{seconds(m[1])})*{seconds(m[1])}) AS "time"',
                  text)
    text = re.sub(r"\$__dateBin\(time\)",
                  "date_bin(interval '10 minutes', time, timestamp '1970-01-01T00:00:00Z')", text)
    return text.replace("$ActivityGPS", activity)


@pytest.mark.postgres
def test_every_sql_query_of_the_postgres_and_influxdb3_dashboards_returns_data(
        postgres_server: PostgresServer) -> None:
    db = postgres_server.new_database()
    with open_store(load_settings(store="postgres", postgres_dsn=postgres_server.dsn(db), time_zone=ZONE)) as store:
        store.write(demo_records(days=3))
    start, end = demo_window(days=3)
    with psycopg.connect(postgres_server.dsn(db), autocommit=True) as conn:
        for flavour in ("postgres", "influxdb3"):
            if flavour == "influxdb3":  # DataFusion stand-in: same SQL, tables found on the search path
                conn.execute("SET search_path TO fitbit")
            board = dashboard_of(flavour)
            variable = board["templating"]["list"][0]["query"]
            variable = variable["query"] if isinstance(variable, dict) else variable
            activities = conn.execute(pg_macros(variable, start, end)).fetchall()
            assert activities
            empty = []
            for title, text in query_texts(board):
                rows = conn.execute(pg_macros(text, start, end, activities[0][0])).fetchall()
                if not any(any(v is not None for v in row[1:]) for row in rows):
                    empty.append(f"{flavour} {title}: {text}")
            assert not empty, "\n".join(empty)
