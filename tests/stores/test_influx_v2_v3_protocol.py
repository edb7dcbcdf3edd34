"""InfluxDB 2.x and 3.x stores at the protocol level: the exact HTTP requests they make.

No 2.x/3.x server can run on our build machines, so these tests run the real stores against a
real HTTP server that records every request (path, query, headers, auth, gzip, body) and answers
the way InfluxDB 2.x/3.x documents it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.errors import ConfigError, StoreError
from fitbit_sync.records import Record
from fitbit_sync.stores.base import Coverage
from fitbit_sync.stores.factory import open_store
from fitbit_sync.stores.influx_api import ms_from_text, parse_flux_csv
from support.capture_server import Captured, CaptureServer, Reply

TOKEN = "v2-tok-Zq81x"

RECORDS = [
    Record("HeartRate_Intraday", 1_700_000_000_000, {"value": 61}, {"Device": "Pixel Watch 3"}),
    Record("Sleep Summary", 1_700_000_000_500, {"efficiency": 93, "minutesAsleep": 401, "sleepType": "STAGES"},
           {"Device": "Pixel Watch 3", "isMainSleep": "True"}),
    Record("RestingHR", 1_699_916_400_000, {"value": 55}, {"Device": "Pixel Watch 3"}, "2023-11-14"),
]
EXPECTED_LINES = [
    "HeartRate_Intraday,Device=Pixel\\ Watch\\ 3 value=61i 1700000000000",
    "Sleep\\ Summary,Device=Pixel\\ Watch\\ 3,isMainSleep=True efficiency=93i,minutesAsleep=401i,"
    'sleepType="STAGES" 1700000000500',
    "RestingHR,Device=Pixel\\ Watch\\ 3 value=55i 1699916400000",
]

FLUX_CSV = (
    ",result,table,_start,_stop,_time,_measurement,Device,value\r\n"
    ",_result,0,2023-11-14T00:00:00Z,2023-11-15T00:00:00Z,2023-11-14T22:13:20Z,HeartRate_Intraday,"
    "Pixel Watch 3,61\r\n"
    ",_result,0,2023-11-14T00:00:00Z,2023-11-15T00:00:00Z,2023-11-14T22:13:21.5Z,HeartRate_Intraday,"
    "Pixel Watch 3,62\r\n"
    "\r\n"
)


def v2_responder(req: Captured) -> Reply:
    if req.path == "/api/v2/buckets":
        found = [{"name": req.query.get("name")}] if req.query.get("name") == "fitbit" else []
        return Reply(200, json.dumps({"buckets": found}).encode(), {"Content-Type": "application/json"})
    if req.path == "/api/v2/query":
        return Reply(200, FLUX_CSV.encode(), {"Content-Type": "text/csv"})
    return Reply(204)


def v2_settings(server: CaptureServer, tmp_path: Path, **kw: object):
    values = {"store": "influxdb2", "influxdb_url": server.url, "influxdb_org": "home", "influxdb_bucket": "fitbit",
              "influxdb_token": TOKEN, "data_dir": tmp_path, **kw}
    return load_settings(**values)


def test_v2_checks_the_bucket_then_writes_gzipped_line_protocol_with_a_token(tmp_path: Path) -> None:
    with CaptureServer(v2_responder) as server:
        store = open_store(v2_settings(server, tmp_path))
        store.write(RECORDS, [Coverage("google-health", "heart-rate", 0, 10, 1)])
        store.close()
    check, write = server.requests
    assert (check.method, check.path, check.query) == ("GET", "/api/v2/buckets", {"org": "home", "name": "fitbit"})
    assert check.headers["authorization"] == f"Token {TOKEN}"
    assert (write.method, write.path) == ("POST", "/api/v2/write")
    assert write.query == {"org": "home", "bucket": "fitbit", "precision": "ms"}
    assert write.headers["authorization"] == f"Token {TOKEN}"
    assert write.headers["content-encoding"] == "gzip"
    assert write.headers["content-type"] == "text/plain; charset=utf-8"
    assert write.text.splitlines() == EXPECTED_LINES


def test_v2_coverage_lives_in_the_local_state_file(tmp_path: Path) -> None:
    with CaptureServer(v2_responder) as server:
        with open_store(v2_settings(server, tmp_path)) as store:
            store.write(RECORDS[:1], [Coverage("google-health", "heart-rate", 0, 10, 1)])
            store.set_state("bookmark", "x")
        with open_store(v2_settings(server, tmp_path)) as store:
            assert store.coverage("google-health") == [Coverage("google-health", "heart-rate", 0, 10, 1)]
            assert store.get_state("bookmark") == "x"
    assert (tmp_path / "state-influxdb2.db").exists()


def test_v2_settings_that_are_missing_or_wrong(tmp_path: Path) -> None:
    with CaptureServer(v2_responder) as server:
        with pytest.raises(ConfigError, match="FITBIT_SYNC_INFLUXDB_ORG, FITBIT_SYNC_INFLUXDB_TOKEN"):
            open_store(v2_settings(server, tmp_path, influxdb_org="", influxdb_token=""))
        with pytest.raises(StoreError, match="has no bucket 'other' in org 'home'"):
            open_store(v2_settings(server, tmp_path, influxdb_bucket="other"))
    refuse = CaptureServer(lambda req: Reply(401, json.dumps({"message": f"bad token {TOKEN}"}).encode()))
    with refuse as server, pytest.raises(StoreError) as info:
        open_store(v2_settings(server, tmp_path))
    assert "refused the credentials (HTTP 401)" in str(info.value) and TOKEN not in str(info.value)


def test_v2_reads_with_flux_and_parses_the_csv(tmp_path: Path) -> None:
    with CaptureServer(v2_responder) as server, open_store(v2_settings(server, tmp_path)) as store:
        records = list(store.read_records("HeartRate_Intraday", 1_699_920_000_000, 1_700_006_400_000))
    query = next(r for r in server.requests if r.path == "/api/v2/query")
    assert query.query == {"org": "home"} and query.headers["authorization"] == f"Token {TOKEN}"
    flux = json.loads(query.body)["query"]
    assert 'from(bucket: "fitbit")' in flux
    assert "range(start: 2023-11-14T00:00:00Z, stop: 2023-11-15T00:00:00Z)" in flux
    assert 'r._measurement == "HeartRate_Intraday"' in flux and "pivot(" in flux
    assert records == [
        Record("HeartRate_Intraday", 1_700_000_000_000, {"value": 61}, {"Device": "Pixel Watch 3"}),
        Record("HeartRate_Intraday", 1_700_000_001_500, {"value": 62}, {"Device": "Pixel Watch 3"}),
    ]


def test_flux_csv_error_tables_are_store_errors() -> None:
    with pytest.raises(StoreError, match="query failed: type error"):
        list(parse_flux_csv(",error,reference\r\n,type error 3:4,\r\n"))


def v3_responder(req: Captured) -> Reply:
    if req.path == "/ping":
        return Reply(200, b'{"version":"3.5.0","revision":"x"}')
    if req.path == "/api/v3/query_sql":
        if "count(*)" in req.query["q"]:
            if '"HeartRate_Intraday"' in req.query["q"]:
                return Reply(200, b'{"rows":2,"first":"2023-11-14T22:13:20","last":"2023-11-14T22:13:21.5"}\n')
            return Reply(400, b'{"error":"table not found"}')
        return Reply(200, b'{"Device":"Pixel Watch 3","time":"2023-11-14T22:13:20","value":61}\n'
                          b'{"time":"2023-11-14T22:13:21.500","value":62}\n')
    return Reply(204)


def v3_settings(server: CaptureServer, tmp_path: Path, **kw: object):
    values = {"store": "influxdb3", "influxdb_url": server.url, "influxdb_database": "fitbit",
              "influxdb_token": TOKEN, "data_dir": tmp_path, **kw}
    return load_settings(**values)


def test_v3_writes_to_write_lp_with_millisecond_precision_and_a_bearer_token(tmp_path: Path) -> None:
    with CaptureServer(v3_responder) as server, open_store(v3_settings(server, tmp_path)) as store:
        store.write(RECORDS)
    ping, write = server.requests
    assert (ping.method, ping.path) == ("GET", "/ping") and ping.headers["authorization"] == f"Bearer {TOKEN}"
    assert (write.method, write.path) == ("POST", "/api/v3/write_lp")
    assert write.query == {"db": "fitbit", "precision": "millisecond", "accept_partial": "false"}
    assert write.headers["authorization"] == f"Bearer {TOKEN}"
    assert write.headers["content-encoding"] == "gzip"
    assert write.text.splitlines() == EXPECTED_LINES


def test_v3_without_a_token_sends_no_authorization(tmp_path: Path) -> None:
    with CaptureServer(v3_responder) as server, open_store(v3_settings(server, tmp_path, influxdb_token="")) as s:
        s.write(RECORDS[:1])
    assert all("authorization" not in r.headers for r in server.requests)


def test_v3_stats_and_reads_use_sql(tmp_path: Path) -> None:
    with CaptureServer(v3_responder) as server, open_store(v3_settings(server, tmp_path)) as store:
        stats = store.measurement_stats()
        records = list(store.read_records("HeartRate_Intraday"))
    assert [(s.name, s.rows, s.first_ms, s.last_ms) for s in stats] == [
        ("HeartRate_Intraday", 2, 1_700_000_000_000, 1_700_000_001_500)]
    sql = [r.query for r in server.requests if r.path == "/api/v3/query_sql"]
    assert all(q["db"] == "fitbit" and q["format"] == "jsonl" for q in sql)
    assert sql[-1]["q"].startswith('SELECT * FROM "HeartRate_Intraday" WHERE time >= ')
    assert records == [Record("HeartRate_Intraday", 1_700_000_000_000, {"value": 61}, {"Device": "Pixel Watch 3"}),
                       Record("HeartRate_Intraday", 1_700_000_001_500, {"value": 62}, {})]


def test_timestamps_in_every_form_the_servers_use() -> None:
    assert ms_from_text("2023-11-14T22:13:20Z") == 1_700_000_000_000
    assert ms_from_text("2023-11-14T22:13:20.123456789Z") == 1_700_000_000_123
    assert ms_from_text("2023-11-14T22:13:20.5") == 1_700_000_000_500
    assert ms_from_text("2023-11-14T23:13:20+01:00") == 1_700_000_000_000


def test_an_unreachable_server_is_one_line(tmp_path: Path) -> None:
    from support.servers import free_port

    settings = load_settings(store="influxdb3", influxdb_url=f"http://127.0.0.1:{free_port()}",
                             influxdb_token=TOKEN, data_dir=tmp_path)
    with pytest.raises(StoreError, match=r"^cannot reach InfluxDB 3.x at http://127.0.0.1:\d+: ConnectError"):
        open_store(settings)


# --- the read side (stores.base.Reader): exact queries, recorded answers parsed -------------------------

FLUX_AGGREGATES = (  # three yields of one query, as InfluxDB 2.x answers (tables apart by blank lines)
    ",result,table,_start,_stop,_time,_value\r\n"
    ",mean,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T00:17:00Z,61.5\r\n"
    ",mean,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T02:00:00Z,70\r\n"
    "\r\n"
    ",result,table,_start,_stop,_time,_value\r\n"
    ",count,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T00:17:00Z,2\r\n"
    ",count,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T02:00:00Z,1\r\n"
    "\r\n"
    ",result,table,_start,_stop,_time,_value\r\n"
    ",last,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T00:17:00Z,62\r\n"
    ",last,0,2023-11-14T00:17:00Z,2023-11-14T03:00:00Z,2023-11-14T02:00:00Z,70\r\n"
    "\r\n"
)
HOUR_MS = 3_600_000
T0 = 1_699_920_000_000  # 2023-11-14T00:00:00Z


def test_v2_aggregates_with_one_aggregate_window_per_aggregate(tmp_path: Path) -> None:
    def responder(req: Captured) -> Reply:
        if req.path == "/api/v2/query":
            return Reply(200, FLUX_AGGREGATES.encode(), {"Content-Type": "text/csv"})
        return v2_responder(req)

    with CaptureServer(responder) as server, open_store(v2_settings(server, tmp_path)) as store:
        series = store.aggregate("HeartRate_Intraday", "value", T0 + 17 * 60_000, T0 + 3 * HOUR_MS, HOUR_MS,
                                 ("mean", "count", "last"))
        nothing = store.aggregate("HeartRate_Intraday", "no_such_field", T0, T0 + HOUR_MS, HOUR_MS)
    [query] = [r for r in server.requests if r.path == "/api/v2/query"]  # an unknown field asks nothing
    assert json.loads(query.body)["query"] == (
        'data = from(bucket: "fitbit")\n'
        "  |> range(start: 2023-11-14T00:17:00Z, stop: 2023-11-14T03:00:00Z)\n"
        '  |> filter(fn: (r) => r._measurement == "HeartRate_Intraday")\n'
        '  |> filter(fn: (r) => r._field == "value")\n'
        "  |> group()\n\n"
        'data |> aggregateWindow(every: 3600000ms, fn: mean, createEmpty: false, timeSrc: "_start") '
        '|> yield(name: "mean")\n'
        'data |> aggregateWindow(every: 3600000ms, fn: count, createEmpty: false, timeSrc: "_start") '
        '|> yield(name: "count")\n'
        'data |> aggregateWindow(every: 3600000ms, fn: last, createEmpty: false, timeSrc: "_start") '
        '|> yield(name: "last")')
    assert series.times == [T0, T0 + 2 * HOUR_MS]  # the clipped first window is its UTC hour
    assert series.values == {"mean": [61.5, 70], "count": [2, 1], "last": [62, 70]}
    assert len(nothing) == 0


def test_v2_reads_records_by_tag_newest_first_and_limited(tmp_path: Path) -> None:
    with CaptureServer(v2_responder) as server, open_store(v2_settings(server, tmp_path)) as store:
        records = list(store.read_records("GPS", T0, T0 + HOUR_MS, tags={"ActivityID": 'run "1"\\'},
                                          newest_first=True, limit=5))
        assert list(store.read_records("GPS", T0, T0 + HOUR_MS, tags={"NoSuchTag": "x"})) == []
    [query] = [r for r in server.requests if r.path == "/api/v2/query"]
    assert json.loads(query.body)["query"] == (
        'from(bucket: "fitbit")\n'
        "  |> range(start: 2023-11-14T00:00:00Z, stop: 2023-11-14T01:00:00Z)\n"
        '  |> filter(fn: (r) => r._measurement == "GPS")\n'
        '  |> filter(fn: (r) => r["ActivityID"] == "run \\"1\\"\u29f5")\n'  # the tag as written (values.py)
        '  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")\n'
        "  |> group()\n"
        '  |> sort(columns: ["_time"], desc: true)\n'
        "  |> limit(n: 5)\n")
    assert records == []  # the recorded answer holds heart rate only: no lat/lon fields, no GPS records


def test_v3_aggregates_with_date_bin_and_reads_by_tag(tmp_path: Path) -> None:
    def responder(req: Captured) -> Reply:
        if req.path == "/api/v3/query_sql" and "date_bin" in req.query["q"]:
            return Reply(200, b'{"bucket":"2023-11-14T00:00:00","mean":61.5,"min":61,"max":62,"sum":123,"count":2}\n'
                              b'{"bucket":"2023-11-14T02:00:00","mean":70.0,"min":70,"max":70,"sum":70,"count":1}\n')
        return v3_responder(req)

    with CaptureServer(responder) as server, open_store(v3_settings(server, tmp_path)) as store:
        series = store.aggregate("HeartRate_Intraday", "value", T0, T0 + 3 * HOUR_MS, HOUR_MS,
                                 ("mean", "min", "max", "sum", "count"))
        records = list(store.read_records("HeartRate_Intraday", T0, T0 + HOUR_MS, tags={"Device": "Pixel Watch 3"},
                                          newest_first=True, limit=1))
    aggregate, read = [r.query["q"] for r in server.requests if r.path == "/api/v3/query_sql"]
    assert aggregate == (
        "SELECT date_bin(INTERVAL '3600000 milliseconds', time, TIMESTAMP '1970-01-01T00:00:00Z') AS \"bucket\", "
        'avg("value") AS "mean", min("value") AS "min", max("value") AS "max", sum("value") AS "sum", '
        'count("value") AS "count" FROM "HeartRate_Intraday" WHERE time >= \'2023-11-14T00:00:00Z\' '
        "AND time < '2023-11-14T03:00:00Z' AND \"value\" IS NOT NULL GROUP BY 1 ORDER BY 1")
    assert series.times == [T0, T0 + 2 * HOUR_MS]
    assert series.values == {"mean": [61.5, 70.0], "min": [61, 70], "max": [62, 70], "sum": [123, 70],
                             "count": [2, 1]}
    assert read == ('SELECT * FROM "HeartRate_Intraday" WHERE time >= \'2023-11-14T00:00:00Z\' AND '
                    "time < '2023-11-14T01:00:00Z' AND \"Device\" = 'Pixel Watch 3' ORDER BY time DESC LIMIT 1")
    assert records[0] == Record("HeartRate_Intraday", 1_700_000_000_000, {"value": 61}, {"Device": "Pixel Watch 3"})


@pytest.mark.parametrize("kind", ["influxdb2", "influxdb3"])
def test_opened_to_read_the_store_creates_nothing(kind: str, tmp_path: Path) -> None:
    from fitbit_sync.stores.registry import kind_of

    responder, settings_of = (v2_responder, v2_settings) if kind == "influxdb2" else (v3_responder, v3_settings)
    data_dir = tmp_path / "data"
    with CaptureServer(responder) as server:
        settings = settings_of(server, data_dir)
        with kind_of(settings).open(settings, read_only=True) as store:
            assert store.coverage("google-health") == [] and store.get_state("x") is None
            with pytest.raises(StoreError, match="open only to read"):
                store.write(RECORDS)
    assert not data_dir.exists()  # no state file, no spool
    assert {r.path for r in server.requests} <= {"/api/v2/buckets", "/api/v2/query", "/ping", "/api/v3/query_sql"}


def test_the_dashboard_report_reads_influxdb3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """``fitbit-sync dashboard --out`` on InfluxDB 3.x: every question is one of the store's SQL reads."""
    from fitbit_sync.cli import main

    def responder(req: Captured) -> Reply:
        q = req.query.get("q", "")
        if req.path == "/api/v3/query_sql" and "date_bin" in q and '"HeartRate_Intraday"' in q:
            return Reply(200, b'{"bucket":"2023-11-14T22:00:00","mean":61.5,"min":61,"max":62}\n')
        if req.path == "/api/v3/query_sql" and ("date_bin" in q or '"HeartRate_Intraday"' not in q):
            return Reply(200, b"")
        return v3_responder(req)

    with CaptureServer(responder) as server:
        for key, value in {"STORE": "influxdb3", "INFLUXDB_URL": server.url, "INFLUXDB_TOKEN": TOKEN,
                           "DATA_DIR": str(tmp_path / "data"), "TIME_ZONE": "UTC"}.items():
            monkeypatch.setenv("FITBIT_SYNC_" + key, value)
        out = tmp_path / "report.html"
        assert main(["dashboard", "--out", str(out), "--range", "24h"]) == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    assert '"source":"influxdb3"' in html
    assert '"heart_rate":{"bucket_ms":' in html and '"mean":[61.5]' in html
    queries = [r.query["q"] for r in server.requests if r.path == "/api/v3/query_sql"]
    assert any("date_bin(INTERVAL" in q and '"HeartRate_Intraday"' in q for q in queries)
    assert any(q.startswith('SELECT * FROM "Sleep Summary"') for q in queries)
    assert not (tmp_path / "data").exists()  # read-only: no state file, no spool
