"""Secrets: the OAuth flow through the real ``fitbit-sync auth`` (a scripted browser), database
passwords through failing and working runs. No token, client secret or password in any output
(every run of the tier is scanned, see ``rel_support.WATCH``); token files 0600; the loopback
server listens on 127.0.0.1 only and a redirect with a wrong ``state`` stores nothing.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rel_support as rs
from rel_ledger import Ledger

from fitbit_sync.errors import ExitCode
from support.servers import PG_PASSWORD, InfluxServer, running_postgres

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

BROWSER = f"{sys.executable} {rs.HERE / 'rel_browser.py'} %s"
BAD_MODES = ("forged-state", "no-state", "attacker-first")


def auth(ws: rs.Workspace, mode: str, *extra: str, stdin: str | None = None) -> tuple[rs.Result, dict[str, Any]]:
    """``fitbit-sync auth`` with the scripted browser in ``mode``; the result and what it saw."""
    report = ws.root / f"browser-{mode}.json"
    env = {**ws.env, "BROWSER": BROWSER, "REL_BROWSER_MODE": mode, "REL_BROWSER_REPORT": str(report)}
    result = rs.run_cli(["auth", *extra], env, timeout=120, stdin=stdin)
    return result, json.loads(report.read_text()) if report.exists() else {}


def test_oauth_flow_state_and_loopback(account: Any, ledger: Ledger, tmp_path: Path) -> None:
    tried = survived = 0
    # a real sign-in: token file 0600, loopback on 127.0.0.1 only, unreachable from outside
    ws = rs.workspace(account.emu, tmp_path / "honest", signed_in=False)
    result, seen = auth(ws, "honest")
    assert result.code == 0, result.describe()
    assert seen["listening"] and all(a.startswith("127.0.0.1:") for a in seen["listening"]), seen
    assert seen["outside"] == "bound to loopback only", seen
    assert seen["redirect_host"] == "127.0.0.1"
    ok, problems = rs.token_state(ws.token_file)
    assert ok and not problems
    assert (ws.token_file.parent / "token.json.lock").stat().st_mode & 0o077 == 0
    tried += 1
    survived += 1
    outside = seen["outside"]

    # redirects that do not answer this sign-in: refused, the existing token file untouched
    for mode in BAD_MODES:
        bad = rs.workspace(account.emu, tmp_path / mode)
        before = bad.token_file.read_bytes()
        result, seen = auth(bad, mode)
        tried += 1
        assert result.one_line_error() and result.code == ExitCode.AUTH_REQUIRED, result.describe()
        assert "state" in result.last_line, result.last_line
        assert bad.token_file.read_bytes() == before
        assert not list(bad.token_file.parent.glob(".token.json.*")), "a temp token file was left behind"
        survived += 1

    # the headless variant: a pasted address with another state
    pasted = rs.workspace(account.emu, tmp_path / "pasted", signed_in=False)
    forged = f"http://127.0.0.1:1/?state={secrets.token_urlsafe(12)}&code=4/0A{secrets.token_urlsafe(20)}"
    result, _ = auth(pasted, "paste", "--no-browser", stdin=forged + "\n")
    tried += 1
    assert result.one_line_error() and result.code == ExitCode.AUTH_REQUIRED, result.describe()
    assert not pasted.token_file.exists()
    survived += 1
    ledger.add("Secrets", "OAuth through `fitbit-sync auth`: wrong or missing state, forged redirect first, "
               "pasted forgery", tried=tried, survived=survived, lost={"tokens stored from a forged redirect": 0},
               detail=f"loopback listens on 127.0.0.1 only ({outside}); token file and "
                      "its lock 0600; refused redirects leave the token file byte for byte")


# --- database passwords --------------------------------------------------------------------------


@pytest.fixture
def influx_with_auth() -> Iterator[tuple[InfluxServer, str]]:
    if shutil.which("influxd") is None:
        pytest.skip("influxd not installed: apt-get install -y influxdb influxdb-client (.ci/run does)")
    base = Path(tempfile.mkdtemp(prefix="fitbit-sync-rel-influx-auth-"))
    server = InfluxServer(base, auth=True)
    server.start()
    password = "influx-" + secrets.token_hex(12)
    try:
        server.query(f"CREATE USER admin WITH PASSWORD '{password}' WITH ALL PRIVILEGES")
        yield server, password
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.influx
@pytest.mark.postgres
def test_database_passwords_never_shown(account: Any, influx_with_auth: tuple[InfluxServer, str], ledger: Ledger,
                                        tmp_path: Path) -> None:
    server, password = influx_with_auth
    wrong = "wrong-" + secrets.token_hex(12)
    rs.WATCH.add(password, wrong, PG_PASSWORD)
    args = rs.backfill_args(*rs.NEXT_RANGE, types="weight,sleep,steps:daily")
    runs = []
    for name, pw in (("right", password), ("wrong", wrong)):
        ws = rs.workspace(account.emu, tmp_path / f"influx-{name}", store="influxdb1", influxdb_url=server.url,
                          influxdb_database="fitbit", influxdb_username="admin", influxdb_password=pw)
        runs.append(rs.run_cli(args, ws.env))
    assert runs[0].code == 0, runs[0].describe()
    assert runs[1].one_line_error() and runs[1].code == ExitCode.STORE_UNAVAILABLE, runs[1].describe()

    with running_postgres() as pg:
        database = pg.new_database()
        for name, pw in (("right", PG_PASSWORD), ("wrong", wrong)):
            ws = rs.workspace(account.emu, tmp_path / f"pg-{name}", store="postgres",
                              postgres_dsn=pg.dsn(database, password=pw))
            runs.append(rs.run_cli(args, ws.env))
        port = pg.port
    down = rs.workspace(account.emu, tmp_path / "pg-down", store="postgres",
                        postgres_dsn=f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:{port}/x?connect_timeout=2")
    runs.append(rs.run_cli(args, down.env))
    assert runs[2].code == 0, runs[2].describe()
    for failed in runs[3:]:
        assert failed.one_line_error() and failed.code == ExitCode.STORE_UNAVAILABLE, failed.describe()
    # rs.finish scanned every output for the passwords (added to the watch above)
    ledger.add("Secrets", "database passwords: InfluxDB 1.x (auth on) and PostgreSQL, right, wrong, server down",
               tried=len(runs), survived=len(runs), lost={"passwords shown": 0},
               detail="backfills with DEBUG logs of every library; failures are one line naming the server, "
                      "never the password or the DSN")


def test_the_scan_sees_a_leak(account: Any, tmp_path: Path) -> None:
    """The watch would notice: a token the probe saw, a refresh token from a token file, the
    client secret, a password, each whole or cut to its tail, in a log line."""
    ws = rs.workspace(account.emu, tmp_path)
    assert rs.run_cli(rs.backfill_args(*rs.NEXT_RANGE, types="weight"), ws.env).code == 0
    bearer = next(iter(account.probe.tokens))
    tokens = rs.TokenStore(ws.token_file).load()
    assert tokens is not None and tokens.refresh_token is not None
    for secret in (bearer, tokens.refresh_token.get_secret_value(), rs.CLIENT_SECRET):
        assert rs.WATCH.find("control", f"DEBUG x: Authorization: Bearer {secret}\n")
        assert rs.WATCH.find("control", f"token ...{secret[-12:]} refused")
    assert not rs.WATCH.find("control", "DEBUG x: Authorization: Bearer ya29.emu-\n")
