"""The sync, backfill, status and demo commands through ``fitbit_sync.cli.main``: bad input of any
kind is one line on stderr, a distinct exit code and no traceback, and nothing stored is lost."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sync_support import read_tables, sigterm_once_faulted

from fitbit_sync.cli import main
from fitbit_sync.emulator.faults import FaultRule
from fitbit_sync.errors import ExitCode
from support.emulator import emulator_env, emulator_settings

pytestmark = pytest.mark.reliability


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("fitbit-sync: error: ")
    return lines[0]


@pytest.mark.parametrize(("start", "end", "words"), [
    ("2025-03-10", "2025-03-01", "before the start date"),
    ("2025-02-30", "2025-03-01", "is not a date"),
    ("yesterday", "2025-03-01", "is not a date"),
    ("2025-3-1", "2025-03-05", "is not a date"),
    ("2025-03-01", "2099-01-01", "in the future"),
    ("1999-12-31", "2025-01-01", "before 2000-01-01"),
])
def test_bad_dates_are_one_line_usage_errors(start: str, end: str, words: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["backfill", "--start", start, "--end", end], capsys)
    assert code == ExitCode.USAGE
    assert words in one_line_error(err)


def test_unknown_type_and_settings_problems(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path) -> None:
    monkeypatch.setenv("FITBIT_SYNC_CLIENT_ID", "x.apps.googleusercontent.com")
    code, _, err = run(["backfill", "--start", "2025-01-01", "--end", "2025-01-02", "--types", "steps,pulse"], capsys)
    assert code == ExitCode.USAGE and "unknown data type 'pulse'" in one_line_error(err)
    code, _, err = run(["sync", "--types", "nope"], capsys)
    assert code == ExitCode.USAGE and "unknown data type 'nope'" in one_line_error(err)
    monkeypatch.delenv("FITBIT_SYNC_CLIENT_ID")
    code, _, err = run(["sync"], capsys)  # a missing setting
    assert code == ExitCode.USAGE and "FITBIT_SYNC_CLIENT_ID" in one_line_error(err)
    monkeypatch.setenv("FITBIT_SYNC_MAX_CONCURRENCY", "many")
    code, _, err = run(["sync"], capsys)
    assert code == ExitCode.USAGE and "max_concurrency" in one_line_error(err)
    monkeypatch.delenv("FITBIT_SYNC_MAX_CONCURRENCY")
    monkeypatch.setenv("FITBIT_SYNC_CLIENT_ID", "x.apps.googleusercontent.com")
    monkeypatch.setenv("FITBIT_SYNC_TOKEN_FILE", str(tmp_path / "none.json"))
    code, _, err = run(["backfill", "--start", "2025-01-01", "--end", "2025-01-02"], capsys)
    assert code == ExitCode.AUTH_REQUIRED and "fitbit-sync auth" in one_line_error(err)


def test_store_and_token_failures_lose_nothing(emulator_factory: Any, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator_factory(seed=51, start=date(2025, 7, 1), end=date(2025, 7, 10), quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)
    for key, value in emulator_env(emu, tmp_path, db).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("COLUMNS", "80")  # what Rich assumes in a pipe: the summary stays one line
    code, out, err = run(["backfill", "--start", "2025-07-03", "--end", "2025-07-04", "--types",
                          "daily-resting-heart-rate,steps,sleep"], capsys)
    assert code == 0, err
    assert re.search(r"^backfill 2025-07-03\.\.2025-07-04: (\d+)/\1 ranges fetched with [\d,]+ API calls "
                     r"\([\d,]+ pages\), [\d,]+ records in [\d.]+ s$", out, re.MULTILINE), out
    stored = read_tables(db)
    token = (tmp_path / "token.json").read_bytes()
    assert len(stored["Steps_Intraday"]) > 2000 and stored["RestingHR"] and stored["Sleep Summary"]

    # an unwritable database path (its "directory" is a file): exit 5, one line
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(blocker / "fitbit.db"))
    code, _, err = run(["backfill", "--start", "2025-07-03", "--end", "2025-07-04"], capsys)
    assert code == ExitCode.STORE_UNAVAILABLE and "cannot" in one_line_error(err)
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(db))

    # a refused refresh token (7-day Testing expiry): exit 4, one line, data and token file kept
    emu.state.expire_refresh_tokens()
    emu.state.expire_access_tokens()
    (tmp_path / "token.json").write_bytes(token)
    _expire_local_access_token(tmp_path / "token.json")
    code, _, err = run(["sync"], capsys)
    assert code == ExitCode.REAUTH_REQUIRED and "invalid_grant" in one_line_error(err)
    assert read_tables(db) == stored
    assert (tmp_path / "token.json").exists()
    code, _, err = run(["sync"], capsys)  # and it stays one line on the next run (no retry storm)
    assert code == ExitCode.REAUTH_REQUIRED
    one_line_error(err)

    # status works without any API call and shows what is stored
    code, out, err = run(["status"], capsys)
    assert code == 0, err
    assert "steps" in out
    assert re.search(r"^token: refresh refused; access token expires [\d: -]+$", out, re.MULTILINE), out
    assert re.search(r"^last run: backfill at [\d: -]+: [\d,]+ API calls \(.*\), [\d,]+ records$", out,
                     re.MULTILINE), out


def _expire_local_access_token(path: Path) -> None:
    import orjson

    data = orjson.loads(path.read_bytes())
    data["expires_at"] = 0
    path.write_bytes(orjson.dumps(data))
    path.chmod(0o600)


#: The demo's "today"s the demo tests run at: any day, a spring-forward and a fall-back DST day in
#: the emulated user's zone (Europe/Berlin), 29 February, New Year's Day. The wall clock never
#: decides what a test sees.
DEMO_DAYS = [date(2026, 12, 7), date(2026, 3, 29), date(2025, 10, 26), date(2024, 2, 29), date(2026, 1, 1)]


@pytest.mark.parametrize("end", DEMO_DAYS, ids=str)
def test_demo_fills_every_catalogue_measurement(end: date, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from fitbit_sync.catalog import STREAMS

    db = tmp_path / "demo.db"
    argv = ["demo", "--days", "14", "--db", str(db), "--seed", "4", "--end", end.isoformat()]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "API calls" in out
    assert f"{end - timedelta(days=13)} .. {end}" in out
    conn = sqlite3.connect(db)
    try:
        for name in {m for s in STREAMS for m in s.measurements}:
            assert conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] > 0, name
        newest_day = conn.execute('SELECT max(date) FROM "Total Steps"').fetchone()[0]
    finally:
        conn.close()
    assert newest_day == end.isoformat()  # the history ends on --end, whatever today is
    rows = read_tables(db)
    code, out, err = run([*argv[:6], "5", "--end", end.isoformat()], capsys)
    assert code == ExitCode.USAGE and "seed 4" in one_line_error(err)
    assert read_tables(db) == rows


def test_demo_says_one_thing_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's summary is backfill's, one line in a pipe; its API calls are the ones ``status``
    shows for the run; its hint is a command that works as printed; no lock file stays behind."""
    monkeypatch.setenv("COLUMNS", "80")
    db = tmp_path / "demo.db"
    code, out, err = run(["demo", "--days", "3", "--db", str(db), "--end", "2026-11-21"], capsys)
    assert code == 0, err
    assert re.search(r"^emulator on http://127\.0\.0\.1:\d+ \(seed 1\); signing in through its OAuth consent \.\.\.$",
                     out, re.MULTILINE), out
    summary = re.search(r"^demo 2026-11-19\.\.2026-11-21: (\d+)/\1 ranges fetched with ([\d,]+) API calls "
                        r"\([\d,]+ pages\), [\d,]+ records in [\d.]+ s$", out, re.MULTILINE)
    assert summary, out
    assert out.splitlines()[-1] == f"open it with: fitbit-sync dashboard --db {db}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db"]  # no demo.db.lock
    code, status, err = run(["status", "--db", str(db)], capsys)
    assert code == 0, err
    assert f": {summary[2]} API calls (" in status.splitlines()[-1] and "last run: demo at" in status


@pytest.mark.parametrize(("value", "words"), [("2026-13-01", "is not a date"),
                                              ("2099-01-01", "end date 2099-01-01 is in the future")])
def test_demo_end_date_is_checked(value: str, words: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(["demo", "--days", "3", "--db", str(tmp_path / "d.db"), "--end", value], capsys)
    assert code == ExitCode.USAGE and words in one_line_error(err)
    assert not (tmp_path / "d.db").exists()


def test_withheld_scopes_skip_their_streams_and_keep_the_rest(emulator_factory: Any, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from fitbit_sync.catalog import ALL_SCOPES, SCOPE_LOCATION, SCOPE_SLEEP

    emu = emulator_factory(seed=52, start=date(2025, 8, 1), end=date(2025, 8, 31), quota_per_minute=100_000)
    emu.state.oauth.set_consent(grant_only=[s for s in ALL_SCOPES if s not in (SCOPE_SLEEP, SCOPE_LOCATION)])
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)  # the user unticked sleep and location at consent
    for key, value in emulator_env(emu, tmp_path, db).items():
        monkeypatch.setenv(key, value)
    code, out, err = run(["backfill", "--start", "2025-08-01", "--end", "2025-08-20", "--types",
                          "sleep,exercise,steps:daily"], capsys)
    assert code == 0, err
    assert "not synced: sleep:" in out and "Traceback" not in err
    tables = read_tables(db)
    assert tables["Sleep Summary"] == [] and tables["GPS"] == []
    assert len(tables["Total Steps"]) == 20 and tables["Activity Records"]  # workouts, without tracks


@pytest.mark.parametrize("concurrency", [1, 4])
def test_an_unlinked_account_stops_backfill_at_the_first_data_call(
        concurrency: int, emulator_factory: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    emu = emulator_factory(seed=53, start=date(2025, 7, 1), end=date(2025, 7, 31), quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)
    env = {**emulator_env(emu, tmp_path, db), "FITBIT_SYNC_TIME_ZONE": "Europe/Berlin",
           "FITBIT_SYNC_MAX_CONCURRENCY": str(concurrency)}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    emu.state.control({"account_linked": False})  # every v4 call: 400 FAILED_PRECONDITION ACCOUNT_NOT_LINKED
    emu.state.reset_stats()
    code, out, err = run(["backfill", "--start", "2025-07-01", "--end", "2025-07-30"], capsys)
    assert code == ExitCode.ACCOUNT_UNUSABLE
    line = one_line_error(err)  # no WARNING per request, no "run the same command again"
    assert "ACCOUNT_NOT_LINKED" in line and "Fitbit app" in line and "again to retry" not in line
    data_calls = [r for r in emu.state.stats.log if r["path"].startswith("/v4/")]
    # one call with one worker; with more, only those already in flight when the first answer came
    assert 1 <= len(data_calls) <= concurrency and all(r["status"] == 400 for r in data_calls)
    assert out == ""


@pytest.mark.parametrize(("fault", "zone"), [("http_503", None), ("hang", None), ("hang", "UTC")])
def test_sigterm_during_an_outage_interrupts_sync_at_once(fault: str, zone: str | None, emulator_factory: Any,
                                                          tmp_path: Path) -> None:
    """A retry wait or a hung request (the user's zone, or data requests in the workers): SIGTERM
    ends ``sync`` within about a second with exit 130 and the one line that says how to resume."""
    emu = emulator_factory(seed=54, start=date(2025, 7, 1), end=date(2025, 7, 10), quota_per_minute=100_000)
    db = tmp_path / "fitbit.db"
    emulator_settings(emu, tmp_path, db)
    emu.state.set_faults([FaultRule(fault, seconds=60)])
    env = {**os.environ, **emulator_env(emu, tmp_path, db, **({"time_zone": zone} if zone else {}))}
    proc = subprocess.Popen([sys.executable, "-m", "fitbit_sync.cli", "sync", "--types", "steps,weight"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err, elapsed = sigterm_once_faulted(proc, emu, fault)
    text = err.decode()
    assert proc.returncode == ExitCode.INTERRUPTED, text
    assert "Traceback" not in text
    assert text.splitlines()[-1] == "fitbit-sync: error: interrupted; run the same command again to resume", text
    assert elapsed < 2.5, f"took {elapsed:.1f} s to stop"


def test_the_demo_hint_names_the_program_as_the_readme_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/demo.sh runs ``.venv/bin/fitbit-sync``; the hint says that, not an absolute path."""
    from fitbit_sync.commands.demo import program

    script = tmp_path / ".venv" / "bin" / "fitbit-sync"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    monkeypatch.setattr(sys, "argv", [str(script)])
    assert program() == ".venv/bin/fitbit-sync"
    monkeypatch.setattr(sys, "argv", ["/opt/other/bin/fitbit-sync"])
    assert program() == "/opt/other/bin/fitbit-sync"
