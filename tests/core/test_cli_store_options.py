"""Every command that reads or writes a store takes the same store options (``--db``, ``--config``);
a command that only reads (``status``, ``export``) never creates a database, and a missing or empty
store is one line on stderr with a non-zero exit, through ``fitbit_sync.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer

from fitbit_sync.cli import app, main
from fitbit_sync.errors import ExitCode
from fitbit_sync.stores.sqlite import SQLiteStore
from support.demo_records import demo_records

STORE_COMMANDS = ["status", "export", "dashboard", "sync", "backfill", "daemon", "import"]


def one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fitbit-sync: error: "), err
    return lines[0]


def test_every_store_command_takes_the_same_store_options() -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    seen: dict[str, set[tuple[str, str | None]]] = {"--db": set(), "--config": set()}
    for name in STORE_COMMANDS:
        options = {opt: param for param in commands[name].params for opt in param.opts}
        for opt in seen:
            assert opt in options, f"{name} has no {opt}"
            seen[opt].add((options[opt].help, options[opt].metavar))
    assert all(len(variants) == 1 for variants in seen.values()), seen


@pytest.mark.parametrize("argv", [["status"], ["export", "--format", "csv", "--out", "OUT"]], ids=["status", "export"])
def test_reading_a_missing_database_creates_nothing(argv: list[str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("FITBIT_SYNC_DATA_DIR", str(data))
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    for extra in ([], ["--db", str(tmp_path / "other.db")]):
        assert main([*argv, *extra]) == ExitCode.STORE_UNAVAILABLE
        assert "no SQLite database at" in one_line_error(capsys.readouterr().err)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no data dir, no output dir


@pytest.mark.parametrize("argv", [["status"], ["export", "--out", "OUT"]], ids=["status", "export"])
def test_reading_an_empty_database_says_so(argv: list[str], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.db"
    SQLiteStore(db).close()
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in argv]
    assert main([*argv, "--db", str(db)]) == ExitCode.STORE_UNAVAILABLE
    assert f"the SQLite database {db} holds no data yet" in one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


def test_status_and_export_read_the_db_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "copy.db"
    with SQLiteStore(db) as store:
        store.write(demo_records(days=1))
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(tmp_path / "configured.db"))  # not the one read
    assert main(["status", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "heart-rate" in out and "17,280" in out  # a day of 5-second heart rate
    out_dir = tmp_path / "out"
    assert main(["export", "--db", str(db), "--out", str(out_dir), "-m", "RestingHR"]) == 0
    assert [p.name for p in out_dir.iterdir()] == ["RestingHR.csv"]
    # a selection without rows: one line, non-zero, nothing written
    assert main(["export", "--db", str(db), "--out", str(tmp_path / "none"), "-m", "RestingHR",
                 "--start", "2020-01-01", "--end", "2020-01-31"]) == ExitCode.ERROR
    assert "nothing to export" in one_line_error(capsys.readouterr().err)
    assert not (tmp_path / "none").exists()
    assert not (tmp_path / "configured.db").exists()


def test_a_damaged_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "damaged.db"
    with SQLiteStore(db) as store:
        store.write(demo_records(days=1))
    size = db.stat().st_size
    with db.open("r+b") as fh:  # the schema (the first pages) intact, the rows behind it not
        fh.seek(size // 2)
        fh.write(b"\xff" * (size // 5))
    assert main(["status", "--db", str(db)]) == ExitCode.STORE_UNAVAILABLE
    assert f"{db}: database disk image is malformed" in one_line_error(capsys.readouterr().err)
