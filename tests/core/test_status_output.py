"""``fitbit-sync status`` at 80 columns (a terminal, or any pipe: cron mail, logs): no stream name is
cut into a look-alike, no line is wider than the console, the lines under the table are one line
each, and a stream that has rows never shows an empty "last sync"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fitbit_sync.catalog import STREAMS
from fitbit_sync.cli import main
from fitbit_sync.stores.sqlite import SQLiteStore
from support.demo_records import demo_records


def table_rows(out: str) -> list[list[str]]:
    """The table's body rows as cells, a name wrapped over several lines joined again."""
    rows: list[list[str]] = []
    body = out.split("┡", 1)[1].split("└", 1)[0]
    for line in body.splitlines()[1:]:
        cells = [c.strip() for c in line.strip("│").split("│")]
        if rows and not any(cells[1:]):  # the continuation of a wrapped name
            rows[-1][0] += cells[0]
        else:
            rows.append(cells)
    return rows


@pytest.mark.parametrize("columns", [80, 100, 200])
def test_status_fits_the_console_and_keeps_every_name_whole(columns: int, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "fitbit.db"
    with SQLiteStore(db) as store:
        store.write(demo_records(days=2))
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("FITBIT_SYNC_TOKEN_FILE", str(tmp_path / "a-rather-long-directory-name" / "token.json"))
    monkeypatch.setenv("FITBIT_SYNC_SQLITE_PATH", str(db))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    table, after = out.split("└", 1)
    assert all(len(line) <= columns for line in table.splitlines()), table
    assert "…" not in out
    rows = table_rows(out)
    assert [r[0] for r in rows] == [s.key for s in sorted(STREAMS, key=lambda s: (s.priority, s.key))]
    last_sync = {r[0]: r[-1] for r in rows}
    assert last_sync["paired-devices"] != "-"  # 2 days of battery readings are there
    lines = after.splitlines()[1:]
    assert re.fullmatch(r"token: missing: no token file at \S+token\.json: run `fitbit-sync auth`", lines[0])
    assert lines[1] == "last run: none yet (quota 300/min)"


def test_names_wrap_after_a_separator() -> None:
    from fitbit_sync.sync.status import wrap_name

    assert wrap_name("daily-sleep-temperature-derivations", 26) == "daily-sleep-temperature-\nderivations"
    assert wrap_name("time-in-heart-rate-zone:daily", 26) == "time-in-heart-rate-zone:\ndaily"
    assert wrap_name("steps:daily", 26) == "steps:daily"
    assert wrap_name("abcdefghij-k", 4) == "abcd\nefgh\nij-k"
