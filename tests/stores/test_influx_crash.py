"""InfluxDB killed (SIGKILL) in the middle of a write: nothing is lost, nothing is duplicated.

A real ``influxd`` is killed right after it acknowledged the 8th batch of a large write. Either
it comes back while the writer is still retrying (the write simply finishes), or it stays down
until the write has given up and spooled the rest to disk; then a new store (the next start)
replays the spool. Both ways the database ends up with exactly the points written, once each.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from fitbit_sync.config import load_settings
from fitbit_sync.net.retry import RetryPolicy
from fitbit_sync.records import Record
from fitbit_sync.stores.base import Coverage
from fitbit_sync.stores.influx import InfluxStore, open_influx_store
from fitbit_sync.stores.influx_writer import write_retry
from support.servers import InfluxServer, running_influx

pytestmark = [pytest.mark.influx, pytest.mark.reliability]

N = 120_000  # 24 batches of 5,000


def heart_rate() -> list[Record]:
    return [Record("HeartRate_Intraday", 1_700_000_000_000 + i * 1000, {"value": 40 + (i * 7) % 150},
                   {"Device": "Charge 6"}) for i in range(N)]


def open_v1(server: InfluxServer, db: str, data_dir: Path, retry: RetryPolicy) -> InfluxStore:
    settings = load_settings(store="influxdb1", influxdb_url=server.url, influxdb_database=db, data_dir=data_dir)
    return open_influx_store(settings, retry=retry)


def kill_after(store: InfluxStore, server: InfluxServer, acknowledged: int) -> threading.Event:
    """SIGKILL the server right after its ``acknowledged``-th successful write; returns the event
    set once it is dead."""
    done = threading.Event()
    count = {"ok": 0}

    def on_response(response: httpx.Response) -> None:
        if response.request.url.path == "/write" and response.status_code == 204:
            count["ok"] += 1
            if count["ok"] == acknowledged:
                server.kill()
                done.set()

    store.api.client.event_hooks["response"].append(on_response)
    return done


def assert_exactly(server: InfluxServer, db: str, records: list[Record]) -> None:
    body = server.query('SELECT count("value") FROM "HeartRate_Intraday"', db)
    assert body["results"][0]["series"][0]["values"][0][1] == len(records)
    points = server.points(db, "HeartRate_Intraday")
    assert [(p["time"], p["value"]) for p in points] == [(r.time_ms, r.fields["value"]) for r in records]


def test_killed_and_back_while_the_writer_retries(tmp_path: Path) -> None:
    records = heart_rate()
    with running_influx() as server:
        db = server.new_database()
        store = open_v1(server, db, tmp_path, write_retry(retries=12, base_seconds=0.2, max_seconds=1.0))
        dead = kill_after(store, server, acknowledged=8)

        def restart() -> None:
            dead.wait(60)
            time.sleep(1.0)
            server.start()

        restarter = threading.Thread(target=restart)
        restarter.start()
        cov = Coverage("google-health", "heart-rate", 0, 1, 1)
        assert store.write(records, [cov]) == N
        restarter.join()
        assert dead.is_set()
        assert len(store.spool) == 0  # delivered by retrying, nothing left over
        assert store.coverage("google-health") == [cov]
        store.close()
        assert_exactly(server, db, records)


def test_killed_for_longer_than_the_retries_then_replayed_on_the_next_start(tmp_path: Path) -> None:
    records = heart_rate()
    with running_influx() as server:
        db = server.new_database()
        store = open_v1(server, db, tmp_path, write_retry(retries=2, base_seconds=0.05, max_seconds=0.1))
        dead = kill_after(store, server, acknowledged=8)
        cov = Coverage("google-health", "heart-rate", 0, 1, 1)
        assert store.write(records, [cov]) == N  # returns: the rest is durable in the spool
        assert dead.is_set()
        spooled = len(store.spool)
        assert spooled == N // 5000 - 8
        assert store.coverage("google-health") == [cov]
        store.close()

        server.start()  # the next start: a new store replays the spool before anything else
        again = open_v1(server, db, tmp_path, write_retry(retries=2, base_seconds=0.05, max_seconds=0.1))
        assert again.flush() == spooled
        assert len(again.spool) == 0
        again.close()
        assert_exactly(server, db, records)


@pytest.mark.slow
def test_a_real_backfill_survives_influxdb_being_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``fitbit-sync backfill`` from the emulator while influxd is SIGKILLed and restarted: the sync
    finishes, and the database equals the one a clean backfill of the same days produces."""
    from datetime import UTC, date, datetime

    from fitbit_sync.auth.tokens import TokenSet, TokenStore
    from fitbit_sync.cli import main
    from fitbit_sync.emulator.testing import start_emulator
    from fitbit_sync.schema import MEASUREMENTS
    from support.emulator import env_for

    with running_influx() as server, start_emulator(seed=7, start=date(2026, 4, 25), end=date(2026, 5, 31)) as emu:
        clock = datetime(2026, 5, 3, 20, 0, tzinfo=UTC)
        emu.state.set_clock(clock)  # it keeps running: compare only what lies before it
        token_file = tmp_path / "token.json"
        TokenStore(token_file).save(TokenSet.from_response(emu.issue_tokens(), now=time.time(),
                                                           client_id=emu.client_id))
        env_for(emu, token_file, monkeypatch)
        for name, value in {"STORE": "influxdb1", "INFLUXDB_URL": server.url}.items():
            monkeypatch.setenv("FITBIT_SYNC_" + name, value)

        def backfill(db: str, data_dir: Path) -> int:
            monkeypatch.setenv("FITBIT_SYNC_INFLUXDB_DATABASE", db)
            monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(data_dir))
            return main(["backfill", "--start", "2026-04-30", "--end", "2026-05-03"])

        crashed, clean = server.new_database(), server.new_database()
        killed = threading.Event()
        killed_at: list[float] = []

        def killer() -> None:  # once heart rate (the last, biggest stream) is arriving
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    series = server.query('SELECT count("value") FROM "HeartRate_Intraday"', crashed)
                    count = series["results"][0].get("series", [{"values": [[0, 0]]}])[0]["values"][0][1]
                except Exception:
                    count = 0
                if count >= 10_000:
                    server.kill()
                    killed_at.append(time.monotonic())
                    killed.set()
                    time.sleep(1.5)
                    server.start()
                    return
                time.sleep(0.05)

        thread = threading.Thread(target=killer)
        thread.start()
        assert backfill(crashed, tmp_path / "a") == 0
        finished_at = time.monotonic()
        thread.join()
        assert killed.is_set() and killed_at[0] < finished_at, "influxd was not killed during the sync"
        assert backfill(clean, tmp_path / "b") == 0

        cutoff = int(clock.timestamp() * 1000)

        def before_clock(db: str, name: str) -> list[dict[str, object]]:
            return [p for p in server.points(db, name) if int(p["time"]) < cutoff]  # type: ignore[call-overload]

        for name in MEASUREMENTS:
            assert before_clock(crashed, name) == before_clock(clean, name), name
        assert len(before_clock(crashed, "HeartRate_Intraday")) > 50_000
