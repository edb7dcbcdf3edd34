"""Secrets in URLs and DSNs never reach the screen or the log (issue 10 item 6): ``backfill``,
``status`` and the daemon's log file against an unreachable database (port 9) name the host, never
the password, whichever form the credentials take; plus the redaction rule itself."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fitbit_sync.catalog import select_streams
from fitbit_sync.cli import main
from fitbit_sync.config import load_settings
from fitbit_sync.redact import redact
from fitbit_sync.sync.daemon import Daemon, setup_logging
from support.emulator import emulator_env, emulator_settings

SECRET = "Hunter2-s3cret"

CASES = {
    "influx-query": {"store": "influxdb1", "influxdb_url": f"http://127.0.0.1:9/?u=bob&p={SECRET}"},
    "influx-userinfo": {"store": "influxdb1", "influxdb_url": f"http://bob:{SECRET}@127.0.0.1:9"},
    "postgres-url": {"store": "postgres", "postgres_dsn": f"postgresql://bob:{SECRET}@127.0.0.1:9/fitbit"},
    "postgres-kv": {"store": "postgres", "postgres_dsn": f"host=127.0.0.1 port=9 user=bob password={SECRET} "
                                                         "dbname=fitbit connect_timeout=2"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_backfill_status_and_daemon_log_hide_the_password(case: str, emulator_factory: Any, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator_factory(seed=7, start=date(2025, 7, 1), end=date(2025, 7, 3))
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)  # signed in: backfill gets as far as opening the store
    log_file = tmp_path / "logs" / "fitbit-sync.log"
    env = emulator_env(emu, tmp_path, db, log_file=log_file, **CASES[case])
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    shown = []
    for argv in (["backfill", "--start", "2025-07-01", "--end", "2025-07-02"], ["status"]):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code != 0, (argv, out, err)
        assert "Traceback" not in err
        shown.append(out + err)

    settings = load_settings()
    handlers = setup_logging(settings)
    try:
        daemon = Daemon(settings, select_streams(["steps"]), backoff_first_s=0.05, daily_s=1, intraday_s=1)
        stopper = threading.Timer(0.5, daemon.stop.set)  # the database never comes up: it retries until then
        stopper.start()
        daemon.run()
        stopper.cancel()
        logging.getLogger("fitbit_sync.test").warning("probe %s", f"Authorization: Bearer {SECRET}")
        logging.getLogger("fitbit_sync.test").error("store at %s", env.get("FITBIT_SYNC_INFLUXDB_URL")
                                                    or env["FITBIT_SYNC_POSTGRES_DSN"])
    finally:
        for handler in handlers:
            logging.getLogger("fitbit_sync").removeHandler(handler)
            handler.close()
    shown.append(capsys.readouterr().err)
    shown.append(log_file.read_text())
    for text in shown:
        assert SECRET not in text, text
        assert "127.0.0.1" in text, text


@pytest.mark.parametrize(("text", "kept"), [
    (f"http://127.0.0.1:8086/query?u=bob&p={SECRET}&db=fitbit", "http://127.0.0.1:8086/query?u=bob&p=***&db=fitbit"),
    (f"https://bob:{SECRET}@db.example:5432/x", "https://***@db.example:5432/x"),
    (f"postgresql://bob:a@{SECRET}@db.example/fitbit", "postgresql://***@db.example/fitbit"),
    (f"host=db.example password={SECRET} dbname=fitbit", "host=db.example password=*** dbname=fitbit"),
    (f"host=db.example password='{SECRET} x' user=bob", "host=db.example password=*** user=bob"),
    (f"postgresql://db.example/fitbit?user=bob&password={SECRET}", "postgresql://db.example/fitbit?user=bob&password=***"),
    (f"GET /x?access_token={SECRET}&token={SECRET}", "GET /x?access_token=***&token=***"),
    (f"Authorization: Bearer {SECRET}", "Authorization: Bearer ***"),
    (f"{{'Authorization': 'Token {SECRET}'}}", "{'Authorization': 'Token ***'}"),
    (f'{{"refresh_token": "{SECRET}", "expires_in": 3599}}', '{"refresh_token": "***", "expires_in": 3599}'),
    ("no Google token yet (/home/u/.config/fitbit-sync/token.json does not exist)",
     "no Google token yet (/home/u/.config/fitbit-sync/token.json does not exist)"),
])
def test_redact_keeps_where_and_hides_what(text: str, kept: str) -> None:
    assert redact(text) == kept


def test_redact_known_secrets_anywhere() -> None:
    assert redact(f"server said: bad password {SECRET}", [SECRET, "", None]) == "server said: bad password ***"
