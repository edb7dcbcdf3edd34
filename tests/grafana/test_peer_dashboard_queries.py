"""Every InfluxQL query of the peer v1 dashboard returns data after fitbit-sync wrote demo days.

The queries are the ones Grafana sends (editor queries rendered as Grafana renders them, raw ones
as written, the ``ActivityGPS`` variable resolved by running its own query), with Grafana's
variables substituted for the demo range, run against a real InfluxDB 1.x.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from grafana_queries import PEER_V1, influxql_queries, load, substitute

from demo_records import ZONE, demo_records, demo_window
from fitbit_sync.config import load_settings
from fitbit_sync.stores.factory import open_store
from servers import InfluxServer

pytestmark = pytest.mark.influx


def has_data(body: dict[str, Any]) -> bool:
    for result in body["results"]:
        for series in result.get("series", []):
            for row in series["values"]:
                if any(v is not None for v in row[1:]):
                    return True
    return False


@pytest.fixture(scope="module")
def filled(influx_server: InfluxServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[InfluxServer, str]:
    db = influx_server.new_database()
    settings = load_settings(store="influxdb1", influxdb_url=influx_server.url, influxdb_database=db,
                             data_dir=Path(tmp_path_factory.mktemp("state")), time_zone=ZONE)
    with open_store(settings) as store:
        store.write(demo_records(days=3))
    return influx_server, db


def test_every_influxql_query_of_the_peer_v1_dashboard_returns_data(filled: tuple[InfluxServer, str]) -> None:
    server, db = filled
    dashboard = load(PEER_V1)
    start, end = demo_window(days=3)
    variables = {"TimeZone": dashboard["templating"]["list"][0]["current"]["value"]}
    queries = influxql_queries(dashboard)
    [gps_variable] = [q for q in queries if q.panel == "variable ActivityGPS"]
    values = server.query(substitute(gps_variable.text, start, end, variables), db)
    activities = [v[1] for v in values["results"][0]["series"][0]["values"]]
    assert activities and all(a.endswith(("-Walk", "-Run", "-Outdoor Bike")) for a in activities)
    variables["ActivityGPS"] = activities[0]

    empty = []
    for q in queries:
        text = substitute(q.text, start, end, variables)
        if not has_data(server.query(text, db)):
            empty.append(f"{q.panel} [{q.ref}]: {text}")
    assert len(queries) >= 57
    assert not empty, "queries without data:\n" + "\n".join(empty)
