"""Dates at the ends of the calendar (issue 10 item 8): every date a person types is checked
against one range (``fitbit_sync.days``), so 9999-12-31 or 0001-01-01 is a one-line usage error,
never an ``OverflowError`` traceback (the dashboard's HTTP side is in tests/dashboards/html)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fitbit_sync.cli import main
from fitbit_sync.errors import ExitCode

EDGES = [("2026-01-01", "9999-12-31"), ("9999-12-31", "9999-12-31"), ("0001-01-01", "2026-01-01"),
         ("2026-01-01", "3000-01-01")]


def commands(first: str, last: str, tmp: Path) -> list[list[str]]:
    return [
        ["backfill", "--start", first, "--end", last],
        ["export", "--out", str(tmp / "export"), "--start", first, "--end", last],
        ["dashboard", "--out", str(tmp / "report.html"), "--from", first, "--to", last],
        ["dashboard", "--out", str(tmp / "report.html"), "--from", first, "--to", last, "--tz", "Pacific/Kiritimati"],
        ["demo", "--db", str(tmp / "demo.db"), "--end", last if last != "2026-01-01" else first],
        ["emulator", "--start", first, "--end", last, "--port", "0"],
    ]


@pytest.mark.parametrize(("first", "last"), EDGES)
def test_dates_at_the_ends_of_the_calendar_are_one_line_usage_errors(
        first: str, last: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FITBIT_SYNC_CLIENT_ID", "x.apps.googleusercontent.com")
    for argv in commands(first, last, tmp_path):
        code = main(argv)
        _, err = capsys.readouterr()
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == ExitCode.USAGE, (argv, err)
        assert len(lines) == 1 and "Traceback" not in err, (argv, err)
        assert "out of range" in lines[0] or "before 2000-01-01" in lines[0], (argv, err)
