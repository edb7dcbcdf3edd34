"""``fitbit-sync import`` end to end: the summary, exit codes, one-line errors."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from takeout_helpers import sample_files, write_zip

from fitbit_sync.cli import main
from fitbit_sync.errors import ExitCode
from fitbit_sync.sources.takeout.synthetic import Spec, write_export


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(path))
    monkeypatch.setenv("FITBIT_SYNC_DEVICE_NAME", "Pixel Watch 3")
    return path


def test_import_prints_a_summary(tmp_path: Path, database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    archive = write_zip(tmp_path / "takeout.zip", sample_files())
    assert main(["import", str(archive), "--time-zone", "Europe/Berlin"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "RestingHR" in out and "2018-12-30" in out and "2024-03-02" in out
    assert "1 not imported" in out and "sleep_score" in out
    assert "Time zone: Europe/Berlin (from --time-zone)" in out
    with sqlite3.connect(database) as conn:
        assert conn.execute('SELECT DISTINCT Device FROM "RestingHR"').fetchall() == [("Pixel Watch 3",)]


def test_failed_files_are_listed_and_exit_is_zero(tmp_path: Path, database: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    files = sample_files()
    files["Takeout/Fitbit/Global Export Data/steps-2018-01-01.json"] = b"[{\"dateTime\" : "
    archive = write_zip(tmp_path / "takeout.zip", files)
    assert main(["import", str(archive), "--quiet"]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "1 failed" in out
    assert "failed: takeout.zip:Takeout/Fitbit/Global Export Data/steps-2018-01-01.json: not valid JSON" in out


@pytest.mark.parametrize(("args", "code", "message"), [
    (["import", "{tmp}/nothing.zip"], ExitCode.BAD_ARCHIVE, "no such file or folder"),
    (["import", "{tmp}/bad.zip"], ExitCode.BAD_ARCHIVE, "is not a zip archive"),
    (["import", "{tmp}/ok.zip", "--time-zone", "Nowhere/Land"], ExitCode.USAGE, "unknown time zone"),
    (["import", "{tmp}/ok.zip", "--weight-unit", "stone"], ExitCode.USAGE, "--weight-unit must be one of"),
])
def test_errors_are_one_line(args: list[str], code: int, message: str, tmp_path: Path, database: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.zip").write_text("plain text")
    write_export(tmp_path / "ok.zip", Spec(start=date(2024, 1, 1), days=1, hr_interval_s=3600))
    assert main([a.format(tmp=tmp_path) for a in args]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith("fitbit-sync: error:") and message in err
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_refuses_while_another_writer_holds_the_store(tmp_path: Path, database: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import filelock

    archive = write_zip(tmp_path / "takeout.zip", sample_files())
    with filelock.FileLock(str(database) + ".lock"):  # what a running sync or daemon holds
        assert main(["import", str(archive)]) == ExitCode.LOCKED
    assert "another fitbit-sync process" in capsys.readouterr().err
    assert main(["import", str(archive)]) == ExitCode.OK


def test_progress_bar_counts_every_byte(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    from fitbit_sync.commands.import_ import RichProgress
    from fitbit_sync.sources.takeout import ImportOptions, import_archives
    from fitbit_sync.stores.sqlite import SQLiteStore

    screen = io.StringIO()
    progress = RichProgress(Console(file=screen, force_terminal=True, width=120))
    spec = Spec(start=date(2024, 1, 1), days=2, hr_interval_s=600, csv_from=1)  # per-source CSVs: read twice
    archive = write_export(tmp_path / "t.zip", spec)[0]
    with SQLiteStore(tmp_path / "p.db") as store:
        import_archives([archive], store, ImportOptions(), progress)
    progress.stop()
    task = progress._bar.tasks[0]
    assert task.total and task.completed == task.total
    assert "import" in screen.getvalue()
