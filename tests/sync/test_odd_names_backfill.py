"""Odd workout names from the API through ``fitbit-sync backfill`` into real InfluxDB 1.x and
PostgreSQL: every workout and every GPS track is stored (names as ``stores.values`` documents
them), a rerun duplicates nothing, and a device name with a line break is refused at start.

The emulator names workouts by kind (``generator.exercise.DISPLAY_NAMES``); the test renames the
kinds for a fresh emulator, so the names arrive as JSON over real HTTP like any other."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest

from fitbit_sync.cli import main
from fitbit_sync.emulator.generator import exercise as emulator_exercise
from fitbit_sync.errors import ExitCode
from fitbit_sync.records import rfc3339_from_ms
from fitbit_sync.sources.google_health.converters import interval_ms
from fitbit_sync.stores.values import Reasons, influx_field_text, influx_tag_text, storable_text
from support.emulator import emulator_env, emulator_settings
from support.servers import InfluxServer, PostgresServer, influx_server, postgres_server  # noqa: F401  (fixtures)

FIRST, LAST = date(2025, 3, 1), date(2025, 4, 15)
ODD_NAMES = {
    "RUNNING": "Line1\nLine2",  # with GPS: the newline is in the GPS tag too
    "WALKING": '  Walk, "k=v"\r \\',  # spaces around, comma, quotes, equals, CR, trailing backslash
    "BIKING": "B" * 5000,  # with GPS: the track must stay reachable
    "STRENGTH_TRAINING": "nul\x00byte",
    "YOGA": 'say "hi"\r',
    "HIIT": "\\",
    "SWIMMING": "Swim",
}


@pytest.fixture
def odd_emulator(emulator_factory: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(emulator_exercise, "DISPLAY_NAMES", ODD_NAMES)
    return emulator_factory(seed=1010, start=FIRST, end=LAST, quota_per_minute=100_000)


def served_workouts(emu: Any) -> list[tuple[int, str, bool]]:
    """(start ms, name, has GPS) of every workout the emulator serves in the range."""
    out = []
    for day in emu.generator.days():
        for point in emu.generator.points("exercise", day):
            body = point["exercise"]
            out.append((interval_ms(body["interval"], "start"), body["displayName"],
                        bool(body["exerciseMetadata"].get("hasGps"))))
    return out


LAST_OUT: list[str] = []


def backfill(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], capsys: pytest.CaptureFixture[str]
             ) -> tuple[int, str]:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = main(["backfill", "--start", str(FIRST), "--end", str(LAST), "--types", "exercise"])
    captured = capsys.readouterr()
    LAST_OUT[:] = [captured.out]
    return code, captured.err


Transform = Callable[[str], tuple[str, Reasons]]


def check_stored(workouts: list[tuple[int, str, bool]], rows: list[tuple[int, str, str]],
                 gps: Counter[str], transform: Transform, field: Transform) -> None:
    """``rows``: (start ms, ActivityName, ActivityID) stored; ``gps``: GPS points per ActivityID
    tag; ``transform`` and ``field``: the store's documented transforms of tags and strings."""
    assert {kind for kind in ODD_NAMES if any(n == ODD_NAMES[kind] for _, n, _ in workouts)} >= {
        "RUNNING", "WALKING", "BIKING", "STRENGTH_TRAINING"}  # the range has the odd ones
    want = sorted((start, transform(name)[0]) for start, name, _ in workouts)
    assert sorted((start, name) for start, name, _ in rows) == want  # every workout, exactly once
    ids = {start: activity_id for start, _, activity_id in rows}
    for start, name, has_gps in workouts:
        activity_id = f"{rfc3339_from_ms(start)}-{name}"
        assert ids[start] == field(activity_id)[0]
        if has_gps:  # the track is stored under the workout's ActivityID (as that store holds a tag)
            assert gps[transform(activity_id)[0]] > 10, name[:20]


@pytest.mark.influx
def test_odd_workout_names_backfill_into_influxdb(odd_emulator: Any, influx_server: InfluxServer,  # noqa: F811
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = influx_server.new_database()
    emulator_settings(odd_emulator, tmp_path, tmp_path / "unused.db")  # signs in: the token file
    env = emulator_env(odd_emulator, tmp_path, tmp_path / "unused.db", store="influxdb1",
                       influxdb_url=influx_server.url, influxdb_database=db, device_name="Charge 6")
    workouts = served_workouts(odd_emulator)

    def stored() -> tuple[list[tuple[int, str, str]], Counter[str]]:
        rows = [(int(p["time"]), p["ActivityName"], p["ActivityID"])
                for p in influx_server.points(db, "Activity Records")]
        return rows, Counter(p["ActivityID"] for p in influx_server.points(db, "GPS"))

    bad = {**env, "FITBIT_SYNC_DEVICE_NAME": "Charge\n6"}
    code, err = backfill(monkeypatch, bad, capsys)
    assert code == ExitCode.USAGE and err.count("\n") == 1 and "Traceback" not in err
    assert "invalid setting device_name" in err and "control character (U+000A)" in err
    assert influx_server.query("SHOW MEASUREMENTS", db)["results"][0].get("series") is None  # nothing written

    code, err = backfill(monkeypatch, env, capsys)
    assert code == 0, err
    rows, gps = stored()
    check_stored(workouts, rows, gps, influx_tag_text, influx_field_text)
    # the run says how many values it changed, and why, on one line
    changed = [line for line in LAST_OUT[0].splitlines() if "text values changed to fit the store" in line]
    assert len(changed) == 1 and "line break replaced" in changed[0], LAST_OUT[0]
    code, err = backfill(monkeypatch, env, capsys)  # a rerun (all covered) duplicates nothing
    assert code == 0, err
    assert sorted(stored()[0]) == sorted(rows) and stored()[1] == gps


@pytest.mark.postgres
def test_odd_workout_names_backfill_into_postgres(odd_emulator: Any, postgres_server: PostgresServer,  # noqa: F811
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dsn = postgres_server.dsn(postgres_server.new_database())
    emulator_settings(odd_emulator, tmp_path, tmp_path / "unused.db")
    env = emulator_env(odd_emulator, tmp_path, tmp_path / "unused.db", store="postgres", postgres_dsn=dsn)
    workouts = served_workouts(odd_emulator)

    def stored() -> tuple[list[tuple[int, str, str]], Counter[str]]:
        with psycopg.connect(dsn) as conn:
            rows = [(int(t), n, i) for t, n, i in conn.execute(
                'SELECT (extract(epoch FROM time) * 1000)::bigint, "ActivityName", "ActivityID" '
                'FROM fitbit."Activity Records"')]
            gps = Counter(dict(conn.execute('SELECT "ActivityID", count(*) FROM fitbit."GPS" GROUP BY 1').fetchall()))
        return rows, gps

    code, err = backfill(monkeypatch, env, capsys)
    assert code == 0, err
    rows, gps = stored()
    check_stored(workouts, rows, gps, storable_text, storable_text)
    code, err = backfill(monkeypatch, env, capsys)
    assert code == 0, err
    assert sorted(stored()[0]) == sorted(rows) and stored()[1] == gps
