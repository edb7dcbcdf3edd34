"""``fitbit-sync dashboard``: the report file, serving on 127.0.0.1, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fitbit_sync.cli import main
from support.dash_demo import TZ, DemoSummary


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fitbit_sync.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def test_out_writes_one_self_contained_file(demo_db: tuple[Path, DemoSummary], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = demo_db
    out = tmp_path / "report.html"
    assert main(["dashboard", "--db", str(db), "--out", str(out), "--from", "2026-11-01", "--to", "2026-11-07",
                 "--tz", TZ]) == 0
    said = capsys.readouterr().out
    assert f"wrote {out}" in said and "2026-11-01 – 2026-11-07" in said
    html = out.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link)[^>]+(src|href)="(?!data:)', html)  # no external script or stylesheet
    assert "echarts" in html and "fitbitDashboard" in html
    config = json.loads(re.search(r'<script id="fs-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))  # type: ignore[union-attr]
    data = config["payload"]
    assert data["range"]["first_date"] == "2026-11-01" and data["range"]["last_date"] == "2026-11-07"
    items = data["panels"]["workouts"]["items"]
    assert {w["id"] for w in items if w["has_gps"]} == set(data["panels"]["workouts"]["tracks"])  # all embedded
    assert not list(tmp_path.glob(".report.html.*"))  # no temporary file left behind


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--range", "2w"], 2, "unknown --range '2w'"),
    (["--from", "2026-01-01"], 2, "--from and --to go together"),
    (["--from", "2026-02-01", "--to", "2026-01-01"], 2, "before the first date"),
    (["--tz", "Nowhere/Else"], 2, "unknown time zone 'Nowhere/Else'"),
    (["--port", "70000"], 2, "--port must be 0..65535"),
])
def test_bad_options_are_one_line_errors(tmp_path: Path, args: list[str], code: int, message: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["dashboard", "--db", str(tmp_path / "x.db"), "--out", str(out), *args]) == code
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and err.startswith("fitbit-sync: error:")
    assert not out.exists()


def test_a_missing_database_or_directory_is_a_one_line_error(demo_db: tuple[Path, DemoSummary], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboard", "--db", str(tmp_path / "none.db"), "--out", str(tmp_path / "r.html")]) == 5
    err = capsys.readouterr().err
    assert "no SQLite database at" in err and err.count("\n") == 1
    db, _ = demo_db
    assert main(["dashboard", "--db", str(db), "--out", str(tmp_path / "no" / "dir" / "r.html")]) == 1
    err = capsys.readouterr().err
    assert "does not exist" in err and err.count("\n") == 1


def test_every_store_is_opened_for_the_dashboard_with_its_own_settings_checks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard reads every store (issue 12: one read side); an InfluxDB 2.x store without its
    org and token is that store's one-line settings error, and nothing is created."""
    monkeypatch.setenv("FITBIT_SYNC_STORE", "influxdb2")
    monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(tmp_path / "data"))
    assert main(["dashboard", "--out", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "store influxdb2 needs FITBIT_SYNC_INFLUXDB_ORG, FITBIT_SYNC_INFLUXDB_TOKEN" in err
    assert err.count("\n") == 1 and list(tmp_path.iterdir()) == []


def test_serves_on_loopback_until_interrupted(demo_db: tuple[Path, DemoSummary]) -> None:
    db, _ = demo_db
    proc = subprocess.Popen([sys.executable, "-m", "fitbit_sync.cli", "dashboard", "--db", str(db), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"at (http://127\.0\.0\.1:(\d+)/)", line)
        assert match, line
        url, port = match.group(1), int(match.group(2))
        deadline = time.monotonic() + 15
        while True:
            try:
                page = httpx.get(url, timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        assert page.status_code == 200 and "fitbit-sync" in page.text
        assert httpx.get(url + "api/data", params={"range": "7d"}).json()["range"]["label"] == "7d"
        with socket.socket() as other:  # bound to loopback only: no other interface accepts
            assert other.connect_ex(("127.0.0.2", port)) != 0
        second = run_cli("dashboard", "--db", str(db), "--port", str(port), timeout=30)
        assert second.returncode == 1 and f"port {port} on 127.0.0.1 is in use" in second.stderr
        assert second.stderr.count("\n") == 1
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0
    assert "Traceback" not in proc.stderr.read()  # type: ignore[union-attr]


def test_a_report_that_cannot_be_written_leaves_no_temporary_file(demo_db: tuple[Path, DemoSummary],
                                                                   tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = demo_db
    target = tmp_path / "report.html"
    target.mkdir()  # a directory where the file should go: the final rename fails, even for root
    (target / "keep.txt").write_text("untouched")
    assert main(["dashboard", "--db", str(db), "--out", str(target), "--range", "7d"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write {target}" in err and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]  # no .report.html.*.tmp left
    assert (target / "keep.txt").read_text() == "untouched"


def _report_zone(path: Path) -> str:
    html = path.read_text(encoding="utf-8")
    config = json.loads(re.search(r'<script id="fs-config" type="application/json">(.*?)</script>', html,
                                  re.S).group(1))  # type: ignore[union-attr]
    assert config["tz"] == config["payload"]["range"]["tz"]
    return str(config["tz"])


def test_the_report_is_drawn_in_the_users_zone_not_the_machines(demo_db: tuple[Path, DemoSummary], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: a report made on a UTC machine was drawn in Etc/UTC while `status` used the user's zone.
    The user's zone is the settings', else the one sync stored with the data (the demo stores TZ)."""
    db, _ = demo_db
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("FITBIT_SYNC_TIME_ZONE", raising=False)
    out = tmp_path / "r.html"
    assert main(["dashboard", "--config", str(config), "--db", str(db), "--out", str(out), "--range", "7d"]) == 0
    assert _report_zone(out) == TZ != "UTC"
    monkeypatch.setenv("FITBIT_SYNC_TIME_ZONE", "Europe/Lisbon")  # the settings win over the stored zone
    assert main(["dashboard", "--config", str(config), "--db", str(db), "--out", str(out), "--range", "7d"]) == 0
    assert _report_zone(out) == "Europe/Lisbon"
    assert main(["dashboard", "--config", str(config), "--db", str(db), "--out", str(out), "--range", "7d",
                 "--tz", "Asia/Tokyo"]) == 0  # and --tz over both
    assert _report_zone(out) == "Asia/Tokyo"
