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

from fitbit_sync.config import load_settings
from fitbit_sync.stores.factory import open_store
from support.demo_records import ZONE, demo_records, demo_window
from support.emulator import env_for
from support.servers import InfluxServer

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


# Peer panels that stay empty after a sync from the emulator, and why. The emulator's person never
# swims and names rides "Bike", not "Outdoor Bike"; BMI needs the height data type, which the
# catalogue does not fetch yet (the Google Health API has no BMI; Takeout archives carry it).
EMULATOR_NEVER = {"Recent Activity [B]": "no swims", "Recent Activity [C]": "no 'Outdoor Bike'",
                  "BMI [A]": "no height stream in the catalogue yet",
                  "Avg Activity over given duration [D]": "minutesSedentary: the emulator serves no "
                                                          "sedentary-period dailyRollUp yet"}


@pytest.mark.slow
def test_after_a_real_backfill_from_the_emulator(influx_server: InfluxServer, emulator_factory: Any,
                                                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A real ``fitbit-sync backfill`` of demo days from the emulator into InfluxDB, then a
    ``sync`` six hours later (a second battery reading), then every peer v1 query."""
    import time
    from datetime import UTC, date, datetime, timedelta

    from fitbit_sync.auth.tokens import TokenSet, TokenStore
    from fitbit_sync.cli import main

    emulator = emulator_factory(seed=7, start=date(2026, 4, 25), end=date(2026, 5, 31))
    emulator.state.set_clock(datetime(2026, 5, 3, 20, 0, tzinfo=UTC))
    token_file = tmp_path / "token.json"
    tokens = TokenSet.from_response(emulator.issue_tokens(), now=time.time(), client_id=emulator.client_id)
    TokenStore(token_file).save(tokens)
    db = influx_server.new_database()
    env_for(emulator, token_file, monkeypatch)
    for name, value in {
        "DATA_DIR": str(tmp_path / "data"), "STORE": "influxdb1",
        "INFLUXDB_URL": influx_server.url, "INFLUXDB_DATABASE": db, "DEVICE_NAME": "Charge 6",
    }.items():
        monkeypatch.setenv("FITBIT_SYNC_" + name, value)
    assert main(["backfill", "--start", "2026-04-30", "--end", "2026-05-03"]) == 0  # a walk, a run with GPS
    emulator.state.advance_clock(6 * 3600)
    assert main(["backfill", "--start", "2026-05-03", "--end", "2026-05-03"]) == 0

    dashboard = load(PEER_V1)
    start = int(datetime(2026, 4, 29, tzinfo=UTC).timestamp() * 1000)
    end = int((datetime(2026, 5, 4, 6, tzinfo=UTC) + timedelta(hours=1)).timestamp() * 1000)
    variables = {"TimeZone": "Europe/Berlin"}
    queries = influxql_queries(dashboard)
    [gps_variable] = [q for q in queries if q.panel == "variable ActivityGPS"]
    found = server_values(influx_server, db, substitute(gps_variable.text, start, end, variables))
    assert found, "no workout with GPS synced"
    variables["ActivityGPS"] = found[0]
    empty = {f"{q.panel} [{q.ref}]": substitute(q.text, start, end, variables) for q in queries
             if not has_data(influx_server.query(substitute(q.text, start, end, variables), db))}
    assert set(empty) <= set(EMULATOR_NEVER), "queries without data:\n" + "\n".join(
        f"{k}: {v}" for k, v in empty.items() if k not in EMULATOR_NEVER)


def server_values(server: InfluxServer, db: str, query: str) -> list[str]:
    series = server.query(query, db)["results"][0].get("series", [])
    return [row[1] for s in series for row in s["values"]]
