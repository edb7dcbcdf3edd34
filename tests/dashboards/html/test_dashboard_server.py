"""The live server over real HTTP: page, assets, JSON API, and one-line errors for bad requests."""

from __future__ import annotations

import gzip
from pathlib import Path

import httpx
import pytest
from dash_live import LiveServer

from fitbit_sync.dashboards.html.influx_source import InfluxSource
from fitbit_sync.dashboards.html.sqlite_source import SQLiteSource
from fitbit_sync.records import Record, rfc3339_from_ms
from fitbit_sync.stores.sqlite import SQLiteStore
from fitbit_sync.stores.values import MAX_TEXT_CHARS
from support.dash_demo import TZ


def test_the_page_and_its_assets_are_served_gzipped(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert '<script src="static/vendor/echarts.min.js"></script>' in page.text
        assert "https://" not in page.text.split("<footer")[0]  # nothing from a CDN
        with httpx.stream("GET", live_server.url + "static/vendor/echarts.min.js",
                          headers={"Accept-Encoding": "gzip"}) as r:
            assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
            wire = b"".join(r.iter_raw())
        assert len(wire) < 500_000 and len(gzip.decompress(wire)) > 1_000_000  # ECharts: 1.1 MB, ~370 kB sent
        with httpx.stream("GET", live_server.url + "static/dashboard.js", headers={"Accept-Encoding": "gzip"}) as r:
            body = gzip.decompress(b"".join(r.iter_raw()))
        assert b"fitbitDashboard" in body
        assert client.get("/static/../../pyproject.toml").status_code == 404


def test_the_data_api_answers_presets_custom_dates_and_ms_ranges(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        meta = client.get("/api/meta").json()
        assert meta["source"] == "sqlite" and meta["tz"] == TZ and meta["bounds"]["last"] > meta["bounds"]["first"]
        week = client.get("/api/data", params={"range": "7d", "tz": TZ}).json()
        assert week["range"]["label"] == "7d" and week["range"]["tz"] == TZ
        assert len(week["panels"]["steps"]["dates"]) == 7
        custom = client.get("/api/data", params={"from": "2026-11-01", "to": "2026-11-03"}).json()
        assert custom["panels"]["steps"]["dates"] == ["2026-11-01", "2026-11-02", "2026-11-03"]
        start, end = week["range"]["start"], week["range"]["end"]
        exact = client.get("/api/data", params={"start": start, "end": end, "tz": "UTC"}).json()
        assert (exact["range"]["start"], exact["range"]["end"], exact["range"]["tz"]) == (start, end, "UTC")
        item = next(w for w in week["panels"]["workouts"]["items"] if w["has_gps"])
        track = client.get("/api/gps", params={"id": item["id"], "start": item["start"], "end": item["end"]}).json()
        assert track["id"] == item["id"] and 100 < len(track["lat"]) <= 1200


@pytest.mark.parametrize(("path", "params", "message"), [
    ("/api/data", {"range": "forever"}, "unknown range"),
    ("/api/data", {"tz": "Nowhere/Else"}, "unknown time zone"),
    ("/api/data", {"start": "abc", "end": "1"}, "start must be an integer"),
    ("/api/data", {"start": "10"}, "start and end go together"),
    ("/api/data", {"start": "10", "end": "5"}, "after its start"),
    ("/api/data", {"from": "2026-13-01", "to": "2026-12-01"}, "must be a date"),
    ("/api/data", {"from": "2026-01-01", "to": "9999-12-31"}, "out of range"),  # was an OverflowError, HTTP 500
    ("/api/data", {"from": "9999-12-31", "to": "9999-12-31", "tz": "Pacific/Kiritimati"}, "out of range"),
    ("/api/data", {"from": "0001-01-01", "to": "0001-01-02", "tz": "America/Adak"}, "out of range"),
    ("/api/data", {"start": "253402214400000", "end": "253402300799999"}, "out of range"),  # 9999-12-31
    ("/api/data", {"start": "-62135596800000", "end": "-62135510400000"}, "out of range"),  # 0001-01-01
    ("/api/data", {"start": "1", "end": "99999999999999999999999"}, "out of range"),
    ("/api/gps", {"id": "", "start": "1", "end": "2"}, "id must name a workout"),
    ("/api/gps", {"id": "x", "start": "1", "end": str(10 * 86_400_000)}, "at most two days"),
])
def test_bad_requests_get_a_400_with_one_line(live_server: LiveServer, path: str, params: dict[str, str],
                                              message: str) -> None:
    response = httpx.get(live_server.url + path.lstrip("/"), params=params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error and "\n" not in error and "Traceback" not in response.text


def test_a_store_that_fails_is_a_503_without_secrets() -> None:
    # an InfluxDB URL where nothing listens (port 9 on loopback: discard, never served here)
    source = InfluxSource("http://reader:s3cret-pw@127.0.0.1:9", "fitbit", username="reader", password="s3cret-pw")
    with LiveServer(source) as server:
        response = httpx.get(server.url + "api/data", params={"range": "7d"})
        page = httpx.get(server.url)
    assert response.status_code == 503
    assert "cannot reach InfluxDB" in response.json()["error"]
    assert "s3cret" not in response.text and "reader" not in response.text
    assert page.status_code == 200  # the page itself still loads and shows the error


def test_requests_for_other_host_names_are_refused(live_server: LiveServer) -> None:
    """DNS rebinding: a page on evil.example resolving to 127.0.0.1 must not read the data."""
    rebound = httpx.get(live_server.url + "api/data", params={"range": "7d"}, headers={"Host": "evil.example:8765"})
    assert rebound.status_code == 400 and "panels" not in rebound.text
    local = httpx.get(live_server.url + "api/meta", headers={"Host": "localhost"})
    assert local.status_code == 200


def test_the_view_prebuilt_when_the_page_loads_is_the_one_asked_for(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url) as client:
        assert client.get("/").status_code == 200  # starts building range=30d in the default zone
        other_zone = client.get("/api/data", params={"range": "30d", "tz": "America/New_York"}).json()
        assert other_zone["range"]["tz"] == "America/New_York"  # not the prebuilt one
        prebuilt = client.get("/api/data", params={"range": "30d", "tz": TZ}).json()
        fresh = client.get("/api/data", params={"range": "30d", "tz": TZ}).json()
    assert prebuilt["range"] == fresh["range"] and prebuilt["range"]["tz"] == TZ
    assert prebuilt["panels"] == fresh["panels"] and prebuilt["stats"] == fresh["stats"]


def odd_workout(name: str, start_ms: int) -> list[Record]:
    """A workout with a GPS track, keyed as the converters key it (``<start>-<name>``)."""
    activity_id = f"{rfc3339_from_ms(start_ms)}-{name}"
    workout = Record("Activity Records", start_ms, {"duration": 600_000, "steps": 900, "hasGps": True,
                                                    "ActivityID": activity_id},
                     {"Device": "Charge 6", "ActivityName": name})
    track = [Record("GPS", start_ms + i * 5000, {"lat": 52.5 + i / 10_000, "lon": 13.4, "speed_kph": 10.0},
                    {"Device": "Charge 6", "ActivityID": activity_id}) for i in range(120)]
    return [workout, *track]


def test_the_track_of_a_workout_with_a_5000_character_name_is_reachable(tmp_path: Path) -> None:
    start = 1_767_430_800_000  # 2026-01-03 09:00 UTC
    with SQLiteStore(tmp_path / "long.db") as store:
        store.write(odd_workout("Long run " + "x" * 5000, start))
    source = SQLiteSource(tmp_path / "long.db")
    with LiveServer(source, tz="UTC") as server, httpx.Client(base_url=server.url) as client:
        view = client.get("/api/data", params={"start": start - 3_600_000, "end": start + 3_600_000, "tz": "UTC"})
        [item] = view.json()["panels"]["workouts"]["items"]
        assert item["name"].startswith("Long run xxx") and len(item["id"]) <= MAX_TEXT_CHARS
        track = client.get("/api/gps", params={"id": item["id"], "start": item["start"], "end": item["end"]})
        assert track.status_code == 200, track.text
        assert track.json()["id"] == item["id"] and len(track.json()["lat"]) == 120
        too_long = client.get("/api/gps", params={"id": "x" * (MAX_TEXT_CHARS + 1), "start": 1, "end": 2})
        assert too_long.status_code == 400
    source.close()
